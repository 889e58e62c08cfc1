#!/usr/bin/env bash
# Migrations: applied in order, each recorded, idempotent, newer schema refused.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
W="$WF_BUILDDIR/weftd"
pg_start || t_bail "cannot start PostgreSQL"

out=$("$W" migrate 2>&1)
t_match "$out" "migrations? applied" "first run applies the migrations"
n=$(pg_psql -c "SELECT count(*) FROM schema_migrations")
latest=$(ls "$WF_SRCDIR"/platform/migrations/*.sql | wc -l)
t_is "$n" "$latest" "every migration recorded in schema_migrations"
order=$(pg_psql -c "SELECT string_agg(version::text, ',' ORDER BY applied_at, version) FROM schema_migrations")
sorted=$(pg_psql -c "SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations")
t_is "$order" "$sorted" "applied in version order"
for table in domains namespaces flows flow_revisions executions task_runs logs role_bindings \
    service_accounts sa_tokens secrets grants policies audit_log events executors; do
    t_is "$(pg_psql -c "SELECT to_regclass('public.$table') IS NOT NULL")" "t" "table $table exists"
done

out=$("$W" migrate 2>&1)
t_match "$out" "^0 migrations applied" "second run applies nothing"
t_is "$(pg_psql -c "SELECT count(*) FROM schema_migrations")" "$latest" "nothing recorded twice"
t_ok "status reports current" "$W" migrate --status

pg_psql -c "INSERT INTO schema_migrations (version, name) VALUES (9999, '9999_future')"
out=$("$W" migrate 2>&1)
t_is "$?" "1" "database newer than the binary is refused"
t_match "$out" "version 9999 but this weftd knows only up to" "with a clear message"
t_fails "status reports newer schema" "$W" migrate --status

# A failing migration leaves nothing behind: in a fresh database where a
# table of the first migration already exists, that migration fails and
# nothing it created before the failure remains.
pg_psql -c "DELETE FROM schema_migrations WHERE version = 9999"
pg_psql -c "CREATE DATABASE conflict"
conflict_url="${WEFT_DATABASE_URL/\/weft\?//conflict?}"
psql -XAtq "$conflict_url" -c "CREATE TABLE flows (x int)" >/dev/null
out=$("$W" migrate --database-url "$conflict_url" 2>&1)
t_is "$?" "1" "a failing migration fails the command"
t_match "$out" "migration 0001_init failed" "naming the migration"
t_is "$(psql -XAtq "$conflict_url" -c "SELECT to_regclass('public.domains') IS NULL")" "t" \
    "its partial work was rolled back"
t_is "$(psql -XAtq "$conflict_url" -c "SELECT count(*) FROM schema_migrations")" "0" \
    "and it is not recorded"
t_done
