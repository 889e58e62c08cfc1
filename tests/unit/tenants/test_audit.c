/* Audit chain walk without a database: the documented encoding, and each
 * kind of tampering is reported at the right entry. (The integration test
 * tests/integration/audit_chain.sh does the same against PostgreSQL.) */
#include <inttypes.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "tenants/audit.h"
#include "tests/tap.h"

#define N 6

typedef struct stored {
    int64_t seq, ts;
    char f[WF_AUDIT_NFIELDS][64];
    int null_field; /* index of a NULL field, -1 none */
    uint8_t prev[32], hash[32];
    int no_hash;
} stored_t;

static wf_audit_row_t view(const stored_t *s)
{
    wf_audit_row_t r = {.seq = s->seq, .ts_us = s->ts};
    for (int i = 0; i < WF_AUDIT_NFIELDS; i++) {
        r.field[i] = i == s->null_field ? NULL : s->f[i];
        r.field_len[i] = r.field[i] ? strlen(s->f[i]) : 0;
    }
    if (!s->no_hash) {
        r.prev_hash = s->prev;
        r.prev_hash_len = 32;
        r.hash = s->hash;
        r.hash_len = 32;
    }
    return r;
}

static void seal_row(stored_t *s, const uint8_t prev[32])
{
    memcpy(s->prev, prev, 32);
    wf_audit_row_t r = view(s);
    wf_audit_row_hash(&r, s->hash);
}

static void make_chain(stored_t *rows, int n)
{
    uint8_t prev[32] = {0};
    for (int i = 0; i < n; i++) {
        stored_t *s = &rows[i];
        memset(s, 0, sizeof(*s));
        s->null_field = -1;
        s->seq = i + 1;
        s->ts = 1700000000000000LL + i * 1000;
        snprintf(s->f[0], 64, "user:alice");
        snprintf(s->f[1], 64, "secret.set");
        snprintf(s->f[2], 64, "logistics.shipments");
        snprintf(s->f[3], 64, "DB_URL#%d", i);
        snprintf(s->f[4], 64, "allowed");
        snprintf(s->f[5], 64, "%s", "");
        snprintf(s->f[6], 64, "{\"version\": %d}", i + 1);
        seal_row(s, prev);
        memcpy(prev, s->hash, 32);
    }
}

/* Walks rows[skip excluded] and ends against the given head. */
static wf_audit_walk_t walk(stored_t *rows, int n, int skip, int64_t head_seq,
                            const uint8_t *head_hash, const char *anchor)
{
    wf_audit_walk_t w;
    wf_audit_walk_init(&w);
    if (anchor)
        wf_audit_parse_anchor(&w, anchor);
    for (int i = 0; i < n; i++) {
        if (i == skip)
            continue;
        wf_audit_row_t r = view(&rows[i]);
        wf_audit_walk_row(&w, &r);
    }
    wf_audit_walk_end(&w, head_seq, head_hash, head_hash ? 32 : 0);
    return w;
}

static void expect(wf_audit_walk_t w, wf_audit_problem_t p, int64_t seq, const char *what)
{
    ok(w.problem == p && w.bad_seq == seq, "%s: %s at %" PRId64 " (%s)", what,
       wf_audit_problem_name(p), seq, w.message);
    if (w.problem != p || w.bad_seq != seq)
        printf("# got %s at %" PRId64 "\n", wf_audit_problem_name(w.problem), w.bad_seq);
}

int main(void)
{
    stored_t rows[N + 2];
    make_chain(rows, N);
    uint8_t head[32];
    memcpy(head, rows[N - 1].hash, 32);

    /* The documented encoding, built by hand and hashed in one call. */
    {
        uint8_t buf[1024], want[32];
        size_t n = 0;
        memcpy(buf, "weft-audit-v1", 13);
        n = 13;
        memset(buf + n, 0, 32);
        n += 32;
        for (int i = 7; i >= 0; i--)
            buf[n++] = (uint8_t)((uint64_t)1 >> (8 * i));
        for (int i = 7; i >= 0; i--)
            buf[n++] = (uint8_t)((uint64_t)1700000000000000LL >> (8 * i));
        for (int f = 0; f < WF_AUDIT_NFIELDS; f++) {
            size_t l = strlen(rows[0].f[f]);
            buf[n++] = 1;
            buf[n++] = 0, buf[n++] = 0, buf[n++] = (uint8_t)(l >> 8), buf[n++] = (uint8_t)l;
            memcpy(buf + n, rows[0].f[f], l);
            n += l;
        }
        unsigned int wl = 0;
        EVP_Digest(buf, n, want, &wl, EVP_sha256(), NULL);
        ok(memcmp(want, rows[0].hash, 32) == 0, "hash follows the documented encoding");
    }

    expect(walk(rows, N, -1, N, head, NULL), WF_AUDIT_INTACT, 0, "intact chain");
    wf_audit_walk_t w = walk(rows, N, -1, N, head, NULL);
    is_int(w.verified, N, "all %d entries verified", N);
    expect(walk(rows, 0, -1, 0, (const uint8_t[32]){0}, NULL), WF_AUDIT_INTACT, 0, "empty log");

    /* NULL and empty are different; field boundaries are part of the hash. */
    stored_t a = rows[0], b = rows[0];
    a.null_field = 5;
    seal_row(&a, rows[0].prev);
    ok(memcmp(a.hash, rows[0].hash, 32) != 0, "NULL field hashes differently from empty");
    snprintf(a.f[2], 64, "logistics.shipments.D");
    snprintf(a.f[3], 64, "B_URL#0");
    a.null_field = -1;
    seal_row(&a, rows[0].prev);
    ok(memcmp(a.hash, b.hash, 32) != 0, "moving bytes between fields changes the hash");

    /* Altered content in the middle. */
    snprintf(rows[2].f[4], 64, "denied");
    expect(walk(rows, N, -1, N, head, NULL), WF_AUDIT_ALTERED, 3, "altered result");
    make_chain(rows, N);
    rows[3].ts += 1;
    expect(walk(rows, N, -1, N, head, NULL), WF_AUDIT_ALTERED, 4, "altered timestamp");
    make_chain(rows, N);
    rows[1].hash[0] ^= 1;
    expect(walk(rows, N, -1, N, head, NULL), WF_AUDIT_ALTERED, 2, "altered stored hash");
    make_chain(rows, N);

    /* Deleted rows: in the middle, the first, the last. */
    expect(walk(rows, N, 2, N, head, NULL), WF_AUDIT_DELETED, 3, "deleted middle entry");
    expect(walk(rows, N, 0, N, head, NULL), WF_AUDIT_DELETED, 1, "deleted first entry");
    expect(walk(rows, N - 1, -1, N, head, NULL), WF_AUDIT_DELETED, N, "deleted last entry");
    expect(walk(rows, N, -1, N, NULL, NULL), WF_AUDIT_DELETED, N + 1, "deleted chain head");

    /* Inserted rows. */
    stored_t forged[N + 1];
    memcpy(forged, rows, sizeof(stored_t) * N);
    forged[N] = rows[N - 1];
    forged[N].seq = N + 1;
    forged[N].no_hash = 1;
    expect(walk(forged, N + 1, -1, N, head, NULL), WF_AUDIT_INSERTED, N + 1,
           "row without chain fields");
    forged[N].no_hash = 0;
    snprintf(forged[N].f[1], 64, "grant.create");
    seal_row(&forged[N], head); /* a careful forger: correct link and hash */
    expect(walk(forged, N + 1, -1, N, head, NULL), WF_AUDIT_INSERTED, N + 1,
           "well-formed row appended behind the head's back");
    stored_t early[N + 1];
    early[0] = rows[0];
    early[0].seq = 0;
    memcpy(early + 1, rows, sizeof(stored_t) * N);
    expect(walk(early, N + 1, -1, N, head, NULL), WF_AUDIT_INSERTED, 0,
           "row numbered 0 before the first");
    /* A replaced entry with a correct own hash breaks the next link. */
    snprintf(rows[2].f[0], 64, "user:mallory");
    seal_row(&rows[2], rows[1].hash);
    expect(walk(rows, N, -1, N, head, NULL), WF_AUDIT_INSERTED, 4, "replaced entry");
    make_chain(rows, N);

    /* Anchors catch a rewrite of the whole chain after a point. */
    char hex[65], anchor[100];
    wf_audit_hex(rows[2].hash, hex);
    snprintf(anchor, sizeof(anchor), "3:%s", hex);
    expect(walk(rows, N, -1, N, head, anchor), WF_AUDIT_INTACT, 0, "matching anchor");
    stored_t rewritten[N];
    memcpy(rewritten, rows, sizeof(rows[0]) * N);
    snprintf(rewritten[1].f[3], 64, "rewritten");
    uint8_t prev[32];
    memcpy(prev, rewritten[0].hash, 32);
    for (int i = 1; i < N; i++) {
        seal_row(&rewritten[i], prev);
        memcpy(prev, rewritten[i].hash, 32);
    }
    expect(walk(rewritten, N, -1, N, prev, NULL), WF_AUDIT_INTACT, 0,
           "a full rewrite including the head passes without an anchor");
    expect(walk(rewritten, N, -1, N, prev, anchor), WF_AUDIT_ALTERED, 3,
           "a full rewrite is caught by the anchor");
    snprintf(anchor, sizeof(anchor), "%d:%s", N + 5, hex);
    expect(walk(rows, N, -1, N, head, anchor), WF_AUDIT_DELETED, N + 5,
           "an anchor past the end means deleted entries");

    wf_audit_walk_init(&w);
    is_int(wf_audit_parse_anchor(&w, "3:abc"), -1, "short anchor refused");
    is_int(wf_audit_parse_anchor(
               &w, "0:"
                   "0000000000000000000000000000000000000000000000000000000000000000"),
           -1, "anchor at seq 0 refused");
    is_int(wf_audit_parse_anchor(
               &w, "x:"
                   "0000000000000000000000000000000000000000000000000000000000000000"),
           -1, "non-numeric anchor refused");
    is_int(wf_audit_parse_anchor(
               &w, "2:"
                   "000000000000000000000000000000000000000000000000000000000000000g"),
           -1, "non-hex anchor refused");
    return tap_done();
}
