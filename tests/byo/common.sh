# common.sh -- shared by the `byo` tests (tests/byo.cmake sets the BYO_* variables).
set -euo pipefail

: "${BYO_SRC:?}" "${BYO_BUILD:?}" "${BYO_PREFIX:?}" "${BYO_WORK:?}" "${BYO_CC:?}"
: "${BYO_CMAKE:=cmake}"
SHMFUZZ="$BYO_PREFIX/bin/shmfuzz"
SEEDS="$BYO_PREFIX/share/shmfuzz/corpus/seeds"
EXAMPLE="$BYO_SRC/examples/external-provider"
T0=$(date +%s%N)

# step MESSAGE: print a progress line with the seconds since the script started.
step() {
    local ms=$((($(date +%s%N) - T0) / 1000000))
    printf '[byo %3d.%01ds] %s\n' $((ms / 1000)) $((ms % 1000 / 100)) "$*"
}

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# expect_rc WANT CMD...: run CMD, fail unless it exits with WANT.  Output is kept
# in $BYO_LAST (stdout and stderr together).
BYO_LAST=""
expect_rc() {
    local want=$1 rc=0
    shift
    BYO_LAST=$("$@" 2>&1) || rc=$?
    if [ "$rc" -ne "$want" ]; then
        printf '%s\n' "$BYO_LAST" | tail -20 >&2
        fail "exit $rc, expected $want: $*"
    fi
}

# encode_seeds DIR [MAX]: up to MAX (default 6) of the installed text seeds in
# binary form, for the engine runners (shmfuzz replay reads the text directly).
encode_seeds() {
    mkdir -p "$1"
    local n=0 max=${2:-6}
    for ops in "$SEEDS"/*.ops; do
        [ -e "$ops" ] && [ "$n" -lt "$max" ] || continue
        "$SHMFUZZ" encode "$ops" -o "$1/$(basename "$ops" .ops).bin"
        n=$((n + 1))
    done
    if [ "$n" -eq 0 ]; then
        printf 'shmfuzz-ops v=1\nalloc usage=4 length=4096\ntouch write=1 len=64\nfree\n' >"$1/min.ops"
        "$SHMFUZZ" encode "$1/min.ops" -o "$1/min.bin"
        rm "$1/min.ops"
    fi
}

# have_libfuzzer: can $BYO_CC link a libFuzzer target?
# random_inputs DIR N: N random byte strings (every byte string is a program).
random_inputs() {
    mkdir -p "$1"
    for i in $(seq 1 "$2"); do
        head -c $((8 + (i * 37) % 300)) /dev/urandom >"$1/r$i"
    done
}

have_libfuzzer() {
    local d="$BYO_WORK/probe"
    mkdir -p "$d"
    printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$d/p.c"
    "$BYO_CC" -fsanitize=fuzzer "$d/p.c" -o "$d/p" >/dev/null 2>&1
}
