#!/usr/bin/env bash
# Grants API and `weft grant` against a real gateway and PostgreSQL: admins of
# the producer namespace create, list and revoke grants; every malformed body
# gets a precise 422 and stores nothing; non-admins, other domains' admins and
# admins of a child namespace are refused; creates and revokes are audited and
# a revoke keeps the row (history).
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/cli.sh"
cli_setup

cli_domain logistics logistics
cli_domain sales sales
ADMIN=$(cli_token logistics admin)
cli_bind sa:logistics/admin admin logistics
CHILD=$(cli_token logistics child)
cli_bind sa:logistics/child admin logistics.shipments.daily
DEV=$(cli_token logistics dev)
cli_bind sa:logistics/dev developer logistics
VIEWER=$(cli_token logistics viewer)
cli_bind sa:logistics/viewer viewer logistics
SALES=$(cli_token sales admin)
cli_bind sa:sales/admin admin sales

G=/api/v1/namespaces/logistics.shipments/grants
count() { pg_psql -c "SELECT count(*) FROM grants"; }
detail() { jq -r .detail <<<"$R"; }

GOOD='{"flows":["daily_shipments"],"to":"sales.reporting","events":["SUCCESS","WARNING"]}'
req "$ADMIN" POST $G "$GOOD"
t_is "$S" 201 "the producer's admin creates a grant"
GID=$(jq -r .id <<<"$R")
t_is "$(jq -c '[.namespace,.domain,.flows,.to,.toDomain,.events,.subflow,.createdBy,.revokedAt]' <<<"$R")" \
    '["logistics.shipments","logistics",["daily_shipments"],"sales.reporting","sales",["SUCCESS","WARNING"],false,"sa:logistics/admin",null]' \
    "the grant as stored"
req "$ADMIN" POST $G '{"flows":["*"],"to":"sales","events":["FAILED"],"subflow":true}'
t_is "$S:$(jq -c '[.flows,.subflow]' <<<"$R")" '201:[["*"],true]' "a wildcard subflow grant"
WID=$(jq -r .id <<<"$R")

# ---- malformed bodies: a precise 422 each, nothing stored ----
n0=$(count)
while IFS='|' read -r body want; do
    req "$ADMIN" POST $G "$body"
    t_is "$S" 422 "refused: $body"
    t_match "$(detail)" "$want" "the error says why: $want"
done <<'CASES'
[]|body must be
{"flows":["a"],"to":"sales","events":["SUCCESS"],"extra":1}|unknown member "extra"
{"to":"sales","events":["SUCCESS"]}|^flows: a list
{"flows":[],"to":"sales","events":["SUCCESS"]}|^flows: a list
{"flows":["Bad Flow"],"to":"sales","events":["SUCCESS"]}|^flows\[0\]: not a flow id
{"flows":["a","*"],"to":"sales","events":["SUCCESS"]}|^flows\[1\]: "\*" stands for every flow
{"flows":["a","a"],"to":"sales","events":["SUCCESS"]}|^flows\[1\]: a is listed twice
{"flows":["a"],"events":["SUCCESS"]}|^to: the consumer namespace
{"flows":["a"],"to":"Sales..x","events":["SUCCESS"]}|^to: the consumer namespace
{"flows":["a"],"to":"marketing","events":["SUCCESS"]}|^to: namespace marketing is owned by no domain
{"flows":["a"],"to":"sales"}|^events: a list of terminal states
{"flows":["a"],"to":"sales","events":["RUNNING"]}|^events\[0\]: "RUNNING" is not a terminal state
{"flows":["a"],"to":"sales","events":[3]}|^events\[0\]: a non-string is not a terminal state
{"flows":["a"],"to":"sales","events":["SUCCESS","SUCCESS"]}|^events\[1\]: SUCCESS is listed twice
{"flows":["a"],"to":"sales","events":["SUCCESS"],"subflow":"yes"}|^subflow: true or false
CASES
t_is "$(count)" "$n0" "no refused body stored anything"
req "$ADMIN" POST /api/v1/namespaces/unowned/grants "$GOOD"
t_is "$S" 404 "a namespace the caller cannot see looks absent"
PLAT=$(cli_token weft platform)
cli_bind sa:weft/platform platform-admin ''
req "$PLAT" POST /api/v1/namespaces/unowned/grants "$GOOD"
t_is "$S:$(detail)" "422:namespace unowned is owned by no domain" "a producer namespace without a domain"

# ---- who may grant ----
req "$DEV" POST $G "$GOOD"
t_is "$S:$(jq -r .reason <<<"$R")" "403:denied:role-too-low" "a developer of the producer cannot grant"
req "$VIEWER" POST $G "$GOOD"
t_is "$S" 403 "a viewer cannot grant"
req "$SALES" POST $G "$GOOD"
t_is "$S" 404 "the consumer's admin cannot grant itself access (producer hidden)"
req "$CHILD" POST $G "$GOOD"
t_is "$S" 404 "an admin of a child namespace cannot grant on the parent (it cannot see it)"
req "$CHILD" POST /api/v1/namespaces/logistics.shipments.daily/grants "$GOOD"
t_is "$S" 201 "but may grant on its own namespace"
CID=$(jq -r .id <<<"$R")
t_is "$(count)" "$((n0 + 1))" "refused grants stored nothing"

# ---- list ----
req "$VIEWER" GET $G
t_is "$S:$(jq -c '[.results[].id]' <<<"$R")" "200:[$GID,$WID,$CID]" "a viewer lists the grants on and below"
req "$SALES" GET $G
t_is "$S" 404 "another domain's admin cannot list them"

# ---- revoke ----
req "$CHILD" DELETE /api/v1/namespaces/logistics.shipments.daily/grants/$GID
t_is "$S" 404 "an admin of a child cannot revoke a grant of its parent"
req "$DEV" DELETE $G/$GID
t_is "$S" 403 "a developer cannot revoke"
req "$ADMIN" DELETE $G/$GID
t_is "$S" 204 "the admin revokes"
req "$ADMIN" DELETE $G/$GID
t_is "$S:$(detail)" "409:grant $GID is already revoked" "revoking twice says so"
req "$ADMIN" DELETE $G/999999
t_is "$S" 404 "an unknown grant"
req "$ADMIN" DELETE $G/abc
t_is "$S" 404 "a malformed id"
req "$ADMIN" GET $G
t_is "$(jq -c --argjson id "$GID" '.results[] | select(.id == $id) | [(.revokedAt != null), .revokedBy]' <<<"$R")" \
    '[true,"sa:logistics/admin"]' "the revoked grant stays, with when and who"

# ---- audit ----
t_is "$(pg_psql -c "SELECT string_agg(action || ' ' || target || ' ' || result || ' ' || actor, ',' ORDER BY seq)
    FROM audit_log WHERE action LIKE 'grant.%' AND result = 'allowed'")" \
    "grant.create grant:$GID allowed sa:logistics/admin,grant.create grant:$WID allowed sa:logistics/admin,grant.create grant:$CID allowed sa:logistics/child,grant.revoke grant:$GID allowed sa:logistics/admin" \
    "creates and the revoke are audited once each"
t_is "$(pg_psql -c "SELECT details->>'to' || ' ' || (details->'events')::text FROM audit_log
    WHERE action = 'grant.create' AND target = 'grant:$GID'")" 'sales.reporting ["SUCCESS", "WARNING"]' \
    "the audit entry says what was shared with whom"
t_ok "denials are audited" test "$(pg_psql -c "SELECT count(*) FROM audit_log WHERE result = 'denied'
    AND namespace = 'logistics.shipments'")" -ge 3

# ---- weft grant ----
cli_run OUT with_token "$ADMIN" grant create logistics.shipments --to sales.reporting \
    --flows daily_shipments,weekly --events SUCCESS,FAILED
t_is "$OUT_RC" 0 "weft grant create"
t_match "$OUT" "^granted  logistics.shipments -> sales.reporting  id [0-9]+$" "it prints the id"
NID=${OUT##* }
cli_run OUT with_token "$ADMIN" grant list logistics.shipments -o json
t_is "$(jq -c --argjson id "$NID" '.[] | select(.id == $id) | [.flows, .events, .subflow]' <<<"$OUT")" \
    '[["daily_shipments","weekly"],["SUCCESS","FAILED"],false]' "weft grant list -o json"
cli_run OUT with_token "$ADMIN" grant list logistics.shipments
t_match "$OUT" "$NID +logistics.shipments +daily_shipments,weekly +sales.reporting +SUCCESS,FAILED +no" "the table"
cli_run OUT with_token "$ADMIN" grant create logistics.shipments --to sales --flows x --events RUNNING
t_is "$OUT_RC" 1 "a refused grant exits 1"
t_match "$OUT_ERR" "RUNNING.* is not a terminal state" "with the server's reason"
cli_run OUT with_token "$ADMIN" grant create logistics.shipments --to sales
t_is "$OUT_RC" 2 "--flows is required"
cli_run OUT with_token "$DEV" grant revoke logistics.shipments "$NID"
t_is "$OUT_RC" 1 "a developer cannot revoke with weft either"
cli_run OUT with_token "$ADMIN" grant revoke logistics.shipments "$NID"
t_is "$OUT_RC:$OUT" "0:revoked  grant $NID of logistics.shipments" "weft grant revoke"
t_done
