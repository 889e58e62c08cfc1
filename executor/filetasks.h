/* Tasks that move files through the domain's internal storage: the
 * io.kestra.plugin.core.storage tasks (Write, Concat, Split, Delete) here,
 * and the helpers that http.Download, multipart formData and the PostgreSQL
 * COPY tasks use to stream a stored file in or out.
 *
 * A file's content is never held in memory: it goes through an anonymous
 * temporary file in the executor's work area (unlinked from the start, so a
 * crash leaves nothing behind) and is streamed to and from the store in
 * chunks (executor/storage.h). Every file a task writes becomes one of its
 * task run's output files (weft:///NS/FLOW/executions/ID/tasks/TASK/RUN/NAME),
 * so downloads, read() and inputFiles work on it. URIs a task reads must
 * resolve in this domain (row-level security) and belong to the execution's
 * own tree (the execution-tree rule of files.h, wf_xfiles_resolve). */
#ifndef WF_EXECUTOR_FILETASKS_H
#define WF_EXECUTOR_FILETASKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "executor/executor.h"

/* An anonymous read-write temporary file in the executor's work area.
 * Returns the descriptor (close-on-exec), or -1 with `err`. */
int wf_xft_tmpfile(wf_executor_t *ex, char *err, size_t errlen);

/* Stores the whole content of `fd` (read from offset 0) as the output file
 * `name` of the current attempt of `tr`. On success *uri is the file's URI
 * (malloc'd, the caller frees it), *size its length; returns 0. Returns -1
 * with `err` (quota, size limit, database). */
int wf_xft_store_fd(wf_executor_t *ex, wf_trun_t *tr, const char *name, int fd,
                    const char *content_type, char **uri, int64_t *size, char *err, size_t errlen);

/* Appends the content of the stored file `uri` (weft:///, kestra:///,
 * nsfile://) to `fd` (at its current offset). The URI must be one the
 * execution of `tr` may read. *size (may be NULL) gets the bytes written.
 * Returns 0, 1 when there is no such file (`err` says so), or -1 with `err`
 * (refused, database). */
int wf_xft_fetch(wf_executor_t *ex, wf_trun_t *tr, const char *uri, int fd, int64_t *size,
                 char *err, size_t errlen);

/* The largest file a task may store (storage.max_file_size). */
int64_t wf_xft_max_file_size(wf_executor_t *ex);

/* True when `s` is written as a file URI a task may read: weft:///,
 * kestra:/// (execution files) or nsfile:// (namespace files). */
bool wf_xft_is_uri(const char *s);

/* Runners (executor/tasks.c's table): WF_RUN_DONE after reporting. */
int wf_xft_write(wf_executor_t *ex, wf_trun_t *tr, json_t *props);
int wf_xft_concat(wf_executor_t *ex, wf_trun_t *tr, json_t *props);
int wf_xft_split(wf_executor_t *ex, wf_trun_t *tr, json_t *props);
int wf_xft_delete(wf_executor_t *ex, wf_trun_t *tr, json_t *props);
int wf_xft_local_files(wf_executor_t *ex, wf_trun_t *tr, json_t *props);

#endif
