#!/usr/bin/env bash
# Cross-team Flow triggers through grants, end to end: a real gateway, one
# real executor per domain (logistics produces, sales consumes), flows and
# executions through the API. The grant path fires with exactly the declared
# outputs and the consumer's identity; every refusal (no grant, wrong state,
# revoked grant, grant to another namespace) never fires, shows in the
# trigger's status and is audited once; the preconditions.where form fires
# through the grant too, and the consumer's task gets its own domain's
# secret, masked in its log; a trigger whose inputs cannot be
# rendered leaves a FAILED execution; the database refuses forged events and
# hides ungranted ones from the consumer's role.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/cli.sh"
. "$WF_SRCDIR/tests/lib/executor.sh"
cli_need_executor
cli_setup

cli_domain logistics logistics
cli_domain sales sales
LOG=$(cli_token logistics admin)
cli_bind sa:logistics/admin admin logistics
SALES=$(cli_token sales admin)
cli_bind sa:sales/admin admin sales

wait_count() { # wait_count NS FLOW N [SECONDS]: until N executions exist
    local i
    for i in $(seq 1 $((${4:-10} * 20))); do
        [ "$(ex_count "$1" "$2")" -ge "$3" ] && return 0
        sleep 0.05
    done
    return 1
}
status_of() { pg_q "SELECT status FROM trigger_state WHERE namespace = '$1' AND flow_id = '$2'"; }
wait_status() { # wait_status NS FLOW REGEX
    local i
    for i in $(seq 1 100); do
        [[ $(status_of "$1" "$2") =~ $3 ]] && return 0
        sleep 0.05
    done
    return 1
}
refusals() { pg_q "SELECT count(*) FROM audit_log WHERE action = 'trigger.refused' AND target LIKE 'trigger:$1/%'"; }

# ---- producer flows (logistics) ----
req_apply "$LOG" 'id: daily_shipments
namespace: logistics.shipments
labels: {team: logistics}
inputs:
  - id: internal
    type: STRING
    defaults: do-not-share-input
tasks:
  - id: count
    type: io.kestra.plugin.core.debug.Return
    format: "42"
  - id: internal_task
    type: io.kestra.plugin.core.debug.Return
    format: "task-internal-value"
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: "log-line-never-shared"
outputs:
  - id: count
    type: STRING
    value: "{{ outputs.count.value }}"'
req_apply "$LOG" 'id: failing
namespace: logistics.shipments
tasks:
  - id: boom
    type: io.kestra.plugin.core.execution.Fail
    errorMessage: nope'

# ---- consumer flows (sales) ----
# conditions form, with inputs from the producer's declared outputs
req_apply "$SALES" 'id: shipment_report
namespace: sales.reporting
inputs:
  - id: count
    type: STRING
tasks:
  - id: show
    type: io.kestra.plugin.core.log.Log
    message: "count={{ inputs.count }}"
triggers:
  - id: on_shipments
    type: io.kestra.plugin.core.trigger.Flow
    inputs:
      count: "{{ trigger.outputs.count }}"
    conditions:
      - type: io.kestra.plugin.core.condition.ExecutionFlow
        namespace: logistics.shipments
        flowId: daily_shipments
      - type: io.kestra.plugin.core.condition.ExecutionStatus
        in: [SUCCESS]'
# preconditions form, waiting for a state the grant will not share
req_apply "$SALES" 'id: on_failure
namespace: sales.reporting
tasks:
  - id: show
    type: io.kestra.plugin.core.log.Log
    message: "failed upstream"
triggers:
  - id: on_fail
    type: io.kestra.plugin.core.trigger.Flow
    preconditions:
      id: upstream_failed
      flows:
        - namespace: logistics.shipments
          flowId: failing
          states: [FAILED]'
# where-filter form, in a namespace the grant is not for
req_apply "$SALES" 'id: other_report
namespace: sales.other
tasks:
  - id: show
    type: io.kestra.plugin.core.log.Log
    message: "other"
triggers:
  - id: on_where
    type: io.kestra.plugin.core.trigger.Flow
    preconditions:
      id: shipments_done
      where:
        - id: shipments
          filters:
            - field: NAMESPACE
              type: EQUAL_TO
              value: logistics.shipments
            - field: FLOW_ID
              type: EQUAL_TO
              value: daily_shipments
            - field: STATE
              type: IN
              values: [SUCCESS]'
# where-filter form in the namespace the grant is for; its task uses a secret
# of the consumer's own domain
req_apply "$SALES" 'id: where_report
namespace: sales.reporting
inputs:
  - id: count
    type: STRING
tasks:
  - id: sh
    type: io.kestra.plugin.scripts.shell.Commands
    env:
      K: "{{ secret(\"K\") }}"
    commands:
      - echo "k=$K count={{ inputs.count }}"
      - echo "::{\"outputs\":{\"ksha\":\"$(printf %s "$K" | sha256sum | cut -c1-64)\"}}::"
triggers:
  - id: on_where
    type: io.kestra.plugin.core.trigger.Flow
    inputs:
      count: "{{ trigger.outputs.count }}"
    preconditions:
      id: shipments_done
      where:
        - id: shipments
          filters:
            - field: NAMESPACE
              type: EQUAL_TO
              value: logistics.shipments
            - field: FLOW_ID
              type: EQUAL_TO
              value: daily_shipments
            - field: STATE
              type: IN
              values: [SUCCESS]'
# The same key in both domains: the consumer must get its own domain's value,
# never the producer's.
SALES_K='sales-own-k3y: for the report'
LOG_K='logistics-k3y-never-for-sales'
req "$SALES" PUT /api/v1/namespaces/sales.reporting/secrets/K "$(jq -n --arg v "$SALES_K" '{value: $v}')"
[ "$S" = 200 ] || t_bail "cannot set the sales secret: $S"
req "$LOG" PUT /api/v1/namespaces/logistics.shipments/secrets/K "$(jq -n --arg v "$LOG_K" '{value: $v}')"
[ "$S" = 200 ] || t_bail "cannot set the logistics secret: $S"
# inputs that cannot be rendered
req_apply "$SALES" 'id: bad_inputs
namespace: sales.reporting
inputs:
  - id: n
    type: STRING
tasks:
  - id: show
    type: io.kestra.plugin.core.log.Log
    message: "{{ inputs.n }}"
triggers:
  - id: on_shipments
    type: io.kestra.plugin.core.trigger.Flow
    inputs:
      n: "{{ trigger.outputs.missing }}"
    conditions:
      - type: io.kestra.plugin.core.condition.ExecutionFlow
        namespace: logistics.shipments
        flowId: daily_shipments'

cli_executor logistics || t_bail "no executor"
cli_executor sales
cli_settle

# ---- no grant: never fires, the status says why, audited once ----
req_run_wait "$LOG" logistics.shipments daily_shipments
t_is "$RST" SUCCESS "the producer runs"
P1=$EID
req_run_wait "$LOG" logistics.shipments daily_shipments
cli_settle
t_is "$(ex_count sales.reporting shipment_report)" 0 "without a grant the consumer never fires"
t_is "$(ex_count sales.reporting where_report)" 0 "nor the where-form consumer"
t_is "$(status_of sales.reporting where_report)" "no grant from logistics.shipments to sales.reporting" \
    "a where-form trigger's status says why too (its producer named by namespace only)"
t_is "$(refusals sales.reporting/where_report)" 1 "and its refusal is audited once"
t_is "$(status_of sales.reporting shipment_report)" \
    "no grant from logistics.shipments to sales.reporting (flow daily_shipments)" \
    "the trigger's status says why"
t_is "$(refusals sales.reporting/shipment_report)" 1 "the refusal is audited once, not per event"
t_is "$(pg_q "SELECT actor || ' ' || result FROM audit_log WHERE action = 'trigger.refused'
    AND target = 'trigger:sales.reporting/shipment_report/on_shipments'")" "executor:sales denied" \
    "by the consumer's executor, as a denial"

# ---- what an event carries ----
t_is "$(pg_q "SELECT outputs::text FROM events WHERE execution_id = '$P1'")" \
    '{"count": "42"}' "the event carries the declared outputs only"
t_is "$(pg_q "SELECT count(*) FROM events v JOIN executions e ON e.id = v.execution_id
    WHERE v.execution_id = '$P1' AND v.labels = e.labels AND v.state = e.state")" 1 \
    "and the execution's labels and final state"
t_is "$(pg_q "SELECT count(*) FROM events WHERE execution_id = '$P1'
    AND (outputs::text LIKE '%task-internal%' OR outputs::text LIKE '%do-not-share%'
         OR outputs::text LIKE '%never-shared%')")" 0 "never task outputs, inputs or logs"

# ---- the consumer's role sees no ungranted event, forges none ----
t_is "$(pg_psql_as weft_domain_sales -c "SELECT count(*) FROM events WHERE domain = 'logistics'")" 0 \
    "sales' role reads no ungranted logistics event"
t_fails "sales' role cannot forge a logistics event" pg_psql_as weft_domain_sales -c \
    "INSERT INTO events (namespace, flow_id, domain, execution_id, state) VALUES ('logistics.shipments', 'daily_shipments', 'logistics', '$P1', 'SUCCESS')"
t_fails "nor one of its own domain naming a logistics namespace" pg_psql_as weft_domain_sales -c \
    "INSERT INTO events (namespace, flow_id, domain, execution_id, state) VALUES ('logistics.shipments', 'daily_shipments', 'sales', '$P1', 'SUCCESS')"
t_fails "nor one for an execution that never reached that state" pg_psql_as weft_domain_sales -c \
    "INSERT INTO events (namespace, flow_id, domain, execution_id, state) VALUES ('sales.reporting', 'shipment_report', 'sales', 'no-such-execution', 'SUCCESS')"
t_fails "sales' role cannot create a grant" pg_psql_as weft_domain_sales -c \
    "INSERT INTO grants (namespace, domain, flows, to_namespace, to_domain, events, created_by) VALUES ('logistics', 'logistics', '{*}', 'sales', 'sales', '{SUCCESS}', 'x')"
t_fails "nor change one" pg_psql_as weft_domain_sales -c "UPDATE grants SET revoked_at = NULL"
t_fails "nor delete events" pg_psql_as weft_domain_sales -c "DELETE FROM events"
t_fails "nor change them" pg_psql_as weft_domain_sales -c "UPDATE events SET outputs = '{}'"

# ---- the grant path ----
req "$LOG" POST /api/v1/namespaces/logistics.shipments/grants \
    '{"flows":["daily_shipments","failing"],"to":"sales.reporting","events":["SUCCESS"]}'
t_is "$S" 201 "logistics grants sales.reporting its shipments (SUCCESS only)"
GID=$(jq -r .id <<<"$R")
t_is "$(pg_psql_as weft_domain_sales -c "SELECT count(*) FROM events WHERE domain = 'logistics' AND state = 'SUCCESS'")" 2 \
    "now sales' role reads the granted events (older ones too: the cursor has passed them)"
t_is "$(pg_psql_as weft_domain_sales -c "SELECT count(*) FROM grants")" 1 "and the grant made to it"
req_run_wait "$LOG" logistics.shipments daily_shipments
P3=$EID
wait_count sales.reporting shipment_report 1
t_is "$(ex_count sales.reporting shipment_report)" 1 "the grant lets the trigger fire, once, for the new event only"
C1=$(pg_q "SELECT id FROM executions WHERE namespace = 'sales.reporting' AND flow_id = 'shipment_report'")
for i in $(seq 1 200); do
    st=$(pg_q "SELECT state FROM executions WHERE id = '$C1'")
    [ "$st" = SUCCESS ] && break
    sleep 0.05
done
t_is "$st" SUCCESS "the consumer's execution runs on the consumer's executor"
t_is "$(pg_q "SELECT started_by FROM executions WHERE id = '$C1'")" \
    "trigger:sales.reporting/shipment_report/on_shipments" "with the consumer's identity"
t_is "$(pg_q "SELECT domain || ' ' || (trigger->'outputs')::text || ' ' || (trigger->>'executionId') FROM executions WHERE id = '$C1'")" \
    "sales {\"count\": \"42\"} $P3" "trigger.outputs holds exactly the declared outputs"
t_is "$(pg_q "SELECT inputs->>'count' FROM executions WHERE id = '$C1'")" 42 "rendered into the consumer's inputs"
t_is "$(pg_q "SELECT count(*) FROM task_runs WHERE execution_id = '$C1' AND claimed_by IN (SELECT id FROM executors WHERE domain = 'sales')")" \
    1 "its task ran on sales' executor"
wait_status sales.reporting shipment_report '^ok$'
t_is "$(status_of sales.reporting shipment_report)" ok "the status clears"

# ---- the where form fires across domains too, with the consumer's secrets ----
wait_count sales.reporting where_report 1
t_is "$(ex_count sales.reporting where_report)" 1 "the where form fires through the grant, once"
W1=$(pg_q "SELECT id FROM executions WHERE namespace = 'sales.reporting' AND flow_id = 'where_report'")
for i in $(seq 1 200); do
    st=$(pg_q "SELECT state FROM executions WHERE id = '$W1'")
    case $st in SUCCESS|WARNING|FAILED|KILLED) break ;; esac
    sleep 0.05
done
t_is "$st" SUCCESS "its execution succeeds"
t_is "$(pg_q "SELECT started_by FROM executions WHERE id = '$W1'")" \
    "trigger:sales.reporting/where_report/on_where" "startedBy names the consumer's where trigger"
t_is "$(pg_q "SELECT domain || ' ' || (trigger->'outputs')::text || ' ' || (trigger->>'executionId') FROM executions WHERE id = '$W1'")" \
    "sales {\"count\": \"42\"} $P3" "trigger.outputs holds the producer's declared outputs"
t_is "$(pg_q "SELECT inputs->>'count' FROM executions WHERE id = '$W1'")" 42 "rendered into its inputs"
t_is "$(pg_q "SELECT outputs #>> '{vars,ksha}' FROM task_runs WHERE execution_id = '$W1' AND task_id = 'sh'")" \
    "$(sha256_hex "$SALES_K")" "secret('K') reached the task with the sales value (its sha256)"
L=$(pg_q "SELECT string_agg(line, E'\n' ORDER BY id) FROM logs WHERE execution_id = '$W1'")
t_match "$L" "k=\*\*\*\* count=42" "the task's log shows **** in place of the value"
t_fails "the sales value is in no log line" grep -qF "$SALES_K" <<<"$L"
t_fails "nor in any task run or execution row" grep -qF "$SALES_K" \
    <<<"$(pg_q "SELECT task_runs::text FROM task_runs")$(pg_q "SELECT executions::text FROM executions")"
t_is "$(pg_q "SELECT count(*) FROM task_runs WHERE execution_id = '$W1' AND claimed_by IN (SELECT id FROM executors WHERE domain = 'sales')")" \
    1 "its task ran on sales' executor"
wait_status sales.reporting where_report '^ok$'
t_is "$(status_of sales.reporting where_report)" ok "its status is ok"

# ---- inputs that cannot be rendered: a FAILED execution, status, audit ----
wait_count sales.reporting bad_inputs 1
t_is "$(pg_q "SELECT state || ' ' || started_by FROM executions WHERE namespace = 'sales.reporting' AND flow_id = 'bad_inputs'")" \
    "FAILED trigger:sales.reporting/bad_inputs/on_shipments" "a trigger whose inputs cannot be rendered leaves a FAILED execution"
t_match "$(pg_q "SELECT line FROM logs WHERE execution_id IN (SELECT id FROM executions WHERE flow_id = 'bad_inputs')")" \
    "^trigger inputs: .*undefined variable .trigger.outputs.missing" "whose log says why"
t_match "$(status_of sales.reporting bad_inputs)" "^inputs cannot be rendered: .*trigger.outputs.missing" "so does the status"
t_is "$(pg_q "SELECT count(*) FROM audit_log WHERE action = 'trigger.fire' AND result = 'failed'")" 1 "and the audit log"

# ---- wrong state: the grant shares SUCCESS, the trigger waits for FAILED ----
req_run_wait "$LOG" logistics.shipments failing
t_is "$RST" FAILED "a producer flow fails"
cli_settle
t_is "$(ex_count sales.reporting on_failure)" 0 "a state the grant does not share never fires"
t_is "$(status_of sales.reporting on_failure)" \
    'the grant from logistics.shipments to sales.reporting (flow failing) shares none of ["FAILED"]' \
    "the status says which states"
t_is "$(pg_q "SELECT count(*) FROM audit_log WHERE action = 'trigger.refused'
    AND target LIKE 'trigger:sales.reporting/on_failure/%' AND reason LIKE '%shares none%'")" 1 "audited once"
t_is "$(pg_psql_as weft_domain_sales -c "SELECT count(*) FROM events WHERE domain = 'logistics' AND state = 'FAILED'")" 0 \
    "the FAILED event stays invisible to sales' role"

# ---- a grant to another namespace of the domain ----
t_is "$(ex_count sales.other other_report)" 0 "the grant to sales.reporting does not fire sales.other (where filters)"
t_match "$(status_of sales.other other_report)" "^no grant from logistics.shipments to sales.other" \
    "its status says so"
t_is "$(refusals sales.other/other_report)" 1 "audited once"

# ---- revoked ----
req "$LOG" DELETE "/api/v1/namespaces/logistics.shipments/grants/$GID"
t_is "$S" 204 "logistics revokes the grant"
req_run_wait "$LOG" logistics.shipments daily_shipments
req_run_wait "$LOG" logistics.shipments daily_shipments
cli_settle
t_is "$(ex_count sales.reporting shipment_report)" 1 "a revoked grant fires nothing"
t_is "$(ex_count sales.reporting where_report)" 1 "nor through the where form"
t_is "$(status_of sales.reporting shipment_report)" \
    "no grant from logistics.shipments to sales.reporting (flow daily_shipments)" "the status says so again"
t_is "$(refusals sales.reporting/shipment_report)" 2 "one more audit entry for the revocation, not one per event"
t_is "$(pg_psql_as weft_domain_sales -c "SELECT count(*) FROM events WHERE domain = 'logistics'")" 0 \
    "revoked: sales' role reads no logistics event any more"
t_done
