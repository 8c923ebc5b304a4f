#!/usr/bin/env python3
"""GPT-2 vs a Llama-style model of the same size, full fine-tune vs LoRA: step time and peak memory.

Runs the native trainer (build/cpu-release/native/seqmatch-train) on four configs of ~100M
parameters over tinyshakespeare in GPT-2 BPE (vocab 50,259 with <eos>/<pad>/<bkspc>), batch 8 x 128,
MLE, in interleaved rounds (ABCD, DCBA, ...), and prints per config the median step time over the
steps after the first (t_total in metrics.jsonl) with its range over rounds and the peak RSS
(/usr/bin/time -v). Shapes:
  gpt2    n_embd 768, 12 layers, 12 heads, MLP 3072 (GELU), learned positions, tied head
  llama   hidden 768, 12 layers, 12 heads / 4 kv heads (GQA), SwiGLU 2048, RoPE, RMSNorm, tied head
Both hold ~124M parameters (the embedding is 38.6M of it); the Llama MLP (3 x 768 x 2048) has the
size of GPT-2's (2 x 768 x 3072), GQA makes its attention ~1/3 smaller. LoRA: r 8, alpha 16 on every
projection (PEFT's all-linear), the base frozen;
the last config keeps that frozen base in bf16 (computed in float32 on CPU: libtorch 1.13 has no fast bf16 CPU matmul).

Usage (repository root, after the native build):  /usr/bin/python3 scripts/bench/families.py [--steps 6] [--rounds 2]
Data: ../shared/data/tinyshakespeare.txt is tokenised once with ./seqmatch prepare into --work.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPECIAL = {"eos_token_id": 50256, "pad_token_id": 50257, "bkspc_token_id": 50258}

MODELS = {
    "gpt2": {"vocab_size": 50259, "n_positions": 128, "n_embd": 768, "n_layer": 12, "n_head": 12, **SPECIAL},
    "llama": {"model_type": "llama", "vocab_size": 50259, "hidden_size": 768, "intermediate_size": 2048,
              "num_hidden_layers": 12, "num_attention_heads": 12, "num_key_value_heads": 4,
              "max_position_embeddings": 128, "tie_word_embeddings": True, **SPECIAL},
}
LORA = {"r": 8, "alpha": 16, "dropout": 0.0, "target_modules": "all-linear"}


def config(family, lora, steps, data, out, dtype="float32"):
    c = {"model": {"init": "scratch", **MODELS[family], "dtype": dtype},
         "data": {"train": os.path.join(data, "train.smtok"), "validation": os.path.join(data, "validation.smtok")},
         "objective": {"type": "mle"},
         "optim": {"lr": 1e-3, "min_lr": 1e-4, "warmup_steps": 2},
         "max_steps": steps, "batch_size": 8, "eval_every": 0, "eval_batches": 1, "checkpoint_every": 0,
         "log_every": 1, "out_dir": out, "seed": 0}
    if lora:
        c["lora"] = LORA
    return c


def run(name, cfg, work):
    path = os.path.join(work, name + ".json")
    with open(path, "w") as f:
        json.dump(cfg, f, indent=1)
    if os.path.isdir(cfg["out_dir"]):
        subprocess.run(["rm", "-rf", cfg["out_dir"]], check=True)
    trainer = os.path.join(ROOT, "build/cpu-release/native/seqmatch-train")
    p = subprocess.run(["/usr/bin/time", "-v", trainer, "--config", path], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{name}: seqmatch-train failed ({p.returncode}): {p.stderr.strip().splitlines()[-1:]}")
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))
    with open(os.path.join(cfg["out_dir"], "metrics.jsonl")) as f:
        steps = [json.loads(l) for l in f if '"t_total"' in l]
    times = [s["t_total"] for s in steps][1:]  # step 1 pays allocation and first-touch faults
    return statistics.median(times), rss_kb / 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--work", default="/tmp/seqmatch-bench-families")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    data = os.path.join(a.work, "data")
    if not os.path.exists(os.path.join(data, "train.smtok")):
        subprocess.run([os.path.join(ROOT, "seqmatch"), "prepare", "--input",
                        os.path.join(ROOT, "../shared/data/tinyshakespeare.txt"), "--tokenizer",
                        os.path.join(ROOT, "../shared/data/gpt2/tokenizer.json"), "--seq-len", "128", "--out", data],
                       check=True)
    # (family, LoRA, weight dtype): a bf16 base is frozen under LoRA and computes in float32 on CPU
    names = [("gpt2", False, "float32"), ("llama", False, "float32"), ("gpt2", True, "float32"),
             ("llama", True, "float32"), ("llama", True, "bfloat16")]
    label = lambda f, l, d: f"{f} {'LoRA' if l else 'full'}" + (" bf16 base" if d == "bfloat16" else "")
    results = {label(*n): ([], []) for n in names}
    for r in range(a.rounds):
        order = names if r % 2 == 0 else list(reversed(names))
        for family, lora, dtype in order:
            key = label(family, lora, dtype)
            t0 = time.time()
            step, rss = run(key.replace(" ", "-"), config(family, lora, a.steps, data,
                                                          os.path.join(a.work, key.replace(" ", "-")), dtype), a.work)
            results[key][0].append(step)
            results[key][1].append(rss)
            print(f"round {r + 1}/{a.rounds} {key}: {step:.2f} s/step, peak RSS {rss:,.0f} MiB "
                  f"({time.time() - t0:.0f} s)", flush=True)
    base = statistics.median(results["gpt2 full"][0])
    print("\n| config | step time, median of rounds [range] | vs GPT-2 full | peak RSS (MiB) |")
    print("|---|---:|---:|---:|")
    for key, (steps, rss) in results.items():
        m = statistics.median(steps)
        print(f"| {key} | {m:.2f} s [{min(steps):.2f}, {max(steps):.2f}] | {m / base:.2f}x | {max(rss):,.0f} |")


if __name__ == "__main__":
    main()
