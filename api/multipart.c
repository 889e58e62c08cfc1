#include "api/multipart.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int fail(char *why, size_t why_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *why, size_t why_len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
    return -1;
}

/* RFC 2046 bchars, without the space (a trailing space is not allowed and
 * no client sends an inner one). */
static bool bchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr("'()+_,-./:=?", c) != NULL;
}

int wf_mp_boundary(const char *ct, char out[71], const char **why)
{
    static const char type[] = "multipart/form-data";
    if (ct == NULL || strncasecmp(ct, type, sizeof(type) - 1) != 0) {
        *why = "send the body as multipart/form-data";
        return -1;
    }
    const char *p = ct + sizeof(type) - 1;
    /* Parameters: ; name=value, the value a token or a quoted string. */
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != ';')
            break;
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        const char *eq = strchr(p, '=');
        if (eq == NULL)
            break;
        bool is_boundary = (size_t)(eq - p) == 8 && strncasecmp(p, "boundary", 8) == 0;
        p = eq + 1;
        char val[72];
        size_t n = 0;
        if (*p == '"') {
            p++;
            while (*p && *p != '"') {
                if (n >= 71) {
                    *why = "the multipart boundary is longer than 70 characters";
                    return -1;
                }
                val[n++] = *p++;
            }
            if (*p != '"') {
                *why = "the multipart boundary's quote is not closed";
                return -1;
            }
            p++;
        } else {
            while (*p && *p != ';' && *p != ' ' && *p != '\t') {
                if (n >= 71) {
                    *why = "the multipart boundary is longer than 70 characters";
                    return -1;
                }
                val[n++] = *p++;
            }
        }
        val[n] = '\0';
        if (!is_boundary)
            continue;
        if (n == 0 || n > 70) {
            *why = "the multipart boundary must have 1 to 70 characters";
            return -1;
        }
        for (size_t i = 0; i < n; i++)
            if (!bchar(val[i])) {
                *why = "the multipart boundary holds a character RFC 2046 does not allow";
                return -1;
            }
        memcpy(out, val, n + 1);
        return 0;
    }
    *why = "the multipart/form-data Content-Type has no boundary parameter";
    return -1;
}

/* Copies a quoted-string or token parameter value starting at `p` into
 * `out`; returns the position after it, or NULL when it is malformed or
 * does not fit. */
static const char *param_value(const char *p, const char *end, char *out, size_t out_len)
{
    size_t n = 0;
    if (p < end && *p == '"') {
        p++;
        while (p < end && *p != '"') {
            if (*p == '\\' && p + 1 < end)
                p++; /* quoted-pair: the next byte as it is */
            if (n + 1 >= out_len)
                return NULL;
            out[n++] = *p++;
        }
        if (p >= end)
            return NULL;
        p++;
    } else {
        while (p < end && *p != ';' && *p != ' ' && *p != '\t') {
            if (n + 1 >= out_len)
                return NULL;
            out[n++] = *p++;
        }
    }
    out[n] = '\0';
    return p;
}

/* Reads Content-Disposition's value: form-data; name="…"[; filename="…"]. */
static int disposition(const char *v, const char *end, wf_mp_part_t *part, char *why,
                       size_t why_len)
{
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    if ((size_t)(end - v) < 9 || strncasecmp(v, "form-data", 9) != 0)
        return fail(why, why_len, "a part's Content-Disposition is not form-data");
    const char *p = v + 9;
    bool have_name = false;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == ';'))
            p++;
        const char *eq = memchr(p, '=', (size_t)(end - p));
        if (eq == NULL)
            break;
        size_t klen = (size_t)(eq - p);
        while (klen > 0 && (p[klen - 1] == ' ' || p[klen - 1] == '\t'))
            klen--;
        char scratch[WF_MP_FILENAME_MAX];
        char *out = scratch;
        size_t out_len = sizeof(scratch);
        if (klen == 4 && strncasecmp(p, "name", 4) == 0) {
            out = part->name;
            out_len = sizeof(part->name);
            have_name = true;
        } else if (klen == 8 && strncasecmp(p, "filename", 8) == 0) {
            out = part->filename;
            out_len = sizeof(part->filename);
            part->has_filename = true;
        }
        p = param_value(eq + 1, end, out, out_len);
        if (p == NULL)
            return fail(why, why_len,
                        "a part's Content-Disposition has a malformed or too long %.*s "
                        "(names up to %d bytes, file names up to %d)",
                        (int)(klen > 20 ? 20 : klen), eq - klen, WF_MP_NAME_MAX - 1,
                        WF_MP_FILENAME_MAX - 1);
    }
    if (!have_name || part->name[0] == '\0')
        return fail(why, why_len, "a part has no name in its Content-Disposition");
    return 0;
}

/* Parses one part's header block [h, end) (CRLF-separated lines). */
static int part_headers(const char *h, const char *end, wf_mp_part_t *part, char *why,
                        size_t why_len)
{
    if (memchr(h, '\0', (size_t)(end - h)) != NULL)
        return fail(why, why_len, "a part's headers hold a NUL byte");
    bool have_cd = false;
    while (h < end) {
        const char *eol = memmem(h, (size_t)(end - h), "\r\n", 2);
        if (eol == NULL)
            eol = end;
        const char *colon = memchr(h, ':', (size_t)(eol - h));
        if (colon == NULL)
            return fail(why, why_len, "a part has a header line without ':'");
        size_t klen = (size_t)(colon - h);
        const char *v = colon + 1;
        if (klen == 19 && strncasecmp(h, "Content-Disposition", 19) == 0) {
            if (have_cd)
                return fail(why, why_len, "a part has two Content-Disposition headers");
            have_cd = true;
            if (disposition(v, eol, part, why, why_len) != 0)
                return -1;
        } else if (klen == 12 && strncasecmp(h, "Content-Type", 12) == 0) {
            while (v < eol && (*v == ' ' || *v == '\t'))
                v++;
            size_t n = (size_t)(eol - v);
            if (n >= sizeof(part->content_type))
                return fail(why, why_len, "a part's Content-Type is longer than %d bytes",
                            WF_MP_TYPE_MAX - 1);
            memcpy(part->content_type, v, n);
            part->content_type[n] = '\0';
        }
        h = eol + 2;
    }
    if (!have_cd)
        return fail(why, why_len, "a part has no Content-Disposition header");
    return 0;
}

int wf_mp_parse(const char *body, size_t len, const char *boundary, wf_mp_part_t *parts, char *why,
                size_t why_len)
{
    char delim[80]; /* "\r\n--" boundary */
    size_t blen = strlen(boundary);
    if (blen == 0 || blen > 70)
        return fail(why, why_len, "the multipart boundary must have 1 to 70 characters");
    int dlen = snprintf(delim, sizeof(delim), "\r\n--%s", boundary);
    const char *end = body + len;
    /* The first delimiter: at the very start, or after a preamble's CRLF. */
    const char *p;
    if (len >= (size_t)dlen - 2 && memcmp(body, delim + 2, (size_t)dlen - 2) == 0)
        p = body + dlen - 2;
    else {
        p = memmem(body, len, delim, (size_t)dlen);
        if (p == NULL)
            return fail(why, why_len, "the body does not hold the multipart boundary");
        p += dlen;
    }
    int n = 0;
    for (;;) {
        /* After a delimiter: "--" closes the body, else transport padding
         * and CRLF open a part. */
        if (end - p >= 2 && p[0] == '-' && p[1] == '-')
            return n;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
            return fail(why, why_len, "the body ends before its closing boundary (truncated)");
        p += 2;
        if (n >= WF_MP_MAX_PARTS)
            return fail(why, why_len, "more than %d parts", WF_MP_MAX_PARTS);
        size_t avail = (size_t)(end - p);
        size_t scan = avail < WF_MP_MAX_HEADERS + 4 ? avail : WF_MP_MAX_HEADERS + 4;
        const char *hend = memmem(p, scan, "\r\n\r\n", 4);
        const char *empty = (avail >= 2 && p[0] == '\r' && p[1] == '\n') ? p : NULL;
        if (hend == NULL && empty == NULL) {
            if (avail > WF_MP_MAX_HEADERS)
                return fail(why, why_len, "a part's headers exceed %d bytes", WF_MP_MAX_HEADERS);
            return fail(why, why_len, "the body ends inside a part's headers (truncated)");
        }
        wf_mp_part_t *part = &parts[n];
        memset(part, 0, sizeof(*part));
        const char *data;
        if (empty != NULL) {
            if (part_headers(p, p, part, why, why_len) != 0)
                return -1;
            data = p + 2;
        } else {
            if (part_headers(p, hend, part, why, why_len) != 0)
                return -1;
            data = hend + 4;
        }
        const char *next = memmem(data, (size_t)(end - data), delim, (size_t)dlen);
        if (next == NULL)
            return fail(why, why_len, "part '%s' has no closing boundary (truncated)", part->name);
        part->data = data;
        part->len = (size_t)(next - data);
        for (int i = 0; i < n; i++)
            if (strcmp(parts[i].name, part->name) == 0)
                return fail(why, why_len, "part '%s' appears twice", part->name);
        n++;
        p = next + dlen;
    }
}

int wf_mp_clean_filename(const char *in, char *out, size_t out_len)
{
    const char *base = in;
    for (const char *c = in; *c; c++)
        if (*c == '/' || *c == '\\')
            base = c + 1;
    size_t n = 0, cap = out_len - 1 < 200 ? out_len - 1 : 200;
    for (const unsigned char *c = (const unsigned char *)base; *c && n < cap; c++) {
        if (*c < 0x20 || *c == 0x7f || *c == '"')
            continue;
        out[n++] = (char)*c;
    }
    /* Never end in the middle of a UTF-8 sequence. */
    if (n == cap) {
        size_t k = n;
        while (k > 0 && ((unsigned char)out[k - 1] & 0xC0) == 0x80)
            k--;
        if (k > 0 && ((unsigned char)out[k - 1] & 0x80))
            n = k - 1;
    }
    out[n] = '\0';
    if (n == 0 || strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
        return -1;
    return 0;
}
