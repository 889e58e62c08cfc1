/* Rendering of task properties with the expression engine: templates are
 * compiled per render (flows are small and parsing is cheap) and evaluated
 * against the execution context through one runtime per executor. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "executor/executor.h"
#include "executor/files.h"
#include "executor/kv.h"
#include "flow/expr/expr.h"

/* errorLogs(): the ERROR lines logged so far in the execution (already
 * redacted), as Kestra's log entries: taskId, taskRunId, attemptNumber,
 * level, message, timestamp. Queued lines are written first so the list is
 * complete. */
static json_t *error_logs(wf_xexec_t *x, char *err, size_t errlen)
{
    wf_executor_t *ex = x->ex;
    wf_xlogs_flush(ex);
    const char *p[] = {x->id};
    /* Waits: the expression being rendered needs the list now (errorLogs()
     * is rare: error handlers and notifications). */
    PGresult *r = wf_xdb_run(ex, WF_XQ_ERROR_LOGS, 1, p);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        snprintf(err, errlen, "cannot read the execution's logs");
        PQclear(r);
        return NULL;
    }
    json_t *list = json_array();
    for (int i = 0; i < PQntuples(r); i++) {
        const char *trid = PQgetvalue(r, i, 0);
        const char *task_id = NULL;
        for (size_t k = 0; k < x->n_truns && task_id == NULL; k++)
            if (strcmp(x->truns[k]->id, trid) == 0)
                task_id = x->truns[k]->task->id;
        json_array_append_new(
            list, json_pack("{s:s?,s:s?,s:i,s:s,s:s,s:s,s:s,s:s}", "taskId", task_id,
                            "taskRunId", trid[0] ? trid : NULL, "attemptNumber",
                            atoi(PQgetvalue(r, i, 1)), "level", "ERROR", "message",
                            PQgetvalue(r, i, 2), "timestamp", PQgetvalue(r, i, 3), "namespace",
                            x->namespace_, "flowId", x->flow_id));
    }
    PQclear(r);
    return list;
}

/* Functions answered by the executor rather than the context: errorLogs()
 * here, kv() by the KV module, read() by the output files module. kv.Set
 * refuses a value derived from a secret as flow outputs do
 * (wf_xrender_json_clean, executor/tasks.c): the store is read by other
 * flows and shown by the API. */
static json_t *host_fn(void *ud, const char *fn, const json_t *args, char *err, size_t errlen)
{
    if (strcmp(fn, "errorLogs") == 0)
        return error_logs(ud, err, errlen);
    if (strcmp(fn, "kv") == 0)
        return wf_xkv_host(ud, args, err, errlen);
    return wf_xfiles_host(ud, fn, args, err, errlen);
}

/* Text a render printed from a secret (upper-cased, sliced, joined...):
 * masked from then on in the execution's log lines and task outputs, like
 * the secret itself. */
static void on_derived(void *ud, const char *text, size_t len)
{
    wf_xsecrets_remember(ud, text, len);
}

char *wf_xrender(wf_executor_t *ex, wf_xexec_t *x, const char *tmpl, json_t *ctx, char *err,
                 size_t errlen)
{
    wf_expr_err_t e = {0};
    wf_tmpl_t *t = wf_tmpl_compile(tmpl, strlen(tmpl), &e);
    if (t == NULL) {
        snprintf(err, errlen, "%d:%d: %s", e.line, e.col, e.msg);
        return NULL;
    }
    if (wf_tmpl_is_static(t)) {
        wf_tmpl_free(t);
        return strdup(tmpl);
    }
    wf_expr_taint_t taint = {.derived = on_derived, .derived_ud = x};
    wf_expr_env_t env = {.ctx = ctx,
                         .secret = wf_xsecrets_lookup,
                         .secret_ud = x,
                         .host = host_fn,
                         .host_ud = x,
                         .taint = &taint};
    const char *out = NULL;
    size_t n = 0;
    char *res = NULL;
    if (wf_tmpl_render(t, &env, ex->rt, &out, &n, &e) == 0)
        res = strndup(out, n);
    else
        snprintf(err, errlen, "%s", e.msg);
    wf_tmpl_free(t);
    return res;
}

json_t *wf_xrender_json_taint(wf_executor_t *ex, wf_xexec_t *x, json_t *v, json_t *ctx,
                              char *secrets, size_t secrets_len, char *err, size_t errlen)
{
    wf_expr_taint_t taint = {.derived = on_derived, .derived_ud = x};
    wf_expr_env_t env = {.ctx = ctx,
                         .secret = wf_xsecrets_lookup,
                         .secret_ud = x,
                         .host = host_fn,
                         .host_ud = x,
                         .taint = &taint};
    wf_expr_err_t e = {0};
    json_t *r = wf_expr_render_json(v, &env, ex->rt, &e);
    if (r == NULL)
        snprintf(err, errlen, "%s", e.msg);
    if (secrets != NULL && secrets_len > 0)
        snprintf(secrets, secrets_len, "%s", taint.tainted ? taint.names : "");
    return r;
}

json_t *wf_xrender_json(wf_executor_t *ex, wf_xexec_t *x, json_t *v, json_t *ctx, char *err,
                        size_t errlen)
{
    return wf_xrender_json_taint(ex, x, v, ctx, NULL, 0, err, errlen);
}

json_t *wf_xrender_json_clean(wf_executor_t *ex, wf_xexec_t *x, json_t *v, json_t *ctx,
                              const char *what, char *err, size_t errlen)
{
    char secrets[256];
    json_t *r = wf_xrender_json_taint(ex, x, v, ctx, secrets, sizeof(secrets), err, errlen);
    if (r != NULL && secrets[0] != '\0') {
        /* Names only: the value, however transformed, stays in the domain. */
        snprintf(err, errlen,
                 "a value derived from secret '%s' cannot be used in %s: they leave the domain "
                 "(stored in clear, shown by the API or passed to other flows)",
                 secrets, what);
        json_decref(r);
        return NULL;
    }
    return r;
}
