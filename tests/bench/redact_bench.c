/* Redaction throughput on log-like lines (run by hand: `make bench-redact`).
 * Compares the Aho–Corasick stream with two references: a plain copy (the
 * floor) and the naive approach of one memmem() pass per pattern (value and
 * its base64 forms) per line. Prints figures; never fails on speed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "tenants/redact.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t sink_bytes;
static void sink(void *ctx, const char *d, size_t n)
{
    (void)ctx;
    (void)d;
    sink_bytes += n;
}

static uint32_t rng = 7;
static uint32_t rnd(void)
{
    rng = rng * 1664525u + 1013904223u;
    return rng >> 8;
}

/* Naive reference: for each pattern, memmem over the line and overwrite. */
static size_t naive(char *line, size_t n, char **pats, size_t *lens, size_t np)
{
    size_t hits = 0;
    for (size_t p = 0; p < np; p++) {
        char *at = line;
        while ((at = memmem(at, n - (size_t)(at - line), pats[p], lens[p])) != NULL) {
            memset(at, '*', lens[p]);
            hits++;
            at += lens[p];
        }
    }
    return hits;
}

int main(int argc, char **argv)
{
    size_t total = argc > 1 ? strtoul(argv[1], NULL, 10) << 20 : 32u << 20; /* MiB */
    static const size_t counts[] = {1, 10, 100};
    char *text = malloc(total + 256);
    size_t len = 0;
    /* Log-like lines of 40..160 printable bytes. */
    while (len < total) {
        size_t l = 40 + rnd() % 120;
        for (size_t i = 0; i < l; i++)
            text[len++] = (char)(' ' + rnd() % 95);
        text[len++] = '\n';
    }
    printf("redaction of %zu MiB of log lines (40-160 bytes)\n", len >> 20);

    char *copy = malloc(len);
    double t0, t_copy = 1e9;
    for (int rep = 0; rep < 3; rep++) { /* best of 3: the machine is shared */
        t0 = now();
        memcpy(copy, text, len);
        if (now() - t0 < t_copy)
            t_copy = now() - t0;
    }
    printf("  copy (floor)                       %8.0f MiB/s\n", (double)len / t_copy / 1048576);

    for (size_t ci = 0; ci < sizeof(counts) / sizeof(counts[0]); ci++) {
        size_t k = counts[ci];
        wf_redact_t *r = wf_redact_create();
        char **pats = calloc(5 * k, sizeof(char *));
        size_t *lens = calloc(5 * k, sizeof(size_t)), np = 0;
        for (size_t s = 0; s < k; s++) {
            char v[48], enc[72];
            snprintf(v, sizeof(v), "secret-%zu-%08x-tok", s, rnd());
            wf_redact_add(r, v, strlen(v));
            pats[np] = strdup(v);
            lens[np++] = strlen(v);
            int el = EVP_EncodeBlock((unsigned char *)enc, (unsigned char *)v, (int)strlen(v));
            pats[np] = strdup(enc);
            lens[np++] = (size_t)el;
            /* plant the value in about one line in 50 */
            for (int j = 0; j < 20; j++) {
                size_t at = rnd() % (len - 64);
                memcpy(text + at, v, strlen(v));
            }
        }
        /* Continuous stream, chunks of 4 KiB (as read from a pipe). */
        sink_bytes = 0;
        wf_redact_stream_t *st = wf_redact_stream_create(r, sink, NULL);
        double t_stream = 1e9, t_lines = 1e9, t;
        for (int rep = 0; rep < 3; rep++) {
            t0 = now();
            for (size_t i = 0; i < len; i += 4096)
                wf_redact_stream_feed(st, text + i, len - i < 4096 ? len - i : 4096);
            wf_redact_stream_finish(st);
            t = now() - t0;
            t_stream = t < t_stream ? t : t_stream;

            /* Line by line, finishing at every newline. */
            t0 = now();
            for (size_t i = 0; i < len;) {
                const char *nl = memchr(text + i, '\n', len - i);
                size_t e = nl ? (size_t)(nl - text) + 1 : len;
                wf_redact_stream_feed(st, text + i, e - i);
                wf_redact_stream_finish(st);
                i = e;
            }
            t = now() - t0;
            t_lines = t < t_lines ? t : t_lines;
        }
        wf_redact_stream_destroy(st);

        /* Naive reference on the same lines (value + one base64 form only,
         * fewer patterns than the redactor handles). */
        memcpy(copy, text, len);
        t0 = now();
        for (size_t i = 0; i < len;) {
            char *nl = memchr(copy + i, '\n', len - i);
            size_t e = nl ? (size_t)(nl - copy) + 1 : len;
            naive(copy + i, e - i, pats, lens, np);
            i = e;
        }
        double t_naive = now() - t0;

        double mb = (double)len / 1048576;
        printf("  %3zu secrets (%4zu patterns): stream %6.0f MiB/s, per line %6.0f MiB/s, "
               "naive memmem %6.0f MiB/s -> %.1fx naive, %.2fx copy time\n",
               k, wf_redact_pattern_count(r), mb / t_stream, mb / t_lines, mb / t_naive,
               t_naive / t_stream, t_stream / t_copy);
        for (size_t p = 0; p < np; p++)
            free(pats[p]);
        free(pats);
        free(lens);
        wf_redact_destroy(r);
    }
    free(copy);
    free(text);
    return 0;
}
