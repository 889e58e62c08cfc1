/* Expression engine: the table of filters, functions and tests, and the
 * compile-time checks of their arguments (name, arity, named parameters). */
#include "platform/expr_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "platform/diag.h"

#define F WF_FN_FILTER
#define FN WF_FN_FUNC
#define T WF_FN_TEST

/* name, kind, min, max, lenient, parameters, summary */
const wf_fn_def_t wf_expr_fns[] = {
    /* strings */
    {"upper", F, 0, 0, 0, {0}, "upper-case a string"},
    {"lower", F, 0, 0, 0, {0}, "lower-case a string"},
    {"title", F, 0, 0, 0, {0}, "upper-case the first letter of every word"},
    {"capitalize", F, 0, 0, 0, {0}, "upper-case the first letter"},
    {"trim", F, 0, 0, 0, {0}, "strip leading and trailing whitespace"},
    {"replace",
     F,
     1,
     2,
     0,
     {"replace_pairs", "replacement"},
     "replace({'a': 'b'}) or replace('a', 'b')"},
    {"split", F, 1, 2, 0, {"delimiter", "limit"}, "split a string into a list"},
    {"startsWith", F, 1, 1, 0, {"prefix"}, "true when the string starts with the prefix"},
    {"endsWith", F, 1, 1, 0, {"suffix"}, "true when the string ends with the suffix"},
    {"urlencode", F, 0, 0, 0, {0}, "percent-encode for a URL query"},
    {"base64encode", F, 0, 0, 0, {0}, "encode in base64"},
    {"base64decode", F, 0, 0, 0, {0}, "decode base64"},
    {"sha256", F, 0, 0, 0, {0}, "hex SHA-256 digest"},
    /* any value */
    {"default", F, 1, 1, 1, {"default"}, "the argument when the input is undefined, null or empty"},
    {"length", F, 0, 0, 0, {0}, "characters of a string, items of a list or map"},
    {"first", F, 0, 0, 0, {0}, "first item (or character)"},
    {"last", F, 0, 0, 0, {0}, "last item (or character)"},
    {"join", F, 0, 1, 0, {"separator"}, "join a list into a string"},
    {"slice", F, 0, 2, 0, {"fromIndex", "toIndex"}, "part of a list or string"},
    {"keys", F, 0, 0, 0, {0}, "keys of a map"},
    {"values", F, 0, 0, 0, {0}, "values of a map"},
    {"sort", F, 0, 0, 0, {0}, "sort a list of numbers or strings"},
    {"abs", F, 0, 0, 0, {0}, "absolute value"},
    {"number", F, 0, 1, 0, {"type"}, "parse a string as a number (type INT, LONG, FLOAT, DOUBLE)"},
    {"toJson", F, 0, 0, 0, {0}, "serialise to JSON text"},
    {"json", F, 0, 0, 0, {0}, "parse JSON text (same as fromJson)"},
    {"fromJson", F, 0, 0, 0, {0}, "parse JSON text"},
    /* dates */
    {"date",
     F,
     0,
     4,
     0,
     {"format", "existingFormat", "timeZone", "locale"},
     "format a date (Java patterns such as yyyy-MM-dd'T'HH:mm:ss)"},
    {"dateAdd",
     F,
     2,
     4,
     0,
     {"amount", "unit", "format", "timeZone"},
     "add an amount of SECONDS, MINUTES, HOURS, DAYS, WEEKS, MONTHS or YEARS"},
    {"timestamp", F, 0, 2, 0, {"existingFormat", "timeZone"}, "seconds since the Unix epoch"},
    /* functions */
    {"secret", FN, 1, 1, 0, {"key"}, "the value of a secret (executor only)"},
    {"now", FN, 0, 1, 0, {"timeZone"}, "the current date and time"},
    {"range",
     FN,
     2,
     3,
     0,
     {"start", "end", "step"},
     "list of integers from start to end inclusive"},
    {"fromJson", FN, 1, 1, 0, {"json"}, "parse JSON text"},
    {"render", FN, 1, 1, 0, {"toRender"}, "render a string as a template"},
    {"printContext", FN, 0, 0, 0, {0}, "the whole context as JSON"},
    /* tests: "x is name" */
    {"defined", T, 0, 0, 1, {0}, "the value exists"},
    {"null", T, 0, 0, 0, {0}, "the value is null"},
    {"empty", T, 0, 0, 0, {0}, "null, empty string, list or map"},
    {"even", T, 0, 0, 0, {0}, "an even integer"},
    {"odd", T, 0, 0, 0, {0}, "an odd integer"},
    {"iterable", T, 0, 0, 0, {0}, "a list or map"},
    {"map", T, 0, 0, 0, {0}, "a map"},
    {NULL, 0, 0, 0, 0, {0}, NULL},
};

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
    const char *sugg = wf_suggest(n->str, names, nn);
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
                const char *sugg = wf_suggest(name, d->params, d->max_args);
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
