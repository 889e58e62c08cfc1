/* Non-blocking PostgreSQL on an h2o event loop. Each gateway thread owns one
 * wf_db_t: a small pool of libpq connections whose sockets live on that
 * thread's loop, so no request ever blocks a thread on the database.
 * Statements come only from the table in api/sql.c and run as prepared
 * statements (prepared lazily, once per connection). */
#ifndef WF_API_DB_H
#define WF_API_DB_H

#define H2O_USE_LIBUV 0
#include <h2o.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "api/sql.h"

typedef struct wf_db wf_db_t;

/* Called once per query on the loop thread. `res` is the statement's result
 * (check PQresultStatus: SQL errors arrive as PGRES_FATAL_ERROR with their
 * SQLSTATE) or NULL when no connection could run it; `res` is freed after
 * the callback returns. */
typedef void (*wf_db_cb)(void *arg, const PGresult *res);

/* Creates a pool of up to `max_conns` connections to `conninfo` (a URL or
 * key=value string, copied) on `loop`. Connections open lazily and reopen
 * after a failure. Never blocks; never returns NULL. */
wf_db_t *wf_db_create(h2o_loop_t *loop, const char *conninfo, int max_conns);
/* Closes every connection; pending callbacks are called with NULL first. */
void wf_db_destroy(wf_db_t *db);

/* Queues statement `stmt` with `nparams` text parameters (NULL = SQL NULL).
 * Parameters are copied, so callers may free them at once. `cb` runs exactly
 * once on the loop, usually later, but synchronously (before this returns)
 * when the database is known to be down: call it as a handler's last step. */
void wf_db_query(wf_db_t *db, wf_sql_id_t stmt, int nparams, const char *const *params,
                 wf_db_cb cb, void *arg);

/* A transaction: statements run in order on one connection it holds from
 * BEGIN to COMMIT or ROLLBACK (no other job uses that connection meanwhile,
 * so keep it short: never wait on a client inside one). */
typedef struct wf_db_txn wf_db_txn_t;
/* Queues BEGIN. Never returns NULL; end it with wf_db_txn_end exactly once. */
wf_db_txn_t *wf_db_txn_begin(wf_db_t *db);
/* Queues a statement of the transaction. `lengths` NULL: text parameters as
 * wf_db_query; otherwise a parameter with lengths[i] >= 0 is sent as binary
 * (that many bytes, copied) and one with -1 as text. After a failed
 * statement PostgreSQL refuses the rest: end with a rollback. */
void wf_db_txn_query(wf_db_txn_t *t, wf_sql_id_t stmt, int nparams, const char *const *params,
                     const int *lengths, wf_db_cb cb, void *arg);
/* Queues COMMIT (`commit`) or ROLLBACK; `cb` (may be NULL) gets its result:
 * a COMMIT of a failed transaction answers with the command tag ROLLBACK,
 * and NULL means the connection was lost (nothing committed). The
 * transaction is freed after `cb` returns. */
void wf_db_txn_end(wf_db_txn_t *t, bool commit, wf_db_cb cb, void *arg);

/* Number of queries queued or running (used to drain on shutdown). */
int wf_db_pending(const wf_db_t *db);

/* Short reason of the last connection failure ("" when none), for /readyz. */
const char *wf_db_last_error(const wf_db_t *db);

/* Helpers on results. */
bool wf_db_ok(const PGresult *res); /* TUPLES_OK or COMMAND_OK */
/* SQLSTATE of a failed result, or "" (never NULL). */
const char *wf_db_sqlstate(const PGresult *res);
/* Value of row/col or NULL when SQL NULL or out of range. */
const char *wf_db_get(const PGresult *res, int row, int col);
/* Row `row` as {"id": column 0 as an integer, names[k]: column k + 1 as text}
 * for the names up to a NULL; NULL, like json_pack, when a text column is
 * SQL NULL. The caller owns the object. */
json_t *wf_db_id_row(const PGresult *res, int row, const char *const names[]);

#endif
