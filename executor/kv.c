/* The KV store inside flows; see kv.h. Values are typed by flow/kv.h the way
 * the API types them. Reads take the nearest namespace at or above the one
 * asked (a flow in sales.eu reads the keys of sales); writes go to exactly
 * the namespace asked. A namespace of another domain is refused by name
 * before the database would hide it. */
#include "executor/kv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "executor/walk.h"
#include "flow/kv.h"
#include "flow/time.h"

/* 0 when `ns` is a valid namespace of this executor's domain; otherwise -1
 * with the reason in `err`. */
static int own_namespace(wf_executor_t *ex, const char *ns, char *err, size_t errlen)
{
    if (!wf_namespace_valid(ns)) {
        snprintf(err, errlen, "'%.100s' is not a namespace", ns);
        return -1;
    }
    const char *p[] = {ns};
    PGresult *r = wf_xdb_run(ex, WF_XQ_KV_OWNED, 1, p);
    int rc = -1;
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
        snprintf(err, errlen, "cannot reach the KV store");
    else if (strcmp(PQgetvalue(r, 0, 0), "t") != 0)
        snprintf(err, errlen,
                 "namespace %s belongs to another domain: its KV store is not this flow's", ns);
    else
        rc = 0;
    PQclear(r);
    return rc;
}

/* The key and namespace of a task, checked. */
static int key_and_ns(wf_executor_t *ex, wf_trun_t *tr, json_t *props, const char **key,
                      const char **ns, char *err, size_t errlen)
{
    *key = wf_xtasks_str_prop(props, "key", NULL);
    *ns = wf_xtasks_str_prop(props, "namespace", tr->exec->namespace_);
    if (*key == NULL || !wf_kv_key_valid(*key)) {
        snprintf(err, errlen, "key '%.100s': %s", *key ? *key : "", WF_KV_KEY_RULE);
        return -1;
    }
    return own_namespace(ex, *ns, err, errlen);
}

int wf_xkv_set(wf_executor_t *ex, wf_trun_t *tr, json_t *props)
{
    char err[400];
    const char *key, *ns;
    if (key_and_ns(ex, tr, props, &key, &ns, err, sizeof(err)) != 0)
        return wf_xtasks_fail(ex, tr, err);
    json_t *raw = json_object_get(props, "value");
    const char *tname = wf_xtasks_str_prop(props, "kvType", NULL);
    int type = tname ? wf_kv_type_parse(tname) : (int)wf_kv_type_of(raw, false);
    if (type < 0) {
        snprintf(err, sizeof(err), "kvType '%.40s' is not a KV type", tname);
        return wf_xtasks_fail(ex, tr, err);
    }
    char why[200];
    json_t *v = wf_kv_coerce((wf_kv_type_t)type, raw, why, sizeof(why));
    if (v == NULL) {
        snprintf(err, sizeof(err), "value of key '%s': %s", key, why);
        return wf_xtasks_fail(ex, tr, err);
    }
    char ttl_ms[32] = "";
    const char *ttl = wf_xtasks_str_prop(props, "ttl", NULL);
    if (ttl != NULL) {
        int64_t ms = 0;
        if (wf_duration_parse(ttl, &ms, why, sizeof(why)) != 0 || ms <= 0) {
            json_decref(v);
            snprintf(err, sizeof(err), "ttl '%.60s' is not a positive ISO-8601 duration", ttl);
            return wf_xtasks_fail(ex, tr, err);
        }
        snprintf(ttl_ms, sizeof(ttl_ms), "%lld", (long long)ms);
    }
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(v);
    if (text == NULL || (int64_t)strlen(text) > ex->cfg->kv.max_value_size) {
        free(text);
        snprintf(err, sizeof(err), "the value of key '%s' exceeds kv.max_value_size (%lld bytes)",
                 key, (long long)ex->cfg->kv.max_value_size);
        return wf_xtasks_fail(ex, tr, err);
    }
    char actor[160], max_keys[24];
    snprintf(actor, sizeof(actor), "execution:%s", tr->exec->id);
    snprintf(max_keys, sizeof(max_keys), "%lld", (long long)ex->cfg->kv.max_keys_per_namespace);
    const char *p[] = {ns,
                       key,
                       wf_kv_type_name((wf_kv_type_t)type),
                       text,
                       wf_xtasks_str_prop(props, "kvDescription", NULL),
                       ttl_ms[0] ? ttl_ms : NULL,
                       actor,
                       wf_xtasks_bool_prop(props, "overwrite", true) ? "true" : "false",
                       max_keys};
    PGresult *r = wf_xdb_run(ex, WF_XQ_KV_PUT, 9, p);
    size_t size = strlen(text);
    free(text);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        snprintf(err, sizeof(err), "cannot store key '%s': %s", key, PQresultErrorMessage(r));
        PQclear(r);
        return wf_xtasks_fail(ex, tr, err);
    }
    json_t *ans = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
    PQclear(r);
    const char *outcome = json_string_value(json_object_get(ans, "outcome"));
    int rc;
    if (outcome != NULL && strcmp(outcome, "stored") == 0) {
        wf_xdb_audit(ex, "kv.set", ns, NULL, "allowed", NULL,
                     json_pack("{s:s, s:s, s:s, s:I}", "key", key, "execution", tr->exec->id,
                               "type", wf_kv_type_name((wf_kv_type_t)type), "size",
                               (json_int_t)size));
        rc = wf_xtasks_finish(ex, tr, WF_ST_SUCCESS, NULL, NULL);
    } else {
        if (outcome != NULL && strcmp(outcome, "exists") == 0)
            snprintf(err, sizeof(err), "key '%s' already exists in %s and overwrite is false", key,
                     ns);
        else if (outcome != NULL && strcmp(outcome, "full") == 0)
            snprintf(err, sizeof(err),
                     "namespace %s already holds %lld keys (kv.max_keys_per_namespace)", ns,
                     (long long)json_integer_value(json_object_get(ans, "limit")));
        else
            snprintf(err, sizeof(err), "namespace %s: the KV store refused the key (%s)", ns,
                     outcome ? outcome : "no answer");
        rc = wf_xtasks_fail(ex, tr, err);
    }
    json_decref(ans);
    return rc;
}

/* The value of `key` at or above `ns`: a new reference, json_null() when
 * missing, NULL with `err` when the store cannot be read. */
static json_t *lookup(wf_executor_t *ex, const char *ns, const char *key, char *err, size_t errlen)
{
    const char *p[] = {key, ns};
    PGresult *r = wf_xdb_run(ex, WF_XQ_KV_GET, 2, p);
    json_t *v = NULL;
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        snprintf(err, errlen, "cannot read the KV store");
    else if (PQntuples(r) == 0)
        v = json_null();
    else
        v = json_loads(PQgetvalue(r, 0, 0), JSON_DECODE_ANY, NULL);
    PQclear(r);
    return v;
}

int wf_xkv_get(wf_executor_t *ex, wf_trun_t *tr, json_t *props)
{
    char err[400];
    const char *key, *ns;
    if (key_and_ns(ex, tr, props, &key, &ns, err, sizeof(err)) != 0)
        return wf_xtasks_fail(ex, tr, err);
    json_t *v = lookup(ex, ns, key, err, sizeof(err));
    if (v == NULL)
        return wf_xtasks_fail(ex, tr, err);
    if (json_is_null(v) && wf_xtasks_bool_prop(props, "errorOnMissing", false)) {
        json_decref(v);
        snprintf(err, sizeof(err), "no KV key '%s' in namespace %s or above", key, ns);
        return wf_xtasks_fail(ex, tr, err);
    }
    json_t *out = json_object();
    json_object_set_new(out, "value", v);
    return wf_xtasks_finish(ex, tr, WF_ST_SUCCESS, out, NULL);
}

int wf_xkv_delete(wf_executor_t *ex, wf_trun_t *tr, json_t *props)
{
    char err[400];
    const char *key, *ns;
    if (key_and_ns(ex, tr, props, &key, &ns, err, sizeof(err)) != 0)
        return wf_xtasks_fail(ex, tr, err);
    const char *p[] = {ns, key};
    PGresult *r = wf_xdb_run(ex, WF_XQ_KV_DELETE, 2, p);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        PQclear(r);
        return wf_xtasks_fail(ex, tr, "cannot delete from the KV store");
    }
    bool deleted = PQntuples(r) > 0 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    if (!deleted && wf_xtasks_bool_prop(props, "errorOnMissing", false)) {
        snprintf(err, sizeof(err), "no KV key '%s' in namespace %s", key, ns);
        return wf_xtasks_fail(ex, tr, err);
    }
    if (deleted)
        wf_xdb_audit(ex, "kv.delete", ns, NULL, "allowed", NULL,
                     json_pack("{s:s, s:s}", "key", key, "execution", tr->exec->id));
    return wf_xtasks_finish(ex, tr, WF_ST_SUCCESS, json_pack("{s:b}", "deleted", deleted), NULL);
}

int wf_xkv_get_keys(wf_executor_t *ex, wf_trun_t *tr, json_t *props)
{
    char err[400];
    const char *ns = wf_xtasks_str_prop(props, "namespace", tr->exec->namespace_);
    if (own_namespace(ex, ns, err, sizeof(err)) != 0)
        return wf_xtasks_fail(ex, tr, err);
    const char *p[] = {ns, wf_xtasks_str_prop(props, "prefix", NULL)};
    PGresult *r = wf_xdb_run(ex, WF_XQ_KV_KEYS, 2, p);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        PQclear(r);
        return wf_xtasks_fail(ex, tr, "cannot read the KV store");
    }
    json_t *keys = json_array();
    for (int i = 0; i < PQntuples(r); i++)
        json_array_append_new(keys, json_string(PQgetvalue(r, i, 0)));
    PQclear(r);
    return wf_xtasks_finish(ex, tr, WF_ST_SUCCESS, json_pack("{s:o}", "keys", keys), NULL);
}

/* A keyPattern glob (* and ?) as a LIKE pattern. */
static char *glob_to_like(const char *glob)
{
    size_t n = strlen(glob);
    char *out = malloc(2 * n + 1), *o = out;
    if (out == NULL)
        return NULL;
    for (const char *s = glob; *s; s++) {
        if (*s == '%' || *s == '_' || *s == '\\')
            *o++ = '\\', *o++ = *s;
        else
            *o++ = *s == '*' ? '%' : *s == '?' ? '_' : *s;
    }
    *o = '\0';
    return out;
}

int wf_xkv_purge(wf_executor_t *ex, wf_trun_t *tr, json_t *props)
{
    char err[400];
    json_t *list = json_object_get(props, "namespaces");
    json_t *nss = json_is_array(list)    ? json_incref(list)
                  : json_is_string(list) ? json_pack("[O]", list)
                                         : json_pack("[s]", tr->exec->namespace_);
    const char *pattern = wf_xtasks_str_prop(props, "keyPattern", NULL);
    char *like = pattern ? glob_to_like(pattern) : NULL;
    const char *children =
        wf_xtasks_bool_prop(props, "includeChildNamespaces", true) ? "true" : "false";
    const char *expired = wf_xtasks_bool_prop(props, "expiredOnly", true) ? "true" : "false";
    long long total = 0;
    size_t i;
    json_t *n;
    int rc = 0;
    json_array_foreach(nss, i, n)
    {
        const char *ns = json_string_value(n);
        if (ns == NULL || own_namespace(ex, ns, err, sizeof(err)) != 0) {
            if (ns == NULL)
                snprintf(err, sizeof(err), "namespaces: a namespace is a string");
            rc = -1;
            break;
        }
        const char *p[] = {ns, children, expired, like};
        PGresult *r = wf_xdb_run(ex, WF_XQ_KV_PURGE, 4, p);
        if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
            PQclear(r);
            snprintf(err, sizeof(err), "cannot purge the KV store of %s", ns);
            rc = -1;
            break;
        }
        total += strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
    }
    free(like);
    json_decref(nss);
    if (rc != 0)
        return wf_xtasks_fail(ex, tr, err);
    return wf_xtasks_finish(ex, tr, WF_ST_SUCCESS, json_pack("{s:I}", "size", (json_int_t)total),
                            NULL);
}

json_t *wf_xkv_host(wf_xexec_t *x, const json_t *args, char *err, size_t errlen)
{
    const json_t *k = json_array_get(args, 0), *n = json_array_get(args, 1),
                 *e = json_array_get(args, 2);
    if (!json_is_string(k) || !wf_kv_key_valid(json_string_value(k))) {
        snprintf(err, errlen, "%s", WF_KV_KEY_RULE);
        return NULL;
    }
    const char *key = json_string_value(k);
    const char *ns = json_is_string(n) ? json_string_value(n) : x->namespace_;
    bool error_on_missing =
        !(json_is_false(e) || (json_is_string(e) && strcmp(json_string_value(e), "false") == 0));
    if (own_namespace(x->ex, ns, err, errlen) != 0)
        return NULL;
    json_t *v = lookup(x->ex, ns, key, err, errlen);
    if (v != NULL && json_is_null(v) && error_on_missing) {
        json_decref(v);
        snprintf(err, errlen, "no KV key '%s' in namespace %s or above", key, ns);
        return NULL;
    }
    return v;
}
