/* Namespace RBAC; see rbac.h. Everything here is a pure function of its
 * arguments: no I/O, no globals, so the gateway threads can call it freely. */
#include "auth/rbac.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "platform/config.h"

static const char *const role_names[WF_ROLE_COUNT] = {
    [WF_ROLE_NONE] = "none",
    [WF_ROLE_VIEWER] = "viewer",
    [WF_ROLE_LAUNCHER] = "launcher",
    [WF_ROLE_DEVELOPER] = "developer",
    [WF_ROLE_ADMIN] = "admin",
    [WF_ROLE_AUDITOR] = "auditor",
    [WF_ROLE_PLATFORM_ADMIN] = "platform-admin",
};

/* The permission table: the one place that says who may do what. A
 * WF_ROLE_PLATFORM_ADMIN minimum means no namespace role is enough. */
static const struct perm_entry {
    const char *name;
    wf_role_t min_role;
    bool auditor; /* read-only: the auditor role grants it everywhere */
} perms[WF_PERM_COUNT] = {
    [WF_PERM_NAMESPACE_READ] = {"namespace.read", WF_ROLE_VIEWER, true},
    [WF_PERM_FLOW_READ] = {"flow.read", WF_ROLE_VIEWER, true},
    [WF_PERM_FLOW_WRITE] = {"flow.write", WF_ROLE_DEVELOPER, false},
    [WF_PERM_EXECUTION_READ] = {"execution.read", WF_ROLE_VIEWER, true},
    [WF_PERM_EXECUTION_CREATE] = {"execution.create", WF_ROLE_LAUNCHER, false},
    [WF_PERM_EXECUTION_KILL] = {"execution.kill", WF_ROLE_LAUNCHER, false},
    [WF_PERM_BINDING_READ] = {"binding.read", WF_ROLE_VIEWER, true},
    [WF_PERM_BINDING_MANAGE] = {"binding.manage", WF_ROLE_ADMIN, false},
    [WF_PERM_SA_READ] = {"sa.read", WF_ROLE_DEVELOPER, true},
    [WF_PERM_SA_MANAGE] = {"sa.manage", WF_ROLE_ADMIN, false},
    [WF_PERM_SECRET_READ_NAMES] = {"secret.list", WF_ROLE_DEVELOPER, true},
    [WF_PERM_SECRET_WRITE] = {"secret.write", WF_ROLE_DEVELOPER, false},
    [WF_PERM_GRANT_READ] = {"grant.read", WF_ROLE_VIEWER, true},
    [WF_PERM_GRANT_MANAGE] = {"grant.manage", WF_ROLE_ADMIN, false},
    [WF_PERM_POLICY_READ] = {"policy.read", WF_ROLE_VIEWER, true},
    [WF_PERM_POLICY_MANAGE] = {"policy.manage", WF_ROLE_ADMIN, false},
    [WF_PERM_AUDIT_READ] = {"audit.read", WF_ROLE_ADMIN, true},
    [WF_PERM_AUTH_EXPLAIN_AS] = {"auth.explain-as", WF_ROLE_ADMIN, true},
    [WF_PERM_DOMAIN_MANAGE] = {"domain.manage", WF_ROLE_PLATFORM_ADMIN, false},
};

const char *wf_rbac_role_name(wf_role_t role)
{
    return (unsigned)role < WF_ROLE_COUNT ? role_names[role] : "none";
}

wf_role_t wf_rbac_role_parse(const char *name)
{
    /* "none" is not a role anyone can be bound to. */
    for (int r = WF_ROLE_VIEWER; r < WF_ROLE_COUNT; r++)
        if (name != NULL && strcmp(name, role_names[r]) == 0)
            return (wf_role_t)r;
    return WF_ROLE_NONE;
}

bool wf_rbac_role_global(wf_role_t role)
{
    return role == WF_ROLE_AUDITOR || role == WF_ROLE_PLATFORM_ADMIN;
}

const char *wf_rbac_perm_name(wf_perm_t perm)
{
    return (unsigned)perm < WF_PERM_COUNT ? perms[perm].name : "unknown";
}

int wf_rbac_perm_parse(const char *name)
{
    for (int p = 0; p < WF_PERM_COUNT; p++)
        if (name != NULL && strcmp(name, perms[p].name) == 0)
            return p;
    return -1;
}

wf_role_t wf_rbac_perm_min_role(wf_perm_t perm)
{
    return (unsigned)perm < WF_PERM_COUNT ? perms[perm].min_role : WF_ROLE_PLATFORM_ADMIN;
}

bool wf_rbac_perm_auditor(wf_perm_t perm)
{
    return (unsigned)perm < WF_PERM_COUNT && perms[perm].auditor;
}

static bool name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > WF_PRINCIPAL_MAX_NAME)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s == 0x7f)
            return false;
    return true;
}

bool wf_rbac_subject_valid(const char *subject)
{
    if (subject == NULL)
        return false;
    if (strncmp(subject, "user:", 5) == 0)
        return name_ok(subject + 5);
    if (strncmp(subject, "group:", 6) == 0)
        return name_ok(subject + 6);
    if (strncmp(subject, "sa:", 3) == 0) {
        const char *slash = strrchr(subject + 3, '/');
        char ns[256];
        size_t nl = slash ? (size_t)(slash - subject - 3) : 0;
        if (slash == NULL || nl == 0 || nl >= sizeof(ns))
            return false;
        memcpy(ns, subject + 3, nl);
        ns[nl] = '\0';
        size_t n = strlen(slash + 1);
        /* Same rule as service_accounts.name: ^[a-z0-9][a-z0-9_-]{0,62}$ */
        if (!wf_namespace_valid(ns) || n == 0 || n > 63 ||
            !(islower((unsigned char)slash[1]) || isdigit((unsigned char)slash[1])))
            return false;
        for (const char *p = slash + 1; *p; p++)
            if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '-' &&
                *p != '_')
                return false;
        return true;
    }
    return false;
}

bool wf_rbac_binding_matches(const wf_rbac_binding_t *b, const wf_principal_t *who)
{
    if (b->subject == NULL || who == NULL || who->subject == NULL)
        return false;
    if (strcmp(b->subject, who->subject) == 0)
        return true;
    if (strncmp(b->subject, "group:", 6) != 0)
        return false;
    for (size_t i = 0; i < who->n_groups; i++)
        if (strcmp(b->subject + 6, who->groups[i]) == 0)
            return true;
    return false;
}

/* A binding is well formed when its role kind and namespace agree; malformed
 * rows never grant anything. */
static bool binding_wellformed(const wf_rbac_binding_t *b)
{
    bool has_ns = b->namespace != NULL && b->namespace[0] != '\0';
    if (wf_rbac_role_global(b->role))
        return !has_ns;
    if (b->role <= WF_ROLE_NONE || b->role > WF_ROLE_ADMIN)
        return false;
    return has_ns && wf_namespace_valid(b->namespace);
}

wf_role_t wf_rbac_role_on(const wf_principal_t *who, const wf_rbac_binding_t *bindings,
                          size_t n, const char *ns, const wf_rbac_binding_t **via)
{
    wf_role_t best = WF_ROLE_NONE;
    if (via != NULL)
        *via = NULL;
    if (ns == NULL || !wf_namespace_valid(ns))
        return WF_ROLE_NONE;
    for (size_t i = 0; i < n; i++) {
        const wf_rbac_binding_t *b = &bindings[i];
        if (!binding_wellformed(b) || wf_rbac_role_global(b->role) ||
            !wf_rbac_binding_matches(b, who) || !wf_namespace_under(ns, b->namespace))
            continue;
        /* Ties keep the first (closest rows come first in a sorted list). */
        if (b->role > best) {
            best = b->role;
            if (via != NULL)
                *via = b;
        }
    }
    return best;
}

bool wf_rbac_has_global(const wf_principal_t *who, const wf_rbac_binding_t *bindings, size_t n,
                        wf_role_t role)
{
    if (!wf_rbac_role_global(role))
        return false;
    for (size_t i = 0; i < n; i++)
        if (bindings[i].role == role && binding_wellformed(&bindings[i]) &&
            wf_rbac_binding_matches(&bindings[i], who))
            return true;
    return false;
}

static bool finish(wf_rbac_decision_t *out, bool allowed, wf_role_t role,
                   const wf_rbac_binding_t *via, const char *reason)
{
    out->allowed = allowed;
    out->role = role;
    out->via = via;
    snprintf(out->reason, sizeof(out->reason), "%s", reason);
    return allowed;
}

bool wf_rbac_decide(const wf_principal_t *who, const wf_rbac_binding_t *bindings, size_t n,
                    wf_perm_t perm, const char *ns, wf_rbac_decision_t *out)
{
    memset(out, 0, sizeof(*out));
    if ((unsigned)perm >= WF_PERM_COUNT)
        return finish(out, false, WF_ROLE_NONE, NULL, "denied:unknown-permission");
    if (who == NULL || who->subject == NULL || who->subject[0] == '\0')
        return finish(out, false, WF_ROLE_NONE, NULL, "denied:no-subject");
    const struct perm_entry *pe = &perms[perm];
    bool platform_only = pe->min_role == WF_ROLE_PLATFORM_ADMIN;
    /* A namespace-scoped permission needs a valid namespace even for
     * platform-admins, so a malformed request is never "allowed". */
    if (!platform_only && (ns == NULL || !wf_namespace_valid(ns)))
        return finish(out, false, WF_ROLE_NONE, NULL, "denied:invalid-namespace");

    for (size_t i = 0; i < n; i++)
        if (bindings[i].role == WF_ROLE_PLATFORM_ADMIN && binding_wellformed(&bindings[i]) &&
            wf_rbac_binding_matches(&bindings[i], who))
            return finish(out, true, WF_ROLE_PLATFORM_ADMIN, &bindings[i],
                          "allowed:platform-admin");
    if (platform_only)
        return finish(out, false, WF_ROLE_NONE, NULL, "denied:platform-only");

    const wf_rbac_binding_t *via = NULL;
    wf_role_t role = wf_rbac_role_on(who, bindings, n, ns, &via);
    if (role != WF_ROLE_NONE && role >= pe->min_role) {
        finish(out, true, role, via, "");
        snprintf(out->reason, sizeof(out->reason), "allowed:role-%s-on-%s",
                 wf_rbac_role_name(role), via->namespace);
        return true;
    }
    if (pe->auditor) {
        for (size_t i = 0; i < n; i++)
            if (bindings[i].role == WF_ROLE_AUDITOR && binding_wellformed(&bindings[i]) &&
                wf_rbac_binding_matches(&bindings[i], who))
                return finish(out, true, WF_ROLE_AUDITOR, &bindings[i], "allowed:auditor-read");
    }
    if (role != WF_ROLE_NONE)
        return finish(out, false, role, via, "denied:role-too-low");
    return finish(out, false, WF_ROLE_NONE, NULL, "denied:no-binding");
}

bool wf_rbac_can_bind(const wf_principal_t *who, const wf_rbac_binding_t *bindings, size_t n,
                      wf_role_t role, const char *ns, wf_rbac_decision_t *out)
{
    memset(out, 0, sizeof(*out));
    if (role <= WF_ROLE_NONE || role >= WF_ROLE_COUNT)
        return finish(out, false, WF_ROLE_NONE, NULL, "denied:invalid-role");
    if (wf_rbac_role_global(role)) {
        bool pa = wf_rbac_has_global(who, bindings, n, WF_ROLE_PLATFORM_ADMIN);
        if (ns != NULL && ns[0] != '\0')
            return finish(out, false, WF_ROLE_NONE, NULL, "denied:invalid-namespace");
        return pa ? finish(out, true, WF_ROLE_PLATFORM_ADMIN, NULL, "allowed:platform-admin")
                  : finish(out, false, WF_ROLE_NONE, NULL, "denied:global-role-platform-only");
    }
    if (!wf_rbac_decide(who, bindings, n, WF_PERM_BINDING_MANAGE, ns, out))
        return false;
    /* Platform-admins outrank every namespace role. Anyone else may grant at
     * most the role they hold on that namespace. */
    if (out->role != WF_ROLE_PLATFORM_ADMIN && role > out->role)
        return finish(out, false, out->role, out->via, "denied:grant-above-own-role");
    return true;
}
