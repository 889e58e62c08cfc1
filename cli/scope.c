#include "cli/scope.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"
#include "platform/xmalloc.h"

static bool covers(const char *prefix, const char *ns)
{
    size_t n = strlen(prefix);
    return strncmp(ns, prefix, n) == 0 && (ns[n] == '\0' || ns[n] == '.');
}

static void add(json_t *set, const char *ns)
{
    if (ns == NULL || ns[0] == '\0')
        return;
    size_t i;
    json_t *x;
    json_array_foreach(set, i, x) if (covers(json_string_value(x), ns)) return;
    /* Drop what the new prefix covers. */
    for (i = json_array_size(set); i-- > 0;)
        if (covers(ns, json_string_value(json_array_get(set, i))))
            json_array_remove(set, i);
    json_array_append_new(set, json_string(ns));
}

static int by_text(const void *a, const void *b)
{
    return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

int weft_scope_prefixes(weft_t *w, json_t **out)
{
    weft_resp_t me = {0}, dom = {0};
    json_t *set = json_array();
    size_t i;
    json_t *x;
    int rc = weft_request(w, "GET", "/api/v1/me", NULL, &me);
    if (rc != 0)
        goto out;
    json_array_foreach(json_object_get(me.json, "bindings"), i, x)
        add(set, json_string_value(json_object_get(x, "namespace")));
    if (json_array_size(json_object_get(me.json, "platformRoles")) > 0) {
        /* Only platform-admins may list domains; others keep their bindings. */
        if ((rc = weft_call(w, "GET", "/api/v1/domains", NULL, NULL, 0, &dom)) != 0)
            goto out;
        json_t *d;
        json_array_foreach(json_object_get(dom.json, "results"), i, d)
        {
            size_t j;
            json_array_foreach(json_object_get(d, "namespaces"), j, x)
                add(set, json_string_value(x));
        }
    }
    if (json_array_size(set) == 0) {
        weft_err(w, "no namespace is bound to you; give NAMESPACE");
        rc = WEFT_EXIT_FAIL;
        goto out;
    }
    /* Sort through a plain array: jansson has no sort. */
    size_t n = json_array_size(set);
    json_t **items = wf_xcalloc(n, sizeof(*items));
    for (i = 0; i < n; i++)
        items[i] = json_incref(json_array_get(set, i));
    qsort(items, n, sizeof(*items), by_text);
    json_array_clear(set);
    for (i = 0; i < n; i++)
        json_array_append_new(set, items[i]);
    free(items);
out:
    weft_resp_dispose(&me);
    weft_resp_dispose(&dom);
    if (rc != 0) {
        json_decref(set);
        set = NULL;
    }
    *out = set;
    return rc;
}

int weft_each_scope(weft_t *w, int (*fn)(weft_t *w, const char *ns, void *ud), void *ud)
{
    if (w->npos == 1)
        return fn(w, w->pos[0], ud);
    json_t *scopes = NULL, *ns;
    size_t k;
    int rc = weft_scope_prefixes(w, &scopes);
    json_array_foreach(scopes, k, ns)
    {
        if (rc != 0)
            break;
        rc = fn(w, json_string_value(ns), ud);
    }
    json_decref(scopes);
    return rc;
}
