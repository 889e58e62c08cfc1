/* File URIs of the internal storage: see flow/fileuri.h. Everything here is
 * pure string work so that the gateway, executors and client share it and
 * the unit test can attack it without a database. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "flow/fileuri.h"

static int fail(char *msg, size_t msglen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (msg != NULL && msglen > 0)
        vsnprintf(msg, msglen, fmt, ap);
    va_end(ap);
    return -1;
}

static bool has_prefix_ci(const char *s, const char *p)
{
    return s != NULL && strncasecmp(s, p, strlen(p)) == 0;
}

bool wf_fileuri_is_storage(const char *s)
{
    return has_prefix_ci(s, "weft://") || has_prefix_ci(s, "kestra://");
}

bool wf_fileuri_is_nsfile(const char *s)
{
    return has_prefix_ci(s, "nsfile://");
}

/* Length of the UTF-8 sequence starting at `s` (1-4), 0 when invalid
 * (overlong forms and surrogates included: PostgreSQL would refuse them). */
static size_t utf8_len(const unsigned char *s)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned cp;
    if ((c & 0xe0) == 0xc0)
        n = 2, cp = c & 0x1f;
    else if ((c & 0xf0) == 0xe0)
        n = 3, cp = c & 0x0f;
    else if ((c & 0xf8) == 0xf0)
        n = 4, cp = c & 0x07;
    else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    static const unsigned min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

/* The rules of every component of `p` (no leading '/'), `len` bytes. */
static int check_components(const char *p, size_t len, char *msg, size_t msglen)
{
    if (len == 0)
        return fail(msg, msglen, "empty file path");
    const char *end = p + len, *comp = p;
    for (const char *s = p; s <= end; s++) {
        if (s == end || *s == '/') {
            size_t n = (size_t)(s - comp);
            if (n == 0)
                return fail(msg, msglen, "empty path component ('//' or a trailing '/')");
            if ((n == 1 && comp[0] == '.') || (n == 2 && comp[0] == '.' && comp[1] == '.'))
                return fail(msg, msglen, "'%.*s' is not allowed as a path component", (int)n, comp);
            if (n > WF_FILEURI_NAME_MAX)
                return fail(msg, msglen, "a path component is longer than %d bytes",
                            WF_FILEURI_NAME_MAX);
            comp = s + 1;
            continue;
        }
        unsigned char c = (unsigned char)*s;
        if (c == '\0')
            return fail(msg, msglen, "NUL byte in a file path");
        if (c < 0x20 || c == 0x7f)
            return fail(msg, msglen, "control character in a file path");
        if (c == '\\')
            return fail(msg, msglen, "backslash in a file path");
        if (c >= 0x80) {
            size_t k = utf8_len((const unsigned char *)s);
            if (k == 0 || s + k > end)
                return fail(msg, msglen, "a file path is not valid UTF-8");
            s += k - 1;
        }
    }
    return 0;
}

int wf_fileuri_check_path(const char *path, char *msg, size_t msglen)
{
    if (path == NULL || path[0] != '/')
        return fail(msg, msglen, "a storage path starts with '/'");
    size_t len = strlen(path);
    if (len > WF_FILEURI_PATH_MAX)
        return fail(msg, msglen, "file path longer than %d bytes", WF_FILEURI_PATH_MAX);
    return check_components(path + 1, len - 1, msg, msglen);
}

int wf_fileuri_check_name(const char *name, char *msg, size_t msglen)
{
    if (name == NULL || name[0] == '\0')
        return fail(msg, msglen, "empty file name");
    if (name[0] == '/')
        return fail(msg, msglen, "file name '%s' is absolute", name);
    size_t len = strlen(name);
    if (len >= WF_FILEURI_PATH_MAX)
        return fail(msg, msglen, "file name longer than %d bytes", WF_FILEURI_PATH_MAX - 1);
    return check_components(name, len, msg, msglen);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes the URI path `in` into `out`; '?', '#', a bad escape and an
 * encoded '/' or NUL are refused before anything is decoded into them. */
static int decode(const char *in, char *out, size_t outlen, char *msg, size_t msglen)
{
    size_t o = 0;
    for (const char *s = in; *s; s++) {
        char c = *s;
        if (c == '?' || c == '#')
            return fail(msg, msglen, "a file URI has no query or fragment");
        if (c == '%') {
            int h = hexval(s[1]), l = h >= 0 ? hexval(s[2]) : -1;
            if (h < 0 || l < 0)
                return fail(msg, msglen, "bad percent-escape in a file URI");
            c = (char)(h * 16 + l);
            if (c == '/' || c == '\\')
                return fail(msg, msglen, "an encoded '/' or '\\' in a file URI is refused");
            if (c == '\0')
                return fail(msg, msglen, "NUL byte in a file path");
            s += 2;
        }
        if (o + 1 >= outlen || o >= WF_FILEURI_PATH_MAX)
            return fail(msg, msglen, "file path longer than %d bytes", WF_FILEURI_PATH_MAX);
        out[o++] = c;
    }
    out[o] = '\0';
    return 0;
}

int wf_fileuri_parse(const char *uri, char *path, size_t pathlen, char *msg, size_t msglen)
{
    if (uri == NULL)
        return fail(msg, msglen, "no file URI");
    const char *rest;
    if (has_prefix_ci(uri, "weft://"))
        rest = uri + 7;
    else if (has_prefix_ci(uri, "kestra://"))
        rest = uri + 9;
    else
        return fail(msg, msglen, "'%.80s' is not a file URI (weft:///… or kestra:///…)", uri);
    if (rest[0] != '/')
        return fail(msg, msglen, "a file URI has no host: weft:///path, not weft://host/path");
    if (decode(rest, path, pathlen, msg, msglen) != 0)
        return -1;
    return wf_fileuri_check_path(path, msg, msglen);
}

/* The bytes a URI path carries as they are (RFC 3986 pchar without '%'). */
static bool plain(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr("-._~!$&'()*+,;=:@/", c) != NULL;
}

int wf_fileuri_from_path(const char *path, char *out, size_t outlen, char *msg, size_t msglen)
{
    if (wf_fileuri_check_path(path, msg, msglen) != 0)
        return -1;
    static const char hex[] = "0123456789ABCDEF";
    size_t o = (size_t)snprintf(out, outlen, "weft://");
    for (const unsigned char *s = (const unsigned char *)path; *s; s++) {
        if (o + 4 >= outlen)
            return fail(msg, msglen, "file URI too long");
        if (plain(*s) && *s != '\0') {
            out[o++] = (char)*s;
        } else {
            out[o++] = '%';
            out[o++] = hex[*s >> 4];
            out[o++] = hex[*s & 15];
        }
    }
    out[o] = '\0';
    return 0;
}

int wf_fileuri_normalise(const char *uri, char *out, size_t outlen, char *msg, size_t msglen)
{
    char path[WF_FILEURI_PATH_MAX + 1];
    if (wf_fileuri_parse(uri, path, sizeof(path), msg, msglen) != 0)
        return -1;
    return wf_fileuri_from_path(path, out, outlen, msg, msglen);
}

bool wf_fileuri_namespace_valid(const char *ns)
{
    if (ns == NULL || ns[0] == '\0' || strlen(ns) > WF_FILEURI_NAME_MAX)
        return false;
    bool at_start = true;
    for (const char *s = ns; *s; s++) {
        char c = *s;
        if (c == '.') {
            if (at_start)
                return false;
            at_start = true;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
        at_start = false;
    }
    return !at_start;
}

/* One path component that must be a single name (ids, task ids). */
static int one_component(const char *what, const char *v, char *msg, size_t msglen)
{
    if (v == NULL || v[0] == '\0' || strchr(v, '/') != NULL)
        return fail(msg, msglen, "%s '%s' cannot be a path component", what, v ? v : "");
    return check_components(v, strlen(v), msg, msglen);
}

int wf_fileuri_exec_path(const char *ns, const char *flow_id, const char *exec_id, char *out,
                         size_t outlen, char *msg, size_t msglen)
{
    if (!wf_fileuri_namespace_valid(ns))
        return fail(msg, msglen, "'%s' is not a namespace", ns ? ns : "");
    if (one_component("flow id", flow_id, msg, msglen) != 0 ||
        one_component("execution id", exec_id, msg, msglen) != 0)
        return -1;
    int n = snprintf(out, outlen, "/%s/%s/executions/%s", ns, flow_id, exec_id);
    if (n < 0 || (size_t)n >= outlen || n > WF_FILEURI_PATH_MAX)
        return fail(msg, msglen, "file path longer than %d bytes", WF_FILEURI_PATH_MAX);
    for (char *p = out + 1; *p && p < out + 1 + strlen(ns); p++)
        if (*p == '.')
            *p = '/';
    return 0;
}

/* <exec path>/<kind>/<a>/[<b>/]<name>, checked as a whole. */
static int exec_sub_path(const char *ns, const char *flow_id, const char *exec_id, const char *kind,
                         const char *a_what, const char *a, const char *b_what, const char *b,
                         const char *name, char *out, size_t outlen, char *msg, size_t msglen)
{
    char base[WF_FILEURI_PATH_MAX + 1];
    if (wf_fileuri_exec_path(ns, flow_id, exec_id, base, sizeof(base), msg, msglen) != 0 ||
        one_component(a_what, a, msg, msglen) != 0 ||
        (b != NULL && one_component(b_what, b, msg, msglen) != 0) ||
        wf_fileuri_check_name(name, msg, msglen) != 0)
        return -1;
    int n = b != NULL ? snprintf(out, outlen, "%s/%s/%s/%s/%s", base, kind, a, b, name)
                      : snprintf(out, outlen, "%s/%s/%s/%s", base, kind, a, name);
    if (n < 0 || (size_t)n >= outlen || n > WF_FILEURI_PATH_MAX)
        return fail(msg, msglen, "file path longer than %d bytes", WF_FILEURI_PATH_MAX);
    return 0;
}

int wf_fileuri_task_path(const char *ns, const char *flow_id, const char *exec_id,
                         const char *task_id, const char *trun_id, const char *name, char *out,
                         size_t outlen, char *msg, size_t msglen)
{
    return exec_sub_path(ns, flow_id, exec_id, "tasks", "task id", task_id, "task run id", trun_id,
                         name, out, outlen, msg, msglen);
}

int wf_fileuri_input_path(const char *ns, const char *flow_id, const char *exec_id,
                          const char *input, const char *filename, char *out, size_t outlen,
                          char *msg, size_t msglen)
{
    return exec_sub_path(ns, flow_id, exec_id, "inputs", "input name", input, NULL, NULL, filename,
                         out, outlen, msg, msglen);
}

int wf_fileuri_nsfile(const char *uri, char *ns, size_t nslen, char *path, size_t pathlen,
                      char *msg, size_t msglen)
{
    if (!wf_fileuri_is_nsfile(uri))
        return fail(msg, msglen, "'%.80s' is not a namespace file URI (nsfile:///…)",
                    uri ? uri : "");
    const char *rest = uri + 9;
    const char *slash = strchr(rest, '/');
    if (slash == NULL)
        return fail(msg, msglen, "a namespace file URI names a file: nsfile:///dir/file");
    size_t n = (size_t)(slash - rest);
    if (n >= nslen || n > WF_FILEURI_NAME_MAX)
        return fail(msg, msglen, "namespace too long in '%.80s'", uri);
    memcpy(ns, rest, n);
    ns[n] = '\0';
    if (n > 0 && !wf_fileuri_namespace_valid(ns))
        return fail(msg, msglen, "'%s' is not a namespace", ns);
    if (decode(slash, path, pathlen, msg, msglen) != 0)
        return -1;
    return wf_fileuri_check_path(path, msg, msglen);
}

/* ---- globs --------------------------------------------------------------- */

typedef struct glob_state {
    long budget; /* steps left: a pathological pattern fails instead of spinning */
} glob_state_t;

/* Matches one character class at `p` ("[...]") against `c`; sets *end past it. */
static bool class_match(const char *p, char c, const char **end)
{
    const char *s = p + 1;
    bool neg = *s == '!' || *s == '^', hit = false;
    if (neg)
        s++;
    bool first = true;
    while (*s && (first || *s != ']')) {
        first = false;
        char lo = *s, hi = lo;
        if (s[1] == '-' && s[2] && s[2] != ']') {
            hi = s[2];
            s += 3;
        } else {
            s++;
        }
        if (c >= lo && c <= hi)
            hit = true;
    }
    if (*s != ']') {
        *end = NULL; /* unterminated: a literal '[' */
        return c == '[';
    }
    *end = s + 1;
    return c != '/' && hit != neg;
}

static bool glob_at(glob_state_t *g, const char *p, const char *s)
{
    while (*p) {
        if (--g->budget < 0)
            return false;
        if (p[0] == '*' && p[1] == '*') {
            p += 2;
            for (const char *t = s;; t++) {
                if (glob_at(g, p, t))
                    return true;
                if (*t == '\0')
                    return false;
            }
        }
        if (*p == '*') {
            p++;
            for (const char *t = s;; t++) {
                if (glob_at(g, p, t))
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
            p++, s++;
            continue;
        }
        if (*p == '[') {
            const char *end;
            bool m = class_match(p, *s, &end);
            if (!m)
                return false;
            p = end ? end : p + 1;
            s++;
            continue;
        }
        if (*p == '\\' && p[1])
            p++;
        if (*p != *s)
            return false;
        p++, s++;
    }
    return *s == '\0';
}

/* Expands the first {a,b,...} group of `pat` and matches each alternative. */
static bool glob_braces(glob_state_t *g, const char *pat, const char *path, int depth)
{
    const char *open = strchr(pat, '{');
    const char *close = open ? strchr(open, '}') : NULL;
    if (open == NULL || close == NULL || depth > 4)
        return glob_at(g, pat, path);
    size_t plen = strlen(pat);
    char buf[WF_FILEURI_PATH_MAX + 1];
    for (const char *a = open + 1; a <= close;) {
        const char *e = a;
        while (e < close && *e != ',')
            e++;
        int n = snprintf(buf, sizeof(buf), "%.*s%.*s%s", (int)(open - pat), pat, (int)(e - a), a,
                         close + 1);
        if (n > 0 && (size_t)n < sizeof(buf) && (size_t)n <= plen &&
            glob_braces(g, buf, path, depth + 1))
            return true;
        a = e + 1;
    }
    return false;
}

bool wf_fileuri_glob(const char *pattern, const char *path)
{
    if (pattern == NULL || path == NULL || strlen(pattern) > WF_FILEURI_PATH_MAX)
        return false;
    glob_state_t g = {.budget = 200000};
    return glob_braces(&g, pattern, path, 0);
}

bool wf_fileuri_is_glob(const char *pattern)
{
    return pattern != NULL && strpbrk(pattern, "*?[{") != NULL;
}
