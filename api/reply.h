/* Answers built from one query result, for the shapes most handlers share:
 * one row (or a problem when there is none), a list of rows, a document
 * PostgreSQL built, a page of a list. Every helper answers a failed query
 * with wf_call_db_error (503 when the database is unreachable, 500
 * otherwise), so handlers only describe what a good result looks like. */
#ifndef WF_API_REPLY_H
#define WF_API_REPLY_H

#include "api/call.h"
#include "api/db.h"

/* The JSON of row `i` of `res` (a new reference). */
typedef json_t *(*wf_reply_row_fn)(const PGresult *res, int i);

/* The answer to a statement that returns at most one row. */
typedef struct {
    int status;              /* with a row: 200, 201, 202 with `row`'s JSON; 204, no body */
    wf_reply_row_fn row;     /* unused for 204 */
    wf_problem_t none;       /* without a row: e.g. WF_PROB_NOT_FOUND, WF_PROB_CONFLICT */
    const char *none_detail; /* its detail; NULL: "no such resource" */
} wf_reply_one_t;

/* True when the query succeeded; otherwise answers 5xx and returns false. */
bool wf_reply_ok(wf_call_t *call, const PGresult *res);
/* True when `res` has a row 0 to use; otherwise answers (5xx for a failed
 * query, `none` with `detail` (not a format; NULL: "no such resource") when
 * no row came back) and returns false. */
bool wf_reply_need_row(wf_call_t *call, const PGresult *res, wf_problem_t none, const char *detail);

/* Runs `stmt` and answers from its first row as `how` says (`how` is kept:
 * a static table entry). */
void wf_reply_one(wf_call_t *call, wf_sql_id_t stmt, int nparams, const char *const *params,
                  const wf_reply_one_t *how);
/* Runs `stmt` and answers 200 {"results": [row(i), ...], "total": rows}. */
void wf_reply_list(wf_call_t *call, wf_sql_id_t stmt, int nparams, const char *const *params,
                   wf_reply_row_fn row);

/* Sends `doc`, a JSON text PostgreSQL built, as application/json (copied). */
void wf_reply_raw(wf_call_t *call, int status, const char *doc);
/* Answers with the document in column `col` of row 0: 404 when there is
 * none (no row, or SQL NULL). */
void wf_reply_doc(wf_call_t *call, const PGresult *res, int col);
/* Runs `stmt` and answers wf_reply_doc of its column `col`. */
void wf_reply_doc_query(wf_call_t *call, wf_sql_id_t stmt, int nparams, const char *const *params,
                        int col);

/* The largest page a list route returns: a larger ?size= is clamped to it. */
#define WF_PAGE_MAX 500

/* A page of a list, asked for with ?page=1&size=25 (page >= 1, size >= 1,
 * clamped to WF_PAGE_MAX), as the LIMIT and OFFSET text parameters of its
 * statement. */
typedef struct {
    int page, size;
    char limit[24], offset[24];
} wf_page_t;

/* Reads ?page= and ?size= into `pg` (size clamped to WF_PAGE_MAX); answers
 * 400 and returns false when they are not numbers from 1. */
bool wf_page_read(wf_call_t *call, wf_page_t *pg);
/* Runs `stmt`, whose one row is (total, JSON array of the page), and answers
 * 200 {"results": [...], "total": N, "page": P, "size": S}. */
void wf_reply_page(wf_call_t *call, const wf_page_t *pg, wf_sql_id_t stmt, int nparams,
                   const char *const *params);

#endif
