/* Blocking libpq helpers for tools and start-up paths (migrate, up, bootstrap).
 * Daemons' hot paths use non-blocking connections on their own loops. All SQL
 * is parameterised: never build statements from user data. */
#ifndef WF_STORE_H
#define WF_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <libpq-fe.h>

#include "platform/config.h"

/* A daemon's connection parameters, NULL-terminated for
 * PQconnectdbParams/PQconnectStartParams with expand_dbname = 1: the URL (or
 * conninfo string), the process's application_name and a 10 s connect
 * timeout; with dead_peer_ms > 0 also TCP keepalives and tcp_user_timeout, so
 * that a peer which vanished (a host gone, a link cut: no FIN, no RST ever
 * comes) is an error within about dead_peer_ms instead of after TCP's
 * retransmissions (~15 minutes). The keepalive settings come before the URL,
 * so a URL that sets any of them wins; application_name comes after it.
 * Caller-owned storage; the strings given must outlive the use. */
typedef struct {
    const char *keys[12];
    const char *vals[12];
    char num[2][24]; /* keepalives_idle, tcp_user_timeout */
    int n;
} wf_store_params_t;
void wf_store_params_init(wf_store_params_t *p, const char *url, const char *app_name,
                          int dead_peer_ms);
/* One more parameter after the URL (it overrides the URL's); at most 2. */
void wf_store_params_add(wf_store_params_t *p, const char *key, const char *val);
/* Connects with `p` (blocking), installs a notice processor that logs
 * server notices at debug level. Returns NULL with `err` filled. */
PGconn *wf_store_connect_params(const wf_store_params_t *p, char *err, size_t errlen);
/* wf_store_connect_params with the URL and application_name only. */
PGconn *wf_store_connect(const char *url, const char *app_name, char *err, size_t errlen);
/* The database URL from the config (database.url or WEFT_DATABASE_URL
 * already applied); NULL when the embedded server is meant. */
const char *wf_store_url(const wf_config_t *cfg);
/* PQexecParams with text parameters. Caller PQclear()s. */
PGresult *wf_store_query(PGconn *conn, const char *sql, int nparams, const char *const *params);
/* Runs a statement expecting rows: its result (the caller PQclear()s), or
 * NULL with `err` holding the server's message as it came. */
PGresult *wf_store_rows(PGconn *conn, const char *sql, int nparams, const char *const *params,
                        char *err, size_t errlen);
/* Runs a statement expecting no rows; returns 0, or -1 with `err`. */
int wf_store_exec(PGconn *conn, const char *sql, int nparams, const char *const *params, char *err,
                  size_t errlen);
/* One PQgetResult() step of a command sent asynchronously: keeps the first
 * result in *first (clearing any later one) and returns true once the
 * command is complete; *first (may be NULL) is then the caller's. */
bool wf_store_next_result(PGconn *conn, PGresult **first);
/* True when the connection failed for a reason worth reconnecting on. */
bool wf_store_connection_lost(PGconn *conn);

#endif
