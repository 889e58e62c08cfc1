/* Namespace policies at run time (tenants/policy.h): the executor re-reads
 * the policy of a namespace at most once a second, so a change applies to
 * new executions and task runs without a restart.
 *
 *   admission      allowedTaskTypes re-checked (a flow applied before the
 *                  policy was tightened fails with the reason in its logs);
 *                  maxExecutionsPerMinute: beyond the quota an execution
 *                  waits QUEUED (nothing is refused or lost) and starts when
 *                  the sliding minute has room;
 *   creation       maxChainDepth: a subflow child or a Flow trigger's
 *                  execution deeper than the limit is refused (the parent
 *                  task fails, or the triggered execution is FAILED, naming
 *                  the limit); maxActiveExecutions: so is one that would
 *                  take the domain's unfinished executions past the limit;
 *   task runs      maxConcurrentTaskRuns: a sandboxed task run waits
 *                  (CREATED) while as many run under the prefix;
 *   sandbox        memory, CPU quota, pids, wall clock and disk budget capped
 *                  at min(task, sandbox or executor default, policy).
 *
 * Quotas count what this executor's database role can see: the rows of its
 * own domain (row-level security). A quota set on a prefix shared by several
 * domains (the root, say) therefore applies to each domain separately, which
 * is also what keeps one domain's flood from using another's quota. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "executor/executor.h"
#include "platform/log.h"
#include "platform/xmalloc.h"
#include "tenants/policy.h"

#define POLICY_TTL_MS 1000    /* a policy change applies within this delay */
#define POLICY_FORGET_MS 60000 /* unused cache entries are dropped after this */

typedef struct pol_entry {
    char *ns;
    wf_policy_t *policy;
    int64_t loaded_ms, used_ms;
} pol_entry_t;

/* A prefix whose per-minute quota is used up, and until when (no need to ask
 * the database again before then). */
typedef struct rate_block {
    char *prefix;
    int64_t limit; /* the quota it was measured against: a new one is asked again */
    int64_t until_ms;
} rate_block_t;

struct wf_xpolicy {
    pol_entry_t *entries;
    size_t n, cap;
    rate_block_t *blocks;
    size_t n_blocks;
};

void wf_xpolicy_dispose(wf_executor_t *ex)
{
    struct wf_xpolicy *c = ex->policies;
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->entries[i].ns);
        wf_policy_destroy(c->entries[i].policy);
    }
    for (size_t i = 0; i < c->n_blocks; i++)
        free(c->blocks[i].prefix);
    free(c->entries);
    free(c->blocks);
    free(c);
    ex->policies = NULL;
}

static int64_t now_ms(void)
{
    return wf_clock_wall_ms();
}

/* Reads the rows of `ns`'s prefixes. NULL on a database error. Waits, at
 * most once a second per namespace: admission and the sandbox caps are
 * decided on the policy read. */
static wf_policy_t *load(wf_executor_t *ex, const char *ns)
{
    const char *p[] = {ns};
    PGresult *r = wf_xdb_run(ex, WF_XQ_POLICY_ROWS, 1, p);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        wf_warn("reading the policy of %s failed: %s", ns, PQresultErrorMessage(r));
        PQclear(r);
        return NULL;
    }
    wf_policy_t *pol = wf_policy_create(ns);
    for (int i = 0; pol && i < PQntuples(r); i++) {
        for (int layer = 0; layer < 2; layer++) {
            json_t *doc = json_loads(PQgetvalue(r, i, 1 + layer), 0, NULL);
            if (doc && wf_policy_add(pol, PQgetvalue(r, i, 0), layer == 0, doc) != 0) {
                wf_policy_destroy(pol);
                pol = NULL;
            }
            json_decref(doc);
            if (pol == NULL)
                break;
        }
    }
    PQclear(r);
    return pol;
}

wf_policy_t *wf_xpolicy_of(wf_executor_t *ex, const char *ns)
{
    if (ex->policies == NULL)
        ex->policies = wf_xcalloc(1, sizeof(*ex->policies));
    struct wf_xpolicy *c = ex->policies;
    int64_t now = now_ms();
    pol_entry_t *e = NULL;
    for (size_t i = 0; i < c->n;) {
        if (strcmp(c->entries[i].ns, ns) == 0) {
            e = &c->entries[i];
            break;
        }
        /* Forget namespaces nobody asked about for a while. */
        if (now - c->entries[i].used_ms > POLICY_FORGET_MS) {
            free(c->entries[i].ns);
            wf_policy_destroy(c->entries[i].policy);
            c->entries[i] = c->entries[--c->n];
            continue;
        }
        i++;
    }
    if (e != NULL && now - e->loaded_ms < POLICY_TTL_MS) {
        e->used_ms = now;
        return e->policy;
    }
    wf_policy_t *fresh = load(ex, ns);
    if (fresh == NULL)
        return e ? e->policy : NULL; /* keep the last one read: never fail open */
    if (e == NULL) {
        if (c->n == c->cap) {
            c->cap = c->cap ? 2 * c->cap : 16;
            c->entries = wf_xreallocarray(c->entries, c->cap, sizeof(*c->entries));
        }
        e = &c->entries[c->n++];
        e->ns = wf_xstrdup(ns);
        e->policy = NULL;
    }
    wf_policy_destroy(e->policy);
    e->policy = fresh;
    e->loaded_ms = e->used_ms = now;
    return fresh;
}

/* ---- admission ------------------------------------------------------------- */

typedef struct types_check {
    const wf_policy_t *p;
    const wf_task_t *bad;
    const char *from;
} types_check_t;

static int check_type(const wf_task_t *t, void *arg)
{
    types_check_t *tc = arg;
    if (t->type && !wf_policy_task_type_allowed(tc->p, t->type->name, &tc->from)) {
        tc->bad = t;
        return 1;
    }
    return 0;
}

static rate_block_t *find_block(struct wf_xpolicy *c, const char *prefix)
{
    for (size_t i = 0; i < c->n_blocks; i++)
        if (strcmp(c->blocks[i].prefix, prefix) == 0)
            return &c->blocks[i];
    return NULL;
}

static void set_block(struct wf_xpolicy *c, const char *prefix, int64_t limit, int64_t until)
{
    rate_block_t *b = find_block(c, prefix);
    if (b == NULL) {
        c->blocks = wf_xreallocarray(c->blocks, c->n_blocks + 1, sizeof(*c->blocks));
        b = &c->blocks[c->n_blocks++];
        b->prefix = wf_xstrdup(prefix);
    }
    b->limit = limit;
    b->until_ms = until;
}

static PGresult *q(wf_executor_t *ex, wf_xq_t stmt, int n, const char *const *params)
{
    PGresult *r = wf_xdb_run(ex, stmt, n, params);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
        wf_warn("database: %s", PQresultErrorMessage(r));
    return r;
}

static bool ok(PGresult *r)
{
    ExecStatusType st = PQresultStatus(r);
    return st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
}

/* The sliding-minute quota of `prefix`. 1: the execution may start (its
 * started_at is set, so it counts); 0: used up (`*wait_ms` until the oldest
 * start leaves the window); -1: database error. Serialised per prefix with an
 * advisory lock so replicas do not both take the last place. A transaction
 * that must see its own count: every statement of it waits. */
static int rate_gate(wf_executor_t *ex, wf_xexec_t *x, const char *prefix, int64_t limit,
                     int64_t *wait_ms)
{
    PGresult *r = q(ex, WF_XQ_BEGIN, 0, NULL);
    int okb = ok(r);
    PQclear(r);
    if (!okb)
        return -1;
    int res = -1;
    const char *pl[] = {ex->domain, prefix};
    r = q(ex, WF_XQ_RATE_LOCK, 2, pl);
    okb = ok(r);
    PQclear(r);
    if (!okb)
        goto out;
    /* Admitted before (then held back by the flow's own concurrency gate):
     * it counts already. */
    const char *pi[] = {x->id};
    r = q(ex, WF_XQ_WAS_STARTED, 1, pi);
    if (ok(r) && PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't') {
        PQclear(r);
        res = 1;
        goto out;
    }
    PQclear(r);
    const char *pc[] = {ex->domain, prefix, x->id};
    r = q(ex, WF_XQ_RATE_COUNT, 3, pc);
    if (!ok(r) || PQntuples(r) != 1) {
        PQclear(r);
        goto out;
    }
    int64_t count = atoll(PQgetvalue(r, 0, 0));
    *wait_ms = atoll(PQgetvalue(r, 0, 1));
    PQclear(r);
    if (count >= limit) {
        res = 0;
        goto out;
    }
    const char *pu[] = {x->id, ex->id};
    r = q(ex, WF_XQ_MARK_STARTED, 2, pu);
    res = ok(r) ? 1 : -1;
    PQclear(r);
out:
    r = q(ex, res < 0 ? WF_XQ_ROLLBACK : WF_XQ_COMMIT, 0, NULL);
    if (!ok(r))
        res = -1;
    PQclear(r);
    return res;
}

/* Every denial is audited: the executor's only hold on the log is
 * audit_append() (migration 0004). A failure is logged, not fatal. Waits:
 * the refusal is on record before the execution fails. */
static void audit_refusal(wf_executor_t *ex, wf_xexec_t *x, const wf_task_t *t, const char *from)
{
    char target[600];
    snprintf(target, sizeof(target), "execution:%s", x->id);
    wf_xdb_audit(ex, "execution.start", x->namespace_, target, "denied", "policy",
                 json_pack("{s:s, s:s, s:s, s:s, s:s}", "flow", x->flow_id, "task", t->id,
                           "type", t->type->name, "key", "allowedTaskTypes", "from", from));
}

int wf_xpolicy_admit(wf_executor_t *ex, wf_xexec_t *x)
{
    const wf_policy_t *p = wf_xpolicy_of(ex, x->namespace_);
    if (p == NULL)
        return -2; /* unreadable: wait for the next poll rather than run unchecked */
    types_check_t tc = {.p = p};
    if (wf_flow_each_task(x->flow, check_type, &tc) != 0) {
        char msg[600];
        int n = snprintf(msg, sizeof(msg),
                         "task %s: type %s is not allowed by policy allowedTaskTypes of "
                         "namespace %s (the flow was applied before the policy changed)",
                         tc.bad->id, tc.bad->type->name, tc.from[0] ? tc.from : "\"\" (the root)");
        wf_xlog(ex, x, NULL, "ERROR", msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
        wf_warn("execution %s: %s", x->id, msg);
        audit_refusal(ex, x, tc.bad, tc.from);
        return -1;
    }
    int64_t limit;
    const char *from;
    if (!wf_policy_limit(p, WF_POL_MAX_EXECUTIONS_PER_MINUTE, &limit, &from))
        return 1;
    int64_t now = now_ms();
    rate_block_t *b = find_block(ex->policies, from);
    if (b != NULL && b->limit == limit && b->until_ms > now)
        return 0;
    int64_t wait_ms = 0;
    int r = rate_gate(ex, x, from, limit, &wait_ms);
    if (r == 0) {
        /* Looked at again when the window has room (or at the next poll). */
        set_block(ex->policies, from, limit, now + (wait_ms > 0 ? wait_ms : 200));
        if (x->state != WF_ST_QUEUED) {
            char msg[400];
            int n = snprintf(msg, sizeof(msg),
                             "queued: policy maxExecutionsPerMinute (%lld) of namespace %s "
                             "reached; starts when the minute has room",
                             (long long)limit, from[0] ? from : "\"\" (the root)");
            wf_xlog(ex, x, NULL, "INFO", msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
        }
    }
    return r < 0 ? -2 : r;
}

/* ---- creation ------------------------------------------------------------------- */

/* "on 'acme'", "on the root" or, for a built-in value, what sets it. */
static void limit_origin(const char *from, char *buf, size_t len)
{
    if (from == NULL)
        snprintf(buf, len, "built in; a policy on the root may change it");
    else if (from[0] == '\0')
        snprintf(buf, len, "on the root");
    else
        snprintf(buf, len, "on '%s'", from);
}

int wf_xpolicy_may_create(wf_executor_t *ex, const char *ns, int chain_depth, bool count_active,
                          char *why, size_t why_len)
{
    const wf_policy_t *p = wf_xpolicy_of(ex, ns);
    if (p == NULL) {
        snprintf(why, why_len, "the policy of namespace %s cannot be read: not starting an "
                 "execution there unchecked", ns);
        return -1;
    }
    int64_t limit;
    const char *from;
    char origin[300];
    if (wf_policy_bound(p, WF_POL_MAX_CHAIN_DEPTH, &limit, &from) && chain_depth > limit) {
        limit_origin(from, origin, sizeof(origin));
        snprintf(why, why_len,
                 "execution chain depth %d exceeds the limit of %lld (policy maxChainDepth %s): "
                 "flows starting each other through subflows or Flow triggers",
                 chain_depth, (long long)limit, origin);
        return -1;
    }
    if (!count_active || !wf_policy_bound(p, WF_POL_MAX_ACTIVE_EXECUTIONS, &limit, &from))
        return 0;
    char slimit[24];
    snprintf(slimit, sizeof(slimit), "%lld", (long long)limit);
    const char *pc[] = {ex->domain, from ? from : "", slimit};
    /* Waits: whether the execution is created depends on the count. */
    PGresult *r = q(ex, WF_XQ_ACTIVE_COUNT, 3, pc);
    int64_t active = ok(r) && PQntuples(r) == 1 ? atoll(PQgetvalue(r, 0, 0)) : -1;
    PQclear(r);
    if (active < 0) {
        snprintf(why, why_len, "cannot count the unfinished executions of domain %s",
                 ex->domain);
        return -1;
    }
    if (active >= limit) {
        limit_origin(from, origin, sizeof(origin));
        snprintf(why, why_len,
                 "domain %s has %lld unfinished executions%s%s%s, the limit of policy "
                 "maxActiveExecutions (%s)",
                 ex->domain, (long long)active, from && from[0] ? " under '" : "",
                 from && from[0] ? from : "", from && from[0] ? "'" : "", origin);
        return -1;
    }
    return 0;
}

/* ---- task runs ------------------------------------------------------------------ */

static bool under(const char *ns, const char *prefix)
{
    return prefix[0] == '\0' || wf_namespace_under(ns, prefix);
}

bool wf_xpolicy_task_slot(wf_executor_t *ex, wf_xexec_t *x)
{
    const wf_policy_t *p = wf_xpolicy_of(ex, x->namespace_);
    if (p == NULL)
        return false; /* unreadable: wait */
    int64_t limit;
    const char *from;
    if (!wf_policy_limit(p, WF_POL_MAX_CONCURRENT_TASK_RUNS, &limit, &from))
        return true;
    int64_t running = 0;
    for (wf_xexec_t *y = ex->execs; y; y = y->next) {
        if (!under(y->namespace_, from))
            continue;
        for (size_t i = 0; i < y->n_truns; i++)
            if (y->truns[i]->proc != NULL)
                running++;
    }
    return running < limit;
}

/* ---- the sandbox -------------------------------------------------------------------- */

typedef struct cap_row {
    wf_policy_key_t key;
    wf_sbx_limit_t limit;
    const char *what;
} cap_row_t;

/* Policy key -> sandbox limit; units match (bytes, thousandths of a core,
 * processes, milliseconds). */
static const cap_row_t caps[] = {
    {WF_POL_MAX_MEMORY, WF_SBX_LIMIT_MEMORY, "memory"},
    {WF_POL_MAX_CPU, WF_SBX_LIMIT_CPU_QUOTA, "cpu"},
    {WF_POL_MAX_PIDS, WF_SBX_LIMIT_PIDS, "pids"},
    {WF_POL_MAX_TASK_DURATION, WF_SBX_LIMIT_TIMEOUT, "timeout"},
    {WF_POL_MAX_DISK, WF_SBX_LIMIT_DISK, "disk"},
};

int wf_xpolicy_sandbox(wf_executor_t *ex, wf_trun_t *tr, wf_sbx_spec_t *spec, char *err,
                       size_t errlen)
{
    wf_xexec_t *x = tr->exec;
    const wf_policy_t *p = wf_xpolicy_of(ex, x->namespace_);
    if (p == NULL) {
        snprintf(err, errlen, "the namespace policy cannot be read: not starting the task");
        return -1;
    }
    /* The executor's disk budget first: the policy can only lower it. */
    if (wf_sbx_spec_get_limit(spec, WF_SBX_LIMIT_DISK) <= 0 &&
        wf_sbx_spec_limit(spec, WF_SBX_LIMIT_DISK, ex->cfg->executor.task_disk) != 0) {
        snprintf(err, errlen, "executor.task_disk %lld is out of the sandbox's range",
                 (long long)ex->cfg->executor.task_disk);
        return -1;
    }
    char line[600];
    size_t len = (size_t)snprintf(line, sizeof(line), "policy limits:");
    bool any = false;
    for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
        int64_t v;
        const char *from;
        if (!wf_policy_limit(p, caps[i].key, &v, &from))
            continue;
        int64_t cur = wf_sbx_spec_get_limit(spec, caps[i].limit); /* 0 = unset */
        int64_t eff = cur > 0 && cur < v ? cur : v;
        if (wf_sbx_spec_limit(spec, caps[i].limit, eff) != 0) {
            snprintf(err, errlen, "policy %s of namespace %s: %lld is out of the sandbox's range",
                     wf_policy_key_name(caps[i].key), from, (long long)v);
            return -1;
        }
        if (len < sizeof(line))
            len += (size_t)snprintf(line + len, sizeof(line) - len, " %s %lld (%s from %s)",
                                    caps[i].what, (long long)eff, wf_policy_key_name(caps[i].key),
                                    from[0] ? from : "*");
        any = true;
    }
    if (any)
        wf_xlog(ex, x, tr, "DEBUG", line, len < sizeof(line) ? len : sizeof(line) - 1);
    return 0;
}
