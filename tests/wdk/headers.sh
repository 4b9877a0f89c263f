#!/usr/bin/env bash
# headers.sh INCLUDE_DIR WORK_DIR TU.c...
#
# Every public header under INCLUDE_DIR, included alone, and every translation
# unit given (one per header, using each of its names) compiles as C11 with gcc
# and clang and as C++17 with g++ and clang++, with -Wall -Wextra -Werror.
# A compiler that is not installed is skipped (and said so); none found is an
# error.  Exit 0 when everything compiled, 1 otherwise, naming each failure.
set -u
inc="$1" work="$2"
shift 2
mkdir -p "$work"

modes=()
for m in "gcc -std=c11" "clang -std=c11" "g++ -std=c++17 -x c++" "clang++ -std=c++17 -x c++"; do
  if command -v "${m%% *}" >/dev/null 2>&1; then
    modes+=("$m")
  else
    echo "headers: ${m%% *} not installed, skipped"
  fi
done
[ "${#modes[@]}" -gt 0 ] || { echo "headers: no compiler found"; exit 1; }

# One translation unit per public header, including it alone.
units=("$@")
while IFS= read -r h; do
  rel="${h#"$inc"/}"
  tu="$work/inc_$(printf '%s' "$rel" | tr '/.' '__').c"
  printf '#include <%s>\nint main(void) { return 0; }\n' "$rel" >"$tu"
  units+=("$tu")
done < <(find "$inc" -name '*.h' | LC_ALL=C sort)

fail=0 n=0
for tu in "${units[@]}"; do
  for m in "${modes[@]}"; do
    # shellcheck disable=SC2086  # $m is a command with its flags
    if ! out="$($m -Wall -Wextra -Werror -Wno-multichar -I "$inc" -c "$tu" -o /dev/null 2>&1)"; then
      echo "FAIL: $m $(basename "$tu")"
      printf '%s\n' "$out" | head -n 5
      fail=1
    fi
    n=$((n + 1))
  done
done
echo "headers: $n compilations, $([ "$fail" = 0 ] && echo all clean || echo some failed)"
exit "$fail"
