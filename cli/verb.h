/* The shape most `weft` verbs share: GET a path, report an error answer,
 * print what came back as -o asks (cli/out.h describes the views). */
#ifndef WF_CLI_VERB_H
#define WF_CLI_VERB_H

#include "cli/args.h"
#include "cli/client.h"
#include "cli/out.h"

/* weft_request with the %s of `path` filled from the positional arguments
 * in order (weft_pathv). */
int weft_request_at(weft_t *w, const char *method, const char *path, const json_t *body,
                    weft_resp_t *r);

/* GETs `path` and prints the answer as `v` says. Returns 0, or the exit
 * code after printing why (weft_request). */
int weft_get_print(weft_t *w, const char *path, const weft_view_t *v);

/* A whole verb without options of its own that GETs one path and prints the
 * answer: its usage (requiring as many positional arguments as `path` has
 * %s, filled in order), the path and how the answer is shown. A command
 * row runs it: WF_CMD_WITH(NAME, weft_get_run, &verb, SUMMARY). */
typedef struct weft_get {
    weft_usage_t usage;
    const char *path;
    weft_view_t view;
} weft_get_t;

/* Runs the weft_get_t `get` as the verb `prog`. Returns the exit code. */
int weft_get_run(const void *get, const char *prog, int argc, char **argv);

#endif
