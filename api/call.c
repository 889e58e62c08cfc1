/* The pipeline every call goes through before its handler runs. */
#include "api/call.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "api/abuse.h"
#include "api/authn_glue.h"
#include "api/heavy.h"
#include "api/uploads.h"
#include "api/reply.h"
#include "auth/authn.h"
#include "auth/satoken.h"
#include "platform/log.h"

static const char *const json_types[] = {"application/json", NULL};
static const char *const yaml_types[] = {"application/x-yaml", "application/yaml", "text/yaml",
                                         NULL};

const char *wf_call_param(wf_call_t *call, const char *name)
{
    /* Walk the pattern's "{name}" segments in order. */
    const char *p = call->route->pattern;
    int i = 0;
    size_t nlen = strlen(name);
    while ((p = strchr(p, '{')) != NULL) {
        const char *close = strchr(p, '}');
        if (close == NULL)
            break;
        if ((size_t)(close - p - 1) == nlen && memcmp(p + 1, name, nlen) == 0)
            return i < call->n_params ? call->params[i] : NULL;
        i++;
        p = close + 1;
    }
    return NULL;
}

static void call_dispose(void *p)
{
    wf_call_t *call = p;
    if (call->body != NULL)
        json_decref(call->body);
    if (call->heavy_key != NULL)
        wf_heavy_release(call->th->gw->heavy, call->heavy_key);
    wf_principal_dispose(&call->who);
    call->th->inflight--;
}

void wf_call_db_error(wf_call_t *call, const PGresult *res)
{
    if (res == NULL) {
        wf_http_problem(call->req, WF_PROB_UNAVAILABLE, NULL, "database unavailable");
        return;
    }
    wf_error("%s %s: %s", call->route->method, call->route->pattern,
             PQresultErrorMessage(res));
    wf_http_problem(call->req, WF_PROB_INTERNAL, NULL, "database error (%s)",
                    wf_db_sqlstate(res));
}

char *wf_call_pg_array(wf_call_t *call, const char *const *items, size_t n)
{
    size_t cap = 3;
    for (size_t i = 0; i < n; i++)
        cap += 3 + 2 * strlen(items[i]);
    char *out = h2o_mem_alloc_pool(&call->req->pool, cap);
    char *o = out;
    *o++ = '{';
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            *o++ = ',';
        *o++ = '"';
        for (const char *c = items[i]; *c; c++) {
            if (*c == '"' || *c == '\\')
                *o++ = '\\';
            *o++ = *c;
        }
        *o++ = '"';
    }
    *o++ = '}';
    *o = '\0';
    return out;
}

static void on_audit_done(void *arg, const PGresult *res)
{
    (void)arg;
    if (!wf_db_ok(res))
        wf_error("audit insert failed: %s", res ? PQresultErrorMessage(res) : "no database");
}

void wf_call_audit(wf_call_t *call, const char *action, const char *ns, const char *target,
                   const char *result, const char *reason, json_t *details)
{
    char *d = details ? json_dumps(details, JSON_COMPACT) : NULL;
    json_decref(details);
    const char *params[7] = {call->who.subject ? call->who.subject : "anonymous", action,
                             ns ? ns : "", target ? target : "", result, reason ? reason : "",
                             d ? d : "{}"};
    wf_db_query(call->th->db, WF_SQL_AUDIT_INSERT, 7, params, on_audit_done, NULL);
    free(d);
}

void wf_call_audit_denial(wf_call_t *call, const char *action, const char *ns, const char *target,
                          const char *reason, json_t *details)
{
    if (!wf_abuse_note_denial(call, action, ns, target, reason)) {
        json_decref(details);
        return;
    }
    wf_call_audit(call, action, ns, target, "denied", reason, details);
}

bool wf_call_can(wf_call_t *call, wf_perm_t perm, const char *ns)
{
    wf_rbac_decision_t d;
    return wf_rbac_decide(&call->who, call->bindings, call->n_bindings, perm, ns, &d);
}

bool wf_call_authorize(wf_call_t *call, wf_perm_t perm, const char *ns)
{
    wf_rbac_decision_t d;
    if (wf_rbac_decide(&call->who, call->bindings, call->n_bindings, perm, ns, &d))
        return true;
    char *path = h2o_mem_alloc_pool(&call->req->pool, call->req->path_normalized.len + 1);
    memcpy(path, call->req->path_normalized.base, call->req->path_normalized.len);
    path[call->req->path_normalized.len] = '\0';
    wf_call_audit_denial(call, wf_rbac_perm_name(perm), ns, path, d.reason,
                         json_pack("{s:s}", "method", call->route->method));
    /* A caller who cannot even see the namespace learns nothing about it:
     * the answer is the same 404 a missing object gets. */
    wf_rbac_decision_t see;
    if (ns != NULL && !wf_rbac_decide(&call->who, call->bindings, call->n_bindings,
                                      WF_PERM_NAMESPACE_READ, ns, &see)) {
        wf_http_problem(call->req, WF_PROB_NOT_FOUND, NULL, "no such resource");
        return false;
    }
    wf_http_problem(call->req, WF_PROB_FORBIDDEN,
                    json_pack("{s:s, s:s}", "reason", d.reason, "permission",
                              wf_rbac_perm_name(perm)),
                    "%s is not allowed %s%s", wf_rbac_perm_name(perm), ns ? "on " : "",
                    ns ? ns : "here");
    return false;
}

static const char *field_type_name(wf_field_type_t t)
{
    switch (t) {
    case WF_FIELD_STRING:
        return "a string";
    case WF_FIELD_INTEGER:
        return "an integer";
    case WF_FIELD_BOOLEAN:
        return "true or false";
    case WF_FIELD_ARRAY:
        return "an array";
    case WF_FIELD_OBJECT:
        return "an object";
    case WF_FIELD_ANY:
    case WF_FIELD_END:
        break;
    }
    return "a value";
}

static const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        break;
    }
    return "null";
}

static bool field_type_ok(wf_field_type_t t, const json_t *v)
{
    switch (t) {
    case WF_FIELD_STRING:
        return json_is_string(v);
    case WF_FIELD_INTEGER:
        return json_is_integer(v);
    case WF_FIELD_BOOLEAN:
        return json_is_boolean(v);
    case WF_FIELD_ARRAY:
        return json_is_array(v);
    case WF_FIELD_OBJECT:
        return json_is_object(v);
    case WF_FIELD_ANY:
    case WF_FIELD_END:
        break;
    }
    return true;
}

/* Refuses a JSON body that is not an object, has a member the route's
 * field list does not name, or a member of the wrong type: a sloppy key
 * ("expiresIn" for "expiresInSeconds") must not be ignored silently. */
static bool check_fields(wf_call_t *call)
{
    const wf_body_field_t *fields = call->route->fields;
    if (fields == NULL) {
        /* test_routes keeps JSON routes from leaving the list out; refuse
         * rather than let an unchecked body through. */
        wf_http_problem(call->req, WF_PROB_INTERNAL, NULL, "this endpoint declares no body");
        return false;
    }
    if (!json_is_object(call->body)) {
        wf_http_problem(call->req, WF_PROB_INVALID, json_pack("{s:s}", "pointer", ""),
                        "the body must be a JSON object");
        return false;
    }
    if (fields[0].name != NULL && strcmp(fields[0].name, WF_FIELD_OPEN) == 0)
        return true; /* the handler checks the keys against its own table */
    const char *key;
    json_t *v;
    json_object_foreach(call->body, key, v)
    {
        const wf_body_field_t *f = fields;
        while (f->name != NULL && strcmp(f->name, key) != 0)
            f++;
        if (f->name == NULL) {
            char known[256] = "";
            size_t used = 0;
            for (const wf_body_field_t *k = fields; k->name != NULL; k++) {
                int n = snprintf(known + used, sizeof(known) - used, "%s%s",
                                 k == fields ? "" : ", ", k->name);
                if (n < 0 || (size_t)n >= sizeof(known) - used)
                    break;
                used += (size_t)n;
            }
            /* The key is the caller's: cut, so the detail stays short. */
            wf_http_problem(call->req, WF_PROB_INVALID,
                            json_pack("{s:s%}", "pointer", key, strnlen(key, 100)),
                            "unknown member \"%.100s\" (this endpoint takes %s)", key,
                            known[0] ? known : "no members");
            return false;
        }
        if (!json_is_null(v) && !field_type_ok(f->type, v)) {
            wf_http_problem(call->req, WF_PROB_INVALID, json_pack("{s:s}", "pointer", f->name),
                            "%s: %s expected, not %s", f->name, field_type_name(f->type),
                            json_type_name(v));
            return false;
        }
    }
    return true;
}

/* Refuses bodies the route does not take, before anything else runs. */
static bool check_body(wf_call_t *call)
{
    h2o_req_t *req = call->req;
    size_t len = req->entity.base != NULL ? req->entity.len : 0;
    if (call->route->multipart && wf_upload_is_multipart(req)) {
        /* FILE inputs: the handler parses the parts once the flow is known. */
        if (len > call->th->gw->max_upload) {
            wf_http_problem(req, WF_PROB_TOO_LARGE,
                            json_pack("{s:I}", "limit", (json_int_t)call->th->gw->max_upload),
                            "the upload of %zu bytes exceeds gateway.max_upload (%zu bytes)", len,
                            call->th->gw->max_upload);
            return false;
        }
        return true;
    }
    /* Namespace file uploads, raw or multipart, have a limit of their own. */
    if (call->route->body == WF_BODY_FILE) {
        const wf_config_t *cfg = call->th->gw->cfg;
        size_t max = (size_t)cfg->namespace_files.max_file_size;
        const char *key = "namespace_files.max_file_size";
        if ((size_t)cfg->storage.max_file_size < max) {
            max = (size_t)cfg->storage.max_file_size;
            key = "storage.max_file_size";
        }
        if (len > max) {
            wf_http_problem(req, WF_PROB_TOO_LARGE, json_pack("{s:I}", "limit", (json_int_t)max),
                            "the file exceeds %s (%zu bytes)", key, max);
            return false;
        }
    } else if (len > call->th->gw->max_body) {
        wf_http_problem(req, WF_PROB_TOO_LARGE, NULL, "request body exceeds %zu bytes",
                        call->th->gw->max_body);
        return false;
    }
    switch (call->route->body) {
    case WF_BODY_NONE:
        if (len > 0) {
            wf_http_problem(req, WF_PROB_MEDIA_TYPE, NULL, "this endpoint takes no body");
            return false;
        }
        return true;
    case WF_BODY_ANY:
    case WF_BODY_FILE:
        return true;
    case WF_BODY_YAML:
        if (!wf_http_content_type_is(req, yaml_types)) {
            wf_http_problem(req, WF_PROB_MEDIA_TYPE, NULL,
                            "send the flow as application/x-yaml");
            return false;
        }
        return true;
    case WF_BODY_JSON: {
        if (len == 0)
            return true;
        if (!wf_http_content_type_is(req, json_types)) {
            wf_http_problem(req, WF_PROB_MEDIA_TYPE, NULL, "send the body as application/json");
            return false;
        }
        json_error_t err;
        call->body = json_loadb(req->entity.base, len, JSON_REJECT_DUPLICATES, &err);
        if (call->body == NULL) {
            wf_http_problem(req, WF_PROB_BAD_REQUEST, NULL, "malformed JSON at %d:%d: %s",
                            err.line, err.column, err.text);
            return false;
        }
        return check_fields(call);
    }
    }
    return true;
}

/* ---- authentication, bindings, route permission ------------------------ */

static void refuse_401(wf_call_t *call, const char *reason)
{
    /* A presented credential that fails counts against the client's
     * address and is logged there, aggregated. No credential at all costs
     * no verification and proves no guessing: it is not counted. */
    if (strcmp(reason, wf_jwt_status_reason(WF_JWT_NO_CREDENTIALS)) != 0)
        wf_abuse_auth_failed(call, reason);
    else
        wf_debug("401 %s %s: %s", call->route->method, call->route->pattern, reason);
    wf_http_problem(call->req, WF_PROB_UNAUTHENTICATED, json_pack("{s:s}", "reason", reason),
                    "valid credentials are required (%s)", reason);
}

static void run_handler(wf_call_t *call)
{
    const wf_route_t *r = call->route;
    const char *ns = NULL;
    if (wf_route_permission(r) == WF_PERM_AUTHENTICATED || r->ns == WF_NS_HANDLER) {
        r->handler(call);
        return;
    }
    switch (r->ns) {
    case WF_NS_PATH:
        ns = wf_call_param(call, "namespace");
        if (ns == NULL || !wf_namespace_valid(ns)) {
            wf_http_problem(call->req, WF_PROB_NOT_FOUND, NULL, "no such resource");
            return;
        }
        break;
    case WF_NS_QUERY:
        ns = wf_http_query(call->req, "namespace");
        if (ns == NULL || !wf_namespace_valid(ns)) {
            wf_http_problem(call->req, WF_PROB_BAD_REQUEST, NULL,
                            "the namespace query parameter is required and must be a valid "
                            "namespace");
            return;
        }
        break;
    case WF_NS_NONE:
    case WF_NS_HANDLER:
    case WF_NS_PATH_JOINED: /* never here: see load_bindings */
        break;
    }
    call->ns = ns;
    if (!wf_call_authorize(call, (wf_perm_t)wf_route_permission(r), ns))
        return;
    r->handler(call);
}

size_t wf_call_binding_rows(wf_call_t *call, const PGresult *res, wf_rbac_binding_t **out)
{
    int n = PQntuples(res);
    wf_rbac_binding_t *b = h2o_mem_alloc_pool(&call->req->pool, sizeof(*b) * (size_t)(n + 1));
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        wf_role_t role = wf_rbac_role_parse(wf_db_get(res, i, 1));
        if (role == WF_ROLE_NONE)
            continue;
        b[k].subject = wf_http_strdup(call->req, wf_db_get(res, i, 0));
        b[k].role = role;
        b[k].namespace = wf_http_strdup(call->req, wf_db_get(res, i, 2));
        k++;
    }
    *out = b;
    return k;
}

static void on_bindings(void *arg, const PGresult *res)
{
    wf_call_t *call = arg;
    if (!wf_reply_ok(call, res))
        return;
    call->n_bindings = wf_call_binding_rows(call, res, &call->bindings);
    run_handler(call);
}

const char *wf_call_subjects(wf_call_t *call)
{
    size_t n = 1 + call->who.n_groups;
    const char **subjects = h2o_mem_alloc_pool(&call->req->pool, sizeof(char *) * n);
    subjects[0] = call->who.subject;
    for (size_t i = 0; i < call->who.n_groups; i++)
        subjects[i + 1] = wf_http_printf(call->req, "group:%s", call->who.groups[i]);
    return wf_call_pg_array(call, subjects, n);
}

bool wf_call_bindings_from_json(wf_call_t *call, const char *text)
{
    call->n_bindings = 0;
    json_t *arr = text ? json_loads(text, 0, NULL) : NULL;
    if (!json_is_array(arr)) {
        json_decref(arr);
        return false;
    }
    size_t n = json_array_size(arr);
    call->bindings = h2o_mem_alloc_pool(&call->req->pool, sizeof(wf_rbac_binding_t) * (n + 1));
    for (size_t i = 0; i < n; i++) {
        json_t *row = json_array_get(arr, i);
        const char *subject = json_string_value(json_array_get(row, 0));
        const char *role_name = json_string_value(json_array_get(row, 1));
        const char *ns = json_string_value(json_array_get(row, 2));
        wf_role_t role = role_name ? wf_rbac_role_parse(role_name) : WF_ROLE_NONE;
        if (subject == NULL || ns == NULL || role == WF_ROLE_NONE)
            continue;
        wf_rbac_binding_t *b = &call->bindings[call->n_bindings++];
        b->subject = wf_http_strdup(call->req, subject);
        b->role = role;
        b->namespace = wf_http_strdup(call->req, ns);
    }
    json_decref(arr);
    return true;
}

/* Loads every binding of the caller's subject and groups, then runs the
 * route; a joined route fetches them with its own statement instead. */
/* Takes a heavy slot for the caller when the route is heavy; answers 429
 * and returns false when the caller holds all of its slots. */
static bool take_heavy_slot(wf_call_t *call)
{
    if (!call->route->heavy)
        return true;
    const char *key = wf_http_printf(call->req, "%s\n%s", call->who.issuer ? call->who.issuer : "",
                                     call->who.subject ? call->who.subject : "");
    if (!wf_heavy_acquire(call->th->gw->heavy, key)) {
        h2o_add_header(&call->req->pool, &call->req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL,
                       H2O_STRLIT("1"));
        wf_http_problem(call->req, WF_PROB_TOO_MANY,
                        json_pack("{s:I}", "limit",
                                  (json_int_t)call->th->gw->cfg->gateway.max_heavy_per_principal),
                        "too many log reads and lists in flight for this caller; retry when one "
                        "has finished");
        return false;
    }
    call->heavy_key = key;
    return true;
}

static void load_bindings(wf_call_t *call)
{
    if (!take_heavy_slot(call))
        return;
    if (call->route->ns == WF_NS_PATH_JOINED) {
        const char *ns = wf_call_param(call, "namespace");
        if (ns == NULL || !wf_namespace_valid(ns)) {
            wf_http_problem(call->req, WF_PROB_NOT_FOUND, NULL, "no such resource");
            return;
        }
        call->ns = ns;
        call->route->handler(call);
        return;
    }
    const char *params[1] = {wf_call_subjects(call)};
    wf_db_query(call->th->db, WF_SQL_BINDINGS_FOR, 1, params, on_bindings, call);
}

static void on_sa_token(void *arg, const PGresult *res)
{
    wf_call_t *call = arg;
    if (!wf_reply_ok(call, res))
        return;
    if (PQntuples(res) != 1) {
        refuse_401(call, "sa-token-invalid");
        return;
    }
    const char *ns = wf_db_get(res, 0, 0), *name = wf_db_get(res, 0, 1);
    const char *exp = wf_db_get(res, 0, 2);
    char subject[WF_PRINCIPAL_MAX_NAME + 8];
    int n = snprintf(subject, sizeof(subject), "sa:%s/%s", ns, name);
    if (n < 0 || (size_t)n >= sizeof(subject)) {
        /* A cut subject could name another account: never use one. */
        wf_http_problem(call->req, WF_PROB_INTERNAL, NULL, "service account name too long");
        return;
    }
    if (wf_principal_set(&call->who, subject, "weft", exp ? strtoll(exp, NULL, 10) : 0) != 0) {
        wf_http_problem(call->req, WF_PROB_INTERNAL, NULL, "out of memory");
        return;
    }
    load_bindings(call);
}

static void authenticate(wf_call_t *call)
{
    /* Credentials are read from the Authorization header only: a token in
     * the query string would end up in access logs and browser history. */
    const char *h = wf_http_header(call->req, "authorization");
    const char *token = NULL;
    size_t len = 0;
    wf_jwt_status_t st = WF_JWT_OK;
    wf_cred_kind_t kind = wf_authn_bearer(h, h ? strlen(h) : 0, 16384, &token, &len, &st);
    if (kind == WF_CRED_NONE) {
        refuse_401(call, wf_jwt_status_reason(st));
        return;
    }
    if (kind == WF_CRED_SATOKEN) {
        uint8_t hash[WF_SATOKEN_HASH_LEN];
        if (wf_satoken_hash(token, len, hash) != 0) {
            refuse_401(call, "sa-token-invalid");
            return;
        }
        char hex[67];
        wf_satoken_hash_to_bytea_hex(hash, hex);
        OPENSSL_cleanse(hash, sizeof(hash));
        const char *params[1] = {hex};
        wf_db_query(call->th->db, WF_SQL_SA_AUTH, 1, params, on_sa_token, call);
        return;
    }
    const char *reason = NULL;
    if (wf_gw_verify_jwt(call->th->gw, token, len, &call->who, &reason) != 0) {
        refuse_401(call, reason ? reason : "invalid-token");
        return;
    }
    load_bindings(call);
}

/* Two Authorization headers are ambiguous: a proxy in front may check one
 * and this gateway use the other. Refused before anything reads either. */
static bool single_authorization(wf_call_t *call)
{
    ssize_t first = h2o_find_header(&call->req->headers, H2O_TOKEN_AUTHORIZATION, -1);
    if (first < 0 || h2o_find_header(&call->req->headers, H2O_TOKEN_AUTHORIZATION, first) < 0)
        return true;
    wf_http_problem(call->req, WF_PROB_BAD_REQUEST,
                    json_pack("{s:s}", "reason", "duplicate-authorization"),
                    "more than one Authorization header");
    return false;
}

/* Above the database volume's high-water mark the routes that start
 * executions are refused before anything is read or written: an execution
 * brings task runs and log lines, and PostgreSQL must not be the first to
 * meet a full disk. Reads, kills and everything else keep working. */
static bool room_for_new_work(wf_call_t *call)
{
    const wf_route_t *r = call->route;
    bool starts_work = r->auth == WF_ROUTE_WEBHOOK ||
                       (strcmp(r->method, "POST") == 0 &&
                        wf_route_permission(r) == WF_PERM_EXECUTION_CREATE);
    if (!starts_work || !wf_dbspace_full(&call->th->gw->space))
        return true;
    char why[256];
    wf_dbspace_reason(&call->th->gw->space, why, sizeof(why));
    wf_http_problem(call->req, WF_PROB_UNAVAILABLE, json_pack("{s:s}", "reason", "database-full"),
                    "%s", why);
    return false;
}

void wf_call_start(h2o_req_t *req, wf_gw_thread_t *th, const wf_route_t *route,
                   const char **values, int n_values)
{
    wf_call_t *call = h2o_mem_alloc_shared(&req->pool, sizeof(*call), call_dispose);
    memset(call, 0, sizeof(*call));
    call->req = req;
    call->th = th;
    call->route = route;
    call->n_params = n_values;
    for (int i = 0; i < n_values; i++)
        call->params[i] = values[i];
    wf_principal_init(&call->who);
    th->inflight++;

    if (!single_authorization(call) || !check_body(call) || !room_for_new_work(call))
        return;
    switch (route->auth) {
    case WF_ROUTE_PUBLIC:
    case WF_ROUTE_WEBHOOK:
        route->handler(call);
        return;
    case WF_ROUTE_BEARER:
        /* Before any token work: a locked-out address gets 429. */
        if (!wf_abuse_admit(call))
            return;
        authenticate(call);
        return;
    }
}
