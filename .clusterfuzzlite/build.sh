#!/bin/bash -eu
# Builds sockspec's fuzz targets the way OSS-Fuzz and ClusterFuzzLite ask
# (README.md, "ClusterFuzzLite"): with their $CC $CXX $CFLAGS $CXXFLAGS
# (sanitizer and coverage flags) and $LIB_FUZZING_ENGINE, from $SRC/sockspec,
# building in $WORK, into $OUT:
#   differential_fuzzer  model and kernel in lockstep; needs namespaces, and
#                        exits at once saying so where it cannot make them
#   model_fuzzer         the model alone
#   parser_fuzzer        arbitrary bytes into the scenario parser and printer
# each with <target>_seed_corpus.zip (the scenarios of corpus/) and
# <target>.dict (the mutator's collision-prone values, fuzz/mutator.h).
# $CMAKE_CXX_COMPILER_LAUNCHER (e.g. ccache) is used when set.
SOURCE=${SOCKSPEC_SOURCE:-$SRC/sockspec}
BUILD=$WORK/sockspec-build
TARGETS="differential_fuzzer model_fuzzer parser_fuzzer"

cmake -S "$SOURCE" -B "$BUILD" -G Ninja \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" -DCMAKE_BUILD_TYPE=None \
  ${CMAKE_CXX_COMPILER_LAUNCHER:+-DCMAKE_CXX_COMPILER_LAUNCHER="$CMAKE_CXX_COMPILER_LAUNCHER"} \
  -DSOCKSPEC_FUZZ=ON -DSOCKSPEC_FUZZ_FLAGS_FROM_ENV=ON -DSOCKSPEC_TESTS=OFF \
  -DSOCKSPEC_FUZZING_ENGINE="$LIB_FUZZING_ENGINE"
cmake --build "$BUILD" --target $TARGETS dictionary_writer -j "$(nproc)"

seeds=$WORK/sockspec-seeds
rm -rf "$seeds" && mkdir -p "$seeds"
# flat names: a seed corpus zip is read as a flat directory
find "$SOURCE/corpus" -name '*.scn' | while read -r f; do
  cp "$f" "$seeds/$(realpath --relative-to="$SOURCE/corpus" "$f" | tr / _)"
done
"$BUILD/dictionary_writer" > "$WORK/sockspec.dict"
for target in $TARGETS; do
  cp "$BUILD/$target" "$OUT/"
  rm -f "$OUT/${target}_seed_corpus.zip"
  (cd "$seeds" && zip -q -r "$OUT/${target}_seed_corpus.zip" .)
  cp "$WORK/sockspec.dict" "$OUT/$target.dict"
done
