#include "tenants/domains.h"

#include <stdio.h>
#include <string.h>

#include "platform/log.h"
#include "platform/store.h"

int wf_domains_sync(PGconn *conn, const wf_config_t *cfg, char *err, size_t errlen)
{
    if (cfg->n_domains == 0)
        return 0;
    if (wf_store_exec(conn, "BEGIN", 0, NULL, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < cfg->n_domains; i++) {
        const wf_domain_conf_t *d = &cfg->domains[i];
        const char *p1[] = {d->name};
        if (wf_store_exec(conn,
                          "INSERT INTO domains (name, created_by) VALUES ($1, 'config') "
                          "ON CONFLICT (name) DO NOTHING",
                          1, p1, err, errlen) != 0)
            goto fail;
        for (size_t k = 0; k < d->n_namespaces; k++) {
            const char *p2[] = {d->namespaces[k], d->name};
            PGresult *r =
                wf_store_rows(conn,
                              "INSERT INTO namespaces (prefix, domain) VALUES ($1, $2) "
                              "ON CONFLICT (prefix) DO UPDATE SET prefix = EXCLUDED.prefix "
                              "RETURNING domain",
                              2, p2, err, errlen);
            if (r == NULL)
                goto fail;
            const char *owner = PQgetvalue(r, 0, 0);
            if (strcmp(owner, d->name) != 0) {
                snprintf(err, errlen,
                         "namespace '%s' belongs to domain '%s' in the database but the "
                         "configuration assigns it to '%s'",
                         d->namespaces[k], owner, d->name);
                PQclear(r);
                goto fail;
            }
            PQclear(r);
        }
    }
    return wf_store_exec(conn, "COMMIT", 0, NULL, err, errlen);
fail:
    PQclear(PQexec(conn, "ROLLBACK"));
    return -1;
}
