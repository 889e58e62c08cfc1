/* The `weft` verbs that are exactly one request: parse the positional
 * arguments, send one GET (or DELETE), print the answer. Each is a row of
 * one table; the command tables point here (weft_verb_run). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/verb.h"
#include "platform/text.h"
#include "platform/xmalloc.h"

/* ---- computed cells and printers ---------------------------------------- */

/* A binding's namespace; none is the platform. */
static char *cell_scope(const weft_t *w, const json_t *row, const char *member)
{
    (void)w;
    const char *ns = json_string_value(json_object_get(row, member));
    return wf_xstrdup(ns && ns[0] ? ns : "(platform)");
}

static void print_me(const weft_t *w, const json_t *me)
{
    char *groups = weft_join(json_object_get(me, "groups"), ", ");
    char *roles = weft_join(json_object_get(me, "platformRoles"), ", ");
    const char *issuer = json_string_value(json_object_get(me, "issuer"));
    printf("subject:         %s\n", json_string_value(json_object_get(me, "subject")));
    if (issuer != NULL && issuer[0] != '\0')
        printf("issuer:          %s\n", issuer);
    printf("groups:          %s\n", groups[0] ? groups : "-");
    printf("platform roles:  %s\n", roles[0] ? roles : "-");
    free(groups);
    free(roles);
    const json_t *b = json_object_get(me, "bindings");
    if (json_array_size(b) > 0) {
        static const weft_cell_t cells[] = {{"scope", cell_scope}, {NULL, NULL}};
        printf("\n");
        weft_print_table(w, "SUBJECT=subject, ROLE=role, NAMESPACE=namespace:scope", cells, b);
    }
}

/* The namespace of a row; the one asked about when the server leaves it out. */
static char *cell_namespace(const weft_t *w, const json_t *row, const char *member)
{
    const char *ns = json_string_value(json_object_get(row, member));
    return wf_xstrdup(ns ? ns : w->pos[0]);
}

/* The last part of the trigger type ("io.weft.trigger.Schedule" → "Schedule"). */
static char *cell_type(const weft_t *w, const json_t *row, const char *member)
{
    (void)w;
    const char *type = json_string_value(json_object_get(row, member));
    const char *dot = type ? strrchr(type, '.') : NULL;
    return type ? wf_xstrdup(dot ? dot + 1 : type) : NULL;
}

static char *cell_status(const weft_t *w, const json_t *row, const char *member)
{
    (void)w;
    const char *status = json_string_value(json_object_get(row, member));
    if (json_is_true(json_object_get(row, "disabled")))
        status = "disabled";
    return status ? wf_xstrdup(status) : NULL;
}

static const weft_cell_t cells[] = {
    {"namespace", cell_namespace},
    {"type", cell_type},
    {"status", cell_status},
    {NULL, NULL},
};

static void sa_deleted(const weft_t *w, const json_t *r)
{
    char t[32], b[32];
    weft_out_answer(w, r, "deleted  %s  (%s tokens revoked, %s bindings removed)",
                    wf_json_str(r, "subject"), weft_jtext(r, "tokensRevoked", t, sizeof(t)),
                    weft_jtext(r, "bindingsDeleted", b, sizeof(b)));
}

static void token_revoked(const weft_t *w, const json_t *r)
{
    (void)r;
    char *const *p = w->pos;
    weft_out_result(w,
                    json_pack("{s:s+++, s:I, s:b}", "subject", "sa:", p[0], "/", p[1], "tokenId",
                              (json_int_t)strtoll(p[2], NULL, 10), "revoked", 1),
                    "revoked  token %s of sa:%s/%s", p[2], p[0], p[1]);
}

static void grant_revoked(const weft_t *w, const json_t *r)
{
    (void)r;
    printf("revoked  grant %s of %s\n", w->pos[1], w->pos[0]);
}

/* `secret delete` and `flow delete`: "deleted NAMESPACE/NAME". */
static void deleted(const weft_t *w, const char *name_key)
{
    weft_out_result(
        w, json_pack("{s:s, s:s, s:b}", "namespace", w->pos[0], name_key, w->pos[1], "deleted", 1),
        "deleted  %s/%s", w->pos[0], w->pos[1]);
}

static void secret_deleted(const weft_t *w, const json_t *r)
{
    (void)r;
    deleted(w, "key");
}

static void kv_deleted(const weft_t *w, const json_t *r)
{
    (void)r;
    deleted(w, "key");
}

static void flow_deleted(const weft_t *w, const json_t *r)
{
    (void)r;
    deleted(w, "id");
}

/* ---- the verbs ---------------------------------------------------------- */

const weft_verb_t weft_simple_verbs[] = {
    {.prog = "weft me",
     .usage = {"weft me",
               "Who the server thinks you are: subject, groups, platform roles and role bindings.",
               0, 0},
     .path = "/api/v1/me",
     .view = {.print = print_me}},
    {.prog = "weft flow delete",
     .usage = {"weft flow delete NAMESPACE ID",
               "Deletes a flow (its revisions are kept by the server).", 2, 2},
     .method = "DELETE",
     .path = "/api/v1/flows/%s/%s",
     .done = flow_deleted},
    {.prog = "weft flow triggers",
     .usage = {"weft flow triggers NAMESPACE ID",
               "Lists a flow's triggers with their status (why one does not fire), last and next "
               "firing.",
               2, 2},
     .path = "/api/v1/flows/%s/%s/triggers",
     .view = {.cols = "TRIGGER=id, TYPE=type:type, LAST FIRED=lastFired, NEXT=nextFire, "
                      "STATUS=status:status",
              .cells = cells}},
    {.prog = "weft sa list",
     .usage = {"weft sa list NAMESPACE", "Lists the service accounts in NAMESPACE and below it.", 1,
               1},
     .path = "/api/v1/namespaces/%s/serviceaccounts",
     .view = {.rows = "results",
              .cols = "NAMESPACE=namespace, NAME=name, DESCRIPTION=description, "
                      "CREATED=createdAt, BY=createdBy"}},
    {.prog = "weft sa delete",
     .usage = {"weft sa delete NAMESPACE NAME",
               "Deletes a service account: its tokens stop working at once and the role\n"
               "bindings naming it are removed.",
               2, 2},
     .method = "DELETE",
     .path = "/api/v1/namespaces/%s/serviceaccounts/%s",
     .done = sa_deleted},
    {.prog = "weft sa token list",
     .usage = {"weft sa token list NAMESPACE NAME",
               "Lists a service account's tokens (never the secrets).", 2, 2},
     .path = "/api/v1/namespaces/%s/serviceaccounts/%s/tokens",
     .view = {.rows = "results",
              .cols = "ID=id, DESCRIPTION=description, CREATED=createdAt, EXPIRES=expiresAt, "
                      "REVOKED=revokedAt, LAST USED=lastUsedAt"}},
    {.prog = "weft sa token revoke",
     .usage = {"weft sa token revoke NAMESPACE NAME TOKEN_ID",
               "Revokes a token ('weft sa token list' shows the ids).", 3, 3},
     .method = "DELETE",
     .path = "/api/v1/namespaces/%s/serviceaccounts/%s/tokens/%s",
     .done = token_revoked},
    {.prog = "weft rbac list",
     .usage = {"weft rbac list NAMESPACE",
               "Lists the role bindings on NAMESPACE, its parents and its children.", 1, 1},
     .path = "/api/v1/bindings?namespace=%s",
     .view = {.rows = "results",
              .cols = "ID=id, SUBJECT=subject, ROLE=role, NAMESPACE=namespace, "
                      "CREATED=createdAt, BY=createdBy"}},
    {.prog = "weft secret list",
     .usage = {"weft secret list NAMESPACE",
               "Lists the secrets of NAMESPACE: names, versions, who set them and when; never "
               "values.",
               1, 1},
     .path = "/api/v1/namespaces/%s/secrets",
     .view = {.rows = "results",
              .cols = "NAMESPACE=namespace:namespace, KEY=key|name, VERSION=version, "
                      "UPDATED=updatedAt|updated|createdAt, BY=updatedBy|createdBy",
              .cells = cells}},
    {.prog = "weft secret delete",
     .usage = {"weft secret delete NAMESPACE KEY",
               "Deletes a secret; tasks that use it fail from then on.", 2, 2},
     .method = "DELETE",
     .path = "/api/v1/namespaces/%s/secrets/%s",
     .done = secret_deleted},
    {.prog = "weft kv ls",
     .usage = {"weft kv ls NAMESPACE",
               "Lists the live keys of NAMESPACE's key-value store: type, size, description,\n"
               "when they were updated and expire; never values ('weft kv get' reads one).",
               1, 1},
     .path = "/api/v1/namespaces/%s/kv",
     .view = {.rows = "results",
              .cols = "KEY=key, TYPE=type, SIZE=size, UPDATED=updateDate, EXPIRES=expirationDate, "
                      "DESCRIPTION=description"}},
    {.prog = "weft kv rm",
     .usage = {"weft kv rm NAMESPACE KEY", "Deletes KEY from NAMESPACE's key-value store.", 2, 2},
     .method = "DELETE",
     .path = "/api/v1/namespaces/%s/kv/%s",
     .done = kv_deleted},
    {.prog = "weft grant list",
     .usage = {"weft grant list NAMESPACE",
               "Lists the grants made on NAMESPACE, its parents and its children, revoked ones\n"
               "included (REVOKED shows when).",
               1, 1},
     .path = "/api/v1/namespaces/%s/grants",
     .view = {.rows = "results",
              .cols = "ID=id, NAMESPACE=namespace, FLOWS=flows:join, TO=to, EVENTS=events:join, "
                      "SUBFLOW=subflow:yesno, CREATED=createdAt, REVOKED=revokedAt"}},
    {.prog = "weft grant revoke",
     .usage = {"weft grant revoke NAMESPACE ID",
               "Revokes grant ID of NAMESPACE: its consumers' triggers stop firing and their\n"
               "subflow calls are refused. The grant stays listed, with when and who revoked it.",
               2, 2},
     .method = "DELETE",
     .path = "/api/v1/namespaces/%s/grants/%s",
     .done = grant_revoked},
    {.prog = NULL},
};
