/* Namespace files (Kestra's routes under /api/v1/namespaces/{namespace}/files):
 * download, upload, delete, move, directory listing and creation, stats.
 * Files live in storage_files / storage_chunks (kind 'namespace'); the tree
 * operations are migration 0019's functions. Content moves 1 MiB at a time
 * on the thread's non-blocking pool: a download holds one chunk in memory
 * whatever the file's size. An upload's body is already in memory (h2o 2.2
 * buffers request bodies whole, up to namespace_files.max_file_size); it is
 * written chunk by chunk into a staging row that one final statement turns
 * into the file, so readers never see part of it. Writes are audited with
 * the path, size and SHA-256, never the content. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/multipart.h"
#include "api/reply.h"
#include "flow/nspath.h"
#include "platform/log.h"
#include "platform/text.h"
#include "platform/xmalloc.h"
#include "tenants/policy.h"

/* Bytes per stored chunk: the schema's limit (migration 0016). */
#define CHUNK 1048576

/* ---- paths ------------------------------------------------------------------ */

/* The clean path of query parameter `name`, or NULL after answering 400.
 * `root_ok`: the root "/" is a valid answer (listing, stats). */
static const char *query_path(wf_call_t *call, const char *name, bool root_ok)
{
    const char *raw = wf_http_query(call->req, name);
    if (raw == NULL) {
        wf_http_problem(call->req, WF_PROB_BAD_REQUEST, NULL,
                        "?%s= is required: a percent-encoded path without NUL, such as "
                        "/scripts/etl.py",
                        name);
        return NULL;
    }
    char *out = h2o_mem_alloc_pool(&call->req->pool, WF_NSPATH_MAX + 2);
    char why[160];
    if (wf_nspath_clean(raw, out, WF_NSPATH_MAX + 2, why, sizeof(why)) != 0) {
        wf_http_problem(call->req, WF_PROB_BAD_REQUEST, NULL, "?%s=: %s", name, why);
        return NULL;
    }
    if (!root_ok && wf_nspath_is_root(out)) {
        wf_http_problem(call->req, WF_PROB_BAD_REQUEST, NULL,
                        "?%s=: the namespace's root directory cannot be the target; name a file "
                        "or a directory below it",
                        name);
        return NULL;
    }
    return out;
}

/* The last segment of a clean path, for Content-Disposition. */
static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* ---- download ----------------------------------------------------------------- */

typedef struct download {
    h2o_generator_t gen; /* first: h2o hands it back to proceed/stop */
    int refs;            /* the request, plus one per pending query */
    h2o_req_t *req;      /* NULL once the request is gone */
    wf_gw_thread_t *th;
    char id[24];
    int64_t size, sent;
    int seq;
    unsigned char *buf; /* the chunk being written; freed when h2o is done with it */
} download_t;

static void dl_release(download_t *d)
{
    if (--d->refs > 0)
        return;
    free(d->buf);
    free(d);
}

/* Ends the response: `ok` completes it, otherwise the body is cut (the
 * client sees fewer bytes than Content-Length, never a short file that looks
 * whole). */
static void dl_finish(download_t *d, bool ok)
{
    h2o_req_t *req = d->req;
    d->req = NULL;
    h2o_send(req, NULL, 0, ok ? H2O_SEND_STATE_FINAL : H2O_SEND_STATE_ERROR);
    dl_release(d); /* the request's reference: stop will not be called */
}

static void dl_step(download_t *d);

static void on_chunk(void *arg, const PGresult *res)
{
    download_t *d = arg;
    if (d->req == NULL) {
        dl_release(d);
        return;
    }
    d->refs--; /* the query's; the request's keeps `d` alive */
    const char *b64 = wf_db_ok(res) && PQntuples(res) == 1 ? wf_db_get(res, 0, 0) : NULL;
    if (b64 == NULL) {
        /* A failed query, or the file was replaced or deleted mid-stream. */
        wf_warn("namespace file %s: chunk %d unavailable (%s)", d->id, d->seq,
                res && !wf_db_ok(res) ? PQresultErrorMessage(res) : "file changed");
        dl_finish(d, false);
        return;
    }
    size_t in = strlen(b64);
    free(d->buf);
    d->buf = malloc(in / 4 * 3 + 3);
    int n = d->buf ? EVP_DecodeBlock(d->buf, (const unsigned char *)b64, (int)in) : -1;
    if (n >= 0) /* EVP_DecodeBlock counts the padding as bytes */
        for (size_t i = in; i > 0 && b64[i - 1] == '='; i--)
            n--;
    if (n <= 0 || d->sent + n > d->size) {
        wf_warn("namespace file %s: chunk %d is malformed", d->id, d->seq);
        dl_finish(d, false);
        return;
    }
    d->sent += n;
    d->seq++;
    h2o_iovec_t buf = h2o_iovec_init(d->buf, (size_t)n);
    if (d->sent == d->size) {
        h2o_req_t *req = d->req;
        d->req = NULL;
        /* h2o may still be writing the last chunk when `d` goes (no proceed
         * follows a final send): the request's pool holds it until then. */
        buf.base = h2o_mem_alloc_pool(&req->pool, (size_t)n);
        memcpy(buf.base, d->buf, (size_t)n);
        h2o_send(req, &buf, 1, H2O_SEND_STATE_FINAL);
        dl_release(d); /* the request's */
    } else {
        h2o_send(d->req, &buf, 1, H2O_SEND_STATE_IN_PROGRESS);
    }
}

static void dl_step(download_t *d)
{
    char seq[16];
    snprintf(seq, sizeof(seq), "%d", d->seq);
    const char *params[2] = {d->id, seq};
    d->refs++;
    wf_db_query(d->th->db, WF_SQL_NSFILE_CHUNK, 2, params, on_chunk, d);
}

static void on_dl_proceed(h2o_generator_t *gen, h2o_req_t *req)
{
    (void)req;
    download_t *d = (download_t *)gen;
    dl_step(d);
}

static void on_dl_stop(h2o_generator_t *gen, h2o_req_t *req)
{
    (void)req;
    download_t *d = (download_t *)gen;
    d->req = NULL;
    dl_release(d);
}

static void on_meta(void *arg, const PGresult *res)
{
    wf_call_t *call = arg;
    if (!wf_reply_need_row(call, res, WF_PROB_NOT_FOUND, "no such namespace file"))
        return;
    download_t *d = wf_xcalloc(1, sizeof(*d));
    d->gen.proceed = on_dl_proceed;
    d->gen.stop = on_dl_stop;
    d->refs = 1;
    d->req = call->req;
    d->th = call->th;
    snprintf(d->id, sizeof(d->id), "%s", wf_db_get(res, 0, 0));
    d->size = strtoll(wf_db_get(res, 0, 1), NULL, 10);
    const char *sha = wf_db_get(res, 0, 2);
    const char *type = wf_db_get(res, 0, 3);
    h2o_req_t *req = call->req;
    const char *path = call->state;
    req->res.status = 200;
    req->res.reason = "OK";
    req->res.content_length = (size_t)d->size;
    /* A stored type is only ever one a writer of the namespace gave; it is
     * served as an attachment, never rendered by a browser in our origin. */
    const char *ct = type != NULL ? type : "application/octet-stream";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, ct, strlen(ct));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-content-type-options"), 0,
                          NULL, H2O_STRLIT("nosniff"));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
                   H2O_STRLIT("no-store"));
    /* RFC 6266 with the RFC 8187 form: any byte of the name survives,
     * percent-encoded, and none can break out of the header. */
    const char *name = base_name(path);
    size_t nl = strlen(name);
    char *disp = h2o_mem_alloc_pool(&req->pool, nl * 3 + 40);
    size_t o = (size_t)sprintf(disp, "attachment; filename*=UTF-8''");
    for (size_t i = 0; i < nl; i++) {
        unsigned char c = (unsigned char)name[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("!#$&+-.^_`|~", c) != NULL)
            disp[o++] = (char)c;
        else
            o += (size_t)sprintf(disp + o, "%%%02X", c);
    }
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_DISPOSITION, NULL, disp, o);
    if (sha != NULL)
        h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-weft-sha256"), 0, NULL,
                              sha, strlen(sha));
    h2o_start_response(req, &d->gen);
    if (d->size == 0)
        dl_finish(d, true);
    else
        dl_step(d);
}

void wf_h_nsfile_get(wf_call_t *call)
{
    const char *path = query_path(call, "path", false);
    if (path == NULL)
        return;
    call->state = (void *)path;
    const char *params[2] = {call->ns, path};
    wf_db_query(call->th->db, WF_SQL_NSFILE_META, 2, params, on_meta, call);
}

/* ---- upload ------------------------------------------------------------------- */

typedef struct upload {
    wf_call_t *call;
    const char *path;
    const unsigned char *data; /* the body, in the request */
    size_t len, off;
    int seq;
    char id[24];
    char sha256[65];
    const char *content_type; /* NULL: unknown */
    bool has_quota;           /* a maxStorage policy applies */
    int64_t quota;
    const char *quota_from; /* the prefix setting it */
} upload_t;

static void on_abort(void *arg, const PGresult *res)
{
    (void)arg;
    if (!wf_db_ok(res))
        wf_warn("namespace files: an aborted upload's staging row stays until the next upload "
                "(%s)",
                res ? PQresultErrorMessage(res) : "no database");
}

/* Answers a failed upload: the staging row goes (best effort; a row left
 * behind is invisible and removed by a later upload). */
static void upload_fail(upload_t *u, const PGresult *res)
{
    const char *params[1] = {u->id};
    wf_db_query(u->call->th->db, WF_SQL_NSFILE_ABORT, 1, params, on_abort, NULL);
    wf_call_db_error(u->call, res);
}

static void on_commit(void *arg, const PGresult *res)
{
    upload_t *u = arg;
    wf_call_t *call = u->call;
    if (!wf_reply_need_row(call, res, WF_PROB_INTERNAL, "the store gave no answer"))
        return;
    json_t *r = json_loads(wf_db_get(res, 0, 0), 0, NULL);
    const char *outcome = json_string_value(json_object_get(r, "outcome"));
    if (outcome != NULL && strcmp(outcome, "stored") == 0) {
        json_t *entry = json_incref(json_object_get(r, "entry"));
        json_object_set_new(entry, "path", json_string(u->path));
        wf_http_json(call->req, 200, entry);
    } else if (outcome != NULL && strcmp(outcome, "conflict") == 0) {
        wf_http_problem(call->req, WF_PROB_CONFLICT, NULL, "%s",
                        json_string_value(json_object_get(r, "detail")));
    } else {
        wf_http_problem(call->req, WF_PROB_CONFLICT, NULL,
                        "the upload was interrupted (%s); send it again",
                        outcome ? outcome : "no outcome");
    }
    json_decref(r);
}

static void upload_step(upload_t *u);

static void on_chunk_put(void *arg, const PGresult *res)
{
    upload_t *u = arg;
    if (!wf_db_ok(res) || PQntuples(res) != 1) {
        upload_fail(u, res);
        return;
    }
    upload_step(u);
}

/* Writes the next chunk, or commits once all are written. */
static void upload_step(upload_t *u)
{
    wf_call_t *call = u->call;
    if (u->off >= u->len) {
        char size[24];
        snprintf(size, sizeof(size), "%zu", u->len);
        const char *params[7] = {call->ns,        u->path,          u->id, size, u->sha256,
                                 u->content_type, call->who.subject};
        wf_db_query(call->th->db, WF_SQL_NSFILE_COMMIT, 7, params, on_commit, u);
        return;
    }
    size_t n = u->len - u->off < CHUNK ? u->len - u->off : CHUNK;
    /* base64: the pool's parameters are text. Freed as soon as the pool has
     * its own copy, so an upload holds one encoded chunk at a time. */
    char *b64 = malloc(4 * ((n + 2) / 3) + 1);
    if (b64 == NULL) {
        upload_fail(u, NULL);
        return;
    }
    EVP_EncodeBlock((unsigned char *)b64, u->data + u->off, (int)n);
    char seq[16];
    snprintf(seq, sizeof(seq), "%d", u->seq);
    const char *params[3] = {u->id, seq, b64};
    u->off += n;
    u->seq++;
    wf_db_query(call->th->db, WF_SQL_NSFILE_CHUNK_PUT, 3, params, on_chunk_put, u);
    free(b64);
}

static void on_begin(void *arg, const PGresult *res)
{
    upload_t *u = arg;
    if (!wf_reply_ok(u->call, res))
        return;
    const char *id = wf_db_get(res, 0, 0);
    if (id == NULL) {
        wf_http_problem(u->call->req, WF_PROB_INVALID, NULL, "namespace %s is owned by no domain",
                        u->call->ns);
        return;
    }
    snprintf(u->id, sizeof(u->id), "%s", id);
    /* The domain's quota, as executors check it before they write (the
     * staging row holds no bytes yet). */
    const char *used_s = wf_db_get(res, 0, 1);
    int64_t used = used_s ? strtoll(used_s, NULL, 10) : 0;
    if (u->has_quota && used + (int64_t)u->len > u->quota) {
        const char *params[1] = {u->id};
        wf_db_query(u->call->th->db, WF_SQL_NSFILE_ABORT, 1, params, on_abort, NULL);
        wf_http_problem(u->call->req, WF_PROB_TOO_MANY,
                        json_pack("{s:I, s:I}", "limit", (json_int_t)u->quota, "used",
                                  (json_int_t)used),
                        "storage quota (policy maxStorage of '%s', %lld bytes) exceeded: %lld "
                        "bytes used, %zu more asked",
                        u->quota_from ? u->quota_from : "", (long long)u->quota,
                        (long long)used, u->len);
        return;
    }
    upload_step(u);
}

/* The namespace's policy: its maxStorage, if any, before anything is written. */
static void on_upload_policy(void *arg, const PGresult *res)
{
    upload_t *u = arg;
    wf_call_t *call = u->call;
    struct wf_policy *p = wf_h_policy_chain(call, res, call->ns, false, false);
    if (p == NULL)
        return;
    const char *from = NULL;
    u->has_quota = wf_policy_limit(p, WF_POL_MAX_STORAGE, &u->quota, &from);
    u->quota_from = from ? wf_http_strdup(call->req, from) : NULL;
    wf_policy_destroy(p);
    const char *params[2] = {call->ns, call->who.subject};
    wf_db_query(call->th->db, WF_SQL_NSFILE_BEGIN, 2, params, on_begin, u);
}

static const char *const multipart_types[] = {"multipart/form-data", NULL};

/* Starts writing `len` bytes at `data` (in the request) as `path`. */
static void upload_start(wf_call_t *call, const char *path, const void *data, size_t len,
                         const char *content_type)
{
    upload_t *u = h2o_mem_alloc_pool(&call->req->pool, sizeof(*u));
    memset(u, 0, sizeof(*u));
    u->call = call;
    u->path = path;
    u->data = data;
    u->len = len;
    u->content_type = content_type;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1) {
        wf_http_problem(call->req, WF_PROB_INTERNAL, NULL, "SHA-256 failed");
        return;
    }
    wf_hex_put(u->sha256, md, mdlen);
    const char *params[1] = {call->ns};
    wf_db_query(call->th->db, WF_SQL_POLICY_CHAIN, 1, params, on_upload_policy, u);
}

/* Kestra's upload: multipart/form-data whose part "fileContent" is the file
 * (api/multipart.h; other parts are ignored, as Kestra does). The body is
 * already whole in memory (h2o), so the part is written from where it is. */
static void upload_multipart(wf_call_t *call, const char *path, const char *body, size_t len)
{
    char boundary[71], why[200];
    const char *bad = NULL;
    if (wf_mp_boundary(wf_http_header(call->req, "content-type"), boundary, &bad) != 0) {
        wf_http_problem(call->req, WF_PROB_BAD_REQUEST, NULL, "multipart/form-data: %s", bad);
        return;
    }
    wf_mp_part_t *parts = h2o_mem_alloc_pool(&call->req->pool, sizeof(*parts) * WF_MP_MAX_PARTS);
    int n = wf_mp_parse(body, len, boundary, parts, why, sizeof(why));
    if (n < 0) {
        wf_http_problem(call->req, WF_PROB_BAD_REQUEST, NULL, "multipart/form-data: %s", why);
        return;
    }
    for (int i = 0; i < n; i++) {
        if (strcmp(parts[i].name, "fileContent") != 0)
            continue;
        const char *type = parts[i].content_type;
        bool generic = type[0] == '\0' || strncmp(type, "application/octet-stream", 24) == 0;
        upload_start(call, path, parts[i].data, parts[i].len,
                     generic ? NULL : wf_http_printf(call->req, "%s", type));
        return;
    }
    wf_http_problem(call->req, WF_PROB_BAD_REQUEST, NULL,
                    "the multipart body has no part named fileContent (the file)");
}

void wf_h_nsfile_put(wf_call_t *call)
{
    const char *path = query_path(call, "path", false);
    if (path == NULL)
        return;
    h2o_req_t *req = call->req;
    const char *data = req->entity.base != NULL ? req->entity.base : "";
    size_t len = req->entity.base != NULL ? req->entity.len : 0;
    if (wf_http_content_type_is(req, multipart_types)) {
        upload_multipart(call, path, data, len);
        return;
    }
    /* A raw body is the file. Its declared type is kept for downloads unless
     * it is the generic one. */
    const char *ct = wf_http_header(req, "content-type");
    if (ct != NULL && (strncmp(ct, "application/octet-stream", 24) == 0 || strlen(ct) > 200))
        ct = NULL;
    upload_start(call, path, data, len, ct);
}

/* ---- listing, stats, directories, delete, move --------------------------------- */

static void on_list(void *arg, const PGresult *res)
{
    wf_call_t *call = arg;
    if (!wf_reply_need_row(call, res, WF_PROB_INTERNAL, "the store gave no answer"))
        return;
    const char *found = wf_db_get(res, 0, 0);
    if (found == NULL || strcmp(found, "t") != 0) {
        wf_http_problem(call->req, WF_PROB_NOT_FOUND, NULL, "no such directory: %s",
                        (const char *)call->state);
        return;
    }
    wf_reply_raw(call, 200, wf_db_get(res, 0, 1));
}

void wf_h_nsfile_list(wf_call_t *call)
{
    const char *path = query_path(call, "path", true);
    if (path == NULL)
        return;
    call->state = (void *)path;
    /* The directory as a prefix: "/" or "/a/b/". */
    const char *prefix = wf_nspath_is_root(path) ? "/" : wf_http_printf(call->req, "%s/", path);
    const char *params[2] = {call->ns, prefix};
    wf_db_query(call->th->db, WF_SQL_NSFILE_LIST, 2, params, on_list, call);
}

void wf_h_nsfile_stats(wf_call_t *call)
{
    const char *path = query_path(call, "path", true);
    if (path == NULL)
        return;
    const char *params[2] = {call->ns, path};
    wf_reply_doc_query(call, WF_SQL_NSFILE_STATS, 2, params, 0);
}

static void on_mkdir(void *arg, const PGresult *res)
{
    wf_call_t *call = arg;
    if (!wf_reply_need_row(call, res, WF_PROB_INTERNAL, "the store gave no answer"))
        return;
    json_t *r = json_loads(wf_db_get(res, 0, 0), 0, NULL);
    const char *outcome = json_string_value(json_object_get(r, "outcome"));
    const char *path = call->state;
    if (outcome != NULL && (strcmp(outcome, "created") == 0 || strcmp(outcome, "exists") == 0))
        wf_http_json(call->req, strcmp(outcome, "created") == 0 ? 201 : 200,
                     json_pack("{s:s, s:s, s:s}", "path", path, "type", "Directory", "fileName",
                               base_name(path)));
    else if (outcome != NULL && strcmp(outcome, "conflict") == 0)
        wf_http_problem(call->req, WF_PROB_CONFLICT, NULL, "%s",
                        json_string_value(json_object_get(r, "detail")));
    else if (outcome != NULL && strcmp(outcome, "nodomain") == 0)
        wf_http_problem(call->req, WF_PROB_INVALID, NULL, "namespace %s is owned by no domain",
                        call->ns);
    else
        wf_http_problem(call->req, WF_PROB_INTERNAL, NULL, "unexpected answer (%s)",
                        outcome ? outcome : "none");
    json_decref(r);
}

void wf_h_nsfile_mkdir(wf_call_t *call)
{
    const char *path = query_path(call, "path", false);
    if (path == NULL)
        return;
    call->state = (void *)path;
    const char *params[3] = {call->ns, path, call->who.subject};
    wf_db_query(call->th->db, WF_SQL_NSFILE_MKDIR, 3, params, on_mkdir, call);
}

static const wf_reply_one_t deleted = {
    .status = 204, .none = WF_PROB_NOT_FOUND, .none_detail = "no such namespace file or directory"};

void wf_h_nsfile_delete(wf_call_t *call)
{
    const char *path = query_path(call, "path", false);
    if (path == NULL)
        return;
    const char *params[3] = {call->ns, path, call->who.subject};
    wf_reply_one(call, WF_SQL_NSFILE_DELETE, 3, params, &deleted);
}

static void on_move(void *arg, const PGresult *res)
{
    wf_call_t *call = arg;
    if (!wf_reply_need_row(call, res, WF_PROB_INTERNAL, "the store gave no answer"))
        return;
    json_t *r = json_loads(wf_db_get(res, 0, 0), 0, NULL);
    const char *outcome = json_string_value(json_object_get(r, "outcome"));
    const char *const *ft = call->state;
    if (outcome != NULL && strcmp(outcome, "moved") == 0)
        wf_http_json(call->req, 200,
                     json_pack("{s:s, s:s, s:O, s:O}", "from", ft[0], "to", ft[1], "type",
                               json_object_get(r, "type"), "files", json_object_get(r, "files")));
    else if (outcome != NULL && strcmp(outcome, "missing") == 0)
        wf_http_problem(call->req, WF_PROB_NOT_FOUND, NULL,
                        "no such namespace file or directory: %s", ft[0]);
    else if (outcome != NULL && strcmp(outcome, "conflict") == 0)
        wf_http_problem(call->req, WF_PROB_CONFLICT, NULL, "%s",
                        json_string_value(json_object_get(r, "detail")));
    else
        wf_http_problem(call->req, WF_PROB_INTERNAL, NULL, "unexpected answer (%s)",
                        outcome ? outcome : "none");
    json_decref(r);
}

static void on_move_done(void *arg, const PGresult *res)
{
    wf_call_t *call = arg;
    /* A moved directory whose deepest path would pass the length limit. */
    if (res != NULL && strcmp(wf_db_sqlstate(res), "23514") == 0) {
        wf_http_problem(call->req, WF_PROB_INVALID, NULL,
                        "a moved path would be longer than %d bytes", WF_NSPATH_MAX);
        return;
    }
    on_move(arg, res);
}

void wf_h_nsfile_move(wf_call_t *call)
{
    const char *from = query_path(call, "from", false);
    if (from == NULL)
        return;
    const char *to = query_path(call, "to", false);
    if (to == NULL)
        return;
    const char **ft = h2o_mem_alloc_pool(&call->req->pool, 2 * sizeof(*ft));
    ft[0] = from;
    ft[1] = to;
    call->state = ft;
    const char *params[4] = {call->ns, from, to, call->who.subject};
    wf_db_query(call->th->db, WF_SQL_NSFILE_MOVE, 4, params, on_move_done, call);
}
