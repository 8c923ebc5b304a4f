#!/usr/bin/env bash
# One prepared GPU check (docs/PERFORMANCE.md "GPU"), in this order so that a slow phase cuts the later,
# cheaper ones: builds the native core against the Python torch's libtorch (2.x, CUDA); times GPT-2 124M
# training steps (n_layer 12, n_embd 768, 12 heads, vocab 50,259, batch 8 x 1024) ours vs PyTorch eager in
# the same run: bench_loss vs scripts/bench/peer.py on the same dumped batches, bf16 autocast, AdamW step
# included (ours: train::FusedAdamW, the trainer's; the peer: torch.optim.AdamW fused and foreach), rounds
# alternating which side runs first, then one synchronized run per side split into phases; runs the C++
# suite (a crashing test prints its stack, native/tests/test_util.h); sweeps the LM head's chunk size on
# CUDA; trains the tinyshakespeare configs on CUDA for a few steps (MLE and SequenceMatch with replay
# rollouts, bf16 autocast). Everything it prints also lands in OUT (default ./gpu-out): build.log,
# ctest.log, train-*.log, bench.jsonl, summary.txt. About 450 s on an H200 with 16 cores: give the device
# call a timeout of ~590 s.
#
#   bash scripts/gpu/check_cuda.sh [OUT]
# Env: DEPS (a prefix holding nlohmann_json and GoogleTest's source when the machine lacks them: DEPS/include,
#      DEPS/share/cmake/nlohmann_json, DEPS/googletest), DATA (runs/data/tinyshakespeare-gpt2 made by
#      `./seqmatch prepare`; without it the training smoke is skipped, and says so), ROUNDS (2), ITERS (10),
#      BUDGET (seconds for the whole script, default 520: every phase is cut to what is left, so a slow build
#      shortens the later phases instead of losing the timings).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
out="$(mkdir -p "${1:-gpu-out}" && cd "${1:-gpu-out}" && pwd)"
build=build/cuda-release
deps="${DEPS:-}"
rounds="${ROUNDS:-2}" iters="${ITERS:-10}"
jobs="$(nproc)"
t0=$(date +%s)
deadline=$(( t0 + ${BUDGET:-520} ))
left() { local l=$(( deadline - $(date +%s) )); (( l > ${1:-600} )) && l=${1:-600}; (( l < 1 )) && l=1; echo $l; }
say() { echo "[$(( $(date +%s) - t0 )) s] $*" | tee -a "$out/summary.txt"; }

python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name(0))' \
  2>&1 | tee -a "$out/summary.txt"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | tee -a "$out/summary.txt"
prefix="$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')"
if [[ -n "$deps" && -d "$deps/googletest" && ! -d "$deps/gtest-install" ]]; then
  cmake -S "$deps/googletest" -B "$deps/gtest-build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX="$deps/gtest-install" > "$out/gtest.log" 2>&1 \
    && cmake --build "$deps/gtest-build" --target install -j "$jobs" >> "$out/gtest.log" 2>&1 \
    || say "GoogleTest build failed (see gtest.log)"
fi
[[ -n "$deps" ]] && prefix="$prefix;$deps;$deps/gtest-install"
# Hopper only: this checks and times the H100/H200 the device lends (torch's own kernels are prebuilt).
export TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}"
command -v nvcc > /dev/null && export CUDACXX="${CUDACXX:-$(command -v nvcc)}"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" > "$out/build.log" 2>&1 || { say "configure FAILED"; tail -40 "$out/build.log"; exit 1; }
grep -E "Gloo|NCCL|c10d" "$out/build.log" | tee -a "$out/summary.txt"
# The bench and the trainer first, so a test that fails to compile cannot cost the timings.
timeout "$(left 330)" cmake --build "$build" -j "$jobs" --target bench_loss seqmatch-train -- -k 0 >> "$out/build.log" 2>&1
say "bench_loss + seqmatch-train build rc=$?"
grep -E "error:|Error " "$out/build.log" | head -20
if [[ ! -x "$build/native/bench_loss" ]] && grep -qE "(process_group|gradient_sync|launcher)\.cpp" "$out/build.log"; then
  # The c10d backends are the part most tied to libtorch's version: retry without them (one process).
  say "retrying without Gloo/NCCL (data parallel off)"
  cmake "$build" -DSEQMATCH_GLOO_INCLUDE_DIR=SEQMATCH_GLOO_INCLUDE_DIR-NOTFOUND \
    -DSEQMATCH_NCCL_INCLUDE_DIR=SEQMATCH_NCCL_INCLUDE_DIR-NOTFOUND >> "$out/build.log" 2>&1
  timeout "$(left 200)" cmake --build "$build" -j "$jobs" --target bench_loss seqmatch-train -- -k 0 >> "$out/build.log" 2>&1
  say "retry build rc=$?"
fi

if [[ -x "$build/native/bench_loss" ]]; then
  shape=(50259 1024 8 12 768 "$iters")
  "$build/native/bench_loss" "${shape[@]:0:5}" 1 --heads 12 --dump-batches "$out/batches.safetensors" \
    || say "dump FAILED"
  for r in $(seq 1 "$rounds"); do
    for side in native python; do
      [[ $((r % 2)) == 0 ]] && side=$([[ $side == native ]] && echo python || echo native)
      for bench in mle sm; do
        if [[ $side == native ]]; then
          timeout "$(left 60)" "$build/native/bench_loss" "${shape[@]}" --heads 12 --device cuda --bf16 --adamw --only $bench \
            --json 2>> "$out/bench.err" | sed "s/}$/,\"round\":$r}/" >> "$out/bench.jsonl"
        else
          for opt in fused foreach; do
            timeout "$(left 60)" python3 scripts/bench/peer.py train --batches "$out/batches.safetensors" --bench $bench \
              --layers 12 --embd 768 --heads 12 --iters "$iters" --device cuda --bf16 --adamw $opt \
              2>> "$out/bench.err" | sed "s/}$/, \"round\": $r}/" >> "$out/bench.jsonl"
          done
        fi
      done
    done
    say "bench round $r done"
  done
  # Where the time goes: one more run per side with a synchronize between phases (not in the totals).
  for bench in mle sm; do
    timeout "$(left 60)" "$build/native/bench_loss" "${shape[@]}" --heads 12 --device cuda --bf16 --adamw --only $bench \
      --json --phases 2>> "$out/bench.err" | sed 's/}$/,"round":"phases"}/' >> "$out/bench.jsonl"
    timeout "$(left 60)" python3 scripts/bench/peer.py train --batches "$out/batches.safetensors" --bench $bench \
      --layers 12 --embd 768 --heads 12 --iters "$iters" --device cuda --bf16 --adamw fused --phases \
      2>> "$out/bench.err" | sed 's/}$/, "round": "phases"}/' >> "$out/bench.jsonl"
  done
  python3 - "$out/bench.jsonl" <<'EOF' | tee -a "$out/summary.txt"
import json, statistics, sys
everything = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rows = [r for r in everything if r.get("round") != "phases"]
tokens = {r["bench"]: r["data_tokens"] for r in rows if r["impl"] == "native"}
def med(impl, bench, opt=None):
    t = [x for r in rows if r["impl"] == impl and r["bench"] == bench and (opt is None or r.get("adamw") == opt)
         for x in r["times_s"]]
    return (statistics.median(t), min(t), max(t)) if t else None
print("GPT-2 124M, batch 8 x 1024, bf16 autocast, AdamW step included; median [min, max] s/step; data tok/s")
for bench in ("mle", "sm"):
    ours = med("native", bench)
    for opt in ("fused", "foreach"):
        peer = med("python", bench, opt)
        if ours and peer:
            n = tokens.get(bench, 0)
            print(f"{bench:3s} ours {ours[0]*1e3:7.1f} ms [{ours[1]*1e3:.1f}, {ours[2]*1e3:.1f}] {n/ours[0]:9.0f} tok/s | "
                  f"PyTorch eager (AdamW {opt}) {peer[0]*1e3:7.1f} ms [{peer[1]*1e3:.1f}, {peer[2]*1e3:.1f}] "
                  f"{n/peer[0]:9.0f} tok/s | ratio ours/peer {ours[0]/peer[0]:.2f}")
mem = {(r["impl"], r["bench"], r.get("adamw")): r.get("peak_cuda_mb") for r in rows}
print("peer peak CUDA MB:", {f"{b}/{o}": v for (i, b, o), v in mem.items() if i == "python"})
print("phases (synchronized, ms): forward | LM head + loss | backward | optimizer")
for r in everything:
    if r.get("round") == "phases" and "phases_s" in r:
        print(f"  {r['bench']:3s} {r['impl']:6s} " + " | ".join(f"{x * 1e3:7.1f}" for x in r["phases_s"]))
EOF
fi

timeout "$(left 200)" cmake --build "$build" -j "$jobs" -- -k 0 >> "$out/build.log" 2>&1
say "full build rc=$?"
grep -E "error:" "$out/build.log" | sort -u | head -20 | tee -a "$out/summary.txt"
(cd "$build" && OMP_NUM_THREADS=2 timeout "$(left 200)" ctest -j 8 --output-on-failure > "$out/ctest.log" 2>&1)
say "ctest rc=$?: $(grep -E 'tests passed|tests failed' "$out/ctest.log")"
grep -E "^\s*[0-9]+/[0-9]+ Test|Failed|FAILED" "$out/ctest.log" | head -30 | tee -a "$out/summary.txt"
# The 2026-11-30 run's crashes (test_checkpoint, test_llama bf16/qwen2, test_run_dir, test_gdc) all came at a
# std::filesystem::remove_all of a non-empty directory, which the passing suites never do: check that alone,
# built by the same compiler, and say which libstdc++ the tests load.
ldd "$build/native/test_checkpoint" 2>/dev/null | grep -E "stdc\+\+|libtorch_cpu" | tee -a "$out/summary.txt"
printf '#include <filesystem>\n#include <fstream>\n#include <cstdio>\nnamespace fs = std::filesystem;\nint main() {\n  auto d = fs::temp_directory_path() / "seqmatch-rm-check";\n  fs::create_directories(d / "a" / "b");\n  std::ofstream(d / "a" / "b" / "f") << "x";\n  std::printf("remove_all removed %%ju entries\\n", (uintmax_t)fs::remove_all(d));\n}\n' > "$out/rm_check.cpp"
# Twice: alone, and with libtorch loaded first (a libtorch that exports its own std::filesystem pieces would
# take over the calls: the crash would then need it).
torch_lib="$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')"
g++ -std=c++17 -O2 "$out/rm_check.cpp" -o "$out/rm_check" 2>&1 | tail -3 && "$out/rm_check" 2>&1 | tee -a "$out/summary.txt"
say "std::filesystem::remove_all alone rc=${PIPESTATUS[0]}"
g++ -std=c++17 -O2 "$out/rm_check.cpp" -o "$out/rm_check_torch" -Wl,--no-as-needed -L"$torch_lib" -ltorch_cpu -lc10 \
  -Wl,-rpath,"$torch_lib" 2>&1 | tail -3 && "$out/rm_check_torch" 2>&1 | tee -a "$out/summary.txt"
say "std::filesystem::remove_all with libtorch loaded rc=${PIPESTATUS[0]}"
nm -D --defined-only "$torch_lib/libtorch_cpu.so" 2>/dev/null | c++filt | grep -c "std::filesystem" \
  | sed 's/^/std::filesystem symbols exported by libtorch_cpu.so: /' | tee -a "$out/summary.txt"

if [[ -x "$build/native/bench_loss" ]]; then
  # The LM head's chunk size on CUDA (loss/head.h kCudaChunkBytes): 83 rows = the CPU's 16 MiB, 1335 = 256 MiB.
  for rows in 83 512 1335 4096 8192; do
    r=$(timeout "$(left 60)" "$build/native/bench_loss" "${shape[@]}" --heads 12 --device cuda --bf16 --adamw --only mle \
      --json --chunk-rows $rows 2>> "$out/bench.err")
    echo "$r" | sed "s/}$/,\"round\":\"chunk-$rows\"}/" >> "$out/bench.jsonl"
    say "chunk sweep: $rows rows per chunk, MLE step $(echo "$r" | python3 -c 'import json,sys,statistics; print(round(statistics.median(json.loads(sys.stdin.read())["times_s"])*1e3,1), "ms")' 2>/dev/null)"
  done
fi

if [[ -x "$build/native/seqmatch-train" && -n "${DATA:-}" && -d "$DATA" ]]; then
  data_abs="$(cd "$DATA" && pwd)"
  if [[ "$data_abs" != "$(pwd)/runs/data/tinyshakespeare-gpt2" ]]; then  # the configs read runs/data/...
    mkdir -p runs/data && ln -sfn "$data_abs" runs/data/tinyshakespeare-gpt2
  fi
  for cfg in mle sm; do
    timeout "$(left 60)" "$build/native/seqmatch-train" --config "examples/configs/tinyshakespeare-$cfg.json" \
      --set device=cuda --set amp=bf16 --set max_steps=40 --set eval_every=20 --set checkpoint_every=40 \
      --set out_dir="$out/run-$cfg" > "$out/train-$cfg.log" 2>&1
    say "train $cfg on CUDA (bf16 autocast, 40 steps) rc=$?: $(tail -3 "$out/train-$cfg.log" | tr '\n' ' ')"
  done
  rm -rf "$out"/run-*/checkpoint-* "$out"/run-*/final 2>/dev/null  # weights need not come back
else
  say "training smoke skipped (no DATA dir or no seqmatch-train)"
fi
