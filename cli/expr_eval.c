/* `weft expr eval 'TEMPLATE' [--vars FILE.json]`: lets a flow author try an
 * expression offline. The argument is a template when it contains "{{", "{%"
 * or "{#", else a bare expression; the result is printed on stdout (text as
 * is, other values as JSON). Exit 0 on success, 1 on an expression error, 2
 * on usage errors. secret() is not available here. `weft expr list` prints
 * the filters, functions and tests. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/verbs.h"
#include "platform/cmd.h"
#include "flow/expr/expr.h"

static const weft_usage_t usage = {
    "weft expr eval 'EXPR' [--vars FILE.json]\n"
    "       weft expr list",
    "Evaluates a template (\"Hello {{ inputs.name }}\") or a bare expression\n"
    "(\"1 + 2\") against the variables of FILE.json, an object such as\n"
    "{\"inputs\": {...}, \"outputs\": {...}, \"vars\": {...}}, and prints the result.\n"
    "'list' prints the filters, functions and tests.",
    1, 1};

enum { E_VARS };

static const weft_opt_t options[] = {
    {"vars", 0, "FILE.json", E_VARS, "the variables: a JSON object"},
    {NULL, 0, NULL, 0, NULL},
};

static int on_opt(weft_t *w, void *ud, int id, const char *val)
{
    /* A negative number starts an expression, not an option. */
    if (id == WEFT_OPT_OTHER && val[1] != '-' && strchr("0123456789.", val[1]) != NULL)
        return WEFT_OPT_POSITIONAL;
    if (id == WEFT_OPT_OTHER || val == NULL) {
        if (id == WEFT_OPT_OTHER)
            fprintf(stderr, "%s: unexpected argument '%s'\n", w->prog, val);
        else
            fprintf(stderr, "%s: unexpected argument '--%s'\n", w->prog, options[id].name);
        weft_usage_local(stderr, &usage);
        return -1;
    }
    *(const char **)ud = val;
    return 0;
}

static int has_markup(const char *s)
{
    return strstr(s, "{{") != NULL || strstr(s, "{%") != NULL || strstr(s, "{#") != NULL;
}

int weft_expr_main(int argc, char **argv)
{
    const char *vars_file = NULL;
    json_t *ctx = NULL, *result = NULL;
    wf_tmpl_t *t = NULL;
    wf_expr_rt_t *rt = NULL;
    if (argc < 2 || strcmp(argv[1], "eval") != 0) {
        /* `list` alone, else the help (on stdout when asked for). */
        bool help = wf_cmd_wants_help(argc, argv);
        if (!help && argc == 2 && strcmp(argv[1], "list") == 0) {
            wf_expr_print_catalog(stdout);
            return 0;
        }
        weft_usage_local(help ? stdout : stderr, &usage);
        return help ? WEFT_EXIT_OK : WEFT_EXIT_USAGE;
    }
    weft_t w;
    int rc =
        weft_parse_local(&w, "weft expr", &usage, options, on_opt, &vars_file, argc - 1, argv + 1);
    if (rc != 0)
        goto out;
    rc = WEFT_EXIT_USAGE;
    const char *expr = w.pos[0];
    if (vars_file != NULL) {
        json_error_t je;
        ctx = json_load_file(vars_file, 0, &je);
        if (ctx == NULL) {
            fprintf(stderr, "%s:%d:%d: error: %s\n", vars_file, je.line, je.column, je.text);
            goto out;
        }
        if (!json_is_object(ctx)) {
            fprintf(stderr, "%s: error: the variables must be a JSON object\n", vars_file);
            goto out;
        }
    }
    wf_expr_err_t err;
    t = has_markup(expr) ? wf_tmpl_compile(expr, strlen(expr), &err)
                         : wf_expr_compile(expr, strlen(expr), &err);
    rc = 1;
    if (t == NULL) {
        fprintf(stderr, "<expr>:%d:%d: error: %s\n", err.line, err.col, err.msg);
        goto out;
    }
    rt = wf_expr_rt_create();
    if (rt == NULL)
        goto out;
    wf_expr_env_t env = {.ctx = ctx};
    result = wf_tmpl_eval(t, &env, rt, &err);
    if (result == NULL) {
        if (err.line > 0)
            fprintf(stderr, "<expr>:%d:%d: error: %s\n", err.line, err.col, err.msg);
        else
            fprintf(stderr, "<expr>: error: %s\n", err.msg);
        goto out;
    }
    if (json_is_string(result)) {
        fwrite(json_string_value(result), 1, json_string_length(result), stdout);
        fputc('\n', stdout);
    } else {
        char *s = json_dumps(result, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(17));
        if (s == NULL)
            goto out;
        puts(s);
        free(s);
    }
    rc = 0;
out:
    json_decref(result);
    json_decref(ctx);
    wf_tmpl_free(t);
    wf_expr_rt_destroy(rt);
    return weft_done(&w, rc);
}
