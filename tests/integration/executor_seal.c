/* Test helper: seals VALUE for (NS, KEY, VERSION) to the base64 public key
 * PUB, as the gateway does, and prints the sealed bytes as hex. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tenants/seal.h"

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: executor_seal PUB NS KEY VERSION VALUE\n");
        return 2;
    }
    uint8_t pub[WF_SEAL_KEY_LEN];
    if (wf_seal_key_from_b64(argv[1], pub) != 0) {
        fprintf(stderr, "bad public key\n");
        return 1;
    }
    uint8_t *out = NULL;
    size_t n = 0;
    if (wf_seal_secret(pub, argv[2], argv[3], (uint64_t)atoll(argv[4]),
                       (const uint8_t *)argv[5], strlen(argv[5]), &out, &n) != 0) {
        fprintf(stderr, "seal failed\n");
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        printf("%02x", out[i]);
    printf("\n");
    free(out);
    return 0;
}
