/* `weftd audit verify`: recomputes the audit log's hash chain. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/cmdline.h"
#include "platform/config.h"
#include "platform/log.h"
#include "daemon/pgcluster.h"
#include "daemon/commands.h"
#include "tenants/audit.h"

static void audit_usage(FILE *out)
{
    fprintf(out,
            "usage: weftd audit verify [--config FILE | --database-url URL] [--anchor SEQ:HASH]\n\n"
            "Walks the audit log in order, recomputes every entry's SHA-256 chain hash and\n"
            "compares the end of the chain with the recorded chain head. Reports the first\n"
            "altered, inserted or deleted entry. On success prints \"N entries verified\" and\n"
            "the chain head; keep that line somewhere else and pass it back as --anchor to\n"
            "also detect a rewrite of the whole chain after that entry.\n\n"
            "  --config FILE        weft.yaml giving database.url (or the data dir of the\n"
            "                       embedded database, started for the command)\n"
            "  --database-url URL   PostgreSQL URL (else WEFT_DATABASE_URL)\n"
            "  --anchor SEQ:HASH    entry SEQ must still have this hash (hex)\n\n"
            "Exit status: 0 intact, 1 tampering detected, 2 usage error, 3 could not check.\n");
}

static int audit_verify(int argc, char **argv)
{
    const char *config = NULL, *url = NULL, *anchor = NULL;
    const wf_cmdline_opt_t opts[] = {
        WF_CMDLINE_CONFIG(&config),
        WF_CMDLINE_DATABASE_URL(&url),
        WF_CMDLINE_STRING("anchor", 'a', &anchor),
        WF_CMDLINE_END,
    };
    int rc = wf_cmdline_parse(argc, argv, opts, audit_usage, 0);
    if (rc != WF_CMDLINE_GO)
        return rc;
    if (config != NULL && url != NULL) {
        audit_usage(stderr);
        return 2;
    }
    wf_audit_walk_t w;
    char err[512];
    wf_audit_walk_init(&w);
    if (anchor != NULL && wf_audit_parse_anchor(&w, anchor) != 0) {
        fprintf(stderr, "weftd audit verify: --anchor %s: expected SEQ:HASH (64 hex digits)\n",
                anchor);
        return 2;
    }

    wf_log_init("audit", WF_LOG_INFO, 0);
    wf_config_t cfg;
    if (wf_load_config_or_exit(&cfg, config) != 0)
        return 2;
    rc = 3;
    wf_pgcluster_t pg;
    PGconn *conn = wf_pgcluster_connect(&pg, &cfg, url, "weftd-audit-verify", err, sizeof(err));
    if (conn == NULL) {
        fprintf(stderr, "weftd audit verify: %s\n", err);
        goto out;
    }
    if (wf_audit_verify(conn, &w, err, sizeof(err)) != 0) {
        fprintf(stderr, "weftd audit verify: %s\n", err);
        goto out;
    }
    if (w.problem != WF_AUDIT_INTACT) {
        printf("audit log tampered: %s\n", w.message);
        printf("%" PRId64 " entries verified before entry %" PRId64 "\n", w.verified, w.bad_seq);
        rc = 1;
        goto out;
    }
    char hex[2 * WF_AUDIT_HASH_LEN + 1];
    wf_audit_hex(w.last_hash, hex);
    printf("%" PRId64 " entries verified\n", w.verified);
    printf("chain head: %" PRId64 ":%s\n", w.last_seq, hex);
    rc = 0;
out:
    wf_pgcluster_release(&pg, conn);
    wf_config_dispose(&cfg);
    return rc;
}

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} audit_commands[] = {
    {"verify", audit_verify, "recompute the hash chain and report the first tampered entry"},
};

int wf_audit_main(int argc, char **argv)
{
    if (argc >= 2) {
        for (size_t i = 0; i < sizeof(audit_commands) / sizeof(audit_commands[0]); i++)
            if (strcmp(argv[1], audit_commands[i].name) == 0)
                return audit_commands[i].run(argc - 1, argv + 1);
    }
    FILE *out = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
                    ? stdout
                    : stderr;
    fprintf(out, "usage: weftd audit COMMAND\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(audit_commands) / sizeof(audit_commands[0]); i++)
        fprintf(out, "  %-8s %s\n", audit_commands[i].name, audit_commands[i].summary);
    return out == stdout ? 0 : 2;
}
