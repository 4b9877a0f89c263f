#!/usr/bin/env bash
# campaign.sh -- run a fuzzing campaign: libFuzzer and AFL++ side by side, then
# collect, deduplicate, minimize and report the findings (docs/campaigns.md).
#
# usage: scripts/campaign.sh [--provider NAME|PATH.so|PATH.c|DIR] [--engine libfuzzer|afl|both]
#                            [--jobs N] [--time 90s|10m|8h] [--corpus DIR] [--out DIR]
#                            [--sync-dir DIR] [--mode batch|code-change|prune|coverage]
#                            [--reliability R] [--no-build] [--against NAME|PATH.so [--allow RULES]]
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
strict=0
afl_mutator=""
against=""
allow=""

usage() {
  cat <<'EOF'
usage: scripts/campaign.sh [-p|--provider NAME|PATH.so|PATH.c|DIR] [--engine libfuzzer|afl|both]
                           [-j|--jobs N] [-t|--time DURATION] [--corpus DIR] [-o|--out DIR]
                           [--sync-dir DIR] [--mode batch|code-change|prune|coverage]
                           [--reliability R] [--strict] [--no-build]
                           [--against NAME|PATH.so [--allow RULES]] [-h|--help]
  DURATION   90s, 10m, 8h, 1d or plain seconds: more than 0, at most 30 days
             (default 60s; 300s in code-change mode)
  N          processes in total, 1..1024 (default: the number of cores)
  R          replays of each minimized finding, 1..99 (default 3)
  --strict   crashes that no replay reproduces count as findings (exit 1)
  --no-build use the trees in build/ as they are
  --against  differential mode (docs/differential.md): each input also runs on
             this provider, a divergence is a finding; RULES declare allowed
             differences (default corpus/differential/reference.rules)
With no arguments: a 60 s campaign of both engines against the reference provider.
Exit: 0 ran, nothing new; 1 new findings; 2 could not run (one-line reason).
EOF
}

need_value() {
  if [ "$#" -lt 2 ] || [ -z "$2" ] || [[ "$2" == --* ]]; then shmf_die "option $1 needs a value (see --help)"; fi
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
      --strict) strict=1; shift ;;
      --against) need_value "$@"; against="$2"; shift 2 ;;
      --allow) need_value "$@"; allow="$2"; shift 2 ;;
      -*) shmf_die "unknown option '$1' (see --help)" ;;
      *) shmf_die "unexpected argument '$1' (campaign.sh takes options only; see --help)" ;;
    esac
  done
}

check_args() {
  case "$engine" in libfuzzer|afl|both) ;; *)
    shmf_die "--engine must be libfuzzer, afl or both, not '$engine'" ;; esac
  case "$mode" in batch|code-change|prune|coverage) ;; *)
    shmf_die "--mode must be batch, code-change, prune or coverage, not '$mode'" ;; esac
  if [ -n "$jobs" ] && { [[ ! "$jobs" =~ ^[1-9][0-9]{0,3}$ ]] || [ "$jobs" -gt 1024 ]; }; then
    shmf_die "--jobs must be 1..1024, not '$jobs'"
  fi
  [[ "$reliability" =~ ^[1-9][0-9]?$ ]] || shmf_die "--reliability must be 1..99, not '$reliability'"
  if [ -n "$time_arg" ]; then
    local rc=0
    budget="$(shmf_seconds "$time_arg")" || rc=$?
    case "$rc" in
      0) ;;
      2) shmf_die "--time must be at most 30 days (30d), not '$time_arg'" ;;
      *) shmf_die "--time must look like 90s, 10m, 8h or 1d, not '$time_arg'" ;;
    esac
    [ "$budget" -gt 0 ] || shmf_die "--time must be more than 0"
  elif [ "$mode" = code-change ]; then
    budget=300
  else
    budget=60
  fi
  shmf_check_provider "$provider"
  provider_kind="$(shmf_provider_kind "$provider")"
  check_against
  if [ -n "$corpus" ] && [ -e "$corpus" ] && [ ! -d "$corpus" ]; then
    shmf_die "--corpus must be a directory: $corpus"
  fi
  return 0
}

# --against: a provider name or a .so (the engines dlopen it); --allow only with it.
check_against() {
  if [ -z "$against" ]; then
    [ -z "$allow" ] || shmf_die "--allow needs --against (see --help)"
    return 0
  fi
  case "$(shmf_provider_kind "$against" || true)" in
    name|so) shmf_check_provider "$against" ;;
    *) shmf_die "--against takes a provider name or a .so, not '$against'" ;;
  esac
  allow="${allow:-$SHMF_ROOT/corpus/differential/reference.rules}"
  [ -f "$allow" ] && [ -r "$allow" ] || shmf_die "--allow: cannot read $allow"
}

# Absolute path of a (possibly not yet existing) path.
abspath() {
  case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s/%s\n' "$PWD" "$1" ;; esac
}

# A progress line, on a terminal only: in CI an error path prints its one line alone.
progress() {
  if shmf_is_tty; then shmf_log "$@"; fi
}

# === Building ===

build_all() {
  local fuzz_lf=fuzz_generic fuzz_afl=afl_generic targets=(shmfuzz shmf_seed_corpus)
  local engine_targets=()
  if [ "$provider_kind" = name ]; then
    fuzz_lf="fuzz_$provider"
    fuzz_afl="afl_$provider"
    targets+=("shmfprov_$provider")
  fi
  if [ -n "$against" ]; then # the generic targets dlopen both providers
    fuzz_lf=fuzz_generic
    fuzz_afl=afl_generic
    [ "$provider_kind" != name ] || engine_targets+=("shmfprov_$provider")
    if [[ "$against" != */* && "$against" != *.so ]]; then
      targets+=("shmfprov_$against")
      engine_targets+=("shmfprov_$against")
    fi
  fi
  progress "building dev (replay) ..."
  shmf_build dev "${targets[@]}" || shmf_die "build of preset dev failed (see $(shmf_build_root)/dev.log)"
  case "$mode" in
    coverage) ;; # scripts/coverage.sh builds the coverage preset
    *)
      if [ "$engine" != afl ] || [ "$mode" = prune ]; then
        progress "building libfuzzer ..."
        shmf_build libfuzzer "$fuzz_lf" ${engine_targets[@]+"${engine_targets[@]}"} || shmf_die "build of preset libfuzzer failed (see $(shmf_build_root)/libfuzzer.log)"
      fi
      if [ "$engine" != libfuzzer ] && [ "$mode" != prune ]; then
        progress "building afl ..."
        shmf_build afl "$fuzz_afl" "${fuzz_afl}_cmplog" ${engine_targets[@]+"${engine_targets[@]}"} || shmf_die "build of preset afl failed (see $(shmf_build_root)/afl.log)"
        build_afl_mutator
      fi ;;
  esac
}

# The engines this campaign runs must be installed: a clear line now rather than
# an engine that fails to start later.
check_engines() {
  local e
  case "$mode" in coverage) return 0 ;; esac
  if [ "$engine" != afl ] || [ "$mode" = prune ]; then
    command -v clang >/dev/null || shmf_die "clang not found: libFuzzer needs clang (run scripts/setup-deps.sh)"
    [ -f "$(clang -print-file-name=libclang_rt.fuzzer-x86_64.a)" ] ||
      shmf_die "libFuzzer runtime not found (libclang_rt.fuzzer; Debian package libclang-rt-14-dev)"
  fi
  if [ "$engine" != libfuzzer ] && [ "$mode" != prune ]; then
    for e in afl-fuzz afl-cmin afl-clang-fast; do
      command -v "$e" >/dev/null || shmf_die "$e not found: --engine $engine needs AFL++ (Debian package afl++; or use --engine libfuzzer)"
    done
  fi
}

build_afl_mutator() {
  afl_mutator="$(shmf_build_afl_mutator)" ||
    shmf_die "cannot build the AFL++ custom mutator (see $(shmf_bin_dir afl)/campaign/mutator.log)"
}

# The replay binary (build/dev's shmfuzz): the provider is loaded in it before any
# engine starts. One already built is used as it is (an up-to-date check of the
# dev tree alone takes seconds); a fresh tree builds it first.
replay_bin() {
  local bin
  bin="$(shmf_bin_dir dev)/harness/shmfuzz"
  if [ ! -x "$bin" ]; then
    [ "$do_build" = 1 ] || shmf_die "missing $bin (build failed, or run without --no-build)"
    progress "building dev (replay) ..."
    shmf_build dev shmfuzz >/dev/null 2>&1 ||
      shmf_die "build of preset dev failed (see $(shmf_build_root)/dev.log)"
  fi
  printf '%s\n' "$bin"
}

# Load a provider .so with the replay binary's loader (`shmfuzz replay` of an
# empty input): no ShmfProviderSetOptions, not an ELF, an undefined symbol ...
# end the campaign here with the loader's reason, before anything is created.
# $2 names the provider in that reason (the source for a compiled one).
# A provider that loads and then fails on the empty input (exit 1) is left to
# the engines: that is a finding, not a broken provider.
check_provider_loads() {
  local so="$1" shown="${2:-$1}" bin empty rc=0 err line
  bin="$(replay_bin)"
  empty="$(mktemp "${TMPDIR:-/tmp}/shmf-empty.XXXXXX")"
  err="$(ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
         timeout 60 "$bin" replay -q --provider "$so" "$empty" 2>&1 >/dev/null)" || rc=$?
  rm -f -- "$empty"
  case "$rc" in
    2)
      line="$(printf '%s\n' "$err" | grep -m1 '^shmfuzz: ' || true)"
      [ -n "$line" ] || line="$(printf '%s\n' "$err" | grep -v '^[[:space:]]*$' | tail -n 1)"
      line="${line#shmfuzz: }"
      line="${line#replay: }"
      [ "$so" = "$shown" ] || line="${line//"$so"/"$shown"}"
      shmf_die "provider check: ${line:-the replay loader refused $shown}" ;;
    124) shmf_die "provider check: loading $shown and replaying an empty input took more than 60 s" ;;
  esac
}

# The first error of a compiler log, on one line.
compile_error_line() {
  local line
  line="$(grep -m1 -E '(error|Error|ERROR)[: ]' "$1" || true)"
  [ -n "$line" ] || line="$(grep -v '^[[:space:]]*$' "$1" | tail -n 1)"
  printf '%s\n' "${line:-no compiler output}"
}

# Compile the provider sources into one .so per use, in parallel: libfuzzer.so
# (coverage + ASan/UBSan), afl.so (afl-clang-fast) and replay.so (ASan/UBSan),
# then load replay.so in the replay binary (check_provider_loads).
# They are built in a staging directory under $TMPDIR ($provider_stage, removed
# on exit) that install_provider moves into the out dir once it is known to be
# writable; on an error one line says why (the first compiler error; the whole
# output is kept in a file under $TMPDIR) and the out dir is not touched.
# Sources are given to clang by absolute path, so the debug info (and with it a
# finding's location) names them absolutely.
provider_stage=""
# The engines' provider .so send their comparisons to the record-level mutator's
# "cmp" table: their hook calls are wrapped at link time (-Wl,--wrap), and the
# generic binaries that load them define the wrappers (harness/exec/cmp_hooks.c
# for libFuzzer; cmplog_hooks.c for AFL++, whose afl-cc drops trace-cmp, so afl.so
# is compiled with AFL++'s CMPLOG instrumentation instead).
cmp_wrap_lf=() cmp_wrap_afl=(-Wl,--wrap=__afl_cmp_map)
for h in cmp1 cmp2 cmp4 cmp8 const_cmp1 const_cmp2 const_cmp4 const_cmp8 switch; do
  cmp_wrap_lf+=("-Wl,--wrap=__sanitizer_cov_trace_$h")
done
for h in 1 2 4 8; do cmp_wrap_afl+=("-Wl,--wrap=__cmplog_ins_hook$h"); done
compile_provider() {
  local label="$1" stage srcs=() abs=() common pids=() what=() i s failed="" log keep n
  local cc=clang afl_cc=afl-clang-fast san_cxx=()
  mapfile -t srcs < <(shmf_provider_sources "$provider")
  for s in "${srcs[@]}"; do abs+=("$(cd "$(dirname "$s")" && pwd)/$(basename "$s")"); done
  # C++ sources: clang++ (afl-clang-fast++) drives and links libstdc++; .c files
  # are still compiled as C (-x c FILE -x none); no UBSan vptr check, whose
  # runtime part the C binaries that load the provider do not carry.
  if printf '%s\n' "${abs[@]}" | grep -E '\.(cpp|cc|cxx)$' >/dev/null; then
    cc=clang++ afl_cc=afl-clang-fast++ san_cxx=(-fno-sanitize=vptr)
    srcs=()
    for s in "${abs[@]}"; do
      case "$s" in *.c) srcs+=(-x c "$s" -x none) ;; *) srcs+=("$s") ;; esac
    done
    abs=("${srcs[@]}")
  fi
  common=(-fPIC -shared -g -O1 -Wno-multichar -I "$SHMF_ROOT/ndis/include")
  provider_stage="$(mktemp -d "${TMPDIR:-/tmp}/shmf-compile-$label.XXXXXX")" ||
    shmf_die "cannot create a staging directory in ${TMPDIR:-/tmp}"
  trap 'rm -rf -- "$provider_stage"' EXIT
  stage="$provider_stage"
  "$cc" "${common[@]}" -fsanitize=address,undefined "${san_cxx[@]}" -fno-omit-frame-pointer \
    -o "$stage/replay.so" "${abs[@]}" >"$stage/replay.log" 2>&1 & pids+=($!); what+=(replay)
  if [ "$engine" != afl ] || [ "$mode" = prune ]; then
    "$cc" "${common[@]}" -fsanitize=fuzzer-no-link,address,undefined "${san_cxx[@]}" \
      "${cmp_wrap_lf[@]}" -o "$stage/libfuzzer.so" "${abs[@]}" >"$stage/libfuzzer.log" 2>&1 &
    pids+=($!); what+=(libfuzzer)
  fi
  if [ "$engine" != libfuzzer ] && [ "$mode" != prune ]; then
    AFL_QUIET=1 AFL_LLVM_CMPLOG=1 "$afl_cc" "${common[@]}" "${cmp_wrap_afl[@]}" \
      -o "$stage/afl.so" "${abs[@]}" >"$stage/afl.log" 2>&1 &
    pids+=($!); what+=(afl)
  fi
  for i in "${!pids[@]}"; do
    if ! wait "${pids[$i]}" && [ -z "$failed" ]; then failed="${what[$i]}"; fi
  done
  if [ -n "$failed" ]; then
    log="$stage/$failed.log"
    keep="$(mktemp "${TMPDIR:-/tmp}/shmfuzz-compile-$label.XXXXXX.log")" && cp -- "$log" "$keep" ||
      keep="(not kept)"
    n="$(grep -c -E ' error: ' "$log" || true)"
    case "$n" in 0|'') n="" ;; 1) n="1 error; " ;; *) n="$n errors; " ;; esac
    shmf_die "cannot compile $provider for $failed: $(compile_error_line "$log") (${n}compiler output in $keep)"
  fi
  check_provider_loads "$stage/replay.so" "$provider (compiled)"
}

# Move the compiled provider into $1 (OUT/providers/<label>): copied next to it
# first, then renamed over the old one, so $1 is always a complete build.
install_provider() {
  local dir="$1" tmp
  mkdir -p -- "$(dirname "$dir")" || shmf_die "cannot create $(dirname "$dir")"
  tmp="$(mktemp -d "$(dirname "$dir")/.$(basename "$dir").XXXXXX")" ||
    shmf_die "cannot create a directory in $(dirname "$dir")"
  if ! cp -a -- "$provider_stage/." "$tmp/"; then
    rm -rf -- "$tmp"
    shmf_die "cannot copy the compiled provider into $(dirname "$dir")"
  fi
  rm -rf -- "$dir"
  mv -- "$tmp" "$dir"
  rm -rf -- "$provider_stage"
  trap - EXIT
}

# === Configuration handed to the orchestrator ===

json_str() {
  python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"
}

# The lines of stdin as a JSON list of strings.
json_list() {
  python3 -c 'import json,sys; print(json.dumps([l.rstrip("\n") for l in sys.stdin if l.strip()]))'
}

write_config() {
  local cfg="$1" label="$2" so_dir="$3" src
  src=""
  case "$provider_kind" in
    name) src="$(shmf_provider_cmake_sources "$provider" | sed -n 1p)"; src="${src#"$SHMF_ROOT"/}"
          [ -n "$src" ] || src="$(shmf_find_provider_source "$provider" || true)" ;;
    c) src="$(abspath "$provider")"; src="${src#"$SHMF_ROOT"/}" ;;
    dir) src="$(shmf_provider_sources "$provider" | sed -n 1p)"; src="$(abspath "$src")"; src="${src#"$SHMF_ROOT"/}" ;;
  esac
  local srcs_json
  case "$provider_kind" in
    name) srcs_json="$(shmf_provider_cmake_sources "$provider" | json_list)" ;;
    c|dir) srcs_json="$(shmf_provider_sources "$provider" | while read -r f; do abspath "$f"; done | json_list)" ;;
    *) srcs_json="[]" ;;
  esac
  cat >"$cfg" <<EOF
{
  "root": $(json_str "$SHMF_ROOT"),
  "provider_sources": ${srcs_json},
  "provider": $(json_str "$provider"),
  "provider_kind": $(json_str "$provider_kind"),
  "against": $(json_str "$against"),
  "allow": $(json_str "$allow"),
  "provider_label": $(json_str "$label"),
  "provider_source": $(json_str "$src"),
  "so_dir": $(json_str "$so_dir"),
  "engine": $(json_str "$engine"),
  "jobs": ${jobs},
  "budget_s": ${budget},
  "mode": $(json_str "$mode"),
  "reliability": ${reliability},
  "strict": $([ "$strict" = 1 ] && echo true || echo false),
  "out": $(json_str "$out"),
  "corpus": $(json_str "$corpus"),
  "sync_dir": $(json_str "$sync_dir"),
  "afl_mutator": $(json_str "$afl_mutator"),
  "trees": {"dev": $(json_str "$(shmf_bin_dir dev)"), "libfuzzer": $(json_str "$(shmf_bin_dir libfuzzer)"),
            "afl": $(json_str "$(shmf_bin_dir afl)")},
  "no_build": $([ "$do_build" = 0 ] && echo true || echo false),
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
  if [[ "$against" == */* || "$against" == *.so ]]; then against="$(abspath "$against")"; fi
  [ -z "$allow" ] || allow="$(abspath "$allow")"
  shmf_check_corpus "$corpus"
  SHMF_QUIET=1 "$SHMF_ROOT/scripts/setup-deps.sh" >/dev/null || shmf_die "dependencies missing (run scripts/setup-deps.sh)"
  check_engines
  # The provider is loaded (a .c/dir compiled first) before the out dir is
  # created: a provider that is refused leaves nothing behind.
  local so_dir=""
  if { [ "$provider_kind" = c ] || [ "$provider_kind" = dir ]; } && [ "$mode" != coverage ]; then
    progress "compiling $provider ..."
    compile_provider "$label"
  elif [ "$provider_kind" = so ] && [ "$mode" != coverage ]; then
    check_provider_loads "$provider"
  fi
  shmf_check_writable "$out"
  if [ -n "$provider_stage" ]; then
    so_dir="$out/providers/$label"
    install_provider "$so_dir"
  fi
  shmf_check_writable "$corpus" corpus
  if [ "$do_build" = 1 ]; then
    build_all
  elif [ "$engine" != libfuzzer ] && [ "$mode" != prune ] && [ "$mode" != coverage ]; then
    afl_mutator="$(shmf_bin_dir afl)/campaign/libshmf_afl_mutator.so"
  fi
  local cfg
  cfg="$(mktemp "${TMPDIR:-/tmp}/shmf-campaign.XXXXXX.json")"
  write_config "$cfg" "$label" "$so_dir"
  exec python3 "$SHMF_ROOT/scripts/campaign/campaign.py" "$cfg"
}

main "$@"
