/* Internals of the expression engine shared by its files: the token and
 * syntax-tree types, the compile arena, and position helpers. Not for callers
 * outside platform/expr*.c. */
#ifndef WF_EXPR_INT_H
#define WF_EXPR_INT_H

#include <stddef.h>
#include <stdint.h>

#include "flow/expr/expr.h"

/* Parser limits: a hostile template cannot blow the C stack. */
#define WF_EXPR_MAX_NEST 64    /* nested {% if/for %} blocks */
#define WF_EXPR_MAX_DEPTH 96   /* nested sub-expressions */
#define WF_EXPR_MAX_ARGS 16    /* arguments to one filter or function call */
#define WF_EXPR_MAX_SECRETS 16 /* distinct secret() values in one render */
#define WF_EXPR_MAX_HEIGHT 256 /* operations nested in one expression tree */

/* ---- compile arena: every node and literal of a template lives here ---- */
typedef struct wf_arena_chunk {
    struct wf_arena_chunk *next;
    size_t used, cap;
    max_align_t data[];
} wf_arena_chunk_t;

typedef struct wf_arena {
    wf_arena_chunk_t *head;
    size_t total; /* bytes handed out since the last reset */
} wf_arena_t;

/* Returns zeroed, aligned memory or NULL when out of memory. */
void *wf_arena_alloc(wf_arena_t *a, size_t n);
/* Copies n bytes and appends a NUL. */
char *wf_arena_strndup(wf_arena_t *a, const char *s, size_t n);
/* Forgets every allocation but keeps the first chunk for reuse; `wipe`
 * clears the memory first (it may have held a secret). */
void wf_arena_reset(wf_arena_t *a, int wipe);
void wf_arena_dispose(wf_arena_t *a, int wipe);

/* ---- lexer ---- */
typedef enum {
    WF_TOK_END = 0, /* end of the expression: "}}", "%}" or end of input */
    WF_TOK_NAME,
    WF_TOK_INT,
    WF_TOK_FLOAT,
    WF_TOK_STRING, /* value unescaped into the arena */
    WF_TOK_OP,     /* punctuation; `op` holds up to 3 characters */
} wf_tok_kind_t;

typedef struct wf_tok {
    wf_tok_kind_t kind;
    uint32_t pos; /* byte offset of the token in the template source */
    uint32_t len; /* bytes of source the token covers */
    char op[4];
    const char *str; /* NAME: points into the source; STRING: arena copy */
    size_t slen;
    int64_t i;
    double d;
} wf_tok_t;

typedef struct wf_lexer {
    const char *src; /* whole template source */
    size_t len;
    size_t pos;        /* next byte to read */
    char close;        /* '}' inside "{{ }}", '%' inside "{% %}", 0 for a bare expression */
    int depth;         /* open brackets: the closing delimiter only counts at 0 */
    wf_arena_t *arena; /* where string literals are unescaped */
    wf_expr_err_t *err;
} wf_lexer_t;

/* Reads the next token. Returns 0, or -1 with lx->err filled. */
int wf_lex_next(wf_lexer_t *lx, wf_tok_t *tok);
/* Fills lx->err with a message positioned at byte `off`; returns -1. */
int wf_lex_error(wf_lexer_t *lx, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- syntax tree ---- */
typedef enum {
    /* statements */
    WF_N_BLOCK, /* kids: statements in order */
    WF_N_TEXT,  /* str */
    WF_N_PRINT, /* kids[0]: expression */
    WF_N_IF,    /* kids: cond0, body0, cond1, body1, ..., [else body] (odd count = else) */
    WF_N_FOR,   /* str: item name, str2: key name or NULL; kids: iterable, body, [else] */
    WF_N_SET,   /* str: name; kids[0]: value */
    /* expressions */
    WF_N_NULL,
    WF_N_BOOL,     /* i */
    WF_N_INT,      /* i */
    WF_N_FLOAT,    /* d */
    WF_N_STR,      /* str */
    WF_N_LIST,     /* kids: items */
    WF_N_MAP,      /* kids: key0, value0, key1, value1, ... */
    WF_N_VAR,      /* str: name */
    WF_N_ATTR,     /* kids[0]: object; str: attribute name */
    WF_N_INDEX,    /* kids[0]: object, kids[1]: index */
    WF_N_UNARY,    /* op; kids[0] */
    WF_N_BINARY,   /* op; kids[0], kids[1] */
    WF_N_AND,      /* kids[0], kids[1] (short-circuit) */
    WF_N_OR,       /* kids[0], kids[1] (short-circuit) */
    WF_N_COALESCE, /* kids[0] ?? kids[1] */
    WF_N_COND,     /* kids[0] ? kids[1] : kids[2] */
    WF_N_TEST,     /* kids[0] is [not] str(args...); i: 1 when negated; kids[1..]: args */
    WF_N_FILTER,   /* kids[0]: input; kids[1..]: args; fn: filter */
    WF_N_CALL,     /* kids: args; fn: function */
} wf_node_kind_t;

typedef enum {
    WF_OP_NONE = 0,
    WF_OP_NEG,
    WF_OP_POS,
    WF_OP_NOT,
    WF_OP_ADD,
    WF_OP_SUB,
    WF_OP_MUL,
    WF_OP_DIV,
    WF_OP_MOD,
    WF_OP_CONCAT,
    WF_OP_EQ,
    WF_OP_NE,
    WF_OP_LT,
    WF_OP_LE,
    WF_OP_GT,
    WF_OP_GE,
    WF_OP_IN,
    WF_OP_NOT_IN,
    WF_OP_CONTAINS,
    WF_OP_MATCHES, /* Pebble's `x matches 'regex'`: the whole string (platform/regex.h) */
    WF_OP_RANGE,
} wf_op_t;

/* A filter, function or test: one row of the table in funcs.c.
 * Arguments are matched by position or by parameter name at compile time, so
 * the evaluator sees them in parameter order (absent optional ones NULL). */
typedef enum { WF_FN_FILTER = 1, WF_FN_FUNC = 2, WF_FN_TEST = 4 } wf_fn_kind_t;

#define WF_FN_MAX_PARAMS 4

/* ---- values during evaluation ---- */
typedef enum {
    WV_UNDEF = 0, /* only seen by `is defined`, `??` and `default` */
    WV_NULL,
    WV_BOOL,
    WV_INT,
    WV_DBL,
    WV_STR, /* s/n: borrowed from the template or context, or in the render arena */
    WV_ARR, /* j: borrowed from the context, or kept by the runtime */
    WV_OBJ,
} wf_vt_t;

/* A set of secrets, one bit per entry of wf_eval_t.secrets: the secrets a
 * value was computed from. */
typedef uint16_t wf_taint_t;

typedef struct wf_val {
    uint8_t t;
    /* The secrets this value derives from (0: none). Set by eval() on every
     * value it returns, whatever the node: a filter or function need not
     * care, its result carries the union of what its arguments carried. */
    wf_taint_t taint;
    size_t n;
    union {
        int64_t i;
        double d;
        const char *s;
        json_t *j;
    };
} wf_val_t;

typedef struct wf_scope_var {
    const char *name;
    wf_val_t v;
} wf_scope_var_t;

struct wf_expr_rt {
    char *out; /* rendered text */
    size_t len, cap;
    wf_arena_t arena; /* temporaries of the current render */
    json_t **keep;    /* JSON values created by the current render */
    size_t nkeep, capkeep;
    wf_scope_var_t *vars; /* {% set %} and loop variables, innermost last */
    size_t nvars, capvars;
    int secret_used; /* buffers must be wiped before reuse */
};

typedef struct wf_eval {
    const wf_tmpl_t *t; /* template being evaluated (render() swaps it) */
    const wf_expr_env_t *env;
    wf_expr_rt_t *rt;
    wf_expr_err_t *err;
    wf_expr_limits_t lim;
    uint64_t steps, iters;
    size_t mem;     /* estimated bytes of JSON values created */
    int depth;      /* nested render() */
    void *tz_cache; /* last time zone loaded in this render (date.c) */
    /* secret values resolved in this render, redacted from error messages */
    const char *secret_names[WF_EXPR_MAX_SECRETS];
    const char *secrets[WF_EXPR_MAX_SECRETS];
    size_t secret_len[WF_EXPR_MAX_SECRETS];
    int nsecrets;
    /* Taint gathered by the node being evaluated (eval() saves and restores
     * it around every node, so a node's result carries what its operands
     * carried); at statement level, everything the render has evaluated so
     * far, conditions and loop collections included. */
    wf_taint_t taint;
    wf_taint_t render_taint; /* what earlier statements evaluated */
    int printed_taint;       /* derived values printed so far */
    int printed_short;       /* one of them was too short to be masked on its own */
} wf_eval_t;

_Static_assert(WF_EXPR_MAX_SECRETS <= 8 * sizeof(wf_taint_t), "one taint bit per secret");

struct wf_node;
/* A filter/test gets its input in args[0] and its parameters after it; a
 * function gets its parameters from args[0]. Absent optional ones are UNDEF. */
typedef int (*wf_fn_impl_t)(wf_eval_t *ev, const struct wf_node *n, wf_val_t *args, wf_val_t *out);

typedef struct wf_fn_def {
    const char *name;
    uint8_t kind;     /* wf_fn_kind_t */
    uint8_t min_args; /* required arguments (a filter's input not counted) */
    uint8_t max_args;
    uint8_t lenient; /* a filter whose input may be undefined (default) */
    const char *params[WF_FN_MAX_PARAMS];
    wf_fn_impl_t impl;
    const char *summary;
} wf_fn_def_t;

typedef struct wf_node {
    uint8_t kind;    /* wf_node_kind_t */
    uint8_t op;      /* wf_op_t */
    uint16_t height; /* longest path to a leaf, bounded by WF_EXPR_MAX_HEIGHT */
    uint32_t pos;    /* byte offset in the source, for error positions */
    uint32_t nkids;
    struct wf_node **kids;
    const char **argnames; /* FILTER/CALL: name per argument, NULL when positional */
    const char *str;       /* NUL-terminated, in the arena */
    size_t slen;
    const char *str2;
    int64_t i;
    double d;
    const wf_fn_def_t *fn;
} wf_node_t;

struct wf_tmpl {
    wf_arena_t arena;
    char *src; /* copy of the source, for error positions */
    size_t len;
    wf_node_t *root; /* a WF_N_BLOCK */
    int single_expr; /* root holds exactly one PRINT and nothing else but blank text */
    int is_static;
};

/* Converts a byte offset of `src` into a 1-based line and column (columns
 * count characters, not bytes, so UTF-8 text lines up in an editor). */
void wf_expr_position(const char *src, size_t len, size_t off, int *line, int *col);

/* Parses `src` into `t` (arena, root). `bare` parses a single expression
 * without delimiters. Returns 0, or -1 with `err` filled. */
int wf_expr_parse(wf_tmpl_t *t, int bare, wf_expr_err_t *err);

/* Finds the filter, function or test named by a FILTER/CALL/TEST node and
 * stores it in n->fn; an unknown name is an error with a suggestion. */
int wf_expr_resolve(const wf_tmpl_t *t, wf_node_t *n, wf_expr_err_t *err);
/* Checks the arguments of a resolved node against its parameters and puts
 * named ones in parameter order. */
int wf_expr_check_call(wf_tmpl_t *t, wf_node_t *n, wf_expr_err_t *err);
/* The table, for `weft expr` help: NULL-terminated. */
extern const wf_fn_def_t wf_expr_fns[];

/* ---- helpers for filter and function implementations (eval.c) ---- */

/* Fills ev->err positioned at node `n`; returns -1. A message about
 * operands derived from a secret is withheld (it could quote them). */
int wf_ev_error(wf_eval_t *ev, const struct wf_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Render-scoped memory, counted against the memory limit. */
void *wf_ev_alloc(wf_eval_t *ev, const struct wf_node *n, size_t size);
/* Takes ownership of a new JSON array/object (NULL = out of memory) and makes
 * it a value that lives until the end of the render; `cost` estimates bytes. */
int wf_ev_keep(wf_eval_t *ev, const struct wf_node *n, json_t *j, size_t cost, wf_val_t *out);
/* Text form of any value: strings as is, numbers as Pebble prints them,
 * lists and maps as JSON. */
int wf_ev_str(wf_eval_t *ev, const struct wf_node *n, const wf_val_t *v, const char **s,
              size_t *len);
/* Numeric value: returns 0 and sets is_int/i/d, or -1 with an error naming `what`. */
int wf_ev_num(wf_eval_t *ev, const struct wf_node *n, const wf_val_t *v, const char *what,
              int *is_int, int64_t *i, double *d);
/* A new JSON reference for a value, or NULL with an error. */
json_t *wf_ev_json(wf_eval_t *ev, const struct wf_node *n, const wf_val_t *v);
/* A borrowed view of a JSON value. */
void wf_val_of_json(const json_t *j, wf_val_t *out);
int wf_val_truthy(const wf_val_t *v);
int wf_val_equal(const wf_val_t *a, const wf_val_t *b);
const char *wf_val_type(const wf_val_t *v);
/* Renders a nested template source against the current context (render()). */
int wf_ev_render_nested(wf_eval_t *ev, const struct wf_node *n, const char *src, size_t len,
                        wf_val_t *out);
/* The current time in microseconds (env clock or the system clock). */
int64_t wf_ev_now(wf_eval_t *ev);

static inline void wf_val_str(wf_val_t *v, const char *s, size_t n)
{
    v->t = WV_STR;
    v->taint = 0;
    v->s = s;
    v->n = n;
}

static inline void wf_val_int(wf_val_t *v, int64_t i)
{
    v->t = WV_INT;
    v->taint = 0;
    v->i = i;
}

static inline void wf_val_bool(wf_val_t *v, int b)
{
    v->t = WV_BOOL;
    v->taint = 0;
    v->i = b != 0;
}

#endif
