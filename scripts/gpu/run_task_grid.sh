#!/usr/bin/env bash
# Trains and decodes every run of a task experiment on a machine with libtorch (e.g. CUDA) and no JVM,
# such as a GPU node. Three steps (docs/TRAINING.md "Task experiments without a JVM"):
#   here:  ./seqmatch experiment arithmetic --out runs/exp ... --plan-only   # data/ and runs/*/train_config.json
#   there: bash scripts/gpu/run_task_grid.sh runs/exp            # this script, from the repository root
#   here:  ./seqmatch eval --task add-or-sub-in-base --prompts runs/exp/data/test.jsonl \
#            --generations runs/exp/runs/RUN/generations.jsonl --json          # for each run
# It builds seqmatch-train and seqmatch-generate against the Python torch's libtorch (unless BUILD already
# holds them), runs JOBS trainings at a time (each its own process on DEVICE, one CPU thread each), then writes
# runs/<run>/generations.jsonl: greedy (no-retype rule on) and one sampled generation per SAMPLE_SEEDS seed
# at T=1 for every test prompt. Runs that already have generations.jsonl are skipped, so it can be rerun.
# Env: JOBS (default: CPU count), DEVICE (cuda if torch sees a GPU, else cpu), SAMPLE_SEEDS (0,1,2,3,4),
#      MAX_NEW_TOKENS (default 12), BUILD (build directory), EXTRA_PREFIX (more CMAKE_PREFIX_PATH entries,
#      e.g. an nlohmann_json install).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
dir="${1:?usage: run_task_grid.sh EXPERIMENT_DIR (relative to the repository root)}"
[[ -f "$dir/data/test-prompts.jsonl" ]] || { echo "run_task_grid: $dir/data/test-prompts.jsonl not found" >&2; exit 2; }
compgen -G "$dir/runs/*/train_config.json" > /dev/null \
  || { echo "run_task_grid: no $dir/runs/*/train_config.json (make them with seqmatch experiment)" >&2; exit 2; }

build="${BUILD:-build/grid-release}"
jobs="${JOBS:-$(nproc)}"
seeds="${SAMPLE_SEEDS:-0,1,2,3,4}"
max_new="${MAX_NEW_TOKENS:-12}"
t0=$(date +%s)
if [[ ! -x "$build/native/seqmatch-train" || ! -x "$build/native/seqmatch-generate" ]]; then
  torch_prefix="$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')"
  gen=(); command -v ninja > /dev/null && gen=(-G Ninja)
  cmake -S . -B "$build" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DSEQMATCH_BUILD_TESTS=OFF \
    -DCMAKE_PREFIX_PATH="$torch_prefix;${EXTRA_PREFIX:-}" > "$dir/build.log" 2>&1 \
    && cmake --build "$build" -j "$jobs" --target seqmatch-train seqmatch-generate >> "$dir/build.log" 2>&1 \
    || { tail -30 "$dir/build.log"; exit 1; }
  echo "run_task_grid: built in $(( $(date +%s) - t0 )) s"
fi
device="${DEVICE:-$(python3 -c 'import torch; print("cuda" if torch.cuda.is_available() else "cpu")' 2>/dev/null || echo cpu)}"
echo "run_task_grid: device $device, $jobs jobs"

one_run() {
  local r="$1" prompts="$dir/data/test-prompts.jsonl"
  [[ -f "$r/generations.jsonl" ]] && return 0
  local out_dir
  out_dir="$(sed -n 's/^ *"out_dir" *: *"\(.*\)",\{0,1\}$/\1/p' "$r/train_config.json")"  # no python needed here
  OMP_NUM_THREADS=1 "$build/native/seqmatch-train" --config "$r/train_config.json" --quiet --set device="$device" \
    > "$r/native-train.log" 2>&1 || { echo "FAILED $r (see $r/native-train.log)"; return 1; }
  local gen=("$build/native/seqmatch-generate" --checkpoint "$out_dir/final" --prompts "$prompts"
             --max-new-tokens "$max_new" --device "$device")
  OMP_NUM_THREADS=1 "${gen[@]}" --greedy --out "$r/gen-greedy.jsonl" 2>> "$r/native-train.log"
  OMP_NUM_THREADS=1 "${gen[@]}" --seeds "$seeds" --temperature 1 --out "$r/gen-sampled.jsonl" 2>> "$r/native-train.log"
  cat "$r/gen-greedy.jsonl" "$r/gen-sampled.jsonl" > "$r/generations.jsonl.tmp"
  mv "$r/generations.jsonl.tmp" "$r/generations.jsonl"
  echo "done $r ($(( $(date +%s) - t0 )) s)"
}
export -f one_run
export dir build device seeds max_new t0
ls -d "$dir"/runs/*/ | sed 's:/$::' | xargs -P "$jobs" -I{} bash -c 'one_run "$@"' _ {}
echo "run_task_grid: $(ls -d "$dir"/runs/*/ | wc -l) runs in $(( $(date +%s) - t0 )) s"
