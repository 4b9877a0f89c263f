#!/usr/bin/env bash
# bench/campaign: what a campaign keeps of each engine's own speed, and what a
# second core adds: the engine run alone (in-process) vs the same engine in a
# campaign with the same budget and seeds, and --jobs 2 vs --jobs 1, interleaved.
# Usage: scripts/bench.sh campaign [--quick] [--rounds N] [--budget SECONDS]
#                                  [--engines libfuzzer,afl] [--no-fork]
# Writes reports/out/bench-campaign.json; campaigns and logs in reports/out/bench-campaign/.
# --quick: one round of 5 s runs (under a minute once built); the default: 3 rounds
# of 60 s runs (about 20 min with both engines).  --no-fork leaves out the
# standalone libFuzzer -fork=1 run (what campaigns ran before they supervised
# in-process workers), measured by default.
# Trees: SHMF_BUILD_DIR (default build/) as scripts/campaign.sh; SHMF_BENCH_NO_BUILD=1
# uses them as they are.
set -euo pipefail
cd "$(dirname "$0")/../.."
SHMF_PROG=bench-campaign
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

py=bench/campaign/campaign_bench.py
python3 "$py" --check-args "$@" || exit 2
engines="$(python3 "$py" --print-engines "$@")"

build_afl_mutator() {
  shmf_build_afl_mutator >/dev/null
}

if [ -z "${SHMF_BENCH_NO_BUILD:-}" ]; then
  shmf_log "building dev (shmfuzz, seeds) ..."
  shmf_build dev shmfuzz shmf_seed_corpus || shmf_die "build of preset dev failed (see $(shmf_build_root)/dev.log)"
  case ",$engines," in *,libfuzzer,*)
    shmf_log "building libfuzzer (fuzz_reference) ..."
    shmf_build libfuzzer fuzz_reference || shmf_die "build of preset libfuzzer failed (see $(shmf_build_root)/libfuzzer.log)" ;;
  esac
  case ",$engines," in *,afl,*)
    if command -v afl-fuzz >/dev/null && command -v afl-clang-fast >/dev/null; then
      shmf_log "building afl (afl_reference, its CMPLOG twin, the custom mutator) ..."
      shmf_build afl afl_reference afl_reference_cmplog || shmf_die "build of preset afl failed (see $(shmf_build_root)/afl.log)"
      build_afl_mutator || shmf_die "cannot build the AFL++ custom mutator (see $(shmf_bin_dir afl)/campaign/mutator.log)"
    fi ;;
  esac
fi
out=reports/out/bench-campaign.json
rc=0
python3 "$py" --dev "$(shmf_bin_dir dev)" --lf "$(shmf_bin_dir libfuzzer)" --afl "$(shmf_bin_dir afl)" \
  --work reports/out/bench-campaign --out "$out.raw" "$@" || rc=$?
# A bench with failed runs still writes what it measured ("status": "failed"), then exits 2.
[ -f "$out.raw" ] || exit 2
python3 bench/machine.py "$out.raw" "$out"
rm -f "$out.raw"
echo "bench: wrote $out"
exit "$rc"
