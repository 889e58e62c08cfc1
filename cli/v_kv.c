/* `weft kv get|set|ls|rm`: the key-value store of a namespace. The value of
 * `set` is sent as text, so the server types it as Kestra's API does (42 is
 * a NUMBER, {"a":1} JSON, 2026-01-02 a DATE, anything else a STRING);
 * --type forces a type, --ttl makes the key expire. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"
#include "cli/out.h"
#include "cli/verb.h"
#include "cli/verbs.h"
#include "flow/kv.h"
#include "flow/time.h"
#include "platform/xmalloc.h"

#define MAX_VALUE (64 * 1024 * 1024)

enum { OPT_TYPE, OPT_TTL, OPT_DESCRIPTION, OPT_FROM_FILE, N_OPTS };

static const weft_opt_t set_table[] = {
    {"type", 0, "TYPE", OPT_TYPE,
     "STRING, NUMBER, BOOLEAN, DATETIME, DATE, DURATION or JSON (default: from the value)"},
    {"ttl", 0, "DURATION", OPT_TTL, "expire the key after this ISO-8601 duration (PT1H, P7D)"},
    {"description", 0, "TEXT", OPT_DESCRIPTION, "a description of the key"},
    {"from-file", 0, "FILE", OPT_FROM_FILE, "take the value from FILE (- for standard input)"},
    {NULL, 0, NULL, 0, NULL},
};

/* All of `f`, or NULL when it is larger than the server would take. */
static char *slurp(FILE *f, size_t *len)
{
    size_t cap = 4096, n = 0, got;
    char *b = wf_xmalloc(cap);
    while ((got = fread(b + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n > MAX_VALUE) {
            free(b);
            return NULL;
        }
        if (cap - n - 1 == 0)
            b = wf_xrealloc(b, cap *= 2);
    }
    b[n] = '\0';
    *len = n;
    return b;
}

static int kv_set(weft_t *w, void *ud)
{
    const char **o = ud;
    if (!wf_kv_key_valid(w->pos[1])) {
        weft_err(w, "%s", WF_KV_KEY_RULE);
        return WEFT_EXIT_USAGE;
    }
    /* Both go out as header lines: checked here, so neither can carry a
     * line break into the request. */
    if (o[OPT_TYPE] != NULL && wf_kv_type_parse(o[OPT_TYPE]) < 0) {
        weft_err(w, "--type must be one of STRING, NUMBER, BOOLEAN, DATETIME, DATE, DURATION, "
                    "JSON");
        return WEFT_EXIT_USAGE;
    }
    int64_t ms;
    char why[120];
    if (o[OPT_TTL] != NULL &&
        (wf_duration_parse(o[OPT_TTL], &ms, why, sizeof(why)) != 0 || ms <= 0)) {
        weft_err(w, "--ttl must be a positive ISO-8601 duration such as PT1H");
        return WEFT_EXIT_USAGE;
    }
    if (o[OPT_DESCRIPTION] != NULL && strpbrk(o[OPT_DESCRIPTION], "\r\n") != NULL) {
        weft_err(w, "--description must be one line");
        return WEFT_EXIT_USAGE;
    }
    if ((w->npos == 3) == (o[OPT_FROM_FILE] != NULL)) {
        weft_err(w, "give the value as the third argument or with --from-file, not both");
        return WEFT_EXIT_USAGE;
    }
    char *value;
    size_t len;
    if (w->npos == 3) {
        value = wf_xstrdup(w->pos[2]);
        len = strlen(value);
    } else {
        bool in = strcmp(o[OPT_FROM_FILE], "-") == 0;
        FILE *f = in ? stdin : fopen(o[OPT_FROM_FILE], "rb");
        if (f == NULL) {
            weft_err(w, "cannot read %s: %s", o[OPT_FROM_FILE], strerror(errno));
            return WEFT_EXIT_USAGE;
        }
        value = slurp(f, &len);
        if (!in)
            fclose(f);
        if (value == NULL) {
            weft_err(w, "the value is larger than 64 MiB");
            return WEFT_EXIT_USAGE;
        }
    }
    char *hdr[4] = {0};
    int nh = 0;
    if (o[OPT_TYPE] != NULL)
        hdr[nh++] = wf_xasprintf("kv-type: %s", o[OPT_TYPE]);
    if (o[OPT_TTL] != NULL)
        hdr[nh++] = wf_xasprintf("ttl: %s", o[OPT_TTL]);
    if (o[OPT_DESCRIPTION] != NULL)
        hdr[nh++] = wf_xasprintf("kv-description: %s", o[OPT_DESCRIPTION]);
    char *path = weft_pathf("/api/v1/namespaces/%s/kv/%s", w->pos[0], w->pos[1]);
    weft_resp_t r = {0};
    int rc = weft_call_with(w, "PUT", path, "text/plain", value, len, (const char *const *)hdr, &r);
    free(path);
    free(value);
    for (int i = 0; i < nh; i++)
        free(hdr[i]);
    if (rc == 0 && r.status >= 400) {
        weft_print_problem(w, &r, NULL);
        rc = WEFT_EXIT_FAIL;
    } else if (rc == 0) {
        const char *type = json_string_value(json_object_get(r.json, "type"));
        weft_out_answer(w, r.json, "set  %s/%s  %s", w->pos[0], w->pos[1], type ? type : "");
    }
    weft_resp_dispose(&r);
    return rc;
}

static const weft_verb_t kv_set_verb = {
    .usage = {"weft kv set NAMESPACE KEY [VALUE] [--type TYPE] [--ttl DURATION] "
              "[--description TEXT] [--from-file FILE]",
              "Sets KEY in the key-value store of NAMESPACE. The value is read as JSON when it\n"
              "is JSON (42, true, {\"a\": 1}, \"quoted\") and as a string otherwise; dates,\n"
              "date-times and ISO-8601 durations get their own type. --type forces one.\n"
              "Flows read it with {{ kv('KEY') }} or the kv.Get task.",
              2, 3},
    .opts = set_table,
    .opts_size = N_OPTS * sizeof(const char *),
    .run = kv_set,
};

static int kv_get(weft_t *w, void *ud)
{
    (void)ud;
    weft_resp_t r = {0};
    int rc = weft_request_at(w, "GET", "/api/v1/namespaces/%s/kv/%s", NULL, &r);
    if (rc == 0) {
        const json_t *v = json_object_get(r.json, "value");
        if (w->fmt != WEFT_OUT_TABLE) {
            weft_out_doc(w, r.json);
        } else if (json_is_string(v)) {
            printf("%s\n", json_string_value(v));
        } else {
            char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_INDENT(2));
            printf("%s\n", text ? text : "");
            free(text);
        }
    }
    weft_resp_dispose(&r);
    return rc;
}

static const weft_verb_t kv_get_verb = {
    .usage = {"weft kv get NAMESPACE KEY",
              "Prints the value of KEY in NAMESPACE: a string as it is, other types as JSON\n"
              "(-o json shows the type, description and dates too).",
              2, 2},
    .run = kv_get,
};

const wf_cmd_t weft_kv_commands[] = {
    WEFT_VERB("get", kv_get_verb, "print a value"),
    WEFT_VERB("set", kv_set_verb, "set a value (typed from the value or --type; --ttl)"),
    WEFT_SIMPLE("ls", "list the keys of a namespace"),
    WEFT_SIMPLE("rm", "delete a key"),
    WF_CMD_END,
};
