/* A YAML document loaded into a small tree whose every node keeps its
 * 1-based line and column. Duplicate mapping keys are rejected (libyaml accepts
 * them silently), aliases are expanded with bounds (no billion laughs). */
#ifndef WF_YAML_H
#define WF_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "platform/diag.h"

typedef enum { WF_YAML_SCALAR, WF_YAML_SEQ, WF_YAML_MAP } wf_yaml_kind_t;

typedef struct wf_yaml_node wf_yaml_node_t;
struct wf_yaml_node {
    wf_yaml_kind_t kind;
    int line, col; /* 1-based start of the node */
    char *tag;     /* explicit tag such as "!!str", or NULL */
    /* scalars */
    char *value; /* NUL-terminated (may also contain NULs: use len) */
    size_t len;
    bool quoted; /* any style but plain: never typed implicitly */
    /* sequences: items[0..count); mappings: keys[i] -> items[i] */
    wf_yaml_node_t **keys;
    wf_yaml_node_t **items;
    size_t count;
};

/* Parses one document. Returns the root (an empty mapping for an empty
 * document) or NULL when the text is not YAML; every problem found is added to
 * `diags` (syntax errors, duplicate keys). A tree is returned even when
 * duplicate keys were reported, so callers can go on finding errors. */
wf_yaml_node_t *wf_yaml_load(const char *text, size_t len, wf_diags_t *diags);
void wf_yaml_free(wf_yaml_node_t *node);

/* Mapping lookup by key text; NULL when absent or when `map` is not a mapping. */
wf_yaml_node_t *wf_yaml_get(const wf_yaml_node_t *map, const char *key);
/* True for a plain "null", "~", "Null", "NULL" or an empty plain scalar. */
bool wf_yaml_is_null(const wf_yaml_node_t *node);
/* Typed reads of plain scalars (YAML 1.2 core schema). Return false when the
 * node is not a scalar of that type. */
bool wf_yaml_as_bool(const wf_yaml_node_t *node, bool *out);
bool wf_yaml_as_int(const wf_yaml_node_t *node, int64_t *out);
bool wf_yaml_as_double(const wf_yaml_node_t *node, double *out);
/* Human name of a node's kind/type for messages: "string", "integer",
 * "boolean", "number", "null", "list", "map". */
const char *wf_yaml_type_name(const wf_yaml_node_t *node);
/* Converts to JSON with core-schema typing of plain scalars. New reference. */
json_t *wf_yaml_to_json(const wf_yaml_node_t *node);

#endif
