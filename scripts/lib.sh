# shellcheck shell=bash
# lib.sh -- shared helpers for the shmfuzz scripts. Source it; do not run it.
#
#   SHMF_ROOT           the repository root
#   shmf_die MSG        one-line error on stderr, exit 2 (the project's usage code)
#   shmf_log MSG        a line on stderr, prefixed with the script's name
#   shmf_is_tty         true when stderr is a terminal (progress lines only then)
#   shmf_seconds DUR    90s | 10m | 8h | 1d | 120 -> seconds on stdout (1 on a bad value)
#   shmf_build PRESET [TARGET...]   configure once, then build into build/PRESET
#   shmf_bin_dir PRESET             build/PRESET
#   shmf_provider_kind SPEC         name | so | c | dir  (1 when SPEC is none of them)
#   shmf_provider_label SPEC        a short [A-Za-z0-9_-] label for file names
#   shmf_provider_sources SPEC      the .c files of a .c/dir provider, one per line
#   shmf_find_provider_source NAME  providers/**/NAME.c (or a file of providers/*/NAME/)

SHMF_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHMF_PROG="${SHMF_PROG:-$(basename "$0" .sh)}"

shmf_die() {
  printf '%s: %s\n' "$SHMF_PROG" "$*" >&2
  exit 2
}

shmf_log() {
  [ -n "${SHMF_QUIET:-}" ] || printf '%s: %s\n' "$SHMF_PROG" "$*" >&2
}

shmf_is_tty() {
  [ -t 2 ]
}

shmf_seconds() {
  local v="$1" n unit
  if [[ ! "$v" =~ ^([0-9]+)([smhd]?)$ ]]; then
    return 1
  fi
  n="${BASH_REMATCH[1]}"
  unit="${BASH_REMATCH[2]}"
  case "$unit" in
    ''|s) echo $((10#$n)) ;;
    m) echo $((10#$n * 60)) ;;
    h) echo $((10#$n * 3600)) ;;
    d) echo $((10#$n * 86400)) ;;
  esac
}

shmf_bin_dir() {
  echo "$SHMF_ROOT/build/$1"
}

# Configure the preset when its tree has no cache yet, then build the targets
# (everything when none is named). Output goes to build/PRESET.log; on failure the
# tail of that log is shown and the caller decides what to do (returns 1).
shmf_build() {
  local preset="$1" dir log
  shift
  dir="$(shmf_bin_dir "$preset")"
  log="$SHMF_ROOT/build/$preset.log"
  mkdir -p "$SHMF_ROOT/build"
  if [ ! -f "$dir/CMakeCache.txt" ]; then
    if ! (cd "$SHMF_ROOT" && cmake --preset "$preset" -B "$dir") >"$log" 2>&1; then
      tail -n 20 "$log" >&2
      return 1
    fi
  fi
  local targets=()
  local t
  for t in "$@"; do targets+=(--target "$t"); done
  # One retry: a tree shared with another build may be mid-link the first time.
  if ! cmake --build "$dir" -j"$(nproc)" "${targets[@]}" >>"$log" 2>&1 &&
     ! cmake --build "$dir" -j"$(nproc)" "${targets[@]}" >>"$log" 2>&1; then
    tail -n 20 "$log" >&2
    return 1
  fi
}

shmf_provider_kind() {
  local spec="$1"
  if [ -d "$spec" ]; then echo dir
  elif [[ "$spec" == *.so ]]; then echo so
  elif [[ "$spec" == *.c ]]; then echo c
  elif [[ "$spec" =~ ^[A-Za-z0-9_-]+$ ]]; then echo name
  else return 1
  fi
}

shmf_provider_label() {
  local spec="$1" base
  base="$(basename "${spec%/}")"
  base="${base%.so}"
  base="${base%.c}"
  base="${base#libshmfprov_}"
  base="${base#lib}"
  printf '%s\n' "${base//[^A-Za-z0-9_-]/_}"
}

shmf_provider_sources() {
  local spec="$1"
  if [ -d "$spec" ]; then
    find "$spec" -maxdepth 1 -name '*.c' -type f | LC_ALL=C sort
  else
    printf '%s\n' "$spec"
  fi
}

shmf_find_provider_source() {
  local name="$1" hit
  hit="$(find "$SHMF_ROOT/providers" -name "$name.c" -type f 2>/dev/null | LC_ALL=C sort | head -n 1)"
  if [ -z "$hit" ] && [ -d "$SHMF_ROOT/providers/$name" ]; then
    hit="$(find "$SHMF_ROOT/providers/$name" -maxdepth 1 -name '*.c' -type f | LC_ALL=C sort | head -n 1)"
  fi
  if [ -z "$hit" ] && [ -d "$SHMF_ROOT/providers/buggy/$name" ]; then
    hit="$(find "$SHMF_ROOT/providers/buggy/$name" -maxdepth 1 -name '*.c' -type f | LC_ALL=C sort | head -n 1)"
  fi
  [ -n "$hit" ] && printf '%s\n' "${hit#"$SHMF_ROOT"/}"
}
