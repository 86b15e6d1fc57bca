#!/bin/sh
# Seeds for output_reader_fuzzer (docs/fuzzing.md): the files sockspec
# writes, made by this build, each behind the byte that names its reader
# (the order of kFiles in fuzz/targets/output_reader_fuzzer.cc).
#   fuzz/output_reader_seeds.sh build/sockspec SEED_DIR
set -eu
sockspec=$(realpath "$1")
seeds=$2
src=$(realpath "$(dirname "$0")/..")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$seeds"
# a check run with divergences and failures (exit 1 is expected)
"$sockspec" check --out "$work/check" --write-baseline "$work/baseline.txt" \
  "$src"/corpus/examples/*.scn "$src"/divergences/*.scn >/dev/null 2>&1 || true
# a campaign summary and log, from a fuzzer that does nothing
(cd "$work" && "$sockspec" fuzz --json --fuzzer /bin/true --seconds 1 -j 1 --seeds "$src/corpus/examples" \
  --workdir fuzz >"$work/fuzz-summary.json" 2>/dev/null)
printf '[{"class":"c","rules":"bind.conflict.wildcard_v4","predicted":"EADDRINUSE","kernel":"EADDRINUSE","model":"EADDRINUSE","confirmed":true}]\n' >"$work/classes.json"
printf '#2: cov: 10 ft: 20 corp: 3/120b exec/s: 0 rss: 40Mb time: 1s\nsockspec-fuzz: NEW FINDING x.scn (9 -> 3 lines, 12 runs): bind | r | ok | EINVAL\n#64: cov: 30 ft: 50 corp: 9/1Kb exec/s: 32 rss: 41Mb time: 2s\n' >"$work/last-campaign.log"
printf '# kernels diff\n\n| line | 6.1 | 6.12 |\n|---|---|---|\n| 3 | ok | EINVAL |\n' >"$work/kernels-diff.md"
seed() {  # seed KIND FILE
  [ -f "$2" ] || return 0
  { printf "\\$(printf %03o "$1")"; head -c 4000 "$2"; } >"$seeds/seed-$1-$(basename "$2")"
}
seed 0 "$work/check/check.jsonl"
seed 1 "$work/check/check-summary.json"
seed 2 "$work/fuzz-summary.json"
seed 3 "$work/classes.json"
for f in "$src"/divergences/*.scn; do seed 4 "$f"; done
seed 5 "$work/last-campaign.log"
seed 6 "$work/kernels-diff.md"
seed 7 "$work/baseline.txt"
cp "$src/divergences/baseline.txt" "$work/repository-baseline.txt"
seed 7 "$work/repository-baseline.txt"
seed 8 "$src/divergences/families.txt"
ls "$seeds" | wc -l
