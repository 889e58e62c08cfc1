/* Internal to the flow modules: the validation walk over the YAML tree. Every
 * check adds to one diagnostics list and goes on, so a file's errors are all
 * reported at once. */
#ifndef WF_FLOW_SCHEMA_H
#define WF_FLOW_SCHEMA_H

#include "flow/types.h"

#define WF_PATH_MAX 512

struct wf_vctx {
    wf_diags_t *diags;
    const char *text; /* the source, to place errors inside scalars */
    size_t len;
    const char *flow_id, *flow_ns; /* NULL when absent or invalid */
    int depth;                     /* task nesting, bounded */
    int foreign;                   /* >0: expressions refer to another flow's tasks */
    /* Every task id met (errors, finally, Dag and listeners included), for
     * duplicates and for references; and every `outputs.ID` reference. */
    struct wf_vref {
        const wf_yaml_node_t *node; /* the id scalar, or the string holding a reference */
        char *id;
        char *path;
        int line, col; /* of the reference inside the string */
    } *ids, *refs;
    size_t n_ids, cap_ids, n_refs, cap_refs;
};

/* Adds an error at `at` (its line/col) under `path`. */
wf_diag_t *wf_vctx_error(wf_vctx_t *cx, const wf_yaml_node_t *at, const char *path,
                         const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* True when `node` is of `kind`; otherwise adds "expected <what>, got <its
 * type>" at it under `path` and returns false. */
bool wf_vctx_expect(wf_vctx_t *cx, const wf_yaml_node_t *node, const char *path,
                    wf_yaml_kind_t kind, const char *what);

/* True when a scalar holds an expression or tag ("{{", "{%") to render later. */
bool wf_is_dynamic(const wf_yaml_node_t *node);
/* True for an absent node or a YAML null. */
bool wf_is_absent(const wf_yaml_node_t *node);

/* Checks a mapping against the union of `tables` (each NULL-name terminated):
 * unknown keys (with a suggestion), required keys, then each value. `what`
 * and `what_name` (may be NULL) name the object in messages ("task " +
 * "io.kestra.plugin.core.log.Log"); they are only joined on error. */
void wf_check_map(wf_vctx_t *cx, const wf_yaml_node_t *map, const char *path,
                  const wf_prop_t *const *tables, size_t n_tables, const char *what,
                  const char *what_name);
/* Paths without printf: "parent.key" ("key" at the top) and "parent[i]";
 * `dst` holds WF_PATH_MAX bytes and the result is truncated to fit. */
void wf_path_key(char *dst, const char *parent, const char *key);
void wf_path_index(char *dst, const char *parent, size_t index);
/* Checks one value against its property row. */
void wf_check_value(wf_vctx_t *cx, const wf_prop_t *prop, const wf_yaml_node_t *node,
                    const char *path);
/* Checks that every expression in the strings below `node` parses. */
void wf_check_templates(wf_vctx_t *cx, const wf_yaml_node_t *node, const char *path);
/* Checks one task (dispatch on its type) / a list of tasks. */
void wf_check_task(wf_vctx_t *cx, const wf_yaml_node_t *task, const char *path);
void wf_check_tasks(wf_vctx_t *cx, const wf_yaml_node_t *list, const char *path,
                    bool required_nonempty);
/* Checks the whole document (root mapping). */
void wf_check_flow(wf_vctx_t *cx, const wf_yaml_node_t *root);

/* Dag (task validator): dependsOn must name sibling tasks, without cycles. */
void wf_validate_dag(wf_vctx_t *cx, const wf_yaml_node_t *map, const char *path);
/* Checks that a regular expression compiles with the engine that runs it
 * (PCRE2, platform/regex.h). Returns 0 or -1 with the compiler's message and
 * the byte offset of the problem. */
int wf_regex_check(const char *re, char *msg, size_t msglen);
/* Records a task id (for duplicates and `outputs.ID` references). */
void wf_vctx_add_task_id(wf_vctx_t *cx, const wf_yaml_node_t *id, const char *path);
/* Frees the id and reference lists of a context. */
void wf_vctx_dispose(wf_vctx_t *cx);

/* Kestra's id rules. */
bool wf_task_id_valid(const char *s);
bool wf_flow_id_valid(const char *s);
bool wf_flow_namespace_valid(const char *s);

#endif
