/* Schema migrations: numbered SQL files (platform/migrations/NNNN_name.sql)
 * embedded in the binary, applied in order, each in its own transaction, and
 * recorded in schema_migrations. */
#ifndef WF_MIGRATE_H
#define WF_MIGRATE_H

#include <stddef.h>
#include <libpq-fe.h>

typedef struct wf_migration {
    int version;
    const char *name; /* file name without .sql */
    const char *sql;
} wf_migration_t;

/* The embedded migrations, sorted by version (generated at build time). */
extern const wf_migration_t wf_migrations[];
extern const size_t wf_migrations_count;

/* Highest version this binary knows. */
int wf_migrations_latest(void);

typedef enum {
    WF_SCHEMA_CURRENT = 0, /* every embedded migration applied */
    WF_SCHEMA_PENDING = 1, /* some not applied yet */
    WF_SCHEMA_NEWER = 2,   /* database has versions this binary does not know */
    WF_SCHEMA_ERROR = -1,
} wf_schema_status_t;

/* Compares the database with the embedded list; `db_version` gets the
 * highest applied version (0 for an empty database). */
wf_schema_status_t wf_schema_status(PGconn *conn, int *db_version, char *err, size_t errlen);

/* Applies pending migrations under an advisory lock (concurrent callers wait,
 * then find nothing to do). Refuses a database newer than the binary.
 * `applied` gets the number applied. Returns 0 or -1 with `err` set. */
int wf_migrate(PGconn *conn, int *applied, char *err, size_t errlen);

#endif
