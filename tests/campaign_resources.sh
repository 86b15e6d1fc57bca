#!/bin/bash
# What a campaign's fuzzer processes hold stays flat (docs/fuzzing.md,
# "Resources over a long campaign"): the short form of issue 16's one-hour
# campaign.
#
#   tests/campaign_resources.sh SOCKSPEC FUZZER SEEDS_DIR [SECONDS]
#
# Runs a SECONDS-long campaign (default 24) on 2 jobs, sampled every 2 s
# (--sample-seconds 2), and checks:
#   1. the log has a sample line per sample, at least 3, and the summary's
#      `resources` (samples, first, last, max) are those lines';
#   2. every sample saw the fuzzer at work: its fork-mode parent and a job
#      (at least 2 processes), resident memory, descriptors, and at least
#      the parent's and a job's sandbox namespaces (2);
#   3. nothing grows from the second sample (the jobs have started) to the
#      last. One sample against another moves by a job's worth (libFuzzer
#      restarts jobs; a scenario's sockets come and go), so the test
#      compares peaks: the largest count of the later half of the samples
#      may exceed the largest of the earlier half (from the second) by at
#      most NETNS_SLACK namespaces and FDS_SLACK descriptors: the 12
#      sockets a fuzzed scenario may hold (fuzz/mutator.h, FuzzLimits) on
#      each of the 2 jobs. A leak of a descriptor or namespace per input
#      (hundreds a second) is far beyond that.
set -u
SOCKSPEC=$(realpath "${1:?usage: campaign_resources.sh SOCKSPEC FUZZER SEEDS_DIR [SECONDS]}")
FUZZER=$(realpath "${2:?usage: campaign_resources.sh SOCKSPEC FUZZER SEEDS_DIR [SECONDS]}")
SEEDS=$(realpath "${3:?usage: campaign_resources.sh SOCKSPEC FUZZER SEEDS_DIR [SECONDS]}")
SECONDS_LIMIT=${4:-24}
[ -x "$FUZZER" ] || { echo "skipped: no fuzzer at $FUZZER (cmake --preset fuzz)"; exit 77; }
NETNS_SLACK=2
FDS_SLACK=24    # 2 jobs x 12 sockets

WORK=$(mktemp -d /var/tmp/sockspec-resources.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
FAIL=0
fail() { echo "FAIL: $*"; FAIL=1; }

TMPDIR=$WORK "$SOCKSPEC" fuzz --seconds "$SECONDS_LIMIT" -j 2 --sample-seconds 2 --seeds "$SEEDS" \
  --workdir "$WORK/fuzz" --fuzzer "$FUZZER" --json > "$WORK/summary.json" 2> "$WORK/progress"
[ -s "$WORK/summary.json" ] || { echo "FAIL: no summary: $(tail -3 "$WORK/progress")"; exit 1; }

python3 - "$WORK/summary.json" "$WORK/fuzz/last-campaign.log" "$NETNS_SLACK" "$FDS_SLACK" <<'PY' || FAIL=1
import json, re, sys
summary = json.load(open(sys.argv[1]))["resources"]
netns_slack, fds_slack = int(sys.argv[3]), int(sys.argv[4])
line = re.compile(r"^sockspec-campaign: sample (\d+)s processes (\d+) rss_kib (\d+) fds (\d+) netns (\d+)$")
fields = ["seconds", "processes", "rss_kib", "fds", "netns"]
samples = [dict(zip(fields, map(int, m.groups()))) for m in map(line.match, open(sys.argv[2])) if m]
failed = False
def fail(why):
    global failed
    print("FAIL:", why)
    failed = True
if len(samples) < 3:
    fail(f"{len(samples)} sample lines in the log, not 3 or more")
    sys.exit(1)
if summary["samples"] != len(samples) or summary["sample_seconds"] != 2:
    fail(f"the summary says {summary['samples']} samples every {summary['sample_seconds']} s, the log {len(samples)}")
for key, want in (("first", samples[0]), ("last", samples[-1]),
                  ("max", {f: max(s[f] for s in samples) for f in fields})):
    got = {f: round(summary[key][f]) for f in fields}
    if any(got[f] != want[f] for f in fields if f != "seconds"):
        fail(f"the summary's {key} {got} is not the log's {want}")
for s in samples:
    if s["processes"] < 2 or s["rss_kib"] <= 0 or s["fds"] <= 0 or s["netns"] < 2:
        fail(f"a sample that did not see the fuzzer at work: {s}")
steady = samples[1:]
earlier, later = steady[:len(steady) // 2], steady[len(steady) // 2:]
for field, slack in (("netns", netns_slack), ("fds", fds_slack)):
    before, after = max(s[field] for s in earlier), max(s[field] for s in later)
    if after - before > slack:
        fail(f"{field} grew: at most {before} in the earlier samples, {after} in the later ones (slack {slack})")
for s in samples:
    print(f"{s['seconds']:3}s  processes {s['processes']}  rss {s['rss_kib'] // 1024} MiB  fds {s['fds']}  netns {s['netns']}")
sys.exit(1 if failed else 0)
PY
[ $FAIL = 0 ] && echo PASS
exit $FAIL
