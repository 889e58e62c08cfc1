/* Expression engine: compiling templates, checking that they parse, and
 * rendering every string of a JSON document. */
#include "flow/expr/internal.h"

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

/* ---- variables a template reads ---- */

typedef struct refs_walk {
    const wf_tmpl_t *t;
    void (*fn)(void *ud, const wf_tmpl_ref_t *ref);
    void *ud;
    const char *locals[64]; /* names bound by set/for, in the order met */
    int nlocals;
} refs_walk_t;

static int is_local(const refs_walk_t *w, const char *name)
{
    for (int i = 0; i < w->nlocals; i++)
        if (strcmp(w->locals[i], name) == 0)
            return 1;
    /* past 64 bound names, unknown ones are taken as local: no false alarm */
    return w->nlocals == 64;
}

static void bind(refs_walk_t *w, const char *name)
{
    if (name != NULL && !is_local(w, name))
        w->locals[w->nlocals++] = name;
}

static void report(refs_walk_t *w, const wf_node_t *var, const wf_node_t *access, int guarded)
{
    if (is_local(w, var->str))
        return;
    wf_tmpl_ref_t r = {.root = var->str, .guarded = guarded};
    if (access != NULL && access->kind == WF_N_ATTR)
        r.key = access->str;
    else if (access != NULL && access->kids[1]->kind == WF_N_STR)
        r.key = access->kids[1]->str;
    wf_expr_position(w->t->src, w->t->len, var->pos, &r.line, &r.col);
    w->fn(w->ud, &r);
}

static void walk(refs_walk_t *w, const wf_node_t *n, int guarded)
{
    if (n == NULL)
        return;
    switch ((wf_node_kind_t)n->kind) {
    case WF_N_VAR:
        report(w, n, NULL, guarded);
        return;
    case WF_N_ATTR:
    case WF_N_INDEX:
        if (n->kids[0]->kind == WF_N_VAR)
            report(w, n->kids[0], n, guarded);
        else
            walk(w, n->kids[0], guarded);
        if (n->kind == WF_N_INDEX)
            walk(w, n->kids[1], 0);
        return;
    case WF_N_COALESCE:
        walk(w, n->kids[0], 1);
        walk(w, n->kids[1], guarded);
        return;
    case WF_N_TEST:
    case WF_N_FILTER:
        walk(w, n->kids[0], guarded || n->fn->lenient);
        for (uint32_t i = 1; i < n->nkids; i++)
            walk(w, n->kids[i], 0);
        return;
    case WF_N_FOR:
        walk(w, n->kids[0], guarded);
        bind(w, n->str);
        bind(w, n->str2);
        bind(w, "loop");
        for (uint32_t i = 1; i < n->nkids; i++)
            walk(w, n->kids[i], guarded);
        return;
    case WF_N_SET:
        walk(w, n->kids[0], guarded);
        bind(w, n->str);
        return;
    case WF_N_MAP: /* keys are literal strings */
        for (uint32_t i = 1; i < n->nkids; i += 2)
            walk(w, n->kids[i], guarded);
        return;
    default:
        for (uint32_t i = 0; i < n->nkids; i++)
            walk(w, n->kids[i], guarded);
        return;
    }
}

void wf_tmpl_refs(const wf_tmpl_t *t, void (*fn)(void *ud, const wf_tmpl_ref_t *ref), void *ud)
{
    refs_walk_t w = {.t = t, .fn = fn, .ud = ud};
    walk(&w, t->root, 0);
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
            /* The message gains the path; one that no longer fits ends in
             * "..." so the reader knows it was cut. */
            char m[sizeof(err->msg)];
            memcpy(m, err->msg, sizeof(m));
            int w = snprintf(err->msg, sizeof(err->msg), "%s: %s", path, m);
            if (w < 0 || (size_t)w >= sizeof(err->msg))
                memcpy(err->msg + sizeof(err->msg) - 4, "...", 4);
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
