/* `weftd sandbox`: runs one command in a sandbox exactly as the executor
 * runs a task, streams its output, and exits with its status. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "platform/config.h"
#include "platform/fileio.h"
#include "platform/xmalloc.h"
#include "daemon/commands.h"
#include "executor/executor.h"
#include "sandbox/sbx.h"

/* Set by SIGINT/SIGTERM/SIGHUP; checked when poll is interrupted. */
static volatile sig_atomic_t sandbox_interrupted;

static void on_signal(int sig)
{
    (void)sig;
    sandbox_interrupted = 1;
}

static void sandbox_usage(FILE *out)
{
    fprintf(out,
            "usage: weftd sandbox [OPTIONS] -- CMD [ARGS...]\n\n"
            "Runs CMD in a task sandbox (user, pid, mount, net, ipc and uts namespaces, a\n"
            "cgroup, rlimits and a seccomp filter), streams its output and exits with its\n"
            "exit code, or 128+N when signal N ended it. 125: the sandbox could not be built.\n\n"
            "  --memory BYTES      memory limit (suffixes K, M, G accepted)\n"
            "  --pids N            processes and threads (default 256)\n"
            "  --cpu SECONDS       CPU seconds per process\n"
            "  --cpu-quota MILLI   CPU quota in thousandths of a core\n"
            "  --timeout SECONDS   wall-clock limit (decimals accepted)\n"
            "  --fsize BYTES       largest file the task may write\n"
            "  --nofile N          open files per process (default 1024)\n"
            "  --tmp BYTES         size of the private /tmp (default 64M)\n"
            "  --disk BYTES        disk budget: /work and /tmp on one tmpfs of that size\n"
            "                      (default: /work on the host's disk, /tmp its own tmpfs)\n"
            "  --net none|host     network: loopback only (default) or the host's\n"
            "  --ro PATH[:DEST]    bind a host path read-only (at DEST, default PATH)\n"
            "  --rw PATH[:DEST]    bind a host path read-write\n"
            "  --workdir DIR       host directory to use as /work (default: a fresh one)\n"
            "  --cwd PATH          working directory inside (default /work)\n"
            "  --env K=V           environment variable (nothing is inherited)\n"
            "  --hostname NAME     host name inside (default sandbox)\n"
            "  --stdin             pass this command's standard input to the task\n"
            "  --fresh-netns       a new network namespace (the default unless the config's\n"
            "                      sandbox.fresh_netns is false)\n"
            "  --allow-weaker      run even if user namespaces or a cgroup controller is missing\n"
            "  --without LIST      leave out protections (userns,memory,pids,cpu): needs\n"
            "                      --allow-weaker; for hosts and tests where they are unusable\n"
            "  --config FILE       weft.yaml to take the sandbox: section from\n"
            "  --quiet             do not report timeouts and limits on stderr\n");
}

/* "123", "64K", "1M", "2G" (binary multiples). */
static int parse_bytes(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || v < 0)
        return -1;
    int shift = 0;
    if (*end == 'K' || *end == 'k')
        shift = 10;
    else if (*end == 'M' || *end == 'm')
        shift = 20;
    else if (*end == 'G' || *end == 'g')
        shift = 30;
    if (shift) {
        end++;
        if (*end == 'i')
            end++;
        if (*end == 'B')
            end++;
    }
    if (*end != '\0' || v > (INT64_MAX >> shift))
        return -1;
    *out = (int64_t)v << shift;
    return 0;
}

static int parse_seconds_ms(const char *s, int64_t *ms)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end != '\0' || v < 0 || v > 86400.0 * 7)
        return -1;
    *ms = (int64_t)(v * 1000.0 + 0.5);
    return 0;
}

static int add_bind(wf_sbx_spec_t *spec, const char *arg, bool rw)
{
    char *copy = wf_xstrdup(arg);
    char *colon = strchr(copy, ':');
    if (colon)
        *colon++ = '\0';
    int rc = wf_sbx_spec_bind(spec, copy, colon, rw);
    free(copy);
    return rc;
}

/* The whole of `fd`, up to 64 MiB. Its size is the caller's: plain malloc,
 * and running out of memory is this command's error (xmalloc.h). */
static int read_all(int fd, char **buf, size_t *len)
{
    size_t cap = 65536, n = 0;
    char *b = malloc(cap);
    if (b == NULL)
        return -1;
    for (;;) {
        if (n == cap) {
            if (cap >= (64u << 20)) {
                free(b);
                errno = EFBIG;
                return -1;
            }
            cap *= 2;
            char *nb = realloc(b, cap);
            if (nb == NULL) {
                free(b);
                return -1;
            }
            b = nb;
        }
        ssize_t r = read(fd, b + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            free(b);
            return -1;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    *buf = b;
    *len = n;
    return 0;
}

typedef struct {
    wf_sbx_t *sb;
} sink_ctx_t;

static void sink(int which, const char *data, size_t len, void *arg)
{
    sink_ctx_t *sc = arg;
    if (which == 0) { /* poll interrupted: a signal for us */
        if (sandbox_interrupted)
            wf_sbx_kill(sc->sb);
        return;
    }
    (void)wf_write_all(which == 1 ? STDOUT_FILENO : STDERR_FILENO, data, len);
}

/* Option table: long name, limit it sets (or -1), how its value is read. */
enum { V_NONE, V_BYTES, V_INT, V_SECONDS_MS, V_STRING };
static const struct {
    const char *name;
    int limit;
    int value;
} option_rows[] = {
    {"memory", WF_SBX_LIMIT_MEMORY, V_BYTES},  {"pids", WF_SBX_LIMIT_PIDS, V_INT},
    {"cpu", WF_SBX_LIMIT_CPU, V_INT},          {"cpu-quota", WF_SBX_LIMIT_CPU_QUOTA, V_INT},
    {"timeout", WF_SBX_LIMIT_TIMEOUT, V_SECONDS_MS}, {"fsize", WF_SBX_LIMIT_FSIZE, V_BYTES},
    {"nofile", WF_SBX_LIMIT_NOFILE, V_INT},    {"tmp", WF_SBX_LIMIT_TMP, V_BYTES},
    {"disk", WF_SBX_LIMIT_DISK, V_BYTES},
    {"net", -1, V_STRING},                     {"ro", -1, V_STRING},
    {"rw", -1, V_STRING},                      {"workdir", -1, V_STRING},
    {"cwd", -1, V_STRING},                     {"env", -1, V_STRING},
    {"hostname", -1, V_STRING},                {"stdin", -1, V_NONE},
    {"fresh-netns", -1, V_NONE},               {"allow-weaker", -1, V_NONE},
    {"quiet", -1, V_NONE},                     {"help", -1, V_NONE},
    {"without", -1, V_STRING},                 {"config", -1, V_STRING},
};
#define N_OPTIONS (sizeof(option_rows) / sizeof(option_rows[0]))

int wf_sandbox_main(int argc, char **argv)
{
    int status = 2;
    bool want_stdin = false, quiet = false;
    wf_sbx_ctx_opts_t copts;
    wf_sbx_ctx_opts_default(&copts);
    wf_sbx_spec_t *spec = wf_sbx_spec_create();
    wf_sbx_ctx_t *ctx = NULL;
    wf_sbx_t *sb = NULL;
    char err[512];
    const char *workdir = NULL, *config_path = NULL;
    unsigned without = 0;
    bool allow_weaker_flag = false, fresh_flag = false;
    wf_config_t cfg;
    bool have_cfg = false;

    struct option longopts[N_OPTIONS + 1];
    for (size_t i = 0; i < N_OPTIONS; i++)
        longopts[i] = (struct option){option_rows[i].name,
                                      option_rows[i].value == V_NONE ? no_argument
                                                                     : required_argument,
                                      NULL, (int)i + 256};
    memset(&longopts[N_OPTIONS], 0, sizeof(longopts[0]));
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
        if (c == 'h') {
            sandbox_usage(stdout);
            status = 0;
            goto out;
        }
        if (c < 256 || c >= 256 + (int)N_OPTIONS) {
            sandbox_usage(stderr);
            goto out;
        }
        const char *name = option_rows[c - 256].name;
        int lim = option_rows[c - 256].limit;
        int64_t v = 0;
        int bad = 0;
        switch (option_rows[c - 256].value) {
        case V_BYTES:
            bad = parse_bytes(optarg, &v);
            break;
        case V_INT: {
            char *end;
            errno = 0;
            long long x = strtoll(optarg, &end, 10);
            bad = errno || end == optarg || *end || x < 0 ? -1 : 0;
            v = x;
            break;
        }
        case V_SECONDS_MS:
            bad = parse_seconds_ms(optarg, &v);
            break;
        default:
            break;
        }
        if (bad == 0 && lim >= 0)
            bad = wf_sbx_spec_limit(spec, (wf_sbx_limit_t)lim, v);
        else if (strcmp(name, "net") == 0) {
            if (strcmp(optarg, "none") == 0)
                wf_sbx_spec_net(spec, WF_SBX_NET_NONE);
            else if (strcmp(optarg, "host") == 0)
                wf_sbx_spec_net(spec, WF_SBX_NET_HOST);
            else
                bad = -1;
        } else if (strcmp(name, "ro") == 0 || strcmp(name, "rw") == 0)
            bad = add_bind(spec, optarg, name[1] == 'w');
        else if (strcmp(name, "workdir") == 0)
            workdir = optarg;
        else if (strcmp(name, "cwd") == 0)
            bad = wf_sbx_spec_cwd(spec, optarg);
        else if (strcmp(name, "env") == 0)
            bad = wf_sbx_spec_env(spec, optarg);
        else if (strcmp(name, "hostname") == 0)
            bad = wf_sbx_spec_hostname(spec, optarg);
        else if (strcmp(name, "stdin") == 0)
            want_stdin = true;
        else if (strcmp(name, "fresh-netns") == 0)
            fresh_flag = true;
        else if (strcmp(name, "allow-weaker") == 0)
            allow_weaker_flag = true;
        else if (strcmp(name, "quiet") == 0)
            quiet = true;
        else if (strcmp(name, "without") == 0)
            bad = wf_sbx_features_parse(optarg, &without);
        else if (strcmp(name, "config") == 0)
            config_path = optarg;
        else if (strcmp(name, "help") == 0) {
            sandbox_usage(stdout);
            status = 0;
            goto out;
        }
        if (bad != 0) {
            fprintf(stderr, "weftd sandbox: --%s: invalid value '%s'\n", name,
                    optarg ? optarg : "");
            goto out;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "weftd sandbox: no command given (weftd sandbox [OPTIONS] -- CMD)\n");
        goto out;
    }
    for (int i = optind; i < argc; i++)
        wf_sbx_spec_arg(spec, argv[i]);
    if (workdir != NULL) {
        char real[PATH_MAX];
        if (realpath(workdir, real) == NULL ||
            wf_sbx_spec_workdir(spec, real) != 0) {
            fprintf(stderr, "weftd sandbox: --workdir %s: %s\n", workdir,
                    errno ? strerror(errno) : "not an absolute directory");
            goto out;
        }
    }
    if (want_stdin) {
        char *data;
        size_t len;
        if (read_all(STDIN_FILENO, &data, &len) != 0) {
            fprintf(stderr, "weftd sandbox: reading stdin: %s\n", strerror(errno));
            goto out;
        }
        wf_sbx_spec_stdin(spec, data, len);
        free(data);
    }

    /* The sandbox: section of the configuration, then the flags on top. */
    if (config_path != NULL) {
        if (wf_load_config_or_exit(&cfg, config_path) != 0)
            goto out;
        have_cfg = true;
        wf_executor_sandbox_opts(&copts, &cfg);
    }
    copts.allow_weaker = copts.allow_weaker || allow_weaker_flag;
    copts.fresh_netns = copts.fresh_netns || fresh_flag;
    copts.without = without;
    status = 125;
    if (wf_sbx_ctx_create(&copts, &ctx, err, sizeof(err)) != 0) {
        fprintf(stderr, "weftd sandbox: %s\n", err);
        goto out;
    }
    if (wf_sbx_ctx_missing(ctx) && !quiet) {
        char what[256];
        wf_sbx_features_describe(wf_sbx_ctx_missing(ctx), what, sizeof(what));
        fprintf(stderr, "weftd sandbox: warning: weaker isolation, missing %s\n", what);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (wf_sbx_start(ctx, spec, &sb, err, sizeof(err)) != 0) {
        fprintf(stderr, "weftd sandbox: %s\n", err);
        goto out;
    }
    wf_sbx_result_t res;
    sink_ctx_t sc = {sb};
    if (wf_sbx_wait(sb, &res, sink, &sc) != 0) {
        fprintf(stderr, "weftd sandbox: waiting: %s\n", strerror(errno));
        goto out;
    }
    status = wf_sbx_exit_status(&res);
    if (res.error[0] != '\0')
        fprintf(stderr, "weftd sandbox: %s\n", res.error);
    if (!quiet) {
        if (res.timed_out)
            fprintf(stderr, "weftd sandbox: timed out after %.3g s: killed\n",
                    (double)wf_sbx_spec_get_limit(spec, WF_SBX_LIMIT_TIMEOUT) / 1000.0);
        if (res.oom_killed)
            fprintf(stderr, "weftd sandbox: killed: memory limit of %lld bytes reached\n",
                    (long long)wf_sbx_spec_get_limit(spec, WF_SBX_LIMIT_MEMORY));
        else if (res.limits_hit & WF_SBX_HIT_MEMORY)
            fprintf(stderr, "weftd sandbox: memory limit of %lld bytes reached\n",
                    (long long)wf_sbx_spec_get_limit(spec, WF_SBX_LIMIT_MEMORY));
        if (res.limits_hit & WF_SBX_HIT_PIDS)
            fprintf(stderr, "weftd sandbox: process limit of %lld reached (forks refused)\n",
                    (long long)wf_sbx_spec_get_limit(spec, WF_SBX_LIMIT_PIDS));
        if (res.limits_hit & WF_SBX_HIT_CPU)
            fprintf(stderr, "weftd sandbox: killed: CPU limit of %lld s reached\n",
                    (long long)wf_sbx_spec_get_limit(spec, WF_SBX_LIMIT_CPU));
        if (res.limits_hit & WF_SBX_HIT_FSIZE)
            fprintf(stderr, "weftd sandbox: killed: file size limit reached\n");
        if (sandbox_interrupted)
            fprintf(stderr, "weftd sandbox: interrupted: sandbox killed\n");
    }
    if (getenv("WEFT_SANDBOX_STATS") != NULL)
        fprintf(stderr,
                "weftd sandbox: stats: exit=%d signal=%d cpu_usec=%lld peak_memory=%lld "
                "duration_usec=%lld limits_hit=%u cgroup=%s\n",
                res.exit_code, res.signal, (long long)res.cpu_usec, (long long)res.peak_memory,
                (long long)res.duration_usec, res.limits_hit, wf_sbx_ctx_cgroup_mode(ctx));
out:
    wf_sbx_destroy(sb);
    wf_sbx_ctx_destroy(ctx);
    wf_sbx_spec_destroy(spec);
    if (have_cfg)
        wf_config_dispose(&cfg);
    return status;
}
