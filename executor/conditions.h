/* Trigger conditions (Kestra's io.kestra.plugin.core.condition.*), evaluated
 * when a Schedule ticks and when a Flow trigger sees an execution end:
 * the execution conditions (ExecutionFlow, ExecutionStatus,
 * ExecutionNamespace), the calendar conditions (DayWeek, DayWeekInMonth,
 * Weekend, TimeBetween, DateTimeBetween), Expression and the combinators
 * Not and Or,
 * nested to any depth. Pure functions of the condition, the event and the
 * expression variables: no database, no clock but what `vars` holds. */
#ifndef WF_EXECUTOR_CONDITIONS_H
#define WF_EXECUTOR_CONDITIONS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "executor/mesh.h"

/* What a condition is evaluated against (all borrowed). */
typedef struct wf_xcond_env {
    /* The expression variables `date`, `after` and `before` are rendered
     * against; their `trigger.date` is the date a condition tests when it
     * names none (the tick of a Schedule, the end of the execution for a
     * Flow trigger), an ISO-8601 date-time with offset. */
    json_t *vars;
    /* The execution that ended (Flow triggers); NULL for a Schedule. */
    const wf_xmesh_event_t *event;
} wf_xcond_env_t;

/* 1 when condition `c` holds, 0 when it does not, -1 when it cannot be
 * evaluated (a date that does not parse, an execution condition without an
 * execution, a type this executor does not know), with the reason in `err`:
 * the trigger then does not fire, as Kestra's does not. */
int wf_xcond_holds(json_t *c, const wf_xcond_env_t *env, char *err, size_t errlen);
/* All of a list of conditions (an absent or empty list holds). With
 * `schedule`, execution conditions are passed over as Kestra's Schedule
 * does (it keeps only the schedule conditions of the list). */
int wf_xcond_all(json_t *conds, const wf_xcond_env_t *env, bool schedule, char *err,
                 size_t errlen);
/* True for the execution conditions (ExecutionFlow, ExecutionStatus,
 * ExecutionNamespace, MultipleCondition). */
bool wf_xcond_is_execution(json_t *c);
/* The last dotted part of the condition's type ("DayWeek" for
 * io.kestra.plugin.core.condition.DayWeekCondition), without the old
 * "Condition" suffix; "" when the type is missing. */
const char *wf_xcond_kind(json_t *c, char *buf, size_t len);

#endif
