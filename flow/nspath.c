/* Namespace file paths and globs (flow/nspath.h). */
#include "flow/nspath.h"

#include "flow/fileuri.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int refuse(char *why, size_t why_size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_size, fmt, ap);
    va_end(ap);
    return -1;
}

int wf_nspath_clean(const char *in, char *out, size_t out_size, char *why, size_t why_size)
{
    if (in == NULL || in[0] == '\0')
        return refuse(why, why_size, "the path is empty");
    size_t len = strlen(in);
    size_t lead = in[0] != '/';
    /* Room for the added '/' and the NUL; the limit is the stored path's. */
    if (lead + len + 1 > out_size || len > WF_NSPATH_MAX + 1)
        return refuse(why, why_size, "the path is longer than %d bytes", WF_NSPATH_MAX);
    size_t o = 0;
    if (lead)
        out[o++] = '/';
    memcpy(out + o, in, len + 1);
    o += len;
    /* One trailing '/' names a directory; "//" stays and is refused below. */
    if (o > 1 && out[o - 1] == '/' && out[o - 2] != '/')
        out[--o] = '\0';
    if (o > WF_NSPATH_MAX)
        return refuse(why, why_size, "the path is longer than %d bytes", WF_NSPATH_MAX);
    for (size_t i = 0; i < o; i++) {
        unsigned char c = (unsigned char)out[i];
        if (c < 0x20 || c == 0x7f)
            return refuse(why, why_size, "the path holds a control character at byte %zu", i + 1);
        if (c == '\\')
            return refuse(why, why_size, "the path holds a backslash at byte %zu", i + 1);
    }
    if (strcmp(out, "/") == 0)
        return 0;
    /* Each segment between slashes: not empty, not "." or "..". */
    const char *seg = out + 1;
    for (;;) {
        const char *end = strchr(seg, '/');
        size_t n = end ? (size_t)(end - seg) : strlen(seg);
        if (n == 0)
            return refuse(why, why_size, "the path has an empty segment ('//')");
        if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
            return refuse(why, why_size,
                          "the path has a '%.*s' segment; use a plain path "
                          "from the namespace's root",
                          (int)n, seg);
        if (end == NULL)
            break;
        seg = end + 1;
    }
    /* The storage's own rule too (UTF-8, component length, encoded
     * tricks): a path the gateway accepts is one every executor can read. */
    char msg[160];
    if (wf_fileuri_check_path(out, msg, sizeof(msg)) != 0)
        return refuse(why, why_size, "%s", msg);
    size_t sl = strlen(WF_NSPATH_STAGING);
    if (strncmp(out, WF_NSPATH_STAGING, sl) == 0 && (out[sl] == '\0' || out[sl] == '/'))
        return refuse(why, why_size, "paths under %s are reserved for uploads in progress",
                      WF_NSPATH_STAGING);
    return 0;
}

bool wf_nspath_is_root(const char *path)
{
    return path != NULL && strcmp(path, "/") == 0;
}

/* The glob matcher: recursive on pattern position, bounded by the lengths
 * (patterns come from flows, paths from the store; both are short). */
static bool glob_at(const char *p, const char *s)
{
    for (;;) {
        if (*p == '\0')
            return *s == '\0';
        if (p[0] == '*' && p[1] == '*') {
            const char *rest = p + 2;
            /* "**" followed by '/' may also stand for no directory at all. */
            if (*rest == '/' && glob_at(rest + 1, s))
                return true;
            for (const char *t = s;; t++) {
                if (glob_at(rest, t))
                    return true;
                if (*t == '\0')
                    return false;
            }
        }
        if (*p == '*') {
            for (const char *t = s;; t++) {
                if (glob_at(p + 1, t))
                    return true;
                if (*t == '\0' || *t == '/')
                    return false;
            }
        }
        if (*s == '\0')
            return false;
        if (*p == '?') {
            if (*s == '/')
                return false;
        } else if (*p != *s) {
            return false;
        }
        p++;
        s++;
    }
}

bool wf_nspath_glob(const char *pattern, const char *path)
{
    if (pattern == NULL || path == NULL)
        return false;
    if (*pattern == '/')
        pattern++;
    if (*path == '/')
        path++;
    return glob_at(pattern, path);
}
