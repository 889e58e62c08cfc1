#include "tenants/seal.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

/* Constants of the key schedule; changing any of them is a new format byte. */
static const char seal_salt[] = "weft-seal-v1";
static const char seal_info_label[] = "weft-seal-v1 aes-256-gcm";
static const char aad_label[] = "weft-secret-v1";

static const struct {
    int rc;
    const char *text;
} seal_errors[] = {
    {WF_SEAL_OK, "ok"},
    {WF_SEAL_ERR_CRYPTO, "cryptographic library failure"},
    {WF_SEAL_ERR_FORMAT, "sealed value is truncated or of an unknown format"},
    {WF_SEAL_ERR_AUTH, "sealed value does not open with this key and context"},
    {WF_SEAL_ERR_KEY, "invalid key"},
    {WF_SEAL_ERR_SPACE, "output buffer too small"},
    {WF_SEAL_ERR_ARG, "invalid argument"},
};

const char *wf_seal_strerror(int rc)
{
    for (size_t i = 0; i < sizeof(seal_errors) / sizeof(seal_errors[0]); i++)
        if (seal_errors[i].rc == rc)
            return seal_errors[i].text;
    return "unknown error";
}

size_t wf_seal_sealed_len(size_t plain_len)
{
    return plain_len + WF_SEAL_OVERHEAD;
}

int wf_seal_keypair_generate(wf_seal_keypair_t *kp)
{
    int rc = WF_SEAL_ERR_CRYPTO;
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
    size_t plen = WF_SEAL_KEY_LEN, slen = WF_SEAL_KEY_LEN;
    if (pkey == NULL)
        goto out;
    if (EVP_PKEY_get_raw_private_key(pkey, kp->priv, &slen) != 1 || slen != WF_SEAL_KEY_LEN ||
        EVP_PKEY_get_raw_public_key(pkey, kp->pub, &plen) != 1 || plen != WF_SEAL_KEY_LEN)
        goto out;
    rc = WF_SEAL_OK;
out:
    if (rc != WF_SEAL_OK)
        wf_seal_keypair_dispose(kp);
    EVP_PKEY_free(pkey); /* frees (and OpenSSL clears) its copy of the private key */
    return rc;
}

int wf_seal_keypair_complete(wf_seal_keypair_t *kp)
{
    int rc = WF_SEAL_ERR_KEY;
    size_t plen = WF_SEAL_KEY_LEN;
    EVP_PKEY *pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, kp->priv, WF_SEAL_KEY_LEN);
    if (pkey == NULL)
        goto out;
    if (EVP_PKEY_get_raw_public_key(pkey, kp->pub, &plen) != 1 || plen != WF_SEAL_KEY_LEN)
        goto out;
    rc = WF_SEAL_OK;
out:
    EVP_PKEY_free(pkey);
    return rc;
}

void wf_seal_keypair_dispose(wf_seal_keypair_t *kp)
{
    OPENSSL_cleanse(kp, sizeof(*kp));
}

/* X25519 then HKDF-SHA256 into a 32-byte AES key. `mine` is a private key,
 * `peer_pub` the other side's public key; eph_pub/rcpt_pub go into `info`. */
static int derive_key(EVP_PKEY *mine, const uint8_t peer_pub[WF_SEAL_KEY_LEN],
                      const uint8_t eph_pub[WF_SEAL_KEY_LEN],
                      const uint8_t rcpt_pub[WF_SEAL_KEY_LEN], uint8_t key[WF_SEAL_KEY_LEN])
{
    static const uint8_t zeros[WF_SEAL_KEY_LEN];
    int rc = WF_SEAL_ERR_CRYPTO;
    uint8_t shared[WF_SEAL_KEY_LEN];
    uint8_t info[sizeof(seal_info_label) - 1 + 2 * WF_SEAL_KEY_LEN];
    size_t shared_len = sizeof(shared);
    EVP_PKEY *peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer_pub, WF_SEAL_KEY_LEN);
    EVP_PKEY_CTX *dctx = NULL;
    EVP_KDF *kdf = NULL;
    EVP_KDF_CTX *kctx = NULL;

    if (peer == NULL) {
        rc = WF_SEAL_ERR_KEY;
        goto out;
    }
    dctx = EVP_PKEY_CTX_new_from_pkey(NULL, mine, NULL);
    if (dctx == NULL || EVP_PKEY_derive_init(dctx) != 1 ||
        EVP_PKEY_derive_set_peer(dctx, peer) != 1)
        goto out;
    if (EVP_PKEY_derive(dctx, shared, &shared_len) != 1 || shared_len != sizeof(shared)) {
        /* OpenSSL refuses an all-zero result (low-order peer point): a bad key. */
        rc = WF_SEAL_ERR_KEY;
        goto out;
    }
    /* Belt and braces: never derive a key from the all-zero shared secret. */
    if (CRYPTO_memcmp(shared, zeros, sizeof(shared)) == 0) {
        rc = WF_SEAL_ERR_KEY;
        goto out;
    }
    memcpy(info, seal_info_label, sizeof(seal_info_label) - 1);
    memcpy(info + sizeof(seal_info_label) - 1, eph_pub, WF_SEAL_KEY_LEN);
    memcpy(info + sizeof(seal_info_label) - 1 + WF_SEAL_KEY_LEN, rcpt_pub, WF_SEAL_KEY_LEN);

    kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    if (kctx == NULL)
        goto out;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, shared, sizeof(shared)),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)seal_salt,
                                          sizeof(seal_salt) - 1),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, sizeof(info)),
        OSSL_PARAM_construct_end(),
    };
    if (EVP_KDF_derive(kctx, key, WF_SEAL_KEY_LEN, params) != 1)
        goto out;
    rc = WF_SEAL_OK;
out:
    OPENSSL_cleanse(shared, sizeof(shared));
    if (rc != WF_SEAL_OK)
        OPENSSL_cleanse(key, WF_SEAL_KEY_LEN);
    EVP_KDF_CTX_free(kctx);
    EVP_KDF_free(kdf);
    EVP_PKEY_CTX_free(dctx);
    EVP_PKEY_free(peer);
    return rc;
}

/* One AES-256-GCM pass. `enc` 1 seals (writes tag), 0 opens (checks tag).
 * The header and the caller's associated data are both authenticated. */
static int gcm(int enc, const uint8_t key[WF_SEAL_KEY_LEN], const uint8_t *header,
               const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t in_len, uint8_t *out,
               uint8_t tag[WF_SEAL_TAG_LEN])
{
    int rc = WF_SEAL_ERR_CRYPTO, n = 0;
    const uint8_t *nonce = header + 1 + WF_SEAL_KEY_LEN;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (c == NULL || in_len > (size_t)INT32_MAX || aad_len > (size_t)INT32_MAX)
        goto out;
    if (EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, WF_SEAL_NONCE_LEN, NULL) != 1 ||
        EVP_CipherInit_ex(c, NULL, NULL, key, nonce, enc) != 1)
        goto out;
    if (EVP_CipherUpdate(c, NULL, &n, header, WF_SEAL_HEADER_LEN) != 1)
        goto out;
    if (aad_len > 0 && EVP_CipherUpdate(c, NULL, &n, aad, (int)aad_len) != 1)
        goto out;
    if (in_len > 0 && EVP_CipherUpdate(c, out, &n, in, (int)in_len) != 1)
        goto out;
    if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, WF_SEAL_TAG_LEN, tag) != 1)
        goto out;
    if (EVP_CipherFinal_ex(c, out + in_len, &n) != 1) {
        rc = enc ? WF_SEAL_ERR_CRYPTO : WF_SEAL_ERR_AUTH;
        goto out;
    }
    if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, WF_SEAL_TAG_LEN, tag) != 1)
        goto out;
    rc = WF_SEAL_OK;
out:
    EVP_CIPHER_CTX_free(c); /* clears the expanded key schedule */
    return rc;
}

int wf_seal(const uint8_t recipient_pub[WF_SEAL_KEY_LEN], const uint8_t *plain, size_t plain_len,
            const uint8_t *aad, size_t aad_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
    int rc;
    uint8_t key[WF_SEAL_KEY_LEN];
    wf_seal_keypair_t eph;

    if (recipient_pub == NULL || out == NULL || (plain == NULL && plain_len > 0) ||
        (aad == NULL && aad_len > 0) || plain_len > (size_t)INT32_MAX - WF_SEAL_OVERHEAD)
        return WF_SEAL_ERR_ARG;
    if (out_cap < wf_seal_sealed_len(plain_len))
        return WF_SEAL_ERR_SPACE;
    rc = wf_seal_keypair_generate(&eph);
    if (rc != WF_SEAL_OK)
        return rc;
    EVP_PKEY *eph_key =
        EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, eph.priv, WF_SEAL_KEY_LEN);
    if (eph_key == NULL) {
        rc = WF_SEAL_ERR_CRYPTO;
        goto out;
    }
    out[0] = WF_SEAL_FORMAT_V1;
    memcpy(out + 1, eph.pub, WF_SEAL_KEY_LEN);
    /* A fresh ephemeral key already makes the AES key unique per value; the
     * random nonce costs nothing and keeps GCM safe even if that ever changed. */
    if (RAND_bytes(out + 1 + WF_SEAL_KEY_LEN, WF_SEAL_NONCE_LEN) != 1) {
        rc = WF_SEAL_ERR_CRYPTO;
        goto out;
    }
    rc = derive_key(eph_key, recipient_pub, eph.pub, recipient_pub, key);
    if (rc != WF_SEAL_OK)
        goto out;
    rc = gcm(1, key, out, aad, aad_len, plain, plain_len, out + WF_SEAL_HEADER_LEN,
             out + WF_SEAL_HEADER_LEN + plain_len);
    if (rc == WF_SEAL_OK)
        *out_len = wf_seal_sealed_len(plain_len);
out:
    if (rc != WF_SEAL_OK)
        OPENSSL_cleanse(out, wf_seal_sealed_len(plain_len)); /* out_cap checked above */
    OPENSSL_cleanse(key, sizeof(key));
    wf_seal_keypair_dispose(&eph);
    EVP_PKEY_free(eph_key);
    return rc;
}

int wf_unseal(const wf_seal_keypair_t *kp, const uint8_t *sealed, size_t sealed_len,
              const uint8_t *aad, size_t aad_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
    int rc;
    uint8_t key[WF_SEAL_KEY_LEN];
    uint8_t tag[WF_SEAL_TAG_LEN];
    EVP_PKEY *mine = NULL;

    if (kp == NULL || sealed == NULL || (out == NULL && out_cap > 0) ||
        (aad == NULL && aad_len > 0))
        return WF_SEAL_ERR_ARG;
    if (sealed_len < WF_SEAL_OVERHEAD || sealed[0] != WF_SEAL_FORMAT_V1 ||
        sealed_len > (size_t)INT32_MAX)
        return WF_SEAL_ERR_FORMAT;
    size_t plain_len = sealed_len - WF_SEAL_OVERHEAD;
    if (out_cap < plain_len)
        return WF_SEAL_ERR_SPACE;
    mine = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, kp->priv, WF_SEAL_KEY_LEN);
    if (mine == NULL)
        return WF_SEAL_ERR_KEY;
    rc = derive_key(mine, sealed + 1, sealed + 1, kp->pub, key);
    if (rc == WF_SEAL_ERR_KEY)
        rc = WF_SEAL_ERR_AUTH; /* a forged ephemeral key is an altered value */
    if (rc != WF_SEAL_OK)
        goto out;
    memcpy(tag, sealed + WF_SEAL_HEADER_LEN + plain_len, WF_SEAL_TAG_LEN);
    rc = gcm(0, key, sealed, aad, aad_len, sealed + WF_SEAL_HEADER_LEN, plain_len, out, tag);
    if (rc == WF_SEAL_OK)
        *out_len = plain_len;
out:
    if (rc != WF_SEAL_OK && out != NULL)
        OPENSSL_cleanse(out, plain_len); /* GCM decrypts before it checks the tag */
    OPENSSL_cleanse(key, sizeof(key));
    EVP_PKEY_free(mine);
    return rc;
}

static size_t put_str16(uint8_t *p, const char *s, size_t n)
{
    p[0] = (uint8_t)(n >> 8);
    p[1] = (uint8_t)n;
    memcpy(p + 2, s, n);
    return n + 2;
}

int wf_seal_secret_aad(const char *ns, const char *key, uint64_t version,
                       uint8_t out[WF_SEAL_AAD_MAX])
{
    if (ns == NULL || key == NULL)
        return WF_SEAL_ERR_ARG;
    size_t nl = strlen(ns), kl = strlen(key), len = 0;
    if (nl == 0 || nl > 255 || kl == 0 || kl > 255)
        return WF_SEAL_ERR_ARG;
    memcpy(out, aad_label, sizeof(aad_label) - 1);
    len = sizeof(aad_label) - 1;
    len += put_str16(out + len, ns, nl);
    len += put_str16(out + len, key, kl);
    for (int i = 7; i >= 0; i--)
        out[len++] = (uint8_t)(version >> (8 * i));
    return (int)len;
}

void wf_seal_key_to_b64(const uint8_t key[WF_SEAL_KEY_LEN], char out[WF_SEAL_KEY_B64_LEN])
{
    EVP_EncodeBlock((unsigned char *)out, key, WF_SEAL_KEY_LEN);
}

int wf_seal_key_from_b64(const char *b64, uint8_t key[WF_SEAL_KEY_LEN])
{
    uint8_t buf[36];
    char again[WF_SEAL_KEY_B64_LEN];
    if (b64 == NULL || strlen(b64) != WF_SEAL_KEY_B64_LEN - 1)
        return WF_SEAL_ERR_KEY;
    if (EVP_DecodeBlock(buf, (const unsigned char *)b64, WF_SEAL_KEY_B64_LEN - 1) != 33)
        return WF_SEAL_ERR_KEY;
    /* Only the canonical spelling is accepted: re-encoding must give the input back. */
    wf_seal_key_to_b64(buf, again);
    if (strcmp(again, b64) != 0)
        return WF_SEAL_ERR_KEY;
    memcpy(key, buf, WF_SEAL_KEY_LEN);
    return WF_SEAL_OK;
}

/* Seals `value` with associated data `aad` into a malloc'd buffer. */
static int seal_alloc(const uint8_t pub[WF_SEAL_KEY_LEN], const uint8_t *aad, size_t alen,
                      const uint8_t *value, size_t value_len, uint8_t **out, size_t *out_len)
{
    if (value_len > (size_t)INT32_MAX - WF_SEAL_OVERHEAD)
        return WF_SEAL_ERR_ARG;
    size_t cap = wf_seal_sealed_len(value_len);
    uint8_t *buf = malloc(cap);
    if (buf == NULL)
        return WF_SEAL_ERR_CRYPTO;
    int rc = wf_seal(pub, value, value_len, aad, alen, buf, cap, out_len);
    if (rc != WF_SEAL_OK) {
        free(buf);
        return rc;
    }
    *out = buf;
    return WF_SEAL_OK;
}

/* Opens `sealed` with associated data `aad` into a malloc'd NUL-terminated
 * string; nothing is returned on failure. */
static int unseal_alloc(const wf_seal_keypair_t *kp, const uint8_t *aad, size_t alen,
                        const uint8_t *sealed, size_t sealed_len, char **value, size_t *value_len)
{
    if (sealed == NULL || sealed_len < WF_SEAL_OVERHEAD)
        return WF_SEAL_ERR_FORMAT;
    size_t cap = sealed_len - WF_SEAL_OVERHEAD;
    char *buf = malloc(cap + 1);
    if (buf == NULL)
        return WF_SEAL_ERR_CRYPTO;
    int rc = wf_unseal(kp, sealed, sealed_len, aad, alen, (uint8_t *)buf, cap, value_len);
    if (rc != WF_SEAL_OK) {
        OPENSSL_clear_free(buf, cap + 1);
        return rc;
    }
    buf[*value_len] = '\0';
    *value = buf;
    return WF_SEAL_OK;
}

int wf_seal_secret(const uint8_t pub[WF_SEAL_KEY_LEN], const char *ns, const char *key,
                   uint64_t version, const uint8_t *value, size_t value_len, uint8_t **out,
                   size_t *out_len)
{
    uint8_t aad[WF_SEAL_AAD_MAX];
    int alen = wf_seal_secret_aad(ns, key, version, aad);
    if (alen < 0)
        return alen;
    return seal_alloc(pub, aad, (size_t)alen, value, value_len, out, out_len);
}

int wf_unseal_secret(const wf_seal_keypair_t *kp, const char *ns, const char *key, uint64_t version,
                     const uint8_t *sealed, size_t sealed_len, char **value, size_t *value_len)
{
    uint8_t aad[WF_SEAL_AAD_MAX];
    int alen = wf_seal_secret_aad(ns, key, version, aad);
    if (alen < 0)
        return alen;
    return unseal_alloc(kp, aad, (size_t)alen, sealed, sealed_len, value, value_len);
}

/* A label of its own: a sealed input never opens as a secret, nor the reverse. */
static const char input_aad_label[] = "weft-input-v1";

int wf_seal_input_aad(const char *ns, const char *flow_id, const char *execution_id,
                      const char *input_id, uint8_t out[WF_SEAL_INPUT_AAD_MAX])
{
    const char *parts[] = {ns, flow_id, execution_id, input_id};
    size_t len = sizeof(input_aad_label) - 1;
    memcpy(out, input_aad_label, len);
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        size_t n = parts[i] ? strlen(parts[i]) : 0;
        if (n == 0 || n > 255)
            return WF_SEAL_ERR_ARG;
        len += put_str16(out + len, parts[i], n);
    }
    return (int)len;
}

int wf_seal_input(const uint8_t pub[WF_SEAL_KEY_LEN], const char *ns, const char *flow_id,
                  const char *execution_id, const char *input_id, const uint8_t *value,
                  size_t value_len, uint8_t **out, size_t *out_len)
{
    uint8_t aad[WF_SEAL_INPUT_AAD_MAX];
    int alen = wf_seal_input_aad(ns, flow_id, execution_id, input_id, aad);
    if (alen < 0)
        return alen;
    return seal_alloc(pub, aad, (size_t)alen, value, value_len, out, out_len);
}

int wf_unseal_input(const wf_seal_keypair_t *kp, const char *ns, const char *flow_id,
                    const char *execution_id, const char *input_id, const uint8_t *sealed,
                    size_t sealed_len, char **value, size_t *value_len)
{
    uint8_t aad[WF_SEAL_INPUT_AAD_MAX];
    int alen = wf_seal_input_aad(ns, flow_id, execution_id, input_id, aad);
    if (alen < 0)
        return alen;
    return unseal_alloc(kp, aad, (size_t)alen, sealed, sealed_len, value, value_len);
}

char *wf_seal_b64_encode(const uint8_t *data, size_t len)
{
    if (len > (size_t)INT32_MAX / 2)
        return NULL;
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    if (out != NULL)
        EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    return out;
}

uint8_t *wf_seal_b64_decode(const char *b64, size_t *len)
{
    size_t n = b64 ? strlen(b64) : 0;
    if (n == 0 || n % 4 != 0 || n > (size_t)INT32_MAX / 2)
        return NULL;
    uint8_t *out = malloc(n / 4 * 3);
    if (out == NULL)
        return NULL;
    int got = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)n);
    if (got < 0) {
        free(out);
        return NULL;
    }
    /* EVP_DecodeBlock counts the padding as zero bytes. */
    size_t pad = (b64[n - 1] == '=') + (b64[n - 2] == '=');
    *len = (size_t)got - pad;
    return out;
}
