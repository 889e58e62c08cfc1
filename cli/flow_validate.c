/* `weft flow validate FILE|DIR... [--format json]`: checks flows offline with
 * the same library the gateway uses on apply. Exit 0 when every flow is
 * valid, 1 when any is not, 2 on usage errors. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "cli/files.h"
#include "cli/verbs.h"
#include "flow/flow.h"

static const weft_usage_t usage = {
    "weft flow validate FILE|DIR... [--format text|json]",
    "Checks flow files (DIR: every .yaml/.yml below it) and reports every error\n"
    "as FILE:LINE:COL: error: PATH: message, and as FILE:LINE:COL: warning: what\n"
    "a valid flow will fail on at run time (as Kestra does). Exit 0 when all are\n"
    "valid, 1 when any is invalid, 2 on usage errors.",
    1, -1};

enum { V_FORMAT };

static const weft_opt_t options[] = {
    {"format", 0, "text|json", V_FORMAT, "errors and warnings as text lines (default) or one JSON list"},
    {NULL, 0, NULL, 0, NULL},
};

static int on_opt(weft_t *w, void *ud, int id, const char *val)
{
    if (id == WEFT_OPT_OTHER) {
        fprintf(stderr, "%s: unknown option '%s'\n", w->prog, val);
        weft_usage_local(stderr, &usage);
        return -1;
    }
    if (val == NULL || (strcmp(val, "json") != 0 && strcmp(val, "text") != 0)) {
        fprintf(stderr, "%s: --format takes 'text' or 'json'\n", w->prog);
        return -1;
    }
    *(bool *)ud = strcmp(val, "json") == 0;
    return 0;
}

/* Checks every file; prints the errors as asked. Returns the number of
 * invalid files. */
static size_t check_all(const weft_paths_t *files, bool json)
{
    size_t invalid = 0;
    json_t *all = json ? json_array() : NULL;
    for (size_t i = 0; i < files->count; i++) {
        wf_diags_t diags;
        wf_flow_t *flow = wf_flow_parse_file(files->items[i], &diags);
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
        printf("%zu flow%s checked, %zu invalid\n", files->count, files->count == 1 ? "" : "s",
               invalid);
    }
    return invalid;
}

int weft_flow_validate_main(int argc, char **argv)
{
    weft_t w;
    bool json = false;
    weft_paths_t files = {0};
    int rc = weft_parse_local(&w, "weft flow validate", &usage, options, on_opt, &json, argc, argv);
    if (rc != 0)
        goto out;
    for (int i = 0; i < w.npos; i++) {
        size_t before = files.count;
        if (weft_flow_files(&files, w.pos[i]) && files.count == before) {
            fprintf(stderr, "%s: no .yaml or .yml file in '%s'\n", w.prog, w.pos[i]);
            rc = WEFT_EXIT_USAGE;
            goto out;
        }
    }
    rc = check_all(&files, json) > 0 ? WEFT_EXIT_FAIL : WEFT_EXIT_OK;
out:
    weft_paths_dispose(&files);
    return weft_done(&w, rc);
}
