/* `weft policy get|set|clear`: governance policies of namespace prefixes.
 * "*" names the root (quote it in the shell). `set` replaces the caller's
 * layer of the prefix (platform-admins: the platform layer; domain admins:
 * their own, tighten only) with the keys given as KEY=VALUE arguments (VALUE
 * read as JSON when it parses, else as a string) or as a JSON document
 * (--file FILE, "-" for stdin). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"
#include "cli/out.h"
#include "cli/verb.h"
#include "cli/verbs.h"
#include "platform/cmd.h"
#include "platform/xmalloc.h"

#define POLICY_FILE_MAX (1024 * 1024)

/* The namespace as the API path spells it ("*" for the root). */
static const char *api_ns(const char *ns)
{
    return ns[0] == '\0' ? "*" : ns;
}

/* Each key with its value and the prefix it comes from. */
static void print_policy(const weft_t *w, const json_t *doc)
{
    json_t *pol = json_object_get(doc, "policy");
    weft_table_t *t = weft_table_create(3, "KEY", "VALUE", "FROM");
    const char *key;
    json_t *e;
    json_object_foreach(pol, key, e)
    {
        json_t *value = json_object_get(e, "value"), *from = json_object_get(e, "from");
        if (json_is_object(from)) { /* requiredLabels: one row per label */
            const char *lk;
            json_t *f;
            json_object_foreach(from, lk, f)
            {
                char *row =
                    wf_xasprintf("%s=%s", lk, json_string_value(json_object_get(value, lk)));
                const char *fs = json_string_value(f);
                weft_table_row(t, key, row, fs && fs[0] ? fs : "*");
                free(row);
            }
            continue;
        }
        char *text = json_is_string(value) ? wf_xstrdup(json_string_value(value))
                                           : json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
        const char *fs = json_string_value(from);
        weft_table_row(t, key, text ? text : "", fs && fs[0] ? fs : "*");
        free(text);
    }
    weft_table_print(w, t);
}

static int policy_get(weft_t *w, void *ud)
{
    (void)ud;
    static const weft_view_t view = {.print = print_policy};
    char *path = weft_pathf("/api/v1/namespaces/%s/policy", api_ns(w->pos[0]));
    int rc = weft_get_print(w, path, &view);
    free(path);
    return rc;
}

static const weft_verb_t policy_get_verb = {
    .usage = {"weft policy get NAMESPACE",
              "Shows the effective policy of NAMESPACE (\"*\" for the root): each key with its\n"
              "value and the namespace prefix it comes from. Values only narrow down the tree:\n"
              "the tightest of the root, every parent prefix and NAMESPACE applies.",
              1, 1},
    .run = policy_get,
};

static const weft_opt_t set_table[] = {
    {"file", 'f', "FILE", 0, "take the whole policy from a JSON file (\"-\": stdin)"},
    {NULL, 0, NULL, 0, NULL},
};

static json_t *read_file_doc(weft_t *w, const char *name)
{
    FILE *f = strcmp(name, "-") == 0 ? stdin : fopen(name, "rb");
    if (f == NULL) {
        weft_err(w, "cannot read %s: %s", name, strerror(errno));
        return NULL;
    }
    json_error_t e;
    json_t *doc = json_loadf(f, 0, &e);
    if (f != stdin)
        fclose(f);
    if (doc == NULL)
        weft_err(w, "%s:%d:%d: %s", name, e.line, e.column, e.text);
    return doc;
}

/* KEY=VALUE arguments into an object; VALUE is JSON when it parses. */
static json_t *pairs_doc(weft_t *w, int from)
{
    json_t *doc = json_object();
    for (int i = from; i < w->npos; i++) {
        const char *eq = strchr(w->pos[i], '=');
        if (eq == NULL || eq == w->pos[i]) {
            weft_err(w, "expected KEY=VALUE, got '%s'", w->pos[i]);
            json_decref(doc);
            return NULL;
        }
        char *key = wf_xstrndup(w->pos[i], (size_t)(eq - w->pos[i]));
        json_t *v = json_loads(eq + 1, JSON_DECODE_ANY, NULL);
        json_object_set_new(doc, key, v ? v : json_string(eq + 1));
        free(key);
    }
    return doc;
}

static int put_policy(weft_t *w, const char *ns, json_t *doc)
{
    weft_resp_t r = {0};
    char *text = json_dumps(doc, JSON_COMPACT);
    char *path = weft_pathf("/api/v1/namespaces/%s/policy", api_ns(ns));
    int rc = weft_call(w, "PUT", path, "application/json", text, text ? strlen(text) : 0, &r);
    free(path);
    free(text);
    if (rc != 0)
        goto out;
    if (r.status >= 400) {
        weft_print_problem(w, &r, NULL);
        const char *from = json_string_value(json_object_get(r.json, "inheritedFrom"));
        if (from != NULL)
            fprintf(stderr, "  inherited from: %s\n", from[0] ? from : "* (the root)");
        rc = WEFT_EXIT_FAIL;
        goto out;
    }
    weft_out_answer(w, r.json, "set  %s policy of %s",
                    json_string_value(json_object_get(r.json, "layer")),
                    ns[0] ? ns : "* (the root)");
out:
    weft_resp_dispose(&r);
    return rc;
}

static int policy_set(weft_t *w, void *ud)
{
    const char *file = *(const char **)ud;
    json_t *doc = NULL;
    int rc = 0;
    if ((file != NULL) == (w->npos > 1)) {
        weft_err(w, "give either KEY=VALUE arguments or --file FILE");
        rc = WEFT_EXIT_USAGE;
        goto out;
    }
    doc = file ? read_file_doc(w, file) : pairs_doc(w, 1);
    if (doc == NULL || !json_is_object(doc)) {
        if (doc != NULL)
            weft_err(w, "the policy must be a JSON object");
        rc = WEFT_EXIT_USAGE;
        goto out;
    }
    rc = put_policy(w, w->pos[0], doc);
out:
    json_decref(doc);
    return rc;
}

static const weft_verb_t policy_set_verb = {
    .usage = {"weft policy set NAMESPACE KEY=VALUE...\n"
              "weft policy set NAMESPACE --file FILE",
              "Replaces your layer of NAMESPACE's policy (\"*\" for the root, platform-admins\n"
              "only) with the given keys: maxMemory, maxCpu, maxPids, maxTaskDuration,\n"
              "maxConcurrentTaskRuns, maxExecutionsPerMinute, allowedTaskTypes, network,\n"
              "requiredLabels, maxFlowSize, maxDisk, maxChainDepth, maxActiveExecutions,\n"
              "retention, maxStorage.\n"
              "VALUE is JSON when it parses (64, [\"a.*\"],\n"
              "{\"owner\": \".+\"}), else a string (512MiB, PT10M). Domain admins may only\n"
              "tighten: a value looser than the inherited one is refused, naming the key,\n"
              "the inherited value and the namespace it comes from.",
              1, -1},
    .opts = set_table,
    .opts_size = sizeof(const char *),
    .run = policy_set,
};

static int policy_clear(weft_t *w, void *ud)
{
    (void)ud;
    json_t *doc = json_object();
    int rc = put_policy(w, w->pos[0], doc);
    json_decref(doc);
    return rc;
}

static const weft_verb_t policy_clear_verb = {
    .usage = {"weft policy clear NAMESPACE",
              "Removes your layer of NAMESPACE's policy (what is inherited "
              "still applies).",
              1, 1},
    .run = policy_clear,
};

const wf_cmd_t weft_policy_commands[] = {
    WEFT_VERB("get", policy_get_verb,
              "show the effective policy of a namespace and where each value comes from"),
    WEFT_VERB("set", policy_set_verb, "replace your layer of a namespace's policy (tighten only)"),
    WEFT_VERB("clear", policy_clear_verb, "remove your layer of a namespace's policy"),
    WF_CMD_END,
};
