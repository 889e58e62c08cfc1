/* File URIs (flow/fileuri.h): the storage path of weft:/// and kestra:///
 * URIs, the paths the executor builds, nsfile:// URIs, and the attacks a
 * flow can try through a URI it writes: traversal, encoded traversal,
 * encoded separators, NUL and control bytes, other schemes, hosts, bad
 * UTF-8 and over-long paths. */
#include <stdlib.h>
#include <string.h>

#include "flow/fileuri.h"
#include "tests/tap.h"

static char path[WF_FILEURI_PATH_MAX + 1];
static char msg[256];

/* The storage path of `uri`, or "ERR" when refused. */
static const char *parsed(const char *uri)
{
    if (wf_fileuri_parse(uri, path, sizeof(path), msg, sizeof(msg)) != 0)
        return "ERR";
    return path;
}

static const char *normal(const char *uri)
{
    static char out[WF_FILEURI_URI_MAX];
    if (wf_fileuri_normalise(uri, out, sizeof(out), msg, sizeof(msg)) != 0)
        return "ERR";
    return out;
}

int main(void)
{
    /* Accepted forms. */
    is_str(parsed("weft:///company/team/f/executions/E1/tasks/t/R1/a.csv"),
           "/company/team/f/executions/E1/tasks/t/R1/a.csv", "a task output URI");
    is_str(parsed("kestra:///company/team/f/executions/E1/tasks/t/R1/a.csv"),
           "/company/team/f/executions/E1/tasks/t/R1/a.csv", "kestra:/// is an alias");
    is_str(parsed("WEFT:///a/b"), "/a/b", "the scheme is case-insensitive");
    is_str(parsed("weft:///a/my%20file.csv"), "/a/my file.csv", "escapes are decoded");
    is_str(parsed("weft:///a/%C3%A9t%C3%A9.txt"), "/a/\xc3\xa9t\xc3\xa9.txt", "UTF-8 escapes");
    is_str(parsed("weft:///a/..b/c..d/...x"), "/a/..b/c..d/...x", "dots inside names are fine");
    is_str(parsed("weft:///a/%252e%252e/b"), "/a/%2e%2e/b",
           "a doubly encoded dot is decoded once: a name, not a traversal");
    is_str(normal("kestra:///a/b%20c.csv"), "weft:///a/b%20c.csv", "normalised to weft:///");
    is_str(normal("weft:///a/100%25.txt"), "weft:///a/100%25.txt", "a percent sign stays encoded");

    /* Traversal, plain and encoded. */
    is_str(parsed("weft:///a/../etc/passwd"), "ERR", "'..' refused");
    ok(strstr(msg, "'..'") != NULL, "the message names the component: %s", msg);
    is_str(parsed("weft:///.."), "ERR", "'..' alone refused");
    is_str(parsed("weft:///a/./b"), "ERR", "'.' refused");
    is_str(parsed("weft:///a/b/."), "ERR", "a trailing '.' refused");
    is_str(parsed("weft:///a/%2e%2e/b"), "ERR", "encoded '..' refused");
    is_str(parsed("weft:///a/%2E%2e/b"), "ERR", "encoded '..' in mixed case refused");
    is_str(parsed("weft:///a/.%2e/b"), "ERR", "half-encoded '..' refused");
    is_str(parsed("weft:///a/%2e/b"), "ERR", "encoded '.' refused");
    is_str(parsed("weft:///a/..%2fetc"), "ERR", "encoded '/' refused");
    is_str(parsed("weft:///a/%2F/b"), "ERR", "encoded '/' (upper case) refused");
    is_str(parsed("weft:///a/..%5cetc"), "ERR", "encoded backslash refused");
    is_str(parsed("weft:///a\\..\\b"), "ERR", "backslash refused");
    is_str(parsed("weft:///a//b"), "ERR", "'//' refused");
    is_str(parsed("weft:////etc/passwd"), "ERR", "a leading '//' refused");
    is_str(parsed("weft:///a/b/"), "ERR", "a trailing '/' refused");
    is_str(parsed("weft:///"), "ERR", "no file at all refused");

    /* NUL, control bytes, bad escapes, bad UTF-8. */
    is_str(parsed("weft:///a/b%00.csv"), "ERR", "encoded NUL refused");
    is_str(parsed("weft:///a/b%0a.csv"), "ERR", "encoded newline refused");
    is_str(parsed("weft:///a/b\x01.csv"), "ERR", "control byte refused");
    is_str(parsed("weft:///a/b%zz"), "ERR", "bad escape refused");
    is_str(parsed("weft:///a/b%2"), "ERR", "truncated escape refused");
    is_str(parsed("weft:///a/%C0%AE%C0%AE/b"), "ERR", "overlong UTF-8 dots refused");
    is_str(parsed("weft:///a/\xff"), "ERR", "invalid UTF-8 refused");
    is_str(parsed("weft:///a/%ED%A0%80"), "ERR", "a UTF-16 surrogate refused");

    /* Other schemes and forms. */
    is_str(parsed("file:///etc/passwd"), "ERR", "file:// refused");
    ok(strstr(msg, "not a file URI") != NULL, "message: %s", msg);
    is_str(parsed("http://example.com/a"), "ERR", "http:// refused");
    is_str(parsed("/etc/passwd"), "ERR", "a bare path refused");
    is_str(parsed("weft://host/a/b"), "ERR", "a host refused");
    is_str(parsed("weft:/a/b"), "ERR", "weft:/ refused");
    is_str(parsed("weftx:///a"), "ERR", "a longer scheme refused");
    is_str(parsed("weft:///a/b?x=1"), "ERR", "a query refused");
    is_str(parsed("weft:///a/b#f"), "ERR", "a fragment refused");
    is_str(parsed(NULL), "ERR", "NULL refused");
    ok(wf_fileuri_is_storage("kestra:///x") && wf_fileuri_is_storage("weft:///x") &&
           !wf_fileuri_is_storage("nsfile:///x") && !wf_fileuri_is_storage("hello"),
       "is_storage tells URIs from text");

    /* Length limits. */
    char *longp = malloc(2 * WF_FILEURI_PATH_MAX + 16);
    strcpy(longp, "weft://");
    for (int i = 0; i < 200; i++)
        strcat(longp, "/abcd");
    ok(strlen(parsed(longp)) == 1000 && path[0] == '/', "1000 bytes are fine");
    for (int i = 0; i < 10; i++)
        strcat(longp, "/abcd");
    is_str(parsed(longp), "ERR", "past 1024 bytes refused");
    free(longp);
    char comp[300] = "weft:///a/";
    memset(comp + 10, 'x', 256);
    comp[266] = '\0';
    is_str(parsed(comp), "ERR", "a 256-byte component refused");

    /* Built paths. */
    char out[WF_FILEURI_PATH_MAX + 1];
    ok(wf_fileuri_task_path("company.team", "etl", "E1", "extract", "R1", "out/a.csv", out,
                            sizeof(out), msg, sizeof(msg)) == 0,
       "a task output path is built");
    is_str(out, "/company/team/etl/executions/E1/tasks/extract/R1/out/a.csv",
           "namespace dots become '/'");
    ok(wf_fileuri_input_path("company.team", "etl", "E1", "data", "in.csv", out, sizeof(out), msg,
                             sizeof(msg)) == 0,
       "an input path is built");
    is_str(out, "/company/team/etl/executions/E1/inputs/data/in.csv", "input layout");
    ok(wf_fileuri_task_path("a", "f", "E", "t", "R", "../x", out, sizeof(out), msg, sizeof(msg)) !=
           0,
       "an output name with '..' is refused");
    ok(wf_fileuri_task_path("a", "f", "E", "t/../u", "R", "x", out, sizeof(out), msg,
                            sizeof(msg)) != 0,
       "a task id with '/' is refused");
    ok(wf_fileuri_task_path("a", "f", "..", "t", "R", "x", out, sizeof(out), msg, sizeof(msg)) != 0,
       "an execution id '..' is refused");
    ok(wf_fileuri_task_path("a..b", "f", "E", "t", "R", "x", out, sizeof(out), msg, sizeof(msg)) !=
           0,
       "a namespace with an empty part is refused");
    ok(wf_fileuri_task_path("a", "f", "E", "t", "R", "/abs", out, sizeof(out), msg, sizeof(msg)) !=
           0,
       "an absolute output name is refused");
    char uri[WF_FILEURI_URI_MAX];
    ok(wf_fileuri_from_path("/a/f/executions/E/tasks/t/R/my file#1?.csv", uri, sizeof(uri), msg,
                            sizeof(msg)) == 0,
       "a URI is built from a path");
    is_str(uri, "weft:///a/f/executions/E/tasks/t/R/my%20file%231%3F.csv",
           "space, '#' and '?' are encoded");
    is_str(parsed(uri), "/a/f/executions/E/tasks/t/R/my file#1?.csv", "and parse back");

    /* Namespace files. */
    char ns[256];
    ok(wf_fileuri_nsfile("nsfile:///scripts/etl.py", ns, sizeof(ns), out, sizeof(out), msg,
                         sizeof(msg)) == 0 &&
           ns[0] == '\0' && strcmp(out, "/scripts/etl.py") == 0,
       "nsfile:/// is the current namespace");
    ok(wf_fileuri_nsfile("nsfile://company.team/scripts/etl.py", ns, sizeof(ns), out, sizeof(out),
                         msg, sizeof(msg)) == 0 &&
           strcmp(ns, "company.team") == 0 && strcmp(out, "/scripts/etl.py") == 0,
       "nsfile://ns/path names the namespace");
    ok(wf_fileuri_nsfile("nsfile:///a/../../b", ns, sizeof(ns), out, sizeof(out), msg,
                         sizeof(msg)) != 0,
       "nsfile traversal refused");
    ok(wf_fileuri_nsfile("nsfile://a..b/x", ns, sizeof(ns), out, sizeof(out), msg, sizeof(msg)) !=
           0,
       "nsfile bad namespace refused");
    ok(wf_fileuri_nsfile("nsfile://a%2eb/x", ns, sizeof(ns), out, sizeof(out), msg, sizeof(msg)) !=
           0,
       "nsfile encoded namespace refused");
    ok(wf_fileuri_nsfile("nsfile://ns", ns, sizeof(ns), out, sizeof(out), msg, sizeof(msg)) != 0,
       "nsfile without a path refused");
    ok(wf_fileuri_nsfile("weft:///a", ns, sizeof(ns), out, sizeof(out), msg, sizeof(msg)) != 0,
       "weft:/// is not an nsfile");
    ok(wf_fileuri_namespace_valid("a.b-c_d") && !wf_fileuri_namespace_valid(".a") &&
           !wf_fileuri_namespace_valid("a.") && !wf_fileuri_namespace_valid("a/b"),
       "namespace rule");


    /* Kestra's outputFiles globs. */
    ok(wf_fileuri_glob("*.csv", "a.csv"), "*.csv matches a top-level file");
    ok(!wf_fileuri_glob("*.csv", "d/a.csv"), "*.csv stays in the top directory");
    ok(wf_fileuri_glob("**/*.json", "d/a.json") && wf_fileuri_glob("**/*.json", "d/e/a.json"),
       "**/*.json matches below directories");
    ok(!wf_fileuri_glob("**/*.json", "a.json"), "**/*.json needs a directory, as Java's glob");
    ok(wf_fileuri_glob("out/**", "out/a") && wf_fileuri_glob("out/**", "out/a/b.txt"),
       "out/** matches everything below out/");
    ok(!wf_fileuri_glob("out/**", "other/a") && !wf_fileuri_glob("out/**", "outx/a"),
       "out/** nothing else");
    ok(wf_fileuri_glob("*.{csv,json}", "a.json") && !wf_fileuri_glob("*.{csv,json}", "a.txt"),
       "alternatives");
    ok(wf_fileuri_glob("data_?.[ct]sv", "data_1.tsv") &&
           !wf_fileuri_glob("data_?.[!ct]sv", "data_1.csv"),
       "? and classes");
    ok(!wf_fileuri_glob("a?b", "a/b") && !wf_fileuri_glob("a[/]b", "a/b"),
       "? and classes never match '/'");
    ok(wf_fileuri_glob("a.csv", "a.csv") && !wf_fileuri_glob("a.csv", "b.csv"), "literal names");
    ok(!wf_fileuri_glob("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b",
                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
       "a pathological pattern ends (no match) instead of spinning");
    ok(wf_fileuri_is_glob("*.csv") && !wf_fileuri_is_glob("a.csv"), "is_glob");
    return tap_done();
}
