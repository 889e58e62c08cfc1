#!/usr/bin/env bash
# Attacks on the KV store from a compromised executor: logged in as domain
# sales' executor role, read, write, move and delete domain ops' keys. Row-level
# security hides and refuses ops' rows; the domain trigger of migration 0014
# refuses a row of sales' own domain parked in ops' namespace (without it,
# that row would block ops' key while ops' executors could not see it).
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/executor.sh"
pg_setup

ex_domain sales sales
ex_domain ops ops
for ns in sales ops; do
    t_is "$(pg_psql -c "SELECT weft_kv_put('$ns', 'k', 'STRING', '\"$ns-private\"', NULL, NULL, 't', true, 10)->>'outcome'")" \
        stored "the platform stores a key in $ns"
done

S_URL=${WEFT_DATABASE_URL/user=weft/user=weft_domain_sales}
as_sales() { psql -XAtq -v ON_ERROR_STOP=1 "$S_URL" "$@"; }
t_is "$(as_sales -c "SELECT current_user")" weft_domain_sales "sales' executor role logs in"

t_is "$(as_sales -c "SELECT count(*) FROM kv")" 1 "it reads its own key only"
t_is "$(as_sales -c "SELECT count(*) FROM kv WHERE domain = 'ops' OR namespace = 'ops'")" 0 \
    "0 rows of ops' KV"
t_is "$(as_sales -c "SELECT count(*) FROM kv WHERE value::text LIKE '%ops-private%'")" 0 \
    "not even by value"

t_fails "it cannot insert a key of ops" as_sales -c \
    "INSERT INTO kv (namespace, key, domain, type, value, size, updated_by) VALUES ('ops', 'x', 'ops', 'STRING', '\"x\"', 3, 'a')"
t_fails "nor park a key of its own domain in ops' namespace" as_sales -c \
    "INSERT INTO kv (namespace, key, domain, type, value, size, updated_by) VALUES ('ops', 'k2', 'sales', 'STRING', '\"x\"', 3, 'a')"
t_fails "nor move its own key into ops' namespace" as_sales -c \
    "UPDATE kv SET namespace = 'ops', key = 'k3' WHERE namespace = 'sales'"
t_fails "nor hand its key to ops" as_sales -c "UPDATE kv SET domain = 'ops' WHERE namespace = 'sales'"
t_is "$(as_sales -c "SELECT weft_kv_put('ops', 'k', 'STRING', '\"forged\"', NULL, NULL, 'a', true, 10)->>'outcome'")" \
    foreign "weft_kv_put refuses ops' namespace to sales' role"
as_sales -c "UPDATE kv SET value = '\"forged\"' WHERE namespace = 'ops'" >/dev/null 2>&1
as_sales -c "DELETE FROM kv WHERE namespace = 'ops'" >/dev/null 2>&1
t_is "$(pg_psql -c "SELECT string_agg(namespace || '=' || (value #>> '{}'), ',' ORDER BY namespace) FROM kv")" \
    "ops=ops-private,sales=sales-private" "ops' key is intact and nothing was parked in ops"
t_is "$(pg_psql -c "SELECT count(*) FROM kv WHERE namespace = 'ops' AND domain <> 'ops'")" 0 \
    "no row of ops' namespace belongs to another domain"
t_done
