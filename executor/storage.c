/* The internal storage's PostgreSQL backend (executor/storage.h): a file is
 * a storage_files row and its content storage_chunks rows of at most 1 MiB,
 * both under the domain's row-level security. A write is one transaction
 * (the previous file at the path deleted, the new row, its chunks, then
 * size, SHA-256 and `complete`), so a reader sees the old file or the new
 * one; a read is one REPEATABLE READ transaction fetching a chunk per
 * query, so memory stays at one chunk whatever the file's size. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "executor/storage.h"
#include "platform/log.h"
#include "platform/text.h"
#include "tenants/policy.h"

static const char *kind_name(wf_xstorage_kind_t k)
{
    return k == WF_XSTORAGE_NAMESPACE ? "namespace" : "execution";
}

/* `msg` of a failed statement on one line. */
static void pg_msg(PGresult *r, const char *what, const char *path, char *err, size_t errlen)
{
    char m[400];
    snprintf(m, sizeof(m), "%s", r ? PQresultErrorMessage(r) : "no result");
    m[strcspn(m, "\n")] = '\0';
    snprintf(err, errlen, "cannot %s '%s': %s", what, path, m[0] ? m : "database error");
}

static bool run_ok(PGresult *r)
{
    ExecStatusType st = PQresultStatus(r);
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

/* Runs `q`, true when it succeeded; the result is cleared. */
static bool run_quiet(wf_executor_t *ex, wf_xq_t q, int n, const char *const *p)
{
    PGresult *r = wf_xdb_run(ex, q, n, p);
    bool ok = run_ok(r);
    PQclear(r);
    return ok;
}

/* Checks the ref for `write` or a read. */
static int check_ref(const wf_xstorage_ref_t *ref, bool write, char *err, size_t errlen)
{
    if (ref == NULL || ref->path == NULL) {
        snprintf(err, errlen, "no file path");
        return WF_XSTORAGE_ERR;
    }
    char msg[200];
    if (wf_fileuri_check_path(ref->path, msg, sizeof(msg)) != 0) {
        snprintf(err, errlen, "file path '%.200s' refused: %s", ref->path, msg);
        return WF_XSTORAGE_ERR;
    }
    bool need_ns = write || ref->kind == WF_XSTORAGE_NAMESPACE;
    if ((need_ns || ref->namespace_ != NULL) && !wf_fileuri_namespace_valid(ref->namespace_)) {
        snprintf(err, errlen, "'%.200s' is not a namespace",
                 ref->namespace_ ? ref->namespace_ : "");
        return WF_XSTORAGE_ERR;
    }
    if (write && ref->kind == WF_XSTORAGE_EXECUTION &&
        (ref->execution_id == NULL || ref->execution_id[0] == '\0')) {
        snprintf(err, errlen, "an execution file needs its execution");
        return WF_XSTORAGE_ERR;
    }
    return 0;
}

/* Fills `st` from columns id, size, sha256, namespace, execution_id,
 * content_type, updated_at starting at `col`. */
static void stat_from(PGresult *r, int row, int col, wf_xstorage_stat_t *st)
{
    st->size = strtoll(PQgetvalue(r, row, col), NULL, 10);
    snprintf(st->sha256, sizeof(st->sha256), "%s", PQgetvalue(r, row, col + 1));
    snprintf(st->namespace_, sizeof(st->namespace_), "%s", PQgetvalue(r, row, col + 2));
    snprintf(st->execution_id, sizeof(st->execution_id), "%s", PQgetvalue(r, row, col + 3));
    snprintf(st->content_type, sizeof(st->content_type), "%s", PQgetvalue(r, row, col + 4));
    snprintf(st->updated_at, sizeof(st->updated_at), "%s", PQgetvalue(r, row, col + 5));
}

/* Reads until `len` bytes or the end of `fd`: how many, or -1. */
static ssize_t read_full(int fd, char *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

/* A conservative rate of the store (docs/storage.md measures 18 MB/s for
 * a put and 39 MB/s for a get on a small machine): how long a file of
 * `size` bytes may hold the loop, for the lease extension below. */
#define STORE_MIN_BYTES_PER_MS 4000

/* Large files block the executor's loop (and its heartbeats) longer than
 * a lease: renew the leases for that long first, or another replica would
 * take the executions over and run their tasks again. */
static void extend_leases(wf_executor_t *ex, int64_t size)
{
    if (size <= 0)
        return;
    int64_t ms = size / STORE_MIN_BYTES_PER_MS + ex->lease_ms;
    if (wf_xdb_extend_leases(ex, ms) != 0)
        wf_warn("cannot extend the leases before storing %jd bytes", (intmax_t)size);
}

/* The room the database volume has left, as a reason to refuse, or 0. */
static int volume_full(wf_executor_t *ex, char *err, size_t errlen)
{
    if (!wf_dbspace_full(&ex->space))
        return 0;
    char why[200];
    wf_dbspace_reason(&ex->space, why, sizeof(why));
    snprintf(err, errlen, "the internal storage refuses new files: %s", why);
    return WF_XSTORAGE_QUOTA;
}

int64_t wf_xstorage_used(wf_executor_t *ex, char *err, size_t errlen)
{
    const char *p[] = {ex->domain};
    PGresult *r = wf_xdb_run(ex, WF_XQ_STORE_USED, 1, p);
    int64_t used = -1;
    if (run_ok(r) && PQntuples(r) == 1)
        used = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    else
        pg_msg(r, "measure the storage of domain", ex->domain, err, errlen);
    PQclear(r);
    return used;
}

/* The domain's quota (policy maxStorage of the file's namespace) against
 * what it uses plus `adding` bytes: 0, or WF_XSTORAGE_QUOTA / _ERR. */
static int quota_check(wf_executor_t *ex, const char *ns, int64_t adding, char *err,
                       size_t errlen)
{
    struct wf_policy *p = wf_xpolicy_of(ex, ns);
    if (p == NULL) {
        snprintf(err, errlen, "cannot read the policy of namespace %s: no file is written", ns);
        return WF_XSTORAGE_ERR;
    }
    int64_t limit;
    const char *from;
    if (!wf_policy_limit(p, WF_POL_MAX_STORAGE, &limit, &from))
        return 0;
    int64_t used = wf_xstorage_used(ex, err, errlen);
    if (used < 0)
        return WF_XSTORAGE_ERR;
    if (used + adding > limit) {
        snprintf(err, errlen,
                 "storage quota of domain %s (%jd bytes, policy maxStorage of namespace %s) "
                 "exceeded: %jd bytes used, %jd more asked",
                 ex->domain, (intmax_t)limit, from && from[0] ? from : "\"\" (the root)",
                 (intmax_t)used, (intmax_t)(adding > 0 ? adding : 0));
        return WF_XSTORAGE_QUOTA;
    }
    return 0;
}

int wf_xstorage_put(wf_executor_t *ex, const wf_xstorage_ref_t *ref, int fd,
                    const wf_xstorage_meta_t *meta, wf_xstorage_stat_t *st, char *err,
                    size_t errlen)
{
    int rc = check_ref(ref, true, err, errlen);
    if (rc != 0)
        return rc;
    int64_t max = ex->cfg->storage.max_file_size;
    /* A regular file's size is known: refuse before writing anything. */
    struct stat sb;
    off_t pos = lseek(fd, 0, SEEK_CUR);
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && pos >= 0 && sb.st_size - pos > max) {
        snprintf(err, errlen, "file '%s' is %jd bytes, more than storage.max_file_size (%jd)",
                 ref->path, (intmax_t)(sb.st_size - pos), (intmax_t)max);
        return WF_XSTORAGE_TOOBIG;
    }
    if ((rc = volume_full(ex, err, errlen)) != 0)
        return rc;
    /* Before a byte is written, with the size when it is known. */
    bool known = S_ISREG(sb.st_mode) && pos >= 0;
    if ((rc = quota_check(ex, ref->namespace_, known ? sb.st_size - pos : 0, err, errlen)) != 0)
        return rc;

    extend_leases(ex, known ? sb.st_size - pos : 0);

    const char *kind = kind_name(ref->kind);
    const char *ns = ref->namespace_;
    const char *lock_ns = ref->kind == WF_XSTORAGE_EXECUTION ? "" : ns;
    char *buf = malloc(WF_XSTORAGE_CHUNK);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool in_tx = false;
    PGresult *r = NULL;
    int64_t total = 0;
    rc = WF_XSTORAGE_ERR;
    if (buf == NULL || md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        snprintf(err, errlen, "cannot store '%s': out of memory", ref->path);
        goto out;
    }
    if (!run_quiet(ex, WF_XQ_BEGIN, 0, NULL)) {
        snprintf(err, errlen, "cannot store '%s': the database is unavailable", ref->path);
        goto out;
    }
    in_tx = true;
    const char *lk[] = {kind, lock_ns, ref->path};
    r = wf_xdb_run(ex, WF_XQ_STORE_LOCK, 3, lk);
    if (!run_ok(r))
        goto db_fail;
    PQclear(r);
    r = wf_xdb_run(ex, WF_XQ_STORE_REPLACE, 3, lk);
    if (!run_ok(r))
        goto db_fail;
    PQclear(r);
    const char *ins[] = {ex->domain,
                         ns,
                         kind,
                         ref->path,
                         ref->kind == WF_XSTORAGE_EXECUTION ? ref->execution_id : "",
                         meta && meta->content_type ? meta->content_type : "",
                         meta && meta->created_by ? meta->created_by : ex->role};
    r = wf_xdb_run(ex, WF_XQ_STORE_INSERT, 7, ins);
    if (!run_ok(r) || PQntuples(r) != 1)
        goto db_fail;
    char id[24];
    snprintf(id, sizeof(id), "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    r = NULL;
    for (int seq = 0;; seq++) {
        ssize_t n = read_full(fd, buf, WF_XSTORAGE_CHUNK);
        if (n < 0) {
            snprintf(err, errlen, "cannot store '%s': read: %s", ref->path, strerror(errno));
            goto out;
        }
        if (n == 0 && seq > 0)
            break;
        total += n;
        if (total > max) {
            snprintf(err, errlen, "file '%s' is larger than storage.max_file_size (%jd bytes)",
                     ref->path, (intmax_t)max);
            rc = WF_XSTORAGE_TOOBIG;
            goto out;
        }
        /* The mark is refreshed from a timer; a long write looks again. */
        if ((rc = volume_full(ex, err, errlen)) != 0)
            goto out;
        rc = WF_XSTORAGE_ERR;
        EVP_DigestUpdate(md, buf, (size_t)n);
        if (n == 0)
            break; /* an empty file has no chunk */
        char sseq[16];
        snprintf(sseq, sizeof(sseq), "%d", seq);
        const char *cp[] = {id, sseq, ex->domain, buf};
        int lens[] = {0, 0, 0, (int)n};
        int fmts[] = {0, 0, 0, 1};
        r = wf_xdb_run_binary(ex, WF_XQ_STORE_CHUNK_PUT, 4, cp, lens, fmts, 0);
        if (!run_ok(r))
            goto db_fail;
        PQclear(r);
        r = NULL;
        if (n < WF_XSTORAGE_CHUNK)
            break;
    }
    unsigned char dig[32];
    unsigned dlen = 0;
    EVP_DigestFinal_ex(md, dig, &dlen);
    char hex[65], size[24];
    wf_hex_put(hex, dig, sizeof(dig));
    snprintf(size, sizeof(size), "%jd", (intmax_t)total);
    const char *cm[] = {id, size, hex};
    r = wf_xdb_run(ex, WF_XQ_STORE_COMPLETE, 3, cm);
    if (!run_ok(r))
        goto db_fail;
    PQclear(r);
    r = NULL;
    /* Again with what was written (this transaction's chunks count, the
     * replaced file's no longer): a stream of unknown size stops here. */
    if ((rc = quota_check(ex, ns, 0, err, errlen)) != 0)
        goto out;
    r = wf_xdb_run(ex, WF_XQ_COMMIT, 0, NULL);
    if (!run_ok(r))
        goto db_fail;
    in_tx = false;
    if (st != NULL) {
        memset(st, 0, sizeof(*st));
        st->size = total;
        memcpy(st->sha256, hex, sizeof(hex));
        snprintf(st->namespace_, sizeof(st->namespace_), "%s", ns);
        if (ref->kind == WF_XSTORAGE_EXECUTION)
            snprintf(st->execution_id, sizeof(st->execution_id), "%s", ref->execution_id);
        if (meta && meta->content_type)
            snprintf(st->content_type, sizeof(st->content_type), "%s", meta->content_type);
    }
    rc = 0;
    goto out;
db_fail:
    pg_msg(r, "store", ref->path, err, errlen);
    rc = WF_XSTORAGE_ERR;
out:
    PQclear(r);
    if (in_tx)
        run_quiet(ex, WF_XQ_ROLLBACK, 0, NULL);
    EVP_MD_CTX_free(md);
    free(buf);
    return rc;
}

/* Runs WF_XQ_STORE_STAT for `ref`: 0 with the id in `id`, NOTFOUND, ERR. */
static int stat_row(wf_executor_t *ex, const wf_xstorage_ref_t *ref, char *id, size_t idlen,
                    wf_xstorage_stat_t *st, char *err, size_t errlen)
{
    const char *ns = ref->kind == WF_XSTORAGE_EXECUTION ? "" : ref->namespace_;
    const char *p[] = {kind_name(ref->kind), ns, ref->path};
    PGresult *r = wf_xdb_run(ex, WF_XQ_STORE_STAT, 3, p);
    int rc;
    if (!run_ok(r)) {
        pg_msg(r, "read", ref->path, err, errlen);
        rc = WF_XSTORAGE_ERR;
    } else if (PQntuples(r) != 1 ||
               (ref->namespace_ != NULL && strcmp(PQgetvalue(r, 0, 3), ref->namespace_) != 0)) {
        snprintf(err, errlen, "file '%s' not found", ref->path);
        rc = WF_XSTORAGE_NOTFOUND;
    } else {
        snprintf(id, idlen, "%s", PQgetvalue(r, 0, 0));
        wf_xstorage_stat_t tmp;
        stat_from(r, 0, 1, st ? st : &tmp);
        rc = 0;
    }
    PQclear(r);
    return rc;
}

int wf_xstorage_stat(wf_executor_t *ex, const wf_xstorage_ref_t *ref, wf_xstorage_stat_t *st,
                     char *err, size_t errlen)
{
    int rc = check_ref(ref, false, err, errlen);
    if (rc != 0)
        return rc;
    char id[24];
    return stat_row(ex, ref, id, sizeof(id), st, err, errlen);
}

int wf_xstorage_exists(wf_executor_t *ex, const wf_xstorage_ref_t *ref, char *err, size_t errlen)
{
    int rc = wf_xstorage_stat(ex, ref, NULL, err, errlen);
    return rc == 0 ? 1 : rc == WF_XSTORAGE_NOTFOUND ? 0 : rc;
}

int wf_xstorage_read(wf_executor_t *ex, const wf_xstorage_ref_t *ref, int64_t max,
                     wf_xstorage_sink_t sink, void *ud, wf_xstorage_stat_t *st, char *err,
                     size_t errlen)
{
    int rc = check_ref(ref, false, err, errlen);
    if (rc != 0)
        return rc;
    /* The size first (outside the read's transaction), for the leases. */
    wf_xstorage_stat_t pre;
    char pre_id[24];
    if (stat_row(ex, ref, pre_id, sizeof(pre_id), &pre, err, errlen) == 0 &&
        (max <= 0 || pre.size <= max))
        extend_leases(ex, pre.size);
    if (!run_quiet(ex, WF_XQ_STORE_BEGIN_READ, 0, NULL)) {
        snprintf(err, errlen, "cannot read '%s': the database is unavailable", ref->path);
        return WF_XSTORAGE_ERR;
    }
    wf_xstorage_stat_t tmp, *s = st ? st : &tmp;
    char id[24];
    EVP_MD_CTX *md = NULL;
    PGresult *r = NULL;
    if ((rc = stat_row(ex, ref, id, sizeof(id), s, err, errlen)) != 0)
        goto out;
    if (max > 0 && s->size > max) {
        snprintf(err, errlen, "file '%s' is %jd bytes, more than the %jd allowed here", ref->path,
                 (intmax_t)s->size, (intmax_t)max);
        rc = WF_XSTORAGE_TOOBIG;
        goto out;
    }
    rc = WF_XSTORAGE_ERR;
    md = EVP_MD_CTX_new();
    if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
        goto out;
    int64_t total = 0;
    for (int next = 0;;) {
        char sseq[16];
        snprintf(sseq, sizeof(sseq), "%d", next);
        const char *p[] = {id, sseq};
        r = wf_xdb_run_binary(ex, WF_XQ_STORE_CHUNK_GET, 2, p, NULL, NULL, 1);
        if (!run_ok(r)) {
            pg_msg(r, "read", ref->path, err, errlen);
            goto out;
        }
        if (PQntuples(r) == 0)
            break;
        uint32_t seq;
        memcpy(&seq, PQgetvalue(r, 0, 0), sizeof(seq));
        next = (int)ntohl(seq) + 1;
        size_t len = (size_t)PQgetlength(r, 0, 1);
        total += (int64_t)len;
        if (total > s->size) {
            snprintf(err, errlen, "file '%s' holds more than its recorded size", ref->path);
            rc = WF_XSTORAGE_CORRUPT;
            goto out;
        }
        EVP_DigestUpdate(md, PQgetvalue(r, 0, 1), len);
        err[0] = '\0';
        if (sink(ud, PQgetvalue(r, 0, 1), len, err, errlen) != 0) {
            if (!err[0])
                snprintf(err, errlen, "cannot read '%s': the reader stopped", ref->path);
            goto out;
        }
        PQclear(r);
        r = NULL;
    }
    unsigned char dig[32];
    unsigned dlen = 0;
    char hex[65];
    EVP_DigestFinal_ex(md, dig, &dlen);
    wf_hex_put(hex, dig, sizeof(dig));
    if (total != s->size || strcmp(hex, s->sha256) != 0) {
        snprintf(err, errlen, "file '%s' does not match its recorded size and SHA-256", ref->path);
        rc = WF_XSTORAGE_CORRUPT;
        goto out;
    }
    rc = 0;
out:
    PQclear(r);
    EVP_MD_CTX_free(md);
    /* Read only: nothing to keep either way. */
    run_quiet(ex, WF_XQ_ROLLBACK, 0, NULL);
    return rc;
}

typedef struct fd_sink {
    int fd;
    const char *path;
} fd_sink_t;

static int to_fd(void *ud, const void *data, size_t len, char *err, size_t errlen)
{
    fd_sink_t *s = ud;
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(s->fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf(err, errlen, "cannot write '%s': %s", s->path,
                     n < 0 ? strerror(errno) : "short write");
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int wf_xstorage_get(wf_executor_t *ex, const wf_xstorage_ref_t *ref, int fd, int64_t max,
                    wf_xstorage_stat_t *st, char *err, size_t errlen)
{
    fd_sink_t s = {.fd = fd, .path = ref && ref->path ? ref->path : ""};
    return wf_xstorage_read(ex, ref, max, to_fd, &s, st, err, errlen);
}

int wf_xstorage_delete(wf_executor_t *ex, const wf_xstorage_ref_t *ref, char *err, size_t errlen)
{
    int rc = check_ref(ref, false, err, errlen);
    if (rc != 0)
        return rc;
    if (ref->kind == WF_XSTORAGE_EXECUTION && ref->namespace_ != NULL) {
        /* The namespace given must be the file's, as for a read. */
        wf_xstorage_stat_t st;
        char id[24];
        if ((rc = stat_row(ex, ref, id, sizeof(id), &st, err, errlen)) != 0)
            return rc;
    }
    const char *ns = ref->kind == WF_XSTORAGE_EXECUTION ? "" : ref->namespace_;
    const char *p[] = {kind_name(ref->kind), ns, ref->path};
    PGresult *r = wf_xdb_run(ex, WF_XQ_STORE_DELETE, 3, p);
    if (!run_ok(r)) {
        pg_msg(r, "delete", ref->path, err, errlen);
        rc = WF_XSTORAGE_ERR;
    } else if (PQntuples(r) == 0) {
        snprintf(err, errlen, "file '%s' not found", ref->path);
        rc = WF_XSTORAGE_NOTFOUND;
    }
    PQclear(r);
    return rc;
}

int wf_xstorage_list(wf_executor_t *ex, wf_xstorage_kind_t kind, const char *ns, const char *prefix,
                     int limit, wf_xstorage_list_cb cb, void *ud, char *err, size_t errlen)
{
    if (prefix == NULL || prefix[0] != '/' || strlen(prefix) > WF_FILEURI_PATH_MAX) {
        snprintf(err, errlen, "a list prefix starts with '/'");
        return WF_XSTORAGE_ERR;
    }
    if (ns != NULL && !wf_fileuri_namespace_valid(ns)) {
        snprintf(err, errlen, "'%.200s' is not a namespace", ns);
        return WF_XSTORAGE_ERR;
    }
    if (limit < 1 || limit > 100000) {
        snprintf(err, errlen, "a list returns 1 to 100000 files");
        return WF_XSTORAGE_ERR;
    }
    char slimit[16];
    snprintf(slimit, sizeof(slimit), "%d", limit);
    const char *p[] = {kind_name(kind), ns ? ns : "", prefix, slimit};
    PGresult *r = wf_xdb_run(ex, WF_XQ_STORE_LIST, 4, p);
    if (!run_ok(r)) {
        pg_msg(r, "list", prefix, err, errlen);
        PQclear(r);
        return WF_XSTORAGE_ERR;
    }
    int n = 0;
    for (int i = 0; i < PQntuples(r); i++) {
        wf_xstorage_stat_t st;
        stat_from(r, i, 1, &st);
        n++;
        if (cb(ud, PQgetvalue(r, i, 0), &st) != 0)
            break;
    }
    PQclear(r);
    return n;
}
