#include "platform/store.h"

#include <stdio.h>
#include <string.h>

#include "platform/log.h"

static void notice_to_log(void *arg, const char *message)
{
    (void)arg;
    size_t len = strlen(message);
    wf_debug("postgres: %.*s", (int)(len && message[len - 1] == '\n' ? len - 1 : len), message);
}

PGconn *wf_store_connect(const char *url, const char *app_name, char *err, size_t errlen)
{
    const char *keys[] = {"dbname", "application_name", "connect_timeout", NULL};
    const char *vals[] = {url, app_name, "10", NULL};
    /* expand_dbname=1: dbname may be a URL or a conninfo string. */
    PGconn *conn = PQconnectdbParams(keys, vals, 1);
    if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
        snprintf(err, errlen, "cannot connect to the database: %s",
                 conn ? PQerrorMessage(conn) : "out of memory");
        size_t n = strlen(err);
        if (n && err[n - 1] == '\n')
            err[n - 1] = '\0';
        PQfinish(conn);
        return NULL;
    }
    PQsetNoticeProcessor(conn, notice_to_log, NULL);
    return conn;
}

const char *wf_store_url(const wf_config_t *cfg)
{
    return cfg->database.url;
}

PGresult *wf_store_query(PGconn *conn, const char *sql, int nparams, const char *const *params)
{
    return PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
}

PGresult *wf_store_rows(PGconn *conn, const char *sql, int nparams, const char *const *params,
                        char *err, size_t errlen)
{
    PGresult *r = wf_store_query(conn, sql, nparams, params);
    if (PQresultStatus(r) == PGRES_TUPLES_OK)
        return r;
    snprintf(err, errlen, "%s", PQresultErrorMessage(r));
    PQclear(r);
    return NULL;
}

int wf_store_exec(PGconn *conn, const char *sql, int nparams, const char *const *params, char *err,
                  size_t errlen)
{
    PGresult *r = wf_store_query(conn, sql, nparams, params);
    ExecStatusType st = PQresultStatus(r);
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok && err != NULL) {
        snprintf(err, errlen, "%s", PQresultErrorMessage(r));
        size_t n = strlen(err);
        if (n && err[n - 1] == '\n')
            err[n - 1] = '\0';
    }
    PQclear(r);
    return ok ? 0 : -1;
}

bool wf_store_connection_lost(PGconn *conn)
{
    return PQstatus(conn) == CONNECTION_BAD;
}

bool wf_store_next_result(PGconn *conn, PGresult **first)
{
    PGresult *r = PQgetResult(conn);
    if (r == NULL)
        return true;
    if (*first == NULL)
        *first = r;
    else
        PQclear(r);
    return false;
}
