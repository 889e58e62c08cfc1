/* The authenticator the gateway holds: configured OIDC issuers, their JWKS
 * (fetched and refreshed on a background thread), and a bounded cache of
 * verified tokens. wf_authn_verify is thread-safe and never touches the
 * network, so every gateway event loop can call it directly.
 *
 * Unknown kid: the token is refused at once with "kid-unknown:refresh-requested"
 * (401) and the background thread re-fetches that issuer's JWKS, at most once
 * per min_refresh_interval. A client retrying after a key rotation succeeds as
 * soon as the new set is published; no event loop ever waits on the network.
 *
 * Service-account tokens (weft_sa_…) are not handled here: they need a
 * database lookup (see satoken.h); wf_authn_bearer tells the two apart. */
#ifndef WF_AUTHN_H
#define WF_AUTHN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/jwt.h"
#include "auth/principal.h"
#include "platform/config.h"

typedef struct wf_authn wf_authn_t;

typedef struct wf_authn_options {
    int64_t leeway;               /* seconds of clock skew on exp/nbf (default 30) */
    size_t max_token_len;         /* bytes (default WF_JWT_DEFAULT_MAX_LEN) */
    int refresh_interval;         /* seconds between periodic JWKS fetches (default 300) */
    int min_refresh_interval;     /* seconds between fetches of one issuer, the
                                     rate limit for unknown-kid refreshes (default 10) */
    int retry_interval;           /* seconds before retrying a failed fetch (default 5) */
    size_t cache_entries;         /* verified-token cache slots; 0 disables (default 16384) */
} wf_authn_options_t;

/* Counters for tests, logs and benchmarks (monotonic since create). */
typedef struct wf_authn_stats {
    uint64_t verified;      /* tokens that passed a full verification */
    uint64_t refused;       /* tokens refused (any reason) */
    uint64_t cache_hits;
    uint64_t fetches;       /* JWKS fetch attempts */
    uint64_t fetch_errors;
    uint64_t key_sets;      /* JWKS documents published */
} wf_authn_stats_t;

/* Kind of credential in an Authorization header. */
typedef enum {
    WF_CRED_NONE = 0, /* no usable credential (see the status) */
    WF_CRED_JWT,      /* an OIDC token for wf_authn_verify */
    WF_CRED_SATOKEN,  /* a service-account token for the store lookup */
} wf_cred_kind_t;

/* Fills the defaults listed above. */
void wf_authn_options_defaults(wf_authn_options_t *opt);

/* Creates an authenticator for `issuers` (the config's auth.oidc[], copied)
 * and starts its fetch thread. Fails (-1, reason in `err`) when an issuer or
 * jwks_uri is not an allowed URL (wf_oidc_url_allowed), an audience is
 * missing, or two entries name the same issuer. With no issuers every JWT is
 * refused with issuer-unknown. The caller owns *out (wf_authn_destroy). */
int wf_authn_create(const wf_oidc_conf_t *issuers, size_t n_issuers,
                    const wf_authn_options_t *opt, wf_authn_t **out, char *err, size_t err_len);

/* Blocks up to `timeout_ms` until every issuer has a key set (start-up only,
 * never on an event loop). Returns 0 when all are ready, else -1. */
int wf_authn_wait_ready(wf_authn_t *a, int timeout_ms);

/* Asks the fetch thread to re-fetch every issuer (still rate-limited). */
void wf_authn_request_refresh(wf_authn_t *a);

/* Verifies a compact JWT (the bearer credential only, not the header) and
 * fills `out` (initialised here; dispose it whatever the status). Checks, in
 * order: size, structure, alg (none/HS* refused), kid syntax, iss is a
 * configured issuer, kid is in its JWKS, alg equals the key's pinned alg,
 * signature, then exp/nbf/iat/iss/aud/sub/groups. Verified tokens are cached
 * by SHA-256 until exp; a JWKS refresh that drops or replaces a key empties
 * the cache. Never logs the token. */
wf_jwt_status_t wf_authn_verify(wf_authn_t *a, const char *token, size_t len,
                                wf_principal_t *out);

/* Same at a given time (Unix seconds), for tests and benchmarks. */
wf_jwt_status_t wf_authn_verify_at(wf_authn_t *a, const char *token, size_t len, int64_t now,
                                   wf_principal_t *out);

/* Parses an Authorization header value: "Bearer <token>" (scheme
 * case-insensitive, one space, token68 characters only). Sets *token and *len to
 * the credential inside `header` and returns its kind; on WF_CRED_NONE *st
 * says why (no-credentials, bad-scheme, malformed, too-large). A NULL header
 * is no-credentials. Tokens are never taken from the query string. */
wf_cred_kind_t wf_authn_bearer(const char *header, size_t header_len, size_t max_len,
                               const char **token, size_t *len, wf_jwt_status_t *st);

/* Copies the counters. */
void wf_authn_stats(wf_authn_t *a, wf_authn_stats_t *out);

/* Stops the fetch thread, frees keys and cache. */
void wf_authn_destroy(wf_authn_t *a);

#endif
