/* The per-domain executor: the shared internal model of its modules.
 *
 * Contents
 *   1. States                 wf_state_t and its names
 *   2. In-memory execution    wf_xexec_t holds the execution row, its parsed
 *                             flow and its task runs (wf_trun_t)
 *   3. The executor           wf_executor_t: loop, database, slots, executions
 *   4. Module entry points    db (db.c), execution model (exec.c),
 *                             walker (walk.c), runners (tasks.c), logs (logs.c),
 *                             processes (proc.c), schedules (sched.c)
 *
 * Ownership: an executor replica claims an execution (claimed_by + lease) and
 * orchestrates it alone until it ends or the lease lapses. Everything needed
 * to resume lives in PostgreSQL (executions and task_runs rows), so another
 * replica that claims an orphaned execution rebuilds this model from rows. */
#ifndef WF_EXECUTOR_H
#define WF_EXECUTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "platform/clock.h"
#include "platform/config.h"
#include "platform/dbspace.h"
#include "executor/loop.h"
#include "flow/flow.h"
#include "flow/types.h"
#include "sandbox/sbx.h"
#include "tenants/seal.h"

/* ---- 1. States (Kestra's names) ----------------------------------------- */

typedef enum {
    WF_ST_CREATED = 0,
    WF_ST_QUEUED,
    WF_ST_RUNNING,
    WF_ST_PAUSED,
    WF_ST_SUCCESS,
    WF_ST_WARNING,
    WF_ST_FAILED,
    WF_ST_KILLING,
    WF_ST_KILLED,
    WF_ST_CANCELLED,
    WF_ST_RETRYING,
    WF_ST_SKIPPED,
    WF_ST__COUNT
} wf_state_t;

/* state.c */
const char *wf_xstate_name(wf_state_t s);
/* Returns the state, or -1 for an unknown name. */
int wf_xstate_parse(const char *name);
/* SUCCESS, WARNING, FAILED, KILLED, CANCELLED, SKIPPED. */
bool wf_xstate_terminal(wf_state_t s);
/* The worse of two terminal states (FAILED > KILLED > WARNING > SUCCESS). */
wf_state_t wf_xstate_worst(wf_state_t a, wf_state_t b);

/* ---- 2. In-memory execution ---------------------------------------------- */

typedef struct wf_xexec wf_xexec_t;
typedef struct wf_xproc wf_xproc_t;
typedef struct wf_executor wf_executor_t;
/* What the walker does to the world (walk.h). */
typedef struct wf_xwalk_fx wf_xwalk_fx_t;

/* One task run: a task of the flow, under a parent task run (flowables), for
 * one iteration value (ForEach). Mirrors a task_runs row. */
typedef struct wf_trun {
    char id[32];
    const wf_task_t *task;
    struct wf_trun *parent; /* NULL for top-level tasks and flow errors/finally */
    char *value;            /* iteration value (ForEach) or NULL */
    int iteration;          /* -1 when none */
    wf_state_t state;
    int attempts_count;    /* attempts started */
    json_t *attempts;      /* [{state, startDate, endDate}] */
    json_t *outputs;       /* object or NULL */
    int64_t first_start_ms; /* wall clock, for retry maxDuration */
    int64_t retry_at_ms;    /* wall clock of the next attempt when RETRYING */
    int64_t resume_at_ms;   /* wall clock: Pause/Sleep end, 0 = none */
    int64_t next_iter_ms;   /* WaitFor: wall clock of the next iteration */
    int branch;             /* If: 1 then, 0 else, -1 undecided; Switch: case index, -2 default */
    char *workdir;          /* WorkingDirectory: shared directory of its children */
    wf_xproc_t *proc;       /* running process of the current attempt */
    wf_timer_t timer;       /* retry, sleep, pause, timeout */
    wf_xexec_t *exec;
    uint64_t log_lines; /* lines logged, for the per-task-run cap */
    bool log_space_cut; /* its output was cut for the database volume (marked once) */
    bool dirty;         /* to be written */
} wf_trun_t;

struct wf_xexec {
    wf_executor_t *ex; /* the replica orchestrating it */
    char *id, *namespace_, *flow_id;
    int flow_revision;
    wf_flow_t *flow;
    wf_state_t state;
    json_t *history;   /* [{state, date}] */
    json_t *inputs;    /* object, SECRET values sealed as stored */
    json_t *inputs_open; /* the same with SECRET values opened, built at the first
                            render (wiped on free), or NULL */
    json_t *labels;    /* object */
    json_t *outputs;   /* flow outputs, NULL until rendered */
    json_t *trigger;   /* object or NULL */
    json_t *variables; /* flow variables (rendered lazily) */
    char *parent_id;   /* Subflow parent execution */
    char *original_id;
    char *started_at;  /* ISO-8601 */
    int chain_depth;   /* generations of subflows / Flow triggers above it (0: a root) */
    wf_trun_t **truns;
    size_t n_truns, cap_truns;
    uint64_t log_lines; /* lines logged by this replica, for the per-execution cap */
    bool dirty;       /* execution row to be written */
    bool walking;     /* re-entrancy guard */
    bool rewalk;      /* state changed during a walk: walk again */
    bool dropped;     /* lease lost: stop touching rows */
    char **secrets;   /* values secret() returned, wiped on free */
    size_t *secret_lens, n_secrets;
    struct wf_redact *redact; /* masks those values in log lines */
    struct wf_trun *rendering; /* task run whose context was built last:
                                  secret() lookups are made for it */
    struct wf_xscache *scache; /* names looked up for the attempt being rendered */
    wf_xexec_t *next; /* executor's list */
};

/* ---- 3. The executor ----------------------------------------------------- */

struct wf_executor {
    wf_loop_t *loop;
    const wf_config_t *cfg;
    char domain[64];
    char id[64]; /* executor instance id */
    char role[64];
    PGconn *db;
    struct wf_xdbq *dbq; /* statements sent without waiting (dbq.c) */
    wf_io_t db_io;
    wf_io_t sig_io;
    int sigfd;
    wf_timer_t heartbeat_timer, poll_timer, sched_timer, log_timer;
    wf_timer_t drain_timer; /* the end of a graceful stop's grace period */
    struct wf_xretention *retention; /* old executions' deletion (retention.c) */
    int64_t lease_ms;
    int64_t renewed_ms; /* monotonic: when the last successful lease renewal was sent */
    int slots, busy;
    size_t max_execs; /* executions orchestrated at once; more wait in the
                         database for whichever replica has room */
    bool stopping;
    bool draining; /* SIGTERM: no new claims or attempts; running ones may end */
    bool signalled;     /* SIGTERM/SIGINT arrived: the stop is meant */
    bool db_lost;       /* the database connection broke: start over (executor.c) */
    bool claim_pending; /* an execution ended while others may wait: claim again */
    bool backlog;       /* the last claim filled its room: more may be waiting */
    bool walking_all;   /* a pass over every execution is under way */
    bool rewalk_all;    /* ... and another was asked for from inside it */
    wf_xexec_t *execs;
    size_t n_execs;
    wf_seal_keypair_t kp; /* the domain's key: opens its sealed secrets */
    bool have_key;
    wf_sbx_ctx_t *sbx; /* sandbox context: filter and namespaces built once */
    char *work_root;   /* shared WorkingDirectory dirs live below */
    struct wf_xlogs *logs;
    struct wf_expr_rt *rt; /* expression runtime, reused by every render */
    int64_t log_line_max;  /* bytes per log line before truncation */
    int64_t log_lines_max; /* lines per task run before dropping */
    int64_t log_lines_exec_max; /* lines per execution before dropping */
    wf_dbspace_t space;    /* database volume's high-water mark (refreshed with
                              the heartbeat) */
    struct wf_xsched *sched;
    struct wf_xmesh *mesh; /* event-driven Flow triggers (mesh.c) */
    struct wf_xpolicy *policies; /* namespace policies read lately (policy.c) */
    struct wf_xhttp *http; /* transfers of http.Request tasks (http.c) */
    struct wf_xflowcache *flows; /* parsed flows shared by executions (flowcache.c) */
    const wf_xwalk_fx_t *fx; /* the walker's effects; NULL: the executor's own */
    /* Counters printed at exit and used by tests. */
    uint64_t n_task_attempts, n_execs_done;
};

/* ---- 4. Module entry points ---------------------------------------------- */

/* dbq.c: statements sent without waiting on the non-blocking
 * connection, answered in order through callbacks from the loop. */
/* `r` is the statement's first result (NULL when it could not be sent or the
 * connection was lost); the callback must not keep it. */
typedef void (*wf_xdbq_cb)(wf_executor_t *ex, PGresult *r, void *arg);
/* Puts the connection in non-blocking mode and sets up the queue. */
int wf_xdbq_init(wf_executor_t *ex);
/* Waits for what is queued (when the connection is up), then frees the queue. */
void wf_xdbq_dispose(wf_executor_t *ex);
/* Queues the prepared statement `stmt` (parameters copied); `cb` runs once
 * with its result. Returns 0, or -1 (out of memory: `cb` will not run). */
int wf_xdbq_send(wf_executor_t *ex, const char *stmt, int n, const char *const *params,
                 wf_xdbq_cb cb, void *arg);
/* Blocks until every queued statement has been answered and its callback
 * has run: the connection is then free for a statement that waits. */
void wf_xdbq_wait(wf_executor_t *ex);
/* The socket is ready (`events` from epoll, 0 to just look at what libpq
 * has read): sends what is pending, runs the callbacks of answers that
 * arrived. Returns 1 when a notification came, 0, or -1 when the connection
 * is lost. */
int wf_xdbq_on_ready(wf_executor_t *ex, uint32_t events);
/* True when a waiting statement ran since the loop last looked: libpq may
 * have read notifications the socket will not announce again. */
bool wf_xdbq_buffered(wf_executor_t *ex);

/* db.c: every statement the executor runs (prepared, parameterised). The
 * SQL lives in db.c's table, one row per statement; other modules run the
 * shared statements below by id. */
typedef enum {
    WF_XQ_BEGIN,            /* transaction control */
    WF_XQ_COMMIT,
    WF_XQ_ROLLBACK,
    WF_XQ_DOMAIN_FLOWS,     /* flowcache.c */
    WF_XQ_LISTEN_EVENTS,    /* mesh.c */
    WF_XQ_NAMESPACES,
    WF_XQ_EVENT_CURSOR,
    WF_XQ_GRANT_COVERS,
    WF_XQ_ANY_GRANT_FROM,
    WF_XQ_TRIGGER_FAILED,
    WF_XQ_WINDOW_EVENTS,
    WF_XQ_TRIGGER_LOCK,
    WF_XQ_HORIZON,
    WF_XQ_EVENTS_AFTER,
    WF_XQ_TRIGGER_ADVANCE,
    WF_XQ_SUBFLOW_GRANTED,  /* mesh_subflow.c */
    WF_XQ_SUBFLOW_CREATE,
    WF_XQ_POLICY_ROWS,      /* policy.c */
    WF_XQ_RATE_LOCK,
    WF_XQ_WAS_STARTED,
    WF_XQ_RATE_COUNT,
    WF_XQ_MARK_STARTED,
    WF_XQ_ACTIVE_COUNT,
    WF_XQ_ERROR_LOGS,       /* render.c */
    WF_XQ_SCHED_CURSOR,     /* sched.c */
    WF_XQ_SCHED_TICK,
    WF_XQ_SECRET,           /* secrets.c */
    WF_XQ_STORE_SAME_TREE,  /* files.c */
    WF_XQ_STORE_BEGIN_READ, /* storage.c */
    WF_XQ_STORE_LOCK,
    WF_XQ_STORE_REPLACE,
    WF_XQ_STORE_INSERT,
    WF_XQ_STORE_CHUNK_PUT,
    WF_XQ_STORE_COMPLETE,
    WF_XQ_STORE_STAT,
    WF_XQ_STORE_CHUNK_GET,
    WF_XQ_STORE_DELETE,
    WF_XQ_STORE_LIST,
    WF_XQ_STORE_USED,
    WF_XQ_KV_OWNED,         /* kv.c */
    WF_XQ_KV_PUT,
    WF_XQ_KV_GET,
    WF_XQ_KV_DELETE,
    WF_XQ_KV_KEYS,
    WF_XQ_KV_PURGE,
    WF_XQ_RETENTION_LOCK,   /* retention.c */
    WF_XQ_RETENTION_RULES,
    WF_XQ_RETENTION_PURGE,
    WF_XQ_RETENTION_UNLOCK,
    WF_XQ_PURGE_DATES,      /* the PurgeExecutions and PurgeLogs tasks */
    WF_XQ_PURGE_EXECUTIONS,
    WF_XQ_PURGE_LOGS,
    /* ---- the scheduler's batched statements (flowcache.c, sched.c) ---- */
    WF_XQ_DOMAIN_FINGERPRINT,
    WF_XQ_SCHED_STATES,
    WF_XQ_SCHED_FIRE,
    WF_XQ_SCHED_NOTIFY,
    WF_XQ__SHARED /* db.c's own statements follow */
} wf_xq_t;
/* Events read per round trip of a mesh trigger (WF_XQ_EVENTS_AFTER). */
#define WF_XDB_EVENTS_BATCH 200

int wf_xdb_open(wf_executor_t *ex, const char *url, char *err, size_t errlen);
void wf_xdb_close(wf_executor_t *ex);
int wf_xdb_register(wf_executor_t *ex);
int wf_xdb_heartbeat(wf_executor_t *ex);
/* Before a statement that blocks the loop longer than a lease (a large
 * file in the internal storage): heartbeat and leases renewed for `ms`
 * (no-op when `ms` is within the usual lease), so that no other replica
 * takes the executions over while this one is busy. 0 or -1. */
int wf_xdb_extend_leases(wf_executor_t *ex, int64_t ms);
void wf_xdb_unregister(wf_executor_t *ex);
/* Claims up to `max` claimable executions of the domain and adds them to
 * ex->execs. Returns how many, or -1. */
int wf_xdb_claim(wf_executor_t *ex, int max);
/* Writes the dirty task runs and execution row in one transaction, only while
 * this replica still holds the claim. A terminal state is written before
 * this returns (0, 1 when the claim was lost, -1); any other change is sent
 * without waiting (0; a failure marks the rows dirty again for the next
 * walk, a lost claim drops the execution). */
int wf_xdb_save(wf_executor_t *ex, wf_xexec_t *x);
/* Re-reads row states changed from outside (kill, resume, subflows). */
int wf_xdb_sync(wf_executor_t *ex);
/* Sends a batch of log lines (JSON array of {e,t,a,ts,l,m}) without waiting. */
int wf_xdb_insert_logs(wf_executor_t *ex, const char *json);
/* Flow source at a revision (malloc'd) or NULL. */
char *wf_xdb_flow_source(wf_executor_t *ex, const char *ns, const char *id, int revision);
/* Creates an execution row (subflows, triggers) at `chain_depth` and wakes
 * the domain. `id_out` gets the new id. */
int wf_xdb_create_execution(wf_executor_t *ex, const char *ns, const char *flow_id,
                            json_t *inputs, json_t *labels, json_t *trigger,
                            const char *parent_id, const char *started_by, int chain_depth,
                            char *id_out, size_t id_len);
/* Reads a child execution's state and outputs; returns the state or -1. */
int wf_xdb_execution_state(wf_executor_t *ex, const char *id, json_t **outputs);
/* Runs statement `q` with text parameters and waits for its answer (what
 * was queued is answered first, so the order holds). The caller clears the
 * result; an error is the caller's to report. */
PGresult *wf_xdb_run(wf_executor_t *ex, wf_xq_t q, int n, const char *const *params);
/* The prepared name of statement `q`, for wf_xdbq_send. */
const char *wf_xdb_stmt_name(wf_xq_t q);
/* The same with parameter lengths and formats (1: binary) and the result's
 * format, for byte contents. */
PGresult *wf_xdb_run_binary(wf_executor_t *ex, wf_xq_t q, int n, const char *const *params,
                            const int *lens, const int *formats, int result_format);
/* Appends an audit entry with this domain's executor as the actor;
 * `details` (may be NULL) is stolen. Waits; a failure is logged. */
void wf_xdb_audit(wf_executor_t *ex, const char *action, const char *ns, const char *target,
                  const char *result, const char *reason, json_t *details);
/* Runs `q`, an INSERT of a new execution, with the parameters every such
 * statement takes: id, namespace, flow id, inputs, labels and trigger (JSON;
 * NULL inputs and labels are {}), started_by, parent id, chain depth. Waits;
 * the caller clears the result. */
PGresult *wf_xdb_run_create(wf_executor_t *ex, wf_xq_t q, const char *id, const char *ns,
                            const char *flow_id, json_t *inputs, json_t *labels,
                            json_t *trigger, const char *started_by, const char *parent_id,
                            int chain_depth);
/* Concurrency check for a CREATED/QUEUED execution: returns 1 may start,
 * 0 must wait, -1 error; under an advisory lock on the flow. */
int wf_xdb_concurrency_slot(wf_executor_t *ex, wf_xexec_t *x, int64_t limit);

/* flowcache.c: parsed flows by (namespace, id, revision). */
/* The flow at that revision, read and parsed on first use; each call counts
 * one more user until wf_xflowcache_put. NULL when it is gone or invalid. */
wf_flow_t *wf_xflowcache_get(wf_executor_t *ex, const char *ns, const char *id, int revision);
/* One user fewer (NULL is ignored). */
void wf_xflowcache_put(wf_executor_t *ex, const wf_flow_t *flow);
/* Frees every cached flow (at exit, when no execution is left). */
void wf_xflowcache_dispose(wf_executor_t *ex);
/* One of the domain's current flows: `serial` is new for every parsed copy
 * (never reused), so a trigger table can tell an unchanged flow by it. */
typedef struct wf_xdomain_flow {
    wf_flow_t *flow;
    uint64_t serial;
    int revision;
} wf_xdomain_flow_t;
/* The domain's enabled flows, parsed (those that do not parse are left out),
 * ordered by (namespace, id); `gen` moves whenever the set changes. */
typedef struct wf_xdomain_flows {
    wf_xdomain_flow_t *flows;
    size_t n;
    uint64_t gen;
} wf_xdomain_flows_t;
/* The domain's current flows, owned by the cache: checked for changes (one
 * single-row query) when the last check is older than `max_age_ms`, re-read
 * and re-parsed only for changed revisions. A refresh frees replaced flows:
 * callers compare `gen` before using pointers they kept, and pin the set
 * while they walk it. NULL until it could be read once. Waits (callers say
 * why). */
const wf_xdomain_flows_t *wf_xflowcache_domain(wf_executor_t *ex, int64_t max_age_ms);
/* +1 / -1: while pinned, wf_xflowcache_domain does not refresh the set. */
void wf_xflowcache_domain_pin(wf_executor_t *ex, int delta);

/* walk.c: the state machine. */
/* Advances the execution as far as it can without waiting; saves changes.
 * An execution that ended or was dropped is handed to the effects' `end`
 * (the executor unlinks and frees it). */
void wf_xwalk(wf_executor_t *ex, wf_xexec_t *x);
/* Walks the first `max` executions of the list (SIZE_MAX: every one; newly
 * claimed ones are at the head). `while_slots_free`: stops once every
 * sandbox slot is taken. */
void wf_xwalk_all(wf_executor_t *ex, size_t max, bool while_slots_free);
/* A leaf attempt finished (runner or process): records it and walks on. */
void wf_xwalk_attempt_done(wf_executor_t *ex, wf_trun_t *tr, wf_state_t st, json_t *outputs,
                           const char *error);
/* exec.c: the in-memory execution. x->ex must be set. */
/* Moves the execution to `st`, appending to its state history. */
void wf_xexec_set_state(wf_xexec_t *x, wf_state_t st);
/* Frees an execution and everything it owns (kills its processes). */
void wf_xexec_free(wf_executor_t *ex, wf_xexec_t *x);
/* Adds a new task run to the execution. */
wf_trun_t *wf_xexec_add_trun(wf_xexec_t *x, const wf_task_t *task, wf_trun_t *parent,
                             const char *value, int iteration);
/* The expression context of a task run (new reference). */
json_t *wf_xexec_context(wf_executor_t *ex, wf_xexec_t *x, wf_trun_t *tr);
/* render.c */
/* Renders `tmpl` against `ctx`; returns malloc'd text or NULL with `err`. */
char *wf_xrender(wf_executor_t *ex, wf_xexec_t *x, const char *tmpl, json_t *ctx, char *err,
                 size_t errlen);
/* Renders every string inside `v` (objects and arrays deep). New reference or NULL.
 * Text printed from a secret (transformed or not) is masked from then on. */
json_t *wf_xrender_json(wf_executor_t *ex, wf_xexec_t *x, json_t *v, json_t *ctx, char *err,
                        size_t errlen);
/* The same; `secrets` receives the names of the secrets the result derives
 * from, ", "-separated ("" when none). */
json_t *wf_xrender_json_taint(wf_executor_t *ex, wf_xexec_t *x, json_t *v, json_t *ctx,
                              char *secrets, size_t secrets_len, char *err, size_t errlen);
/* The same for values that leave the domain's protection (flow outputs,
 * labels, subflow and flow-trigger inputs): NULL with `err` naming `what`
 * and the secrets (never a value) when the result derives from one. */
json_t *wf_xrender_json_clean(wf_executor_t *ex, wf_xexec_t *x, json_t *v, json_t *ctx,
                              const char *what, char *err, size_t errlen);
/* tasks.c: runners, one row per task kind. */
typedef enum {
    WF_RUN_DONE,    /* finished synchronously: state/outputs given to attempt_done */
    WF_RUN_STARTED, /* a process or timer will call attempt_done later */
} wf_run_result_t;
/* Starts one attempt of a leaf task. Returns -1 when the kind has no runner. */
int wf_xtasks_start(wf_executor_t *ex, wf_trun_t *tr);
/* True when the kind runs children (the walker handles it). */
bool wf_xtasks_flowable(const wf_task_t *task);
/* True when the task kind occupies a slot (processes). */
bool wf_xtasks_uses_slot(const wf_task_t *task);
/* Stops a running attempt (kill): the process is killed; attempt_done follows. */
void wf_xtasks_stop(wf_executor_t *ex, wf_trun_t *tr);
/* The host path of the shared folder of the WorkingDirectory `tr` runs in
 * (made on first use, with the WorkingDirectory's namespaceFiles), or NULL
 * with `err` outside one or when the folder cannot be made. */
const char *wf_xtasks_working_dir(wf_executor_t *ex, wf_trun_t *tr, char *err, size_t errlen);
/* Ends an in-executor task's attempt in state `st` with `outputs` (taken)
 * or `error`; returns WF_RUN_DONE, what a runner returns then. */
int wf_xtasks_finish(wf_executor_t *ex, wf_trun_t *tr, wf_state_t st, json_t *outputs,
                     const char *error);
/* The same, FAILED with `error`. */
int wf_xtasks_fail(wf_executor_t *ex, wf_trun_t *tr, const char *error);
/* A rendered task property: a non-empty string, or `dflt`. */
const char *wf_xtasks_str_prop(json_t *props, const char *name, const char *dflt);
/* A rendered boolean property: true/false or their text (an expression's
 * result), or `dflt` when absent or anything else. */
bool wf_xtasks_bool_prop(json_t *props, const char *name, bool dflt);

/* logs.c: batched log lines. */
struct wf_xlogs *wf_xlogs_create(wf_executor_t *ex);
void wf_xlogs_destroy(struct wf_xlogs *l);
/* Queues one line (truncated past the configured limit). */
void wf_xlog(wf_executor_t *ex, wf_xexec_t *x, wf_trun_t *tr, const char *level,
             const char *line, size_t len);
/* Writes what is queued. */
void wf_xlogs_flush(wf_executor_t *ex);

/* secrets.c: secret() and redaction. */
/* Loads (or creates) the domain's key; 0 also when secrets stay unavailable. */
int wf_xsecrets_init(wf_executor_t *ex, const wf_config_t *cfg);
void wf_xsecrets_dispose(wf_executor_t *ex);
/* The expression engine's secret() callback; `ud` is the execution. */
char *wf_xsecrets_lookup(void *ud, const char *name);
/* Adds a value derived from a secret (the text a render printed from it) to
 * the values redacted from the execution's log lines and outputs. */
void wf_xsecrets_remember(wf_xexec_t *x, const char *value, size_t len);
/* Redacted copy of a log line (malloc'd), or NULL when nothing to redact. */
char *wf_xsecrets_redact(wf_xexec_t *x, const char *s, size_t len, size_t *out_len);
void wf_xsecrets_free(wf_xexec_t *x);
/* Masks every secret value this execution has seen in the strings of `v`. */
void wf_xsecrets_redact_json(wf_xexec_t *x, json_t *v);
/* The execution's inputs as tasks see them: SECRET values sealed by the
 * gateway are opened with the domain's key (and redacted from then on). A
 * value that does not open is null and logged. Borrowed reference. */
json_t *wf_xsecrets_inputs_open(wf_xexec_t *x);
/* True when a string of `v` holds a secret value this execution has seen. */
bool wf_xsecrets_in_json(wf_xexec_t *x, json_t *v);

/* policy.c: namespace policies at run time (tenants/policy.h). */
struct wf_policy;
/* The policy of `ns`, re-read at most once a second (the executor owns it:
 * use it before the next call, or take a reference with wf_policy_ref).
 * NULL when it cannot be read and was never read: callers then wait or refuse. */
struct wf_policy *wf_xpolicy_of(wf_executor_t *ex, const char *ns);
void wf_xpolicy_dispose(wf_executor_t *ex);
/* Admission of a CREATED/QUEUED execution: 1 may start, 0 must wait QUEUED
 * (maxExecutionsPerMinute), -1 refused (a task type the policy forbids;
 * logged), -2 policy or database unavailable (try again later). */
int wf_xpolicy_admit(wf_executor_t *ex, wf_xexec_t *x);
/* May an execution at `chain_depth` be created in namespace `ns` (subflows,
 * Flow triggers)? Checks maxChainDepth and, when `count_active` (`ns` is in
 * this domain), maxActiveExecutions of the domain. 0: yes; -1: no, with the
 * reason (naming the limit and where it is set) in `why`. An unreadable
 * policy refuses. */
int wf_xpolicy_may_create(wf_executor_t *ex, const char *ns, int chain_depth, bool count_active,
                          char *why, size_t why_len);
/* True when a sandboxed task run of `x` may start now (maxConcurrentTaskRuns). */
bool wf_xpolicy_task_slot(wf_executor_t *ex, wf_xexec_t *x);
/* Caps the sandbox of `tr` at the policy's memory, CPU, pids and duration
 * (min of the task's and the policy's). Returns 0, or -1 with `err`. */
int wf_xpolicy_sandbox(wf_executor_t *ex, wf_trun_t *tr, wf_sbx_spec_t *spec, char *err,
                       size_t errlen);

/* sched.c: Schedule and Flow triggers of the domain. */
struct wf_xsched *wf_xsched_create(wf_executor_t *ex);
void wf_xsched_destroy(struct wf_xsched *s);
/* Fires due schedules (exactly once per tick across replicas). */
void wf_xsched_tick(wf_executor_t *ex);
/* An execution ended: start the flows whose Flow trigger matches. */
void wf_xsched_on_end(wf_executor_t *ex, wf_xexec_t *x);

/* `weftd executor --domain NAME`: runs one replica until SIGTERM/SIGINT. */
int wf_executor_main(int argc, char **argv);

/* Fills the sandbox options from weft.yaml's `sandbox:` section. */
void wf_executor_sandbox_opts(wf_sbx_ctx_opts_t *o, const wf_config_t *cfg);

#endif
