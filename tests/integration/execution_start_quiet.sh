#!/usr/bin/env bash
# Two small things seen while measuring:
# - an execution that ends within one walk of the executor reports, in its
#   state.startDate, when it started RUNNING (its history's time), not the
#   time of the save that ended it (which made startDate equal endDate);
# - `log.level: warn` in the configuration silences the executor's INFO
#   lines, the line it logs for every finished execution among them (the
#   executor used to keep INFO whatever the configuration said).
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/gateway.sh"
. "$WF_SRCDIR/tests/lib/executor.sh"
unset WEFT_LOG_LEVEL WEFT_LOG_FORMAT
ex_gw_setup
gw_admin
cat >"$PG_TMP/quiet.yaml" <<'EOF'
log:
  level: warn
EOF
ex_ops_start --config "$PG_TMP/quiet.yaml"
http POST /api/v1/domains "${AU[@]}" "${J[@]}" -d '{"name":"loud","namespaces":["loud"]}'
t_is "$STATUS" 201 "a second domain, its executor at the default level"
ex_start loud || t_bail "executor of loud did not start"

for ns in ops loud; do
    http POST /api/v1/flows "${AU[@]}" "${Y[@]}" --data-binary "
id: hi
namespace: $ns
tasks:
  - id: a
    type: io.kestra.plugin.core.log.Log
    message: one
  - id: b
    type: io.kestra.plugin.core.log.Log
    message: two
"
    [ "$STATUS" = 200 ] || [ "$STATUS" = 201 ] || t_bail "cannot apply $ns/hi: $STATUS $BODY"
done

# ---- state.startDate: the history's RUNNING time ----
ex_runw hi
t_is "$STATUS" 200 "a Log flow runs to its end"
t_is "$(jget "$BODY" .state.current)" SUCCESS "and succeeds"
EID=$(jget "$BODY" .id)
check=$(node -e '
const d = JSON.parse(process.argv[1]);
const h = d.state.histories.find(x => x.state === "RUNNING");
const s = Date.parse(d.state.startDate), e = Date.parse(d.state.endDate);
const r = h ? Date.parse(h.date) : NaN;
console.log([s === r, s <= e, Date.parse(d.created) <= s].join(","));' "$BODY")
t_is "$check" "true,true,true" \
    "GET: startDate is the history's RUNNING time, not after endDate, not before created"
t_fails "GET: startDate differs from endDate" \
    test "$(jget "$BODY" .state.startDate)" = "$(jget "$BODY" .state.endDate)"
DOC=$BODY
http GET "/api/v1/executions?namespace=ops&flowId=hi" "${AU[@]}"
listed=$(node -e '
const l = JSON.parse(process.argv[1]).results.find(x => x.id === process.argv[3]);
const d = JSON.parse(process.argv[2]);
console.log(l !== undefined && Date.parse(l.state.startDate) === Date.parse(d.state.startDate));' \
    "$BODY" "$DOC" "$EID")
t_is "$listed" true "the list shows the same startDate"

# ---- log.level: warn ----
http POST "/api/v1/executions/loud/hi?wait=30" "${AU[@]}" "${J[@]}" -d '{}'
LOUD=$(jget "$BODY" .id)
t_is "$(jget "$BODY" .state.current)" SUCCESS "the default-level domain's execution succeeds"
t_ok "at the default level the executor logs the finished execution" \
    grep -q "execution $LOUD .*SUCCESS" "$PG_TMP/executor-loud.log"
t_fails "with log.level: warn it does not" grep -q "execution $EID" "$PG_TMP/executor-ops.log"
t_fails "nor any other INFO line after start-up" grep -qE '^[^ ]+ info ' "$PG_TMP/executor-ops.log"

t_done
