/* Expression engine: the parser. Template text and tags are scanned here;
 * the inside of each "{{ }}" / "{% %}" is read through the tokenizer and
 * turned into a tree by recursive descent, one function per precedence level
 * (lowest first): ternary, or, and, not, comparison/tests, ??, range,
 * additive, multiplicative, unary, postfix (attribute, index, filter). */
#include "flow/expr/internal.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/diag.h"
#include "platform/regex.h"
#include "platform/xmalloc.h"

typedef struct parser {
    wf_tmpl_t *t;
    wf_lexer_t lx;
    wf_tok_t tok; /* current token */
    int depth;    /* expression recursion */
    int nest;     /* block nesting */
    wf_expr_err_t *err;
} parser_t;

/* Tags that may appear inside {% %}; used for "did you mean" hints. */
static const char *const wf_tags[] = {"if",    "elseif", "elif",     "else",
                                      "endif", "for",    "endfor",   "set",
                                      "raw",   "endraw", "verbatim", "endverbatim"};

static int perr(parser_t *p, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int perr(parser_t *p, size_t off, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
    va_end(ap);
    wf_expr_position(p->t->src, p->t->len, off, &p->err->line, &p->err->col);
    return -1;
}

static int advance(parser_t *p)
{
    return wf_lex_next(&p->lx, &p->tok);
}

/* Reads the token after the current one without consuming anything. */
static int peek(parser_t *p, wf_tok_t *out)
{
    wf_lexer_t save = p->lx;
    int rc = wf_lex_next(&p->lx, out);
    p->lx = save;
    return rc;
}

static int tok_is_op(const wf_tok_t *t, const char *op)
{
    return t->kind == WF_TOK_OP && strcmp(t->op, op) == 0;
}

static int tok_is_name(const wf_tok_t *t, const char *name)
{
    return t->kind == WF_TOK_NAME && strlen(name) == t->slen && memcmp(t->str, name, t->slen) == 0;
}

/* Describes the current token for "expected X, found Y" messages. */
static const char *tok_desc(const wf_tok_t *t, char *buf, size_t n)
{
    switch (t->kind) {
    case WF_TOK_END:
        if (t->op[0] == '\0')
            return "end of input";
        snprintf(buf, n, "'%s%s'", t->i ? "-" : "", t->op);
        return buf;
    case WF_TOK_NAME:
        snprintf(buf, n, "'%.*s'", (int)(t->slen > 40 ? 40 : t->slen), t->str);
        return buf;
    case WF_TOK_INT:
    case WF_TOK_FLOAT:
        return "a number";
    case WF_TOK_STRING:
        return "a string";
    case WF_TOK_OP:
        snprintf(buf, n, "'%s'", t->op);
        return buf;
    }
    return "?";
}

static int expect_op(parser_t *p, const char *op, const char *what)
{
    if (!tok_is_op(&p->tok, op)) {
        char b[64];
        return perr(p, p->tok.pos, "expected '%s' %s, found %s", op, what,
                    tok_desc(&p->tok, b, sizeof(b)));
    }
    return advance(p);
}

static wf_node_t *node_new(parser_t *p, wf_node_kind_t kind, uint32_t pos, uint32_t nkids)
{
    wf_node_t *n = wf_arena_alloc(&p->t->arena, sizeof(*n));
    if (n == NULL)
        return NULL;
    n->kind = (uint8_t)kind;
    n->pos = pos;
    n->nkids = nkids;
    if (nkids > 0) {
        n->kids = wf_arena_alloc(&p->t->arena, nkids * sizeof(*n->kids));
        if (n->kids == NULL)
            return NULL;
    }
    return n;
}

#define NEW(p, var, kind, pos, nk)                                                                 \
    do {                                                                                           \
        (var) = node_new((p), (kind), (pos), (nk));                                                \
        if ((var) == NULL)                                                                         \
            return perr((p), (pos), "out of memory");                                              \
    } while (0)

/* Growable child list kept in the arena (the old array is simply abandoned:
 * the total stays under twice the final size). */
typedef struct kidvec {
    wf_node_t **items;
    uint32_t n, cap;
} kidvec_t;

static int kv_push(parser_t *p, kidvec_t *v, wf_node_t *n)
{
    if (v->n == v->cap) {
        uint32_t cap = v->cap ? v->cap * 2 : 8;
        wf_node_t **items = wf_arena_alloc(&p->t->arena, cap * sizeof(*items));
        if (items == NULL)
            return perr(p, n->pos, "out of memory");
        if (v->n)
            memcpy(items, v->items, v->n * sizeof(*items));
        v->items = items;
        v->cap = cap;
    }
    v->items[v->n++] = n;
    return 0;
}

static const char *tok_name_dup(parser_t *p, const wf_tok_t *t)
{
    return wf_arena_strndup(&p->t->arena, t->str, t->slen);
}

/* ------------------------------------------------------------------ */
/* expressions                                                          */

static int parse_expr(parser_t *p, wf_node_t **out);

/* "(a, b, name=c)" after a filter or function name. */
static int parse_args(parser_t *p, wf_node_t *call, uint32_t first)
{
    wf_node_t *args[WF_EXPR_MAX_ARGS];
    const char *names[WF_EXPR_MAX_ARGS];
    uint32_t n = 0;
    int any_named = 0;
    if (advance(p) < 0) /* '(' */
        return -1;
    while (!tok_is_op(&p->tok, ")")) {
        if (n == WF_EXPR_MAX_ARGS)
            return perr(p, p->tok.pos, "too many arguments (at most %d)", WF_EXPR_MAX_ARGS);
        names[n] = NULL;
        if (p->tok.kind == WF_TOK_NAME) {
            wf_tok_t nx;
            if (peek(p, &nx) < 0)
                return -1;
            if (tok_is_op(&nx, "=")) {
                names[n] = tok_name_dup(p, &p->tok);
                any_named = 1;
                if (advance(p) < 0 || advance(p) < 0)
                    return -1;
            }
        }
        if (names[n] == NULL && any_named)
            return perr(p, p->tok.pos, "positional argument after a named argument");
        if (parse_expr(p, &args[n]) < 0)
            return -1;
        n++;
        if (tok_is_op(&p->tok, ",")) {
            if (advance(p) < 0)
                return -1;
            continue;
        }
        if (!tok_is_op(&p->tok, ")")) {
            char b[64];
            return perr(p, p->tok.pos, "expected ',' or ')' in argument list, found %s",
                        tok_desc(&p->tok, b, sizeof(b)));
        }
    }
    if (advance(p) < 0) /* ')' */
        return -1;
    wf_node_t **kids = wf_arena_alloc(&p->t->arena, (first + n) * sizeof(*kids));
    if (kids == NULL && first + n > 0)
        return perr(p, call->pos, "out of memory");
    if (first)
        kids[0] = call->kids[0];
    memcpy(kids + first, args, n * sizeof(*args));
    call->kids = kids;
    call->nkids = first + n;
    if (any_named) {
        call->argnames = wf_arena_alloc(&p->t->arena, (first + n) * sizeof(char *));
        if (call->argnames == NULL)
            return perr(p, call->pos, "out of memory");
        memcpy(call->argnames + first, names, n * sizeof(char *));
    }
    return 0;
}

/* Records the height of a finished node. Chains such as "1+1+1..." or
 * "a.b.c..." are parsed by loops, not recursion, yet make trees that the
 * evaluator walks recursively: their height is bounded here. */
static int finish(parser_t *p, wf_node_t *n)
{
    unsigned h = 0;
    for (uint32_t i = 0; i < n->nkids; i++)
        if (n->kids[i] != NULL && n->kids[i]->height > h)
            h = n->kids[i]->height;
    n->height = (uint16_t)(h + 1);
    if (n->height > WF_EXPR_MAX_HEIGHT)
        return perr(p, n->pos, "expression too complex (more than %d nested operations)",
                    WF_EXPR_MAX_HEIGHT);
    return 0;
}

static int enter(parser_t *p)
{
    if (++p->depth > WF_EXPR_MAX_DEPTH)
        return perr(p, p->tok.pos, "expression nested too deeply (more than %d levels)",
                    WF_EXPR_MAX_DEPTH);
    return 0;
}

/* After an item of a list or map: a ',' (consumed) or the closing `close`
 * (left for collection_end). */
static int item_end(parser_t *p, const char *close, const char *what)
{
    if (tok_is_op(&p->tok, ","))
        return advance(p);
    if (!tok_is_op(&p->tok, close)) {
        char b[64];
        return perr(p, p->tok.pos, "expected ',' or '%s' in %s, found %s", close, what,
                    tok_desc(&p->tok, b, sizeof(b)));
    }
    return 0;
}

/* Past the closing bracket: the list or map node holding the items of `v`. */
static int collection_end(parser_t *p, wf_node_kind_t kind, uint32_t pos, const kidvec_t *v,
                          wf_node_t **out)
{
    if (advance(p) < 0)
        return -1;
    wf_node_t *n;
    NEW(p, n, kind, pos, 0);
    n->kids = v->items;
    n->nkids = v->n;
    if (finish(p, n) < 0)
        return -1;
    *out = n;
    return 0;
}

/* A map key: a string, a name (taken as a string) or an integer; `pos` is
 * where the map starts. */
static int parse_map_key(parser_t *p, uint32_t pos, wf_node_t **out)
{
    if (p->tok.kind != WF_TOK_NAME && p->tok.kind != WF_TOK_STRING && p->tok.kind != WF_TOK_INT) {
        char b[64];
        return perr(p, p->tok.pos, "expected a map key (name, string or integer), found %s",
                    tok_desc(&p->tok, b, sizeof(b)));
    }
    wf_node_t *key;
    NEW(p, key, WF_N_STR, p->tok.pos, 0);
    if (p->tok.kind == WF_TOK_NAME) {
        key->str = tok_name_dup(p, &p->tok);
        key->slen = p->tok.slen;
    } else if (p->tok.kind == WF_TOK_STRING) {
        key->str = p->tok.str;
        key->slen = p->tok.slen;
    } else {
        char b[32];
        int k = snprintf(b, sizeof(b), "%lld", (long long)p->tok.i);
        key->str = wf_arena_strndup(&p->t->arena, b, (size_t)k);
        key->slen = (size_t)k;
    }
    if (key->str == NULL)
        return perr(p, pos, "out of memory");
    *out = key;
    return advance(p) < 0 ? -1 : 0;
}

/* "[a, b]", or with `map` "{'a': 1, b: 2}". */
static int parse_collection(parser_t *p, bool map, wf_node_t **out)
{
    uint32_t pos = p->tok.pos;
    const char *close = map ? "}" : "]";
    kidvec_t v = {0};
    if (advance(p) < 0)
        return -1;
    while (!tok_is_op(&p->tok, close)) {
        wf_node_t *key = NULL, *val;
        if (map && (parse_map_key(p, pos, &key) < 0 || expect_op(p, ":", "after a map key") < 0))
            return -1;
        if (parse_expr(p, &val) < 0 || (key != NULL && kv_push(p, &v, key) < 0) ||
            kv_push(p, &v, val) < 0 || item_end(p, close, map ? "map" : "list") < 0)
            return -1;
    }
    return collection_end(p, map ? WF_N_MAP : WF_N_LIST, pos, &v, out);
}

static int parse_primary(parser_t *p, wf_node_t **out)
{
    wf_tok_t *t = &p->tok;
    wf_node_t *n = NULL;
    char b[64];
    switch (t->kind) {
    case WF_TOK_INT:
        NEW(p, n, WF_N_INT, t->pos, 0);
        n->i = t->i;
        break;
    case WF_TOK_FLOAT:
        NEW(p, n, WF_N_FLOAT, t->pos, 0);
        n->d = t->d;
        break;
    case WF_TOK_STRING:
        NEW(p, n, WF_N_STR, t->pos, 0);
        n->str = t->str;
        n->slen = t->slen;
        break;
    case WF_TOK_NAME:
        if (tok_is_name(t, "true") || tok_is_name(t, "false")) {
            NEW(p, n, WF_N_BOOL, t->pos, 0);
            n->i = tok_is_name(t, "true");
            break;
        }
        if (tok_is_name(t, "null") || tok_is_name(t, "none")) {
            NEW(p, n, WF_N_NULL, t->pos, 0);
            break;
        }
        {
            wf_tok_t nx;
            if (peek(p, &nx) < 0)
                return -1;
            if (tok_is_op(&nx, "(")) {
                NEW(p, n, WF_N_CALL, t->pos, 0);
                n->str = tok_name_dup(p, t);
                n->slen = t->slen;
                if (n->str == NULL)
                    return perr(p, t->pos, "out of memory");
                if (wf_expr_resolve(p->t, n, p->err) < 0)
                    return -1;
                if (advance(p) < 0 || parse_args(p, n, 0) < 0)
                    return -1;
                if (wf_expr_check_call(p->t, n, p->err) < 0)
                    return -1;
                if (finish(p, n) < 0)
                    return -1;
                *out = n;
                return 0;
            }
        }
        NEW(p, n, WF_N_VAR, t->pos, 0);
        n->str = tok_name_dup(p, t);
        n->slen = t->slen;
        if (n->str == NULL)
            return perr(p, t->pos, "out of memory");
        break;
    case WF_TOK_OP:
        if (tok_is_op(t, "(")) {
            if (advance(p) < 0 || parse_expr(p, &n) < 0)
                return -1;
            if (expect_op(p, ")", "to close '('") < 0)
                return -1;
            *out = n;
            return 0;
        }
        if (tok_is_op(t, "["))
            return parse_collection(p, false, out);
        if (tok_is_op(t, "{"))
            return parse_collection(p, true, out);
        return perr(p, t->pos, "expected an expression, found %s", tok_desc(t, b, sizeof(b)));
    case WF_TOK_END:
        return perr(p, t->pos, "expected an expression, found %s", tok_desc(t, b, sizeof(b)));
    }
    *out = n;
    return advance(p);
}

/* The rest of a filter or test node `n` whose name is the current token:
 * the name resolved, optional "(args)" after the implicit first one, the
 * call checked. An allocation failure is reported at `pos`. */
static int parse_callee(parser_t *p, wf_node_t *n, uint32_t pos)
{
    n->str = tok_name_dup(p, &p->tok);
    n->slen = p->tok.slen;
    if (n->str == NULL)
        return perr(p, pos, "out of memory");
    if (wf_expr_resolve(p->t, n, p->err) < 0)
        return -1;
    if (advance(p) < 0)
        return -1;
    if (tok_is_op(&p->tok, "(") && parse_args(p, n, 1) < 0)
        return -1;
    if (wf_expr_check_call(p->t, n, p->err) < 0)
        return -1;
    return finish(p, n);
}

/* Attribute, index and filter suffixes after a primary expression. */
static int parse_suffixes(parser_t *p, wf_node_t *n, wf_node_t **out)
{
    for (;;) {
        wf_tok_t *t = &p->tok;
        wf_node_t *m;
        char b[64];
        if (tok_is_op(t, ".")) {
            if (advance(p) < 0)
                return -1;
            if (p->tok.kind != WF_TOK_NAME && p->tok.kind != WF_TOK_INT)
                return perr(p, p->tok.pos, "expected an attribute name after '.', found %s",
                            tok_desc(&p->tok, b, sizeof(b)));
            NEW(p, m, WF_N_ATTR, p->tok.pos, 1);
            m->kids[0] = n;
            if (p->tok.kind == WF_TOK_NAME) {
                m->str = tok_name_dup(p, &p->tok);
                m->slen = p->tok.slen;
            } else { /* list.0 as in Pebble */
                char nb[32];
                int k = snprintf(nb, sizeof(nb), "%lld", (long long)p->tok.i);
                m->str = wf_arena_strndup(&p->t->arena, nb, (size_t)k);
                m->slen = (size_t)k;
            }
            if (m->str == NULL)
                return perr(p, p->tok.pos, "out of memory");
            if (advance(p) < 0)
                return -1;
            if (tok_is_op(&p->tok, "("))
                return perr(p, p->tok.pos,
                            "method calls are not supported: use a filter "
                            "(value | name(args))");
            if (finish(p, m) < 0)
                return -1;
            n = m;
        } else if (tok_is_op(t, "[")) {
            NEW(p, m, WF_N_INDEX, t->pos, 2);
            m->kids[0] = n;
            if (advance(p) < 0 || parse_expr(p, &m->kids[1]) < 0)
                return -1;
            if (expect_op(p, "]", "to close '['") < 0)
                return -1;
            if (finish(p, m) < 0)
                return -1;
            n = m;
        } else if (tok_is_op(t, "|")) {
            if (advance(p) < 0)
                return -1;
            if (p->tok.kind != WF_TOK_NAME)
                return perr(p, p->tok.pos, "expected a filter name after '|', found %s",
                            tok_desc(&p->tok, b, sizeof(b)));
            NEW(p, m, WF_N_FILTER, p->tok.pos, 1);
            m->kids[0] = n;
            if (parse_callee(p, m, p->tok.pos) < 0)
                return -1;
            n = m;
        } else {
            break;
        }
    }
    *out = n;
    return 0;
}

static int parse_postfix(parser_t *p, wf_node_t **out)
{
    wf_node_t *n = NULL;
    if (parse_primary(p, &n) < 0)
        return -1;
    return parse_suffixes(p, n, out);
}

/* The prefix operator at the current token applied to what `operand` reads
 * after it ("-x", "not x"). */
static int parse_prefix(parser_t *p, wf_op_t op, int (*operand)(parser_t *, wf_node_t **),
                        wf_node_t **out)
{
    wf_node_t *n;
    if (enter(p) < 0)
        return -1;
    NEW(p, n, WF_N_UNARY, p->tok.pos, 1);
    n->op = op;
    if (advance(p) < 0 || operand(p, &n->kids[0]) < 0)
        return -1;
    p->depth--;
    if (finish(p, n) < 0)
        return -1;
    *out = n;
    return 0;
}

static int parse_unary(parser_t *p, wf_node_t **out)
{
    if (tok_is_op(&p->tok, "-")) {
        /* A negative number is one literal, so "-5 | abs" is 5 as users expect;
         * "-x | abs" still negates the filtered value. */
        wf_tok_t nx;
        if (peek(p, &nx) < 0)
            return -1;
        if ((nx.kind == WF_TOK_INT || nx.kind == WF_TOK_FLOAT) && nx.pos == p->tok.pos + 1) {
            wf_node_t *n;
            uint32_t pos = p->tok.pos;
            if (advance(p) < 0)
                return -1;
            NEW(p, n, p->tok.kind == WF_TOK_INT ? WF_N_INT : WF_N_FLOAT, pos, 0);
            n->i = -p->tok.i;
            n->d = -p->tok.d;
            if (advance(p) < 0)
                return -1;
            return parse_suffixes(p, n, out);
        }
    }
    if (tok_is_op(&p->tok, "-") || tok_is_op(&p->tok, "+"))
        return parse_prefix(p, tok_is_op(&p->tok, "-") ? WF_OP_NEG : WF_OP_POS, parse_unary, out);
    return parse_postfix(p, out);
}

/* One row per binary operator: precedence level, token, operator. */
typedef struct binop {
    int level;
    const char *tok;
    int is_name; /* word operator such as "contains" */
    wf_op_t op;
} binop_t;

enum { LV_CMP = 1, LV_COALESCE, LV_RANGE, LV_ADD, LV_MUL };

static const binop_t wf_binops[] = {
    {LV_CMP, "==", 0, WF_OP_EQ},     {LV_CMP, "!=", 0, WF_OP_NE},
    {LV_CMP, "<", 0, WF_OP_LT},      {LV_CMP, "<=", 0, WF_OP_LE},
    {LV_CMP, ">", 0, WF_OP_GT},      {LV_CMP, ">=", 0, WF_OP_GE},
    {LV_CMP, "in", 1, WF_OP_IN},     {LV_CMP, "contains", 1, WF_OP_CONTAINS},
    {LV_CMP, "equals", 1, WF_OP_EQ}, {LV_CMP, "matches", 1, WF_OP_MATCHES},
    {LV_RANGE, "..", 0, WF_OP_RANGE},
    {LV_ADD, "+", 0, WF_OP_ADD},     {LV_ADD, "-", 0, WF_OP_SUB},
    {LV_ADD, "~", 0, WF_OP_CONCAT},  {LV_MUL, "*", 0, WF_OP_MUL},
    {LV_MUL, "/", 0, WF_OP_DIV},     {LV_MUL, "%", 0, WF_OP_MOD},
};

static const binop_t *find_binop(const wf_tok_t *t, int level)
{
    for (size_t i = 0; i < sizeof(wf_binops) / sizeof(wf_binops[0]); i++) {
        const binop_t *b = &wf_binops[i];
        if (b->level != level)
            continue;
        if (b->is_name ? tok_is_name(t, b->tok) : tok_is_op(t, b->tok))
            return b;
    }
    return NULL;
}

static int parse_level(parser_t *p, int level, wf_node_t **out);

static int parse_operand(parser_t *p, int level, wf_node_t **out)
{
    return level == LV_MUL ? parse_unary(p, out) : parse_level(p, level + 1, out);
}

/* "x is [not] name[(args)]" */
static int parse_test(parser_t *p, wf_node_t *lhs, wf_node_t **out)
{
    wf_node_t *n;
    char b[64];
    uint32_t pos = p->tok.pos;
    if (advance(p) < 0)
        return -1;
    int neg = 0;
    if (tok_is_name(&p->tok, "not")) {
        neg = 1;
        if (advance(p) < 0)
            return -1;
    }
    if (p->tok.kind != WF_TOK_NAME)
        return perr(p, p->tok.pos, "expected a test name after 'is', found %s",
                    tok_desc(&p->tok, b, sizeof(b)));
    NEW(p, n, WF_N_TEST, pos, 1);
    n->kids[0] = lhs;
    n->i = neg;
    n->pos = p->tok.pos;
    if (parse_callee(p, n, pos) < 0)
        return -1;
    *out = n;
    return 0;
}

/* `x matches 'literal'`: a pattern that cannot compile is a syntax error at
 * the pattern, found when the flow is written rather than at run time. */
static int check_literal_pattern(parser_t *p, const wf_node_t *rhs)
{
    if (rhs->kind != WF_N_STR)
        return 0;
    char err[256];
    size_t at = 0;
    if (memchr(rhs->str, '\0', rhs->slen) != NULL)
        return perr(p, rhs->pos, "invalid regular expression: it holds a NUL character");
    char *pattern = wf_xstrndup(rhs->str, rhs->slen);
    int rc = wf_regex_check_syntax(pattern, err, sizeof(err), &at);
    free(pattern);
    if (rc < 0)
        return perr(p, rhs->pos, "invalid regular expression: %s", err);
    return 0;
}

static int parse_level(parser_t *p, int level, wf_node_t **out)
{
    wf_node_t *lhs = NULL;
    if (parse_operand(p, level, &lhs) < 0)
        return -1;
    for (;;) {
        const binop_t *b = find_binop(&p->tok, level);
        wf_op_t op = b ? b->op : WF_OP_NONE;
        wf_node_t *n;
        uint32_t pos = p->tok.pos;
        if (level == LV_CMP && op == WF_OP_NONE) {
            if (tok_is_name(&p->tok, "is")) {
                if (parse_test(p, lhs, &lhs) < 0)
                    return -1;
                continue;
            }
            if (tok_is_name(&p->tok, "not")) {
                wf_tok_t nx;
                if (peek(p, &nx) < 0)
                    return -1;
                if (tok_is_name(&nx, "in")) {
                    if (advance(p) < 0)
                        return -1;
                    op = WF_OP_NOT_IN;
                }
            }
        }
        /* "a ?? b" is a node of its own kind, every other operator a binary one. */
        bool coalesce = level == LV_COALESCE && tok_is_op(&p->tok, "??");
        if (!coalesce && op == WF_OP_NONE)
            break;
        NEW(p, n, coalesce ? WF_N_COALESCE : WF_N_BINARY, pos, 2);
        if (!coalesce)
            n->op = (uint8_t)op;
        n->kids[0] = lhs;
        if (advance(p) < 0 || parse_operand(p, level, &n->kids[1]) < 0)
            return -1;
        if (op == WF_OP_MATCHES && check_literal_pattern(p, n->kids[1]) < 0)
            return -1;
        if (finish(p, n) < 0)
            return -1;
        lhs = n;
        if (level == LV_RANGE)
            break; /* "a..b..c" means nothing */
    }
    *out = lhs;
    return 0;
}

static int parse_not(parser_t *p, wf_node_t **out)
{
    if (tok_is_name(&p->tok, "not") || tok_is_op(&p->tok, "!"))
        return parse_prefix(p, WF_OP_NOT, parse_not, out);
    return parse_level(p, LV_CMP, out);
}

/* "x OP y OP z" as left-nested `kind` nodes; OP is spelt `word` or `sym`. */
static int parse_chain(parser_t *p, wf_node_t **out, int (*operand)(parser_t *, wf_node_t **),
                       const char *word, const char *sym, wf_node_kind_t kind)
{
    wf_node_t *lhs = NULL;
    if (operand(p, &lhs) < 0)
        return -1;
    while (tok_is_name(&p->tok, word) || tok_is_op(&p->tok, sym)) {
        wf_node_t *n;
        NEW(p, n, kind, p->tok.pos, 2);
        n->kids[0] = lhs;
        if (advance(p) < 0 || operand(p, &n->kids[1]) < 0)
            return -1;
        if (finish(p, n) < 0)
            return -1;
        lhs = n;
    }
    *out = lhs;
    return 0;
}

static int parse_and(parser_t *p, wf_node_t **out)
{
    return parse_chain(p, out, parse_not, "and", "&&", WF_N_AND);
}

static int parse_or(parser_t *p, wf_node_t **out)
{
    return parse_chain(p, out, parse_and, "or", "||", WF_N_OR);
}

static int parse_expr(parser_t *p, wf_node_t **out)
{
    wf_node_t *cond = NULL;
    if (enter(p) < 0 || parse_or(p, &cond) < 0)
        return -1;
    if (tok_is_op(&p->tok, "?")) {
        wf_node_t *n;
        NEW(p, n, WF_N_COND, p->tok.pos, 3);
        n->kids[0] = cond;
        if (advance(p) < 0 || parse_expr(p, &n->kids[1]) < 0)
            return -1;
        if (expect_op(p, ":", "in a conditional (a ? b : c)") < 0)
            return -1;
        if (parse_expr(p, &n->kids[2]) < 0)
            return -1;
        if (finish(p, n) < 0)
            return -1;
        cond = n;
    }
    p->depth--;
    *out = cond;
    return 0;
}

/* ------------------------------------------------------------------ */
/* template text and tags                                              */

/* Starts the tokenizer on the inside of a delimiter at byte `pos`. */
static int open_expr(parser_t *p, size_t pos, char close)
{
    p->lx.pos = pos;
    p->lx.close = close;
    p->lx.depth = 0;
    return advance(p);
}

/* Expects the closing delimiter; returns its "-" trim flag through *trim. */
static int close_expr(parser_t *p, const char *what, int *trim)
{
    if (p->tok.kind != WF_TOK_END || p->tok.op[0] == '\0') {
        char b[64];
        if (p->tok.kind == WF_TOK_END)
            return perr(p, p->tok.pos, "unexpected end of template: '%s' is not closed", what);
        return perr(p, p->tok.pos, "expected '%s' to close '%s', found %s",
                    p->lx.close == '}' ? "}}" : "%}", what, tok_desc(&p->tok, b, sizeof(b)));
    }
    if (trim != NULL)
        *trim = (int)p->tok.i;
    return 0;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

typedef struct block_end {
    const char *tag; /* the end/middle tag that stopped the block, or NULL at end of input */
    uint32_t pos;    /* its position */
    int trim;        /* the tag ended with "-%}" */
} block_end_t;

static int parse_block(parser_t *p, const char *const *stops, wf_node_t **out, block_end_t *end,
                       int trim_first);

static int add_text(parser_t *p, kidvec_t *v, size_t from, size_t to, int trim_left, int trim_right)
{
    const char *s = p->t->src;
    if (trim_left)
        while (from < to && is_space(s[from]))
            from++;
    if (trim_right)
        while (to > from && is_space(s[to - 1]))
            to--;
    if (to <= from)
        return 0;
    wf_node_t *n;
    NEW(p, n, WF_N_TEXT, (uint32_t)from, 0);
    n->str = s + from; /* points into the template's own copy of the source */
    n->slen = to - from;
    return kv_push(p, v, n);
}

/* {% raw %}...{% endraw %}: copies text verbatim up to the end tag. */
static int parse_raw(parser_t *p, kidvec_t *v, const char *endtag, uint32_t tagpos, int *trim)
{
    const char *s = p->t->src;
    size_t len = p->t->len, i = p->lx.pos;
    for (; i + 1 < len; i++) {
        if (s[i] != '{' || s[i + 1] != '%')
            continue;
        size_t j = i + 2;
        if (j < len && s[j] == '-')
            j++;
        while (j < len && is_space(s[j]))
            j++;
        size_t el = strlen(endtag);
        if (j + el > len || memcmp(s + j, endtag, el) != 0)
            continue;
        j += el;
        while (j < len && is_space(s[j]))
            j++;
        int tr = 0;
        if (j < len && s[j] == '-') {
            tr = 1;
            j++;
        }
        if (j + 1 < len && s[j] == '%' && s[j + 1] == '}') {
            if (add_text(p, v, p->lx.pos, i, *trim, s[i + 2] == '-') < 0)
                return -1;
            p->lx.pos = j + 2;
            *trim = tr;
            return 0;
        }
    }
    return perr(p, tagpos, "missing {%% %s %%} for this block", endtag);
}

static int stop_matches(const char *const *stops, const wf_tok_t *t)
{
    for (; stops != NULL && *stops != NULL; stops++)
        if (tok_is_name(t, *stops))
            return 1;
    return 0;
}

static int parse_if(parser_t *p, uint32_t pos, kidvec_t *out)
{
    static const char *const mid[] = {"elseif", "elif", "else", "endif", NULL};
    static const char *const last[] = {"endif", NULL};
    kidvec_t v = {0};
    wf_node_t *n, *cond, *body;
    block_end_t end;
    int trim;
    if (parse_expr(p, &cond) < 0 || close_expr(p, "{% if", &trim) < 0)
        return -1;
    for (;;) {
        if (kv_push(p, &v, cond) < 0 || parse_block(p, mid, &body, &end, trim) < 0 ||
            kv_push(p, &v, body) < 0)
            return -1;
        if (end.tag == NULL)
            return perr(p, pos, "missing {%% endif %%} for this {%% if %%}");
        if (strcmp(end.tag, "else") == 0) {
            if (parse_block(p, last, &body, &end, end.trim) < 0 || kv_push(p, &v, body) < 0)
                return -1;
            if (end.tag == NULL)
                return perr(p, pos, "missing {%% endif %%} for this {%% if %%}");
            break;
        }
        if (strcmp(end.tag, "endif") == 0)
            break;
        /* elseif: its condition was left as the current token */
        if (parse_expr(p, &cond) < 0 || close_expr(p, "{% elseif", &trim) < 0)
            return -1;
    }
    NEW(p, n, WF_N_IF, pos, 0);
    n->kids = v.items;
    n->nkids = v.n;
    return kv_push(p, out, n);
}

/* Takes the name token into n->str and moves past it; anything else is an
 * error "expected `what`, found ...". */
static int take_name(parser_t *p, wf_node_t *n, const char *what)
{
    if (p->tok.kind != WF_TOK_NAME) {
        char b[64];
        return perr(p, p->tok.pos, "expected %s, found %s", what,
                    tok_desc(&p->tok, b, sizeof(b)));
    }
    n->str = tok_name_dup(p, &p->tok);
    n->slen = p->tok.slen;
    return advance(p);
}

static int parse_for(parser_t *p, uint32_t pos, kidvec_t *out)
{
    static const char *const mid[] = {"else", "endfor", NULL};
    static const char *const last[] = {"endfor", NULL};
    wf_node_t *n;
    block_end_t end;
    char b[64];
    int trim;
    NEW(p, n, WF_N_FOR, pos, 2);
    if (take_name(p, n, "a loop variable name after 'for'") < 0)
        return -1;
    if (tok_is_op(&p->tok, ",")) { /* {% for key, value in map %} */
        if (advance(p) < 0)
            return -1;
        const char *first = n->str;
        if (take_name(p, n, "a second loop variable after ','") < 0)
            return -1;
        n->str2 = first;
    }
    if (!tok_is_name(&p->tok, "in"))
        return perr(p, p->tok.pos, "expected 'in' in {%% for %%}, found %s",
                    tok_desc(&p->tok, b, sizeof(b)));
    if (advance(p) < 0 || parse_expr(p, &n->kids[0]) < 0 || close_expr(p, "{% for", &trim) < 0)
        return -1;
    if (parse_block(p, mid, &n->kids[1], &end, trim) < 0)
        return -1;
    if (end.tag != NULL && strcmp(end.tag, "else") == 0) {
        wf_node_t **kids = wf_arena_alloc(&p->t->arena, 3 * sizeof(*kids));
        if (kids == NULL)
            return perr(p, pos, "out of memory");
        kids[0] = n->kids[0];
        kids[1] = n->kids[1];
        n->kids = kids;
        n->nkids = 3;
        if (parse_block(p, last, &kids[2], &end, end.trim) < 0)
            return -1;
    }
    if (end.tag == NULL)
        return perr(p, pos, "missing {%% endfor %%} for this {%% for %%}");
    return kv_push(p, out, n);
}

static int parse_set(parser_t *p, uint32_t pos, kidvec_t *out)
{
    wf_node_t *n;
    int trim;
    NEW(p, n, WF_N_SET, pos, 1);
    if (take_name(p, n, "a variable name after 'set'") < 0 ||
        expect_op(p, "=", "after the variable name in {% set %}") < 0)
        return -1;
    if (parse_expr(p, &n->kids[0]) < 0 || close_expr(p, "{% set", &trim) < 0)
        return -1;
    return kv_push(p, out, n);
}

static int parse_block(parser_t *p, const char *const *stops, wf_node_t **out, block_end_t *end,
                       int trim_first)
{
    const char *s = p->t->src;
    size_t len = p->t->len;
    kidvec_t v = {0};
    int trim_next = trim_first; /* the previous delimiter ended with "-" */
    wf_node_t *n;
    if (++p->nest > WF_EXPR_MAX_NEST)
        return perr(p, p->lx.pos, "blocks nested too deeply (more than %d levels)",
                    WF_EXPR_MAX_NEST);
    end->tag = NULL;
    for (;;) {
        size_t i = p->lx.pos;
        const char *open = NULL;
        while (i + 1 < len) {
            const char *q = memchr(s + i, '{', len - i - 1);
            if (q == NULL)
                break;
            i = (size_t)(q - s);
            if (s[i + 1] == '{' || s[i + 1] == '%' || s[i + 1] == '#') {
                open = q;
                break;
            }
            i++;
        }
        if (open == NULL) {
            if (add_text(p, &v, p->lx.pos, len, trim_next, 0) < 0)
                return -1;
            p->lx.pos = len;
            break;
        }
        size_t at = (size_t)(open - s);
        int trim_prev = at + 2 < len && s[at + 2] == '-';
        if (add_text(p, &v, p->lx.pos, at, trim_next, trim_prev) < 0)
            return -1;
        size_t inner = at + 2 + (size_t)trim_prev;
        if (s[at + 1] == '#') { /* comment */
            const char *q = NULL;
            for (size_t k = inner; k + 1 < len; k++)
                if (s[k] == '#' && s[k + 1] == '}') {
                    q = s + k;
                    break;
                }
            if (q == NULL)
                return perr(p, at, "unclosed comment: missing '#}'");
            trim_next = q > s + inner && q[-1] == '-';
            p->lx.pos = (size_t)(q - s) + 2;
            continue;
        }
        if (s[at + 1] == '{') {
            NEW(p, n, WF_N_PRINT, (uint32_t)at, 1);
            if (open_expr(p, inner, '}') < 0 || parse_expr(p, &n->kids[0]) < 0 ||
                close_expr(p, "{{", &trim_next) < 0 || kv_push(p, &v, n) < 0)
                return -1;
            continue;
        }
        /* {% tag ... %} */
        if (open_expr(p, inner, '%') < 0)
            return -1;
        char b[64];
        wf_tok_t tag = p->tok;
        if (tag.kind != WF_TOK_NAME)
            return perr(p, tag.pos, "expected a tag name after '{%%', found %s",
                        tok_desc(&tag, b, sizeof(b)));
        if (stop_matches(stops, &tag)) {
            end->pos = (uint32_t)at;
            for (const char *const *st = stops; *st != NULL; st++)
                if (tok_is_name(&tag, *st))
                    end->tag = *st;
            if (advance(p) < 0)
                return -1;
            /* elseif keeps its condition for the caller; the others close here */
            if (strcmp(end->tag, "elseif") != 0 && strcmp(end->tag, "elif") != 0 &&
                close_expr(p, end->tag, &end->trim) < 0)
                return -1;
            break;
        }
        if (advance(p) < 0)
            return -1;
        int rc;
        if (tok_is_name(&tag, "if")) {
            rc = parse_if(p, (uint32_t)at, &v);
        } else if (tok_is_name(&tag, "for")) {
            rc = parse_for(p, (uint32_t)at, &v);
        } else if (tok_is_name(&tag, "set")) {
            rc = parse_set(p, (uint32_t)at, &v);
        } else if (tok_is_name(&tag, "raw") || tok_is_name(&tag, "verbatim")) {
            int tr;
            rc = close_expr(p, "{% raw", &tr);
            if (rc == 0)
                rc = parse_raw(p, &v, tok_is_name(&tag, "raw") ? "endraw" : "endverbatim",
                               (uint32_t)at, &tr);
            trim_next = tr;
            if (rc < 0)
                return -1;
            continue;
        } else {
            char name[48];
            snprintf(name, sizeof(name), "%.*s", (int)(tag.slen > 40 ? 40 : tag.slen), tag.str);
            int known = 0;
            for (size_t k = 0; k < sizeof(wf_tags) / sizeof(wf_tags[0]); k++)
                known |= strcmp(wf_tags[k], name) == 0;
            if (known)
                return perr(p, at, "unexpected {%% %s %%} here", name);
            const char *sugg = wf_suggest(name, wf_tags, sizeof(wf_tags) / sizeof(wf_tags[0]));
            if (sugg != NULL)
                return perr(p, tag.pos, "unknown tag '%s' (did you mean '%s'?)", name, sugg);
            return perr(p, tag.pos, "unknown tag '%s'", name);
        }
        if (rc < 0)
            return -1;
        trim_next = (int)p->tok.i; /* the END token of the tag that closed the statement */
    }
    NEW(p, n, WF_N_BLOCK, (uint32_t)p->lx.pos, 0);
    n->kids = v.items;
    n->nkids = v.n;
    *out = n;
    p->nest--;
    return 0;
}

int wf_expr_parse(wf_tmpl_t *t, int bare, wf_expr_err_t *err)
{
    parser_t p = {.t = t, .err = err};
    p.lx.src = t->src;
    p.lx.len = t->len;
    p.lx.arena = &t->arena;
    p.lx.err = err;
    block_end_t end;
    if (bare) {
        wf_node_t *n, *e;
        if (open_expr(&p, 0, 0) < 0 || parse_expr(&p, &e) < 0)
            return -1;
        if (p.tok.kind != WF_TOK_END) {
            char b[64];
            return perr(&p, p.tok.pos, "unexpected %s after the expression",
                        tok_desc(&p.tok, b, sizeof(b)));
        }
        NEW(&p, t->root, WF_N_BLOCK, 0, 1);
        NEW(&p, n, WF_N_PRINT, 0, 1);
        n->kids[0] = e;
        t->root->kids[0] = n;
        t->single_expr = 1;
        return 0;
    }
    if (parse_block(&p, NULL, &t->root, &end, 0) < 0)
        return -1;
    /* A lone "{{ expr }}" (blank text around it aside) evaluates to a typed
     * value, so "{{ [1,2] }}" can feed a ForEach as a list. */
    uint32_t prints = 0, others = 0;
    for (uint32_t i = 0; i < t->root->nkids; i++) {
        wf_node_t *k = t->root->kids[i];
        if (k->kind == WF_N_PRINT)
            prints++;
        else if (k->kind != WF_N_TEXT)
            others++;
        else
            for (size_t j = 0; j < k->slen; j++)
                others += !is_space(k->str[j]);
    }
    t->single_expr = prints == 1 && others == 0;
    t->is_static = prints == 0 && (t->root->nkids == 0 ||
                                   (t->root->nkids == 1 && t->root->kids[0]->kind == WF_N_TEXT &&
                                    t->root->kids[0]->slen == t->len));
    return 0;
}
