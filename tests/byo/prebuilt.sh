#!/usr/bin/env bash
# Entry path 2: a prebuilt provider .so, given to `shmfuzz --provider` and to the
# generic engine binaries through SHMFUZZ_PROVIDER, built with the flags that
# docs/byo-provider.md gives.  Also: a .so without the ABI symbols is refused
# with exit 2, and a libFuzzer binary warns about an uninstrumented provider.
. "$(dirname "$0")/common.sh"

work="$BYO_WORK/prebuilt"
rm -rf "$work"
mkdir -p "$work"
inc="$BYO_PREFIX/include/shmfuzz"
generic="$BYO_PREFIX/libexec/shmfuzz/afl_generic"

step "build the example provider with the documented replay flags"
"$BYO_CC" -fsanitize=address,undefined -fno-sanitize-recover=undefined -g -fPIC -shared \
    -I"$inc" "$EXAMPLE/provider.c" -o "$work/libcontig.so"

step "shmfuzz replay --provider libcontig.so, and SHMFUZZ_PROVIDER=libcontig.so shmfuzz replay"
expect_rc 0 "$SHMFUZZ" replay --quiet --provider "$work/libcontig.so" "$SEEDS"
SHMFUZZ_PROVIDER="$work/libcontig.so" expect_rc 0 "$SHMFUZZ" replay --quiet "$SEEDS"

encode_seeds "$work/seeds"
random_inputs "$work/random" 50
if [ -x "$generic" ]; then
    step "SHMFUZZ_PROVIDER=libcontig.so afl_generic over seeds and 50 random programs"
    SHMFUZZ_PROVIDER="$work/libcontig.so" expect_rc 0 "$generic" "$work/seeds"/* "$work/random"/*
else
    step "no installed afl_generic (a libFuzzer build): skipping the plain generic runner"
fi

step "a .so without ShmfProviderSetOptions: exit 2 and a one-line reason"
printf 'int not_a_provider(void) { return 42; }\n' >"$work/nosym.c"
"$BYO_CC" -fPIC -shared "$work/nosym.c" -o "$work/libnosym.so"
expect_rc 2 "$SHMFUZZ" replay --provider "$work/libnosym.so" "$SEEDS"
printf '%s\n' "$BYO_LAST" | grep 'is not a shmfuzz provider: it does not export ShmfProviderSetOptions' >/dev/null \
    || fail "replay did not explain the missing ABI symbol: $BYO_LAST"
if [ -x "$generic" ]; then
    SHMFUZZ_PROVIDER="$work/libnosym.so" expect_rc 2 "$generic" "$work/seeds"/*
    printf '%s\n' "$BYO_LAST" | grep 'is not a shmfuzz provider' >/dev/null \
        || fail "afl_generic did not explain the missing ABI symbol: $BYO_LAST"
fi

if have_libfuzzer; then
    step "libFuzzer generic binary from the package; instrumented vs plain provider"
    lib="$(dirname "$(find "$BYO_PREFIX" -name libshmf_runtime.a | sed -n 1p)")"
    fuzz="$BYO_PREFIX/share/shmfuzz/fuzz"
    # shellcheck disable=SC2046
    "$BYO_CC" -fsanitize=fuzzer,address,undefined -g -I"$fuzz" -I"$inc" -I"$inc/harness" \
        $(pkg-config --cflags jansson nettle libdw) "$fuzz/libfuzzer_target.c" \
        -Wl,--whole-archive "$lib/libshmf_runtime.a" -Wl,--no-whole-archive \
        "$lib/libshmf_fuzz_common.a" "$lib/libshmf_harness.a" \
        $(pkg-config --libs jansson nettle libdw) -ldl -lpthread -rdynamic -o "$work/fuzz_generic"
    "$BYO_CC" -fsanitize=fuzzer-no-link,address,undefined -g -fPIC -shared -I"$inc" \
        "$EXAMPLE/provider.c" -o "$work/libcontig-lf.so"
    mkdir -p "$work/corpus"
    cp "$work/seeds"/* "$work/corpus/"
    SHMFUZZ_PROVIDER="$work/libcontig-lf.so" expect_rc 0 "$work/fuzz_generic" -runs=100 "$work/corpus"
    if printf '%s\n' "$BYO_LAST" | grep 'no coverage instrumentation' >/dev/null; then
        fail "instrumented provider reported as uninstrumented"
    fi
    SHMFUZZ_PROVIDER="$work/libcontig.so" expect_rc 0 "$work/fuzz_generic" -runs=20 "$work/corpus"
    printf '%s\n' "$BYO_LAST" | grep 'warning: .*libcontig.so has no coverage instrumentation' >/dev/null \
        || fail "no warning for a provider built without -fsanitize=fuzzer-no-link"
else
    step "libFuzzer not available with $BYO_CC: skipping the instrumentation check"
fi
step "prebuilt ok"
