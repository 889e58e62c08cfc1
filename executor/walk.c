/* The execution state machine. The walker is idempotent: given the flow and
 * the task runs recorded so far it creates the next task runs, starts leaf
 * attempts, and settles flowable task runs and the execution once their
 * children are done. Nothing is remembered between walks that is not in the
 * task runs, so a replica taking over an orphaned execution resumes it by
 * walking the rows it loaded. It acts only through the effects of walk.h
 * (clock, timers, log, admission, task start and stop, save, end). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "executor/walk.h"
#include "flow/time.h"
#include "platform/log.h"

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

void wf_xwalk_iso_now(wf_executor_t *ex, char *buf, size_t len)
{
    wf_clock_iso_from_ms(wf_xwalk_fx(ex)->now_ms(ex), buf, len);
}

/* ---- attempts and retries ------------------------------------------------- */

static void close_attempt(wf_executor_t *ex, wf_trun_t *tr, wf_state_t st);

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
    wf_xwalk_fx(ex)->timer_cancel(ex, tr);
    tr->resume_at_ms = 0;
    if (why != NULL)
        wf_xwalk_log(ex, tr->exec, tr, st == WF_ST_FAILED ? "ERROR" : "WARN", why);
    if (st == WF_ST_SUCCESS && tr->task->tasks.count > 0) {
        wf_xexec_set_trun_state(tr, WF_ST_RUNNING);
        return;
    }
    close_attempt(ex, tr, st);
    wf_xexec_set_trun_state(tr, st);
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

/* Attempts lost with a replica (marked "lost" in the history): the platform
 * ran them again, so the retry policy does not count them. */
static int lost_attempts(const wf_trun_t *tr)
{
    int n = 0;
    size_t i;
    json_t *a;
    json_array_foreach(tr->attempts, i, a)
        n += json_is_true(json_object_get(a, "lost"));
    return n;
}

/* Attempts the retry policy counts. */
static int counted_attempts(const wf_trun_t *tr)
{
    return tr->attempts_count - lost_attempts(tr);
}

/* Delay before the next attempt, or -1 when the policy allows no more. */
static int64_t retry_delay(wf_executor_t *ex, const wf_retry_t *r, const wf_trun_t *tr)
{
    if (r == NULL)
        return -1;
    int attempts = counted_attempts(tr);
    if (r->max_attempts > 0 && attempts >= r->max_attempts)
        return -1;
    int64_t d = 0;
    switch (r->kind) {
    case WF_RETRY_CONSTANT:
        d = r->interval_ms;
        break;
    case WF_RETRY_EXPONENTIAL: {
        double f = r->delay_factor > 0 ? r->delay_factor : 2.0;
        double v = (double)r->interval_ms * pow(f, attempts - 1);
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
        wf_xwalk_fx(ex)->now_ms(ex) + d - tr->first_start_ms >= r->max_duration_ms)
        return -1;
    return d;
}

static void close_attempt(wf_executor_t *ex, wf_trun_t *tr, wf_state_t st)
{
    json_t *a = json_array_get(tr->attempts, json_array_size(tr->attempts) - 1);
    if (a == NULL)
        return;
    char date[40];
    wf_xwalk_iso_now(ex, date, sizeof(date));
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
    const wf_xwalk_fx_t *fx = wf_xwalk_fx(ex);
    wf_xexec_t *x = tr->exec;
    if (error != NULL)
        wf_xwalk_log(ex, x, tr, "ERROR", error);
    if (outputs != NULL) {
        wf_xsecrets_redact_json(x, outputs);
        if (tr->outputs == NULL)
            tr->outputs = json_object();
        json_object_update(tr->outputs, outputs);
    }
    close_attempt(ex, tr, st);
    tr->dirty = true;
    fx->timer_cancel(ex, tr);
    if (st == WF_ST_FAILED && x->state != WF_ST_KILLING) {
        int64_t d = retry_delay(ex, retry_of(x, tr), tr);
        if (d >= 0) {
            wf_xwalk_log(ex, x, tr, "WARN", "attempt failed, retrying");
            wf_xexec_set_trun_state(tr, WF_ST_RETRYING);
            tr->retry_at_ms = fx->now_ms(ex) + d;
            fx->timer_arm(ex, tr, d);
            schedule_walk(ex, x);
            return;
        }
    }
    if (st == WF_ST_FAILED && tr->task->allow_failure)
        st = WF_ST_WARNING;
    if (st == WF_ST_SUCCESS && counted_attempts(tr) > 1) {
        const wf_retry_t *r = retry_of(x, tr);
        if (r && r->warning_on_retry)
            st = WF_ST_WARNING;
    }
    if (st == WF_ST_WARNING && tr->task->allow_warning)
        st = WF_ST_SUCCESS;
    wf_xexec_set_trun_state(tr, st);
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
        wf_xwalk_log(ex, x, tr, "ERROR", err);
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
    wf_xexec_set_trun_state(tr, b == 0 ? WF_ST_SKIPPED : WF_ST_FAILED);
    return true;
}

/* A new attempt's entry and the task run RUNNING (a flowable's one attempt
 * too): the start of its first attempt bounds retry maxDuration. */
static void open_attempt(wf_executor_t *ex, wf_trun_t *tr)
{
    int64_t now = wf_xwalk_fx(ex)->now_ms(ex);
    char date[40];
    wf_clock_iso_from_ms(now, date, sizeof(date));
    tr->attempts_count++;
    json_array_append_new(tr->attempts, json_pack("{s:s,s:s}", "state", "RUNNING", "startDate",
                                                  date));
    if (tr->first_start_ms == 0)
        tr->first_start_ms = now;
    wf_xexec_set_trun_state(tr, WF_ST_RUNNING);
}

static void start_attempt(wf_executor_t *ex, wf_xexec_t *x, wf_trun_t *tr)
{
    const wf_xwalk_fx_t *fx = wf_xwalk_fx(ex);
    if (wf_xtasks_uses_slot(tr->task) && !fx->task_slot(ex, x))
        return; /* walked again when a slot frees (or at the next poll) */
    open_attempt(ex, tr);
    tr->dirty = true;
    ex->n_task_attempts++;
    if (fx->task_start(ex, tr) < 0)
        wf_xwalk_attempt_done(ex, tr, WF_ST_FAILED, NULL, "task type has no runner");
}

/* An attempt lost with its replica: recorded as FAILED with "lost": true and
 * run again at once, up to executor.lost_attempt_retries times per task run. */
static void lose_attempt(wf_executor_t *ex, wf_xexec_t *x, wf_trun_t *tr)
{
    int limit = ex->cfg ? (int)ex->cfg->executor.lost_attempt_retries : 3;
    int lost = lost_attempts(tr);
    char msg[256];
    if (lost >= limit) {
        snprintf(msg, sizeof(msg),
                 "attempt lost: the executor running it stopped (%d attempt%s of this task run "
                 "already lost, executor.lost_attempt_retries is %d)",
                 lost, lost == 1 ? "" : "s", limit);
        wf_xwalk_attempt_done(ex, tr, WF_ST_FAILED, NULL, msg);
        return;
    }
    snprintf(msg, sizeof(msg),
             "attempt lost: the executor running it stopped; running it again (%d of %d, not "
             "counted by the retry policy)",
             lost + 1, limit);
    wf_xwalk_log(ex, x, tr, "WARN", msg);
    close_attempt(ex, tr, WF_ST_FAILED);
    json_t *a = json_array_get(tr->attempts, json_array_size(tr->attempts) - 1);
    if (a != NULL)
        json_object_set_new(a, "lost", json_true());
    tr->dirty = true;
    /* RETRYING, due now: it waits for a slot like any retry. */
    wf_xexec_set_trun_state(tr, WF_ST_RETRYING);
    tr->retry_at_ms = wf_xwalk_fx(ex)->now_ms(ex);
    start_attempt(ex, x, tr);
}

/* ---- walking -------------------------------------------------------------- */


wf_state_t wf_xwalk_task(wf_executor_t *ex, wf_xexec_t *x, wf_trun_t *tr)
{
    const wf_xwalk_fx_t *fx = wf_xwalk_fx(ex);
    if (wf_xstate_terminal(tr->state))
        return tr->state;
    if (x->state == WF_ST_KILLING) {
        if (tr->proc) {
            fx->task_stop(ex, tr);
            return WF_ST_RUNNING;
        }
        if (!walks_children(tr)) {
            close_attempt(ex, tr, WF_ST_KILLED);
            wf_xexec_set_trun_state(tr, WF_ST_KILLED);
            return WF_ST_KILLED;
        }
    }
    if (tr->state == WF_ST_CREATED && check_run_if(ex, x, tr))
        return tr->state;
    if (walks_children(tr)) {
        if (tr->state == WF_ST_CREATED)
            open_attempt(ex, tr); /* its first and only attempt */
        wf_state_t s = wf_xflowable_children(ex, x, tr);
        if (x->state == WF_ST_KILLING && !wf_xstate_terminal(s)) {
            bool live = false;
            for (size_t i = 0; i < x->n_truns && !live; i++)
                live = x->truns[i]->parent == tr && !wf_xstate_terminal(x->truns[i]->state);
            if (!live)
                s = WF_ST_KILLED;
        }
        if (wf_xstate_terminal(s)) {
            /* As for a leaf: allowFailure turns FAILED into WARNING, then
             * allowWarning turns WARNING into SUCCESS (Kestra's
             * guessFinalState, both on a flowable too). */
            if (s == WF_ST_FAILED && tr->task->allow_failure)
                s = WF_ST_WARNING;
            if (s == WF_ST_WARNING && tr->task->allow_warning)
                s = WF_ST_SUCCESS;
            close_attempt(ex, tr, s);
            wf_xexec_set_trun_state(tr, s);
        }
        return tr->state;
    }
    switch (tr->state) {
    case WF_ST_CREATED:
        start_attempt(ex, x, tr);
        break;
    case WF_ST_RETRYING:
        if (fx->now_ms(ex) >= tr->retry_at_ms)
            start_attempt(ex, x, tr);
        else if (!tr->timer.armed)
            fx->timer_arm(ex, tr, tr->retry_at_ms - fx->now_ms(ex));
        break;
    case WF_ST_RUNNING:
        if (tr->proc == NULL && !tr->timer.armed && tr->task->type->kind != WF_TASK_SUBFLOW) {
            /* Running with nothing behind it: the replica that started it
             * died or was stopped. The task did not fail: the platform runs
             * it again (bounded), and only past that bound does the attempt
             * fail for the retry policy to decide. */
            if (tr->first_start_ms == 0)
                tr->first_start_ms = fx->now_ms(ex);
            lose_attempt(ex, x, tr);
        } else if (tr->task->type->kind == WF_TASK_SUBFLOW) {
            fx->task_start(ex, tr); /* polls the child execution */
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
                int64_t left = tr->resume_at_ms - fx->now_ms(ex);
                fx->timer_arm(ex, tr, left > 0 ? left : 0);
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
    const wf_xwalk_fx_t *fx = wf_xwalk_fx(ex);
    /* The namespace policy first: forbidden task types, per-minute quota. */
    switch (fx->admit(ex, x)) {
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
    int r = fx->concurrency_slot(ex, x, limit);
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
        wf_xwalk_log(ex, x, NULL, "ERROR", "flow concurrency limit reached");
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
        wf_xexec_set_trun_state(tr, parent ? WF_ST_RUNNING : WF_ST_CREATED);
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
        wf_xwalk_log(ex, x, NULL, "ERROR", "flow not found or invalid");
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
                    close_attempt(ex, tr, WF_ST_KILLED);
                    wf_xexec_set_trun_state(tr, WF_ST_KILLED);
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
    const wf_xwalk_fx_t *fx = wf_xwalk_fx(ex);
    if (!x->dropped && fx->save(ex, x) < 0) {
        /* The next poll walks it again; rows stay consistent because the
         * failed transaction was rolled back as a whole. */
        wf_warn("execution %s: saving state failed; will retry", x->id);
        return;
    }
    if (x->dropped || wf_xstate_terminal(x->state))
        fx->end(ex, x);
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
