/* Sealing: round trips, and every way of tampering with a sealed value or
 * its context must fail without releasing plaintext. */
#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "tenants/seal.h"
#include "tests/tap.h"

static int all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0)
            return 0;
    return 1;
}

/* Opens a v1 value following the documented key schedule with OpenSSL's
 * EVP_PKEY HKDF interface (a different code path from the module's EVP_KDF),
 * so the format in seal.h is checked, not just self-consistency. */
static int independent_open(const wf_seal_keypair_t *kp, const uint8_t *sealed, size_t n,
                            const uint8_t *aad, size_t aad_len, uint8_t *out)
{
    int ok_ = 0, len = 0;
    uint8_t shared[32], key[32], info[24 + 64];
    size_t sl = 32, kl = 32;
    EVP_PKEY *mine = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, kp->priv, 32);
    EVP_PKEY *peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, sealed + 1, 32);
    EVP_PKEY_CTX *d = EVP_PKEY_CTX_new(mine, NULL);
    EVP_PKEY_derive_init(d);
    EVP_PKEY_derive_set_peer(d, peer);
    EVP_PKEY_derive(d, shared, &sl);
    memcpy(info, "weft-seal-v1 aes-256-gcm", 24);
    memcpy(info + 24, sealed + 1, 32);
    memcpy(info + 56, kp->pub, 32);
    EVP_PKEY_CTX *h = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
    EVP_PKEY_derive_init(h);
    EVP_PKEY_CTX_set_hkdf_md(h, EVP_sha256());
    EVP_PKEY_CTX_set1_hkdf_salt(h, (const unsigned char *)"weft-seal-v1", 12);
    EVP_PKEY_CTX_set1_hkdf_key(h, shared, 32);
    EVP_PKEY_CTX_add1_hkdf_info(h, info, sizeof(info));
    EVP_PKEY_derive(h, key, &kl);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, sealed + 33);
    EVP_DecryptUpdate(c, NULL, &len, sealed, 45);
    EVP_DecryptUpdate(c, NULL, &len, aad, (int)aad_len);
    EVP_DecryptUpdate(c, out, &len, sealed + 45, (int)(n - 61));
    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, (void *)(sealed + n - 16));
    ok_ = EVP_DecryptFinal_ex(c, out + len, &len) == 1;
    EVP_CIPHER_CTX_free(c);
    EVP_PKEY_CTX_free(h);
    EVP_PKEY_CTX_free(d);
    EVP_PKEY_free(peer);
    EVP_PKEY_free(mine);
    return ok_;
}

int main(void)
{
    wf_seal_keypair_t a, b, c;
    uint8_t aad[WF_SEAL_AAD_MAX], aad2[WF_SEAL_AAD_MAX];
    const char *secret = "postgres://app:s3cr3t-p4ss@db.internal/shipments";
    size_t plen = strlen(secret), slen = 0, olen = 0;
    uint8_t sealed[256], sealed2[256], out[256];

    is_int(wf_seal_keypair_generate(&a), 0, "generate key pair A");
    is_int(wf_seal_keypair_generate(&b), 0, "generate key pair B");
    ok(memcmp(a.priv, b.priv, 32) != 0 && memcmp(a.pub, b.pub, 32) != 0, "key pairs differ");
    memcpy(c.priv, a.priv, 32);
    memset(c.pub, 0, 32);
    is_int(wf_seal_keypair_complete(&c), 0, "public key recomputed from private");
    ok(memcmp(c.pub, a.pub, 32) == 0, "recomputed public key matches");

    int alen = wf_seal_secret_aad("logistics.shipments", "DB_URL", 3, aad);
    ok(alen > 0, "associated data built");
    is_int(wf_seal(a.pub, (const uint8_t *)secret, plen, aad, (size_t)alen, sealed, sizeof(sealed),
                   &slen),
           0, "seal");
    is_int(slen, plen + WF_SEAL_OVERHEAD, "sealed length = plaintext + %d", WF_SEAL_OVERHEAD);
    is_int(sealed[0], WF_SEAL_FORMAT_V1, "format byte");
    ok(memmem(sealed, slen, "s3cr3t", 6) == NULL, "plaintext not visible in sealed form");
    is_int(wf_unseal(&a, sealed, slen, aad, (size_t)alen, out, sizeof(out), &olen), 0, "unseal");
    ok(olen == plen && memcmp(out, secret, plen) == 0, "round trip gives the plaintext back");
    memset(out, 0, sizeof(out));
    ok(independent_open(&a, sealed, slen, aad, (size_t)alen, out) && memcmp(out, secret, plen) == 0,
       "an independent implementation of the documented format opens it");

    size_t slen2 = 0;
    wf_seal(a.pub, (const uint8_t *)secret, plen, aad, (size_t)alen, sealed2, sizeof(sealed2),
            &slen2);
    ok(slen2 == slen && memcmp(sealed, sealed2, slen) != 0,
       "sealing twice gives different values (fresh ephemeral key and nonce)");

    /* Wrong key: B's executor holding A's ciphertext. */
    memset(out, 'X', sizeof(out));
    is_int(wf_unseal(&b, sealed, slen, aad, (size_t)alen, out, sizeof(out), &olen),
           WF_SEAL_ERR_AUTH, "another domain's key does not open it");
    ok(all_zero(out, plen), "output buffer wiped after a failed open");
    /* A pair whose public half lies about the private half. */
    wf_seal_keypair_t liar = b;
    memcpy(liar.pub, a.pub, 32);
    is_int(wf_unseal(&liar, sealed, slen, aad, (size_t)alen, out, sizeof(out), &olen),
           WF_SEAL_ERR_AUTH, "B's private key with A's public key does not open it");

    /* Every single flipped bit anywhere in the sealed value. */
    int flips_refused = 0, flips = 0;
    for (size_t i = 0; i < slen; i++)
        for (int bit = 0; bit < 8; bit++) {
            sealed[i] ^= (uint8_t)(1u << bit);
            int rc = wf_unseal(&a, sealed, slen, aad, (size_t)alen, out, sizeof(out), &olen);
            flips++;
            flips_refused += rc == WF_SEAL_ERR_AUTH || rc == WF_SEAL_ERR_FORMAT;
            sealed[i] ^= (uint8_t)(1u << bit);
        }
    is_int(flips_refused, flips, "all %d single-bit flips refused", flips);
    is_int(wf_unseal(&a, sealed, slen, aad, (size_t)alen, out, sizeof(out), &olen), 0,
           "the untouched value still opens");

    /* Wrong context: the value moved to another namespace, key or version. */
    static const struct {
        const char *ns, *key;
        uint64_t version;
        const char *what;
    } others[] = {
        {"sales.reporting", "DB_URL", 3, "another namespace"},
        {"logistics.shipments", "DB_URL2", 3, "another key name"},
        {"logistics.shipments", "DB_URL", 2, "an older version"},
        {"logistics.shipments", "DB_URL", 4, "a newer version"},
        {"logistics", "shipments.DB_URL", 3, "the same bytes split differently"},
    };
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        int l2 = wf_seal_secret_aad(others[i].ns, others[i].key, others[i].version, aad2);
        is_int(wf_unseal(&a, sealed, slen, aad2, (size_t)l2, out, sizeof(out), &olen),
               WF_SEAL_ERR_AUTH, "refused under %s", others[i].what);
    }
    is_int(wf_unseal(&a, sealed, slen, NULL, 0, out, sizeof(out), &olen), WF_SEAL_ERR_AUTH,
           "refused without associated data");

    /* Truncation at every length. */
    int cuts_refused = 0;
    for (size_t n = 0; n < slen; n++) {
        int rc = wf_unseal(&a, sealed, n, aad, (size_t)alen, out, sizeof(out), &olen);
        cuts_refused += rc == WF_SEAL_ERR_FORMAT || rc == WF_SEAL_ERR_AUTH;
    }
    is_int(cuts_refused, (int)slen, "every truncation refused");
    is_int(wf_unseal(&a, sealed, WF_SEAL_OVERHEAD - 1, aad, (size_t)alen, out, sizeof(out), &olen),
           WF_SEAL_ERR_FORMAT, "shorter than the overhead: format error");
    uint8_t longer[300];
    memcpy(longer, sealed, slen);
    longer[slen] = 0;
    is_int(wf_unseal(&a, longer, slen + 1, aad, (size_t)alen, out, sizeof(out), &olen),
           WF_SEAL_ERR_AUTH, "a byte appended is refused");
    sealed[0] = 0x02;
    is_int(wf_unseal(&a, sealed, slen, aad, (size_t)alen, out, sizeof(out), &olen),
           WF_SEAL_ERR_FORMAT, "unknown format byte refused");
    sealed[0] = WF_SEAL_FORMAT_V1;

    /* A forged all-zero (low-order) ephemeral key makes X25519 output zero. */
    memcpy(sealed2, sealed, slen);
    memset(sealed2 + 1, 0, 32);
    is_int(wf_unseal(&a, sealed2, slen, aad, (size_t)alen, out, sizeof(out), &olen),
           WF_SEAL_ERR_AUTH, "low-order ephemeral key refused");
    uint8_t zero_pub[32] = {0};
    is_int(wf_seal(zero_pub, (const uint8_t *)secret, plen, aad, (size_t)alen, sealed2,
                   sizeof(sealed2), &slen2),
           WF_SEAL_ERR_KEY, "sealing to a low-order public key refused");

    is_int(wf_unseal(&a, sealed, slen, aad, (size_t)alen, out, plen - 1, &olen), WF_SEAL_ERR_SPACE,
           "small output buffer reported");
    is_int(
        wf_seal(a.pub, (const uint8_t *)secret, plen, aad, (size_t)alen, sealed2, slen - 1, &slen2),
        WF_SEAL_ERR_SPACE, "small sealed buffer reported");

    /* Empty value. */
    is_int(
        wf_seal(a.pub, (const uint8_t *)"", 0, aad, (size_t)alen, sealed2, sizeof(sealed2), &slen2),
        0, "empty value seals");
    is_int(wf_unseal(&a, sealed2, slen2, aad, (size_t)alen, out, sizeof(out), &olen), 0,
           "empty value opens");
    is_int(olen, 0, "empty value round trip");

    /* Associated data encoding. */
    is_int(wf_seal_secret_aad("", "K", 1, aad2), WF_SEAL_ERR_ARG, "empty namespace refused");
    char longname[300];
    memset(longname, 'a', 299);
    longname[299] = 0;
    is_int(wf_seal_secret_aad("ns", longname, 1, aad2), WF_SEAL_ERR_ARG, "over-long key refused");

    /* Base64 form of public keys (what domains.public_key stores). */
    char b64[WF_SEAL_KEY_B64_LEN];
    uint8_t back[32];
    wf_seal_key_to_b64(a.pub, b64);
    is_int(strlen(b64), 44, "base64 public key is 44 characters");
    is_int(wf_seal_key_from_b64(b64, back), 0, "base64 decodes");
    ok(memcmp(back, a.pub, 32) == 0, "base64 round trip");
    is_int(wf_seal_key_from_b64("AAAA", back), WF_SEAL_ERR_KEY, "short base64 refused");
    char bad[WF_SEAL_KEY_B64_LEN];
    memcpy(bad, b64, sizeof(bad));
    {
        /* 32 bytes leave the last character's two low bits unused (zero when
         * canonical); setting one decodes to the same key but is refused. */
        static const char alpha[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        int v = (int)(strchr(alpha, b64[42]) - alpha);
        bad[42] = alpha[v ^ 1];
    }
    is_int(wf_seal_key_from_b64(bad, back), WF_SEAL_ERR_KEY, "non-canonical base64 refused");
    memcpy(bad, b64, sizeof(bad));
    bad[10] = '*';
    is_int(wf_seal_key_from_b64(bad, back), WF_SEAL_ERR_KEY, "invalid base64 character refused");
    is_str(wf_seal_strerror(WF_SEAL_ERR_AUTH),
           "sealed value does not open with this key and context", "error text");

    /* SECRET execution inputs: bound to namespace, flow, execution and input,
     * and never interchangeable with a secret. */
    {
        const char *pw = "input-value-0123";
        uint8_t *si = NULL;
        size_t silen = 0, vlen = 0;
        char *v = NULL;
        is_int(wf_seal_input(b.pub, "logistics.app", "deploy", "exec0000000000000000001", "pw",
                             (const uint8_t *)pw, strlen(pw), &si, &silen),
               0, "input seals");
        is_int(wf_unseal_input(&b, "logistics.app", "deploy", "exec0000000000000000001", "pw", si,
                               silen, &v, &vlen),
               0, "input opens with the same four names");
        ok(v != NULL && vlen == strlen(pw) && strcmp(v, pw) == 0, "input round trip");
        OPENSSL_clear_free(v, vlen + 1);
        static const char *const moved[][4] = {
            {"sales.app", "deploy", "exec0000000000000000001", "pw"},
            {"logistics.app", "other", "exec0000000000000000001", "pw"},
            {"logistics.app", "deploy", "exec0000000000000000002", "pw"},
            {"logistics.app", "deploy", "exec0000000000000000001", "pw2"},
        };
        static const char *const what[] = {"another namespace", "another flow",
                                           "another execution", "another input"};
        for (size_t i = 0; i < 4; i++)
            is_int(wf_unseal_input(&b, moved[i][0], moved[i][1], moved[i][2], moved[i][3], si,
                                   silen, &v, &vlen),
                   WF_SEAL_ERR_AUTH, "an input does not open in %s", what[i]);
        is_int(wf_unseal_secret(&b, "logistics.app", "pw", 1, si, silen, &v, &vlen),
               WF_SEAL_ERR_AUTH, "an input never opens as a secret");
        is_int(wf_unseal_input(&a, "logistics.app", "deploy", "exec0000000000000000001", "pw", si,
                               silen, &v, &vlen),
               WF_SEAL_ERR_AUTH, "nor with another domain's key");
        is_int(wf_seal_input(b.pub, "ns", "", "e", "pw", (const uint8_t *)pw, 1, &si, &silen),
               WF_SEAL_ERR_ARG, "an empty name is refused");
        char *enc = wf_seal_b64_encode(si, silen);
        size_t dlen = 0;
        uint8_t *dec = wf_seal_b64_decode(enc, &dlen);
        ok(dec != NULL && dlen == silen && memcmp(dec, si, silen) == 0, "base64 round trip");
        free(dec);
        ok(wf_seal_b64_decode("abc", &dlen) == NULL, "malformed base64 refused");
        free(enc);
        free(si);
    }

    /* Disposal wipes the key pair. */
    wf_seal_keypair_dispose(&a);
    ok(all_zero((uint8_t *)&a, sizeof(a)), "dispose wipes the key pair");
    wf_seal_keypair_dispose(&b);
    wf_seal_keypair_dispose(&c);
    return tap_done();
}
