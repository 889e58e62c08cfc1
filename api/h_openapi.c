/* The OpenAPI 3.1 document, generated from the route table so the two cannot
 * drift; tests/unit/api/test_routes.c and the HTTP test check it anyway. */
#include <ctype.h>
#include <string.h>

#include "api/handlers.h"
#include "api/openapi.h"
#include "auth/rbac.h"
#include "weft_config.h"

static json_t *problem_ref(const char *description)
{
    return json_pack("{s:s, s:{s:{s:{s:s}}}}", "description", description, "content",
                     "application/problem+json", "schema", "$ref",
                     "#/components/schemas/Problem");
}

/* The media type a route's body is documented with; NULL for WF_BODY_NONE. */
static const char *body_description(wf_route_body_t b)
{
    static const char *const media[] = {[WF_BODY_JSON] = "application/json",
                                        [WF_BODY_YAML] = "application/x-yaml",
                                        [WF_BODY_ANY] = "*/*",
                                        [WF_BODY_FILE] = "multipart/form-data"};
    return media[b];
}

/* "/api/v1/flows/{namespace}/{id}" → operationId "get_api_v1_flows_namespace_id". */
static json_t *operation_id(const wf_route_t *r)
{
    char buf[256];
    size_t o = 0;
    for (const char *m = r->method; *m && o < sizeof(buf) - 1; m++)
        buf[o++] = (char)tolower((unsigned char)*m);
    for (const char *p = r->pattern; *p && o < sizeof(buf) - 1; p++) {
        if (*p == '{' || *p == '}')
            continue;
        buf[o++] = isalnum((unsigned char)*p) ? *p : '_';
    }
    buf[o] = '\0';
    return json_string(buf);
}

static json_t *operation(const wf_route_t *r)
{
    int perm = wf_route_permission(r);
    json_t *op = json_pack("{s:s, s:[s], s:o}", "summary", r->summary, "tags", r->tag,
                           "operationId", operation_id(r));
    json_t *params = json_array();
    for (const char *p = r->pattern; (p = strchr(p, '{')) != NULL;) {
        const char *close = strchr(p, '}');
        json_array_append_new(params, json_pack("{s:s%, s:s, s:b, s:{s:s}}", "name", p + 1,
                                                (size_t)(close - p - 1), "in", "path",
                                                "required", 1, "schema", "type", "string"));
        p = close;
    }
    if (r->ns == WF_NS_QUERY)
        json_array_append_new(params, json_pack("{s:s, s:s, s:b, s:{s:s}}", "name", "namespace",
                                                "in", "query", "required", 1, "schema", "type",
                                                "string"));
    for (const wf_route_header_t *h = r->headers; h != NULL && h->name != NULL; h++) {
        json_t *schema = json_pack("{s:s}", "type", "string");
        if (h->max_length > 0)
            json_object_set_new(schema, "maxLength", json_integer(h->max_length));
        json_array_append_new(params, json_pack("{s:s, s:s, s:b, s:s, s:o}", "name", h->name,
                                                "in", "header", "required", 0, "description",
                                                h->help, "schema", schema));
    }
    if (json_array_size(params) > 0)
        json_object_set_new(op, "parameters", params);
    else
        json_decref(params);
    const char *ct = body_description(r->body);
    if (ct != NULL) {
        json_t *rb = json_pack("{s:b, s:{s:{}}}", "required", r->body != WF_BODY_JSON, "content",
                               ct);
        if (r->multipart && rb != NULL)
            /* FILE inputs: file parts named after the inputs, other inputs as fields. */
            json_object_set_new(json_object_get(rb, "content"), "multipart/form-data",
                                json_pack("{s:{s:s}}", "schema", "type", "object"));
        json_object_set_new(op, "requestBody", rb);
    }
    json_t *responses = json_pack("{s:{s:s}}", "2XX", "description", "success");
    json_object_set_new(responses, "default", problem_ref("error (application/problem+json)"));
    switch (r->auth) {
    case WF_ROUTE_PUBLIC:
        json_object_set_new(op, "security", json_array());
        break;
    case WF_ROUTE_WEBHOOK:
        json_object_set_new(op, "security", json_array());
        json_object_set_new(op, "x-weft-auth", json_string("webhook-key"));
        break;
    case WF_ROUTE_BEARER:
        json_object_set_new(op, "security", json_pack("[{s:[]}]", "bearer"));
        json_object_set_new(responses, "401", problem_ref("missing or invalid credentials"));
        json_object_set_new(responses, "403", problem_ref("denied, with the RBAC reason"));
        json_object_set_new(op, "x-weft-permission",
                            json_string(perm >= 0 ? wf_rbac_perm_name((wf_perm_t)perm)
                                                  : "authenticated"));
        if (perm >= 0) {
            /* What the permission takes, so clients (and the RBAC matrix
             * test) can reason about it without a copy of the table. */
            wf_perm_t p = (wf_perm_t)perm;
            json_object_set_new(op, "x-weft-min-role",
                                json_string(wf_rbac_role_name(wf_rbac_perm_min_role(p))));
            json_object_set_new(op, "x-weft-auditor", json_boolean(wf_rbac_perm_auditor(p)));
        }
        break;
    }
    json_object_set_new(op, "responses", responses);
    return op;
}

json_t *wf_openapi_document(void)
{
    json_t *paths = json_object();
    for (size_t i = 0; wf_routes[i].method != NULL; i++) {
        const wf_route_t *r = &wf_routes[i];
        json_t *item = json_object_get(paths, r->pattern);
        if (item == NULL) {
            item = json_object();
            json_object_set_new(paths, r->pattern, item);
        }
        char method[16];
        size_t k = 0;
        for (; r->method[k] && k < sizeof(method) - 1; k++)
            method[k] = (char)tolower((unsigned char)r->method[k]);
        method[k] = '\0';
        json_object_set_new(item, method, operation(r));
    }
    json_t *problem = json_pack(
        "{s:s, s:[s,s,s], s:{s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}}}", "type",
        "object", "required", "type", "title", "status", "properties", "type", "type", "string",
        "title", "type", "string", "status", "type", "integer", "detail", "type", "string",
        "reason", "type", "string", "errors", "type", "array");
    return json_pack("{s:s, s:{s:s, s:s, s:s}, s:o, s:{s:{s:{s:s, s:s, s:s}}, s:{s:o}}}",
                     "openapi", "3.1.0", "info", "title", "Weft API", "version", PACKAGE_VERSION,
                     "description",
                     "Multi-tenant workflow platform. Errors are application/problem+json.",
                     "paths", paths, "components", "securitySchemes", "bearer", "type", "http",
                     "scheme", "bearer", "description",
                     "OIDC JWT or service-account token (weft_sa_...)", "schemas", "Problem",
                     problem);
}

void wf_h_openapi(wf_call_t *call)
{
    wf_http_json(call->req, 200, wf_openapi_document());
}
