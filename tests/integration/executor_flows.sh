#!/usr/bin/env bash
# Flow semantics end to end through a real executor, real PostgreSQL and real
# sandboxes: executions are written as the gateway writes them (row + NOTIFY)
# and their task runs, states and outputs are checked in the database.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/executor.sh"
ex_setup
ex_domain team team
ex_start team --slots 4

run() { # NS.ID YAML [INPUTS] -> execution id after it ends, state in $ST
    local inputs=${3:-}
    [ -n "$inputs" ] || inputs='{}'
    ex_flow team "$1" "$2"
    EID=$(ex_exec team "$1" "$inputs")
    ST=$(ex_wait "$EID" 30)
}
out() { pg_psql -c "SELECT outputs #>> '{$2}' FROM task_runs WHERE execution_id = '$EID' AND task_id = '$1' LIMIT 1"; }
count() { pg_psql -c "SELECT count(*) FROM task_runs WHERE execution_id = '$EID' ${1:+AND $1}"; }

run hello '
id: hello
namespace: team
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "hello {{ flow.id }}"
  - id: sh
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - echo "from the sandbox"
      - echo "::{\"outputs\":{\"answer\":42}}::"
  - id: ret
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.sh.vars.answer + 1 }}"
outputs:
  - id: result
    type: STRING
    value: "{{ outputs.ret.value }}"
'
t_is "$ST" "SUCCESS" "sequential Log + shell + Return: SUCCESS"
t_is "$(out sh vars,answer)" "42" "shell outputs from ::{outputs}:: line"
t_is "$(out sh exitCode)" "0" "shell exit code recorded"
t_is "$(out ret value)" "43" "Return renders other tasks' outputs"
t_is "$(pg_psql -c "SELECT outputs->>'result' FROM executions WHERE id = '$EID'")" "43" "flow outputs rendered"
t_is "$(pg_psql -c "SELECT count(*) FROM logs WHERE execution_id = '$EID' AND line = 'from the sandbox'")" "1" "stdout line logged"
t_is "$(pg_psql -c "SELECT count(*) FROM logs WHERE execution_id = '$EID' AND line = 'hello hello'")" "1" "Log message rendered"
t_is "$(pg_psql -c "SELECT string_agg(s->>'state', ',') FROM executions, jsonb_array_elements(state_history) s WHERE id = '$EID'")" \
    "CREATED,RUNNING,SUCCESS" "state history"
t_is "$(pg_psql -c "SELECT jsonb_array_length(attempts) FROM task_runs WHERE execution_id = '$EID' AND task_id = 'sh'")" "1" "one attempt"

run fails '
id: fails
namespace: team
tasks:
  - id: bad
    type: io.kestra.plugin.scripts.shell.Commands
    commands: ["echo oops >&2", "exit 3"]
  - id: never
    type: io.kestra.plugin.core.log.Log
    message: never
errors:
  - id: onerr
    type: io.kestra.plugin.core.log.Log
    message: "handled"
finally:
  - id: fin
    type: io.kestra.plugin.core.log.Log
    message: "cleanup"
'
t_is "$ST" "FAILED" "failing shell task fails the execution"
t_is "$(ex_trs "$EID" | sort | tr '\n' ' ')" "bad::FAILED fin::SUCCESS onerr::SUCCESS " "errors and finally ran, the next task did not"
t_is "$(pg_psql -c "SELECT count(*) FROM logs WHERE execution_id = '$EID' AND level = 'WARN' AND line = 'oops'")" "1" "stderr logged as WARN"

run retry '
id: retry
namespace: team
tasks:
  - id: flaky
    type: io.kestra.plugin.core.log.Log
    message: "{{ taskrun.attemptsCount == 2 ? 1 : undefinedVar }}"
    retry:
      type: constant
      interval: PT0.1S
      maxAttempt: 4
      warningOnRetry: true
'
t_is "$ST" "WARNING" "retry until success with warningOnRetry: WARNING"
t_is "$(pg_psql -c "SELECT jsonb_array_length(attempts) FROM task_runs WHERE execution_id = '$EID'")" "3" "three attempts"

run retryfail '
id: retryfail
namespace: team
tasks:
  - id: f
    type: io.kestra.plugin.core.execution.Fail
    retry: {type: exponential, interval: PT0.05S, maxInterval: PT0.2S, maxAttempt: 3}
'
t_is "$ST" "FAILED" "retries exhausted: FAILED"
t_is "$(pg_psql -c "SELECT attempt FROM task_runs WHERE execution_id = '$EID'")" "3" "maxAttempt attempts made"

run allow '
id: allow
namespace: team
tasks:
  - id: f
    type: io.kestra.plugin.core.execution.Fail
    allowFailure: true
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: still here
'
t_is "$ST" "WARNING" "allowFailure: execution WARNING"
t_is "$(ex_trs "$EID" | sort | tr '\n' ' ')" "after::SUCCESS f::WARNING " "allowFailure: next task runs"

run par '
id: par
namespace: team
tasks:
  - id: p
    type: io.kestra.plugin.core.flow.Parallel
    tasks:
      - id: a
        type: io.kestra.plugin.scripts.shell.Commands
        commands: ["sleep 0.3"]
      - id: b
        type: io.kestra.plugin.scripts.shell.Commands
        commands: ["sleep 0.3"]
      - id: c
        type: io.kestra.plugin.scripts.shell.Commands
        commands: ["sleep 0.3"]
'
t_is "$ST" "SUCCESS" "Parallel: SUCCESS"
secs=$(pg_psql -c "SELECT extract(epoch FROM ended_at - started_at) < 0.85 FROM executions WHERE id = '$EID'")
t_is "$secs" "t" "Parallel branches overlap (3 x 0.3 s in well under 0.9 s)"

run branches '
id: branches
namespace: team
inputs:
  - id: n
    type: INT
tasks:
  - id: if
    type: io.kestra.plugin.core.flow.If
    condition: "{{ inputs.n > 1 }}"
    then:
      - id: big
        type: io.kestra.plugin.core.log.Log
        message: big
    else:
      - id: small
        type: io.kestra.plugin.core.log.Log
        message: small
  - id: sw
    type: io.kestra.plugin.core.flow.Switch
    value: "{{ inputs.n }}"
    cases:
      "5":
        - id: five
          type: io.kestra.plugin.core.log.Log
          message: five
    defaults:
      - id: other
        type: io.kestra.plugin.core.log.Log
        message: other
  - id: skipped
    type: io.kestra.plugin.core.log.Log
    message: x
    runIf: "{{ inputs.n == 0 }}"
' '{"n": 5}'
t_is "$ST" "SUCCESS" "If/Switch/runIf: SUCCESS"
t_is "$(ex_trs "$EID" | sort | tr '\n' ' ')" "big::SUCCESS five::SUCCESS if::SUCCESS skipped::SKIPPED sw::SUCCESS " \
    "If took then, Switch took case 5, runIf false skipped"

run each '
id: each
namespace: team
tasks:
  - id: loop
    type: io.kestra.plugin.core.flow.ForEach
    values: ["a", "b", "c"]
    concurrencyLimit: 2
    tasks:
      - id: inner
        type: io.kestra.plugin.core.debug.Return
        format: "v={{ taskrun.value }}"
  - id: after
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.inner.b.value }}"
'
t_is "$ST" "SUCCESS" "ForEach: SUCCESS"
t_is "$(count "task_id = 'inner'")" "3" "one inner task run per value"
t_is "$(out after value)" "v=b" "outputs by value: outputs.inner.b.value"

run dag '
id: dag
namespace: team
tasks:
  - id: d
    type: io.kestra.plugin.core.flow.Dag
    tasks:
      - task:
          id: last
          type: io.kestra.plugin.core.debug.Return
          format: "{{ outputs.first.value }}{{ outputs.second.value }}"
        dependsOn: [first, second]
      - task:
          id: first
          type: io.kestra.plugin.core.debug.Return
          format: "1"
      - task:
          id: second
          type: io.kestra.plugin.core.debug.Return
          format: "2"
        dependsOn: [first]
'
t_is "$ST" "SUCCESS" "Dag: SUCCESS"
t_is "$(out last value)" "12" "Dag: dependants run after their dependencies"

run timeout '
id: timeout
namespace: team
tasks:
  - id: slow
    type: io.kestra.plugin.scripts.shell.Commands
    timeout: PT0.5S
    commands: ["sleep 30"]
'
t_is "$ST" "FAILED" "timeout: FAILED"
t_is "$(pg_psql -c "SELECT count(*) FROM logs WHERE execution_id = '$EID' AND line LIKE 'timed out%'")" "1" "timeout reported in the logs"

ex_flow team child '
id: child
namespace: team
inputs:
  - id: x
    type: STRING
tasks:
  - id: r
    type: io.kestra.plugin.core.debug.Return
    format: "child got {{ inputs.x }}"
outputs:
  - id: said
    type: STRING
    value: "{{ outputs.r.value }}"
'
run parent '
id: parent
namespace: team
tasks:
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: team
    flowId: child
    inputs:
      x: hi
'
t_is "$ST" "SUCCESS" "Subflow (wait): SUCCESS"
t_is "$(out call outputs,said)" "child got hi" "Subflow: child flow outputs come back"
t_is "$(pg_psql -c "SELECT started_by FROM executions WHERE parent_id = '$EID'")" "subflow:team/parent" \
    "Subflow: the child records the parent flow that started it"

run pause '
id: pause
namespace: team
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: resumed
'
t_is "$ST" "TIMEOUT(PAUSED)" "Pause: execution PAUSED"
EID_P=$EID
pg_psql -c "UPDATE executions SET state = 'RUNNING' WHERE id = '$EID_P'; SELECT pg_notify('weft_domain_team', '$EID_P')" >/dev/null
t_is "$(ex_wait "$EID_P" 10)" "SUCCESS" "resume (row RUNNING + NOTIFY): SUCCESS"

ex_flow team sleeper '
id: sleeper
namespace: team
tasks:
  - id: s
    type: io.kestra.plugin.scripts.shell.Commands
    commands: ["sleep 62"]
'
EID=$(ex_exec team sleeper)
for i in $(seq 1 100); do [ "$(count "state = 'RUNNING'")" = 1 ] && break; sleep 0.05; done
start=$(date +%s%N)
pg_psql -c "UPDATE executions SET state = 'KILLING' WHERE id = '$EID'; SELECT pg_notify('weft_domain_team', '$EID')" >/dev/null
ST=$(ex_wait "$EID" 10)
ms=$(( ($(date +%s%N) - start) / 1000000 ))
t_is "$ST" "KILLED" "kill: KILLED"
t_ok "kill took under a second (${ms} ms)" test "$ms" -lt 1000
t_is "$(pg_psql -c "SELECT state FROM task_runs WHERE execution_id = '$EID'")" "KILLED" "kill: task run KILLED"

run conc '
id: conc
namespace: team
concurrency:
  limit: 1
  behavior: FAIL
tasks:
  - id: s
    type: io.kestra.plugin.scripts.shell.Commands
    commands: ["sleep 1"]
'
E1=$(ex_exec team conc)
for i in $(seq 1 100); do [ "$(ex_state "$E1")" = RUNNING ] && break; sleep 0.05; done
E2=$(ex_exec team conc)
t_is "$(ex_wait "$E2" 10)" "FAILED" "concurrency FAIL: second execution FAILED while the first runs"
t_is "$(ex_wait "$E1" 10)" "SUCCESS" "concurrency: first execution unaffected"

# secret(): sealed to the domain's key (registered by the executor at start),
# unsealed only for the task, masked in the logs.
PUB=$(pg_psql -c "SELECT encode(public_key, 'base64') FROM domains WHERE name = 'team'")
t_match "$PUB" '^[A-Za-z0-9+/]{43}=$' "executor registered its domain's public key"
SEALED=$("$WF_BUILDDIR/tests/integration/executor_seal" "$PUB" team DB_PASS 1 's3cr3t-value')
pg_psql -c "INSERT INTO secrets (namespace, key, domain, version, sealed, created_by) VALUES ('team', 'DB_PASS', 'team', 1, '\\x$SEALED', 'test')" >/dev/null
run secret '
id: secret
namespace: team
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "pw={{ secret(\"DB_PASS\") }}"
  - id: sh
    type: io.kestra.plugin.scripts.shell.Commands
    env:
      PW: "{{ secret(\"DB_PASS\") }}"
    commands:
      - echo "len=$(printf %s "$PW" | wc -c) value=$PW"
'
t_is "$ST" "SUCCESS" "secret(): SUCCESS"
t_is "$(pg_psql -c "SELECT count(*) FROM logs WHERE execution_id = '$EID' AND line LIKE '%s3cr3t%'")" "0" \
    "the secret value never reaches the logs"
t_is "$(pg_psql -c "SELECT line FROM logs WHERE execution_id = '$EID' AND line LIKE 'len=%'")" "len=12 value=****" \
    "the task received the value; its output is masked"
t_is "$(pg_psql -c "SELECT line FROM logs WHERE execution_id = '$EID' AND line LIKE 'pw=%'")" "pw=****" \
    "rendered messages are masked"
run nosecret '
id: nosecret
namespace: team
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{ secret(\"NOPE\") }}"
'
t_is "$ST" "FAILED" "an unknown secret fails the task"

t_ok "no sandbox left behind" bash -c "! pgrep -x sleep -a | grep -q 'sleep 62'"
t_done
