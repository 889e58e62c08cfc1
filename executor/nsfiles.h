/* Namespace files in tasks (Kestra's namespaceFiles and nsfile:// URIs).
 *
 * A script task with `namespaceFiles: {enabled: true}` gets the files of
 * its flow's namespace in its work dir before it runs, and those of the
 * namespaces above it: a file the namespace does not have comes from its
 * nearest parent that does (Kestra's inheritance). `include` / `exclude`
 * are globs (flow/nspath.h) on the file's path; `folderPerNamespace: true`
 * puts each namespace's files under a folder named after it instead (and
 * nothing is overridden). Files are read through the storage interface
 * (executor/storage.h) under the domain's role, so a parent namespace owned
 * by another domain contributes nothing; they are streamed into a staging
 * directory, never held in memory, and copied into the work dir at start.
 * More than namespace_files.max_task_files files or max_task_bytes bytes
 * fail the task before it runs, naming the limit.
 *
 * In a WorkingDirectory, the namespaceFiles of the WorkingDirectory task are
 * written into its shared folder when the folder is made, and those of a
 * script task inside it when that task starts (it runs there, not in /work).
 *
 * nsfile:// URIs (inputFiles, read(), FILE input defaults) are resolved by
 * executor/files.c (wf_xfiles_resolve) with the same nearest-namespace rule. */
#ifndef WF_EXECUTOR_NSFILES_H
#define WF_EXECUTOR_NSFILES_H

#include <jansson.h>
#include <stddef.h>

#include "executor/executor.h"
#include "sandbox/sbx.h"

/* What wf_xnsfiles_place staged for one task start. */
typedef struct wf_xnsfiles wf_xnsfiles_t;

/* Places the namespace files `nsfiles` (the task's rendered namespaceFiles
 * property, or NULL: nothing) asks for, for a task of namespace `ns`: into
 * `spec` (copied into the work dir at start), or, when `host_dir` is not
 * NULL (a WorkingDirectory's shared folder), written straight into it,
 * replacing files of the same name. Paths in `skip` (an object whose keys
 * are work-dir relative names, such as inputFiles; may be NULL) are left to
 * their owner. Returns 0 with the staging in *out (NULL when nothing was
 * staged; destroy it once the task has started), or -1 with a message for
 * the flow's author in `err`. */
int wf_xnsfiles_place(wf_executor_t *ex, const char *ns, const json_t *nsfiles, const json_t *skip,
                      const char *host_dir, wf_sbx_spec_t *spec, wf_xnsfiles_t **out, char *err,
                      size_t errlen);
/* Removes the staging directory and frees `s` (NULL: nothing). */
void wf_xnsfiles_destroy(wf_xnsfiles_t *s);

#endif
