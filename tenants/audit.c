#include "tenants/audit.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "platform/text.h"

static const char canon_label[] = "weft-audit-v1";

/* Same statement text for every writer; the triggers fill seq, ts and hashes. */
static const char append_name[] = "wf_audit_append";
/* audit_append() (migration 0004) is the writers' only access to the log. */
static const char append_sql[] =
    "SELECT audit_append($1, $2, $3, $4, $5, $6, $7::jsonb)";

/* Binary results: int8 as 8 big-endian bytes, text as its UTF-8 bytes, bytea raw. */
static const char rows_sql[] =
    "SELECT seq, (extract(epoch FROM ts) * 1000000)::bigint, actor, action, namespace, target, "
    "result, reason, details::text, prev_hash, hash FROM audit_log ORDER BY seq";
static const char head_sql[] = "SELECT seq, hash FROM audit_chain_head";

static const char *const problem_names[] = {
    [WF_AUDIT_INTACT] = "intact",
    [WF_AUDIT_ALTERED] = "altered",
    [WF_AUDIT_INSERTED] = "inserted",
    [WF_AUDIT_DELETED] = "deleted",
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    size_t n = strlen(err);
    while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == ' '))
        err[--n] = '\0';
}

/* The server's primary message only: DETAIL lines of constraint errors echo
 * the whole row, which does not belong in a log line. */
static const char *pg_message(const PGresult *r, PGconn *conn)
{
    const char *m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    if (m != NULL)
        return m;
    m = r != NULL ? PQresultErrorMessage(r) : "";
    return m[0] != '\0' ? m : PQerrorMessage(conn);
}

void wf_audit_hex(const uint8_t hash[WF_AUDIT_HASH_LEN], char out[2 * WF_AUDIT_HASH_LEN + 1])
{
    wf_hex_put(out, hash, WF_AUDIT_HASH_LEN);
}

void wf_audit_writer_init(wf_audit_writer_t *w, PGconn *conn)
{
    w->conn = conn;
    w->prepared_pid = 0;
}

static int prepare(wf_audit_writer_t *w, char *err, size_t errlen)
{
    int pid = PQbackendPID(w->conn);
    if (pid != 0 && pid == w->prepared_pid)
        return 0;
    PGresult *r = PQprepare(w->conn, append_name, append_sql, 7, NULL);
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    /* 42P05: another writer on this connection prepared it already. */
    int rc =
        PQresultStatus(r) == PGRES_COMMAND_OK || (state && strcmp(state, "42P05") == 0) ? 0 : -1;
    if (rc == 0)
        w->prepared_pid = pid;
    else
        set_err(err, errlen, "audit: cannot prepare the append statement: %s",
                pg_message(r, w->conn));
    PQclear(r);
    return rc;
}

int wf_audit_append(wf_audit_writer_t *w, const wf_audit_entry_t *e, int64_t *seq, char *err,
                    size_t errlen)
{
    if (e->actor == NULL || e->action == NULL || e->result == NULL) {
        set_err(err, errlen, "audit: actor, action and result are required");
        return -1;
    }
    if (e->details_json != NULL) {
        json_error_t jerr;
        json_t *d = json_loads(e->details_json, 0, &jerr);
        int is_obj = d != NULL && json_is_object(d);
        json_decref(d);
        if (!is_obj) {
            set_err(err, errlen, "audit: details must be a JSON object");
            return -1;
        }
    }
    const char *params[7] = {e->actor,  e->action, e->namespace_,  e->target,
                             e->result, e->reason, e->details_json};
    PGresult *r = NULL;
    int rc = -1;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (prepare(w, err, errlen) != 0)
            return -1;
        PQclear(r);
        r = PQexecPrepared(w->conn, append_name, 7, params, NULL, NULL, 0);
        if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
            break;
        const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        /* 26000: the session dropped the statement (DISCARD ALL, a pooler).
         * Outside a transaction block nothing was lost: prepare and retry once. */
        if (state == NULL || strcmp(state, "26000") != 0)
            break;
        w->prepared_pid = 0;
        if (PQtransactionStatus(w->conn) != PQTRANS_IDLE)
            break;
    }
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        set_err(err, errlen, "audit: append failed: %s", pg_message(r, w->conn));
        goto out;
    }
    if (seq != NULL)
        *seq = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    rc = 0;
out:
    PQclear(r);
    return rc;
}

static void put_be(uint8_t *p, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

int wf_audit_row_hash(const wf_audit_row_t *row, uint8_t out[WF_AUDIT_HASH_LEN])
{
    if (row->prev_hash == NULL || row->prev_hash_len != WF_AUDIT_HASH_LEN)
        return -1;
    int rc = -1;
    uint8_t ints[16], hdr[5];
    unsigned int len = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
        goto out;
    put_be(ints, (uint64_t)row->seq, 8);
    put_be(ints + 8, (uint64_t)row->ts_us, 8);
    if (EVP_DigestUpdate(md, canon_label, sizeof(canon_label) - 1) != 1 ||
        EVP_DigestUpdate(md, row->prev_hash, WF_AUDIT_HASH_LEN) != 1 ||
        EVP_DigestUpdate(md, ints, sizeof(ints)) != 1)
        goto out;
    for (int i = 0; i < WF_AUDIT_NFIELDS; i++) {
        if (row->field[i] == NULL) {
            hdr[0] = 0;
            if (EVP_DigestUpdate(md, hdr, 1) != 1)
                goto out;
            continue;
        }
        hdr[0] = 1;
        put_be(hdr + 1, (uint64_t)row->field_len[i], 4);
        if (EVP_DigestUpdate(md, hdr, 5) != 1 ||
            EVP_DigestUpdate(md, row->field[i], row->field_len[i]) != 1)
            goto out;
    }
    if (EVP_DigestFinal_ex(md, out, &len) != 1 || len != WF_AUDIT_HASH_LEN)
        goto out;
    rc = 0;
out:
    EVP_MD_CTX_free(md);
    return rc;
}

void wf_audit_walk_init(wf_audit_walk_t *w)
{
    memset(w, 0, sizeof(*w));
}

static int problem(wf_audit_walk_t *w, wf_audit_problem_t p, int64_t seq, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int problem(wf_audit_walk_t *w, wf_audit_problem_t p, int64_t seq, const char *fmt, ...)
{
    va_list ap;
    w->problem = p;
    w->bad_seq = seq;
    va_start(ap, fmt);
    vsnprintf(w->message, sizeof(w->message), fmt, ap);
    va_end(ap);
    return -1;
}

/* Checks run in this order so that each kind of tampering is named by its
 * first visible effect: a row without chain fields or out of order was not
 * appended by the trigger; content that no longer hashes to the stored hash
 * was altered; a gap means deleted rows; a row that hashes correctly but does
 * not link to its predecessor was inserted (or its predecessor replaced). */
int wf_audit_walk_row(wf_audit_walk_t *w, const wf_audit_row_t *row)
{
    uint8_t h[WF_AUDIT_HASH_LEN];
    int64_t want = w->last_seq + 1;
    if (w->problem != WF_AUDIT_INTACT)
        return -1;
    if (row->hash == NULL || row->hash_len != WF_AUDIT_HASH_LEN || row->prev_hash == NULL ||
        row->prev_hash_len != WF_AUDIT_HASH_LEN)
        return problem(w, WF_AUDIT_INSERTED, row->seq,
                       "entry %" PRId64 " has no chain hash: it was not appended through the "
                       "audit trigger (inserted)",
                       row->seq);
    if (row->seq < want)
        return problem(w, WF_AUDIT_INSERTED, row->seq,
                       "entry %" PRId64 " is out of sequence (expected %" PRId64 "): inserted",
                       row->seq, want);
    if (wf_audit_row_hash(row, h) != 0)
        return problem(w, WF_AUDIT_ALTERED, row->seq, "entry %" PRId64 " cannot be hashed",
                       row->seq);
    if (CRYPTO_memcmp(h, row->hash, WF_AUDIT_HASH_LEN) != 0)
        return problem(w, WF_AUDIT_ALTERED, row->seq,
                       "entry %" PRId64 " does not match its hash: altered (or forged)", row->seq);
    if (row->seq > want)
        return problem(w, WF_AUDIT_DELETED, want,
                       want == row->seq - 1 ? "entry %" PRId64 " is missing: deleted"
                                            : "entries %" PRId64 " to %" PRId64
                                              " are missing: deleted",
                       want, row->seq - 1);
    if (CRYPTO_memcmp(row->prev_hash, w->last_hash, WF_AUDIT_HASH_LEN) != 0)
        return problem(w, WF_AUDIT_INSERTED, row->seq,
                       "entry %" PRId64 " does not link to entry %" PRId64
                       ": inserted, or its predecessor replaced",
                       row->seq, w->last_seq);
    if (w->anchor_seq == row->seq) {
        if (CRYPTO_memcmp(row->hash, w->anchor_hash, WF_AUDIT_HASH_LEN) != 0)
            return problem(w, WF_AUDIT_ALTERED, row->seq,
                           "entry %" PRId64 " differs from the anchor: the chain was rewritten "
                           "from this entry or before",
                           row->seq);
        w->anchor_seen = true;
    }
    memcpy(w->last_hash, row->hash, WF_AUDIT_HASH_LEN);
    w->last_seq = row->seq;
    w->verified++;
    return 0;
}

int wf_audit_walk_end(wf_audit_walk_t *w, int64_t head_seq, const uint8_t *head_hash,
                      size_t head_hash_len)
{
    if (w->problem != WF_AUDIT_INTACT)
        return -1;
    if (head_hash == NULL || head_hash_len != WF_AUDIT_HASH_LEN)
        return problem(w, WF_AUDIT_DELETED, w->last_seq + 1,
                       "the chain head record is missing: the log was tampered with");
    if (head_seq > w->last_seq)
        return problem(w, WF_AUDIT_DELETED, w->last_seq + 1,
                       w->last_seq + 1 == head_seq
                           ? "entry %" PRId64 " (the last one) is missing: deleted"
                           : "entries %" PRId64 " to %" PRId64 " (the last ones) are missing: "
                             "deleted",
                       w->last_seq + 1, head_seq);
    if (head_seq < w->last_seq)
        return problem(w, WF_AUDIT_INSERTED, head_seq + 1,
                       "entries after %" PRId64 " were not appended through the audit trigger "
                       "(inserted)",
                       head_seq);
    if (CRYPTO_memcmp(head_hash, w->last_hash, WF_AUDIT_HASH_LEN) != 0)
        return problem(w, WF_AUDIT_ALTERED, head_seq,
                       "entry %" PRId64 " differs from the chain head: altered", head_seq);
    if (w->anchor_seq > 0 && !w->anchor_seen)
        return problem(w, WF_AUDIT_DELETED, w->anchor_seq,
                       "anchored entry %" PRId64 " is no longer in the log: deleted",
                       w->anchor_seq);
    return 0;
}

int wf_audit_parse_anchor(wf_audit_walk_t *w, const char *text)
{
    char *end;
    long long seq = strtoll(text, &end, 10);
    if (seq <= 0 || *end != ':' || strlen(end + 1) != 2 * WF_AUDIT_HASH_LEN)
        return -1;
    for (size_t i = 0; i < WF_AUDIT_HASH_LEN; i++) {
        int hi = wf_hexval((unsigned char)end[1 + 2 * i]);
        int lo = wf_hexval((unsigned char)end[2 + 2 * i]);
        if (hi < 0 || lo < 0)
            return -1;
        w->anchor_hash[i] = (uint8_t)(hi << 4 | lo);
    }
    w->anchor_seq = seq;
    return 0;
}

static int64_t get_int8(const PGresult *r, int row, int col)
{
    const uint8_t *p = (const uint8_t *)PQgetvalue(r, row, col);
    uint64_t v = 0;
    if (PQgetisnull(r, row, col) || PQgetlength(r, row, col) != 8)
        return INT64_MIN;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return (int64_t)v;
}

static const uint8_t *get_bytes(const PGresult *r, int row, int col, size_t *len)
{
    if (PQgetisnull(r, row, col)) {
        *len = 0;
        return NULL;
    }
    *len = (size_t)PQgetlength(r, row, col);
    return (const uint8_t *)PQgetvalue(r, row, col);
}

static int exec_simple(PGconn *conn, const char *sql, char *err, size_t errlen)
{
    PGresult *r = PQexec(conn, sql);
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : -1;
    if (rc != 0)
        set_err(err, errlen, "%s", pg_message(r, conn));
    PQclear(r);
    return rc;
}

/* Streams the rows (single-row mode: constant memory whatever the log size). */
static int walk_rows(PGconn *conn, wf_audit_walk_t *w, char *err, size_t errlen)
{
    int rc = 0;
    PGresult *r;
    if (PQsendQueryParams(conn, rows_sql, 0, NULL, NULL, NULL, NULL, 1) != 1 ||
        PQsetSingleRowMode(conn) != 1) {
        set_err(err, errlen, "audit: %s", PQerrorMessage(conn));
        return -1;
    }
    while ((r = PQgetResult(conn)) != NULL) {
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_SINGLE_TUPLE && rc == 0) {
            wf_audit_row_t row = {.seq = get_int8(r, 0, 0), .ts_us = get_int8(r, 0, 1)};
            for (int i = 0; i < WF_AUDIT_NFIELDS; i++)
                row.field[i] = (const char *)get_bytes(r, 0, 2 + i, &row.field_len[i]);
            row.prev_hash = get_bytes(r, 0, 9, &row.prev_hash_len);
            row.hash = get_bytes(r, 0, 10, &row.hash_len);
            wf_audit_walk_row(w, &row); /* keeps draining after a problem */
        } else if (st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK && rc == 0) {
            set_err(err, errlen, "audit: reading audit_log: %s", pg_message(r, conn));
            rc = -1;
        }
        PQclear(r);
    }
    return rc;
}

int wf_audit_verify(PGconn *conn, wf_audit_walk_t *w, char *err, size_t errlen)
{
    PGresult *r = NULL;
    int rc = -1;
    if (PQsetClientEncoding(conn, "UTF8") != 0) {
        set_err(err, errlen, "audit: cannot set client encoding: %s", PQerrorMessage(conn));
        return -1;
    }
    /* One snapshot for the rows and the head: appends made meanwhile are
     * neither half-seen nor mistaken for deletions. */
    if (exec_simple(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err, errlen) != 0)
        return -1;
    if (walk_rows(conn, w, err, errlen) != 0)
        goto out;
    r = PQexecParams(conn, head_sql, 0, NULL, NULL, NULL, NULL, 1);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        set_err(err, errlen, "audit: reading audit_chain_head: %s", pg_message(r, conn));
        goto out;
    }
    if (PQntuples(r) == 1) {
        size_t hl;
        const uint8_t *hh = get_bytes(r, 0, 1, &hl);
        wf_audit_walk_end(w, get_int8(r, 0, 0), hh, hl);
    } else {
        wf_audit_walk_end(w, 0, NULL, 0);
    }
    rc = 0;
out:
    PQclear(r);
    PGresult *end = PQexec(conn, rc == 0 ? "COMMIT" : "ROLLBACK");
    PQclear(end);
    return rc;
}

const char *wf_audit_problem_name(wf_audit_problem_t p)
{
    return (unsigned)p < sizeof(problem_names) / sizeof(problem_names[0]) ? problem_names[p] : "?";
}
