/* OIDC authenticator: issuers, JWKS refresh thread, verified-token cache.
 * See authn.h for the contract.
 *
 * Locking: `lock` guards the issuers' mutable fields (key sets, schedule)
 * and pairs with `cond` for the fetch thread. Verifiers hold it only to take
 * a reference on a key set, never while verifying. The token cache is split
 * into stripes, each with its own mutex, so loops rarely contend. */
#include "auth/authn.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "auth/jwks.h"
#include "auth/oidc.h"
#include "platform/log.h"

#define CACHE_STRIPES 64

typedef struct issuer {
    wf_oidc_conf_t conf;     /* owned copies */
    char *jwks_uri;          /* configured or discovered (owned) */
    wf_jwks_t *keys;         /* current set or NULL; guarded by lock */
    int64_t last_attempt;    /* monotonic seconds; 0 = never */
    int64_t last_success;
    bool refresh_requested;
    bool attempted;          /* at least one fetch finished (ok or not) */
} issuer_t;

typedef struct cache_slot {
    uint8_t hash[32];
    int64_t exp;
    uint64_t epoch;
    bool used;
    wf_principal_t who;
} cache_slot_t;

struct wf_authn {
    wf_authn_options_t opt;
    issuer_t *issuers;
    size_t n_issuers;

    pthread_mutex_t lock;
    pthread_cond_t cond;    /* wakes the fetch thread; signals readiness */
    pthread_t thread;
    bool thread_started, stop;

    EVP_MD *sha256; /* fetched once: implicit fetches per call cost more than hashing */
    cache_slot_t *cache;
    size_t n_cache;
    pthread_mutex_t stripes[CACHE_STRIPES];
    atomic_uint_fast64_t epoch; /* bumped when a key disappears or changes */

    atomic_uint_fast64_t verified, refused, cache_hits, fetches, fetch_errors, key_sets;
};

static int64_t mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec;
}

void wf_authn_options_defaults(wf_authn_options_t *opt)
{
    *opt = (wf_authn_options_t){
        .leeway = 30,
        .max_token_len = WF_JWT_DEFAULT_MAX_LEN,
        .refresh_interval = 300,
        .min_refresh_interval = 10,
        .retry_interval = 5,
        .cache_entries = 16384,
    };
}

/* ---- fetch thread -------------------------------------------------------- */

/* Fetches (discovering first when needed) and parses one issuer's JWKS
 * without holding the lock. Returns a new set or NULL. */
static wf_jwks_t *fetch_keys(issuer_t *is, char **discovered, char *err, size_t err_len)
{
    char *body = NULL;
    size_t len = 0;
    wf_jwks_t *set = NULL;
    const char *uri = is->jwks_uri;

    *discovered = NULL;
    if (uri == NULL) {
        if (wf_oidc_discover(is->conf.issuer, discovered, err, err_len) < 0)
            return NULL;
        uri = *discovered;
    }
    if (wf_oidc_fetch(uri, &body, &len, err, err_len) == 0 &&
        wf_jwks_parse(body, len, &set, err, err_len) == 0 && wf_jwks_count(set) == 0) {
        snprintf(err, err_len, "%s: no usable key (%s)", uri, wf_jwks_skip_reason(set));
        wf_jwks_unref(set);
        set = NULL;
    }
    free(body);
    return set;
}

/* Picks the issuer whose fetch is due, or returns NULL and the seconds until
 * the next one in *wait. Called with the lock held. */
static issuer_t *next_due(wf_authn_t *a, int64_t now, int64_t *wait)
{
    *wait = 3600;
    for (size_t i = 0; i < a->n_issuers; i++) {
        issuer_t *is = &a->issuers[i];
        int64_t due;
        if (is->last_attempt == 0)
            due = now;
        else if (is->keys == NULL)
            due = is->last_attempt + a->opt.retry_interval;
        else if (is->refresh_requested)
            due = is->last_attempt + a->opt.min_refresh_interval;
        else
            due = is->last_success + a->opt.refresh_interval;
        /* Whatever asked for it, an issuer is never fetched again sooner than
         * retry_interval after the last attempt: an IdP that is down or
         * failing is polled gently, not in a loop. */
        if (is->last_attempt != 0 && due < is->last_attempt + a->opt.retry_interval)
            due = is->last_attempt + a->opt.retry_interval;
        if (due <= now)
            return is;
        if (due - now < *wait)
            *wait = due - now;
    }
    return NULL;
}

static void publish(wf_authn_t *a, issuer_t *is, wf_jwks_t *set)
{
    wf_jwks_t *old = is->keys;
    /* A removed or replaced key may have been revoked: forget every token it
     * vouched for rather than serve them from the cache until they expire. */
    if (old != NULL && !wf_jwks_superset(set, old))
        atomic_fetch_add(&a->epoch, 1);
    is->keys = set;
    wf_jwks_unref(old);
    atomic_fetch_add(&a->key_sets, 1);
}

static void *fetch_thread(void *arg)
{
    wf_authn_t *a = arg;
    char err[512];

    pthread_mutex_lock(&a->lock);
    while (!a->stop) {
        int64_t now = mono_now(), wait;
        issuer_t *is = next_due(a, now, &wait);
        if (is == NULL) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_sec += wait;
            pthread_cond_timedwait(&a->cond, &a->lock, &ts);
            continue;
        }
        is->last_attempt = now > 0 ? now : 1;
        is->refresh_requested = false;
        pthread_mutex_unlock(&a->lock);

        char *discovered = NULL;
        err[0] = '\0';
        atomic_fetch_add(&a->fetches, 1);
        wf_jwks_t *set = fetch_keys(is, &discovered, err, sizeof(err));

        pthread_mutex_lock(&a->lock);
        is->attempted = true;
        if (set != NULL) {
            publish(a, is, set);
            is->last_success = is->last_attempt;
            wf_info("oidc: %s: %zu key(s) loaded%s%s", is->conf.issuer, wf_jwks_count(set),
                    wf_jwks_skipped(set) ? ", skipped " : "",
                    wf_jwks_skipped(set) ? wf_jwks_skip_reason(set) : "");
        } else {
            atomic_fetch_add(&a->fetch_errors, 1);
            wf_warn("oidc: %s: JWKS fetch failed, keeping %s: %s", is->conf.issuer,
                    is->keys ? "the previous keys" : "no keys", err);
        }
        free(discovered);
        pthread_cond_broadcast(&a->cond);
    }
    pthread_mutex_unlock(&a->lock);
    return NULL;
}

/* ---- token cache --------------------------------------------------------- */

static size_t slot_of(const wf_authn_t *a, const uint8_t hash[32])
{
    uint64_t h;
    memcpy(&h, hash, sizeof(h));
    return (size_t)(h % a->n_cache);
}

static bool cache_get(wf_authn_t *a, const uint8_t hash[32], int64_t now, wf_principal_t *out)
{
    size_t i = slot_of(a, hash);
    pthread_mutex_t *m = &a->stripes[i % CACHE_STRIPES];
    bool hit = false;

    pthread_mutex_lock(m);
    cache_slot_t *s = &a->cache[i];
    if (s->used && CRYPTO_memcmp(s->hash, hash, 32) == 0) {
        if (s->epoch == atomic_load(&a->epoch) && now < s->exp + a->opt.leeway)
            hit = wf_principal_copy(out, &s->who) == 0;
        if (!hit) { /* stale: drop it now */
            wf_principal_dispose(&s->who);
            s->used = false;
        }
    }
    pthread_mutex_unlock(m);
    return hit;
}

static void cache_put(wf_authn_t *a, const uint8_t hash[32], uint64_t epoch,
                      const wf_principal_t *who)
{
    size_t i = slot_of(a, hash);
    pthread_mutex_t *m = &a->stripes[i % CACHE_STRIPES];
    wf_principal_t copy;

    if (wf_principal_copy(&copy, who) < 0)
        return;
    pthread_mutex_lock(m);
    cache_slot_t *s = &a->cache[i];
    /* Direct-mapped: a colliding token simply replaces the older one, which
     * keeps the cache bounded with no eviction bookkeeping. */
    if (s->used)
        wf_principal_dispose(&s->who);
    memcpy(s->hash, hash, 32);
    s->exp = who->expires_at;
    s->epoch = epoch;
    s->who = copy;
    s->used = true;
    pthread_mutex_unlock(m);
}

/* ---- verification -------------------------------------------------------- */

static issuer_t *find_issuer(wf_authn_t *a, const char *iss)
{
    for (size_t i = 0; iss != NULL && i < a->n_issuers; i++)
        if (strcmp(a->issuers[i].conf.issuer, iss) == 0)
            return &a->issuers[i];
    return NULL;
}

static void request_refresh(wf_authn_t *a, issuer_t *is)
{
    pthread_mutex_lock(&a->lock);
    if (!is->refresh_requested) {
        is->refresh_requested = true;
        pthread_cond_broadcast(&a->cond);
    }
    pthread_mutex_unlock(&a->lock);
}

static wf_jwt_status_t verify_uncached(wf_authn_t *a, const char *token, size_t len,
                                       int64_t now, wf_principal_t *out)
{
    wf_jwt_t jwt;
    wf_jwks_t *keys = NULL;
    wf_jwt_status_t st = wf_jwt_decode(&jwt, token, len, a->opt.max_token_len);
    if (st != WF_JWT_OK)
        goto out;
    /* iss picks the key set before the signature is checked; it is then
     * authenticated by that very signature and re-checked with the claims. */
    issuer_t *is = find_issuer(a, jwt.iss);
    if (is == NULL) {
        st = WF_JWT_ISSUER_UNKNOWN;
        goto out;
    }
    pthread_mutex_lock(&a->lock);
    keys = wf_jwks_ref(is->keys);
    pthread_mutex_unlock(&a->lock);
    if (keys == NULL) {
        request_refresh(a, is);
        st = WF_JWT_KEYS_UNAVAILABLE;
        goto out;
    }
    const wf_jwk_t *key = wf_jwks_find(keys, jwt.kid);
    if (key == NULL) {
        request_refresh(a, is);
        st = WF_JWT_KID_UNKNOWN;
        goto out;
    }
    if ((st = wf_jwt_verify_signature(&jwt, key)) != WF_JWT_OK)
        goto out;
    wf_jwt_policy_t policy = {is->conf.issuer, is->conf.audience, is->conf.groups_claim,
                              a->opt.leeway};
    st = wf_jwt_check_claims(&jwt, &policy, now, out);
out:
    wf_jwks_unref(keys);
    wf_jwt_dispose(&jwt);
    return st;
}

wf_jwt_status_t wf_authn_verify_at(wf_authn_t *a, const char *token, size_t len, int64_t now,
                                   wf_principal_t *out)
{
    uint8_t hash[32];
    bool cacheable = a->n_cache > 0;
    wf_jwt_status_t st;

    wf_principal_init(out);
    if (token == NULL || len == 0) {
        st = WF_JWT_NO_CREDENTIALS;
        goto out;
    }
    if (len > a->opt.max_token_len) {
        st = WF_JWT_TOO_LARGE;
        goto out;
    }
    if (cacheable && EVP_Digest(token, len, hash, NULL, a->sha256, NULL) != 1)
        cacheable = false;
    if (cacheable && cache_get(a, hash, now, out)) {
        atomic_fetch_add(&a->cache_hits, 1);
        return WF_JWT_OK;
    }
    /* Read the epoch before verifying: if keys change meanwhile, the entry
     * is born stale instead of outliving a revoked key. */
    uint64_t epoch = atomic_load(&a->epoch);
    st = verify_uncached(a, token, len, now, out);
    if (st == WF_JWT_OK) {
        atomic_fetch_add(&a->verified, 1);
        if (cacheable)
            cache_put(a, hash, epoch, out);
        return st;
    }
out:
    wf_principal_dispose(out);
    atomic_fetch_add(&a->refused, 1);
    return st;
}

wf_jwt_status_t wf_authn_verify(wf_authn_t *a, const char *token, size_t len,
                                wf_principal_t *out)
{
    return wf_authn_verify_at(a, token, len, (int64_t)time(NULL), out);
}

wf_cred_kind_t wf_authn_bearer(const char *header, size_t header_len, size_t max_len,
                               const char **token, size_t *len, wf_jwt_status_t *st)
{
    *token = NULL;
    *len = 0;
    if (header == NULL || header_len == 0) {
        *st = WF_JWT_NO_CREDENTIALS;
        return WF_CRED_NONE;
    }
    if (header_len < 8 || strncasecmp(header, "Bearer ", 7) != 0) {
        *st = WF_JWT_BAD_SCHEME;
        return WF_CRED_NONE;
    }
    const char *t = header + 7;
    size_t n = header_len - 7;
    if (n > max_len) {
        *st = WF_JWT_TOO_LARGE;
        return WF_CRED_NONE;
    }
    /* token68 (RFC 7235) without '=' padding, which neither JWTs nor
     * weft_sa_ tokens use; anything else (spaces, commas, quotes) is junk. */
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == '~' || c == '+' || c == '/')) {
            *st = WF_JWT_MALFORMED;
            return WF_CRED_NONE;
        }
    }
    *token = t;
    *len = n;
    *st = WF_JWT_OK;
    return strncmp(t, "weft_sa_", n < 8 ? n : 8) == 0 && n >= 8 ? WF_CRED_SATOKEN : WF_CRED_JWT;
}

/* ---- life cycle ---------------------------------------------------------- */

static int copy_conf(wf_oidc_conf_t *dst, const wf_oidc_conf_t *src)
{
    dst->issuer = strdup(src->issuer);
    dst->audience = strdup(src->audience);
    dst->jwks_uri = src->jwks_uri ? strdup(src->jwks_uri) : NULL;
    dst->groups_claim = strdup(src->groups_claim ? src->groups_claim : "groups");
    return dst->issuer && dst->audience && dst->groups_claim &&
                   (src->jwks_uri == NULL || dst->jwks_uri)
               ? 0
               : -1;
}

int wf_authn_create(const wf_oidc_conf_t *issuers, size_t n_issuers,
                    const wf_authn_options_t *opt, wf_authn_t **out, char *err, size_t err_len)
{
    wf_authn_t *a = calloc(1, sizeof(*a));
    *out = NULL;
    if (a == NULL) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    if (opt != NULL)
        a->opt = *opt;
    else
        wf_authn_options_defaults(&a->opt);
    pthread_mutex_init(&a->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&a->cond, &ca);
    pthread_condattr_destroy(&ca);
    for (size_t i = 0; i < CACHE_STRIPES; i++)
        pthread_mutex_init(&a->stripes[i], NULL);

    if (n_issuers > 0 && (a->issuers = calloc(n_issuers, sizeof(*a->issuers))) == NULL) {
        snprintf(err, err_len, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < n_issuers; i++) {
        const wf_oidc_conf_t *c = &issuers[i];
        if (c->issuer == NULL || !wf_oidc_url_allowed(c->issuer)) {
            snprintf(err, err_len, "auth.oidc[%zu].issuer: must be an https URL (http only to "
                                   "loopback)", i);
            goto fail;
        }
        if (c->audience == NULL || c->audience[0] == '\0') {
            snprintf(err, err_len, "auth.oidc[%zu].audience: required", i);
            goto fail;
        }
        if (c->jwks_uri != NULL && !wf_oidc_url_allowed(c->jwks_uri)) {
            snprintf(err, err_len, "auth.oidc[%zu].jwks_uri: must be an https URL (http only "
                                   "to loopback)", i);
            goto fail;
        }
        if (find_issuer(a, c->issuer) != NULL) {
            snprintf(err, err_len, "auth.oidc[%zu].issuer: %s is configured twice", i, c->issuer);
            goto fail;
        }
        issuer_t *is = &a->issuers[a->n_issuers++];
        if (copy_conf(&is->conf, c) < 0 ||
            (c->jwks_uri != NULL && (is->jwks_uri = strdup(c->jwks_uri)) == NULL)) {
            snprintf(err, err_len, "out of memory");
            goto fail;
        }
    }
    if (a->opt.cache_entries > 0) {
        if ((a->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL ||
            (a->cache = calloc(a->opt.cache_entries, sizeof(*a->cache))) == NULL) {
            snprintf(err, err_len, "out of memory");
            goto fail;
        }
        a->n_cache = a->opt.cache_entries;
    }
    if (a->n_issuers > 0) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        if (pthread_create(&a->thread, NULL, fetch_thread, a) != 0) {
            snprintf(err, err_len, "cannot start the JWKS thread: %s", strerror(errno));
            goto fail;
        }
        a->thread_started = true;
    }
    *out = a;
    return 0;
fail:
    wf_authn_destroy(a);
    return -1;
}

int wf_authn_wait_ready(wf_authn_t *a, int timeout_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    int rc = 0;
    pthread_mutex_lock(&a->lock);
    for (;;) {
        bool ready = true;
        for (size_t i = 0; i < a->n_issuers; i++)
            ready &= a->issuers[i].keys != NULL;
        if (ready)
            break;
        if (pthread_cond_timedwait(&a->cond, &a->lock, &ts) == ETIMEDOUT) {
            rc = -1;
            break;
        }
    }
    pthread_mutex_unlock(&a->lock);
    return rc;
}

void wf_authn_request_refresh(wf_authn_t *a)
{
    for (size_t i = 0; i < a->n_issuers; i++)
        request_refresh(a, &a->issuers[i]);
}

void wf_authn_stats(wf_authn_t *a, wf_authn_stats_t *out)
{
    out->verified = atomic_load(&a->verified);
    out->refused = atomic_load(&a->refused);
    out->cache_hits = atomic_load(&a->cache_hits);
    out->fetches = atomic_load(&a->fetches);
    out->fetch_errors = atomic_load(&a->fetch_errors);
    out->key_sets = atomic_load(&a->key_sets);
}

void wf_authn_destroy(wf_authn_t *a)
{
    if (a == NULL)
        return;
    if (a->thread_started) {
        pthread_mutex_lock(&a->lock);
        a->stop = true;
        pthread_cond_broadcast(&a->cond);
        pthread_mutex_unlock(&a->lock);
        pthread_join(a->thread, NULL);
        curl_global_cleanup();
    }
    for (size_t i = 0; i < a->n_issuers; i++) {
        issuer_t *is = &a->issuers[i];
        wf_jwks_unref(is->keys);
        free(is->jwks_uri);
        free(is->conf.issuer);
        free(is->conf.audience);
        free(is->conf.jwks_uri);
        free(is->conf.groups_claim);
    }
    free(a->issuers);
    for (size_t i = 0; i < a->n_cache; i++)
        if (a->cache[i].used)
            wf_principal_dispose(&a->cache[i].who);
    free(a->cache);
    EVP_MD_free(a->sha256);
    for (size_t i = 0; i < CACHE_STRIPES; i++)
        pthread_mutex_destroy(&a->stripes[i]);
    pthread_cond_destroy(&a->cond);
    pthread_mutex_destroy(&a->lock);
    free(a);
}
