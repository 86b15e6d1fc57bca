#!/bin/bash
# Campaigns that share a work directory (docs/fuzzing.md, "Several machines").
#
#   tests/shared_campaign.sh SOCKSPEC FUZZER SEEDS_DIR [SECONDS]
#
# Starts two `sockspec fuzz` campaigns at once on one work directory, the
# second a little later and shorter, so it finds the first one's live
# campaign directory while it runs (it must not take it for a killed
# campaign's leftover and delete it). SEEDS_DIR must hold scenarios the
# model gets wrong (divergences/), so that both campaigns find the same
# divergences. Then:
#   1. both campaigns' fuzzing and merge exit cleanly;
#   2. no finding is lost: every finding either campaign reported is on
#      disk, and every finding on disk was reported by one of them;
#   3. the findings are one deduplicated set: one .scn (and its .c) per
#      divergence signature;
#   4. nothing is left pending, and no campaign directory is left behind.
# Then a third campaign is killed with SIGKILL (`sockspec fuzz` alone, as
# the OOM killer would), and a fourth starts on the same directory:
#   5. the dead campaign's fuzzer processes leave within 10 s, their
#      campaign gone (differential_fuzzer.cc, exit_if_campaign_gone);
#   6. the fourth campaign takes the dead campaign's directory over (its summary names it in
#      `resumed_from`), merges it and removes it, with its minimize logs;
#   7. what the dead campaign had set aside (pending/) and found
#      (findings/) is kept: every pending divergence becomes a finding of
#      the same id (or the minimizer says it no longer diverges), and no
#      finding on disk is lost.
set -u
SOCKSPEC=$(realpath "${1:?usage: shared_campaign.sh SOCKSPEC FUZZER SEEDS_DIR [SECONDS]}")
FUZZER=$(realpath "${2:?usage: shared_campaign.sh SOCKSPEC FUZZER SEEDS_DIR [SECONDS]}")
SEEDS=$(realpath "${3:?usage: shared_campaign.sh SOCKSPEC FUZZER SEEDS_DIR [SECONDS]}")
SECONDS_LIMIT=${4:-20}
[ -x "$FUZZER" ] || { echo "skipped: no fuzzer at $FUZZER (cmake --preset fuzz)"; exit 77; }

WORK=$(mktemp -d /var/tmp/sockspec-shared.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
FAIL=0
fail() { echo "FAIL: $*"; FAIL=1; }

campaign() {  # campaign NAME SECONDS
  TMPDIR=$WORK "$SOCKSPEC" fuzz --seconds "$2" -j 1 --seeds "$SEEDS" --workdir "$WORK/shared" \
    --fuzzer "$FUZZER" --json > "$WORK/summary.$1" 2> "$WORK/progress.$1"
}
campaign long "$SECONDS_LIMIT" &
LONG=$!
sleep 3
campaign short $((SECONDS_LIMIT / 2)) &
SHORT=$!
wait "$LONG" "$SHORT"

summary() {  # summary NAME KEY
  python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]; print("\n".join(v) if isinstance(v, list) else v)' \
    "$WORK/summary.$1" "$2" 2> /dev/null
}
for name in long short; do
  [ -s "$WORK/summary.$name" ] || { fail "campaign $name printed no summary: $(tail -3 "$WORK/progress.$name")"; continue; }
  [ "$(summary $name fuzzer_exit)" = 0 ] || fail "campaign $name: the fuzzer exited with $(summary $name fuzzer_exit)"
  [ "$(summary $name merge_exit)" = 0 ] || fail "campaign $name: the merge exited with $(summary $name merge_exit)"
done

FINDINGS=$WORK/shared/findings
ON_DISK=$(ls "$FINDINGS"/*.scn 2> /dev/null | sort)
REPORTED=$( (summary long new_findings; summary short new_findings) | grep . | sort -u)
[ -n "$ON_DISK" ] || fail "no finding at all: SEEDS_DIR must hold divergent scenarios"
[ "$ON_DISK" = "$REPORTED" ] || fail "findings on disk and findings reported differ:
$(diff <(echo "$REPORTED") <(echo "$ON_DISK"))"

SIGNATURES=$(grep -h '^# signature:' $ON_DISK | sort)
DISTINCT=$(echo "$SIGNATURES" | sort -u | wc -l)
[ "$(echo "$SIGNATURES" | wc -l)" = "$DISTINCT" ] || fail "a signature is recorded twice:
$(echo "$SIGNATURES" | uniq -d)"
for scn in $ON_DISK; do [ -s "${scn%.scn}.c" ] || fail "no reproducer next to $scn"; done

[ -z "$(ls -A "$WORK/shared/pending" 2> /dev/null)" ] || fail "left pending: $(ls "$WORK/shared/pending")"
LEFT=$(ls -d "$WORK"/shared/campaign.* 2> /dev/null)
[ -z "$LEFT" ] || fail "campaign directories left behind: $LEFT"

echo "two campaigns on one work directory: $(echo "$ON_DISK" | wc -l) findings, $DISTINCT signatures"

# 5-7: a campaign killed. New findings are for the pending directory: the
# seeds' divergences are all recorded above, so fresh ones start from an
# empty findings directory.
rm -rf "$WORK/shared/findings" "$WORK/shared/last-campaign.log"
TMPDIR=$WORK setsid "$SOCKSPEC" fuzz --seconds 120 -j 1 --seeds "$SEEDS" --workdir "$WORK/shared" --fuzzer "$FUZZER" \
  > /dev/null 2> "$WORK/progress.killed" &
KILLED=$!
for _ in $(seq 60); do  # until it set something aside
  sleep 1
  [ -n "$(ls "$WORK/shared/pending" 2> /dev/null)" ] && break
done
sleep 3  # and fuzzed a little more
DEAD_DIR=$(ls -d "$WORK"/shared/campaign.*."$KILLED" 2> /dev/null)
kill -9 "$KILLED"
wait "$KILLED" 2> /dev/null
for _ in $(seq 20); do pgrep -g "$KILLED" > /dev/null || break; sleep 0.5; done
if pgrep -g "$KILLED" > /dev/null; then
  fail "10 s after its campaign was killed, its fuzzer still runs: $(pgrep -g "$KILLED" -a | head -3)"
  kill -9 -- -"$KILLED"
  sleep 1
fi
PENDING=$(cd "$WORK/shared/pending" 2> /dev/null && ls)
FOUND_BEFORE=$(ls "$WORK/shared/findings" 2> /dev/null)
if [ -z "$DEAD_DIR" ] || [ ! -d "$DEAD_DIR/corpus" ] || [ -z "$PENDING" ]; then
  fail "the killed campaign left no directory with a corpus ($DEAD_DIR) or nothing pending: $(tail -3 "$WORK/progress.killed")"
else
  campaign after 6
  [ "$(summary after merge_exit)" = 0 ] || fail "campaign after a kill: the merge exited with $(summary after merge_exit)"
  summary after resumed_from | grep -qx "$DEAD_DIR" ||
    fail "the campaign after a kill did not resume from $DEAD_DIR: $(summary after resumed_from)"
  [ ! -e "$DEAD_DIR" ] || fail "the killed campaign's directory is left behind: $(ls -A "$DEAD_DIR")"
  LEFT=$(ls -d "$WORK"/shared/campaign.* "$WORK"/shared/minimize.* 2> /dev/null)
  [ -z "$LEFT" ] || fail "after a kill, campaign directories or logs left behind: $LEFT"
  [ -z "$(ls -A "$WORK/shared/pending" 2> /dev/null)" ] || fail "after a kill, left pending: $(ls "$WORK/shared/pending")"
  for id in $PENDING $FOUND_BEFORE; do  # kept, or said to be gone (a divergence may not come back)
    [ -s "$WORK/shared/findings/$id" ] || grep -q "no longer diverges, dropped: .*/$id\$" "$WORK/progress.after" ||
      fail "the killed campaign's $id is neither among the findings nor said to be dropped"
  done
  echo "a killed campaign: $(echo "$PENDING" | wc -w) pending, $(echo "$FOUND_BEFORE" | wc -w) findings files kept, $DEAD_DIR taken over"
fi
[ $FAIL = 0 ] && echo PASS
exit $FAIL
