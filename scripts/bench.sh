#!/usr/bin/env bash
# Run a benchmark: scripts/bench.sh NAME [--quick] [ARGS...]   (-h|--help; NAME --help)
# Each bench lives in bench/NAME/run.sh and writes reports/out/bench-NAME.json
# (every figure with its unit, the baseline measured in the same run, their ratio,
# the machine and the commit).  The arguments are checked against the bench's own
# "Usage:" line (benches that parse their own, campaign and detect, check them
# themselves, called here) before anything is set up or built: a bad one is one
# line on stderr and exit 2.
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
    printf '  %-12s %s\n' "$b" "$(bench_help "$b" | sed -n 's/.*Usage: scripts\/bench.sh //p' | sed -n 1p)"
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

# Benches that parse their own arguments are asked to check them here, before
# setup-deps installs or the bench builds anything: a bad argument is one line on
# stderr (the bench's own reason) and exit 2.  Without python3 (a machine that
# setup-deps has yet to set up) the bench checks them itself, later.
own_arg_check() {
  case "$1" in
    campaign) echo "bench/campaign/campaign_bench.py --check-args" ;;
    detect) echo "bench/detect/detect.py --print-targets" ;;
  esac
}

check_own_args() {
  local name="$1" cmd err line
  shift
  cmd="$(own_arg_check "$name")"
  [ -n "$cmd" ] && command -v python3 >/dev/null || return 0
  # shellcheck disable=SC2086  # cmd is a script and its flag
  if err="$(python3 -B $cmd "$@" 2>&1 >/dev/null)"; then
    return 0
  fi
  # argparse prints its usage, then "PROG: error: WHY"; the benches' own checks
  # print one "bench-NAME: WHY" or "NAME: WHY" line.  Keep WHY.
  line="$(grep ': error: ' <<<"$err" | tail -n 1 || true)"
  [ -n "$line" ] || line="$(grep -v '^[[:space:]]*$' <<<"$err" | tail -n 1 || true)"
  line="$(sed -E 's/^(scripts\/bench\.sh [a-z]+: error: |bench-[a-z]+: |[a-z]+: )//' <<<"$line")"
  [ -n "$line" ] || line="bad arguments"
  case "$line" in *--help*) ;; *) line="$line (see scripts/bench.sh $name --help)" ;; esac
  die "$name: $line"
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
check_own_args "$name" "$@"
scripts/setup-deps.sh
mkdir -p reports/out
exec "bench/$name/run.sh" "$@"
