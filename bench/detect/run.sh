#!/usr/bin/env bash
# bench/detect: time to first detection of the planted bugs per engine
# (libFuzzer, AFL++, the stress runner, and an unguided random baseline).
# Usage: scripts/bench.sh detect [--quick] [--tier shallow|deep|all] [--trials T] [--budget SECONDS]
#                                [--bugs a,b] [--engines libfuzzer,afl,stress,random] [--print-plan]
# Writes reports/out/bench-detect.json and reports/out/bench-detect.md.
# --tier deep: the deep tier (providers/deep/, 300 s per trial by default);
# --print-plan: the runs and their worst-case time, without building or running.
# SHMF_DETECT_NO_BUILD=1 skips building (uses what is in build/ as it is);
# SHMF_BUILD_DIR / SHMF_DEV_TREE choose other trees, as for the other scripts.
set -euo pipefail
cd "$(dirname "$0")/../.."
SHMF_PROG=bench-detect
source scripts/lib.sh

py=bench/detect/detect.py
for arg in "$@"; do
  [ "$arg" != --print-plan ] || exec python3 "$py" "$@"
done
targets="$(python3 "$py" --print-targets "$@")" || exit 2

build_afl_mutator() {
  shmf_build_afl_mutator >/dev/null
}

if [ -z "${SHMF_DETECT_NO_BUILD:-}" ]; then
  for preset in dev release libfuzzer afl afl-mutator; do
    mapfile -t tgts < <(awk -v p="$preset" '$1 == p {print $2}' <<<"$targets")
    [ ${#tgts[@]} -gt 0 ] || continue
    shmf_log "building $preset: ${#tgts[@]} target(s) ..."
    if [ "$preset" = afl-mutator ]; then
      build_afl_mutator || shmf_log "warning: AFL++ mutator build failed (see $(shmf_bin_dir afl)/campaign/mutator.log); using the existing one if any"
    elif ! shmf_build "$preset" "${tgts[@]}"; then
      # The tree may be mid-edit by someone else: fall back to what was built before.
      shmf_log "warning: build of preset $preset failed (see build/$preset.log); using the binaries already there"
    fi
  done
fi
exec python3 "$py" "$@"
