/* Files of executions on the executor's side: output files of script tasks
 * collected into the internal storage (executor/storage.h), and the file
 * URIs flows give back (inputFiles, read(), fileSize(), fileExists(),
 * isFileEmpty(), FILE flow outputs), resolved with the execution-tree rule
 * of docs/storage.md. */
#ifndef WF_EXECUTOR_FILES_H
#define WF_EXECUTOR_FILES_H

#include <jansson.h>

#include "executor/executor.h"
#include "executor/storage.h"

/* The outputs directory inside the sandbox ({{ outputDir }}), and the same
 * path relative to the work dir /work. */
#define WF_XFILES_OUTPUT_DIR "/work/.weft/outputs"
#define WF_XFILES_OUTPUT_REL ".weft/outputs"

/* After a successful attempt of `tr`: stores every regular file below the
 * outputs directory of `workdir` (host path of /work) and every file of
 * `cwd` (host path of the task's working directory; NULL = workdir) matching
 * one of `patterns` (outputFiles globs). On success *out is NULL when there
 * was nothing, else a new {name: uri} object; returns 0. Returns -1 with
 * `err` for a refused (symbolic link, hard link, not regular), missing or
 * oversized file. */
int wf_xfiles_collect(wf_executor_t *ex, wf_trun_t *tr, const char *workdir, const char *cwd,
                      json_t *patterns, json_t **out, char *err, size_t errlen);

/* The largest file read() returns as text. */
#define WF_XFILES_READ_MAX (16 << 20)

/* A resolved URI: the storage reference and the buffers it points into. */
typedef struct wf_xfiles_ref {
    wf_xstorage_ref_t ref;
    char path[WF_FILEURI_PATH_MAX + 1];
    char ns[256];
} wf_xfiles_ref_t;

/* Resolves a weft:///, kestra:/// or nsfile:// URI given by a flow of `x`.
 * An execution file must belong to `x` or to an execution of its tree
 * (Subflow parents and children); another file of the domain is refused
 * (WF_XSTORAGE_ERR, saying so), another domain's is WF_XSTORAGE_NOTFOUND.
 * An nsfile:// URI names the execution's namespace or a parent (the
 * nearest holding the file when none is named). 0 or a WF_XSTORAGE_ code
 * with `err`. */
int wf_xfiles_resolve(wf_executor_t *ex, wf_xexec_t *x, const char *uri, wf_xfiles_ref_t *out,
                      char *err, size_t errlen);

/* The expression engine's host callback (read(), fileSize(), fileExists(),
 * isFileEmpty()); `ud` is the execution. */
json_t *wf_xfiles_host(void *ud, const char *fn, const json_t *args, char *err, size_t errlen);

/* inputFiles with a URI: the file's content in an unnamed temporary file
 * (streamed, chunk by chunk), positioned at its start; the caller owns
 * the fd. -1 with `err` (not found, refused, database). */
int wf_xfiles_input_fd(wf_executor_t *ex, wf_xexec_t *x, const char *uri, char *err, size_t errlen);

/* A FILE flow output: the normalised weft:/// URI of `v` (new reference)
 * once it names a file `x` may give (wf_xfiles_resolve), or NULL with
 * `err`. */
json_t *wf_xfiles_output_uri(wf_executor_t *ex, wf_xexec_t *x, const json_t *v, char *err,
                             size_t errlen);

#endif
