/* Internals shared by the sandbox modules (not for callers: see sandbox/sbx.h). */
#ifndef WF_SBX_INT_H
#define WF_SBX_INT_H

#include <limits.h>
#include <linux/filter.h>
#include <sys/resource.h>

#include "sandbox/sbx.h"

/* Ids inside the user namespace: init runs as 0, the task as WF_SBX_TASK_ID.
 * Outside they are host_id_base + id, never host root. */
#define WF_SBX_TASK_ID 1000
#define WF_SBX_ID_RANGE 65536

/* ---- spec (spec.c) --------------------------------------------------------- */

typedef struct sbx_bind {
    char *src, *dst;
    bool rw;
} sbx_bind_t;

typedef struct sbx_file {
    char *rel;
    char *data;
    size_t len;
    mode_t mode;
    int src_fd; /* >= 0: the content is this file's (wf_sbx_spec_file_fd), not data */
} sbx_file_t;

struct wf_sbx_spec {
    char **argv; /* NULL-terminated */
    size_t argc;
    char **envp; /* NULL-terminated */
    size_t envc;
    char *cwd;
    char *hostname;
    wf_sbx_net_t net;
    sbx_bind_t *binds;
    size_t n_binds;
    sbx_file_t *files;
    size_t n_files;
    char *out_rel, *out_dest;
    char *work_host; /* existing host dir used as /work, or NULL for a fresh one */
    char *stdin_data;
    size_t stdin_len;
    int64_t limits[WF_SBX_LIMIT_COUNT];
};

/* True for an absolute path without "." or ".." components or "//". */
bool sbx_path_clean_abs(const char *p);
/* True for a relative path without "." or ".." components. */
bool sbx_path_clean_rel(const char *p);

/* ---- seccomp filter (filter.c) ----------------------------------------------- */

/* Builds the deny-list filter with libseccomp and exports it as a BPF
 * program (allocated; free prog->filter). Returns 0 or -1. */
int sbx_filter_build(struct sock_fprog *prog, char *err, size_t errlen);

/* ---- cgroups (cgroup.c) ------------------------------------------------------- */

enum { SBX_CG_MEMORY = 0, SBX_CG_PIDS, SBX_CG_CPU, SBX_CG_CPUACCT, SBX_CG_N };

typedef struct sbx_cg_root {
    int mode;                       /* 0 none, 1 v1 (one hierarchy per controller), 2 v2 */
    char base[SBX_CG_N][PATH_MAX];  /* v1: per controller; v2: base[0] only */
    bool have[SBX_CG_N];            /* controller usable */
    bool swap_files;                /* v1 memory.memsw.* / v2 memory.swap.max exist */
} sbx_cg_root_t;

typedef struct sbx_cg_run {
    char path[SBX_CG_N][PATH_MAX]; /* "" when not created */
    int procs_fd[SBX_CG_N];        /* open cgroup.procs, -1 when none */
} sbx_cg_run_t;

/* Detects the layout and creates the parent cgroup(s). Sets the WF_SBX_F_CG_*
 * bits of what is unavailable in *missing. Returns 0 (also when nothing is
 * usable), -1 only on an unexpected error with a message. */
int sbx_cg_init(sbx_cg_root_t *root, const char *parent, unsigned without, unsigned *missing,
                char *err, size_t errlen);
void sbx_cg_dispose(sbx_cg_root_t *root);
/* Creates the run's cgroup(s), writes the limits and opens cgroup.procs. */
int sbx_cg_run_create(const sbx_cg_root_t *root, sbx_cg_run_t *run, const char *name,
                      const int64_t *limits, char *err, size_t errlen);
/* In the child: joins the run's cgroups (no allocation). Returns 0 or -errno. */
int sbx_cg_run_enter(const sbx_cg_run_t *run);
/* In the parent after clone: closes the cgroup.procs fds. */
void sbx_cg_run_close(sbx_cg_run_t *run);
/* Fills cpu, peak memory, oom and limit-hit fields from the counters. */
void sbx_cg_run_stats(const sbx_cg_root_t *root, const sbx_cg_run_t *run, wf_sbx_result_t *res);
/* Kills every process in the run's cgroups (v2 cgroup.kill, else signals). */
void sbx_cg_run_kill(const sbx_cg_root_t *root, const sbx_cg_run_t *run);
/* Removes the run's cgroups (waits briefly for exiting processes). */
void sbx_cg_run_destroy(sbx_cg_run_t *run);

/* ---- context (ctx.c) --------------------------------------------------------- */

typedef struct sbx_hostdir {
    const char *path; /* "/bin", "/lib64", ... */
    int kind;         /* 0 absent, 1 directory (bind read-only), 2 symlink */
    char target[PATH_MAX];
} sbx_hostdir_t;

#define SBX_N_HOSTDIRS 7
#define SBX_N_ETC_BOUND 2
extern const char *const sbx_etc_bound[SBX_N_ETC_BOUND];

struct wf_sbx_ctx {
    wf_sbx_ctx_opts_t opts;
    char *work_base;
    char *cgroup_parent;
    unsigned missing;
    struct sock_fprog filter;
    int userns_fd; /* pre-made user namespace (ids mapped to host_id_base), or -1 */
    int netns_fd;  /* pre-made empty network namespace with loopback up, or -1 */
    int self_pidfd;
    char etc_dir[PATH_MAX]; /* minimal /etc, made once, bound read-only into every run */
    bool etc_mounted;       /* etc_dir is its own tmpfs (unmounted by destroy) */
    bool etc_bound[SBX_N_ETC_BOUND]; /* host /etc dirs bound inside it */
    sbx_hostdir_t hostdirs[SBX_N_HOSTDIRS];
    sbx_cg_root_t cg;
    uint64_t seq;
};

/* snprintf(3) for paths: 0, or -1 with errno ENAMETOOLONG when the result
 * does not fit in `len` bytes (a cut path would name another file). */
int sbx_path_fmt(char *dst, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Calls `fn` with the path of each directory in `dir` left by a process that
 * no longer exists ("weft-sandbox-<pid>..."): what a killed executor could
 * not remove itself. */
void sbx_sweep_dead(const char *dir, void (*fn)(const char *path));
/* Brings the loopback interface of the current network namespace up. */
int sbx_loopback_up(void);
/* True for "weft-sandbox-<pid>..." when process <pid> no longer exists. */
bool sbx_owner_dead(const char *name);
/* Removes a directory tree without following symlinks or crossing mounts. */
void sbx_remove_tree(const char *path);

/* ---- the child side (child.c) ------------------------------------------------- */

/* One step of the mount set-up, computed by the parent so that the child
 * only makes system calls (no allocation: the parent may be multi-threaded). */
typedef enum {
    SBX_OP_MOUNT,     /* mount(src, dst, fstype, flags, data) */
    SBX_OP_REMOUNT,   /* mount(NULL, dst, NULL, MS_REMOUNT|MS_BIND|flags, NULL) */
    SBX_OP_MKDIR,     /* mkdir(dst, mode); EEXIST is fine */
    SBX_OP_TOUCH,     /* creat a bind target file at dst; EEXIST is fine */
    SBX_OP_SYMLINK,   /* symlink(src, dst) */
    SBX_OP_MKNOD,     /* mknod(dst, S_IFCHR|mode, dev) */
    SBX_OP_ATTACH,    /* move_mount(fd, "", dst): attach a mount made by the parent */
    SBX_OP_UMOUNT,    /* umount2(dst, MNT_DETACH) */
    SBX_OP_RMDIR,     /* rmdir(dst) */
    SBX_OP_UNLINK,    /* unlink(dst) */
} sbx_op_kind_t;

typedef struct sbx_op {
    sbx_op_kind_t kind;
    const char *src, *dst, *fstype, *data;
    unsigned long flags;
    mode_t mode;
    dev_t dev;
    int fd;           /* SBX_OP_ATTACH: the detached mount */
    const char *what; /* for messages: "bind /usr" */
} sbx_op_t;

/* Report from the child through the report pipe (fixed size: atomic write). */
enum { SBX_MSG_SETUP = 1, SBX_MSG_STATUS = 2 };
typedef struct sbx_msg {
    int type;
    int step; /* SBX_STEP_* for SETUP */
    int op;   /* index in ops for mount steps, else -1 */
    int err;  /* errno */
    int status; /* wait status of the task for STATUS */
    struct rusage ru;
} sbx_msg_t;

/* Set-up steps, in order, for error messages (table in child.c). */
enum {
    SBX_STEP_PARENT = 0,
    SBX_STEP_CGROUP,
    SBX_STEP_MOUNT,
    SBX_STEP_PIVOT,
    SBX_STEP_NET,
    SBX_STEP_UTS,
    SBX_STEP_USERNS,
    SBX_STEP_FDS,
    SBX_STEP_FORK,
    SBX_STEP_IDS,
    SBX_STEP_CAPS,
    SBX_STEP_NNP,
    SBX_STEP_RLIMIT,
    SBX_STEP_CWD,
    SBX_STEP_SECCOMP,
    SBX_STEP_EXEC,
    SBX_STEP_COUNT
};
const char *sbx_step_name(int step);

/* Everything the child needs, prepared by the parent before clone. */
typedef struct sbx_plan {
    const wf_sbx_ctx_t *ctx;
    const wf_sbx_spec_t *spec;
    const sbx_cg_run_t *cg;
    sbx_op_t *ops;
    size_t n_ops;
    const char *newroot;  /* host path the root tmpfs is mounted on */
    const char *path_env; /* PATH value used to find argv[0] */
    int fd_stdin, fd_stdout, fd_stderr, fd_report; /* child ends */
    struct rlimit rl[RLIM_NLIMITS];
    bool rl_set[RLIM_NLIMITS];
} sbx_plan_t;

/* Runs in the cloned child (pid 1 of the new pid namespace). Never returns. */
__attribute__((noreturn)) void sbx_child_main(const sbx_plan_t *plan);

#endif
