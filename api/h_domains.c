/* Domains and their namespace prefixes: the platform team's tools. */
#include <ctype.h>
#include <string.h>

#include "api/handlers.h"
#include "api/reply.h"

static bool domain_name_ok(const char *s)
{
    if (s == NULL || !islower((unsigned char)s[0]) || strlen(s) > 63)
        return false;
    for (; *s; s++)
        if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-')
            return false;
    return true;
}

/* A unique violation (23505) is a name or prefix taken already: answers 409
 * with `detail` and returns true. */
static bool taken(wf_call_t *call, const PGresult *res, const char *detail)
{
    if (strcmp(wf_db_sqlstate(res), "23505") != 0)
        return false;
    wf_http_problem(call->req, WF_PROB_CONFLICT, NULL, "%s", detail);
    return true;
}

static void on_domain_created(void *arg, const PGresult *res)
{
    wf_call_t *call = arg;
    if (taken(call, res, "the domain or one of its prefixes exists already") ||
        !wf_reply_ok(call, res))
        return;
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

static json_t *domain_row(const PGresult *res, int i)
{
    json_t *ns = json_loads(wf_db_get(res, i, 1), 0, NULL);
    return json_pack("{s:s, s:o, s:s}", "name", wf_db_get(res, i, 0), "namespaces",
                     ns ? ns : json_array(), "createdAt", wf_db_get(res, i, 2));
}

void wf_h_domain_list(wf_call_t *call)
{
    wf_reply_list(call, WF_SQL_DOMAIN_LIST, 0, NULL, domain_row);
}

static void on_prefix_added(void *arg, const PGresult *res)
{
    wf_call_t *call = arg;
    if (taken(call, res, "this prefix is assigned already") ||
        !wf_reply_need_row(call, res, WF_PROB_NOT_FOUND, "no such domain"))
        return;
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
