/* `weft expr eval 'TEMPLATE' [--vars FILE.json]`: lets a flow author try an
 * expression offline. The argument is a template when it contains "{{", "{%"
 * or "{#", else a bare expression; the result is printed on stdout (text as
 * is, other values as JSON). Exit 0 on success, 1 on an expression error, 2
 * on usage errors. secret() is not available here. `weft expr list` prints
 * the filters, functions and tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/verbs.h"
#include "platform/cmd.h"
#include "flow/expr/expr.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: weft expr eval 'EXPR' [--vars FILE.json]\n"
            "       weft expr list\n\n"
            "Evaluates a template (\"Hello {{ inputs.name }}\") or a bare expression\n"
            "(\"1 + 2\") against the variables of FILE.json, an object such as\n"
            "{\"inputs\": {...}, \"outputs\": {...}, \"vars\": {...}}, and prints the result.\n"
            "'list' prints the filters, functions and tests.\n");
}

static int has_markup(const char *s)
{
    return strstr(s, "{{") != NULL || strstr(s, "{%") != NULL || strstr(s, "{#") != NULL;
}

int weft_expr_main(int argc, char **argv)
{
    const char *expr = NULL, *vars_file = NULL;
    json_t *ctx = NULL, *result = NULL;
    wf_tmpl_t *t = NULL;
    wf_expr_rt_t *rt = NULL;
    int rc = 2;
    if (wf_cmd_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "list") == 0) {
        wf_expr_print_catalog(stdout);
        return 0;
    }
    if (argc < 2 || strcmp(argv[1], "eval") != 0) {
        usage(stderr);
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--vars") == 0 && i + 1 < argc) {
            vars_file = argv[++i];
        } else if (strncmp(argv[i], "--vars=", 7) == 0) {
            vars_file = argv[i] + 7;
        } else if (expr == NULL && (argv[i][0] != '-' || argv[i][1] == '\0' ||
                                    strchr("0123456789.", argv[i][1]) != NULL)) {
            expr = argv[i];
        } else {
            fprintf(stderr, "weft expr: unexpected argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (expr == NULL) {
        usage(stderr);
        return 2;
    }
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
    return rc;
}
