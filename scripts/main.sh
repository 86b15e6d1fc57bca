#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh, plus the clang `fuzz` build), then
# runs the main job on this machine's kernel and writes reports under out/:
#   1. the whole corpus in lockstep, model against kernel   -> out/check/
#   2. the Z3 bind-conflict classes, confirmed on the kernel -> out/check/solve-classes.json
#   3. the corpus and 100 random scenarios on Debian 6.1 (in a qemu guest)
#      beside this kernel: where they differ, rule by rule -> out/check/kernels-diff.{md,html}
#   4. a differential fuzzing campaign                       -> out/fuzz/
#   5. `sockspec report` on both                             -> out/*/report.{md,html}
# SOCKSPEC_FUZZ_SECONDS sets the campaign's length (default 120; 0 skips it).
# SOCKSPEC_DIFF_KERNEL sets the kernel of step 3 (default 6.1; "" skips it).
# Exit status: the corpus check's (fuzz findings are reported, not counted).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
fuzz_seconds=${SOCKSPEC_FUZZ_SECONDS:-120}
if [ "$fuzz_seconds" -gt 0 ]; then
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz --target differential_fuzzer
fi

rm -rf out/check out/fuzz
mkdir -p out/check out/fuzz
status=0
./build/sockspec check --out out/check corpus/ || status=$?
./build/sockspec rules corpus/ > out/check/rules.txt || true
./build/sockspec solve classes --json > out/check/solve-classes.json || true
diff_kernel=${SOCKSPEC_DIFF_KERNEL-6.1}
if [ -n "$diff_kernel" ]; then
  ./build/sockspec kernels diff "$diff_kernel" host --random 100 --out out/check > /dev/null || true
fi
./build/sockspec report out/check

if [ "$fuzz_seconds" -gt 0 ]; then
  ./build/sockspec fuzz --seconds "$fuzz_seconds" --fuzzer build-fuzz/differential_fuzzer \
    --workdir out/fuzz --json > out/fuzz/fuzz-summary.json || true
  ./build/sockspec report --known-families divergences/families.txt out/fuzz || true
fi
echo "main: corpus check exit $status; reports: out/check/report.html out/fuzz/report.html (and .md)"
exit $status
