/* io.kestra.plugin.jdbc.postgresql.Query: libpq in non-blocking mode on the
 * executor's loop (PQconnectStartParams/PQconnectPoll, PQsendQuery*, the
 * connection's socket watched by epoll), rows read one at a time
 * (single-row mode) so the row and byte bounds hold before memory is spent.
 *
 * The target is checked before libpq sees it: a Unix socket directory must be
 * listed as unix:/DIR, a TCP host passes wf_egress_allowed by name and its
 * address is resolved here, checked with wf_egress_addr_allowed and pinned
 * with `hostaddr` so libpq connects to exactly the address checked. libpq is
 * kept away from the executor's own files and environment: no password file,
 * no client certificate, no GSSAPI. The password is never logged. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <openssl/crypto.h>

#include "executor/egress.h"
#include "executor/filetasks.h"
#include "executor/net.h"
#include "executor/proc.h"
#include "platform/log.h"
#include "platform/xmalloc.h"
#include "tenants/policy.h"
#include "platform/text.h"

typedef enum { FETCH_NONE, FETCH_ONE, FETCH_ALL } fetch_t;

/* Where a COPY stands: the data phase runs between the COPY result and the
 * command's end, on the same non-blocking connection. */
typedef enum { COPY_NONE, COPY_IN_RUNNING, COPY_OUT_RUNNING } copy_t;

#define COPY_CHUNK (64 * 1024)
/* Bytes moved per loop turn before yielding (a local socket never blocks). */
#define COPY_TURN (4 * 1024 * 1024)

typedef struct pg_job {
    wf_executor_t *ex;
    wf_trun_t *tr;
    PGconn *conn;
    wf_io_t io;
    int fd;
    bool connected, sent, set_done;
    char *sql;
    json_t *params; /* array of values for $1..$n, or NULL */
    fetch_t fetch;
    json_t *rows;
    int64_t n_rows, bytes, max_rows, max_bytes;
    char target[640]; /* for messages: host:port/db or socket dir (every field fits) */
    wf_timer_t timeout_timer, kill_timer;
    int64_t timeout_ms;
    bool killed;
    /* CopyIn / CopyOut (WF_TASK_PG_COPY_*): the file on this side of the
     * COPY is an anonymous temporary file (filetasks.h); its statement (j->sql) is built
     * once connected (identifiers and literals are escaped by libpq). */
    wf_task_kind_t kind;
    json_t *sets; /* Queries: one {rows|row, size} per result set */
    copy_t copy;
    json_t *copy_props;
    int file_fd;
    int64_t file_off, file_max, copy_rows;
    bool copy_in_ended;
    char *copy_buf;
} pg_job_t;

/* The connection parameters parsed from the url and properties. */
typedef struct pg_target {
    char host[300]; /* name, address or socket directory */
    char port[8];
    char db[256];
    char user[256];
    char *password; /* wiped */
    char sslmode[16];
    char app[64];
    char connect_timeout[12];
    char hostaddr[INET6_ADDRSTRLEN];
} pg_target_t;

/* ---- job lifetime ------------------------------------------------------------- */

static void job_free(pg_job_t *j)
{
    wf_loop_t *loop = j->ex->loop;
    wf_loop_timer_cancel(loop, &j->timeout_timer);
    wf_loop_timer_cancel(loop, &j->kill_timer);
    wf_loop_io_del(loop, &j->io); /* before the socket is closed */
    if (j->conn)
        PQfinish(j->conn);
    free(j->sql);
    json_decref(j->params);
    json_decref(j->rows);
    json_decref(j->copy_props);
    json_decref(j->sets);
    if (j->file_fd >= 0)
        close(j->file_fd);
    free(j->copy_buf);
    free(j);
}

/* Ends the attempt; consumes `outs`. */
static void job_report(pg_job_t *j, wf_state_t st, json_t *outs, const char *error)
{
    wf_executor_t *ex = j->ex;
    wf_trun_t *tr = j->tr;
    job_free(j);
    wf_xproc_job_done(ex, tr, st, outs, error);
    json_decref(outs);
}

static void job_fail(pg_job_t *j, const char *fmt, const char *detail)
{
    char msg[1200];
    snprintf(msg, sizeof(msg), fmt, detail);
    /* libpq messages end with a newline. */
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    job_report(j, WF_ST_FAILED, NULL, msg);
}

/* Asks the server to stop the running query: closing our end alone leaves
 * a statement like pg_sleep() running until it next writes to us. libpq 15
 * only has the blocking PQcancel; it connects to the address the query's
 * connection already reached (checked by egress) and is short. */
static void cancel_query(pg_job_t *j)
{
    if (j->conn == NULL || !j->sent)
        return;
    PGcancel *c = PQgetCancel(j->conn);
    if (c != NULL) {
        char buf[256];
        PQcancel(c, buf, sizeof(buf));
        PQfreeCancel(c);
    }
}

static void on_timeout(wf_timer_t *t)
{
    pg_job_t *j = t->arg;
    cancel_query(j);
    char msg[64];
    snprintf(msg, sizeof(msg), "%lld ms", (long long)j->timeout_ms);
    job_fail(j, "timed out after %s", msg);
}

static void on_killed(wf_timer_t *t)
{
    job_report(t->arg, WF_ST_KILLED, NULL, NULL);
}

static void job_kill(void *arg)
{
    pg_job_t *j = arg;
    if (j->killed)
        return;
    j->killed = true;
    cancel_query(j);
    wf_loop_io_del(j->ex->loop, &j->io);
    if (j->conn) {
        PQfinish(j->conn);
        j->conn = NULL;
    }
    wf_loop_timer_cancel(j->ex->loop, &j->timeout_timer);
    wf_loop_timer_arm(j->ex->loop, &j->kill_timer, 0, on_killed, j);
}

static void job_abandon(void *arg)
{
    job_free(arg);
}

static const wf_xproc_job_ops_t pg_ops = {job_kill, job_abandon};

/* ---- rows ----------------------------------------------------------------------- */

static json_t *value_of(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return json_null();
    const char *v = PQgetvalue(r, row, col);
    int len = PQgetlength(r, row, col);
    char *end;
    switch (PQftype(r, col)) {
    case 16: /* bool */
        return json_boolean(v[0] == 't');
    case 20: /* int8 */
    case 21: /* int2 */
    case 23: /* int4 */
    case 26: /* oid */
        return json_integer(strtoll(v, NULL, 10));
    case 700:  /* float4 */
    case 701:  /* float8 */
    case 1700: /* numeric */ {
        double d = strtod(v, &end);
        if (*end != '\0' || !isfinite(d))
            break; /* NaN, Infinity, huge numerics: as text */
        if (PQftype(r, col) == 1700 && strchr(v, '.') == NULL && fabs(d) < 9e15)
            return json_integer(strtoll(v, NULL, 10));
        return json_real(d);
    }
    case 114:  /* json */
    case 3802: /* jsonb */ {
        json_t *j = json_loadb(v, (size_t)len, JSON_DECODE_ANY, NULL);
        if (j)
            return j;
        break;
    }
    default:
        break;
    }
    return json_stringn(v, (size_t)len);
}

/* Takes one result; returns 0, or -1 after failing the job. */
static int take_result(pg_job_t *j, PGresult *r)
{
    ExecStatusType st = PQresultStatus(r);
    char msg[64];
    switch (st) {
    case PGRES_SINGLE_TUPLE:
        if (j->set_done) { /* a later statement's rows replace earlier ones */
            json_array_clear(j->rows);
            j->n_rows = j->bytes = 0;
            j->set_done = false;
        }
        j->n_rows++;
        if (j->fetch == FETCH_NONE || (j->fetch == FETCH_ONE && j->n_rows > 1))
            return 0;
        if (j->n_rows > j->max_rows) {
            snprintf(msg, sizeof(msg), "%lld", (long long)j->max_rows);
            job_fail(j, "the query returned more than %s rows (executor.query_max_rows)", msg);
            return -1;
        }
        json_t *row = json_object();
        for (int c = 0; c < PQnfields(r); c++) {
            j->bytes += PQgetlength(r, 0, c) + (int64_t)strlen(PQfname(r, c));
            json_t *v = value_of(r, 0, c);
            if (v == NULL) {
                json_decref(row);
                job_fail(j, "column %s holds text that is not UTF-8", PQfname(r, c));
                return -1;
            }
            json_object_set_new(row, PQfname(r, c), v);
        }
        json_array_append_new(j->rows, row);
        if (j->bytes > j->max_bytes) {
            snprintf(msg, sizeof(msg), "%lld", (long long)j->max_bytes);
            job_fail(j, "the query returned more than %s bytes (executor.query_max_bytes)", msg);
            return -1;
        }
        return 0;
    case PGRES_TUPLES_OK:
        if (j->kind == WF_TASK_PG_QUERIES && j->fetch != FETCH_NONE) {
            /* Queries: one output per statement that returned rows; the
             * byte bound holds over all of them. */
            json_t *o = json_object();
            if (j->fetch == FETCH_ONE) {
                json_t *first = json_array_get(j->rows, 0);
                json_object_set(o, "row", first ? first : json_null());
                json_object_set_new(o, "size", json_integer(first ? 1 : 0));
            } else {
                json_object_set(o, "rows", j->rows);
                json_object_set_new(o, "size", json_integer(j->n_rows));
            }
            json_array_append_new(j->sets, o);
            json_decref(j->rows);
            j->rows = json_array();
            j->n_rows = 0;
            return 0;
        }
        j->set_done = true;
        return 0;
    case PGRES_COMMAND_OK:
    case PGRES_EMPTY_QUERY:
        return 0;
    default: {
        const char *e = PQresultErrorMessage(r);
        job_fail(j, "query failed: %s", e && e[0] ? e : PQresStatus(st));
        return -1;
    }
    }
}

static void finish_ok(pg_job_t *j)
{
    json_t *outs = json_object();
    if (j->kind == WF_TASK_PG_QUERIES) {
        if (j->fetch != FETCH_NONE)
            json_object_set(outs, "outputs", j->sets);
        job_report(j, WF_ST_SUCCESS, outs, NULL);
        return;
    }
    if (j->kind == WF_TASK_PG_COPY_IN) {
        json_object_set_new(outs, "rowCount", json_integer(j->copy_rows));
        job_report(j, WF_ST_SUCCESS, outs, NULL);
        return;
    }
    if (j->kind == WF_TASK_PG_COPY_OUT) {
        /* The exported file becomes the task run's output file. */
        char err[700], *uri = NULL, name[64];
        const char *fmt = wf_json_str(j->copy_props, "format");
        snprintf(name, sizeof(name), "copy-out.%s",
                 fmt && strcasecmp(fmt, "CSV") == 0      ? "csv"
                 : fmt && strcasecmp(fmt, "BINARY") == 0 ? "bin"
                                                         : "txt");
        if (wf_xft_store_fd(j->ex, j->tr, name, j->file_fd, NULL, &uri, NULL, err,
                            sizeof(err)) != 0) {
            json_decref(outs);
            job_report(j, WF_ST_FAILED, NULL, err);
            return;
        }
        json_object_set_new(outs, "uri", json_string(uri));
        json_object_set_new(outs, "rowCount", json_integer(j->copy_rows));
        free(uri);
        job_report(j, WF_ST_SUCCESS, outs, NULL);
        return;
    }
    if (j->fetch == FETCH_ONE) {
        json_t *first = json_array_get(j->rows, 0);
        json_object_set(outs, "row", first ? first : json_null());
        json_object_set_new(outs, "size", json_integer(first ? 1 : 0));
    } else if (j->fetch == FETCH_ALL) {
        json_object_set(outs, "rows", j->rows);
        json_object_set_new(outs, "size", json_integer(j->n_rows));
    }
    job_report(j, WF_ST_SUCCESS, outs, NULL);
}

/* ---- the loop side ------------------------------------------------------------- */

static void on_io(wf_io_t *io, uint32_t events);

/* Watches the connection's socket for `events`; libpq may change sockets
 * while connecting (another host or address). Returns 0 or -1. */
static int watch(pg_job_t *j, uint32_t events)
{
    int fd = PQsocket(j->conn);
    if (fd < 0)
        return -1;
    if (j->io.active && fd == j->fd)
        return wf_loop_io_mod(j->ex->loop, &j->io, events);
    wf_loop_io_del(j->ex->loop, &j->io);
    j->fd = fd;
    return wf_loop_io_add(j->ex->loop, &j->io, fd, events, on_io, j);
}

static int build_copy_sql(pg_job_t *j, char *err, size_t len);

static void send_query(pg_job_t *j)
{
    int ok;
    if (j->kind == WF_TASK_PG_COPY_IN || j->kind == WF_TASK_PG_COPY_OUT) {
        char err[600] = "";
        if (build_copy_sql(j, err, sizeof(err)) != 0) {
            job_fail(j, "%s", err);
            return;
        }
    }
    if (json_array_size(j->params) > 0) {
        size_t n = json_array_size(j->params);
        const char **vals = calloc(n, sizeof(*vals));
        char **owned = calloc(n, sizeof(*owned));
        for (size_t i = 0; vals && owned && i < n; i++) {
            json_t *v = json_array_get(j->params, i);
            if (json_is_null(v))
                vals[i] = NULL;
            else if (json_is_string(v))
                vals[i] = json_string_value(v);
            else
                vals[i] = owned[i] = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        }
        ok = vals && owned &&
             PQsendQueryParams(j->conn, j->sql, (int)n, NULL, vals, NULL, NULL, 0);
        for (size_t i = 0; owned && i < n; i++)
            free(owned[i]);
        free(owned);
        free(vals);
    } else {
        ok = PQsendQuery(j->conn, j->sql);
    }
    if (!ok) {
        job_fail(j, "cannot send the query: %s", PQerrorMessage(j->conn));
        return;
    }
    if (j->copy_props == NULL)
        PQsetSingleRowMode(j->conn);
    j->sent = true;
    int f = PQflush(j->conn);
    if (f < 0 || watch(j, EPOLLIN | (f == 1 ? EPOLLOUT : 0)) != 0)
        job_fail(j, "connection lost: %s", PQerrorMessage(j->conn));
}

/* ---- COPY ------------------------------------------------------------------------ */

/* An identifier as the flow wrote it: a plain name goes as is (PostgreSQL
 * folds it to lower case, as it would in Kestra's statement); anything else
 * is quoted by libpq. */
static int put_ident(pg_job_t *j, FILE *f, const char *name)
{
    bool plain = name[0] != '\0' && !(name[0] >= '0' && name[0] <= '9');
    for (const char *p = name; *p && plain; p++)
        plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                (*p >= '0' && *p <= '9') || *p == '_';
    if (plain)
        return fputs(name, f) < 0 ? -1 : 0;
    char *q = PQescapeIdentifier(j->conn, name, strlen(name));
    if (q == NULL)
        return -1;
    fputs(q, f);
    PQfreemem(q);
    return 0;
}

/* `schema.table` or `table`. */
static int put_table(pg_job_t *j, FILE *f, const char *table)
{
    const char *dot = strchr(table, '.');
    if (dot == NULL)
        return put_ident(j, f, table);
    char schema[256];
    if ((size_t)(dot - table) >= sizeof(schema))
        return -1;
    memcpy(schema, table, (size_t)(dot - table));
    schema[dot - table] = '\0';
    if (put_ident(j, f, schema) != 0)
        return -1;
    fputc('.', f);
    return put_ident(j, f, dot + 1);
}

/* ` (a, b)` from a list of names; nothing for an absent or empty list. */
static int put_columns(pg_job_t *j, FILE *f, json_t *cols)
{
    if (!json_is_array(cols) || json_array_size(cols) == 0)
        return 0;
    fputs(" (", f);
    size_t i;
    json_t *c;
    json_array_foreach(cols, i, c) {
        if (!json_is_string(c) || (i > 0 && fputs(", ", f) < 0) ||
            put_ident(j, f, json_string_value(c)) != 0)
            return -1;
    }
    fputc(')', f);
    return 0;
}

static int put_literal(pg_job_t *j, FILE *f, const char *v)
{
    char *q = PQescapeLiteral(j->conn, v, strlen(v));
    if (q == NULL)
        return -1;
    fputs(q, f);
    PQfreemem(q);
    return 0;
}

/* COPY table|(query) FROM STDIN|TO STDOUT WITH (...) from the properties
 * (Kestra's names for PostgreSQL's options). */
static int build_copy_sql(pg_job_t *j, char *err, size_t len)
{
    json_t *p = j->copy_props;
    bool in = j->kind == WF_TASK_PG_COPY_IN;
    const char *table = wf_json_str(p, "table"), *sql = wf_json_str(p, "sql");
    const char *fmt = wf_json_str(p, "format");
    char *text = NULL;
    size_t tlen = 0;
    FILE *f = open_memstream(&text, &tlen);
    if (f == NULL) {
        snprintf(err, len, "out of memory");
        return -1;
    }
    int rc = 0;
    fputs("COPY ", f);
    if (!in && sql != NULL) {
        /* A query as Kestra's examples write it may end in ';'. */
        size_t n = strlen(sql);
        while (n > 0 && (sql[n - 1] == ';' || sql[n - 1] == ' ' || sql[n - 1] == '\n' ||
                         sql[n - 1] == '\t' || sql[n - 1] == '\r'))
            n--;
        fprintf(f, "(%.*s)", (int)n, sql);
    } else if (table != NULL) {
        rc |= put_table(j, f, table);
        rc |= put_columns(j, f, json_object_get(p, "columns"));
    } else {
        fclose(f);
        free(text);
        snprintf(err, len, in ? "table is required" : "table or sql is required");
        return -1;
    }
    fputs(in ? " FROM STDIN" : " TO STDOUT", f);
    fprintf(f, " WITH (FORMAT %s", fmt && strcasecmp(fmt, "CSV") == 0      ? "csv"
                                    : fmt && strcasecmp(fmt, "BINARY") == 0 ? "binary"
                                                                            : "text");
    if (wf_json_bool(p, "header", false))
        fputs(", HEADER true", f);
    if (in && wf_json_bool(p, "freeze", false))
        fputs(", FREEZE true", f);
    static const struct {
        const char *prop, *opt;
    } lits[] = {{"delimiter", "DELIMITER"}, {"nullString", "NULL"}, {"quote", "QUOTE"},
                {"escape", "ESCAPE"},       {"encoding", "ENCODING"}};
    for (size_t i = 0; i < sizeof(lits) / sizeof(lits[0]); i++) {
        const char *v = wf_json_str(p, lits[i].prop);
        if (v != NULL) {
            fprintf(f, ", %s ", lits[i].opt);
            rc |= put_literal(j, f, v);
        }
    }
    static const struct {
        const char *prop, *opt;
        bool in;
    } lists[] = {{"forceQuote", "FORCE_QUOTE", false},
                 {"forceNotNull", "FORCE_NOT_NULL", true},
                 {"forceNull", "FORCE_NULL", true}};
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        json_t *l = json_object_get(p, lists[i].prop);
        if (!json_is_array(l) || json_array_size(l) == 0)
            continue;
        if (lists[i].in != in) {
            fclose(f);
            free(text);
            snprintf(err, len, "%s applies only to %s", lists[i].prop,
                     lists[i].in ? "CopyIn" : "CopyOut");
            return -1;
        }
        fprintf(f, ", %s", lists[i].opt);
        rc |= put_columns(j, f, l);
    }
    fputc(')', f);
    if (fclose(f) != 0 || rc != 0 || text == NULL) {
        free(text);
        snprintf(err, len, "cannot build the COPY statement (a name or option is malformed)");
        return -1;
    }
    free(j->sql);
    j->sql = text;
    return 0;
}

/* Waits for `events` on the connection: 0, or -1 after failing the job. */
static int wait_for(pg_job_t *j, uint32_t events)
{
    if (watch(j, events) == 0)
        return 0;
    job_fail(j, "%s", "lost the connection's socket");
    return -1;
}

/* Sends the next part of the file. Returns 1 when everything was sent and
 * flushed, 0 when waiting for the socket, -1 after failing the job. */
static int copy_in_step(pg_job_t *j)
{
    int64_t turn = 0;
    while (!j->copy_in_ended) {
        if (turn >= COPY_TURN)
            return wait_for(j, EPOLLIN | EPOLLOUT);
        ssize_t n = pread(j->file_fd, j->copy_buf, COPY_CHUNK, j->file_off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            PQputCopyEnd(j->conn, "the source file could not be read");
            job_fail(j, "cannot read the source file: %s", strerror(errno));
            return -1;
        }
        int rc = n == 0 ? PQputCopyEnd(j->conn, NULL) : PQputCopyData(j->conn, j->copy_buf, (int)n);
        if (rc < 0) {
            job_fail(j, "COPY failed: %s", PQerrorMessage(j->conn));
            return -1;
        }
        if (rc == 0) /* libpq's buffer is full: wait until the socket drains */
            return wait_for(j, EPOLLIN | EPOLLOUT);
        if (n == 0)
            j->copy_in_ended = true;
        j->file_off += n;
        turn += n;
    }
    int f = PQflush(j->conn);
    if (f < 0) {
        job_fail(j, "connection lost: %s", PQerrorMessage(j->conn));
        return -1;
    }
    if (f == 1)
        return wait_for(j, EPOLLIN | EPOLLOUT);
    j->copy = COPY_NONE;
    return wait_for(j, EPOLLIN) == 0 ? 1 : -1;
}

/* Writes what the server sent to the file. Same returns as copy_in_step. */
static int copy_out_step(pg_job_t *j)
{
    int64_t turn = 0;
    for (;;) {
        char *buf = NULL;
        int n = PQgetCopyData(j->conn, &buf, 1);
        if (n == 0) /* nothing buffered: wait for input (no longer for EPOLLOUT) */
            return wait_for(j, EPOLLIN);
        if (n == -1) {
            j->copy = COPY_NONE;
            return 1;
        }
        if (n < 0) {
            job_fail(j, "COPY failed: %s", PQerrorMessage(j->conn));
            return -1;
        }
        if (j->file_off + n > j->file_max) {
            PQfreemem(buf);
            cancel_query(j);
            char msg[64];
            snprintf(msg, sizeof(msg), "%lld", (long long)j->file_max);
            job_fail(j, "the COPY output is larger than %s bytes (the storage file size limit)",
                     msg);
            return -1;
        }
        const char *p = buf;
        size_t left = (size_t)n;
        while (left > 0) {
            ssize_t w = write(j->file_fd, p, left);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                PQfreemem(buf);
                cancel_query(j);
                job_fail(j, "cannot write the exported file in the work area: %s",
                         w < 0 ? strerror(errno) : "short write");
                return -1;
            }
            p += w;
            left -= (size_t)w;
        }
        PQfreemem(buf);
        j->file_off += n;
        turn += n;
        if (turn >= COPY_TURN) {
            /* Yield; libpq may hold more than the socket will announce, so
             * come back through EPOLLOUT, which is ready at once. */
            return wait_for(j, EPOLLIN | EPOLLOUT);
        }
    }
}

/* Reads results (and runs the data phase of a COPY) as far as the
 * connection allows without blocking. */
static void pump(pg_job_t *j)
{
    for (;;) {
        if (j->copy == COPY_IN_RUNNING && copy_in_step(j) != 1)
            return;
        if (j->copy == COPY_OUT_RUNNING) {
            if (copy_out_step(j) != 1 || wait_for(j, EPOLLIN) != 0)
                return;
        }
        while (!PQisBusy(j->conn)) {
            PGresult *r = PQgetResult(j->conn);
            if (r == NULL) {
                finish_ok(j);
                return;
            }
            ExecStatusType st = PQresultStatus(r);
            if ((st == PGRES_COPY_IN || st == PGRES_COPY_OUT) && j->copy_props != NULL) {
                PQclear(r);
                j->copy = st == PGRES_COPY_IN ? COPY_IN_RUNNING : COPY_OUT_RUNNING;
                break;
            }
            if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) {
                /* A COPY in a Query: there is no file to read or write. */
                PQclear(r);
                job_fail(j, "%s", "COPY FROM STDIN / TO STDOUT is not supported in a Query: "
                                  "use io.kestra.plugin.jdbc.postgresql.CopyIn or CopyOut");
                return;
            }
            if (st == PGRES_COMMAND_OK && j->copy_props != NULL)
                j->copy_rows = strtoll(PQcmdTuples(r), NULL, 10);
            int rc = take_result(j, r);
            PQclear(r);
            if (rc != 0)
                return;
        }
        if (j->copy == COPY_NONE)
            return;
    }
}

static void on_io(wf_io_t *io, uint32_t events)
{
    pg_job_t *j = io->arg;
    if (!j->connected) {
        PostgresPollingStatusType ps = PQconnectPoll(j->conn);
        if (ps == PGRES_POLLING_FAILED) {
            job_fail(j, "cannot connect: %s", PQerrorMessage(j->conn));
            return;
        }
        if (ps == PGRES_POLLING_OK) {
            j->connected = true;
            if (PQsetnonblocking(j->conn, 1) != 0) {
                job_fail(j, "cannot connect: %s", PQerrorMessage(j->conn));
                return;
            }
            char line[700];
            snprintf(line, sizeof(line), "connected to %s as %s", j->target, PQuser(j->conn));
            wf_xlog(j->ex, j->tr->exec, j->tr, "DEBUG", line, strlen(line));
            send_query(j);
            return;
        }
        if (watch(j, ps == PGRES_POLLING_READING ? EPOLLIN : EPOLLOUT) != 0)
            job_fail(j, "cannot connect: %s", "lost the connection's socket");
        return;
    }
    if ((events & EPOLLOUT) && j->copy == COPY_NONE) {
        int f = PQflush(j->conn);
        if (f < 0) {
            job_fail(j, "connection lost: %s", PQerrorMessage(j->conn));
            return;
        }
        if (f == 0 && watch(j, EPOLLIN) != 0) {
            job_fail(j, "connection lost: %s", PQerrorMessage(j->conn));
            return;
        }
    }
    if (j->copy != COPY_NONE) {
        /* During a COPY the job itself decides what to wait for (it yields
         * with EPOLLOUT, always ready, to come back to data libpq already
         * holds); the server may answer (an error) while we send. */
        if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) && !PQconsumeInput(j->conn)) {
            job_fail(j, "connection lost: %s", PQerrorMessage(j->conn));
            return;
        }
        pump(j);
        return;
    }
    if (!(events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
        return;
    if (!PQconsumeInput(j->conn)) {
        job_fail(j, "connection lost: %s", PQerrorMessage(j->conn));
        return;
    }
    pump(j);
}

/* ---- url and properties --------------------------------------------------------- */

/* Percent-decodes [s, s+n) into out. Returns 0, or -1 on bad input or size. */
static int pct_decode(const char *s, size_t n, char *out, size_t len)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%' && i + 2 < n + 0 && wf_hexval(s[i + 1]) >= 0 && wf_hexval(s[i + 2]) >= 0) {
            c = wf_hexval(s[i + 1]) * 16 + wf_hexval(s[i + 2]);
            i += 2;
        } else if (c == '%') {
            return -1;
        }
        if (c == 0 || k + 1 >= len)
            return -1;
        out[k++] = (char)c;
    }
    out[k] = '\0';
    return 0;
}

static int set_field(char *dst, size_t len, const char *s, size_t n)
{
    return pct_decode(s, n, dst, len);
}

/* Copies a decoded value into its field: 0, or -1 when it does not fit. */
static int put_field(char *dst, size_t len, const char *val)
{
    int n = snprintf(dst, len, "%s", val);
    return n >= 0 && (size_t)n < len ? 0 : -1;
}

/* jdbc:postgresql://HOST[:PORT]/DB[?k=v&...] (also postgresql:// and
 * postgres://). Query keys: host (a name or a socket directory), port, user,
 * password, sslmode, connect_timeout, ApplicationName/application_name. */
static int parse_url(const char *url, pg_target_t *t, char *err, size_t len)
{
    const char *p = url;
    if (strncmp(p, "jdbc:", 5) == 0)
        p += 5;
    if (strncmp(p, "postgresql://", 13) == 0)
        p += 13;
    else if (strncmp(p, "postgres://", 11) == 0)
        p += 11;
    else {
        snprintf(err, len, "url '%s': expected jdbc:postgresql://HOST:PORT/DATABASE", url);
        return -1;
    }
    snprintf(t->port, sizeof(t->port), "5432");
    const char *auth_end = p + strcspn(p, "/?");
    if (memchr(p, '@', (size_t)(auth_end - p)) != NULL) {
        snprintf(err, len, "url: put credentials in username and password, not in the url");
        return -1;
    }
    const char *hp = p;
    const char *port = NULL;
    if (*hp == '[') {
        const char *rb = memchr(hp, ']', (size_t)(auth_end - hp));
        if (rb == NULL) {
            snprintf(err, len, "url: unbalanced [ ] around the IPv6 address");
            return -1;
        }
        if (set_field(t->host, sizeof(t->host), hp + 1, (size_t)(rb - hp - 1)) != 0)
            goto bad;
        if (rb[1] == ':')
            port = rb + 2;
    } else {
        const char *colon = memchr(hp, ':', (size_t)(auth_end - hp));
        size_t hl = (size_t)((colon ? colon : auth_end) - hp);
        if (set_field(t->host, sizeof(t->host), hp, hl) != 0)
            goto bad;
        if (colon)
            port = colon + 1;
    }
    if (port != NULL && set_field(t->port, sizeof(t->port), port, (size_t)(auth_end - port)) != 0)
        goto bad;
    p = auth_end;
    if (*p == '/') {
        p++;
        size_t dl = strcspn(p, "?");
        if (set_field(t->db, sizeof(t->db), p, dl) != 0)
            goto bad;
        p += dl;
    }
    if (*p == '?')
        p++;
    while (*p) {
        size_t kl = strcspn(p, "=&");
        const char *v = p + kl;
        size_t vl = 0;
        if (*v == '=') {
            v++;
            vl = strcspn(v, "&");
        }
        char key[64], val[300];
        if (kl >= sizeof(key) || set_field(val, sizeof(val), v, vl) != 0)
            goto bad;
        memcpy(key, p, kl);
        key[kl] = '\0';
        int rc = 0; /* -1: the value does not fit its field */
        if (strcmp(key, "host") == 0)
            rc = put_field(t->host, sizeof(t->host), val);
        else if (strcmp(key, "port") == 0)
            rc = put_field(t->port, sizeof(t->port), val);
        else if (strcmp(key, "user") == 0)
            rc = put_field(t->user, sizeof(t->user), val);
        else if (strcmp(key, "password") == 0) {
            if (t->password) {
                OPENSSL_cleanse(t->password, strlen(t->password));
                free(t->password);
            }
            t->password = strdup(val);
            OPENSSL_cleanse(val, sizeof(val));
        } else if (strcmp(key, "sslmode") == 0)
            rc = put_field(t->sslmode, sizeof(t->sslmode), val);
        else if (strcmp(key, "connect_timeout") == 0 || strcmp(key, "connectTimeout") == 0)
            rc = put_field(t->connect_timeout, sizeof(t->connect_timeout), val);
        else if (strcmp(key, "application_name") == 0 || strcmp(key, "ApplicationName") == 0)
            rc = put_field(t->app, sizeof(t->app), val);
        else {
            snprintf(err, len,
                     "url parameter '%s' is not supported (host, port, user, password, sslmode, "
                     "connect_timeout, application_name)",
                     key);
            return -1;
        }
        if (rc != 0)
            goto bad;
        p = v + vl;
        if (*p == '&')
            p++;
    }
    char *end;
    long pn = strtol(t->port, &end, 10);
    if (*end != '\0' || pn < 1 || pn > 65535) {
        snprintf(err, len, "url: port '%s' is not 1..65535", t->port);
        return -1;
    }
    if (t->host[0] == '\0') {
        snprintf(err, len, "url '%s' has no host", url);
        return -1;
    }
    return 0;
bad:
    snprintf(err, len, "url '%s' is malformed (bad escape or too long)", url);
    return -1;
}

/* Egress: a socket directory by its entry; a TCP host by name, then by the
 * address it resolves to, which is pinned for libpq. */
static int check_target(wf_executor_t *ex, wf_trun_t *tr, pg_target_t *t, char *err, size_t len)
{
    wf_egress_ctx_t eg = {ex->cfg, tr->exec->namespace_, ex->domain,
                          wf_xpolicy_of(ex, tr->exec->namespace_)};
    int port = atoi(t->port);
    if (eg.policy == NULL) {
        snprintf(err, len, "the namespace policy cannot be read: not connecting");
        return -1;
    }
    if (wf_egress_allowed(&eg, t->host, port, err, len) != 1)
        return -1;
    if (t->host[0] == '/')
        return 0;
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    /* A numeric host is not looked up; a name is resolved here (briefly
     * blocking the loop) so that the address can be checked and pinned. */
    int gr = getaddrinfo(t->host, t->port, &hints, &res);
    if (gr != 0) {
        snprintf(err, len, "cannot resolve %s: %s", t->host, gai_strerror(gr));
        return -1;
    }
    int rc = -1;
    err[0] = '\0';
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        char why[600];
        if (wf_egress_addr_allowed(&eg, t->host, port, a->ai_addr, why, sizeof(why)) != 1) {
            if (!err[0])
                snprintf(err, len, "%s", why);
            continue;
        }
        const void *ap = a->ai_family == AF_INET
                             ? (const void *)&((struct sockaddr_in *)a->ai_addr)->sin_addr
                             : (const void *)&((struct sockaddr_in6 *)a->ai_addr)->sin6_addr;
        inet_ntop(a->ai_family, ap, t->hostaddr, sizeof(t->hostaddr));
        rc = 0;
        break;
    }
    freeaddrinfo(res);
    if (rc == 0)
        err[0] = '\0';
    else if (!err[0])
        snprintf(err, len, "%s has no address", t->host);
    return rc;
}

static bool true_of(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_true(v) || (json_is_string(v) && strcmp(json_string_value(v), "true") == 0);
}

static int read_fetch(json_t *props, fetch_t *f, char *err, size_t len)
{
    const char *ft = wf_json_str(props, "fetchType");
    *f = FETCH_NONE;
    if (ft == NULL) {
        if (true_of(props, "store")) {
            snprintf(err, len, "store: true is not supported (use fetchType FETCH or FETCH_ONE)");
            return -1;
        }
        *f = true_of(props, "fetchOne") ? FETCH_ONE : true_of(props, "fetch") ? FETCH_ALL
                                                                               : FETCH_NONE;
        return 0;
    }
    static const struct {
        const char *name;
        fetch_t f;
    } table[] = {{"NONE", FETCH_NONE}, {"FETCH_ONE", FETCH_ONE}, {"FETCH", FETCH_ALL}};
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (strcmp(ft, table[i].name) == 0) {
            *f = table[i].f;
            return 0;
        }
    snprintf(err, len, "fetchType %s is not supported (NONE, FETCH_ONE, FETCH)", ft);
    return -1;
}

/* `parameters`: values for $1, $2, ... given as a list, or as a map whose
 * keys are the positions ("1", "2", ...). */
static int read_params(json_t *props, json_t **out, char *err, size_t len)
{
    json_t *p = json_object_get(props, "parameters");
    *out = NULL;
    if (p == NULL || json_is_null(p))
        return 0;
    if (json_is_array(p)) {
        *out = json_incref(p);
        return 0;
    }
    if (!json_is_object(p)) {
        snprintf(err, len, "parameters must be a list or a map of positions");
        return -1;
    }
    size_t n = json_object_size(p);
    json_t *arr = json_array();
    for (size_t i = 1; i <= n; i++) {
        char key[24];
        snprintf(key, sizeof(key), "%zu", i);
        json_t *v = json_object_get(p, key);
        if (v == NULL) {
            json_decref(arr);
            snprintf(err, len, "parameters: keys must be the positions 1..%zu ($1..$%zu)", n, n);
            return -1;
        }
        json_array_append(arr, v);
    }
    *out = arr;
    return 0;
}

static void wipe_target(pg_target_t *t)
{
    if (t->password) {
        OPENSSL_cleanse(t->password, strlen(t->password));
        free(t->password);
        t->password = NULL;
    }
}

/* CopyIn reads its file into a temporary file before connecting (a missing
 * or foreign URI fails without touching the database); CopyOut gets an empty
 * one to write into. */
static int copy_prepare(pg_job_t *j, json_t *props, char *err, size_t len)
{
    if (json_is_true(json_object_get(props, "oids"))) {
        snprintf(err, len, "oids is not supported by PostgreSQL 12 and later");
        return -1;
    }
    j->copy_props = json_incref(props);
    j->copy_buf = malloc(COPY_CHUNK);
    j->file_fd = wf_xft_tmpfile(j->ex, err, len);
    if (j->copy_buf == NULL || j->file_fd < 0) {
        if (j->copy_buf == NULL)
            snprintf(err, len, "out of memory");
        return -1;
    }
    j->file_max = wf_xft_max_file_size(j->ex);
    if (j->kind == WF_TASK_PG_COPY_OUT)
        return 0;
    const char *from = wf_json_str(props, "from");
    if (from == NULL) {
        snprintf(err, len, "from is required");
        return -1;
    }
    char why[700];
    if (wf_xft_fetch(j->ex, j->tr, from, j->file_fd, NULL, why, sizeof(why)) != 0) {
        snprintf(err, len, "from: %s", why);
        return -1;
    }
    return 0;
}

int wf_xpg_run(wf_executor_t *ex, wf_trun_t *tr, json_t *props)
{
    char err[900] = "";
    pg_target_t t;
    memset(&t, 0, sizeof(t));
    pg_job_t *j = wf_xcalloc(1, sizeof(*j));
    j->ex = ex;
    j->tr = tr;
    j->fd = -1;
    j->rows = json_array();
    j->max_rows = ex->cfg->executor.query_max_rows > 0 ? ex->cfg->executor.query_max_rows : 10000;
    j->max_bytes = ex->cfg->executor.query_max_bytes > 0 ? ex->cfg->executor.query_max_bytes
                                                         : 16 * 1024 * 1024;
    j->kind = tr->task->type->kind;
    j->file_fd = -1;
    const char *url = wf_json_str(props, "url"), *sql = wf_json_str(props, "sql");
    bool copy = j->kind == WF_TASK_PG_COPY_IN || j->kind == WF_TASK_PG_COPY_OUT;
    if (url == NULL || (sql == NULL && !copy)) {
        snprintf(err, sizeof(err), "%s is required", url == NULL ? "url" : "sql");
        goto fail;
    }
    if (copy) {
        if (copy_prepare(j, props, err, sizeof(err)) != 0)
            goto fail;
    } else {
        j->sets = json_array();
        if (j->kind == WF_TASK_PG_QUERIES && !wf_json_bool(props, "transaction", true)) {
            snprintf(err, sizeof(err), "transaction: false is not supported (the statements "
                                       "run as one transaction)");
            goto fail;
        }
        j->sql = strdup(sql);
        if (read_fetch(props, &j->fetch, err, sizeof(err)) != 0 ||
            read_params(props, &j->params, err, sizeof(err)) != 0)
            goto fail;
    }
    if (parse_url(url, &t, err, sizeof(err)) != 0)
        goto fail;
    if (wf_json_str(props, "username"))
        snprintf(t.user, sizeof(t.user), "%s", wf_json_str(props, "username"));
    if (wf_json_str(props, "password")) {
        wipe_target(&t);
        t.password = strdup(wf_json_str(props, "password"));
    }
    if (t.user[0] == '\0') {
        snprintf(err, sizeof(err), "username is required (property or user= in the url)");
        goto fail;
    }
    if (t.db[0] == '\0')
        snprintf(t.db, sizeof(t.db), "%s", t.user);
    if (check_target(ex, tr, &t, err, sizeof(err)) != 0)
        goto fail;
    if (t.host[0] == '/')
        snprintf(j->target, sizeof(j->target), "%s (socket) port %s, database %s", t.host,
                 t.port, t.db);
    else
        snprintf(j->target, sizeof(j->target), "%s:%s (%s), database %s", t.host, t.port,
                 t.hostaddr, t.db);
    /* Every parameter is given, so nothing comes from the executor's
     * environment (PGHOST, PGPASSWORD...) or its files (~/.pgpass, client
     * certificates). */
    const char *keys[] = {"host",        "port",        "dbname",      "user",
                          "password",    "sslmode",     "gssencmode",  "passfile",
                          "sslcert",     "sslkey",      "application_name",
                          "connect_timeout", "hostaddr", NULL};
    const char *vals[] = {t.host,
                          t.port,
                          t.db,
                          t.user,
                          t.password ? t.password : "",
                          t.sslmode[0] ? t.sslmode : (t.host[0] == '/' ? "disable" : "prefer"),
                          "disable",
                          "/nonexistent/weft-no-passfile",
                          "/nonexistent/weft-no-cert",
                          "/nonexistent/weft-no-key",
                          t.app[0] ? t.app : "weft",
                          t.connect_timeout[0] ? t.connect_timeout : "30",
                          t.hostaddr[0] ? t.hostaddr : NULL,
                          NULL};
    if (!t.hostaddr[0])
        keys[12] = NULL;
    j->conn = PQconnectStartParams(keys, vals, 0);
    wipe_target(&t);
    if (j->conn == NULL) {
        snprintf(err, sizeof(err), "out of memory");
        goto fail;
    }
    if (PQstatus(j->conn) == CONNECTION_BAD) {
        snprintf(err, sizeof(err), "cannot connect to %s: %s", j->target,
                 PQerrorMessage(j->conn));
        goto fail;
    }
    if (watch(j, EPOLLOUT) != 0) {
        snprintf(err, sizeof(err), "cannot watch the connection to %s", j->target);
        goto fail;
    }
    j->timeout_ms = tr->task->timeout_ms;
    wf_xproc_job_attach(ex, tr, &pg_ops, j, &j->timeout_timer, on_timeout);
    return WF_RUN_STARTED;
fail:
    wipe_target(&t);
    job_free(j);
    size_t n = strlen(err);
    while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == ' '))
        err[--n] = '\0';
    wf_xwalk_attempt_done(ex, tr, WF_ST_FAILED, NULL, err[0] ? err : "out of memory");
    return WF_RUN_DONE;
}
