/* `weftd executor --domain NAME`: one replica of a domain's executor. It logs
 * in with the domain's own PostgreSQL role, registers with a heartbeat,
 * claims the domain's executions (woken by LISTEN/NOTIFY, with a fallback
 * poll) and orchestrates them on one epoll loop. SIGTERM/SIGINT: a graceful
 * stop (no new claims or attempts; the running tasks may finish for
 * executor.stop_grace_seconds), then what still runs is killed, claims are
 * released for the other replicas, exit 0. A second signal stops at once. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "platform/cmdline.h"
#include "executor/mesh.h"
#include "executor/net.h"
#include "executor/retention.h"
#include "executor/walk.h"
#include "flow/expr/expr.h"
#include "platform/log.h"
#include "platform/signals.h"
#include "platform/store.h"

#define POLL_MS 1000   /* fallback poll when no NOTIFY arrives */
#define CLAIM_BATCH 32 /* executions claimed per round */

/* ---- the walker's effects ------------------------------------------------ */

static int64_t fx_now_ms(wf_executor_t *ex)
{
    (void)ex;
    return wf_clock_wall_ms();
}

static void fx_timer_arm(wf_executor_t *ex, wf_trun_t *tr, int64_t delay_ms)
{
    wf_loop_timer_arm(ex->loop, &tr->timer, delay_ms, wf_xwalk_timer_cb, tr);
}

static void fx_timer_cancel(wf_executor_t *ex, wf_trun_t *tr)
{
    wf_loop_timer_cancel(ex->loop, &tr->timer);
}

static bool fx_task_slot(wf_executor_t *ex, wf_xexec_t *x)
{
    /* Draining: what has not started waits for the replica that takes over. */
    return !ex->draining && ex->busy < ex->slots && wf_xpolicy_task_slot(ex, x);
}

static int fx_save(wf_executor_t *ex, wf_xexec_t *x)
{
    /* Log lines go in before the terminal state, so whoever follows the
     * logs until the execution ends sees every line. */
    if (wf_xstate_terminal(x->state))
        wf_xlogs_flush(ex);
    return wf_xdb_save(ex, x);
}

static void fx_end(wf_executor_t *ex, wf_xexec_t *x)
{
    if (!x->dropped) {
        ex->n_execs_done++;
        /* Its completion event was written with the terminal state. */
        wf_xsched_on_end(ex, x);
    }
    for (wf_xexec_t **p = &ex->execs; *p; p = &(*p)->next) {
        if (*p == x) {
            *p = x->next;
            ex->n_execs--;
            break;
        }
    }
    wf_xexec_free(ex, x);
    if (ex->backlog)
        ex->claim_pending = true;
}

const wf_xwalk_fx_t wf_xwalk_fx_executor = {
    .ctx = NULL,
    .now_ms = fx_now_ms,
    .timer_arm = fx_timer_arm,
    .timer_cancel = fx_timer_cancel,
    .log = wf_xlog,
    .admit = wf_xpolicy_admit,
    .concurrency_slot = wf_xdb_concurrency_slot,
    .task_slot = fx_task_slot,
    .task_start = wf_xtasks_start,
    .task_stop = wf_xtasks_stop,
    .save = fx_save,
    .end = fx_end,
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: weftd executor --domain NAME [--config FILE] [--slots N]\n\n"
            "Runs one executor replica of domain NAME: claims the domain's executions and\n"
            "runs their tasks in sandboxes. The database URL comes from database.url in the\n"
            "config or WEFT_DATABASE_URL. Exit status 0 after SIGTERM/SIGINT, 1 on errors.\n");
}

static int try_claim(wf_executor_t *ex);

/* Woken (NOTIFY or poll): pick up kills/resumes, claim new work, walk. */
static void wake(wf_executor_t *ex)
{
    if (ex->stopping)
        return;
    if (ex->n_execs > 0)
        wf_xdb_sync(ex);
    try_claim(ex);
    wf_xwalk_all(ex, SIZE_MAX, false);
}

/* Returns how many executions were claimed (they are at the head of the list). */
static int try_claim(wf_executor_t *ex)
{
    /* Claim only what can be worked on soon: a replica with full slots, or
     * with as many executions as it orchestrates at once, leaves new ones to
     * its siblings (and to its own next round). A backlog stays in the
     * database, so the cost of a wake does not grow with it. */
    if (ex->draining)
        return 0;
    if (ex->busy >= ex->slots && ex->n_execs > 0) {
        ex->backlog = true;
        return 0;
    }
    /* Executions waiting in QUEUED (concurrency, quotas) or PAUSED do not
     * count: they must not keep the domain's other executions out. */
    size_t working = 0;
    for (wf_xexec_t *x = ex->execs; x; x = x->next)
        working += x->state != WF_ST_QUEUED && x->state != WF_ST_PAUSED;
    if (working >= ex->max_execs) {
        ex->backlog = true;
        return 0;
    }
    size_t room = ex->max_execs - working;
    int want = room < CLAIM_BATCH ? (int)room : CLAIM_BATCH;
    int got = wf_xdb_claim(ex, want);
    if (got < 0)
        wf_warn("claiming executions failed");
    ex->backlog = got == want;
    return got > 0 ? got : 0;
}

/* Room was made while executions wait in the database: claim and start the
 * new ones now rather than at the next notification or poll. Only those are
 * walked, so an execution's end does not cost a walk of all the others. */
static void claim_more(wf_executor_t *ex)
{
    int got = try_claim(ex);
    if (got > 0)
        wf_xwalk_all(ex, (size_t)got, false);
}

/* The connection is gone, so the leases cannot be renewed: what runs here
 * is stopped on the way out (self-fencing: before the leases lapse and
 * another replica runs the same tasks again; their attempts are lost and run
 * again there), then the executor starts over and reconnects. */
static void lost_db(wf_executor_t *ex)
{
    wf_error("lost the database connection: stopping %d running task%s before the leases "
             "lapse (self-fencing; the attempts are lost and run again) and reconnecting",
             ex->busy, ex->busy == 1 ? "" : "s");
    ex->db_lost = true;
    ex->stopping = true;
}

static void on_db(wf_io_t *io, uint32_t events)
{
    wf_executor_t *ex = io->arg;
    int r = wf_xdbq_on_ready(ex, events);
    if (r < 0) {
        lost_db(ex);
        return;
    }
    if (r > 0) {
        wake(ex);
        wf_xmesh_tick(ex); /* a new completion event may be for us */
    }
}

static void on_poll(wf_timer_t *t)
{
    wf_executor_t *ex = t->arg;
    wake(ex);
    wf_loop_timer_arm(ex->loop, &ex->poll_timer, POLL_MS, on_poll, ex);
}

/* Self-fencing. The leases were last renewed `since_ms` ago and the next
 * renewal may come too late: another replica may claim these executions once
 * their leases lapse and start their tasks again. So before that moment this
 * replica lets go of every execution and kills its running sandboxes (without
 * writing anything; the replica that takes over records the attempts as lost
 * and runs them again). If the database comes back first, the executions are
 * claimed again like any other whose lease lapsed. */
static void fence(wf_executor_t *ex, int64_t since_ms)
{
    int execs = 0, tasks = ex->busy;
    for (wf_xexec_t *x = ex->execs; x; x = x->next) {
        if (!x->dropped && !wf_xstate_terminal(x->state)) {
            x->dropped = true;
            execs++;
        }
    }
    if (execs == 0)
        return;
    wf_error("leases not renewed for %lld ms (they lapse %lld ms after a renewal): stopping %d "
             "running task%s and letting go of %d execution%s before another replica takes them "
             "over (self-fencing)",
             (long long)since_ms, (long long)ex->lease_ms, tasks, tasks == 1 ? "" : "s", execs,
             execs == 1 ? "" : "s");
}

static void on_heartbeat(wf_timer_t *t)
{
    wf_executor_t *ex = t->arg;
    int64_t beat_ms = ex->lease_ms / 3;
    int64_t sent = wf_clock_mono_ms();
    if (wf_xdb_heartbeat(ex) == 0) {
        /* The database's lease_until is at least the lease from now. */
        ex->renewed_ms = sent;
    } else {
        wf_warn("heartbeat failed");
        if (PQstatus(ex->db) == CONNECTION_BAD) {
            lost_db(ex);
            return;
        }
        /* The next beat would come after the lapse: let go now. (A dead
         * link fails a beat within one period, through the connection's
         * tcp_user_timeout, so this runs a period before the lapse.) */
        int64_t now = wf_clock_mono_ms();
        if (now + beat_ms >= ex->renewed_ms + ex->lease_ms)
            fence(ex, now - ex->renewed_ms);
    }
    /* The database volume's verdict rides on the heartbeat: every few
     * seconds, never per write (logs.c reads it for every line). */
    wf_dbspace_refresh(&ex->space);
    /* Executions whose lease was taken over are dropped (their sandboxes
     * killed) without writing: the new owner has them. */
    for (wf_xexec_t **p = &ex->execs; *p;) {
        wf_xexec_t *x = *p;
        if (x->dropped && !x->walking) {
            *p = x->next;
            ex->n_execs--;
            wf_xexec_free(ex, x);
        } else {
            p = &x->next;
        }
    }
    wf_loop_timer_arm(ex->loop, &ex->heartbeat_timer, beat_ms, on_heartbeat, ex);
}

static void on_sched(wf_timer_t *t)
{
    wf_executor_t *ex = t->arg;
    wf_xsched_tick(ex);
    wf_xmesh_tick(ex);
    /* Ticks on the next whole second, so second-level crons fire on time. */
    wf_loop_timer_arm(ex->loop, &ex->sched_timer, 1000 - wf_clock_wall_ms() % 1000 + 5, on_sched, ex);
}

static void on_drain_end(wf_timer_t *t)
{
    wf_executor_t *ex = t->arg;
    wf_warn("grace period over with %d task%s still running: stopping them (their attempts are "
            "lost and run again by the replica that takes over)",
            ex->busy, ex->busy == 1 ? "" : "s");
    ex->stopping = true;
}

static void on_signal(wf_io_t *io, uint32_t events)
{
    (void)events;
    wf_executor_t *ex = io->arg;
    struct signalfd_siginfo si;
    while (read(ex->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        if (si.ssi_signo != SIGTERM && si.ssi_signo != SIGINT)
            continue;
        ex->signalled = true;
        int64_t grace = ex->cfg->executor.stop_grace_seconds;
        if (ex->draining || grace == 0 || ex->busy == 0) {
            wf_info("signal %d: stopping", (int)si.ssi_signo);
            ex->stopping = true;
        } else {
            /* A graceful stop: the running tasks may finish; nothing new
             * starts here (the other replicas take the executions over once
             * this one releases them). */
            wf_info("signal %d: draining (%d task%s running, up to %llds; a second signal "
                    "stops at once)",
                    (int)si.ssi_signo, ex->busy, ex->busy == 1 ? "" : "s", (long long)grace);
            ex->draining = true;
            wf_loop_timer_arm(ex->loop, &ex->drain_timer, grace * 1000, on_drain_end, ex);
        }
    }
}

static int parse_args(int argc, char **argv, const char **domain, const char **config,
                      int *slots)
{
    const char *slots_arg = NULL;
    const wf_cmdline_opt_t opts[] = {
        WF_CMDLINE_STRING("domain", 'd', domain),
        WF_CMDLINE_CONFIG(config),
        WF_CMDLINE_STRING("slots", 's', &slots_arg),
        WF_CMDLINE_END,
    };
    int rc = wf_cmdline_parse(argc, argv, opts, usage, 0);
    if (rc != WF_CMDLINE_GO)
        return rc;
    if (slots_arg != NULL) {
        *slots = atoi(slots_arg);
        if (*slots < 1 || *slots > 4096) {
            fprintf(stderr, "weftd executor: --slots must be between 1 and 4096\n");
            return 2;
        }
    }
    if (*domain == NULL) {
        usage(stderr);
        return 2;
    }
    return -1;
}

static int setup_signals(wf_executor_t *ex)
{
    sigset_t set;
    wf_sig_block_stop(&set);
    ex->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (ex->sigfd < 0)
        return -1;
    return wf_loop_io_add(ex->loop, &ex->sig_io, ex->sigfd, EPOLLIN, on_signal, ex);
}

static int make_work_root(wf_executor_t *ex, const wf_config_t *cfg)
{
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char path[512];
    int n = snprintf(path, sizeof(path), "%s/weft-executor-%s-%d", base, ex->domain,
                     (int)getpid());
    if (n < 0 || (size_t)n >= sizeof(path))
        return -1; /* TMPDIR too long: reported as the directory not made */
    if (mkdir(path, 0711) != 0 && errno != EEXIST)
        return -1;
    (void)cfg;
    ex->work_root = strdup(path);
    return ex->work_root ? 0 : -1;
}

static void remove_tree(const char *path)
{
    /* Shared WorkingDirectory dirs hold task files: remove them with the
     * executor's work root. nftw would do; a child `rm` keeps this short. */
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/rm", "rm", "-rf", "--one-file-system", path, (char *)NULL);
        _exit(127);
    }
    if (pid > 0) {
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
        }
    }
}

/* The `sandbox:` section of weft.yaml as sandbox options: the sandbox itself
 * knows nothing of the configuration file. */
void wf_executor_sandbox_opts(wf_sbx_ctx_opts_t *o, const wf_config_t *cfg)
{
    o->allow_weaker = cfg->sandbox.allow_weaker;
    if (cfg->sandbox.host_id_base > 0 && cfg->sandbox.host_id_base <= UINT32_MAX)
        o->host_id_base = (uint32_t)cfg->sandbox.host_id_base;
    if (cfg->sandbox.work_base != NULL)
        o->work_base = cfg->sandbox.work_base;
    o->cgroup_parent = cfg->sandbox.cgroup_parent;
    o->fresh_netns = cfg->sandbox.fresh_netns;
}

/* Waits until the database answers (PQping), with backoff from 0.5 s to
 * 30 s: a server that is down, restarting or still recovering is waited
 * for, not a reason to exit. Returns 0, or -1 when a stop signal came first
 * or the URL itself is unusable (then the connection reports why). */
static int wait_for_database(wf_executor_t *ex, const char *url)
{
    int backoff_ms = 500;
    long since = wf_clock_mono_ms();
    /* With the connection's own timeouts: a bare URL would leave a host
     * that does not answer at all (a cut link) to TCP's SYN retries, about
     * two minutes per try. */
    char app[96];
    snprintf(app, sizeof(app), "weft-executor:%s", ex->domain);
    wf_store_params_t sp;
    wf_store_params_init(&sp, url, app, (int)(ex->lease_ms / 3));
    for (int tries = 0;; tries++) {
        PGPing p = PQpingParams(sp.keys, sp.vals, 1);
        if (p == PQPING_OK || p == PQPING_NO_ATTEMPT)
            return 0;
        if (tries == 0 || tries % 10 == 0)
            wf_warn("database %s; retrying (waiting for %ld s)",
                    p == PQPING_REJECT ? "not accepting connections yet" : "unreachable",
                    (wf_clock_mono_ms() - since) / 1000);
        struct pollfd pfd = {.fd = ex->sigfd, .events = POLLIN};
        if (poll(&pfd, 1, backoff_ms) > 0) {
            struct signalfd_siginfo si;
            while (read(ex->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
                if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
                    wf_info("signal %d while waiting for the database: stopping",
                            (int)si.ssi_signo);
                    ex->signalled = true;
                    return -1;
                }
        }
        backoff_ms = backoff_ms * 2 > 30000 ? 30000 : backoff_ms * 2;
    }
}

/* After a lost connection the executor starts over in the same process
 * (same pid, so a supervisor sees no exit): everything of the old session
 * was released above — sandboxes killed, work dirs removed — and the new
 * image waits for the database with backoff, registers under a new id and
 * takes its executions back once their leases lapse. */
static void start_over(void)
{
    /* The process's own command line, as it was started (the options of
     * `weftd executor` may have been consumed by the parsers since). */
    static char cmdline[8192];
    char *args[64];
    size_t n = 0, len = 0;
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t r = read(fd, cmdline, sizeof(cmdline) - 1);
        len = r > 0 ? (size_t)r : 0;
        close(fd);
    }
    for (size_t i = 0; i < len && n < 63; i += strlen(cmdline + i) + 1)
        args[n++] = cmdline + i;
    args[n] = NULL;
    char self[PATH_MAX];
    ssize_t sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n == 0 || len >= sizeof(cmdline) - 1 || sl <= 0) {
        wf_error("cannot read my own command line to start over: exiting");
        return;
    }
    self[sl] = '\0';
    wf_info("starting over");
    execv(self, args);
    wf_error("cannot start over (%s): exiting", strerror(errno));
}

int wf_executor_main(int argc, char **argv)
{
    const char *domain = NULL, *config = NULL;
    int slots = 0;
    int rc = parse_args(argc, argv, &domain, &config, &slots);
    if (rc >= 0)
        return rc;
    char logrole[96];
    snprintf(logrole, sizeof(logrole), "executor:%s", domain);
    wf_log_init(logrole, WF_LOG_INFO, 0);

    wf_config_t cfg;
    if (wf_load_config_or_exit(&cfg, config) != 0)
        return 1;
    /* The configuration's log.level and log.format from here on: INFO above
     * was only for the loader's own messages. */
    wf_cmdline_log_init(logrole, &cfg);

    wf_executor_t ex = {0};
    ex.cfg = &cfg;
    ex.sigfd = -1;
    snprintf(ex.domain, sizeof(ex.domain), "%s", domain);
    ex.slots = slots > 0 ? slots : (int)cfg.executor.slots;
    if (ex.slots <= 0)
        ex.slots = 8;
    /* Enough executions to keep every slot fed and many in-executor tasks
     * moving, few enough that a wake (which walks them all) stays cheap. */
    ex.max_execs = (size_t)ex.slots * 16 < 256 ? 256 : (size_t)ex.slots * 16;
    int64_t hb = cfg.executor.heartbeat_seconds > 0 ? cfg.executor.heartbeat_seconds : 2;
    /* Three missed heartbeats and the lease lapses: a dead replica's work
     * is taken over within lease + poll (< 15 s with the defaults). */
    ex.lease_ms = hb * 3000;
    ex.log_line_max = 8192;
    ex.log_lines_max = cfg.executor.log_lines_per_task_run;
    ex.log_lines_exec_max = cfg.executor.log_lines_per_execution;
    unsigned char rnd[4];
    RAND_bytes(rnd, sizeof(rnd));
    char host[64] = "";
    gethostname(host, sizeof(host) - 1);
    snprintf(ex.id, sizeof(ex.id), "%s/%s/%d/%02x%02x%02x%02x", domain, host, (int)getpid(),
             rnd[0], rnd[1], rnd[2], rnd[3]);

    const char *url = cfg.database.url ? cfg.database.url : getenv("WEFT_DATABASE_URL");
    char err[512];
    rc = 1;
    if (url == NULL) {
        wf_error("no database: set database.url in the config or WEFT_DATABASE_URL");
        goto out;
    }
    wf_dbspace_init(&ex.space, &cfg, url);
    wf_dbspace_refresh(&ex.space);
    ex.loop = wf_loop_create();
    ex.logs = wf_xlogs_create(&ex);
    ex.rt = wf_expr_rt_create();
    if (ex.loop == NULL || ex.logs == NULL || ex.rt == NULL || setup_signals(&ex) != 0) {
        wf_error("cannot set up the event loop");
        goto out;
    }
    wf_sbx_ctx_opts_t so;
    wf_sbx_ctx_opts_default(&so);
    wf_executor_sandbox_opts(&so, &cfg);
    if (wf_sbx_ctx_create(&so, &ex.sbx, err, sizeof(err)) != 0) {
        wf_error("sandbox: %s", err);
        goto out;
    }
    if (wf_xsecrets_init(&ex, &cfg) != 0)
        goto out;
    if (make_work_root(&ex, &cfg) != 0) {
        wf_error("cannot create the work directory");
        goto out;
    }
    if (wait_for_database(&ex, url) != 0)
        goto out;
    if (wf_xdb_open(&ex, url, err, sizeof(err)) != 0) {
        wf_error("%s", err);
        goto out;
    }
    if (wf_xdb_register(&ex) != 0) {
        wf_error("cannot register executor %s", ex.id);
        goto out;
    }
    ex.sched = wf_xsched_create(&ex);
    ex.mesh = wf_xmesh_create(&ex);
    ex.retention = wf_xretention_create(&ex);
    if (wf_loop_io_add(ex.loop, &ex.db_io, PQsocket(ex.db), EPOLLIN, on_db, &ex) != 0) {
        wf_error("cannot watch the database socket");
        goto out;
    }
    wf_info("executor %s ready (role %s, %d slots)", ex.id, ex.role, ex.slots);
    ex.renewed_ms = wf_clock_mono_ms(); /* every lease taken from here on lasts longer */
    wf_loop_timer_arm(ex.loop, &ex.heartbeat_timer, ex.lease_ms / 3, on_heartbeat, &ex);
    wf_loop_timer_arm(ex.loop, &ex.poll_timer, 0, on_poll, &ex);
    wf_loop_timer_arm(ex.loop, &ex.sched_timer, 50, on_sched, &ex);
    while (!ex.stopping) {
        /* A statement that waited may have read notifications off the
         * socket: epoll will not report them, so look before sleeping. */
        if (wf_xdbq_buffered(&ex))
            on_db(&ex.db_io, 0);
        if (ex.claim_pending && !ex.stopping) {
            ex.claim_pending = false;
            claim_more(&ex);
        }
        if (ex.stopping)
            break;
        /* Work made pending just now (the executions claimed ended and made
         * room, or a waiting statement read notifications) is done on the
         * next turn: look at descriptors and timers without sleeping, so
         * sandboxes and heartbeats are served between claims. */
        int wait_ms = ex.claim_pending || wf_xdbq_buffered(&ex) ? 0 : -1;
        if (wf_loop_run_once(ex.loop, wait_ms) < 0) {
            wf_error("event loop: %s", strerror(errno));
            break;
        }
        if (ex.draining && ex.busy == 0 && !ex.stopping) {
            wf_info("drained: no task running");
            ex.stopping = true;
        }
    }
    rc = PQstatus(ex.db) == CONNECTION_OK ? 0 : 1;
out:
    /* Shutdown: kill sandboxes, write pending logs, release claims so the
     * other replicas resume these executions at once. */
    while (ex.execs) {
        wf_xexec_t *x = ex.execs;
        ex.execs = x->next;
        wf_xexec_free(&ex, x);
    }
    if (ex.db) {
        if (ex.logs)
            wf_xlogs_flush(&ex);
        wf_xdb_unregister(&ex);
        wf_xdb_close(&ex);
    }
    wf_xhttp_shutdown(&ex);
    wf_xflowcache_dispose(&ex);
    wf_xsched_destroy(ex.sched);
    wf_xmesh_destroy(ex.mesh);
    wf_xretention_destroy(ex.retention);
    wf_xlogs_destroy(ex.logs);
    wf_dbspace_dispose(&ex.space);
    if (ex.rt)
        wf_expr_rt_destroy(ex.rt);
    if (ex.sbx)
        wf_sbx_ctx_destroy(ex.sbx);
    wf_xsecrets_dispose(&ex);
    wf_xpolicy_dispose(&ex);
    if (ex.work_root) {
        remove_tree(ex.work_root);
        free(ex.work_root);
    }
    if (ex.sigfd >= 0)
        close(ex.sigfd);
    wf_loop_destroy(ex.loop);
    wf_config_dispose(&cfg);
    if (rc == 0)
        wf_info("stopped (%llu attempts, %llu executions finished)",
                (unsigned long long)ex.n_task_attempts, (unsigned long long)ex.n_execs_done);
    if (ex.db_lost && !ex.signalled)
        start_over();
    return rc;
}
