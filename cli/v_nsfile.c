/* `weft nsfile put|get|ls|rm`: the namespace files of a namespace (what
 * tasks with namespaceFiles.enabled see in their work dir). Paths follow the
 * server's rule (flow/nspath.h), checked here first so a bad one is refused
 * before anything is sent. */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"
#include "cli/files.h"
#include "cli/nsfile.h"
#include "cli/out.h"
#include "cli/verb.h"
#include "cli/verbs.h"
#include "flow/nspath.h"
#include "platform/config.h"
#include "platform/text.h"
#include "platform/xmalloc.h"

/* ---- shared with the _files/ sync ------------------------------------------ */

int weft_sha256_file(const char *path, char hex[65])
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -1;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int rc = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 ? 0 : -1;
    unsigned char buf[65536];
    size_t n;
    while (rc == 0 && (n = fread(buf, 1, sizeof(buf), f)) > 0)
        if (EVP_DigestUpdate(ctx, buf, n) != 1)
            rc = -1;
    if (rc == 0 && ferror(f)) {
        rc = -1;
    } else if (rc == 0) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        if (EVP_DigestFinal_ex(ctx, md, &len) != 1)
            rc = -1;
        else
            wf_hex_put(hex, md, len);
    }
    int saved = errno;
    EVP_MD_CTX_free(ctx);
    fclose(f);
    errno = saved;
    return rc;
}

int weft_nsfile_upload(weft_t *w, const char *ns, const char *remote, const char *local,
                       json_t **entry)
{
    /* Kestra's form (part fileContent), which libcurl reads from disk as it
     * sends: the file is never whole in the client's memory. */
    FILE *f = fopen(local, "rb");
    if (f == NULL) {
        weft_err(w, "cannot read %s: %s", local, strerror(errno));
        return WEFT_EXIT_FAIL;
    }
    fclose(f);
    char *path = weft_pathf("/api/v1/namespaces/%s/files?path=%s", ns, remote);
    weft_form_part_t part = {.name = "fileContent", .file = local};
    weft_resp_t r = {0};
    int rc = weft_post_form(w, path, &part, 1, &r);
    free(path);
    if (rc == 0 && r.status >= 400) {
        weft_print_problem(w, &r, NULL);
        rc = WEFT_EXIT_FAIL;
    } else if (rc == 0 && entry != NULL) {
        *entry = json_incref(r.json);
    }
    weft_resp_dispose(&r);
    return rc;
}

/* Adds the entries of directory `dir` (clean, "/" for the root) to `files`,
 * then those of its subdirectories. */
static int tree_walk(weft_t *w, const char *ns, const char *dir, bool dirs, json_t *files,
                     int depth)
{
    if (depth > 64)
        return 0; /* paths are at most 1024 bytes: deeper is impossible */
    char *path = weft_pathf("/api/v1/namespaces/%s/files/directory?path=%s", ns, dir);
    weft_resp_t r = {0};
    int rc = weft_call(w, "GET", path, NULL, NULL, 0, &r);
    free(path);
    if (rc != 0)
        return rc;
    if (r.status == 404) { /* no such directory: nothing below it */
        weft_resp_dispose(&r);
        return 0;
    }
    if (r.status >= 400 || !json_is_array(r.json)) {
        weft_print_problem(w, &r, NULL);
        weft_resp_dispose(&r);
        return WEFT_EXIT_FAIL;
    }
    size_t i;
    json_t *e;
    json_array_foreach(r.json, i, e)
    {
        const char *name = json_string_value(json_object_get(e, "fileName"));
        const char *type = json_string_value(json_object_get(e, "type"));
        if (name == NULL || type == NULL)
            continue;
        char *full = wf_xasprintf("%s/%s", wf_nspath_is_root(dir) ? "" : dir, name);
        if (strcmp(type, "Directory") == 0) {
            if (dirs)
                json_object_set_new(files, full, json_pack("{s:s}", "type", "Directory"));
            rc = tree_walk(w, ns, full, dirs, files, depth + 1);
        } else {
            json_object_set_new(files, full,
                                json_pack("{s:s, s:O, s:O}", "type", "File", "size",
                                          json_object_get(e, "size"), "sha256",
                                          json_object_get(e, "sha256")));
        }
        free(full);
        if (rc != 0)
            break;
    }
    weft_resp_dispose(&r);
    return rc;
}

int weft_nsfile_tree(weft_t *w, const char *ns, const char *dir, bool dirs, json_t **files)
{
    *files = json_object();
    int rc = tree_walk(w, ns, dir, dirs, *files, 0);
    if (rc != 0) {
        json_decref(*files);
        *files = NULL;
    }
    return rc;
}

int weft_nsfile_delete(weft_t *w, const char *ns, const char *path)
{
    char *p = weft_pathf("/api/v1/namespaces/%s/files?path=%s", ns, path);
    weft_resp_t r = {0};
    int rc = weft_request(w, "DELETE", p, NULL, &r);
    free(p);
    weft_resp_dispose(&r);
    return rc;
}

/* ---- the verbs -------------------------------------------------------------- */

/* `arg` as a clean namespace path in `out`; false after printing why not. */
static bool remote_path(weft_t *w, const char *arg, char out[WF_NSPATH_MAX + 2])
{
    char why[160];
    if (wf_nspath_clean(arg, out, WF_NSPATH_MAX + 2, why, sizeof(why)) != 0) {
        weft_err(w, "'%s': %s", arg, why);
        return false;
    }
    return true;
}

static bool namespace_ok(weft_t *w, const char *ns)
{
    if (wf_namespace_valid(ns))
        return true;
    weft_err(w, "'%s' is not a valid namespace", ns);
    return false;
}

static int nsfile_put(weft_t *w, void *ud)
{
    (void)ud;
    const char *ns = w->pos[0], *local = w->pos[1];
    /* Without REMOTE the file keeps its name, at the root. */
    const char *slash = strrchr(local, '/');
    const char *arg = w->npos == 3 ? w->pos[2] : slash ? slash + 1 : local;
    char remote[WF_NSPATH_MAX + 2];
    if (!namespace_ok(w, ns) || !remote_path(w, arg, remote))
        return WEFT_EXIT_USAGE;
    if (wf_nspath_is_root(remote)) {
        weft_err(w, "name a file, not the namespace's root");
        return WEFT_EXIT_USAGE;
    }
    json_t *entry = NULL;
    int rc = weft_nsfile_upload(w, ns, remote, local, &entry);
    if (rc == 0)
        weft_out_answer(w, entry, "uploaded  %s:%s  (%lld bytes)", ns, remote,
                        (long long)json_integer_value(json_object_get(entry, "size")));
    json_decref(entry);
    return rc;
}

static const weft_verb_t put_verb = {
    .usage = {"weft nsfile put NAMESPACE LOCAL [REMOTE]",
              "Uploads the file LOCAL to NAMESPACE as REMOTE (default: its name, at the root;\n"
              "/scripts/etl.py or scripts/etl.py), replacing a file already there. Tasks with\n"
              "namespaceFiles.enabled find it in their work dir.",
              2, 3},
    .run = nsfile_put,
};

enum { OPT_OUT, N_GET_OPTS };

static const weft_opt_t get_table[] = {
    {"out", 0, "FILE", OPT_OUT, "write the file to FILE instead of standard output"},
    {NULL, 0, NULL, 0, NULL},
};

static int nsfile_get(weft_t *w, void *ud)
{
    const char **o = ud;
    char remote[WF_NSPATH_MAX + 2];
    if (!namespace_ok(w, w->pos[0]) || !remote_path(w, w->pos[1], remote))
        return WEFT_EXIT_USAGE;
    char *path = weft_pathf("/api/v1/namespaces/%s/files?path=%s", w->pos[0], remote);
    long long written = 0;
    int rc = weft_download_to(w, path, o[OPT_OUT], &written);
    free(path);
    return rc;
}

static const weft_verb_t get_verb = {
    .usage = {"weft nsfile get NAMESPACE REMOTE [--out FILE]",
              "Downloads the namespace file REMOTE of NAMESPACE to standard output, or to FILE,\n"
              "streamed (written beside FILE and renamed once complete).",
              2,
              2},
    .opts = get_table,
    .opts_size = N_GET_OPTS * sizeof(const char *),
    .run = nsfile_get,
};

enum { OPT_RECURSIVE, N_LS_OPTS };

static const weft_opt_t ls_table[] = {
    {"recursive", 'r', NULL, OPT_RECURSIVE, "list every file below PATH, with full paths"},
    {NULL, 0, NULL, 0, NULL},
};

static int nsfile_ls(weft_t *w, void *ud)
{
    const char **o = ud;
    char dir[WF_NSPATH_MAX + 2];
    if (!namespace_ok(w, w->pos[0]) || !remote_path(w, w->npos > 1 ? w->pos[1] : "/", dir))
        return WEFT_EXIT_USAGE;
    json_t *rows = json_array();
    int rc = 0;
    if (o[OPT_RECURSIVE] != NULL) {
        json_t *tree = NULL;
        rc = weft_nsfile_tree(w, w->pos[0], dir, true, &tree);
        const char *k;
        json_t *v;
        json_object_foreach(tree, k, v)
        {
            json_t *row = json_deep_copy(v);
            json_object_set_new(row, "path", json_string(k));
            json_array_append_new(rows, row);
        }
        json_decref(tree);
    } else {
        char *path = weft_pathf("/api/v1/namespaces/%s/files/directory?path=%s", w->pos[0], dir);
        weft_resp_t r = {0};
        rc = weft_request(w, "GET", path, NULL, &r);
        free(path);
        size_t i;
        json_t *e;
        if (rc == 0)
            json_array_foreach(r.json, i, e)
            {
                json_t *row = json_deep_copy(e);
                const char *name = json_string_value(json_object_get(e, "fileName"));
                char *full =
                    wf_xasprintf("%s/%s", wf_nspath_is_root(dir) ? "" : dir, name ? name : "");
                json_object_set_new(row, "path", json_string(full));
                free(full);
                json_array_append_new(rows, row);
            }
        weft_resp_dispose(&r);
    }
    if (rc == 0) {
        static const weft_view_t view = {.cols = "TYPE=type, SIZE=size, PATH=path"};
        weft_print(w, rows, &view);
    }
    json_decref(rows);
    return rc;
}

static const weft_verb_t ls_verb = {
    .usage = {"weft nsfile ls NAMESPACE [PATH] [-r]",
              "Lists the directory PATH (default: the root) of NAMESPACE's files: type, size and\n"
              "path of each entry; -r lists every file and directory below it.",
              1, 2},
    .opts = ls_table,
    .opts_size = N_LS_OPTS * sizeof(const char *),
    .run = nsfile_ls,
};

static int nsfile_rm(weft_t *w, void *ud)
{
    (void)ud;
    char remote[WF_NSPATH_MAX + 2];
    if (!namespace_ok(w, w->pos[0]) || !remote_path(w, w->pos[1], remote))
        return WEFT_EXIT_USAGE;
    if (wf_nspath_is_root(remote)) {
        weft_err(w, "the namespace's root cannot be deleted; name a file or a directory");
        return WEFT_EXIT_USAGE;
    }
    int rc = weft_nsfile_delete(w, w->pos[0], remote);
    if (rc == 0)
        weft_out_result(
            w, json_pack("{s:s, s:s, s:b}", "namespace", w->pos[0], "path", remote, "deleted", 1),
            "deleted  %s:%s", w->pos[0], remote);
    return rc;
}

static const weft_verb_t rm_verb = {
    .usage = {"weft nsfile rm NAMESPACE PATH",
              "Deletes the namespace file PATH, or the directory PATH with everything in it.", 2,
              2},
    .run = nsfile_rm,
};

const wf_cmd_t weft_nsfile_commands[] = {
    WEFT_VERB("put", put_verb, "upload a file"),
    WEFT_VERB("get", get_verb, "download a file"),
    WEFT_VERB("ls", ls_verb, "list a directory (-r: everything below it)"),
    WEFT_VERB("rm", rm_verb, "delete a file or a directory"),
    WF_CMD_END,
};
