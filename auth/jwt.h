/* Compact JWS/JWT decoding and verification with cached OpenSSL keys. libjwt
 * is not used: 1.10 accepts any token when given no key, lets HS256 verify
 * with an RSA PEM as the secret, and re-parses the PEM on every call. Here the
 * three steps are separate and each fails closed:
 *   wf_jwt_decode            structure, size, base64url, JSON, header rules
 *   wf_jwt_verify_signature  with one key, under the algorithm pinned to it
 *   wf_jwt_check_claims      exp, nbf, iss, aud, sub, groups → principal
 * Header members jwk, jku, x5u, x5c are never read: keys come only from the
 * issuer's configured JWKS. */
#ifndef WF_JWT_H
#define WF_JWT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "auth/jwks.h"
#include "auth/principal.h"

/* Why a token was refused. Stable strings (wf_jwt_status_reason) go to logs,
 * audit entries and the 401 body; they never contain the token. */
typedef enum {
    WF_JWT_OK = 0,
    WF_JWT_NO_CREDENTIALS,       /* no Authorization header */
    WF_JWT_BAD_SCHEME,           /* not "Bearer <token>" */
    WF_JWT_TOO_LARGE,            /* over the size limit */
    WF_JWT_MALFORMED,            /* not three base64url parts of JSON objects */
    WF_JWT_ALG_NONE,             /* alg "none" */
    WF_JWT_ALG_HMAC,             /* HS256/384/512: shared secrets are refused */
    WF_JWT_ALG_UNSUPPORTED,      /* any other alg */
    WF_JWT_CRIT,                 /* "crit" header: no extension is understood */
    WF_JWT_KID_MISSING,          /* no kid header */
    WF_JWT_KID_INVALID,          /* kid with characters outside the allowed set */
    WF_JWT_ISSUER_UNKNOWN,       /* iss missing or not a configured issuer */
    WF_JWT_KEYS_UNAVAILABLE,     /* the issuer's JWKS could not be fetched yet */
    WF_JWT_KID_UNKNOWN,          /* kid not in the JWKS; a refresh was requested */
    WF_JWT_ALG_KEY_MISMATCH,     /* alg differs from the one pinned to the key */
    WF_JWT_SIGNATURE_MALFORMED,  /* wrong length (truncated, DER-encoded ECDSA) */
    WF_JWT_SIGNATURE_INVALID,    /* does not verify */
    WF_JWT_EXP_MISSING,
    WF_JWT_EXP_INVALID,          /* not an integer */
    WF_JWT_EXPIRED,
    WF_JWT_NBF_INVALID,
    WF_JWT_NOT_YET_VALID,
    WF_JWT_IAT_INVALID,          /* present but not an integer */
    WF_JWT_ISS_MISMATCH,
    WF_JWT_AUD_MISMATCH,
    WF_JWT_SUB_MISSING,
    WF_JWT_SUB_INVALID,          /* empty, too long or with control characters */
    WF_JWT_GROUPS_INVALID,       /* groups claim neither string nor array of strings */
    WF_JWT_INTERNAL,             /* out of memory, OpenSSL failure */
    WF_JWT_STATUS_COUNT
} wf_jwt_status_t;

/* Default size limit of a compact token in bytes. */
#define WF_JWT_DEFAULT_MAX_LEN 8192

/* A decoded, not yet trusted token. Caller-owned storage (init by decode). */
typedef struct wf_jwt {
    json_t *header, *claims;    /* owned references */
    wf_jwt_alg_t alg;
    const char *kid;            /* inside `header` */
    const char *iss;            /* inside `claims`, or NULL */
    const char *signing_input;  /* points into the caller's token text */
    size_t signing_len;
    unsigned char *sig;         /* decoded signature (owned) */
    size_t sig_len;
} wf_jwt_t;

/* Stable reason string for logs ("expired", "alg-none", …). */
const char *wf_jwt_status_reason(wf_jwt_status_t st);

/* Splits and decodes `token[0..len)`: exactly three non-empty parts, strict
 * base64url, header and claims JSON objects without duplicate keys, a
 * supported alg (none/HS* refused with their own codes), no "crit", a valid
 * kid. `token` must outlive `jwt`. On any status `jwt` is safe to dispose. */
wf_jwt_status_t wf_jwt_decode(wf_jwt_t *jwt, const char *token, size_t len, size_t max_len);

/* Verifies the signature with `key`: the header alg must equal the key's
 * pinned alg; RSA signatures must be exactly the modulus size; ECDSA ones raw
 * r||s of exactly twice the field size (DER is refused); Ed25519 64 bytes.
 * Thread-safe for a shared key. */
wf_jwt_status_t wf_jwt_verify_signature(const wf_jwt_t *jwt, const wf_jwk_t *key);

/* What the claims must satisfy. */
typedef struct wf_jwt_policy {
    const char *issuer;       /* exact iss */
    const char *audience;     /* must equal aud or be a member of the aud array */
    const char *groups_claim; /* claim with the groups; NULL or "" for none */
    int64_t leeway;           /* seconds of clock skew allowed on exp and nbf */
} wf_jwt_policy_t;

/* Checks the claims at time `now` (Unix seconds) and fills `out` (initialised
 * by this call; dispose it on every status): subject "user:<sub>", groups,
 * issuer, expires_at = exp. exp is required and, like nbf and iat, must be a
 * JSON integer. Groups that are not strings or exceed the name limit are
 * refused rather than silently dropped. */
wf_jwt_status_t wf_jwt_check_claims(const wf_jwt_t *jwt, const wf_jwt_policy_t *policy,
                                    int64_t now, wf_principal_t *out);

/* Frees what decode allocated; safe after any status. */
void wf_jwt_dispose(wf_jwt_t *jwt);

#endif
