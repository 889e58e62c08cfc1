/* The child side of a sandbox: runs in the process cloned by wf_sbx_start()
 * with new pid, mount, ipc and uts namespaces, builds the sandbox in a fixed
 * order, then becomes the tiny init of the pid namespace and forks the task.
 *
 * The parent may be multi-threaded, so this code never allocates and never
 * uses stdio: everything (paths, argv, envp, mount steps) was prepared by the
 * parent, and children are made with the raw clone system call (no atfork
 * handlers that could wait on a lock held by another thread of the parent).
 * Credentials are changed with the raw system calls: glibc's setresuid and
 * friends would try to change the ids of every thread of the parent (which
 * do not exist here) and wait for them forever.
 * Failures are written to the report pipe as (step, op, errno). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/seccomp.h>

#include "sandbox/sbx_int.h"

/* Exit code of the init when the sandbox could not be built. */
#define SBX_SETUP_EXIT 125

static const char *const step_names[SBX_STEP_COUNT] = {
    [SBX_STEP_PARENT] = "parent",
    [SBX_STEP_CGROUP] = "joining the cgroup",
    [SBX_STEP_MOUNT] = "mount namespace",
    [SBX_STEP_PIVOT] = "pivot_root",
    [SBX_STEP_NET] = "network namespace",
    [SBX_STEP_UTS] = "hostname",
    [SBX_STEP_USERNS] = "user namespace",
    [SBX_STEP_FDS] = "closing inherited fds",
    [SBX_STEP_FORK] = "forking the task",
    [SBX_STEP_IDS] = "switching to the task ids",
    [SBX_STEP_CAPS] = "dropping capabilities",
    [SBX_STEP_NNP] = "no_new_privs",
    [SBX_STEP_RLIMIT] = "rlimits",
    [SBX_STEP_CWD] = "working directory",
    [SBX_STEP_SECCOMP] = "seccomp filter",
    [SBX_STEP_EXEC] = "execve",
};

const char *sbx_step_name(int step)
{
    return step >= 0 && step < SBX_STEP_COUNT ? step_names[step] : "?";
}

__attribute__((noreturn)) static void fail(int fd, int step, int op, int err)
{
    sbx_msg_t m;
    memset(&m, 0, sizeof(m));
    m.type = SBX_MSG_SETUP;
    m.step = step;
    m.op = op;
    m.err = err;
    if (write(fd, &m, sizeof(m)) < 0) {
        /* nobody left to tell */
    }
    _exit(SBX_SETUP_EXIT);
}

static int raw_setids(uid_t uid, gid_t gid)
{
    if (syscall(SYS_setresgid, gid, gid, gid) != 0)
        return -1;
    return (int)syscall(SYS_setresuid, uid, uid, uid);
}

static pid_t raw_fork(void)
{
    return (pid_t)syscall(SYS_clone, (unsigned long)SIGCHLD, 0UL, 0UL, 0UL, 0UL);
}

static int run_op(const sbx_op_t *op)
{
    int fd;
    switch (op->kind) {
    case SBX_OP_MOUNT:
        return mount(op->src, op->dst, op->fstype, op->flags, op->data);
    case SBX_OP_REMOUNT:
        return mount(NULL, op->dst, NULL, MS_REMOUNT | MS_BIND | op->flags, NULL);
    case SBX_OP_MKDIR:
        return mkdir(op->dst, op->mode) == 0 || errno == EEXIST ? 0 : -1;
    case SBX_OP_TOUCH:
        fd = open(op->dst, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0444);
        if (fd < 0)
            return errno == EEXIST ? 0 : -1;
        close(fd);
        return 0;
    case SBX_OP_SYMLINK:
        return symlink(op->src, op->dst);
    case SBX_OP_MKNOD:
        return mknod(op->dst, S_IFCHR | op->mode, op->dev);
    case SBX_OP_ATTACH:
        return (int)syscall(SYS_move_mount, op->fd, "", AT_FDCWD, op->dst,
                            MOVE_MOUNT_F_EMPTY_PATH);
    case SBX_OP_UMOUNT:
        return umount2(op->dst, MNT_DETACH);
    case SBX_OP_RMDIR:
        return rmdir(op->dst);
    case SBX_OP_UNLINK:
        return unlink(op->dst);
    }
    errno = EINVAL;
    return -1;
}

/* Tries each PATH directory like execvp, without allocating. */
static int exec_task(const sbx_plan_t *p)
{
    const char *file = p->spec->argv[0];
    char *const *argv = p->spec->argv;
    char *const *envp = p->spec->envp;
    if (strchr(file, '/') != NULL) {
        execve(file, argv, envp);
        return errno;
    }
    char buf[PATH_MAX];
    size_t flen = strlen(file);
    int best = ENOENT;
    for (const char *d = p->path_env; d != NULL;) {
        const char *e = strchr(d, ':');
        size_t dlen = e ? (size_t)(e - d) : strlen(d);
        if (dlen > 0 && dlen + flen + 2 <= sizeof(buf)) {
            memcpy(buf, d, dlen);
            buf[dlen] = '/';
            memcpy(buf + dlen + 1, file, flen + 1);
            execve(buf, argv, envp);
            if (errno == EACCES)
                best = EACCES;
            else if (errno != ENOENT && errno != ENOTDIR)
                return errno;
        }
        d = e ? e + 1 : NULL;
    }
    return best;
}

/* The task: drops everything it must not have, loads the filter, execs. */
__attribute__((noreturn)) static void task_main(const sbx_plan_t *p, int rep)
{
    const wf_sbx_ctx_t *ctx = p->ctx;
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    /* Capabilities: the bounding set first (needs CAP_SETPCAP, which we
     * still hold), so that nothing exec'd later can regain a capability;
     * then the ids, then the remaining sets are emptied explicitly. */
    for (int cap = 0; cap <= 63; cap++)
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
            fail(rep, SBX_STEP_CAPS, -1, errno);
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0)
        fail(rep, SBX_STEP_CAPS, -1, errno);

    /* Ids: the unprivileged task id of the user namespace (host_id_base +
     * WF_SBX_TASK_ID outside); without user namespaces, that host id directly. */
    uid_t id = ctx->userns_fd >= 0 ? WF_SBX_TASK_ID : ctx->opts.host_id_base + WF_SBX_TASK_ID;
    if (raw_setids(id, id) != 0)
        fail(rep, SBX_STEP_IDS, -1, errno);
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof(data));
    if (syscall(SYS_capset, &hdr, data) != 0)
        fail(rep, SBX_STEP_CAPS, -1, errno);

    /* no_new_privs: setuid binaries and file capabilities grant nothing,
     * and it allows loading the filter without CAP_SYS_ADMIN. */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        fail(rep, SBX_STEP_NNP, -1, errno);

    for (int r = 0; r < RLIM_NLIMITS; r++)
        if (p->rl_set[r] && setrlimit(r, &p->rl[r]) != 0)
            fail(rep, SBX_STEP_RLIMIT, r, errno);

    if (chdir(p->spec->cwd) != 0)
        fail(rep, SBX_STEP_CWD, -1, errno);

    /* seccomp last: from here on even our own set-up calls would be filtered.
     * Only execve and the failure report remain. */
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &ctx->filter) != 0)
        fail(rep, SBX_STEP_SECCOMP, -1, errno);

    int e = exec_task(p);
    fail(rep, SBX_STEP_EXEC, -1, e);
}

/* pid 1 of the sandbox: reaps every orphan, forwards termination signals to
 * the whole namespace, and when the task ends reports its status and exits,
 * which makes the kernel kill whatever the task left behind. */
__attribute__((noreturn)) static void init_loop(pid_t task, int rep)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGQUIT);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    int status = 0;
    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(&set, &si);
        if (sig < 0)
            continue;
        if (sig == SIGCHLD) {
            bool done = false;
            pid_t w;
            int st;
            while ((w = waitpid(-1, &st, WNOHANG)) > 0)
                if (w == task) {
                    status = st;
                    done = true;
                }
            if (done)
                break;
        } else if (sig == SIGUSR1 || sig == SIGUSR2) {
            kill(task, sig);
        } else {
            kill(-1, sig); /* every process of the namespace but init */
        }
    }
    sbx_msg_t m;
    memset(&m, 0, sizeof(m));
    m.type = SBX_MSG_STATUS;
    m.status = status;
    getrusage(RUSAGE_CHILDREN, &m.ru);
    if (write(rep, &m, sizeof(m)) < 0) {
        /* the parent is gone; nothing to report to */
    }
    _exit(0);
}

/* Moves the four fds the sandbox keeps to 0..3 and closes everything else. */
static int settle_fds(const sbx_plan_t *p)
{
    int src[4] = {p->fd_stdin, p->fd_stdout, p->fd_stderr, p->fd_report};
    int hi[4];
    /* First above every target, so no dup2 below clobbers a source. */
    for (int i = 0; i < 4; i++)
        if ((hi[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 4)) < 0)
            return -1;
    for (int i = 0; i < 3; i++)
        if (dup2(hi[i], i) < 0)
            return -1;
    if (dup3(hi[3], 3, O_CLOEXEC) < 0)
        return -1;
    return (int)syscall(SYS_close_range, 4U, ~0U, 0U);
}

/* The sandbox dies with the thread that started it: SIGKILL on its death,
 * and a look at its pidfd in case it died before the prctl. */
static void die_with_parent(const wf_sbx_ctx_t *ctx, int rep)
{
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
        fail(rep, SBX_STEP_PARENT, -1, errno);
    if (ctx->self_pidfd >= 0) {
        struct pollfd pf = {ctx->self_pidfd, POLLIN, 0};
        if (poll(&pf, 1, 0) > 0)
            _exit(SBX_SETUP_EXIT);
    }
}

void sbx_child_main(const sbx_plan_t *p)
{
    const wf_sbx_ctx_t *ctx = p->ctx;
    int rep = p->fd_report;

    /* 0. Parent death: the sandbox dies with the thread that started it. The
     *    parent may have died before the prctl; its pidfd tells. */
    die_with_parent(ctx, rep);

    /* 1. cgroup first, so every later allocation and fork is accounted and
     *    limited. (The parent made it and wrote the limits.) */
    int e = sbx_cg_run_enter(p->cg);
    if (e != 0)
        fail(rep, SBX_STEP_CGROUP, -1, -e);

    /* 2. The user namespace order: the pid, mount, ipc and uts namespaces
     *    were created by clone while we are still host root, so they are
     *    owned by the initial user namespace. The task later enters the
     *    pre-made unprivileged user namespace, in which no capability it
     *    could ever regain applies to any namespace it lives in. */

    /* 3. Mount namespace: private propagation, a tmpfs root with read-only
     *    system binds, /etc, /dev, /proc, /tmp, /work and the caller's binds,
     *    then the root itself read-only. umask 0 so modes are exact. */
    umask(0);
    for (size_t i = 0; i < p->n_ops; i++)
        if (run_op(&p->ops[i]) != 0)
            fail(rep, SBX_STEP_MOUNT, (int)i, errno);
    umask(022);

    /* 4. pivot_root into it and detach the old root entirely, so no path
     *    leads back to the host file system. */
    if (chdir(p->newroot) != 0 || syscall(SYS_pivot_root, ".", ".") != 0 ||
        umount2(".", MNT_DETACH) != 0 || chdir("/") != 0)
        fail(rep, SBX_STEP_PIVOT, -1, errno);

    /* 5. Network: a fresh namespace with loopback up (the default: nothing
     *    shared with other runs, not even 127.0.0.1 or abstract Unix
     *    sockets), the context's shared empty one, or the host's when the
     *    policy allows. Made here, by host root before the user namespace,
     *    so the task holds no capability over it. */
    if (p->spec->net == WF_SBX_NET_NONE) {
        if (ctx->netns_fd >= 0 && !ctx->opts.fresh_netns) {
            if (setns(ctx->netns_fd, CLONE_NEWNET) != 0)
                fail(rep, SBX_STEP_NET, -1, errno);
        } else if (unshare(CLONE_NEWNET) != 0 || sbx_loopback_up() != 0) {
            fail(rep, SBX_STEP_NET, -1, errno);
        }
    }

    /* 6. ipc and uts: new since clone; give the uts one its hostname. */
    if (sethostname(p->spec->hostname, strlen(p->spec->hostname)) != 0)
        fail(rep, SBX_STEP_UTS, -1, errno);

    /* 7. User namespace: drop the host's supplementary groups while we may,
     *    then enter the unprivileged namespace as its root (host_id_base). */
    if (syscall(SYS_setgroups, 0, NULL) != 0)
        fail(rep, SBX_STEP_USERNS, -1, errno);
    if (ctx->userns_fd >= 0) {
        if (setns(ctx->userns_fd, CLONE_NEWUSER) != 0 || raw_setids(0, 0) != 0)
            fail(rep, SBX_STEP_USERNS, -1, errno);
        /* Changing the effective ids cleared the parent-death signal: set it
         * again, and check once more that the parent did not die meanwhile. */
        die_with_parent(ctx, rep);
    }

    /* 8. fds: stdio pipes on 0-2, the report pipe on 3 (close-on-exec),
     *    every other inherited fd closed. */
    if (settle_fds(p) != 0)
        fail(rep, SBX_STEP_FDS, -1, errno);
    rep = 3;

    /* 9. The task. Signals stay blocked in init for sigwaitinfo; the task
     *    unblocks them. Then rlimits, ids, capabilities, no_new_privs and
     *    seccomp happen in the task (task_main). */
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL);
    pid_t task = raw_fork();
    if (task < 0)
        fail(rep, SBX_STEP_FORK, -1, errno);
    if (task == 0)
        task_main(p, rep);
    /* init keeps no stdio: the output pipes reach EOF when the task's
     * processes are gone. */
    syscall(SYS_close_range, 0U, 2U, 0U);
    init_loop(task, rep);
}
