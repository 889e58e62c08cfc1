/* Flowable tasks: how each kind walks its children (Sequential, Parallel,
 * Dag, If, Switch, ForEach and its Each variants, WaitFor, Pause with tasks,
 * AllowFailure, WorkingDirectory) and the errors/finally blocks around them.
 * Like the rest of the walker it keeps nothing between walks that is not in
 * the task runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "executor/walk.h"
#include "flow/time.h"

/* Children of `parent` inherit its iteration value (Kestra's taskrun.value). */
static const char *child_value(wf_trun_t *parent)
{
    return parent ? parent->value : NULL;
}

static wf_trun_t *get_trun(wf_xexec_t *x, const wf_task_t *t, wf_trun_t *parent,
                           const char *value, int iteration)
{
    wf_trun_t *tr = wf_xwalk_find(x, t, parent, value);
    if (tr == NULL && x->state != WF_ST_KILLING)
        tr = wf_xexec_add_trun(x, t, parent, value, iteration);
    return tr;
}

/* Runs `list` one task after the other. Returns RUNNING while not done. */
wf_state_t wf_xflowable_seq(wf_executor_t *ex, wf_xexec_t *x, const wf_task_list_t *list,
                            wf_trun_t *parent, const char *value)
{
    wf_state_t worst = WF_ST_SUCCESS;
    for (size_t i = 0; i < list->count; i++) {
        const wf_task_t *t = list->items[i];
        if (t->disabled)
            continue;
        wf_trun_t *tr = get_trun(x, t, parent, value, parent ? parent->iteration : -1);
        if (tr == NULL)
            return x->state == WF_ST_KILLING ? WF_ST_KILLED : WF_ST_FAILED;
        wf_state_t s = wf_xwalk_task(ex, x, tr);
        if (!wf_xstate_terminal(s))
            return WF_ST_RUNNING;
        if (s == WF_ST_FAILED || s == WF_ST_KILLED || s == WF_ST_CANCELLED)
            return s;
        worst = wf_xstate_worst(worst, s);
    }
    return worst;
}

/* The branches of a Parallel, Dag or ForEach walk, folded as they are
 * visited: no new branch starts once one failed, while `limit` branches
 * (0 = no limit) are active, or while the execution is being killed.
 * Without a limit, a Parallel or a ForEach starts all its branches at once,
 * as Kestra does: one that fails as soon as it starts (an If whose
 * condition does not render) does not keep its siblings from starting. */
typedef struct branches {
    wf_state_t worst;
    bool pending, failed, all_at_once;
    int64_t active, limit;
} branches_t;

static void branches_init(branches_t *b, int64_t limit)
{
    *b = (branches_t){.worst = WF_ST_SUCCESS, .limit = limit};
}

static bool branches_may_start(const branches_t *b, const wf_xexec_t *x)
{
    return (!b->failed || b->all_at_once) && !(b->limit > 0 && b->active >= b->limit) &&
           x->state != WF_ST_KILLING;
}

/* A branch that may not start yet: the walk is not over unless one failed. */
static void branches_hold(branches_t *b)
{
    if (!b->failed)
        b->pending = true;
}

static void branches_add(branches_t *b, wf_state_t s)
{
    if (!wf_xstate_terminal(s)) {
        b->pending = true;
        b->active++;
        return;
    }
    if (s == WF_ST_FAILED || s == WF_ST_KILLED)
        b->failed = true;
    b->worst = wf_xstate_worst(b->worst, s);
}

static wf_state_t branches_result(const branches_t *b)
{
    return b->pending ? WF_ST_RUNNING : b->worst;
}

/* Dag: ready once every task it depends on succeeded (or was skipped or
 * disabled); a failed dependency fails the walk. */
static bool dag_ready(wf_xexec_t *x, const wf_task_list_t *list, const wf_task_t *t,
                      wf_trun_t *parent, const char *value, branches_t *b)
{
    bool ready = true;
    for (size_t d = 0; d < t->n_depends_on && ready; d++) {
        const wf_task_t *dep = NULL;
        for (size_t k = 0; k < list->count; k++)
            if (strcmp(list->items[k]->id, t->depends_on[d]) == 0)
                dep = list->items[k];
        wf_trun_t *dtr = dep ? wf_xwalk_find(x, dep, parent, value) : NULL;
        ready = dep && (dep->disabled ||
                        (dtr && (dtr->state == WF_ST_SUCCESS || dtr->state == WF_ST_WARNING ||
                                 dtr->state == WF_ST_SKIPPED)));
        if (dtr && (dtr->state == WF_ST_FAILED || dtr->state == WF_ST_KILLED))
            b->failed = true;
    }
    return ready;
}

/* One pass over side-by-side tasks (Parallel; Dag when `dag`, where a task
 * also waits for its dependencies). Returns -1 when out of memory. */
static int walk_branches(wf_executor_t *ex, wf_xexec_t *x, const wf_task_list_t *list,
                         wf_trun_t *parent, const char *value, bool dag, branches_t *b)
{
    for (size_t i = 0; i < list->count; i++) {
        const wf_task_t *t = list->items[i];
        if (t->disabled)
            continue;
        wf_trun_t *tr = wf_xwalk_find(x, t, parent, value);
        if (tr == NULL) {
            if (!branches_may_start(b, x) || (dag && !dag_ready(x, list, t, parent, value, b))) {
                branches_hold(b);
                continue;
            }
            tr = wf_xexec_add_trun(x, t, parent, value, parent ? parent->iteration : -1);
            if (tr == NULL)
                return -1;
        }
        branches_add(b, wf_xwalk_task(ex, x, tr));
    }
    return 0;
}

/* Runs `list` side by side, at most `limit` at once (0 = all). */
static wf_state_t walk_par(wf_executor_t *ex, wf_xexec_t *x, const wf_task_list_t *list,
                           wf_trun_t *parent, const char *value, int64_t limit)
{
    branches_t b;
    branches_init(&b, limit);
    b.all_at_once = limit == 0;
    if (walk_branches(ex, x, list, parent, value, false, &b) < 0)
        return WF_ST_FAILED;
    return branches_result(&b);
}

static wf_state_t walk_dag(wf_executor_t *ex, wf_xexec_t *x, const wf_task_list_t *list,
                           wf_trun_t *parent, const char *value, int64_t limit)
{
    branches_t b;
    for (int round = 0; round < 2; round++) {
        /* Two rounds: tasks settled synchronously in round one unlock their
         * dependants in round two without waiting for another walk. */
        branches_init(&b, limit);
        if (walk_branches(ex, x, list, parent, value, true, &b) < 0)
            return WF_ST_FAILED;
    }
    if (b.failed && !b.pending)
        return WF_ST_FAILED;
    return branches_result(&b);
}

/* tasks, then errors when they failed, then finally in every case. */
wf_state_t wf_xflowable_block(wf_executor_t *ex, wf_xexec_t *x, wf_state_t s,
                              const wf_task_list_t *errors, const wf_task_list_t *finally_,
                              wf_trun_t *parent, const char *value)
{
    if (!wf_xstate_terminal(s))
        return WF_ST_RUNNING;
    if (s == WF_ST_FAILED && errors->count > 0) {
        wf_state_t e = wf_xflowable_seq(ex, x, errors, parent, value);
        if (!wf_xstate_terminal(e))
            return WF_ST_RUNNING;
    }
    if (finally_->count > 0) {
        wf_state_t f = wf_xflowable_seq(ex, x, finally_, parent, value);
        if (!wf_xstate_terminal(f))
            return WF_ST_RUNNING;
        s = wf_xstate_worst(s, f);
    }
    return s;
}

static int64_t prop_int(const wf_task_t *t, const char *name, int64_t dflt)
{
    json_t *v = json_object_get(t->props, name);
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

/* `v` as Java's toString writes it (List and Map): Kestra's messages quote
 * values that way, e.g. [1, null, {key=my-key}]. */
static void java_string(FILE *f, const json_t *v)
{
    size_t i;
    const char *k;
    json_t *item;
    if (json_is_array(v)) {
        fputc('[', f);
        json_array_foreach(v, i, item) {
            fputs(i ? ", " : "", f);
            java_string(f, item);
        }
        fputc(']', f);
    } else if (json_is_object(v)) {
        bool first = true;
        fputc('{', f);
        json_object_foreach((json_t *)v, k, item) {
            fprintf(f, "%s%s=", first ? "" : ", ", k);
            java_string(f, item);
            first = false;
        }
        fputc('}', f);
    } else if (json_is_string(v)) {
        fputs(json_string_value(v), f);
    } else {
        char *text = json_dumps(v, JSON_ENCODE_ANY);
        fputs(text ? text : "null", f);
        free(text);
    }
}

/* The iteration values of a ForEach: a list, or a string holding a JSON list
 * (usually an expression). Returns a new array or NULL with a log line. */
static json_t *each_values(wf_executor_t *ex, wf_xexec_t *x, wf_trun_t *tr)
{
    json_t *v = json_object_get(tr->task->props, "values");
    if (v == NULL)
        v = json_object_get(tr->task->props, "value");
    json_t *ctx = wf_xexec_context(ex, x, tr);
    char err[512] = "";
    json_t *r = v ? wf_xrender_json(ex, x, v, ctx, err, sizeof(err)) : NULL;
    json_decref(ctx);
    if (json_is_string(r)) {
        json_t *parsed = json_loads(json_string_value(r), JSON_DECODE_ANY, NULL);
        json_decref(r);
        r = parsed;
        if (r == NULL)
            snprintf(err, sizeof(err), "values is not a JSON list");
    }
    if (!json_is_array(r)) {
        json_decref(r);
        if (err[0] == '\0')
            snprintf(err, sizeof(err), "values must be a list");
        wf_xwalk_log(ex, x, tr, "ERROR", err);
        return NULL;
    }
    /* A null value has no iteration to name (taskrun.value): Kestra fails
     * the ForEach before any iteration starts, with this very message. */
    size_t i, nulls = 0;
    json_t *item;
    json_array_foreach(r, i, item) nulls += json_is_null(item);
    if (nulls > 0) {
        /* Kestra counts the distinct values: null at most once. */
        char *msg = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&msg, &len);
        if (f != NULL) {
            fputs("Found '1' null values on Each, with values=", f);
            java_string(f, r);
            fclose(f);
        }
        wf_xwalk_log(ex, x, tr, "ERROR", msg ? msg : "Found '1' null values on Each");
        free(msg);
        json_decref(r);
        return NULL;
    }
    return r;
}

static wf_state_t walk_each(wf_executor_t *ex, wf_xexec_t *x, wf_trun_t *tr)
{
    json_t *values = each_values(ex, x, tr);
    if (values == NULL)
        return WF_ST_FAILED;
    const wf_task_t *t = tr->task;
    int64_t limit = 1;
    if (t->type->kind == WF_TASK_FOREACH)
        limit = prop_int(t, "concurrencyLimit", 1);
    else if (t->type->kind == WF_TASK_EACH_PARALLEL)
        limit = prop_int(t, "concurrent", 0);
    branches_t b;
    branches_init(&b, limit);
    b.all_at_once = limit == 0;
    size_t i;
    json_t *item;
    json_array_foreach(values, i, item) {
        char *val = json_is_string(item) ? strdup(json_string_value(item))
                                         : json_dumps(item, JSON_COMPACT | JSON_ENCODE_ANY);
        if (val == NULL)
            continue;
        /* An iteration has started when any of its task runs exists. */
        bool started = false;
        for (size_t k = 0; k < x->n_truns && !started; k++)
            started = x->truns[k]->parent == tr && x->truns[k]->value &&
                      strcmp(x->truns[k]->value, val) == 0;
        if (!started && !branches_may_start(&b, x)) {
            branches_hold(&b);
            free(val);
            continue;
        }
        /* Children carry the iteration index through their parent. */
        int saved = tr->iteration;
        tr->iteration = (int)i;
        branches_add(&b, wf_xflowable_seq(ex, x, &t->tasks, tr, val));
        tr->iteration = saved;
        free(val);
    }
    json_decref(values);
    return branches_result(&b);
}

static wf_state_t walk_if(wf_executor_t *ex, wf_xexec_t *x, wf_trun_t *tr)
{
    if (tr->branch < 0) {
        json_t *c = json_object_get(tr->task->props, "condition");
        const char *src = json_is_string(c) ? json_string_value(c) : NULL;
        int b = src ? wf_xwalk_render_bool(ex, x, tr, src) : (json_is_true(c) ? 1 : 0);
        if (b < 0)
            return WF_ST_FAILED;
        tr->branch = b;
    }
    return wf_xflowable_seq(ex, x, tr->branch ? &tr->task->then_ : &tr->task->else_, tr,
                            child_value(tr));
}

static wf_state_t walk_switch(wf_executor_t *ex, wf_xexec_t *x, wf_trun_t *tr)
{
    const wf_task_t *t = tr->task;
    if (tr->branch == -1) {
        json_t *v = json_object_get(t->props, "value");
        json_t *ctx = wf_xexec_context(ex, x, tr);
        char err[512];
        char *val = json_is_string(v) ? wf_xrender(ex, x, json_string_value(v), ctx, err,
                                                   sizeof(err))
                                      : json_dumps(v, JSON_ENCODE_ANY);
        json_decref(ctx);
        if (val == NULL) {
            wf_xwalk_log(ex, x, tr, "ERROR", err);
            return WF_ST_FAILED;
        }
        tr->branch = -2;
        for (size_t i = 0; i < t->n_cases; i++)
            if (strcmp(t->cases[i].key, val) == 0)
                tr->branch = (int)i;
        json_decref(tr->outputs);
        tr->outputs = json_pack("{s:s,s:b}", "value", val, "defaults", tr->branch < 0);
        /* Stored and shown like any task output: masked the same way. */
        wf_xsecrets_redact_json(x, tr->outputs);
        tr->dirty = true;
        /* Nothing to run for this value: Kestra fails the Switch ("No task
         * found") rather than letting a value no case foresaw pass. */
        if (tr->branch < 0 && t->defaults.count == 0)
            wf_xwalk_log(ex, x, tr, "ERROR",
                         "Switch: no case matches the value and there are no defaults");
        free(val);
    }
    const wf_task_list_t *list = tr->branch >= 0 ? &t->cases[tr->branch].tasks : &t->defaults;
    if (tr->branch < 0 && t->defaults.count == 0)
        return WF_ST_FAILED;
    return wf_xflowable_seq(ex, x, list, tr, child_value(tr));
}

/* WaitFor: runs its tasks, iteration after iteration (values "0", "1"…),
 * until the condition holds or checkFrequency's bounds are reached. */
static wf_state_t walk_wait_for(wf_executor_t *ex, wf_xexec_t *x, wf_trun_t *tr)
{
    const wf_xwalk_fx_t *fx = wf_xwalk_fx(ex);
    const wf_task_t *t = tr->task;
    json_t *freq = json_object_get(t->props, "checkFrequency");
    int64_t max_iter = 100, max_ms = 0, interval_ms = 1000;
    json_t *v = json_object_get(freq, "maxIterations");
    if (json_is_integer(v))
        max_iter = json_integer_value(v);
    char err[200];
    v = json_object_get(freq, "maxDuration");
    if (json_is_string(v) && wf_duration_parse(json_string_value(v), &max_ms, err, sizeof(err)))
        max_ms = 0;
    v = json_object_get(freq, "interval");
    if (json_is_string(v) &&
        wf_duration_parse(json_string_value(v), &interval_ms, err, sizeof(err)))
        interval_ms = 1000;
    bool fail_on_max = json_is_true(json_object_get(t->props, "failOnMaxReached"));
    if (tr->branch < 0) {
        /* Resume after a takeover: the last iteration recorded is current. */
        tr->branch = 0;
        for (size_t i = 0; i < x->n_truns; i++)
            if (x->truns[i]->parent == tr && x->truns[i]->value &&
                atoi(x->truns[i]->value) > tr->branch)
                tr->branch = atoi(x->truns[i]->value);
    }
    for (;;) {
        if (tr->next_iter_ms > fx->now_ms(ex)) {
            if (!tr->timer.armed)
                fx->timer_arm(ex, tr, tr->next_iter_ms - fx->now_ms(ex));
            return WF_ST_RUNNING;
        }
        char val[24];
        snprintf(val, sizeof(val), "%d", tr->branch);
        /* Its tasks see the iterations done so far (Kestra's
         * `outputs.<waitfor>.iterationCount`, 0 in the first one). */
        json_t *count = json_object_get(tr->outputs, "iterationCount");
        if (!json_is_integer(count) || json_integer_value(count) != tr->branch) {
            json_decref(tr->outputs);
            tr->outputs = json_pack("{s:I}", "iterationCount", (json_int_t)tr->branch);
            tr->dirty = true;
        }
        int saved = tr->iteration;
        tr->iteration = tr->branch;
        wf_state_t s = wf_xflowable_seq(ex, x, &t->tasks, tr, val);
        tr->iteration = saved;
        if (!wf_xstate_terminal(s) || s == WF_ST_FAILED || s == WF_ST_KILLED)
            return s;
        json_t *c = json_object_get(t->props, "condition");
        int b = json_is_string(c) ? wf_xwalk_render_bool(ex, x, tr, json_string_value(c)) : 1;
        if (b < 0)
            return WF_ST_FAILED;
        int64_t iterations = tr->branch + 1;
        json_decref(tr->outputs);
        tr->outputs = json_pack("{s:I}", "iterationCount", (json_int_t)iterations);
        tr->dirty = true;
        if (b == 1)
            return WF_ST_SUCCESS;
        if ((max_iter > 0 && iterations >= max_iter) ||
            (max_ms > 0 && tr->first_start_ms && fx->now_ms(ex) - tr->first_start_ms >= max_ms)) {
            if (fail_on_max)
                wf_xwalk_log(ex, x, tr, "ERROR", "WaitFor: maximum reached");
            return fail_on_max ? WF_ST_FAILED : WF_ST_SUCCESS;
        }
        tr->branch++;
        tr->next_iter_ms = fx->now_ms(ex) + interval_ms;
    }
}

/* The children of `tr` walked by its type's own rule; RUNNING while not settled. */
static wf_state_t walk_by_kind(wf_executor_t *ex, wf_xexec_t *x, wf_trun_t *tr, const char *v)
{
    const wf_task_t *t = tr->task;
    switch (t->type->kind) {
    case WF_TASK_PARALLEL:
        return walk_par(ex, x, &t->tasks, tr, v, prop_int(t, "concurrent", 0));
    case WF_TASK_DAG:
        return walk_dag(ex, x, &t->tasks, tr, v, prop_int(t, "concurrent", 0));
    case WF_TASK_IF:
        return walk_if(ex, x, tr);
    case WF_TASK_SWITCH:
        return walk_switch(ex, x, tr);
    case WF_TASK_FOREACH:
    case WF_TASK_EACH_SEQUENTIAL:
    case WF_TASK_EACH_PARALLEL:
        return walk_each(ex, x, tr);
    case WF_TASK_WAIT_FOR:
        return walk_wait_for(ex, x, tr);
    default: /* Sequential, AllowFailure, WorkingDirectory */
        return wf_xflowable_seq(ex, x, &t->tasks, tr, v);
    }
}

/* Children of a flowable task run; RUNNING while not settled. */
wf_state_t wf_xflowable_children(wf_executor_t *ex, wf_xexec_t *x, wf_trun_t *tr)
{
    const wf_task_t *t = tr->task;
    const char *v = child_value(tr);
    wf_state_t s = walk_by_kind(ex, x, tr, v);
    s = wf_xflowable_block(ex, x, s, &t->errors, &t->finally_, tr, v);
    if (s == WF_ST_FAILED && t->type->kind == WF_TASK_ALLOW_FAILURE)
        s = WF_ST_WARNING;
    return s;
}
