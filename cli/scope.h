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
/* The namespaces a list verb covers: its NAMESPACE argument when given (the
 * verb takes at most one positional argument), else weft_scope_prefixes. */
int weft_scopes(weft_t *w, json_t **out);

#endif
