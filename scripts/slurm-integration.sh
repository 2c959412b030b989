#!/usr/bin/env bash
# Integration test of `sweep slurm` against a real single-node Slurm (scripts/slurm-local.sh):
# results from an array job must equal a local run, and a cancelled task must be recoverable.
# Usage (from the repo root): scripts/slurm-integration.sh path/to/sweep
# Environment: SLURM_INTEGRATION_TIMEOUT (seconds to wait for a job, default 900),
#              KEEP_TMP=1 keeps the temporary directory.
set -uo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 path/to/sweep-binary" >&2
  exit 2
fi
SWEEP_BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
if [[ ! -x $SWEEP_BIN ]]; then
  echo "slurm integration: $1 is not an executable sweep binary" >&2
  exit 1
fi
SPEC_SOURCE=sweeps/smoke.yaml
NAME=smoke
if [[ ! -f $SPEC_SOURCE ]]; then
  echo "slurm integration: $SPEC_SOURCE not found; run from the repository root" >&2
  exit 1
fi
TIMEOUT="${SLURM_INTEGRATION_TIMEOUT:-900}"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

PASSED=0
FAILED=0
pass() {
  PASSED=$((PASSED + 1))
  echo "ok   - $*"
}
fail() {
  FAILED=$((FAILED + 1))
  echo "FAIL - $*"
}
# check "description" command...: runs the command and counts a pass when it exits 0.
check() {
  local what=$1
  shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
# check_fails "description" command...: counts a pass when the command exits non-zero.
check_fails() {
  local what=$1
  shift
  if "$@"; then fail "$what"; else pass "$what"; fi
}
finish() {
  echo "slurm integration: $PASSED passed, $FAILED failed"
  [[ $FAILED -eq 0 && $PASSED -gt 0 ]]
}

# --- bring Slurm up; tear down on exit only what this script brought up --------------------
STARTED_SLURM=0
T=""
cleanup() {
  local rc=$?
  if [[ $STARTED_SLURM -eq 1 ]]; then "$HERE/slurm-local.sh" down >/dev/null 2>&1 || true; fi
  if [[ -n $T && -d $T ]]; then
    if [[ ${KEEP_TMP:-0} == 1 || $rc -ne 0 ]]; then
      echo "slurm integration: kept $T for inspection"
    else
      rm -rf "$T"
    fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! "$HERE/slurm-local.sh" status >/dev/null 2>&1; then
  STARTED_SLURM=1
fi
if ! ENVFILE=$("$HERE/slurm-local.sh" up); then
  echo "slurm integration: could not install or start a local Slurm (see the messages above);" \
    "the Slurm integration test did not run" >&2
  exit 1
fi
# shellcheck disable=SC1090
source "$ENVFILE"
for tool in sbatch squeue scancel scontrol; do
  command -v "$tool" >/dev/null || {
    echo "slurm integration: $tool is missing after slurm-local.sh up" >&2
    exit 1
  }
done

T=$(mktemp -d /tmp/segsweep-slurm-it.XXXXXX)
chmod 755 "$T"
# Every step reads one snapshot of the spec, so an edit to the repo mid-test cannot change cells.
SPEC="$T/$NAME.yaml"
cp "$SPEC_SOURCE" "$SPEC"

# --- helpers ---------------------------------------------------------------------------------
# Waits until none of the given job ids is pending or running; fails after $TIMEOUT seconds.
wait_jobs() {
  local ids out err start=$SECONDS
  ids=$(
    IFS=,
    echo "$*"
  )
  while :; do
    err=$(mktemp)
    if out=$(squeue -h -j "$ids" 2>"$err"); then
      [[ -z $out ]] && {
        rm -f "$err"
        return 0
      }
    elif grep -q "Invalid job id" "$err"; then
      rm -f "$err"
      return 0 # already purged from slurmctld's memory: long finished
    else
      echo "squeue failed: $(cat "$err")" >&2
    fi
    rm -f "$err"
    if ((SECONDS - start > TIMEOUT)); then
      echo "jobs $ids still queued after ${TIMEOUT}s:" >&2
      squeue -j "$ids" >&2 || true
      return 1
    fi
    sleep 1
  done
}

# Prints "<array task id or -> <state>" for each record of a job, e.g. "0 COMPLETED".
job_states() {
  scontrol -o show job "$1" 2>/dev/null | awk '{
    task = "-"; state = "?"
    for (i = 1; i <= NF; i++) {
      if ($i ~ /^ArrayTaskId=/) task = substr($i, 13)
      if ($i ~ /^JobState=/) state = substr($i, 10)
    }
    print task, state
  }' | sort
}

# Submits with `sweep slurm ... --submit`; sets ARRAY_ID and MERGE_ID from its output.
submit() {
  local out
  ARRAY_ID=""
  MERGE_ID=""
  if ! out=$("$SWEEP_BIN" slurm "$SPEC" "$@" --submit 2>&1); then
    echo "$out" >&2
    return 1
  fi
  indent "| " "$out"
  ARRAY_ID=$(echo "$out" | sed -n 's/^array job: *\([0-9][0-9]*\).*$/\1/p' | tail -n1)
  MERGE_ID=$(echo "$out" | sed -n 's/^merge job: *\([0-9][0-9]*\).*$/\1/p' | tail -n1)
  [[ -n $ARRAY_ID && -n $MERGE_ID ]]
}

count_cells() { find "$1/cells" -maxdepth 1 -name '*.json' 2>/dev/null | wc -l; }

# Inode and modification time of every cell manifest: a rewrite (temp file + rename) changes both.
manifest_stamps() { find "$1/cells" -maxdepth 1 -name '*.json' -printf '%f %i %T@\n' | sort; }

quietly() { "$@" >/dev/null 2>&1; }

# Prints text with every line indented under the check it belongs to.
indent() {
  local line
  while IFS= read -r line; do printf '    %s%s\n' "$1" "$line"; done <<<"$2"
}

# --- (a) local reference, and which shards of 3 hold cells ----------------------------------
echo "# (a) local reference run"
check "local run of $SPEC" quietly "$SWEEP_BIN" run "$SPEC" --results "$T/local" --jobs 2 --quiet
TOTAL=$(count_cells "$T/local/$NAME")
check "local run wrote cell manifests ($TOTAL)" test "$TOTAL" -gt 0

# Run the shards one after another locally, counting what each adds: this finds a shard with
# cells to cancel later, and checks that the three shards together make the whole sweep.
SHARD_CELLS=()
for i in 0 1 2; do
  before=$(count_cells "$T/shards/$NAME")
  "$SWEEP_BIN" run "$SPEC" --shard "$i/3" --results "$T/shards" --jobs 2 --quiet >/dev/null 2>&1 ||
    fail "local run of shard $i/3"
  SHARD_CELLS[i]=$(($(count_cells "$T/shards/$NAME") - before))
done
echo "    cells per shard: ${SHARD_CELLS[*]}"
check "shards 0/3, 1/3, 2/3 together hold every cell" \
  test "$((SHARD_CELLS[0] + SHARD_CELLS[1] + SHARD_CELLS[2]))" -eq "$TOTAL"
check "merge of the locally sharded run succeeds" quietly "$SWEEP_BIN" merge "$T/shards/$NAME" "$SPEC"
check "locally sharded run equals the local run" \
  quietly "$SWEEP_BIN" diff "$T/local/$NAME" "$T/shards/$NAME"

# --- (b) array job + merge job ---------------------------------------------------------------
echo "# (b) sweep slurm --tasks 3 --submit"
if submit --tasks 3 --results "$T/slurm"; then
  pass "submitted array job $ARRAY_ID and merge job $MERGE_ID"
  check "array and merge jobs finished within ${TIMEOUT}s" wait_jobs "$ARRAY_ID" "$MERGE_ID"
  states=$(job_states "$ARRAY_ID")
  indent "array task " "$states"
  check "all 3 array tasks COMPLETED" \
    test "$(echo "$states" | grep -c ' COMPLETED$')" -eq 3
  check "merge job COMPLETED" test "$(job_states "$MERGE_ID")" = "- COMPLETED"
  LOGS="$T/slurm/$NAME/slurm/logs"
  check "merge job log exists (merge-$MERGE_ID.out)" test -f "$LOGS/merge-$MERGE_ID.out"
  check "array task logs exist" test -f "$LOGS/task-${ARRAY_ID}_0.out" -a \
    -f "$LOGS/task-${ARRAY_ID}_1.out" -a -f "$LOGS/task-${ARRAY_ID}_2.out"
  check "sweep manifest written by the merge job" test -f "$T/slurm/$NAME/manifest.json"
  check "sweep merge of the Slurm results exits 0" \
    quietly "$SWEEP_BIN" merge "$T/slurm/$NAME" "$SPEC"
  check "Slurm results equal the local run (sweep diff)" \
    "$SWEEP_BIN" diff "$T/local/$NAME" "$T/slurm/$NAME"
else
  fail "sweep slurm --submit printed 'array job: <id>' and 'merge job: <id>'"
fi

# --- (c) a cancelled task, then a rerun of just that shard -----------------------------------
echo "# (c) cancel one task, then rerun it"
TARGET=""
for i in 2 1; do
  if [[ ${SHARD_CELLS[i]:-0} -gt 0 ]]; then
    TARGET=$i
    break
  fi
done
if [[ -z $TARGET ]]; then
  fail "$SPEC needs cells in shard 1/3 or 2/3 for the cancellation test (cells per shard: ${SHARD_CELLS[*]})"
elif submit --tasks 3 --max-concurrent 1 --results "$T/cancel"; then
  pass "submitted array job $ARRAY_ID (one task at a time) and merge job $MERGE_ID"
  # With --max-concurrent 1 the target task cannot start before the tasks ahead of it end,
  # so it is still pending when the first task has just started.
  start=$SECONDS
  until job_states "$ARRAY_ID" | grep -qE '^0 (RUNNING|COMPLETING|COMPLETED|FAILED)$'; do
    ((SECONDS - start > TIMEOUT)) && break
    sleep 0.1
  done
  check "scancel ${ARRAY_ID}_$TARGET" scancel "${ARRAY_ID}_$TARGET"
  check "remaining jobs finished within ${TIMEOUT}s" wait_jobs "$ARRAY_ID" "$MERGE_ID"
  LOGS="$T/cancel/$NAME/slurm/logs"
  check "cancelled task $TARGET never ran (no task log)" \
    test ! -e "$LOGS/task-${ARRAY_ID}_$TARGET.out"
  check "merge job ran after the cancellation (afterany)" test -f "$LOGS/merge-$MERGE_ID.out"
  check "merge job failed: cells are missing" test "$(job_states "$MERGE_ID")" = "- FAILED"
  check_fails "sweep merge exits non-zero with cells missing" \
    quietly "$SWEEP_BIN" merge "$T/cancel/$NAME" "$SPEC"
  status_out=$("$SWEEP_BIN" status "$T/cancel/$NAME" "$SPEC" 2>&1)
  indent "| " "$status_out"
  check "sweep status reports missing cells" grep -qi missing <<<"$status_out"
  have=$(count_cells "$T/cancel/$NAME")
  check "exactly shard $TARGET's ${SHARD_CELLS[TARGET]} cells are missing" \
    test "$((TOTAL - have))" -eq "${SHARD_CELLS[TARGET]}"
  manifest_stamps "$T/cancel/$NAME" >"$T/stamps-before"

  # Rerun only the missing task, as docs/CLUSTER.md says: sbatch --array=<id> array.sbatch.
  if RERUN_ID=$(sbatch --parsable --array="$TARGET" "$T/cancel/$NAME/slurm/array.sbatch"); then
    RERUN_ID=${RERUN_ID%%;*}
    pass "resubmitted task $TARGET as job $RERUN_ID"
    check "rerun finished within ${TIMEOUT}s" wait_jobs "$RERUN_ID"
    check "rerun task COMPLETED" test "$(job_states "$RERUN_ID")" = "$TARGET COMPLETED"
  else
    fail "sbatch --array=$TARGET array.sbatch"
  fi
  manifest_stamps "$T/cancel/$NAME" >"$T/stamps-after"
  check "every cell is present after the rerun" test "$(count_cells "$T/cancel/$NAME")" -eq "$TOTAL"
  check "earlier cell manifests untouched (same inode and mtime)" \
    test -z "$(comm -23 "$T/stamps-before" "$T/stamps-after")"
  check "only the missing cells were written" \
    test "$(comm -13 "$T/stamps-before" "$T/stamps-after" | wc -l)" -eq "${SHARD_CELLS[TARGET]}"
  check "sweep merge exits 0 after the rerun" quietly "$SWEEP_BIN" merge "$T/cancel/$NAME" "$SPEC"
  check "recovered results equal the local run (sweep diff)" \
    "$SWEEP_BIN" diff "$T/local/$NAME" "$T/cancel/$NAME"
else
  fail "sweep slurm --max-concurrent 1 --submit printed both job ids"
fi

finish
