/* The executor's side of PostgreSQL: its role, its registration and
 * heartbeat, claiming executions, and the transactional writes of state.
 * Every statement the executor runs is a row of the table below, prepared
 * once per connection; other modules run theirs by id (wf_xq_t). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "executor/executor.h"
#include "platform/log.h"
#include "platform/store.h"
#include "platform/text.h"
#include "platform/xmalloc.h"
#include "tenants/keys.h"

/* db.c's own statements, after the shared ones of executor.h. */
enum {
    Q_REGISTER = WF_XQ__SHARED,
    Q_HEARTBEAT,
    Q_RENEW,
    Q_UNREGISTER,
    Q_CLAIM,
    Q_TRUNS,
    Q_FLOW_SOURCE,
    Q_SAVE,
    Q_INSERT_LOGS,
    Q_SYNC,
    Q_CREATE_EXEC,
    Q_NOTIFY,
    Q_EXEC_STATE,
    Q_FLOW_LOCK,
    Q_CONC_COUNT,
    Q_SET_RUNNING,
    Q_AUDIT,
    Q_NO_SYNC_COMMIT,
    Q_NO_JIT,
    Q__PREPARED, /* the rows above are prepared on the executor's connection */
    Q_WHOAMI = Q__PREPARED,
    Q_OWN_DOMAIN,
    Q_ENSURE_ROLE,
    Q__COUNT
};

typedef struct xstmt {
    const char *name;
    const char *sql;
} xstmt_t;

/* Non-terminal states an orchestrating replica keeps a lease on. */
#define LIVE_STATES "('CREATED','QUEUED','RUNNING','PAUSED','KILLING','RETRYING')"
/* An ISO-8601 UTC timestamp with milliseconds, as the gateway writes them. */
#define ISO_MS "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'"
#define STR_(x) #x
#define STR(x) STR_(x)

static const xstmt_t stmts[Q__COUNT] = {
    /* ---- transactions of several statements (mesh.c, policy.c, sched.c, db.c) ---- */
    /* Opens one. */
    [WF_XQ_BEGIN] = {"x_begin", "BEGIN"},
    /* Keeps what it did. */
    [WF_XQ_COMMIT] = {"x_commit", "COMMIT"},
    /* Undoes what it did (also after an error). */
    [WF_XQ_ROLLBACK] = {"x_rollback", "ROLLBACK"},

    /* ---- flowcache.c ---- */
    /* The domain's enabled flows with their source, for the trigger tables. */
    [WF_XQ_DOMAIN_FLOWS] = {"x_domain_flows",
                            "SELECT namespace, id, source, revision FROM flows "
                            "WHERE NOT deleted AND NOT disabled AND domain = $1"},

    /* ---- mesh.c: event-driven Flow triggers ---- */
    /* Producers announce every new event on this channel (payload: their domain). */
    [WF_XQ_LISTEN_EVENTS] = {"x_listen_events", "LISTEN weft_events"},
    /* Which domain owns which namespace prefix. */
    [WF_XQ_NAMESPACES] = {"x_namespaces", "SELECT prefix, domain FROM namespaces"},
    /* A new trigger's cursor starts at "now": no firing on older events. */
    [WF_XQ_EVENT_CURSOR] = {"x_event_cursor",
                            "INSERT INTO trigger_state (namespace, flow_id, trigger_id, domain, "
                            "event_txid, event_id) VALUES ($1, $2, $3, $4, "
                            "pg_snapshot_xmin(pg_current_snapshot()), -1) "
                            "ON CONFLICT (namespace, flow_id, trigger_id) DO UPDATE SET "
                            "event_txid = EXCLUDED.event_txid, event_id = EXCLUDED.event_id "
                            "WHERE trigger_state.event_txid IS NULL"},
    /* Whether a live grant covers a producer flow for a consumer namespace (in a state). */
    [WF_XQ_GRANT_COVERS] = {"x_grant_covers", "SELECT weft_grant_covers($1, $2, $3, $4, false)"},
    /* Whether some live grant shares a flow of namespace $1 (or below) with $2. */
    [WF_XQ_ANY_GRANT_FROM] = {"x_any_grant_from",
                              "SELECT EXISTS (SELECT 1 FROM grants g WHERE g.revoked_at IS NULL "
                              "AND (weft_ns_covers(g.namespace, $1) OR "
                              "weft_ns_covers($1, g.namespace)) "
                              "AND weft_ns_covers(g.to_namespace, $2))"},
    /* A FAILED execution of the consumer, the reason (trigger inputs) in its log. */
    [WF_XQ_TRIGGER_FAILED] = {"x_trigger_failed",
                              "WITH e AS (INSERT INTO executions (id, namespace, flow_id, "
                              "flow_revision, domain, state, state_history, inputs, labels, "
                              "trigger, started_by, started_at, ended_at, chain_depth) "
                              "SELECT $1, f.namespace, f.id, f.revision, f.domain, 'FAILED', "
                              "jsonb_build_array(jsonb_build_object('state', 'CREATED', 'date', "
                              "now()), jsonb_build_object('state', 'FAILED', 'date', now())), "
                              "'{}', '{}', $4::jsonb, $5, now(), now(), $7::int FROM flows f "
                              "WHERE f.namespace = $2 AND f.id = $3 AND NOT f.deleted "
                              "RETURNING id, namespace, domain) "
                              "INSERT INTO logs (execution_id, namespace, domain, level, line) "
                              "SELECT e.id, e.namespace, e.domain, 'ERROR', $6 "
                              "FROM e RETURNING execution_id"},
    /* The events of a precondition window (since $1, wall ms) the consumer may see. */
    [WF_XQ_WINDOW_EVENTS] = {"x_window_events",
                             "SELECT namespace, flow_id, state, labels::text FROM events "
                             "WHERE created_at >= to_timestamp($1::double precision / 1000) "
                             "AND (domain = $2 OR weft_grant_covers(namespace, flow_id, $3, "
                             "state, false)) ORDER BY id DESC LIMIT 5000"},
    /* A trigger's cursor, locked for the round; SKIP LOCKED: another replica works it. */
    [WF_XQ_TRIGGER_LOCK] = {"x_trigger_lock",
                            "SELECT event_txid::text, event_id, status, "
                            "coalesce((extract(epoch FROM last_fired) * 1000)::bigint, 0) "
                            "FROM trigger_state WHERE namespace = $1 AND flow_id = $2 "
                            "AND trigger_id = $3 AND event_txid IS NOT NULL "
                            "FOR UPDATE SKIP LOCKED"},
    /* The oldest transaction still running: every event older than it is decided. */
    [WF_XQ_HORIZON] = {"x_horizon", "SELECT pg_snapshot_xmin(pg_current_snapshot())::text"},
    /* The decided events after the cursor ($1 txid, $2 id), in commit order. */
    [WF_XQ_EVENTS_AFTER] = {"x_events_after",
                            "SELECT id, txid::text, namespace, flow_id, execution_id, state, "
                            "outputs::text, labels::text, domain, "
                            "(extract(epoch FROM created_at) * 1000)::bigint, chain_depth "
                            "FROM events "
                            "WHERE (txid, id) > ($1::xid8, $2::bigint) "
                            "AND txid < pg_snapshot_xmin(pg_current_snapshot()) "
                            "ORDER BY txid, id LIMIT " STR(WF_XDB_EVENTS_BATCH)},
    /* Moves a trigger's cursor and status at the end of its round. */
    [WF_XQ_TRIGGER_ADVANCE] = {"x_trigger_advance",
                               "UPDATE trigger_state SET event_txid = $4::xid8, "
                               "event_id = $5::bigint, status = $6, last_fired = CASE WHEN "
                               "$7::bool THEN now() ELSE last_fired END, updated_at = now() "
                               "WHERE namespace = $1 AND flow_id = $2 AND trigger_id = $3"},

    /* ---- mesh_subflow.c: subflows in another domain ---- */
    /* Whether a grant covers the child flow with subflow calls, and without. */
    [WF_XQ_SUBFLOW_GRANTED] = {"x_subflow_granted",
                               "SELECT weft_grant_covers($1, $2, $3, NULL, true), "
                               "weft_grant_covers($1, $2, $3, NULL, false)"},
    /* The child execution in the other domain, and its domain woken. */
    [WF_XQ_SUBFLOW_CREATE] = {"x_subflow_create",
                              "WITH e AS (INSERT INTO executions (id, namespace, flow_id, "
                              "flow_revision, domain, state, state_history, inputs, labels, "
                              "trigger, started_by, parent_id, original_id, chain_depth) "
                              "SELECT $1, $2, $3, t.revision, t.domain, 'CREATED', "
                              "jsonb_build_array(jsonb_build_object('state', 'CREATED', 'date', "
                              "to_char(now() AT TIME ZONE 'UTC', " ISO_MS "))), "
                              "$4::jsonb, $5::jsonb, $6::jsonb, $7, $8, $1, $9::int "
                              "FROM weft_subflow_target($2, $3) t RETURNING id, domain) "
                              "SELECT e.id, pg_notify('weft_domain_' || e.domain, e.id) FROM e"},

    /* ---- policy.c: namespace policies ---- */
    /* The policy rows of a namespace's prefixes, root first. */
    [WF_XQ_POLICY_ROWS] = {"x_policy_rows",
                           "SELECT namespace, policy::text, domain_policy::text FROM policies "
                           "WHERE namespace = '' OR namespace = $1 "
                           "OR left($1, length(namespace) + 1) = namespace || '.' "
                           "ORDER BY length(namespace)"},
    /* Serialises the per-minute quota of a prefix across replicas. */
    [WF_XQ_RATE_LOCK] = {"x_rate_lock",
                         "SELECT pg_advisory_xact_lock(hashtext('weft-rate/' || $1 || '/' || $2))"},
    /* Whether the execution was admitted before (it counts already). */
    [WF_XQ_WAS_STARTED] = {"x_was_started",
                           "SELECT started_at IS NOT NULL FROM executions WHERE id = $1"},
    /* Starts under a prefix in the last minute, and ms until the oldest leaves it. */
    [WF_XQ_RATE_COUNT] = {"x_rate_count",
                          "SELECT count(*), coalesce(ceil(extract(epoch FROM min(started_at) + "
                          "interval '1 minute' - now()) * 1000), 0) FROM executions "
                          "WHERE domain = $1 AND ($2 = '' OR namespace = $2 OR "
                          "left(namespace, length($2) + 1) = $2 || '.') "
                          "AND started_at > now() - interval '1 minute' AND id <> $3"},
    /* Unfinished executions of the domain under prefix $2, counted up to $3
     * (the limit) so a big backlog costs no more than the limit: migration
     * 0011's index gives the domain's live rows. */
    [WF_XQ_ACTIVE_COUNT] = {"x_active_count",
                            "SELECT count(*) FROM (SELECT 1 FROM executions WHERE domain = $1 "
                            "AND state IN " LIVE_STATES " AND ($2 = '' OR namespace = $2 OR "
                            "left(namespace, length($2) + 1) = $2 || '.') LIMIT $3::int) c"},
    /* The execution is admitted: it counts against the quota from now on. */
    [WF_XQ_MARK_STARTED] = {"x_mark_started",
                            "UPDATE executions SET started_at = now() WHERE id = $1 "
                            "AND claimed_by = $2"},

    /* ---- render.c ---- */
    /* errorLogs(): the execution's ERROR lines. */
    [WF_XQ_ERROR_LOGS] = {"x_error_logs",
                          "SELECT coalesce(task_run_id, ''), coalesce(attempt, 0), line, "
                          "to_char(ts AT TIME ZONE 'UTC', " ISO_MS ") FROM logs "
                          "WHERE execution_id = $1 AND level = 'ERROR' ORDER BY id LIMIT 1000"},

    /* ---- sched.c: Schedule triggers ---- */
    /* A schedule's last tick, the row made at "now" for a new one (no backfill). */
    [WF_XQ_SCHED_CURSOR] = {"x_sched_cursor",
                            "INSERT INTO trigger_state (namespace, flow_id, trigger_id, domain, "
                            "last_fired) VALUES ($1, $2, $3, $4, date_trunc('second', now())) "
                            "ON CONFLICT (namespace, flow_id, trigger_id) DO UPDATE SET "
                            "updated_at = now() RETURNING extract(epoch FROM last_fired)::bigint"},
    /* Claims tick $4 for the schedule: one row back for the replica that wins it. */
    [WF_XQ_SCHED_TICK] = {"x_sched_tick",
                          "UPDATE trigger_state SET last_fired = $4::timestamptz, "
                          "next_fire = $5::timestamptz, updated_at = now() "
                          "WHERE namespace = $1 AND flow_id = $2 AND trigger_id = $3 "
                          "AND (last_fired IS NULL OR last_fired < $4::timestamptz) RETURNING 1"},

    /* ---- the scheduler's batched statements (flowcache.c, sched.c) ---- */
    /* One row that changes whenever the set of the domain's enabled flows or
     * one of their revisions does: the cheap check before a re-read. */
    [WF_XQ_DOMAIN_FINGERPRINT] = {"x_domain_fingerprint",
                                  "SELECT count(*) || '/' || coalesce(sum(hashtextextended("
                                  "namespace || '/' || id, revision)), 0) FROM flows "
                                  "WHERE NOT deleted AND NOT disabled AND domain = $1"},
    /* The last ticks of the schedules in $1 (JSON [{i, ns, f, t}]), one row
     * (i, epoch) each; the rows of new ones are made at "now" (no backfill),
     * which is what this statement's snapshot (taken before the insert)
     * reports for them. */
    [WF_XQ_SCHED_STATES] = {"x_sched_states",
                            "WITH x AS (SELECT * FROM json_to_recordset($1::json) AS "
                            "x(i int, ns text, f text, t text)), "
                            "ins AS (INSERT INTO trigger_state (namespace, flow_id, trigger_id, "
                            "domain, last_fired) SELECT ns, f, t, $2, date_trunc('second', now()) "
                            "FROM x ON CONFLICT (namespace, flow_id, trigger_id) DO NOTHING) "
                            "SELECT x.i, extract(epoch FROM coalesce(s.last_fired, "
                            "date_trunc('second', now())))::bigint FROM x "
                            "LEFT JOIN trigger_state s ON s.namespace = x.ns AND s.flow_id = x.f "
                            "AND s.trigger_id = x.t"},
    /* Claims the ticks of many schedules ($1, JSON [{ns, f, t, tick, nxt, id,
     * inputs, trig}]) and creates the executions of those it won, in one
     * statement. The rows are locked in key order (two replicas claiming
     * overlapping batches cannot deadlock); the conditional UPDATE decides
     * who fires, as WF_XQ_SCHED_TICK's; a deleted flow's tick is not spent. */
    [WF_XQ_SCHED_FIRE] = {"x_sched_fire",
                          "WITH x AS (SELECT * FROM json_to_recordset($1::json) AS x(ns text, "
                          "f text, t text, tick timestamptz, nxt timestamptz, id text, "
                          "inputs jsonb, trig jsonb)), "
                          "lk AS (SELECT s.namespace, s.flow_id, s.trigger_id FROM trigger_state s "
                          "JOIN x ON s.namespace = x.ns AND s.flow_id = x.f AND s.trigger_id = x.t "
                          "JOIN flows fl ON fl.namespace = x.ns AND fl.id = x.f AND NOT fl.deleted "
                          "WHERE s.last_fired IS NULL OR s.last_fired < x.tick "
                          "ORDER BY s.namespace, s.flow_id, s.trigger_id FOR UPDATE OF s), "
                          "won AS (UPDATE trigger_state s SET last_fired = x.tick, "
                          "next_fire = x.nxt, updated_at = now() FROM x, lk "
                          "WHERE lk.namespace = s.namespace AND lk.flow_id = s.flow_id "
                          "AND lk.trigger_id = s.trigger_id AND x.ns = s.namespace "
                          "AND x.f = s.flow_id AND x.t = s.trigger_id "
                          "AND (s.last_fired IS NULL OR s.last_fired < x.tick) "
                          "RETURNING s.namespace, s.flow_id, s.trigger_id), "
                          "ins AS (INSERT INTO executions (id, namespace, flow_id, flow_revision, "
                          "domain, state, state_history, inputs, labels, trigger, started_by, "
                          "parent_id, original_id, chain_depth) SELECT x.id, fl.namespace, fl.id, "
                          "fl.revision, fl.domain, 'CREATED', jsonb_build_array(jsonb_build_object("
                          "'state', 'CREATED', 'date', to_char(now() AT TIME ZONE 'UTC', " ISO_MS
                          "))), coalesce(x.inputs, '{}'::jsonb), '{}'::jsonb, x.trig, "
                          "'schedule:' || x.ns || '/' || x.f || '/' || x.t, NULL, x.id, 0 "
                          "FROM won JOIN x ON x.ns = won.namespace AND x.f = won.flow_id "
                          "AND x.t = won.trigger_id JOIN flows fl ON fl.namespace = x.ns "
                          "AND fl.id = x.f AND NOT fl.deleted RETURNING id) SELECT id FROM ins"},
    /* Wakes the replicas listening on channel $1 (once per batch). */
    [WF_XQ_SCHED_NOTIFY] = {"x_sched_notify", "SELECT pg_notify($1, $2)"},

    /* ---- secrets.c ---- */
    /* The sealed secret of the nearest namespace at or above $2. */
    [WF_XQ_SECRET] = {"x_secret",
                      "SELECT namespace, version, sealed FROM secrets WHERE key = $1 "
                      "AND ($2 = namespace OR left($2, length(namespace) + 1) = "
                      "namespace || '.') ORDER BY length(namespace) DESC LIMIT 1"},

    /* ---- files.c: URIs given by flows ---- */
    /* Whether executions $1 and $2 are of one tree: the same topmost
     * ancestor this domain can see (Subflow parent_id links). */
    [WF_XQ_STORE_SAME_TREE] = {"x_store_same_tree",
                               "WITH RECURSIVE up(start, id, parent, depth) AS ("
                               "SELECT e.id, e.id, e.parent_id, 0 FROM executions e "
                               "WHERE e.id IN ($1, $2) UNION ALL "
                               "SELECT up.start, e.id, e.parent_id, up.depth + 1 FROM up "
                               "JOIN executions e ON e.id = up.parent WHERE up.depth < 64), "
                               "top AS (SELECT DISTINCT ON (start) start, id FROM up "
                               "ORDER BY start, depth DESC) "
                               "SELECT count(DISTINCT id) = 1 AND count(*) = 2 FROM top"},

    /* ---- storage.c: the internal storage (migration 0016) ----
     * $1 kind, $2 namespace ('' for an execution file looked up by path),
     * $3 path. An execution file's path names it alone (its unique index);
     * a namespace file's is unique within its namespace. */
    /* A read sees one file whole even if it is replaced meanwhile. */
    [WF_XQ_STORE_BEGIN_READ] = {"x_store_begin_read",
                                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"},
    /* Serialises writers of one path until commit, so that the second
     * replaces the first's file instead of colliding with it. */
    [WF_XQ_STORE_LOCK] = {"x_store_lock",
                          "SELECT pg_advisory_xact_lock(hashtext('weft-storage/' || $1 || "
                          "'/' || $2 || '/' || $3))"},
    /* The file a write replaces (its chunks go with it). */
    [WF_XQ_STORE_REPLACE] = {"x_store_replace",
                             "DELETE FROM storage_files WHERE kind = $1 AND path = $3 "
                             "AND ($1 = 'execution' OR namespace = $2)"},
    /* A new file, incomplete until WF_XQ_STORE_COMPLETE. */
    [WF_XQ_STORE_INSERT] = {"x_store_insert",
                            "INSERT INTO storage_files (domain, namespace, kind, path, "
                            "execution_id, content_type, created_by) VALUES ($1, $2, $3, $4, "
                            "nullif($5, ''), nullif($6, ''), $7) RETURNING id"},
    /* One chunk ($4 binary). */
    [WF_XQ_STORE_CHUNK_PUT] = {"x_store_chunk_put",
                               "INSERT INTO storage_chunks (file_id, seq, domain, data) "
                               "VALUES ($1::bigint, $2::int, $3, $4)"},
    /* The file is whole: readers see it from the commit on. */
    [WF_XQ_STORE_COMPLETE] = {"x_store_complete",
                              "UPDATE storage_files SET size = $2::bigint, sha256 = $3, "
                              "complete = true, updated_at = now() WHERE id = $1::bigint"},
    /* A complete file's details. */
    [WF_XQ_STORE_STAT] = {"x_store_stat",
                          "SELECT id, size, sha256, namespace, coalesce(execution_id, ''), "
                          "coalesce(content_type, ''), to_char(updated_at AT TIME ZONE 'UTC', "
                          ISO_MS ") FROM storage_files WHERE complete AND kind = $1 AND "
                          "path = $3 AND ($1 = 'execution' OR namespace = $2)"},
    /* The next chunk at or after seq $2 (binary result). */
    [WF_XQ_STORE_CHUNK_GET] = {"x_store_chunk_get",
                               "SELECT seq, data FROM storage_chunks WHERE file_id = $1::bigint "
                               "AND seq >= $2::int ORDER BY seq LIMIT 1"},
    /* Deletes a file (complete or not) and its chunks. */
    [WF_XQ_STORE_DELETE] = {"x_store_delete",
                            "DELETE FROM storage_files WHERE kind = $1 AND path = $3 "
                            "AND ($1 = 'execution' OR namespace = $2) RETURNING id"},
    /* Complete files under a path prefix ($3, matched as text), $4 at most. */
    [WF_XQ_STORE_LIST] = {"x_store_list",
                          "SELECT path, size, sha256, namespace, coalesce(execution_id, ''), "
                          "coalesce(content_type, ''), to_char(updated_at AT TIME ZONE 'UTC', "
                          ISO_MS ") FROM storage_files WHERE complete AND kind = $1 "
                          "AND ($2 = '' OR namespace = $2) AND left(path, length($3)) = $3 "
                          "ORDER BY path LIMIT $4::int"},
    /* Bytes the domain uses (files and log lines, migration 0017). */
    [WF_XQ_STORE_USED] = {"x_store_used", "SELECT weft_storage_used($1)"},

    /* ---- kv.c: the KV store (migration 0014) ---- */
    /* Whether namespace $1 belongs to this executor's domain. */
    [WF_XQ_KV_OWNED] = {"x_kv_owned",
                        "SELECT weft_domain_of($1) IS NOT DISTINCT FROM weft_current_domain()"},
    /* kv.Set: weft_kv_put's answer ($6 ttl in milliseconds, $8 overwrite). */
    [WF_XQ_KV_PUT] = {"x_kv_put",
                      "SELECT weft_kv_put($1, $2, $3, $4::jsonb, $5, $6::bigint * "
                      "interval '1 millisecond', $7, $8::boolean, $9::int)::text"},
    /* The live value of key $1 in the nearest namespace at or above $2. */
    [WF_XQ_KV_GET] = {"x_kv_get",
                      "SELECT value::text FROM kv WHERE key = $1 "
                      "AND ($2 = namespace OR left($2, length(namespace) + 1) = namespace || '.') "
                      "AND (expires_at IS NULL OR expires_at > now()) "
                      "ORDER BY length(namespace) DESC LIMIT 1"},
    /* One row, true when the key deleted was live. */
    [WF_XQ_KV_DELETE] = {"x_kv_delete",
                         "DELETE FROM kv WHERE namespace = $1 AND key = $2 "
                         "RETURNING (expires_at IS NULL OR expires_at > now())"},
    /* kv.GetKeys: the live keys of $1 starting with $2 (NULL: all). */
    [WF_XQ_KV_KEYS] = {"x_kv_keys",
                       "SELECT key FROM kv WHERE namespace = $1 "
                       "AND (expires_at IS NULL OR expires_at > now()) "
                       "AND ($2::text IS NULL OR left(key, length($2)) = $2) ORDER BY key"},
    /* kv.PurgeKV: deletes the keys of $1 (and its children when $2), only
     * the expired ones when $3, matching LIKE $4 (NULL: any); the count. */
    [WF_XQ_KV_PURGE] = {"x_kv_purge",
                        "WITH d AS (DELETE FROM kv WHERE (namespace = $1 OR ($2::boolean AND "
                        "left(namespace, length($1) + 1) = $1 || '.')) AND (NOT $3::boolean OR "
                        "expires_at <= now()) AND ($4::text IS NULL OR key LIKE $4) RETURNING 1) "
                        "SELECT count(*) FROM d"},

    /* ---- retention.c: the retention policy (migration 0015) ---- */
    /* One replica of a domain purges at a time; the lock is the
     * connection's, so a replica that dies releases it. */
    [WF_XQ_RETENTION_LOCK] = {"x_retention_lock",
                              "SELECT pg_try_advisory_lock(hashtext('weft-retention/' || "
                              "weft_current_domain()))"},
    [WF_XQ_RETENTION_UNLOCK] = {"x_retention_unlock",
                                "SELECT pg_advisory_unlock(hashtext('weft-retention/' || "
                                "weft_current_domain()))"},
    /* The prefixes that set a retention, with each layer's value. */
    [WF_XQ_RETENTION_RULES] = {"x_retention_rules",
                               "SELECT namespace, policy->>'retention', "
                               "domain_policy->>'retention' FROM policies "
                               "WHERE policy ? 'retention' OR domain_policy ? 'retention'"},
    /* One batch: at most $3 of the domain's executions under prefix $1
     * ("" = all) ended more than $2 ms ago, oldest first, with their files,
     * logs and task runs; rows another transaction holds are left for the
     * next pass. A child whose parent is still running is kept: the parent
     * reads its state. Counts of executions, task runs, log lines, files. */
    [WF_XQ_RETENTION_PURGE] = {"x_retention_purge",
                               "WITH doomed AS (SELECT x.id FROM executions x "
                               "WHERE x.domain = weft_current_domain() AND x.ended_at IS NOT NULL "
                               "AND x.ended_at < now() - $2::bigint * interval '1 millisecond' "
                               "AND ($1 = '' OR x.namespace = $1 "
                               "OR left(x.namespace, length($1) + 1) = $1 || '.') "
                               "AND NOT EXISTS (SELECT 1 FROM executions p WHERE p.id = x.parent_id "
                               "AND p.ended_at IS NULL) "
                               "ORDER BY x.ended_at LIMIT $3::int FOR UPDATE OF x SKIP LOCKED), "
                               "f AS (DELETE FROM storage_files WHERE kind = 'execution' "
                               "AND execution_id IN (SELECT id FROM doomed) RETURNING 1), "
                               "l AS (DELETE FROM logs WHERE execution_id IN "
                               "(SELECT id FROM doomed) RETURNING 1), "
                               "t AS (DELETE FROM task_runs WHERE execution_id IN "
                               "(SELECT id FROM doomed) RETURNING 1), "
                               "e AS (DELETE FROM executions WHERE id IN "
                               "(SELECT id FROM doomed) RETURNING 1) "
                               "SELECT (SELECT count(*) FROM e), (SELECT count(*) FROM t), "
                               "(SELECT count(*) FROM l), (SELECT count(*) FROM f)"},
    /* Whether startDate ($1, may be NULL) and endDate ($2) are dates. */
    [WF_XQ_PURGE_DATES] = {"x_purge_dates", "SELECT $1::timestamptz, $2::timestamptz"},
    /* PurgeExecutions, one batch: the domain's ended executions of namespace
     * $1 (and below unless flow $2 is named) started in [$3, $4) in states
     * $5 (NULL: any), with an id after $6, at most $7 of them in id order.
     * Deletes their logs when $8, files when $9, and the executions with
     * their task runs when $10 (which takes logs and files with them).
     * Answers: executions seen, the last id, executions, log lines and
     * files deleted. */
    [WF_XQ_PURGE_EXECUTIONS] = {"x_purge_executions",
                                "WITH doomed AS (SELECT x.id FROM executions x "
                                "WHERE x.domain = weft_current_domain() AND x.ended_at IS NOT NULL "
                                "AND (x.namespace = $1 OR ($2::text IS NULL AND "
                                "left(x.namespace, length($1) + 1) = $1 || '.')) "
                                "AND ($2::text IS NULL OR x.flow_id = $2) "
                                "AND ($3::timestamptz IS NULL OR "
                                "coalesce(x.started_at, x.created_at) >= $3::timestamptz) "
                                "AND coalesce(x.started_at, x.created_at) < $4::timestamptz "
                                "AND ($5::text[] IS NULL OR x.state = ANY ($5::text[])) "
                                "AND x.id > $6 ORDER BY x.id LIMIT $7::int "
                                "FOR UPDATE OF x SKIP LOCKED), "
                                "l AS (DELETE FROM logs WHERE ($8::boolean OR $10::boolean) "
                                "AND execution_id IN (SELECT id FROM doomed) RETURNING 1), "
                                "f AS (DELETE FROM storage_files WHERE ($9::boolean OR "
                                "$10::boolean) AND kind = 'execution' "
                                "AND execution_id IN (SELECT id FROM doomed) RETURNING 1), "
                                "t AS (DELETE FROM task_runs WHERE $10::boolean AND "
                                "execution_id IN (SELECT id FROM doomed) RETURNING 1), "
                                "e AS (DELETE FROM executions WHERE $10::boolean AND "
                                "id IN (SELECT id FROM doomed) RETURNING 1) "
                                "SELECT (SELECT count(*) FROM doomed), (SELECT max(id) FROM doomed), "
                                "(SELECT count(*) FROM e), (SELECT count(*) FROM l), "
                                "(SELECT count(*) FROM f)"},
    /* PurgeLogs, one batch: at most $7 log lines of the domain in namespace
     * $1 (and below unless flow $2 is named), of flow $2, of execution $3,
     * at levels $4 (NULL: any), written in [$5, $6); the count deleted.
     * Log lines are only ever inserted: no row lock is needed (and the
     * role has no UPDATE on them to take one). */
    [WF_XQ_PURGE_LOGS] = {"x_purge_logs",
                          "WITH doomed AS (SELECT g.id FROM logs g "
                          "WHERE g.domain = weft_current_domain() "
                          "AND (g.namespace = $1 OR ($2::text IS NULL AND "
                          "left(g.namespace, length($1) + 1) = $1 || '.')) "
                          "AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM executions x "
                          "WHERE x.id = g.execution_id AND x.flow_id = $2)) "
                          "AND ($3::text IS NULL OR g.execution_id = $3) "
                          "AND ($4::text[] IS NULL OR g.level = ANY ($4::text[])) "
                          "AND ($5::timestamptz IS NULL OR g.ts >= $5::timestamptz) "
                          "AND g.ts < $6::timestamptz LIMIT $7::int), "
                          "d AS (DELETE FROM logs WHERE id IN (SELECT id FROM doomed) RETURNING 1) "
                          "SELECT count(*) FROM d"},

    /* ---- db.c ---- */
    /* One audit entry: the executor's only hold on the log (migration 0004). */
    [Q_AUDIT] = {"x_audit", "SELECT audit_append($1, $2, $3, $4, $5, $6, $7::jsonb)"},
    /* This replica's row in executors. */
    [Q_REGISTER] = {"x_register",
                    "INSERT INTO executors (id, domain, hostname, pid, slots) "
                    "VALUES ($1, $2, $3, $4::int, $5::int)"},
    /* The replica is alive (the gateway's view of executors). */
    [Q_HEARTBEAT] = {"x_heartbeat",
                     "UPDATE executors SET heartbeat_at = now() WHERE id = $1"},
    /* Renews the lease of every execution this replica orchestrates ($3, a
     * JSON array of ids); what is not returned was taken over by another
     * replica after a lapse. A row claimed but not held in memory (its load
     * failed, or it was dropped) is not renewed: its lease lapses and it is
     * claimed again, instead of staying claimed by a replica that does not
     * work on it. */
    [Q_RENEW] = {"x_renew",
                 "UPDATE executions SET lease_until = now() + $2::int * interval '1 millisecond' "
                 "WHERE claimed_by = $1 AND state IN " LIVE_STATES
                 " AND id IN (SELECT jsonb_array_elements_text($3::jsonb)) RETURNING id"},
    /* At exit: the live executions are released for the other replicas. */
    [Q_UNREGISTER] = {"x_unregister",
                      "WITH r AS (UPDATE executions SET claimed_by = NULL, lease_until = NULL "
                      "WHERE claimed_by = $1 AND state IN " LIVE_STATES ") "
                      "UPDATE executors SET stopped_at = now() WHERE id = $1"},
    /* Orphans whose lease lapsed (o) before new executions (n), oldest first
     * within each: an orphan's tasks were running when its replica died, so
     * it is taken over before a backlog of new work, not after it. Each is
     * read off its partial index (migration 0011): SKIP LOCKED lets
     * replicas claim side by side without waiting on each other. */
    [Q_CLAIM] = {"x_claim",
                 "WITH n AS (SELECT id, created_at FROM executions WHERE domain = $2 "
                 "AND claimed_by IS NULL AND state IN " LIVE_STATES " ORDER BY created_at "
                 "LIMIT $3::int FOR UPDATE SKIP LOCKED), "
                 "o AS (SELECT id, created_at FROM executions WHERE domain = $2 "
                 "AND claimed_by IS NOT NULL AND lease_until < now() AND state IN " LIVE_STATES
                 " ORDER BY created_at LIMIT $3::int FOR UPDATE SKIP LOCKED), "
                 "c AS (SELECT id FROM (SELECT *, 1 AS fresh FROM n UNION ALL "
                 "SELECT *, 0 FROM o) u ORDER BY fresh, created_at LIMIT $3::int) "
                 "UPDATE executions e SET claimed_by = $1, "
                 "lease_until = now() + $4::int * interval '1 millisecond' FROM c "
                 "WHERE e.id = c.id RETURNING e.id, e.namespace, e.flow_id, e.flow_revision, "
                 "e.state, e.state_history, e.inputs, e.labels, e.trigger, e.parent_id, "
                 "e.original_id, to_char(e.created_at AT TIME ZONE 'UTC', " ISO_MS
                 "), e.variables, e.chain_depth"},
    /* The task runs of a claimed execution. */
    [Q_TRUNS] = {"x_truns",
                 "SELECT id, task_id, parent_task_run_id, value, iteration, state, attempt, "
                 "attempts, outputs FROM task_runs WHERE execution_id = $1 ORDER BY created_at, id"},
    /* A flow's source at a revision (the current row when the revision is the latest). */
    [Q_FLOW_SOURCE] = {"x_flow_source",
                       "SELECT source FROM flow_revisions WHERE namespace = $1 AND id = $2 "
                       "AND revision = $3::int UNION ALL "
                       "SELECT source FROM flows WHERE namespace = $1 AND id = $2 LIMIT 1"},
    /* The lease check, the changed task runs, the execution row and, for
     * a terminal state, its completion event: one call, one transaction
     * (migration 0010). */
    [Q_SAVE] = {"x_save", "SELECT weft_save_execution($1, $2, $3, $4, $5::jsonb, $6::jsonb)"},
    /* A batch of log lines, one JSON array. */
    [Q_INSERT_LOGS] = {"x_insert_logs",
                       "INSERT INTO logs (execution_id, task_run_id, attempt, namespace, domain, "
                       "ts, level, line) SELECT x.e, x.t, x.a, x.n, $1, x.ts, x.l, x.m "
                       "FROM jsonb_to_recordset($2::jsonb) AS x(e text, t text, a int, n text, "
                       "ts timestamptz, l text, m text)"},
    /* Rows changed by the gateway among those this replica owns: kills, and
     * resumes of the executions it holds as PAUSED ($2, a JSON array of ids).
     * Only those rows come back, however many executions it orchestrates. */
    [Q_SYNC] = {"x_sync",
                "SELECT id, state FROM executions WHERE claimed_by = $1 AND (state = 'KILLING' "
                "OR (state = 'RUNNING' AND id IN (SELECT jsonb_array_elements_text($2::jsonb))))"},
    /* A new execution of a live flow (subflows, triggers). */
    [Q_CREATE_EXEC] = {"x_create_exec",
                       "INSERT INTO executions (id, namespace, flow_id, flow_revision, domain, "
                       "state, state_history, inputs, labels, trigger, started_by, parent_id, "
                       "original_id, chain_depth) SELECT $1, f.namespace, f.id, f.revision, "
                       "f.domain, 'CREATED', jsonb_build_array(jsonb_build_object('state', "
                       "'CREATED', 'date', to_char(now() AT TIME ZONE 'UTC', " ISO_MS "))), "
                       "$4::jsonb, $5::jsonb, $6::jsonb, $7, $8, $1, $9::int "
                       "FROM flows f WHERE f.namespace = $2 AND f.id = $3 AND NOT f.deleted "
                       "RETURNING id"},
    /* Wakes the replicas listening on channel $1. */
    [Q_NOTIFY] = {"x_notify", "SELECT pg_notify($1, $2)"},
    /* A child execution's state and outputs (subflows). */
    [Q_EXEC_STATE] = {"x_exec_state", "SELECT state, outputs FROM executions WHERE id = $1"},
    /* Serialises a flow's concurrency gate across replicas, until the end of the transaction. */
    [Q_FLOW_LOCK] = {"x_flow_lock", "SELECT pg_advisory_xact_lock(hashtext($1 || '/' || $2))"},
    /* Executions of the flow already past the concurrency gate. */
    [Q_CONC_COUNT] = {"x_conc_count",
                      "SELECT count(*) FROM executions WHERE namespace = $1 AND flow_id = $2 "
                      "AND id <> $3 AND state IN ('RUNNING','PAUSED','KILLING','RETRYING')"},
    /* The execution passed the gate: counted by the next replica to take the lock. */
    [Q_SET_RUNNING] = {"x_set_running",
                       "UPDATE executions SET state = 'RUNNING' WHERE id = $1 AND claimed_by = $2"},
    /* Logs and heartbeats skip the WAL flush wait; one session keeps the order. */
    [Q_NO_SYNC_COMMIT] = {"x_no_sync_commit", "SET synchronous_commit = off"},
    /* Short, many statements: compiling one (JIT) costs more than running it. */
    [Q_NO_JIT] = {"x_no_jit", "SET jit = off"},

    /* ---- set-up, on the connection given (not prepared) ---- */
    /* Whether the configured user is a superuser. */
    [Q_WHOAMI] = {"x_whoami",
                  "SELECT rolsuper, current_user FROM pg_roles WHERE rolname = current_user"},
    /* The role and domain of a user that is already a domain's role. */
    [Q_OWN_DOMAIN] = {"x_own_domain", "SELECT current_user, weft_current_domain()"},
    /* Creates the domain's role when missing; returns its name. */
    [Q_ENSURE_ROLE] = {"x_ensure_role", "SELECT weft_ensure_domain_role($1)"},
};

static int run_ok(PGresult *r)
{
    ExecStatusType st = PQresultStatus(r);
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

/* `text` (a libpq message) in `buf` on one line: without its trailing
 * newline, the lines of a message made of several (a TLS error under a
 * socket error) joined by "; ". */
static const char *one_line(const char *text, char *buf, size_t len)
{
    size_t o = 0;
    for (const char *p = text; *p != '\0' && o + 3 < len; p++) {
        if (*p != '\n') {
            buf[o++] = *p;
        } else if (p[1] != '\0') {
            buf[o++] = ';';
            buf[o++] = ' ';
        }
    }
    while (o > 0 && buf[o - 1] == ' ')
        o--;
    buf[o] = '\0';
    return buf;
}

static void log_failure(int q, PGresult *r)
{
    char msg[512];
    const char *m = r != NULL ? one_line(PQresultErrorMessage(r), msg, sizeof(msg)) : "";
    /* No message: the connection is gone (the loop logs that once). */
    wf_error("database: %s: %s", stmts[q].name, *m ? m : "no answer, the connection is lost");
}

/* Runs row `q` of the table (a shared or a db.c statement) once what was
 * queued has been answered. */
static PGresult *run(wf_executor_t *ex, int q, int n, const char *const *params, const int *lens,
                     const int *formats, int result_format)
{
    wf_xdbq_wait(ex);
    return PQexecPrepared(ex->db, stmts[q].name, n, params, lens, formats, result_format);
}

PGresult *wf_xdb_run_binary(wf_executor_t *ex, wf_xq_t q, int n, const char *const *params,
                            const int *lens, const int *formats, int result_format)
{
    return run(ex, q, n, params, lens, formats, result_format);
}

const char *wf_xdb_stmt_name(wf_xq_t q)
{
    return stmts[q].name;
}

PGresult *wf_xdb_run(wf_executor_t *ex, wf_xq_t q, int n, const char *const *params)
{
    return run(ex, q, n, params, NULL, NULL, 0);
}

/* Runs one of db.c's statements and logs a failure. */
static PGresult *xq(wf_executor_t *ex, int q, int n, const char *const *params)
{
    PGresult *r = run(ex, q, n, params, NULL, NULL, 0);
    if (!run_ok(r))
        log_failure(q, r);
    return r;
}

/* The same for a statement whose rows are not needed: 0 or -1. */
static int xq_ok(wf_executor_t *ex, int q, int n, const char *const *params)
{
    PGresult *r = xq(ex, q, n, params);
    int ok = run_ok(r);
    PQclear(r);
    return ok ? 0 : -1;
}

/* A set-up statement: it runs once, before the table is prepared, on the
 * connection that makes sure of the role, which may not be the one kept. */
static PGresult *setup_q(PGconn *c, int q, int n, const char *const *params)
{
    return PQexecParams(c, stmts[q].sql, n, NULL, params, NULL, NULL, 0);
}

/* Runs dynamic SQL on the executor's connection: 0 or -1 (logged). Only for
 * statements naming an identifier (a role, a channel), which a parameter
 * cannot stand for. */
static int run_dynamic(wf_executor_t *ex, const char *sql)
{
    PGresult *r = PQexec(ex->db, sql);
    int ok = run_ok(r);
    if (!ok) {
        char msg[512];
        wf_error("database: %s", one_line(PQresultErrorMessage(r), msg, sizeof(msg)));
    }
    PQclear(r);
    return ok ? 0 : -1;
}

/* `fmt` with the identifier `name` quoted in it, run on the executor's
 * connection: 0 or -1. */
static int run_with_ident(wf_executor_t *ex, PGconn *quoter, const char *fmt, const char *name)
{
    char *q = PQescapeIdentifier(quoter, name, strlen(name));
    char *sql = wf_xasprintf(fmt, q ? q : "\"\"");
    PQfreemem(q);
    int rc = run_dynamic(ex, sql);
    free(sql);
    return rc;
}

/* The executor's connection must fail, not hang, when the database host
 * vanishes: a replica blocked on a dead link would keep its sandboxes
 * running past its lease while another replica runs the same tasks again.
 * One heartbeat period, so the failure comes a full period before the lease
 * (three periods) lapses and the replica fences itself in time. */
static int dead_peer_ms(const wf_executor_t *ex)
{
    return (int)(ex->lease_ms / 3);
}

/* Logs in as the domain's own role: the superuser URL is used only to make
 * sure the role exists. A login as the role (rather than SET ROLE) leaves the
 * process no way back to superuser rights. */
static PGconn *connect_as_role(wf_executor_t *ex, const char *url, const char *app)
{
    wf_store_params_t p;
    wf_store_params_init(&p, url, app, dead_peer_ms(ex));
    wf_store_params_add(&p, "user", ex->role);
    char msg[512];
    PGconn *c = wf_store_connect_params(&p, msg, sizeof(msg));
    if (c == NULL)
        wf_warn("cannot log in as role %s (%s); switching with SET ROLE instead", ex->role, msg);
    return c;
}

static void notice_quiet(void *arg, const char *msg)
{
    (void)arg;
    wf_debug("postgres: %s", msg);
}

/* Logged in as the domain's role, the replica cannot register a key (no
 * UPDATE on domains), but it can read the registered one: a key file that
 * is not it is refused at start. Otherwise a replica on another host, with a
 * key of its own, would start and then fail every secret it meets. */
static int check_own_key(wf_executor_t *ex, PGconn *conn, char *err, size_t errlen)
{
    if (!ex->have_key)
        return 0;
    wf_keys_reg_t state;
    if (wf_keys_registration(conn, ex->domain, ex->kp.pub, &state, NULL, err, errlen) != 0)
        return -1;
    if (state == WF_KEYS_REG_OTHER) {
        snprintf(err, errlen,
                 "domain '%s' has another public key registered: this replica's key file "
                 "(executor.key_dir) is not the domain's key; every replica of a domain needs "
                 "the same file (copy it from a host that runs one)",
                 ex->domain);
        return -1;
    }
    if (state == WF_KEYS_REG_NONE)
        wf_warn("domain %s has no public key registered: secrets cannot be set for it until "
                "one is (`weftd keygen --domain %s --register` with the database owner's URL, "
                "then the same key file on every host running its replicas)",
                ex->domain, ex->domain);
    return 0;
}

/* The configured user is already the domain's role (an external server
 * provisioned it): it is kept as the executor's connection. */
static int use_own_role(wf_executor_t *ex, PGconn *admin, char *err, size_t errlen)
{
    PGresult *r = setup_q(admin, Q_OWN_DOMAIN, 0, NULL);
    int ok = run_ok(r) && PQntuples(r) == 1 && !PQgetisnull(r, 0, 1) &&
             strcmp(PQgetvalue(r, 0, 1), ex->domain) == 0;
    if (ok)
        snprintf(ex->role, sizeof(ex->role), "%s", PQgetvalue(r, 0, 0));
    else
        snprintf(err, errlen, "database user %s is neither a superuser nor the role of "
                              "domain %s", run_ok(r) ? PQgetvalue(r, 0, 0) : "?", ex->domain);
    PQclear(r);
    if (!ok || check_own_key(ex, admin, err, errlen) != 0) {
        PQfinish(admin);
        return -1;
    }
    ex->db = admin;
    return 0;
}

/* A superuser makes sure of the domain's role (and its key) and then
 * connects as it, or switches to it when it cannot log in. */
static int become_role(wf_executor_t *ex, PGconn *admin, const char *url, const char *app,
                       char *err, size_t errlen)
{
    const char *p[] = {ex->domain};
    PGresult *r = setup_q(admin, Q_ENSURE_ROLE, 1, p);
    if (!run_ok(r) || PQntuples(r) != 1) {
        char msg[512];
        snprintf(err, errlen, "cannot ensure the role of domain %s: %s", ex->domain,
                 one_line(PQresultErrorMessage(r), msg, sizeof(msg)));
        PQclear(r);
        PQfinish(admin);
        return -1;
    }
    snprintf(ex->role, sizeof(ex->role), "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    /* The public half of the domain key, for the gateway to seal with.
     * A key file that is not the domain's registered key is refused:
     * secrets sealed to the other key would not open. */
    if (ex->have_key && wf_keys_register(admin, ex->domain, ex->kp.pub, false, err, errlen) != 0) {
        PQfinish(admin);
        return -1;
    }
    PGconn *c = connect_as_role(ex, url, app);
    if (c != NULL) {
        PQfinish(admin);
        ex->db = c;
        return 0;
    }
    ex->db = admin;
    if (run_with_ident(ex, admin, "SET SESSION ROLE %s", ex->role) != 0) {
        snprintf(err, errlen, "cannot switch to role %s", ex->role);
        PQfinish(admin);
        ex->db = NULL;
        return -1;
    }
    return 0;
}

int wf_xdb_open(wf_executor_t *ex, const char *url, char *err, size_t errlen)
{
    /* Start-up: every statement here waits, before the loop runs. */
    char app[96];
    snprintf(app, sizeof(app), "weft-executor:%s", ex->domain);
    /* It stays the executor's connection when its user is the domain's role. */
    wf_store_params_t sp;
    wf_store_params_init(&sp, url, app, dead_peer_ms(ex));
    PGconn *admin = wf_store_connect_params(&sp, err, errlen);
    if (admin == NULL)
        return -1;
    PGresult *r = setup_q(admin, Q_WHOAMI, 0, NULL);
    int super = run_ok(r) && PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    if ((super ? become_role(ex, admin, url, app, err, errlen)
               : use_own_role(ex, admin, err, errlen)) != 0)
        return -1;
    PQsetNoticeProcessor(ex->db, notice_quiet, NULL);
    for (int i = 0; i < Q__PREPARED; i++) {
        PGresult *pr = PQprepare(ex->db, stmts[i].name, stmts[i].sql, 0, NULL);
        if (!run_ok(pr)) {
            char msg[512];
            snprintf(err, errlen, "prepare %s: %s", stmts[i].name,
                     one_line(PQresultErrorMessage(pr), msg, sizeof(msg)));
            PQclear(pr);
            wf_xdb_close(ex);
            return -1;
        }
        PQclear(pr);
    }
    /* The domain's wake-up channel; the gateway NOTIFYs it after commit. */
    char chan[96];
    snprintf(chan, sizeof(chan), "weft_domain_%s", ex->domain);
    if (run_with_ident(ex, ex->db, "LISTEN %s", chan) != 0) {
        snprintf(err, errlen, "cannot LISTEN on %s", chan);
        wf_xdb_close(ex);
        return -1;
    }
    xq_ok(ex, Q_NO_SYNC_COMMIT, 0, NULL);
    xq_ok(ex, Q_NO_JIT, 0, NULL);
    if (wf_xdbq_init(ex) != 0) {
        snprintf(err, errlen, "cannot put the database connection in non-blocking mode");
        wf_xdb_close(ex);
        return -1;
    }
    return 0;
}

void wf_xdb_close(wf_executor_t *ex)
{
    wf_xdbq_dispose(ex);
    PQfinish(ex->db);
    ex->db = NULL;
}

int wf_xdb_register(wf_executor_t *ex)
{
    char host[256] = "";
    gethostname(host, sizeof(host) - 1);
    char pid[16], slots[16];
    snprintf(pid, sizeof(pid), "%d", (int)getpid());
    snprintf(slots, sizeof(slots), "%d", ex->slots);
    const char *p[] = {ex->id, ex->domain, host, pid, slots};
    /* Start-up, before the loop runs. */
    return xq_ok(ex, Q_REGISTER, 5, p);
}

/* Heartbeat and lease renewal for `lease_ms` from now. */
static int renew(wf_executor_t *ex, int64_t lease_ms)
{
    const char *p[] = {ex->id};
    if (xq_ok(ex, Q_HEARTBEAT, 1, p) != 0)
        return -1;
    char lease[24];
    snprintf(lease, sizeof(lease), "%lld", (long long)lease_ms);
    json_t *mine = json_array();
    for (wf_xexec_t *x = ex->execs; x && mine; x = x->next)
        if (!x->dropped)
            json_array_append_new(mine, json_string(x->id));
    char *ids = mine ? json_dumps(mine, JSON_COMPACT) : NULL;
    json_decref(mine);
    if (ids == NULL)
        return -1;
    const char *p2[] = {ex->id, lease, ids};
    PGresult *r = xq(ex, Q_RENEW, 3, p2);
    free(ids);
    if (!run_ok(r)) {
        PQclear(r);
        return -1;
    }
    /* An execution missing from the renewed set was claimed by another
     * replica while this one stalled: drop it without writing anything. */
    for (wf_xexec_t *x = ex->execs; x; x = x->next) {
        bool held = false;
        for (int i = 0; i < PQntuples(r) && !held; i++)
            held = strcmp(PQgetvalue(r, i, 0), x->id) == 0;
        if (!held && !wf_xstate_terminal(x->state)) {
            wf_warn("execution %s: lease lost, leaving it to the replica that holds it", x->id);
            x->dropped = true;
        }
    }
    PQclear(r);
    return 0;
}

int wf_xdb_heartbeat(wf_executor_t *ex)
{
    /* Waits, once per heartbeat period: the renewed set it reads back
     * decides which executions this replica must let go before it walks
     * them again. */
    return renew(ex, ex->lease_ms);
}

int wf_xdb_extend_leases(wf_executor_t *ex, int64_t ms)
{
    if (ex->lease_ms <= 0 || ms <= ex->lease_ms)
        return 0;
    return renew(ex, ms);
}

void wf_xdb_unregister(wf_executor_t *ex)
{
    if (ex->db == NULL)
        return;
    const char *p[] = {ex->id};
    /* At exit, after the loop: the release must be written before the process goes. */
    xq_ok(ex, Q_UNREGISTER, 1, p);
}

static json_t *col_json(PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return NULL;
    return json_loads(PQgetvalue(r, row, col), JSON_DECODE_ANY, NULL);
}

static char *col_dup(PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : wf_xstrdup(PQgetvalue(r, row, col));
}

static int load_truns(wf_executor_t *ex, wf_xexec_t *x)
{
    const char *p[] = {x->id};
    /* Part of the claim: the execution cannot be walked without its rows. */
    PGresult *r = xq(ex, Q_TRUNS, 1, p);
    if (!run_ok(r)) {
        PQclear(r);
        return -1;
    }
    int n = PQntuples(r);
    /* Parents and children written in one transaction share created_at:
     * add rows whose parent is known, pass after pass. */
    char *added = wf_xcalloc((size_t)n + 1, 1);
    for (bool progress = true; progress;) {
        progress = false;
        for (int i = 0; i < n; i++) {
            if (added[i])
                continue;
            const wf_task_t *task = wf_flow_find_task(x->flow, PQgetvalue(r, i, 1));
            if (task == NULL) {
                wf_warn("execution %s: task run %s names unknown task %s", x->id,
                        PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
                added[i] = 1;
                continue;
            }
            wf_trun_t *parent = NULL;
            if (!PQgetisnull(r, i, 2)) {
                for (size_t k = 0; k < x->n_truns && !parent; k++)
                    if (strcmp(x->truns[k]->id, PQgetvalue(r, i, 2)) == 0)
                        parent = x->truns[k];
                if (parent == NULL)
                    continue; /* next pass */
            }
            wf_trun_t *tr = wf_xexec_add_trun(
                x, task, parent, PQgetisnull(r, i, 3) ? NULL : PQgetvalue(r, i, 3),
                PQgetisnull(r, i, 4) ? -1 : atoi(PQgetvalue(r, i, 4)));
            if (tr == NULL) {
                free(added);
                PQclear(r);
                return -1;
            }
            added[i] = 1;
            progress = true;
            snprintf(tr->id, sizeof(tr->id), "%s", PQgetvalue(r, i, 0));
            int st = wf_xstate_parse(PQgetvalue(r, i, 5));
            tr->state = st < 0 ? WF_ST_FAILED : (wf_state_t)st;
            tr->attempts_count = atoi(PQgetvalue(r, i, 6));
            json_decref(tr->attempts);
            tr->attempts = col_json(r, i, 7);
            if (!json_is_array(tr->attempts)) {
                json_decref(tr->attempts);
                tr->attempts = json_array();
            }
            tr->outputs = col_json(r, i, 8);
            tr->dirty = false;
        }
    }
    free(added);
    PQclear(r);
    return 0;
}

static wf_xexec_t *load_exec(wf_executor_t *ex, PGresult *r, int i)
{
    wf_xexec_t *x = wf_xcalloc(1, sizeof(*x));
    x->ex = ex;
    x->id = col_dup(r, i, 0);
    x->namespace_ = col_dup(r, i, 1);
    x->flow_id = col_dup(r, i, 2);
    x->flow_revision = atoi(PQgetvalue(r, i, 3));
    int st = wf_xstate_parse(PQgetvalue(r, i, 4));
    x->state = st < 0 ? WF_ST_CREATED : (wf_state_t)st;
    x->history = col_json(r, i, 5);
    if (!json_is_array(x->history)) {
        json_decref(x->history);
        x->history = json_array();
    }
    x->inputs = col_json(r, i, 6);
    if (!json_is_object(x->inputs)) {
        json_decref(x->inputs);
        x->inputs = json_object();
    }
    x->labels = col_json(r, i, 7);
    if (!json_is_object(x->labels)) {
        json_decref(x->labels);
        x->labels = json_object();
    }
    x->trigger = col_json(r, i, 8);
    x->parent_id = col_dup(r, i, 9);
    x->original_id = col_dup(r, i, 10);
    x->started_at = col_dup(r, i, 11);
    x->chain_depth = atoi(PQgetvalue(r, i, 13));
    return x;
}

int wf_xdb_claim(wf_executor_t *ex, int max)
{
    char smax[16], lease[24];
    snprintf(smax, sizeof(smax), "%d", max);
    snprintf(lease, sizeof(lease), "%lld", (long long)ex->lease_ms);
    const char *p[] = {ex->id, ex->domain, smax, lease};
    /* Waits: the rows claimed are the work of the next walk; a claim runs
     * when a slot frees or a notification arrives, not per event. */
    PGresult *r = xq(ex, Q_CLAIM, 4, p);
    if (!run_ok(r)) {
        PQclear(r);
        return -1;
    }
    int n = PQntuples(r), got = 0;
    for (int i = 0; i < n; i++) {
        wf_xexec_t *x = load_exec(ex, r, i);
        x->flow = wf_xflowcache_get(ex, x->namespace_, x->flow_id, x->flow_revision);
        /* The execution joins the list even when its flow is gone: the
         * walker then fails it with a log line, instead of leaving it live.
         * A CREATED execution has no task runs yet (the walk leaves CREATED
         * before it makes any, in the same save): nothing to read. */
        if (x->flow != NULL && x->state != WF_ST_CREATED && load_truns(ex, x) != 0) {
            wf_xexec_free(ex, x);
            continue;
        }
        x->next = ex->execs;
        ex->execs = x;
        ex->n_execs++;
        got++;
        wf_debug("claimed execution %s (%s.%s, %s)", x->id, x->namespace_, x->flow_id,
                 wf_xstate_name(x->state));
    }
    PQclear(r);
    return got;
}

char *wf_xdb_flow_source(wf_executor_t *ex, const char *ns, const char *id, int revision)
{
    char rev[16];
    snprintf(rev, sizeof(rev), "%d", revision);
    const char *p[] = {ns, id, rev};
    /* Once per flow revision (the cache keeps it): the claim needs the flow. */
    PGresult *r = xq(ex, Q_FLOW_SOURCE, 3, p);
    char *s = run_ok(r) && PQntuples(r) > 0 ? strdup(PQgetvalue(r, 0, 0)) : NULL;
    PQclear(r);
    return s;
}

static char *dump_or_null(json_t *v)
{
    return v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
}

void wf_xdb_audit(wf_executor_t *ex, const char *action, const char *ns, const char *target,
                  const char *result, const char *reason, json_t *details)
{
    char actor[96];
    snprintf(actor, sizeof(actor), "executor:%s", ex->domain);
    char *d = details ? json_dumps(details, JSON_COMPACT) : NULL;
    const char *p[] = {actor, action, ns, target, result, reason, d};
    PGresult *r = run(ex, Q_AUDIT, 7, p, NULL, NULL, 0);
    if (!run_ok(r)) {
        char msg[512];
        wf_warn("database: %s: %s", stmts[Q_AUDIT].name,
                one_line(PQresultErrorMessage(r), msg, sizeof(msg)));
    }
    PQclear(r);
    free(d);
    json_decref(details);
}

/* wf_xdb_run_create for any row of the table. */
static PGresult *run_create(wf_executor_t *ex, int q, const char *id, const char *ns,
                            const char *flow_id, json_t *inputs, json_t *labels,
                            json_t *trigger, const char *started_by, const char *parent_id,
                            int chain_depth)
{
    char *in = dump_or_null(inputs), *lb = dump_or_null(labels), *tg = dump_or_null(trigger);
    char depth[16];
    snprintf(depth, sizeof(depth), "%d", chain_depth);
    const char *p[] = {id, ns, flow_id, in ? in : "{}", lb ? lb : "{}", tg, started_by,
                       parent_id, depth};
    PGresult *r = run(ex, q, 9, p, NULL, NULL, 0);
    free(in);
    free(lb);
    free(tg);
    return r;
}

PGresult *wf_xdb_run_create(wf_executor_t *ex, wf_xq_t q, const char *id, const char *ns,
                            const char *flow_id, json_t *inputs, json_t *labels,
                            json_t *trigger, const char *started_by, const char *parent_id,
                            int chain_depth)
{
    return run_create(ex, q, id, ns, flow_id, inputs, labels, trigger, started_by, parent_id,
                      chain_depth);
}

/* The changed task runs as the JSON array weft_save_execution reads. */
static json_t *dirty_truns(wf_xexec_t *x)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < x->n_truns; i++) {
        wf_trun_t *tr = x->truns[i];
        if (!tr->dirty)
            continue;
        json_t *o = json_pack("{s:s, s:s, s:s?, s:s?, s:o, s:s, s:i, s:O?, s:O?, s:b}", "id",
                              tr->id, "task_id", tr->task->id, "parent",
                              tr->parent ? tr->parent->id : NULL, "value", tr->value,
                              "iteration",
                              tr->iteration >= 0 ? json_integer(tr->iteration) : json_null(),
                              "state", wf_xstate_name(tr->state), "attempt",
                              tr->attempts_count, "attempts", tr->attempts, "outputs",
                              tr->outputs, "ended", wf_xstate_terminal(tr->state));
        if (o == NULL || json_array_append_new(arr, o) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static void mark_all_dirty(wf_xexec_t *x)
{
    x->dirty = true;
    for (size_t i = 0; i < x->n_truns; i++)
        x->truns[i]->dirty = true;
}

static wf_xexec_t *find_exec(wf_executor_t *ex, const char *id)
{
    for (wf_xexec_t *x = ex->execs; x; x = x->next)
        if (strcmp(x->id, id) == 0)
            return x;
    return NULL;
}

/* 0 saved, 1 claim lost, -1 failed (logged). */
static int save_outcome(PGresult *r, const char *id)
{
    if (r == NULL)
        return -1;
    if (!run_ok(r)) {
        log_failure(Q_SAVE, r);
        return -1;
    }
    if (PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "ok") == 0)
        return 0;
    wf_warn("execution %s: no longer claimed by this replica; dropping it", id);
    return 1;
}

/* The answer to a save sent without waiting; `arg` is the execution id. The
 * execution may have gone meanwhile (dropped): then there is nothing to do. */
static void saved_cb(wf_executor_t *ex, PGresult *r, void *arg)
{
    char *id = arg;
    int rc = save_outcome(r, id);
    wf_xexec_t *x = find_exec(ex, id);
    if (x != NULL && rc == 1) {
        x->dropped = true;
    } else if (x != NULL && rc < 0) {
        /* Rows are full copies: writing them all again on the next walk
         * (the next poll at the latest) repairs whatever this one missed. */
        wf_warn("execution %s: saving state failed; will retry", id);
        mark_all_dirty(x);
    }
    free(id);
}

int wf_xdb_save(wf_executor_t *ex, wf_xexec_t *x)
{
    if (x->dropped)
        return 1;
    bool any = x->dirty;
    for (size_t i = 0; i < x->n_truns && !any; i++)
        any = x->truns[i]->dirty;
    if (!any)
        return 0;
    json_t *truns = dirty_truns(x);
    json_t *row = NULL;
    bool ended = wf_xstate_terminal(x->state);
    if (x->dirty)
        row = json_pack("{s:s, s:O, s:O?, s:O?, s:b}", "state", wf_xstate_name(x->state),
                        "history", x->history, "outputs", x->outputs, "labels", x->labels,
                        "ended", ended);
    char *truns_s = truns ? json_dumps(truns, JSON_COMPACT) : NULL;
    char *row_s = row ? json_dumps(row, JSON_COMPACT) : NULL;
    json_decref(truns);
    json_decref(row);
    int rc = -1;
    if (truns_s == NULL || (x->dirty && row_s == NULL))
        goto out;
    const char *p[] = {x->id, ex->id, x->namespace_, ex->domain, truns_s, row_s};
    if (!ended) {
        /* Nothing waits on a state that is not the last one: send it and
         * let the loop run on. */
        char *id = wf_xstrdup(x->id);
        if (wf_xdbq_send(ex, stmts[Q_SAVE].name, 6, p, saved_cb, id) != 0) {
            free(id);
            goto out;
        }
        rc = 0;
    } else {
        /* The end is written before the execution is let go: flow triggers
         * and subflow parents read it next. */
        PGresult *r = xq(ex, Q_SAVE, 6, p);
        rc = run_ok(r) ? save_outcome(r, x->id) : -1; /* xq logged a failure */
        PQclear(r);
        if (rc == 1)
            x->dropped = true;
    }
    if (rc == 0) {
        for (size_t i = 0; i < x->n_truns; i++)
            x->truns[i]->dirty = false;
        x->dirty = false;
    }
out:
    free(truns_s);
    free(row_s);
    return rc;
}

static void logs_cb(wf_executor_t *ex, PGresult *r, void *arg)
{
    (void)ex;
    (void)arg;
    if (r == NULL || !run_ok(r)) {
        char msg[512];
        wf_warn("a batch of log lines could not be written: %s",
                one_line(r ? PQresultErrorMessage(r) : "not sent", msg, sizeof(msg)));
    }
}

int wf_xdb_insert_logs(wf_executor_t *ex, const char *json)
{
    const char *p[] = {ex->domain, json};
    return wf_xdbq_send(ex, stmts[Q_INSERT_LOGS].name, 2, p, logs_cb, NULL);
}

int wf_xdb_sync(wf_executor_t *ex)
{
    json_t *paused = json_array();
    for (wf_xexec_t *x = ex->execs; x && paused; x = x->next)
        if (x->state == WF_ST_PAUSED)
            json_array_append_new(paused, json_string(x->id));
    char *ids = paused ? json_dumps(paused, JSON_COMPACT) : NULL;
    json_decref(paused);
    if (ids == NULL)
        return -1;
    const char *p[] = {ex->id, ids};
    /* Waits, on the poll timer: kills and resumes are applied from its rows. */
    PGresult *r = xq(ex, Q_SYNC, 2, p);
    free(ids);
    if (!run_ok(r)) {
        PQclear(r);
        return -1;
    }
    for (int i = 0; i < PQntuples(r); i++) {
        wf_xexec_t *x = find_exec(ex, PQgetvalue(r, i, 0));
        if (x == NULL)
            continue;
        int st = wf_xstate_parse(PQgetvalue(r, i, 1));
        /* Only transitions the gateway makes are taken from the row:
         * KILLING (kill) and RUNNING after PAUSED (resume). */
        if (st == WF_ST_KILLING && x->state != WF_ST_KILLING) {
            wf_xexec_set_state(x, WF_ST_KILLING);
            x->rewalk = true;
        } else if (st == WF_ST_RUNNING && x->state == WF_ST_PAUSED) {
            wf_xexec_set_state(x, WF_ST_RUNNING);
            x->rewalk = true;
        }
    }
    PQclear(r);
    return 0;
}

int wf_xdb_create_execution(wf_executor_t *ex, const char *ns, const char *flow_id,
                            json_t *inputs, json_t *labels, json_t *trigger,
                            const char *parent_id, const char *started_by, int chain_depth,
                            char *id_out, size_t id_len)
{
    char id[23];
    wf_random_id(id, sizeof(id));
    /* Waits: callers need the new id, and schedules and mesh triggers
     * create it inside the transaction that moves their cursor. */
    PGresult *r = run_create(ex, Q_CREATE_EXEC, id, ns, flow_id, inputs, labels, trigger,
                             started_by, parent_id, chain_depth);
    int ok = run_ok(r) && PQntuples(r) == 1;
    if (!run_ok(r))
        log_failure(Q_CREATE_EXEC, r);
    PQclear(r);
    if (!ok)
        return -1;
    snprintf(id_out, id_len, "%s", id);
    /* Wakes every replica of the domain (this one included). */
    char chan[96];
    snprintf(chan, sizeof(chan), "weft_domain_%s", ex->domain);
    const char *pn[] = {chan, id};
    PQclear(run(ex, Q_NOTIFY, 2, pn, NULL, NULL, 0));
    return 0;
}

int wf_xdb_execution_state(wf_executor_t *ex, const char *id, json_t **outputs)
{
    const char *p[] = {id};
    /* Waits: the parent's walk decides on the child's state right after. */
    PGresult *r = xq(ex, Q_EXEC_STATE, 1, p);
    int st = -1;
    if (run_ok(r) && PQntuples(r) == 1) {
        st = wf_xstate_parse(PQgetvalue(r, 0, 0));
        if (outputs)
            *outputs = col_json(r, 0, 1);
    }
    PQclear(r);
    return st;
}

int wf_xdb_concurrency_slot(wf_executor_t *ex, wf_xexec_t *x, int64_t limit)
{
    /* The advisory lock serialises the gate per flow across replicas; the
     * execution moves to RUNNING before the lock is released, so the next
     * replica to take the lock counts it. A transaction that must see its
     * own count: every statement waits. */
    if (xq_ok(ex, WF_XQ_BEGIN, 0, NULL) != 0)
        return -1;
    const char *pl[] = {x->namespace_, x->flow_id};
    PGresult *r = run(ex, Q_FLOW_LOCK, 2, pl, NULL, NULL, 0);
    int ok = run_ok(r);
    PQclear(r);
    int res = -1;
    if (!ok)
        goto out;
    const char *p[] = {x->namespace_, x->flow_id, x->id};
    r = xq(ex, Q_CONC_COUNT, 3, p);
    if (run_ok(r) && PQntuples(r) == 1)
        res = atoll(PQgetvalue(r, 0, 0)) < limit ? 1 : 0;
    PQclear(r);
    if (res == 1) {
        const char *pu[] = {x->id, ex->id};
        r = run(ex, Q_SET_RUNNING, 2, pu, NULL, NULL, 0);
        if (!run_ok(r))
            res = -1;
        PQclear(r);
    }
out:
    xq_ok(ex, res < 0 ? WF_XQ_ROLLBACK : WF_XQ_COMMIT, 0, NULL);
    return res;
}
