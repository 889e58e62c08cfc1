/* Test driver for wf_audit_append against a real database, used by
 * tests/integration/audit_chain.sh (database from WEFT_DATABASE_URL):
 *   audit_client append N ACTOR   appends N entries, prints the last seq
 *   audit_client refusals         each invalid entry must be refused
 *   audit_client reconnect        appends across a server-side session loss */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/store.h"
#include "tenants/audit.h"

static int append_n(PGconn *conn, int n, const char *actor)
{
    wf_audit_writer_t w;
    char err[512], target[64], details[256];
    int64_t seq = 0;
    wf_audit_writer_init(&w, conn);
    for (int i = 0; i < n; i++) {
        snprintf(target, sizeof(target), "secret/DB_URL_%d", i);
        /* Unicode, nesting and key order exercise the canonical encoding. */
        snprintf(
            details, sizeof(details),
            "{\"z\": %d, \"a\": {\"note\": \"caf\\u00e9 \\u2713\", \"list\": [1, 2.50, null]}}", i);
        wf_audit_entry_t e = {.actor = actor,
                              .action = i % 3 ? "secret.set" : "grant.create",
                              .namespace_ = i % 2 ? "logistics.shipments" : "sales.réporting",
                              .target = target,
                              .result = i % 5 ? "allowed" : "denied",
                              .reason = i % 5 ? NULL : "no grant from logistics to sales",
                              .details_json = i % 4 ? details : NULL};
        if (wf_audit_append(&w, &e, &seq, err, sizeof(err)) != 0) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
    }
    printf("%" PRId64 "\n", seq);
    return 0;
}

static int refusals(PGconn *conn)
{
    static const struct {
        wf_audit_entry_t e;
        const char *what;
    } bad[] = {
        {{.actor = "user:a", .action = "x", .result = "allowed", .details_json = "[1]"},
         "details not an object"},
        {{.actor = "user:a", .action = "x", .result = "allowed", .details_json = "{oops"},
         "details not JSON"},
        {{.action = "x", .result = "allowed"}, "no actor"},
        {{.actor = "user:a", .action = "x", .result = "maybe"}, "unknown result"},
    };
    wf_audit_writer_t w;
    char err[512];
    int failures = 0;
    wf_audit_writer_init(&w, conn);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        int rc = wf_audit_append(&w, &bad[i].e, NULL, err, sizeof(err));
        printf("%s: %s (%s)\n", bad[i].what, rc != 0 ? "refused" : "ACCEPTED", err);
        failures += rc == 0;
    }
    return failures ? 1 : 0;
}

static int reconnect(PGconn *conn)
{
    wf_audit_writer_t w;
    char err[512];
    int64_t a = 0, b = 0, c = 0;
    wf_audit_entry_t e = {.actor = "system", .action = "test.reconnect", .result = "allowed"};
    wf_audit_writer_init(&w, conn);
    if (wf_audit_append(&w, &e, &a, err, sizeof(err)) != 0)
        goto fail;
    PQreset(conn); /* new server session: the prepared statement is gone */
    if (wf_audit_append(&w, &e, &b, err, sizeof(err)) != 0)
        goto fail;
    PQclear(PQexec(conn, "DEALLOCATE ALL")); /* lost without a new backend */
    if (wf_audit_append(&w, &e, &c, err, sizeof(err)) != 0)
        goto fail;
    printf("%" PRId64 " %" PRId64 " %" PRId64 "\n", a, b, c);
    return 0;
fail:
    fprintf(stderr, "%s\n", err);
    return 1;
}

int main(int argc, char **argv)
{
    char err[512];
    const char *url = getenv("WEFT_DATABASE_URL");
    if (url == NULL || argc < 2) {
        fprintf(stderr, "usage: WEFT_DATABASE_URL=... audit_client append N ACTOR|refusals|"
                        "reconnect\n");
        return 2;
    }
    PGconn *conn = wf_store_connect(url, "audit-client", err, sizeof(err));
    if (conn == NULL) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    int rc = 2;
    if (strcmp(argv[1], "append") == 0 && argc == 4)
        rc = append_n(conn, atoi(argv[2]), argv[3]);
    else if (strcmp(argv[1], "refusals") == 0)
        rc = refusals(conn);
    else if (strcmp(argv[1], "reconnect") == 0)
        rc = reconnect(conn);
    PQfinish(conn);
    return rc;
}
