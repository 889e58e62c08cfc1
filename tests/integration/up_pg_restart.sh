#!/usr/bin/env bash
# `weftd up` survives its PostgreSQL dying: the postmaster is SIGKILLed while
# a task runs; `weftd up` starts it again (crash recovery), /readyz is 503
# with the reason meanwhile and 200 after, the executor comes back, the
# execution that was running ends SUCCESS (its lost attempt run again), new
# executions run, and a second crash soon after is survived too.
. "$WF_SRCDIR/tests/lib/tap.sh"
W="$WF_BUILDDIR/weftd"
T=$(mktemp -d /tmp/weft-uppg.XXXXXX)
chmod 755 "$T"
PORT=$((20000 + RANDOM % 20000))
UP_PID=
cleanup() {
    if [ -n "$UP_PID" ]; then
        kill -TERM "$UP_PID" 2>/dev/null
        kill -TERM "$UP_PID" 2>/dev/null
        for _ in $(seq 1 300); do kill -0 "$UP_PID" 2>/dev/null || break; sleep 0.05; done
        kill -KILL "$UP_PID" 2>/dev/null
    fi
    pkill -KILL -f "$T/" 2>/dev/null
    sleep 0.2
    rm -rf "$T"
}
trap cleanup EXIT

cat >"$T/weft.yaml" <<YAML
listen: 127.0.0.1:$PORT
domains:
  - name: alpha
    namespaces: [alpha]
YAML
"$W" up --config "$T/weft.yaml" --data-dir "$T/data" >"$T/up.out" 2>&1 &
UP_PID=$!
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
jv() { node -e 'const d=JSON.parse(process.argv[1]);const v=process.argv[2].split(".").slice(1).reduce((o,k)=>o==null?o:o[k],d);console.log(v==null?"":v)' "$1" "$2"; }
state_of() { api GET "/api/v1/executions/$1"; jv "$BODY" .state.current; }
wait_state() { # ID STATE SECONDS
    local i
    for i in $(seq 1 $(($3 * 5))); do
        [ "$(state_of "$1")" = "$2" ] && return 0
        sleep 0.2
    done
    return 1
}
postmaster() { head -1 "$T/data/pg/postmaster.pid" 2>/dev/null; }
kill_pg() {
    local pid
    pid=$(postmaster)
    [ -n "$pid" ] && kill -KILL "$pid"
}

t_ok "weftd up is ready" wait_ready 60
TOKEN=$(cat "$T/data/admin.token")
api POST /api/v1/flows -H 'Content-Type: application/x-yaml' --data-binary 'id: slow
namespace: alpha
tasks:
  - id: count
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - for i in 1 2 3 4 5 6; do echo "tick $i"; sleep 0.5; done
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: after the crash'
t_match "$STATUS" "^20[01]$" "a flow is applied"

api POST /api/v1/executions/alpha/slow
E1=$(jv "$BODY" .id)
t_match "$STATUS" "^20[012]$" "an execution is started"
for _ in $(seq 1 100); do [ "$(state_of "$E1")" = RUNNING ] && break; sleep 0.1; done
sleep 1
old=$(postmaster)
kill_pg
t_diag "killed the postmaster (pid $old) while task 'count' ran"
saw503=0
for _ in $(seq 1 100); do
    if [ "$(readyz)" = 503 ]; then saw503=1; break; fi
    sleep 0.05
done
t_is "$saw503" "1" "/readyz turns 503 while PostgreSQL is away"
t_match "$(cat "$T/ready.json")" '"status":503' "as problem+json"
t_diag "$(cat "$T/ready.json")"
t0=$(date +%s%3N)
t_ok "/readyz is 200 again without a person" wait_ready 60
t_diag "ready again $(($(date +%s%3N) - t0)) ms after the 503"
t_ok "weftd up is still running" kill -0 "$UP_PID"
t_match "$(cat "$T/up.out")" "PostgreSQL was killed by signal 9.*restart #1" "the death is logged with the restart planned"
t_match "$(cat "$T/up.out")" "PostgreSQL restarted in [0-9]+ ms \(restart #1\)" "and the restart"
t_ok "a new postmaster runs" test -n "$(postmaster)" -a "$(postmaster)" != "$old"

t_ok "the execution that was running ends SUCCESS" wait_state "$E1" SUCCESS 90
api GET "/api/v1/executions/$E1"
t_is "$(node -e 'const d=JSON.parse(process.argv[1]);const t=d.taskRunList.find(t=>t.taskId==="count");console.log(t.attempts.some(a=>a.lost===true)?"lost":"none")' "$BODY")" \
    "lost" "its interrupted attempt is marked lost and was run again"
t_is "$(node -e 'const d=JSON.parse(process.argv[1]);console.log(d.taskRunList.filter(t=>t.taskId==="after").length)' "$BODY")" \
    "1" "the task after it ran once"

api POST "/api/v1/executions/alpha/slow?wait=60"
t_is "$(jv "$BODY" .state.current)" "SUCCESS" "a new execution runs after the restart"

# A second crash soon after the first: survived the same way.
api POST /api/v1/executions/alpha/slow
E2=$(jv "$BODY" .id)
sleep 1
kill_pg
for _ in $(seq 1 100); do [ "$(readyz)" = 503 ] && break; sleep 0.05; done
t_ok "after a second crash /readyz is 200 again" wait_ready 90
t_ok "and that execution ends SUCCESS" wait_state "$E2" SUCCESS 90
t_match "$(cat "$T/up.out")" "PostgreSQL restarted in [0-9]+ ms \(restart #2\)" "the second restart is logged"

kill -TERM "$UP_PID"
for _ in $(seq 1 400); do kill -0 "$UP_PID" 2>/dev/null || break; sleep 0.05; done
wait "$UP_PID" 2>/dev/null
t_is "$?" "0" "weftd up stops cleanly afterwards"
UP_PID=
t_done
