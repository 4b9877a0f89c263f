#!/usr/bin/env bash
# run.sh -- the end-to-end tests registered by tests/e2e.cmake (label e2e).
# usage: run.sh TEST
#   build        fixture: harness/fuzz_generic, the libFuzzer binary out-of-tree
#                providers load, in $SHMF_BUILD_DIR/libfuzzer (beside campaign_build's)
#   build_afl    fixture: afl_generic, its CMPLOG twin and the custom mutator in
#                $SHMF_BUILD_DIR/afl (nothing when AFL++ is not installed)
#   abs_c        buggy provider as an absolute .c path
#   rel_c        buggy provider as a relative .c path, relative --out; both engines
#   dir          buggy provider as a folder of two .c files
#   so           buggy provider as a prebuilt .so (docs/byo-provider.md flags)
#   cmake        this tree installed, an external CMake project (find_package +
#                shmfuzz_add_provider) builds a buggy and a clean provider
#   clean_c      the clean provider as an absolute .c path
#   cmp_tables   the clean provider's comparisons reach each engine's mutator
#                (SHMFUZZ_MUTATOR_STATS), libFuzzer and (when installed) AFL++
#   driver_cpp   a C++ driver with only DriverEntry (registers as a filter driver;
#                tests/wdk/driver_filter.cpp): compiles, loads and runs clean
# Each test works in a fresh mktemp -d folder under /tmp, outside the checkout,
# and runs scripts/campaign.sh by absolute path from there (cwd = that folder).
# The folder is removed when the test passes and kept (path printed) when not.
#
# Environment (tests/e2e.cmake sets it): SHMF_BUILD_DIR, SHMF_DEV_TREE (the trees
# the campaigns use as they are, --no-build), E2E_BUILD (the tree to install),
# E2E_CC, E2E_CMAKE; E2E_TIME (default 10s) and E2E_CLEAN_TIME (default 5s) are
# the fuzzing budgets; E2E_KEEP=1 keeps the folder.
# Exit 0 pass, 1 fail (every failed check is listed), 77 skip.
set -euo pipefail
name="${1:?usage: run.sh TEST}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
here="$root/tests/e2e"
: "${SHMF_BUILD_DIR:?set by tests/e2e.cmake}" "${SHMF_DEV_TREE:?set by tests/e2e.cmake}"
export SHMF_BUILD_DIR SHMF_DEV_TREE
CC="${E2E_CC:-clang}"
CMAKE="${E2E_CMAKE:-cmake}"
TIME="${E2E_TIME:-10s}"
CLEAN_TIME="${E2E_CLEAN_TIME:-5s}"

# The planted bugs (docs/planted-bugs.md) and what a campaign must report for them.
# rev1_vport: one file, found from the seeds in well under a second.
BUGGY_C="$root/providers/buggy/rev1_vport.c"
BUGGY_KINDS="params-out-of-bounds"
# ring_next_past: its own ring driver plus the reference provider, two files that
# are both needed (no ShmfProviderSetOptions without the one, no bug without the
# other); its "Expect" kind and its "Also" kind.
RING_C="$root/providers/buggy/ring_next_past.c"
RING_KINDS="ring-index-out-of-range,ring-ownership-violated"
CLEAN_C="$root/providers/reference/reference.c"

T0=$SECONDS
failures=0
work=""

step() { printf '[e2e %s %3ds] %s\n' "$name" $((SECONDS - T0)) "$*"; }
# A failed check: listed, counted, the test goes on so every failure shows.
bad() {
  printf 'FAIL: %s\n' "$*"
  failures=$((failures + 1))
}
die() {
  printf 'FAIL: %s\n' "$*"
  exit 1
}

cleanup() {
  local rc=$?
  [ -n "$work" ] || return 0
  if [ "$rc" = 0 ] && [ -z "${E2E_KEEP:-}" ]; then
    rm -rf -- "$work"
  else
    echo "e2e: workspace kept: $work"
  fi
}

# A fresh folder under /tmp, never inside the checkout.
new_workspace() {
  work="$(mktemp -d "/tmp/shmf-e2e-$name.XXXXXX")"
  trap cleanup EXIT
  case "$(cd "$work" && pwd -P)/" in
    "$(cd "$root" && pwd -P)"/*) die "workspace $work is inside the checkout $root" ;;
  esac
  step "workspace $work"
}

# Use AFL++ too when it is installed and the fixture built its binaries.
have_afl() {
  command -v afl-fuzz >/dev/null && command -v afl-clang-fast >/dev/null &&
    [ -x "$SHMF_BUILD_DIR/afl/harness/afl_generic" ] &&
    [ -f "$SHMF_BUILD_DIR/afl/campaign/libshmf_afl_mutator.so" ]
}

# campaign TAG WANT_RC CAMPAIGN_ARGS...: scripts/campaign.sh by absolute path with
# cwd = the workspace; the output goes to $work/TAG.log and is shown.
campaign() {
  local tag="$1" want="$2" rc=0 t=$SECONDS
  shift 2
  step "campaign.sh $*"
  (cd "$work" && nice "$root/scripts/campaign.sh" --no-build --jobs 1 --reliability 1 "$@") \
    >"$work/$tag.log" 2>&1 || rc=$?
  sed 's/^/  | /' "$work/$tag.log"
  step "campaign exit $rc after $((SECONDS - t)) s"
  [ "$rc" = "$want" ] || bad "campaign.sh $*: exit $rc, want $want"
}

# check_reports RUN_DIR EXPECT KINDS ENGINES [SOURCE_DIR]: check_campaign.py; the
# finding folders it lists go to $work/fdirs.
check_reports() {
  local dir="$1" expect="$2" kinds="$3" engines="$4" src="${5:-}" rc=0
  [ -d "$dir" ] || { bad "no campaign folder $dir"; : >"$work/fdirs"; return; }
  python3 "$here/check_campaign.py" --root "$root" --dir "$dir" --expect "$expect" \
    --kinds "$kinds" --engines "$engines" ${src:+--source-dir "$src"} >"$work/fdirs" 2>"$work/check.txt" || rc=$?
  sed 's/^check: /  check: /' "$work/check.txt"
  if [ "$rc" != 0 ]; then
    bad "reports of $dir: $(grep -vc '^check: note' "$work/check.txt") problem(s) (listed above)"
  fi
}

# repro_all: scripts/repro.sh on every finding folder (cwd = the workspace): exit 1
# and the finding's own kind.
repro_all() {
  local fdir rc kind got n=0
  while read -r fdir; do
    n=$((n + 1))
    kind="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["kind"])' "$fdir/meta.json" 2>/dev/null || echo '?')"
    rc=0
    (cd "$work" && "$root/scripts/repro.sh" "$fdir") >"$work/repro.txt" 2>&1 || rc=$?
    got="$(sed -n 's/^finding: \([a-z0-9-]*\):.*/\1/p' "$work/repro.txt" | sed -n 1p)"
    if [ "$rc" = 1 ] && [ "$got" = "$kind" ]; then
      step "repro.sh ${fdir#"$work"/}: exit 1, $got"
    else
      tail -n 15 "$work/repro.txt" | sed 's/^/  | /'
      bad "repro.sh $fdir: exit $rc, kind '${got}', want exit 1, kind $kind"
    fi
  done <"$work/fdirs"
  [ "$n" -gt 0 ] || bad "no finding folder to reproduce"
}

# A buggy campaign in full: exit 1, reports valid, every finding reproduces.
buggy() {
  local tag="$1" out="$2" kinds="$3" engines="$4" src="$5"
  shift 5
  campaign "$tag" 1 "$@" --out "$out"
  case "$out" in /*) ;; *) out="$work/$out" ;; esac
  check_reports "$out/latest" buggy "$kinds" "$engines" "$src"
  repro_all
}

# A clean campaign: exit 0, reports valid, no finding.
clean() {
  local tag="$1" out="$2"
  shift 2
  campaign "$tag" 0 "$@" --out "$out"
  check_reports "$out/latest" clean "" libfuzzer
}

finish() {
  if [ "$failures" -gt 0 ]; then
    step "$failures check(s) failed"
    exit 1
  fi
  step "ok"
}

# === The tests ===

test_build() {
  # shellcheck source=scripts/lib.sh disable=SC1091
  . "$root/scripts/lib.sh"
  step "libfuzzer: harness/fuzz_generic in $SHMF_BUILD_DIR/libfuzzer"
  shmf_build libfuzzer fuzz_generic || die "build of fuzz_generic (see $SHMF_BUILD_DIR/libfuzzer.log)"
  finish
}

# A fixture of its own, so that an AFL++ build problem stops e2e_rel_c only.
test_build_afl() {
  if ! command -v afl-fuzz >/dev/null || ! command -v afl-clang-fast >/dev/null; then
    step "AFL++ not installed: e2e_rel_c runs libFuzzer only"
    return 0
  fi
  # shellcheck source=scripts/lib.sh disable=SC1091
  . "$root/scripts/lib.sh"
  step "afl: afl_generic, afl_generic_cmplog, custom mutator in $SHMF_BUILD_DIR/afl"
  shmf_build afl afl_generic afl_generic_cmplog || die "build of afl_generic (see $SHMF_BUILD_DIR/afl.log)"
  shmf_build_afl_mutator "$SHMF_BUILD_DIR/afl/campaign" >/dev/null ||
    die "cannot build the AFL++ custom mutator (see $SHMF_BUILD_DIR/afl/campaign/mutator.log)"
  finish
}

# a. An absolute .c path.
test_abs_c() {
  new_workspace
  cp "$BUGGY_C" "$work/mine.c"
  buggy run "$work/out" "$BUGGY_KINDS" libfuzzer "$work" \
    --provider "$work/mine.c" --engine libfuzzer --time "$TIME"
  finish
}

# b. A relative .c path and a relative --out; both engines when AFL++ is there.
test_rel_c() {
  new_workspace
  local engine=libfuzzer engines=libfuzzer
  if have_afl; then engine=both; engines=libfuzzer,afl; fi
  mkdir -p "$work/src"
  cp "$BUGGY_C" "$work/src/mine.c"
  buggy run out "$BUGGY_KINDS" "$engines" "$work/src" \
    --provider src/mine.c --engine "$engine" --time "$TIME"
  finish
}

# c. A folder of sources: the reference provider and a ring driver with a bug.
test_dir() {
  new_workspace
  mkdir -p "$work/driver"
  cp "$CLEAN_C" "$work/driver/provider.c"
  cp "$RING_C" "$work/driver/rx_ring.c"
  buggy run "$work/out" "$RING_KINDS" libfuzzer "$work/driver" \
    --provider driver/ --engine libfuzzer --time "$TIME"
  finish
}

# d. A prebuilt .so, compiled as docs/byo-provider.md says for libFuzzer, against
# an installed copy of this tree's headers.
test_so() {
  new_workspace
  local prefix="$work/prefix"
  "$CMAKE" --install "${E2E_BUILD:?}" --prefix "$prefix" >"$work/install.log" || die "cmake --install failed"
  cp "$BUGGY_C" "$work/mine.c"
  step "clang -fsanitize=fuzzer-no-link,address,undefined ... -o libmine-lf.so"
  (cd "$work" && "$CC" -fsanitize=fuzzer-no-link,address,undefined -g -fPIC -shared \
     -Werror=implicit-function-declaration -I"$prefix/include/shmfuzz" mine.c -o libmine-lf.so) ||
    die "the documented compile line failed"
  buggy run "$work/out" "$BUGGY_KINDS" libfuzzer "" \
    --provider "$work/libmine-lf.so" --engine libfuzzer --time "$TIME"
  if grep -rqs 'no coverage instrumentation' "$work/out/latest/work"; then
    bad "libFuzzer says the .so built with the documented flags has no coverage instrumentation"
  fi
  finish
}

# e. The installed CMake package: cmake --install of this tree into a temporary
# prefix, an external project with find_package(shmfuzz) + shmfuzz_add_provider()
# for a buggy and a clean provider (SHMF_ENGINE=libfuzzer, so the provider .so is
# instrumented), each .so fuzzed by a campaign; the installed shmfuzz replays the
# minimized input.
test_cmake() {
  new_workspace
  local prefix="$work/prefix" proj="$work/project" rc=0 fdir
  step "cmake --install ${E2E_BUILD:?} --prefix $prefix"
  "$CMAKE" --install "$E2E_BUILD" --prefix "$prefix" >"$work/install.log" || die "cmake --install failed"
  mkdir -p "$proj"
  cp "$BUGGY_C" "$proj/mine.c"
  cp "$CLEAN_C" "$proj/clean.c"
  cat >"$proj/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.24)
project(my_providers LANGUAGES C)
find_package(shmfuzz CONFIG REQUIRED)
shmfuzz_add_provider(mine SOURCES mine.c)
shmfuzz_add_provider(clean SOURCES clean.c)
EOF
  step "configure + build $proj against $prefix (SHMF_ENGINE=libfuzzer)"
  (cd "$work" && "$CMAKE" -S project -B project/build -DCMAKE_C_COMPILER="$CC" \
     -DCMAKE_PREFIX_PATH="$prefix" -DSHMF_ENGINE=libfuzzer) >"$work/configure.log" 2>&1 ||
    { tail -n 20 "$work/configure.log"; die "configure of the external project failed"; }
  nice "$CMAKE" --build "$proj/build" -j2 >"$work/build.log" 2>&1 ||
    { tail -n 20 "$work/build.log"; die "build of the external project failed"; }
  local so="$proj/build/providers/libshmfprov_mine.so" clean_so="$proj/build/providers/libshmfprov_clean.so"
  if [ ! -f "$so" ] || [ ! -f "$clean_so" ] || [ ! -x "$proj/build/fuzz/fuzz_mine" ]; then
    die "the external project did not build libshmfprov_mine.so, libshmfprov_clean.so and fuzz_mine"
  fi

  buggy run "$work/out" "$BUGGY_KINDS" libfuzzer "" --provider "$so" --engine libfuzzer --time "$TIME"
  while read -r fdir; do
    rc=0
    "$prefix/bin/shmfuzz" replay --provider "$so" "$fdir/minimized.ops" >"$work/replay.txt" 2>&1 || rc=$?
    if [ "$rc" = 1 ] && grep -q "^finding: $BUGGY_KINDS:" "$work/replay.txt"; then
      step "installed shmfuzz replay ${fdir#"$work"/}/minimized.ops: exit 1, $BUGGY_KINDS"
    else
      tail -n 10 "$work/replay.txt" | sed 's/^/  | /'
      bad "installed $prefix/bin/shmfuzz replay --provider $so $fdir/minimized.ops: exit $rc, want 1 and $BUGGY_KINDS"
    fi
  done <"$work/fdirs"

  clean clean "$work/out-clean" --provider "$clean_so" --engine libfuzzer --time "$CLEAN_TIME"
  finish
}

# The clean provider as an absolute .c path: exit 0, no finding.
test_clean_c() {
  new_workspace
  cp "$CLEAN_C" "$work/clean.c"
  clean run "$work/out" --provider "$work/clean.c" --engine libfuzzer --time "$CLEAN_TIME"
  finish
}

# The record-level "cmp" kind on a user's provider: its comparisons reach each
# engine's mutator (the campaign's provider .so wrap their hooks; the generic
# binaries define the wrappers).  A short clean campaign per engine with
# SHMFUZZ_MUTATOR_STATS: tables seen, and "cmp" mutations applied from them.
check_cmp_stats() {
  local f="$1" source="$2" own other applied
  if [ ! -s "$f" ]; then bad "no mutator stats in $f"; return; fi
  own="$(sed -n 's/^own_table: //p' "$f")"
  other="$(sed -n 's/^other_table: //p' "$f")"
  applied="$(sed -n 's/^cmp_applied: //p' "$f")"
  step "mutator stats ($source): $(tr '\n' ' ' <"$f")"
  grep -q "^tables: $source\$" "$f" || bad "$f: tables not from '$source'"
  [ "$((${own:-0} + ${other:-0}))" -gt 0 ] || bad "$f: no comparison table reached the mutator"
  [ "${applied:-0}" -gt 0 ] || bad "$f: no cmp mutation applied"
}

test_cmp_tables() {
  new_workspace
  cp "$CLEAN_C" "$work/clean.c"
  SHMFUZZ_MUTATOR_STATS="$work/lf-stats" \
    clean lf "$work/out-lf" --provider "$work/clean.c" --engine libfuzzer --time "$CLEAN_TIME"
  check_cmp_stats "$work/lf-stats" live
  if have_afl; then
    SHMFUZZ_MUTATOR_STATS="$work/afl-stats" campaign afl 0 --provider "$work/clean.c" \
      --engine afl --time "$CLEAN_TIME" --out "$work/out-afl"
    check_cmp_stats "$work/afl-stats" ring
  else
    step "AFL++ not installed: libFuzzer only"
  fi
  finish
}

test_driver_cpp() {
  new_workspace
  cp "$root/tests/wdk/driver_filter.cpp" "$work/driver.cpp"
  clean run "$work/out" --provider "$work/driver.cpp" --engine libfuzzer --time "$CLEAN_TIME"
  finish
}

command -v python3 >/dev/null || die "python3 not found"
"test_$name"
