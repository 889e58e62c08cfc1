/* Sandboxed processes of task attempts, driven by the executor's loop. */
#ifndef WF_EXECUTOR_PROC_H
#define WF_EXECUTOR_PROC_H

#include <stddef.h>

#include "executor/executor.h"
#include "sandbox/sbx.h"

/* Starts `spec` for the current attempt of `tr` (which then owns the process
 * through tr->proc and one executor slot). The attempt ends through
 * wf_xwalk_attempt_done with outputs {exitCode, vars}. Returns 0, or -1 with
 * `err` when the sandbox could not start. The caller keeps `spec`. */
int wf_xproc_start(wf_executor_t *ex, wf_trun_t *tr, wf_sbx_spec_t *spec, char *err,
                   size_t errlen);
/* After a successful run, collect the outputs directory and the files
 * matching `patterns` (outputFiles; NULL for none) into outputFiles. */
void wf_xproc_collect_files(wf_xproc_t *p, json_t *patterns);
/* Kills the process; the attempt then ends as KILLED. */
void wf_xproc_kill(wf_xproc_t *p);
/* Kills and frees the process without reporting (execution being freed). */
void wf_xproc_abandon(wf_executor_t *ex, wf_xproc_t *p);
/* Attempts driven by the executor itself rather than a sandbox (HTTP
 * transfers, database queries): the runner attaches its job to the task run
 * so that kill and abandon reach it like a process, and it holds a slot. */
typedef struct wf_xproc_job_ops {
    /* Cancel now; the job later reports KILLED through wf_xproc_job_done (never
     * from inside this call: the walker may be the caller). */
    void (*kill)(void *job);
    /* Free without reporting (the execution is being freed). */
    void (*abandon)(void *job);
} wf_xproc_job_ops_t;
/* Attaches `job` as the running attempt of `tr` (tr->proc) and, when the
 * task has a timeout, arms the job's `timer` to call `on_timeout` (with
 * `job`) once it is past. */
void wf_xproc_job_attach(wf_executor_t *ex, wf_trun_t *tr, const wf_xproc_job_ops_t *ops,
                         void *job, wf_timer_t *timer, wf_timer_cb on_timeout);
/* The job ended: detaches it, releases the slot and records the attempt. */
void wf_xproc_job_done(wf_executor_t *ex, wf_trun_t *tr, wf_state_t st, json_t *outputs,
                  const char *error);
/* Walks executions that may be waiting for a free slot. */
void wf_xproc_slot_freed(wf_executor_t *ex);

#endif
