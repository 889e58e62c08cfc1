#!/usr/bin/env bash
# Chaos: the replica running an execution is SIGKILLed mid-task. A second
# replica of the domain must detect the dead lease within 15 s, retry the
# interrupted task run per its retry policy, and finish the execution; no
# task attempt may run twice at the same time, nothing may stay RUNNING.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/executor.sh"
ex_setup
ex_domain chaos chaos

ex_flow chaos steps '
id: steps
namespace: chaos
tasks:
  - id: s1
    type: io.kestra.plugin.scripts.shell.Commands
    commands: ["sleep 0.2", "echo \"::{\\\"outputs\\\":{\\\"n\\\":1}}::\""]
  - id: s2
    type: io.kestra.plugin.scripts.shell.Commands
    retry: {type: constant, interval: PT0.1S, maxAttempt: 3}
    commands: ["sleep 2.013"]
  - id: s3
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.s1.vars.n + 1 }}"
'
ex_start chaos
A=$EX_PID
sleep 0.3
EID=$(ex_exec chaos steps)
for i in $(seq 1 200); do
    [ "$(pg_psql -c "SELECT state FROM task_runs WHERE execution_id = '$EID' AND task_id = 's2'")" = RUNNING ] && break
    sleep 0.05
done
t_is "$(pg_psql -c "SELECT state FROM task_runs WHERE execution_id = '$EID' AND task_id = 's2'")" "RUNNING" \
    "s2 is running on replica A"
owner=$(pg_psql -c "SELECT claimed_by FROM executions WHERE id = '$EID'")
ex_start chaos
B=$EX_PID
kill -KILL "$A"
wait "$A" 2>/dev/null
killed_at=$(date +%s%N)
t_ok "the sandbox of the dead replica died with it" bash -c \
    "for i in \$(seq 1 40); do pgrep -x sleep -a | grep -q 'sleep 2.013\$' || exit 0; sleep 0.05; done; exit 1"
ST=$(ex_wait "$EID" 30)
t_is "$ST" "SUCCESS" "execution finished on replica B"
new_owner_ms=$(pg_psql -c "SELECT (extract(epoch FROM min(started_at)) * 1000)::bigint FROM task_runs WHERE execution_id = '$EID' AND task_id = 's3'")
t_diag "replica B finished the execution $(( new_owner_ms - killed_at / 1000000 )) ms after the kill"
t_ok "taken over within 15 s" test $(( new_owner_ms - killed_at / 1000000 )) -lt 15000
t_is "$(pg_psql -c "SELECT attempt FROM task_runs WHERE execution_id = '$EID' AND task_id = 's2'")" "2" \
    "the interrupted task ran again as a second attempt"
t_is "$(pg_psql -c "SELECT attempts->0->>'state' || ',' || (attempts->1->>'state') FROM task_runs WHERE execution_id = '$EID' AND task_id = 's2'")" \
    "FAILED,SUCCESS" "first attempt recorded as lost (FAILED), second SUCCESS"
t_is "$(pg_psql -c "SELECT count(*) FROM logs WHERE execution_id = '$EID' AND line LIKE 'attempt lost%'")" "1" \
    "the lost attempt is explained in the logs"
t_is "$(pg_psql -c "SELECT attempt FROM task_runs WHERE execution_id = '$EID' AND task_id = 's1'")" "1" \
    "a finished task is not run again"
t_is "$(pg_psql -c "SELECT outputs->>'value' FROM task_runs WHERE execution_id = '$EID' AND task_id = 's3'")" "2" \
    "outputs of tasks finished before the crash are kept"
t_is "$(pg_psql -c "SELECT count(*) FROM task_runs WHERE execution_id = '$EID' AND state <> 'SUCCESS'")" "0" \
    "nothing left RUNNING"
t_ok "the new owner is another replica" test "$(pg_psql -c "SELECT count(*) FROM executors WHERE pid = $B")" = 1 -a "$owner" != ""

# A task without retry interrupted the same way is run again by the platform:
# the lost attempt is not the task's failure.
ex_flow chaos once '
id: once
namespace: chaos
tasks:
  - id: long
    type: io.kestra.plugin.scripts.shell.Commands
    commands: ["sleep 3"]
'
ex_stop_all
ex_start chaos
A=$EX_PID
sleep 0.3
EID=$(ex_exec chaos once)
for i in $(seq 1 200); do
    [ "$(pg_psql -c "SELECT state FROM task_runs WHERE execution_id = '$EID'")" = RUNNING ] && break
    sleep 0.05
done
ex_start chaos
kill -KILL "$A"
t_is "$(ex_wait "$EID" 30)" "SUCCESS" "without retry the lost attempt is run again (never stuck RUNNING, never FAILED)"
t_is "$(pg_psql -c "SELECT (attempts->0->>'lost') || ',' || (attempts->1->>'state') FROM task_runs WHERE execution_id = '$EID'")" \
    "true,SUCCESS" "the lost attempt is marked lost in the history"
t_done
