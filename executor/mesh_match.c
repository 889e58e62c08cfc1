/* Matching of completion events against Flow triggers, in the three forms
 * the flow language accepts: `conditions` (ExecutionFlow, ExecutionStatus,
 * ExecutionNamespace), `preconditions.flows` (upstream flows with states and
 * labels) and `preconditions.where` (filters on FLOW_ID, NAMESPACE, STATE).
 * Pure functions over the trigger's properties and one event: no database,
 * so the rules are the same wherever the event comes from. */
#include <stdlib.h>
#include <string.h>

#include "executor/conditions.h"
#include "executor/mesh.h"
#include "platform/clock.h"
#include "platform/log.h"
#include "platform/regex.h"
#include "platform/text.h"

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
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

bool wf_xmesh_ns_covers(const char *prefix, const char *ns)
{
    size_t n = strlen(prefix);
    return strncmp(prefix, ns, n) == 0 && (ns[n] == '\0' || ns[n] == '.');
}

/* The preconditions object (Kestra also spells it dependsOn), or NULL. */
json_t *wf_xmesh_preconditions(const wf_trigger_t *t)
{
    json_t *p = json_object_get(t->props, "preconditions");
    if (!json_is_object(p))
        p = json_object_get(t->props, "dependsOn");
    return json_is_object(p) ? p : NULL;
}

/* The variables a Flow trigger's conditions see: the ended execution as
 * `execution` and `trigger`, and the date of the evaluation (now) as
 * `trigger.date`, the default of the calendar conditions. */
static json_t *event_vars(const wf_xmesh_event_t *e)
{
    char now[40];
    wf_clock_iso_now(now, sizeof(now));
    json_t *labels = json_is_object(e->labels) ? json_incref(e->labels) : json_object();
    return json_pack("{s:{s:s,s:s,s:s,s:s},s:{s:s,s:s,s:s,s:o}}", "trigger", "date", now,
                     "namespace", e->ns, "flowId", e->flow, "state", e->state, "execution",
                     "namespace", e->ns, "flowId", e->flow, "state", e->state, "labels", labels);
}

/* The filters every event must pass before it counts at all: the trigger's
 * `states` and its `conditions`. */
static bool global_filters(const wf_trigger_t *t, const wf_xmesh_event_t *e)
{
    json_t *states = json_object_get(t->props, "states");
    if (json_is_array(states) && !in_list(states, e->state))
        return false;
    json_t *conds = json_object_get(t->props, "conditions");
    if (json_array_size(conds) == 0)
        return true;
    json_t *vars = event_vars(e);
    const wf_xcond_env_t env = {.vars = vars, .event = e};
    char err[400];
    int r = wf_xcond_all(conds, &env, false, err, sizeof(err));
    json_decref(vars);
    if (r < 0)
        wf_warn("flow trigger %s: condition: %s: does not fire", t->id, err);
    return r == 1;
}

bool wf_xmesh_conditions_hold(const wf_trigger_t *t, const wf_xmesh_event_t *e)
{
    return json_array_size(json_object_get(t->props, "conditions")) > 0 && global_filters(t, e);
}

static bool labels_match(json_t *want, json_t *have)
{
    const char *k;
    json_t *v;
    json_object_foreach(want, k, v)
    {
        json_t *h = json_object_get(have, k);
        if (!json_is_string(v) || !json_is_string(h) ||
            strcmp(json_string_value(v), json_string_value(h)) != 0)
            return false;
    }
    return true;
}

/* An upstream flow entry of preconditions.flows. Kestra's default states
 * for an upstream flow are SUCCESS only. */
static bool upstream_holds(json_t *f, const wf_xmesh_event_t *e)
{
    const char *ns = wf_json_str(f, "namespace"), *fid = wf_json_str(f, "flowId");
    if (ns == NULL || fid == NULL || strcmp(ns, e->ns) != 0 || strcmp(fid, e->flow) != 0)
        return false;
    json_t *st = json_object_get(f, "states");
    if (json_is_array(st) ? !in_list(st, e->state) : strcmp(e->state, "SUCCESS") != 0)
        return false;
    json_t *labels = json_object_get(f, "labels");
    return !json_is_object(labels) || labels_match(labels, e->labels);
}

static bool filter_holds(json_t *flt, const wf_xmesh_event_t *e)
{
    const char *field = wf_json_str(flt, "field"), *type = wf_json_str(flt, "type");
    const char *value = wf_json_str(flt, "value");
    json_t *values = json_object_get(flt, "values");
    if (field == NULL || type == NULL)
        return false;
    const char *have = strcmp(field, "FLOW_ID") == 0     ? e->flow
                       : strcmp(field, "NAMESPACE") == 0 ? e->ns
                       : strcmp(field, "STATE") == 0     ? e->state
                                                         : NULL;
    if (have == NULL) /* EXPRESSION: not evaluated on events, never matches */
        return false;
    if (strcmp(type, "EQUAL_TO") == 0)
        return value && strcmp(have, value) == 0;
    if (strcmp(type, "NOT_EQUAL_TO") == 0)
        return value && strcmp(have, value) != 0;
    if (strcmp(type, "IN") == 0)
        return json_is_array(values) && in_list(values, have);
    if (strcmp(type, "NOT_IN") == 0)
        return json_is_array(values) && !in_list(values, have);
    if (strcmp(type, "STARTS_WITH") == 0)
        return value && strncmp(have, value, strlen(value)) == 0;
    if (strcmp(type, "ENDS_WITH") == 0)
        return value && ends_with(have, value);
    if (strcmp(type, "CONTAINS") == 0)
        return value && strstr(have, value) != NULL;
    if (strcmp(type, "IS_NOT_NULL") == 0)
        return true;
    if (strcmp(type, "REGEX") == 0 && value) {
        /* Searched anywhere in the field, as before; compiled once (cache)
         * and bounded: a pattern that does not compile or is too costly
         * does not match, and says so once in the log. */
        char err[256];
        wf_regex_result_t r = wf_regex_match_pattern(value, WF_REGEX_SEARCH, have, strlen(have),
                                                     err, sizeof(err));
        if (r == WF_REGEX_INVALID)
            wf_warn("flow trigger condition REGEX /%s/: %s: never matches", value, err);
        else if (r == WF_REGEX_TOO_COSTLY)
            wf_warn("flow trigger condition REGEX /%s/ on %s: " WF_REGEX_TOO_COSTLY_MSG
                    ": does not match", value, field);
        return r == WF_REGEX_MATCH;
    }
    return false;
}

static bool where_holds(json_t *w, const wf_xmesh_event_t *e)
{
    const char *op = wf_json_str(w, "operand");
    bool any = op && strcmp(op, "OR") == 0;
    json_t *filters = json_object_get(w, "filters");
    size_t i;
    json_t *f;
    json_array_foreach(filters, i, f)
    {
        bool h = filter_holds(f, e);
        if (any && h)
            return true;
        if (!any && !h)
            return false;
    }
    return !any && json_array_size(filters) > 0;
}

size_t wf_xmesh_n_entries(const wf_trigger_t *t)
{
    json_t *p = wf_xmesh_preconditions(t);
    size_t n =
        json_array_size(json_object_get(p, "flows")) + json_array_size(json_object_get(p, "where"));
    return n > 0 ? n : 1;
}

bool wf_xmesh_entry_holds(const wf_trigger_t *t, size_t i, const wf_xmesh_event_t *e)
{
    if (!global_filters(t, e))
        return false;
    json_t *p = wf_xmesh_preconditions(t);
    json_t *flows = json_object_get(p, "flows"), *where = json_object_get(p, "where");
    size_t nf = json_array_size(flows), nw = json_array_size(where);
    if (nf + nw == 0) /* the conditions form: one entry, the global filters */
        return i == 0 && json_array_size(json_object_get(t->props, "conditions")) > 0;
    if (i < nf)
        return upstream_holds(json_array_get(flows, i), e);
    if (i < nf + nw)
        return where_holds(json_array_get(where, i - nf), e);
    return false;
}

/* The producers named by ExecutionFlow and ExecutionNamespace conditions,
 * at the top of the list and inside Or (any of them may be the one that
 * fires; those under Not are excluded, not awaited). */
static void named_producers(json_t *conds, json_t *states,
                            void (*fn)(void *ud, const char *ns, const char *flow, json_t *states),
                            void *ud)
{
    size_t i;
    json_t *c;
    char kind[64];
    json_array_foreach(conds, i, c)
    {
        wf_xcond_kind(c, kind, sizeof(kind));
        if (strcmp(kind, "ExecutionFlow") == 0)
            fn(ud, wf_json_str(c, "namespace"), wf_json_str(c, "flowId"), states);
        else if (strcmp(kind, "ExecutionNamespace") == 0)
            fn(ud, wf_json_str(c, "namespace"), NULL, states);
        else if (strcmp(kind, "Or") == 0)
            named_producers(json_object_get(c, "conditions"), states, fn, ud);
    }
}

/* Namespaces a trigger names as producers (exact names, or prefixes for the
 * prefix comparisons); `fn` is called for each. */
void wf_xmesh_producers(const wf_trigger_t *t,
                        void (*fn)(void *ud, const char *ns, const char *flow, json_t *states),
                        void *ud)
{
    json_t *conds = json_object_get(t->props, "conditions");
    json_t *trig_states = json_object_get(t->props, "states");
    json_t *status_in = NULL;
    size_t i;
    json_t *c;
    char kind[64];
    json_array_foreach(conds, i, c)
    {
        if (strcmp(wf_xcond_kind(c, kind, sizeof(kind)), "ExecutionStatus") == 0)
            status_in = json_object_get(c, "in");
    }
    json_t *states = json_is_array(status_in) ? status_in : trig_states;
    named_producers(conds, states, fn, ud);
    json_t *p = wf_xmesh_preconditions(t);
    json_array_foreach(json_object_get(p, "flows"), i, c)
    {
        json_t *st = json_object_get(c, "states");
        fn(ud, wf_json_str(c, "namespace"), wf_json_str(c, "flowId"), json_is_array(st) ? st : NULL);
    }
    json_array_foreach(json_object_get(p, "where"), i, c)
    {
        size_t k;
        json_t *f;
        json_array_foreach(json_object_get(c, "filters"), k, f)
        {
            const char *field = wf_json_str(f, "field");
            if (field == NULL || strcmp(field, "NAMESPACE") != 0)
                continue;
            if (wf_json_str(f, "value"))
                fn(ud, wf_json_str(f, "value"), NULL, NULL);
            size_t j;
            json_t *v;
            json_array_foreach(json_object_get(f, "values"), j, v)
            {
                if (json_is_string(v))
                    fn(ud, json_string_value(v), NULL, NULL);
            }
        }
    }
}
