/* The event-driven YAML loader: aliases become bounded copies, unknown and
 * self-referencing aliases are refused, explicit tags, only the first
 * document counts, and syntax errors anywhere in that document are reported. */
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
    wf_yaml_node_t *root = load("base: &b {x: 1, y: [a, b]}\ncopy: *b\n", &d);
    ok(root != NULL && d.count == 0, "anchor and alias load");
    wf_yaml_node_t *copy = wf_yaml_get(root, "copy");
    ok(copy != NULL && copy->kind == WF_YAML_MAP && copy->count == 2, "alias is a copy of the map");
    ok(copy != wf_yaml_get(root, "base"), "the copy is a separate node (one owner each)");
    is_int(copy->line, 1, "a copy keeps the anchor's position");
    json_t *j = wf_yaml_to_json(root);
    char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    is_str(s, "{\"base\":{\"x\":1,\"y\":[\"a\",\"b\"]},\"copy\":{\"x\":1,\"y\":[\"a\",\"b\"]}}",
           "copy has the same content");
    free(s);
    json_decref(j);
    wf_yaml_free(root);
    wf_diags_dispose(&d);

    root = load("a: *nowhere\n", &d);
    ok(root == NULL && d.count == 1 && strstr(d.items[0].message, "nowhere") != NULL,
       "unknown alias is refused by name");
    wf_diags_dispose(&d);

    root = load("a: &loop [1, *loop]\n", &d);
    ok(root == NULL && d.count == 1, "self-referencing anchor is refused");
    wf_diags_dispose(&d);

    root = load("n: !!str 123\nm: 123\n", &d);
    int64_t i;
    ok(root != NULL && !wf_yaml_as_int(wf_yaml_get(root, "n"), &i), "!!str keeps 123 a string");
    ok(root != NULL && wf_yaml_as_int(wf_yaml_get(root, "m"), &i) && i == 123,
       "untagged 123 is an integer");
    wf_yaml_free(root);
    wf_diags_dispose(&d);

    root = load("first: 1\n---\nsecond: 2\n", &d);
    ok(root != NULL && wf_yaml_get(root, "first") && !wf_yaml_get(root, "second"),
       "only the first document is loaded");
    wf_yaml_free(root);
    wf_diags_dispose(&d);

    root = load("a: 1\nb: [1, 2\n", &d);
    ok(root == NULL && d.count == 1 && d.items[0].line >= 2, "syntax error after valid keys");
    wf_diags_dispose(&d);

    root = load("a: 1\na: 2\nb: [\n", &d);
    ok(root == NULL && d.count == 2, "duplicate key and syntax error are both reported");
    wf_diags_dispose(&d);

    root = load("just a scalar\n", &d);
    ok(root != NULL && root->kind == WF_YAML_SCALAR && strcmp(root->value, "just a scalar") == 0,
       "a scalar document");
    wf_yaml_free(root);
    wf_diags_dispose(&d);

    root = load("--- \n...\n", &d);
    ok(root != NULL && root->kind == WF_YAML_SCALAR && root->len == 0,
       "an explicit empty document is an empty scalar");
    wf_yaml_free(root);
    wf_diags_dispose(&d);

    /* Deep nesting is bounded, not recursed without end. */
    char deep[2 * 300 + 1];
    memset(deep, '[', 300);
    memset(deep + 300, ']', 300);
    deep[600] = '\0';
    root = load(deep, &d);
    ok(root == NULL && d.count == 1 && strstr(d.items[0].message, "too deep") != NULL,
       "nesting past the depth bound is refused");
    wf_diags_dispose(&d);

    /* A key with a NUL-free long value keeps its full text inline. */
    char big[5000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    char *doc = NULL;
    if (asprintf(&doc, "k: %s\n", big) < 0)
        return 1;
    root = load(doc, &d);
    ok(root != NULL && wf_yaml_get(root, "k")->len == sizeof(big) - 1 &&
           strcmp(wf_yaml_get(root, "k")->value, big) == 0,
       "long scalar intact");
    wf_yaml_free(root);
    wf_diags_dispose(&d);
    free(doc);
    return tap_done();
}
