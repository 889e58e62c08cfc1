/* The flow model API: fields, the task tree, lookups, JSON round trip, and
 * the shape of diagnostics. The corpus under tests/flows covers validation. */
#include <stdlib.h>

#include "flow/flow.h"
#include "flow/types.h"
#include "tests/tap.h"

static const char *const flow_text =
    "id: orders-daily\n"
    "namespace: sales.eu\n"
    "description: Daily orders\n"
    "labels:\n"
    "  owner: sales\n"
    "inputs:\n"
    "  - id: day\n"
    "    type: DATE\n"
    "    required: false\n"
    "  - id: tags\n"
    "    type: ARRAY\n"
    "    itemType: STRING\n"
    "variables:\n"
    "  region: eu\n"
    "concurrency:\n"
    "  limit: 2\n"
    "  behavior: CANCEL\n"
    "tasks:\n"
    "  - id: hello\n"
    "    type: io.kestra.plugin.core.log.Log\n"
    "    message: \"Hi {{ inputs.day }}\"\n"
    "    timeout: PT1M30S\n"
    "    retry:\n"
    "      type: exponential\n"
    "      interval: PT1S\n"
    "      maxInterval: PT1M\n"
    "      maxAttempt: 4\n"
    "  - id: check\n"
    "    type: io.kestra.core.tasks.flows.If\n"
    "    condition: \"{{ inputs.day != null }}\"\n"
    "    then:\n"
    "      - id: ret\n"
    "        type: io.kestra.plugin.core.debug.Return\n"
    "        format: ok\n"
    "    else:\n"
    "      - id: sw\n"
    "        type: io.kestra.plugin.core.flow.Switch\n"
    "        value: \"{{ vars.region }}\"\n"
    "        cases:\n"
    "          eu:\n"
    "            - id: in-eu\n"
    "              type: io.kestra.plugin.core.log.Log\n"
    "              message: eu\n"
    "        defaults:\n"
    "          - id: elsewhere\n"
    "            type: io.kestra.plugin.core.log.Log\n"
    "            message: other\n"
    "  - id: graph\n"
    "    type: io.kestra.plugin.core.flow.Dag\n"
    "    tasks:\n"
    "      - task:\n"
    "          id: a\n"
    "          type: io.kestra.plugin.core.log.Log\n"
    "          message: a\n"
    "      - task:\n"
    "          id: b\n"
    "          type: io.kestra.plugin.core.log.Log\n"
    "          message: b\n"
    "        dependsOn: [a]\n"
    "errors:\n"
    "  - id: alert\n"
    "    type: io.kestra.plugin.core.log.Log\n"
    "    message: \"failed\"\n"
    "    allowFailure: true\n"
    "triggers:\n"
    "  - id: nightly\n"
    "    type: io.kestra.plugin.core.trigger.Schedule\n"
    "    cron: \"0 2 * * *\"\n";

static int count_cb(const wf_task_t *t, void *arg)
{
    (void)t;
    (*(int *)arg)++;
    return 0;
}

int main(void)
{
    wf_diags_t d;
    wf_flow_t *f = wf_flow_parse(flow_text, strlen(flow_text), "orders.yaml", &d);
    ok(f != NULL, "a valid flow parses");
    is_int(d.count, 0, "without diagnostics");
    if (f == NULL) {
        wf_diags_print(&d, stdout);
        return tap_done();
    }
    is_str(f->id, "orders-daily", "flow id");
    is_str(f->namespace_, "sales.eu", "namespace");
    is_str(f->description, "Daily orders", "description");
    ok(f->n_labels == 1 && strcmp(f->labels[0].key, "owner") == 0 &&
           strcmp(f->labels[0].value, "sales") == 0,
       "labels as key/value");
    is_int(f->n_inputs, 2, "two inputs");
    is_int(f->inputs[0].type, WF_INPUT_DATE, "typed input");
    ok(!f->inputs[0].required, "required: false is kept");
    ok(f->inputs[1].required, "required defaults to true");
    is_int(f->inputs[1].item_type, WF_INPUT_STRING, "ARRAY item type");
    is_int(f->inputs[1].pos.line, 10, "input position");
    ok(json_is_object(f->variables) &&
           strcmp(json_string_value(json_object_get(f->variables, "region")), "eu") == 0,
       "variables as JSON");
    is_int(f->concurrency.limit, 2, "concurrency limit");
    is_int(f->concurrency.behavior, WF_CONC_CANCEL, "concurrency behavior");
    is_int(f->tasks.count, 3, "three top-level tasks");

    const wf_task_t *hello = f->tasks.items[0];
    is_int(hello->type->kind, WF_TASK_LOG, "task kind from the table");
    is_int(hello->timeout_ms, 90000, "timeout in milliseconds");
    is_int(hello->retry.kind, WF_RETRY_EXPONENTIAL, "retry kind");
    is_int(hello->retry.max_attempts, 4, "retry maxAttempt");
    is_int(hello->retry.interval_ms, 1000, "retry interval");
    is_int(hello->retry.max_interval_ms, 60000, "retry maxInterval");
    is_str(json_string_value(json_object_get(hello->props, "message")), "Hi {{ inputs.day }}",
           "type-specific property kept for the runner");
    ok(json_object_get(hello->props, "timeout") == NULL, "common fields are not repeated in props");
    ok(hello->pos.line == 19 && hello->pos.col == 5, "task position 19:5");

    const wf_task_t *check = f->tasks.items[1];
    is_int(check->type->kind, WF_TASK_IF, "older io.kestra.core.tasks name is an alias");
    is_str(check->type_name, "io.kestra.core.tasks.flows.If", "name as written is kept");
    is_int(check->then_.count, 1, "then branch");
    is_int(check->else_.count, 1, "else branch");
    const wf_task_t *sw = check->else_.items[0];
    ok(sw->parent == check, "parent link");
    is_int(sw->n_cases, 1, "switch cases");
    is_str(sw->cases[0].key, "eu", "case key");
    is_int(sw->defaults.count, 1, "switch defaults");
    ok(json_object_get(sw->props, "cases") == NULL, "child lists are not in props");

    const wf_task_t *graph = f->tasks.items[2];
    is_int(graph->tasks.count, 2, "dag children");
    is_int(graph->tasks.items[1]->n_depends_on, 1, "dependsOn");
    is_str(graph->tasks.items[1]->depends_on[0], "a", "dependsOn id");
    ok(f->errors.count == 1 && f->errors.items[0]->allow_failure, "flow errors branch");
    ok(f->n_triggers == 1 && f->triggers[0].kind == WF_TRIGGER_SCHEDULE &&
           strcmp(f->triggers[0].cron, "0 2 * * *") == 0,
       "schedule trigger");

    ok(wf_flow_find_task(f, "elsewhere") == sw->defaults.items[0], "lookup finds nested tasks");
    ok(wf_flow_find_task(f, "b") == graph->tasks.items[1], "lookup finds dag tasks");
    ok(wf_flow_find_task(f, "alert") == f->errors.items[0], "lookup finds error tasks");
    ok(wf_flow_find_task(f, "nope") == NULL, "lookup of an unknown id");
    int n = 0;
    wf_flow_each_task(f, count_cb, &n);
    is_int(n, 10, "walk visits every task");

    json_t *j = wf_flow_to_json(f);
    char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    ok(strstr(s, "\"type\":\"io.kestra.plugin.core.flow.If\"") != NULL,
       "JSON uses the current type name");
    ok(strstr(s, "\"timeout\":\"PT90S\"") != NULL, "JSON duration in ISO-8601");
    ok(strstr(s, "\"dependsOn\":[\"a\"]") != NULL, "JSON dag dependencies");
    ok(strstr(s, "\"cases\":{\"eu\":[") != NULL, "JSON switch cases");
    free(s);
    /* The JSON, dumped as YAML-compatible text, parses back to the same model. */
    s = json_dumps(j, JSON_INDENT(2));
    wf_diags_t d2;
    wf_flow_t *f2 = wf_flow_parse(s, strlen(s), "roundtrip.json", &d2);
    ok(f2 != NULL, "serialised JSON parses back as a flow");
    if (f2 == NULL)
        wf_diags_print(&d2, stdout);
    json_t *j2 = f2 ? wf_flow_to_json(f2) : NULL;
    ok(j2 != NULL && json_equal(j, j2), "round trip is stable");
    json_decref(j2);
    wf_flow_free(f2);
    wf_diags_dispose(&d2);
    free(s);
    json_decref(j);
    wf_flow_free(f);
    wf_diags_dispose(&d);

    /* Errors: all of them, sorted, with paths and notes. */
    const char *bad = "id: x\n"
                      "namespace: Bad\n"
                      "tasks:\n"
                      "  - id: t\n"
                      "    type: io.kestra.plugin.core.log.Logg\n"
                      "  - id: t\n"
                      "    type: io.kestra.plugin.core.log.Log\n"
                      "    mesage: hi\n";
    f = wf_flow_parse(bad, strlen(bad), "bad.yaml", &d);
    ok(f == NULL, "an invalid flow gives no model");
    is_int(d.count, 5, "every error is reported");
    if (d.count == 5) {
        ok(d.items[0].line == 2 && d.items[0].col == 12, "sorted: namespace first");
        is_str(d.items[1].path, "tasks[0].type", "unknown type path");
        is_str(d.items[1].note, "did you mean 'io.kestra.plugin.core.log.Log'?", "type suggestion");
        is_str(d.items[2].message, "missing required property 'message'", "missing property");
        ok(d.items[2].line == 6 && d.items[2].col == 5, "missing property at the task");
        is_str(d.items[3].path, "tasks[1].id", "duplicate id path");
        is_str(d.items[4].path, "tasks[1].mesage", "unknown property path");
        is_str(d.items[4].note, "did you mean 'message'?", "property suggestion");
    } else {
        wf_diags_print(&d, stdout);
    }
    json_t *errs = wf_diags_to_json(&d);
    ok(json_array_size(errs) == d.count &&
           strcmp(json_string_value(json_object_get(json_array_get(errs, 0), "file")),
                  "bad.yaml") == 0,
       "JSON form of the diagnostics");
    json_decref(errs);
    wf_diags_dispose(&d);

    f = wf_flow_parse_file("/nonexistent/flow.yaml", &d);
    ok(f == NULL && d.count == 1 && strstr(d.items[0].message, "cannot open") != NULL,
       "a missing file is a diagnostic");
    wf_diags_dispose(&d);

    f = wf_flow_parse("a: [", 4, "syntax.yaml", &d);
    ok(f == NULL && d.count == 1 && strstr(d.items[0].message, "YAML syntax") != NULL,
       "YAML syntax error");
    wf_diags_dispose(&d);

    /* Hostile documents: refused with a diagnostic, without exhausting memory
     * or stack. */
    const char *bomb = "id: bomb\nnamespace: acme\n"
                       "variables:\n"
                       "  a: &a [x,x,x,x,x,x,x,x,x,x]\n"
                       "  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
                       "  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
                       "  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
                       "  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
                       "  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
                       "tasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: x\n";
    f = wf_flow_parse(bomb, strlen(bomb), "bomb.yaml", &d);
    ok(f == NULL && d.count == 1 && strstr(d.items[0].message, "too large") != NULL,
       "alias bomb in variables is refused");
    wf_diags_dispose(&d);

    /* 40 nested Sequential tasks: past the nesting bound of 32. */
    size_t cap = 256 * 1024, len = 0; /* indentation grows with depth */
    char *deep = malloc(cap);
    len += (size_t)snprintf(deep + len, cap - len, "id: deep\nnamespace: acme\ntasks:\n");
    for (int i = 0; i < 40; i++)
        len += (size_t)snprintf(deep + len, cap - len,
                                "%*s- id: s%d\n%*s  type: io.kestra.plugin.core.flow.Sequential\n"
                                "%*s  tasks:\n",
                                2 + 4 * i, "", i, 2 + 4 * i, "", 2 + 4 * i, "");
    len += (size_t)snprintf(deep + len, cap - len,
                            "%*s- id: leaf\n%*s  type: io.kestra.plugin.core.log.Log\n"
                            "%*s  message: x\n",
                            2 + 4 * 40, "", 2 + 4 * 40, "", 2 + 4 * 40, "");
    f = wf_flow_parse(deep, len, "deep.yaml", &d);
    bool nested_error = false;
    for (size_t k = 0; k < d.count; k++)
        nested_error |= strstr(d.items[k].message, "nested more than") != NULL;
    ok(f == NULL && nested_error, "tasks nested past the bound are refused");
    if (!nested_error)
        wf_diags_print(&d, stdout);
    wf_diags_dispose(&d);
    free(deep);

    static const char nul_text[] = "id: a\0b\nnamespace: acme\ntasks: []\n";
    f = wf_flow_parse(nul_text, sizeof(nul_text) - 1, "nul.yaml", &d);
    ok(f == NULL && d.count >= 1, "a NUL byte in the document is an error, not a truncation");
    wf_diags_dispose(&d);

    static const char latin1[] = "id: caf\xe9\nnamespace: acme\n";
    f = wf_flow_parse(latin1, sizeof(latin1) - 1, "latin1.yaml", &d);
    ok(f == NULL && d.count >= 1 && strstr(d.items[0].message, "YAML syntax") != NULL,
       "invalid UTF-8 is a syntax error");
    wf_diags_dispose(&d);

    /* A webhook key is part of a URL: path tricks are refused. */
    const char *hook = "id: h\nnamespace: acme\ntriggers:\n  - id: w\n"
                       "    type: io.kestra.plugin.core.trigger.Webhook\n    key: ../../admin\n"
                       "tasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: x\n";
    f = wf_flow_parse(hook, strlen(hook), "hook.yaml", &d);
    ok(f == NULL && d.count == 1 && d.items[0].line == 6, "webhook key with '/' is refused");
    wf_diags_dispose(&d);

    ok(wf_task_type_find("io.kestra.plugin.core.flow.Parallel") != NULL, "table lookup");
    ok(wf_task_type_find("io.kestra.core.tasks.flows.Parallel") ==
           wf_task_type_find("io.kestra.plugin.core.flow.Parallel"),
       "alias and name give the same row");
    ok(wf_trigger_type_find("io.kestra.core.models.triggers.types.Schedule") != NULL,
       "trigger alias");
    return tap_done();
}
