/* Expression engine: values. Conversions between the evaluator's values and
 * JSON, their text form, truthiness and equality, and the render-scoped
 * memory and errors that filters and functions use. */
#include "flow/expr/filters.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

/* ------------------------------------------------------------------ */
/* helpers shared with the filters                                      */

/* Removes a secret value from an error message: whole occurrences, and a
 * prefix of it cut off by the end of the (bounded) message buffer. Secrets
 * shorter than 4 bytes would garble any text, so such a message is withheld. */
static void redact(char *msg, size_t cap, const char *secret, size_t slen)
{
    static const char mask[] = "***";
    size_t mlen = strlen(msg);
    if (slen == 0)
        return;
    if (slen < 4) {
        if (memmem(msg, mlen, secret, slen) != NULL)
            snprintf(msg, cap, "error in an expression that uses a secret (message withheld)");
        return;
    }
    char *p;
    while ((p = memmem(msg, mlen, secret, slen)) != NULL) {
        memmove(p + 3, p + slen, mlen - (size_t)(p - msg) - slen + 1);
        memcpy(p, mask, 3);
        mlen = mlen - slen + 3;
    }
    for (size_t k = slen - 1 < mlen ? slen - 1 : mlen; k >= 4; k--)
        if (memcmp(msg + mlen - k, secret, k) == 0) {
            memcpy(msg + mlen - k, mask, 4);
            break;
        }
}

int wf_ev_error(wf_eval_t *ev, const wf_node_t *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ev->err->msg, sizeof(ev->err->msg), fmt, ap);
    va_end(ap);
    /* The operands of the failing node derive from a secret: the message
     * could quote a transformed value (upper-cased, sliced...) that no
     * exact match below would catch, so only the secrets' names are told. */
    if (ev->taint != 0) {
        char names[160] = "";
        size_t len = 0;
        for (int i = 0; i < ev->nsecrets && len < sizeof(names); i++)
            if (ev->taint & (1u << i)) {
                int w = snprintf(names + len, sizeof(names) - len, "%s'%s'", len ? ", " : "",
                                 ev->secret_names[i]);
                len += w > 0 ? (size_t)w : 0;
            }
        /* no tail of the first message may stay behind the new one */
        OPENSSL_cleanse(ev->err->msg, sizeof(ev->err->msg));
        snprintf(ev->err->msg, sizeof(ev->err->msg),
                 "error in an expression derived from secret %s (message withheld: it could "
                 "quote the value)",
                 names);
    }
    /* Messages quote values; none may carry a secret resolved in this render. */
    for (int i = 0; i < ev->nsecrets; i++)
        redact(ev->err->msg, sizeof(ev->err->msg), ev->secrets[i], ev->secret_len[i]);
    if (n != NULL)
        wf_expr_position(ev->t->src, ev->t->len, n->pos, &ev->err->line, &ev->err->col);
    else
        ev->err->line = ev->err->col = 0;
    return -1;
}

void *wf_ev_alloc(wf_eval_t *ev, const wf_node_t *n, size_t size)
{
    if (size > ev->lim.max_memory || ev->rt->arena.total + ev->mem > ev->lim.max_memory - size) {
        wf_ev_error(ev, n, "expression memory limit exceeded (%zu bytes)", ev->lim.max_memory);
        return NULL;
    }
    void *p = wf_arena_alloc(&ev->rt->arena, size);
    if (p == NULL)
        wf_ev_error(ev, n, "out of memory");
    return p;
}

int wf_ev_keep(wf_eval_t *ev, const wf_node_t *n, json_t *j, size_t cost, wf_val_t *out)
{
    wf_expr_rt_t *rt = ev->rt;
    if (j == NULL)
        return wf_ev_error(ev, n, "out of memory");
    if (rt->nkeep == rt->capkeep) {
        size_t cap = rt->capkeep ? rt->capkeep * 2 : 16;
        json_t **k = realloc(rt->keep, cap * sizeof(*k));
        if (k == NULL) {
            json_decref(j);
            return wf_ev_error(ev, n, "out of memory");
        }
        rt->keep = k;
        rt->capkeep = cap;
    }
    rt->keep[rt->nkeep++] = j;
    ev->mem += cost + 64;
    if (ev->mem + rt->arena.total > ev->lim.max_memory)
        return wf_ev_error(ev, n, "expression memory limit exceeded (%zu bytes)",
                           ev->lim.max_memory);
    wf_val_of_json(j, out);
    return 0;
}

void wf_val_of_json(const json_t *j, wf_val_t *out)
{
    out->taint = 0;
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        out->t = WV_OBJ;
        out->j = (json_t *)j;
        break;
    case JSON_ARRAY:
        out->t = WV_ARR;
        out->j = (json_t *)j;
        break;
    case JSON_STRING:
        wf_val_str(out, json_string_value(j), json_string_length(j));
        break;
    case JSON_INTEGER:
        wf_val_int(out, (int64_t)json_integer_value(j));
        break;
    case JSON_REAL:
        out->t = WV_DBL;
        out->d = json_real_value(j);
        break;
    case JSON_TRUE:
        wf_val_bool(out, 1);
        break;
    case JSON_FALSE:
        wf_val_bool(out, 0);
        break;
    default:
        out->t = WV_NULL;
        break;
    }
}

const char *wf_val_type(const wf_val_t *v)
{
    static const char *const names[] = {"undefined", "null",   "boolean", "integer",
                                        "number",    "string", "list",    "map"};
    return names[v->t];
}

static int str_is_false(const char *s, size_t n)
{
    return n == 5 && strncasecmp(s, "false", 5) == 0;
}

int wf_val_truthy(const wf_val_t *v)
{
    switch (v->t) {
    case WV_BOOL:
    case WV_INT:
        return v->i != 0;
    case WV_DBL:
        return v->d != 0.0;
    case WV_STR:
        return v->n > 0 && !str_is_false(v->s, v->n);
    case WV_ARR:
        return json_array_size(v->j) > 0;
    case WV_OBJ:
        return json_object_size(v->j) > 0;
    default:
        return 0;
    }
}

int wf_expr_truthy(const json_t *value)
{
    wf_val_t v;
    if (value == NULL)
        return 0;
    wf_val_of_json(value, &v);
    return wf_val_truthy(&v);
}

int wf_val_equal(const wf_val_t *a, const wf_val_t *b)
{
    int an = a->t == WV_INT || a->t == WV_DBL, bn = b->t == WV_INT || b->t == WV_DBL;
    if (an && bn) {
        if (a->t == WV_INT && b->t == WV_INT)
            return a->i == b->i;
        return (a->t == WV_INT ? (double)a->i : a->d) == (b->t == WV_INT ? (double)b->i : b->d);
    }
    if (a->t != b->t)
        return 0;
    switch (a->t) {
    case WV_BOOL:
        return a->i == b->i;
    case WV_STR:
        return a->n == b->n && memcmp(a->s, b->s, a->n) == 0;
    case WV_ARR:
    case WV_OBJ:
        return json_equal(a->j, b->j);
    default:
        return 1; /* null == null */
    }
}

/* Doubles print like Pebble/Java: "2.0", "2.5", shortest form that reads back. */
static int fmt_double(double d, char *buf, size_t n)
{
    if (isnan(d))
        return snprintf(buf, n, "NaN");
    if (isinf(d))
        return snprintf(buf, n, d > 0 ? "Infinity" : "-Infinity");
    if (d == floor(d) && fabs(d) < 1e15)
        return snprintf(buf, n, "%.1f", d);
    int k = 0;
    for (int prec = 15; prec <= 17; prec++) {
        k = snprintf(buf, n, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    return k;
}

int wf_ev_str(wf_eval_t *ev, const wf_node_t *n, const wf_val_t *v, const char **s, size_t *len)
{
    char buf[64];
    int k;
    switch (v->t) {
    case WV_STR:
        *s = v->s;
        *len = v->n;
        return 0;
    case WV_NULL:
        *s = "";
        *len = 0;
        return 0;
    case WV_BOOL:
        *s = v->i ? "true" : "false";
        *len = v->i ? 4 : 5;
        return 0;
    case WV_INT:
        k = snprintf(buf, sizeof(buf), "%lld", (long long)v->i);
        break;
    case WV_DBL:
        k = fmt_double(v->d, buf, sizeof(buf));
        break;
    case WV_ARR:
    case WV_OBJ: {
        char *js = json_dumps(v->j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
        if (js == NULL)
            return wf_ev_error(ev, n, "out of memory");
        size_t jl = strlen(js);
        char *p = wf_ev_alloc(ev, n, jl + 1);
        if (p != NULL)
            memcpy(p, js, jl + 1);
        free(js);
        if (p == NULL)
            return -1;
        *s = p;
        *len = jl;
        return 0;
    }
    default:
        return wf_ev_error(ev, n, "value is undefined");
    }
    char *p = wf_ev_alloc(ev, n, (size_t)k + 1);
    if (p == NULL)
        return -1;
    memcpy(p, buf, (size_t)k + 1);
    *s = p;
    *len = (size_t)k;
    return 0;
}

int wf_ev_num(wf_eval_t *ev, const wf_node_t *n, const wf_val_t *v, const char *what, int *is_int,
              int64_t *i, double *d)
{
    if (v->t == WV_INT) {
        *is_int = 1;
        *i = v->i;
        *d = (double)v->i;
        return 0;
    }
    if (v->t == WV_DBL) {
        *is_int = 0;
        *d = v->d;
        return 0;
    }
    return wf_ev_error(ev, n, "%s expects a number, got %s", what, wf_val_type(v));
}

json_t *wf_ev_json(wf_eval_t *ev, const wf_node_t *n, const wf_val_t *v)
{
    json_t *j = NULL;
    switch (v->t) {
    case WV_NULL:
        return json_null();
    case WV_BOOL:
        return json_boolean(v->i);
    case WV_INT:
        j = json_integer(v->i);
        break;
    case WV_DBL:
        j = json_real(v->d);
        if (j == NULL && (isnan(v->d) || isinf(v->d))) {
            wf_ev_error(ev, n, "%s cannot be represented in JSON",
                        isnan(v->d) ? "NaN" : "infinity");
            return NULL;
        }
        break;
    case WV_STR:
        j = json_stringn(v->s, v->n);
        if (j == NULL) {
            wf_ev_error(ev, n, "string is not valid UTF-8");
            return NULL;
        }
        return j;
    case WV_ARR:
    case WV_OBJ:
        return json_incref(v->j);
    default:
        wf_ev_error(ev, n, "value is undefined");
        return NULL;
    }
    if (j == NULL)
        wf_ev_error(ev, n, "out of memory");
    return j;
}

int64_t wf_ev_now(wf_eval_t *ev)
{
    if (ev->env->now != NULL)
        return ev->env->now(ev->env->now_ud);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int wf_ev_range(wf_eval_t *ev, const wf_node_t *n, int64_t from, int64_t to, int64_t stepv,
                wf_val_t *out)
{
    if (stepv == 0)
        return wf_ev_error(ev, n, "range step must not be zero");
    /* Count first, in 128 bits, so a hostile range is refused before any work. */
    __int128 span = (__int128)to - from;
    __int128 count = (span >= 0) == (stepv > 0) ? span / stepv + 1 : 0;
    if (count > ev->lim.max_range)
        return wf_ev_error(ev, n, "range of %lld items exceeds the limit of %lld",
                           (long long)(count > INT64_MAX ? INT64_MAX : (int64_t)count),
                           (long long)ev->lim.max_range);
    json_t *arr = json_array();
    if (arr == NULL)
        return wf_ev_error(ev, n, "out of memory");
    for (int64_t k = 0; k < (int64_t)count; k++)
        if (json_array_append_new(arr, json_integer(from + k * stepv)) < 0) {
            json_decref(arr);
            return wf_ev_error(ev, n, "out of memory");
        }
    return wf_ev_keep(ev, n, arr, (size_t)count * 48, out);
}
