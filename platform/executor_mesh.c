/* Executor side of the data mesh: see platform/executor_mesh.h. */
#include <openssl/crypto.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/executor_mesh.h"
#include "platform/expr.h"
#include "platform/log.h"
#include "platform/store.h"
#include "tenants/keys.h"
#include "tenants/redact.h"
#include "tenants/seal.h"

struct wf_xmesh {
    wf_seal_keypair_t kp;
};

/* Nearest namespace first; the domain condition repeats what row-level
 * security already enforces for the executor's role. */
static const char Q_SECRET[] =
    "SELECT namespace, version, encode(sealed, 'hex') FROM secrets"
    " WHERE key = $1 AND domain = $3"
    "  AND (namespace = $2 OR left($2, length(namespace) + 1) = namespace || '.')"
    " ORDER BY length(namespace) DESC LIMIT 1";

int wf_xmesh_open(wf_executor_t *ex, const char *url, char *err, size_t errlen)
{
    const wf_config_t *cfg = ex->cfg;
    char dir[1024];
    bool created = false;
    PGconn *conn = NULL;
    int rc = -1;

    if (cfg->executor.key_dir != NULL)
        snprintf(dir, sizeof(dir), "%s", cfg->executor.key_dir);
    else
        snprintf(dir, sizeof(dir), "%s/keys", cfg->data_dir ? cfg->data_dir : ".");
    struct wf_xmesh *m = calloc(1, sizeof(*m));
    if (m == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (wf_keys_load_or_generate(dir, ex->domain, &m->kp, &created, err, errlen) != 0)
        goto out;
    conn = wf_store_connect(url, "weftd-executor-key", err, errlen);
    if (conn == NULL)
        goto out;
    wf_keys_reg_t state = WF_KEYS_REG_NONE;
    if (wf_keys_registration(conn, ex->domain, m->kp.pub, &state, NULL, err, errlen) != 0)
        goto out;
    /* A key file that is not the registered key would leave every stored
     * secret unopenable: refuse rather than replace (weftd keygen --force
     * is the deliberate way to rotate). */
    if (state == WF_KEYS_REG_OTHER) {
        snprintf(err, errlen,
                 "the key file %s/%s.key is not the key registered for domain %s; use the "
                 "registered key file (or rotate with weftd keygen --force)",
                 dir, ex->domain, ex->domain);
        goto out;
    }
    if (state == WF_KEYS_REG_NONE &&
        wf_keys_register(conn, ex->domain, m->kp.pub, false, err, errlen) != 0) {
        /* A database user without rights on `domains` (a provisioned domain
         * role) cannot register: secrets are refused by the gateway until an
         * operator registers the key; nothing else depends on it. */
        wf_warn("cannot register the public key of domain %s (%s): secrets cannot be set until "
                "it is registered (weftd keygen --register)",
                ex->domain, err);
    }
    wf_info("sealing key of domain %s: %s/%s.key%s", ex->domain, dir, ex->domain,
            created ? " (created)" : "");
    ex->mesh = m;
    m = NULL;
    rc = 0;
out:
    if (conn != NULL)
        PQfinish(conn);
    if (m != NULL) {
        wf_seal_keypair_dispose(&m->kp);
        free(m);
    }
    return rc;
}

void wf_xmesh_close(wf_executor_t *ex)
{
    if (ex->mesh == NULL)
        return;
    wf_seal_keypair_dispose(&ex->mesh->kp);
    free(ex->mesh);
    ex->mesh = NULL;
}

static int hex_decode(const char *hex, uint8_t **out, size_t *out_len)
{
    size_t n = strlen(hex);
    if (n % 2 != 0)
        return -1;
    uint8_t *b = malloc(n / 2 + 1);
    if (b == NULL)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = OPENSSL_hexchar2int((unsigned char)hex[2 * i]);
        int lo = OPENSSL_hexchar2int((unsigned char)hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(b);
            return -1;
        }
        b[i] = (uint8_t)(hi << 4 | lo);
    }
    *out = b;
    *out_len = n / 2;
    return 0;
}

/* The expression engine's secret() callback for one task run. */
static char *resolve_secret(void *ud, const char *name)
{
    wf_trun_t *tr = ud;
    wf_executor_t *ex = tr->exec->ex;
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    char *value = NULL;
    size_t value_len = 0;

    if (ex->mesh == NULL)
        return NULL;
    const char *p[3] = {name, tr->exec->namespace_, ex->domain};
    PGresult *r = wf_xdb_query(ex, Q_SECRET, 3, p);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
        goto out;
    if (hex_decode(PQgetvalue(r, 0, 2), &sealed, &sealed_len) != 0)
        goto out;
    int rc = wf_unseal_secret(&ex->mesh->kp, PQgetvalue(r, 0, 0), name,
                              strtoull(PQgetvalue(r, 0, 1), NULL, 10), sealed, sealed_len, &value,
                              &value_len);
    if (rc != 0) {
        /* Never the value; the name and the reason only. */
        wf_warn("secret %s of %s does not open: %s", name, PQgetvalue(r, 0, 0),
                wf_seal_strerror(rc));
        value = NULL;
        goto out;
    }
    if (tr->redact == NULL)
        tr->redact = wf_redact_create();
    if (tr->redact == NULL || wf_redact_add(tr->redact, value, value_len) != 0) {
        /* A value that could not be registered for redaction is not handed
         * out: it could otherwise reach the logs in clear. */
        OPENSSL_clear_free(value, value_len + 1);
        value = NULL;
    }
out:
    free(sealed);
    PQclear(r);
    return value;
}

json_t *wf_xmesh_render_props(wf_executor_t *ex, wf_trun_t *tr, json_t *props, json_t *ctx,
                              char *err, size_t errlen)
{
    wf_expr_env_t env = {.ctx = ctx, .secret = resolve_secret, .secret_ud = tr};
    wf_expr_err_t e = {0};
    json_t *r = wf_expr_render_json(props, &env, ex->rt, &e);
    if (r == NULL) {
        size_t n = 0;
        char *red = wf_xmesh_redact(tr, e.msg, strlen(e.msg), &n);
        snprintf(err, errlen, "%s", red ? red : e.msg);
        free(red);
    }
    return r;
}

char *wf_xmesh_redact(const wf_trun_t *tr, const char *s, size_t len, size_t *out_len)
{
    if (tr == NULL || tr->redact == NULL)
        return NULL;
    return wf_redact_string(tr->redact, s, len, out_len);
}

void wf_xmesh_redact_json(const wf_trun_t *tr, json_t *v)
{
    if (tr == NULL || tr->redact == NULL || v == NULL)
        return;
    if (json_is_string(v)) {
        size_t n = 0;
        char *red = wf_redact_string(tr->redact, json_string_value(v), json_string_length(v), &n);
        if (red != NULL) {
            json_string_setn(v, red, n);
            free(red);
        }
    } else if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x) wf_xmesh_redact_json(tr, x);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) wf_xmesh_redact_json(tr, x);
    }
}

void wf_xmesh_trun_free(wf_trun_t *tr)
{
    if (tr->redact != NULL) {
        wf_redact_destroy(tr->redact);
        tr->redact = NULL;
    }
}
