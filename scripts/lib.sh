# shellcheck shell=bash
# lib.sh -- shared helpers for the shmfuzz scripts. Source it; do not run it.
#
#   SHMF_ROOT           the repository root
#   SHMF_BUILD_DIR      (env) parent of the preset trees; default $SHMF_ROOT/build
#   SHMF_DEV_TREE       (env) a built tree used as is, never built, in place of
#                       build/dev (shmfuzz, the providers, the seeds); ctest sets it
#   shmf_die MSG        one-line error on stderr, exit 2 (the project's usage code)
#   shmf_log MSG        a line on stderr, prefixed with the script's name
#   shmf_is_tty         true when stderr is a terminal (progress lines only then)
#   shmf_seconds DUR    90s | 10m | 8h | 1d | 120 -> seconds on stdout (returns 1 on a
#                       bad value, 2 past 30 days)
#   shmf_build PRESET [TARGET...]   configure once, then build into build/PRESET
#   shmf_bin_dir PRESET             build/PRESET
#   shmf_provider_kind SPEC         name | so | c (a .c or C++ file) | dir  (1 when none)
#   shmf_provider_label SPEC        a short [A-Za-z0-9_-] label for file names
#   shmf_provider_sources SPEC      the .c/.cpp/.cc/.cxx files of a source/dir provider, one per line
#   shmf_find_provider_source NAME  providers/**/NAME.c (or a file of providers/*/NAME/)
#   shmf_provider_names             the providers registered in providers/CMakeLists.txt
#   shmf_provider_cmake_sources NAME  their SOURCES (absolute paths), one per line
#   shmf_check_provider SPEC        die (exit 2) unless SPEC names a usable provider
#   shmf_check_corpus DIR           die unless every entry of DIR is a readable file or dir
#   shmf_check_writable DIR         create DIR; die unless a file can be written in it
#   shmf_compile_log_die MSG LOG    die with MSG, then the compiler output in LOG

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
  # At most 30 days: a longer budget is a typo (and larger numbers overflow bash).
  local v="$1" n unit secs max=2592000
  if [[ ! "$v" =~ ^([0-9]+)([smhd]?)$ ]]; then
    return 1
  fi
  n="${BASH_REMATCH[1]}"
  unit="${BASH_REMATCH[2]}"
  n="${n#"${n%%[!0]*}"}"          # leading zeros off (10# would do, but not past 2^63)
  [ "${#n}" -le 10 ] || return 2  # more than 30 days in any unit
  n="${n:-0}"
  case "$unit" in
    ''|s) secs=$((n)) ;;
    m) secs=$((n * 60)) ;;
    h) secs=$((n * 3600)) ;;
    d) secs=$((n * 86400)) ;;
  esac
  [ "$secs" -le "$max" ] || return 2
  echo "$secs"
}

shmf_build_root() {
  echo "${SHMF_BUILD_DIR:-$SHMF_ROOT/build}"
}

shmf_bin_dir() {
  if [ "$1" = dev ] && [ -n "${SHMF_DEV_TREE:-}" ]; then
    echo "$SHMF_DEV_TREE"
  else
    echo "$(shmf_build_root)/$1"
  fi
}

# The AFL++ custom mutator runs inside afl-fuzz, so it must not carry AFL++
# instrumentation (the afl preset's build of it references __afl_area_ptr and
# fails to load): build it with plain clang into DIR (default: the afl tree's
# campaign/), from the codec's sources.  Compiler output in DIR/mutator.log.
# Prints the library's path; returns 1 when it does not build.
shmf_build_afl_mutator() {
  local dir="${1:-$(shmf_bin_dir afl)/campaign}" src="$SHMF_ROOT/harness"
  mkdir -p "$dir"
  clang -O2 -g -fPIC -shared -fvisibility=hidden -Wl,--no-undefined -I "$src/codec" -o "$dir/libshmf_afl_mutator.so" \
    "$src/fuzz/afl_mutator.c" "$src/codec/mutator.c" "$src/codec/opstream.c" "$src/codec/cmp.c" \
    >"$dir/mutator.log" 2>&1 || return 1
  echo "$dir/libshmf_afl_mutator.so"
}

# Configure the preset when its tree has no cache yet, then build the targets
# (everything when none is named). Output goes to build/PRESET.log; on failure the
# tail of that log is shown and the caller decides what to do (returns 1).
shmf_build() {
  local preset="$1" dir log
  shift
  dir="$(shmf_bin_dir "$preset")"
  if [ "$preset" = dev ] && [ -n "${SHMF_DEV_TREE:-}" ]; then
    [ -f "$dir/CMakeCache.txt" ] || { echo "SHMF_DEV_TREE=$dir is not a build tree" >&2; return 1; }
    return 0
  fi
  log="$(shmf_build_root)/$preset.log"
  mkdir -p "$(shmf_build_root)"
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

# A source file is kind c whatever its language: .c, or C++ (.cpp, .cc, .cxx).
shmf_provider_kind() {
  local spec="$1"
  if [ -d "$spec" ]; then echo dir
  elif [[ "$spec" == *.so ]]; then echo so
  elif [[ "$spec" == *.c || "$spec" == *.cpp || "$spec" == *.cc || "$spec" == *.cxx ]]; then echo c
  elif [[ "$spec" =~ ^[A-Za-z0-9_-]+$ ]]; then echo name
  else return 1
  fi
}

shmf_provider_label() {
  local spec="$1" base
  base="$(basename "${spec%/}")"
  base="${base%.so}"
  case "$base" in *.c|*.cpp|*.cc|*.cxx) base="${base%.*}" ;; esac
  base="${base#libshmfprov_}"
  base="${base#lib}"
  printf '%s\n' "${base//[^A-Za-z0-9_-]/_}"
}

shmf_provider_sources() {
  local spec="$1"
  if [ -d "$spec" ]; then
    find "$spec" -maxdepth 1 -type f \( -name '*.c' -o -name '*.cpp' -o -name '*.cc' -o -name '*.cxx' \) |
      LC_ALL=C sort
  else
    printf '%s\n' "$spec"
  fi
}

shmf_find_provider_source() {
  local name="$1" hit
  hit="$(find "$SHMF_ROOT/providers" -name "$name.c" -type f 2>/dev/null | LC_ALL=C sort | sed -n 1p)"
  if [ -z "$hit" ] && [ -d "$SHMF_ROOT/providers/$name" ]; then
    hit="$(find "$SHMF_ROOT/providers/$name" -maxdepth 1 -name '*.c' -type f | LC_ALL=C sort | sed -n 1p)"
  fi
  if [ -z "$hit" ] && [ -d "$SHMF_ROOT/providers/buggy/$name" ]; then
    hit="$(find "$SHMF_ROOT/providers/buggy/$name" -maxdepth 1 -name '*.c' -type f | LC_ALL=C sort | sed -n 1p)"
  fi
  [ -n "$hit" ] && printf '%s\n' "${hit#"$SHMF_ROOT"/}"
}

shmf_provider_names() {
  sed -n 's/^[[:space:]]*shmfuzz_add_provider([[:space:]]*\([A-Za-z0-9_-]*\).*/\1/p' \
    "$SHMF_ROOT/providers/CMakeLists.txt"
}

shmf_provider_cmake_sources() {
  local name="$1" line f
  line="$(sed -n "s/^[[:space:]]*shmfuzz_add_provider([[:space:]]*${name}[[:space:]]\{1,\}SOURCES\(.*\))[[:space:]]*$/\1/p" \
    "$SHMF_ROOT/providers/CMakeLists.txt" | sed -n 1p)"
  for f in $line; do printf '%s\n' "$SHMF_ROOT/providers/$f"; done
}

# Every check below prints one line and exits 2 on failure.
shmf_check_provider() {
  local spec="$1" kind
  kind="$(shmf_provider_kind "$spec")" ||
    shmf_die "--provider '$spec' is not a name, a .so, a .c/.cpp file or a directory"
  case "$kind" in
    so|c) [ -f "$spec" ] || shmf_die "--provider: no such file: $spec"
          [ -r "$spec" ] || shmf_die "--provider: cannot read $spec" ;;
    dir) [ -n "$(shmf_provider_sources "$spec")" ] || shmf_die "--provider: no .c or .cpp files in $spec" ;;
    name) shmf_provider_names | grep -x -- "$spec" >/dev/null ||
      shmf_die "unknown provider '$spec' (known: $(shmf_provider_names | paste -sd, - | sed 's/,/, /g'); or give a .c/.cpp file, a directory of them, or a .so)" ;;
  esac
}

# Engines and mergers read every file of a corpus: an entry that is neither a
# readable regular file nor a directory (a FIFO, a socket, a dangling symlink, an
# unreadable file) would stop them mid-run, so it is refused up front.
shmf_check_corpus() {
  local dir="$1" bad n
  [ -e "$dir" ] || return 0
  [ -d "$dir" ] || shmf_die "corpus $dir is not a directory"
  [ -r "$dir" ] && [ -x "$dir" ] || shmf_die "corpus $dir is not readable"
  bad="$(find -L "$dir" -mindepth 1 \( -type d -readable -executable \) -o \
           \( -type f -readable \) -o -print 2>/dev/null)" || true
  if [ -n "$bad" ]; then
    n="$(printf '%s\n' "$bad" | wc -l)"
    shmf_die "corpus $dir: $n unusable entr$([ "$n" = 1 ] && echo y || echo ies) (not a readable file: $(printf '%s\n' "$bad" | head -n 3 | paste -sd' ' -)$([ "$n" -gt 3 ] && echo ' ...')); remove or fix them"
  fi
}

shmf_check_writable() {
  local dir="$1" what="${2:-output dir}" probe err
  err="$(mkdir -p -- "$dir" 2>&1)" || shmf_die "cannot create $what $dir: ${err##*: }"
  probe="$(mktemp "$dir/.shmf-write-probe.XXXXXX" 2>/dev/null)" ||
    shmf_die "$what $dir is not writable"
  rm -f -- "$probe"
}

shmf_compile_log_die() {
  printf '%s: %s\n' "$SHMF_PROG" "$1" >&2
  sed -n '1,40p' "$2" >&2
  exit 2
}
