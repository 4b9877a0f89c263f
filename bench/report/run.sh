#!/usr/bin/env bash
# bench/report: how long campaign.html of an 8 h campaign (2 engines x 1,000 samples,
# 200 unique findings) takes to load and draw in headless Chromium, beside an empty
# page loaded the same way (the baseline: Chromium's own start and load), same run.
# Target: under 1 s (issue 20).
# Usage: scripts/bench.sh report [--quick]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=7
[ "${1:-}" = "--quick" ] && rounds=3
scripts/setup-deps.sh --tests >/dev/null
cmake --preset dev >/dev/null
cmake --build build/dev -j"$(nproc)" --target shmfuzz >/dev/null
out=reports/out/bench-report.json
python3 bench/report/page_load.py build/dev/harness/shmfuzz "$rounds" "$out.raw"
python3 bench/machine.py "$out.raw" "$out"
rm -f "$out.raw"
echo "bench: wrote $out"
