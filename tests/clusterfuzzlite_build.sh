#!/bin/bash
# .clusterfuzzlite/build.sh as ClusterFuzzLite / OSS-Fuzz runs it (README.md,
# "ClusterFuzzLite"): their variables, clang-16, a temporary $OUT and $WORK.
# Then every target it produced runs a few hundred inputs from its seed
# corpus with its dictionary; and the differential target, where it cannot
# make namespaces, must exit at once with status 3 and a message saying what it needs.
#
#   tests/clusterfuzzlite_build.sh SOURCE_DIR [RUNS]
set -u
SOURCE=$(realpath "${1:?usage: clusterfuzzlite_build.sh SOURCE_DIR [RUNS]}")
RUNS=${2:-300}
command -v clang++-16 > /dev/null || { echo "skipped: no clang++-16"; exit 77; }

# kept between runs (compiled objects reused, with ccache), one per source
# directory (worktrees do not share it): only $OUT is fresh
export WORK=/var/tmp/sockspec-cflite-work.$(echo "$SOURCE" | md5sum | cut -c1-8)
export OUT=$(mktemp -d /var/tmp/sockspec-cflite-out.XXXXXX)
trap 'rm -rf "$OUT" "$WORK/src"' EXIT
mkdir -p "$WORK/src"
ln -sfn "$SOURCE" "$WORK/src/sockspec"
export SRC=$WORK/src CC=clang-16 CXX=clang++-16 LIB_FUZZING_ENGINE=-fsanitize=fuzzer
# OSS-Fuzz's flags for SANITIZER=address, engine libfuzzer
export CFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only -fsanitize=address -fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link"
export CXXFLAGS="$CFLAGS"
command -v ccache > /dev/null && export CMAKE_CXX_COMPILER_LAUNCHER=ccache
FAIL=0
fail() { echo "FAIL: $*"; FAIL=1; }

start=$(date +%s)
if ! bash "$SOURCE/.clusterfuzzlite/build.sh" > "$OUT/build.log" 2>&1; then
  tail -30 "$OUT/build.log"; echo "FAIL: build.sh failed"; exit 1
fi
echo "build.sh: $(( $(date +%s) - start )) s"

for target in differential_fuzzer model_fuzzer parser_fuzzer; do
  [ -x "$OUT/$target" ] || { fail "no $OUT/$target"; continue; }
  [ -s "$OUT/${target}_seed_corpus.zip" ] || fail "no ${target}_seed_corpus.zip"
  grep -q '^"0.0.0.0:8080"$' "$OUT/$target.dict" || fail "$target.dict lacks the mutator's 0.0.0.0:8080"
  grep -q '^"SO_REUSEPORT"$' "$OUT/$target.dict" || fail "$target.dict lacks SO_REUSEPORT"
  seeds=$OUT/seeds.$target
  mkdir -p "$seeds" && (cd "$seeds" && unzip -q "$OUT/${target}_seed_corpus.zip")
  [ "$(ls "$seeds" | wc -l)" -gt 10 ] || fail "${target}_seed_corpus.zip holds $(ls "$seeds" | wc -l) seeds"
  # as ClusterFuzzLite runs a target: corpus directory, dictionary, -runs
  if ! (cd "$OUT" && TMPDIR=$OUT timeout 600 "./$target" -runs="$RUNS" -dict="$target.dict" "$seeds" \
        > "$OUT/$target.log" 2>&1); then
    tail -20 "$OUT/$target.log"; fail "$target failed on $RUNS runs"
  # libFuzzer runs every seed first, then -runs inputs at least
  elif [ "$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$OUT/$target.log")" -lt "$RUNS" ] 2> /dev/null ||
       ! grep -q "^Done " "$OUT/$target.log"; then
    tail -5 "$OUT/$target.log"; fail "$target did not run $RUNS inputs"
  else
    echo "$target: $(grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$OUT/$target.log")"
  fi
done

# Without namespaces: in a user namespace of our own whose limits allow no
# more user, mount or network namespaces (user.max_*_namespaces = 0), as on
# a runner whose container may not unshare.
if [ -x "$OUT/differential_fuzzer" ]; then
  start=$(date +%s)
  unshare -U -r sh -c 'for ns in user mnt net; do echo 0 > /proc/sys/user/max_${ns}_namespaces || exit 9; done
                        exec "$0" -runs=10' "$OUT/differential_fuzzer" > "$OUT/nons.log" 2>&1
  status=$?
  [ $status = 3 ] || fail "without namespaces differential_fuzzer exited $status, not 3: $(tail -3 "$OUT/nons.log")"
  grep -q "needs to create user, mount and network namespaces" "$OUT/nons.log" ||
    fail "without namespaces, no message saying what differential_fuzzer needs: $(tail -3 "$OUT/nons.log")"
  [ $(( $(date +%s) - start )) -le 10 ] || fail "without namespaces differential_fuzzer took more than 10 s to exit"
fi
[ $FAIL = 0 ] && echo PASS
exit $FAIL
