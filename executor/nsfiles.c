/* Namespace files in tasks (executor/nsfiles.h). */
#include "executor/nsfiles.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "executor/storage.h"
#include "flow/nspath.h"
#include "platform/xmalloc.h"

/* A namespace with more files than this is not listed whole for a task:
 * include patterns narrow what a task asks for, not what is read. */
#define LIST_MAX 20000

struct wf_xnsfiles {
    char *dir; /* the staging directory */
    size_t n;  /* files staged in it, named f0, f1, ... */
};

void wf_xnsfiles_destroy(wf_xnsfiles_t *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n; i++) {
        char *p = wf_xasprintf("%s/f%zu", s->dir, i);
        unlink(p);
        free(p);
    }
    rmdir(s->dir);
    free(s->dir);
    free(s);
}

/* The parent of namespace `ns` in place ("a.b.c" -> "a.b"); false at the top. */
static bool parent_ns(char *ns)
{
    char *dot = strrchr(ns, '.');
    if (dot == NULL)
        return false;
    *dot = '\0';
    return true;
}

/* A list of patterns: a string or an array of strings (NULL: none). */
static int patterns(const json_t *v, const char *name, const json_t **out, char *err, size_t errlen)
{
    *out = NULL;
    if (v == NULL || json_is_null(v))
        return 0;
    if (json_is_string(v)) {
        *out = v;
        return 0;
    }
    size_t i;
    const json_t *e;
    if (json_is_array(v)) {
        json_array_foreach(v, i, e) if (!json_is_string(e))
        {
            snprintf(err, errlen, "namespaceFiles.%s[%zu] must be a glob string", name, i);
            return -1;
        }
        *out = v;
        return 0;
    }
    snprintf(err, errlen, "namespaceFiles.%s must be a list of glob strings", name);
    return -1;
}

static bool any_match(const json_t *pats, const char *path)
{
    if (json_is_string(pats))
        return wf_nspath_glob(json_string_value(pats), path);
    size_t i;
    const json_t *e;
    json_array_foreach(pats, i, e) if (wf_nspath_glob(json_string_value(e), path)) return true;
    return false;
}

/* One file to place. */
typedef struct {
    char *rel; /* in the work dir */
    char *ns;  /* the namespace it comes from */
    char *path;
    int64_t size;
} pick_t;

typedef struct {
    const char *ns;
    const json_t *include, *exclude;
    bool per_ns;
    const json_t *skip;
    json_t *taken; /* rel -> true: nearer namespaces win */
    pick_t *picks;
    size_t n, cap;
    int64_t bytes;
    char *err;
    size_t errlen;
    int failed;
} collect_t;

static int on_file(void *ud, const char *path, const wf_xstorage_stat_t *st)
{
    collect_t *c = ud;
    size_t pl = strlen(path);
    if (pl == 0 || path[pl - 1] == '/') /* an empty directory's marker row */
        return 0;
    if (c->include != NULL && !any_match(c->include, path))
        return 0;
    if (c->exclude != NULL && any_match(c->exclude, path))
        return 0;
    char *rel = c->per_ns ? wf_xasprintf("%s%s", c->ns, path) : wf_xstrdup(path + 1);
    if (json_object_get(c->taken, rel) != NULL ||
        (c->skip != NULL && json_object_get(c->skip, rel) != NULL)) {
        free(rel);
        return 0;
    }
    if (strncmp(rel, ".weft/", 6) == 0) {
        snprintf(c->err, c->errlen,
                 "namespaceFiles: %s of namespace %s is in .weft/, the runner's own folder; "
                 "exclude it",
                 path, c->ns);
        free(rel);
        c->failed = 1;
        return -1;
    }
    json_object_set_new(c->taken, rel, json_true());
    if (c->n == c->cap)
        c->picks = wf_xreallocarray(c->picks, c->cap = c->cap ? c->cap * 2 : 32, sizeof(*c->picks));
    c->picks[c->n++] = (pick_t){rel, wf_xstrdup(c->ns), wf_xstrdup(path), st->size};
    c->bytes += st->size;
    return 0;
}

static void picks_free(collect_t *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->picks[i].rel);
        free(c->picks[i].ns);
        free(c->picks[i].path);
    }
    free(c->picks);
    json_decref(c->taken);
}

/* Opens `rel` (clean, relative) for writing below the directory `root`,
 * making the directories on the way. `root` is a WorkingDirectory that
 * earlier tasks (tenant code) wrote to, and this runs with the executor's
 * rights: each component is opened without following symlinks, and the
 * file must be a regular file with one link, so nothing can be redirected
 * outside `root`. Returns the descriptor or -1 with errno. */
static int open_below(const char *root, const char *rel)
{
    int dfd = open(root, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return -1;
    char *copy = wf_xstrdup(rel), *comp = copy, *slash;
    int fd = -1;
    while ((slash = strchr(comp, '/')) != NULL) {
        *slash = '\0';
        /* The task runs as another id: it may change what it was given. */
        if (mkdirat(dfd, comp, 0777) == 0)
            (void)fchmodat(dfd, comp, 0777, 0);
        int nfd = openat(dfd, comp, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        close(dfd);
        dfd = nfd;
        if (dfd < 0)
            goto out;
        comp = slash + 1;
    }
    fd = openat(dfd, comp, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666);
    struct stat st;
    if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1)) {
        close(fd);
        fd = -1;
        errno = EPERM;
    }
    if (fd >= 0 && (ftruncate(fd, 0) != 0 || fchmod(fd, 0666) != 0)) {
        int e = errno;
        close(fd);
        fd = -1;
        errno = e;
    }
out:
    if (dfd >= 0) {
        int e = errno;
        close(dfd);
        errno = e;
    }
    free(copy);
    return fd;
}

int wf_xnsfiles_place(wf_executor_t *ex, const char *ns, const json_t *nsfiles, const json_t *skip,
                      const char *host_dir, wf_sbx_spec_t *spec, wf_xnsfiles_t **out, char *err,
                      size_t errlen)
{
    *out = NULL;
    if (nsfiles == NULL || json_is_null(nsfiles))
        return 0;
    if (!json_is_object(nsfiles)) {
        snprintf(err, errlen, "namespaceFiles must be an object ({enabled: true, include: [...]})");
        return -1;
    }
    /* Kestra: `enabled` defaults to true once namespaceFiles is given. */
    const json_t *en = json_object_get(nsfiles, "enabled");
    if (en != NULL && !json_is_boolean(en)) {
        snprintf(err, errlen, "namespaceFiles.enabled must be true or false");
        return -1;
    }
    if (en != NULL && json_is_false(en))
        return 0;
    const json_t *per = json_object_get(nsfiles, "folderPerNamespace");
    if (per != NULL && !json_is_boolean(per)) {
        snprintf(err, errlen, "namespaceFiles.folderPerNamespace must be true or false");
        return -1;
    }
    collect_t c = {.per_ns = json_is_true(per),
                   .skip = skip,
                   .taken = json_object(),
                   .err = err,
                   .errlen = errlen};
    if (patterns(json_object_get(nsfiles, "include"), "include", &c.include, err, errlen) != 0 ||
        patterns(json_object_get(nsfiles, "exclude"), "exclude", &c.exclude, err, errlen) != 0) {
        picks_free(&c);
        return -1;
    }
    if (json_is_array(c.include) && json_array_size(c.include) == 0)
        c.include = NULL;
    /* The namespace, then its parents: the nearest has its files placed first. */
    char cur[256];
    snprintf(cur, sizeof(cur), "%s", ns);
    int rc = 0;
    do {
        c.ns = cur;
        int n = wf_xstorage_list(ex, WF_XSTORAGE_NAMESPACE, cur, "/", LIST_MAX, on_file, &c, err,
                                 errlen);
        if (c.failed) {
            rc = -1;
            break;
        }
        if (n < 0) {
            rc = -1;
            break;
        }
        if (n >= LIST_MAX) {
            snprintf(err, errlen,
                     "namespaceFiles: namespace %s holds %d files or more; weft reads at most %d "
                     "for a task",
                     cur, LIST_MAX, LIST_MAX);
            rc = -1;
            break;
        }
    } while (parent_ns(cur));
    const wf_config_t *cfg = ex->cfg;
    if (rc == 0 && (int64_t)c.n > cfg->namespace_files.max_task_files) {
        snprintf(err, errlen,
                 "namespaceFiles: %zu files match, more than namespace_files.max_task_files "
                 "(%lld); narrow include or exclude",
                 c.n, (long long)cfg->namespace_files.max_task_files);
        rc = -1;
    }
    if (rc == 0 && c.bytes > cfg->namespace_files.max_task_bytes) {
        snprintf(err, errlen,
                 "namespaceFiles: the matching files hold %lld bytes, more than "
                 "namespace_files.max_task_bytes (%lld); narrow include or exclude",
                 (long long)c.bytes, (long long)cfg->namespace_files.max_task_bytes);
        rc = -1;
    }
    wf_xnsfiles_t *s = NULL;
    if (rc == 0 && c.n > 0 && host_dir == NULL) {
        s = wf_xcalloc(1, sizeof(*s));
        s->dir = wf_xasprintf("%s/nsf-XXXXXX", ex->work_root);
        if (mkdtemp(s->dir) == NULL) {
            snprintf(err, errlen, "namespaceFiles: cannot make a staging directory: %s",
                     strerror(errno));
            free(s->dir);
            free(s);
            s = NULL;
            rc = -1;
        }
    }
    int64_t budget = cfg->namespace_files.max_task_bytes;
    for (size_t i = 0; rc == 0 && i < c.n; i++) {
        const pick_t *p = &c.picks[i];
        char *staged = NULL;
        int fd;
        if (host_dir != NULL) {
            fd = open_below(host_dir, p->rel);
        } else {
            staged = wf_xasprintf("%s/f%zu", s->dir, i);
            fd = open(staged, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
            s->n = i + 1;
        }
        if (fd < 0) {
            snprintf(err, errlen, "namespaceFiles: cannot %s %s: %s", host_dir ? "write" : "stage",
                     p->path, strerror(errno));
            rc = -1;
        } else {
            wf_xstorage_ref_t ref = {
                .kind = WF_XSTORAGE_NAMESPACE, .namespace_ = p->ns, .path = p->path};
            wf_xstorage_stat_t st;
            char why[300];
            /* The budget again: a file may have grown since it was listed. */
            int g = wf_xstorage_get(ex, &ref, fd, budget > 0 ? budget : 1, &st, why, sizeof(why));
            if (close(fd) != 0 && g == 0) {
                snprintf(why, sizeof(why), "%s", strerror(errno));
                g = WF_XSTORAGE_ERR;
            }
            if (g == WF_XSTORAGE_TOOBIG) {
                snprintf(err, errlen,
                         "namespaceFiles: the matching files hold more than "
                         "namespace_files.max_task_bytes (%lld)",
                         (long long)cfg->namespace_files.max_task_bytes);
                rc = -1;
            } else if (g != 0) {
                snprintf(err, errlen, "namespaceFiles: %s of namespace %s: %s", p->path, p->ns,
                         why);
                rc = -1;
            } else {
                budget -= st.size;
                if (staged != NULL && wf_sbx_spec_file_copy(spec, p->rel, staged, 0644) != 0) {
                    snprintf(err, errlen, "namespaceFiles: cannot place %s: %s", p->rel,
                             errno == EINVAL ? "too many files for the sandbox" : strerror(errno));
                    rc = -1;
                }
            }
        }
        free(staged);
    }
    picks_free(&c);
    if (rc != 0) {
        wf_xnsfiles_destroy(s);
        return -1;
    }
    *out = s;
    return 0;
}
