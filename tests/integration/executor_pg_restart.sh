#!/usr/bin/env bash
# An executor outlives its PostgreSQL: the server is SIGKILLed while a task
# runs and started again seconds later. The executor does not exit: it stops
# the tasks it was running (their attempts are lost, not failed), waits for
# the database with backoff, starts over in the same process and carries on;
# the interrupted execution ends SUCCESS. An executor started while the
# database is down waits for it instead of exiting.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/executor.sh"
ex_setup
ex_domain pgr pgr
printf 'executor:\n  heartbeat_seconds: 1\n' >"$PG_TMP/fast.yaml"
LOG=$PG_TMP/executor-pgr.log

ex_flow pgr slow '
id: slow
namespace: pgr
tasks:
  - id: count
    type: io.kestra.plugin.scripts.shell.Commands
    commands: ["for i in 1 2 3 4; do echo tick $i; sleep 0.5; done"]
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: after
'
running() { # EID TASK
    local i
    for i in $(seq 1 300); do
        [ "$(pg_psql -c "SELECT state FROM task_runs WHERE execution_id = '$1' AND task_id = '$2'")" = RUNNING ] && return 0
        sleep 0.05
    done
    return 1
}
registered() { # PID SECONDS [N]: N registrations of that process (a start-over adds one)
    local i
    for i in $(seq 1 $(($2 * 10))); do
        [ "$(pg_psql -c "SELECT count(*) FROM executors WHERE pid = $1" 2>/dev/null)" -ge "${3:-1}" ] 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

ex_start pgr --config "$PG_TMP/fast.yaml" || t_bail "executor did not start"
A=$EX_PID
EID=$(ex_exec pgr slow)
running "$EID" count || t_bail "the task did not start"
pg_crash
t_diag "PostgreSQL killed while task 'count' ran"
sleep 2
t_ok "the executor is still running while the database is away" kill -0 "$A"
pg_serve || t_bail "PostgreSQL did not start again"
t_ok "it registers again, in the same process" registered "$A" 60 2
t_match "$(cat "$LOG")" "lost the database connection" "the loss is logged"
t_match "$(cat "$LOG")" "starting over" "and the start-over"
t_is "$(ex_wait "$EID" 60)" "SUCCESS" "the interrupted execution ends SUCCESS"
# The attempt that ran when the server died is marked lost if it had been
# recorded; either way none failed and the last one succeeded.
t_diag "attempts of 'count': $(pg_psql -c "SELECT attempts FROM task_runs WHERE execution_id = '$EID' AND task_id = 'count'")"
t_is "$(pg_psql -c "SELECT (attempts->-1->>'state') || ':' || (SELECT count(*) FROM jsonb_array_elements(attempts) a
        WHERE a->>'state' <> 'SUCCESS' AND coalesce(a->>'lost', '') <> 'true')
        FROM task_runs WHERE execution_id = '$EID' AND task_id = 'count'")" \
    "SUCCESS:0" "no attempt failed: an interrupted one is marked lost, the last one succeeded"
t_is "$(pg_psql -c "SELECT count(*) FROM task_runs WHERE execution_id = '$EID' AND task_id = 'after'")" \
    "1" "the task after it ran once"
E2=$(ex_exec pgr slow)
t_is "$(ex_wait "$E2" 60)" "SUCCESS" "a new execution runs"

# Started while the database is down: it waits, then serves.
pg_crash
ex_start_bg() {
    WEFT_DATA_DIR=$PG_TMP/weft-data "$WF_BUILDDIR/weftd" executor --domain pgr \
        --config "$PG_TMP/fast.yaml" >>"$PG_TMP/executor-b.log" 2>&1 &
    B=$!
    EX_PIDS+=("$B")
}
ex_start_bg
sleep 2
t_ok "an executor started without a database keeps waiting" kill -0 "$B"
t_match "$(cat "$PG_TMP/executor-b.log")" "database unreachable; retrying" "and says so"
pg_serve || t_bail "PostgreSQL did not start again"
t_ok "it registers once the database is back" registered "$B" 60
E3=$(ex_exec pgr slow)
t_is "$(ex_wait "$E3" 60)" "SUCCESS" "and work runs"

kill -TERM "$B"
for _ in $(seq 1 100); do kill -0 "$B" 2>/dev/null || break; sleep 0.05; done
t_ok "SIGTERM still stops it" test ! -e "/proc/$B/status" -o "$(awk '/^State/{print $2}' "/proc/$B/status" 2>/dev/null)" = Z
t_done
