/* The shape most `weft` verbs share: GET a path, report an error answer,
 * print what came back as -o asks (cli/out.h describes the views). */
#ifndef WF_CLI_VERB_H
#define WF_CLI_VERB_H

#include "cli/args.h"
#include "cli/client.h"
#include "cli/out.h"
#include "platform/cmd.h"

/* weft_request with the %s of `path` filled from the positional arguments
 * in order (weft_pathv). */
int weft_request_at(weft_t *w, const char *method, const char *path, const json_t *body,
                    weft_resp_t *r);

/* GETs `path` and prints the answer as `v` says. Returns 0, or the exit
 * code after printing why (weft_request). */
int weft_get_print(weft_t *w, const char *path, const weft_view_t *v);

/* A whole verb that is one request, without options of its own: its command
 * path ("weft sa list"), its usage (requiring as many positional arguments
 * as `path` has %s, filled in order), the request, and what it prints: the
 * answer as `view` says, or what `done` prints. */
typedef struct weft_verb {
    const char *prog;
    weft_usage_t usage;
    const char *method; /* NULL for GET */
    const char *path;
    weft_view_t view;
    void (*done)(const weft_t *w, const json_t *answer); /* when set, instead of view */
} weft_verb_t;

/* The verbs that are one request (cli/v_simple.c), ended by a NULL prog. */
extern const weft_verb_t weft_simple_verbs[];

/* Runs the row of the weft_verb_t table `verbs` whose prog is `prog`. A
 * command row runs it (WEFT_SIMPLE). Returns the exit code. */
int weft_verb_run(const void *verbs, const char *prog, int argc, char **argv);
/* The command row of a verb of weft_simple_verbs. */
#define WEFT_SIMPLE(name, summary) WF_CMD_WITH((name), weft_verb_run, weft_simple_verbs, (summary))

#endif
