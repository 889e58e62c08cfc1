#include "cli/diff.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "platform/xmalloc.h"

#define CONTEXT 3
#define MAX_CELLS (4u * 1000 * 1000)

typedef struct {
    const char **line;
    size_t *len;
    size_t n;
} lines_t;

static void split(const char *s, lines_t *l)
{
    size_t cap = 16;
    l->n = 0;
    l->line = wf_xreallocarray(NULL, cap, sizeof(*l->line));
    l->len = wf_xreallocarray(NULL, cap, sizeof(*l->len));
    while (*s) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) + 1 : strlen(s);
        if (l->n == cap) {
            cap *= 2;
            l->line = wf_xreallocarray(l->line, cap, sizeof(*l->line));
            l->len = wf_xreallocarray(l->len, cap, sizeof(*l->len));
        }
        l->line[l->n] = s;
        l->len[l->n++] = n;
        s += n;
    }
}

static bool same(const lines_t *a, size_t i, const lines_t *b, size_t j)
{
    return a->len[i] == b->len[j] && memcmp(a->line[i], b->line[j], a->len[i]) == 0;
}

static void put_line(FILE *f, char tag, const char *s, size_t n, bool color)
{
    const char *on = !color ? "" : tag == '-' ? "\033[31m" : tag == '+' ? "\033[32m" : "";
    bool nl = n > 0 && s[n - 1] == '\n';
    fprintf(f, "%s%c%.*s%s\n", on, tag, (int)(nl ? n - 1 : n), s, on[0] ? "\033[0m" : "");
    if (!nl)
        fprintf(f, "\\ No newline at end of file\n");
}

int weft_diff(FILE *f, const char *old_name, const char *old, const char *new_name, const char *new,
              bool color)
{
    lines_t a, b;
    split(old, &a);
    split(new, &b);
    /* Skip the common head and tail: flows usually change in a few lines. */
    size_t head = 0;
    while (head < a.n && head < b.n && same(&a, head, &b, head))
        head++;
    size_t tail = 0;
    while (tail < a.n - head && tail < b.n - head && same(&a, a.n - 1 - tail, &b, b.n - 1 - tail))
        tail++;
    size_t n = a.n - head - tail, m = b.n - head - tail;
    int changed = 0;
    if (n == 0 && m == 0)
        goto out;
    if ((n + 1) * (m + 1) > MAX_CELLS) {
        fprintf(f, "--- %s\n+++ %s\n(too large to show: %zu lines against %zu)\n", old_name,
                new_name, a.n, b.n);
        changed = (int)(n + m);
        goto out;
    }
    /* lcs[i][j]: longest common subsequence of the middle parts from i, j. */
    /* Bounded by MAX_CELLS above: the program's own size. */
    uint32_t *lcs = wf_xcalloc((n + 1) * (m + 1), sizeof(uint32_t));
    char *ops = wf_xmalloc(n + m + 1);
#define L(i, j) lcs[(size_t)(i) * (m + 1) + (size_t)(j)]
    for (size_t i = n; i-- > 0;)
        for (size_t j = m; j-- > 0;)
            L(i, j) = same(&a, head + i, &b, head + j) ? L(i + 1, j + 1) + 1
                      : L(i + 1, j) >= L(i, j + 1)     ? L(i + 1, j)
                                                       : L(i, j + 1);
    size_t k = 0, i = 0, j = 0;
    while (i < n || j < m) {
        if (i < n && j < m && same(&a, head + i, &b, head + j)) {
            ops[k++] = ' ';
            i++;
            j++;
        } else if (i < n && (j == m || L(i + 1, j) >= L(i, j + 1))) {
            /* Deletions first on ties: "-old" reads before "+new". */
            ops[k++] = '-';
            i++;
        } else {
            ops[k++] = '+';
            j++;
        }
    }
#undef L
    free(lcs);
    /* The full script: common head, the middle ops, common tail. */
    size_t total = head + k + tail;
    char *all = wf_xmalloc(total + 1);
    memset(all, ' ', head);
    memcpy(all + head, ops, k);
    memset(all + head + k, ' ', tail);
    free(ops);
    fprintf(f, "%s--- %s\n+++ %s%s\n", color ? "\033[1m" : "", old_name, new_name,
            color ? "\033[0m" : "");
    size_t p = 0, ai = 0, bj = 0; /* position in script, in a, in b */
    while (p < total) {
        /* Next change at or after p. */
        size_t c = p;
        size_t ca = ai, cb = bj;
        while (c < total && all[c] == ' ') {
            c++;
            ca++;
            cb++;
        }
        if (c == total)
            break;
        size_t start = c >= CONTEXT + p ? c - CONTEXT : p;
        size_t back = c - start;
        size_t sa = ca - back, sb = cb - back;
        /* Extend the hunk while changes are within 2*CONTEXT of each other. */
        size_t end = c, gap = 0; /* gap: context lines since the last change */
        while (end < total) {
            if (all[end] != ' ')
                gap = 0;
            else if (gap == 2 * CONTEXT)
                break; /* the next change, if any, gets its own hunk */
            else
                gap++;
            end++;
        }
        if (gap > CONTEXT)
            end -= gap - CONTEXT;
        size_t la = 0, lb = 0;
        for (size_t x = start; x < end; x++) {
            la += all[x] != '+';
            lb += all[x] != '-';
        }
        fprintf(f, "%s@@ -%zu,%zu +%zu,%zu @@%s\n", color ? "\033[36m" : "", la ? sa + 1 : sa, la,
                lb ? sb + 1 : sb, lb, color ? "\033[0m" : "");
        size_t xa = sa, xb = sb;
        for (size_t x = start; x < end; x++) {
            if (all[x] == ' ') {
                put_line(f, ' ', a.line[xa], a.len[xa], color);
                xa++;
                xb++;
            } else if (all[x] == '-') {
                put_line(f, '-', a.line[xa], a.len[xa], color);
                xa++;
                changed++;
            } else {
                put_line(f, '+', b.line[xb], b.len[xb], color);
                xb++;
                changed++;
            }
        }
        p = end;
        ai = xa;
        bj = xb;
    }
    free(all);
out:
    free(a.line);
    free(a.len);
    free(b.line);
    free(b.len);
    return changed;
}
