/* Files the verbs read: the flow files `weft flow validate` and `weft flow
 * apply` are given (a FILE argument as it is, a DIR argument as every .yaml
 * and .yml file below it, in name order, hidden entries skipped), and whole
 * files (flows, --input K=@FILE). */
#ifndef WF_CLI_FILES_H
#define WF_CLI_FILES_H

#include <stdbool.h>
#include <stddef.h>

/* A list of paths (owned). */
typedef struct weft_paths {
    char **items;
    size_t count, cap;
} weft_paths_t;

/* Adds the files `arg` names; returns true when it is a folder (the caller
 * then sees from the count whether it held any flow file). Anything else is
 * taken as a file: a missing one is reported when it is read. */
bool weft_flow_files(weft_paths_t *p, const char *arg);
void weft_paths_dispose(weft_paths_t *p);

/* Reads the whole file into *text (NUL-terminated, owned) and *len.
 * Returns 0, or -1 with errno set (ENOMEM when it does not fit: the size is
 * the file's, so that is an error, not an abort). */
int weft_read_file(const char *path, char **text, size_t *len);

#endif
