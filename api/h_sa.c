/* Service accounts of a namespace and their tokens. A token is returned once,
 * in the response that creates it; only its SHA-256 is stored. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/reply.h"
#include "auth/satoken.h"

static bool name_ok(const char *s)
{
    if (s == NULL || s[0] == '\0' || strlen(s) > 63)
        return false;
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
            return false;
    return true;
}

static json_t *sa_row(const PGresult *res, int i)
{
    static const char *const cols[] = {"namespace", "name",      "description",
                                       "createdAt", "createdBy", NULL};
    return wf_db_id_row(res, i, cols);
}

static void on_sa_created(void *arg, const PGresult *res)
{
    wf_call_t *call = arg;
    if (!wf_reply_need_row(
            call, res, WF_PROB_CONFLICT,
            wf_http_printf(call->req, "a service account with this name exists in %s", call->ns)))
        return;
    json_t *row = sa_row(res, 0);
    json_object_set_new(row, "subject",
                        json_string(wf_http_printf(call->req, "sa:%s/%s", wf_db_get(res, 0, 1),
                                                   wf_db_get(res, 0, 2))));
    wf_http_json(call->req, 201, row);
}

void wf_h_sa_create(wf_call_t *call)
{
    const char *name = json_string_value(json_object_get(call->body, "name"));
    json_t *jd = json_object_get(call->body, "description");
    const char *desc = jd ? json_string_value(jd) : "";
    if (!name_ok(name) || desc == NULL) {
        wf_http_problem(call->req, WF_PROB_INVALID, NULL,
                        "body must be {\"name\": \"[a-z0-9][a-z0-9_-]{0,62}\", "
                        "\"description\": \"...\"}");
        return;
    }
    const char *params[4] = {call->ns, name, desc, call->who.subject};
    wf_db_query(call->th->db, WF_SQL_SA_CREATE, 4, params, on_sa_created, call);
}

void wf_h_sa_list(wf_call_t *call)
{
    const char *params[1] = {call->ns};
    wf_reply_list(call, WF_SQL_SA_LIST, 1, params, sa_row);
}

/* ---- tokens -------------------------------------------------------------- */

typedef struct {
    char token[WF_SATOKEN_LEN + 1];
} token_state_t;

/* The token must not outlive the response in this process's memory. */
static void wipe_token(void *p)
{
    OPENSSL_cleanse(p, sizeof(token_state_t));
}

static void on_token_created(void *arg, const PGresult *res)
{
    wf_call_t *call = arg;
    token_state_t *st = call->state;
    if (!wf_reply_need_row(call, res, WF_PROB_NOT_FOUND, NULL))
        return;
    json_t *body = json_pack("{s:I, s:s, s:s, s:s}", "id",
                             (json_int_t)strtoll(wf_db_get(res, 0, 0), NULL, 10), "token",
                             st->token, "subject",
                             wf_http_printf(call->req, "sa:%s/%s", call->ns, call->params[1]),
                             "createdAt", wf_db_get(res, 0, 1));
    const char *exp = wf_db_get(res, 0, 2);
    json_object_set_new(body, "expiresAt", exp ? json_string(exp) : json_null());
    json_object_set_new(body, "note", json_string("the token is shown once; store it now"));
    wf_http_json(call->req, 201, body);
    OPENSSL_cleanse(st->token, sizeof(st->token));
}

void wf_h_sa_token_create(wf_call_t *call)
{
    const char *name = call->params[1];
    if (!name_ok(name)) {
        wf_http_problem(call->req, WF_PROB_NOT_FOUND, NULL, "no such resource");
        return;
    }
    json_t *jd = json_object_get(call->body, "description");
    const char *desc = jd ? json_string_value(jd) : "";
    json_t *je = json_object_get(call->body, "expiresInSeconds");
    if (desc == NULL || (je != NULL && (!json_is_integer(je) || json_integer_value(je) < 1 ||
                                        json_integer_value(je) > 10LL * 366 * 86400))) {
        wf_http_problem(call->req, WF_PROB_INVALID, NULL,
                        "body may hold \"description\" (string) and \"expiresInSeconds\" "
                        "(1 .. 10 years)");
        return;
    }
    token_state_t *st = h2o_mem_alloc_shared(&call->req->pool, sizeof(*st), wipe_token);
    call->state = st;
    if (wf_satoken_generate(st->token) != 0) {
        wf_http_problem(call->req, WF_PROB_INTERNAL, NULL, "random generator failure");
        return;
    }
    uint8_t hash[WF_SATOKEN_HASH_LEN];
    char hex[67], secs[24];
    wf_satoken_hash(st->token, WF_SATOKEN_LEN, hash);
    wf_satoken_hash_to_bytea_hex(hash, hex);
    OPENSSL_cleanse(hash, sizeof(hash));
    snprintf(secs, sizeof(secs), "%lld", je ? (long long)json_integer_value(je) : 0LL);
    const char *params[6] = {call->ns, name, hex, desc, je ? secs : NULL, call->who.subject};
    wf_db_query(call->th->db, WF_SQL_SA_TOKEN_CREATE, 6, params, on_token_created, call);
}

static json_t *token_row(const PGresult *res, int i)
{
    static const char *const cols[] = {"description", "createdAt", "createdBy", NULL};
    json_t *t = wf_db_id_row(res, i, cols);
    static const char *const opt[] = {"expiresAt", "revokedAt", "lastUsedAt"};
    for (int k = 0; k < 3; k++) {
        const char *v = wf_db_get(res, i, 4 + k);
        json_object_set_new(t, opt[k], v ? json_string(v) : json_null());
    }
    return t;
}

void wf_h_sa_token_list(wf_call_t *call)
{
    const char *params[2] = {call->ns, call->params[1]};
    wf_reply_list(call, WF_SQL_SA_TOKEN_LIST, 2, params, token_row);
}

static const wf_reply_one_t token_revoked = {.status = 204, .none = WF_PROB_NOT_FOUND};

void wf_h_sa_token_revoke(wf_call_t *call)
{
    if (!wf_http_digits(call->params[2], 18) || !name_ok(call->params[1])) {
        wf_http_problem(call->req, WF_PROB_NOT_FOUND, NULL, "no such resource");
        return;
    }
    const char *params[4] = {call->ns, call->params[1], call->params[2], call->who.subject};
    wf_reply_one(call, WF_SQL_SA_TOKEN_REVOKE, 4, params, &token_revoked);
}

/* ---- deleting an account ---------------------------------------------------- */

static void on_sa_deleted(void *arg, const PGresult *res)
{
    wf_call_t *call = arg;
    if (!wf_reply_need_row(call, res, WF_PROB_NOT_FOUND, NULL))
        return;
    wf_http_json(call->req, 200,
                 json_pack("{s:s, s:I, s:I}", "subject",
                           wf_http_printf(call->req, "sa:%s/%s", call->ns, call->params[1]),
                           "tokensRevoked", (json_int_t)strtoll(wf_db_get(res, 0, 1), NULL, 10),
                           "bindingsDeleted",
                           (json_int_t)strtoll(wf_db_get(res, 0, 2), NULL, 10)));
}

void wf_h_sa_delete(wf_call_t *call)
{
    if (!name_ok(call->params[1])) {
        wf_http_problem(call->req, WF_PROB_NOT_FOUND, NULL, "no such resource");
        return;
    }
    const char *params[3] = {call->ns, call->params[1], call->who.subject};
    wf_db_query(call->th->db, WF_SQL_SA_DELETE, 3, params, on_sa_deleted, call);
}
