/* `weftd migrate`: applies pending migrations and exits. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/config.h"
#include "platform/log.h"
#include "platform/migrate.h"
#include "daemon/pgcluster.h"
#include "daemon/commands.h"
#include "platform/store.h"

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
    const char *config_path = NULL, *url_opt = NULL, *data_dir = NULL;
    int status_only = 0;
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"database-url", required_argument, NULL, 'u'},
                                         {"data-dir", required_argument, NULL, 'd'},
                                         {"status", no_argument, NULL, 's'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:u:d:sh", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config_path = optarg;
            break;
        case 'u':
            url_opt = optarg;
            break;
        case 'd':
            data_dir = optarg;
            break;
        case 's':
            status_only = 1;
            break;
        case 'h':
            migrate_usage(stdout);
            return 0;
        default:
            migrate_usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        migrate_usage(stderr);
        return 2;
    }
    wf_log_init("migrate", WF_LOG_INFO, 0);
    wf_config_t cfg;
    if (wf_load_config_or_exit(&cfg, config_path) != 0)
        return 1;
    if (data_dir != NULL) {
        free(cfg.data_dir);
        cfg.data_dir = strdup(data_dir);
    }
    char err[1024];
    int rc = 1;
    wf_pgcluster_t pg = {0};
    const char *url = url_opt ? url_opt : wf_store_url(&cfg);
    if (url == NULL) {
        int initialised;
        if (wf_pgcluster_init(&pg, cfg.data_dir, err, sizeof(err)) != 0 ||
            wf_pgcluster_start(&pg, &initialised, err, sizeof(err)) != 0) {
            wf_error("%s", err);
            goto out;
        }
        url = pg.url;
    }
    PGconn *conn = wf_store_connect(url, "weftd-migrate", err, sizeof(err));
    if (conn == NULL) {
        wf_error("%s", err);
        goto out;
    }
    if (status_only) {
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
    PQfinish(conn);
out:
    if (pg.pid > 0)
        wf_pgcluster_stop(&pg, 10000);
    wf_pgcluster_dispose(&pg);
    wf_config_dispose(&cfg);
    return rc;
}
