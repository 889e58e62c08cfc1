/* libFuzzer driver for the expression engine: every input is compiled as a
 * template and as a bare expression and, when it compiles, rendered and
 * evaluated against a small context with tight limits, so hangs, crashes,
 * leaks and unbounded memory show up as findings. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flow/expr/expr.h"

static char *fuzz_secret(void *ud, const char *name)
{
    (void)ud;
    return strcmp(name, "K") == 0 ? strdup("value") : NULL;
}

static int64_t fuzz_now(void *ud)
{
    (void)ud;
    return 1709208000LL * 1000000;
}

static const char ctx_text[] =
    "{\"inputs\": {\"name\": \"ada\", \"n\": 5, \"f\": 2.5, \"list\": [3, 1, 2], \"nul\": null,"
    " \"map\": {\"b\": 2, \"a\": 1}, \"json\": \"{\\\"k\\\": [1]}\", \"t\": \"{{ inputs.n }}\"},"
    " \"outputs\": {\"t-1\": {\"value\": \"v\"}},"
    " \"execution\": {\"startDate\": \"2024-01-15T10:20:30.123456Z\"}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static json_t *ctx;
    static wf_expr_rt_t *rt;
    if (ctx == NULL) {
        ctx = json_loads(ctx_text, 0, NULL);
        rt = wf_expr_rt_create();
    }
    wf_expr_limits_t lim = {.max_output = 1 << 16,
                            .max_memory = 1 << 22,
                            .max_steps = 100000,
                            .max_iterations = 10000,
                            .max_range = 1000,
                            .max_depth = 4};
    wf_expr_env_t env = {.ctx = ctx, .secret = fuzz_secret, .now = fuzz_now, .limits = &lim};
    wf_expr_err_t err;
    for (int bare = 0; bare < 2; bare++) {
        wf_tmpl_t *t = bare ? wf_expr_compile((const char *)data, size, &err)
                            : wf_tmpl_compile((const char *)data, size, &err);
        if (t == NULL) {
            /* a refusal must carry a message and a position inside the input */
            if (err.msg[0] == '\0' || err.line < 1 || err.col < 1)
                abort();
            continue;
        }
        const char *out;
        size_t len;
        if (wf_tmpl_render(t, &env, rt, &out, &len, &err) == 0 && len > lim.max_output)
            abort();
        json_decref(wf_tmpl_eval(t, &env, rt, &err));
        wf_tmpl_free(t);
    }
    return 0;
}
