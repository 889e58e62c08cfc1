#include "api/sql.h"

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
         " SELECT id, subject, role, namespace, created_at, created_by FROM b"},
    /* $1 namespace: bindings on it, on its ancestors and below it. Prefixes
     * are compared with left(), not LIKE, since '_' is a LIKE wildcard. */
    [WF_SQL_BINDING_LIST] =
        {"binding_list",
         "SELECT id, subject, role, namespace, created_at, created_by FROM role_bindings"
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
         " SELECT id, namespace, name, description, created_at, created_by FROM s"},
    [WF_SQL_SA_LIST] = {"sa_list",
                        "SELECT id, namespace, name, description, created_at, created_by"
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
         " SELECT id, created_at, expires_at FROM t"},
    [WF_SQL_SA_TOKEN_LIST] =
        {"sa_token_list",
         "SELECT t.id, t.description, t.created_at, t.created_by, t.expires_at, t.revoked_at,"
         "  t.last_used_at FROM sa_tokens t JOIN service_accounts a ON a.id = t.account_id"
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
                            "  FROM namespaces WHERE domain = d.name), '[]'), d.created_at"
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
};

const wf_sql_t *wf_sql_get(wf_sql_id_t id)
{
    return &sql_table[id];
}
