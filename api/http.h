/* Response and request helpers shared by every handler: JSON bodies,
 * application/problem+json errors with stable types, query strings. Every
 * response carries an exact Content-Length so errors keep the connection. */
#ifndef WF_API_HTTP_H
#define WF_API_HTTP_H

#define H2O_USE_LIBUV 0
#include <h2o.h>
#include <jansson.h>
#include <stdbool.h>

/* Stable problem types; the `type` member is "urn:weft:problem:<slug>". */
typedef enum {
    WF_PROB_BAD_REQUEST = 0, /* 400 malformed request */
    WF_PROB_UNAUTHENTICATED, /* 401 missing or invalid credentials */
    WF_PROB_FORBIDDEN,       /* 403 RBAC denial (with `reason`) */
    WF_PROB_NOT_FOUND,       /* 404 (also hides namespaces the caller cannot see) */
    WF_PROB_METHOD,          /* 405 */
    WF_PROB_CONFLICT,        /* 409 */
    WF_PROB_TOO_LARGE,       /* 413 */
    WF_PROB_MEDIA_TYPE,      /* 415 */
    WF_PROB_INVALID,         /* 422 semantic validation failed */
    WF_PROB_TOO_MANY,        /* 429 rate limit, quota or heavy-request share */
    WF_PROB_INTERNAL,        /* 500 */
    WF_PROB_UNAVAILABLE,     /* 503 (database down, not ready, shutting down) */
    WF_PROB_COUNT
} wf_problem_t;

/* Sends `body` (stolen: decref'd here) as application/json with `status`. */
void wf_http_json(h2o_req_t *req, int status, json_t *body);
/* Sends a problem. `extra` (stolen, may be NULL) is merged into the object,
 * e.g. {"reason": "..."} or {"errors": [...]}. */
void wf_http_problem(h2o_req_t *req, wf_problem_t kind, json_t *extra, const char *detail_fmt,
                     ...) __attribute__((format(printf, 4, 5)));
/* Sends a body with the given content type (copied into the request pool). */
void wf_http_send(h2o_req_t *req, int status, const char *content_type, const char *body,
                  size_t len);
/* HTTP status and `type` slug of a problem kind (tests and OpenAPI). */
int wf_problem_status(wf_problem_t kind);
const char *wf_problem_slug(wf_problem_t kind);

/* Value of request header `name` (lower case) in the pool, or NULL. */
const char *wf_http_header(h2o_req_t *req, const char *name);
/* True when the request's Content-Type media type (before ';') equals one of
 * the NULL-terminated `types`, case-insensitively. */
bool wf_http_content_type_is(h2o_req_t *req, const char *const *types);

/* Decoded value of query parameter `name` (pool-allocated), or NULL when the
 * parameter is absent. Malformed percent-escapes make it absent. */
const char *wf_http_query(h2o_req_t *req, const char *name);
/* Percent-decodes `len` bytes of `s` into a pool string; NULL when malformed
 * or when the result holds a NUL byte. */
char *wf_http_unescape(h2o_mem_pool_t *pool, const char *s, size_t len);

/* True when `s` is 1..`max` decimal digits: a row id (bigint: 18) or a
 * number from a path or a query string. */
bool wf_http_digits(const char *s, size_t max);

/* Pool copy of a C string / printf into the pool. */
char *wf_http_strdup(h2o_req_t *req, const char *s);
char *wf_http_printf(h2o_req_t *req, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
