/* JWKS parsing and signature checks against keys and tokens produced by jose
 * (tests/unit/auth/jwks_fixture.json, made by tests/lib/jwks_fixture.mjs). */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "auth/jwks.h"
#include "auth/jwt.h"
#include "tests/tap.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (n > 0 && (buf = malloc((size_t)n + 1)) != NULL) {
        *len = fread(buf, 1, (size_t)n, f);
        buf[*len] = '\0';
    }
    fclose(f);
    return buf;
}

static wf_jwt_status_t verify_with(const wf_jwks_t *set, const char *token, const char *kid)
{
    wf_jwt_t jwt;
    wf_jwt_status_t st = wf_jwt_decode(&jwt, token, strlen(token), WF_JWT_DEFAULT_MAX_LEN);
    if (st == WF_JWT_OK)
        st = wf_jwt_verify_signature(&jwt, wf_jwks_find(set, kid ? kid : jwt.kid));
    wf_jwt_dispose(&jwt);
    return st;
}

static int b64_is(const char *in, const char *want)
{
    unsigned char *out = NULL;
    size_t n = 0;
    int rc = wf_b64url_decode(in, strlen(in), &out, &n);
    int same = want == NULL ? rc < 0 : rc == 0 && n == strlen(want) && memcmp(out, want, n) == 0;
    free(out);
    return same;
}

int main(void)
{
    const char *src = getenv("WF_SRCDIR");
    char path[4096];
    size_t len = 0;
    snprintf(path, sizeof(path), "%s/tests/unit/auth/jwks_fixture.json", src ? src : ".");
    char *text = slurp(path, &len);
    ok(text != NULL, "fixture readable (%s)", path);
    json_t *fx = text ? json_loads(text, 0, NULL) : NULL;
    ok(fx != NULL, "fixture is JSON");
    if (fx == NULL)
        return tap_done();

    char *jwks = json_dumps(json_object_get(fx, "jwks"), JSON_COMPACT);
    char err[256] = "";
    wf_jwks_t *set = NULL;
    is_int(wf_jwks_parse(jwks, strlen(jwks), &set, err, sizeof(err)), 0, "JWKS parses: %s", err);
    is_int(wf_jwks_count(set), json_integer_value(json_object_get(fx, "good")),
           "every good key kept");
    is_int(wf_jwks_skipped(set), json_array_size(json_object_get(fx, "bad")),
           "every bad key skipped (first: %s)", wf_jwks_skip_reason(set));

    struct {
        const char *kid;
        wf_jwt_alg_t alg;
    } pins[] = {{"rsa-1", WF_JWT_ALG_RS256},  {"rsa-noalg", WF_JWT_ALG_RS256},
                {"rsa-384", WF_JWT_ALG_RS384}, {"rsa-512", WF_JWT_ALG_RS512},
                {"ec-1", WF_JWT_ALG_ES256},    {"ec-384", WF_JWT_ALG_ES384},
                {"ed-1", WF_JWT_ALG_EDDSA}};
    for (size_t i = 0; i < sizeof(pins) / sizeof(pins[0]); i++) {
        const wf_jwk_t *k = wf_jwks_find(set, pins[i].kid);
        ok(k != NULL && k->alg == pins[i].alg, "%s pinned to %s", pins[i].kid,
           wf_jwt_alg_name(pins[i].alg));
    }
    const char *skipped_kids[] = {"bad-1024", "bad-offcurve", "bad-short-x", "bad-oct",
                                  "bad-enc", "bad-ops", "../../etc/passwd", "bad-crv-alg",
                                  "bad-kty-alg", "bad-none", "bad-hs", "bad-x25519"};
    for (size_t i = 0; i < sizeof(skipped_kids) / sizeof(*skipped_kids); i++)
        ok(wf_jwks_find(set, skipped_kids[i]) == NULL, "key %s skipped", skipped_kids[i]);

    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(fx, "tokens"), i, t)
    {
        const char *kid = json_string_value(json_object_get(t, "kid"));
        is_int(verify_with(set, json_string_value(json_object_get(t, "token")), NULL), WF_JWT_OK,
               "jose %s token verifies with %s",
               json_string_value(json_object_get(t, "alg")), kid);
        /* The same token presented against every other key is refused. */
        int refused = 1;
        for (size_t k = 0; k < wf_jwks_count(set); k++) {
            const wf_jwk_t *other = wf_jwks_key(set, k);
            if (strcmp(other->kid, kid) == 0)
                continue;
            wf_jwt_status_t st =
                verify_with(set, json_string_value(json_object_get(t, "token")), other->kid);
            refused &= st == WF_JWT_ALG_KEY_MISMATCH || st == WF_JWT_SIGNATURE_INVALID ||
                       st == WF_JWT_SIGNATURE_MALFORMED;
        }
        ok(refused, "token of %s refused by every other key", kid);
    }
    json_array_foreach(json_object_get(fx, "forged"), i, t)
        is_int(verify_with(set, json_string_value(json_object_get(t, "token")), NULL),
               WF_JWT_SIGNATURE_INVALID, "right kid %s, wrong key: signature-invalid",
               json_string_value(json_object_get(t, "kid")));
    is_int(verify_with(set, json_string_value(json_object_get(fx, "unpinned")), NULL),
           WF_JWT_ALG_KEY_MISMATCH, "RS384 token under a key without alg (pinned RS256) refused");

    /* Rotation bookkeeping: same set is a superset; a set missing a key is not. */
    wf_jwks_t *again = NULL, *fewer = NULL;
    wf_jwks_parse(jwks, strlen(jwks), &again, err, sizeof(err));
    ok(wf_jwks_superset(again, set) && wf_jwks_superset(set, again), "identical sets");
    json_t *keys = json_object_get(json_object_get(fx, "jwks"), "keys");
    for (size_t k = 0; k < json_array_size(keys); k++) {
        const char *kid = json_string_value(json_object_get(json_array_get(keys, k), "kid"));
        if (kid != NULL && strcmp(kid, "ec-1") == 0)
            json_array_remove(keys, k);
    }
    char *jwks2 = json_dumps(json_object_get(fx, "jwks"), JSON_COMPACT);
    wf_jwks_parse(jwks2, strlen(jwks2), &fewer, err, sizeof(err));
    ok(wf_jwks_superset(set, fewer), "old set covers the smaller one");
    ok(!wf_jwks_superset(fewer, set), "a removed key is detected");
    ok(wf_jwks_superset(set, NULL), "anything covers no set");
    ok(wf_jwks_ref(again) == again, "ref returns the set");
    wf_jwks_unref(again);
    wf_jwks_unref(again);
    wf_jwks_unref(fewer);
    free(jwks2);

    /* Document-level errors. */
    const char *docs[] = {"", "{", "[]", "{\"keys\":{}}", "{\"nokeys\":[]}",
                          "{\"keys\":[],\"keys\":[]}"};
    for (size_t d = 0; d < sizeof(docs) / sizeof(*docs); d++) {
        wf_jwks_t *s = NULL;
        err[0] = '\0';
        is_int(wf_jwks_parse(docs[d], strlen(docs[d]), &s, err, sizeof(err)), -1,
               "unusable JWKS document #%zu refused (%s)", d, err);
        ok(s == NULL && err[0] != '\0', "no set and a message");
    }
    wf_jwks_t *empty = NULL;
    is_int(wf_jwks_parse("{\"keys\":[]}", 11, &empty, err, sizeof(err)), 0, "empty set parses");
    is_int(wf_jwks_count(empty), 0, "with no keys");
    wf_jwks_unref(empty);

    /* Strict base64url. */
    ok(b64_is("", ""), "empty");
    ok(b64_is("YQ", "a"), "YQ");
    ok(b64_is("YWI", "ab"), "YWI");
    ok(b64_is("YWJj", "abc"), "YWJj");
    ok(b64_is("-_8", "\xfb\xff"), "url alphabet");
    ok(b64_is("YQ==", NULL), "padding refused");
    ok(b64_is("+/8", NULL), "standard alphabet refused");
    ok(b64_is("YR", NULL), "non-zero spare bits refused");
    ok(b64_is("Y", NULL), "impossible length refused");
    ok(b64_is("YW J", NULL), "space refused");
    ok(b64_is("YWJ\n", NULL), "newline refused");

    /* kid syntax. */
    const char *good_kids[] = {"rsa-1", "a", "2024-01-key.v2", "abc+/=~_", "NjVBRjY5MDlCMUIw"};
    const char *bad_kids[] = {"", "../../etc/passwd", "..", "a b", "' OR '1'='1", "k;drop",
                              "k\"", "k\\x", "k%00", "\xc3\xa9"};
    for (size_t k = 0; k < sizeof(good_kids) / sizeof(*good_kids); k++)
        ok(wf_jwks_kid_valid(good_kids[k]), "kid %s accepted", good_kids[k]);
    for (size_t k = 0; k < sizeof(bad_kids) / sizeof(*bad_kids); k++)
        ok(!wf_jwks_kid_valid(bad_kids[k]), "bad kid #%zu refused", k);
    char longkid[WF_JWKS_KID_MAX + 2];
    memset(longkid, 'k', sizeof(longkid) - 1);
    longkid[sizeof(longkid) - 1] = '\0';
    ok(!wf_jwks_kid_valid(longkid), "kid over %d chars refused", WF_JWKS_KID_MAX);
    ok(!wf_jwks_kid_valid(NULL), "NULL kid refused");

    wf_jwks_unref(set);
    free(jwks);
    json_decref(fx);
    free(text);
    return tap_done();
}
