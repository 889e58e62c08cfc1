#!/usr/bin/env bash
# Secrets API over HTTP against a real gateway and PostgreSQL: write-only,
# sealed to the owning domain's key, never echoed (responses, errors, audit,
# logs), RBAC and hidden namespaces, and the ciphertext opens only with the
# owning domain's key for the exact (namespace, key, version) — domain B's
# key cannot open domain A's secret even given the stored bytes.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/cli.sh"
cli_setup
UNSEAL=$WF_BUILDDIR/tests/integration/mesh_unseal

cli_domain logistics logistics
cli_domain sales sales
pg_psql -c "INSERT INTO domains (name) VALUES ('keyless')" >/dev/null
pg_psql -c "INSERT INTO namespaces (prefix, domain) VALUES ('keyless', 'keyless')" >/dev/null
ADMIN=$(cli_token logistics admin)
cli_bind sa:logistics/admin admin logistics
DEV=$(cli_token logistics dev)
cli_bind sa:logistics/dev developer logistics.shipments
VIEWER=$(cli_token logistics viewer)
cli_bind sa:logistics/viewer viewer logistics
SALES=$(cli_token sales admin)
cli_bind sa:sales/admin admin sales
PLAT=$(cli_token weft platform)
cli_bind sa:weft/platform platform-admin ''

VALUE='pa55-w0rd "with" \\ quotes'
VALUE_JSON=$(jq -n --arg v "$VALUE" '{value: $v}')
P=/api/v1/namespaces

req "$ADMIN" PUT $P/logistics.shipments/secrets/DB_PASSWORD "$VALUE_JSON"
t_is "$S" 200 "admin sets a secret"
t_is "$(jq -r .version <<<"$R")" 1 "first version is 1"
t_fails "the response carries no value" grep -qF "pa55-w0rd" <<<"$R"
req "$DEV" PUT $P/logistics.shipments/secrets/DB_PASSWORD "$VALUE_JSON"
t_is "$S" 200 "a developer of the namespace sets it again"
t_is "$(jq -r .version <<<"$R")" 2 "a new version"
t_is "$(jq -r .updatedBy <<<"$R")" "sa:logistics/dev" "records who set it"

req "$VIEWER" GET $P/logistics/secrets
t_is "$S" 403 "a viewer may not list secret names"
req "$DEV" GET $P/logistics.shipments/secrets
t_is "$S" 200 "a developer lists names"
t_is "$(jq -r '.results[0].key + " " + (.results[0].version|tostring)' <<<"$R")" \
    "DB_PASSWORD 2" "name and version"
t_fails "the list carries no value" grep -qF "pa55-w0rd" <<<"$R"

# ---- refusals (each one tried) ----
req "$VIEWER" PUT $P/logistics.shipments/secrets/X "$VALUE_JSON"
t_is "$S" 403 "a viewer cannot set a secret"
t_fails "the refusal does not echo the value" grep -qF "pa55-w0rd" <<<"$R"
req "$DEV" PUT $P/logistics.other/secrets/X "$VALUE_JSON"
t_is "$S" 404 "a developer of a child cannot set one on a sibling (it is hidden)"
req "$SALES" PUT $P/logistics.shipments/secrets/DB_PASSWORD '{"value":"overwrite"}'
t_is "$S" 404 "another domain's admin sees no such namespace"
req "$SALES" DELETE $P/logistics.shipments/secrets/DB_PASSWORD
t_is "$S" 404 "nor can delete there"
req "$SALES" GET $P/logistics.shipments/secrets
t_is "$S" 404 "nor list there"
req "" PUT $P/logistics.shipments/secrets/DB_PASSWORD "$VALUE_JSON"
t_is "$S" 401 "no credentials: 401"
req "$ADMIN" PUT $P/logistics.shipments/secrets/DB_PASSWORD '{"value":"x","extra":1}'
t_is "$S" 422 "unknown body members are refused"
req "$ADMIN" PUT $P/logistics.shipments/secrets/DB_PASSWORD '{"value":""}'
t_is "$S" 422 "an empty value is refused"
req "$ADMIN" PUT $P/logistics.shipments/secrets/DB_PASSWORD '{"value":"a\u0000b"}'
t_match "$S" '^4(00|22)$' "a NUL byte is refused"
req "$ADMIN" PUT $P/logistics.shipments/secrets/DB_PASSWORD '{"value":42}'
t_is "$S" 422 "a non-string value is refused"
req "$ADMIN" PUT "$P/logistics.shipments/secrets/1bad" "$VALUE_JSON"
t_is "$S" 422 "a key not matching [A-Za-z_][A-Za-z0-9_.-]* is refused"
t_fails "that error does not echo the value" grep -qF "pa55-w0rd" <<<"$R"
req "$PLAT" PUT $P/keyless.app/secrets/K "$VALUE_JSON"
t_is "$S" 422 "a domain without a registered key: 422"
t_match "$(jq -r .detail <<<"$R")" "keyless has no sealing key" "says why"
t_fails "and does not echo the value" grep -qF "pa55-w0rd" <<<"$R"
req "$PLAT" PUT $P/nowhere.app/secrets/K "$VALUE_JSON"
t_is "$S" 422 "a namespace owned by no domain: 422"
t_is "$(pg_psql -c "SELECT version FROM secrets WHERE namespace = 'logistics.shipments' AND key = 'DB_PASSWORD'")" \
    2 "no refusal changed the stored secret"

# ---- what is stored opens only with the owning domain's key ----
HEX=$(pg_psql -c "SELECT encode(sealed, 'hex') FROM secrets WHERE namespace = 'logistics.shipments' AND key = 'DB_PASSWORD'")
t_fails "the stored bytes do not contain the value" grep -qF "$(printf '%s' pa55-w0rd | xxd -p)" <<<"$HEX"
t_is "$("$UNSEAL" "$CLI_TMP/keys" logistics logistics.shipments DB_PASSWORD 2 "$HEX")" "$VALUE" \
    "the logistics key opens it (value intact)"
t_fails "the sales key cannot open logistics' ciphertext" \
    "$UNSEAL" "$CLI_TMP/keys" sales logistics.shipments DB_PASSWORD 2 "$HEX"
t_fails "nor can it when copied to a sales namespace" \
    "$UNSEAL" "$CLI_TMP/keys" sales sales.app DB_PASSWORD 2 "$HEX"
t_fails "the right key refuses it under another key name" \
    "$UNSEAL" "$CLI_TMP/keys" logistics logistics.shipments OTHER 2 "$HEX"
t_fails "or an older version number (no rollback)" \
    "$UNSEAL" "$CLI_TMP/keys" logistics logistics.shipments DB_PASSWORD 1 "$HEX"
# Domain B's executor role cannot even read domain A's row (RLS).
if [ "$(pg_psql -c "SELECT to_regproc('weft_ensure_domain_role') IS NOT NULL")" = t ]; then
    ROLE=$(pg_psql -c "SELECT db_role FROM domains WHERE name = 'sales'")
    t_is "$(pg_psql -c "SET ROLE $ROLE; SELECT count(*) FROM secrets")" 0 \
        "the sales executor role sees no logistics secret row"
fi

# ---- audit: every mutation recorded, no value anywhere ----
t_is "$(pg_psql -c "SELECT count(*) FROM audit_log WHERE action = 'secret.set'")" 2 \
    "each set is audited"
t_fails "no audit row carries the value" \
    grep -qF "pa55-w0rd" <<<"$(pg_psql -c "SELECT audit_log::text FROM audit_log")"
t_fails "the gateway log never shows the value" grep -rqF "pa55-w0rd" "$CLI_TMP"/*.log

req "$DEV" DELETE $P/logistics.shipments/secrets/DB_PASSWORD
t_is "$S" 204 "delete"
req "$DEV" DELETE $P/logistics.shipments/secrets/DB_PASSWORD
t_is "$S" 404 "deleting again: 404"
t_is "$(pg_psql -c "SELECT count(*) FROM audit_log WHERE action = 'secret.delete'")" 1 \
    "the delete is audited once"

t_done
