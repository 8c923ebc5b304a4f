#!/usr/bin/env bash
# SequenceMatch + LoRA on a Llama-style model, quickstart-sized, evaluated on held-out prompts
# (docs/RESULTS.md "SequenceMatch + LoRA on a Llama config"). Task: Dyck completions of `experiment dyck`
# (length 32..48, 2 bracket pairs; 20,000 training, 100 validation, 100 test prompts, distinct items).
#   1. base: a Llama (4 layers × 128, GQA 4/2, SwiGLU, RoPE, untied head) trained by MLE on clean data, 600 steps;
#   2. LoRA fine-tunes of that base on data with η = 0.1 ground-truth noise, 300 steps each, r 8 on
#      q/k/v/o/gate/up/down, base frozen: MLE (noise stays in the completions) and SequenceMatch-χ²
#      (noise followed by <bkspc>, BC warm-up, replayed rollouts);
#   3. greedy accuracy of the base and of base + each adapter on the test prompts (Wilson 95% intervals).
# Native binary for training, the CLI for data and evaluation. About 10 minutes on 2 free cores.
# Usage: bash scripts/llama_lora_demo.sh   (OUT=dir to change runs/llama-lora-dyck)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-runs/llama-lora-dyck}
BIN=${SEQMATCH_TRAIN:-build/cpu-release/native/seqmatch-train}
CLI=${SEQMATCH:-./seqmatch}
mkdir -p "$OUT"
# The data and the GPT-2 grid's configs of `experiment dyck` (nothing trained here): the configs below are
# those runs with a Llama model and a lora block, so data, noise and objective settings are the grid's.
[ -f "$OUT/grid/data/test.jsonl" ] || $CLI experiment dyck --out "$OUT/grid" --eta 0.1 --noise task --steps 600 \
    --seeds 1 --length 32,48 --pairs 2 --max-depth 8 --train 20000 --validation 100 --test 100 --plan-only
/usr/bin/python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
llama = {"init": "scratch", "model_type": "llama", "vocab_size": 259, "hidden_size": 128, "intermediate_size": 344,
         "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 128,
         "tie_word_embeddings": False, "eos_token_id": 256, "pad_token_id": 257, "bkspc_token_id": 258,
         "tokenizer": {"type": "byte"}}
lora = {"r": 8, "alpha": 16, "dropout": 0.0,
        "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]}
def grid(name):
    return json.load(open(f"{out}/grid/runs/{name}-task-0.10-s0/train_config.json"))
base = grid("mle")
base["model"] = llama
base["data"]["train"] = f"{out}/grid/data/clean/train.smtok"   # the base never sees noise
base["out_dir"] = f"{out}/base"
json.dump(base, open(f"{out}/base.json", "w"), indent=1)
for name in ("mle", "sm"):
    c = grid(name)
    c["model"] = {"init": f"{out}/base/final"}
    c["lora"] = lora
    c["max_steps"] = 300
    c["optim"]["warmup_steps"] = 20
    if name == "sm":
        c["objective"]["warmup_bc_steps"] = 150
    c["out_dir"] = f"{out}/{name}-lora"
    json.dump(c, open(f"{out}/{name}-lora.json", "w"), indent=1)
PY
for run in base mle-lora sm-lora; do
  [ -f "$OUT/$run/final/config.json" ] || [ -f "$OUT/$run/final/adapter_config.json" ] || {
    echo "== training $run"; rm -rf "${OUT:?}/$run"; "$BIN" --config "$OUT/$run.json" --quiet; }
done
eval_one() {  # name, then --checkpoint/--adapter arguments
  local name=$1; shift
  $CLI eval "$@" --task dyck --prompts "$OUT/grid/data/test.jsonl" --greedy --json > "$OUT/eval-$name.json"
}
eval_one base --checkpoint "$OUT/base/final"
eval_one mle-lora --checkpoint "$OUT/base/final" --adapter "$OUT/mle-lora/final"
eval_one sm-lora --checkpoint "$OUT/base/final" --adapter "$OUT/sm-lora/final"
/usr/bin/python3 - "$OUT" <<'PY'
import json, math, sys
out = sys.argv[1]
def find(j, key):
    if isinstance(j, dict):
        if key in j: return j[key]
        for v in j.values():
            r = find(v, key)
            if r is not None: return r
    if isinstance(j, list):
        for v in j:
            r = find(v, key)
            if r is not None: return r
    return None
print("| model | greedy accuracy [95% interval] | <bkspc> per action |")
print("|---|---|---|")
for name, label in [("base", "Llama base (MLE, clean data)"), ("mle-lora", "base + MLE LoRA (noisy data)"),
                    ("sm-lora", "base + SequenceMatch-χ² LoRA (noisy data)")]:
    j = json.load(open(f"{out}/eval-{name}.json"))
    acc = find(j, "accuracy")
    lo, hi = find(j, "accuracy_low"), find(j, "accuracy_high")
    ci = f" [{lo:.3f}, {hi:.3f}]" if lo is not None else ""
    bk = find(j, "backspace_rate")
    print(f"| {label} | {acc:.3f}{ci} | {bk:.4f} |")
PY
