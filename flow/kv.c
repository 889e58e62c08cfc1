/* KV value types; see kv.h. */
#include "flow/kv.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "flow/time.h"

static const char *const type_names[WF_KV_TYPE_COUNT] = {
    [WF_KV_STRING] = "STRING",     [WF_KV_NUMBER] = "NUMBER", [WF_KV_BOOLEAN] = "BOOLEAN",
    [WF_KV_DATETIME] = "DATETIME", [WF_KV_DATE] = "DATE",     [WF_KV_DURATION] = "DURATION",
    [WF_KV_JSON] = "JSON",
};

const char *wf_kv_type_name(wf_kv_type_t t)
{
    return (unsigned)t < WF_KV_TYPE_COUNT ? type_names[t] : "STRING";
}

int wf_kv_type_parse(const char *name)
{
    for (int t = 0; name != NULL && t < WF_KV_TYPE_COUNT; t++)
        if (strcasecmp(name, type_names[t]) == 0)
            return t;
    return -1;
}

bool wf_kv_key_valid(const char *key)
{
    size_t n = key ? strlen(key) : 0;
    if (n == 0 || n > WF_KV_KEY_MAX || !isalnum((unsigned char)key[0]))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!isalnum((unsigned char)key[i]) && key[i] != '.' && key[i] != '_' && key[i] != '-')
            return false;
    return true;
}

/* `n` digits at `s`. */
static bool digits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* YYYY-MM-DD with a plausible month and day. */
static bool is_date(const char *s, size_t n)
{
    if (n != 10 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
        !digits(s + 8, 2))
        return false;
    int m = atoi(s + 5), d = atoi(s + 8);
    return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

/* ISO-8601 date and time with a zone: YYYY-MM-DDTHH:MM[:SS[.f+]](Z|+HH:MM|-HH:MM),
 * the form PostgreSQL, Kestra and the expression engine's dates all read. */
static bool is_datetime(const char *s, size_t n)
{
    if (n < 17 || !is_date(s, 10) || (s[10] != 'T' && s[10] != 't' && s[10] != ' '))
        return false;
    const char *p = s + 11, *end = s + n;
    if (end - p < 5 || !digits(p, 2) || p[2] != ':' || !digits(p + 3, 2) || atoi(p) > 23 ||
        atoi(p + 3) > 59)
        return false;
    p += 5;
    if (p < end && *p == ':') {
        if (end - p < 3 || !digits(p + 1, 2) || atoi(p + 1) > 60)
            return false;
        p += 3;
        if (p < end && *p == '.') {
            p++;
            const char *f = p;
            while (p < end && isdigit((unsigned char)*p))
                p++;
            if (p == f || p - f > 9)
                return false;
        }
    }
    if (p < end && (*p == 'Z' || *p == 'z'))
        return p + 1 == end;
    if (p < end && (*p == '+' || *p == '-'))
        return end - p == 6 && digits(p + 1, 2) && p[3] == ':' && digits(p + 4, 2);
    return false;
}

static bool is_duration(const char *s)
{
    int64_t ms;
    char msg[8];
    return (s[0] == 'P' || s[0] == 'p' || s[0] == '-') &&
           wf_duration_parse(s, &ms, msg, sizeof(msg)) == 0;
}

wf_kv_type_t wf_kv_type_of(const json_t *v, bool sniff)
{
    if (json_is_number(v))
        return WF_KV_NUMBER;
    if (json_is_boolean(v))
        return WF_KV_BOOLEAN;
    if (!json_is_string(v))
        return WF_KV_JSON;
    if (sniff) {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        if (is_datetime(s, n))
            return WF_KV_DATETIME;
        if (is_date(s, n))
            return WF_KV_DATE;
        if (n > 1 && is_duration(s))
            return WF_KV_DURATION;
    }
    return WF_KV_STRING;
}

json_t *wf_kv_parse_text(const char *text, size_t len)
{
    while (len > 0 && isspace((unsigned char)text[len - 1]))
        len--;
    while (len > 0 && isspace((unsigned char)*text)) {
        text++;
        len--;
    }
    if (len == 0)
        return NULL;
    json_t *v = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
    if (v == NULL)
        return json_stringn(text, len);
    if (json_is_null(v)) {
        json_decref(v);
        return NULL;
    }
    return v;
}

json_t *wf_kv_coerce(wf_kv_type_t t, const json_t *v, char *msg, size_t msglen)
{
    const char *tn = wf_kv_type_name(t);
    if (v == NULL || json_is_null(v)) {
        snprintf(msg, msglen, "a KV value cannot be null");
        return NULL;
    }
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    size_t n = s ? json_string_length(v) : 0;
    switch (t) {
    case WF_KV_STRING:
        if (s != NULL)
            return json_incref((json_t *)v);
        /* A number or a map asked to be a string: its JSON text. */
        char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        json_t *r = text ? json_string(text) : NULL;
        free(text);
        if (r == NULL)
            snprintf(msg, msglen, "the value cannot be written as a string");
        return r;
    case WF_KV_NUMBER:
        if (json_is_number(v))
            return json_incref((json_t *)v);
        if (s != NULL && n > 0) {
            char *end;
            long long i = strtoll(s, &end, 10);
            if (*end == '\0' && !isspace((unsigned char)s[0]))
                return json_integer(i);
            double d = strtod(s, &end);
            if (*end == '\0' && isfinite(d) && !isspace((unsigned char)s[0]))
                return json_real(d);
        }
        break;
    case WF_KV_BOOLEAN:
        if (json_is_boolean(v))
            return json_incref((json_t *)v);
        if (s != NULL && (strcmp(s, "true") == 0 || strcmp(s, "false") == 0))
            return json_boolean(s[0] == 't');
        break;
    case WF_KV_DATETIME:
        if (s != NULL && is_datetime(s, n))
            return json_incref((json_t *)v);
        break;
    case WF_KV_DATE:
        if (s != NULL && is_date(s, n))
            return json_incref((json_t *)v);
        break;
    case WF_KV_DURATION:
        if (s != NULL && n > 1 && is_duration(s))
            return json_incref((json_t *)v);
        break;
    case WF_KV_JSON:
        if (s == NULL)
            return json_incref((json_t *)v);
        json_error_t err;
        json_t *j = json_loadb(s, n, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &err);
        if (j != NULL && !json_is_null(j))
            return j;
        json_decref(j);
        snprintf(msg, msglen, "the value is not JSON text (%d:%d: %s)", err.line, err.column,
                 j ? "null" : err.text);
        return NULL;
    case WF_KV_TYPE_COUNT:
        break;
    }
    if (s != NULL)
        snprintf(msg, msglen, "'%.60s%s' is not a %s value", s, n > 60 ? "..." : "", tn);
    else
        snprintf(msg, msglen, "a %s value cannot be stored as %s",
                 json_is_number(v)    ? "number"
                 : json_is_boolean(v) ? "boolean"
                                      : "JSON",
                 tn);
    return NULL;
}
