#!/usr/bin/env bash
# Dynamic vs static balancing on the real single-node Slurm (scripts/slurm-local.sh): the same
# heterogeneous grid (iterations 200…3200, 2 seeds: 10 cells, 16x apart in cost) as an array of
# 3 tasks, once with static shards and once with `--dynamic`, array task 0 slowed on purpose.
# Checks that both give the same results at tolerance 0 and that `--tasks` above the cluster's
# MaxArraySize is refused, and prints the makespan (submission to the last task's end) of each.
#
# The slow task: the generated array.sbatch gets one line before its `exec`,
#   if [ "$SLURM_ARRAY_TASK_ID" = 0 ]; then export SEGSWEEP_SLOW_SECONDS=$SLOW; fi
# which makes that task's workers wait $SLOW seconds before each cell, as a slow node would.
# Usage (from the repo root): scripts/slurm-balance.sh path/to/sweep   (SLOW=1.5 by default)
set -uo pipefail
if [[ $# -ne 1 || ! -x $1 ]]; then
  echo "usage: $0 path/to/sweep-binary" >&2
  exit 2
fi
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SLOW=${SLOW:-1.5}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
pass=0
fail=0
ok() { echo "ok   - $*"; pass=$((pass + 1)); }
bad() { echo "FAIL - $*"; fail=$((fail + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }

STARTED=0
"$HERE/slurm-local.sh" status >/dev/null 2>&1 || STARTED=1
ENVFILE=$("$HERE/slurm-local.sh" up) || { echo "slurm balance: no local Slurm" >&2; exit 1; }
# shellcheck disable=SC1090
source "$ENVFILE"
T=$(mktemp -d /tmp/segsweep-slurm-balance.XXXXXX)
chmod 755 "$T"
cleanup() {
  [[ $STARTED -eq 1 ]] && "$HERE/slurm-local.sh" down >/dev/null 2>&1
  [[ ${KEEP_TMP:-0} == 1 ]] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
cat >"$T/balance.yaml" <<'YAML'
name: balance
description: A heterogeneous grid for the dynamic balancing test.
grid:
  iterations: [200, 400, 800, 1600, 3200]
seeds: 2
fixed:
  eval_every: 100
  eval_images: 20
YAML

wait_job() {
  while [[ -n $(squeue -h -j "$1" 2>/dev/null) ]]; do sleep 0.2; done
}

declare -A MAKESPAN
for mode in static dynamic; do
  flag=()
  [[ $mode == dynamic ]] && flag=(--dynamic)
  "$BIN" slurm "$T/balance.yaml" --tasks 3 --results "$T/$mode" "${flag[@]}" >/dev/null 2>&1
  script="$T/$mode/balance/slurm/array.sbatch"
  sed -i "s|^exec |if [ \"\$SLURM_ARRAY_TASK_ID\" = 0 ]; then export SEGSWEEP_SLOW_SECONDS=$SLOW; fi\nexec |" "$script"
  start=$(date +%s.%N)
  job=$(sbatch --parsable "$script")
  wait_job "$job"
  end=$(date +%s.%N)
  MAKESPAN[$mode]=$(echo "$end - $start" | bc)
  "$BIN" merge "$T/$mode/balance" "$T/balance.yaml" >/dev/null 2>&1
  check "$mode: all 10 cells done and verified" "$BIN" verify "$T/$mode/balance"
done
check "dynamic equals static at tolerance 0" "$BIN" diff --tolerance 0 "$T/static/balance" "$T/dynamic/balance"
check "dynamic: no claim left behind" test -z "$(ls "$T/dynamic/balance/claims")"
limit=$(scontrol show config | awk '$1 == "MaxArraySize" {print $3}')
"$BIN" slurm "$T/balance.yaml" --tasks $((limit + 1)) --results "$T/big" >"$T/big.out" 2>&1
code=$?
check "--tasks $((limit + 1)) above MaxArraySize $limit is refused (exit 2)" bash -c "test $code -eq 2 && grep -q 'more than this cluster.s MaxArraySize of $limit' '$T/big.out'"
printf 'makespan, 3 tasks (task 0 slowed by %ss per cell), 10 cells: static %.1f s, dynamic %.1f s\n' \
  "$SLOW" "${MAKESPAN[static]}" "${MAKESPAN[dynamic]}"
echo "slurm balance: $pass passed, $fail failed"
[[ $fail -eq 0 ]]
