#include "platform/migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/log.h"
#include "platform/store.h"
#include "platform/xmalloc.h"

/* Arbitrary constant naming the advisory lock that serialises migrators
 * (several daemons may start at once against the same database). */
#define WF_MIGRATE_LOCK_KEY "7431907145216311"

int wf_migrations_latest(void)
{
    int latest = 0;
    for (size_t i = 0; i < wf_migrations_count; i++)
        if (wf_migrations[i].version > latest)
            latest = wf_migrations[i].version;
    return latest;
}

static int applied_versions(PGconn *conn, int **out, size_t *n, char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    PGresult *r = wf_store_query(conn, "SELECT to_regclass('public.schema_migrations') IS NOT NULL",
                                 0, NULL);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        snprintf(err, errlen, "%s", PQresultErrorMessage(r));
        PQclear(r);
        return -1;
    }
    int exists = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    if (!exists)
        return 0;
    r = wf_store_query(conn, "SELECT version FROM schema_migrations ORDER BY version", 0, NULL);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        snprintf(err, errlen, "%s", PQresultErrorMessage(r));
        PQclear(r);
        return -1;
    }
    *n = (size_t)PQntuples(r);
    *out = wf_xcalloc(*n, sizeof(int));
    for (size_t i = 0; i < *n; i++)
        (*out)[i] = atoi(PQgetvalue(r, (int)i, 0));
    PQclear(r);
    return 0;
}

static int contains(const int *list, size_t n, int v)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] == v)
            return 1;
    return 0;
}

wf_schema_status_t wf_schema_status(PGconn *conn, int *db_version, char *err, size_t errlen)
{
    int *have;
    size_t n;
    if (applied_versions(conn, &have, &n, err, errlen) != 0)
        return WF_SCHEMA_ERROR;
    *db_version = n ? have[n - 1] : 0;
    wf_schema_status_t st = WF_SCHEMA_CURRENT;
    if (*db_version > wf_migrations_latest()) {
        st = WF_SCHEMA_NEWER;
    } else {
        for (size_t i = 0; i < wf_migrations_count; i++)
            if (!contains(have, n, wf_migrations[i].version))
                st = WF_SCHEMA_PENDING;
    }
    free(have);
    return st;
}

static int run(PGconn *conn, const char *sql, char *err, size_t errlen)
{
    PGresult *r = PQexec(conn, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok)
        snprintf(err, errlen, "%s", PQresultErrorMessage(r));
    PQclear(r);
    return ok ? 0 : -1;
}

int wf_migrate(PGconn *conn, int *applied, char *err, size_t errlen)
{
    int rc = -1, *have = NULL;
    size_t n = 0;
    *applied = 0;
    if (run(conn, "SELECT pg_advisory_lock(" WF_MIGRATE_LOCK_KEY ")", err, errlen) != 0)
        return -1;
    if (run(conn,
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())",
            err, errlen) != 0)
        goto out;
    if (applied_versions(conn, &have, &n, err, errlen) != 0)
        goto out;
    int latest = wf_migrations_latest();
    if (n > 0 && have[n - 1] > latest) {
        snprintf(err, errlen,
                 "the database schema is at version %d but this weftd knows only up to %d: "
                 "upgrade weftd before using this database",
                 have[n - 1], latest);
        goto out;
    }
    for (size_t i = 0; i < wf_migrations_count; i++) {
        const wf_migration_t *m = &wf_migrations[i];
        if (contains(have, n, m->version))
            continue;
        char verr[1024];
        /* Each migration and its bookkeeping row commit together or not at all. */
        if (run(conn, "BEGIN", err, errlen) != 0)
            goto out;
        if (run(conn, m->sql, verr, sizeof(verr)) != 0) {
            char ignored[256];
            run(conn, "ROLLBACK", ignored, sizeof(ignored));
            snprintf(err, errlen, "migration %s failed: %s", m->name, verr);
            goto out;
        }
        char version[16];
        snprintf(version, sizeof(version), "%d", m->version);
        const char *params[] = {version, m->name};
        PGresult *r = wf_store_query(
            conn, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", 2, params);
        int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok)
            snprintf(err, errlen, "recording migration %s: %s", m->name, PQresultErrorMessage(r));
        PQclear(r);
        if (!ok || run(conn, "COMMIT", err, errlen) != 0) {
            char ignored[256];
            run(conn, "ROLLBACK", ignored, sizeof(ignored));
            goto out;
        }
        wf_info("applied migration %s", m->name);
        (*applied)++;
    }
    rc = 0;
out:
    free(have);
    {
        char ignored[256];
        run(conn, "SELECT pg_advisory_unlock(" WF_MIGRATE_LOCK_KEY ")", ignored, sizeof(ignored));
    }
    return rc;
}
