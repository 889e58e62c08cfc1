#include "daemon/pgcluster.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <libpq-fe.h>

#include "platform/clock.h"
#include "platform/log.h"
#include "platform/store.h"
#include "platform/text.h"
#include "platform/xmalloc.h"
#include "weft_config.h"

/* The port only names the socket file (.s.PGSQL.N) inside our private socket
 * directory; there is no TCP listener. It is not 5432 so that nothing can
 * mistake this cluster for a system one. */
#define WF_PG_PORT 55432
#define WF_PG_USER "weft"
/* The first line of the pg_hba.conf weftd writes; a file without it (the
 * `trust` one initdb wrote for clusters of earlier versions) is replaced. */
#define WF_PG_HBA_MARK "# weftd: every connection authenticates with a password (SCRAM)"

int wf_service_user(uid_t *uid, gid_t *gid, char *err, size_t errlen)
{
    if (geteuid() != 0) {
        /* PostgreSQL runs as whoever started us; that is already unprivileged. */
        *uid = geteuid();
        *gid = getegid();
        return 0;
    }
    struct passwd *pw = getpwnam(WF_PG_USER);
    if (pw == NULL) {
        wf_info("creating system user '%s' to run the embedded PostgreSQL", WF_PG_USER);
        pid_t pid = fork();
        if (pid == 0) {
            execlp("useradd", "useradd", "--system", "--user-group", "--no-create-home",
                   "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", WF_PG_USER,
                   (char *)NULL);
            _exit(127);
        }
        int st = 0;
        waitpid(pid, &st, 0);
        pw = getpwnam(WF_PG_USER);
        if (pw == NULL) {
            snprintf(err, errlen,
                     "PostgreSQL refuses to run as root and creating the '%s' user failed "
                     "(useradd exit %d)",
                     WF_PG_USER, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
            return -1;
        }
    }
    *uid = pw->pw_uid;
    *gid = pw->pw_gid;
    return 0;
}

/* Drops to the server user in a forked child. Order matters: groups first,
 * then gid, then uid (after setuid we could no longer change groups). */
static void become_server_user(const wf_pgcluster_t *pg)
{
    if (getuid() == pg->uid)
        return;
    if (setgroups(0, NULL) != 0 || setgid(pg->gid) != 0 || setuid(pg->uid) != 0) {
        fprintf(stderr, "cannot switch to the PostgreSQL user: %s\n", strerror(errno));
        _exit(126);
    }
}

/* Can the server user reach `dir`? Every ancestor needs search permission. */
static int reachable_by(const wf_pgcluster_t *pg, const char *dir)
{
    pid_t pid = fork();
    if (pid < 0)
        return 0;
    if (pid == 0) {
        become_server_user(pg);
        _exit(access(dir, X_OK) == 0 ? 0 : 1);
    }
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static int mkdir_owned(const char *path, mode_t mode, uid_t uid, gid_t gid, char *err,
                       size_t errlen)
{
    if (mkdir(path, mode) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
        return -1;
    }
    if (chmod(path, mode) != 0 || (geteuid() == 0 && chown(path, uid, gid) != 0)) {
        snprintf(err, errlen, "cannot set owner/mode of %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int mkdir_p(const char *path, mode_t mode)
{
    char tmp[PATH_MAX];
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s", path) >= sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    }
    return mkdir(tmp, mode) != 0 && errno != EEXIST ? -1 : 0;
}

int wf_pgcluster_init(wf_pgcluster_t *pg, const char *data_dir, char *err, size_t errlen)
{
    memset(pg, 0, sizeof(*pg));
    pg->port = WF_PG_PORT;
    if (mkdir_p(data_dir, 0755) != 0) {
        snprintf(err, errlen, "cannot create data dir %s: %s", data_dir, strerror(errno));
        return -1;
    }
    char abs[PATH_MAX];
    if (realpath(data_dir, abs) == NULL) {
        snprintf(err, errlen, "cannot resolve %s: %s", data_dir, strerror(errno));
        return -1;
    }
    pg->data_dir = wf_xstrdup(abs);
    if (wf_service_user(&pg->uid, &pg->gid, err, errlen) != 0)
        return -1;
    /* The data dir itself stays owned by whoever runs weftd up (it holds the
     * admin token); the server user only needs to traverse it. */
    if (geteuid() == 0)
        chmod(pg->data_dir, 0711);
    const char *base = pg->data_dir;
    char *fallback = NULL;
    if (!reachable_by(pg, pg->data_dir)) {
        /* e.g. a clone under /root (0700): the server user cannot enter it and
         * we do not loosen the permissions of the user's home. The cluster then
         * lives under /var/lib/weft, keyed by the data dir's path. */
        char key[PATH_MAX];
        snprintf(key, sizeof(key), "%s", pg->data_dir);
        for (char *p = key; *p; p++)
            if (*p == '/')
                *p = '_';
        fallback = wf_xasprintf("/var/lib/weft/clusters/%s", key);
        if (mkdir_p(fallback, 0711) != 0) {
            snprintf(err, errlen, "cannot create %s: %s", fallback, strerror(errno));
            free(fallback);
            return -1;
        }
        chmod("/var/lib/weft", 0711);
        chmod("/var/lib/weft/clusters", 0711);
        wf_info("%s is not reachable by user %s: the database lives in %s", pg->data_dir,
                WF_PG_USER, fallback);
        base = fallback;
    }
    pg->pg_dir = wf_xasprintf("%s/pg", base);
    pg->sock_dir = wf_xasprintf("%s/run", base);
    free(fallback);
    if (mkdir_owned(pg->pg_dir, 0700, pg->uid, pg->gid, err, errlen) != 0 ||
        mkdir_owned(pg->sock_dir, 0700, pg->uid, pg->gid, err, errlen) != 0)
        return -1;
    /* The passwords stay with whoever runs weftd up (not the server user):
     * the server keeps only SCRAM verifiers. */
    char *secrets = wf_xasprintf("%s/secrets", pg->data_dir);
    int rc = mkdir_owned(secrets, 0700, geteuid(), getegid(), err, errlen);
    pg->pass_path = wf_xasprintf("%s/pgpass", secrets);
    free(secrets);
    if (rc != 0)
        return -1;
    pg->url = wf_xasprintf("postgresql:///weft?host=%s&port=%d&user=%s&passfile=%s", pg->sock_dir,
                           pg->port, WF_PG_USER, pg->pass_path);
    return 0;
}

int wf_pgcluster_exists(const wf_pgcluster_t *pg)
{
    char *p = wf_xasprintf("%s/PG_VERSION", pg->pg_dir);
    int ok = access(p, F_OK) == 0;
    free(p);
    return ok;
}

/* Runs a PostgreSQL tool as the server user and waits; output goes to a log
 * file in the data dir so a failed initdb can be diagnosed. */
static int run_as_server(const wf_pgcluster_t *pg, char *const argv[], const char *log_path)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        become_server_user(pg);
        execv(argv[0], argv);
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int process_is(pid_t pid, const char *comm)
{
    char path[64], buf[64] = "";
    snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    if (fgets(buf, sizeof(buf), f) == NULL)
        buf[0] = '\0';
    fclose(f);
    buf[strcspn(buf, "\n")] = '\0';
    return strcmp(buf, comm) == 0;
}

/* A run killed with SIGKILL leaves postmaster.pid and the socket lock behind,
 * and its postmaster may still be finishing a fast shutdown (it got SIGINT
 * from the parent-death signal). Wait for such a postmaster, then remove lock
 * files whose owner is gone. */
static int clear_stale_locks(const wf_pgcluster_t *pg, char *err, size_t errlen)
{
    char *files[2] = {wf_xasprintf("%s/postmaster.pid", pg->pg_dir),
                      wf_xasprintf("%s/.s.PGSQL.%d.lock", pg->sock_dir, pg->port)};
    int rc = 0;
    for (int i = 0; i < 2 && rc == 0; i++) {
        FILE *f = fopen(files[i], "r");
        if (f == NULL)
            continue;
        long pid = 0;
        if (fscanf(f, "%ld", &pid) != 1)
            pid = 0;
        fclose(f);
        if (pid < 0)
            pid = -pid;
        long deadline = wf_clock_mono_ms() + 10000;
        while (pid > 0 && kill((pid_t)pid, 0) == 0 && process_is((pid_t)pid, "postgres") &&
               wf_clock_mono_ms() < deadline) {
            kill((pid_t)pid, SIGINT);
            usleep(50000);
        }
        if (pid > 0 && kill((pid_t)pid, 0) == 0 && process_is((pid_t)pid, "postgres")) {
            snprintf(err, errlen, "a PostgreSQL server (pid %ld) still uses %s", pid, pg->pg_dir);
            rc = -1;
            break;
        }
        wf_info("removing stale lock file %s (pid %ld is gone)", files[i], pid);
        unlink(files[i]);
        if (i == 1) {
            char *sock = wf_xasprintf("%s/.s.PGSQL.%d", pg->sock_dir, pg->port);
            unlink(sock);
            free(sock);
        }
    }
    free(files[0]);
    free(files[1]);
    return rc;
}

static int wait_ready(wf_pgcluster_t *pg, int timeout_ms, char *err, size_t errlen)
{
    char *url = wf_xasprintf("postgresql:///postgres?host=%s&port=%d&user=%s&passfile=%s",
                             pg->sock_dir, pg->port, WF_PG_USER, pg->pass_path);
    long deadline = wf_clock_mono_ms() + timeout_ms;
    int rc = -1;
    while (wf_clock_mono_ms() < deadline) {
        if (PQping(url) == PQPING_OK) {
            rc = 0;
            break;
        }
        int st;
        if (waitpid(pg->pid, &st, WNOHANG) == pg->pid) {
            pg->pid = 0;
            snprintf(err, errlen, "PostgreSQL exited during start-up; see %s/postgres.log",
                     pg->data_dir);
            free(url);
            return -1;
        }
        usleep(10000);
    }
    if (rc != 0) {
        snprintf(err, errlen, "PostgreSQL did not become ready in %d ms; see %s/postgres.log",
                 timeout_ms, pg->data_dir);
        free(url);
        return -1;
    }
    /* The `weft` database is created once; later starts find it. */
    PGconn *c = wf_store_connect(url, "weftd-up", err, errlen);
    free(url);
    if (c == NULL)
        return -1;
    PGresult *r = PQexec(c, "SELECT 1 FROM pg_database WHERE datname = 'weft'");
    int exists = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    PQclear(r);
    if (!exists && wf_store_exec(c, "CREATE DATABASE weft", 0, NULL, err, errlen) != 0) {
        PQfinish(c);
        return -1;
    }
    PQfinish(c);
    return 0;
}

/* ---- credentials ----------------------------------------------------------
 * pgpass lines are HOST:PORT:DATABASE:USER:PASSWORD; ours are
 * "*:PORT:*:ROLE:PASSWORD" (role names and passwords are [A-Za-z0-9_-], so
 * nothing needs escaping). */

static int pgpass_lookup(const wf_pgcluster_t *pg, const char *role, char *pw, size_t len)
{
    FILE *f = fopen(pg->pass_path, "r");
    if (f == NULL)
        return -1;
    char line[512], prefix[200];
    snprintf(prefix, sizeof(prefix), "*:%d:*:%s:", pg->port, role);
    int rc = -1;
    while (fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, prefix, strlen(prefix)) == 0 && line[strlen(prefix)] != '\0') {
            rc = (size_t)snprintf(pw, len, "%s", line + strlen(prefix)) < len ? 0 : -1;
            break;
        }
    }
    explicit_bzero(line, sizeof(line));
    fclose(f);
    return rc;
}

int wf_pgcluster_role_password(const wf_pgcluster_t *pg, const char *role, char *pw, size_t len,
                               char *err, size_t errlen)
{
    if (pgpass_lookup(pg, role, pw, len) == 0)
        return 0;
    if (len < 23) {
        snprintf(err, errlen, "password buffer too small");
        return -1;
    }
    wf_random_id(pw, 23); /* 22 characters of [0-9A-Za-z]: 131 bits */
    /* O_NOFOLLOW: the file is read by every weftd process; a link planted in
     * its place must not redirect the write. */
    int fd = open(pg->pass_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", pg->pass_path, strerror(errno));
        return -1;
    }
    char line[256];
    int n = snprintf(line, sizeof(line), "*:%d:*:%s:%s\n", pg->port, role, pw);
    int rc = 0;
    if (fchmod(fd, 0600) != 0 || n < 0 || (size_t)n >= sizeof(line) ||
        write(fd, line, (size_t)n) != n || fsync(fd) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", pg->pass_path, strerror(errno));
        rc = -1;
    }
    explicit_bzero(line, sizeof(line));
    close(fd);
    return rc;
}

int wf_pgcluster_set_role_password(const wf_pgcluster_t *pg, PGconn *conn, const char *role,
                                   char *err, size_t errlen)
{
    char pw[64];
    if (wf_pgcluster_role_password(pg, role, pw, sizeof(pw), err, errlen) != 0)
        return -1;
    char *verifier = PQencryptPasswordConn(conn, pw, role, "scram-sha-256");
    explicit_bzero(pw, sizeof(pw));
    if (verifier == NULL) {
        snprintf(err, errlen, "cannot hash the password of role %s: %s", role,
                 PQerrorMessage(conn));
        return -1;
    }
    char *ident = PQescapeIdentifier(conn, role, strlen(role));
    char *lit = PQescapeLiteral(conn, verifier, strlen(verifier));
    PQfreemem(verifier);
    int rc = -1;
    if (ident != NULL && lit != NULL) {
        char *sql = wf_xasprintf("ALTER ROLE %s PASSWORD %s", ident, lit);
        rc = wf_store_exec(conn, sql, 0, NULL, err, errlen);
        free(sql);
    } else {
        snprintf(err, errlen, "cannot quote role %s", role);
    }
    PQfreemem(ident);
    PQfreemem(lit);
    return rc;
}

static int hba_is_ours(const wf_pgcluster_t *pg)
{
    char *path = wf_xasprintf("%s/pg_hba.conf", pg->pg_dir);
    FILE *f = fopen(path, "r");
    free(path);
    if (f == NULL)
        return 0;
    char line[256] = "";
    if (fgets(line, sizeof(line), f) == NULL)
        line[0] = '\0';
    fclose(f);
    line[strcspn(line, "\n")] = '\0';
    return strcmp(line, WF_PG_HBA_MARK) == 0;
}

/* Replaces pg_hba.conf (write, fsync, rename): SCRAM on the socket and on
 * loopback TCP (which is not listened on, but a listen_addresses set by hand
 * must not reopen a trust door), nothing else. */
static int write_hba(const wf_pgcluster_t *pg, char *err, size_t errlen)
{
    static const char hba[] =
        WF_PG_HBA_MARK "\n"
        "# Rewritten at every start of weftd up; the passwords are in DATA_DIR/secrets/pgpass.\n"
        "# TYPE  DATABASE  USER  ADDRESS       METHOD\n"
        "local   all       all                 scram-sha-256\n"
        "host    all       all   127.0.0.1/32  scram-sha-256\n"
        "host    all       all   ::1/128       scram-sha-256\n";
    char *path = wf_xasprintf("%s/pg_hba.conf", pg->pg_dir);
    char *tmp = wf_xasprintf("%s.weft-tmp", path);
    int rc = -1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 || write(fd, hba, sizeof(hba) - 1) != (ssize_t)(sizeof(hba) - 1) ||
        fsync(fd) != 0 || (geteuid() == 0 && fchown(fd, pg->uid, pg->gid) != 0) ||
        rename(tmp, path) != 0)
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    else
        rc = 0;
    if (fd >= 0)
        close(fd);
    if (rc != 0)
        unlink(tmp);
    free(tmp);
    free(path);
    return rc;
}

/* Sets the superuser's password with the server stopped, in single-user mode
 * (no socket, no TCP): the cluster is never reachable between trusting its
 * socket and asking for the password. The statement goes in on a pipe, never
 * on a command line. */
static int set_superuser_password(const wf_pgcluster_t *pg, const char *pw, const char *log_path,
                                  char *err, size_t errlen)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0) {
        int lfd = open(log_path, O_WRONLY | O_APPEND | O_CLOEXEC);
        int nul = open("/dev/null", O_WRONLY);
        dup2(p[0], 0);
        if (nul >= 0)
            dup2(nul, 1); /* the backend echoes results, not statements */
        if (lfd >= 0)
            dup2(lfd, 2);
        become_server_user(pg);
        execl(WF_PG_BINDIR "/postgres", "postgres", "--single", "-D", pg->pg_dir, "-c",
              "password_encryption=scram-sha-256", "-c", "log_statement=none", "postgres",
              (char *)NULL);
        _exit(127);
    }
    close(p[0]);
    char sql[160];
    int n = snprintf(sql, sizeof(sql), "ALTER ROLE %s PASSWORD '%s'\n", WF_PG_USER, pw);
    void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN); /* a backend dead at start-up */
    int wrote = n > 0 && (size_t)n < sizeof(sql) && write(p[1], sql, (size_t)n) == n;
    explicit_bzero(sql, sizeof(sql));
    close(p[1]);
    signal(SIGPIPE, old_pipe);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (!wrote || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        snprintf(err, errlen, "setting the database superuser's password failed; see %s",
                 log_path);
        return -1;
    }
    return 0;
}

/* A cluster whose pg_hba.conf is not ours (a new one, or one initialised
 * by an earlier version, trusting its socket), or whose superuser password
 * is not in the pgpass file, gets a (new) password and our pg_hba.conf. */
static int secure_cluster(const wf_pgcluster_t *pg, const char *log_path, char *err,
                          size_t errlen)
{
    char pw[64];
    int known = pgpass_lookup(pg, WF_PG_USER, pw, sizeof(pw)) == 0;
    if (known && hba_is_ours(pg)) {
        explicit_bzero(pw, sizeof(pw));
        return 0;
    }
    if (!known)
        wf_info("generating the database passwords in %s", pg->pass_path);
    else
        wf_info("the cluster in %s trusted local connections: it now asks for passwords",
                pg->pg_dir);
    int rc = -1;
    if (wf_pgcluster_role_password(pg, WF_PG_USER, pw, sizeof(pw), err, errlen) == 0 &&
        set_superuser_password(pg, pw, log_path, err, errlen) == 0)
        rc = write_hba(pg, err, errlen);
    explicit_bzero(pw, sizeof(pw));
    return rc;
}

/* The write-ahead log lives on the database volume and, with PostgreSQL's
 * defaults (max_wal_size 1 GB), can take a large share of a small one
 * between checkpoints, faster than the high-water mark (platform/dbspace)
 * can react: the mark would then guard a volume the WAL fills anyway. The
 * WAL is held to a tenth of the volume (between 32 MB, two segments, and
 * PostgreSQL's own 1 GB), so checkpoints come earlier on small volumes. */
static void wal_sizes(const char *dir, char *max_wal, size_t max_len, char *min_wal,
                      size_t min_len)
{
    const long long floor_mb = 32, ceiling_mb = 1024;
    long long mb = ceiling_mb;
    struct statvfs vfs;
    if (statvfs(dir, &vfs) == 0 && vfs.f_frsize > 0) {
        long long total_mb = (long long)(vfs.f_blocks * (unsigned long long)vfs.f_frsize >> 20);
        mb = total_mb / 10;
        mb = mb < floor_mb ? floor_mb : mb > ceiling_mb ? ceiling_mb : mb;
    }
    long long min_mb = mb / 4 < floor_mb ? floor_mb : mb / 4;
    snprintf(max_wal, max_len, "max_wal_size=%lldMB", mb);
    snprintf(min_wal, min_len, "min_wal_size=%lldMB", min_mb);
}

int wf_pgcluster_start(wf_pgcluster_t *pg, int *initialised, char *err, size_t errlen)
{
    char *log_path = wf_xasprintf("%s/postgres.log", pg->data_dir);
    int rc = -1;
    *initialised = 0;
    /* The log lives in the data dir, written by the server user. */
    int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd >= 0) {
        if (geteuid() == 0 && fchown(fd, pg->uid, pg->gid) != 0)
            wf_warn("cannot chown %s: %s", log_path, strerror(errno));
        close(fd);
    }
    if (!wf_pgcluster_exists(pg)) {
        wf_info("initialising a private PostgreSQL cluster in %s", pg->pg_dir);
        char *argv[] = {WF_PG_BINDIR "/initdb", "-D", pg->pg_dir, "-A", "trust", "-U", WF_PG_USER,
                        "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", NULL};
        if (run_as_server(pg, argv, log_path) != 0) {
            snprintf(err, errlen, "initdb failed; see %s", log_path);
            goto out;
        }
        *initialised = 1;
    }
    if (clear_stale_locks(pg, err, errlen) != 0 || secure_cluster(pg, log_path, err, errlen) != 0)
        goto out;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        goto out;
    }
    if (pid == 0) {
        setpgid(0, 0); /* Ctrl-C on the terminal goes to weftd up, which stops us in order */
        int lfd = open(log_path, O_WRONLY | O_APPEND | O_CLOEXEC);
        int nul = open("/dev/null", O_RDONLY);
        if (lfd >= 0) {
            dup2(lfd, 1);
            dup2(lfd, 2);
        }
        if (nul >= 0)
            dup2(nul, 0);
        become_server_user(pg);
        /* After the uid change: a credential change clears the death signal.
         * SIGINT = fast shutdown, so a killed weftd up leaves no server behind. */
        prctl(PR_SET_PDEATHSIG, SIGINT);
        if (getppid() != parent)
            _exit(1);
        char port[16], max_wal[48], min_wal[48];
        snprintf(port, sizeof(port), "%d", pg->port);
        wal_sizes(pg->pg_dir, max_wal, sizeof(max_wal), min_wal, sizeof(min_wal));
        execl(WF_PG_BINDIR "/postgres", "postgres", "-D", pg->pg_dir, "-k", pg->sock_dir, "-p",
              port, "-c", "listen_addresses=", "-c", "unix_socket_permissions=0700", "-c",
              "max_connections=200", "-c", "password_encryption=scram-sha-256", "-c",
              "shared_buffers=64MB", "-c", "synchronous_commit=off", "-c", max_wal, "-c",
              min_wal, "-c", "logging_collector=off", (char *)NULL);
        _exit(127);
    }
    pg->pid = pid;
    rc = wait_ready(pg, 30000, err, errlen);
    if (rc != 0 && pg->pid > 0)
        wf_pgcluster_stop(pg, 5000);
out:
    free(log_path);
    return rc;
}

int wf_pgcluster_stop(wf_pgcluster_t *pg, int timeout_ms)
{
    if (pg->pid <= 0)
        return 0;
    /* SIGINT: fast shutdown (abort transactions, checkpoint, exit).
     * SIGQUIT: immediate. SIGKILL: last resort, recovery on next start. */
    static const int signals[] = {SIGINT, SIGQUIT, SIGKILL};
    long start = wf_clock_mono_ms();
    for (int i = 0; i < 3; i++) {
        kill(pg->pid, signals[i]);
        long deadline = i == 0 ? start + timeout_ms * 7 / 10 : wf_clock_mono_ms() + timeout_ms / 5;
        while (wf_clock_mono_ms() < deadline) {
            int st;
            pid_t r = waitpid(pg->pid, &st, WNOHANG);
            if (r == pg->pid || (r < 0 && errno == ECHILD)) {
                pg->pid = 0;
                return i == 0 ? 0 : -1;
            }
            usleep(10000);
        }
        wf_warn("PostgreSQL did not stop; sending %s", i == 0 ? "SIGQUIT" : "SIGKILL");
    }
    waitpid(pg->pid, NULL, 0);
    pg->pid = 0;
    return -1;
}

void wf_pgcluster_exited(wf_pgcluster_t *pg)
{
    pg->pid = 0;
}

void wf_pgcluster_dispose(wf_pgcluster_t *pg)
{
    free(pg->data_dir);
    free(pg->pg_dir);
    free(pg->sock_dir);
    free(pg->url);
    free(pg->pass_path);
    memset(pg, 0, sizeof(*pg));
}

PGconn *wf_pgcluster_connect(wf_pgcluster_t *pg, const wf_config_t *cfg, const char *url,
                             const char *app, char *err, size_t errlen)
{
    memset(pg, 0, sizeof(*pg));
    if (url == NULL)
        url = wf_store_url(cfg);
    if (url == NULL) {
        int initialised;
        if (wf_pgcluster_init(pg, cfg->data_dir, err, errlen) != 0 ||
            wf_pgcluster_start(pg, &initialised, err, errlen) != 0)
            return NULL;
        url = pg->url;
    }
    return wf_store_connect(url, app, err, errlen);
}

void wf_pgcluster_release(wf_pgcluster_t *pg, PGconn *conn)
{
    PQfinish(conn);
    if (pg->pid > 0)
        wf_pgcluster_stop(pg, 10000);
    wf_pgcluster_dispose(pg);
}
