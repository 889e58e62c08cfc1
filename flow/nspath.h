/* Paths of namespace files (Kestra's namespace files): the rule a path must
 * follow, its one normal form, and the glob patterns of a task's
 * namespaceFiles.include / exclude. Shared by the gateway (?path=), the
 * client (`weft nsfile`, `_files/` sync) and the executor (placing files in
 * a work dir), so a path refused by one is refused by all. */
#ifndef WF_FLOW_NSPATH_H
#define WF_FLOW_NSPATH_H

#include <stdbool.h>
#include <stddef.h>

/* Longest path, the schema's limit on storage_files.path (migration 0016). */
#define WF_NSPATH_MAX 1024
/* Upload staging rows live under this prefix (migration 0019); no user path
 * may start with it. */
#define WF_NSPATH_STAGING "/.weft-upload"

/* Cleans `in` into `out` (at least WF_NSPATH_MAX + 1 bytes): a leading '/'
 * is added when missing and one trailing '/' is dropped ("/a/b/" names the
 * directory /a/b); "/" alone stays "/". Refused, with the reason in `why`:
 * empty, NUL or control characters, '\\', an empty segment ("//"), "." or
 * ".." segments, the staging prefix, longer than WF_NSPATH_MAX. Returns 0 or
 * -1. */
int wf_nspath_clean(const char *in, char *out, size_t out_size, char *why, size_t why_size);

/* True when `path` (clean) is the root "/". */
bool wf_nspath_is_root(const char *path);

/* Kestra's glob for namespaceFiles include/exclude, matched against the
 * file's path without its leading '/' ("scripts/etl.py"): '*' matches within
 * one segment, '**' any number of segments (alone, after "dir/" or before
 * "/name", where it may also stand for no directory at all),
 * '?' one character other than '/'; a pattern starting with '/' is taken
 * without it. */
bool wf_nspath_glob(const char *pattern, const char *path);

#endif
