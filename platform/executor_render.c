/* Rendering of task properties with the expression engine: templates are
 * compiled per render (flows are small and parsing is cheap) and evaluated
 * against the execution context through one runtime per executor. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/executor.h"
#include "platform/executor_files.h"
#include "platform/expr.h"

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
    wf_expr_env_t env = {.ctx = ctx,
                         .secret = wf_xsecret_lookup,
                         .secret_ud = x,
                         .host = wf_xfiles_host,
                         .host_ud = x};
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

json_t *wf_xrender_json(wf_executor_t *ex, wf_xexec_t *x, json_t *v, json_t *ctx, char *err,
                        size_t errlen)
{
    wf_expr_env_t env = {.ctx = ctx,
                         .secret = wf_xsecret_lookup,
                         .secret_ud = x,
                         .host = wf_xfiles_host,
                         .host_ud = x};
    wf_expr_err_t e = {0};
    json_t *r = wf_expr_render_json(v, &env, ex->rt, &e);
    if (r == NULL)
        snprintf(err, errlen, "%s", e.msg);
    return r;
}
