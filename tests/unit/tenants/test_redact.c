/* Redaction: every form of a secret disappears from output, whatever the
 * chunking of the stream; ordinary text passes through unchanged. */
#include <stdint.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "tenants/redact.h"
#include "tests/tap.h"

static char *redact(wf_redact_t *r, const char *s)
{
    return wf_redact_string(r, s, strlen(s), NULL);
}

static int check(wf_redact_t *r, const char *in, const char *want, const char *name)
{
    char *got = redact(r, in);
    int same = got != NULL && strcmp(got, want) == 0;
    ok(same, "%s", name);
    if (!same)
        printf("# in   \"%s\"\n# got  \"%s\"\n# want \"%s\"\n", in, got ? got : "(null)", want);
    free(got);
    return same;
}

typedef struct sink {
    char buf[1 << 16];
    size_t len;
} sink_t;

static void sink_out(void *ctx, const char *d, size_t n)
{
    sink_t *s = ctx;
    if (s->len + n < sizeof(s->buf)) {
        memcpy(s->buf + s->len, d, n);
        s->len += n;
    }
    s->buf[s->len] = 0;
}

static void b64(const char *in, char *out, int url, int pad)
{
    int n = EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)in, (int)strlen(in));
    if (!pad)
        while (n > 0 && out[n - 1] == '=')
            out[--n] = 0;
    for (int i = 0; url && i < n; i++)
        out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
}

static uint32_t rng = 12345;
static uint32_t rnd(void)
{
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
}

/* Hex and percent-encoded forms, as shell tools and URL encoders print
 * them, are masked like the value itself. */
static void test_hex_and_url(void)
{
    wf_redact_t *r = wf_redact_create();
    const char *v = "p@ss w/rd~*!";
    wf_redact_add(r, v, strlen(v));
    static const struct {
        const char *encoded, *name;
    } forms[] = {
        {"7040737320772f72647e2a21", "hex, lower case (xxd -p)"},
        {"7040737320772F72647E2A21", "hex, upper case"},
        {"p%40ss%20w%2Frd~%2A%21", "RFC 3986 (curl, jq @uri)"},
        {"p%40ss%20w%2frd~%2a%21", "RFC 3986, lower-case hex"},
        {"p%40ss+w%2Frd~%2A%21", "form encoding (Python quote_plus)"},
        {"p%40ss+w%2Frd%7E*%21", "Java URLEncoder / Pebble urlencode"},
        {"p%40ss%20w%2Frd~*!", "JavaScript encodeURIComponent"},
        {"p%40ss%20w/rd~%2A%21", "Python quote (keeps '/')"},
        {"%70%40%73%73%20%77%2F%72%64%7E%2A%21", "every byte encoded"},
        {"%70%40%73%73%20%77%2f%72%64%7e%2a%21", "every byte encoded, lower case"},
    };
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        char in[256], name[128];
        snprintf(in, sizeof(in), "url=https://h/?q=%s&x=1", forms[i].encoded);
        snprintf(name, sizeof(name), "masked: %s", forms[i].name);
        check(r, in, "url=https://h/?q=****&x=1", name);
    }
    /* inside a longer hex dump (the value at an odd byte offset too) */
    check(r,
          "dump: 00"
          "7040737320772f72647e2a21"
          "ff",
          "dump: 00****ff", "hex of the value inside a longer hex dump");
    /* ordinary hex and URLs pass */
    check(r, "sha 7040737320772f72 and q=p%40ss", "sha 7040737320772f72 and q=p%40ss",
          "partial encodings are not masked (the masked unit is the whole value)");
    wf_redact_destroy(r);
}

int main(void)
{
    test_hex_and_url();
    wf_redact_t *r = wf_redact_create();
    const char *pw = "hunter2-Sup3r?";
    const char *tok = "ghp_a1B2c3D4e5F6g7H8i9J0";
    wf_redact_add(r, pw, strlen(pw));
    wf_redact_add(r, tok, strlen(tok));
    wf_redact_add(r, "abc", 3); /* too short: ignored */
    wf_redact_add(r, "", 0);
    ok(wf_redact_pattern_count(r) > 2, "patterns include encodings (%zu)",
       wf_redact_pattern_count(r));

    check(r, "nothing secret here", "nothing secret here", "plain text unchanged");
    check(r, "", "", "empty input");
    check(r, "password=hunter2-Sup3r?", "password=****", "value at the end");
    check(r, "hunter2-Sup3r? is it", "**** is it", "value at the start");
    check(r, "a hunter2-Sup3r? b ghp_a1B2c3D4e5F6g7H8i9J0 c", "a **** b **** c", "two values");
    check(r, "hunter2-Sup3r?hunter2-Sup3r?", "****", "adjacent repeats collapse to one mask");
    check(r, "abc abcd", "abc abcd", "values under 4 bytes are not redacted");
    check(r, "hunter2-Sup3", "hunter2-Sup3", "a prefix of a value is not redacted");
    check(r, "Hunter2-Sup3r?", "Hunter2-Sup3r?", "matching is exact (case sensitive)");

    char enc[256], line[512];
    static const struct {
        int url, pad;
        const char *what;
    } forms[] = {{0, 1, "standard base64"},
                 {0, 0, "standard base64 without padding"},
                 {1, 1, "url-safe base64"},
                 {1, 0, "url-safe base64 without padding"}};
    for (size_t i = 0; i < 4; i++) {
        b64(pw, enc, forms[i].url, forms[i].pad);
        snprintf(line, sizeof(line), "token: %s end", enc);
        check(r, line, "token: **** end", forms[i].what);
    }
    /* The secret inside a larger encoded text, at each byte alignment. */
    static const char *prefixes[] = {"admin:", "admin1:", "admin12:"};
    for (int i = 0; i < 3; i++) {
        char plain[128];
        snprintf(plain, sizeof(plain), "%s%s", prefixes[i], pw);
        b64(plain, enc, 0, 1);
        snprintf(line, sizeof(line), "Authorization: Basic %s", enc);
        char *got = redact(r, line);
        ok(got && strstr(got, "****") && !strstr(got, enc),
           "password inside Basic auth base64 (offset %d mod 3) redacted: %s", i, got);
        free(got);
    }

    /* Overlapping distinct values merge into one mask. */
    wf_redact_t *o = wf_redact_create();
    wf_redact_add(o, "abcdef", 6);
    wf_redact_add(o, "defghi", 6);
    wf_redact_add(o, "xxxxxxxxxxxxzz", 14);
    check(o, "..abcdefghi..", "..****..", "overlapping values give one mask");
    check(o, "..abcdefg..", "..****g..", "longest value wins where it ends");
    check(o, "xxxxxxxxxxxxxxxxxxxxzz!", "xxxxxxxx****!", "value after a long run of its prefix");

    /* Multi-line value: each substantial line redacted on its own. */
    const char *pem =
        "-----BEGIN KEY-----\nMIIBVAIBADANBgkqhkiG9w0BAQEF\nAASCAT4wggE6AgEAAkEA\nab\n"
        "-----END KEY-----\n";
    wf_redact_add(o, pem, strlen(pem));
    check(o, "line: AASCAT4wggE6AgEAAkEA", "line: ****", "one line of a multi-line value");
    check(o, "ab cd", "ab cd", "short lines of a multi-line value are not redacted");

    /* Streaming: chunks of every size give the same output as one call. */
    const char *text = "start hunter2-Sup3r? mid aHVudGVyMi1TdXAzcj8= ghp_a1B2c3D4e5F6g7H8i9J0"
                       "\nnext line hunter2-Sup3r?\nend hunter2-Sup3";
    char *whole = redact(r, text);
    ok(whole && !strstr(whole, "hunter2-Sup3r?") && !strstr(whole, "ghp_"), "whole text redacted");
    int same_all = 1;
    for (size_t chunk = 1; chunk <= strlen(text); chunk++) {
        sink_t *sk = calloc(1, sizeof(*sk));
        wf_redact_stream_t *s = wf_redact_stream_create(r, sink_out, sk);
        for (size_t i = 0; i < strlen(text); i += chunk) {
            size_t n = strlen(text) - i < chunk ? strlen(text) - i : chunk;
            wf_redact_stream_feed(s, text + i, n);
        }
        wf_redact_stream_finish(s);
        if (whole == NULL || strcmp(sk->buf, whole) != 0) {
            same_all = 0;
            printf("# chunk %zu: \"%s\"\n", chunk, sk->buf);
        }
        wf_redact_stream_destroy(s);
        free(sk);
    }
    ok(same_all, "stream output identical for every chunk size");
    free(whole);

    /* Held-back bytes: a partial value waits, then is released by finish. */
    sink_t *sk = calloc(1, sizeof(*sk));
    wf_redact_stream_t *s = wf_redact_stream_create(r, sink_out, sk);
    wf_redact_stream_feed(s, "log: hunt", 9);
    is_str(sk->buf, "log: ", "possible start of a value is held back");
    wf_redact_stream_feed(s, "er2-Sup3r? ok\n", 14);
    is_str(sk->buf, "log: **** ok\n", "value split across chunks redacted");
    wf_redact_stream_feed(s, "tail hunt", 9);
    wf_redact_stream_finish(s);
    is_str(sk->buf, "log: **** ok\ntail hunt", "finish releases held bytes");
    wf_redact_stream_destroy(s);
    free(sk);

    /* Random texts with values planted at random places: no value survives,
     * and random chunking never changes the result. */
    int leaks = 0, mismatches = 0;
    const char *vals[] = {pw, tok};
    for (int round = 0; round < 300; round++) {
        char buf[600];
        size_t n = 0;
        while (n < 400) {
            if (rnd() % 8 == 0) {
                const char *v = vals[rnd() % 2];
                memcpy(buf + n, v, strlen(v));
                n += strlen(v);
            } else {
                buf[n++] = "ab hunter-Sup ghp_ \n"[rnd() % 20];
            }
        }
        buf[n] = 0;
        char *w = wf_redact_string(r, buf, n, NULL);
        if (w == NULL || strstr(w, pw) || strstr(w, tok))
            leaks++;
        sink_t *k = calloc(1, sizeof(*k));
        s = wf_redact_stream_create(r, sink_out, k);
        for (size_t i = 0; i < n;) {
            size_t c = 1 + rnd() % 40;
            if (c > n - i)
                c = n - i;
            wf_redact_stream_feed(s, buf + i, c);
            i += c;
        }
        wf_redact_stream_finish(s);
        if (w == NULL || strcmp(w, k->buf) != 0) {
            if (mismatches++ == 0)
                printf("# whole   \"%s\"\n# chunked \"%s\"\n", w ? w : "", k->buf);
        }
        wf_redact_stream_destroy(s);
        free(k);
        free(w);
    }
    is_int(leaks, 0, "no value survives in 300 random texts");
    is_int(mismatches, 0, "random chunking matches whole-text redaction");

    /* Binary-safe: NUL bytes in values and text. */
    wf_redact_t *bin = wf_redact_create();
    wf_redact_add(bin, "a\0b\0c", 5);
    size_t olen = 0;
    char *got = wf_redact_string(bin, "x a\0b\0c y", 9, &olen);
    ok(got && olen == 8 && memcmp(got, "x **** y", 8) == 0, "NUL bytes handled");
    free(got);

    wf_redact_t *empty = wf_redact_create();
    check(empty, "anything at all", "anything at all", "an empty redactor changes nothing");

    wf_redact_destroy(empty);
    wf_redact_destroy(bin);
    wf_redact_destroy(o);
    wf_redact_destroy(r);
    return tap_done();
}
