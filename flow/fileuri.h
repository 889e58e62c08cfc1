/* File URIs of the internal storage (docs/storage.md): parsing, building
 * and the path rules, shared by the gateway, the executors and the client
 * so that a URI names the same stored file whoever reads it.
 *
 *   weft:///company/team/flow/executions/ID/tasks/TASK/RUN/name.csv
 *   kestra:///…                      an alias (flows written for Kestra)
 *   nsfile:///dir/file.py            a namespace file (current namespace)
 *   nsfile://company.team/dir/f.py   a namespace file of a named namespace
 *
 * The storage path of a weft:/// URI is what follows "weft://" (it starts
 * with '/'), percent-decoded. Every path is checked here before it reaches
 * a query or a file name: no '.' or '..' component, no empty component
 * ('//'), no NUL or control character, no backslash, valid UTF-8, at most
 * WF_FILEURI_PATH_MAX bytes, components of at most WF_FILEURI_NAME_MAX. A
 * percent-encoded '/' is refused rather than decoded (it would move a
 * component boundary), and the rules apply to the decoded text, so "%2e%2e"
 * is '..' and refused. */
#ifndef WF_FLOW_FILEURI_H
#define WF_FLOW_FILEURI_H

#include <stdbool.h>
#include <stddef.h>

/* The storage_files.path limit (migration 0016). */
#define WF_FILEURI_PATH_MAX 1024
/* One component (a file or directory name). */
#define WF_FILEURI_NAME_MAX 255
/* Room for any URI this module builds or accepts (encoded: 3 bytes a byte). */
#define WF_FILEURI_URI_MAX (16 + 3 * WF_FILEURI_PATH_MAX)

/* True when `s` starts with a storage scheme (weft:// or kestra://, any
 * case): the caller treats it as a URI (and reports parse errors) rather
 * than as text. */
bool wf_fileuri_is_storage(const char *s);
/* True when `s` starts with nsfile://. */
bool wf_fileuri_is_nsfile(const char *s);

/* Checks a storage path ('/'-rooted, decoded) against the rules above.
 * Returns 0, or -1 with the reason in `msg`. */
int wf_fileuri_check_path(const char *path, char *msg, size_t msglen);
/* Checks a relative file name (an output file name, "dir/a.csv"): the
 * same rules without the leading '/'. */
int wf_fileuri_check_name(const char *name, char *msg, size_t msglen);

/* Parses a weft:/// or kestra:/// URI into its storage path (decoded,
 * checked). An authority ("weft://host/…"), a query or a fragment, another
 * scheme, and every path the rules refuse are errors: -1 with `msg`. */
int wf_fileuri_parse(const char *uri, char *path, size_t pathlen, char *msg, size_t msglen);
/* The canonical form of a weft:/// or kestra:/// URI (weft:///, encoded as
 * wf_fileuri_from_path does), or -1 with `msg`. */
int wf_fileuri_normalise(const char *uri, char *out, size_t outlen, char *msg, size_t msglen);
/* The weft:/// URI of a storage path: bytes outside the URI path set
 * (spaces, '%', '?', '#', non-ASCII...) are percent-encoded. -1 when the
 * path is refused or `out` is too small. */
int wf_fileuri_from_path(const char *path, char *out, size_t outlen, char *msg, size_t msglen);

/* The storage path of an execution: /<namespace with '.' as '/'>/<flowId>
 * /executions/<execId>. -1 when a part is not a valid path component. */
int wf_fileuri_exec_path(const char *ns, const char *flow_id, const char *exec_id, char *out,
                         size_t outlen, char *msg, size_t msglen);
/* The storage path of a task run's output file `name` (may hold '/'):
 * <exec path>/tasks/<taskId>/<taskRunId>/<name>. */
int wf_fileuri_task_path(const char *ns, const char *flow_id, const char *exec_id,
                         const char *task_id, const char *trun_id, const char *name, char *out,
                         size_t outlen, char *msg, size_t msglen);
/* The storage path of a FILE input: <exec path>/inputs/<input>/<filename>. */
int wf_fileuri_input_path(const char *ns, const char *flow_id, const char *exec_id,
                          const char *input, const char *filename, char *out, size_t outlen,
                          char *msg, size_t msglen);

/* Parses nsfile:///dir/f.py (namespace "" = the caller's, looked up at it
 * and its parents as Kestra does) or nsfile://company.team/dir/f.py into
 * the namespace and the file's path ('/'-rooted, decoded, checked). */
int wf_fileuri_nsfile(const char *uri, char *ns, size_t nslen, char *path, size_t pathlen,
                      char *msg, size_t msglen);

/* True when `ns` is a valid namespace (the storage_files.namespace rule). */
bool wf_fileuri_namespace_valid(const char *ns);

/* Kestra's outputFiles globs (Java's "glob:" syntax) against a relative
 * path: '*' and '?' stay within a component, a double star crosses '/',
 * [a-z] and [!a] are classes, {csv,json} alternatives, a backslash escapes.
 * So "*.csv" matches "a.csv" but not "d/a.csv"; a double star, a slash and
 * "*.json" match "d/a.json" but not "a.json"; "out", a slash and a double
 * star match everything below out/ (tests/unit/flow/test_fileuri.c). */
bool wf_fileuri_glob(const char *pattern, const char *path);
/* True when `pattern` holds a glob character ("*?[{"). */
bool wf_fileuri_is_glob(const char *pattern);

#endif
