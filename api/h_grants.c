/* Cross-team grants: a producer namespace shares the completion events (and,
 * with "subflow": true, subflow calls) of some of its flows with a consumer
 * namespace prefix. Only admins of the producer namespace make and revoke
 * them (grant.manage on the path namespace). A revoke sets revoked_at: the
 * row stays, so the history of who shared what, and when, is kept. Each
 * change writes its audit row in the same statement. */
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/reply.h"
#include "platform/config.h"
#include "flow/schema.h"

/* The states a grant may share: the terminal ones (Kestra's names). */
static const char *const terminal_states[] = {"SUCCESS", "WARNING",   "FAILED",
                                              "KILLED",  "CANCELLED", "SKIPPED"};
#define N_TERMINAL (sizeof(terminal_states) / sizeof(terminal_states[0]))

static bool state_terminal(const char *s)
{
    for (size_t i = 0; i < N_TERMINAL; i++)
        if (strcmp(s, terminal_states[i]) == 0)
            return true;
    return false;
}

/* True, after answering 422, when member `name` has `s` before index `upto`. */
static bool listed_twice(wf_call_t *call, const char *name, json_t *arr, size_t upto, const char *s)
{
    for (size_t j = 0; j < upto; j++)
        if (strcmp(json_string_value(json_array_get(arr, j)), s) == 0) {
            wf_http_problem(call->req, WF_PROB_INVALID, NULL, "%s[%zu]: %s is listed twice", name,
                            upto, s);
            return true;
        }
    return false;
}

/* Checks the body; on error answers 422 naming the member and returns false.
 * Fills the three PostgreSQL text[] literals and the subflow flag. */
static bool parse_body(wf_call_t *call, const char **flows_lit, const char **to,
                       const char **events_lit, const char **subflow)
{
    /* The router refused unknown members and mistyped ones (routes.c). */
    json_t *b = call->body;
    if (!json_is_object(b)) {
        wf_http_problem(call->req, WF_PROB_INVALID, NULL,
                        "body must be {\"flows\": [...], \"to\": \"namespace\", \"events\": "
                        "[...], \"subflow\": false}");
        return false;
    }
    json_t *flows = json_object_get(b, "flows");
    size_t nf = json_array_size(flows);
    if (!json_is_array(flows) || nf == 0 || nf > 100) {
        wf_http_problem(call->req, WF_PROB_INVALID, NULL,
                        "flows: a list of 1 to 100 flow ids, or [\"*\"] for every flow");
        return false;
    }
    const char **fl = h2o_mem_alloc_pool(&call->req->pool, nf * sizeof(*fl));
    for (size_t i = 0; i < nf; i++) {
        const char *s = json_string_value(json_array_get(flows, i));
        if (s == NULL || (strcmp(s, "*") != 0 && !wf_flow_id_valid(s))) {
            wf_http_problem(call->req, WF_PROB_INVALID, NULL,
                            "flows[%zu]: not a flow id (or \"*\")", i);
            return false;
        }
        if (strcmp(s, "*") == 0 && nf != 1) {
            wf_http_problem(call->req, WF_PROB_INVALID, NULL,
                            "flows[%zu]: \"*\" stands for every flow and comes alone", i);
            return false;
        }
        if (listed_twice(call, "flows", flows, i, s))
            return false;
        fl[i] = s;
    }
    *to = json_string_value(json_object_get(b, "to"));
    if (*to == NULL || !wf_namespace_valid(*to)) {
        wf_http_problem(call->req, WF_PROB_INVALID, NULL,
                        "to: the consumer namespace (prefix), e.g. \"sales.reporting\"");
        return false;
    }
    json_t *events = json_object_get(b, "events");
    size_t ne = json_array_size(events);
    if (!json_is_array(events) || ne == 0 || ne > N_TERMINAL) {
        wf_http_problem(call->req, WF_PROB_INVALID, NULL,
                        "events: a list of terminal states (SUCCESS, WARNING, FAILED, KILLED, "
                        "CANCELLED, SKIPPED)");
        return false;
    }
    const char **ev = h2o_mem_alloc_pool(&call->req->pool, ne * sizeof(*ev));
    for (size_t i = 0; i < ne; i++) {
        const char *s = json_string_value(json_array_get(events, i));
        if (s == NULL || !state_terminal(s)) {
            wf_http_problem(call->req, WF_PROB_INVALID, NULL,
                            "events[%zu]: %s%s%s is not a terminal state (SUCCESS, WARNING, "
                            "FAILED, KILLED, CANCELLED, SKIPPED)",
                            i, s ? "\"" : "", s ? s : "a non-string", s ? "\"" : "");
            return false;
        }
        if (listed_twice(call, "events", events, i, s))
            return false;
        ev[i] = s;
    }
    json_t *sf = json_object_get(b, "subflow");
    if (sf != NULL && !json_is_boolean(sf)) {
        wf_http_problem(call->req, WF_PROB_INVALID, NULL, "subflow: true or false");
        return false;
    }
    *subflow = json_is_true(sf) ? "true" : "false";
    *flows_lit = wf_call_pg_array(call, fl, nf);
    *events_lit = wf_call_pg_array(call, ev, ne);
    return true;
}

/* Columns from `c`: id, namespace, domain, flows (json), to, to_domain,
 * events (json), subflow, createdAt, createdBy, revokedAt, revokedBy. */
static json_t *grant_row(const PGresult *res, int i, int c)
{
    json_t *flows = json_loads(wf_db_get(res, i, c + 3), 0, NULL);
    json_t *events = json_loads(wf_db_get(res, i, c + 6), 0, NULL);
    json_t *o = json_pack("{s:I, s:s, s:s, s:o, s:s, s:s, s:o, s:b, s:s, s:s}", "id",
                          (json_int_t)strtoll(wf_db_get(res, i, c), NULL, 10), "namespace",
                          wf_db_get(res, i, c + 1), "domain", wf_db_get(res, i, c + 2), "flows",
                          flows ? flows : json_array(), "to", wf_db_get(res, i, c + 4), "toDomain",
                          wf_db_get(res, i, c + 5), "events", events ? events : json_array(),
                          "subflow", strcmp(wf_db_get(res, i, c + 7), "t") == 0, "createdAt",
                          wf_db_get(res, i, c + 8), "createdBy", wf_db_get(res, i, c + 9));
    json_object_set_new(o, "revokedAt",
                        PQgetisnull(res, i, c + 10) ? json_null()
                                                    : json_string(wf_db_get(res, i, c + 10)));
    json_object_set_new(o, "revokedBy",
                        PQgetisnull(res, i, c + 11) ? json_null()
                                                    : json_string(wf_db_get(res, i, c + 11)));
    return o;
}

/* Row: producer domain, consumer domain, then the grant (NULLs when the
 * insert did not happen because a namespace has no domain). */
static void on_created(void *arg, const PGresult *res)
{
    wf_call_t *call = arg;
    if (!wf_reply_ok(call, res))
        return;
    if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
        wf_http_problem(call->req, WF_PROB_INVALID, NULL, "namespace %s is owned by no domain",
                        call->ns);
        return;
    }
    if (PQgetisnull(res, 0, 1)) {
        wf_http_problem(call->req, WF_PROB_INVALID, NULL, "to: namespace %s is owned by no domain",
                        json_string_value(json_object_get(call->body, "to")));
        return;
    }
    wf_http_json(call->req, 201, grant_row(res, 0, 2));
}

void wf_h_grant_create(wf_call_t *call)
{
    const char *flows, *to, *events, *subflow;
    if (!parse_body(call, &flows, &to, &events, &subflow))
        return;
    const char *params[6] = {call->ns, flows, to, events, subflow, call->who.subject};
    wf_db_query(call->th->db, WF_SQL_GRANT_CREATE, 6, params, on_created, call);
}

static json_t *grant_list_row(const PGresult *res, int i)
{
    return grant_row(res, i, 0);
}

void wf_h_grant_list(wf_call_t *call)
{
    const char *params[1] = {call->ns};
    wf_reply_list(call, WF_SQL_GRANT_LIST, 1, params, grant_list_row);
}

/* Row: id, state ('revoked' when it already was, 'revoked-now' when this
 * call revoked it). No row: no grant of that id on or below the namespace. */
static void on_revoked(void *arg, const PGresult *res)
{
    wf_call_t *call = arg;
    if (!wf_reply_need_row(call, res, WF_PROB_NOT_FOUND, NULL))
        return;
    if (strcmp(wf_db_get(res, 0, 1), "revoked-now") != 0) {
        wf_http_problem(call->req, WF_PROB_CONFLICT, NULL, "grant %s is already revoked",
                        wf_db_get(res, 0, 0));
        return;
    }
    wf_http_send(call->req, 204, NULL, "", 0);
}

void wf_h_grant_revoke(wf_call_t *call)
{
    const char *id = wf_call_param(call, "id");
    if (!wf_http_digits(id, 18)) {
        wf_http_problem(call->req, WF_PROB_NOT_FOUND, NULL, "no such resource");
        return;
    }
    const char *params[3] = {call->ns, id, call->who.subject};
    wf_db_query(call->th->db, WF_SQL_GRANT_REVOKE, 3, params, on_revoked, call);
}
