/* weft's output helpers: the YAML writer (every document read back by the
 * project's YAML reader equals the JSON it came from, including strings a
 * YAML reader would otherwise type or misread), the unified diff, the path
 * escaping of URLs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"
#include "cli/diff.h"
#include "cli/out.h"
#include "platform/yaml.h"
#include "tests/tap.h"

static char *yaml_of(const json_t *doc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    weft_out_yaml(f, doc);
    fclose(f);
    return buf;
}

static void round_trip(const char *json_text, const char *name)
{
    json_error_t err;
    json_t *doc = json_loads(json_text, JSON_DECODE_ANY, &err);
    if (doc == NULL) {
        ok(0, "%s: test JSON parses (%s)", name, err.text);
        return;
    }
    char *y = yaml_of(doc);
    wf_diags_t d;
    wf_diags_init(&d, "out.yaml");
    wf_yaml_node_t *root = wf_yaml_load(y, strlen(y), &d);
    json_t *back = root ? wf_yaml_to_json(root) : NULL;
    int same = back != NULL && d.count == 0 && json_equal(doc, back);
    ok(same, "YAML round trip: %s", name);
    if (!same) {
        char *b = back ? json_dumps(back, JSON_ENCODE_ANY) : NULL;
        printf("# yaml:\n%s# back: %s\n", y, b ? b : "(none)");
        free(b);
    }
    json_decref(back);
    wf_yaml_free(root);
    wf_diags_dispose(&d);
    json_decref(doc);
    free(y);
}

static char *diff_of(const char *a, const char *b, int *changed)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    *changed = weft_diff(f, "old", a, "new", b, false);
    fclose(f);
    return buf;
}

int main(void)
{
    /* ---- YAML writer ---- */
    round_trip("{\"a\": 1, \"b\": \"x\", \"c\": true, \"d\": null, \"e\": 1.5}", "scalars");
    round_trip("{\"s\": [\"\", \"true\", \"false\", \"null\", \"~\", \"yes\", \"no\", \"on\", "
               "\"off\", \"123\", \"-4\", \"1.5\", \"1e3\", \"0x1f\", \".5\", \"+1\"]}",
               "strings that look typed stay strings");
    round_trip("{\"s\": [\"- x\", \"a: b\", \"#c\", \"x #y\", \"trailing \", \" leading\", "
               "\"colon:\", \"[a]\", \"{b}\", \"*star\", \"&amp\", \"!tag\", \"|\", \">\", "
               "\"'q'\", \"\\\"dq\\\"\", \"%p\", \"@at\", \"`bt\", \"?q\", \",c\"]}",
               "strings with YAML syntax characters");
    round_trip("{\"s\": [\"tab\\there\", \"nul-free \\u0001 control\", \"del\\u007f\", "
               "\"\\u00e9t\\u00e9 \\u2713\", \"back\\\\slash\"]}",
               "control characters, UTF-8, backslashes");
    round_trip("{\"src\": \"id: x\\nnamespace: y\\ntasks:\\n  - id: a\\n\", "
               "\"nonl\": \"a\\nb\", \"two\": \"a\\n\\n\", \"sp\": \"a \\nb\\n\"}",
               "multi-line strings (literal blocks)");
    round_trip("{\"2026-01-01\": \"2026-01-01T10:00:00+00:00\", \"true\": 1, \"k: v\": 2, "
               "\"\": 3}",
               "keys that need quotes");
    round_trip("{\"a\": [], \"o\": {}, \"n\": [[1, 2], [], [{}], [{\"x\": [1]}]], "
               "\"l\": [{\"a\": 1, \"b\": {\"c\": [1, {\"d\": null}]}}, {\"e\": []}]}",
               "nesting, empty containers, lists of maps");
    round_trip("[1, \"two\", {\"three\": 3}]", "a top-level list");
    round_trip("{}", "an empty map");

    json_t *doc = json_pack("{s:[{s:s, s:s}]}", "bindings", "subject", "sa:x/y", "role", "admin");
    char *y = yaml_of(doc);
    is_str(y, "bindings:\n  - subject: sa:x/y\n    role: admin\n", "lists of maps are compact");
    free(y);
    json_decref(doc);

    /* ---- diff ---- */
    int n;
    char *d = diff_of("a\nb\nc\n", "a\nb\nc\n", &n);
    ok(n == 0 && strlen(d) == 0, "equal texts: no diff");
    free(d);
    d = diff_of("1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nfive\n6\n7\n8\n9\n", &n);
    is_int(n, 2, "one changed line: two diff lines");
    is_str(d, "--- old\n+++ new\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n",
           "unified diff with three lines of context");
    free(d);
    d = diff_of("", "x\ny\n", &n);
    is_str(d, "--- old\n+++ new\n@@ -0,0 +1,2 @@\n+x\n+y\n", "a new file");
    free(d);
    d = diff_of("a\nb", "a\nc", &n);
    is_str(d,
           "--- old\n+++ new\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n"
           "\\ No newline at end of file\n",
           "missing final newline is marked");
    free(d);
    d = diff_of("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n",
                "x\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\ny\n", &n);
    ok(n == 4 && strstr(d, "@@ -1,4 +1,4 @@") && strstr(d, "@@ -12,4 +12,4 @@"),
       "distant changes make two hunks");
    free(d);

    d = diff_of("1\n2\n3\n4\n5\n6\n7\n8\n", "x\n2\n3\n4\n5\n6\n7\ny\n", &n);
    ok(n == 4 && strstr(d, "\n@@ -1,8 +1,8 @@") && strstr(strstr(d, "\n@@") + 3, "\n@@") == NULL,
       "changes six lines apart share one hunk");
    free(d);

    /* ---- URL paths ---- */
    char *p =
        weft_pathf("/api/v1/flows/%s/%s?namespace=%s&size=%d", "sales.x", "a/../b", "x&y=z #", 5);
    is_str(p, "/api/v1/flows/sales.x/a%2F..%2Fb?namespace=x%26y%3Dz%20%23&size=5",
           "path segments and query values are percent-encoded");
    free(p);
    p = weft_pathf("/%s", "\r\nHost: evil");
    is_str(p, "/%0D%0AHost%3A%20evil", "no raw CR/LF can reach the request line");
    free(p);

    return tap_done();
}
