/* Unit tests of sandbox/: spec validation (no privileges needed) and the
 * run life cycle through the library API (as root, like CI). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox/sbx.h"
#include "tests/tap.h"

typedef struct {
    char out[65536], err[65536];
    size_t nout, nerr;
} capture_t;

static void sink(int which, const char *data, size_t len, void *arg)
{
    capture_t *c = arg;
    char *buf = which == 1 ? c->out : c->err;
    size_t *n = which == 1 ? &c->nout : &c->nerr;
    if (which == 0)
        return;
    if (*n + len >= sizeof(c->out))
        len = sizeof(c->out) - *n - 1;
    memcpy(buf + *n, data, len);
    *n += len;
    buf[*n] = '\0';
}

/* Runs argv (NULL-terminated) with `spec` prepared by the caller. */
static int run(wf_sbx_ctx_t *ctx, wf_sbx_spec_t *spec, const char *const *argv,
               wf_sbx_result_t *res, capture_t *cap)
{
    char err[512];
    wf_sbx_t *sb = NULL;
    for (int i = 0; argv[i]; i++)
        wf_sbx_spec_arg(spec, argv[i]);
    memset(cap, 0, sizeof(*cap));
    if (wf_sbx_start(ctx, spec, &sb, err, sizeof(err)) != 0) {
        printf("# start: %s\n", err);
        return -1;
    }
    int rc = wf_sbx_wait(sb, res, sink, cap);
    wf_sbx_destroy(sb);
    return rc;
}

static void test_spec(void)
{
    wf_sbx_spec_t *s = wf_sbx_spec_create();
    ok(wf_sbx_spec_bind(s, "relative", NULL, false) == -1 && errno == EINVAL,
       "bind: relative source refused");
    ok(wf_sbx_spec_bind(s, "/data/../etc", NULL, false) == -1, "bind: '..' refused");
    ok(wf_sbx_spec_bind(s, "/data", "/proc/sys", true) == -1, "bind: over /proc refused");
    ok(wf_sbx_spec_bind(s, "/data", "/", true) == -1, "bind: over / refused");
    ok(wf_sbx_spec_bind(s, "/data", "/etc", true) == -1, "bind: over /etc refused");
    ok(wf_sbx_spec_bind(s, "/data", "/data", false) == 0, "bind: plain path accepted");
    ok(wf_sbx_spec_file(s, "../x", "a", 1, 0644) == -1, "file: '..' refused");
    ok(wf_sbx_spec_file(s, "/abs", "a", 1, 0644) == -1, "file: absolute refused");
    ok(wf_sbx_spec_file(s, "bin/run.sh", "a", 1, 0755) == 0, "file: nested relative accepted");
    ok(wf_sbx_spec_output(s, "out/sub", "/tmp/x") == -1, "output: nested path refused");
    ok(wf_sbx_spec_output(s, "out", "rel") == -1, "output: relative destination refused");
    ok(wf_sbx_spec_env(s, "NOEQUALS") == -1, "env: missing '=' refused");
    ok(wf_sbx_spec_env(s, "=x") == -1, "env: empty name refused");
    ok(wf_sbx_spec_hostname(s, "bad name") == -1, "hostname: space refused");
    ok(wf_sbx_spec_limit(s, WF_SBX_LIMIT_PIDS, -1) == -1, "limit: negative refused");
    ok(wf_sbx_spec_limit(s, WF_SBX_LIMIT_COUNT, 1) == -1, "limit: unknown refused");
    is_int(wf_sbx_spec_get_limit(s, WF_SBX_LIMIT_PIDS), 256, "default pids limit");
    is_int(wf_sbx_limit_by_name("memory"), WF_SBX_LIMIT_MEMORY, "limit table lookup");
    is_int(wf_sbx_limit_by_name("nope"), -1, "unknown limit name");
    ok(wf_sbx_spec_cwd(s, "work") == -1, "cwd: relative refused");
    wf_sbx_spec_destroy(s);

    char buf[256];
    wf_sbx_features_describe(WF_SBX_F_USERNS | WF_SBX_F_CG_PIDS, buf, sizeof(buf));
    is_str(buf, "user namespaces, pids cgroup controller", "missing features in words");
}

static void test_runs(wf_sbx_ctx_t *ctx)
{
    wf_sbx_result_t res;
    capture_t cap;
    wf_sbx_spec_t *s;

    s = wf_sbx_spec_create();
    ok(run(ctx, s, (const char *[]){"/bin/echo", "hello", NULL}, &res, &cap) == 0, "echo runs");
    is_str(cap.out, "hello\n", "stdout captured");
    is_int(res.exit_code, 0, "exit code 0");
    ok(!res.setup_failed && !res.timed_out && res.signal == 0, "clean result");
    ok(res.duration_usec > 0, "duration measured");
    wf_sbx_spec_destroy(s);

    s = wf_sbx_spec_create();
    run(ctx, s, (const char *[]){"sh", "-c", "echo oops >&2; exit 7", NULL}, &res, &cap);
    is_int(res.exit_code, 7, "exit code passed through (argv[0] found on PATH)");
    is_str(cap.err, "oops\n", "stderr captured separately");
    is_int(wf_sbx_exit_status(&res), 7, "exit status");
    wf_sbx_spec_destroy(s);

    /* Nothing inherited: our environment holds a marker the task must not see. */
    setenv("WF_SBX_SECRET_MARKER", "leak", 1);
    s = wf_sbx_spec_create();
    wf_sbx_spec_env(s, "GIVEN=yes");
    run(ctx, s, (const char *[]){"/usr/bin/env", NULL}, &res, &cap);
    is_str(cap.out, "GIVEN=yes\n", "environment is exactly the given one");
    wf_sbx_spec_destroy(s);

    s = wf_sbx_spec_create();
    wf_sbx_spec_stdin(s, "line one\nline two\n", 18);
    run(ctx, s, (const char *[]){"/bin/cat", NULL}, &res, &cap);
    is_str(cap.out, "line one\nline two\n", "stdin data delivered");
    wf_sbx_spec_destroy(s);

    /* A large stdin is pumped past the pipe buffer while output is read. */
    size_t big = 300000;
    char *data = malloc(big);
    memset(data, 'x', big);
    s = wf_sbx_spec_create();
    wf_sbx_spec_stdin(s, data, big);
    run(ctx, s, (const char *[]){"/usr/bin/wc", "-c", NULL}, &res, &cap);
    is_str(cap.out, "300000\n", "300 kB stdin pumped completely");
    wf_sbx_spec_destroy(s);
    free(data);

    /* Files placed in /work, output dir collected afterwards. */
    char dest[] = "/tmp/wf-sbx-test-out-XXXXXX";
    ok(mkdtemp(dest) != NULL, "destination parent made");
    char outdir[sizeof(dest) + 8];
    snprintf(outdir, sizeof(outdir), "%s/out", dest);
    s = wf_sbx_spec_create();
    const char *script = "#!/bin/sh\nmkdir out && echo result > out/r.txt && pwd\n";
    wf_sbx_spec_file(s, "bin/job.sh", script, strlen(script), 0755);
    wf_sbx_spec_output(s, "out", outdir);
    run(ctx, s, (const char *[]){"/work/bin/job.sh", NULL}, &res, &cap);
    is_int(res.exit_code, 0, "placed script ran");
    is_str(cap.out, "/work\n", "cwd is /work");
    char rpath[sizeof(outdir) + 8], got[64] = "";
    snprintf(rpath, sizeof(rpath), "%s/r.txt", outdir);
    FILE *f = fopen(rpath, "r");
    if (f) {
        if (fgets(got, sizeof(got), f) == NULL)
            got[0] = '\0';
        fclose(f);
    }
    is_str(got, "result\n", "output directory collected");
    unlink(rpath);
    rmdir(outdir);
    wf_sbx_spec_destroy(s);

    /* An output "directory" that is a symlink to a host path is not collected. */
    s = wf_sbx_spec_create();
    wf_sbx_spec_output(s, "out", outdir);
    run(ctx, s, (const char *[]){"/bin/ln", "-s", "/etc", "out", NULL}, &res, &cap);
    struct stat st;
    ok(lstat(outdir, &st) != 0, "symlinked output refused");
    ok(strstr(res.error, "not a directory") != NULL, "and reported: %s", res.error);
    wf_sbx_spec_destroy(s);
    rmdir(dest);

    /* Read-only bind: visible, not writable. */
    char src[] = "/tmp/wf-sbx-test-ro-XXXXXX";
    ok(mkdtemp(src) != NULL, "bind source made");
    chmod(src, 0777);
    s = wf_sbx_spec_create();
    wf_sbx_spec_bind(s, src, "/data", false);
    run(ctx, s, (const char *[]){"sh", "-c", "test -d /data && touch /data/x 2>/dev/null; echo $?",
                                 NULL},
        &res, &cap);
    is_str(cap.out, "1\n", "read-only bind refuses writes (world-writable source)");
    wf_sbx_spec_destroy(s);
    s = wf_sbx_spec_create();
    wf_sbx_spec_bind(s, src, "/data", true);
    run(ctx, s, (const char *[]){"sh", "-c", "touch /data/x; echo $?", NULL}, &res, &cap);
    is_str(cap.out, "0\n", "read-write bind accepts writes");
    char xpath[64];
    snprintf(xpath, sizeof(xpath), "%s/x", src);
    ok(stat(xpath, &st) == 0 && st.st_uid == 100000 + 1000,
       "file written by the task is owned by the unprivileged host id");
    unlink(xpath);
    rmdir(src);
    wf_sbx_spec_destroy(s);

    /* Missing bind source: refused at start with the path in the message. */
    s = wf_sbx_spec_create();
    wf_sbx_spec_bind(s, "/nonexistent-wf-path", NULL, false);
    wf_sbx_spec_arg(s, "/bin/true");
    char err[256] = "";
    wf_sbx_t *sb = NULL;
    ok(wf_sbx_start(ctx, s, &sb, err, sizeof(err)) == -1 &&
           strstr(err, "/nonexistent-wf-path") != NULL,
       "missing bind source reported: %s", err);
    wf_sbx_spec_destroy(s);

    /* Unknown command: set-up failure with a message, exit 127. */
    s = wf_sbx_spec_create();
    run(ctx, s, (const char *[]){"no-such-command", NULL}, &res, &cap);
    ok(res.setup_failed && strstr(res.error, "no-such-command") != NULL,
       "unknown command reported: %s", res.error);
    is_int(wf_sbx_exit_status(&res), 127, "exit status 127");
    wf_sbx_spec_destroy(s);

    /* Timeout: SIGTERM first (a shell trap sees it), SIGKILL after the grace. */
    s = wf_sbx_spec_create();
    wf_sbx_spec_limit(s, WF_SBX_LIMIT_TIMEOUT, 300);
    wf_sbx_spec_limit(s, WF_SBX_LIMIT_GRACE, 200);
    run(ctx, s, (const char *[]){"sh", "-c", "trap 'echo term; exit 3' TERM; sleep 5 & wait", NULL},
        &res, &cap);
    ok(res.timed_out, "timed out");
    is_str(cap.out, "term\n", "SIGTERM delivered first");
    is_int(res.exit_code, 3, "task exited from its TERM trap");
    wf_sbx_spec_destroy(s);

    s = wf_sbx_spec_create();
    wf_sbx_spec_limit(s, WF_SBX_LIMIT_TIMEOUT, 200);
    wf_sbx_spec_limit(s, WF_SBX_LIMIT_GRACE, 200);
    run(ctx, s, (const char *[]){"sh", "-c", "trap '' TERM; while :; do :; done", NULL}, &res,
        &cap);
    ok(res.timed_out && res.signal == SIGKILL, "a task ignoring SIGTERM is killed (signal %d)",
       res.signal);
    ok(res.duration_usec < 3000000, "within the grace (%lld us)", (long long)res.duration_usec);
    is_int(wf_sbx_exit_status(&res), 128 + SIGKILL, "exit status 137");
    wf_sbx_spec_destroy(s);

    /* Event-loop style: start, poll the pidfd, kill, reap. */
    s = wf_sbx_spec_create();
    wf_sbx_spec_arg(s, "/bin/sleep");
    wf_sbx_spec_arg(s, "30");
    wf_sbx_spec_limit(s, WF_SBX_LIMIT_GRACE, 0);
    sb = NULL;
    ok(wf_sbx_start(ctx, s, &sb, err, sizeof(err)) == 0, "started for kill");
    if (sb != NULL) {
        ok(wf_sbx_pidfd(sb) >= 0 && wf_sbx_stdout_fd(sb) >= 0 && wf_sbx_timer_fd(sb) >= 0,
           "pollable fds exposed");
        is_int(wf_sbx_reap(sb, &res), 0, "not ended yet");
        wf_sbx_kill(sb);
        struct pollfd pf = {wf_sbx_pidfd(sb), POLLIN, 0};
        ok(poll(&pf, 1, 5000) == 1, "pidfd readable after kill");
        is_int(wf_sbx_reap(sb, &res), 1, "reaped");
        is_int(res.signal, SIGKILL, "killed by SIGKILL (no grace)");
        wf_sbx_destroy(sb);
    }
    wf_sbx_spec_destroy(s);

    /* Exit by signal is 128+N. */
    s = wf_sbx_spec_create();
    run(ctx, s, (const char *[]){"sh", "-c", "kill -USR1 $$", NULL}, &res, &cap);
    is_int(res.signal, SIGUSR1, "signal reported");
    is_int(wf_sbx_exit_status(&res), 128 + SIGUSR1, "exit status 128+signal");
    wf_sbx_spec_destroy(s);

    /* Nothing left in the work base once destroyed. */
    s = wf_sbx_spec_create();
    run(ctx, s, (const char *[]){"sh", "-c", "sleep 10 & echo bg", NULL}, &res, &cap);
    is_str(cap.out, "bg\n", "background child left running by the task");
    wf_sbx_spec_destroy(s);
}

/* Two runs of one context, like two tasks of a domain on one executor: the
 * first listens on 127.0.0.1 and on an abstract Unix socket, the second
 * tries both. Returns "tcp ... unix ..." as the second saw it. */
static void neighbour_connect(wf_sbx_ctx_t *ctx, char *seen, size_t len)
{
    static const char listener[] =
        "import socket, time\n"
        "t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        "t.bind(('127.0.0.1', 47613)); t.listen(8)\n"
        "u = socket.socket(socket.AF_UNIX); u.bind('\\0weft-neighbour'); u.listen(8)\n"
        "print('ready', flush=True); time.sleep(20)\n";
    static const char client[] =
        "import socket\n"
        "def try_(fam, addr):\n"
        "    s = socket.socket(fam)\n"
        "    try:\n"
        "        s.connect(addr); return 'connected'\n"
        "    except OSError as e:\n"
        "        return 'refused'\n"
        "print('tcp', try_(socket.AF_INET, ('127.0.0.1', 47613)), 'unix',\n"
        "      try_(socket.AF_UNIX, '\\0weft-neighbour'))\n";
    snprintf(seen, len, "listener did not start");
    wf_sbx_spec_t *s = wf_sbx_spec_create();
    wf_sbx_spec_arg(s, "/usr/bin/python3");
    wf_sbx_spec_arg(s, "-c");
    wf_sbx_spec_arg(s, listener);
    wf_sbx_spec_limit(s, WF_SBX_LIMIT_GRACE, 0);
    wf_sbx_t *sb = NULL;
    char err[256], buf[64];
    if (wf_sbx_start(ctx, s, &sb, err, sizeof(err)) != 0) {
        wf_sbx_spec_destroy(s);
        return;
    }
    struct pollfd pf = {wf_sbx_stdout_fd(sb), POLLIN, 0};
    if (poll(&pf, 1, 10000) == 1 && wf_sbx_read(sb, 1, buf, sizeof(buf)) > 0) {
        wf_sbx_spec_t *c = wf_sbx_spec_create();
        wf_sbx_result_t res;
        capture_t cap;
        run(ctx, c, (const char *[]){"/usr/bin/python3", "-c", client, NULL}, &res, &cap);
        snprintf(seen, len, "%.200s", cap.out);
        wf_sbx_spec_destroy(c);
    }
    wf_sbx_destroy(sb);
    wf_sbx_spec_destroy(s);
}

static void test_netns(const char *base)
{
    char seen[256], err[512];
    wf_sbx_ctx_opts_t o;
    wf_sbx_ctx_opts_default(&o);
    o.work_base = base;
    ok(o.fresh_netns, "a network namespace per run is the default");
    for (int shared = 1; shared >= 0; shared--) {
        wf_sbx_ctx_t *ctx = NULL;
        o.fresh_netns = !shared;
        if (wf_sbx_ctx_create(&o, &ctx, err, sizeof(err)) != 0) {
            ok(0, "context created: %s", err);
            continue;
        }
        neighbour_connect(ctx, seen, sizeof(seen));
        if (shared)
            is_str(seen, "tcp connected unix connected\n",
                   "control (one namespace per executor): a run reaches its neighbour's "
                   "127.0.0.1 listener and abstract socket");
        else
            is_str(seen, "tcp refused unix refused\n",
                   "netns per run: a run cannot reach its neighbour's 127.0.0.1 listener nor "
                   "its abstract Unix socket");
        wf_sbx_ctx_destroy(ctx);
    }
}

/* The disk budget: /work and /tmp on one tmpfs of that size, off the host's
 * disk; the executor reads the work dir after the run. */
static void test_disk(wf_sbx_ctx_t *ctx)
{
    wf_sbx_result_t res;
    capture_t cap;
    wf_sbx_spec_t *s = wf_sbx_spec_create();
    ok(wf_sbx_spec_limit(s, WF_SBX_LIMIT_DISK, 8 << 20) == 0, "disk budget set");
    wf_sbx_spec_file(s, "in/data.txt", "placed\n", 7, 0644);
    run(ctx, s,
        (const char *[]){"sh", "-c",
                         "cat in/data.txt; echo kept > kept.txt; "
                         "dd if=/dev/zero of=/tmp/a bs=1M count=6 2>/dev/null; "
                         "dd if=/dev/zero of=/work/b bs=1M count=6 2>/dev/null; echo dd $?; "
                         "stat -f -c %T /work /tmp; exit 1",
                         NULL},
        &res, &cap);
    is_str(cap.out, "placed\ndd 1\ntmpfs\ntmpfs\n",
           "placed file readable, the second 6 MiB write fails, /work and /tmp are tmpfs");
    ok(res.limits_hit & WF_SBX_HIT_DISK, "disk budget reported as hit");
    wf_sbx_spec_destroy(s);

    s = wf_sbx_spec_create();
    wf_sbx_spec_limit(s, WF_SBX_LIMIT_DISK, 8 << 20);
    wf_sbx_spec_arg(s, "sh");
    wf_sbx_spec_arg(s, "-c");
    wf_sbx_spec_arg(s, "echo result > /work/r.txt");
    wf_sbx_t *sb = NULL;
    char err[256] = "", got[32] = "";
    ok(wf_sbx_start(ctx, s, &sb, err, sizeof(err)) == 0, "started with a budget: %s", err);
    if (sb != NULL) {
        wf_sbx_wait(sb, &res, NULL, NULL);
        ok(!(res.limits_hit & WF_SBX_HIT_DISK), "a small write does not hit the budget");
        char path[512];
        snprintf(path, sizeof(path), "%s/r.txt", wf_sbx_workdir(sb));
        FILE *f = fopen(path, "r");
        if (f) {
            if (fgets(got, sizeof(got), f) == NULL)
                got[0] = '\0';
            fclose(f);
        }
        is_str(got, "result\n", "the work dir is readable after the run (%s)", wf_sbx_workdir(sb));
        wf_sbx_destroy(sb);
    }
    wf_sbx_spec_destroy(s);

    s = wf_sbx_spec_create();
    wf_sbx_spec_limit(s, WF_SBX_LIMIT_DISK, 8 << 20);
    wf_sbx_spec_output(s, "out", "/tmp/wf-sbx-never");
    wf_sbx_spec_arg(s, "/bin/true");
    sb = NULL;
    ok(wf_sbx_start(ctx, s, &sb, err, sizeof(err)) == -1 && strstr(err, "disk budget") != NULL,
       "an output directory with a disk budget is refused: %s", err);
    wf_sbx_spec_destroy(s);
}

/* A second thread: the sandbox is started from a multi-threaded process,
 * like the executor (glibc's set*id would deadlock in the child). */
static int thread_pipe[2];
static void *idle_thread(void *arg)
{
    char c;
    (void)arg;
    if (read(thread_pipe[0], &c, 1) < 0)
        return NULL;
    return NULL;
}

int main(void)
{
    alarm(120); /* a hung sandbox (e.g. a deadlocked child) fails instead of hanging */
    test_spec();
    if (geteuid() != 0) {
        printf("# not root: sandbox runs skipped\n");
        return tap_done();
    }
    char base[] = "/tmp/wf-sbx-unit-XXXXXX";
    if (mkdtemp(base) == NULL)
        return 1;
    wf_sbx_ctx_opts_t o;
    wf_sbx_ctx_opts_default(&o);
    o.work_base = base;
    wf_sbx_ctx_t *ctx = NULL;
    char err[512];
    ok(wf_sbx_ctx_create(&o, &ctx, err, sizeof(err)) == 0, "context created: %s", err);
    pthread_t th;
    if (pipe(thread_pipe) != 0 || pthread_create(&th, NULL, idle_thread, NULL) != 0)
        return 1;
    if (ctx != NULL) {
        is_int(wf_sbx_ctx_missing(ctx), 0, "nothing missing on this host");
        test_runs(ctx);
        test_disk(ctx);
        wf_sbx_ctx_destroy(ctx);
    }
    test_netns(base);
    close(thread_pipe[1]);
    pthread_join(th, NULL);
    ok(rmdir(base) == 0, "no temp dir left behind (%s)", strerror(errno));
    return tap_done();
}
