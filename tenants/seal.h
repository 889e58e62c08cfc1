/* Sealed secrets: a value is sealed to a domain's X25519 public key so that
 * only the holder of the domain's private key (its executor) can read it.
 *
 * Sealed format (version 1), all binary:
 *   0x01 ‖ ephemeral X25519 public key (32) ‖ nonce (12) ‖ AES-256-GCM ciphertext ‖ tag (16)
 *
 * Key schedule: shared = X25519(ephemeral private, recipient public);
 *   key = HKDF-SHA256(ikm = shared, salt = "weft-seal-v1",
 *                     info = "weft-seal-v1 aes-256-gcm" ‖ ephemeral public ‖ recipient public)
 * Binding both public keys in `info` ties the key to this exchange (no key reuse
 * across recipients, no substitution of the ephemeral key). GCM authenticates
 * the header (format byte, ephemeral key, nonce) and the caller's associated data,
 * so a ciphertext moved to another namespace, key name or version does not open.
 *
 * All buffers that held key material or plaintext are wiped with OPENSSL_cleanse. */
#ifndef WF_SEAL_H
#define WF_SEAL_H

#include <stddef.h>
#include <stdint.h>

#define WF_SEAL_KEY_LEN 32
#define WF_SEAL_NONCE_LEN 12
#define WF_SEAL_TAG_LEN 16
#define WF_SEAL_FORMAT_V1 0x01
#define WF_SEAL_HEADER_LEN (1 + WF_SEAL_KEY_LEN + WF_SEAL_NONCE_LEN)
#define WF_SEAL_OVERHEAD (WF_SEAL_HEADER_LEN + WF_SEAL_TAG_LEN)
/* Base64 of a 32-byte key with padding, plus NUL. */
#define WF_SEAL_KEY_B64_LEN 45

/* Return codes (0 is success). */
enum {
    WF_SEAL_OK = 0,
    WF_SEAL_ERR_CRYPTO = -1, /* OpenSSL failure (out of memory, RNG) */
    WF_SEAL_ERR_FORMAT = -2, /* truncated input or unknown format byte */
    WF_SEAL_ERR_AUTH = -3,   /* wrong key, wrong associated data or altered bytes */
    WF_SEAL_ERR_KEY = -4,    /* invalid key (bad encoding, low-order point) */
    WF_SEAL_ERR_SPACE = -5,  /* output buffer too small */
    WF_SEAL_ERR_ARG = -6,    /* invalid argument (NULL, over-long names) */
};

/* A domain key pair in caller-owned storage. wf_seal_keypair_dispose wipes it. */
typedef struct wf_seal_keypair {
    uint8_t pub[WF_SEAL_KEY_LEN];
    uint8_t priv[WF_SEAL_KEY_LEN];
} wf_seal_keypair_t;

/* Generates a fresh key pair from the OpenSSL RNG. */
int wf_seal_keypair_generate(wf_seal_keypair_t *kp);
/* Fills kp->pub from kp->priv. */
int wf_seal_keypair_complete(wf_seal_keypair_t *kp);
/* Wipes both halves. */
void wf_seal_keypair_dispose(wf_seal_keypair_t *kp);

/* Size of the sealed form of `plain_len` bytes. */
size_t wf_seal_sealed_len(size_t plain_len);

/* Seals `plain` to `recipient_pub` with associated data `aad` (may be empty).
 * `out` must hold wf_seal_sealed_len(plain_len) bytes; *out_len gets the length. */
int wf_seal(const uint8_t recipient_pub[WF_SEAL_KEY_LEN], const uint8_t *plain, size_t plain_len,
            const uint8_t *aad, size_t aad_len, uint8_t *out, size_t out_cap, size_t *out_len);

/* Opens `sealed` with the recipient's key pair and the same associated data.
 * `out` needs sealed_len - WF_SEAL_OVERHEAD bytes. On failure `out` is wiped and
 * nothing of the plaintext is returned. */
int wf_unseal(const wf_seal_keypair_t *kp, const uint8_t *sealed, size_t sealed_len,
              const uint8_t *aad, size_t aad_len, uint8_t *out, size_t out_cap, size_t *out_len);

/* Associated data for a secret: "weft-secret-v1" ‖ u16 len ‖ namespace ‖ u16 len ‖ key ‖
 * u64 version (big-endian). Length prefixes keep ("a.b","c") and ("a","b.c") apart.
 * `out` needs WF_SEAL_AAD_MAX bytes. Returns the length, or WF_SEAL_ERR_ARG. */
#define WF_SEAL_AAD_MAX (14 + 2 + 255 + 2 + 255 + 8)
int wf_seal_secret_aad(const char *ns, const char *key, uint64_t version,
                       uint8_t out[WF_SEAL_AAD_MAX]);

/* Convenience for secrets: seals `value` to `pub` bound to (ns, key, version).
 * *out is malloc'd (caller frees; it holds no secret). Returns 0 or an error. */
int wf_seal_secret(const uint8_t pub[WF_SEAL_KEY_LEN], const char *ns, const char *key,
                   uint64_t version, const uint8_t *value, size_t value_len, uint8_t **out,
                   size_t *out_len);
/* Opens a secret sealed by wf_seal_secret for the same (ns, key, version).
 * *value is malloc'd and NUL-terminated (ready for an environment variable);
 * the caller wipes and frees it with OPENSSL_clear_free(*value, *value_len + 1). */
int wf_unseal_secret(const wf_seal_keypair_t *kp, const char *ns, const char *key, uint64_t version,
                     const uint8_t *sealed, size_t sealed_len, char **value, size_t *value_len);

/* SECRET-typed execution inputs, sealed by the gateway when the execution is
 * created and opened by the domain's executor when a task renders them.
 * Associated data: "weft-input-v1" ‖ u16 len ‖ namespace ‖ u16 len ‖ flow id ‖
 * u16 len ‖ execution id ‖ u16 len ‖ input id, where the execution id is the
 * original one (a restart keeps its inputs), so a ciphertext copied to
 * another execution, flow or input does not open. Each part 1..255 bytes. */
#define WF_SEAL_INPUT_AAD_MAX (13 + 4 * (2 + 255))
int wf_seal_input_aad(const char *ns, const char *flow_id, const char *execution_id,
                      const char *input_id, uint8_t out[WF_SEAL_INPUT_AAD_MAX]);
/* Seals an input value; *out is malloc'd (holds no secret). Returns 0 or an error. */
int wf_seal_input(const uint8_t pub[WF_SEAL_KEY_LEN], const char *ns, const char *flow_id,
                  const char *execution_id, const char *input_id, const uint8_t *value,
                  size_t value_len, uint8_t **out, size_t *out_len);
/* Opens an input sealed by wf_seal_input for the same four names; *value as
 * for wf_unseal_secret (wipe and free with OPENSSL_clear_free). */
int wf_unseal_input(const wf_seal_keypair_t *kp, const char *ns, const char *flow_id,
                    const char *execution_id, const char *input_id, const uint8_t *sealed,
                    size_t sealed_len, char **value, size_t *value_len);

/* The stored form of a sealed input: {"weft:sealed": "<base64>"} in place of
 * the value (SECRET inputs are strings, so an object there is always this). */
#define WF_SEAL_INPUT_ENVELOPE "weft:sealed"
/* Standard base64 of `len` bytes (malloc'd, NUL-terminated), or NULL. */
char *wf_seal_b64_encode(const uint8_t *data, size_t len);
/* Decodes standard base64 (malloc'd, *len bytes), or NULL when malformed. */
uint8_t *wf_seal_b64_decode(const char *b64, size_t *len);

/* Standard base64 (with padding) of a public key, NUL-terminated. */
void wf_seal_key_to_b64(const uint8_t key[WF_SEAL_KEY_LEN], char out[WF_SEAL_KEY_B64_LEN]);
/* Decodes a base64 public key (exactly 32 bytes). Returns 0 or WF_SEAL_ERR_KEY. */
int wf_seal_key_from_b64(const char *b64, uint8_t key[WF_SEAL_KEY_LEN]);

/* Human-readable name of a return code. */
const char *wf_seal_strerror(int rc);

#endif
