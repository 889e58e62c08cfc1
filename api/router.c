/* Matches requests against the route table and starts the call. */
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

void wf_gw_register_router(wf_gw_t *gw)
{
    h2o_pathconf_t *pathconf = h2o_config_register_path(gw->host, "/", 0);
    h2o_handler_t *handler = h2o_create_handler(pathconf, sizeof(*handler));
    handler->on_req = on_req;
}
