#!/usr/bin/env bash
# io.kestra.plugin.jdbc.postgresql.Query end to end: flows run through the
# real gateway and executor against a real database of the test's private
# cluster (Unix socket), the password taken from a sealed secret; bounds,
# SQL errors and egress refusals asserted.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/gateway.sh"
. "$WF_SRCDIR/tests/lib/executor.sh"
ex_gw_setup
SOCK=$PG_TMP/sock
PGPORT=${WEFT_DATABASE_URL##*port=}
PGPORT=${PGPORT%%&*}
PW="pg-Secret-$RANDOM-$RANDOM"

# An application database with its own password-protected role.
pg_psql -c "CREATE ROLE app LOGIN PASSWORD '$PW'" -c "CREATE DATABASE appdb OWNER app" >/dev/null
psql -XAtq -v ON_ERROR_STOP=1 "postgresql:///appdb?host=$SOCK&port=$PGPORT&user=app" >/dev/null <<'SQL'
CREATE TABLE items (id int PRIMARY KEY, name text, price numeric, tags jsonb, ok boolean);
INSERT INTO items VALUES (1, 'one', 1.5, '["a"]', true), (2, 'two', 2, NULL, false);
SQL
# Password authentication for that role (trust for everything else).
sed -i "1i local appdb app scram-sha-256" "$PG_TMP/data/pg_hba.conf"
pg_psql -c "SELECT pg_reload_conf()" >/dev/null

cat >"$PG_TMP/weft.yaml" <<EOF
executor:
  query_max_rows: 50
  egress_allow:
    - "unix:$SOCK"
EOF

gw_admin
ex_ops_start --config "$PG_TMP/weft.yaml"
http PUT /api/v1/namespaces/ops/secrets/PGPW "${AU[@]}" "${J[@]}" -d "{\"value\":\"$PW\"}"
t_match "$STATUS" "^20[01]$" "password stored as a sealed secret"

URL="jdbc:postgresql://localhost:$PGPORT/appdb?host=$SOCK"
# one_q NAME PROPS: a flow with one query task `q`; sets ST, ERR, BODY, EID
one_q() {
    ex_apply "
id: $1
namespace: ops
tasks:
  - id: q
    type: io.kestra.plugin.jdbc.postgresql.Query
$2"
    ex_runw "$1"
    ST=$(jget "$BODY" .state.current)
    EID=$(jget "$BODY" .id)
    ERR=$(ex_errors "$EID")
}
CRED="    username: app
    password: \"{{ secret('PGPW') }}\""

one_q fetch "    url: $URL
$CRED
    sql: SELECT id, name, price, tags, ok FROM items ORDER BY id
    fetchType: FETCH"
t_is "$ST" SUCCESS "FETCH with the password from a secret: SUCCESS"
t_is "$(ex_task_out "$BODY" q o.size)" 2 "outputs.size"
t_is "$(ex_task_out "$BODY" q 'JSON.stringify(o.rows.map(r=>[r.id,r.name,r.price,r.tags,r.ok]))')" \
    '[[1,"one",1.5,["a"],true],[2,"two",2,null,false]]' \
    "outputs.rows typed (int, text, numeric, jsonb, bool, null)"

one_q fetchone "    url: $URL
$CRED
    sql: SELECT name FROM items WHERE id = \$1
    parameters: {\"1\": 2}
    fetchType: FETCH_ONE"
t_is "$(ex_task_out "$BODY" q o.row.name)" two "FETCH_ONE with a parameter: outputs.row"

one_q none "    url: $URL
$CRED
    sql: INSERT INTO items (id, name) VALUES (3, 'three')
    fetchType: NONE"
t_is "$ST" SUCCESS "NONE: an insert succeeds"
t_is "$(psql -XAtq "postgresql:///appdb?host=$SOCK&port=$PGPORT&user=weft" -c 'SELECT name FROM items WHERE id = 3')" \
    three "and the row is in the database"

ex_apply "
id: chain
namespace: ops
tasks:
  - id: q
    type: io.kestra.plugin.jdbc.postgresql.Query
    url: $URL
$CRED
    sql: SELECT count(*) AS n FROM items
    fetchType: FETCH_ONE
  - id: use
    type: io.kestra.plugin.core.debug.Return
    format: \"{{ outputs.q.row.n }} items\"
"
ex_runw chain
t_is "$(ex_task_out "$BODY" use o.value)" "3 items" "a later task reads the row through an expression"

one_q badsql "    url: $URL
$CRED
    sql: SELECT * FROM nope
    fetchType: FETCH"
t_is "$ST" FAILED "an SQL error fails the task"
t_match "$ERR" 'query failed: ERROR: +relation "nope" does not exist' "with PostgreSQL's message"

one_q badpw "    url: $URL
    username: app
    password: wrong-password
    sql: SELECT 1"
t_is "$ST" FAILED "a wrong password fails the task"
t_match "$ERR" 'password authentication failed for user "app"' "with the server's message"

one_q many "    url: $URL
$CRED
    sql: SELECT g FROM generate_series(1, 100) g
    fetchType: FETCH"
t_is "$ST" FAILED "more rows than executor.query_max_rows fails"
t_match "$ERR" "more than 50 rows" "saying the bound"
one_q manyone "    url: $URL
$CRED
    sql: SELECT g FROM generate_series(1, 100) g
    fetchType: FETCH_ONE"
t_is "$(ex_task_out "$BODY" q o.row.g)" 1 "FETCH_ONE keeps only the first of many rows"

one_q slow "    url: $URL
$CRED
    sql: SELECT pg_sleep(30)
    timeout: PT0.5S"
t_is "$ST" FAILED "timeout stops a long query"
t_match "$ERR" "timed out after 500 ms" "with the timeout in the message"
for i in $(seq 1 100); do
    [ "$(pg_psql -c "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(30)%'")" = 0 ] && break
    sleep 0.05
done
t_is "$(pg_psql -c "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(30)%'")" 0 \
    "and the server-side query ends with the connection"

# ---- egress refusals -------------------------------------------------------------
mkdir -p "$PG_TMP/other"
ln -s "$SOCK/.s.PGSQL.$PGPORT" "$PG_TMP/other/.s.PGSQL.$PGPORT"
one_q deny_dir "    url: jdbc:postgresql://localhost:$PGPORT/appdb?host=$PG_TMP/other
$CRED
    sql: SELECT 1"
t_is "$ST" FAILED "a socket directory not in egress_allow is refused (even one that reaches the server)"
t_match "$ERR" "egress to Unix socket directory $PG_TMP/other refused for ops" "with a precise message"

one_q deny_tcp "    url: jdbc:postgresql://127.0.0.1:$PGPORT/appdb
$CRED
    sql: SELECT 1"
t_match "$ERR" "egress to 127.0.0.1:$PGPORT refused" "a TCP host not in egress_allow is refused"

one_q deny_param "    url: jdbc:postgresql://localhost:$PGPORT/appdb?host=$SOCK&service=weft
$CRED
    sql: SELECT 1"
t_match "$ERR" "url parameter 'service' is not supported" "libpq options outside the list are refused"

one_q deny_userinfo "    url: jdbc:postgresql://app:x@evil.invalid:5432/appdb
    sql: SELECT 1"
t_match "$ERR" "credentials in username and password, not in the url" "credentials in the url are refused"

one_q store "    url: $URL
$CRED
    sql: SELECT 1
    fetchType: STORE"
t_match "$ERR" "fetchType STORE is not supported" "STORE says it is not supported"

# The password never reaches logs, outputs or the executor's own log.
t_is "$(pg_psql -c "SELECT count(*) FROM logs WHERE line LIKE '%$PW%'")" 0 "password in no log line"
t_is "$(pg_psql -c "SELECT count(*) FROM task_runs WHERE outputs::text LIKE '%$PW%'")" 0 "nor in outputs"
t_fails "nor in the executor's log" grep -q -- "$PW" "$PG_TMP/executor-ops.log"

t_done
