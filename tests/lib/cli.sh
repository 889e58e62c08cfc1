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

cli_token() {
    local ns=$1 name=$2 token hash
    token=weft_sa_$(head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=')
    hash=$(printf '%s' "$token" | sha256sum | cut -d' ' -f1)
    pg_psql -c "INSERT INTO service_accounts (namespace, name, created_by) VALUES ('$ns', '$name', 'test')
                ON CONFLICT (namespace, name) DO NOTHING" >/dev/null
    pg_psql -c "INSERT INTO sa_tokens (account_id, token_hash, created_by)
                SELECT id, decode('$hash', 'hex'), 'test' FROM service_accounts
                WHERE namespace = '$ns' AND name = '$name'" >/dev/null
    printf '%s' "$token"
}

cli_bind() {
    pg_psql -c "INSERT INTO role_bindings (subject, role, namespace, created_by)
                VALUES ('$1', '$2', '$3', 'test') ON CONFLICT DO NOTHING" >/dev/null
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
