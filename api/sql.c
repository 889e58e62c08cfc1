#include "api/sql.h"

/* The columns of a grant as the API shows it (api/h_grants.c grant_row). */
#define WF_GRANT_COLS                                                                      \
    "g.id, g.namespace, g.domain, to_json(g.flows)::text, g.to_namespace, g.to_domain,"   \
    " to_json(g.events)::text, g.subflow, to_json(g.created_at)#>>'{}', g.created_by,"    \
    " to_json(g.revoked_at)#>>'{}', g.revoked_by"

/* Log lines after $2 of execution $1 with the task (and iteration value)
 * of their task run: people read task ids, not task-run ids. */
#define WF_LOG_ROWS                                                                               \
    "SELECT g.id, g.ts, g.level, g.task_run_id, g.attempt, g.line, t.task_id, t.value"        \
    " FROM logs g LEFT JOIN task_runs t ON t.id = g.task_run_id"                               \
    " WHERE g.execution_id = $1 AND g.id > $2::bigint ORDER BY g.id"

/* When execution X first ran: the first RUNNING entry of its history.
 * started_at is written with the save that first sees the execution past
 * QUEUED, which for one that ends within one walk is the final save, so it
 * would equal ended_at; the history keeps the walk's own times. */
#define WF_EXEC_START_DATE(X)                                                                 \
    "coalesce((SELECT min((h->>'date')::timestamptz) FROM"                                     \
    " jsonb_array_elements(" X ".state_history) h WHERE h->>'state' = 'RUNNING'), " X          \
    ".started_at)"

static const wf_sql_t sql_table[WF_SQL_COUNT] = {
    [WF_SQL_SCHEMA_VERSION] = {"schema_version",
                               "SELECT coalesce(max(version), 0) FROM schema_migrations"},
    /* $1 actor, $2 action, $3 namespace, $4 target, $5 result, $6 reason, $7 details */
    [WF_SQL_AUDIT_INSERT] = {"audit_insert",
                             "INSERT INTO audit_log (actor, action, namespace, target, result,"
                             " reason, details) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)"},
    /* $1 text[] of the caller's subject and "group:<g>" subjects */
    [WF_SQL_BINDINGS_FOR] = {"bindings_for",
                             "SELECT subject, role, namespace FROM role_bindings"
                             " WHERE subject = ANY($1::text[])"},
    /* $1 token hash as bytea hex. Valid = not revoked, not expired. Records
     * last use at most once a minute so hot tokens do not write every call. */
    [WF_SQL_SA_AUTH] = {"sa_auth",
                        "WITH t AS (SELECT t.id, a.namespace, a.name, t.expires_at, t.last_used_at"
                        "  FROM sa_tokens t JOIN service_accounts a ON a.id = t.account_id"
                        "  WHERE t.token_hash = $1::bytea AND t.revoked_at IS NULL"
                        "    AND (t.expires_at IS NULL OR t.expires_at > now())),"
                        " u AS (UPDATE sa_tokens s SET last_used_at = now() FROM t"
                        "  WHERE s.id = t.id AND (t.last_used_at IS NULL"
                        "    OR t.last_used_at < now() - interval '60 seconds') RETURNING s.id)"
                        " SELECT t.namespace, t.name, extract(epoch FROM t.expires_at)::bigint,"
                        "  (SELECT count(*) FROM u) FROM t"},

    /* ---- bindings ---- */
    /* $1 subject, $2 role, $3 namespace ('' for platform roles), $4 actor */
    [WF_SQL_BINDING_CREATE] =
        {"binding_create",
         "WITH b AS (INSERT INTO role_bindings (subject, role, namespace, created_by)"
         "  VALUES ($1, $2, $3, $4) ON CONFLICT (subject, role, namespace) DO NOTHING"
         "  RETURNING id, subject, role, namespace, created_at, created_by),"
         " a AS (INSERT INTO audit_log (actor, action, namespace, target, result, details)"
         "  SELECT $4, 'binding.create', b.namespace, 'binding:' || b.id, 'allowed',"
         "   jsonb_build_object('subject', b.subject, 'role', b.role) FROM b)"
         " SELECT id, subject, role, namespace, to_json(created_at)#>>'{}', created_by FROM b"},
    /* $1 namespace: bindings on it, on its ancestors and below it. Prefixes
     * are compared with left(), not LIKE, since '_' is a LIKE wildcard. */
    [WF_SQL_BINDING_LIST] =
        {"binding_list",
         "SELECT id, subject, role, namespace, to_json(created_at)#>>'{}', created_by FROM role_bindings"
         " WHERE namespace <> '' AND (namespace = $1"
         "  OR left($1, length(namespace) + 1) = namespace || '.'"
         "  OR left(namespace, length($1) + 1) = $1 || '.')"
         " ORDER BY namespace, subject, role"},
    [WF_SQL_BINDING_GET] = {"binding_get",
                            "SELECT id, subject, role, namespace FROM role_bindings"
                            " WHERE id = $1::bigint"},
    /* $1 id, $2 actor */
    [WF_SQL_BINDING_DELETE] =
        {"binding_delete",
         "WITH d AS (DELETE FROM role_bindings WHERE id = $1::bigint"
         "  RETURNING id, subject, role, namespace),"
         " a AS (INSERT INTO audit_log (actor, action, namespace, target, result, details)"
         "  SELECT $2, 'binding.delete', d.namespace, 'binding:' || d.id, 'allowed',"
         "   jsonb_build_object('subject', d.subject, 'role', d.role) FROM d)"
         " SELECT id FROM d"},

    /* ---- service accounts ---- */
    /* $1 namespace, $2 name, $3 description, $4 actor */
    [WF_SQL_SA_CREATE] =
        {"sa_create",
         "WITH s AS (INSERT INTO service_accounts (namespace, name, domain, description,"
         "  created_by) VALUES ($1, $2, weft_domain_of($1), $3, $4)"
         "  ON CONFLICT (namespace, name) DO NOTHING"
         "  RETURNING id, namespace, name, description, created_at, created_by),"
         " a AS (INSERT INTO audit_log (actor, action, namespace, target, result)"
         "  SELECT $4, 'sa.create', s.namespace, 'sa:' || s.namespace || '/' || s.name,"
         "   'allowed' FROM s)"
         " SELECT id, namespace, name, description, to_json(created_at)#>>'{}', created_by FROM s"},
    [WF_SQL_SA_LIST] = {"sa_list",
                        "SELECT id, namespace, name, description, to_json(created_at)#>>'{}', created_by"
                        " FROM service_accounts WHERE namespace = $1"
                        "  OR left(namespace, length($1) + 1) = $1 || '.'"
                        " ORDER BY namespace, name"},
    /* $1 namespace, $2 name, $3 hash (bytea hex), $4 description,
     * $5 seconds to expiry or NULL, $6 actor */
    [WF_SQL_SA_TOKEN_CREATE] =
        {"sa_token_create",
         "WITH t AS (INSERT INTO sa_tokens (account_id, token_hash, description, created_by,"
         "  expires_at) SELECT id, $3::bytea, $4, $6,"
         "   now() + ($5::bigint * interval '1 second')"
         "  FROM service_accounts WHERE namespace = $1 AND name = $2"
         "  RETURNING id, created_at, expires_at),"
         " a AS (INSERT INTO audit_log (actor, action, namespace, target, result, details)"
         "  SELECT $6, 'sa.token.create', $1, 'sa:' || $1 || '/' || $2, 'allowed',"
         "   jsonb_build_object('tokenId', t.id) FROM t)"
         " SELECT id, to_json(created_at)#>>'{}', to_json(expires_at)#>>'{}' FROM t"},
    [WF_SQL_SA_TOKEN_LIST] =
        {"sa_token_list",
         "SELECT t.id, t.description, to_json(t.created_at)#>>'{}', t.created_by, to_json(t.expires_at)#>>'{}',"
         "  to_json(t.revoked_at)#>>'{}', to_json(t.last_used_at)#>>'{}' FROM sa_tokens t JOIN service_accounts a ON a.id = t.account_id"
         " WHERE a.namespace = $1 AND a.name = $2 ORDER BY t.id"},
    /* $1 namespace, $2 name, $3 token id, $4 actor */
    [WF_SQL_SA_TOKEN_REVOKE] =
        {"sa_token_revoke",
         "WITH r AS (UPDATE sa_tokens t SET revoked_at = now() FROM service_accounts a"
         "  WHERE a.id = t.account_id AND a.namespace = $1 AND a.name = $2"
         "   AND t.id = $3::bigint AND t.revoked_at IS NULL RETURNING t.id),"
         " a AS (INSERT INTO audit_log (actor, action, namespace, target, result, details)"
         "  SELECT $4, 'sa.token.revoke', $1, 'sa:' || $1 || '/' || $2, 'allowed',"
         "   jsonb_build_object('tokenId', r.id) FROM r)"
         " SELECT id FROM r"},
    /* $1 namespace, $2 name, $3 actor. The account's tokens go with it (ON
     * DELETE CASCADE, so the next call presenting one finds no hash: 401 at
     * once) and so do the bindings naming it, so that an account created
     * later under the same name starts with nothing. One statement: the
     * audit row commits with the deletion or not at all. */
    [WF_SQL_SA_DELETE] =
        {"sa_delete",
         "WITH s AS (SELECT id FROM service_accounts WHERE namespace = $1 AND name = $2),"
         " t AS (SELECT coalesce(jsonb_agg(id ORDER BY id), '[]') AS ids FROM sa_tokens"
         "  WHERE account_id IN (SELECT id FROM s) AND revoked_at IS NULL"
         "   AND (expires_at IS NULL OR expires_at > now())),"
         " d AS (DELETE FROM service_accounts WHERE id IN (SELECT id FROM s)"
         "  RETURNING id, namespace, name),"
         " b AS (DELETE FROM role_bindings WHERE subject = 'sa:' || $1 || '/' || $2"
         "  AND EXISTS (SELECT 1 FROM d) RETURNING id, role, namespace),"
         " a AS (INSERT INTO audit_log (actor, action, namespace, target, result, details)"
         "  SELECT $3, 'sa.delete', d.namespace, 'sa:' || d.namespace || '/' || d.name,"
         "   'allowed', jsonb_build_object('tokensRevoked', (SELECT ids FROM t),"
         "   'bindingsDeleted', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', b.id,"
         "    'role', b.role, 'namespace', b.namespace) ORDER BY b.id), '[]') FROM b))"
         "  FROM d)"
         " SELECT d.id, jsonb_array_length((SELECT ids FROM t)), (SELECT count(*) FROM b)"
         " FROM d"},

    /* ---- domains ---- */
    /* $1 name, $2 text[] of prefixes, $3 actor */
    [WF_SQL_DOMAIN_CREATE] =
        {"domain_create",
         "WITH d AS (INSERT INTO domains (name, created_by) VALUES ($1, $3) RETURNING name),"
         " n AS (INSERT INTO namespaces (prefix, domain) SELECT p, d.name FROM d,"
         "  unnest($2::text[]) p RETURNING prefix),"
         " a AS (INSERT INTO audit_log (actor, action, namespace, target, result, details)"
         "  SELECT $3, 'domain.create', '', 'domain:' || d.name, 'allowed',"
         "   jsonb_build_object('namespaces', $2::text[]) FROM d)"
         " SELECT (SELECT name FROM d), (SELECT coalesce(json_agg(prefix ORDER BY prefix),"
         "  '[]') FROM n)"},
    [WF_SQL_DOMAIN_LIST] = {"domain_list",
                            "SELECT d.name, coalesce((SELECT json_agg(prefix ORDER BY prefix)"
                            "  FROM namespaces WHERE domain = d.name), '[]'), to_json(d.created_at)#>>'{}'"
                            " FROM domains d ORDER BY d.name"},
    /* $1 domain, $2 prefix, $3 actor */
    [WF_SQL_DOMAIN_ADD_NS] =
        {"domain_add_ns",
         "WITH n AS (INSERT INTO namespaces (prefix, domain) SELECT $2, name FROM domains"
         "  WHERE name = $1 RETURNING domain, prefix),"
         " a AS (INSERT INTO audit_log (actor, action, namespace, target, result)"
         "  SELECT $3, 'domain.namespace.add', n.prefix, 'domain:' || n.domain, 'allowed'"
         "  FROM n)"
         " SELECT domain, prefix FROM n"},

    /* ---- flows ---- */
    /* $1 ns, $2 id, $3 source, $4 model json, $5 actor, $6 disabled. A new
     * revision only when the source hash differs (or the flow was deleted). */
    [WF_SQL_FLOW_UPSERT] =
        {"flow_upsert",
         "WITH d AS (SELECT weft_domain_of($1) AS domain),"
         " up AS (INSERT INTO flows (namespace, id, domain, revision, source, source_sha256,"
         "  model, disabled, updated_by)"
         "  SELECT $1, $2, d.domain, 1, $3, sha256(convert_to($3, 'UTF8')), $4::jsonb,"
         "   $6::boolean, $5 FROM d WHERE d.domain IS NOT NULL"
         "  ON CONFLICT (namespace, id) DO UPDATE SET revision = flows.revision + 1,"
         "   source = EXCLUDED.source, source_sha256 = EXCLUDED.source_sha256,"
         "   model = EXCLUDED.model, disabled = EXCLUDED.disabled, deleted = false,"
         "   domain = EXCLUDED.domain, updated_at = now(), updated_by = EXCLUDED.updated_by"
         "  WHERE flows.source_sha256 <> EXCLUDED.source_sha256 OR flows.deleted"
         "  RETURNING revision, domain, (xmax = 0) AS inserted),"
         " rev AS (INSERT INTO flow_revisions (namespace, id, revision, domain, source,"
         "  created_by) SELECT $1, $2, up.revision, up.domain, $3, $5 FROM up),"
         " a AS (INSERT INTO audit_log (actor, action, namespace, target, result, details)"
         "  SELECT $5, 'flow.write', $1, 'flow:' || $1 || '/' || $2, 'allowed',"
         "   jsonb_build_object('revision', up.revision) FROM up)"
         " SELECT (SELECT domain FROM d), (SELECT revision FROM up), (SELECT inserted FROM up),"
         "  (SELECT revision FROM flows WHERE namespace = $1 AND id = $2)"},
    /* $1 ns, $2 id, $3 text[] of the caller's subjects → (bindings as JSON
     * [[subject, role, namespace], ...], the flow in the API shape, i.e. the
     * model plus revision and source, or NULL) */
    [WF_SQL_FLOW_GET_JOINED] =
        {"flow_get_joined",
         "SELECT (SELECT coalesce(json_agg(json_build_array(subject, role, namespace)), '[]')"
         "  FROM role_bindings WHERE subject = ANY($3::text[]))::text,"
         " (SELECT (model || jsonb_build_object('revision', revision, 'source', source,"
         "  'disabled', disabled, 'updated', updated_at, 'updatedBy', updated_by))::text"
         "  FROM flows WHERE namespace = $1 AND id = $2 AND NOT deleted)"},
    /* $1 ns, $2 id, $3 actor: soft delete (revisions stay) */
    [WF_SQL_FLOW_DELETE] =
        {"flow_delete",
         "WITH d AS (UPDATE flows SET deleted = true, updated_at = now(), updated_by = $3"
         "  WHERE namespace = $1 AND id = $2 AND NOT deleted RETURNING revision),"
         " a AS (INSERT INTO audit_log (actor, action, namespace, target, result, details)"
         "  SELECT $3, 'flow.delete', $1, 'flow:' || $1 || '/' || $2, 'allowed',"
         "   jsonb_build_object('revision', d.revision) FROM d)"
         " SELECT revision FROM d"},
    [WF_SQL_FLOW_REVISIONS] =
        {"flow_revisions",
         "SELECT json_agg(json_build_object('revision', r.revision, 'created', r.created_at,"
         "  'createdBy', r.created_by, 'source', r.source) ORDER BY r.revision)::text"
         " FROM flow_revisions r JOIN flows f ON f.namespace = r.namespace AND f.id = r.id"
         " WHERE r.namespace = $1 AND r.id = $2 AND NOT f.deleted"},
    /* $1 ns, $2 id: the flow's triggers as declared, each with what the
     * executors last recorded for it (status — e.g. why a cross-team trigger
     * does not fire —, last and next firing). No row when there is no flow. */
    [WF_SQL_FLOW_TRIGGERS] =
        {"flow_triggers",
         "SELECT (SELECT coalesce(json_agg(json_build_object('id', t.def->>'id', 'type',"
         "  t.def->>'type', 'disabled', coalesce((t.def->>'disabled')::boolean, false),"
         "  'status', coalesce(s.status, ''), 'lastFired', s.last_fired, 'nextFire', s.next_fire,"
         "  'updated', s.updated_at) ORDER BY t.ord), '[]')"
         "  FROM jsonb_array_elements(coalesce(f.model->'triggers', '[]')) WITH ORDINALITY"
         "   AS t(def, ord)"
         "  LEFT JOIN trigger_state s ON s.namespace = f.namespace AND s.flow_id = f.id"
         "   AND s.trigger_id = t.def->>'id')::text"
         " FROM flows f WHERE f.namespace = $1 AND f.id = $2 AND NOT f.deleted"},
    /* $1 prefix, $2 limit, $3 offset → (total, json array) */
    [WF_SQL_FLOW_LIST] =
        {"flow_list",
         "WITH f AS (SELECT namespace, id, revision, disabled, updated_at, model FROM flows"
         "  WHERE NOT deleted AND (namespace = $1 OR left(namespace, length($1) + 1) = $1 || '.'))"
         " SELECT (SELECT count(*) FROM f), (SELECT coalesce(json_agg(json_build_object("
         "  'namespace', p.namespace, 'id', p.id, 'revision', p.revision, 'disabled',"
         "  p.disabled, 'updated', p.updated_at, 'description', p.model->'description')"
         "  ORDER BY p.namespace, p.id), '[]')::text FROM (SELECT * FROM f"
         "  ORDER BY namespace, id LIMIT $2::int OFFSET $3::bigint) p)"},
    /* → revision, source, disabled, domain, the domain's public key (base64,
     * NULL before its executor registered one: SECRET inputs are sealed to it) */
    [WF_SQL_FLOW_FOR_RUN] = {"flow_for_run",
                             "SELECT f.revision, f.source, f.disabled, o.dom,"
                             "  encode(d.public_key, 'base64')"
                             " FROM flows f CROSS JOIN LATERAL (SELECT weft_domain_of(f.namespace)"
                             "  AS dom) o LEFT JOIN domains d ON d.name = o.dom"
                             " WHERE f.namespace = $1 AND f.id = $2 AND NOT f.deleted"},

    /* ---- executions ---- */
    /* $1 id, $2 ns, $3 flow id, $4 revision, $5 inputs, $6 labels, $7 trigger,
     * $8 started_by. The domain's executors are woken by pg_notify, which
     * PostgreSQL delivers at COMMIT: never before the row is visible. */
    [WF_SQL_EXEC_CREATE] =
        {"exec_create",
         "WITH e AS (INSERT INTO executions (id, namespace, flow_id, flow_revision, domain,"
         "  state, state_history, inputs, labels, trigger, started_by)"
         "  SELECT $1, $2, $3, $4::int, d.dom, 'CREATED', jsonb_build_array(jsonb_build_object("
         "   'state', 'CREATED', 'date', now())), $5::jsonb, $6::jsonb, $7::jsonb, $8"
         "  FROM (SELECT weft_domain_of($2) AS dom) d WHERE d.dom IS NOT NULL"
         "  RETURNING id, domain, created_at),"
         " n AS (SELECT pg_notify('weft_domain_' || e.domain, e.id) FROM e),"
         " a AS (INSERT INTO audit_log (actor, action, namespace, target, result, details)"
         "  SELECT $8, 'execution.create', $2, 'execution:' || e.id, 'allowed',"
         "   jsonb_build_object('flowId', $3, 'revision', $4::int) FROM e)"
         " SELECT e.id, e.domain, to_json(e.created_at)#>>'{}', (SELECT count(*) FROM n) FROM e"},
    /* EXEC_CREATE's $1..$8, with $9 the Idempotency-Key and $10 the request's
     * fingerprint. The key's row is claimed first: ON CONFLICT waits for a
     * concurrent request with the same key to commit, then inserts nothing,
     * and no execution is created (the gateway reads the winner's row with
     * IDEM_FIND). A row older than 24 hours is taken over in place. The FK
     * from the key to the execution is checked at the end of the statement,
     * once both rows exist. */
    [WF_SQL_EXEC_CREATE_KEYED] =
        {"exec_create_keyed",
         "WITH d AS (SELECT weft_domain_of($2) AS dom),"
         " k AS (INSERT INTO idempotency_keys (namespace, flow_id, key, fingerprint,"
         "  execution_id) SELECT $2, $3, $9, $10, $1 FROM d WHERE d.dom IS NOT NULL"
         "  ON CONFLICT (namespace, flow_id, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint,"
         "   execution_id = EXCLUDED.execution_id, created_at = now()"
         "  WHERE idempotency_keys.created_at < now() - interval '24 hours' RETURNING 1),"
         " e AS (INSERT INTO executions (id, namespace, flow_id, flow_revision, domain,"
         "  state, state_history, inputs, labels, trigger, started_by)"
         "  SELECT $1, $2, $3, $4::int, d.dom, 'CREATED', jsonb_build_array(jsonb_build_object("
         "   'state', 'CREATED', 'date', now())), $5::jsonb, $6::jsonb, $7::jsonb, $8"
         "  FROM d WHERE d.dom IS NOT NULL AND EXISTS (SELECT 1 FROM k)"
         "  RETURNING id, domain, created_at),"
         " n AS (SELECT pg_notify('weft_domain_' || e.domain, e.id) FROM e),"
         " a AS (INSERT INTO audit_log (actor, action, namespace, target, result, details)"
         "  SELECT $8, 'execution.create', $2, 'execution:' || e.id, 'allowed',"
         "   jsonb_build_object('flowId', $3, 'revision', $4::int, 'idempotencyKey', true)"
         "   FROM e)"
         " SELECT e.id, e.domain, to_json(e.created_at)#>>'{}', (SELECT count(*) FROM n) FROM e"},
    /* $1 ns, $2 flow id, $3 key → the execution a key still stands for (keys
     * live 24 hours), the fingerprint of the request that created it and the
     * execution's creation time (for the replayed answer). */
    [WF_SQL_IDEM_FIND] =
        {"idem_find",
         "SELECT k.execution_id, k.fingerprint, to_json(e.created_at)#>>'{}'"
         " FROM idempotency_keys k JOIN executions e ON e.id = k.execution_id"
         " WHERE k.namespace = $1 AND k.flow_id = $2 AND k.key = $3"
         "  AND k.created_at >= now() - interval '24 hours'"},
    /* Expired keys, a few at a time: rows another transaction holds are
     * skipped, so the sweep never waits and never deadlocks with a request
     * taking an expired key over. */
    [WF_SQL_IDEM_SWEEP] =
        {"idem_sweep",
         "DELETE FROM idempotency_keys WHERE ctid = ANY(ARRAY(SELECT ctid FROM idempotency_keys"
         "  WHERE created_at < now() - interval '24 hours' ORDER BY created_at LIMIT 100"
         "  FOR UPDATE SKIP LOCKED))"},
    /* $1 namespace, $2 prefix ('' = all), $3 limit: the unfinished executions
     * of the namespace's domain under the prefix, counted up to the limit
     * (maxActiveExecutions) so a backlog costs no more than the limit. */
    [WF_SQL_EXEC_ACTIVE] =
        {"exec_active",
         "SELECT count(*) FROM (SELECT 1 FROM executions WHERE domain = weft_domain_of($1)"
         "  AND state IN ('CREATED', 'QUEUED', 'RUNNING', 'PAUSED', 'KILLING', 'RETRYING')"
         "  AND ($2 = '' OR namespace = $2 OR left(namespace, length($2) + 1) = $2 || '.')"
         "  LIMIT $3::int) c"},
    [WF_SQL_EXEC_META] = {"exec_meta",
                          "SELECT namespace, state, flow_id FROM executions WHERE id = $1"},
    /* The Kestra-like document of one execution, built in one round trip.
     * Sealed (SECRET) inputs show as "****". */
    [WF_SQL_EXEC_GET] =
        {"exec_get",
         "SELECT e.namespace, jsonb_build_object('id', e.id, 'namespace', e.namespace,"
         "  'flowId', e.flow_id, 'flowRevision', e.flow_revision,"
         "  'state', jsonb_build_object('current', e.state, 'histories', e.state_history,"
         "   'startDate', " WF_EXEC_START_DATE("e") ", 'endDate', e.ended_at),"
         "  'inputs', (SELECT coalesce(jsonb_object_agg(i.k, CASE WHEN jsonb_typeof(i.v) ="
         "   'object' AND i.v ? 'weft:sealed' THEN '\"****\"'::jsonb ELSE i.v END), '{}')"
         "   FROM jsonb_each(e.inputs) AS i(k, v)),"
         "  'outputs', coalesce(e.outputs, '{}'::jsonb),"
         "  'labels', e.labels, 'trigger', e.trigger, 'startedBy', e.started_by,"
         "  'originalId', e.original_id, 'parentId', e.parent_id, 'created', e.created_at,"
         "  'taskRunList', coalesce((SELECT jsonb_agg(jsonb_build_object('id', t.id,"
         "    'executionId', t.execution_id, 'namespace', t.namespace, 'flowId', e.flow_id,"
         "    'taskId', t.task_id, 'parentTaskRunId', t.parent_task_run_id, 'value', t.value,"
         "    'iteration', t.iteration, 'state', jsonb_build_object('current', t.state,"
         "     'startDate', t.started_at, 'endDate', t.ended_at), 'attempts', t.attempts,"
         "    'outputs', coalesce(t.outputs, '{}'::jsonb)) ORDER BY t.created_at, t.id)"
         "   FROM task_runs t WHERE t.execution_id = e.id), '[]'::jsonb))::text, e.state"
         " FROM executions e WHERE e.id = $1"},
    /* $1 prefix, $2 flow id or NULL, $3 state or NULL, $4 limit, $5 offset */
    [WF_SQL_EXEC_LIST] =
        {"exec_list",
         "WITH f AS (SELECT id, namespace, flow_id, flow_revision, state, created_at,"
         "  started_at, ended_at FROM executions"
         "  WHERE (namespace = $1 OR left(namespace, length($1) + 1) = $1 || '.')"
         "   AND ($2::text IS NULL OR flow_id = $2) AND ($3::text IS NULL OR state = $3))"
         " SELECT (SELECT count(*) FROM f), (SELECT coalesce(json_agg(json_build_object("
         "  'id', p.id, 'namespace', p.namespace, 'flowId', p.flow_id, 'flowRevision',"
         "  p.flow_revision, 'state', json_build_object('current', p.state, 'startDate',"
         "  (SELECT " WF_EXEC_START_DATE("x") " FROM executions x WHERE x.id = p.id),"
         "  'endDate', p.ended_at), 'created', p.created_at)"
         "  ORDER BY p.created_at DESC, p.id), '[]')::text FROM (SELECT * FROM f"
         "  ORDER BY created_at DESC, id LIMIT $4::int OFFSET $5::bigint) p)"},
    /* $1 id, $2 actor. Only a live execution can be killed; its executor
     * sees KILLING and stops the running tasks. */
    [WF_SQL_EXEC_KILL] =
        {"exec_kill",
         "WITH k AS (UPDATE executions SET state = 'KILLING', updated_at = now(),"
         "  state_history = state_history || jsonb_build_array(jsonb_build_object("
         "   'state', 'KILLING', 'date', now()))"
         "  WHERE id = $1 AND state IN ('CREATED', 'QUEUED', 'RUNNING', 'PAUSED', 'RETRYING')"
         "  RETURNING id, namespace, domain),"
         " n AS (SELECT pg_notify('weft_domain_' || k.domain, k.id) FROM k),"
         " a AS (INSERT INTO audit_log (actor, action, namespace, target, result)"
         "  SELECT $2, 'execution.kill', k.namespace, 'execution:' || k.id, 'allowed' FROM k)"
         " SELECT k.id, (SELECT count(*) FROM n) FROM k"},
    /* $1 id, $2 actor: a PAUSED execution goes back to RUNNING. */
    [WF_SQL_EXEC_RESUME] =
        {"exec_resume",
         "WITH r AS (UPDATE executions SET state = 'RUNNING', updated_at = now(),"
         "  state_history = state_history || jsonb_build_array(jsonb_build_object("
         "   'state', 'RUNNING', 'date', now()))"
         "  WHERE id = $1 AND state = 'PAUSED' RETURNING id, namespace, domain),"
         " n AS (SELECT pg_notify('weft_domain_' || r.domain, r.id) FROM r),"
         " a AS (INSERT INTO audit_log (actor, action, namespace, target, result)"
         "  SELECT $2, 'execution.resume', r.namespace, 'execution:' || r.id, 'allowed' FROM r)"
         " SELECT r.id, (SELECT count(*) FROM n) FROM r"},
    /* $1 new id, $2 old id, $3 actor: a failed or killed execution runs again
     * as a new execution of the same revision and inputs, chained by
     * original_id. */
    [WF_SQL_EXEC_RESTART] =
        {"exec_restart",
         "WITH o AS (SELECT * FROM executions WHERE id = $2"
         "  AND state IN ('FAILED', 'KILLED', 'WARNING', 'CANCELLED')),"
         " e AS (INSERT INTO executions (id, namespace, flow_id, flow_revision, domain, state,"
         "  state_history, inputs, labels, trigger, started_by, original_id)"
         "  SELECT $1, o.namespace, o.flow_id, o.flow_revision, o.domain, 'CREATED',"
         "   jsonb_build_array(jsonb_build_object('state', 'CREATED', 'date', now())),"
         "   o.inputs, o.labels, jsonb_build_object('type', 'restart', 'executionId', o.id),"
         "   $3, coalesce(o.original_id, o.id) FROM o RETURNING id, namespace, domain),"
         " n AS (SELECT pg_notify('weft_domain_' || e.domain, e.id) FROM e),"
         " a AS (INSERT INTO audit_log (actor, action, namespace, target, result, details)"
         "  SELECT $3, 'execution.restart', e.namespace, 'execution:' || e.id, 'allowed',"
         "   jsonb_build_object('restartOf', $2) FROM e)"
         " SELECT e.id, (SELECT count(*) FROM n) FROM e"},
    /* $1 execution id, $2 after log id, $3 page size → the id of the page's
     * last line when the page is full, NULL when it is not. Only the index
     * on (execution_id, id) is read. */
    [WF_SQL_LOGS_PAGE_END] =
        {"logs_page_end",
         "SELECT (SELECT g.id FROM logs g WHERE g.execution_id = $1 AND g.id > $2::bigint"
         "  ORDER BY g.id OFFSET $3::bigint - 1 LIMIT 1)"},
    /* $1 execution id, $2 after log id, $3 last id of the page (NULL: none),
     * $4 lines → one row per line: (id, the line as a JSON object's text).
     * The gateway streams a page in such batches, so its memory per request
     * is one batch, whatever the size of the log. */
    [WF_SQL_LOGS_BATCH] =
        {"logs_batch",
         "SELECT g.id, json_build_object('id', g.id, 'timestamp', g.ts, 'level', g.level,"
         "  'taskId', t.task_id, 'taskRunValue', t.value, 'taskRunId', g.task_run_id,"
         "  'attempt', g.attempt, 'message', g.line)::text"
         " FROM logs g LEFT JOIN task_runs t ON t.id = g.task_run_id"
         " WHERE g.execution_id = $1 AND g.id > $2::bigint"
         "  AND ($3::bigint IS NULL OR g.id <= $3::bigint)"
         " ORDER BY g.id LIMIT $4::bigint"},
    /* Same as server-sent events text, 500 lines per round trip. */
    [WF_SQL_LOGS_SSE] =
        {"logs_sse",
         "SELECT (SELECT state FROM executions WHERE id = $1), coalesce(string_agg("
         "  'id: ' || l.id || E'\\nevent: log\\ndata: ' || json_build_object('id', l.id,"
         "  'timestamp', l.ts, 'level', l.level, 'taskId', l.task_id, 'taskRunValue', l.value,"
         "  'taskRunId', l.task_run_id, 'attempt', l.attempt, 'message', l.line)::text"
         "  || E'\\n\\n', '' ORDER BY l.id), ''),"
         "  max(l.id), count(l.id) FROM (" WF_LOG_ROWS " LIMIT 500) l"},

    /* ---- secrets (values never leave the gateway unsealed) ---- */
    /* $1 namespace, $2 key: owning domain, its public key, the next version */
    [WF_SQL_SECRET_TARGET] =
        {"secret_target",
         "SELECT d.name, encode(d.public_key, 'base64'),"
         "  coalesce((SELECT s.version FROM secrets s WHERE s.namespace = $1 AND s.key = $2),"
         "   0) + 1"
         " FROM domains d WHERE d.name = weft_domain_of($1)"},
    /* $1 namespace, $2 key, $3 domain, $4 version, $5 sealed (bytea hex), $6 actor.
     * Stores only when $4 is still the next version, so two writers racing on a
     * key never leave a value sealed for the wrong version. */
    [WF_SQL_SECRET_STORE] =
        {"secret_store",
         "WITH s AS (INSERT INTO secrets (namespace, key, domain, version, sealed, created_by)"
         "  VALUES ($1, $2, $3, $4::int, $5::bytea, $6)"
         "  ON CONFLICT (namespace, key) DO UPDATE SET domain = EXCLUDED.domain,"
         "   version = EXCLUDED.version, sealed = EXCLUDED.sealed, created_at = now(),"
         "   created_by = EXCLUDED.created_by"
         "  WHERE secrets.version = EXCLUDED.version - 1"
         "  RETURNING namespace, key, version, created_at, created_by),"
         " a AS (INSERT INTO audit_log (actor, action, namespace, target, result, details)"
         "  SELECT $6, 'secret.set', s.namespace, 'secret:' || s.namespace || '/' || s.key,"
         "   'allowed', jsonb_build_object('version', s.version) FROM s)"
         " SELECT namespace, key, version, to_json(created_at)#>>'{}', created_by FROM s"},
    /* $1 namespace: its secrets and its children's (names and metadata only) */
    [WF_SQL_SECRET_LIST] =
        {"secret_list",
         "SELECT namespace, key, version, to_json(created_at)#>>'{}', created_by FROM secrets"
         " WHERE namespace = $1 OR left(namespace, length($1) + 1) = $1 || '.'"
         " ORDER BY namespace, key"},
    /* $1 namespace, $2 key, $3 actor */
    [WF_SQL_SECRET_DELETE] =
        {"secret_delete",
         "WITH d AS (DELETE FROM secrets WHERE namespace = $1 AND key = $2"
         "  RETURNING namespace, key, version),"
         " a AS (INSERT INTO audit_log (actor, action, namespace, target, result, details)"
         "  SELECT $3, 'secret.delete', d.namespace, 'secret:' || d.namespace || '/' || d.key,"
         "   'allowed', jsonb_build_object('version', d.version) FROM d)"
         " SELECT key FROM d"},
    /* KV store (migration 0014). $1 namespace, $2 key, $3 type, $4 value (JSON
     * text), $5 description, $6 ttl in milliseconds (NULL: none), $7 actor,
     * $8 key limit. One row: weft_kv_put's answer. The audit entry names the
     * key, its type and size, never the value. */
    [WF_SQL_KV_PUT] =
        {"kv_put",
         "WITH p AS (SELECT weft_kv_put($1, $2, $3, $4::jsonb, $5,"
         "   $6::bigint * interval '1 millisecond', $7, true, $8::int) AS r),"
         " a AS (INSERT INTO audit_log (actor, action, namespace, target, result, details)"
         "  SELECT $7, 'kv.set', $1, 'kv:' || $1 || '/' || $2, 'allowed',"
         "   jsonb_build_object('type', $3, 'size', p.r->'entry'->'size', 'ttlMs', $6::bigint)"
         "  FROM p WHERE p.r->>'outcome' = 'stored')"
         " SELECT r::text FROM p"},
    /* $1 namespace, $2 key: the live entry with its value. */
    [WF_SQL_KV_GET] =
        {"kv_get",
         "SELECT (weft_kv_entry(k) || jsonb_build_object('value', k.value))::text FROM kv k"
         " WHERE k.namespace = $1 AND k.key = $2"
         "  AND (k.expires_at IS NULL OR k.expires_at > now())"},
    /* $1 namespace: its live keys (Kestra lists one namespace, not its children). */
    [WF_SQL_KV_LIST] =
        {"kv_list",
         "SELECT weft_kv_entry(k)::text FROM kv k WHERE k.namespace = $1"
         "  AND (k.expires_at IS NULL OR k.expires_at > now()) ORDER BY k.key"},
    /* $1 namespace, $2 key, $3 actor. A row back only when a live key went. */
    [WF_SQL_KV_DELETE] =
        {"kv_delete",
         "WITH d AS (DELETE FROM kv WHERE namespace = $1 AND key = $2"
         "  RETURNING namespace, key, type, (expires_at IS NULL OR expires_at > now()) AS live),"
         " a AS (INSERT INTO audit_log (actor, action, namespace, target, result, details)"
         "  SELECT $3, 'kv.delete', d.namespace, 'kv:' || d.namespace || '/' || d.key,"
         "   'allowed', jsonb_build_object('type', d.type) FROM d WHERE d.live)"
         " SELECT key FROM d WHERE live"},
    /* ---- namespace files (api/h_nsfiles.c, migration 0019) ---- */
    /* $1 namespace, $2 path: the complete file to stream. */
    [WF_SQL_NSFILE_META] =
        {"nsfile_meta",
         "SELECT id, size, sha256, content_type FROM storage_files"
         " WHERE kind = 'namespace' AND namespace = $1 AND path = $2 AND complete"
         "  AND right(path, 1) <> '/'"},
    /* $1 file id, $2 seq: one chunk, base64 without PostgreSQL's line breaks
     * (the pool speaks text). No row
     * when the file was replaced or deleted meanwhile: the stream is cut. */
    [WF_SQL_NSFILE_CHUNK] =
        {"nsfile_chunk",
         "SELECT translate(encode(c.data, 'base64'), E'\\n', '') FROM storage_chunks c"
         " JOIN storage_files f ON f.id = c.file_id AND f.complete"
         " WHERE c.file_id = $1::bigint AND c.seq = $2::int"},
    /* $1 namespace, $2 actor: the staging row's id (NULL: no owner) and the
     * bytes its domain uses (migration 0017), for the maxStorage quota. */
    [WF_SQL_NSFILE_BEGIN] = {"nsfile_begin",
                             "SELECT weft_nsfile_begin($1, $2),"
                             " weft_storage_used(weft_domain_of($1))"},
    /* $1 staging id, $2 seq, $3 data (base64). */
    [WF_SQL_NSFILE_CHUNK_PUT] =
        {"nsfile_chunk_put",
         "INSERT INTO storage_chunks (file_id, seq, domain, data)"
         " SELECT f.id, $2::int, f.domain, decode($3, 'base64') FROM storage_files f"
         " WHERE f.id = $1::bigint AND NOT f.complete RETURNING seq"},
    /* $1 staging id: an upload that failed half-way. */
    [WF_SQL_NSFILE_ABORT] =
        {"nsfile_abort", "DELETE FROM storage_files WHERE id = $1::bigint AND NOT complete"},
    /* $1 namespace, $2 path, $3 staging id, $4 size, $5 sha256, $6 content
     * type, $7 actor. Audited with the path, size and digest, never the content. */
    [WF_SQL_NSFILE_COMMIT] =
        {"nsfile_commit",
         "WITH c AS (SELECT weft_nsfile_commit($1, $2, $3::bigint, $4::bigint, $5, $6) AS r),"
         " a AS (INSERT INTO audit_log (actor, action, namespace, target, result, details)"
         "  SELECT $7, 'nsfile.put', $1, 'nsfile:' || $1 || $2, 'allowed',"
         "   jsonb_build_object('path', $2, 'size', $4::bigint, 'sha256', $5) FROM c"
         "  WHERE c.r->>'outcome' = 'stored')"
         " SELECT r::text FROM c"},
    /* $1 namespace, $2 directory with a trailing '/' ("/" for the root): one
     * row (found, JSON array of the entries directly in it). */
    [WF_SQL_NSFILE_LIST] =
        {"nsfile_list",
         "WITH r AS (SELECT substr(path, length($2) + 1) AS rest, size, sha256, created_at,"
         "   updated_at FROM storage_files WHERE kind = 'namespace' AND namespace = $1"
         "   AND complete AND left(path, length($2)) = $2),"
         " e AS (SELECT split_part(rest, '/', 1) AS name, bool_or(position('/' IN rest) > 0) AS dir,"
         "   max(size) FILTER (WHERE position('/' IN rest) = 0) AS size,"
         "   max(sha256) FILTER (WHERE position('/' IN rest) = 0) AS sha256,"
         "   min(created_at) AS created, max(updated_at) AS updated FROM r WHERE rest <> ''"
         "   GROUP BY 1)"
         " SELECT $2 = '/' OR EXISTS (SELECT 1 FROM r),"
         "  coalesce((SELECT jsonb_agg(jsonb_build_object('fileName', name,"
         "   'type', CASE WHEN dir THEN 'Directory' ELSE 'File' END,"
         "   'size', CASE WHEN dir THEN 0 ELSE size END,"
         "   'sha256', CASE WHEN dir THEN NULL ELSE sha256 END,"
         "   'creationTime', (extract(epoch FROM created) * 1000)::bigint,"
         "   'lastModifiedTime', (extract(epoch FROM updated) * 1000)::bigint)"
         "   ORDER BY dir DESC, name) FROM e), '[]')::text"},
    /* $1 namespace, $2 path: its attributes, or no row. */
    [WF_SQL_NSFILE_STATS] =
        {"nsfile_stats",
         "SELECT weft_nsfile_attrs(f)::text FROM storage_files f WHERE f.kind = 'namespace'"
         "  AND f.namespace = $1 AND f.path = $2 AND f.complete"
         " UNION ALL SELECT jsonb_build_object('fileName', regexp_replace($2, '^.*/', ''),"
         "  'type', 'Directory', 'size', 0,"
         "  'creationTime', (extract(epoch FROM min(created_at)) * 1000)::bigint,"
         "  'lastModifiedTime', (extract(epoch FROM max(updated_at)) * 1000)::bigint)::text"
         " FROM storage_files WHERE kind = 'namespace' AND namespace = $1 AND complete"
         "  AND ($2 = '/' OR left(path, length($2) + 1) = $2 || '/')"
         " HAVING $2 = '/' OR count(*) > 0 LIMIT 1"},
    /* $1 namespace, $2 path, $3 actor: weft_nsfile_mkdir's answer, audited
     * when a directory was created. */
    [WF_SQL_NSFILE_MKDIR] =
        {"nsfile_mkdir",
         "WITH m AS (SELECT weft_nsfile_mkdir($1, $2, $3) AS r),"
         " a AS (INSERT INTO audit_log (actor, action, namespace, target, result, details)"
         "  SELECT $3, 'nsfile.mkdir', $1, 'nsfile:' || $1 || $2, 'allowed',"
         "   jsonb_build_object('path', $2) FROM m WHERE m.r->>'outcome' = 'created')"
         " SELECT r::text FROM m"},
    /* $1 namespace, $2 path, $3 actor: a row when something was deleted. */
    [WF_SQL_NSFILE_DELETE] =
        {"nsfile_delete",
         "WITH d AS (SELECT weft_nsfile_delete($1, $2) AS r),"
         " a AS (INSERT INTO audit_log (actor, action, namespace, target, result, details)"
         "  SELECT $3, 'nsfile.delete', $1, 'nsfile:' || $1 || $2, 'allowed',"
         "   jsonb_build_object('path', $2) || d.r FROM d WHERE d.r IS NOT NULL)"
         " SELECT r::text FROM d WHERE r IS NOT NULL"},
    /* $1 namespace, $2 from, $3 to, $4 actor: weft_nsfile_move's answer. */
    [WF_SQL_NSFILE_MOVE] =
        {"nsfile_move",
         "WITH m AS (SELECT weft_nsfile_move($1, $2, $3) AS r),"
         " a AS (INSERT INTO audit_log (actor, action, namespace, target, result, details)"
         "  SELECT $4, 'nsfile.move', $1, 'nsfile:' || $1 || $2, 'allowed',"
         "   jsonb_build_object('from', $2, 'to', $3, 'type', m.r->'type', 'files',"
         "    m.r->'files') FROM m WHERE m.r->>'outcome' = 'moved')"
         " SELECT r::text FROM m"},
    /* $1 namespace prefix, $2 actor, $3 action, $4 result, $5 before seq,
     * $6 since (timestamptz), $7 limit; NULL = no filter. Newest first. */
    /* ---- policies (api/h_policy.c) ---- */
    /* $1 namespace ('' = root): the rows of its prefixes, root first. */
    [WF_SQL_POLICY_CHAIN] =
        {"policy_chain",
         "SELECT namespace, policy::text, domain_policy::text, to_json(updated_at)#>>'{}',"
         " updated_by FROM policies WHERE namespace = '' OR namespace = $1"
         " OR left($1, length(namespace) + 1) = namespace || '.' ORDER BY length(namespace)"},
    /* $1 namespace, $2 document, $3 actor, $4 layer ('platform' or 'domain'):
     * replaces that layer only, audited in the same statement. */
    [WF_SQL_POLICY_PUT] =
        {"policy_put",
         "WITH p AS (INSERT INTO policies (namespace, policy, domain_policy, updated_by)"
         "  VALUES ($1, CASE WHEN $4 = 'platform' THEN $2::jsonb ELSE '{}' END,"
         "   CASE WHEN $4 = 'domain' THEN $2::jsonb ELSE '{}' END, $3)"
         "  ON CONFLICT (namespace) DO UPDATE SET"
         "   policy = CASE WHEN $4 = 'platform' THEN EXCLUDED.policy ELSE policies.policy END,"
         "   domain_policy = CASE WHEN $4 = 'domain' THEN EXCLUDED.domain_policy"
         "    ELSE policies.domain_policy END, updated_at = now(), updated_by = $3"
         "  RETURNING namespace, policy, domain_policy, updated_at, updated_by),"
         " a AS (INSERT INTO audit_log (actor, action, namespace, target, result, details)"
         "  SELECT $3, 'policy.set', $1, 'policy:' || $1, 'allowed',"
         "   jsonb_build_object('layer', $4, 'policy', $2::jsonb) FROM p)"
         " SELECT namespace, policy::text, domain_policy::text, to_json(updated_at)#>>'{}',"
         "  updated_by FROM p"},
    [WF_SQL_AUDIT_LIST] =
        {"audit_list",
         "SELECT seq, to_json(ts)#>>'{}', actor, action, namespace, target, result, reason,"
         "  details::text, encode(hash, 'hex') FROM audit_log"
         " WHERE ($1::text IS NULL OR namespace = $1"
         "   OR left(namespace, length($1) + 1) = $1 || '.')"
         "  AND ($2::text IS NULL OR actor = $2) AND ($3::text IS NULL OR action = $3)"
         "  AND ($4::text IS NULL OR result = $4) AND ($5::bigint IS NULL OR seq < $5)"
         "  AND ($6::timestamptz IS NULL OR ts >= $6)"
         " ORDER BY seq DESC LIMIT $7::int"},
    /* ---- grants (api/h_grants.c) ---- */
    /* $1 producer namespace, $2 flows text[], $3 consumer namespace, $4 states
     * text[], $5 subflow, $6 actor. Both namespaces must be owned by a domain:
     * the first two columns say which one is not when nothing was inserted. */
    [WF_SQL_GRANT_CREATE] =
        {"grant_create",
         "WITH d AS (SELECT weft_domain_of($1) AS dom, weft_domain_of($3) AS to_dom),"
         " g AS (INSERT INTO grants (namespace, domain, flows, to_namespace, to_domain, events,"
         "  subflow, created_by) SELECT $1, d.dom, $2::text[], $3, d.to_dom, $4::text[],"
         "  $5::boolean, $6 FROM d WHERE d.dom IS NOT NULL AND d.to_dom IS NOT NULL"
         "  RETURNING *),"
         " a AS (INSERT INTO audit_log (actor, action, namespace, target, result, details)"
         "  SELECT $6, 'grant.create', g.namespace, 'grant:' || g.id, 'allowed',"
         "   jsonb_build_object('flows', g.flows, 'to', g.to_namespace, 'events', g.events,"
         "    'subflow', g.subflow) FROM g)"
         " SELECT d.dom, d.to_dom, " WF_GRANT_COLS " FROM d LEFT JOIN g ON true"},
    /* $1 namespace: grants on it, on its ancestors and below it, revoked ones
     * included (the history). */
    [WF_SQL_GRANT_LIST] =
        {"grant_list",
         "SELECT " WF_GRANT_COLS " FROM grants g WHERE g.namespace = $1"
         "  OR left($1, length(g.namespace) + 1) = g.namespace || '.'"
         "  OR left(g.namespace, length($1) + 1) = $1 || '.'"
         " ORDER BY g.namespace, g.id"},
    /* $1 namespace, $2 id, $3 actor: revokes a grant made on or below the
     * namespace (never above: an admin of a child cannot revoke its parent's
     * grants). The row stays, with revoked_at and revoked_by. */
    [WF_SQL_GRANT_REVOKE] =
        {"grant_revoke",
         "WITH g AS (SELECT id, namespace, revoked_at FROM grants WHERE id = $2::bigint"
         "  AND (namespace = $1 OR left(namespace, length($1) + 1) = $1 || '.') FOR UPDATE),"
         " r AS (UPDATE grants SET revoked_at = now(), revoked_by = $3 FROM g"
         "  WHERE grants.id = g.id AND g.revoked_at IS NULL"
         "  RETURNING grants.id, grants.namespace, grants.to_namespace),"
         " a AS (INSERT INTO audit_log (actor, action, namespace, target, result, details)"
         "  SELECT $3, 'grant.revoke', r.namespace, 'grant:' || r.id, 'allowed',"
         "   jsonb_build_object('to', r.to_namespace) FROM r)"
         " SELECT g.id, CASE WHEN EXISTS (SELECT 1 FROM r) THEN 'revoked-now' ELSE 'revoked'"
         "  END FROM g"},

    /* ---- transactions (api/db.h): the statements between hold one connection ---- */
    [WF_SQL_TXN_BEGIN] = {"txn_begin", "BEGIN"},
    [WF_SQL_TXN_COMMIT] = {"txn_commit", "COMMIT"},
    [WF_SQL_TXN_ROLLBACK] = {"txn_rollback", "ROLLBACK"},

    /* ---- execution files (api/h_files.c, api/uploads.c) ---- */
    /* $1 execution id → its complete files, by path. A file being written
     * (complete = false) is not shown: readers never see part of one. */
    [WF_SQL_FILE_LIST] = {"file_list",
                          "SELECT path, size, sha256, content_type, to_json(created_at)#>>'{}'"
                          " FROM storage_files WHERE kind = 'execution' AND execution_id = $1"
                          "  AND complete ORDER BY path LIMIT 10001"},
    /* $1 path, $2 execution id → the complete file there. The execution is
     * part of the key: a path of another execution is not found here. */
    [WF_SQL_FILE_STAT] = {"file_stat",
                          "SELECT id, size, sha256, content_type, path FROM storage_files"
                          " WHERE kind = 'execution' AND path = $1 AND execution_id = $2"
                          "  AND complete"},
    /* $1 file id, $2 sequence → the first chunk from there (binary: the
     * bytes as stored, not hex text twice their size). */
    [WF_SQL_FILE_CHUNK] = {"file_chunk",
                           "SELECT seq, data FROM storage_chunks WHERE file_id = $1::bigint"
                           "  AND seq >= $2::int ORDER BY seq LIMIT 1",
                           1},
    /* $1 namespace, $2 path, $3 execution id, $4 content type, $5 created by:
     * a new file of a new execution (same transaction), not yet complete.
     * The domain is the namespace's owner (a trigger checks it again). */
    [WF_SQL_UPLOAD_FILE] = {"upload_file",
                            "INSERT INTO storage_files (domain, namespace, kind, path,"
                            "  execution_id, content_type, created_by)"
                            " SELECT weft_domain_of($1), $1, 'execution', $2, $3, $4, $5"
                            " RETURNING id"},
    /* $1 file id, $2 sequence, $3 the bytes (binary parameter, <= 1 MiB). */
    [WF_SQL_UPLOAD_CHUNK] = {"upload_chunk",
                             "INSERT INTO storage_chunks (file_id, seq, domain, data)"
                             " SELECT f.id, $2::int, f.domain, $3::bytea FROM storage_files f"
                             " WHERE f.id = $1::bigint"},
    /* $1 file id, $2 size, $3 hex SHA-256: the file becomes readable. */
    [WF_SQL_UPLOAD_DONE] = {"upload_done",
                            "UPDATE storage_files SET size = $2::bigint, sha256 = $3,"
                            "  complete = true, updated_at = now() WHERE id = $1::bigint"},
    /* $1 namespace → the bytes its domain keeps (maxStorage, migration 0017),
     * this transaction's chunks included. */
    [WF_SQL_UPLOAD_QUOTA] = {"upload_quota",
                             "SELECT d.dom, weft_storage_used(d.dom)"
                             " FROM (SELECT weft_domain_of($1) AS dom) d"},
};

const wf_sql_t *wf_sql_get(wf_sql_id_t id)
{
    return &sql_table[id];
}
