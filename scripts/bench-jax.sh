#!/usr/bin/env bash
# SegSweep against the jit-compiled JAX version of the reference cell (scripts/jax_reference.py),
# side by side on one core (`make bench-jax`): the cell cce, theta 0.95, Adam, with the paper
# sweep's fixed parameters, batch norm off and on, the two run alternately ROUNDS times, each
# pinned with `taskset -c $CORE`. Times are wall seconds of a process alone on its pinned core:
# SegSweep's whole `sweep train` process; JAX's run of all steps as it measures it (compile
# excluded) and its compile + run.
# The first run creates .build/jax-venv and installs jax and jaxlib (~90 MB from PyPI).
set -euo pipefail
BIN=$(readlink -f "${1:-.build/release/sweep}")
ROUNDS=${ROUNDS:-3}
STEPS=${STEPS:-10001}   # a smaller STEPS is for checking the script, not for its figures
CORE=${CORE:-0}
JAX_VERSION=0.10.2
HERE=$(cd "$(dirname "$0")" && pwd)
VENV=${JAX_VENV:-$HERE/../.build/jax-venv}
PYTHON=${PYTHON:-python3}

[ -x "$BIN" ] || { echo "bench-jax: no sweep binary at $BIN (run make build)" >&2; exit 2; }
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "bench-jax: ROUNDS must be a positive integer" >&2; exit 2; }
[[ $STEPS =~ ^[1-9][0-9]*$ ]] || { echo "bench-jax: STEPS must be a positive integer" >&2; exit 2; }
command -v taskset >/dev/null || { echo "bench-jax: taskset missing (util-linux)" >&2; exit 2; }

if ! "$VENV/bin/python" -c "import jax; assert jax.__version__ == '$JAX_VERSION'" 2>/dev/null; then
  echo "installing jax==$JAX_VERSION jaxlib==$JAX_VERSION into $VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q "jax==$JAX_VERSION" "jaxlib==$JAX_VERSION"
fi

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# The paper sweep's fixed parameters (sweeps/paper.yaml) and the reference cell's grid point.
CELL=(loss=cce theta=0.95 optimizer=adam iterations="$STEPS" batch_size=2 image_size=32
      learning_rate=0.001 eval_images=100 eval_every=250 track=all n_conv=2 filters=4 seed=1)

echo "CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1), one core (taskset -c $CORE)"
echo "cell: ${CELL[*]}; $ROUNDS rounds, SegSweep and JAX alternately"
for bn in off on; do
  flag=$([ $bn = on ] && echo true || echo false)
  for round in $(seq "$ROUNDS"); do
    t0=$(now)
    taskset -c "$CORE" "$BIN" train "${CELL[@]}" batch_norm=$flag > "$T/sweep-$bn-$round.txt"
    t1=$(now)
    awk "BEGIN {print $t1 - $t0}" >> "$T/sweep-$bn"
    taskset -c "$CORE" "$VENV/bin/python" "$HERE/jax_reference.py" --batch-norm $bn \
      --steps "$STEPS" > "$T/jax-$bn-$round.txt"
    compile=$(awk '$1 == "compile" {print $2}' "$T/jax-$bn-$round.txt")
    run=$(awk '$1 == "run" {print $2}' "$T/jax-$bn-$round.txt")
    [ -n "$compile" ] && [ -n "$run" ] || { echo "bench-jax: no timing in JAX's output:" >&2
      cat "$T/jax-$bn-$round.txt" >&2; exit 1; }
    echo "$run" >> "$T/jax-$bn"
    awk "BEGIN {print $compile + $run}" >> "$T/jax-total-$bn"
  done
  for tool in sweep jax; do   # the last round's summary, so a reader sees both train the task
    echo "--- $tool, batch norm $bn, last round:"
    grep -E '^(status|final accuracy)|^  cce ' "$T/$tool-$bn-$ROUNDS.txt"
  done
done

echo
echo "wall seconds for $STEPS steps (eval included), median of $ROUNDS; 'JAX s' excludes compile,"
echo "'JAX+compile s' includes it; JAX/SegSweep = JAX s / SegSweep s, how many times faster SegSweep is"
printf "%-28s %12s %10s %14s %12s\n" cell "SegSweep s" "JAX s" "JAX+compile s" "JAX/SegSweep"
for bn in off on; do
  s=$(median < "$T/sweep-$bn"); j=$(median < "$T/jax-$bn"); c=$(median < "$T/jax-total-$bn")
  printf "%-28s %12.2f %10.2f %14.2f %11.1fx\n" "cce theta 0.95 Adam, BN $bn" "$s" "$j" "$c" \
    "$(awk "BEGIN {print $j / $s}")"
done
