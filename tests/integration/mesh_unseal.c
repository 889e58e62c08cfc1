/* Opens a sealed secret the way a domain's executor does: with that domain's
 * key file. Used by mesh_secrets.sh to show that only the owning domain's key
 * opens what the gateway sealed, and only for the (namespace, key, version)
 * it was sealed for.
 *   mesh_unseal KEY_DIR DOMAIN NAMESPACE KEY VERSION SEALED_HEX
 * prints the value and exits 0, or prints the reason on stderr and exits 1. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tenants/keys.h"
#include "tenants/seal.h"

static int hex_decode(const char *hex, unsigned char **out, size_t *out_len)
{
    size_t n = strlen(hex);
    if (n % 2 != 0)
        return -1;
    unsigned char *b = malloc(n / 2 + 1);
    if (b == NULL)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned int v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
            free(b);
            return -1;
        }
        b[i] = (unsigned char)v;
    }
    *out = b;
    *out_len = n / 2;
    return 0;
}

int main(int argc, char **argv)
{
    wf_seal_keypair_t kp;
    char err[256];
    unsigned char *sealed = NULL;
    size_t sealed_len = 0;
    char *value = NULL;
    size_t value_len = 0;
    int ret = 1;

    if (argc != 7) {
        fprintf(stderr, "usage: mesh_unseal KEY_DIR DOMAIN NAMESPACE KEY VERSION SEALED_HEX\n");
        return 2;
    }
    const char *hex = argv[6];
    if (strncmp(hex, "\\x", 2) == 0)
        hex += 2;
    if (hex_decode(hex, &sealed, &sealed_len) != 0) {
        fprintf(stderr, "bad hex\n");
        return 2;
    }
    if (wf_keys_load(argv[1], argv[2], &kp, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        goto out;
    }
    int rc = wf_unseal_secret(&kp, argv[3], argv[4], strtoull(argv[5], NULL, 10), sealed,
                              sealed_len, &value, &value_len);
    wf_seal_keypair_dispose(&kp);
    if (rc != 0) {
        fprintf(stderr, "%s\n", wf_seal_strerror(rc));
        goto out;
    }
    fwrite(value, 1, value_len, stdout);
    OPENSSL_clear_free(value, value_len + 1);
    ret = 0;
out:
    free(sealed);
    return ret;
}
