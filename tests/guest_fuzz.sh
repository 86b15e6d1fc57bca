#!/usr/bin/env bash
# A short differential fuzzing campaign inside a Debian guest
# (`sockspec fuzz --kernel K`, docs/fuzzing.md "On another kernel").
#
#   guest_fuzz.sh SOCKSPEC FUZZER KERNEL SEEDS
#
# A fault is planted in socket.name.local (every getsockname the model
# answers becomes EPERM), so the campaign must find it, confirm and minimize
# it on the guest, and bring the finding back. Asserted:
#   - the summary names the guest's kernel (KERNEL's series) and the guest's
#     release, and executions > 0;
#   - a new finding cites the planted rule, is back in the host's findings
#     directory, and its header names the guest's kernel;
#   - the persistent corpus came back with the seeds merged into it.
# Skipped (77) when the fuzzer is not built (cmake --preset fuzz).
set -uo pipefail
sockspec=$1 fuzzer=$2 kernel=$3 seeds=$4
[ -x "$fuzzer" ] || { echo "skipped: $fuzzer not built (cmake --preset fuzz && cmake --build --preset fuzz)"; exit 77; }
work=$(mktemp -d /var/tmp/sockspec-guest-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; echo "--- stderr"; cat "$work/stderr"; exit 1; }

TMPDIR=$work "$sockspec" fuzz --kernel "$kernel" --seconds 30 -j 1 --seeds "$seeds" --workdir "$work/fuzz" \
  --fuzzer "$fuzzer" --plant-fault socket.name.local --json > "$work/summary.json" 2> "$work/stderr"
status=$?
echo "sockspec fuzz --kernel $kernel exited $status"
# 1: new findings (the planted fault); anything else is a failure to run
[ "$status" -eq 1 ] || fail "expected exit 1 (new findings), got $status"
summary=$(tail -1 "$work/summary.json")
jq -e . <<<"$summary" >/dev/null || fail "the summary is not JSON: $summary"
jq -r '"kernel: \(.kernel), guest \(.guest.release), \(.execs) execs, \(.new_findings | length) new findings"' <<<"$summary"

jq -e --arg k "Linux $kernel." '.kernel | startswith($k)' <<<"$summary" >/dev/null ||
  fail "the summary's kernel is not $kernel: $(jq -r .kernel <<<"$summary")"
jq -e --arg k "$kernel." '.guest.release | startswith($k)' <<<"$summary" >/dev/null || fail "no guest release $kernel"
jq -e '.execs > 0' <<<"$summary" >/dev/null || fail "no executions"
grep -q '^fuzz: .*execs' "$work/stderr" || fail "no progress line from the guest"

planted=""
for f in $(jq -r '.new_findings[]' <<<"$summary"); do
  [ -f "$f" ] || fail "finding $f did not come back to the host"
  [ -f "${f%.scn}.c" ] || fail "the reproducer of $f did not come back"
  if grep -q '^# rules: .*socket\.name\.local' "$f"; then planted=$f; fi
done
[ -n "$planted" ] || fail "no finding cites the planted rule socket.name.local"
echo "planted fault found: $planted"
grep -q "^# kernel: Linux $kernel\." "$planted" || fail "the finding's header does not name Linux $kernel: $(grep '^# kernel' "$planted")"
"$sockspec" model "$planted" >/dev/null 2>&1 || fail "the finding is not a scenario the model reads"

seeded=$(find "$seeds" -name '*.scn' | wc -l)
jq -e --argjson n "$seeded" '.corpus_after >= 1 and .corpus_after <= ($n + 1000)' <<<"$summary" >/dev/null ||
  fail "corpus_after is off"
[ "$(find "$work/fuzz/corpus" -type f | wc -l)" -eq "$(jq .corpus_after <<<"$summary")" ] ||
  fail "the persistent corpus on the host is not the guest's"
echo "PASS"
