# Helpers for executor tests: domains, flows and executions written straight
# into the private cluster (tests/lib/pg.sh), executors started and stopped.
#   ex_domain NAME PREFIX          domain + namespace prefix + its role
#   ex_flow NS ID YAML             stores a flow (revision 1)
#   ex_exec NS ID [INPUTS_JSON]    creates an execution, NOTIFYs, prints its id
#   ex_start DOMAIN [ARGS...]      starts `weftd executor`; pid in EX_PID
#   ex_wait ID [SECONDS]           waits for a terminal state, prints it
#   ex_state ID                    current state
#   ex_trs ID                      "task:value:state" lines of its task runs
EX_PIDS=()

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

ex_stop_all() {
    local p
    for p in "${EX_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${EX_PIDS[@]}"; do wait "$p" 2>/dev/null; done
    EX_PIDS=()
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
