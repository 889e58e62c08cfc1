/* The execution state machine. The walker is idempotent: given the flow and
 * the task runs recorded so far it creates the next task runs, starts leaf
 * attempts, and settles flowable task runs and the execution once their
 * children are done. Nothing is remembered between walks that is not in the
 * task runs, so a replica taking over an orphaned execution resumes it by
 * walking the rows it loaded. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "executor/walk.h"
#include "executor/proc.h"
#include "flow/time.h"
#include "platform/log.h"
#include "platform/text.h"

static const char *const state_names[WF_ST__COUNT] = {
    [WF_ST_CREATED] = "CREATED", [WF_ST_QUEUED] = "QUEUED",     [WF_ST_RUNNING] = "RUNNING",
    [WF_ST_PAUSED] = "PAUSED",   [WF_ST_SUCCESS] = "SUCCESS",   [WF_ST_WARNING] = "WARNING",
    [WF_ST_FAILED] = "FAILED",   [WF_ST_KILLING] = "KILLING",   [WF_ST_KILLED] = "KILLED",
    [WF_ST_CANCELLED] = "CANCELLED", [WF_ST_RETRYING] = "RETRYING", [WF_ST_SKIPPED] = "SKIPPED",
};

/* Severity used to merge the outcomes of siblings; higher wins. */
static const int state_rank[WF_ST__COUNT] = {
    [WF_ST_SKIPPED] = 0, [WF_ST_SUCCESS] = 1, [WF_ST_WARNING] = 2,
    [WF_ST_CANCELLED] = 3, [WF_ST_KILLED] = 4, [WF_ST_FAILED] = 5,
};

const char *wf_xstate_name(wf_state_t s)
{
    return s < WF_ST__COUNT ? state_names[s] : "FAILED";
}

int wf_xstate_parse(const char *name)
{
    for (int i = 0; i < WF_ST__COUNT; i++)
        if (strcmp(state_names[i], name) == 0)
            return i;
    return -1;
}

bool wf_xstate_terminal(wf_state_t s)
{
    return s == WF_ST_SUCCESS || s == WF_ST_WARNING || s == WF_ST_FAILED || s == WF_ST_KILLED ||
           s == WF_ST_CANCELLED || s == WF_ST_SKIPPED;
}

wf_state_t wf_xstate_worst(wf_state_t a, wf_state_t b)
{
    wf_state_t r = state_rank[a] >= state_rank[b] ? a : b;
    return r == WF_ST_SKIPPED ? WF_ST_SUCCESS : r;
}

/* ---- task runs ----------------------------------------------------------- */

wf_trun_t *wf_xexec_add_trun(wf_xexec_t *x, const wf_task_t *task, wf_trun_t *parent,
                             const char *value, int iteration)
{
    if (x->n_truns == x->cap_truns) {
        size_t cap = x->cap_truns ? x->cap_truns * 2 : 16;
        wf_trun_t **n = realloc(x->truns, cap * sizeof(*n));
        if (n == NULL)
            return NULL;
        x->truns = n;
        x->cap_truns = cap;
    }
    wf_trun_t *tr = calloc(1, sizeof(*tr));
    if (tr == NULL)
        return NULL;
    wf_random_id(tr->id, sizeof(tr->id));
    tr->task = task;
    tr->parent = parent;
    tr->value = value ? strdup(value) : NULL;
    tr->iteration = iteration;
    tr->state = WF_ST_CREATED;
    tr->attempts = json_array();
    tr->branch = -1;
    tr->exec = x;
    tr->dirty = true;
    x->truns[x->n_truns++] = tr;
    return tr;
}

wf_trun_t *wf_xwalk_find(wf_xexec_t *x, const wf_task_t *task, wf_trun_t *parent,
                         const char *value)
{
    for (size_t i = 0; i < x->n_truns; i++) {
        wf_trun_t *tr = x->truns[i];
        if (tr->task != task || tr->parent != parent)
            continue;
        if ((tr->value == NULL) != (value == NULL))
            continue;
        if (value && strcmp(tr->value, value) != 0)
            continue;
        return tr;
    }
    return NULL;
}

void wf_xexec_set_state(wf_xexec_t *x, wf_state_t st)
{
    if (x->state == st && json_array_size(x->history) > 0)
        return;
    x->state = st;
    char date[40];
    wf_clock_iso_now(date, sizeof(date));
    json_array_append_new(x->history,
                          json_pack("{s:s,s:s}", "state", wf_xstate_name(st), "date", date));
    x->dirty = true;
}

void wf_xtrun_set_state(wf_trun_t *tr, wf_state_t st)
{
    if (tr->state != st) {
        tr->state = st;
        tr->dirty = true;
    }
}

static bool is_each(const wf_task_t *t)
{
    return t && (t->type->kind == WF_TASK_FOREACH || t->type->kind == WF_TASK_EACH_SEQUENTIAL ||
                 t->type->kind == WF_TASK_EACH_PARALLEL);
}

void wf_xexec_free(wf_executor_t *ex, wf_xexec_t *x)
{
    if (x == NULL)
        return;
    for (size_t i = 0; i < x->n_truns; i++) {
        wf_trun_t *tr = x->truns[i];
        if (tr->proc)
            wf_xproc_abandon(ex, tr->proc);
        wf_loop_timer_cancel(ex->loop, &tr->timer);
        free(tr->value);
        free(tr->workdir);
        json_decref(tr->attempts);
        json_decref(tr->outputs);
        free(tr);
    }
    free(x->truns);
    wf_xsecrets_free(x);
    wf_xflowcache_put(ex, x->flow);
    json_decref(x->history);
    json_decref(x->inputs);
    json_decref(x->labels);
    json_decref(x->outputs);
    json_decref(x->trigger);
    json_decref(x->variables);
    free(x->id);
    free(x->namespace_);
    free(x->flow_id);
    free(x->parent_id);
    free(x->original_id);
    free(x->started_at);
    free(x);
}

/* ---- expression context --------------------------------------------------- */

/* outputs[taskId] for plain task runs, outputs[taskId][v1][v2]… for task runs
 * inside ForEach iterations (one level per enclosing iteration), as Kestra. */
static void put_outputs(json_t *all, wf_trun_t *tr)
{
    const char *vals[16];
    int nv = 0;
    for (wf_trun_t *n = tr; n && n->parent && nv < 16; n = n->parent)
        if (is_each(n->parent->task) && n->value)
            vals[nv++] = n->value;
    json_t *slot = all;
    const char *key = tr->task->id;
    for (int i = nv - 1; i >= 0; i--) {
        json_t *next = json_object_get(slot, key);
        if (!json_is_object(next)) {
            next = json_object();
            json_object_set_new(slot, key, next);
        }
        slot = next;
        key = vals[i];
    }
    json_object_set(slot, key, tr->outputs);
}

/* Labels as expressions see them: each key as given, and a dotted key also
 * as nested maps (Kestra's {{ labels.system.correlationId }}). */
static json_t *labels_view(json_t *labels)
{
    json_t *v = json_deep_copy(labels);
    const char *k;
    json_t *val;
    json_object_foreach(labels, k, val) {
        if (strchr(k, '.') == NULL)
            continue;
        char *path = strdup(k);
        json_t *slot = v;
        char *save = NULL, *part = path ? strtok_r(path, ".", &save) : NULL;
        while (part != NULL && slot != NULL) {
            char *next = strtok_r(NULL, ".", &save);
            if (next == NULL) {
                if (json_object_get(slot, part) == NULL)
                    json_object_set(slot, part, val);
                break;
            }
            json_t *child = json_object_get(slot, part);
            if (child == NULL) {
                child = json_object();
                json_object_set_new(slot, part, child);
            }
            slot = json_is_object(child) ? child : NULL;
            part = next;
        }
        free(path);
    }
    return v;
}

json_t *wf_xexec_context(wf_executor_t *ex, wf_xexec_t *x, wf_trun_t *tr)
{
    (void)ex;
    /* Every render starts by building its context: secret() lookups until
     * the next one are made for this task run (NULL: the flow's outputs). */
    x->rendering = tr;
    json_t *outputs = json_object();
    for (size_t i = 0; i < x->n_truns; i++)
        if (x->truns[i]->outputs && json_object_size(x->truns[i]->outputs) > 0)
            put_outputs(outputs, x->truns[i]);
    json_t *ctx = json_object();
    json_object_set_new(ctx, "flow", json_pack("{s:s,s:s,s:i}", "id", x->flow_id, "namespace",
                                               x->namespace_, "revision", x->flow_revision));
    json_object_set_new(ctx, "execution",
                        json_pack("{s:s,s:s?,s:s,s:s?}", "id", x->id, "startDate", x->started_at,
                                  "state", wf_xstate_name(x->state), "originalId",
                                  x->original_id ? x->original_id : x->id));
    json_object_set(ctx, "inputs", wf_xsecrets_inputs_open(x));
    json_object_set_new(ctx, "labels", labels_view(x->labels));
    json_object_set_new(ctx, "outputs", outputs);
    if (x->flow && x->flow->variables)
        json_object_set(ctx, "vars", x->flow->variables);
    else
        json_object_set_new(ctx, "vars", json_object());
    json_object_set(ctx, "trigger", x->trigger ? x->trigger : json_null());
    json_object_set_new(ctx, "envs", json_object());
    if (tr != NULL) {
        json_t *t = json_pack("{s:s,s:i}", "id", tr->id, "attemptsCount",
                              tr->attempts_count > 0 ? tr->attempts_count - 1 : 0);
        if (tr->value)
            json_object_set_new(t, "value", json_string(tr->value));
        if (tr->iteration >= 0)
            json_object_set_new(t, "iteration", json_integer(tr->iteration));
        if (tr->parent)
            json_object_set_new(t, "parentId", json_string(tr->parent->id));
        /* Kestra's taskrun.startDate: when the task run first started. */
        json_t *first = json_object_get(json_array_get(tr->attempts, 0), "startDate");
        char now[40];
        if (!json_is_string(first))
            wf_clock_iso_now(now, sizeof(now));
        json_object_set_new(t, "startDate",
                            json_string(json_is_string(first) ? json_string_value(first) : now));
        json_object_set_new(ctx, "taskrun", t);
        json_object_set_new(ctx, "task", json_pack("{s:s,s:s}", "id", tr->task->id, "type",
                                                   tr->task->type_name));
        json_t *parents = json_array();
        for (wf_trun_t *p = tr->parent; p; p = p->parent) {
            json_t *pt = json_object();
            if (p->value)
                json_object_set_new(pt, "value", json_string(p->value));
            json_t *po = json_pack("{s:o}", "taskrun", pt);
            json_object_set_new(po, "outputs",
                                p->outputs ? json_incref(p->outputs) : json_object());
            json_array_append_new(parents, po);
        }
        if (json_array_size(parents) > 0)
            json_object_set(ctx, "parent", json_array_get(parents, 0));
        json_object_set_new(ctx, "parents", parents);
    }
    return ctx;
}

/* ---- attempts and retries ------------------------------------------------- */

static void close_attempt(wf_trun_t *tr, wf_state_t st);

/* A Pause with `tasks` runs them once resumed: from then on its task run is
 * RUNNING and walks its children like a flowable (a Pause is RUNNING only
 * after it was resumed: it goes PAUSED as its attempt starts). */
static bool pause_walks_children(const wf_trun_t *tr)
{
    return tr->task->type->kind == WF_TASK_PAUSE && tr->task->tasks.count > 0 &&
           tr->attempts_count > 0 && tr->state == WF_ST_RUNNING;
}

static bool walks_children(const wf_trun_t *tr)
{
    return wf_xtasks_flowable(tr->task) || pause_walks_children(tr);
}

/* A paused task run ends its pause with `st`: SUCCESS (resumed, or the
 * duration passed with behavior RESUME) starts its tasks when it has some. */
static void pause_end(wf_executor_t *ex, wf_trun_t *tr, wf_state_t st, const char *why)
{
    wf_loop_timer_cancel(ex->loop, &tr->timer);
    tr->resume_at_ms = 0;
    if (why != NULL)
        wf_xlog(ex, tr->exec, tr, st == WF_ST_FAILED ? "ERROR" : "WARN", why, strlen(why));
    if (st == WF_ST_SUCCESS && tr->task->tasks.count > 0) {
        wf_xtrun_set_state(tr, WF_ST_RUNNING);
        return;
    }
    close_attempt(tr, st);
    wf_xtrun_set_state(tr, st);
}

/* The pause's timer fired: `pauseDuration` (or the older `delay`) passed and
 * `behavior` says what follows (Kestra: RESUME, WARN, FAIL, CANCEL); with
 * only a `timeout`, nobody resumed it in time: FAILED. */
static void pause_elapsed(wf_executor_t *ex, wf_trun_t *tr)
{
    json_t *props = tr->task->props;
    bool has_duration =
        json_object_get(props, "pauseDuration") || json_object_get(props, "delay");
    if (!has_duration) {
        pause_end(ex, tr, WF_ST_FAILED, "Pause: not resumed before its timeout");
        return;
    }
    json_t *b = json_object_get(props, "behavior");
    const char *behavior = json_is_string(b) ? json_string_value(b) : "RESUME";
    if (strcmp(behavior, "WARN") == 0)
        pause_end(ex, tr, WF_ST_WARNING, "Pause: duration elapsed (behavior WARN)");
    else if (strcmp(behavior, "FAIL") == 0)
        pause_end(ex, tr, WF_ST_FAILED, "Pause: duration elapsed (behavior FAIL)");
    else if (strcmp(behavior, "CANCEL") == 0)
        pause_end(ex, tr, WF_ST_CANCELLED, "Pause: duration elapsed (behavior CANCEL)");
    else
        pause_end(ex, tr, WF_ST_SUCCESS, NULL);
}

/* Milliseconds since the epoch of an ISO-8601 UTC date as wf_clock_iso_from_ms
 * writes it; 0 when it does not parse. */
static int64_t iso_to_ms(const char *s)
{
    struct tm tm = {0};
    int ms = 0, n = 0;
    if (s == NULL || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                            &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
        return 0;
    if (s[n] == '.')
        ms = atoi(s + n + 1);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm) * 1000 + ms;
}

/* When a paused task run ends by itself, for a replica that loaded it from
 * its row (the timer of the replica that paused it died with it): its
 * attempt's start plus `pauseDuration`/`delay` (rendered again), else plus
 * its `timeout`; 0 when only a resume ends it. */
static int64_t pause_deadline(wf_executor_t *ex, wf_xexec_t *x, wf_trun_t *tr)
{
    json_t *props = tr->task->props;
    json_t *d = json_object_get(props, "pauseDuration");
    if (d == NULL)
        d = json_object_get(props, "delay");
    if (!json_is_string(d) && tr->task->timeout_ms <= 0)
        return 0;
    json_t *a = json_array_get(tr->attempts, json_array_size(tr->attempts) - 1);
    int64_t start = iso_to_ms(json_string_value(json_object_get(a, "startDate")));
    if (start == 0)
        return 0;
    int64_t ms = tr->task->timeout_ms;
    if (json_is_string(d)) {
        json_t *ctx = wf_xexec_context(ex, x, tr);
        char err[300];
        char *text = wf_xrender(ex, x, json_string_value(d), ctx, err, sizeof(err));
        json_decref(ctx);
        if (text == NULL || wf_duration_parse(text, &ms, err, sizeof(err)) != 0)
            ms = 0;
        free(text);
    }
    return ms > 0 ? start + ms : 0;
}

void wf_xwalk_timer_cb(wf_timer_t *t)
{
    wf_trun_t *tr = t->arg;
    wf_executor_t *ex = tr->exec->ex;
    if (tr->state == WF_ST_RUNNING && tr->resume_at_ms) {
        /* Sleep ended. */
        tr->resume_at_ms = 0;
        wf_xwalk_attempt_done(ex, tr, WF_ST_SUCCESS, NULL, NULL);
        return;
    }
    if (tr->state == WF_ST_PAUSED && tr->resume_at_ms) {
        pause_elapsed(ex, tr);
        /* The execution runs on unless another task run is still paused. */
        bool paused = false;
        for (size_t i = 0; i < tr->exec->n_truns && !paused; i++)
            paused = tr->exec->truns[i]->state == WF_ST_PAUSED;
        if (tr->exec->state == WF_ST_PAUSED && !paused)
            wf_xexec_set_state(tr->exec, WF_ST_RUNNING);
    }
    wf_xwalk(ex, tr->exec);
}

/* The policy that retries a failed leaf: its own, else that of the nearest
 * enclosing flowable (Kestra retries a flowable's failed children, one
 * attempt count per child, rather than re-running the whole flowable),
 * else the flow's. */
static const wf_retry_t *retry_of(wf_xexec_t *x, const wf_trun_t *tr)
{
    for (const wf_trun_t *p = tr; p; p = p->parent)
        if (p->task->retry.kind != WF_RETRY_NONE)
            return &p->task->retry;
    if (x->flow && x->flow->retry.kind != WF_RETRY_NONE)
        return &x->flow->retry;
    return NULL;
}

/* Delay before the next attempt, or -1 when the policy allows no more. */
static int64_t retry_delay(const wf_retry_t *r, const wf_trun_t *tr)
{
    if (r == NULL)
        return -1;
    if (r->max_attempts > 0 && tr->attempts_count >= r->max_attempts)
        return -1;
    int64_t d = 0;
    switch (r->kind) {
    case WF_RETRY_CONSTANT:
        d = r->interval_ms;
        break;
    case WF_RETRY_EXPONENTIAL: {
        double f = r->delay_factor > 0 ? r->delay_factor : 2.0;
        double v = (double)r->interval_ms * pow(f, tr->attempts_count - 1);
        if (r->max_interval_ms > 0 && v > (double)r->max_interval_ms)
            v = (double)r->max_interval_ms;
        d = (int64_t)v;
        break;
    }
    case WF_RETRY_RANDOM: {
        uint32_t u = 0;
        RAND_bytes((unsigned char *)&u, sizeof(u));
        int64_t span = r->max_interval_ms - r->min_interval_ms;
        d = r->min_interval_ms + (span > 0 ? (int64_t)(u % (uint64_t)span) : 0);
        break;
    }
    default:
        return -1;
    }
    /* An attempt due at the limit is not made: PT6S every 2 s is three
     * attempts, as Kestra's retry-failed-*-duration tests expect. */
    if (r->max_duration_ms > 0 &&
        wf_clock_wall_ms() + d - tr->first_start_ms >= r->max_duration_ms)
        return -1;
    return d;
}

static void close_attempt(wf_trun_t *tr, wf_state_t st)
{
    json_t *a = json_array_get(tr->attempts, json_array_size(tr->attempts) - 1);
    if (a == NULL)
        return;
    char date[40];
    wf_clock_iso_now(date, sizeof(date));
    json_object_set_new(a, "state", json_string(wf_xstate_name(st)));
    json_object_set_new(a, "endDate", json_string(date));
}

static void schedule_walk(wf_executor_t *ex, wf_xexec_t *x)
{
    if (x->walking)
        x->rewalk = true;
    else
        wf_xwalk(ex, x);
}

void wf_xwalk_attempt_done(wf_executor_t *ex, wf_trun_t *tr, wf_state_t st, json_t *outputs,
                           const char *error)
{
    wf_xexec_t *x = tr->exec;
    if (error != NULL)
        wf_xlog(ex, x, tr, "ERROR", error, strlen(error));
    if (outputs != NULL) {
        wf_xsecrets_redact_json(x, outputs);
        if (tr->outputs == NULL)
            tr->outputs = json_object();
        json_object_update(tr->outputs, outputs);
    }
    close_attempt(tr, st);
    tr->dirty = true;
    wf_loop_timer_cancel(ex->loop, &tr->timer);
    if (st == WF_ST_FAILED && x->state != WF_ST_KILLING) {
        int64_t d = retry_delay(retry_of(x, tr), tr);
        if (d >= 0) {
            wf_xlog(ex, x, tr, "WARN", "attempt failed, retrying", 24);
            wf_xtrun_set_state(tr, WF_ST_RETRYING);
            tr->retry_at_ms = wf_clock_wall_ms() + d;
            wf_loop_timer_arm(ex->loop, &tr->timer, d, wf_xwalk_timer_cb, tr);
            schedule_walk(ex, x);
            return;
        }
    }
    if (st == WF_ST_FAILED && tr->task->allow_failure)
        st = WF_ST_WARNING;
    if (st == WF_ST_SUCCESS && tr->attempts_count > 1) {
        const wf_retry_t *r = retry_of(x, tr);
        if (r && r->warning_on_retry)
            st = WF_ST_WARNING;
    }
    if (st == WF_ST_WARNING && tr->task->allow_warning)
        st = WF_ST_SUCCESS;
    wf_xtrun_set_state(tr, st);
    schedule_walk(ex, x);
}

/* Truthiness of a rendered runIf/condition, as Kestra's: empty, "false", "0"
 * and "null" are false. */
static bool truthy(const char *s)
{
    while (*s == ' ' || *s == '\n')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\n'))
        n--;
    if (n == 0)
        return false;
    static const char *const falsy[] = {"false", "0", "null", "-0", "0.0", NULL};
    for (int i = 0; falsy[i]; i++)
        if (strlen(falsy[i]) == n && strncmp(s, falsy[i], n) == 0)
            return false;
    return true;
}

/* Renders a template to a boolean; -1 with a log line on error. */
int wf_xwalk_render_bool(wf_executor_t *ex, wf_xexec_t *x, wf_trun_t *tr, const char *src)
{
    json_t *ctx = wf_xexec_context(ex, x, tr);
    char err[512];
    char *out = wf_xrender(ex, x, src, ctx, err, sizeof(err));
    json_decref(ctx);
    if (out == NULL) {
        wf_xlog(ex, x, tr, "ERROR", err, strlen(err));
        return -1;
    }
    int b = truthy(out);
    free(out);
    return b;
}

/* runIf decides before the first attempt: SKIPPED when false. Returns true
 * when the task run was settled here. */
static bool check_run_if(wf_executor_t *ex, wf_xexec_t *x, wf_trun_t *tr)
{
    if (tr->task->run_if == NULL)
        return false;
    int b = wf_xwalk_render_bool(ex, x, tr, tr->task->run_if);
    if (b == 1)
        return false;
    wf_xtrun_set_state(tr, b == 0 ? WF_ST_SKIPPED : WF_ST_FAILED);
    return true;
}

static void start_attempt(wf_executor_t *ex, wf_xexec_t *x, wf_trun_t *tr)
{
    bool slot = wf_xtasks_uses_slot(tr->task);
    if (slot && (ex->busy >= ex->slots || !wf_xpolicy_task_slot(ex, x)))
        return; /* walked again when a slot frees (or at the next poll) */
    char date[40];
    wf_clock_iso_now(date, sizeof(date));
    tr->attempts_count++;
    json_array_append_new(tr->attempts, json_pack("{s:s,s:s}", "state", "RUNNING", "startDate",
                                                  date));
    if (tr->first_start_ms == 0)
        tr->first_start_ms = wf_clock_wall_ms();
    wf_xtrun_set_state(tr, WF_ST_RUNNING);
    tr->dirty = true;
    ex->n_task_attempts++;
    if (wf_xtasks_start(ex, tr) < 0)
        wf_xwalk_attempt_done(ex, tr, WF_ST_FAILED, NULL, "task type has no runner");
}

/* ---- walking -------------------------------------------------------------- */


wf_state_t wf_xwalk_task(wf_executor_t *ex, wf_xexec_t *x, wf_trun_t *tr)
{
    if (wf_xstate_terminal(tr->state))
        return tr->state;
    if (x->state == WF_ST_KILLING) {
        if (tr->proc) {
            wf_xtasks_stop(ex, tr);
            return WF_ST_RUNNING;
        }
        if (!walks_children(tr)) {
            close_attempt(tr, WF_ST_KILLED);
            wf_xtrun_set_state(tr, WF_ST_KILLED);
            return WF_ST_KILLED;
        }
    }
    if (tr->state == WF_ST_CREATED && check_run_if(ex, x, tr))
        return tr->state;
    if (walks_children(tr)) {
        if (tr->state == WF_ST_CREATED) {
            char date[40];
            wf_clock_iso_now(date, sizeof(date));
            json_array_append_new(tr->attempts, json_pack("{s:s,s:s}", "state", "RUNNING",
                                                          "startDate", date));
            tr->attempts_count = 1;
            tr->first_start_ms = wf_clock_wall_ms();
            wf_xtrun_set_state(tr, WF_ST_RUNNING);
        }
        wf_state_t s = wf_xflowable_children(ex, x, tr);
        if (x->state == WF_ST_KILLING && !wf_xstate_terminal(s)) {
            bool live = false;
            for (size_t i = 0; i < x->n_truns && !live; i++)
                live = x->truns[i]->parent == tr && !wf_xstate_terminal(x->truns[i]->state);
            if (!live)
                s = WF_ST_KILLED;
        }
        if (wf_xstate_terminal(s)) {
            if (s == WF_ST_FAILED && tr->task->allow_failure)
                s = WF_ST_WARNING;
            close_attempt(tr, s);
            wf_xtrun_set_state(tr, s);
        }
        return tr->state;
    }
    switch (tr->state) {
    case WF_ST_CREATED:
        start_attempt(ex, x, tr);
        break;
    case WF_ST_RETRYING:
        if (wf_clock_wall_ms() >= tr->retry_at_ms)
            start_attempt(ex, x, tr);
        else if (!tr->timer.armed)
            wf_loop_timer_arm(ex->loop, &tr->timer, tr->retry_at_ms - wf_clock_wall_ms(),
                              wf_xwalk_timer_cb, tr);
        break;
    case WF_ST_RUNNING:
        if (tr->proc == NULL && !tr->timer.armed && tr->task->type->kind != WF_TASK_SUBFLOW) {
            /* Running with nothing behind it: the replica that started it
             * died. The attempt is lost; the retry policy decides. */
            if (tr->first_start_ms == 0)
                tr->first_start_ms = wf_clock_wall_ms();
            wf_xwalk_attempt_done(ex, tr, WF_ST_FAILED, NULL,
                                  "attempt lost: the executor running it stopped");
        } else if (tr->task->type->kind == WF_TASK_SUBFLOW) {
            wf_xtasks_start(ex, tr); /* polls the child execution */
        }
        break;
    case WF_ST_PAUSED:
        if (x->state == WF_ST_RUNNING) {
            /* Resumed through the API: its tasks, if any, run now. */
            pause_end(ex, tr, WF_ST_SUCCESS, NULL);
            if (pause_walks_children(tr))
                return wf_xwalk_task(ex, x, tr);
        } else {
            if (tr->resume_at_ms == 0 && !tr->timer.armed)
                tr->resume_at_ms = pause_deadline(ex, x, tr);
            if (tr->resume_at_ms && !tr->timer.armed) {
                int64_t left = tr->resume_at_ms - wf_clock_wall_ms();
                wf_loop_timer_arm(ex->loop, &tr->timer, left > 0 ? left : 0,
                                  wf_xwalk_timer_cb, tr);
            }
        }
        break;
    default:
        break;
    }
    return tr->state;
}


static void finish(wf_executor_t *ex, wf_xexec_t *x, wf_state_t s)
{
    if (s != WF_ST_KILLED && s != WF_ST_CANCELLED && x->flow && wf_xoutputs_render(ex, x) != 0)
        s = WF_ST_FAILED;
    wf_xexec_set_state(x, s);
    wf_info("execution %s (%s.%s) %s", x->id, x->namespace_, x->flow_id, wf_xstate_name(s));
}

/* CREATED → RUNNING through the flow's concurrency gate. Returns false while
 * the execution must wait (QUEUED). */
static bool admit(wf_executor_t *ex, wf_xexec_t *x)
{
    /* The namespace policy first: forbidden task types, per-minute quota. */
    switch (wf_xpolicy_admit(ex, x)) {
    case 1:
        break;
    case 0:
        wf_xexec_set_state(x, WF_ST_QUEUED);
        return false;
    case -1:
        wf_xexec_set_state(x, WF_ST_FAILED);
        return false;
    default:
        return false; /* policy unreadable: try again on the next poll */
    }
    int64_t limit = x->flow->concurrency.limit;
    if (limit <= 0) {
        wf_xexec_set_state(x, WF_ST_RUNNING);
        return true;
    }
    int r = wf_xdb_concurrency_slot(ex, x, limit);
    if (r == 1) {
        wf_xexec_set_state(x, WF_ST_RUNNING);
        return true;
    }
    if (r < 0)
        return false; /* database trouble: try again on the next poll */
    switch (x->flow->concurrency.behavior) {
    case WF_CONC_CANCEL:
        wf_xexec_set_state(x, WF_ST_CANCELLED);
        break;
    case WF_CONC_FAIL:
        wf_xlog(ex, x, NULL, "ERROR", "flow concurrency limit reached", 30);
        wf_xexec_set_state(x, WF_ST_FAILED);
        break;
    default:
        wf_xexec_set_state(x, WF_ST_QUEUED);
        break;
    }
    return false;
}

/* Restart (the gateway moved a FAILED or KILLED execution to RETRYING): failed
 * and killed task runs run again in the same execution, with a new attempt;
 * their flowable parents become RUNNING again. Successful ones are kept. */
static void restart(wf_xexec_t *x)
{
    for (size_t i = 0; i < x->n_truns; i++) {
        wf_trun_t *tr = x->truns[i];
        if (tr->state != WF_ST_FAILED && tr->state != WF_ST_KILLED)
            continue;
        /* A Pause that failed in its tasks was resumed already: its tasks
         * run again, it does not pause a second time. */
        bool resumed = false;
        for (size_t k = 0; k < x->n_truns && !resumed; k++)
            resumed = x->truns[k]->parent == tr;
        bool parent = wf_xtasks_flowable(tr->task) ||
                      (tr->task->type->kind == WF_TASK_PAUSE && resumed);
        wf_xtrun_set_state(tr, parent ? WF_ST_RUNNING : WF_ST_CREATED);
        tr->branch = -1;
        tr->first_start_ms = 0;
    }
    json_decref(x->outputs);
    x->outputs = NULL;
    wf_xexec_set_state(x, WF_ST_RUNNING);
}

/* Labels every execution carries, as in Kestra, whoever created it (the
 * gateway, a subflow, a trigger, a schedule): the flow's labels under the
 * given ones, and system.correlationId, the id of the execution that started
 * the chain (a subflow inherits its parent's). */
static void seed_labels(wf_xexec_t *x)
{
    for (size_t i = 0; i < x->flow->n_labels; i++)
        if (json_object_get(x->labels, x->flow->labels[i].key) == NULL) {
            json_object_set_new(x->labels, x->flow->labels[i].key,
                                json_string(x->flow->labels[i].value));
            x->dirty = true;
        }
    if (json_object_get(x->labels, "system.correlationId") == NULL) {
        json_object_set_new(x->labels, "system.correlationId", json_string(x->id));
        x->dirty = true;
    }
}

static void walk_once(wf_executor_t *ex, wf_xexec_t *x)
{
    if (x->state == WF_ST_RETRYING && x->flow != NULL)
        restart(x);
    if (x->flow == NULL) {
        wf_xlog(ex, x, NULL, "ERROR", "flow not found or invalid", 25);
        wf_xexec_set_state(x, WF_ST_FAILED);
        return;
    }
    if (x->state == WF_ST_CREATED)
        seed_labels(x);
    if (x->state == WF_ST_CREATED || x->state == WF_ST_QUEUED) {
        if (!admit(ex, x))
            return;
    }
    wf_state_t s = wf_xflowable_seq(ex, x, &x->flow->tasks, NULL, NULL);
    if (x->state == WF_ST_KILLING) {
        bool live = false;
        for (size_t i = 0; i < x->n_truns && !live; i++)
            live = !wf_xstate_terminal(x->truns[i]->state) && x->truns[i]->proc;
        if (!live) {
            for (size_t i = 0; i < x->n_truns; i++) {
                wf_trun_t *tr = x->truns[i];
                if (!wf_xstate_terminal(tr->state)) {
                    close_attempt(tr, WF_ST_KILLED);
                    wf_xtrun_set_state(tr, WF_ST_KILLED);
                }
            }
            finish(ex, x, WF_ST_KILLED);
        }
        return;
    }
    s = wf_xflowable_block(ex, x, s, &x->flow->errors, &x->flow->finally_, NULL, NULL);
    if (wf_xstate_terminal(s)) {
        finish(ex, x, s);
        return;
    }
    bool paused = false;
    for (size_t i = 0; i < x->n_truns && !paused; i++)
        paused = x->truns[i]->state == WF_ST_PAUSED;
    if (paused && x->state == WF_ST_RUNNING)
        wf_xexec_set_state(x, WF_ST_PAUSED);
}

static void unlink_exec(wf_executor_t *ex, wf_xexec_t *x)
{
    for (wf_xexec_t **p = &ex->execs; *p; p = &(*p)->next) {
        if (*p == x) {
            *p = x->next;
            ex->n_execs--;
            return;
        }
    }
}

void wf_xwalk(wf_executor_t *ex, wf_xexec_t *x)
{
    if (x->walking) {
        x->rewalk = true;
        return;
    }
    x->walking = true;
    int guard = 0;
    do {
        x->rewalk = false;
        if (!x->dropped && !wf_xstate_terminal(x->state))
            walk_once(ex, x);
    } while (x->rewalk && !wf_xstate_terminal(x->state) && ++guard < 64);
    x->walking = false;
    /* Log lines go in before the terminal state, so whoever follows the
     * logs until the execution ends sees every line. */
    if (!x->dropped && wf_xstate_terminal(x->state))
        wf_xlogs_flush(ex);
    if (!x->dropped && wf_xdb_save(ex, x) < 0) {
        /* The next poll walks it again; rows stay consistent because the
         * failed transaction was rolled back as a whole. */
        wf_warn("execution %s: saving state failed; will retry", x->id);
        return;
    }
    if (x->dropped || wf_xstate_terminal(x->state)) {
        if (!x->dropped) {
            ex->n_execs_done++;
            /* Its completion event was written with the terminal state. */
            wf_xsched_on_end(ex, x);
        }
        unlink_exec(ex, x);
        wf_xexec_free(ex, x);
        if (ex->backlog)
            ex->claim_pending = true;
    }
}

void wf_xwalk_all(wf_executor_t *ex, size_t max, bool while_slots_free)
{
    /* A walk frees at most its own execution (when it ends), so the next one
     * is taken before walking. A walk of all must not run inside another:
     * an attempt that ends at once (a refused http.Request, say) frees a
     * slot from within a walk, and a nested pass could free the execution
     * the outer pass holds as next. The nested call asks for one more pass
     * instead, over every execution. Executions claimed meanwhile join at the
     * head and wait for the next round. */
    if (ex->walking_all) {
        ex->rewalk_all = true;
        return;
    }
    ex->walking_all = true;
    int passes = 0;
    do {
        ex->rewalk_all = false;
        wf_xexec_t *next;
        size_t left = passes == 0 ? max : SIZE_MAX;
        for (wf_xexec_t *x = ex->execs; x && left > 0; x = next, left--) {
            if (while_slots_free && ex->busy >= ex->slots)
                break;
            next = x->next;
            if (!x->walking)
                wf_xwalk(ex, x);
        }
    } while (ex->rewalk_all && ++passes < 8);
    ex->walking_all = false;
}
