/* See xmalloc.h for when to use these and when plain malloc() is right. */
#include "platform/xmalloc.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void wf_out_of_memory(size_t n)
{
    fprintf(stderr, "out of memory (asked for %zu bytes)\n", n);
    abort();
}

void *wf_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        wf_out_of_memory(n);
    return p;
}

void *wf_xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (p == NULL)
        wf_out_of_memory(count * size);
    return p;
}

void *wf_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
        wf_out_of_memory(n);
    return q;
}

void *wf_xreallocarray(void *p, size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size)
        wf_out_of_memory(SIZE_MAX);
    return wf_xrealloc(p, count * size);
}

char *wf_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = wf_xmalloc(n);
    memcpy(d, s, n);
    return d;
}

char *wf_xstrndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *d = wf_xmalloc(len + 1);
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

char *wf_xvasprintf(const char *fmt, va_list ap)
{
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        wf_out_of_memory(strlen(fmt));
    return s;
}

char *wf_xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = wf_xvasprintf(fmt, ap);
    va_end(ap);
    return s;
}
