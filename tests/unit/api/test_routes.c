/* The route table, the SQL table and the OpenAPI document agree; routes
 * match as documented; inputs are checked against the flow's declarations. */
#include <stdlib.h>
#include <string.h>

#include "api/http.h"
#include "api/inputs.h"
#include "api/openapi.h"
#include "api/routes.h"
#include "api/sql.h"
#include "auth/rbac.h"
#include "tests/tap.h"

static void test_table(void)
{
    size_t n = wf_routes_count();
    ok(n >= 30, "the route table has %zu rows", n);
    for (size_t i = 0; i < n; i++) {
        const wf_route_t *r = &wf_routes[i];
        int perm = wf_route_permission(r);
        char what[160];
        snprintf(what, sizeof(what), "%s %s", r->method, r->pattern);
        ok(r->handler != NULL && r->summary != NULL && r->tag != NULL,
           "%s has a handler, a summary and a tag", what);
        switch (r->auth) {
        case WF_ROUTE_BEARER:
            /* A protected route must name its permission (or say that any
             * authenticated caller may call it). */
            ok((perm >= 0 && perm < WF_PERM_COUNT) || perm == WF_PERM_AUTHENTICATED,
               "%s names a permission", what);
            break;
        case WF_ROUTE_PUBLIC:
        case WF_ROUTE_WEBHOOK:
            ok(perm == WF_PERM_NO_CHECK, "%s is public and says so", what);
            break;
        }
        if (r->ns == WF_NS_PATH || r->ns == WF_NS_PATH_JOINED)
            ok(strstr(r->pattern, "{namespace}") != NULL, "%s has a {namespace} parameter",
               what);
        if (r->ns == WF_NS_NONE && r->auth == WF_ROUTE_BEARER && perm >= 0)
            ok(wf_rbac_perm_min_role((wf_perm_t)perm) == WF_ROLE_PLATFORM_ADMIN,
               "%s checks a platform permission without a namespace", what);
        /* A JSON body is checked against its route's member list before
         * the handler runs: a JSON route without one would let unknown
         * members through. */
        if (r->body == WF_BODY_JSON) {
            ok(r->fields != NULL && r->fields[0].type != WF_FIELD_END,
               "%s lists the members its body may have", what);
            for (const wf_body_field_t *f = r->fields; f && f->type != WF_FIELD_END; f++)
                if (strcmp(f->name, WF_FIELD_OPEN) == 0)
                    ok(f == r->fields && f[1].type == WF_FIELD_END && f->help != NULL,
                       "%s: an open body is the only row and says who checks its keys", what);
        } else {
            ok(r->fields == NULL, "%s takes no JSON body and lists no members", what);
        }
        /* Lists and logs are heavy: the caller's share of them is bounded. */
        if (strcmp(r->method, "GET") == 0 &&
            (strstr(r->summary, "List") == r->summary || strstr(r->pattern, "/logs") ||
             strstr(r->summary, "?namespace=") || strstr(r->summary, "page=")))
            ok(r->heavy, "%s is a list and counts as heavy", what);
        for (size_t j = 0; j < i; j++)
            if (strcmp(wf_routes[j].method, r->method) == 0 &&
                strcmp(wf_routes[j].pattern, r->pattern) == 0)
                ok(0, "%s is listed twice", what);
    }
}

/* A row that leaves its permission out names none (not the first
 * permission): test_table then fails it. */
static void test_unset_permission(void)
{
    static const wf_route_t blank = {.method = "GET", .auth = WF_ROUTE_BEARER};
    is_int(wf_route_permission(&blank), WF_PERM_UNSET, "an omitted .needs reads as unset");
    ok(WF_PERM_UNSET != WF_PERM_NO_CHECK && WF_PERM_UNSET != WF_PERM_AUTHENTICATED &&
           WF_PERM_UNSET < 0,
       "unset is neither a marker nor a permission");
    is_int(wf_route_permission(&(wf_route_t){.needs = WF_NEEDS(WF_PERM_NAMESPACE_READ)}),
           WF_PERM_NAMESPACE_READ, "the first permission reads back as itself");
}

/* A route with a {param} must not shadow a later row with a literal in the
 * same place (first match wins). */
static void test_shadowing(void)
{
    size_t n = wf_routes_count();
    for (size_t i = 0; i < n; i++) {
        const wf_route_t *r = &wf_routes[i];
        /* Build a concrete path: each {param} becomes "x1". */
        char path[256];
        size_t o = 0;
        for (const char *p = r->pattern; *p && o < sizeof(path) - 3;) {
            if (*p == '{') {
                path[o++] = 'x';
                path[o++] = '1';
                p = strchr(p, '}') + 1;
            } else {
                path[o++] = *p++;
            }
        }
        path[o] = '\0';
        const char *values[WF_ROUTE_MAX_PARAMS];
        int nv = 0, pm = 0;
        const wf_route_t *got = wf_route_match(r->method, path, o, NULL, values, &nv, &pm);
        ok(got == r, "%s %s is reached by %s", r->method, r->pattern, path);
    }
}

static void test_matching(void)
{
    h2o_mem_pool_t pool;
    h2o_mem_init_pool(&pool);
    const char *v[WF_ROUTE_MAX_PARAMS];
    int n = 0, pm = 0;
    const char *p = "/api/v1/flows/sales.eu/daily";
    const wf_route_t *r = wf_route_match("GET", p, strlen(p), &pool, v, &n, &pm);
    ok(r != NULL && strcmp(r->pattern, "/api/v1/flows/{namespace}/{id}") == 0,
       "GET flow matches its pattern");
    is_int(n, 2, "two parameters");
    is_str(n == 2 ? v[0] : NULL, "sales.eu", "namespace parameter");
    is_str(n == 2 ? v[1] : NULL, "daily", "id parameter");
    p = "/api/v1/flows/sales.eu/daily";
    r = wf_route_match("PUT", p, strlen(p), &pool, v, &n, &pm);
    ok(r == NULL && pm == 1, "PUT on a known path: method not allowed");
    p = "/api/v1/flows/sales.eu/daily/extra/more";
    r = wf_route_match("GET", p, strlen(p), &pool, v, &n, &pm);
    ok(r == NULL && pm == 0, "too many segments: not found");
    p = "/api/v1/flows//daily";
    r = wf_route_match("GET", p, strlen(p), &pool, v, &n, &pm);
    ok(r == NULL, "an empty segment never matches a parameter");
    p = "/api/v1/executions/abc/kill";
    r = wf_route_match("POST", p, strlen(p), &pool, v, &n, &pm);
    ok(r != NULL && strstr(r->pattern, "/kill") != NULL, "kill wins over create");
    p = "/healthz/";
    r = wf_route_match("GET", p, strlen(p), &pool, v, &n, &pm);
    ok(r == NULL, "a trailing slash is another path");
    h2o_mem_clear_pool(&pool);
}

static void test_openapi(void)
{
    json_t *doc = wf_openapi_document();
    is_str(json_string_value(json_object_get(doc, "openapi")), "3.1.0", "OpenAPI 3.1");
    json_t *paths = json_object_get(doc, "paths");
    size_t documented = 0;
    const char *path;
    json_t *item;
    json_object_foreach(paths, path, item)
    {
        const char *method;
        json_t *op;
        json_object_foreach(item, method, op)
        {
            documented++;
            char up[16];
            size_t k = 0;
            for (; method[k] && k < sizeof(up) - 1; k++)
                up[k] = (char)(method[k] - ('a' <= method[k] && method[k] <= 'z' ? 32 : 0));
            up[k] = '\0';
            const wf_route_t *found = NULL;
            for (size_t i = 0; wf_routes[i].method != NULL; i++)
                if (strcmp(wf_routes[i].method, up) == 0 &&
                    strcmp(wf_routes[i].pattern, path) == 0)
                    found = &wf_routes[i];
            ok(found != NULL, "documented %s %s exists in the route table", up, path);
            if (found != NULL && found->auth == WF_ROUTE_BEARER)
                ok(json_object_get(op, "x-weft-permission") != NULL &&
                       json_array_size(json_object_get(op, "security")) == 1,
                   "%s %s documents its permission and bearer security", up, path);
        }
    }
    for (size_t i = 0; wf_routes[i].method != NULL; i++) {
        char m[16];
        size_t k = 0;
        for (; wf_routes[i].method[k] && k < sizeof(m) - 1; k++)
            m[k] = (char)(wf_routes[i].method[k] + 32);
        m[k] = '\0';
        ok(json_object_get(json_object_get(paths, wf_routes[i].pattern), m) != NULL,
           "route %s %s is documented", wf_routes[i].method, wf_routes[i].pattern);
    }
    is_int(documented, wf_routes_count(), "as many operations as routes");
    json_decref(doc);
}

static void test_sql_table(void)
{
    for (int i = 0; i < WF_SQL_COUNT; i++) {
        const wf_sql_t *s = wf_sql_get((wf_sql_id_t)i);
        ok(s->name != NULL && s->sql != NULL, "statement %d has a name and a text", i);
        for (int j = 0; j < i && s->name; j++)
            if (wf_sql_get((wf_sql_id_t)j)->name &&
                strcmp(wf_sql_get((wf_sql_id_t)j)->name, s->name) == 0)
                ok(0, "statement name %s is used twice", s->name);
    }
}

static void test_problems(void)
{
    is_int(wf_problem_status(WF_PROB_UNAUTHENTICATED), 401, "unauthenticated is 401");
    is_int(wf_problem_status(WF_PROB_FORBIDDEN), 403, "forbidden is 403");
    is_int(wf_problem_status(WF_PROB_TOO_LARGE), 413, "too large is 413");
    is_int(wf_problem_status(WF_PROB_MEDIA_TYPE), 415, "media type is 415");
    is_int(wf_problem_status(WF_PROB_INVALID), 422, "invalid is 422");
    for (int i = 0; i < WF_PROB_COUNT; i++)
        ok(wf_problem_slug((wf_problem_t)i) != NULL, "problem %d has a stable slug", i);
    h2o_mem_pool_t pool;
    h2o_mem_init_pool(&pool);
    is_str(wf_http_unescape(&pool, "a%2Eb+c", 7), "a.b c", "percent-decoding");
    ok(wf_http_unescape(&pool, "a%2", 3) == NULL, "a truncated escape is refused");
    ok(wf_http_unescape(&pool, "a%00b", 5) == NULL, "an encoded NUL is refused");
    ok(wf_http_unescape(&pool, "%zz", 3) == NULL, "a non-hex escape is refused");
    h2o_mem_clear_pool(&pool);
}

static const char flow_yaml[] = "id: f\n"
                                "namespace: sales\n"
                                "inputs:\n"
                                "  - id: name\n"
                                "    type: STRING\n"
                                "  - id: count\n"
                                "    type: INT\n"
                                "    defaults: 3\n"
                                "  - id: flag\n"
                                "    type: BOOLEAN\n"
                                "    required: false\n"
                                "  - id: color\n"
                                "    type: SELECT\n"
                                "    values: [red, blue]\n"
                                "    required: false\n"
                                "tasks:\n"
                                "  - id: t\n"
                                "    type: io.kestra.plugin.core.log.Log\n"
                                "    message: hi\n";

static void test_inputs(void)
{
    wf_diags_t d;
    wf_flow_t *flow = wf_flow_parse(flow_yaml, sizeof(flow_yaml) - 1, "f.yaml", &d);
    wf_diags_dispose(&d);
    ok(flow != NULL, "the test flow parses");
    if (flow == NULL)
        return;
    json_t *errors = json_array();
    json_t *given = json_pack("{s:s}", "name", "x");
    json_t *out = wf_inputs_validate(flow, given, errors);
    ok(out != NULL, "required input given, others defaulted or optional");
    is_int(json_integer_value(json_object_get(out, "count")), 3, "default applied");
    ok(json_object_get(out, "flag") == NULL, "absent optional input stays absent");
    json_decref(out);
    json_decref(given);

    given = json_pack("{s:s, s:s}", "name", "x", "count", "12");
    out = wf_inputs_validate(flow, given, errors);
    is_int(json_integer_value(json_object_get(out, "count")), 12, "form-style integer accepted");
    json_decref(out);
    json_decref(given);

    struct {
        const char *json;
        const char *path;
    } bad[] = {
        {"{}", "inputs.name"},
        {"{\"name\": 5}", "inputs.name"},
        {"{\"name\": \"x\", \"count\": \"twelve\"}", "inputs.count"},
        {"{\"name\": \"x\", \"count\": 1.5}", "inputs.count"},
        {"{\"name\": \"x\", \"flag\": \"yes\"}", "inputs.flag"},
        {"{\"name\": \"x\", \"color\": \"green\"}", "inputs.color"},
        {"{\"name\": \"x\", \"extra\": 1}", "inputs.extra"},
        {"[1, 2]", "inputs"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *e = json_array();
        given = json_loads(bad[i].json, 0, NULL);
        out = wf_inputs_validate(flow, given, e);
        ok(out == NULL, "refused: %s", bad[i].json);
        is_str(json_string_value(json_object_get(json_array_get(e, 0), "path")), bad[i].path,
               "... with the path %s", bad[i].path);
        json_decref(out);
        json_decref(given);
        json_decref(e);
    }
    json_decref(errors);
    wf_flow_free(flow);

    char id[WF_EXECUTION_ID_LEN + 1], id2[WF_EXECUTION_ID_LEN + 1];
    ok(wf_execution_id(id) == 0 && wf_execution_id(id2) == 0, "execution ids are generated");
    is_int(strlen(id), WF_EXECUTION_ID_LEN, "22 characters");
    ok(strcmp(id, id2) != 0, "two ids differ");
    ok(wf_execution_id_valid(id), "a generated id is valid");
    ok(!wf_execution_id_valid("a'b") && !wf_execution_id_valid("") &&
           !wf_execution_id_valid("../x"),
       "quotes, empty and path fragments are not ids");
    ok(wf_state_terminal("SUCCESS") && wf_state_terminal("KILLED") &&
           !wf_state_terminal("RUNNING") && !wf_state_terminal("PAUSED"),
       "terminal states");
}

int main(void)
{
    test_table();
    test_unset_permission();
    test_shadowing();
    test_matching();
    test_openapi();
    test_sql_table();
    test_problems();
    test_inputs();
    return tap_done();
}
