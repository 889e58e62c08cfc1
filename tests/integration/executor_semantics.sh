#!/usr/bin/env bash
# Walker semantics checked against Kestra's behaviour, through a real
# executor, real PostgreSQL and real sandboxes: typed flow outputs, retry on
# flowable tasks (Kestra's own retry-flowable* test flows, read from
# ../shared/kestra-flows when present), Pause with tasks, pauseDuration with
# its behaviors, Pause timeout, restart after a failure inside a Pause.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/executor.sh"
ex_setup
ex_domain team team
ex_domain kestra io.kestra
ex_start team --slots 4 || t_bail "cannot start the team executor"
ex_start kestra --slots 4 || t_bail "cannot start the kestra executor"

KF=$WF_SRCDIR/../shared/kestra-flows/valids
[ -d "$KF" ] || KF=/work/shared/kestra-flows/valids

eout() { pg_psql -c "SELECT outputs #>> '{$2}' FROM executions WHERE id = '$1'"; }
etype() { pg_psql -c "SELECT jsonb_typeof(outputs #> '{$2}') FROM executions WHERE id = '$1'"; }
tout() { pg_psql -c "SELECT jsonb_typeof(outputs #> '{$3}') || ':' || (outputs #>> '{$3}') FROM task_runs WHERE execution_id = '$1' AND task_id = '$2' LIMIT 1"; }
attempts() { pg_psql -c "SELECT string_agg(task_id || '=' || attempt, ' ' ORDER BY task_id, value) FROM task_runs WHERE execution_id = '$1' ${2:+AND $2}"; }
resume() { pg_psql -c "UPDATE executions SET state = 'RUNNING' WHERE id = '$1'; SELECT pg_notify('weft_domain_$2', '$1')" >/dev/null; }
restart() { pg_psql -c "UPDATE executions SET state = 'RETRYING' WHERE id = '$1'; SELECT pg_notify('weft_domain_$2', '$1')" >/dev/null; }
wait_state() { # ID STATE SECONDS
    local i
    for i in $(seq 1 $(($3 * 20))); do [ "$(ex_state "$1")" = "$2" ] && return 0; sleep 0.05; done
    return 1
}

# ---- typed flow outputs ------------------------------------------------------
ex_flow team typed '
id: typed
namespace: team
tasks:
  - id: count
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - echo "::{\"outputs\":{\"n\":42,\"ratio\":0.25,\"ok\":true,\"doc\":{\"a\":[1,2]}}}::"
  - id: vals
    type: io.kestra.plugin.core.output.OutputValues
    values:
      n: 7
      flag: true
      name: "{{ outputs.count.vars.n }}"
  - id: ret
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.count.vars.n }}"
outputs:
  - id: shipments
    type: INT
    value: "{{ outputs.count.vars.n }}"
  - id: ratio
    type: FLOAT
    value: "{{ outputs.count.vars.ratio }}"
  - id: ok
    type: BOOLEAN
    value: "{{ outputs.count.vars.ok }}"
  - id: doc
    type: JSON
    value: "{{ outputs.count.vars.doc | toJson }}"
  - id: label
    type: STRING
    value: "{{ outputs.count.vars.n }}"
  - id: list
    type: ARRAY
    value: "[1, 2, 3]"
  - id: every
    type: DURATION
    value: PT5M
'
ex_flow team badint '
id: badint
namespace: team
tasks:
  - id: r
    type: io.kestra.plugin.core.debug.Return
    format: "4x2"
outputs:
  - id: shipments
    type: INT
    value: "{{ outputs.r.value }}"
  - id: fine
    type: STRING
    value: ok
'
ex_flow team badjson '
id: badjson
namespace: team
tasks:
  - id: r
    type: io.kestra.plugin.core.debug.Return
    format: "{not json"
outputs:
  - id: doc
    type: JSON
    value: "{{ outputs.r.value }}"
'
TYPED=$(ex_exec team typed)
BADINT=$(ex_exec team badint)
BADJSON=$(ex_exec team badjson)

# ---- retry on flowable tasks (Kestra's RetryCaseTest flows) ------------------
declare -A RF
if [ -d "$KF" ]; then
    ex_flow io.kestra.tests subflow-child "$(cat "$KF/subflow-child.yaml")"
    ex_flow io.kestra.tests subflow-grand-child "$(cat "$KF/subflow-grand-child.yaml")"
    for f in retry-flowable retry-flowable-child retry-flowable-nested-child retry-flowable-parallel \
        minimal errors waitfor waitfor-multiple-tasks waitfor-max-iterations retry-failed-task-duration \
        full subflow-parent; do
        src=$KF/$f.yaml
        [ -f "$src" ] || src=$KF/$f.yml
        ex_flow io.kestra.tests "$f" "$(cat "$src")"
        RF[$f]=$(ex_exec io.kestra.tests "$f")
    done
fi
ex_flow team retrypar '
id: retrypar
namespace: team
tasks:
  - id: par
    type: io.kestra.plugin.core.flow.Parallel
    retry: {type: constant, interval: PT0.1S, maxAttempt: 3}
    tasks:
      - id: flaky
        type: io.kestra.plugin.scripts.shell.Commands
        commands: ["test {{ taskrun.attemptsCount }} -ge 1"]
      - id: own
        type: io.kestra.plugin.core.execution.Fail
        retry: {type: constant, interval: PT0.1S, maxAttempt: 2}
'
RETRYPAR=$(ex_exec team retrypar)

# ---- Pause -----------------------------------------------------------------
ex_flow team pausetasks '
id: pausetasks
namespace: team
tasks:
  - id: pause
    type: io.kestra.plugin.core.flow.Pause
    tasks:
      - id: sub
        type: io.kestra.plugin.core.log.Log
        message: "after the resume"
      - id: sub2
        type: io.kestra.plugin.core.debug.Return
        format: "{{ outputs.pause is defined }}"
  - id: last
    type: io.kestra.plugin.core.debug.Return
    format: last
'
ex_flow team pausedur '
id: pausedur
namespace: team
tasks:
  - id: pause
    type: io.kestra.plugin.core.flow.Pause
    pauseDuration: PT0.5S
    tasks:
      - id: sub
        type: io.kestra.plugin.core.log.Log
        message: "resumed by the clock"
  - id: last
    type: io.kestra.plugin.core.debug.Return
    format: last
'
ex_flow team pausefail '
id: pausefail
namespace: team
tasks:
  - id: pause
    type: io.kestra.plugin.core.flow.Pause
    pauseDuration: PT0.3S
    behavior: FAIL
    tasks:
      - id: sub
        type: io.kestra.plugin.core.log.Log
        message: never
'
ex_flow team pausewarn '
id: pausewarn
namespace: team
tasks:
  - id: pause
    type: io.kestra.plugin.core.flow.Pause
    pauseDuration: PT0.3S
    behavior: WARN
  - id: last
    type: io.kestra.plugin.core.log.Log
    message: still runs
'
ex_flow team pausetimeout '
id: pausetimeout
namespace: team
tasks:
  - id: pause
    type: io.kestra.plugin.core.flow.Pause
    timeout: PT0.5S
    tasks:
      - id: ko
        type: io.kestra.plugin.core.log.Log
        message: never
  - id: last
    type: io.kestra.plugin.core.log.Log
    message: never
'
ex_flow team pauserestart '
id: pauserestart
namespace: team
tasks:
  - id: a
    type: io.kestra.plugin.core.log.Log
    message: "{{ task.id }}"
  - id: pause
    type: io.kestra.plugin.core.flow.Pause
    pauseDuration: PT0.2S
    tasks:
      - id: c
        type: io.kestra.plugin.core.log.Log
        message: "{{ taskrun.attemptsCount == 1 ? 1 : undefinedVar }}"
      - id: d
        type: io.kestra.plugin.core.log.Log
        message: "{{ task.id }}"
'
PT=$(ex_exec team pausetasks)
PD=$(ex_exec team pausedur)
PF=$(ex_exec team pausefail)
PW=$(ex_exec team pausewarn)
PTO=$(ex_exec team pausetimeout)
PR=$(ex_exec team pauserestart)

# ---- results -----------------------------------------------------------------
t_is "$(ex_wait "$TYPED" 30)" SUCCESS "typed outputs: SUCCESS"
t_is "$(etype "$TYPED" shipments):$(eout "$TYPED" shipments)" "number:42" "INT output is a JSON number"
t_is "$(etype "$TYPED" ratio):$(eout "$TYPED" ratio)" "number:0.25" "FLOAT output is a JSON number"
t_is "$(etype "$TYPED" ok):$(eout "$TYPED" ok)" "boolean:true" "BOOLEAN output is a JSON boolean"
t_is "$(etype "$TYPED" doc):$(eout "$TYPED" doc,a,1)" "object:2" "JSON output is the parsed document"
t_is "$(etype "$TYPED" label):$(eout "$TYPED" label)" "string:42" "STRING output stays a string"
t_is "$(etype "$TYPED" list):$(eout "$TYPED" list,2)" "array:3" "ARRAY output is a JSON array"
t_is "$(etype "$TYPED" every)" "string" "DURATION output is its ISO-8601 text"
t_is "$(tout "$TYPED" count vars,n)" "number:42" "shell outputs keep their JSON types"
t_is "$(tout "$TYPED" vals values,n)" "number:7" "OutputValues keeps an integer"
t_is "$(tout "$TYPED" vals values,flag)" "boolean:true" "OutputValues keeps a boolean"
t_is "$(tout "$TYPED" ret value)" "string:42" "Return gives its rendered text, as Kestra"

t_is "$(ex_wait "$BADINT" 30)" FAILED "an INT output that is not a number fails the execution"
t_match "$(ex_logs "$BADINT")" "flow output 'shipments' of type INT: \"4x2\" is not an integer" \
    "with a message naming the output, its type and the value"
t_is "$(ex_wait "$BADJSON" 30)" FAILED "a JSON output that does not parse fails the execution"
t_match "$(ex_logs "$BADJSON")" "flow output 'doc' of type JSON: .* is not valid JSON" "and says so"

if [ -d "$KF" ]; then
    t_is "$(ex_wait "${RF[retry-flowable]}" 30)" FAILED "retry-flowable: FAILED once retries are spent"
    t_is "$(attempts "${RF[retry-flowable]}")" "child=3 flowable=1" \
        "retry-flowable: the Sequential's retry gives its failed child 3 attempts (Kestra: 3)"
    t_is "$(ex_wait "${RF[retry-flowable-child]}" 30)" FAILED "retry-flowable-child: FAILED"
    t_is "$(attempts "${RF[retry-flowable-child]}")" "child=3 flowable=1" "retry-flowable-child: 3 attempts"
    t_is "$(ex_wait "${RF[retry-flowable-nested-child]}" 30)" FAILED "retry-flowable-nested-child: FAILED"
    t_is "$(attempts "${RF[retry-flowable-nested-child]}" "task_id = 'child'")" "child=3" \
        "retry-flowable-nested-child: 3 attempts"
    t_is "$(ex_wait "${RF[retry-flowable-parallel]}" 30)" FAILED "retry-flowable-parallel: FAILED"
    t_is "$(attempts "${RF[retry-flowable-parallel]}" "task_id = 'child'")" "child=3 child=3" \
        "retry-flowable-parallel: each ForEach iteration's child retried (Kestra: >= 2)"
    t_is "$(ex_wait "${RF[minimal]}" 30)" SUCCESS "minimal: taskrun.startDate is defined"
    t_match "$(pg_psql -c "SELECT outputs->>'value' FROM task_runs WHERE execution_id = '${RF[minimal]}'")" \
        "^[0-9]{4}-[0-9]{2}-[0-9]{2}T" "and is the task run's ISO-8601 start"
    t_is "$(ex_wait "${RF[errors]}" 30)" FAILED "errors: FAILED, its errors branch ran"
    t_match "$(ex_logs "${RF[errors]}")" "- task: failed, message: Task failure" \
        "errorLogs() lists the failed task's error lines"
    t_is "$(ex_wait "${RF[waitfor]}" 30)" SUCCESS "waitfor: SUCCESS"
    t_is "$(pg_psql -c "SELECT outputs->>'iterationCount' FROM task_runs WHERE execution_id = '${RF[waitfor]}' AND task_id = 'waitfor'")" \
        1 "waitfor: iterationCount 1 (Kestra: 1)"
    t_is "$(ex_wait "${RF[waitfor-multiple-tasks]}" 30)" SUCCESS \
        "waitfor-multiple-tasks: outputs.waitfor.iterationCount is visible to its tasks"
    t_is "$(pg_psql -c "SELECT outputs->>'iterationCount' FROM task_runs WHERE execution_id = '${RF[waitfor-multiple-tasks]}' AND task_id = 'waitfor'")" \
        4 "waitfor-multiple-tasks: 4 iterations"
    t_is "$(ex_wait "${RF[waitfor-max-iterations]}" 30)" FAILED "waitfor-max-iterations: FAILED"
    t_is "$(ex_wait "${RF[retry-failed-task-duration]}" 30)" FAILED "retry-failed-task-duration: FAILED"
    t_is "$(attempts "${RF[retry-failed-task-duration]}")" "fail=3" \
        "maxDuration PT6S every 2 s: 3 attempts (Kestra: 3)"
    t_is "$(ex_wait "${RF[full]}" 30)" SUCCESS "full: SUCCESS"
    t_is "$(pg_psql -c "SELECT outputs->>'value' FROM task_runs WHERE execution_id = '${RF[full]}' AND task_id = 't2'")" \
        "second value1" "the flow's labels are the execution's labels"
    t_is "$(ex_wait "${RF[subflow-parent]}" 30)" SUCCESS "subflow-parent -> child -> grand-child: SUCCESS"
    t_is "$(pg_psql -c "SELECT count(*) FROM logs l JOIN executions e ON e.id = l.execution_id WHERE e.flow_id = 'subflow-grand-child' AND l.line = 'My grandparent is ${RF[subflow-parent]}'")" \
        1 "labels.system.correlationId is the root execution's id down the chain"
else
    for i in $(seq 1 23); do t_skip "Kestra test flows" "no ../shared/kestra-flows"; done
fi
t_is "$(ex_wait "$RETRYPAR" 30)" FAILED "Parallel with retry: FAILED when a child keeps failing"
t_is "$(attempts "$RETRYPAR" "task_id <> 'par'")" "flaky=2 own=2" \
    "the Parallel's retry gives a failed child a second attempt; a child's own retry wins"
t_is "$(ex_trs "$RETRYPAR" | sort | tr '\n' ' ')" "flaky::SUCCESS own::FAILED par::FAILED " \
    "the child that succeeded on its retry stays SUCCESS"

t_ok "Pause with tasks: PAUSED" wait_state "$PT" PAUSED 20
t_is "$(pg_psql -c "SELECT count(*) FROM task_runs WHERE execution_id = '$PT' AND task_id IN ('sub', 'sub2', 'last')")" \
    0 "its tasks wait for the resume"
resume "$PT" team
t_is "$(ex_wait "$PT" 20)" SUCCESS "resumed: its tasks, then the next task, run"
t_is "$(ex_trs "$PT" | sort | tr '\n' ' ')" "last::SUCCESS pause::SUCCESS sub2::SUCCESS sub::SUCCESS " \
    "Pause, its two tasks and the last task all SUCCESS"
t_is "$(pg_psql -c "SELECT count(*) FROM task_runs c JOIN task_runs p ON c.parent_task_run_id = p.id WHERE c.execution_id = '$PT' AND p.task_id = 'pause'")" \
    2 "the Pause's tasks are its children"
t_is "$(pg_psql -c "SELECT string_agg(s->>'state', ',') FROM executions, jsonb_array_elements(state_history) s WHERE id = '$PT'")" \
    "CREATED,RUNNING,PAUSED,RUNNING,SUCCESS" "execution history through the pause"

t_is "$(ex_wait "$PD" 20)" SUCCESS "pauseDuration: resumes by itself and runs its tasks"
t_is "$(ex_trs "$PD" | sort | tr '\n' ' ')" "last::SUCCESS pause::SUCCESS sub::SUCCESS " "all task runs SUCCESS"
t_is "$(pg_psql -c "SELECT attempts->0->>'state' FROM task_runs WHERE execution_id = '$PD' AND task_id = 'pause'")" \
    SUCCESS "the Pause's attempt is closed"
t_is "$(ex_wait "$PF" 20)" FAILED "pauseDuration with behavior FAIL: FAILED"
t_is "$(ex_trs "$PF" | tr '\n' ' ')" "pause::FAILED " "its tasks never run"
t_is "$(ex_wait "$PW" 20)" WARNING "pauseDuration with behavior WARN: WARNING, the flow goes on"
t_is "$(ex_trs "$PW" | sort | tr '\n' ' ')" "last::SUCCESS pause::WARNING " "the next task ran"
t_is "$(ex_wait "$PTO" 20)" FAILED "Pause timeout without a resume: FAILED (Kestra's pause-timeout)"
t_is "$(ex_trs "$PTO" | tr '\n' ' ')" "pause::FAILED " "only the Pause task run exists"
t_match "$(ex_logs "$PTO")" "not resumed before its timeout" "and the log says why"

t_is "$(ex_wait "$PR" 20)" FAILED "a task failing inside a Pause fails the execution"
restart "$PR" team
t_is "$(ex_wait "$PR" 20)" SUCCESS "restart: SUCCESS (Kestra's restart_pause_last_failed)"
t_is "$(attempts "$PR")" "a=1 c=2 d=1 pause=1" \
    "only the failed task ran again; the Pause did not pause a second time"

# A replica that dies while an execution is paused: the one that takes it
# over resumes it when its pauseDuration ends (the timer died with the first).
ex_domain takeover takeover
ex_flow takeover longpause '
id: longpause
namespace: takeover
tasks:
  - id: pause
    type: io.kestra.plugin.core.flow.Pause
    pauseDuration: PT3S
    tasks:
      - id: sub
        type: io.kestra.plugin.core.log.Log
        message: after the takeover
'
ex_start takeover || t_bail "cannot start the takeover executor"
FIRST=$EX_PID
LP=$(ex_exec takeover longpause)
t_ok "paused on the first replica" wait_state "$LP" PAUSED 10
kill -KILL "$FIRST"
ex_start takeover || t_bail "cannot start the second takeover executor"
t_is "$(ex_wait "$LP" 30)" SUCCESS "taken over while paused: resumes when pauseDuration ends"
t_is "$(ex_trs "$LP" | sort | tr '\n' ' ')" "pause::SUCCESS sub::SUCCESS " "and runs the Pause's tasks"

# inputFiles the sandbox cannot place (a "." or empty path component) fail the
# task and say which file, instead of running the script without it.
ex_flow takeover inputfiles '
id: inputfiles
namespace: takeover
tasks:
  - id: sh
    type: io.kestra.plugin.scripts.shell.Commands
    inputFiles:
      data.csv: "a,b"
      ./bad.csv: "x"
    commands: ["cat data.csv"]
'
IFX=$(ex_exec takeover inputfiles)
t_is "$(ex_wait "$IFX" 20)" FAILED "an inputFiles name the sandbox cannot place fails the task"
t_match "$(ex_logs "$IFX")" "inputFiles: cannot place './bad.csv'" "and names the file"
ex_flow takeover inputfiles_ok '
id: inputfiles_ok
namespace: takeover
tasks:
  - id: sh
    type: io.kestra.plugin.scripts.shell.Commands
    inputFiles:
      data.csv: "a,b"
      sub/more.csv: "c,d"
    commands: ["cat data.csv sub/more.csv"]
'
IFO=$(ex_exec takeover inputfiles_ok)
t_is "$(ex_wait "$IFO" 20)" SUCCESS "inputFiles in the work dir and below it are placed"

t_done
