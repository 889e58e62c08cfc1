/* Benchmark: render Pebble-style templates repeatedly on one core. Prints
 * renders/s for a simple interpolation against the goal of issue 3
 * (1,000,000 renders/s), a few heavier templates for comparison, compiles/s,
 * and the heap allocations one warm render makes (goal: none).
 * Never fails on speed.   usage: expr_render [SECONDS_PER_CASE] */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flow/expr/expr.h"

#define GOAL 1000000.0

/* Counting allocator: every malloc/calloc/realloc of the process (jansson
 * included) goes through here, so a render that allocates shows up. */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
static unsigned long allocs;

void *malloc(size_t n)
{
    allocs++;
    return __libc_malloc(n);
}

void *calloc(size_t a, size_t b)
{
    allocs++;
    return __libc_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
    allocs++;
    return __libc_realloc(p, n);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char ctx_text[] =
    "{\"inputs\": {\"name\": \"world\", \"n\": 5, \"items\": [\"a\", \"b\", \"c\", \"d\"]},"
    " \"outputs\": {\"t-1\": {\"value\": \"done\"}},"
    " \"execution\": {\"startDate\": \"2024-01-15T10:20:30.123456Z\"}}";

typedef struct bench_case {
    const char *name;
    const char *tmpl;
} bench_case_t;

static const bench_case_t cases[] = {
    {"simple interpolation", "Hello {{ inputs.name }}"},
    {"filter + ??", "{{ inputs.name | upper }} {{ inputs.missing ?? 'none' }}"},
    {"if + arithmetic", "{% if inputs.n * 2 > 8 %}big{% else %}small{% endif %}"},
    {"for over 4 items", "{% for x in inputs.items %}{{ loop.index }}={{ x }},{% endfor %}"},
    {"index access", "{{ outputs['t-1'].value }}"},
    {"date format", "{{ execution.startDate | date('yyyy-MM-dd HH:mm') }}"},
};

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 1.0;
    json_t *ctx = json_loads(ctx_text, 0, NULL);
    wf_expr_rt_t *rt = wf_expr_rt_create();
    wf_expr_env_t env = {.ctx = ctx};
    wf_expr_err_t err;
    const char *out;
    size_t len;
    double simple = 0;
    printf("expression render benchmark (one core, %.1f s per case)\n", seconds);
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        wf_tmpl_t *t = wf_tmpl_compile(cases[c].tmpl, strlen(cases[c].tmpl), &err);
        if (t == NULL || wf_tmpl_render(t, &env, rt, &out, &len, &err) < 0) {
            fprintf(stderr, "%s: %d:%d: %s\n", cases[c].name, err.line, err.col, err.msg);
            return 1;
        }
        /* warm: one render grows the buffers; count what the next one needs */
        unsigned long before = allocs;
        wf_tmpl_render(t, &env, rt, &out, &len, &err);
        unsigned long per_render = allocs - before;
        long n = 0;
        double start = now(), el;
        do {
            for (int k = 0; k < 10000; k++)
                wf_tmpl_render(t, &env, rt, &out, &len, &err);
            n += 10000;
            el = now() - start;
        } while (el < seconds);
        double rate = (double)n / el;
        if (c == 0)
            simple = rate;
        printf("  %-22s %12.0f renders/s  %6.0f ns/render  %lu allocations/render  -> \"%s\"\n",
               cases[c].name, rate, 1e9 / rate, per_render, out);
        wf_tmpl_free(t);
    }
    /* compile speed of a typical flow property */
    const char *prop = "{{ outputs['t-1'].value ?? inputs.name | upper }} at "
                       "{{ execution.startDate | date('yyyy-MM-dd') }}";
    long n = 0;
    double start = now(), el;
    do {
        for (int k = 0; k < 1000; k++)
            wf_tmpl_free(wf_tmpl_compile(prop, strlen(prop), &err));
        n += 1000;
        el = now() - start;
    } while (el < seconds);
    printf("  %-22s %12.0f compiles/s\n", "compile a property", (double)n / el);
    printf("simple interpolation: %.0f renders/s = %.2fx the goal of %.0f/s\n", simple,
           simple / GOAL, GOAL);
    wf_expr_rt_destroy(rt);
    json_decref(ctx);
    return 0;
}
