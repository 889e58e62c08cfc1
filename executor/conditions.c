/* Trigger conditions: see conditions.h. Each kind is a row of the table at
 * the bottom (the names as Kestra spells them, without the old "Condition"
 * suffix); Not and Or call back into wf_xcond_holds for their children. */
#include "executor/conditions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/expr/expr.h"
#include "flow/time.h"
#include "platform/text.h"

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

const char *wf_xcond_kind(json_t *c, char *buf, size_t len)
{
    const char *type = wf_json_str(c, "type");
    if (type == NULL || len == 0) {
        if (len > 0)
            buf[0] = '\0';
        return buf;
    }
    const char *dot = strrchr(type, '.');
    snprintf(buf, len, "%s", dot ? dot + 1 : type);
    /* "ExecutionFlowCondition" -> "ExecutionFlow"; "MultipleCondition" stays. */
    size_t n = strlen(buf);
    if (strcmp(buf, "MultipleCondition") != 0 && n > 9 && ends_with(buf, "Condition"))
        buf[n - 9] = '\0';
    if (strcmp(buf, "Variable") == 0) /* the old name of Expression */
        snprintf(buf, len, "Expression");
    return buf;
}

static bool in_list(json_t *list, const char *v)
{
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        if (json_is_string(e) && strcmp(json_string_value(e), v) == 0)
            return true;
    }
    return false;
}

/* Renders property `name` of `c` against the variables: the text, or
 * `dflt` when the property is absent. NULL with `err` on a render error.
 * The result is malloc'd. */
static char *render_prop(json_t *c, const char *name, const char *dflt, const wf_xcond_env_t *env,
                         char *err, size_t errlen)
{
    json_t *v = json_object_get(c, name);
    if (v == NULL || json_is_null(v))
        return dflt ? strdup(dflt) : NULL;
    if (!json_is_string(v)) {
        snprintf(err, errlen, "'%s' is not a string", name);
        return NULL;
    }
    const char *src = json_string_value(v);
    wf_expr_err_t e = {0};
    wf_tmpl_t *t = wf_tmpl_compile(src, strlen(src), &e);
    if (t == NULL) {
        snprintf(err, errlen, "%s: %d:%d: %s", name, e.line, e.col, e.msg);
        return NULL;
    }
    char *out = NULL;
    if (wf_tmpl_is_static(t)) {
        out = strdup(src);
    } else {
        /* A runtime per render: conditions are evaluated once per tick or
         * per ended execution, and `date` is usually left to its default. */
        wf_expr_rt_t *rt = wf_expr_rt_create();
        wf_expr_env_t xenv = {.ctx = env->vars};
        const char *text;
        size_t n;
        if (wf_tmpl_render(t, &xenv, rt, &text, &n, &e) == 0)
            out = strndup(text, n);
        else
            snprintf(err, errlen, "%s: %s", name, e.msg);
        wf_expr_rt_destroy(rt);
    }
    wf_tmpl_free(t);
    if (out == NULL && err[0] == '\0')
        snprintf(err, errlen, "out of memory rendering '%s'", name);
    return out;
}

static const char *default_date(const wf_xcond_env_t *env)
{
    return wf_json_str(json_object_get(env->vars, "trigger"), "date");
}

/* The date a calendar condition tests: its `date` rendered, or the
 * trigger's date. */
static int tested_date(json_t *c, const wf_xcond_env_t *env, wf_datetime_t *dt, char *err,
                       size_t errlen)
{
    const char *dflt = default_date(env);
    char *s = render_prop(c, "date", dflt, env, err, errlen);
    if (s == NULL) {
        if (err[0] == '\0')
            snprintf(err, errlen, "no date to test: the trigger has no date");
        return -1;
    }
    char msg[300];
    int rc = wf_datetime_parse(s, dt, msg, sizeof(msg));
    if (rc != 0)
        snprintf(err, errlen, "date: %s", msg);
    free(s);
    return rc;
}

static int day_index(const char *name)
{
    static const char *const days[] = {"MONDAY", "TUESDAY",  "WEDNESDAY", "THURSDAY",
                                       "FRIDAY", "SATURDAY", "SUNDAY"};
    for (int i = 0; name != NULL && i < 7; i++)
        if (strcmp(days[i], name) == 0)
            return i + 1;
    return -1;
}

/* dayOfWeek (1-7) from the condition, rendered. */
static int wanted_day(json_t *c, const wf_xcond_env_t *env, char *err, size_t errlen)
{
    char *s = render_prop(c, "dayOfWeek", NULL, env, err, errlen);
    int d = day_index(s);
    if (d < 0 && err[0] == '\0')
        snprintf(err, errlen, "dayOfWeek: '%s' is not a day of the week (MONDAY ... SUNDAY)",
                 s ? s : "");
    free(s);
    return d;
}

typedef int (*cond_fn)(json_t *c, const wf_xcond_env_t *env, char *err, size_t errlen);

static int day_week(json_t *c, const wf_xcond_env_t *env, char *err, size_t errlen)
{
    wf_datetime_t dt;
    int want = wanted_day(c, env, err, errlen);
    if (want < 0 || tested_date(c, env, &dt, err, errlen) != 0)
        return -1;
    return dt.weekday == want;
}

static int weekend(json_t *c, const wf_xcond_env_t *env, char *err, size_t errlen)
{
    wf_datetime_t dt;
    if (tested_date(c, env, &dt, err, errlen) != 0)
        return -1;
    return dt.weekday >= 6;
}

/* The date is the FIRST..FOURTH such weekday of its month when its day of
 * the month falls in that week; the LAST when a week later is next month. */
static int day_week_in_month(json_t *c, const wf_xcond_env_t *env, char *err, size_t errlen)
{
    wf_datetime_t dt;
    int want = wanted_day(c, env, err, errlen);
    if (want < 0 || tested_date(c, env, &dt, err, errlen) != 0)
        return -1;
    char *which = render_prop(c, "dayInMonth", NULL, env, err, errlen);
    static const char *const nth[] = {"FIRST", "SECOND", "THIRD", "FOURTH"};
    int rank = -1;
    for (int i = 0; which != NULL && i < 4; i++)
        if (strcmp(which, nth[i]) == 0)
            rank = i;
    bool last = which != NULL && strcmp(which, "LAST") == 0;
    if (rank < 0 && !last) {
        if (err[0] == '\0')
            snprintf(err, errlen,
                     "dayInMonth: '%s' is not FIRST, SECOND, THIRD, FOURTH or LAST",
                     which ? which : "");
        free(which);
        return -1;
    }
    free(which);
    if (dt.weekday != want)
        return 0;
    if (last)
        return dt.day + 7 > wf_month_days(dt.year, dt.month);
    return (dt.day - 1) / 7 == rank;
}

/* A bound of TimeBetween or DateTimeBetween, rendered and parsed into a
 * comparable number. 1 present, 0 absent, -1 error. */
static int bound(json_t *c, const char *name, const wf_xcond_env_t *env, bool date_time,
                 int64_t *out, char *err, size_t errlen)
{
    char *s = render_prop(c, name, NULL, env, err, errlen);
    if (s == NULL)
        return err[0] ? -1 : 0;
    char msg[300];
    int rc;
    if (date_time) {
        wf_datetime_t dt;
        rc = wf_datetime_parse(s, &dt, msg, sizeof(msg));
        if (rc == 0 && !dt.has_time) {
            snprintf(msg, sizeof(msg), "'%s' is a date: a date-time with zone is needed", s);
            rc = -1;
        }
        if (rc == 0)
            *out = wf_datetime_epoch(&dt) * 1000000000LL + dt.nsec;
    } else {
        rc = wf_offset_time_parse(s, out, msg, sizeof(msg));
    }
    if (rc != 0)
        snprintf(err, errlen, "%s: %s", name, msg);
    free(s);
    return rc == 0 ? 1 : -1;
}

/* TimeBetween compares times of day the way Java's OffsetTime does (local
 * time minus offset), strictly; DateTimeBetween compares instants,
 * bounds included. Both as Kestra's. */
static int between(json_t *c, const wf_xcond_env_t *env, bool date_time, char *err,
                   size_t errlen)
{
    wf_datetime_t dt;
    int64_t after = 0, before = 0;
    int ha = bound(c, "after", env, date_time, &after, err, errlen);
    if (ha < 0)
        return -1;
    int hb = bound(c, "before", env, date_time, &before, err, errlen);
    if (hb < 0)
        return -1;
    if (!ha && !hb) {
        snprintf(err, errlen, "the condition has neither 'after' nor 'before'");
        return -1;
    }
    if (tested_date(c, env, &dt, err, errlen) != 0)
        return -1;
    if (!dt.has_time) {
        snprintf(err, errlen, "date: a date-time with zone is needed, not a date");
        return -1;
    }
    int64_t v;
    if (date_time) {
        v = wf_datetime_epoch(&dt) * 1000000000LL + dt.nsec;
        return (!ha || v >= after) && (!hb || v <= before);
    }
    v = ((int64_t)dt.hour * 3600 + dt.min * 60 + dt.sec - dt.offset_s) * 1000000000LL + dt.nsec;
    return (!ha || v > after) && (!hb || v < before);
}

static int time_between(json_t *c, const wf_xcond_env_t *env, char *err, size_t errlen)
{
    return between(c, env, false, err, errlen);
}

static int date_time_between(json_t *c, const wf_xcond_env_t *env, char *err, size_t errlen)
{
    return between(c, env, true, err, errlen);
}

/* Not: none of the children holds. Or: one of them does. An error in a
 * child is the combination's error. */
static int combine(json_t *c, const wf_xcond_env_t *env, bool negate, char *err, size_t errlen)
{
    json_t *list = json_object_get(c, "conditions");
    if (json_array_size(list) == 0) {
        snprintf(err, errlen, "'conditions' is empty");
        return -1;
    }
    size_t i;
    json_t *child;
    json_array_foreach(list, i, child)
    {
        int r = wf_xcond_holds(child, env, err, errlen);
        if (r < 0)
            return -1;
        if (r == 1)
            return negate ? 0 : 1;
    }
    return negate ? 1 : 0;
}

static int not_(json_t *c, const wf_xcond_env_t *env, char *err, size_t errlen)
{
    return combine(c, env, true, err, errlen);
}

static int or_(json_t *c, const wf_xcond_env_t *env, char *err, size_t errlen)
{
    return combine(c, env, false, err, errlen);
}

/* ---- execution conditions ---- */

static const wf_xmesh_event_t *need_event(json_t *c, const wf_xcond_env_t *env, char *err,
                                          size_t errlen)
{
    if (env->event == NULL) {
        char kind[64];
        snprintf(err, errlen, "%s needs an ended execution: it applies to Flow triggers only",
                 wf_xcond_kind(c, kind, sizeof(kind)));
    }
    return env->event;
}

static int execution_flow(json_t *c, const wf_xcond_env_t *env, char *err, size_t errlen)
{
    const wf_xmesh_event_t *e = need_event(c, env, err, errlen);
    if (e == NULL)
        return -1;
    const char *ns = wf_json_str(c, "namespace"), *fid = wf_json_str(c, "flowId");
    return ns && fid && strcmp(ns, e->ns) == 0 && strcmp(fid, e->flow) == 0;
}

static int execution_status(json_t *c, const wf_xcond_env_t *env, char *err, size_t errlen)
{
    const wf_xmesh_event_t *e = need_event(c, env, err, errlen);
    if (e == NULL)
        return -1;
    json_t *in = json_object_get(c, "in"), *not_in = json_object_get(c, "notIn");
    if (json_is_array(in) && !in_list(in, e->state))
        return 0;
    return !(json_is_array(not_in) && in_list(not_in, e->state));
}

static int execution_namespace(json_t *c, const wf_xcond_env_t *env, char *err, size_t errlen)
{
    const wf_xmesh_event_t *e = need_event(c, env, err, errlen);
    if (e == NULL)
        return -1;
    const char *ns = wf_json_str(c, "namespace"), *cmp = wf_json_str(c, "comparison");
    if (ns == NULL)
        return 0;
    if (json_is_true(json_object_get(c, "prefix")) || (cmp && strcmp(cmp, "PREFIX") == 0))
        return strncmp(e->ns, ns, strlen(ns)) == 0;
    if (cmp && strcmp(cmp, "SUFFIX") == 0)
        return ends_with(e->ns, ns);
    return strcmp(ns, e->ns) == 0;
}

/* Expression: rendered as text against the same variables; it holds
 * unless blank or "false", as Kestra's. */
static int expression(json_t *c, const wf_xcond_env_t *env, char *err, size_t errlen)
{
    char *s = render_prop(c, "expression", NULL, env, err, errlen);
    if (s == NULL) {
        if (err[0] == '\0')
            snprintf(err, errlen, "'expression' is missing");
        return -1;
    }
    const char *p = s, *end = s + strlen(s);
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
        end--;
    int r = !(end == p || ((size_t)(end - p) == 5 && strncmp(p, "false", 5) == 0));
    free(s);
    return r;
}

static const struct {
    const char *kind;
    cond_fn fn;
    bool execution; /* needs an ended execution */
} cond_kinds[] = {
    {"ExecutionFlow", execution_flow, true},
    {"ExecutionStatus", execution_status, true},
    {"ExecutionNamespace", execution_namespace, true},
    {"MultipleCondition", NULL, true}, /* windows live in mesh.c (preconditions) */
    {"Expression", expression, false},
    {"DayWeek", day_week, false},
    {"DayWeekInMonth", day_week_in_month, false},
    {"Weekend", weekend, false},
    {"TimeBetween", time_between, false},
    {"DateTimeBetween", date_time_between, false},
    {"Not", not_, false},
    {"Or", or_, false},
};

static int find_kind(json_t *c)
{
    char kind[64];
    wf_xcond_kind(c, kind, sizeof(kind));
    for (size_t i = 0; i < sizeof(cond_kinds) / sizeof(cond_kinds[0]); i++)
        if (strcmp(cond_kinds[i].kind, kind) == 0)
            return (int)i;
    return -1;
}

bool wf_xcond_is_execution(json_t *c)
{
    int k = find_kind(c);
    return k >= 0 && cond_kinds[k].execution;
}

int wf_xcond_holds(json_t *c, const wf_xcond_env_t *env, char *err, size_t errlen)
{
    err[0] = '\0';
    int k = find_kind(c);
    if (k < 0 || cond_kinds[k].fn == NULL) {
        const char *type = wf_json_str(c, "type");
        snprintf(err, errlen, "condition %s is not evaluated on this trigger",
                 type ? type : "(no type)");
        return -1;
    }
    return cond_kinds[k].fn(c, env, err, errlen);
}

int wf_xcond_all(json_t *conds, const wf_xcond_env_t *env, bool schedule, char *err,
                 size_t errlen)
{
    size_t i;
    json_t *c;
    err[0] = '\0';
    json_array_foreach(conds, i, c)
    {
        /* Kestra's Schedule keeps the schedule conditions of its list: an
         * execution condition there has nothing to test (docs/flows.md). */
        if (schedule && wf_xcond_is_execution(c))
            continue;
        int r = wf_xcond_holds(c, env, err, errlen);
        if (r != 1)
            return r;
    }
    return 1;
}
