#include <stdlib.h>

#include "platform/yaml.h"
#include "tests/tap.h"

static wf_yaml_node_t *load(const char *text, wf_diags_t *d)
{
    wf_diags_init(d, "t.yaml");
    return wf_yaml_load(text, strlen(text), d);
}

int main(void)
{
    wf_diags_t d;
    wf_yaml_node_t *root = load("a: 1\nb:\n  - x\n  - 'y'\nc: {d: true}\n", &d);
    ok(root != NULL && d.count == 0, "valid document loads without errors");
    wf_yaml_node_t *b = wf_yaml_get(root, "b");
    ok(b && b->kind == WF_YAML_SEQ && b->count == 2, "sequence has two items");
    is_int(b->items[1]->line, 4, "item line is 1-based");
    is_int(b->items[1]->col, 5, "item column is 1-based");
    ok(b->items[1]->quoted, "quoted scalar is marked quoted");
    int64_t i;
    ok(wf_yaml_as_int(wf_yaml_get(root, "a"), &i) && i == 1, "plain integer reads as integer");
    ok(!wf_yaml_as_int(b->items[1], &i), "quoted scalar is never an integer");
    bool bv;
    ok(wf_yaml_as_bool(wf_yaml_get(wf_yaml_get(root, "c"), "d"), &bv) && bv, "boolean");
    json_t *j = wf_yaml_to_json(root);
    char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
    is_str(s, "{\"a\":1,\"b\":[\"x\",\"y\"],\"c\":{\"d\":true}}", "JSON conversion types scalars");
    free(s);
    json_decref(j);
    wf_yaml_free(root);
    wf_diags_dispose(&d);

    root = load("a: 1\nb: 2\na: 3\n", &d);
    ok(root != NULL, "tree returned despite duplicate key");
    is_int(d.count, 1, "duplicate key reported once");
    ok(d.count == 1 && d.items[0].line == 3 && d.items[0].col == 1, "duplicate key position 3:1");
    ok(d.count == 1 && d.items[0].note && strstr(d.items[0].note, "line 1"),
       "note points at the first definition");
    wf_yaml_free(root);
    wf_diags_dispose(&d);

    root = load("a:\n\t- b\n", &d);
    ok(root == NULL && d.count == 1, "tab indentation is a syntax error");
    ok(d.count == 1 && d.items[0].line == 2, "syntax error on line 2");
    wf_diags_dispose(&d);

    root = load("a: 'unterminated\nb: 2\n", &d);
    ok(root == NULL && d.count == 1, "unterminated string is a syntax error");
    wf_diags_dispose(&d);

    /* Billion laughs: nine levels of ten aliases would be 10^9 nodes. */
    const char *bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\n"
                       "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
                       "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
                       "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
                       "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
                       "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
                       "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n";
    root = load(bomb, &d);
    ok(root == NULL && d.count == 1, "alias expansion bomb is refused");
    wf_diags_dispose(&d);

    root = load("", &d);
    ok(root != NULL && root->kind == WF_YAML_MAP && root->count == 0, "empty document is {}");
    wf_yaml_free(root);
    wf_diags_dispose(&d);
    return tap_done();
}
