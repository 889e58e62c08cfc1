/* `weft secret set|list|delete`: write-only secrets of a namespace. A value
 * is read from standard input or a file, never from the command line, and
 * the buffers that held it are wiped before they are freed. The server seals
 * it to the owning domain's key; nothing ever gives it back. */
#include <errno.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/client.h"
#include "cli/out.h"
#include "cli/verb.h"
#include "cli/verbs.h"
#include "platform/cmd.h"
#include "platform/xmalloc.h"

#define MAX_SECRET (1024 * 1024)

typedef struct {
    char *data;
    size_t len, cap;
} sbuf_t;

/* Grows by copying so that no unwiped copy of a secret is left behind
 * (realloc may move the data and free the old block as it is). */
static int sbuf_add(sbuf_t *b, const char *p, size_t n)
{
    if (b->len + n + 1 > MAX_SECRET)
        return -1;
    if (b->len + n + 1 > b->cap) {
        /* The value's size is the caller's: no memory is an error for it. */
        size_t cap = (b->len + n + 1) * 2;
        char *d = malloc(cap);
        if (d == NULL)
            return -1;
        if (b->data != NULL) {
            memcpy(d, b->data, b->len);
            OPENSSL_cleanse(b->data, b->cap);
            free(b->data);
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

static void sbuf_wipe(sbuf_t *b)
{
    if (b->data != NULL) {
        OPENSSL_cleanse(b->data, b->cap);
        free(b->data);
    }
    memset(b, 0, sizeof(*b));
}

/* Reads all of `f` (a terminal: one line without echo). */
static int read_value(FILE *f, bool from_file, sbuf_t *out)
{
    char chunk[4096];
    size_t n;
    int rc = 0;
    struct termios old, quiet;
    bool tty = !from_file && isatty(fileno(f)) && tcgetattr(fileno(f), &old) == 0;
    if (tty) {
        fprintf(stderr, "value: ");
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(fileno(f), TCSAFLUSH, &quiet);
        if (fgets(chunk, sizeof(chunk), f) != NULL)
            rc = sbuf_add(out, chunk, strlen(chunk));
        tcsetattr(fileno(f), TCSAFLUSH, &old);
        fputc('\n', stderr);
    } else {
        while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
            rc = sbuf_add(out, chunk, n);
        if (ferror(f))
            rc = -1;
    }
    OPENSSL_cleanse(chunk, sizeof(chunk));
    /* From stdin, `echo value |` adds a newline nobody means to keep; a
     * file is taken byte for byte. */
    if (rc == 0 && !from_file && out->len > 0 && out->data[out->len - 1] == '\n') {
        out->data[--out->len] = '\0';
        if (out->len > 0 && out->data[out->len - 1] == '\r')
            out->data[--out->len] = '\0';
    }
    return rc;
}

/* Valid UTF-8 without NUL bytes (JSON strings cannot carry anything else). */
static bool utf8_ok(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        size_t k = c < 0x80             ? 0
                   : (c & 0xe0) == 0xc0 ? 1
                   : (c & 0xf0) == 0xe0 ? 2
                   : (c & 0xf8) == 0xf0 ? 3
                                        : 9;
        if (c == 0 || k == 9 || (k == 1 && c < 0xc2) || i + k >= n)
            return false;
        for (size_t j = 1; j <= k; j++)
            if ((s[i + j] & 0xc0) != 0x80)
                return false;
        i += k + 1;
    }
    return true;
}

/* {"value": "<escaped>"} written into a wiped buffer by hand, so that no
 * library keeps a copy of the value. */
static int value_body(const sbuf_t *v, sbuf_t *body)
{
    static const char hex[] = "0123456789abcdef";
    if (sbuf_add(body, "{\"value\":\"", 10) != 0)
        return -1;
    for (size_t i = 0; i < v->len; i++) {
        unsigned char c = (unsigned char)v->data[i];
        char e[7];
        size_t n = 0;
        if (c == '"' || c == '\\') {
            e[n++] = '\\';
            e[n++] = (char)c;
        } else if (c < 0x20) {
            memcpy(e, "\\u00", 4);
            e[4] = hex[c >> 4];
            e[5] = hex[c & 15];
            n = 6;
        } else {
            e[n++] = (char)c;
        }
        if (sbuf_add(body, e, n) != 0)
            return -1;
    }
    return sbuf_add(body, "\"}", 2);
}

static const weft_opt_t set_table[] = {
    {"from-file", 0, "FILE", 0, "take the value from FILE, byte for byte"},
    {NULL, 0, NULL, 0, NULL},
};

static int secret_set(weft_t *w, void *ud)
{
    const char *from_file = *(const char **)ud;
    sbuf_t value = {0}, body = {0};
    weft_resp_t r = {0};
    int rc = 0;
    FILE *f = from_file ? fopen(from_file, "rb") : stdin;
    if (f == NULL) {
        weft_err(w, "cannot read %s: %s", from_file, strerror(errno));
        rc = WEFT_EXIT_USAGE;
        goto out;
    }
    int rr = read_value(f, from_file != NULL, &value);
    if (f != stdin)
        fclose(f);
    if (rr != 0 || value.len == 0) {
        weft_err(w, rr != 0 ? "cannot read the value (at most 1 MiB)" : "the value is empty");
        rc = WEFT_EXIT_USAGE;
        goto out;
    }
    if (!utf8_ok((const unsigned char *)value.data, value.len)) {
        weft_err(w, "the value must be UTF-8 text without NUL bytes (base64-encode binary "
                    "data)");
        rc = WEFT_EXIT_USAGE;
        goto out;
    }
    if (value_body(&value, &body) != 0) {
        weft_err(w, "the value is too large");
        rc = WEFT_EXIT_USAGE;
        goto out;
    }
    sbuf_wipe(&value);
    char *path = weft_pathf("/api/v1/namespaces/%s/secrets/%s", w->pos[0], w->pos[1]);
    rc = weft_call(w, "PUT", path, "application/json", body.data, body.len, &r);
    free(path);
    sbuf_wipe(&body);
    if (rc != 0)
        goto out;
    if (r.status >= 400) {
        weft_print_problem(w, &r, NULL);
        rc = WEFT_EXIT_FAIL;
        goto out;
    }
    char b[32];
    const char *ver = weft_jtext(r.json, "version", b, sizeof(b));
    if (w->fmt != WEFT_OUT_TABLE && r.json != NULL)
        weft_out_doc(w, r.json);
    else
        printf("set  %s/%s%s%s\n", w->pos[0], w->pos[1], ver ? "  version " : "", ver ? ver : "");
out:
    sbuf_wipe(&value);
    sbuf_wipe(&body);
    weft_resp_dispose(&r);
    return rc;
}

static const weft_verb_t secret_set_verb = {
    .usage = {"weft secret set NAMESPACE KEY [--from-file FILE]",
              "Sets secret KEY of NAMESPACE (a new version) from standard input (one final\n"
              "newline dropped; a terminal asks without echo) or from FILE. The value is\n"
              "never taken from the command line and never shown again: flows read it\n"
              "with {{ secret('KEY') }}.",
              2, 2},
    .opts = set_table,
    .opts_size = sizeof(const char *),
    .run = secret_set,
};

const wf_cmd_t weft_secret_commands[] = {
    WEFT_VERB("set", secret_set_verb, "set a secret from stdin or a file (never from argv)"),
    WEFT_SIMPLE("list", "list secret names and versions (never values)"),
    WEFT_SIMPLE("delete", "delete a secret"),
    WF_CMD_END,
};
