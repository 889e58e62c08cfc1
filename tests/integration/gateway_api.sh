#!/usr/bin/env bash
# The REST API end to end over HTTP against a real PostgreSQL: domains,
# flows (revisions only on change, 422 with positions), executions (inputs,
# Kestra shape, NOTIFY to the domain, ?wait, kill/restart/resume), logs (JSON
# and server-sent events), webhooks, service accounts and tokens, bindings,
# /me, can-i, audit rows.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/gateway.sh"

gw_setup
gw_admin

# ---- identity ----
http GET /api/v1/me "${AU[@]}"
t_is "$STATUS" 200 "/me with a service-account token"
t_is "$(jget "$BODY" .subject)" "sa:weft/admin" "/me names the subject"
t_is "$(jget "$BODY" .platformRoles.0)" "platform-admin" "/me lists platform roles"
http GET /api/v1/me
t_is "$STATUS" 401 "/me without credentials: 401"
t_match "$(curl -s -D - -o /dev/null "$GW_URL/api/v1/me" | tr A-Z a-z)" "www-authenticate: bearer" \
    "401 carries WWW-Authenticate: Bearer"

# ---- domains ----
http POST /api/v1/domains "${AU[@]}" "${J[@]}" -d '{"name":"sales","namespaces":["sales"]}'
t_is "$STATUS" 201 "platform-admin creates a domain"
http POST /api/v1/domains "${AU[@]}" "${J[@]}" -d '{"name":"logistics","namespaces":["logistics"]}'
http POST /api/v1/domains "${AU[@]}" "${J[@]}" -d '{"name":"sales","namespaces":["other"]}'
t_is "$STATUS" 409 "a duplicate domain: 409"
http POST /api/v1/domains "${AU[@]}" "${J[@]}" -d '{"name":"Bad Name","namespaces":["x"]}'
t_is "$STATUS" 422 "an invalid domain name: 422"
http POST /api/v1/domains/sales/namespaces "${AU[@]}" "${J[@]}" -d '{"prefix":"crm"}'
t_is "$STATUS" 201 "a prefix is assigned to a domain"
http GET /api/v1/domains "${AU[@]}"
t_is "$(jget "$BODY" .total)" 2 "two domains listed"
t_is "$(jget "$BODY" .results.1.namespaces)" '["crm","sales"]' "with their prefixes"

# ---- flows ----
cat >"$PG_TMP/flow.yaml" <<'EOF'
id: daily
namespace: sales.reports
labels:
  owner: sales-team
inputs:
  - id: who
    type: STRING
    defaults: world
  - id: n
    type: INT
    required: false
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: "hi {{ inputs.who }}"
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: 4wjtkzwVGBM9yKnjm3yv8r
EOF
http POST /api/v1/flows "${AU[@]}" "${Y[@]}" --data-binary @"$PG_TMP/flow.yaml"
t_is "$STATUS:$(jget "$BODY" .revision)" "201:1" "a new flow: 201, revision 1"
http POST /api/v1/flows "${AU[@]}" "${Y[@]}" --data-binary @"$PG_TMP/flow.yaml"
t_is "$STATUS:$(jget "$BODY" .revision):$(jget "$BODY" .changed)" "200:1:false" \
    "the same source again: no new revision"
sed 's/hi {{/hello {{/' "$PG_TMP/flow.yaml" >"$PG_TMP/flow2.yaml"
http POST /api/v1/flows "${AU[@]}" "${Y[@]}" --data-binary @"$PG_TMP/flow2.yaml"
t_is "$STATUS:$(jget "$BODY" .revision):$(jget "$BODY" .changed)" "200:2:true" \
    "a changed source: revision 2"
http GET /api/v1/flows/sales.reports/daily/revisions "${AU[@]}"
t_is "$(jget "$BODY" .1.revision)" 2 "both revisions are kept"
http GET /api/v1/flows/sales.reports/daily "${AU[@]}"
t_is "$STATUS:$(jget "$BODY" .id):$(jget "$BODY" .revision)" "200:daily:2" "GET a flow"
t_match "$(jget "$BODY" .source)" "hello \{\{ inputs.who \}\}" "with its source"
http POST /api/v1/flows "${AU[@]}" "${Y[@]}" --data-binary $'id: x\nnamespace: sales\ntasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Nope\n'
t_is "$STATUS:$CTYPE" "422:application/problem+json" "an invalid flow: 422 problem+json"
t_match "$(jget "$BODY" .errors)" '"line": ?5' "with positioned errors"
http POST /api/v1/flows "${AU[@]}" "${J[@]}" -d '{"id":"x"}'
t_is "$STATUS" 415 "a flow sent as JSON: 415"
http POST /api/v1/flows/validate "${AU[@]}" "${Y[@]}" --data-binary @"$PG_TMP/flow.yaml"
t_is "$STATUS:$(jget "$BODY" .valid)" "200:true" "validate a flow without storing it"
http POST /api/v1/flows "${AU[@]}" "${Y[@]}" --data-binary $'id: lost\nnamespace: nowhere\ntasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n    message: m\n'
t_is "$STATUS" 422 "a flow in a namespace no domain owns: 422"
for i in 1 2 3; do
    sed "s/^id: daily/id: more$i/" "$PG_TMP/flow.yaml" >"$PG_TMP/f$i.yaml"
    http POST /api/v1/flows "${AU[@]}" "${Y[@]}" --data-binary @"$PG_TMP/f$i.yaml"
done
http GET "/api/v1/flows?namespace=sales&size=2&page=2" "${AU[@]}"
t_is "$(jget "$BODY" .total):$(jget "$BODY" .results.0.id):$(jget "$BODY" .page)" "4:more2:2" \
    "flows are paginated"
http GET "/api/v1/flows?namespace=sales&size=0" "${AU[@]}"
t_is "$STATUS" 400 "a page size of 0: 400"
http GET "/api/v1/flows" "${AU[@]}"
t_is "$STATUS" 400 "listing without a namespace: 400"

# ---- executions ----
pg_psql -c "LISTEN weft_domain_sales" -c "SELECT pg_sleep(1.2)" >"$PG_TMP/notify.out" 2>&1 &
listener=$!
sleep 0.3
http POST /api/v1/executions/sales.reports/daily "${AU[@]}" "${J[@]}" -d '{"n": "7"}'
t_is "$STATUS" 202 "an execution is accepted: 202"
EX=$(jget "$BODY" .id)
t_is "$(pg_psql -c "SELECT state || ':' || domain FROM executions WHERE id = '$EX'")" \
    "CREATED:sales" "the row is committed before the answer, for its domain"
wait "$listener"
t_match "$(cat "$PG_TMP/notify.out")" "weft_domain_sales\" with payload \"$EX\"" \
    "the domain's executors are notified with the execution id"
http GET "/api/v1/executions/$EX" "${AU[@]}"
t_is "$STATUS:$(jget "$BODY" .state.current)" "200:CREATED" "GET an execution"
t_is "$(jget "$BODY" .inputs)" '{"n":7,"who":"world"}' "inputs validated, converted, defaulted"
t_is "$(jget "$BODY" .state.histories.0.state)" CREATED "state history"
t_is "$(jget "$BODY" .taskRunList)" "[]" "an empty task-run list"
t_is "$(jget "$BODY" .labels.owner)" "sales-team" "flow labels are copied"
http POST /api/v1/executions/sales.reports/daily "${AU[@]}" "${J[@]}" -d '{"n": "seven", "bogus": 1}'
t_is "$STATUS" 422 "bad inputs: 422"
t_is "$(jget "$BODY" .errors.0.path),$(jget "$BODY" .errors.1.path)" "inputs.n,inputs.bogus" \
    "every input error is listed"
http POST /api/v1/executions/sales.reports/nosuch "${AU[@]}"
t_is "$STATUS" 404 "an execution of a missing flow: 404"
http POST /api/v1/executions/sales.reports/daily "${AU[@]}" "${J[@]}" -d '{not json'
t_is "$STATUS" 400 "malformed JSON: 400"

# A simulated executor finishes the execution: ?wait returns it at once.
pg_psql -c "INSERT INTO task_runs (id, execution_id, namespace, domain, task_id, state, attempts, outputs)
            VALUES ('tr1', '$EX', 'sales.reports', 'sales', 'hello', 'SUCCESS',
                    '[{\"state\": \"SUCCESS\"}]', '{\"value\": 1}');
            UPDATE executions SET state = 'SUCCESS', outputs = '{\"out\": \"x\"}' WHERE id = '$EX'"
http GET "/api/v1/executions/$EX" "${AU[@]}"
t_is "$(jget "$BODY" .taskRunList.0.taskId):$(jget "$BODY" .taskRunList.0.state.current)" \
    "hello:SUCCESS" "task runs in the Kestra shape"
t_is "$(jget "$BODY" .taskRunList.0.attempts.0.state):$(jget "$BODY" .taskRunList.0.outputs.value)" \
    "SUCCESS:1" "with attempts and outputs"
t_is "$(jget "$BODY" .outputs.out)" x "flow outputs"
t0=$(date +%s%N)
http POST "/api/v1/executions/sales.reports/daily?wait=2" "${AU[@]}"
t1=$(date +%s%N)
t_is "$STATUS:$(jget "$BODY" .state.current)" "202:CREATED" \
    "?wait returns the execution when the wait runs out (202)"
t_ok "... after about the wait (>= 1.8 s)" test $(((t1 - t0) / 1000000)) -ge 1800
W=$(jget "$BODY" .id)
curl -s -o "$PG_TMP/wait.out" -w '%{http_code}' -X POST "${AU[@]}" \
    "$GW_URL/api/v1/executions/sales.reports/daily?wait=10" >"$PG_TMP/wait.code" &
waiter=$!
sleep 0.5
W2=$(pg_psql -c "SELECT id FROM executions ORDER BY created_at DESC LIMIT 1")
t0=$(date +%s%N)
pg_psql -c "UPDATE executions SET state = 'SUCCESS' WHERE id = '$W2'"
wait "$waiter"
t1=$(date +%s%N)
t_is "$(cat "$PG_TMP/wait.code"):$(jget "$(cat "$PG_TMP/wait.out")" .state.current)" "200:SUCCESS" \
    "?wait returns the finished execution (200)"
t_ok "... as soon as it finishes (< 1.5 s)" test $(((t1 - t0) / 1000000)) -lt 1500
http POST "/api/v1/executions/sales.reports/daily?wait=abc" "${AU[@]}"
t_is "$STATUS" 400 "?wait must be a number"

# kill / restart / resume
http POST "/api/v1/executions/$W/kill" "${AU[@]}"
t_is "$STATUS" 202 "kill a live execution: 202"
t_is "$(pg_psql -c "SELECT state FROM executions WHERE id = '$W'")" KILLING "it is KILLING"
http POST "/api/v1/executions/$W/restart" "${AU[@]}"
t_is "$STATUS" 409 "restart an execution still being killed: 409"
pg_psql -c "UPDATE executions SET state = 'KILLED' WHERE id = '$W'"
http POST "/api/v1/executions/$EX/kill" "${AU[@]}"
t_is "$STATUS" 409 "kill a finished execution: 409"
http POST "/api/v1/executions/$W/restart" "${AU[@]}"
t_is "$STATUS" 202 "restart a killed execution: 202"
R=$(jget "$BODY" .id)
t_is "$(pg_psql -c "SELECT original_id || ':' || state FROM executions WHERE id = '$R'")" \
    "$W:CREATED" "a new execution chained to the original"
http POST "/api/v1/executions/$EX/restart" "${AU[@]}"
t_is "$STATUS" 409 "restart a successful execution: 409"
pg_psql -c "UPDATE executions SET state = 'PAUSED' WHERE id = '$R'"
http POST "/api/v1/executions/$R/resume" "${AU[@]}"
t_is "$STATUS:$(pg_psql -c "SELECT state FROM executions WHERE id = '$R'")" "202:RUNNING" \
    "resume a paused execution"
http POST "/api/v1/executions/$R/resume" "${AU[@]}"
t_is "$STATUS" 409 "resume a running execution: 409"
http GET "/api/v1/executions/nosuchid/kill" "${AU[@]}"
t_is "$STATUS" 405 "GET on kill: 405"
http GET "/api/v1/executions/nosuchid" "${AU[@]}"
t_is "$STATUS" 404 "a missing execution: 404"
http GET "/api/v1/executions?namespace=sales&flowId=daily&state=KILLED" "${AU[@]}"
t_is "$(jget "$BODY" .total):$(jget "$BODY" .results.0.id)" "1:$W" "executions filtered by state"
http GET "/api/v1/executions?namespace=sales.reports" "${AU[@]}"
t_ok "executions listed under a prefix" test "$(jget "$BODY" .total)" -ge 4

# ---- logs ----
pg_psql -c "INSERT INTO logs (execution_id, namespace, domain, level, line) VALUES
            ('$R', 'sales.reports', 'sales', 'INFO', 'first line'),
            ('$R', 'sales.reports', 'sales', 'WARN', 'second \"quoted\" line')"
http GET "/api/v1/executions/$R/logs" "${AU[@]}"
t_is "$(jget "$BODY" .1.message):$(jget "$BODY" .1.level)" 'second "quoted" line:WARN' \
    "logs as JSON"
curl -sN "${AU[@]}" "$GW_URL/api/v1/executions/$R/logs?follow=true" >"$PG_TMP/sse.out" &
follower=$!
sleep 0.6
pg_psql -c "INSERT INTO logs (execution_id, namespace, domain, line) VALUES ('$R', 'sales.reports', 'sales', 'live line')"
sleep 0.5
pg_psql -c "UPDATE executions SET state = 'SUCCESS' WHERE id = '$R'"
for _ in $(seq 1 50); do kill -0 "$follower" 2>/dev/null || break; sleep 0.1; done
t_fails "the event stream ends when the execution finishes" kill -0 "$follower"
wait "$follower" 2>/dev/null
sse=$(cat "$PG_TMP/sse.out")
t_match "$sse" "event: log" "server-sent log events"
t_match "$sse" "live line" "a line written during the stream arrives"
t_match "$sse" 'event: end'$'\n''data: \{"state":"SUCCESS"\}' "the stream ends with the final state"
t_is "$(grep -c '^id: ' "$PG_TMP/sse.out")" 3 "each line once, with an id"
t_match "$(curl -s -D - -o /dev/null "${AU[@]}" "$GW_URL/api/v1/executions/$R/logs?follow=true")" \
    "text/event-stream" "served as text/event-stream"
# A client that goes away mid-stream does not leave anything behind.
pg_psql -c "UPDATE executions SET state = 'RUNNING' WHERE id = '$R'"
timeout 1 curl -sN "${AU[@]}" "$GW_URL/api/v1/executions/$R/logs?follow=true" >/dev/null
http GET /healthz
t_is "$STATUS" 200 "the gateway is fine after a client left a stream"

# ---- webhook ----
http POST /api/v1/executions/webhook/sales.reports/daily/4wjtkzwVGBM9yKnjm3yv8r "${J[@]}" -d '{"event":"push"}'
t_is "$STATUS" 202 "the webhook key starts an execution"
H=$(jget "$BODY" .id)
t_is "$(pg_psql -c "SELECT started_by || ' ' || (trigger->'body'->>'event') FROM executions WHERE id = '$H'")" \
    "webhook:sales.reports/daily push" "started by the webhook, body kept in the trigger"

# ---- service accounts and tokens ----
http POST /api/v1/namespaces/sales/serviceaccounts "${AU[@]}" "${J[@]}" -d '{"name":"ci","description":"deploys"}'
t_is "$STATUS:$(jget "$BODY" .subject)" "201:sa:sales/ci" "create a service account"
http POST /api/v1/namespaces/sales/serviceaccounts "${AU[@]}" "${J[@]}" -d '{"name":"ci"}'
t_is "$STATUS" 409 "the same name again: 409"
http POST /api/v1/namespaces/sales/serviceaccounts "${AU[@]}" "${J[@]}" -d '{"name":"Bad Name"}'
t_is "$STATUS" 422 "an invalid name: 422"
http POST /api/v1/namespaces/sales/serviceaccounts/ci/tokens "${AU[@]}" "${J[@]}" -d '{"expiresInSeconds": 3600}'
t_is "$STATUS" 201 "issue a token"
T=$(jget "$BODY" .token)
TID=$(jget "$BODY" .id)
t_match "$T" '^weft_sa_[A-Za-z0-9_-]{43}$' "the token is shown once, in full"
hash=$(printf '%s' "$T" | sha256sum | cut -d' ' -f1)
t_is "$(pg_psql -c "SELECT count(*) FROM sa_tokens WHERE encode(token_hash, 'hex') = '$hash'")" 1 \
    "only its SHA-256 is stored"
t_is "$(pg_psql -c "SELECT count(*) FROM audit_log WHERE details::text LIKE '%${T:8:20}%'")" 0 \
    "the token is in no audit row"
http GET /api/v1/namespaces/sales/serviceaccounts/ci/tokens "${AU[@]}"
t_is "$(jget "$BODY" .total)" 1 "tokens are listed"
t_fails "... without their secret" grep -q "weft_sa_" <<<"$BODY"
http GET /api/v1/namespaces/sales/serviceaccounts "${AU[@]}"
t_is "$(jget "$BODY" .results.0.name)" ci "service accounts are listed"
http GET /api/v1/me -H "Authorization: Bearer $T"
t_is "$STATUS:$(jget "$BODY" .subject)" "200:sa:sales/ci" "the new token authenticates"
t_is "$(pg_psql -c "SELECT last_used_at IS NOT NULL FROM sa_tokens WHERE id = $TID")" t \
    "last use is recorded"
http GET /api/v1/flows/sales.reports/daily -H "Authorization: Bearer $T"
t_is "$STATUS" 404 "a new service account has no rights (and sees nothing)"

# ---- bindings ----
http POST /api/v1/bindings "${AU[@]}" "${J[@]}" -d '{"subject":"sa:sales/ci","role":"launcher","namespace":"sales"}'
t_is "$STATUS" 201 "bind launcher on sales"
BID=$(jget "$BODY" .id)
http POST /api/v1/bindings "${AU[@]}" "${J[@]}" -d '{"subject":"sa:sales/ci","role":"launcher","namespace":"sales"}'
t_is "$STATUS" 409 "the same binding again: 409"
http POST /api/v1/bindings "${AU[@]}" "${J[@]}" -d '{"subject":"nobody","role":"viewer","namespace":"sales"}'
t_is "$STATUS" 422 "an invalid subject: 422"
http GET /api/v1/flows/sales.reports/daily -H "Authorization: Bearer $T"
t_is "$STATUS" 200 "the binding on sales covers sales.reports"
http POST /api/v1/executions/sales.reports/daily -H "Authorization: Bearer $T"
t_is "$STATUS" 202 "a launcher starts executions"
http DELETE /api/v1/flows/sales.reports/daily -H "Authorization: Bearer $T"
t_is "$STATUS:$(jget "$BODY" .reason)" "403:denied:role-too-low" "a launcher may not delete flows"
http GET "/api/v1/bindings?namespace=sales.reports" "${AU[@]}"
t_is "$(jget "$BODY" .results.0.subject)" "sa:sales/ci" "bindings above a namespace are listed"
http GET "/api/v1/auth/can-i?action=flow.write&namespace=sales" -H "Authorization: Bearer $T"
t_is "$(jget "$BODY" .allowed):$(jget "$BODY" .reason)" "false:denied:role-too-low" \
    "can-i explains a refusal"
http GET "/api/v1/auth/can-i?action=execution.create&namespace=sales.x" -H "Authorization: Bearer $T"
t_is "$(jget "$BODY" .allowed):$(jget "$BODY" .via.namespace)" "true:sales" \
    "can-i explains a grant and the binding behind it"
http GET "/api/v1/auth/can-i?action=flow.read&namespace=sales&as=sa:weft/admin" -H "Authorization: Bearer $T"
t_is "$STATUS" 403 "can-i as someone else is for admins"
http GET "/api/v1/auth/can-i?action=flow.write&namespace=sales&as=sa:sales/ci" "${AU[@]}"
t_is "$(jget "$BODY" .subject):$(jget "$BODY" .allowed)" "sa:sales/ci:false" \
    "an admin asks on behalf of another subject"
http GET "/api/v1/auth/can-i?action=fly&namespace=sales" "${AU[@]}"
t_is "$STATUS" 400 "an unknown action: 400"
http DELETE "/api/v1/bindings/$BID" "${AU[@]}"
t_is "$STATUS" 204 "delete a binding"
http GET /api/v1/flows/sales.reports/daily -H "Authorization: Bearer $T"
t_is "$STATUS" 404 "the right is gone at once"

# ---- revoke, delete ----
http DELETE "/api/v1/namespaces/sales/serviceaccounts/ci/tokens/$TID" "${AU[@]}"
t_is "$STATUS" 204 "revoke a token"
http GET /api/v1/me -H "Authorization: Bearer $T"
t_is "$STATUS:$(jget "$BODY" .reason)" "401:sa-token-invalid" "a revoked token: 401"
# Deleting an account: its live tokens stop at once, its bindings go, and
# one audit row says what went with it.
http POST /api/v1/namespaces/sales/serviceaccounts "${AU[@]}" "${J[@]}" -d '{"name":"gone"}'
http POST /api/v1/namespaces/sales/serviceaccounts/gone/tokens "${AU[@]}" "${J[@]}" -d '{}'
GT=$(jget "$BODY" .token)
http POST /api/v1/namespaces/sales/serviceaccounts/gone/tokens "${AU[@]}" "${J[@]}" -d '{}'
GT2=$(jget "$BODY" .token)
http POST /api/v1/bindings "${AU[@]}" "${J[@]}" -d '{"subject":"sa:sales/gone","role":"admin","namespace":"sales"}'
http GET /api/v1/flows/sales.reports/daily -H "Authorization: Bearer $GT"
t_is "$STATUS" 200 "the account to delete works before"
http DELETE /api/v1/namespaces/sales/serviceaccounts/gone -H "Authorization: Bearer $T"
t_is "$STATUS" 401 "a revoked token cannot delete an account"
http DELETE /api/v1/namespaces/sales/serviceaccounts/gone "${AU[@]}"
t_is "$STATUS:$(jget "$BODY" .subject)" "200:sa:sales/gone" "delete a service account"
t_is "$(jget "$BODY" .tokensRevoked):$(jget "$BODY" .bindingsDeleted)" "2:1" \
    "the answer counts the tokens and bindings that went with it"
http GET /api/v1/me -H "Authorization: Bearer $GT"
t_is "$STATUS:$(jget "$BODY" .reason)" "401:sa-token-invalid" "its token is refused at once"
http GET /api/v1/flows/sales.reports/daily -H "Authorization: Bearer $GT2"
t_is "$STATUS" 401 "its other token too, on a protected route"
t_is "$(pg_psql -c "SELECT count(*) FROM role_bindings WHERE subject = 'sa:sales/gone'")" 0 \
    "its bindings are deleted"
t_is "$(pg_psql -c "SELECT count(*) FROM sa_tokens t WHERE NOT EXISTS (SELECT 1 FROM service_accounts a WHERE a.id = t.account_id)")" 0 \
    "no token outlives its account"
t_is "$(pg_psql -c "SELECT jsonb_array_length(details->'tokensRevoked') || ',' || jsonb_array_length(details->'bindingsDeleted') FROM audit_log WHERE action = 'sa.delete' AND target = 'sa:sales/gone'")" \
    "2,1" "one audit row names the revoked tokens and deleted bindings"
http POST /api/v1/namespaces/sales/serviceaccounts "${AU[@]}" "${J[@]}" -d '{"name":"gone"}'
http POST /api/v1/namespaces/sales/serviceaccounts/gone/tokens "${AU[@]}" "${J[@]}" -d '{}'
http GET /api/v1/flows/sales.reports/daily -H "Authorization: Bearer $(jget "$BODY" .token)"
t_is "$STATUS" 404 "an account made again under the same name inherits nothing"
http DELETE /api/v1/namespaces/sales/serviceaccounts/gone "${AU[@]}"
http DELETE /api/v1/namespaces/sales/serviceaccounts/gone "${AU[@]}"
t_is "$STATUS" 404 "deleting it twice: 404"
http DELETE /api/v1/namespaces/sales/serviceaccounts/Bad%20Name "${AU[@]}"
t_is "$STATUS" 404 "an invalid name: 404"
t_is "$(pg_psql -c "SELECT count(*) FROM audit_log WHERE action = 'sa.delete'")" 2 \
    "only real deletions are audited"

http DELETE /api/v1/flows/sales.reports/daily "${AU[@]}"
t_is "$STATUS" 204 "delete a flow"
http GET /api/v1/flows/sales.reports/daily "${AU[@]}"
t_is "$STATUS" 404 "a deleted flow is gone"
http POST /api/v1/flows "${AU[@]}" "${Y[@]}" --data-binary @"$PG_TMP/flow2.yaml"
t_is "$STATUS:$(jget "$BODY" .revision)" "200:3" "applying it again revives it as a new revision"

# ---- audit ----
t_is "$(pg_psql -c "SELECT count(*) FROM audit_log WHERE action = 'flow.write' AND result = 'allowed'")" 6 \
    "each stored flow revision is audited"
t_is "$(pg_psql -c "SELECT count(*) > 0 FROM audit_log WHERE result = 'denied' AND reason = 'denied:role-too-low' AND actor = 'sa:sales/ci'")" t \
    "denials are audited with actor and reason"
for action in domain.create binding.create binding.delete sa.create sa.token.create sa.token.revoke sa.delete \
    execution.create execution.kill execution.restart execution.resume flow.delete; do
    t_is "$(pg_psql -c "SELECT count(*) > 0 FROM audit_log WHERE action = '$action'")" t \
        "audit: $action"
done

gw_stop
t_is "$GW_RC" 0 "the gateway stops cleanly"
t_done
