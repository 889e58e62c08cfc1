/* The audit log: an append-only table (audit_log) whose rows are hash-chained
 * by a trigger (platform/migrations/0002_audit_chain.sql), written with
 * wf_audit_append and checked with wf_audit_verify (`weftd audit verify`).
 *
 * Canonical encoding of a row, version 1 (the SQL function audit_canonical()
 * and wf_audit_canonical() produce the same bytes):
 *   "weft-audit-v1" ‖ prev_hash (32) ‖ int8 seq ‖ int8 ts (µs since the Unix epoch)
 *   ‖ F(actor) ‖ F(action) ‖ F(namespace) ‖ F(target) ‖ F(result) ‖ F(reason)
 *   ‖ F(details as jsonb text)
 * where int8 is big-endian and F(NULL) = 0x00, F(v) = 0x01 ‖ int4 byte length ‖
 * UTF-8 bytes. hash = SHA-256(encoding); the first row's prev_hash is 32 zero
 * bytes. jsonb's text form is canonical (keys sorted, whitespace normalised),
 * so equal details give equal bytes.
 *
 * What the chain proves: any altered, deleted or inserted row — even one made
 * by a superuser who disables the append-only triggers — breaks the recomputed
 * chain or its agreement with the one-row chain head. Someone able to rewrite
 * the whole chain after a point *and* the head is caught only by an anchor
 * recorded elsewhere: verify prints the head (seq and hash) for that purpose
 * and checks anchors given back to it. */
#ifndef WF_AUDIT_H
#define WF_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#define WF_AUDIT_HASH_LEN 32
#define WF_AUDIT_NFIELDS 7 /* actor, action, namespace, target, result, reason, details */

/* One entry to append. NULL text fields are stored as the column default
 * (''), NULL details as {}. details must be a JSON object. */
typedef struct wf_audit_entry {
    const char *actor;  /* "user:alice", "sa:logistics/ci", "system" */
    const char *action; /* "secret.set", "grant.create", "trigger.refused", ... */
    const char *namespace_;
    const char *target;
    const char *result; /* allowed | denied | failed */
    const char *reason;
    const char *details_json;
} wf_audit_entry_t;

/* Caller-owned writer state for one connection: prepares its statement once
 * per server session (again after a reconnect). */
typedef struct wf_audit_writer {
    PGconn *conn;
    int prepared_pid; /* backend that holds the prepared statement, 0 = none */
} wf_audit_writer_t;

void wf_audit_writer_init(wf_audit_writer_t *w, PGconn *conn);

/* Appends one entry (blocking). Runs in the caller's transaction if one is
 * open (its row lock on the chain head is then held until commit); under
 * REPEATABLE READ or SERIALIZABLE a concurrent append makes it fail with a
 * serialization error, to be retried like any other. `seq` (may be NULL)
 * gets the entry's position. Returns 0, or -1 with `err`. */
int wf_audit_append(wf_audit_writer_t *w, const wf_audit_entry_t *e, int64_t *seq, char *err,
                    size_t errlen);

/* A row as read back for verification; text fields are byte strings, NULL
 * when SQL NULL. */
typedef struct wf_audit_row {
    int64_t seq;
    int64_t ts_us;
    const char *field[WF_AUDIT_NFIELDS];
    size_t field_len[WF_AUDIT_NFIELDS];
    const uint8_t *prev_hash; /* NULL when SQL NULL */
    size_t prev_hash_len;
    const uint8_t *hash;
    size_t hash_len;
} wf_audit_row_t;

/* Computes SHA-256 of the canonical encoding of `row` (with its own prev_hash,
 * which must be 32 bytes). Returns 0, or -1 when prev_hash is missing. */
int wf_audit_row_hash(const wf_audit_row_t *row, uint8_t out[WF_AUDIT_HASH_LEN]);

typedef enum {
    WF_AUDIT_INTACT = 0,
    WF_AUDIT_ALTERED,  /* a row's content no longer matches its hash */
    WF_AUDIT_INSERTED, /* a row not appended through the chain */
    WF_AUDIT_DELETED,  /* rows missing (gap in seq, or at the end) */
} wf_audit_problem_t;

/* "intact", "altered", "inserted", "deleted". */
const char *wf_audit_problem_name(wf_audit_problem_t p);

/* Walks rows in seq order; pure (no I/O) so that it can be tested alone. */
typedef struct wf_audit_walk {
    int64_t verified; /* rows accepted so far */
    int64_t last_seq;
    uint8_t last_hash[WF_AUDIT_HASH_LEN];
    wf_audit_problem_t problem;
    int64_t bad_seq; /* first seq concerned by `problem` */
    char message[256];
    /* Optional anchor (seq > 0): the row at anchor_seq must have anchor_hash. */
    int64_t anchor_seq;
    uint8_t anchor_hash[WF_AUDIT_HASH_LEN];
    bool anchor_seen;
} wf_audit_walk_t;

void wf_audit_walk_init(wf_audit_walk_t *w);
/* Feeds the next row. Returns 0, or -1 once a problem is recorded (later
 * rows are then ignored). */
int wf_audit_walk_row(wf_audit_walk_t *w, const wf_audit_row_t *row);
/* Ends the walk against the chain head (seq, hash) the database recorded.
 * Returns 0 when the whole chain is intact, -1 with the problem otherwise. */
int wf_audit_walk_end(wf_audit_walk_t *w, int64_t head_seq, const uint8_t *head_hash,
                      size_t head_hash_len);

/* Reads the whole log and its head in one read-only snapshot and walks it.
 * `w` must be initialised (and may carry an anchor). Returns 0 when the check
 * ran (w->problem tells the verdict), -1 with `err` when it could not run. */
int wf_audit_verify(PGconn *conn, wf_audit_walk_t *w, char *err, size_t errlen);

/* Parses "SEQ:HEX64" into the walk's anchor. Returns 0 or -1. */
int wf_audit_parse_anchor(wf_audit_walk_t *w, const char *text);

/* Lower-case hex of a 32-byte hash into out (65 bytes). */
void wf_audit_hex(const uint8_t hash[WF_AUDIT_HASH_LEN], char out[2 * WF_AUDIT_HASH_LEN + 1]);

#endif
