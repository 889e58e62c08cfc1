/* Output files of script tasks (Kestra's `outputFiles` and `{{ outputDir }}`):
 * after a successful attempt, the files the task declared (glob patterns
 * relative to its working directory) and every file it left in the outputs
 * directory are read from the host side of its sandbox and stored in
 * task_run_files; the task's outputs get `outputFiles: {name: uri}` and
 * `read(uri)` returns a file's content to later tasks of the execution.
 *
 * The files were written by untrusted code, and the executor reading them
 * runs with more rights than the task: every path is opened one component at
 * a time relative to the work directory with O_NOFOLLOW, so a symbolic link
 * (to /etc/shadow, to another task's directory) is refused rather than
 * followed; only regular files with a single link are read (a hard link to
 * someone else's file is refused too), and the total size is bounded. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "executor/files.h"
#include "platform/log.h"
#include "platform/xmalloc.h"
#include "platform/text.h"

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

/* Reads a regular, singly linked file; -1 with a message otherwise. */
static int read_file(int dfd, const char *rel, int64_t budget, char **data, size_t *len,
                     char *err, size_t errlen)
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
    int rc = -1;
    *data = NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "output file '%s' is not a regular file: refused", rel);
        goto out;
    }
    if (st.st_nlink != 1) {
        snprintf(err, errlen, "output file '%s' has %ju hard links: refused", rel,
                 (uintmax_t)st.st_nlink);
        goto out;
    }
    if (st.st_size > budget) {
        snprintf(err, errlen, "output files are larger than executor.output_files_max");
        goto out;
    }
    size_t n = (size_t)st.st_size, got = 0;
    char *b = malloc(n + 1);
    if (b == NULL)
        goto out;
    while (got < n) {
        ssize_t r = read(fd, b + got, n - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    b[got] = '\0';
    *data = b;
    *len = got;
    rc = 0;
out:
    close(fd);
    return rc;
}

static bool is_glob(const char *p)
{
    return strpbrk(p, "*?[") != NULL;
}

static void sha256_hex(const char *data, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    wf_hex_put(out, md, sizeof(md));
}

/* Stores one file and adds its uri to `map`. */
static int store(wf_executor_t *ex, wf_trun_t *tr, const char *name, const char *data,
                 size_t len, json_t *map, char *err, size_t errlen)
{
    wf_xexec_t *x = tr->exec;
    char uri[2048], attempt[16], size[24], sum[65];
    snprintf(uri, sizeof(uri), "weft:///%s/%s/executions/%s/tasks/%s/%s/%s", x->namespace_,
             x->flow_id, x->id, tr->task->id, tr->id, name);
    snprintf(attempt, sizeof(attempt), "%d", tr->attempts_count);
    snprintf(size, sizeof(size), "%zu", len);
    sha256_hex(data, len, sum);
    const char *vals[] = {x->id, tr->id, attempt, name, x->namespace_, ex->domain, size, sum,
                          data};
    int lens[] = {0, 0, 0, 0, 0, 0, 0, 0, (int)len};
    int fmts[] = {0, 0, 0, 0, 0, 0, 0, 0, 1};
    /* Waits: the attempt's outputs name the file only once it is stored. */
    PGresult *r = wf_xdb_run_binary(ex, WF_XQ_FILE_STORE, 9, vals, lens, fmts, 0);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        snprintf(err, errlen, "cannot store output file '%s': %s", name,
                 PQresultErrorMessage(r));
    PQclear(r);
    if (!ok)
        return -1;
    json_object_set_new(map, name, json_string(uri));
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
    entries_t odir = {0}, files = {0};
    json_t *map = json_object();
    int rc = -1;
    if (wfd < 0 || cfd < 0) {
        snprintf(err, errlen, "cannot open the work directory: %s", strerror(errno));
        goto out;
    }
    /* 1. Everything in the outputs directory. */
    int ofd = open_beneath(wfd, WF_XFILES_OUTPUT_REL, true);
    if (ofd < 0 && errno != ENOENT) {
        snprintf(err, errlen, "the outputs directory is a symbolic link or not a directory: "
                              "refused");
        goto out;
    }
    if (ofd >= 0) {
        walk(ofd, "", 0, NULL, &odir);
        for (size_t i = 0; i < odir.n; i++) {
            if (strcmp(odir.v[i].rel, ".keep") == 0)
                continue;
            if (odir.v[i].link || !odir.v[i].reg) {
                snprintf(err, errlen, "output file '%s' is %s: refused", odir.v[i].rel,
                         odir.v[i].link ? "a symbolic link" : "not a regular file");
                close(ofd);
                goto out;
            }
            char *data;
            size_t len;
            if (json_object_size(map) >= MAX_FILES ||
                read_file(ofd, odir.v[i].rel, budget, &data, &len, err, errlen) != 0) {
                if (!err[0])
                    snprintf(err, errlen, "more than %d output files", MAX_FILES);
                close(ofd);
                goto out;
            }
            budget -= (int64_t)len;
            int s = store(ex, tr, odir.v[i].rel, data, len, map, err, errlen);
            free(data);
            if (s != 0) {
                close(ofd);
                goto out;
            }
        }
        close(ofd);
    }
    /* 2. Declared files, matched in the task's working directory. */
    if (json_array_size(patterns) > 0)
        walk(cfd, "", 0, cwd ? NULL : ".weft", &files);
    size_t i;
    json_t *p;
    json_array_foreach(patterns, i, p) {
        if (!json_is_string(p))
            continue;
        const char *pat = json_string_value(p);
        bool glob = is_glob(pat), found = false;
        for (size_t k = 0; k < files.n; k++) {
            entry_t *e = &files.v[k];
            if (glob ? fnmatch(pat, e->rel, 0) != 0 : strcmp(pat, e->rel) != 0)
                continue;
            found = true;
            if (json_object_get(map, e->rel))
                continue;
            if (e->link || !e->reg) {
                snprintf(err, errlen, "output file '%s' is %s: refused", e->rel,
                         e->link ? "a symbolic link" : "not a regular file");
                goto out;
            }
            char *data;
            size_t len;
            if (json_object_size(map) >= MAX_FILES ||
                read_file(cfd, e->rel, budget, &data, &len, err, errlen) != 0) {
                if (!err[0])
                    snprintf(err, errlen, "more than %d output files", MAX_FILES);
                goto out;
            }
            budget -= (int64_t)len;
            int s = store(ex, tr, e->rel, data, len, map, err, errlen);
            free(data);
            if (s != 0)
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
    rc = 0;
    if (json_object_size(map) > 0)
        *out = json_incref(map);
out:
    json_decref(map);
    entries_free(&odir);
    entries_free(&files);
    if (wfd >= 0)
        close(wfd);
    if (cfd >= 0)
        close(cfd);
    return rc;
}

/* read(uri): a file stored by a task of the same execution. */
static json_t *host_read(wf_xexec_t *x, const json_t *args, char *err, size_t errlen)
{
    const char *uri = json_string_value(json_array_get(args, 0));
    if (uri == NULL) {
        snprintf(err, errlen, "expected a file uri");
        return NULL;
    }
    /* weft:///NS/FLOW/executions/EID/tasks/TASK/TRID/NAME */
    const char *ex_part = strncmp(uri, "weft:///", 8) == 0 ? strstr(uri, "/executions/") : NULL;
    char eid[128], trid[128], task[256];
    int off = 0;
    if (ex_part == NULL ||
        sscanf(ex_part, "/executions/%127[^/]/tasks/%255[^/]/%127[^/]/%n", eid, task, trid,
               &off) != 3 ||
        off == 0 || ex_part[off] == '\0') {
        snprintf(err, errlen, "'%s' is not an output file uri (weft:///…)", uri);
        return NULL;
    }
    const char *name = ex_part + off;
    if (strcmp(eid, x->id) != 0) {
        snprintf(err, errlen, "'%s' belongs to another execution", uri);
        return NULL;
    }
    const char *vals[] = {eid, trid, name};
    /* Waits: read() returns the content to the render that called it. */
    PGresult *r = wf_xdb_run_binary(x->ex, WF_XQ_FILE_READ, 3, vals, NULL, NULL, 1);
    json_t *res = NULL;
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        snprintf(err, errlen, "cannot read '%s': %s", uri, PQresultErrorMessage(r));
    else if (PQntuples(r) != 1)
        snprintf(err, errlen, "no file '%s' in this execution", uri);
    else if ((res = json_stringn(PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0))) == NULL)
        snprintf(err, errlen, "'%s' is not UTF-8 text", uri);
    PQclear(r);
    return res;
}

json_t *wf_xfiles_host(void *ud, const char *fn, const json_t *args, char *err, size_t errlen)
{
    wf_xexec_t *x = ud;
    if (strcmp(fn, "read") == 0)
        return host_read(x, args, err, errlen);
    snprintf(err, errlen, "not available in this executor");
    return NULL;
}
