/* Governance policies of namespace prefixes (tenants/policy.h).
 *
 * PUT replaces the caller's layer of one prefix: platform-admins write the
 * platform layer, anyone else with policy.manage (domain admins) the domain
 * layer, whose values must be at least as tight as everything inherited
 * (the root and every parent prefix, plus the platform layer of the same
 * prefix). GET answers the effective policy with each value's provenance.
 * The root is written "*" in the path. The tighten check and the write are
 * two statements: a concurrent tightening above cannot be undone by it,
 * because values only ever narrow when merged. */
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/reply.h"
#include "platform/config.h"
#include "tenants/policy.h"

typedef struct {
    const char *ns; /* "" for the root */
    bool platform;  /* the caller writes the platform layer */
} policy_state_t;

/* The namespace of the path: "*" is the root (""). Answers 404 and returns
 * NULL when it is not a namespace. */
static const char *path_namespace(wf_call_t *call)
{
    const char *ns = wf_call_param(call, "namespace");
    if (ns != NULL && strcmp(ns, "*") == 0)
        return "";
    if (ns != NULL && wf_namespace_valid(ns))
        return ns;
    wf_http_problem(call->req, WF_PROB_NOT_FOUND, NULL, "no such resource");
    return NULL;
}

/* The policy of `ns` from WF_SQL_POLICY_CHAIN rows; `skip_own_domain` leaves
 * out the domain layer of `ns` itself, `skip_own` both of its layers (what
 * a write of that layer must not loosen). NULL when out of memory. */
static wf_policy_t *policy_from_rows(const PGresult *res, const char *ns, bool skip_own_domain,
                                     bool skip_own)
{
    wf_policy_t *p = wf_policy_create(ns);
    if (p == NULL)
        return NULL;
    for (int i = 0; i < PQntuples(res); i++) {
        const char *prefix = wf_db_get(res, i, 0);
        bool own = strcmp(prefix, ns) == 0;
        if (own && skip_own)
            continue;
        for (int layer = 0; layer < 2; layer++) {
            if (own && layer == 1 && skip_own_domain)
                continue;
            json_t *doc = json_loads(wf_db_get(res, i, 1 + layer), 0, NULL);
            int rc = doc ? wf_policy_add(p, prefix, layer == 0, doc) : 0;
            json_decref(doc);
            if (rc != 0) {
                wf_policy_destroy(p);
                return NULL;
            }
        }
    }
    return p;
}

wf_policy_t *wf_h_policy_chain(wf_call_t *call, const PGresult *res, const char *ns,
                               bool skip_own_domain, bool skip_own)
{
    if (!wf_reply_ok(call, res))
        return NULL;
    wf_policy_t *p = policy_from_rows(res, ns, skip_own_domain, skip_own);
    if (p == NULL)
        wf_http_problem(call->req, WF_PROB_INTERNAL, NULL, "out of memory");
    return p;
}

static void on_policy_stored(void *arg, const PGresult *res)
{
    wf_call_t *call = arg;
    policy_state_t *st = call->state;
    if (!wf_db_ok(res) || PQntuples(res) != 1) {
        wf_call_db_error(call, res);
        return;
    }
    json_t *plat = json_loads(wf_db_get(res, 0, 1), 0, NULL);
    json_t *dom = json_loads(wf_db_get(res, 0, 2), 0, NULL);
    wf_http_json(call->req, 200,
                 json_pack("{s:s, s:s, s:{s:o, s:o}, s:s, s:s}", "namespace", st->ns, "layer",
                           st->platform ? "platform" : "domain", "layers", "platform",
                           plat ? plat : json_object(), "domain", dom ? dom : json_object(),
                           "updatedAt", wf_db_get(res, 0, 3), "updatedBy",
                           wf_db_get(res, 0, 4)));
}

/* Rows of the prefixes above (and at) the namespace: check, then store. */
static void on_policy_chain_for_put(void *arg, const PGresult *res)
{
    wf_call_t *call = arg;
    policy_state_t *st = call->state;
    /* What the new layer must not loosen: every level above; for the domain
     * layer also the platform layer of the same prefix. */
    wf_policy_t *inherited = wf_h_policy_chain(call, res, st->ns, true, st->platform);
    if (inherited == NULL)
        return;
    wf_policy_violation_t v;
    int rc = wf_policy_check_tighter(inherited, call->body, &v);
    wf_policy_destroy(inherited);
    if (rc != 0) {
        char *ptr = wf_http_printf(call->req, "/%s", v.key);
        wf_call_audit(call, "policy.set", st->ns, wf_http_printf(call->req, "policy:%s", st->ns),
                      "denied", "looser-than-inherited",
                      json_pack("{s:s, s:s, s:s}", "key", v.key, "inheritedFrom", v.from, "layer",
                                st->platform ? "platform" : "domain"));
        json_t *extra = json_pack("{s:s, s:s, s:o, s:s, s:[{s:s, s:s, s:s}]}", "pointer", ptr,
                                  "key", v.key, "inherited",
                                  v.inherited ? v.inherited : json_null(), "inheritedFrom",
                                  v.from, "errors", "pointer", ptr, "path", ptr, "message",
                                  v.message);
        wf_http_problem(call->req, WF_PROB_INVALID, extra, "%s", v.message);
        return;
    }
    char *doc = json_dumps(call->body, JSON_COMPACT);
    const char *params[4] = {st->ns, doc, call->who.subject, st->platform ? "platform" : "domain"};
    wf_db_query(call->th->db, WF_SQL_POLICY_PUT, 4, params, on_policy_stored, call);
    free(doc);
}

void wf_h_policy_put(wf_call_t *call)
{
    const char *ns = path_namespace(call);
    if (ns == NULL)
        return;
    /* The root's policy covers every domain: platform-admins only. */
    if (ns[0] == '\0' ? !wf_call_authorize(call, WF_PERM_DOMAIN_MANAGE, NULL)
                      : !wf_call_authorize(call, WF_PERM_POLICY_MANAGE, ns))
        return;
    char ptr[300], msg[300];
    if (call->body == NULL) {
        wf_http_problem(call->req, WF_PROB_INVALID,
                        json_pack("{s:s, s:[{s:s, s:s}]}", "pointer", "", "errors", "pointer", "",
                                  "message", "the body must be a policy object"),
                        "the body must be a policy object ({} removes the caller's layer)");
        return;
    }
    if (wf_policy_validate(call->body, ptr, sizeof(ptr), msg, sizeof(msg)) != 0) {
        wf_http_problem(call->req, WF_PROB_INVALID,
                        json_pack("{s:s, s:[{s:s, s:s, s:s}]}", "pointer", ptr, "errors", "pointer",
                                  ptr, "path", ptr, "message", msg),
                        "%s: %s", ptr, msg);
        return;
    }
    policy_state_t *st = h2o_mem_alloc_pool(&call->req->pool, sizeof(*st));
    st->ns = ns;
    st->platform = wf_rbac_has_global(&call->who, call->bindings, call->n_bindings,
                                      WF_ROLE_PLATFORM_ADMIN);
    call->state = st;
    const char *params[1] = {ns};
    wf_db_query(call->th->db, WF_SQL_POLICY_CHAIN, 1, params, on_policy_chain_for_put, call);
}

static void on_policy_chain_for_get(void *arg, const PGresult *res)
{
    wf_call_t *call = arg;
    policy_state_t *st = call->state;
    wf_policy_t *p = wf_h_policy_chain(call, res, st->ns, false, false);
    if (p == NULL)
        return;
    json_t *layers = json_array();
    for (int i = 0; i < PQntuples(res); i++) {
        json_t *plat = json_loads(wf_db_get(res, i, 1), 0, NULL);
        json_t *dom = json_loads(wf_db_get(res, i, 2), 0, NULL);
        json_array_append_new(layers, json_pack("{s:s, s:o, s:o, s:s, s:s}", "namespace",
                                                wf_db_get(res, i, 0), "platform",
                                                plat ? plat : json_object(), "domain",
                                                dom ? dom : json_object(), "updatedAt",
                                                wf_db_get(res, i, 3), "updatedBy",
                                                wf_db_get(res, i, 4)));
    }
    wf_http_json(call->req, 200,
                 json_pack("{s:s, s:o, s:o}", "namespace", st->ns, "policy",
                           wf_policy_effective_json(p), "layers", layers));
    wf_policy_destroy(p);
}

void wf_h_policy_get(wf_call_t *call)
{
    const char *ns = path_namespace(call);
    if (ns == NULL)
        return;
    /* The root's policy is part of every namespace's: any caller may read it. */
    if (ns[0] != '\0' && !wf_call_authorize(call, WF_PERM_POLICY_READ, ns))
        return;
    policy_state_t *st = h2o_mem_alloc_pool(&call->req->pool, sizeof(*st));
    st->ns = ns;
    st->platform = false;
    call->state = st;
    const char *params[1] = {ns};
    wf_db_query(call->th->db, WF_SQL_POLICY_CHAIN, 1, params, on_policy_chain_for_get, call);
}
