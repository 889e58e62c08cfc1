/* Handlers named by the route table, one file per resource (api/h_*.c). */
#ifndef WF_API_HANDLERS_H
#define WF_API_HANDLERS_H

#include "api/call.h"

/* api/h_health.c */
void wf_h_healthz(wf_call_t *call);
void wf_h_readyz(wf_call_t *call);

#endif
