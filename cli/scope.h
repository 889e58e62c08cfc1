/* The namespaces a caller can see, for commands given no NAMESPACE
 * (`weft flow list`, `weft execution list`): the prefixes of the caller's
 * role bindings, plus every domain's prefixes for platform roles. */
#ifndef WF_CLI_SCOPE_H
#define WF_CLI_SCOPE_H

#include <jansson.h>

#include "cli/args.h"

/* Sets *out to a new JSON array of prefix strings, sorted, none covered by
 * another. Returns 0, or an exit code after printing why. */
int weft_scope_prefixes(weft_t *w, json_t **out);
/* Calls `fn` for every namespace a list verb covers: its NAMESPACE argument
 * when given (the verb takes at most one positional argument), else each of
 * weft_scope_prefixes. Stops at, and returns, the first non-zero result. */
int weft_each_scope(weft_t *w, int (*fn)(weft_t *w, const char *ns, void *ud), void *ud);

#endif
