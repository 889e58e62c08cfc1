/* Execution logs: a page of lines as a JSON array (?after=ID&limit=N, the
 * next page named by a Link header), or with ?follow=true a server-sent
 * events stream that ends when the execution reaches a terminal state (or
 * the gateway shuts down). Both are streamed: rows come from PostgreSQL in
 * small batches and each batch is written before the next is read, so a
 * request holds one batch in memory whatever the size of the log. The state
 * of either is heap-allocated and reference counted: the client may go away
 * while a query or a timer is pending. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/inputs.h"
#include "api/reply.h"
#include "platform/log.h"
#include "platform/xmalloc.h"

/* Ticks (200 ms) between keep-alive comments: writing is how a closed client
 * is noticed, since HTTP/1 connections are not read while a response runs. */
#define KEEPALIVE_TICKS 25

typedef struct sse {
    h2o_generator_t gen; /* first: h2o hands it back to proceed/stop */
    int refs;            /* the request, plus one per pending query or timer */
    h2o_req_t *req;      /* NULL once the request is gone */
    wf_gw_thread_t *th;
    char exec_id[65];
    char last_id[24];
    char *chunk; /* being written; freed when h2o is done with it */
    int idle_ticks;
    h2o_timeout_entry_t tick;
} sse_t;

static void sse_release(sse_t *s)
{
    if (--s->refs > 0)
        return;
    free(s->chunk);
    free(s);
}

static void sse_step(sse_t *s);

static void on_tick(h2o_timeout_entry_t *entry)
{
    sse_t *s = H2O_STRUCT_FROM_MEMBER(sse_t, tick, entry);
    if (s->req == NULL) {
        sse_release(s);
        return;
    }
    s->refs--; /* the timer's reference passes to the step */
    sse_step(s);
}

static void wait_tick(sse_t *s)
{
    s->refs++;
    h2o_timeout_link(s->th->ctx.loop, &s->th->poll_timeout, &s->tick);
}

/* The last event of a stream that cannot go on: fixed texts, never a log line. */
static const char sse_db_error[] =
    "event: error\ndata: {\"detail\":\"database unavailable\"}\n\n";
static const char sse_oom[] = "event: error\ndata: {\"detail\":\"out of memory\"}\n\n";

/* Sends `text` (copied) as the next chunk; `final` ends the response. */
static void sse_send(sse_t *s, const char *text, size_t len, bool final)
{
    h2o_iovec_t buf;
    if (final) {
        /* The request outlives this write; its pool holds the last chunk. */
        buf.base = h2o_mem_alloc_pool(&s->req->pool, len + 1);
        memcpy(buf.base, text, len);
        buf.len = len;
        h2o_req_t *req = s->req;
        s->req = NULL;
        h2o_send(req, &buf, 1, H2O_SEND_STATE_FINAL);
        sse_release(s); /* the request's reference: stop will not be called */
        return;
    }
    free(s->chunk);
    /* The size is the tenant's (its log lines): without the memory the stream
     * ends with an error event instead of taking the gateway down. */
    s->chunk = malloc(len + 1);
    if (s->chunk == NULL) {
        sse_send(s, sse_oom, sizeof(sse_oom) - 1, true);
        return;
    }
    memcpy(s->chunk, text, len);
    buf = h2o_iovec_init(s->chunk, len);
    h2o_send(s->req, &buf, 1, H2O_SEND_STATE_IN_PROGRESS);
}

static void on_proceed(h2o_generator_t *gen, h2o_req_t *req)
{
    (void)req;
    sse_t *s = (sse_t *)gen;
    free(s->chunk);
    s->chunk = NULL;
    sse_step(s);
}

static void on_stop(h2o_generator_t *gen, h2o_req_t *req)
{
    (void)req;
    sse_t *s = (sse_t *)gen;
    s->req = NULL;
    if (h2o_timeout_is_linked(&s->tick)) {
        h2o_timeout_unlink(&s->tick);
        s->refs--;
    }
    sse_release(s);
}

static void on_rows(void *arg, const PGresult *res)
{
    sse_t *s = arg;
    if (s->req == NULL) {
        sse_release(s);
        return;
    }
    s->refs--;
    if (!wf_db_ok(res) || PQntuples(res) != 1) {
        sse_send(s, sse_db_error, sizeof(sse_db_error) - 1, true);
        return;
    }
    const char *state = wf_db_get(res, 0, 0);
    const char *events = wf_db_get(res, 0, 1);
    const char *last = wf_db_get(res, 0, 2);
    long count = strtol(wf_db_get(res, 0, 3) ? wf_db_get(res, 0, 3) : "0", NULL, 10);
    if (last != NULL)
        snprintf(s->last_id, sizeof(s->last_id), "%s", last);
    bool done = state == NULL || wf_state_terminal(state) || s->th->stopping;
    if (count > 0 && !(done && count < 500)) {
        s->idle_ticks = 0;
        sse_send(s, events, strlen(events), false);
        return;
    }
    if (done && count < 500) {
        /* Everything written so far is in `events`; close with the state. */
        char *text = NULL;
        int n = asprintf(&text, "%sevent: end\ndata: {\"state\":\"%s\"%s}\n\n", events,
                         state ? state : "UNKNOWN",
                         s->th->stopping && !wf_state_terminal(state) ? ",\"reason\":\"shutdown\""
                                                                       : "");
        if (n < 0) {
            /* `events` is the tenant's: see sse_send. */
            sse_send(s, sse_oom, sizeof(sse_oom) - 1, true);
            return;
        }
        sse_send(s, text, (size_t)n, true);
        free(text);
        return;
    }
    if (++s->idle_ticks >= KEEPALIVE_TICKS) {
        s->idle_ticks = 0;
        static const char ka[] = ": keep-alive\n\n";
        sse_send(s, ka, sizeof(ka) - 1, false);
        return;
    }
    wait_tick(s);
}

static void sse_step(sse_t *s)
{
    const char *params[2] = {s->exec_id, s->last_id};
    s->refs++;
    wf_db_query(s->th->db, WF_SQL_LOGS_SSE, 2, params, on_rows, s);
}

/* ---- a page as a JSON array ------------------------------------------------ */

/* Lines per page unless ?limit= says otherwise, the most a page holds, and
 * lines per round trip to PostgreSQL (a line is at most the executor's
 * log_line_max, 8 KiB by default, so a batch stays around half a MiB). */
#define PAGE_DEFAULT 1000
#define PAGE_MAX 10000
#define PAGE_BATCH 64

typedef struct page {
    h2o_generator_t gen; /* first: h2o hands it back to proceed/stop */
    int refs;            /* the request, plus one per pending query */
    wf_call_t *call;     /* until the response starts (the request is alive then) */
    h2o_req_t *req;      /* NULL once the request is gone */
    wf_gw_thread_t *th;
    char exec_id[65];
    char after[24]; /* id of the last line written */
    char upto[24];  /* id of the page's last line; "" when the page is not full */
    long remaining; /* lines the page may still hold */
    bool opened;    /* "[" written */
    char *chunk;    /* being written; freed when h2o is done with it */
} page_t;

static void page_release(page_t *p)
{
    if (--p->refs > 0)
        return;
    free(p->chunk);
    free(p);
}

static void page_step(page_t *p);

/* Ends the response: `ok` closes the array, otherwise the stream is cut (the
 * client sees an incomplete body, never a short list that looks whole). */
static void page_finish(page_t *p, const char *text, size_t len, bool ok)
{
    h2o_iovec_t buf;
    buf.base = h2o_mem_alloc_pool(&p->req->pool, len + 1);
    memcpy(buf.base, text, len);
    buf.len = len;
    h2o_req_t *req = p->req;
    p->req = NULL;
    h2o_send(req, &buf, len ? 1 : 0, ok ? H2O_SEND_STATE_FINAL : H2O_SEND_STATE_ERROR);
    page_release(p); /* the request's reference: stop will not be called */
}

static void on_page_proceed(h2o_generator_t *gen, h2o_req_t *req)
{
    (void)req;
    page_t *p = (page_t *)gen;
    free(p->chunk);
    p->chunk = NULL;
    page_step(p);
}

static void on_page_stop(h2o_generator_t *gen, h2o_req_t *req)
{
    (void)req;
    page_t *p = (page_t *)gen;
    p->req = NULL;
    page_release(p);
}

static void on_batch(void *arg, const PGresult *res)
{
    page_t *p = arg; /* the query's reference is given back at the end */
    if (p->req == NULL) {
        page_release(p);
        return;
    }
    if (!wf_db_ok(res)) {
        wf_warn("logs of %s: %s", p->exec_id, res ? PQresultErrorMessage(res) : "no database");
        page_finish(p, "", 0, false);
        page_release(p);
        return;
    }
    int n = PQntuples(res);
    size_t len = 2; /* "[" and "]" */
    for (int i = 0; i < n; i++)
        len += (size_t)PQgetlength(res, i, 1) + 1;
    /* The size is the tenant's (its log lines): without the memory the
     * response is cut instead of taking the gateway down. */
    char *text = malloc(len + 1);
    if (text == NULL) {
        page_finish(p, "", 0, false);
        page_release(p);
        return;
    }
    size_t o = 0;
    if (!p->opened)
        text[o++] = '[';
    for (int i = 0; i < n; i++) {
        if (p->opened || i > 0)
            text[o++] = ',';
        size_t l = (size_t)PQgetlength(res, i, 1);
        memcpy(text + o, PQgetvalue(res, i, 1), l);
        o += l;
    }
    p->opened = true;
    if (n > 0)
        snprintf(p->after, sizeof(p->after), "%s", PQgetvalue(res, n - 1, 0));
    p->remaining -= n;
    bool last = n < PAGE_BATCH || p->remaining <= 0;
    if (last) {
        text[o++] = ']';
        page_finish(p, text, o, true);
        free(text);
    } else {
        free(p->chunk);
        p->chunk = text;
        h2o_iovec_t buf = h2o_iovec_init(text, o);
        h2o_send(p->req, &buf, 1, H2O_SEND_STATE_IN_PROGRESS);
    }
    page_release(p);
}

static void page_step(page_t *p)
{
    char count[24];
    snprintf(count, sizeof(count), "%ld", p->remaining < PAGE_BATCH ? p->remaining : PAGE_BATCH);
    const char *params[4] = {p->exec_id, p->after, p->upto[0] ? p->upto : NULL, count};
    p->refs++;
    wf_db_query(p->th->db, WF_SQL_LOGS_BATCH, 4, params, on_batch, p);
}

static void on_page_end(void *arg, const PGresult *res)
{
    page_t *p = arg;
    p->refs--;
    wf_call_t *call = p->call;
    p->call = NULL;
    if (!wf_reply_ok(call, res)) {
        page_release(p); /* no response started: the request's reference goes */
        return;
    }
    const char *upto = wf_db_get(res, 0, 0);
    snprintf(p->upto, sizeof(p->upto), "%s", upto ? upto : "");
    h2o_req_t *req = p->req;
    req->res.status = 200;
    req->res.reason = "OK";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   H2O_STRLIT("application/json"));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
                   H2O_STRLIT("no-store"));
    if (upto != NULL) {
        /* A full page: the next one starts after its last line. */
        char *link =
            wf_http_printf(req, "</api/v1/executions/%s/logs?after=%s&limit=%ld>; rel=\"next\"",
                           p->exec_id, upto, p->remaining);
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_LINK, NULL, link, strlen(link));
    }
    h2o_start_response(req, &p->gen);
    page_step(p);
}

/* Reads ?after= and ?limit=; answers 400 and returns false when they are not
 * numbers (limit from 1; a larger one is clamped to PAGE_MAX). */
static bool page_params(wf_call_t *call, const char **after, long *limit)
{
    const char *a = wf_http_query(call->req, "after");
    const char *l = wf_http_query(call->req, "limit");
    *after = a ? a : "0";
    *limit = PAGE_DEFAULT;
    if (l != NULL) {
        char *end;
        *limit = wf_http_digits(l, 9) ? strtol(l, &end, 10) : 0;
        if (*limit > PAGE_MAX)
            *limit = PAGE_MAX;
    }
    if (!wf_http_digits(*after, 18) || *limit < 1) {
        wf_http_problem(call->req, WF_PROB_BAD_REQUEST, NULL,
                        "after must be a log line id and limit a number from 1 (at most %d "
                        "lines are returned)",
                        PAGE_MAX);
        return false;
    }
    return true;
}

static void page_start(wf_call_t *call, const char *id)
{
    const char *after;
    long limit;
    if (!page_params(call, &after, &limit))
        return;
    page_t *p = wf_xcalloc(1, sizeof(*p));
    p->gen.proceed = on_page_proceed;
    p->gen.stop = on_page_stop;
    p->refs = 2; /* the request and the query below */
    p->call = call;
    p->req = call->req;
    p->th = call->th;
    p->remaining = limit;
    snprintf(p->exec_id, sizeof(p->exec_id), "%s", id);
    snprintf(p->after, sizeof(p->after), "%s", after);
    char lim[24];
    snprintf(lim, sizeof(lim), "%ld", limit);
    const char *params[3] = {p->exec_id, p->after, lim};
    wf_db_query(p->th->db, WF_SQL_LOGS_PAGE_END, 3, params, on_page_end, p);
}

void wf_execution_logs_then(wf_call_t *call, const PGresult *meta)
{
    (void)meta;
    const char *id = wf_call_param(call, "id");
    const char *follow = wf_http_query(call->req, "follow");
    if (follow == NULL || strcmp(follow, "true") != 0) {
        page_start(call, id);
        return;
    }
    sse_t *s = wf_xcalloc(1, sizeof(*s));
    s->gen.proceed = on_proceed;
    s->gen.stop = on_stop;
    s->refs = 1;
    s->req = call->req;
    s->th = call->th;
    s->tick.cb = on_tick;
    snprintf(s->exec_id, sizeof(s->exec_id), "%s", id);
    snprintf(s->last_id, sizeof(s->last_id), "0");
    h2o_req_t *req = call->req;
    req->res.status = 200;
    req->res.reason = "OK";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   H2O_STRLIT("text/event-stream"));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
                   H2O_STRLIT("no-store"));
    h2o_start_response(req, &s->gen);
    static const char hello[] = ": weft log stream\n\n";
    sse_send(s, hello, sizeof(hello) - 1, false);
}
