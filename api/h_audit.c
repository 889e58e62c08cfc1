/* The audit log, read side: GET /api/v1/audit, newest first, with filters
 * and a cursor. With ?namespace= the caller needs audit.read there (admins
 * of the namespace, auditors, platform-admins) and sees the entries of that
 * namespace and below; without it the whole log, platform-level entries
 * included, is for auditors and platform-admins only. The log is written by
 * the database's hash-chain trigger; `weftd audit verify` checks it. */
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/reply.h"

#define AUDIT_PAGE_DEFAULT 100
#define AUDIT_PAGE_MAX 1000

/* Printable, bounded filter values: they only ever reach a parameter. */
static bool filter_ok(const char *s)
{
    if (s == NULL)
        return true;
    size_t n = strlen(s);
    if (n == 0 || n > 256)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20)
            return false;
    return true;
}

/* Every entry says how many occurrences it stands for and when they
 * happened: a summary of repeated denials (api/abuse.h) carries its count
 * and first and last time in its details; any other entry is one
 * occurrence at its own time. */
static void add_occurrences(json_t *entry, json_t *details)
{
    json_t *count = json_object_get(details, "count");
    json_t *first = json_object_get(details, "firstSeen");
    json_t *last = json_object_get(details, "lastSeen");
    json_t *ts = json_object_get(entry, "ts");
    bool summary = json_is_integer(count) && json_is_string(first) && json_is_string(last);
    json_object_set_new(entry, "count", summary ? json_copy(count) : json_integer(1));
    json_object_set(entry, "firstSeen", summary ? first : ts);
    json_object_set(entry, "lastSeen", summary ? last : ts);
}

static void on_audit_list(void *arg, const PGresult *res)
{
    wf_call_t *call = arg;
    if (!wf_db_ok(res) && strncmp(wf_db_sqlstate(res), "22", 2) == 0) {
        wf_http_problem(call->req, WF_PROB_BAD_REQUEST, NULL,
                        "since must be a timestamp (ISO-8601)");
        return;
    }
    if (!wf_reply_ok(call, res))
        return;
    int size = *(int *)call->state;
    int n = PQntuples(res);
    json_t *arr = json_array();
    for (int i = 0; i < n && i < size; i++) {
        json_t *details = json_loads(wf_db_get(res, i, 8), 0, NULL);
        if (details == NULL)
            details = json_object();
        json_t *entry = json_pack(
            "{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s}", "seq",
            (json_int_t)strtoll(wf_db_get(res, i, 0), NULL, 10), "ts", wf_db_get(res, i, 1),
            "actor", wf_db_get(res, i, 2), "action", wf_db_get(res, i, 3), "namespace",
            wf_db_get(res, i, 4), "target", wf_db_get(res, i, 5), "result",
            wf_db_get(res, i, 6), "reason", wf_db_get(res, i, 7), "details", details, "hash",
            wf_db_get(res, i, 9));
        add_occurrences(entry, details);
        json_array_append_new(arr, entry);
    }
    /* One row more than the page was asked for: there is a next page,
     * which starts below the last entry shown. */
    json_t *next = n > size ? json_string(wf_db_get(res, size - 1, 0)) : json_null();
    wf_http_json(call->req, 200, json_pack("{s:o, s:o}", "results", arr, "next", next));
}

void wf_h_audit_list(wf_call_t *call)
{
    const char *ns = wf_http_query(call->req, "namespace");
    const char *actor = wf_http_query(call->req, "actor");
    const char *action = wf_http_query(call->req, "action");
    const char *result = wf_http_query(call->req, "result");
    const char *before = wf_http_query(call->req, "before");
    const char *since = wf_http_query(call->req, "since");
    const char *size_s = wf_http_query(call->req, "size");

    if (ns != NULL) {
        if (!wf_call_authorize(call, WF_PERM_AUDIT_READ, ns))
            return;
    } else if (!wf_rbac_has_global(&call->who, call->bindings, call->n_bindings,
                                   WF_ROLE_PLATFORM_ADMIN) &&
               !wf_rbac_has_global(&call->who, call->bindings, call->n_bindings, WF_ROLE_AUDITOR)) {
        static const char reason[] = "denied:audit-all-platform-or-auditor";
        wf_call_audit_denial(call, "audit.read", NULL, "/api/v1/audit", reason, NULL);
        wf_http_problem(call->req, WF_PROB_FORBIDDEN,
                        json_pack("{s:s, s:s}", "reason", reason, "permission", "audit.read"),
                        "the whole audit log is for auditors and platform-admins; "
                        "pass ?namespace= for the log of a namespace you administer");
        return;
    }
    if (!filter_ok(actor) || !filter_ok(action) || (before && !wf_http_digits(before, 18)) ||
        (size_s && !wf_http_digits(size_s, 4)) || !filter_ok(since)) {
        wf_http_problem(call->req, WF_PROB_BAD_REQUEST, NULL,
                        "filters: namespace, actor, action, result (allowed|denied|failed), "
                        "since (ISO-8601), before (a seq), size (1..%d)",
                        AUDIT_PAGE_MAX);
        return;
    }
    if (result && strcmp(result, "allowed") != 0 && strcmp(result, "denied") != 0 &&
        strcmp(result, "failed") != 0) {
        wf_http_problem(call->req, WF_PROB_BAD_REQUEST, NULL,
                        "result is one of allowed, denied, failed");
        return;
    }
    int *size = h2o_mem_alloc_pool(&call->req->pool, sizeof(int));
    *size = size_s ? atoi(size_s) : AUDIT_PAGE_DEFAULT;
    if (*size < 1 || *size > AUDIT_PAGE_MAX) {
        wf_http_problem(call->req, WF_PROB_BAD_REQUEST, NULL, "size is 1..%d", AUDIT_PAGE_MAX);
        return;
    }
    call->state = size;
    const char *limit = wf_http_printf(call->req, "%d", *size + 1);
    const char *params[7] = {ns, actor, action, result, before, since, limit};
    wf_db_query(call->th->db, WF_SQL_AUDIT_LIST, 7, params, on_audit_list, call);
}
