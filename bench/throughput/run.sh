#!/usr/bin/env bash
# bench/throughput: exec/s of the engine targets on the reference provider vs an
# empty target built with the same flags, same run, same seed corpus, fixed seed;
# and where one input's time goes (provider, runtime + verifier, executor, world
# reset, libFuzzer itself), from perf samples of fuzz_reference (split.py).
# Usage: scripts/bench.sh throughput [--quick]
# Trees: SHMF_BENCH_LF_DIR (default build/libfuzzer), SHMF_BENCH_AFL_DIR
# (default build/afl); configured with their presets when missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=20
split_secs=20
[ "${1:-}" = "--quick" ] && { secs=5; split_secs=5; }
lf=${SHMF_BENCH_LF_DIR:-build/libfuzzer}
afl=${SHMF_BENCH_AFL_DIR:-build/afl}
[ -f "$lf/CMakeCache.txt" ] || cmake --preset libfuzzer -B "$lf" >/dev/null
cmake --build "$lf" -j"$(nproc)" --target fuzz_reference fuzz_empty shmf_seed_corpus >/dev/null 2>&1 ||
  cmake --build "$lf" -j"$(nproc)" --target fuzz_reference fuzz_empty >/dev/null
if command -v afl-fuzz >/dev/null && command -v afl-clang-fast >/dev/null; then
  [ -f "$afl/CMakeCache.txt" ] || cmake --preset afl -B "$afl" >/dev/null
  cmake --build "$afl" -j"$(nproc)" --target afl_reference afl_empty >/dev/null
else
  afl=""
fi
out=reports/out/bench-throughput.json
python3 bench/throughput/throughput.py --secs "$secs" --lf "$lf" --afl "$afl" --out "$out.raw"
python3 bench/throughput/split.py "$lf/fuzz/fuzz_reference" "$lf/corpus/seeds" corpus/shmfuzz.dict \
  "$split_secs" "$out.raw" "$out.raw"
python3 bench/machine.py "$out.raw" "$out"
rm -f "$out.raw"
echo "bench: wrote $out"
