/* JSON Web Key Sets (RFC 7517/7518/8037) parsed into OpenSSL keys. A set is
 * immutable once built and reference-counted, so verifier threads keep using
 * the set they picked up while a refresh publishes a new one. Each key is
 * pinned to exactly one signature algorithm; tokens naming another are
 * refused (this is what stops HS256-with-the-RSA-key and alg swapping). */
#ifndef WF_JWKS_H
#define WF_JWKS_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

/* Signature algorithms Weft accepts. There is deliberately no "none" and no
 * HMAC member: a shared-secret algorithm has no place with public JWKS. */
typedef enum {
    WF_JWT_ALG_INVALID = 0,
    WF_JWT_ALG_RS256,
    WF_JWT_ALG_RS384,
    WF_JWT_ALG_RS512,
    WF_JWT_ALG_ES256,
    WF_JWT_ALG_ES384,
    WF_JWT_ALG_EDDSA, /* Ed25519 */
    WF_JWT_ALG_COUNT
} wf_jwt_alg_t;

/* Limits: keys kept per set, RSA modulus bounds (bits), kid length. */
#define WF_JWKS_MAX_KEYS 64
#define WF_JWKS_RSA_MIN_BITS 2048
#define WF_JWKS_RSA_MAX_BITS 8192
#define WF_JWKS_KID_MAX 128

/* One verification key. Owned by its set; valid while the caller holds a
 * reference to the set. `pkey` is only used read-only (safe across threads). */
typedef struct wf_jwk {
    char *kid;
    wf_jwt_alg_t alg; /* the one algorithm this key verifies */
    EVP_PKEY *pkey;
    struct wf_jwk_ctx *ctx; /* private: prefetched digest and reusable contexts */
} wf_jwk_t;

typedef struct wf_jwks wf_jwks_t;

/* Verifies `sig` over `msg` with `key` under its pinned algorithm. `sig` is
 * in OpenSSL's form (DER for ECDSA). Thread-safe: verification contexts are
 * prepared once per key and handed out from a small lock-free pool, which
 * saves the per-call algorithm fetches that dominate OpenSSL 3's cost.
 * Returns 1 when valid, 0 when not, -1 on internal failure. */
int wf_jwk_verify(const wf_jwk_t *key, const unsigned char *msg, size_t len,
                  const unsigned char *sig, size_t sig_len);

/* "RS256" … "EdDSA"; WF_JWT_ALG_INVALID for anything else (including
 * "none", "HS256", wrong case). */
wf_jwt_alg_t wf_jwt_alg_parse(const char *name);
const char *wf_jwt_alg_name(wf_jwt_alg_t alg);

/* Value of a base64url character, or -1. Branch-free on the character value
 * so a syntax check does not leak where a guessed token goes wrong. */
int wf_b64url_value(unsigned char c);

/* Strict base64url (RFC 4648 §5) without padding: rejects '=', '+', '/',
 * whitespace, impossible lengths and non-zero spare bits, so one byte
 * string has exactly one accepted encoding. On success *out is malloc'd
 * (the caller frees it) and *out_len set. Returns 0 or -1. */
int wf_b64url_decode(const char *in, size_t len, unsigned char **out, size_t *out_len);

/* True when `kid` is acceptable as a key id: 1..WF_JWKS_KID_MAX characters of
 * [A-Za-z0-9._~+/=-] and no "..". Path or SQL fragments are refused before
 * any lookup or refresh. */
bool wf_jwks_kid_valid(const char *kid);

/* Parses a JWKS document into a new set (refcount 1) in *out. Unusable keys
 * (unknown kty/crv/alg, use other than "sig", key_ops without "verify", no or
 * bad kid, duplicate kid, RSA outside the size bounds, EC point off the
 * curve) are skipped and counted; the first skip reason is kept. Returns 0,
 * or -1 with a message in `err` when the document itself is unusable (not
 * JSON, no "keys" array). A set with zero usable keys is still returned. */
int wf_jwks_parse(const char *json, size_t len, wf_jwks_t **out, char *err, size_t err_len);

/* Takes another reference (returns `set`); drops one and frees at zero. */
wf_jwks_t *wf_jwks_ref(wf_jwks_t *set);
void wf_jwks_unref(wf_jwks_t *set);

/* The key with id `kid`, or NULL. */
const wf_jwk_t *wf_jwks_find(const wf_jwks_t *set, const char *kid);
/* Number of usable keys, i-th key (i < count). */
size_t wf_jwks_count(const wf_jwks_t *set);
const wf_jwk_t *wf_jwks_key(const wf_jwks_t *set, size_t i);
/* Keys skipped while parsing, and why the first one was (or ""). */
size_t wf_jwks_skipped(const wf_jwks_t *set);
const char *wf_jwks_skip_reason(const wf_jwks_t *set);

/* True when every key of `old` is present in `new_set` with the same kid,
 * algorithm and public key: a refresh that only adds keys. When false, a key
 * was removed or replaced and tokens verified with it must be re-checked. */
bool wf_jwks_superset(const wf_jwks_t *new_set, const wf_jwks_t *old);

#endif
