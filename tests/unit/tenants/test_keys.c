/* Domain key files: permissions, no silent overwrite, refusal of planted or
 * loose files, path traversal through the domain name. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "tenants/keys.h"
#include "tests/tap.h"

static char dir[256];

static int file_mode(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

static size_t count_entries(const char *d)
{
    size_t n = 0;
    DIR *dp = opendir(d);
    struct dirent *e;
    while (dp && (e = readdir(dp)) != NULL)
        n += e->d_name[0] != '.' || (e->d_name[1] != '\0' && strcmp(e->d_name, "..") != 0);
    if (dp)
        closedir(dp);
    return n;
}

static void write_file(const char *path, const char *text, int mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd >= 0) {
        if (write(fd, text, strlen(text)) < 0)
            perror(path);
        fchmod(fd, (mode_t)mode);
        close(fd);
    }
}

static void rm_rf(const char *d)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
    if (system(cmd) != 0)
        fprintf(stderr, "cleanup of %s failed\n", d);
}

int main(void)
{
    char err[512], path[512], keydir[300];
    wf_seal_keypair_t kp, kp2, loaded;
    bool created;

    snprintf(dir, sizeof(dir), "/tmp/wf-test-keys.XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(keydir, sizeof(keydir), "%s/nested/keys", dir);

    ok(wf_keys_domain_valid("logistics"), "plain domain name valid");
    ok(wf_keys_domain_valid("sales-eu2"), "dash and digits valid");
    ok(!wf_keys_domain_valid("../etc/passwd"), "path traversal refused");
    ok(!wf_keys_domain_valid("a/b"), "slash refused");
    ok(!wf_keys_domain_valid("Sales"), "upper case refused");
    ok(!wf_keys_domain_valid(""), "empty refused");
    ok(!wf_keys_domain_valid(".hidden"), "leading dot refused");
    char longname[70];
    memset(longname, 'a', 64);
    longname[64] = 0;
    ok(!wf_keys_domain_valid(longname), "64 characters refused");
    longname[63] = 0;
    ok(wf_keys_domain_valid(longname), "63 characters accepted");

    wf_seal_keypair_generate(&kp);
    is_int(wf_keys_write(keydir, "../evil", &kp, false, err, sizeof(err)), WF_KEYS_ERR_NAME,
           "write with a traversal name refused");
    is_int(wf_keys_write(keydir, "logistics", &kp, false, err, sizeof(err)), WF_KEYS_OK,
           "key written (directories created)");
    wf_keys_path(keydir, "logistics", path, sizeof(path));
    is_int(file_mode(path), 0600, "key file mode 0600");
    is_int(file_mode(keydir), 0700, "created key directory mode 0700");
    is_int(count_entries(keydir), 1, "no temporary file left behind");

    /* The file is a standard PKCS#8 PEM readable by OpenSSL itself. */
    FILE *f = fopen(path, "r");
    EVP_PKEY *pk = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    ok(pk != NULL && EVP_PKEY_is_a(pk, "X25519"), "file is a PEM X25519 private key");
    uint8_t pub[32];
    size_t pl = 32;
    ok(pk && EVP_PKEY_get_raw_public_key(pk, pub, &pl) == 1 && memcmp(pub, kp.pub, 32) == 0,
       "OpenSSL derives the same public key");
    EVP_PKEY_free(pk);
    if (f)
        fclose(f);

    is_int(wf_keys_load(keydir, "logistics", &loaded, err, sizeof(err)), WF_KEYS_OK, "key loads");
    ok(memcmp(&loaded, &kp, sizeof(kp)) == 0, "loaded key pair equals the written one");

    wf_seal_keypair_generate(&kp2);
    is_int(wf_keys_write(keydir, "logistics", &kp2, false, err, sizeof(err)), WF_KEYS_ERR_EXISTS,
           "existing key not overwritten without force");
    ok(strstr(err, "--force") != NULL, "the refusal names --force");
    wf_keys_load(keydir, "logistics", &loaded, err, sizeof(err));
    ok(memcmp(loaded.priv, kp.priv, 32) == 0, "the existing key is untouched");
    is_int(wf_keys_write(keydir, "logistics", &kp2, true, err, sizeof(err)), WF_KEYS_OK,
           "force replaces the key");
    wf_keys_load(keydir, "logistics", &loaded, err, sizeof(err));
    ok(memcmp(loaded.priv, kp2.priv, 32) == 0, "the replaced key is the new one");
    is_int(file_mode(path), 0600, "replaced key file mode 0600");
    is_int(count_entries(keydir), 1, "no temporary file left after replace");

    /* Loose permissions, planted symlinks, wrong content. */
    chmod(path, 0640);
    is_int(wf_keys_load(keydir, "logistics", &loaded, err, sizeof(err)), WF_KEYS_ERR_PERM,
           "group-readable key refused");
    ok(strstr(err, "chmod 600") != NULL, "the refusal says how to fix it");
    chmod(path, 0606);
    is_int(wf_keys_load(keydir, "logistics", &loaded, err, sizeof(err)), WF_KEYS_ERR_PERM,
           "world-accessible key refused");
    chmod(path, 0600);

    char target[512], link_path[512];
    snprintf(target, sizeof(target), "%s/elsewhere.key", dir);
    write_file(target, "x", 0600);
    wf_keys_path(keydir, "planted", link_path, sizeof(link_path));
    if (symlink(target, link_path) != 0)
        perror("symlink");
    is_int(wf_keys_load(keydir, "planted", &loaded, err, sizeof(err)), WF_KEYS_ERR_PERM,
           "symlinked key file refused");

    wf_keys_path(keydir, "garbage", path, sizeof(path));
    write_file(path, "not a key\n", 0600);
    is_int(wf_keys_load(keydir, "garbage", &loaded, err, sizeof(err)), WF_KEYS_ERR_FORMAT,
           "garbage file refused");

    /* A valid PEM of the wrong key type. */
    EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    wf_keys_path(keydir, "wrongtype", path, sizeof(path));
    f = fopen(path, "w");
    if (f && ed) {
        PEM_write_PrivateKey(f, ed, NULL, NULL, 0, NULL, NULL);
        fclose(f);
        chmod(path, 0600);
    }
    EVP_PKEY_free(ed);
    is_int(wf_keys_load(keydir, "wrongtype", &loaded, err, sizeof(err)), WF_KEYS_ERR_FORMAT,
           "Ed25519 key refused as a sealing key");

    wf_keys_path(keydir, "adir", path, sizeof(path));
    mkdir(path, 0700);
    is_int(wf_keys_load(keydir, "adir", &loaded, err, sizeof(err)), WF_KEYS_ERR_PERM,
           "directory in place of a key refused");

    is_int(wf_keys_load(keydir, "absent", &loaded, err, sizeof(err)), WF_KEYS_ERR_ABSENT,
           "absent key reported");
    is_int(wf_keys_load(keydir, "../nested/keys/logistics", &loaded, err, sizeof(err)),
           WF_KEYS_ERR_NAME, "load through a traversal name refused");

    /* First start of an executor: generate once, then load the same key. */
    is_int(wf_keys_load_or_generate(keydir, "sales", &kp, &created, err, sizeof(err)), WF_KEYS_OK,
           "first start generates");
    ok(created, "reported as created");
    is_int(wf_keys_load_or_generate(keydir, "sales", &kp2, &created, err, sizeof(err)), WF_KEYS_OK,
           "second start loads");
    ok(!created && memcmp(&kp, &kp2, sizeof(kp)) == 0, "same key on the second start");
    chmod(keydir, 0500);
    if (geteuid() != 0) {
        is_int(wf_keys_load_or_generate(keydir, "other", &kp, &created, err, sizeof(err)),
               WF_KEYS_ERR_IO, "unwritable key directory reported");
    } else {
        printf("ok %d # SKIP unwritable key directory: root ignores directory modes\n",
               ++tap_count);
    }
    chmod(keydir, 0700);

    /* Two domains' executors, each with its own key file: B holding A's
     * ciphertext (read from the database, say) cannot open it. */
    {
        wf_seal_keypair_t ka, kb;
        bool c1, c2;
        uint8_t *sealed = NULL;
        size_t sealed_len = 0, vlen = 0;
        char *value = NULL;
        const char *secret = "logistics-warehouse-api-key-0123";
        wf_keys_load_or_generate(keydir, "logistics", &ka, &c1, err, sizeof(err));
        wf_keys_load_or_generate(keydir, "sales", &kb, &c2, err, sizeof(err));
        is_int(wf_seal_secret(ka.pub, "logistics.shipments", "API_KEY", 1, (const uint8_t *)secret,
                              strlen(secret), &sealed, &sealed_len),
               0, "secret sealed to the logistics domain key");
        is_int(wf_unseal_secret(&kb, "logistics.shipments", "API_KEY", 1, sealed, sealed_len,
                                &value, &vlen),
               WF_SEAL_ERR_AUTH, "the sales executor's key cannot open it");
        ok(value == NULL, "nothing returned on refusal");
        is_int(wf_unseal_secret(&ka, "logistics.shipments", "API_KEY", 1, sealed, sealed_len,
                                &value, &vlen),
               0, "the logistics executor's key opens it");
        ok(value != NULL && vlen == strlen(secret) && strcmp(value, secret) == 0,
           "value is NUL-terminated and exact");
        if (value)
            OPENSSL_clear_free(value, vlen + 1);
        value = NULL;
        is_int(wf_unseal_secret(&ka, "sales.reporting", "API_KEY", 1, sealed, sealed_len, &value,
                                &vlen),
               WF_SEAL_ERR_AUTH, "copied under a sales namespace it does not open");
        free(sealed);
        wf_seal_keypair_dispose(&ka);
        wf_seal_keypair_dispose(&kb);
    }

    wf_seal_keypair_dispose(&kp);
    wf_seal_keypair_dispose(&kp2);
    wf_seal_keypair_dispose(&loaded);
    rm_rf(dir);
    return tap_done();
}
