/* The task, trigger and condition tables of the flow language (Kestra core
 * names). One row per type; the validators below hold the rules that cannot be
 * said with property rows. */
#include "flow/types.h"

#include <stdio.h>
#include <string.h>

#include "flow/schema.h"
#include "flow/time.h"

#define END {.name = NULL}
#define A(...) ((const char *const[]){__VA_ARGS__, NULL})

static const char *const log_levels[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", NULL};
static const char *const states[] = {"CREATED", "QUEUED",   "RUNNING", "PAUSED",   "RESTARTED",
                                     "KILLING", "SUCCESS",  "WARNING", "FAILED",   "KILLED",
                                     "CANCELLED", "RETRYING", "RETRIED", "SKIPPED", "BREAKPOINT",
                                     NULL};

/* ---- properties shared by every task ---------------------------------- */

static const wf_prop_t worker_group_props[] = {
    {.name = "key", .type = WF_PT_STRING, .flags = WF_PF_ID},
    {.name = "fallback", .type = WF_PT_ENUM, .values = A("FAIL", "WAIT", "CANCEL")},
    END,
};
static const wf_schema_t worker_group_schema = {.what = "worker group",
                                                .props = worker_group_props};

const wf_prop_t wf_task_common_props[] = {
    /* row 0 is `id`: wf_check_task uses it directly for tasks of unknown type */
    {.name = "id", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED | WF_PF_STATIC | WF_PF_ID},
    {.name = "type", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED | WF_PF_STATIC},
    {.name = "description", .type = WF_PT_STRING, .flags = WF_PF_STATIC},
    {.name = "timeout", .type = WF_PT_DURATION},
    {.name = "retry", .type = WF_PT_RETRY},
    {.name = "disabled", .type = WF_PT_BOOL, .flags = WF_PF_STATIC},
    {.name = "allowFailure", .type = WF_PT_BOOL, .flags = WF_PF_STATIC},
    {.name = "allowWarning", .type = WF_PT_BOOL, .flags = WF_PF_STATIC},
    {.name = "runIf", .type = WF_PT_STRING},
    {.name = "when", .type = WF_PT_STRING},
    {.name = "logLevel", .type = WF_PT_ENUM, .flags = WF_PF_STATIC, .values = log_levels},
    {.name = "logToFile", .type = WF_PT_BOOL, .flags = WF_PF_STATIC},
    {.name = "workerGroup", .type = WF_PT_OBJECT, .flags = WF_PF_STATIC,
     .sub = &worker_group_schema},
    END,
};

const wf_prop_t wf_flowable_common_props[] = {
    {.name = "errors", .type = WF_PT_TASKS},
    {.name = "finally", .type = WF_PT_TASKS},
    END,
};

/* ---- retry policies ---------------------------------------------------- */

static const char *const retry_kinds[] = {"constant", "exponential", "random", NULL};

static const wf_prop_t retry_props[] = {
    {.name = "type", .type = WF_PT_ENUM, .flags = WF_PF_REQUIRED | WF_PF_STATIC,
     .values = retry_kinds},
    {.name = "maxAttempt", .type = WF_PT_INT, .flags = WF_PF_STATIC},
    {.name = "maxAttempts", .type = WF_PT_INT, .flags = WF_PF_STATIC},
    {.name = "maxDuration", .type = WF_PT_DURATION, .flags = WF_PF_STATIC},
    {.name = "warningOnRetry", .type = WF_PT_BOOL, .flags = WF_PF_STATIC},
    {.name = "behavior", .type = WF_PT_ENUM, .flags = WF_PF_STATIC,
     .values = A("RETRY_FAILED_TASK", "CREATE_NEW_EXECUTION")},
    {.name = "interval", .type = WF_PT_DURATION, .flags = WF_PF_STATIC},
    {.name = "maxInterval", .type = WF_PT_DURATION, .flags = WF_PF_STATIC},
    {.name = "minInterval", .type = WF_PT_DURATION, .flags = WF_PF_STATIC},
    {.name = "delayFactor", .type = WF_PT_NUMBER, .flags = WF_PF_STATIC},
    END,
};

/* Which properties each kind takes: the table above is the union. */
static void validate_retry(wf_vctx_t *cx, const wf_yaml_node_t *map, const char *path)
{
    static const struct {
        const char *kind;
        const char *required[3];
        const char *allowed[4];
    } rules[] = {
        {"constant", {"interval"}, {"interval"}},
        {"exponential", {"interval", "maxInterval"}, {"interval", "maxInterval", "delayFactor"}},
        {"random", {"minInterval", "maxInterval"}, {"minInterval", "maxInterval"}},
    };
    static const char *const kind_props[] = {"interval", "maxInterval", "minInterval",
                                             "delayFactor"};
    const wf_yaml_node_t *type = wf_yaml_get(map, "type");
    char sub[WF_PATH_MAX];
    if (type == NULL || type->kind != WF_YAML_SCALAR)
        return;
    for (size_t r = 0; r < sizeof(rules) / sizeof(rules[0]); r++) {
        if (strcmp(rules[r].kind, type->value) != 0)
            continue;
        for (size_t i = 0; i < 3 && rules[r].required[i]; i++) {
            if (wf_is_absent(wf_yaml_get(map, rules[r].required[i]))) {
                wf_path_key(sub, path, rules[r].required[i]);
                wf_vctx_error(cx, map, sub, "missing required property '%s' for a %s retry",
                              rules[r].required[i], rules[r].kind);
            }
        }
        for (size_t k = 0; k < sizeof(kind_props) / sizeof(kind_props[0]); k++) {
            const wf_yaml_node_t *v = NULL;
            for (size_t m = 0; m < map->count; m++)
                if (strcmp(map->keys[m]->value, kind_props[k]) == 0)
                    v = map->keys[m];
            bool allowed = false;
            for (size_t i = 0; i < 4 && rules[r].allowed[i]; i++)
                allowed |= strcmp(rules[r].allowed[i], kind_props[k]) == 0;
            if (v != NULL && !allowed) {
                wf_path_key(sub, path, kind_props[k]);
                wf_vctx_error(cx, v, sub, "property '%s' does not apply to a %s retry",
                              kind_props[k], rules[r].kind);
            }
        }
    }
    const wf_yaml_node_t *a = wf_yaml_get(map, "maxAttempt");
    if (a == NULL)
        a = wf_yaml_get(map, "maxAttempts");
    int64_t n;
    if (a != NULL && wf_yaml_as_int(a, &n) && n < 1) {
        wf_path_key(sub, path, wf_yaml_get(map, "maxAttempt") ? "maxAttempt" : "maxAttempts");
        wf_vctx_error(cx, a, sub, "must be at least 1, got %lld", (long long)n);
    }
}

const wf_schema_t wf_retry_schema = {
    .what = "retry policy", .props = retry_props, .validate = validate_retry};

/* ---- inputs (flow `inputs` and Pause `onResume`) ------------------------ */

static const char *const input_type_names[] = {
    "STRING", "INT",  "FLOAT",    "BOOLEAN", "SELECT", "MULTISELECT", "ENUM",
    "DATETIME", "DATE", "TIME",   "DURATION", "JSON",  "YAML",        "URI",
    "SECRET", "FILE", "ARRAY",    "EMAIL",   "BOOL",   NULL,
};

int wf_input_type_parse(const char *name)
{
    for (int i = 0; input_type_names[i] != NULL; i++)
        if (strcmp(input_type_names[i], name) == 0)
            return strcmp(name, "BOOL") == 0 ? WF_INPUT_BOOLEAN : i;
    return -1;
}

const char *wf_input_type_name(wf_input_type_t type)
{
    return (unsigned)type < WF_INPUT_EMAIL + 1 ? input_type_names[type] : "?";
}

static const wf_prop_t input_props[] = {
    {.name = "id", .type = WF_PT_STRING, .flags = WF_PF_STATIC},
    {.name = "name", .type = WF_PT_STRING, .flags = WF_PF_STATIC}, /* older spelling of `id` */
    {.name = "type", .type = WF_PT_ENUM, .flags = WF_PF_REQUIRED | WF_PF_STATIC,
     .values = input_type_names},
    {.name = "description", .type = WF_PT_STRING, .flags = WF_PF_STATIC},
    {.name = "displayName", .type = WF_PT_STRING, .flags = WF_PF_STATIC},
    {.name = "required", .type = WF_PT_BOOL, .flags = WF_PF_STATIC},
    {.name = "defaults", .type = WF_PT_ANY},
    {.name = "prefill", .type = WF_PT_ANY},
    {.name = "validator", .type = WF_PT_STRING, .flags = WF_PF_STATIC},
    {.name = "min", .type = WF_PT_ANY, .flags = WF_PF_STATIC},
    {.name = "max", .type = WF_PT_ANY, .flags = WF_PF_STATIC},
    {.name = "values", .type = WF_PT_STRING_LIST, .flags = WF_PF_ONE_OR_LIST},
    {.name = "options", .type = WF_PT_STRING_LIST},
    {.name = "allowCustomValue", .type = WF_PT_BOOL, .flags = WF_PF_STATIC},
    {.name = "expression", .type = WF_PT_STRING},
    {.name = "after", .type = WF_PT_STRING, .flags = WF_PF_STATIC},
    {.name = "before", .type = WF_PT_STRING, .flags = WF_PF_STATIC},
    {.name = "itemType", .type = WF_PT_ENUM, .flags = WF_PF_STATIC, .values = input_type_names},
    {.name = "extension", .type = WF_PT_STRING, .flags = WF_PF_STATIC},
    {.name = "allowedFileExtensions", .type = WF_PT_STRING_LIST, .flags = WF_PF_STATIC},
    {.name = "dependsOn", .type = WF_PT_MAP, .flags = WF_PF_STATIC},
    {.name = "autoSelectFirst", .type = WF_PT_BOOL, .flags = WF_PF_STATIC},
    {.name = "isRadio", .type = WF_PT_BOOL, .flags = WF_PF_STATIC},
    END,
};

/* Input id: Kestra's pattern, which also allows dots after the first character. */
static bool input_id_valid(const char *s)
{
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
          (s[0] >= '0' && s[0] <= '9')))
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-'))
            return false;
    return true;
}

/* Which optional properties only make sense for some input types. */
static const struct {
    const char *prop;
    const int types[6]; /* wf_input_type_t + 1, 0-terminated */
} input_prop_types[] = {
    {"validator", {WF_INPUT_STRING + 1}},
    {"min", {WF_INPUT_INT + 1, WF_INPUT_FLOAT + 1, WF_INPUT_DURATION + 1}},
    {"max", {WF_INPUT_INT + 1, WF_INPUT_FLOAT + 1, WF_INPUT_DURATION + 1}},
    {"values", {WF_INPUT_SELECT + 1, WF_INPUT_MULTISELECT + 1, WF_INPUT_ENUM + 1}},
    {"options", {WF_INPUT_MULTISELECT + 1}},
    {"allowCustomValue", {WF_INPUT_SELECT + 1, WF_INPUT_MULTISELECT + 1}},
    {"expression", {WF_INPUT_SELECT + 1, WF_INPUT_MULTISELECT + 1}},
    {"after", {WF_INPUT_DATETIME + 1, WF_INPUT_DATE + 1, WF_INPUT_TIME + 1}},
    {"before", {WF_INPUT_DATETIME + 1, WF_INPUT_DATE + 1, WF_INPUT_TIME + 1}},
    {"itemType", {WF_INPUT_ARRAY + 1}},
    {"extension", {WF_INPUT_FILE + 1}},
    {"allowedFileExtensions", {WF_INPUT_FILE + 1}},
};

static void validate_input(wf_vctx_t *cx, const wf_yaml_node_t *map, const char *path)
{
    char sub[WF_PATH_MAX];
    const wf_yaml_node_t *id = wf_yaml_get(map, "id");
    if (wf_is_absent(id))
        id = wf_yaml_get(map, "name");
    wf_path_key(sub, path, "id");
    if (wf_is_absent(id))
        wf_vctx_error(cx, map, sub, "missing required property 'id'");
    else if (id->kind == WF_YAML_SCALAR && !input_id_valid(id->value))
        wf_vctx_error(cx, id, sub, "invalid input id '%s': must match ^[a-zA-Z0-9][.a-zA-Z0-9_-]*",
                      id->value);
    const wf_yaml_node_t *type = wf_yaml_get(map, "type");
    int t = type && type->kind == WF_YAML_SCALAR ? wf_input_type_parse(type->value) : -1;
    if (t < 0)
        return;
    for (size_t r = 0; r < sizeof(input_prop_types) / sizeof(input_prop_types[0]); r++) {
        const wf_yaml_node_t *v = wf_yaml_get(map, input_prop_types[r].prop);
        if (v == NULL)
            continue;
        bool ok = false;
        for (size_t k = 0; k < 6 && input_prop_types[r].types[k]; k++)
            ok |= input_prop_types[r].types[k] == t + 1;
        if (!ok) {
            const wf_yaml_node_t *key = NULL;
            for (size_t m = 0; m < map->count; m++)
                if (strcmp(map->keys[m]->value, input_prop_types[r].prop) == 0)
                    key = map->keys[m];
            wf_path_key(sub, path, input_prop_types[r].prop);
            wf_vctx_error(cx, key, sub, "property '%s' does not apply to an input of type %s",
                          input_prop_types[r].prop, input_type_names[t]);
        }
    }
    const wf_yaml_node_t *values = wf_yaml_get(map, "values");
    if ((t == WF_INPUT_SELECT || t == WF_INPUT_ENUM) && wf_is_absent(values) &&
        wf_is_absent(wf_yaml_get(map, "expression"))) {
        wf_path_key(sub, path, "values");
        wf_vctx_error(cx, map, sub, "missing required property 'values' for an input of type %s",
                      input_type_names[t]);
    }
    if (t == WF_INPUT_ARRAY) {
        const wf_yaml_node_t *it = wf_yaml_get(map, "itemType");
        wf_path_key(sub, path, "itemType");
        int item = it && it->kind == WF_YAML_SCALAR ? wf_input_type_parse(it->value) : -2;
        if (item == -2)
            wf_vctx_error(cx, map, sub, "missing required property 'itemType' for an ARRAY input");
        else if (item == WF_INPUT_ARRAY || item == WF_INPUT_FILE || item == WF_INPUT_SECRET ||
                 item == WF_INPUT_SELECT || item == WF_INPUT_MULTISELECT)
            wf_vctx_error(cx, it, sub, "an ARRAY input cannot hold items of type %s", it->value);
    }
    const wf_yaml_node_t *defaults = wf_yaml_get(map, "defaults");
    /* A FILE input's default names a namespace file (resolved by the
     * executor, nearest namespace first, as Kestra); an execution's file
     * cannot be a default: the next execution would read another's file. */
    if (t == WF_INPUT_FILE && !wf_is_absent(defaults) &&
        (defaults->kind != WF_YAML_SCALAR || strncmp(defaults->value, "nsfile://", 9) != 0)) {
        wf_path_key(sub, path, "defaults");
        wf_vctx_error(cx, defaults, sub,
                      "a FILE input's default must be a namespace file URI (nsfile:///path)");
    }
    const wf_yaml_node_t *validator = wf_yaml_get(map, "validator");
    if (validator != NULL && validator->kind == WF_YAML_SCALAR) {
        char why[160];
        wf_path_key(sub, path, "validator");
        if (wf_regex_check(validator->value, why, sizeof(why)) < 0)
            wf_vctx_error(cx, validator, sub, "invalid regular expression '%s': %s",
                          validator->value, why);
    }
    int64_t n;
    bool b;
    if (t == WF_INPUT_BOOLEAN && defaults != NULL && defaults->kind == WF_YAML_SCALAR &&
        !wf_is_dynamic(defaults) && !wf_yaml_as_bool(defaults, &b)) {
        wf_path_key(sub, path, "defaults");
        wf_vctx_error(cx, defaults, sub, "expected a boolean default, got %s",
                      wf_yaml_type_name(defaults));
    }
    if (t == WF_INPUT_INT && defaults != NULL && defaults->kind == WF_YAML_SCALAR &&
        !wf_is_dynamic(defaults) && !wf_yaml_as_int(defaults, &n)) {
        wf_path_key(sub, path, "defaults");
        wf_vctx_error(cx, defaults, sub, "expected an integer default, got %s",
                      wf_yaml_type_name(defaults));
    }
}

const wf_schema_t wf_input_schema = {
    .what = "input", .props = input_props, .validate = validate_input};

/* ---- task-specific properties ----------------------------------------- */

static const wf_prop_t log_props[] = {
    {.name = "message", .type = WF_PT_ANY, .flags = WF_PF_REQUIRED},
    {.name = "level", .type = WF_PT_ENUM, .values = log_levels},
    END,
};
static void validate_log(wf_vctx_t *cx, const wf_yaml_node_t *map, const char *path)
{
    const wf_yaml_node_t *m = wf_yaml_get(map, "message");
    char sub[WF_PATH_MAX];
    wf_path_key(sub, path, "message");
    if (m == NULL || wf_is_absent(m))
        return;
    if (m->kind == WF_YAML_MAP)
        wf_vctx_error(cx, m, sub, "expected a string or a list of strings, got map");
    for (size_t k = 0; m->kind == WF_YAML_SEQ && k < m->count; k++)
        if (m->items[k]->kind != WF_YAML_SCALAR)
            wf_vctx_error(cx, m->items[k], sub, "expected a string, got %s",
                          wf_yaml_type_name(m->items[k]));
}
static const wf_prop_t return_props[] = {
    {.name = "format", .type = WF_PT_STRING},
    END,
};
static const wf_prop_t echo_props[] = {
    {.name = "format", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED},
    {.name = "level", .type = WF_PT_ENUM, .values = log_levels},
    END,
};
static const wf_prop_t output_values_props[] = {
    {.name = "values", .type = WF_PT_MAP},
    END,
};
static const wf_prop_t fail_props[] = {
    {.name = "condition", .type = WF_PT_STRING},
    {.name = "errorMessage", .type = WF_PT_STRING},
    END,
};
static const wf_prop_t labels_props[] = {
    {.name = "labels", .type = WF_PT_LABELS, .flags = WF_PF_REQUIRED},
    END,
};
static const wf_prop_t sleep_props[] = {
    {.name = "duration", .type = WF_PT_DURATION, .flags = WF_PF_REQUIRED},
    END,
};
static const wf_prop_t pause_props[] = {
    {.name = "delay", .type = WF_PT_DURATION},
    {.name = "pauseDuration", .type = WF_PT_DURATION},
    {.name = "behavior", .type = WF_PT_ENUM, .flags = WF_PF_STATIC,
     .values = A("RESUME", "WARN", "FAIL", "CANCEL")},
    {.name = "onResume", .type = WF_PT_INPUTS, .flags = WF_PF_STATIC},
    {.name = "tasks", .type = WF_PT_TASKS},
    END,
};
static const char *const restart_behaviors[] = {"NEW_EXECUTION", "RETRY_FAILED", NULL};
static const wf_prop_t subflow_props[] = {
    {.name = "namespace", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED},
    {.name = "flowId", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED},
    {.name = "revision", .type = WF_PT_INT},
    {.name = "inputs", .type = WF_PT_MAP},
    {.name = "labels", .type = WF_PT_LABELS},
    {.name = "wait", .type = WF_PT_BOOL},
    {.name = "transmitFailed", .type = WF_PT_BOOL},
    {.name = "inheritLabels", .type = WF_PT_BOOL},
    {.name = "outputs", .type = WF_PT_MAP, .flags = WF_PF_FOREIGN},
    {.name = "scheduleDate", .type = WF_PT_STRING},
    {.name = "restartBehavior", .type = WF_PT_ENUM, .flags = WF_PF_STATIC,
     .values = restart_behaviors},
    END,
};
/* A Subflow that calls the flow it belongs to would start itself forever. */
static void validate_subflow(wf_vctx_t *cx, const wf_yaml_node_t *map, const char *path)
{
    const wf_yaml_node_t *ns = wf_yaml_get(map, "namespace");
    const wf_yaml_node_t *id = wf_yaml_get(map, "flowId");
    if (cx->flow_id == NULL || cx->flow_ns == NULL || ns == NULL || id == NULL ||
        ns->kind != WF_YAML_SCALAR || id->kind != WF_YAML_SCALAR)
        return;
    if (strcmp(ns->value, cx->flow_ns) == 0 && strcmp(id->value, cx->flow_id) == 0) {
        char sub[WF_PATH_MAX];
        wf_path_key(sub, path, "flowId");
        wf_diag_t *e = wf_vctx_error(cx, id, sub, "a Subflow task cannot call its own flow '%s.%s'",
                                     ns->value, id->value);
        wf_diag_note(e, "a flow that starts itself would never end; use a loop task instead");
    }
}
static const wf_prop_t children_props[] = {
    {.name = "tasks", .type = WF_PT_TASKS, .flags = WF_PF_REQUIRED | WF_PF_NONEMPTY},
    END,
};
static const wf_prop_t parallel_props[] = {
    {.name = "tasks", .type = WF_PT_TASKS, .flags = WF_PF_REQUIRED | WF_PF_NONEMPTY},
    {.name = "concurrent", .type = WF_PT_INT, .flags = WF_PF_STATIC},
    END,
};
static const wf_prop_t foreach_props[] = {
    {.name = "values", .type = WF_PT_LIST, .flags = WF_PF_REQUIRED | WF_PF_ONE_OR_LIST},
    {.name = "concurrencyLimit", .type = WF_PT_INT, .flags = WF_PF_STATIC},
    {.name = "tasks", .type = WF_PT_TASKS, .flags = WF_PF_REQUIRED | WF_PF_NONEMPTY},
    END,
};
static const wf_prop_t each_seq_props[] = {
    {.name = "value", .type = WF_PT_LIST, .flags = WF_PF_REQUIRED | WF_PF_ONE_OR_LIST},
    {.name = "tasks", .type = WF_PT_TASKS, .flags = WF_PF_REQUIRED | WF_PF_NONEMPTY},
    END,
};
static const wf_prop_t each_par_props[] = {
    {.name = "value", .type = WF_PT_LIST, .flags = WF_PF_REQUIRED | WF_PF_ONE_OR_LIST},
    {.name = "concurrent", .type = WF_PT_INT, .flags = WF_PF_STATIC},
    {.name = "tasks", .type = WF_PT_TASKS, .flags = WF_PF_REQUIRED | WF_PF_NONEMPTY},
    END,
};
static const wf_prop_t if_props[] = {
    {.name = "condition", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED},
    {.name = "then", .type = WF_PT_TASKS, .flags = WF_PF_REQUIRED | WF_PF_NONEMPTY},
    {.name = "else", .type = WF_PT_TASKS},
    END,
};
static const wf_prop_t switch_props[] = {
    {.name = "value", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED},
    {.name = "cases", .type = WF_PT_CASES},
    {.name = "defaults", .type = WF_PT_TASKS},
    END,
};
static void validate_switch(wf_vctx_t *cx, const wf_yaml_node_t *map, const char *path)
{
    const wf_yaml_node_t *cases = wf_yaml_get(map, "cases");
    const wf_yaml_node_t *defaults = wf_yaml_get(map, "defaults");
    bool any = defaults != NULL && defaults->kind == WF_YAML_SEQ && defaults->count > 0;
    for (size_t k = 0; cases != NULL && cases->kind == WF_YAML_MAP && k < cases->count; k++)
        any |= cases->items[k]->kind == WF_YAML_SEQ && cases->items[k]->count > 0;
    if (!any)
        wf_vctx_error(cx, cases != NULL ? cases : map, path,
                      "a Switch needs at least one task in 'cases' or 'defaults'");
}
static const wf_prop_t dag_props[] = {
    {.name = "tasks", .type = WF_PT_DAG_TASKS, .flags = WF_PF_REQUIRED | WF_PF_NONEMPTY},
    {.name = "concurrent", .type = WF_PT_INT, .flags = WF_PF_STATIC},
    END,
};
static const wf_prop_t check_frequency_props[] = {
    {.name = "maxIterations", .type = WF_PT_INT, .flags = WF_PF_STATIC},
    {.name = "maxDuration", .type = WF_PT_DURATION, .flags = WF_PF_STATIC},
    {.name = "interval", .type = WF_PT_DURATION, .flags = WF_PF_STATIC},
    END,
};
static const wf_schema_t check_frequency_schema = {.what = "check frequency",
                                                   .props = check_frequency_props};
static const wf_prop_t wait_for_props[] = {
    {.name = "condition", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED},
    {.name = "tasks", .type = WF_PT_TASKS, .flags = WF_PF_REQUIRED | WF_PF_NONEMPTY},
    {.name = "checkFrequency", .type = WF_PT_OBJECT, .flags = WF_PF_STATIC,
     .sub = &check_frequency_schema},
    {.name = "failOnMaxReached", .type = WF_PT_BOOL, .flags = WF_PF_STATIC},
    END,
};
static const wf_prop_t working_dir_props[] = {
    {.name = "tasks", .type = WF_PT_TASKS, .flags = WF_PF_REQUIRED | WF_PF_NONEMPTY},
    {.name = "inputFiles", .type = WF_PT_ANY},
    {.name = "outputFiles", .type = WF_PT_STRING_LIST},
    {.name = "namespaceFiles", .type = WF_PT_MAP},
    {.name = "cache", .type = WF_PT_MAP},
    END,
};
/* Children of a WorkingDirectory share one folder, so they run one after the
 * other in one place: only runnable tasks, no flowable ones. */
static void validate_working_dir(wf_vctx_t *cx, const wf_yaml_node_t *map, const char *path)
{
    const wf_yaml_node_t *tasks = wf_yaml_get(map, "tasks");
    char sub[WF_PATH_MAX];
    for (size_t k = 0; tasks != NULL && tasks->kind == WF_YAML_SEQ && k < tasks->count; k++) {
        const wf_yaml_node_t *type = wf_yaml_get(tasks->items[k], "type");
        const wf_task_type_t *tt =
            type && type->kind == WF_YAML_SCALAR ? wf_task_type_find(type->value) : NULL;
        if (tt != NULL && tt->flags & WF_TT_FLOWABLE) {
            snprintf(sub, sizeof(sub), "%s.tasks[%zu].type", path, k);
            wf_vctx_error(cx, type, sub,
                          "only runnable tasks are allowed inside a WorkingDirectory, not %s",
                          tt->name);
        }
    }
}
static const char *const http_methods[] = {"GET",   "POST",    "PUT",   "DELETE", "PATCH",
                                           "HEAD",  "OPTIONS", "TRACE", NULL};
static const wf_prop_t http_props[] = {
    {.name = "uri", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED},
    {.name = "method", .type = WF_PT_ENUM, .values = http_methods},
    {.name = "body", .type = WF_PT_ANY},
    {.name = "formData", .type = WF_PT_MAP},
    {.name = "contentType", .type = WF_PT_STRING},
    {.name = "headers", .type = WF_PT_MAP},
    {.name = "options", .type = WF_PT_MAP},
    {.name = "sslOptions", .type = WF_PT_MAP},
    {.name = "allowFailed", .type = WF_PT_BOOL},
    {.name = "encryptBody", .type = WF_PT_BOOL},
    END,
};
/* Properties of the script tasks (shell and Python). */
#define SCRIPT_COMMON                                                                              \
    {.name = "env", .type = WF_PT_MAP},                                                            \
    {.name = "inputFiles", .type = WF_PT_ANY},                                                     \
    {.name = "outputFiles", .type = WF_PT_STRING_LIST},                                            \
    {.name = "namespaceFiles", .type = WF_PT_MAP},                                                 \
    {.name = "beforeCommands", .type = WF_PT_STRING_LIST},                                         \
    {.name = "interpreter", .type = WF_PT_STRING_LIST},                                            \
    {.name = "containerImage", .type = WF_PT_STRING},                                              \
    {.name = "taskRunner", .type = WF_PT_MAP},                                                     \
    {.name = "docker", .type = WF_PT_MAP},                                                         \
    {.name = "warningOnStdErr", .type = WF_PT_BOOL},                                               \
    {.name = "failFast", .type = WF_PT_BOOL},                                                      \
    {.name = "targetOS", .type = WF_PT_ENUM, .values = A("LINUX", "WINDOWS", "AUTO")},             \
    {.name = "outputDirectory", .type = WF_PT_BOOL}
static const wf_prop_t shell_commands_props[] = {
    {.name = "commands", .type = WF_PT_STRING_LIST,
     .flags = WF_PF_REQUIRED | WF_PF_NONEMPTY | WF_PF_ONE_OR_LIST},
    SCRIPT_COMMON,
    END,
};
static const wf_prop_t shell_script_props[] = {
    {.name = "script", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED},
    SCRIPT_COMMON,
    END,
};
static const wf_prop_t python_script_props[] = {
    {.name = "script", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED},
    {.name = "dependencies", .type = WF_PT_STRING_LIST},
    SCRIPT_COMMON,
    END,
};
static const wf_prop_t python_commands_props[] = {
    {.name = "commands", .type = WF_PT_STRING_LIST,
     .flags = WF_PF_REQUIRED | WF_PF_NONEMPTY | WF_PF_ONE_OR_LIST},
    {.name = "dependencies", .type = WF_PT_STRING_LIST},
    SCRIPT_COMMON,
    END,
};
/* The namespace key-value store (executor/kv.c); `namespace` defaults to
 * the flow's. */
static const char *const kv_types[] = {"STRING", "NUMBER", "BOOLEAN", "DATETIME", "DATE",
                                       "DURATION", "JSON", NULL};
static const wf_prop_t kv_set_props[] = {
    {.name = "key", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED},
    {.name = "value", .type = WF_PT_ANY, .flags = WF_PF_REQUIRED},
    {.name = "namespace", .type = WF_PT_STRING},
    {.name = "overwrite", .type = WF_PT_BOOL},
    {.name = "ttl", .type = WF_PT_DURATION},
    {.name = "kvType", .type = WF_PT_ENUM, .values = kv_types},
    {.name = "kvDescription", .type = WF_PT_STRING},
    END,
};
static const wf_prop_t kv_get_props[] = {
    {.name = "key", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED},
    {.name = "namespace", .type = WF_PT_STRING},
    {.name = "errorOnMissing", .type = WF_PT_BOOL},
    END,
};
static const wf_prop_t kv_get_keys_props[] = {
    {.name = "prefix", .type = WF_PT_STRING},
    {.name = "namespace", .type = WF_PT_STRING},
    END,
};
static const wf_prop_t kv_purge_props[] = {
    {.name = "namespaces", .type = WF_PT_STRING_LIST, .flags = WF_PF_ONE_OR_LIST},
    {.name = "includeChildNamespaces", .type = WF_PT_BOOL},
    {.name = "keyPattern", .type = WF_PT_STRING},
    {.name = "expiredOnly", .type = WF_PT_BOOL},
    END,
};

/* Purging a domain's own history (executor/retention.c). */
static const wf_prop_t purge_executions_props[] = {
    {.name = "endDate", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED},
    {.name = "startDate", .type = WF_PT_STRING},
    {.name = "namespace", .type = WF_PT_STRING},
    {.name = "flowId", .type = WF_PT_STRING},
    {.name = "states", .type = WF_PT_ENUM_LIST, .values = states},
    {.name = "purgeExecution", .type = WF_PT_BOOL},
    {.name = "purgeLog", .type = WF_PT_BOOL},
    {.name = "purgeMetric", .type = WF_PT_BOOL},
    {.name = "purgeStorage", .type = WF_PT_BOOL},
    {.name = "batchSize", .type = WF_PT_INT},
    END,
};
static const wf_prop_t purge_logs_props[] = {
    {.name = "endDate", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED},
    {.name = "startDate", .type = WF_PT_STRING},
    {.name = "namespace", .type = WF_PT_STRING},
    {.name = "flowId", .type = WF_PT_STRING},
    {.name = "executionId", .type = WF_PT_STRING},
    {.name = "logLevels", .type = WF_PT_ENUM_LIST, .values = log_levels},
    END,
};

static const wf_prop_t pg_query_props[] = {
    {.name = "url", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED},
    {.name = "username", .type = WF_PT_STRING},
    {.name = "password", .type = WF_PT_STRING},
    {.name = "sql", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED},
    {.name = "fetchType", .type = WF_PT_ENUM, .values = A("FETCH_ONE", "FETCH", "STORE", "NONE")},
    {.name = "fetch", .type = WF_PT_BOOL},
    {.name = "fetchOne", .type = WF_PT_BOOL},
    {.name = "store", .type = WF_PT_BOOL},
    {.name = "fetchSize", .type = WF_PT_INT},
    {.name = "parameters", .type = WF_PT_MAP},
    {.name = "timeZoneId", .type = WF_PT_STRING},
    {.name = "ssl", .type = WF_PT_BOOL},
    {.name = "sslMode", .type = WF_PT_ENUM,
     .values = A("DISABLE", "ALLOW", "PREFER", "REQUIRE", "VERIFY_CA", "VERIFY_FULL")},
    {.name = "sslRootCert", .type = WF_PT_STRING},
    {.name = "sslCert", .type = WF_PT_STRING},
    {.name = "sslKey", .type = WF_PT_STRING},
    {.name = "sslKeyPassword", .type = WF_PT_STRING},
    END,
};

/* ---- tasks that move files (executor/filetasks.c, http.c, pg.c) --------- */

static const wf_prop_t download_props[] = {
    {.name = "uri", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED},
    {.name = "method", .type = WF_PT_ENUM, .values = http_methods},
    {.name = "body", .type = WF_PT_ANY},
    {.name = "formData", .type = WF_PT_MAP},
    {.name = "contentType", .type = WF_PT_STRING},
    {.name = "headers", .type = WF_PT_MAP},
    {.name = "options", .type = WF_PT_MAP},
    {.name = "sslOptions", .type = WF_PT_MAP},
    {.name = "allowFailed", .type = WF_PT_BOOL},
    {.name = "failOnEmptyResponse", .type = WF_PT_BOOL},
    END,
};
static const wf_prop_t storage_write_props[] = {
    {.name = "content", .type = WF_PT_ANY, .flags = WF_PF_REQUIRED},
    {.name = "extension", .type = WF_PT_STRING},
    END,
};
static const wf_prop_t storage_concat_props[] = {
    {.name = "files", .type = WF_PT_STRING_LIST,
     .flags = WF_PF_REQUIRED | WF_PF_NONEMPTY | WF_PF_ONE_OR_LIST},
    {.name = "separator", .type = WF_PT_STRING},
    {.name = "extension", .type = WF_PT_STRING},
    END,
};
static const wf_prop_t storage_split_props[] = {
    {.name = "from", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED},
    {.name = "bytes", .type = WF_PT_STRING},
    {.name = "rows", .type = WF_PT_INT},
    {.name = "partitions", .type = WF_PT_INT},
    {.name = "separator", .type = WF_PT_STRING},
    END,
};
/* Exactly one way of cutting; checked at apply when the flow says it. */
static void validate_split(wf_vctx_t *cx, const wf_yaml_node_t *map, const char *path)
{
    static const char *const ways[] = {"bytes", "rows", "partitions"};
    char sub[WF_PATH_MAX];
    int n = 0;
    for (size_t i = 0; i < 3; i++) {
        const wf_yaml_node_t *v = wf_yaml_get(map, ways[i]);
        if (!wf_is_absent(v) && ++n == 2) {
            wf_path_key(sub, path, ways[i]);
            wf_vctx_error(cx, v, sub,
                          "a Split takes only one of 'bytes', 'rows' or 'partitions'");
        }
    }
    if (n == 0)
        wf_vctx_error(cx, map, path, "a Split needs one of 'bytes', 'rows' or 'partitions'");
}
static const wf_prop_t storage_local_files_props[] = {
    {.name = "inputs", .type = WF_PT_MAP},
    {.name = "outputs", .type = WF_PT_STRING_LIST, .flags = WF_PF_ONE_OR_LIST},
    END,
};
/* LocalFiles works on the folder a WorkingDirectory shares with its
 * children: elsewhere there is no folder for it to fill or read. */
static void validate_local_files(wf_vctx_t *cx, const wf_yaml_node_t *map, const char *path)
{
    if (wf_is_absent(wf_yaml_get(map, "inputs")) && wf_is_absent(wf_yaml_get(map, "outputs")))
        wf_vctx_error(cx, map, path, "a LocalFiles needs 'inputs' or 'outputs'");
}
static const wf_prop_t storage_delete_props[] = {
    {.name = "uri", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED},
    {.name = "errorOnMissing", .type = WF_PT_BOOL},
    END,
};
#define PG_CONN_PROPS                                                                              \
    {.name = "url", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED},                                \
    {.name = "username", .type = WF_PT_STRING},                                                    \
    {.name = "password", .type = WF_PT_STRING},                                                    \
    {.name = "ssl", .type = WF_PT_BOOL},                                                           \
    {.name = "sslMode", .type = WF_PT_ENUM,                                                        \
     .values = A("DISABLE", "ALLOW", "PREFER", "REQUIRE", "VERIFY_CA", "VERIFY_FULL")},            \
    {.name = "sslRootCert", .type = WF_PT_STRING},                                                 \
    {.name = "sslCert", .type = WF_PT_STRING},                                                     \
    {.name = "sslKey", .type = WF_PT_STRING},                                                      \
    {.name = "sslKeyPassword", .type = WF_PT_STRING}
/* COPY's options, as PostgreSQL names them (Kestra passes them through). */
#define PG_COPY_PROPS                                                                              \
    {.name = "table", .type = WF_PT_STRING},                                                       \
    {.name = "columns", .type = WF_PT_STRING_LIST},                                                \
    {.name = "format", .type = WF_PT_ENUM, .values = A("TEXT", "CSV", "BINARY")},                  \
    {.name = "header", .type = WF_PT_BOOL},                                                        \
    {.name = "delimiter", .type = WF_PT_STRING},                                                   \
    {.name = "nullString", .type = WF_PT_STRING},                                                  \
    {.name = "quote", .type = WF_PT_STRING},                                                       \
    {.name = "escape", .type = WF_PT_STRING},                                                      \
    {.name = "encoding", .type = WF_PT_STRING},                                                    \
    {.name = "forceQuote", .type = WF_PT_STRING_LIST},                                             \
    {.name = "forceNotNull", .type = WF_PT_STRING_LIST},                                           \
    {.name = "forceNull", .type = WF_PT_STRING_LIST},                                              \
    {.name = "freeze", .type = WF_PT_BOOL},                                                        \
    {.name = "oids", .type = WF_PT_BOOL}
static const wf_prop_t pg_queries_props[] = {
    PG_CONN_PROPS,
    {.name = "sql", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED},
    {.name = "fetchType", .type = WF_PT_ENUM, .values = A("FETCH_ONE", "FETCH", "STORE", "NONE")},
    {.name = "fetch", .type = WF_PT_BOOL},
    {.name = "fetchOne", .type = WF_PT_BOOL},
    {.name = "store", .type = WF_PT_BOOL},
    {.name = "fetchSize", .type = WF_PT_INT},
    {.name = "parameters", .type = WF_PT_MAP},
    {.name = "timeZoneId", .type = WF_PT_STRING},
    {.name = "transaction", .type = WF_PT_BOOL},
    END,
};
static const wf_prop_t pg_copy_in_props[] = {
    PG_CONN_PROPS,
    PG_COPY_PROPS,
    {.name = "from", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED},
    END,
};
static const wf_prop_t pg_copy_out_props[] = {
    PG_CONN_PROPS,
    PG_COPY_PROPS,
    {.name = "sql", .type = WF_PT_STRING},
    END,
};
/* COPY needs a table (CopyIn) or a table or a query (CopyOut), and the
 * one-byte options must be one byte. */
static void validate_pg_copy(wf_vctx_t *cx, const wf_yaml_node_t *map, const char *path)
{
    bool out = !wf_is_absent(wf_yaml_get(map, "sql")) || wf_is_absent(wf_yaml_get(map, "from"));
    const wf_yaml_node_t *table = wf_yaml_get(map, "table"), *sql = wf_yaml_get(map, "sql");
    if (!out && wf_is_absent(table))
        wf_vctx_error(cx, map, path, "a CopyIn needs 'table'");
    if (out && wf_is_absent(table) && wf_is_absent(sql))
        wf_vctx_error(cx, map, path, "a CopyOut needs 'table' or 'sql'");
    if (out && !wf_is_absent(table) && !wf_is_absent(sql)) {
        char sub[WF_PATH_MAX];
        wf_path_key(sub, path, "sql");
        wf_vctx_error(cx, sql, sub, "a CopyOut takes 'table' or 'sql', not both");
    }
    static const char *const one_byte[] = {"delimiter", "quote", "escape"};
    for (size_t i = 0; i < 3; i++) {
        const wf_yaml_node_t *v = wf_yaml_get(map, one_byte[i]);
        if (v != NULL && v->kind == WF_YAML_SCALAR && strstr(v->value, "{{") == NULL &&
            strlen(v->value) != 1) {
            char sub[WF_PATH_MAX];
            wf_path_key(sub, path, one_byte[i]);
            wf_vctx_error(cx, v, sub, "'%s' must be a single one-byte character", one_byte[i]);
        }
    }
}

#define CORE "io.kestra.plugin.core."
#define OLD "io.kestra.core.tasks."

const wf_task_type_t wf_task_types[] = {
    {.name = CORE "log.Log", .aliases = A(OLD "log.Log", OLD "debugs.Log"),
     .kind = WF_TASK_LOG, .props = log_props, .validate = validate_log,
     .summary = "write a message to the execution's logs"},
    {.name = CORE "debug.Return", .aliases = A(OLD "debugs.Return"),
     .kind = WF_TASK_RETURN, .props = return_props,
     .summary = "return a rendered value as output"},
    {.name = CORE "debug.Echo", .aliases = A(OLD "debugs.Echo"),
     .kind = WF_TASK_ECHO, .props = echo_props,
     .summary = "log a rendered message (deprecated in favour of Log)"},
    {.name = CORE "output.OutputValues",
     .aliases = A(OLD "outputs.OutputValues", OLD "storages.OutputValues"),
     .kind = WF_TASK_OUTPUT_VALUES, .props = output_values_props,
     .summary = "expose values as outputs"},
    {.name = CORE "execution.Fail", .aliases = A(OLD "executions.Fail"),
     .kind = WF_TASK_FAIL, .props = fail_props,
     .summary = "fail the execution, optionally on a condition"},
    {.name = CORE "execution.Labels", .aliases = A(OLD "executions.Labels"),
     .kind = WF_TASK_LABELS, .props = labels_props,
     .summary = "add labels to the running execution"},
    {.name = CORE "flow.Sleep", .aliases = A(OLD "flows.Sleep"),
     .kind = WF_TASK_SLEEP, .props = sleep_props,
     .summary = "wait for a duration"},
    {.name = CORE "flow.Pause", .aliases = A(OLD "flows.Pause"),
     .kind = WF_TASK_PAUSE, .flags = WF_TT_FLOWABLE, .props = pause_props,
     .summary = "pause until resumed or a delay passes"},
    {.name = CORE "flow.Subflow",
     .aliases = A(OLD "flows.Subflow", OLD "flows.Flow", CORE "flow.Flow"),
     .kind = WF_TASK_SUBFLOW, .props = subflow_props, .validate = validate_subflow,
     .summary = "start another flow"},
    {.name = CORE "flow.Parallel", .aliases = A(OLD "flows.Parallel"),
     .kind = WF_TASK_PARALLEL, .flags = WF_TT_FLOWABLE, .props = parallel_props,
     .summary = "run child tasks at the same time"},
    {.name = CORE "flow.Sequential", .aliases = A(OLD "flows.Sequential"),
     .kind = WF_TASK_SEQUENTIAL, .flags = WF_TT_FLOWABLE, .props = children_props,
     .summary = "run child tasks one after the other"},
    {.name = CORE "flow.ForEach", .aliases = A(OLD "flows.ForEach"),
     .kind = WF_TASK_FOREACH, .flags = WF_TT_FLOWABLE, .props = foreach_props,
     .summary = "run child tasks for each value"},
    {.name = CORE "flow.EachSequential", .aliases = A(OLD "flows.EachSequential"),
     .kind = WF_TASK_EACH_SEQUENTIAL, .flags = WF_TT_FLOWABLE, .props = each_seq_props,
     .summary = "run child tasks for each value, in order"},
    {.name = CORE "flow.EachParallel", .aliases = A(OLD "flows.EachParallel"),
     .kind = WF_TASK_EACH_PARALLEL, .flags = WF_TT_FLOWABLE, .props = each_par_props,
     .summary = "run child tasks for each value, at the same time"},
    {.name = CORE "flow.If", .aliases = A(OLD "flows.If"),
     .kind = WF_TASK_IF, .flags = WF_TT_FLOWABLE, .props = if_props,
     .summary = "run `then` or `else` on a condition"},
    {.name = CORE "flow.Switch", .aliases = A(OLD "flows.Switch"),
     .kind = WF_TASK_SWITCH, .flags = WF_TT_FLOWABLE, .props = switch_props,
     .validate = validate_switch,
     .summary = "run the tasks of the case matching a value"},
    {.name = CORE "flow.AllowFailure", .aliases = A(OLD "flows.AllowFailure"),
     .kind = WF_TASK_ALLOW_FAILURE, .flags = WF_TT_FLOWABLE, .props = children_props,
     .summary = "run child tasks; their failure only warns"},
    {.name = CORE "flow.Dag", .aliases = A(OLD "flows.Dag"),
     .kind = WF_TASK_DAG, .flags = WF_TT_FLOWABLE, .props = dag_props, .validate = wf_validate_dag,
     .summary = "run child tasks by their dependencies"},
    {.name = CORE "flow.WaitFor", .aliases = A(OLD "flows.WaitFor"),
     .kind = WF_TASK_WAIT_FOR, .flags = WF_TT_FLOWABLE, .props = wait_for_props,
     .summary = "repeat child tasks until a condition holds"},
    {.name = CORE "flow.WorkingDirectory", .aliases = A(OLD "flows.WorkingDirectory"),
     .kind = WF_TASK_WORKING_DIRECTORY, .flags = WF_TT_FLOWABLE, .props = working_dir_props,
     .validate = validate_working_dir,
     .summary = "run child tasks in one shared folder"},
    {.name = CORE "http.Request", .aliases = A("io.kestra.plugin.fs.http.Request"),
     .kind = WF_TASK_HTTP_REQUEST, .props = http_props,
     .summary = "make an HTTP request"},
    {.name = "io.kestra.plugin.scripts.shell.Commands", .aliases = A(OLD "scripts.Bash"),
     .kind = WF_TASK_SHELL_COMMANDS, .props = shell_commands_props,
     .summary = "run shell commands"},
    {.name = "io.kestra.plugin.scripts.shell.Script",
     .kind = WF_TASK_SHELL_SCRIPT, .props = shell_script_props,
     .summary = "run a shell script"},
    {.name = "io.kestra.plugin.scripts.python.Script",
     .kind = WF_TASK_PYTHON_SCRIPT, .props = python_script_props,
     .summary = "run a Python script"},
    {.name = "io.kestra.plugin.scripts.python.Commands",
     .kind = WF_TASK_PYTHON_COMMANDS, .props = python_commands_props,
     .summary = "run Python commands"},
    {.name = "io.kestra.plugin.jdbc.postgresql.Query",
     .kind = WF_TASK_PG_QUERY, .props = pg_query_props,
     .summary = "run a PostgreSQL query"},
    {.name = CORE "kv.Set", .kind = WF_TASK_KV_SET, .props = kv_set_props,
     .summary = "store a typed value in the namespace KV store"},
    {.name = CORE "kv.Get", .kind = WF_TASK_KV_GET, .props = kv_get_props,
     .summary = "read a KV value (output value), from the nearest namespace holding it"},
    {.name = CORE "kv.Delete", .kind = WF_TASK_KV_DELETE, .props = kv_get_props,
     .summary = "delete a KV key (output deleted)"},
    {.name = CORE "kv.GetKeys", .kind = WF_TASK_KV_GET_KEYS, .props = kv_get_keys_props,
     .summary = "list the KV keys of a namespace, optionally by prefix (output keys)"},
    {.name = CORE "kv.PurgeKV", .kind = WF_TASK_KV_PURGE, .props = kv_purge_props,
     .summary = "delete KV keys, by default the expired ones (output size)"},
    {.name = CORE "execution.PurgeExecutions", .aliases = A(CORE "storage.Purge"),
     .kind = WF_TASK_PURGE_EXECUTIONS, .props = purge_executions_props,
     .summary = "delete ended executions of the flow's namespace (or below) started before "
                "endDate, with their logs and files (outputs executionsCount, logsCount, "
                "storagesCount)"},
    {.name = CORE "log.PurgeLogs", .kind = WF_TASK_PURGE_LOGS, .props = purge_logs_props,
     .summary = "delete log lines of the flow's namespace (or below) written before endDate "
                "(output count)"},
    {.name = CORE "http.Download", .aliases = A("io.kestra.plugin.fs.http.Download"),
     .kind = WF_TASK_HTTP_DOWNLOAD, .props = download_props,
     .summary = "download a file over HTTP into internal storage (outputs uri, code, headers, "
                "length)"},
    {.name = CORE "storage.Write", .kind = WF_TASK_STORAGE_WRITE, .props = storage_write_props,
     .summary = "write content to a file in internal storage (output uri)"},
    {.name = CORE "storage.Concat", .aliases = A(OLD "storages.Concat"),
     .kind = WF_TASK_STORAGE_CONCAT, .props = storage_concat_props,
     .summary = "concatenate stored files, with an optional separator (output uri)"},
    {.name = CORE "storage.Split", .aliases = A(OLD "storages.Split"),
     .kind = WF_TASK_STORAGE_SPLIT, .props = storage_split_props, .validate = validate_split,
     .summary = "split a stored file by bytes, rows or partitions (output uris)"},
    {.name = CORE "storage.LocalFiles", .aliases = A(OLD "storages.LocalFiles"),
     .kind = WF_TASK_STORAGE_LOCAL_FILES, .props = storage_local_files_props,
     .validate = validate_local_files,
     .summary = "place files in a WorkingDirectory's folder and collect files from it "
                "(output outputFiles; deprecated in Kestra for inputFiles/outputFiles)"},
    {.name = CORE "storage.Delete", .aliases = A(OLD "storages.Delete"),
     .kind = WF_TASK_STORAGE_DELETE, .props = storage_delete_props,
     .summary = "delete a stored file of the execution (outputs uri, deleted)"},
    {.name = "io.kestra.plugin.jdbc.postgresql.Queries", .kind = WF_TASK_PG_QUERIES,
     .props = pg_queries_props,
     .summary = "run several PostgreSQL statements in one transaction (output outputs: one "
                "{rows|row, size} per result set)"},
    {.name = "io.kestra.plugin.jdbc.postgresql.CopyIn", .kind = WF_TASK_PG_COPY_IN,
     .props = pg_copy_in_props, .validate = validate_pg_copy,
     .summary = "load a stored file into a PostgreSQL table with COPY (output rowCount)"},
    {.name = "io.kestra.plugin.jdbc.postgresql.CopyOut", .kind = WF_TASK_PG_COPY_OUT,
     .props = pg_copy_out_props, .validate = validate_pg_copy,
     .summary = "export a PostgreSQL table or query to a stored file with COPY (outputs uri, "
                "rowCount)"},
};
const size_t wf_n_task_types = sizeof(wf_task_types) / sizeof(wf_task_types[0]);

/* ---- conditions -------------------------------------------------------- */

#define COND "io.kestra.plugin.core.condition."
#define OLDCOND "io.kestra.core.models.conditions.types."

static const wf_prop_t cond_status_props[] = {
    {.name = "in", .type = WF_PT_ENUM_LIST, .flags = WF_PF_STATIC, .values = states},
    {.name = "notIn", .type = WF_PT_ENUM_LIST, .flags = WF_PF_STATIC, .values = states},
    END,
};
static const wf_prop_t cond_flow_props[] = {
    {.name = "namespace", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED | WF_PF_STATIC},
    {.name = "flowId", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED | WF_PF_STATIC},
    END,
};
static const wf_prop_t cond_namespace_props[] = {
    {.name = "namespace", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED | WF_PF_STATIC},
    {.name = "prefix", .type = WF_PT_BOOL, .flags = WF_PF_STATIC},
    {.name = "comparison", .type = WF_PT_ENUM, .flags = WF_PF_STATIC,
     .values = A("EQUALS", "PREFIX", "SUFFIX")},
    END,
};
static const wf_prop_t cond_multiple_props[] = {
    {.name = "window", .type = WF_PT_DURATION, .flags = WF_PF_STATIC},
    {.name = "windowAdvance", .type = WF_PT_DURATION, .flags = WF_PF_STATIC},
    {.name = "conditions", .type = WF_PT_CONDITION_MAP, .flags = WF_PF_REQUIRED | WF_PF_NONEMPTY},
    {.name = "resetOnSuccess", .type = WF_PT_BOOL, .flags = WF_PF_STATIC},
    END,
};
static const wf_prop_t cond_expression_props[] = {
    {.name = "expression", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED},
    END,
};

/* Date conditions: `date` is an expression, rendered when the trigger is
 * evaluated (by default the trigger's date); the bounds are checked here
 * when they are written out, and again after rendering when they are not. */
static const char *const days_of_week[] = {"MONDAY", "TUESDAY",  "WEDNESDAY", "THURSDAY",
                                           "FRIDAY", "SATURDAY", "SUNDAY",    NULL};
static const wf_prop_t cond_day_week_props[] = {
    {.name = "date", .type = WF_PT_STRING},
    {.name = "dayOfWeek", .type = WF_PT_ENUM, .flags = WF_PF_REQUIRED, .values = days_of_week},
    END,
};
static const wf_prop_t cond_day_week_in_month_props[] = {
    {.name = "date", .type = WF_PT_STRING},
    {.name = "dayOfWeek", .type = WF_PT_ENUM, .flags = WF_PF_REQUIRED, .values = days_of_week},
    {.name = "dayInMonth", .type = WF_PT_ENUM, .flags = WF_PF_REQUIRED,
     .values = A("FIRST", "LAST", "SECOND", "THIRD", "FOURTH")},
    END,
};
static const wf_prop_t cond_weekend_props[] = {
    {.name = "date", .type = WF_PT_STRING},
    END,
};
static const wf_prop_t cond_between_props[] = {
    {.name = "date", .type = WF_PT_STRING},
    {.name = "after", .type = WF_PT_STRING},
    {.name = "before", .type = WF_PT_STRING},
    END,
};
static const wf_prop_t cond_nested_props[] = {
    {.name = "conditions", .type = WF_PT_CONDITIONS, .flags = WF_PF_REQUIRED | WF_PF_NONEMPTY},
    END,
};

/* TimeBetween and DateTimeBetween need a bound, and a written bound must be
 * a time with offset (TimeBetween) or a date-time with zone (DateTimeBetween). */
static void validate_between(wf_vctx_t *cx, const wf_yaml_node_t *map, const char *path,
                             bool date_time)
{
    const char *names[] = {"after", "before"};
    bool any = false;
    for (size_t i = 0; i < 2; i++) {
        const wf_yaml_node_t *v = wf_yaml_get(map, names[i]);
        if (wf_is_absent(v))
            continue;
        any = true;
        if (v->kind != WF_YAML_SCALAR || wf_is_dynamic(v))
            continue;
        char msg[300], sub[WF_PATH_MAX];
        wf_path_key(sub, path, names[i]);
        wf_datetime_t dt;
        int64_t ns;
        int rc = date_time ? wf_datetime_parse(v->value, &dt, msg, sizeof(msg))
                           : wf_offset_time_parse(v->value, &ns, msg, sizeof(msg));
        if (rc == 0 && date_time && !dt.has_time) {
            snprintf(msg, sizeof(msg), "'%s' is a date: a date-time with zone is needed "
                     "('%sT00:00:00Z')", v->value, v->value);
            rc = -1;
        }
        if (rc != 0)
            wf_vctx_error(cx, v, sub, "%s", msg);
    }
    if (!any)
        wf_vctx_error(cx, map, path, "needs 'after', 'before' or both");
}
static void validate_time_between(wf_vctx_t *cx, const wf_yaml_node_t *map, const char *path)
{
    validate_between(cx, map, path, false);
}
static void validate_date_time_between(wf_vctx_t *cx, const wf_yaml_node_t *map,
                                       const char *path)
{
    validate_between(cx, map, path, true);
}
/* A written `date` must parse: a typo shows at apply time, not as a
 * trigger that silently never fires. */
static void validate_date(wf_vctx_t *cx, const wf_yaml_node_t *map, const char *path)
{
    const wf_yaml_node_t *v = wf_yaml_get(map, "date");
    if (wf_is_absent(v) || v->kind != WF_YAML_SCALAR || wf_is_dynamic(v))
        return;
    char msg[300], sub[WF_PATH_MAX];
    wf_datetime_t dt;
    wf_path_key(sub, path, "date");
    if (wf_datetime_parse(v->value, &dt, msg, sizeof(msg)) != 0)
        wf_vctx_error(cx, v, sub, "%s", msg);
}
static void validate_time_date(wf_vctx_t *cx, const wf_yaml_node_t *map, const char *path)
{
    validate_date(cx, map, path);
    validate_time_between(cx, map, path);
}
static void validate_date_time_date(wf_vctx_t *cx, const wf_yaml_node_t *map, const char *path)
{
    validate_date(cx, map, path);
    validate_date_time_between(cx, map, path);
}

const wf_condition_type_t wf_condition_types[] = {
    {.name = COND "ExecutionStatus",
     .aliases = A(OLDCOND "ExecutionStatusCondition", COND "ExecutionStatusCondition"),
     .props = cond_status_props},
    {.name = COND "ExecutionFlow",
     .aliases = A(OLDCOND "ExecutionFlowCondition", COND "ExecutionFlowCondition"),
     .props = cond_flow_props},
    {.name = COND "ExecutionNamespace",
     .aliases = A(OLDCOND "ExecutionNamespaceCondition", COND "ExecutionNamespaceCondition"),
     .props = cond_namespace_props},
    {.name = COND "MultipleCondition", .aliases = A(OLDCOND "MultipleCondition"),
     .props = cond_multiple_props},
    {.name = COND "Expression",
     .aliases = A(COND "ExpressionCondition", OLDCOND "VariableCondition"),
     .props = cond_expression_props},
    {.name = COND "DayWeek",
     .aliases = A(OLDCOND "DayWeekCondition", COND "DayWeekCondition"),
     .props = cond_day_week_props, .validate = validate_date},
    {.name = COND "DayWeekInMonth",
     .aliases = A(OLDCOND "DayWeekInMonthCondition", COND "DayWeekInMonthCondition"),
     .props = cond_day_week_in_month_props, .validate = validate_date},
    {.name = COND "Weekend",
     .aliases = A(OLDCOND "WeekendCondition", COND "WeekendCondition"),
     .props = cond_weekend_props, .validate = validate_date},
    {.name = COND "TimeBetween",
     .aliases = A(OLDCOND "TimeBetweenCondition", COND "TimeBetweenCondition"),
     .props = cond_between_props, .validate = validate_time_date},
    {.name = COND "DateTimeBetween",
     .aliases = A(OLDCOND "DateTimeBetweenCondition", COND "DateTimeBetweenCondition"),
     .props = cond_between_props, .validate = validate_date_time_date},
    {.name = COND "Not", .aliases = A(OLDCOND "NotCondition", COND "NotCondition"),
     .props = cond_nested_props},
    {.name = COND "Or", .aliases = A(OLDCOND "OrCondition", COND "OrCondition"),
     .props = cond_nested_props},
};
const size_t wf_n_condition_types = sizeof(wf_condition_types) / sizeof(wf_condition_types[0]);

/* ---- triggers ---------------------------------------------------------- */

const wf_prop_t wf_trigger_common_props[] = {
    {.name = "id", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED | WF_PF_STATIC | WF_PF_ID},
    {.name = "type", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED | WF_PF_STATIC},
    {.name = "description", .type = WF_PT_STRING, .flags = WF_PF_STATIC},
    {.name = "disabled", .type = WF_PT_BOOL, .flags = WF_PF_STATIC},
    {.name = "conditions", .type = WF_PT_CONDITIONS},
    {.name = "stopAfter", .type = WF_PT_ENUM_LIST, .flags = WF_PF_STATIC, .values = states},
    {.name = "logLevel", .type = WF_PT_ENUM, .flags = WF_PF_STATIC, .values = log_levels},
    {.name = "minLogLevel", .type = WF_PT_ENUM, .flags = WF_PF_STATIC, .values = log_levels},
    {.name = "logToFile", .type = WF_PT_BOOL, .flags = WF_PF_STATIC},
    {.name = "workerGroup", .type = WF_PT_OBJECT, .flags = WF_PF_STATIC,
     .sub = &worker_group_schema},
    {.name = "failOnTriggerError", .type = WF_PT_BOOL, .flags = WF_PF_STATIC},
    END,
};

static const wf_prop_t schedule_props[] = {
    {.name = "cron", .type = WF_PT_CRON, .flags = WF_PF_REQUIRED | WF_PF_STATIC},
    {.name = "withSeconds", .type = WF_PT_BOOL, .flags = WF_PF_STATIC},
    {.name = "timezone", .type = WF_PT_STRING, .flags = WF_PF_STATIC},
    {.name = "inputs", .type = WF_PT_MAP},
    {.name = "labels", .type = WF_PT_LABELS},
    {.name = "backfill", .type = WF_PT_MAP, .flags = WF_PF_STATIC},
    {.name = "lateMaximumDelay", .type = WF_PT_DURATION, .flags = WF_PF_STATIC},
    {.name = "recoverMissedSchedules", .type = WF_PT_ENUM, .flags = WF_PF_STATIC,
     .values = A("LAST", "NONE", "ALL")},
    {.name = "scheduleConditions", .type = WF_PT_CONDITIONS},
    {.name = "interval", .type = WF_PT_DURATION, .flags = WF_PF_STATIC},
    END,
};
static void validate_schedule(wf_vctx_t *cx, const wf_yaml_node_t *map, const char *path)
{
    const wf_yaml_node_t *cron = wf_yaml_get(map, "cron");
    const wf_yaml_node_t *ws = wf_yaml_get(map, "withSeconds");
    bool with_seconds = false;
    char msg[512], sub[WF_PATH_MAX];
    if (ws != NULL)
        wf_yaml_as_bool(ws, &with_seconds);
    if (cron == NULL || cron->kind != WF_YAML_SCALAR || wf_is_absent(cron))
        return;
    wf_path_key(sub, path, "cron");
    if (wf_cron_check(cron->value, with_seconds, msg, sizeof(msg)) < 0) {
        wf_diag_t *e = wf_vctx_error(cx, cron, sub, "%s", msg);
        if (!with_seconds && wf_cron_check(cron->value, true, msg, sizeof(msg)) == 0)
            wf_diag_note(e, "six fields need 'withSeconds: true'");
    }
}
static const wf_prop_t webhook_props[] = {
    {.name = "key", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED | WF_PF_STATIC | WF_PF_NONEMPTY},
    {.name = "inputs", .type = WF_PT_MAP},
    {.name = "wait", .type = WF_PT_BOOL, .flags = WF_PF_STATIC},
    {.name = "returnOutputs", .type = WF_PT_BOOL, .flags = WF_PF_STATIC},
    END,
};
static void validate_webhook(wf_vctx_t *cx, const wf_yaml_node_t *map, const char *path)
{
    const wf_yaml_node_t *key = wf_yaml_get(map, "key");
    char sub[WF_PATH_MAX];
    if (key == NULL || key->kind != WF_YAML_SCALAR || wf_is_dynamic(key))
        return;
    wf_path_key(sub, path, "key");
    /* The key is part of the webhook URL and acts as its secret. */
    if (key->len > 256)
        wf_vctx_error(cx, key, sub, "webhook key is longer than 256 characters");
    for (size_t i = 0; i < key->len; i++) {
        unsigned char c = (unsigned char)key->value[i];
        if (c <= ' ' || c == '/' || c == '?' || c == '#' || c == '%' || c >= 0x7f) {
            wf_vctx_error(cx, key, sub,
                          "webhook key may not contain spaces, '/', '?', '#', '%%' or control "
                          "characters");
            break;
        }
    }
}

static const char *const filter_fields[] = {"FLOW_ID", "NAMESPACE", "STATE", "EXPRESSION", NULL};
static const char *const filter_types[] = {
    "EQUAL_TO", "NOT_EQUAL_TO", "IN",       "NOT_IN",  "IS_TRUE", "IS_FALSE", "IS_NULL",
    "IS_NOT_NULL", "STARTS_WITH", "ENDS_WITH", "REGEX", "CONTAINS", NULL};
static const wf_prop_t filter_props[] = {
    {.name = "field", .type = WF_PT_ENUM, .flags = WF_PF_REQUIRED | WF_PF_STATIC,
     .values = filter_fields},
    {.name = "type", .type = WF_PT_ENUM, .flags = WF_PF_REQUIRED | WF_PF_STATIC,
     .values = filter_types},
    {.name = "value", .type = WF_PT_STRING},
    {.name = "values", .type = WF_PT_STRING_LIST},
    END,
};
/* A REGEX filter's pattern is refused when it does not compile, as an
 * input validator is (unless it is an expression, rendered later). */
static void validate_filter(wf_vctx_t *cx, const wf_yaml_node_t *map, const char *path)
{
    const wf_yaml_node_t *type = wf_yaml_get(map, "type");
    const wf_yaml_node_t *value = wf_yaml_get(map, "value");
    if (type == NULL || type->kind != WF_YAML_SCALAR || strcmp(type->value, "REGEX") != 0 ||
        value == NULL || value->kind != WF_YAML_SCALAR || wf_is_dynamic(value))
        return;
    char why[256], sub[WF_PATH_MAX];
    wf_path_key(sub, path, "value");
    if (wf_regex_check(value->value, why, sizeof(why)) < 0)
        wf_vctx_error(cx, value, sub, "invalid regular expression '%s': %s", value->value, why);
}
static const wf_schema_t filter_schema = {.what = "filter", .props = filter_props,
                                          .validate = validate_filter};
static const wf_prop_t where_props[] = {
    {.name = "id", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED | WF_PF_STATIC},
    {.name = "operand", .type = WF_PT_ENUM, .flags = WF_PF_STATIC, .values = A("AND", "OR")},
    {.name = "filters", .type = WF_PT_OBJECT_LIST, .flags = WF_PF_REQUIRED | WF_PF_NONEMPTY,
     .sub = &filter_schema},
    END,
};
static const wf_schema_t where_schema = {.what = "where clause", .props = where_props};
static const wf_prop_t upstream_props[] = {
    {.name = "namespace", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED | WF_PF_STATIC},
    {.name = "flowId", .type = WF_PT_STRING, .flags = WF_PF_REQUIRED | WF_PF_STATIC},
    {.name = "states", .type = WF_PT_ENUM_LIST, .flags = WF_PF_STATIC, .values = states},
    {.name = "labels", .type = WF_PT_LABELS, .flags = WF_PF_STATIC},
    END,
};
static const wf_schema_t upstream_schema = {.what = "upstream flow", .props = upstream_props};
static const wf_prop_t time_window_props[] = {
    {.name = "type", .type = WF_PT_ENUM, .flags = WF_PF_STATIC,
     .values = A("DURATION_WINDOW", "SLIDING_WINDOW", "DAILY_TIME_WINDOW", "DAILY_TIME_DEADLINE")},
    {.name = "window", .type = WF_PT_DURATION, .flags = WF_PF_STATIC},
    {.name = "windowAdvance", .type = WF_PT_DURATION, .flags = WF_PF_STATIC},
    {.name = "startTime", .type = WF_PT_STRING, .flags = WF_PF_STATIC},
    {.name = "endTime", .type = WF_PT_STRING, .flags = WF_PF_STATIC},
    {.name = "deadline", .type = WF_PT_STRING, .flags = WF_PF_STATIC},
    END,
};
static const wf_schema_t time_window_schema = {.what = "time window", .props = time_window_props};
static const wf_prop_t preconditions_props[] = {
    {.name = "id", .type = WF_PT_STRING, .flags = WF_PF_STATIC},
    {.name = "flows", .type = WF_PT_OBJECT_LIST, .flags = WF_PF_STATIC, .sub = &upstream_schema},
    {.name = "where", .type = WF_PT_OBJECT_LIST, .sub = &where_schema},
    {.name = "timeWindow", .type = WF_PT_OBJECT, .flags = WF_PF_STATIC, .sub = &time_window_schema},
    {.name = "resetOnSuccess", .type = WF_PT_BOOL, .flags = WF_PF_STATIC},
    END,
};
static const wf_schema_t preconditions_schema = {.what = "preconditions",
                                                 .props = preconditions_props};
static const wf_prop_t flow_trigger_props[] = {
    {.name = "inputs", .type = WF_PT_MAP},
    {.name = "states", .type = WF_PT_ENUM_LIST, .flags = WF_PF_STATIC, .values = states},
    {.name = "preconditions", .type = WF_PT_OBJECT, .sub = &preconditions_schema},
    {.name = "dependsOn", .type = WF_PT_OBJECT, .sub = &preconditions_schema},
    END,
};

#define TRIG "io.kestra.plugin.core.trigger."
#define OLDTRIG "io.kestra.core.models.triggers.types."

const wf_trigger_type_t wf_trigger_types[] = {
    {.name = TRIG "Schedule", .aliases = A(OLDTRIG "Schedule"),
     .kind = WF_TRIGGER_SCHEDULE, .props = schedule_props, .validate = validate_schedule,
     .summary = "start executions on a cron schedule"},
    {.name = TRIG "Webhook", .aliases = A(OLDTRIG "Webhook"),
     .kind = WF_TRIGGER_WEBHOOK, .props = webhook_props, .validate = validate_webhook,
     .summary = "start an execution on an HTTP call to the webhook URL"},
    {.name = TRIG "Flow", .aliases = A(OLDTRIG "Flow"),
     .kind = WF_TRIGGER_FLOW, .props = flow_trigger_props,
     .summary = "start an execution when other flows end"},
};
const size_t wf_n_trigger_types = sizeof(wf_trigger_types) / sizeof(wf_trigger_types[0]);

/* ---- lookups ------------------------------------------------------------ */

static bool name_matches(const char *name, const char *const *aliases, const char *want)
{
    if (strcmp(name, want) == 0)
        return true;
    for (size_t i = 0; aliases != NULL && aliases[i] != NULL; i++)
        if (strcmp(aliases[i], want) == 0)
            return true;
    return false;
}

const wf_task_type_t *wf_task_type_find(const char *name)
{
    for (size_t i = 0; i < wf_n_task_types; i++)
        if (name_matches(wf_task_types[i].name, wf_task_types[i].aliases, name))
            return &wf_task_types[i];
    return NULL;
}

const wf_trigger_type_t *wf_trigger_type_find(const char *name)
{
    for (size_t i = 0; i < wf_n_trigger_types; i++)
        if (name_matches(wf_trigger_types[i].name, wf_trigger_types[i].aliases, name))
            return &wf_trigger_types[i];
    return NULL;
}

const wf_condition_type_t *wf_condition_type_find(const char *name)
{
    for (size_t i = 0; i < wf_n_condition_types; i++)
        if (name_matches(wf_condition_types[i].name, wf_condition_types[i].aliases, name))
            return &wf_condition_types[i];
    return NULL;
}
