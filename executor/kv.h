/* The namespace key-value store inside flows: the kv.Set, kv.Get,
 * kv.Delete, kv.GetKeys and kv.PurgeKV tasks and the kv() function. Every
 * statement runs with the domain's role, so row-level security keeps each
 * team to its own keys (migration 0014). */
#ifndef WF_EXECUTOR_KV_H
#define WF_EXECUTOR_KV_H

#include <jansson.h>

#include "executor/executor.h"

/* Runners (executor/tasks.c's table): WF_RUN_DONE after reporting. */
int wf_xkv_set(wf_executor_t *ex, wf_trun_t *tr, json_t *props);
int wf_xkv_get(wf_executor_t *ex, wf_trun_t *tr, json_t *props);
int wf_xkv_delete(wf_executor_t *ex, wf_trun_t *tr, json_t *props);
int wf_xkv_get_keys(wf_executor_t *ex, wf_trun_t *tr, json_t *props);
int wf_xkv_purge(wf_executor_t *ex, wf_trun_t *tr, json_t *props);

/* kv(key, namespace, errorOnMissing) for the expression engine: the value
 * of the nearest namespace at or above `namespace` (default the flow's) that
 * holds the key, as Kestra's KV inheritance; NULL with `err` when missing
 * (unless errorOnMissing is false: JSON null) or refused. */
json_t *wf_xkv_host(wf_xexec_t *x, const json_t *args, char *err, size_t errlen);

#endif
