/* Service-account tokens: opaque bearer secrets `weft_sa_<base64url(32 random
 * bytes)>`. The token is shown once; only its SHA-256 is stored
 * (sa_tokens.token_hash, bytea) and compared in constant time. */
#ifndef WF_SATOKEN_H
#define WF_SATOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Every token starts with this prefix, so leaked tokens are easy to scan for. */
#define WF_SATOKEN_PREFIX "weft_sa_"
/* Random bytes per token (256 bits). */
#define WF_SATOKEN_RANDOM_BYTES 32
/* Length of a token without the NUL: prefix + 43 unpadded base64url chars. */
#define WF_SATOKEN_LEN 51
/* Length of the stored hash in bytes (SHA-256). */
#define WF_SATOKEN_HASH_LEN 32

/* Writes a fresh NUL-terminated token into `out` from the OpenSSL CSPRNG.
 * Returns 0, or -1 when the RNG fails (out is then wiped). The caller owns
 * the buffer and should OPENSSL_cleanse it once the token has been shown. */
int wf_satoken_generate(char out[WF_SATOKEN_LEN + 1]);

/* Cheap syntactic check run before any database lookup: exact length, the
 * prefix, the base64url alphabet, and a canonical last character (the 2 spare
 * bits of the 43rd character must be zero). Runs in time independent of where
 * the token differs. Returns true when `token[0..len)` could be a token. */
bool wf_satoken_syntax_ok(const char *token, size_t len);

/* SHA-256 of the whole token text (prefix included) into `out`. Returns 0, or
 * -1 when the token fails wf_satoken_syntax_ok or hashing fails. */
int wf_satoken_hash(const char *token, size_t len, uint8_t out[WF_SATOKEN_HASH_LEN]);

/* Constant-time comparison of two stored hashes (CRYPTO_memcmp). */
bool wf_satoken_hash_equal(const uint8_t a[WF_SATOKEN_HASH_LEN],
                           const uint8_t b[WF_SATOKEN_HASH_LEN]);

/* Formats a hash as PostgreSQL's bytea hex literal "\\x<64 hex digits>" into
 * `out` (67 bytes with the NUL), for text-format query parameters. */
void wf_satoken_hash_to_bytea_hex(const uint8_t hash[WF_SATOKEN_HASH_LEN], char out[67]);

#endif
