#!/usr/bin/env bash
# The data-mesh scenario end to end, every step through `weft` as the teams
# would run it: two domains, `logistics` producing shipment figures and
# `sales` consuming them, each with a person (an OIDC user of the independent
# jose issuer) and a CI service account. The platform team sets a policy on
# the root; logistics keeps a secret; both teams apply their flows from
# examples/flows (the README's demo flows) with their CI accounts. The sales
# trigger does not fire until logistics grants it — and says why; once
# granted it fires with exactly the declared outputs, under sales' identity,
# on sales' executor; revoking stops it again. Every refusal along the way
# (other team's namespace, policy, grant by a non-admin or by the consumer,
# subflow without a subflow grant) is asserted, and the audit chain verifies.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/cli.sh"
. "$WF_SRCDIR/tests/lib/node.sh"
cli_need_executor
node_setup || t_bail "npm package jose is missing (scripts/deps.sh --test)"

PEER_DIR=$(mktemp -d /tmp/weft-idp.XXXXXX)
node "$NODE_LIB/oidc_peer.mjs" "$PEER_DIR/port" 2>"$PEER_DIR/err" &
peer=$!
for _ in $(seq 1 100); do [ -s "$PEER_DIR/port" ] && break; sleep 0.1; done
[ -s "$PEER_DIR/port" ] || t_bail "OIDC issuer did not start: $(cat "$PEER_DIR/err")"
IDP="http://127.0.0.1:$(cat "$PEER_DIR/port")"
cat >"$PEER_DIR/weft.yaml" <<EOF
auth:
  oidc:
    - issuer: $IDP/a
      audience: weft
EOF
cli_start --config "$PEER_DIR/weft.yaml" || t_bail "cannot start PostgreSQL and the gateway"
trap 'kill $peer 2>/dev/null; wait $peer 2>/dev/null; rm -rf "$PEER_DIR"; _cli_cleanup' EXIT

cli_domain logistics logistics
cli_domain sales sales
PLATFORM=$(cli_token weft platform)
cli_bind sa:weft/platform platform-admin ''
LENA=$(curl -sf "$IDP/user?sub=lena&groups=team-logistics")
SAM=$(curl -sf "$IDP/user?sub=sam&groups=team-sales")
cli_executor logistics || t_bail "no executor"
cli_executor sales

as() { local t=$1; shift; with_token "$t" "$@"; }
# wait_for SQL VALUE [SECONDS]: until the query answers VALUE
wait_for() {
    local i
    for i in $(seq 1 $((${3:-20} * 10))); do
        [ "$(pg_q "$1")" = "$2" ] && return 0
        sleep 0.1
    done
    return 1
}
sales_runs() { pg_q "SELECT count(*) FROM executions WHERE namespace = 'sales.reporting'"; }
FLOWS=$WF_SRCDIR/examples/flows

# ---- the platform team: teams' admins, a root policy ----
cli_run out as "$PLATFORM" rbac bind group:team-logistics admin logistics
t_is "$out_RC" 0 "platform binds the logistics team as admins of logistics"
as "$PLATFORM" rbac bind group:team-sales admin sales >/dev/null
cli_run out as "$PLATFORM" policy set '*' 'requiredLabels={"owner":"[a-z-]+"}' maxMemory=512MiB
t_is "$out_RC" 0 "platform sets the root policy: every flow names an owner, 512MiB per task"
cli_run out as "$LENA" me
t_match "$out" "user:lena" "lena signs in with her OIDC token"

# ---- each team: a CI service account, a secret, a tighter policy ----
as "$LENA" sa create logistics ci >/dev/null
as "$LENA" rbac bind sa:logistics/ci developer logistics >/dev/null
LCI=$(as "$LENA" sa token create logistics ci 2>/dev/null)
t_match "$LCI" "^weft_sa_" "lena issues the logistics CI token"
as "$SAM" sa create sales ci >/dev/null
as "$SAM" rbac bind sa:sales/ci developer sales >/dev/null
SCI=$(as "$SAM" sa token create sales ci 2>/dev/null)
t_match "$SCI" "^weft_sa_" "sam issues the sales CI token"
cli_run out as "$SAM" sa create logistics intruder
t_is "$out_RC" 1 "sam cannot create a service account in logistics"

KEY='wh-key-9f1c2e7a55d0'
cli_run out as "$LENA" secret set logistics.shipments WAREHOUSE_API_KEY <<<"$KEY"
t_is "$out_RC" 0 "lena stores the warehouse API key as a logistics secret"
cli_run out as "$SAM" secret set logistics.shipments WAREHOUSE_API_KEY <<<"stolen"
t_is "$out_RC" 1 "sam cannot overwrite it"
cli_run out as "$LENA" policy set logistics maxPids=64
t_is "$out_RC" 0 "lena tightens her domain's policy"
cli_run out as "$LENA" policy set logistics maxMemory=2GiB
t_is "$out_RC" 1 "but cannot loosen the platform's memory cap"
t_match "$out_ERR" "maxMemory" "the refusal names the key"

# ---- flows as code, applied by each team's pipeline ----
cli_run out as "$LCI" flow apply -f "$FLOWS/logistics"
t_match "$out_RC:$out" "^0:created +logistics.shipments/daily_shipments " "logistics CI applies its flow"
cli_run out as "$SCI" flow apply -f "$FLOWS/sales"
t_match "$out_RC:$out" "^0:created +sales.reporting/shipment_report " "sales CI applies its flow"
cli_run out as "$SCI" flow apply -f "$FLOWS/logistics"
t_is "$out_RC" 1 "sales CI cannot apply into logistics"
mkdir -p "$CLI_TMP/unlabelled"
sed '/^labels:/,/^$/d' "$FLOWS/sales/shipment_report.yaml" >"$CLI_TMP/unlabelled/report.yaml"
cli_run out as "$SCI" flow apply -f "$CLI_TMP/unlabelled"
t_is "$out_RC" 1 "a flow without an owner label is refused"
t_match "$out_ERR" "report.yaml:1:1: .*requiredLabels" "at its position, naming the policy"

# ---- before any grant: logistics runs, sales' trigger says why it waits ----
cli_run out as "$LCI" run logistics.shipments daily_shipments --input region=eu --wait
t_is "$out_RC" 0 "logistics CI runs daily_shipments to SUCCESS"
t_ok "the trigger reports the missing grant" wait_for \
    "SELECT status FROM trigger_state WHERE namespace = 'sales.reporting' AND trigger_id = 'on_shipments'" \
    "no grant from logistics.shipments to sales.reporting (flow daily_shipments)"
cli_run out as "$SAM" flow triggers sales.reporting shipment_report
t_match "$out" "on_shipments +Flow .*no grant from logistics.shipments to sales.reporting" \
    "sam sees why with weft flow triggers"
t_is "$(sales_runs)" 0 "nothing ran in sales"
as "$LENA" run logistics.shipments daily_shipments --wait >/dev/null
sleep 2
t_is "$(sales_runs)" 0 "a second event (lena's own run) does not fire either"
t_is "$(pg_q "SELECT count(*) FROM audit_log WHERE action = 'trigger.refused'")" 1 \
    "the refusal is audited once, not once per event"
L=$(pg_q "SELECT string_agg(line, E'\n') FROM logs WHERE namespace = 'logistics.shipments'")
t_match "$L" "with key \*\*\*\*" "the secret reached the task and its log shows ****"
t_fails "the secret's value is in no log" grep -qF "$KEY" <<<"$L"

# ---- grants: only logistics' admins make them ----
cli_run out as "$SAM" grant create logistics.shipments --to sales.reporting --flows daily_shipments
t_is "$out_RC" 1 "the consumer cannot grant itself access"
cli_run out as "$LCI" grant create logistics.shipments --to sales.reporting --flows daily_shipments
t_is "$out_RC" 1 "logistics' developers cannot grant either"
cli_run out as "$LENA" grant create logistics.shipments --to sales.reporting \
    --flows daily_shipments --events SUCCESS -o json
t_is "$out_RC" 0 "lena grants sales.reporting the SUCCESS events of daily_shipments"
GID=$(jq -r .id <<<"$out")

# ---- granted: the trigger fires with exactly the declared outputs ----
as "$LCI" run logistics.shipments daily_shipments --input region=us --wait >/dev/null
t_ok "sales' flow is triggered" wait_for "SELECT count(*) FROM executions
    WHERE namespace = 'sales.reporting' AND state = 'SUCCESS'" 1 30
SE=$(pg_q "SELECT id FROM executions WHERE namespace = 'sales.reporting'")
t_is "$(pg_q "SELECT trigger->'outputs' FROM executions WHERE id = '$SE'")" '{"shipments": 42}' \
    "trigger.outputs holds exactly the declared outputs (typed)"
t_is "$(pg_q "SELECT domain FROM executions WHERE id = '$SE'")" sales "it ran on the sales domain"
t_match "$(pg_q "SELECT started_by FROM executions WHERE id = '$SE'")" "^trigger:" \
    "started by the trigger, not by a logistics principal"
t_is "$(pg_q "SELECT outputs->>'shipments_seen' FROM executions WHERE id = '$SE'")" 42 \
    "the consumer's flow used the figure"
cli_run out as "$SAM" logs "$SE"
t_match "$out" "42 new shipments from logistics.shipments" "sam reads it in his execution's logs"
t_fails "no task internals crossed over" grep -qE "internal-detail|region" \
    <<<"$(pg_q "SELECT executions::text FROM executions WHERE id = '$SE'")"
t_is "$(pg_q "SELECT string_agg(DISTINCT started_by, ',' ORDER BY started_by) FROM executions
           WHERE namespace = 'logistics.shipments'")" "sa:logistics/ci,user:lena" \
    "logistics' runs record who started them: the CI account, lena"
cli_run out as "$SAM" execution list logistics.shipments
t_is "$out_RC" 1 "sam still cannot read logistics' executions"

# ---- revoked: the next event does not fire ----
cli_run out as "$LENA" grant revoke logistics.shipments "$GID"
t_is "$out_RC" 0 "lena revokes the grant"
as "$LCI" run logistics.shipments daily_shipments --wait >/dev/null
t_ok "the trigger reports the missing grant again" wait_for \
    "SELECT status FROM trigger_state WHERE namespace = 'sales.reporting' AND trigger_id = 'on_shipments'" \
    "no grant from logistics.shipments to sales.reporting (flow daily_shipments)"
t_is "$(sales_runs)" 1 "no new sales execution"

# ---- subflow calls into logistics need a grant that says so ----
mkdir -p "$CLI_TMP/stock"
cat >"$CLI_TMP/stock/stock_check.yaml" <<'EOF2'
id: stock_check
namespace: sales.reporting
labels:
  owner: sales
tasks:
  - id: shipments
    type: io.kestra.plugin.core.flow.Subflow
    namespace: logistics.shipments
    flowId: daily_shipments
    inputs:
      region: apac
EOF2
as "$SCI" flow apply -f "$CLI_TMP/stock" >/dev/null
cli_run out as "$SCI" run sales.reporting stock_check --wait
t_is "$out_RC" 1 "without a subflow grant, sales cannot call daily_shipments"
SX=$(pg_q "SELECT id FROM executions WHERE flow_id = 'stock_check' ORDER BY created_at DESC LIMIT 1")
cli_run out as "$SAM" logs "$SX"
t_match "$out" "no subflow grant from logistics.shipments to sales.reporting" "the task says why"
as "$LENA" grant create logistics.shipments --to sales.reporting --flows daily_shipments --subflow >/dev/null
cli_run out as "$SCI" run sales.reporting stock_check --wait
t_is "$out_RC" 0 "with one, the call succeeds"
SX=$(pg_q "SELECT id FROM executions WHERE flow_id = 'stock_check' ORDER BY created_at DESC LIMIT 1")
t_is "$(pg_q "SELECT outputs->'outputs' FROM task_runs WHERE execution_id = '$SX' AND task_id = 'shipments'")" \
    '{"shipments": 42}' "the parent gets only the child's declared outputs"
t_is "$(pg_q "SELECT domain FROM executions WHERE parent_id = '$SX'")" logistics \
    "the child ran on the logistics domain"

# ---- the audit trail ----
cli_run out as "$PLATFORM" audit list --action grant.create -o json
t_is "$(jq -r '.[0].actor' <<<"$out" 2>/dev/null || jq -r '.results[0].actor' <<<"$out")" user:lena \
    "the grant is audited with lena as its author"
cli_run out "$WEFTD" audit verify
t_is "$out_RC" 0 "the audit chain verifies"
t_done
