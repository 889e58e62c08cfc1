# Runs a real `weftd gateway` for an integration test.
#   gw_start [ARGS...]   starts it on a free loopback port (ARGS go to weftd
#                        gateway); exports GW_URL, GW_PID, GW_LOG
#   gw_stop [SIGNAL]     stops it (default TERM) and sets GW_RC to its exit code
#   http METHOD PATH [CURL ARGS...]  sets STATUS, CTYPE, BODY
#   jget JSON .a.b.0     prints one member of a JSON document
#   gw_setup [ARGS...]   pg_setup + gw_start, bailing out on failure
#   gw_admin             sa:weft/admin as platform-admin: ADMIN (its token),
#                        and the curl arguments AU (its bearer), J and Y
#                        (JSON and YAML bodies)
_gw_files=()
# Sanitizer builds: h2o's per-thread caches look leaked when a loop thread
# ends (see lsan.supp); everything else still counts.
export LSAN_OPTIONS="suppressions=$WF_SRCDIR/tests/lib/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

gw_start() {
    GW_LOG=$(mktemp /tmp/weft-gw.XXXXXX)
    _gw_files+=("$GW_LOG")
    "$WF_BUILDDIR/weftd" gateway --listen 127.0.0.1:0 "$@" 2>"$GW_LOG" &
    GW_PID=$!
    trap '_gw_cleanup' EXIT
    local i line
    for i in $(seq 1 250); do
        line=$(grep -o 'listening on http://[^ ]*' "$GW_LOG" | head -1)
        [ -n "$line" ] && break
        kill -0 "$GW_PID" 2>/dev/null || break
        sleep 0.02
    done
    if [ -z "$line" ]; then
        cat "$GW_LOG" >&2
        kill -KILL "$GW_PID" 2>/dev/null && wait "$GW_PID" 2>/dev/null
        GW_PID=
        return 1
    fi
    GW_URL=${line#listening on }
    export GW_URL GW_PID GW_LOG
}

gw_stop() {
    local sig=${1:-TERM}
    GW_RC=
    [ -z "${GW_PID:-}" ] && return 0
    kill -"$sig" "$GW_PID" 2>/dev/null
    wait "$GW_PID"
    GW_RC=$?
    GW_PID=
}

# gw_setup [ARGS...]: a private cluster with the schema and a gateway on it
# (ARGS go to weftd gateway); needs tap.sh and pg.sh.
gw_setup() {
    pg_setup
    gw_start "$@" || t_bail "gateway did not start"
}

_gw_cleanup() {
    [ -n "${GW_PID:-}" ] && kill -KILL "$GW_PID" 2>/dev/null && wait "$GW_PID" 2>/dev/null
    GW_PID=
    # GW_KEEP_LOG=1 keeps the gateway's log for a post-mortem.
    [ -z "${GW_KEEP_LOG:-}" ] && rm -f "${_gw_files[@]}"
    if declare -f pg_stop >/dev/null; then pg_stop; fi
}

# http METHOD PATH [CURL ARGS...]: sets STATUS, CTYPE and BODY.
http() {
    local m=$1 p=$2 out last
    shift 2
    out=$(curl -s -X "$m" -w '\n%{http_code} %{content_type}' "$@" "$GW_URL$p")
    BODY=${out%$'\n'*}
    last=${out##*$'\n'}
    STATUS=${last%% *}
    CTYPE=${last#* }
}
# jget JSON .a.b.0: one member of a JSON document (node is a test dependency
# already); objects and arrays print as JSON, null/absent as "null".
jget() {
    node -e 'let d; try { d = JSON.parse(process.argv[1]); } catch (e) { console.log("<invalid json>"); process.exit(0); }
for (const k of process.argv[2].split(".").slice(1)) d = (d === null || d === undefined) ? undefined : d[k];
console.log(d === undefined || d === null ? "null" : typeof d === "object" ? JSON.stringify(d) : String(d));' "$1" "$2"
}

# gw_mint_token NS NAME / gw_bind SUBJECT ROLE NAMESPACE: pg.sh's
# pg_sa_token and pg_bind (a token and a role binding written directly).
gw_mint_token() { pg_sa_token "$@"; }
gw_bind() { pg_bind "$@"; }

# gw_admin: a platform-admin service account and the curl arguments that
# most requests need: AU authenticates as it, J and Y declare a JSON or a YAML
# body.
gw_admin() {
    ADMIN=$(gw_mint_token weft admin)
    gw_bind sa:weft/admin platform-admin ''
    AU=(-H "Authorization: Bearer $ADMIN")
    J=(-H 'Content-Type: application/json')
    Y=(-H 'Content-Type: application/x-yaml')
}
