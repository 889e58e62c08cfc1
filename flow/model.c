/* Entry points of the flow library and the typed model: the YAML tree is
 * validated first (schema.c, check.c); only a document without
 * errors is turned into the model, so the builder can rely on its shape. */
#include "flow/flow.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/schema.h"
#include "flow/time.h"
#include "platform/xmalloc.h"
#include "platform/yaml.h"

/* Flow files are small; a bound keeps a mistaken path from eating memory. */
#define WF_FLOW_MAX_BYTES (4 * 1024 * 1024)

/* A copy of an optional string: NULL stays NULL. */
static char *dup_opt(const char *s)
{
    return s != NULL ? wf_xstrdup(s) : NULL;
}

static wf_pos_t pos_of(const wf_yaml_node_t *n)
{
    return n != NULL ? (wf_pos_t){n->line, n->col} : (wf_pos_t){0, 0};
}

static const char *str_of(const wf_yaml_node_t *map, const char *key)
{
    const wf_yaml_node_t *n = wf_yaml_get(map, key);
    return n != NULL && n->kind == WF_YAML_SCALAR && !wf_yaml_is_null(n) ? n->value : NULL;
}

static bool bool_of(const wf_yaml_node_t *map, const char *key, bool dflt)
{
    bool b = dflt;
    const wf_yaml_node_t *n = wf_yaml_get(map, key);
    if (n != NULL)
        wf_yaml_as_bool(n, &b);
    return b;
}

/* -1 when absent or an expression (resolved at run time). */
static int64_t duration_of(const wf_yaml_node_t *map, const char *key)
{
    const char *s = str_of(map, key);
    int64_t ms = -1;
    char msg[160];
    if (s == NULL || wf_duration_parse(s, &ms, msg, sizeof(msg)) < 0)
        return -1;
    return ms;
}

static void build_retry(wf_retry_t *r, const wf_yaml_node_t *map)
{
    memset(r, 0, sizeof(*r));
    r->max_duration_ms = r->interval_ms = r->max_interval_ms = r->min_interval_ms = -1;
    if (map == NULL || map->kind != WF_YAML_MAP)
        return;
    const char *behavior = str_of(map, "behavior");
    r->create_new_execution = behavior != NULL && strcmp(behavior, "CREATE_NEW_EXECUTION") == 0;
    const char *type = str_of(map, "type");
    r->kind = type == NULL                          ? WF_RETRY_NONE
              : strcmp(type, "constant") == 0      ? WF_RETRY_CONSTANT
              : strcmp(type, "exponential") == 0   ? WF_RETRY_EXPONENTIAL
                                                   : WF_RETRY_RANDOM;
    const wf_yaml_node_t *a = wf_yaml_get(map, "maxAttempt");
    if (a == NULL)
        a = wf_yaml_get(map, "maxAttempts");
    if (a != NULL)
        wf_yaml_as_int(a, &r->max_attempts);
    r->max_duration_ms = duration_of(map, "maxDuration");
    r->interval_ms = duration_of(map, "interval");
    r->max_interval_ms = duration_of(map, "maxInterval");
    r->min_interval_ms = duration_of(map, "minInterval");
    const wf_yaml_node_t *f = wf_yaml_get(map, "delayFactor");
    if (f != NULL)
        wf_yaml_as_double(f, &r->delay_factor);
    r->warning_on_retry = bool_of(map, "warningOnRetry", false);
    r->pos = pos_of(map);
}

static wf_task_t *build_task(const wf_yaml_node_t *map, wf_task_t *parent);

static void build_list(wf_task_list_t *list, const wf_yaml_node_t *seq, wf_task_t *parent)
{
    memset(list, 0, sizeof(*list));
    if (seq == NULL || seq->kind != WF_YAML_SEQ)
        return;
    list->pos = pos_of(seq);
    list->items = wf_xcalloc(seq->count, sizeof(*list->items));
    for (size_t k = 0; k < seq->count; k++)
        list->items[list->count++] = build_task(seq->items[k], parent);
}

/* Keys held in typed fields, not repeated in `props`. One pass over the
 * task's keys fills them (this runs for every task on every apply). */
typedef enum {
    K_PROP = 0,
    K_ID,
    K_TYPE,
    K_DESCRIPTION,
    K_TIMEOUT,
    K_RETRY,
    K_DISABLED,
    K_ALLOW_FAILURE,
    K_ALLOW_WARNING,
    K_RUN_IF,
    K_WHEN,
    K_LOG_LEVEL,
    K_WORKER_GROUP,
    K_ERRORS,
    K_FINALLY,
    K_CHILDREN, /* tasks, then, else, cases, defaults: built by kind below */
} task_key_t;

static const struct {
    const char *name;
    task_key_t key;
} task_keys[] = {
    {"id", K_ID},
    {"type", K_TYPE},
    {"description", K_DESCRIPTION},
    {"timeout", K_TIMEOUT},
    {"retry", K_RETRY},
    {"disabled", K_DISABLED},
    {"allowFailure", K_ALLOW_FAILURE},
    {"allowWarning", K_ALLOW_WARNING},
    {"runIf", K_RUN_IF},
    {"when", K_WHEN},
    {"logLevel", K_LOG_LEVEL},
    {"workerGroup", K_WORKER_GROUP},
    {"errors", K_ERRORS},
    {"finally", K_FINALLY},
};

static task_key_t classify_key(const char *k, const wf_task_type_t *tt)
{
    for (size_t i = 0; i < sizeof(task_keys) / sizeof(task_keys[0]); i++)
        if (task_keys[i].name[0] == k[0] && strcmp(task_keys[i].name, k) == 0)
            return task_keys[i].key;
    if (tt->flags & WF_TT_FLOWABLE && (strcmp(k, "tasks") == 0 || strcmp(k, "then") == 0 ||
                                       strcmp(k, "else") == 0 || strcmp(k, "cases") == 0 ||
                                       (strcmp(k, "defaults") == 0 && tt->kind == WF_TASK_SWITCH)))
        return K_CHILDREN;
    return K_PROP;
}

static char *scalar_dup(const wf_yaml_node_t *n)
{
    return n->kind == WF_YAML_SCALAR && !wf_yaml_is_null(n) ? dup_opt(n->value) : NULL;
}

static wf_task_t *build_task(const wf_yaml_node_t *map, wf_task_t *parent)
{
    wf_task_t *t = wf_xcalloc(1, sizeof(*t));
    t->parent = parent;
    t->pos = pos_of(map);
    t->type_name = dup_opt(str_of(map, "type"));
    t->type = wf_task_type_find(t->type_name);
    t->timeout_ms = -1;
    build_retry(&t->retry, NULL);
    t->props = json_object();
    const wf_task_type_t *tt = t->type;
    char msg[160];
    for (size_t k = 0; k < map->count; k++) {
        const char *key = map->keys[k]->value;
        const wf_yaml_node_t *v = map->items[k];
        bool b = false;
        switch (classify_key(key, tt)) {
        case K_ID:
            t->id = scalar_dup(v);
            break;
        case K_TYPE:
        case K_CHILDREN:
            break;
        case K_DESCRIPTION:
            t->description = scalar_dup(v);
            break;
        case K_TIMEOUT:
            /* an expression is kept in props for the runner */
            if (v->kind != WF_YAML_SCALAR ||
                wf_duration_parse(v->value, &t->timeout_ms, msg, sizeof(msg)) < 0) {
                t->timeout_ms = -1;
                json_object_set_new(t->props, key, wf_yaml_to_json(v));
            }
            break;
        case K_RETRY:
            build_retry(&t->retry, v);
            break;
        case K_DISABLED:
            t->disabled = wf_yaml_as_bool(v, &b) && b;
            break;
        case K_ALLOW_FAILURE:
            t->allow_failure = wf_yaml_as_bool(v, &b) && b;
            break;
        case K_ALLOW_WARNING:
            t->allow_warning = wf_yaml_as_bool(v, &b) && b;
            break;
        case K_RUN_IF:
            free(t->run_if);
            t->run_if = scalar_dup(v);
            break;
        case K_WHEN:
            if (t->run_if == NULL) /* `runIf` wins over the older `when` */
                t->run_if = scalar_dup(v);
            break;
        case K_LOG_LEVEL:
            t->log_level = scalar_dup(v);
            break;
        case K_WORKER_GROUP:
            t->worker_group = dup_opt(str_of(v, "key"));
            break;
        case K_ERRORS:
            build_list(&t->errors, v, t);
            break;
        case K_FINALLY:
            build_list(&t->finally_, v, t);
            break;
        case K_PROP:
            json_object_set_new(t->props, key, wf_yaml_to_json(v));
            break;
        }
    }
    if (!(tt->flags & WF_TT_FLOWABLE))
        return t;
    switch (tt->kind) {
    case WF_TASK_IF:
        build_list(&t->then_, wf_yaml_get(map, "then"), t);
        build_list(&t->else_, wf_yaml_get(map, "else"), t);
        break;
    case WF_TASK_SWITCH: {
        const wf_yaml_node_t *cases = wf_yaml_get(map, "cases");
        if (cases != NULL && cases->kind == WF_YAML_MAP) {
            t->cases = wf_xcalloc(cases->count, sizeof(*t->cases));
            for (size_t k = 0; k < cases->count; k++) {
                wf_task_case_t *c = &t->cases[t->n_cases++];
                c->key = dup_opt(cases->keys[k]->value);
                c->pos = pos_of(cases->keys[k]);
                build_list(&c->tasks, cases->items[k], t);
            }
        }
        build_list(&t->defaults, wf_yaml_get(map, "defaults"), t);
        break;
    }
    case WF_TASK_DAG: {
        const wf_yaml_node_t *seq = wf_yaml_get(map, "tasks");
        t->tasks.pos = pos_of(seq);
        t->tasks.items = wf_xcalloc(seq->count, sizeof(*t->tasks.items));
        for (size_t k = 0; k < seq->count; k++) {
            wf_task_t *child = build_task(wf_yaml_get(seq->items[k], "task"), t);
            const wf_yaml_node_t *deps = wf_yaml_get(seq->items[k], "dependsOn");
            if (deps != NULL && deps->kind == WF_YAML_SEQ) {
                child->depends_on = wf_xcalloc(deps->count, sizeof(char *));
                child->depends_on_pos = wf_xcalloc(deps->count, sizeof(wf_pos_t));
                for (size_t d = 0; d < deps->count; d++) {
                    child->depends_on[d] = dup_opt(deps->items[d]->value);
                    child->depends_on_pos[d] = pos_of(deps->items[d]);
                }
                child->n_depends_on = deps->count;
            }
            t->tasks.items[t->tasks.count++] = child;
        }
        break;
    }
    default:
        build_list(&t->tasks, wf_yaml_get(map, "tasks"), t);
        break;
    }
    return t;
}

static void free_task(wf_task_t *t);

static void free_list(wf_task_list_t *list)
{
    for (size_t k = 0; k < list->count; k++)
        free_task(list->items[k]);
    free(list->items);
}

static void free_task(wf_task_t *t)
{
    if (t == NULL)
        return;
    free(t->id);
    free(t->type_name);
    free(t->description);
    free(t->run_if);
    free(t->log_level);
    free(t->worker_group);
    free_list(&t->tasks);
    free_list(&t->then_);
    free_list(&t->else_);
    for (size_t k = 0; k < t->n_cases; k++) {
        free(t->cases[k].key);
        free_list(&t->cases[k].tasks);
    }
    free(t->cases);
    free_list(&t->defaults);
    free_list(&t->errors);
    free_list(&t->finally_);
    for (size_t d = 0; d < t->n_depends_on; d++)
        free(t->depends_on[d]);
    free(t->depends_on);
    free(t->depends_on_pos);
    json_decref(t->props);
    free(t);
}

static void build_inputs(wf_flow_t *f, const wf_yaml_node_t *seq)
{
    if (seq == NULL || seq->kind != WF_YAML_SEQ)
        return;
    f->inputs = wf_xcalloc(seq->count, sizeof(*f->inputs));
    for (size_t k = 0; k < seq->count; k++) {
        const wf_yaml_node_t *m = seq->items[k];
        wf_flow_input_t *in = &f->inputs[f->n_inputs++];
        in->id = dup_opt(str_of(m, "id") ? str_of(m, "id") : str_of(m, "name"));
        in->type = (wf_input_type_t)wf_input_type_parse(str_of(m, "type"));
        const char *item = str_of(m, "itemType");
        in->item_type = item ? (wf_input_type_t)wf_input_type_parse(item) : WF_INPUT_STRING;
        in->required = bool_of(m, "required", true);
        in->description = dup_opt(str_of(m, "description"));
        in->display_name = dup_opt(str_of(m, "displayName"));
        const wf_yaml_node_t *d = wf_yaml_get(m, "defaults");
        in->defaults = d != NULL ? wf_yaml_to_json(d) : NULL;
        in->spec = wf_yaml_to_json(m);
        in->pos = pos_of(m);
    }
}

static void build_labels(wf_flow_t *f, const wf_yaml_node_t *labels)
{
    if (labels == NULL || (labels->kind != WF_YAML_MAP && labels->kind != WF_YAML_SEQ))
        return;
    f->labels = wf_xcalloc(labels->count, sizeof(*f->labels));
    for (size_t k = 0; k < labels->count; k++) {
        wf_label_t *l = &f->labels[f->n_labels++];
        if (labels->kind == WF_YAML_MAP) {
            l->key = dup_opt(labels->keys[k]->value);
            l->value = dup_opt(labels->items[k]->value);
            l->pos = pos_of(labels->keys[k]);
        } else {
            l->key = dup_opt(str_of(labels->items[k], "key"));
            l->value = dup_opt(str_of(labels->items[k], "value"));
            l->pos = pos_of(labels->items[k]);
        }
    }
}

static void build_triggers(wf_flow_t *f, const wf_yaml_node_t *seq)
{
    if (seq == NULL || seq->kind != WF_YAML_SEQ)
        return;
    f->triggers = wf_xcalloc(seq->count, sizeof(*f->triggers));
    for (size_t k = 0; k < seq->count; k++) {
        const wf_yaml_node_t *m = seq->items[k];
        wf_trigger_t *t = &f->triggers[f->n_triggers++];
        t->id = dup_opt(str_of(m, "id"));
        t->type_name = dup_opt(str_of(m, "type"));
        t->type = wf_trigger_type_find(t->type_name);
        t->kind = t->type->kind;
        t->disabled = bool_of(m, "disabled", false);
        t->cron = dup_opt(str_of(m, "cron"));
        t->key = dup_opt(str_of(m, "key"));
        t->props = json_object();
        for (size_t p = 0; p < m->count; p++) {
            const char *key = m->keys[p]->value;
            if (strcmp(key, "id") != 0 && strcmp(key, "type") != 0 &&
                strcmp(key, "disabled") != 0)
                json_object_set_new(t->props, key, wf_yaml_to_json(m->items[p]));
        }
        t->pos = pos_of(m);
    }
}

static wf_flow_t *build_flow(const wf_yaml_node_t *root, const char *name)
{
    wf_flow_t *f = wf_xcalloc(1, sizeof(*f));
    f->source_name = dup_opt(name);
    f->pos = pos_of(root);
    f->id = dup_opt(str_of(root, "id"));
    f->namespace_ = dup_opt(str_of(root, "namespace"));
    f->description = dup_opt(str_of(root, "description"));
    build_labels(f, wf_yaml_get(root, "labels"));
    build_inputs(f, wf_yaml_get(root, "inputs"));
    const wf_yaml_node_t *vars = wf_yaml_get(root, "variables");
    f->variables = vars != NULL && vars->kind == WF_YAML_MAP ? wf_yaml_to_json(vars) : NULL;
    const wf_yaml_node_t *outs = wf_yaml_get(root, "outputs");
    if (outs != NULL && outs->kind == WF_YAML_SEQ) {
        f->outputs = wf_xcalloc(outs->count, sizeof(*f->outputs));
        for (size_t k = 0; k < outs->count; k++) {
            wf_flow_output_t *o = &f->outputs[f->n_outputs++];
            o->id = dup_opt(str_of(outs->items[k], "id"));
            o->type = dup_opt(str_of(outs->items[k], "type"));
            o->value = wf_yaml_to_json(wf_yaml_get(outs->items[k], "value"));
            o->pos = pos_of(outs->items[k]);
        }
    }
    build_list(&f->tasks, wf_yaml_get(root, "tasks"), NULL);
    build_list(&f->errors, wf_yaml_get(root, "errors"), NULL);
    build_list(&f->finally_, wf_yaml_get(root, "finally"), NULL);
    build_list(&f->after_execution, wf_yaml_get(root, "afterExecution"), NULL);
    build_triggers(f, wf_yaml_get(root, "triggers"));
    const wf_yaml_node_t *conc = wf_yaml_get(root, "concurrency");
    if (conc != NULL && conc->kind == WF_YAML_MAP) {
        wf_yaml_as_int(wf_yaml_get(conc, "limit"), &f->concurrency.limit);
        const char *b = str_of(conc, "behavior");
        f->concurrency.behavior = b == NULL || strcmp(b, "QUEUE") == 0 ? WF_CONC_QUEUE
                                  : strcmp(b, "CANCEL") == 0          ? WF_CONC_CANCEL
                                                                      : WF_CONC_FAIL;
    }
    build_retry(&f->retry, wf_yaml_get(root, "retry"));
    f->disabled = bool_of(root, "disabled", false);
    const wf_yaml_node_t *pd = wf_yaml_get(root, "pluginDefaults");
    if (pd == NULL)
        pd = wf_yaml_get(root, "taskDefaults");
    f->plugin_defaults = pd != NULL && !wf_yaml_is_null(pd) ? wf_yaml_to_json(pd) : NULL;
    const wf_yaml_node_t *sla = wf_yaml_get(root, "sla");
    f->sla = sla != NULL && !wf_yaml_is_null(sla) ? wf_yaml_to_json(sla) : NULL;
    return f;
}

void wf_flow_free(wf_flow_t *f)
{
    if (f == NULL)
        return;
    free(f->source_name);
    free(f->id);
    free(f->namespace_);
    free(f->description);
    for (size_t k = 0; k < f->n_labels; k++) {
        free(f->labels[k].key);
        free(f->labels[k].value);
    }
    free(f->labels);
    for (size_t k = 0; k < f->n_inputs; k++) {
        free(f->inputs[k].id);
        free(f->inputs[k].description);
        free(f->inputs[k].display_name);
        json_decref(f->inputs[k].defaults);
        json_decref(f->inputs[k].spec);
    }
    free(f->inputs);
    json_decref(f->variables);
    for (size_t k = 0; k < f->n_outputs; k++) {
        free(f->outputs[k].id);
        free(f->outputs[k].type);
        json_decref(f->outputs[k].value);
    }
    free(f->outputs);
    free_list(&f->tasks);
    free_list(&f->errors);
    free_list(&f->finally_);
    free_list(&f->after_execution);
    for (size_t k = 0; k < f->n_triggers; k++) {
        free(f->triggers[k].id);
        free(f->triggers[k].type_name);
        free(f->triggers[k].cron);
        free(f->triggers[k].key);
        json_decref(f->triggers[k].props);
    }
    free(f->triggers);
    json_decref(f->plugin_defaults);
    json_decref(f->sla);
    free(f);
}

wf_flow_t *wf_flow_parse(const char *text, size_t len, const char *name, wf_diags_t *diags)
{
    wf_flow_t *flow = NULL;
    wf_diags_init(diags, name);
    wf_yaml_node_t *root = wf_yaml_load(text, len, diags);
    if (root == NULL)
        goto out;
    wf_vctx_t cx = {.diags = diags, .text = text, .len = len};
    wf_check_flow(&cx, root);
    wf_vctx_dispose(&cx);
    if (wf_diags_errors(diags) == 0) /* warnings leave the flow valid */
        flow = build_flow(root, name);
out:
    wf_yaml_free(root);
    wf_diags_sort(diags);
    return flow;
}

wf_flow_t *wf_flow_parse_file(const char *path, wf_diags_t *diags)
{
    FILE *fp = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0;
    if (fp == NULL) {
        wf_diags_init(diags, path);
        wf_diags_add(diags, 0, 0, "", "cannot open: %s", strerror(errno));
        return NULL;
    }
    buf = wf_xmalloc(WF_FLOW_MAX_BYTES + 1);
    len = fread(buf, 1, WF_FLOW_MAX_BYTES + 1, fp);
    bool failed = ferror(fp) != 0;
    fclose(fp);
    if (failed || len > WF_FLOW_MAX_BYTES) {
        free(buf);
        wf_diags_init(diags, path);
        wf_diags_add(diags, 0, 0, "", failed ? "cannot read the file" : "file larger than %d bytes",
                     WF_FLOW_MAX_BYTES);
        return NULL;
    }
    buf[len] = '\0';
    wf_flow_t *flow = wf_flow_parse(buf, len, path, diags);
    free(buf);
    return flow;
}

/* ---- walking ------------------------------------------------------------ */

static int walk_list(const wf_task_list_t *l, int (*fn)(const wf_task_t *, void *), void *arg);

static int walk_task(const wf_task_t *t, int (*fn)(const wf_task_t *, void *), void *arg)
{
    int rc = fn(t, arg);
    if (rc == 0)
        rc = walk_list(&t->tasks, fn, arg);
    if (rc == 0)
        rc = walk_list(&t->then_, fn, arg);
    if (rc == 0)
        rc = walk_list(&t->else_, fn, arg);
    for (size_t k = 0; rc == 0 && k < t->n_cases; k++)
        rc = walk_list(&t->cases[k].tasks, fn, arg);
    if (rc == 0)
        rc = walk_list(&t->defaults, fn, arg);
    if (rc == 0)
        rc = walk_list(&t->errors, fn, arg);
    if (rc == 0)
        rc = walk_list(&t->finally_, fn, arg);
    return rc;
}

static int walk_list(const wf_task_list_t *l, int (*fn)(const wf_task_t *, void *), void *arg)
{
    int rc = 0;
    for (size_t k = 0; rc == 0 && k < l->count; k++)
        rc = walk_task(l->items[k], fn, arg);
    return rc;
}

int wf_flow_each_task(const wf_flow_t *flow, int (*fn)(const wf_task_t *task, void *arg),
                      void *arg)
{
    int rc = walk_list(&flow->tasks, fn, arg);
    if (rc == 0)
        rc = walk_list(&flow->errors, fn, arg);
    if (rc == 0)
        rc = walk_list(&flow->finally_, fn, arg);
    if (rc == 0)
        rc = walk_list(&flow->after_execution, fn, arg);
    return rc;
}

typedef struct {
    const char *id;
    const wf_task_t *found;
} find_ctx_t;

static int find_cb(const wf_task_t *t, void *arg)
{
    find_ctx_t *f = arg;
    if (t->id != NULL && strcmp(t->id, f->id) == 0) {
        f->found = t;
        return 1;
    }
    return 0;
}

const wf_task_t *wf_flow_find_task(const wf_flow_t *flow, const char *id)
{
    find_ctx_t f = {id, NULL};
    wf_flow_each_task(flow, find_cb, &f);
    return f.found;
}
