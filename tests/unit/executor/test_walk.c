/* The walker (executor/walk.h) on its own: flows parsed from YAML, driven
 * through fake effects: a clock the test moves, a store that records every
 * save, tasks whose outcome the test decides (core tasks such as Pause run
 * their real runner). No database, no sandbox, no event loop.
 *
 * A planned task's outcome per attempt is one letter: S success, F failed,
 * W warning, R left running until the test ends it (the last letter repeats). */
#include <stdlib.h>
#include <string.h>

#include "executor/walk.h"
#include "flow/expr/expr.h"
#include "flow/flow.h"
#include "tests/tap.h"

#define SH "io.kestra.plugin.scripts.shell.Commands"
#define CORE "io.kestra.plugin.core."

typedef struct plan {
    const char *task, *outcomes;
} plan_t;

/* What the fakes saw. */
typedef struct fake {
    int64_t now;
    const plan_t *plans;
    char starts[512]; /* "a b c:x", one entry per attempt started */
    char stops[128];
    char logs[2048];  /* "LEVEL message|" */
    json_t *rows;     /* the store's task runs: id -> last row saved */
    json_t *exec_row; /* the store's execution row: last saved */
    int saves, ends, calls;
} fake_t;

static fake_t fk;
static wf_executor_t ex;
/* Stands for a running process: the walker only asks whether there is one. */
static char running_marker;
#define RUNNING_PROC ((wf_xproc_t *)(void *)&running_marker)

static void add(char *buf, size_t cap, const char *s)
{
    size_t n = strlen(buf);
    snprintf(buf + n, cap - n, "%s%s", n ? " " : "", s);
}

/* ---- fake effects ----------------------------------------------------------- */

static int64_t fake_now(wf_executor_t *e)
{
    (void)e;
    fk.calls++;
    return fk.now;
}

static void fake_arm(wf_executor_t *e, wf_trun_t *tr, int64_t delay_ms)
{
    (void)e;
    fk.calls++;
    tr->timer.armed = true;
    tr->timer.arg = tr;
    tr->timer.due_ms = fk.now + delay_ms;
}

static void fake_cancel(wf_executor_t *e, wf_trun_t *tr)
{
    (void)e;
    fk.calls++;
    tr->timer.armed = false;
}

static void fake_log(wf_executor_t *e, wf_xexec_t *x, wf_trun_t *tr, const char *level,
                     const char *line, size_t len)
{
    (void)e;
    (void)x;
    (void)tr;
    fk.calls++;
    size_t n = strlen(fk.logs);
    snprintf(fk.logs + n, sizeof(fk.logs) - n, "%s %.*s|", level, (int)len, line);
}

static int fake_admit(wf_executor_t *e, wf_xexec_t *x)
{
    (void)e;
    (void)x;
    fk.calls++;
    return 1;
}

static int fake_concurrency(wf_executor_t *e, wf_xexec_t *x, int64_t limit)
{
    (void)e;
    (void)x;
    (void)limit;
    fk.calls++;
    return 1;
}

static bool fake_task_slot(wf_executor_t *e, wf_xexec_t *x)
{
    (void)e;
    (void)x;
    fk.calls++;
    return true;
}

static const char *plan_of(const char *task)
{
    for (const plan_t *p = fk.plans; p && p->task; p++)
        if (strcmp(p->task, task) == 0)
            return p->outcomes;
    return NULL;
}

static int fake_start(wf_executor_t *e, wf_trun_t *tr)
{
    fk.calls++;
    const char *plan = plan_of(tr->task->id);
    if (plan == NULL)
        return wf_xtasks_start(e, tr); /* a core task: its real runner */
    char name[80];
    snprintf(name, sizeof(name), "%s%s%s", tr->task->id, tr->value ? ":" : "",
             tr->value ? tr->value : "");
    add(fk.starts, sizeof(fk.starts), name);
    size_t n = strlen(plan), i = (size_t)(tr->attempts_count - 1);
    switch (plan[i < n ? i : n - 1]) {
    case 'S':
        wf_xwalk_attempt_done(e, tr, WF_ST_SUCCESS, NULL, NULL);
        return WF_RUN_DONE;
    case 'F':
        wf_xwalk_attempt_done(e, tr, WF_ST_FAILED, NULL, "planned failure");
        return WF_RUN_DONE;
    case 'W':
        wf_xwalk_attempt_done(e, tr, WF_ST_WARNING, NULL, NULL);
        return WF_RUN_DONE;
    default:
        tr->proc = RUNNING_PROC;
        return WF_RUN_STARTED;
    }
}

/* A running attempt ends as a process would: its slot first, then the outcome. */
static void finish(wf_trun_t *tr, wf_state_t st)
{
    if (tr == NULL) {
        ok(0, "the task run to finish exists");
        return;
    }
    tr->proc = NULL;
    wf_xwalk_attempt_done(&ex, tr, st, NULL, NULL);
}

static void fake_stop(wf_executor_t *e, wf_trun_t *tr)
{
    (void)e;
    fk.calls++;
    add(fk.stops, sizeof(fk.stops), tr->task->id);
    finish(tr, WF_ST_KILLED);
}

/* The store: rows as db.c writes them (weft_save_execution's fields). */
static int fake_save(wf_executor_t *e, wf_xexec_t *x)
{
    (void)e;
    fk.calls++;
    fk.saves++;
    for (size_t i = 0; i < x->n_truns; i++) {
        wf_trun_t *tr = x->truns[i];
        if (!tr->dirty)
            continue;
        json_object_set_new(
            fk.rows, tr->id,
            json_pack("{s:s, s:s, s:s?, s:s?, s:i, s:s, s:i, s:o, s:o?}", "id", tr->id, "task_id",
                      tr->task->id, "parent", tr->parent ? tr->parent->id : NULL, "value",
                      tr->value, "iteration", tr->iteration, "state", wf_xstate_name(tr->state),
                      "attempt", tr->attempts_count, "attempts", json_deep_copy(tr->attempts),
                      "outputs", tr->outputs ? json_deep_copy(tr->outputs) : NULL));
        tr->dirty = false;
    }
    if (x->dirty) {
        json_decref(fk.exec_row);
        fk.exec_row = json_pack("{s:s, s:o}", "state", wf_xstate_name(x->state), "history",
                                json_deep_copy(x->history));
        x->dirty = false;
    }
    return 0;
}

/* The test keeps the execution to look at it; it frees it itself. */
static void fake_end(wf_executor_t *e, wf_xexec_t *x)
{
    (void)e;
    (void)x;
    fk.calls++;
    fk.ends++;
}

static const wf_xwalk_fx_t fake_fx = {
    .ctx = &fk,
    .now_ms = fake_now,
    .timer_arm = fake_arm,
    .timer_cancel = fake_cancel,
    .log = fake_log,
    .admit = fake_admit,
    .concurrency_slot = fake_concurrency,
    .task_slot = fake_task_slot,
    .task_start = fake_start,
    .task_stop = fake_stop,
    .save = fake_save,
    .end = fake_end,
};

/* ---- helpers ------------------------------------------------------------------ */

static void reset(const plan_t *plans)
{
    json_decref(fk.rows);
    json_decref(fk.exec_row);
    fk = (fake_t){.now = 1700000000000, .plans = plans, .rows = json_object()};
}

static wf_flow_t *flow_of(const char *yaml)
{
    wf_diags_t d;
    wf_flow_t *f = wf_flow_parse(yaml, strlen(yaml), "test.yaml", &d);
    if (f == NULL || d.count > 0)
        wf_diags_print(&d, stdout);
    wf_diags_dispose(&d);
    return f;
}

static wf_xexec_t *exec_new(wf_flow_t *f, wf_state_t st)
{
    wf_xexec_t *x = calloc(1, sizeof(*x));
    x->ex = &ex;
    x->id = strdup("0000execution0001");
    x->namespace_ = strdup(f->namespace_);
    x->flow_id = strdup(f->id);
    x->flow_revision = 1;
    x->flow = f;
    x->state = st;
    x->history = json_array();
    x->inputs = json_object();
    x->labels = json_object();
    return x;
}

static void exec_free(wf_xexec_t *x)
{
    for (size_t i = 0; i < x->n_truns; i++)
        x->truns[i]->proc = NULL; /* the processes died with the replica */
    wf_xexec_free(&ex, x);
}

static wf_trun_t *trun(wf_xexec_t *x, const char *task, const char *value)
{
    for (size_t i = 0; i < x->n_truns; i++) {
        wf_trun_t *tr = x->truns[i];
        if (strcmp(tr->task->id, task) == 0 &&
            (value == NULL || (tr->value && strcmp(tr->value, value) == 0)))
            return tr;
    }
    return NULL;
}

static const char *state_of(wf_xexec_t *x, const char *task)
{
    wf_trun_t *tr = trun(x, task, NULL);
    return tr ? wf_xstate_name(tr->state) : "(none)";
}

/* The state the store holds for a task run. */
static const char *saved_state(const wf_trun_t *tr)
{
    return tr ? json_string_value(json_object_get(json_object_get(fk.rows, tr->id), "state"))
              : NULL;
}

static const char *saved_exec_state(void)
{
    return json_string_value(json_object_get(fk.exec_row, "state"));
}

/* The states of the saved execution history, "CREATED RUNNING ...". */
static const char *saved_history(void)
{
    static char buf[256];
    buf[0] = '\0';
    size_t i;
    json_t *h;
    json_array_foreach(json_object_get(fk.exec_row, "history"), i, h)
        add(buf, sizeof(buf), json_string_value(json_object_get(h, "state")));
    return buf;
}

/* The attempts' states of a task run, "FAILED FAILED SUCCESS". */
static const char *attempt_states(const wf_trun_t *tr)
{
    static char buf[256];
    buf[0] = '\0';
    size_t i;
    json_t *a;
    json_array_foreach(tr->attempts, i, a)
        add(buf, sizeof(buf), json_string_value(json_object_get(a, "state")));
    return buf;
}

/* Moves the fake clock on, firing the timers that fall due (in order). */
static void advance(wf_xexec_t *x, int64_t ms)
{
    int64_t until = fk.now + ms;
    for (;;) {
        wf_trun_t *next = NULL;
        for (size_t i = 0; i < x->n_truns; i++) {
            wf_trun_t *tr = x->truns[i];
            if (tr->timer.armed && tr->timer.due_ms <= until &&
                (next == NULL || tr->timer.due_ms < next->timer.due_ms))
                next = tr;
        }
        if (next == NULL)
            break;
        fk.now = next->timer.due_ms;
        next->timer.armed = false;
        wf_xwalk_timer_cb(&next->timer);
    }
    fk.now = until;
}

/* Another replica claims the execution: it rebuilds it from the rows the
 * store holds, as db.c does (parents before their children). */
static wf_xexec_t *take_over(wf_flow_t *f)
{
    int st = wf_xstate_parse(saved_exec_state());
    wf_xexec_t *x = exec_new(f, st < 0 ? WF_ST_CREATED : (wf_state_t)st);
    json_decref(x->history);
    x->history = json_deep_copy(json_object_get(fk.exec_row, "history"));
    for (bool progress = true; progress;) {
        progress = false;
        const char *id;
        json_t *row;
        json_object_foreach(fk.rows, id, row) {
            bool have = false;
            for (size_t i = 0; i < x->n_truns && !have; i++)
                have = strcmp(x->truns[i]->id, id) == 0;
            const char *pid = json_string_value(json_object_get(row, "parent"));
            wf_trun_t *parent = NULL;
            for (size_t i = 0; pid && i < x->n_truns && !parent; i++)
                if (strcmp(x->truns[i]->id, pid) == 0)
                    parent = x->truns[i];
            if (have || (pid && parent == NULL))
                continue;
            const char *task_id = json_string_value(json_object_get(row, "task_id"));
            wf_trun_t *tr =
                wf_xexec_add_trun(x, wf_flow_find_task(f, task_id), parent,
                                  json_string_value(json_object_get(row, "value")),
                                  (int)json_integer_value(json_object_get(row, "iteration")));
            snprintf(tr->id, sizeof(tr->id), "%s", id);
            tr->state = wf_xstate_parse(json_string_value(json_object_get(row, "state")));
            tr->attempts_count = (int)json_integer_value(json_object_get(row, "attempt"));
            json_decref(tr->attempts);
            tr->attempts = json_deep_copy(json_object_get(row, "attempts"));
            json_t *o = json_object_get(row, "outputs");
            tr->outputs = o ? json_deep_copy(o) : NULL;
            tr->dirty = false;
            progress = true;
        }
    }
    return x;
}

/* A new execution of the flow in `yaml` under `plans`, walked once. */
static wf_xexec_t *run(const plan_t *plans, const char *yaml)
{
    reset(plans);
    wf_flow_t *f = flow_of(yaml);
    if (f == NULL)
        return NULL;
    wf_xexec_t *x = exec_new(f, WF_ST_CREATED);
    wf_xwalk(&ex, x);
    return x;
}

static void done(wf_xexec_t *x)
{
    wf_flow_t *f = x->flow;
    exec_free(x);
    wf_flow_free(f);
}

/* ---- scenarios --------------------------------------------------------------- */

static void test_sequential(void)
{
    static const plan_t plans[] = {{"a", "S"}, {"b", "R"}, {"c", "S"}, {NULL, NULL}};
    wf_xexec_t *x = run(plans, "id: seq\nnamespace: t\ntasks:\n"
                               "  - {id: a, type: " SH ", commands: [a]}\n"
                               "  - {id: b, type: " SH ", commands: [b]}\n"
                               "  - {id: c, type: " SH ", commands: [c]}\n");
    if (x == NULL)
        return;
    is_str(fk.starts, "a b", "sequential: b starts after a, c waits for b");
    is_str(saved_state(trun(x, "a", NULL)), "SUCCESS", "sequential: a saved SUCCESS");
    is_str(saved_state(trun(x, "b", NULL)), "RUNNING", "sequential: b saved RUNNING");
    ok(trun(x, "c", NULL) == NULL, "sequential: no task run for c yet");
    is_str(saved_exec_state(), "RUNNING", "sequential: execution saved RUNNING");
    is_int(fk.ends, 0, "sequential: not ended");
    finish(trun(x, "b", NULL), WF_ST_SUCCESS);
    is_str(fk.starts, "a b c", "sequential: c starts once b succeeded");
    is_str(saved_exec_state(), "SUCCESS", "sequential: execution saved SUCCESS");
    is_str(saved_history(), "RUNNING SUCCESS", "sequential: history RUNNING then SUCCESS");
    is_int(fk.ends, 1, "sequential: handed to end once");
    is_str(wf_xstate_name(wf_xstate_worst(WF_ST_SKIPPED, WF_ST_SKIPPED)), "SUCCESS",
           "states: skipped siblings merge to SUCCESS");
    done(x);
}

/* One task run's path through the effects, for the record. */
static void test_one_task_effects(void)
{
    static const plan_t plans[] = {{"a", "S"}, {NULL, NULL}};
    wf_xexec_t *x = run(plans, "id: one\nnamespace: t\ntasks:\n"
                               "  - {id: a, type: " SH ", commands: [a]}\n");
    if (x == NULL)
        return;
    is_str(saved_exec_state(), "SUCCESS", "one task: SUCCESS");
    is_int(fk.saves, 1, "one task: one save for the whole walk");
    printf("# effects called for a one-task execution: %d\n", fk.calls);
    ok(fk.calls > 0 && fk.calls < 16, "one task: fewer than 16 effect calls");
    done(x);
}

static void test_retries(void)
{
    static const plan_t plans[] = {{"flaky", "FFS"}, {"broken", "F"}, {NULL, NULL}};
    wf_xexec_t *x = run(plans, "id: retry\nnamespace: t\ntasks:\n"
                               "  - id: flaky\n    type: " SH "\n    commands: [x]\n"
                               "    retry: {type: constant, interval: PT10S, maxAttempt: 3}\n");
    if (x == NULL)
        return;
    wf_trun_t *tr = trun(x, "flaky", NULL);
    if (tr == NULL) {
        ok(0, "retry: the task run exists");
        return;
    }
    is_str(saved_state(tr), "RETRYING", "retry: first failure saved RETRYING");
    is_int(tr->attempts_count, 1, "retry: one attempt so far");
    ok(tr->timer.armed && tr->timer.due_ms == fk.now + 10000, "retry: next attempt in 10 s");
    ok(strstr(fk.logs, "WARN attempt failed, retrying") != NULL, "retry: logged the retry");
    advance(x, 9999);
    is_int(tr->attempts_count, 1, "retry: not before the interval");
    advance(x, 1);
    is_int(tr->attempts_count, 2, "retry: second attempt at 10 s");
    is_str(saved_state(tr), "RETRYING", "retry: second failure RETRYING again");
    advance(x, 10000);
    is_int(tr->attempts_count, 3, "retry: third attempt");
    is_str(attempt_states(tr), "FAILED FAILED SUCCESS", "retry: each attempt's state");
    is_str(saved_state(tr), "SUCCESS", "retry: third attempt succeeded");
    is_str(saved_exec_state(), "SUCCESS", "retry: execution SUCCESS");
    done(x);

    x = run(plans, "id: retry2\nnamespace: t\ntasks:\n"
                   "  - id: broken\n    type: " SH "\n    commands: [x]\n"
                   "    retry: {type: constant, interval: PT1S, maxAttempt: 3}\n");
    if (x == NULL)
        return;
    advance(x, 60000);
    tr = trun(x, "broken", NULL);
    is_int(tr ? tr->attempts_count : 0, 3, "retry: maxAttempt 3 makes three attempts");
    is_str(fk.starts, "broken broken broken", "retry: started three times, no more");
    is_str(saved_state(tr), "FAILED", "retry: then FAILED");
    is_str(saved_exec_state(), "FAILED", "retry: execution FAILED");
    done(x);
}

static void test_errors_finally(void)
{
    static const plan_t plans[] = {{"ok1", "S"},     {"boom", "F"},    {"never", "S"},
                                   {"handler", "S"}, {"cleanup", "S"}, {NULL, NULL}};
    wf_xexec_t *x = run(plans, "id: ef\nnamespace: t\ntasks:\n"
                               "  - {id: ok1, type: " SH ", commands: [a]}\n"
                               "  - {id: boom, type: " SH ", commands: [b]}\n"
                               "  - {id: never, type: " SH ", commands: [c]}\n"
                               "errors:\n  - {id: handler, type: " SH ", commands: [h]}\n"
                               "finally:\n  - {id: cleanup, type: " SH ", commands: [f]}\n");
    if (x == NULL)
        return;
    is_str(fk.starts, "ok1 boom handler cleanup", "errors: handler, then finally");
    ok(trun(x, "never", NULL) == NULL, "errors: nothing after the failure");
    is_str(state_of(x, "handler"), "SUCCESS", "errors: handler ran");
    is_str(saved_exec_state(), "FAILED", "errors: the execution stays FAILED");
    done(x);

    x = run(plans, "id: ef2\nnamespace: t\ntasks:\n"
                   "  - {id: ok1, type: " SH ", commands: [a]}\n"
                   "errors:\n  - {id: handler, type: " SH ", commands: [h]}\n"
                   "finally:\n  - {id: cleanup, type: " SH ", commands: [f]}\n");
    if (x == NULL)
        return;
    is_str(fk.starts, "ok1 cleanup", "finally: runs without a failure, errors do not");
    is_str(saved_exec_state(), "SUCCESS", "finally: execution SUCCESS");
    done(x);
}

static void test_allow_failure(void)
{
    static const plan_t plans[] = {{"shaky", "F"}, {"after", "S"}, {NULL, NULL}};
    wf_xexec_t *x = run(plans, "id: af\nnamespace: t\ntasks:\n"
                               "  - {id: shaky, type: " SH ", commands: [a], allowFailure: true}\n"
                               "  - {id: after, type: " SH ", commands: [b]}\n");
    if (x == NULL)
        return;
    is_str(state_of(x, "shaky"), "WARNING", "allowFailure: the failed task is WARNING");
    is_str(fk.starts, "shaky after", "allowFailure: the next task runs");
    is_str(saved_exec_state(), "WARNING", "allowFailure: execution WARNING");
    done(x);
}

static void test_flowables(void)
{
    static const plan_t plans[] = {{"s1", "S"},  {"s2", "S"},   {"p1", "R"}, {"p2", "R"},
                                   {"yes", "S"}, {"no", "S"},   {"ca", "S"}, {"cb", "S"},
                                   {"cd", "S"},  {"item", "S"}, {NULL, NULL}};
    wf_xexec_t *x =
        run(plans,
            "id: fl\nnamespace: t\ntasks:\n"
            "  - id: seq\n    type: " CORE "flow.Sequential\n    tasks:\n"
            "      - {id: s1, type: " SH ", commands: [a]}\n"
            "      - {id: s2, type: " SH ", commands: [a]}\n"
            "  - id: par\n    type: " CORE "flow.Parallel\n    tasks:\n"
            "      - {id: p1, type: " SH ", commands: [a]}\n"
            "      - {id: p2, type: " SH ", commands: [a]}\n"
            "  - id: cond\n    type: " CORE "flow.If\n    condition: \"{{ 2 > 1 }}\"\n"
            "    then:\n      - {id: yes, type: " SH ", commands: [a]}\n"
            "    else:\n      - {id: no, type: " SH ", commands: [a]}\n"
            "  - id: sw\n    type: " CORE "flow.Switch\n    value: \"{{ 'b' }}\"\n    cases:\n"
            "      a:\n        - {id: ca, type: " SH ", commands: [a]}\n"
            "      b:\n        - {id: cb, type: " SH ", commands: [a]}\n"
            "    defaults:\n      - {id: cd, type: " SH ", commands: [a]}\n"
            "  - id: each\n    type: " CORE "flow.EachSequential\n    value: [x, y]\n    tasks:\n"
            "      - {id: item, type: " SH ", commands: [a]}\n");
    if (x == NULL)
        return;
    is_str(fk.starts, "s1 s2 p1 p2", "Sequential in order; Parallel starts both branches");
    is_str(state_of(x, "seq"), "SUCCESS", "Sequential: SUCCESS once its children are");
    is_str(state_of(x, "par"), "RUNNING", "Parallel: RUNNING while a branch runs");
    finish(trun(x, "p2", NULL), WF_ST_SUCCESS);
    is_str(fk.starts, "s1 s2 p1 p2", "Parallel: waits for every branch");
    finish(trun(x, "p1", NULL), WF_ST_SUCCESS);
    is_str(fk.starts, "s1 s2 p1 p2 yes cb item:x item:y",
           "If takes then, Switch its case, EachSequential each value in order");
    ok(trun(x, "no", NULL) == NULL && trun(x, "ca", NULL) == NULL && trun(x, "cd", NULL) == NULL,
       "If and Switch: the other branches never run");
    wf_trun_t *sw = trun(x, "sw", NULL);
    is_str(sw ? json_string_value(json_object_get(sw->outputs, "value")) : NULL, "b",
           "Switch: its value as output");
    wf_trun_t *each = trun(x, "each", NULL), *ix = trun(x, "item", "x"), *iy = trun(x, "item", "y");
    ok(each && ix && iy && ix->parent == each && iy->parent == each,
       "EachSequential: one child task run per value");
    is_str(saved_state(each), "SUCCESS", "EachSequential: saved SUCCESS");
    is_str(saved_exec_state(), "SUCCESS", "flowables: execution SUCCESS");
    done(x);
}

static void test_pause(void)
{
    static const plan_t plans[] = {{"after", "S"}, {NULL, NULL}};
    wf_xexec_t *x = run(plans, "id: pause\nnamespace: t\ntasks:\n"
                               "  - {id: gate, type: " CORE "flow.Pause}\n"
                               "  - {id: after, type: " SH ", commands: [a]}\n");
    if (x == NULL)
        return;
    is_str(saved_state(trun(x, "gate", NULL)), "PAUSED", "Pause: the task run PAUSED");
    is_str(saved_exec_state(), "PAUSED", "Pause: the execution PAUSED");
    ok(trun(x, "after", NULL) == NULL, "Pause: what follows waits");
    advance(x, 3600000);
    is_str(saved_exec_state(), "PAUSED", "Pause: still paused an hour later");
    /* Resumed through the API: the store's state changes, the walk follows. */
    wf_xexec_set_state(x, WF_ST_RUNNING);
    wf_xwalk(&ex, x);
    is_str(state_of(x, "gate"), "SUCCESS", "Pause: resumed, SUCCESS");
    is_str(fk.starts, "after", "Pause: the next task runs once resumed");
    is_str(saved_history(), "RUNNING PAUSED RUNNING SUCCESS", "Pause: history");
    done(x);

    x = run(plans, "id: pause2\nnamespace: t\ntasks:\n"
                   "  - {id: gate, type: " CORE "flow.Pause, pauseDuration: PT1M}\n"
                   "  - {id: after, type: " SH ", commands: [a]}\n");
    if (x == NULL)
        return;
    advance(x, 59999);
    is_str(saved_exec_state(), "PAUSED", "Pause PT1M: paused before the minute");
    advance(x, 1);
    is_str(state_of(x, "gate"), "SUCCESS", "Pause PT1M: resumes by itself after a minute");
    is_str(saved_exec_state(), "SUCCESS", "Pause PT1M: execution SUCCESS");
    done(x);
}

static void test_kill(void)
{
    static const plan_t plans[] = {{"long", "R"}, {"next", "S"}, {NULL, NULL}};
    wf_xexec_t *x = run(plans, "id: kill\nnamespace: t\ntasks:\n"
                               "  - {id: long, type: " SH ", commands: [a]}\n"
                               "  - {id: next, type: " SH ", commands: [b]}\n");
    if (x == NULL)
        return;
    wf_xexec_set_state(x, WF_ST_KILLING);
    wf_xwalk(&ex, x);
    is_str(fk.stops, "long", "kill: the running attempt is stopped");
    is_str(state_of(x, "long"), "KILLED", "kill: its task run KILLED");
    ok(trun(x, "next", NULL) == NULL, "kill: nothing else starts");
    is_str(saved_exec_state(), "KILLED", "kill: execution KILLED");
    done(x);
}

static void test_takeover(void)
{
    static const plan_t plans[] = {{"a", "S"}, {"b", "RS"}, {"c", "S"}, {NULL, NULL}};
    wf_xexec_t *x = run(plans, "id: takeover\nnamespace: t\ntasks:\n"
                               "  - {id: a, type: " SH ", commands: [a]}\n"
                               "  - id: b\n    type: " SH "\n    commands: [b]\n"
                               "    retry: {type: constant, interval: PT5S, maxAttempt: 2}\n"
                               "  - {id: c, type: " SH ", commands: [c]}\n");
    if (x == NULL)
        return;
    is_str(fk.starts, "a b", "takeover: the first replica ran a and started b");
    char b_id[32];
    snprintf(b_id, sizeof(b_id), "%s", trun(x, "b", NULL) ? trun(x, "b", NULL)->id : "");
    /* The first replica dies; another one claims the execution. */
    wf_flow_t *f = x->flow;
    exec_free(x);
    fk.starts[0] = '\0';
    fk.logs[0] = '\0';
    x = take_over(f);
    is_int(x->n_truns, 2, "takeover: two task runs rebuilt from the store");
    wf_xwalk(&ex, x);
    wf_trun_t *b = trun(x, "b", NULL);
    /* The lost attempt is run again at once, outside the retry policy (its
     * PT5S interval does not apply): b's plan "RS" gives the second start S. */
    ok(strstr(fk.logs, "attempt lost") != NULL, "takeover: b's attempt is lost with its replica");
    is_str(fk.starts, "b c", "takeover: a is not run again; b runs again at once, then c");
    is_str(b ? b->id : NULL, b_id, "takeover: the same task run, not a new one");
    is_int(b ? b->attempts_count : 0, 2, "takeover: b has both attempts in its history");
    ok(b && json_is_true(json_object_get(json_array_get(b->attempts, 0), "lost")),
       "takeover: the first is marked lost");
    is_int(x->n_truns, 3, "takeover: no duplicate task runs");
    is_str(saved_exec_state(), "SUCCESS", "takeover: execution SUCCESS");
    done(x);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0); /* what passed shows even if a check crashes */
    ex.fx = &fake_fx;
    ex.rt = wf_expr_rt_create();
    ok(ex.rt != NULL, "expression runtime");
    test_sequential();
    test_one_task_effects();
    test_retries();
    test_errors_finally();
    test_allow_failure();
    test_flowables();
    test_pause();
    test_kill();
    test_takeover();
    reset(NULL);
    json_decref(fk.rows);
    wf_expr_rt_destroy(ex.rt);
    return tap_done();
}
