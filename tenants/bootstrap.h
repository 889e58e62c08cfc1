/* The bootstrap platform-admin service account created on first start. */
#ifndef WF_BOOTSTRAP_H
#define WF_BOOTSTRAP_H

#include <stddef.h>
#include <libpq-fe.h>

/* Namespace and name of the bootstrap account: `_platform` cannot be a flow
 * namespace (those start with a letter or digit), so no team can own it. */
#define WF_BOOTSTRAP_NAMESPACE "_platform"
#define WF_BOOTSTRAP_NAME "admin"

/* When the account does not exist yet: creates it with the platform-admin
 * role and a token, and writes the token once to `token_path` (mode 0600,
 * written atomically before the transaction commits, so a failure leaves
 * neither). `created` tells whether this call created it. Returns 0 or -1. */
int wf_bootstrap_admin(PGconn *conn, const char *token_path, int *created, char *err,
                       size_t errlen);

#endif
