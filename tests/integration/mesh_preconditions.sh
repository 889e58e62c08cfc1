#!/usr/bin/env bash
# Multi-producer preconditions (Kestra's preconditions.flows with a time
# window): the consumer fires only when ALL listed flows have ended in the
# window, once per complete set (the window restarts after firing), inside
# one domain and across domains through grants, where an event older than a
# short window has expired. Real gateway and executors.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/cli.sh"
cli_need_gateway
"$WEFTD" executor --help >/dev/null 2>&1 || { echo "1..0 # SKIP no executor in this build"; exit 0; }
cli_start || t_bail "cannot start PostgreSQL and the gateway"

cli_domain logistics logistics
cli_domain sales sales
LOG=$(cli_token logistics admin)
cli_bind sa:logistics/admin admin logistics
SALES=$(cli_token sales admin)
cli_bind sa:sales/admin admin sales

req() {
    local out
    out=$(curl -s -w '\n%{http_code}' -X "$2" -H "Authorization: Bearer $1" \
        ${4:+-H "Content-Type: ${5:-application/json}" --data-binary "$4"} "$WEFT_URL$3")
    S=${out##*$'\n'}
    R=${out%$'\n'*}
}
q() { pg_psql -c "$1"; }
apply() { req "$1" POST /api/v1/flows "$2" application/x-yaml; [ "$S" = 200 ] || [ "$S" = 201 ] || t_diag "apply: $S $R"; }
run_wait() {
    req "$1" POST "/api/v1/executions/$2/$3" '{}'
    local id i st
    id=$(jq -r .id <<<"$R")
    for i in $(seq 1 300); do
        st=$(q "SELECT state FROM executions WHERE id = '$id'")
        case $st in SUCCESS|FAILED) return 0 ;; esac
        sleep 0.05
    done
}
count_of() { q "SELECT count(*) FROM executions WHERE namespace = '$1' AND flow_id = '$2'"; }
settle() { sleep 2.2; }
producer() {
    apply "$LOG" "id: $1
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
    apply "$tok" "$y"
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
settle

# ---- inside one domain ----
run_wait "$LOG" logistics.shipments orders
run_wait "$LOG" logistics.shipments orders
settle
t_is "$(count_of logistics.reports both)" 0 "one of two upstream flows, twice: no execution"
run_wait "$LOG" logistics.shipments stock
settle
t_is "$(count_of logistics.reports both)" 1 "both ended in the window: one execution"
run_wait "$LOG" logistics.shipments stock
settle
t_is "$(count_of logistics.reports both)" 1 "the window restarts after firing: stock alone again does nothing"
run_wait "$LOG" logistics.shipments orders
settle
t_is "$(count_of logistics.reports both)" 2 "a new complete set fires again"
t_is "$(q "SELECT trigger->>'flowId' FROM executions WHERE namespace = 'logistics.reports'
    AND flow_id = 'both' ORDER BY created_at DESC LIMIT 1")" orders "trigger names the event that completed the set"

# ---- the time window ----
run_wait "$LOG" logistics.shipments prices
sleep 3.5
run_wait "$LOG" logistics.shipments labels
settle
t_is "$(count_of logistics.reports quick)" 0 "events further apart than the window never complete it"
run_wait "$LOG" logistics.shipments labels
run_wait "$LOG" logistics.shipments prices
settle
t_is "$(count_of logistics.reports quick)" 1 "within the window they do"

# ---- across domains: every producer flow needs the grant ----
t_is "$(count_of sales.reporting both)" 0 "no grant: the cross-domain consumer never fired"
t_match "$(q "SELECT status FROM trigger_state WHERE namespace = 'sales.reporting' AND flow_id = 'both'")" \
    "^no grant from logistics.shipments to sales.reporting \(flow (orders|stock)\)$" "its status says so"
req "$LOG" POST /api/v1/namespaces/logistics.shipments/grants '{"flows":["orders"],"to":"sales","events":["SUCCESS"]}'
t_is "$S" 201 "a grant for one of the two flows"
settle
t_is "$(q "SELECT status FROM trigger_state WHERE namespace = 'sales.reporting' AND flow_id = 'both'")" \
    "no grant from logistics.shipments to sales.reporting (flow stock)" "the status names the flow still missing"
run_wait "$LOG" logistics.shipments orders
run_wait "$LOG" logistics.shipments stock
settle
t_is "$(count_of sales.reporting both)" 0 "half a grant never fires"
req "$LOG" POST /api/v1/namespaces/logistics.shipments/grants '{"flows":["stock"],"to":"sales.reporting","events":["SUCCESS"]}'
settle
t_is "$(q "SELECT status FROM trigger_state WHERE namespace = 'sales.reporting' AND flow_id = 'both'")" ok "both granted: status ok"
run_wait "$LOG" logistics.shipments stock
settle
t_is "$(count_of sales.reporting both)" 1 "both granted and both in the window: fires once"
t_is "$(q "SELECT started_by || ' ' || domain FROM executions WHERE namespace = 'sales.reporting' AND flow_id = 'both'")" \
    "trigger:sales.reporting/both/all_done sales" "as the consumer"
t_is "$(q "SELECT count(*) FROM audit_log WHERE action = 'trigger.refused' AND target LIKE 'trigger:sales.reporting/both/%'")" \
    2 "each refusal reason audited once (no grant at all, then one flow missing)"

# ---- across domains, the time window: an event older than it has expired ----
req "$LOG" POST /api/v1/namespaces/logistics.shipments/grants \
    '{"flows":["invoices","returns"],"to":"sales.reporting","events":["SUCCESS"]}'
t_is "$S" 201 "both producers of the 3 s consumer granted to sales.reporting"
settle
t_is "$(q "SELECT status FROM trigger_state WHERE namespace = 'sales.reporting' AND flow_id = 'quick'")" ok \
    "its status is ok"
run_wait "$LOG" logistics.shipments invoices
sleep 3.5 # past the window: the invoices event has expired
run_wait "$LOG" logistics.shipments returns
settle
t_is "$(count_of sales.reporting quick)" 0 "one producer, then the other after the window: no execution"
t_is "$(q "SELECT count(*) FROM events WHERE flow_id IN ('invoices', 'returns') AND state = 'SUCCESS'")" 2 \
    "though both events were published"
# returns first: until the new invoices event exists the only invoices event
# is the expired one, so nothing can fire before both are in the window.
run_wait "$LOG" logistics.shipments returns
run_wait "$LOG" logistics.shipments invoices
settle
t_is "$(count_of sales.reporting quick)" 1 "both inside the window: fires once"
# When both events arrive in one round, the first one read already sees the
# other in the window and completes the set: either may be named.
t_match "$(q "SELECT started_by || ' ' || domain || ' ' || (trigger->>'flowId') FROM executions
    WHERE namespace = 'sales.reporting' AND flow_id = 'quick'")" \
    "^trigger:sales.reporting/quick/all_done sales (invoices|returns)$" "as the consumer, naming an event of the set"
t_done
