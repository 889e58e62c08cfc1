/* Matches requests against the route table and starts the call. */
#include <stdlib.h>
#include <string.h>

#include "api/call.h"
#include "api/gateway.h"
#include "api/http.h"
#include "api/routes.h"

size_t wf_routes_count(void)
{
    size_t n = 0;
    while (wf_routes[n].method != NULL)
        n++;
    return n;
}

/* Compares one pattern against a path segment by segment; "{name}" matches
 * one non-empty segment. */
static bool match_pattern(const char *pattern, const char *path, size_t path_len,
                          h2o_mem_pool_t *pool, const char **values, int *n_values)
{
    const char *p = pattern, *s = path, *end = path + path_len;
    int n = 0;
    while (*p != '\0' && s < end) {
        if (*p != '/' || *s != '/')
            return false;
        p++, s++;
        const char *pseg_end = strchr(p, '/');
        if (pseg_end == NULL)
            pseg_end = p + strlen(p);
        const char *sseg_end = memchr(s, '/', (size_t)(end - s));
        if (sseg_end == NULL)
            sseg_end = end;
        size_t plen = (size_t)(pseg_end - p), slen = (size_t)(sseg_end - s);
        if (plen >= 2 && p[0] == '{') {
            if (slen == 0 || n >= WF_ROUTE_MAX_PARAMS)
                return false;
            if (pool != NULL) {
                char *v = h2o_mem_alloc_pool(pool, slen + 1);
                memcpy(v, s, slen);
                v[slen] = '\0';
                values[n] = v;
            }
            n++;
        } else if (plen != slen || memcmp(p, s, plen) != 0) {
            return false;
        }
        p = pseg_end, s = sseg_end;
    }
    if (*p != '\0' || s != end)
        return false;
    *n_values = n;
    return true;
}

const wf_route_t *wf_route_match(const char *method, const char *path, size_t path_len,
                                 h2o_mem_pool_t *pool, const char **values, int *n_values,
                                 int *path_matched)
{
    *path_matched = 0;
    for (const wf_route_t *r = wf_routes; r->method != NULL; r++) {
        int n = 0;
        if (!match_pattern(r->pattern, path, path_len, NULL, values, &n))
            continue;
        *path_matched = 1;
        if (strcmp(r->method, method) != 0)
            continue;
        match_pattern(r->pattern, path, path_len, pool, values, n_values);
        return r;
    }
    return NULL;
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    (void)self;
    wf_gw_thread_t *th = wf_gw_thread_of(req);
    char method[16];
    if (req->method.len >= sizeof(method)) {
        wf_http_problem(req, WF_PROB_METHOD, NULL, "method not allowed");
        return 0;
    }
    memcpy(method, req->method.base, req->method.len);
    method[req->method.len] = '\0';
    /* HEAD is served as GET by h2o's HTTP/1 layer (no body is written). */
    if (strcmp(method, "HEAD") == 0)
        strcpy(method, "GET");

    /* Match on the normalised path (dot segments resolved, escapes decoded)
     * without its query. A decoded NUL or control byte would cut or bend the
     * C strings parameters become (a webhook key "KEY%00junk" compares as
     * "KEY"): such a path names nothing. */
    size_t plen = req->path_normalized.len;
    for (size_t i = 0; i < plen; i++)
        if ((unsigned char)req->path_normalized.base[i] < 0x20 ||
            req->path_normalized.base[i] == 0x7f) {
            wf_http_problem(req, WF_PROB_NOT_FOUND, NULL, "no route for this path");
            return 0;
        }
    const char *values[WF_ROUTE_MAX_PARAMS];
    int n = 0, path_matched = 0;
    const wf_route_t *route = wf_route_match(method, req->path_normalized.base, plen, &req->pool,
                                             values, &n, &path_matched);
    if (route == NULL) {
        if (path_matched)
            wf_http_problem(req, WF_PROB_METHOD, NULL, "%s is not allowed on this path", method);
        else
            wf_http_problem(req, WF_PROB_NOT_FOUND, NULL, "no route for this path");
        return 0;
    }
    wf_call_start(req, th, route, values, n);
    return 0;
}

/* ---- h2o's own error answers -------------------------------------------
 * h2o answers some requests before any handler runs: a body past
 * max_request_entity_size (413), a broken Content-Length or chunked body, an
 * unknown Transfer-Encoding (400), an unknown Expect (417). It sends them as
 * text/plain through the host's fallback path; this filter, on that path,
 * rewrites each into the problem+json every other answer is, with h2o's
 * text as the detail. (A request line or header block h2o cannot parse at
 * all gets a fixed answer written straight to the socket, which no filter
 * sees: see docs/gateway.md.) */

typedef struct {
    h2o_ostream_t super;
    wf_problem_t kind;
    h2o_iovec_t body; /* the problem document, in the request pool */
} problem_ostream_t;

static wf_problem_t problem_of_status(int status)
{
    switch (status) {
    case 413:
        return WF_PROB_TOO_LARGE;
    case 404:
        return WF_PROB_NOT_FOUND;
    case 405:
        return WF_PROB_METHOD;
    default:
        return WF_PROB_BAD_REQUEST;
    }
}

static void problem_do_send(h2o_ostream_t *self, h2o_req_t *req, h2o_iovec_t *bufs, size_t bufcnt,
                            h2o_send_state_t state)
{
    (void)state;
    /* h2o_send_inline hands its whole text over in one final call; the text
     * is h2o's own fixed wording ("request entity is too large", "broken
     * chunked-encoding"), never the client's bytes: it becomes the detail. */
    problem_ostream_t *p = (problem_ostream_t *)self;
    char detail[192];
    size_t n = 0;
    for (size_t i = 0; i < bufcnt && n < sizeof(detail) - 1; i++) {
        size_t take = bufs[i].len < sizeof(detail) - 1 - n ? bufs[i].len : sizeof(detail) - 1 - n;
        memcpy(detail + n, bufs[i].base, take);
        n += take;
    }
    detail[n] = '\0';
    if (req->res.status == 413) {
        /* h2o's words name no limit: say which applies. */
        const wf_gw_t *gw = wf_gw_thread_of(req)->gw;
        n = (size_t)snprintf(detail, sizeof(detail),
                             "the request body exceeds %zu bytes, the largest of "
                             "gateway.max_body, gateway.max_upload and "
                             "namespace_files.max_file_size",
                             gw->h2o.max_request_entity_size);
        if (n >= sizeof(detail))
            n = sizeof(detail) - 1;
    }
    json_t *doc = json_pack("{s:s, s:s, s:i, s:s}", "type",
                            wf_http_printf(req, "urn:weft:problem:%s", wf_problem_slug(p->kind)),
                            "title", req->res.reason ? req->res.reason : "Bad Request", "status",
                            req->res.status, "detail", n ? detail : "invalid request");
    char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(doc);
    if (text == NULL) {
        static const char oom[] = "{\"title\":\"Bad Request\"}";
        p->body = h2o_iovec_init(oom, sizeof(oom) - 1);
    } else {
        p->body.len = strlen(text);
        p->body.base = h2o_mem_alloc_pool(&req->pool, p->body.len);
        memcpy(p->body.base, text, p->body.len);
        free(text);
    }
    /* The HTTP/1 layer writes the headers with the first chunk: the length
     * set here is the one the client sees. */
    req->res.content_length = p->body.len;
    h2o_ostream_send_next(&p->super, req, &p->body, 1, H2O_SEND_STATE_FINAL);
}

static void on_error_setup_ostream(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
    (void)self;
    ssize_t ct = h2o_find_header(&req->res.headers, H2O_TOKEN_CONTENT_TYPE, -1);
    if (req->res.status >= 400 && ct >= 0 && req->res.headers.entries[ct].value.len >= 10 &&
        memcmp(req->res.headers.entries[ct].value.base, "text/plain", 10) == 0) {
        problem_ostream_t *p = (problem_ostream_t *)h2o_add_ostream(req, sizeof(*p), slot);
        p->super.do_send = problem_do_send;
        p->kind = problem_of_status(req->res.status);
        req->res.headers.entries[ct].value = h2o_iovec_init(H2O_STRLIT("application/problem+json"));
        slot = &p->super.next;
    }
    h2o_setup_next_ostream(req, slot);
}

void wf_gw_register_router(wf_gw_t *gw)
{
    h2o_pathconf_t *pathconf = h2o_config_register_path(gw->host, "/", 0);
    h2o_handler_t *handler = h2o_create_handler(pathconf, sizeof(*handler));
    handler->on_req = on_req;
    h2o_filter_t *errors = h2o_create_filter(&gw->host->fallback_path, sizeof(*errors));
    errors->on_setup_ostream = on_error_setup_ostream;
}
