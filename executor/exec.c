/* The in-memory execution: the task runs the walker creates and the
 * store loads, state changes (dated with the walker's clock), the expression
 * context every render starts from, and freeing it all. */
#include <stdlib.h>
#include <string.h>

#include "executor/walk.h"
#include "executor/proc.h"
#include "platform/text.h"

wf_trun_t *wf_xexec_add_trun(wf_xexec_t *x, const wf_task_t *task, wf_trun_t *parent,
                             const char *value, int iteration)
{
    if (x->n_truns == x->cap_truns) {
        size_t cap = x->cap_truns ? x->cap_truns * 2 : 16;
        wf_trun_t **n = realloc(x->truns, cap * sizeof(*n));
        if (n == NULL)
            return NULL;
        x->truns = n;
        x->cap_truns = cap;
    }
    wf_trun_t *tr = calloc(1, sizeof(*tr));
    if (tr == NULL)
        return NULL;
    wf_random_id(tr->id, sizeof(tr->id));
    tr->task = task;
    tr->parent = parent;
    tr->value = value ? strdup(value) : NULL;
    tr->iteration = iteration;
    tr->state = WF_ST_CREATED;
    tr->attempts = json_array();
    tr->branch = -1;
    tr->exec = x;
    tr->dirty = true;
    x->truns[x->n_truns++] = tr;
    return tr;
}

void wf_xexec_set_state(wf_xexec_t *x, wf_state_t st)
{
    if (x->state == st && json_array_size(x->history) > 0)
        return;
    x->state = st;
    char date[40];
    wf_xwalk_iso_now(x->ex, date, sizeof(date));
    json_array_append_new(x->history,
                          json_pack("{s:s,s:s}", "state", wf_xstate_name(st), "date", date));
    x->dirty = true;
}

void wf_xexec_set_trun_state(wf_trun_t *tr, wf_state_t st)
{
    if (tr->state != st) {
        tr->state = st;
        tr->dirty = true;
    }
}

void wf_xexec_free(wf_executor_t *ex, wf_xexec_t *x)
{
    if (x == NULL)
        return;
    for (size_t i = 0; i < x->n_truns; i++) {
        wf_trun_t *tr = x->truns[i];
        if (tr->proc)
            wf_xproc_abandon(ex, tr->proc);
        wf_xwalk_fx(ex)->timer_cancel(ex, tr);
        free(tr->value);
        free(tr->workdir);
        json_decref(tr->attempts);
        json_decref(tr->outputs);
        free(tr);
    }
    free(x->truns);
    wf_xsecrets_free(x);
    wf_xflowcache_put(ex, x->flow);
    json_decref(x->history);
    json_decref(x->inputs);
    json_decref(x->labels);
    json_decref(x->outputs);
    json_decref(x->trigger);
    json_decref(x->variables);
    free(x->id);
    free(x->namespace_);
    free(x->flow_id);
    free(x->parent_id);
    free(x->original_id);
    free(x->started_at);
    free(x);
}

/* ---- expression context --------------------------------------------------- */

static bool is_each(const wf_task_t *t)
{
    return t && (t->type->kind == WF_TASK_FOREACH || t->type->kind == WF_TASK_EACH_SEQUENTIAL ||
                 t->type->kind == WF_TASK_EACH_PARALLEL);
}

/* outputs[taskId] for plain task runs, outputs[taskId][v1][v2]… for task runs
 * inside ForEach iterations (one level per enclosing iteration), as Kestra. */
static void put_outputs(json_t *all, wf_trun_t *tr)
{
    const char *vals[16];
    int nv = 0;
    for (wf_trun_t *n = tr; n && n->parent && nv < 16; n = n->parent)
        if (is_each(n->parent->task) && n->value)
            vals[nv++] = n->value;
    json_t *slot = all;
    const char *key = tr->task->id;
    for (int i = nv - 1; i >= 0; i--) {
        json_t *next = json_object_get(slot, key);
        if (!json_is_object(next)) {
            next = json_object();
            json_object_set_new(slot, key, next);
        }
        slot = next;
        key = vals[i];
    }
    json_object_set(slot, key, tr->outputs);
}

/* Labels as expressions see them: each key as given, and a dotted key also
 * as nested maps (Kestra's {{ labels.system.correlationId }}). */
static json_t *labels_view(json_t *labels)
{
    json_t *v = json_deep_copy(labels);
    const char *k;
    json_t *val;
    json_object_foreach(labels, k, val) {
        if (strchr(k, '.') == NULL)
            continue;
        char *path = strdup(k);
        json_t *slot = v;
        char *save = NULL, *part = path ? strtok_r(path, ".", &save) : NULL;
        while (part != NULL && slot != NULL) {
            char *next = strtok_r(NULL, ".", &save);
            if (next == NULL) {
                if (json_object_get(slot, part) == NULL)
                    json_object_set(slot, part, val);
                break;
            }
            json_t *child = json_object_get(slot, part);
            if (child == NULL) {
                child = json_object();
                json_object_set_new(slot, part, child);
            }
            slot = json_is_object(child) ? child : NULL;
            part = next;
        }
        free(path);
    }
    return v;
}

json_t *wf_xexec_context(wf_executor_t *ex, wf_xexec_t *x, wf_trun_t *tr)
{
    /* Every render starts by building its context: secret() lookups until
     * the next one are made for this task run (NULL: the flow's outputs). */
    x->rendering = tr;
    json_t *outputs = json_object();
    for (size_t i = 0; i < x->n_truns; i++)
        if (x->truns[i]->outputs && json_object_size(x->truns[i]->outputs) > 0)
            put_outputs(outputs, x->truns[i]);
    json_t *ctx = json_object();
    json_object_set_new(ctx, "flow", json_pack("{s:s,s:s,s:i}", "id", x->flow_id, "namespace",
                                               x->namespace_, "revision", x->flow_revision));
    json_object_set_new(ctx, "execution",
                        json_pack("{s:s,s:s?,s:s,s:s?}", "id", x->id, "startDate", x->started_at,
                                  "state", wf_xstate_name(x->state), "originalId",
                                  x->original_id ? x->original_id : x->id));
    json_object_set(ctx, "inputs", wf_xsecrets_inputs_open(x));
    json_object_set_new(ctx, "labels", labels_view(x->labels));
    json_object_set_new(ctx, "outputs", outputs);
    if (x->flow && x->flow->variables)
        json_object_set(ctx, "vars", x->flow->variables);
    else
        json_object_set_new(ctx, "vars", json_object());
    json_object_set(ctx, "trigger", x->trigger ? x->trigger : json_null());
    json_object_set_new(ctx, "envs", json_object());
    if (tr != NULL) {
        json_t *t = json_pack("{s:s,s:i}", "id", tr->id, "attemptsCount",
                              tr->attempts_count > 0 ? tr->attempts_count - 1 : 0);
        if (tr->value)
            json_object_set_new(t, "value", json_string(tr->value));
        if (tr->iteration >= 0)
            json_object_set_new(t, "iteration", json_integer(tr->iteration));
        if (tr->parent)
            json_object_set_new(t, "parentId", json_string(tr->parent->id));
        /* Kestra's taskrun.startDate: when the task run first started. */
        json_t *first = json_object_get(json_array_get(tr->attempts, 0), "startDate");
        char now[40];
        if (!json_is_string(first))
            wf_xwalk_iso_now(ex, now, sizeof(now));
        json_object_set_new(t, "startDate",
                            json_string(json_is_string(first) ? json_string_value(first) : now));
        json_object_set_new(ctx, "taskrun", t);
        json_object_set_new(ctx, "task", json_pack("{s:s,s:s}", "id", tr->task->id, "type",
                                                   tr->task->type_name));
        json_t *parents = json_array();
        for (wf_trun_t *p = tr->parent; p; p = p->parent) {
            json_t *pt = json_object();
            if (p->value)
                json_object_set_new(pt, "value", json_string(p->value));
            json_t *po = json_pack("{s:o}", "taskrun", pt);
            json_object_set_new(po, "outputs",
                                p->outputs ? json_incref(p->outputs) : json_object());
            json_array_append_new(parents, po);
        }
        if (json_array_size(parents) > 0)
            json_object_set(ctx, "parent", json_array_get(parents, 0));
        json_object_set_new(ctx, "parents", parents);
    }
    return ctx;
}
