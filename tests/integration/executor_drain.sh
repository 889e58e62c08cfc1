#!/usr/bin/env bash
# Staying up when a replica goes: an attempt lost with its executor (killed,
# or stopped past its grace period) is run again by the replica that takes
# over, without counting against the task's retry policy and at most
# executor.lost_attempt_retries times; SIGTERM drains (no new claims or
# attempts, the running tasks finish, then the claims are released); orphans
# are taken over before a backlog of new work.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/executor.sh"
ex_setup
ex_domain drain drain

running() { # EID TASK: waits until the task run is RUNNING
    local i
    for i in $(seq 1 300); do
        [ "$(pg_psql -c "SELECT state FROM task_runs WHERE execution_id = '$1' AND task_id = '$2'")" = RUNNING ] && return 0
        sleep 0.05
    done
    return 1
}
conf() { # FILE KEY=VALUE...: an executor config with a fast lease
    local f=$1
    shift
    { echo "executor:"; echo "  heartbeat_seconds: 1"; for kv in "$@"; do echo "  ${kv%%=*}: ${kv#*=}"; done; } >"$f"
}
conf "$PG_TMP/fast.yaml"
conf "$PG_TMP/nolost.yaml" lost_attempt_retries=0
conf "$PG_TMP/grace1.yaml" stop_grace_seconds=1

ex_flow drain two '
id: two
namespace: drain
tasks:
  - id: t1
    type: io.kestra.plugin.scripts.shell.Commands
    commands: ["sleep 1.5", "echo done-t1"]
  - id: t2
    type: io.kestra.plugin.scripts.shell.Commands
    commands: ["echo done-t2"]
'
ex_flow drain retried '
id: retried
namespace: drain
tasks:
  - id: t1
    type: io.kestra.plugin.scripts.shell.Commands
    retry: {type: constant, interval: PT0.1S, maxAttempt: 2}
    commands: ["sleep 1.5", "test -e /tmp/never"]
'

# 1. SIGKILL mid-task, no retry policy: the attempt is run again, SUCCESS.
ex_start drain --config "$PG_TMP/fast.yaml"
A=$EX_PID
EID=$(ex_exec drain two)
running "$EID" t1 || t_bail "t1 did not start"
ex_start drain --config "$PG_TMP/fast.yaml"
kill -KILL "$A"; wait "$A" 2>/dev/null
t_is "$(ex_wait "$EID" 40)" "SUCCESS" "killed replica: the execution still succeeds"
t_is "$(pg_psql -c "SELECT jsonb_array_length(attempts) || ':' || (attempts->0->>'state') || ':' || (attempts->0->>'lost') || ':' || (attempts->1->>'state') FROM task_runs WHERE execution_id = '$EID' AND task_id = 't1'")" \
    "2:FAILED:true:SUCCESS" "the lost attempt is in the history, marked lost, and the task ran again"
t_is "$(pg_psql -c "SELECT count(*) FROM logs WHERE execution_id = '$EID' AND level = 'WARN' AND line LIKE 'attempt lost: the executor running it stopped; running it again (1 of 3%'")" \
    "1" "a WARN line says why the task ran again"
t_is "$(pg_psql -c "SELECT count(*) FROM logs WHERE execution_id = '$EID' AND level = 'ERROR'")" "0" \
    "no ERROR line for a lost attempt"
ex_stop_all

# 2. A lost attempt does not use up the task's own retries: the retry policy
#    still allows maxAttempt (2) real attempts after it.
ex_start drain --config "$PG_TMP/fast.yaml"
A=$EX_PID
EID=$(ex_exec drain retried)
running "$EID" t1 || t_bail "t1 did not start"
ex_start drain --config "$PG_TMP/fast.yaml"
kill -KILL "$A"; wait "$A" 2>/dev/null
t_is "$(ex_wait "$EID" 60)" "FAILED" "a task that really fails still fails"
t_is "$(pg_psql -c "SELECT jsonb_array_length(attempts) || ':' || (SELECT count(*) FROM jsonb_array_elements(attempts) a WHERE a->>'lost' = 'true') FROM task_runs WHERE execution_id = '$EID'")" \
    "3:1" "1 lost attempt + the 2 the retry policy allows"
ex_stop_all

# 3. executor.lost_attempt_retries: 0 keeps the old behaviour (the lost
#    attempt fails, the retry policy decides).
ex_start drain --config "$PG_TMP/nolost.yaml"
A=$EX_PID
EID=$(ex_exec drain two)
running "$EID" t1 || t_bail "t1 did not start"
ex_start drain --config "$PG_TMP/nolost.yaml"
kill -KILL "$A"; wait "$A" 2>/dev/null
t_is "$(ex_wait "$EID" 40)" "FAILED" "lost_attempt_retries 0: the lost attempt fails"
t_is "$(pg_psql -c "SELECT count(*) FROM logs WHERE execution_id = '$EID' AND level = 'ERROR' AND line LIKE 'attempt lost%lost_attempt_retries is 0)'")" \
    "1" "the failure names the setting"
ex_stop_all

# 4. SIGTERM drains: t1 finishes on A, t2 does not start on A, A exits, and
#    B (started afterwards) runs t2. Nothing is run twice.
ex_start drain --config "$PG_TMP/fast.yaml"
A=$EX_PID
EID=$(ex_exec drain two)
running "$EID" t1 || t_bail "t1 did not start"
start=$(date +%s%N)
kill -TERM "$A"
wait "$A"
st=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
t_is "$st" "0" "drained executor exits 0"
t_diag "A stopped ${ms} ms after SIGTERM"
t_ok "A waited for the running task (>= 500 ms) and no longer than its grace period" \
    test "$ms" -ge 500 -a "$ms" -lt 30000
t_is "$(pg_psql -c "SELECT state || ':' || attempt FROM task_runs WHERE execution_id = '$EID' AND task_id = 't1'")" \
    "SUCCESS:1" "the running task finished during the drain, in one attempt"
t_is "$(pg_psql -c "SELECT count(*) FROM task_runs WHERE execution_id = '$EID' AND task_id = 't2' AND attempt > 0")" \
    "0" "no new attempt started during the drain"
t_is "$(pg_psql -c "SELECT coalesce(claimed_by, 'released') FROM executions WHERE id = '$EID'")" "released" \
    "the claim is released at the end of the drain"
t_ok "the log says it drained" grep -q "drained: no task running" "$PG_TMP/executor-drain.log"
ex_start drain --config "$PG_TMP/fast.yaml"
t_is "$(ex_wait "$EID" 30)" "SUCCESS" "the next replica finishes the execution"
t_is "$(pg_psql -c "SELECT string_agg(task_id || ':' || attempt, ',' ORDER BY task_id) FROM task_runs WHERE execution_id = '$EID'")" \
    "t1:1,t2:1" "each task ran exactly once"
ex_stop_all

# 5. Past the grace period what still runs is stopped: its attempt is lost and
#    run again by the next replica.
ex_flow drain long '
id: long
namespace: drain
tasks:
  - id: t1
    type: io.kestra.plugin.scripts.shell.Commands
    commands: ["sleep 4"]
'
ex_start drain --config "$PG_TMP/grace1.yaml"
A=$EX_PID
EID=$(ex_exec drain long)
running "$EID" t1 || t_bail "t1 did not start"
start=$(date +%s%N)
kill -TERM "$A"
wait "$A"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
t_diag "A stopped ${ms} ms after SIGTERM (grace 1 s)"
t_ok "stopped after its 1 s grace period, not after the task's 4 s" test "$ms" -ge 900 -a "$ms" -lt 3500
ex_start drain --config "$PG_TMP/fast.yaml"
t_is "$(ex_wait "$EID" 40)" "SUCCESS" "the stopped task ran again on the next replica"
t_is "$(pg_psql -c "SELECT (attempts->0->>'lost') || ':' || (attempts->1->>'state') FROM task_runs WHERE execution_id = '$EID'")" \
    "true:SUCCESS" "its first attempt is recorded as lost"
ex_stop_all

# 6. Many at once: 16 executions on A (8 slots) and B; A is SIGKILLed while its
#    tasks run. Every execution succeeds; none fails for a lost attempt.
ex_flow drain one '
id: one
namespace: drain
tasks:
  - id: t
    type: io.kestra.plugin.scripts.shell.Commands
    commands: ["sleep 3"]
'
ex_start drain --config "$PG_TMP/fast.yaml"
A=$EX_PID
ids=()
for i in $(seq 1 16); do ids+=("$(ex_exec drain one)"); done
for i in $(seq 1 200); do
    [ "$(pg_psql -c "SELECT count(*) FROM task_runs r JOIN executions e ON e.id = r.execution_id WHERE e.flow_id = 'one' AND r.state = 'RUNNING'")" -ge 4 ] && break
    sleep 0.05
done
ex_start drain --config "$PG_TMP/fast.yaml"
kill -KILL "$A"; wait "$A" 2>/dev/null
lost=$(pg_psql -c "SELECT count(*) FROM task_runs r JOIN executions e ON e.id = r.execution_id WHERE e.flow_id = 'one' AND r.state = 'RUNNING'")
ok=0
for id in "${ids[@]}"; do [ "$(ex_wait "$id" 60)" = SUCCESS ] && ok=$((ok + 1)); done
t_diag "$lost task runs were running on the killed replica"
t_is "$ok" "16" "all 16 executions succeeded"
t_ok "at least one attempt was lost and run again" \
    test "$(pg_psql -c "SELECT count(*) FROM task_runs r JOIN executions e ON e.id = r.execution_id, jsonb_array_elements(r.attempts) a WHERE e.flow_id = 'one' AND a->>'lost' = 'true'")" -ge 1
ex_stop_all
t_done
