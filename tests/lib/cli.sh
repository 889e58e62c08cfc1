# Helpers for the `weft` client's integration tests: a private PostgreSQL
# (tests/lib/pg.sh), the schema, and a real `weftd gateway` on a loopback
# port. Tokens are handed to weft through WEFT_TOKEN or context files only,
# never on a command line.
#   cli_start [GW ARGS]    starts everything (ARGS go to weftd gateway); exports WEFT_URL, HOME (a fresh
#                          one, so ~/.config/weft is the test's own), CLI_TMP
#   cli_token NS NAME      creates sa:NS/NAME with a token, prints the token
#   cli_bind SUBJ ROLE NS  writes a role binding
#   cli_domain NAME PREFIX...  creates a domain owning the prefixes
#   weft ARGS...           runs the client under test
#   with_token T ARGS...   runs it with WEFT_TOKEN=T (never in an argv)
#   cli_run VAR CMD...     runs CMD, stores stdout in VAR, stderr in
#                          ${VAR}_ERR and the exit code in ${VAR}_RC
#   cli_setup [GW ARGS]    cli_need_gateway + cli_start, bailing out on failure
#   cli_need_executor      skips the test when this build has no executor
#   cli_admin              WEFT_TOKEN: sa:weft/admin, a platform-admin
#   req TOKEN METHOD PATH [BODY [TYPE]]   one API call: status in S, body in R
#   req_apply TOKEN YAML   a flow applied through the API
#   req_run_wait TOKEN NS FLOW [SECONDS]  an execution started and waited for:
#                          id in EID, final state in RST
#   cli_exec_wait NS FLOW [JSON]  started with ?wait as WEFT_TOKEN: the answer
#                          in R, id in EID, final state in ST
#   sha256_hex STRING      its SHA-256 in hex
#   cli_settle             waits for the executors' next poll round
WEFTD=${WEFTD:-$WF_BUILDDIR/weftd}
WEFT=${WEFT:-$WF_BUILDDIR/weft}

weft() { "$WEFT" "$@"; }
# with_token TOKEN ARGS...: runs weft with WEFT_TOKEN set through the
# environment (a prefix assignment, so no process has it in its argv).
with_token() {
    local __t=$1
    shift
    WEFT_TOKEN=$__t "$WEFT" "$@"
}

# The gateway lands in main separately; until `weftd gateway` exists the
# tests have nothing to talk to.
cli_need_gateway() {
    if ! "$WEFTD" gateway --help >/dev/null 2>&1; then
        echo "1..0 # SKIP weftd has no gateway subcommand in this build"
        exit 0
    fi
}

# cli_need_executor: like cli_need_gateway, for `weftd executor`.
cli_need_executor() {
    cli_need_gateway
    if ! "$WEFTD" executor --help >/dev/null 2>&1; then
        echo "1..0 # SKIP no executor in this build"
        exit 0
    fi
}

_cli_gw_pid=
cli_start() {
    pg_start || return 1
    CLI_TMP=$PG_TMP
    "$WEFTD" migrate >"$CLI_TMP/migrate.log" 2>&1 || { cat "$CLI_TMP/migrate.log" >&2; return 1; }
    "$WEFTD" gateway --listen 127.0.0.1:0 "$@" 2>"$CLI_TMP/gateway.log" &
    _cli_gw_pid=$!
    trap _cli_cleanup EXIT
    local i line=
    for i in $(seq 1 250); do
        line=$(grep -o 'listening on http://[^ ]*' "$CLI_TMP/gateway.log" | head -1)
        [ -n "$line" ] && break
        kill -0 "$_cli_gw_pid" 2>/dev/null || break
        sleep 0.02
    done
    [ -n "$line" ] || { cat "$CLI_TMP/gateway.log" >&2; return 1; }
    WEFT_URL=${line#listening on }
    mkdir -m 700 "$CLI_TMP/home"
    HOME=$CLI_TMP/home
    unset WEFT_TOKEN WEFT_CONFIG WEFT_CONTEXT XDG_CONFIG_HOME
    export WEFT_URL HOME CLI_TMP
    export NO_COLOR=1
}

_cli_cleanup() {
    local p
    # Twice: the first signal starts a graceful stop, the second ends it at once.
    for p in "${_cli_ex_pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
    sleep 0.1
    for p in "${_cli_ex_pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${_cli_ex_pids[@]}"; do wait "$p" 2>/dev/null; done
    _cli_ex_pids=()
    if [ -n "$_cli_gw_pid" ]; then
        kill -TERM "$_cli_gw_pid" 2>/dev/null
        wait "$_cli_gw_pid" 2>/dev/null
        _cli_gw_pid=
    fi
    pg_stop
}

# cli_setup [GW ARGS]: the gateway this test talks to, or a skip / bail out.
cli_setup() {
    cli_need_gateway
    cli_start "$@" || t_bail "cannot start PostgreSQL and the gateway"
}

# cli_token / cli_bind: pg.sh's pg_sa_token and pg_bind.
cli_token() { pg_sa_token "$@"; }
cli_bind() { pg_bind "$@"; }

# cli_admin: the test's default identity, exported as WEFT_TOKEN.
cli_admin() {
    WEFT_TOKEN=$(cli_token weft admin)
    export WEFT_TOKEN
    cli_bind sa:weft/admin platform-admin ''
}

cli_domain() {
    local name=$1 p
    shift
    pg_psql -c "INSERT INTO domains (name) VALUES ('$name')" >/dev/null
    for p in "$@"; do
        pg_psql -c "INSERT INTO namespaces (prefix, domain) VALUES ('$p', '$name')" >/dev/null
    done
    # Its sealing key (the executor's key file) and the public half in the
    # database, so the gateway can seal secrets to it.
    local pub
    pub=$("$WEFTD" keygen --domain "$name" --key-dir "$CLI_TMP/keys" 2>/dev/null) &&
        pg_psql -c "UPDATE domains SET public_key = decode('$pub', 'base64') WHERE name = '$name'" >/dev/null
    # With the executor's schema, each domain also gets its database role.
    if [ "$(pg_psql -c "SELECT to_regproc('weft_ensure_domain_role') IS NOT NULL")" = t ]; then
        pg_psql -c "SELECT weft_ensure_domain_role('$name')" >/dev/null
    fi
}

# cli_executor DOMAIN: starts `weftd executor --domain DOMAIN` when this build
# has one (returns 1 otherwise); it is stopped on exit.
_cli_ex_pids=()
cli_executor() {
    "$WEFTD" executor --help >/dev/null 2>&1 || return 1
    # Same key directory as cli_domain registered: DATA_DIR/keys.
    WEFT_DATA_DIR=$CLI_TMP "$WEFTD" executor --domain "$1" >>"$CLI_TMP/executor-$1.log" 2>&1 &
    _cli_ex_pids+=($!)
}

cli_run() {
    local __v=$1 __e __out __rc
    shift
    __e=$(mktemp "$CLI_TMP/err.XXXXXX")
    __out=$("$@" 2>"$__e")
    __rc=$?
    printf -v "$__v" '%s' "$__out"
    printf -v "${__v}_RC" '%s' "$__rc"
    printf -v "${__v}_ERR" '%s' "$(cat "$__e")"
    rm -f "$__e"
}

# jx JSON EXPR: evaluates the JavaScript expression EXPR with `d` bound to
# the parsed JSON (node is already a test dependency); objects print as JSON.
jx() {
    node -e 'let d; try { d = JSON.parse(process.argv[1]); } catch (e) { console.log("<invalid json>"); process.exit(0); }
const v = eval(process.argv[2]);
console.log(v === undefined || v === null ? "null" : typeof v === "object" ? JSON.stringify(v) : String(v));' "$1" "$2"
}

# req TOKEN METHOD PATH [BODY [TYPE]]: one request to the gateway as TOKEN's
# holder, BODY sent as TYPE (default JSON); status in S, body in R.
req() {
    local out
    out=$(curl -s -w '\n%{http_code}' -X "$2" -H "Authorization: Bearer $1" \
        ${4:+-H "Content-Type: ${5:-application/json}" --data-binary "$4"} "$WEFT_URL$3")
    S=${out##*$'\n'}
    R=${out%$'\n'*}
}

# req_apply TOKEN YAML: applies a flow; returns 1 (with a TAP diagnostic
# naming the status) when the gateway refuses it.
req_apply() {
    req "$1" POST /api/v1/flows "$2" application/x-yaml
    [ "$S" = 200 ] || [ "$S" = 201 ] || { t_diag "apply: $S $R"; return 1; }
}

# req_run_wait TOKEN NS FLOW [SECONDS]: starts an execution and polls the
# database until it ends (at most SECONDS, default 15): its id in EID, its
# last seen state in RST.
req_run_wait() {
    req "$1" POST "/api/v1/executions/$2/$3" '{}'
    EID=$(jq -r .id <<<"$R")
    local i
    RST=
    for i in $(seq 1 $((${4:-15} * 20))); do
        RST=$(pg_psql -c "SELECT state FROM executions WHERE id = '$EID'")
        case $RST in SUCCESS|WARNING|FAILED|KILLED|CANCELLED) break ;; esac
        sleep 0.05
    done
}

# cli_exec_wait NS FLOW [JSON]: starts an execution as WEFT_TOKEN with ?wait
# (60 s): the whole answer in R, its id in EID, its state in ST.
cli_exec_wait() {
    R=$(curl -s -X POST -H "Authorization: Bearer $WEFT_TOKEN" -H 'Content-Type: application/json' \
        --data "${3:-{\}}" "$WEFT_URL/api/v1/executions/$1/$2?wait=60")
    EID=$(jq -r .id <<<"$R")
    ST=$(jq -r .state.current <<<"$R")
}

sha256_hex() { printf %s "$1" | sha256sum | cut -c1-64; }

# cli_settle: lets the executors see at least one more poll round (they tick
# every second) before the test looks at what they did.
cli_settle() { sleep 2.2; }
