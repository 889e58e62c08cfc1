/* Namespace file paths (flow/nspath.h): the cleaning rule the gateway, the
 * client and the executor share, and the include/exclude globs. */
#include <string.h>

#include "flow/nspath.h"
#include "tests/tap.h"

/* `in` cleaned, or "!" followed by the reason when refused. */
static const char *cleaned(const char *in)
{
    static char out[WF_NSPATH_MAX + 64];
    char path[WF_NSPATH_MAX + 1], why[200];
    if (wf_nspath_clean(in, path, sizeof(path), why, sizeof(why)) != 0) {
        snprintf(out, sizeof(out), "!%s", why);
        return out;
    }
    snprintf(out, sizeof(out), "%s", path);
    return out;
}

int main(void)
{
    is_str(cleaned("/scripts/etl.py"), "/scripts/etl.py", "a clean path stays");
    is_str(cleaned("scripts/etl.py"), "/scripts/etl.py", "a leading '/' is added");
    is_str(cleaned("/scripts/"), "/scripts", "a trailing '/' names the directory");
    is_str(cleaned("/"), "/", "the root stays");
    is_str(cleaned("/.gitignore"), "/.gitignore", "hidden files are allowed");
    is_str(cleaned("/a b/c+d.txt"), "/a b/c+d.txt", "spaces and '+' are allowed");
    is_str(cleaned(""), "!the path is empty", "empty: refused");
    is_str(cleaned("/a/../etc/passwd"),
           "!the path has a '..' segment; use a plain path from the namespace's root",
           "'..' refused");
    ok(cleaned("..")[0] == '!', "'..' alone refused");
    ok(cleaned("/a/./b")[0] == '!', "'.' refused");
    is_str(cleaned("/a//b"), "!the path has an empty segment ('//')", "'//' refused");
    ok(cleaned("//")[0] == '!', "'//' alone refused");
    is_str(cleaned("/a\nb"), "!the path holds a control character at byte 3",
           "control characters refused, with the byte");
    ok(cleaned("/a\\b")[0] == '!', "backslash refused");
    ok(cleaned("/.weft-upload/1")[0] == '!', "the staging prefix is reserved");
    is_str(cleaned("/.weft-uploads"), "/.weft-uploads", "but only as a whole segment");
    /* Components of 99 bytes and a '/' before each, to exactly the limit. */
    char longp[WF_NSPATH_MAX + 2];
    for (int i = 0; i <= WF_NSPATH_MAX; i++)
        longp[i] = i % 100 == 0 ? '/' : 'a';
    longp[WF_NSPATH_MAX + 1] = '\0';
    is_str(cleaned(longp), "!the path is longer than 1024 bytes", "over-long refused");
    longp[WF_NSPATH_MAX] = '\0';
    is_int((int)strlen(cleaned(longp)), WF_NSPATH_MAX, "exactly the limit is accepted");
    char comp[300] = "/";
    memset(comp + 1, 'b', 256);
    comp[257] = '\0';
    ok(cleaned(comp)[0] == '!', "a name longer than 255 bytes is refused (the storage's rule)");
    ok(cleaned("/caf\xc3")[0] == '!', "invalid UTF-8 is refused");

    ok(wf_nspath_glob("*.py", "/etl.py"), "'*' matches a top-level file");
    ok(!wf_nspath_glob("*.py", "/scripts/etl.py"), "but not across a '/'");
    ok(wf_nspath_glob("**.py", "/scripts/deep/etl.py"), "'**' crosses directories");
    ok(wf_nspath_glob("scripts/**", "/scripts/a/b.py"), "dir/** matches below dir");
    ok(!wf_nspath_glob("scripts/**", "/other/b.py"), "and nothing else");
    ok(wf_nspath_glob("**/etl.py", "/etl.py"), "'**/' may match no directory");
    ok(wf_nspath_glob("**/etl.py", "/a/b/etl.py"), "or several");
    ok(wf_nspath_glob("/scripts/?tl.py", "/scripts/etl.py"), "'?' and a leading '/'");
    ok(!wf_nspath_glob("?", "/"), "'?' never matches '/'");
    ok(!wf_nspath_glob("data/*.csv", "/data/x.json"), "literals must match");
    return tap_done();
}
