/* Pebble-style templates and expressions as Kestra flows write them:
 * "text {{ expr }} {% if c %}...{% endif %}". A template is compiled once into
 * an immutable tree (wf_tmpl_t, shareable between threads) and rendered many
 * times against a JSON context through a caller-owned runtime (wf_expr_rt_t)
 * whose buffers are reused, so a simple render allocates nothing. */
#ifndef WF_EXPR_H
#define WF_EXPR_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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
/* Bounds on one render, so a hostile template cannot hang the process or
 * exhaust its memory. Zero fields take the defaults shown. */
typedef struct wf_expr_limits {
    size_t max_output;       /* bytes of rendered text (1 MiB) */
    size_t max_memory;       /* bytes of temporary values (16 MiB) */
    uint64_t max_steps;      /* evaluation steps (1,000,000) */
    uint64_t max_iterations; /* loop iterations, all loops together (100,000) */
    int64_t max_range;       /* items one range() may produce (10,000) */
    int max_depth;           /* nested render() calls (8) */
} wf_expr_limits_t;

/* Taint: what a render's result owes to secrets. A value produced by
 * secret() is marked with the secret's name, and so is every value computed
 * from a marked one — by filters, functions, tests, operators (comparisons
 * too: a boolean about a secret is a bit of it), concatenation, slicing,
 * indexing, lists and maps holding it, {% set %} variables and loop items.
 * A render is tainted as a whole when it evaluated a marked value anywhere,
 * including in an {% if %} condition or a {% for %} collection, since the
 * text it chose then depends on the secret. The caller owns this record and
 * may pass it to several renders: they accumulate into it. */
typedef struct wf_expr_taint {
    /* Called with the text of every value derived from a secret that a
     * render prints, and with the whole rendered text when it holds several
     * or a short one (under 8 bytes: one character per loop iteration, say),
     * so that the caller can mask exactly those strings where they show up
     * (log lines). NULL: not wanted. The text is only valid during the call. */
    void (*derived)(void *ud, const char *text, size_t len);
    void *derived_ud;
    /* Set by renders. */
    int tainted;     /* some result depends on a secret */
    char names[256]; /* the secrets' names, ", "-separated ("..." when cut) */
} wf_expr_taint_t;

/* Empties the record's result fields (the callback is kept). */
void wf_expr_taint_clear(wf_expr_taint_t *t);

/* What a render sees. Everything is borrowed for the duration of the call. */
typedef struct wf_expr_env {
    /* Object whose members are the variables: inputs, outputs, vars, labels,
     * execution, flow, taskrun, parent, trigger, envs... NULL = no variables. */
    const json_t *ctx;
    /* Resolves secret('NAME'). Returns a heap string that the engine wipes and
     * frees, or NULL when the secret does not exist. A NULL resolver means
     * secrets are unavailable here (only the executor provides one). */
    char *(*secret)(void *ud, const char *name);
    void *secret_ud;
    /* The current time in microseconds since the Unix epoch, for now();
     * NULL reads the system clock. */
    int64_t (*now)(void *ud);
    void *now_ud;
    /* Functions whose data lives outside the context: kv(key, namespace,
     * errorOnMissing), read(path), errorLogs(). Called with the function name
     * and its arguments as a JSON array; returns a new value, or NULL with a
     * message in `err` (such as "key 'k' not found"). A NULL callback means
     * these functions are unavailable here (they are still valid syntax). */
    json_t *(*host)(void *ud, const char *fn, const json_t *args, char *err, size_t errlen);
    void *host_ud;
    const wf_expr_limits_t *limits; /* NULL = defaults */
    /* Receives the taint of every render made with this env (see
     * wf_expr_taint_t); NULL = not tracked by the caller (values are still
     * tracked inside the engine, for error messages). */
    wf_expr_taint_t *taint;
} wf_expr_env_t;

/* Reusable render state (output buffer, temporaries). One per thread; it
 * owns everything a render returns until the next render or destroy. */
typedef struct wf_expr_rt wf_expr_rt_t;

wf_expr_rt_t *wf_expr_rt_create(void);
/* Frees the runtime, wiping its buffers when they held a secret. */
void wf_expr_rt_destroy(wf_expr_rt_t *rt);

/* Renders `t` to text. On success returns 0 and points *out at a
 * NUL-terminated string owned by `rt` (valid until its next use). */
int wf_tmpl_render(const wf_tmpl_t *t, const wf_expr_env_t *env, wf_expr_rt_t *rt, const char **out,
                   size_t *outlen, wf_expr_err_t *err);
/* Evaluates `t` to a typed value: a template that is one "{{ expr }}" (blank
 * text around it aside) or a compiled bare expression gives the expression's
 * JSON value ("{{ [1, 2] }}" is a list, "{{ 1 < 2 }}" is true); any other
 * template gives its rendered text as a string. Returns a new reference, or
 * NULL with `err` filled. For runIf, If conditions, Switch and ForEach values. */
json_t *wf_tmpl_eval(const wf_tmpl_t *t, const wf_expr_env_t *env, wf_expr_rt_t *rt,
                     wf_expr_err_t *err);
/* Returns a copy of `value` in which every string (object keys excepted) is
 * rendered as a template. NULL with `err` filled on the first failure; the
 * message then starts with the JSON path of the string ("$.a[1]: ..."). */
json_t *wf_expr_render_json(const json_t *value, const wf_expr_env_t *env, wf_expr_rt_t *rt,
                            wf_expr_err_t *err);
/* The truth value the engine uses for if/and/or: false for null, false, 0,
 * "", empty lists and maps (and the strings "false"), true otherwise. */
int wf_expr_truthy(const json_t *value);

/* A variable the template reads, for static checks such as "outputs.t
 * names a task that exists". */
typedef struct wf_tmpl_ref {
    const char *root; /* the variable: "outputs", "inputs", "vars"... */
    const char *key;  /* the literal attribute or index right after it ("t-1" in
                         outputs['t-1'].value), or NULL */
    int line, col;    /* 1-based position of the variable in the source */
    int guarded;      /* read where absence is expected: left of ??, is defined,
                         input of default */
} wf_tmpl_ref_t;

/* Calls `fn` for every read of a context variable in `t`, in source order.
 * Names bound by {% set %} or {% for %} are not context variables and are
 * not reported. The strings live as long as `t`. */
void wf_tmpl_refs(const wf_tmpl_t *t, void (*fn)(void *ud, const wf_tmpl_ref_t *ref), void *ud);

/* Writes the filters, functions and tests with their parameters, one per
 * line ("filter  date(format, existingFormat, timeZone, locale)  ..."). */
void wf_expr_print_catalog(FILE *out);

/* True when the template is text only (no tag, no expression): rendering it
 * returns it unchanged, so callers may skip the render. */
int wf_tmpl_is_static(const wf_tmpl_t *t);

#endif
