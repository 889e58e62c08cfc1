/* `weft login`, `weft context list|use|delete`, `weft me`: where the client
 * connects and as whom. Tokens are read from stdin, never from argv. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/client.h"
#include "cli/contexts.h"
#include "cli/out.h"
#include "cli/verb.h"
#include "cli/verbs.h"
#include "platform/cmd.h"
#include "platform/xmalloc.h"

/* ---- login ---------------------------------------------------------------- */

enum { L_NAME, L_STDIN, L_NO_VERIFY, L_COUNT };

static const weft_opt_t login_table[] = {
    {"name", 0, "NAME", L_NAME, "context name (default: the server's host:port)"},
    {"token-stdin", 0, NULL, L_STDIN, "read the token from standard input (required)"},
    {"no-verify", 0, NULL, L_NO_VERIFY, "save without checking the token with GET /api/v1/me"},
    {NULL, 0, NULL, 0, NULL},
};

/* Reads one line from stdin into `buf` without echo on a terminal. */
static int read_token(char *buf, size_t size)
{
    struct termios old, quiet;
    int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        fprintf(stderr, "token: ");
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    char *line = fgets(buf, (int)size, stdin);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    if (line == NULL)
        return -1;
    size_t n = strlen(buf);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    return n > 0 ? 0 : -1;
}

/* Default context name: host[:port] of the URL. */
static void default_name(const char *url, char *out, size_t size)
{
    const char *h = strstr(url, "://");
    h = h ? h + 3 : url;
    snprintf(out, size, "%.*s", (int)strcspn(h, "/"), h);
}

int weft_login_main(int argc, char **argv)
{
    static const weft_usage_t u = {
        "weft login --url URL --token-stdin [--name NAME]",
        "Saves a context (server URL and token) in ~/.config/weft/config.yaml (mode 0600)\n"
        "and makes it current. The token is read from standard input, never from the\n"
        "command line:  weft login --url https://weft.example.com --token-stdin < token.txt",
        0, 0};
    weft_t w;
    const char *o[L_COUNT] = {0};
    char token[8192];
    int rc = weft_parse(&w, "weft login", &u, login_table, weft_opt_set, o, argc, argv);
    if (rc != 0)
        goto out_parse;
    const char *url = w.url;
    if (url == NULL || o[L_STDIN] == NULL) {
        weft_err(&w, "login needs --url URL and --token-stdin (the token is read from stdin)");
        rc = WEFT_EXIT_USAGE;
        goto out;
    }
    if (w.token != NULL) {
        weft_err(&w, "login reads the token from stdin only; do not pass --token");
        rc = WEFT_EXIT_USAGE;
        goto out;
    }
    if (read_token(token, sizeof(token)) != 0) {
        weft_err(&w, "no token on standard input");
        rc = WEFT_EXIT_USAGE;
        goto out;
    }
    char name[256];
    if (o[L_NAME] != NULL)
        snprintf(name, sizeof(name), "%s", o[L_NAME]);
    else
        default_name(url, name, sizeof(name));
    const char *subject = NULL;
    weft_resp_t r = {0};
    if (o[L_NO_VERIFY] == NULL) {
        w.url = url;
        w.token = token;
        rc = weft_request(&w, "GET", "/api/v1/me", NULL, &r);
        if (rc != 0) {
            weft_err(&w, "login failed: nothing saved");
            weft_resp_dispose(&r);
            goto out;
        }
        subject = json_string_value(json_object_get(r.json, "subject"));
    }
    weft_config_t cfg;
    if (weft_config_load(&w, &cfg) != 0) {
        weft_resp_dispose(&r);
        rc = WEFT_EXIT_USAGE;
        goto out;
    }
    weft_config_put(&cfg, name, url, token);
    free(cfg.current);
    cfg.current = wf_xstrdup(name);
    rc = weft_config_save(&w, &cfg) == 0 ? 0 : WEFT_EXIT_FAIL;
    if (rc == 0)
        fprintf(stderr, "logged in to %s%s%s; context '%s' saved in %s and now current\n", url,
                subject ? " as " : "", subject ? subject : "", name, cfg.path);
    weft_config_dispose(&cfg);
    weft_resp_dispose(&r);
out:
    OPENSSL_cleanse(token, sizeof(token));
out_parse:
    return weft_done(&w, rc);
}

/* ---- context ---------------------------------------------------------------- */

/* Parses a context verb and loads the config file. Returns 0, or what to
 * hand weft_done. */
static int context_open(weft_t *w, weft_config_t *cfg, const char *prog, const weft_usage_t *u,
                        int argc, char **argv)
{
    int rc = weft_parse(w, prog, u, NULL, NULL, NULL, argc, argv);
    if (rc == 0 && weft_config_load(w, cfg) != 0)
        rc = WEFT_EXIT_USAGE;
    return rc;
}

static int context_list(int argc, char **argv)
{
    static const weft_usage_t u = {
        "weft context list", "Lists the contexts of the config file (never their tokens).", 0, 0};
    weft_t w;
    weft_config_t cfg;
    int rc = context_open(&w, &cfg, "weft context list", &u, argc, argv);
    if (rc != 0)
        return weft_done(&w, rc);
    if (w.fmt != WEFT_OUT_TABLE) {
        json_t *arr = json_array();
        for (size_t i = 0; i < cfg.count; i++)
            json_array_append_new(
                arr,
                json_pack("{s:s, s:s, s:b}", "name", cfg.items[i].name, "url", cfg.items[i].url,
                          "current", cfg.current && strcmp(cfg.current, cfg.items[i].name) == 0));
        weft_out_doc(&w, arr);
        json_decref(arr);
    } else {
        weft_table_t *t = weft_table_create(3, "CURRENT", "NAME", "URL");
        for (size_t i = 0; i < cfg.count; i++)
            weft_table_row(t,
                           cfg.current && strcmp(cfg.current, cfg.items[i].name) == 0 ? "*" : " ",
                           cfg.items[i].name, cfg.items[i].url);
        weft_table_print(&w, t);
    }
    weft_config_dispose(&cfg);
    return weft_done(&w, 0);
}

/* `use` and `delete`: the usage, and whether the context goes. */
typedef struct {
    weft_usage_t usage;
    bool remove;
} context_change_t;

static const context_change_t context_use = {
    {"weft context use NAME", "Makes NAME the current context.", 1, 1}, false};
static const context_change_t context_delete = {
    {"weft context delete NAME", "Removes context NAME and its token from the config file.", 1, 1},
    true};

static int context_change(const void *data, const char *prog, int argc, char **argv)
{
    const context_change_t *c = data;
    bool remove = c->remove;
    weft_t w;
    weft_config_t cfg;
    int rc = context_open(&w, &cfg, prog, &c->usage, argc, argv);
    if (rc != 0)
        return weft_done(&w, rc);
    const char *name = w.pos[0];
    if (weft_config_find(&cfg, name) == NULL) {
        weft_err(&w, "no context '%s' in %s", name, cfg.path);
        rc = WEFT_EXIT_FAIL;
    } else {
        if (remove) {
            weft_config_remove(&cfg, name);
        } else {
            free(cfg.current);
            cfg.current = wf_xstrdup(name);
        }
        rc = weft_config_save(&w, &cfg) == 0 ? 0 : WEFT_EXIT_FAIL;
        if (rc == 0)
            fprintf(stderr, remove ? "context '%s' deleted\n" : "now using context '%s'\n", name);
    }
    weft_config_dispose(&cfg);
    return weft_done(&w, rc);
}

const wf_cmd_t weft_context_commands[] = {
    WF_CMD("list", context_list, "list the saved contexts"),
    WF_CMD_WITH("use", context_change, &context_use, "make a context current"),
    WF_CMD_WITH("delete", context_change, &context_delete, "remove a context and its token"),
    WF_CMD_END,
};
