/* Expression engine: compiling templates, checking that they parse, and
 * rendering every string of a JSON document. */
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

/* ---- rendering every string of a JSON document ---- */

static int has_markup(const char *s, size_t n)
{
    for (const char *p = memchr(s, '{', n); p != NULL && p + 1 < s + n;
         p = memchr(p + 1, '{', (size_t)(s + n - p - 1)))
        if (p[1] == '{' || p[1] == '%' || p[1] == '#')
            return 1;
    return 0;
}

static json_t *render_json(const json_t *v, const wf_expr_env_t *env, wf_expr_rt_t *rt,
                           wf_expr_err_t *err, char *path, size_t plen, size_t pcap)
{
    json_t *out;
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        if (!has_markup(s, n))
            return json_incref((json_t *)v);
        wf_tmpl_t *t = wf_tmpl_compile(s, n, err);
        const char *r;
        size_t rl;
        out = NULL;
        if (t != NULL && wf_tmpl_render(t, env, rt, &r, &rl, err) == 0) {
            out = json_stringn(r, rl);
            if (out == NULL)
                snprintf(err->msg, sizeof(err->msg), "rendered text is not valid UTF-8");
        }
        wf_tmpl_free(t);
        if (out == NULL) {
            char m[sizeof(err->msg)];
            snprintf(m, sizeof(m), "%s", err->msg);
            snprintf(err->msg, sizeof(err->msg), "%s: %s", path, m);
        }
        return out;
    }
    if (json_is_array(v)) {
        out = json_array();
        for (size_t i = 0; out != NULL && i < json_array_size(v); i++) {
            snprintf(path + plen, pcap - plen, "[%zu]", i);
            json_t *item = render_json(json_array_get(v, i), env, rt, err, path,
                                       plen + strlen(path + plen), pcap);
            path[plen] = '\0';
            if (item == NULL || json_array_append_new(out, item) < 0) {
                json_decref(out);
                return NULL;
            }
        }
        return out;
    }
    if (json_is_object(v)) {
        const char *key;
        json_t *val;
        out = json_object();
        json_object_foreach((json_t *)v, key, val)
        {
            if (out == NULL)
                break;
            snprintf(path + plen, pcap - plen, ".%s", key);
            json_t *item = render_json(val, env, rt, err, path, plen + strlen(path + plen), pcap);
            path[plen] = '\0';
            if (item == NULL || json_object_set_new(out, key, item) < 0) {
                json_decref(out);
                return NULL;
            }
        }
        return out;
    }
    return json_incref((json_t *)v);
}

json_t *wf_expr_render_json(const json_t *value, const wf_expr_env_t *env, wf_expr_rt_t *rt,
                            wf_expr_err_t *err)
{
    char path[256] = "$";
    memset(err, 0, sizeof(*err));
    json_t *out = render_json(value, env, rt, err, path, 1, sizeof(path));
    if (out == NULL && err->msg[0] == '\0')
        snprintf(err->msg, sizeof(err->msg), "out of memory");
    return out;
}
