/* Probes: /healthz (the process answers) and /readyz (the database answers,
 * its schema is the one this binary was built for and its volume is under
 * the high-water mark). */
#include <stdlib.h>

#include "api/call.h"
#include "api/handlers.h"
#include "platform/migrate.h"

void wf_h_healthz(wf_call_t *call)
{
    wf_http_json(call->req, 200, json_pack("{s:s}", "status", "ok"));
}

static void on_schema_version(void *arg, const PGresult *res)
{
    wf_call_t *call = arg;
    h2o_req_t *req = call->req;
    int want = wf_migrations_latest();
    if (res == NULL) {
        wf_http_problem(req, WF_PROB_UNAVAILABLE, NULL, "database unreachable: %s",
                        wf_db_last_error(call->th->db));
        return;
    }
    if (!wf_db_ok(res)) {
        /* 42P01: schema_migrations does not exist yet (nothing migrated). */
        wf_http_problem(req, WF_PROB_UNAVAILABLE, NULL, "database not migrated (%s)",
                        wf_db_sqlstate(res));
        return;
    }
    const char *v = wf_db_get(res, 0, 0);
    int have = v ? atoi(v) : 0;
    if (have != want) {
        wf_http_problem(req, WF_PROB_UNAVAILABLE,
                        json_pack("{s:i, s:i}", "schemaVersion", have, "expectedVersion", want),
                        "database schema version %d, this gateway needs %d", have, want);
        return;
    }
    if (call->th->stopping) {
        wf_http_problem(req, WF_PROB_UNAVAILABLE, NULL, "shutting down");
        return;
    }
    if (wf_dbspace_full(&call->th->gw->space)) {
        char why[256];
        wf_dbspace_reason(&call->th->gw->space, why, sizeof(why));
        wf_http_problem(req, WF_PROB_UNAVAILABLE,
                        json_pack("{s:s, s:i}", "reason", "database-full", "schemaVersion", have),
                        "%s", why);
        return;
    }
    wf_http_json(req, 200, json_pack("{s:s, s:i}", "status", "ready", "schemaVersion", have));
}

void wf_h_readyz(wf_call_t *call)
{
    if (call->th->gw->db_url == NULL) {
        wf_http_problem(call->req, WF_PROB_UNAVAILABLE, NULL,
                        "no database configured (database.url or WEFT_DATABASE_URL)");
        return;
    }
    wf_db_query(call->th->db, WF_SQL_SCHEMA_VERSION, 0, NULL, on_schema_version, call);
}
