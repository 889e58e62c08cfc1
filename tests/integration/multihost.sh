#!/usr/bin/env bash
# Weft as a multi-host deployment on one machine. Network namespaces are the
# hosts, joined by veth pairs on a private bridge:
#   db      PostgreSQL over TCP only with TLS (a self-signed certificate made
#           here, verified by the clients) and SCRAM-SHA-256 (hostssl lines)
#   app1    a gateway and one executor replica of each domain (alpha, beta)
#   app2    the same
#   client  curl, talking to both gateways
# A batch of executions (a Log task, a 1-3 s shell task, a Log task) runs;
# mid-run app1 loses its link and its processes are SIGKILLed, as when a
# host dies. Then: every acknowledged execution ends SUCCESS, app2 takes
# app1's executions over within 10 s (measured from database timestamps), no
# attempt of a task run overlaps another, app1's sandboxes died with it, and
# app2's gateway keeps answering. Last, a replica cut off from the database
# but alive (app1 back with one executor) fences itself: it stops its
# sandboxes before its lease lapses, and the task runs once at a time; a file
# its flow made on app1 (outputFiles) reaches the next task on app2
# (inputFiles) through the internal storage.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"

if [ "$(id -u)" -ne 0 ] || ! ip netns list >/dev/null 2>&1 || ! command -v openssl >/dev/null ||
    ! command -v unshare >/dev/null; then
    echo "1..0 # SKIP needs root, ip netns, unshare and openssl"
    exit 0
fi
T0=$(date +%s%N)
P=wf$$                                            # prefix of every name made here
NET=10.$((100 + RANDOM % 100)).$((RANDOM % 250))  # the private /24
declare -A IP=([db]=$NET.2 [app1]=$NET.11 [app2]=$NET.12 [client]=$NET.20)
BR=${P}br
HOSTS=(db app1 app2 client)

ns() { echo "$P-$1"; }
# at HOST CMD...: CMD in HOST's network namespace. nsenter, not `ip netns
# exec`, which remounts /sys and so hides the cgroup hierarchies the sandbox needs.
at() { local h=$1; shift; nsenter --net="/run/netns/$(ns "$h")" "$@"; }
# on HOST CMD...: the same with the host's name as hostname (executors record
# it in their id).
on() {
    local h=$1
    shift
    at "$h" unshare --uts sh -c 'hostname "$0" && exec "$@"' "$h" "$@"
}
# spawn HOST LOG CMD...: `on` in the background with stderr appended to LOG;
# every step execs the next, so $! is CMD's own pid.
spawn() {
    local h=$1 log=$2
    shift 2
    (exec nsenter --net="/run/netns/$(ns "$h")" unshare --uts \
        sh -c 'hostname "$0" && exec "$@"' "$h" "$@") 2>>"$log" &
    disown $! # the test kills some of them: no job notices
}
live() { # PID: running (a zombie nobody reaps has stopped running)
    local st
    st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) && [ -n "$st" ] && [ "$st" != Z ]
}
gone() { # PID...: waits up to 10 s for them to exit; 1 if one still runs
    local i p left
    for i in $(seq 1 200); do
        left=0
        for p in "$@"; do live "$p" && left=1; done
        [ "$left" = 0 ] && return 0
        sleep 0.05
    done
    return 1
}
cx() { at client curl -s --max-time 5 "$@"; } # curl from the client

cleanup() {
    local h p
    for h in "${HOSTS[@]}"; do
        for p in $(ip netns pids "$(ns "$h")" 2>/dev/null); do
            [ "$h" = db ] || kill -KILL "$p" 2>/dev/null
        done
    done
    pg_stop
    for h in "${HOSTS[@]}"; do ip netns del "$(ns "$h")" 2>/dev/null; done
    ip link del "$BR" 2>/dev/null
    [ -n "${WORK:-}" ] && [ -z "${MH_KEEP:-}" ] && rm -rf "$WORK"
}
trap cleanup EXIT
trap "exit 143" TERM INT HUP # the namespaces and the bridge must go in any case
WORK=$(mktemp -d /tmp/weft-multihost.XXXXXX)
chmod 711 "$WORK"

# ---- the network ----------------------------------------------------------
ip link add "$BR" type bridge && ip link set "$BR" up || t_bail "cannot create bridge $BR"
for h in "${HOSTS[@]}"; do
    ip netns add "$(ns "$h")" &&
        ip link add "$P$h" type veth peer name eth0 netns "$(ns "$h")" &&
        ip link set "$P$h" master "$BR" up &&
        ip -n "$(ns "$h")" addr add "${IP[$h]}/24" dev eth0 &&
        ip -n "$(ns "$h")" link set eth0 up &&
        ip -n "$(ns "$h")" link set lo up || t_bail "cannot make host $h"
done

# ---- host db: PostgreSQL, TLS and SCRAM only ------------------------------
CA=$WORK/server.crt
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=db -addext "subjectAltName=IP:${IP[db]},DNS:db" \
    -keyout "$WORK/server.key" -out "$CA" >/dev/null 2>&1 || t_bail "openssl"
PW_SU=$(openssl rand -hex 16)
declare -A PW=([alpha]=$(openssl rand -hex 16) [beta]=$(openssl rand -hex 16))
PASS=$WORK/pgpass
{
    echo "*:*:*:weft:$PW_SU"
    for d in alpha beta; do echo "*:*:*:weft_domain_$d:${PW[$d]}"; done
} >"$PASS"
chmod 600 "$PASS"

if ! id weft >/dev/null 2>&1; then
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin weft
fi
tpl=$(_pg_template) || t_bail "no PostgreSQL template"
PG_TMP=$WORK/pg
mkdir -m 700 "$PG_TMP" "$PG_TMP/data" "$PG_TMP/sock"
cp -a "$tpl/." "$PG_TMP/data/"
install -m 600 "$WORK/server.key" "$PG_TMP/server.key"
cp "$CA" "$PG_TMP/server.crt"
# Until the passwords are set, the superuser on the socket only.
echo "local all weft trust" >"$PG_TMP/data/pg_hba.conf"
chown -R weft: "$PG_TMP"
# Server-side keepalives: the backends of a host that vanished (no FIN ever
# comes) go within seconds, not after TCP's ~15 minutes.
at db setpriv --reuid=weft --regid=weft --clear-groups -- \
    "$PG_BIN/postgres" -D "$PG_TMP/data" -k "$PG_TMP/sock" -p 5432 \
    -c listen_addresses="${IP[db]}" -c ssl=on -c ssl_cert_file="$PG_TMP/server.crt" \
    -c ssl_key_file="$PG_TMP/server.key" -c password_encryption=scram-sha-256 \
    -c fsync=off -c synchronous_commit=off -c max_connections=200 \
    -c tcp_keepalives_idle=2 -c tcp_keepalives_interval=1 -c tcp_keepalives_count=3 \
    -c tcp_user_timeout=4000 >"$PG_TMP/postgres.log" 2>&1 &
_pg_pid=$!
for i in $(seq 1 300); do
    "$PG_BIN/pg_isready" -q -h "$PG_TMP/sock" -p 5432 -U weft -d postgres && break
    sleep 0.05
done
psql -XAtq -h "$PG_TMP/sock" -p 5432 -U weft -d postgres \
    -c "ALTER ROLE weft PASSWORD '$PW_SU'" -c 'CREATE DATABASE weft' >/dev/null ||
    { cat "$PG_TMP/postgres.log"; t_bail "cannot set up PostgreSQL"; }
cat >"$PG_TMP/data/pg_hba.conf" <<EOF
local   all all                scram-sha-256
hostssl all all ${IP[db]%.*}.0/24 scram-sha-256
EOF
kill -HUP "$(head -1 "$PG_TMP/data/postmaster.pid")"
sleep 0.3
# The test's own look at the database: the socket, with a password too.
export WEFT_DATABASE_URL="postgresql:///weft?host=$PG_TMP/sock&port=5432&user=weft&passfile=$PASS"
TLS="sslmode=verify-full&sslrootcert=$CA&channel_binding=require&passfile=$PASS"
SU_URL="postgresql://weft@${IP[db]}:5432/weft?$TLS"
dom_url() { echo "postgresql://weft_domain_$1@${IP[db]}:5432/weft?$TLS"; }

t_is "$(pg_psql -c 'SELECT 1' 2>&1)" "1" "the socket asks for the password (SCRAM) and takes it"
t_fails "the socket refuses a wrong password" \
    psql -XAtq "postgresql:///weft?host=$PG_TMP/sock&port=5432&user=weft&password=wrong&passfile=/dev/null" -c 'SELECT 1'
t_fails "db refuses a connection without TLS" at app1 \
    psql -XAtq "postgresql://weft@${IP[db]}:5432/weft?sslmode=disable&passfile=$PASS" -c 'SELECT 1'
t_is "$(at app1 psql -XAtq "$SU_URL" -c 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()' 2>&1)" \
    "t" "app1 reaches db over TLS, the certificate verified (verify-full)"
t_is "$(pg_psql -c "SELECT rolpassword LIKE 'SCRAM-SHA-256\$%' FROM pg_authid WHERE rolname = 'weft'")" "t" \
    "the server keeps a SCRAM verifier, not a password"

# ---- hosts app1 and app2: gateways and executors --------------------------
WEFT_DATABASE_URL=$SU_URL on app1 "$WF_BUILDDIR/weftd" migrate >/dev/null 2>"$WORK/migrate.log" \
    || { cat "$WORK/migrate.log"; t_bail "migrate over TLS failed"; }
printf 'gateway:\n  threads: 1\n  db_connections: 2\nexecutor:\n  heartbeat_seconds: 2\n  slots: 4\n' \
    >"$WORK/weft.yaml"
declare -A PIDS=()
gw_up() { # HOST: a gateway on HOST:8080
    local h=$1 i
    spawn "$h" "$WORK/gateway-$h.log" env WEFT_DATABASE_URL="$SU_URL" \
        "$WF_BUILDDIR/weftd" gateway --config "$WORK/weft.yaml" --listen "${IP[$h]}:8080"
    PIDS[gw-$h]=$!
    for i in $(seq 1 200); do
        grep -q 'listening on' "$WORK/gateway-$h.log" && return 0
        kill -0 "${PIDS[gw-$h]}" 2>/dev/null || break
        sleep 0.05
    done
    cat "$WORK/gateway-$h.log" >&2
    return 1
}
ex_up() { # HOST DOMAIN: an executor replica of DOMAIN on HOST, logged in as the domain's role
    local h=$1 d=$2 i pid
    spawn "$h" "$WORK/executor-$h-$d.log" env WEFT_DATABASE_URL="$(dom_url "$d")" \
        WEFT_DATA_DIR="$WORK/data-$h" "$WF_BUILDDIR/weftd" executor --domain "$d" \
        --config "$WORK/weft.yaml"
    pid=$!
    PIDS[ex-$h-$d]=$pid
    for i in $(seq 1 400); do # ready once registered
        grep -q "executor $d/$h/$pid/.* ready" "$WORK/executor-$h-$d.log" && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    cat "$WORK/executor-$h-$d.log" >&2
    return 1
}
gw_up app1 || t_bail "gateway on app1 did not start"
gw_up app2 || t_bail "gateway on app2 did not start"
ADMIN=$(pg_sa_token weft admin)
pg_bind sa:weft/admin platform-admin ''
AU=(-H "Authorization: Bearer $ADMIN")
GW1=http://${IP[app1]}:8080
GW2=http://${IP[app2]}:8080
for d in alpha beta; do
    code=$(cx -o /dev/null -w '%{http_code}' "${AU[@]}" -H 'Content-Type: application/json' \
        -d "{\"name\":\"$d\",\"namespaces\":[\"$d\"]}" "$GW1/api/v1/domains")
    t_is "$code" 201 "client: domain $d created through app1's gateway"
    # The DBA makes the domain's role and gives it its password: its
    # executors log in as it, never as the superuser.
    pg_psql -c "SELECT weft_ensure_domain_role('$d')" \
        -c "ALTER ROLE weft_domain_$d PASSWORD '${PW[$d]}'" >/dev/null
done
# Each domain's key is made once and registered (by the DBA, with the owner's
# URL), and the same key file goes to every host that runs its replicas.
for d in alpha beta; do
    WEFT_DATABASE_URL=$SU_URL on app1 "$WF_BUILDDIR/weftd" keygen --domain "$d" \
        --key-dir "$WORK/keys" --register >/dev/null 2>>"$WORK/keygen.log" ||
        { cat "$WORK/keygen.log"; t_bail "keygen --register for $d failed"; }
done
for h in app1 app2; do
    install -d -m 700 "$WORK/data-$h" "$WORK/data-$h/keys"
    install -m 600 "$WORK"/keys/*.key "$WORK/data-$h/keys/"
done
for h in app1 app2; do
    for d in alpha beta; do ex_up "$h" "$d" || t_bail "executor $d on $h did not start"; done
done
# A replica whose host has a key of its own would start and fail every secret.
mkdir -p "$WORK/data-stray"
out=$(at app2 env WEFT_DATABASE_URL="$(dom_url alpha)" WEFT_DATA_DIR="$WORK/data-stray" \
    "$WF_BUILDDIR/weftd" executor --domain alpha --config "$WORK/weft.yaml" 2>&1)
t_is "$?" 1 "a replica with another key than its domain's is refused at start"
t_match "$out" "is not the domain's key" "... saying why"
t_is "$(pg_psql -c "SELECT string_agg(hostname || ':' || domain, ' ' ORDER BY hostname, domain)
                    FROM executors WHERE stopped_at IS NULL")" "app1:alpha app1:beta app2:alpha app2:beta" \
    "two replicas of each domain registered, one on app1 and one on app2"

for d in alpha beta; do
    code=$(cx -o /dev/null -w '%{http_code}' "${AU[@]}" -H 'Content-Type: application/x-yaml' \
        --data-binary @- "$GW2/api/v1/flows" <<EOF
id: batch
namespace: $d
inputs:
  - id: s
    type: STRING
    defaults: "1"
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: "start {{ execution.id }} with {{ secret('TOKEN') }}"
  - id: work
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - echo "begin \$(date +%s%N)"
      - sleep {{ inputs.s }}
      - echo "end \$(date +%s%N)"
  - id: bye
    type: io.kestra.plugin.core.log.Log
    message: "done {{ execution.id }}"
EOF
)
    t_match "$code" '^20[01]$' "client: flow $d.batch applied through app2's gateway"
    code=$(cx -o /dev/null -w '%{http_code}' -X PUT "${AU[@]}" -H 'Content-Type: application/json' \
        -d "{\"value\":\"tok-$d-$RANDOM$RANDOM\"}" "$GW1/api/v1/namespaces/$d/secrets/TOKEN")
    t_match "$code" '^20[014]$' "client: secret $d TOKEN sealed to $d's key through app1's gateway"
done

t_diag "hosts, database and daemons set up in $(( ($(date +%s%N) - T0) / 1000000 )) ms"

# ---- the batch ------------------------------------------------------------
ACKED=$WORK/acked # one acknowledged execution id per line
: >"$ACKED"
submit() { # GATEWAY_URL DOMAIN SECONDS: one execution; its id appended to ACKED
    local body id
    body=$(cx "${AU[@]}" -H 'Content-Type: application/json' -d "{\"s\":\"$3\"}" \
        "$1/api/v1/executions/$2/batch") || return 1
    id=$(sed -n 's/.*"id" *: *"\([^"]*\)".*/\1/p' <<<"$body" | head -1)
    [ -n "$id" ] || return 1
    echo "$id" >>"$ACKED"
}
# Four clients at a time; the ids are appended whole (short O_APPEND writes).
clients=()
clients_wait() { # only these: a bare `wait` would wait for PostgreSQL too
    [ "${#clients[@]}" -gt 0 ] && wait "${clients[@]}"
    clients=()
}
client() { # ARGS of submit, in the background; at most four at once
    submit "$@" &
    clients+=($!)
    [ "${#clients[@]}" -lt 4 ] || clients_wait
}
for i in $(seq 0 19); do
    for d in alpha beta; do
        gw=$GW1
        [ $((i % 2)) = 1 ] && gw=$GW2
        client "$gw" "$d" "$((1 + i % 3)).$((i % 10))"
    done
done
clients_wait
t_is "$(wc -l <"$ACKED" | tr -d ' ')" 40 "40 executions acknowledged by the two gateways"

# Mid-run: wait until app1's replicas are running tasks.
APP1_EX="SELECT id FROM executors WHERE hostname = 'app1' AND stopped_at IS NULL"
for i in $(seq 1 400); do
    running=$(pg_psql -c "SELECT count(*) FROM task_runs r JOIN executions e ON e.id = r.execution_id
                          WHERE e.claimed_by IN ($APP1_EX) AND r.state = 'RUNNING' AND r.task_id = 'work'")
    [ "$running" -ge 3 ] && break
    sleep 0.05
done
t_ok "app1's replicas are running tasks when the host dies ($running)" test "$running" -ge 1

# What app1's executors run, down to their sandboxes: none may outlive them.
descendants() { # PID...: every process below them
    ps -eo pid=,ppid= | awk -v roots="$*" 'BEGIN { n = split(roots, r, " "); for (i = 1; i <= n; i++) in_[r[i]] = 1 }
        { parent[$1] = $2 } END { do { more = 0; for (p in parent) if (!(p in in_) && (parent[p] in in_)) { in_[p] = 1; more = 1; print p } } while (more) }'
}
sbx=($(descendants "${PIDS[ex-app1-alpha]}" "${PIDS[ex-app1-beta]}"))
ORPHANS=$WORK/orphans
pg_psql -c "SELECT id FROM executions WHERE claimed_by IN ($APP1_EX)
            AND state NOT IN ('SUCCESS','WARNING','FAILED','KILLED','CANCELLED','SKIPPED')" >"$ORPHANS"
KILL_AT=$(pg_psql -c "SELECT clock_timestamp()")
# The host dies: its link goes first (no FIN, no RST ever reaches db), then
# everything on it.
ip link set "$P"app1 down
kill -KILL $(ip netns pids "$(ns app1)") 2>/dev/null
gone "${PIDS[gw-app1]}" "${PIDS[ex-app1-alpha]}" "${PIDS[ex-app1-beta]}"
t_diag "app1 died at $KILL_AT holding $(wc -l <"$ORPHANS") unfinished executions and ${#sbx[@]} sandbox processes"
alive=1
for i in $(seq 1 40); do
    alive=0
    for p in "${sbx[@]}"; do live "$p" && alive=$((alive + 1)); done
    [ "$alive" = 0 ] && break
    sleep 0.05
done
t_is "$alive" 0 "app1's sandboxes died with it (within 2 s)"
# Takeover: the moment (database clock) no execution app1 held is still
# claimed by it unless it ended; every execution ends below.
orph_sql=$(sed "s/.*/'&'/" "$ORPHANS" | paste -sd,)
TAKEN=
if [ -n "$orph_sql" ]; then
    for i in $(seq 1 300); do
        r=$(pg_psql -v k="$KILL_AT" <<SQL
SELECT round(extract(epoch FROM clock_timestamp() - :'k'::timestamptz)::numeric, 2), count(*)
FROM executions WHERE id IN ($orph_sql) AND claimed_by LIKE '%/app1/%'
AND state NOT IN ('SUCCESS','WARNING','FAILED','KILLED','CANCELLED','SKIPPED');
SQL
)
        [ "${r#*|}" = 0 ] && { TAKEN=${r%|*}; break; }
        sleep 0.1
    done
fi

# The client: app1's gateway is gone, app2's answers.
t_fails "client: app1's gateway no longer answers" cx --max-time 2 -f "$GW1/healthz"
t_is "$(cx -o /dev/null -w '%{http_code}' "$GW2/readyz")" 200 "client: app2's gateway is ready"
for i in $(seq 0 9); do
    d=alpha
    [ $((i % 2)) = 1 ] && d=beta
    client "$GW2" "$d" 1
done
clients_wait
t_is "$(wc -l <"$ACKED" | tr -d ' ')" 50 "client: app2's gateway acknowledged 10 more executions after the death"

# Every acknowledged execution ends SUCCESS.
ex_wait_one() { # ID: its final state (waits up to 60 s)
    local i st
    for i in $(seq 1 600); do
        st=$(pg_psql -c "SELECT state FROM executions WHERE id = '$1'")
        case "$st" in SUCCESS|WARNING|FAILED|KILLED|CANCELLED|SKIPPED) echo "$st"; return ;; esac
        sleep 0.1
    done
    echo "TIMEOUT($st)"
}
ids_sql=$(sed "s/.*/'&'/" "$ACKED" | paste -sd,)
for i in $(seq 1 900); do
    left=$(pg_psql -c "SELECT count(*) FROM executions WHERE id IN ($ids_sql)
                       AND state NOT IN ('SUCCESS','WARNING','FAILED','KILLED','CANCELLED','SKIPPED')")
    [ "$left" = 0 ] && break
    sleep 0.1
done
t_is "$(pg_psql -c "SELECT count(*) FROM executions WHERE id IN ($ids_sql) AND state = 'SUCCESS'")" \
    "$(wc -l <"$ACKED" | tr -d ' ')" "every acknowledged execution ended SUCCESS (nothing lost)"
t_is "$(pg_psql -c "SELECT string_agg(id || ':' || state, ' ') FROM executions WHERE id IN ($ids_sql) AND state <> 'SUCCESS'")" \
    "" "no execution failed or stayed unfinished"
t_is "$(pg_psql -c "SELECT count(*) FROM executions e WHERE id IN ($ids_sql) AND (SELECT count(*) FROM task_runs r
                     WHERE r.execution_id = e.id AND r.state = 'SUCCESS') <> 3")" 0 \
    "each execution has its three task runs, all SUCCESS, none doubled"
lost=$(pg_psql -c "SELECT count(*) FROM task_runs r, jsonb_array_elements(r.attempts) a
                   WHERE r.execution_id IN ($ids_sql) AND a->>'lost' = 'true'")
t_diag "$lost attempts were lost with app1 and run again on app2"

# Takeover, as the client sees it: how soon each execution app1 held moved
# again (a lost attempt closed, an attempt started, a log line, its end).
if [ -n "$orph_sql" ]; then
    moved=$(pg_psql -v k="$KILL_AT" <<SQL
WITH k AS (SELECT :'k'::timestamptz AS t),
ev AS (
  SELECT r.execution_id AS e, (a->>'endDate')::timestamptz AS ts FROM task_runs r,
    jsonb_array_elements(r.attempts) a WHERE a->>'lost' = 'true'
  UNION ALL SELECT r.execution_id, (a->>'startDate')::timestamptz FROM task_runs r,
    jsonb_array_elements(r.attempts) a
  UNION ALL SELECT execution_id, ts FROM logs
  UNION ALL SELECT id, ended_at FROM executions),
first AS (SELECT e, min(ts) AS ts FROM ev, k WHERE ts > k.t AND e IN ($orph_sql) GROUP BY e)
SELECT round(extract(epoch FROM max(first.ts - k.t))::numeric, 2) FROM first, k GROUP BY k.t;
SQL
)
    t_diag "takeover: app2 claimed the last of app1's $(wc -l <"$ORPHANS") executions ${TAKEN:-never} s after the death (lease 6 s); the last of them moved again after ${moved} s"
    t_ok "app2 claimed every execution app1 held within 10 s of the death (${TAKEN:-never} s, database clock)" \
        awk -v s="${TAKEN:-x}" 'BEGIN { exit !(s != "x" && s + 0 < 10) }'
else
    t_skip "takeover within 10 s" "app1 held no execution when it died"
fi

# No two attempts of one task run at the same time: by the attempts'
# recorded times, and by the times the tasks themselves printed.
t_is "$(pg_psql <<SQL
WITH a AS (SELECT r.id, (x->>'startDate')::timestamptz AS s, (x->>'endDate')::timestamptz AS f, n
           FROM task_runs r, jsonb_array_elements(r.attempts) WITH ORDINALITY AS t(x, n)
           WHERE r.execution_id IN ($ids_sql))
SELECT count(*) FROM a a1 JOIN a a2 ON a1.id = a2.id AND a1.n < a2.n
WHERE a1.f IS NULL OR a1.f > a2.s OR a2.s < a1.s;
SQL
)" 0 "no task attempt overlaps another of its task run (recorded start and end)"
t_is "$(pg_psql <<SQL
WITH l AS (SELECT task_run_id, attempt, split_part(line, ' ', 1) AS k,
                  split_part(line, ' ', 2)::numeric AS ns FROM logs
           WHERE execution_id IN ($ids_sql) AND line ~ '^(begin|end) [0-9]+$'),
w AS (SELECT task_run_id, attempt, min(ns) FILTER (WHERE k = 'begin') AS b,
             max(ns) FILTER (WHERE k = 'end') AS e FROM l GROUP BY 1, 2)
SELECT count(*) FROM w w1 JOIN w w2 ON w1.task_run_id = w2.task_run_id AND w1.attempt < w2.attempt
WHERE w2.b < coalesce(w1.e, w1.b);
SQL
)" 0 "no task attempt began before the previous one ended (times the tasks printed)"
t_is "$(pg_psql -c "SELECT count(*) FROM logs WHERE execution_id IN ($ids_sql) AND line ~ '^start .* with [*]{4}$'")" \
    "$(wc -l <"$ACKED" | tr -d ' ')" "replicas on both hosts opened the domains' secret (masked in the logs)"
t_is "$(pg_psql -c "SELECT count(*) FROM logs WHERE execution_id IN ($ids_sql) AND line ~ '^done '")" \
    "$(wc -l <"$ACKED" | tr -d ' ')" "the closing Log task wrote once per execution"
t_is "$(pg_psql -c "SELECT string_agg(DISTINCT usename || ' as ' || application_name, ', ')
                    FROM pg_stat_activity WHERE client_addr IS NOT NULL")" \
    "weft as weft-gateway, weft_domain_alpha as weft-executor:alpha, weft_domain_beta as weft-executor:beta" \
    "db's TCP sessions: gateways as the owner, executors as their domain's role, each named"
t_is "$(pg_psql -c "SELECT count(*) FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
                    WHERE a.client_addr IS NOT NULL AND NOT s.ssl")" 0 "every TCP connection to db uses TLS"

t_diag "host death checked at $(( ($(date +%s%N) - T0) / 1000000 )) ms"

# ---- a replica cut off but alive fences itself ----------------------------
# app1 comes back with one alpha replica. It makes a file, then takes a long
# task; then only its link is cut (its processes live on). Its sandbox must
# stop before its lease lapses, i.e. before app2 can run the task again; app2
# then hands the file app1 made to the last task.
ip link set "$P"app1 up
ip -n "$(ns app1)" neigh flush all # no "no route to host" left over from the cut
for i in $(seq 1 100); do
    at app1 timeout 1 bash -c "exec 3<>/dev/tcp/${IP[db]}/5432" 2>/dev/null && break
    sleep 0.1
done
ex_up app1 alpha || t_bail "executor alpha on app1 did not restart"
FENCED=${PIDS[ex-app1-alpha]}
code=$(cx -o /dev/null -w '%{http_code}' "${AU[@]}" -H 'Content-Type: application/x-yaml' \
    --data-binary @- "$GW2/api/v1/flows" <<EOF
id: long
namespace: alpha
tasks:
  - id: make
    type: io.kestra.plugin.scripts.shell.Commands
    outputFiles: ["data.txt"]
    commands:
      - echo "made-\$(date +%s%N)" > data.txt
      - cat data.txt
  - id: work
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - echo "begin \$(date +%s%N)"
      - "sleep {{ taskrun.attemptsCount == 0 ? 10 : 1 }}"
      - echo "end \$(date +%s%N)"
  - id: use
    type: io.kestra.plugin.scripts.shell.Commands
    inputFiles:
      data.txt: '{{ outputs.make.outputFiles["data.txt"] }}'
    commands:
      - echo "got \$(cat data.txt)"
EOF
)
t_match "$code" '^20[01]$' "client: flow alpha.long applied"
# app2's alpha replica pauses a moment so that app1's takes the execution.
kill -STOP "${PIDS[ex-app2-alpha]}"
body=$(cx "${AU[@]}" -H 'Content-Type: application/json' -d '{}' "$GW2/api/v1/executions/alpha/long")
LONG=$(sed -n 's/.*"id" *: *"\([^"]*\)".*/\1/p' <<<"$body" | head -1)
for i in $(seq 1 300); do
    [ "$(pg_psql -c "SELECT r.state FROM task_runs r JOIN executions e ON e.id = r.execution_id
                     WHERE e.id = '$LONG' AND r.task_id = 'work' AND e.claimed_by LIKE 'alpha/app1/%'")" = RUNNING ] && break
    sleep 0.05
done
kill -CONT "${PIDS[ex-app2-alpha]}"
lsbx=($(descendants "$FENCED"))
t_ok "app1's replica runs the long task (${#lsbx[@]} sandbox processes)" test "${#lsbx[@]}" -ge 1
CUT_AT=$(pg_psql -c "SELECT clock_timestamp()")
ip link set "$P"app1 down
died=
for i in $(seq 1 400); do
    alive=0
    for p in "${lsbx[@]}"; do live "$p" && alive=1; done
    [ "$alive" = 0 ] && { died=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ); break; }
    sleep 0.05
done
t_ok "app1's replica stopped its sandbox on its own (its process lives on)" test -n "$died"
t_is "$(ex_wait_one "$LONG")" SUCCESS "the long execution ends SUCCESS on app2"
fence=$(pg_psql -v cut="$CUT_AT" -v died="${died:-$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)}" <<SQL
SELECT round(extract(epoch FROM :'died'::timestamptz - :'cut'::timestamptz)::numeric, 2) || ' ' ||
       round(extract(epoch FROM min((a->>'startDate')::timestamptz) - :'cut'::timestamptz)::numeric, 2) || ' ' ||
       (min((a->>'startDate')::timestamptz) > :'died'::timestamptz)
FROM task_runs r, jsonb_array_elements(r.attempts) WITH ORDINALITY AS t(a, n)
WHERE r.execution_id = '$LONG' AND r.task_id = 'work' AND n > 1;
SQL
)
t_diag "cut off: app1's sandbox stopped ${fence%% *} s after the cut; app2 began the task again $(cut -d' ' -f2 <<<"$fence") s after it"
t_is "${fence##* }" true "the cut-off replica's sandbox was gone before app2 began the task again"
t_is "$(pg_psql -c "SELECT jsonb_array_length(attempts) || ':' || (attempts->0->>'lost') FROM task_runs WHERE execution_id = '$LONG' AND task_id = 'work'")" \
    "2:true" "its attempt is recorded as lost and run again once"
# The file: written by a task on app1, stored in db's internal storage, read
# by a task on app2 (app1 was cut off by then).
t_is "$(pg_psql -c "SELECT count(*) FROM logs m JOIN logs u ON u.execution_id = m.execution_id
                    AND u.line = 'got ' || m.line WHERE m.execution_id = '$LONG' AND m.line LIKE 'made-%'")" 1 \
    "a file from a task on app1 (outputFiles) reached the next task on app2 (inputFiles)"
t_is "$(pg_psql -c "SELECT count(*) FROM storage_files WHERE execution_id = '$LONG' AND complete")" 1 \
    "... through db's internal storage"
t_ok "the cut-off replica says why it stopped its tasks" grep -q "self-fencing" "$WORK/executor-app1-alpha.log"
for i in $(seq 1 200); do
    grep -q "database unreachable; retrying" "$WORK/executor-app1-alpha.log" && break
    sleep 0.1
done
over=no
live "$FENCED" && grep -q 'starting over' "$WORK/executor-app1-alpha.log" &&
    grep -q 'database unreachable; retrying' "$WORK/executor-app1-alpha.log" && over=yes
t_is "$over" yes "the cut-off replica starts over in the same process and waits for the database"

t_diag "test ran $(( ($(date +%s%N) - T0) / 1000000 )) ms"
t_done
