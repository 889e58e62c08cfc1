/* `weftd keygen`: creates a domain's sealing key file and prints the public
 * key to register for the domain (domains.public_key). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/cmdline.h"
#include "platform/config.h"
#include "daemon/pgcluster.h"
#include "daemon/commands.h"
#include "tenants/keys.h"

static void keygen_usage(FILE *out)
{
    fprintf(out, "usage: weftd keygen --domain NAME [--key-dir DIR] [--config FILE] [--force]\n"
                 "                    [--register [--database-url URL]]\n\n"
                 "Creates DIR/NAME.key (X25519 private key, PEM, mode 0600) for the domain's\n"
                 "executors and prints its public key (base64) on stdout: the key secrets of the\n"
                 "domain are sealed to.\n\n"
                 "  --domain NAME        domain name ([a-z][a-z0-9-]*)\n"
                 "  --key-dir DIR        key directory (default: executor.key_dir of the config,\n"
                 "                       else DATA_DIR/keys)\n"
                 "  --config FILE        weft.yaml to take the key directory and database from\n"
                 "  --force              replace an existing key (the file, and the registration\n"
                 "                       with --register): every secret sealed to the old key\n"
                 "                       becomes unreadable and must be set again\n"
                 "  --register           also record the public key as the domain's key in the\n"
                 "                       database (domains.public_key); refused when another key\n"
                 "                       is registered, unless --force\n"
                 "  --database-url URL   database for --register (else the config's, else\n"
                 "                       WEFT_DATABASE_URL, else the embedded one)\n\n"
                 "Exit status: 0 written, 1 refused or failed, 2 usage error.\n");
}

int wf_keygen_main(int argc, char **argv)
{
    const char *domain = NULL, *key_dir = NULL, *config = NULL, *url = NULL;
    bool force = false, do_register = false;
    const wf_cmdline_opt_t opts[] = {
        WF_CMDLINE_STRING("domain", 'd', &domain),
        WF_CMDLINE_STRING("key-dir", 'k', &key_dir),
        WF_CMDLINE_CONFIG(&config),
        WF_CMDLINE_FLAG("force", 'f', &force),
        WF_CMDLINE_FLAG("register", 'r', &do_register),
        WF_CMDLINE_DATABASE_URL(&url),
        WF_CMDLINE_END,
    };
    int rc = wf_cmdline_parse(argc, argv, opts, keygen_usage, WF_CMDLINE_ANY_ARGS);
    if (rc != WF_CMDLINE_GO)
        return rc;
    if (url != NULL && !do_register) {
        fprintf(stderr, "weftd keygen: --database-url only makes sense with --register\n");
        return 2;
    }
    if (optind != argc || domain == NULL) {
        fprintf(stderr, "weftd keygen: --domain is required\n");
        keygen_usage(stderr);
        return 2;
    }
    if (!wf_keys_domain_valid(domain)) {
        fprintf(stderr,
                "weftd keygen: invalid domain name '%s' (expected [a-z][a-z0-9-]*, at most 63 "
                "characters)\n",
                domain);
        return 2;
    }

    wf_config_t cfg;
    char dir[4096], err[1024];
    wf_seal_keypair_t kp = {0};
    wf_pgcluster_t pg = {0};
    PGconn *conn = NULL;
    long sealed = 0;
    wf_keys_reg_t state = WF_KEYS_REG_NONE;
    if (wf_load_config_or_exit(&cfg, config) != 0)
        return 2;
    rc = 1;
    int len;
    if (key_dir != NULL)
        len = snprintf(dir, sizeof(dir), "%s", key_dir);
    else if (cfg.executor.key_dir != NULL)
        len = snprintf(dir, sizeof(dir), "%s", cfg.executor.key_dir);
    else
        len = snprintf(dir, sizeof(dir), "%s/keys", cfg.data_dir);
    if (len < 0 || (size_t)len >= sizeof(dir)) {
        fprintf(stderr, "weftd keygen: key directory path too long\n");
        goto out;
    }

    if (do_register) {
        /* Checked before anything is written: a refused registration leaves
         * no new key file behind. */
        conn = wf_pgcluster_connect(&pg, &cfg, url, "weftd-keygen", err, sizeof(err));
        if (conn == NULL ||
            wf_keys_registration(conn, domain, kp.pub, &state, &sealed, err, sizeof(err)) != 0) {
            fprintf(stderr, "weftd keygen: %s\n", err);
            goto out;
        }
        if (state != WF_KEYS_REG_NONE && !force) {
            fprintf(stderr,
                    "weftd keygen: domain '%s' already has a public key registered; --force "
                    "replaces it (%ld secret%s sealed to it would no longer open)\n",
                    domain, sealed, sealed == 1 ? "" : "s");
            goto out;
        }
    }
    if (wf_seal_keypair_generate(&kp) != 0) {
        fprintf(stderr, "weftd keygen: cannot generate a key pair\n");
        goto out;
    }
    if (wf_keys_write(dir, domain, &kp, force, err, sizeof(err)) != WF_KEYS_OK) {
        fprintf(stderr, "weftd keygen: %s\n", err);
        goto out;
    }
    fprintf(stderr, "weftd keygen: wrote %s/%s.key\n", dir, domain);
    if (do_register) {
        if (wf_keys_register(conn, domain, kp.pub, force, err, sizeof(err)) != WF_KEYS_OK) {
            fprintf(stderr, "weftd keygen: %s (the new key file is not registered)\n", err);
            goto out;
        }
        fprintf(stderr, "weftd keygen: registered as the public key of domain %s\n", domain);
        if (state == WF_KEYS_REG_OTHER && sealed > 0)
            fprintf(stderr,
                    "weftd keygen: %ld secret%s of domain %s were sealed to the previous key "
                    "and must be set again\n",
                    sealed, sealed == 1 ? "" : "s", domain);
    }
    char b64[WF_SEAL_KEY_B64_LEN];
    wf_seal_key_to_b64(kp.pub, b64);
    printf("%s\n", b64);
    rc = 0;
out:
    wf_seal_keypair_dispose(&kp);
    wf_pgcluster_release(&pg, conn);
    wf_config_dispose(&cfg);
    return rc;
}
