/* Triggers of the domain's flows. Schedule: every replica evaluates the
 * crons, and the one that advances trigger_state.last_fired to the tick
 * (a conditional UPDATE) creates the execution in the same transaction, so a
 * tick fires exactly once across replicas and restarts. Flow: when an
 * execution of the domain ends, flows whose Flow trigger matches it start.
 *
 * Cost (docs/executor.md, "The scheduler's cost"): the schedule table is
 * rebuilt only when the domain's flows change (flowcache.c's fingerprint
 * check), keeping what it knows of unchanged flows (their last and next
 * ticks); the trigger_state rows of new schedules are read and made in one
 * statement; a next fire time is computed once per fire; the plain
 * schedules of a tick (no conditions, no maxActiveExecutions bound) are
 * claimed and their executions created FIRE_BATCH per statement, the loop
 * getting its turn between batches. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "executor/executor.h"
#include "executor/conditions.h"
#include "executor/cron.h"
#include "executor/mesh.h"
#include "platform/log.h"
#include "platform/text.h"
#include "platform/xmalloc.h"
#include "tenants/policy.h"

#define CHECK_MS 5000    /* the flows are checked for changes this often */
#define ON_END_MS 1000   /* ... and at an execution's end, when older than this */
#define FIRE_BATCH 500   /* plain schedules claimed per statement */

typedef struct xsched_entry {
    wf_flow_t *flow;
    const wf_trigger_t *trig;
    uint64_t serial; /* the flow's parsed copy (wf_xdomain_flow_t) */
    size_t k;        /* the trigger's index in the flow */
    wf_xcron_t cron;
    char tz[64];
    int recover; /* 0 ALL, 1 LAST, 2 NONE */
    bool plain;  /* no conditions: may fire in a batch */
    time_t last, next;
} xsched_entry_t;

typedef struct {
    wf_flow_t *flow;
    const wf_trigger_t *trig;
} xflow_trig_t;

/* The room a pass over the due schedules has left under one
 * maxActiveExecutions bound: counted once per pass (WF_XQ_ACTIVE_COUNT, as
 * wf_xpolicy_may_create counts), then taken one by one by the ticks it
 * batches. Executions that end meanwhile are not given back: a tick beyond
 * the room goes to fire(), which counts again and fires or refuses. */
typedef struct {
    char from[256]; /* the prefix the bound applies under ("": the domain) */
    int64_t limit, room;
} xquota_t;

typedef struct {
    xquota_t *q;
    size_t n;
} xquotas_t;

struct wf_xsched {
    wf_executor_t *ex;
    xsched_entry_t *entries; /* ordered by (serial, k) */
    size_t n_entries;
    xflow_trig_t *on_end; /* the enabled Flow triggers */
    size_t n_on_end;
    uint64_t gen; /* of the domain's flows the tables were built from */
    bool built;
    wf_timer_t more; /* the rest of a tick's firings, after the loop's turn */
    size_t cursor;   /* the entry the next slice starts from */
    xquotas_t quotas; /* of the pass under way */
};

struct wf_xsched *wf_xsched_create(wf_executor_t *ex)
{
    struct wf_xsched *s = wf_xcalloc(1, sizeof(struct wf_xsched));
    s->ex = ex;
    return s;
}

void wf_xsched_destroy(struct wf_xsched *s)
{
    if (s == NULL)
        return;
    if (s->ex->loop)
        wf_loop_timer_cancel(s->ex->loop, &s->more);
    free(s->entries);
    free(s->on_end);
    free(s->quotas.q);
    free(s);
}

static void iso_of(time_t t, char *buf, size_t len)
{
    wf_clock_iso_from_ms((int64_t)t * 1000, buf, len);
}

static int by_slot(const void *a, const void *b)
{
    const xsched_entry_t *x = a, *y = b;
    if (x->serial != y->serial)
        return x->serial < y->serial ? -1 : 1;
    return x->k < y->k ? -1 : x->k > y->k;
}

/* The entry of a schedule the table did not have yet: its cron parsed and
 * its options read. -1 (logged, once per revision) when the cron is bad. */
static int entry_init(xsched_entry_t *e)
{
    const wf_trigger_t *t = e->trig;
    const wf_flow_t *f = e->flow;
    json_t *ws = json_object_get(t->props, "withSeconds");
    char err[128];
    if (wf_xcron_parse(&e->cron, t->cron, json_is_true(ws), err, sizeof(err)) != 0) {
        wf_warn("flow %s.%s trigger %s: %s", f->namespace_, f->id, t->id, err);
        return -1;
    }
    const char *tz = wf_json_str(t->props, "timezone");
    snprintf(e->tz, sizeof(e->tz), "%s", tz ? tz : "UTC");
    const char *rec = wf_json_str(t->props, "recoverMissedSchedules");
    e->recover = rec && strcmp(rec, "LAST") == 0 ? 1 : rec && strcmp(rec, "NONE") == 0 ? 2 : 0;
    e->plain = json_array_size(json_object_get(t->props, "conditions")) +
                   json_array_size(json_object_get(t->props, "scheduleConditions")) ==
               0;
    return 0;
}

/* Reads last_fired of the entries marked new (last == 0), creating the rows
 * at "now" for new triggers (a new schedule starts with the next tick, it
 * does not backfill), in one statement; computes their next tick. */
static void load_states(wf_executor_t *ex, xsched_entry_t *es, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        if (es[i].last == 0)
            json_array_append_new(arr, json_pack("{s:I,s:s,s:s,s:s}", "i", (json_int_t)i, "ns",
                                                 es[i].flow->namespace_, "f", es[i].flow->id,
                                                 "t", es[i].trig->id));
    if (json_array_size(arr) > 0) {
        char *doc = json_dumps(arr, JSON_COMPACT);
        const char *p[] = {doc, ex->domain};
        PGresult *r = wf_xdb_run(ex, WF_XQ_SCHED_STATES, 2, p); /* part of sync() */
        if (PQresultStatus(r) == PGRES_TUPLES_OK) {
            for (int row = 0; row < PQntuples(r); row++) {
                size_t i = (size_t)atoll(PQgetvalue(r, row, 0));
                if (i < n && !PQgetisnull(r, row, 1))
                    es[i].last = (time_t)atoll(PQgetvalue(r, row, 1));
            }
        } else {
            wf_warn("schedules: cannot read their state: %s", PQresultErrorMessage(r));
        }
        PQclear(r);
        free(doc);
    }
    json_decref(arr);
    time_t now = time(NULL);
    for (size_t i = 0; i < n; i++) {
        if (es[i].next != 0)
            continue;
        if (es[i].last == 0)
            es[i].last = now;
        es[i].next = wf_xcron_next(&es[i].cron, es[i].last, es[i].tz);
    }
}

/* Brings the tables up to the domain's current flows (checked when older
 * than `max_age_ms`): entries of unchanged flows are kept as they are. */
static void sync(wf_executor_t *ex, struct wf_xsched *s, int64_t max_age_ms)
{
    const wf_xdomain_flows_t *d = wf_xflowcache_domain(ex, max_age_ms);
    if (d == NULL || (s->built && d->gen == s->gen))
        return;
    xsched_entry_t *es = NULL;
    xflow_trig_t *ft = NULL;
    size_t n = 0, cap = 0, n_ft = 0, cap_ft = 0;
    for (size_t i = 0; i < d->n; i++) {
        wf_flow_t *f = d->flows[i].flow;
        for (size_t k = 0; k < f->n_triggers; k++) {
            const wf_trigger_t *t = &f->triggers[k];
            if (t->kind == WF_TRIGGER_FLOW && !t->disabled) {
                if (n_ft == cap_ft) {
                    cap_ft = cap_ft ? cap_ft * 2 : 16;
                    ft = wf_xreallocarray(ft, cap_ft, sizeof(*ft));
                }
                ft[n_ft++] = (xflow_trig_t){f, t};
            }
            if (t->kind != WF_TRIGGER_SCHEDULE || t->disabled || t->cron == NULL)
                continue;
            xsched_entry_t e = {.flow = f, .trig = t, .serial = d->flows[i].serial, .k = k};
            const xsched_entry_t *old =
                s->n_entries > 0 ? bsearch(&e, s->entries, s->n_entries, sizeof(e), by_slot)
                                 : NULL;
            if (old != NULL) {
                e = *old; /* the same parsed copy: its pointers are still good */
            } else if (entry_init(&e) != 0) {
                continue;
            }
            if (n == cap) {
                cap = cap ? cap * 2 : 16;
                es = wf_xreallocarray(es, cap, sizeof(*es));
            }
            es[n++] = e;
        }
    }
    load_states(ex, es, n);
    if (n > 1) /* es is NULL when there is no schedule */
        qsort(es, n, sizeof(*es), by_slot);
    free(s->entries);
    free(s->on_end);
    s->entries = es;
    s->n_entries = n;
    s->on_end = ft;
    s->n_on_end = n_ft;
    s->gen = d->gen;
    s->built = true;
}

/* `t` as an ISO-8601 date-time in the schedule's time zone, with its offset
 * ("2026-05-31T11:00:00.000+02:00"; "Z" in UTC): the date the schedule's
 * conditions test, as Kestra's trigger.date is zoned. */
static void zoned_iso(time_t t, const char *tz, char *buf, size_t len)
{
    int32_t off = wf_xcron_utc_offset(t, tz);
    time_t local = t + off;
    struct tm tm;
    gmtime_r(&local, &tm);
    char zone[16] = "Z";
    if (off != 0)
        snprintf(zone, sizeof(zone), "%c%02d:%02d", off < 0 ? '-' : '+', abs(off) / 3600,
                 abs(off) % 3600 / 60);
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.000%s", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, zone);
}

/* The schedule's conditions (and their older name, scheduleConditions) at
 * `tick`: 1 all hold, 0 one does not, -1 one cannot be evaluated (logged).
 * Every replica reaches the same answer: it depends on the tick only. */
static int conditions_hold(xsched_entry_t *e, time_t tick, json_t *trigger)
{
    json_t *lists[] = {json_object_get(e->trig->props, "conditions"),
                       json_object_get(e->trig->props, "scheduleConditions")};
    if (json_array_size(lists[0]) + json_array_size(lists[1]) == 0)
        return 1;
    char date[48], err[400];
    zoned_iso(tick, e->tz, date, sizeof(date));
    json_t *trig = json_deep_copy(trigger);
    json_object_set_new(trig, "date", json_string(date));
    json_t *vars = json_pack("{s:o}", "trigger", trig);
    const wf_xcond_env_t env = {.vars = vars, .event = NULL};
    int r = 1;
    for (size_t i = 0; i < 2 && r == 1; i++)
        r = wf_xcond_all(lists[i], &env, true, err, sizeof(err));
    json_decref(vars);
    if (r < 0)
        wf_warn("schedule %s.%s/%s at %s: condition: %s: does not fire", e->flow->namespace_,
                e->flow->id, e->trig->id, date, err);
    return r;
}

/* Claims `tick` for the trigger and creates its execution, in one
 * transaction. Returns 1 fired, 0 another replica had it, -1 error. The
 * transaction must see its own claim: every statement of it waits. */
static int fire(wf_executor_t *ex, xsched_entry_t *e, time_t tick)
{
    char stick[40], snext[40], sprev[40];
    iso_of(tick, stick, sizeof(stick));
    time_t nx = wf_xcron_next(&e->cron, tick, e->tz);
    iso_of(nx > 0 ? nx : tick, snext, sizeof(snext));
    iso_of(e->last, sprev, sizeof(sprev));
    PQclear(wf_xdb_run(ex, WF_XQ_BEGIN, 0, NULL));
    const char *p[] = {e->flow->namespace_, e->flow->id, e->trig->id, stick, snext};
    PGresult *r = wf_xdb_run(ex, WF_XQ_SCHED_TICK, 5, p);
    int won = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    int err = PQresultStatus(r) != PGRES_TUPLES_OK;
    PQclear(r);
    int rc = 0;
    if (won) {
        json_t *trigger = json_pack("{s:s,s:s,s:s,s:s,s:s}", "type", "schedule", "id",
                                    e->trig->id, "date", stick, "next", snext, "previous", sprev);
        json_t *inputs = json_object_get(e->trig->props, "inputs");
        char id[64], by[600], why[700];
        snprintf(by, sizeof(by), "schedule:%s/%s/%s", e->flow->namespace_, e->flow->id,
                 e->trig->id);
        /* A tick whose conditions do not hold is spent without an
         * execution, as Kestra's. */
        bool skipped = conditions_hold(e, tick, trigger) != 1;
        /* A tick the domain's quota refuses is spent, and says so. */
        bool refused = !skipped &&
            wf_xpolicy_may_create(ex, e->flow->namespace_, 0, true, why, sizeof(why)) != 0;
        if (skipped)
            rc = 1;
        else if (refused)
            rc = wf_xmesh_trigger_refused(ex, e->flow, e->trig, trigger, why, 0) == 0 ? 1 : -1;
        else
            rc = wf_xdb_create_execution(ex, e->flow->namespace_, e->flow->id,
                                         json_is_object(inputs) ? inputs : NULL, NULL, trigger,
                                         NULL, by, 0, id, sizeof(id)) == 0
                     ? 1
                     : -1;
        json_decref(trigger);
        if (skipped)
            wf_info("schedule %s.%s/%s: conditions do not hold at %s: no execution",
                    e->flow->namespace_, e->flow->id, e->trig->id, stick);
        else if (rc == 1 && !refused)
            wf_info("schedule %s.%s/%s fired for %s: execution %s", e->flow->namespace_,
                    e->flow->id, e->trig->id, stick, id);
    }
    PQclear(wf_xdb_run(ex, rc < 0 || err ? WF_XQ_ROLLBACK : WF_XQ_COMMIT, 0, NULL));
    return err ? -1 : rc;
}

/* Whether a tick of `e` may go in a batch: no conditions, a readable policy,
 * and room under its maxActiveExecutions bound (taken when it says yes).
 * The others fire one by one (fire()), which refuses with the reason. */
static bool batchable(wf_executor_t *ex, const xsched_entry_t *e, xquotas_t *qs)
{
    if (!e->plain)
        return false;
    const wf_policy_t *p = wf_xpolicy_of(ex, e->flow->namespace_);
    int64_t limit;
    const char *from;
    if (p == NULL)
        return false;
    if (!wf_policy_bound(p, WF_POL_MAX_ACTIVE_EXECUTIONS, &limit, &from))
        return true;
    from = from ? from : "";
    xquota_t *q = NULL;
    for (size_t i = 0; i < qs->n && q == NULL; i++)
        if (qs->q[i].limit == limit && strcmp(qs->q[i].from, from) == 0)
            q = &qs->q[i];
    if (q == NULL) {
        char slimit[24];
        snprintf(slimit, sizeof(slimit), "%lld", (long long)limit);
        const char *pc[] = {ex->domain, from, slimit};
        /* Waits: how many ticks the batch may take depends on the count. */
        PGresult *r = wf_xdb_run(ex, WF_XQ_ACTIVE_COUNT, 3, pc);
        int64_t active = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1
                             ? atoll(PQgetvalue(r, 0, 0))
                             : limit; /* unknown: one by one, fire() says why */
        PQclear(r);
        qs->q = wf_xreallocarray(qs->q, qs->n + 1, sizeof(*qs->q));
        q = &qs->q[qs->n++];
        snprintf(q->from, sizeof(q->from), "%s", from);
        q->limit = limit;
        q->room = limit - active;
    }
    if (q->room <= 0)
        return false;
    q->room--;
    return true;
}

typedef struct {
    size_t e;   /* entry index */
    time_t tick;
    char id[24];
} xfire_t;

/* Claims the ticks of `n` plain schedules and creates the executions of
 * those this replica won, in one statement (WF_XQ_SCHED_FIRE); wakes the
 * replicas once. 0, or -1 when the statement failed (nothing was spent).
 * Waits: the entries move on only once the claim is known. */
static int fire_batch(wf_executor_t *ex, struct wf_xsched *s, xfire_t *fs, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        xsched_entry_t *e = &s->entries[fs[i].e];
        char stick[40], snext[40], sprev[40];
        iso_of(fs[i].tick, stick, sizeof(stick));
        time_t nx = wf_xcron_next(&e->cron, fs[i].tick, e->tz);
        iso_of(nx > 0 ? nx : fs[i].tick, snext, sizeof(snext));
        iso_of(e->last, sprev, sizeof(sprev));
        wf_random_id(fs[i].id, sizeof(fs[i].id));
        json_t *inputs = json_object_get(e->trig->props, "inputs");
        json_t *trigger = json_pack("{s:s,s:s,s:s,s:s,s:s}", "type", "schedule", "id",
                                    e->trig->id, "date", stick, "next", snext, "previous", sprev);
        json_array_append_new(
            arr, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:O?,s:o}", "ns", e->flow->namespace_, "f",
                           e->flow->id, "t", e->trig->id, "tick", stick, "nxt", snext, "id",
                           fs[i].id, "inputs", json_is_object(inputs) ? inputs : NULL, "trig",
                           trigger));
    }
    char *doc = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    const char *p[] = {doc};
    PGresult *r = wf_xdb_run(ex, WF_XQ_SCHED_FIRE, 1, p);
    free(doc);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        wf_warn("schedules: cannot fire %zu ticks: %s", n, PQresultErrorMessage(r));
        PQclear(r);
        return -1;
    }
    int rows = PQntuples(r);
    size_t at = 0;
    for (int row = 0; row < rows; row++) {
        const char *id = PQgetvalue(r, row, 0);
        /* The rows come back in the batch's order, usually: look from the last match. */
        for (size_t j = 0; j < n; j++) {
            size_t i = (at + j) % n;
            if (strcmp(fs[i].id, id) != 0)
                continue;
            xsched_entry_t *e = &s->entries[fs[i].e];
            char stick[40];
            iso_of(fs[i].tick, stick, sizeof(stick));
            wf_info("schedule %s.%s/%s fired for %s: execution %s", e->flow->namespace_,
                    e->flow->id, e->trig->id, stick, id);
            at = i + 1;
            break;
        }
    }
    if (rows > 0) {
        /* Wakes every replica of the domain (this one included). */
        char chan[96];
        snprintf(chan, sizeof(chan), "weft_domain_%s", ex->domain);
        const char *pn[] = {chan, PQgetvalue(r, rows - 1, 0)};
        PQclear(wf_xdb_run(ex, WF_XQ_SCHED_NOTIFY, 2, pn));
    }
    PQclear(r);
    return 0;
}

/* Fires the batch gathered so far and moves its entries on; empties it.
 * Returns how many moved (0 when the statement failed: they stay due). */
static size_t flush(wf_executor_t *ex, struct wf_xsched *s, xfire_t *batch, size_t *nb)
{
    size_t n = *nb;
    *nb = 0;
    if (n == 0 || fire_batch(ex, s, batch, n) != 0)
        return 0;
    for (size_t j = 0; j < n; j++) {
        xsched_entry_t *e = &s->entries[batch[j].e];
        e->last = batch[j].tick;
        e->next = wf_xcron_next(&e->cron, batch[j].tick, e->tz);
    }
    return n;
}

static void on_more(wf_timer_t *t)
{
    struct wf_xsched *s = t->arg;
    wf_xsched_tick(s->ex);
}

/* One slice of the due schedules: at most FIRE_BATCH of them, then the loop
 * gets its turn (heartbeats, claims, running tasks) and the next slice runs
 * from a timer. Returns true when due schedules remain. */
static bool fire_slice(wf_executor_t *ex, struct wf_xsched *s)
{
    time_t now = time(NULL);
    xfire_t *batch = wf_xcalloc(FIRE_BATCH, sizeof(*batch));
    size_t nb = 0, done = 0, moved = 0;
    bool more = false;
    /* From where the last slice stopped: a schedule that keeps failing does
     * not keep the others waiting. */
    size_t from = s->cursor < s->n_entries ? s->cursor : 0;
    for (size_t j = 0; j < s->n_entries; j++) {
        size_t i = (from + j) % s->n_entries;
        xsched_entry_t *e = &s->entries[i];
        if (e->next <= 0 || e->next > now)
            continue;
        if (done == FIRE_BATCH) {
            more = true;
            s->cursor = i;
            break;
        }
        done++;
        time_t tick = e->next;
        /* Missed ticks (executor down): LAST fires the latest only, NONE
         * fires only a tick that is due now, ALL fires each in turn. */
        if (e->recover != 0) {
            time_t t2;
            while ((t2 = wf_xcron_next(&e->cron, tick, e->tz)) > 0 && t2 <= now)
                tick = t2;
        }
        if (e->recover != 2 || now - tick <= 2) {
            if (batchable(ex, e, &s->quotas)) {
                batch[nb++] = (xfire_t){.e = i, .tick = tick};
                continue;
            }
            /* Its count must see the batch's executions: they go first. */
            moved += flush(ex, s, batch, &nb);
            if (fire(ex, e, tick) < 0)
                continue;
        }
        e->last = tick;
        e->next = wf_xcron_next(&e->cron, tick, e->tz);
        moved++;
    }
    moved += flush(ex, s, batch, &nb);
    free(batch);
    /* A slice that moved nothing (the database refuses) waits for the next second. */
    more = more && moved > 0;
    if (!more) { /* the pass is over: the next counts afresh */
        free(s->quotas.q);
        s->quotas = (xquotas_t){NULL, 0};
    }
    return more;
}

void wf_xsched_tick(wf_executor_t *ex)
{
    struct wf_xsched *s = ex->sched;
    if (s == NULL || ex->stopping)
        return;
    sync(ex, s, CHECK_MS);
    /* The entries point into the domain's flows: they stay while we fire. */
    wf_xflowcache_domain_pin(ex, 1);
    bool more = fire_slice(ex, s);
    wf_xflowcache_domain_pin(ex, -1);
    if (more)
        wf_loop_timer_arm(ex->loop, &s->more, 0, on_more, s);
}

/* ---- Flow triggers ---------------------------------------------------------- */

void wf_xsched_on_end(wf_executor_t *ex, wf_xexec_t *x)
{
    struct wf_xsched *s = ex->sched;
    if (s == NULL)
        return;
    /* A consumer flow applied a moment ago must see this end: the flows are
     * checked when the last check is older than a second (one single-row
     * query; only changed revisions are read again). */
    sync(ex, s, ON_END_MS);
    /* The conditions form within the domain: the same matcher as events
     * (preconditions are event-driven: wf_xmesh_handles). */
    const wf_xmesh_event_t ev = {x->namespace_, x->flow_id, wf_xstate_name(x->state), x->labels};
    wf_xflowcache_domain_pin(ex, 1);
    for (size_t i = 0; i < s->n_on_end; i++) {
        wf_flow_t *f = s->on_end[i].flow;
        const wf_trigger_t *t = s->on_end[i].trig;
        /* A flow is not triggered by its own executions (no feedback loop). */
        if (strcmp(f->namespace_, x->namespace_) == 0 && strcmp(f->id, x->flow_id) == 0)
            continue;
        /* Cross-domain and multi-producer triggers read events instead. */
        if (wf_xmesh_handles(ex, t) || !wf_xmesh_conditions_hold(t, &ev))
            continue;
        json_t *trigger = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "type", "flow", "id", t->id,
                                    "executionId", x->id, "namespace", x->namespace_,
                                    "flowId", x->flow_id, "state", wf_xstate_name(x->state));
        json_object_set_new(trigger, "outputs",
                            x->outputs ? json_incref(x->outputs) : json_object());
        /* One generation below the execution that ended. */
        int depth = x->chain_depth + 1;
        char why[700];
        if (wf_xpolicy_may_create(ex, f->namespace_, depth, true, why, sizeof(why)) != 0) {
            if (wf_xmesh_trigger_refused(ex, f, t, trigger, why, depth) != 0)
                wf_warn("flow trigger %s.%s/%s: %s", f->namespace_, f->id, t->id, why);
            json_decref(trigger);
            continue;
        }
        json_t *inputs = json_object_get(t->props, "inputs");
        json_t *rendered = NULL;
        if (json_is_object(inputs)) {
            json_t *ctx = json_pack("{s:O}", "trigger", trigger);
            char err[300];
            /* Stored with the new execution and shown by the API. */
            rendered = wf_xrender_json_clean(ex, x, inputs, ctx, "flow trigger inputs", err,
                                             sizeof(err));
            json_decref(ctx);
            if (rendered == NULL) {
                /* Never silence: a FAILED execution says why, as across domains. */
                if (wf_xmesh_inputs_failed(ex, f, t, trigger, err, depth) != 0)
                    wf_warn("flow trigger %s.%s/%s: inputs: %s", f->namespace_, f->id,
                            t->id, err);
                json_decref(trigger);
                continue;
            }
        }
        char id[64], by[600];
        snprintf(by, sizeof(by), "trigger:%s/%s/%s", f->namespace_, f->id, t->id);
        if (wf_xdb_create_execution(ex, f->namespace_, f->id, rendered, NULL, trigger, NULL,
                                    by, depth, id, sizeof(id)) == 0)
            wf_info("flow trigger %s.%s/%s: execution %s after %s", f->namespace_, f->id,
                    t->id, id, x->id);
        json_decref(rendered);
        json_decref(trigger);
    }
    wf_xflowcache_domain_pin(ex, -1);
}
