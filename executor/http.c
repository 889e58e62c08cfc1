/* io.kestra.plugin.core.http.Request: libcurl's multi socket interface driven
 * by the executor's epoll loop (curl tells us which sockets to watch and when
 * to call it back; no blocking transfer, no thread per task).
 *
 * Egress: curl never follows a redirect itself. Each hop (the first URL and
 * every Location) is parsed with curl's own URL parser, the handle is given
 * that parsed URL (so the host we check is the host curl connects to), the
 * scheme must be http or https, and (host, port) goes through
 * wf_egress_allowed; the address a name resolves to is checked again when
 * curl opens the socket (wf_egress_addr_allowed). Proxies from the
 * environment are ignored. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "executor/egress.h"
#include "executor/filetasks.h"
#include "tenants/policy.h"
#include "executor/net.h"
#include "executor/proc.h"
#include "flow/time.h"
#include "platform/log.h"
#include "platform/xmalloc.h"
#include "platform/text.h"

#define MAX_REDIRECTS 10

typedef struct http_job http_job_t;

/* One field of a multipart/form-data body: text, or a stored file fetched
 * into an anonymous temporary file and streamed from there. */
typedef struct form_part {
    char *name;
    char *value;    /* text part, or the file name of a file part */
    int fd;         /* file part: its content; -1 for text */
    int64_t size, pos;
} form_part_t;

/* One executor's transfers. */
struct wf_xhttp {
    wf_executor_t *ex;
    CURLM *multi;
    wf_timer_t timer;
    http_job_t *jobs; /* live jobs */
};

/* A socket curl asked us to watch. */
typedef struct sock_watch {
    wf_io_t io;
    curl_socket_t s;
    struct wf_xhttp *h;
} sock_watch_t;

struct http_job {
    struct wf_xhttp *h;
    wf_trun_t *tr;
    http_job_t *next;
    CURL *easy;
    CURLU *url;
    struct curl_slist *headers;        /* every header of the task */
    struct curl_slist *headers_other;  /* without credentials, for other origins */
    char origin_host[256];              /* where credentials may go */
    int origin_port;
    wf_egress_ctx_t eg;
    char host[256]; /* current hop, as checked */
    int port;
    char method[16];
    char *body; /* request body (may be NULL) */
    size_t body_len;
    char *user, *password, *bearer; /* wiped on free */
    /* http.Download: the body goes to this anonymous file, then to the
     * store; -1 for http.Request (the body is kept as an output). */
    int sink_fd;
    bool fail_on_empty;
    /* multipart/form-data: the parts, built again on every hop (a mime
     * handle belongs to one easy handle); file parts read from `fd`. */
    struct form_part *parts;
    size_t n_parts;
    curl_mime *mime;
    bool follow, allow_failed;
    int redirects;
    int64_t max_body;
    int64_t connect_ms, read_idle_ms, timeout_ms;
    /* Response of the current hop. */
    char *buf;
    size_t len, cap;
    bool too_big;
    json_t *resp_headers;
    char refused[512]; /* why the socket was refused, "" when not */
    char errbuf[CURL_ERROR_SIZE];
    wf_timer_t timeout_timer, kill_timer;
    bool killed;
};

/* ---- the loop side ---------------------------------------------------------- */

static void process_done(struct wf_xhttp *h);

static void on_sock(wf_io_t *io, uint32_t events)
{
    sock_watch_t *w = io->arg;
    struct wf_xhttp *h = w->h;
    curl_socket_t s = w->s; /* `w` may be freed inside socket_action */
    int flags = 0, running;
    if (events & EPOLLIN)
        flags |= CURL_CSELECT_IN;
    if (events & EPOLLOUT)
        flags |= CURL_CSELECT_OUT;
    if (events & (EPOLLERR | EPOLLHUP))
        flags |= CURL_CSELECT_ERR;
    curl_multi_socket_action(h->multi, s, flags, &running);
    process_done(h);
}

static int sock_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    (void)easy;
    struct wf_xhttp *h = userp;
    sock_watch_t *w = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (w != NULL) {
            wf_loop_io_del(h->ex->loop, &w->io);
            curl_multi_assign(h->multi, s, NULL);
            free(w);
        }
        return 0;
    }
    uint32_t ev = ((what & CURL_POLL_IN) ? EPOLLIN : 0) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0);
    if (w == NULL) {
        w = wf_xcalloc(1, sizeof(*w));
        w->s = s;
        w->h = h;
        if (wf_loop_io_add(h->ex->loop, &w->io, s, ev, on_sock, w) != 0) {
            free(w);
            return -1;
        }
        curl_multi_assign(h->multi, s, w);
        return 0;
    }
    return wf_loop_io_mod(h->ex->loop, &w->io, ev) == 0 ? 0 : -1;
}

static void on_timer(wf_timer_t *t)
{
    struct wf_xhttp *h = t->arg;
    int running;
    curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    process_done(h);
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    struct wf_xhttp *h = userp;
    if (timeout_ms < 0)
        wf_loop_timer_cancel(h->ex->loop, &h->timer);
    else
        wf_loop_timer_arm(h->ex->loop, &h->timer, timeout_ms, on_timer, h);
    return 0;
}

static struct wf_xhttp *http_ctx(wf_executor_t *ex)
{
    if (ex->http != NULL)
        return ex->http;
    struct wf_xhttp *h = wf_xcalloc(1, sizeof(*h));
    curl_global_init(CURL_GLOBAL_DEFAULT);
    h->ex = ex;
    h->multi = curl_multi_init();
    if (h->multi == NULL) {
        free(h);
        return NULL;
    }
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
    curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, 16L);
    ex->http = h;
    return h;
}

void wf_xhttp_shutdown(wf_executor_t *ex)
{
    struct wf_xhttp *h = ex->http;
    if (h == NULL)
        return;
    wf_loop_timer_cancel(ex->loop, &h->timer);
    curl_multi_cleanup(h->multi); /* REMOVE callbacks free the socket watches */
    free(h);
    ex->http = NULL;
}

/* ---- one job ------------------------------------------------------------------ */

static void wipe_free(char *s)
{
    if (s != NULL) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

static void hop_release(http_job_t *j)
{
    if (j->easy != NULL) {
        curl_multi_remove_handle(j->h->multi, j->easy);
        curl_easy_cleanup(j->easy);
        j->easy = NULL;
    }
    /* After the handle that used it. */
    curl_mime_free(j->mime);
    j->mime = NULL;
    if (j->url != NULL) {
        curl_url_cleanup(j->url);
        j->url = NULL;
    }
}

static void free_parts(http_job_t *j)
{
    for (size_t i = 0; i < j->n_parts; i++) {
        free(j->parts[i].name);
        free(j->parts[i].value);
        if (j->parts[i].fd >= 0)
            close(j->parts[i].fd);
    }
    free(j->parts);
    j->parts = NULL;
    j->n_parts = 0;
}

static void job_free(http_job_t *j)
{
    wf_loop_t *loop = j->h->ex->loop;
    wf_loop_timer_cancel(loop, &j->timeout_timer);
    wf_loop_timer_cancel(loop, &j->kill_timer);
    hop_release(j);
    for (http_job_t **p = &j->h->jobs; *p; p = &(*p)->next)
        if (*p == j) {
            *p = j->next;
            break;
        }
    curl_slist_free_all(j->headers);
    curl_slist_free_all(j->headers_other);
    free_parts(j);
    if (j->sink_fd >= 0)
        close(j->sink_fd);
    free(j->body);
    wipe_free(j->user);
    wipe_free(j->password);
    wipe_free(j->bearer);
    free(j->buf);
    json_decref(j->resp_headers);
    wf_policy_destroy((wf_policy_t *)j->eg.policy);
    free(j);
}

/* Ends the attempt. Consumes `outs`. */
static void job_report(http_job_t *j, wf_state_t st, json_t *outs, const char *error)
{
    wf_executor_t *ex = j->h->ex;
    wf_trun_t *tr = j->tr;
    job_free(j);
    wf_xproc_job_done(ex, tr, st, outs, error);
    json_decref(outs);
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    http_job_t *j = arg;
    size_t len = size * n;
    if ((int64_t)(j->len + len) > j->max_body) {
        j->too_big = true;
        return 0; /* aborts the transfer */
    }
    if (j->sink_fd >= 0) { /* Download: straight to the temporary file */
        for (size_t done = 0; done < len;) {
            ssize_t w = write(j->sink_fd, data + done, len - done);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                snprintf(j->refused, sizeof(j->refused),
                         "cannot write the downloaded file in the work area: %s",
                         w < 0 ? strerror(errno) : "short write");
                return 0;
            }
            done += (size_t)w;
        }
        j->len += len;
        return len;
    }
    if (j->len + len + 1 > j->cap) {
        size_t cap = j->cap ? j->cap : 4096;
        while (cap < j->len + len + 1)
            cap *= 2;
        char *b = realloc(j->buf, cap);
        if (b == NULL)
            return 0;
        j->buf = b;
        j->cap = cap;
    }
    memcpy(j->buf + j->len, data, len);
    j->len += len;
    j->buf[j->len] = '\0';
    return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
    http_job_t *j = arg;
    size_t len = size * n;
    if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        /* A new response (after 100 Continue, or a new hop): start over. */
        json_object_clear(j->resp_headers);
        return len;
    }
    const char *colon = memchr(data, ':', len);
    if (colon == NULL)
        return len;
    size_t nl = (size_t)(colon - data);
    if (nl == 0 || nl > 200)
        return len;
    char name[201];
    for (size_t i = 0; i < nl; i++)
        name[i] = (char)(data[i] >= 'A' && data[i] <= 'Z' ? data[i] + 32 : data[i]);
    name[nl] = '\0';
    const char *v = colon + 1, *end = data + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    json_t *val = json_stringn(v, (size_t)(end - v));
    if (val == NULL)
        return len; /* not UTF-8: dropped */
    json_t *arr = json_object_get(j->resp_headers, name);
    if (arr == NULL) {
        arr = json_array();
        json_object_set_new(j->resp_headers, name, arr);
    }
    json_array_append_new(arr, val);
    return len;
}

/* Called by curl for every address it is about to connect to. */
static curl_socket_t on_open(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
    http_job_t *j = arg;
    (void)purpose;
    char why[512];
    if (wf_egress_addr_allowed(&j->eg, j->host, j->port, &a->addr, why, sizeof(why)) != 1) {
        snprintf(j->refused, sizeof(j->refused), "%s", why);
        return CURL_SOCKET_BAD;
    }
    /* Close-on-exec: sandboxes are started from this process. */
    return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/* A file part's content, read from its temporary file. */
static size_t part_read(char *buf, size_t size, size_t n, void *arg)
{
    form_part_t *p = arg;
    size_t want = size * n;
    if ((int64_t)want > p->size - p->pos)
        want = (size_t)(p->size - p->pos);
    if (want == 0)
        return 0;
    ssize_t r = pread(p->fd, buf, want, p->pos);
    if (r <= 0)
        return CURL_READFUNC_ABORT;
    p->pos += r;
    return (size_t)r;
}

static int part_seek(void *arg, curl_off_t offset, int origin)
{
    form_part_t *p = arg;
    if (origin != SEEK_SET || offset < 0 || offset > p->size)
        return CURL_SEEKFUNC_FAIL;
    p->pos = offset;
    return CURL_SEEKFUNC_OK;
}

/* The multipart body of this hop, from j->parts. */
static int build_mime(http_job_t *j, char *err, size_t errlen)
{
    j->mime = curl_mime_init(j->easy);
    if (j->mime == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < j->n_parts; i++) {
        form_part_t *p = &j->parts[i];
        curl_mimepart *mp = curl_mime_addpart(j->mime);
        if (mp == NULL || curl_mime_name(mp, p->name) != CURLE_OK) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        CURLcode rc;
        if (p->fd < 0) {
            rc = curl_mime_data(mp, p->value, CURL_ZERO_TERMINATED);
        } else {
            p->pos = 0;
            rc = curl_mime_data_cb(mp, (curl_off_t)p->size, part_read, part_seek, NULL, p);
            if (rc == CURLE_OK)
                rc = curl_mime_filename(mp, p->value);
            if (rc == CURLE_OK)
                rc = curl_mime_type(mp, "application/octet-stream");
        }
        if (rc != CURLE_OK) {
            snprintf(err, errlen, "formData '%s': %s", p->name, curl_easy_strerror(rc));
            return -1;
        }
    }
    curl_easy_setopt(j->easy, CURLOPT_MIMEPOST, j->mime);
    return 0;
}

/* Sets up and starts one hop to `uri`. Returns 0, or -1 with `err`. */
static int hop_start(http_job_t *j, const char *uri, char *err, size_t errlen)
{
    hop_release(j);
    j->len = 0;
    j->too_big = false;
    if (j->sink_fd >= 0 && (ftruncate(j->sink_fd, 0) != 0 || lseek(j->sink_fd, 0, SEEK_SET) != 0)) {
        snprintf(err, errlen, "cannot reset the download file: %s", strerror(errno));
        return -1;
    }
    j->refused[0] = '\0';
    j->errbuf[0] = '\0';
    json_object_clear(j->resp_headers);
    j->url = curl_url();
    if (j->url == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    CURLUcode uc = curl_url_set(j->url, CURLUPART_URL, uri, 0);
    if (uc != CURLUE_OK) {
        snprintf(err, errlen, "invalid uri '%s': %s", uri, curl_url_strerror(uc));
        return -1;
    }
    char *scheme = NULL, *host = NULL, *port = NULL;
    int rc = -1;
    curl_url_get(j->url, CURLUPART_SCHEME, &scheme, 0);
    curl_url_get(j->url, CURLUPART_HOST, &host, 0);
    curl_url_get(j->url, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
    if (scheme == NULL || (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0)) {
        snprintf(err, errlen, "uri '%s': only http and https are allowed, not %s", uri,
                 scheme ? scheme : "this scheme");
        goto out;
    }
    if (host == NULL || port == NULL) {
        snprintf(err, errlen, "uri '%s' has no host", uri);
        goto out;
    }
    snprintf(j->host, sizeof(j->host), "%s", host);
    j->port = atoi(port);
    if (wf_egress_allowed(&j->eg, j->host, j->port, err, errlen) != 1)
        goto out;
    CURL *e = j->easy = curl_easy_init();
    if (e == NULL) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    curl_easy_setopt(e, CURLOPT_CURLU, j->url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_PROXY, ""); /* never a proxy from the environment */
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PRIVATE, j);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, j->errbuf);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, j);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, j);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, j);
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)j->max_body);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "weft");
    /* Credentials stay with the origin of the first URL (a redirect to
     * another host or port does not carry them). */
    if (j->origin_host[0] == '\0') {
        snprintf(j->origin_host, sizeof(j->origin_host), "%s", j->host);
        j->origin_port = j->port;
    }
    bool creds = j->origin_port == j->port && strcasecmp(j->origin_host, j->host) == 0;
    if (j->connect_ms > 0)
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)j->connect_ms);
    if (j->read_idle_ms > 0) {
        curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)((j->read_idle_ms + 999) / 1000));
    }
    if (creds ? j->headers != NULL : j->headers_other != NULL)
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, creds ? j->headers : j->headers_other);
    if (!creds) {
        /* nothing */
    } else if (j->user || j->password) {
        curl_easy_setopt(e, CURLOPT_USERNAME, j->user ? j->user : "");
        curl_easy_setopt(e, CURLOPT_PASSWORD, j->password ? j->password : "");
        curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    } else if (j->bearer) {
        curl_easy_setopt(e, CURLOPT_XOAUTH2_BEARER, j->bearer);
        curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
    }
    if (j->n_parts > 0) {
        if (build_mime(j, err, errlen) != 0)
            goto out;
        if (strcmp(j->method, "POST") != 0)
            curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, j->method);
    } else if (strcmp(j->method, "HEAD") == 0) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else if (strcmp(j->method, "GET") != 0 || j->body != NULL) {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, j->method);
        if (j->body != NULL || strcmp(j->method, "POST") == 0) {
            curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)j->body_len);
            curl_easy_setopt(e, CURLOPT_POSTFIELDS, j->body ? j->body : "");
        }
    }
    if (curl_multi_add_handle(j->h->multi, e) != CURLM_OK) {
        snprintf(err, errlen, "cannot start the transfer");
        goto out;
    }
    rc = 0;
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    return rc;
}

/* The last component of the URL's path, cleaned to a file name ("orders.csv"),
 * or "download". */
static void download_name(const char *url, char *out, size_t len)
{
    const char *p = strstr(url, "://");
    p = p ? strchr(p + 3, '/') : NULL;
    size_t n = p ? strcspn(p, "?#") : 0;
    const char *end = p ? p + n : NULL, *start = end;
    while (start && start > p && start[-1] != '/')
        start--;
    size_t k = 0;
    for (const char *c = start; c && c < end && k + 1 < len && k < 100; c++) {
        bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                  (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' || *c == '-';
        out[k++] = ok ? *c : '_';
    }
    out[k] = '\0';
    if (k == 0 || strspn(out, ".") == k)
        snprintf(out, len, "download");
}

/* http.Download: the body is in the sink; store it as the task's file. */
static void download_done(http_job_t *j, long code, const char *eff)
{
    char err[800];
    if ((code < 200 || code >= 300) && !j->allow_failed) {
        snprintf(err, sizeof(err), "download from %s failed with response code %ld",
                 eff ? eff : j->host, code);
        job_report(j, WF_ST_FAILED, NULL, err);
        return;
    }
    if (j->len == 0 && j->fail_on_empty) {
        snprintf(err, sizeof(err),
                 "download from %s returned an empty body (failOnEmptyResponse: false allows it)",
                 eff ? eff : j->host);
        job_report(j, WF_ST_FAILED, NULL, err);
        return;
    }
    char name[128], *uri = NULL;
    int64_t size = 0;
    download_name(eff ? eff : "", name, sizeof(name));
    const char *ct = NULL;
    json_t *cts = json_object_get(j->resp_headers, "content-type");
    if (json_is_array(cts) && json_is_string(json_array_get(cts, 0)))
        ct = json_string_value(json_array_get(cts, 0));
    if (wf_xft_store_fd(j->h->ex, j->tr, name, j->sink_fd, ct, &uri, &size, err, sizeof(err)) !=
        0) {
        job_report(j, WF_ST_FAILED, NULL, err);
        return;
    }
    json_t *outs = json_pack("{s:s,s:i,s:O,s:I}", "uri", uri, "code", (int)code, "headers",
                             j->resp_headers, "length", (json_int_t)size);
    free(uri);
    job_report(j, WF_ST_SUCCESS, outs, NULL);
}

/* The current hop ended with `res`: redirect, succeed or fail. */
static void hop_done(http_job_t *j, CURLcode res)
{
    char err[700];
    if (res != CURLE_OK) {
        if (j->refused[0])
            snprintf(err, sizeof(err), "%s", j->refused);
        else if (j->too_big || res == CURLE_FILESIZE_EXCEEDED)
            snprintf(err, sizeof(err), "response body of %s is larger than %lld bytes (%s)",
                     j->host, (long long)j->max_body,
                     j->sink_fd >= 0 ? "options.maxContentLength / the storage file size limit"
                                     : "options.maxContentLength / executor.http_max_body");
        else
            snprintf(err, sizeof(err), "request to %s:%d failed: %s", j->host, j->port,
                     j->errbuf[0] ? j->errbuf : curl_easy_strerror(res));
        job_report(j, WF_ST_FAILED, NULL, err);
        return;
    }
    long code = 0;
    char *eff = NULL, *loc = NULL;
    curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_getinfo(j->easy, CURLINFO_EFFECTIVE_URL, &eff);
    curl_easy_getinfo(j->easy, CURLINFO_REDIRECT_URL, &loc);
    if (j->follow && code >= 300 && code < 400 && loc != NULL) {
        if (++j->redirects > MAX_REDIRECTS) {
            snprintf(err, sizeof(err), "more than %d redirects", MAX_REDIRECTS);
            job_report(j, WF_ST_FAILED, NULL, err);
            return;
        }
        char *next = strdup(loc);
        char old_host[256];
        int old_port = j->port;
        snprintf(old_host, sizeof(old_host), "%s", j->host);
        /* 303 always becomes GET; 301/302 turn POST into GET (as browsers
         * and curl do); 307/308 keep the method and body. */
        if (code == 303 || ((code == 301 || code == 302) && strcmp(j->method, "POST") == 0)) {
            if (strcmp(j->method, "HEAD") != 0)
                snprintf(j->method, sizeof(j->method), "GET");
            free(j->body);
            j->body = NULL;
            j->body_len = 0;
            free_parts(j);
        }
        char herr[600];
        int rc = next ? hop_start(j, next, herr, sizeof(herr)) : -1;
        if (rc != 0) {
            /* A long Location can fill the message: it then ends in "..." */
            int n = snprintf(err, sizeof(err), "redirect from %s:%d to %s: %s", old_host,
                             old_port, next ? next : "?", next ? herr : "out of memory");
            if (n < 0 || (size_t)n >= sizeof(err))
                memcpy(err + sizeof(err) - 4, "...", 4);
            free(next);
            job_report(j, WF_ST_FAILED, NULL, err);
            return;
        }
        free(next);
        return;
    }
    if (j->sink_fd >= 0) {
        download_done(j, code, eff);
        return;
    }
    json_t *body = j->len == 0 ? json_string("") : json_stringn(j->buf ? j->buf : "", j->len);
    if (body == NULL || memchr(j->buf ? j->buf : "", '\0', j->len) != NULL) {
        json_decref(body);
        snprintf(err, sizeof(err),
                 "response body of %s (%zu bytes) is not UTF-8 text and cannot be an output",
                 j->host, j->len);
        job_report(j, WF_ST_FAILED, NULL, err);
        return;
    }
    json_t *outs = json_pack("{s:s,s:i,s:O,s:o,s:I}", "uri", eff ? eff : "", "code", (int)code,
                             "headers", j->resp_headers, "body", body, "length",
                             (json_int_t)j->len);
    if (code >= 200 && code < 300) {
        job_report(j, WF_ST_SUCCESS, outs, NULL);
        return;
    }
    if (j->allow_failed) {
        job_report(j, WF_ST_SUCCESS, outs, NULL);
        return;
    }
    snprintf(err, sizeof(err), "request to %s failed with response code %ld", eff ? eff : j->host,
             code);
    job_report(j, WF_ST_FAILED, outs, err);
}

static void process_done(struct wf_xhttp *h)
{
    /* One message at a time: handling one may remove other handles, and
     * curl drops the pending messages of a removed handle. */
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE)
            continue;
        CURL *easy = m->easy_handle;
        CURLcode res = m->data.result;
        http_job_t *j = NULL;
        for (http_job_t *k = h->jobs; k; k = k->next)
            if (k->easy == easy)
                j = k;
        if (j != NULL && !j->killed)
            hop_done(j, res);
    }
}

static void on_timeout(wf_timer_t *t)
{
    http_job_t *j = t->arg;
    char err[200];
    snprintf(err, sizeof(err), "timed out after %lld ms", (long long)j->timeout_ms);
    job_report(j, WF_ST_FAILED, NULL, err);
}

static void on_killed(wf_timer_t *t)
{
    http_job_t *j = t->arg;
    job_report(j, WF_ST_KILLED, NULL, NULL);
}

static void job_kill(void *arg)
{
    http_job_t *j = arg;
    if (j->killed)
        return;
    j->killed = true;
    hop_release(j); /* the transfer stops now */
    wf_loop_timer_cancel(j->h->ex->loop, &j->timeout_timer);
    wf_loop_timer_arm(j->h->ex->loop, &j->kill_timer, 0, on_killed, j);
}

static void job_abandon(void *arg)
{
    job_free(arg);
}

static const wf_xproc_job_ops_t http_ops = {job_kill, job_abandon};

/* ---- properties --------------------------------------------------------------- */

static int duration_of(json_t *o, const char *k, int64_t *ms, char *err, size_t len)
{
    const char *s = wf_json_str(o, k);
    *ms = 0;
    if (s == NULL)
        return 0;
    char msg[200];
    if (wf_duration_parse(s, ms, msg, sizeof(msg)) != 0) {
        snprintf(err, len, "options.%s: %s", k, msg);
        return -1;
    }
    return 0;
}

static bool header_safe(const char *s)
{
    return strpbrk(s, "\r\n") == NULL;
}

/* Scalars as text (numbers and booleans too, as a template would print them). */
static char *text_of(json_t *v)
{
    if (json_is_string(v))
        return strdup(json_string_value(v));
    return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
}

/* formData as application/x-www-form-urlencoded. */
static char *form_encode(CURL *esc, json_t *form)
{
    size_t cap = 256, len = 0;
    char *out = malloc(cap);
    if (out == NULL)
        return NULL;
    out[0] = '\0';
    const char *k;
    json_t *v;
    json_object_foreach(form, k, v) {
        char *tv = text_of(v);
        char *ek = curl_easy_escape(esc, k, 0), *ev = tv ? curl_easy_escape(esc, tv, 0) : NULL;
        free(tv);
        if (ek == NULL || ev == NULL) {
            curl_free(ek);
            curl_free(ev);
            free(out);
            return NULL;
        }
        size_t need = len + strlen(ek) + strlen(ev) + 3;
        if (need > cap) {
            while (cap < need)
                cap *= 2;
            char *n = realloc(out, cap);
            if (n == NULL) {
                curl_free(ek);
                curl_free(ev);
                free(out);
                return NULL;
            }
            out = n;
        }
        len += (size_t)sprintf(out + len, "%s%s=%s", len ? "&" : "", ek, ev);
        curl_free(ek);
        curl_free(ev);
    }
    return out;
}

static int add_header(http_job_t *j, const char *name, const char *value, char *err,
                      size_t len)
{
    if (!header_safe(name) || !header_safe(value) || strchr(name, ':') != NULL || !name[0]) {
        snprintf(err, len, "header '%s': names and values may not contain ':' (names), CR or LF",
                 name);
        return -1;
    }
    char *line = NULL;
    if (asprintf(&line, value[0] ? "%s: %s" : "%s;", name, value) < 0)
        return -1;
    struct curl_slist *n = curl_slist_append(j->headers, line);
    if (n == NULL) {
        free(line);
        return -1;
    }
    j->headers = n;
    if (strcasecmp(name, "Authorization") != 0 && strcasecmp(name, "Cookie") != 0 &&
        strcasecmp(name, "Proxy-Authorization") != 0) {
        n = curl_slist_append(j->headers_other, line);
        if (n == NULL) {
            free(line);
            return -1;
        }
        j->headers_other = n;
    }
    free(line);
    return 0;
}

/* The last component of a storage URI, for a file part's file name. */
static const char *uri_basename(const char *uri)
{
    const char *slash = strrchr(uri, '/');
    return slash && slash[1] ? slash + 1 : "file";
}

/* formData for multipart/form-data: a value that is an internal storage URI
 * becomes a file part (its content fetched into a temporary file now, then
 * streamed by curl); anything else a text part. */
static int read_parts(http_job_t *j, json_t *form, char *err, size_t len)
{
    wf_executor_t *ex = j->h->ex;
    size_t n = json_object_size(form);
    j->parts = wf_xcalloc(n, sizeof(*j->parts));
    const char *k;
    json_t *v;
    json_object_foreach(form, k, v) {
        form_part_t *p = &j->parts[j->n_parts++];
        p->fd = -1;
        p->name = wf_xstrdup(k);
        if (json_is_string(v) && wf_xft_is_uri(json_string_value(v))) {
            const char *uri = json_string_value(v);
            char why[600];
            p->value = wf_xstrdup(uri_basename(uri));
            p->fd = wf_xft_tmpfile(ex, why, sizeof(why));
            if (p->fd < 0 ||
                wf_xft_fetch(ex, j->tr, uri, p->fd, &p->size, why, sizeof(why)) != 0) {
                snprintf(err, len, "formData '%s': %s", k, why);
                return -1;
            }
            continue;
        }
        p->value = text_of(v);
        if (p->value == NULL) {
            snprintf(err, len, "formData '%s': cannot encode the value", k);
            return -1;
        }
    }
    return 0;
}

static int read_props(http_job_t *j, json_t *props, char *err, size_t len)
{
    wf_executor_t *ex = j->h->ex;
    const char *m = wf_json_str(props, "method");
    snprintf(j->method, sizeof(j->method), "%s", m ? m : "GET");
    for (char *p = j->method; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 32);
    json_t *opts = json_object_get(props, "options");
    if (opts != NULL && !json_is_object(opts)) {
        snprintf(err, len, "options must be a map");
        return -1;
    }
    j->allow_failed = wf_json_bool(props, "allowFailed", wf_json_bool(opts, "allowFailed", false));
    j->follow = wf_json_bool(opts, "followRedirects", true);
    /* A response kept as an output is bounded by http_max_body; a download
     * goes to the store, bounded by its file size limit. */
    if (j->sink_fd >= 0)
        j->max_body = wf_xft_max_file_size(ex);
    else
        j->max_body = ex->cfg->executor.http_max_body > 0 ? ex->cfg->executor.http_max_body
                                                          : 10 * 1024 * 1024;
    j->fail_on_empty = wf_json_bool(props, "failOnEmptyResponse", true);
    json_t *mcl = json_object_get(opts, "maxContentLength");
    if (json_is_integer(mcl) && json_integer_value(mcl) > 0 &&
        json_integer_value(mcl) < j->max_body)
        j->max_body = json_integer_value(mcl);
    if (duration_of(opts, "connectTimeout", &j->connect_ms, err, len) != 0 ||
        duration_of(opts, "readIdleTimeout", &j->read_idle_ms, err, len) != 0)
        return -1;
    int64_t read_ms = 0;
    if (duration_of(opts, "readTimeout", &read_ms, err, len) != 0)
        return -1;
    if (j->read_idle_ms == 0)
        j->read_idle_ms = read_ms;
    /* Credentials: options.auth {type: BASIC|BEARER} or the older
     * options.basicAuthUser/basicAuthPassword. */
    json_t *auth = json_object_get(opts, "auth");
    const char *type = wf_json_str(auth, "type");
    if (type != NULL && strcasecmp(type, "BEARER") == 0) {
        const char *tok = wf_json_str(auth, "token");
        if (tok == NULL) {
            snprintf(err, len, "options.auth: BEARER needs a token");
            return -1;
        }
        j->bearer = strdup(tok);
    } else if (type != NULL && strcasecmp(type, "BASIC") == 0) {
        j->user = strdup(wf_json_str(auth, "username") ? wf_json_str(auth, "username") : "");
        j->password = strdup(wf_json_str(auth, "password") ? wf_json_str(auth, "password") : "");
    } else if (type != NULL) {
        snprintf(err, len, "options.auth.type '%s': expected BASIC or BEARER", type);
        return -1;
    } else if (wf_json_str(opts, "basicAuthUser") != NULL) {
        j->user = strdup(wf_json_str(opts, "basicAuthUser"));
        const char *pw = wf_json_str(opts, "basicAuthPassword");
        j->password = strdup(pw ? pw : "");
    }
    const char *ctype = wf_json_str(props, "contentType");
    json_t *headers = json_object_get(props, "headers");
    if (json_is_object(headers)) {
        const char *k;
        json_t *v;
        json_object_foreach(headers, k, v) {
            char *tv = text_of(v);
            int rc = tv ? add_header(j, k, tv, err, len) : -1;
            free(tv);
            if (rc != 0) {
                if (!err[0])
                    snprintf(err, len, "out of memory");
                return -1;
            }
        }
    }
    json_t *body = json_object_get(props, "body");
    json_t *form = json_object_get(props, "formData");
    if (json_is_object(form) && json_object_size(form) > 0 && ctype != NULL &&
        strncasecmp(ctype, "multipart/form-data", 19) == 0) {
        /* curl writes the Content-Type itself, with the boundary. */
        return read_parts(j, form, err, len);
    }
    if (json_is_object(form) && json_object_size(form) > 0) {
        if (ctype != NULL && strncasecmp(ctype, "multipart/", 10) == 0) {
            snprintf(err, len, "formData with contentType %s is not supported "
                               "(multipart/form-data or application/x-www-form-urlencoded)",
                     ctype);
            return -1;
        }
        CURL *esc = curl_easy_init();
        j->body = esc ? form_encode(esc, form) : NULL;
        curl_easy_cleanup(esc);
        if (j->body == NULL) {
            snprintf(err, len, "cannot encode formData");
            return -1;
        }
        if (ctype == NULL)
            ctype = "application/x-www-form-urlencoded";
    } else if (body != NULL && !json_is_null(body)) {
        j->body = text_of(body);
        if (j->body == NULL) {
            snprintf(err, len, "cannot encode body");
            return -1;
        }
        if (ctype == NULL && !json_is_string(body))
            ctype = "application/json";
    }
    if (j->body)
        j->body_len = strlen(j->body);
    if (ctype != NULL && add_header(j, "Content-Type", ctype, err, len) != 0)
        return -1;
    return 0;
}

int wf_xhttp_run(wf_executor_t *ex, wf_trun_t *tr, json_t *props)
{
    char err[700] = "";
    struct wf_xhttp *h = http_ctx(ex);
    if (h == NULL) {
        wf_xwalk_attempt_done(ex, tr, WF_ST_FAILED, NULL, "out of memory");
        return WF_RUN_DONE;
    }
    http_job_t *j = wf_xcalloc(1, sizeof(*j));
    j->h = h;
    j->tr = tr;
    j->sink_fd = -1;
    j->resp_headers = json_object();
    j->eg.cfg = ex->cfg;
    j->eg.namespace_ = tr->exec->namespace_;
    j->eg.domain = ex->domain;
    /* The namespace policy narrows egress; the job keeps its own reference
     * (redirects are checked later, after the executor may have re-read it). */
    struct wf_policy *pol = wf_xpolicy_of(ex, tr->exec->namespace_);
    j->eg.policy = wf_policy_ref(pol);
    j->next = h->jobs;
    h->jobs = j;
    const char *uri = wf_json_str(props, "uri");
    if (pol == NULL) {
        snprintf(err, sizeof(err), "the namespace policy cannot be read: not connecting");
        goto fail;
    }
    if (uri == NULL) {
        snprintf(err, sizeof(err), "uri is required");
        goto fail;
    }
    if (tr->task->type->kind == WF_TASK_HTTP_DOWNLOAD &&
        (j->sink_fd = wf_xft_tmpfile(ex, err, sizeof(err))) < 0)
        goto fail;
    if (read_props(j, props, err, sizeof(err)) != 0 || hop_start(j, uri, err, sizeof(err)) != 0)
        goto fail;
    j->timeout_ms = tr->task->timeout_ms;
    wf_xproc_job_attach(ex, tr, &http_ops, j, &j->timeout_timer, on_timeout);
    return WF_RUN_STARTED;
fail:
    job_free(j);
    wf_xwalk_attempt_done(ex, tr, WF_ST_FAILED, NULL, err[0] ? err : "out of memory");
    return WF_RUN_DONE;
}
