/* Expression engine: compiling templates and checking that they parse. */
#include "platform/expr_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static wf_tmpl_t *compile(const char *src, size_t len, int bare, wf_expr_err_t *err)
{
    memset(err, 0, sizeof(*err));
    /* Offsets are kept in 32 bits; templates are far smaller in practice. */
    if (len > (size_t)INT32_MAX) {
        snprintf(err->msg, sizeof(err->msg), "template too large");
        return NULL;
    }
    wf_tmpl_t *t = calloc(1, sizeof(*t));
    if (t == NULL)
        goto oom;
    t->src = malloc(len + 1);
    if (t->src == NULL)
        goto oom;
    if (len > 0)
        memcpy(t->src, src, len);
    t->src[len] = '\0';
    t->len = len;
    if (wf_expr_parse(t, bare, err) < 0) {
        wf_tmpl_free(t);
        return NULL;
    }
    return t;
oom:
    wf_tmpl_free(t);
    snprintf(err->msg, sizeof(err->msg), "out of memory");
    return NULL;
}

wf_tmpl_t *wf_tmpl_compile(const char *src, size_t len, wf_expr_err_t *err)
{
    return compile(src, len, 0, err);
}

wf_tmpl_t *wf_expr_compile(const char *src, size_t len, wf_expr_err_t *err)
{
    return compile(src, len, 1, err);
}

void wf_tmpl_free(wf_tmpl_t *t)
{
    if (t == NULL)
        return;
    wf_arena_dispose(&t->arena, 0);
    free(t->src);
    free(t);
}

int wf_tmpl_is_static(const wf_tmpl_t *t)
{
    return t->is_static;
}

int wf_tmpl_check(const char *src, size_t len, int *line, int *col, char *msg, size_t msglen)
{
    wf_expr_err_t err;
    wf_tmpl_t *t = wf_tmpl_compile(src, len, &err);
    if (t != NULL) {
        wf_tmpl_free(t);
        return 0;
    }
    if (line != NULL)
        *line = err.line;
    if (col != NULL)
        *col = err.col;
    if (msg != NULL && msglen > 0)
        snprintf(msg, msglen, "%s", err.msg);
    return -1;
}
