/* Runners that talk to the network from the executor process itself:
 * io.kestra.plugin.core.http.Request (libcurl's multi socket interface on the
 * executor's loop) and io.kestra.plugin.jdbc.postgresql.Query (libpq in
 * non-blocking mode on the same loop). Neither blocks the loop on a transfer
 * and neither uses a thread per task; every connection goes through the
 * egress check (executor/egress.h). */
#ifndef WF_EXECUTOR_NET_H
#define WF_EXECUTOR_NET_H

#include <jansson.h>

#include "executor/executor.h"

/* Starts an HTTP request attempt for `tr` with rendered `props`. Returns
 * WF_RUN_STARTED, or WF_RUN_DONE after reporting a failure. */
int wf_xhttp_run(wf_executor_t *ex, wf_trun_t *tr, json_t *props);
/* Releases the executor's transfer machinery (after every job is gone). */
void wf_xhttp_shutdown(wf_executor_t *ex);

/* Starts a PostgreSQL query attempt; same contract as wf_xhttp_run. */
int wf_xpg_run(wf_executor_t *ex, wf_trun_t *tr, json_t *props);

#endif
