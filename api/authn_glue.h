/* The gateway's side of OIDC authentication: builds the verifier from the
 * configured issuers at start-up and checks a bearer JWT into a principal.
 * Verification itself lives in auth/. */
#ifndef WF_API_AUTHN_GLUE_H
#define WF_API_AUTHN_GLUE_H

#include <stddef.h>

#include "api/gateway.h"
#include "auth/principal.h"

/* Creates the verifier for cfg->auth.oidc (none configured: every JWT is
 * refused). Returns 0 or -1 after logging why. */
int wf_gw_auth_init(wf_gw_t *gw);
/* Stops the verifier's fetch thread and frees it. */
void wf_gw_auth_dispose(wf_gw_t *gw);
/* Verifies `token[0..len)`; fills `who` (re-initialised here) and
 * returns 0, or returns -1 with a stable refusal code in `*reason`. */
int wf_gw_verify_jwt(wf_gw_t *gw, const char *token, size_t len, wf_principal_t *who,
                     const char **reason);

#endif
