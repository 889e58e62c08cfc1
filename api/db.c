#include "api/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/log.h"
#include "platform/store.h"
#include "platform/xmalloc.h"

/* A queued query, with its own copy of the parameters (freed with it). */
typedef struct db_job {
    struct db_job *next;
    wf_sql_id_t stmt;
    int nparams;
    char **params;
    int *lengths; /* NULL: every parameter is text; else -1 text, >= 0 binary bytes */
    int *formats;
    wf_db_cb cb;
    void *arg;
    struct wf_db_txn *txn; /* the transaction it belongs to, or NULL */
    bool ends_txn;         /* COMMIT or ROLLBACK: the connection is free after it */
    bool sent;             /* handed to a connection */
} db_job_t;

/* A transaction holds one connection from its BEGIN to its COMMIT or
 * ROLLBACK; its statements wait in its own queue, never behind other
 * requests' jobs, and no other job runs on that connection meanwhile. */
struct wf_db_txn {
    wf_db_t *db;
    struct db_conn *conn;  /* NULL until BEGIN is sent, and after a failure */
    db_job_t *head, *tail; /* statements waiting for the connection */
    bool broken;           /* the connection was lost: every later statement fails */
    int refs;              /* its jobs, plus one until its COMMIT/ROLLBACK has run */
};

typedef enum {
    CONN_DOWN = 0,   /* no PGconn; opened on demand */
    CONN_CONNECTING, /* PQconnectPoll in progress */
    CONN_IDLE,       /* ready for a job */
    CONN_PREPARING,  /* waiting for PQsendPrepare's result */
    CONN_RUNNING,    /* waiting for the job's result */
} conn_state_t;

typedef struct db_conn {
    wf_db_t *db;
    PGconn *pg;
    h2o_socket_t *sock; /* libpq's fd wrapped with DONT_READ: we only get readiness */
    int sock_fd;
    conn_state_t state;
    db_job_t *job;       /* the job being run */
    PGresult *result;    /* first result of the current command */
    unsigned char prepared[WF_SQL_COUNT];
    struct wf_db_txn *txn; /* the transaction holding this connection, or NULL */
} db_conn_t;

struct wf_db {
    h2o_loop_t *loop;
    char *conninfo;
    int n_conns;
    db_conn_t *conns;
    db_job_t *head, *tail; /* jobs waiting for an idle connection */
    int pending;
    char last_error[256];
    h2o_timeout_t retry_timeout; /* back-off before reconnecting after a failure */
    h2o_timeout_entry_t retry_entry;
    uint64_t down_until; /* ms: no reconnect attempt before this */
};

static void conn_on_ready(h2o_socket_t *sock, const char *err);
static void pump(wf_db_t *db);

static void set_error(wf_db_t *db, const char *msg)
{
    snprintf(db->last_error, sizeof(db->last_error), "%s", msg ? msg : "unknown error");
    /* libpq messages end with a newline; keep log lines single. */
    size_t n = strlen(db->last_error);
    while (n > 0 && (db->last_error[n - 1] == '\n' || db->last_error[n - 1] == ' '))
        db->last_error[--n] = '\0';
}

static void job_finish(wf_db_t *db, db_job_t *job, const PGresult *res);
static void txn_fail_queued(wf_db_txn_t *t);

static void job_free(db_job_t *job)
{
    for (int i = 0; i < job->nparams; i++)
        free(job->params[i]);
    free(job->params);
    free(job->lengths);
    free(job->formats);
    free(job);
}

static void txn_release(wf_db_txn_t *t)
{
    if (--t->refs == 0)
        free(t);
}

static void job_finish(wf_db_t *db, db_job_t *job, const PGresult *res)
{
    db->pending--;
    wf_db_txn_t *t = job->txn;
    bool begin_lost = t != NULL && job->stmt == WF_SQL_TXN_BEGIN && !job->sent;
    if (begin_lost)
        /* BEGIN never reached a server (the database is down): the
         * transaction's statements fail instead of waiting forever. */
        t->broken = true;
    job->cb(job->arg, res);
    bool ends = job->ends_txn;
    job_free(job);
    if (t == NULL)
        return;
    if (begin_lost)
        txn_fail_queued(t);
    if (ends)
        t->refs--; /* the owner's reference (the job's still counts): it is over */
    txn_release(t);
}

/* Fails every statement still waiting in a transaction whose connection is
 * gone (their callbacks may queue more, which fail at once). */
static void txn_fail_queued(wf_db_txn_t *t)
{
    t->refs++;
    while (t->head != NULL) {
        db_job_t *job = t->head;
        t->head = job->next;
        if (t->head == NULL)
            t->tail = NULL;
        job_finish(t->db, job, NULL);
    }
    txn_release(t);
}

/* Hands the running job its result; the connection is free for the next. */
static void conn_finish_job(db_conn_t *c, const PGresult *res)
{
    db_job_t *job = c->job;
    c->job = NULL;
    c->state = CONN_IDLE;
    if (job->ends_txn) {
        c->txn = NULL;
        job->txn->conn = NULL;
    }
    if (job->stmt == WF_SQL_TXN_BEGIN && res != NULL && PQresultStatus(res) != PGRES_COMMAND_OK &&
        job->txn != NULL) {
        /* No transaction was opened: release the connection, fail the rest. */
        c->txn = NULL;
        job->txn->conn = NULL;
        job->txn->broken = true;
        job->sent = false; /* job_finish then fails the queued statements */
    }
    job_finish(c->db, job, res);
}

/* Detaches libpq's fd from the loop without closing it: libpq owns the fd. */
static void conn_unwatch(db_conn_t *c)
{
    if (c->sock == NULL)
        return;
    h2o_socket_export_t info;
    if (h2o_socket_export(c->sock, &info) == 0)
        h2o_buffer_dispose(&info.input);
    c->sock = NULL;
    c->sock_fd = -1;
}

static void conn_watch(db_conn_t *c)
{
    int fd = PQsocket(c->pg);
    if (c->sock != NULL && c->sock_fd == fd)
        return;
    conn_unwatch(c);
    c->sock = h2o_evloop_socket_create(c->db->loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    c->sock->data = c;
    c->sock_fd = fd;
}

static void notice_sink(void *arg, const char *message)
{
    (void)arg;
    wf_debug("postgres: %s", message);
}

/* Closes the connection; a running job fails with NULL. */
static void conn_reset(db_conn_t *c, const char *why)
{
    wf_db_t *db = c->db;
    if (why != NULL) {
        set_error(db, why);
        wf_warn("database connection lost: %s", db->last_error);
    }
    conn_unwatch(c);
    if (c->pg != NULL)
        PQfinish(c->pg);
    c->pg = NULL;
    if (c->result != NULL)
        PQclear(c->result);
    c->result = NULL;
    memset(c->prepared, 0, sizeof(c->prepared));
    c->state = CONN_DOWN;
    db_job_t *job = c->job;
    c->job = NULL;
    wf_db_txn_t *txn = c->txn;
    c->txn = NULL;
    if (txn != NULL) {
        /* The server rolled the transaction back with the connection. */
        txn->conn = NULL;
        txn->broken = true;
        txn->refs++;
    }
    if (job != NULL)
        job_finish(db, job, NULL);
    if (txn != NULL) {
        txn_fail_queued(txn);
        txn_release(txn);
    }
    /* Wait a little before the next attempt so a dead server is not hammered. */
    db->down_until = h2o_now(db->loop) + 500;
}

static void wait_read(db_conn_t *c)
{
    h2o_socket_read_start(c->sock, conn_on_ready);
}

static void conn_on_writable(h2o_socket_t *sock, const char *err);

/* Flushes libpq's output buffer, waiting for writability when it is full. */
static int conn_flush(db_conn_t *c)
{
    int r = PQflush(c->pg);
    if (r < 0)
        return -1;
    if (r == 1)
        h2o_socket_notify_write(c->sock, conn_on_writable);
    wait_read(c);
    return 0;
}

static void conn_on_writable(h2o_socket_t *sock, const char *err)
{
    db_conn_t *c = sock->data;
    if (c->state == CONN_CONNECTING) {
        conn_on_ready(sock, err);
        return;
    }
    if (conn_flush(c) != 0)
        conn_reset(c, PQerrorMessage(c->pg));
}

static void connect_step(db_conn_t *c)
{
    switch (PQconnectPoll(c->pg)) {
    case PGRES_POLLING_OK:
        PQsetnonblocking(c->pg, 1);
        PQsetNoticeProcessor(c->pg, notice_sink, NULL);
        conn_watch(c);
        h2o_socket_read_stop(c->sock);
        c->state = CONN_IDLE;
        c->db->last_error[0] = '\0';
        return;
    case PGRES_POLLING_READING:
        conn_watch(c);
        wait_read(c);
        return;
    case PGRES_POLLING_WRITING:
        conn_watch(c);
        h2o_socket_read_stop(c->sock);
        h2o_socket_notify_write(c->sock, conn_on_writable);
        return;
    default:
        conn_reset(c, PQerrorMessage(c->pg));
        return;
    }
}

/* A request waits on its connection: one whose server vanished (a link
 * cut, a host gone) fails within this, and the next request reconnects. */
#define DEAD_PEER_MS 10000

static void conn_open(db_conn_t *c)
{
    /* Named, so a DBA can tell the gateway's sessions in pg_stat_activity. */
    wf_store_params_t p;
    wf_store_params_init(&p, c->db->conninfo, "weft-gateway", DEAD_PEER_MS);
    c->pg = PQconnectStartParams(p.keys, p.vals, 1);
    if (c->pg == NULL || PQstatus(c->pg) == CONNECTION_BAD) {
        conn_reset(c, c->pg ? PQerrorMessage(c->pg) : "out of memory");
        return;
    }
    c->state = CONN_CONNECTING;
    connect_step(c);
}

static void send_job(db_conn_t *c)
{
    const wf_sql_t *s = wf_sql_get(c->job->stmt);
    int r;
    c->job->sent = true;
    if (!c->prepared[c->job->stmt]) {
        r = PQsendPrepare(c->pg, s->name, s->sql, 0, NULL);
        c->state = CONN_PREPARING;
    } else {
        r = PQsendQueryPrepared(c->pg, s->name, c->job->nparams,
                                (const char *const *)c->job->params, c->job->lengths,
                                c->job->formats, s->binary ? 1 : 0);
        c->state = CONN_RUNNING;
    }
    if (r != 1 || conn_flush(c) != 0)
        conn_reset(c, PQerrorMessage(c->pg));
}

/* Reads every available result; when the command is complete, moves on. */
static void conn_on_ready(h2o_socket_t *sock, const char *err)
{
    (void)err; /* libpq finds a broken connection itself, with a better message */
    db_conn_t *c = sock->data;
    if (c->state == CONN_CONNECTING) {
        connect_step(c);
        pump(c->db);
        return;
    }
    if (PQconsumeInput(c->pg) != 1) {
        conn_reset(c, PQerrorMessage(c->pg));
        pump(c->db);
        return;
    }
    /* Drain notifications we never asked for (LISTEN is not used here). */
    PGnotify *n;
    while ((n = PQnotifies(c->pg)) != NULL)
        PQfreemem(n);
    while (!PQisBusy(c->pg)) {
        if (!wf_store_next_result(c->pg, &c->result))
            continue;
        /* The command is complete. */
        PGresult *done = c->result;
        c->result = NULL;
        if (c->state == CONN_PREPARING) {
            bool ok = done != NULL && PQresultStatus(done) == PGRES_COMMAND_OK;
            if (!ok) {
                /* A statement that does not prepare is a programming error
                 * (or a schema mismatch); fail the job, keep the connection. */
                wf_error("preparing %s: %s", wf_sql_get(c->job->stmt)->name,
                         done ? PQresultErrorMessage(done) : "no result");
                conn_finish_job(c, done);
                if (done != NULL)
                    PQclear(done);
                break;
            }
            PQclear(done);
            c->prepared[c->job->stmt] = 1;
            send_job(c);
            return;
        }
        if (c->state == CONN_RUNNING)
            conn_finish_job(c, done);
        if (done != NULL)
            PQclear(done);
        break;
    }
    if (c->state == CONN_IDLE && c->sock != NULL) {
        /* Keep watching an idle connection so a server-side close is seen. */
        wait_read(c);
        if (PQstatus(c->pg) == CONNECTION_BAD)
            conn_reset(c, PQerrorMessage(c->pg));
    }
    pump(c->db);
}

static void on_retry(h2o_timeout_entry_t *entry)
{
    wf_db_t *db = H2O_STRUCT_FROM_MEMBER(wf_db_t, retry_entry, entry);
    pump(db);
}

/* Hands queued jobs to idle connections, opening connections as needed. */
static void pump(wf_db_t *db)
{
    /* Transactions first: their statements run on the connection they hold. */
    for (int i = 0; i < db->n_conns; i++) {
        db_conn_t *c = &db->conns[i];
        if (c->state == CONN_IDLE && c->txn != NULL && c->txn->head != NULL) {
            db_job_t *job = c->txn->head;
            c->txn->head = job->next;
            if (c->txn->head == NULL)
                c->txn->tail = NULL;
            job->next = NULL;
            c->job = job;
            h2o_socket_read_stop(c->sock);
            send_job(c);
        }
    }
    while (db->head != NULL) {
        db_conn_t *idle = NULL, *down = NULL;
        bool connecting = false;
        for (int i = 0; i < db->n_conns; i++) {
            db_conn_t *c = &db->conns[i];
            if (c->state == CONN_IDLE && c->txn != NULL)
                continue; /* held by a transaction */
            if (c->state == CONN_IDLE && idle == NULL)
                idle = c;
            else if (c->state == CONN_DOWN && down == NULL)
                down = c;
            else if (c->state == CONN_CONNECTING)
                connecting = true;
        }
        if (idle == NULL) {
            if (down != NULL && !connecting) {
                if (h2o_now(db->loop) < db->down_until) {
                    /* Recently failed: fail fast rather than queue behind a
                     * dead server, and try again after the back-off. */
                    bool any_up = false;
                    for (int i = 0; i < db->n_conns; i++)
                        any_up = any_up || db->conns[i].state != CONN_DOWN;
                    if (!any_up) {
                        db_job_t *job = db->head;
                        db->head = job->next;
                        if (db->head == NULL)
                            db->tail = NULL;
                        job_finish(db, job, NULL);
                        continue;
                    }
                    if (!h2o_timeout_is_linked(&db->retry_entry))
                        h2o_timeout_link(db->loop, &db->retry_timeout, &db->retry_entry);
                    return;
                }
                conn_open(down);
                continue;
            }
            if (down != NULL && connecting) {
                /* Open one more while the first is connecting if the queue
                 * is longer than one job. */
                if (db->head->next != NULL && h2o_now(db->loop) >= db->down_until)
                    conn_open(down);
            }
            return;
        }
        db_job_t *job = db->head;
        db->head = job->next;
        if (db->head == NULL)
            db->tail = NULL;
        job->next = NULL;
        idle->job = job;
        if (job->txn != NULL) {
            /* BEGIN: from now on the connection is the transaction's. */
            idle->txn = job->txn;
            job->txn->conn = idle;
        }
        h2o_socket_read_stop(idle->sock);
        send_job(idle);
    }
}

wf_db_t *wf_db_create(h2o_loop_t *loop, const char *conninfo, int max_conns)
{
    wf_db_t *db = wf_xcalloc(1, sizeof(*db));
    db->loop = loop;
    db->conninfo = wf_xstrdup(conninfo ? conninfo : "");
    db->n_conns = max_conns > 0 ? max_conns : 1;
    db->conns = wf_xcalloc((size_t)db->n_conns, sizeof(db_conn_t));
    for (int i = 0; i < db->n_conns; i++) {
        db->conns[i].db = db;
        db->conns[i].sock_fd = -1;
    }
    h2o_timeout_init(loop, &db->retry_timeout, 500);
    db->retry_entry.cb = on_retry;
    return db;
}

void wf_db_destroy(wf_db_t *db)
{
    if (db == NULL)
        return;
    while (db->head != NULL) {
        db_job_t *job = db->head;
        db->head = job->next;
        job_finish(db, job, NULL);
    }
    for (int i = 0; i < db->n_conns; i++)
        if (db->conns[i].state != CONN_DOWN)
            conn_reset(&db->conns[i], NULL);
    if (h2o_timeout_is_linked(&db->retry_entry))
        h2o_timeout_unlink(&db->retry_entry);
    h2o_timeout_dispose(db->loop, &db->retry_timeout);
    free(db->conns);
    free(db->conninfo);
    free(db);
}

static db_job_t *job_new(wf_sql_id_t stmt, int nparams, const char *const *params,
                         const int *lengths, wf_db_cb cb, void *arg)
{
    db_job_t *job = wf_xcalloc(1, sizeof(*job));
    job->stmt = stmt;
    job->cb = cb;
    job->arg = arg;
    job->nparams = nparams;
    job->params = wf_xcalloc((size_t)(nparams > 0 ? nparams : 1), sizeof(char *));
    if (lengths != NULL) {
        job->lengths = wf_xcalloc((size_t)(nparams > 0 ? nparams : 1), sizeof(int));
        job->formats = wf_xcalloc((size_t)(nparams > 0 ? nparams : 1), sizeof(int));
    }
    /* The copies are as long as values the request already holds, which the
     * gateway bounded (gateway.max_body, or a chunk of an upload) before any
     * handler ran. */
    for (int i = 0; i < nparams; i++) {
        if (params[i] == NULL)
            continue;
        if (lengths != NULL && lengths[i] >= 0) {
            job->params[i] = wf_xmalloc((size_t)lengths[i] + 1);
            memcpy(job->params[i], params[i], (size_t)lengths[i]);
            job->lengths[i] = lengths[i];
            job->formats[i] = 1;
        } else {
            job->params[i] = wf_xstrdup(params[i]);
        }
    }
    return job;
}

void wf_db_query(wf_db_t *db, wf_sql_id_t stmt, int nparams, const char *const *params,
                 wf_db_cb cb, void *arg)
{
    db_job_t *job = job_new(stmt, nparams, params, NULL, cb, arg);
    if (db->tail != NULL)
        db->tail->next = job;
    else
        db->head = job;
    db->tail = job;
    db->pending++;
    pump(db);
}

static void txn_ignore(void *arg, const PGresult *res)
{
    (void)arg;
    (void)res;
}

wf_db_txn_t *wf_db_txn_begin(wf_db_t *db)
{
    wf_db_txn_t *t = wf_xcalloc(1, sizeof(*t));
    t->db = db;
    t->refs = 2; /* the owner, until its end has run, and BEGIN */
    /* BEGIN waits in the shared queue like any job; its result is not
     * needed: a failed BEGIN fails the statements after it. */
    db_job_t *job = job_new(WF_SQL_TXN_BEGIN, 0, NULL, NULL, txn_ignore, NULL);
    job->txn = t;
    if (db->tail != NULL)
        db->tail->next = job;
    else
        db->head = job;
    db->tail = job;
    db->pending++;
    pump(db);
    return t;
}

static void txn_queue(wf_db_txn_t *t, db_job_t *job)
{
    job->txn = t;
    t->refs++;
    t->db->pending++;
    if (t->broken) {
        /* The server already rolled it back: answer at once. */
        job_finish(t->db, job, NULL);
        return;
    }
    if (t->tail != NULL)
        t->tail->next = job;
    else
        t->head = job;
    t->tail = job;
    pump(t->db);
}

void wf_db_txn_query(wf_db_txn_t *t, wf_sql_id_t stmt, int nparams, const char *const *params,
                     const int *lengths, wf_db_cb cb, void *arg)
{
    txn_queue(t, job_new(stmt, nparams, params, lengths, cb, arg));
}

void wf_db_txn_end(wf_db_txn_t *t, bool commit, wf_db_cb cb, void *arg)
{
    db_job_t *job = job_new(commit ? WF_SQL_TXN_COMMIT : WF_SQL_TXN_ROLLBACK, 0, NULL, NULL,
                            cb ? cb : txn_ignore, arg);
    job->ends_txn = true;
    txn_queue(t, job);
}

int wf_db_pending(const wf_db_t *db)
{
    return db->pending;
}

const char *wf_db_last_error(const wf_db_t *db)
{
    return db->last_error;
}

bool wf_db_ok(const PGresult *res)
{
    if (res == NULL)
        return false;
    ExecStatusType s = PQresultStatus(res);
    return s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK;
}

const char *wf_db_sqlstate(const PGresult *res)
{
    const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    return s ? s : "";
}

const char *wf_db_get(const PGresult *res, int row, int col)
{
    if (res == NULL || row >= PQntuples(res) || col >= PQnfields(res) ||
        PQgetisnull(res, row, col))
        return NULL;
    return PQgetvalue(res, row, col);
}

json_t *wf_db_id_row(const PGresult *res, int row, const char *const names[])
{
    json_t *o = json_pack("{s:I}", "id", (json_int_t)strtoll(wf_db_get(res, row, 0), NULL, 10));
    for (int k = 0; o != NULL && names[k] != NULL; k++) {
        const char *v = wf_db_get(res, row, k + 1);
        json_t *s = v != NULL ? json_string(v) : NULL;
        if (s == NULL || json_object_set_new(o, names[k], s) != 0) {
            json_decref(o);
            o = NULL;
        }
    }
    return o;
}
