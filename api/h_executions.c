/* Executions: start (API or webhook), read, list, kill, resume, restart. A new
 * execution is one INSERT whose statement also audits it and wakes the
 * owning domain's executors; the 202 is sent after that statement commits.
 * A start with an Idempotency-Key header answers a retry within 24 hours
 * with the execution the first request created (docs/gateway.md). */
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/inputs.h"
#include "api/reply.h"
#include "api/uploads.h"
#include "platform/log.h"
#include "tenants/policy.h"
#include "tenants/seal.h"

#define MAX_WAIT_SECONDS 300
#define IDEMPOTENCY_KEY_MAX 255
#define CREATE_PARAMS 10

typedef struct {
    const char *ns, *flow_id;
    const char *webhook_key; /* webhook calls only */
    int wait_seconds;
    uint64_t deadline_ms;
    const char *create[CREATE_PARAMS]; /* EXEC_CREATE(_KEYED)'s parameters, kept in the
                                          request's pool while the quota is checked */
    const char *idem_key;    /* Idempotency-Key header, NULL without one */
    const char *fingerprint; /* SHA-256 (hex) of the body sent with the key */
    int64_t quota;         /* maxActiveExecutions that applies */
    const char *quota_from; /* the prefix setting it, NULL for the built-in value */
    char id[WF_EXECUTION_ID_LEN + 1];
    wf_upload_t *upload; /* multipart requests: the FILE inputs to store with the row */
    h2o_timeout_entry_t tick;
    wf_call_t *call;
} run_state_t;

/* ---- ?wait: poll until a terminal state or the deadline ---------------- */

static void poll_state(run_state_t *st);

/* The execution was created by this call: not finding it again is a
 * database error, not a 404. */
static bool still_there(wf_call_t *call, const PGresult *res)
{
    if (wf_db_ok(res) && PQntuples(res) > 0)
        return true;
    wf_call_db_error(call, res);
    return false;
}

static void on_final_doc(void *arg, const PGresult *res)
{
    run_state_t *st = arg;
    wf_call_t *call = st->call;
    if (!still_there(call, res))
        return;
    /* 200 once finished; 202 when the wait ran out first. */
    wf_reply_raw(call, wf_state_terminal(wf_db_get(res, 0, 2)) ? 200 : 202,
                 wf_db_get(res, 0, 1));
}

static void on_poll(void *arg, const PGresult *res)
{
    run_state_t *st = arg;
    wf_call_t *call = st->call;
    if (!still_there(call, res))
        return;
    const char *state = wf_db_get(res, 0, 1);
    uint64_t now = h2o_now(call->th->ctx.loop);
    if (wf_state_terminal(state) || now >= st->deadline_ms || call->th->stopping) {
        const char *params[1] = {st->id};
        wf_db_query(call->th->db, WF_SQL_EXEC_GET, 1, params, on_final_doc, st);
        return;
    }
    h2o_timeout_link(call->th->ctx.loop, &call->th->poll_timeout, &st->tick);
}

static void on_tick(h2o_timeout_entry_t *entry)
{
    run_state_t *st = H2O_STRUCT_FROM_MEMBER(run_state_t, tick, entry);
    poll_state(st);
}

static void poll_state(run_state_t *st)
{
    const char *params[1] = {st->id};
    wf_db_query(st->call->th->db, WF_SQL_EXEC_META, 1, params, on_poll, st);
}

/* ---- creation ---------------------------------------------------------- */

static void find_key(run_state_t *st, bool after_race);
static void ignore_result(void *arg, const PGresult *res)
{
    (void)arg;
    (void)res;
}

static void on_created(void *arg, const PGresult *res)
{
    run_state_t *st = arg;
    wf_call_t *call = st->call;
    if (res == NULL && wf_upload_refusal(st->upload) != NULL) {
        wf_http_problem(call->req, WF_PROB_TOO_LARGE,
                        json_pack("{s:s}", "limit", "maxStorage"), "%s",
                        wf_upload_refusal(st->upload));
        return;
    }
    if (st->idem_key != NULL && wf_db_ok(res) && PQntuples(res) == 0) {
        /* Either a concurrent request with the same key won, or the
         * namespace has no domain: the key's row tells which. */
        find_key(st, true);
        return;
    }
    if (!wf_reply_need_row(call, res, WF_PROB_INVALID,
                           wf_http_printf(call->req, "namespace %s belongs to no domain",
                                          st->ns)))
        return;
    if (st->idem_key != NULL)
        /* Housekeeping off the answer's path: expired keys, a few at a time. */
        wf_db_query(call->th->db, WF_SQL_IDEM_SWEEP, 0, NULL, ignore_result, NULL);
    if (st->wait_seconds > 0) {
        st->deadline_ms = h2o_now(call->th->ctx.loop) + (uint64_t)st->wait_seconds * 1000;
        st->tick.cb = on_tick;
        poll_state(st);
        return;
    }
    wf_http_json(call->req, 202,
                 json_pack("{s:s, s:s, s:s, s:{s:s}, s:s}", "id", st->id, "namespace", st->ns,
                           "flowId", st->flow_id, "state", "current", "CREATED", "created",
                           wf_db_get(res, 0, 2)));
}

/* ---- the domain's quota of unfinished executions ------------------------- */

static void on_active(void *arg, const PGresult *res)
{
    run_state_t *st = arg;
    wf_call_t *call = st->call;
    if (!wf_reply_need_row(call, res, WF_PROB_INTERNAL, NULL))
        return;
    long long active = atoll(wf_db_get(res, 0, 0));
    if (active >= st->quota) {
        const char *where = st->quota_from == NULL ? "built in; a policy on the root may change it"
                            : st->quota_from[0] == '\0'
                                ? "on the root"
                                : wf_http_printf(call->req, "on '%s'", st->quota_from);
        const char *under = st->quota_from && st->quota_from[0]
                                ? wf_http_printf(call->req, " under '%s'", st->quota_from)
                                : "";
        wf_info("execution of %s/%s refused: %lld unfinished executions%s (maxActiveExecutions)",
                st->ns, st->flow_id, active, under);
        wf_http_problem(call->req, WF_PROB_TOO_MANY,
                        json_pack("{s:s, s:I, s:s?}", "limit", "maxActiveExecutions", "value",
                                  (json_int_t)st->quota, "from", st->quota_from),
                        "the domain of namespace %s has %lld unfinished executions%s, the limit "
                        "of policy maxActiveExecutions (%s): retry when some have finished",
                        st->ns, active, under, where);
        return;
    }
    if (wf_upload_count(st->upload) > 0)
        /* The files go in the execution's own transaction: the executors
         * are woken at its COMMIT, with every file complete. */
        wf_upload_commit(call, st->upload,
                         st->idem_key ? WF_SQL_EXEC_CREATE_KEYED : WF_SQL_EXEC_CREATE,
                         st->idem_key ? CREATE_PARAMS : 8, st->create, on_created, st);
    else if (st->idem_key != NULL)
        wf_db_query(call->th->db, WF_SQL_EXEC_CREATE_KEYED, CREATE_PARAMS, st->create,
                    on_created, st);
    else
        wf_db_query(call->th->db, WF_SQL_EXEC_CREATE, 8, st->create, on_created, st);
}

/* The policy of the namespace: which maxActiveExecutions applies, then the
 * count of the domain's unfinished executions under the prefix setting it.
 * A loop or a flood of one domain stops at its own quota; the count reads
 * that domain's rows only, so other domains are not touched. */
static void on_quota_policy(void *arg, const PGresult *res)
{
    run_state_t *st = arg;
    wf_call_t *call = st->call;
    wf_policy_t *p = wf_h_policy_chain(call, res, st->ns, false, false);
    if (p == NULL)
        return;
    const char *from = NULL;
    wf_policy_bound(p, WF_POL_MAX_ACTIVE_EXECUTIONS, &st->quota, &from);
    st->quota_from = from ? wf_http_strdup(call->req, from) : NULL;
    int64_t max_storage;
    const char *sfrom = NULL;
    if (st->upload != NULL && wf_policy_bound(p, WF_POL_MAX_STORAGE, &max_storage, &sfrom))
        /* Uploads count against the domain's storage quota, as task files do. */
        wf_upload_set_quota(st->upload, max_storage, sfrom ? wf_http_strdup(call->req, sfrom)
                                                           : NULL);
    wf_policy_destroy(p);
    const char *params[3] = {st->ns, st->quota_from ? st->quota_from : "",
                             wf_http_printf(call->req, "%lld", (long long)st->quota)};
    wf_db_query(call->th->db, WF_SQL_EXEC_ACTIVE, 3, params, on_active, st);
}

/* Constant-time webhook key check: hashing first makes the comparison
 * independent of where, and whether in length, the keys differ. */
static bool key_matches(const char *expected, const char *given)
{
    unsigned char a[SHA256_DIGEST_LENGTH], b[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)expected, strlen(expected), a);
    SHA256((const unsigned char *)given, strlen(given), b);
    bool same = CRYPTO_memcmp(a, b, sizeof(a)) == 0;
    OPENSSL_cleanse(a, sizeof(a));
    OPENSSL_cleanse(b, sizeof(b));
    return same;
}

static bool webhook_allowed(const wf_flow_t *flow, const char *key)
{
    bool ok = false;
    for (size_t i = 0; i < flow->n_triggers; i++) {
        const wf_trigger_t *t = &flow->triggers[i];
        /* Every trigger is compared so the time does not tell which matched. */
        if (t->kind == WF_TRIGGER_WEBHOOK && !t->disabled && t->key != NULL &&
            key_matches(t->key, key))
            ok = true;
    }
    return ok;
}

static void on_flow(void *arg, const PGresult *res)
{
    run_state_t *st = arg;
    wf_call_t *call = st->call;
    if (!wf_reply_need_row(call, res, WF_PROB_NOT_FOUND, NULL))
        return;
    const char *source = wf_db_get(res, 0, 1);
    wf_diags_t diags;
    wf_flow_t *flow = wf_flow_parse(source, strlen(source), "flow.yaml", &diags);
    wf_diags_dispose(&diags);
    if (flow == NULL) {
        wf_http_problem(call->req, WF_PROB_INVALID, NULL,
                        "the stored flow no longer validates: apply it again");
        return;
    }
    if (st->webhook_key != NULL && !webhook_allowed(flow, st->webhook_key)) {
        wf_flow_free(flow);
        wf_info("webhook refused for %s/%s", st->ns, st->flow_id);
        /* Same answer as an unknown flow: a wrong key reveals nothing. */
        wf_http_problem(call->req, WF_PROB_NOT_FOUND, NULL, "no such resource");
        return;
    }
    if (wf_db_get(res, 0, 2)[0] == 't') {
        wf_flow_free(flow);
        wf_http_problem(call->req, WF_PROB_INVALID, NULL, "flow %s/%s is disabled", st->ns,
                        st->flow_id);
        return;
    }
    /* The id comes first: uploaded files are stored under it, and SECRET
     * ciphertexts are bound to it. */
    if (wf_execution_id(st->id) != 0) {
        wf_flow_free(flow);
        wf_http_problem(call->req, WF_PROB_INTERNAL, NULL, "random generator failure");
        return;
    }
    json_t *errors = json_array();
    json_t *fields = NULL, *files = NULL;
    const json_t *given = st->webhook_key ? NULL : call->body;
    bool multipart = st->webhook_key == NULL && wf_upload_is_multipart(call->req);
    if (multipart) {
        const char *bad = NULL;
        st->upload = wf_upload_read(call, flow, st->id, &fields, &files, errors, &bad);
        if (bad != NULL) {
            wf_flow_free(flow);
            json_decref(errors);
            wf_http_problem(call->req, WF_PROB_BAD_REQUEST, NULL, "malformed multipart body: %s",
                            bad);
            return;
        }
        given = fields;
    }
    json_t *inputs = st->upload != NULL || !multipart
                         ? wf_inputs_validate_files(flow, given, files, errors)
                         : NULL;
    json_decref(fields);
    json_decref(files);
    json_t *labels = json_object();
    for (size_t i = 0; i < flow->n_labels; i++)
        json_object_set_new(labels, flow->labels[i].key, json_string(flow->labels[i].value));
    /* SECRET inputs are sealed to the domain before anything is stored: the
     * id comes first since the ciphertext is bound to it. */
    int sealed = 0;
    if (inputs != NULL) {
        uint8_t pub[WF_SEAL_KEY_LEN];
        const char *pub_b64 = wf_db_get(res, 0, 4);
        bool have_pub = pub_b64 != NULL && wf_seal_key_from_b64(pub_b64, pub) == 0;
        sealed = wf_inputs_seal(flow, inputs, have_pub ? pub : NULL, st->ns, st->flow_id,
                                st->id);
    }
    wf_flow_free(flow);
    if (inputs == NULL) {
        json_decref(labels);
        wf_http_problem(call->req, WF_PROB_INVALID, json_pack("{s:o}", "errors", errors),
                        "invalid inputs");
        return;
    }
    json_decref(errors);
    if (sealed < 0) {
        json_decref(inputs);
        json_decref(labels);
        if (sealed == -2)
            wf_http_problem(call->req, WF_PROB_INVALID, NULL,
                            "domain %s has no sealing key yet (start its executor): SECRET "
                            "inputs cannot be accepted",
                            wf_db_get(res, 0, 3));
        else
            wf_http_problem(call->req, WF_PROB_INTERNAL, NULL, "cannot seal the inputs");
        return;
    }
    if (sealed > 0 && multipart)
        /* The SECRET fields only: the files are still to be written. */
        wf_upload_wipe_secrets(st->upload);
    else if (sealed > 0 && st->webhook_key == NULL && call->req->entity.base != NULL)
        /* The raw body held the values too. */
        OPENSSL_cleanse((char *)call->req->entity.base, call->req->entity.len);
    json_t *trigger;
    const char *started_by;
    if (st->webhook_key != NULL) {
        h2o_iovec_t b = call->req->entity;
        json_t *body = b.base ? json_loadb(b.base, b.len, 0, NULL) : NULL;
        if (body == NULL && b.base != NULL && b.len > 0)
            body = json_stringn_nocheck(b.base, b.len);
        trigger = json_pack("{s:s, s:o}", "type", "webhook", "body", body ? body : json_null());
        started_by = wf_http_printf(call->req, "webhook:%s/%s", st->ns, st->flow_id);
    } else {
        trigger = json_pack("{s:s, s:s}", "type", "api", "by", call->who.subject);
        started_by = call->who.subject;
    }
    char *inputs_text = json_dumps(inputs, JSON_COMPACT);
    char *labels_text = json_dumps(labels, JSON_COMPACT);
    char *trigger_text = json_dumps(trigger, JSON_COMPACT);
    json_decref(inputs);
    json_decref(labels);
    json_decref(trigger);
    if (inputs_text == NULL || labels_text == NULL || trigger_text == NULL) {
        wf_http_problem(call->req, WF_PROB_INTERNAL, NULL, "cannot create the execution");
    } else {
        const char *params[8] = {st->id,     st->ns,      st->flow_id,  wf_db_get(res, 0, 0),
                                 inputs_text, labels_text, trigger_text, started_by};
        for (int i = 0; i < 8; i++)
            st->create[i] = wf_http_strdup(call->req, params[i]);
        st->create[8] = st->idem_key;
        st->create[9] = st->fingerprint;
        const char *pq[1] = {st->ns};
        wf_db_query(call->th->db, WF_SQL_POLICY_CHAIN, 1, pq, on_quota_policy, st);
    }
    free(inputs_text);
    free(labels_text);
    free(trigger_text);
}

static run_state_t *new_run(wf_call_t *call)
{
    run_state_t *st = h2o_mem_alloc_pool(&call->req->pool, sizeof(*st));
    memset(st, 0, sizeof(*st));
    st->call = call;
    call->state = st;
    return st;
}

/* ---- Idempotency-Key: a retry answers with the first execution ---------- */

/* The replay: the first request's status and body (the creation answer, or
 * with ?wait the execution's document once finished), marked as a replay. */
static void replay(run_state_t *st, const PGresult *found)
{
    wf_call_t *call = st->call;
    static const char name[] = "idempotent-replayed";
    h2o_add_header_by_str(&call->req->pool, &call->req->res.headers, name, sizeof(name) - 1, 0,
                          NULL, H2O_STRLIT("true"));
    snprintf(st->id, sizeof(st->id), "%s", wf_db_get(found, 0, 0));
    if (st->wait_seconds > 0) {
        st->deadline_ms = h2o_now(call->th->ctx.loop) + (uint64_t)st->wait_seconds * 1000;
        st->tick.cb = on_tick;
        poll_state(st);
        return;
    }
    wf_http_json(call->req, 202,
                 json_pack("{s:s, s:s, s:s, s:{s:s}, s:s}", "id", st->id, "namespace", st->ns,
                           "flowId", st->flow_id, "state", "current", "CREATED", "created",
                           wf_db_get(found, 0, 2)));
}

static void on_key(void *arg, const PGresult *res, bool after_race)
{
    run_state_t *st = arg;
    wf_call_t *call = st->call;
    if (!wf_reply_ok(call, res))
        return;
    if (PQntuples(res) == 0) {
        if (after_race)
            wf_http_problem(call->req, WF_PROB_INVALID, NULL,
                            "namespace %s belongs to no domain", st->ns);
        else {
            const char *params[2] = {st->ns, st->flow_id};
            wf_db_query(call->th->db, WF_SQL_FLOW_FOR_RUN, 2, params, on_flow, st);
        }
        return;
    }
    if (strcmp(wf_db_get(res, 0, 1), st->fingerprint) != 0) {
        wf_http_problem(call->req, WF_PROB_INVALID,
                        json_pack("{s:s}", "executionId", wf_db_get(res, 0, 0)),
                        "Idempotency-Key reused with different inputs: execution %s was "
                        "started with this key and another request body; use a new key",
                        wf_db_get(res, 0, 0));
        return;
    }
    replay(st, res);
}

static void on_key_before(void *arg, const PGresult *res)
{
    on_key(arg, res, false);
}

static void on_key_after_race(void *arg, const PGresult *res)
{
    on_key(arg, res, true);
}

static void find_key(run_state_t *st, bool after_race)
{
    const char *params[3] = {st->ns, st->flow_id, st->idem_key};
    wf_db_query(st->call->th->db, WF_SQL_IDEM_FIND, 3, params,
                after_race ? on_key_after_race : on_key_before, st);
}

/* Reads the Idempotency-Key header into `st`: false (with the 400 sent)
 * when it breaks a rule. Keys are 1..255 printable ASCII characters, like
 * Stripe's, so they are safe to store, compare and show. */
static bool read_idempotency_key(run_state_t *st)
{
    h2o_req_t *req = st->call->req;
    static const char name[] = "idempotency-key";
    ssize_t first = h2o_find_header_by_str(&req->headers, name, sizeof(name) - 1, -1);
    if (first < 0)
        return true;
    if (h2o_find_header_by_str(&req->headers, name, sizeof(name) - 1, first) >= 0) {
        wf_http_problem(req, WF_PROB_BAD_REQUEST, NULL,
                        "Idempotency-Key must be sent once, not repeated");
        return false;
    }
    h2o_iovec_t v = req->headers.entries[first].value;
    bool printable = v.len > 0 && v.len <= IDEMPOTENCY_KEY_MAX;
    for (size_t i = 0; printable && i < v.len; i++)
        printable = v.base[i] >= 0x20 && v.base[i] <= 0x7e;
    if (!printable) {
        wf_http_problem(req, WF_PROB_BAD_REQUEST, NULL,
                        "Idempotency-Key must be 1 to %d printable ASCII characters "
                        "(0x20-0x7E); got %zu bytes%s",
                        IDEMPOTENCY_KEY_MAX, v.len,
                        v.len > 0 && v.len <= IDEMPOTENCY_KEY_MAX ? " with other characters" : "");
        return false;
    }
    st->idem_key = wf_http_printf(req, "%.*s", (int)v.len, v.base);
    /* The body as sent: a retry sends the same bytes. Hashed now, before
     * sealing wipes it. */
    unsigned char md[SHA256_DIGEST_LENGTH];
    if (!wf_upload_is_multipart(req) || wf_upload_fingerprint(req, md) != 0)
        SHA256((const unsigned char *)(req->entity.base ? req->entity.base : ""),
               req->entity.len, md);
    char *hex = h2o_mem_alloc_pool(&req->pool, 2 * sizeof(md) + 1);
    for (size_t i = 0; i < sizeof(md); i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    st->fingerprint = hex;
    return true;
}

void wf_h_execution_create(wf_call_t *call)
{
    run_state_t *st = new_run(call);
    st->ns = call->ns;
    st->flow_id = wf_call_param(call, "flowId");
    const char *wait = wf_http_query(call->req, "wait");
    if (wait != NULL) {
        char *end;
        long w = strtol(wait, &end, 10);
        if (*wait == '\0' || *end != '\0' || w < 0 || w > MAX_WAIT_SECONDS) {
            wf_http_problem(call->req, WF_PROB_BAD_REQUEST, NULL,
                            "wait must be a number of seconds within 0..%d", MAX_WAIT_SECONDS);
            return;
        }
        st->wait_seconds = (int)w;
    }
    if (!wf_h_flow_id_ok(st->flow_id)) {
        wf_http_problem(call->req, WF_PROB_NOT_FOUND, NULL, "no such resource");
        return;
    }
    if (!read_idempotency_key(st))
        return;
    if (st->idem_key != NULL) {
        find_key(st, false);
        return;
    }
    const char *params[2] = {st->ns, st->flow_id};
    wf_db_query(call->th->db, WF_SQL_FLOW_FOR_RUN, 2, params, on_flow, st);
}

void wf_h_webhook(wf_call_t *call)
{
    run_state_t *st = new_run(call);
    st->ns = wf_call_param(call, "namespace");
    st->flow_id = wf_call_param(call, "flowId");
    st->webhook_key = wf_call_param(call, "key");
    if (!wf_namespace_valid(st->ns) || !wf_h_flow_id_ok(st->flow_id) ||
        strlen(st->webhook_key) > 256) {
        wf_http_problem(call->req, WF_PROB_NOT_FOUND, NULL, "no such resource");
        return;
    }
    const char *params[2] = {st->ns, st->flow_id};
    wf_db_query(call->th->db, WF_SQL_FLOW_FOR_RUN, 2, params, on_flow, st);
}

/* ---- by id: load, authorise on the execution's namespace, act ---------- */

typedef struct {
    wf_perm_t perm;
    wf_sql_id_t action; /* statement to run once allowed */
    void (*then)(wf_call_t *call, const PGresult *meta);
} by_id_t;

static void on_meta(void *arg, const PGresult *res)
{
    wf_call_t *call = arg;
    const by_id_t *how = call->state;
    if (!wf_reply_need_row(call, res, WF_PROB_NOT_FOUND, NULL))
        return;
    call->ns = wf_http_strdup(call->req, wf_db_get(res, 0, 0));
    if (!wf_call_authorize(call, how->perm, call->ns))
        return;
    how->then(call, res);
}

static void start_by_id(wf_call_t *call, const by_id_t *how)
{
    const char *id = wf_call_param(call, "id");
    if (!wf_execution_id_valid(id)) {
        wf_http_problem(call->req, WF_PROB_NOT_FOUND, NULL, "no such resource");
        return;
    }
    call->state = (void *)how;
    const char *params[1] = {id};
    wf_db_query(call->th->db, WF_SQL_EXEC_META, 1, params, on_meta, call);
}

static void get_then(wf_call_t *call, const PGresult *meta)
{
    (void)meta;
    const char *params[1] = {wf_call_param(call, "id")};
    wf_reply_doc_query(call, WF_SQL_EXEC_GET, 1, params, 1);
}

void wf_h_execution_get(wf_call_t *call)
{
    static const by_id_t how = {WF_PERM_EXECUTION_READ, WF_SQL_EXEC_GET, get_then};
    start_by_id(call, &how);
}

static json_t *id_row(const PGresult *res, int i)
{
    return json_pack("{s:s}", "id", wf_db_get(res, i, 0));
}

/* No row: the statement's WHERE found the execution in another state. */
static const wf_reply_one_t changed = {.status = 202,
                                       .row = id_row,
                                       .none = WF_PROB_CONFLICT,
                                       .none_detail =
                                           "the execution is not in a state that allows this"};

static void change_then(wf_call_t *call, const PGresult *meta)
{
    (void)meta;
    const by_id_t *how = call->state;
    if (how->action == WF_SQL_EXEC_RESTART) {
        char *id = h2o_mem_alloc_pool(&call->req->pool, WF_EXECUTION_ID_LEN + 1);
        if (wf_execution_id(id) != 0) {
            wf_http_problem(call->req, WF_PROB_INTERNAL, NULL, "random generator failure");
            return;
        }
        const char *params[3] = {id, wf_call_param(call, "id"), call->who.subject};
        wf_reply_one(call, how->action, 3, params, &changed);
        return;
    }
    const char *params[2] = {wf_call_param(call, "id"), call->who.subject};
    wf_reply_one(call, how->action, 2, params, &changed);
}

void wf_h_execution_kill(wf_call_t *call)
{
    static const by_id_t how = {WF_PERM_EXECUTION_KILL, WF_SQL_EXEC_KILL, change_then};
    start_by_id(call, &how);
}

void wf_h_execution_resume(wf_call_t *call)
{
    static const by_id_t how = {WF_PERM_EXECUTION_KILL, WF_SQL_EXEC_RESUME, change_then};
    start_by_id(call, &how);
}

void wf_h_execution_restart(wf_call_t *call)
{
    static const by_id_t how = {WF_PERM_EXECUTION_CREATE, WF_SQL_EXEC_RESTART, change_then};
    start_by_id(call, &how);
}

void wf_h_execution_logs(wf_call_t *call)
{
    static const by_id_t how = {WF_PERM_EXECUTION_READ, WF_SQL_LOGS_BATCH,
                                wf_execution_logs_then};
    start_by_id(call, &how);
}

/* ---- list ----------------------------------------------------------------- */

void wf_h_execution_list(wf_call_t *call)
{
    wf_page_t pg;
    if (!wf_page_read(call, &pg))
        return;
    const char *flow_id = wf_http_query(call->req, "flowId");
    const char *state = wf_http_query(call->req, "state");
    if ((flow_id && !wf_h_flow_id_ok(flow_id)) || (state && strlen(state) > 16)) {
        wf_http_problem(call->req, WF_PROB_BAD_REQUEST, NULL, "invalid flowId or state");
        return;
    }
    const char *params[5] = {call->ns, flow_id, state, pg.limit, pg.offset};
    wf_reply_page(call, &pg, WF_SQL_EXEC_LIST, 5, params);
}
