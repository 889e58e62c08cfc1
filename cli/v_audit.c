/* weft audit list: the audit log through GET /api/v1/audit, newest first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/client.h"
#include "cli/out.h"
#include "cli/verbs.h"
#include "platform/cmd.h"
#include "platform/xmalloc.h"

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

/* A denial names its reason: the column the reader looks for. A summary of
 * repeated denials also says how many it stands for and over what time. */
static char *cell_result(const weft_t *w, const json_t *row, const char *member)
{
    (void)w;
    char b[64], res[300], times[160] = "";
    const char *result = weft_jtext(row, member, b, sizeof(b));
    const char *reason = json_string_value(json_object_get(row, "reason"));
    json_int_t count = json_integer_value(json_object_get(row, "count"));
    const char *first = json_string_value(json_object_get(row, "firstSeen"));
    const char *last = json_string_value(json_object_get(row, "lastSeen"));
    if (count > 1 && first != NULL && last != NULL)
        snprintf(times, sizeof(times), " x%lld %s..%s", (long long)count, first, last);
    if (reason == NULL || reason[0] == '\0')
        snprintf(res, sizeof(res), "%s%s", result ? result : "", times);
    else
        snprintf(res, sizeof(res), "%s (%s)%s", result ? result : "", reason, times);
    return wf_xstrdup(res);
}

static int audit_list(weft_t *w, void *ud)
{
    const char **v = ud;
    weft_resp_t r = {0};
    char *path = NULL;
    int rc = 0;
    path = wf_xstrdup("/api/v1/audit");
    for (int i = 0; i < F_COUNT; i++) {
        if (v[i] == NULL)
            continue;
        char *q = weft_pathf("%s=%s", filter_param[i], v[i]);
        char *n = wf_xasprintf("%s%c%s", path, strchr(path, '?') ? '&' : '?', q);
        free(q);
        free(path);
        path = n;
    }
    rc = weft_request(w, "GET", path, NULL, &r);
    if (rc != 0)
        goto out;
    if (w->fmt != WEFT_OUT_TABLE) {
        weft_out_doc(w, r.json);
        goto out;
    }
    static const weft_cell_t cells[] = {{"result", cell_result}, {NULL, NULL}};
    weft_print_table(w,
                     "SEQ=seq, TIME=ts, ACTOR=actor, ACTION=action, NAMESPACE=namespace, "
                     "TARGET=target, RESULT=result:result",
                     cells, json_object_get(r.json, "results"));
    const char *next = json_string_value(json_object_get(r.json, "next"));
    if (next != NULL)
        printf("more: --before %s\n", next);
out:
    free(path);
    weft_resp_dispose(&r);
    return rc;
}

static const weft_verb_t audit_list_verb = {
    .usage = {"weft audit list [--namespace NS] [--actor S] [--action A] [--result R] [--since T] "
              "[--before SEQ] [--limit N]",
              "Lists audit entries, newest first. The whole log is for auditors and\n"
              "platform-admins; admins of a namespace read its entries with --namespace.\n"
              "When more entries exist, the last line gives the --before value of the next page.",
              0, 0},
    .opts = list_table,
    .opts_size = sizeof(const char *[F_COUNT]),
    .run = audit_list,
};

const wf_cmd_t weft_audit_commands[] = {
    WEFT_VERB("list", audit_list_verb, "list audit entries (filters, newest first)"),
    WF_CMD_END,
};
