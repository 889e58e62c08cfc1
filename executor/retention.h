/* Retention: deleting a domain's old executions.
 *
 * The housekeeping pass deletes the domain's ended executions whose
 * namespace has a `retention` policy (tenants/policy.h) and that ended
 * longer ago, with their task runs, logs and output files; the audit log is
 * never touched. It runs from a timer every executor.retention_interval
 * seconds, in batches of WF_XRETENTION_BATCH executions, each one statement
 * and one short transaction sent through the non-blocking queue (dbq.c), so
 * the loop keeps serving tasks and heartbeats between batches. One replica
 * of a domain purges at a time (an advisory lock).
 *
 * The PurgeExecutions and PurgeLogs tasks delete what a flow asks for, in
 * the flow's own domain only, at or below the flow's namespace. */
#ifndef WF_EXECUTOR_RETENTION_H
#define WF_EXECUTOR_RETENTION_H

#include <jansson.h>

#include "executor/executor.h"

/* Executions deleted per statement of the housekeeping pass. */
#define WF_XRETENTION_BATCH 500

typedef struct wf_xretention wf_xretention_t;

/* Sets up the pass, its timer armed for a first pass soon after start. */
wf_xretention_t *wf_xretention_create(wf_executor_t *ex);
/* Cancels the timer and frees; a pass still queued ends on its own (its
 * callbacks see the executor stopping). */
void wf_xretention_destroy(wf_xretention_t *r);

/* Runners (executor/tasks.c's table): WF_RUN_DONE after reporting. */
int wf_xretention_purge_executions(wf_executor_t *ex, wf_trun_t *tr, json_t *props);
int wf_xretention_purge_logs(wf_executor_t *ex, wf_trun_t *tr, json_t *props);

#endif
