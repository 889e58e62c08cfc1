/* The JWT attack battery, driven against the verifier the gateway uses
 * (wf_authn_verify). Every token is minted by an independent implementation
 * (jose, in tests/lib/oidc_peer.mjs) and the JWKS is served on loopback.
 * Usage: auth_battery http://127.0.0.1:PORT   (run by auth_jwt.sh) */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "auth/authn.h"
#include "auth/oidc.h"
#include "platform/log.h"
#include "tests/tap.h"

static const char *peer;

static char *get(const char *path)
{
    char url[512], err[256];
    char *body = NULL;
    size_t len;
    snprintf(url, sizeof(url), "%s%s", peer, path);
    if (wf_oidc_fetch(url, &body, &len, err, sizeof(err)) < 0) {
        printf("# %s\n", err);
        return NULL;
    }
    return body;
}

static char *mint(const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), "/mint/%s", name);
    return get(path);
}

static long long stat_of(const char *name)
{
    char *s = get("/stats");
    json_t *j = s ? json_loads(s, 0, NULL) : NULL;
    long long v = json_integer_value(json_object_get(j, name));
    json_decref(j);
    free(s);
    return v;
}

static wf_jwt_status_t verify(wf_authn_t *a, const char *token)
{
    wf_principal_t p;
    wf_jwt_status_t st = wf_authn_verify(a, token, token ? strlen(token) : 0, &p);
    wf_principal_dispose(&p);
    return st;
}

/* Retries for up to `ms` while the verifier answers kid-unknown (the refresh
 * it requested is on its way). Returns the final status. */
static wf_jwt_status_t verify_eventually(wf_authn_t *a, const char *token, int ms)
{
    wf_jwt_status_t st = verify(a, token);
    for (int waited = 0; st == WF_JWT_KID_UNKNOWN && waited < ms; waited += 50) {
        usleep(50 * 1000);
        st = verify(a, token);
    }
    return st;
}

/* Every case the peer can mint, with the refusal expected. */
static const struct {
    const char *name;
    wf_jwt_status_t want;
} cases[] = {
    {"ok-rs256", WF_JWT_OK},
    {"ok-es256", WF_JWT_OK},
    {"ok-es384", WF_JWT_OK},
    {"ok-eddsa", WF_JWT_OK},
    {"ok-aud-array", WF_JWT_OK},
    {"ok-b-issuer", WF_JWT_OK},
    {"ok-expired-within-leeway", WF_JWT_OK},
    {"alg-none", WF_JWT_ALG_NONE},
    {"alg-none-with-kid-and-sig", WF_JWT_ALG_NONE},
    {"hs256-rsa-public-key", WF_JWT_ALG_HMAC},
    {"key-not-in-jwks", WF_JWT_KID_UNKNOWN},
    {"attacker-key-with-real-kid", WF_JWT_SIGNATURE_INVALID},
    {"unknown-kid", WF_JWT_KID_UNKNOWN},
    {"kid-path-traversal", WF_JWT_KID_INVALID},
    {"kid-sql-injection", WF_JWT_KID_INVALID},
    {"kid-missing", WF_JWT_KID_MISSING},
    {"jwk-header", WF_JWT_KID_UNKNOWN},
    {"jwk-header-real-kid", WF_JWT_SIGNATURE_INVALID},
    {"jku-header", WF_JWT_KID_UNKNOWN},
    {"x5u-header", WF_JWT_SIGNATURE_INVALID},
    {"tampered-payload", WF_JWT_SIGNATURE_INVALID},
    {"stripped-signature", WF_JWT_SIGNATURE_MALFORMED},
    {"truncated-signature", WF_JWT_SIGNATURE_MALFORMED},
    {"signature-bit-flip", WF_JWT_SIGNATURE_INVALID},
    {"es256-der-signature", WF_JWT_SIGNATURE_MALFORMED},
    {"rsa-token-with-ec-kid", WF_JWT_ALG_KEY_MISMATCH},
    {"ec-token-with-rsa-kid", WF_JWT_ALG_KEY_MISMATCH},
    {"rs384-with-rs256-key", WF_JWT_ALG_KEY_MISMATCH},
    {"expired", WF_JWT_EXPIRED},
    {"nbf-in-future", WF_JWT_NOT_YET_VALID},
    {"wrong-iss", WF_JWT_ISSUER_UNKNOWN},
    {"iss-b-signed-by-a", WF_JWT_KID_UNKNOWN},
    {"wrong-aud", WF_JWT_AUD_MISMATCH},
    {"aud-array-without-ours", WF_JWT_AUD_MISMATCH},
    {"missing-exp", WF_JWT_EXP_MISSING},
    {"float-exp", WF_JWT_EXP_INVALID},
    {"string-exp", WF_JWT_EXP_INVALID},
    {"missing-sub", WF_JWT_SUB_MISSING},
    {"oversized", WF_JWT_TOO_LARGE},
    {"malformed-base64", WF_JWT_MALFORMED},
    {"malformed-json", WF_JWT_MALFORMED},
    {"duplicate-sub", WF_JWT_MALFORMED},
    {"crit-header", WF_JWT_CRIT},
    {"groups-not-strings", WF_JWT_GROUPS_INVALID},
    {"two-parts", WF_JWT_MALFORMED},
    /* Used by the rotation and discovery checks below, not in the loop. */
    {"ok-rsa-2", WF_JWT_STATUS_COUNT},
    {"c-issuer", WF_JWT_STATUS_COUNT},
    {"ok-custom-groups-claim", WF_JWT_STATUS_COUNT},
};
#define N_CASES (sizeof(cases) / sizeof(cases[0]))

struct hammer {
    wf_authn_t *a;
    char *tokens[4];
    wf_jwt_status_t want[4];
    int bad;
};

static void *hammer_run(void *arg)
{
    struct hammer *h = arg;
    for (int i = 0; i < 400; i++) {
        wf_jwt_status_t st = verify(h->a, h->tokens[i % 4]);
        if (st != h->want[i % 4] && __atomic_add_fetch(&h->bad, 1, __ATOMIC_RELAXED) == 1)
            printf("# token %d: %s\n", i % 4, wf_jwt_status_reason(st));
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: auth_battery PEER_URL\n");
        return 2;
    }
    peer = argv[1];
    wf_log_init("auth-battery", WF_LOG_WARN, 0);
    char iss_a[256], iss_b[256], iss_c[256], jwks_b[256], err[512];
    snprintf(iss_a, sizeof(iss_a), "%s/a", peer);
    snprintf(iss_b, sizeof(iss_b), "%s/b", peer);
    snprintf(iss_c, sizeof(iss_c), "%s/c", peer);
    snprintf(jwks_b, sizeof(jwks_b), "%s/b/jwks", peer);

    /* A through discovery, B with an explicit jwks_uri. */
    wf_oidc_conf_t conf[] = {
        {iss_a, "weft", NULL, "groups"},
        {iss_b, "weft", jwks_b, "groups"},
    };
    wf_authn_options_t opt;
    wf_authn_options_defaults(&opt);
    opt.min_refresh_interval = 1;
    opt.retry_interval = 1;
    wf_authn_t *a = NULL;
    is_int(wf_authn_create(conf, 2, &opt, &a, err, sizeof(err)), 0, "authenticator created %s",
           err);
    if (a == NULL)
        return tap_done();
    is_int(wf_authn_wait_ready(a, 10000), 0, "both issuers' JWKS loaded (discovery for A)");

    /* From weft.yaml, as the gateway builds it: auth.oidc[] with a custom
     * groups claim. */
    char yaml[1024];
    snprintf(yaml, sizeof(yaml),
             "auth:\n  oidc:\n    - issuer: %s\n      audience: weft\n"
             "      groups_claim: https://weft.dev/teams\n",
             iss_a);
    wf_config_t cfg;
    wf_diags_t diags;
    wf_config_defaults(&cfg);
    wf_diags_init(&diags, "weft.yaml");
    is_int(wf_config_load_text(&cfg, yaml, strlen(yaml), &diags), 0, "weft.yaml with auth.oidc");
    wf_authn_t *fromcfg = NULL;
    is_int(wf_authn_create(cfg.auth.oidc, cfg.auth.n_oidc, &opt, &fromcfg, err, sizeof(err)), 0,
           "authenticator from the config");
    if (fromcfg != NULL) {
        is_int(wf_authn_wait_ready(fromcfg, 5000), 0, "keys through discovery");
        char *t = mint("ok-custom-groups-claim");
        wf_principal_t cp;
        is_int(wf_authn_verify(fromcfg, t, strlen(t), &cp), WF_JWT_OK, "token verified");
        ok(cp.n_groups == 1 && strcmp(cp.groups[0], "data-eng") == 0,
           "groups read from the configured claim");
        wf_principal_dispose(&cp);
        free(t);
        wf_authn_destroy(fromcfg);
    }
    wf_config_dispose(&cfg);
    wf_diags_dispose(&diags);

    /* Every case the peer knows must be listed here with its expected result. */
    char *list = get("/cases");
    json_t *names = list ? json_loads(list, 0, NULL) : NULL;
    size_t i;
    json_t *n;
    int unlisted = 0;
    json_array_foreach(names, i, n)
    {
        int found = 0;
        for (size_t c = 0; c < N_CASES; c++)
            found |= strcmp(cases[c].name, json_string_value(n)) == 0;
        if (!found)
            unlisted++, printf("# peer case %s has no expectation\n", json_string_value(n));
    }
    ok(json_array_size(names) == N_CASES && unlisted == 0,
       "battery covers all %zu cases of the peer", json_array_size(names));
    json_decref(names);
    free(list);

    int attacks = 0;
    for (size_t c = 0; c < N_CASES; c++) {
        if (cases[c].want == WF_JWT_STATUS_COUNT)
            continue;
        char *t = mint(cases[c].name);
        wf_jwt_status_t st = verify(a, t);
        is_str(wf_jwt_status_reason(st), wf_jwt_status_reason(cases[c].want), "%s: %s",
               cases[c].name, cases[c].want == WF_JWT_OK ? "accepted" : "refused");
        attacks += cases[c].want != WF_JWT_OK;
        free(t);
    }
    printf("# attack battery: %d refused tokens, %d accepted controls\n", attacks,
           (int)N_CASES - 3 - attacks);
    is_int(stat_of("attacker"), 0, "jku/x5u URLs in headers were never fetched");

    /* What a good token yields. */
    char *good = mint("ok-rs256");
    wf_principal_t p;
    is_int(wf_authn_verify(a, good, strlen(good), &p), WF_JWT_OK, "good token");
    is_str(p.subject, "user:alice", "subject user:<sub>");
    is_str(p.issuer, iss_a, "issuer");
    ok(p.n_groups == 2 && strcmp(p.groups[0], "team-sales") == 0 &&
           strcmp(p.groups[1], "ops") == 0,
       "groups from the claim");
    ok(p.expires_at > time(NULL) + 500, "expires_at from exp");
    wf_principal_dispose(&p);

    /* Cache: a repeat is served from the cache, but never past exp. */
    wf_authn_stats_t s0, s1;
    wf_authn_stats(a, &s0);
    is_int(verify(a, good), WF_JWT_OK, "repeat verification");
    wf_authn_stats(a, &s1);
    is_int(s1.cache_hits - s0.cache_hits, 1, "served from the cache");
    is_int(wf_authn_verify_at(a, good, strlen(good), time(NULL) + 3600, &p), WF_JWT_EXPIRED,
           "cached token refused once expired");
    wf_principal_dispose(&p);
    /* A token whose cached twin was tampered with is not a cache hit. */
    char *tampered = strdup(good);
    tampered[strlen(tampered) - 5] ^= 1;
    ok(verify(a, tampered) != WF_JWT_OK, "one changed character is not a cache hit");
    free(tampered);

    /* Unknown kids trigger refreshes, rate-limited (1 s here, 10 s default). */
    usleep(1200 * 1000); /* let the refreshes requested above settle */
    long long before = stat_of("a_jwks");
    char *unknown = mint("unknown-kid");
    for (int k = 0; k < 30; k++)
        verify(a, unknown);
    /* Wait for the refresh (polling, so a loaded machine only makes this
     * slower), then a little more: with no further requests at most one more
     * fetch may follow. */
    long long burst = 0;
    for (int w = 0; w < 200 && burst < 1; w++) {
        usleep(50 * 1000);
        burst = stat_of("a_jwks") - before;
    }
    usleep(500 * 1000);
    burst = stat_of("a_jwks") - before;
    ok(burst >= 1 && burst <= 2, "30 unknown-kid tokens caused %lld JWKS fetch(es)", burst);
    free(unknown);

    /* Rotation: a key published later is accepted without restart. */
    char *rotated = mint("ok-rsa-2");
    is_int(verify(a, rotated), WF_JWT_KID_UNKNOWN, "new kid unknown before rotation");
    free(get("/control/rotate"));
    is_int(verify_eventually(a, rotated, 10000), WF_JWT_OK, "after rotation the new key verifies");
    is_int(verify(a, good), WF_JWT_OK, "old key still valid (only added a key)");

    /* Revocation: removing a key drops cached tokens it signed, although
     * they have ten minutes left: the refresh empties the cache. */
    wf_authn_stats(a, &s0);
    is_int(verify(a, good), WF_JWT_OK, "token of rsa-1 cached");
    wf_authn_stats(a, &s1);
    is_int(s1.cache_hits - s0.cache_hits, 1, "(a cache hit)");
    free(get("/control/revoke/rsa-1"));
    wf_authn_request_refresh(a);
    wf_jwt_status_t st = WF_JWT_OK;
    for (int w = 0; w < 200 && st == WF_JWT_OK; w++) {
        usleep(50 * 1000);
        st = verify(a, good);
    }
    is_str(wf_jwt_status_reason(st), wf_jwt_status_reason(WF_JWT_KID_UNKNOWN),
           "after the refresh the cached token of the removed key is refused");
    is_int(verify(a, rotated), WF_JWT_OK, "the surviving key still verifies");

    /* Threads: the verifier is shared by every event loop. */
    struct hammer h = {a, {mint("ok-rsa-2"), mint("ok-es256"), mint("ok-eddsa"), mint("alg-none")},
                       {WF_JWT_OK, WF_JWT_OK, WF_JWT_OK, WF_JWT_ALG_NONE}, 0};
    pthread_t th[4];
    for (int t = 0; t < 4; t++)
        pthread_create(&th[t], NULL, hammer_run, &h);
    for (int t = 0; t < 4; t++)
        pthread_join(th[t], NULL);
    is_int(h.bad, 0, "4 threads x 400 verifications agree");

    /* IdP outage: the previous keys stay in use and the IdP is polled every
     * retry_interval (1 s here), never in a loop -- also when the periodic
     * refresh (1 s for this second authenticator) keeps failing. */
    wf_authn_options_t fast = opt;
    fast.refresh_interval = 1;
    wf_authn_t *o = NULL;
    is_int(wf_authn_create(conf, 1, &fast, &o, err, sizeof(err)), 0, "second authenticator");
    is_int(wf_authn_wait_ready(o, 5000), 0, "with keys");
    free(get("/control/break"));
    before = stat_of("a_jwks");
    wf_authn_request_refresh(a);
    usleep(3000 * 1000);
    long long polls = stat_of("a_jwks") - before;
    ok(polls >= 1 && polls <= 6, "failing JWKS polled %lld time(s) in 3 s by two verifiers",
       polls);
    is_int(verify(a, h.tokens[1]), WF_JWT_OK, "keys kept during the outage (cached path)");
    char *fresh_es = mint("ok-es256");
    is_int(verify(o, fresh_es), WF_JWT_OK, "keys kept during the outage (new token)");
    free(fresh_es);
    wf_authn_stats(o, &s1);
    ok(s1.fetch_errors >= 1, "fetch errors counted (%llu)", (unsigned long long)s1.fetch_errors);
    free(get("/control/repair"));
    wf_authn_destroy(o);

    /* Discovery that names another issuer is refused: no keys, ever. */
    wf_oidc_conf_t cconf[] = {{iss_c, "weft", NULL, "groups"}};
    wf_authn_t *c = NULL;
    is_int(wf_authn_create(cconf, 1, &opt, &c, err, sizeof(err)), 0, "issuer C configured");
    is_int(wf_authn_wait_ready(c, 1500), -1, "discovery with a mismatched issuer never loads");
    char *ct = mint("c-issuer");
    is_int(verify(c, ct), WF_JWT_KEYS_UNAVAILABLE, "token of C refused: jwks-unavailable");
    is_int(verify(a, ct), WF_JWT_ISSUER_UNKNOWN, "and unknown to the main authenticator");
    free(ct);
    wf_authn_destroy(c);

    /* Configuration refusals. */
    struct {
        wf_oidc_conf_t c;
        const char *why;
    } badconf[] = {
        {{"http://idp.example.com", "weft", NULL, NULL}, "plain http to a network host"},
        {{"http://127.evil.example", "weft", NULL, NULL}, "name that looks like loopback"},
        {{"file:///etc/passwd", "weft", NULL, NULL}, "file URL"},
        {{"https://idp.example.com", NULL, NULL, NULL}, "no audience"},
        {{"https://idp.example.com", "weft", "ftp://x/jwks", NULL}, "ftp jwks_uri"},
    };
    for (size_t k = 0; k < sizeof(badconf) / sizeof(*badconf); k++) {
        wf_authn_t *x = NULL;
        err[0] = '\0';
        ok(wf_authn_create(&badconf[k].c, 1, &opt, &x, err, sizeof(err)) == -1 && x == NULL,
           "config refused: %s (%s)", badconf[k].why, err);
    }
    wf_oidc_conf_t dup[] = {conf[0], conf[0]};
    wf_authn_t *x = NULL;
    ok(wf_authn_create(dup, 2, &opt, &x, err, sizeof(err)) == -1, "duplicate issuer refused");
    is_int(wf_authn_create(NULL, 0, &opt, &x, err, sizeof(err)), 0, "no issuers is valid");
    is_int(verify(x, rotated), WF_JWT_ISSUER_UNKNOWN, "and refuses every JWT");
    wf_authn_destroy(x);

    for (int t = 0; t < 4; t++)
        free(h.tokens[t]);
    free(rotated);
    free(good);
    wf_authn_destroy(a);
    return tap_done();
}
