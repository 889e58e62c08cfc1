/* Namespace files from the client: the requests `weft nsfile` and the
 * `_files/` sync of `weft flow apply` share (cli/v_nsfile.c), and the sync
 * itself (cli/nsfile_sync.c). */
#ifndef WF_CLI_NSFILE_H
#define WF_CLI_NSFILE_H

#include <jansson.h>
#include <stdbool.h>

#include "cli/args.h"

/* Uploads local file `local` as `remote` (a clean path) of namespace `ns`;
 * the server's attributes of the stored file in *entry (new reference) when
 * `entry` is not NULL. Returns 0, 1 (problem printed) or 2. */
int weft_nsfile_upload(weft_t *w, const char *ns, const char *remote, const char *local,
                       json_t **entry);
/* Every file of namespace `ns` below directory `dir` ("/" for all) as an
 * object path -> {"size", "sha256"}, in *files (new reference); with
 * `dirs`, directories too, as path -> {"type": "Directory"}. A missing
 * directory is an empty tree. Returns 0, 1 (problem printed) or 2. */
int weft_nsfile_tree(weft_t *w, const char *ns, const char *dir, bool dirs, json_t **files);
/* Deletes file or directory `path` of `ns`. Returns 0, 1 (problem printed) or 2. */
int weft_nsfile_delete(weft_t *w, const char *ns, const char *path);
/* Hex SHA-256 of local file `path` into `hex` (65 bytes), read in blocks.
 * Returns 0, or -1 with errno set. */
int weft_sha256_file(const char *path, char hex[65]);

/* ---- the _files/ folder of `weft flow apply -f DIR` (cli/nsfile_sync.c) ---- */

/* One folder to sync: DIR/_files/ and the namespace it belongs to. */
typedef struct weft_nsfile_set weft_nsfile_set_t;

/* Reads DIR/_files/ (NULL in *out when DIR has none): every regular file
 * below it, its path in the namespace checked with the shared path rule.
 * `ns` is the namespace of DIR's flows (NULL when they span several or
 * there are none: then a _files/ folder is an error). Prints every problem
 * at its local path; returns the number found (0: *out is ready). */
size_t weft_nsfile_scan(weft_t *w, const char *dir, const char *ns, weft_nsfile_set_t **out);
/* Counts of a sync, added to by weft_nsfile_sync. */
typedef struct {
    size_t added, changed, unchanged, deleted, failed;
} weft_nsfile_tally_t;
/* Makes the namespace's files match the set: uploads added and changed files
 * (compared by SHA-256), with `prune` deletes server files that have no local
 * one; with `dry_run` only reports. Each file is reported as a line, or
 * appended to `report` (-o json|yaml) when it is not NULL. Returns 0 or the
 * exit code of a connection error (failed files are counted, not fatal). */
int weft_nsfile_sync(weft_t *w, const weft_nsfile_set_t *s, bool dry_run, bool prune,
                     json_t *report, weft_nsfile_tally_t *t);
void weft_nsfile_set_free(weft_nsfile_set_t *s);

#endif
