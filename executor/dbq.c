/* Statements the executor sends without waiting for their answer.
 *
 * The executor's connection is in libpq's non-blocking mode and its socket
 * is on the event loop. The writes made on every state change (an
 * execution's save, a batch of log lines) are queued here: the first is
 * sent at once, the loop carries on with sandboxes and timers, and when the
 * answer arrives its callback runs and the next statement goes out. One
 * connection keeps them in the order they were queued, so a later save never
 * overtakes an earlier one.
 *
 * Reads whose answer the caller needs at once (claims, lookups) still wait:
 * before one runs, wf_xdbq_wait() lets everything queued finish first (its
 * callbacks run), so the connection is idle and the order holds for them too.
 *
 * Ownership: a queued item owns copies of its parameters until it is sent
 * (libpq copies them into its output buffer then); `arg` belongs to the
 * callback, which runs exactly once per queued item, also when the
 * statement could not be sent or the connection was lost (result NULL). */
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "executor/executor.h"
#include "platform/log.h"
#include "platform/store.h"
#include "platform/xmalloc.h"

typedef struct dbq_item {
    char *stmt;
    int n;
    char **params;
    wf_xdbq_cb cb;
    void *arg;
    struct dbq_item *next;
} dbq_item_t;

struct wf_xdbq {
    dbq_item_t *head, *tail; /* head is in flight when `in_flight` */
    bool in_flight;
    bool want_write;  /* EPOLLOUT armed: libpq has unsent bytes */
    PGresult *result; /* first result of the statement in flight */
    bool buffered;    /* a blocking statement ran: libpq may hold notifications */
};

static void item_free(dbq_item_t *it)
{
    for (int i = 0; i < it->n; i++)
        free(it->params[i]);
    free(it->params);
    free(it->stmt);
    free(it);
}

static void set_write_interest(wf_executor_t *ex, bool on)
{
    struct wf_xdbq *q = ex->dbq;
    if (q->want_write == on || !ex->db_io.active)
        return;
    q->want_write = on;
    wf_loop_io_mod(ex->loop, &ex->db_io, EPOLLIN | (on ? EPOLLOUT : 0));
}

/* The head item is done: its callback runs with `r` (owned here). */
static void complete_head(wf_executor_t *ex, PGresult *r)
{
    struct wf_xdbq *q = ex->dbq;
    dbq_item_t *it = q->head;
    q->head = it->next;
    if (q->head == NULL)
        q->tail = NULL;
    q->in_flight = false;
    if (it->cb)
        it->cb(ex, r, it->arg);
    PQclear(r);
    item_free(it);
}

/* Sends the head item if nothing is in flight. Items that cannot be sent
 * complete at once with a NULL result. */
static void send_next(wf_executor_t *ex)
{
    struct wf_xdbq *q = ex->dbq;
    while (!q->in_flight && q->head != NULL) {
        dbq_item_t *it = q->head;
        int ok = PQsendQueryPrepared(ex->db, it->stmt, it->n, (const char *const *)it->params, NULL,
                                     NULL, 0);
        if (!ok) {
            char msg[256];
            snprintf(msg, sizeof(msg), "%s", PQerrorMessage(ex->db));
            msg[strcspn(msg, "\n")] = '\0';
            wf_error("database: cannot send %s: %s", it->stmt, msg);
            complete_head(ex, NULL);
            continue;
        }
        /* libpq holds its own copy now. */
        for (int i = 0; i < it->n; i++) {
            free(it->params[i]);
            it->params[i] = NULL;
        }
        q->in_flight = true;
        int fl = PQflush(ex->db);
        set_write_interest(ex, fl == 1);
    }
}

int wf_xdbq_init(wf_executor_t *ex)
{
    ex->dbq = wf_xcalloc(1, sizeof(*ex->dbq));
    /* Sends never block the loop; PQexec* still wait (they ignore the mode). */
    return PQsetnonblocking(ex->db, 1) == 0 ? 0 : -1;
}

void wf_xdbq_dispose(wf_executor_t *ex)
{
    if (ex->dbq == NULL)
        return;
    if (ex->db != NULL && PQstatus(ex->db) == CONNECTION_OK)
        wf_xdbq_wait(ex);
    /* Connection gone: the callbacks still run once, without a result. */
    while (ex->dbq->head != NULL)
        complete_head(ex, NULL);
    PQclear(ex->dbq->result);
    free(ex->dbq);
    ex->dbq = NULL;
}

int wf_xdbq_send(wf_executor_t *ex, const char *stmt, int n, const char *const *params,
                 wf_xdbq_cb cb, void *arg)
{
    dbq_item_t *it = wf_xcalloc(1, sizeof(*it));
    it->stmt = wf_xstrdup(stmt);
    it->n = n;
    it->params = wf_xcalloc((size_t)(n > 0 ? n : 1), sizeof(char *));
    /* Parameter values are the size the data makes them (a batch of log
     * lines, an execution's outputs): a failed copy is the caller's error. */
    bool ok = true;
    for (int i = 0; ok && i < n; i++)
        if (params[i] != NULL && (it->params[i] = strdup(params[i])) == NULL)
            ok = false;
    if (!ok) {
        item_free(it);
        return -1;
    }
    it->cb = cb;
    it->arg = arg;
    struct wf_xdbq *q = ex->dbq;
    if (q->tail)
        q->tail->next = it;
    else
        q->head = it;
    q->tail = it;
    send_next(ex);
    return 0;
}

/* Collects what the statement in flight has returned so far; completes it
 * when libpq says it is done. `block`: wait for the server. */
static void collect(wf_executor_t *ex, bool block)
{
    struct wf_xdbq *q = ex->dbq;
    while (q->in_flight) {
        if (!block && PQisBusy(ex->db))
            return;
        if (!wf_store_next_result(ex->db, &q->result))
            continue;
        PGresult *first = q->result;
        q->result = NULL;
        complete_head(ex, first);
        send_next(ex);
    }
}

void wf_xdbq_wait(wf_executor_t *ex)
{
    if (ex->dbq == NULL)
        return;
    /* PQgetResult flushes what is unsent and waits for the answer. */
    collect(ex, true);
    set_write_interest(ex, false);
    ex->dbq->buffered = true;
}

int wf_xdbq_on_ready(wf_executor_t *ex, uint32_t events)
{
    struct wf_xdbq *q = ex->dbq;
    q->buffered = false;
    if (events & EPOLLOUT) {
        int fl = PQflush(ex->db);
        if (fl < 0)
            return -1;
        set_write_interest(ex, fl == 1);
    }
    if (!PQconsumeInput(ex->db))
        return -1;
    collect(ex, false);
    int fired = 0;
    PGnotify *n;
    while ((n = PQnotifies(ex->db)) != NULL) {
        fired = 1;
        PQfreemem(n);
    }
    return fired;
}

bool wf_xdbq_buffered(wf_executor_t *ex)
{
    return ex->dbq != NULL && ex->dbq->buffered;
}
