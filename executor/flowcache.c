/* Parsed flows shared by the executions of one replica, and the domain's
 * current flows read for the trigger tables (sched.c, mesh.c).
 *
 * Every claimed execution needs its flow at the revision it was created
 * with. A revision's source never changes (the gateway writes a new revision
 * for every change and keeps the old ones), so the executions of the same
 * (namespace, id, revision) share one parsed copy: a claim reads and parses
 * a flow once, not once per execution. The walker only reads a flow.
 *
 * Ownership: an entry holds its flow and a count of the executions using
 * it; entries nobody uses stay for the next claims, at most KEEP_UNUSED of
 * them, the oldest dropped first. */
#include <stdlib.h>
#include <string.h>

#include "executor/executor.h"
#include "platform/log.h"
#include "platform/xmalloc.h"

#define KEEP_UNUSED 64

typedef struct xflow {
    char *ns, *id;
    int revision;
    wf_flow_t *flow;
    int users;
    struct xflow *next; /* most recently used first */
} xflow_t;

struct wf_xflowcache {
    xflow_t *head;
};

static void entry_free(xflow_t *e)
{
    wf_flow_free(e->flow);
    free(e->ns);
    free(e->id);
    free(e);
}

/* Drops unused entries past the first KEEP_UNUSED (least recently used last). */
static void trim(struct wf_xflowcache *c)
{
    int unused = 0;
    for (xflow_t **p = &c->head; *p;) {
        xflow_t *e = *p;
        if (e->users == 0 && ++unused > KEEP_UNUSED) {
            *p = e->next;
            entry_free(e);
            continue;
        }
        p = &e->next;
    }
}

wf_flow_t *wf_xflowcache_get(wf_executor_t *ex, const char *ns, const char *id, int revision)
{
    if (ex->flows == NULL)
        ex->flows = wf_xcalloc(1, sizeof(*ex->flows));
    struct wf_xflowcache *c = ex->flows;
    for (xflow_t **p = &c->head; *p; p = &(*p)->next) {
        xflow_t *e = *p;
        if (e->revision != revision || strcmp(e->id, id) != 0 || strcmp(e->ns, ns) != 0)
            continue;
        *p = e->next; /* to the front */
        e->next = c->head;
        c->head = e;
        e->users++;
        return e->flow;
    }
    char *src = wf_xdb_flow_source(ex, ns, id, revision);
    if (src == NULL)
        return NULL;
    wf_diags_t diags;
    wf_flow_t *flow = wf_flow_parse(src, strlen(src), id, &diags);
    wf_diags_dispose(&diags);
    free(src);
    if (flow == NULL)
        return NULL;
    xflow_t *e = wf_xcalloc(1, sizeof(*e));
    e->ns = wf_xstrdup(ns);
    e->id = wf_xstrdup(id);
    e->revision = revision;
    e->flow = flow;
    e->users = 1;
    e->next = c->head;
    c->head = e;
    trim(c);
    return flow;
}

void wf_xflowcache_put(wf_executor_t *ex, const wf_flow_t *flow)
{
    if (flow == NULL || ex->flows == NULL)
        return;
    for (xflow_t *e = ex->flows->head; e; e = e->next) {
        if (e->flow == flow) {
            if (e->users > 0)
                e->users--;
            trim(ex->flows);
            return;
        }
    }
    wf_warn("a flow was released that the cache does not hold");
}

void wf_xflowcache_dispose(wf_executor_t *ex)
{
    if (ex->flows == NULL)
        return;
    while (ex->flows->head) {
        xflow_t *e = ex->flows->head;
        ex->flows->head = e->next;
        entry_free(e);
    }
    free(ex->flows);
    ex->flows = NULL;
}

wf_flow_t **wf_xflowcache_domain_flows(wf_executor_t *ex, size_t *n)
{
    *n = 0;
    PGresult *r = wf_xdb_run(ex, WF_XQ_DOMAIN_FLOWS, 1, (const char *const[]){ex->domain});
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        PQclear(r);
        return NULL;
    }
    int rows = PQntuples(r);
    wf_flow_t **flows = wf_xcalloc((size_t)rows + 1, sizeof(*flows));
    for (int i = 0; i < rows; i++) {
        wf_diags_t d;
        const char *src = PQgetvalue(r, i, 2);
        wf_flow_t *f = wf_flow_parse(src, strlen(src), PQgetvalue(r, i, 1), &d);
        wf_diags_dispose(&d);
        if (f == NULL || f->disabled)
            wf_flow_free(f);
        else
            flows[(*n)++] = f;
    }
    PQclear(r);
    return flows;
}
