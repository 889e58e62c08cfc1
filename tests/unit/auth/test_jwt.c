/* JWT decoding rules, claim checks and Authorization header parsing. The
 * signature side is covered with jose-made tokens in test_jwks and in the
 * attack battery (tests/security/auth_jwt.sh). */
#include <stdio.h>
#include <stdlib.h>

#include "auth/authn.h"
#include "auth/jwt.h"
#include "tests/tap.h"

static void b64url(const char *in, char *out)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t n = strlen(in), o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)(unsigned char)in[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)(unsigned char)in[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)in[i + 2];
        out[o++] = a[v >> 18 & 63];
        out[o++] = a[v >> 12 & 63];
        if (i + 1 < n)
            out[o++] = a[v >> 6 & 63];
        if (i + 2 < n)
            out[o++] = a[v & 63];
    }
    out[o] = '\0';
}

/* header.payload.signature from JSON texts; sig is already encoded. */
static char *tok(const char *header, const char *payload, const char *sig)
{
    static char buf[4][20000];
    static int k;
    char h[8000], p[8000];
    b64url(header, h);
    b64url(payload, p);
    char *b = buf[k++ % 4];
    snprintf(b, sizeof(buf[0]), "%s.%s.%s", h, p, sig);
    return b;
}

static wf_jwt_status_t dec(const char *t)
{
    wf_jwt_t j;
    wf_jwt_status_t st = wf_jwt_decode(&j, t, strlen(t), WF_JWT_DEFAULT_MAX_LEN);
    wf_jwt_dispose(&j);
    return st;
}

static const int64_t NOW = 1800000000;

static wf_jwt_status_t claims(const char *json, wf_principal_t *p)
{
    wf_jwt_t j = {0};
    j.claims = json_loads(json, 0, NULL);
    wf_jwt_policy_t pol = {"https://idp.test", "weft", "groups", 30};
    wf_jwt_status_t st = wf_jwt_check_claims(&j, &pol, NOW, p);
    wf_jwt_dispose(&j);
    return st;
}

static wf_jwt_status_t claims_only(const char *json)
{
    wf_principal_t p;
    wf_jwt_status_t st = claims(json, &p);
    wf_principal_dispose(&p);
    return st;
}

#define BASE "\"iss\":\"https://idp.test\",\"aud\":\"weft\",\"sub\":\"alice\""

int main(void)
{
    const char *P = "{\"iss\":\"https://idp.test\"}";
    const char *S = "c2ln";
    const char *H = "{\"alg\":\"RS256\",\"kid\":\"rsa-1\"}";

    is_int(dec(tok(H, P, S)), WF_JWT_OK, "well-formed token decodes");
    /* alg handling */
    is_int(dec(tok("{\"alg\":\"none\",\"kid\":\"k\"}", P, "")), WF_JWT_ALG_NONE, "alg none");
    is_int(dec(tok("{\"alg\":\"None\"}", P, "")), WF_JWT_ALG_NONE, "alg None");
    is_int(dec(tok("{\"alg\":\"NONE\"}", P, S)), WF_JWT_ALG_NONE, "alg NONE");
    is_int(dec(tok("{\"alg\":\"HS256\",\"kid\":\"rsa-1\"}", P, S)), WF_JWT_ALG_HMAC, "HS256");
    is_int(dec(tok("{\"alg\":\"hs512\",\"kid\":\"rsa-1\"}", P, S)), WF_JWT_ALG_HMAC, "hs512");
    is_int(dec(tok("{\"alg\":\"PS256\",\"kid\":\"rsa-1\"}", P, S)), WF_JWT_ALG_UNSUPPORTED,
           "PS256 unsupported");
    is_int(dec(tok("{\"alg\":\"rs256\",\"kid\":\"rsa-1\"}", P, S)), WF_JWT_ALG_UNSUPPORTED,
           "alg is case-sensitive");
    is_int(dec(tok("{\"kid\":\"rsa-1\"}", P, S)), WF_JWT_MALFORMED, "no alg");
    is_int(dec(tok("{\"alg\":256,\"kid\":\"rsa-1\"}", P, S)), WF_JWT_MALFORMED, "alg not a string");
    is_int(dec(tok("{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"crit\":[\"exp\"]}", P, S)),
           WF_JWT_CRIT, "crit refused");
    /* kid */
    is_int(dec(tok("{\"alg\":\"RS256\"}", P, S)), WF_JWT_KID_MISSING, "kid missing");
    is_int(dec(tok("{\"alg\":\"RS256\",\"kid\":\"../../../../dev/null\"}", P, S)),
           WF_JWT_KID_INVALID, "kid path traversal");
    is_int(dec(tok("{\"alg\":\"RS256\",\"kid\":\"x' UNION SELECT 1--\"}", P, S)),
           WF_JWT_KID_INVALID, "kid SQL injection");
    is_int(dec(tok("{\"alg\":\"RS256\",\"kid\":7}", P, S)), WF_JWT_KID_INVALID, "kid number");
    is_int(dec(tok("{\"alg\":\"RS256\",\"kid\":\"\"}", P, S)), WF_JWT_KID_INVALID, "kid empty");
    is_int(dec(tok("{\"alg\":\"RS256\",\"kid\":\"a\\u0000b\"}", P, S)), WF_JWT_MALFORMED,
           "kid with NUL: header refused by the JSON parser");
    /* structure */
    is_int(dec(tok(H, P, "")), WF_JWT_SIGNATURE_MALFORMED, "stripped signature");
    is_int(dec(tok(H, P, "c2ln=")), WF_JWT_SIGNATURE_MALFORMED, "padded signature");
    is_int(dec("abc"), WF_JWT_MALFORMED, "one part");
    is_int(dec("a.b"), WF_JWT_MALFORMED, "two parts");
    is_int(dec(""), WF_JWT_MALFORMED, "empty");
    char four[20100];
    snprintf(four, sizeof(four), "%s.x", tok(H, P, S));
    is_int(dec(four), WF_JWT_MALFORMED, "four parts");
    is_int(dec(tok("{not json", P, S)), WF_JWT_MALFORMED, "header not JSON");
    is_int(dec(tok("[1,2]", P, S)), WF_JWT_MALFORMED, "header not an object");
    is_int(dec(tok(H, "{\"sub\":", S)), WF_JWT_MALFORMED, "payload not JSON");
    is_int(dec(tok(H, "\"alice\"", S)), WF_JWT_MALFORMED, "payload a string");
    is_int(dec(tok(H, "{\"sub\":\"a\",\"sub\":\"admin\"}", S)), WF_JWT_MALFORMED,
           "duplicate claim refused");
    is_int(dec(tok("{\"alg\":\"RS256\",\"alg\":\"none\",\"kid\":\"k\"}", P, S)),
           WF_JWT_MALFORMED, "duplicate header member refused");
    char bad64[20100];
    snprintf(bad64, sizeof(bad64), "%s", tok(H, P, S));
    bad64[3] = '+';
    is_int(dec(bad64), WF_JWT_MALFORMED, "standard base64 in the header refused");
    snprintf(bad64, sizeof(bad64), "%s", tok(H, P, S));
    bad64[strlen(bad64) - 2] = '*';
    is_int(dec(bad64), WF_JWT_SIGNATURE_MALFORMED, "junk in the signature refused");
    wf_jwt_t j;
    const char *t = tok(H, P, S);
    is_int(wf_jwt_decode(&j, t, strlen(t), 20), WF_JWT_TOO_LARGE, "size limit");
    wf_jwt_dispose(&j);

    /* Claims */
    wf_principal_t p;
    is_int(claims("{" BASE ",\"exp\":1800000100,\"groups\":[\"a\",\"b\"]}", &p), WF_JWT_OK,
           "good claims");
    is_str(p.subject, "user:alice", "subject");
    is_str(p.issuer, "https://idp.test", "issuer");
    is_int(p.expires_at, 1800000100, "expires_at = exp");
    is_int(p.n_groups, 2, "two groups");
    is_str(p.n_groups == 2 ? p.groups[1] : NULL, "b", "group b");
    wf_principal_dispose(&p);
    is_int(claims_only("{" BASE ",\"exp\":1800000100,\"groups\":\"solo\"}"), WF_JWT_OK,
           "groups as one string");
    is_int(claims_only("{" BASE ",\"exp\":1800000100}"), WF_JWT_OK, "no groups claim");
    is_int(claims_only("{" BASE "}"), WF_JWT_EXP_MISSING, "exp missing");
    is_int(claims_only("{" BASE ",\"exp\":1.8e9}"), WF_JWT_EXP_INVALID, "exp float");
    is_int(claims_only("{" BASE ",\"exp\":\"1900000000\"}"), WF_JWT_EXP_INVALID, "exp string");
    is_int(claims_only("{" BASE ",\"exp\":null}"), WF_JWT_EXP_INVALID, "exp null");
    is_int(claims_only("{" BASE ",\"exp\":true}"), WF_JWT_EXP_INVALID, "exp bool");
    is_int(claims_only("{" BASE ",\"exp\":1799999900}"), WF_JWT_EXPIRED, "expired");
    is_int(claims_only("{" BASE ",\"exp\":1799999980}"), WF_JWT_OK, "expired within leeway");
    is_int(claims_only("{" BASE ",\"exp\":1799999970}"), WF_JWT_EXPIRED, "expired at leeway");
    is_int(claims_only("{" BASE ",\"exp\":1900000000,\"nbf\":1800000100}"), WF_JWT_NOT_YET_VALID,
           "nbf in the future");
    is_int(claims_only("{" BASE ",\"exp\":1900000000,\"nbf\":1800000020}"), WF_JWT_OK,
           "nbf within leeway");
    is_int(claims_only("{" BASE ",\"exp\":1900000000,\"nbf\":\"0\"}"), WF_JWT_NBF_INVALID,
           "nbf string");
    is_int(claims_only("{" BASE ",\"exp\":1900000000,\"iat\":1.5}"), WF_JWT_IAT_INVALID,
           "iat float");
    is_int(claims_only("{\"iss\":\"https://idp.test/\",\"aud\":\"weft\",\"sub\":\"a\","
                       "\"exp\":1900000000}"),
           WF_JWT_ISS_MISMATCH, "iss differs by a slash");
    is_int(claims_only("{\"aud\":\"weft\",\"sub\":\"a\",\"exp\":1900000000}"),
           WF_JWT_ISS_MISMATCH, "iss missing");
    is_int(claims_only("{\"iss\":\"https://idp.test\",\"aud\":\"weft2\",\"sub\":\"a\","
                       "\"exp\":1900000000}"),
           WF_JWT_AUD_MISMATCH, "wrong aud");
    is_int(claims_only("{\"iss\":\"https://idp.test\",\"aud\":[\"x\",\"weft\"],\"sub\":\"a\","
                       "\"exp\":1900000000}"),
           WF_JWT_OK, "aud array containing ours");
    is_int(claims_only("{\"iss\":\"https://idp.test\",\"aud\":[\"x\",\"y\"],\"sub\":\"a\","
                       "\"exp\":1900000000}"),
           WF_JWT_AUD_MISMATCH, "aud array without ours");
    is_int(claims_only("{\"iss\":\"https://idp.test\",\"aud\":[],\"sub\":\"a\","
                       "\"exp\":1900000000}"),
           WF_JWT_AUD_MISMATCH, "empty aud array");
    is_int(claims_only("{\"iss\":\"https://idp.test\",\"sub\":\"a\",\"exp\":1900000000}"),
           WF_JWT_AUD_MISMATCH, "aud missing");
    is_int(claims_only("{\"iss\":\"https://idp.test\",\"aud\":\"weft\",\"exp\":1900000000}"),
           WF_JWT_SUB_MISSING, "sub missing");
    is_int(claims_only("{\"iss\":\"https://idp.test\",\"aud\":\"weft\",\"sub\":\"\","
                       "\"exp\":1900000000}"),
           WF_JWT_SUB_INVALID, "sub empty");
    is_int(claims_only("{\"iss\":\"https://idp.test\",\"aud\":\"weft\",\"sub\":42,"
                       "\"exp\":1900000000}"),
           WF_JWT_SUB_INVALID, "sub number");
    is_int(claims_only("{\"iss\":\"https://idp.test\",\"aud\":\"weft\",\"sub\":\"a\\nb\","
                       "\"exp\":1900000000}"),
           WF_JWT_SUB_INVALID, "sub with newline");
    is_int(claims_only("{" BASE ",\"exp\":1900000000,\"groups\":7}"), WF_JWT_GROUPS_INVALID,
           "groups number");
    is_int(claims_only("{" BASE ",\"exp\":1900000000,\"groups\":[\"a\",1]}"),
           WF_JWT_GROUPS_INVALID, "group not a string");
    is_int(claims_only("{" BASE ",\"exp\":1900000000,\"groups\":[\"a b\"]}"),
           WF_JWT_GROUPS_INVALID, "group with a space");

    /* Every status has a reason string. */
    int named = 1;
    for (int s = 0; s < WF_JWT_STATUS_COUNT; s++)
        named &= strcmp(wf_jwt_status_reason(s), "internal-error") != 0 || s == WF_JWT_INTERNAL;
    ok(named, "every status has its own reason");
    is_str(wf_jwt_status_reason(WF_JWT_KID_UNKNOWN), "kid-unknown:refresh-requested",
           "unknown kid reason says a refresh was requested");

    /* Authorization header */
    const char *tk;
    size_t tl;
    wf_jwt_status_t st;
    const char *h1 = "Bearer abc.def.ghi";
    is_int(wf_authn_bearer(h1, strlen(h1), 8192, &tk, &tl, &st), WF_CRED_JWT, "Bearer JWT");
    ok(tl == 11 && strncmp(tk, "abc.def.ghi", tl) == 0, "token slice");
    const char *h2 = "bearer weft_sa_AAAA";
    is_int(wf_authn_bearer(h2, strlen(h2), 8192, &tk, &tl, &st), WF_CRED_SATOKEN,
           "case-insensitive scheme, service-account token");
    struct {
        const char *h;
        wf_jwt_status_t want;
    } bad[] = {
        {"", WF_JWT_NO_CREDENTIALS},          {"Basic YWxpY2U6cHc=", WF_JWT_BAD_SCHEME},
        {"Bearer", WF_JWT_BAD_SCHEME},         {"Bearer ", WF_JWT_BAD_SCHEME},
        {"Bearer  a.b.c", WF_JWT_MALFORMED},   {"Bearer a.b.c extra", WF_JWT_MALFORMED},
        {"Bearer a.b.c=", WF_JWT_MALFORMED},   {"Bearer \"a.b.c\"", WF_JWT_MALFORMED},
        {"Bearera.b.c", WF_JWT_BAD_SCHEME},    {"Token a.b.c", WF_JWT_BAD_SCHEME},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        wf_cred_kind_t k = wf_authn_bearer(bad[i].h, strlen(bad[i].h), 8192, &tk, &tl, &st);
        ok(k == WF_CRED_NONE && st == bad[i].want, "header \"%s\" refused: %s", bad[i].h,
           wf_jwt_status_reason(st));
    }
    ok(wf_authn_bearer(NULL, 0, 8192, &tk, &tl, &st) == WF_CRED_NONE &&
           st == WF_JWT_NO_CREDENTIALS,
       "no header");
    is_int(wf_authn_bearer(h1, strlen(h1), 5, &tk, &tl, &st), WF_CRED_NONE, "header over limit");
    is_int(st, WF_JWT_TOO_LARGE, "too-large");
    return tap_done();
}
