/* The generic part of flow validation: walks a YAML mapping against property
 * rows (types.c) and reports unknown, missing and mistyped properties. */
#include "flow/schema.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/time.h"

/* Nesting limit for tasks: deeper flows are refused rather than recursed
 * (the YAML loader bounds document depth at 128, about 60 task levels). */
#define WF_MAX_TASK_DEPTH 32

wf_diag_t *wf_vctx_error(wf_vctx_t *cx, const wf_yaml_node_t *at, const char *path,
                         const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return wf_diags_add(cx->diags, at ? at->line : 0, at ? at->col : 0, path, "%s", msg);
}

bool wf_vctx_expect(wf_vctx_t *cx, const wf_yaml_node_t *node, const char *path,
                    wf_yaml_kind_t kind, const char *what)
{
    if (node->kind == kind)
        return true;
    wf_vctx_error(cx, node, path, "expected %s, got %s", what, wf_yaml_type_name(node));
    return false;
}

bool wf_is_dynamic(const wf_yaml_node_t *node)
{
    return node != NULL && node->kind == WF_YAML_SCALAR &&
           (strstr(node->value, "{{") != NULL || strstr(node->value, "{%") != NULL);
}

bool wf_is_absent(const wf_yaml_node_t *node)
{
    return node == NULL || wf_yaml_is_null(node);
}

static bool id_chars(const char *s, const char *extra)
{
    if (s[0] == '\0' || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
                          (s[0] >= '0' && s[0] <= '9')))
        return false;
    for (const char *p = s + 1; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr(extra, c) != NULL))
            return false;
    }
    return true;
}

bool wf_task_id_valid(const char *s)
{
    return strlen(s) <= 256 && id_chars(s, "_-");
}

bool wf_flow_id_valid(const char *s)
{
    return strlen(s) <= 100 && id_chars(s, "._-");
}

bool wf_flow_namespace_valid(const char *s)
{
    if (strlen(s) > 150)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              (p != s && strchr("._-", *p) != NULL)))
            return false;
    return s[0] != '\0';
}

static const char *kind_word(wf_prop_type_t t)
{
    switch (t) {
    case WF_PT_INT:
        return "an integer";
    case WF_PT_NUMBER:
        return "a number";
    case WF_PT_BOOL:
        return "a boolean";
    case WF_PT_DURATION:
        return "an ISO-8601 duration";
    case WF_PT_MAP:
    case WF_PT_OBJECT:
    case WF_PT_CASES:
    case WF_PT_CONDITION_MAP:
        return "a map";
    case WF_PT_LABELS:
        return "a map or a list of key/value pairs";
    case WF_PT_RETRY:
        return "a retry policy (map)";
    case WF_PT_LIST:
    case WF_PT_STRING_LIST:
    case WF_PT_ENUM_LIST:
    case WF_PT_OBJECT_LIST:
    case WF_PT_TASKS:
    case WF_PT_DAG_TASKS:
    case WF_PT_CONDITIONS:
    case WF_PT_INPUTS:
        return "a list";
    default:
        return "a string";
    }
}

static void type_error(wf_vctx_t *cx, const wf_prop_t *prop, const wf_yaml_node_t *node,
                       const char *path)
{
    wf_vctx_error(cx, node, path, "expected %s, got %s", kind_word(prop->type),
                  wf_yaml_type_name(node));
}

/* True when `node` is of `kind`; otherwise reports a type error. */
static bool has_kind(wf_vctx_t *cx, const wf_prop_t *prop, const wf_yaml_node_t *node,
                     const char *path, wf_yaml_kind_t kind)
{
    if (node->kind == kind)
        return true;
    type_error(cx, prop, node, path);
    return false;
}

static void check_enum(wf_vctx_t *cx, const char *const *values, const wf_yaml_node_t *node,
                       const char *path)
{
    if (node->kind != WF_YAML_SCALAR) {
        wf_vctx_error(cx, node, path, "expected one of the allowed values, got %s",
                      wf_yaml_type_name(node));
        return;
    }
    size_t n = 0;
    for (; values[n] != NULL; n++)
        if (strcmp(values[n], node->value) == 0)
            return;
    char list[512];
    size_t off = 0;
    list[0] = '\0';
    for (size_t i = 0; i < n && off < sizeof(list) - 1; i++)
        off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s", i ? ", " : "", values[i]);
    wf_diag_t *e =
        wf_vctx_error(cx, node, path, "invalid value '%s': expected one of %s", node->value, list);
    wf_diag_suggest(e, node->value, values, n);
}

static bool is_string_scalar(const wf_yaml_node_t *node)
{
    return node->kind == WF_YAML_SCALAR && !wf_yaml_is_null(node);
}

/* Whether `node` reads as the integer, number or boolean `type` names. */
static bool scalar_reads_as(wf_prop_type_t type, const wf_yaml_node_t *node)
{
    int64_t i;
    double d;
    bool b;
    if (type == WF_PT_INT)
        return wf_yaml_as_int(node, &i);
    if (type == WF_PT_NUMBER)
        return wf_yaml_as_double(node, &d);
    return wf_yaml_as_bool(node, &b);
}

void wf_check_value(wf_vctx_t *cx, const wf_prop_t *prop, const wf_yaml_node_t *node,
                    const char *path)
{
    char sub[WF_PATH_MAX], msg[256];
    int64_t i;
    bool dynamic = !(prop->flags & WF_PF_STATIC) && wf_is_dynamic(node);

    if (wf_is_absent(node))
        return; /* the caller reports missing required properties */
    if (prop->flags & WF_PF_NONEMPTY && node->kind != WF_YAML_SCALAR && node->count == 0) {
        wf_vctx_error(cx, node, path, "must not be empty");
        return;
    }
    switch (prop->type) {
    case WF_PT_ANY:
        break;
    case WF_PT_STRING:
        if (node->kind != WF_YAML_SCALAR)
            type_error(cx, prop, node, path);
        else if (prop->flags & WF_PF_ID && !wf_task_id_valid(node->value))
            wf_vctx_error(cx, node, path, "invalid id '%s': must match ^[a-zA-Z0-9][a-zA-Z0-9_-]*",
                          node->value);
        break;
    case WF_PT_INT:
    case WF_PT_NUMBER:
    case WF_PT_BOOL:
        if (!dynamic && !scalar_reads_as(prop->type, node))
            type_error(cx, prop, node, path);
        break;
    case WF_PT_DURATION:
        if (node->kind != WF_YAML_SCALAR)
            type_error(cx, prop, node, path);
        else if (!dynamic && wf_duration_parse(node->value, &i, msg, sizeof(msg)) < 0)
            wf_vctx_error(cx, node, path, "%s", msg);
        break;
    case WF_PT_CRON:
        if (node->kind != WF_YAML_SCALAR)
            type_error(cx, prop, node, path);
        /* the trigger's validator checks the syntax (it knows `withSeconds`) */
        break;
    case WF_PT_ENUM:
        if (!dynamic)
            check_enum(cx, prop->values, node, path);
        break;
    case WF_PT_MAP:
        if (node->kind != WF_YAML_MAP && !dynamic)
            type_error(cx, prop, node, path);
        break;
    case WF_PT_LIST:
        if (node->kind != WF_YAML_SEQ &&
            !(prop->flags & WF_PF_ONE_OR_LIST && is_string_scalar(node)) && !dynamic) {
            type_error(cx, prop, node, path);
        } else if (node->kind == WF_YAML_SCALAR && !dynamic) {
            /* A list written as text ('["a", "b"]') is read as JSON at run time:
             * check it now. */
            json_error_t jerr;
            json_t *j = json_loadb(node->value, node->len, JSON_DECODE_ANY, &jerr);
            if (!json_is_array(j))
                wf_vctx_error(cx, node, path, "expected a list or a JSON array, got '%s'%s%s",
                              node->value, j == NULL ? ": " : "", j == NULL ? jerr.text : "");
            json_decref(j);
        }
        break;
    case WF_PT_STRING_LIST:
    case WF_PT_ENUM_LIST:
        if (node->kind == WF_YAML_SEQ) {
            for (size_t k = 0; k < node->count; k++) {
                wf_path_index(sub, path, k);
                if (node->items[k]->kind != WF_YAML_SCALAR)
                    wf_vctx_error(cx, node->items[k], sub, "expected a string, got %s",
                                  wf_yaml_type_name(node->items[k]));
                else if (prop->type == WF_PT_ENUM_LIST && !wf_is_dynamic(node->items[k]))
                    check_enum(cx, prop->values, node->items[k], sub);
            }
        } else if (!(prop->flags & WF_PF_ONE_OR_LIST && is_string_scalar(node)) && !dynamic) {
            type_error(cx, prop, node, path);
        }
        break;
    case WF_PT_OBJECT: {
        if (node->kind != WF_YAML_MAP) {
            if (!dynamic)
                type_error(cx, prop, node, path);
            return;
        }
        const wf_prop_t *tables[] = {prop->sub->props};
        wf_check_map(cx, node, path, tables, 1, prop->sub->what, NULL);
        if (prop->sub->validate != NULL)
            prop->sub->validate(cx, node, path);
        return; /* wf_check_map checked the templates of each property */
    }
    case WF_PT_OBJECT_LIST:
        if (!has_kind(cx, prop, node, path, WF_YAML_SEQ))
            return;
        for (size_t k = 0; k < node->count; k++) {
            wf_path_index(sub, path, k);
            wf_prop_t item = *prop;
            item.type = WF_PT_OBJECT;
            item.flags &= ~(unsigned)WF_PF_NONEMPTY;
            if (node->items[k]->kind != WF_YAML_MAP)
                type_error(cx, &item, node->items[k], sub);
            else
                wf_check_value(cx, &item, node->items[k], sub);
        }
        return;
    case WF_PT_LABELS:
        if (node->kind == WF_YAML_SEQ) {
            for (size_t k = 0; k < node->count; k++) {
                const wf_yaml_node_t *it = node->items[k];
                wf_path_index(sub, path, k);
                if (!wf_vctx_expect(cx, it, sub, WF_YAML_MAP, "a map with 'key' and 'value'"))
                    continue;
                static const wf_prop_t kv[] = {
                    {.name = "key", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED},
                    {.name = "value", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED},
                    {.name = NULL},
                };
                const wf_prop_t *tables[] = {kv};
                wf_check_map(cx, it, sub, tables, 1, "label", NULL);
            }
        } else if (node->kind == WF_YAML_MAP) {
            for (size_t k = 0; k < node->count; k++) {
                wf_path_key(sub, path, node->keys[k]->value);
                if (node->items[k]->kind != WF_YAML_SCALAR)
                    wf_vctx_error(cx, node->items[k], sub, "label value must be a string, got %s",
                                  wf_yaml_type_name(node->items[k]));
            }
        } else if (!dynamic) {
            type_error(cx, prop, node, path);
        }
        break;
    case WF_PT_TASKS:
        if (!has_kind(cx, prop, node, path, WF_YAML_SEQ))
            return;
        wf_check_tasks(cx, node, path, false);
        return;
    case WF_PT_CASES:
        if (!has_kind(cx, prop, node, path, WF_YAML_MAP))
            return;
        for (size_t k = 0; k < node->count; k++) {
            wf_path_key(sub, path, node->keys[k]->value);
            if (wf_vctx_expect(cx, node->items[k], sub, WF_YAML_SEQ, "a list of tasks"))
                wf_check_tasks(cx, node->items[k], sub, false);
        }
        return;
    case WF_PT_DAG_TASKS:
        if (!has_kind(cx, prop, node, path, WF_YAML_SEQ))
            return;
        for (size_t k = 0; k < node->count; k++) {
            static const wf_prop_t dag_item[] = {
                {.name = "task", .type = WF_PT_ANY, .flags = WF_PF_REQUIRED | WF_PF_STATIC},
                {.name = "dependsOn", .type = WF_PT_STRING_LIST, .flags = WF_PF_STATIC},
                {.name = NULL},
            };
            const wf_yaml_node_t *it = node->items[k];
            wf_path_index(sub, path, k);
            if (!wf_vctx_expect(cx, it, sub, WF_YAML_MAP, "a map with 'task' and 'dependsOn'"))
                continue;
            const wf_prop_t *tables[] = {dag_item};
            wf_check_map(cx, it, sub, tables, 1, "Dag entry", NULL);
            const wf_yaml_node_t *task = wf_yaml_get(it, "task");
            if (!wf_is_absent(task)) {
                char tp[WF_PATH_MAX];
                wf_path_key(tp, sub, "task");
                wf_check_task(cx, task, tp);
            }
        }
        return;
    case WF_PT_CONDITIONS:
    case WF_PT_CONDITION_MAP: {
        bool is_map = prop->type == WF_PT_CONDITION_MAP;
        if (node->kind != (is_map ? WF_YAML_MAP : WF_YAML_SEQ)) {
            type_error(cx, prop, node, path);
            return;
        }
        for (size_t k = 0; k < node->count; k++) {
            const wf_yaml_node_t *c = node->items[k];
            if (is_map)
                wf_path_key(sub, path, node->keys[k]->value);
            else
                wf_path_index(sub, path, k);
            if (!wf_vctx_expect(cx, c, sub, WF_YAML_MAP, "a condition (map)"))
                continue;
            const wf_yaml_node_t *type = wf_yaml_get(c, "type");
            char tp[WF_PATH_MAX];
            wf_path_key(tp, sub, "type");
            if (wf_is_absent(type) || type->kind != WF_YAML_SCALAR) {
                wf_vctx_error(cx, type ? type : c, tp, "missing required property 'type'");
                continue;
            }
            const wf_condition_type_t *ct = wf_condition_type_find(type->value);
            if (ct == NULL) {
                const char *names[64];
                size_t nn = 0;
                for (size_t t = 0; t < wf_n_condition_types && nn < 64; t++)
                    names[nn++] = wf_condition_types[t].name;
                wf_diag_t *e = wf_vctx_error(cx, type, tp, "unknown condition type '%s'",
                                             type->value);
                wf_diag_suggest(e, type->value, names, nn);
                continue;
            }
            static const wf_prop_t cond_common[] = {
                {.name = "type", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED | WF_PF_STATIC},
                {.name = "id", .type = WF_PT_STRING, .flags = WF_PF_STATIC},
                {.name = NULL},
            };
            const wf_prop_t *tables[] = {cond_common, ct->props};
            wf_check_map(cx, c, sub, tables, 2, "condition ", ct->name);
            if (ct->validate != NULL)
                ct->validate(cx, c, sub);
        }
        return;
    }
    case WF_PT_INPUTS:
        if (!has_kind(cx, prop, node, path, WF_YAML_SEQ))
            return;
        for (size_t k = 0; k < node->count; k++) {
            wf_path_index(sub, path, k);
            if (!wf_vctx_expect(cx, node->items[k], sub, WF_YAML_MAP, "an input (map)"))
                continue;
            const wf_prop_t *tables[] = {wf_input_schema.props};
            wf_check_map(cx, node->items[k], sub, tables, 1, "input", NULL);
            wf_input_schema.validate(cx, node->items[k], sub);
        }
        {
            /* input ids are unique within their list */
            for (size_t k = 0; k < node->count; k++) {
                const wf_yaml_node_t *id = wf_yaml_get(node->items[k], "id");
                if (id == NULL || id->kind != WF_YAML_SCALAR)
                    continue;
                for (size_t j = 0; j < k; j++) {
                    const wf_yaml_node_t *prev = wf_yaml_get(node->items[j], "id");
                    if (prev != NULL && prev->kind == WF_YAML_SCALAR &&
                        strcmp(prev->value, id->value) == 0) {
                        snprintf(sub, sizeof(sub), "%s[%zu].id", path, k);
                        wf_diag_t *e =
                            wf_vctx_error(cx, id, sub, "duplicate input id '%s'", id->value);
                        wf_diag_note(e, "first defined at line %d", prev->line);
                        break;
                    }
                }
            }
        }
        return;
    case WF_PT_RETRY:
        if (!has_kind(cx, prop, node, path, WF_YAML_MAP))
            return;
        {
            extern const wf_schema_t wf_retry_schema;
            const wf_prop_t *tables[] = {wf_retry_schema.props};
            wf_check_map(cx, node, path, tables, 1, "retry policy", NULL);
            wf_retry_schema.validate(cx, node, path);
        }
        return;
    }
    if (!(prop->flags & WF_PF_STATIC)) {
        cx->foreign += prop->flags & WF_PF_FOREIGN ? 1 : 0;
        wf_check_templates(cx, node, path);
        cx->foreign -= prop->flags & WF_PF_FOREIGN ? 1 : 0;
    }
}

static const wf_prop_t *find_prop(const wf_prop_t *const *tables, size_t n, const char *name)
{
    for (size_t t = 0; t < n; t++)
        for (const wf_prop_t *p = tables[t]; p != NULL && p->name != NULL; p++)
            if (p->name[0] == name[0] && strcmp(p->name, name) == 0)
                return p;
    return NULL;
}

void wf_path_key(char *dst, const char *parent, const char *key)
{
    size_t pl = strlen(parent), kl = strlen(key);
    if (pl >= WF_PATH_MAX)
        pl = WF_PATH_MAX - 1;
    memcpy(dst, parent, pl);
    if (pl > 0 && pl < WF_PATH_MAX - 1)
        dst[pl++] = '.';
    if (kl > WF_PATH_MAX - 1 - pl)
        kl = WF_PATH_MAX - 1 - pl;
    memcpy(dst + pl, key, kl);
    dst[pl + kl] = '\0';
}

void wf_path_index(char *dst, const char *parent, size_t index)
{
    char num[24];
    size_t n = sizeof(num);
    num[--n] = '\0';
    num[--n] = ']';
    do {
        num[--n] = (char)('0' + index % 10);
        index /= 10;
    } while (index > 0);
    num[--n] = '[';
    size_t pl = strlen(parent), nl = sizeof(num) - 1 - n;
    if (pl > WF_PATH_MAX - 1 - nl)
        pl = WF_PATH_MAX - 1 - nl;
    memcpy(dst, parent, pl);
    memcpy(dst + pl, num + n, nl + 1);
}

void wf_check_map(wf_vctx_t *cx, const wf_yaml_node_t *map, const char *path,
                  const wf_prop_t *const *tables, size_t n_tables, const char *what,
                  const char *what_name)
{
    char sub[WF_PATH_MAX];
    for (size_t k = 0; k < map->count; k++) {
        const wf_yaml_node_t *key = map->keys[k];
        if (key->kind != WF_YAML_SCALAR) {
            wf_vctx_error(cx, key, path, "property names must be strings");
            continue;
        }
        wf_path_key(sub, path, key->value);
        const wf_prop_t *prop = find_prop(tables, n_tables, key->value);
        if (prop == NULL) {
            const char *names[128];
            size_t nn = 0;
            for (size_t t = 0; t < n_tables; t++)
                for (const wf_prop_t *p = tables[t]; p != NULL && p->name != NULL && nn < 128; p++)
                    names[nn++] = p->name;
            wf_diag_t *e = wf_vctx_error(cx, key, sub, "unknown property '%s' for %s%s", key->value,
                                         what, what_name != NULL ? what_name : "");
            wf_diag_suggest(e, key->value, names, nn);
            continue;
        }
        wf_check_value(cx, prop, map->items[k], sub);
    }
    for (size_t t = 0; t < n_tables; t++) {
        for (const wf_prop_t *p = tables[t]; p != NULL && p->name != NULL; p++) {
            if (!(p->flags & WF_PF_REQUIRED))
                continue;
            const wf_yaml_node_t *v = wf_yaml_get(map, p->name);
            if (v != NULL && !wf_yaml_is_null(v) &&
                !(p->flags & WF_PF_NONEMPTY && v->kind == WF_YAML_SCALAR && v->len == 0))
                continue;
            wf_path_key(sub, path, p->name);
            if (v == NULL || wf_yaml_is_null(v))
                wf_vctx_error(cx, v != NULL ? v : map, sub, "missing required property '%s'",
                              p->name);
            else
                wf_vctx_error(cx, v, sub, "must not be empty");
        }
    }
}

static void task_type_error(wf_vctx_t *cx, const wf_yaml_node_t *type, const char *path)
{
    const char *names[128];
    size_t nn = 0;
    for (size_t t = 0; t < wf_n_task_types && nn < 128; t++)
        names[nn++] = wf_task_types[t].name;
    wf_diag_t *e = wf_vctx_error(cx, type, path, "unknown task type '%s'", type->value);
    const char *near = wf_suggest(type->value, names, nn);
    /* Suggestion by the last segment too: "Logg" -> "...log.Log". */
    if (near == NULL) {
        const char *dot = strrchr(type->value, '.');
        const char *tail = dot ? dot + 1 : type->value;
        const char *tails[128];
        for (size_t t = 0; t < nn; t++) {
            const char *d = strrchr(names[t], '.');
            tails[t] = d ? d + 1 : names[t];
        }
        const char *nt = wf_suggest(tail, tails, nn);
        for (size_t t = 0; nt != NULL && t < nn; t++)
            if (tails[t] == nt)
                near = names[t];
    }
    if (near != NULL)
        wf_diag_note(e, "did you mean '%s'?", near);
}

/* The id of a task whose type is missing or unknown, checked alone so that
 * its errors are not lost. */
static void check_id_alone(wf_vctx_t *cx, const wf_yaml_node_t *task, const char *path)
{
    char sub[WF_PATH_MAX];
    const wf_yaml_node_t *id = wf_yaml_get(task, "id");
    wf_path_key(sub, path, "id");
    if (wf_is_absent(id))
        wf_vctx_error(cx, id ? id : task, sub, "missing required property 'id'");
    else
        wf_check_value(cx, &wf_task_common_props[0], id, sub);
}

void wf_check_task(wf_vctx_t *cx, const wf_yaml_node_t *task, const char *path)
{
    char sub[WF_PATH_MAX];
    if (!wf_vctx_expect(cx, task, path, WF_YAML_MAP, "a task (map with 'id' and 'type')"))
        return;
    const wf_yaml_node_t *idn = wf_yaml_get(task, "id");
    if (idn != NULL && idn->kind == WF_YAML_SCALAR && !wf_is_absent(idn)) {
        wf_path_key(sub, path, "id");
        wf_vctx_add_task_id(cx, idn, sub);
    }
    if (cx->depth >= WF_MAX_TASK_DEPTH) {
        wf_vctx_error(cx, task, path, "tasks are nested more than %d levels deep",
                      WF_MAX_TASK_DEPTH);
        return;
    }
    const wf_yaml_node_t *type = wf_yaml_get(task, "type");
    wf_path_key(sub, path, "type");
    if (wf_is_absent(type) || type->kind != WF_YAML_SCALAR) {
        if (type != NULL && !wf_is_absent(type))
            wf_vctx_error(cx, type, sub, "expected a string, got %s", wf_yaml_type_name(type));
        else
            wf_vctx_error(cx, type ? type : task, sub, "missing required property 'type'");
        check_id_alone(cx, task, path);
        return;
    }
    const wf_task_type_t *tt = wf_task_type_find(type->value);
    if (tt == NULL) {
        task_type_error(cx, type, sub);
        check_id_alone(cx, task, path);
        /* children of an unknown type are still tasks we can check */
        static const char *const child_keys[] = {"tasks", "errors", "finally", "then", "else"};
        for (size_t k = 0; k < sizeof(child_keys) / sizeof(child_keys[0]); k++) {
            const wf_yaml_node_t *list = wf_yaml_get(task, child_keys[k]);
            if (list != NULL && list->kind == WF_YAML_SEQ) {
                wf_path_key(sub, path, child_keys[k]);
                wf_check_tasks(cx, list, sub, false);
            }
        }
        return;
    }
    const wf_prop_t *tables[3] = {wf_task_common_props, tt->props, wf_flowable_common_props};
    cx->depth++;
    wf_check_map(cx, task, path, tables, tt->flags & WF_TT_FLOWABLE ? 3 : 2, "task ", tt->name);
    if (tt->validate != NULL)
        tt->validate(cx, task, path);
    cx->depth--;
}

void wf_check_tasks(wf_vctx_t *cx, const wf_yaml_node_t *list, const char *path,
                    bool required_nonempty)
{
    char sub[WF_PATH_MAX];
    if (!wf_vctx_expect(cx, list, path, WF_YAML_SEQ, "a list of tasks"))
        return;
    if (required_nonempty && list->count == 0)
        wf_vctx_error(cx, list, path, "must not be empty");
    for (size_t k = 0; k < list->count; k++) {
        wf_path_index(sub, path, k);
        wf_check_task(cx, list->items[k], sub);
    }
}
