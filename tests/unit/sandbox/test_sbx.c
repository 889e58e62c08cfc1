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
        wf_sbx_ctx_destroy(ctx);
    }
    close(thread_pipe[1]);
    pthread_join(th, NULL);
    ok(rmdir(base) == 0, "no temp dir left behind (%s)", strerror(errno));
    return tap_done();
}
