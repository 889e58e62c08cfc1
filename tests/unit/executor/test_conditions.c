/* Trigger conditions (executor/conditions.c): the calendar conditions on
 * fixed dates, their bounds as Kestra compares them, Not and Or nested with
 * execution conditions, `date` rendered from the variables, evaluation
 * errors, and the validator's refusals at file:line:col (flow/types.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "executor/conditions.h"
#include "flow/flow.h"
#include "flow/time.h"
#include "platform/diag.h"
#include "tests/tap.h"

#define COND "io.kestra.plugin.core.condition."

/* Evaluates condition `json` at trigger date `date` (and event `e`). */
static int eval_at(const char *json, const char *date, const wf_xmesh_event_t *e, char *err,
                   size_t errlen)
{
    json_error_t je;
    json_t *c = json_loads(json, 0, &je);
    if (c == NULL) {
        snprintf(err, errlen, "bad test JSON: %s", je.text);
        return -2;
    }
    json_t *vars = json_pack("{s:{s:s},s:{s:s}}", "trigger", "date", date, "vars", "day",
                             "2024-06-01");
    wf_xcond_env_t env = {.vars = vars, .event = e};
    int r = wf_xcond_holds(c, &env, err, errlen);
    json_decref(vars);
    json_decref(c);
    return r;
}

static int at(const char *json, const char *date)
{
    char err[400];
    int r = eval_at(json, date, NULL, err, sizeof(err));
    if (r < 0)
        fprintf(stderr, "# %s -> %s\n", json, err);
    return r;
}

/* The first diagnostic of validating `src`, "LINE:COL: message", or "". */
static const char *first_error(const char *src, char *buf, size_t len)
{
    wf_diags_t d;
    wf_flow_t *f = wf_flow_parse(src, strlen(src), "t.yaml", &d);
    buf[0] = '\0';
    if (d.count > 0)
        snprintf(buf, len, "%d:%d: %s", d.items[0].line, d.items[0].col, d.items[0].message);
    wf_diags_dispose(&d);
    wf_flow_free(f);
    return buf;
}

#define SCHED                                                                                      \
    "id: s\nnamespace: ops\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n"        \
    "    message: m\ntriggers:\n  - id: tr\n    type: io.kestra.plugin.core.trigger.Schedule\n"  \
    "    cron: \"0 11 * * *\"\n    conditions:\n"

int main(void)
{
    /* ---- ISO-8601 parsing ---- */
    wf_datetime_t dt;
    char msg[300];
    ok(wf_datetime_parse("2024-06-01", &dt, msg, sizeof(msg)) == 0 && dt.weekday == 6 &&
           !dt.has_time,
       "a bare date parses (2024-06-01 is a Saturday)");
    ok(wf_datetime_parse("2024-06-03T23:30:00.5+02:00[Europe/Paris]", &dt, msg, sizeof(msg)) ==
               0 &&
           dt.weekday == 1 && dt.offset_s == 7200 && dt.nsec == 500000000,
       "a zoned date-time with fraction and zone id parses");
    ok(wf_datetime_parse("2024-06-03T10:00:00", &dt, msg, sizeof(msg)) < 0 &&
           strstr(msg, "no zone offset") != NULL,
       "a date-time without offset is refused, as Java's ZonedDateTime does: %s", msg);
    ok(wf_datetime_parse("2023-02-29", &dt, msg, sizeof(msg)) < 0, "2023-02-29 does not exist");
    int64_t ns;
    ok(wf_offset_time_parse("16:00:00+02:00", &ns, msg, sizeof(msg)) == 0 &&
           ns == 14LL * 3600 * 1000000000LL,
       "an offset time is read on the UTC line");
    ok(wf_offset_time_parse("16:00", &ns, msg, sizeof(msg)) < 0, "a time needs its offset");

    /* ---- DayWeek, Weekend: the local date of the tested date ---- */
    const char *mon = "{\"type\":\"" COND "DayWeek\",\"dayOfWeek\":\"MONDAY\"}";
    is_int(at(mon, "2024-06-03T11:00:00Z"), 1, "DayWeek MONDAY on a Monday");
    is_int(at(mon, "2024-06-04T11:00:00Z"), 0, "DayWeek MONDAY on a Tuesday");
    is_int(at(mon, "2024-06-02T23:30:00-01:00"), 0,
           "the date's own offset decides the day (Sunday 23:30 at -01:00)");
    is_int(at("{\"type\":\"io.kestra.core.models.conditions.types.DayWeekCondition\","
              "\"dayOfWeek\":\"SATURDAY\",\"date\":\"{{ vars.day }}\"}",
              "2024-06-03T11:00:00Z"),
           1, "the old name and a rendered `date` (vars.day, a Saturday)");
    const char *we = "{\"type\":\"" COND "Weekend\"}";
    is_int(at(we, "2024-06-01T08:00:00Z"), 1, "Weekend on a Saturday");
    is_int(at(we, "2024-06-02"), 1, "Weekend on a Sunday (bare date)");
    is_int(at(we, "2024-06-03T08:00:00Z"), 0, "Weekend on a Monday");

    /* ---- DayWeekInMonth ---- */
    char c[300];
#define DWIM(day, which)                                                                          \
    (snprintf(c, sizeof(c),                                                                        \
              "{\"type\":\"" COND "DayWeekInMonth\",\"dayOfWeek\":\"%s\",\"dayInMonth\":\"%s\"}", \
              day, which),                                                                         \
     c)
    is_int(at(DWIM("MONDAY", "FIRST"), "2024-06-03T00:00:00Z"), 1, "first Monday of June 2024");
    is_int(at(DWIM("MONDAY", "FIRST"), "2024-06-10T00:00:00Z"), 0, "second Monday is not FIRST");
    is_int(at(DWIM("MONDAY", "SECOND"), "2024-06-10T00:00:00Z"), 1, "second Monday");
    is_int(at(DWIM("MONDAY", "THIRD"), "2024-06-17"), 1, "third Monday");
    is_int(at(DWIM("MONDAY", "FOURTH"), "2024-06-24"), 1, "fourth Monday");
    is_int(at(DWIM("MONDAY", "LAST"), "2024-06-24"), 1, "the fourth Monday is the last of June");
    is_int(at(DWIM("FRIDAY", "LAST"), "2024-05-31"), 1, "last Friday of May 2024 (the 31st)");
    is_int(at(DWIM("FRIDAY", "LAST"), "2024-05-24"), 0, "a Friday with one after it is not LAST");
    is_int(at(DWIM("FRIDAY", "FOURTH"), "2024-05-24"), 1, "... it is the FOURTH");
    is_int(at(DWIM("TUESDAY", "FIRST"), "2024-06-03"), 0, "the wrong weekday never holds");

    /* ---- TimeBetween: strict, OffsetTime comparison ---- */
    const char *tb = "{\"type\":\"" COND "TimeBetween\",\"after\":\"16:00:00+02:00\","
                     "\"before\":\"20:00:00+02:00\"}";
    is_int(at(tb, "2024-06-03T15:00:00Z"), 1, "17:00+02:00 is between 16:00 and 20:00 (+02:00)");
    is_int(at(tb, "2024-06-03T17:00:00+02:00"), 1, "the same written in the zone");
    is_int(at(tb, "2024-06-03T14:00:00Z"), 0, "the `after` bound itself is excluded");
    is_int(at(tb, "2024-06-03T19:00:00Z"), 0, "21:00+02:00 is after `before`");
    is_int(at("{\"type\":\"" COND "TimeBetween\",\"before\":\"08:00:00Z\"}",
              "2024-06-03T07:59:59Z"),
           1, "only `before`");
    char err[400];
    is_int(eval_at("{\"type\":\"" COND "TimeBetween\"}", "2024-06-03T07:00:00Z", NULL, err,
                   sizeof(err)),
           -1, "no bound: an evaluation error (%s)", err);
    is_int(eval_at(tb, "2024-06-03", NULL, err, sizeof(err)), -1,
           "a bare date has no time to compare (%s)", err);

    /* ---- DateTimeBetween: instants, bounds included ---- */
    const char *dtb = "{\"type\":\"" COND "DateTimeBetweenCondition\","
                      "\"after\":\"2024-01-01T00:00:00Z\",\"before\":\"2024-12-31T23:59:59Z\"}";
    is_int(at(dtb, "2024-06-03T10:00:00+02:00"), 1, "inside the year");
    is_int(at(dtb, "2024-01-01T01:00:00+01:00"), 1, "the `after` instant itself is included");
    is_int(at(dtb, "2023-12-31T23:59:59Z"), 0, "before `after`");
    is_int(at(dtb, "2025-01-01T00:59:59+01:00"), 1, "the `before` instant in another offset");
    is_int(at(dtb, "2025-01-01T00:00:00Z"), 0, "after `before`");
    is_int(eval_at("{\"type\":\"" COND "DateTimeBetween\",\"after\":\"{{ vars.nope }}\"}",
                   "2024-06-03T10:00:00Z", NULL, err, sizeof(err)),
           -1, "a bound that does not render is an error (%s)", err);

    /* ---- Not and Or, nested, with execution conditions ---- */
    json_t *labels = json_object();
    wf_xmesh_event_t ev = {"sales", "orders", "FAILED", labels};
    char ors[600];
    snprintf(ors, sizeof(ors),
             "{\"type\":\"" COND "Or\",\"conditions\":["
             "{\"type\":\"" COND "ExecutionFlow\",\"namespace\":\"sales\",\"flowId\":\"refunds\"},"
             "{\"type\":\"" COND "Not\",\"conditions\":["
             "{\"type\":\"" COND "ExecutionStatus\",\"in\":[\"SUCCESS\"]}]}]}");
    is_int(eval_at(ors, "2024-06-03T10:00:00Z", &ev, err, sizeof(err)), 1,
           "Or(flow refunds, Not(SUCCESS)) holds for a FAILED orders");
    ev.state = "SUCCESS";
    is_int(eval_at(ors, "2024-06-03T10:00:00Z", &ev, err, sizeof(err)), 0,
           "... and not for a successful one");
    ev.flow = "refunds";
    is_int(eval_at(ors, "2024-06-03T10:00:00Z", &ev, err, sizeof(err)), 1,
           "... but for refunds whatever its state");
    is_int(eval_at("{\"type\":\"" COND "Not\",\"conditions\":[" "{\"type\":\"" COND "Weekend\"},"
                   "{\"type\":\"" COND "DayWeek\",\"dayOfWeek\":\"FRIDAY\"}]}",
                   "2024-06-06T10:00:00Z", &ev, err, sizeof(err)),
           1, "Not(Weekend, Friday) on a Thursday: none holds");
    is_int(eval_at("{\"type\":\"" COND "Not\",\"conditions\":[" "{\"type\":\"" COND "Weekend\"},"
                   "{\"type\":\"" COND "DayWeek\",\"dayOfWeek\":\"FRIDAY\"}]}",
                   "2024-06-07T10:00:00Z", &ev, err, sizeof(err)),
           0, "... on a Friday one does");
    is_int(eval_at("{\"type\":\"" COND "ExecutionStatus\",\"in\":[\"SUCCESS\"]}",
                   "2024-06-07T10:00:00Z", NULL, err, sizeof(err)),
           -1, "an execution condition without an execution is an error (%s)", err);
    is_int(eval_at("{\"type\":\"" COND "Expression\",\"expression\":"
                   "\"{{ trigger.date | date('EEEE') == 'Friday' }}\"}",
                   "2024-06-07T10:00:00Z", NULL, err, sizeof(err)),
           1, "Expression renders against the trigger (%s)", err);
    json_decref(labels);

    /* A Schedule passes over execution conditions, as Kestra's does. */
    json_t *list = json_loads("[{\"type\":\"" COND "ExecutionStatus\",\"in\":[\"SUCCESS\"]},"
                              "{\"type\":\"" COND "Weekend\"}]",
                              0, NULL);
    json_t *vars = json_pack("{s:{s:s}}", "trigger", "date", "2024-06-01T11:00:00Z");
    wf_xcond_env_t env = {.vars = vars, .event = NULL};
    is_int(wf_xcond_all(list, &env, true, err, sizeof(err)), 1,
           "schedule: ExecutionStatus passed over, Weekend holds on a Saturday");
    json_object_set_new(json_object_get(vars, "trigger"), "date",
                        json_string("2024-06-03T11:00:00Z"));
    is_int(wf_xcond_all(list, &env, true, err, sizeof(err)), 0, "... and not on a Monday");
    json_decref(vars);
    json_decref(list);

    /* ---- validation at file:line:col ---- */
    char buf[600];
    is_str(first_error(SCHED "      - type: " COND "DayWeek\n        dayOfWeek: MONDAY\n"
                       "      - type: " COND "Or\n        conditions:\n"
                       "          - type: " COND "Not\n            conditions:\n"
                       "              - type: " COND "Weekend\n"
                       "          - type: " COND "DayWeekInMonth\n"
                       "            dayOfWeek: FRIDAY\n            dayInMonth: LAST\n"
                       "      - type: " COND "TimeBetween\n        after: \"16:00:00+02:00\"\n"
                       "      - type: " COND "DateTimeBetween\n"
                       "        before: \"2030-01-01T00:00:00Z\"\n"
                       "        date: \"{{ trigger.date }}\"\n",
                       buf, sizeof(buf)),
           "", "every condition, nested, validates");
    ok(strstr(first_error(SCHED "      - type: " COND "DayWeek\n        dayOfWeek: MONDAY\n"
                                "        dayofweek: MONDAY\n",
                          buf, sizeof(buf)),
              "14:9:") == buf && strstr(buf, "dayofweek") != NULL,
       "an unknown property is refused at its place: %s", buf);
    ok(strstr(first_error(SCHED "      - type: " COND "DayWeek\n        dayOfWeek: MON\n", buf,
                          sizeof(buf)),
              "13:20:") == buf,
       "a day that is not one: %s", buf);
    ok(strstr(first_error(SCHED "      - type: " COND "DayWeekInMonth\n        dayOfWeek: MONDAY\n"
                                "        dayInMonth: FIFTH\n",
                          buf, sizeof(buf)),
              "14:21:") == buf,
       "dayInMonth FIFTH: %s", buf);
    ok(strstr(first_error(SCHED "      - type: " COND "TimeBetween\n        after: \"16:00\"\n",
                          buf, sizeof(buf)),
              "13:16:") == buf &&
           strstr(buf, "offset") != NULL,
       "a time without offset: %s", buf);
    ok(strstr(first_error(SCHED "      - type: " COND "DateTimeBetween\n"
                                "        after: \"2024-01-01\"\n",
                          buf, sizeof(buf)),
              "13:16:") == buf,
       "a date where a date-time is needed: %s", buf);
    ok(strstr(first_error(SCHED "      - type: " COND "TimeBetween\n", buf, sizeof(buf)), "12:9:") ==
               buf &&
           strstr(buf, "'after', 'before'") != NULL,
       "TimeBetween without a bound: %s", buf);
    ok(strstr(first_error(SCHED "      - type: " COND "Weekend\n        date: \"2024-13-01\"\n", buf,
                          sizeof(buf)),
              "13:15:") == buf,
       "a written date that is not one: %s", buf);
    ok(strstr(first_error(SCHED "      - type: " COND "Not\n        conditions:\n"
                                "          - type: " COND "DayWeek\n",
                          buf, sizeof(buf)),
              "14:13:") == buf &&
           strstr(buf, "dayOfWeek") != NULL,
       "a nested condition is checked too: %s", buf);
    ok(strstr(first_error(SCHED "      - type: " COND "Or\n        conditions: []\n", buf,
                          sizeof(buf)),
              "13:21:") == buf,
       "Or with no conditions: %s", buf);
    return tap_done();
}
