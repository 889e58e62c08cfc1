#include "cli/client.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli/contexts.h"
#include "weft_config.h"
#include "platform/text.h"
#include "platform/xmalloc.h"

struct weft_client {
    CURL *curl;
    char *url;           /* base, no trailing slash */
    char *auth;          /* "Authorization: Bearer ..." or NULL; wiped on destroy */
    char source[96];     /* where the URL came from */
    char tok_source[96]; /* where the token came from, or "" */
    char errbuf[CURL_ERROR_SIZE];
    /* While a log stream runs, requests made from its callback (task names)
     * go through a second handle: a handle cannot be re-entered. */
    CURL *side;
    bool streaming;
};

void weft_client_destroy(weft_client_t *c)
{
    if (c == NULL)
        return;
    if (c->curl != NULL)
        curl_easy_cleanup(c->curl);
    if (c->side != NULL)
        curl_easy_cleanup(c->side);
    if (c->auth != NULL) {
        OPENSSL_cleanse(c->auth, strlen(c->auth));
        free(c->auth);
    }
    free(c->url);
    free(c);
    curl_global_cleanup();
}

const char *weft_client_source(const weft_t *w)
{
    return w->client ? w->client->source : "";
}

const char *weft_client_url(const weft_t *w)
{
    return w->client ? w->client->url : "";
}

/* True for loopback hosts, where plain HTTP does not expose the token. */
static bool loopback_url(const char *url)
{
    const char *h = strstr(url, "://");
    h = h ? h + 3 : url;
    static const char *const local[] = {"127.", "localhost", "[::1]"};
    for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++)
        if (strncmp(h, local[i], strlen(local[i])) == 0)
            return true;
    return false;
}

int weft_connect(weft_t *w)
{
    if (w->client != NULL)
        return 0;
    const char *url = w->url, *token = w->token;
    const char *url_src = "--url", *tok_src = "--token";
    if (url == NULL) {
        url = getenv("WEFT_URL");
        url_src = "WEFT_URL";
    }
    if (token == NULL) {
        token = getenv("WEFT_TOKEN");
        tok_src = "WEFT_TOKEN";
    }
    if (url != NULL && url[0] == '\0')
        url = NULL;
    if (token != NULL && token[0] == '\0')
        token = NULL;
    weft_config_t cfg = {0};
    char ctx_src[80] = "";
    int rc = WEFT_EXIT_USAGE;
    if (url == NULL || token == NULL || w->context != NULL) {
        if (weft_config_load(w, &cfg) != 0)
            goto out;
        const char *name = w->context ? w->context : getenv("WEFT_CONTEXT");
        if (name == NULL || name[0] == '\0')
            name = cfg.current;
        weft_context_t *ctx = name ? weft_config_find(&cfg, name) : NULL;
        if (name != NULL && ctx == NULL && (w->context != NULL || url == NULL)) {
            weft_err(w, "no context '%s' in %s ('weft context list' shows them)", name, cfg.path);
            goto out;
        }
        if (ctx != NULL) {
            snprintf(ctx_src, sizeof(ctx_src), "context %s", ctx->name);
            bool same_server = url == NULL || strcmp(url, ctx->url) == 0;
            if (url == NULL) {
                url = ctx->url;
                url_src = ctx_src;
            }
            /* A context's token goes only to that context's server: with
             * --url or WEFT_URL pointing elsewhere it would leak to a
             * server it was never meant for. */
            if (token == NULL && same_server && ctx->token[0] != '\0') {
                token = ctx->token;
                tok_src = ctx_src;
            }
        }
    }
    if (url == NULL) {
        weft_err(w, "no server to talk to: pass --url, set WEFT_URL, or run "
                    "'weft login --url URL --token-stdin'");
        goto out;
    }
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
        weft_err(w, "the server URL from %s must start with http:// or https://", url_src);
        goto out;
    }
    if (token != NULL && strpbrk(token, "\r\n\t ") != NULL) {
        /* A newline would let the token inject headers. */
        weft_err(w, "the token from %s holds whitespace or a line break", tok_src);
        goto out;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
        weft_err(w, "cannot initialise libcurl");
        goto out;
    }
    weft_client_t *c = wf_xcalloc(1, sizeof(*c));
    c->url = wf_xstrdup(url);
    for (size_t n = strlen(c->url); n > 0 && c->url[n - 1] == '/'; n--)
        c->url[n - 1] = '\0';
    snprintf(c->source, sizeof(c->source), "%s", url_src);
    snprintf(c->tok_source, sizeof(c->tok_source), "%s", token ? tok_src : "");
    if (token != NULL) {
        c->auth = wf_xasprintf("Authorization: Bearer %s", token);
        if (strncmp(c->url, "http://", 7) == 0 && !loopback_url(c->url))
            weft_warn(w, "sending the token without TLS to %s", c->url);
    }
    c->curl = curl_easy_init();
    if (c->curl == NULL) {
        weft_client_destroy(c);
        weft_err(w, "cannot initialise libcurl");
        goto out;
    }
    w->client = c;
    rc = 0;
out:
    weft_config_dispose(&cfg);
    return rc;
}

/* ---- requests ----------------------------------------------------------- */

typedef struct {
    char *data;
    size_t len, cap;
} buf_t;

/* Appends to `b`; -1 when memory runs out (what the server sends can be
 * of any size: the transfer fails, the process goes on). */
static int buf_put(buf_t *b, const char *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *d = realloc(b->data, cap);
        if (d == NULL)
            return -1;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

/* buf_put for the client's own text (paths). */
static void buf_add(buf_t *b, const char *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->data = wf_xrealloc(b->data, b->cap);
    }
    buf_put(b, p, n); /* has the room now */
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    return buf_put(ud, p, size * n) == 0 ? size * n : 0; /* 0 fails the transfer */
}

static struct curl_slist *base_headers(weft_client_t *c, const char *ctype, const char *accept)
{
    struct curl_slist *h = NULL;
    if (c->auth != NULL)
        h = curl_slist_append(h, c->auth);
    h = curl_slist_append(h, accept);
    /* An empty Expect keeps libcurl from waiting for "100 Continue". */
    h = curl_slist_append(h, "Expect:");
    if (ctype != NULL) {
        char line[128];
        snprintf(line, sizeof(line), "Content-Type: %s", ctype);
        h = curl_slist_append(h, line);
    }
    return h;
}

/* The Idempotency-Key line, when the caller set one (checked printable
 * ASCII by the verb, so it cannot break the header block). */
static struct curl_slist *add_idempotency_key(const weft_t *w, struct curl_slist *h)
{
    if (w->idempotency_key == NULL)
        return h;
    char line[300];
    snprintf(line, sizeof(line), "Idempotency-Key: %s", w->idempotency_key);
    return curl_slist_append(h, line);
}

/* Frees a header list whose first entry may be the Authorization line. */
static void free_headers(struct curl_slist *h)
{
    for (struct curl_slist *x = h; x != NULL; x = x->next)
        OPENSSL_cleanse(x->data, strlen(x->data));
    curl_slist_free_all(h);
}

static void setup(weft_client_t *c, const char *method, const char *path, struct curl_slist *h)
{
    CURL *k = c->curl;
    curl_easy_reset(k);
    char *full = wf_xasprintf("%s%s", c->url, path);
    curl_easy_setopt(k, CURLOPT_URL, full);
    free(full);
    curl_easy_setopt(k, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(k, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(k, CURLOPT_USERAGENT, "weft/" PACKAGE_VERSION);
    curl_easy_setopt(k, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(k, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(k, CURLOPT_CONNECTTIMEOUT, 10L);
    /* Never follow redirects: the Authorization header would go along. */
    curl_easy_setopt(k, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(k, CURLOPT_PROTOCOLS_STR, "http,https");
    c->errbuf[0] = '\0';
}

static void finish(weft_client_t *c, buf_t *b, weft_resp_t *r)
{
    char *ct = NULL;
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_getinfo(c->curl, CURLINFO_CONTENT_TYPE, &ct);
    r->ctype = ct ? wf_xstrdup(ct) : NULL;
    r->body = b->data ? b->data : wf_xstrdup("");
    r->len = b->len;
    if (r->ctype != NULL && r->len > 0 &&
        (strncasecmp(r->ctype, "application/json", 16) == 0 ||
         strncasecmp(r->ctype, "application/problem+json", 24) == 0))
        r->json = json_loadb(r->body, r->len, 0, NULL);
}

static int conn_error(weft_t *w, CURLcode cc)
{
    weft_client_t *c = w->client;
    weft_err(w, "cannot reach %s (from %s): %s", c->url, c->source,
             c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc));
    return WEFT_EXIT_USAGE;
}

int weft_call(weft_t *w, const char *method, const char *path, const char *ctype, const char *body,
              size_t len, weft_resp_t *r)
{
    return weft_call_with(w, method, path, ctype, body, len, NULL, r);
}

int weft_call_with(weft_t *w, const char *method, const char *path, const char *ctype,
                   const char *body, size_t len, const char *const *headers, weft_resp_t *r)
{
    memset(r, 0, sizeof(*r));
    int rc = weft_connect(w);
    if (rc != 0)
        return rc;
    weft_client_t *c = w->client;
    CURL *stream = NULL;
    if (c->streaming) {
        if (c->side == NULL && (c->side = curl_easy_init()) == NULL) {
            weft_err(w, "cannot initialise libcurl");
            return WEFT_EXIT_USAGE;
        }
        stream = c->curl;
        c->curl = c->side;
    }
    struct curl_slist *h =
        add_idempotency_key(w, base_headers(c, ctype, "Accept: application/json"));
    for (size_t i = 0; headers != NULL && headers[i] != NULL; i++)
        h = curl_slist_append(h, headers[i]);
    setup(c, method, path, h);
    buf_t b = {0};
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &b);
    /* A server that accepts and never answers must not hang a CI job; log
     * streams (weft_sse) have their own, optional, limit. */
    curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, 120L);
    if (body != NULL) {
        curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    CURLcode cc = curl_easy_perform(c->curl);
    free_headers(h);
    if (cc == CURLE_WRITE_ERROR) { /* on_body: no memory for the answer */
        free(b.data);
        weft_err(w, "out of memory for the server's answer");
        rc = WEFT_EXIT_FAIL;
    } else if (cc != CURLE_OK) {
        free(b.data);
        rc = conn_error(w, cc);
    } else {
        finish(c, &b, r);
    }
    if (stream != NULL) {
        c->side = c->curl;
        c->curl = stream;
    }
    return rc;
}

/* ---- streamed transfers ------------------------------------------------- */

typedef struct {
    weft_client_t *c;
    FILE *out;
    buf_t err; /* an error answer, kept for the problem */
    long long written;
    bool failed_write;
} dl_sink_t;

static size_t on_download(char *p, size_t size, size_t n, void *ud)
{
    dl_sink_t *d = ud;
    long status = 0;
    curl_easy_getinfo(d->c->curl, CURLINFO_RESPONSE_CODE, &status);
    size_t len = size * n;
    if (status >= 300) {
        /* A problem document is small; anything past 64 KiB is not kept. */
        if (d->err.len < 65536 && buf_put(&d->err, p, len) != 0)
            return 0;
        return len;
    }
    if (fwrite(p, 1, len, d->out) != len) {
        d->failed_write = true;
        return 0;
    }
    d->written += (long long)len;
    return len;
}

int weft_download(weft_t *w, const char *path, FILE *out, weft_resp_t *r, long long *written)
{
    memset(r, 0, sizeof(*r));
    *written = 0;
    int rc = weft_connect(w);
    if (rc != 0)
        return rc;
    weft_client_t *c = w->client;
    struct curl_slist *h = base_headers(c, NULL, "Accept: */*");
    setup(c, "GET", path, h);
    dl_sink_t d = {.c = c, .out = out};
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_download);
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &d);
    /* A large file takes as long as it takes; a stalled one does not. */
    curl_easy_setopt(c->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c->curl, CURLOPT_LOW_SPEED_TIME, 60L);
    CURLcode cc = curl_easy_perform(c->curl);
    free_headers(h);
    *written = d.written;
    if (d.failed_write) {
        free(d.err.data);
        weft_err(w, "cannot write the download: %s", strerror(errno));
        return WEFT_EXIT_USAGE;
    }
    if (cc == CURLE_PARTIAL_FILE || cc == CURLE_RECV_ERROR) {
        free(d.err.data);
        weft_err(w,
                 "the download was cut short after %lld bytes (the file changed or the "
                 "server stopped): %s",
                 d.written, c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc));
        return WEFT_EXIT_USAGE;
    }
    if (cc != CURLE_OK) {
        free(d.err.data);
        return conn_error(w, cc);
    }
    finish(c, &d.err, r);
    return 0;
}

int weft_post_form(weft_t *w, const char *path, const weft_form_part_t *parts, size_t n,
                   weft_resp_t *r)
{
    memset(r, 0, sizeof(*r));
    int rc = weft_connect(w);
    if (rc != 0)
        return rc;
    weft_client_t *c = w->client;
    struct curl_slist *h =
        add_idempotency_key(w, base_headers(c, NULL, "Accept: application/json"));
    setup(c, "POST", path, h);
    curl_mime *mime = curl_mime_init(c->curl);
    for (size_t i = 0; i < n; i++) {
        curl_mimepart *part = curl_mime_addpart(mime);
        curl_mime_name(part, parts[i].name);
        if (parts[i].file != NULL) {
            /* libcurl reads the file as it sends it, sets the part's file
             * name to its base name and an application/octet-stream type. */
            if (curl_mime_filedata(part, parts[i].file) != CURLE_OK) {
                curl_mime_free(mime);
                free_headers(h);
                weft_err(w, "cannot read %s: %s", parts[i].file, strerror(errno));
                return WEFT_EXIT_USAGE;
            }
        } else {
            curl_mime_data(part, parts[i].value, CURL_ZERO_TERMINATED);
        }
    }
    curl_easy_setopt(c->curl, CURLOPT_MIMEPOST, mime);
    buf_t b = {0};
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c->curl, CURLOPT_LOW_SPEED_TIME, 120L);
    CURLcode cc = curl_easy_perform(c->curl);
    curl_mime_free(mime);
    free_headers(h);
    if (cc != CURLE_OK) {
        free(b.data);
        return conn_error(w, cc);
    }
    finish(c, &b, r);
    return 0;
}

void weft_resp_dispose(weft_resp_t *r)
{
    free(r->ctype);
    free(r->body);
    json_decref(r->json);
    memset(r, 0, sizeof(*r));
}

void weft_print_problem(const weft_t *w, const weft_resp_t *r, const char *file)
{
    const json_t *p = r->json;
    const char *title = wf_json_str(p, "title"), *detail = wf_json_str(p, "detail");
    if (p == NULL || title == NULL) {
        /* Not a problem document: show the start of whatever came back. */
        int n = r->len > 200 ? 200 : (int)r->len;
        weft_err(w, "the server answered %ld%s%.*s", r->status, n ? ": " : "", n, r->body);
        return;
    }
    weft_err(w, "%s (%ld)%s%s", title, r->status, detail ? ": " : "", detail ? detail : "");
    const char *reason = wf_json_str(p, "reason");
    if (reason != NULL)
        fprintf(stderr, "  reason: %s\n", reason);
    json_t *errors = json_object_get(p, "errors");
    size_t i;
    json_t *e;
    json_array_foreach(errors, i, e)
    {
        const char *path = wf_json_str(e, "path"), *msg = wf_json_str(e, "message"),
                   *note = wf_json_str(e, "note");
        json_int_t line = json_integer_value(json_object_get(e, "line"));
        json_int_t col = json_integer_value(json_object_get(e, "col"));
        const char *f = file ? file : wf_json_str(e, "file");
        if (line > 0)
            fprintf(stderr, "%s:%lld:%lld: error: ", f ? f : "-", (long long)line, (long long)col);
        else
            fprintf(stderr, "  error: ");
        fprintf(stderr, "%s%s%s\n", path && path[0] ? path : "", path && path[0] ? ": " : "",
                msg ? msg : "");
        if (note != NULL)
            fprintf(stderr, "  note: %s\n", note);
    }
    if (r->status == 401 && w->client != NULL) {
        if (w->client->tok_source[0] != '\0')
            fprintf(stderr,
                    "  hint: the token from %s was refused; check it or run "
                    "'weft login --url URL --token-stdin'\n",
                    w->client->tok_source);
        else
            fprintf(stderr, "  hint: no token was sent; set WEFT_TOKEN or run "
                            "'weft login --url URL --token-stdin'\n");
    }
}

int weft_request(weft_t *w, const char *method, const char *path, const json_t *body,
                 weft_resp_t *r)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    int rc = weft_call(w, method, path, body ? "application/json" : NULL, text,
                       text ? strlen(text) : 0, r);
    free(text);
    if (rc != 0)
        return rc;
    if (r->status >= 400) {
        weft_print_problem(w, r, NULL);
        return WEFT_EXIT_FAIL;
    }
    return 0;
}

int weft_get_all(weft_t *w, const char *path, json_t **out)
{
    json_t *all = json_array();
    int rc = 0;
    for (int page = 1;; page++) {
        char *p = wf_xasprintf("%s%cpage=%d&size=500", path, strchr(path, '?') ? '&' : '?', page);
        weft_resp_t r;
        rc = weft_request(w, "GET", p, NULL, &r);
        free(p);
        if (rc != 0) {
            weft_resp_dispose(&r);
            break;
        }
        json_t *results = json_object_get(r.json, "results");
        json_int_t total = json_integer_value(json_object_get(r.json, "total"));
        json_array_extend(all, results);
        size_t got = json_array_size(results);
        weft_resp_dispose(&r);
        if (got == 0 || (json_int_t)json_array_size(all) >= total)
            break;
    }
    if (rc != 0) {
        json_decref(all);
        all = NULL;
    }
    *out = all;
    return rc;
}

/* ---- server-sent events ------------------------------------------------- */

typedef struct {
    weft_t *w;
    weft_sse_fn fn;
    void *ud;
    long status;
    buf_t line; /* current partial line */
    buf_t data; /* data of the event being read */
    buf_t err;  /* body of an error answer */
    char event[64];
    int stop;   /* fn's non-zero answer */
    bool nomem; /* the stream did not fit in memory */
} sse_t;

static void sse_line(sse_t *s, const char *l, size_t n)
{
    if (n == 0) { /* blank line: dispatch */
        if (s->data.len > 0 || s->event[0] != '\0') {
            s->stop =
                s->fn(s->ud, s->event[0] ? s->event : "message", s->data.data ? s->data.data : "");
        }
        s->data.len = 0;
        if (s->data.data)
            s->data.data[0] = '\0';
        s->event[0] = '\0';
        return;
    }
    if (l[0] == ':')
        return; /* comment (keep-alive) */
    const char *colon = memchr(l, ':', n);
    size_t klen = colon ? (size_t)(colon - l) : n;
    const char *v = colon ? colon + 1 : l + n;
    if (v < l + n && *v == ' ')
        v++;
    size_t vlen = (size_t)(l + n - v);
    if (klen == 5 && memcmp(l, "event", 5) == 0) {
        snprintf(s->event, sizeof(s->event), "%.*s", (int)vlen, v);
    } else if (klen == 4 && memcmp(l, "data", 4) == 0) {
        if ((s->data.len > 0 && buf_put(&s->data, "\n", 1) != 0) || buf_put(&s->data, v, vlen) != 0)
            s->nomem = true;
    }
}

static size_t on_sse(char *p, size_t size, size_t n, void *ud)
{
    sse_t *s = ud;
    size_t total = size * n;
    if (s->status == 0)
        curl_easy_getinfo(s->w->client->curl, CURLINFO_RESPONSE_CODE, &s->status);
    if (s->status >= 300)
        return buf_put(&s->err, p, total) == 0 ? total : 0;
    for (size_t i = 0; i < total && !s->stop && !s->nomem; i++) {
        if (p[i] == '\n') {
            size_t len = s->line.len;
            if (len > 0 && s->line.data[len - 1] == '\r')
                len--;
            sse_line(s, s->line.data ? s->line.data : "", len);
            s->line.len = 0;
        } else {
            s->nomem = buf_put(&s->line, &p[i], 1) != 0;
        }
    }
    return s->stop || s->nomem ? 0 : total; /* 0 aborts the transfer */
}

int weft_sse(weft_t *w, const char *path, double timeout_s, weft_sse_fn fn, void *ud)
{
    int rc = weft_connect(w);
    if (rc != 0)
        return rc;
    weft_client_t *c = w->client;
    struct curl_slist *h = base_headers(c, NULL, "Accept: text/event-stream");
    setup(c, "GET", path, h);
    sse_t s = {.w = w, .fn = fn, .ud = ud};
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_sse);
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &s);
    if (timeout_s > 0)
        curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, (long)(timeout_s * 1000));
    c->streaming = true;
    CURLcode cc = curl_easy_perform(c->curl);
    c->streaming = false;
    free_headers(h);
    if (s.stop != 0) {
        rc = s.stop;
    } else if (s.nomem || cc == CURLE_WRITE_ERROR) {
        weft_err(w, "out of memory for the server's answer");
        rc = WEFT_EXIT_FAIL;
    } else if (cc == CURLE_OPERATION_TIMEDOUT && timeout_s > 0 && s.status < 300) {
        rc = WEFT_SSE_TIMEOUT;
    } else if (cc != CURLE_OK) {
        rc = conn_error(w, cc);
    } else if (s.status >= 300) {
        weft_resp_t r = {0};
        buf_t empty = {0};
        finish(c, &empty, &r);
        free(r.body);
        r.body = s.err.data ? s.err.data : wf_xstrdup("");
        r.len = s.err.len;
        s.err.data = NULL;
        r.json = json_loadb(r.body, r.len, 0, NULL);
        weft_print_problem(w, &r, NULL);
        weft_resp_dispose(&r);
        rc = WEFT_EXIT_FAIL;
    }
    free(s.line.data);
    free(s.data.data);
    free(s.err.data);
    return rc;
}

/* ---- paths -------------------------------------------------------------- */

static void put_escaped(buf_t *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.' || ch == '~') {
            buf_add(b, (const char *)&ch, 1);
        } else {
            char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            buf_add(b, e, 3);
        }
    }
}

/* weft_pathf and weft_pathv: the %s arguments come from `ap`, or from
 * `args` in order when it is set. */
static char *build_path(const char *fmt, va_list *ap, char *const *args)
{
    buf_t b = {0};
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            buf_add(&b, p, 1);
            continue;
        }
        p++;
        if (*p == 's') {
            put_escaped(&b, args ? *args++ : va_arg(*ap, const char *));
        } else if (*p == 'd' && args == NULL) {
            char n[24];
            snprintf(n, sizeof(n), "%d", va_arg(*ap, int));
            buf_add(&b, n, strlen(n));
        } else if (*p == '%') {
            buf_add(&b, "%", 1);
        } else {
            abort(); /* a programming error, not input */
        }
    }
    return b.data ? b.data : wf_xstrdup("");
}

char *weft_pathf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *path = build_path(fmt, &ap, NULL);
    va_end(ap);
    return path;
}

char *weft_pathv(const char *fmt, char *const *args)
{
    return build_path(fmt, NULL, args);
}

int weft_download_to(weft_t *w, const char *path, const char *target, long long *written)
{
    char *tmp = NULL;
    FILE *out = stdout;
    if (target != NULL) {
        tmp = wf_xasprintf("%s.weft-part-XXXXXX", target);
        int fd = mkstemp(tmp);
        if (fd < 0 || (out = fdopen(fd, "wb")) == NULL) {
            weft_err(w, "cannot write beside %s: %s", target, strerror(errno));
            if (fd >= 0) {
                close(fd);
                unlink(tmp);
            }
            free(tmp);
            return WEFT_EXIT_USAGE;
        }
    }
    weft_resp_t r = {0};
    int rc = weft_download(w, path, out, &r, written);
    if (rc == 0 && r.status >= 300) {
        weft_print_problem(w, &r, NULL);
        rc = WEFT_EXIT_FAIL;
    }
    weft_resp_dispose(&r);
    if (target != NULL) {
        if (fclose(out) != 0 && rc == 0) {
            weft_err(w, "cannot write %s: %s", target, strerror(errno));
            rc = WEFT_EXIT_USAGE;
        }
        if (rc == 0 && rename(tmp, target) != 0) {
            weft_err(w, "cannot write %s: %s", target, strerror(errno));
            rc = WEFT_EXIT_USAGE;
        }
        if (rc != 0)
            unlink(tmp);
        free(tmp);
    } else if (fflush(stdout) != 0 && rc == 0) {
        weft_err(w, "cannot write to standard output: %s", strerror(errno));
        rc = WEFT_EXIT_USAGE;
    }
    return rc;
}
