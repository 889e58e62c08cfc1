/* Namespace RBAC: a pure decision function over role bindings. Deny by
 * default; every decision carries a reason code for logs, 403 bodies, the
 * audit log and `weft auth can-i`.
 *
 * Roles viewer < launcher < developer < admin are bound on a namespace prefix
 * (a binding on "sales" covers "sales.reporting", not "salesforce");
 * platform-admin (everything, everywhere) and auditor (read everything,
 * change nothing) are global. Subjects are "user:<sub>", "group:<name>" and
 * "sa:<namespace>/<name>". Each permission has a minimum role in one table
 * (rbac.c); routes name the permission they need. */
#ifndef WF_RBAC_H
#define WF_RBAC_H

#include <stdbool.h>
#include <stddef.h>

#include "auth/principal.h"

/* Ordered: a higher namespace role includes every lower one. The two global
 * roles sit after admin but are never compared with namespace roles. */
typedef enum {
    WF_ROLE_NONE = 0,
    WF_ROLE_VIEWER,
    WF_ROLE_LAUNCHER,
    WF_ROLE_DEVELOPER,
    WF_ROLE_ADMIN,
    WF_ROLE_AUDITOR,        /* global */
    WF_ROLE_PLATFORM_ADMIN, /* global */
    WF_ROLE_COUNT
} wf_role_t;

/* What a route needs. Names ("flow.read") are stable: they appear in the
 * route table, can-i queries, reason strings and the audit log. */
typedef enum {
    WF_PERM_NAMESPACE_READ = 0, /* see a namespace and its settings */
    WF_PERM_FLOW_READ,          /* read flows, revisions, source */
    WF_PERM_FLOW_WRITE,         /* create, update, delete flows */
    WF_PERM_EXECUTION_READ,     /* read executions and their logs */
    WF_PERM_EXECUTION_CREATE,   /* start executions */
    WF_PERM_EXECUTION_KILL,     /* kill, restart, resume executions */
    WF_PERM_BINDING_READ,       /* list role bindings */
    WF_PERM_BINDING_MANAGE,     /* create, delete role bindings (see wf_rbac_can_bind) */
    WF_PERM_SA_READ,            /* list service accounts (never their tokens) */
    WF_PERM_SA_MANAGE,          /* create service accounts, issue and revoke tokens */
    WF_PERM_SECRET_READ_NAMES,  /* list secret names (values are write-only) */
    WF_PERM_SECRET_WRITE,       /* set and delete secrets */
    WF_PERM_GRANT_READ,         /* list cross-team grants */
    WF_PERM_GRANT_MANAGE,       /* create, delete grants from this namespace */
    WF_PERM_POLICY_READ,        /* read governance policies */
    WF_PERM_POLICY_MANAGE,      /* tighten policies on a namespace */
    WF_PERM_AUDIT_READ,         /* read the audit log of a namespace */
    WF_PERM_AUTH_EXPLAIN_AS,    /* can-i on behalf of another subject */
    WF_PERM_DOMAIN_MANAGE,      /* create domains, assign prefixes (platform only) */
    WF_PERM_COUNT
} wf_perm_t;

/* One role binding as stored (rows of the bindings table). Global roles have
 * namespace NULL or ""; a namespace role with an empty namespace, or a global
 * role with a namespace, is malformed and never matches (fail closed). */
typedef struct wf_rbac_binding {
    const char *subject;   /* "user:…", "group:…", "sa:ns/name" */
    wf_role_t role;
    const char *namespace; /* prefix; NULL/"" for global roles */
} wf_rbac_binding_t;

/* Longest reason: "allowed:role-developer-on-" + a 255-char namespace. */
#define WF_RBAC_REASON_MAX 320

typedef struct wf_rbac_decision {
    bool allowed;
    wf_role_t role;                  /* effective role that decided (NONE when none) */
    const wf_rbac_binding_t *via;    /* binding that granted it, or NULL */
    char reason[WF_RBAC_REASON_MAX]; /* "allowed:role-admin-on-sales", "denied:no-binding", … */
} wf_rbac_decision_t;

/* Role names: "viewer", "launcher", "developer", "admin", "auditor",
 * "platform-admin". wf_rbac_role_parse returns WF_ROLE_NONE when unknown. */
const char *wf_rbac_role_name(wf_role_t role);
wf_role_t wf_rbac_role_parse(const char *name);
/* True for platform-admin and auditor. */
bool wf_rbac_role_global(wf_role_t role);

/* Permission names ("flow.read", "execution.create", …) and their table
 * entry. wf_rbac_perm_parse returns -1 when unknown. */
const char *wf_rbac_perm_name(wf_perm_t perm);
int wf_rbac_perm_parse(const char *name);
/* Minimum namespace role for `perm`; WF_ROLE_PLATFORM_ADMIN for platform-only ones. */
wf_role_t wf_rbac_perm_min_role(wf_perm_t perm);
/* True when the auditor role grants `perm` (read-only permissions). */
bool wf_rbac_perm_auditor(wf_perm_t perm);

/* True when `subject` is well formed: "user:<1..255 printable, no space>",
 * "group:<same>", "sa:<valid namespace>/<name [a-z0-9][a-z0-9_-]{0,62}>". */
bool wf_rbac_subject_valid(const char *subject);

/* True when binding `b` applies to principal `who` (its subject or one of its
 * groups as "group:<g>"), ignoring namespaces. */
bool wf_rbac_binding_matches(const wf_rbac_binding_t *b, const wf_principal_t *who);

/* Highest namespace role `who` holds on `ns` through `bindings` (global roles
 * not included); `via` (optional) gets the binding. WF_ROLE_NONE when none. */
wf_role_t wf_rbac_role_on(const wf_principal_t *who, const wf_rbac_binding_t *bindings,
                          size_t n, const char *ns, const wf_rbac_binding_t **via);
/* True when `who` holds global role `role` (auditor or platform-admin). */
bool wf_rbac_has_global(const wf_principal_t *who, const wf_rbac_binding_t *bindings, size_t n,
                        wf_role_t role);

/* The decision: may `who` (subject + groups) do `perm` on namespace `ns`?
 * Pure: reads only its arguments. `ns` may be NULL for permissions that are
 * not tied to a namespace (domain management). Always fills `out`; returns
 * out->allowed. Reasons: allowed:platform-admin, allowed:auditor-read,
 * allowed:role-<role>-on-<prefix>, denied:no-binding, denied:role-too-low,
 * denied:platform-only, denied:invalid-namespace, denied:unknown-permission,
 * denied:no-subject. */
bool wf_rbac_decide(const wf_principal_t *who, const wf_rbac_binding_t *bindings, size_t n,
                    wf_perm_t perm, const char *ns, wf_rbac_decision_t *out);

/* Binding management rule: may `who` create (or delete) a binding of `role`
 * on `ns`? Global roles: platform-admins only. Namespace roles: platform-admins,
 * or whoever has binding.manage on `ns` and holds a role there at least as high
 * as the one granted (nobody grants above their own). Reasons as above plus
 * denied:global-role-platform-only, denied:grant-above-own-role,
 * denied:invalid-role. */
bool wf_rbac_can_bind(const wf_principal_t *who, const wf_rbac_binding_t *bindings, size_t n,
                      wf_role_t role, const char *ns, wf_rbac_decision_t *out);

#endif
