#!/usr/bin/env bash
# Run a benchmark: scripts/bench.sh NAME [--quick] [ARGS...]   (-h|--help; NAME --help)
# Each bench lives in bench/NAME/run.sh and writes reports/out/bench-NAME.json
# (every figure with its unit, the baseline measured in the same run, their ratio,
# the machine and the commit).  The arguments are checked against the bench's own
# "Usage:" line before anything is set up or built.
# Exit: 0 done, 1 a bench that checks a result did not pass, 2 usage or set-up error.
set -euo pipefail
cd "$(dirname "$0")/.."

benches() {
  local d
  for d in bench/*/; do [ -x "$d/run.sh" ] && printf '%s\n' "$(basename "$d")"; done
}

die() {
  echo "bench: $*" >&2
  exit 2
}

# The header comment of bench/NAME/run.sh (its description and "Usage:" line).
bench_help() {
  sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "bench/$1/run.sh"
}

usage() {
  local b
  echo "usage: scripts/bench.sh NAME [--quick] [ARGS...]    scripts/bench.sh NAME --help"
  echo "  --quick finishes within a minute; the default is the full measurement."
  echo "benches:"
  for b in $(benches); do
    printf '  %-12s %s\n' "$b" "$(bench_help "$b" | sed -n 's/.*Usage: scripts\/bench.sh //p' | head -n 1)"
  done
}

# The options of bench NAME's "Usage:" line and its indented continuation lines,
# one per line ("--quick").
bench_options() {
  bench_help "$1" | awk '/Usage:/ { sub(/.*Usage:/, ""); on = 1; print; next }
                         on && /^[ \t]/ { print; next } { on = 0 }' |
    grep -o '\[--[a-z-]*' | tr -d '['
}

check_args() {
  local name="$1" allowed a
  shift
  allowed="$(bench_options "$name")"
  # A bench whose usage lists more than --quick parses its own arguments.
  [ "$allowed" = --quick ] || return 0
  for a in "$@"; do
    case "$a" in
      --quick) ;;
      -*) die "$name: unknown option '$a' (see scripts/bench.sh $name --help)" ;;
      *) die "$name: unexpected argument '$a' (see scripts/bench.sh $name --help)" ;;
    esac
  done
}

[ $# -ge 1 ] || die "no bench given (one of: $(benches | paste -sd' ' -); see --help)"
case "$1" in
  -h|--help) usage; exit 0 ;;
  -*) die "unknown option '$1' (usage: scripts/bench.sh NAME [--quick]; see --help)" ;;
esac
[ -x "bench/$1/run.sh" ] || die "unknown bench '$1' (one of: $(benches | paste -sd' ' -))"
name="$1"; shift
for a in "$@"; do
  case "$a" in -h|--help) bench_help "$name"; exit 0 ;; esac
done
check_args "$name" "$@"
scripts/setup-deps.sh
mkdir -p reports/out
exec "bench/$name/run.sh" "$@"
