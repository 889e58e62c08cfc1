/* Shared by the expression engine tests: render a template against a fixed
 * context and compare with the expected text, or with an expected error
 * written "!LINE:COL: substring of the message". */
#ifndef WF_TEST_EXPR_CASE_H
#define WF_TEST_EXPR_CASE_H

#include <stdlib.h>
#include <string.h>

#include "flow/expr/expr.h"
#include "tests/tap.h"

typedef struct expr_case {
    const char *tmpl;
    const char *want;
} expr_case_t;

static const char expr_ctx_text[] =
    "{\"inputs\": {\"name\": \"ada\", \"n\": 5, \"f\": 2.5, \"neg\": -3, \"list\": [3, 1, 2],"
    " \"empty\": \"\", \"nul\": null, \"flag\": true, \"no\": false,"
    " \"map\": {\"b\": 2, \"a\": 1}, \"words\": \"hello big world\", \"strs\": [\"b\", \"a\"],"
    " \"json\": \"{\\\"k\\\": [1, 2]}\", \"tmpl\": \"{{ inputs.name }}!\","
    " \"self\": \"{{ render(inputs.self) }}\"},"
    " \"outputs\": {\"t-1\": {\"value\": \"v1\"}, \"t\": {\"value\": 42, \"vars\": {\"x\": "
    "\"X\"}},"
    " \"each\": {\"v11\": {\"v21\": {\"a\": {\"value\": \"deep\"}}}}},"
    " \"parents\": [{\"taskrun\": {\"value\": \"v21\"}}, {\"taskrun\": {\"value\": \"v11\"}}],"
    " \"vars\": {\"greeting\": \"hi\"},"
    " \"labels\": {\"team\": \"data\"},"
    " \"execution\": {\"id\": \"exec1\", \"startDate\": \"2024-01-15T10:20:30.123456Z\","
    " \"state\": \"RUNNING\"},"
    " \"flow\": {\"id\": \"f\", \"namespace\": \"company.team\", \"revision\": 3},"
    " \"taskrun\": {\"value\": \"a\", \"iteration\": 0},"
    " \"trigger\": {\"date\": \"2024-03-10T01:30:00Z\"},"
    " \"envs\": {\"home\": \"/root\"}}";

static char *expr_test_secret(void *ud, const char *name)
{
    (void)ud;
    return strcmp(name, "K") == 0 ? strdup("s3cr3t") : NULL;
}

/* kv(), read(), errorLogs() as an executor would answer them. */
static json_t *expr_test_host(void *ud, const char *fn, const json_t *args, char *err,
                              size_t errlen)
{
    (void)ud;
    const char *arg0 = json_string_value(json_array_get(args, 0));
    if (strcmp(fn, "kv") == 0 && arg0 != NULL && strcmp(arg0, "k") == 0)
        return json_pack("{s:i,s:O}", "field", 1, "args", args);
    if (strcmp(fn, "errorLogs") == 0)
        return json_pack("[{s:s,s:s}]", "taskId", "t", "message", "boom");
    if (strcmp(fn, "read") == 0 && arg0 != NULL && strcmp(arg0, "kestra:///f.txt") == 0)
        return json_string("file text");
    snprintf(err, errlen, "'%s' not found", arg0 ? arg0 : "?");
    return NULL;
}

static int64_t expr_test_now(void *ud)
{
    (void)ud;
    return 1709208000LL * 1000000 + 123456; /* 2024-02-29T12:00:00.123456Z */
}

/* Renders and returns "text" or "!line:col: message" in a static buffer. */
static const char *expr_run(const char *tmpl, const json_t *ctx, const wf_expr_limits_t *lim,
                            wf_expr_rt_t *rt)
{
    static char buf[4096];
    wf_expr_err_t err;
    wf_tmpl_t *t = wf_tmpl_compile(tmpl, strlen(tmpl), &err);
    if (t == NULL) {
        snprintf(buf, sizeof(buf), "!%d:%d: %s", err.line, err.col, err.msg);
        return buf;
    }
    wf_expr_env_t env = {.ctx = ctx,
                         .secret = expr_test_secret,
                         .now = expr_test_now,
                         .host = expr_test_host,
                         .limits = lim};
    const char *out;
    size_t len;
    if (wf_tmpl_render(t, &env, rt, &out, &len, &err) < 0)
        snprintf(buf, sizeof(buf), "!%d:%d: %s", err.line, err.col, err.msg);
    else
        snprintf(buf, sizeof(buf), "%.*s", (int)len, out);
    wf_tmpl_free(t);
    return buf;
}

/* An expected error matches when its "!line:col: " prefix is equal and the
 * rest is a substring of the message. */
static int expr_match(const char *got, const char *want)
{
    if (want[0] != '!')
        return strcmp(got, want) == 0;
    const char *sp = strchr(want, ' ');
    if (got[0] != '!' || sp == NULL)
        return 0;
    size_t pre = (size_t)(sp - want);
    return strncmp(got, want, pre) == 0 && strstr(got + pre, sp + 1) != NULL;
}

static void expr_cases(const expr_case_t *cases, size_t n)
{
    json_error_t je;
    json_t *ctx = json_loads(expr_ctx_text, 0, &je);
    if (ctx == NULL) {
        printf("# context: %s\n", je.text);
        ok(0, "test context parses");
        return;
    }
    wf_expr_rt_t *rt = wf_expr_rt_create();
    for (size_t i = 0; i < n; i++) {
        const char *got = expr_run(cases[i].tmpl, ctx, NULL, rt);
        int same = expr_match(got, cases[i].want);
        ok(same, "%s => %s", cases[i].tmpl, cases[i].want);
        if (!same)
            printf("# got: %s\n", got);
    }
    wf_expr_rt_destroy(rt);
    json_decref(ctx);
}

#endif
