/* Output files of script tasks: collected from the sandbox after an attempt,
 * stored in task_run_files, read back with read(uri). */
#ifndef WF_EXECUTOR_FILES_H
#define WF_EXECUTOR_FILES_H

#include <jansson.h>

#include "executor/executor.h"

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

/* The expression engine's host callback (read()); `ud` is the execution. */
json_t *wf_xfiles_host(void *ud, const char *fn, const json_t *args, char *err, size_t errlen);

#endif
