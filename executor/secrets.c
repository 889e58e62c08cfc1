/* secret('NAME') for the executor: the domain's sealed secrets are read
 * (row-level security shows only this domain's), the nearest namespace up the
 * hierarchy wins, and the value is unsealed with the domain's private key only
 * when a task renders it. Every value an execution has seen is redacted from
 * its log lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "executor/executor.h"
#include "platform/log.h"
#include "platform/xmalloc.h"
#include "tenants/keys.h"
#include "tenants/redact.h"
#include "tenants/seal.h"

int wf_xsecrets_init(wf_executor_t *ex, const wf_config_t *cfg)
{
    char dir[1024];
    bool explicit_dir = cfg->executor.key_dir != NULL;
    if (explicit_dir)
        snprintf(dir, sizeof(dir), "%s", cfg->executor.key_dir);
    else
        snprintf(dir, sizeof(dir), "%s/keys", cfg->data_dir ? cfg->data_dir : "weft-data");
    /* Without a configured key dir the key lives in the data dir of `weftd
     * up`; an executor started elsewhere (no data dir) runs without secrets
     * rather than scattering key files in its working directory. */
    struct stat st;
    if (!explicit_dir && (cfg->data_dir == NULL || stat(cfg->data_dir, &st) != 0)) {
        wf_info("no data directory: secrets are unavailable to this executor");
        return 0;
    }
    char err[512];
    bool created = false;
    if (wf_keys_load_or_generate(dir, ex->domain, &ex->kp, &created, err, sizeof(err)) != 0) {
        wf_error("domain key: %s", err);
        return -1;
    }
    ex->have_key = true;
    if (created)
        wf_info("generated the key of domain %s in %s", ex->domain, dir);
    return 0;
}

void wf_xsecrets_dispose(wf_executor_t *ex)
{
    if (ex->have_key)
        wf_seal_keypair_dispose(&ex->kp);
    ex->have_key = false;
}

/* Index of the value in x->secrets, added when new; -1 when out of memory. */
static long remember(wf_xexec_t *x, const char *value, size_t len)
{
    for (size_t i = 0; i < x->n_secrets; i++)
        if (x->secret_lens[i] == len && memcmp(x->secrets[i], value, len) == 0)
            return (long)i;
    x->secrets = wf_xreallocarray(x->secrets, x->n_secrets + 1, sizeof(*x->secrets));
    x->secret_lens = wf_xreallocarray(x->secret_lens, x->n_secrets + 1, sizeof(*x->secret_lens));
    /* The value's size is the tenant's: running short of memory for it
     * fails the lookup, not the executor. */
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return -1;
    memcpy(copy, value, len);
    copy[len] = '\0';
    x->secrets[x->n_secrets] = copy;
    x->secret_lens[x->n_secrets++] = len;
    /* A redactor is immutable once built: rebuild it with every value. */
    wf_redact_destroy(x->redact);
    x->redact = wf_redact_create();
    for (size_t i = 0; x->redact && i < x->n_secrets; i++)
        wf_redact_add(x->redact, x->secrets[i], x->secret_lens[i]);
    return (long)(x->n_secrets - 1);
}

/* Derived values longer than this are not patterns of their own: every one
 * adds a dozen encoded forms to the redactor's trie, and a long rendered
 * script must not cost megabytes. The secret's own forms still apply. */
#define DERIVED_MAX 4096

void wf_xsecrets_remember(wf_xexec_t *x, const char *value, size_t len)
{
    /* Shorter values are not redacted anyway (they would blank out
     * ordinary text): no need to keep them. */
    if (len >= WF_REDACT_MIN_LEN && len <= DERIVED_MAX)
        remember(x, value, len);
}

/* One lookup per name for one attempt, however many of its properties use
 * it: the names already resolved for the attempt being rendered. A new
 * attempt (or another task run) starts afresh, so a new version applies. */
#define SCACHE_MAX 16
struct wf_xscache {
    const wf_trun_t *tr;
    int attempt;
    size_t n;
    char *names[SCACHE_MAX];
    long idx[SCACHE_MAX];
};

static void scache_reset(struct wf_xscache *c, const wf_trun_t *tr)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->names[i]);
    c->n = 0;
    c->tr = tr;
    c->attempt = tr ? tr->attempts_count : 0;
}

/* The cached value (malloc'd copy) of `name` for the attempt being
 * rendered, or NULL. */
static char *scache_get(wf_xexec_t *x, const char *name)
{
    struct wf_xscache *c = x->scache;
    const wf_trun_t *tr = x->rendering;
    if (c == NULL || tr == NULL)
        return NULL;
    if (c->tr != tr || c->attempt != tr->attempts_count) {
        scache_reset(c, tr);
        return NULL;
    }
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->names[i], name) == 0)
            return strndup(x->secrets[c->idx[i]], x->secret_lens[c->idx[i]]);
    return NULL;
}

static void scache_put(wf_xexec_t *x, const char *name, long idx)
{
    if (x->rendering == NULL || idx < 0)
        return;
    if (x->scache == NULL) {
        x->scache = wf_xcalloc(1, sizeof(*x->scache));
        scache_reset(x->scache, x->rendering);
    }
    struct wf_xscache *c = x->scache;
    if (c->tr != x->rendering || c->attempt != x->rendering->attempts_count)
        scache_reset(c, x->rendering);
    if (c->n == SCACHE_MAX || (c->names[c->n] = strdup(name)) == NULL)
        return;
    c->idx[c->n++] = idx;
}

char *wf_xsecrets_lookup(void *ud, const char *name)
{
    wf_xexec_t *x = ud;
    wf_executor_t *ex = x->ex;
    if (!ex->have_key)
        return NULL;
    char *cached = scache_get(x, name);
    if (cached != NULL)
        return cached;
    const char *p[] = {name, x->namespace_};
    /* Waits: the render that called secret() needs the value now; the
     * cache above answers the same name again within the attempt. */
    PGresult *r = wf_xdb_run(ex, WF_XQ_SECRET, 2, p);
    char *value = NULL;
    /* One line per lookup, naming the task run it is made for (never the
     * value): who read which secret, when, is on record. */
    const wf_trun_t *tr = x->rendering;
    const char *what = tr ? tr->task->id : "flow outputs";
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 0)
        wf_info("execution %s, %s: secret %s not found from namespace %s", x->id, what, name,
                x->namespace_);
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
        wf_info("execution %s, %s: secret %s looked up (namespace %s, version %s)", x->id, what,
                name, PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1));
        size_t blen = 0;
        unsigned char *sealed = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 2), &blen);
        size_t vlen = 0;
        int rc = sealed ? wf_unseal_secret(&ex->kp, PQgetvalue(r, 0, 0), name,
                                           (uint64_t)atoll(PQgetvalue(r, 0, 1)), sealed, blen,
                                           &value, &vlen)
                        : -1;
        PQfreemem(sealed);
        if (rc != 0) {
            wf_warn("execution %s: secret %s does not open with this domain's key", x->id, name);
            value = NULL;
        } else {
            scache_put(x, name, remember(x, value, vlen));
        }
    }
    PQclear(r);
    return value;
}

char *wf_xsecrets_redact(wf_xexec_t *x, const char *s, size_t len, size_t *out_len)
{
    if (x->redact == NULL)
        return NULL;
    return wf_redact_string(x->redact, s, len, out_len);
}

/* Outputs are stored and shown to other flows (trigger.outputs, subflow
 * parents): every string in them is masked like a log line. */
void wf_xsecrets_redact_json(wf_xexec_t *x, json_t *v)
{
    if (x->redact == NULL || v == NULL)
        return;
    if (json_is_string(v)) {
        size_t n = 0;
        char *red = wf_redact_string(x->redact, json_string_value(v), json_string_length(v), &n);
        if (red != NULL)
            json_string_setn(v, red, n);
        free(red);
    } else if (json_is_object(v)) {
        const char *k;
        json_t *m;
        json_object_foreach(v, k, m)
            wf_xsecrets_redact_json(x, m);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *m;
        json_array_foreach(v, i, m)
            wf_xsecrets_redact_json(x, m);
    }
}

bool wf_xsecrets_in_json(wf_xexec_t *x, json_t *v)
{
    if (x->redact == NULL || v == NULL)
        return false;
    if (json_is_string(v)) {
        size_t n = 0;
        char *red = wf_redact_string(x->redact, json_string_value(v), json_string_length(v), &n);
        bool changed = red != NULL && (n != json_string_length(v) ||
                                       memcmp(red, json_string_value(v), n) != 0);
        free(red);
        return changed;
    }
    const char *k;
    json_t *m;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach(v, k, m)
            if (wf_xsecrets_in_json(x, m))
                return true;
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, m)
            if (wf_xsecrets_in_json(x, m))
                return true;
    }
    return false;
}

/* Declared type of input `id` (SECRET inputs only are opened). */
static bool input_is_secret(const wf_xexec_t *x, const char *id)
{
    for (size_t i = 0; x->flow != NULL && i < x->flow->n_inputs; i++)
        if (strcmp(x->flow->inputs[i].id, id) == 0)
            return x->flow->inputs[i].type == WF_INPUT_SECRET;
    return false;
}

json_t *wf_xsecrets_inputs_open(wf_xexec_t *x)
{
    if (x->inputs_open != NULL)
        return x->inputs_open;
    json_t *open = json_deep_copy(x->inputs);
    if (open == NULL)
        return x->inputs;
    /* Restarts keep the inputs of the execution they restart: the
     * ciphertext is bound to that first execution's id. */
    const char *bound_id = x->original_id ? x->original_id : x->id;
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(open, tmp, k, v)
    {
        const char *b64 = json_string_value(json_object_get(v, WF_SEAL_INPUT_ENVELOPE));
        if (!json_is_object(v) || b64 == NULL || !input_is_secret(x, k))
            continue;
        size_t slen = 0, vlen = 0;
        uint8_t *sealed = wf_seal_b64_decode(b64, &slen);
        char *value = NULL;
        int rc = sealed == NULL ? WF_SEAL_ERR_FORMAT
                 : !x->ex->have_key
                     ? WF_SEAL_ERR_KEY
                     : wf_unseal_input(&x->ex->kp, x->namespace_, x->flow_id, bound_id, k, sealed,
                                       slen, &value, &vlen);
        free(sealed);
        if (rc != WF_SEAL_OK) {
            char msg[300];
            int n = snprintf(msg, sizeof(msg),
                             "input %s does not open with this domain's key (%s): it is null", k,
                             wf_seal_strerror(rc));
            wf_warn("execution %s: %s", x->id, msg);
            wf_xlog(x->ex, x, NULL, "ERROR", msg, n > 0 && (size_t)n < sizeof(msg) ? (size_t)n : 0);
            json_object_set_new(open, k, json_null());
            continue;
        }
        remember(x, value, vlen);
        json_object_set_new(open, k, json_stringn(value, vlen));
        OPENSSL_clear_free(value, vlen + 1);
    }
    x->inputs_open = open;
    return open;
}

/* Wipes the opened SECRET input values before their strings are freed. */
static void wipe_open_inputs(wf_xexec_t *x)
{
    if (x->inputs_open == NULL)
        return;
    const char *k;
    json_t *v;
    json_object_foreach(x->inputs_open, k, v)
    {
        if (input_is_secret(x, k) && json_is_string(v))
            OPENSSL_cleanse((char *)json_string_value(v), json_string_length(v));
    }
    json_decref(x->inputs_open);
    x->inputs_open = NULL;
}

void wf_xsecrets_free(wf_xexec_t *x)
{
    wipe_open_inputs(x);
    for (size_t i = 0; i < x->n_secrets; i++) {
        OPENSSL_cleanse(x->secrets[i], x->secret_lens[i]);
        free(x->secrets[i]);
    }
    free(x->secrets);
    free(x->secret_lens);
    wf_redact_destroy(x->redact);
    if (x->scache != NULL) {
        scache_reset(x->scache, NULL);
        free(x->scache);
        x->scache = NULL;
    }
    x->secrets = NULL;
    x->secret_lens = NULL;
    x->redact = NULL;
    x->n_secrets = 0;
}
