/* Public-key registration in domains.public_key (bytea, 32 bytes). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "tenants/keys.h"

static int db_fail(char *err, size_t err_len, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int db_fail(char *err, size_t err_len, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
    size_t n = strlen(err);
    while (n > 0 && err[n - 1] == '\n')
        err[--n] = '\0';
    return rc;
}

static const char *primary(const PGresult *r)
{
    const char *m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    return m ? m : PQresultErrorMessage(r);
}

/* WF_KEYS_OK when the statement ended with `want`; otherwise WF_KEYS_ERR_DB
 * with "<doing> <domain>: <the server's message>" in `err`. */
static int db_status(const PGresult *r, ExecStatusType want, const char *doing, const char *domain,
                     char *err, size_t err_len)
{
    if (PQresultStatus(r) == want)
        return WF_KEYS_OK;
    return db_fail(err, err_len, WF_KEYS_ERR_DB, "%s %s: %s", doing, domain, primary(r));
}

/* The domain's registered key, and how many secrets are sealed to it (an
 * int8, read in binary). */
static const char registration_sql[] =
    "SELECT public_key, (SELECT count(*) FROM secrets s WHERE s.domain = d.name) FROM domains d "
    "WHERE name = $1";

/* The WHERE clause carries the decision, so the check and the write are one
 * statement: a concurrent registration of another key makes it match no row
 * instead of being overwritten. */
static const char register_sql[] = "UPDATE domains SET public_key = $2 WHERE name = $1 AND "
                                   "(public_key IS NULL OR public_key = $2 OR $3::boolean)";

int wf_keys_registration(PGconn *conn, const char *domain, const uint8_t pub[WF_SEAL_KEY_LEN],
                         wf_keys_reg_t *state, long *sealed, char *err, size_t err_len)
{
    const char *params[1] = {domain};
    PGresult *r = PQexecParams(conn, registration_sql, 1, NULL, params, NULL, NULL, 1);
    int rc = db_status(r, PGRES_TUPLES_OK, "reading domain", domain, err, err_len);
    if (rc != WF_KEYS_OK)
        goto out;
    if (PQntuples(r) == 0) {
        rc = db_fail(err, err_len, WF_KEYS_ERR_UNKNOWN,
                     "domain '%s' is not known to the database (declare it in weft.yaml; "
                     "weftd up records the configured domains)",
                     domain);
        goto out;
    }
    if (PQgetisnull(r, 0, 0))
        *state = WF_KEYS_REG_NONE;
    else if (PQgetlength(r, 0, 0) == WF_SEAL_KEY_LEN &&
             CRYPTO_memcmp(PQgetvalue(r, 0, 0), pub, WF_SEAL_KEY_LEN) == 0)
        *state = WF_KEYS_REG_SAME;
    else
        *state = WF_KEYS_REG_OTHER;
    if (sealed != NULL) {
        const unsigned char *p = (const unsigned char *)PQgetvalue(r, 0, 1);
        long v = 0;
        for (int i = 0; i < 8 && PQgetlength(r, 0, 1) == 8; i++)
            v = v << 8 | p[i];
        *sealed = v;
    }
out:
    PQclear(r);
    return rc;
}

int wf_keys_register(PGconn *conn, const char *domain, const uint8_t pub[WF_SEAL_KEY_LEN],
                     bool replace, char *err, size_t err_len)
{
    const char *params[3] = {domain, (const char *)pub, replace ? "t" : "f"};
    const int lengths[3] = {0, WF_SEAL_KEY_LEN, 0};
    const int formats[3] = {0, 1, 0};
    PGresult *r = PQexecParams(conn, register_sql, 3, NULL, params, lengths, formats, 0);
    int rc = db_status(r, PGRES_COMMAND_OK, "registering the key of domain", domain, err, err_len);
    if (rc != WF_KEYS_OK)
        goto out;
    if (strcmp(PQcmdTuples(r), "1") != 0) {
        wf_keys_reg_t state;
        rc = wf_keys_registration(conn, domain, pub, &state, NULL, err, err_len);
        if (rc == WF_KEYS_OK)
            rc = db_fail(err, err_len, WF_KEYS_ERR_MISMATCH,
                         "domain '%s' has another public key registered: this key file is not "
                         "the domain's key (secrets sealed to the registered key would not open)",
                         domain);
    }
out:
    PQclear(r);
    return rc;
}
