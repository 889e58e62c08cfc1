/* An authenticated caller: what authentication hands to authorisation. Users
 * come from an OIDC token ("user:<sub>" plus groups from the configured
 * claim); service accounts from a weft_sa_ token ("sa:<namespace>/<name>"). */
#ifndef WF_PRINCIPAL_H
#define WF_PRINCIPAL_H

#include <stddef.h>
#include <stdint.h>

/* Limits applied to every principal so a token cannot bloat the caches. */
#define WF_PRINCIPAL_MAX_GROUPS 256
#define WF_PRINCIPAL_MAX_NAME 255

typedef struct wf_principal {
    char *subject;     /* "user:<sub>", "sa:<namespace>/<name>" (owned) */
    char **groups;     /* group names without the "group:" prefix (owned) */
    size_t n_groups;
    char *issuer;      /* OIDC issuer, or "weft" for service accounts (owned) */
    int64_t expires_at; /* Unix seconds; 0 when the credential does not expire */
} wf_principal_t;

/* Caller-owned storage: zeroes `p`. */
void wf_principal_init(wf_principal_t *p);
/* Frees what `p` owns and zeroes it; safe on an initialised, empty principal. */
void wf_principal_dispose(wf_principal_t *p);
/* Deep copy of `src` into `dst` (initialised by this call). Returns 0 or -1 (ENOMEM). */
int wf_principal_copy(wf_principal_t *dst, const wf_principal_t *src);
/* Sets subject/issuer/expiry (copied). Returns 0 or -1. */
int wf_principal_set(wf_principal_t *p, const char *subject, const char *issuer,
                     int64_t expires_at);
/* Appends a copy of `group`. Returns 0, or -1 past WF_PRINCIPAL_MAX_GROUPS or ENOMEM. */
int wf_principal_add_group(wf_principal_t *p, const char *group);

#endif
