/* The HTTP side of `weft`: resolves where to connect and with which token
 * (flags, then WEFT_URL/WEFT_TOKEN, then the config file's context), sends
 * requests with libcurl, and turns application/problem+json answers into one
 * clear line plus detail. One client per process; the token is wiped on exit. */
#ifndef WF_CLI_CLIENT_H
#define WF_CLI_CLIENT_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "cli/args.h"

typedef struct weft_resp {
    long status; /* HTTP status */
    char *ctype; /* Content-Type, or NULL */
    char *body;  /* NUL-terminated body (owned) */
    size_t len;
    json_t *json; /* parsed body when it is JSON, else NULL (owned) */
} weft_resp_t;

/* Resolves the URL and token and opens the client. Returns 0, or the exit
 * code (2) after printing why there is nothing to connect to. */
int weft_connect(weft_t *w);
void weft_client_destroy(weft_client_t *c);
/* Where the connection came from, for messages: "--url", "WEFT_URL",
 * "context NAME". */
const char *weft_client_source(const weft_t *w);
/* URL of the server (without a trailing slash). */
const char *weft_client_url(const weft_t *w);

/* Sends METHOD PATH (path and query, already escaped) with an optional body.
 * Returns 0 when the server answered (any status), 2 on a connection error
 * (printed). */
int weft_call(weft_t *w, const char *method, const char *path, const char *ctype, const char *body,
              size_t len, weft_resp_t *r);
/* weft_call with extra request headers ("Name: value" lines, NULL-ended;
 * NULL for none), such as the ttl of `weft kv set`. */
int weft_call_with(weft_t *w, const char *method, const char *path, const char *ctype,
                   const char *body, size_t len, const char *const *headers, weft_resp_t *r);
/* weft_call plus the status check: returns 0 for 2xx, 1 after printing the
 * problem for an error status, 2 on connection errors. */
int weft_request(weft_t *w, const char *method, const char *path, const json_t *body,
                 weft_resp_t *r);
void weft_resp_dispose(weft_resp_t *r);
/* Prints an error answer: "PROG: error: TITLE (STATUS): DETAIL", then the
 * positioned errors or reason it carries. `file` replaces the server's file
 * name in positioned errors (NULL keeps it). */
void weft_print_problem(const weft_t *w, const weft_resp_t *r, const char *file);

/* GETs every page of a paginated list (PATH already holds its query; page
 * and size are appended) and returns the concatenated "results" array in
 * `*out` (new reference). Returns 0, 1 (problem printed) or 2. */
int weft_get_all(weft_t *w, const char *path, json_t **out);

/* Server-sent events: GET PATH and calls `fn` for every event until the
 * stream ends or `fn` returns non-zero. Returns 0 at the end of the stream,
 * fn's non-zero value, 1 (problem printed) on an error status, 2 on a
 * connection error, WEFT_SSE_TIMEOUT (nothing printed) when `timeout_s`
 * (0: none) ran out first. */
#define WEFT_SSE_TIMEOUT (-2)
typedef int (*weft_sse_fn)(void *ud, const char *event, const char *data);
int weft_sse(weft_t *w, const char *path, double timeout_s, weft_sse_fn fn, void *ud);

/* GET PATH and writes a 2xx body to `out` as it arrives (never the whole
 * body in memory); an error answer is kept in `r` instead, for
 * weft_print_problem. Returns 0 when the server answered and, for a 2xx,
 * every byte it announced arrived (`*written` counts them); 2 on a
 * connection error or a transfer cut short (printed). */
int weft_download(weft_t *w, const char *path, FILE *out, weft_resp_t *r, long long *written);
/* weft_download into the file `target` (NULL: standard output): streamed
 * into a temporary file beside it and renamed once complete, so a failed
 * download never leaves a truncated file where a good one was. An error
 * answer is printed. Returns 0, WEFT_EXIT_FAIL (the server refused),
 * WEFT_EXIT_USAGE (the file cannot be written) or 2 (transfer). */
int weft_download_to(weft_t *w, const char *path, const char *target, long long *written);

/* One part of a multipart/form-data request: a text field (`value`) or a
 * file streamed from disk (`file`, sent under its base name). */
typedef struct weft_form_part {
    const char *name;
    const char *value; /* or NULL */
    const char *file;  /* or NULL */
} weft_form_part_t;

/* POSTs `parts` as multipart/form-data (files read from disk as libcurl
 * sends them). Returns as weft_call. */
int weft_post_form(weft_t *w, const char *path, const weft_form_part_t *parts, size_t n,
                   weft_resp_t *r);

/* printf for URL paths: every %s argument is percent-encoded as one path
 * segment or query value; %d and %% are supported too. Returns a new string. */
char *weft_pathf(const char *fmt, ...);
/* weft_pathf with only %s, filled from `args` in order (the caller gives as
 * many as the format names). */
char *weft_pathv(const char *fmt, char *const *args);

#endif
