/* The flow files `weft flow validate` and `weft flow apply` are given: a
 * FILE argument as it is, a DIR argument as every .yaml and .yml file below
 * it, in name order, hidden entries skipped. */
#ifndef WF_CLI_FLOWFILES_H
#define WF_CLI_FLOWFILES_H

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

#endif
