#!/usr/bin/env bash
# run_test.sh -- the engine smoke tests registered by tests/engines.cmake.
# usage: run_test.sh TEST SHMFUZZ_BIN WORK_DIR
#   TEST: build (the fixture: the libfuzzer and afl presets' targets, each in its
#   own tree under $SHMF_BUILD_DIR); libfuzzer, planted, afl (short engine runs
#   of those trees' binaries, from the seeds of $SHMF_DEV_TREE, the ctest tree).
# Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail
name="$1"
shmfuzz="$2"
work="$3"
root="$(cd "$(dirname "$0")/../.." && pwd)"
rm -rf "$work"
mkdir -p "$work"

fail() { echo "FAIL: $*" >&2; exit 1; }

export SHMF_DEV_TREE="${SHMF_DEV_TREE:-$(cd "$(dirname "$shmfuzz")/.." && pwd)}"
[ -n "${SHMF_BUILD_DIR:-}" ] || fail "SHMF_BUILD_DIR is not set"
seeds="$SHMF_DEV_TREE/corpus/seeds"
lf_tree="$SHMF_BUILD_DIR/libfuzzer"
afl_tree="$SHMF_BUILD_DIR/afl"
# The planted bug of the planted test, and what its regression input must give.
planted=double_free
planted_kind=pool-double-free

have_afl() {
  command -v afl-fuzz >/dev/null && command -v afl-clang-fast >/dev/null
}

# A private copy of the seeds: the engines write into their corpus.
copy_seeds() {
  [ -n "$(ls -A "$seeds" 2>/dev/null)" ] || fail "no seeds in $seeds (build target shmf_seed_corpus)"
  mkdir -p "$1"
  cp "$seeds"/* "$1"/
}

# The ctest fixture: only the targets the runs below need, configured once per tree.
test_build() {
  local t0=$SECONDS
  # shellcheck source=scripts/lib.sh
  . "$root/scripts/lib.sh"
  shmf_build libfuzzer fuzz_reference "fuzz_buggy_$planted" ||
    fail "build of preset libfuzzer (see $SHMF_BUILD_DIR/libfuzzer.log)"
  echo "ok: libfuzzer tree $lf_tree ($((SECONDS - t0)) s)"
  if ! have_afl; then
    echo "skip: AFL++ (afl-fuzz, afl-clang-fast) not installed: afl tree not built"
    return 0
  fi
  t0=$SECONDS
  shmf_build afl afl_reference afl_reference_cmplog shmf_afl_mutator ||
    fail "build of preset afl (see $SHMF_BUILD_DIR/afl.log)"
  echo "ok: afl tree $afl_tree ($((SECONDS - t0)) s)"
}

# libFuzzer against the reference for 5 s: exit 0, units executed, no crash.
test_libfuzzer() {
  local bin="$lf_tree/fuzz/fuzz_reference" rc=0 units
  [ -x "$bin" ] || fail "missing $bin (engines_build failed?)"
  copy_seeds "$work/corpus"
  mkdir -p "$work/artifacts"
  "$bin" -seed=1 -max_total_time=5 -print_final_stats=1 -dict="$root/corpus/shmfuzz.dict" \
    -artifact_prefix="$work/artifacts/" "$work/corpus" >"$work/log" 2>&1 || rc=$?
  [ "$rc" = 0 ] || fail "fuzz_reference: exit $rc: $(tail -n 30 "$work/log")"
  units="$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\)$/\1/p' "$work/log")"
  [ "${units:-0}" -gt 0 ] || fail "fuzz_reference: no units executed: $(tail -n 30 "$work/log")"
  ! grep -q "==shmfuzz== finding\|ERROR: libFuzzer\|ERROR: AddressSanitizer" "$work/log" ||
    fail "fuzz_reference: a finding: $(grep -m 3 '==shmfuzz==\|ERROR' "$work/log")"
  [ -z "$(ls -A "$work/artifacts")" ] || fail "fuzz_reference left artifacts: $(ls "$work/artifacts")"
  echo "ok: libFuzzer fuzz_reference, 5 s: $units units, corpus $(find "$work/corpus" -type f | wc -l), no crash"
}

# libFuzzer against a planted bug, from its regression input: it stops at once on
# the crash, names the finding and leaves the crash artifact.
test_planted() {
  local bin="$lf_tree/fuzz/fuzz_buggy_$planted" rc=0
  [ -x "$bin" ] || fail "missing $bin (engines_build failed?)"
  mkdir -p "$work/in" "$work/artifacts"
  "$shmfuzz" encode "$root/corpus/regressions/$planted.ops" -o "$work/in/$planted" ||
    fail "cannot encode corpus/regressions/$planted.ops"
  "$bin" -seed=1 -max_total_time=30 -artifact_prefix="$work/artifacts/" "$work/in" \
    >"$work/log" 2>&1 || rc=$?
  [ "$rc" != 0 ] || fail "fuzz_buggy_$planted: exit 0, want a crash: $(tail -n 20 "$work/log")"
  grep -q "^==shmfuzz== finding: $planted_kind: " "$work/log" ||
    fail "fuzz_buggy_$planted: no '==shmfuzz== finding: $planted_kind' line: $(tail -n 30 "$work/log")"
  ls "$work/artifacts"/crash-* >/dev/null 2>&1 || fail "fuzz_buggy_$planted: no crash artifact"
  echo "ok: libFuzzer fuzz_buggy_$planted: exit $rc, $(grep -m 1 '^==shmfuzz== finding:' "$work/log")"
}

# The afl binary and its CMPLOG twin: only the twin calls AFL++'s CMPLOG hooks
# (both carry the hooks themselves: they are part of AFL++'s runtime); the plain
# binary's provider calls ours instead (the record-level "cmp" table:
# harness/exec/cmplog_hooks.c).
check_cmplog_build() {
  local plain="$1" twin="$2" n_plain n_twin n_ours
  command -v objdump >/dev/null || return 0
  n_plain="$(objdump -d "$plain" | grep -c 'call.*<__cmplog_' || true)"
  n_ours="$(objdump -d "$plain" | grep -c 'call.*<__wrap___cmplog_ins_hook' || true)"
  n_twin="$(objdump -d "$twin" | grep -c 'call.*<__cmplog_' || true)"
  [ "$n_plain" = 0 ] || fail "$plain calls __cmplog_ hooks ($n_plain times)"
  [ "$n_ours" -gt 0 ] || fail "$plain: its provider's comparisons do not reach the mutator's hooks (__wrap___cmplog_ins_hook)"
  [ "$n_twin" -gt 0 ] || fail "$twin has no CMPLOG instrumentation"
  echo "ok: CMPLOG hooks called: $n_twin sites in ${twin##*/}; ${plain##*/}: none, $n_ours to the mutator's table"
}

# AFL++ 4.04c starts its CMPLOG fork server by executing the plain target with
# argv[0] set to the twin; the plain target must then become the twin
# (afl_target.c, become_cmplog_twin).  A stand-in twin that leaves a mark shows
# that it does, and only with afl-fuzz's CMPLOG marker set.
check_becomes_twin() {
  local bin="$1" fake="$work/fake_twin" mark="$work/fake_twin.ran"
  printf '#!/bin/sh\necho "$0" > "%s"\n' "$mark" >"$fake"
  chmod +x "$fake"
  ( exec -a "$fake" "$bin" </dev/null ) >/dev/null 2>&1 || true
  [ ! -e "$mark" ] || fail "${bin##*/} ran argv[0] without afl-fuzz's CMPLOG marker"
  ( ___AFL_EINS_ZWEI_POLIZEI___=1 exec -a "$fake" "$bin" </dev/null ) >/dev/null 2>&1 || true
  [ -s "$mark" ] || fail "${bin##*/} with the CMPLOG marker did not become argv[0] (the twin)"
  echo "ok: ${bin##*/} becomes the CMPLOG twin it is started as"
}

# One fuzzer_stats field (the first of the names given that is present).
afl_stat() {
  local f="$1" k v
  shift
  for k in "$@"; do
    v="$(sed -n "s/^$k *: *\([0-9]*\).*/\1/p" "$f")"
    [ -z "$v" ] || { echo "$v"; return 0; }
  done
  return 1
}

# AFL++ against the reference for 5 s, with the custom mutator and CMPLOG (-c):
# executions, no crash.
test_afl() {
  have_afl || { echo "skip: AFL++ (afl-fuzz, afl-clang-fast) not installed"; exit 77; }
  local bin="$afl_tree/fuzz/afl_reference" mut="$afl_tree/harness/libshmf_afl_mutator.so"
  local rc=0 stats execs crashes
  for f in "$bin" "${bin}_cmplog" "$mut"; do
    [ -e "$f" ] || fail "missing $f (engines_build failed?)"
  done
  check_cmplog_build "$bin" "${bin}_cmplog"
  check_becomes_twin "$bin"
  copy_seeds "$work/in"
  SHMFUZZ_MUTATOR_STATS="$work/mutator-stats" \
    AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 \
    AFL_FAST_CAL=1 AFL_CUSTOM_MUTATOR_LIBRARY="$mut" \
    afl-fuzz -V 5 -s 1 -i "$work/in" -o "$work/out" -x "$root/corpus/shmfuzz.dict" \
    -c "${bin}_cmplog" -- "$bin" </dev/null >"$work/log" 2>&1 || rc=$?
  [ "$rc" = 0 ] || fail "afl-fuzz: exit $rc: $(tail -n 30 "$work/log")"
  stats="$work/out/default/fuzzer_stats"
  [ -f "$stats" ] || fail "no $stats: $(tail -n 30 "$work/log")"
  execs="$(afl_stat "$stats" execs_done)" || fail "no execs_done in $stats"
  crashes="$(afl_stat "$stats" saved_crashes unique_crashes)" || fail "no saved_crashes in $stats"
  [ "$execs" -gt 0 ] || fail "afl-fuzz: execs_done 0"
  [ "$crashes" = 0 ] || fail "afl-fuzz: $crashes crashes in $work/out/default/crashes"
  grep -q "Custom mutator .* installed successfully" "$work/log" || fail "the custom mutator was not loaded"
  grep -q "Cmplog forkserver successfully started" "$work/log" || fail "the CMPLOG forkserver did not start"
  check_mutator_tables "$work/mutator-stats"
  echo "ok: AFL++ afl_reference, 5 s, custom mutator + CMPLOG: execs_done $execs, saved_crashes 0"
}

# The provider's comparisons reached the custom mutator: it had tables (the
# entry's own or the last input's) and applied "cmp" mutations from them.
check_mutator_tables() {
  local f="$1" own other applied
  [ -s "$f" ] || fail "the custom mutator wrote no stats ($f)"
  grep -q '^tables: ring$' "$f" || fail "the custom mutator has no operand ring: $(tr '\n' ' ' <"$f")"
  own="$(sed -n 's/^own_table: //p' "$f")"
  other="$(sed -n 's/^other_table: //p' "$f")"
  applied="$(sed -n 's/^cmp_applied: //p' "$f")"
  [ "$((own + other))" -gt 0 ] || fail "no comparison table reached the mutator: $(tr '\n' ' ' <"$f")"
  [ "${applied:-0}" -gt 0 ] || fail "no cmp mutation applied: $(tr '\n' ' ' <"$f")"
  echo "ok: operand tables: own $own, other $other; cmp mutations $applied"
}

"test_$name"
