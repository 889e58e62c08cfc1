/* Benchmark: parse + validate a 50-task flow, repeatedly, on one core.
 * Prints flows/s and the ratio to the goal of issue 3 (5,000 flows/s).
 * Never fails on speed.   usage: flow_parse [SECONDS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flow/flow.h"

#define GOAL 5000.0

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 50 tasks of the common kinds, with expressions, retries, a Parallel and a
 * Dag, like a real pipeline. */
static char *make_flow(void)
{
    size_t cap = 64 * 1024, len = 0;
    char *buf = malloc(cap);
    if (buf == NULL)
        abort();
#define PUT(...) len += (size_t)snprintf(buf + len, cap - len, __VA_ARGS__)
    PUT("id: bench\nnamespace: acme.bench\ninputs:\n  - id: day\n    type: DATE\n"
        "    required: false\nvariables:\n  region: eu\ntasks:\n");
    int n = 0;
    for (int i = 0; i < 30; i++, n++)
        PUT("  - id: log%d\n    type: io.kestra.plugin.core.log.Log\n"
            "    message: \"step %d of {{ flow.id }} for {{ inputs.day ?? 'today' }}\"\n"
            "    timeout: PT5M\n    retry:\n      type: constant\n      interval: PT10S\n"
            "      maxAttempt: 3\n",
            i, i);
    PUT("  - id: par\n    type: io.kestra.plugin.core.flow.Parallel\n    tasks:\n");
    n++;
    for (int i = 0; i < 9; i++, n++)
        PUT("      - id: p%d\n        type: io.kestra.plugin.core.debug.Return\n"
            "        format: \"{{ outputs.log%d.value ?? 'x' }}\"\n",
            i, i);
    PUT("  - id: graph\n    type: io.kestra.plugin.core.flow.Dag\n    tasks:\n");
    n++;
    for (int i = 0; i < 9; i++, n++) {
        PUT("      - task:\n          id: d%d\n          type: io.kestra.plugin.core.log.Log\n"
            "          message: \"{{ vars.region }}\"\n",
            i);
        if (i > 0)
            PUT("        dependsOn: [d%d]\n", i - 1);
    }
    if (n != 50)
        abort();
    return buf;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 3.0;
    char *text = make_flow();
    size_t len = strlen(text);
    wf_diags_t d;
    wf_flow_t *f = wf_flow_parse(text, len, "bench.yaml", &d);
    if (f == NULL) {
        wf_diags_print(&d, stderr);
        return 1;
    }
    wf_flow_free(f);
    wf_diags_dispose(&d);
    long iters = 0;
    /* CPU time is what one core spends; wall time also counts the time this
     * process waited for a core on a shared machine. Both are printed. */
    double start = clock_s(CLOCK_MONOTONIC), cpu0 = clock_s(CLOCK_PROCESS_CPUTIME_ID), elapsed;
    do {
        for (int i = 0; i < 50; i++) {
            f = wf_flow_parse(text, len, "bench.yaml", &d);
            wf_flow_free(f);
            wf_diags_dispose(&d);
        }
        iters += 50;
        elapsed = clock_s(CLOCK_MONOTONIC) - start;
    } while (elapsed < seconds);
    double cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
    double rate = (double)iters / cpu, wall_rate = (double)iters / elapsed;
    printf("flow parse+validate (50 tasks, %zu bytes): %.0f flows/s per core (CPU time), "
           "%.1f us/flow, %.2fx the goal of %.0f flows/s; wall clock %.0f flows/s\n",
           len, rate, 1e6 / rate, rate / GOAL, GOAL, wall_rate);
    free(text);
    return 0;
}
