/* Redaction of secret values from task logs and outputs.
 *
 * A redactor is built once per task run from the secret values the task may
 * see; every occurrence of a value, of its base64 forms (standard and url-safe,
 * with or without padding), of its base64 form inside a longer base64 text
 * (the three byte alignments, e.g. a password inside an HTTP Basic header), of
 * its hex form (lower and upper case) and of its percent-encoded forms (as
 * RFC 3986, form encoding, JavaScript, Python and Java encoders write them,
 * with upper- or lower-case hex, and with every byte encoded) is replaced by
 * "****". Values shorter than 4 bytes are not redacted (they would
 * blank out ordinary text). A value that spans several lines is also redacted
 * line by line (lines of 8 bytes or more), so a multi-line key printed by a
 * line-oriented tool is caught too.
 *
 * Matching is one Aho–Corasick pass (linear in the input whatever the number
 * of values). The stream form keeps only the bytes that could still be the
 * start of a value, so it can be fed pipe chunks of any size; the bytes it
 * holds back are released by the next feed or by finish. A line-oriented
 * caller may call finish at every newline so that no line waits for the next
 * one: matching across lines is then lost, but each line of a multi-line value
 * is a pattern of its own. */
#ifndef WF_REDACT_H
#define WF_REDACT_H

#include <stddef.h>

#define WF_REDACT_MASK "****"
#define WF_REDACT_MIN_LEN 4

typedef struct wf_redact wf_redact_t;
typedef struct wf_redact_stream wf_redact_stream_t;

/* Receives redacted output. */
typedef void (*wf_redact_out_fn)(void *ctx, const char *data, size_t len);

/* Creates an empty redactor (redacts nothing until values are added). */
wf_redact_t *wf_redact_create(void);
/* Adds a secret value. The redactor keeps its own copies (wiped on destroy).
 * Must not be called once a stream exists. Returns 0, or -1 when out of memory. */
int wf_redact_add(wf_redact_t *r, const char *value, size_t len);
/* Number of patterns (values and their encodings) it matches; for tests. */
size_t wf_redact_pattern_count(const wf_redact_t *r);
/* Wipes and frees. */
void wf_redact_destroy(wf_redact_t *r);

/* Returns a malloc'd, NUL-terminated redacted copy of s[0..len) (*out_len set
 * when not NULL), or NULL when out of memory. */
char *wf_redact_string(wf_redact_t *r, const char *s, size_t len, size_t *out_len);

/* A stream over one output (stdout of a task, say); `r` must outlive it. */
wf_redact_stream_t *wf_redact_stream_create(wf_redact_t *r, wf_redact_out_fn out, void *ctx);
/* Feeds bytes; emits every byte that can no longer be part of a match. 0 or -1 (ENOMEM). */
int wf_redact_stream_feed(wf_redact_stream_t *s, const char *data, size_t len);
/* Emits what is held back (end of output). The stream can be reused after. */
int wf_redact_stream_finish(wf_redact_stream_t *s);
/* Wipes held bytes and frees. */
void wf_redact_stream_destroy(wf_redact_stream_t *s);

#endif
