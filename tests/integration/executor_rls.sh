#!/usr/bin/env bash
# Per-domain isolation in the database (issue 6, item 1), tried as an attacker
# would: logged in as domain A's executor role, read, insert and update domain
# B's rows in every tenant table, and try to climb back to the superuser.
# Then the executor daemon itself: role login, registration, SIGTERM.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/executor.sh"
W="$WF_BUILDDIR/weftd"
pg_setup

ex_domain alpha alpha
ex_domain beta beta
t_is "$(pg_psql -c "SELECT db_role FROM domains WHERE name = 'alpha'")" "weft_domain_alpha" \
    "domain role recorded on the domain"
t_is "$(pg_psql -c "SELECT weft_ensure_domain_role('alpha')")" "weft_domain_alpha" \
    "ensuring the role twice is harmless"
t_fails "an invalid domain name is refused" pg_psql -c "SELECT weft_ensure_domain_role('A; DROP')"

# One row of each tenant table in each domain, written by the superuser.
for d in alpha beta; do
    pg_psql >/dev/null <<SQL
INSERT INTO flows (namespace, id, domain, source, source_sha256, model, updated_by)
  VALUES ('$d', 'f', '$d', 'src', '\\x00', '{}', 't');
INSERT INTO flow_revisions (namespace, id, revision, domain, source, created_by)
  VALUES ('$d', 'f', 1, '$d', 'src', 't');
INSERT INTO executions (id, namespace, flow_id, flow_revision, domain, state, started_by)
  VALUES ('e-$d', '$d', 'f', 1, '$d', 'SUCCESS', 't');
INSERT INTO task_runs (id, execution_id, namespace, domain, task_id, state)
  VALUES ('tr-$d', 'e-$d', '$d', '$d', 't', 'SUCCESS');
INSERT INTO logs (execution_id, namespace, domain, line) VALUES ('e-$d', '$d', '$d', 'secret-log-$d');
INSERT INTO secrets (namespace, key, domain, version, sealed, created_by)
  VALUES ('$d', 'K', '$d', 1, '\\x01', 't');
INSERT INTO events (namespace, flow_id, domain, execution_id, state) VALUES ('$d', 'f', '$d', 'e-$d', 'SUCCESS');
INSERT INTO trigger_state (namespace, flow_id, trigger_id, domain) VALUES ('$d', 'f', 'sched', '$d');
INSERT INTO executors (id, domain, hostname, pid, slots) VALUES ('x-$d', '$d', 'h', 1, 1);
SQL
done

A_URL=${WEFT_DATABASE_URL/user=weft/user=weft_domain_alpha}
as_a() { psql -XAtq -v ON_ERROR_STOP=1 "$A_URL" "$@"; }
t_is "$(as_a -c "SELECT current_user")" "weft_domain_alpha" "domain A's role logs in on the socket"

for t in flows flow_revisions executions task_runs logs secrets events trigger_state executors; do
    t_is "$(as_a -c "SELECT count(*) FROM $t WHERE domain = 'beta'")" "0" "A reads no row of B in $t"
    t_is "$(as_a -c "SELECT count(*) FROM $t")" "1" "A reads its own row in $t"
done
t_is "$(as_a -c "SELECT count(*) FROM logs WHERE line LIKE 'secret-log-beta'")" "0" \
    "B's log lines are invisible even by content"

# Writes into B: inserts refused by the policy, updates and deletes see nothing.
t_fails "A cannot insert an execution of B" as_a -c \
    "INSERT INTO executions (id, namespace, flow_id, flow_revision, domain, started_by) VALUES ('x', 'beta', 'f', 1, 'beta', 'a')"
t_fails "A cannot insert a task run of B" as_a -c \
    "INSERT INTO task_runs (id, execution_id, namespace, domain, task_id) VALUES ('x', 'e-beta', 'beta', 'beta', 't')"
t_fails "A cannot insert log lines for B" as_a -c \
    "INSERT INTO logs (execution_id, namespace, domain, line) VALUES ('e-beta', 'beta', 'beta', 'forged')"
t_fails "A cannot insert events for B" as_a -c \
    "INSERT INTO events (namespace, flow_id, domain, execution_id, state) VALUES ('beta', 'f', 'beta', 'e', 'SUCCESS')"
t_fails "A cannot move its own execution into B" as_a -c \
    "UPDATE executions SET domain = 'beta' WHERE id = 'e-alpha'"
as_a -c "UPDATE executions SET state = 'KILLED' WHERE id = 'e-beta'" >/dev/null 2>&1
as_a -c "UPDATE task_runs SET state = 'FAILED' WHERE domain = 'beta'" >/dev/null 2>&1
as_a -c "UPDATE trigger_state SET last_fired = now() WHERE domain = 'beta'" >/dev/null 2>&1
t_is "$(pg_psql -c "SELECT state FROM executions WHERE id = 'e-beta'")" "SUCCESS" "A's update of B's execution changed nothing"
t_is "$(pg_psql -c "SELECT state FROM task_runs WHERE id = 'tr-beta'")" "SUCCESS" "A's update of B's task runs changed nothing"
t_is "$(pg_psql -c "SELECT last_fired IS NULL FROM trigger_state WHERE domain = 'beta'")" "t" "A's update of B's triggers changed nothing"
# Retention lets a domain delete its own history (migration 0015), never B's.
as_a -c "DELETE FROM logs WHERE domain = 'beta'; DELETE FROM task_runs WHERE domain = 'beta';
         DELETE FROM executions WHERE domain = 'beta'" >/dev/null 2>&1
t_is "$(pg_psql -c "SELECT (SELECT count(*) FROM logs WHERE domain = 'beta') || ' ' ||
                           (SELECT count(*) FROM task_runs WHERE domain = 'beta') || ' ' ||
                           (SELECT count(*) FROM executions WHERE domain = 'beta')")" "1 1 1" \
    "A's delete of B's logs, task runs and executions removed nothing"
t_fails "A cannot delete from the audit log" as_a -c "DELETE FROM audit_log"
t_fails "A cannot write flows" as_a -c "UPDATE flows SET source = 'x'"
t_fails "A cannot read role bindings" as_a -c "SELECT count(*) FROM role_bindings"
t_fails "A cannot read token hashes" as_a -c "SELECT count(*) FROM sa_tokens"
t_fails "A cannot read the audit log" as_a -c "SELECT count(*) FROM audit_log"
t_fails "A cannot become the superuser" as_a -c "SET ROLE weft"
t_fails "A cannot become B" as_a -c "SET ROLE weft_domain_beta"
t_fails "A cannot create roles" as_a -c "SELECT weft_ensure_domain_role('gamma')"
t_fails "A cannot switch RLS off" as_a -c "ALTER TABLE executions DISABLE ROW LEVEL SECURITY"

# weft_save_execution (the executor's one-call save) runs with the caller's
# rights: it writes only while the caller's replica holds the claim, only in
# its own domain, and never undoes a kill asked for through the API.
pg_psql >/dev/null <<SQL
INSERT INTO executions (id, namespace, flow_id, flow_revision, domain, state, started_by, claimed_by, lease_until)
  VALUES ('s-alpha', 'alpha', 'f', 1, 'alpha', 'RUNNING', 't', 'x-alpha', now() + interval '1 hour'),
         ('s-beta', 'beta', 'f', 1, 'beta', 'RUNNING', 't', 'x-beta', now() + interval '1 hour');
SQL
TRS='[{"id":"str-1","task_id":"t","state":"RUNNING","attempt":1,"attempts":[{"state":"RUNNING"}],"ended":false},
      {"id":"str-2","task_id":"c","parent":"str-1","value":"v","iteration":0,"state":"CREATED","attempt":0,"ended":false}]'
save_as_a() { # psql substitutes variables only in what it reads, not in -c
    as_a -v id="$1" -v by="$2" -v ns="$3" -v trs="$4" -v row="$5" <<<\
        "SELECT weft_save_execution(:'id', :'by', :'ns', 'alpha', :'trs'::jsonb, nullif(:'row', '')::jsonb);"
}
t_is "$(save_as_a s-alpha x-other alpha "$TRS" '')" lost "a save by a replica that lost the claim: 'lost'"
t_is "$(pg_psql -c "SELECT count(*) FROM task_runs WHERE execution_id = 's-alpha'")" 0 "and nothing written"
t_is "$(save_as_a s-beta x-beta beta "$TRS" '{"state":"KILLED","history":[],"labels":{},"ended":true}')" lost \
    "A cannot save B's execution, even naming B's replica"
t_is "$(pg_psql -c "SELECT state || ' ' || (SELECT count(*) FROM task_runs WHERE execution_id = 's-beta')
                    FROM executions WHERE id = 's-beta'")" "RUNNING 0" "B's rows are untouched"
t_is "$(save_as_a s-alpha x-alpha alpha "$TRS" '{"state":"RUNNING","history":[{"state":"RUNNING"}],"labels":{},"ended":false}')" ok \
    "the claim holder saves parent and child task runs in one call"
t_is "$(pg_psql -c "SELECT string_agg(id || ':' || state || ':' || coalesce(parent_task_run_id, '-'), ' ' ORDER BY id)
                    FROM task_runs WHERE execution_id = 's-alpha'")" "str-1:RUNNING:- str-2:CREATED:str-1" \
    "both task runs written, the child under its parent"
pg_psql -c "UPDATE executions SET state = 'KILLING' WHERE id = 's-alpha'" >/dev/null
save_as_a s-alpha x-alpha alpha '[]' '{"state":"RUNNING","history":[{"state":"RUNNING"}],"labels":{},"ended":false}' >/dev/null
t_is "$(pg_psql -c "SELECT state FROM executions WHERE id = 's-alpha'")" KILLING \
    "a save computed before a kill does not undo it"
t_is "$(pg_psql -c "SELECT count(*) FROM events WHERE execution_id = 's-alpha'")" 0 "no event before the end"
save_as_a s-alpha x-alpha alpha '[{"id":"str-1","task_id":"t","state":"KILLED","attempt":1,"attempts":[],"ended":true}]' \
    '{"state":"KILLED","history":[{"state":"KILLED"}],"outputs":{"n":1},"labels":{"team":"a"},"ended":true}' >/dev/null
t_is "$(pg_psql -c "SELECT state || ' ' || (claimed_by IS NULL) || ' ' || (ended_at IS NOT NULL) FROM executions WHERE id = 's-alpha'")" \
    "KILLED true true" "the end is written and the claim released"
t_is "$(pg_psql -c "SELECT state || ' ' || outputs::text || ' ' || labels::text FROM events WHERE execution_id = 's-alpha'")" \
    'KILLED {"n": 1} {"team": "a"}' "with its completion event, in the same call"
t_is "$(pg_psql -c "SELECT ended_at IS NOT NULL FROM task_runs WHERE id = 'str-1'")" t "the ended task run has its end time"

# The daemon: logs in as its role, registers, stops on SIGTERM within a second.
ex_start alpha
for i in $(seq 1 100); do
    n=$(pg_psql -c "SELECT count(*) FROM executors WHERE domain = 'alpha' AND pid = $EX_PID")
    [ "$n" = 1 ] && break
    sleep 0.05
done
t_is "$n" "1" "executor registered itself with its pid"
t_is "$(pg_psql -c "SELECT usename FROM pg_stat_activity WHERE application_name = 'weft-executor:alpha' LIMIT 1")" \
    "weft_domain_alpha" "executor's session runs as the domain role"
hb1=$(pg_psql -c "SELECT heartbeat_at FROM executors WHERE pid = $EX_PID")
for i in $(seq 1 120); do
    hb2=$(pg_psql -c "SELECT heartbeat_at FROM executors WHERE pid = $EX_PID")
    [ "$hb1" != "$hb2" ] && break
    sleep 0.05
done
t_ok "heartbeat advances" test "$hb1" != "$hb2"
start=$(date +%s%N)
kill -TERM "$EX_PID"
wait "$EX_PID"
status=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
t_is "$status" "0" "SIGTERM: exit status 0"
t_ok "SIGTERM: stopped within a second (${ms} ms)" test "$ms" -lt 1000
t_is "$(pg_psql -c "SELECT stopped_at IS NOT NULL FROM executors WHERE pid = $EX_PID")" "t" \
    "executor marked itself stopped"
EX_PIDS=()
out=$("$W" executor 2>&1)
t_is "$?" "2" "missing --domain is a usage error"
t_done
