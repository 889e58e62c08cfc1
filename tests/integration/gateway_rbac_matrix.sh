#!/usr/bin/env bash
# Route x role x namespace-relation matrix (see gateway_rbac_matrix.mjs):
# sets up a real gateway, real bindings and one of every object in each
# namespace, then lets the generated matrix call every route.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/gateway.sh"

gw_setup
gw_admin

own=sales.team
declare -A rel=([own]=$own [child]=$own.sub [parent]=sales [sibling]=sales.other [other]=logistics.team)
curl -sf "${AU[@]}" "${J[@]}" -d '{"name":"sales","namespaces":["sales"]}' "$GW_URL/api/v1/domains" >/dev/null || t_bail "domain"
curl -sf "${AU[@]}" "${J[@]}" -d '{"name":"logistics","namespaces":["logistics"]}' "$GW_URL/api/v1/domains" >/dev/null || t_bail "domain"
# Sealing keys, so that secrets can be set in both domains.
for d in sales logistics; do
    pub=$("$WF_BUILDDIR/weftd" keygen --domain "$d" --key-dir "$PG_TMP/keys" 2>/dev/null) || t_bail "keygen $d"
    pg_psql -c "UPDATE domains SET public_key = decode('$pub', 'base64') WHERE name = '$d'" >/dev/null
done

tokens="\"platform-admin\": \"$ADMIN\""
for role in viewer launcher developer admin; do
    t=$(gw_mint_token "$own" "$role")
    gw_bind "sa:$own/$role" "$role" "$own"
    tokens="$tokens, \"$role\": \"$t\""
done
t=$(gw_mint_token weft auditor); gw_bind sa:weft/auditor auditor ''
tokens="$tokens, \"auditor\": \"$t\""
t=$(gw_mint_token "$own" nobody)
tokens="$tokens, \"none\": \"$t\""

execs="" bindings="" tokids="" rels=""
for r in own child parent sibling other; do
    ns=${rel[$r]}
    printf 'id: f\nnamespace: %s\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: m\n' "$ns" |
        curl -sf "${AU[@]}" -H 'Content-Type: application/x-yaml' --data-binary @- "$GW_URL/api/v1/flows" >/dev/null ||
        t_bail "flow in $ns"
    e=$(curl -sf "${AU[@]}" -X POST "$GW_URL/api/v1/executions/$ns/f") || t_bail "execution in $ns"
    b=$(curl -sf "${AU[@]}" "${J[@]}" -d "{\"subject\":\"user:keep-$r\",\"role\":\"viewer\",\"namespace\":\"$ns\"}" \
        "$GW_URL/api/v1/bindings") || t_bail "binding in $ns"
    curl -sf "${AU[@]}" "${J[@]}" -d '{"name":"svc"}' "$GW_URL/api/v1/namespaces/$ns/serviceaccounts" >/dev/null ||
        t_bail "service account in $ns"
    k=$(curl -sf "${AU[@]}" "${J[@]}" -d '{}' "$GW_URL/api/v1/namespaces/$ns/serviceaccounts/svc/tokens") ||
        t_bail "token in $ns"
    # An execution file to list and download (issue 15).
    eid=$(jget "$e" .id)
    pg_psql -c "WITH f AS (INSERT INTO storage_files (domain, namespace, kind, path, execution_id, size, sha256, complete)
      VALUES (weft_domain_of('$ns'), '$ns', 'execution', '/${ns//.//}/f/executions/$eid/tasks/t/r/out.txt', '$eid', 2, 'x', true) RETURNING id, domain)
      INSERT INTO storage_chunks (file_id, seq, domain, data) SELECT id, 0, domain, 'ok'::bytea FROM f" >/dev/null ||
        t_bail "file in $ns"
    sep=${rels:+, }
    rels="$rels$sep\"$r\": \"$ns\""
    execs="$execs$sep\"$ns\": \"$(jget "$e" .id)\""
    bindings="$bindings$sep\"$ns\": $(jget "$b" .id)"
    tokids="$tokids$sep\"$ns\": $(jget "$k" .id)"
done
FIXTURES=$PG_TMP/fixtures.json
cat >"$FIXTURES" <<JSON
{"tokens": {$tokens}, "relations": {$rels}, "executions": {$execs},
 "bindings": {$bindings}, "tokenIds": {$tokids}}
JSON
GW_URL=$GW_URL FIXTURES=$FIXTURES node "$WF_SRCDIR/tests/integration/gateway_rbac_matrix.mjs"
rc=$?
gw_stop
exit $rc
