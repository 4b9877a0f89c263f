#!/usr/bin/env bash
# .clusterfuzzlite/build.sh with OSS-Fuzz variables: targets, seed corpus zip,
# dictionary and options land in $OUT, and a target runs from $OUT alone.
. "$(dirname "$0")/common.sh"

work="$BYO_WORK/cflite"
rm -rf "$work"
mkdir -p "$work/out" "$work/work"
if ! have_libfuzzer; then
    step "libFuzzer not available with $BYO_CC: skipping"
    exit 0
fi
cxx="${BYO_CXX:-clang++}"
step "build.sh (CC=$BYO_CC CXX=$cxx, ASan + fuzzer-no-link, LIB_FUZZING_ENGINE=-fsanitize=fuzzer)"
CC="$BYO_CC" CXX="$cxx" CFLAGS='-fsanitize=address,fuzzer-no-link' CXXFLAGS='' \
    LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT="$work/out" SRC="$(dirname "$BYO_SRC")" \
    WORK="$work/work" bash "$BYO_SRC/.clusterfuzzlite/build.sh" >"$work/build.log" 2>&1 \
    || { tail -30 "$work/build.log"; fail "build.sh failed"; }

out="$work/out"
t=fuzz_reference
for f in "$t" "${t}_seed_corpus.zip" "$t.dict" "$t.options"; do
    [ -s "$out/$f" ] || fail "build.sh did not write \$OUT/$f"
done
[ -x "$out/$t" ] || fail "$t is not executable"
grep -q '^\[libfuzzer\]' "$out/$t.options" || fail "$t.options has no [libfuzzer] section"
grep -q "^dict = $t.dict" "$out/$t.options" || fail "$t.options does not name the dictionary"
cmp -s "$out/$t.dict" "$BYO_SRC/corpus/shmfuzz.dict" || fail "$t.dict is not corpus/shmfuzz.dict"
nseeds=$(unzip -Z1 "$out/${t}_seed_corpus.zip" | wc -l)
nops=$(find "$BYO_SRC/corpus/seeds" "$BYO_SRC/corpus/regressions" -name '*.ops' 2>/dev/null | wc -l)
[ "$nseeds" -ge 1 ] || fail "empty seed corpus"
[ "$nops" -eq 0 ] || [ "$nseeds" -eq "$nops" ] || fail "$nseeds seeds in the zip, $nops .ops files"
if [ -n "$(find "$out" -maxdepth 1 -name '*.*' ! -name "$t.*" ! -name "${t}_seed_corpus.zip")" ]; then
    fail "unexpected files in \$OUT: $(ls "$out")"
fi

step "run $t from \$OUT over its unzipped seed corpus (-runs=100)"
mkdir -p "$work/corpus"
unzip -q "$out/${t}_seed_corpus.zip" -d "$work/corpus"
(cd "$out" && expect_rc 0 "./$t" -runs=100 -dict="$t.dict" "$work/corpus")
step "cflite ok ($nseeds seeds)"
