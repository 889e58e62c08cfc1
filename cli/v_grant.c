/* `weft grant create|list|revoke`: cross-team grants of a producer namespace.
 * A grant shares the completion events (and, with --subflow, subflow calls)
 * of some flows with a consumer namespace prefix; the server checks every
 * value and answers precisely, so the client only shapes the request. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"
#include "cli/out.h"
#include "cli/verb.h"
#include "cli/verbs.h"
#include "platform/cmd.h"

enum { OPT_TO, OPT_FLOWS, OPT_EVENTS, OPT_SUBFLOW, OPT_COUNT };

static const weft_opt_t create_table[] = {
    {"to", 0, "NAMESPACE", OPT_TO, "the consumer namespace (prefix) the grant is for"},
    {"flows", 0, "ID,...|*", OPT_FLOWS, "the producer flows shared (\"*\": every flow)"},
    {"events", 0, "STATE,...", OPT_EVENTS,
     "terminal states shared (default SUCCESS; SUCCESS, WARNING, FAILED, KILLED, ...)"},
    {"subflow", 0, NULL, OPT_SUBFLOW, "also let the consumer call these flows as subflows"},
    {NULL, 0, NULL, 0, NULL},
};

/* "a,b,c" as a JSON array of strings (empty items dropped). */
static json_t *split_list(const char *s)
{
    json_t *arr = json_array();
    const char *p = s;
    while (*p) {
        const char *c = strchr(p, ',');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        if (n > 0)
            json_array_append_new(arr, json_stringn(p, n));
        p += n + (c ? 1 : 0);
    }
    return arr;
}

static int grant_create(weft_t *w, void *ud)
{
    const char **o = ud;
    weft_resp_t r = {0};
    json_t *body = NULL;
    int rc = 0;
    if (o[OPT_TO] == NULL || o[OPT_FLOWS] == NULL) {
        weft_err(w, "--to and --flows are required (--flows '*' shares every flow)");
        rc = WEFT_EXIT_USAGE;
        goto out;
    }
    body = json_pack("{s:o, s:s, s:o, s:b}", "flows", split_list(o[OPT_FLOWS]), "to", o[OPT_TO],
                     "events", split_list(o[OPT_EVENTS] ? o[OPT_EVENTS] : "SUCCESS"), "subflow",
                     o[OPT_SUBFLOW] != NULL);
    rc = weft_request_at(w, "POST", "/api/v1/namespaces/%s/grants", body, &r);
    if (rc != 0)
        goto out;
    char b[32];
    weft_out_answer(w, r.json, "granted  %s -> %s  id %s", w->pos[0], o[OPT_TO],
                    weft_jtext(r.json, "id", b, sizeof(b)));
out:
    json_decref(body);
    weft_resp_dispose(&r);
    return rc;
}

static const weft_verb_t grant_create_verb = {
    .usage = {"weft grant create NAMESPACE --to NAMESPACE --flows ID,...|* [--events STATE,...] "
              "[--subflow]",
              "Shares the completion events of flows of NAMESPACE (the producer; you must be\n"
              "its admin) with the consumer namespace given by --to: Flow triggers there may\n"
              "fire on them and see only the flows' declared outputs. --subflow also lets\n"
              "the consumer call these flows as subflows.",
              1, 1},
    .opts = create_table,
    .opts_size = sizeof(const char *[OPT_COUNT]),
    .run = grant_create,
};

const wf_cmd_t weft_grant_commands[] = {
    WEFT_VERB("create", grant_create_verb,
              "share flows' completion events with a consumer namespace"),
    WEFT_SIMPLE("list", "list grants, revoked ones included"),
    WEFT_SIMPLE("revoke", "revoke a grant (it stays in the history)"),
    WF_CMD_END,
};
