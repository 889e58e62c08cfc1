/* `weft flow validate FILE|DIR... [--format json]`: checks flows offline with
 * the same library the gateway uses on apply. Exit 0 when every flow is
 * valid, 1 when any is not, 2 on usage errors. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/verbs.h"
#include "platform/cmd.h"
#include "flow/flow.h"

typedef struct {
    char **items;
    size_t count, cap;
} paths_t;

static void paths_add(paths_t *p, const char *path)
{
    if (p->count == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 16;
        p->items = realloc(p->items, p->cap * sizeof(*p->items));
        if (p->items == NULL)
            abort();
    }
    p->items[p->count] = strdup(path);
    if (p->items[p->count] == NULL)
        abort();
    p->count++;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_flow_file(const char *name)
{
    size_t n = strlen(name);
    return name[0] != '.' && ((n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
                              (n > 4 && strcmp(name + n - 4, ".yml") == 0));
}

/* Flow files below `dir`, depth-first; hidden entries are skipped. */
static void collect_dir(paths_t *out, const char *dir, int depth)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    if (d == NULL || depth > 32) {
        if (d != NULL)
            closedir(d);
        return;
    }
    paths_t here = {0};
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *path = NULL;
        if (asprintf(&path, "%s/%s", dir, e->d_name) < 0)
            abort();
        struct stat st;
        if (stat(path, &st) == 0 && (S_ISDIR(st.st_mode) || is_flow_file(e->d_name)))
            paths_add(&here, path);
        free(path);
    }
    closedir(d);
    qsort(here.items, here.count, sizeof(char *), by_name);
    for (size_t i = 0; i < here.count; i++) {
        struct stat st;
        if (stat(here.items[i], &st) == 0 && S_ISDIR(st.st_mode))
            collect_dir(out, here.items[i], depth + 1);
        else
            paths_add(out, here.items[i]);
        free(here.items[i]);
    }
    free(here.items);
}

static void usage(FILE *out)
{
    fprintf(out, "usage: weft flow validate FILE|DIR... [--format text|json]\n\n"
                 "Checks flow files (DIR: every .yaml/.yml below it) and reports every error\n"
                 "as FILE:LINE:COL: error: PATH: message. Exit 0 when all are valid, 1 when\n"
                 "any is invalid, 2 on usage errors.\n");
}

static int flow_validate(int argc, char **argv)
{
    int json = 0, rc = 2;
    paths_t files = {0};
    if (wf_cmd_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--format") == 0 || strncmp(a, "--format=", 9) == 0) {
            const char *v = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
            if (v == NULL || (strcmp(v, "json") != 0 && strcmp(v, "text") != 0)) {
                fprintf(stderr, "weft flow validate: --format takes 'text' or 'json'\n");
                goto out;
            }
            json = strcmp(v, "json") == 0;
            continue;
        }
        if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "weft flow validate: unknown option '%s'\n", a);
            usage(stderr);
            goto out;
        }
        struct stat st;
        if (stat(a, &st) == 0 && S_ISDIR(st.st_mode)) {
            size_t before = files.count;
            collect_dir(&files, a, 0);
            if (files.count == before) {
                fprintf(stderr, "weft flow validate: no .yaml or .yml file in '%s'\n", a);
                goto out;
            }
        } else {
            paths_add(&files, a); /* a missing file is reported as an invalid flow */
        }
    }
    if (files.count == 0) {
        usage(stderr);
        goto out;
    }
    size_t invalid = 0;
    json_t *all = json ? json_array() : NULL;
    for (size_t i = 0; i < files.count; i++) {
        wf_diags_t diags;
        wf_flow_t *flow = wf_flow_parse_file(files.items[i], &diags);
        if (flow == NULL)
            invalid++;
        if (json) {
            json_t *errs = wf_diags_to_json(&diags);
            json_array_extend(all, errs);
            json_decref(errs);
        } else {
            wf_diags_print(&diags, stderr);
        }
        wf_diags_dispose(&diags);
        wf_flow_free(flow);
    }
    if (json) {
        json_dumpf(all, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(all);
    } else {
        printf("%zu flow%s checked, %zu invalid\n", files.count, files.count == 1 ? "" : "s",
               invalid);
    }
    rc = invalid > 0 ? 1 : 0;
out:
    for (size_t i = 0; i < files.count; i++)
        free(files.items[i]);
    free(files.items);
    return rc;
}

static const wf_cmd_t flow_commands[] = {
    {"validate", flow_validate, "check flow files offline (every error at file:line:col)"},
    {NULL, NULL, NULL},
};

int weft_flow_main(int argc, char **argv)
{
    return wf_cmd_dispatch("weft flow", "Work with flow files.", flow_commands, argc, argv);
}
