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

void wf_store_params_init(wf_store_params_t *p, const char *url, const char *app_name,
                          int dead_peer_ms)
{
    memset(p, 0, sizeof(*p));
    if (dead_peer_ms > 0) {
        /* Idle: probes start after half the budget, one a second, and
         * tcp_user_timeout (which also bounds unanswered probes on Linux)
         * ends the connection once data or probes stay unacknowledged for
         * the whole budget. */
        int idle_s = dead_peer_ms / 2000 > 0 ? dead_peer_ms / 2000 : 1;
        snprintf(p->num[0], sizeof(p->num[0]), "%d", idle_s);
        snprintf(p->num[1], sizeof(p->num[1]), "%d", dead_peer_ms);
        const char *k[] = {"keepalives", "keepalives_idle", "keepalives_interval",
                           "keepalives_count", "tcp_user_timeout"};
        const char *v[] = {"1", p->num[0], "1", "3", p->num[1]};
        for (int i = 0; i < 5; i++) {
            p->keys[p->n] = k[i];
            p->vals[p->n++] = v[i];
        }
    }
    /* expand_dbname: dbname may be a URL or a conninfo string; it overrides
     * what came before it, and what comes after overrides it. */
    p->keys[p->n] = "dbname";
    p->vals[p->n++] = url;
    p->keys[p->n] = "application_name";
    p->vals[p->n++] = app_name;
    p->keys[p->n] = "connect_timeout";
    p->vals[p->n++] = "10";
}

void wf_store_params_add(wf_store_params_t *p, const char *key, const char *val)
{
    /* Dropping one (a `user`, say) could connect as someone else: a broken
     * invariant, not something to carry on from. */
    if (p->n + 1 >= (int)(sizeof(p->keys) / sizeof(p->keys[0])))
        wf_fatal("wf_store_params_add: no room for %s", key);
    p->keys[p->n] = key;
    p->vals[p->n++] = val;
}

PGconn *wf_store_connect_params(const wf_store_params_t *p, char *err, size_t errlen)
{
    PGconn *conn = PQconnectdbParams(p->keys, p->vals, 1);
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

PGconn *wf_store_connect(const char *url, const char *app_name, char *err, size_t errlen)
{
    wf_store_params_t p;
    wf_store_params_init(&p, url, app_name, 0);
    return wf_store_connect_params(&p, err, errlen);
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
