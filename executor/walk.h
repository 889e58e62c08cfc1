/* Internals shared by the walker's files, and by the runners and the
 * executor that give it its effects (not for other modules):
 *   exec.c      the in-memory execution: task runs, states, expression context
 *   walk.c      task-run lifecycle: attempts, retries, runIf, kill,
 *                        the execution's admission and end
 *   flowable.c  how each flowable kind walks its children
 *   outputs.c   flow outputs, rendered and converted to their type
 *
 * The walker decides; what it does to the world goes through the effects
 * below and nowhere else: the executor gives its own (executor.c: the
 * database, policies, runners and sandboxes, the event loop, log batches),
 * tests give fakes and drive the state machine without any of them. */
#ifndef WF_EXECUTOR_WALK_H
#define WF_EXECUTOR_WALK_H

#include <string.h>

#include "executor/executor.h"

/* ---- effects --------------------------------------------------------------- */

struct wf_xwalk_fx {
    void *ctx; /* the implementation's own state (NULL for the executor's) */
    /* Wall clock, ms since the epoch: attempt dates, retry and pause times. */
    int64_t (*now_ms)(wf_executor_t *ex);
    /* Calls wf_xwalk_timer_cb(&tr->timer) after `delay_ms` (re-arms: one
     * timer per task run), until cancelled; tr->timer.armed says which. */
    void (*timer_arm)(wf_executor_t *ex, wf_trun_t *tr, int64_t delay_ms);
    void (*timer_cancel)(wf_executor_t *ex, wf_trun_t *tr);
    /* One line of the execution's log (`tr` NULL: the execution's own). */
    void (*log)(wf_executor_t *ex, wf_xexec_t *x, wf_trun_t *tr, const char *level,
                const char *line, size_t len);
    /* Admission of a CREATED/QUEUED execution by its namespace policy: 1 may
     * start, 0 must wait, -1 refused (logged), -2 try again later. */
    int (*admit)(wf_executor_t *ex, wf_xexec_t *x);
    /* The flow's concurrency gate: 1 may start, 0 must wait, -1 error. */
    int (*concurrency_slot)(wf_executor_t *ex, wf_xexec_t *x, int64_t limit);
    /* True when a task that occupies a slot may start now. */
    bool (*task_slot)(wf_executor_t *ex, wf_xexec_t *x);
    /* Starts one attempt of a leaf (a RUNNING Subflow: polls its child).
     * The outcome comes back through wf_xwalk_attempt_done, now or later.
     * Returns -1 when the kind has no runner. */
    int (*task_start)(wf_executor_t *ex, wf_trun_t *tr);
    /* Kills a running attempt (kill): its attempt_done follows. */
    void (*task_stop)(wf_executor_t *ex, wf_trun_t *tr);
    /* Writes the dirty task runs and execution row (clearing `dirty`): 0,
     * 1 when the execution is no longer this replica's (sets x->dropped),
     * -1 failed (the next walk writes again). */
    int (*save)(wf_executor_t *ex, wf_xexec_t *x);
    /* The execution ended (saved) or was dropped: its owner lets it go. The
     * walker does not touch `x` afterwards. */
    void (*end)(wf_executor_t *ex, wf_xexec_t *x);
};

/* The executor's effects (executor.c), used when ex->fx is NULL. */
extern const wf_xwalk_fx_t wf_xwalk_fx_executor;

static inline const wf_xwalk_fx_t *wf_xwalk_fx(const wf_executor_t *ex)
{
    return ex->fx ? ex->fx : &wf_xwalk_fx_executor;
}

/* A NUL-terminated line through the effects' log. */
static inline void wf_xwalk_log(wf_executor_t *ex, wf_xexec_t *x, wf_trun_t *tr,
                                const char *level, const char *line)
{
    wf_xwalk_fx(ex)->log(ex, x, tr, level, line, strlen(line));
}

/* The effects' wall clock as an ISO-8601 timestamp (attempt and state dates). */
void wf_xwalk_iso_now(wf_executor_t *ex, char *buf, size_t len);

/* ---- walk.c ---------------------------------------------------------------- */

/* Advances one task run (leaf or flowable); returns its state. */
wf_state_t wf_xwalk_task(wf_executor_t *ex, wf_xexec_t *x, wf_trun_t *tr);
/* The task run of `task` under `parent` for iteration `value`, or NULL. */
wf_trun_t *wf_xwalk_find(wf_xexec_t *x, const wf_task_t *task, wf_trun_t *parent,
                         const char *value);
/* Renders a condition to a boolean: 1, 0, or -1 with a log line. */
int wf_xwalk_render_bool(wf_executor_t *ex, wf_xexec_t *x, wf_trun_t *tr, const char *src);
/* Timer callback of a task run (retry, sleep, pause, WaitFor): walks again. */
void wf_xwalk_timer_cb(wf_timer_t *t);

/* ---- exec.c ---------------------------------------------------------------- */

/* Sets a task run's state, marking it to be written when it changed. */
void wf_xexec_set_trun_state(wf_trun_t *tr, wf_state_t st);

/* ---- flowable.c ------------------------------------------------------------ */

/* Walks the children of a flowable task run, then its errors and finally;
 * RUNNING while not settled. */
wf_state_t wf_xflowable_children(wf_executor_t *ex, wf_xexec_t *x, wf_trun_t *tr);
/* Runs `list` one task after the other under `parent`. */
wf_state_t wf_xflowable_seq(wf_executor_t *ex, wf_xexec_t *x, const wf_task_list_t *list,
                            wf_trun_t *parent, const char *value);
/* `s` is the state of a block's tasks: runs `errors` when it failed, then
 * `finally` in every case; RUNNING while either is not done. */
wf_state_t wf_xflowable_block(wf_executor_t *ex, wf_xexec_t *x, wf_state_t s,
                              const wf_task_list_t *errors, const wf_task_list_t *finally_,
                              wf_trun_t *parent, const char *value);

/* ---- outputs.c ------------------------------------------------------------- */

/* Renders the flow's `outputs` and converts each to its declared type into
 * x->outputs. Returns 0, or -1 after logging why (the execution fails). */
int wf_xoutputs_render(wf_executor_t *ex, wf_xexec_t *x);

#endif
