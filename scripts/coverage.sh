#!/usr/bin/env bash
# coverage.sh -- source coverage (llvm-cov) of a provider over a corpus.
#
# usage: scripts/coverage.sh -p|--provider NAME|PATH.so|PATH.c|DIR --corpus DIR [--corpus DIR...]
#                            [-o|--out DIR] [--no-seeds] [--no-build] [-h|--help]
#   Runs every input of the corpus dirs (and of the seed corpus unless --no-seeds)
#   through the coverage build and writes OUT/html/index.html, OUT/report.txt and
#   OUT/summary.json (shmfuzz-coverage/1: line, branch, function and region coverage
#   of the provider's own source files). OUT defaults to reports/out/coverage/<provider>.
# Exit: 0 written; 2 could not (one-line reason). OUT is replaced only on success.
set -euo pipefail
SHMF_PROG=coverage
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

provider=""
corpora=()
out=""
seeds=1
do_build=1

parse_args() {
  while [ "$#" -gt 0 ]; do
    case "$1" in
      -h|--help) sed -n '4,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
      --provider|-p|--corpus|--out|-o)
        [ "$#" -ge 2 ] && [ -n "$2" ] && [[ "$2" != --* ]] || shmf_die "option $1 needs a value (see --help)"
        case "$1" in
          --provider|-p) provider="$2" ;;
          --corpus) corpora+=("$2") ;;
          *) out="$2" ;;
        esac
        shift 2 ;;
      --no-seeds) seeds=0; shift ;;
      --no-build) do_build=0; shift ;;
      -*) shmf_die "unknown option '$1' (see --help)" ;;
      *) shmf_die "unexpected argument '$1' (coverage.sh takes options only; see --help)" ;;
    esac
  done
  [ -n "$provider" ] || shmf_die "--provider is required (see --help)"
  [ "${#corpora[@]}" -gt 0 ] || shmf_die "--corpus is required (see --help)"
}

abspath() {
  case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s/%s\n' "$PWD" "$1" ;; esac
}

check_inputs() {
  local c
  shmf_check_provider "$provider"
  for c in "${corpora[@]}"; do
    [ -d "$c" ] || shmf_die "--corpus $c is not a directory"
    shmf_check_corpus "$c"
  done
}

# The coverage runner (plain runner of the coverage preset) for this provider.
build_runner() {
  local kind="$1" target=afl_generic
  [ "$kind" != name ] || target="afl_$provider"
  if [ "$do_build" = 1 ]; then
    shmf_log "building coverage ($target) ..."
    shmf_build coverage "$target" || shmf_die "build of preset coverage failed (see $(shmf_build_root)/coverage.log)"
    if [ "$seeds" = 1 ]; then
      shmf_build dev shmf_seed_corpus || shmf_die "cannot build the seed corpus (see $(shmf_build_root)/dev.log)"
    fi
  fi
  if [ "$kind" = name ]; then runner="$(shmf_bin_dir coverage)/fuzz/$target"
  else runner="$(shmf_bin_dir coverage)/harness/$target"; fi
  [ -x "$runner" ] || shmf_die "missing $runner (build failed, or run without --no-build)"
}

main() {
  parse_args "$@"
  check_inputs
  local kind label stage srcs=() args=() c f
  kind="$(shmf_provider_kind "$provider")"
  label="$(shmf_provider_label "$provider")"
  out="$(abspath "${out:-$SHMF_ROOT/reports/out/coverage/$label}")"
  shmf_check_writable "$(dirname "$out")"
  SHMF_QUIET=1 "$SHMF_ROOT/scripts/setup-deps.sh" >/dev/null || shmf_die "dependencies missing (run scripts/setup-deps.sh)"
  command -v llvm-cov-14 >/dev/null && command -v llvm-profdata-14 >/dev/null ||
    shmf_die "llvm-cov-14 / llvm-profdata-14 not found (Debian package llvm; run scripts/setup-deps.sh)"
  build_runner "$kind"
  stage="$(mktemp -d "$(dirname "$out")/.$(basename "$out").XXXXXX")"
  trap 'rm -rf -- "$stage"' EXIT
  case "$kind" in
    name) mapfile -t srcs < <(shmf_provider_cmake_sources "$provider") ;;
    c|dir)
      mapfile -t srcs < <(shmf_provider_sources "$provider" | while read -r f; do abspath "$f"; done)
      clang -fPIC -shared -g -O1 -Wno-multichar -I "$SHMF_ROOT/ndis/include" \
        -fprofile-instr-generate -fcoverage-mapping -o "$stage/provider.so" "${srcs[@]}" \
        >"$stage/compile.log" 2>&1 ||
        shmf_compile_log_die "cannot compile $provider (compiler output follows)" "$stage/compile.log"
      args+=(--object "$stage/provider.so" --env "SHMFUZZ_PROVIDER=$stage/provider.so") ;;
    so) f="$(abspath "$provider")"; args+=(--object "$f" --env "SHMFUZZ_PROVIDER=$f") ;;
  esac
  for f in "${srcs[@]}"; do args+=(--source "$f"); done
  for c in "${corpora[@]}"; do args+=("$(abspath "$c")"); done
  if [ "$seeds" = 1 ] && [ -d "$(shmf_bin_dir dev)/corpus/seeds" ]; then
    args+=("$(shmf_bin_dir dev)/corpus/seeds")
  fi
  shmf_log "running the corpus through $runner ..."
  python3 "$SHMF_ROOT/scripts/campaign/coverage.py" --runner "$runner" --out "$stage" \
    --provider "$provider" --root "$SHMF_ROOT" "${args[@]}" || exit 2
  rm -f "$stage/provider.so"
  rm -rf -- "$out"
  mv -- "$stage" "$out"
  trap - EXIT
  python3 - "$out/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
f = lambda k: "%s %.1f%% (%d/%d)" % (k, s[k]["percent"], s[k]["covered"], s[k]["count"]) if k in s else ""
print("coverage: %s over %d inputs: %s" % (s["provider"], s["inputs"],
      ", ".join(x for x in (f("lines"), f("branches"), f("functions")) if x)), file=sys.stderr)
PY
  printf '%s\n%s\n' "$out/summary.json" "$out/html/index.html"
}

main "$@"
