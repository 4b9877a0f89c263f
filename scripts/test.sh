#!/usr/bin/env bash
# Set up, configure, build and run every test (ASan+UBSan, warnings as errors).
# Usage: scripts/test.sh [--preset NAME]   (default: ci = dev + -Werror)
# Exit: 0 every test passed; 1 a build or test failed; 2 usage or set-up error.
set -euo pipefail
cd "$(dirname "$0")/.."
preset=ci
while [ "$#" -gt 0 ]; do
  case "$1" in
    -h|--help) echo "usage: scripts/test.sh [--preset NAME]  set up, build and run every test (default preset: ci)"; exit 0 ;;
    --preset)
      if [ "$#" -lt 2 ] || [ -z "$2" ] || [[ "$2" == -* ]]; then
        echo "test: option --preset needs a value (see --help)" >&2; exit 2
      fi
      preset="$2"; shift 2 ;;
    -*) echo "test: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) echo "test: unexpected argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
scripts/setup-deps.sh --tests
cmake --preset "$preset"
cmake --build --preset "$preset" -j"$(nproc)"
ctest --preset "$preset" --output-on-failure -j"$(nproc)"
