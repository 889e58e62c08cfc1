#include "api/reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a helper's query callback needs besides the call; in the request
 * pool, so it lives as long as the call. */
typedef struct {
    wf_call_t *call;
    const wf_reply_one_t *one; /* wf_reply_one */
    wf_reply_row_fn row;       /* wf_reply_list */
    int col;                   /* wf_reply_doc_query */
    int page, size;            /* wf_reply_page */
} pending_t;

static pending_t *pending(wf_call_t *call)
{
    pending_t *p = h2o_mem_alloc_pool(&call->req->pool, sizeof(*p));
    memset(p, 0, sizeof(*p));
    p->call = call;
    return p;
}

bool wf_reply_ok(wf_call_t *call, const PGresult *res)
{
    if (wf_db_ok(res))
        return true;
    wf_call_db_error(call, res);
    return false;
}

bool wf_reply_need_row(wf_call_t *call, const PGresult *res, wf_problem_t none, const char *detail)
{
    if (!wf_reply_ok(call, res))
        return false;
    if (PQntuples(res) > 0)
        return true;
    wf_http_problem(call->req, none, NULL, "%s", detail ? detail : "no such resource");
    return false;
}

/* ---- one row -------------------------------------------------------------- */

static void on_one(void *arg, const PGresult *res)
{
    pending_t *p = arg;
    const wf_reply_one_t *how = p->one;
    if (!wf_reply_need_row(p->call, res, how->none, how->none_detail))
        return;
    if (how->status == 204)
        wf_http_send(p->call->req, 204, NULL, "", 0);
    else
        wf_http_json(p->call->req, how->status, how->row(res, 0));
}

void wf_reply_one(wf_call_t *call, wf_sql_id_t stmt, int nparams, const char *const *params,
                  const wf_reply_one_t *how)
{
    pending_t *p = pending(call);
    p->one = how;
    wf_db_query(call->th->db, stmt, nparams, params, on_one, p);
}

/* ---- every row -------------------------------------------------------------- */

static void on_list(void *arg, const PGresult *res)
{
    pending_t *p = arg;
    if (!wf_reply_ok(p->call, res))
        return;
    json_t *arr = json_array();
    for (int i = 0; i < PQntuples(res); i++)
        json_array_append_new(arr, p->row(res, i));
    wf_http_json(p->call->req, 200,
                 json_pack("{s:o, s:i}", "results", arr, "total", PQntuples(res)));
}

void wf_reply_list(wf_call_t *call, wf_sql_id_t stmt, int nparams, const char *const *params,
                   wf_reply_row_fn row)
{
    pending_t *p = pending(call);
    p->row = row;
    wf_db_query(call->th->db, stmt, nparams, params, on_list, p);
}

/* ---- documents built by PostgreSQL ----------------------------------------- */

void wf_reply_raw(wf_call_t *call, int status, const char *doc)
{
    /* The result is freed when the callback returns; the body outlives it. */
    size_t len = strlen(doc);
    char *body = h2o_mem_alloc_pool(&call->req->pool, len);
    memcpy(body, doc, len);
    wf_http_send(call->req, status, "application/json", body, len);
}

void wf_reply_doc(wf_call_t *call, const PGresult *res, int col)
{
    const char *doc = wf_db_get(res, 0, col);
    if (doc == NULL) {
        wf_http_problem(call->req, WF_PROB_NOT_FOUND, NULL, "no such resource");
        return;
    }
    wf_reply_raw(call, 200, doc);
}

static void on_doc(void *arg, const PGresult *res)
{
    pending_t *p = arg;
    if (wf_reply_ok(p->call, res))
        wf_reply_doc(p->call, res, p->col);
}

void wf_reply_doc_query(wf_call_t *call, wf_sql_id_t stmt, int nparams, const char *const *params,
                        int col)
{
    pending_t *p = pending(call);
    p->col = col;
    wf_db_query(call->th->db, stmt, nparams, params, on_doc, p);
}

/* ---- pages -------------------------------------------------------------------- */

bool wf_page_read(wf_call_t *call, wf_page_t *pg)
{
    const char *p = wf_http_query(call->req, "page"), *s = wf_http_query(call->req, "size");
    char *end;
    long pv = p ? strtol(p, &end, 10) : 1;
    bool ok = !(p && (*end || pv < 1 || pv > 1000000));
    long sv = s ? strtol(s, &end, 10) : 25;
    ok = ok && !(s && (*end || *s == '\0' || sv < 1));
    if (!ok) {
        wf_http_problem(call->req, WF_PROB_BAD_REQUEST, NULL,
                        "page must be a number from 1 and size a number from 1 (at most %d "
                        "are returned)",
                        WF_PAGE_MAX);
        return false;
    }
    /* A larger page is clamped, not refused (as Micronaut's pageable
     * binding does for Kestra): the answer's "size" says what was used. */
    if (sv > WF_PAGE_MAX)
        sv = WF_PAGE_MAX;
    pg->page = (int)pv;
    pg->size = (int)sv;
    /* Both fit: the values were bounded just above. */
    snprintf(pg->limit, sizeof(pg->limit), "%ld", sv);
    snprintf(pg->offset, sizeof(pg->offset), "%ld", (pv - 1) * sv);
    return true;
}

static void on_page(void *arg, const PGresult *res)
{
    pending_t *p = arg;
    if (!wf_reply_ok(p->call, res))
        return;
    const char *arr = wf_db_get(res, 0, 1);
    json_t *results = json_loads(arr ? arr : "[]", 0, NULL);
    const char *total = wf_db_get(res, 0, 0);
    wf_http_json(p->call->req, 200,
                 json_pack("{s:o, s:I, s:i, s:i}", "results", results ? results : json_array(),
                           "total", (json_int_t)(total ? strtoll(total, NULL, 10) : 0), "page",
                           p->page, "size", p->size));
}

void wf_reply_page(wf_call_t *call, const wf_page_t *pg, wf_sql_id_t stmt, int nparams,
                   const char *const *params)
{
    pending_t *p = pending(call);
    p->page = pg->page;
    p->size = pg->size;
    wf_db_query(call->th->db, stmt, nparams, params, on_page, p);
}
