/* Expression engine: string, collection and encoding filters. Each takes its
 * input in args[0] and its parameters after it (see funcs.c). */
#include "flow/expr/filters.h"
#include "platform/regex.h"
#include "platform/text.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <locale.h>
#include <wctype.h>

#include <openssl/evp.h>

/* Text of the input; non-strings are converted as they would print. */
static int in_str(wf_eval_t *ev, const wf_node_t *n, const wf_val_t *v, const char **s, size_t *len)
{
    return wf_ev_str(ev, n, v, s, len);
}

static char *out_buf(wf_eval_t *ev, const wf_node_t *n, size_t len)
{
    char *p = wf_ev_alloc(ev, n, len + 1);
    if (p != NULL)
        p[len] = '\0';
    return p;
}

/* Decodes one UTF-8 sequence; invalid bytes read as themselves (Latin-1). */
static unsigned utf8_get(const unsigned char *s, size_t len, size_t *used)
{
    unsigned c = s[0];
    size_t need = c >= 0xF0 && c < 0xF8 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (c >= 0xF8 || (c >= 0x80 && c < 0xC0) || need > len) {
        *used = 1;
        return c;
    }
    unsigned cp = need == 1 ? c : need == 2 ? c & 0x1F : need == 3 ? c & 0x0F : c & 0x07;
    for (size_t k = 1; k < need; k++) {
        if ((s[k] & 0xC0) != 0x80) {
            *used = 1;
            return c;
        }
        cp = (cp << 6) | (s[k] & 0x3F);
    }
    *used = need;
    return cp;
}

size_t wf_utf8_len(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += ((unsigned char)s[i] & 0xC0) != 0x80;
    return count;
}

/* Byte offset of the k-th character (n when past the end). */
static size_t utf8_offset(const char *s, size_t n, size_t k)
{
    size_t i = 0;
    while (i < n && k > 0) {
        i++;
        while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
        k--;
    }
    return i;
}

void wf_utf8_char(const char *s, size_t n, size_t k, wf_val_t *out)
{
    size_t from = utf8_offset(s, n, k);
    size_t to = from + utf8_offset(s + from, n - from, 1);
    wf_val_str(out, s + from, to - from);
}

enum { CASE_UPPER, CASE_LOWER, CASE_TITLE, CASE_CAPITALIZE };

/* Case mapping character by character. A mapped character may need more
 * bytes than the original (rare), so the buffer allows 4 per input byte. */
static int map_case(wf_eval_t *ev, const wf_node_t *n, const wf_val_t *in, int mode, wf_val_t *out)
{
    const char *s;
    size_t len;
    if (in_str(ev, n, in, &s, &len) < 0)
        return -1;
    char *o = wf_ev_alloc(ev, n, len * 4 + 1);
    if (o == NULL)
        return -1;
    /* Unicode case tables come from the C.UTF-8 locale, opened per call
     * rather than installed process-wide; without it only ASCII maps. */
    int ascii = 1;
    for (size_t i = 0; i < len && ascii; i++)
        ascii = (unsigned char)s[i] < 0x80;
    locale_t loc = ascii ? (locale_t)0 : newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    size_t w = 0;
    int word_start = 1, first = 1;
    for (size_t i = 0; i < len;) {
        size_t used;
        unsigned cp = utf8_get((const unsigned char *)s + i, len - i, &used);
        unsigned m = cp;
        int up = mode == CASE_UPPER || (mode == CASE_TITLE && word_start) ||
                 (mode == CASE_CAPITALIZE && first);
        int down = mode == CASE_LOWER; /* title, like Pebble, leaves the rest as is */
        if (up)
            m = (unsigned)(loc ? towupper_l((wint_t)cp, loc) : towupper((wint_t)cp));
        else if (down)
            m = (unsigned)(loc ? towlower_l((wint_t)cp, loc) : towlower((wint_t)cp));
        word_start = cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r';
        first = 0;
        if (m == cp) {
            memcpy(o + w, s + i, used);
            w += used;
        } else {
            w += wf_utf8_put(o + w, m);
        }
        i += used;
    }
    if (loc)
        freelocale(loc);
    o[w] = '\0';
    wf_val_str(out, o, w);
    return 0;
}

int wf_f_upper(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    return map_case(ev, n, &a[0], CASE_UPPER, out);
}

int wf_f_lower(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    return map_case(ev, n, &a[0], CASE_LOWER, out);
}

int wf_f_title(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    return map_case(ev, n, &a[0], CASE_TITLE, out);
}

int wf_f_capitalize(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    return map_case(ev, n, &a[0], CASE_CAPITALIZE, out);
}

int wf_f_trim(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    const char *s;
    size_t len;
    if (in_str(ev, n, &a[0], &s, &len) < 0)
        return -1;
    while (len > 0 && strchr(" \t\r\n\f\v", s[0]) != NULL) {
        s++;
        len--;
    }
    while (len > 0 && strchr(" \t\r\n\f\v", s[len - 1]) != NULL)
        len--;
    wf_val_str(out, s, len);
    return 0;
}

static int need_str(wf_eval_t *ev, const wf_node_t *n, const wf_val_t *v, const char *what)
{
    if (v->t == WV_STR)
        return 0;
    return wf_ev_error(ev, n, "%s expects a string, got %s", what, wf_val_type(v));
}

/* Appends s[0..len) with every `from` replaced by `to` into a new buffer. */
static int replace_all(wf_eval_t *ev, const wf_node_t *n, const char *s, size_t len,
                       const char *from, size_t flen, const char *to, size_t tlen, wf_val_t *out)
{
    if (flen == 0) {
        wf_val_str(out, s, len);
        return 0;
    }
    size_t count = 0;
    for (const char *p = s; (p = memmem(p, len - (size_t)(p - s), from, flen)) != NULL; p += flen)
        count++;
    if (count == 0) {
        wf_val_str(out, s, len);
        return 0;
    }
    size_t olen = len - count * flen;
    if (tlen > 0 && count > (ev->lim.max_memory - olen) / tlen)
        return wf_ev_error(ev, n, "expression memory limit exceeded (%zu bytes)",
                           ev->lim.max_memory);
    olen += count * tlen;
    char *o = out_buf(ev, n, olen);
    if (o == NULL)
        return -1;
    size_t w = 0;
    const char *p = s, *q;
    while ((q = memmem(p, len - (size_t)(p - s), from, flen)) != NULL) {
        memcpy(o + w, p, (size_t)(q - p));
        w += (size_t)(q - p);
        memcpy(o + w, to, tlen);
        w += tlen;
        p = q + flen;
    }
    memcpy(o + w, p, len - (size_t)(p - s));
    wf_val_str(out, o, olen);
    return 0;
}

int wf_f_replace(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    const char *s;
    size_t len;
    if (in_str(ev, n, &a[0], &s, &len) < 0)
        return -1;
    wf_val_t cur;
    wf_val_str(&cur, s, len);
    if (a[1].t == WV_OBJ) { /* replace({'from': 'to', ...}), applied in order */
        if (a[2].t != WV_UNDEF)
            return wf_ev_error(ev, n, "replace: with a map of pairs, give no second argument");
        const char *key;
        json_t *val;
        json_object_foreach(a[1].j, key, val)
        {
            wf_val_t tv;
            const char *ts;
            size_t tl;
            wf_val_of_json(val, &tv);
            if (wf_ev_str(ev, n, &tv, &ts, &tl) < 0 ||
                replace_all(ev, n, cur.s, cur.n, key, strlen(key), ts, tl, &cur) < 0)
                return -1;
        }
        *out = cur;
        return 0;
    }
    if (a[1].t != WV_STR || a[2].t == WV_UNDEF)
        return wf_ev_error(ev, n,
                           "replace expects a map of pairs or two strings (search, "
                           "replacement)");
    const char *ts;
    size_t tl;
    if (wf_ev_str(ev, n, &a[2], &ts, &tl) < 0)
        return -1;
    return replace_all(ev, n, s, len, a[1].s, a[1].n, ts, tl, out);
}

/* A delimiter without any regular-expression metacharacter means itself:
 * split on it with memmem, at any subject length. */
static bool literal_delimiter(const char *d, size_t dl)
{
    for (size_t i = 0; i < dl; i++)
        if (strchr("\\^$.|?*+()[]{}", d[i]) != NULL)
            return false;
    return true;
}

/* Appends s[from, to) to `arr`, counting what the list costs as it grows. */
static int split_piece(wf_eval_t *ev, const wf_node_t *n, json_t *arr, const char *s, size_t from,
                       size_t to)
{
    size_t pieces = json_array_size(arr);
    if (ev->mem + ev->rt->arena.total + pieces * 64 + to > ev->lim.max_memory)
        return wf_ev_error(ev, n, "expression memory limit exceeded (%zu bytes)",
                           ev->lim.max_memory);
    json_t *piece = json_stringn(s + from, to - from);
    if (piece == NULL || json_array_append_new(arr, piece) < 0)
        return wf_ev_error(ev, n, "split: input is not valid UTF-8");
    return 0;
}

/* Java's String.split(regex, limit), which Pebble's split calls: the
 * delimiter is a regular expression (PCRE2 with the budget of
 * platform/regex.h; a delimiter without metacharacters is matched literally,
 * with the same result); limit > 0 gives at most that many items, the last
 * holding the rest; 0 (the default) drops trailing empty items; < 0 keeps
 * them. A zero-width match at the start makes no leading empty item, and the
 * search goes on one character after a zero-width match. */
int wf_f_split(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    const char *s;
    size_t len;
    if (in_str(ev, n, &a[0], &s, &len) < 0 || need_str(ev, n, &a[1], "split delimiter") < 0)
        return -1;
    int64_t limit = 0;
    if (a[2].t == WV_INT)
        limit = a[2].i;
    else if (a[2].t != WV_UNDEF)
        return wf_ev_error(ev, n, "split limit must be an integer, got %s", wf_val_type(&a[2]));
    const char *d = a[1].s;
    size_t dl = a[1].n;
    wf_regex_t *re = NULL;
    if (!literal_delimiter(d, dl)) {
        char err[200];
        if (memchr(d, '\0', dl) != NULL)
            return wf_ev_error(ev, n, "split delimiter contains a NUL byte");
        re = wf_regex_cached(d, WF_REGEX_SEARCH, err, sizeof(err), NULL);
        if (re == NULL)
            return wf_ev_error(ev, n, "split delimiter is not a valid regular expression: %s", err);
        if (len > WF_REGEX_MAX_FIND) {
            wf_regex_release(re);
            return wf_ev_error(ev, n,
                               "split: a regular-expression delimiter splits at most %d bytes "
                               "(got %zu); a delimiter without metacharacters has no limit",
                               WF_REGEX_MAX_FIND, len);
        }
    }
    json_t *arr = json_array();
    if (arr == NULL) {
        if (re != NULL)
            wf_regex_release(re);
        return wf_ev_error(ev, n, "out of memory");
    }
    size_t index = 0, search = 0, prev_start = SIZE_MAX, prev_end = SIZE_MAX;
    int rc = 0;
    for (;;) {
        /* Matcher.find: after a zero-width match, look one character on */
        if (prev_start == prev_end && prev_end != SIZE_MAX) {
            if (search >= len)
                break;
            search += utf8_offset(s + search, len - search, 1);
        }
        if (search > len)
            break;
        size_t ms, me;
        if (re == NULL) {
            const char *q = memmem(s + search, len - search, d, dl);
            if (q == NULL)
                break;
            ms = (size_t)(q - s);
            me = ms + dl;
        } else {
            wf_regex_result_t r = wf_regex_find(re, s, len, search, &ms, &me);
            if (r == WF_REGEX_NOMATCH)
                break;
            if (r != WF_REGEX_MATCH) {
                rc = wf_ev_error(ev, n, "split: %s", WF_REGEX_TOO_COSTLY_MSG);
                break;
            }
        }
        prev_start = ms;
        prev_end = me;
        search = me;
        if (limit > 0 && (int64_t)json_array_size(arr) >= limit - 1)
            break;
        if (index == 0 && ms == 0 && me == 0)
            continue; /* no leading empty item for a zero-width match at the start */
        if ((rc = split_piece(ev, n, arr, s, index, ms)) < 0)
            break;
        index = me;
    }
    if (re != NULL)
        wf_regex_release(re);
    if (rc == 0)
        rc = split_piece(ev, n, arr, s, index, len);
    if (rc < 0) {
        json_decref(arr);
        return -1;
    }
    if (limit == 0 && index > 0) /* Java drops trailing empty items (not a lone input) */
        while (json_array_size(arr) > 0 &&
               json_string_length(json_array_get(arr, json_array_size(arr) - 1)) == 0)
            json_array_remove(arr, json_array_size(arr) - 1);
    return wf_ev_keep(ev, n, arr, len + json_array_size(arr) * 64, out);
}

int wf_f_starts_with(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    const char *s, *p;
    size_t len, pl;
    if (in_str(ev, n, &a[0], &s, &len) < 0 || wf_ev_str(ev, n, &a[1], &p, &pl) < 0)
        return -1;
    wf_val_bool(out, pl <= len && memcmp(s, p, pl) == 0);
    return 0;
}

int wf_f_ends_with(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    const char *s, *p;
    size_t len, pl;
    if (in_str(ev, n, &a[0], &s, &len) < 0 || wf_ev_str(ev, n, &a[1], &p, &pl) < 0)
        return -1;
    wf_val_bool(out, pl <= len && memcmp(s + len - pl, p, pl) == 0);
    return 0;
}

/* As Java's URLEncoder (what Pebble uses): space becomes '+'. */
int wf_f_urlencode(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    const char *s;
    size_t len;
    if (in_str(ev, n, &a[0], &s, &len) < 0)
        return -1;
    char *o = wf_ev_alloc(ev, n, len * 3 + 1);
    if (o == NULL)
        return -1;
    size_t w = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '.' || c == '-' || c == '*' || c == '_')
            o[w++] = (char)c;
        else if (c == ' ')
            o[w++] = '+';
        else
            w += (size_t)sprintf(o + w, "%%%02X", c);
    }
    o[w] = '\0';
    wf_val_str(out, o, w);
    return 0;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int wf_f_base64encode(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    const unsigned char *s;
    size_t len;
    if (in_str(ev, n, &a[0], (const char **)&s, &len) < 0)
        return -1;
    size_t olen = (len + 2) / 3 * 4;
    char *o = out_buf(ev, n, olen);
    if (o == NULL)
        return -1;
    size_t w = 0;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)s[i] << 16;
        if (i + 1 < len)
            v |= (unsigned)s[i + 1] << 8;
        if (i + 2 < len)
            v |= s[i + 2];
        o[w++] = b64[(v >> 18) & 63];
        o[w++] = b64[(v >> 12) & 63];
        o[w++] = i + 1 < len ? b64[(v >> 6) & 63] : '=';
        o[w++] = i + 2 < len ? b64[v & 63] : '=';
    }
    wf_val_str(out, o, olen);
    return 0;
}

int wf_f_base64decode(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    const char *s;
    size_t len;
    if (in_str(ev, n, &a[0], &s, &len) < 0)
        return -1;
    char *o = out_buf(ev, n, len / 4 * 3 + 3);
    if (o == NULL)
        return -1;
    unsigned acc = 0;
    int bits = 0;
    size_t w = 0, pad = 0, sym = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '\n' || c == '\r')
            continue;
        if (c == '=') {
            pad++;
            continue;
        }
        const char *p = c != '\0' ? strchr(b64, c) : NULL;
        if (p == NULL || pad > 0)
            return wf_ev_error(ev, n, "base64decode: invalid character at offset %zu", i);
        acc = (acc << 6) | (unsigned)(p - b64);
        bits += 6;
        sym++;
        if (bits >= 8) {
            bits -= 8;
            o[w++] = (char)((acc >> bits) & 0xFF);
        }
    }
    if ((sym + pad) % 4 != 0 || pad > 2 || sym % 4 == 1)
        return wf_ev_error(ev, n, "base64decode: input length is not a multiple of 4");
    o[w] = '\0';
    wf_val_str(out, o, w);
    return 0;
}

int wf_f_sha256(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    const char *s;
    size_t len;
    unsigned char md[32];
    unsigned mdlen = 0;
    if (in_str(ev, n, &a[0], &s, &len) < 0)
        return -1;
    if (EVP_Digest(s, len, md, &mdlen, EVP_sha256(), NULL) != 1)
        return wf_ev_error(ev, n, "sha256: digest failed");
    char *o = out_buf(ev, n, 64);
    if (o == NULL)
        return -1;
    wf_hex_put(o, md, mdlen);
    wf_val_str(out, o, 64);
    return 0;
}

/* ---- any value ---- */

static int is_empty(const wf_val_t *v)
{
    return v->t == WV_UNDEF || v->t == WV_NULL || (v->t == WV_STR && v->n == 0) ||
           (v->t == WV_ARR && json_array_size(v->j) == 0) ||
           (v->t == WV_OBJ && json_object_size(v->j) == 0);
}

int wf_f_default(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    (void)ev;
    (void)n;
    *out = is_empty(&a[0]) ? a[1] : a[0];
    return 0;
}

int wf_f_length(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    switch (a[0].t) {
    case WV_STR:
        wf_val_int(out, (int64_t)wf_utf8_len(a[0].s, a[0].n));
        return 0;
    case WV_ARR:
        wf_val_int(out, (int64_t)json_array_size(a[0].j));
        return 0;
    case WV_OBJ:
        wf_val_int(out, (int64_t)json_object_size(a[0].j));
        return 0;
    case WV_NULL:
        wf_val_int(out, 0);
        return 0;
    default:
        return wf_ev_error(ev, n, "length expects a string, list or map, got %s",
                           wf_val_type(&a[0]));
    }
}

static int first_last(wf_eval_t *ev, const wf_node_t *n, const wf_val_t *in, int last,
                      wf_val_t *out)
{
    if (in->t == WV_ARR) {
        size_t size = json_array_size(in->j);
        if (size == 0)
            out->t = WV_NULL;
        else
            wf_val_of_json(json_array_get(in->j, last ? size - 1 : 0), out);
        return 0;
    }
    if (in->t == WV_STR) {
        size_t chars = wf_utf8_len(in->s, in->n);
        if (chars == 0) {
            out->t = WV_NULL;
            return 0;
        }
        size_t from = last ? utf8_offset(in->s, in->n, chars - 1) : 0;
        size_t to = last ? in->n : utf8_offset(in->s, in->n, 1);
        wf_val_str(out, in->s + from, to - from);
        return 0;
    }
    return wf_ev_error(ev, n, "%s expects a list or string, got %s", last ? "last" : "first",
                       wf_val_type(in));
}

int wf_f_first(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    return first_last(ev, n, &a[0], 0, out);
}

int wf_f_last(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    return first_last(ev, n, &a[0], 1, out);
}

int wf_f_join(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    const char *sep = "";
    size_t sl = 0;
    if (a[0].t != WV_ARR)
        return wf_ev_error(ev, n, "join expects a list, got %s", wf_val_type(&a[0]));
    if (a[1].t != WV_UNDEF && wf_ev_str(ev, n, &a[1], &sep, &sl) < 0)
        return -1;
    size_t count = json_array_size(a[0].j), total = 0;
    const char **parts = wf_ev_alloc(ev, n, (count + 1) * sizeof(char *) * 2);
    if (parts == NULL)
        return -1;
    size_t *lens = (size_t *)(parts + count + 1);
    for (size_t i = 0; i < count; i++) {
        wf_val_t item;
        wf_val_of_json(json_array_get(a[0].j, i), &item);
        if (wf_ev_str(ev, n, &item, &parts[i], &lens[i]) < 0)
            return -1;
        total += lens[i] + (i ? sl : 0);
    }
    char *o = out_buf(ev, n, total);
    if (o == NULL)
        return -1;
    size_t w = 0;
    for (size_t i = 0; i < count; i++) {
        if (i) {
            memcpy(o + w, sep, sl);
            w += sl;
        }
        memcpy(o + w, parts[i], lens[i]);
        w += lens[i];
    }
    wf_val_str(out, o, total);
    return 0;
}

static int index_arg(wf_eval_t *ev, const wf_node_t *n, const wf_val_t *v, const char *name,
                     int64_t dflt, int64_t *out)
{
    if (v->t == WV_UNDEF) {
        *out = dflt;
        return 0;
    }
    if (v->t != WV_INT)
        return wf_ev_error(ev, n, "slice %s must be an integer, got %s", name, wf_val_type(v));
    *out = v->i;
    return 0;
}

int wf_f_slice(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    size_t size;
    if (a[0].t == WV_ARR)
        size = json_array_size(a[0].j);
    else if (a[0].t == WV_STR)
        size = wf_utf8_len(a[0].s, a[0].n);
    else
        return wf_ev_error(ev, n, "slice expects a list or string, got %s", wf_val_type(&a[0]));
    int64_t from = 0, to = 0;
    if (index_arg(ev, n, &a[1], "fromIndex", 0, &from) < 0 ||
        index_arg(ev, n, &a[2], "toIndex", (int64_t)size, &to) < 0)
        return -1;
    if (from < 0 || to > (int64_t)size || from > to)
        return wf_ev_error(ev, n, "slice(%lld, %lld) is out of range for a %s of length %zu",
                           (long long)from, (long long)to, wf_val_type(&a[0]), size);
    if (a[0].t == WV_STR) {
        size_t b = utf8_offset(a[0].s, a[0].n, (size_t)from);
        size_t e = utf8_offset(a[0].s, a[0].n, (size_t)to);
        wf_val_str(out, a[0].s + b, e - b);
        return 0;
    }
    json_t *arr = json_array();
    for (int64_t i = from; arr != NULL && i < to; i++)
        if (json_array_append(arr, json_array_get(a[0].j, (size_t)i)) < 0) {
            json_decref(arr);
            arr = NULL;
        }
    return wf_ev_keep(ev, n, arr, (size_t)(to - from) * 16, out);
}

static int keys_values(wf_eval_t *ev, const wf_node_t *n, const wf_val_t *in, int values,
                       wf_val_t *out)
{
    if (in->t != WV_OBJ)
        return wf_ev_error(ev, n, "%s expects a map, got %s", values ? "values" : "keys",
                           wf_val_type(in));
    json_t *arr = json_array();
    const char *key;
    json_t *val;
    json_object_foreach(in->j, key, val)
    {
        if (arr == NULL)
            break;
        if (json_array_append_new(arr, values ? json_incref(val) : json_string(key)) < 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    return wf_ev_keep(ev, n, arr, json_object_size(in->j) * 48, out);
}

int wf_f_keys(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    return keys_values(ev, n, &a[0], 0, out);
}

int wf_f_values(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    return keys_values(ev, n, &a[0], 1, out);
}

static int cmp_json(const void *x, const void *y)
{
    const json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;
    if (json_is_number(a)) {
        double p = json_number_value(a), q = json_number_value(b);
        if (json_is_integer(a) && json_is_integer(b)) {
            json_int_t i = json_integer_value(a), j = json_integer_value(b);
            return (i > j) - (i < j);
        }
        return (p > q) - (p < q);
    }
    size_t la = json_string_length(a), lb = json_string_length(b);
    int c = memcmp(json_string_value(a), json_string_value(b), la < lb ? la : lb);
    return c != 0 ? c : (la > lb) - (la < lb);
}

int wf_f_sort(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    if (a[0].t != WV_ARR)
        return wf_ev_error(ev, n, "sort expects a list, got %s", wf_val_type(&a[0]));
    size_t count = json_array_size(a[0].j);
    int nums = 0, strs = 0;
    for (size_t i = 0; i < count; i++) {
        json_t *it = json_array_get(a[0].j, i);
        nums += json_is_number(it);
        strs += json_is_string(it);
    }
    if ((size_t)nums != count && (size_t)strs != count)
        return wf_ev_error(ev, n, "sort expects a list of numbers or a list of strings");
    json_t **items = wf_ev_alloc(ev, n, (count + 1) * sizeof(*items));
    if (items == NULL)
        return -1;
    for (size_t i = 0; i < count; i++)
        items[i] = json_array_get(a[0].j, i);
    qsort(items, count, sizeof(*items), cmp_json);
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < count; i++)
        if (json_array_append(arr, items[i]) < 0) {
            json_decref(arr);
            arr = NULL;
        }
    return wf_ev_keep(ev, n, arr, count * 16, out);
}

int wf_f_abs(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    if (a[0].t == WV_INT) {
        if (a[0].i == INT64_MIN)
            return wf_ev_error(ev, n, "integer overflow in abs");
        wf_val_int(out, a[0].i < 0 ? -a[0].i : a[0].i);
        return 0;
    }
    if (a[0].t == WV_DBL) {
        out->t = WV_DBL;
        out->d = fabs(a[0].d);
        return 0;
    }
    return wf_ev_error(ev, n, "abs expects a number, got %s", wf_val_type(&a[0]));
}

int wf_f_number(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    int want = 0; /* 0 = as written, 1 = integer, 2 = floating point */
    if (a[1].t != WV_UNDEF) {
        static const char *const types[] = {"INT", "LONG", "FLOAT", "DOUBLE", "BIGDECIMAL"};
        if (a[1].t != WV_STR)
            return wf_ev_error(ev, n, "number type must be a string");
        for (int k = 0; k < 5; k++)
            if (strlen(types[k]) == a[1].n && strncasecmp(a[1].s, types[k], a[1].n) == 0)
                want = k < 2 ? 1 : 2;
        if (want == 0)
            return wf_ev_error(ev, n, "number type must be INT, LONG, FLOAT or DOUBLE");
    }
    wf_val_t v = a[0];
    if (v.t == WV_STR) {
        char buf[64];
        size_t len = v.n;
        const char *s = v.s;
        while (len > 0 && (*s == ' ' || *s == '\t')) {
            s++;
            len--;
        }
        while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
            len--;
        if (len == 0 || len >= sizeof(buf))
            return wf_ev_error(ev, n, "'%.*s' is not a number", (int)(v.n > 40 ? 40 : v.n), v.s);
        memcpy(buf, s, len);
        buf[len] = '\0';
        char *end;
        errno = 0;
        long long i = strtoll(buf, &end, 10);
        if (*end == '\0' && errno == 0) {
            wf_val_int(&v, i);
        } else {
            errno = 0;
            double d = strtod(buf, &end);
            if (*end != '\0' || errno != 0 || isnan(d) || isinf(d) ||
                strspn(buf, "0123456789+-.eE") != len)
                return wf_ev_error(ev, n, "'%s' is not a number", buf);
            v.t = WV_DBL;
            v.d = d;
        }
    } else if (v.t != WV_INT && v.t != WV_DBL) {
        return wf_ev_error(ev, n, "number expects a string or number, got %s", wf_val_type(&v));
    }
    if (want == 1 && v.t == WV_DBL) {
        if (!(v.d > -9.2e18 && v.d < 9.2e18))
            return wf_ev_error(ev, n, "number is out of the integer range");
        wf_val_int(&v, (int64_t)v.d);
    } else if (want == 2 && v.t == WV_INT) {
        v.t = WV_DBL;
        v.d = (double)v.i;
    }
    *out = v;
    return 0;
}

int wf_f_to_json(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    json_t *j = wf_ev_json(ev, n, &a[0]);
    if (j == NULL)
        return -1;
    char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
    json_decref(j);
    if (s == NULL)
        return wf_ev_error(ev, n, "out of memory");
    size_t len = strlen(s);
    char *o = out_buf(ev, n, len);
    if (o != NULL) {
        memcpy(o, s, len);
        wf_val_str(out, o, len);
    }
    free(s);
    return o != NULL ? 0 : -1;
}

int wf_f_from_json(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    if (a[0].t != WV_STR)
        return wf_ev_error(ev, n, "fromJson expects a string, got %s", wf_val_type(&a[0]));
    /* Parsing costs a few times the text in memory: count it first. */
    if (a[0].n > ev->lim.max_memory / 4)
        return wf_ev_error(ev, n, "expression memory limit exceeded (%zu bytes)",
                           ev->lim.max_memory);
    json_error_t je;
    json_t *j = json_loadb(a[0].s, a[0].n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (j == NULL)
        return wf_ev_error(ev, n, "invalid JSON: %s (line %d, column %d)", je.text, je.line,
                           je.column);
    if (json_is_array(j) || json_is_object(j))
        return wf_ev_keep(ev, n, j, a[0].n * 4, out);
    /* scalars: copy out of the parsed value, then drop it */
    wf_val_of_json(j, out);
    if (out->t == WV_STR) {
        char *o = out_buf(ev, n, out->n);
        if (o == NULL) {
            json_decref(j);
            return -1;
        }
        memcpy(o, out->s, out->n);
        out->s = o;
    }
    json_decref(j);
    return 0;
}

/* reverse: a list back to front, or a string character by character. */
int wf_f_reverse(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    if (a[0].t == WV_STR) {
        char *o = out_buf(ev, n, a[0].n);
        if (o == NULL)
            return -1;
        size_t w = a[0].n;
        for (size_t i = 0; i < a[0].n;) {
            size_t k = utf8_offset(a[0].s + i, a[0].n - i, 1);
            w -= k;
            memcpy(o + w, a[0].s + i, k);
            i += k;
        }
        wf_val_str(out, o, a[0].n);
        return 0;
    }
    if (a[0].t != WV_ARR)
        return wf_ev_error(ev, n, "reverse expects a list or string, got %s", wf_val_type(&a[0]));
    size_t count = json_array_size(a[0].j);
    json_t *arr = json_array();
    for (size_t i = count; arr != NULL && i-- > 0;)
        if (json_array_append(arr, json_array_get(a[0].j, i)) < 0) {
            json_decref(arr);
            arr = NULL;
        }
    return wf_ev_keep(ev, n, arr, count * 16, out);
}

int wf_f_rsort(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    wf_val_t sorted;
    if (wf_f_sort(ev, n, a, &sorted) < 0)
        return -1;
    return wf_f_reverse(ev, n, &sorted, out);
}

/* merge: two lists end to end, or two maps with the argument's keys winning. */
int wf_f_merge(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    json_t *r = NULL;
    if (a[0].t == WV_ARR && a[1].t == WV_ARR) {
        r = json_array();
        if (r != NULL && (json_array_extend(r, a[0].j) < 0 || json_array_extend(r, a[1].j) < 0)) {
            json_decref(r);
            r = NULL;
        }
    } else if (a[0].t == WV_OBJ && a[1].t == WV_OBJ) {
        r = json_object();
        if (r != NULL && (json_object_update(r, a[0].j) < 0 || json_object_update(r, a[1].j) < 0)) {
            json_decref(r);
            r = NULL;
        }
    } else {
        return wf_ev_error(ev, n, "merge expects two lists or two maps, got %s and %s",
                           wf_val_type(&a[0]), wf_val_type(&a[1]));
    }
    size_t size = a[0].t == WV_ARR ? json_array_size(r) : json_object_size(r);
    return wf_ev_keep(ev, n, r, size * 48, out);
}

/* abbreviate(length): at most `length` characters, ending with "..." when cut. */
int wf_f_abbreviate(wf_eval_t *ev, const wf_node_t *n, wf_val_t *a, wf_val_t *out)
{
    const char *s;
    size_t len;
    if (in_str(ev, n, &a[0], &s, &len) < 0)
        return -1;
    if (a[1].t != WV_INT || a[1].i < 0)
        return wf_ev_error(ev, n, "abbreviate length must be a non-negative integer");
    size_t chars = wf_utf8_len(s, len), max = (size_t)a[1].i;
    if (chars <= max) {
        wf_val_str(out, s, len);
        return 0;
    }
    size_t keep = max > 3 ? max - 3 : 0;
    size_t cut = utf8_offset(s, len, keep);
    size_t dots = max < 3 ? max : 3;
    char *o = out_buf(ev, n, cut + dots);
    if (o == NULL)
        return -1;
    memcpy(o, s, cut);
    memcpy(o + cut, "...", dots);
    wf_val_str(out, o, cut + dots);
    return 0;
}
