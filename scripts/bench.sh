#!/usr/bin/env bash
# Run a benchmark: scripts/bench.sh NAME [--quick] [ARGS...]
# Each bench lives in bench/NAME/run.sh and writes reports/out/bench-NAME.json
# (every figure with its unit, the baseline measured in the same run, their ratio,
# the machine and the commit).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 1 ] || [ ! -x "bench/$1/run.sh" ]; then
  echo "bench: usage: scripts/bench.sh NAME [--quick]; NAME is one of:" \
       "$(cd bench && for d in */; do [ -x "$d/run.sh" ] && printf '%s ' "${d%/}"; done)" >&2
  exit 2
fi
name="$1"; shift
scripts/setup-deps.sh
mkdir -p reports/out
exec "bench/$name/run.sh" "$@"
