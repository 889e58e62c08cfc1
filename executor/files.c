/* Files of executions on the executor's side (docs/storage.md):
 *
 * - output files of script tasks (Kestra's `outputFiles` globs and
 *   `{{ outputDir }}`): after a successful attempt they are streamed from
 *   the host side of the sandbox into the internal storage
 *   (executor/storage.h) and the task's outputs get
 *   `outputFiles: {name: weft:///...}`;
 * - the URIs flows hand back: inputFiles whose value is a URI, read(),
 *   fileSize(), fileExists(), isFileEmpty(), FILE flow outputs. A URI is
 *   resolved here and must name a file of the same execution or of its
 *   execution tree (Subflow parents and children, same domain): any other
 *   file of the domain is refused by name, another domain's is not found
 *   (row-level security hides it from this executor's role).
 *
 * The output files were written by untrusted code, and the executor reading
 * them runs with more rights than the task: every path is opened one
 * component at a time relative to the work directory with O_NOFOLLOW, so a
 * symbolic link (to /etc/shadow, to another task's directory) is refused
 * rather than followed; only regular files with a single link are read (a
 * hard link to someone else's file is refused too), and the total size is
 * bounded. Every file is checked before the first is stored, so a refused
 * attempt stores nothing. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "executor/files.h"
#include "executor/storage.h"
#include "flow/fileuri.h"
#include "platform/log.h"
#include "platform/xmalloc.h"

#define MAX_FILES 1000
#define MAX_DEPTH 8

typedef struct entry {
    char *rel;
    bool link; /* a symbolic link (never followed) */
    bool reg;  /* a regular file */
} entry_t;

typedef struct entries {
    entry_t *v;
    size_t n, cap;
    bool overflow;
} entries_t;

static void entries_free(entries_t *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->v[i].rel);
    free(e->v);
}

static int entries_add(entries_t *e, const char *rel, bool link, bool reg)
{
    if (e->n >= 10 * MAX_FILES) {
        e->overflow = true;
        return -1;
    }
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 32;
        e->v = wf_xreallocarray(e->v, e->cap, sizeof(*e->v));
    }
    e->v[e->n].rel = wf_xstrdup(rel);
    e->v[e->n].link = link;
    e->v[e->n].reg = reg;
    e->n++;
    return 0;
}

/* Lists everything below the directory `dfd` (not following links). */
static void walk(int dfd, const char *prefix, int depth, const char *skip, entries_t *out)
{
    int fd = dup(dfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL && !out->overflow) {
        const char *n = de->d_name;
        if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0 || (skip && strcmp(n, skip) == 0))
            continue;
        struct stat st;
        if (fstatat(dfd, n, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        char rel[4096];
        if (snprintf(rel, sizeof(rel), "%s%s%s", prefix, prefix[0] ? "/" : "", n) >=
            (int)sizeof(rel))
            continue;
        if (S_ISDIR(st.st_mode)) {
            if (depth >= MAX_DEPTH)
                continue;
            int sub = openat(dfd, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0) {
                walk(sub, rel, depth + 1, NULL, out);
                close(sub);
            }
            continue;
        }
        entries_add(out, rel, S_ISLNK(st.st_mode), S_ISREG(st.st_mode));
    }
    closedir(d);
}

/* Opens `rel` below `dfd` component by component without following links.
 * Returns an fd or -1 with errno (ELOOP for a link). */
static int open_beneath(int dfd, const char *rel, bool dir)
{
    char buf[4096];
    snprintf(buf, sizeof(buf), "%s", rel);
    int cur = dup(dfd);
    char *save = NULL;
    char *part = strtok_r(buf, "/", &save);
    while (part != NULL && cur >= 0) {
        char *next = strtok_r(NULL, "/", &save);
        if (strcmp(part, "..") == 0 || strcmp(part, ".") == 0) {
            close(cur);
            errno = EPERM;
            return -1;
        }
        int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
        if (next != NULL || dir)
            flags |= O_DIRECTORY;
        int fd = openat(cur, part, flags);
        int e = errno;
        close(cur);
        errno = e;
        cur = fd;
        part = next;
    }
    return cur;
}

/* Opens `rel` below `dfd` for storing: a regular file with one link, its
 * size in *size. Returns the fd, or -1 with a message. */
static int open_output(int dfd, const char *rel, int64_t *size, char *err, size_t errlen)
{
    int fd = open_beneath(dfd, rel, false);
    if (fd < 0) {
        if (errno == ELOOP || errno == ENOTDIR)
            snprintf(err, errlen, "output file '%s' is (or goes through) a symbolic link: refused",
                     rel);
        else
            snprintf(err, errlen, "output file '%s': %s", rel, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "output file '%s' is not a regular file: refused", rel);
        close(fd);
        return -1;
    }
    if (st.st_nlink != 1) {
        snprintf(err, errlen, "output file '%s' has %ju hard links: refused", rel,
                 (uintmax_t)st.st_nlink);
        close(fd);
        return -1;
    }
    /* Opened non-blocking (a FIFO must not hang the open): reads block again. */
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    *size = st.st_size;
    return fd;
}

/* One file to store: its name in the outputs (and URI) and where it is. */
typedef struct pick {
    char *name;
    int dfd; /* borrowed: the outputs dir or the task's directory */
} pick_t;

/* Checks a listed entry and adds it to `picks` unless already there. */
static int pick_add(pick_t **picks, size_t *n, const entry_t *e, int dfd, int64_t *budget,
                    char *err, size_t errlen)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*picks)[i].name, e->rel) == 0)
            return 0;
    if (e->link || !e->reg) {
        snprintf(err, errlen, "output file '%s' is %s: refused", e->rel,
                 e->link ? "a symbolic link" : "not a regular file");
        return -1;
    }
    char msg[200];
    if (wf_fileuri_check_name(e->rel, msg, sizeof(msg)) != 0) {
        snprintf(err, errlen, "output file '%s': %s", e->rel, msg);
        return -1;
    }
    if (*n >= MAX_FILES) {
        snprintf(err, errlen, "more than %d output files", MAX_FILES);
        return -1;
    }
    int64_t size = 0;
    int fd = open_output(dfd, e->rel, &size, err, errlen);
    if (fd < 0)
        return -1;
    close(fd);
    if (size > *budget) {
        snprintf(err, errlen, "output files are larger than executor.output_files_max");
        return -1;
    }
    *budget -= size;
    *picks = wf_xreallocarray(*picks, *n + 1, sizeof(**picks));
    (*picks)[*n].name = wf_xstrdup(e->rel);
    (*picks)[*n].dfd = dfd;
    (*n)++;
    return 0;
}

/* Streams one checked file into the storage and adds its URI to `map`. */
static int store(wf_executor_t *ex, wf_trun_t *tr, const pick_t *pk, json_t *map, char *err,
                 size_t errlen)
{
    wf_xexec_t *x = tr->exec;
    char path[WF_FILEURI_PATH_MAX + 1], uri[WF_FILEURI_URI_MAX], msg[300], by[128];
    if (wf_fileuri_task_path(x->namespace_, x->flow_id, x->id, tr->task->id, tr->id, pk->name, path,
                             sizeof(path), msg, sizeof(msg)) != 0 ||
        wf_fileuri_from_path(path, uri, sizeof(uri), msg, sizeof(msg)) != 0) {
        snprintf(err, errlen, "output file '%s': %s", pk->name, msg);
        return -1;
    }
    int64_t size;
    /* Opened again and checked again: the task is gone, but its directory
     * is the same one the checks saw only if nothing moved in between. */
    int fd = open_output(pk->dfd, pk->name, &size, err, errlen);
    if (fd < 0)
        return -1;
    snprintf(by, sizeof(by), "task:%s", tr->id);
    wf_xstorage_ref_t ref = {.kind = WF_XSTORAGE_EXECUTION,
                             .namespace_ = x->namespace_,
                             .path = path,
                             .execution_id = x->id};
    wf_xstorage_meta_t meta = {.created_by = by};
    int rc = wf_xstorage_put(ex, &ref, fd, &meta, NULL, msg, sizeof(msg));
    close(fd);
    if (rc != 0) {
        snprintf(err, errlen, "cannot store output file '%s': %s", pk->name, msg);
        return -1;
    }
    json_object_set_new(map, pk->name, json_string(uri));
    return 0;
}

int wf_xfiles_collect(wf_executor_t *ex, wf_trun_t *tr, const char *workdir, const char *cwd,
                      json_t *patterns, json_t **out, char *err, size_t errlen)
{
    *out = NULL;
    err[0] = '\0';
    int64_t budget = ex->cfg->executor.output_files_max;
    int wfd = open(workdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int cfd = cwd ? open(cwd, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : dup(wfd);
    int ofd = -1;
    entries_t odir = {0}, files = {0};
    pick_t *picks = NULL;
    size_t n_picks = 0;
    json_t *map = json_object();
    int rc = -1;
    if (wfd < 0 || cfd < 0) {
        snprintf(err, errlen, "cannot open the work directory: %s", strerror(errno));
        goto out;
    }
    /* 1. Everything in the outputs directory. */
    ofd = open_beneath(wfd, WF_XFILES_OUTPUT_REL, true);
    if (ofd < 0 && errno != ENOENT) {
        snprintf(err, errlen,
                 "the outputs directory is a symbolic link or not a directory: "
                 "refused");
        goto out;
    }
    if (ofd >= 0) {
        walk(ofd, "", 0, NULL, &odir);
        for (size_t i = 0; i < odir.n; i++) {
            if (strcmp(odir.v[i].rel, ".keep") == 0)
                continue;
            if (pick_add(&picks, &n_picks, &odir.v[i], ofd, &budget, err, errlen) != 0)
                goto out;
        }
    }
    /* 2. Declared files, matched in the task's working directory with
     * Kestra's glob rules (flow/fileuri.h). */
    if (json_array_size(patterns) > 0)
        walk(cfd, "", 0, cwd ? NULL : ".weft", &files);
    size_t i;
    json_t *p;
    json_array_foreach(patterns, i, p) {
        if (!json_is_string(p))
            continue;
        const char *pat = json_string_value(p);
        bool glob = wf_fileuri_is_glob(pat), found = false;
        for (size_t k = 0; k < files.n; k++) {
            entry_t *e = &files.v[k];
            if (glob ? !wf_fileuri_glob(pat, e->rel) : strcmp(pat, e->rel) != 0)
                continue;
            found = true;
            if (pick_add(&picks, &n_picks, e, cfd, &budget, err, errlen) != 0)
                goto out;
        }
        if (!found && !glob) {
            /* Not listed: missing, or behind a link the walk did not follow. */
            int fd = open_beneath(cfd, pat, false);
            if (fd >= 0 || errno == ELOOP || errno == ENOTDIR)
                snprintf(err, errlen,
                         "output file '%s' is (or goes through) a symbolic link: refused", pat);
            else
                snprintf(err, errlen, "output file '%s' was not created", pat);
            if (fd >= 0)
                close(fd);
            goto out;
        }
    }
    if (files.overflow || odir.overflow) {
        snprintf(err, errlen, "too many files in the working directory to match outputFiles");
        goto out;
    }
    /* 3. Every file passed: store them, one stream each. */
    for (size_t k = 0; k < n_picks; k++)
        if (store(ex, tr, &picks[k], map, err, errlen) != 0)
            goto out;
    rc = 0;
    if (json_object_size(map) > 0)
        *out = json_incref(map);
out:
    json_decref(map);
    for (size_t k = 0; k < n_picks; k++)
        free(picks[k].name);
    free(picks);
    entries_free(&odir);
    entries_free(&files);
    if (ofd >= 0)
        close(ofd);
    if (wfd >= 0)
        close(wfd);
    if (cfd >= 0)
        close(cfd);
    return rc;
}

/* ---- URIs given by flows ---------------------------------------------------- */

/* True when namespace `a` is `b` or one of its parents. */
static bool ns_at_or_above(const char *a, const char *b)
{
    size_t n = strlen(a);
    return strncmp(a, b, n) == 0 && (b[n] == '\0' || b[n] == '.');
}

/* nsfile:// URIs: the file in the named namespace (which must be the
 * execution's or a parent of it), or in the execution's namespace or its
 * nearest parent holding it, as Kestra looks them up. */
static int resolve_nsfile(wf_executor_t *ex, wf_xexec_t *x, const char *uri, wf_xfiles_ref_t *out,
                          char *err, size_t errlen)
{
    char msg[200];
    if (wf_fileuri_nsfile(uri, out->ns, sizeof(out->ns), out->path, sizeof(out->path), msg,
                          sizeof(msg)) != 0) {
        snprintf(err, errlen, "'%.200s': %s", uri, msg);
        return WF_XSTORAGE_ERR;
    }
    out->ref.kind = WF_XSTORAGE_NAMESPACE;
    out->ref.path = out->path;
    out->ref.namespace_ = out->ns;
    if (out->ns[0] != '\0') {
        if (!ns_at_or_above(out->ns, x->namespace_)) {
            snprintf(err, errlen,
                     "'%.200s': namespace files of %s are not readable from namespace %s "
                     "(only its own and its parents')",
                     uri, out->ns, x->namespace_);
            return WF_XSTORAGE_ERR;
        }
        return 0;
    }
    /* The execution's namespace first, then each parent. */
    snprintf(out->ns, sizeof(out->ns), "%s", x->namespace_);
    for (;;) {
        int rc = wf_xstorage_exists(ex, &out->ref, msg, sizeof(msg));
        if (rc < 0) {
            snprintf(err, errlen, "'%.200s': %s", uri, msg);
            return rc;
        }
        if (rc == 1)
            return 0;
        char *dot = strrchr(out->ns, '.');
        if (dot == NULL)
            break;
        *dot = '\0';
    }
    snprintf(out->ns, sizeof(out->ns), "%s", x->namespace_);
    return 0; /* not found: the caller's stat or read says so */
}

int wf_xfiles_resolve(wf_executor_t *ex, wf_xexec_t *x, const char *uri, wf_xfiles_ref_t *out,
                      char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (uri == NULL) {
        snprintf(err, errlen, "expected a file URI (weft:///…)");
        return WF_XSTORAGE_ERR;
    }
    if (wf_fileuri_is_nsfile(uri))
        return resolve_nsfile(ex, x, uri, out, err, errlen);
    char msg[200];
    if (wf_fileuri_parse(uri, out->path, sizeof(out->path), msg, sizeof(msg)) != 0) {
        snprintf(err, errlen, "'%.200s': %s", uri, msg);
        return WF_XSTORAGE_ERR;
    }
    out->ref.kind = WF_XSTORAGE_EXECUTION;
    out->ref.path = out->path;
    /* Whose file is it? Row-level security answers "nobody's" for a file
     * of another domain, which is then simply not found. */
    wf_xstorage_stat_t st;
    int rc = wf_xstorage_stat(ex, &out->ref, &st, msg, sizeof(msg));
    if (rc == WF_XSTORAGE_NOTFOUND) {
        snprintf(err, errlen, "file '%.200s' not found", uri);
        return rc;
    }
    if (rc != 0) {
        snprintf(err, errlen, "'%.200s': %s", uri, msg);
        return rc;
    }
    if (strcmp(st.execution_id, x->id) == 0)
        return 0;
    const char *p[] = {x->id, st.execution_id};
    /* Waits: the caller needs the verdict before it reads. */
    PGresult *r = wf_xdb_run(ex, WF_XQ_STORE_SAME_TREE, 2, p);
    bool same = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
                strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    bool failed = PQresultStatus(r) != PGRES_TUPLES_OK;
    PQclear(r);
    if (failed) {
        snprintf(err, errlen, "'%.200s': cannot check which execution it belongs to", uri);
        return WF_XSTORAGE_ERR;
    }
    if (!same) {
        snprintf(err, errlen,
                 "'%.200s' is refused: it belongs to another execution (%s), not this one or "
                 "its Subflow parents or children",
                 uri, st.execution_id);
        return WF_XSTORAGE_ERR;
    }
    return 0;
}

/* A file as text, capped: read()'s answer. */
typedef struct text_sink {
    char *buf;
    size_t len;
} text_sink_t;

static int to_text(void *ud, const void *data, size_t len, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    text_sink_t *t = ud;
    char *b = realloc(t->buf, t->len + len + 1);
    if (b == NULL)
        return -1;
    memcpy(b + t->len, data, len);
    t->buf = b;
    t->len += len;
    t->buf[t->len] = '\0';
    return 0;
}

static json_t *host_file(wf_xexec_t *x, const char *fn, const json_t *args, char *err,
                         size_t errlen)
{
    wf_executor_t *ex = x->ex;
    const char *uri = json_string_value(json_array_get(args, 0));
    wf_xfiles_ref_t fr;
    char msg[400];
    int rc = wf_xfiles_resolve(ex, x, uri, &fr, msg, sizeof(msg));
    bool exists_q = strcmp(fn, "fileExists") == 0;
    if (rc == WF_XSTORAGE_NOTFOUND && exists_q)
        return json_false();
    if (rc != 0) {
        snprintf(err, errlen, "%s", msg);
        return NULL;
    }
    if (strcmp(fn, "read") == 0) {
        text_sink_t t = {0};
        rc = wf_xstorage_read(ex, &fr.ref, WF_XFILES_READ_MAX, to_text, &t, NULL, msg, sizeof(msg));
        json_t *res = NULL;
        if (rc == WF_XSTORAGE_TOOBIG)
            snprintf(err, errlen,
                     "'%.200s' is larger than read() returns (%d MiB): give the file to a "
                     "task with inputFiles instead",
                     uri, WF_XFILES_READ_MAX >> 20);
        else if (rc == WF_XSTORAGE_NOTFOUND)
            snprintf(err, errlen, "file '%.200s' not found", uri);
        else if (rc != 0)
            snprintf(err, errlen, "%s", msg);
        else if ((res = json_stringn(t.buf ? t.buf : "", t.len)) == NULL)
            snprintf(err, errlen, "'%.200s' is not UTF-8 text", uri);
        free(t.buf);
        return res;
    }
    wf_xstorage_stat_t st;
    rc = wf_xstorage_stat(ex, &fr.ref, &st, msg, sizeof(msg));
    if (exists_q)
        return rc == 0 ? json_true() : rc == WF_XSTORAGE_NOTFOUND ? json_false() : NULL;
    if (rc == WF_XSTORAGE_NOTFOUND) {
        snprintf(err, errlen, "file '%.200s' not found", uri);
        return NULL;
    }
    if (rc != 0) {
        snprintf(err, errlen, "%s", msg);
        return NULL;
    }
    if (strcmp(fn, "fileSize") == 0)
        return json_integer(st.size);
    return json_boolean(st.size == 0); /* isFileEmpty */
}

json_t *wf_xfiles_host(void *ud, const char *fn, const json_t *args, char *err, size_t errlen)
{
    static const char *const fns[] = {"read", "fileSize", "fileExists", "isFileEmpty"};
    for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
        if (strcmp(fn, fns[i]) == 0)
            return host_file(ud, fn, args, err, errlen);
    snprintf(err, errlen, "not available in this executor");
    return NULL;
}

int wf_xfiles_input_fd(wf_executor_t *ex, wf_xexec_t *x, const char *uri, char *err, size_t errlen)
{
    wf_xfiles_ref_t fr;
    char msg[400];
    if (wf_xfiles_resolve(ex, x, uri, &fr, msg, sizeof(msg)) != 0) {
        snprintf(err, errlen, "%s", msg);
        return -1;
    }
    /* An unnamed file next to the work dirs: nothing to clean up if the
     * executor dies, and the content never passes through memory whole. */
    int fd = open(ex->work_root, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot make a temporary file for '%.200s': %s", uri,
                 strerror(errno));
        return -1;
    }
    int rc = wf_xstorage_get(ex, &fr.ref, fd, 0, NULL, msg, sizeof(msg));
    if (rc != 0) {
        if (rc == WF_XSTORAGE_NOTFOUND)
            snprintf(err, errlen, "file '%.200s' not found", uri);
        else
            snprintf(err, errlen, "%s", msg);
        close(fd);
        return -1;
    }
    lseek(fd, 0, SEEK_SET);
    return fd;
}

json_t *wf_xfiles_output_uri(wf_executor_t *ex, wf_xexec_t *x, const json_t *v, char *err,
                             size_t errlen)
{
    const char *uri = json_string_value(v);
    if (uri == NULL || !wf_fileuri_is_storage(uri)) {
        snprintf(err, errlen, "a FILE output is a file URI (weft:///…), not %s",
                 uri ? "this text" : "this value");
        return NULL;
    }
    wf_xfiles_ref_t fr;
    char msg[400], norm[WF_FILEURI_URI_MAX];
    if (wf_xfiles_resolve(ex, x, uri, &fr, msg, sizeof(msg)) != 0) {
        snprintf(err, errlen, "%s", msg);
        return NULL;
    }
    if (wf_fileuri_from_path(fr.path, norm, sizeof(norm), msg, sizeof(msg)) != 0) {
        snprintf(err, errlen, "%s", msg);
        return NULL;
    }
    return json_string(norm);
}
