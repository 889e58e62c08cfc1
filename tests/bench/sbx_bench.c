/* Start-up cost of the task sandbox: `make bench-sandbox` (as root).
 *
 * Runs /bin/true, N times each way, and prints the median and 90th
 * percentile and the starts per second with one and with two parallel loops:
 *   fork+exec      plain posix fork/execve/waitpid, no isolation (the floor)
 *   library        wf_sbx_start + reap in this process, full isolation (the
 *                  executor's path: context made once), a network namespace
 *                  per run (the default); then with one shared by every run
 *                  (sandbox.fresh_netns: false), and with the executor's
 *                  1 GiB disk budget (a tmpfs per run)
 *   weftd sandbox  the whole command per run (context made every time)
 *   bwrap          bubblewrap --unshare-all with equivalent mounts
 * Goal (issue 4): the sandbox <= 2 ms median and <= 0.5 x bubblewrap.
 * Prints figures; never fails on speed. */
#include <errno.h>
#include <pthread.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sandbox/sbx.h"

static const char *weftd_path;
static char bwrap_work[64];

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int spawn_wait(char *const argv[])
{
    pid_t p = fork();
    if (p == 0) {
        execv(argv[0], argv);
        _exit(127);
    }
    int st;
    if (p < 0 || waitpid(p, &st, 0) < 0)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

typedef int (*one_fn)(void *arg);

static int one_forkexec(void *arg)
{
    (void)arg;
    char *argv[] = {"/bin/true", NULL};
    return spawn_wait(argv);
}

static int one_weftd(void *arg)
{
    (void)arg;
    char *argv[] = {(char *)weftd_path, "sandbox", "--quiet", "--", "/bin/true", NULL};
    return spawn_wait(argv);
}

static int one_bwrap(void *arg)
{
    (void)arg;
    char *argv[] = {"/usr/bin/bwrap", "--unshare-all", "--die-with-parent", "--ro-bind",
                    "/usr",           "/usr",          "--symlink",         "usr/bin",
                    "/bin",           "--symlink",     "usr/sbin",          "/sbin",
                    "--symlink",      "usr/lib",       "/lib",              "--symlink",
                    "usr/lib64",      "/lib64",        "--ro-bind",         "/etc/ld.so.cache",
                    "/etc/ld.so.cache", "--proc",      "/proc",             "--dev",
                    "/dev",           "--tmpfs",       "/tmp",              "--bind",
                    bwrap_work,       "/work",         "--chdir",           "/work",
                    "--hostname",     "sandbox",       "--clearenv",        "/bin/true",
                    NULL};
    return spawn_wait(argv);
}

typedef struct {
    wf_sbx_ctx_t *ctx;
    int64_t disk; /* WF_SBX_LIMIT_DISK, 0 = none */
} lib_arg_t;

static int one_library(void *arg)
{
    const lib_arg_t *la = arg;
    wf_sbx_ctx_t *ctx = la->ctx;
    wf_sbx_spec_t *spec = wf_sbx_spec_create();
    wf_sbx_spec_arg(spec, "/bin/true");
    if (la->disk > 0)
        wf_sbx_spec_limit(spec, WF_SBX_LIMIT_DISK, la->disk);
    wf_sbx_t *sb = NULL;
    char err[256];
    int rc = -1;
    if (wf_sbx_start(ctx, spec, &sb, err, sizeof(err)) == 0) {
        wf_sbx_result_t res;
        if (wf_sbx_wait(sb, &res, NULL, NULL) == 0)
            rc = wf_sbx_exit_status(&res);
        wf_sbx_destroy(sb);
    } else {
        fprintf(stderr, "start: %s\n", err);
    }
    wf_sbx_spec_destroy(spec);
    return rc;
}

typedef struct {
    one_fn fn;
    void *arg;
    int n;
    double *lat;
    int errors;
} loop_t;

static void *loop_main(void *p)
{
    loop_t *l = p;
    for (int i = 0; i < l->n; i++) {
        double t0 = now_ms();
        if (l->fn(l->arg) != 0)
            l->errors++;
        l->lat[i] = now_ms() - t0;
    }
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct {
    double median, p90, rate1, rate2;
    int errors;
} figures_t;

static figures_t measure(one_fn fn, void *arg, int n)
{
    figures_t f;
    memset(&f, 0, sizeof(f));
    double *lat = calloc((size_t)n * 2, sizeof(double));
    for (int i = 0; i < 5; i++) /* warm-up */
        fn(arg);
    loop_t one = {fn, arg, n, lat, 0};
    double t0 = now_ms();
    loop_main(&one);
    f.rate1 = n / ((now_ms() - t0) / 1e3);
    qsort(lat, (size_t)n, sizeof(double), cmp_double);
    f.median = lat[n / 2];
    f.p90 = lat[(n * 9) / 10];
    loop_t two[2] = {{fn, arg, n / 2, lat, 0}, {fn, arg, n / 2, lat + n, 0}};
    pthread_t th[2];
    t0 = now_ms();
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, loop_main, &two[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    f.rate2 = (n / 2 * 2) / ((now_ms() - t0) / 1e3);
    f.errors = one.errors + two[0].errors + two[1].errors;
    free(lat);
    return f;
}

static void print_row(const char *name, figures_t f)
{
    printf("%-34s %8.3f %8.3f %10.0f %10.0f %s\n", name, f.median, f.p90, f.rate1, f.rate2,
           f.errors ? "(errors!)" : "");
}

int main(int argc, char **argv)
{
    int n = argc > 2 ? atoi(argv[2]) : 200;
    weftd_path = argc > 1 ? argv[1] : "./weftd";
    if (geteuid() != 0) {
        fprintf(stderr, "sbx_bench: needs root\n");
        return 0;
    }
    snprintf(bwrap_work, sizeof(bwrap_work), "/tmp/wf-sbx-bench-XXXXXX");
    if (mkdtemp(bwrap_work) == NULL)
        return 1;
    wf_sbx_ctx_opts_t o;
    wf_sbx_ctx_opts_default(&o);
    wf_sbx_ctx_t *ctx = NULL;
    char err[512];
    if (wf_sbx_ctx_create(&o, &ctx, err, sizeof(err)) != 0) {
        fprintf(stderr, "sbx_bench: %s\n", err);
        return 1;
    }
    printf("/bin/true, %d runs each, cgroups %s, %ld cores, load %s\n", n,
           wf_sbx_ctx_cgroup_mode(ctx), sysconf(_SC_NPROCESSORS_ONLN), "see uptime");
    printf("%-34s %8s %8s %10s %10s\n", "", "median", "p90", "starts/s", "starts/s");
    printf("%-34s %8s %8s %10s %10s\n", "", "ms", "ms", "1 loop", "2 loops");
    lib_arg_t la = {ctx, 0};
    if (argc > 3 && strcmp(argv[3], "library") == 0) { /* profiling aid */
        print_row("sandbox library (executor path)", measure(one_library, &la, n));
        wf_sbx_ctx_destroy(ctx);
        rmdir(bwrap_work);
        return 0;
    }
    figures_t fe = measure(one_forkexec, NULL, n);
    print_row("fork+exec (no isolation)", fe);
    figures_t fl = measure(one_library, &la, n);
    print_row("sandbox library (netns per run)", fl);
    la.disk = INT64_C(1) << 30;
    print_row("  + 1 GiB disk budget (executor)", measure(one_library, &la, n));
    o.fresh_netns = false;
    wf_sbx_ctx_t *shared = NULL;
    if (wf_sbx_ctx_create(&o, &shared, err, sizeof(err)) == 0) {
        lib_arg_t ls = {shared, 0};
        print_row("sandbox library (shared netns)", measure(one_library, &ls, n));
        wf_sbx_ctx_destroy(shared);
    }
    figures_t fw = measure(one_weftd, NULL, n);
    print_row("weftd sandbox (whole command)", fw);
    figures_t fb = {0};
    bool have_bwrap = access("/usr/bin/bwrap", X_OK) == 0;
    if (have_bwrap) {
        fb = measure(one_bwrap, NULL, n);
        print_row("bwrap --unshare-all", fb);
    } else {
        printf("bwrap not installed (scripts/deps.sh --test installs it)\n");
    }
    printf("\nratios of medians: library/fork+exec %.2f", fl.median / fe.median);
    if (have_bwrap)
        printf(", library/bwrap %.2f, weftd sandbox/bwrap %.2f", fl.median / fb.median,
               fw.median / fb.median);
    printf("\ngoal: sandbox <= 2 ms median and <= 0.5 x bubblewrap: library %s, weftd sandbox %s\n",
           fl.median <= 2.0 && (!have_bwrap || fl.median <= 0.5 * fb.median) ? "met" : "not met",
           fw.median <= 2.0 && (!have_bwrap || fw.median <= 0.5 * fb.median) ? "met" : "not met");
    wf_sbx_ctx_destroy(ctx);
    rmdir(bwrap_work);
    return 0;
}
