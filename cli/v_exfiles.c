/* `weft execution files ID` and `weft execution download ID URI`: an
 * execution's files (task outputs, FILE inputs) and one of them, streamed to
 * disk. A download goes to a temporary file beside the target and is renamed
 * only once every byte arrived, so a failed one leaves nothing behind. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/client.h"
#include "cli/out.h"
#include "cli/verb.h"
#include "cli/verbs.h"
#include "flow/fileuri.h"
#include "platform/xmalloc.h"

static char *cell_size(const weft_t *w, const json_t *row, const char *member)
{
    (void)w;
    json_int_t n = json_integer_value(json_object_get(row, member));
    if (n >= 1024 * 1024)
        return wf_xasprintf("%.1f MiB", (double)n / (1024.0 * 1024.0));
    if (n >= 1024)
        return wf_xasprintf("%.1f KiB", (double)n / 1024.0);
    return wf_xasprintf("%lld B", (long long)n);
}

static char *cell_from(const weft_t *w, const json_t *row, const char *member)
{
    (void)w;
    (void)member;
    const char *task = json_string_value(json_object_get(row, "task"));
    const char *input = json_string_value(json_object_get(row, "input"));
    if (task != NULL)
        return wf_xasprintf("task %s", task);
    if (input != NULL)
        return wf_xasprintf("input %s", input);
    return wf_xstrdup("");
}

static const weft_cell_t file_cells[] = {
    {"size", cell_size},
    {"from", cell_from},
    {NULL, NULL},
};

static const weft_verb_t files_verb = {
    .usage = {"weft execution files EXECUTION",
              "Lists the files of an execution: its tasks' output files and its FILE\n"
              "inputs, with their URIs (weft:///…), sizes and SHA-256. Download one with\n"
              "'weft execution download EXECUTION URI'.",
              1, 1},
    .path = "/api/v1/executions/%s/files",
    .view = {.rows = "results",
             .cols = "NAME=name, SIZE=size:size, FROM=task:from, URI=uri",
             .cells = file_cells},
};

enum { D_OUT, N_DOPTS };

static const weft_opt_t download_table[] = {
    {"out", 'O', "FILE", D_OUT,
     "write to FILE (- for standard output; default: the file's name in the current directory, "
     "never overwritten)"},
    {NULL, 0, NULL, 0, NULL},
};

/* The file's name (the URI's last component, decoded) in `out`, or NULL
 * when the URI is not one (the server would refuse it too). */
static const char *default_name(const char *uri, char *out, size_t len)
{
    char path[WF_FILEURI_PATH_MAX + 1], msg[160];
    if (wf_fileuri_parse(uri, path, sizeof(path), msg, sizeof(msg)) != 0)
        return NULL;
    const char *s = strrchr(path, '/');
    snprintf(out, len, "%s", s ? s + 1 : path);
    return out[0] ? out : NULL;
}

static int download(weft_t *w, void *ud)
{
    const char **o = ud;
    const char *id = w->pos[0], *uri = w->pos[1];
    const char *target = o[D_OUT];
    bool to_stdout = target != NULL && strcmp(target, "-") == 0;
    char name[WF_FILEURI_PATH_MAX + 1];
    if (target == NULL) {
        target = default_name(uri, name, sizeof(name));
        if (target == NULL) {
            weft_err(w, "the URI names no file; give --out FILE");
            return WEFT_EXIT_USAGE;
        }
        if (access(target, F_OK) == 0) {
            weft_err(w, "%s exists; give --out FILE to choose where to write", target);
            return WEFT_EXIT_USAGE;
        }
    }
    char *path = weft_pathf("/api/v1/executions/%s/file?path=%s", id, uri);
    long long written = 0;
    int rc = weft_download_to(w, path, to_stdout ? NULL : target, &written);
    free(path);
    if (rc == 0 && !to_stdout && w->fmt == WEFT_OUT_TABLE)
        fprintf(stderr, "%s: %lld bytes\n", target, written);
    return rc;
}

static const weft_verb_t download_verb = {
    .usage = {"weft execution download EXECUTION URI [--out FILE|-]",
              "Downloads one of the execution's files (a weft:/// or kestra:/// URI from\n"
              "'weft execution files' or the execution's outputs), streamed to disk: by\n"
              "default to its name in the current directory, which must not exist yet.",
              2, 2},
    .opts = download_table,
    .opts_size = N_DOPTS * sizeof(const char *),
    .run = download,
};

const weft_verb_t weft_exec_files_verb = files_verb;
const weft_verb_t weft_exec_download_verb = download_verb;
