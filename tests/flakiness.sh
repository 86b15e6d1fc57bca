#!/bin/bash
# Flakiness (docs/safety.md, point 7).
#
#   tests/flakiness.sh N SOCKSPEC [CORPUS_DIR] [-- EXTRA CHECK OPTIONS]
#
# Runs `sockspec check --json CORPUS` N times and compares every run's
# per-scenario verdict with the first run's. A verdict is what a run
# decides, not what it prints: whether the model and the kernel agree, and
# the line numbers of failed expectations, divergences and skipped lines,
# and whether the scenario was stopped. Printed values (ephemeral ports, ss
# queues) are left out: they may differ from run to run by design.
# Prints the wall time and every scenario whose verdict changed; exits 1
# when any did, 2 when a run could not run at all (bad input, no oracle).
set -u
N=${1:?usage: flakiness.sh N SOCKSPEC [CORPUS_DIR] [-- EXTRA CHECK OPTIONS]}
SOCKSPEC=${2:?usage: flakiness.sh N SOCKSPEC [CORPUS_DIR] [-- EXTRA CHECK OPTIONS]}
CORPUS=${3:-$(dirname "$0")/../corpus}
shift $(( $# < 3 ? $# : 3 ))
[ "${1:-}" = "--" ] && shift

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sockspec-flakiness.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# one line per scenario: FILE agree=BOOL e=LINES d=LINES s=LINES stopped=BOOL
verdicts() {
  jq -r '"\(.file) agree=\(.agree) e=\([.expect_failures[].line] | join(","))" +
         " d=\([.divergences[].line] | join(",")) s=\(.skipped | join(","))" +
         " stopped=\(has("error"))"'
}

START=$(date +%s.%N)
for i in $(seq "$N"); do
  "$SOCKSPEC" check --json "$@" "$CORPUS" > "$WORK/raw" 2> "$WORK/err"
  status=$?
  if [ "$status" -ge 2 ]; then
    echo "run $i: sockspec check exited $status"; cat "$WORK/err"; exit 2
  fi
  verdicts < "$WORK/raw" | sort > "$WORK/run.$i"
done
END=$(date +%s.%N)

SCENARIOS=$(wc -l < "$WORK/run.1")
CHANGED=0
for i in $(seq 2 "$N"); do
  if ! diff -q "$WORK/run.1" "$WORK/run.$i" > /dev/null; then
    echo "run $i differs from run 1:"
    diff "$WORK/run.1" "$WORK/run.$i" | grep '^[<>]' | sed 's/^/    /'
    CHANGED=$((CHANGED + 1))
  fi
done
# which scenarios ever changed, and how often each verdict was seen
if [ "$CHANGED" -gt 0 ]; then
  echo "scenarios whose verdict changed (count  verdict):"
  cat "$WORK"/run.* | sort | uniq -c | awk -v n="$N" '$1 != n' | sed 's/^/    /'
fi
printf '%d runs of %d scenarios in %.1f s (%.2f s a run); %d runs differ from the first\n' \
  "$N" "$SCENARIOS" "$(echo "$END - $START" | bc)" "$(echo "($END - $START) / $N" | bc -l)" "$CHANGED"
echo "verdict totals of run 1: $(grep -c 'agree=true' "$WORK/run.1") agree," \
  "$(grep -vc ' e= ' "$WORK/run.1") with failed expectations, $(grep -vc ' d= ' "$WORK/run.1") with divergences"
[ "$CHANGED" = 0 ]
