/* Flow-level validation: the top-level schema, checks across the whole
 * document (duplicate ids, references to tasks, Dag cycles) and expressions
 * placed at their exact position inside YAML scalars. */
#include "flow/schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/expr/expr.h"
#include "flow/time.h"
#include "platform/regex.h"
#include "platform/xmalloc.h"

#define END {.name = NULL}
#define A(...) ((const char *const[]){__VA_ARGS__, NULL})

/* ---- the top level ----------------------------------------------------- */

static const char *const input_types_for_outputs[] = {
    "STRING", "INT", "FLOAT", "BOOLEAN", "BOOL", "SELECT", "MULTISELECT", "ENUM", "DATETIME", "DATE",
    "TIME", "DURATION", "JSON", "YAML", "URI", "SECRET", "FILE", "ARRAY", "EMAIL", NULL};

static const wf_prop_t output_props[] = {
    {.name = "id", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED | WF_PF_STATIC | WF_PF_ID},
    {.name = "type", .type = WF_PT_ENUM, .flags = WF_PF_REQUIRED | WF_PF_STATIC,
     .values = input_types_for_outputs},
    {.name = "value", .type = WF_PT_ANY, .flags = WF_PF_REQUIRED},
    {.name = "description", .type = WF_PT_STRING, .flags = WF_PF_STATIC},
    {.name = "displayName", .type = WF_PT_STRING, .flags = WF_PF_STATIC},
    {.name = "required", .type = WF_PT_BOOL, .flags = WF_PF_STATIC},
    END,
};
static const wf_schema_t output_schema = {.what = "output", .props = output_props};

static const wf_prop_t concurrency_props[] = {
    {.name = "limit", .type = WF_PT_INT, .flags = WF_PF_REQUIRED | WF_PF_STATIC},
    {.name = "behavior", .type = WF_PT_ENUM, .flags = WF_PF_STATIC,
     .values = A("QUEUE", "CANCEL", "FAIL")},
    END,
};
static void validate_concurrency(wf_vctx_t *cx, const wf_yaml_node_t *map, const char *path)
{
    const wf_yaml_node_t *limit = wf_yaml_get(map, "limit");
    int64_t n;
    char sub[WF_PATH_MAX];
    wf_path_key(sub, path, "limit");
    if (limit != NULL && wf_yaml_as_int(limit, &n) && n < 1)
        wf_vctx_error(cx, limit, sub, "must be at least 1, got %lld", (long long)n);
}
static const wf_schema_t concurrency_schema = {
    .what = "concurrency", .props = concurrency_props, .validate = validate_concurrency};

static const wf_prop_t plugin_default_props[] = {
    {.name = "type", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED | WF_PF_STATIC},
    {.name = "forced", .type = WF_PT_BOOL, .flags = WF_PF_STATIC},
    {.name = "values", .type = WF_PT_MAP, .flags = WF_PF_REQUIRED},
    END,
};
static const wf_schema_t plugin_default_schema = {.what = "plugin default",
                                                  .props = plugin_default_props};

static const wf_prop_t sla_props[] = {
    {.name = "id", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED | WF_PF_STATIC | WF_PF_ID},
    {.name = "type", .type = WF_PT_ENUM, .flags = WF_PF_REQUIRED | WF_PF_STATIC,
     .values = A("MAX_DURATION", "EXECUTION_ASSERTION")},
    {.name = "behavior", .type = WF_PT_ENUM, .flags = WF_PF_REQUIRED | WF_PF_STATIC,
     .values = A("FAIL", "CANCEL", "NONE")},
    {.name = "duration", .type = WF_PT_DURATION, .flags = WF_PF_STATIC},
    {.name = "assert", .type = WF_PT_STRING},
    {.name = "labels", .type = WF_PT_LABELS, .flags = WF_PF_STATIC},
    END,
};
static void validate_sla(wf_vctx_t *cx, const wf_yaml_node_t *map, const char *path)
{
    const wf_yaml_node_t *type = wf_yaml_get(map, "type");
    char sub[WF_PATH_MAX];
    if (type == NULL || type->kind != WF_YAML_SCALAR)
        return;
    const char *need = strcmp(type->value, "MAX_DURATION") == 0          ? "duration"
                       : strcmp(type->value, "EXECUTION_ASSERTION") == 0 ? "assert"
                                                                        : NULL;
    if (need != NULL && wf_is_absent(wf_yaml_get(map, need))) {
        wf_path_key(sub, path, need);
        wf_vctx_error(cx, map, sub, "missing required property '%s' for a %s SLA", need,
                      type->value);
    }
}
static const wf_schema_t sla_schema = {.what = "SLA", .props = sla_props, .validate = validate_sla};

static const wf_prop_t listener_props[] = {
    {.name = "description", .type = WF_PT_STRING, .flags = WF_PF_STATIC},
    {.name = "conditions", .type = WF_PT_CONDITIONS},
    {.name = "tasks", .type = WF_PT_TASKS, .flags = WF_PF_REQUIRED | WF_PF_NONEMPTY},
    END,
};
static const wf_schema_t listener_schema = {.what = "listener", .props = listener_props};

/* Triggers are a list whose items dispatch on `type`: handled by hand below. */
static const wf_prop_t flow_props[] = {
    {.name = "id", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED | WF_PF_STATIC},
    {.name = "namespace", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED | WF_PF_STATIC},
    {.name = "revision", .type = WF_PT_ANY, .flags = WF_PF_STATIC}, /* ignored on input */
    {.name = "description", .type = WF_PT_STRING, .flags = WF_PF_STATIC},
    {.name = "labels", .type = WF_PT_LABELS, .flags = WF_PF_STATIC},
    {.name = "inputs", .type = WF_PT_INPUTS, .flags = WF_PF_STATIC},
    {.name = "variables", .type = WF_PT_MAP},
    {.name = "tasks", .type = WF_PT_TASKS, .flags = WF_PF_REQUIRED | WF_PF_NONEMPTY},
    {.name = "errors", .type = WF_PT_TASKS},
    {.name = "finally", .type = WF_PT_TASKS},
    {.name = "afterExecution", .type = WF_PT_TASKS},
    {.name = "listeners", .type = WF_PT_OBJECT_LIST, .sub = &listener_schema},
    {.name = "outputs", .type = WF_PT_OBJECT_LIST, .sub = &output_schema},
    {.name = "triggers", .type = WF_PT_ANY, .flags = WF_PF_STATIC},
    {.name = "concurrency", .type = WF_PT_OBJECT, .sub = &concurrency_schema},
    {.name = "retry", .type = WF_PT_RETRY},
    {.name = "disabled", .type = WF_PT_BOOL, .flags = WF_PF_STATIC},
    {.name = "pluginDefaults", .type = WF_PT_OBJECT_LIST, .flags = WF_PF_STATIC,
     .sub = &plugin_default_schema},
    {.name = "taskDefaults", .type = WF_PT_OBJECT_LIST, .flags = WF_PF_STATIC,
     .sub = &plugin_default_schema},
    {.name = "sla", .type = WF_PT_OBJECT_LIST, .sub = &sla_schema},
    END,
};
const wf_schema_t wf_flow_schema = {.what = "flow", .props = flow_props};

/* Labels under "system." are set by the platform itself; only the ones a
 * flow author may set are allowed. */
static const char *const allowed_system_labels[] = {"system.readOnly", "system.correlationId"};

static void check_labels(wf_vctx_t *cx, const wf_yaml_node_t *labels)
{
    char sub[WF_PATH_MAX];
    if (labels == NULL)
        return;
    for (size_t k = 0; k < labels->count; k++) {
        const wf_yaml_node_t *key = labels->kind == WF_YAML_MAP ? labels->keys[k]
                                                                : wf_yaml_get(labels->items[k], "key");
        if (key == NULL || key->kind != WF_YAML_SCALAR || strncmp(key->value, "system.", 7) != 0)
            continue;
        bool allowed = false;
        for (size_t a = 0; a < sizeof(allowed_system_labels) / sizeof(allowed_system_labels[0]);
             a++)
            allowed |= strcmp(key->value, allowed_system_labels[a]) == 0;
        if (!allowed) {
            snprintf(sub, sizeof(sub), "labels.%s", key->value);
            wf_diag_t *e = wf_vctx_error(cx, key, sub,
                                         "label '%s' is reserved: 'system.' labels are set by the "
                                         "platform",
                                         key->value);
            wf_diag_note(e, "only system.readOnly and system.correlationId may be set in a flow");
        }
    }
}

static void check_triggers(wf_vctx_t *cx, const wf_yaml_node_t *list)
{
    char sub[WF_PATH_MAX], tp[WF_PATH_MAX];
    if (!wf_vctx_expect(cx, list, "triggers", WF_YAML_SEQ, "a list"))
        return;
    for (size_t k = 0; k < list->count; k++) {
        const wf_yaml_node_t *t = list->items[k];
        snprintf(sub, sizeof(sub), "triggers[%zu]", k);
        if (!wf_vctx_expect(cx, t, sub, WF_YAML_MAP, "a trigger (map)"))
            continue;
        const wf_yaml_node_t *type = wf_yaml_get(t, "type");
        wf_path_key(tp, sub, "type");
        if (wf_is_absent(type) || type->kind != WF_YAML_SCALAR) {
            wf_vctx_error(cx, type ? type : t, tp, "missing required property 'type'");
            continue;
        }
        const wf_trigger_type_t *tt = wf_trigger_type_find(type->value);
        if (tt == NULL) {
            const char *names[16];
            size_t nn = 0;
            for (size_t i = 0; i < wf_n_trigger_types && nn < 16; i++)
                names[nn++] = wf_trigger_types[i].name;
            wf_diag_t *e = wf_vctx_error(cx, type, tp, "unknown trigger type '%s'", type->value);
            wf_diag_suggest(e, type->value, names, nn);
            continue;
        }
        const wf_prop_t *tables[] = {wf_trigger_common_props, tt->props};
        /* Trigger properties are rendered against the execution that fires
         * the trigger (a Flow trigger's `outputs.x` is the upstream flow's). */
        cx->foreign++;
        wf_check_map(cx, t, sub, tables, 2, "trigger ", tt->name);
        cx->foreign--;
        if (tt->validate != NULL)
            tt->validate(cx, t, sub);
        const wf_yaml_node_t *id = wf_yaml_get(t, "id");
        for (size_t j = 0; id != NULL && id->kind == WF_YAML_SCALAR && j < k; j++) {
            const wf_yaml_node_t *prev = wf_yaml_get(list->items[j], "id");
            if (prev != NULL && prev->kind == WF_YAML_SCALAR && strcmp(prev->value, id->value) == 0) {
                wf_path_key(tp, sub, "id");
                wf_diag_t *e = wf_vctx_error(cx, id, tp, "duplicate trigger id '%s'", id->value);
                wf_diag_note(e, "first defined at line %d", prev->line);
                break;
            }
        }
    }
}

static void push_ref(struct wf_vref **arr, size_t *n, size_t *cap, const wf_yaml_node_t *node,
                     const char *id, size_t idlen, const char *path, int line, int col)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 32;
        *arr = wf_xreallocarray(*arr, *cap, sizeof(**arr));
    }
    struct wf_vref *r = &(*arr)[(*n)++];
    r->node = node;
    r->id = wf_xstrndup(id, idlen);
    r->path = wf_xstrdup(path);
    r->line = line;
    r->col = col;
}

void wf_vctx_dispose(wf_vctx_t *cx)
{
    for (size_t i = 0; i < cx->n_ids; i++) {
        free(cx->ids[i].id);
        free(cx->ids[i].path);
    }
    for (size_t i = 0; i < cx->n_refs; i++) {
        free(cx->refs[i].id);
        free(cx->refs[i].path);
    }
    free(cx->ids);
    free(cx->refs);
    cx->ids = cx->refs = NULL;
    cx->n_ids = cx->n_refs = cx->cap_ids = cx->cap_refs = 0;
}

void wf_vctx_add_task_id(wf_vctx_t *cx, const wf_yaml_node_t *id, const char *path)
{
    push_ref(&cx->ids, &cx->n_ids, &cx->cap_ids, id, id->value, id->len, path, id->line, id->col);
}

/* The flow's id or namespace (`key`) when it is a present scalar that
 * `valid` accepts; NULL otherwise, after reporting an invalid one. */
static const char *valid_name(wf_vctx_t *cx, const wf_yaml_node_t *node, const char *key,
                              bool (*valid)(const char *), const char *what, const char *pattern,
                              int max)
{
    if (node == NULL || node->kind != WF_YAML_SCALAR || wf_is_absent(node))
        return NULL;
    if (valid(node->value))
        return node->value;
    wf_vctx_error(cx, node, key, "invalid %s '%s': must match %s (at most %d characters)", what,
                  node->value, pattern, max);
    return NULL;
}

void wf_check_flow(wf_vctx_t *cx, const wf_yaml_node_t *root)
{
    if (root->kind != WF_YAML_MAP) {
        wf_vctx_error(cx, root, "", "a flow must be a map with 'id', 'namespace' and 'tasks', "
                                    "got %s",
                      wf_yaml_type_name(root));
        return;
    }
    const char *v = valid_name(cx, wf_yaml_get(root, "id"), "id", wf_flow_id_valid, "flow id",
                               "^[a-zA-Z0-9][a-zA-Z0-9._-]*", 100);
    if (v != NULL)
        cx->flow_id = v;
    v = valid_name(cx, wf_yaml_get(root, "namespace"), "namespace", wf_flow_namespace_valid,
                   "namespace", "^[a-z0-9][a-z0-9._-]*", 150);
    if (v != NULL)
        cx->flow_ns = v;
    const wf_prop_t *tables[] = {flow_props};
    wf_check_map(cx, root, "", tables, 1, "flow", NULL);
    check_labels(cx, wf_yaml_get(root, "labels"));
    const wf_yaml_node_t *triggers = wf_yaml_get(root, "triggers");
    if (!wf_is_absent(triggers))
        check_triggers(cx, triggers);

    /* Task ids are unique across the whole flow: outputs are addressed by id. */
    for (size_t i = 0; i < cx->n_ids; i++) {
        for (size_t j = 0; j < i; j++) {
            if (cx->ids[i].id[0] == cx->ids[j].id[0] && strcmp(cx->ids[i].id, cx->ids[j].id) == 0) {
                wf_diag_t *e = wf_diags_add(cx->diags, cx->ids[i].line, cx->ids[i].col,
                                            cx->ids[i].path, "duplicate task id '%s'",
                                            cx->ids[i].id);
                wf_diag_note(e, "first defined at line %d (%s)", cx->ids[j].line,
                             cx->ids[j].path);
                break;
            }
        }
    }
    /* `outputs.ID` should name a task of this flow. Kestra accepts the flow
     * and fails the expression when it runs (a `runIf` on a missing output
     * fails its task), so this is a warning: the flow stays valid. */
    for (size_t i = 0; i < cx->n_refs; i++) {
        bool found = false;
        for (size_t j = 0; j < cx->n_ids && !found; j++)
            found = strcmp(cx->refs[i].id, cx->ids[j].id) == 0;
        if (!found) {
            const char *names[256];
            size_t nn = 0;
            for (size_t j = 0; j < cx->n_ids && nn < 256; j++)
                names[nn++] = cx->ids[j].id;
            wf_diag_t *e = wf_diags_warn(cx->diags, cx->refs[i].line, cx->refs[i].col,
                                         cx->refs[i].path,
                                         "'outputs.%s' refers to a task that does not exist",
                                         cx->refs[i].id);
            wf_diag_suggest(e, cx->refs[i].id, names, nn);
        }
    }
}

/* ---- Dag --------------------------------------------------------------- */

typedef struct {
    const char *id;
    const wf_yaml_node_t *deps; /* list or NULL */
    int state;                  /* 0 new, 1 on the stack, 2 done */
} dag_node_t;

static int dag_find(dag_node_t *nodes, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (nodes[i].id != NULL && strcmp(nodes[i].id, id) == 0)
            return (int)i;
    return -1;
}

/* Depth-first search; returns the index where a cycle closes, or -1. The
 * stack holds the current path so the message can spell the cycle out. */
static int dag_visit(dag_node_t *nodes, size_t n, int at, int *stack, int *depth)
{
    nodes[at].state = 1;
    stack[(*depth)++] = at;
    const wf_yaml_node_t *deps = nodes[at].deps;
    for (size_t k = 0; deps != NULL && deps->kind == WF_YAML_SEQ && k < deps->count; k++) {
        if (deps->items[k]->kind != WF_YAML_SCALAR)
            continue;
        int to = dag_find(nodes, n, deps->items[k]->value);
        if (to < 0)
            continue;
        if (nodes[to].state == 1) {
            stack[(*depth)++] = to;
            return to;
        }
        if (nodes[to].state == 0) {
            int c = dag_visit(nodes, n, to, stack, depth);
            if (c >= 0)
                return c;
        }
    }
    nodes[at].state = 2;
    (*depth)--;
    return -1;
}

void wf_validate_dag(wf_vctx_t *cx, const wf_yaml_node_t *map, const char *path)
{
    const wf_yaml_node_t *tasks = wf_yaml_get(map, "tasks");
    char sub[WF_PATH_MAX];
    if (tasks == NULL || tasks->kind != WF_YAML_SEQ || tasks->count == 0)
        return;
    size_t n = tasks->count;
    dag_node_t *nodes = wf_xcalloc(n, sizeof(*nodes));
    int *stack = wf_xcalloc(n + 1, sizeof(*stack));
    for (size_t k = 0; k < n; k++) {
        const wf_yaml_node_t *t = wf_yaml_get(wf_yaml_get(tasks->items[k], "task"), "id");
        nodes[k].id = t != NULL && t->kind == WF_YAML_SCALAR ? t->value : NULL;
        nodes[k].deps = wf_yaml_get(tasks->items[k], "dependsOn");
    }
    for (size_t k = 0; k < n; k++) {
        const wf_yaml_node_t *deps = nodes[k].deps;
        for (size_t d = 0; deps != NULL && deps->kind == WF_YAML_SEQ && d < deps->count; d++) {
            const wf_yaml_node_t *dep = deps->items[d];
            if (dep->kind != WF_YAML_SCALAR || dag_find(nodes, n, dep->value) >= 0)
                continue;
            const char *names[256];
            size_t nn = 0;
            for (size_t j = 0; j < n && nn < 256; j++)
                if (nodes[j].id != NULL)
                    names[nn++] = nodes[j].id;
            snprintf(sub, sizeof(sub), "%s.tasks[%zu].dependsOn[%zu]", path, k, d);
            wf_diag_t *e = wf_vctx_error(cx, dep, sub,
                                         "dependsOn refers to '%s', which is not a task of this "
                                         "Dag",
                                         dep->value);
            wf_diag_suggest(e, dep->value, names, nn);
        }
    }
    for (size_t k = 0; k < n; k++) {
        if (nodes[k].state != 0 || nodes[k].id == NULL)
            continue;
        int depth = 0;
        int closes = dag_visit(nodes, n, (int)k, stack, &depth);
        if (closes < 0)
            continue;
        /* Spell the cycle from where it closes: a -> b -> a. */
        char cycle[1024];
        size_t off = 0;
        int first = 0;
        while (stack[first] != closes)
            first++;
        for (int i = first; i < depth && off < sizeof(cycle) - 1; i++)
            off += (size_t)snprintf(cycle + off, sizeof(cycle) - off, "%s%s", i > first ? " -> " : "",
                                    nodes[stack[i]].id);
        const wf_yaml_node_t *at = wf_yaml_get(tasks->items[closes], "dependsOn");
        snprintf(sub, sizeof(sub), "%s.tasks[%d].dependsOn", path, closes);
        wf_diag_t *e = wf_vctx_error(cx, at != NULL ? at : tasks->items[closes], sub,
                                     "dependency cycle: %s", cycle);
        wf_diag_note(e, "each task waits for the one after its arrow, so none can start");
        break; /* one cycle is enough to explain; the others usually share it */
    }
    free(nodes);
    free(stack);
}

/* ---- regular expressions (input validators) ----------------------------- */

int wf_regex_check(const char *re, char *msg, size_t msglen)
{
    /* The syntax the gateway matches with (PCRE2), so that what is accepted
     * here is exactly what runs; `msg` ends with the byte offset. */
    return wf_regex_check_syntax(re, msg, msglen, NULL);
}

/* ---- expressions inside scalars ----------------------------------------- */

/* Byte offset of the start of 1-based `line` in the source, or -1. */
static long line_offset(const wf_vctx_t *cx, int line)
{
    long off = 0;
    for (int l = 1; l < line; l++) {
        const char *nl = memchr(cx->text + off, '\n', cx->len - (size_t)off);
        if (nl == NULL)
            return -1;
        off = nl - cx->text + 1;
    }
    return off;
}

/* Byte offset of 1-based character column `col` on the line starting at `lo`
 * (libyaml and the expression engine both count characters, not bytes). */
static long char_offset(const wf_vctx_t *cx, long lo, int col)
{
    long i = lo;
    for (int c = 1; c < col && (size_t)i < cx->len && cx->text[i] != '\n'; c++) {
        i++;
        while ((size_t)i < cx->len && ((unsigned char)cx->text[i] & 0xC0) == 0x80)
            i++;
    }
    return i;
}

/* Indentation of a 1-based source line. */
static int indent_of(const wf_vctx_t *cx, int line)
{
    long lo = line_offset(cx, line);
    int indent = 0;
    while (lo >= 0 && (size_t)(lo + indent) < cx->len && cx->text[lo + indent] == ' ')
        indent++;
    return indent;
}

/* Column in the file of value character `c` (1-based) of a one-line quoted
 * scalar starting at byte `q` (its opening quote): escapes ("\"", "\u00e9",
 * "''") are several source characters for one value character. Returns 0
 * when the scalar does not stay on its line. */
static int quoted_col(const wf_vctx_t *cx, long q, int start_col, int c)
{
    char quote = cx->text[q];
    long i = q + 1;
    int src = start_col + 1;
    for (int v = 1; v < c; v++) {
        if ((size_t)i >= cx->len || cx->text[i] == '\n')
            return 0;
        int width = 1;
        if (quote == '"' && cx->text[i] == '\\' && (size_t)i + 1 < cx->len)
            width = cx->text[i + 1] == 'x' ? 4 : cx->text[i + 1] == 'u' ? 6 : cx->text[i + 1] == 'U' ? 10 : 2;
        else if (quote == '\'' && cx->text[i] == '\'' && (size_t)i + 1 < cx->len &&
                 cx->text[i + 1] == '\'')
            width = 2;
        for (int w = 0; w < width && (size_t)i < cx->len; w++) {
            i++;
            while ((size_t)i < cx->len && ((unsigned char)cx->text[i] & 0xC0) == 0x80)
                i++;
        }
        src += width;
    }
    return src;
}

/* Maps a 1-based line/col inside the scalar's value to the file. Block
 * scalars start on the line after their '|' or '>' header, at their
 * indentation; quoted scalars start one column after the quote. Folded and
 * multi-line flow scalars are placed on the value's line, which is where the
 * text usually is. */
static void place(const wf_vctx_t *cx, const wf_yaml_node_t *node, int l, int c, int *line,
                  int *col)
{
    long lo = line_offset(cx, node->line);
    long at = lo >= 0 ? char_offset(cx, lo, node->col) : -1;
    char first = at >= 0 && (size_t)at < cx->len ? cx->text[at] : ' ';
    if (first == '|' || first == '>') {
        *line = node->line + l;
        *col = indent_of(cx, *line) + c;
        return;
    }
    int quote = first == '"' || first == '\'' ? 1 : 0;
    if (l <= 1) {
        *line = node->line;
        int qc = quote ? quoted_col(cx, at, node->col, c) : 0;
        *col = qc > 0 ? qc : node->col + quote + c - 1;
        return;
    }
    *line = node->line + l - 1;
    *col = indent_of(cx, *line) + c;
}

static bool ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static bool guarded(const char *from, const char *to)
{
    static const char *const guards[] = {"??", "is defined", "is not defined", "default", "is null",
                                         "is not null"};
    for (size_t g = 0; g < sizeof(guards) / sizeof(guards[0]); g++) {
        size_t n = strlen(guards[g]);
        for (const char *p = from; p + n <= to; p++)
            if (memcmp(p, guards[g], n) == 0)
                return true;
    }
    return false;
}

/* Records each `outputs.ID` / `outputs['ID']` inside {{ }} or {% %}. Only
 * literal ids are checked; `outputs[var]` is left to run time. */
static void collect_output_refs(wf_vctx_t *cx, const wf_yaml_node_t *node, const char *path)
{
    const char *s = node->value;
    const char *open = s;
    while ((open = strchr(open, '{')) != NULL) {
        if (open[1] != '{' && open[1] != '%') {
            open++;
            continue;
        }
        const char *close = strstr(open + 2, open[1] == '{' ? "}}" : "%}");
        const char *end = close != NULL ? close : s + node->len;
        /* An expression that expects the output may be missing ("??",
         * "is defined", default) is written for that case: leave it be. */
        if (guarded(open, end)) {
            open = close != NULL ? close + 2 : s + node->len;
            continue;
        }
        char in_string = 0; /* text inside a string literal is not a reference */
        for (const char *p = open + 2; p + 7 < end; p++) {
            if (in_string != 0) {
                if (*p == '\\' && p + 1 < end)
                    p++;
                else if (*p == in_string)
                    in_string = 0;
                continue;
            }
            if (*p == '\'' || *p == '"') {
                in_string = *p;
                continue;
            }
            if (strncmp(p, "outputs", 7) != 0 || (p > s && (ident_char(p[-1]) || p[-1] == '.')))
                continue;
            const char *q = p + 7, *id = NULL;
            size_t len = 0;
            if (*q == '.') {
                id = q + 1;
                while (ident_char(id[len]))
                    len++;
            } else if (*q == '[' && (q[1] == '\'' || q[1] == '"')) {
                char quote = q[1];
                id = q + 2;
                while (id + len < end && id[len] != quote)
                    len++;
                if (id + len >= end)
                    len = 0;
            }
            if (len == 0)
                continue;
            /* A line/col inside the scalar from the byte offset. */
            int l = 1, c = 1;
            for (const char *r = s; r < p; r++) {
                if (*r == '\n') {
                    l++;
                    c = 1;
                } else if (((unsigned char)*r & 0xC0) != 0x80) { /* characters, not bytes */
                    c++;
                }
            }
            int line, col;
            place(cx, node, l, c, &line, &col);
            push_ref(&cx->refs, &cx->n_refs, &cx->cap_refs, node, id, len, path, line, col);
        }
        open = close != NULL ? close + 2 : s + node->len;
    }
}

static void check_one_template(wf_vctx_t *cx, const wf_yaml_node_t *node, const char *path)
{
    if (!wf_is_dynamic(node))
        return;
    int l = 0, c = 0, line, col;
    char msg[512];
    if (wf_tmpl_check(node->value, node->len, &l, &c, msg, sizeof(msg)) < 0) {
        /* Kestra compiles expressions only when it renders them: it accepts
         * the flow and fails the task (or the trigger evaluation) that
         * renders this one. A warning, then, and the same failure at run
         * time. */
        place(cx, node, l > 0 ? l : 1, c > 0 ? c : 1, &line, &col);
        wf_diags_warn(cx->diags, line, col, path, "invalid expression: %s", msg);
        return;
    }
    if (cx->foreign == 0)
        collect_output_refs(cx, node, path);
}

void wf_check_templates(wf_vctx_t *cx, const wf_yaml_node_t *node, const char *path)
{
    char sub[WF_PATH_MAX];
    switch (node->kind) {
    case WF_YAML_SCALAR:
        check_one_template(cx, node, path);
        return;
    case WF_YAML_SEQ:
        for (size_t k = 0; k < node->count; k++) {
            wf_path_index(sub, path, k);
            wf_check_templates(cx, node->items[k], sub);
        }
        return;
    case WF_YAML_MAP:
        for (size_t k = 0; k < node->count; k++) {
            wf_path_key(sub, path, node->keys[k]->value);
            wf_check_templates(cx, node->items[k], sub);
        }
        return;
    }
}
