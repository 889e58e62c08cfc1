/* The route table. Keep it sorted by resource; tests check that every
 * protected route names a permission and that the OpenAPI document lists
 * exactly these rows. */
#include "api/handlers.h"
#include "api/routes.h"

const wf_route_t wf_routes[] = {
    {"GET", "/healthz", WF_ROUTE_PUBLIC, -1, WF_NS_NONE, WF_BODY_NONE, wf_h_healthz,
     "liveness: the process answers", "health"},
    {"GET", "/readyz", WF_ROUTE_PUBLIC, -1, WF_NS_NONE, WF_BODY_NONE, wf_h_readyz,
     "readiness: database reachable and schema current", "health"},
    {NULL, NULL, 0, 0, 0, 0, NULL, NULL, NULL},
};
