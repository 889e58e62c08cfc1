/* Subflow calls into another domain's namespace. The parent's executor
 * checks the grant itself (for a clear task error), then inserts the child
 * execution row; the database admits that row only when a live grant with
 * "subflow": true covers the child flow for the parent's namespace
 * (migration 0007), so a parent cannot start anything else over there. The
 * child's domain claims and runs it with its own role, key and secrets; the
 * parent reads back the child's state and declared outputs only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "executor/mesh.h"
#include "platform/log.h"
#include "platform/text.h"

/* 1 covered, 0 not, -1 error. */
static int subflow_granted(wf_executor_t *ex, const char *ns, const char *flow,
                           const char *consumer)
{
    const char *p[] = {ns, flow, consumer};
    /* Waits: the subflow task's outcome depends on the answer. */
    PGresult *r = wf_xdb_run(ex, WF_XQ_SUBFLOW_GRANTED, 3, p);
    int rc = -1;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
        rc = strcmp(PQgetvalue(r, 0, 0), "t") == 0   ? 1
             : strcmp(PQgetvalue(r, 0, 1), "t") == 0 ? 2
                                                     : 0;
    PQclear(r);
    return rc;
}

int wf_xmesh_subflow_start(wf_executor_t *ex, wf_xexec_t *x, const char *ns, const char *flow,
                           json_t *inputs, json_t *labels, json_t *trigger, char *id_out,
                           size_t id_len, char *why, size_t why_len)
{
    if (!wf_xmesh_foreign(ex, ns))
        return 1;
    int g = subflow_granted(ex, ns, flow, x->namespace_);
    if (g != 1) {
        if (g == 2)
            snprintf(why, why_len,
                     "the grant from %s to %s (flow %s) does not allow subflow calls "
                     "(\"subflow\": true)",
                     ns, x->namespace_, flow);
        else if (g == 0)
            snprintf(why, why_len,
                     "no subflow grant from %s to %s (flow %s): its admins must grant it "
                     "with \"subflow\": true",
                     ns, x->namespace_, flow);
        else
            snprintf(why, why_len, "cannot check the grants for subflow %s.%s", ns, flow);
        if (g >= 0) {
            char target[600];
            snprintf(target, sizeof(target), "execution:%s", x->id);
            /* Waits: the refusal is on record before the task fails. */
            wf_xdb_audit(ex, "subflow.refused", x->namespace_, target, "denied", why,
                         json_pack("{s:s,s:s}", "namespace", ns, "flowId", flow));
        }
        return -1;
    }
    unsigned char rnd[11];
    char id[24];
    if (RAND_bytes(rnd, sizeof(rnd)) != 1)
        return -1;
    wf_hex_put(id, rnd, sizeof(rnd));
    char by[300];
    snprintf(by, sizeof(by), "subflow:%s/%s", x->namespace_, x->flow_id);
    /* Only an object or an array is stored as the child's inputs ({} otherwise). */
    json_t *in = json_is_object(inputs) || json_is_array(inputs) ? inputs : NULL;
    /* Waits: the parent task records the child's id. */
    PGresult *r = wf_xdb_run_create(ex, WF_XQ_SUBFLOW_CREATE, id, ns, flow, in, labels, trigger,
                                    by, x->id, x->chain_depth + 1);
    int ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    if (!ok)
        snprintf(why, why_len, "cannot start subflow %s.%s in another domain: %s", ns, flow,
                 PQresultStatus(r) == PGRES_TUPLES_OK ? "no such flow shared for subflow calls"
                                                      : PQresultErrorMessage(r));
    PQclear(r);
    if (!ok)
        return -1;
    snprintf(id_out, id_len, "%s", id);
    wf_info("execution %s: subflow %s.%s started in another domain: %s", x->id, ns, flow, id);
    return 0;
}
