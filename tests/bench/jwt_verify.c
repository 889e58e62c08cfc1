/* Benchmark: first-seen JWT verifications per second per core through
 * wf_authn_verify (the gateway's path), for RS256, ES256 and EdDSA tokens
 * minted by jose; the cached path; two threads; and libjwt 1.10 (PEM parsed
 * per call) on the same RS256 tokens as the reference. Prints figures, never
 * fails on speed. Usage: jwt_verify PEER_URL [N]   (run by jwt_verify.sh) */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jwt.h>
#include <openssl/pem.h>

#include "auth/authn.h"
#include "auth/jwks.h"
#include "auth/oidc.h"
#include "platform/log.h"

#define GOAL 20000.0

static const char *peer;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *get(const char *path)
{
    char url[512], err[256];
    char *body = NULL;
    size_t len;
    snprintf(url, sizeof(url), "%s%s", peer, path);
    if (wf_oidc_fetch(url, &body, &len, err, sizeof(err)) < 0)
        fprintf(stderr, "%s\n", err);
    return body;
}

/* Fetches `n` distinct tokens of one case, 1,000 per request (the fetch
 * size cap), into out[] as malloc'd strings. Returns how many arrived. */
static size_t mint_many(const char *name, char **out, size_t n)
{
    size_t got = 0;
    while (got < n) {
        char path[128];
        size_t want = n - got < 1000 ? n - got : 1000;
        snprintf(path, sizeof(path), "/mintmany/%s?n=%zu", name, want);
        char *body = get(path);
        if (body == NULL)
            break;
        for (char *save = NULL, *t = strtok_r(body, "\n", &save); t && got < n;
             t = strtok_r(NULL, "\n", &save))
            out[got++] = strdup(t);
        free(body);
    }
    return got;
}

static void free_all(char **tok, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(tok[i]);
}

static wf_authn_t *fresh(void)
{
    char iss[256], err[256];
    snprintf(iss, sizeof(iss), "%s/a", peer);
    wf_oidc_conf_t conf = {iss, "weft", NULL, "groups"};
    wf_authn_options_t opt;
    wf_authn_options_defaults(&opt);
    opt.cache_entries = 1 << 16;
    wf_authn_t *a = NULL;
    if (wf_authn_create(&conf, 1, &opt, &a, err, sizeof(err)) < 0 ||
        wf_authn_wait_ready(a, 10000) < 0) {
        fprintf(stderr, "authenticator: %s\n", err);
        exit(1);
    }
    return a;
}

struct run {
    wf_authn_t *a;
    char **tok;
    size_t n;
    size_t bad;
};

static void *verify_all(void *arg)
{
    struct run *r = arg;
    for (size_t i = 0; i < r->n; i++) {
        wf_principal_t p;
        if (wf_authn_verify(r->a, r->tok[i], strlen(r->tok[i]), &p) != WF_JWT_OK)
            r->bad++;
        wf_principal_dispose(&p);
    }
    return NULL;
}

static double pass(wf_authn_t *a, char **tok, size_t n, int threads, size_t *bad)
{
    struct run r[2] = {{a, tok, n / (size_t)threads, 0}, {a, tok + n / 2, n - n / 2, 0}};
    pthread_t th[2];
    double t0 = now_s();
    for (int i = 0; i < threads; i++)
        pthread_create(&th[i], NULL, verify_all, &r[i]);
    for (int i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    double dt = now_s() - t0;
    *bad = r[0].bad + (threads > 1 ? r[1].bad : 0);
    return (double)(threads > 1 ? n : r[0].n) / dt;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: jwt_verify PEER_URL [N]\n");
        return 2;
    }
    peer = argv[1];
    size_t n = argc > 2 ? (size_t)atol(argv[2]) : 4000;
    wf_log_init("bench", WF_LOG_WARN, 0);
    const char *algs[][2] = {{"RS256", "ok-rs256"}, {"ES256", "ok-es256"}, {"EdDSA", "ok-eddsa"}};
    char **tok = calloc(n, sizeof(*tok)), **rs_tok = calloc(n, sizeof(*tok));
    size_t rs_n = 0;

    printf("jwt_verify: %zu distinct jose-minted tokens per algorithm, goal %.0f/s per core\n", n,
           GOAL);
    char *jwks = get("/a/jwks");
    wf_jwks_t *set = NULL;
    char err[256];
    if (jwks == NULL || wf_jwks_parse(jwks, strlen(jwks), &set, err, sizeof(err)) < 0)
        return 1;
    printf("%-6s %14s %14s %14s %18s %9s\n", "alg", "first-seen/s", "2 threads/s", "cached/s",
           "signature-only/s", "vs goal");
    for (size_t k = 0; k < 3; k++) {
        size_t got = mint_many(algs[k][1], tok, n), bad1 = 0, bad2 = 0, bad3 = 0;
        if (got == 0)
            return 1;
        wf_authn_t *a = fresh();
        double first = pass(a, tok, got, 1, &bad1);
        double cached = pass(a, tok, got, 1, &bad3);
        wf_authn_destroy(a);
        a = fresh();
        double two = pass(a, tok, got, 2, &bad2);
        wf_authn_destroy(a);
        /* The floor: hashing plus the OpenSSL signature operation alone,
         * without parsing, claims, principal or cache. */
        wf_jwt_t jwt;
        double sig_only = 0;
        if (wf_jwt_decode(&jwt, tok[0], strlen(tok[0]), WF_JWT_DEFAULT_MAX_LEN) == WF_JWT_OK) {
            const wf_jwk_t *key = wf_jwks_find(set, jwt.kid);
            size_t m = got;
            double t0 = now_s();
            for (size_t i = 0; i < m; i++)
                if (wf_jwt_verify_signature(&jwt, key) != WF_JWT_OK)
                    bad1++;
            sig_only = (double)m / (now_s() - t0);
        }
        wf_jwt_dispose(&jwt);
        printf("%-6s %14.0f %14.0f %14.0f %18.0f %8.2fx%s\n", algs[k][0], first, two, cached,
               sig_only, first / GOAL, bad1 + bad2 + bad3 ? "  (REFUSALS!)" : "");
        if (k == 0) {
            memcpy(rs_tok, tok, got * sizeof(*tok));
            rs_n = got;
        } else {
            free_all(tok, got);
        }
    }

    /* Reference: libjwt 1.10 with the PEM key on every call, as a gateway
     * using it naively would. */
    {
        const wf_jwk_t *k = wf_jwks_find(set, "rsa-1");
        BIO *bio = BIO_new(BIO_s_mem());
        char *pem = NULL;
        PEM_write_bio_PUBKEY(bio, k->pkey);
        long pem_len = BIO_get_mem_data(bio, &pem);
        size_t m = rs_n < 2000 ? rs_n : 2000, ok_n = 0;
        double t0 = now_s();
        for (size_t i = 0; i < m; i++) {
            jwt_t *j = NULL;
            if (jwt_decode(&j, rs_tok[i], (const unsigned char *)pem, (int)pem_len) == 0 &&
                jwt_get_alg(j) == JWT_ALG_RS256)
                ok_n++;
            jwt_free(j);
        }
        double ref = (double)m / (now_s() - t0);
        /* Ours on the same tokens with a fresh cache, for the ratio. */
        wf_authn_t *a = fresh();
        size_t bad = 0;
        double ours = pass(a, rs_tok, m, 1, &bad);
        wf_authn_destroy(a);
        printf("reference libjwt 1.10 RS256 (PEM per call): %.0f/s (%zu/%zu verified); "
               "weft %.0f/s = %.1fx\n",
               ref, ok_n, m, ours, ours / ref);
        BIO_free(bio);
    }
    printf("first-seen = distinct tokens, full path (parse, signature, claims, principal, cache "
           "insert), one thread; 2 threads = aggregate\n");
    wf_jwks_unref(set);
    free(jwks);
    free_all(rs_tok, rs_n);
    free(rs_tok);
    free(tok);
    return 0;
}
