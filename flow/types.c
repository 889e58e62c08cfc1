/* The task, trigger and condition tables of the flow language (Kestra core
 * names). One row per type; the validators below hold the rules that cannot be
 * said with property rows. */
#include "flow/types.h"

#include <string.h>

#include "flow/schema.h"
#include "flow/time.h"

#define END {NULL}
#define A(...) ((const char *const[]){__VA_ARGS__, NULL})

static const char *const log_levels[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", NULL};
static const char *const states[] = {"CREATED", "QUEUED",   "RUNNING", "PAUSED",   "RESTARTED",
                                     "KILLING", "SUCCESS",  "WARNING", "FAILED",   "KILLED",
                                     "CANCELLED", "RETRYING", "RETRIED", "SKIPPED", "BREAKPOINT",
                                     NULL};

/* ---- properties shared by every task ---------------------------------- */

static const wf_prop_t worker_group_props[] = {
    {"key", WF_PT_STRING, WF_PF_ID},
    {"fallback", WF_PT_ENUM, 0, A("FAIL", "WAIT", "CANCEL")},
    END,
};
static const wf_schema_t worker_group_schema = {"worker group", worker_group_props, NULL};

const wf_prop_t wf_task_common_props[] = {
    /* row 0 is `id`: wf_check_task uses it directly for tasks of unknown type */
    {"id", WF_PT_STRING, WF_PF_REQUIRED | WF_PF_STATIC | WF_PF_ID},
    {"type", WF_PT_STRING, WF_PF_REQUIRED | WF_PF_STATIC},
    {"description", WF_PT_STRING, WF_PF_STATIC},
    {"timeout", WF_PT_DURATION, 0},
    {"retry", WF_PT_RETRY, 0},
    {"disabled", WF_PT_BOOL, WF_PF_STATIC},
    {"allowFailure", WF_PT_BOOL, WF_PF_STATIC},
    {"allowWarning", WF_PT_BOOL, WF_PF_STATIC},
    {"runIf", WF_PT_STRING, 0},
    {"when", WF_PT_STRING, 0},
    {"logLevel", WF_PT_ENUM, WF_PF_STATIC, log_levels},
    {"logToFile", WF_PT_BOOL, WF_PF_STATIC},
    {"workerGroup", WF_PT_OBJECT, WF_PF_STATIC, NULL, &worker_group_schema},
    END,
};

const wf_prop_t wf_flowable_common_props[] = {
    {"errors", WF_PT_TASKS, 0},
    {"finally", WF_PT_TASKS, 0},
    END,
};

/* ---- retry policies ---------------------------------------------------- */

static const char *const retry_kinds[] = {"constant", "exponential", "random", NULL};

static const wf_prop_t retry_props[] = {
    {"type", WF_PT_ENUM, WF_PF_REQUIRED | WF_PF_STATIC, retry_kinds},
    {"maxAttempt", WF_PT_INT, WF_PF_STATIC},
    {"maxAttempts", WF_PT_INT, WF_PF_STATIC},
    {"maxDuration", WF_PT_DURATION, WF_PF_STATIC},
    {"warningOnRetry", WF_PT_BOOL, WF_PF_STATIC},
    {"behavior", WF_PT_ENUM, WF_PF_STATIC, A("RETRY_FAILED_TASK", "CREATE_NEW_EXECUTION")},
    {"interval", WF_PT_DURATION, WF_PF_STATIC},
    {"maxInterval", WF_PT_DURATION, WF_PF_STATIC},
    {"minInterval", WF_PT_DURATION, WF_PF_STATIC},
    {"delayFactor", WF_PT_NUMBER, WF_PF_STATIC},
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

const wf_schema_t wf_retry_schema = {"retry policy", retry_props, validate_retry};

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
    {"id", WF_PT_STRING, WF_PF_STATIC},
    {"name", WF_PT_STRING, WF_PF_STATIC}, /* older spelling of `id` */
    {"type", WF_PT_ENUM, WF_PF_REQUIRED | WF_PF_STATIC, input_type_names},
    {"description", WF_PT_STRING, WF_PF_STATIC},
    {"displayName", WF_PT_STRING, WF_PF_STATIC},
    {"required", WF_PT_BOOL, WF_PF_STATIC},
    {"defaults", WF_PT_ANY, 0},
    {"prefill", WF_PT_ANY, 0},
    {"validator", WF_PT_STRING, WF_PF_STATIC},
    {"min", WF_PT_ANY, WF_PF_STATIC},
    {"max", WF_PT_ANY, WF_PF_STATIC},
    {"values", WF_PT_STRING_LIST, WF_PF_ONE_OR_LIST},
    {"options", WF_PT_STRING_LIST, 0},
    {"allowCustomValue", WF_PT_BOOL, WF_PF_STATIC},
    {"expression", WF_PT_STRING, 0},
    {"after", WF_PT_STRING, WF_PF_STATIC},
    {"before", WF_PT_STRING, WF_PF_STATIC},
    {"itemType", WF_PT_ENUM, WF_PF_STATIC, input_type_names},
    {"extension", WF_PT_STRING, WF_PF_STATIC},
    {"dependsOn", WF_PT_MAP, WF_PF_STATIC},
    {"autoSelectFirst", WF_PT_BOOL, WF_PF_STATIC},
    {"isRadio", WF_PT_BOOL, WF_PF_STATIC},
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
    if (t == WF_INPUT_FILE && !wf_is_absent(defaults)) {
        wf_path_key(sub, path, "defaults");
        wf_vctx_error(cx, defaults, sub, "a FILE input cannot have defaults");
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

const wf_schema_t wf_input_schema = {"input", input_props, validate_input};

/* ---- task-specific properties ----------------------------------------- */

static const wf_prop_t log_props[] = {
    {"message", WF_PT_ANY, WF_PF_REQUIRED},
    {"level", WF_PT_ENUM, 0, log_levels},
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
static const wf_prop_t return_props[] = {{"format", WF_PT_STRING, 0}, END};
static const wf_prop_t echo_props[] = {
    {"format", WF_PT_STRING, WF_PF_REQUIRED},
    {"level", WF_PT_ENUM, 0, log_levels},
    END,
};
static const wf_prop_t output_values_props[] = {{"values", WF_PT_MAP, 0}, END};
static const wf_prop_t fail_props[] = {
    {"condition", WF_PT_STRING, 0},
    {"errorMessage", WF_PT_STRING, 0},
    END,
};
static const wf_prop_t labels_props[] = {{"labels", WF_PT_LABELS, WF_PF_REQUIRED}, END};
static const wf_prop_t sleep_props[] = {{"duration", WF_PT_DURATION, WF_PF_REQUIRED}, END};
static const wf_prop_t pause_props[] = {
    {"delay", WF_PT_DURATION, 0},
    {"pauseDuration", WF_PT_DURATION, 0},
    {"behavior", WF_PT_ENUM, WF_PF_STATIC, A("RESUME", "WARN", "FAIL", "CANCEL")},
    {"onResume", WF_PT_INPUTS, WF_PF_STATIC},
    {"tasks", WF_PT_TASKS, 0},
    END,
};
static const char *const restart_behaviors[] = {"NEW_EXECUTION", "RETRY_FAILED", NULL};
static const wf_prop_t subflow_props[] = {
    {"namespace", WF_PT_STRING, WF_PF_REQUIRED},
    {"flowId", WF_PT_STRING, WF_PF_REQUIRED},
    {"revision", WF_PT_INT, 0},
    {"inputs", WF_PT_MAP, 0},
    {"labels", WF_PT_LABELS, 0},
    {"wait", WF_PT_BOOL, 0},
    {"transmitFailed", WF_PT_BOOL, 0},
    {"inheritLabels", WF_PT_BOOL, 0},
    {"outputs", WF_PT_MAP, WF_PF_FOREIGN},
    {"scheduleDate", WF_PT_STRING, 0},
    {"restartBehavior", WF_PT_ENUM, WF_PF_STATIC, restart_behaviors},
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
    {"tasks", WF_PT_TASKS, WF_PF_REQUIRED | WF_PF_NONEMPTY},
    END,
};
static const wf_prop_t parallel_props[] = {
    {"tasks", WF_PT_TASKS, WF_PF_REQUIRED | WF_PF_NONEMPTY},
    {"concurrent", WF_PT_INT, WF_PF_STATIC},
    END,
};
static const wf_prop_t foreach_props[] = {
    {"values", WF_PT_LIST, WF_PF_REQUIRED | WF_PF_ONE_OR_LIST},
    {"concurrencyLimit", WF_PT_INT, WF_PF_STATIC},
    {"tasks", WF_PT_TASKS, WF_PF_REQUIRED | WF_PF_NONEMPTY},
    END,
};
static const wf_prop_t each_seq_props[] = {
    {"value", WF_PT_LIST, WF_PF_REQUIRED | WF_PF_ONE_OR_LIST},
    {"tasks", WF_PT_TASKS, WF_PF_REQUIRED | WF_PF_NONEMPTY},
    END,
};
static const wf_prop_t each_par_props[] = {
    {"value", WF_PT_LIST, WF_PF_REQUIRED | WF_PF_ONE_OR_LIST},
    {"concurrent", WF_PT_INT, WF_PF_STATIC},
    {"tasks", WF_PT_TASKS, WF_PF_REQUIRED | WF_PF_NONEMPTY},
    END,
};
static const wf_prop_t if_props[] = {
    {"condition", WF_PT_STRING, WF_PF_REQUIRED},
    {"then", WF_PT_TASKS, WF_PF_REQUIRED | WF_PF_NONEMPTY},
    {"else", WF_PT_TASKS, 0},
    END,
};
static const wf_prop_t switch_props[] = {
    {"value", WF_PT_STRING, WF_PF_REQUIRED},
    {"cases", WF_PT_CASES, 0},
    {"defaults", WF_PT_TASKS, 0},
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
    {"tasks", WF_PT_DAG_TASKS, WF_PF_REQUIRED | WF_PF_NONEMPTY},
    {"concurrent", WF_PT_INT, WF_PF_STATIC},
    END,
};
static const wf_prop_t check_frequency_props[] = {
    {"maxIterations", WF_PT_INT, WF_PF_STATIC},
    {"maxDuration", WF_PT_DURATION, WF_PF_STATIC},
    {"interval", WF_PT_DURATION, WF_PF_STATIC},
    END,
};
static const wf_schema_t check_frequency_schema = {"check frequency", check_frequency_props, NULL};
static const wf_prop_t wait_for_props[] = {
    {"condition", WF_PT_STRING, WF_PF_REQUIRED},
    {"tasks", WF_PT_TASKS, WF_PF_REQUIRED | WF_PF_NONEMPTY},
    {"checkFrequency", WF_PT_OBJECT, WF_PF_STATIC, NULL, &check_frequency_schema},
    {"failOnMaxReached", WF_PT_BOOL, WF_PF_STATIC},
    END,
};
static const wf_prop_t working_dir_props[] = {
    {"tasks", WF_PT_TASKS, WF_PF_REQUIRED | WF_PF_NONEMPTY},
    {"inputFiles", WF_PT_ANY, 0},
    {"outputFiles", WF_PT_STRING_LIST, 0},
    {"namespaceFiles", WF_PT_MAP, 0},
    {"cache", WF_PT_MAP, 0},
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
    {"uri", WF_PT_STRING, WF_PF_REQUIRED},
    {"method", WF_PT_ENUM, 0, http_methods},
    {"body", WF_PT_ANY, 0},
    {"formData", WF_PT_MAP, 0},
    {"contentType", WF_PT_STRING, 0},
    {"headers", WF_PT_MAP, 0},
    {"options", WF_PT_MAP, 0},
    {"sslOptions", WF_PT_MAP, 0},
    {"allowFailed", WF_PT_BOOL, 0},
    {"encryptBody", WF_PT_BOOL, 0},
    END,
};
/* Properties of the script tasks (shell and Python). */
#define SCRIPT_COMMON                                                                              \
    {"env", WF_PT_MAP, 0}, {"inputFiles", WF_PT_ANY, 0}, {"outputFiles", WF_PT_STRING_LIST, 0},    \
        {"namespaceFiles", WF_PT_MAP, 0}, {"beforeCommands", WF_PT_STRING_LIST, 0},                \
        {"interpreter", WF_PT_STRING_LIST, 0}, {"containerImage", WF_PT_STRING, 0},                \
        {"taskRunner", WF_PT_MAP, 0}, {"docker", WF_PT_MAP, 0},                                    \
        {"warningOnStdErr", WF_PT_BOOL, 0}, {"failFast", WF_PT_BOOL, 0},                           \
        {"targetOS", WF_PT_ENUM, 0, A("LINUX", "WINDOWS", "AUTO")}, {"outputDirectory", WF_PT_BOOL, 0}
static const wf_prop_t shell_commands_props[] = {
    {"commands", WF_PT_STRING_LIST, WF_PF_REQUIRED | WF_PF_NONEMPTY | WF_PF_ONE_OR_LIST},
    SCRIPT_COMMON,
    END,
};
static const wf_prop_t shell_script_props[] = {
    {"script", WF_PT_STRING, WF_PF_REQUIRED},
    SCRIPT_COMMON,
    END,
};
static const wf_prop_t python_script_props[] = {
    {"script", WF_PT_STRING, WF_PF_REQUIRED},
    {"dependencies", WF_PT_STRING_LIST, 0},
    SCRIPT_COMMON,
    END,
};
static const wf_prop_t python_commands_props[] = {
    {"commands", WF_PT_STRING_LIST, WF_PF_REQUIRED | WF_PF_NONEMPTY | WF_PF_ONE_OR_LIST},
    {"dependencies", WF_PT_STRING_LIST, 0},
    SCRIPT_COMMON,
    END,
};
static const wf_prop_t pg_query_props[] = {
    {"url", WF_PT_STRING, WF_PF_REQUIRED},
    {"username", WF_PT_STRING, 0},
    {"password", WF_PT_STRING, 0},
    {"sql", WF_PT_STRING, WF_PF_REQUIRED},
    {"fetchType", WF_PT_ENUM, 0, A("FETCH_ONE", "FETCH", "STORE", "NONE")},
    {"fetch", WF_PT_BOOL, 0},
    {"fetchOne", WF_PT_BOOL, 0},
    {"store", WF_PT_BOOL, 0},
    {"fetchSize", WF_PT_INT, 0},
    {"parameters", WF_PT_MAP, 0},
    {"timeZoneId", WF_PT_STRING, 0},
    {"ssl", WF_PT_BOOL, 0},
    {"sslMode", WF_PT_ENUM, 0, A("DISABLE", "ALLOW", "PREFER", "REQUIRE", "VERIFY_CA", "VERIFY_FULL")},
    {"sslRootCert", WF_PT_STRING, 0},
    {"sslCert", WF_PT_STRING, 0},
    {"sslKey", WF_PT_STRING, 0},
    {"sslKeyPassword", WF_PT_STRING, 0},
    END,
};

#define CORE "io.kestra.plugin.core."
#define OLD "io.kestra.core.tasks."

const wf_task_type_t wf_task_types[] = {
    {CORE "log.Log", A(OLD "log.Log", OLD "debugs.Log"), WF_TASK_LOG, 0, log_props, validate_log,
     "write a message to the execution's logs"},
    {CORE "debug.Return", A(OLD "debugs.Return"), WF_TASK_RETURN, 0, return_props, NULL,
     "return a rendered value as output"},
    {CORE "debug.Echo", A(OLD "debugs.Echo"), WF_TASK_ECHO, 0, echo_props, NULL,
     "log a rendered message (deprecated in favour of Log)"},
    {CORE "output.OutputValues", A(OLD "outputs.OutputValues", OLD "storages.OutputValues"),
     WF_TASK_OUTPUT_VALUES, 0, output_values_props, NULL, "expose values as outputs"},
    {CORE "execution.Fail", A(OLD "executions.Fail"), WF_TASK_FAIL, 0, fail_props, NULL,
     "fail the execution, optionally on a condition"},
    {CORE "execution.Labels", A(OLD "executions.Labels"), WF_TASK_LABELS, 0, labels_props, NULL,
     "add labels to the running execution"},
    {CORE "flow.Sleep", A(OLD "flows.Sleep"), WF_TASK_SLEEP, 0, sleep_props, NULL,
     "wait for a duration"},
    {CORE "flow.Pause", A(OLD "flows.Pause"), WF_TASK_PAUSE, WF_TT_FLOWABLE, pause_props, NULL,
     "pause until resumed or a delay passes"},
    {CORE "flow.Subflow", A(OLD "flows.Subflow", OLD "flows.Flow", CORE "flow.Flow"),
     WF_TASK_SUBFLOW, 0, subflow_props, validate_subflow, "start another flow"},
    {CORE "flow.Parallel", A(OLD "flows.Parallel"), WF_TASK_PARALLEL, WF_TT_FLOWABLE,
     parallel_props, NULL, "run child tasks at the same time"},
    {CORE "flow.Sequential", A(OLD "flows.Sequential"), WF_TASK_SEQUENTIAL, WF_TT_FLOWABLE,
     children_props, NULL, "run child tasks one after the other"},
    {CORE "flow.ForEach", A(OLD "flows.ForEach"), WF_TASK_FOREACH, WF_TT_FLOWABLE, foreach_props,
     NULL, "run child tasks for each value"},
    {CORE "flow.EachSequential", A(OLD "flows.EachSequential"), WF_TASK_EACH_SEQUENTIAL,
     WF_TT_FLOWABLE, each_seq_props, NULL, "run child tasks for each value, in order"},
    {CORE "flow.EachParallel", A(OLD "flows.EachParallel"), WF_TASK_EACH_PARALLEL, WF_TT_FLOWABLE,
     each_par_props, NULL, "run child tasks for each value, at the same time"},
    {CORE "flow.If", A(OLD "flows.If"), WF_TASK_IF, WF_TT_FLOWABLE, if_props, NULL,
     "run `then` or `else` on a condition"},
    {CORE "flow.Switch", A(OLD "flows.Switch"), WF_TASK_SWITCH, WF_TT_FLOWABLE, switch_props,
     validate_switch, "run the tasks of the case matching a value"},
    {CORE "flow.AllowFailure", A(OLD "flows.AllowFailure"), WF_TASK_ALLOW_FAILURE, WF_TT_FLOWABLE,
     children_props, NULL, "run child tasks; their failure only warns"},
    {CORE "flow.Dag", A(OLD "flows.Dag"), WF_TASK_DAG, WF_TT_FLOWABLE, dag_props, wf_validate_dag,
     "run child tasks by their dependencies"},
    {CORE "flow.WaitFor", A(OLD "flows.WaitFor"), WF_TASK_WAIT_FOR, WF_TT_FLOWABLE,
     wait_for_props, NULL, "repeat child tasks until a condition holds"},
    {CORE "flow.WorkingDirectory", A(OLD "flows.WorkingDirectory"), WF_TASK_WORKING_DIRECTORY,
     WF_TT_FLOWABLE, working_dir_props, validate_working_dir,
     "run child tasks in one shared folder"},
    {CORE "http.Request", A("io.kestra.plugin.fs.http.Request"), WF_TASK_HTTP_REQUEST, 0,
     http_props, NULL, "make an HTTP request"},
    {"io.kestra.plugin.scripts.shell.Commands", A(OLD "scripts.Bash"), WF_TASK_SHELL_COMMANDS, 0,
     shell_commands_props, NULL, "run shell commands"},
    {"io.kestra.plugin.scripts.shell.Script", NULL, WF_TASK_SHELL_SCRIPT, 0, shell_script_props,
     NULL, "run a shell script"},
    {"io.kestra.plugin.scripts.python.Script", NULL, WF_TASK_PYTHON_SCRIPT, 0,
     python_script_props, NULL, "run a Python script"},
    {"io.kestra.plugin.scripts.python.Commands", NULL, WF_TASK_PYTHON_COMMANDS, 0,
     python_commands_props, NULL, "run Python commands"},
    {"io.kestra.plugin.jdbc.postgresql.Query", NULL, WF_TASK_PG_QUERY, 0, pg_query_props, NULL,
     "run a PostgreSQL query"},
};
const size_t wf_n_task_types = sizeof(wf_task_types) / sizeof(wf_task_types[0]);

/* ---- conditions -------------------------------------------------------- */

#define COND "io.kestra.plugin.core.condition."
#define OLDCOND "io.kestra.core.models.conditions.types."

static const wf_prop_t cond_status_props[] = {
    {"in", WF_PT_ENUM_LIST, WF_PF_STATIC, states},
    {"notIn", WF_PT_ENUM_LIST, WF_PF_STATIC, states},
    END,
};
static const wf_prop_t cond_flow_props[] = {
    {"namespace", WF_PT_STRING, WF_PF_REQUIRED | WF_PF_STATIC},
    {"flowId", WF_PT_STRING, WF_PF_REQUIRED | WF_PF_STATIC},
    END,
};
static const wf_prop_t cond_namespace_props[] = {
    {"namespace", WF_PT_STRING, WF_PF_REQUIRED | WF_PF_STATIC},
    {"prefix", WF_PT_BOOL, WF_PF_STATIC},
    {"comparison", WF_PT_ENUM, WF_PF_STATIC, A("EQUALS", "PREFIX", "SUFFIX")},
    END,
};
static const wf_prop_t cond_multiple_props[] = {
    {"window", WF_PT_DURATION, WF_PF_STATIC},
    {"windowAdvance", WF_PT_DURATION, WF_PF_STATIC},
    {"conditions", WF_PT_CONDITION_MAP, WF_PF_REQUIRED | WF_PF_NONEMPTY},
    {"resetOnSuccess", WF_PT_BOOL, WF_PF_STATIC},
    END,
};
static const wf_prop_t cond_expression_props[] = {
    {"expression", WF_PT_STRING, WF_PF_REQUIRED},
    END,
};

const wf_condition_type_t wf_condition_types[] = {
    {COND "ExecutionStatus", A(OLDCOND "ExecutionStatusCondition", COND "ExecutionStatusCondition"),
     cond_status_props, NULL},
    {COND "ExecutionFlow", A(OLDCOND "ExecutionFlowCondition", COND "ExecutionFlowCondition"),
     cond_flow_props, NULL},
    {COND "ExecutionNamespace",
     A(OLDCOND "ExecutionNamespaceCondition", COND "ExecutionNamespaceCondition"),
     cond_namespace_props, NULL},
    {COND "MultipleCondition", A(OLDCOND "MultipleCondition"), cond_multiple_props, NULL},
    {COND "Expression", A(COND "ExpressionCondition", OLDCOND "VariableCondition"),
     cond_expression_props, NULL},
};
const size_t wf_n_condition_types = sizeof(wf_condition_types) / sizeof(wf_condition_types[0]);

/* ---- triggers ---------------------------------------------------------- */

const wf_prop_t wf_trigger_common_props[] = {
    {"id", WF_PT_STRING, WF_PF_REQUIRED | WF_PF_STATIC | WF_PF_ID},
    {"type", WF_PT_STRING, WF_PF_REQUIRED | WF_PF_STATIC},
    {"description", WF_PT_STRING, WF_PF_STATIC},
    {"disabled", WF_PT_BOOL, WF_PF_STATIC},
    {"conditions", WF_PT_CONDITIONS, 0},
    {"stopAfter", WF_PT_ENUM_LIST, WF_PF_STATIC, states},
    {"logLevel", WF_PT_ENUM, WF_PF_STATIC, log_levels},
    {"minLogLevel", WF_PT_ENUM, WF_PF_STATIC, log_levels},
    {"logToFile", WF_PT_BOOL, WF_PF_STATIC},
    {"workerGroup", WF_PT_OBJECT, WF_PF_STATIC, NULL, &worker_group_schema},
    {"failOnTriggerError", WF_PT_BOOL, WF_PF_STATIC},
    END,
};

static const wf_prop_t schedule_props[] = {
    {"cron", WF_PT_CRON, WF_PF_REQUIRED | WF_PF_STATIC},
    {"withSeconds", WF_PT_BOOL, WF_PF_STATIC},
    {"timezone", WF_PT_STRING, WF_PF_STATIC},
    {"inputs", WF_PT_MAP, 0},
    {"labels", WF_PT_LABELS, 0},
    {"backfill", WF_PT_MAP, WF_PF_STATIC},
    {"lateMaximumDelay", WF_PT_DURATION, WF_PF_STATIC},
    {"recoverMissedSchedules", WF_PT_ENUM, WF_PF_STATIC, A("LAST", "NONE", "ALL")},
    {"scheduleConditions", WF_PT_CONDITIONS, 0},
    {"interval", WF_PT_DURATION, WF_PF_STATIC},
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
    {"key", WF_PT_STRING, WF_PF_REQUIRED | WF_PF_STATIC | WF_PF_NONEMPTY},
    {"inputs", WF_PT_MAP, 0},
    {"wait", WF_PT_BOOL, WF_PF_STATIC},
    {"returnOutputs", WF_PT_BOOL, WF_PF_STATIC},
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
    {"field", WF_PT_ENUM, WF_PF_REQUIRED | WF_PF_STATIC, filter_fields},
    {"type", WF_PT_ENUM, WF_PF_REQUIRED | WF_PF_STATIC, filter_types},
    {"value", WF_PT_STRING, 0},
    {"values", WF_PT_STRING_LIST, 0},
    END,
};
static const wf_schema_t filter_schema = {"filter", filter_props, NULL};
static const wf_prop_t where_props[] = {
    {"id", WF_PT_STRING, WF_PF_REQUIRED | WF_PF_STATIC},
    {"operand", WF_PT_ENUM, WF_PF_STATIC, A("AND", "OR")},
    {"filters", WF_PT_OBJECT_LIST, WF_PF_REQUIRED | WF_PF_NONEMPTY, NULL, &filter_schema},
    END,
};
static const wf_schema_t where_schema = {"where clause", where_props, NULL};
static const wf_prop_t upstream_props[] = {
    {"namespace", WF_PT_STRING, WF_PF_REQUIRED | WF_PF_STATIC},
    {"flowId", WF_PT_STRING, WF_PF_REQUIRED | WF_PF_STATIC},
    {"states", WF_PT_ENUM_LIST, WF_PF_STATIC, states},
    {"labels", WF_PT_LABELS, WF_PF_STATIC},
    END,
};
static const wf_schema_t upstream_schema = {"upstream flow", upstream_props, NULL};
static const wf_prop_t time_window_props[] = {
    {"type", WF_PT_ENUM, WF_PF_STATIC,
     A("DURATION_WINDOW", "SLIDING_WINDOW", "DAILY_TIME_WINDOW", "DAILY_TIME_DEADLINE")},
    {"window", WF_PT_DURATION, WF_PF_STATIC},
    {"windowAdvance", WF_PT_DURATION, WF_PF_STATIC},
    {"startTime", WF_PT_STRING, WF_PF_STATIC},
    {"endTime", WF_PT_STRING, WF_PF_STATIC},
    {"deadline", WF_PT_STRING, WF_PF_STATIC},
    END,
};
static const wf_schema_t time_window_schema = {"time window", time_window_props, NULL};
static const wf_prop_t preconditions_props[] = {
    {"id", WF_PT_STRING, WF_PF_STATIC},
    {"flows", WF_PT_OBJECT_LIST, WF_PF_STATIC, NULL, &upstream_schema},
    {"where", WF_PT_OBJECT_LIST, 0, NULL, &where_schema},
    {"timeWindow", WF_PT_OBJECT, WF_PF_STATIC, NULL, &time_window_schema},
    {"resetOnSuccess", WF_PT_BOOL, WF_PF_STATIC},
    END,
};
static const wf_schema_t preconditions_schema = {"preconditions", preconditions_props, NULL};
static const wf_prop_t flow_trigger_props[] = {
    {"inputs", WF_PT_MAP, 0},
    {"states", WF_PT_ENUM_LIST, WF_PF_STATIC, states},
    {"preconditions", WF_PT_OBJECT, 0, NULL, &preconditions_schema},
    {"dependsOn", WF_PT_OBJECT, 0, NULL, &preconditions_schema},
    END,
};

#define TRIG "io.kestra.plugin.core.trigger."
#define OLDTRIG "io.kestra.core.models.triggers.types."

const wf_trigger_type_t wf_trigger_types[] = {
    {TRIG "Schedule", A(OLDTRIG "Schedule"), WF_TRIGGER_SCHEDULE, schedule_props,
     validate_schedule, "start executions on a cron schedule"},
    {TRIG "Webhook", A(OLDTRIG "Webhook"), WF_TRIGGER_WEBHOOK, webhook_props, validate_webhook,
     "start an execution on an HTTP call to the webhook URL"},
    {TRIG "Flow", A(OLDTRIG "Flow"), WF_TRIGGER_FLOW, flow_trigger_props, NULL,
     "start an execution when other flows end"},
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
