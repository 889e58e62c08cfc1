#!/usr/bin/env bash
# Idempotency-Key on POST /api/v1/executions/{namespace}/{flowId}: a retry
# with the same key answers with the first execution (its status and body,
# plus Idempotent-Replayed: true) instead of starting a second; concurrent
# duplicates start one execution; the same key with another body is 422;
# keys are per namespace and flow; malformed keys are 400; a key older than
# 24 hours starts a new execution; `weft run --idempotency-key` does the
# same from the client.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/cli.sh"
cli_setup

cli_domain sales sales
cli_admin
for f in one two; do
    req "$WEFT_TOKEN" POST /api/v1/flows "id: $f
namespace: sales.jobs
inputs:
  - id: who
    type: STRING
    defaults: world
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: \"hello {{ inputs.who }}\"" application/x-yaml
    [ "$S" = 200 ] || [ "$S" = 201 ] || t_bail "cannot apply flow $f: $S $R"
done
count() { pg_psql -c "SELECT count(*) FROM executions WHERE flow_id = '${1:-one}'"; }

# post KEY BODY [FLOW]: one start with KEY (none when empty); status in S,
# body in R, the Idempotent-Replayed header's value in REPLAYED.
post() {
    local h out
    h=$(mktemp "$CLI_TMP/h.XXXXXX")
    out=$(curl -s -D "$h" -w '\n%{http_code}' -X POST -H "Authorization: Bearer $WEFT_TOKEN" \
        -H 'Content-Type: application/json' ${1:+-H "Idempotency-Key: $1"} --data-binary "$2" \
        "$WEFT_URL/api/v1/executions/sales.jobs/${3:-one}")
    S=${out##*$'\n'}
    R=${out%$'\n'*}
    REPLAYED=$(tr -d '\r' <"$h" | sed -n 's/^[Ii]dempotent-[Rr]eplayed: *//p')
    rm -f "$h"
}

# ---- the same key twice: one execution, the first answer again ----
post k-1 '{"who":"ann"}'
t_is "$S" 202 "first request with a key: 202"
t_is "$REPLAYED" "" "not marked as a replay"
first=$R
E1=$(jq -r .id <<<"$R")
post k-1 '{"who":"ann"}'
t_is "$S" 202 "the retry: the first request's status"
t_is "$(jq -r .id <<<"$R")" "$E1" "the retry: the same execution id"
t_is "$(jq -cS . <<<"$R")" "$(jq -cS . <<<"$first")" "the retry: the first request's body"
t_is "$REPLAYED" true "the retry carries Idempotent-Replayed: true"
t_is "$(count)" 1 "one execution for the two requests"

# ---- the same key with other inputs ----
post k-1 '{"who":"bob"}'
t_is "$S" 422 "the same key with another body: 422"
t_match "$(jq -r .detail <<<"$R")" "^Idempotency-Key reused with different inputs" \
    "the problem says the key was reused with different inputs"
t_is "$(jq -r .executionId <<<"$R")" "$E1" "and names the execution the key stands for"
t_is "$(count)" 1 "no execution for the refused request"

# ---- different keys, another flow, no key ----
post k-2 '{"who":"ann"}'
t_is "$S" 202 "another key: 202"
t_fails "another key: another execution" test "$(jq -r .id <<<"$R")" = "$E1"
t_is "$(count)" 2 "two keys, two executions"
post k-1 '{"who":"ann"}' two
t_is "$S" 202 "the same key on another flow: 202"
t_is "$REPLAYED" "" "keys are per flow: not a replay"
t_is "$(count two)" 1 "the other flow has its own execution"
post "" '{"who":"ann"}'
post "" '{"who":"ann"}'
t_is "$(count)" 4 "without a key every request starts an execution"

# ---- malformed keys ----
post "$(printf 'k%.0s' $(seq 1 256))" '{}'
t_is "$S" 400 "a key of 256 characters: 400"
t_match "$(jq -r .detail <<<"$R")" "1 to 255 printable ASCII characters" "the problem names the rule"
post "$(printf 'k%.0s' $(seq 1 255))" '{}'
t_is "$S" 202 "a key of 255 characters is accepted"
post "$(printf 'caf\xc3\xa9')" '{}'
t_is "$S" 400 "a key with non-ASCII bytes: 400"
out=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $WEFT_TOKEN" \
    -H 'Content-Type: application/json' -H 'Idempotency-Key: a' -H 'Idempotency-Key: b' \
    --data-binary '{}' "$WEFT_URL/api/v1/executions/sales.jobs/one")
t_is "$out" 400 "two Idempotency-Key headers: 400"
before=$(count)
post k-bad '{"who":'
t_is "$(count)" "$before" "a malformed body with a key starts nothing"

# ---- concurrent duplicates: ten at once, one execution ----
before=$(count)
pids=()
for i in $(seq 1 10); do
    curl -s -o "$CLI_TMP/par.$i" -X POST -H "Authorization: Bearer $WEFT_TOKEN" \
        -H 'Content-Type: application/json' -H 'Idempotency-Key: burst' \
        --data-binary '{"who":"many"}' "$WEFT_URL/api/v1/executions/sales.jobs/one" &
    pids+=($!)
done
wait "${pids[@]}" # not a bare wait: PostgreSQL and the gateway are children too
t_is "$(count)" "$((before + 1))" "ten concurrent requests with one key: one execution"
t_is "$(cat "$CLI_TMP"/par.* | jq -r .id | sort -u | wc -l)" 1 "all ten answered with its id"
t_is "$(pg_psql -c "SELECT count(*) FROM idempotency_keys WHERE key = 'burst'")" 1 "one key row"

# ---- ?wait on a replay waits on the first execution ----
post k-wait '{}'
EW=$(jq -r .id <<<"$R")
R=$(curl -s -X POST -H "Authorization: Bearer $WEFT_TOKEN" -H 'Content-Type: application/json' \
    -H 'Idempotency-Key: k-wait' --data-binary '{}' \
    "$WEFT_URL/api/v1/executions/sales.jobs/one?wait=0")
t_is "$(jq -r .id <<<"$R")" "$EW" "?wait=0 on a replay: the same execution"

# ---- a key past 24 hours starts a new execution ----
pg_psql -c "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'k-1'
            AND flow_id = 'one'" >/dev/null
post k-1 '{"who":"bob"}'
t_is "$S" 202 "an expired key with another body: 202, a new execution"
E2=$(jq -r .id <<<"$R")
t_fails "the expired key's retry is a new execution" test "$E2" = "$E1"
t_is "$REPLAYED" "" "not a replay"
t_is "$(pg_psql -c "SELECT execution_id FROM idempotency_keys WHERE key = 'k-1' AND flow_id = 'one'")" \
    "$E2" "the key now stands for the new execution"
post k-1 '{"who":"bob"}'
t_is "$(jq -r .id <<<"$R")" "$E2" "and its retries answer with it"
# Expired keys of other requests are swept after a keyed creation.
pg_psql -c "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'k-2'" \
    >/dev/null
post k-sweep '{}'
for i in $(seq 1 50); do
    [ "$(pg_psql -c "SELECT count(*) FROM idempotency_keys WHERE key = 'k-2'")" = 0 ] && break
    sleep 0.1
done
t_is "$(pg_psql -c "SELECT count(*) FROM idempotency_keys WHERE key = 'k-2'")" 0 \
    "an expired key is deleted by a later creation's sweep"
t_is "$(pg_psql -c "SELECT count(*) FROM executions WHERE id = '$E1'")" 1 \
    "the sweep leaves the executions alone"

# ---- weft run --idempotency-key ----
before=$(count)
cli_run a weft run sales.jobs one --input who=cli --idempotency-key cli-key
t_is "$a_RC" 0 "weft run --idempotency-key: exit 0"
cli_run b weft run sales.jobs one --input who=cli --idempotency-key cli-key
t_is "$b_RC" 0 "run again with the same key: exit 0"
t_is "$b" "$a" "run again with the same key: the same execution id"
t_is "$(count)" "$((before + 1))" "two runs with one key: one execution"
cli_run c weft run sales.jobs one --input who=other --idempotency-key cli-key
t_is "$c_RC" 1 "the same key with other inputs: exit 1"
t_match "$c_ERR" "Idempotency-Key reused with different inputs" "with the server's reason"
cli_run d weft run sales.jobs one --idempotency-key "$(printf 'a\tb')"
t_is "$d_RC" 2 "a key with a control character: usage error, exit 2"
t_match "$d_ERR" "1 to 255 printable ASCII characters" "naming the rule"

# ---- the OpenAPI document names the header ----
req "$WEFT_TOKEN" GET /api/v1/openapi.json
t_is "$(jq -r '.paths["/api/v1/executions/{namespace}/{flowId}"].post.parameters[]
    | select(.in == "header") | .name' <<<"$R")" Idempotency-Key "OpenAPI: the header is documented"

t_done
