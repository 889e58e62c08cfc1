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

struct wf_call {
    h2o_req_t *req;
    wf_gw_thread_t *th;
    const wf_route_t *route;
    const char *params[WF_ROUTE_MAX_PARAMS]; /* path parameters in pattern order */
    int n_params;
    json_t *body; /* parsed JSON body for WF_BODY_JSON routes (owned), or NULL */
    void *state;  /* handler's own state, pool-allocated */
};

/* Path parameter by name ("namespace", "id", ...), or NULL. */
const char *wf_call_param(wf_call_t *call, const char *name);

/* Entry point of the router: runs `route` for `req`. */
void wf_call_start(h2o_req_t *req, wf_gw_thread_t *th, const wf_route_t *route,
                   const char **values, int n_values);

#endif
