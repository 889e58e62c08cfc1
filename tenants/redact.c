#include "tenants/redact.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

/* Trie node of the Aho–Corasick automaton. Children are a sibling list (most
 * nodes have one child); the root has a dense table because nearly every byte
 * of ordinary output goes back to it. */
typedef struct node {
    uint32_t first_child, next_sibling; /* 0 = none (the root is never a child) */
    uint32_t fail;                      /* longest proper suffix that is a trie node */
    uint32_t depth;
    uint32_t out_len; /* longest pattern ending here (own or through fail links), 0 = none */
    uint8_t byte;
    bool terminal;
} node_t;

struct wf_redact {
    node_t *nodes;
    size_t n_nodes, cap;
    size_t n_patterns;
    bool built;
    uint32_t root_next[256];
};

typedef struct interval {
    uint64_t s, e;  /* absolute offsets, e exclusive */
    bool announced; /* its mask has been written */
} interval_t;

struct wf_redact_stream {
    wf_redact_t *r;
    wf_redact_out_fn out;
    void *ctx;
    uint32_t state;
    char *pend; /* bytes not yet emitted, starting at absolute offset `base` */
    size_t pend_len, pend_cap;
    uint64_t base;
    interval_t *iv; /* covered ranges not yet fully emitted, ordered */
    size_t iv_head, iv_len, iv_cap;
    uint64_t mask_end; /* where the last mask written ends (UINT64_MAX: none) */
};

/* Growth that wipes the old block: these arrays hold secret bytes. */
static void *grow(void *old, size_t old_size, size_t new_size)
{
    void *p = malloc(new_size);
    if (p == NULL)
        return NULL;
    if (old != NULL) {
        memcpy(p, old, old_size);
        OPENSSL_cleanse(old, old_size);
        free(old);
    }
    return p;
}

wf_redact_t *wf_redact_create(void)
{
    wf_redact_t *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->cap = 64;
    r->nodes = calloc(r->cap, sizeof(node_t));
    if (r->nodes == NULL) {
        free(r);
        return NULL;
    }
    r->n_nodes = 1; /* the root */
    return r;
}

void wf_redact_destroy(wf_redact_t *r)
{
    if (r == NULL)
        return;
    OPENSSL_cleanse(r->nodes, r->cap * sizeof(node_t));
    free(r->nodes);
    OPENSSL_cleanse(r, sizeof(*r));
    free(r);
}

size_t wf_redact_pattern_count(const wf_redact_t *r)
{
    return r->n_patterns;
}

static uint32_t child_of(const wf_redact_t *r, uint32_t n, uint8_t c)
{
    for (uint32_t ch = r->nodes[n].first_child; ch != 0; ch = r->nodes[ch].next_sibling)
        if (r->nodes[ch].byte == c)
            return ch;
    return 0;
}

static int insert(wf_redact_t *r, const uint8_t *p, size_t n)
{
    uint32_t cur = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t ch = child_of(r, cur, p[i]);
        if (ch == 0) {
            if (r->n_nodes == r->cap) {
                if (r->cap > UINT32_MAX / 4)
                    return -1;
                node_t *nn = grow(r->nodes, r->cap * sizeof(node_t), 2 * r->cap * sizeof(node_t));
                if (nn == NULL)
                    return -1;
                memset(nn + r->cap, 0, r->cap * sizeof(node_t));
                r->nodes = nn;
                r->cap *= 2;
            }
            ch = (uint32_t)r->n_nodes++;
            r->nodes[ch].byte = p[i];
            r->nodes[ch].depth = r->nodes[cur].depth + 1;
            r->nodes[ch].next_sibling = r->nodes[cur].first_child;
            r->nodes[cur].first_child = ch;
        }
        cur = ch;
    }
    if (!r->nodes[cur].terminal) {
        r->nodes[cur].terminal = true;
        r->n_patterns++;
    }
    r->built = false;
    return 0;
}

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Base64 of p[0..n) into out (4*ceil(n/3) bytes); returns the length. */
static size_t b64(const uint8_t *p, size_t n, const char *alpha, bool pad, uint8_t *out)
{
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        out[o++] = (uint8_t)alpha[v >> 18];
        out[o++] = (uint8_t)alpha[(v >> 12) & 63];
        out[o++] = (uint8_t)alpha[(v >> 6) & 63];
        out[o++] = (uint8_t)alpha[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
        out[o++] = (uint8_t)alpha[v >> 18];
        out[o++] = (uint8_t)alpha[(v >> 12) & 63];
        if (i + 1 < n)
            out[o++] = (uint8_t)alpha[(v >> 6) & 63];
        if (pad) {
            out[o++] = '=';
            if (i + 1 == n)
                out[o++] = '=';
        }
    }
    return o;
}

/* Adds the base64 encodings of v: whole (padded and not) and, for a value
 * sitting at byte offset k ≡ 0,1,2 (mod 3) inside a longer encoded text, the
 * characters that depend on the value's bytes only. */
static int add_b64_forms(wf_redact_t *r, const uint8_t *v, size_t n, const char *alpha)
{
    int rc = -1;
    size_t cap = 4 * ((n + 2) / 3 + 1);
    uint8_t *in = malloc(n + 2), *enc = malloc(cap);
    if (in == NULL || enc == NULL)
        goto out;
    size_t len = b64(v, n, alpha, true, enc);
    if (insert(r, enc, len) != 0)
        goto out;
    len = b64(v, n, alpha, false, enc);
    if (insert(r, enc, len) != 0)
        goto out;
    for (size_t k = 0; k < 3; k++) {
        memset(in, 0, k);
        memcpy(in + k, v, n);
        len = b64(in, n + k, alpha, false, enc);
        /* Character i carries bits [6i, 6i+6); the value owns bits [8k, 8(k+n)). */
        size_t first = (8 * k + 5) / 6, end = 8 * (k + n) / 6;
        if (end > len)
            end = len;
        if (end >= first + WF_REDACT_MIN_LEN && insert(r, enc + first, end - first) != 0)
            goto out;
    }
    rc = 0;
out:
    if (in != NULL)
        OPENSSL_cleanse(in, n + 2);
    if (enc != NULL)
        OPENSSL_cleanse(enc, cap);
    free(in);
    free(enc);
    return rc;
}

/* Hex of v in both letter cases: `xxd -p`, `od`, sha tools' input dumps.
 * A hex text is byte-aligned, so the value inside a longer dump is always
 * this very string. */
static int add_hex_forms(wf_redact_t *r, const uint8_t *v, size_t n)
{
    static const char lower[] = "0123456789abcdef", upper[] = "0123456789ABCDEF";
    uint8_t *enc = malloc(2 * n);
    if (enc == NULL)
        return -1;
    int rc = 0;
    for (const char *digits = lower; rc == 0 && digits != NULL;
         digits = digits == lower ? upper : NULL) {
        for (size_t i = 0; i < n; i++) {
            enc[2 * i] = (uint8_t)digits[v[i] >> 4];
            enc[2 * i + 1] = (uint8_t)digits[v[i] & 15];
        }
        rc = insert(r, enc, 2 * n);
    }
    OPENSSL_cleanse(enc, 2 * n);
    free(enc);
    return rc;
}

/* Percent-encoding as common encoders write it: which bytes they keep,
 * whether a space becomes '+', the case of the hex digits. Letters and
 * digits are always kept except by the last two, which encode every byte. */
static const struct url_form {
    const char *keep; /* punctuation kept as is */
    bool plus;        /* ' ' -> '+' (form encoding) */
    bool all;         /* every byte as %XX */
    bool lower;       /* %2f rather than %2F */
} url_forms[] = {
    {"-._~", false, false, false},      /* RFC 3986, curl, jq @uri, Go PathEscape */
    {"-._~", false, false, true},       /* the same with lower-case hex */
    {"-._~", true, false, false},       /* Python quote_plus, URLSearchParams */
    {"-._*", true, false, false},       /* Java URLEncoder, Pebble's urlencode */
    {"-._~!*'()", false, false, false}, /* JavaScript encodeURIComponent */
    {"-._~/", false, false, false},     /* Python quote */
    {"", false, true, false},           {"", false, true, true},
};

static int add_url_forms(wf_redact_t *r, const uint8_t *v, size_t n)
{
    uint8_t *enc = malloc(3 * n);
    if (enc == NULL)
        return -1;
    int rc = 0;
    for (size_t f = 0; rc == 0 && f < sizeof(url_forms) / sizeof(url_forms[0]); f++) {
        const struct url_form *u = &url_forms[f];
        const char *digits = u->lower ? "0123456789abcdef" : "0123456789ABCDEF";
        size_t o = 0;
        for (size_t i = 0; i < n; i++) {
            uint8_t c = v[i];
            bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
            if (!u->all && (alnum || (c != '\0' && strchr(u->keep, c) != NULL))) {
                enc[o++] = c;
            } else if (!u->all && u->plus && c == ' ') {
                enc[o++] = '+';
            } else {
                enc[o++] = '%';
                enc[o++] = (uint8_t)digits[c >> 4];
                enc[o++] = (uint8_t)digits[c & 15];
            }
        }
        /* a value with nothing to encode is its own encoding: already in */
        rc = insert(r, enc, o);
    }
    OPENSSL_cleanse(enc, 3 * n);
    free(enc);
    return rc;
}

int wf_redact_add(wf_redact_t *r, const char *value, size_t len)
{
    const uint8_t *v = (const uint8_t *)value;
    if (len < WF_REDACT_MIN_LEN)
        return 0;
    if (insert(r, v, len) != 0 || add_b64_forms(r, v, len, b64_std) != 0 ||
        add_b64_forms(r, v, len, b64_url) != 0 || add_hex_forms(r, v, len) != 0 ||
        add_url_forms(r, v, len) != 0)
        return -1;
    if (memchr(v, '\n', len) == NULL)
        return 0;
    /* Multi-line value: each substantial line on its own as well. */
    for (size_t i = 0; i < len;) {
        const uint8_t *nl = memchr(v + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - v) : len, n = e - i;
        if (n > 0 && v[i + n - 1] == '\r')
            n--;
        if (n >= 8 && insert(r, v + i, n) != 0)
            return -1;
        i = e + 1;
    }
    return 0;
}

/* Goto with failure links; from the root the dense table answers directly. */
static uint32_t step(const wf_redact_t *r, uint32_t st, uint8_t c)
{
    while (st != 0) {
        uint32_t ch = child_of(r, st, c);
        if (ch != 0)
            return ch;
        st = r->nodes[st].fail;
    }
    return r->root_next[c];
}

/* Breadth-first pass computing failure links and output lengths. */
static int build(wf_redact_t *r)
{
    uint32_t *queue = malloc(r->n_nodes * sizeof(uint32_t));
    size_t qh = 0, qt = 0;
    if (queue == NULL)
        return -1;
    memset(r->root_next, 0, sizeof(r->root_next));
    for (uint32_t ch = r->nodes[0].first_child; ch != 0; ch = r->nodes[ch].next_sibling) {
        r->root_next[r->nodes[ch].byte] = ch;
        r->nodes[ch].fail = 0;
        queue[qt++] = ch;
    }
    r->nodes[0].out_len = 0;
    while (qh < qt) {
        uint32_t u = queue[qh++];
        node_t *nu = &r->nodes[u];
        uint32_t own = nu->terminal ? nu->depth : 0, inh = r->nodes[nu->fail].out_len;
        nu->out_len = own > inh ? own : inh;
        for (uint32_t ch = nu->first_child; ch != 0; ch = r->nodes[ch].next_sibling) {
            r->nodes[ch].fail = step(r, nu->fail, r->nodes[ch].byte);
            queue[qt++] = ch;
        }
    }
    free(queue);
    r->built = true;
    return 0;
}

wf_redact_stream_t *wf_redact_stream_create(wf_redact_t *r, wf_redact_out_fn out, void *ctx)
{
    if (!r->built && build(r) != 0)
        return NULL;
    wf_redact_stream_t *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->r = r;
    s->out = out;
    s->ctx = ctx;
    s->mask_end = UINT64_MAX;
    return s;
}

void wf_redact_stream_destroy(wf_redact_stream_t *s)
{
    if (s == NULL)
        return;
    if (s->pend != NULL)
        OPENSSL_cleanse(s->pend, s->pend_cap);
    free(s->pend);
    free(s->iv);
    free(s);
}

/* Records covered range [st, e); ranges arrive with increasing e. Overlapping
 * or touching ranges merge so that one run of secrets prints one mask. */
static int cover(wf_redact_stream_t *s, uint64_t st, uint64_t e)
{
    bool announced = false;
    while (s->iv_len > 0) {
        interval_t *back = &s->iv[s->iv_head + s->iv_len - 1];
        if (back->e < st)
            break;
        if (back->s < st)
            st = back->s;
        if (back->e > e)
            e = back->e;
        announced = announced || back->announced; /* its mask is already out */
        s->iv_len--;
    }
    if (s->iv_head + s->iv_len == s->iv_cap) {
        if (s->iv_head > 0) {
            memmove(s->iv, s->iv + s->iv_head, s->iv_len * sizeof(interval_t));
            s->iv_head = 0;
        } else {
            size_t cap = s->iv_cap ? 2 * s->iv_cap : 16;
            interval_t *n = realloc(s->iv, cap * sizeof(interval_t));
            if (n == NULL)
                return -1;
            s->iv = n;
            s->iv_cap = cap;
        }
    }
    s->iv[s->iv_head + s->iv_len++] = (interval_t){st, e, announced};
    return 0;
}

/* Emits pending bytes up to absolute offset `cut`, masks for covered ranges. */
static void emit(wf_redact_stream_t *s, uint64_t cut)
{
    uint64_t cur = s->base;
    if (cut == cur)
        return; /* nothing to release (and maybe no buffer yet) */
    while (cur < cut) {
        interval_t *f = s->iv_len > 0 ? &s->iv[s->iv_head] : NULL;
        if (f != NULL && f->s <= cur) {
            /* A range that starts where the previous mask ended continues it:
             * one mask, as when both arrive in the same chunk. */
            if (!f->announced && s->mask_end != cur)
                s->out(s->ctx, WF_REDACT_MASK, sizeof(WF_REDACT_MASK) - 1);
            f->announced = true;
            cur = f->e < cut ? f->e : cut;
            s->mask_end = cur;
            if (f->e <= cut) {
                s->iv_head++;
                s->iv_len--;
            }
        } else {
            uint64_t next = f != NULL && f->s < cut ? f->s : cut;
            s->out(s->ctx, s->pend + (cur - s->base), (size_t)(next - cur));
            cur = next;
        }
    }
    if (s->iv_len == 0)
        s->iv_head = 0;
    size_t done = (size_t)(cut - s->base), left = s->pend_len - done;
    memmove(s->pend, s->pend + done, left);
    OPENSSL_cleanse(s->pend + left, done); /* no stale copy of emitted bytes */
    s->pend_len = left;
    s->base = cut;
}

int wf_redact_stream_feed(wf_redact_stream_t *s, const char *data, size_t len)
{
    const wf_redact_t *r = s->r;
    if (len == 0)
        return 0;
    if (s->pend_len + len > s->pend_cap) {
        size_t cap = s->pend_cap ? s->pend_cap : 256;
        while (cap < s->pend_len + len)
            cap *= 2;
        char *p = grow(s->pend, s->pend_len, cap);
        if (p == NULL)
            return -1;
        s->pend = p;
        s->pend_cap = cap;
    }
    memcpy(s->pend + s->pend_len, data, len);
    uint64_t pos = s->base + s->pend_len;
    s->pend_len += len;
    for (size_t i = 0; i < len; i++, pos++) {
        s->state = step(r, s->state, (uint8_t)data[i]);
        uint32_t m = r->nodes[s->state].out_len;
        if (m != 0 && cover(s, pos + 1 - m, pos + 1) != 0)
            return -1;
    }
    /* Bytes before the current partial match can no longer be covered by a
     * future match: any later match starts inside the current state's string. */
    emit(s, pos - r->nodes[s->state].depth);
    return 0;
}

int wf_redact_stream_finish(wf_redact_stream_t *s)
{
    emit(s, s->base + s->pend_len);
    s->state = 0;
    s->iv_head = s->iv_len = 0;
    s->mask_end = UINT64_MAX;
    return 0;
}

typedef struct strbuf {
    char *p;
    size_t len, cap;
    bool oom;
} strbuf_t;

static void strbuf_out(void *ctx, const char *data, size_t len)
{
    strbuf_t *b = ctx;
    if (b->oom)
        return;
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + len + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, len);
    b->len += len;
    b->p[b->len] = '\0';
}

char *wf_redact_string(wf_redact_t *r, const char *str, size_t len, size_t *out_len)
{
    strbuf_t b = {0};
    strbuf_out(&b, "", 0);
    wf_redact_stream_t *s = wf_redact_stream_create(r, strbuf_out, &b);
    if (s == NULL || wf_redact_stream_feed(s, str, len) != 0 || wf_redact_stream_finish(s) != 0)
        b.oom = true;
    wf_redact_stream_destroy(s);
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    if (out_len != NULL)
        *out_len = b.len;
    return b.p;
}
