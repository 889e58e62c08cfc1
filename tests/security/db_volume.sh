#!/usr/bin/env bash
# A tenant floods the database volume (a task printing big lines as fast as
# it can) on a 300 MB filesystem holding the embedded PostgreSQL of
# `weftd up`: the volume never fills, PostgreSQL stays up, /readyz says why,
# the tenant's new execution is refused with a clear problem, another team's
# reads still work, and once space is freed everything resumes by itself.
# Then the per-task-run and per-execution log caps cut a chatty flow with one
# marker line each.
. "$WF_SRCDIR/tests/lib/tap.sh"
W="$WF_BUILDDIR/weftd"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root to mount a small filesystem"; exit 0; }
T=$(mktemp -d /tmp/weft-dbvol.XXXXXX)
chmod 755 "$T"
PORT=$((20000 + RANDOM % 20000))
UP_PID=
cleanup() {
    if [ -n "$UP_PID" ]; then
        kill -TERM "$UP_PID" 2>/dev/null
        for _ in $(seq 1 300); do kill -0 "$UP_PID" 2>/dev/null || break; sleep 0.05; done
        kill -KILL "$UP_PID" 2>/dev/null
    fi
    umount "$T/vol" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
mkdir "$T/vol"
mount -t tmpfs -o size=300m,mode=755 tmpfs "$T/vol" || t_bail "cannot mount a tmpfs"

write_config() { # LOG_LINES_PER_TASK_RUN LOG_LINES_PER_EXECUTION
    cat >"$T/weft.yaml" <<YAML
listen: 127.0.0.1:$PORT
database:
  high_water_percent: 75
  reserve: 24MiB
executor:
  log_lines_per_task_run: $1
  log_lines_per_execution: $2
domains:
  - name: alpha
    namespaces: [alpha]
  - name: beta
    namespaces: [beta]
YAML
}
D="$T/vol/data"
URL="host=$D/run port=55432 dbname=weft user=weft"
q() { PGPASSFILE=$D/secrets/pgpass psql -XAtqw "$URL" -c "$1" 2>&1; }
start_up() {
    "$W" up --config "$T/weft.yaml" --data-dir "$D" >>"$T/up.out" 2>&1 &
    UP_PID=$!
}
stop_up() {
    kill -TERM "$UP_PID"
    wait "$UP_PID" 2>/dev/null
    UP_PID=
}
readyz() { curl -s -o "$T/ready.json" -w '%{http_code}' "http://127.0.0.1:$PORT/readyz"; }
wait_ready() { # SECONDS
    local i
    for i in $(seq 1 $(($1 * 10))); do
        [ "$(readyz)" = 200 ] && return 0
        kill -0 "$UP_PID" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
api() { # METHOD PATH [CURL ARGS...] → STATUS, BODY
    local m=$1 p=$2
    shift 2
    BODY=$(curl -s -o - -w '\n%{http_code}' -X "$m" -H "Authorization: Bearer $TOKEN" \
        "http://127.0.0.1:$PORT$p" "$@")
    STATUS=${BODY##*$'\n'}
    BODY=${BODY%$'\n'*}
}
apply() { api POST /api/v1/flows -H 'Content-Type: application/x-yaml' --data-binary "$1"; }
jv() { node -e 'const d=JSON.parse(process.argv[1]);const v=process.argv[2].split(".").slice(1).reduce((o,k)=>o==null?o:o[k],d);console.log(v==null?"":v)' "$1" "$2"; }
used() { df --output=pcent "$T/vol" | tail -1 | tr -dc 0-9; }

write_config 1000000000 10000000000
start_up
t_ok "weftd up on a 300 MB volume is ready" wait_ready 60
TOKEN=$(cat "$D/admin.token")
apply 'id: flood
namespace: alpha
tasks:
  - id: spew
    type: io.kestra.plugin.scripts.shell.Commands
    timeout: PT10M
    commands:
      - yes "$(head -c 3000 /dev/urandom | base64 -w0)"'
t_match "$STATUS" "^20[01]$" "team A's flooding flow applied"
for f in alpha beta; do
    apply "id: hello
namespace: $f
tasks:
  - id: hi
    type: io.kestra.plugin.core.log.Log
    message: hello"
done
api POST "/api/v1/executions/beta/hello?wait=30"
B1=$(jv "$BODY" .id)
t_is "$(jv "$BODY" .state.current)" "SUCCESS" "team B runs a flow before the flood"
t_diag "volume at $(used)% before the flood"

api POST /api/v1/executions/alpha/flood
FLOOD=$(jv "$BODY" .id)
t_match "$STATUS" "^20[012]$" "team A starts the flood"
max=0 pg_down=0 refused=0
watch_volume() { # one probe: the volume's peak and PostgreSQL's answer
    u=$(used)
    [ "$u" -gt "$max" ] && max=$u
    "/usr/lib/postgresql/15/bin/pg_isready" -q -h "$D/run" -p 55432 || pg_down=$((pg_down + 1))
}
# Up to 180 s for the flood to reach the mark. Once there, the executor drops
# the flood's lines and `weftd up` releases its reserve, which takes the
# volume back under the mark: on a loaded machine the gateway may not sample
# the moment it was over. So once the reserve is released, a file written
# outside Weft (as a neighbour filling the disk would) holds the volume over
# the mark, and /readyz must say so.
for i in $(seq 1 1800); do
    watch_volume
    [ $((i % 300)) -eq 0 ] && t_diag "after $((i / 10)) s: volume at $u%"
    if [ "$(readyz)" = 503 ]; then refused=1; break; fi
    grep -q "released the .*reserve" "$T/up.out" && break
    sleep 0.1
done
if [ "$refused" = 0 ] && grep -q "released the .*reserve" "$T/up.out"; then
    total=$(df --output=size -B1 "$T/vol" | tail -1 | tr -dc 0-9)
    usedb=$(df --output=used -B1 "$T/vol" | tail -1 | tr -dc 0-9)
    fill=$((total * 80 / 100 - usedb))
    [ "$fill" -gt 0 ] && fallocate -l "$fill" "$T/vol/neighbour"
    t_diag "the reserve was released at the mark; a neighbour's file of $fill bytes holds the volume at $(used)%"
    for i in $(seq 1 300); do
        watch_volume
        if [ "$(readyz)" = 503 ]; then refused=1; break; fi
        sleep 0.1
    done
fi
t_is "$refused" "1" "/readyz turns 503 as the volume reaches its high-water mark"
t_match "$(cat "$T/ready.json")" "high-water mark.*new work refused" "/readyz says why"
t_diag "$(cat "$T/ready.json")"
# The flood goes on: the volume must hold while the task keeps printing.
for i in $(seq 1 100); do
    u=$(used)
    [ "$u" -gt "$max" ] && max=$u
    "/usr/lib/postgresql/15/bin/pg_isready" -q -h "$D/run" -p 55432 || pg_down=$((pg_down + 1))
    sleep 0.1
done
t_diag "the volume peaked at $max%; $(du -sm "$D/pg/base" "$D/pg/pg_wal" | tr "\n\t" "  ")"
t_ok "the volume never reached 100% ($max%)" test "$max" -lt 100
t_is "$pg_down" "0" "PostgreSQL answered every probe"
t_is "$(q 'SELECT 1')" "1" "PostgreSQL runs queries"
t_is "$(q "SELECT state FROM executions WHERE id = '$FLOOD'")" "RUNNING" "the flood's execution is still recorded as running"
t_is "$(q "SELECT count(*) FROM logs WHERE execution_id = '$FLOOD' AND line LIKE '%logs truncated: database volume nearly full%'")" \
    "1" "its log lines are dropped with one marker line"
t_match "$(cat "$T/up.out")" "released the .*reserve" "weftd up released its reserve"

api POST /api/v1/executions/alpha/hello
t_is "$STATUS" "503" "team A's new execution is refused"
t_match "$BODY" "database volume above its high-water mark" "with the reason"
t_match "$BODY" '"type"' "as problem+json"
api GET "/api/v1/executions/$B1"
t_is "$STATUS" "200" "team B's reads still work"
api POST "/api/v1/executions/$FLOOD/kill"
t_match "$STATUS" "^20[02]$" "the flood can be killed"
for i in $(seq 1 200); do [ "$(q "SELECT state FROM executions WHERE id = '$FLOOD'")" = KILLED ] && break; sleep 0.1; done
t_is "$(q "SELECT state FROM executions WHERE id = '$FLOOD'")" "KILLED" "and its state is written"

# Space freed: everything resumes without a restart.
rm -f "$T/vol/neighbour"
q "TRUNCATE logs" >/dev/null
q "CHECKPOINT" >/dev/null
t_diag "volume at $(used)% after the cleanup"
t_ok "/readyz is 200 again" wait_ready 30
api POST "/api/v1/executions/alpha/hello?wait=30"
t_is "$(jv "$BODY" .state.current)" "SUCCESS" "team A runs again"
t_match "$(cat "$T/up.out")" "back under its high-water mark" "the recovery is logged"
stop_up

# The caps: 300 lines per task run, 500 per execution.
write_config 300 500
start_up
t_ok "restarted with small log caps" wait_ready 60
apply 'id: chatty
namespace: beta
tasks:
  - id: one
    type: io.kestra.plugin.scripts.shell.Commands
    commands: ["seq 1 1000"]
  - id: two
    type: io.kestra.plugin.scripts.shell.Commands
    commands: ["seq 1 1000"]'
api POST "/api/v1/executions/beta/chatty?wait=60"
C=$(jv "$BODY" .id)
t_is "$(jv "$BODY" .state.current)" "SUCCESS" "a chatty flow still succeeds"
t_is "$(q "SELECT count(*) FROM logs WHERE execution_id = '$C' AND line LIKE '%this task run reached its limit%'")" \
    "1" "the first task run is cut at its cap, with one marker"
t_is "$(q "SELECT count(*) FROM logs WHERE execution_id = '$C' AND line LIKE '%this execution reached its limit%'")" \
    "1" "the execution is cut at its cap, with one marker"
t_ok "at most 500 lines and the markers were kept" \
    test "$(q "SELECT count(*) FROM logs WHERE execution_id = '$C'")" -le 503
stop_up
t_done
