#!/usr/bin/env bash
# Multi-producer preconditions (Kestra's preconditions.flows with a time
# window): the consumer fires only when ALL listed flows have ended in the
# window, once per complete set (the window restarts after firing), inside
# one domain and across domains through grants, where an event older than a
# short window has expired. Real gateway and executors.
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

producer() {
    req_apply "$LOG" "id: $1
namespace: logistics.shipments
tasks:
  - id: t
    type: io.kestra.plugin.core.debug.Return
    format: \"$1\"
outputs:
  - id: name
    type: STRING
    value: \"{{ outputs.t.value }}\""
}
consumer() { # consumer TOKEN NS ID WINDOW FLOW...
    local tok=$1 ns=$2 id=$3 win=$4 f y
    shift 4
    y="id: $id
namespace: $ns
tasks:
  - id: t
    type: io.kestra.plugin.core.log.Log
    message: all upstream done
triggers:
  - id: all_done
    type: io.kestra.plugin.core.trigger.Flow
    preconditions:
      id: upstream
      timeWindow:
        type: DURATION_WINDOW
        window: $win
      flows:"
    for f in "$@"; do
        y="$y
        - namespace: logistics.shipments
          flowId: $f
          states: [SUCCESS]"
    done
    req_apply "$tok" "$y"
}
producer orders
producer stock
producer prices
producer labels
producer invoices
producer returns
consumer "$LOG" logistics.reports both PT1H orders stock
consumer "$LOG" logistics.reports quick PT3S prices labels
consumer "$SALES" sales.reporting both PT1H orders stock
consumer "$SALES" sales.reporting quick PT3S invoices returns
cli_executor logistics || t_bail "no executor"
cli_executor sales
cli_settle

# ---- inside one domain ----
req_run_wait "$LOG" logistics.shipments orders
req_run_wait "$LOG" logistics.shipments orders
cli_settle
t_is "$(ex_count logistics.reports both)" 0 "one of two upstream flows, twice: no execution"
req_run_wait "$LOG" logistics.shipments stock
cli_settle
t_is "$(ex_count logistics.reports both)" 1 "both ended in the window: one execution"
req_run_wait "$LOG" logistics.shipments stock
cli_settle
t_is "$(ex_count logistics.reports both)" 1 "the window restarts after firing: stock alone again does nothing"
req_run_wait "$LOG" logistics.shipments orders
cli_settle
t_is "$(ex_count logistics.reports both)" 2 "a new complete set fires again"
t_is "$(pg_q "SELECT trigger->>'flowId' FROM executions WHERE namespace = 'logistics.reports'
    AND flow_id = 'both' ORDER BY created_at DESC LIMIT 1")" orders "trigger names the event that completed the set"

# ---- the time window ----
req_run_wait "$LOG" logistics.shipments prices
sleep 3.5
req_run_wait "$LOG" logistics.shipments labels
cli_settle
t_is "$(ex_count logistics.reports quick)" 0 "events further apart than the window never complete it"
req_run_wait "$LOG" logistics.shipments labels
req_run_wait "$LOG" logistics.shipments prices
cli_settle
t_is "$(ex_count logistics.reports quick)" 1 "within the window they do"

# ---- across domains: every producer flow needs the grant ----
t_is "$(ex_count sales.reporting both)" 0 "no grant: the cross-domain consumer never fired"
t_match "$(pg_q "SELECT status FROM trigger_state WHERE namespace = 'sales.reporting' AND flow_id = 'both'")" \
    "^no grant from logistics.shipments to sales.reporting \(flow (orders|stock)\)$" "its status says so"
req "$LOG" POST /api/v1/namespaces/logistics.shipments/grants '{"flows":["orders"],"to":"sales","events":["SUCCESS"]}'
t_is "$S" 201 "a grant for one of the two flows"
cli_settle
t_is "$(pg_q "SELECT status FROM trigger_state WHERE namespace = 'sales.reporting' AND flow_id = 'both'")" \
    "no grant from logistics.shipments to sales.reporting (flow stock)" "the status names the flow still missing"
req_run_wait "$LOG" logistics.shipments orders
req_run_wait "$LOG" logistics.shipments stock
cli_settle
t_is "$(ex_count sales.reporting both)" 0 "half a grant never fires"
req "$LOG" POST /api/v1/namespaces/logistics.shipments/grants '{"flows":["stock"],"to":"sales.reporting","events":["SUCCESS"]}'
cli_settle
t_is "$(pg_q "SELECT status FROM trigger_state WHERE namespace = 'sales.reporting' AND flow_id = 'both'")" ok "both granted: status ok"
req_run_wait "$LOG" logistics.shipments stock
cli_settle
t_is "$(ex_count sales.reporting both)" 1 "both granted and both in the window: fires once"
t_is "$(pg_q "SELECT started_by || ' ' || domain FROM executions WHERE namespace = 'sales.reporting' AND flow_id = 'both'")" \
    "trigger:sales.reporting/both/all_done sales" "as the consumer"
t_is "$(pg_q "SELECT count(*) FROM audit_log WHERE action = 'trigger.refused' AND target LIKE 'trigger:sales.reporting/both/%'")" \
    2 "each refusal reason audited once (no grant at all, then one flow missing)"

# ---- across domains, the time window: an event older than it has expired ----
req "$LOG" POST /api/v1/namespaces/logistics.shipments/grants \
    '{"flows":["invoices","returns"],"to":"sales.reporting","events":["SUCCESS"]}'
t_is "$S" 201 "both producers of the 3 s consumer granted to sales.reporting"
cli_settle
t_is "$(pg_q "SELECT status FROM trigger_state WHERE namespace = 'sales.reporting' AND flow_id = 'quick'")" ok \
    "its status is ok"
req_run_wait "$LOG" logistics.shipments invoices
sleep 3.5 # past the window: the invoices event has expired
req_run_wait "$LOG" logistics.shipments returns
cli_settle
t_is "$(ex_count sales.reporting quick)" 0 "one producer, then the other after the window: no execution"
t_is "$(pg_q "SELECT count(*) FROM events WHERE flow_id IN ('invoices', 'returns') AND state = 'SUCCESS'")" 2 \
    "though both events were published"
# returns first: until the new invoices event exists the only invoices event
# is the expired one, so nothing can fire before both are in the window.
req_run_wait "$LOG" logistics.shipments returns
req_run_wait "$LOG" logistics.shipments invoices
cli_settle
t_is "$(ex_count sales.reporting quick)" 1 "both inside the window: fires once"
# When both events arrive in one round, the first one read already sees the
# other in the window and completes the set: either may be named.
t_match "$(pg_q "SELECT started_by || ' ' || domain || ' ' || (trigger->>'flowId') FROM executions
    WHERE namespace = 'sales.reporting' AND flow_id = 'quick'")" \
    "^trigger:sales.reporting/quick/all_done sales (invoices|returns)$" "as the consumer, naming an event of the set"
t_done
