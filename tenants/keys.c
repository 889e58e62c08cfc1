#include "tenants/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "platform/fileio.h"

#define KEY_FILE_MAX 4096 /* a PEM X25519 key is ~120 bytes; anything larger is not one */

static int fail(char *err, size_t err_len, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t err_len, int rc, const char *fmt, ...)
{
    if (err != NULL && err_len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_len, fmt, ap);
        va_end(ap);
    }
    return rc;
}

bool wf_keys_domain_valid(const char *domain)
{
    if (domain == NULL || domain[0] < 'a' || domain[0] > 'z')
        return false;
    size_t n = 0;
    for (const char *p = domain; *p; p++, n++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
            return false;
    return n <= 63;
}

int wf_keys_path(const char *dir, const char *domain, char *buf, size_t cap)
{
    if (!wf_keys_domain_valid(domain))
        return WF_KEYS_ERR_NAME;
    int n = snprintf(buf, cap, "%s/%s.key", dir, domain);
    return n < 0 || (size_t)n >= cap ? WF_KEYS_ERR_IO : WF_KEYS_OK;
}

/* mkdir -p with mode 0700 for every component it creates. */
static int make_dir(const char *dir)
{
    char path[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof(path))
        return -1;
    memcpy(path, dir, n + 1);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

/* PEM-encodes the private key into a memory BIO the caller cleans and frees. */
static BIO *pem_encode(const wf_seal_keypair_t *kp)
{
    EVP_PKEY *pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, kp->priv, WF_SEAL_KEY_LEN);
    BIO *bio = BIO_new(BIO_s_mem());
    if (pkey == NULL || bio == NULL ||
        PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) != 1) {
        BIO_free(bio);
        bio = NULL;
    }
    EVP_PKEY_free(pkey);
    return bio;
}

static void bio_wipe_free(BIO *bio)
{
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    if (data != NULL && n > 0)
        OPENSSL_cleanse(data, (size_t)n);
    BIO_free(bio);
}

int wf_keys_write(const char *dir, const char *domain, const wf_seal_keypair_t *kp, bool force,
                  char *err, size_t err_len)
{
    char path[4096], tmp[4096];
    int rc, fd = -1, dfd;
    BIO *bio = NULL;
    char *pem = NULL;
    long pem_len;

    if (!wf_keys_domain_valid(domain))
        return fail(err, err_len, WF_KEYS_ERR_NAME,
                    "invalid domain name '%s' (expected [a-z][a-z0-9-]*, at most 63 characters)",
                    domain ? domain : "");
    if (wf_keys_path(dir, domain, path, sizeof(path)) != 0 ||
        snprintf(tmp, sizeof(tmp), "%s/.%s.key.XXXXXX", dir, domain) >= (int)sizeof(tmp))
        return fail(err, err_len, WF_KEYS_ERR_IO, "%s: path too long", dir);
    if (make_dir(dir) != 0)
        return fail(err, err_len, WF_KEYS_ERR_IO, "%s: cannot create directory: %s", dir,
                    strerror(errno));
    if (!force && access(path, F_OK) == 0)
        return fail(err, err_len, WF_KEYS_ERR_EXISTS,
                    "%s: key file exists; refusing to overwrite it (use --force to replace the "
                    "domain key, which makes its sealed secrets unreadable)",
                    path);
    bio = pem_encode(kp);
    if (bio == NULL) {
        rc = fail(err, err_len, WF_KEYS_ERR_CRYPTO, "cannot encode the private key");
        goto out;
    }
    pem_len = BIO_get_mem_data(bio, &pem);
    /* mkstemp creates the file 0600 and exclusively: the key is never readable by others. */
    fd = mkstemp(tmp);
    if (fd < 0) {
        rc = fail(err, err_len, WF_KEYS_ERR_IO, "%s: cannot create a temporary file: %s", dir,
                  strerror(errno));
        goto out;
    }
    if (fchmod(fd, 0600) != 0 || wf_write_all(fd, pem, (size_t)pem_len) != 0 || fsync(fd) != 0) {
        rc = fail(err, err_len, WF_KEYS_ERR_IO, "%s: cannot write: %s", tmp, strerror(errno));
        goto out_unlink;
    }
    close(fd);
    fd = -1;
    /* link() fails with EEXIST instead of replacing: two replicas creating the
     * key at once cannot overwrite each other. rename() replaces atomically. */
    if (force ? rename(tmp, path) != 0 : link(tmp, path) != 0) {
        int e = errno;
        rc = e == EEXIST ? fail(err, err_len, WF_KEYS_ERR_EXISTS,
                                "%s: key file exists; refusing to overwrite it", path)
                         : fail(err, err_len, WF_KEYS_ERR_IO, "%s: %s", path, strerror(e));
        goto out_unlink;
    }
    if (!force)
        unlink(tmp);
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd); /* makes the new directory entry durable */
        close(dfd);
    }
    rc = WF_KEYS_OK;
    goto out;
out_unlink:
    unlink(tmp);
out:
    if (fd >= 0)
        close(fd);
    if (bio != NULL)
        bio_wipe_free(bio);
    return rc;
}

int wf_keys_load(const char *dir, const char *domain, wf_seal_keypair_t *kp, char *err,
                 size_t err_len)
{
    char path[4096];
    char buf[KEY_FILE_MAX];
    size_t len = 0, raw_len = WF_SEAL_KEY_LEN;
    struct stat st;
    int rc, fd;
    BIO *bio = NULL;
    EVP_PKEY *pkey = NULL;

    if (!wf_keys_domain_valid(domain))
        return fail(err, err_len, WF_KEYS_ERR_NAME, "invalid domain name '%s'",
                    domain ? domain : "");
    if (wf_keys_path(dir, domain, path, sizeof(path)) != 0)
        return fail(err, err_len, WF_KEYS_ERR_IO, "%s: path too long", dir);
    /* O_NOFOLLOW: a symlink planted in the key directory is refused, not followed. */
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT)
            return fail(err, err_len, WF_KEYS_ERR_ABSENT, "%s: no such key file", path);
        if (e == ELOOP)
            return fail(err, err_len, WF_KEYS_ERR_PERM, "%s: is a symbolic link; refusing it",
                        path);
        return fail(err, err_len, WF_KEYS_ERR_IO, "%s: %s", path, strerror(e));
    }
    if (fstat(fd, &st) != 0) {
        rc = fail(err, err_len, WF_KEYS_ERR_IO, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = fail(err, err_len, WF_KEYS_ERR_PERM, "%s: not a regular file", path);
        goto out;
    }
    if ((st.st_mode & 077) != 0) {
        rc = fail(err, err_len, WF_KEYS_ERR_PERM,
                  "%s: mode %04o lets group or others access the private key; "
                  "run chmod 600 on it",
                  path, (unsigned)(st.st_mode & 07777));
        goto out;
    }
    if (st.st_uid != geteuid() && st.st_uid != 0) {
        rc = fail(err, err_len, WF_KEYS_ERR_PERM, "%s: owned by uid %u, not by this user", path,
                  (unsigned)st.st_uid);
        goto out;
    }
    for (;;) {
        ssize_t r = read(fd, buf + len, sizeof(buf) - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = fail(err, err_len, WF_KEYS_ERR_IO, "%s: %s", path, strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        len += (size_t)r;
        if (len == sizeof(buf)) {
            rc = fail(err, err_len, WF_KEYS_ERR_FORMAT, "%s: too large for a key file", path);
            goto out;
        }
    }
    bio = BIO_new_mem_buf(buf, (int)len);
    pkey = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    if (pkey == NULL || !EVP_PKEY_is_a(pkey, "X25519")) {
        rc = fail(err, err_len, WF_KEYS_ERR_FORMAT,
                  "%s: not a PEM X25519 private key (create one with weftd keygen)", path);
        goto out;
    }
    if (EVP_PKEY_get_raw_private_key(pkey, kp->priv, &raw_len) != 1 || raw_len != WF_SEAL_KEY_LEN ||
        wf_seal_keypair_complete(kp) != 0) {
        wf_seal_keypair_dispose(kp);
        rc = fail(err, err_len, WF_KEYS_ERR_CRYPTO, "%s: cannot read the key", path);
        goto out;
    }
    rc = WF_KEYS_OK;
out:
    OPENSSL_cleanse(buf, sizeof(buf));
    EVP_PKEY_free(pkey);
    BIO_free(bio);
    close(fd);
    return rc;
}

int wf_keys_load_or_generate(const char *dir, const char *domain, wf_seal_keypair_t *kp,
                             bool *created, char *err, size_t err_len)
{
    *created = false;
    int rc = wf_keys_load(dir, domain, kp, err, err_len);
    if (rc != WF_KEYS_ERR_ABSENT)
        return rc;
    if (wf_seal_keypair_generate(kp) != 0)
        return fail(err, err_len, WF_KEYS_ERR_CRYPTO, "cannot generate a key pair");
    rc = wf_keys_write(dir, domain, kp, false, err, err_len);
    if (rc == WF_KEYS_OK) {
        *created = true;
        return rc;
    }
    wf_seal_keypair_dispose(kp);
    if (rc == WF_KEYS_ERR_EXISTS) /* another replica won the race: use its key */
        return wf_keys_load(dir, domain, kp, err, err_len);
    return rc;
}
