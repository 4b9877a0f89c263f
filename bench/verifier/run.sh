#!/usr/bin/env bash
# bench/verifier: executions/s with the verifier on vs off (baseline), same run.
# Usage: scripts/bench.sh verifier [--quick]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=2; rounds=5
[ "${1:-}" = "--quick" ] && { secs=0.5; rounds=2; }
cmake --preset bench >/dev/null
cmake --build build/bench -j"$(nproc)" --target bench_verifier >/dev/null
out=reports/out/bench-verifier.json
build/bench/bench/bench_verifier "$secs" "$rounds" "$out.raw"
python3 bench/machine.py "$out.raw" "$out"
rm -f "$out.raw"
echo "bench: wrote $out"
