#!/usr/bin/env bash
# The domain storage quota (policy maxStorage, migration 0017): usage kept
# from stored file chunks and log lines, checked before a file is written
# (known size) and before its transaction commits (a stream), refused with
# a clear message and nothing left behind; a task over quota fails saying
# so; one domain's usage is invisible to another's role.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/gateway.sh"
. "$WF_SRCDIR/tests/lib/executor.sh"
T="$WF_BUILDDIR/tests/integration/storage_tool"
ex_gw_setup
gw_admin
ex_ops_start
D=$(mktemp -d)
ex_domain beta beta

pg_psql >/dev/null <<'SQL'
INSERT INTO flows (namespace, id, domain, source, source_sha256, model, updated_by)
  VALUES ('ops', 'q', 'ops', 'src', '\x00', '{}', 't');
INSERT INTO executions (id, namespace, flow_id, flow_revision, domain, state, started_by)
  VALUES ('e-q', 'ops', 'q', 1, 'ops', 'SUCCESS', 't');
SQL
P=/ops/q/executions/e-q/tasks/t/r
used() { pg_q "SELECT weft_storage_used('$1')"; }
base=$(used ops)

head -c 1000000 /dev/urandom >"$D/1m"
"$T" ops put execution ops e-q $P/a "$D/1m" >/dev/null
t_is "$(( $(used ops) - base ))" 1000000 "a stored file counts its bytes"
pg_q "INSERT INTO logs (execution_id, namespace, domain, line) SELECT 'e-q', 'ops', 'ops', repeat('x', 1000) FROM generate_series(1, 100)" >/dev/null
t_is "$(( $(used ops) - base ))" 1100000 "log lines count too (one usage row per statement)"

ex_policy ops '{"maxStorage": "2MiB"}'
head -c 1500000 /dev/urandom >"$D/1500k"
OUT=$("$T" ops put execution ops e-q $P/b "$D/1500k" 2>&1); RC=$?
t_is "$RC" 5 "a file past the domain's quota is refused"
t_match "$OUT" "^storage quota of domain ops \\(2097152 bytes, policy maxStorage of namespace ops\\) exceeded" \
    "saying which domain, quota and policy"
OUT=$(cat "$D/1500k" | "$T" ops put execution ops e-q $P/b - 2>&1); RC=$?
t_is "$RC" 5 "a stream of unknown size past the quota is refused before it commits"
t_is "$(pg_q "SELECT count(*) FROM storage_files WHERE path = '$P/b'")" 0 "nothing of it is left"
t_is "$(( $(used ops) - base ))" 1100000 "and the usage is back where it was"
head -c 500000 /dev/urandom >"$D/500k"
t_ok "a file within the quota is still stored" "$T" ops put execution ops e-q $P/c "$D/500k"
"$T" ops delete execution - $P/a
t_is "$(( $(used ops) - base ))" 600000 "deleting a file gives its bytes back"
head -c 1400000 /dev/urandom >"$D/1400k"
t_ok "then a larger file fits" "$T" ops put execution ops e-q $P/b "$D/1400k"

# Many writes fold into few usage rows.
for i in $(seq 1 80); do pg_q "INSERT INTO logs (execution_id, namespace, domain, line) VALUES ('e-q', 'ops', 'ops', 'l')" >/dev/null; done
used ops >/dev/null
t_ok "the usage rows are folded when read" test "$(pg_q "SELECT count(*) FROM domain_storage_usage WHERE domain = 'ops'")" -le 2

# Another domain's role sees none of it.
t_is "$(pg_psql_as weft_domain_beta -c "SELECT weft_storage_used('ops') || ' ' || (SELECT count(*) FROM domain_storage_usage WHERE domain = 'ops')")" \
    "0 0" "domain B's role reads none of A's usage"
t_fails "domain B's role cannot forge usage rows for A" pg_psql_as weft_domain_beta -c \
    "INSERT INTO domain_storage_usage (domain, bytes) VALUES ('ops', -100000000)"

# A task over quota fails with the message, and the disk is untouched.
ex_apply '
id: hog
namespace: ops
tasks:
  - id: t
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - head -c 3000000 /dev/zero > "{{ outputDir }}/big.bin"
'
ex_runw hog
EID=$(jget "$BODY" .id)
t_is "$(jget "$BODY" .state.current)" FAILED "a task whose output passes the quota fails"
t_match "$(ex_errors "$EID")" "storage quota of domain ops \\(2097152 bytes" "with the quota in the message"
t_is "$(pg_q "SELECT count(*) FROM storage_files WHERE execution_id = '$EID'")" 0 "no file of it is stored"

rm -rf "$D"
t_done
