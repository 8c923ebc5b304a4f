#!/usr/bin/env bash
# Side-by-side benchmark: SeqMatch's native core vs the Python peer (scripts/bench/peer.py on
# Debian's python3-torch, the same libtorch 1.13) on the same GPT-2 shapes: n_layer 4, n_embd 128,
# 4 heads, vocab 50,259; train steps (forward + loss + backward) on batch 8 x 128 for MLE and for
# SequenceMatch (the same packed batch, dumped by bench_loss); greedy decode at batch 1, 8, 64.
# Rounds alternate which side runs first; each round's figure is the median of its iterations, and
# the summary gives the median and range over rounds, and ours / peer (time ratio: <= 1.0 means
# ours is no slower), for wall time and for process CPU time (user + system, all threads; on a
# machine shared with other jobs it is the steadier of the two). Run once with glibc's huge-page
# malloc off and once on (--malloc both).
#
#   scripts/bench/peer.sh [--rounds 3] [--iters 3] [--new-tokens 64] [--malloc default|hugetlb|both]
#                         [--only train|decode] [--out DIR]
#
# Needs build/cpu-release/native/{bench_loss,bench_decode} (cmake --build --preset cpu-release) and
# /usr/bin/python3 with torch (bash scripts/setup.sh --bench installs python3-torch).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rounds=3 iters=3 new_tokens=64 malloc=both only="" out=""
die() { echo "peer.sh: $*" >&2; exit 2; }
while (($#)); do
  case "$1" in
    --rounds) rounds="${2:?}"; shift 2 ;;
    --iters) iters="${2:?}"; shift 2 ;;
    --new-tokens) new_tokens="${2:?}"; shift 2 ;;
    --malloc) malloc="${2:?}"; shift 2 ;;
    --only) only="${2:?}"; shift 2 ;;
    --out) out="${2:?}"; shift 2 ;;
    -h | --help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || die "--rounds must be a positive integer (got '$rounds')"
[[ "$iters" =~ ^[1-9][0-9]*$ ]] || die "--iters must be a positive integer (got '$iters')"
[[ "$new_tokens" =~ ^[1-9][0-9]*$ ]] || die "--new-tokens must be a positive integer (got '$new_tokens')"
case "$malloc" in default) modes=(default) ;; hugetlb) modes=(hugetlb) ;; both) modes=(default hugetlb) ;;
  *) die "--malloc must be default, hugetlb or both (got '$malloc')" ;; esac
case "$only" in "" | train | decode) ;; *) die "--only must be train or decode (got '$only')" ;; esac

bin="$root/build/cpu-release/native"
for b in bench_loss bench_decode; do
  [[ -x "$bin/$b" ]] || die "$bin/$b not found. Hint: cmake --preset cpu-release && cmake --build --preset cpu-release"
done
py=/usr/bin/python3
"$py" -c 'import torch' 2>/dev/null || die "$py cannot import torch. Hint: bash scripts/setup.sh --bench (installs python3-torch)"

out="${out:-$(mktemp -d /tmp/seqmatch-peer.XXXXXX)}"
mkdir -p "$out"
results="$out/results.jsonl"
: >"$results"
shape=(50259 128 8 4 128)  # vocab T B n_layer n_embd
"$bin/bench_loss" "${shape[@]}" --dump-batches "$out/batches.safetensors"

# Runs one side in the given malloc mode and tags each JSON line with mode and round.
run() {  # mode round command...
  local mode="$1" round="$2"; shift 2
  local env=(env -u GLIBC_TUNABLES SEQMATCH_HUGEPAGE_MALLOC=0)
  [[ "$mode" == hugetlb ]] && env=(env SEQMATCH_HUGEPAGE_MALLOC=0 GLIBC_TUNABLES=glibc.malloc.hugetlb=1)
  "${env[@]}" "$@" | while IFS= read -r line; do
    [[ "$line" == "{"* ]] && echo "{\"malloc\":\"$mode\",\"round\":$round,${line#\{}" >>"$results"
    echo "  [$mode r$round] $line" >&2
  done
}
ours_train() { run "$1" "$2" "$bin/bench_loss" "${shape[@]}" "$iters" --only "$3" --json; }
peer_train() { run "$1" "$2" "$py" "$root/scripts/bench/peer.py" train --batches "$out/batches.safetensors" --bench "$3" --iters "$iters"; }
ours_decode() { run "$1" "$2" "$bin/bench_decode" 4 128 4 50259 "$new_tokens" 1 8 64 --json; }
peer_decode() { run "$1" "$2" "$py" "$root/scripts/bench/peer.py" decode --vocab 50259 --new-tokens "$new_tokens" --batch 1 8 64; }

echo "peer.sh: $rounds rounds, malloc modes: ${modes[*]}, output $out" >&2
for ((r = 1; r <= rounds; r++)); do
  for mode in "${modes[@]}"; do
    if [[ "$only" != decode ]]; then
      for bench in mle sm; do
        if ((r % 2)); then ours_train "$mode" "$r" "$bench"; peer_train "$mode" "$r" "$bench"
        else peer_train "$mode" "$r" "$bench"; ours_train "$mode" "$r" "$bench"; fi
      done
    fi
    if [[ "$only" != train ]]; then
      if ((r % 2)); then ours_decode "$mode" "$r"; peer_decode "$mode" "$r"
      else peer_decode "$mode" "$r"; ours_decode "$mode" "$r"; fi
    fi
  done
done

"$py" - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
cell = {}
for r in rows:
    cell.setdefault((r["malloc"], r["bench"], r["impl"]), []).append(r)
print("per round: the median of its iterations; columns: median over rounds (min-max), seconds")
print(f"{'malloc':8} {'bench':9} {'clock':5} {'ours':24} {'peer':24} {'ours/peer':>9}  peak RSS MB ours/peer")
for malloc, bench in sorted({(m, b) for m, b, _ in cell}):
    for clock, key in (("wall", "times_s"), ("cpu", "cpu_s")):
        line, meds = [], {}
        for impl in ("native", "python"):
            per_round = [statistics.median(r[key]) for r in cell.get((malloc, bench, impl), [])]
            if not per_round:
                line.append(f"{'-':24}")
                continue
            meds[impl] = statistics.median(per_round)
            line.append(f"{meds[impl]:7.3f} ({min(per_round):.3f}-{max(per_round):.3f})".ljust(24))
        ratio = f"{meds['native'] / meds['python']:9.2f}" if len(meds) == 2 else f"{'-':>9}"
        rss = ""
        if clock == "wall" and not bench.startswith("decode"):
            rss = "/".join(f"{max([r.get('peak_rss_mb', 0) for r in cell.get((malloc, bench, i), [])] or [0]):.0f}"
                           for i in ("native", "python"))
        print(f"{malloc:8} {bench:9} {clock:5} {line[0]} {line[1]} {ratio}  {rss}")
PY
echo "peer.sh: raw results in $results" >&2
