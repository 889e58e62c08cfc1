/* Secrets of a namespace: write-only. The gateway seals each value to the
 * owning domain's public key (tenants/seal.h) and stores only the sealed
 * bytes; it holds no key that opens them. No response, log line, audit entry
 * or error ever carries a value: the value is wiped from the parsed body and
 * the raw request body as soon as it is sealed (or refused). */
#include <openssl/crypto.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/reply.h"
#include "platform/text.h"
#include "tenants/seal.h"

#define SECRET_VALUE_MAX (1024 * 1024)

/* Same rule as the secrets.key CHECK constraint (migration 0001). */
static bool key_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 128)
        return false;
    if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
        return false;
    for (size_t i = 1; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return false;
    }
    return true;
}

/* The value lives in the jansson string and in the buffered request body:
 * both are wiped once the handler is done with them. */
static void wipe_value(wf_call_t *call)
{
    json_t *v = json_object_get(call->body, "value");
    if (json_is_string(v))
        OPENSSL_cleanse((char *)json_string_value(v), json_string_length(v));
    if (call->req->entity.base != NULL && call->req->entity.len > 0)
        OPENSSL_cleanse(call->req->entity.base, call->req->entity.len);
}

typedef struct {
    const char *key;
} secret_state_t;

static json_t *secret_row(const PGresult *res, int i)
{
    return json_pack("{s:s, s:s, s:I, s:s, s:s}", "namespace", wf_db_get(res, i, 0), "key",
                     wf_db_get(res, i, 1), "version",
                     (json_int_t)strtoll(wf_db_get(res, i, 2), NULL, 10), "updatedAt",
                     wf_db_get(res, i, 3), "updatedBy", wf_db_get(res, i, 4));
}

/* No row: another writer stored the same version first. The value was
 * sealed for a version that is no longer next, so it is not stored. */
static const wf_reply_one_t stored = {.status = 200,
                                      .row = secret_row,
                                      .none = WF_PROB_CONFLICT,
                                      .none_detail =
                                          "the secret was changed concurrently; set it again"};

/* Row: domain, public key (base64, may be NULL), next version. */
static void on_secret_target(void *arg, const PGresult *res)
{
    wf_call_t *call = arg;
    secret_state_t *st = call->state;
    uint8_t pub[WF_SEAL_KEY_LEN];
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;

    if (!wf_db_ok(res)) {
        wipe_value(call);
        wf_call_db_error(call, res);
        return;
    }
    if (PQntuples(res) == 0) {
        wipe_value(call);
        wf_http_problem(call->req, WF_PROB_INVALID, NULL, "namespace %s is owned by no domain",
                        call->ns);
        return;
    }
    const char *domain = wf_db_get(res, 0, 0);
    if (PQgetisnull(res, 0, 1) || wf_seal_key_from_b64(wf_db_get(res, 0, 1), pub) != 0) {
        wipe_value(call);
        wf_http_problem(call->req, WF_PROB_INVALID, NULL,
                        "domain %s has no sealing key registered yet (start its executor, or "
                        "run weftd keygen --domain %s)",
                        domain, domain);
        return;
    }
    const char *version = wf_db_get(res, 0, 2);
    json_t *v = json_object_get(call->body, "value");
    int rc = wf_seal_secret(pub, call->ns, st->key, strtoull(version, NULL, 10),
                            (const uint8_t *)json_string_value(v), json_string_length(v), &sealed,
                            &sealed_len);
    wipe_value(call);
    if (rc != 0) {
        wf_http_problem(call->req, WF_PROB_INTERNAL, NULL, "sealing failed: %s",
                        wf_seal_strerror(rc));
        return;
    }
    /* bytea in hex text form: "\x" + two digits a byte. */
    char *hex = h2o_mem_alloc_pool(&call->req->pool, 2 * sealed_len + 3);
    wf_bytea_hex(hex, sealed, sealed_len);
    free(sealed);
    const char *params[6] = {call->ns, st->key, domain, version, hex, call->who.subject};
    wf_reply_one(call, WF_SQL_SECRET_STORE, 6, params, &stored);
}

void wf_h_secret_put(wf_call_t *call)
{
    const char *key = wf_call_param(call, "key");
    json_t *v = json_object_get(call->body, "value");
    if (!key_ok(key)) {
        wipe_value(call);
        wf_http_problem(call->req, WF_PROB_INVALID, NULL,
                        "a secret key is [A-Za-z_][A-Za-z0-9_.-]{0,127}");
        return;
    }
    if (!json_is_string(v) || json_object_size(call->body) != 1) {
        wipe_value(call);
        wf_http_problem(call->req, WF_PROB_INVALID, NULL, "body must be {\"value\": \"...\"}");
        return;
    }
    size_t n = json_string_length(v);
    if (n == 0 || n > SECRET_VALUE_MAX || memchr(json_string_value(v), '\0', n) != NULL) {
        wipe_value(call);
        wf_http_problem(call->req, WF_PROB_INVALID, NULL,
                        "the value must be 1 byte to 1 MiB of text without NUL bytes");
        return;
    }
    secret_state_t *st = h2o_mem_alloc_pool(&call->req->pool, sizeof(*st));
    st->key = key;
    call->state = st;
    const char *params[2] = {call->ns, key};
    wf_db_query(call->th->db, WF_SQL_SECRET_TARGET, 2, params, on_secret_target, call);
}

void wf_h_secret_list(wf_call_t *call)
{
    const char *params[1] = {call->ns};
    wf_reply_list(call, WF_SQL_SECRET_LIST, 1, params, secret_row);
}

static const wf_reply_one_t deleted = {
    .status = 204, .none = WF_PROB_NOT_FOUND, .none_detail = "no such secret"};

void wf_h_secret_delete(wf_call_t *call)
{
    const char *key = wf_call_param(call, "key");
    if (!key_ok(key)) {
        wf_http_problem(call->req, WF_PROB_NOT_FOUND, NULL, "no such secret");
        return;
    }
    const char *params[3] = {call->ns, key, call->who.subject};
    wf_reply_one(call, WF_SQL_SECRET_DELETE, 3, params, &deleted);
}
