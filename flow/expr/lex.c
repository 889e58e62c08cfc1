/* Expression engine: the arena every compiled template lives in, source
 * positions, and the tokenizer for the inside of "{{ }}" and "{% %}". */
#include "flow/expr/internal.h"
#include "platform/text.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#define WF_ARENA_CHUNK 4096

void *wf_arena_alloc(wf_arena_t *a, size_t n)
{
    n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
    wf_arena_chunk_t *c = a->head;
    if (c == NULL || c->cap - c->used < n) {
        /* Reuse a kept chunk when reset left one that is big enough. */
        size_t cap = n > WF_ARENA_CHUNK ? n : WF_ARENA_CHUNK;
        if (c != NULL && c->used == 0 && c->cap >= n) {
            cap = c->cap;
        } else {
            /* Chunks grow so a big render needs few of them. */
            if (c != NULL && c->cap * 2 > cap && c->cap < (size_t)1 << 24)
                cap = c->cap * 2 > n ? c->cap * 2 : n;
            wf_arena_chunk_t *nc = malloc(sizeof(*nc) + cap);
            if (nc == NULL)
                return NULL;
            nc->next = c;
            nc->used = 0;
            nc->cap = cap;
            a->head = c = nc;
        }
    }
    void *p = (char *)c->data + c->used;
    c->used += n;
    a->total += n;
    memset(p, 0, n);
    return p;
}

char *wf_arena_strndup(wf_arena_t *a, const char *s, size_t n)
{
    char *p = wf_arena_alloc(a, n + 1);
    if (p == NULL)
        return NULL;
    if (n > 0)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void wf_arena_reset(wf_arena_t *a, int wipe)
{
    wf_arena_chunk_t *c = a->head;
    if (c == NULL)
        return;
    /* Keep the most recent (largest) chunk; free the rest. */
    wf_arena_chunk_t *rest = c->next;
    c->next = NULL;
    while (rest != NULL) {
        wf_arena_chunk_t *n = rest->next;
        if (wipe)
            OPENSSL_cleanse(rest->data, rest->used);
        free(rest);
        rest = n;
    }
    if (wipe)
        OPENSSL_cleanse(c->data, c->used);
    c->used = 0;
    a->total = 0;
}

void wf_arena_dispose(wf_arena_t *a, int wipe)
{
    wf_arena_reset(a, wipe);
    free(a->head);
    a->head = NULL;
}

void wf_expr_position(const char *src, size_t len, size_t off, int *line, int *col)
{
    int l = 1, c = 1;
    if (off > len)
        off = len;
    for (size_t i = 0; i < off; i++) {
        unsigned char ch = (unsigned char)src[i];
        if (ch == '\n') {
            l++;
            c = 1;
        } else if ((ch & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *col = c;
}

int wf_lex_error(wf_lexer_t *lx, size_t off, const char *fmt, ...)
{
    if (lx->err != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(lx->err->msg, sizeof(lx->err->msg), fmt, ap);
        va_end(ap);
        wf_expr_position(lx->src, lx->len, off, &lx->err->line, &lx->err->col);
    }
    return -1;
}

static int is_name_start(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* The character a one-letter escape stands for ("\\n" -> newline), or -1. */
static int simple_escape(char c)
{
    static const char from[] = "ntrbf0\\'\"/";
    static const char to[] = "\n\t\r\b\f\0\\'\"/";
    const char *p = c != '\0' ? strchr(from, c) : NULL;
    return p != NULL ? to[p - from] : -1;
}

static int lex_string(wf_lexer_t *lx, wf_tok_t *tok)
{
    size_t start = lx->pos;
    char quote = lx->src[lx->pos++];
    /* The unescaped value is never longer than the source text. */
    size_t end = lx->pos;
    while (end < lx->len && lx->src[end] != quote) {
        if (lx->src[end] == '\\')
            end++;
        end++;
    }
    if (end >= lx->len)
        return wf_lex_error(lx, start, "unterminated string");
    char *out = wf_arena_alloc(lx->arena, end - lx->pos + 1);
    if (out == NULL)
        return wf_lex_error(lx, start, "out of memory");
    size_t n = 0;
    while (lx->pos < end) {
        char c = lx->src[lx->pos++];
        if (c != '\\') {
            out[n++] = c;
            continue;
        }
        size_t esc = lx->pos - 1;
        c = lx->src[lx->pos++];
        int simple = simple_escape(c);
        if (simple >= 0) {
            out[n++] = (char)simple;
            continue;
        }
        switch (c) {
        case 'u': {
            unsigned cp = 0;
            for (int k = 0; k < 4; k++) {
                int h = lx->pos < end ? wf_hexval((unsigned char)lx->src[lx->pos]) : -1;
                if (h < 0)
                    return wf_lex_error(lx, esc, "invalid \\u escape: expected 4 hex digits");
                cp = cp * 16 + (unsigned)h;
                lx->pos++;
            }
            /* \uXXXX is at most 6 source bytes and at most 3 UTF-8 bytes;
             * surrogate halves are not characters. */
            if (cp >= 0xD800 && cp <= 0xDFFF)
                return wf_lex_error(lx, esc, "invalid \\u escape: surrogate code point");
            n += wf_utf8_put(out + n, cp);
            break;
        }
        default:
            return wf_lex_error(lx, esc, "unknown escape sequence '\\%c'", c);
        }
    }
    lx->pos = end + 1;
    out[n] = '\0';
    tok->kind = WF_TOK_STRING;
    tok->str = out;
    tok->slen = n;
    return 0;
}

static int lex_number(wf_lexer_t *lx, wf_tok_t *tok)
{
    size_t start = lx->pos, p = lx->pos;
    int is_float = 0;
    while (p < lx->len && is_digit((unsigned char)lx->src[p]))
        p++;
    /* "1..5" is a range, not the float "1." */
    if (p + 1 < lx->len && lx->src[p] == '.' && is_digit((unsigned char)lx->src[p + 1])) {
        is_float = 1;
        p++;
        while (p < lx->len && is_digit((unsigned char)lx->src[p]))
            p++;
    }
    if (p < lx->len && (lx->src[p] == 'e' || lx->src[p] == 'E')) {
        size_t q = p + 1;
        if (q < lx->len && (lx->src[q] == '+' || lx->src[q] == '-'))
            q++;
        if (q < lx->len && is_digit((unsigned char)lx->src[q])) {
            is_float = 1;
            p = q;
            while (p < lx->len && is_digit((unsigned char)lx->src[p]))
                p++;
        }
    }
    if (p < lx->len && is_name_start((unsigned char)lx->src[p]))
        return wf_lex_error(lx, start, "invalid number '%.*s'", (int)(p - start + 1),
                            lx->src + start);
    char buf[64];
    if (p - start >= sizeof(buf))
        return wf_lex_error(lx, start, "number literal too long");
    memcpy(buf, lx->src + start, p - start);
    buf[p - start] = '\0';
    errno = 0;
    if (is_float) {
        tok->kind = WF_TOK_FLOAT;
        tok->d = strtod(buf, NULL);
        if (errno == ERANGE)
            return wf_lex_error(lx, start, "number literal out of range");
    } else {
        tok->kind = WF_TOK_INT;
        tok->i = strtoll(buf, NULL, 10);
        if (errno == ERANGE)
            return wf_lex_error(lx, start, "integer literal too large");
    }
    lx->pos = p;
    return 0;
}

/* Two- and one-character operators, longest first. */
static const char *const wf_ops2[] = {"==", "!=", "<=", ">=", "??", "..", "||", "&&"};
static const char wf_ops1[] = "+-*/%~()[]{},:.?|=<>!";

int wf_lex_next(wf_lexer_t *lx, wf_tok_t *tok)
{
    memset(tok, 0, sizeof(*tok));
    while (lx->pos < lx->len && (lx->src[lx->pos] == ' ' || lx->src[lx->pos] == '\t' ||
                                 lx->src[lx->pos] == '\n' || lx->src[lx->pos] == '\r'))
        lx->pos++;
    tok->pos = (uint32_t)lx->pos;
    if (lx->pos >= lx->len) {
        tok->kind = WF_TOK_END; /* op "" = end of input */
        return 0;
    }
    const char *s = lx->src + lx->pos;
    size_t left = lx->len - lx->pos;
    /* The closing delimiter ends the expression only outside brackets, so
     * nested map literals such as {'a': {'b': 1}} need no spaces. */
    if (lx->close != 0 && lx->depth == 0) {
        size_t k = 0;
        if (s[0] == '-' && left >= 3 && s[1] == lx->close && s[2] == '}')
            k = 1;
        if (left >= k + 2 && s[k] == lx->close && s[k + 1] == '}') {
            tok->kind = WF_TOK_END;
            tok->op[0] = lx->close;
            tok->op[1] = '}';
            tok->i = (int64_t)k; /* 1 when "-" asks to trim what follows */
            tok->len = (uint32_t)(k + 2);
            lx->pos += k + 2;
            return 0;
        }
    }
    unsigned char c = (unsigned char)s[0];
    int rc;
    if (is_name_start(c)) {
        size_t n = 1;
        while (n < left && (is_name_start((unsigned char)s[n]) || is_digit((unsigned char)s[n])))
            n++;
        tok->kind = WF_TOK_NAME;
        tok->str = s;
        tok->slen = n;
        lx->pos += n;
        rc = 0;
    } else if (is_digit(c)) {
        rc = lex_number(lx, tok);
    } else if (c == '\'' || c == '"') {
        rc = lex_string(lx, tok);
    } else {
        tok->kind = WF_TOK_OP;
        for (size_t k = 0; k < sizeof(wf_ops2) / sizeof(wf_ops2[0]); k++) {
            if (left >= 2 && s[0] == wf_ops2[k][0] && s[1] == wf_ops2[k][1]) {
                memcpy(tok->op, s, 2);
                lx->pos += 2;
                tok->len = 2;
                return 0;
            }
        }
        if (c == 0 || strchr(wf_ops1, c) == NULL) {
            if (c < 0x20 || c >= 0x7F)
                return wf_lex_error(lx, lx->pos, "unexpected character (byte 0x%02x)", c);
            return wf_lex_error(lx, lx->pos, "unexpected character '%c'", c);
        }
        if (c == '(' || c == '[' || c == '{')
            lx->depth++;
        else if ((c == ')' || c == ']' || c == '}') && lx->depth > 0)
            lx->depth--;
        tok->op[0] = (char)c;
        lx->pos++;
        rc = 0;
    }
    if (rc == 0)
        tok->len = (uint32_t)(lx->pos - tok->pos);
    return rc;
}
