#!/usr/bin/env bash
# End to end through the real gateway (HTTP, a real service-account token)
# → the real executor → real sandboxes: flows applied and executions started
# and controlled through the REST API, results read back in Kestra's shape.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/gateway.sh"
. "$WF_SRCDIR/tests/lib/executor.sh"
ex_gw_setup
gw_admin
ex_ops_start


ex_apply '
id: hello
namespace: ops
inputs:
  - id: who
    type: STRING
    defaults: world
tasks:
  - id: greet
    type: io.kestra.plugin.core.log.Log
    message: "hello {{ inputs.who }}"
  - id: sh
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - echo "::{\"outputs\":{\"len\":$(printf %s "{{ inputs.who }}" | wc -c)}}::"
  - id: both
    type: io.kestra.plugin.core.flow.Parallel
    tasks:
      - id: p1
        type: io.kestra.plugin.core.debug.Return
        format: one
      - id: p2
        type: io.kestra.plugin.scripts.python.Script
        script: |
          print("::{\"outputs\":{\"sq\":%d}}::" % (7 * 7))
outputs:
  - id: len
    type: INT
    value: "{{ outputs.sh.vars.len }}"
'
ex_runw hello '{"who": "weft"}'
t_is "$STATUS" 200 "POST ?wait returns the finished execution"
t_is "$(jget "$BODY" .state.current)" "SUCCESS" "state.current SUCCESS"
t_is "$(jget "$BODY" .outputs.len)" "4" "flow outputs from a sandboxed shell task"
t_is "$(node -e 'const d=JSON.parse(process.argv[1]);console.log(d.taskRunList.map(t=>t.taskId+":"+t.state.current).sort().join(" "))' "$BODY")" \
    "both:SUCCESS greet:SUCCESS p1:SUCCESS p2:SUCCESS sh:SUCCESS" "taskRunList with every task run"
t_is "$(node -e 'const d=JSON.parse(process.argv[1]);console.log(d.taskRunList.find(t=>t.taskId=="p2").outputs.vars.sq)' "$BODY")" \
    "49" "python Script outputs"
t_is "$(node -e 'const d=JSON.parse(process.argv[1]);console.log(d.taskRunList.find(t=>t.taskId=="sh").attempts.map(a=>a.state).join())' "$BODY")" \
    "SUCCESS" "attempts recorded"
t_is "$(node -e 'const d=JSON.parse(process.argv[1]);console.log(d.state.histories.map(h=>h.state).join())' "$BODY")" \
    "CREATED,RUNNING,SUCCESS" "state histories"
EID=$(jget "$BODY" .id)
http GET "/api/v1/executions/$EID/logs" "${AU[@]}"
t_match "$BODY" "hello weft" "logs through the API"

ex_apply '
id: flaky
namespace: ops
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: [1, 2, 3]
    tasks:
      - id: check
        type: io.kestra.plugin.scripts.shell.Commands
        retry: {type: constant, interval: PT0.05S, maxAttempt: 2}
        commands:
          - test {{ taskrun.attemptsCount }} -ge 1
'
ex_runw flaky
t_is "$(jget "$BODY" .state.current)" "SUCCESS" "ForEach with a retried shell task: SUCCESS"
t_is "$(node -e 'const d=JSON.parse(process.argv[1]);console.log(d.taskRunList.filter(t=>t.taskId=="check").map(t=>t.value+"/"+t.attempts.length).sort().join(" "))' "$BODY")" \
    "1/2 2/2 3/2" "each iteration failed once and succeeded on its retry"

ex_apply '
id: long
namespace: ops
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
  - id: sleep
    type: io.kestra.plugin.scripts.shell.Commands
    commands: ["sleep 63"]
'
http POST /api/v1/executions/ops/long "${AU[@]}"
LONG=$(jget "$BODY" .id)
for i in $(seq 1 100); do [ "$(ex_state "$LONG")" = PAUSED ] && break; sleep 0.05; done
t_is "$(ex_state "$LONG")" "PAUSED" "Pause: PAUSED through the API"
http POST "/api/v1/executions/$LONG/resume" "${AU[@]}"
t_match "$STATUS" "^20[02]$" "resume accepted"
for i in $(seq 1 100); do
    [ "$(pg_psql -c "SELECT state FROM task_runs WHERE execution_id = '$LONG' AND task_id = 'sleep'")" = RUNNING ] && break
    sleep 0.05
done
t_is "$(pg_psql -c "SELECT state FROM task_runs WHERE execution_id = '$LONG' AND task_id = 'sleep'")" "RUNNING" \
    "resumed: the next task runs"
start=$(date +%s%N)
http POST "/api/v1/executions/$LONG/kill" "${AU[@]}"
t_is "$STATUS" 202 "kill accepted"
ST=$(ex_wait "$LONG" 10)
ms=$(( ($(date +%s%N) - start) / 1000000 ))
t_is "$ST" "KILLED" "kill through the API: KILLED"
t_ok "killed within a second (${ms} ms)" test "$ms" -lt 1000
t_ok "the sandboxed sleep is gone" bash -c "! pgrep -x sleep -a | grep -q 'sleep 63'"
http GET "/api/v1/executions/$LONG" "${AU[@]}"
t_is "$(node -e 'const d=JSON.parse(process.argv[1]);console.log(d.state.histories.map(h=>h.state).join())' "$BODY")" \
    "CREATED,RUNNING,PAUSED,RUNNING,KILLING,KILLED" "history keeps the gateway's transitions"

ex_apply '
id: boom
namespace: ops
tasks:
  - id: f
    type: io.kestra.plugin.core.execution.Fail
    errorMessage: "no luck"
'
ex_apply '
id: after-boom
namespace: ops
triggers:
  - id: on-fail
    type: io.kestra.plugin.core.trigger.Flow
    conditions:
      - type: io.kestra.plugin.core.condition.ExecutionFlow
        namespace: ops
        flowId: boom
      - type: io.kestra.plugin.core.condition.ExecutionStatus
        in: [FAILED]
tasks:
  - id: r
    type: io.kestra.plugin.core.debug.Return
    format: "saw {{ trigger.executionId }}"
'
ex_apply '
id: bad-inputs
namespace: ops
inputs:
  - id: n
    type: STRING
triggers:
  - id: on-fail
    type: io.kestra.plugin.core.trigger.Flow
    inputs:
      n: "{{ trigger.outputs.missing.deeper }}"
    conditions:
      - type: io.kestra.plugin.core.condition.ExecutionFlow
        namespace: ops
        flowId: boom
tasks:
  - id: show
    type: io.kestra.plugin.core.log.Log
    message: "{{ inputs.n }}"
'
sleep 1.5 # an execution's end re-reads flows older than a second
ex_runw boom
t_is "$(jget "$BODY" .state.current)" "FAILED" "Fail task: FAILED"
BOOM=$(jget "$BODY" .id)
for i in $(seq 1 100); do
    T=$(pg_psql -c "SELECT id FROM executions WHERE flow_id = 'after-boom' LIMIT 1")
    [ -n "$T" ] && [ "$(ex_state "$T")" = SUCCESS ] && break
    sleep 0.1
done
t_is "$(pg_psql -c "SELECT outputs->>'value' FROM task_runs WHERE execution_id = '$T'")" "saw $BOOM" \
    "Flow trigger started the consumer with the trigger context"
t_is "$(pg_psql -c "SELECT started_by FROM executions WHERE id = '$T'")" "trigger:ops/after-boom/on-fail" \
    "the consumer records the trigger that started it"
t_is "$(pg_psql -c "SELECT state || ' ' || started_by FROM executions WHERE flow_id = 'bad-inputs'")" \
    "FAILED trigger:ops/bad-inputs/on-fail" "a trigger whose inputs cannot be rendered leaves a FAILED execution"
t_match "$(pg_psql -c "SELECT line FROM logs WHERE execution_id IN (SELECT id FROM executions WHERE flow_id = 'bad-inputs')")" \
    "^trigger inputs: .*trigger.outputs.missing" "whose log says why"
t_is "$(pg_psql -c "SELECT result || ' ' || target FROM audit_log WHERE action = 'trigger.fire'")" \
    "failed trigger:ops/bad-inputs/on-fail" "and the audit log"
http POST "/api/v1/executions/$BOOM/restart" "${AU[@]}"
t_match "$STATUS" "^20[012]$" "restart accepted"
R=$(jget "$BODY" .id)
t_is "$(ex_wait "$R" 20)" "FAILED" "the restarted execution ran (and failed again, as its flow says)"

ex_apply '
id: ticker
namespace: ops
triggers:
  - id: every-second
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "*/1 * * * * *"
    withSeconds: true
tasks:
  - id: t
    type: io.kestra.plugin.core.log.Log
    message: "tick {{ trigger.date }}"
'
ex_start ops || t_bail "second replica did not start"
sleep 9
ex_apply $'id: ticker\nnamespace: ops\ndisabled: true\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: off\n'
sleep 1
n=$(pg_psql -c "SELECT count(*) FROM executions WHERE flow_id = 'ticker'")
dups=$(pg_psql -c "SELECT count(*) FROM (SELECT trigger->>'date' FROM executions WHERE flow_id = 'ticker' GROUP BY 1 HAVING count(*) > 1) d")
t_diag "schedule fired $n times in ~10 s with two replicas"
t_ok "schedule fired ($n)" test "$n" -ge 2
t_is "$dups" "0" "exactly one execution per tick across two replicas"
t_is "$(pg_psql -c "SELECT string_agg(DISTINCT started_by, ',') FROM executions WHERE flow_id = 'ticker'")" \
    "schedule:ops/ticker/every-second" "scheduled executions record their schedule"
t_is "$(pg_psql -c "SELECT started_by FROM executions WHERE id = '$EID'")" "sa:weft/admin" \
    "an execution started through the API records the service account"

# Pause with tasks, resumed through the API: its tasks run after the resume.
ex_apply '
id: approve
namespace: ops
tasks:
  - id: gate
    type: io.kestra.plugin.core.flow.Pause
    tasks:
      - id: ship
        type: io.kestra.plugin.core.debug.Return
        format: shipped
  - id: done
    type: io.kestra.plugin.core.log.Log
    message: done
'
http POST /api/v1/executions/ops/approve "${AU[@]}"
GATE=$(jget "$BODY" .id)
for i in $(seq 1 100); do [ "$(ex_state "$GATE")" = PAUSED ] && break; sleep 0.05; done
t_is "$(ex_state "$GATE"):$(pg_psql -c "SELECT count(*) FROM task_runs WHERE execution_id = '$GATE' AND task_id = 'ship'")" \
    "PAUSED:0" "Pause with tasks: PAUSED, its tasks not started"
http POST "/api/v1/executions/$GATE/resume" "${AU[@]}"
t_match "$STATUS" "^20[02]$" "resume accepted"
t_is "$(ex_wait "$GATE" 10)" SUCCESS "resumed through the API: SUCCESS"
t_is "$(pg_psql -c "SELECT outputs->>'value' FROM task_runs WHERE execution_id = '$GATE' AND task_id = 'ship'")" \
    shipped "the Pause's task ran after the resume"
t_done
