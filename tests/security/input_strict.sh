#!/usr/bin/env bash
# Ambiguous or sloppy input is refused, not guessed at: two Authorization
# headers (a proxy checking one and the gateway using the other would
# disagree), JSON members a route does not know (a mistyped "expiresIn" used
# to mint a token that never expires), members of the wrong type, and the
# requests h2o itself refuses (a body past gateway.max_body, a broken
# Content-Length or chunked body), which must come back as problem+json like
# every other error.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/gateway.sh"

pg_setup
printf 'gateway:\n  max_body: 1KiB\n' >"$PG_TMP/weft.yaml"
gw_start --config "$PG_TMP/weft.yaml" || t_bail "gateway did not start"
gw_admin
curl -sf "${AU[@]}" "${J[@]}" -d '{"name":"sales","namespaces":["sales"]}' "$GW_URL/api/v1/domains" >/dev/null ||
    t_bail "fixture domain"
curl -sf "${AU[@]}" "${J[@]}" -d '{"name":"ci"}' "$GW_URL/api/v1/namespaces/sales/serviceaccounts" >/dev/null ||
    t_bail "fixture service account"

problem() { # STATUS DETAIL-REGEX DESCRIPTION: the last answer is that problem
    t_is "$STATUS:$CTYPE" "$1:application/problem+json" "$3: $1 problem+json"
    t_match "$(jget "$BODY" .detail)" "$2" "$3: the detail says why"
}

# ---- two Authorization headers, in either order ----
http GET /api/v1/me "${AU[@]}" -H 'Authorization: Bearer weft_sa_forged'
problem 400 'more than one Authorization header' "a valid then a forged Authorization"
http GET /api/v1/me -H 'Authorization: Bearer weft_sa_forged' "${AU[@]}"
problem 400 'more than one Authorization header' "a forged then a valid Authorization"
http GET /api/v1/me "${AU[@]}" "${AU[@]}"
problem 400 'more than one Authorization header' "the same credentials twice"
http GET /api/v1/me "${AU[@]}"
t_is "$STATUS" 200 "one Authorization header is served"

# ---- unknown members, on every kind of JSON body ----
TOK=/api/v1/namespaces/sales/serviceaccounts/ci/tokens
http POST "$TOK" "${AU[@]}" "${J[@]}" -d '{"expiresIn": "1s"}'
problem 422 'unknown member "expiresIn".*expiresInSeconds' "token creation with expiresIn"
t_is "$(jget "$BODY" .pointer)" "expiresIn" "the problem points at the member"
t_is "$(pg_psql -c "SELECT count(*) FROM sa_tokens t JOIN service_accounts a ON a.id = t.account_id WHERE a.name = 'ci'")" 0 \
    "no token was minted for the sloppy body"
http POST "$TOK" "${AU[@]}" "${J[@]}" -d '{"expiresInSeconds": "3600"}'
problem 422 '^expiresInSeconds: an integer expected, not a string' "expiresInSeconds as a string"
http POST "$TOK" "${AU[@]}" "${J[@]}" -d '{"expiresInSeconds": 3600, "description": "ci"}'
t_is "$STATUS" 201 "the real field expiresInSeconds is accepted"
t_match "$(jget "$BODY" .expiresAt)" '^[0-9]{4}-' "and the token expires"
t_is "$(pg_psql -c "SELECT count(*) FROM sa_tokens t JOIN service_accounts a ON a.id = t.account_id
                    WHERE a.name = 'ci' AND t.expires_at BETWEEN now() + interval '59 minutes' AND now() + interval '61 minutes'")" 1 \
    "the stored token expires in an hour"

http POST /api/v1/namespaces/sales/serviceaccounts "${AU[@]}" "${J[@]}" -d '{"name":"bot","role":"admin"}'
problem 422 'unknown member "role"' "service account with a role member"
http POST /api/v1/bindings "${AU[@]}" "${J[@]}" -d '{"subject":"sa:sales/ci","role":"viewer","namespace":"sales","expires":"never"}'
problem 422 'unknown member "expires"' "binding with an extra member"
http PUT /api/v1/namespaces/sales/secrets/K "${AU[@]}" "${J[@]}" -d '{"value":"x","ttl":60}'
problem 422 'unknown member "ttl"' "secret with an extra member"
http POST /api/v1/domains "${AU[@]}" "${J[@]}" -d '{"name":"ops","namespaces":["ops"],"quota":1}'
problem 422 'unknown member "quota"' "domain with an extra member"
http POST /api/v1/domains/sales/namespaces "${AU[@]}" "${J[@]}" -d '{"prefix":"sales2","force":true}'
problem 422 'unknown member "force"' "domain prefix with an extra member"
http POST /api/v1/namespaces/sales/grants "${AU[@]}" "${J[@]}" -d '{"flows":["a"],"to":"ops","events":["SUCCESS"],"expiry":1}'
problem 422 'unknown member "expiry"' "grant with an extra member"
http PUT /api/v1/namespaces/sales/policy "${AU[@]}" "${J[@]}" -d '{"maxConcurrency":1}'
problem 422 'unknown policy key' "policy with an unknown key"
http POST /api/v1/bindings "${AU[@]}" "${J[@]}" -d '["subject"]'
problem 422 'must be a JSON object' "a body that is not an object"
# Inputs are a map of the flow's own keys: declared ones pass, others do not.
printf 'id: f\nnamespace: sales\ninputs:\n  - id: who\n    type: STRING\n    defaults: x\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: m\n' |
    curl -sf "${AU[@]}" "${Y[@]}" --data-binary @- "$GW_URL/api/v1/flows" >/dev/null || t_bail "fixture flow"
http POST /api/v1/executions/sales/f "${AU[@]}" "${J[@]}" -d '{"who":"me"}'
t_is "$STATUS" 202 "an execution with a declared input starts"
http POST /api/v1/executions/sales/f "${AU[@]}" "${J[@]}" -d '{"who":"me","whom":"you"}'
t_is "$STATUS:$(jget "$BODY" .errors.0.path)" "422:inputs.whom" "an undeclared input is refused by name"

# ---- what h2o refuses itself comes back as problem+json ----
big=$(head -c 3000 /dev/zero | tr '\0' 'a')
http POST /api/v1/bindings "${AU[@]}" "${J[@]}" -d "{\"subject\":\"$big\"}"
problem 413 'too large|exceeds' "a body three times gateway.max_body"
http POST /api/v1/bindings "${AU[@]}" "${J[@]}" -H 'Content-Length: 104857600' -d '{}'
t_is "$STATUS:$CTYPE" "413:application/problem+json" "a declared 100 MB body: 413 problem+json before it is read"

raw() { # sends a raw HTTP/1.1 request; sets STATUS, CTYPE and BODY from the answer
    local host=${GW_URL#http://} out
    out=$(printf '%b' "$1" | timeout 5 bash -c "exec 3<>/dev/tcp/${host%:*}/${host##*:}; cat >&3; cat <&3")
    STATUS=$(printf '%s' "$out" | head -1 | cut -d' ' -f2)
    CTYPE=$(printf '%s' "$out" | tr -d '\r' | sed -n 's/^[Cc]ontent-[Tt]ype: //p' | head -1)
    BODY=$(printf '%s' "$out" | tr -d '\r' | sed '1,/^$/d')
}
raw 'POST /api/v1/bindings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: abc\r\nConnection: close\r\n\r\n{}'
problem 400 'content-length' "a broken Content-Length"
raw 'POST /api/v1/bindings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n'
problem 400 'chunked' "a broken chunked body"
raw 'POST /api/v1/bindings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip\r\nConnection: close\r\n\r\n{}'
problem 400 'transfer-encoding' "an unknown Transfer-Encoding"

t_done
