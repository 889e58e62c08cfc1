#!/usr/bin/env bash
# The source layout (docs/architecture.md): the top-level folders include
# each other only downwards, so their graph has no cycle, and no folder
# grows into the whole program. Reads the source tree only (no build):
#   layout.sh [SRCDIR]      default $WF_SRCDIR
# Every `#include "folder/..."` of a .c or .h file is an edge between two
# top-level folders (flow/expr counts as flow); a cycle is printed as the
# includes that close it.
SRC=${1:-$WF_SRCDIR}
. "${WF_SRCDIR:-$(dirname "$0")/../..}/tests/lib/tap.sh"
[ -d "$SRC/platform" ] || t_bail "no source tree at '$SRC'"

# The layering, lowest first: a folder may include the folders of lower
# rank, never its own rank's others nor higher. The client is apart: it
# builds on the base and the flow language only.
FOLDERS="platform flow sandbox auth tenants executor api daemon cli"
declare -A RANK=([platform]=0 [flow]=1 [sandbox]=2 [auth]=2 [tenants]=3 [executor]=4 [api]=5
                 [daemon]=6)
declare -A CLI_USES=([platform]=1 [flow]=1)
MAX_SHARE=30 # per cent of the C lines outside tests/

# "from<TAB>file<TAB>to<TAB>header" for each include that crosses folders.
edges() {
    local d f line h
    for d in $FOLDERS; do
        [ -d "$SRC/$d" ] || continue
        while IFS= read -r f; do
            while IFS= read -r line; do
                h=${line#*\"}
                h=${h%%\"*}
                case " $FOLDERS " in *" ${h%%/*} "*) ;; *) continue ;; esac
                [ "${h%%/*}" = "$d" ] && continue
                printf '%s\t%s\t%s\t%s\n' "$d" "${f#"$SRC"/}" "${h%%/*}" "$h"
            done < <(grep -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[a-z_]+/' "$f")
        done < <(find "$SRC/$d" -type f \( -name '*.c' -o -name '*.h' \) | LC_ALL=C sort)
    done
}
EDGES=$(edges)
t_ok "the sources have cross-folder includes to check" test -n "$EDGES"

# Cycles: for each edge a -> b, a path from b back to a closes one. Each is
# printed once, as its edges, each with the first include that makes it.
cycles=$(awk -F'\t' '
    !(($1, $3) in ex) { ex[$1, $3] = $2 " includes " $4; adj[$1] = adj[$1] " " $3; n++; ea[n] = $1; eb[n] = $3 }
    # breadth-first from "from"; returns the path "from ... to", or ""
    function path(from, to,    q, head, tail, seen, par, u, i, k, nb) {
        head = 1; tail = 1; q[1] = from; seen[from] = 1
        while (head <= tail) {
            u = q[head++]
            if (u == to) return chain(from, to, par)
            nb = split(adj[u], k, " ")
            for (i = 1; i <= nb; i++)
                if (!(k[i] in seen)) { seen[k[i]] = 1; par[k[i]] = u; q[++tail] = k[i] }
        }
        return ""
    }
    function chain(from, to, par,    s) {
        s = to
        while (to != from) { to = par[to]; s = to " " s }
        return s
    }
    END {
        for (e = 1; e <= n; e++) {
            c = path(eb[e], ea[e])
            if (c == "") continue
            m = split(ea[e] " " c, node, " ")   # a b ... a
            # one key per cycle, whichever edge found it
            min = 1
            for (i = 2; i < m; i++) if (node[i] < node[min]) min = i
            key = ""
            for (i = 0; i < m - 1; i++) key = key node[(min - 1 + i) % (m - 1) + 1] " -> "
            if (key in done) continue
            done[key] = 1
            printf "cycle: %s%s\n", key, node[min]
            for (i = 1; i < m; i++)
                printf "  %s -> %s (%s)\n", node[i], node[i + 1], ex[node[i], node[i + 1]]
        }
    }' <<<"$EDGES")
t_is "$cycles" "" "no cycle between the top-level folders"

# Every edge goes down the layering.
upward=
while IFS=$'\t' read -r from file to h; do
    if [ "$from" = cli ]; then
        [ -n "${CLI_USES[$to]:-}" ] && continue
    elif [ "$to" != cli ] && [ "${RANK[$to]}" -lt "${RANK[$from]}" ]; then
        continue
    fi
    upward+="$from -> $to ($file includes $h)"$'\n'
done <<<"$EDGES"
t_is "${upward%$'\n'}" "" \
    "every include goes down the layering (platform <- flow <- sandbox/auth <- tenants <- executor <- api <- daemon; cli: platform, flow)"

# The sandbox stands between tenants' code and the host and is meant to be
# linked on its own: it reads no Weft configuration and includes nothing of
# Weft but the allocation module (which itself includes nothing).
sandbox_uses=
while IFS=$'\t' read -r from file to h; do
    [ "$from" = sandbox ] && [ "$h" != platform/xmalloc.h ] && sandbox_uses+="$file includes $h"$'\n'
done <<<"$EDGES"
t_is "${sandbox_uses%$'\n'}" "" "sandbox/ includes nothing of Weft but platform/xmalloc.h"
xmalloc_uses=$(grep -h '^#include "' "$SRC/platform/xmalloc.c" "$SRC/platform/xmalloc.h" | grep -v '"platform/xmalloc.h"')
t_is "$xmalloc_uses" "" "platform/xmalloc includes nothing else of Weft"

# No folder holds more than MAX_SHARE per cent of the C lines (tests/ and
# build directories aside).
declare -A LINES=()
total=0
for d in "$SRC"/*/; do
    d=${d%/}
    name=${d##*/}
    case $name in tests | autom4te.cache | node_modules) continue ;; esac
    [ -f "$d/config.status" ] && continue # a build directory inside the tree
    n=$(find "$d" -type f \( -name '*.c' -o -name '*.h' \) -exec cat {} + 2>/dev/null | wc -l)
    [ "$n" -gt 0 ] || continue
    LINES[$name]=$n
    total=$((total + n))
done
t_ok "there are C lines to count" test "$total" -gt 0
for name in $(printf '%s\n' "${!LINES[@]}" | LC_ALL=C sort); do
    share=$((LINES[$name] * 100 / total))
    t_ok "$name/ holds ${LINES[$name]} of $total C lines (${share}%, at most ${MAX_SHARE}%)" \
        test $((LINES[$name] * 100)) -le $((total * MAX_SHARE))
done
t_done
