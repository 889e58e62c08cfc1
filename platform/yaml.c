#include "platform/yaml.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "platform/xmalloc.h"

/* Bounds on alias expansion: a hostile document must not make us build an
 * exponential tree or recurse forever through a self-referencing anchor. */
#define WF_YAML_MAX_DEPTH 128
#define WF_YAML_MAX_NODES 200000

/* The tree is built straight from libyaml's events: going through
 * yaml_parser_load would build libyaml's own document first and then copy it,
 * twice the allocations for the flows the gateway validates on every apply. */
typedef struct {
    char *name;
    const wf_yaml_node_t *node;
} anchor_t;

typedef struct {
    yaml_parser_t parser;
    const char *text;
    size_t len;
    wf_diags_t *diags;
    size_t nodes;
    bool failed; /* a diagnostic was added; the tree is abandoned */
    anchor_t *anchors;
    size_t n_anchors, cap_anchors;
} load_ctx_t;

/* True when 0-based line `line` of `text` has a tab in its indentation. */
static bool line_indented_with_tab(const char *text, size_t len, size_t line)
{
    size_t i = 0;
    for (size_t l = 0; l < line && i < len; i++)
        if (text[i] == '\n')
            l++;
    for (; i < len && (text[i] == ' ' || text[i] == '\t'); i++)
        if (text[i] == '\t')
            return true;
    return false;
}

static const char *describe_problem(const yaml_parser_t *p)
{
    return p->problem != NULL ? p->problem : "invalid YAML";
}

static void syntax_error(load_ctx_t *cx)
{
    const yaml_parser_t *p = &cx->parser;
    int line = (int)p->problem_mark.line + 1, col = (int)p->problem_mark.column + 1;
    wf_diag_t *e;
    if (p->context != NULL)
        e = wf_diags_add(cx->diags, line, col, "", "YAML syntax: %s %s", describe_problem(p),
                         p->context);
    else
        e = wf_diags_add(cx->diags, line, col, "", "YAML syntax: %s", describe_problem(p));
    /* A tab in indentation is the most common cause; say so plainly. */
    if (line_indented_with_tab(cx->text, cx->len, p->problem_mark.line) ||
        (p->problem != NULL && strstr(p->problem, "tab") != NULL))
        wf_diag_note(e, "tabs are not allowed for indentation in YAML; use spaces");
    else if (p->context != NULL && p->context_mark.line != p->problem_mark.line)
        wf_diag_note(e, "the construct started at line %d, column %d",
                     (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
    cx->failed = true;
}

/* Counts one node against the bounds; reports the overflow once. */
static bool count_node(load_ctx_t *cx, int depth, int line, int col)
{
    if (depth <= WF_YAML_MAX_DEPTH && ++cx->nodes <= WF_YAML_MAX_NODES)
        return true;
    if (!cx->failed)
        wf_diags_add(cx->diags, line, col, "",
                     "document too deep or too large (aliases expand past %d nodes)",
                     WF_YAML_MAX_NODES);
    cx->failed = true;
    return false;
}

static void append(wf_yaml_node_t *n, size_t *cap, wf_yaml_node_t *key, wf_yaml_node_t *item)
{
    if (n->count == *cap) {
        *cap = *cap ? *cap * 2 : 4;
        n->items = wf_xreallocarray(n->items, *cap, sizeof(*n->items));
        if (n->kind == WF_YAML_MAP)
            n->keys = wf_xreallocarray(n->keys, *cap, sizeof(*n->keys));
    }
    if (n->kind == WF_YAML_MAP)
        n->keys[n->count] = key;
    n->items[n->count++] = item;
}

/* A scalar and its text in one allocation: flows are mostly scalars. */
static wf_yaml_node_t *new_scalar(const void *text, size_t len)
{
    wf_yaml_node_t *n = wf_xcalloc(1, sizeof(*n) + len + 1);
    n->kind = WF_YAML_SCALAR;
    n->value = (char *)(n + 1);
    memcpy(n->value, text, len);
    n->len = len;
    return n;
}

/* An alias becomes a copy of its anchor's node, so the result stays a tree
 * with one owner per node; every copied node counts against the bounds. */
static wf_yaml_node_t *copy_node(load_ctx_t *cx, const wf_yaml_node_t *src, int depth)
{
    if (!count_node(cx, depth, src->line, src->col))
        return NULL;
    if (src->kind == WF_YAML_SCALAR) {
        wf_yaml_node_t *n = new_scalar(src->value, src->len);
        n->line = src->line;
        n->col = src->col;
        n->quoted = src->quoted;
        n->tag = src->tag ? wf_xstrdup(src->tag) : NULL;
        return n;
    }
    wf_yaml_node_t *n = wf_xcalloc(1, sizeof(*n));
    *n = *src;
    n->tag = src->tag ? wf_xstrdup(src->tag) : NULL;
    n->keys = n->items = NULL;
    n->count = 0;
    n->items = wf_xcalloc(src->count, sizeof(*n->items));
    if (src->kind == WF_YAML_MAP)
        n->keys = wf_xcalloc(src->count, sizeof(*n->keys));
    for (size_t i = 0; i < src->count; i++) {
        wf_yaml_node_t *k = NULL, *v;
        if (src->kind == WF_YAML_MAP && (k = copy_node(cx, src->keys[i], depth + 1)) == NULL)
            break;
        if ((v = copy_node(cx, src->items[i], depth + 1)) == NULL) {
            wf_yaml_free(k);
            break;
        }
        if (src->kind == WF_YAML_MAP)
            n->keys[n->count] = k;
        n->items[n->count++] = v;
    }
    return n;
}

static void remember_anchor(load_ctx_t *cx, const yaml_char_t *name, const wf_yaml_node_t *node)
{
    if (name == NULL)
        return;
    if (cx->n_anchors == cx->cap_anchors) {
        cx->cap_anchors = cx->cap_anchors ? cx->cap_anchors * 2 : 8;
        cx->anchors = wf_xreallocarray(cx->anchors, cx->cap_anchors, sizeof(*cx->anchors));
    }
    cx->anchors[cx->n_anchors].name = wf_xstrdup((const char *)name);
    cx->anchors[cx->n_anchors++].node = node;
}

static void set_tag(wf_yaml_node_t *n, const yaml_char_t *tag)
{
    const char *t = (const char *)tag;
    if (t == NULL || strcmp(t, "!") == 0)
        return;
    /* An explicit !!str makes a plain scalar a string, never typed implicitly. */
    if (strcmp(t, YAML_STR_TAG) == 0) {
        n->quoted = true;
        return;
    }
    if (strcmp(t, YAML_SEQ_TAG) != 0 && strcmp(t, YAML_MAP_TAG) != 0)
        n->tag = wf_xstrdup(t);
}

static bool next_event(load_ctx_t *cx, yaml_event_t *ev)
{
    if (yaml_parser_parse(&cx->parser, ev))
        return true;
    syntax_error(cx);
    return false;
}

static void check_duplicate(load_ctx_t *cx, const wf_yaml_node_t *map, const wf_yaml_node_t *key)
{
    if (key->kind != WF_YAML_SCALAR)
        return;
    for (size_t j = 0; j < map->count; j++) {
        const wf_yaml_node_t *prev = map->keys[j];
        if (prev->kind == WF_YAML_SCALAR && prev->len == key->len &&
            memcmp(prev->value, key->value, key->len) == 0) {
            wf_diag_t *e =
                wf_diags_add(cx->diags, key->line, key->col, "", "duplicate key '%s'", key->value);
            wf_diag_note(e, "first defined at line %d", prev->line);
            return;
        }
    }
}

/* Builds the node that starts with `ev` (which the caller still owns).
 * Returns NULL on a syntax error or an exceeded bound. */
static wf_yaml_node_t *build(load_ctx_t *cx, yaml_event_t *ev, int depth)
{
    int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
    if (ev->type == YAML_ALIAS_EVENT) {
        const char *name = (const char *)ev->data.alias.anchor;
        for (size_t i = cx->n_anchors; i-- > 0;)
            if (strcmp(cx->anchors[i].name, name) == 0)
                return copy_node(cx, cx->anchors[i].node, depth);
        wf_diags_add(cx->diags, line, col, "", "unknown alias '*%s'", name);
        cx->failed = true;
        return NULL;
    }
    if (!count_node(cx, depth, line, col))
        return NULL;
    if (ev->type == YAML_SCALAR_EVENT) {
        wf_yaml_node_t *n = new_scalar(ev->data.scalar.value, ev->data.scalar.length);
        n->line = line;
        n->col = col;
        n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
        set_tag(n, ev->data.scalar.tag);
        remember_anchor(cx, ev->data.scalar.anchor, n);
        return n;
    }
    wf_yaml_node_t *n = wf_xcalloc(1, sizeof(*n));
    n->line = line;
    n->col = col;
    bool is_map = ev->type == YAML_MAPPING_START_EVENT;
    yaml_event_type_t end = is_map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
    const yaml_char_t *anchor = is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
    n->kind = is_map ? WF_YAML_MAP : WF_YAML_SEQ;
    set_tag(n, is_map ? ev->data.mapping_start.tag : ev->data.sequence_start.tag);
    size_t cap = 0;
    for (;;) {
        yaml_event_t child;
        if (!next_event(cx, &child))
            goto fail;
        if (child.type == end) {
            yaml_event_delete(&child);
            break;
        }
        wf_yaml_node_t *k = build(cx, &child, depth + 1);
        yaml_event_delete(&child);
        if (k == NULL)
            goto fail;
        wf_yaml_node_t *v = NULL;
        if (is_map) {
            yaml_event_t value;
            if (!next_event(cx, &value)) {
                wf_yaml_free(k);
                goto fail;
            }
            v = build(cx, &value, depth + 1);
            yaml_event_delete(&value);
            if (v == NULL) {
                wf_yaml_free(k);
                goto fail;
            }
            check_duplicate(cx, n, k);
            append(n, &cap, k, v);
        } else {
            append(n, &cap, NULL, k);
        }
    }
    /* The anchor names the complete node: an alias inside it is unknown,
     * which refuses self-referencing documents. */
    remember_anchor(cx, anchor, n);
    return n;
fail:
    wf_yaml_free(n);
    return NULL;
}

wf_yaml_node_t *wf_yaml_load(const char *text, size_t len, wf_diags_t *diags)
{
    load_ctx_t cx = {.text = text, .len = len, .diags = diags};
    wf_yaml_node_t *root = NULL;
    yaml_event_t ev;
    if (!yaml_parser_initialize(&cx.parser))
        wf_out_of_memory(sizeof(cx.parser));
    yaml_parser_set_input_string(&cx.parser, (const unsigned char *)text, len);
    /* Skip STREAM-START and DOCUMENT-START; the first node event is the root.
     * Only the first document counts, as with yaml_parser_load. */
    for (;;) {
        if (!next_event(&cx, &ev))
            goto out;
        yaml_event_type_t type = ev.type;
        if (type == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        if (type == YAML_SCALAR_EVENT || type == YAML_SEQUENCE_START_EVENT ||
            type == YAML_MAPPING_START_EVENT || type == YAML_ALIAS_EVENT) {
            root = build(&cx, &ev, 0);
            yaml_event_delete(&ev);
            if (root == NULL)
                goto out;
            /* The rest of the document must still be valid YAML. */
            do {
                if (!next_event(&cx, &ev))
                    goto out;
                type = ev.type;
                yaml_event_delete(&ev);
            } while (type != YAML_DOCUMENT_END_EVENT);
            break;
        }
        yaml_event_delete(&ev);
    }
    if (root == NULL) {
        root = wf_xcalloc(1, sizeof(*root));
        root->kind = WF_YAML_MAP;
        root->line = root->col = 1;
    }
out:
    if (cx.failed) {
        wf_yaml_free(root);
        root = NULL;
    }
    for (size_t i = 0; i < cx.n_anchors; i++)
        free(cx.anchors[i].name);
    free(cx.anchors);
    yaml_parser_delete(&cx.parser);
    return root;
}

void wf_yaml_free(wf_yaml_node_t *node)
{
    if (node == NULL)
        return;
    for (size_t i = 0; i < node->count; i++) {
        if (node->keys != NULL)
            wf_yaml_free(node->keys[i]);
        wf_yaml_free(node->items[i]);
    }
    free(node->keys);
    free(node->items);
    if (node->value != (char *)(node + 1)) /* scalars keep their text inline */
        free(node->value);
    free(node->tag);
    free(node);
}

wf_yaml_node_t *wf_yaml_get(const wf_yaml_node_t *map, const char *key)
{
    if (map == NULL || map->kind != WF_YAML_MAP)
        return NULL;
    for (size_t i = 0; i < map->count; i++)
        if (map->keys[i]->kind == WF_YAML_SCALAR && map->keys[i]->value[0] == key[0] &&
            strcmp(map->keys[i]->value, key) == 0)
            return map->items[i];
    return NULL;
}

bool wf_yaml_is_null(const wf_yaml_node_t *node)
{
    if (node == NULL || node->kind != WF_YAML_SCALAR || node->quoted)
        return false;
    const char *v = node->value;
    /* Called for nearly every node while validating: decide on the first byte. */
    switch (v[0]) {
    case '\0':
        return true;
    case '~':
        return v[1] == '\0';
    case 'n':
        return strcmp(v, "null") == 0;
    case 'N':
        return strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
    default:
        return false;
    }
}

bool wf_yaml_as_bool(const wf_yaml_node_t *node, bool *out)
{
    if (node == NULL || node->kind != WF_YAML_SCALAR || node->quoted)
        return false;
    const char *v = node->value;
    if (strcmp(v, "true") == 0 || strcmp(v, "True") == 0 || strcmp(v, "TRUE") == 0) {
        *out = true;
        return true;
    }
    if (strcmp(v, "false") == 0 || strcmp(v, "False") == 0 || strcmp(v, "FALSE") == 0) {
        *out = false;
        return true;
    }
    return false;
}

bool wf_yaml_as_int(const wf_yaml_node_t *node, int64_t *out)
{
    if (node == NULL || node->kind != WF_YAML_SCALAR || node->quoted || node->value[0] == '\0')
        return false;
    const char *v = node->value;
    int base = 10;
    if (strncmp(v, "0x", 2) == 0) {
        base = 16;
        v += 2;
    } else if (strncmp(v, "0o", 2) == 0) {
        base = 8;
        v += 2;
    }
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, base);
    if (errno != 0 || *end != '\0' || end == v)
        return false;
    *out = x;
    return true;
}

bool wf_yaml_as_double(const wf_yaml_node_t *node, double *out)
{
    if (node == NULL || node->kind != WF_YAML_SCALAR || node->quoted || node->value[0] == '\0')
        return false;
    int64_t i;
    if (wf_yaml_as_int(node, &i)) {
        *out = (double)i;
        return true;
    }
    const char *v = node->value;
    if (strcasecmp(v, ".inf") == 0 || strcasecmp(v, "+.inf") == 0) {
        *out = INFINITY;
        return true;
    }
    if (strcasecmp(v, "-.inf") == 0) {
        *out = -INFINITY;
        return true;
    }
    if (strcasecmp(v, ".nan") == 0) {
        *out = NAN;
        return true;
    }
    /* strtod also takes "inf", "nan" and hex floats that YAML does not. */
    for (const char *p = v; *p; p++)
        if (!strchr("0123456789+-.eE", *p))
            return false;
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno != 0 || *end != '\0')
        return false;
    *out = d;
    return true;
}

const char *wf_yaml_type_name(const wf_yaml_node_t *node)
{
    bool b;
    int64_t i;
    double d;
    if (node == NULL)
        return "nothing";
    switch (node->kind) {
    case WF_YAML_SEQ:
        return "list";
    case WF_YAML_MAP:
        return "map";
    case WF_YAML_SCALAR:
        break;
    }
    if (node->quoted)
        return "string";
    if (wf_yaml_is_null(node))
        return "null";
    if (wf_yaml_as_bool(node, &b))
        return "boolean";
    if (wf_yaml_as_int(node, &i))
        return "integer";
    if (wf_yaml_as_double(node, &d))
        return "number";
    return "string";
}

json_t *wf_yaml_to_json(const wf_yaml_node_t *node)
{
    bool b;
    int64_t i;
    double d;
    switch (node->kind) {
    case WF_YAML_SEQ: {
        json_t *arr = json_array();
        for (size_t k = 0; k < node->count; k++)
            json_array_append_new(arr, wf_yaml_to_json(node->items[k]));
        return arr;
    }
    case WF_YAML_MAP: {
        json_t *obj = json_object();
        for (size_t k = 0; k < node->count; k++) {
            const wf_yaml_node_t *key = node->keys[k];
            json_object_set_new(obj, key->kind == WF_YAML_SCALAR ? key->value : "",
                                wf_yaml_to_json(node->items[k]));
        }
        return obj;
    }
    case WF_YAML_SCALAR:
        break;
    }
    if (node->quoted)
        return json_stringn(node->value, node->len);
    if (wf_yaml_is_null(node))
        return json_null();
    if (wf_yaml_as_bool(node, &b))
        return json_boolean(b);
    if (wf_yaml_as_int(node, &i))
        return json_integer(i);
    if (wf_yaml_as_double(node, &d) && isfinite(d))
        return json_real(d);
    return json_stringn(node->value, node->len);
}
