/* Flow `outputs`: rendered once every task has run, then converted to their
 * declared type as Kestra does (an INT output is a JSON number, a JSON output
 * the parsed document), so subflow parents and Flow triggers get typed
 * values. A value that does not convert fails the execution with a message
 * naming the output, its type and the offending text. An output computed
 * from a secret (secret('K') | upper, a slice, a concatenation...) fails the
 * execution with a message naming the output and the secret: outputs leave
 * the domain in completion events, and masking only knows exact values.
 * Values seen otherwise (a SECRET input) are still masked before converting,
 * so a secret never leaves as a number either. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "executor/files.h"
#include "executor/walk.h"
#include "flow/time.h"

/* Converts `v` (a new reference handed over) to the type; NULL with `why`. */
typedef json_t *(*convert_fn)(json_t *v, const char **why);

/* Rendered scalars arrive as strings; text the template produced from a
 * non-string (a number or a map) is given back as its JSON text. */
static char *text_of(json_t *v)
{
    if (json_is_string(v))
        return strdup(json_string_value(v));
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* Surrounding blanks come from block scalars and template layout. */
static const char *trimmed(const char *s, size_t *len)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    *len = n;
    return s;
}

/* The trimmed text of a string value copied into `buf`; false when `v` is
 * not a string or the text is empty or does not fit. */
static bool trimmed_copy(json_t *v, char *buf, size_t cap)
{
    if (!json_is_string(v))
        return false;
    size_t n;
    const char *s = trimmed(json_string_value(v), &n);
    if (n == 0 || n >= cap)
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return true;
}

static json_t *to_string(json_t *v, const char **why)
{
    (void)why;
    if (json_is_string(v))
        return v;
    char *s = text_of(v);
    json_decref(v);
    json_t *r = s ? json_string(s) : NULL;
    free(s);
    return r;
}

static json_t *to_int(json_t *v, const char **why)
{
    *why = "is not an integer";
    if (json_is_integer(v))
        return v;
    json_t *r = NULL;
    char buf[32], *end;
    if (trimmed_copy(v, buf, sizeof(buf))) {
        long long i = strtoll(buf, &end, 10);
        if (*end == '\0')
            r = json_integer(i);
    }
    json_decref(v);
    return r;
}

static json_t *to_float(json_t *v, const char **why)
{
    *why = "is not a number";
    json_t *r = NULL;
    char buf[64], *end;
    if (json_is_number(v)) {
        r = json_real(json_number_value(v));
    } else if (trimmed_copy(v, buf, sizeof(buf))) {
        double d = strtod(buf, &end);
        if (*end == '\0')
            r = json_real(d);
    }
    json_decref(v);
    return r;
}

static json_t *to_boolean(json_t *v, const char **why)
{
    *why = "is not true or false";
    if (json_is_boolean(v))
        return v;
    json_t *r = NULL;
    if (json_is_string(v)) {
        size_t n;
        const char *s = trimmed(json_string_value(v), &n);
        if (n == 4 && strncasecmp(s, "true", 4) == 0)
            r = json_true();
        else if (n == 5 && strncasecmp(s, "false", 5) == 0)
            r = json_false();
    }
    json_decref(v);
    return r;
}

/* JSON: a string is parsed; anything else already is a document. */
static json_t *to_json(json_t *v, const char **why)
{
    *why = "is not valid JSON";
    if (!json_is_string(v))
        return v;
    json_t *r = json_loads(json_string_value(v), JSON_DECODE_ANY, NULL);
    json_decref(v);
    return r;
}

static json_t *to_array(json_t *v, const char **why)
{
    json_t *r = to_json(v, why);
    *why = "is not a JSON array";
    if (r != NULL && !json_is_array(r)) {
        json_decref(r);
        r = NULL;
    }
    return r;
}

static json_t *to_duration(json_t *v, const char **why)
{
    *why = "is not an ISO-8601 duration (e.g. PT5M)";
    int64_t ms;
    char err[200];
    if (json_is_string(v) && wf_duration_parse(json_string_value(v), &ms, err, sizeof(err)) == 0)
        return v;
    json_decref(v);
    return NULL;
}

/* DATE is YYYY-MM-DD; DATETIME a date, 'T', then a time; TIME HH:MM[:SS…]. */
static bool date_at(const char *s)
{
    int y, m, d, n = 0;
    return sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) == 3 && n == 10 && m >= 1 && m <= 12 &&
           d >= 1 && d <= 31;
}

static bool time_at(const char *s)
{
    int h, mi, n = 0;
    return sscanf(s, "%2d:%2d%n", &h, &mi, &n) == 2 && n == 5 && h >= 0 && h <= 23 &&
           mi >= 0 && mi <= 59;
}

static json_t *to_date(json_t *v, const char **why)
{
    *why = "is not a date (YYYY-MM-DD)";
    if (json_is_string(v) && date_at(json_string_value(v)) &&
        json_string_length(v) == 10)
        return v;
    json_decref(v);
    return NULL;
}

static json_t *to_datetime(json_t *v, const char **why)
{
    *why = "is not an ISO-8601 date-time";
    const char *s = json_is_string(v) ? json_string_value(v) : "";
    if (date_at(s) && s[10] == 'T' && time_at(s + 11))
        return v;
    json_decref(v);
    return NULL;
}

static json_t *to_time(json_t *v, const char **why)
{
    *why = "is not a time (HH:MM:SS)";
    if (json_is_string(v) && time_at(json_string_value(v)))
        return v;
    json_decref(v);
    return NULL;
}

static const struct {
    const char *type;
    convert_fn convert;
} converters[] = {
    {"STRING", to_string},     {"SECRET", to_string},   {"URI", to_string},
    {"EMAIL", to_string},      {"ENUM", to_string},     {"SELECT", to_string},
    {"FILE", to_string},       {"YAML", to_string},     {"INT", to_int},
    {"FLOAT", to_float},       {"BOOLEAN", to_boolean}, {"BOOL", to_boolean},
    {"JSON", to_json},         {"ARRAY", to_array},     {"MULTISELECT", to_array},
    {"DURATION", to_duration}, {"DATE", to_date},       {"DATETIME", to_datetime},
    {"TIME", to_time},
};

static convert_fn converter_of(const char *type)
{
    for (size_t i = 0; type && i < sizeof(converters) / sizeof(converters[0]); i++)
        if (strcmp(converters[i].type, type) == 0)
            return converters[i].convert;
    return NULL;
}

static void fail_output(wf_executor_t *ex, wf_xexec_t *x, const wf_flow_output_t *o, json_t *v,
                        const char *why)
{
    char *text = text_of(v);
    char msg[700];
    snprintf(msg, sizeof(msg), "flow output '%s' of type %s: \"%.80s%s\" %s", o->id, o->type,
             text ? text : "", text && strlen(text) > 80 ? "…" : "", why);
    free(text);
    wf_xwalk_log(ex, x, NULL, "ERROR", msg);
}

int wf_xoutputs_render(wf_executor_t *ex, wf_xexec_t *x)
{
    if (x->flow->n_outputs == 0)
        return 0;
    json_t *ctx = wf_xexec_context(ex, x, NULL);
    json_t *outs = json_object();
    int rc = 0;
    for (size_t i = 0; i < x->flow->n_outputs; i++) {
        const wf_flow_output_t *o = &x->flow->outputs[i];
        char err[512];
        json_t *v = wf_xrender_json_clean(ex, x, o->value, ctx, "flow outputs", err, sizeof(err));
        if (v == NULL) {
            char msg[700];
            snprintf(msg, sizeof(msg), "flow output '%s': %s", o->id, err);
            wf_xwalk_log(ex, x, NULL, "ERROR", msg);
            rc = -1;
            continue;
        }
        /* Flow outputs leave the domain (completion events, subflow
         * parents): masked before converting, so that a secret made of
         * digits does not slip through as a number. */
        wf_xsecrets_redact_json(x, v);
        if (o->type != NULL && strcmp(o->type, "FILE") == 0) {
            /* A file of this execution (or its tree), given on by URI:
             * the parent of a Subflow or a later reader resolves it with
             * the same rule (executor/files.c). */
            json_t *uri = wf_xfiles_output_uri(ex, x, v, err, sizeof(err));
            if (uri == NULL) {
                fail_output(ex, x, o, v, err);
                json_decref(v);
                rc = -1;
                continue;
            }
            json_decref(v);
            v = uri;
        }
        convert_fn convert = converter_of(o->type);
        if (convert != NULL) {
            const char *why = "cannot be converted";
            json_incref(v);
            json_t *typed = convert(v, &why);
            if (typed == NULL) {
                fail_output(ex, x, o, v, why);
                json_decref(v);
                rc = -1;
                continue;
            }
            json_decref(v);
            v = typed;
        }
        json_object_set_new(outs, o->id, v);
    }
    json_decref(ctx);
    json_decref(x->outputs);
    x->outputs = outs;
    x->dirty = true;
    return rc;
}
