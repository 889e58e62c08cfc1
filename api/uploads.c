#include "api/uploads.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/multipart.h"
#include "api/reply.h"
#include "flow/fileuri.h"
#include "platform/log.h"

#define CHUNK 1048576

typedef struct {
    const char *input;
    const char *path; /* storage path (after weft://) */
    const char *content_type;
    const char *data;
    size_t len;
} up_file_t;

struct wf_upload {
    wf_call_t *call;
    up_file_t files[WF_MP_MAX_PARTS];
    int n_files;
    struct {
        char *data;
        size_t len;
    } secrets[WF_MP_MAX_PARTS]; /* SECRET values in the body, wiped once sealed */
    int n_secrets;
    const char *ns;
    const char *exec_id;
    /* The commit, one statement at a time. */
    wf_db_txn_t *txn;
    int cur;    /* file being written */
    size_t off; /* bytes of it sent */
    int seq;    /* next chunk */
    char file_id[24];
    PGresult *created;   /* the INSERT's result, handed to `done` after COMMIT */
    int64_t max_storage; /* -1: no quota */
    const char *quota_from;
    bool quota_checked_before; /* the check before the files is done */
    const char *refusal;       /* quota refusal, for the caller's answer */
    wf_db_cb done;
    void *arg;
};

bool wf_upload_is_multipart(h2o_req_t *req)
{
    const char *ct = wf_http_header(req, "content-type");
    return ct != NULL && strncasecmp(ct, "multipart/form-data", 19) == 0;
}

static void add_error(json_t *errors, const char *input, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void add_error(json_t *errors, const char *input, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    char path[160];
    snprintf(path, sizeof(path), "inputs.%.100s", input);
    json_array_append_new(errors, json_pack("{s:s, s:s}", "path", path, "message", msg));
}

/* The input's allowed extensions (allowedFileExtensions, or the older
 * single `extension`), as a JSON array of strings, or NULL for any. */
static json_t *allowed_extensions(const wf_flow_input_t *in)
{
    json_t *a = json_object_get(in->spec, "allowedFileExtensions");
    if (json_is_array(a) && json_array_size(a) > 0)
        return json_incref(a);
    json_t *one = json_object_get(in->spec, "extension");
    if (json_is_string(one))
        return json_pack("[O]", one);
    return NULL;
}

/* True when `name` ends with one of `allowed` (".csv" or "csv", any case). */
static bool extension_ok(const json_t *allowed, const char *name)
{
    size_t i;
    json_t *e;
    size_t nlen = strlen(name);
    json_array_foreach(allowed, i, e)
    {
        const char *x = json_string_value(e);
        if (x == NULL || *x == '\0')
            continue;
        if (x[0] == '.')
            x++;
        size_t xlen = strlen(x);
        if (nlen > xlen + 1 && name[nlen - xlen - 1] == '.' &&
            strcasecmp(name + nlen - xlen, x) == 0)
            return true;
    }
    return false;
}

static const wf_flow_input_t *find_input(const wf_flow_t *flow, const char *id)
{
    for (size_t i = 0; i < flow->n_inputs; i++)
        if (strcmp(flow->inputs[i].id, id) == 0)
            return &flow->inputs[i];
    return NULL;
}

wf_upload_t *wf_upload_read(wf_call_t *call, const wf_flow_t *flow, const char *exec_id,
                            json_t **fields, json_t **files, json_t *errors, const char **bad)
{
    h2o_req_t *req = call->req;
    *fields = NULL;
    *files = NULL;
    char boundary[71];
    const char *why = NULL;
    if (wf_mp_boundary(wf_http_header(req, "content-type"), boundary, &why) != 0) {
        *bad = why;
        return NULL;
    }
    wf_mp_part_t *parts = h2o_mem_alloc_pool(&req->pool, sizeof(wf_mp_part_t) * WF_MP_MAX_PARTS);
    char *msg = h2o_mem_alloc_pool(&req->pool, 256);
    int n = wf_mp_parse(req->entity.base ? req->entity.base : "", req->entity.len, boundary, parts,
                        msg, 256);
    if (n < 0) {
        *bad = msg;
        return NULL;
    }
    wf_upload_t *u = h2o_mem_alloc_pool(&req->pool, sizeof(*u));
    memset(u, 0, sizeof(*u));
    u->call = call;
    u->max_storage = -1;
    u->ns = call->ns;
    u->exec_id = exec_id;
    json_t *f = json_object(), *uris = json_object();
    size_t before = json_array_size(errors);
    size_t max_field = call->th->gw->max_body;
    for (int i = 0; i < n; i++) {
        const wf_mp_part_t *p = &parts[i];
        const wf_flow_input_t *in = find_input(flow, p->name);
        if (in == NULL) {
            add_error(errors, p->name, "the flow declares no such input");
            continue;
        }
        if (in->type != WF_INPUT_FILE) {
            /* A field, or a file sent for a text input (weft run
             * --input K=@FILE): its content is the value, as text. */
            if (p->len > max_field) {
                add_error(errors, p->name,
                          "the value is larger than gateway.max_body (%zu bytes); only FILE "
                          "inputs take files",
                          max_field);
                continue;
            }
            if (in->type == WF_INPUT_SECRET) {
                u->secrets[u->n_secrets].data = (char *)p->data;
                u->secrets[u->n_secrets++].len = p->len;
            }
            if (memchr(p->data, '\0', p->len) != NULL) {
                add_error(errors, p->name, "the value is not text (it holds a NUL byte)");
                continue;
            }
            json_t *v = NULL;
            if (in->type == WF_INPUT_JSON || in->type == WF_INPUT_ARRAY ||
                in->type == WF_INPUT_MULTISELECT)
                /* Form fields are text: structured inputs arrive as JSON text. */
                v = json_loadb(p->data, p->len, JSON_DECODE_ANY, NULL);
            if (v == NULL)
                v = json_stringn(p->data, p->len); /* NULL unless UTF-8 */
            if (v == NULL) {
                add_error(errors, p->name, "the value is not UTF-8 text");
                continue;
            }
            json_object_set_new(f, in->id, v);
            continue;
        }
        if (!p->has_filename) {
            add_error(errors, p->name,
                      "a FILE input must be sent as a file part (Content-Disposition with "
                      "filename=\"…\"), not as a plain field");
            continue;
        }
        char clean[WF_MP_FILENAME_MAX];
        if (wf_mp_clean_filename(p->filename, clean, sizeof(clean)) != 0) {
            add_error(errors, p->name, "the file name '%.100s' leaves no usable name", p->filename);
            continue;
        }
        int64_t max_file = call->th->gw->cfg->storage.max_file_size;
        if (max_file > 0 && (int64_t)p->len > max_file) {
            add_error(errors, p->name,
                      "file '%.100s' has %zu bytes, more than storage.max_file_size "
                      "(%lld bytes)",
                      clean, p->len, (long long)max_file);
            continue;
        }
        json_t *allowed = allowed_extensions(in);
        if (allowed != NULL && !extension_ok(allowed, clean)) {
            char *list = json_dumps(allowed, JSON_COMPACT);
            add_error(errors, p->name,
                      "file '%.100s' has an extension the input does not allow "
                      "(allowedFileExtensions: %s)",
                      clean, list ? list : "?");
            free(list);
            json_decref(allowed);
            continue;
        }
        json_decref(allowed);
        char path[WF_FILEURI_PATH_MAX + 1], uri[WF_FILEURI_URI_MAX], why2[160];
        if (wf_fileuri_input_path(u->ns, flow->id, exec_id, in->id, clean, path, sizeof(path), why2,
                                  sizeof(why2)) != 0 ||
            wf_fileuri_from_path(path, uri, sizeof(uri), why2, sizeof(why2)) != 0) {
            add_error(errors, p->name, "the file name '%.100s' cannot be stored: %s", clean, why2);
            continue;
        }
        up_file_t *uf = &u->files[u->n_files++];
        uf->input = in->id;
        uf->path = wf_http_strdup(req, path);
        uf->content_type = p->content_type[0] ? wf_http_strdup(req, p->content_type) : NULL;
        uf->data = p->data;
        uf->len = p->len;
        json_object_set_new(uris, in->id, json_string(uri));
    }
    if (json_array_size(errors) > before) {
        json_decref(f);
        json_decref(uris);
        return NULL;
    }
    *fields = f;
    *files = uris;
    return u;
}

int wf_upload_fingerprint(h2o_req_t *req, unsigned char md[32])
{
    char boundary[71];
    const char *why = NULL;
    if (wf_mp_boundary(wf_http_header(req, "content-type"), boundary, &why) != 0)
        return -1;
    wf_mp_part_t *parts = h2o_mem_alloc_pool(&req->pool, sizeof(wf_mp_part_t) * WF_MP_MAX_PARTS);
    char msg[256];
    int n = wf_mp_parse(req->entity.base ? req->entity.base : "", req->entity.len, boundary, parts,
                        msg, sizeof(msg));
    if (n < 0)
        return -1;
    /* Each part as (name, file name or none, length, content), in order:
     * every byte the start depends on, none the client picks at random. */
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        char head[WF_MP_NAME_MAX + WF_MP_FILENAME_MAX + 48];
        int hl = snprintf(head, sizeof(head), "%s%c%c%s%c%zu%c", parts[i].name, 0,
                          parts[i].has_filename ? 'f' : '-', parts[i].filename, 0, parts[i].len, 0);
        EVP_DigestUpdate(ctx, head, (size_t)hl);
        EVP_DigestUpdate(ctx, parts[i].data, parts[i].len);
    }
    unsigned int len = 0;
    int ok = EVP_DigestFinal_ex(ctx, md, &len);
    EVP_MD_CTX_free(ctx);
    return ok == 1 && len == 32 ? 0 : -1;
}

void wf_upload_wipe_secrets(wf_upload_t *u)
{
    for (int i = 0; u != NULL && i < u->n_secrets; i++)
        OPENSSL_cleanse(u->secrets[i].data, u->secrets[i].len);
}

int wf_upload_count(const wf_upload_t *u)
{
    return u ? u->n_files : 0;
}

/* ---- the transaction ------------------------------------------------------ */

static void up_next(wf_upload_t *u);
static void check_quota(wf_upload_t *u);
static void on_end(void *arg, const PGresult *res);

void wf_upload_set_quota(wf_upload_t *u, int64_t max_storage, const char *from)
{
    u->max_storage = max_storage;
    u->quota_from = from;
}

const char *wf_upload_refusal(const wf_upload_t *u)
{
    return u ? u->refusal : NULL;
}

static size_t upload_bytes(const wf_upload_t *u)
{
    size_t n = 0;
    for (int i = 0; i < u->n_files; i++)
        n += u->files[i].len;
    return n;
}

static void on_quota(void *arg, const PGresult *res)
{
    wf_upload_t *u = arg;
    if (!wf_db_ok(res) || PQntuples(res) != 1 || wf_db_get(res, 0, 1) == NULL) {
        if (u->created != NULL)
            PQclear(u->created);
        u->created = NULL;
        wf_db_txn_end(u->txn, false, NULL, NULL);
        u->done(u->arg, res);
        return;
    }
    long long used = strtoll(wf_db_get(res, 0, 1), NULL, 10);
    /* Before the files: what they will add; before COMMIT: they are in. */
    long long after = u->quota_checked_before ? used : used + (long long)upload_bytes(u);
    if (after > u->max_storage) {
        u->refusal = wf_http_printf(
            u->call->req,
            "the upload would take the storage of domain %s to %lld bytes, past its quota of "
            "%lld bytes (policy maxStorage%s%s%s): nothing was stored",
            wf_db_get(res, 0, 0), after, (long long)u->max_storage, u->quota_from ? " on '" : "",
            u->quota_from ? u->quota_from : "", u->quota_from ? "'" : "");
        if (u->created != NULL)
            PQclear(u->created);
        u->created = NULL;
        wf_db_txn_end(u->txn, false, NULL, NULL);
        u->done(u->arg, NULL);
        return;
    }
    if (!u->quota_checked_before) {
        u->quota_checked_before = true;
        up_next(u);
        return;
    }
    wf_db_txn_end(u->txn, true, on_end, u);
}

/* Runs the quota's query (its callback goes on: files, or COMMIT). */
static void check_quota(wf_upload_t *u)
{
    const char *params[1] = {u->ns};
    wf_db_txn_query(u->txn, WF_SQL_UPLOAD_QUOTA, 1, params, NULL, on_quota, u);
}

static void on_end(void *arg, const PGresult *res)
{
    wf_upload_t *u = arg;
    PGresult *created = u->created;
    u->created = NULL;
    bool committed = res != NULL && PQresultStatus(res) == PGRES_COMMAND_OK &&
                     strcmp(PQcmdStatus((PGresult *)res), "COMMIT") == 0;
    if (committed)
        u->done(u->arg, created);
    else
        u->done(u->arg, res != NULL && !wf_db_ok(res) ? res : NULL);
    if (created != NULL)
        PQclear(created);
}

/* A statement failed: roll back, then answer with its result. */
static void fail_with(wf_upload_t *u, const PGresult *res)
{
    if (res != NULL)
        wf_warn("upload of execution %s rolled back: %s", u->exec_id, PQresultErrorMessage(res));
    if (u->created != NULL)
        PQclear(u->created);
    u->created = NULL;
    wf_db_txn_end(u->txn, false, NULL, NULL);
    /* The caller's own check turns a failed result into the answer. */
    u->done(u->arg, res);
}

static void on_step(void *arg, const PGresult *res)
{
    wf_upload_t *u = arg;
    if (!wf_db_ok(res)) {
        fail_with(u, res);
        return;
    }
    up_next(u);
}

static void on_file_row(void *arg, const PGresult *res)
{
    wf_upload_t *u = arg;
    if (!wf_db_ok(res) || PQntuples(res) != 1) {
        fail_with(u, res);
        return;
    }
    snprintf(u->file_id, sizeof(u->file_id), "%s", wf_db_get(res, 0, 0));
    up_next(u);
}

static void on_created_row(void *arg, const PGresult *res)
{
    wf_upload_t *u = arg;
    if (!wf_db_ok(res)) {
        fail_with(u, res);
        return;
    }
    u->created = PQcopyResult(res, PG_COPYRES_ATTRS | PG_COPYRES_TUPLES);
    if (u->created == NULL || PQntuples(res) == 0) {
        /* No row (no domain, or an Idempotency-Key race): nothing to store. */
        PGresult *c = u->created;
        u->created = NULL;
        wf_db_txn_end(u->txn, false, NULL, NULL);
        u->done(u->arg, c ? c : res);
        if (c != NULL)
            PQclear(c);
        return;
    }
    u->cur = 0;
    u->off = 0;
    u->seq = -1; /* the file row comes first */
    if (u->max_storage >= 0)
        check_quota(u);
    else
        up_next(u);
}

/* The next statement: a file's row, its chunks one by one, its completion,
 * then the next file; COMMIT after the last. One chunk in flight at a
 * time, so memory stays one chunk (plus libpq's copy) per upload. */
static void up_next(wf_upload_t *u)
{
    wf_db_txn_t *t = u->txn;
    if (u->cur >= u->n_files) {
        if (u->max_storage >= 0)
            check_quota(u);
        else
            wf_db_txn_end(t, true, on_end, u);
        return;
    }
    up_file_t *f = &u->files[u->cur];
    if (u->seq < 0) {
        const char *params[5] = {u->ns, f->path, u->exec_id, f->content_type, u->call->who.subject};
        u->seq = 0;
        wf_db_txn_query(t, WF_SQL_UPLOAD_FILE, 5, params, NULL, on_file_row, u);
        return;
    }
    if (u->off < f->len) {
        size_t n = f->len - u->off < CHUNK ? f->len - u->off : CHUNK;
        char seq[16];
        snprintf(seq, sizeof(seq), "%d", u->seq++);
        const char *params[3] = {u->file_id, seq, f->data + u->off};
        const int lengths[3] = {-1, -1, (int)n};
        u->off += n;
        wf_db_txn_query(t, WF_SQL_UPLOAD_CHUNK, 3, params, lengths, on_step, u);
        return;
    }
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)f->data, f->len, md);
    char hex[2 * SHA256_DIGEST_LENGTH + 1];
    for (size_t i = 0; i < sizeof(md); i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    char size[24];
    snprintf(size, sizeof(size), "%zu", f->len);
    const char *params[3] = {u->file_id, size, hex};
    u->cur++;
    u->off = 0;
    u->seq = -1;
    wf_db_txn_query(t, WF_SQL_UPLOAD_DONE, 3, params, NULL, on_step, u);
}

void wf_upload_commit(wf_call_t *call, wf_upload_t *u, wf_sql_id_t stmt, int nparams,
                      const char *const *params, wf_db_cb done, void *arg)
{
    u->done = done;
    u->arg = arg;
    u->txn = wf_db_txn_begin(call->th->db);
    wf_db_txn_query(u->txn, stmt, nparams, params, NULL, on_created_row, u);
}
