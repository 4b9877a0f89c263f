#!/usr/bin/env bash
# repro.sh -- replay a finding with its op trace, rebuilding shmfuzz if needed.
#
# usage: scripts/repro.sh FINDING_DIR|INPUT [-p|--provider NAME|PATH.so] [--raw] [--gdb] [-h|--help]
#   FINDING_DIR  a campaign's findings/<hash>/ (replays minimized.ops, then input.bin;
#                the provider comes from its finding.json unless --provider is given)
#   INPUT        a binary input or a .ops file (provider: --provider, default reference)
#   --raw        replay input.bin even when a minimized.ops exists
#   --gdb        replay the debug build (dev preset) under gdb, stopping at the first
#                finding (shmf__report) or sanitizer report (__sanitizer::Die);
#                batch mode (run, then bt) when not on a terminal
# Exit: 0 clean (did not reproduce), 1 reproduced, 2 usage or build error.
set -euo pipefail
SHMF_PROG=repro
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

target=""
provider=""
raw=0
gdb=0

usage() {
  sed -n '4,12p' "$0" | sed 's/^# \{0,1\}//'
}

parse_args() {
  while [ "$#" -gt 0 ]; do
    case "$1" in
      -h|--help) usage; exit 0 ;;
      --provider|-p)
        [ "$#" -ge 2 ] && [ -n "$2" ] && [[ "$2" != --* ]] || shmf_die "option $1 needs a value (see --help)"
        provider="$2"; shift 2 ;;
      --raw) raw=1; shift ;;
      --gdb) gdb=1; shift ;;
      --) shift; [ "$#" -gt 0 ] || break
          [ -z "$target" ] && [ "$#" = 1 ] || shmf_die "only one FINDING_DIR or INPUT, got '${2:-$1}' too"
          target="$1"; shift ;;
      -*) shmf_die "unknown option '$1' (see --help)" ;;
      *) [ -z "$target" ] || shmf_die "only one FINDING_DIR or INPUT, got '$1' too"; target="$1"; shift ;;
    esac
  done
  [ -n "$target" ] || shmf_die "no FINDING_DIR or INPUT given (usage: scripts/repro.sh FINDING_DIR|INPUT [-p|--provider P] [--raw] [--gdb])"
}

# Everything the arguments name exists and is usable, before anything is built.
check_args() {
  [ -e "$target" ] || shmf_die "no such file or directory: $target"
  if [ -d "$target" ]; then
    [ -f "$target/input.bin" ] || shmf_die "$target has no input.bin: not a finding directory"
  elif [ ! -f "$target" ]; then
    shmf_die "$target is not a regular file (FIFO, socket or device)"
  elif [ ! -r "$target" ]; then
    shmf_die "cannot read $target"
  fi
  if [ -n "$provider" ]; then
    case "$(shmf_provider_kind "$provider" || true)" in
      name) shmf_provider_names | grep -x -- "$provider" >/dev/null ||
        shmf_die "unknown provider '$provider' (known: $(shmf_provider_names | paste -sd, - | sed 's/,/, /g'); or give a built .so)" ;;
      so) shmf_check_provider "$provider" ;;
      *) shmf_die "--provider '$provider': give a provider name or a built .so (campaign.sh builds a .c; its finding directories name the provider)" ;;
    esac
  fi
}

# The provider recorded in a finding.json, when --provider was not given.
finding_provider() {
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("provider",""))' "$1" 2>/dev/null || true
}

# Replay under gdb. Verifier findings stop at shmf__report (the provider's call is
# a few frames up); sanitizer reports stop at __sanitizer::Die, after the report is
# printed and before the harness turns it into a finding. LeakSanitizer does not
# work under ptrace, and the verifier checks leaks itself.
replay_gdb() {
  local bin="$1" input="$2"
  local cmds=(-ex "set breakpoint pending on" -ex "break shmf__report" -ex "break __sanitizer::Die")
  export ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
  export UBSAN_OPTIONS="print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
  if [ -t 0 ] && [ -t 1 ]; then
    shmf_log "gdb: type 'run'; it stops at the first finding (shmf__report) or sanitizer report"
    gdb -q "${cmds[@]}" --args "$bin" replay --trace --provider "$provider" "$input"
  else
    gdb -q -batch "${cmds[@]}" -ex run -ex bt --args "$bin" replay --trace --provider "$provider" \
      "$input" </dev/null
  fi
}

main() {
  parse_args "$@"
  check_args
  [ "$gdb" = 0 ] || command -v gdb >/dev/null || shmf_die "--gdb: gdb not found (Debian package gdb)"
  local input="$target" dir=""
  if [ -d "$target" ]; then
    dir="$target"
    input="$dir/input.bin"
    if [ "$raw" = 0 ] && [ -s "$dir/minimized.ops" ]; then input="$dir/minimized.ops"; fi
    [ -f "$input" ] || shmf_die "$dir has no input.bin: not a finding directory"
    [ -n "$provider" ] || [ ! -f "$dir/finding.json" ] || provider="$(finding_provider "$dir/finding.json")"
  fi
  provider="${provider:-reference}"
  local bin
  bin="$(shmf_bin_dir dev)/harness/shmfuzz"
  if [[ "$provider" =~ ^[A-Za-z0-9_-]+$ ]]; then
    SHMF_QUIET=1 shmf_build dev shmfuzz "shmfprov_$provider" >/dev/null ||
      shmf_die "cannot build shmfuzz and provider '$provider' (see $(shmf_build_root)/dev.log)"
  else
    SHMF_QUIET=1 shmf_build dev shmfuzz >/dev/null || shmf_die "cannot build shmfuzz (see $(shmf_build_root)/dev.log)"
  fi
  local rc=0
  if [ "$gdb" = 1 ]; then
    shmf_log "replaying $input against $provider under gdb ($bin, debug build)"
    replay_gdb "$bin" "$input" || true
    # gdb's own status says nothing about the finding: replay once more, quietly.
    "$bin" replay -q --provider "$provider" "$input" >/dev/null 2>&1 || rc=$?
  else
    if shmf_is_tty; then shmf_log "replaying $input against $provider"; fi
    "$bin" replay --trace --provider "$provider" "$input" || rc=$?
  fi
  # The replay could not run (bad provider or input): its one line says why.
  [ "$rc" != 2 ] || exit 2
  if [ -n "$dir" ] && [ -f "$dir/repro.c" ]; then
    shmf_log "standalone C reproducer: $dir/repro.c (build line at its top); op trace: $dir/input.ops"
  else
    shmf_log "standalone C reproducer: $bin repro-c -o repro.c $input"
  fi
  exit "$rc"
}

main "$@"
