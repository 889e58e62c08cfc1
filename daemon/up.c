/* `weftd up`: the embedded platform for a laptop or a demo. Starts a private
 * PostgreSQL (unless a database URL is configured), applies migrations,
 * records the configured domains, creates the bootstrap administrator on
 * first start, then runs the gateway and one executor per domain replica as
 * supervised children (restarted with backoff) until SIGINT/SIGTERM, when it
 * stops the children first and PostgreSQL last. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>

#include "platform/cmdline.h"
#include "platform/config.h"
#include "platform/clock.h"
#include "platform/dbspace.h"
#include "platform/log.h"
#include "platform/signals.h"
#include "platform/migrate.h"
#include "daemon/pgcluster.h"
#include "daemon/commands.h"
#include "platform/store.h"
#include "platform/xmalloc.h"
#include "tenants/bootstrap.h"
#include "tenants/domains.h"

#define UP_MAX_CHILDREN 128
#define UP_BACKOFF_MIN_MS 500
#define UP_BACKOFF_MAX_MS 30000
#define UP_STABLE_MS 30000    /* a child up this long gets its backoff reset */
#define UP_CHILD_STOP_MS 6000 /* children get this long after SIGTERM */
#define UP_PG_STOP_MS 3500    /* then PostgreSQL; the total stays under 10 s */
#define UP_READY_TIMEOUT_MS 30000

typedef struct up_child {
    char name[96]; /* "gateway", "executor sales #2" for logs */
    char *argv[12];
    pid_t pid;
    long started_ms;
    long restart_at_ms; /* 0 when not waiting for a restart */
    int backoff_ms;
    int restarts;
} up_child_t;

typedef struct up_state {
    wf_config_t cfg;
    const char *config_path;
    char self[PATH_MAX];
    char *pid_path;
    char *token_path;
    int pid_fd;
    wf_pgcluster_t pg;
    /* The embedded PostgreSQL when it died: restarted with backoff (its own
     * crash recovery replays the WAL), the children reconnect. */
    long pg_started_ms;
    long pg_restart_at_ms; /* 0 when not waiting for a restart */
    int pg_backoff_ms;
    int pg_restarts;
    const char *db_url;
    char *reserve_path; /* the database volume's reserve file, or NULL */
    bool reserve_held;
    up_child_t children[UP_MAX_CHILDREN];
    size_t n_children;
    int sfd;
    int stopping;
} up_state_t;

static void up_usage(FILE *out)
{
    fprintf(out,
            "usage: weftd up [--config FILE] [--data-dir DIR] [--listen ADDR:PORT]\n\n"
            "Runs the whole platform on this machine: a private PostgreSQL under the data dir\n"
            "(initialised on first start; Unix socket only), migrations, the gateway and one\n"
            "executor per configured domain, supervised and restarted with backoff (PostgreSQL\n"
            "too: a crashed server is started again and recovers).\n"
            "On first start a platform-admin service account is created and its token written\n"
            "once to DATA_DIR/admin.token (mode 0600). Ctrl-C (SIGINT) or SIGTERM stops\n"
            "everything within 10 s. With database.url in the config (or WEFT_DATABASE_URL)\n"
            "that server is used and no PostgreSQL is started.\n\n"
            "  --config FILE      weft.yaml (see `weftd check-config --help` for the keys)\n"
            "  --data-dir DIR     default ./weft-data (env WEFT_DATA_DIR)\n"
            "  --listen ADDR:PORT gateway address, default 127.0.0.1:8080 (env WEFT_LISTEN)\n");
}

/* One `weftd up` per data dir: an flock on the pid file. The kernel drops the
 * lock when the holder dies, so a run killed with SIGKILL never blocks the
 * next start; the stale pid inside is simply overwritten. */
static int take_pid_lock(up_state_t *st)
{
    st->pid_fd = open(st->pid_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (st->pid_fd < 0) {
        wf_error("cannot open %s: %s", st->pid_path, strerror(errno));
        return -1;
    }
    if (flock(st->pid_fd, LOCK_EX | LOCK_NB) != 0) {
        char buf[32] = "";
        ssize_t n = pread(st->pid_fd, buf, sizeof(buf) - 1, 0);
        buf[n > 0 ? n : 0] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        wf_error("another weftd up (pid %s) is using %s", buf[0] ? buf : "?", st->cfg.data_dir);
        close(st->pid_fd);
        st->pid_fd = -1;
        return -1;
    }
    char buf[32];
    int len = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
    if (ftruncate(st->pid_fd, 0) != 0 || pwrite(st->pid_fd, buf, (size_t)len, 0) != len)
        wf_warn("cannot write %s: %s", st->pid_path, strerror(errno));
    return 0;
}

static void release_pid_lock(up_state_t *st)
{
    if (st->pid_fd >= 0) {
        unlink(st->pid_path);
        close(st->pid_fd);
        st->pid_fd = -1;
    }
}

static void add_child(up_state_t *st, const char *name, const char *const *args)
{
    if (st->n_children == UP_MAX_CHILDREN)
        wf_fatal("too many supervised processes (max %d)", UP_MAX_CHILDREN);
    up_child_t *c = &st->children[st->n_children++];
    memset(c, 0, sizeof(*c));
    snprintf(c->name, sizeof(c->name), "%s", name);
    size_t n = 0;
    c->argv[n++] = st->self;
    for (; *args != NULL && n < 9; args++)
        c->argv[n++] = (char *)*args;
    if (st->config_path != NULL) {
        c->argv[n++] = "--config";
        c->argv[n++] = (char *)st->config_path;
    }
    c->argv[n] = NULL;
    c->backoff_ms = UP_BACKOFF_MIN_MS;
}

static void spawn(up_state_t *st, up_child_t *c)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        wf_error("cannot start %s: %s", c->name, strerror(errno));
        c->restart_at_ms = wf_clock_mono_ms() + c->backoff_ms;
        return;
    }
    if (pid == 0) {
        /* The child must not outlive us even if we are SIGKILLed. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(1);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        setenv("WEFT_DATABASE_URL", st->db_url, 1);
        setenv("WEFT_LISTEN", st->cfg.listen, 1);
        setenv("WEFT_DATA_DIR", st->cfg.data_dir, 1);
        if (st->cfg.database.volume != NULL)
            setenv("WEFT_DATABASE_VOLUME", st->cfg.database.volume, 1);
        execv(st->self, c->argv);
        fprintf(stderr, "cannot execute %s: %s\n", st->self, strerror(errno));
        _exit(127);
    }
    c->pid = pid;
    c->started_ms = wf_clock_mono_ms();
    c->restart_at_ms = 0;
    wf_info("started %s (pid %d)", c->name, (int)pid);
}

static void describe_status(int status, char *buf, size_t len)
{
    if (WIFEXITED(status))
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, len, "was killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(buf, len, "stopped (status %d)", status);
}

/* PostgreSQL died under running clients: it is started again after a
 * backoff (500 ms doubling to 30 s, reset once it has run 30 s), however
 * often it takes; meanwhile the gateway answers 503 and /readyz says why, and
 * the executors reconnect (their supervision restarts them). */
static void schedule_pg_restart(up_state_t *st, const char *how)
{
    long ran = wf_clock_mono_ms() - st->pg_started_ms;
    if (st->pg_backoff_ms == 0 || ran >= UP_STABLE_MS)
        st->pg_backoff_ms = UP_BACKOFF_MIN_MS;
    st->pg_restart_at_ms = wf_clock_mono_ms() + st->pg_backoff_ms;
    wf_error("PostgreSQL %s after %ld ms; restart #%d in %d ms (see %s/postgres.log)", how, ran,
             st->pg_restarts + 1, st->pg_backoff_ms, st->cfg.data_dir);
    st->pg_backoff_ms =
        st->pg_backoff_ms * 2 > UP_BACKOFF_MAX_MS ? UP_BACKOFF_MAX_MS : st->pg_backoff_ms * 2;
}

/* Starts the embedded PostgreSQL again when its backoff has passed. Once it
 * accepts connections, children waiting for their own restart (an executor
 * that exited when its connection broke) are started at once, with their
 * backoff reset: they failed because the database was away, not by fault. */
static void tend_pg(up_state_t *st)
{
    if (st->pg_restart_at_ms == 0 || st->stopping || wf_clock_mono_ms() < st->pg_restart_at_ms)
        return;
    char err[1024];
    int initialised;
    st->pg_restarts++;
    long t0 = wf_clock_mono_ms();
    if (wf_pgcluster_start(&st->pg, &initialised, err, sizeof(err)) != 0) {
        wf_error("restarting PostgreSQL: %s", err);
        schedule_pg_restart(st, "did not start");
        return;
    }
    st->pg_restart_at_ms = 0;
    st->pg_started_ms = wf_clock_mono_ms();
    wf_warn("PostgreSQL restarted in %ld ms (restart #%d)", st->pg_started_ms - t0,
            st->pg_restarts);
    for (size_t i = 0; i < st->n_children; i++) {
        up_child_t *c = &st->children[i];
        if (c->pid == 0 && c->restart_at_ms != 0) {
            c->backoff_ms = UP_BACKOFF_MIN_MS;
            spawn(st, c);
        }
    }
}

static void reap(up_state_t *st)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        char how[96];
        describe_status(status, how, sizeof(how));
        if (pid == st->pg.pid) {
            wf_pgcluster_exited(&st->pg);
            if (!st->stopping)
                schedule_pg_restart(st, how);
            continue;
        }
        for (size_t i = 0; i < st->n_children; i++) {
            up_child_t *c = &st->children[i];
            if (c->pid != pid)
                continue;
            c->pid = 0;
            if (st->stopping) {
                wf_info("%s stopped", c->name);
                break;
            }
            long ran = wf_clock_mono_ms() - c->started_ms;
            if (ran >= UP_STABLE_MS)
                c->backoff_ms = UP_BACKOFF_MIN_MS;
            c->restarts++;
            c->restart_at_ms = wf_clock_mono_ms() + c->backoff_ms;
            wf_warn("%s %s after %ld ms; restart #%d in %d ms", c->name, how, ran, c->restarts,
                    c->backoff_ms);
            c->backoff_ms = c->backoff_ms * 2 > UP_BACKOFF_MAX_MS ? UP_BACKOFF_MAX_MS
                                                                  : c->backoff_ms * 2;
            break;
        }
    }
}

static size_t running_children(const up_state_t *st)
{
    size_t n = 0;
    for (size_t i = 0; i < st->n_children; i++)
        n += st->children[i].pid > 0;
    return n;
}

/* Waits for signals (and child exits) up to `timeout_ms`. Returns the
 * termination signal received, or 0. */
static int wait_events(up_state_t *st, int timeout_ms)
{
    struct pollfd pfd = {.fd = st->sfd, .events = POLLIN};
    int term = 0;
    if (poll(&pfd, 1, timeout_ms < 0 ? 0 : timeout_ms) > 0) {
        struct signalfd_siginfo si;
        while (read(st->sfd, &si, sizeof(si)) == sizeof(si)) {
            if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM || si.ssi_signo == SIGHUP)
                term = (int)si.ssi_signo;
        }
    }
    reap(st);
    return term;
}

static void stop_all(up_state_t *st)
{
    long start = wf_clock_mono_ms();
    st->stopping = 1;
    for (size_t i = 0; i < st->n_children; i++)
        if (st->children[i].pid > 0)
            kill(st->children[i].pid, SIGTERM);
    /* Executors drain first: their grace period, then their own stop. */
    long limit = UP_CHILD_STOP_MS + (long)st->cfg.executor.stop_grace_seconds * 1000;
    bool again = false;
    while (running_children(st) > 0 && wf_clock_mono_ms() - start < limit) {
        /* A second Ctrl-C: the executors stop at once too. */
        if (wait_events(st, 50) != 0 && !again) {
            again = true;
            wf_info("stopping at once");
            for (size_t i = 0; i < st->n_children; i++)
                if (st->children[i].pid > 0)
                    kill(st->children[i].pid, SIGTERM);
        }
    }
    for (size_t i = 0; i < st->n_children; i++)
        if (st->children[i].pid > 0) {
            wf_warn("%s did not stop in time; killing it", st->children[i].name);
            kill(st->children[i].pid, SIGKILL);
            waitpid(st->children[i].pid, NULL, 0);
            st->children[i].pid = 0;
        }
    if (st->pg.pid > 0) {
        wf_info("stopping PostgreSQL");
        wf_pgcluster_stop(&st->pg, UP_PG_STOP_MS);
    }
    wf_info("stopped in %ld ms", wf_clock_mono_ms() - start);
}

/* The reserve: database.reserve bytes allocated in a file next to the
 * cluster, on the same filesystem. When the volume crosses its high-water
 * mark the file is removed, so that PostgreSQL — which only ever sees the
 * small writes that record states from then on — still has room to commit
 * and checkpoint even if something outside Weft fills the disk. It is taken
 * again once holding it keeps the volume under the mark. Called about once a
 * second from the supervision loop. */
static void tend_reserve(up_state_t *st)
{
    if (st->reserve_path == NULL)
        return;
    int64_t used, avail, size = st->cfg.database.reserve;
    if (wf_dbspace_measure(st->cfg.database.volume, &used, &avail) != 0)
        return;
    int pct;
    if (st->reserve_held) {
        if (!wf_dbspace_over(&st->cfg, used, avail, &pct))
            return;
        if (unlink(st->reserve_path) == 0 || errno == ENOENT) {
            st->reserve_held = false;
            wf_warn("database volume at %d%%: released the %lld-byte reserve %s", pct,
                    (long long)size, st->reserve_path);
        }
        return;
    }
    /* Taken only when the volume stays under the mark with it held. */
    if (avail < size || wf_dbspace_over(&st->cfg, used + size, avail - size, &pct))
        return;
    int fd = open(st->reserve_path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return;
    int rc = posix_fallocate(fd, 0, size);
    close(fd);
    if (rc != 0) {
        unlink(st->reserve_path);
        wf_warn("cannot allocate the database reserve %s: %s", st->reserve_path, strerror(rc));
        return;
    }
    st->reserve_held = true;
    wf_info("holding a %lld-byte reserve for the database in %s", (long long)size,
            st->reserve_path);
}

static size_t discard_body(char *ptr, size_t size, size_t nmemb, void *data)
{
    (void)ptr;
    (void)data;
    return size * nmemb;
}

/* The gateway is ready when its /readyz says so (database reachable and the
 * schema current). Signals keep being served while we wait. */
static int wait_gateway_ready(up_state_t *st, int *term)
{
    char host[256], url[320];
    int port;
    if (wf_parse_listen(st->cfg.listen, host, sizeof(host), &port) != 0)
        return -1;
    const char *h = strcmp(host, "0.0.0.0") == 0 ? "127.0.0.1" : strcmp(host, "::") == 0 ? "::1" : host;
    snprintf(url, sizeof(url), strchr(h, ':') ? "http://[%s]:%d/readyz" : "http://%s:%d/readyz", h,
             port);
    CURL *curl = curl_easy_init();
    if (curl == NULL)
        return -1;
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 1000L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard_body);
    long deadline = wf_clock_mono_ms() + UP_READY_TIMEOUT_MS;
    int rc = -1;
    while (wf_clock_mono_ms() < deadline && !st->stopping) {
        long code = 0;
        if (curl_easy_perform(curl) == CURLE_OK &&
            curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK && code == 200) {
            rc = 0;
            break;
        }
        if ((*term = wait_events(st, 25)) != 0)
            break;
        for (size_t i = 0; i < st->n_children; i++) {
            up_child_t *c = &st->children[i];
            if (c->pid == 0 && c->restart_at_ms != 0 && wf_clock_mono_ms() >= c->restart_at_ms)
                spawn(st, c);
        }
    }
    curl_easy_cleanup(curl);
    return rc;
}

/* The embedded cluster asks every role for a password: each configured
 * domain's role is made sure of here, before its executors start, and gets
 * its own password from the pgpass file. The executor then logs in as that
 * role (and never keeps a superuser connection). */
static int secure_domain_roles(up_state_t *st, PGconn *conn, char *err, size_t errlen)
{
    for (size_t i = 0; i < st->cfg.n_domains; i++) {
        const char *p[] = {st->cfg.domains[i].name};
        PGresult *r = PQexecParams(conn, "SELECT weft_ensure_domain_role($1)", 1, NULL, p, NULL,
                                   NULL, 0);
        int ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
        char *role = ok ? wf_xstrdup(PQgetvalue(r, 0, 0)) : NULL;
        if (!ok)
            snprintf(err, errlen, "cannot ensure the role of domain %s: %s", p[0],
                     PQresultErrorMessage(r));
        PQclear(r);
        if (!ok)
            return -1;
        int rc = wf_pgcluster_set_role_password(&st->pg, conn, role, err, errlen);
        free(role);
        if (rc != 0)
            return -1;
    }
    return 0;
}

static int prepare_database(up_state_t *st)
{
    char err[1024];
    PGconn *conn = wf_store_connect(st->db_url, "weftd-up", err, sizeof(err));
    if (conn == NULL) {
        wf_error("%s", err);
        return -1;
    }
    int applied, created, rc = -1;
    if (wf_migrate(conn, &applied, err, sizeof(err)) != 0) {
        wf_error("%s", err);
        goto out;
    }
    if (applied > 0)
        wf_info("%d migration%s applied", applied, applied == 1 ? "" : "s");
    if (wf_domains_sync(conn, &st->cfg, err, sizeof(err)) != 0) {
        wf_error("recording the configured domains: %s", err);
        goto out;
    }
    if (st->pg.pid > 0 && secure_domain_roles(st, conn, err, sizeof(err)) != 0) {
        wf_error("%s", err);
        goto out;
    }
    if (wf_bootstrap_admin(conn, st->token_path, &created, err, sizeof(err)) != 0) {
        wf_error("creating the bootstrap administrator: %s", err);
        goto out;
    }
    if (created)
        wf_info("created the platform-admin service account; its token is in %s",
                st->token_path);
    rc = 0;
out:
    PQfinish(conn);
    return rc;
}

int wf_up_main(int argc, char **argv)
{
    up_state_t st;
    memset(&st, 0, sizeof(st));
    st.pid_fd = st.sfd = -1;
    const char *data_dir = NULL, *listen_addr = NULL;
    const wf_cmdline_opt_t opts[] = {
        WF_CMDLINE_CONFIG(&st.config_path),
        WF_CMDLINE_DATA_DIR(&data_dir),
        WF_CMDLINE_LISTEN(&listen_addr),
        WF_CMDLINE_END,
    };
    int prc = wf_cmdline_parse(argc, argv, opts, up_usage, 0);
    if (prc != WF_CMDLINE_GO)
        return prc;
    char config_abs[PATH_MAX];
    if (st.config_path != NULL && realpath(st.config_path, config_abs) != NULL)
        st.config_path = config_abs; /* children may run from another directory */
    if (wf_load_config_or_exit(&st.cfg, st.config_path) != 0)
        return 1;
    wf_cmdline_log_init("up", &st.cfg);
    wf_cmdline_override(&st.cfg.data_dir, data_dir);
    if (listen_addr != NULL) {
        char host[256];
        int port;
        if (wf_parse_listen(listen_addr, host, sizeof(host), &port) != 0) {
            fprintf(stderr, "weftd up: --listen '%s' is not ADDR:PORT\n", listen_addr);
            return 2;
        }
        wf_cmdline_override(&st.cfg.listen, listen_addr);
    }
    ssize_t n = readlink("/proc/self/exe", st.self, sizeof(st.self) - 1);
    if (n <= 0)
        wf_fatal("cannot find my own executable: %s", strerror(errno));
    st.self[n] = '\0';

    /* Signals are taken synchronously through a signalfd from here on, so a
     * Ctrl-C during start-up still leads to an orderly stop. */
    /* A shell starts background jobs with SIGINT ignored; an ignored signal
     * is discarded even when blocked, so restore the default first. */
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    sigset_t mask;
    wf_sig_block(&mask, (const int[]){SIGINT, SIGTERM, SIGHUP, SIGCHLD, 0});
    st.sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);

    int rc = 1, term = 0;
    long t0 = wf_clock_mono_ms();
    char err[1024];
    if (wf_store_url(&st.cfg) == NULL) {
        if (wf_pgcluster_init(&st.pg, st.cfg.data_dir, err, sizeof(err)) != 0) {
            wf_error("%s", err);
            goto out;
        }
        wf_cmdline_override(&st.cfg.data_dir, st.pg.data_dir);
        /* The executors and the gateway watch the cluster's filesystem. */
        if (st.cfg.database.volume == NULL)
            wf_cmdline_override(&st.cfg.database.volume, st.pg.pg_dir);
        if (st.cfg.database.reserve > 0)
            st.reserve_path = wf_xasprintf("%s/../db-reserve", st.pg.pg_dir);
    } else if (mkdir(st.cfg.data_dir, 0755) != 0 && errno != EEXIST) {
        wf_error("cannot create %s: %s", st.cfg.data_dir, strerror(errno));
        goto out;
    }
    st.pid_path = wf_xasprintf("%s/weftd.pid", st.cfg.data_dir);
    st.token_path = wf_xasprintf("%s/admin.token", st.cfg.data_dir);
    if (take_pid_lock(&st) != 0)
        goto out;

    st.db_url = wf_store_url(&st.cfg);
    if (st.db_url == NULL) {
        int initialised;
        if (wf_pgcluster_start(&st.pg, &initialised, err, sizeof(err)) != 0) {
            wf_error("%s", err);
            goto out;
        }
        wf_info("PostgreSQL %s in %ld ms (socket in %s)", initialised ? "initialised and started" : "started",
                wf_clock_mono_ms() - t0, st.pg.sock_dir);
        st.db_url = st.pg.url;
        st.pg_started_ms = wf_clock_mono_ms();
    } else {
        wf_info("using the configured database; no embedded PostgreSQL");
    }
    if (prepare_database(&st) != 0)
        goto out;
    tend_reserve(&st);

    add_child(&st, "gateway", (const char *const[]){"gateway", NULL});
    for (size_t i = 0; i < st.cfg.n_domains; i++) {
        const wf_domain_conf_t *d = &st.cfg.domains[i];
        for (int64_t r = 1; r <= d->replicas; r++) {
            char name[96];
            if (d->replicas > 1)
                snprintf(name, sizeof(name), "executor %s #%lld", d->name, (long long)r);
            else
                snprintf(name, sizeof(name), "executor %s", d->name);
            add_child(&st, name, (const char *const[]){"executor", "--domain", d->name, NULL});
        }
    }
    for (size_t i = 0; i < st.n_children; i++)
        spawn(&st, &st.children[i]);

    if (wait_gateway_ready(&st, &term) == 0) {
        int have_token = access(st.token_path, F_OK) == 0;
        printf("\nWeft is ready in %ld ms: http://%s\n", wf_clock_mono_ms() - t0, st.cfg.listen);
        if (have_token)
            printf("  admin token: %s (mode 0600; keep it secret)\n", st.token_path);
        else
            printf("  admin token: %s was removed; create another service-account token with "
                   "an admin's credentials\n",
                   st.token_path);
        printf("  try:         curl -s http://%s/readyz\n", st.cfg.listen);
        printf("  stop:        Ctrl-C (or SIGTERM to pid %d)\n\n", (int)getpid());
        fflush(stdout);
    } else if (term == 0 && !st.stopping) {
        wf_error("the gateway did not become ready within %d s; stopping",
                 UP_READY_TIMEOUT_MS / 1000);
        stop_all(&st);
        goto out;
    }

    while (term == 0 && !st.stopping) {
        tend_reserve(&st);
        tend_pg(&st);
        long next = wf_clock_mono_ms() + 1000;
        if (st.pg_restart_at_ms != 0 && st.pg_restart_at_ms < next)
            next = st.pg_restart_at_ms;
        for (size_t i = 0; i < st.n_children; i++) {
            up_child_t *c = &st.children[i];
            if (c->pid == 0 && c->restart_at_ms != 0) {
                if (wf_clock_mono_ms() >= c->restart_at_ms)
                    spawn(&st, c);
                else if (c->restart_at_ms < next)
                    next = c->restart_at_ms;
            }
        }
        term = wait_events(&st, (int)(next - wf_clock_mono_ms()));
    }
    if (term != 0)
        wf_info("received %s; stopping", strsignal(term));
    stop_all(&st);
    rc = term != 0 ? 0 : 1;
out:
    if (st.pg.pid > 0)
        wf_pgcluster_stop(&st.pg, UP_PG_STOP_MS);
    release_pid_lock(&st);
    if (st.sfd >= 0)
        close(st.sfd);
    free(st.pid_path);
    free(st.token_path);
    free(st.reserve_path);
    wf_pgcluster_dispose(&st.pg);
    wf_config_dispose(&st.cfg);
    return rc;
}
