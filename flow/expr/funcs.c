/* Expression engine: the table of filters, functions and tests, the
 * functions and tests themselves, and the compile-time checks of arguments
 * (name, arity, named parameters). Adding a filter is adding a row. */
#include "flow/expr/filters.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "platform/diag.h"

/* ---- functions ---- */

static int fn_secret(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    if (a[0].t != WV_STR || a[0].n == 0 || memchr(a[0].s, '\0', a[0].n) != NULL)
        return wf_ev_error(ev, n, "secret() expects a secret name");
    if (ev->env->secret == NULL)
        return wf_ev_error(ev, n,
                           "secret('%s') is not available here: secrets are resolved "
                           "only by the executor",
                           a[0].s);
    char *name = wf_ev_alloc(ev, n, a[0].n + 1);
    if (name == NULL)
        return -1;
    memcpy(name, a[0].s, a[0].n);
    int known = -1;
    for (int i = 0; i < ev->nsecrets; i++)
        if (strcmp(ev->secret_names[i], name) == 0)
            known = i;
    if (known >= 0) { /* asked again in this render: reuse the copy */
        wf_val_str(out, ev->secrets[known], ev->secret_len[known]);
        ev->taint |= (wf_taint_t)(1u << known);
        return 0;
    }
    if (ev->nsecrets == WF_EXPR_MAX_SECRETS)
        return wf_ev_error(ev, n, "too many different secrets in one expression (at most %d)",
                           WF_EXPR_MAX_SECRETS);
    char *value = ev->env->secret(ev->env->secret_ud, name);
    if (value == NULL)
        return wf_ev_error(ev, n, "secret '%s' not found", name);
    /* From here the runtime's buffers hold the secret: wipe them on reuse. */
    ev->rt->secret_used = 1;
    size_t len = strlen(value);
    char *copy = wf_ev_alloc(ev, n, len + 1);
    if (copy != NULL)
        memcpy(copy, value, len + 1);
    OPENSSL_cleanse(value, len);
    free(value);
    if (copy == NULL)
        return -1;
    ev->secret_names[ev->nsecrets] = name;
    ev->secrets[ev->nsecrets] = copy;
    ev->secret_len[ev->nsecrets] = len;
    /* The source of taint: the result of this call, and everything computed
     * from it, carries the secret's bit (eval() propagates it). */
    ev->taint |= (wf_taint_t)(1u << ev->nsecrets);
    ev->nsecrets++;
    wf_val_str(out, copy, len);
    return 0;
}

static int fn_range(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    static const char *const names[] = {"start", "end", "step"};
    int64_t v[3] = {0, 0, 1};
    for (int k = 0; k < 3; k++) {
        if (a[k].t == WV_UNDEF)
            continue;
        if (a[k].t != WV_INT)
            return wf_ev_error(ev, n, "range %s must be an integer, got %s", names[k],
                               wf_val_type(&a[k]));
        v[k] = a[k].i;
    }
    return wf_ev_range(ev, n, v[0], v[1], v[2], out);
}

static int fn_from_json(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    return wf_f_from_json(ev, n, a, out);
}

static int fn_render(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    if (a[0].t != WV_STR) { /* a non-string renders as itself */
        *out = a[0];
        return 0;
    }
    return wf_ev_render_nested(ev, n, a[0].s, a[0].n, out);
}

static int fn_print_context(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    (void)a;
    wf_val_t ctx = {.t = WV_NULL};
    if (ev->env->ctx != NULL)
        wf_val_of_json(ev->env->ctx, &ctx);
    return wf_f_to_json(ev, n, &ctx, out);
}

/* currentEachOutput(outputs['t']): the output of task t for the current
 * iteration of the enclosing ForEach loops, outermost first. */
static int fn_current_each(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    const json_t *ctx = ev->env->ctx;
    const json_t *parents = ctx ? json_object_get(ctx, "parents") : NULL;
    const json_t *cur = NULL;
    if (a[0].t != WV_OBJ)
        return wf_ev_error(ev, n, "currentEachOutput expects the outputs of a task, got %s",
                           wf_val_type(&a[0]));
    cur = a[0].j;
    /* parents[0] is the nearest loop: walk from the last one inwards */
    size_t np = json_array_size(parents);
    for (size_t k = 0; k <= np; k++) {
        const json_t *tr = k < np ? json_object_get(json_array_get(parents, np - 1 - k), "taskrun")
                                  : (ctx ? json_object_get(ctx, "taskrun") : NULL);
        const json_t *value = json_object_get(tr, "value");
        const json_t *next =
            json_is_string(value) ? json_object_get(cur, json_string_value(value)) : NULL;
        if (json_is_object(next))
            cur = next;
    }
    wf_val_of_json(cur, out);
    return 0;
}

/* kv(), read(), fileSize(), fileExists(), isFileEmpty(), errorLogs():
 * answered by the host (the executor). */
static int fn_host(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    const char *name = n->fn->name;
    if (ev->env->host == NULL)
        return wf_ev_error(ev, n, "%s() is not available here: it is resolved by the executor",
                           name);
    json_t *args = json_array();
    if (args == NULL)
        return wf_ev_error(ev, n, "out of memory");
    uint32_t last = n->nkids;
    while (last > 0 && a[last - 1].t == WV_UNDEF)
        last--;
    for (uint32_t i = 0; i < last; i++) {
        json_t *j = a[i].t == WV_UNDEF ? json_null() : wf_ev_json(ev, n, &a[i]);
        if (j == NULL || json_array_append_new(args, j) < 0) {
            json_decref(args);
            return -1;
        }
    }
    char msg[200] = "";
    json_t *r = ev->env->host(ev->env->host_ud, name, args, msg, sizeof(msg));
    json_decref(args);
    if (r == NULL)
        return wf_ev_error(ev, n, "%s(): %s", name, msg[0] ? msg : "failed");
    if (json_is_array(r) || json_is_object(r))
        return wf_ev_keep(ev, n, r, 256, out);
    wf_val_of_json(r, out);
    if (out->t == WV_STR) { /* copy out of the value before dropping it */
        char *c = wf_ev_alloc(ev, n, out->n + 1);
        if (c == NULL) {
            json_decref(r);
            return -1;
        }
        memcpy(c, out->s, out->n + 1);
        out->s = c;
    }
    json_decref(r);
    return 0;
}

/* ---- tests ---- */

/* A test that looks at nothing but the value's type. */
#define TYPE_TEST(name, cond)                                                                      \
    static int name(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)                 \
    {                                                                                              \
        (void)ev;                                                                                  \
        (void)n;                                                                                   \
        wf_val_bool(out, cond);                                                                    \
        return 0;                                                                                  \
    }
TYPE_TEST(t_defined, a[0].t != WV_UNDEF)
TYPE_TEST(t_null, a[0].t == WV_NULL)
TYPE_TEST(t_iterable, a[0].t == WV_ARR || a[0].t == WV_OBJ)
TYPE_TEST(t_map, a[0].t == WV_OBJ)
#undef TYPE_TEST

static int t_empty(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    (void)ev;
    (void)n;
    const wf_val_t *v = &a[0];
    wf_val_bool(out, v->t == WV_NULL || (v->t == WV_STR && v->n == 0) ||
                         (v->t == WV_ARR && json_array_size(v->j) == 0) ||
                         (v->t == WV_OBJ && json_object_size(v->j) == 0));
    return 0;
}

static int parity(wf_eval_t *ev, const wf_node_t *n, const wf_val_t *v, int odd, wf_val_t *out)
{
    if (v->t != WV_INT)
        return wf_ev_error(ev, n, "'%s' expects an integer, got %s", odd ? "odd" : "even",
                           wf_val_type(v));
    wf_val_bool(out, (v->i % 2 != 0) == odd);
    return 0;
}

static int t_even(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    return parity(ev, n, &a[0], 0, out);
}

static int t_odd(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    return parity(ev, n, &a[0], 1, out);
}

static int t_json(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    (void)n;
    json_t *j = NULL;
    if (a[0].t == WV_STR && a[0].n <= ev->lim.max_memory / 4)
        j = json_loadb(a[0].s, a[0].n, JSON_DECODE_ANY, NULL);
    wf_val_bool(out, j != NULL);
    json_decref(j);
    return 0;
}

#define F WF_FN_FILTER
#define FN WF_FN_FUNC
#define T WF_FN_TEST

/* One row per filter, function and test:
 *   name, kind, required, at most, lenient input, parameters, implementation, summary */
// clang-format off
const wf_fn_def_t wf_expr_fns[] = {
    /* strings */
    {"upper", F, 0, 0, 0, {0}, wf_f_upper, "upper-case a string"},
    {"lower", F, 0, 0, 0, {0}, wf_f_lower, "lower-case a string"},
    {"title", F, 0, 0, 0, {0}, wf_f_title, "upper-case the first letter of every word"},
    {"capitalize", F, 0, 0, 0, {0}, wf_f_capitalize, "upper-case the first letter"},
    {"trim", F, 0, 0, 0, {0}, wf_f_trim, "strip leading and trailing whitespace"},
    {"replace", F, 1, 2, 0, {"replace_pairs", "replacement"}, wf_f_replace,
     "replace({'a': 'b'}) or replace('a', 'b')"},
    {"split", F, 1, 2, 0, {"delimiter", "limit"}, wf_f_split, "split a string into a list"},
    {"startsWith", F, 1, 1, 0, {"prefix"}, wf_f_starts_with, "the string starts with the prefix"},
    {"endsWith", F, 1, 1, 0, {"suffix"}, wf_f_ends_with, "the string ends with the suffix"},
    {"urlencode", F, 0, 0, 0, {0}, wf_f_urlencode, "percent-encode for a URL query"},
    {"base64encode", F, 0, 0, 0, {0}, wf_f_base64encode, "encode in base64"},
    {"base64decode", F, 0, 0, 0, {0}, wf_f_base64decode, "decode base64"},
    {"sha256", F, 0, 0, 0, {0}, wf_f_sha256, "hex SHA-256 digest"},
    /* any value */
    {"default", F, 1, 1, 1, {"default"}, wf_f_default,
     "the argument when the input is undefined, null or empty"},
    {"length", F, 0, 0, 0, {0}, wf_f_length, "characters of a string, items of a list or map"},
    {"first", F, 0, 0, 0, {0}, wf_f_first, "first item (or character)"},
    {"last", F, 0, 0, 0, {0}, wf_f_last, "last item (or character)"},
    {"join", F, 0, 1, 0, {"separator"}, wf_f_join, "join a list into a string"},
    {"slice", F, 0, 2, 0, {"fromIndex", "toIndex"}, wf_f_slice, "part of a list or string"},
    {"keys", F, 0, 0, 0, {0}, wf_f_keys, "keys of a map"},
    {"values", F, 0, 0, 0, {0}, wf_f_values, "values of a map"},
    {"sort", F, 0, 0, 0, {0}, wf_f_sort, "sort a list of numbers or strings"},
    {"rsort", F, 0, 0, 0, {0}, wf_f_rsort, "sort in descending order"},
    {"reverse", F, 0, 0, 0, {0}, wf_f_reverse, "a list or string back to front"},
    {"merge", F, 1, 1, 0, {"items"}, wf_f_merge,
     "two lists end to end, or two maps (the argument's keys win)"},
    {"abbreviate", F, 1, 1, 0, {"length"}, wf_f_abbreviate, "cut to a length, ending with \"...\""},
    {"abs", F, 0, 0, 0, {0}, wf_f_abs, "absolute value"},
    {"number", F, 0, 1, 0, {"type"}, wf_f_number,
     "parse a string as a number (type INT, LONG, FLOAT, DOUBLE)"},
    {"toJson", F, 0, 0, 0, {0}, wf_f_to_json, "serialise to JSON text"},
    {"json", F, 0, 0, 0, {0}, wf_f_from_json, "parse JSON text (same as fromJson)"},
    {"fromJson", F, 0, 0, 0, {0}, wf_f_from_json, "parse JSON text"},
    {"jq", F, 1, 1, 0, {"expression"}, wf_f_jq,
     "list of the values a jq path (.a.b[0], .[]) selects; JSON text is parsed first"},
    /* dates */
    {"date", F, 0, 4, 0, {"format", "existingFormat", "timeZone", "locale"}, wf_f_date,
     "format a date (Java patterns such as yyyy-MM-dd'T'HH:mm:ss)"},
    {"dateAdd", F, 2, 4, 0, {"amount", "unit", "format", "timeZone"}, wf_f_date_add,
     "add an amount of SECONDS, MINUTES, HOURS, DAYS, WEEKS, MONTHS or YEARS"},
    {"timestamp", F, 0, 2, 0, {"existingFormat", "timeZone"}, wf_f_timestamp,
     "seconds since the Unix epoch"},
    {"timestampMilli", F, 0, 2, 0, {"existingFormat", "timeZone"}, wf_f_timestamp_milli,
     "milliseconds since the Unix epoch"},
    {"timestampMicro", F, 0, 2, 0, {"existingFormat", "timeZone"}, wf_f_timestamp_micro,
     "microseconds since the Unix epoch"},
    {"timestampNano", F, 0, 2, 0, {"existingFormat", "timeZone"}, wf_f_timestamp_nano,
     "nanoseconds since the Unix epoch"},
    /* functions */
    {"secret", FN, 1, 1, 0, {"key"}, fn_secret, "the value of a secret (executor only)"},
    {"now", FN, 0, 1, 0, {"timeZone"}, wf_fn_now, "the current date and time (ISO 8601)"},
    {"range", FN, 2, 3, 0, {"start", "end", "step"}, fn_range,
     "list of integers from start to end inclusive"},
    {"fromJson", FN, 1, 1, 0, {"json"}, fn_from_json, "parse JSON text"},
    {"json", FN, 1, 1, 0, {"json"}, fn_from_json, "parse JSON text (same as fromJson)"},
    {"currentEachOutput", FN, 1, 1, 0, {"outputs"}, fn_current_each,
     "outputs of a task for the current ForEach iteration"},
    {"kv", FN, 1, 3, 0, {"key", "namespace", "errorOnMissing"}, fn_host,
     "a value of the namespace key-value store (executor only)"},
    {"read", FN, 1, 1, 0, {"path"}, fn_host, "content of an internal storage file (executor only)"},
    {"fileSize", FN, 1, 1, 0, {"path"}, fn_host,
     "size in bytes of an internal storage file (executor only)"},
    {"fileExists", FN, 1, 1, 0, {"path"}, fn_host,
     "whether an internal storage file exists (executor only)"},
    {"isFileEmpty", FN, 1, 1, 0, {"path"}, fn_host,
     "whether an internal storage file is empty (executor only)"},
    {"errorLogs", FN, 0, 0, 0, {0}, fn_host, "error logs of the execution (executor only)"},
    {"render", FN, 1, 1, 0, {"toRender"}, fn_render, "render a string as a template"},
    {"printContext", FN, 0, 0, 0, {0}, fn_print_context, "the whole context as JSON"},
    /* tests: "x is name" */
    {"defined", T, 0, 0, 1, {0}, t_defined, "the value exists"},
    {"null", T, 0, 0, 0, {0}, t_null, "the value is null"},
    {"empty", T, 0, 0, 0, {0}, t_empty, "null, empty string, list or map"},
    {"even", T, 0, 0, 0, {0}, t_even, "an even integer"},
    {"odd", T, 0, 0, 0, {0}, t_odd, "an odd integer"},
    {"iterable", T, 0, 0, 0, {0}, t_iterable, "a list or map"},
    {"map", T, 0, 0, 0, {0}, t_map, "a map"},
    {"json", T, 0, 0, 0, {0}, t_json, "a string holding valid JSON"},
    {NULL, 0, 0, 0, 0, {0}, NULL, NULL},
};
// clang-format on

static const char *kind_word(int kind)
{
    return kind == F ? "filter" : kind == FN ? "function" : "test";
}

int wf_expr_resolve(const wf_tmpl_t *t, wf_node_t *n, wf_expr_err_t *err)
{
    int kind = n->kind == WF_N_FILTER ? F : n->kind == WF_N_CALL ? FN : T;
    const char *names[64];
    size_t nn = 0;
    for (const wf_fn_def_t *d = wf_expr_fns; d->name != NULL; d++) {
        if (d->kind != kind)
            continue;
        if (strcmp(d->name, n->str) == 0) {
            n->fn = d;
            return 0;
        }
        if (nn < sizeof(names) / sizeof(names[0]))
            names[nn++] = d->name;
    }
    /* edit distance is quadratic: long names get no hint */
    const char *sugg = strlen(n->str) <= 64 ? wf_suggest(n->str, names, nn) : NULL;
    if (sugg != NULL)
        snprintf(err->msg, sizeof(err->msg), "unknown %s '%s' (did you mean '%s'?)",
                 kind_word(kind), n->str, sugg);
    else
        snprintf(err->msg, sizeof(err->msg), "unknown %s '%s'", kind_word(kind), n->str);
    wf_expr_position(t->src, t->len, n->pos, &err->line, &err->col);
    return -1;
}

static int call_error(const wf_tmpl_t *t, uint32_t pos, wf_expr_err_t *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int call_error(const wf_tmpl_t *t, uint32_t pos, wf_expr_err_t *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    wf_expr_position(t->src, t->len, pos, &err->line, &err->col);
    return -1;
}

int wf_expr_check_call(wf_tmpl_t *t, wf_node_t *n, wf_expr_err_t *err)
{
    const wf_fn_def_t *d = n->fn;
    uint32_t first = n->kind == WF_N_CALL ? 0 : 1; /* filter and test input */
    uint32_t given = n->nkids - first;
    char what[80];
    snprintf(what, sizeof(what), "%s '%s'", kind_word(d->kind), d->name);
    if (given > d->max_args) {
        if (d->max_args == 0)
            return call_error(t, n->pos, err, "%s takes no arguments", what);
        return call_error(t, n->pos, err, "%s takes at most %d argument(s), got %u", what,
                          d->max_args, given);
    }
    wf_node_t *slot[WF_FN_MAX_PARAMS] = {0};
    for (uint32_t i = 0; i < given; i++) {
        const char *name = n->argnames != NULL ? n->argnames[first + i] : NULL;
        uint32_t at = i;
        uint32_t apos = n->kids[first + i]->pos;
        if (name != NULL) {
            at = d->max_args;
            for (uint32_t k = 0; k < d->max_args; k++)
                if (strcmp(d->params[k], name) == 0)
                    at = k;
            if (at == d->max_args) {
                const char *sugg =
                    strlen(name) <= 64 ? wf_suggest(name, d->params, d->max_args) : NULL;
                if (sugg != NULL)
                    return call_error(t, apos, err, "%s has no parameter '%s' (did you mean '%s'?)",
                                      what, name, sugg);
                return call_error(t, apos, err, "%s has no parameter '%s'", what, name);
            }
            if (slot[at] != NULL)
                return call_error(t, apos, err, "%s: parameter '%s' given twice", what, name);
        }
        slot[at] = n->kids[first + i];
    }
    for (uint32_t k = 0; k < d->min_args; k++)
        if (slot[k] == NULL)
            return call_error(t, n->pos, err, "%s needs the argument '%s'", what, d->params[k]);
    /* Store the arguments in parameter order. */
    if (d->max_args > 0) {
        wf_node_t **kids = wf_arena_alloc(&t->arena, (first + d->max_args) * sizeof(*kids));
        if (kids == NULL)
            return call_error(t, n->pos, err, "%s: out of memory", what);
        if (first)
            kids[0] = n->kids[0];
        memcpy(kids + first, slot, d->max_args * sizeof(*kids));
        n->kids = kids;
        n->nkids = first + d->max_args;
    }
    n->argnames = NULL;
    return 0;
}

void wf_expr_print_catalog(FILE *out)
{
    for (int kind = F; kind <= T; kind *= 2) {
        for (const wf_fn_def_t *d = wf_expr_fns; d->name != NULL; d++) {
            if (d->kind != kind)
                continue;
            char sig[160];
            int k = snprintf(sig, sizeof(sig), "%s%s", kind == T ? "is " : "", d->name);
            if (d->max_args > 0 || kind == FN) {
                k += snprintf(sig + k, sizeof(sig) - (size_t)k, "(");
                for (int i = 0; i < d->max_args; i++)
                    k += snprintf(sig + k, sizeof(sig) - (size_t)k, "%s%s%s%s", i ? ", " : "",
                                  i >= d->min_args ? "[" : "", d->params[i],
                                  i >= d->min_args ? "]" : "");
                snprintf(sig + k, sizeof(sig) - (size_t)k, ")");
            }
            fprintf(out, "%-9s %-52s %s\n", kind_word(kind), sig, d->summary);
        }
    }
}
