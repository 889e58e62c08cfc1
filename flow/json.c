/* The model back to JSON in Kestra's shape (what the API returns): typed
 * fields first, then the type-specific properties as written. */
#include "flow/flow.h"

#include <stdio.h>

#include "flow/types.h"

static void set_str(json_t *o, const char *key, const char *v)
{
    if (v != NULL)
        json_object_set_new(o, key, json_string(v));
}

/* Durations go back out in ISO-8601, the form they came in. */
static void set_duration(json_t *o, const char *key, int64_t ms)
{
    char buf[64];
    if (ms < 0)
        return;
    if (ms % 1000 == 0)
        snprintf(buf, sizeof(buf), "PT%lldS", (long long)(ms / 1000));
    else
        snprintf(buf, sizeof(buf), "PT%lld.%03lldS", (long long)(ms / 1000), (long long)(ms % 1000));
    json_object_set_new(o, key, json_string(buf));
}

static json_t *retry_json(const wf_retry_t *r)
{
    static const char *const kinds[] = {NULL, "constant", "exponential", "random"};
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string(kinds[r->kind]));
    if (r->create_new_execution)
        json_object_set_new(o, "behavior", json_string("CREATE_NEW_EXECUTION"));
    if (r->max_attempts > 0)
        json_object_set_new(o, "maxAttempt", json_integer(r->max_attempts));
    set_duration(o, "maxDuration", r->max_duration_ms);
    set_duration(o, "interval", r->interval_ms);
    set_duration(o, "maxInterval", r->max_interval_ms);
    set_duration(o, "minInterval", r->min_interval_ms);
    if (r->delay_factor > 0)
        json_object_set_new(o, "delayFactor", json_real(r->delay_factor));
    if (r->warning_on_retry)
        json_object_set_new(o, "warningOnRetry", json_true());
    return o;
}

static json_t *task_json(const wf_task_t *t);

static json_t *list_json(const wf_task_list_t *l)
{
    json_t *a = json_array();
    for (size_t k = 0; k < l->count; k++)
        json_array_append_new(a, task_json(l->items[k]));
    return a;
}

static json_t *task_json(const wf_task_t *t)
{
    json_t *o = json_object();
    set_str(o, "id", t->id);
    set_str(o, "type", t->type->name);
    set_str(o, "description", t->description);
    set_duration(o, "timeout", t->timeout_ms);
    if (t->retry.kind != WF_RETRY_NONE)
        json_object_set_new(o, "retry", retry_json(&t->retry));
    if (t->disabled)
        json_object_set_new(o, "disabled", json_true());
    if (t->allow_failure)
        json_object_set_new(o, "allowFailure", json_true());
    if (t->allow_warning)
        json_object_set_new(o, "allowWarning", json_true());
    set_str(o, "runIf", t->run_if);
    set_str(o, "logLevel", t->log_level);
    if (t->worker_group != NULL)
        json_object_set_new(o, "workerGroup", json_pack("{s:s}", "key", t->worker_group));
    /* Properties as written; a timeout given as an expression stays there. */
    const char *key;
    json_t *value;
    json_object_foreach(t->props, key, value) json_object_set(o, key, value);
    switch (t->type->kind) {
    case WF_TASK_IF:
        json_object_set_new(o, "then", list_json(&t->then_));
        if (t->else_.count > 0)
            json_object_set_new(o, "else", list_json(&t->else_));
        break;
    case WF_TASK_SWITCH: {
        json_t *cases = json_object();
        for (size_t k = 0; k < t->n_cases; k++)
            json_object_set_new(cases, t->cases[k].key, list_json(&t->cases[k].tasks));
        json_object_set_new(o, "cases", cases);
        if (t->defaults.count > 0)
            json_object_set_new(o, "defaults", list_json(&t->defaults));
        break;
    }
    case WF_TASK_DAG: {
        json_t *a = json_array();
        for (size_t k = 0; k < t->tasks.count; k++) {
            const wf_task_t *c = t->tasks.items[k];
            json_t *entry = json_pack("{s:o}", "task", task_json(c));
            if (c->n_depends_on > 0) {
                json_t *deps = json_array();
                for (size_t d = 0; d < c->n_depends_on; d++)
                    json_array_append_new(deps, json_string(c->depends_on[d]));
                json_object_set_new(entry, "dependsOn", deps);
            }
            json_array_append_new(a, entry);
        }
        json_object_set_new(o, "tasks", a);
        break;
    }
    default:
        if (t->tasks.count > 0)
            json_object_set_new(o, "tasks", list_json(&t->tasks));
        break;
    }
    if (t->errors.count > 0)
        json_object_set_new(o, "errors", list_json(&t->errors));
    if (t->finally_.count > 0)
        json_object_set_new(o, "finally", list_json(&t->finally_));
    return o;
}

json_t *wf_flow_to_json(const wf_flow_t *f)
{
    json_t *o = json_object();
    set_str(o, "id", f->id);
    set_str(o, "namespace", f->namespace_);
    set_str(o, "description", f->description);
    if (f->n_labels > 0) {
        json_t *labels = json_array();
        for (size_t k = 0; k < f->n_labels; k++)
            json_array_append_new(labels, json_pack("{s:s, s:s}", "key", f->labels[k].key,
                                                    "value", f->labels[k].value));
        json_object_set_new(o, "labels", labels);
    }
    if (f->n_inputs > 0) {
        json_t *inputs = json_array();
        for (size_t k = 0; k < f->n_inputs; k++)
            json_array_append(inputs, f->inputs[k].spec);
        json_object_set_new(o, "inputs", inputs);
    }
    if (f->variables != NULL)
        json_object_set(o, "variables", f->variables);
    json_object_set_new(o, "tasks", list_json(&f->tasks));
    if (f->errors.count > 0)
        json_object_set_new(o, "errors", list_json(&f->errors));
    if (f->finally_.count > 0)
        json_object_set_new(o, "finally", list_json(&f->finally_));
    if (f->after_execution.count > 0)
        json_object_set_new(o, "afterExecution", list_json(&f->after_execution));
    if (f->n_outputs > 0) {
        json_t *outs = json_array();
        for (size_t k = 0; k < f->n_outputs; k++)
            json_array_append_new(outs, json_pack("{s:s, s:s, s:O}", "id", f->outputs[k].id,
                                                  "type", f->outputs[k].type, "value",
                                                  f->outputs[k].value));
        json_object_set_new(o, "outputs", outs);
    }
    if (f->n_triggers > 0) {
        json_t *trigs = json_array();
        for (size_t k = 0; k < f->n_triggers; k++) {
            const wf_trigger_t *t = &f->triggers[k];
            json_t *to = json_pack("{s:s, s:s}", "id", t->id, "type", t->type->name);
            if (t->disabled)
                json_object_set_new(to, "disabled", json_true());
            json_object_update(to, t->props);
            json_array_append_new(trigs, to);
        }
        json_object_set_new(o, "triggers", trigs);
    }
    if (f->concurrency.limit > 0) {
        static const char *const behaviors[] = {"QUEUE", "CANCEL", "FAIL"};
        json_object_set_new(o, "concurrency",
                            json_pack("{s:I, s:s}", "limit", (json_int_t)f->concurrency.limit,
                                      "behavior", behaviors[f->concurrency.behavior]));
    }
    if (f->retry.kind != WF_RETRY_NONE)
        json_object_set_new(o, "retry", retry_json(&f->retry));
    json_object_set_new(o, "disabled", json_boolean(f->disabled));
    if (f->plugin_defaults != NULL)
        json_object_set(o, "pluginDefaults", f->plugin_defaults);
    if (f->sla != NULL)
        json_object_set(o, "sla", f->sla);
    return o;
}
