/* Subcommand tables for `weftd` and `weft`: each command is a row (name,
 * entry point, one-line summary); `--help` and dispatch are generated from it. */
#ifndef WF_CMD_H
#define WF_CMD_H

#include <stdio.h>

typedef struct wf_cmd {
    const char *name;
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
    const char *summary;
} wf_cmd_t;

/* Runs the command named by argv[1] from `table` (NULL-terminated), handling
 * --help/--version for the program itself. Returns the process exit code. */
int wf_cmd_dispatch(const char *prog, const char *about, const wf_cmd_t *table, int argc,
                    char **argv);
/* True when argv holds -h or --help before a "--". */
int wf_cmd_wants_help(int argc, char **argv);
/* Prints "PROG VERSION" to stdout. */
void wf_cmd_print_version(const char *prog);

#endif
