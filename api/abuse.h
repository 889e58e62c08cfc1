/* The gateway's answer to callers who repeat what fails: repeated denials
 * are audited as one entry and one summary per window (tenants/audit_agg.h),
 * and an address that keeps failing to authenticate is refused with 429
 * before any token is verified (auth/fail_limit.h). Both tables are shared
 * by every event loop; each loop sweeps them once a second, writing the
 * summaries of closed windows to the audit log and the failure summaries to
 * the process log. */
#ifndef WF_API_ABUSE_H
#define WF_API_ABUSE_H

#include <stdbool.h>

#include "api/gateway.h"

typedef struct wf_call wf_call_t;

/* Creates the shared tables from gw->cfg (before the threads start). */
void wf_abuse_init(wf_gw_t *gw);
/* Frees them (after the threads have stopped). */
void wf_abuse_dispose(wf_gw_t *gw);

/* Starts the thread's once-a-second sweep. */
void wf_abuse_thread_start(wf_gw_thread_t *th);
/* Stops it and writes every pending summary, open windows included
 * (shutdown); the writes count as in-flight requests for the drain. */
void wf_abuse_thread_stop(wf_gw_thread_t *th);

/* False when the caller's address is locked out: a 429 problem with
 * Retry-After has been sent and nothing else must run. */
bool wf_abuse_admit(wf_call_t *call);
/* Counts a failed authentication of the caller's address (`reason` is a
 * static refusal code) and logs it when it is the first of its window or
 * the one that locks the address out. */
void wf_abuse_auth_failed(wf_call_t *call, const char *reason);

/* Counts a denial. True when the caller writes its audit entry now (the
 * first of its window); false when a summary will account for it. */
bool wf_abuse_note_denial(wf_call_t *call, const char *action, const char *ns,
                          const char *target, const char *reason);

#endif
