/* JWT decoding, signature verification and claim checks; see jwt.h. */
#include "auth/jwt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/ec.h>

static const char *const reasons[WF_JWT_STATUS_COUNT] = {
    [WF_JWT_OK] = "ok",
    [WF_JWT_NO_CREDENTIALS] = "no-credentials",
    [WF_JWT_BAD_SCHEME] = "bad-scheme",
    [WF_JWT_TOO_LARGE] = "too-large",
    [WF_JWT_MALFORMED] = "malformed",
    [WF_JWT_ALG_NONE] = "alg-none",
    [WF_JWT_ALG_HMAC] = "alg-hmac",
    [WF_JWT_ALG_UNSUPPORTED] = "alg-unsupported",
    [WF_JWT_CRIT] = "crit-unsupported",
    [WF_JWT_KID_MISSING] = "kid-missing",
    [WF_JWT_KID_INVALID] = "kid-invalid",
    [WF_JWT_ISSUER_UNKNOWN] = "issuer-unknown",
    [WF_JWT_KEYS_UNAVAILABLE] = "jwks-unavailable",
    [WF_JWT_KID_UNKNOWN] = "kid-unknown:refresh-requested",
    [WF_JWT_ALG_KEY_MISMATCH] = "alg-key-mismatch",
    [WF_JWT_SIGNATURE_MALFORMED] = "signature-malformed",
    [WF_JWT_SIGNATURE_INVALID] = "signature-invalid",
    [WF_JWT_EXP_MISSING] = "exp-missing",
    [WF_JWT_EXP_INVALID] = "exp-invalid",
    [WF_JWT_EXPIRED] = "expired",
    [WF_JWT_NBF_INVALID] = "nbf-invalid",
    [WF_JWT_NOT_YET_VALID] = "not-yet-valid",
    [WF_JWT_IAT_INVALID] = "iat-invalid",
    [WF_JWT_ISS_MISMATCH] = "iss-mismatch",
    [WF_JWT_AUD_MISMATCH] = "aud-mismatch",
    [WF_JWT_SUB_MISSING] = "sub-missing",
    [WF_JWT_SUB_INVALID] = "sub-invalid",
    [WF_JWT_GROUPS_INVALID] = "groups-invalid",
    [WF_JWT_INTERNAL] = "internal-error",
};

const char *wf_jwt_status_reason(wf_jwt_status_t st)
{
    return (unsigned)st < WF_JWT_STATUS_COUNT && reasons[st] ? reasons[st] : "internal-error";
}

/* Decodes one base64url part into a JSON object (duplicate keys refused: two
 * parsers reading different "sub" values is a classic confusion). */
static json_t *decode_object(const char *part, size_t len)
{
    unsigned char *raw = NULL;
    size_t raw_len = 0;
    json_t *obj = NULL;

    if (len == 0 || wf_b64url_decode(part, len, &raw, &raw_len) < 0)
        return NULL;
    obj = json_loadb((const char *)raw, raw_len, JSON_REJECT_DUPLICATES, NULL);
    free(raw);
    if (!json_is_object(obj)) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

wf_jwt_status_t wf_jwt_decode(wf_jwt_t *jwt, const char *token, size_t len, size_t max_len)
{
    memset(jwt, 0, sizeof(*jwt));
    if (len > max_len)
        return WF_JWT_TOO_LARGE;
    const char *dot1 = memchr(token, '.', len);
    const char *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
    if (dot2 == NULL || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) != NULL)
        return WF_JWT_MALFORMED;

    if ((jwt->header = decode_object(token, (size_t)(dot1 - token))) == NULL)
        return WF_JWT_MALFORMED;
    const char *alg = json_string_value(json_object_get(jwt->header, "alg"));
    if (alg == NULL)
        return WF_JWT_MALFORMED;
    /* Case-insensitive on purpose: "None" and "hs256" are the usual probes. */
    if (strcasecmp(alg, "none") == 0)
        return WF_JWT_ALG_NONE;
    if (strncasecmp(alg, "HS", 2) == 0)
        return WF_JWT_ALG_HMAC;
    if ((jwt->alg = wf_jwt_alg_parse(alg)) == WF_JWT_ALG_INVALID)
        return WF_JWT_ALG_UNSUPPORTED;
    if (json_object_get(jwt->header, "crit") != NULL)
        return WF_JWT_CRIT;
    json_t *kid = json_object_get(jwt->header, "kid");
    if (kid == NULL)
        return WF_JWT_KID_MISSING;
    if (!wf_jwks_kid_valid(json_string_value(kid)))
        return WF_JWT_KID_INVALID;
    jwt->kid = json_string_value(kid);

    if ((jwt->claims = decode_object(dot1 + 1, (size_t)(dot2 - dot1 - 1))) == NULL)
        return WF_JWT_MALFORMED;
    jwt->iss = json_string_value(json_object_get(jwt->claims, "iss"));

    size_t sig_b64 = len - (size_t)(dot2 + 1 - token);
    if (sig_b64 == 0)
        return WF_JWT_SIGNATURE_MALFORMED;
    if (wf_b64url_decode(dot2 + 1, sig_b64, &jwt->sig, &jwt->sig_len) < 0)
        return WF_JWT_SIGNATURE_MALFORMED;
    jwt->signing_input = token;
    jwt->signing_len = (size_t)(dot2 - token);
    return WF_JWT_OK;
}

/* Raw r||s (JWS) to the DER form OpenSSL verifies. Returns the DER length
 * written into *der (malloc'd), or -1. */
static int ecdsa_raw_to_der(const unsigned char *sig, size_t half, unsigned char **der)
{
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, (int)half, NULL), *s = BN_bin2bn(sig + half, (int)half, NULL);
    int n = -1;

    if (es == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
        BN_free(r);
        BN_free(s);
        goto out;
    }
    *der = NULL;
    n = i2d_ECDSA_SIG(es, der);
out:
    ECDSA_SIG_free(es);
    return n;
}

wf_jwt_status_t wf_jwt_verify_signature(const wf_jwt_t *jwt, const wf_jwk_t *key)
{
    size_t want = 0;
    unsigned char *der = NULL;
    const unsigned char *sig = jwt->sig;
    size_t sig_len = jwt->sig_len;
    wf_jwt_status_t st;

    /* The pin: the key decides the algorithm, never the token. */
    if (key == NULL || jwt->alg != key->alg)
        return WF_JWT_ALG_KEY_MISMATCH;
    switch (key->alg) {
    case WF_JWT_ALG_RS256:
    case WF_JWT_ALG_RS384:
    case WF_JWT_ALG_RS512: want = (size_t)EVP_PKEY_get_size(key->pkey); break;
    case WF_JWT_ALG_ES256: want = 64; break;
    case WF_JWT_ALG_ES384: want = 96; break;
    case WF_JWT_ALG_EDDSA: want = 64; break;
    default: return WF_JWT_ALG_KEY_MISMATCH;
    }
    if (sig_len != want)
        return WF_JWT_SIGNATURE_MALFORMED;
    if (key->alg == WF_JWT_ALG_ES256 || key->alg == WF_JWT_ALG_ES384) {
        int n = ecdsa_raw_to_der(jwt->sig, want / 2, &der);
        if (n < 0)
            return WF_JWT_INTERNAL;
        sig = der;
        sig_len = (size_t)n;
    }
    int v = wf_jwk_verify(key, (const unsigned char *)jwt->signing_input, jwt->signing_len, sig,
                          sig_len);
    st = v == 1 ? WF_JWT_OK : v == 0 ? WF_JWT_SIGNATURE_INVALID : WF_JWT_INTERNAL;
    OPENSSL_free(der);
    return st;
}

/* A name (sub, group) is 1..255 bytes without controls or spaces. */
static int name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > WF_PRINCIPAL_MAX_NAME)
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s == 0x7f)
            return 0;
    return 1;
}

static wf_jwt_status_t read_groups(json_t *claim, wf_principal_t *out)
{
    if (claim == NULL)
        return WF_JWT_OK;
    if (json_is_string(claim))
        return name_ok(json_string_value(claim)) &&
                       wf_principal_add_group(out, json_string_value(claim)) == 0
                   ? WF_JWT_OK
                   : WF_JWT_GROUPS_INVALID;
    if (!json_is_array(claim) || json_array_size(claim) > WF_PRINCIPAL_MAX_GROUPS)
        return WF_JWT_GROUPS_INVALID;
    size_t i;
    json_t *g;
    json_array_foreach(claim, i, g)
    {
        if (!name_ok(json_string_value(g)) || wf_principal_add_group(out, json_string_value(g)) < 0)
            return WF_JWT_GROUPS_INVALID;
    }
    return WF_JWT_OK;
}

static int aud_contains(json_t *aud, const char *want)
{
    if (json_is_string(aud))
        return strcmp(json_string_value(aud), want) == 0;
    size_t i;
    json_t *a;
    if (json_is_array(aud))
        json_array_foreach(aud, i, a) if (json_is_string(a) &&
                                          strcmp(json_string_value(a), want) == 0) return 1;
    return 0;
}

wf_jwt_status_t wf_jwt_check_claims(const wf_jwt_t *jwt, const wf_jwt_policy_t *policy,
                                    int64_t now, wf_principal_t *out)
{
    json_t *c = jwt->claims;
    wf_principal_init(out);
    if (c == NULL)
        return WF_JWT_MALFORMED;

    /* Integers only: libjwt-style readers turn 1.5e9 or "1700000000" into 0
     * or garbage; a token with such a claim is refused outright. */
    json_t *exp = json_object_get(c, "exp");
    if (exp == NULL)
        return WF_JWT_EXP_MISSING;
    if (!json_is_integer(exp))
        return WF_JWT_EXP_INVALID;
    if (now >= json_integer_value(exp) + policy->leeway)
        return WF_JWT_EXPIRED;
    json_t *nbf = json_object_get(c, "nbf");
    if (nbf != NULL && !json_is_integer(nbf))
        return WF_JWT_NBF_INVALID;
    if (nbf != NULL && now + policy->leeway < json_integer_value(nbf))
        return WF_JWT_NOT_YET_VALID;
    json_t *iat = json_object_get(c, "iat");
    if (iat != NULL && !json_is_integer(iat))
        return WF_JWT_IAT_INVALID;

    const char *iss = json_string_value(json_object_get(c, "iss"));
    if (iss == NULL || policy->issuer == NULL || strcmp(iss, policy->issuer) != 0)
        return WF_JWT_ISS_MISMATCH;
    if (policy->audience == NULL || !aud_contains(json_object_get(c, "aud"), policy->audience))
        return WF_JWT_AUD_MISMATCH;

    json_t *sub = json_object_get(c, "sub");
    if (sub == NULL)
        return WF_JWT_SUB_MISSING;
    if (!name_ok(json_string_value(sub)))
        return WF_JWT_SUB_INVALID;

    char subject[6 + WF_PRINCIPAL_MAX_NAME];
    snprintf(subject, sizeof(subject), "user:%s", json_string_value(sub));
    if (wf_principal_set(out, subject, iss, json_integer_value(exp)) < 0)
        return WF_JWT_INTERNAL;
    if (policy->groups_claim != NULL && policy->groups_claim[0] != '\0')
        return read_groups(json_object_get(c, policy->groups_claim), out);
    return WF_JWT_OK;
}

void wf_jwt_dispose(wf_jwt_t *jwt)
{
    json_decref(jwt->header);
    json_decref(jwt->claims);
    free(jwt->sig);
    memset(jwt, 0, sizeof(*jwt));
}
