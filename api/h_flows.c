/* Flows: YAML in (validated by the flow library, errors with positions),
 * checked against the namespace's governance policy (tenants/policy.h),
 * stored with a new revision only when the source changed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/reply.h"
#include "flow/flow.h"
#include "tenants/policy.h"

/* Answers 422 with every positioned error of `diags`. */
static void send_invalid(wf_call_t *call, wf_diags_t *diags)
{
    json_t *errors = wf_diags_to_json(diags);
    size_t n = json_array_size(errors);
    wf_http_problem(call->req, WF_PROB_INVALID, json_pack("{s:o}", "errors", errors),
                    "the flow has %zu error%s", n, n == 1 ? "" : "s");
}

/* Parses the request body; answers 422 and returns NULL when invalid. */
static wf_flow_t *parse_body(wf_call_t *call)
{
    wf_diags_t diags;
    h2o_iovec_t body = call->req->entity;
    wf_flow_t *flow = wf_flow_parse(body.base ? body.base : "", body.base ? body.len : 0,
                                    "flow.yaml", &diags);
    if (flow == NULL)
        send_invalid(call, &diags);
    wf_diags_dispose(&diags);
    return flow;
}

void wf_h_flow_validate(wf_call_t *call)
{
    wf_flow_t *flow = parse_body(call);
    if (flow == NULL)
        return;
    json_t *model = wf_flow_to_json(flow);
    wf_flow_free(flow);
    wf_http_json(call->req, 200, json_pack("{s:b, s:o}", "valid", 1, "flow", model));
}

typedef struct {
    const char *ns, *id;
    const char *source, *model; /* pool copies, for the write after the policy check */
    bool disabled;
} flow_state_t;

static void on_upsert(void *arg, const PGresult *res)
{
    wf_call_t *call = arg;
    flow_state_t *st = call->state;
    if (!wf_reply_ok(call, res))
        return;
    if (wf_db_get(res, 0, 0) == NULL) {
        wf_http_problem(call->req, WF_PROB_INVALID, NULL,
                        "namespace %s belongs to no domain: ask the platform team to assign it",
                        st->ns);
        return;
    }
    const char *new_rev = wf_db_get(res, 0, 1);
    const char *inserted = wf_db_get(res, 0, 2);
    const char *old_rev = wf_db_get(res, 0, 3);
    bool changed = new_rev != NULL;
    bool created = changed && inserted != NULL && inserted[0] == 't';
    long rev = strtol(changed ? new_rev : (old_rev ? old_rev : "0"), NULL, 10);
    wf_http_json(call->req, created ? 201 : 200,
                 json_pack("{s:s, s:s, s:i, s:b, s:b, s:s}", "namespace", st->ns, "id", st->id,
                           "revision", (int)rev, "changed", changed, "created", created,
                           "domain", wf_db_get(res, 0, 0)));
}

/* The namespace's policy (its prefixes' rows): a flow that breaks it is
 * refused with every breach at its position, and the refusal is audited. */
static void on_apply_policy(void *arg, const PGresult *res)
{
    wf_call_t *call = arg;
    flow_state_t *st = call->state;
    wf_policy_t *p = wf_h_policy_chain(call, res, st->ns, false, false);
    if (p == NULL)
        return;
    wf_diags_t diags;
    wf_diags_init(&diags, "flow.yaml");
    int n = wf_policy_check_flow(p, st->source, call->req->entity.len, &diags);
    wf_policy_destroy(p);
    if (n > 0) {
        json_t *errors = wf_diags_to_json(&diags);
        wf_call_audit(call, "flow.write", st->ns,
                      wf_http_printf(call->req, "flow:%s/%s", st->ns, st->id), "denied", "policy",
                      json_pack("{s:O}", "errors", errors));
        wf_http_problem(call->req, WF_PROB_INVALID, json_pack("{s:o}", "errors", errors),
                        "the flow breaks %d rule%s of the namespace policy", n,
                        n == 1 ? "" : "s");
        wf_diags_dispose(&diags);
        return;
    }
    wf_diags_dispose(&diags);
    const char *params[6] = {st->ns, st->id, st->source, st->model, call->who.subject,
                             st->disabled ? "true" : "false"};
    wf_db_query(call->th->db, WF_SQL_FLOW_UPSERT, 6, params, on_upsert, call);
}

void wf_h_flow_apply(wf_call_t *call)
{
    wf_flow_t *flow = parse_body(call);
    if (flow == NULL)
        return;
    flow_state_t *st = h2o_mem_alloc_pool(&call->req->pool, sizeof(*st));
    st->ns = wf_http_strdup(call->req, flow->namespace_);
    st->id = wf_http_strdup(call->req, flow->id);
    call->state = st;
    st->disabled = flow->disabled;
    json_t *model = wf_flow_to_json(flow);
    wf_flow_free(flow);
    /* The namespace comes from the document, so the check happens here. */
    if (!wf_call_authorize(call, WF_PERM_FLOW_WRITE, st->ns)) {
        json_decref(model);
        return;
    }
    char *model_text = json_dumps(model, JSON_COMPACT);
    json_decref(model);
    char *source = h2o_mem_alloc_pool(&call->req->pool, call->req->entity.len + 1);
    memcpy(source, call->req->entity.base, call->req->entity.len);
    source[call->req->entity.len] = '\0';
    if (model_text == NULL || strlen(source) != call->req->entity.len) {
        free(model_text);
        wf_http_problem(call->req, WF_PROB_INVALID, NULL, "the flow source holds a NUL byte");
        return;
    }
    st->source = source;
    st->model = wf_http_strdup(call->req, model_text);
    free(model_text);
    const char *params[1] = {st->ns};
    wf_db_query(call->th->db, WF_SQL_POLICY_CHAIN, 1, params, on_apply_policy, call);
}

bool wf_h_flow_id_ok(const char *s)
{
    /* Kestra flow ids: letters, digits, '-', '_', '.'; bounded. */
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 100)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_' || *s == '.'))
            return false;
    return true;
}

/* The {id} of the path; answers 404 and returns NULL when it cannot be a
 * flow id (the same answer whether or not the caller may see the
 * namespace). */
static const char *flow_id_param(wf_call_t *call)
{
    const char *id = wf_call_param(call, "id");
    if (!wf_h_flow_id_ok(id)) {
        wf_http_problem(call->req, WF_PROB_NOT_FOUND, NULL, "no such resource");
        return NULL;
    }
    return id;
}

/* One round trip: the caller's bindings and the flow come back together;
 * the flow is only sent once the bindings allow it. */
static void on_flow_get_joined(void *arg, const PGresult *res)
{
    wf_call_t *call = arg;
    if (!wf_db_ok(res) || PQntuples(res) != 1) {
        /* One row always comes back: anything else is a database error. */
        wf_call_db_error(call, res);
        return;
    }
    if (!wf_call_bindings_from_json(call, wf_db_get(res, 0, 0))) {
        wf_http_problem(call->req, WF_PROB_INTERNAL, NULL, "unreadable bindings");
        return;
    }
    if (!wf_call_authorize(call, WF_PERM_FLOW_READ, call->ns))
        return;
    wf_reply_doc(call, res, 1);
}

void wf_h_flow_get(wf_call_t *call)
{
    const char *id = flow_id_param(call);
    if (id == NULL)
        return;
    const char *params[3] = {call->ns, id, wf_call_subjects(call)};
    wf_db_query(call->th->db, WF_SQL_FLOW_GET_JOINED, 3, params, on_flow_get_joined, call);
}

static const wf_reply_one_t flow_deleted = {.status = 204, .none = WF_PROB_NOT_FOUND};

void wf_h_flow_delete(wf_call_t *call)
{
    const char *id = flow_id_param(call);
    if (id == NULL)
        return;
    const char *params[3] = {call->ns, id, call->who.subject};
    wf_reply_one(call, WF_SQL_FLOW_DELETE, 3, params, &flow_deleted);
}

/* Answers the document `stmt` builds for the flow of the path. */
static void flow_doc(wf_call_t *call, wf_sql_id_t stmt)
{
    const char *id = flow_id_param(call);
    if (id == NULL)
        return;
    const char *params[2] = {call->ns, id};
    wf_reply_doc_query(call, stmt, 2, params, 0);
}

void wf_h_flow_revisions(wf_call_t *call)
{
    flow_doc(call, WF_SQL_FLOW_REVISIONS);
}

void wf_h_flow_triggers(wf_call_t *call)
{
    flow_doc(call, WF_SQL_FLOW_TRIGGERS);
}

void wf_h_flow_list(wf_call_t *call)
{
    wf_page_t pg;
    if (!wf_page_read(call, &pg))
        return;
    const char *params[3] = {call->ns, pg.limit, pg.offset};
    wf_reply_page(call, &pg, WF_SQL_FLOW_LIST, 3, params);
}
