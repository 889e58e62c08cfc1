/* The route table. Rows with literal segments come before rows whose same
 * position is a parameter (first match wins). Tests check that every
 * protected route names a permission and that the OpenAPI document lists
 * exactly these rows. */
#include "api/handlers.h"
#include "api/routes.h"

#define PUB WF_ROUTE_PUBLIC
#define BEARER WF_ROUTE_BEARER
#define ANYONE WF_PERM_AUTHENTICATED
#define NOCHECK WF_PERM_NO_CHECK

const wf_route_t wf_routes[] = {
    /* probes and the API document */
    {"GET", "/healthz", PUB, NOCHECK, WF_NS_NONE, WF_BODY_NONE, wf_h_healthz,
     "Liveness: the process answers", "health"},
    {"GET", "/readyz", PUB, NOCHECK, WF_NS_NONE, WF_BODY_NONE, wf_h_readyz,
     "Readiness: database reachable and schema current", "health"},
    {"GET", "/api/v1/openapi.json", PUB, NOCHECK, WF_NS_NONE, WF_BODY_NONE, wf_h_openapi,
     "This document", "health"},

    /* identity */
    {"GET", "/api/v1/me", BEARER, ANYONE, WF_NS_NONE, WF_BODY_NONE, wf_h_me,
     "Who am I: subject, groups, bindings", "auth"},
    {"GET", "/api/v1/auth/can-i", BEARER, ANYONE, WF_NS_NONE, WF_BODY_NONE, wf_h_can_i,
     "Explain an RBAC decision (?action=&namespace=[&as=])", "auth"},

    /* role bindings */
    {"POST", "/api/v1/bindings", BEARER, WF_PERM_BINDING_MANAGE, WF_NS_HANDLER, WF_BODY_JSON,
     wf_h_binding_create, "Bind a role to a subject on a namespace prefix", "bindings"},
    {"GET", "/api/v1/bindings", BEARER, WF_PERM_BINDING_READ, WF_NS_QUERY, WF_BODY_NONE,
     wf_h_binding_list, "Bindings on, above and below a namespace (?namespace=)", "bindings"},
    {"DELETE", "/api/v1/bindings/{id}", BEARER, WF_PERM_BINDING_MANAGE, WF_NS_HANDLER,
     WF_BODY_NONE, wf_h_binding_delete, "Remove a binding", "bindings"},

    /* service accounts */
    {"POST", "/api/v1/namespaces/{namespace}/serviceaccounts", BEARER, WF_PERM_SA_MANAGE,
     WF_NS_PATH, WF_BODY_JSON, wf_h_sa_create, "Create a service account", "serviceaccounts"},
    {"GET", "/api/v1/namespaces/{namespace}/serviceaccounts", BEARER, WF_PERM_SA_READ,
     WF_NS_PATH, WF_BODY_NONE, wf_h_sa_list, "List service accounts", "serviceaccounts"},
    {"POST", "/api/v1/namespaces/{namespace}/serviceaccounts/{name}/tokens", BEARER,
     WF_PERM_SA_MANAGE, WF_NS_PATH, WF_BODY_JSON, wf_h_sa_token_create,
     "Issue a token (shown once)", "serviceaccounts"},
    {"GET", "/api/v1/namespaces/{namespace}/serviceaccounts/{name}/tokens", BEARER,
     WF_PERM_SA_READ, WF_NS_PATH, WF_BODY_NONE, wf_h_sa_token_list,
     "List a service account's tokens (never the secrets)", "serviceaccounts"},
    {"DELETE", "/api/v1/namespaces/{namespace}/serviceaccounts/{name}/tokens/{tokenId}", BEARER,
     WF_PERM_SA_MANAGE, WF_NS_PATH, WF_BODY_NONE, wf_h_sa_token_revoke, "Revoke a token",
     "serviceaccounts"},
    {"DELETE", "/api/v1/namespaces/{namespace}/serviceaccounts/{name}", BEARER,
     WF_PERM_SA_MANAGE, WF_NS_PATH, WF_BODY_NONE, wf_h_sa_delete,
     "Delete a service account, its tokens and its bindings", "serviceaccounts"},

    /* domains (platform team) */
    {"POST", "/api/v1/domains", BEARER, WF_PERM_DOMAIN_MANAGE, WF_NS_NONE, WF_BODY_JSON,
     wf_h_domain_create, "Create a domain with its namespace prefixes", "domains"},
    {"GET", "/api/v1/domains", BEARER, WF_PERM_DOMAIN_MANAGE, WF_NS_NONE, WF_BODY_NONE,
     wf_h_domain_list, "List domains and their prefixes", "domains"},
    {"POST", "/api/v1/domains/{domain}/namespaces", BEARER, WF_PERM_DOMAIN_MANAGE, WF_NS_NONE,
     WF_BODY_JSON, wf_h_domain_add_namespace, "Assign a namespace prefix to a domain",
     "domains"},

    /* flows */
    {"POST", "/api/v1/flows/validate", BEARER, ANYONE, WF_NS_NONE, WF_BODY_YAML,
     wf_h_flow_validate, "Validate a flow (positioned errors), store nothing", "flows"},
    {"POST", "/api/v1/flows", BEARER, WF_PERM_FLOW_WRITE, WF_NS_HANDLER, WF_BODY_YAML,
     wf_h_flow_apply, "Create or update a flow (new revision only when the source changed)",
     "flows"},
    {"GET", "/api/v1/flows", BEARER, WF_PERM_FLOW_READ, WF_NS_QUERY, WF_BODY_NONE,
     wf_h_flow_list, "Flows under a namespace prefix (?namespace=&page=&size=)", "flows"},
    {"GET", "/api/v1/flows/{namespace}/{id}/revisions", BEARER, WF_PERM_FLOW_READ, WF_NS_PATH,
     WF_BODY_NONE, wf_h_flow_revisions, "A flow's revisions with their sources", "flows"},
    {"GET", "/api/v1/flows/{namespace}/{id}", BEARER, WF_PERM_FLOW_READ, WF_NS_PATH_JOINED,
     WF_BODY_NONE, wf_h_flow_get, "A flow (model, revision, source)", "flows"},
    {"DELETE", "/api/v1/flows/{namespace}/{id}", BEARER, WF_PERM_FLOW_WRITE, WF_NS_PATH,
     WF_BODY_NONE, wf_h_flow_delete, "Delete a flow (its revisions are kept)", "flows"},

    /* executions: literal second segments (webhook, kill, ...) come first */
    {"POST", "/api/v1/executions/webhook/{namespace}/{flowId}/{key}", WF_ROUTE_WEBHOOK, NOCHECK,
     WF_NS_NONE, WF_BODY_ANY, wf_h_webhook,
     "Start an execution through the flow's webhook trigger key", "executions"},
    {"POST", "/api/v1/executions/{id}/kill", BEARER, WF_PERM_EXECUTION_KILL, WF_NS_HANDLER,
     WF_BODY_NONE, wf_h_execution_kill, "Kill a running execution", "executions"},
    {"POST", "/api/v1/executions/{id}/restart", BEARER, WF_PERM_EXECUTION_CREATE,
     WF_NS_HANDLER, WF_BODY_NONE, wf_h_execution_restart,
     "Run a failed or killed execution again (new execution, same inputs)", "executions"},
    {"POST", "/api/v1/executions/{id}/resume", BEARER, WF_PERM_EXECUTION_KILL, WF_NS_HANDLER,
     WF_BODY_NONE, wf_h_execution_resume, "Resume a paused execution", "executions"},
    {"GET", "/api/v1/executions/{id}/logs", BEARER, WF_PERM_EXECUTION_READ, WF_NS_HANDLER,
     WF_BODY_NONE, wf_h_execution_logs, "An execution's logs (?follow=true: server-sent events)",
     "executions"},
    {"POST", "/api/v1/executions/{namespace}/{flowId}", BEARER, WF_PERM_EXECUTION_CREATE,
     WF_NS_PATH, WF_BODY_JSON, wf_h_execution_create,
     "Start an execution (JSON inputs; ?wait=SECONDS)", "executions"},
    {"GET", "/api/v1/executions/{id}", BEARER, WF_PERM_EXECUTION_READ, WF_NS_HANDLER,
     WF_BODY_NONE, wf_h_execution_get, "An execution with its task runs", "executions"},
    {"GET", "/api/v1/executions", BEARER, WF_PERM_EXECUTION_READ, WF_NS_QUERY, WF_BODY_NONE,
     wf_h_execution_list, "Executions under a namespace prefix (?flowId=&state=&page=&size=)",
     "executions"},

    /* secrets: write-only, sealed to the owning domain's key (api/h_secrets.c) */
    {"PUT", "/api/v1/namespaces/{namespace}/secrets/{key}", BEARER, WF_PERM_SECRET_WRITE,
     WF_NS_PATH, WF_BODY_JSON, wf_h_secret_put,
     "Set a secret ({\"value\": ...}; a new version, sealed; never returned)", "secrets"},
    {"GET", "/api/v1/namespaces/{namespace}/secrets", BEARER, WF_PERM_SECRET_READ_NAMES,
     WF_NS_PATH, WF_BODY_NONE, wf_h_secret_list,
     "Secret names and metadata of a namespace and its children (never values)", "secrets"},
    {"DELETE", "/api/v1/namespaces/{namespace}/secrets/{key}", BEARER, WF_PERM_SECRET_WRITE,
     WF_NS_PATH, WF_BODY_NONE, wf_h_secret_delete, "Delete a secret", "secrets"},

    /* grants and policies: their rows go here */
    /* cross-team grants (api/h_grants.c): made by the producer's admins */
    {"POST", "/api/v1/namespaces/{namespace}/grants", BEARER, WF_PERM_GRANT_MANAGE, WF_NS_PATH,
     WF_BODY_JSON, wf_h_grant_create,
     "Share completion events (and subflow calls) of flows with a consumer namespace", "grants"},
    {"GET", "/api/v1/namespaces/{namespace}/grants", BEARER, WF_PERM_GRANT_READ, WF_NS_PATH,
     WF_BODY_NONE, wf_h_grant_list,
     "Grants on, above and below a namespace, revoked ones included", "grants"},
    {"DELETE", "/api/v1/namespaces/{namespace}/grants/{id}", BEARER, WF_PERM_GRANT_MANAGE,
     WF_NS_PATH, WF_BODY_NONE, wf_h_grant_revoke, "Revoke a grant (the row is kept)",
     "grants"},
    {"PUT", "/api/v1/namespaces/{namespace}/policy", BEARER, WF_PERM_POLICY_MANAGE, WF_NS_HANDLER,
     WF_BODY_JSON, wf_h_policy_put,
     "Set the caller's layer of a namespace's policy (tighten only; \"*\" is the root)",
     "policies"},
    {"GET", "/api/v1/namespaces/{namespace}/policy", BEARER, WF_PERM_POLICY_READ, WF_NS_HANDLER,
     WF_BODY_NONE, wf_h_policy_get,
     "Effective policy of a namespace: each value with the prefix it comes from", "policies"},

    /* the audit log (api/h_audit.c) */
    {"GET", "/api/v1/audit", BEARER, WF_PERM_AUDIT_READ, WF_NS_HANDLER, WF_BODY_NONE,
     wf_h_audit_list,
     "Audit entries, newest first (?namespace=&actor=&action=&result=&since=&before=&size=)",
     "audit"},

    {NULL, NULL, 0, 0, 0, 0, NULL, NULL, NULL},
};
