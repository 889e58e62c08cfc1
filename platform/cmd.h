/* Subcommand tables for `weftd` and `weft`: each command is a row (name,
 * one-line summary, what runs it); `--help` and dispatch are generated from
 * it. A row runs a function, runs a function with the row's own data (many
 * commands sharing one implementation), or opens a nested table (`weft sa
 * token ...`), so the whole command tree is declared by tables. */
#ifndef WF_CMD_H
#define WF_CMD_H

#include <stdio.h>

typedef struct wf_cmd {
    const char *name;
    const char *summary;
    /* Exactly one of run, run_with and sub is set. */
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
    /* `prog` is the command path ("weft sa list"), `data` the row's data. */
    int (*run_with)(const void *data, const char *prog, int argc, char **argv);
    const void *data;
    const struct wf_cmd *sub; /* a nested table, introduced by `about` */
    const char *about;
} wf_cmd_t;

/* Rows: a command run by a function; by a function given `data`; a group of
 * commands with its own --help paragraph; the end of a table. */
// clang-format off
#define WF_CMD(name, run, summary) {(name), (summary), (run), NULL, NULL, NULL, NULL}
#define WF_CMD_WITH(name, fn, data, summary) {(name), (summary), NULL, (fn), (data), NULL, NULL}
#define WF_CMD_GROUP(name, sub, summary, about) {(name), (summary), NULL, NULL, NULL, (sub), (about)}
#define WF_CMD_END {NULL, NULL, NULL, NULL, NULL, NULL, NULL}
// clang-format on

/* Runs the command named by argv[1] from `table` (ended by WF_CMD_END),
 * handling --help/--version for `prog` itself; a group row dispatches again
 * as "PROG NAME" with its own table. Returns the process exit code. */
int wf_cmd_dispatch(const char *prog, const char *about, const wf_cmd_t *table, int argc,
                    char **argv);
/* True when argv holds -h or --help before a "--". */
int wf_cmd_wants_help(int argc, char **argv);
/* Prints "PROG VERSION" to stdout. */
void wf_cmd_print_version(const char *prog);

#endif
