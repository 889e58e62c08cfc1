/* Positioned diagnostics for user-written files (flows, config):
 * "FILE:LINE:COL: error: PATH: message" plus optional "note:" lines.
 * A list collects every error of a document so all are reported at once.
 * A warning ("FILE:LINE:COL: warning: ...") reports something that will
 * likely fail at run time but does not make the document invalid. */
#ifndef WF_DIAG_H
#define WF_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <jansson.h>

typedef struct wf_diag {
    int line;      /* 1-based; 0 when the error is not tied to a position */
    int col;       /* 1-based */
    char *path;    /* document path such as "tasks[2].retry.maxAttempts", or "" */
    char *message; /* what is wrong, one sentence without a final period */
    char *note;    /* optional hint ("did you mean 'type'?"), or NULL */
    bool warning;  /* true: reported, but the document stays valid */
} wf_diag_t;

typedef struct wf_diags {
    char *file; /* file name shown in messages (owned) */
    wf_diag_t *items;
    size_t count, cap;
} wf_diags_t;

/* Caller-owned storage: init with the file name shown in messages. */
void wf_diags_init(wf_diags_t *d, const char *file);
void wf_diags_dispose(wf_diags_t *d);
/* Adds an error; line/col are 1-based. Returns the new entry. */
wf_diag_t *wf_diags_add(wf_diags_t *d, int line, int col, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Adds a warning: reported like an error, not counted by wf_diags_errors. */
wf_diag_t *wf_diags_warn(wf_diags_t *d, int line, int col, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* How many entries are errors (warnings left out). */
size_t wf_diags_errors(const wf_diags_t *d);
/* Attaches a note to an entry (replaces an earlier one). */
void wf_diag_note(wf_diag_t *diag, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sorts by position so reports read top to bottom. */
void wf_diags_sort(wf_diags_t *d);
/* Writes the human form, one error or warning per line (+ notes). */
void wf_diags_print(const wf_diags_t *d, FILE *out);
/* Returns a new JSON array of {file,line,col,path,message,note?}; a warning
 * also has "severity": "warning". */
json_t *wf_diags_to_json(const wf_diags_t *d);

/* Closest candidate to `word` by edit distance (NULL when none is close). */
const char *wf_suggest(const char *word, const char *const *candidates, size_t n);
/* Attaches the note "did you mean 'X'?" when one of `candidates` is close to
 * `word` (wf_suggest); leaves the entry as it is otherwise. */
void wf_diag_suggest(wf_diag_t *diag, const char *word, const char *const *candidates, size_t n);

#endif
