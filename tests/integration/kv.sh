#!/usr/bin/env bash
# The namespace key-value store end to end (issue 15, item 5): the API sets,
# reads, lists and deletes typed values with expiry; viewers read, developers
# write, another team sees nothing; domain B's executor role reads none of
# A's keys; flows write and read keys with the kv tasks and kv(); a value
# derived from a secret is refused; the client's verbs.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/cli.sh"
. "$WF_SRCDIR/tests/lib/executor.sh"
cli_need_executor
cli_setup

cli_domain sales sales
cli_domain ops ops
cli_admin
DEV=$(cli_token sales dev)
cli_bind sa:sales/dev developer sales
VIEW=$(cli_token sales viewer)
cli_bind sa:sales/viewer viewer sales
OPS=$(cli_token ops dev)
cli_bind sa:ops/dev developer ops

# kv TOKEN METHOD PATH [BODY [HEADER...]]: status in S, body in R.
kv() {
    local tok=$1 m=$2 p=$3 body=${4-} out
    shift 3
    [ $# -gt 0 ] && shift
    local args=()
    for h in "$@"; do args+=(-H "$h"); done
    if [ -n "$body" ]; then args+=(--data-binary "$body"); fi
    out=$(curl -s -w '\n%{http_code}' -X "$m" -H "Authorization: Bearer $tok" "${args[@]}" \
        "$WEFT_URL/api/v1/namespaces/$p")
    S=${out##*$'\n'}
    R=${out%$'\n'*}
}

# ---- the API ---------------------------------------------------------------
kv "$DEV" PUT sales/kv/greeting '"hello"' 'Content-Type: application/json'
t_is "$S" 200 "a developer sets a string"
t_is "$(jx "$R" d.type)" STRING "typed STRING from the JSON text"
kv "$DEV" PUT sales/kv/count '42' 'Content-Type: application/json'
t_is "$(jx "$R" d.type)" NUMBER "42 is a NUMBER"
kv "$DEV" PUT sales/kv/flag 'true' 'Content-Type: text/plain'
t_is "$(jx "$R" d.type)" BOOLEAN "true sent as text is a BOOLEAN"
kv "$DEV" PUT sales/kv/conf '{"a":[1,2]}' 'Content-Type: application/json'
t_is "$(jx "$R" d.type)" JSON "an object is JSON"
kv "$DEV" PUT sales/kv/when '2026-01-02T03:04:05Z' 'Content-Type: text/plain'
t_is "$(jx "$R" d.type)" DATETIME "an ISO date-time sent as text is a DATETIME"
kv "$DEV" PUT sales/kv/day '"2026-01-02"' 'Content-Type: application/json'
t_is "$(jx "$R" d.type)" DATE "an ISO date is a DATE"
kv "$DEV" PUT sales/kv/wait '"PT5M"' 'Content-Type: application/json'
t_is "$(jx "$R" d.type)" DURATION "an ISO duration is a DURATION"
kv "$DEV" PUT sales/kv/zip '"01234"' 'Content-Type: application/json' 'kv-type: STRING' 'kv-description: a code'
t_is "$S:$(jx "$R" d.type):$(jx "$R" d.description)" "200:STRING:a code" "kv-type and kv-description headers"
kv "$DEV" PUT sales/kv/n2 '"12.5"' 'Content-Type: application/json' 'kv-type: NUMBER'
kv "$DEV" GET sales/kv/n2
t_is "$(jx "$R" d.value):$(jx "$R" d.type)" "12.5:NUMBER" "kv-type NUMBER parses a string"
kv "$DEV" PUT sales/kv/bad '"abc"' 'Content-Type: application/json' 'kv-type: NUMBER'
t_is "$S" 422 "a value that is not of the asked type is refused"
t_match "$R" "is not a NUMBER value" "saying why"

kv "$VIEW" GET sales/kv/conf
t_is "$S" 200 "a viewer reads a value"
t_is "$(jx "$R" 'd.value.a[1]')" 2 "the JSON value comes back as JSON"
kv "$VIEW" GET sales/kv/count
t_is "$(jx "$R" d.value)" 42 "the number comes back as a number"
kv "$VIEW" GET sales/kv
t_is "$S" 200 "a viewer lists the keys"
t_is "$(jx "$R" 'd.results.map(e => e.key).join(",")')" "conf,count,day,flag,greeting,n2,wait,when,zip" \
    "every key, in order"
t_fails "the list carries no value" grep -q hello <<<"$R"

kv "$VIEW" PUT sales/kv/greeting '"nope"' 'Content-Type: application/json'
t_is "$S" 403 "a viewer cannot set a key"
kv "$VIEW" DELETE sales/kv/greeting
t_is "$S" 403 "nor delete one"
kv "$OPS" GET sales/kv/greeting
t_is "$S" 404 "another team cannot read sales' KV"
kv "$OPS" GET sales/kv
t_is "$S" 404 "nor list it"
kv "$OPS" PUT sales/kv/greeting '"x"' 'Content-Type: application/json'
t_is "$S" 404 "nor write it"
kv "$DEV" GET sales/kv/greeting
t_is "$(jx "$R" d.value)" hello "the value is unchanged"

kv "$DEV" PUT 'sales/kv/.dot' '"x"' 'Content-Type: application/json'
t_is "$S" 422 "a key breaking the syntax is refused"
t_match "$R" "a KV key is" "with the rule"
kv "$DEV" PUT sales/kv/empty ' ' 'Content-Type: text/plain'
t_is "$S" 422 "an empty value is refused"
kv "$DEV" PUT sales/kv/t '"x"' 'Content-Type: application/json' 'ttl: forever'
t_is "$S" 422 "a malformed ttl is refused"

kv "$DEV" PUT sales/kv/short '"soon gone"' 'Content-Type: application/json' 'ttl: PT1S'
t_is "$S" 200 "a value with a ttl is stored"
t_ok "with its expiration date" test "$(jx "$R" d.expirationDate)" != null
kv "$DEV" GET sales/kv/short
t_is "$S" 200 "it reads before it expires"
sleep 1.5
kv "$DEV" GET sales/kv/short
t_is "$S" 404 "and is gone after its ttl"
kv "$DEV" GET sales/kv
t_fails "an expired key is not listed" grep -q '"short"' <<<"$R"

kv "$DEV" DELETE sales/kv/zip
t_is "$S" 204 "a developer deletes a key"
kv "$DEV" DELETE sales/kv/zip
t_is "$S" 404 "a deleted key is gone"

audit=$(pg_psql -c "SELECT string_agg(action || ' ' || target || ' ' || details::text, E'\n' ORDER BY seq) FROM audit_log WHERE action LIKE 'kv.%'")
t_match "$audit" "kv.set kv:sales/greeting" "writes are audited"
t_match "$audit" "kv.delete kv:sales/zip" "deletes too"
t_fails "the audit log carries no value" grep -q hello <<<"$audit"

# ---- row-level security ----------------------------------------------------
kv "$OPS" PUT ops/kv/opskey '"ops-private"' 'Content-Type: application/json'
t_is "$S" 200 "ops sets a key in its own namespace"
S_URL=${WEFT_DATABASE_URL/user=weft/user=weft_domain_sales}
as_sales() { psql -XAtq -v ON_ERROR_STOP=1 "$S_URL" "$@"; }
t_is "$(as_sales -c "SELECT count(*) FROM kv WHERE domain = 'ops'")" 0 "sales' executor role reads 0 rows of ops' KV"
t_is "$(as_sales -c "SELECT count(*) FROM kv WHERE namespace = 'ops'")" 0 "not even by namespace"
t_ok "it reads its own rows" test "$(as_sales -c "SELECT count(*) FROM kv")" -gt 0
t_fails "it cannot write a key of ops" as_sales -c \
    "INSERT INTO kv (namespace, key, domain, type, value, size, updated_by) VALUES ('ops', 'x', 'ops', 'STRING', '\"x\"', 3, 'a')"
t_fails "nor park one of its own domain in ops' namespace" as_sales -c \
    "INSERT INTO kv (namespace, key, domain, type, value, size, updated_by) VALUES ('ops', 'x', 'sales', 'STRING', '\"x\"', 3, 'a')"
t_is "$(as_sales -c "SELECT weft_kv_put('ops', 'x', 'STRING', '\"x\"', NULL, NULL, 'a', true, 10)->>'outcome'")" \
    foreign "weft_kv_put refuses another domain's namespace"
as_sales -c "DELETE FROM kv WHERE namespace = 'ops'" >/dev/null 2>&1
t_is "$(pg_psql -c "SELECT count(*) FROM kv WHERE namespace = 'ops'")" 1 "its delete of ops' keys removes nothing"
# ---- flows -----------------------------------------------------------------
cli_executor sales
cli_executor ops
FLOW='
id: kvflow
namespace: sales.app
tasks:
  - id: set
    type: io.kestra.plugin.core.kv.Set
    key: run_state
    value: "ready-{{ flow.id }}"
  - id: setnum
    type: io.kestra.plugin.core.kv.Set
    key: run_count
    value: "7"
    kvType: NUMBER
    ttl: PT1H
  - id: get
    type: io.kestra.plugin.core.kv.Get
    key: run_state
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "kv={{ kv(\"run_state\") }} parent={{ kv(\"greeting\") }} n={{ kv(\"run_count\") + 1 }} missing={{ kv(\"nope\", errorOnMissing=false) }}"
  - id: keys
    type: io.kestra.plugin.core.kv.GetKeys
    prefix: run_
  - id: del
    type: io.kestra.plugin.core.kv.Delete
    key: run_count
  - id: keep
    type: io.kestra.plugin.core.kv.Set
    key: run_state
    value: other
    overwrite: false
'
req_apply "$WEFT_TOKEN" "$FLOW" || t_bail "cannot apply the KV flow"
cli_exec_wait sales.app kvflow
t_is "$ST" FAILED "the flow ends FAILED on its last task (overwrite: false)"
t_is "$(ex_task_out "$R" set 't.state.current')" SUCCESS "kv.Set succeeds"
t_is "$(ex_task_out "$R" get 'o.value')" "ready-kvflow" "kv.Get reads what kv.Set stored"
L=$(ex_logs "$EID")
t_match "$L" "kv=ready-kvflow parent=hello n=8 missing=" \
    "kv() reads the flow's namespace, its parent's keys, typed numbers, and a missing key with errorOnMissing=false"
t_is "$(ex_task_out "$R" keys 'o.keys.join(",")')" "run_count,run_state" "kv.GetKeys lists by prefix"
t_is "$(ex_task_out "$R" del 'o.deleted')" true "kv.Delete deletes (output deleted)"
t_match "$(ex_errors "$EID")" "key 'run_state' already exists in sales.app and overwrite is false" \
    "kv.Set with overwrite: false refuses an existing key"
kv "$VIEW" GET sales.app/kv/run_state
t_is "$(jx "$R" d.value):$(jx "$R" d.type)" "ready-kvflow:STRING" "the API reads what the flow stored"
kv "$VIEW" GET sales.app/kv/run_count
t_is "$S" 404 "and not what it deleted"
t_match "$(pg_psql -c "SELECT string_agg(action || ' ' || details::text, E'\n') FROM audit_log WHERE actor = 'executor:sales'")" \
    'kv.set .*"key": "run_state"' "the executor's writes are audited, without the value"

req_apply "$WEFT_TOKEN" '
id: kvmissing
namespace: sales.app
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{ kv(\"absent\") }}"
' || t_bail "cannot apply"
cli_exec_wait sales.app kvmissing
t_is "$ST" FAILED "kv() of a missing key fails by default (errorOnMissing)"
t_match "$(ex_errors "$EID")" "no KV key 'absent' in namespace sales.app or above" "naming the key"

req_apply "$WEFT_TOKEN" '
id: kvforeign
namespace: sales.app
tasks:
  - id: get
    type: io.kestra.plugin.core.kv.Get
    key: opskey
    namespace: ops
' || t_bail "cannot apply"
cli_exec_wait sales.app kvforeign
t_is "$ST" FAILED "kv.Get of another domain's namespace fails"
t_match "$(ex_errors "$EID")" "namespace ops belongs to another domain" "and says so"
t_fails "ops' value never reaches sales" grep -q ops-private <<<"$(ex_logs "$EID")$R"

req_apply "$WEFT_TOKEN" '
id: kvforeignset
namespace: sales.app
tasks:
  - id: set
    type: io.kestra.plugin.core.kv.Set
    key: opskey
    namespace: ops
    value: overwritten
' || t_bail "cannot apply"
cli_exec_wait sales.app kvforeignset
t_is "$ST" FAILED "kv.Set into another domain's namespace fails"
t_is "$(pg_psql -c "SELECT value #>> '{}' FROM kv WHERE namespace = 'ops' AND key = 'opskey'")" \
    ops-private "ops' key is untouched"

weft secret set sales API_TOKEN <<<"tok-3f9a-very-secret" >/dev/null || t_bail "secret set"
req_apply "$WEFT_TOKEN" '
id: kvsecret
namespace: sales.app
tasks:
  - id: set
    type: io.kestra.plugin.core.kv.Set
    key: leaked
    value: "{{ secret(\"API_TOKEN\") | upper }}"
' || t_bail "cannot apply"
cli_exec_wait sales.app kvsecret
t_is "$ST" FAILED "kv.Set of a value derived from a secret fails"
t_match "$(ex_errors "$EID")" "derived from secret 'API_TOKEN' cannot be used in the KV store" \
    "naming the secret"
t_is "$(pg_psql -c "SELECT count(*) FROM kv WHERE key = 'leaked'")" 0 "nothing was stored"
t_fails "the value is nowhere in the KV table" \
    grep -qi "tok-3f9a" <<<"$(pg_psql -c "SELECT kv::text FROM kv")"

kv "$DEV" PUT sales.app/kv/stale1 '"x"' 'Content-Type: application/json' 'ttl: PT1S'
kv "$DEV" PUT sales.app/kv/stale2 '"x"' 'Content-Type: application/json' 'ttl: PT1S'
kv "$DEV" PUT sales.app/kv/fresh '"x"' 'Content-Type: application/json' 'ttl: PT1H'
sleep 1.5
before=$(pg_psql -c "SELECT count(*) FROM kv WHERE namespace LIKE 'sales%'")
req_apply "$WEFT_TOKEN" '
id: kvpurge
namespace: sales
tasks:
  - id: purge
    type: io.kestra.plugin.core.kv.PurgeKV
' || t_bail "cannot apply"
cli_exec_wait sales kvpurge
# Three expired keys: stale1 and stale2 in sales.app, short (above) in sales.
t_is "$ST:$(ex_task_out "$R" purge 'o.size')" "SUCCESS:3" \
    "kv.PurgeKV deletes the expired keys of the namespace and its children"
t_is "$(pg_psql -c "SELECT count(*) FROM kv WHERE namespace LIKE 'sales%'")" "$((before - 3))" \
    "and nothing else"
t_is "$(pg_psql -c "SELECT count(*) FROM kv WHERE key IN ('stale1', 'stale2', 'short')")" 0 \
    "the expired rows are gone"

# ---- the client ------------------------------------------------------------
cli_run out with_token "$DEV" kv set sales cli_num 42
t_is "$out_RC:$out" "0:set  sales/cli_num  NUMBER" "weft kv set types the value"
cli_run out with_token "$DEV" kv set sales cli_zip 01234 --type STRING --ttl PT1H --description "post code"
t_is "$out_RC" 0 "weft kv set --type --ttl --description"
cli_run out with_token "$VIEW" kv get sales cli_zip
t_is "$out" "01234" "weft kv get prints a string as it is"
cli_run out with_token "$VIEW" kv get sales conf
t_is "$(jq -c . <<<"$out")" '{"a":[1,2]}' "and JSON as JSON"
cli_run out with_token "$VIEW" kv get sales cli_zip -o json
t_is "$(jx "$out" 'd.type + " " + d.description + " " + (d.expirationDate !== null)')" \
    "STRING post code true" "-o json shows type, description and expiry"
printf '{"from":"file"}' >"$CLI_TMP/v.json"
cli_run out with_token "$DEV" kv set sales cli_file --from-file "$CLI_TMP/v.json"
cli_run out with_token "$VIEW" kv get sales cli_file
t_is "$(jq -r .from <<<"$out")" file "weft kv set --from-file"
cli_run out with_token "$VIEW" kv ls sales
t_match "$out" "cli_zip +STRING" "weft kv ls lists keys and types"
t_fails "and no values" grep -q 01234 <<<"$out"
cli_run out with_token "$VIEW" kv set sales cli_num 1
t_is "$out_RC" 1 "a viewer's weft kv set fails"
cli_run out with_token "$DEV" kv set sales cli_num 1 --ttl 'PT1H
X-Evil: 1'
t_is "$out_RC" 2 "a ttl carrying a line break is refused before sending"
cli_run out with_token "$DEV" kv rm sales cli_num
t_is "$out_RC:$out" "0:deleted  sales/cli_num" "weft kv rm"
cli_run out with_token "$DEV" kv get sales cli_num
t_is "$out_RC" 1 "a removed key is gone"
t_match "$out_ERR" "no such resource|not found|404" "and the client says so"

t_done
