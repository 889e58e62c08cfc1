/* `weftd keygen`: creates a domain's sealing key file and prints the public
 * key to register for the domain (domains.public_key). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/config.h"
#include "platform/roles.h"
#include "tenants/keys.h"

static void keygen_usage(FILE *out)
{
    fprintf(out, "usage: weftd keygen --domain NAME [--key-dir DIR | --config FILE] [--force]\n\n"
                 "Creates DIR/NAME.key (X25519 private key, PEM, mode 0600) for the domain's\n"
                 "executors and prints its public key (base64) on stdout: register it as the\n"
                 "domain's public key so that secrets are sealed to it.\n\n"
                 "  --domain NAME    domain name ([a-z][a-z0-9-]*)\n"
                 "  --key-dir DIR    key directory (default: executor.key_dir of the config,\n"
                 "                   else DATA_DIR/keys)\n"
                 "  --config FILE    weft.yaml to take the key directory from\n"
                 "  --force          replace an existing key: every secret sealed to the old\n"
                 "                   key becomes unreadable and must be set again\n\n"
                 "Exit status: 0 written, 1 refused or failed, 2 usage error.\n");
}

int wf_keygen_main(int argc, char **argv)
{
    const char *domain = NULL, *key_dir = NULL, *config = NULL;
    bool force = false;
    static const struct option opts[] = {
        {"domain", required_argument, NULL, 'd'}, {"key-dir", required_argument, NULL, 'k'},
        {"config", required_argument, NULL, 'c'}, {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},         {0}};
    int c, rc = 1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:k:c:fh", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            domain = optarg;
            break;
        case 'k':
            key_dir = optarg;
            break;
        case 'c':
            config = optarg;
            break;
        case 'f':
            force = true;
            break;
        case 'h':
            keygen_usage(stdout);
            return 0;
        default:
            keygen_usage(stderr);
            return 2;
        }
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
    wf_diags_t diags;
    char dir[4096], err[512];
    wf_seal_keypair_t kp;
    wf_config_defaults(&cfg);
    wf_diags_init(&diags, config ? config : "<defaults>");
    if (config != NULL && wf_config_load(&cfg, config, &diags) != 0) {
        wf_diags_print(&diags, stderr);
        goto out_cfg;
    }
    wf_config_apply_env(&cfg);
    if (key_dir != NULL)
        snprintf(dir, sizeof(dir), "%s", key_dir);
    else if (cfg.executor.key_dir != NULL)
        snprintf(dir, sizeof(dir), "%s", cfg.executor.key_dir);
    else
        snprintf(dir, sizeof(dir), "%s/keys", cfg.data_dir);

    if (wf_seal_keypair_generate(&kp) != 0) {
        fprintf(stderr, "weftd keygen: cannot generate a key pair\n");
        goto out_cfg;
    }
    if (wf_keys_write(dir, domain, &kp, force, err, sizeof(err)) != WF_KEYS_OK) {
        fprintf(stderr, "weftd keygen: %s\n", err);
        goto out_key;
    }
    char b64[WF_SEAL_KEY_B64_LEN];
    wf_seal_key_to_b64(kp.pub, b64);
    fprintf(stderr, "weftd keygen: wrote %s/%s.key; public key of domain %s:\n", dir, domain,
            domain);
    printf("%s\n", b64);
    rc = 0;
out_key:
    wf_seal_keypair_dispose(&kp);
out_cfg:
    wf_diags_dispose(&diags);
    wf_config_dispose(&cfg);
    return rc;
}
