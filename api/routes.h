/* The route table: every endpoint of the REST API is one row (method, path
 * pattern, how the caller authenticates, the permission it needs, the body it
 * accepts, the handler, the OpenAPI summary). The router, the RBAC check, the
 * OpenAPI document and the tests all read this one table. */
#ifndef WF_API_ROUTES_H
#define WF_API_ROUTES_H

#include <stdbool.h>
#include <stddef.h>

#include "api/gateway.h"

#define WF_ROUTE_MAX_PARAMS 4

/* How a route authenticates its caller. */
typedef enum {
    WF_ROUTE_PUBLIC = 0, /* no credentials (health probes, the API document) */
    WF_ROUTE_BEARER,     /* OIDC JWT or service-account token, then RBAC */
    WF_ROUTE_WEBHOOK,    /* the flow's webhook key in the path, nothing else */
} wf_route_auth_t;

/* What a route accepts as request body. */
typedef enum {
    WF_BODY_NONE = 0, /* any body is refused with 415 */
    WF_BODY_JSON,     /* application/json (an empty body is allowed) */
    WF_BODY_YAML,     /* application/x-yaml, application/yaml, text/yaml */
    WF_BODY_ANY,      /* webhooks: whatever the caller sends */
    WF_BODY_FILE,     /* a file upload (raw or multipart/form-data), up to
                       * namespace_files.max_file_size rather than gateway.max_body */
} wf_route_body_t;

/* Where a route finds the namespace its permission is checked on. */
typedef enum {
    WF_NS_NONE = 0,    /* platform-wide permission (domains) or no permission */
    WF_NS_PATH,        /* the {namespace} path parameter */
    WF_NS_PATH_JOINED, /* the same, but the handler's one statement also returns the
                        * caller's bindings (hot reads: one database round trip); the
                        * handler calls wf_call_bindings_from_json, then
                        * wf_call_authorize, before revealing anything */
    WF_NS_QUERY,       /* the ?namespace= query parameter (required) */
    WF_NS_HANDLER,     /* the handler loads the object first (execution by id, binding
                        * by id, flow body) and calls wf_call_authorize itself */
} wf_route_ns_t;

/* What a route asks of its caller: a wf_perm_t of auth/rbac.h, or one of
 * these markers (negative, so never a permission). */
#define WF_PERM_NO_CHECK (-1)      /* PUBLIC and WEBHOOK routes only */
#define WF_PERM_AUTHENTICATED (-2) /* any authenticated caller (who am I, can-i) */
#define WF_PERM_UNSET (-3)         /* a row that leaves .needs out: test_routes fails it */

/* The table writes it as
 *     .needs = WF_NEEDS(WF_PERM_FLOW_READ)
 *     .needs = WF_NEEDS_LOGIN                    (WF_PERM_AUTHENTICATED)
 *     .needs = WF_NEEDS_NOTHING                  (WF_PERM_NO_CHECK)
 * and code reads it back with wf_route_permission(). The stored value is
 * shifted so that zero, what an omitted field reads as, is WF_PERM_UNSET
 * and not the first permission: a route cannot forget its permission. */
#define WF_NEEDS(perm) ((int)(perm) - WF_PERM_UNSET)
#define WF_NEEDS_LOGIN WF_NEEDS(WF_PERM_AUTHENTICATED)
#define WF_NEEDS_NOTHING WF_NEEDS(WF_PERM_NO_CHECK)

/* The JSON type a body member must have (a JSON null passes: the handler
 * decides what an explicit null means, usually "refused"). */
typedef enum {
    WF_FIELD_END = 0, /* ends a field list */
    WF_FIELD_STRING,
    WF_FIELD_INTEGER,
    WF_FIELD_BOOLEAN,
    WF_FIELD_ARRAY,
    WF_FIELD_OBJECT,
    WF_FIELD_ANY,
} wf_field_type_t;

/* One member a JSON body may have. A list ends with a row whose type is
 * WF_FIELD_END. The name WF_FIELD_OPEN stands for any member: the handler
 * checks the keys against a table of its own (a flow's declared inputs, the
 * policy keys); `help` then says which. */
typedef struct {
    const char *name;
    wf_field_type_t type;
    const char *help; /* WF_FIELD_OPEN rows: who checks the keys */
} wf_body_field_t;

#define WF_FIELD_OPEN "*"

/* An optional request header a route reads (documented in the OpenAPI
 * document); a list ends with a row whose name is NULL. */
typedef struct {
    const char *name;
    const char *help;
    int max_length; /* 0: none stated */
} wf_route_header_t;

typedef struct wf_call wf_call_t;
typedef void (*wf_handler_fn)(wf_call_t *call);

typedef struct wf_route {
    const char *method;
    const char *pattern; /* "/api/v1/flows/{namespace}/{id}" */
    wf_route_auth_t auth;
    int needs; /* WF_NEEDS(...): read it with wf_route_permission() */
    wf_route_ns_t ns;
    wf_route_body_t body;
    /* WF_BODY_JSON routes: the members the body may have; any other member
     * is refused with 422 before the handler runs (test_routes fails a JSON
     * route without a list, so a new route cannot forget it). */
    const wf_body_field_t *fields;
    /* Also takes multipart/form-data, up to gateway.max_upload (FILE inputs,
     * api/uploads.h); the handler parses it. */
    bool multipart;
    const wf_route_header_t *headers; /* optional headers it reads, or NULL */
    /* Heavy routes (logs, lists) count against the caller's share of
     * concurrent heavy requests (gateway.max_heavy_per_principal); past it
     * the answer is 429 with Retry-After. */
    bool heavy;
    wf_handler_fn handler;
    const char *summary; /* one line, used as the OpenAPI summary */
    const char *tag;     /* OpenAPI tag (resource) */
} wf_route_t;

/* The permission `r` needs: a wf_perm_t, WF_PERM_NO_CHECK,
 * WF_PERM_AUTHENTICATED, or WF_PERM_UNSET for a row that names none. */
static inline int wf_route_permission(const wf_route_t *r)
{
    return r->needs + WF_PERM_UNSET;
}

/* The table (terminated by a row with method NULL) and its length. */
extern const wf_route_t wf_routes[];
size_t wf_routes_count(void);

/* Matches `method` and `path` (no query string). Returns the route and fills
 * `values` (pool strings, in pattern order) or NULL; `*path_matched` tells a
 * 405 (path known, method not) from a 404. */
const wf_route_t *wf_route_match(const char *method, const char *path, size_t path_len,
                                 h2o_mem_pool_t *pool, const char **values, int *n_values,
                                 int *path_matched);

#endif
