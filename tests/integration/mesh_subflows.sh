#!/usr/bin/env bash
# Cross-domain subflows through grants with "subflow": true, end to end with
# a real gateway and one real executor per domain: without such a grant the
# Subflow task fails with a clear error (and the refusal is audited); with it
# the child runs on the child's domain executor with the child's secrets and
# the parent gets only the child's declared outputs; wait and transmitFailed
# keep working. Then the database itself, attacked as the parent's role.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/cli.sh"
cli_need_executor
cli_setup

cli_domain logistics logistics
cli_domain sales sales
LOG=$(cli_token logistics admin)
cli_bind sa:logistics/admin admin logistics
SALES=$(cli_token sales admin)
cli_bind sa:sales/admin admin sales

task_out() { pg_q "SELECT outputs::text FROM task_runs WHERE execution_id = '$1' AND task_id = '$2'"; }
logs_of() { pg_q "SELECT string_agg(line, ' | ') FROM logs WHERE execution_id = '$1'"; }

req "$LOG" PUT /api/v1/namespaces/logistics.shipments/secrets/WH '{"value":"warehouse-key-123"}'
t_is "$S" 200 "logistics stores a secret its child flow uses"
req_apply "$LOG" 'id: lookup
namespace: logistics.shipments
inputs:
  - id: region
    type: STRING
tasks:
  - id: uses_secret
    type: io.kestra.plugin.core.log.Log
    message: "key {{ secret(\"WH\") }}"
  - id: stock
    type: io.kestra.plugin.core.debug.Return
    format: "stock-{{ inputs.region }}"
  - id: internal
    type: io.kestra.plugin.core.debug.Return
    format: "internal-detail"
outputs:
  - id: stock
    type: STRING
    value: "{{ outputs.stock.value }}"'
req_apply "$LOG" 'id: broken
namespace: logistics.shipments
tasks:
  - id: boom
    type: io.kestra.plugin.core.execution.Fail
    errorMessage: broken on purpose'
req_apply "$LOG" 'id: private
namespace: logistics.shipments
tasks:
  - id: t
    type: io.kestra.plugin.core.log.Log
    message: private'
caller() { # caller ID FLOW WAIT TRANSMIT
    req_apply "$SALES" "id: $1
namespace: sales.reporting
tasks:
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: logistics.shipments
    flowId: $2
    wait: $3
    transmitFailed: $4
    inputs:
      region: eu"
}
caller get_stock lookup true true
caller get_broken broken true true
caller get_broken_quiet broken true false
caller fire_and_forget lookup false true
cli_executor logistics || t_bail "no executor"
cli_executor sales

# ---- refusals ----
req_run_wait "$SALES" sales.reporting get_stock 20
t_is "$RST" FAILED "without a grant the Subflow task fails"
t_match "$(logs_of "$EID")" \
    'no subflow grant from logistics.shipments to sales.reporting \(flow lookup\)' "with a clear error"
t_is "$(pg_q "SELECT count(*) FROM executions WHERE namespace = 'logistics.shipments' AND flow_id = 'lookup'")" 0 \
    "and no child was created"
t_is "$(pg_q "SELECT count(*) FROM audit_log WHERE action = 'subflow.refused' AND target = 'execution:$EID'")" 1 \
    "the refusal is audited"
req "$LOG" POST /api/v1/namespaces/logistics.shipments/grants \
    '{"flows":["lookup","broken"],"to":"sales.reporting","events":["SUCCESS"]}'
t_is "$S" 201 "a grant without subflow: true"
G0=$(jq -r .id <<<"$R")
req_run_wait "$SALES" sales.reporting get_stock 20
t_is "$RST" FAILED "is not enough"
t_match "$(logs_of "$EID")" 'does not allow subflow calls' "and the error says so"

# ---- the grant path ----
req "$LOG" POST /api/v1/namespaces/logistics.shipments/grants \
    '{"flows":["lookup","broken"],"to":"sales","events":["SUCCESS"],"subflow":true}'
t_is "$S" 201 "logistics grants subflow calls to sales"
G1=$(jq -r .id <<<"$R")
req_run_wait "$SALES" sales.reporting get_stock 20
t_is "$RST" SUCCESS "the parent succeeds"
P=$EID
CHILD=$(pg_q "SELECT id FROM executions WHERE parent_id = '$P'")
t_is "$(pg_q "SELECT domain || ' ' || state || ' ' || started_by FROM executions WHERE id = '$CHILD'")" \
    "logistics SUCCESS subflow:sales.reporting/get_stock" "the child ran in logistics"
t_is "$(pg_q "SELECT count(*) FROM task_runs WHERE execution_id = '$CHILD' AND claimed_by IN
    (SELECT id FROM executors WHERE domain = 'logistics')")" 3 "on logistics' executor"
t_is "$(pg_q "SELECT state FROM task_runs WHERE execution_id = '$CHILD' AND task_id = 'uses_secret'")" SUCCESS \
    "with logistics' secret"
t_is "$(task_out "$P" call | jq -c '.outputs')" '{"stock":"stock-eu"}' \
    "the parent gets exactly the child's declared outputs"
t_fails "never a task output of the child" grep -q internal-detail <<<"$(task_out "$P" call)"
t_fails "nor its secret" grep -q warehouse-key <<<"$(pg_q "SELECT string_agg(outputs::text, '') FROM task_runs WHERE execution_id = '$P'")$(logs_of "$P")"

# ---- wait and transmitFailed ----
req_run_wait "$SALES" sales.reporting get_broken 20
t_is "$RST" FAILED "transmitFailed: a failed child fails the parent"
req_run_wait "$SALES" sales.reporting get_broken_quiet 20
t_is "$RST" SUCCESS "transmitFailed false: it does not"
t_is "$(task_out "$EID" call | jq -r .state)" FAILED "the child's state is still reported"
req_run_wait "$SALES" sales.reporting fire_and_forget 20
t_is "$RST" SUCCESS "wait false: the parent goes on at once"
t_match "$(task_out "$EID" call | jq -r .executionId)" '^[0-9a-f]{22}$' "with the child's id"

# ---- revoked ----
req "$LOG" DELETE "/api/v1/namespaces/logistics.shipments/grants/$G1"
req_run_wait "$SALES" sales.reporting get_stock 20
t_is "$RST" FAILED "a revoked subflow grant refuses the call"

# ---- attacks as the parent's role ----
req "$LOG" POST /api/v1/namespaces/logistics.shipments/grants \
    '{"flows":["lookup"],"to":"sales","events":["SUCCESS"],"subflow":true}'
ins() { # ins ID NS FLOW PARENT [STATE]
    pg_psql_as weft_domain_sales -c "INSERT INTO executions (id, namespace, flow_id, flow_revision, domain, state, started_by, parent_id)
                 VALUES ('$1', '$2', '$3', 1, 'logistics', '${5:-CREATED}', 'x', $4)"
}
t_fails "sales cannot insert a logistics execution without a parent" ins a1 logistics.shipments lookup NULL
t_fails "nor as the child of a flow not shared for subflows" ins a2 logistics.shipments private "'$P'"
t_fails "nor with a parent of another domain" ins a3 logistics.shipments lookup "'$CHILD'"
t_fails "nor already RUNNING" ins a4 logistics.shipments lookup "'$P'" RUNNING
t_is "$(pg_psql_as weft_domain_sales -c "SELECT count(*) FROM executions WHERE domain = 'logistics' AND parent_id IS NULL")" 0 \
    "sales reads no logistics execution but its children"
t_is "$(pg_psql_as weft_domain_sales -c "SELECT count(*) FROM task_runs WHERE domain = 'logistics'")" 0 "nor their task runs"
t_is "$(pg_psql_as weft_domain_sales -c "SELECT count(*) FROM logs WHERE domain = 'logistics'")" 0 "nor their logs"
t_fails "nor the flows' sources" test "$(pg_psql_as weft_domain_sales -c "SELECT count(*) FROM flows WHERE domain = 'logistics'")" != 0
pg_psql_as weft_domain_sales -c "UPDATE executions SET state = 'KILLED' WHERE id = '$CHILD'" >/dev/null 2>&1
t_is "$(pg_q "SELECT state FROM executions WHERE id = '$CHILD'")" SUCCESS "nor change a child"
t_done
