/* Command-line start-up shared by the `weftd` commands: a table of a
 * command's options read with getopt_long (plus --help/-h, handled the same
 * way everywhere), and the log set up from the configuration. Loading the
 * configuration itself is wf_load_config_or_exit() (platform/config.h); the
 * embedded database of the one-shot commands is daemon/pgcluster.h. */
#ifndef WF_CMDLINE_H
#define WF_CMDLINE_H

#include <stdbool.h>
#include <stdio.h>

#include "platform/config.h"

/* One option: `--name VALUE` stores VALUE (a pointer into argv) in *str;
 * `--name` alone sets *flag. `letter` is the short form, or 0 for none.
 * Build rows with the macros below; a table ends with WF_CMDLINE_END. */
typedef struct wf_cmdline_opt {
    const char *name;
    char letter;
    const char **str;
    bool *flag;
} wf_cmdline_opt_t;

// clang-format off
#define WF_CMDLINE_STRING(name, letter, dest) {(name), (letter), (dest), NULL}
#define WF_CMDLINE_FLAG(name, letter, dest) {(name), (letter), NULL, (dest)}
#define WF_CMDLINE_END {NULL, 0, NULL, NULL}
// clang-format on

/* The options several commands share, spelt and lettered the same everywhere. */
#define WF_CMDLINE_CONFIG(dest) WF_CMDLINE_STRING("config", 'c', (dest))
#define WF_CMDLINE_DATABASE_URL(dest) WF_CMDLINE_STRING("database-url", 'u', (dest))
#define WF_CMDLINE_DATA_DIR(dest) WF_CMDLINE_STRING("data-dir", 'd', (dest))
#define WF_CMDLINE_LISTEN(dest) WF_CMDLINE_STRING("listen", 'l', (dest))

/* wf_cmdline_parse() result: the options are read, the command goes on. */
#define WF_CMDLINE_GO (-1)
/* `nargs` value: the command checks its positional arguments itself. */
#define WF_CMDLINE_ANY_ARGS (-1)

/* Reads argv[1..] by `opts` (at most 16 rows) and --help/-h. Returns
 * WF_CMDLINE_GO with optind at the first positional argument, or the exit
 * status the command returns at once: 0 after usage(stdout) for --help, 2
 * after usage(stderr) for an unknown option, a missing value or a number of
 * positional arguments other than `nargs` (unless WF_CMDLINE_ANY_ARGS). */
int wf_cmdline_parse(int argc, char **argv, const wf_cmdline_opt_t *opts, void (*usage)(FILE *),
                     int nargs);

/* Sets the process log up from the configuration's log: section (level,
 * text or JSON lines) with `role` as the line prefix; WEFT_LOG_LEVEL and
 * WEFT_LOG_FORMAT still win (wf_log_init). For the long-running roles. */
void wf_cmdline_log_init(const char *role, const wf_config_t *cfg);

/* Replaces a configuration string (`&cfg.data_dir`) with the value of a
 * command-line option, when the option was given (`value` not NULL). */
void wf_cmdline_override(char **field, const char *value);

#endif
