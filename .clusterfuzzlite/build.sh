#!/bin/bash -eu
# build.sh -- build shmfuzz's fuzz targets the OSS-Fuzz way, for ClusterFuzzLite,
# ClusterFuzz or a local check (docs/byo-provider.md, "At scale").
#
# Reads the OSS-Fuzz variables: CC, CXX, CFLAGS, CXXFLAGS, LIB_FUZZING_ENGINE,
# OUT, SRC, WORK.  Writes, for each provider P in SHMFUZZ_CFLITE_PROVIDERS
# (default: reference):
#   $OUT/fuzz_P                 the target (libFuzzer API, linked with $LIB_FUZZING_ENGINE
#                               by $CXX, as OSS-Fuzz requires)
#   $OUT/fuzz_P_seed_corpus.zip corpus/seeds/*.ops and corpus/regressions/*.ops, encoded
#   $OUT/fuzz_P.dict            corpus/shmfuzz.dict
#   $OUT/fuzz_P.options         libFuzzer options (dict, timeout, rss limit, max_len)
#   $OUT/lib/                   shared libraries the runner image lacks (libjansson, libnettle, libdw and its libelf)
#
# Local check, without Docker:
#   CC=clang CXX=clang++ CFLAGS='-fsanitize=address,fuzzer-no-link' \
#   LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=/tmp/out SRC=.. .clusterfuzzlite/build.sh

: "${CC:=clang}"
: "${CXX:=clang++}"
: "${CFLAGS:=}"
: "${CXXFLAGS:=}"
: "${LIB_FUZZING_ENGINE:=-fsanitize=fuzzer}"
: "${OUT:?set OUT to the output directory}"
: "${SRC:=/src}"
providers="${SHMFUZZ_CFLITE_PROVIDERS:-reference}"

# The repository: next to this script (a checkout), or $SRC/shmfuzz (the image
# copies build.sh to $SRC), or the working directory.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo=""
for cand in "$here/.." "$SRC/shmfuzz" "$PWD"; do
    if [ -f "$cand/ndis/include/ndis.h" ] && [ -f "$cand/CMakeLists.txt" ]; then
        repo="$(cd "$cand" && pwd)"
        break
    fi
done
if [ -z "$repo" ]; then
    echo "build.sh: cannot find the shmfuzz sources (looked in $here/.., $SRC/shmfuzz, $PWD)" >&2
    exit 2
fi
work="${WORK:-$(mktemp -d)}"
build="$work/shmfuzz-cflite-build"
mkdir -p "$OUT" "$build"

# Sanitizers and coverage come from CFLAGS, so shmfuzz's own SHMF_SANITIZE stays
# empty; the engine is whatever LIB_FUZZING_ENGINE links.  $CXX links every
# executable (libFuzzer and the AFL++ driver are C++).
cmake -S "$repo" -B "$build" -G "Unix Makefiles" \
    -DCMAKE_BUILD_TYPE= \
    -DCMAKE_C_COMPILER="$CC" \
    -DCMAKE_C_FLAGS="$CFLAGS" \
    -DCMAKE_C_LINK_EXECUTABLE="$CXX <FLAGS> $CXXFLAGS <CMAKE_C_LINK_FLAGS> <LINK_FLAGS> <OBJECTS> -o <TARGET> <LINK_LIBRARIES>" \
    -DCMAKE_BUILD_RPATH='$ORIGIN/lib' \
    -DSHMF_ENGINE=libfuzzer \
    -DSHMF_SANITIZE= \
    -DSHMF_BUILD_TESTS=OFF \
    -DSHMF_FUZZ_LINK_FLAGS="$LIB_FUZZING_ENGINE"

targets=(shmfuzz)
for p in $providers; do
    targets+=("fuzz_$p")
done
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"

# Seeds: the text corpus, encoded once for every target.
shmfuzz="$build/harness/shmfuzz"
seeds="$work/shmfuzz-seeds"
rm -rf "$seeds"
mkdir -p "$seeds"
shopt -s nullglob
for ops in "$repo"/corpus/seeds/*.ops "$repo"/corpus/regressions/*.ops; do
    name="$(basename "$(dirname "$ops")")-$(basename "$ops" .ops)"
    "$shmfuzz" encode "$ops" -o "$seeds/$name"
done
if [ -z "$(ls -A "$seeds")" ]; then
    # No text corpus yet: one allocate / touch / free program.
    printf 'shmfuzz-ops v=1\nalloc usage=4 length=4096\ntouch write=1 len=64\nfree\n' \
        >"$work/minimal.ops"
    "$shmfuzz" encode "$work/minimal.ops" -o "$seeds/minimal"
fi

for p in $providers; do
    t="fuzz_$p"
    cp "$build/fuzz/$t" "$OUT/$t"
    rm -f "$OUT/${t}_seed_corpus.zip"
    (cd "$seeds" && zip -q -j "$OUT/${t}_seed_corpus.zip" ./*)
    cp "$repo/corpus/shmfuzz.dict" "$OUT/$t.dict"
    cat >"$OUT/$t.options" <<OPTIONS
[libfuzzer]
dict = $t.dict
max_len = 8192
timeout = 25
rss_limit_mb = 2560
OPTIONS
done

# Only $OUT reaches the bots, whose image has no libjansson, libnettle or libdw: ship them beside the
# targets (their RUNPATH is \$ORIGIN/lib).
mkdir -p "$OUT/lib"
for p in $providers; do
    ldd "$OUT/fuzz_$p" | awk '/libjansson|libnettle|libdw|libelf/ { print $3 }' | while read -r lib; do
        [ -n "$lib" ] && cp -L "$lib" "$OUT/lib/"
    done
done
echo "build.sh: built ${targets[*]} into $OUT"
