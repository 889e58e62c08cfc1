/* weft audit list: the audit log through GET /api/v1/audit, newest first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/client.h"
#include "cli/out.h"
#include "cli/verbs.h"
#include "platform/cmd.h"

/* Filters, in the order of the query string. */
enum { F_NAMESPACE, F_ACTOR, F_ACTION, F_RESULT, F_SINCE, F_BEFORE, F_SIZE, F_COUNT };
static const char *const filter_param[F_COUNT] = {"namespace", "actor",  "action", "result",
                                                  "since",     "before", "size"};

static const weft_opt_t list_table[] = {
    {"namespace", 'n', "NS", F_NAMESPACE, "entries of NS and below (else the whole log)"},
    {"actor", 0, "SUBJECT", F_ACTOR, "only this actor (user:..., sa:NS/NAME, ...)"},
    {"action", 0, "ACTION", F_ACTION, "only this action (secret.set, binding.create, ...)"},
    {"result", 0, "RESULT", F_RESULT, "allowed, denied or failed"},
    {"since", 0, "TIME", F_SINCE, "entries at or after TIME (ISO-8601)"},
    {"before", 0, "SEQ", F_BEFORE, "entries before sequence number SEQ (next page)"},
    {"limit", 0, "N", F_SIZE, "at most N entries (default 100, at most 1000)"},
    {NULL, 0, NULL, 0, NULL},
};

typedef struct {
    const char *v[F_COUNT];
} list_opts_t;

static int list_opt(weft_t *w, void *ud, int id, const char *val)
{
    (void)w;
    ((list_opts_t *)ud)->v[id] = val;
    return 0;
}

static int audit_list(int argc, char **argv)
{
    static const weft_usage_t u = {
        "weft audit list [--namespace NS] [--actor S] [--action A] [--result R] [--since T] "
        "[--before SEQ] [--limit N]",
        "Lists audit entries, newest first. The whole log is for auditors and\n"
        "platform-admins; admins of a namespace read its entries with --namespace.\n"
        "When more entries exist, the last line gives the --before value of the next page.",
        0, 0};
    weft_t w;
    list_opts_t o = {0};
    weft_resp_t r = {0};
    char *path = NULL;
    int rc = weft_parse(&w, "weft audit list", &u, list_table, list_opt, &o, argc, argv);
    if (rc != 0)
        goto out;
    path = strdup("/api/v1/audit");
    for (int i = 0; path != NULL && i < F_COUNT; i++) {
        if (o.v[i] == NULL)
            continue;
        char *q =
            weft_pathf(strchr(path, '?') ? "%s&%s=%s" : "%s?%s=%s", "", filter_param[i], o.v[i]);
        char *n = q ? malloc(strlen(path) + strlen(q) + 1) : NULL;
        if (n != NULL)
            sprintf(n, "%s%s", path, q);
        free(q);
        free(path);
        path = n;
    }
    if (path == NULL) {
        rc = WEFT_EXIT_FAIL;
        goto out;
    }
    rc = weft_request(&w, "GET", path, NULL, &r);
    if (rc != 0)
        goto out;
    json_t *results = json_object_get(r.json, "results");
    if (w.fmt != WEFT_OUT_TABLE) {
        weft_out_doc(&w, r.json);
        goto out;
    }
    weft_table_t *t =
        weft_table_create(7, "SEQ", "TIME", "ACTOR", "ACTION", "NAMESPACE", "TARGET", "RESULT");
    size_t i;
    json_t *x;
    json_array_foreach(results, i, x)
    {
        char b[7][256];
        static const char *const cols[7] = {"seq",       "ts",     "actor", "action",
                                            "namespace", "target", "result"};
        const char *v[7];
        for (int c = 0; c < 7; c++) {
            v[c] = weft_jtext(x, cols[c], b[c], sizeof(b[c]));
            if (v[c] == NULL)
                v[c] = "";
        }
        /* A denial names its reason: the column the reader looks for. */
        const char *reason = json_string_value(json_object_get(x, "reason"));
        char res[300];
        if (reason != NULL && reason[0] != '\0') {
            snprintf(res, sizeof(res), "%s (%s)", v[6], reason);
            v[6] = res;
        }
        weft_table_row(t, v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
    }
    weft_table_print(&w, t);
    const char *next = json_string_value(json_object_get(r.json, "next"));
    if (next != NULL)
        printf("more: --before %s\n", next);
out:
    free(path);
    weft_resp_dispose(&r);
    return weft_done(&w, rc);
}

static const wf_cmd_t audit_commands[] = {
    {"list", audit_list, "list audit entries (filters, newest first)"},
    {NULL, NULL, NULL},
};

int weft_audit_main(int argc, char **argv)
{
    return wf_cmd_dispatch("weft audit", "The append-only, hash-chained audit log.", audit_commands,
                           argc, argv);
}
