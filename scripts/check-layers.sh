#!/usr/bin/env bash
# check-layers.sh BUILD_DIR -- the runtime (ndis/src) calls downward only.
#
# Each ndis/src/rt_*.c names its layer once, in its header comment:
#     * layer: <rank> <tier>
# (tiers: base, subsystem, top; the table is printed below).  From the runtime
# library's compiled objects in BUILD_DIR (nm: the symbols each object defines
# and the ones it leaves undefined) this script computes which file calls (or
# reads) which, and fails when a file reaches a file of the same or a higher
# rank, when a file has no layer, or when the calls form a cycle.
#
# It also checks the harness's folders: a file includes headers of its own
# folder and of the folders before it in HARNESS_ORDER only (so only harness/cli
# includes cli.h).
#
# Exit: 0 layers respected, 1 a violation (each offending edge named), 2 usage.
set -u

usage() {
    echo "usage: $0 BUILD_DIR (a configured and built shmfuzz build tree)" >&2
    exit 2
}
[ $# -eq 1 ] || usage
build=$1
[ -d "$build" ] || usage
src=$(cd "$(dirname "$0")/.." && pwd)
NM=${NM:-nm}

# Objects of the runtime's current sources (a deleted source's object may linger).
objs=()
while read -r o; do
    [ -f "$src/ndis/src/$(basename "$o" .o)" ] && objs+=("$o")
done < <(find "$build/ndis/CMakeFiles/shmf_runtime.dir" -name 'rt_*.c.o' 2>/dev/null | sort)
if [ ${#objs[@]} -eq 0 ]; then
    echo "check-layers: no runtime objects under $build/ndis/CMakeFiles/shmf_runtime.dir" >&2
    exit 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# Ranks, from the header comment of each source file.
declare -A rank tier
for o in "${objs[@]}"; do
    f=$(basename "$o" .o)
    line=$(grep -m1 -E '^ \* layer: [0-9]+ [a-z]+' "$src/ndis/src/$f" 2>/dev/null)
    if [ -z "$line" ]; then
        echo "check-layers: ndis/src/$f: no '* layer: <rank> <tier>' line in its header" >&2
        fail=1
        continue
    fi
    read -r _ _ r t _ <<<"$line"
    rank[$f]=$r
    tier[$f]=$t
done

# Symbols: "<file> <symbol>" defined, and undefined.
for o in "${objs[@]}"; do
    f=$(basename "$o" .o)
    "$NM" "$o" | awk -v f="$f" '
        $1 == "U" { print "U", f, $2; next }
        NF == 3 && $2 ~ /^[A-TV-Z]$/ { print "D", $3, f }'
done >"$tmp/syms"
awk '$1 == "D" { print $2, $3 }' "$tmp/syms" | sort -u >"$tmp/def"
awk '$1 == "U" { print $2, $3 }' "$tmp/syms" >"$tmp/undef"

# Edges: caller callee, once each, with one symbol as witness.
awk 'NR == FNR { def[$1] = $2; next }
     ($2 in def) && def[$2] != $1 && !seen[$1 " " def[$2]]++ { print $1, def[$2], $2 }' \
    "$tmp/def" "$tmp/undef" | sort >"$tmp/edges"

echo "Runtime layers (rank tier file; a file may call only lower ranks):"
for f in "${!rank[@]}"; do echo "${rank[$f]} ${tier[$f]} $f"; done | sort -n -k1,1 -k3 |
    awk '{ printf "  %3s %-10s %s\n", $1, $2, $3 }'

while read -r from to sym; do
    [ -n "${rank[$from]:-}" ] && [ -n "${rank[$to]:-}" ] || continue
    if [ "${rank[$to]}" -ge "${rank[$from]}" ]; then
        echo "check-layers: upward call: $from (rank ${rank[$from]} ${tier[$from]}) ->" \
             "$to (rank ${rank[$to]} ${tier[$to]}) via $sym" >&2
        fail=1
    fi
done <"$tmp/edges"

if ! awk '{ print $1, $2 }' "$tmp/edges" | tsort >/dev/null 2>"$tmp/tsort"; then
    echo "check-layers: the runtime's calls form a cycle:" >&2
    sed 's/^/  /' "$tmp/tsort" >&2
    fail=1
fi
echo "Runtime call edges: $(wc -l <"$tmp/edges") between ${#objs[@]} files."

# The harness: folders by concern, in this order; a file may include headers of
# its own folder and of folders before it (docs/architecture.md).  From the
# sources: each #include "x.h" is resolved to the folder that holds x.h.
HARNESS_ORDER=(base codec nic exec report diff stress cli fuzz)
if [ -d "$src/harness" ]; then
    declare -A hrank hdir
    for i in "${!HARNESS_ORDER[@]}"; do
        hrank[${HARNESS_ORDER[$i]}]=$i
    done
    for d in "${HARNESS_ORDER[@]}"; do
        for h in "$src/harness/$d"/*.h; do
            [ -f "$h" ] && hdir[$(basename "$h")]=$d
        done
    done
    nh=0
    for d in "${HARNESS_ORDER[@]}"; do
        for f in "$src/harness/$d"/*.[ch]; do
            [ -f "$f" ] || continue
            while read -r inc; do
                t=${hdir[$inc]:-}
                [ -n "$t" ] || continue
                nh=$((nh + 1))
                if [ "${hrank[$t]}" -gt "${hrank[$d]}" ]; then
                    echo "check-layers: upward include: harness/$d/$(basename "$f") -> harness/$t/$inc" >&2
                    fail=1
                fi
            done < <(sed -nE 's/^#[[:space:]]*include[[:space:]]*"([^"]+)".*/\1/p' "$f")
        done
    done
    for f in "$src/harness"/*/*.[ch]; do
        d=$(basename "$(dirname "$f")")
        if [ -z "${hrank[$d]:-}" ]; then
            echo "check-layers: harness/$d is not in HARNESS_ORDER (scripts/check-layers.sh)" >&2
            fail=1
            break
        fi
    done
    echo "Harness includes: $nh resolved, folders ${HARNESS_ORDER[*]}."
fi

if [ $fail -ne 0 ]; then
    echo "check-layers: FAILED" >&2
    exit 1
fi
echo "check-layers: OK (every runtime call points to a lower layer, no cycle; harness folders include downward)"
