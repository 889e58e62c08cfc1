/* The _files/ folder of `weft flow apply -f DIR`: DIR/_files/a/b.py is the
 * namespace file /a/b.py of the namespace DIR's flows are in (one namespace
 * per folder: flows of several namespaces go in folders of their own, each
 * with its _files/). Files are compared by SHA-256 with the server's and
 * reported added, changed, unchanged or (with --prune) deleted, as flows
 * are. Hidden entries are skipped, as for flow files. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/client.h"
#include "cli/nsfile.h"
#include "cli/out.h"
#include "flow/nspath.h"
#include "platform/xmalloc.h"

/* Folders deeper than this are not entered (a link loop ends here). */
#define MAX_DEPTH 32

typedef struct {
    char *local;  /* DIR/_files/a/b.py */
    char *remote; /* /a/b.py */
} sync_file_t;

struct weft_nsfile_set {
    char *root; /* DIR/_files */
    char *ns;
    sync_file_t *files;
    size_t count, cap;
};

void weft_nsfile_set_free(weft_nsfile_set_t *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->count; i++) {
        free(s->files[i].local);
        free(s->files[i].remote);
    }
    free(s->files);
    free(s->root);
    free(s->ns);
    free(s);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the files below `dir` (its path in the namespace: `rel`, "" at the
 * top), in name order; returns the number of problems printed. */
static size_t scan_dir(weft_nsfile_set_t *s, const char *dir, const char *rel, int depth)
{
    if (depth >= MAX_DEPTH) {
        fprintf(stderr, "%s: error: deeper than %d folders\n", dir, MAX_DEPTH);
        return 1;
    }
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "%s: error: cannot read: %s\n", dir, strerror(errno));
        return 1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap)
            names = wf_xreallocarray(names, cap = cap ? cap * 2 : 16, sizeof(*names));
        names[n++] = wf_xstrdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(*names), by_name);
    size_t problems = 0;
    for (size_t i = 0; i < n; i++) {
        char *local = wf_xasprintf("%s/%s", dir, names[i]);
        char *sub = wf_xasprintf("%s/%s", rel, names[i]);
        struct stat st;
        if (stat(local, &st) != 0) {
            fprintf(stderr, "%s: error: %s\n", local, strerror(errno));
            problems++;
        } else if (S_ISDIR(st.st_mode)) {
            problems += scan_dir(s, local, sub, depth + 1);
        } else if (!S_ISREG(st.st_mode)) {
            fprintf(stderr, "%s: error: not a regular file\n", local);
            problems++;
        } else {
            char clean[WF_NSPATH_MAX + 2], why[160];
            if (wf_nspath_clean(sub, clean, sizeof(clean), why, sizeof(why)) != 0) {
                fprintf(stderr, "%s: error: %s\n", local, why);
                problems++;
            } else {
                if (s->count == s->cap)
                    s->files = wf_xreallocarray(s->files, s->cap = s->cap ? s->cap * 2 : 16,
                                                sizeof(*s->files));
                s->files[s->count].local = local;
                s->files[s->count].remote = wf_xstrdup(clean);
                s->count++;
                local = NULL;
            }
        }
        free(local);
        free(sub);
        free(names[i]);
    }
    free(names);
    return problems;
}

size_t weft_nsfile_scan(weft_t *w, const char *dir, const char *ns, weft_nsfile_set_t **out)
{
    (void)w;
    *out = NULL;
    char *root = wf_xasprintf("%s/_files", dir);
    struct stat st;
    if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode)) {
        free(root);
        return 0;
    }
    if (ns == NULL) {
        fprintf(stderr,
                "%s: error: the flows of %s are not all in one namespace (or there are none), "
                "so _files/ has no namespace; give each namespace a folder of its own with its "
                "flows and its _files/\n",
                root, dir);
        free(root);
        return 1;
    }
    weft_nsfile_set_t *s = wf_xcalloc(1, sizeof(*s));
    s->root = root;
    s->ns = wf_xstrdup(ns);
    size_t problems = scan_dir(s, root, "", 0);
    if (problems > 0) {
        weft_nsfile_set_free(s);
        return problems;
    }
    *out = s;
    return 0;
}

static void report(weft_t *w, json_t *rep, const char *action, const char *ns, const char *path,
                   const char *local, bool dry)
{
    weft_progress_clear(w);
    if (rep != NULL) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:b}", "action", action, "kind", "file",
                              "namespace", ns, "path", path, "dryRun", dry);
        if (local != NULL)
            json_object_set_new(o, "file", json_string(local));
        json_array_append_new(rep, o);
        return;
    }
    printf("%-9s  %s:%s%s%s%s%s\n", action, ns, path, local ? "  (" : "", local ? local : "",
           local ? ")" : "", dry ? "  [dry run]" : "");
    fflush(stdout);
}

int weft_nsfile_sync(weft_t *w, const weft_nsfile_set_t *s, bool dry_run, bool prune, json_t *rep,
                     weft_nsfile_tally_t *t)
{
    json_t *server = NULL;
    int rc = weft_nsfile_tree(w, s->ns, "/", false, &server);
    if (rc == WEFT_EXIT_FAIL) {
        t->failed += s->count;
        return 0;
    }
    if (rc != 0)
        return rc;
    size_t failed_before = t->failed;
    for (size_t i = 0; i < s->count && rc == 0; i++) {
        const sync_file_t *f = &s->files[i];
        char hex[65];
        if (weft_sha256_file(f->local, hex) != 0) {
            fprintf(stderr, "%s: error: cannot read: %s\n", f->local, strerror(errno));
            t->failed++;
            continue;
        }
        const char *theirs =
            json_string_value(json_object_get(json_object_get(server, f->remote), "sha256"));
        const char *action = theirs == NULL             ? "added"
                             : strcmp(theirs, hex) == 0 ? "unchanged"
                                                        : "changed";
        if (!dry_run && strcmp(action, "unchanged") != 0) {
            rc = weft_nsfile_upload(w, s->ns, f->remote, f->local, NULL);
            if (rc == WEFT_EXIT_FAIL) {
                fprintf(stderr, "%s: error: %s:%s not uploaded\n", f->local, s->ns, f->remote);
                t->failed++;
                rc = 0;
                continue;
            }
            if (rc != 0)
                break;
        }
        if (strcmp(action, "added") == 0)
            t->added++;
        else if (strcmp(action, "changed") == 0)
            t->changed++;
        else
            t->unchanged++;
        report(w, rep, action, s->ns, f->remote, f->local, dry_run);
    }
    if (rc == 0 && prune && t->failed > failed_before)
        weft_warn(w, "some files of %s failed: not pruning its files", s->ns);
    else if (rc == 0 && prune) {
        const char *path;
        json_t *v;
        json_object_foreach(server, path, v)
        {
            bool local = false;
            for (size_t i = 0; i < s->count && !local; i++)
                local = strcmp(s->files[i].remote, path) == 0;
            if (local)
                continue;
            if (!dry_run) {
                rc = weft_nsfile_delete(w, s->ns, path);
                if (rc == WEFT_EXIT_FAIL) {
                    t->failed++;
                    rc = 0;
                    continue;
                }
                if (rc != 0)
                    break;
            }
            t->deleted++;
            report(w, rep, "deleted", s->ns, path, NULL, dry_run);
        }
    }
    json_decref(server);
    return rc;
}
