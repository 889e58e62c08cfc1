/* `weftd migrate`: applies pending migrations and exits. */
#include <stdio.h>

#include "platform/cmdline.h"
#include "platform/config.h"
#include "platform/log.h"
#include "platform/migrate.h"
#include "daemon/pgcluster.h"
#include "daemon/commands.h"

static void migrate_usage(FILE *out)
{
    fprintf(out,
            "usage: weftd migrate [--config FILE] [--database-url URL] [--data-dir DIR] "
            "[--status]\n\n"
            "Applies the pending schema migrations (each in a transaction, recorded in\n"
            "schema_migrations) and exits; a second run does nothing. Without a database URL\n"
            "(option, config database.url or WEFT_DATABASE_URL) the embedded cluster under the\n"
            "data dir is started for the duration of the command.\n"
            "  --status   print the schema version and whether migrations are pending\n"
            "Exit status: 0 done (or current), 1 failed, 2 usage.\n");
}

int wf_migrate_main(int argc, char **argv)
{
    const char *config_path = NULL, *url = NULL, *data_dir = NULL;
    bool status_only = false;
    const wf_cmdline_opt_t opts[] = {
        WF_CMDLINE_CONFIG(&config_path),
        WF_CMDLINE_DATABASE_URL(&url),
        WF_CMDLINE_DATA_DIR(&data_dir),
        WF_CMDLINE_FLAG("status", 's', &status_only),
        WF_CMDLINE_END,
    };
    int rc = wf_cmdline_parse(argc, argv, opts, migrate_usage, 0);
    if (rc != WF_CMDLINE_GO)
        return rc;
    wf_log_init("migrate", WF_LOG_INFO, 0);
    wf_config_t cfg;
    if (wf_load_config_or_exit(&cfg, config_path) != 0)
        return 1;
    wf_cmdline_override(&cfg.data_dir, data_dir);
    char err[1024];
    rc = 1;
    wf_pgcluster_t pg;
    PGconn *conn = wf_pgcluster_connect(&pg, &cfg, url, "weftd-migrate", err, sizeof(err));
    if (conn == NULL) {
        wf_error("%s", err);
    } else if (status_only) {
        int version;
        wf_schema_status_t st = wf_schema_status(conn, &version, err, sizeof(err));
        static const char *const words[] = {"current", "migrations pending", "newer than weftd"};
        if (st == WF_SCHEMA_ERROR)
            wf_error("%s", err);
        else
            printf("schema version %d (weftd knows %d): %s\n", version, wf_migrations_latest(),
                   words[st]);
        rc = st == WF_SCHEMA_CURRENT ? 0 : 1;
    } else {
        int applied;
        if (wf_migrate(conn, &applied, err, sizeof(err)) != 0) {
            wf_error("%s", err);
        } else {
            printf("%d migration%s applied; schema at version %d\n", applied,
                   applied == 1 ? "" : "s", wf_migrations_latest());
            rc = 0;
        }
    }
    wf_pgcluster_release(&pg, conn);
    wf_config_dispose(&cfg);
    return rc;
}
