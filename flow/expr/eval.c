/* Expression engine: the evaluator. Walks a compiled tree against a JSON
 * context. Values borrow from the context and the template whenever they can;
 * what a render creates lives in the runtime's arena and keep-list until the
 * next render, so a plain interpolation allocates nothing once warm. */
#include "flow/expr/filters.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "platform/diag.h"
#include "platform/regex.h"

static const wf_expr_limits_t wf_default_limits = {
    .max_output = 1 << 20,
    .max_memory = 16 << 20,
    .max_steps = 1000000,
    .max_iterations = 100000,
    .max_range = 10000,
    .max_depth = 8,
};

/* ------------------------------------------------------------------ */
/* runtime                                                              */

wf_expr_rt_t *wf_expr_rt_create(void)
{
    return calloc(1, sizeof(wf_expr_rt_t));
}

/* Drops what the previous render created; wipes buffers that held a secret. */
/* Wipes the strings of a JSON value this render made, before it is freed.
 * Only values with a single reference are ours alone: a shared one may be
 * part of the caller's context and must stay intact. */
static void wipe_json(json_t *j, int depth)
{
    if (j == NULL || j->refcount != 1 || depth > 512)
        return;
    if (json_is_string(j)) {
        OPENSSL_cleanse((char *)json_string_value(j), json_string_length(j));
    } else if (json_is_array(j)) {
        for (size_t i = 0; i < json_array_size(j); i++)
            wipe_json(json_array_get(j, i), depth + 1);
    } else if (json_is_object(j)) {
        const char *key;
        json_t *v;
        json_object_foreach(j, key, v) wipe_json(v, depth + 1);
    }
}

static void rt_reset(wf_expr_rt_t *rt)
{
    for (size_t i = 0; i < rt->nkeep; i++) {
        if (rt->secret_used)
            wipe_json(rt->keep[i], 0);
        json_decref(rt->keep[i]);
    }
    rt->nkeep = 0;
    rt->nvars = 0;
    if (rt->secret_used && rt->out != NULL)
        OPENSSL_cleanse(rt->out, rt->cap);
    wf_arena_reset(&rt->arena, rt->secret_used);
    rt->secret_used = 0;
    rt->len = 0;
}

void wf_expr_rt_destroy(wf_expr_rt_t *rt)
{
    if (rt == NULL)
        return;
    rt_reset(rt);
    wf_arena_dispose(&rt->arena, 0);
    free(rt->out);
    free(rt->keep);
    free(rt->vars);
    free(rt);
}

/* ------------------------------------------------------------------ */
/* output                                                               */

static int put(wf_eval_t *ev, const wf_node_t *n, const char *s, size_t len)
{
    wf_expr_rt_t *rt = ev->rt;
    if (len > ev->lim.max_output || rt->len > ev->lim.max_output - len)
        return wf_ev_error(ev, n, "rendered output exceeds the limit of %zu bytes",
                           ev->lim.max_output);
    if (rt->len + len + 1 > rt->cap) {
        size_t cap = rt->cap ? rt->cap : 256;
        while (cap < rt->len + len + 1)
            cap *= 2;
        char *o = malloc(cap);
        if (o == NULL)
            return wf_ev_error(ev, n, "out of memory");
        /* Copy rather than realloc so a buffer that held a secret is wiped. */
        if (rt->len)
            memcpy(o, rt->out, rt->len);
        if (rt->out != NULL && rt->secret_used)
            OPENSSL_cleanse(rt->out, rt->cap);
        free(rt->out);
        rt->out = o;
        rt->cap = cap;
    }
    memcpy(rt->out + rt->len, s, len);
    rt->len += len;
    return 0;
}

/* ------------------------------------------------------------------ */
/* variables                                                            */

static wf_scope_var_t *scope_find(wf_expr_rt_t *rt, size_t from, const char *name)
{
    for (size_t i = rt->nvars; i > from; i--)
        if (strcmp(rt->vars[i - 1].name, name) == 0)
            return &rt->vars[i - 1];
    return NULL;
}

static int scope_push(wf_eval_t *ev, const wf_node_t *n, const char *name, const wf_val_t *v)
{
    wf_expr_rt_t *rt = ev->rt;
    if (rt->nvars == rt->capvars) {
        size_t cap = rt->capvars ? rt->capvars * 2 : 16;
        if (cap > 4096)
            return wf_ev_error(ev, n, "too many variables");
        wf_scope_var_t *vars = realloc(rt->vars, cap * sizeof(*vars));
        if (vars == NULL)
            return wf_ev_error(ev, n, "out of memory");
        rt->vars = vars;
        rt->capvars = cap;
    }
    rt->vars[rt->nvars].name = name;
    rt->vars[rt->nvars].v = *v;
    rt->nvars++;
    return 0;
}

/* Writes "inputs.a[...]" for an access chain, for error messages. */
static void describe(const wf_node_t *n, char *buf, size_t cap)
{
    if (n->kind == WF_N_VAR) {
        snprintf(buf, cap, "%s", n->str);
    } else if (n->kind == WF_N_ATTR) {
        describe(n->kids[0], buf, cap);
        size_t l = strlen(buf);
        snprintf(buf + l, cap - l, ".%s", n->str);
    } else if (n->kind == WF_N_INDEX) {
        describe(n->kids[0], buf, cap);
        size_t l = strlen(buf);
        if (n->kids[1]->kind == WF_N_STR)
            snprintf(buf + l, cap - l, "['%s']", n->kids[1]->str);
        else if (n->kids[1]->kind == WF_N_INT)
            snprintf(buf + l, cap - l, "[%lld]", (long long)n->kids[1]->i);
        else
            snprintf(buf + l, cap - l, "[...]");
    } else if (n->kind == WF_N_CALL) {
        snprintf(buf, cap, "%s(...)", n->str);
    } else {
        snprintf(buf, cap, "(expression)");
    }
}

/* "did you mean" among the keys of an object (and the local variables). */
static const char *suggest_key(wf_eval_t *ev, const json_t *obj, const char *name, int locals)
{
    const char *cands[128];
    size_t nc = 0;
    const char *key;
    json_t *val;
    if (obj != NULL)
        json_object_foreach((json_t *)obj, key, val)
        {
            if (nc < 96)
                cands[nc++] = key;
        }
    for (size_t i = 0; locals && i < ev->rt->nvars && nc < 128; i++)
        cands[nc++] = ev->rt->vars[i].name;
    return wf_suggest(name, cands, nc);
}

static int undefined(wf_eval_t *ev, const wf_node_t *n, const json_t *obj, const char *name,
                     int locals)
{
    char path[160];
    describe(n, path, sizeof(path));
    /* one- and two-letter names are close to everything: no hint */
    size_t nl = strlen(name);
    const char *sugg = nl >= 3 && nl <= 64 ? suggest_key(ev, obj, name, locals) : NULL;
    if (sugg != NULL)
        return wf_ev_error(ev, n, "undefined variable '%s' (did you mean '%s'?)", path, sugg);
    return wf_ev_error(ev, n, "undefined variable '%s'", path);
}

/* ------------------------------------------------------------------ */
/* expressions                                                          */

static int eval(wf_eval_t *ev, const wf_node_t *n, wf_val_t *out, int lenient);

static int step(wf_eval_t *ev, const wf_node_t *n)
{
    if (++ev->steps > ev->lim.max_steps)
        return wf_ev_error(ev, n, "evaluation step limit exceeded (%llu steps)",
                           (unsigned long long)ev->lim.max_steps);
    return 0;
}

static int eval_var(wf_eval_t *ev, const wf_node_t *n, wf_val_t *out, int lenient)
{
    wf_scope_var_t *sv = scope_find(ev->rt, 0, n->str);
    if (sv != NULL) {
        *out = sv->v;
        ev->taint |= sv->v.taint; /* a {% set %} or loop variable keeps its taint */
        return 0;
    }
    const json_t *j = ev->env->ctx != NULL ? json_object_get(ev->env->ctx, n->str) : NULL;
    if (j == NULL) {
        if (lenient) {
            out->t = WV_UNDEF;
            return 0;
        }
        return undefined(ev, n, ev->env->ctx, n->str, 1);
    }
    wf_val_of_json(j, out);
    return 0;
}

/* Reads obj[key] for attribute and index access alike. */
static int access(wf_eval_t *ev, const wf_node_t *n, const wf_val_t *obj, const wf_val_t *key,
                  wf_val_t *out, int lenient)
{
    char kb[32];
    if (obj->t == WV_UNDEF) {
        out->t = WV_UNDEF;
        return 0;
    }
    if (obj->t == WV_OBJ) {
        const char *k;
        if (key->t == WV_STR) {
            if (memchr(key->s, '\0', key->n) != NULL)
                goto missing;
            /* keys from the template are NUL-terminated; others may not be */
            if (key->s[key->n] == '\0') {
                k = key->s;
            } else {
                char *c = wf_ev_alloc(ev, n, key->n + 1);
                if (c == NULL)
                    return -1;
                memcpy(c, key->s, key->n);
                k = c;
            }
        } else if (key->t == WV_INT) {
            snprintf(kb, sizeof(kb), "%lld", (long long)key->i);
            k = kb;
        } else {
            return wf_ev_error(ev, n, "a map key must be a string, got %s", wf_val_type(key));
        }
        json_t *j = json_object_get(obj->j, k);
        if (j == NULL) {
        missing:
            if (lenient) {
                out->t = WV_UNDEF;
                return 0;
            }
            return undefined(ev, n, obj->j, key->t == WV_STR ? key->s : kb, 0);
        }
        wf_val_of_json(j, out);
        return 0;
    }
    if (obj->t == WV_ARR || obj->t == WV_STR) {
        int64_t idx;
        if (key->t == WV_INT) {
            idx = key->i;
        } else if (key->t == WV_STR && key->n > 0 && key->n < 19 &&
                   strspn(key->s, "0123456789") == key->n) {
            idx = strtoll(key->s, NULL, 10); /* list.0 */
        } else {
            if (key->t == WV_STR && lenient) {
                out->t = WV_UNDEF;
                return 0;
            }
            return wf_ev_error(ev, n, "a %s index must be an integer, got %s",
                               obj->t == WV_ARR ? "list" : "string", wf_val_type(key));
        }
        /* strings are indexed by character, not byte */
        size_t size = obj->t == WV_ARR ? json_array_size(obj->j) : wf_utf8_len(obj->s, obj->n);
        if (idx < 0)
            idx += (int64_t)size; /* -1 is the last item */
        if (idx < 0 || (uint64_t)idx >= size) {
            if (lenient) {
                out->t = WV_UNDEF;
                return 0;
            }
            return wf_ev_error(ev, n, "index %lld is out of range (%s has %zu %s)",
                               (long long)(key->t == WV_INT ? key->i : idx), wf_val_type(obj), size,
                               obj->t == WV_ARR ? "items" : "characters");
        }
        if (obj->t == WV_ARR)
            wf_val_of_json(json_array_get(obj->j, (size_t)idx), out);
        else
            wf_utf8_char(obj->s, obj->n, (size_t)idx, out);
        return 0;
    }
    if (lenient && obj->t == WV_NULL) {
        out->t = WV_UNDEF;
        return 0;
    }
    char path[160];
    describe(n->kids[0], path, sizeof(path));
    return wf_ev_error(ev, n, "cannot read '%s' of %s: '%s' is %s",
                       key->t == WV_STR ? key->s : "index", wf_val_type(obj), path,
                       wf_val_type(obj));
}

static int cmp_values(wf_eval_t *ev, const wf_node_t *n, const wf_val_t *a, const wf_val_t *b,
                      int *res)
{
    int an = a->t == WV_INT || a->t == WV_DBL, bn = b->t == WV_INT || b->t == WV_DBL;
    if (a->t == WV_NULL || b->t == WV_NULL) {
        *res = 2; /* unordered: every comparison with null is false, as in Pebble */
        return 0;
    }
    if (an && bn) {
        if (a->t == WV_INT && b->t == WV_INT) {
            *res = (a->i > b->i) - (a->i < b->i);
        } else {
            double x = a->t == WV_INT ? (double)a->i : a->d;
            double y = b->t == WV_INT ? (double)b->i : b->d;
            *res = (x > y) - (x < y);
        }
        return 0;
    }
    if (a->t == WV_STR && b->t == WV_STR) {
        size_t m = a->n < b->n ? a->n : b->n;
        int c = memcmp(a->s, b->s, m);
        *res = c != 0 ? (c > 0) - (c < 0) : (a->n > b->n) - (a->n < b->n);
        return 0;
    }
    return wf_ev_error(ev, n, "cannot compare %s with %s", wf_val_type(a), wf_val_type(b));
}

/* `needle in hay`: item of a list, key of a map, substring of a string. */
static int contains(wf_eval_t *ev, const wf_node_t *n, const wf_val_t *hay, const wf_val_t *needle,
                    int *res)
{
    if (hay->t == WV_ARR) {
        *res = 0;
        for (size_t i = 0; i < json_array_size(hay->j) && !*res; i++) {
            wf_val_t item;
            wf_val_of_json(json_array_get(hay->j, i), &item);
            *res = wf_val_equal(&item, needle);
        }
        return 0;
    }
    if (hay->t == WV_OBJ) {
        if (needle->t != WV_STR)
            return wf_ev_error(ev, n, "a map key must be a string, got %s", wf_val_type(needle));
        *res = memchr(needle->s, '\0', needle->n) == NULL &&
               json_object_getn(hay->j, needle->s, needle->n) != NULL;
        return 0;
    }
    if (hay->t == WV_STR) {
        const char *s;
        size_t len;
        if (wf_ev_str(ev, n, needle, &s, &len) < 0)
            return -1;
        *res = len == 0 || memmem(hay->s, hay->n, s, len) != NULL;
        return 0;
    }
    return wf_ev_error(ev, n, "'in' needs a list, map or string on its right, got %s",
                       wf_val_type(hay));
}

static int concat(wf_eval_t *ev, const wf_node_t *n, const wf_val_t *a, const wf_val_t *b,
                  wf_val_t *out);

/* Arithmetic as Pebble does it: integers stay integers (7 / 2 is 3, as in
 * Java), a float operand makes a float, and '+' with a string operand joins
 * text. Overflow and division by zero are errors rather than wrap-arounds. */
static int arith(wf_eval_t *ev, const wf_node_t *n, const wf_val_t *a, const wf_val_t *b,
                 wf_val_t *out)
{
    static const char *const sym[] = {[WF_OP_ADD] = "+",
                                      [WF_OP_SUB] = "-",
                                      [WF_OP_MUL] = "*",
                                      [WF_OP_DIV] = "/",
                                      [WF_OP_MOD] = "%"};
    char what[48];
    int ai = 0, bi = 0;
    int64_t x = 0, y = 0;
    double dx = 0, dy = 0;
    snprintf(what, sizeof(what), "operator '%s'", sym[n->op]);
    if ((a->t == WV_STR || b->t == WV_STR) && n->op == WF_OP_ADD)
        return concat(ev, n, a, b, out);
    if (wf_ev_num(ev, n, a, what, &ai, &x, &dx) < 0 || wf_ev_num(ev, n, b, what, &bi, &y, &dy) < 0)
        return -1;
    if (ai && bi) {
        int64_t r = 0;
        int over = 0;
        switch (n->op) {
        case WF_OP_ADD:
            over = __builtin_add_overflow(x, y, &r);
            break;
        case WF_OP_SUB:
            over = __builtin_sub_overflow(x, y, &r);
            break;
        case WF_OP_MUL:
            over = __builtin_mul_overflow(x, y, &r);
            break;
        case WF_OP_DIV:
            if (y == 0)
                return wf_ev_error(ev, n, "division by zero");
            if (x == INT64_MIN && y == -1)
                over = 1;
            else
                r = x / y;
            break;
        case WF_OP_MOD:
            if (y == 0)
                return wf_ev_error(ev, n, "division by zero");
            r = y == -1 ? 0 : x % y;
            break;
        }
        if (over)
            return wf_ev_error(ev, n, "integer overflow in '%s'", sym[n->op]);
        wf_val_int(out, r);
        return 0;
    }
    out->t = WV_DBL;
    switch (n->op) {
    case WF_OP_ADD:
        out->d = dx + dy;
        break;
    case WF_OP_SUB:
        out->d = dx - dy;
        break;
    case WF_OP_MUL:
        out->d = dx * dy;
        break;
    case WF_OP_DIV:
        if (dy == 0)
            return wf_ev_error(ev, n, "division by zero");
        out->d = dx / dy;
        break;
    case WF_OP_MOD:
        if (dy == 0)
            return wf_ev_error(ev, n, "division by zero");
        out->d = fmod(dx, dy);
        break;
    }
    return 0;
}

static int concat(wf_eval_t *ev, const wf_node_t *n, const wf_val_t *a, const wf_val_t *b,
                  wf_val_t *out)
{
    const char *s1, *s2;
    size_t l1, l2;
    if (wf_ev_str(ev, n, a, &s1, &l1) < 0 || wf_ev_str(ev, n, b, &s2, &l2) < 0)
        return -1;
    char *p = wf_ev_alloc(ev, n, l1 + l2 + 1);
    if (p == NULL)
        return -1;
    memcpy(p, s1, l1);
    memcpy(p + l1, s2, l2);
    p[l1 + l2] = '\0';
    wf_val_str(out, p, l1 + l2);
    return 0;
}

/* Pebble's `matches`: Java's String.matches (the whole string), through
 * PCRE2 with the limits of platform/regex.h; a null left side is false. */
static int matches(wf_eval_t *ev, const wf_node_t *n, const wf_val_t *a, const wf_val_t *b,
                   wf_val_t *out)
{
    if (b->t != WV_STR)
        return wf_ev_error(ev, n, "'matches' expects a string pattern, got %s", wf_val_type(b));
    if (a->t == WV_NULL) {
        wf_val_bool(out, 0);
        return 0;
    }
    const char *s;
    size_t len;
    if (wf_ev_str(ev, n, a, &s, &len) < 0)
        return -1;
    if (b->n > WF_REGEX_MAX_PATTERN || memchr(b->s, '\0', b->n) != NULL)
        return wf_ev_error(ev, n, "'matches': invalid regular expression: longer than %d bytes "
                           "or holding a NUL character", WF_REGEX_MAX_PATTERN);
    char pattern[WF_REGEX_MAX_PATTERN + 1], err[256];
    memcpy(pattern, b->s, b->n);
    pattern[b->n] = '\0';
    switch (wf_regex_match_pattern(pattern, WF_REGEX_FULL, s, len, err, sizeof(err))) {
    case WF_REGEX_MATCH:
        wf_val_bool(out, 1);
        return 0;
    case WF_REGEX_NOMATCH:
        wf_val_bool(out, 0);
        return 0;
    case WF_REGEX_TOO_COSTLY:
        return wf_ev_error(ev, n, "'matches': " WF_REGEX_TOO_COSTLY_MSG);
    case WF_REGEX_INVALID:
        break;
    }
    return wf_ev_error(ev, n, "'matches': invalid regular expression: %s", err);
}

static int eval_binary(wf_eval_t *ev, const wf_node_t *n, wf_val_t *out)
{
    wf_val_t a, b;
    int r = 0;
    if (eval(ev, n->kids[0], &a, 0) < 0 || eval(ev, n->kids[1], &b, 0) < 0)
        return -1;
    switch ((wf_op_t)n->op) {
    case WF_OP_ADD:
    case WF_OP_SUB:
    case WF_OP_MUL:
    case WF_OP_DIV:
    case WF_OP_MOD:
        return arith(ev, n, &a, &b, out);
    case WF_OP_CONCAT:
        return concat(ev, n, &a, &b, out);
    case WF_OP_EQ:
        wf_val_bool(out, wf_val_equal(&a, &b));
        return 0;
    case WF_OP_NE:
        wf_val_bool(out, !wf_val_equal(&a, &b));
        return 0;
    case WF_OP_LT:
    case WF_OP_LE:
    case WF_OP_GT:
    case WF_OP_GE:
        if (cmp_values(ev, n, &a, &b, &r) < 0)
            return -1;
        wf_val_bool(out, r == 2              ? 0
                         : n->op == WF_OP_LT ? r < 0
                         : n->op == WF_OP_LE ? r <= 0
                         : n->op == WF_OP_GT ? r > 0
                                             : r >= 0);
        return 0;
    case WF_OP_IN:
    case WF_OP_NOT_IN:
        if (contains(ev, n, &b, &a, &r) < 0)
            return -1;
        wf_val_bool(out, n->op == WF_OP_IN ? r : !r);
        return 0;
    case WF_OP_CONTAINS:
        if (contains(ev, n, &a, &b, &r) < 0)
            return -1;
        wf_val_bool(out, r);
        return 0;
    case WF_OP_MATCHES:
        return matches(ev, n, &a, &b, out);
    case WF_OP_RANGE:
        if (a.t != WV_INT || b.t != WV_INT)
            return wf_ev_error(ev, n, "'..' expects integers, got %s and %s", wf_val_type(&a),
                               wf_val_type(&b));
        return wf_ev_range(ev, n, a.i, b.i, a.i <= b.i ? 1 : -1, out);
    default:
        return wf_ev_error(ev, n, "unknown operator");
    }
}

static int eval_list(wf_eval_t *ev, const wf_node_t *n, wf_val_t *out)
{
    json_t *arr = json_array();
    if (arr == NULL)
        return wf_ev_error(ev, n, "out of memory");
    for (uint32_t i = 0; i < n->nkids; i++) {
        wf_val_t v;
        json_t *j;
        if (eval(ev, n->kids[i], &v, 0) < 0 || (j = wf_ev_json(ev, n->kids[i], &v)) == NULL) {
            json_decref(arr);
            return -1;
        }
        json_array_append_new(arr, j);
    }
    return wf_ev_keep(ev, n, arr, n->nkids * 48, out);
}

static int eval_map(wf_eval_t *ev, const wf_node_t *n, wf_val_t *out)
{
    json_t *obj = json_object();
    if (obj == NULL)
        return wf_ev_error(ev, n, "out of memory");
    for (uint32_t i = 0; i + 1 < n->nkids; i += 2) {
        wf_val_t v;
        json_t *j;
        if (eval(ev, n->kids[i + 1], &v, 0) < 0 ||
            (j = wf_ev_json(ev, n->kids[i + 1], &v)) == NULL) {
            json_decref(obj);
            return -1;
        }
        if (json_object_setn_new(obj, n->kids[i]->str, n->kids[i]->slen, j) < 0) {
            json_decref(obj);
            return wf_ev_error(ev, n->kids[i], "map key is not valid UTF-8");
        }
    }
    return wf_ev_keep(ev, n, obj, n->nkids * 64, out);
}

static int eval_test(wf_eval_t *ev, const wf_node_t *n, wf_val_t *out)
{
    wf_val_t args[1 + WF_FN_MAX_PARAMS];
    if (eval(ev, n->kids[0], &args[0], n->fn->lenient) < 0)
        return -1;
    for (uint32_t i = 1; i < n->nkids; i++) {
        args[i].t = WV_UNDEF;
        if (n->kids[i] != NULL && eval(ev, n->kids[i], &args[i], 0) < 0)
            return -1;
    }
    wf_val_t r;
    if (n->fn->impl(ev, n, args, &r) < 0)
        return -1;
    wf_val_bool(out, n->i ? !r.i : r.i);
    return 0;
}

static int eval_call(wf_eval_t *ev, const wf_node_t *n, wf_val_t *out)
{
    wf_val_t args[1 + WF_FN_MAX_PARAMS];
    for (uint32_t i = 0; i < n->nkids; i++) {
        args[i].t = WV_UNDEF;
        int lenient = i == 0 && n->kind == WF_N_FILTER && n->fn->lenient;
        if (n->kids[i] != NULL && eval(ev, n->kids[i], &args[i], lenient) < 0)
            return -1;
    }
    for (uint32_t i = n->nkids; i < 1 + WF_FN_MAX_PARAMS; i++)
        args[i].t = WV_UNDEF;
    return n->fn->impl(ev, n, args, out);
}

static int eval_node(wf_eval_t *ev, const wf_node_t *n, wf_val_t *out, int lenient)
{
    switch ((wf_node_kind_t)n->kind) {
    case WF_N_NULL:
        out->t = WV_NULL;
        return 0;
    case WF_N_BOOL:
        wf_val_bool(out, (int)n->i);
        return 0;
    case WF_N_INT:
        wf_val_int(out, n->i);
        return 0;
    case WF_N_FLOAT:
        out->t = WV_DBL;
        out->d = n->d;
        return 0;
    case WF_N_STR:
        wf_val_str(out, n->str, n->slen);
        return 0;
    case WF_N_LIST:
        return eval_list(ev, n, out);
    case WF_N_MAP:
        return eval_map(ev, n, out);
    case WF_N_VAR:
        return eval_var(ev, n, out, lenient);
    case WF_N_ATTR: {
        wf_val_t obj, key;
        if (eval(ev, n->kids[0], &obj, lenient) < 0)
            return -1;
        wf_val_str(&key, n->str, n->slen);
        return access(ev, n, &obj, &key, out, lenient);
    }
    case WF_N_INDEX: {
        wf_val_t obj, key;
        if (eval(ev, n->kids[0], &obj, lenient) < 0 || eval(ev, n->kids[1], &key, 0) < 0)
            return -1;
        return access(ev, n, &obj, &key, out, lenient);
    }
    case WF_N_UNARY: {
        wf_val_t v;
        if (eval(ev, n->kids[0], &v, 0) < 0)
            return -1;
        if (n->op == WF_OP_NOT) {
            wf_val_bool(out, !wf_val_truthy(&v));
            return 0;
        }
        if (v.t == WV_INT) {
            if (n->op == WF_OP_NEG && v.i == INT64_MIN)
                return wf_ev_error(ev, n, "integer overflow in '-'");
            wf_val_int(out, n->op == WF_OP_NEG ? -v.i : v.i);
            return 0;
        }
        if (v.t == WV_DBL) {
            out->t = WV_DBL;
            out->d = n->op == WF_OP_NEG ? -v.d : v.d;
            return 0;
        }
        return wf_ev_error(ev, n, "unary '%c' expects a number, got %s",
                           n->op == WF_OP_NEG ? '-' : '+', wf_val_type(&v));
    }
    case WF_N_BINARY:
        return eval_binary(ev, n, out);
    case WF_N_AND:
    case WF_N_OR: {
        wf_val_t v;
        if (eval(ev, n->kids[0], &v, 0) < 0)
            return -1;
        int t = wf_val_truthy(&v);
        if ((n->kind == WF_N_AND) != t) { /* false and ... / true or ... */
            wf_val_bool(out, t);
            return 0;
        }
        if (eval(ev, n->kids[1], &v, 0) < 0)
            return -1;
        wf_val_bool(out, wf_val_truthy(&v));
        return 0;
    }
    case WF_N_COALESCE:
        if (eval(ev, n->kids[0], out, 1) < 0)
            return -1;
        if (out->t == WV_UNDEF || out->t == WV_NULL)
            return eval(ev, n->kids[1], out, lenient);
        return 0;
    case WF_N_COND: {
        wf_val_t c;
        if (eval(ev, n->kids[0], &c, 0) < 0)
            return -1;
        return eval(ev, n->kids[wf_val_truthy(&c) ? 1 : 2], out, lenient);
    }
    case WF_N_TEST:
        return eval_test(ev, n, out);
    case WF_N_FILTER:
    case WF_N_CALL:
        return eval_call(ev, n, out);
    default:
        return wf_ev_error(ev, n, "not an expression");
    }
}

/* Every expression node goes through here: its result carries the taint
 * of everything evaluated below it (operands, arguments, conditions, the
 * object of an access), whatever the node does with them. Over-approximate
 * by design: `secret('K') ? 'a' : 'b'` and `secret('K') | length` are
 * tainted too, since they tell something about the secret. */
static int eval(wf_eval_t *ev, const wf_node_t *n, wf_val_t *out, int lenient)
{
    if (step(ev, n) < 0)
        return -1;
    wf_taint_t outer = ev->taint;
    ev->taint = 0;
    int rc = eval_node(ev, n, out, lenient);
    wf_taint_t mine = ev->taint;
    if (rc == 0)
        out->taint = mine;
    ev->taint = outer | mine;
    return rc;
}

/* ------------------------------------------------------------------ */
/* statements                                                           */

/* A printed value derived from a secret: its text goes to the caller, who
 * masks it wherever it shows up (the engine cannot know where it goes). */
/* A derived text shorter than this is no pattern a caller can mask safely
 * (it would blank out ordinary text): the whole rendered text is then
 * handed over as well. */
#define WF_EXPR_SHORT_DERIVED 8

static void print_derived(wf_eval_t *ev, size_t mark)
{
    wf_expr_taint_t *acc = ev->env->taint;
    ev->printed_taint++;
    if (ev->rt->len - mark < WF_EXPR_SHORT_DERIVED)
        ev->printed_short = 1;
    if (acc != NULL && acc->derived != NULL && ev->rt->len > mark)
        acc->derived(acc->derived_ud, ev->rt->out + mark, ev->rt->len - mark);
}

static int exec(wf_eval_t *ev, const wf_node_t *n);

static int print_value(wf_eval_t *ev, const wf_node_t *n, const wf_val_t *v)
{
    const char *s;
    size_t len;
    if (v->t == WV_STR)
        return put(ev, n, v->s, v->n);
    if (wf_ev_str(ev, n, v, &s, &len) < 0)
        return -1;
    return put(ev, n, s, len);
}

/* The `loop` variable of a {% for %}: one object per loop, updated in place. */
typedef struct loop_state {
    json_t *obj, *index, *revindex;
} loop_state_t;

static int loop_begin(wf_eval_t *ev, const wf_node_t *n, size_t length, loop_state_t *ls)
{
    wf_val_t v;
    ls->obj = json_object();
    ls->index = json_integer(0);
    ls->revindex = json_integer(0);
    if (ls->obj == NULL || ls->index == NULL || ls->revindex == NULL ||
        json_object_set(ls->obj, "index", ls->index) < 0 ||
        json_object_set(ls->obj, "revindex", ls->revindex) < 0 ||
        json_object_set_new(ls->obj, "length", json_integer((json_int_t)length)) < 0) {
        json_decref(ls->index);
        json_decref(ls->revindex);
        json_decref(ls->obj);
        return wf_ev_error(ev, n, "out of memory");
    }
    /* the object holds its own references; ours go to the keep-list too */
    json_decref(ls->index);
    json_decref(ls->revindex);
    return wf_ev_keep(ev, n, ls->obj, 256, &v);
}

static void loop_at(loop_state_t *ls, size_t i, size_t length)
{
    json_integer_set(ls->index, (json_int_t)i);
    json_integer_set(ls->revindex, (json_int_t)(length - 1 - i));
    json_object_set(ls->obj, "first", json_boolean(i == 0));
    json_object_set(ls->obj, "last", json_boolean(i + 1 == length));
}

static int exec_for(wf_eval_t *ev, const wf_node_t *n)
{
    wf_val_t coll;
    if (eval(ev, n->kids[0], &coll, 0) < 0)
        return -1;
    size_t length;
    if (coll.t == WV_ARR)
        length = json_array_size(coll.j);
    else if (coll.t == WV_OBJ)
        length = json_object_size(coll.j);
    else if (coll.t == WV_NULL)
        length = 0;
    else
        return wf_ev_error(ev, n->kids[0], "{%% for %%} needs a list or a map, got %s",
                           wf_val_type(&coll));
    if (length == 0)
        return n->nkids > 2 ? exec(ev, n->kids[2]) : 0;
    size_t base = ev->rt->nvars;
    loop_state_t ls;
    wf_val_t none = {.t = WV_NULL}, lv;
    if (loop_begin(ev, n, length, &ls) < 0)
        return -1;
    wf_val_of_json(ls.obj, &lv);
    lv.taint = coll.taint; /* loop.length is the collection's size */
    /* slots: [loop, item] or [loop, key, value] */
    if (scope_push(ev, n, "loop", &lv) < 0 || scope_push(ev, n, n->str, &none) < 0)
        return -1;
    if (n->str2 != NULL && scope_push(ev, n, n->str2, &none) < 0)
        return -1;
    size_t item = base + 1;
    size_t i = 0;
    int rc = 0;
    const char *key;
    json_t *val;
    void *iter = coll.t == WV_OBJ ? json_object_iter(coll.j) : NULL;
    for (i = 0; i < length; i++) {
        if (++ev->iters > ev->lim.max_iterations) {
            rc = wf_ev_error(ev, n, "loop iteration limit exceeded (%llu iterations)",
                             (unsigned long long)ev->lim.max_iterations);
            break;
        }
        /* the body may have pushed {% set %} variables: drop them */
        ev->rt->nvars = base + (n->str2 != NULL ? 3 : 2);
        loop_at(&ls, i, length);
        if (coll.t == WV_ARR) {
            json_t *it = json_array_get(coll.j, i);
            if (n->str2 != NULL) { /* for i, x in list */
                wf_val_int(&ev->rt->vars[item + 1].v, (int64_t)i);
                wf_val_of_json(it, &ev->rt->vars[item].v);
            } else {
                wf_val_of_json(it, &ev->rt->vars[item].v);
            }
        } else {
            key = json_object_iter_key(iter);
            val = json_object_iter_value(iter);
            iter = json_object_iter_next(coll.j, iter);
            if (n->str2 != NULL) {
                wf_val_str(&ev->rt->vars[item + 1].v, key, strlen(key));
                wf_val_of_json(val, &ev->rt->vars[item].v);
            } else { /* an entry with .key and .value, as Pebble iterates maps */
                json_t *e = json_pack("{s:s,s:O}", "key", key, "value", val);
                if ((rc = wf_ev_keep(ev, n, e, 128, &ev->rt->vars[item].v)) < 0)
                    break;
            }
        }
        /* Items of a collection derived from a secret are derived from it. */
        ev->rt->vars[item].v.taint = coll.taint;
        if (n->str2 != NULL)
            ev->rt->vars[item + 1].v.taint = coll.taint;
        if ((rc = exec(ev, n->kids[1])) < 0)
            break;
    }
    ev->rt->nvars = base;
    return rc;
}

static int exec(wf_eval_t *ev, const wf_node_t *n)
{
    wf_val_t v;
    size_t mark;
    if (step(ev, n) < 0)
        return -1;
    /* What the statements so far evaluated taints the render; each
     * statement starts with a clean slate so that its own errors are
     * withheld only when they concern a secret (see wf_ev_error). */
    ev->render_taint |= ev->taint;
    ev->taint = 0;
    switch ((wf_node_kind_t)n->kind) {
    case WF_N_BLOCK:
        for (uint32_t i = 0; i < n->nkids; i++)
            if (exec(ev, n->kids[i]) < 0)
                return -1;
        return 0;
    case WF_N_TEXT:
        return put(ev, n, n->str, n->slen);
    case WF_N_PRINT:
        if (eval(ev, n->kids[0], &v, 0) < 0)
            return -1;
        mark = ev->rt->len;
        if (print_value(ev, n->kids[0], &v) < 0)
            return -1;
        if (v.taint != 0)
            print_derived(ev, mark);
        return 0;
    case WF_N_IF:
        for (uint32_t i = 0; i + 1 < n->nkids; i += 2) {
            if (eval(ev, n->kids[i], &v, 0) < 0)
                return -1;
            if (wf_val_truthy(&v))
                return exec(ev, n->kids[i + 1]);
        }
        return n->nkids % 2 ? exec(ev, n->kids[n->nkids - 1]) : 0;
    case WF_N_FOR:
        return exec_for(ev, n);
    case WF_N_SET: {
        if (eval(ev, n->kids[0], &v, 0) < 0)
            return -1;
        wf_scope_var_t *sv = scope_find(ev->rt, 0, n->str);
        if (sv != NULL) {
            sv->v = v;
            return 0;
        }
        return scope_push(ev, n, n->str, &v);
    }
    default:
        return wf_ev_error(ev, n, "not a statement");
    }
}

/* ------------------------------------------------------------------ */
/* entry points                                                         */

static void ev_init(wf_eval_t *ev, const wf_tmpl_t *t, const wf_expr_env_t *env, wf_expr_rt_t *rt,
                    wf_expr_err_t *err)
{
    memset(err, 0, sizeof(*err));
    memset(ev, 0, sizeof(*ev));
    ev->t = t;
    ev->env = env;
    ev->rt = rt;
    ev->err = err;
    ev->lim = wf_default_limits;
    const wf_expr_limits_t *l = env->limits;
    if (l != NULL) {
        /* A limit left at zero keeps its default. */
#define TAKE(f) (ev->lim.f = l->f ? l->f : ev->lim.f)
        TAKE(max_output);
        TAKE(max_memory);
        TAKE(max_steps);
        TAKE(max_iterations);
        TAKE(max_range);
        TAKE(max_depth);
#undef TAKE
    }
}

void wf_expr_taint_clear(wf_expr_taint_t *t)
{
    t->tainted = 0;
    t->names[0] = '\0';
}

/* Appends `name` to the ", "-separated list unless it is there already; a
 * list that no longer fits ends in "...". */
static void add_name(wf_expr_taint_t *acc, const char *name)
{
    size_t nl = strlen(name), len = strlen(acc->names);
    for (const char *p = acc->names; (p = strstr(p, name)) != NULL; p++)
        if ((p == acc->names || p[-1] == ' ') && (p[nl] == '\0' || p[nl] == ','))
            return;
    if (len >= 3 && strcmp(acc->names + len - 3, "...") == 0)
        return;
    int w = snprintf(acc->names + len, sizeof(acc->names) - len, "%s%s", len ? ", " : "", name);
    if (w < 0 || (size_t)w >= sizeof(acc->names) - len)
        memcpy(acc->names + sizeof(acc->names) - 4, "...", 4);
}

/* Hands the render's taint to the caller's record. */
static void report_taint(wf_eval_t *ev)
{
    wf_taint_t all = ev->render_taint | ev->taint;
    wf_expr_taint_t *acc = ev->env->taint;
    if (all == 0 || acc == NULL)
        return;
    acc->tainted = 1;
    for (int i = 0; i < ev->nsecrets; i++)
        if (all & (1u << i))
            add_name(acc, ev->secret_names[i]);
}

int wf_tmpl_render(const wf_tmpl_t *t, const wf_expr_env_t *env, wf_expr_rt_t *rt, const char **out,
                   size_t *outlen, wf_expr_err_t *err)
{
    wf_eval_t ev;
    rt_reset(rt);
    ev_init(&ev, t, env, rt, err);
    int rc = exec(&ev, t->root) < 0 || put(&ev, NULL, "", 0) < 0 ? -1 : 0;
    report_taint(&ev);
    if (rc < 0)
        return -1;
    /* Pieces of a secret printed among other text (one character per loop
     * iteration, say) are masked together: the whole text is derived too.
     * One long enough piece is masked alone, so that "user=****" still
     * tells the reader which line it is. */
    wf_expr_taint_t *acc = env->taint;
    if ((ev.printed_taint > 1 || ev.printed_short) && acc != NULL && acc->derived != NULL)
        acc->derived(acc->derived_ud, rt->out, rt->len);
    rt->out[rt->len] = '\0';
    *out = rt->out;
    if (outlen != NULL)
        *outlen = rt->len;
    return 0;
}

json_t *wf_tmpl_eval(const wf_tmpl_t *t, const wf_expr_env_t *env, wf_expr_rt_t *rt,
                     wf_expr_err_t *err)
{
    wf_eval_t ev;
    if (!t->single_expr) {
        const char *s;
        size_t len;
        if (wf_tmpl_render(t, env, rt, &s, &len, err) < 0)
            return NULL;
        json_t *j = json_stringn(s, len);
        if (j == NULL)
            snprintf(err->msg, sizeof(err->msg), "rendered text is not valid UTF-8");
        return j;
    }
    rt_reset(rt);
    ev_init(&ev, t, env, rt, err);
    const wf_node_t *print = NULL;
    for (uint32_t i = 0; i < t->root->nkids; i++)
        if (t->root->kids[i]->kind == WF_N_PRINT)
            print = t->root->kids[i];
    wf_val_t v;
    int rc = eval(&ev, print->kids[0], &v, 0);
    report_taint(&ev);
    if (rc < 0)
        return NULL;
    wf_expr_taint_t *acc = env->taint;
    if (v.taint != 0 && v.t == WV_STR && acc != NULL && acc->derived != NULL)
        acc->derived(acc->derived_ud, v.s, v.n);
    return wf_ev_json(&ev, print->kids[0], &v);
}

int wf_ev_render_nested(wf_eval_t *ev, const wf_node_t *n, const char *src, size_t len,
                        wf_val_t *out)
{
    if (ev->depth + 1 > ev->lim.max_depth)
        return wf_ev_error(ev, n, "render() nested too deeply (more than %d levels)",
                           ev->lim.max_depth);
    wf_expr_err_t inner;
    wf_tmpl_t *t = wf_tmpl_compile(src, len, &inner);
    if (t == NULL)
        return wf_ev_error(ev, n, "render(): %d:%d: %s", inner.line, inner.col, inner.msg);
    /* The nested template writes to the same output buffer; its text is then
     * moved to the arena and the buffer rolled back. Its variables are
     * dropped, since they may point into the nested template. */
    const wf_tmpl_t *outer_t = ev->t;
    wf_expr_err_t *outer_err = ev->err;
    size_t mark = ev->rt->len, vars = ev->rt->nvars;
    /* The nested statements fold their taint into render_taint: gather it
     * apart so that it becomes the taint of render()'s result. */
    wf_taint_t outer_taint = ev->taint, outer_render = ev->render_taint;
    ev->taint = ev->render_taint = 0;
    ev->t = t;
    ev->err = &inner;
    ev->depth++;
    int rc = exec(ev, t->root);
    ev->depth--;
    ev->taint = outer_taint | ev->taint | ev->render_taint;
    ev->render_taint = outer_render;
    ev->t = outer_t;
    ev->err = outer_err;
    ev->rt->nvars = vars;
    if (rc < 0) {
        wf_tmpl_free(t);
        ev->rt->len = mark;
        if (inner.line > 0)
            return wf_ev_error(ev, n, "render(): %d:%d: %s", inner.line, inner.col, inner.msg);
        return wf_ev_error(ev, n, "render(): %s", inner.msg);
    }
    size_t olen = ev->rt->len - mark;
    char *p = wf_ev_alloc(ev, n, olen + 1);
    if (p != NULL) {
        if (olen > 0)
            memcpy(p, ev->rt->out + mark, olen);
        p[olen] = '\0';
        wf_val_str(out, p, olen);
    }
    ev->rt->len = mark;
    /* Literal strings of the nested template may be in `out`: copy done above. */
    wf_tmpl_free(t);
    return p != NULL ? 0 : -1;
}
