/* Domains and their namespace prefixes as declared in weft.yaml, recorded in
 * the database (the API can add more; nothing is removed by a sync). */
#ifndef WF_DOMAINS_H
#define WF_DOMAINS_H

#include <stddef.h>
#include <libpq-fe.h>

#include "platform/config.h"

/* Upserts every configured domain and prefix in one transaction. A prefix
 * the database assigns to another domain is an error (nothing is changed).
 * Returns 0, or -1 with `err`. */
int wf_domains_sync(PGconn *conn, const wf_config_t *cfg, char *err, size_t errlen);

#endif
