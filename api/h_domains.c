/* Domains and their namespace prefixes: the platform team's tools. */
#include <ctype.h>
#include <string.h>

#include "api/handlers.h"

static bool domain_name_ok(const char *s)
{
    if (s == NULL || !islower((unsigned char)s[0]) || strlen(s) > 63)
        return false;
    for (; *s; s++)
        if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-')
            return false;
    return true;
}

static void on_domain_created(void *arg, const PGresult *res)
{
    wf_call_t *call = arg;
    if (!wf_db_ok(res)) {
        const char *st = wf_db_sqlstate(res);
        if (strcmp(st, "23505") == 0) {
            wf_http_problem(call->req, WF_PROB_CONFLICT, NULL,
                            "the domain or one of its prefixes exists already");
            return;
        }
        wf_call_db_error(call, res);
        return;
    }
    json_t *ns = json_loads(wf_db_get(res, 0, 1), 0, NULL);
    wf_http_json(call->req, 201,
                 json_pack("{s:s, s:o}", "name", wf_db_get(res, 0, 0), "namespaces",
                           ns ? ns : json_array()));
}

/* Reads and checks a list of namespace prefixes into a PostgreSQL array. */
static const char *prefixes_param(wf_call_t *call, json_t *list)
{
    size_t n = json_array_size(list);
    if (!json_is_array(list) || n == 0 || n > 256)
        return NULL;
    const char **items = h2o_mem_alloc_pool(&call->req->pool, sizeof(char *) * n);
    for (size_t i = 0; i < n; i++) {
        items[i] = json_string_value(json_array_get(list, i));
        if (items[i] == NULL || !wf_namespace_valid(items[i]))
            return NULL;
    }
    return wf_call_pg_array(call, items, n);
}

void wf_h_domain_create(wf_call_t *call)
{
    const char *name = json_string_value(json_object_get(call->body, "name"));
    const char *prefixes = prefixes_param(call, json_object_get(call->body, "namespaces"));
    if (!domain_name_ok(name) || prefixes == NULL) {
        wf_http_problem(call->req, WF_PROB_INVALID, NULL,
                        "body must be {\"name\": \"[a-z][a-z0-9-]*\", \"namespaces\": "
                        "[\"prefix\", ...]}");
        return;
    }
    const char *params[3] = {name, prefixes, call->who.subject};
    wf_db_query(call->th->db, WF_SQL_DOMAIN_CREATE, 3, params, on_domain_created, call);
}

static void on_domain_list(void *arg, const PGresult *res)
{
    wf_call_t *call = arg;
    if (!wf_db_ok(res)) {
        wf_call_db_error(call, res);
        return;
    }
    json_t *arr = json_array();
    for (int i = 0; i < PQntuples(res); i++) {
        json_t *ns = json_loads(wf_db_get(res, i, 1), 0, NULL);
        json_array_append_new(arr, json_pack("{s:s, s:o, s:s}", "name", wf_db_get(res, i, 0),
                                             "namespaces", ns ? ns : json_array(), "createdAt",
                                             wf_db_get(res, i, 2)));
    }
    wf_http_json(call->req, 200,
                 json_pack("{s:o, s:i}", "results", arr, "total", PQntuples(res)));
}

void wf_h_domain_list(wf_call_t *call)
{
    wf_db_query(call->th->db, WF_SQL_DOMAIN_LIST, 0, NULL, on_domain_list, call);
}

static void on_prefix_added(void *arg, const PGresult *res)
{
    wf_call_t *call = arg;
    if (!wf_db_ok(res)) {
        if (strcmp(wf_db_sqlstate(res), "23505") == 0) {
            wf_http_problem(call->req, WF_PROB_CONFLICT, NULL, "this prefix is assigned already");
            return;
        }
        wf_call_db_error(call, res);
        return;
    }
    if (PQntuples(res) == 0) {
        wf_http_problem(call->req, WF_PROB_NOT_FOUND, NULL, "no such domain");
        return;
    }
    wf_http_json(call->req, 201,
                 json_pack("{s:s, s:s}", "domain", wf_db_get(res, 0, 0), "prefix",
                           wf_db_get(res, 0, 1)));
}

void wf_h_domain_add_namespace(wf_call_t *call)
{
    const char *prefix = json_string_value(json_object_get(call->body, "prefix"));
    if (!domain_name_ok(call->params[0])) {
        wf_http_problem(call->req, WF_PROB_NOT_FOUND, NULL, "no such domain");
        return;
    }
    if (prefix == NULL || !wf_namespace_valid(prefix)) {
        wf_http_problem(call->req, WF_PROB_INVALID, NULL,
                        "body must be {\"prefix\": \"a.namespace.prefix\"}");
        return;
    }
    const char *params[3] = {call->params[0], prefix, call->who.subject};
    wf_db_query(call->th->db, WF_SQL_DOMAIN_ADD_NS, 3, params, on_prefix_added, call);
}
