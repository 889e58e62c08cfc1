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

/* A whole verb without options of its own: parses argv as `u` says, GETs
 * `path` with its %s filled from the positional arguments in order (so `u`
 * must require as many), prints the answer. Returns the exit code. */
int weft_get_verb(int argc, char **argv, const char *prog, const weft_usage_t *u, const char *path,
                  const weft_view_t *v);

#endif
