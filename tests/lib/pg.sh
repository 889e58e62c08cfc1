# A private PostgreSQL 15 cluster for one integration test: initdb'd into a
# temporary directory (from a cached template, so each test pays ~0.2 s, not
# ~2 s), reachable only on a Unix socket there, run as an unprivileged user
# (never root, never the system cluster, never TCP port 5432), removed on exit.
#   pg_start            starts it; exports WEFT_DATABASE_URL and PG_TMP
#   pg_psql SQL...      runs SQL as the cluster superuser (-XAtq output)
#   pg_stop             stops and removes it (also done on EXIT)
#   pg_crash            SIGKILLs the postmaster (the data stays)
#   pg_serve            starts the server on the same data again (crash recovery)
#   pg_setup            pg_start + `weftd migrate`, bailing out on failure
#   pg_q SQL            one statement, its result
#   pg_psql_as ROLE ARGS  psql as another database role
#   pg_sa_token NS NAME  service account sa:NS/NAME with a fresh token (printed)
#   pg_bind SUBJ ROLE NS  a role binding
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
_pg_port=$((56000 + RANDOM % 4000))

_pg_as() { # run a command as the cluster's user (setpriv execs in place, so $! is the server)
    if [ "$(id -u)" -eq 0 ]; then
        setpriv --reuid=weft --regid=weft --clear-groups -- "$@"
    else
        "$@"
    fi
}

_pg_template() {
    local tpl="${WF_BUILDDIR:-/tmp}/tests/pg-template"
    mkdir -p "$(dirname "$tpl")"
    (
        flock 9
        if [ ! -f "$tpl/PG_VERSION" ]; then
            rm -rf "$tpl.tmp"
            mkdir -p "$tpl.tmp"
            [ "$(id -u)" -eq 0 ] && chown weft: "$tpl.tmp"
            _pg_as "$PG_BIN/initdb" -D "$tpl.tmp" -A trust -U weft -E UTF8 --locale=C.UTF-8 \
                --no-sync >"$tpl.log" 2>&1 || { cat "$tpl.log" >&2; exit 1; }
            mv "$tpl.tmp" "$tpl"
        fi
    ) 9>"$tpl.lock"
    echo "$tpl"
}

pg_start() {
    if [ "$(id -u)" -eq 0 ] && ! id weft >/dev/null 2>&1; then
        useradd --system --user-group --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin weft
    fi
    local tpl
    tpl=$(_pg_template) || return 1
    PG_TMP=$(mktemp -d /tmp/weft-test.XXXXXX)
    chmod 711 "$PG_TMP"
    mkdir -m 700 "$PG_TMP/data" "$PG_TMP/sock"
    cp -a "$tpl/." "$PG_TMP/data/"
    [ "$(id -u)" -eq 0 ] && chown -R weft: "$PG_TMP/data" "$PG_TMP/sock"
    pg_serve
    trap pg_stop EXIT
    psql -XAtq -h "$PG_TMP/sock" -p "$_pg_port" -U weft -d postgres -c 'CREATE DATABASE weft' \
        >/dev/null || { cat "$PG_TMP/postgres.log" >&2; return 1; }
    export WEFT_DATABASE_URL="postgresql:///weft?host=$PG_TMP/sock&port=$_pg_port&user=weft"
    export PG_TMP
}

pg_serve() {
    # After pg_crash the old backends may still hold the shared memory for
    # a moment: a server that refuses to start for that is started again.
    local try i
    for try in $(seq 1 50); do
        _pg_as "$PG_BIN/postgres" -D "$PG_TMP/data" -k "$PG_TMP/sock" -p "$_pg_port" \
            -c listen_addresses= -c fsync=off -c synchronous_commit=off -c max_connections=200 \
            >>"$PG_TMP/postgres.log" 2>&1 &
        _pg_pid=$!
        for i in $(seq 1 1500); do
            "$PG_BIN/pg_isready" -q -h "$PG_TMP/sock" -p "$_pg_port" -U weft -d postgres && return 0
            kill -0 "$_pg_pid" 2>/dev/null || break
            sleep 0.02
        done
        wait "$_pg_pid" 2>/dev/null
        sleep 0.2
    done
    return 1
}

pg_crash() {
    local pm
    pm=$(head -1 "$PG_TMP/data/postmaster.pid" 2>/dev/null)
    [ -n "$pm" ] && kill -KILL "$pm" 2>/dev/null
    kill -KILL "$_pg_pid" 2>/dev/null
    wait "$_pg_pid" 2>/dev/null
    _pg_pid=
}

pg_psql() { psql -XAtq -v ON_ERROR_STOP=1 "$WEFT_DATABASE_URL" "$@"; }

pg_stop() {
    if [ -n "${_pg_pid:-}" ]; then
        # As root, $_pg_pid is runuser, which does not pass SIGINT on: signal
        # the postmaster itself (first line of its pid file), or it outlives
        # the test as an orphan.
        local pm
        pm=$(head -1 "$PG_TMP/data/postmaster.pid" 2>/dev/null)
        [ -n "$pm" ] && kill -INT "$pm" 2>/dev/null
        kill -INT "$_pg_pid" 2>/dev/null # fast shutdown
        local i
        for i in $(seq 1 250); do kill -0 "$_pg_pid" 2>/dev/null || break; sleep 0.02; done
        kill -KILL "$_pg_pid" 2>/dev/null
        wait "$_pg_pid" 2>/dev/null
        _pg_pid=
    fi
    [ -n "${PG_TMP:-}" ] && rm -rf "$PG_TMP"
    PG_TMP=
}

# pg_setup: pg_start and the schema (`weftd migrate`); bails out of the test
# (tap.sh) when either fails.
pg_setup() {
    pg_start || t_bail "cannot start PostgreSQL"
    "$WF_BUILDDIR/weftd" migrate >/dev/null 2>&1 || t_bail "migrate failed"
}

# pg_q SQL: one statement's result (-XAtq), for assertions.
pg_q() { pg_psql -c "$1"; }

# pg_psql_as ROLE ARGS...: psql as another database role of the cluster (a
# domain's role, to attack the database the way that domain's executor could).
pg_psql_as() {
    local role=$1
    shift
    psql -XAtq -v ON_ERROR_STOP=1 "${WEFT_DATABASE_URL/user=weft/user=$role}" "$@"
}

# pg_sa_token NS NAME: creates service account sa:NS/NAME directly in the
# database (as `weftd up` does for its bootstrap admin) with a fresh token,
# and prints the token. Needs the schema (pg_setup).
pg_sa_token() {
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

# pg_bind SUBJECT ROLE NAMESPACE: a role binding written directly.
pg_bind() {
    pg_psql -c "INSERT INTO role_bindings (subject, role, namespace, created_by)
                VALUES ('$1', '$2', '$3', 'test') ON CONFLICT DO NOTHING" >/dev/null
}
