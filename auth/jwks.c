/* JWKS parsing into pinned OpenSSL keys; see jwks.h. */
#include "auth/jwks.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#define CTX_POOL 16

/* Per-key verification state, shared by every thread using the key. */
struct wf_jwk_ctx {
    EVP_MD *md; /* NULL for EdDSA (no prehash) */
    _Atomic(EVP_PKEY_CTX *) pool[CTX_POOL];
};

struct wf_jwks {
    atomic_int refs;
    wf_jwk_t keys[WF_JWKS_MAX_KEYS];
    size_t n_keys;
    size_t skipped;
    char skip_reason[160];
};

static const char *const alg_names[WF_JWT_ALG_COUNT] = {
    [WF_JWT_ALG_INVALID] = "invalid", [WF_JWT_ALG_RS256] = "RS256",
    [WF_JWT_ALG_RS384] = "RS384",     [WF_JWT_ALG_RS512] = "RS512",
    [WF_JWT_ALG_ES256] = "ES256",     [WF_JWT_ALG_ES384] = "ES384",
    [WF_JWT_ALG_EDDSA] = "EdDSA",
};

wf_jwt_alg_t wf_jwt_alg_parse(const char *name)
{
    for (int a = WF_JWT_ALG_RS256; a < WF_JWT_ALG_COUNT; a++)
        if (name != NULL && strcmp(name, alg_names[a]) == 0)
            return (wf_jwt_alg_t)a;
    return WF_JWT_ALG_INVALID;
}

const char *wf_jwt_alg_name(wf_jwt_alg_t alg)
{
    return (unsigned)alg < WF_JWT_ALG_COUNT ? alg_names[alg] : "invalid";
}

int wf_b64url_value(unsigned char c)
{
    int v = -1;
    v += ((c - 'A' + 1) & -((c >= 'A') & (c <= 'Z')));
    v += ((c - 'a' + 27) & -((c >= 'a') & (c <= 'z')));
    v += ((c - '0' + 53) & -((c >= '0') & (c <= '9')));
    v += (63 & -(c == '-'));
    v += (64 & -(c == '_'));
    return v;
}

int wf_b64url_decode(const char *in, size_t len, unsigned char **out, size_t *out_len)
{
    /* A lone trailing character carries 6 bits: never a whole byte. */
    if (len % 4 == 1)
        return -1;
    size_t n = len / 4 * 3 + (len % 4 == 0 ? 0 : len % 4 - 1);
    unsigned char *buf = malloc(n + 1);
    if (buf == NULL)
        return -1;
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        int v = wf_b64url_value((unsigned char)in[i]);
        if (v < 0)
            goto fail;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    /* Spare bits must be zero: otherwise several strings decode alike. */
    if (acc != 0)
        goto fail;
    buf[o] = '\0';
    *out = buf;
    *out_len = o;
    return 0;
fail:
    free(buf);
    return -1;
}

bool wf_jwks_kid_valid(const char *kid)
{
    size_t n = kid ? strlen(kid) : 0;
    if (n == 0 || n > WF_JWKS_KID_MAX || strstr(kid, "..") != NULL)
        return false;
    for (const char *p = kid; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (wf_b64url_value(c) < 0 && c != '.' && c != '~' && c != '+' && c != '/' && c != '=')
            return false;
    }
    return true;
}

static void skip(wf_jwks_t *set, size_t idx, const char *why)
{
    if (set->skipped++ == 0)
        snprintf(set->skip_reason, sizeof(set->skip_reason), "key %zu: %s", idx, why);
}

/* Decodes member `name` of `jwk` (base64url); NULL when absent or invalid. */
static unsigned char *member_bytes(json_t *jwk, const char *name, size_t *len)
{
    const char *s = json_string_value(json_object_get(jwk, name));
    unsigned char *out = NULL;
    if (s == NULL || wf_b64url_decode(s, strlen(s), &out, len) < 0 || *len == 0) {
        free(out);
        return NULL;
    }
    return out;
}

static EVP_PKEY *pkey_from_params(const char *type, OSSL_PARAM_BLD *bld)
{
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
        pkey = NULL;
    OSSL_PARAM_free(params);
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

/* Runs OpenSSL's public-key sanity checks (point on curve, RSA modulus). */
static bool pkey_check(EVP_PKEY *pkey)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    bool ok = ctx != NULL && EVP_PKEY_public_check(ctx) == 1;
    EVP_PKEY_CTX_free(ctx);
    return ok;
}

static EVP_PKEY *rsa_key(json_t *jwk, const char **why)
{
    size_t nl = 0, el = 0;
    unsigned char *n = member_bytes(jwk, "n", &nl), *e = member_bytes(jwk, "e", &el);
    BIGNUM *bn = NULL, *be = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    EVP_PKEY *pkey = NULL;

    *why = "RSA key without valid n/e";
    if (n == NULL || e == NULL || el > 8)
        goto out;
    bn = BN_bin2bn(n, (int)nl, NULL);
    be = BN_bin2bn(e, (int)el, NULL);
    if (bn == NULL || be == NULL)
        goto out;
    *why = "RSA modulus outside 2048..8192 bits";
    if (BN_num_bits(bn) < WF_JWKS_RSA_MIN_BITS || BN_num_bits(bn) > WF_JWKS_RSA_MAX_BITS)
        goto out;
    *why = "RSA exponent must be odd and > 1";
    if (!BN_is_odd(be) || BN_is_one(be))
        goto out;
    *why = "RSA key rejected by OpenSSL";
    if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) != 1)
        goto out;
    pkey = pkey_from_params("RSA", bld);
out:
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn);
    BN_free(be);
    free(n);
    free(e);
    return pkey;
}

static EVP_PKEY *ec_key(json_t *jwk, wf_jwt_alg_t *alg, const char **why)
{
    const char *crv = json_string_value(json_object_get(jwk, "crv"));
    const char *group;
    size_t size, xl = 0, yl = 0;
    unsigned char *x = NULL, *y = NULL, pub[1 + 2 * 48];
    OSSL_PARAM_BLD *bld = NULL;
    EVP_PKEY *pkey = NULL;

    *why = "EC key on an unsupported curve";
    if (crv != NULL && strcmp(crv, "P-256") == 0) {
        group = "prime256v1", size = 32, *alg = WF_JWT_ALG_ES256;
    } else if (crv != NULL && strcmp(crv, "P-384") == 0) {
        group = "secp384r1", size = 48, *alg = WF_JWT_ALG_ES384;
    } else {
        goto out;
    }
    *why = "EC key without full-length x/y";
    x = member_bytes(jwk, "x", &xl);
    y = member_bytes(jwk, "y", &yl);
    if (x == NULL || y == NULL || xl != size || yl != size)
        goto out;
    pub[0] = 0x04; /* uncompressed point */
    memcpy(pub + 1, x, size);
    memcpy(pub + 1 + size, y, size);
    *why = "EC point rejected by OpenSSL (not on the curve)";
    if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, 1 + 2 * size) != 1)
        goto out;
    pkey = pkey_from_params("EC", bld);
out:
    OSSL_PARAM_BLD_free(bld);
    free(x);
    free(y);
    return pkey;
}

static EVP_PKEY *okp_key(json_t *jwk, const char **why)
{
    const char *crv = json_string_value(json_object_get(jwk, "crv"));
    size_t xl = 0;
    unsigned char *x = NULL;
    EVP_PKEY *pkey = NULL;

    *why = "OKP key on an unsupported curve (only Ed25519)";
    if (crv == NULL || strcmp(crv, "Ed25519") != 0)
        goto out;
    *why = "Ed25519 key without a 32-byte x";
    if ((x = member_bytes(jwk, "x", &xl)) == NULL || xl != 32)
        goto out;
    pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, xl);
out:
    free(x);
    return pkey;
}

static bool key_ops_allow_verify(json_t *ops)
{
    size_t i;
    json_t *v;
    if (!json_is_array(ops))
        return false;
    json_array_foreach(ops, i, v) if (json_is_string(v) &&
                                      strcmp(json_string_value(v), "verify") == 0) return true;
    return false;
}

/* Imports one JWK into set->keys[set->n_keys], or records why not. */
static void add_key(wf_jwks_t *set, size_t idx, json_t *jwk)
{
    const char *why = "not a JSON object";
    EVP_PKEY *pkey = NULL;
    wf_jwt_alg_t alg = WF_JWT_ALG_INVALID, natural = WF_JWT_ALG_INVALID;

    if (!json_is_object(jwk))
        goto skip;
    const char *kty = json_string_value(json_object_get(jwk, "kty"));
    const char *kid = json_string_value(json_object_get(jwk, "kid"));
    const char *use = json_string_value(json_object_get(jwk, "use"));
    json_t *alg_j = json_object_get(jwk, "alg");
    json_t *ops = json_object_get(jwk, "key_ops");

    why = "missing or invalid kid";
    if (!wf_jwks_kid_valid(kid))
        goto skip;
    why = "duplicate kid";
    if (wf_jwks_find(set, kid) != NULL)
        goto skip;
    why = "use is not \"sig\"";
    if (json_object_get(jwk, "use") != NULL && (use == NULL || strcmp(use, "sig") != 0))
        goto skip;
    why = "key_ops without \"verify\"";
    if (ops != NULL && !key_ops_allow_verify(ops))
        goto skip;
    why = "unsupported alg";
    if (alg_j != NULL && (alg = wf_jwt_alg_parse(json_string_value(alg_j))) == WF_JWT_ALG_INVALID)
        goto skip;
    why = "missing or unsupported kty";
    if (kty == NULL)
        goto skip;
    if (strcmp(kty, "RSA") == 0) {
        /* Without "alg" an RSA key is pinned to RS256, the OIDC default. */
        natural = alg != WF_JWT_ALG_INVALID ? alg : WF_JWT_ALG_RS256;
        if (natural != WF_JWT_ALG_RS256 && natural != WF_JWT_ALG_RS384 &&
            natural != WF_JWT_ALG_RS512) {
            why = "alg does not match kty RSA";
            goto skip;
        }
        pkey = rsa_key(jwk, &why);
    } else if (strcmp(kty, "EC") == 0) {
        pkey = ec_key(jwk, &natural, &why);
    } else if (strcmp(kty, "OKP") == 0) {
        natural = WF_JWT_ALG_EDDSA;
        pkey = okp_key(jwk, &why);
    } else {
        goto skip;
    }
    if (pkey == NULL)
        goto skip;
    if (alg != WF_JWT_ALG_INVALID && alg != natural) {
        why = "alg does not match the key type or curve";
        goto skip;
    }
    why = "public key failed OpenSSL's checks";
    if (natural != WF_JWT_ALG_EDDSA && !pkey_check(pkey))
        goto skip;
    why = "too many keys";
    if (set->n_keys >= WF_JWKS_MAX_KEYS)
        goto skip;
    why = "out of memory";
    char *kid_copy = strdup(kid);
    if (kid_copy == NULL)
        goto skip;
    struct wf_jwk_ctx *kc = calloc(1, sizeof(*kc));
    const char *md = natural == WF_JWT_ALG_RS256 || natural == WF_JWT_ALG_ES256   ? "SHA256"
                     : natural == WF_JWT_ALG_RS384 || natural == WF_JWT_ALG_ES384 ? "SHA384"
                     : natural == WF_JWT_ALG_RS512                                ? "SHA512"
                                                                                  : NULL;
    if (kc == NULL || (md != NULL && (kc->md = EVP_MD_fetch(NULL, md, NULL)) == NULL)) {
        free(kc);
        free(kid_copy);
        goto skip;
    }
    set->keys[set->n_keys++] = (wf_jwk_t){kid_copy, natural, pkey, kc};
    return;
skip:
    EVP_PKEY_free(pkey);
    skip(set, idx, why);
}

int wf_jwks_parse(const char *json, size_t len, wf_jwks_t **out, char *err, size_t err_len)
{
    json_error_t jerr;
    json_t *doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    wf_jwks_t *set = NULL;
    int rc = -1;

    *out = NULL;
    if (doc == NULL) {
        snprintf(err, err_len, "JWKS is not valid JSON: %s (line %d)", jerr.text, jerr.line);
        goto out;
    }
    json_t *keys = json_object_get(doc, "keys");
    if (!json_is_array(keys)) {
        snprintf(err, err_len, "JWKS has no \"keys\" array");
        goto out;
    }
    if ((set = calloc(1, sizeof(*set))) == NULL) {
        snprintf(err, err_len, "out of memory");
        goto out;
    }
    atomic_init(&set->refs, 1);
    size_t i;
    json_t *jwk;
    json_array_foreach(keys, i, jwk) add_key(set, i, jwk);
    *out = set;
    rc = 0;
out:
    json_decref(doc);
    return rc;
}

wf_jwks_t *wf_jwks_ref(wf_jwks_t *set)
{
    if (set != NULL)
        atomic_fetch_add_explicit(&set->refs, 1, memory_order_relaxed);
    return set;
}

void wf_jwks_unref(wf_jwks_t *set)
{
    if (set == NULL || atomic_fetch_sub_explicit(&set->refs, 1, memory_order_acq_rel) != 1)
        return;
    for (size_t i = 0; i < set->n_keys; i++) {
        struct wf_jwk_ctx *kc = set->keys[i].ctx;
        for (size_t k = 0; k < CTX_POOL; k++)
            EVP_PKEY_CTX_free(atomic_load(&kc->pool[k]));
        EVP_MD_free(kc->md);
        free(kc);
        free(set->keys[i].kid);
        EVP_PKEY_free(set->keys[i].pkey);
    }
    free(set);
}

const wf_jwk_t *wf_jwks_find(const wf_jwks_t *set, const char *kid)
{
    if (set == NULL || kid == NULL)
        return NULL;
    for (size_t i = 0; i < set->n_keys; i++)
        if (strcmp(set->keys[i].kid, kid) == 0)
            return &set->keys[i];
    return NULL;
}

size_t wf_jwks_count(const wf_jwks_t *set)
{
    return set ? set->n_keys : 0;
}

const wf_jwk_t *wf_jwks_key(const wf_jwks_t *set, size_t i)
{
    return set != NULL && i < set->n_keys ? &set->keys[i] : NULL;
}

size_t wf_jwks_skipped(const wf_jwks_t *set)
{
    return set ? set->skipped : 0;
}

const char *wf_jwks_skip_reason(const wf_jwks_t *set)
{
    return set ? set->skip_reason : "";
}

bool wf_jwks_superset(const wf_jwks_t *new_set, const wf_jwks_t *old)
{
    for (size_t i = 0; old != NULL && i < old->n_keys; i++) {
        const wf_jwk_t *k = wf_jwks_find(new_set, old->keys[i].kid);
        if (k == NULL || k->alg != old->keys[i].alg || EVP_PKEY_eq(k->pkey, old->keys[i].pkey) != 1)
            return false;
    }
    return true;
}

/* A verify-initialised context for `key`: from the pool, or a new one. */
static EVP_PKEY_CTX *ctx_take(const wf_jwk_t *key)
{
    for (size_t i = 0; i < CTX_POOL; i++) {
        EVP_PKEY_CTX *c = atomic_exchange(&key->ctx->pool[i], NULL);
        if (c != NULL)
            return c;
    }
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, key->pkey, NULL);
    if (c == NULL || EVP_PKEY_verify_init(c) != 1 ||
        EVP_PKEY_CTX_set_signature_md(c, key->ctx->md) != 1 ||
        (key->alg <= WF_JWT_ALG_RS512 &&
         EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) != 1)) {
        EVP_PKEY_CTX_free(c);
        return NULL;
    }
    return c;
}

static void ctx_give(const wf_jwk_t *key, EVP_PKEY_CTX *c)
{
    for (size_t i = 0; i < CTX_POOL; i++) {
        EVP_PKEY_CTX *expected = NULL;
        if (atomic_compare_exchange_strong(&key->ctx->pool[i], &expected, c))
            return;
    }
    EVP_PKEY_CTX_free(c); /* pool full: more threads than slots */
}

int wf_jwk_verify(const wf_jwk_t *key, const unsigned char *msg, size_t len,
                  const unsigned char *sig, size_t sig_len)
{
    if (key->ctx->md == NULL) {
        /* Ed25519 signs the message itself; one-shot only. */
        EVP_MD_CTX *mc = EVP_MD_CTX_new();
        int rc = -1;
        if (mc != NULL && EVP_DigestVerifyInit_ex(mc, NULL, NULL, NULL, NULL, key->pkey, NULL) == 1)
            rc = EVP_DigestVerify(mc, sig, sig_len, msg, len) == 1;
        EVP_MD_CTX_free(mc);
        return rc;
    }
    unsigned char dgst[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    if (EVP_Digest(msg, len, dgst, &dlen, key->ctx->md, NULL) != 1)
        return -1;
    EVP_PKEY_CTX *c = ctx_take(key);
    if (c == NULL)
        return -1;
    int v = EVP_PKEY_verify(c, sig, sig_len, dgst, dlen);
    ctx_give(key, c);
    return v == 1;
}
