/* `weft flow apply|get|list|delete|revisions` (and `validate`, which lives in
 * cli/flow_validate.c). Apply is GitOps-style: every file is validated
 * locally with the flow library first and nothing is sent if any is
 * invalid; then each flow is reported created, updated, unchanged or (with
 * --prune) deleted. A DIR's _files/ folder is synced into its flows'
 * namespace the same way (cli/nsfile_sync.c). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"
#include "cli/diff.h"
#include "cli/files.h"
#include "cli/nsfile.h"
#include "cli/out.h"
#include "cli/scope.h"
#include "cli/verb.h"
#include "cli/verbs.h"
#include "platform/cmd.h"
#include "platform/config.h"
#include "platform/xmalloc.h"
#include "flow/flow.h"

/* One local flow file. */
typedef struct {
    char *path;
    char *text; /* raw bytes, sent as they are */
    size_t len;
    char *ns, *id; /* from the parsed flow; NULL when invalid */
} local_flow_t;

typedef struct {
    local_flow_t *items;
    size_t count;
} flow_set_t;

/* One entry per file of `paths`, which it takes over. */
static void set_from_paths(flow_set_t *s, weft_paths_t *paths)
{
    s->items = wf_xcalloc(paths->count, sizeof(*s->items));
    for (size_t i = 0; i < paths->count; i++) {
        s->items[i].path = paths->items[i];
        paths->items[i] = NULL;
    }
    s->count = paths->count;
}

static void set_free(flow_set_t *s)
{
    for (size_t i = 0; i < s->count; i++) {
        free(s->items[i].path);
        free(s->items[i].text);
        free(s->items[i].ns);
        free(s->items[i].id);
    }
    free(s->items);
}

static bool in_prefix(const char *ns, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(ns, prefix, n) == 0 && (ns[n] == '\0' || ns[n] == '.');
}

/* ---- apply -------------------------------------------------------------- */

typedef struct {
    const char **files;
    int nfiles;
    bool dry_run, prune, diff;
    const char *ns_prefix;
} apply_opts_t;

enum { A_FILE, A_DRY, A_PRUNE, A_NS, A_DIFF };

static const weft_opt_t apply_table[] = {
    {"filename", 'f', "DIR|FILE", A_FILE, "a flow file or a folder of them (repeatable)"},
    {"dry-run", 0, NULL, A_DRY, "report what would change, change nothing"},
    {"prune", 0, NULL, A_PRUNE,
     "delete server flows in the applied namespaces (or under --namespace) that have no file"},
    {"namespace", 0, "PREFIX", A_NS,
     "every flow must be in PREFIX or below it; --prune then covers all of PREFIX"},
    {"diff", 0, NULL, A_DIFF, "show a diff of each change against the server's source"},
    {NULL, 0, NULL, 0, NULL},
};

static int apply_opt(weft_t *w, void *ud, int id, const char *val)
{
    apply_opts_t *o = ud;
    switch (id) {
    case A_FILE:
        o->files[o->nfiles++] = val;
        break;
    case A_DRY:
        o->dry_run = true;
        break;
    case A_PRUNE:
        o->prune = true;
        break;
    case A_NS:
        if (!wf_namespace_valid(val)) {
            weft_err(w, "--namespace '%s' is not a valid namespace", val);
            return -1;
        }
        o->ns_prefix = val;
        break;
    case A_DIFF:
        o->diff = true;
        break;
    }
    return 0;
}

/* Validates every file; prints every error. Returns the number of invalid
 * files (missing files, parse errors, duplicates, out of --namespace). */
static size_t validate_all(weft_t *w, flow_set_t *s, const apply_opts_t *o)
{
    size_t invalid = 0;
    for (size_t i = 0; i < s->count; i++) {
        local_flow_t *f = &s->items[i];
        if (weft_read_file(f->path, &f->text, &f->len) != 0) {
            fprintf(stderr, "%s: error: cannot read: %s\n", f->path, strerror(errno));
            invalid++;
            continue;
        }
        wf_diags_t d;
        wf_flow_t *flow = wf_flow_parse(f->text, f->len, f->path, &d);
        wf_diags_print(&d, stderr); /* the errors, or the warnings of a valid flow */
        if (flow == NULL) {
            invalid++;
        } else {
            f->ns = wf_xstrdup(flow->namespace_);
            f->id = wf_xstrdup(flow->id);
        }
        wf_diags_dispose(&d);
        wf_flow_free(flow);
        if (f->ns == NULL)
            continue;
        if (o->ns_prefix != NULL && !in_prefix(f->ns, o->ns_prefix)) {
            fprintf(stderr, "%s: error: namespace %s is outside --namespace %s\n", f->path, f->ns,
                    o->ns_prefix);
            invalid++;
            continue;
        }
        for (size_t j = 0; j < i; j++) {
            local_flow_t *g = &s->items[j];
            if (g->ns != NULL && strcmp(g->ns, f->ns) == 0 && strcmp(g->id, f->id) == 0) {
                fprintf(stderr, "%s: error: flow %s/%s is also defined in %s\n", f->path, f->ns,
                        f->id, g->path);
                invalid++;
                break;
            }
        }
    }
    (void)w;
    return invalid;
}

typedef struct {
    size_t created, updated, unchanged, deleted, failed;
    json_t *report; /* -o json|yaml */
    bool progress;  /* a progress line on stderr */
} tally_t;

static void report(weft_t *w, tally_t *t, const char *action, const char *ns, const char *id,
                   const char *file, json_int_t revision, bool dry)
{
    weft_progress_clear(w);
    if (t->report != NULL) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:b}", "action", action, "namespace", ns, "id", id,
                              "dryRun", dry);
        if (file != NULL)
            json_object_set_new(o, "file", json_string(file));
        if (revision > 0)
            json_object_set_new(o, "revision", json_integer(revision));
        json_array_append_new(t->report, o);
        return;
    }
    char rev[32] = "";
    if (revision > 0)
        snprintf(rev, sizeof(rev), "  revision %lld", (long long)revision);
    printf("%s%-9s%s  %s/%s%s%s%s%s\n", weft_state_color(w, action), action, weft_color_reset(w),
           ns, id, file ? "  (" : "", file ? file : "", file ? ")" : "", dry ? "  [dry run]" : rev);
    fflush(stdout);
}

/* GET the server's flow: 0 found (source in *source), 1 absent, else exit code. */
static int server_source(weft_t *w, const char *ns, const char *id, char **source)
{
    char *path = weft_pathf("/api/v1/flows/%s/%s", ns, id);
    weft_resp_t r;
    int rc = weft_call(w, "GET", path, NULL, NULL, 0, &r);
    free(path);
    *source = NULL;
    if (rc != 0)
        return rc;
    if (r.status == 404) {
        rc = 1;
    } else if (r.status != 200) {
        weft_print_problem(w, &r, NULL);
        rc = -WEFT_EXIT_FAIL;
    } else {
        const char *s = json_string_value(json_object_get(r.json, "source"));
        *source = wf_xstrdup(s ? s : "");
        rc = 0;
    }
    weft_resp_dispose(&r);
    return rc;
}

static int apply_one(weft_t *w, const apply_opts_t *o, tally_t *t, local_flow_t *f)
{
    char *old = NULL;
    const char *action = NULL;
    json_int_t revision = 0;
    int rc = 0;
    if (o->dry_run || o->diff) {
        rc = server_source(w, f->ns, f->id, &old);
        if (rc == -WEFT_EXIT_FAIL) {
            t->failed++;
            return 0;
        }
        if (rc > 1)
            return rc;
        bool same = old != NULL && strlen(old) == f->len && memcmp(old, f->text, f->len) == 0;
        if (o->diff && !same) {
            weft_progress_clear(w);
            char *name = wf_xasprintf("%s/%s (server)", f->ns, f->id);
            weft_diff(stdout, old ? name : "/dev/null", old ? old : "", f->path, f->text, w->color);
            free(name);
        }
        action = old == NULL ? "created" : same ? "unchanged" : "updated";
        rc = 0;
    }
    if (!o->dry_run) {
        weft_resp_t r;
        rc = weft_call(w, "POST", "/api/v1/flows", "application/x-yaml", f->text, f->len, &r);
        if (rc != 0) {
            free(old);
            return rc;
        }
        if (r.status >= 400) {
            weft_progress_clear(w);
            weft_print_problem(w, &r, f->path);
            fprintf(stderr, "%s: error: %s/%s not applied\n", f->path, f->ns, f->id);
            t->failed++;
            weft_resp_dispose(&r);
            free(old);
            return 0;
        }
        bool created = json_is_true(json_object_get(r.json, "created"));
        bool changed = json_is_true(json_object_get(r.json, "changed"));
        revision = json_integer_value(json_object_get(r.json, "revision"));
        action = created ? "created" : changed ? "updated" : "unchanged";
        weft_resp_dispose(&r);
    }
    if (strcmp(action, "created") == 0)
        t->created++;
    else if (strcmp(action, "updated") == 0)
        t->updated++;
    else
        t->unchanged++;
    report(w, t, action, f->ns, f->id, f->path, revision, o->dry_run);
    free(old);
    return 0;
}

static bool has_local(const flow_set_t *s, const char *ns, const char *id)
{
    for (size_t i = 0; i < s->count; i++)
        if (strcmp(s->items[i].ns, ns) == 0 && strcmp(s->items[i].id, id) == 0)
            return true;
    return false;
}

/* Namespaces --prune looks at: --namespace PREFIX (and everything below),
 * else exactly the namespaces of the applied files. */
static int prune(weft_t *w, const apply_opts_t *o, const flow_set_t *s, tally_t *t)
{
    const char **scopes = wf_xcalloc(s->count + 1, sizeof(char *));
    size_t n = 0;
    if (o->ns_prefix != NULL) {
        scopes[n++] = o->ns_prefix;
    } else {
        for (size_t i = 0; i < s->count; i++) {
            bool seen = false;
            for (size_t j = 0; j < n && !seen; j++)
                seen = strcmp(scopes[j], s->items[i].ns) == 0;
            if (!seen)
                scopes[n++] = s->items[i].ns;
        }
    }
    int rc = 0;
    for (size_t k = 0; k < n && rc == 0; k++) {
        char *path = weft_pathf("/api/v1/flows?namespace=%s", scopes[k]);
        json_t *all = NULL;
        rc = weft_get_all(w, path, &all);
        free(path);
        if (rc != 0)
            break;
        size_t i;
        json_t *x;
        json_array_foreach(all, i, x)
        {
            const char *ns = json_string_value(json_object_get(x, "namespace"));
            const char *id = json_string_value(json_object_get(x, "id"));
            if (ns == NULL || id == NULL || has_local(s, ns, id))
                continue;
            if (o->ns_prefix == NULL && strcmp(ns, scopes[k]) != 0)
                continue; /* a child namespace: not ours to prune */
            if (!o->dry_run) {
                char *p = weft_pathf("/api/v1/flows/%s/%s", ns, id);
                weft_resp_t r;
                rc = weft_request(w, "DELETE", p, NULL, &r);
                free(p);
                weft_resp_dispose(&r);
                if (rc == WEFT_EXIT_FAIL) {
                    t->failed++;
                    rc = 0;
                    continue;
                }
                if (rc != 0)
                    break;
            }
            t->deleted++;
            report(w, t, "deleted", ns, id, NULL, 0, o->dry_run);
        }
        json_decref(all);
    }
    free(scopes);
    return rc;
}

/* The _files/ folders of the DIR arguments. */
typedef struct {
    weft_nsfile_set_t **items;
    size_t count;
} nsfile_sets_t;

/* Reads the _files/ folder of every DIR argument: its namespace is the one
 * namespace of the flows below DIR (several, or none, is an error when
 * there is a _files/). Returns the number of problems printed. */
static size_t scan_files(weft_t *w, const apply_opts_t *o, const flow_set_t *s,
                         nsfile_sets_t *out)
{
    size_t problems = 0;
    out->items = wf_xcalloc((size_t)o->nfiles + 1, sizeof(*out->items));
    for (int i = 0; i < o->nfiles; i++) {
        const char *dir = o->files[i];
        size_t dl = strlen(dir);
        while (dl > 1 && dir[dl - 1] == '/')
            dl--;
        const char *ns = NULL;
        bool several = false;
        for (size_t j = 0; j < s->count; j++) {
            const local_flow_t *f = &s->items[j];
            if (strncmp(f->path, dir, dl) != 0 || f->path[dl] != '/')
                continue;
            if (ns == NULL)
                ns = f->ns;
            else if (strcmp(ns, f->ns) != 0)
                several = true;
        }
        char *d = wf_xstrndup(dir, dl);
        weft_nsfile_set_t *set = NULL;
        problems += weft_nsfile_scan(w, d, several ? NULL : ns, &set);
        free(d);
        if (set != NULL)
            out->items[out->count++] = set;
    }
    return problems;
}

static int flow_apply(int argc, char **argv)
{
    static const weft_usage_t u = {
        "weft flow apply -f DIR|FILE... [--dry-run] [--prune] [--namespace PREFIX] [--diff]",
        "Validates every flow file locally first (errors at FILE:LINE:COL); if any is\n"
        "invalid nothing is applied. Then creates or updates each flow and prints\n"
        "created, updated, unchanged or (with --prune) deleted for each. A DIR's _files/\n"
        "folder holds the namespace files of its flows' namespace (one per folder):\n"
        "each is reported added, changed, unchanged (by SHA-256) or, with --prune,\n"
        "deleted. Exit 1 if any file is invalid or any flow or file could not be applied.",
        0, 0};
    weft_t w;
    apply_opts_t o = {0};
    flow_set_t set = {0};
    tally_t t = {0};
    nsfile_sets_t nsf = {0};
    weft_nsfile_tally_t ft = {0};
    o.files = wf_xcalloc((size_t)argc + 1, sizeof(char *));
    int rc = weft_parse(&w, "weft flow apply", &u, apply_table, apply_opt, &o, argc, argv);
    if (rc != 0)
        goto out;
    if (o.nfiles == 0) {
        weft_err(&w, "nothing to apply: give -f DIR or -f FILE");
        rc = WEFT_EXIT_USAGE;
        goto out;
    }
    weft_paths_t paths = {0};
    for (int i = 0; i < o.nfiles; i++) {
        size_t before = paths.count;
        /* A missing file is reported by validate_all. */
        if (weft_flow_files(&paths, o.files[i]) && paths.count == before)
            weft_warn(&w, "no .yaml or .yml file in %s", o.files[i]);
    }
    set_from_paths(&set, &paths);
    weft_paths_dispose(&paths);
    if (set.count == 0) {
        weft_err(&w, "no flow file found");
        rc = WEFT_EXIT_FAIL;
        goto out;
    }
    size_t invalid = validate_all(&w, &set, &o);
    if (invalid == 0)
        invalid += scan_files(&w, &o, &set, &nsf);
    if (invalid > 0) {
        weft_err(&w, "%zu of %zu file%s invalid: nothing applied", invalid, set.count,
                 set.count == 1 ? "" : "s");
        rc = WEFT_EXIT_FAIL;
        goto out;
    }
    if (w.fmt != WEFT_OUT_TABLE)
        t.report = json_array();
    /* On a terminal, with or without colour: NO_COLOR only removes colour. */
    t.progress = set.count > 1 && w.tty_err && t.report == NULL;
    for (size_t i = 0; i < set.count; i++) {
        if (t.progress)
            weft_progress(&w, "%s %zu/%zu: %s", o.dry_run ? "checking" : "applying", i + 1,
                          set.count, set.items[i].path);
        rc = apply_one(&w, &o, &t, &set.items[i]);
        if (rc != 0)
            goto out;
    }
    weft_progress_clear(&w);
    for (size_t i = 0; i < nsf.count; i++)
        if ((rc = weft_nsfile_sync(&w, nsf.items[i], o.dry_run, o.prune, t.report, &ft)) != 0)
            goto out;
    if (o.prune) {
        if (t.failed > 0)
            weft_warn(&w, "some flows failed: not pruning");
        else if ((rc = prune(&w, &o, &set, &t)) != 0)
            goto out;
    }
    if (t.report != NULL)
        weft_out_doc(&w, t.report);
    else
        fprintf(stderr, "%zu created, %zu updated, %zu unchanged, %zu deleted%s%s\n", t.created,
                t.updated, t.unchanged, t.deleted, t.failed ? ", failed: " : "",
                t.failed ? "see above" : "");
    if (nsf.count > 0 && t.report == NULL)
        fprintf(stderr, "files: %zu added, %zu changed, %zu unchanged, %zu deleted%s\n", ft.added,
                ft.changed, ft.unchanged, ft.deleted, ft.failed ? ", failed: see above" : "");
    if (o.dry_run && t.report == NULL)
        fprintf(stderr, "dry run: nothing was changed\n");
    rc = t.failed > 0 || ft.failed > 0 ? WEFT_EXIT_FAIL : 0;
out:
    for (size_t i = 0; i < nsf.count; i++)
        weft_nsfile_set_free(nsf.items[i]);
    free(nsf.items);
    weft_progress_clear(&w);
    json_decref(t.report);
    set_free(&set);
    free(o.files);
    return weft_done(&w, rc);
}

/* ---- get, list, delete, revisions ------------------------------------------ */

enum { G_SOURCE, G_REVISION };

typedef struct {
    bool source;
    long revision;
} get_opts_t;

static const weft_opt_t get_table[] = {
    {"source", 0, NULL, G_SOURCE, "print the YAML source as applied"},
    {NULL, 0, NULL, 0, NULL},
};

static const weft_opt_t rev_table[] = {
    {"revision", 0, "N", G_REVISION, "print the source of revision N"},
    {NULL, 0, NULL, 0, NULL},
};

static int get_opt(weft_t *w, void *ud, int id, const char *val)
{
    get_opts_t *o = ud;
    if (id == G_SOURCE) {
        o->source = true;
        return 0;
    }
    char *end;
    o->revision = strtol(val, &end, 10);
    if (*val == '\0' || *end != '\0' || o->revision < 1) {
        weft_err(w, "--revision takes a revision number (1, 2, ...)");
        return -1;
    }
    return 0;
}

/* The flow source `doc` holds (a flow or one of its revisions). */
static void print_source(const json_t *doc)
{
    const char *s = json_string_value(json_object_get(doc, "source"));
    fputs(s ? s : "", stdout);
}

/* flow get and flow revisions: GET `path`, shown as `view`, with the option
 * `opts`. */
typedef struct {
    weft_usage_t usage;
    const weft_opt_t *opts;
    const char *path;
    weft_view_t view;
} flow_show_t;

/* GETs the path of `data` (a flow_show_t) and prints it, or with --source or
 * --revision N the source it holds. */
static int flow_show(const void *data, const char *prog, int argc, char **argv)
{
    const flow_show_t *s = data;
    weft_t w;
    get_opts_t o = {0};
    weft_resp_t r = {0};
    int rc = weft_parse(&w, prog, &s->usage, s->opts, get_opt, &o, argc, argv);
    if (rc == 0)
        rc = weft_request_at(&w, "GET", s->path, NULL, &r);
    if (rc != 0)
        goto out;
    if (o.source) {
        print_source(r.json);
    } else if (o.revision > 0) {
        size_t i;
        json_t *x;
        json_array_foreach(r.json, i, x)
        {
            if (json_integer_value(json_object_get(x, "revision")) == o.revision) {
                print_source(x);
                goto out;
            }
        }
        weft_err(&w, "%s/%s has no revision %ld", w.pos[0], w.pos[1], o.revision);
        rc = WEFT_EXIT_FAIL;
    } else {
        weft_print(&w, r.json, &s->view);
    }
out:
    weft_resp_dispose(&r);
    return weft_done(&w, rc);
}

static const flow_show_t flow_get = {
    .usage = {"weft flow get NAMESPACE ID [--source]",
              "Shows a flow: a summary, its source (--source) or the API document (-o json|yaml).",
              2, 2},
    .opts = get_table,
    .path = "/api/v1/flows/%s/%s",
    .view = {.cols = "NAMESPACE=namespace, ID=id, REVISION=revision, DISABLED=disabled, "
                     "UPDATED=updated, BY=updatedBy"},
};

/* The first line of the description, at most 60 bytes. */
static char *cell_summary(const weft_t *w, const json_t *row, const char *member)
{
    (void)w;
    const char *d = json_string_value(json_object_get(row, member));
    size_t n = d ? strcspn(d, "\n") : 0;
    return wf_xstrndup(d ? d : "", n < 60 ? n : 60);
}

/* Every flow under `ns`, appended to the array `ud`. */
static int list_flows(weft_t *w, const char *ns, void *ud)
{
    json_t *part = NULL;
    char *path = weft_pathf("/api/v1/flows?namespace=%s", ns);
    int rc = weft_get_all(w, path, &part);
    free(path);
    if (rc == 0)
        json_array_extend(ud, part);
    json_decref(part);
    return rc;
}

static int flow_list(int argc, char **argv)
{
    static const weft_usage_t u = {"weft flow list [NAMESPACE]",
                                   "Lists the flows in NAMESPACE and below it (default: every "
                                   "namespace bound to you).",
                                   0, 1};
    weft_t w;
    json_t *all = json_array();
    int rc = weft_parse(&w, "weft flow list", &u, NULL, NULL, NULL, argc, argv);
    if (rc != 0 || (rc = weft_each_scope(&w, list_flows, all)) != 0)
        goto out;
    static const weft_cell_t cells[] = {{"summary", cell_summary}, {NULL, NULL}};
    static const weft_view_t view = {
        .cols = "NAMESPACE=namespace, ID=id, REVISION=revision, DISABLED=disabled:yesno, "
                "DESCRIPTION=description:summary",
        .cells = cells};
    weft_print(&w, all, &view);
out:
    json_decref(all);
    return weft_done(&w, rc);
}

static const flow_show_t flow_revisions = {
    .usage = {"weft flow revisions NAMESPACE ID [--revision N]",
              "Lists a flow's revisions, or prints the source of one.", 2, 2},
    .opts = rev_table,
    .path = "/api/v1/flows/%s/%s/revisions",
    .view = {.cols = "REVISION=revision, CREATED=created, BY=createdBy"},
};

const wf_cmd_t weft_flow_commands[] = {
    WF_CMD("validate", weft_flow_validate_main,
           "check flow files offline (every error at file:line:col)"),
    WF_CMD("apply", flow_apply, "validate locally, then create/update (and --prune) flows"),
    WF_CMD_WITH("get", flow_show, &flow_get, "show a flow (summary, --source, -o json|yaml)"),
    WF_CMD("list", flow_list, "list flows under a namespace"),
    WEFT_SIMPLE("delete", "delete a flow"),
    WF_CMD_WITH("revisions", flow_show, &flow_revisions, "list a flow's revisions or print one"),
    WEFT_SIMPLE("triggers", "a flow's triggers and their status"),
    WF_CMD_END,
};
