#!/usr/bin/env bash
# Self-fencing: an executor whose lease renewals fail while its connection
# stays up (here a trigger refuses its heartbeat) must not run its tasks past
# its leases, since another replica may then run them again. It lets go of
# its executions and kills their sandboxes before the leases lapse, says so,
# and once renewals work again the execution is taken back and succeeds, the
# fenced attempt recorded as lost. (A cut link, where the connection itself
# dies, is tests/integration/multihost.sh.)
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/executor.sh"
ex_setup
ex_domain fence fence
printf 'executor:\n  heartbeat_seconds: 2\n' >"$PG_TMP/fast.yaml" # leases of 6 s

ex_flow fence long '
id: long
namespace: fence
tasks:
  - id: t
    type: io.kestra.plugin.scripts.shell.Commands
    commands: ["sleep {{ taskrun.attemptsCount == 0 ? 30 : 0.3 }}"]
'
ex_start fence --config "$PG_TMP/fast.yaml" || t_bail "executor did not start"
A=$EX_PID
EID=$(ex_exec fence long)
for i in $(seq 1 300); do
    [ "$(pg_psql -c "SELECT state FROM task_runs WHERE execution_id = '$EID'")" = RUNNING ] && break
    sleep 0.05
done
sbx=$(pgrep -P "$A" | head -1)
t_ok "the task runs in a sandbox of the executor" test -n "$sbx"

# From now on the heartbeat fails; the connection is fine.
pg_psql >/dev/null <<'SQL'
CREATE FUNCTION test_refuse_heartbeat() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'heartbeat refused by the test'; END $$;
CREATE TRIGGER test_refuse_heartbeat BEFORE UPDATE ON executors
    FOR EACH ROW EXECUTE FUNCTION test_refuse_heartbeat();
SQL
lease=$(pg_psql -c "SELECT lease_until FROM executions WHERE id = '$EID'")
died=
for i in $(seq 1 200); do
    if ! kill -0 "$sbx" 2>/dev/null || [ "$(awk '{ print $3 }' "/proc/$sbx/stat" 2>/dev/null)" = Z ]; then
        died=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
        break
    fi
    sleep 0.05
done
pg_psql -c "DROP TRIGGER test_refuse_heartbeat ON executors" >/dev/null
t_ok "the sandbox was stopped, the executor still runs" test -n "$died" -a -d "/proc/$A"
t_is "$(pg_psql -c "SELECT '$died'::timestamptz < '$lease'::timestamptz")" t \
    "... before the lease it held lapsed ($died < $lease)"
t_ok "it says why (self-fencing)" \
    grep -q "leases not renewed for .* ms (they lapse 6000 ms after a renewal): stopping 1 running task and letting go of 1 execution .*(self-fencing)" \
    "$PG_TMP/executor-fence.log"
t_is "$(ex_wait "$EID" 30)" SUCCESS "renewals work again: the execution is taken back and succeeds"
t_is "$(pg_psql -c "SELECT jsonb_array_length(attempts) || ':' || (attempts->0->>'lost') || ':' || (attempts->-1->>'state') FROM task_runs WHERE execution_id = '$EID'")" \
    "2:true:SUCCESS" "the fenced attempt is recorded as lost, the next one succeeded"
t_done
