/* Expression engine: the jq filter, limited to the path expressions flows
 * use to pick values out of JSON. */
#include "flow/expr/filters.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* jq paths: ".", ".a.b", ".\"k-1\"", ".[0]", ".[\"k\"]", ".[]" (every item)
 * and "?" (ignore errors), the forms flows use to pick from JSON. Returns
 * the list of selected values; a full jq is out of scope. */
static int jq_step(wf_eval_t *ev, const wf_node_t *n, json_t *in, json_t *outl, const char *key,
                   int64_t idx, int kind, int optional)
{
    json_t *r = NULL;
    if (kind == 2) { /* .[] */
        size_t i;
        json_t *v;
        const char *k;
        if (json_is_array(in)) {
            json_array_foreach(in, i, v) json_array_append(outl, v);
        } else if (json_is_object(in)) {
            json_object_foreach(in, k, v) json_array_append(outl, v);
        } else if (!optional) {
            return wf_ev_error(ev, n, "jq: cannot iterate over %s",
                               json_is_null(in) ? "null" : "a scalar");
        }
        return 0;
    }
    if (json_is_null(in)) {
        r = json_null();
    } else if (kind == 0) {
        if (!json_is_object(in)) {
            if (optional)
                return 0;
            return wf_ev_error(ev, n, "jq: cannot index a non-object with \"%s\"", key);
        }
        r = json_object_get(in, key);
        r = r ? json_incref(r) : json_null();
    } else {
        if (!json_is_array(in)) {
            if (optional)
                return 0;
            return wf_ev_error(ev, n, "jq: cannot index a non-array with a number");
        }
        if (idx < 0)
            idx += (int64_t)json_array_size(in);
        r = idx >= 0 ? json_array_get(in, (size_t)idx) : NULL;
        r = r ? json_incref(r) : json_null();
    }
    json_array_append_new(outl, r);
    return 0;
}

int wf_f_jq(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    json_t *cur = json_array(), *in = NULL;
    int rc = -1;
    if (a[1].t != WV_STR) {
        json_decref(cur);
        return wf_ev_error(ev, n, "jq expects a path such as '.a.b'");
    }
    /* JSON text is parsed, as Kestra does for ForEach values */
    if (a[0].t == WV_STR) {
        in = a[0].n <= ev->lim.max_memory / 4 ? json_loadb(a[0].s, a[0].n, JSON_DECODE_ANY, NULL)
                                              : NULL;
        if (in == NULL)
            in = json_stringn(a[0].s, a[0].n);
    } else {
        in = wf_ev_json(ev, n, &a[0]);
    }
    if (cur == NULL || in == NULL || json_array_append_new(cur, in) < 0) {
        in = NULL;
        goto out;
    }
    const char *p = a[1].s, *end = a[1].s + a[1].n;
    while (p < end && *p == ' ')
        p++;
    if (p >= end || *p != '.')
        goto syntax;
    if (p + 1 == end || p[1] == ' ') /* "." is the input itself */
        p++;
    while (p < end && *p != ' ') {
        char key[256];
        int64_t idx = 0;
        int kind = 0;
        if (*p == '.')
            p++;
        if (p < end && *p == '[') {
            p++;
            if (p < end && *p == ']') {
                kind = 2;
                p++;
            } else if (p < end && *p == '"') {
                const char *q = memchr(p + 1, '"', (size_t)(end - p - 1));
                if (q == NULL || q - p - 1 >= (long)sizeof(key) || q + 1 >= end || q[1] != ']')
                    goto syntax;
                snprintf(key, sizeof(key), "%.*s", (int)(q - p - 1), p + 1);
                p = q + 2;
            } else {
                char *e;
                idx = strtoll(p, &e, 10);
                if (e == p || e >= end || *e != ']')
                    goto syntax;
                kind = 1;
                p = e + 1;
            }
        } else if (p < end && *p == '"') {
            const char *q = memchr(p + 1, '"', (size_t)(end - p - 1));
            if (q == NULL || q - p - 1 >= (long)sizeof(key))
                goto syntax;
            snprintf(key, sizeof(key), "%.*s", (int)(q - p - 1), p + 1);
            p = q + 1;
        } else {
            size_t k = 0;
            while (p < end && (isalnum((unsigned char)*p) || *p == '_') && k + 1 < sizeof(key))
                key[k++] = *p++;
            key[k] = '\0';
            if (k == 0)
                goto syntax;
        }
        int optional = p < end && *p == '?';
        p += optional;
        json_t *next = json_array();
        size_t i;
        json_t *v;
        if (next == NULL)
            goto out;
        json_array_foreach(cur, i, v)
        {
            if (jq_step(ev, n, v, next, key, idx, kind, optional) < 0) {
                json_decref(next);
                goto out;
            }
        }
        json_decref(cur);
        cur = next;
        if (json_array_size(cur) > 100000) {
            wf_ev_error(ev, n, "jq: too many results");
            goto out;
        }
    }
    while (p < end && *p == ' ')
        p++;
    if (p != end)
        goto syntax;
    rc = wf_ev_keep(ev, n, cur, json_array_size(cur) * 32, out);
    cur = NULL;
    goto out;
syntax:
    wf_ev_error(ev, n, "jq: only paths such as '.a.b', '.[0]' or '.[]' are supported: '%.*s'",
                (int)(a[1].n > 60 ? 60 : a[1].n), a[1].s);
out:
    json_decref(cur);
    return rc;
}
