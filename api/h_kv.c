/* The key-value store of a namespace (Kestra's routes): list its keys, read,
 * set and delete one. Values are typed (flow/kv.h); the store itself and its
 * limits are migration 0014's weft_kv_put. Writes are audited with the key,
 * type and size, never the value. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/reply.h"
#include "flow/kv.h"
#include "flow/time.h"

static const char *const json_types[] = {"application/json", NULL};

/* The route's {key}, or NULL after answering. A key that breaks the syntax
 * cannot exist: reads and deletes answer 404, writes 422. */
static const char *route_key(wf_call_t *call, wf_problem_t refuse)
{
    const char *key = wf_call_param(call, "key");
    if (wf_kv_key_valid(key))
        return key;
    if (refuse == WF_PROB_NOT_FOUND)
        wf_http_problem(call->req, refuse, NULL, "no such KV key");
    else
        wf_http_problem(call->req, refuse, NULL, "%s", WF_KV_KEY_RULE);
    return NULL;
}

/* The body as a value: strict JSON when sent as application/json, otherwise
 * read as Kestra's API reads its text body (JSON text or a plain string). */
static json_t *body_value(wf_call_t *call)
{
    h2o_req_t *req = call->req;
    const char *text = req->entity.base != NULL ? req->entity.base : "";
    size_t len = req->entity.base != NULL ? req->entity.len : 0;
    if (wf_http_content_type_is(req, json_types)) {
        json_error_t err;
        json_t *v = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &err);
        if (v == NULL) {
            wf_http_problem(req, WF_PROB_BAD_REQUEST, NULL, "malformed JSON at %d:%d: %s", err.line,
                            err.column, err.text);
            return NULL;
        }
        if (!json_is_null(v))
            return v;
        json_decref(v);
    } else {
        json_t *v = wf_kv_parse_text(text, len);
        if (v != NULL)
            return v;
    }
    wf_http_problem(req, WF_PROB_INVALID, NULL, "the body is the value to store; it is empty");
    return NULL;
}

static void on_kv_put(void *arg, const PGresult *res)
{
    wf_call_t *call = arg;
    if (!wf_reply_need_row(call, res, WF_PROB_INTERNAL, "the store gave no answer"))
        return;
    json_t *r = json_loads(wf_db_get(res, 0, 0), 0, NULL);
    const char *outcome = json_string_value(json_object_get(r, "outcome"));
    if (outcome != NULL && strcmp(outcome, "stored") == 0)
        wf_http_json(call->req, 200, json_incref(json_object_get(r, "entry")));
    else if (outcome != NULL && strcmp(outcome, "full") == 0)
        wf_http_problem(call->req, WF_PROB_INVALID, NULL,
                        "namespace %s already holds %lld keys (kv.max_keys_per_namespace)",
                        call->ns, (long long)json_integer_value(json_object_get(r, "limit")));
    else if (outcome != NULL && strcmp(outcome, "nodomain") == 0)
        wf_http_problem(call->req, WF_PROB_INVALID, NULL, "namespace %s is owned by no domain",
                        call->ns);
    else
        wf_http_problem(call->req, WF_PROB_INTERNAL, NULL, "the store refused the value (%s)",
                        outcome ? outcome : "no outcome");
    json_decref(r);
}

void wf_h_kv_put(wf_call_t *call)
{
    const char *key = route_key(call, WF_PROB_INVALID);
    if (key == NULL)
        return;
    const char *type_h = wf_http_header(call->req, "kv-type");
    int type = -1;
    if (type_h != NULL && (type = wf_kv_type_parse(type_h)) < 0) {
        wf_http_problem(call->req, WF_PROB_INVALID, NULL,
                        "kv-type must be one of STRING, NUMBER, BOOLEAN, DATETIME, DATE, "
                        "DURATION, JSON");
        return;
    }
    const char *ttl_h = wf_http_header(call->req, "ttl");
    char ttl_ms[32] = "";
    if (ttl_h != NULL) {
        int64_t ms = 0;
        char why[120] = "";
        if (wf_duration_parse(ttl_h, &ms, why, sizeof(why)) != 0 || ms <= 0) {
            wf_http_problem(call->req, WF_PROB_INVALID, NULL,
                            "ttl must be a positive ISO-8601 duration such as PT1H (%s)",
                            why[0] != '\0' ? why : "not positive");
            return;
        }
        snprintf(ttl_ms, sizeof(ttl_ms), "%lld", (long long)ms);
    }
    json_t *raw = body_value(call);
    if (raw == NULL)
        return;
    char why[200];
    wf_kv_type_t t = type >= 0 ? (wf_kv_type_t)type : wf_kv_type_of(raw, true);
    json_t *v = wf_kv_coerce(t, raw, why, sizeof(why));
    json_decref(raw);
    if (v == NULL) {
        wf_http_problem(call->req, WF_PROB_INVALID, NULL, "%s", why);
        return;
    }
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(v);
    const wf_config_t *cfg = call->th->gw->cfg;
    if (text == NULL || (int64_t)strlen(text) > cfg->kv.max_value_size) {
        wf_http_problem(call->req, WF_PROB_TOO_LARGE, NULL,
                        "the value exceeds kv.max_value_size (%lld bytes)",
                        (long long)cfg->kv.max_value_size);
        free(text);
        return;
    }
    char *value = h2o_mem_alloc_pool(&call->req->pool, strlen(text) + 1);
    strcpy(value, text);
    free(text);
    char max_keys[24];
    snprintf(max_keys, sizeof(max_keys), "%lld", (long long)cfg->kv.max_keys_per_namespace);
    const char *params[8] = {call->ns,
                             key,
                             wf_kv_type_name(t),
                             value,
                             wf_http_header(call->req, "kv-description"),
                             ttl_ms[0] ? ttl_ms : NULL,
                             call->who.subject,
                             max_keys};
    wf_db_query(call->th->db, WF_SQL_KV_PUT, 8, params, on_kv_put, call);
}

void wf_h_kv_get(wf_call_t *call)
{
    const char *key = route_key(call, WF_PROB_NOT_FOUND);
    if (key == NULL)
        return;
    const char *params[2] = {call->ns, key};
    wf_reply_doc_query(call, WF_SQL_KV_GET, 2, params, 0);
}

static json_t *entry_row(const PGresult *res, int i)
{
    json_t *e = json_loads(wf_db_get(res, i, 0), 0, NULL);
    return e ? e : json_null();
}

void wf_h_kv_list(wf_call_t *call)
{
    const char *params[1] = {call->ns};
    wf_reply_list(call, WF_SQL_KV_LIST, 1, params, entry_row);
}

static const wf_reply_one_t deleted = {
    .status = 204, .none = WF_PROB_NOT_FOUND, .none_detail = "no such KV key"};

void wf_h_kv_delete(wf_call_t *call)
{
    const char *key = route_key(call, WF_PROB_NOT_FOUND);
    if (key == NULL)
        return;
    const char *params[3] = {call->ns, key, call->who.subject};
    wf_reply_one(call, WF_SQL_KV_DELETE, 3, params, &deleted);
}
