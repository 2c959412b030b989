#!/usr/bin/env bash
# Orchestration benchmarks (`make bench-sweep`): the overhead of `sweep run` over the sum of its
# cells' own wall times on the smoke sweep, and the speed-up of 2 workers over 1 on the paper
# grid (one seed, shortened with --set so it takes a minute, not five).
set -euo pipefail
BIN=$(readlink -f "${1:-.build/release/sweep}")
REPEATS=${REPEATS:-5}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
cell_seconds() { cat "$1"/cells/*.json | grep -o '"wall_seconds": [0-9.e-]*' | awk '{s+=$2} END {print s}'; }

echo "orchestration overhead on sweeps/smoke.yaml, --jobs 1, median of $REPEATS:"
for i in $(seq "$REPEATS"); do
  rm -rf "$T/s"
  t0=$(now); "$BIN" run sweeps/smoke.yaml --results "$T/s" --jobs 1 --quiet 2>/dev/null; t1=$(now)
  wall=$(awk "BEGIN {print $t1 - $t0}"); cells=$(cell_seconds "$T/s/smoke")
  echo "$wall $cells" >> "$T/overhead"
done
awk '{print ($1 - $2) / $2 * 100}' "$T/overhead" | median | xargs printf "  overhead over the sum of cell times: %.1f%%\n"
awk '{print $1}' "$T/overhead" | median | xargs printf "  sweep wall time: %.3f s\n"

ITER=${ITER:-1000}
echo "paper grid, seeds=1, iterations=$ITER: --jobs 1 vs --jobs 2"
for jobs in 1 2; do
  rm -rf "$T/p"
  t0=$(now)
  "$BIN" run sweeps/paper.yaml --results "$T/p" --jobs $jobs --quiet --set seeds=1 --set iterations=$ITER 2>/dev/null
  t1=$(now)
  awk "BEGIN {print $t1 - $t0}" > "$T/jobs$jobs"
  printf "  --jobs %d: %.2f s\n" $jobs "$(cat "$T/jobs$jobs")"
done
printf "  speed-up: %.2fx\n" "$(awk "BEGIN {print $(cat "$T/jobs1") / $(cat "$T/jobs2")}")"
