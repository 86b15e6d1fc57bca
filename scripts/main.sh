#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh), then runs the main job on this
# machine's kernel: the whole corpus in lockstep (model against kernel), the
# rule coverage, and a report under out/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p out
status=0
./build/sockspec check corpus/ | tee out/check.txt || status=$?
./build/sockspec check --json corpus/ > out/check.jsonl || true
./build/sockspec rules corpus/ | tee out/rules.txt || true
# A short differential fuzzing campaign (docs/fuzzing.md): its findings are
# reported in out/fuzz/findings, not counted in the exit status.
# SOCKSPEC_FUZZ_SECONDS sets its length; 0 skips it.
fuzz_seconds=${SOCKSPEC_FUZZ_SECONDS:-120}
if [ "$fuzz_seconds" -gt 0 ] && [ -x build-fuzz/differential_fuzzer ]; then
  ./build/sockspec fuzz --seconds "$fuzz_seconds" --fuzzer build-fuzz/differential_fuzzer --workdir out/fuzz \
    | tee out/fuzz.txt || true
elif [ "$fuzz_seconds" -gt 0 ]; then
  echo "main: no build-fuzz/differential_fuzzer, fuzzing skipped (cmake --preset fuzz && cmake --build --preset fuzz)"
fi
echo "main: reports in out/ (check.txt, check.jsonl, rules.txt, fuzz.txt, fuzz/findings/)"
exit $status
