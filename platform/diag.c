#include "platform/diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "platform/xmalloc.h"

void wf_diags_init(wf_diags_t *d, const char *file)
{
    memset(d, 0, sizeof(*d));
    d->file = wf_xstrdup(file != NULL ? file : "<input>");
}

void wf_diags_dispose(wf_diags_t *d)
{
    for (size_t i = 0; i < d->count; i++) {
        free(d->items[i].path);
        free(d->items[i].message);
        free(d->items[i].note);
    }
    free(d->items);
    free(d->file);
    memset(d, 0, sizeof(*d));
}

static wf_diag_t *vadd(wf_diags_t *d, int line, int col, const char *path, const char *fmt,
                       va_list ap)
{
    if (d->count == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 8;
        d->items = wf_xreallocarray(d->items, d->cap, sizeof(*d->items));
    }
    wf_diag_t *e = &d->items[d->count++];
    e->message = wf_xvasprintf(fmt, ap);
    e->line = line;
    e->col = col;
    e->path = wf_xstrdup(path != NULL ? path : "");
    e->note = NULL;
    e->warning = false;
    return e;
}

wf_diag_t *wf_diags_add(wf_diags_t *d, int line, int col, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wf_diag_t *e = vadd(d, line, col, path, fmt, ap);
    va_end(ap);
    return e;
}

wf_diag_t *wf_diags_warn(wf_diags_t *d, int line, int col, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wf_diag_t *e = vadd(d, line, col, path, fmt, ap);
    va_end(ap);
    e->warning = true;
    return e;
}

size_t wf_diags_errors(const wf_diags_t *d)
{
    size_t n = 0;
    for (size_t i = 0; i < d->count; i++)
        n += d->items[i].warning ? 0 : 1;
    return n;
}

void wf_diag_note(wf_diag_t *diag, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    free(diag->note);
    diag->note = wf_xvasprintf(fmt, ap);
    va_end(ap);
}

static int before(const wf_diag_t *x, const wf_diag_t *y)
{
    return x->line < y->line || (x->line == y->line && x->col < y->col);
}

void wf_diags_sort(wf_diags_t *d)
{
    /* Insertion sort: stable (errors at one spot keep the order they were
     * found in) and lists are short. */
    for (size_t i = 1; i < d->count; i++) {
        wf_diag_t cur = d->items[i];
        size_t j = i;
        for (; j > 0 && before(&cur, &d->items[j - 1]); j--)
            d->items[j] = d->items[j - 1];
        d->items[j] = cur;
    }
}

void wf_diags_print(const wf_diags_t *d, FILE *out)
{
    for (size_t i = 0; i < d->count; i++) {
        const wf_diag_t *e = &d->items[i];
        const char *level = e->warning ? "warning" : "error";
        if (e->line > 0)
            fprintf(out, "%s:%d:%d: %s: ", d->file, e->line, e->col, level);
        else
            fprintf(out, "%s: %s: ", d->file, level);
        if (e->path[0] != '\0')
            fprintf(out, "%s: ", e->path);
        fprintf(out, "%s\n", e->message);
        if (e->note != NULL)
            fprintf(out, "%s:%d:%d: note: %s\n", d->file, e->line, e->col, e->note);
    }
}

json_t *wf_diags_to_json(const wf_diags_t *d)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < d->count; i++) {
        const wf_diag_t *e = &d->items[i];
        json_t *o = json_pack("{s:s, s:i, s:i, s:s, s:s}", "file", d->file, "line", e->line, "col",
                              e->col, "path", e->path, "message", e->message);
        if (e->note != NULL)
            json_object_set_new(o, "note", json_string(e->note));
        if (e->warning)
            json_object_set_new(o, "severity", json_string("warning"));
        json_array_append_new(arr, o);
    }
    return arr;
}

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return (size_t)-1;
    size_t prev[65], cur[65];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = prev[j] + 1;
            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            if (prev[j - 1] + cost < best)
                best = prev[j - 1] + cost;
            cur[j] = best;
        }
        memcpy(prev, cur, (lb + 1) * sizeof(size_t));
    }
    return prev[lb];
}

const char *wf_suggest(const char *word, const char *const *candidates, size_t n)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    size_t len = strlen(word);
    size_t limit = len < 4 ? 1 : len / 3 + 1;
    for (size_t i = 0; i < n; i++) {
        size_t dist = edit_distance(word, candidates[i]);
        if (dist < best_d) {
            best_d = dist;
            best = candidates[i];
        }
    }
    return best_d <= limit ? best : NULL;
}

void wf_diag_suggest(wf_diag_t *diag, const char *word, const char *const *candidates, size_t n)
{
    const char *near = wf_suggest(word, candidates, n);
    if (near != NULL)
        wf_diag_note(diag, "did you mean '%s'?", near);
}
