/* weft's output helpers: the YAML writer (every document read back by the
 * project's YAML reader equals the JSON it came from, including strings a
 * YAML reader would otherwise type or misread), the unified diff, the path
 * escaping of URLs, the tables described by columns, and the option parser
 * of the verbs that work offline. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* What `fn` writes on stdout. */
static char *stdout_of(void (*fn)(const void *), const void *arg)
{
    fflush(stdout);
    FILE *tmp = tmpfile();
    int saved = dup(STDOUT_FILENO);
    dup2(fileno(tmp), STDOUT_FILENO);
    fn(arg);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    long n = ftell(tmp);
    char *text = calloc(1, (size_t)n + 1);
    rewind(tmp);
    if (fread(text, 1, (size_t)n, tmp) != (size_t)n)
        text[0] = '\0';
    fclose(tmp);
    return text;
}

static char *cell_twice(const weft_t *w, const json_t *row, const char *member)
{
    (void)w;
    const char *s = json_string_value(json_object_get(row, member));
    if (s == NULL)
        return NULL;
    char *d = malloc(2 * strlen(s) + 1);
    sprintf(d, "%s%s", s, s);
    return d;
}

static const weft_cell_t cells[] = {{"twice", cell_twice}, {NULL, NULL}};
static const char cols[] =
    "ID=id, NAME=key|name, ON=on:yesno, TAGS=tags:join, TWICE=name:twice, STATE=state.current";

typedef struct {
    weft_fmt_t fmt;
    const char *json;
    const weft_view_t *view;
} print_case_t;

static void print_case(const void *arg)
{
    const print_case_t *c = arg;
    weft_t w;
    memset(&w, 0, sizeof(w));
    w.fmt = c->fmt;
    json_t *doc = json_loads(c->json, 0, NULL);
    weft_print(&w, doc, c->view);
    json_decref(doc);
}

static char *printed(weft_fmt_t fmt, const char *json, const weft_view_t *view)
{
    print_case_t c = {fmt, json, view};
    return stdout_of(print_case, &c);
}

typedef struct {
    const char *v[2];
    int others;
} local_opts_t;

static int local_opt(weft_t *w, void *ud, int id, const char *val)
{
    local_opts_t *o = ud;
    if (id == WEFT_OPT_OTHER) {
        o->others++;
        return val[1] >= '0' && val[1] <= '9' ? WEFT_OPT_POSITIONAL : -1;
    }
    if (id == 0 && val == NULL) { /* --vars without its value */
        o->v[0] = "(none)";
        return 0;
    }
    return weft_opt_set(w, o->v, id, val);
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

    char *args[] = {"a b", "c/d"};
    p = weft_pathv("/x/%s/y/%s", args);
    is_str(p, "/x/a%20b/y/c%2Fd", "weft_pathv fills %%s from an array");
    free(p);

    /* ---- tables described by columns ---- */
    static const weft_view_t list = {.rows = "results", .cols = cols, .cells = cells};
    static const weft_view_t plain = {.cols = cols, .cells = cells};
    char *out = printed(WEFT_OUT_TABLE,
                        "{\"results\": [{\"id\": 7, \"name\": \"n\", \"on\": true, "
                        "\"tags\": [\"a\", \"b\"], \"state\": {\"current\": \"RUNNING\"}}, "
                        "{\"id\": \"x\", \"key\": \"k\", \"name\": \"\"}]}",
                        &list);
    is_str(out,
           "ID  NAME  ON   TAGS  TWICE  STATE\n"
           "7   n     yes  a,b   nn     RUNNING\n"
           "x   k     no   -     -      -\n",
           "columns: members, nested paths, alternatives, computed cells, '-' for none");
    free(out);
    out = printed(WEFT_OUT_JSON, "{\"total\": 0}", &list);
    is_str(out, "[]\n", "-o json of absent rows is []");
    free(out);
    out = printed(WEFT_OUT_JSON, "{\"results\": [1]}", &list);
    is_str(out, "[\n  1\n]\n", "-o json prints the rows member");
    free(out);
    out = printed(WEFT_OUT_TABLE, "{\"id\": 1, \"name\": \"one\"}", &plain);
    is_str(out,
           "ID  NAME  ON  TAGS  TWICE   STATE\n"
           "1   one   no  -     oneone  -\n",
           "an object answer is a one-row table");
    free(out);
    out = printed(WEFT_OUT_TABLE, "[{\"id\": 2}]", &list);
    ok(strstr(out, "\n2 ") != NULL, "an array answer is the rows even when a member is named");
    free(out);

    /* ---- offline verbs' option parsing ---- */
    static const weft_usage_t u = {"weft t X", "About.", 1, 1};
    static const weft_opt_t opts[] = {
        {"vars", 0, "FILE", 0, "a file"},
        {"flag", 0, NULL, 1, "a flag"},
        {NULL, 0, NULL, 0, NULL},
    };
    char *argv1[] = {"t", "-5", "--vars", "f.json", "--flag", NULL};
    local_opts_t lo = {{NULL, NULL}, 0};
    weft_t w;
    int rc = weft_parse_local(&w, "weft t", &u, opts, local_opt, &lo, 5, argv1);
    ok(rc == 0 && w.npos == 1 && strcmp(w.pos[0], "-5") == 0 && lo.others == 1,
       "an unknown option the verb accepts becomes a positional argument");
    ok(lo.v[0] != NULL && strcmp(lo.v[0], "f.json") == 0 && lo.v[1] != NULL && lo.v[1][0] == '\0',
       "values and flags reach the callback (weft_opt_set: a flag is \"\")");
    weft_dispose(&w);
    char *argv2[] = {"t", "x", "--vars", NULL};
    memset(&lo, 0, sizeof(lo));
    rc = weft_parse_local(&w, "weft t", &u, opts, local_opt, &lo, 3, argv2);
    ok(rc == 0 && lo.v[0] != NULL && strcmp(lo.v[0], "(none)") == 0,
       "a missing value reaches the callback as NULL");
    weft_dispose(&w);
    char *argv3[] = {"t", "x", "--url", "http://h", NULL};
    memset(&lo, 0, sizeof(lo));
    rc = weft_parse_local(&w, "weft t", &u, opts, local_opt, &lo, 4, argv3);
    ok(rc == 2 && lo.others == 1 && w.url == NULL, "no global options for offline verbs");
    weft_dispose(&w);

    return tap_done();
}
