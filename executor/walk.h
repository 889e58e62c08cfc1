/* Internals shared by the walker's files (not for other modules):
 *   walk.c      task-run lifecycle: attempts, retries, runIf, kill,
 *                        the execution's admission and end
 *   flowable.c  how each flowable kind walks its children
 *   outputs.c   flow outputs, rendered and converted to their type */
#ifndef WF_EXECUTOR_WALK_H
#define WF_EXECUTOR_WALK_H

#include "executor/executor.h"

/* Advances one task run (leaf or flowable); returns its state. */
wf_state_t wf_xwalk_task(wf_executor_t *ex, wf_xexec_t *x, wf_trun_t *tr);
/* The task run of `task` under `parent` for iteration `value`, or NULL. */
wf_trun_t *wf_xwalk_find(wf_xexec_t *x, const wf_task_t *task, wf_trun_t *parent,
                         const char *value);
/* Renders a condition to a boolean: 1, 0, or -1 with a log line. */
int wf_xwalk_render_bool(wf_executor_t *ex, wf_xexec_t *x, wf_trun_t *tr, const char *src);
/* Timer callback of a task run (retry, sleep, pause, WaitFor): walks again. */
void wf_xwalk_timer_cb(wf_timer_t *t);
/* Sets a task run's state, marking it to be written when it changed. */
void wf_xtrun_set_state(wf_trun_t *tr, wf_state_t st);

/* flowable.c */
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

/* outputs.c */
/* Renders the flow's `outputs` and converts each to its declared type into
 * x->outputs. Returns 0, or -1 after logging why (the execution fails). */
int wf_xoutputs_render(wf_executor_t *ex, wf_xexec_t *x);

#endif
