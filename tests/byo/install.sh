#!/usr/bin/env bash
# Install this build tree into a fresh prefix and check the layout (fixture for
# the other byo tests).
. "$(dirname "$0")/common.sh"

rm -rf "$BYO_PREFIX"
step "cmake --install $BYO_BUILD --prefix $BYO_PREFIX"
"$BYO_CMAKE" --install "$BYO_BUILD" --prefix "$BYO_PREFIX" >"$BYO_WORK/install.log"
for f in bin/shmfuzz include/shmfuzz/ndis.h include/shmfuzz/net/ring.h \
         include/shmfuzz/shmfuzz/runtime.h include/shmfuzz/shmfuzz/findings.h \
         include/shmfuzz/harness/exec.h lib/cmake/shmfuzz/shmfuzzConfig.cmake \
         lib/cmake/shmfuzz/shmfuzzConfigVersion.cmake lib/cmake/shmfuzz/shmfuzzTargets.cmake \
         lib/cmake/shmfuzz/ShmfuzzAddProvider.cmake lib/shmfuzz/providers/libshmfprov_reference.so \
         share/shmfuzz/fuzz/fuzz_common.c share/shmfuzz/fuzz/libfuzzer_target.c \
         share/shmfuzz/fuzz/afl_target.c share/shmfuzz/corpus/shmfuzz.dict; do
    [ -e "$BYO_PREFIX/$f" ] || fail "not installed: $f"
done
ls "$BYO_PREFIX"/lib*/libshmf_runtime.a "$BYO_PREFIX"/lib*/libshmf_harness.a \
   "$BYO_PREFIX"/lib*/libshmf_fuzz_common.a >/dev/null || fail "static libraries missing"
# Private runtime headers stay private.
if find "$BYO_PREFIX/include" -name 'rt_*.h' | grep . >/dev/null; then
    fail "private headers (ndis/src/rt_*.h) were installed"
fi
# The installed CLI runs, and finds the installed reference provider by name.
expect_rc 0 "$SHMFUZZ" kinds
SHMF_PROVIDER_PATH="$BYO_PREFIX/lib/shmfuzz/providers" \
    expect_rc 0 "$SHMFUZZ" replay --quiet --provider reference "$SEEDS"
step "install ok"
