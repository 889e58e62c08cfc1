/* Execution logs: a JSON array, or with ?follow=true a server-sent events
 * stream that ends when the execution reaches a terminal state (or the
 * gateway shuts down). The stream's state is heap-allocated and reference
 * counted: the client may go away while a query or a timer is pending. */
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

void wf_execution_logs_then(wf_call_t *call, const PGresult *meta)
{
    (void)meta;
    const char *id = wf_call_param(call, "id");
    const char *follow = wf_http_query(call->req, "follow");
    if (follow == NULL || strcmp(follow, "true") != 0) {
        const char *params[2] = {id, "0"};
        wf_reply_doc_query(call, WF_SQL_LOGS_JSON, 2, params, 1);
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
