/* Triggers of the domain's flows. Schedule: every replica evaluates the
 * crons, and the one that advances trigger_state.last_fired to the tick
 * (a conditional UPDATE) creates the execution in the same transaction, so a
 * tick fires exactly once across replicas and restarts. Flow: when an
 * execution of the domain ends, flows whose Flow trigger matches it start. */
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

#define RELOAD_MS 5000 /* flows are re-read this often */

typedef struct xsched_entry {
    wf_flow_t *flow;
    const wf_trigger_t *trig;
    wf_xcron_t cron;
    char tz[64];
    int recover; /* 0 ALL, 1 LAST, 2 NONE */
    time_t last, next;
} xsched_entry_t;

struct wf_xsched {
    wf_flow_t **flows;
    size_t n_flows;
    xsched_entry_t *entries;
    size_t n_entries;
    int64_t loaded_ms;
};

struct wf_xsched *wf_xsched_create(wf_executor_t *ex)
{
    (void)ex;
    return wf_xcalloc(1, sizeof(struct wf_xsched));
}

static void clear(struct wf_xsched *s)
{
    for (size_t i = 0; i < s->n_flows; i++)
        wf_flow_free(s->flows[i]);
    free(s->flows);
    free(s->entries);
    s->flows = NULL;
    s->entries = NULL;
    s->n_flows = s->n_entries = 0;
}

void wf_xsched_destroy(struct wf_xsched *s)
{
    if (s == NULL)
        return;
    clear(s);
    free(s);
}

static void iso_of(time_t t, char *buf, size_t len)
{
    wf_clock_iso_from_ms((int64_t)t * 1000, buf, len);
}

/* Reads last_fired, creating the row at "now" for a new trigger: a new
 * schedule starts with the next tick, it does not backfill. */
static time_t load_last(wf_executor_t *ex, xsched_entry_t *e)
{
    const char *p[] = {e->flow->namespace_, e->flow->id, e->trig->id, ex->domain};
    PGresult *r = wf_xdb_run(ex, WF_XQ_SCHED_CURSOR, 4, p); /* part of reload() */
    time_t t = time(NULL);
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
        t = (time_t)atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return t;
}

/* Waits, at most once per RELOAD_MS (or a second, at an execution's end):
 * the schedules are rebuilt from the rows before any is evaluated. */
static void reload(wf_executor_t *ex, struct wf_xsched *s)
{
    size_t n;
    wf_flow_t **flows = wf_xflowcache_domain_flows(ex, &n);
    if (flows == NULL)
        return;
    clear(s);
    s->flows = flows; /* kept in place: those with triggers */
    for (size_t i = 0; i < n; i++) {
        wf_flow_t *f = flows[i];
        if (f->n_triggers == 0) {
            wf_flow_free(f);
            continue;
        }
        s->flows[s->n_flows++] = f;
        for (size_t k = 0; k < f->n_triggers; k++) {
            const wf_trigger_t *t = &f->triggers[k];
            if (t->kind != WF_TRIGGER_SCHEDULE || t->disabled || t->cron == NULL)
                continue;
            xsched_entry_t e = {.flow = f, .trig = t};
            json_t *ws = json_object_get(t->props, "withSeconds");
            char err[128];
            if (wf_xcron_parse(&e.cron, t->cron, json_is_true(ws), err, sizeof(err)) != 0) {
                wf_warn("flow %s.%s trigger %s: %s", f->namespace_, f->id, t->id, err);
                continue;
            }
            const char *tz = wf_json_str(t->props, "timezone");
            snprintf(e.tz, sizeof(e.tz), "%s", tz ? tz : "UTC");
            const char *rec = wf_json_str(t->props, "recoverMissedSchedules");
            e.recover = rec && strcmp(rec, "LAST") == 0 ? 1 : rec && strcmp(rec, "NONE") == 0 ? 2
                                                                                                : 0;
            e.last = load_last(ex, &e);
            e.next = wf_xcron_next(&e.cron, e.last, e.tz);
            s->entries = wf_xreallocarray(s->entries, s->n_entries + 1, sizeof(*s->entries));
            s->entries[s->n_entries++] = e;
        }
    }
    s->loaded_ms = wf_clock_mono_ms();
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

void wf_xsched_tick(wf_executor_t *ex)
{
    struct wf_xsched *s = ex->sched;
    if (s == NULL || ex->stopping)
        return;
    if (s->loaded_ms == 0 || wf_clock_mono_ms() - s->loaded_ms >= RELOAD_MS)
        reload(ex, s);
    time_t now = time(NULL);
    for (size_t i = 0; i < s->n_entries; i++) {
        xsched_entry_t *e = &s->entries[i];
        if (e->next <= 0 || e->next > now)
            continue;
        time_t tick = e->next;
        /* Missed ticks (executor down): LAST fires the latest only, NONE
         * fires only a tick that is due now, ALL fires each in turn. */
        if (e->recover != 0) {
            time_t t2;
            while ((t2 = wf_xcron_next(&e->cron, tick, e->tz)) > 0 && t2 <= now)
                tick = t2;
        }
        int r = e->recover == 2 && now - tick > 2 ? 0 : fire(ex, e, tick);
        if (r < 0)
            continue;
        e->last = tick;
        e->next = wf_xcron_next(&e->cron, tick, e->tz);
    }
}

/* ---- Flow triggers ---------------------------------------------------------- */

void wf_xsched_on_end(wf_executor_t *ex, wf_xexec_t *x)
{
    struct wf_xsched *s = ex->sched;
    if (s == NULL)
        return;
    /* A consumer flow applied a moment ago must see this end: re-read the
     * flows when the copy is older than a second. */
    if (s->loaded_ms == 0 || wf_clock_mono_ms() - s->loaded_ms >= 1000)
        reload(ex, s);
    /* The conditions form within the domain: the same matcher as events
     * (preconditions are event-driven: wf_xmesh_handles). */
    const wf_xmesh_event_t ev = {x->namespace_, x->flow_id, wf_xstate_name(x->state), x->labels};
    for (size_t i = 0; i < s->n_flows; i++) {
        wf_flow_t *f = s->flows[i];
        /* A flow is not triggered by its own executions (no feedback loop). */
        if (strcmp(f->namespace_, x->namespace_) == 0 && strcmp(f->id, x->flow_id) == 0)
            continue;
        for (size_t k = 0; k < f->n_triggers; k++) {
            const wf_trigger_t *t = &f->triggers[k];
            /* Cross-domain and multi-producer triggers read events instead. */
            if (t->kind != WF_TRIGGER_FLOW || t->disabled || wf_xmesh_handles(ex, t) ||
                !wf_xmesh_conditions_hold(t, &ev))
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
    }
}
