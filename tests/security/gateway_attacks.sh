#!/usr/bin/env bash
# Attacks on the gateway over real HTTP, each asserting the refusal: the whole
# JWT battery of the independent jose peer sent as bearer tokens, service-
# account token forgeries, credentials outside the Authorization header,
# webhook key guessing, probing hidden namespaces, privilege escalation
# through bindings, hostile bodies and paths.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/gateway.sh"

. "$WF_SRCDIR/tests/lib/node.sh"
node_setup || t_bail "npm package jose is missing (scripts/deps.sh --test)"

pg_setup
node "$NODE_LIB/oidc_peer.mjs" "$PG_TMP/peer.port" 2>"$PG_TMP/peer.err" &
peer=$!
for _ in $(seq 1 100); do [ -s "$PG_TMP/peer.port" ] && break; sleep 0.1; done
[ -s "$PG_TMP/peer.port" ] || t_bail "OIDC peer did not start: $(cat "$PG_TMP/peer.err")"
IDP="http://127.0.0.1:$(cat "$PG_TMP/peer.port")"
# The battery fails to authenticate far more often than the per-address
# limit allows (audit_flood.sh tests the limit itself).
cat >"$PG_TMP/weft.yaml" <<EOF
gateway:
  auth_failure_limit: 100000
auth:
  oidc:
    - issuer: $IDP/a
      audience: weft
    - issuer: $IDP/b
      audience: weft
      jwks_uri: $IDP/b/jwks
EOF
gw_start --config "$PG_TMP/weft.yaml" || t_bail "gateway did not start"
trap 'kill $peer 2>/dev/null; wait $peer 2>/dev/null; _gw_cleanup' EXIT
ADMIN=$(gw_mint_token weft admin)
gw_bind sa:weft/admin platform-admin ''
A=(-H "Authorization: Bearer $ADMIN")
J=(-H 'Content-Type: application/json')
curl -sf "${A[@]}" "${J[@]}" -d '{"name":"sales","namespaces":["sales"]}' "$GW_URL/api/v1/domains" >/dev/null
curl -sf "${A[@]}" "${J[@]}" -d '{"name":"logistics","namespaces":["logistics"]}' "$GW_URL/api/v1/domains" >/dev/null
printf 'id: f\nnamespace: logistics.secret\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: m\ntriggers:\n  - id: hook\n    type: io.kestra.plugin.core.trigger.Webhook\n    key: Kq8dT2vYx9LmN4pR7sW1\n  - id: off\n    type: io.kestra.plugin.core.trigger.Webhook\n    key: disabledKey123456789\n    disabled: true\n' |
    curl -sf "${A[@]}" -H 'Content-Type: application/x-yaml' --data-binary @- "$GW_URL/api/v1/flows" >/dev/null ||
    t_bail "fixture flow"
printf 'id: g\nnamespace: sales.team\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: m\n' |
    curl -sf "${A[@]}" -H 'Content-Type: application/x-yaml' --data-binary @- "$GW_URL/api/v1/flows" >/dev/null
HIDDEN_EX=$(curl -sf "${A[@]}" -X POST "$GW_URL/api/v1/executions/logistics.secret/f" | sed 's/.*"id":"\([^"]*\)".*/\1/')

# ---- the JWT battery through HTTP ----
ok_cases=0 refused=0
for c in $(curl -s "$IDP/cases" | tr -d '[]"' | tr ',' ' '); do
    tok=$(curl -s "$IDP/mint/$c")
    http GET /api/v1/me -H "Authorization: Bearer $tok"
    case $c in
    ok-custom-groups-claim | ok-rsa-2)
        continue ;; # another groups_claim / a key published later (rotation below)
    ok-*)
        t_is "$STATUS" 200 "JWT $c is accepted"
        ok_cases=$((ok_cases + 1)) ;;
    *)
        t_is "$STATUS:$CTYPE" "401:application/problem+json" "JWT $c is refused with 401 ($(jget "$BODY" .reason))"
        refused=$((refused + 1)) ;;
    esac
done
t_diag "JWT battery over HTTP: $ok_cases accepted, $refused refused"

tok=$(curl -s "$IDP/mint/ok-rs256")
http GET /api/v1/me -H "Authorization: Bearer $tok"
t_is "$(jget "$BODY" .subject)" "user:alice" "an OIDC user is user:<sub>"
t_is "$(jget "$BODY" .groups)" '["team-sales","ops"]' "with the groups of the token"
http GET /api/v1/flows/sales.team/g -H "Authorization: Bearer $tok"
t_is "$STATUS" 404 "alice has no binding yet: the flow is hidden"
gw_bind group:team-sales viewer sales
http GET /api/v1/flows/sales.team/g -H "Authorization: Bearer $tok"
t_is "$STATUS" 200 "a binding on her group lets her read"
t_match "$(curl -s -D - -o /dev/null "$GW_URL/api/v1/me?access_token=$tok" | tr A-Z a-z)" \
    "^http/1.1 401.*www-authenticate: bearer" "a token in the query string is ignored: 401"
http GET /api/v1/me -H "Authorization: bearer $tok"
t_is "$STATUS" 200 "the scheme is case-insensitive"
http GET /api/v1/me -H "Authorization: Basic $(printf 'alice:%s' "$tok" | base64 -w0)"
t_is "$STATUS" 401 "Basic credentials: 401"
http GET /api/v1/me -H "Cookie: token=$tok"
t_is "$STATUS" 401 "a token in a cookie: 401"

# key rotation: a key published later is accepted without restart
tok2=$(curl -s "$IDP/mint/ok-rsa-2")
http GET /api/v1/me -H "Authorization: Bearer $tok2"
t_is "$STATUS" 401 "a key not yet in the JWKS: 401"
curl -s "$IDP/control/rotate" >/dev/null
got=
for _ in $(seq 1 60); do
    http GET /api/v1/me -H "Authorization: Bearer $tok2"
    [ "$STATUS" = 200 ] && { got=1; break; }
    sleep 0.25
done
t_is "${got:-0}" 1 "after rotation the new key is accepted without restart"

# ---- service-account tokens ----
T=$(gw_mint_token sales.team bot)
gw_bind sa:sales.team/bot viewer sales.team
http GET /api/v1/me -H "Authorization: Bearer $T"
t_is "$STATUS" 200 "a valid service-account token"
flip=${T:0:20}$([ "${T:20:1}" = A ] && echo B || echo A)${T:21}
http GET /api/v1/me -H "Authorization: Bearer $flip"
t_is "$STATUS" 401 "a token with one character changed: 401"
http GET /api/v1/me -H "Authorization: Bearer ${T:0:40}"
t_is "$STATUS" 401 "a truncated token: 401"
http GET /api/v1/me -H "Authorization: Bearer ${T}A"
t_is "$STATUS" 401 "a token with a character appended: 401"
http GET /api/v1/me -H "Authorization: Bearer weft_sa_$(head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=')"
t_is "$STATUS" 401 "a well-formed token nobody issued: 401"
http GET /api/v1/me -H "Authorization: Bearer weft_sa_' OR '1'='1' --"
t_is "$STATUS" 401 "SQL in a token: 401"
http GET /api/v1/me -H "Authorization: Bearer $(printf 'weft_sa_%0400d' 0)"
t_is "$STATUS" 401 "an overlong token: 401"
http GET /api/v1/me -H "Authorization: Bearer $(head -c 20000 /dev/zero | tr '\0' a)"
t_match "$STATUS" "^(401|431|400)$" "a 20 kB credential is refused"
t_is "$(pg_psql -c "SELECT count(*) FROM service_accounts")" "$(pg_psql -c "SELECT count(*) FROM service_accounts")" \
    "the database is intact after the injection attempt"
pg_psql -c "UPDATE sa_tokens SET expires_at = now() - interval '1 second' WHERE account_id = (SELECT id FROM service_accounts WHERE name = 'bot')"
http GET /api/v1/me -H "Authorization: Bearer $T"
t_is "$STATUS:$(jget "$BODY" .reason)" "401:sa-token-invalid" "an expired service-account token: 401"
pg_psql -c "UPDATE sa_tokens SET expires_at = NULL, revoked_at = now() WHERE account_id = (SELECT id FROM service_accounts WHERE name = 'bot')"
http GET /api/v1/me -H "Authorization: Bearer $T"
t_is "$STATUS" 401 "a revoked service-account token: 401"
t_fails "no response or log line contains a token" grep -q "weft_sa_" "$GW_LOG"

# ---- hidden namespaces look absent ----
B=$(gw_mint_token sales.team dev)
gw_bind sa:sales.team/dev developer sales.team
BT=(-H "Authorization: Bearer $B")
http GET /api/v1/flows/logistics.secret/f "${BT[@]}"
hidden="$STATUS $BODY"
http GET /api/v1/flows/logistics.nothing/f "${BT[@]}"
t_is "$hidden" "$STATUS $BODY" "an existing flow in a hidden namespace looks exactly like a missing one"
http GET "/api/v1/executions/$HIDDEN_EX" "${BT[@]}"
hidden="$STATUS $BODY"
http GET /api/v1/executions/AAAAAAAAAAAAAAAAAAAAAA "${BT[@]}"
t_is "$hidden" "$STATUS $BODY" "an execution of a hidden namespace looks like a missing one"
http POST "/api/v1/executions/$HIDDEN_EX/kill" "${BT[@]}"
t_is "$STATUS" 404 "killing another team's execution: 404"
t_is "$(pg_psql -c "SELECT state FROM executions WHERE id = '$HIDDEN_EX'")" CREATED "... and it was not touched"
http GET "/api/v1/flows?namespace=logistics" "${BT[@]}"
t_is "$STATUS" 404 "listing another team's flows: 404"
http GET "/api/v1/flows?namespace=sales" "${BT[@]}"
t_is "$STATUS" 404 "listing a parent namespace one cannot see: 404"

# ---- escalation through bindings and accounts ----
http POST /api/v1/bindings "${BT[@]}" "${J[@]}" -d '{"subject":"sa:sales.team/dev","role":"admin","namespace":"sales.team"}'
t_is "$STATUS" 403 "a developer cannot make itself admin"
C=$(gw_mint_token sales.team boss)
gw_bind sa:sales.team/boss admin sales.team
CT=(-H "Authorization: Bearer $C")
http POST /api/v1/bindings "${CT[@]}" "${J[@]}" -d '{"subject":"sa:sales.team/boss","role":"admin","namespace":"sales"}'
t_is "$STATUS" 404 "an admin cannot bind on the parent namespace"
http POST /api/v1/bindings "${CT[@]}" "${J[@]}" -d '{"subject":"sa:sales.team/boss","role":"platform-admin"}'
t_is "$STATUS:$(jget "$BODY" .reason)" "403:denied:global-role-platform-only" "nor grant a platform role"
http POST /api/v1/bindings "${CT[@]}" "${J[@]}" -d '{"subject":"sa:sales.team/dev","role":"viewer","namespace":"logistics"}'
t_is "$STATUS" 404 "nor bind in another domain"
lb=$(pg_psql -c "INSERT INTO role_bindings (subject, role, namespace, created_by) VALUES ('user:x', 'admin', 'logistics', 't') RETURNING id" | head -1)
http DELETE "/api/v1/bindings/$lb" "${CT[@]}"
t_is "$STATUS" 404 "nor delete another domain's binding"
t_is "$(pg_psql -c "SELECT count(*) FROM role_bindings WHERE id = $lb")" 1 "... which is still there"
http POST /api/v1/namespaces/logistics/serviceaccounts "${CT[@]}" "${J[@]}" -d '{"name":"mole"}'
t_is "$STATUS" 404 "nor create a service account elsewhere"
http POST /api/v1/bindings "${CT[@]}" "${J[@]}" -d '{"subject":"sa:sales.team/dev","role":"admin","namespace":"sales.team.sub"}'
t_is "$STATUS" 201 "an admin may grant up to its own role below its namespace"
http POST /api/v1/domains "${CT[@]}" "${J[@]}" -d '{"name":"evil","namespaces":["sales"]}'
t_is "$STATUS" 403 "a namespace admin cannot create domains"
http GET "/api/v1/auth/can-i?action=flow.read&namespace=logistics&as=user:x" "${BT[@]}"
t_is "$STATUS" 404 "can-i on behalf of others in a hidden namespace: 404"

# ---- webhooks ----
wh=/api/v1/executions/webhook/logistics.secret/f
http POST "$wh/wrong"
miss="$STATUS $BODY"
t_is "$STATUS" 404 "a wrong webhook key: 404"
http POST /api/v1/executions/webhook/logistics.secret/nosuch/Kq8dT2vYx9LmN4pR7sW1
t_is "$miss" "$STATUS $BODY" "... the same answer as a missing flow"
for k in Kq8dT2vYx9LmN4pR7sW Kq8dT2vYx9LmN4pR7sW1x kq8dT2vYx9LmN4pR7sW1 disabledKey123456789 \
    "Kq8dT2vYx9LmN4pR7sW1%00" "Kq8dT2vYx9LmN4pR7sW1%00junk" "Kq8dT2vYx9LmN4pR7sW1%0a"; do
    http POST "$wh/$k"
    t_is "$STATUS" 404 "webhook key variant '$k' is refused"
done
http POST "$wh/wrong" "${A[@]}"
t_is "$STATUS" 404 "a platform-admin token does not replace the key"
http POST "/api/v1/executions/webhook/logistics.secret/f/Kq8dT2vYx9LmN4pR7sW1?x=1"
t_is "$STATUS" 202 "the right key starts the flow"
t_is "$(pg_psql -c "SELECT count(*) FROM executions WHERE started_by LIKE 'webhook:%'")" 1 \
    "exactly one execution came from all these webhook calls"

# ---- hostile input ----
http POST /api/v1/bindings "${A[@]}" "${J[@]}" -d '{"subject":"user:a","subject":"user:b","role":"viewer","namespace":"sales"}'
t_is "$STATUS" 400 "JSON with a duplicate key: 400"
deep=$(printf '%.0s[' $(seq 1 3000))
http POST /api/v1/bindings "${A[@]}" "${J[@]}" -d "$deep"
t_is "$STATUS" 400 "deeply nested JSON: 400"
http POST /api/v1/bindings "${A[@]}" -H 'Content-Type: text/plain' -d '{}'
t_is "$STATUS" 415 "JSON sent as text/plain: 415"
laughs=$'id: lol\nnamespace: sales\na: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ntasks: []\n'
http POST /api/v1/flows "${A[@]}" -H 'Content-Type: application/x-yaml' --data-binary "$laughs"
t_is "$STATUS" 422 "a YAML alias bomb: 422"
http POST /api/v1/flows "${A[@]}" -H 'Content-Type: application/x-yaml' --data-binary $'id: a\x00b\nnamespace: sales\n'
t_is "$STATUS" 422 "a NUL byte in YAML: 422"
http GET "/api/v1/flows/sales.team/..%2f..%2fhealthz" "${A[@]}"
t_is "$STATUS" 404 "an encoded path traversal in an id: 404"
http GET "/api/v1/flows/sales.team%27%3B%20DROP%20TABLE%20flows%3B--/g" "${A[@]}"
t_is "$STATUS" 404 "SQL in a namespace: 404"
t_is "$(pg_psql -c "SELECT to_regclass('public.flows') IS NOT NULL")" t "the flows table is still there"
http GET /healthz
t_is "$STATUS" 200 "the gateway survived every attack"

gw_stop
t_is "$GW_RC" 0 "and stops cleanly"
t_done
