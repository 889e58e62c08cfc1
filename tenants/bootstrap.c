#include "tenants/bootstrap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "auth/satoken.h"
#include "platform/store.h"

static int write_secret_file(const char *path, const char *content, char *err, size_t errlen)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    unlink(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
        return -1;
    }
    size_t len = strlen(content);
    int ok = write(fd, content, len) == (ssize_t)len && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
    close(fd);
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

int wf_bootstrap_admin(PGconn *conn, const char *token_path, int *created, char *err,
                       size_t errlen)
{
    *created = 0;
    const char *who[] = {WF_BOOTSTRAP_NAMESPACE, WF_BOOTSTRAP_NAME};
    PGresult *r =
        wf_store_rows(conn, "SELECT id FROM service_accounts WHERE namespace = $1 AND name = $2", 2,
                      who, err, errlen);
    if (r == NULL)
        return -1;
    int exists = PQntuples(r) > 0;
    PQclear(r);
    if (exists)
        return 0;

    char token[WF_SATOKEN_LEN + 1];
    uint8_t hash[WF_SATOKEN_HASH_LEN];
    char hash_hex[67];
    int rc = -1;
    if (wf_satoken_generate(token) != 0 || wf_satoken_hash(token, strlen(token), hash) != 0) {
        snprintf(err, errlen, "cannot generate a token");
        goto out;
    }
    wf_satoken_hash_to_bytea_hex(hash, hash_hex);
    if (wf_store_exec(conn, "BEGIN", 0, NULL, err, errlen) != 0)
        goto out;
    r = wf_store_rows(conn,
                      "INSERT INTO service_accounts (namespace, name, description, created_by) "
                      "VALUES ($1, $2, 'bootstrap platform administrator', 'weftd up') "
                      "RETURNING id",
                      2, who, err, errlen);
    if (r == NULL)
        goto rollback;
    char id[32];
    snprintf(id, sizeof(id), "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    const char *tok[] = {id, hash_hex};
    const char *bind[] = {"sa:" WF_BOOTSTRAP_NAMESPACE "/" WF_BOOTSTRAP_NAME};
    if (wf_store_exec(conn,
                      "INSERT INTO sa_tokens (account_id, token_hash, description, created_by) "
                      "VALUES ($1, $2::bytea, 'bootstrap', 'weftd up')",
                      2, tok, err, errlen) != 0 ||
        wf_store_exec(conn,
                      "INSERT INTO role_bindings (subject, role, namespace, created_by) "
                      "VALUES ($1, 'platform-admin', '', 'weftd up')",
                      1, bind, err, errlen) != 0 ||
        wf_store_exec(conn,
                      "INSERT INTO audit_log (actor, action, result, target) "
                      "VALUES ('weftd up', 'service-account.create', 'allowed', $1)",
                      1, bind, err, errlen) != 0)
        goto rollback;
    /* The file is written before COMMIT: if writing fails the account is not
     * created, so the next start tries again instead of leaving an account
     * whose token nobody has. */
    if (write_secret_file(token_path, token, err, errlen) != 0)
        goto rollback;
    if (wf_store_exec(conn, "COMMIT", 0, NULL, err, errlen) != 0) {
        unlink(token_path);
        goto out;
    }
    *created = 1;
    rc = 0;
    goto out;
rollback:
    PQclear(PQexec(conn, "ROLLBACK"));
out:
    OPENSSL_cleanse(token, sizeof(token));
    return rc;
}
