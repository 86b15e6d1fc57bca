#!/bin/bash
# Durable campaigns (docs/safety.md, point 5).
#
#   tests/durable_campaign.sh SOCKSPEC FUZZER [SEEDS_DIR] [SECONDS]
#
# Starts `sockspec fuzz` on SEEDS_DIR (default: the corpus), waits until a
# finding is on disk, and SIGKILLs the campaign's sockspec process — a
# crash, the OOM killer, a power cut, as far as the campaign can tell. Then:
#   1. every finding on disk is complete: its .scn has the whole header and
#      parses (`sockspec model`), its .c compiles; no half-written file has
#      a finding's name;
#   2. no fuzzer process outlives the killed campaign for long;
#   3. a second campaign on the same directory starts from what the first
#      left: its corpus and findings, without writing a known finding again.
# A finding needs a divergence: seed it with a scenario the model gets
# wrong (the corpus had some while this was written; else plant one).
set -u
SOCKSPEC=$(realpath "${1:?usage: durable_campaign.sh SOCKSPEC FUZZER [SEEDS_DIR] [SECONDS]}")
FUZZER=$(realpath "${2:?usage: durable_campaign.sh SOCKSPEC FUZZER [SEEDS_DIR] [SECONDS]}")
SEEDS=$(realpath "${3:-$(dirname "$0")/../corpus}")
SECONDS_LIMIT=${4:-120}

WORK=$(mktemp -d /var/tmp/sockspec-durable.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
FINDINGS=$WORK/findings
FAIL=0
fail() { echo "FAIL: $*"; FAIL=1; }

campaign() {  # campaign SECONDS: starts one in the background, in its own session
  TMPDIR=$WORK setsid "$SOCKSPEC" fuzz --seconds "$1" -j 1 --seeds "$SEEDS" --workdir "$WORK" \
    --fuzzer "$FUZZER" --json > "$WORK/summary.$2" 2> "$WORK/progress.$2" &
  CAMPAIGN=$!
}

# ------------------------------------------------------------ 1: kill it
campaign "$SECONDS_LIMIT" 1
for _ in $(seq $((SECONDS_LIMIT * 10))); do
  ls "$FINDINGS"/*.scn > /dev/null 2>&1 && break
  kill -0 "$CAMPAIGN" 2> /dev/null || break
  sleep 0.1
done
if ! ls "$FINDINGS"/*.scn > /dev/null 2>&1; then
  kill -KILL -- -"$CAMPAIGN" 2> /dev/null
  echo "no finding within ${SECONDS_LIMIT}s: seed a divergent scenario (SEEDS_DIR)"; exit 2
fi
kill -KILL "$CAMPAIGN"
wait "$CAMPAIGN" 2> /dev/null
echo "campaign $CAMPAIGN killed after its first finding: $(ls "$FINDINGS")"

# the fuzzer it started lost its parent; how long does it live on?
ORPHANS=$(pgrep -s "$CAMPAIGN" | tr '\n' ' ')
if [ -n "$ORPHANS" ]; then
  for i in $(seq 50); do pgrep -s "$CAMPAIGN" > /dev/null || break; sleep 0.1; done
  if pgrep -s "$CAMPAIGN" > /dev/null; then
    fail "the fuzzer outlives its killed campaign (pids $ORPHANS, still running after 5 s)"
    kill -KILL -- -"$CAMPAIGN" 2> /dev/null
  else
    echo "the orphaned fuzzer (pids $ORPHANS) ended within $((i / 10)).$((i % 10)) s of its campaign"
  fi
fi
sleep 0.5  # anything still being written by a dying process lands now

# ------------------------------------------------------------ 2: complete?
for scn in "$FINDINGS"/*.scn; do
  id=$(basename "$scn" .scn)
  for key in "# sockspec finding $id" "# signature: " "# Reproduce: "; do
    grep -qF "$key" "$scn" || fail "$scn lacks '$key'"
  done
  "$SOCKSPEC" model "$scn" > /dev/null 2> "$WORK/err"
  [ $? -ge 2 ] && fail "$scn does not parse: $(cat "$WORK/err")"
  if [ -f "$FINDINGS/$id.c" ]; then
    cc -fsyntax-only -w "$FINDINGS/$id.c" 2> "$WORK/err" || fail "$id.c does not compile: $(head -3 "$WORK/err")"
  else
    fail "$id.c is missing"
  fi
done
STRAY=$(ls "$FINDINGS" | grep -vE '^[0-9a-f]+\.(scn|c)$')
[ -n "$STRAY" ] && echo "note: other files in the findings directory (temporaries of an interrupted write?): $STRAY"
FOUND_FIRST=$(ls "$FINDINGS"/*.scn | wc -l)
SUMS_FIRST=$(cd "$FINDINGS" && md5sum -- *.scn)
CORPUS_FIRST=$(ls "$WORK/corpus" | wc -l)
LEFT=$(ls -d "$WORK"/campaign.* 2> /dev/null | tr '\n' ' ')
echo "first campaign: $FOUND_FIRST finding(s) complete; persistent corpus $CORPUS_FIRST files; left behind: ${LEFT:-nothing}"
[ -n "$LEFT" ] && echo "note: the killed campaign's working corpus ($LEFT) was never merged into $WORK/corpus"

# ------------------------------------------------------------ 3: resume
campaign 10 2
wait "$CAMPAIGN"
echo "second campaign exited $? : $(cat "$WORK/summary.2")"
jq -e . "$WORK/summary.2" > /dev/null 2>&1 || fail "the second campaign printed no summary"
BEFORE=$(jq -r .corpus_before "$WORK/summary.2" 2> /dev/null)
[ "$BEFORE" = "$CORPUS_FIRST" ] || fail "the second campaign did not start from the corpus left on disk ($BEFORE != $CORPUS_FIRST)"
SUMS_NOW=$(cd "$FINDINGS" && for f in $(echo "$SUMS_FIRST" | awk '{print $2}'); do md5sum -- "$f"; done)
[ "$SUMS_NOW" = "$SUMS_FIRST" ] || fail "findings of the first campaign were changed or lost"
# a finding the first campaign wrote is known by its signature: not new again
jq -r '.new_findings[]' "$WORK/summary.2" 2> /dev/null | while read -r f; do
  echo "$SUMS_FIRST" | grep -q "$(basename "$f")" && echo "FAIL: $f reported new again"
done | grep FAIL && FAIL=1

[ "$FAIL" = 0 ] && echo "PASS: findings survive SIGKILL complete, and the campaign resumes from its directory"
exit "$FAIL"
