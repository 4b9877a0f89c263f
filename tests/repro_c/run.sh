#!/usr/bin/env bash
# The C reproducer that `shmfuzz repro-c` writes compiles as its header says and
# replays the finding: a verifier finding (pool-double-free: exit 1 and the
# "finding:" line) and a sanitizer crash (params-out-of-bounds: ASan stops at the
# provider's faulting line).
#
# usage: run.sh SHMFUZZ ROOT WORK CC "SAN_FLAGS" INCLUDE_GENERATED LIB_HARNESS LIB_RUNTIME
set -euo pipefail
shmfuzz="$1" root="$2" work="$3" cc="$4" san="$5" gen="$6" lib_h="$7" lib_rt="$8"
rm -rf "$work" && mkdir -p "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }

# One reproducer: generate, compile with the provider, run; prints its output.
repro() {
  local name="$1" provider="$2" input="$3" rc=0
  "$shmfuzz" repro-c -o "$work/$name.c" "$input" || fail "repro-c $input: exit $?"
  # shellcheck disable=SC2086  # $san and $provider are word lists
  "$cc" $san -g -I "$root/ndis/include" -I "$root/harness/exec" -I "$root/harness/codec" -I "$gen" -o "$work/$name" \
    "$work/$name.c" $provider "$root/providers/reference/ring_driver.c" "$lib_h" "$lib_rt" -ljansson -ldw -ldl -lpthread -lm \
    >"$work/$name.cc.log" 2>&1 || { cat "$work/$name.cc.log" >&2; fail "$name.c does not compile"; }
  "$work/$name" >"$work/$name.out" 2>&1 || rc=$?
  echo "$rc"
}

rc="$(repro double_free "$root/providers/buggy/double_free.c" "$root/corpus/regressions/double_free.ops")"
[ "$rc" = 1 ] || fail "double_free reproducer: exit $rc, want 1: $(tail -3 "$work/double_free.out")"
grep -q '^finding: pool-double-free at op' "$work/double_free.out" ||
  fail "double_free reproducer: no 'finding: pool-double-free' line: $(tail -3 "$work/double_free.out")"
echo "ok: repro.c of double_free compiles and reports pool-double-free (exit 1)"

rc="$(repro rev1_vport "$root/providers/buggy/rev1_vport.c" "$root/corpus/regressions/rev1_vport.ops")"
[ "$rc" != 0 ] || fail "rev1_vport reproducer: exit 0"
case "$san" in
  *address*) grep -q 'SUMMARY: AddressSanitizer: .*rev1_vport.c:[0-9:]* in RefValidate' "$work/rev1_vport.out" ||
               fail "rev1_vport reproducer: no ASan report in RefValidate: $(tail -3 "$work/rev1_vport.out")" ;;
esac
echo "ok: repro.c of rev1_vport compiles and stops at the faulting read (exit $rc)"

# Ring ops: the provider's own ring driver is called (ring_next_past), and a
# provider without one gets the reference's (the reference's rx cycle runs clean).
rc="$(repro ring_next_past "$root/providers/buggy/ring_next_past.c $root/providers/reference/reference.c" \
      "$root/corpus/regressions/ring_next_past.ops")"
[ "$rc" = 1 ] || fail "ring_next_past reproducer: exit $rc, want 1: $(tail -3 "$work/ring_next_past.out")"
grep -q '^finding: ring-index-out-of-range at op' "$work/ring_next_past.out" ||
  fail "ring_next_past reproducer: no 'finding: ring-index-out-of-range' line"
rc="$(repro rx_cycle "$root/providers/reference/reference.c" "$root/corpus/seeds/09-queue-rx-cycle.ops")"
[ "$rc" = 0 ] || fail "rx_cycle reproducer: exit $rc, want 0: $(tail -3 "$work/rx_cycle.out")"
grep -q 'received' "$work/rx_cycle.out" || fail "rx_cycle reproducer: no rx op ran"
echo "ok: repro.c with ring ops uses the provider's ring driver, else the reference's"
