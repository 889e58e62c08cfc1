# Helpers for executor tests: domains, flows and executions written straight
# into the private cluster (tests/lib/pg.sh), executors started and stopped.
#   ex_domain NAME PREFIX          domain + namespace prefix + its role
#   ex_flow NS ID YAML             stores a flow (revision 1)
#   ex_exec NS ID [INPUTS_JSON]    creates an execution, NOTIFYs, prints its id
#   ex_start DOMAIN [ARGS...]      starts `weftd executor`; pid in EX_PID
#   ex_wait ID [SECONDS]           waits for a terminal state, prints it
#   ex_state ID                    current state
#   ex_trs ID                      "task:value:state" lines of its task runs
#   ex_setup                       pg_setup; executors stopped on exit
#   ex_gw_setup [GW ARGS...]       the same with a gateway (gateway.sh)
#   ex_ops_start [ARGS...]         domain `ops` through the API + its executor
#   ex_apply YAML / ex_runw FLOW [JSON]   a flow applied / run to its end
#                                  in `ops` through the API (gw_admin's AU)
#   ex_task_out BODY TASK JS       JS on one task run's outputs (o)
#   ex_errors ID / ex_logs ID      its ERROR lines / all its log lines
#   ex_var ID KEY                  outputs.vars.KEY of its task `sh`
#   ex_count NS FLOW               how many executions the flow has
#   ex_latency ID / ex_worst_latency NS FLOW   creation-to-end milliseconds
#   ex_policy NS DOC               the platform layer of NS's policy
#   ex_http_server VAR             a local HTTP test server, its port in VAR
EX_PIDS=()
EX_SRV_PIDS=()

ex_domain() {
    pg_psql -c "INSERT INTO domains (name) VALUES ('$1') ON CONFLICT DO NOTHING" \
        -c "INSERT INTO namespaces (prefix, domain) VALUES ('$2', '$1') ON CONFLICT DO NOTHING" \
        -c "SELECT weft_ensure_domain_role('$1')" >/dev/null
}

ex_flow() {
    local ns=$1 id=$2 src=$3 dom
    dom=$(pg_psql -c "SELECT weft_domain_of('$ns')")
    pg_psql -v src="$src" -v ns="$ns" -v id="$id" -v dom="$dom" >/dev/null <<'SQL'
INSERT INTO flows (namespace, id, domain, revision, source, source_sha256, model, updated_by)
VALUES (:'ns', :'id', :'dom', 1, :'src', sha256(convert_to(:'src', 'UTF8')), '{}', 'test')
ON CONFLICT (namespace, id) DO UPDATE SET source = EXCLUDED.source,
  source_sha256 = EXCLUDED.source_sha256, revision = flows.revision + 1, updated_at = now();
SQL
}

ex_exec() {
    local ns=$1 id=$2 inputs=${3:-'{}'} eid dom
    eid="t$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
    dom=$(pg_psql -c "SELECT weft_domain_of('$ns')")
    pg_psql -v eid="$eid" -v ns="$ns" -v id="$id" -v dom="$dom" -v inputs="$inputs" >/dev/null <<'SQL'
INSERT INTO executions (id, namespace, flow_id, flow_revision, domain, state, state_history,
  inputs, started_by)
SELECT :'eid', :'ns', :'id', revision, :'dom', 'CREATED',
  jsonb_build_array(jsonb_build_object('state', 'CREATED', 'date', now())), :'inputs'::jsonb,
  'user:test' FROM flows WHERE namespace = :'ns' AND id = :'id';
SELECT pg_notify('weft_domain_' || :'dom', :'eid');
SQL
    echo "$eid"
}

ex_start() {
    local dom=$1
    shift
    mkdir -p "$PG_TMP/weft-data"
    WEFT_DATA_DIR=$PG_TMP/weft-data "$WF_BUILDDIR/weftd" executor --domain "$dom" "$@" \
        >>"$PG_TMP/executor-$dom.log" 2>&1 &
    EX_PID=$!
    EX_PIDS+=("$EX_PID")
    local i
    for i in $(seq 1 200); do # ready once registered
        [ "$(pg_psql -c "SELECT count(*) FROM executors WHERE pid = $EX_PID AND stopped_at IS NULL")" = 1 ] && return 0
        kill -0 "$EX_PID" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

# ex_stop_all: every executor this test started, then its test servers.
ex_stop_all() {
    local p
    # Twice: the first signal starts a graceful stop, the second ends it at once.
    for p in "${EX_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    sleep 0.1
    for p in "${EX_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${EX_PIDS[@]}"; do wait "$p" 2>/dev/null; done
    EX_PIDS=()
    for p in "${EX_SRV_PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    EX_SRV_PIDS=()
}

ex_state() { pg_psql -c "SELECT state FROM executions WHERE id = '$1'"; }

ex_wait() {
    local id=$1 limit=${2:-20} i st
    for i in $(seq 1 $((limit * 20))); do
        st=$(ex_state "$id")
        case "$st" in SUCCESS|WARNING|FAILED|KILLED|CANCELLED|SKIPPED) echo "$st"; return 0 ;; esac
        sleep 0.05
    done
    echo "TIMEOUT($st)"
}

ex_trs() {
    pg_psql -c "SELECT task_id || ':' || coalesce(value, '') || ':' || state FROM task_runs
                WHERE execution_id = '$1' ORDER BY created_at, task_id, value"
}

# ex_setup: a private cluster with the schema (pg_setup); executors and test
# servers are stopped before it on exit.
ex_setup() {
    pg_setup
    trap 'ex_stop_all; pg_stop' EXIT
}

# ex_gw_setup [GW ARGS...]: ex_setup with a gateway (gateway.sh's gw_setup).
ex_gw_setup() {
    gw_setup "$@"
    trap 'ex_stop_all; _gw_cleanup' EXIT
}

# ex_ops_start [ARGS...]: domain `ops` (namespace ops) created through the
# API as gw_admin's account, and its executor (ARGS go to weftd executor).
ex_ops_start() {
    http POST /api/v1/domains "${AU[@]}" "${J[@]}" -d '{"name":"ops","namespaces":["ops"]}'
    t_is "$STATUS" 201 "domain created through the API"
    ex_start ops "$@" || t_bail "executor did not start"
}

# ex_apply YAML: a flow applied through the API; says why on stderr when not.
ex_apply() {
    http POST /api/v1/flows "${AU[@]}" "${Y[@]}" --data-binary "$1"
    [ "$STATUS" = 200 ] || [ "$STATUS" = 201 ] || echo "apply: $STATUS $BODY" >&2
}

# ex_runw FLOW [JSON]: runs ops.FLOW with ?wait; BODY is the ended execution.
ex_runw() { http POST "/api/v1/executions/ops/$1?wait=30" "${AU[@]}" "${J[@]}" -d "${2:-{\}}"; }

# ex_task_out BODY TASK JS: JS evaluated with o bound to the outputs of TASK's
# run in the execution BODY.
ex_task_out() {
    node -e 'const d=JSON.parse(process.argv[1]);const t=d.taskRunList.find(t=>t.taskId==process.argv[2]);const o=t.outputs||{};console.log(eval(process.argv[3]))' "$1" "$2" "$3"
}

ex_errors() { pg_psql -c "SELECT string_agg(line, ' | ') FROM logs WHERE execution_id = '$1' AND level = 'ERROR'"; }
ex_logs() { pg_psql -c "SELECT line FROM logs WHERE execution_id = '$1' ORDER BY id"; }
ex_var() { pg_psql -c "SELECT outputs #>> '{vars,$2}' FROM task_runs WHERE execution_id = '$1' AND task_id = 'sh'"; }
ex_count() { pg_psql -c "SELECT count(*) FROM executions WHERE namespace = '$1' AND flow_id = '$2'"; }

ex_latency() {
    pg_psql -c "SELECT (extract(epoch FROM ended_at - created_at) * 1000)::int FROM executions WHERE id = '$1'"
}

# ex_worst_latency NS FLOW: runs NS.FLOW five times one after the other and
# prints the worst latency (99999 when one does not succeed within 10 s).
ex_worst_latency() {
    local worst=0 i e l
    for i in 1 2 3 4 5; do
        e=$(ex_exec "$1" "$2")
        [ "$(ex_wait "$e" 10)" = SUCCESS ] || { echo 99999; return; }
        l=$(ex_latency "$e")
        [ "$l" -gt "$worst" ] && worst=$l
    done
    echo "$worst"
}

# ex_policy NS DOC: writes the platform layer of NS's policy.
ex_policy() {
    pg_psql -v ns="$1" -v doc="$2" >/dev/null <<'SQL'
INSERT INTO policies (namespace, policy, updated_by) VALUES (:'ns', :'doc'::jsonb, 'test')
ON CONFLICT (namespace) DO UPDATE SET policy = EXCLUDED.policy, updated_at = now();
SQL
}

# ex_http_server VAR: starts tests/integration/runners_http_server.py on a
# free loopback port and stores the port in VAR; ex_stop_all stops it.
ex_http_server() {
    local f="$PG_TMP/srv.$1" i
    python3 "$WF_SRCDIR/tests/integration/runners_http_server.py" "$f" >/dev/null 2>&1 &
    EX_SRV_PIDS+=($!)
    for i in $(seq 1 250); do [ -s "$f" ] && break; sleep 0.02; done
    printf -v "$1" '%s' "$(cat "$f" 2>/dev/null)"
}
