/* Pebble-style templates and expressions as Kestra flows write them:
 * "text {{ expr }} {% if c %}...{% endif %}". A template is compiled once into
 * an immutable tree (wf_tmpl_t, shareable between threads) and rendered many
 * times against a JSON context through a caller-owned runtime (wf_expr_rt_t)
 * whose buffers are reused, so a simple render allocates nothing. */
#ifndef WF_EXPR_H
#define WF_EXPR_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

typedef struct wf_tmpl wf_tmpl_t;

/* A positioned error: line/col are 1-based inside the template source
 * (0 when the problem has no position, such as an exhausted budget). */
typedef struct wf_expr_err {
    int line;
    int col;
    char msg[256];
} wf_expr_err_t;

/* Checks that a template string parses. Returns 0 when it does; otherwise -1
 * with a message and the 1-based line/col of the problem inside `src`. */
int wf_tmpl_check(const char *src, size_t len, int *line, int *col, char *msg, size_t msglen);

/* Compiles a template. Returns NULL with `err` filled when it does not parse. */
wf_tmpl_t *wf_tmpl_compile(const char *src, size_t len, wf_expr_err_t *err);
/* Compiles a bare expression ("inputs.x == 'a'") as if it were "{{ src }}";
 * positions in errors still refer to `src`. */
wf_tmpl_t *wf_expr_compile(const char *src, size_t len, wf_expr_err_t *err);
void wf_tmpl_free(wf_tmpl_t *t);
/* True when the template is text only (no tag, no expression): rendering it
 * returns it unchanged, so callers may skip the render. */
int wf_tmpl_is_static(const wf_tmpl_t *t);

#endif
