#!/usr/bin/env bash
# Trigger conditions end to end, through the real gateway and executor:
# per-second Schedules whose DayWeek, Weekend, TimeBetween and
# DateTimeBetween conditions hold or not today (a tick that fails them is
# spent without an execution), Flow triggers whose Not/Or of ExecutionFlow,
# ExecutionStatus and DayWeek fire exactly for the executions they select,
# and a condition the validator refuses at its line and column.
. "$WF_SRCDIR/tests/lib/tap.sh"
. "$WF_SRCDIR/tests/lib/pg.sh"
. "$WF_SRCDIR/tests/lib/gateway.sh"
. "$WF_SRCDIR/tests/lib/executor.sh"
ex_gw_setup
gw_admin
ex_ops_start

C=io.kestra.plugin.core.condition
# Near midnight UTC "today" would change under the test: wait it out.
while [ "$(date -u +%H%M)" = 2359 ]; do sleep 5; done
TODAY=$(date -u +%A | tr a-z A-Z)
OTHER=$(date -u -d '+3 days' +%A | tr a-z A-Z)
case $TODAY in SATURDAY | SUNDAY) WEEKEND=1 ;; *) WEEKEND=0 ;; esac

# sched FLOW CONDITIONS-YAML: a flow with a per-second Schedule.
sched() {
    ex_apply "
id: $1
namespace: ops
triggers:
  - id: every-second
    type: io.kestra.plugin.core.trigger.Schedule
    cron: \"*/1 * * * * *\"
    withSeconds: true
    conditions:
$2
tasks:
  - id: t
    type: io.kestra.plugin.core.log.Log
    message: \"tick {{ trigger.date }}\"
"
}
sched today "      - type: $C.DayWeek
        dayOfWeek: $TODAY"
sched other-day "      - type: $C.DayWeek
        dayOfWeek: $OTHER"
sched weekend "      - type: $C.Weekend"
sched weekday "      - type: $C.Not
        conditions:
          - type: $C.Weekend"
sched first-or-today "      - type: $C.Or
        conditions:
          - type: $C.DayWeekInMonth
            dayOfWeek: $OTHER
            dayInMonth: LAST
          - type: $C.DayWeek
            dayOfWeek: $TODAY"
# A TimeBetween window around now, and one later today (both within the
# UTC day: Java's OffsetTime comparison does not wrap at midnight).
IN_AFTER=$(date -u -d '-2 min' +%H:%M:%S)
IN_BEFORE=$(date -u -d '+10 min' +%H:%M:%S)
OUT_AFTER=$(date -u -d '+20 min' +%H:%M:%S)
OUT_BEFORE=$(date -u -d '+30 min' +%H:%M:%S)
WRAPS=0
[[ "$IN_AFTER" < "$OUT_BEFORE" ]] || WRAPS=1
sched window "      - type: $C.TimeBetween
        after: \"${IN_AFTER}Z\"
        before: \"${IN_BEFORE}+00:00\""
sched later "      - type: $C.TimeBetween
        after: \"${OUT_AFTER}Z\"
        before: \"${OUT_BEFORE}Z\""
sched this-period "      - type: $C.DateTimeBetween
        after: \"$(date -u -d '-1 min' +%Y-%m-%dT%H:%M:%SZ)\"
        before: \"$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%S+00:00)\""
sched next-year "      - type: $C.DateTimeBetween
        after: \"$(date -u -d '+1 year' +%Y-%m-%dT%H:%M:%SZ)\""
# The schedules are re-read every 5 s: give each a few ticks after that.
sleep 9
for f in today other-day weekend weekday first-or-today window later this-period next-year; do
    ex_apply "id: $f
namespace: ops
disabled: true
tasks:
  - id: t
    type: io.kestra.plugin.core.log.Log
    message: off
"
done
sleep 1
fired() { [ "$(ex_count ops "$1")" -ge 2 ]; }
silent() { [ "$(ex_count ops "$1")" = 0 ]; }
t_diag "today is $TODAY (UTC); other day $OTHER; today fired $(ex_count ops today) times"
t_ok "DayWeek of today: the schedule fires" fired today
t_ok "DayWeek of another day: no execution" silent other-day
if [ $WEEKEND = 1 ]; then
    t_ok "Weekend on a weekend day: fires" fired weekend
    t_ok "Not(Weekend) on a weekend day: no execution" silent weekday
else
    t_ok "Weekend on a weekday: no execution" silent weekend
    t_ok "Not(Weekend) on a weekday: fires" fired weekday
fi
t_ok "Or(LAST $OTHER of the month, DayWeek today): fires" fired first-or-today
if [ $WRAPS = 0 ]; then
    t_ok "TimeBetween a window around now: fires" fired window
    t_ok "TimeBetween a window later today: no execution" silent later
else
    t_skip "TimeBetween around now" "the windows cross midnight UTC"
    t_skip "TimeBetween later today" "the windows cross midnight UTC"
fi
t_ok "DateTimeBetween from a minute ago to tomorrow: fires" fired this-period
t_ok "DateTimeBetween after next year: no execution" silent next-year
t_is "$(pg_psql -c "SELECT count(*) FROM executions WHERE flow_id = 'today' AND trigger->>'date' IS NULL")" \
    0 "executions of a conditioned schedule carry the trigger date"

# ---- Flow triggers: Not and Or of execution conditions ----
ex_apply '
id: src-ok
namespace: ops
tasks:
  - id: r
    type: io.kestra.plugin.core.debug.Return
    format: fine
'
ex_apply '
id: src-bad
namespace: ops
tasks:
  - id: f
    type: io.kestra.plugin.core.execution.Fail
'
# consumer FLOW CONDITIONS-YAML
consumer() {
    ex_apply "
id: $1
namespace: ops
triggers:
  - id: on-end
    type: io.kestra.plugin.core.trigger.Flow
    conditions:
$2
tasks:
  - id: saw
    type: io.kestra.plugin.core.debug.Return
    format: \"{{ trigger.flowId }} {{ trigger.state }}\"
"
}
ANY_SRC="      - type: $C.Or
        conditions:
          - type: $C.ExecutionFlow
            namespace: ops
            flowId: src-ok
          - type: $C.ExecutionFlow
            namespace: ops
            flowId: src-bad"
consumer on-failure "$ANY_SRC
      - type: $C.Not
        conditions:
          - type: $C.ExecutionStatus
            in: [SUCCESS]"
consumer on-any-today "$ANY_SRC
      - type: $C.Or
        conditions:
          - type: $C.DayWeek
            dayOfWeek: $OTHER
          - type: $C.DayWeek
            dayOfWeek: $TODAY"
consumer on-other-day "$ANY_SRC
      - type: $C.DayWeek
        dayOfWeek: $OTHER"
consumer not-bad "$ANY_SRC
      - type: $C.Not
        conditions:
          - type: $C.ExecutionFlow
            namespace: ops
            flowId: src-bad
          - type: $C.Or
            conditions:
              - type: $C.ExecutionFlow
                namespace: ops
                flowId: on-failure
              - type: $C.ExecutionFlow
                namespace: ops
                flowId: on-any-today
              - type: $C.ExecutionFlow
                namespace: ops
                flowId: on-other-day"
sleep 1.5 # an execution's end re-reads flows older than a second
ex_runw src-ok
t_is "$(jget "$BODY" .state.current)" SUCCESS "src-ok ran"
ex_runw src-bad
t_is "$(jget "$BODY" .state.current)" FAILED "src-bad ran and failed"
# Wait for the consumers (each a few task runs) to end.
for i in $(seq 1 150); do
    n=$(pg_psql -c "SELECT count(*) FROM executions WHERE flow_id IN ('on-failure','on-any-today','not-bad') AND state = 'SUCCESS'")
    [ "$n" -ge 4 ] && break
    sleep 0.1
done
sleep 1 # and for any execution that should not have started
saw() { pg_psql -c "SELECT coalesce(string_agg(tr.outputs->>'value', ',' ORDER BY tr.outputs->>'value'), '') FROM executions e JOIN task_runs tr ON tr.execution_id = e.id WHERE e.flow_id = '$1'"; }
t_is "$(saw on-failure)" "src-bad FAILED" "Or(flows) + Not(SUCCESS): fired for the failure only"
t_is "$(saw on-any-today)" "src-bad FAILED,src-ok SUCCESS" "Or(flows) + Or(DayWeek other, today): fired for both"
t_is "$(saw on-other-day)" "" "DayWeek of another day: a Flow trigger does not fire"
t_is "$(saw not-bad)" "src-ok SUCCESS" \
    "Not(src-bad, Or(the consumers)): fired for src-ok only (not src-bad, not the consumers)"

# ---- validation through the gateway ----
http POST /api/v1/flows "${AU[@]}" "${Y[@]}" --data-binary "id: bad
namespace: ops
triggers:
  - id: s
    type: io.kestra.plugin.core.trigger.Schedule
    cron: \"0 11 * * *\"
    conditions:
      - type: $C.Not
        conditions:
          - type: $C.DayWeekInMonth
            dayOfWeek: MONDAY
            dayInMonth: FIFTH
      - type: $C.TimeBetween
        after: \"16:00\"
        befor: \"20:00:00Z\"
tasks:
  - id: t
    type: io.kestra.plugin.core.log.Log
    message: m
"
t_is "$STATUS" 422 "a flow with bad conditions: 422"
t_match "$(jget "$BODY" .errors)" "\"line\": ?12" "dayInMonth FIFTH at its line"
t_match "$(jget "$BODY" .errors)" "FIFTH" "named"
t_match "$(jget "$BODY" .errors)" "'16:00' is not an ISO-8601 time with offset" "a time without offset"
t_match "$(jget "$BODY" .errors)" "unknown property 'befor'" "an unknown property"
t_is "$(ex_count ops bad)" 0 "nothing stored"
t_done
