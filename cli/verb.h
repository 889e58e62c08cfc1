/* How `weft` verbs are declared and run: each verb is a row (usage, options,
 * body or request), and the runner parses argv, reports an error answer,
 * prints what came back as -o asks (cli/out.h describes the views). */
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

/* A whole verb, as a row: its usage and options, then either its own body
 * `run` or, for verbs that are exactly one request, the request and how the
 * answer is printed. The runner parses argv (options through `opt_fn`,
 * weft_opt_set when NULL, into a zeroed block of `opts_size` bytes handed
 * to `run`), runs the verb and ends it (weft_done). */
typedef struct weft_verb {
    const char *prog; /* "weft sa list": the key of weft_simple_verbs rows */
    weft_usage_t usage;
    const weft_opt_t *opts;
    weft_opt_fn opt_fn;
    size_t opts_size;
    int (*run)(weft_t *w, void *opts); /* returns 0 or an exit code */
    /* One request: `path` with its %s filled from the positional arguments
     * in order (the usage requires as many), then the answer as `view`
     * says, or what `done` prints. */
    const char *method; /* NULL for GET */
    const char *path;
    weft_view_t view;
    void (*done)(const weft_t *w, const json_t *answer);
} weft_verb_t;

/* Runs the weft_verb_t `verb` as the command `prog`. Returns the exit code. */
int weft_verb_run(const void *verb, const char *prog, int argc, char **argv);
/* The command row of a verb. */
#define WEFT_VERB(name, verb, summary) WF_CMD_WITH((name), weft_verb_run, &(verb), (summary))

/* The verbs that are exactly one request (cli/v_simple.c), ended by a NULL
 * prog, and the command row of one of them (found by its command path). */
extern const weft_verb_t weft_simple_verbs[];
int weft_simple_run(const void *verbs, const char *prog, int argc, char **argv);
#define WEFT_SIMPLE(name, summary)                                                                 \
    WF_CMD_WITH((name), weft_simple_run, weft_simple_verbs, (summary))

#endif
