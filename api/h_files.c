/* Execution files: the list, the download and the size of one file, for a
 * caller with read permission on the execution's namespace. A file is named
 * by its URI (weft:///… or Kestra's kestra:///…), which must lie under the
 * execution's own folder: the execution in the path is what RBAC checked,
 * so a URI of another execution, even one the caller may read, is refused
 * rather than looked up through this one.
 *
 * A download streams the file's chunks (at most 1 MiB each, see
 * platform/migrations/0016_storage.sql) one query at a time on the thread's
 * non-blocking pool: the next chunk is asked for only when h2o has written
 * the previous one to the client (the generator's proceed), so a download
 * holds one chunk of memory however large the file and however slow the
 * client. */
#include <arpa/inet.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/inputs.h"
#include "api/reply.h"
#include "flow/fileuri.h"
#include "platform/log.h"
#include "platform/xmalloc.h"

#define CHUNK_MAX 1048576
#define LIST_MAX 10000

/* ---- URIs -------------------------------------------------------------- */

/* "/company/team/flow/executions/ID/": the folder of an execution's files
 * (flow/fileuri.h), or NULL when a part is not a valid path component. */
static char *execution_prefix(h2o_req_t *req, const char *ns, const char *flow_id, const char *id)
{
    char path[WF_FILEURI_PATH_MAX + 1], msg[160];
    if (wf_fileuri_exec_path(ns, flow_id, id, path, sizeof(path), msg, sizeof(msg)) != 0)
        return NULL;
    return wf_http_printf(req, "%s/", path);
}

/* The weft:/// URI of a stored path (percent-encoded as flow/fileuri.h
 * builds them), as a JSON string. */
static json_t *uri_of(const char *path)
{
    char uri[WF_FILEURI_URI_MAX], msg[160];
    if (wf_fileuri_from_path(path, uri, sizeof(uri), msg, sizeof(msg)) != 0)
        return json_sprintf("weft://%s", path);
    return json_string(uri);
}

/* The file's name for a download: its last segment. */
static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* ---- by execution: load, authorise, go on --------------------------------- */

typedef void (*files_then_fn)(wf_call_t *call, const char *prefix);

static void on_meta(void *arg, const PGresult *res)
{
    wf_call_t *call = arg;
    files_then_fn then = (files_then_fn)call->state;
    if (!wf_reply_need_row(call, res, WF_PROB_NOT_FOUND, NULL))
        return;
    call->ns = wf_http_strdup(call->req, wf_db_get(res, 0, 0));
    /* Without read permission the execution does not exist for the caller:
     * 404 when the namespace is hidden, as for the execution itself. */
    if (!wf_call_authorize(call, WF_PERM_EXECUTION_READ, call->ns))
        return;
    char *prefix =
        execution_prefix(call->req, call->ns, wf_db_get(res, 0, 2), wf_call_param(call, "id"));
    if (prefix == NULL) {
        wf_http_problem(call->req, WF_PROB_INTERNAL, NULL,
                        "the execution's flow id cannot name a storage path");
        return;
    }
    then(call, prefix);
}

static void start(wf_call_t *call, files_then_fn then)
{
    const char *id = wf_call_param(call, "id");
    if (!wf_execution_id_valid(id)) {
        wf_http_problem(call->req, WF_PROB_NOT_FOUND, NULL, "no such resource");
        return;
    }
    call->state = (void *)then;
    const char *params[1] = {id};
    wf_db_query(call->th->db, WF_SQL_EXEC_META, 1, params, on_meta, call);
}

/* The storage path named by ?path=, checked to lie under `prefix`; answers
 * and returns NULL otherwise. */
static const char *wanted_path(wf_call_t *call, const char *prefix)
{
    const char *uri = wf_http_query(call->req, "path");
    if (uri == NULL || uri[0] == '\0') {
        wf_http_problem(call->req, WF_PROB_BAD_REQUEST, NULL,
                        "give the file's URI as ?path=weft:///…");
        return NULL;
    }
    char *path = h2o_mem_alloc_pool(&call->req->pool, WF_FILEURI_PATH_MAX + 1);
    char why[200];
    if (wf_fileuri_parse(uri, path, WF_FILEURI_PATH_MAX + 1, why, sizeof(why)) != 0) {
        wf_http_problem(call->req, WF_PROB_BAD_REQUEST, NULL, "path: %s", why);
        return NULL;
    }
    size_t plen = strlen(prefix);
    if (strncmp(path, prefix, plen) != 0 || path[plen] == '\0') {
        /* Said plainly: the caller gave the URI and may read this execution. */
        wf_http_problem(
            call->req, WF_PROB_NOT_FOUND,
            json_pack("{s:s}", "expected", wf_http_printf(call->req, "weft://%s…", prefix)),
            "the path is not a file of execution %s (its files are under "
            "weft://%s)",
            wf_call_param(call, "id"), prefix);
        return NULL;
    }
    return path;
}

/* ---- GET /api/v1/executions/{id}/files ----------------------------------- */

static void on_list(void *arg, const PGresult *res)
{
    wf_call_t *call = arg;
    if (!wf_reply_ok(call, res))
        return;
    const char *id = wf_call_param(call, "id");
    json_t *results = json_array();
    int n = PQntuples(res);
    for (int i = 0; i < n && i < LIST_MAX; i++) {
        const char *path = wf_db_get(res, i, 0);
        /* What follows ".../executions/ID/": tasks/TASK/RUN/name or
         * inputs/INPUT/name (anything else is listed with its path only). */
        const char *rest = strstr(path, "/executions/");
        rest = rest ? strchr(rest + strlen("/executions/"), '/') : NULL;
        rest = rest ? rest + 1 : "";
        char a[256] = "", b[256] = "";
        const char *name = base_name(path);
        const char *kind = NULL;
        if (strncmp(rest, "tasks/", 6) == 0 || strncmp(rest, "inputs/", 7) == 0) {
            kind = rest[0] == 't' ? "task" : "input";
            const char *s = strchr(rest, '/') + 1;
            const char *e = strchr(s, '/');
            if (e != NULL && (size_t)(e - s) < sizeof(a)) {
                memcpy(a, s, (size_t)(e - s));
                a[e - s] = '\0';
                if (kind[0] == 't') {
                    const char *s2 = e + 1, *e2 = strchr(s2, '/');
                    if (e2 != NULL && (size_t)(e2 - s2) < sizeof(b)) {
                        memcpy(b, s2, (size_t)(e2 - s2));
                        b[e2 - s2] = '\0';
                        name = e2 + 1; /* a task's file name may hold '/' */
                    }
                } else {
                    name = e + 1;
                }
            }
        }
        json_t *row = json_pack("{s:s, s:I, s:s?, s:s?, s:s?}", "name", name, "size",
                                (json_int_t)strtoll(wf_db_get(res, i, 1), NULL, 10), "sha256",
                                wf_db_get(res, i, 2), "contentType", wf_db_get(res, i, 3),
                                "created", wf_db_get(res, i, 4));
        if (row == NULL)
            continue;
        json_object_set_new(row, "uri", uri_of(path));
        if (kind != NULL && kind[0] == 't') {
            json_object_set_new(row, "task", json_string(a));
            json_object_set_new(row, "taskRunId", json_string(b));
        } else if (kind != NULL) {
            json_object_set_new(row, "input", json_string(a));
        }
        json_array_append_new(results, row);
    }
    wf_http_json(call->req, 200,
                 json_pack("{s:s, s:o, s:i, s:b}", "executionId", id, "results", results, "total",
                           n > LIST_MAX ? LIST_MAX : n, "truncated", n > LIST_MAX));
}

static void list_then(wf_call_t *call, const char *prefix)
{
    (void)prefix;
    const char *params[1] = {wf_call_param(call, "id")};
    wf_db_query(call->th->db, WF_SQL_FILE_LIST, 1, params, on_list, call);
}

void wf_h_execution_files(wf_call_t *call)
{
    start(call, list_then);
}

/* ---- GET /api/v1/executions/{id}/file/metas?path= ------------------------- */

static void on_metas(void *arg, const PGresult *res)
{
    wf_call_t *call = arg;
    if (!wf_reply_need_row(call, res, WF_PROB_NOT_FOUND,
                           "no such file in this execution (or it is still being written)"))
        return;
    const char *path = wf_db_get(res, 0, 4);
    wf_http_json(call->req, 200,
                 json_pack("{s:I, s:s?, s:s?, s:s, s:o}", "size",
                           (json_int_t)strtoll(wf_db_get(res, 0, 1), NULL, 10), "sha256",
                           wf_db_get(res, 0, 2), "contentType", wf_db_get(res, 0, 3), "name",
                           base_name(path), "uri", uri_of(path)));
}

static void metas_then(wf_call_t *call, const char *prefix)
{
    const char *path = wanted_path(call, prefix);
    if (path == NULL)
        return;
    const char *params[2] = {path, wf_call_param(call, "id")};
    wf_db_query(call->th->db, WF_SQL_FILE_STAT, 2, params, on_metas, call);
}

void wf_h_execution_file_metas(wf_call_t *call)
{
    start(call, metas_then);
}

/* ---- GET /api/v1/executions/{id}/file?path= -------------------------------- */

typedef struct download {
    h2o_generator_t gen; /* first: h2o hands it back to proceed/stop */
    int refs;            /* the request, plus one while a chunk query is pending */
    h2o_req_t *req;      /* NULL once the request is gone or the last byte is sent */
    wf_gw_thread_t *th;
    char file_id[24];
    int next_seq; /* the next chunk has at least this sequence number */
    int64_t size, sent;
    char *buf;       /* one chunk, in the request's pool (freed with it) */
    EVP_MD_CTX *sha; /* over the bytes sent, checked before the last ones go */
    char want[65];   /* the stored SHA-256 (hex), "" when none */
} download_t;

static void dl_release(download_t *d)
{
    if (--d->refs > 0)
        return;
    EVP_MD_CTX_free(d->sha);
    free(d);
}

/* True when the bytes hashed so far are the stored file (or nothing is
 * known to compare with). */
static bool dl_digest_ok(download_t *d)
{
    if (d->want[0] == '\0' || d->sha == NULL)
        return true;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (EVP_DigestFinal_ex(d->sha, md, &n) != 1 || n != 32)
        return false;
    char hex[65];
    for (unsigned int i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return strcmp(hex, d->want) == 0;
}

/* Ends the response: `ok` after the last byte; otherwise the connection is
 * cut, so the client sees a short body against Content-Length, never a
 * truncated file that looks whole. */
static void dl_finish(download_t *d, h2o_iovec_t *buf, size_t n, bool ok)
{
    h2o_req_t *req = d->req;
    d->req = NULL;
    h2o_send(req, buf, n, ok ? H2O_SEND_STATE_FINAL : H2O_SEND_STATE_ERROR);
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
    d->refs--; /* the query's; the request's keeps `d` until dl_finish */
    if (!wf_db_ok(res) || PQntuples(res) != 1 || PQgetlength(res, 0, 0) != 4) {
        /* No chunk: the file was deleted or replaced while being read, or the
         * database went away. */
        if (!wf_db_ok(res) || d->sent != d->size)
            wf_warn("download of file %s cut after %lld of %lld bytes: %s", d->file_id,
                    (long long)d->sent, (long long)d->size,
                    wf_db_ok(res) ? "chunks missing"
                    : res         ? PQresultErrorMessage(res)
                                  : "no database");
        dl_finish(d, NULL, 0, wf_db_ok(res) && d->sent == d->size);
        return;
    }
    uint32_t seq;
    memcpy(&seq, PQgetvalue(res, 0, 0), 4);
    seq = ntohl(seq);
    size_t len = (size_t)PQgetlength(res, 0, 1);
    if (len > CHUNK_MAX || d->sent + (int64_t)len > d->size) {
        wf_warn("download of file %s cut: its chunks hold more than its size", d->file_id);
        dl_finish(d, NULL, 0, false);
        return;
    }
    memcpy(d->buf, PQgetvalue(res, 0, 1), len);
    d->sent += (int64_t)len;
    d->next_seq = (int)seq + 1;
    if (d->sha != NULL)
        EVP_DigestUpdate(d->sha, d->buf, len);
    h2o_iovec_t buf = h2o_iovec_init(d->buf, len);
    if (d->sent == d->size) {
        /* The last bytes go only if the whole is what was stored: a chunk
         * changed in the database cuts the download instead. */
        bool ok = dl_digest_ok(d);
        if (!ok)
            wf_warn("download of file %s cut: its content does not match its SHA-256", d->file_id);
        dl_finish(d, &buf, ok ? 1 : 0, ok);
    } else
        h2o_send(d->req, &buf, 1, H2O_SEND_STATE_IN_PROGRESS);
}

static void dl_step(download_t *d)
{
    char seq[16];
    snprintf(seq, sizeof(seq), "%d", d->next_seq);
    const char *params[2] = {d->file_id, seq};
    d->refs++;
    wf_db_query(d->th->db, WF_SQL_FILE_CHUNK, 2, params, on_chunk, d);
}

static void on_dl_proceed(h2o_generator_t *gen, h2o_req_t *req)
{
    (void)req;
    dl_step((download_t *)gen);
}

static void on_dl_stop(h2o_generator_t *gen, h2o_req_t *req)
{
    (void)req;
    download_t *d = (download_t *)gen;
    d->req = NULL;
    dl_release(d);
}

/* A stored content type is sent only when it looks like one (type/subtype,
 * printable, no separators that would end the header). */
static bool content_type_ok(const char *t)
{
    if (t == NULL || strlen(t) > 200 || strchr(t, '/') == NULL)
        return false;
    for (const char *c = t; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
            return false;
    return true;
}

/* attachment; filename="…" with every byte outside printable ASCII, and the
 * quote and backslash, replaced by '_', then filename*=UTF-8''… with the
 * exact name percent-encoded (RFC 6266, RFC 8187) for clients that read it. */
static char *disposition(h2o_req_t *req, const char *name)
{
    size_t n = strlen(name);
    char *plain = h2o_mem_alloc_pool(&req->pool, n + 1);
    char *ext = h2o_mem_alloc_pool(&req->pool, 3 * n + 1);
    char *e = ext;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        plain[i] = (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') ? '_' : (char)c;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("!#$&+-.^_`|~", c) != NULL) {
            *e++ = (char)c;
        } else {
            static const char hex[] = "0123456789ABCDEF";
            *e++ = '%';
            *e++ = hex[c >> 4];
            *e++ = hex[c & 15];
        }
    }
    plain[n] = '\0';
    *e = '\0';
    return wf_http_printf(req, "attachment; filename=\"%s\"; filename*=UTF-8''%s", plain, ext);
}

static void on_stat(void *arg, const PGresult *res)
{
    wf_call_t *call = arg;
    if (!wf_reply_need_row(call, res, WF_PROB_NOT_FOUND,
                           "no such file in this execution (or it is still being written)"))
        return;
    h2o_req_t *req = call->req;
    download_t *d = wf_xcalloc(1, sizeof(*d));
    d->gen.proceed = on_dl_proceed;
    d->gen.stop = on_dl_stop;
    d->refs = 1; /* the request */
    d->req = req;
    d->th = call->th;
    snprintf(d->file_id, sizeof(d->file_id), "%s", wf_db_get(res, 0, 0));
    d->size = strtoll(wf_db_get(res, 0, 1), NULL, 10);
    const char *type = wf_db_get(res, 0, 3);
    const char *path = wf_db_get(res, 0, 4);
    req->res.status = 200;
    req->res.reason = "OK";
    req->res.content_length = (size_t)d->size;
    if (!content_type_ok(type))
        type = "application/octet-stream";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   wf_http_strdup(req, type), strlen(type));
    const char *cd = disposition(req, base_name(path));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_DISPOSITION, NULL, cd,
                   strlen(cd));
    /* A browser must not render a tenant's file as a page of this origin. */
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-content-type-options"), 0,
                          NULL, H2O_STRLIT("nosniff"));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
                   H2O_STRLIT("no-store"));
    const char *sha = wf_db_get(res, 0, 2);
    if (sha != NULL && strlen(sha) == 64) {
        snprintf(d->want, sizeof(d->want), "%s", sha);
        d->sha = EVP_MD_CTX_new();
        if (d->sha != NULL && EVP_DigestInit_ex(d->sha, EVP_sha256(), NULL) != 1) {
            EVP_MD_CTX_free(d->sha);
            d->sha = NULL;
        }
    }
    if (sha != NULL)
        h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-weft-sha256"), 0, NULL,
                              wf_http_strdup(req, sha), strlen(sha));
    h2o_start_response(req, &d->gen);
    if (d->size == 0) {
        dl_finish(d, NULL, 0, true);
        return;
    }
    d->buf = h2o_mem_alloc_pool(&req->pool, CHUNK_MAX);
    dl_step(d);
}

static void file_then(wf_call_t *call, const char *prefix)
{
    const char *path = wanted_path(call, prefix);
    if (path == NULL)
        return;
    const char *params[2] = {path, wf_call_param(call, "id")};
    wf_db_query(call->th->db, WF_SQL_FILE_STAT, 2, params, on_stat, call);
}

void wf_h_execution_file(wf_call_t *call)
{
    start(call, file_then);
}
