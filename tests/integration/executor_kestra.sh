#!/usr/bin/env bash
# Flowable outcomes as Kestra's own tests state them, with flows of our own
# (tests/conformance/outcomes.sh checks Kestra's flows when they are at
# hand): a Switch whose value no case foresaw and that has no defaults
# fails; a ForEach over a null value fails before any iteration, with
# Kestra's message; allowWarning on a flowable turns the WARNING that
# allowFailure gave it into SUCCESS; a ForEach without a concurrency limit
# starts every iteration even when the first fails as it starts
# (BadFlowableTest.flowableWithParentFail), one with the default limit of 1
# stops there; an expression naming a missing output fails its task at run
# time (TaskWithRunIfTest: the flow was accepted, with a warning).
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/executor.sh"
ex_setup
ex_domain team team
ex_start team --slots 4 || t_bail "cannot start the executor"
count() { pg_psql -c "SELECT count(*) FROM task_runs WHERE execution_id = '$1'"; }
trstate() { pg_psql -c "SELECT state FROM task_runs WHERE execution_id = '$1' AND task_id = '$2'"; }

ex_flow team route '
id: route
namespace: team
inputs:
  - id: kind
    type: STRING
tasks:
  - id: pick
    type: io.kestra.plugin.core.flow.Switch
    value: "{{ inputs.kind }}"
    cases:
      parcel:
        - id: ship
          type: io.kestra.plugin.core.log.Log
          message: shipping
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: done
'
NOCASE=$(ex_exec team route '{"kind":"pallet"}')
CASE=$(ex_exec team route '{"kind":"parcel"}')
ex_flow team route_dflt '
id: route_dflt
namespace: team
tasks:
  - id: pick
    type: io.kestra.plugin.core.flow.Switch
    value: pallet
    cases:
      parcel:
        - id: ship
          type: io.kestra.plugin.core.log.Log
          message: shipping
    defaults:
      - id: hold
        type: io.kestra.plugin.core.log.Log
        message: holding
'
DFLT=$(ex_exec team route_dflt)
ex_flow team each_gap '
id: each_gap
namespace: team
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: "[\"a\", null, {\"k\": [1, 2]}]"
    tasks:
      - id: one
        type: io.kestra.plugin.core.debug.Return
        format: "{{ taskrun.value }}"
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: not reached
'
GAP=$(ex_exec team each_gap)
ex_flow team tolerant '
id: tolerant
namespace: team
tasks:
  - id: seq
    type: io.kestra.plugin.core.flow.Sequential
    allowFailure: true
    allowWarning: true
    tasks:
      - id: boom
        type: io.kestra.plugin.core.execution.Fail
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: still runs
'
TOL=$(ex_exec team tolerant)
ex_flow team warned '
id: warned
namespace: team
tasks:
  - id: seq
    type: io.kestra.plugin.core.flow.Sequential
    allowFailure: true
    tasks:
      - id: boom
        type: io.kestra.plugin.core.execution.Fail
'
WARN=$(ex_exec team warned)
ex_flow team each_all '
id: each_all
namespace: team
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    concurrencyLimit: 0
    values: ["a", "b", "c"]
    tasks:
      - id: check
        type: io.kestra.plugin.core.flow.If
        condition: "{{ outputs.nothere.value == 1 }}"
        then:
          - id: yes
            type: io.kestra.plugin.core.log.Log
            message: yes
'
ALL=$(ex_exec team each_all)
ex_flow team each_one '
id: each_one
namespace: team
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: ["a", "b", "c"]
    tasks:
      - id: check
        type: io.kestra.plugin.core.flow.If
        condition: "{{ outputs.nothere.value == 1 }}"
        then:
          - id: yes
            type: io.kestra.plugin.core.log.Log
            message: yes
'
ONE=$(ex_exec team each_one)
ex_flow team runif_missing '
id: runif_missing
namespace: team
tasks:
  - id: first
    type: io.kestra.plugin.core.log.Log
    message: first
  - id: guarded
    type: io.kestra.plugin.core.log.Log
    runIf: "{{ outputs.nothere == 2 }}"
    message: never
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: not reached
'
RUNIF=$(ex_exec team runif_missing)

t_is "$(ex_wait "$NOCASE" 30)" FAILED "Switch: a value no case matches, without defaults, fails the execution"
t_is "$(trstate "$NOCASE" pick)/$(count "$NOCASE")" FAILED/1 "the Switch fails and nothing after it runs"
t_match "$(ex_errors "$NOCASE")" "no case matches" "and says why"
t_is "$(pg_psql -c "SELECT outputs->>'value' || ':' || (outputs->>'defaults') FROM task_runs WHERE execution_id = '$NOCASE' AND task_id = 'pick'")" \
    "pallet:true" "its outputs: the value and defaults (Kestra's Switch.Output)"
t_is "$(ex_wait "$CASE" 30)/$(count "$CASE")" SUCCESS/3 "a matching case runs as before"
t_is "$(ex_wait "$DFLT" 30)/$(trstate "$DFLT" hold)" SUCCESS/SUCCESS "no match with defaults runs the defaults"

t_is "$(ex_wait "$GAP" 30)/$(count "$GAP")" FAILED/1 "ForEach over a null value fails before any iteration"
t_match "$(ex_errors "$GAP")" "Found '1' null values on Each, with values=\[a, null, \{k=\[1, 2\]\}\]" \
    "with Kestra's message, values written as Java writes them"

t_is "$(ex_wait "$TOL" 30)" SUCCESS "allowFailure + allowWarning on a flowable: the execution succeeds"
t_is "$(trstate "$TOL" seq)/$(trstate "$TOL" boom)/$(trstate "$TOL" after)" SUCCESS/FAILED/SUCCESS \
    "the flowable is SUCCESS, its failed child stays FAILED, the next task runs"
t_is "$(ex_wait "$WARN" 30)/$(trstate "$WARN" seq)" WARNING/WARNING "allowFailure alone still gives WARNING"

t_is "$(ex_wait "$ALL" 30)/$(count "$ALL")" FAILED/4 \
    "ForEach, concurrencyLimit 0: every iteration starts though the first fails at once"
t_is "$(pg_psql -c "SELECT string_agg(DISTINCT state, ',') FROM task_runs WHERE execution_id = '$ALL' AND task_id = 'check'")" \
    FAILED "each iteration's If fails on its condition"
t_is "$(ex_wait "$ONE" 30)/$(count "$ONE")" FAILED/2 "ForEach, default limit 1: no iteration after the failed one"
t_is "$(ex_wait "$RUNIF" 30)/$(trstate "$RUNIF" first)/$(trstate "$RUNIF" guarded)/$(count "$RUNIF")" \
    FAILED/SUCCESS/FAILED/2 "a runIf naming a missing output fails its task, nothing after it runs"
t_done
