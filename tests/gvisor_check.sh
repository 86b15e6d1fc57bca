#!/usr/bin/env bash
# `sockspec check --kernel gvisor` (docs/gvisor.md) on a small scenario set:
#
#   tests/gvisor_check.sh SOCKSPEC CORPUS_DIR
#
# Passes when the run goes to the end (one verdict per scenario, exit 0 or 1),
# a known gVisor divergence is reported as a finding about gVisor with the
# Linux rule it breaks (gVisor 20221219 answers connect(2) of an AF_INET
# socket to an inet6 address with EINVAL, Linux with EAFNOSUPPORT:
# connect.family.mismatch_eafnosupport, connect.scn's first divergent line,
# so no earlier line can change it; a later line may differ from run to run,
# as gVisor picks automatic ports outside Linux's range), a scenario needing setns(2) is reported as one gVisor
# cannot run with its reason, the finding's C reproducer shows the same
# result under `runsc do`, and nothing of runsc is left: no process naming
# the run's state directory, no state directory. Skipped (77) without runsc.
set -uo pipefail
SOCKSPEC=$(realpath "${1:?usage: gvisor_check.sh SOCKSPEC CORPUS_DIR}")
CORPUS=$(realpath "${2:?usage: gvisor_check.sh SOCKSPEC CORPUS_DIR}")

if ! command -v runsc > /dev/null; then
  echo "SKIP: runsc is not installed (apt-get install runsc; the README's set-up installs it)"
  exit 77
fi

# short: runsc keeps a unix socket under its --root (sun_path is 108 bytes)
WORKDIR=$(mktemp -d /var/tmp/sgt.XXXXXX)
chmod 755 "$WORKDIR"  # open to others, or the launcher would not use it (guest/gvisor.cc StateDir::parent)
trap 'rm -rf "$WORKDIR"' EXIT
FAIL=0
fail() { echo "FAIL: $*"; FAIL=1; }

SCENARIOS=("$CORPUS/examples/j-urgent-data.scn" "$CORPUS/inet/namespaces.scn" "$CORPUS/inet/connect.scn")
# runsc's state directory goes under $TMPDIR: this test's own, so that what
# is left of it can be looked for
mkdir "$WORKDIR/state"
TMPDIR=$WORKDIR/state "$SOCKSPEC" check --kernel gvisor --out "$WORKDIR/out" "${SCENARIOS[@]}" \
  > "$WORKDIR/check.txt" 2>&1
STATUS=$?
tail -n 2 "$WORKDIR/check.txt"
[ "$STATUS" -le 1 ] || fail "check --kernel gvisor exited $STATUS (0 or 1 expected: it ran)"

VERDICTS=$(grep -cE '^(PASS|PARTIAL|UNRUNNABLE|FAIL) ' "$WORKDIR/check.txt")
[ "$VERDICTS" = "${#SCENARIOS[@]}" ] || fail "$VERDICTS verdicts for ${#SCENARIOS[@]} scenarios: the run stopped early"
grep -q 'GVISOR DIVERGES from Linux: gVisor EINVAL, Linux EAFNOSUPPORT  breaks \[connect.family.mismatch_eafnosupport\]' \
  "$WORKDIR/check.txt" ||
  { grep -A3 -E '^(PASS|PARTIAL|UNRUNNABLE|FAIL) ' "$WORKDIR/check.txt";
    fail "the connect divergence is not reported as gVisor's, with its rule"; }

# check.jsonl: the divergence is about gVisor, the setns scenario says why it stopped
python3 - "$WORKDIR/out/check.jsonl" <<'EOF' || FAIL=1
import json, sys
records = [json.loads(l) for l in open(sys.argv[1])]
about = [d for r in records for d in r["divergences"]
         if d.get("about") == "gvisor" and d["op"] == "connect c [::1]:8080" and d["kernel"] == "EINVAL"
         and "connect.family.mismatch_eafnosupport" in d["rules"]]
if not about:
    print("FAIL: no divergence in check.jsonl is about gVisor with rule connect.family.mismatch_eafnosupport")
    sys.exit(1)
limited = [r for r in records if r["file"].endswith("inet/namespaces.scn")]
if not limited or "setns(2)" not in limited[0].get("limitation", "") or "gVisor" not in limited[0]["limitation"]:
    print("FAIL: namespaces.scn is not reported as a scenario gVisor cannot run, with setns as the reason"); sys.exit(1)
print(f"check.jsonl: {len(about)} connect divergence(s) about gVisor; namespaces.scn: {limited[0]['limitation']}")
EOF

FINDING=$(grep -l '^# signature: connect | connect.family.mismatch_eafnosupport | EINVAL' \
  "$WORKDIR"/out/gvisor-findings/*.scn 2>/dev/null | head -1)
if [ -z "$FINDING" ]; then
  fail "no finding about gVisor for connect.family.mismatch_eafnosupport in out/gvisor-findings/"
elif ! command -v cc > /dev/null; then
  echo "note: no C compiler, the reproducer was not run"
else
  grep -q '^# gVisor: EINVAL' "$FINDING" || fail "$FINDING does not give gVisor's result"
  if cc -static -o "$WORKDIR/repro" "${FINDING%.scn}.c"; then
    mkdir "$WORKDIR/repro-state"
    timeout 120 unshare -n runsc --network=none --platform=ptrace --root "$WORKDIR/repro-state" do "$WORKDIR/repro" \
      > "$WORKDIR/repro.txt" 2> "$WORKDIR/repro.err"  # apart: ss's complaints would cut into lines
    grep -q '^connect c \[::1\]:8080 -> EINVAL    # <- DIVERGENCE: the model says EAFNOSUPPORT' "$WORKDIR/repro.txt" ||
      { cat "$WORKDIR/repro.txt"; fail "the C reproducer does not show EINVAL under runsc do"; }
  else
    fail "the C reproducer does not compile"
  fi
fi

# nothing left running or lying around
LEFT=$(pgrep -f "$WORKDIR/state")
[ -z "$LEFT" ] || fail "runsc processes left running: $LEFT"
[ -z "$(ls -A "$WORKDIR/state")" ] || fail "runsc state left behind: $(ls -A "$WORKDIR/state")"

[ "$FAIL" = 0 ] && echo "PASS: the run went to the end; gVisor's divergence reported with its Linux rule; nothing left"
exit "$FAIL"
