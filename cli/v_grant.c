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
#include "cli/verbs.h"
#include "platform/cmd.h"

enum { OPT_TO = 1, OPT_FLOWS, OPT_EVENTS, OPT_SUBFLOW };

typedef struct {
    const char *to, *flows, *events;
    bool subflow;
} create_opts_t;

static const weft_opt_t create_table[] = {
    {"to", 0, "NAMESPACE", OPT_TO, "the consumer namespace (prefix) the grant is for"},
    {"flows", 0, "ID,...|*", OPT_FLOWS, "the producer flows shared (\"*\": every flow)"},
    {"events", 0, "STATE,...", OPT_EVENTS,
     "terminal states shared (default SUCCESS; SUCCESS, WARNING, FAILED, KILLED, ...)"},
    {"subflow", 0, NULL, OPT_SUBFLOW, "also let the consumer call these flows as subflows"},
    {NULL, 0, NULL, 0, NULL},
};

static int create_opt(weft_t *w, void *ud, int id, const char *val)
{
    (void)w;
    create_opts_t *o = ud;
    switch (id) {
    case OPT_TO:
        o->to = val;
        break;
    case OPT_FLOWS:
        o->flows = val;
        break;
    case OPT_EVENTS:
        o->events = val;
        break;
    case OPT_SUBFLOW:
        o->subflow = true;
        break;
    }
    return 0;
}

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

static json_t *text_list(const json_t *arr)
{
    size_t i;
    json_t *v;
    size_t len = 0;
    json_array_foreach(arr, i, v) len += json_string_length(v) + 1;
    char *buf = calloc(1, len + 1);
    if (buf == NULL)
        abort();
    json_array_foreach(arr, i, v)
    {
        if (i > 0)
            strcat(buf, ",");
        strcat(buf, json_string_value(v) ? json_string_value(v) : "");
    }
    json_t *s = json_string(buf);
    free(buf);
    return s;
}

static void print_grants(weft_t *w, json_t *results)
{
    weft_table_t *t = weft_table_create(8, "ID", "NAMESPACE", "FLOWS", "TO", "EVENTS", "SUBFLOW",
                                        "CREATED", "REVOKED");
    size_t i;
    json_t *g;
    json_array_foreach(results, i, g)
    {
        char b1[32], b2[64], b3[64];
        json_t *fl = text_list(json_object_get(g, "flows"));
        json_t *ev = text_list(json_object_get(g, "events"));
        const char *ns = json_string_value(json_object_get(g, "namespace"));
        const char *to = json_string_value(json_object_get(g, "to"));
        const char *rv = weft_jtext(g, "revokedAt", b3, sizeof(b3));
        weft_table_row(t, weft_jtext(g, "id", b1, sizeof(b1)), ns ? ns : "", json_string_value(fl),
                       to ? to : "", json_string_value(ev),
                       json_is_true(json_object_get(g, "subflow")) ? "yes" : "no",
                       weft_jtext(g, "createdAt", b2, sizeof(b2)), rv ? rv : "-");
        json_decref(fl);
        json_decref(ev);
    }
    weft_table_print(w, t);
}

static int grant_create(int argc, char **argv)
{
    static const weft_usage_t u = {
        "weft grant create NAMESPACE --to NAMESPACE --flows ID,...|* [--events STATE,...] "
        "[--subflow]",
        "Shares the completion events of flows of NAMESPACE (the producer; you must be\n"
        "its admin) with the consumer namespace given by --to: Flow triggers there may\n"
        "fire on them and see only the flows' declared outputs. --subflow also lets\n"
        "the consumer call these flows as subflows.",
        1, 1};
    weft_t w;
    create_opts_t o = {0};
    weft_resp_t r = {0};
    json_t *body = NULL;
    int rc = weft_parse(&w, "weft grant create", &u, create_table, create_opt, &o, argc, argv);
    if (rc != 0)
        goto out;
    if (o.to == NULL || o.flows == NULL) {
        weft_err(&w, "--to and --flows are required (--flows '*' shares every flow)");
        rc = WEFT_EXIT_USAGE;
        goto out;
    }
    body = json_pack("{s:o, s:s, s:o, s:b}", "flows", split_list(o.flows), "to", o.to, "events",
                     split_list(o.events ? o.events : "SUCCESS"), "subflow", o.subflow);
    char *path = weft_pathf("/api/v1/namespaces/%s/grants", w.pos[0]);
    rc = weft_request(&w, "POST", path, body, &r);
    free(path);
    if (rc != 0)
        goto out;
    if (w.fmt != WEFT_OUT_TABLE) {
        weft_out_doc(&w, r.json);
    } else {
        char b[32];
        printf("granted  %s -> %s  id %s\n", w.pos[0], o.to,
               weft_jtext(r.json, "id", b, sizeof(b)));
    }
out:
    json_decref(body);
    weft_resp_dispose(&r);
    return weft_done(&w, rc);
}

static int grant_list(int argc, char **argv)
{
    static const weft_usage_t u = {
        "weft grant list NAMESPACE",
        "Lists the grants made on NAMESPACE, its parents and its children, revoked ones\n"
        "included (REVOKED shows when).",
        1, 1};
    weft_t w;
    weft_resp_t r = {0};
    int rc = weft_parse(&w, "weft grant list", &u, NULL, NULL, NULL, argc, argv);
    if (rc != 0)
        goto out;
    char *path = weft_pathf("/api/v1/namespaces/%s/grants", w.pos[0]);
    rc = weft_request(&w, "GET", path, NULL, &r);
    free(path);
    if (rc != 0)
        goto out;
    json_t *results = json_object_get(r.json, "results");
    if (w.fmt != WEFT_OUT_TABLE)
        weft_out_doc(&w, results ? results : json_array());
    else
        print_grants(&w, results);
out:
    weft_resp_dispose(&r);
    return weft_done(&w, rc);
}

static int grant_revoke(int argc, char **argv)
{
    static const weft_usage_t u = {
        "weft grant revoke NAMESPACE ID",
        "Revokes grant ID of NAMESPACE: its consumers' triggers stop firing and their\n"
        "subflow calls are refused. The grant stays listed, with when and who revoked it.",
        2, 2};
    weft_t w;
    weft_resp_t r = {0};
    int rc = weft_parse(&w, "weft grant revoke", &u, NULL, NULL, NULL, argc, argv);
    if (rc != 0)
        goto out;
    char *path = weft_pathf("/api/v1/namespaces/%s/grants/%s", w.pos[0], w.pos[1]);
    rc = weft_request(&w, "DELETE", path, NULL, &r);
    free(path);
    if (rc == 0)
        printf("revoked  grant %s of %s\n", w.pos[1], w.pos[0]);
out:
    weft_resp_dispose(&r);
    return weft_done(&w, rc);
}

static const wf_cmd_t grant_commands[] = {
    {"create", grant_create, "share flows' completion events with a consumer namespace"},
    {"list", grant_list, "list grants, revoked ones included"},
    {"revoke", grant_revoke, "revoke a grant (it stays in the history)"},
    {NULL, NULL, NULL},
};

int weft_grant_main(int argc, char **argv)
{
    return wf_cmd_dispatch("weft grant", "Cross-team grants of a producer namespace.",
                           grant_commands, argc, argv);
}
