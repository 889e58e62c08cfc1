/* Parsed flows shared by the executions of one replica, and the domain's
 * current flows read for the trigger tables (sched.c, mesh.c).
 *
 * The domain's current flows are kept parsed between reads: a check costs
 * one single-row query (a fingerprint of the (namespace, id, revision) set),
 * and only when it moved are the rows read again and the changed revisions
 * parsed; an unchanged flow keeps its parsed copy and its serial, so the
 * trigger tables keep what they know about it.
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
#include <stdio.h>
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
    /* The domain's current flows (wf_xflowcache_domain). */
    wf_xdomain_flows_t dom;
    char fingerprint[64]; /* WF_XQ_DOMAIN_FINGERPRINT at the last read */
    bool loaded;
    int64_t checked_ms;
    uint64_t serial; /* the last serial given */
    int pins;
};

static void domain_free(wf_xdomain_flows_t *d);

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
    domain_free(&ex->flows->dom);
    free(ex->flows);
    ex->flows = NULL;
}

/* ---- the domain's current flows ------------------------------------------------ */

/* Orders by (namespace, id): a refresh finds a flow's previous copy by bsearch. */
static int by_key(const void *a, const void *b)
{
    const wf_xdomain_flow_t *x = a, *y = b;
    int c = strcmp(x->flow->namespace_, y->flow->namespace_);
    return c ? c : strcmp(x->flow->id, y->flow->id);
}

static wf_xdomain_flow_t *find_old(wf_xdomain_flows_t *d, const char *ns, const char *id)
{
    wf_flow_t key = {.namespace_ = (char *)ns, .id = (char *)id};
    wf_xdomain_flow_t k = {.flow = &key};
    return d->n > 0 ? bsearch(&k, d->flows, d->n, sizeof(*d->flows), by_key) : NULL;
}

static void domain_free(wf_xdomain_flows_t *d)
{
    for (size_t i = 0; i < d->n; i++)
        wf_flow_free(d->flows[i].flow);
    free(d->flows);
    d->flows = NULL;
    d->n = 0;
}

/* Re-reads the flows when the fingerprint moved; parses only the rows whose
 * revision the set does not hold. 0, or -1 when the database cannot be read
 * (the set stays as it was). Waits: the trigger tables are rebuilt from it. */
static int domain_refresh(wf_executor_t *ex, struct wf_xflowcache *c)
{
    const char *p[] = {ex->domain};
    PGresult *r = wf_xdb_run(ex, WF_XQ_DOMAIN_FINGERPRINT, 1, p);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        PQclear(r);
        return -1;
    }
    c->checked_ms = wf_clock_mono_ms();
    bool same = c->loaded && strcmp(PQgetvalue(r, 0, 0), c->fingerprint) == 0;
    snprintf(c->fingerprint, sizeof(c->fingerprint), "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    if (same)
        return 0;
    r = wf_xdb_run(ex, WF_XQ_DOMAIN_FLOWS, 1, p);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        PQclear(r);
        c->fingerprint[0] = '\0'; /* try again at the next check */
        return -1;
    }
    int rows = PQntuples(r);
    wf_xdomain_flows_t *old = &c->dom;
    wf_xdomain_flow_t *fresh = wf_xcalloc((size_t)rows + 1, sizeof(*fresh));
    size_t n = 0, parsed = 0;
    for (int i = 0; i < rows; i++) {
        const char *ns = PQgetvalue(r, i, 0), *id = PQgetvalue(r, i, 1);
        int rev = atoi(PQgetvalue(r, i, 3));
        wf_xdomain_flow_t *o = find_old(old, ns, id);
        if (o != NULL && o->revision == rev && o->flow != NULL) {
            fresh[n++] = *o; /* unchanged: the same parsed copy, the same serial */
            o->revision = -1; /* moved: not freed below */
            continue;
        }
        wf_diags_t d;
        const char *src = PQgetvalue(r, i, 2);
        wf_flow_t *f = wf_flow_parse(src, strlen(src), id, &d);
        wf_diags_dispose(&d);
        parsed++;
        if (f == NULL || f->disabled) {
            wf_flow_free(f);
            continue;
        }
        fresh[n++] = (wf_xdomain_flow_t){f, ++c->serial, rev};
    }
    PQclear(r);
    for (size_t i = 0; i < old->n; i++)
        if (old->flows[i].revision != -1)
            wf_flow_free(old->flows[i].flow);
    free(old->flows);
    qsort(fresh, n, sizeof(*fresh), by_key);
    old->flows = fresh;
    old->n = n;
    old->gen++;
    c->loaded = true;
    wf_debug("domain flows: %zu, %zu parsed", n, parsed);
    return 0;
}

const wf_xdomain_flows_t *wf_xflowcache_domain(wf_executor_t *ex, int64_t max_age_ms)
{
    if (ex->flows == NULL)
        ex->flows = wf_xcalloc(1, sizeof(*ex->flows));
    struct wf_xflowcache *c = ex->flows;
    /* Pinned: someone is walking the set; its flows must stay. */
    if (c->pins == 0 && (!c->loaded || wf_clock_mono_ms() - c->checked_ms >= max_age_ms))
        domain_refresh(ex, c);
    return c->loaded ? &c->dom : NULL;
}

void wf_xflowcache_domain_pin(wf_executor_t *ex, int delta)
{
    if (ex->flows != NULL)
        ex->flows->pins += delta;
}
