/* Line diff for `weft flow apply --diff`: the server's source against the
 * local file, as a unified diff with three lines of context. */
#ifndef WF_CLI_DIFF_H
#define WF_CLI_DIFF_H

#include <stdbool.h>
#include <stdio.h>

/* Writes the unified diff of `old` and `new` (NUL-terminated texts) to `f`
 * under the names given; red/green when `color`. Returns the number of
 * changed lines (0 when equal). Very large inputs (over ~4M line pairs)
 * print a one-line summary instead. */
int weft_diff(FILE *f, const char *old_name, const char *old, const char *new_name, const char *new,
              bool color);

#endif
