#!/usr/bin/env bash
# bench/ring: (a) ring machinery (verifier off/on) vs DPDK rte_ring; (b) the
# packet path vs memcpy, and its instructions per packet when valgrind is
# installed.  Usage: scripts/bench.sh ring [--quick]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=2
[ "${1:-}" = "--quick" ] && secs=0.5
dir=${SHMF_BENCH_RELEASE_DIR:-build/bench}
[ -f "$dir/CMakeCache.txt" ] || cmake --preset bench -B "$dir" >/dev/null
cmake "$dir" >/dev/null # picks up libdpdk if it was installed since
cmake --build "$dir" -j"$(nproc)" --target bench_ring >/dev/null
out=reports/out/bench-ring.json
"$dir/bench/bench_ring" "$secs" "$out.raw"
python3 bench/ring/instructions.py "$dir/bench/bench_ring" "$out.raw" "$out.raw"
python3 bench/machine.py "$out.raw" "$out"
rm -f "$out.raw"
echo "bench: wrote $out"
