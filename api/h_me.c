/* Who am I, and can I? */
#include <string.h>

#include "api/handlers.h"
#include "api/reply.h"

static json_t *bindings_json(const wf_rbac_binding_t *b, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "subject", b[i].subject, "role",
                                             wf_rbac_role_name(b[i].role), "namespace",
                                             b[i].namespace ? b[i].namespace : ""));
    return arr;
}

void wf_h_me(wf_call_t *call)
{
    json_t *groups = json_array();
    for (size_t i = 0; i < call->who.n_groups; i++)
        json_array_append_new(groups, json_string(call->who.groups[i]));
    json_t *platform = json_array();
    static const wf_role_t globals[] = {WF_ROLE_PLATFORM_ADMIN, WF_ROLE_AUDITOR};
    for (size_t i = 0; i < sizeof(globals) / sizeof(globals[0]); i++)
        if (wf_rbac_has_global(&call->who, call->bindings, call->n_bindings, globals[i]))
            json_array_append_new(platform, json_string(wf_rbac_role_name(globals[i])));
    json_t *body = json_pack("{s:s, s:s, s:o, s:o, s:o}", "subject", call->who.subject, "issuer",
                             call->who.issuer ? call->who.issuer : "", "groups", groups,
                             "platformRoles", platform, "bindings",
                             bindings_json(call->bindings, call->n_bindings));
    if (call->who.expires_at > 0)
        json_object_set_new(body, "expiresAt", json_integer(call->who.expires_at));
    wf_http_json(call->req, 200, body);
}

/* ---- can-i --------------------------------------------------------------- */

typedef struct {
    wf_perm_t perm;
    const char *ns;
    const char *as;
} can_i_t;

static void answer(wf_call_t *call, const wf_principal_t *who, const wf_rbac_binding_t *b,
                   size_t n)
{
    can_i_t *st = call->state;
    wf_rbac_decision_t d;
    wf_rbac_decide(who, b, n, st->perm, st->ns, &d);
    json_t *body = json_pack("{s:s, s:b, s:s, s:s, s:s}", "subject", who->subject, "allowed",
                             d.allowed, "reason", d.reason, "action", wf_rbac_perm_name(st->perm),
                             "namespace", st->ns ? st->ns : "");
    json_object_set_new(body, "role", json_string(wf_rbac_role_name(d.role)));
    if (d.via != NULL)
        json_object_set_new(body, "via",
                            json_pack("{s:s, s:s, s:s}", "subject", d.via->subject, "role",
                                      wf_rbac_role_name(d.via->role), "namespace",
                                      d.via->namespace ? d.via->namespace : ""));
    wf_http_json(call->req, 200, body);
}

static void on_as_bindings(void *arg, const PGresult *res)
{
    wf_call_t *call = arg;
    can_i_t *st = call->state;
    if (!wf_reply_ok(call, res))
        return;
    wf_rbac_binding_t *b;
    size_t k = wf_call_binding_rows(call, res, &b);
    /* The other subject is judged on its own bindings only: its groups come
     * from its identity provider and are not known here. */
    wf_principal_t other;
    wf_principal_init(&other);
    if (wf_principal_set(&other, st->as, "", 0) != 0) {
        wf_http_problem(call->req, WF_PROB_INTERNAL, NULL, "out of memory");
        return;
    }
    answer(call, &other, b, k);
    wf_principal_dispose(&other);
}

void wf_h_can_i(wf_call_t *call)
{
    can_i_t *st = h2o_mem_alloc_pool(&call->req->pool, sizeof(*st));
    call->state = st;
    const char *action = wf_http_query(call->req, "action");
    int perm = action ? wf_rbac_perm_parse(action) : -1;
    if (perm < 0) {
        json_t *known = json_array();
        for (int p = 0; p < WF_PERM_COUNT; p++)
            json_array_append_new(known, json_string(wf_rbac_perm_name((wf_perm_t)p)));
        wf_http_problem(call->req, WF_PROB_BAD_REQUEST, json_pack("{s:o}", "actions", known),
                        "action must be one of the permission names");
        return;
    }
    st->perm = (wf_perm_t)perm;
    st->ns = wf_http_query(call->req, "namespace");
    if (st->ns != NULL && st->ns[0] == '\0')
        st->ns = NULL;
    if (st->ns != NULL && !wf_namespace_valid(st->ns)) {
        wf_http_problem(call->req, WF_PROB_BAD_REQUEST, NULL, "invalid namespace");
        return;
    }
    st->as = wf_http_query(call->req, "as");
    if (st->as == NULL || strcmp(st->as, call->who.subject) == 0) {
        answer(call, &call->who, call->bindings, call->n_bindings);
        return;
    }
    if (!wf_rbac_subject_valid(st->as)) {
        wf_http_problem(call->req, WF_PROB_BAD_REQUEST, NULL,
                        "as must be user:<sub>, group:<name> or sa:<namespace>/<name>");
        return;
    }
    /* Explaining someone else's rights is an admin's tool. */
    if (!wf_call_authorize(call, WF_PERM_AUTH_EXPLAIN_AS, st->ns))
        return;
    const char *subjects[1] = {st->as};
    const char *params[1] = {wf_call_pg_array(call, subjects, 1)};
    wf_db_query(call->th->db, WF_SQL_BINDINGS_FOR, 1, params, on_as_bindings, call);
}
