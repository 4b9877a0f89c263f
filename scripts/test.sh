#!/usr/bin/env bash
# Set up, configure, build and run every test (ASan+UBSan, warnings as errors).
# Usage: scripts/test.sh [--preset NAME]   (default: ci = dev + -Werror)
set -euo pipefail
cd "$(dirname "$0")/.."
preset=ci
if [ "${1:-}" = "--preset" ]; then preset="$2"; fi
scripts/setup-deps.sh --tests
cmake --preset "$preset"
cmake --build --preset "$preset" -j"$(nproc)"
ctest --preset "$preset" --output-on-failure -j"$(nproc)"
