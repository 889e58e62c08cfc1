/* multipart/form-data: well-formed bodies split into parts, and every
 * malformed or hostile body refused with its reason. */
#include <stdlib.h>
#include <string.h>

#include "api/multipart.h"
#include "tests/tap.h"

static wf_mp_part_t parts[WF_MP_MAX_PARTS];
static char why[256];

static int parse(const char *body, size_t len)
{
    why[0] = '\0';
    return wf_mp_parse(body, len, "XyZ", parts, why, sizeof(why));
}
#define PARSE(lit) parse(lit, sizeof(lit) - 1)

static void test_boundary(void)
{
    char b[71];
    const char *w = NULL;
    ok(wf_mp_boundary("multipart/form-data; boundary=abc123", b, &w) == 0 && !strcmp(b, "abc123"),
       "token boundary");
    ok(wf_mp_boundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b'c\"", b, &w) != 0,
       "a space in a quoted boundary is refused");
    ok(wf_mp_boundary("multipart/form-data;boundary=\"----x:y\"", b, &w) == 0 &&
           !strcmp(b, "----x:y"),
       "quoted boundary after another parameter");
    ok(wf_mp_boundary("multipart/form-data", b, &w) != 0 && strstr(w, "no boundary"),
       "missing boundary: %s", w);
    ok(wf_mp_boundary("multipart/form-data; boundary=", b, &w) != 0, "empty boundary refused");
    char lng[128] = "multipart/form-data; boundary=";
    memset(lng + strlen(lng), 'a', 71);
    ok(wf_mp_boundary(lng, b, &w) != 0 && strstr(w, "70"), "71-character boundary: %s", w);
    ok(wf_mp_boundary("application/json", b, &w) != 0, "not multipart");
    ok(wf_mp_boundary(NULL, b, &w) != 0, "no Content-Type");
    ok(wf_mp_boundary("multipart/form-data; boundary=\"abc", b, &w) != 0, "unclosed quote");
    ok(wf_mp_boundary("multipart/form-data; boundary=a\x01", b, &w) != 0,
       "control character in a boundary");
}

static void test_good(void)
{
    int n = PARSE("preamble\r\n--XyZ\r\n"
                  "Content-Disposition: form-data; name=\"who\"\r\n\r\n"
                  "world\r\n--XyZ\r\n"
                  "Content-Disposition: form-data; name=\"data\"; filename=\"a.csv\"\r\n"
                  "Content-Type: text/csv\r\n\r\n"
                  "x,y\r\n1,2\r\n\r\n--XyZ--\r\n");
    is_int(n, 2, "two parts (%s)", why);
    is_str(parts[0].name, "who", "field name");
    ok(!parts[0].has_filename && parts[0].len == 5 && !memcmp(parts[0].data, "world", 5),
       "field value");
    is_str(parts[1].filename, "a.csv", "file name");
    is_str(parts[1].content_type, "text/csv", "content type");
    ok(parts[1].len == 10 && !memcmp(parts[1].data, "x,y\r\n1,2\r\n", 10),
       "CRLFs inside content are kept");
    n = PARSE("--XyZ\r\nContent-Disposition: form-data; name=e\r\n\r\n\r\n--XyZ--");
    ok(n == 1 && parts[0].len == 0, "an empty part, unquoted name (%s)", why);
    /* Binary content with NULs and a near-boundary. */
    char bin[160];
    int l = snprintf(bin, sizeof(bin),
                     "--XyZ\r\nContent-Disposition: form-data; name=b; "
                     "filename=b\r\n\r\n");
    memcpy(bin + l, "\0\r\n--Xy\0", 8);
    l += 8;
    l += snprintf(bin + l, sizeof(bin) - (size_t)l, "\r\n--XyZ--");
    n = parse(bin, (size_t)l);
    ok(n == 1 && parts[0].len == 8 && parts[0].data[0] == '\0', "binary content with NULs");
    n = PARSE("--XyZ\r\nContent-Disposition: form-data; name=\"q\"; "
              "filename=\"we\\\"ird\\\\name\"\r\n\r\nx\r\n--XyZ--");
    ok(n == 1 && !strcmp(parts[0].filename, "we\"ird\\name"), "quoted-pair in a file name: %s",
       parts[0].filename);
}

static void test_attacks(void)
{
    int n = PARSE("no boundary here at all");
    ok(n < 0 && strstr(why, "does not hold"), "body without the boundary: %s", why);
    n = PARSE("--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nabc");
    ok(n < 0 && strstr(why, "truncated"), "truncated content: %s", why);
    n = PARSE("--XyZ\r\nContent-Disposition: form-data; name=\"a\"");
    ok(n < 0 && strstr(why, "truncated"), "truncated headers: %s", why);
    n = PARSE("--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nabc\r\n--XyZ");
    ok(n < 0 && strstr(why, "truncated"), "no closing '--': %s", why);
    n = PARSE("--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XyZ\r\n"
              "Content-Disposition: form-data; name=\"a\"\r\n\r\n2\r\n--XyZ--");
    ok(n < 0 && strstr(why, "twice"), "duplicate names: %s", why);
    n = PARSE("--XyZ\r\nContent-Type: text/plain\r\n\r\nx\r\n--XyZ--");
    ok(n < 0 && strstr(why, "Content-Disposition"), "no Content-Disposition: %s", why);
    n = PARSE("--XyZ\r\nContent-Disposition: attachment; name=a\r\n\r\nx\r\n--XyZ--");
    ok(n < 0 && strstr(why, "form-data"), "not form-data: %s", why);
    n = PARSE("--XyZ\r\nContent-Disposition: form-data; filename=a\r\n\r\nx\r\n--XyZ--");
    ok(n < 0 && strstr(why, "no name"), "no name: %s", why);
    n = PARSE("--XyZ\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--XyZ--");
    ok(n < 0, "unclosed quote in a name: %s", why);
    n = PARSE("--XyZ\r\nContent-Disposition: form-data; name=\"a\"; filename=\"a\0b\"\r\n\r\n"
              "x\r\n--XyZ--");
    ok(n < 0 && strstr(why, "NUL"), "NUL in a file name: %s", why);
    n = PARSE("--XyZ\r\nContent-Disposition: form-data; name=a\r\nContent-Disposition: "
              "form-data; name=b\r\n\r\nx\r\n--XyZ--");
    ok(n < 0 && strstr(why, "two"), "two dispositions: %s", why);
    n = PARSE("--XyZ\r\nX-Broken\r\n\r\nx\r\n--XyZ--");
    ok(n < 0 && strstr(why, "':'"), "header line without a colon: %s", why);
    /* Huge header block. */
    size_t big = 20000;
    char *b = malloc(big + 200);
    int l = snprintf(b, 200, "--XyZ\r\nContent-Disposition: form-data; name=a\r\nX-Pad: ");
    memset(b + l, 'p', big);
    l += (int)big;
    l += snprintf(b + l, 100, "\r\n\r\nx\r\n--XyZ--");
    n = parse(b, (size_t)l);
    ok(n < 0 && strstr(why, "exceed"), "headers past 8 KiB: %s", why);
    /* A name longer than its field. */
    l = snprintf(b, 200, "--XyZ\r\nContent-Disposition: form-data; name=\"");
    memset(b + l, 'n', 300);
    l += 300;
    l += snprintf(b + l, 100, "\"\r\n\r\nx\r\n--XyZ--");
    n = parse(b, (size_t)l);
    ok(n < 0 && strstr(why, "too long"), "name past 127 bytes: %s", why);
    /* Too many parts. */
    l = 0;
    for (int i = 0; i <= WF_MP_MAX_PARTS; i++)
        l += snprintf(b + l, 200, "--XyZ\r\nContent-Disposition: form-data; name=p%d\r\n\r\nv\r\n",
                      i);
    l += snprintf(b + l, 100, "--XyZ--");
    n = parse(b, (size_t)l);
    ok(n < 0 && strstr(why, "more than"), "65 parts: %s", why);
    free(b);
    n = parse("", 0);
    ok(n < 0, "empty body: %s", why);
}

static void test_filename(void)
{
    char out[256];
    ok(wf_mp_clean_filename("../../etc/passwd", out, sizeof(out)) == 0 && !strcmp(out, "passwd"),
       "path segments dropped: %s", out);
    ok(wf_mp_clean_filename("C:\\Users\\x\\data.csv", out, sizeof(out)) == 0 &&
           !strcmp(out, "data.csv"),
       "Windows path: %s", out);
    ok(wf_mp_clean_filename("a\"b\x01"
                            "c",
                            out, sizeof(out)) == 0 &&
           !strcmp(out, "abc"),
       "quote and control characters dropped: %s", out);
    ok(wf_mp_clean_filename("dir/..", out, sizeof(out)) != 0, "'..' refused");
    ok(wf_mp_clean_filename("dir/", out, sizeof(out)) != 0, "empty base name refused");
    ok(wf_mp_clean_filename(".", out, sizeof(out)) != 0, "'.' refused");
    char lng[400];
    memset(lng, 'a', 199);
    memcpy(lng + 199, "\xc3\xa9", 2); /* é across the 200-byte cut */
    lng[201] = '\0';
    ok(wf_mp_clean_filename(lng, out, sizeof(out)) == 0 && strlen(out) == 199,
       "cut before a split UTF-8 character (%zu bytes)", strlen(out));
    ok(wf_mp_clean_filename("r\xc3\xa9sum\xc3\xa9.pdf", out, sizeof(out)) == 0 &&
           !strcmp(out, "r\xc3\xa9sum\xc3\xa9.pdf"),
       "UTF-8 names kept");
}

int main(void)
{
    test_boundary();
    test_good();
    test_attacks();
    test_filename();
    printf("1..%d\n", tap_count);
    return tap_failed ? 1 : 0;
}
