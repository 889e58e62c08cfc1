/* Command-line options of the `weft` verbs. Every verb describes its options
 * as a table (weft_opt_t rows); the parser adds the global options shared by
 * all verbs (--url, --token, --context, -o, --no-color), prints --help from
 * the same tables and collects positional arguments. */
#ifndef WF_CLI_ARGS_H
#define WF_CLI_ARGS_H

#include <stdbool.h>
#include <stdio.h>

/* Output formats for -o. */
typedef enum { WEFT_OUT_TABLE = 0, WEFT_OUT_JSON, WEFT_OUT_YAML } weft_fmt_t;

typedef struct weft_client weft_client_t;

/* Per-invocation state of one verb: global options, positional arguments and
 * the client connection (opened on first use). Lives on the verb's stack. */
typedef struct weft {
    const char *prog;    /* "weft flow apply": prefix of messages */
    const char *url;     /* --url */
    const char *token;   /* --token (discouraged: visible in ps) */
    const char *context; /* --context */
    weft_fmt_t fmt;      /* -o */
    bool color;          /* colour on stdout */
    bool color_err;      /* colour on stderr */
    bool tty_err;        /* stderr is a terminal: progress lines (with or without colour) */
    size_t progress_len; /* width of the progress line on stderr, 0 when none is shown */
    char **pos;          /* positional arguments (pointers into argv) */
    int npos;
    weft_client_t *client; /* owned; see weft_connect */
    char *token_owned;     /* copy of --token (wiped on dispose) */
    const char *idempotency_key; /* sent as Idempotency-Key while set (weft run) */
} weft_t;

/* One option of a verb. `id` is handed back to the verb's callback. */
typedef struct weft_opt {
    const char *name;     /* long name without dashes */
    char short_name;      /* or 0 */
    const char *arg_name; /* NULL for flags; "FILE", "K=V", ... otherwise */
    int id;
    const char *help;
} weft_opt_t;

/* Verb callback for one recognised option (`val` NULL for flags). Returns 0,
 * or -1 after printing why the value is wrong. */
typedef int (*weft_opt_fn)(weft_t *w, void *ud, int id, const char *val);

/* The callback of verbs whose options are plain values: `ud` is an array of
 * `const char *` indexed by the rows' ids (0, 1, ...); an option stores its
 * value, a flag stores "" (so a flag given is non-NULL). */
int weft_opt_set(weft_t *w, void *ud, int id, const char *val);

/* Usage text of a verb: the synopsis line(s) and a paragraph. */
typedef struct weft_usage {
    const char *synopsis; /* "weft flow apply -f DIR|FILE... [options]" */
    const char *about;    /* what it does, exit codes if special */
    int min_pos, max_pos; /* positional argument bounds (max -1: unbounded) */
} weft_usage_t;

/* Parses argv (argv[0] is the verb name) into `w` and the verb's callback.
 * Returns 0 to run, WEFT_HELP_SHOWN when --help was printed, 2 on a usage
 * error (message printed). `opts` is terminated by a row with name NULL (may
 * be NULL for none). */
#define WEFT_HELP_SHOWN (-1)
int weft_parse(weft_t *w, const char *prog, const weft_usage_t *u, const weft_opt_t *opts,
               weft_opt_fn fn, void *ud, int argc, char **argv);
/* weft_parse for the verbs that never talk to a server (`flow validate`,
 * `expr eval`): no global options; -h or --help anywhere before "--" prints
 * the synopsis and the paragraph alone (weft_usage_local), which document
 * the options; the verb words its own usage errors: an argument no row
 * matches (or a flag given a value) reaches `fn` (required) with id
 * WEFT_OPT_OTHER and the whole argument as `val`, and `fn` returns
 * WEFT_OPT_POSITIONAL to take it as a positional argument instead (`expr
 * eval '-5 | abs'`); an option lacking its value reaches `fn` with `val`
 * NULL. A missing positional argument prints the help on stderr, one too
 * many "PROG: unexpected argument 'ARG'" and the help. */
#define WEFT_OPT_OTHER (-1)
#define WEFT_OPT_POSITIONAL 1
int weft_parse_local(weft_t *w, const char *prog, const weft_usage_t *u, const weft_opt_t *opts,
                     weft_opt_fn fn, void *ud, int argc, char **argv);
/* The help of a local verb: "usage: SYNOPSIS", a blank line, the paragraph. */
void weft_usage_local(FILE *out, const weft_usage_t *u);
/* Releases what weft_parse and weft_connect acquired. */
void weft_dispose(weft_t *w);
/* weft_dispose, then returns the exit code for `rc` (WEFT_HELP_SHOWN → 0). */
int weft_done(weft_t *w, int rc);

/* Prints "PROG: error: MESSAGE" on stderr (red on a TTY). */
void weft_err(const weft_t *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "PROG: warning: MESSAGE" on stderr. */
void weft_warn(const weft_t *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* True when colour should be used on `fd`: a TTY and NO_COLOR unset or empty. */
bool weft_color_on(int fd);

/* Draws a progress line on stderr in place of the previous one. Callers draw
 * only when w->tty_err: progress follows the terminal, not the colour
 * setting. Without colour (NO_COLOR, --no-color) the line is redrawn with
 * carriage returns and spaces only, so no escape sequence is written. */
void weft_progress(weft_t *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Erases the progress line, if one is shown, so what follows starts on a
 * clean line. */
void weft_progress_clear(weft_t *w);

/* Exit codes of every verb (documented in weft(1)). */
enum { WEFT_EXIT_OK = 0, WEFT_EXIT_FAIL = 1, WEFT_EXIT_USAGE = 2 };

#endif
