#include "api/http.h"
#include "platform/text.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
    int status;
    const char *slug;
    const char *title;
} problems[WF_PROB_COUNT] = {
    [WF_PROB_BAD_REQUEST] = {400, "bad-request", "Bad Request"},
    [WF_PROB_UNAUTHENTICATED] = {401, "unauthenticated", "Unauthorized"},
    [WF_PROB_FORBIDDEN] = {403, "forbidden", "Forbidden"},
    [WF_PROB_NOT_FOUND] = {404, "not-found", "Not Found"},
    [WF_PROB_METHOD] = {405, "method-not-allowed", "Method Not Allowed"},
    [WF_PROB_CONFLICT] = {409, "conflict", "Conflict"},
    [WF_PROB_TOO_LARGE] = {413, "payload-too-large", "Payload Too Large"},
    [WF_PROB_MEDIA_TYPE] = {415, "unsupported-media-type", "Unsupported Media Type"},
    [WF_PROB_INVALID] = {422, "invalid", "Unprocessable Content"},
    [WF_PROB_INTERNAL] = {500, "internal", "Internal Server Error"},
    [WF_PROB_UNAVAILABLE] = {503, "unavailable", "Service Unavailable"},
    [WF_PROB_TOO_MANY] = {429, "too-many-requests", "Too Many Requests"},
};

int wf_problem_status(wf_problem_t kind)
{
    return problems[kind].status;
}

const char *wf_problem_slug(wf_problem_t kind)
{
    return problems[kind].slug;
}

static const char *reason_phrase(int status)
{
    for (int i = 0; i < WF_PROB_COUNT; i++)
        if (problems[i].status == status)
            return problems[i].title;
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    default:
        return "Status";
    }
}

void wf_http_send(h2o_req_t *req, int status, const char *content_type, const char *body,
                  size_t len)
{
    req->res.status = status;
    req->res.reason = reason_phrase(status);
    if (content_type != NULL)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type,
                       strlen(content_type));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
                   H2O_STRLIT("no-store"));
    /* h2o_send_inline does not set it; without it the response is chunked and
     * error statuses close the connection. */
    req->res.content_length = len;
    h2o_send_inline(req, body, len);
}

static void send_json_typed(h2o_req_t *req, int status, json_t *body, const char *type)
{
    char *text = json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(body);
    if (text == NULL) {
        static const char oom[] = "{\"title\":\"Internal Server Error\",\"status\":500}";
        wf_http_send(req, 500, "application/problem+json", oom, sizeof(oom) - 1);
        return;
    }
    size_t len = strlen(text);
    char *copy = h2o_mem_alloc_pool(&req->pool, len + 1);
    memcpy(copy, text, len + 1);
    free(text);
    wf_http_send(req, status, type, copy, len);
}

void wf_http_json(h2o_req_t *req, int status, json_t *body)
{
    send_json_typed(req, status, body, "application/json");
}

void wf_http_problem(h2o_req_t *req, wf_problem_t kind, json_t *extra, const char *detail_fmt,
                     ...)
{
    char detail[1024];
    va_list ap;
    va_start(ap, detail_fmt);
    vsnprintf(detail, sizeof(detail), detail_fmt, ap);
    va_end(ap);
    char type[96];
    snprintf(type, sizeof(type), "urn:weft:problem:%s", problems[kind].slug);
    json_t *p = json_pack("{s:s, s:s, s:i, s:s}", "type", type, "title", problems[kind].title,
                          "status", problems[kind].status, "detail", detail);
    if (extra != NULL) {
        json_object_update_missing(p, extra);
        json_decref(extra);
    }
    if (kind == WF_PROB_UNAUTHENTICATED)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_WWW_AUTHENTICATE, NULL,
                       H2O_STRLIT("Bearer realm=\"weft\""));
    send_json_typed(req, problems[kind].status, p, "application/problem+json");
}

const char *wf_http_header(h2o_req_t *req, const char *name)
{
    ssize_t i = h2o_find_header_by_str(&req->headers, name, strlen(name), -1);
    if (i < 0)
        return NULL;
    h2o_iovec_t v = req->headers.entries[i].value;
    char *s = h2o_mem_alloc_pool(&req->pool, v.len + 1);
    memcpy(s, v.base, v.len);
    s[v.len] = '\0';
    return s;
}

bool wf_http_content_type_is(h2o_req_t *req, const char *const *types)
{
    const char *ct = wf_http_header(req, "content-type");
    if (ct == NULL)
        return false;
    size_t n = strcspn(ct, ";");
    while (n > 0 && ct[n - 1] == ' ')
        n--;
    for (; *types != NULL; types++)
        if (strlen(*types) == n && strncasecmp(ct, *types, n) == 0)
            return true;
    return false;
}

char *wf_http_unescape(h2o_mem_pool_t *pool, const char *s, size_t len)
{
    char *out = h2o_mem_alloc_pool(pool, len + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= len)
                return NULL;
            int hi = wf_hexval(s[i + 1]), lo = wf_hexval(s[i + 2]);
            if (hi < 0 || lo < 0)
                return NULL;
            c = (char)(hi * 16 + lo);
            if (c == '\0')
                return NULL;
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        out[o++] = c;
    }
    out[o] = '\0';
    return out;
}

const char *wf_http_query(h2o_req_t *req, const char *name)
{
    if (req->query_at == SIZE_MAX)
        return NULL;
    const char *q = req->path.base + req->query_at + 1;
    const char *end = req->path.base + req->path.len;
    size_t nlen = strlen(name);
    while (q < end) {
        const char *amp = memchr(q, '&', (size_t)(end - q));
        if (amp == NULL)
            amp = end;
        const char *eq = memchr(q, '=', (size_t)(amp - q));
        const char *kend = eq ? eq : amp;
        if ((size_t)(kend - q) == nlen && memcmp(q, name, nlen) == 0) {
            if (eq == NULL)
                return "";
            return wf_http_unescape(&req->pool, eq + 1, (size_t)(amp - eq - 1));
        }
        q = amp + 1;
    }
    return NULL;
}

bool wf_http_digits(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > max)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

char *wf_http_strdup(h2o_req_t *req, const char *s)
{
    size_t n = strlen(s);
    char *d = h2o_mem_alloc_pool(&req->pool, n + 1);
    memcpy(d, s, n + 1);
    return d;
}

char *wf_http_printf(h2o_req_t *req, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *d = h2o_mem_alloc_pool(&req->pool, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(d, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return d;
}
