/* Retention and the purge tasks; see retention.h. */
#include "executor/retention.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "executor/walk.h"
#include "flow/time.h"
#include "platform/log.h"
#include "platform/xmalloc.h"

/* ---- the housekeeping pass ------------------------------------------------- */

typedef struct rule {
    char *prefix; /* "" = every namespace */
    int64_t ms;   /* the shortest retention set on the prefix */
} rule_t;

struct wf_xretention {
    wf_executor_t *ex;
    wf_timer_t timer;
    int64_t interval_ms;
    bool busy; /* a pass is under way: its statements are queued */
    rule_t *rules;
    size_t n_rules, next; /* next: the rule being purged */
    long long n_execs, n_truns, n_logs, n_files;
    int64_t started_ms;
};

static void on_timer(wf_timer_t *t);

static void rules_clear(wf_xretention_t *r)
{
    for (size_t i = 0; i < r->n_rules; i++)
        free(r->rules[i].prefix);
    free(r->rules);
    r->rules = NULL;
    r->n_rules = r->next = 0;
}

/* The pass is over (done or given up): the next one after the interval. */
static void pass_end(wf_xretention_t *r)
{
    if (r->n_execs > 0)
        wf_info("retention: purged %lld executions (%lld task runs, %lld log lines, %lld "
                "files) in %lld ms",
                r->n_execs, r->n_truns, r->n_logs, r->n_files,
                (long long)(wf_clock_mono_ms() - r->started_ms));
    rules_clear(r);
    r->busy = false;
    if (!r->ex->stopping)
        wf_loop_timer_arm(r->ex->loop, &r->timer, r->interval_ms, on_timer, r);
}

static bool answered(wf_executor_t *ex, PGresult *res, int cols)
{
    return !ex->stopping && res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK &&
           PQnfields(res) == cols;
}

static void unlock_cb(wf_executor_t *ex, PGresult *res, void *arg)
{
    (void)ex;
    (void)res;
    pass_end(arg);
}

static void unlock(wf_xretention_t *r)
{
    if (r->ex->stopping ||
        wf_xdbq_send(r->ex, wf_xdb_stmt_name(WF_XQ_RETENTION_UNLOCK), 0, NULL, unlock_cb, r) != 0)
        pass_end(r);
}

static void send_batch(wf_xretention_t *r);

static void batch_cb(wf_executor_t *ex, PGresult *res, void *arg)
{
    wf_xretention_t *r = arg;
    if (!answered(ex, res, 4) || PQntuples(res) != 1) {
        if (!ex->stopping)
            wf_warn("retention: a purge of %s failed: %s",
                    r->rules[r->next].prefix[0] ? r->rules[r->next].prefix : "every namespace",
                    res ? PQresultErrorMessage(res) : "connection lost");
        unlock(r);
        return;
    }
    long long n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    r->n_execs += n;
    r->n_truns += strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    r->n_logs += strtoll(PQgetvalue(res, 0, 2), NULL, 10);
    r->n_files += strtoll(PQgetvalue(res, 0, 3), NULL, 10);
    /* A short batch: this prefix has nothing more past its retention (or
     * what is left is held by another transaction, for the next pass). */
    if (n < WF_XRETENTION_BATCH)
        r->next++;
    send_batch(r);
}

/* Queues the next batch. Statements queued meanwhile by the executions go
 * out before it: the queue is first in, first out. */
static void send_batch(wf_xretention_t *r)
{
    if (r->next >= r->n_rules) {
        unlock(r);
        return;
    }
    char ms[24], lim[16];
    snprintf(ms, sizeof(ms), "%lld", (long long)r->rules[r->next].ms);
    snprintf(lim, sizeof(lim), "%d", WF_XRETENTION_BATCH);
    const char *p[] = {r->rules[r->next].prefix, ms, lim};
    if (wf_xdbq_send(r->ex, wf_xdb_stmt_name(WF_XQ_RETENTION_PURGE), 3, p, batch_cb, r) != 0)
        unlock(r);
}

/* A layer's retention in ms, or -1 when it sets none (or a bad one: it was
 * validated when stored, so that is only an older or hand-written row). */
static int64_t layer_ms(PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return -1;
    int64_t ms;
    char msg[128];
    const char *v = PQgetvalue(res, row, col);
    if (wf_duration_parse(v, &ms, msg, sizeof(msg)) != 0 || ms <= 0) {
        wf_warn("retention: ignoring retention \"%.40s\": %s", v, msg);
        return -1;
    }
    return ms;
}

static void rules_cb(wf_executor_t *ex, PGresult *res, void *arg)
{
    wf_xretention_t *r = arg;
    if (!answered(ex, res, 3)) {
        unlock(r);
        return;
    }
    int n = PQntuples(res);
    r->rules = wf_xcalloc((size_t)(n > 0 ? n : 1), sizeof(rule_t));
    /* An execution is past its effective retention (the shortest on any
     * prefix above it) exactly when it is past the retention of one such
     * prefix: one rule per prefix, with the shorter of its two layers. */
    for (int i = 0; i < n; i++) {
        int64_t a = layer_ms(res, i, 1), b = layer_ms(res, i, 2);
        int64_t ms = a < 0 ? b : b < 0 ? a : a < b ? a : b;
        if (ms <= 0)
            continue;
        r->rules[r->n_rules].prefix = wf_xstrdup(PQgetvalue(res, i, 0));
        r->rules[r->n_rules].ms = ms;
        r->n_rules++;
    }
    send_batch(r);
}

static void lock_cb(wf_executor_t *ex, PGresult *res, void *arg)
{
    wf_xretention_t *r = arg;
    if (!answered(ex, res, 1) || PQntuples(res) != 1) {
        pass_end(r);
        return;
    }
    if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
        pass_end(r); /* another replica of the domain is purging */
        return;
    }
    if (wf_xdbq_send(ex, wf_xdb_stmt_name(WF_XQ_RETENTION_RULES), 0, NULL, rules_cb, r) != 0)
        unlock(r);
}

static void on_timer(wf_timer_t *t)
{
    wf_xretention_t *r = t->arg;
    if (r->busy || r->ex->stopping)
        return;
    r->busy = true;
    r->n_execs = r->n_truns = r->n_logs = r->n_files = 0;
    r->started_ms = wf_clock_mono_ms();
    if (wf_xdbq_send(r->ex, wf_xdb_stmt_name(WF_XQ_RETENTION_LOCK), 0, NULL, lock_cb, r) != 0)
        pass_end(r);
}

wf_xretention_t *wf_xretention_create(wf_executor_t *ex)
{
    wf_xretention_t *r = wf_xcalloc(1, sizeof(*r));
    r->ex = ex;
    int64_t s = ex->cfg->executor.retention_interval > 0 ? ex->cfg->executor.retention_interval
                                                         : 300;
    r->interval_ms = s * 1000;
    /* The first pass a little after start, once claims are under way. */
    wf_loop_timer_arm(ex->loop, &r->timer, r->interval_ms < 5000 ? r->interval_ms : 5000,
                      on_timer, r);
    return r;
}

void wf_xretention_destroy(wf_xretention_t *r)
{
    if (r == NULL)
        return;
    wf_loop_timer_cancel(r->ex->loop, &r->timer);
    rules_clear(r);
    free(r);
}

/* ---- the purge tasks ------------------------------------------------------- */

/* The namespace a purge covers: the flow's own by default; an explicit one
 * must be the flow's or below it. Kestra lets a flow of the `system`
 * namespace purge a whole tenant; here a flow of a domain's top namespace
 * does that for its domain, and nothing reaches another domain (the
 * statements only see the domain's rows). */
static const char *purge_namespace(wf_trun_t *tr, json_t *props, char *err, size_t errlen)
{
    const char *own = tr->exec->namespace_;
    const char *ns = wf_xtasks_str_prop(props, "namespace", NULL);
    if (ns == NULL)
        return own;
    size_t n = strlen(own);
    if (!wf_namespace_valid(ns)) {
        snprintf(err, errlen, "namespace: '%.100s' is not a namespace", ns);
        return NULL;
    }
    if (strcmp(ns, own) != 0 && !(strncmp(ns, own, n) == 0 && ns[n] == '.')) {
        snprintf(err, errlen,
                 "namespace: a flow of %.100s may purge only %.100s and the namespaces below "
                 "it, not %.100s",
                 own, own, ns);
        return NULL;
    }
    return ns;
}

/* A list of states or levels as a PostgreSQL array literal ("{A,B}"), NULL
 * when the property is absent. Only upper-case names pass, so the literal
 * needs no quoting. */
static int name_list(json_t *props, const char *name, char **out, char *err, size_t errlen)
{
    json_t *v = json_object_get(props, name);
    *out = NULL;
    if (v == NULL || json_is_null(v))
        return 0;
    if (json_is_string(v))
        v = json_pack("[O]", v);
    else if (json_is_array(v))
        json_incref(v);
    else {
        snprintf(err, errlen, "%s: a list of names", name);
        return -1;
    }
    size_t cap = 3, i;
    json_t *e;
    json_array_foreach(v, i, e) cap += json_is_string(e) ? json_string_length(e) + 1 : 0;
    char *s = wf_xmalloc(cap), *o = s;
    *o++ = '{';
    json_array_foreach(v, i, e)
    {
        const char *t = json_string_value(e);
        bool ok = t != NULL && *t != '\0' && strlen(t) <= 32;
        for (const char *c = t; ok && *c; c++)
            ok = (*c >= 'A' && *c <= 'Z') || *c == '_';
        if (!ok) {
            snprintf(err, errlen, "%s: '%.40s' is not a name in capitals", name, t ? t : "?");
            free(s);
            json_decref(v);
            return -1;
        }
        if (i > 0)
            *o++ = ',';
        o += sprintf(o, "%s", t);
    }
    *o++ = '}';
    *o = '\0';
    json_decref(v);
    *out = s;
    return 0;
}

/* startDate (optional) and endDate (required) as PostgreSQL reads them. */
static int purge_dates(wf_executor_t *ex, json_t *props, const char **start, const char **end,
                       char *err, size_t errlen)
{
    *start = wf_xtasks_str_prop(props, "startDate", NULL);
    *end = wf_xtasks_str_prop(props, "endDate", NULL);
    if (*end == NULL) {
        snprintf(err, errlen, "endDate is required: the date before which data is purged");
        return -1;
    }
    const char *p[] = {*start, *end};
    PGresult *r = wf_xdb_run(ex, WF_XQ_PURGE_DATES, 2, p);
    int rc = PQresultStatus(r) == PGRES_TUPLES_OK ? 0 : -1;
    PQclear(r);
    if (rc != 0)
        snprintf(err, errlen, "startDate or endDate is not an ISO-8601 date: '%.60s', '%.60s'",
                 *start ? *start : "", *end);
    return rc;
}

static int batch_size(json_t *props, char *out, size_t outlen, char *err, size_t errlen)
{
    json_t *v = json_object_get(props, "batchSize");
    long long n = 100; /* Kestra's default */
    if (json_is_integer(v))
        n = json_integer_value(v);
    else if (json_is_string(v))
        n = strtoll(json_string_value(v), NULL, 10);
    else if (v != NULL && !json_is_null(v))
        n = 0;
    if (n < 1 || n > 10000) {
        snprintf(err, errlen, "batchSize must be between 1 and 10000");
        return -1;
    }
    snprintf(out, outlen, "%lld", n);
    return 0;
}

/* Every batch is one statement and its own short transaction: a purge of
 * many executions never holds their locks for long, whatever its size. */
int wf_xretention_purge_executions(wf_executor_t *ex, wf_trun_t *tr, json_t *props)
{
    char err[400], lim[16];
    const char *ns = purge_namespace(tr, props, err, sizeof(err));
    const char *start, *end;
    char *states = NULL;
    if (ns == NULL || batch_size(props, lim, sizeof(lim), err, sizeof(err)) != 0 ||
        name_list(props, "states", &states, err, sizeof(err)) != 0 ||
        purge_dates(ex, props, &start, &end, err, sizeof(err)) != 0)
        return wf_xtasks_fail(ex, tr, err);
    const char *logs = wf_xtasks_bool_prop(props, "purgeLog", true) ? "true" : "false";
    const char *files = wf_xtasks_bool_prop(props, "purgeStorage", true) ? "true" : "false";
    const char *execs = wf_xtasks_bool_prop(props, "purgeExecution", true) ? "true" : "false";
    long long n_execs = 0, n_logs = 0, n_files = 0;
    char *after = wf_xstrdup("");
    int rc = 0;
    for (;;) {
        const char *p[] = {ns,     wf_xtasks_str_prop(props, "flowId", NULL),
                           start,  end,
                           states, after,
                           lim,    logs,
                           files,  execs};
        PGresult *r = wf_xdb_run(ex, WF_XQ_PURGE_EXECUTIONS, 10, p);
        if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
            wf_warn("PurgeExecutions: %s", PQresultErrorMessage(r));
            PQclear(r);
            rc = -1;
            break;
        }
        long long seen = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        n_execs += strtoll(PQgetvalue(r, 0, 2), NULL, 10);
        n_logs += strtoll(PQgetvalue(r, 0, 3), NULL, 10);
        n_files += strtoll(PQgetvalue(r, 0, 4), NULL, 10);
        if (seen > 0) {
            free(after);
            after = wf_xstrdup(PQgetvalue(r, 0, 1));
        }
        PQclear(r);
        if (seen < strtoll(lim, NULL, 10))
            break;
    }
    free(after);
    free(states);
    if (rc != 0)
        return wf_xtasks_fail(ex, tr, "cannot purge executions");
    if (n_execs > 0 || n_logs > 0 || n_files > 0)
        wf_xdb_audit(ex, "execution.purge", ns, NULL, "allowed", NULL,
                     json_pack("{s:s, s:I, s:I, s:I}", "execution", tr->exec->id, "executions",
                               (json_int_t)n_execs, "logs", (json_int_t)n_logs, "files",
                               (json_int_t)n_files));
    return wf_xtasks_finish(ex, tr, WF_ST_SUCCESS,
                            json_pack("{s:I, s:I, s:I, s:I}", "executionsCount",
                                      (json_int_t)n_execs, "logsCount", (json_int_t)n_logs,
                                      "metricsCount", (json_int_t)0, "storagesCount",
                                      (json_int_t)n_files),
                            NULL);
}

int wf_xretention_purge_logs(wf_executor_t *ex, wf_trun_t *tr, json_t *props)
{
    char err[400];
    const char *ns = purge_namespace(tr, props, err, sizeof(err));
    const char *start, *end;
    char *levels = NULL;
    if (ns == NULL || name_list(props, "logLevels", &levels, err, sizeof(err)) != 0 ||
        purge_dates(ex, props, &start, &end, err, sizeof(err)) != 0) {
        free(levels);
        return wf_xtasks_fail(ex, tr, err);
    }
    char lim[16];
    snprintf(lim, sizeof(lim), "%d", WF_XRETENTION_BATCH);
    long long total = 0;
    int rc = 0;
    for (;;) {
        const char *p[] = {ns,
                           wf_xtasks_str_prop(props, "flowId", NULL),
                           wf_xtasks_str_prop(props, "executionId", NULL),
                           levels,
                           start,
                           end,
                           lim};
        PGresult *r = wf_xdb_run(ex, WF_XQ_PURGE_LOGS, 7, p);
        if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
            wf_warn("PurgeLogs: %s", PQresultErrorMessage(r));
            PQclear(r);
            rc = -1;
            break;
        }
        long long n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
        total += n;
        if (n < WF_XRETENTION_BATCH)
            break;
    }
    free(levels);
    if (rc != 0)
        return wf_xtasks_fail(ex, tr, "cannot purge logs");
    if (total > 0)
        wf_xdb_audit(ex, "log.purge", ns, NULL, "allowed", NULL,
                     json_pack("{s:s, s:I}", "execution", tr->exec->id, "logs",
                               (json_int_t)total));
    return wf_xtasks_finish(ex, tr, WF_ST_SUCCESS, json_pack("{s:I}", "count", (json_int_t)total),
                            NULL);
}
