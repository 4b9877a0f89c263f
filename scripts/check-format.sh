#!/usr/bin/env bash
# Check the C/C++ sources against .clang-format (clang-format 14), or fix them.
#   scripts/check-format.sh [--fix] [FILES...]
# With no FILES: every tracked *.c *.h *.cc *.cpp under harness ndis providers tests bench,
# minus EXCLUDE below.  Prints each file that is not formatted (with --fix: each file it
# rewrote in place).
# Exit: 0 all formatted (or fixed); 1 some file is not formatted, or clang-format failed on
# one; 2 usage error or clang-format missing (Debian package: clang-format).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
STYLE="file:$ROOT/.clang-format"
DIRS=(harness ndis providers tests bench)
# Files that deliberately keep a foreign layout (e.g. copied WDK samples), as paths from the
# repository root; shell patterns allowed.  None today: the WDK-shaped code in tests/wdk is
# our own and follows .clang-format.
EXCLUDE=()

fix=0
files=()
while [ "$#" -gt 0 ]; do
  case "$1" in
    --fix) fix=1; shift ;;
    -h|--help)
      echo "usage: scripts/check-format.sh [--fix] [FILES...]  check (or rewrite) C/C++ sources against .clang-format"
      exit 0 ;;
    --) shift; files+=("$@"); break ;;
    -*) echo "check-format: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) files+=("$1"); shift ;;
  esac
done

CLANG_FORMAT="${CLANG_FORMAT:-clang-format}"
if ! command -v "$CLANG_FORMAT" >/dev/null 2>&1; then
  echo "check-format: $CLANG_FORMAT not found; install the Debian package clang-format (scripts/setup-deps.sh --tests)" >&2
  exit 2
fi
if [ ! -f "$ROOT/.clang-format" ]; then
  echo "check-format: $ROOT/.clang-format is missing" >&2
  exit 2
fi

if [ "${#files[@]}" -eq 0 ]; then
  cd "$ROOT"
  pathspecs=()
  for d in "${DIRS[@]}"; do
    for e in c h cc cpp; do pathspecs+=("$d/*.$e"); done
  done
  if ! listed="$(git ls-files -- "${pathspecs[@]}" 2>/dev/null)"; then
    echo "check-format: not a git checkout; name the files to check" >&2
    exit 2
  fi
  # Tracked but deleted in the work tree (a move in progress): nothing to check.
  while IFS= read -r f; do [ -n "$f" ] && [ -f "$f" ] && files+=("$f"); done <<<"$listed"
else
  for f in "${files[@]}"; do
    if [ ! -f "$f" ]; then echo "check-format: no such file '$f'" >&2; exit 2; fi
  done
fi

# Drop excluded files (patterns are relative to the repository root).
if [ "${#EXCLUDE[@]}" -gt 0 ] && [ "${#files[@]}" -gt 0 ]; then
  kept=()
  for f in "${files[@]}"; do
    rel="$(realpath -m --relative-to="$ROOT" "$f")"
    skip=0
    for pat in "${EXCLUDE[@]}"; do
      # shellcheck disable=SC2053  # $pat is a pattern on purpose
      [[ "$rel" == $pat ]] && { skip=1; break; }
    done
    [ "$skip" -eq 1 ] || kept+=("$f")
  done
  files=("${kept[@]+"${kept[@]}"}")
fi
[ "${#files[@]}" -gt 0 ] || exit 0

# Each worker formats into a temporary file and prints the files that differ; a file
# clang-format cannot format is printed too (with the reason on stderr).
tmpdir="$(mktemp -d)"
trap 'rm -rf "$tmpdir"' EXIT
export CLANG_FORMAT STYLE tmpdir
# shellcheck disable=SC2016  # expanded by the worker shell
worker='
  out="$(mktemp "$tmpdir/fmt.XXXXXX")"
  for f; do
    if ! "$CLANG_FORMAT" --style="$STYLE" -- "$f" >"$out"; then
      echo "check-format: clang-format failed on $f" >&2
      echo "$f"
    elif ! cmp -s "$out" "$f"; then
      echo "$f"
    fi
  done
  rm -f "$out"'
bad="$(printf '%s\0' "${files[@]}" | xargs -0 -n 16 -P 2 bash -c "$worker" check-format | LC_ALL=C sort)"

[ -n "$bad" ] || exit 0
if [ "$fix" -eq 0 ]; then
  printf '%s\n' "$bad"
  exit 1
fi
# --fix: rewrite only the files that differ, and name them.
rc=0
printf '%s\n' "$bad" | tr '\n' '\0' |
  xargs -0 -n 16 -P 2 "$CLANG_FORMAT" --style="$STYLE" -i -- || rc=1
printf '%s\n' "$bad"
exit "$rc"
