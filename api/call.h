/* One API call: what the router hands to a handler, and the steps every
 * protected call goes through (authenticate, load bindings, authorise, audit).
 * A call lives in the request's memory pool; its dispose hook frees what it
 * owns and tells the thread the request is over (for graceful shutdown). */
#ifndef WF_API_CALL_H
#define WF_API_CALL_H

#include <stdbool.h>

#include "api/gateway.h"
#include "api/http.h"
#include "api/routes.h"
#include "auth/principal.h"
#include "auth/rbac.h"

struct wf_call {
    h2o_req_t *req;
    wf_gw_thread_t *th;
    const wf_route_t *route;
    const char *params[WF_ROUTE_MAX_PARAMS]; /* path parameters in pattern order */
    int n_params;
    json_t *body; /* parsed JSON body for WF_BODY_JSON routes (owned), or NULL */
    void *state;  /* handler's own state, pool-allocated */
    /* Set by authentication (BEARER routes): */
    wf_principal_t who;
    wf_rbac_binding_t *bindings; /* every binding of the subject and its groups */
    size_t n_bindings;
    const char *ns; /* namespace the route's permission was checked on, or NULL */
    const char *heavy_key; /* the caller's key while it holds a heavy slot, or NULL */
};

/* Checks `perm` on `ns` for the caller. When allowed returns true; otherwise
 * answers (404 when the caller cannot see `ns` at all, so hidden namespaces
 * look absent; 403 with the reason code otherwise), writes the denial to the
 * audit log and returns false. `ns` NULL checks a platform-wide permission. */
bool wf_call_authorize(wf_call_t *call, wf_perm_t perm, const char *ns);
/* True when the caller holds `perm` on `ns` (no response, no audit). */
bool wf_call_can(wf_call_t *call, wf_perm_t perm, const char *ns);
/* Appends an audit row (fire and forget; failures are logged). Mutations
 * write theirs inside their own statement instead. `details` is stolen. */
void wf_call_audit(wf_call_t *call, const char *action, const char *ns, const char *target,
                   const char *result, const char *reason, json_t *details);
/* Audits a permission denial. A caller can provoke those at will, so repeated
 * ones of one (caller, action, namespace) are counted and written as one
 * summary when their window closes (api/abuse.h). Refusals of what an allowed
 * caller sent (a policy refusing a flow) go through wf_call_audit: each has
 * its own details and is the caller's own namespace's record. */
void wf_call_audit_denial(wf_call_t *call, const char *action, const char *ns, const char *target,
                          const char *reason, json_t *details);
/* Answers a failed query: 503 when the database is unreachable, 500 otherwise. */
void wf_call_db_error(wf_call_t *call, const PGresult *res);
/* The caller's subjects (its own and "group:<g>" for each group) as a
 * PostgreSQL text[] literal, for statements that select bindings. */
const char *wf_call_subjects(wf_call_t *call);
/* The bindings of WF_SQL_BINDINGS_FOR rows (subject, role, namespace) in
 * the request pool, rows with an unknown role left out; returns how many. */
size_t wf_call_binding_rows(wf_call_t *call, const PGresult *res, wf_rbac_binding_t **out);
/* Loads the bindings a WF_NS_PATH_JOINED statement returned as a JSON array
 * of [subject, role, namespace]. Returns false (nothing loaded: every check
 * then denies) when the text is not such an array. */
bool wf_call_bindings_from_json(wf_call_t *call, const char *json);
/* PostgreSQL text[] literal of `n` strings, in the request pool. */
char *wf_call_pg_array(wf_call_t *call, const char *const *items, size_t n);

/* Path parameter by name ("namespace", "id", ...), or NULL. */
const char *wf_call_param(wf_call_t *call, const char *name);

/* Entry point of the router: runs `route` for `req`. */
void wf_call_start(h2o_req_t *req, wf_gw_thread_t *th, const wf_route_t *route,
                   const char **values, int n_values);

#endif
