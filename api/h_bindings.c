/* Role bindings: who holds which role on which namespace prefix. Only admins
 * of a namespace (or platform-admins) manage them, never above their own
 * role (wf_rbac_can_bind). */
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/reply.h"
#include "platform/log.h"

/* Answers 403/404 for a refused binding change and audits it. */
static bool may_bind(wf_call_t *call, wf_role_t role, const char *ns, const char *action)
{
    wf_rbac_decision_t d;
    if (wf_rbac_can_bind(&call->who, call->bindings, call->n_bindings, role, ns, &d))
        return true;
    wf_call_audit_denial(call, action, ns, wf_rbac_role_name(role), d.reason, NULL);
    if (ns != NULL && ns[0] != '\0' && !wf_call_can(call, WF_PERM_NAMESPACE_READ, ns)) {
        wf_http_problem(call->req, WF_PROB_NOT_FOUND, NULL, "no such resource");
        return false;
    }
    wf_http_problem(call->req, WF_PROB_FORBIDDEN, json_pack("{s:s}", "reason", d.reason),
                    "you may not manage %s bindings %s%s", wf_rbac_role_name(role),
                    ns && ns[0] ? "on " : "", ns && ns[0] ? ns : "");
    return false;
}

static json_t *binding_row(const PGresult *res, int i)
{
    static const char *const cols[] = {"subject",   "role",      "namespace",
                                       "createdAt", "createdBy", NULL};
    return wf_db_id_row(res, i, cols);
}

static const wf_reply_one_t created = {.status = 201,
                                       .row = binding_row,
                                       .none = WF_PROB_CONFLICT,
                                       .none_detail = "this binding already exists"};

void wf_h_binding_create(wf_call_t *call)
{
    json_t *b = call->body;
    const char *subject = json_string_value(json_object_get(b, "subject"));
    const char *role_name = json_string_value(json_object_get(b, "role"));
    const char *ns = json_string_value(json_object_get(b, "namespace"));
    if (b == NULL || !json_is_object(b) || subject == NULL || role_name == NULL) {
        wf_http_problem(call->req, WF_PROB_INVALID, NULL,
                        "body must be {\"subject\": ..., \"role\": ..., \"namespace\": ...}");
        return;
    }
    if (!wf_rbac_subject_valid(subject)) {
        wf_http_problem(call->req, WF_PROB_INVALID, NULL,
                        "subject must be user:<sub>, group:<name> or sa:<namespace>/<name>");
        return;
    }
    wf_role_t role = wf_rbac_role_parse(role_name);
    if (role == WF_ROLE_NONE) {
        wf_http_problem(call->req, WF_PROB_INVALID, NULL,
                        "role must be viewer, launcher, developer, admin, auditor or "
                        "platform-admin");
        return;
    }
    if (wf_rbac_role_global(role)) {
        if (ns != NULL && ns[0] != '\0') {
            wf_http_problem(call->req, WF_PROB_INVALID, NULL,
                            "%s is a platform role: it takes no namespace", role_name);
            return;
        }
        ns = "";
    } else if (ns == NULL || !wf_namespace_valid(ns)) {
        wf_http_problem(call->req, WF_PROB_INVALID, NULL, "a valid namespace is required");
        return;
    }
    if (!may_bind(call, role, ns, "binding.create"))
        return;
    const char *params[4] = {subject, role_name, ns, call->who.subject};
    wf_reply_one(call, WF_SQL_BINDING_CREATE, 4, params, &created);
}

void wf_h_binding_list(wf_call_t *call)
{
    const char *params[1] = {call->ns};
    wf_reply_list(call, WF_SQL_BINDING_LIST, 1, params, binding_row);
}

static const wf_reply_one_t deleted = {.status = 204, .none = WF_PROB_NOT_FOUND};

static void on_loaded_for_delete(void *arg, const PGresult *res)
{
    wf_call_t *call = arg;
    if (!wf_reply_need_row(call, res, WF_PROB_NOT_FOUND, NULL))
        return;
    wf_role_t role = wf_rbac_role_parse(wf_db_get(res, 0, 2));
    const char *ns = wf_http_strdup(call->req, wf_db_get(res, 0, 3));
    /* A caller who cannot see the namespace gets the same 404 as a missing
     * binding; one who can see it but may not change it gets 403. */
    if (!may_bind(call, role, ns, "binding.delete"))
        return;
    const char *params[2] = {call->params[0], call->who.subject};
    wf_reply_one(call, WF_SQL_BINDING_DELETE, 2, params, &deleted);
}

void wf_h_binding_delete(wf_call_t *call)
{
    if (!wf_http_digits(call->params[0], 18)) {
        wf_http_problem(call->req, WF_PROB_NOT_FOUND, NULL, "no such resource");
        return;
    }
    const char *params[1] = {call->params[0]};
    wf_db_query(call->th->db, WF_SQL_BINDING_GET, 1, params, on_loaded_for_delete, call);
}
