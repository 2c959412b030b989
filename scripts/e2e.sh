#!/usr/bin/env bash
# Slow end-to-end checks through the real binary (`make e2e`; CI runs it): the smoke sweep via
# `make sweep`, verify, rerun by prefix (release and debug builds), merge/status from the
# recorded sweep, --jobs 1 vs 2, resume after SIGKILL, crash isolation (abort, SIGSEGV), the
# watchdog, pipes not shared between workers, Ctrl-C, a full disk (tmpfs, as root), the results
# lock, bad input, verify/diff/rerun/run on corrupted copies, report, the variant loop (add a θ,
# run, diff, report per spec), diff --logs, the Makefile's SET, the determinism envelope, and
# dynamic balancing (two runs sharing a directory, a stopped run's claim taken over), and the
# failure ledger with --retries (a worker killed from outside).
set -uo pipefail
BIN=$(readlink -f "${1:-.build/release/sweep}")
DEBUG_BIN=$(readlink -f .build/debug/sweep 2>/dev/null || true)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { echo "ok   - $*"; pass=$((pass + 1)); }
bad() { echo "FAIL - $*"; fail=$((fail + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
short() { basename "$1" .json | cut -c1-12; }

# 1. make sweep on the smoke grid through the real binary.
if make --no-print-directory sweep SWEEP=sweeps/smoke.yaml RESULTS="$T/a" JOBS=2 >"$T/sweep.out" 2>&1; then
  ok "make sweep SWEEP=sweeps/smoke.yaml"
else
  bad "make sweep SWEEP=sweeps/smoke.yaml"; cat "$T/sweep.out"
fi
A="$T/a/smoke"
check "manifest, summaries and cells written" test -s "$A/manifest.json" -a -s "$A/summary.md" -a -s "$A/summary.csv"
check "summary printed" grep -q "±\|mean" "$T/sweep.out"
check "verify: clean result directory" "$BIN" verify "$A"
check "summary verb" "$BIN" summary "$A"
check "plan shows every cell done" bash -c "'$BIN' plan sweeps/smoke.yaml --results '$T/a' | grep -q ' 0 to run'"

# 2. rerun a cell by prefix: bit-for-bit, in this build and in the other build configuration.
cell=$(ls "$A"/cells/*.json | head -1)
prefix=$(short "$cell" | cut -c1-8)
check "rerun by prefix reproduces bit-for-bit (release)" bash -c "'$BIN' rerun $prefix --results '$A' | grep -q 'reproduced bit-for-bit'"
if [ -x "$DEBUG_BIN" ]; then
  check "rerun by prefix reproduces bit-for-bit (debug build)" bash -c "'$DEBUG_BIN' rerun $prefix --results '$A' | grep -q 'reproduced bit-for-bit'"
else
  bad "debug build missing at .build/debug/sweep (run make test first)"
fi
"$BIN" rerun ffffffffffff --results "$A" >/dev/null 2>&1; check "rerun of an unknown id exits 2" test $? -eq 2
check "rerun --results takes a results root too" bash -c "'$BIN' rerun $prefix --results '$T/a' | grep -q 'reproduced bit-for-bit'"
# 2b. The determinism envelope: rerun prints both envelopes and the verdict; verify counts the
#     distinct envelopes. A copy whose cell says it was made on another CPU names what differs.
"$BIN" rerun $prefix --results "$A" >"$T/envelope.out" 2>&1
check "rerun prints both envelopes and the verdict" bash -c "grep -q '^made on:' '$T/envelope.out' && grep -q '^rerun on:' '$T/envelope.out' && grep -q 'reproduced bit-for-bit: made and rerun on .*same envelope' '$T/envelope.out'"
check "verify reports one envelope" bash -c "'$BIN' verify '$A' | grep -q 'made on 1 distinct envelope:'"
cp -r "$A" "$T/env-copy"
python3 - "$T/env-copy/cells/$(basename "$cell")" <<'PY'
import json, sys
path = sys.argv[1]
m = json.load(open(path))
m["run"]["envelope"].update(cpu_vendor="AuthenticAMD", cpu_model="AMD EPYC 7B13", cpu_flags=["avx2", "fma"])
open(path, "w").write(json.dumps(m, indent=2) + "\n")
PY
check "rerun names the envelope parts that differ" bash -c "'$BIN' rerun $prefix --results '$T/env-copy' | grep -q 'reproduced bit-for-bit: made on AMD EPYC 7B13 (avx2), rerun on .*(envelope differs in cpu_vendor, cpu_model, cpu_flags)'"
check "verify reports two envelopes" bash -c "'$BIN' verify '$T/env-copy' | grep -q 'made on 2 distinct envelopes:'"
cp "$A/manifest.json" "$T/manifest.before"
check "merge with no sweep file uses the recorded sweep" "$BIN" merge "$A"
check "merge with no sweep file rewrites the same manifest" cmp -s "$A/manifest.json" "$T/manifest.before"
"$BIN" merge "$A" sweeps/smoke.yaml --set iterations=7 >"$T/merge-other.out" 2>&1
code=$?
check "merge of another sweep is refused (exit 2), the manifest untouched" bash -c "test $code -eq 2 && cmp -s '$A/manifest.json' '$T/manifest.before'"
check "status with no sweep file" bash -c "'$BIN' status '$A' | grep -q 'all cells done'"

# 3. --jobs 1 and --jobs 2 give identical manifests apart from run sections.
"$BIN" run sweeps/smoke.yaml --results "$T/b" --jobs 1 --quiet 2>/dev/null
check "jobs 1 vs jobs 2: identical manifests" "$BIN" diff "$A" "$T/b/smoke"
check "jobs 1 vs jobs 2: identical step logs" bash -c "cd '$A/cells' && for f in *.ndjson.gz; do cmp -s \"\$f\" '$T/b/smoke/cells/'\"\$f\" || exit 1; done"

# 4. SIGKILL mid-sweep (the whole process group, as a killed job would be), then resume: no
#    half-done cell, only the rest runs, and the result equals an uninterrupted run.
set -m
"$BIN" run sweeps/ci.yaml --results "$T/k" --jobs 2 --quiet >/dev/null 2>&1 &
pid=$!
set +m
for _ in $(seq 1 400); do
  n=$(ls "$T/k/ci/cells/"*.json 2>/dev/null | wc -l)
  [ "$n" -ge 3 ] && break
  sleep 0.05
done
kill -9 -- -"$pid" 2>/dev/null; wait "$pid" 2>/dev/null
# The workers share the run's process group, so the kill reaches them too, wherever they are.
# Should one survive (it stops at its next progress tick or when its pipe closes), let it go
# first: wait until no worker of this binary is left (up to 30 s).
for _ in $(seq 1 300); do
  pgrep -f -- "$BIN worker" >/dev/null || break
  sleep 0.1
done
before=$(ls "$T/k/ci/cells/"*.json 2>/dev/null | wc -l)
"$BIN" status "$T/k/ci" >"$T/status-killed.out" 2>&1
check "status after SIGKILL: no cell of the dead run is called running" grep -q "^  running 0$" "$T/status-killed.out"
total=$("$BIN" plan sweeps/ci.yaml --results "$T/k" | head -1 | sed -E 's/.*: ([0-9]+) cells.*/\1/')
check "SIGKILL left some cells done and some not ($before of $total)" test "$before" -ge 1 -a "$before" -lt "$total"
"$BIN" verify "$T/k/ci" >"$T/verify-killed.out" 2>&1
grep -v '^[0-9]* problems\?$' "$T/verify-killed.out" | grep -v '^made on [0-9]* distinct envelopes\?:$' \
  | grep -v '^  [0-9]* cells\?: ' | grep -v 'manifest.json: missing sweep manifest' \
  | grep -v ': cell of the sweep not done: ' \
  | grep -v 'ndjson.gz: step log without manifest: .*an interrupted run' >"$T/verify-killed.unexpected"
# A kill that lands between a cell's two renames (step log, then manifest) leaves a step log
# without its manifest: a cell that is not done, which the resume below redoes.
check "SIGKILL left no half-done cell (verify finds only the missing sweep manifest, cells and interrupted logs)" \
  test ! -s "$T/verify-killed.unexpected"
[ -s "$T/verify-killed.unexpected" ] && sed 's/^/    /' "$T/verify-killed.unexpected"
stat -c '%n %Y' "$T/k/ci/cells/"*.json > "$T/mtimes.before"
"$BIN" run sweeps/ci.yaml --results "$T/k" --jobs 2 >"$T/resume.out" 2>&1
check "resume ran only the missing cells" grep -q "$before already done, $((total - before)) to run" "$T/resume.out"
check "resume removed the temporary files of the killed run" bash -c "! ls '$T/k/ci/cells/' | grep -q '\.tmp$'"
ls "$T/k/ci/cells/" | grep '\.tmp$' | sed 's/^/    left: /'
check "resume left finished cells untouched" bash -c "stat -c '%n %Y' \$(cut -d' ' -f1 '$T/mtimes.before') | cmp -s - '$T/mtimes.before'"
"$BIN" run sweeps/ci.yaml --results "$T/full" --jobs 2 --quiet 2>/dev/null
check "resumed sweep equals an uninterrupted one" "$BIN" diff "$T/k/ci" "$T/full/ci"
check "resumed sweep verifies" "$BIN" verify "$T/k/ci"
check "golden: the CI sweep matches results/golden/ci" "$BIN" diff results/golden/ci/manifest.json "$T/full/ci"

# 5. A crashing worker fails only its cell; a rerun retries it.
victim=$(short "$(ls "$A"/cells/*.json | tail -1)")
SEGSWEEP_CRASH_CELL=$victim "$BIN" run sweeps/smoke.yaml --results "$T/c" --jobs 2 --quiet >"$T/crash.out" 2>&1
code=$?
check "crashed worker: run exits 1" test $code -eq 1
check "crashed worker: the failure names the cell" grep -q "$victim" "$T/crash.out"
check "crashed worker: the other cells are done" test "$(ls "$T/c/smoke/cells/"*.json | wc -l)" -eq "$(($(ls "$A"/cells/*.json | wc -l) - 1))"
"$BIN" status "$T/c/smoke" sweeps/smoke.yaml >"$T/status.out" 2>&1
check "status reports the failed cell and the rerun command" bash -c "grep -q 'failed' '$T/status.out' && grep -q 'sweep run' '$T/status.out'"
"$BIN" run sweeps/smoke.yaml --results "$T/c" --jobs 2 --quiet >/dev/null 2>&1
check "crashed worker: a rerun retries the cell" "$BIN" diff "$A" "$T/c/smoke"

# 5b. A worker killed by SIGSEGV ends at once (no Swift backtracer holding it) and its cell
#     fails with the signal; a worker that stops (SIGSTOP) is killed by the watchdog.
SEGSWEEP_CRASH_CELL=$victim SEGSWEEP_CRASH_SIGNAL=SEGV "$BIN" run sweeps/smoke.yaml --results "$T/s" --jobs 2 --quiet >"$T/segv.out" 2>&1
code=$?
check "SIGSEGV worker: run exits 1" test $code -eq 1
check "SIGSEGV worker: the cell failed with signal 11" grep -q "cell $victim failed: worker crashed (killed by signal 11 (SIGSEGV" "$T/segv.out"
check "SIGSEGV worker: the other cells are done" test "$(ls "$T/s/smoke/cells/"*.json | wc -l)" -eq "$(($(ls "$A"/cells/*.json | wc -l) - 1))"
SEGSWEEP_STOP_CELL=$victim SEGSWEEP_STALL_SECONDS=3 "$BIN" run sweeps/smoke.yaml --results "$T/w" --jobs 2 --quiet >"$T/stall.out" 2>&1
code=$?
check "stopped worker: the watchdog fails the cell as stalled, exit 1" bash -c "test $code -eq 1 && grep -q 'cell $victim failed: stalled' '$T/stall.out'"
check "stopped worker: status shows the cell failed as stalled" bash -c "'$BIN' status '$T/w/smoke' | grep -q 'failed: stalled'"

# 5c. Sibling workers hold no pipe of each other (each pipe end is close-on-exec).
set -m
"$BIN" run sweeps/smoke.yaml --results "$T/f" --jobs 2 --set iterations=3000 --quiet >"$T/int.out" 2>&1 &
pid=$!
set +m
workers=""
for _ in $(seq 1 200); do
  workers=$(ps -o pid= --ppid "$pid" 2>/dev/null | tr -d ' ')
  [ "$(echo "$workers" | grep -c .)" -ge 2 ] && break
  sleep 0.05
done
own=""
for w in $workers; do own="$own $(readlink /proc/"$w"/fd/0 /proc/"$w"/fd/1 2>/dev/null)"; done
leaks=0
for w in $workers; do
  mine="$(readlink /proc/"$w"/fd/0 /proc/"$w"/fd/1 2>/dev/null)"
  for fd in /proc/"$w"/fd/*; do
    n=$(basename "$fd"); [ "$n" -le 2 ] && continue
    target=$(readlink "$fd" 2>/dev/null) || continue
    case "$target" in pipe:*) ;; *) continue ;; esac
    if echo "$own" | grep -qF "$target" && ! echo "$mine" | grep -qF "$target"; then leaks=$((leaks + 1)); fi
  done
done
check "two workers seen ($(echo "$workers" | grep -c .)), neither holds the other's pipes ($leaks leaked)" test "$(echo "$workers" | grep -c .)" -ge 2 -a "$leaks" -eq 0

# 5d. Ctrl-C (SIGINT): says what finished and how to resume; no cell is marked failed.
for _ in $(seq 1 400); do [ "$(ls "$T/f/smoke/cells/"*.json 2>/dev/null | wc -l)" -ge 1 ] && break; sleep 0.05; done
kill -INT "$pid"; wait "$pid"; code=$?
check "Ctrl-C: exit 130" test $code -eq 130
check "Ctrl-C: prints what finished and the command that resumes" bash -c "grep -q 'interrupted: [0-9]* of 6 cells done, [0-9]* left; resume with:' '$T/int.out' && grep -q 'sweep run sweeps/smoke.yaml --results $T/f --set iterations=3000' '$T/int.out'"
check "Ctrl-C: no cell marked failed" bash -c "! ls '$T/f/smoke/cells/' | grep -q '\.failed$'"

# 5e. A full disk: the run stops starting cells, keeps the finished ones, says so, exits 1.
if [ "$(id -u)" -eq 0 ] && mkdir -p "$T/full" && mount -t tmpfs -o size=80k tmpfs "$T/full" 2>/dev/null; then
  printf 'name: df\ngrid:\n  loss: [cce, dice, dicefg, dice_square]\nseeds: 2\nfixed: {iterations: 150, image_size: 8, eval_images: 4, eval_every: 10}\n' >"$T/df.yaml"
  "$BIN" run "$T/df.yaml" --results "$T/full" --jobs 2 --quiet >"$T/df.out" 2>&1
  code=$?
  done_cells=$(ls "$T/full/df/cells/"*.json 2>/dev/null | wc -l)
  check "disk full: exit 1 and one clear line" bash -c "test $code -eq 1 && grep -q 'disk full at $T/full/df.*: $done_cells cells done, $((8 - done_cells)) left; free space and run the same command' '$T/df.out'"
  check "disk full: no flood of per-cell errors" test "$(grep -c 'No space left' "$T/df.out")" -le 2
  check "disk full: the finished cells are intact" bash -c "'$BIN' status '$T/full/df' | grep -q '^  done    $done_cells$'"
  umount "$T/full"
else
  echo "skip - disk full (needs root and a tmpfs mount)"
fi

# 6. Two runs on the same results directory: the second is refused with a clear message.
"$BIN" run sweeps/ci.yaml --results "$T/l" --jobs 1 --quiet >/dev/null 2>&1 &
first=$!
for _ in $(seq 1 100); do [ -f "$T/l/ci/.lock" ] && break; sleep 0.05; done
sleep 0.2
"$BIN" run sweeps/ci.yaml --results "$T/l" --jobs 1 --quiet >"$T/lock.out" 2>&1
code=$?
kill "$first" 2>/dev/null; wait "$first" 2>/dev/null
check "second run on the same results: exit 2" test $code -eq 2
check "second run on the same results: says who holds the lock" grep -q "pid" "$T/lock.out"

# 7. Bad input: file:line:column, exit 2, nothing written.
printf 'name: bad\ngrid:\n  theta: [0.5, 1.5]\n' > "$T/bad.yaml"
"$BIN" run "$T/bad.yaml" --results "$T/bad" >"$T/bad.out" 2>&1
code=$?
check "bad sweep file: exit 2" test $code -eq 2
check "bad sweep file: file:line:column" grep -q "bad.yaml:3:" "$T/bad.out"
check "bad sweep file: nothing written" test ! -e "$T/bad"
"$BIN" train thetta=0.5 >"$T/train.out" 2>&1
code=$?
check "train with an unknown key: exit 2 and a did-you-mean" bash -c "test $code -eq 2 && grep -q theta '$T/train.out'"

"$BIN" run sweeps/smoke.yaml --shard 3/3 --results "$T/bad" >"$T/shard.out" 2>&1
check "--shard 3/3: says shards are numbered from 0" grep -q "like SLURM_ARRAY_TASK_ID" "$T/shard.out"
"$BIN" run "$T" --results "$T/bad" >"$T/dir.out" 2>&1
code=$?
check "sweep file is a directory: exit 2, one sentence" bash -c "test $code -eq 2 && grep -q 'the sweep file is a directory' '$T/dir.out'"
mkfifo "$T/fifo"
timeout 10 "$BIN" run "$T/fifo" --results "$T/bad" >"$T/fifo.out" 2>&1
code=$?
check "sweep file is a FIFO: exit 2 at once" bash -c "test $code -eq 2 && grep -q 'not a regular file' '$T/fifo.out'"

# 8. verify and diff catch corrupted copies.
corrupt() { rm -rf "$T/x"; cp -r "$A" "$T/x"; }
gz=$(ls "$T/a/smoke/cells/"*.ndjson.gz | head -1); name=$(basename "$gz")
corrupt; printf '\xff' | dd of="$T/x/cells/$name" bs=1 seek=40 conv=notrunc 2>/dev/null
check "verify catches a flipped byte" bash -c "! '$BIN' verify '$T/x' >/dev/null"
corrupt; truncate -s 30 "$T/x/cells/$name"
check "verify catches a truncated step log" bash -c "! '$BIN' verify '$T/x' >/dev/null"
"$BIN" rerun "${name:0:12}" --results "$T/x" >"$T/rerun-trunc.out" 2>&1
code=$?
check "rerun of a truncated log: says it is unreadable and why, exit 1" bash -c "test $code -eq 1 && grep -q 'the stored step log is unreadable: gzip stream is truncated' '$T/rerun-trunc.out' && grep -q 'gzip sha256 on disk' '$T/rerun-trunc.out'"
corrupt; sed -i -E '0,/"final_accuracy": [0-9.e-]+/s//"final_accuracy": 0.123/' "$T/x/cells/${name%.ndjson.gz}.json"
mkdir -p "$T/x-root"; cp -r "$T/x" "$T/x-root/smoke"
"$BIN" run sweeps/smoke.yaml --results "$T/x-root" >"$T/damaged.out" 2>&1
check "an edited metric: run names the damaged cell and redoes it" bash -c "grep -q 'cell ${name:0:12} is damaged (metrics mismatch: final_accuracy manifest 0.123' '$T/damaged.out' && ! grep -q 0.123 '$T/x-root/smoke/manifest.json'"
corrupt; rm "$T/x/cells/$name"
check "verify catches a deleted step log" bash -c "! '$BIN' verify '$T/x' >/dev/null"
corrupt; sed -i -E '0,/"final_accuracy": [0-9.e-]+/s//"final_accuracy": 0.123/' "$T/x/manifest.json"
check "verify catches an edited metric" bash -c "! '$BIN' verify '$T/x' >/dev/null"
check "diff catches an edited metric" bash -c "'$BIN' diff '$A' '$T/x' >/dev/null; test \$? -eq 1"

# 9. The report: files written, byte-identical when generated twice, claims printed.
"$BIN" report "$A" >/dev/null && cp -r "$A/report" "$T/report1" && "$BIN" report "$A" >/dev/null
check "report written" test -s "$A/report/index.html"
check "report is byte-identical when generated twice" diff -r "$A/report" "$T/report1"
check "claims table" "$BIN" claims "$A"

# 10. The variant loop: add a θ, run, diff, verify and report per spec; one cell store.
"$BIN" run sweeps/smoke.yaml --results "$T/a" --set 'theta=[0.05, 0.5, 0.25]' --jobs 2 >"$T/variant.out" 2>&1
check "variant: run notes the folder's other spec" grep -q "holds another spec's manifest" "$T/variant.out"
check "variant: only the new θ runs" grep -q "6 already done, 3 to run" "$T/variant.out"
"$BIN" run sweeps/smoke.yaml --results "$T/a" --jobs 2 --quiet >/dev/null 2>&1
check "variant: verify counts the variant's cells as the variant's" "$BIN" verify "$A"
check "variant: one manifest per spec" test "$(ls "$A"/manifests/*.json | wc -l)" -eq 2
V=""; for f in "$A"/manifests/*.json; do cmp -s "$f" "$A/manifest.json" || V=$f; done
"$BIN" diff "$A" "$V" >"$T/vdiff.out"
check "variant: diff names the added θ" grep -q "only in B: 3 cells (theta 0.25)" "$T/vdiff.out"
"$BIN" report "$A" --spec "$(basename "$V" .json | cut -c1-8)" >/dev/null 2>&1
check "variant: report per spec" test -s "$A/report/$(basename "$V" .json)/index.html"
"$BIN" run sweeps/smoke.yaml --results "$T/lr" --set learning_rate=0.01 --jobs 2 --quiet >/dev/null 2>&1
"$BIN" diff "$A" "$T/lr/smoke" >"$T/lrdiff.out"
check "diff pairs cells by the rest of their config" grep -q "learning_rate 0.001 → 0.01: 6 cells" "$T/lrdiff.out"
corrupt; printf '\xff' | dd of="$T/x/cells/$name" bs=1 seek=40 conv=notrunc 2>/dev/null
"$BIN" diff "$A" "$T/x" --logs >"$T/logdiff.out" 2>&1
code=$?
check "diff --logs catches a flipped byte the manifests cannot" bash -c "test $code -eq 1 && '$BIN' diff '$A' '$T/x' >/dev/null"
"$BIN" diff "$A" "$T/x" --tolerance final_acc=1 >"$T/tol.out" 2>&1
code=$?
check "diff: a bad tolerance exits 2 and names the flag" bash -c "test $code -eq 2 && grep -q -- '--tolerance final_acc=1: unknown metric' '$T/tol.out'"

# 11. The Makefile: SET values with spaces, RESULTS as the root for rerun too.
make --no-print-directory sweep SWEEP=sweeps/smoke.yaml RESULTS="$T/m" JOBS=2 SET='theta=[0.5, 0.05]; iterations=201' >"$T/make-set.out" 2>&1
check "make sweep SET='theta=[0.5, 0.05]; iterations=201' equals the smoke sweep" "$BIN" diff "$T/m/smoke" "$T/b/smoke"
check "make rerun RESULTS=<root> finds the cell" bash -c "make --no-print-directory rerun CELL=$prefix RESULTS='$T/m' | grep -q 'reproduced bit-for-bit'"

# 12. Dynamic balancing: two `run --dynamic` on one directory share the cells and equal a static
#     run at tolerance 0. A stopped run's claim expires (SEGSWEEP_LEASE_SECONDS) and is taken
#     over; when the stopped run resumes it finishes its cell with the same bytes.
( "$BIN" run sweeps/smoke.yaml --results "$T/dyn" --jobs 1 --dynamic --quiet >"$T/dyn1.out" 2>&1 &
  "$BIN" run sweeps/smoke.yaml --results "$T/dyn" --jobs 1 --dynamic --quiet >"$T/dyn2.out" 2>&1; wait )
check "two dynamic runs: the sweep equals a static run at tolerance 0" "$BIN" diff --tolerance 0 "$A" "$T/dyn/smoke"
check "two dynamic runs: identical step logs" bash -c "cd '$T/dyn/smoke/cells' && for f in *.ndjson.gz; do cmp -s \"\$f\" '$A/cells/'\"\$f\" || exit 1; done"
check "two dynamic runs: no claim left behind" bash -c "test -z \"\$(ls '$T/dyn/smoke/claims')\""
set -m
SEGSWEEP_STALL_SECONDS=900 "$BIN" run sweeps/smoke.yaml --results "$T/lease" --jobs 1 --dynamic --quiet >"$T/lease1.out" 2>&1 &
stopped=$!
set +m
for _ in $(seq 1 400); do [ -n "$(ls "$T/lease/smoke/claims" 2>/dev/null)" ] && break; sleep 0.05; done
kill -STOP -- -"$stopped"
held=$(ls "$T/lease/smoke/claims" | head -1)
sleep 3
SEGSWEEP_LEASE_SECONDS=2 "$BIN" run sweeps/smoke.yaml --results "$T/lease" --jobs 1 --dynamic --quiet >"$T/lease2.out" 2>&1
code=$?
check "an expired claim is taken over: the second run finishes the sweep (exit $code)" bash -c "test $code -eq 0 && test -s '$T/lease/smoke/cells/$held.json'"
kill -CONT -- -"$stopped"
wait "$stopped"
check "the stopped run resumes, finishes its cell and exits 0" test $? -eq 0
check "taken-over sweep equals a static run at tolerance 0, and verifies" bash -c "'$BIN' diff --tolerance 0 '$A' '$T/lease/smoke' >/dev/null && '$BIN' verify '$T/lease/smoke' >/dev/null"
"$BIN" run sweeps/smoke.yaml --results "$T/x" --dynamic --shard 0/2 >/dev/null 2>&1
check "--dynamic with --shard is refused (exit 2)" test $? -eq 2

# 13. The failure ledger and --retries: a worker killed from outside mid-cell is retried; both
#     attempts are in attempts/<id>.ndjson and in `status`, and the cell's bytes are what one
#     attempt makes (rerun reproduces them bit-for-bit). A cell that always crashes is tried
#     1 + N times and then fails; a diverged cell is never retried (unit tests).
ONE=(--set 'loss=[cce]' --set 'theta=[0.5]' --set "iterations=${E2E_KILL_ITERATIONS:-1001}")
set -m
"$BIN" run sweeps/smoke.yaml --results "$T/r" --jobs 1 --retries 1 "${ONE[@]}" --quiet >"$T/retry.out" 2>&1 &
runner=$!
set +m
worker=""
for _ in $(seq 1 600); do
  worker=$(ps -o pid= --ppid "$runner" 2>/dev/null | tr -d ' ' | head -1)
  [ -n "$worker" ] && ls "$T/r/smoke/cells/" 2>/dev/null | grep -q '\.tmp$' && break
  sleep 0.05
done
kill -KILL "$worker"
wait "$runner"
code=$?
killed=$(ls "$T/r/smoke/attempts/" | head -1 | cut -c1-12)
check "killed worker with --retries 1: the run retries the cell and exits 0 ($code)" test "$code" -eq 0
check "the ledger holds the killed attempt (signal 9, retried) and the ok one" bash -c "test \$(wc -l <'$T/r/smoke/attempts/$killed'*.ndjson) -eq 2 && head -1 '$T/r/smoke/attempts/$killed'*.ndjson | grep -q '\"outcome\":\"failed\".*\"retried\":true,\"signal\":9' && tail -1 '$T/r/smoke/attempts/$killed'*.ndjson | grep -q '\"outcome\":\"ok\"'"
check "status shows the attempts" bash -c "'$BIN' status '$T/r/smoke' | grep -q '1. failed (killed by signal 9 (SIGKILL: Killed)) on .*, retried'"
check "the retried cell reproduces bit-for-bit" bash -c "'$BIN' rerun $killed --results '$T/r' | grep -q 'reproduced bit-for-bit'"
SEGSWEEP_CRASH_CELL=$victim "$BIN" run sweeps/smoke.yaml --results "$T/c2" --jobs 2 --retries 2 --quiet >"$T/crash2.out" 2>&1
code=$?
check "a cell that always crashes is tried 3 times with --retries 2, then fails (exit 1)" bash -c "test $code -eq 1 && test \$(wc -l <'$T/c2/smoke/attempts/$victim'*.ndjson) -eq 3"
check "status shows its 3 attempts and the worker's last stderr line" bash -c "'$BIN' status '$T/c2/smoke' | grep -q '$victim  3 attempts:' && '$BIN' status '$T/c2/smoke' | grep -q 'stderr: sweep worker: crashing on cell $victim'"
"$BIN" report "$T/r/smoke" >/dev/null 2>&1
check "the report's cell table shows attempts" bash -c "grep -q '<th>attempts</th>' '$T/r/smoke/report/'*.html 2>/dev/null || grep -rq '<th>attempts</th>' '$T/r/smoke/report'"

echo
echo "e2e: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
