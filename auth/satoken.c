/* Service-account tokens; see satoken.h. */
#include "auth/satoken.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "auth/jwks.h"
#include "platform/text.h"

#define PREFIX_LEN (sizeof(WF_SATOKEN_PREFIX) - 1)
#define BODY_LEN (WF_SATOKEN_LEN - PREFIX_LEN)

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int wf_satoken_generate(char out[WF_SATOKEN_LEN + 1])
{
    unsigned char raw[WF_SATOKEN_RANDOM_BYTES];
    int rc = -1;

    if (RAND_bytes(raw, sizeof(raw)) != 1) {
        OPENSSL_cleanse(out, WF_SATOKEN_LEN + 1);
        goto out;
    }
    memcpy(out, WF_SATOKEN_PREFIX, PREFIX_LEN);
    char *p = out + PREFIX_LEN;
    size_t i = 0;
    /* 32 bytes = 10 groups of 3 bytes (40 chars) + 2 bytes (3 chars). */
    for (; i + 3 <= sizeof(raw); i += 3) {
        uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 | raw[i + 2];
        *p++ = b64url[(v >> 18) & 63];
        *p++ = b64url[(v >> 12) & 63];
        *p++ = b64url[(v >> 6) & 63];
        *p++ = b64url[v & 63];
    }
    uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8;
    *p++ = b64url[(v >> 18) & 63];
    *p++ = b64url[(v >> 12) & 63];
    *p++ = b64url[(v >> 6) & 63];
    *p = '\0';
    rc = 0;
out:
    OPENSSL_cleanse(raw, sizeof(raw));
    return rc;
}

bool wf_satoken_syntax_ok(const char *token, size_t len)
{
    if (token == NULL || len != WF_SATOKEN_LEN)
        return false;
    /* Accumulate every defect instead of returning at the first one. */
    int bad = CRYPTO_memcmp(token, WF_SATOKEN_PREFIX, PREFIX_LEN) != 0;
    int last = 0;
    for (size_t i = PREFIX_LEN; i < WF_SATOKEN_LEN; i++) {
        last = wf_b64url_value((unsigned char)token[i]);
        bad |= last < 0;
    }
    /* 43 characters carry 258 bits for 256: the low 2 bits of the last
     * character must be zero in the one canonical encoding. */
    bad |= (last & 3) != 0;
    return !bad;
}

int wf_satoken_hash(const char *token, size_t len, uint8_t out[WF_SATOKEN_HASH_LEN])
{
    unsigned int n = 0;

    if (!wf_satoken_syntax_ok(token, len))
        return -1;
    if (EVP_Digest(token, len, out, &n, EVP_sha256(), NULL) != 1 || n != WF_SATOKEN_HASH_LEN) {
        OPENSSL_cleanse(out, WF_SATOKEN_HASH_LEN);
        return -1;
    }
    return 0;
}

bool wf_satoken_hash_equal(const uint8_t a[WF_SATOKEN_HASH_LEN],
                           const uint8_t b[WF_SATOKEN_HASH_LEN])
{
    return CRYPTO_memcmp(a, b, WF_SATOKEN_HASH_LEN) == 0;
}

void wf_satoken_hash_to_bytea_hex(const uint8_t hash[WF_SATOKEN_HASH_LEN], char out[67])
{
    wf_bytea_hex(out, hash, WF_SATOKEN_HASH_LEN);
}
