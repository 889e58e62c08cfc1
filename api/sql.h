/* The gateway's SQL: every statement it runs is a row of the table in
 * api/sql.c (name, text), prepared once per connection. Mutations are single
 * statements whose CTEs also write the audit row and, for new executions,
 * pg_notify the owning domain: one statement is one transaction, so the
 * audit row and the wake-up commit (or roll back) with the change. */
#ifndef WF_API_SQL_H
#define WF_API_SQL_H

typedef enum {
    WF_SQL_SCHEMA_VERSION = 0,
    WF_SQL_AUDIT_INSERT,
    WF_SQL_BINDINGS_FOR,
    WF_SQL_SA_AUTH,
    WF_SQL_BINDING_CREATE,
    WF_SQL_BINDING_LIST,
    WF_SQL_BINDING_GET,
    WF_SQL_BINDING_DELETE,
    WF_SQL_SA_CREATE,
    WF_SQL_SA_LIST,
    WF_SQL_SA_TOKEN_CREATE,
    WF_SQL_SA_TOKEN_LIST,
    WF_SQL_SA_TOKEN_REVOKE,
    WF_SQL_SA_DELETE,
    WF_SQL_DOMAIN_CREATE,
    WF_SQL_DOMAIN_LIST,
    WF_SQL_DOMAIN_ADD_NS,
    WF_SQL_FLOW_UPSERT,
    WF_SQL_FLOW_GET_JOINED,
    WF_SQL_FLOW_DELETE,
    WF_SQL_FLOW_REVISIONS,
    WF_SQL_FLOW_TRIGGERS,
    WF_SQL_FLOW_LIST,
    WF_SQL_FLOW_FOR_RUN,
    WF_SQL_EXEC_CREATE,
    WF_SQL_EXEC_CREATE_KEYED,
    WF_SQL_IDEM_FIND,
    WF_SQL_IDEM_SWEEP,
    WF_SQL_EXEC_ACTIVE,
    WF_SQL_EXEC_META,
    WF_SQL_EXEC_GET,
    WF_SQL_EXEC_LIST,
    WF_SQL_EXEC_KILL,
    WF_SQL_EXEC_RESUME,
    WF_SQL_EXEC_RESTART,
    WF_SQL_LOGS_PAGE_END,
    WF_SQL_LOGS_BATCH,
    WF_SQL_LOGS_SSE,
    WF_SQL_SECRET_TARGET,
    WF_SQL_SECRET_STORE,
    WF_SQL_SECRET_LIST,
    WF_SQL_SECRET_DELETE,
    WF_SQL_KV_PUT,
    WF_SQL_KV_GET,
    WF_SQL_KV_LIST,
    WF_SQL_KV_DELETE,
    WF_SQL_NSFILE_META,
    WF_SQL_NSFILE_CHUNK,
    WF_SQL_NSFILE_BEGIN,
    WF_SQL_NSFILE_CHUNK_PUT,
    WF_SQL_NSFILE_ABORT,
    WF_SQL_NSFILE_COMMIT,
    WF_SQL_NSFILE_LIST,
    WF_SQL_NSFILE_STATS,
    WF_SQL_NSFILE_MKDIR,
    WF_SQL_NSFILE_DELETE,
    WF_SQL_NSFILE_MOVE,
    WF_SQL_AUDIT_LIST,
    WF_SQL_GRANT_CREATE,
    WF_SQL_GRANT_LIST,
    WF_SQL_GRANT_REVOKE,
    WF_SQL_POLICY_CHAIN,
    WF_SQL_POLICY_PUT,
    /* transactions (api/db.h wf_db_txn_*) */
    WF_SQL_TXN_BEGIN,
    WF_SQL_TXN_COMMIT,
    WF_SQL_TXN_ROLLBACK,
    /* execution files: downloads (api/h_files.c) and uploads (api/uploads.c) */
    WF_SQL_FILE_LIST,
    WF_SQL_FILE_STAT,
    WF_SQL_FILE_CHUNK,
    WF_SQL_UPLOAD_FILE,
    WF_SQL_UPLOAD_CHUNK,
    WF_SQL_UPLOAD_DONE,
    WF_SQL_UPLOAD_QUOTA,
    WF_SQL_COUNT
} wf_sql_id_t;

typedef struct wf_sql {
    const char *name; /* prepared statement name */
    const char *sql;
    int binary; /* 1: results in binary format (bytea read without decoding) */
} wf_sql_t;

/* The row for `id` (never NULL for a valid id). */
const wf_sql_t *wf_sql_get(wf_sql_id_t id);

#endif
