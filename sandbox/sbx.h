/* The task sandbox: every task runs in its own pid, mount, ipc and uts
 * namespaces, an empty network namespace, an unprivileged user namespace, a
 * cgroup with memory/pids/cpu limits, rlimits and a seccomp filter.
 *
 * Three objects:
 *   wf_sbx_ctx_t  - one per executor process: feature detection, the seccomp
 *                   filter (built once), the pre-made user and network
 *                   namespaces, the cgroup parent. Create it at start-up.
 *   wf_sbx_spec_t - the description of one run (argv, env, mounts, limits...).
 *   wf_sbx_t      - one running sandbox. Every wait is non-blocking: the
 *                   caller polls the pidfd, the output pipes and the timer fd
 *                   from its own event loop; wf_sbx_wait() is a blocking
 *                   convenience for `weftd sandbox` and tests.
 *
 * Threading: a context may be shared by threads (start is thread-safe; each
 * handle belongs to one thread). Start a sandbox from a long-lived thread (the event loop): the
 * sandbox dies with the thread that started it (parent-death signal). The
 * caller must not reap children with waitpid(-1, ...): the handle reaps its
 * own child through the pidfd. */
#ifndef WF_SBX_H
#define WF_SBX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct wf_sbx_ctx wf_sbx_ctx_t;
typedef struct wf_sbx_spec wf_sbx_spec_t;
typedef struct wf_sbx wf_sbx_t;

/* ---- context (one per process) ----------------------------------------- */

/* Protections a host may lack; wf_sbx_ctx_missing() returns a mask of them. */
enum {
    WF_SBX_F_USERNS = 1 << 0,    /* user namespaces */
    WF_SBX_F_CG_MEMORY = 1 << 1, /* memory cgroup controller */
    WF_SBX_F_CG_PIDS = 1 << 2,   /* pids cgroup controller */
    WF_SBX_F_CG_CPU = 1 << 3,    /* cpu cgroup controller (quota, usage) */
};

typedef struct wf_sbx_ctx_opts {
    bool allow_weaker;         /* start even when a protection is missing */
    uint32_t host_id_base;     /* ids 0..65535 inside map to base..base+65535 */
    const char *work_base;     /* where per-run directories are made (default /tmp) */
    const char *cgroup_parent; /* cgroup path to create runs under; NULL = auto */
    bool fresh_netns;          /* a new netns per run (the default) instead of one empty one
                                  shared by every run of the context */
    unsigned without;          /* WF_SBX_F_* to leave out even when available */
} wf_sbx_ctx_opts_t;

/* Fills `o` with the defaults: refuse weaker modes, base 100000, /tmp, a
 * network namespace per run. */
void wf_sbx_ctx_opts_default(wf_sbx_ctx_opts_t *o);
/* Parses "userns,memory,pids,cpu" into WF_SBX_F_* bits; -1 on an unknown name. */
int wf_sbx_features_parse(const char *list, unsigned *mask);
/* Detects features and prepares the filter and namespaces. Returns 0, or -1
 * with a sentence in `err` (e.g. what is missing and how to accept it). */
int wf_sbx_ctx_create(const wf_sbx_ctx_opts_t *opts, wf_sbx_ctx_t **out, char *err,
                      size_t errlen);
/* Mask of WF_SBX_F_* this host lacks (non-zero only with allow_weaker). */
unsigned wf_sbx_ctx_missing(const wf_sbx_ctx_t *ctx);
/* Writes the names of the missing features in `mask` ("user namespaces, pids
 * cgroup controller") into buf. */
void wf_sbx_features_describe(unsigned mask, char *buf, size_t len);
/* "v1", "v2" or "none". */
const char *wf_sbx_ctx_cgroup_mode(const wf_sbx_ctx_t *ctx);
/* Releases the namespaces and removes the cgroup parent. Runs must be gone. */
void wf_sbx_ctx_destroy(wf_sbx_ctx_t *ctx);

/* ---- describing a run ---------------------------------------------------- */

typedef enum { WF_SBX_NET_NONE = 0, WF_SBX_NET_HOST } wf_sbx_net_t;

/* Limits, each a row of the table in spec.c (name, unit, bounds). 0 = unset. */
typedef enum {
    WF_SBX_LIMIT_MEMORY = 0, /* bytes (cgroup memory limit; swap included) */
    WF_SBX_LIMIT_CPU,        /* CPU seconds per process (RLIMIT_CPU) */
    WF_SBX_LIMIT_CPU_QUOTA,  /* thousandths of a core (cgroup cpu quota) */
    WF_SBX_LIMIT_PIDS,       /* processes + threads (cgroup pids.max) */
    WF_SBX_LIMIT_FSIZE,      /* largest file written, bytes */
    WF_SBX_LIMIT_NOFILE,     /* open files per process */
    WF_SBX_LIMIT_TMP,        /* size of the private /tmp, bytes */
    WF_SBX_LIMIT_TIMEOUT,    /* wall clock, milliseconds */
    WF_SBX_LIMIT_GRACE,      /* SIGTERM to SIGKILL, milliseconds */
    WF_SBX_LIMIT_DISK,       /* bytes /work and /tmp may hold together (one tmpfs); 0 =
                                /work on work_base's disk and /tmp its own tmpfs */
    WF_SBX_LIMIT_COUNT
} wf_sbx_limit_t;

/* A new spec with defaults: 64 MiB /tmp, 256 pids, 1024 files, 1 s grace,
 * hostname "sandbox", no network, cwd /work, no disk budget.
 *
 * With a disk budget (WF_SBX_LIMIT_DISK), /work and /tmp are two
 * directories of one size-limited tmpfs made for the run: a task writing past
 * the budget gets ENOSPC, the host's disk is never touched, and its pages are
 * charged to the run's memory cgroup (so the memory limit, when lower, is
 * reached first). The tmpfs is not mounted anywhere on the host: the handle
 * holds it through a descriptor, and wf_sbx_workdir() names it as
 * /proc/self/fd/N/work until wf_sbx_destroy(). Not with wf_sbx_spec_workdir()
 * (then only /tmp is a tmpfs, of WF_SBX_LIMIT_TMP) nor wf_sbx_spec_output()
 * (its move needs the work dir on work_base's file system). */
wf_sbx_spec_t *wf_sbx_spec_create(void);
void wf_sbx_spec_destroy(wf_sbx_spec_t *spec);
/* Each setter copies its arguments and returns 0, or -1 with errno EINVAL
 * for a bad value (relative or ".." paths, out-of-bounds limit); the file and
 * stdin setters also with ENOMEM when there is no room for the content. */
int wf_sbx_spec_arg(wf_sbx_spec_t *spec, const char *arg);
int wf_sbx_spec_env(wf_sbx_spec_t *spec, const char *name_eq_value); /* nothing inherited */
int wf_sbx_spec_cwd(wf_sbx_spec_t *spec, const char *inside_path);
int wf_sbx_spec_hostname(wf_sbx_spec_t *spec, const char *name);
void wf_sbx_spec_net(wf_sbx_spec_t *spec, wf_sbx_net_t net);
/* Binds host `src` at `dst` inside (dst NULL = same path); read-only unless rw. */
int wf_sbx_spec_bind(wf_sbx_spec_t *spec, const char *src, const char *dst, bool rw);
/* Places a file at `rel` (relative to the work dir /work) before start. */
int wf_sbx_spec_file(wf_sbx_spec_t *spec, const char *rel, const void *data, size_t len,
                     mode_t mode);
/* Places a copy of what the open file `fd` holds (from its start, read
 * when the sandbox is built, in 1 MiB pieces: large inputs never pass
 * through memory) at `rel`. The spec keeps its own descriptor. */
int wf_sbx_spec_file_fd(wf_sbx_spec_t *spec, const char *rel, int fd, mode_t mode);
/* After the run, moves the directory /work/`rel` to host path `dest` (same
 * file system as work_base). Its entries may be symlinks: read with O_NOFOLLOW. */
int wf_sbx_spec_output(wf_sbx_spec_t *spec, const char *rel, const char *dest);
int wf_sbx_spec_stdin(wf_sbx_spec_t *spec, const void *data, size_t len);
/* Uses the existing host directory `host_dir` as /work instead of a fresh
 * one (`weftd sandbox --workdir`); it must be writable by the task's host id
 * (host_id_base + 1000) for the task to write there. It is not removed. */
int wf_sbx_spec_workdir(wf_sbx_spec_t *spec, const char *host_dir);
int wf_sbx_spec_limit(wf_sbx_spec_t *spec, wf_sbx_limit_t which, int64_t value);
int64_t wf_sbx_spec_get_limit(const wf_sbx_spec_t *spec, wf_sbx_limit_t which);
/* Limit name ("memory", "cpu", ...) for messages and option parsing; -1 if unknown. */
const char *wf_sbx_limit_name(wf_sbx_limit_t which);
int wf_sbx_limit_by_name(const char *name);

/* ---- running --------------------------------------------------------------- */

enum {
    WF_SBX_HIT_MEMORY = 1 << 0, /* memory limit reached (allocation failed or OOM kill) */
    WF_SBX_HIT_PIDS = 1 << 1,   /* a fork was refused by pids.max */
    WF_SBX_HIT_CPU = 1 << 2,    /* killed by the CPU-seconds limit */
    WF_SBX_HIT_FSIZE = 1 << 3,  /* a write went past the file size limit */
    WF_SBX_HIT_DISK = 1 << 4,   /* /work and /tmp ended full (the disk budget) */
};

typedef struct wf_sbx_result {
    int exit_code;         /* 0..255 when the task exited, -1 when signalled; on a
                              set-up failure 125, or 127/126 when the command
                              was not found / not executable */
    int signal;            /* signal that ended the task, or 0 */
    bool timed_out;        /* killed at the wall-clock timeout */
    bool oom_killed;       /* killed by the memory limit */
    bool setup_failed;     /* the sandbox could not be built; see error */
    unsigned limits_hit;   /* WF_SBX_HIT_* */
    int64_t cpu_usec;      /* user + system CPU of the whole sandbox */
    int64_t peak_memory;   /* bytes; cgroup peak, else largest process RSS */
    int64_t duration_usec; /* start to end, wall clock */
    char error[256];       /* set-up or collection problem, "" when none */
} wf_sbx_result_t;

/* Starts a run. Never blocks on the child. Returns 0 with *out set, or -1
 * with a message in err (spec errors, missing host paths, fork failure). */
int wf_sbx_start(wf_sbx_ctx_t *ctx, const wf_sbx_spec_t *spec, wf_sbx_t **out, char *err,
                 size_t errlen);

/* Fds for the caller's event loop (all non-blocking, close-on-exec, owned by
 * the handle). stdout/stderr return -1 once EOF was seen; stdin -1 when all
 * data was written. */
int wf_sbx_pidfd(const wf_sbx_t *sb);
int wf_sbx_stdout_fd(const wf_sbx_t *sb);
int wf_sbx_stderr_fd(const wf_sbx_t *sb);
int wf_sbx_stdin_fd(const wf_sbx_t *sb);
int wf_sbx_timer_fd(const wf_sbx_t *sb);
/* Host pid of the sandbox's init (for logs). */
pid_t wf_sbx_pid(const wf_sbx_t *sb);
/* Path of the work dir (/work inside) for this process; valid until destroy. */
const char *wf_sbx_workdir(const wf_sbx_t *sb);

/* Reads what is available from stdout (which=1) or stderr (2) into buf.
 * Returns bytes read, 0 at EOF, -1 with errno EAGAIN. At EOF the fd stays
 * open: a caller watching it with epoll removes it from its set first, then
 * calls wf_sbx_close_stream(). (Closed first, the fd could not be removed:
 * epoll keeps the registration of a closed fd while another process still
 * holds the file — a sandbox being cloned at that moment does — and would go
 * on reporting it to a watcher whose memory is gone.) */
ssize_t wf_sbx_read(wf_sbx_t *sb, int which, void *buf, size_t len);
/* Closes stdout (which=1) or stderr (2) after EOF; destroy closes it too. */
void wf_sbx_close_stream(wf_sbx_t *sb, int which);
/* Writes more stdin when the stdin fd is writable. Returns 0 or -1. */
int wf_sbx_pump_stdin(wf_sbx_t *sb);
/* Call when the timer fd is readable: SIGTERM at the timeout, SIGKILL after the grace. */
void wf_sbx_on_timer(wf_sbx_t *sb);
/* SIGTERM to every process of the sandbox now, SIGKILL after the grace. */
void wf_sbx_kill(wf_sbx_t *sb);
/* Call when the pidfd is readable. Returns 1 and fills `res` when the run has
 * ended (also collects the output dir), 0 when it has not yet. */
int wf_sbx_reap(wf_sbx_t *sb, wf_sbx_result_t *res);

/* Blocking wrapper: pumps stdin, passes output chunks to `sink` (which: 1
 * stdout, 2 stderr), enforces the timeout, and fills `res`. When a signal
 * interrupts the wait, sink is called with which 0 (it may wf_sbx_kill).
 * Returns 0 or -1. */
typedef void (*wf_sbx_sink_fn)(int which, const char *data, size_t len, void *arg);
int wf_sbx_wait(wf_sbx_t *sb, wf_sbx_result_t *res, wf_sbx_sink_fn sink, void *arg);

/* Kills what is left, removes the cgroup and the per-run directory, closes fds. */
void wf_sbx_destroy(wf_sbx_t *sb);

/* Shell-style exit status of a result: the exit code, or 128 + signal. */
int wf_sbx_exit_status(const wf_sbx_result_t *res);

#endif
