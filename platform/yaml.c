#include "platform/yaml.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

/* Bounds on alias expansion: a hostile document must not make us build an
 * exponential tree or recurse forever through a self-referencing anchor. */
#define WF_YAML_MAX_DEPTH 128
#define WF_YAML_MAX_NODES 200000

typedef struct {
    yaml_document_t *doc;
    wf_diags_t *diags;
    size_t nodes;
    bool overflow;
} convert_ctx_t;

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (p == NULL)
        abort();
    return p;
}

static wf_yaml_node_t *convert(convert_ctx_t *cx, yaml_node_t *src, int depth)
{
    if (depth > WF_YAML_MAX_DEPTH || ++cx->nodes > WF_YAML_MAX_NODES) {
        if (!cx->overflow)
            wf_diags_add(cx->diags, (int)src->start_mark.line + 1, (int)src->start_mark.column + 1,
                         "", "document too deep or too large (aliases expand past %d nodes)",
                         WF_YAML_MAX_NODES);
        cx->overflow = true;
        return NULL;
    }
    wf_yaml_node_t *n = xcalloc(1, sizeof(*n));
    n->line = (int)src->start_mark.line + 1;
    n->col = (int)src->start_mark.column + 1;
    const char *tag = (const char *)src->tag;
    /* libyaml fills default tags in; keep only explicit, non-default ones. */
    if (tag != NULL && strcmp(tag, YAML_DEFAULT_SCALAR_TAG) != 0 &&
        strcmp(tag, YAML_DEFAULT_SEQUENCE_TAG) != 0 && strcmp(tag, YAML_DEFAULT_MAPPING_TAG) != 0)
        n->tag = strdup(tag);
    switch (src->type) {
    case YAML_SCALAR_NODE:
        n->kind = WF_YAML_SCALAR;
        n->len = src->data.scalar.length;
        n->value = xcalloc(n->len + 1, 1);
        memcpy(n->value, src->data.scalar.value, n->len);
        n->quoted = src->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
        if (n->tag != NULL && strcmp(n->tag, "tag:yaml.org,2002:str") == 0)
            n->quoted = true;
        break;
    case YAML_SEQUENCE_NODE: {
        n->kind = WF_YAML_SEQ;
        size_t count = (size_t)(src->data.sequence.items.top - src->data.sequence.items.start);
        n->items = xcalloc(count, sizeof(*n->items));
        for (size_t i = 0; i < count; i++) {
            yaml_node_t *child =
                yaml_document_get_node(cx->doc, src->data.sequence.items.start[i]);
            wf_yaml_node_t *c = child ? convert(cx, child, depth + 1) : NULL;
            if (c == NULL)
                break;
            n->items[n->count++] = c;
        }
        break;
    }
    case YAML_MAPPING_NODE: {
        n->kind = WF_YAML_MAP;
        size_t count = (size_t)(src->data.mapping.pairs.top - src->data.mapping.pairs.start);
        n->keys = xcalloc(count, sizeof(*n->keys));
        n->items = xcalloc(count, sizeof(*n->items));
        for (size_t i = 0; i < count; i++) {
            yaml_node_pair_t *pair = &src->data.mapping.pairs.start[i];
            yaml_node_t *k = yaml_document_get_node(cx->doc, pair->key);
            yaml_node_t *v = yaml_document_get_node(cx->doc, pair->value);
            if (k == NULL || v == NULL)
                break;
            wf_yaml_node_t *ck = convert(cx, k, depth + 1);
            wf_yaml_node_t *cv = ck ? convert(cx, v, depth + 1) : NULL;
            if (cv == NULL) {
                wf_yaml_free(ck);
                break;
            }
            if (ck->kind == WF_YAML_SCALAR) {
                for (size_t j = 0; j < n->count; j++) {
                    const wf_yaml_node_t *prev = n->keys[j];
                    if (prev->kind == WF_YAML_SCALAR && prev->len == ck->len &&
                        memcmp(prev->value, ck->value, ck->len) == 0) {
                        wf_diag_t *e = wf_diags_add(cx->diags, ck->line, ck->col, "",
                                                    "duplicate key '%s'", ck->value);
                        wf_diag_note(e, "first defined at line %d", prev->line);
                        break;
                    }
                }
            }
            n->keys[n->count] = ck;
            n->items[n->count++] = cv;
        }
        break;
    }
    default:
        n->kind = WF_YAML_SCALAR;
        n->value = strdup("");
        break;
    }
    return n;
}

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

wf_yaml_node_t *wf_yaml_load(const char *text, size_t len, wf_diags_t *diags)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    wf_yaml_node_t *root = NULL;
    if (!yaml_parser_initialize(&parser))
        abort();
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        int line = (int)parser.problem_mark.line + 1, col = (int)parser.problem_mark.column + 1;
        wf_diag_t *e;
        if (parser.context != NULL)
            e = wf_diags_add(diags, line, col, "", "YAML syntax: %s %s", describe_problem(&parser),
                             parser.context);
        else
            e = wf_diags_add(diags, line, col, "", "YAML syntax: %s", describe_problem(&parser));
        /* A tab in indentation is the most common cause; say so plainly. */
        if (line_indented_with_tab(text, len, parser.problem_mark.line) ||
            (parser.problem != NULL && strstr(parser.problem, "tab") != NULL))
            wf_diag_note(e, "tabs are not allowed for indentation in YAML; use spaces");
        else if (parser.context != NULL && parser.context_mark.line != parser.problem_mark.line)
            wf_diag_note(e, "the construct started at line %d, column %d",
                         (int)parser.context_mark.line + 1, (int)parser.context_mark.column + 1);
        yaml_parser_delete(&parser);
        return NULL;
    }
    yaml_node_t *top = yaml_document_get_root_node(&doc);
    if (top == NULL) {
        root = xcalloc(1, sizeof(*root));
        root->kind = WF_YAML_MAP;
        root->line = root->col = 1;
    } else {
        convert_ctx_t cx = {.doc = &doc, .diags = diags};
        root = convert(&cx, top, 0);
        if (cx.overflow) {
            wf_yaml_free(root);
            root = NULL;
        }
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
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
    free(node->value);
    free(node->tag);
    free(node);
}

wf_yaml_node_t *wf_yaml_get(const wf_yaml_node_t *map, const char *key)
{
    if (map == NULL || map->kind != WF_YAML_MAP)
        return NULL;
    for (size_t i = 0; i < map->count; i++)
        if (map->keys[i]->kind == WF_YAML_SCALAR && strcmp(map->keys[i]->value, key) == 0)
            return map->items[i];
    return NULL;
}

bool wf_yaml_is_null(const wf_yaml_node_t *node)
{
    if (node == NULL || node->kind != WF_YAML_SCALAR || node->quoted)
        return false;
    const char *v = node->value;
    return v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
           strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
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
