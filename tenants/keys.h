/* Domain key files: DIR/DOMAIN.key holds the domain's X25519 private key as a
 * PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----", readable by `openssl pkey`), mode
 * 0600. Only the domain's executors read it (replicas share the file); the
 * public half is what the gateway stores in domains.public_key. */
#ifndef WF_KEYS_H
#define WF_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#include "tenants/seal.h"

enum {
    WF_KEYS_OK = 0,
    WF_KEYS_ERR_NAME = -1,   /* domain name not [a-z][a-z0-9-]{0,62} */
    WF_KEYS_ERR_EXISTS = -2, /* key file present and overwriting not asked for */
    WF_KEYS_ERR_ABSENT = -3, /* no key file */
    WF_KEYS_ERR_IO = -4,     /* file system error (message says which) */
    WF_KEYS_ERR_PERM = -5,   /* key file readable by group or others, or not a regular file */
    WF_KEYS_ERR_FORMAT = -6, /* not an X25519 private key */
    WF_KEYS_ERR_CRYPTO = -7,
    WF_KEYS_ERR_DB = -8,        /* database error */
    WF_KEYS_ERR_UNKNOWN = -9,   /* domain not in the domains table */
    WF_KEYS_ERR_MISMATCH = -10, /* another public key is registered for the domain */
};

/* True when `domain` is a valid domain name (keeps key paths inside DIR). */
bool wf_keys_domain_valid(const char *domain);
/* Writes "DIR/DOMAIN.key" into buf. Returns 0 or WF_KEYS_ERR_NAME / _IO (too long). */
int wf_keys_path(const char *dir, const char *domain, char *buf, size_t cap);

/* Writes kp's private key to DIR/DOMAIN.key atomically (temporary file in DIR,
 * fsync, then link() — or rename() when `force` — and fsync of DIR). DIR is
 * created with mode 0700 when absent. Without `force` an existing file is
 * never touched (WF_KEYS_ERR_EXISTS). `err` gets a one-line reason. */
int wf_keys_write(const char *dir, const char *domain, const wf_seal_keypair_t *kp, bool force,
                  char *err, size_t err_len);

/* Loads DIR/DOMAIN.key into kp (public half recomputed). Refuses files that
 * group or others may read or write, symlinks and non-regular files. */
int wf_keys_load(const char *dir, const char *domain, wf_seal_keypair_t *kp, char *err,
                 size_t err_len);

/* An executor's first start: loads the key, or generates and writes one when
 * absent. Replicas racing on an empty DIR end up with the same key (the loser
 * of the link() race loads the winner's file). *created tells which happened. */
int wf_keys_load_or_generate(const char *dir, const char *domain, wf_seal_keypair_t *kp,
                             bool *created, char *err, size_t err_len);

/* Registration of the public key in domains.public_key (tenants/keys_db.c). */
typedef enum {
    WF_KEYS_REG_NONE = 0, /* no key registered yet */
    WF_KEYS_REG_SAME,     /* this key is registered */
    WF_KEYS_REG_OTHER,    /* a different key is registered */
} wf_keys_reg_t;

/* Reads the registration state of `pub` for `domain`. `sealed` (may be NULL)
 * gets the number of secrets stored for the domain. Returns 0, or
 * WF_KEYS_ERR_UNKNOWN / WF_KEYS_ERR_DB with `err`. */
int wf_keys_registration(PGconn *conn, const char *domain, const uint8_t pub[WF_SEAL_KEY_LEN],
                         wf_keys_reg_t *state, long *sealed, char *err, size_t err_len);

/* Records `pub` as the domain's public key when none is registered or it is
 * already this one. Another registered key is replaced only with `replace`
 * (secrets sealed to it no longer open); otherwise WF_KEYS_ERR_MISMATCH — an
 * executor must refuse to start with a key file that is not its domain's key.
 * One conditional UPDATE: concurrent replicas cannot interleave. Needs UPDATE
 * on domains: run it on the start-up (owner) connection, not as the domain's
 * restricted role. */
int wf_keys_register(PGconn *conn, const char *domain, const uint8_t pub[WF_SEAL_KEY_LEN],
                     bool replace, char *err, size_t err_len);

#endif
