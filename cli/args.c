#include "cli/args.h"

#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/client.h"
#include "platform/cmd.h"
#include "platform/xmalloc.h"

enum { G_URL = -100, G_TOKEN, G_CONTEXT, G_OUTPUT, G_NO_COLOR, G_HELP };

static const weft_opt_t global_opts[] = {
    {"url", 0, "URL", G_URL, "API address (else WEFT_URL, else the current context)"},
    {"token", 0, "TOKEN", G_TOKEN,
     "bearer token; prefer WEFT_TOKEN or a context (argv is visible to others)"},
    {"context", 0, "NAME", G_CONTEXT, "use this context of the config file"},
    {"output", 'o', "FORMAT", G_OUTPUT, "table (default), json or yaml"},
    {"no-color", 0, NULL, G_NO_COLOR, "never colour the output (as NO_COLOR does)"},
    {"help", 'h', NULL, G_HELP, "print this help"},
    {NULL, 0, NULL, 0, NULL},
};

bool weft_color_on(int fd)
{
    const char *nc = getenv("NO_COLOR");
    if (nc != NULL && nc[0] != '\0')
        return false;
    return isatty(fd) == 1;
}

void weft_progress(weft_t *w, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = strlen(line);
    if (w->color_err) {
        fprintf(stderr, "\r\033[K%s", line);
    } else {
        /* Spaces over whatever the previous, longer line left behind. */
        size_t pad = w->progress_len > len ? w->progress_len - len : 0;
        fprintf(stderr, "\r%s%*s", line, (int)pad, "");
    }
    w->progress_len = len > 0 ? len : 1;
    fflush(stderr);
}

/* Erases the progress line shown on stderr, if any. */
static void erase_progress(const weft_t *w)
{
    if (w->progress_len == 0)
        return;
    if (w->color_err)
        fputs("\r\033[K", stderr);
    else
        fprintf(stderr, "\r%*s\r", (int)w->progress_len, "");
}

void weft_progress_clear(weft_t *w)
{
    if (w->progress_len == 0)
        return;
    erase_progress(w);
    w->progress_len = 0;
    fflush(stderr);
}

static void vmsg(const weft_t *w, const char *kind, const char *col, const char *fmt, va_list ap)
{
    bool c = w != NULL && w->color_err;
    /* A message never shares a line with a progress line (an error while
     * waiting): erase it first. The next weft_progress redraws below. */
    if (w != NULL)
        erase_progress(w);
    fprintf(stderr, "%s: %s%s:%s ", w && w->prog ? w->prog : "weft", c ? col : "", kind,
            c ? "\033[0m" : "");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void weft_err(const weft_t *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(w, "error", "\033[1;31m", fmt, ap);
    va_end(ap);
}

void weft_warn(const weft_t *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(w, "warning", "\033[1;33m", fmt, ap);
    va_end(ap);
}

static void print_opts(FILE *out, const weft_opt_t *opts)
{
    for (const weft_opt_t *o = opts; o != NULL && o->name != NULL; o++) {
        char left[64], sh[8] = "    ";
        if (o->short_name)
            snprintf(sh, sizeof(sh), "-%c, ", o->short_name);
        snprintf(left, sizeof(left), "%s--%s%s%s", sh, o->name, o->arg_name ? " " : "",
                 o->arg_name ? o->arg_name : "");
        fprintf(out, "  %-26s %s\n", left, o->help);
    }
}

static void usage(FILE *out, const weft_usage_t *u, const weft_opt_t *opts)
{
    fprintf(out, "usage: %s\n\n%s\n", u->synopsis, u->about);
    if (opts != NULL && opts->name != NULL) {
        fprintf(out, "\noptions:\n");
        print_opts(out, opts);
    }
    fprintf(out, "\nglobal options:\n");
    print_opts(out, global_opts);
    fprintf(out, "\nexit status: 0 success, 1 failure (refused by the server, invalid input,\n"
                 "execution FAILED or KILLED), 2 usage, configuration or connection error.\n");
}

int weft_opt_set(weft_t *w, void *ud, int id, const char *val)
{
    (void)w;
    ((const char **)ud)[id] = val ? val : "";
    return 0;
}

static const weft_opt_t *find_long(const weft_opt_t *opts, const char *name, size_t len)
{
    for (const weft_opt_t *o = opts; o != NULL && o->name != NULL; o++)
        if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
            return o;
    return NULL;
}

static const weft_opt_t *find_short(const weft_opt_t *opts, char c)
{
    for (const weft_opt_t *o = opts; o != NULL && o->name != NULL; o++)
        if (o->short_name == c)
            return o;
    return NULL;
}

static int apply_global(weft_t *w, int id, const char *val)
{
    switch (id) {
    case G_URL:
        w->url = val;
        return 0;
    case G_TOKEN: {
        /* Keep a copy and blank the argument, so that ps shows x's from
         * now on (the brief moment before this is why it is discouraged). */
        char *copy = wf_xstrdup(val);
        if (w->token_owned != NULL) {
            OPENSSL_cleanse(w->token_owned, strlen(w->token_owned));
            free(w->token_owned);
        }
        memset((char *)val, 'x', strlen(val));
        w->token = w->token_owned = copy;
        return 0;
    }
    case G_CONTEXT:
        w->context = val;
        return 0;
    case G_OUTPUT:
        if (strcmp(val, "table") == 0)
            w->fmt = WEFT_OUT_TABLE;
        else if (strcmp(val, "json") == 0)
            w->fmt = WEFT_OUT_JSON;
        else if (strcmp(val, "yaml") == 0)
            w->fmt = WEFT_OUT_YAML;
        else {
            weft_err(w, "-o takes table, json or yaml, not '%s'", val);
            return -1;
        }
        return 0;
    case G_NO_COLOR:
        w->color = w->color_err = false;
        return 0;
    }
    return -1;
}

void weft_usage_local(FILE *out, const weft_usage_t *u)
{
    fprintf(out, "usage: %s\n\n%s\n", u->synopsis, u->about);
}

/* Finds the row `a` (an option argument) names in `opts`, else in `globals`
 * (then *global is set). *inline_val is the "=VALUE" part of a long option
 * or what follows a short one, else NULL. NULL when no row matches. */
static const weft_opt_t *find_opt(const weft_opt_t *opts, const weft_opt_t *globals, const char *a,
                                  bool *global, const char **inline_val)
{
    const weft_opt_t *o;
    *global = false;
    *inline_val = NULL;
    if (a[1] == '-') {
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        o = find_long(opts, name, len);
        if (o == NULL && (o = find_long(globals, name, len)) != NULL)
            *global = true;
        if (eq != NULL)
            *inline_val = eq + 1;
    } else {
        o = find_short(opts, a[1]);
        if (o == NULL && (o = find_short(globals, a[1])) != NULL)
            *global = true;
        if (o != NULL && a[2] != '\0')
            *inline_val = a + 2;
    }
    return o;
}

/* An argument no row matches (or a flag given a value). Local verbs word
 * the error themselves and may take it as a positional argument. */
static int unknown_opt(weft_t *w, const char *prog, const weft_opt_t *o, const char *a, bool local,
                       weft_opt_fn fn, void *ud)
{
    if (local) {
        int rc = fn(w, ud, WEFT_OPT_OTHER, a);
        if (rc == WEFT_OPT_POSITIONAL) {
            w->pos[w->npos++] = (char *)a;
            return 0;
        }
        return 2;
    }
    if (o == NULL && a[1] == '-') {
        const char *name = a + 2;
        weft_err(w, "unknown option '--%.*s' ('%s --help' lists them)", (int)strcspn(name, "="),
                 name, prog);
    } else if (o == NULL) {
        weft_err(w, "unknown option '-%c' ('%s --help' lists them)", a[1], prog);
    } else if (a[1] == '-') {
        weft_err(w, "option --%s takes no value", o->name);
    } else {
        weft_err(w, "option -%c takes no value", a[1]);
    }
    return 2;
}

/* weft_parse and weft_parse_local. */
static int parse(weft_t *w, const char *prog, const weft_usage_t *u, const weft_opt_t *opts,
                 weft_opt_fn fn, void *ud, int argc, char **argv, bool local)
{
    memset(w, 0, sizeof(*w));
    w->prog = prog;
    w->color = weft_color_on(STDOUT_FILENO);
    w->color_err = weft_color_on(STDERR_FILENO);
    w->tty_err = isatty(STDERR_FILENO) == 1;
    w->pos = wf_xcalloc((size_t)argc + 1, sizeof(char *));
    if (local && wf_cmd_wants_help(argc, argv)) {
        weft_usage_local(stdout, u);
        return WEFT_HELP_SHOWN;
    }
    bool only_pos = false;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (only_pos || a[0] != '-' || a[1] == '\0') {
            w->pos[w->npos++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_pos = true;
            continue;
        }
        bool global;
        const char *val;
        const weft_opt_t *o = find_opt(opts, local ? NULL : global_opts, a, &global, &val);
        if (o == NULL || (val != NULL && o->arg_name == NULL)) {
            int rc = unknown_opt(w, prog, o, a, local, fn, ud);
            if (rc != 0)
                return rc;
            continue;
        }
        if (o->arg_name != NULL && val == NULL) {
            if (i + 1 < argc) {
                val = argv[++i];
            } else if (!local) {
                weft_err(w, "option --%s needs a value (%s)", o->name, o->arg_name);
                return 2;
            } /* a local verb is handed NULL and words the error */
        }
        if (global && o->id == G_HELP) {
            usage(stdout, u, opts);
            return WEFT_HELP_SHOWN;
        }
        int rc = global ? apply_global(w, o->id, val) : fn(w, ud, o->id, val);
        if (rc != 0)
            return 2;
    }
    bool few = w->npos < u->min_pos, many = u->max_pos >= 0 && w->npos > u->max_pos;
    if (!few && !many)
        return 0;
    if (local) {
        /* Local verbs say only what is too many; a missing one shows the help. */
        if (many)
            fprintf(stderr, "%s: unexpected argument '%s'\n", prog, w->pos[u->max_pos]);
        weft_usage_local(stderr, u);
    } else {
        if (few)
            weft_err(w, "missing argument");
        else
            weft_err(w, "unexpected argument '%s'", w->pos[u->max_pos]);
        usage(stderr, u, opts);
    }
    return 2;
}

int weft_parse(weft_t *w, const char *prog, const weft_usage_t *u, const weft_opt_t *opts,
               weft_opt_fn fn, void *ud, int argc, char **argv)
{
    return parse(w, prog, u, opts, fn, ud, argc, argv, false);
}

int weft_parse_local(weft_t *w, const char *prog, const weft_usage_t *u, const weft_opt_t *opts,
                     weft_opt_fn fn, void *ud, int argc, char **argv)
{
    return parse(w, prog, u, opts, fn, ud, argc, argv, true);
}

void weft_dispose(weft_t *w)
{
    weft_client_destroy(w->client);
    w->client = NULL;
    free(w->pos);
    w->pos = NULL;
    if (w->token_owned != NULL) {
        OPENSSL_cleanse(w->token_owned, strlen(w->token_owned));
        free(w->token_owned);
        w->token_owned = NULL;
    }
}

int weft_done(weft_t *w, int rc)
{
    weft_dispose(w);
    return rc == WEFT_HELP_SHOWN ? 0 : rc;
}
