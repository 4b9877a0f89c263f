#!/usr/bin/env bash
# campaign.sh -- run a fuzzing campaign: libFuzzer and AFL++ side by side, then
# collect, deduplicate, minimize and report the findings (docs/campaigns.md).
#
# usage: scripts/campaign.sh [--provider NAME|PATH.so|PATH.c|DIR] [--engine libfuzzer|afl|both]
#                            [--jobs N] [--time 90s|10m|8h] [--corpus DIR] [--out DIR]
#                            [--sync-dir DIR] [--mode batch|code-change|prune|coverage]
#                            [--reliability R] [--no-build]
# With no arguments: a 60 s campaign of both engines against the reference provider.
# Exit: 0 ran, nothing new; 1 new findings; 2 could not run (one-line reason).
set -euo pipefail
SHMF_PROG=campaign
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

provider=reference
engine=both
jobs=""
time_arg=""
corpus=""
out=""
sync_dir=""
mode="batch"
reliability=3
do_build=1
afl_mutator=""

usage() {
  sed -n '4,10p' "$0" | sed 's/^# \{0,1\}//'
}

need_value() {
  if [ "$#" -lt 2 ] || [ -z "$2" ]; then shmf_die "option $1 needs a value (see --help)"; fi
}

parse_args() {
  while [ "$#" -gt 0 ]; do
    case "$1" in
      -h|--help) usage; exit 0 ;;
      --provider|-p) need_value "$@"; provider="$2"; shift 2 ;;
      --engine) need_value "$@"; engine="$2"; shift 2 ;;
      --jobs|-j) need_value "$@"; jobs="$2"; shift 2 ;;
      --time|-t) need_value "$@"; time_arg="$2"; shift 2 ;;
      --corpus) need_value "$@"; corpus="$2"; shift 2 ;;
      --out|-o) need_value "$@"; out="$2"; shift 2 ;;
      --sync-dir) need_value "$@"; sync_dir="$2"; shift 2 ;;
      --mode) need_value "$@"; mode="$2"; shift 2 ;;
      --reliability) need_value "$@"; reliability="$2"; shift 2 ;;
      --no-build) do_build=0; shift ;;
      *) shmf_die "unknown argument '$1' (see --help)" ;;
    esac
  done
}

check_args() {
  case "$engine" in libfuzzer|afl|both) ;; *)
    shmf_die "--engine must be libfuzzer, afl or both, not '$engine'" ;; esac
  case "$mode" in batch|code-change|prune|coverage) ;; *)
    shmf_die "--mode must be batch, code-change, prune or coverage, not '$mode'" ;; esac
  if [ -n "$jobs" ] && [[ ! "$jobs" =~ ^[1-9][0-9]*$ ]]; then
    shmf_die "--jobs must be a positive integer, not '$jobs'"
  fi
  [[ "$reliability" =~ ^[1-9][0-9]?$ ]] || shmf_die "--reliability must be 1..99, not '$reliability'"
  if [ -n "$time_arg" ]; then
    budget="$(shmf_seconds "$time_arg")" || shmf_die "--time must look like 90s, 10m, 8h or 1d, not '$time_arg'"
    [ "$budget" -gt 0 ] || shmf_die "--time must be more than 0"
  elif [ "$mode" = code-change ]; then
    budget=300
  else
    budget=60
  fi
  provider_kind="$(shmf_provider_kind "$provider")" ||
    shmf_die "--provider '$provider' is not a name, a .so, a .c file or a directory"
  case "$provider_kind" in
    so|c) [ -f "$provider" ] || shmf_die "--provider: no such file: $provider" ;;
    dir) [ -n "$(shmf_provider_sources "$provider")" ] || shmf_die "--provider: no .c files in $provider" ;;
  esac
  if [ -n "$corpus" ] && [ -e "$corpus" ] && [ ! -d "$corpus" ]; then
    shmf_die "--corpus must be a directory: $corpus"
  fi
  return 0
}

# Absolute path of a (possibly not yet existing) path.
abspath() {
  case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s/%s\n' "$PWD" "$1" ;; esac
}

# === Building ===

build_all() {
  local fuzz_lf=fuzz_generic fuzz_afl=afl_generic
  shmf_log "building dev (replay) ..."
  shmf_build dev shmfuzz shmf_seed_corpus || shmf_die "build of preset dev failed (see build/dev.log)"
  if [ "$provider_kind" = name ]; then
    fuzz_lf="fuzz_$provider"
    fuzz_afl="afl_$provider"
    shmf_build dev "shmfprov_$provider" 2>/dev/null ||
      shmf_die "unknown provider '$provider' ('build/dev/harness/shmfuzz providers' lists them)"
  fi
  case "$mode" in
    coverage)
      shmf_log "building coverage ..."
      shmf_build coverage "$fuzz_afl" || shmf_die "build of preset coverage failed (see build/coverage.log)" ;;
    *)
      if [ "$engine" != afl ] || [ "$mode" = prune ]; then
        shmf_log "building libfuzzer ..."
        shmf_build libfuzzer "$fuzz_lf" || shmf_die "build of preset libfuzzer failed (see build/libfuzzer.log)"
      fi
      if [ "$engine" != libfuzzer ] && [ "$mode" != prune ]; then
        shmf_log "building afl ..."
        shmf_build afl "$fuzz_afl" || shmf_die "build of preset afl failed (see build/afl.log)"
        build_afl_mutator
      fi ;;
  esac
}

# The AFL++ custom mutator runs inside afl-fuzz, so it must not carry AFL++
# instrumentation (the afl preset's build of it references __afl_area_ptr and
# fails to load): build it with plain clang next to the afl tree.
build_afl_mutator() {
  local dir="$SHMF_ROOT/build/afl/campaign" src="$SHMF_ROOT/harness"
  mkdir -p "$dir"
  clang -O2 -g -fPIC -shared -fvisibility=hidden -I "$src/src" -o "$dir/libshmf_afl_mutator.so" \
    "$src/fuzz/afl_mutator.c" "$src/src/mutator.c" "$src/src/opstream.c" 2>"$dir/mutator.log" ||
    shmf_die "cannot build the AFL++ custom mutator (see $dir/mutator.log)"
  afl_mutator="$dir/libshmf_afl_mutator.so"
}

# Compile the provider sources into one .so per use under $1, in parallel:
# libfuzzer.so (coverage + ASan/UBSan), afl.so (afl-clang-fast), replay.so
# (ASan/UBSan) and coverage.so (source-based coverage; optional).
compile_provider() {
  local dir="$1" srcs=() common pids=() what=() i
  mapfile -t srcs < <(shmf_provider_sources "$provider")
  common=(-fPIC -shared -g -O1 -Wno-multichar -I "$SHMF_ROOT/ndis/include")
  mkdir -p "$dir"
  clang "${common[@]}" -fsanitize=fuzzer-no-link,address,undefined -o "$dir/libfuzzer.so" \
    "${srcs[@]}" 2>"$dir/libfuzzer.log" & pids+=($!); what+=(libfuzzer)
  clang "${common[@]}" -fsanitize=address,undefined -fno-omit-frame-pointer -o "$dir/replay.so" \
    "${srcs[@]}" 2>"$dir/replay.log" & pids+=($!); what+=(replay)
  if [ "$engine" != libfuzzer ]; then
    AFL_QUIET=1 afl-clang-fast "${common[@]}" -o "$dir/afl.so" "${srcs[@]}" >"$dir/afl.log" 2>&1 &
    pids+=($!); what+=(afl)
  fi
  clang "${common[@]}" -fprofile-instr-generate -fcoverage-mapping -o "$dir/coverage.so" \
    "${srcs[@]}" 2>"$dir/coverage.log" & pids+=($!); what+=(coverage)
  for i in "${!pids[@]}"; do
    if ! wait "${pids[$i]}" && [ "${what[$i]}" != coverage ]; then
      shmf_die "cannot compile the provider for ${what[$i]} (see $dir/${what[$i]}.log)"
    fi
  done
}

# === Configuration handed to the orchestrator ===

json_str() {
  python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"
}

write_config() {
  local cfg="$1" label="$2" so_dir="$3" src
  src=""
  case "$provider_kind" in
    name) src="$(shmf_find_provider_source "$provider" || true)" ;;
    c) src="$(abspath "$provider")"; src="${src#"$SHMF_ROOT"/}" ;;
    dir) src="$(shmf_provider_sources "$provider" | head -n 1)"; src="$(abspath "$src")"; src="${src#"$SHMF_ROOT"/}" ;;
  esac
  cat >"$cfg" <<EOF
{
  "root": $(json_str "$SHMF_ROOT"),
  "provider": $(json_str "$provider"),
  "provider_kind": $(json_str "$provider_kind"),
  "provider_label": $(json_str "$label"),
  "provider_source": $(json_str "$src"),
  "so_dir": $(json_str "$so_dir"),
  "engine": $(json_str "$engine"),
  "jobs": ${jobs},
  "budget_s": ${budget},
  "mode": $(json_str "$mode"),
  "reliability": ${reliability},
  "out": $(json_str "$out"),
  "corpus": $(json_str "$corpus"),
  "sync_dir": $(json_str "$sync_dir"),
  "afl_mutator": $(json_str "$afl_mutator"),
  "tty": $(shmf_is_tty && echo true || echo false)
}
EOF
}

main() {
  parse_args "$@"
  check_args
  command -v python3 >/dev/null || shmf_die "python3 is required to orchestrate campaigns"
  jobs="${jobs:-$(nproc)}"
  out="$(abspath "${out:-$SHMF_ROOT/reports/out}")"
  local label
  label="$(shmf_provider_label "$provider")"
  corpus="$(abspath "${corpus:-$out/corpus/$label}")"
  [ -z "$sync_dir" ] || sync_dir="$(abspath "$sync_dir")"
  if [ "$provider_kind" = so ]; then provider="$(abspath "$provider")"; fi
  mkdir -p "$out" "$corpus" || shmf_die "cannot create $out"
  SHMF_QUIET=1 "$SHMF_ROOT/scripts/setup-deps.sh" >/dev/null || shmf_die "dependencies missing (run scripts/setup-deps.sh)"
  [ "$do_build" = 0 ] || build_all
  local so_dir=""
  if [ "$provider_kind" = c ] || [ "$provider_kind" = dir ]; then
    so_dir="$out/providers/$label"
    shmf_log "compiling $provider ..."
    compile_provider "$so_dir"
  fi
  local cfg
  cfg="$(mktemp "${TMPDIR:-/tmp}/shmf-campaign.XXXXXX.json")"
  write_config "$cfg" "$label" "$so_dir"
  exec python3 "$SHMF_ROOT/scripts/campaign/campaign.py" "$cfg"
}

main "$@"
