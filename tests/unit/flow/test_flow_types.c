/* The type tables are data the validator trusts: this test keeps them
 * consistent (unique names and aliases, no property shadowing a common one,
 * enums with values, objects with a schema, every kind present once). */
#include <stdlib.h>

#include "flow/types.h"
#include "tests/tap.h"

static int check_props(const char *owner, const wf_prop_t *props, const wf_prop_t *common)
{
    int bad = 0;
    for (const wf_prop_t *p = props; p != NULL && p->name != NULL; p++) {
        if ((p->type == WF_PT_ENUM || p->type == WF_PT_ENUM_LIST) && p->values == NULL) {
            printf("# %s.%s: enum without values\n", owner, p->name);
            bad++;
        }
        if ((p->type == WF_PT_OBJECT || p->type == WF_PT_OBJECT_LIST) && p->sub == NULL) {
            printf("# %s.%s: object without a schema\n", owner, p->name);
            bad++;
        }
        for (const wf_prop_t *q = p + 1; q->name != NULL; q++)
            if (strcmp(p->name, q->name) == 0) {
                printf("# %s.%s: listed twice\n", owner, p->name);
                bad++;
            }
        for (const wf_prop_t *c = common; c != NULL && c->name != NULL; c++)
            if (strcmp(p->name, c->name) == 0) {
                printf("# %s.%s: shadows a common property\n", owner, p->name);
                bad++;
            }
        if (p->sub != NULL)
            bad += check_props(p->sub->what, p->sub->props, NULL);
    }
    return bad;
}

int main(void)
{
    int bad = 0, seen[WF_TASK_STORAGE_LOCAL_FILES + 1] = {0};
    for (size_t i = 0; i < wf_n_task_types; i++) {
        const wf_task_type_t *t = &wf_task_types[i];
        if (t->props == NULL || t->summary == NULL || strncmp(t->name, "io.kestra.", 10) != 0) {
            printf("# %s: incomplete row\n", t->name);
            bad++;
        }
        bad += check_props(t->name, t->props, wf_task_common_props);
        bad += check_props(t->name, t->props, wf_flowable_common_props);
        seen[t->kind]++;
        if (wf_task_type_find(t->name) != t) {
            printf("# %s: name found on another row\n", t->name);
            bad++;
        }
        for (size_t a = 0; t->aliases != NULL && t->aliases[a] != NULL; a++)
            if (wf_task_type_find(t->aliases[a]) != t) {
                printf("# %s: alias %s found on another row\n", t->name, t->aliases[a]);
                bad++;
            }
        if (t->flags & WF_TT_FLOWABLE) {
            bool children = false;
            for (const wf_prop_t *p = t->props; p->name != NULL; p++)
                children |= p->type == WF_PT_TASKS || p->type == WF_PT_DAG_TASKS;
            if (!children) {
                printf("# %s: flowable without a task list\n", t->name);
                bad++;
            }
        }
    }
    is_int(bad, 0, "task table rows are consistent");
    int missing = 0;
    for (int k = 0; k <= WF_TASK_STORAGE_LOCAL_FILES; k++)
        if (seen[k] != 1) {
            printf("# kind %d appears %d times\n", k, seen[k]);
            missing++;
        }
    is_int(missing, 0, "every task kind has exactly one row");
    is_int(check_props("common", wf_task_common_props, NULL), 0, "common task properties");
    is_str(wf_task_common_props[0].name, "id", "row 0 of the common properties is the id");

    bad = 0;
    for (size_t i = 0; i < wf_n_trigger_types; i++) {
        const wf_trigger_type_t *t = &wf_trigger_types[i];
        bad += check_props(t->name, t->props, wf_trigger_common_props);
        if (wf_trigger_type_find(t->name) != t)
            bad++;
        for (size_t a = 0; t->aliases != NULL && t->aliases[a] != NULL; a++)
            if (wf_trigger_type_find(t->aliases[a]) != t)
                bad++;
    }
    is_int(bad, 0, "trigger table rows are consistent");
    bad = 0;
    for (size_t i = 0; i < wf_n_condition_types; i++) {
        const wf_condition_type_t *c = &wf_condition_types[i];
        bad += check_props(c->name, c->props, NULL);
        if (wf_condition_type_find(c->name) != c)
            bad++;
        for (size_t a = 0; c->aliases != NULL && c->aliases[a] != NULL; a++)
            if (wf_condition_type_find(c->aliases[a]) != c)
                bad++;
    }
    is_int(bad, 0, "condition table rows are consistent");
    is_int(check_props("flow", wf_flow_schema.props, NULL), 0, "flow properties");
    is_int(check_props("input", wf_input_schema.props, NULL), 0, "input properties");

    ok(wf_input_type_parse("BOOL") == WF_INPUT_BOOLEAN, "BOOL is BOOLEAN");
    ok(wf_input_type_parse("EMAIL") == WF_INPUT_EMAIL, "EMAIL");
    ok(wf_input_type_parse("email") == -1, "input types are case-sensitive");
    is_str(wf_input_type_name(WF_INPUT_ARRAY), "ARRAY", "input type name");
    ok(wf_task_type_find("io.kestra.plugin.core.log.log") == NULL, "task types are case-sensitive");
    return tap_done();
}
