/* Event-driven Flow triggers: cross-domain consumers and multi-producer
 * preconditions (see mesh.h for the contract). One replica at a
 * time works a trigger: it locks the trigger's trigger_state row (SKIP
 * LOCKED: the others move on), reads the events after its cursor, creates
 * the executions and moves the cursor in that same transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "executor/mesh.h"
#include "flow/expr/expr.h"
#include "flow/time.h"
#include "platform/log.h"
#include "platform/xmalloc.h"
#include "platform/text.h"

#define RELOAD_MS 2000                         /* flows and namespaces are re-read this often */
#define TICK_MIN_MS 100                        /* at most one round this often */
#define DEFAULT_WINDOW_MS (24LL * 3600 * 1000) /* Kestra's default: PT24H */

typedef struct {
    wf_flow_t *flow;
    const wf_trigger_t *trig;
} mtrig_t;

typedef struct {
    char *prefix, *domain;
} mns_t;

struct wf_xmesh {
    uint64_t gen; /* of the domain's flows (flowcache.c) the table points into */
    mtrig_t *trigs;
    size_t n_trigs;
    mns_t *ns;
    size_t n_ns;
    int64_t loaded_ms;
    int64_t ticked_ms; /* notifications come in bursts: one round per burst */
};

/* The state of one trigger during one locked round. */
typedef struct {
    wf_executor_t *ex;
    struct wf_xmesh *m;
    const mtrig_t *mt;
    char status[512];
    int64_t last_fired_ms;
    bool fired;
    bool refused;  /* the status is a refusal (no grant, or not for these states) */
    bool checked;  /* a named producer of another domain was checked */
    bool accepted; /* an event matched and was covered by a grant */
} round_t;

struct wf_xmesh *wf_xmesh_create(wf_executor_t *ex)
{
    /* Producers announce every new event on one channel (payload: their
     * domain); the executor's notification handler then ticks the mesh.
     * Start-up: waits before the loop runs. */
    PQclear(wf_xdb_run(ex, WF_XQ_LISTEN_EVENTS, 0, NULL));
    return wf_xcalloc(1, sizeof(struct wf_xmesh));
}

static void clear(struct wf_xmesh *m)
{
    for (size_t i = 0; i < m->n_ns; i++) {
        free(m->ns[i].prefix);
        free(m->ns[i].domain);
    }
    free(m->trigs);
    free(m->ns);
    m->trigs = NULL;
    m->ns = NULL;
    m->n_trigs = m->n_ns = 0;
}

void wf_xmesh_destroy(struct wf_xmesh *m)
{
    if (m == NULL)
        return;
    clear(m);
    free(m);
}

/* The domain owning `ns` (longest prefix), or NULL. */
static const char *domain_of(const struct wf_xmesh *m, const char *ns)
{
    const mns_t *best = NULL;
    for (size_t i = 0; i < m->n_ns; i++) {
        if (wf_xmesh_ns_covers(m->ns[i].prefix, ns) &&
            (best == NULL || strlen(m->ns[i].prefix) > strlen(best->prefix)))
            best = &m->ns[i];
    }
    return best ? best->domain : NULL;
}

typedef struct {
    const struct wf_xmesh *m;
    const char *domain;
    bool foreign;
} foreign_scan_t;

static void note_foreign(void *ud, const char *ns, const char *flow, json_t *states)
{
    (void)flow;
    (void)states;
    foreign_scan_t *s = ud;
    const char *d = ns ? domain_of(s->m, ns) : NULL;
    if (ns != NULL && (d == NULL || strcmp(d, s->domain) != 0))
        s->foreign = true;
}

static bool handles(const struct wf_xmesh *m, const char *domain, const wf_trigger_t *t)
{
    if (t->kind != WF_TRIGGER_FLOW || t->disabled)
        return false;
    json_t *p = wf_xmesh_preconditions(t);
    if (json_array_size(json_object_get(p, "flows")) + json_array_size(json_object_get(p, "where")))
        return true;
    foreign_scan_t s = {m, domain, false};
    wf_xmesh_producers(t, note_foreign, &s);
    return s.foreign;
}

static void load_namespaces(wf_executor_t *ex, struct wf_xmesh *m)
{
    PGresult *r = wf_xdb_run(ex, WF_XQ_NAMESPACES, 0, NULL); /* part of reload() */
    if (PQresultStatus(r) == PGRES_TUPLES_OK) {
        int n = PQntuples(r);
        m->ns = wf_xcalloc((size_t)n + 1, sizeof(*m->ns));
        for (int i = 0; i < n; i++) {
            m->ns[i].prefix = wf_xstrdup(PQgetvalue(r, i, 0));
            m->ns[i].domain = wf_xstrdup(PQgetvalue(r, i, 1));
            m->n_ns++;
        }
    }
    PQclear(r);
}

/* Creates the trigger's row with its cursor at "now": a new trigger does not
 * fire on events that were committed before it existed. */
static void ensure_cursor(wf_executor_t *ex, const mtrig_t *mt)
{
    const char *p[] = {mt->flow->namespace_, mt->flow->id, mt->trig->id, ex->domain};
    PQclear(wf_xdb_run(ex, WF_XQ_EVENT_CURSOR, 4, p)); /* part of reload() */
}

/* Waits, at most once per RELOAD_MS (or when the domain's flows changed):
 * the trigger table is rebuilt from the rows before any trigger is worked.
 * The flows are flowcache.c's, checked for changes with one single-row query
 * and parsed again only for changed revisions. */
static void reload(wf_executor_t *ex, struct wf_xmesh *m)
{
    const wf_xdomain_flows_t *d = wf_xflowcache_domain(ex, RELOAD_MS);
    if (d == NULL)
        return;
    clear(m);
    load_namespaces(ex, m);
    for (size_t i = 0; i < d->n; i++) {
        wf_flow_t *f = d->flows[i].flow;
        for (size_t k = 0; k < f->n_triggers; k++) {
            if (!handles(m, ex->domain, &f->triggers[k]))
                continue;
            m->trigs = wf_xreallocarray(m->trigs, m->n_trigs + 1, sizeof(*m->trigs));
            m->trigs[m->n_trigs++] = (mtrig_t){f, &f->triggers[k]};
            ensure_cursor(ex, &m->trigs[m->n_trigs - 1]);
        }
    }
    m->gen = d->gen;
    m->loaded_ms = wf_clock_mono_ms();
}

bool wf_xmesh_handles(wf_executor_t *ex, const wf_trigger_t *t)
{
    struct wf_xmesh *m = ex->mesh;
    if (m == NULL)
        return false;
    if (m->loaded_ms == 0)
        reload(ex, m);
    return handles(m, ex->domain, t);
}

bool wf_xmesh_foreign(wf_executor_t *ex, const char *ns)
{
    struct wf_xmesh *m = ex->mesh;
    if (m == NULL)
        return false;
    if (m->loaded_ms == 0 || wf_clock_mono_ms() - m->loaded_ms >= RELOAD_MS)
        reload(ex, m);
    const char *d = domain_of(m, ns);
    return d == NULL || strcmp(d, ex->domain) != 0;
}

/* ---- grants ----------------------------------------------------------------- */

/* Runs a query answering one boolean: 1 true, 0 false, -1 on error. Grant
 * queries run as the domain's role: it sees only the grants made by or to
 * its domain. Waits: the round's decision depends on the answer. */
static int ask(wf_executor_t *ex, wf_xq_t q, int n, const char *const *p)
{
    PGresult *r = wf_xdb_run(ex, q, n, p);
    int rc = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1
                 ? strcmp(PQgetvalue(r, 0, 0), "t") == 0
                 : -1;
    PQclear(r);
    return rc;
}

/* Whether a live grant covers the producer flow for the consumer namespace
 * (in `state`, NULL: any). */
static int grant_covers(wf_executor_t *ex, const char *ns, const char *flow, const char *consumer,
                        const char *state)
{
    const char *p[] = {ns, flow, consumer, state};
    return ask(ex, WF_XQ_GRANT_COVERS, 4, p);
}

/* Whether some live grant shares any flow of namespace `ns`, or of one
 * below it (ExecutionNamespace may match by prefix), with the consumer
 * namespace: for a producer named by namespace only (the where form,
 * ExecutionNamespace). */
static int any_grant_from(wf_executor_t *ex, const char *ns, const char *consumer)
{
    const char *p[] = {ns, consumer};
    return ask(ex, WF_XQ_ANY_GRANT_FROM, 2, p);
}

/* What the trigger's status says before any event: a producer of another
 * domain without a grant (a named flow, or a namespace none of whose flows is
 * shared), or a grant that shares none of the states the trigger waits for. */
static void check_producer(void *ud, const char *ns, const char *flow, json_t *states)
{
    round_t *rd = ud;
    if (rd->status[0] != '\0' || ns == NULL)
        return;
    const char *d = domain_of(rd->m, ns);
    if (d != NULL && strcmp(d, rd->ex->domain) == 0)
        return;
    const char *consumer = rd->mt->flow->namespace_;
    rd->checked = true;
    if (flow == NULL) {
        if (any_grant_from(rd->ex, ns, consumer) == 0) {
            snprintf(rd->status, sizeof(rd->status), "no grant from %s to %s", ns, consumer);
            rd->refused = true;
        }
        return;
    }
    if (grant_covers(rd->ex, ns, flow, consumer, NULL) == 0) {
        snprintf(rd->status, sizeof(rd->status), "no grant from %s to %s (flow %s)", ns, consumer,
                 flow);
        rd->refused = true;
        return;
    }
    if (json_array_size(states) == 0)
        return;
    size_t i;
    json_t *s;
    json_array_foreach(states, i, s)
    {
        if (json_is_string(s) &&
            grant_covers(rd->ex, ns, flow, consumer, json_string_value(s)) != 0)
            return;
    }
    char *list = json_dumps(states, JSON_COMPACT);
    snprintf(rd->status, sizeof(rd->status), "the grant from %s to %s (flow %s) shares none of %s",
             ns, consumer, flow, list ? list : "the states");
    rd->refused = true;
    free(list);
}

/* ---- firing ----------------------------------------------------------------- */

static void started_by(const mtrig_t *mt, char *buf, size_t len)
{
    snprintf(buf, len, "trigger:%s/%s/%s", mt->flow->namespace_, mt->flow->id, mt->trig->id);
}

/* Appends an audit entry about the trigger; `details` (may be NULL) is
 * stolen. Waits: it belongs to the round's transaction. */
static void audit(wf_executor_t *ex, const mtrig_t *mt, const char *action, const char *result,
                  const char *reason, json_t *details)
{
    char target[600];
    started_by(mt, target, sizeof(target));
    wf_xdb_audit(ex, action, mt->flow->namespace_, target, result, reason, details);
}

/* Kestra 2 leaves a FAILED execution when a trigger's inputs cannot be
 * rendered: the consumer sees it in its list with the reason (`line`) in its
 * log. So does a trigger a limit refuses. */
static int create_failed(wf_executor_t *ex, const mtrig_t *mt, json_t *trigger, const char *line,
                         int chain_depth)
{
    char by[600], id[40];
    unsigned char rnd[11];
    started_by(mt, by, sizeof(by));
    if (RAND_bytes(rnd, sizeof(rnd)) != 1)
        return -1;
    wf_hex_put(id, rnd, sizeof(rnd));
    char *tg = json_dumps(trigger, JSON_COMPACT);
    char depth[16];
    snprintf(depth, sizeof(depth), "%d", chain_depth);
    const char *p[] = {id, mt->flow->namespace_, mt->flow->id, tg, by, line, depth};
    /* Waits: within the round's transaction (or sched.c's end of execution). */
    PGresult *r = wf_xdb_run(ex, WF_XQ_TRIGGER_FAILED, 7, p);
    int ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    PQclear(r);
    free(tg);
    if (ok)
        wf_warn("trigger %s.%s/%s: %s (execution %s FAILED)", mt->flow->namespace_,
                mt->flow->id, mt->trig->id, line, id);
    return ok ? 0 : -1;
}

int wf_xmesh_inputs_failed(wf_executor_t *ex, wf_flow_t *flow, const wf_trigger_t *trig,
                           json_t *trigger, const char *why, int chain_depth)
{
    const mtrig_t mt = {flow, trig};
    char status[600];
    snprintf(status, sizeof(status), "inputs cannot be rendered: %s", why);
    audit(ex, &mt, "trigger.fire", "failed", status,
          json_pack("{s:s?,s:s?}", "producer", json_string_value(json_object_get(trigger, "namespace")),
                    "executionId", json_string_value(json_object_get(trigger, "executionId"))));
    char line[800];
    snprintf(line, sizeof(line), "trigger inputs: %s", why);
    return create_failed(ex, &mt, trigger, line, chain_depth);
}

int wf_xmesh_trigger_refused(wf_executor_t *ex, wf_flow_t *flow, const wf_trigger_t *trig,
                             json_t *trigger, const char *why, int chain_depth)
{
    const mtrig_t mt = {flow, trig};
    audit(ex, &mt, "trigger.fire", "denied", why,
          json_pack("{s:s?,s:s?,s:i}", "producer",
                    json_string_value(json_object_get(trigger, "namespace")), "executionId",
                    json_string_value(json_object_get(trigger, "executionId")), "chainDepth",
                    chain_depth));
    return create_failed(ex, &mt, trigger, why, chain_depth);
}

/* Starts the consumer's execution for event `ev` (columns of the events
 * query), with the consumer's identity: trigger.outputs holds exactly the
 * producer flow's declared outputs. Returns 0 or -1 (the round rolls back). */
static int fire(round_t *rd, const PGresult *ev, int row)
{
    wf_executor_t *ex = rd->ex;
    const mtrig_t *mt = rd->mt;
    json_t *outputs = json_loads(PQgetvalue(ev, row, 6), 0, NULL);
    json_t *trigger =
        json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:o}", "type", "flow", "id", mt->trig->id,
                  "executionId", PQgetvalue(ev, row, 4), "namespace", PQgetvalue(ev, row, 2),
                  "flowId", PQgetvalue(ev, row, 3), "state", PQgetvalue(ev, row, 5), "outputs",
                  outputs ? outputs : json_object());
    /* One generation below the producer's execution, wherever it ran. */
    int depth = atoi(PQgetvalue(ev, row, 10)) + 1;
    char why[700];
    if (wf_xpolicy_may_create(ex, mt->flow->namespace_, depth, true, why, sizeof(why)) != 0) {
        snprintf(rd->status, sizeof(rd->status), "%.*s", (int)sizeof(rd->status) - 1, why);
        int rc = wf_xmesh_trigger_refused(ex, mt->flow, mt->trig, trigger, why, depth);
        json_decref(trigger);
        return rc;
    }
    json_t *inputs = json_object_get(mt->trig->props, "inputs");
    json_t *rendered = NULL;
    int rc = 0;
    if (json_is_object(inputs)) {
        json_t *ctx = json_pack("{s:O}", "trigger", trigger);
        /* No secret() here: rendered inputs are stored with the execution. */
        wf_expr_env_t env = {.ctx = ctx};
        wf_expr_err_t e = {0};
        rendered = wf_expr_render_json(inputs, &env, ex->rt, &e);
        json_decref(ctx);
        if (rendered == NULL) {
            snprintf(rd->status, sizeof(rd->status), "inputs cannot be rendered: %s", e.msg);
            audit(ex, mt, "trigger.fire", "failed", rd->status,
                  json_pack("{s:s,s:s}", "producer", PQgetvalue(ev, row, 2), "executionId",
                            PQgetvalue(ev, row, 4)));
            char line[800];
            snprintf(line, sizeof(line), "trigger inputs: %s", e.msg);
            rc = create_failed(ex, mt, trigger, line, depth);
            json_decref(trigger);
            return rc;
        }
    }
    char by[600], id[64];
    started_by(mt, by, sizeof(by));
    rc = wf_xdb_create_execution(ex, mt->flow->namespace_, mt->flow->id, rendered, NULL, trigger,
                                 NULL, by, depth, id, sizeof(id));
    if (rc == 0) {
        rd->fired = true;
        wf_info("flow trigger %s.%s/%s: execution %s after %s.%s %s (%s)", mt->flow->namespace_,
                mt->flow->id, mt->trig->id, id, PQgetvalue(ev, row, 2), PQgetvalue(ev, row, 3),
                PQgetvalue(ev, row, 5), PQgetvalue(ev, row, 4));
    }
    json_decref(rendered);
    json_decref(trigger);
    return rc;
}

/* ---- the window of multi-producer preconditions -------------------------- */

/* Start of the window (wall ms): events before it do not count. Firing
 * resets the window: the next execution needs every producer again. */
static int64_t window_start(const round_t *rd)
{
    json_t *tw = json_object_get(wf_xmesh_preconditions(rd->mt->trig), "timeWindow");
    const char *type = json_string_value(json_object_get(tw, "type"));
    const char *win = json_string_value(json_object_get(tw, "window"));
    int64_t now = wf_clock_wall_ms(), start;
    if (type &&
        (strcmp(type, "DAILY_TIME_WINDOW") == 0 || strcmp(type, "DAILY_TIME_DEADLINE") == 0)) {
        start = now - now % (24LL * 3600 * 1000); /* today, UTC */
    } else {
        int64_t w = DEFAULT_WINDOW_MS;
        char msg[128];
        if (win && wf_duration_parse(win, &w, msg, sizeof(msg)) != 0)
            w = DEFAULT_WINDOW_MS;
        start = now - w;
    }
    return rd->last_fired_ms > start ? rd->last_fired_ms : start;
}

/* True when every entry of the preconditions has an event in the window.
 * `have` already holds the entries the current event satisfies. */
static bool window_complete(round_t *rd, bool *have, size_t n)
{
    char since[32];
    snprintf(since, sizeof(since), "%lld", (long long)window_start(rd));
    const char *p[] = {since, rd->ex->domain, rd->mt->flow->namespace_};
    /* Waits: whether the event fires depends on the window. */
    PGresult *r = wf_xdb_run(rd->ex, WF_XQ_WINDOW_EVENTS, 3, p);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        PQclear(r);
        return false;
    }
    for (int i = 0; i < PQntuples(r); i++) {
        if (strcmp(PQgetvalue(r, i, 0), rd->mt->flow->namespace_) == 0 &&
            strcmp(PQgetvalue(r, i, 1), rd->mt->flow->id) == 0)
            continue;
        json_t *labels = json_loads(PQgetvalue(r, i, 3), 0, NULL);
        wf_xmesh_event_t e = {PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
                              labels};
        for (size_t k = 0; k < n; k++)
            if (!have[k])
                have[k] = wf_xmesh_entry_holds(rd->mt->trig, k, &e);
        json_decref(labels);
    }
    PQclear(r);
    for (size_t k = 0; k < n; k++)
        if (!have[k])
            return false;
    return true;
}

/* ---- one round of one trigger ------------------------------------------------ */

/* Columns: id, txid, namespace, flow_id, execution_id, state, outputs,
 * labels, domain, created (wall ms). Returns 0, or -1 to roll back. */
static int on_event(round_t *rd, const PGresult *ev, int row)
{
    const mtrig_t *mt = rd->mt;
    const char *ns = PQgetvalue(ev, row, 2), *flow = PQgetvalue(ev, row, 3);
    const char *state = PQgetvalue(ev, row, 5), *dom = PQgetvalue(ev, row, 8);
    /* A flow is not triggered by its own executions (no feedback loop). */
    if (strcmp(ns, mt->flow->namespace_) == 0 && strcmp(flow, mt->flow->id) == 0)
        return 0;
    json_t *labels = json_loads(PQgetvalue(ev, row, 7), 0, NULL);
    wf_xmesh_event_t e = {ns, flow, state, labels};
    size_t n = wf_xmesh_n_entries(mt->trig);
    bool *have = wf_xcalloc(n, sizeof(bool)), any = false;
    for (size_t k = 0; k < n; k++) {
        have[k] = wf_xmesh_entry_holds(mt->trig, k, &e);
        any = any || have[k];
    }
    json_decref(labels);
    int rc = 0;
    if (!any)
        goto out;
    /* The events policy shares an event with the whole consumer domain; the
     * grant must also cover this trigger's own namespace and the state. */
    if (strcmp(dom, rd->ex->domain) != 0) {
        int g = grant_covers(rd->ex, ns, flow, mt->flow->namespace_, state);
        if (g < 0) {
            rc = -1;
            goto out;
        }
        if (g == 0) {
            /* The first reason of the round stays (a named producer's). */
            if (rd->status[0] == '\0') {
                snprintf(rd->status, sizeof(rd->status), "no grant from %s to %s (flow %s, %s)", ns,
                         mt->flow->namespace_, flow, state);
                rd->refused = true;
            }
            goto out;
        }
    }
    rd->accepted = true;
    int64_t created = atoll(PQgetvalue(ev, row, 9));
    if (n > 1 && (created < window_start(rd) || !window_complete(rd, have, n)))
        goto out;
    rc = fire(rd, ev, row);
    if (rc == 0 && rd->fired)
        rd->last_fired_ms = wf_clock_wall_ms();
out:
    free(have);
    return rc;
}

/* One round is one transaction that must see its own results (the cursor
 * it locked, the executions it created): every statement of it waits. */
static void poll_trigger(wf_executor_t *ex, struct wf_xmesh *m, const mtrig_t *mt)
{
    const char *key[] = {mt->flow->namespace_, mt->flow->id, mt->trig->id};
    PQclear(wf_xdb_run(ex, WF_XQ_BEGIN, 0, NULL));
    PGresult *st = wf_xdb_run(ex, WF_XQ_TRIGGER_LOCK, 3, key);
    if (PQresultStatus(st) != PGRES_TUPLES_OK || PQntuples(st) != 1) {
        PQclear(st); /* another replica holds it, or no cursor yet */
        PQclear(wf_xdb_run(ex, WF_XQ_ROLLBACK, 0, NULL));
        return;
    }
    char txid[32], evid[32], old_status[512];
    snprintf(txid, sizeof(txid), "%s", PQgetvalue(st, 0, 0));
    snprintf(evid, sizeof(evid), "%s", PQgetvalue(st, 0, 1));
    snprintf(old_status, sizeof(old_status), "%s", PQgetvalue(st, 0, 2));
    round_t rd = {.ex = ex, .m = m, .mt = mt, .last_fired_ms = atoll(PQgetvalue(st, 0, 3))};
    PQclear(st);
    wf_xmesh_producers(mt->trig, check_producer, &rd);

    int rc = 0;
    PGresult *ev = NULL;
    /* Every event of a transaction older than this horizon is decided; the
     * ones this role cannot see (no grant yet) are passed over with the
     * rest, so a grant made later never fires on events from before it. */
    char horizon[32] = "";
    PGresult *h = wf_xdb_run(ex, WF_XQ_HORIZON, 0, NULL);
    if (PQresultStatus(h) == PGRES_TUPLES_OK && PQntuples(h) == 1)
        snprintf(horizon, sizeof(horizon), "%s", PQgetvalue(h, 0, 0));
    PQclear(h);
    /* Only events of transactions older than every running one: all those
     * are decided, and any event still to come sorts after the cursor. */
    const char *pc[] = {txid, evid};
    ev = wf_xdb_run(ex, WF_XQ_EVENTS_AFTER, 2, pc);
    if (PQresultStatus(ev) != PGRES_TUPLES_OK) {
        rc = -1;
        goto done;
    }
    for (int i = 0; i < PQntuples(ev) && rc == 0; i++) {
        rc = on_event(&rd, ev, i);
        snprintf(txid, sizeof(txid), "%s", PQgetvalue(ev, i, 1));
        snprintf(evid, sizeof(evid), "%s", PQgetvalue(ev, i, 0));
    }
    if (rc != 0)
        goto done;
    if (PQntuples(ev) < WF_XDB_EVENTS_BATCH && horizon[0] != '\0' &&
        strtoull(horizon, NULL, 10) > strtoull(txid, NULL, 10)) {
        snprintf(txid, sizeof(txid), "%s", horizon);
        snprintf(evid, sizeof(evid), "-1");
    }
    /* A status set by an event (a refusal, inputs that could not be
     * rendered) stays until an event is accepted, so it is seen and audited
     * once; a "no grant" from the named-producer check clears as soon as the
     * check passes. */
    if (rd.status[0] == '\0') {
        bool keep = !rd.accepted && old_status[0] != '\0' &&
                    !(rd.checked && (strncmp(old_status, "no grant", 8) == 0 ||
                                     strstr(old_status, "shares none") != NULL));
        snprintf(rd.status, sizeof(rd.status), "%s", keep ? old_status : "ok");
    }
    const char *pu[] = {key[0], key[1], key[2], txid, evid, rd.status, rd.fired ? "t" : "f"};
    PGresult *u = wf_xdb_run(ex, WF_XQ_TRIGGER_ADVANCE, 7, pu);
    rc = PQresultStatus(u) == PGRES_COMMAND_OK ? 0 : -1;
    PQclear(u);
    /* A refusal is audited when the status turns to it, not once per event:
     * the status only changes back when a grant appears. */
    bool changed = rc == 0 && strcmp(rd.status, old_status) != 0;
    if (changed && rd.refused)
        audit(ex, mt, "trigger.refused", "denied", rd.status, NULL);
    if (changed && strcmp(rd.status, "ok") != 0)
        wf_warn("flow trigger %s.%s/%s: %s", mt->flow->namespace_, mt->flow->id, mt->trig->id,
                rd.status);
done:
    PQclear(ev);
    PQclear(wf_xdb_run(ex, rc == 0 ? WF_XQ_COMMIT : WF_XQ_ROLLBACK, 0, NULL));
}

void wf_xmesh_tick(wf_executor_t *ex)
{
    struct wf_xmesh *m = ex->mesh;
    if (m == NULL || ex->stopping)
        return;
    int64_t now = wf_clock_mono_ms();
    if (m->ticked_ms != 0 && now - m->ticked_ms < TICK_MIN_MS)
        return;
    m->ticked_ms = now;
    /* The table points into the domain's flows: rebuilt when they changed
     * (another module's check may have replaced them), pinned while worked. */
    const wf_xdomain_flows_t *d = wf_xflowcache_domain(ex, RELOAD_MS);
    if (m->loaded_ms == 0 || wf_clock_mono_ms() - m->loaded_ms >= RELOAD_MS ||
        (d != NULL && d->gen != m->gen))
        reload(ex, m);
    wf_xflowcache_domain_pin(ex, 1);
    for (size_t i = 0; i < m->n_trigs; i++)
        poll_trigger(ex, m, &m->trigs[i]);
    wf_xflowcache_domain_pin(ex, -1);
}
