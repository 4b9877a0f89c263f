#!/usr/bin/env bash
# Entry path 1: an external CMake project (examples/external-provider) built
# against the installed package with find_package(shmfuzz) + shmfuzz_add_provider.
. "$(dirname "$0")/common.sh"

work="$BYO_WORK/external"
rm -rf "$work"
mkdir -p "$work"
step "configure + build examples/external-provider against $BYO_PREFIX"
"$BYO_CMAKE" -S "$EXAMPLE" -B "$work/build" -DCMAKE_C_COMPILER="$BYO_CC" \
    -DCMAKE_PREFIX_PATH="$BYO_PREFIX" -DCMAKE_BUILD_TYPE=Debug >"$work/configure.log"
"$BYO_CMAKE" --build "$work/build" -j2 >"$work/build.log"
so="$work/build/providers/libshmfprov_contig.so"
[ -f "$so" ] || fail "no $so"
[ -x "$work/build/fuzz/afl_contig" ] || fail "no afl_contig engine target"

step "shmfuzz replay --provider $so over the seeds: expect clean"
expect_rc 0 "$SHMFUZZ" replay --quiet --provider "$so" "$SEEDS"
step "the example's own ctest (replays the seeds)"
expect_rc 0 ctest --test-dir "$work/build" --output-on-failure

step "afl_contig (plain runner) over the encoded seeds and 50 random programs"
encode_seeds "$work/seeds"
expect_rc 0 "$work/build/fuzz/afl_contig" "$work/seeds"/*
random_inputs "$work/random" 50
expect_rc 0 "$work/build/fuzz/afl_contig" "$work/random"/*

if have_libfuzzer; then
    step "libFuzzer: SHMF_ENGINE=libfuzzer build of the example, -runs=100"
    "$BYO_CMAKE" -S "$EXAMPLE" -B "$work/build-lf" -DCMAKE_C_COMPILER="$BYO_CC" \
        -DCMAKE_PREFIX_PATH="$BYO_PREFIX" -DSHMF_ENGINE=libfuzzer >"$work/configure-lf.log"
    "$BYO_CMAKE" --build "$work/build-lf" -j2 >"$work/build-lf.log"
    mkdir -p "$work/corpus-lf"
    cp "$work/seeds"/* "$work/corpus-lf/"
    expect_rc 0 "$work/build-lf/fuzz/fuzz_contig" -runs=100 -seed=1 \
        -dict="$BYO_PREFIX/share/shmfuzz/corpus/shmfuzz.dict" "$work/corpus-lf"
    printf '%s\n' "$BYO_LAST" | grep 'Done 100 runs' >/dev/null || fail "libFuzzer did not finish its runs"
else
    step "libFuzzer not available with $BYO_CC: skipping the libFuzzer run"
fi
step "external ok"
