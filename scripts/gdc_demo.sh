#!/usr/bin/env bash
# Distribution matching demonstration (docs/RESULTS.md "Distribution matching"): a small byte-level model
# pretrained by MLE on tinyshakespeare is a(x); then
#   1. pointwise: every sample contains the word "you", GDC++ and DPG on the same seed;
#   2. distributional: a quarter of the samples contain the word "lord" (E_p[φ] = 0.25).
# Prints constraint satisfaction, KL(π‖a), KL(p‖π) and the weight variance from each run's metrics.jsonl.
# Runs on CPU with the native binary (30-40 minutes on 2 shared cores). Usage: bash scripts/gdc_demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${SEQMATCH_TRAIN:-build/cpu-release/native/seqmatch-train}
if [ ! -f runs/data/tinyshakespeare-byte/train.smtok ]; then
  ./seqmatch prepare --input ../shared/data/tinyshakespeare.txt --tokenizer byte --seq-len 64 \
      --out runs/data/tinyshakespeare-byte
fi
[ -f runs/gdc-pretrain/final/model.safetensors ] || "$BIN" --config examples/configs/gdc-pretrain.json --quiet
"$BIN" --config examples/configs/gdc-word.json --set out_dir=runs/gdc-word-gdcpp --quiet
"$BIN" --config examples/configs/gdc-word.json --set objective.type=dpg --set out_dir=runs/gdc-word-dpg --quiet
"$BIN" --config examples/configs/gdc-moment.json --quiet
python3 - <<'PY'
import json, statistics as st
def lines(d):
    return [json.loads(l) for l in open(f"runs/{d}/metrics.jsonl") if '"kind":"train"' in l.replace(" ", "")]
def window(xs, a, b):
    v = [x for x in xs[a:b] if x is not None]
    return st.mean(v) if v else float("nan")
for run, name in [("gdc-word-gdcpp", "you"), ("gdc-word-dpg", "you"), ("gdc-moment", "lord")]:
    m = lines(run)
    n = len(m)
    col = lambda k: [x.get(k) for x in m]
    print(f"{run}: steps {n}")
    print(f"  E_q[phi] (samples)   first 20 {window(col('gdc_q_' + name), 0, 20):.3f}   last 50 {window(col('gdc_q_' + name), n - 50, n):.3f}")
    print(f"  E_pi[phi] (SNIS)     first 20 {window(col('gdc_pi_' + name), 0, 20):.3f}   last 50 {window(col('gdc_pi_' + name), n - 50, n):.3f}")
    print(f"  KL(p||pi)            first 20 {window(col('gdc_kl_p_pi'), 0, 20):.3f}   last 50 {window(col('gdc_kl_p_pi'), n - 50, n):.3f}")
    print(f"  KL(pi||a)            last 50 {window(col('gdc_kl_pi_a'), n - 50, n):.3f}   -log Z {-m[-1]['gdc_log_z']:.3f}")
    print(f"  weight variance      mean {window(col('gdc_weight_var'), 0, n):.3f}   grad_norm mean {window(col('grad_norm'), 0, n):.3f}")
    print(f"  proposal refreshes   {m[-1]['gdc_refreshes']}" + (f"   lambda {m[-1]['gdc_lambda_' + name]:.3f}" if 'gdc_lambda_' + name in m[-1] else ""))
PY
