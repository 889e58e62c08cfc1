#!/usr/bin/env bash
# `weftd up`: first start (initdb) → /readyz 200 → SIGTERM → nothing left;
# restart reusing the data; start after SIGKILL; one instance per data dir;
# an external database URL starts no PostgreSQL.
. "$WF_SRCDIR/tests/lib/tap.sh"
W="$WF_BUILDDIR/weftd"
T=$(mktemp -d /tmp/weft-up.XXXXXX)
chmod 755 "$T"
PORT=$((20000 + RANDOM % 20000))
UP_PID=
cleanup() {
    [ -n "$UP_PID" ] && kill -KILL "$UP_PID" 2>/dev/null
    pkill -KILL -f "$T/" 2>/dev/null
    sleep 0.2
    rm -rf "$T"
}
trap cleanup EXIT

cat >"$T/weft.yaml" <<YAML
listen: 127.0.0.1:$PORT
domains:
  - name: logistics
    namespaces: [logistics]
  - name: sales
    namespaces: [sales]
YAML

ms() { date +%s%3N; }
start_up() { # start weftd up in the background; sets UP_PID
    "$W" up --config "$T/weft.yaml" --data-dir "$T/data" "$@" >"$T/up.out" 2>&1 &
    UP_PID=$!
}
wait_ready() { # seconds → 0 when /readyz answered 200 in time
    local deadline=$(($(ms) + $1 * 1000))
    while [ "$(ms)" -lt "$deadline" ]; do
        [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz")" = 200 ] && return 0
        kill -0 "$UP_PID" 2>/dev/null || return 1
        sleep 0.02
    done
    return 1
}
stop_up() { # signal → sets UP_STATUS (the exit status); waits at most 12 s
    kill "-$1" "$UP_PID"
    local i
    for i in $(seq 1 600); do kill -0 "$UP_PID" 2>/dev/null || break; sleep 0.02; done
    wait "$UP_PID" 2>/dev/null
    UP_STATUS=$?
}
leftovers() { # processes, sockets or pid files of this data dir
    pgrep -f "$T/" >/dev/null && echo "process: $(pgrep -af "$T/")"
    ls "$T/data/run/" 2>/dev/null | grep -q . && echo "socket: $(ls -A "$T/data/run")"
    [ -e "$T/data/weftd.pid" ] && echo "pid file"
    [ -e "$T/data/pg/postmaster.pid" ] && echo "postmaster.pid"
    true
}

# 1. First start: initdb, migrations, bootstrap, ready.
t0=$(ms)
start_up
t_ok "first start: /readyz 200 within 20 s" wait_ready 20
first_ms=$(($(ms) - t0))
t_diag "first start (initdb included) ready in $first_ms ms"
t_ok "the gateway answers /healthz" curl -sf "http://127.0.0.1:$PORT/healthz"
tok="$T/data/admin.token"
t_is "$(stat -c %a "$tok" 2>/dev/null)" "600" "admin token written with mode 0600"
t_match "$(cat "$tok")" "^weft_sa_[A-Za-z0-9_-]{43}$" "token has the service-account format"
if grep -qF "$(cat "$tok")" "$T/up.out"; then leaked=yes; else leaked=no; fi
t_is "$leaked" "no" "the token is never printed"
t_match "$(cat "$T/up.out")" "admin token: $T/data/admin.token" "the token's path is printed"
sock_mode=$(stat -c %a "$T/data/run")
t_is "$sock_mode" "700" "socket directory is 0700"
t_is "$(stat -c %U "$T/data/pg")" "$( [ "$(id -u)" -eq 0 ] && echo weft || id -un)" \
    "PostgreSQL runs as an unprivileged user"
t_is "$(ps -o user= -p "$(head -1 "$T/data/pg/postmaster.pid")" | tr -d ' ')" \
    "$( [ "$(id -u)" -eq 0 ] && echo weft || id -un)" "the postmaster process is not root"
t_match "$(cat "$T/data/pg/postmaster.opts")" "listen_addresses=" "no TCP listener configured"
t_fails "a second weftd up on the same data dir is refused" \
    "$W" up --config "$T/weft.yaml" --data-dir "$T/data" --listen "127.0.0.1:$((PORT + 1))"
domains=$(psql -XAtq "postgresql:///weft?host=$T/data/run&port=55432&user=weft&passfile=$T/data/secrets/pgpass" \
    -c "SELECT string_agg(name, ',' ORDER BY name) FROM domains")
t_is "$domains" "logistics,sales" "configured domains recorded"

# 2. SIGTERM: exit 0 within 10 s, nothing left behind.
t0=$(ms)
stop_up TERM
stop_ms=$(($(ms) - t0))
t_is "$UP_STATUS" "0" "SIGTERM: exit status 0"
t_ok "SIGTERM: stopped within 10 s ($stop_ms ms)" test "$stop_ms" -lt 10000
t_is "$(leftovers)" "" "no process, socket or pid file left"
t_match "$(cat "$T/up.out")" "started executor logistics" "an executor per domain was started"

# 3. Restart on the same data dir: fast, data kept, no new bootstrap token.
before=$(cat "$tok")
t0=$(ms)
start_up
t_ok "restart: ready within 10 s" wait_ready 10
restart_ms=$(($(ms) - t0))
t_diag "restart ready in $restart_ms ms"
t_is "$(cat "$tok")" "$before" "restart keeps the bootstrap token"
t_match "$(cat "$T/up.out")" "PostgreSQL started" "restart reuses the cluster (no initdb)"

# 4. A supervised child that dies is restarted, and the restart is logged.
gw=$(pgrep -f "weftd gateway --config $T/weft.yaml" | head -1)
kill -KILL "$gw" 2>/dev/null
sleep 1.5
t_match "$(cat "$T/up.out")" "gateway was killed by signal 9.*restart #1" "a killed gateway is restarted (logged)"
t_ok "and is ready again" wait_ready 10

# 5. SIGKILL of weftd up: children follow it, the next start is not blocked.
kill -KILL "$UP_PID"
wait "$UP_PID" 2>/dev/null
for i in $(seq 1 250); do pgrep -f "$T/" >/dev/null || break; sleep 0.02; done
t_is "$(pgrep -f "$T/" | wc -l)" "0" "after SIGKILL no child outlives weftd up"
start_up
t_ok "start after SIGKILL: ready" wait_ready 15
stop_up INT
t_is "$UP_STATUS" "0" "SIGINT: exit status 0"
t_is "$(leftovers)" "" "nothing left after SIGINT"

# 6. A stale postmaster.pid (pid of a dead process) does not block a start.
echo 999999 >"$T/data/pg/postmaster.pid"
[ "$(id -u)" -eq 0 ] && chown weft: "$T/data/pg/postmaster.pid"
start_up
t_ok "start with a stale postmaster.pid: ready" wait_ready 15
stop_up TERM
t_is "$UP_STATUS" "0" "stopped"

# 7. External database: no embedded PostgreSQL is started.
. "$WF_SRCDIR/tests/lib/pg.sh"
pg_start || t_bail "cannot start PostgreSQL"
rm -rf "$T/ext"
"$W" up --config "$T/weft.yaml" --data-dir "$T/ext" >"$T/up.out" 2>&1 &
UP_PID=$!
t_ok "external database: ready" wait_ready 15
t_is "$(ls "$T/ext" | grep -c '^pg$')" "0" "no cluster created under the data dir"
t_match "$(cat "$T/up.out")" "no embedded PostgreSQL" "says it uses the configured database"
t_is "$(pg_psql -c 'SELECT count(*) FROM service_accounts')" "1" "bootstrap account in that database"
stop_up TERM
t_is "$UP_STATUS" "0" "stopped"
UP_PID=
t_done
