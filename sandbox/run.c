/* Running one sandbox: the parent side. wf_sbx_start() prepares the per-run
 * directory, the cgroup, the pipes and the mount plan, then clones the child
 * (sandbox/child.c) and returns at once; the caller's event loop watches the
 * pidfd, the output pipes and the timer fd. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "platform/xmalloc.h"
#include "sandbox/sbx_int.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

enum { PHASE_RUNNING = 0, PHASE_TERM_SENT, PHASE_KILL_SENT };

struct wf_sbx {
    wf_sbx_ctx_t *ctx;
    pid_t pid;
    int pidfd, out_fd, err_fd, in_fd, timer_fd, report_fd;
    int phase;
    bool reaped, timed_out;
    int64_t limits[WF_SBX_LIMIT_COUNT];
    char *rundir, *rootdir, *workdir;
    int disk_fd; /* the detached tmpfs holding /work and /tmp (disk budget), or -1 */
    const char *argv0;
    char *out_rel, *out_dest;
    char *stdin_buf;
    size_t stdin_len, stdin_off;
    sbx_cg_run_t cg;
    sbx_op_t *ops;
    size_t n_ops, cap_ops;
    char **strs; /* strings owned for the ops */
    size_t n_strs;
    struct timespec t0;
};

/* A string owned by the run (freed with it). */
static char *fmt(wf_sbx_t *sb, const char *f, ...) __attribute__((format(printf, 2, 3)));
static char *fmt(wf_sbx_t *sb, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    char *s = wf_xvasprintf(f, ap);
    va_end(ap);
    sb->strs = wf_xreallocarray(sb->strs, sb->n_strs + 1, sizeof(char *));
    sb->strs[sb->n_strs++] = s;
    return s;
}

static sbx_op_t *add_op(wf_sbx_t *sb, sbx_op_kind_t kind, const char *what)
{
    if (sb->n_ops == sb->cap_ops) {
        sb->cap_ops = sb->cap_ops ? sb->cap_ops * 2 : 64;
        sb->ops = wf_xreallocarray(sb->ops, sb->cap_ops, sizeof(*sb->ops));
    }
    sbx_op_t *op = &sb->ops[sb->n_ops++];
    memset(op, 0, sizeof(*op));
    op->kind = kind;
    op->what = what;
    return op;
}

static void op_mkdir(wf_sbx_t *sb, const char *inside, mode_t mode)
{
    sbx_op_t *op = add_op(sb, SBX_OP_MKDIR, fmt(sb, "mkdir %s", inside));
    op->dst = fmt(sb, "%s%s", sb->rootdir, inside);
    op->mode = mode;
}

/* A bind mount then a remount that applies the flags (bind ignores them). */
static void op_bind(wf_sbx_t *sb, const char *src, const char *inside, unsigned long flags)
{
    const char *dst = fmt(sb, "%s%s", sb->rootdir, inside);
    sbx_op_t *op = add_op(sb, SBX_OP_MOUNT, fmt(sb, "bind %s on %s", src, inside));
    op->src = src;
    op->dst = dst;
    op->flags = MS_BIND;
    op = add_op(sb, SBX_OP_REMOUNT, fmt(sb, "remount %s", inside));
    op->dst = dst;
    op->flags = flags;
}

/* Flags a remount must keep from the source mount (and always nosuid, nodev). */
static unsigned long source_flags(const char *src)
{
    struct statvfs sv;
    unsigned long f = MS_NOSUID | MS_NODEV;
    if (statvfs(src, &sv) == 0) {
        if (sv.f_flag & ST_NOEXEC)
            f |= MS_NOEXEC;
        if (sv.f_flag & ST_RDONLY)
            f |= MS_RDONLY;
    }
    return f;
}

/* The mount plan, in order. Paths are host paths under the new root. */
static int build_ops(wf_sbx_t *sb, const wf_sbx_spec_t *spec, char *err, size_t errlen)
{
    const wf_sbx_ctx_t *ctx = sb->ctx;
    sbx_op_t *op;

    /* Nothing we mount may propagate back to the host. */
    op = add_op(sb, SBX_OP_MOUNT, "make / private");
    op->dst = "/";
    op->flags = MS_REC | MS_PRIVATE;

    /* The root: a small tmpfs holding only mount points, symlinks and the
     * device nodes; made read-only at the end. */
    op = add_op(sb, SBX_OP_MOUNT, "tmpfs /");
    op->src = "tmpfs";
    op->dst = sb->rootdir;
    op->fstype = "tmpfs";
    op->flags = MS_NOSUID;
    op->data = "size=1m,nr_inodes=4096,mode=0755";

    /* /usr and the /bin, /lib* directories or symlinks, read-only. */
    for (int i = 0; i < SBX_N_HOSTDIRS; i++) {
        const sbx_hostdir_t *h = &ctx->hostdirs[i];
        if (h->kind == 1) {
            op_mkdir(sb, h->path, 0755);
            op_bind(sb, h->path, h->path, MS_RDONLY | source_flags(h->path));
        } else if (h->kind == 2) {
            op = add_op(sb, SBX_OP_SYMLINK, fmt(sb, "symlink %s", h->path));
            op->src = h->target;
            op->dst = fmt(sb, "%s%s", sb->rootdir, h->path);
        }
    }

    /* /etc: the minimal one made by the context. */
    op_mkdir(sb, "/etc", 0755);
    op_bind(sb, ctx->etc_dir, "/etc", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
    for (int i = 0; i < SBX_N_ETC_BOUND; i++)
        if (ctx->etc_bound[i])
            op_bind(sb, fmt(sb, "/etc/%s", sbx_etc_bound[i]), fmt(sb, "/etc/%s", sbx_etc_bound[i]),
                    MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);

    /* /dev: the five harmless devices and /dev/tty, made as nodes in the
     * root tmpfs (cheaper than one bind mount each). */
    static const struct {
        const char *name;
        unsigned maj, min;
    } devs[] = {{"null", 1, 3}, {"zero", 1, 5},   {"full", 1, 7},
                {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}};
    static const struct {
        const char *name, *target;
    } links[] = {{"fd", "/proc/self/fd"},
                 {"stdin", "/proc/self/fd/0"},
                 {"stdout", "/proc/self/fd/1"},
                 {"stderr", "/proc/self/fd/2"},
                 {"shm", "/tmp"}};
    op_mkdir(sb, "/dev", 0755);
    for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++) {
        op = add_op(sb, SBX_OP_MKNOD, fmt(sb, "mknod /dev/%s", devs[i].name));
        op->dst = fmt(sb, "%s/dev/%s", sb->rootdir, devs[i].name);
        op->mode = 0666;
        op->dev = makedev(devs[i].maj, devs[i].min);
    }
    for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
        op = add_op(sb, SBX_OP_SYMLINK, fmt(sb, "symlink /dev/%s", links[i].name));
        op->src = links[i].target;
        op->dst = fmt(sb, "%s/dev/%s", sb->rootdir, links[i].name);
    }

    /* /proc of the new pid namespace (mounted by its init, which we are). */
    op_mkdir(sb, "/proc", 0555);
    op = add_op(sb, SBX_OP_MOUNT, "proc /proc");
    op->src = "proc";
    op->dst = fmt(sb, "%s/proc", sb->rootdir);
    op->fstype = "proc";
    op->flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;

    /* The host's kernel command line (boot parameters, root device, some
     * hosts' tokens) is no business of the task: an empty read-only file
     * over it, made in the root tmpfs and unlinked once bound so that
     * nothing of the host names it. The task cannot unmount it (no mount
     * rights in this namespace, and the filter refuses umount). */
    op = add_op(sb, SBX_OP_TOUCH, "create the /proc/cmdline mask");
    op->dst = fmt(sb, "%s/.cmdline", sb->rootdir);
    op_bind(sb, op->dst, "/proc/cmdline", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
    op = add_op(sb, SBX_OP_UNLINK, "unlink the /proc/cmdline mask");
    op->dst = fmt(sb, "%s/.cmdline", sb->rootdir);

    op_mkdir(sb, "/tmp", 01777);
    op_mkdir(sb, "/work", 0755);
    if (sb->disk_fd >= 0) {
        /* /work and /tmp: two directories of the run's own size-limited
         * tmpfs (the disk budget). It is attached on a scratch mount point,
         * each directory bound where the task sees it, then the scratch
         * mount is detached and its directory removed: the binds hold the
         * file system, and /proc/self/mountinfo names only "/work" and
         * "/tmp" of a tmpfs, never a host path. */
        const char *scratch = fmt(sb, "%s/.disk", sb->rootdir);
        op_mkdir(sb, "/.disk", 0700);
        op = add_op(sb, SBX_OP_ATTACH, "attach the disk budget tmpfs");
        op->fd = sb->disk_fd;
        op->dst = scratch;
        op_bind(sb, fmt(sb, "%s/work", scratch), "/work", MS_NOSUID | MS_NODEV);
        op_bind(sb, fmt(sb, "%s/tmp", scratch), "/tmp", MS_NOSUID | MS_NODEV);
        op = add_op(sb, SBX_OP_UMOUNT, "detach the disk budget scratch mount");
        op->dst = scratch;
        op = add_op(sb, SBX_OP_RMDIR, "remove the disk budget scratch mount point");
        op->dst = scratch;
    } else {
        /* /tmp: private tmpfs with a size limit (never the host's disk). */
        op = add_op(sb, SBX_OP_MOUNT, "tmpfs /tmp");
        op->src = "tmpfs";
        op->dst = fmt(sb, "%s/tmp", sb->rootdir);
        op->fstype = "tmpfs";
        op->flags = MS_NOSUID | MS_NODEV;
        op->data = fmt(sb, "size=%lld,nr_inodes=65536,mode=1777",
                       (long long)(spec->limits[WF_SBX_LIMIT_TMP] > 0
                                       ? spec->limits[WF_SBX_LIMIT_TMP]
                                       : 4096));
        /* /work: the fresh per-run directory, writable. */
        op_bind(sb, sb->workdir, "/work", MS_NOSUID | MS_NODEV);
    }

    /* The caller's binds, after the system ones so they may sit inside /usr. */
    for (size_t i = 0; i < spec->n_binds; i++) {
        const sbx_bind_t *b = &spec->binds[i];
        struct stat st;
        if (stat(b->src, &st) != 0) {
            snprintf(err, errlen, "bind %s: %s", b->src, strerror(errno));
            return -1;
        }
        if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
            snprintf(err, errlen, "bind %s: not a directory or a regular file", b->src);
            return -1;
        }
        for (const char *s = strchr(b->dst + 1, '/'); s != NULL; s = strchr(s + 1, '/'))
            op_mkdir(sb, fmt(sb, "%.*s", (int)(s - b->dst), b->dst), 0755);
        if (S_ISDIR(st.st_mode)) {
            op_mkdir(sb, b->dst, 0755);
        } else {
            op = add_op(sb, SBX_OP_TOUCH, fmt(sb, "create %s", b->dst));
            op->dst = fmt(sb, "%s%s", sb->rootdir, b->dst);
        }
        op_bind(sb, b->src, b->dst, source_flags(b->src) | (b->rw ? 0 : MS_RDONLY));
    }

    /* Finally the root read-only: the task may write only /tmp, /work and
     * its rw binds. */
    op = add_op(sb, SBX_OP_REMOUNT, "remount / read-only");
    op->dst = sb->rootdir;
    op->flags = MS_RDONLY | MS_NOSUID;
    return 0;
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Copies all of `src` (from its start) to `dst`, a piece at a time. */
static int copy_fd(int src, int dst)
{
    enum { PIECE = 1 << 20 };
    char *buf = malloc(PIECE);
    int rc = -1;
    if (buf == NULL)
        return -1;
    for (off_t off = 0;;) {
        ssize_t n = pread(src, buf, PIECE, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            goto out;
        if (n == 0)
            break;
        if (write_all(dst, buf, (size_t)n) != 0)
            goto out;
        off += n;
    }
    rc = 0;
out:
    free(buf);
    return rc;
}

/* Writes the caller's files into the work dir, owned by the task. */
static int place_files(wf_sbx_t *sb, const wf_sbx_spec_t *spec, uid_t id, char *err,
                       size_t errlen)
{
    for (size_t i = 0; i < spec->n_files; i++) {
        const sbx_file_t *f = &spec->files[i];
        char path[PATH_MAX];
        if (sbx_path_fmt(path, sizeof(path), "%s/%s", sb->workdir, f->rel) != 0)
            goto fail;
        for (char *s = strchr(path + strlen(sb->workdir) + 1, '/'); s; s = strchr(s + 1, '/')) {
            *s = '\0';
            if (mkdir(path, 0755) == 0) {
                if (chown(path, id, id) != 0)
                    goto fail;
            } else if (errno != EEXIST) {
                goto fail;
            }
            *s = '/';
        }
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
            goto fail;
        if (f->src_fd >= 0 ? copy_fd(f->src_fd, fd) != 0 : write_all(fd, f->data, f->len) != 0) {
            close(fd);
            goto fail;
        }
        int rc = fchown(fd, id, id) == 0 && fchmod(fd, f->mode) == 0 ? 0 : -1;
        close(fd);
        if (rc != 0)
            goto fail;
        continue;
    fail:
        snprintf(err, errlen, "placing %s: %s", f->rel, strerror(errno));
        return -1;
    }
    return 0;
}

/* The disk budget: a tmpfs of `bytes` made with the mount API and kept
 * detached (nothing on the host's mount table, nothing left behind if the
 * executor dies: closing the last descriptor frees it). It holds work/
 * (owned by the task) and tmp/ (sticky, for everyone). Returns the mount's
 * descriptor or -1 with errno. */
static int make_disk(int64_t bytes, uid_t task_id)
{
    int mfd = -1, e;
    int fsfd = fsopen("tmpfs", FSOPEN_CLOEXEC);
    if (fsfd < 0)
        return -1;
    char size[32], inodes[32];
    snprintf(size, sizeof(size), "%lld", (long long)bytes);
    /* One inode per 16 KiB of budget, at least 4096: a flood of empty files
     * stops at the budget too (inodes cost memory, not blocks). */
    int64_t n_inodes = bytes / 16384 > 4096 ? bytes / 16384 : 4096;
    snprintf(inodes, sizeof(inodes), "%lld", (long long)n_inodes);
    if (fsconfig(fsfd, FSCONFIG_SET_STRING, "size", size, 0) != 0 ||
        fsconfig(fsfd, FSCONFIG_SET_STRING, "nr_inodes", inodes, 0) != 0 ||
        fsconfig(fsfd, FSCONFIG_SET_STRING, "mode", "0755", 0) != 0 ||
        fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) != 0)
        goto out;
    mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
    if (mfd < 0)
        goto out;
    if (mkdirat(mfd, "work", 0700) != 0 || fchownat(mfd, "work", task_id, task_id, 0) != 0 ||
        mkdirat(mfd, "tmp", 0700) != 0 || fchmodat(mfd, "tmp", 01777, 0) != 0) {
        e = errno;
        close(mfd);
        errno = e;
        mfd = -1;
    }
out:
    e = errno;
    close(fsfd);
    errno = e;
    return mfd;
}

static void set_rlimit(sbx_plan_t *plan, int which, int64_t soft, int64_t hard)
{
    plan->rl[which].rlim_cur = (rlim_t)soft;
    plan->rl[which].rlim_max = (rlim_t)hard;
    plan->rl_set[which] = true;
}

static void arm_timer(wf_sbx_t *sb, int64_t ms)
{
    struct itimerspec its;
    memset(&its, 0, sizeof(its));
    its.it_value.tv_sec = ms / 1000;
    its.it_value.tv_nsec = (ms % 1000) * 1000000;
    if (ms <= 0)
        its.it_value.tv_nsec = 1; /* at once */
    timerfd_settime(sb->timer_fd, 0, &its, NULL);
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

int wf_sbx_start(wf_sbx_ctx_t *ctx, const wf_sbx_spec_t *spec, wf_sbx_t **out, char *err,
                 size_t errlen)
{
    int child_in = -1, child_out = -1, child_err = -1, child_rep = -1;
    int p[2];
    sbx_plan_t plan;
    memset(&plan, 0, sizeof(plan));
    if (spec->argc == 0) {
        snprintf(err, errlen, "no command to run");
        return -1;
    }
    wf_sbx_t *sb = wf_xcalloc(1, sizeof(*sb));
    sb->ctx = ctx;
    sb->pidfd = sb->out_fd = sb->err_fd = sb->in_fd = sb->timer_fd = sb->report_fd = -1;
    sb->disk_fd = -1;
    for (int c = 0; c < SBX_CG_N; c++)
        sb->cg.procs_fd[c] = -1;
    memcpy(sb->limits, spec->limits, sizeof(sb->limits));
    if (spec->out_rel) {
        sb->out_rel = wf_xstrdup(spec->out_rel);
        sb->out_dest = wf_xstrdup(spec->out_dest);
    }
    /* The copy of stdin is made before anything else: its size is the
     * caller's, and no room for it is this run's error. */
    if (spec->stdin_len > 0) {
        sb->stdin_buf = malloc(spec->stdin_len);
        if (sb->stdin_buf == NULL) {
            snprintf(err, errlen, "stdin: %s", strerror(errno));
            goto fail;
        }
        memcpy(sb->stdin_buf, spec->stdin_data, spec->stdin_len);
        sb->stdin_len = spec->stdin_len;
    }
    sb->argv0 = fmt(sb, "%s", spec->argv[0]);
    clock_gettime(CLOCK_MONOTONIC, &sb->t0);

    /* The per-run directory: root/ (mount point of the root tmpfs) and
     * work/ (the task's /work, owned by the task's host id). */
    uid_t task_host_id = ctx->opts.host_id_base + WF_SBX_TASK_ID;
    sb->rundir = fmt(sb, "%s/weft-sandbox-%d-XXXXXX", ctx->work_base, (int)getpid());
    if (mkdtemp(sb->rundir) == NULL) {
        snprintf(err, errlen, "run directory in %s: %s", ctx->work_base, strerror(errno));
        sb->rundir = NULL;
        goto fail;
    }
    sb->rootdir = fmt(sb, "%s/root", sb->rundir);
    if (mkdir(sb->rootdir, 0700) != 0) {
        snprintf(err, errlen, "run directory %s: %s", sb->rundir, strerror(errno));
        goto fail;
    }
    if (spec->limits[WF_SBX_LIMIT_DISK] > 0 && spec->work_host == NULL) {
        if (spec->out_rel != NULL) {
            snprintf(err, errlen, "an output directory needs the work dir on %s: not with a "
                                  "disk budget", ctx->work_base);
            goto fail;
        }
        sb->disk_fd = make_disk(spec->limits[WF_SBX_LIMIT_DISK], task_host_id);
        if (sb->disk_fd < 0) {
            snprintf(err, errlen, "disk budget tmpfs: %s", strerror(errno));
            goto fail;
        }
        /* The tmpfs is reached through its descriptor: a magic link of
         * this process, valid from any of its threads. */
        sb->workdir = fmt(sb, "/proc/self/fd/%d/work", sb->disk_fd);
    } else if (spec->work_host != NULL) {
        sb->workdir = fmt(sb, "%s", spec->work_host);
    } else {
        sb->workdir = fmt(sb, "%s/work", sb->rundir);
        if (mkdir(sb->workdir, 0700) != 0 || chown(sb->workdir, task_host_id, task_host_id) != 0) {
            snprintf(err, errlen, "run directory %s: %s", sb->rundir, strerror(errno));
            goto fail;
        }
    }
    if (place_files(sb, spec, task_host_id, err, errlen) != 0)
        goto fail;
    if (build_ops(sb, spec, err, errlen) != 0)
        goto fail;
    char name[64];
    /* The pid keeps names unique when a context is shared across a fork;
     * the atomic counter when it is shared by threads. */
    snprintf(name, sizeof(name), "run-%d-%llu", (int)getpid(),
             (unsigned long long)__atomic_add_fetch(&ctx->seq, 1, __ATOMIC_RELAXED));
    if (sbx_cg_run_create(&ctx->cg, &sb->cg, name, spec->limits, err, errlen) != 0)
        goto fail;

    /* Pipes: the child ends are inherited by clone and moved to 0-3 by the
     * child; the parent ends are non-blocking for the caller's loop. */
    if (pipe2(p, O_CLOEXEC) != 0)
        goto fail_errno;
    child_in = p[0];
    sb->in_fd = p[1];
    if (pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0)
        goto fail_errno;
    sb->out_fd = p[0];
    child_out = p[1];
    if (pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0)
        goto fail_errno;
    sb->err_fd = p[0];
    child_err = p[1];
    if (pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0)
        goto fail_errno;
    sb->report_fd = p[0];
    child_rep = p[1];
    fcntl(child_out, F_SETFL, 0);
    fcntl(child_err, F_SETFL, 0);
    fcntl(child_rep, F_SETFL, 0);
    fcntl(sb->in_fd, F_SETFL, O_NONBLOCK);
    sb->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (sb->timer_fd < 0)
        goto fail_errno;

    /* rlimits. Without a memory or pids cgroup (weaker mode) the per-process
     * address-space limit and the per-user process limit stand in. */
    const int64_t *L = spec->limits;
    set_rlimit(&plan, RLIMIT_CORE, 0, 0);
    if (L[WF_SBX_LIMIT_CPU] > 0) /* SIGXCPU at the limit, SIGKILL a second later */
        set_rlimit(&plan, RLIMIT_CPU, L[WF_SBX_LIMIT_CPU], L[WF_SBX_LIMIT_CPU] + 1);
    if (L[WF_SBX_LIMIT_FSIZE] > 0)
        set_rlimit(&plan, RLIMIT_FSIZE, L[WF_SBX_LIMIT_FSIZE], L[WF_SBX_LIMIT_FSIZE]);
    if (L[WF_SBX_LIMIT_NOFILE] > 0)
        set_rlimit(&plan, RLIMIT_NOFILE, L[WF_SBX_LIMIT_NOFILE], L[WF_SBX_LIMIT_NOFILE]);
    if (L[WF_SBX_LIMIT_MEMORY] > 0 && !ctx->cg.have[SBX_CG_MEMORY])
        set_rlimit(&plan, RLIMIT_AS, L[WF_SBX_LIMIT_MEMORY], L[WF_SBX_LIMIT_MEMORY]);
    if (L[WF_SBX_LIMIT_PIDS] > 0 && !ctx->cg.have[SBX_CG_PIDS])
        set_rlimit(&plan, RLIMIT_NPROC, L[WF_SBX_LIMIT_PIDS], L[WF_SBX_LIMIT_PIDS]);

    plan.ctx = ctx;
    plan.spec = spec;
    plan.cg = &sb->cg;
    plan.ops = sb->ops;
    plan.n_ops = sb->n_ops;
    plan.newroot = sb->rootdir;
    plan.path_env = "/usr/local/bin:/usr/bin:/bin";
    for (size_t i = 0; i < spec->envc; i++)
        if (strncmp(spec->envp[i], "PATH=", 5) == 0)
            plan.path_env = spec->envp[i] + 5;
    plan.fd_stdin = child_in;
    plan.fd_stdout = child_out;
    plan.fd_stderr = child_err;
    plan.fd_report = child_rep;

    /* One clone makes the pid, mount, ipc and uts namespaces and a pidfd
     * for the caller's loop; the child does the rest (sandbox/child.c). */
    unsigned long flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_PIDFD;
    int pidfd = -1;
    pid_t pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0UL, &pidfd, 0UL, 0UL);
    if (pid == 0)
        sbx_child_main(&plan);
    if (pid < 0)
        goto fail_errno;
    sb->pid = pid;
    sb->pidfd = pidfd;
    close_fd(&child_in);
    close_fd(&child_out);
    close_fd(&child_err);
    close_fd(&child_rep);
    sbx_cg_run_close(&sb->cg);

    if (L[WF_SBX_LIMIT_TIMEOUT] > 0)
        arm_timer(sb, L[WF_SBX_LIMIT_TIMEOUT]);
    if (sb->stdin_len > 0) {
        wf_sbx_pump_stdin(sb);
    } else {
        close_fd(&sb->in_fd);
    }
    *out = sb;
    return 0;

fail_errno:
    snprintf(err, errlen, "starting the sandbox: %s", strerror(errno));
fail:
    close_fd(&child_in);
    close_fd(&child_out);
    close_fd(&child_err);
    close_fd(&child_rep);
    wf_sbx_destroy(sb);
    return -1;
}

int wf_sbx_pidfd(const wf_sbx_t *sb)
{
    return sb->reaped ? -1 : sb->pidfd;
}
int wf_sbx_stdout_fd(const wf_sbx_t *sb)
{
    return sb->out_fd;
}
int wf_sbx_stderr_fd(const wf_sbx_t *sb)
{
    return sb->err_fd;
}
int wf_sbx_stdin_fd(const wf_sbx_t *sb)
{
    return sb->in_fd;
}
int wf_sbx_timer_fd(const wf_sbx_t *sb)
{
    return sb->timer_fd;
}
pid_t wf_sbx_pid(const wf_sbx_t *sb)
{
    return sb->pid;
}
const char *wf_sbx_workdir(const wf_sbx_t *sb)
{
    return sb->workdir;
}

ssize_t wf_sbx_read(wf_sbx_t *sb, int which, void *buf, size_t len)
{
    int *fd = which == 1 ? &sb->out_fd : &sb->err_fd;
    if (*fd < 0)
        return 0;
    ssize_t n;
    do
        n = read(*fd, buf, len);
    while (n < 0 && errno == EINTR);
    return n;
}

void wf_sbx_close_stream(wf_sbx_t *sb, int which)
{
    close_fd(which == 1 ? &sb->out_fd : &sb->err_fd);
}

int wf_sbx_pump_stdin(wf_sbx_t *sb)
{
    while (sb->in_fd >= 0 && sb->stdin_off < sb->stdin_len) {
        ssize_t n = write(sb->in_fd, sb->stdin_buf + sb->stdin_off, sb->stdin_len - sb->stdin_off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return 0;
        if (n < 0) { /* EPIPE: the task closed its stdin; not an error of ours */
            close_fd(&sb->in_fd);
            return 0;
        }
        sb->stdin_off += (size_t)n;
    }
    close_fd(&sb->in_fd);
    return 0;
}

static void send_signal(wf_sbx_t *sb, int sig)
{
    if (!sb->reaped && sb->pidfd >= 0)
        syscall(SYS_pidfd_send_signal, sb->pidfd, sig, NULL, 0);
}

void wf_sbx_kill(wf_sbx_t *sb)
{
    if (sb->reaped || sb->phase != PHASE_RUNNING)
        return;
    /* init forwards SIGTERM to every process of the namespace. */
    send_signal(sb, SIGTERM);
    sb->phase = PHASE_TERM_SENT;
    if (sb->limits[WF_SBX_LIMIT_GRACE] > 0) {
        arm_timer(sb, sb->limits[WF_SBX_LIMIT_GRACE]);
    } else {
        send_signal(sb, SIGKILL);
        sb->phase = PHASE_KILL_SENT;
    }
}

void wf_sbx_on_timer(wf_sbx_t *sb)
{
    uint64_t n;
    if (read(sb->timer_fd, &n, sizeof(n)) < 0 && errno == EAGAIN)
        return;
    if (sb->reaped)
        return;
    if (sb->phase == PHASE_RUNNING) {
        sb->timed_out = true;
        wf_sbx_kill(sb);
    } else if (sb->phase == PHASE_TERM_SENT) {
        /* SIGKILL to init ends the pid namespace: the kernel kills the rest. */
        send_signal(sb, SIGKILL);
        sbx_cg_run_kill(&sb->ctx->cg, &sb->cg);
        sb->phase = PHASE_KILL_SENT;
    }
}

static int64_t tv_usec(struct timeval tv)
{
    return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

/* Moves /work/<out_rel> to the destination when it is a real directory. */
static void collect_output(wf_sbx_t *sb, wf_sbx_result_t *res)
{
    if (sb->out_rel == NULL)
        return;
    int dfd = open(sb->workdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (dfd < 0) {
        snprintf(res->error, sizeof(res->error), "output: %s", strerror(errno));
        return;
    }
    if (fstatat(dfd, sb->out_rel, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno != ENOENT)
            snprintf(res->error, sizeof(res->error), "output %s: %s", sb->out_rel,
                     strerror(errno));
    } else if (!S_ISDIR(st.st_mode)) {
        snprintf(res->error, sizeof(res->error), "output %s: not a directory (ignored)",
                 sb->out_rel);
    } else if (renameat(dfd, sb->out_rel, AT_FDCWD, sb->out_dest) != 0) {
        snprintf(res->error, sizeof(res->error), "output %s -> %s: %s", sb->out_rel,
                 sb->out_dest, strerror(errno));
    }
    close(dfd);
}

/* True when the disk budget tmpfs ended (nearly) full: fewer than 64 KiB or
 * no inode left. tmpfs counts pages, so a write that hit the budget leaves
 * less than a page. */
static bool disk_full(const wf_sbx_t *sb)
{
    struct statfs sf;
    if (sb->disk_fd < 0 || fstatfs(sb->disk_fd, &sf) != 0)
        return false;
    return (uint64_t)sf.f_bavail * (uint64_t)sf.f_bsize < 65536 || sf.f_ffree == 0;
}

int wf_sbx_reap(wf_sbx_t *sb, wf_sbx_result_t *res)
{
    if (sb->reaped)
        return 1;
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    if (waitid((idtype_t)P_PIDFD, (id_t)sb->pidfd, &si, WEXITED | WNOHANG) != 0) {
        if (errno == EINTR)
            return 0;
        memset(res, 0, sizeof(*res));
        snprintf(res->error, sizeof(res->error), "waitid: %s", strerror(errno));
        res->setup_failed = true;
        sb->reaped = true;
        return 1;
    }
    if (si.si_pid == 0)
        return 0;
    sb->reaped = true;
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    memset(res, 0, sizeof(*res));
    res->exit_code = -1;
    res->duration_usec =
        (t1.tv_sec - sb->t0.tv_sec) * 1000000 + (t1.tv_nsec - sb->t0.tv_nsec) / 1000;
    res->timed_out = sb->timed_out;

    bool have_status = false;
    int setup_exit = 125; /* shell convention: 127 not found, 126 not executable */
    sbx_msg_t m;
    while (read(sb->report_fd, &m, sizeof(m)) == (ssize_t)sizeof(m)) {
        if (m.type == SBX_MSG_SETUP && !res->setup_failed) {
            res->setup_failed = true;
            const char *what = m.op >= 0 && m.step == SBX_STEP_MOUNT && (size_t)m.op < sb->n_ops
                                   ? sb->ops[m.op].what
                                   : NULL;
            if (m.step == SBX_STEP_EXEC)
                setup_exit = m.err == ENOENT ? 127 : 126;
            if (m.step == SBX_STEP_EXEC)
                snprintf(res->error, sizeof(res->error), "cannot run %s: %s", sb->argv0,
                         strerror(m.err));
            else
                snprintf(res->error, sizeof(res->error), "sandbox set-up: %s%s%s: %s",
                         sbx_step_name(m.step), what ? ": " : "", what ? what : "",
                         strerror(m.err));
        } else if (m.type == SBX_MSG_STATUS) {
            have_status = true;
            if (WIFEXITED(m.status)) {
                res->exit_code = WEXITSTATUS(m.status);
            } else if (WIFSIGNALED(m.status)) {
                res->signal = WTERMSIG(m.status);
            }
            res->cpu_usec = tv_usec(m.ru.ru_utime) + tv_usec(m.ru.ru_stime);
            res->peak_memory = (int64_t)m.ru.ru_maxrss * 1024;
        }
    }
    if (!have_status) {
        /* init itself ended: killed by us (timeout, kill) or a set-up failure. */
        if (si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED)
            res->signal = si.si_status;
        else if (!res->setup_failed)
            res->exit_code = si.si_status;
    }
    if (res->setup_failed && res->signal == 0)
        res->exit_code = setup_exit;
    sbx_cg_run_stats(&sb->ctx->cg, &sb->cg, res);
    if (res->signal == SIGXCPU ||
        (res->signal == SIGKILL && sb->limits[WF_SBX_LIMIT_CPU] > 0 && !res->oom_killed &&
         !res->timed_out && res->cpu_usec >= sb->limits[WF_SBX_LIMIT_CPU] * 1000000))
        res->limits_hit |= WF_SBX_HIT_CPU;
    if (res->signal == SIGXFSZ)
        res->limits_hit |= WF_SBX_HIT_FSIZE;
    if (res->oom_killed)
        res->limits_hit |= WF_SBX_HIT_MEMORY;
    if (disk_full(sb))
        res->limits_hit |= WF_SBX_HIT_DISK;
    /* Nothing of the run is left once init is gone; the cgroup can go now. */
    sbx_cg_run_destroy(&sb->cg);
    collect_output(sb, res);
    return 1;
}

int wf_sbx_wait(wf_sbx_t *sb, wf_sbx_result_t *res, wf_sbx_sink_fn sink, void *arg)
{
    bool done = sb->reaped;
    char buf[65536];
    while (!done || sb->out_fd >= 0 || sb->err_fd >= 0) {
        struct pollfd pf[5];
        int n = 0, ipid = -1, itimer = -1, iout = -1, ierr = -1, iin = -1;
        if (!done) {
            ipid = n;
            pf[n++] = (struct pollfd){sb->pidfd, POLLIN, 0};
            itimer = n;
            pf[n++] = (struct pollfd){sb->timer_fd, POLLIN, 0};
        }
        if (sb->out_fd >= 0) {
            iout = n;
            pf[n++] = (struct pollfd){sb->out_fd, POLLIN, 0};
        }
        if (sb->err_fd >= 0) {
            ierr = n;
            pf[n++] = (struct pollfd){sb->err_fd, POLLIN, 0};
        }
        if (sb->in_fd >= 0) {
            iin = n;
            pf[n++] = (struct pollfd){sb->in_fd, POLLOUT, 0};
        }
        if (poll(pf, (nfds_t)n, -1) < 0) {
            if (errno == EINTR) {
                if (sink)
                    sink(0, NULL, 0, arg);
                continue;
            }
            return -1;
        }
        if (iin >= 0 && pf[iin].revents)
            wf_sbx_pump_stdin(sb);
        for (int k = 0; k < 2; k++) {
            int idx = k == 0 ? iout : ierr;
            if (idx < 0 || pf[idx].revents == 0)
                continue;
            ssize_t got = wf_sbx_read(sb, k + 1, buf, sizeof(buf));
            if (got > 0 && sink)
                sink(k + 1, buf, (size_t)got, arg);
            else if (got == 0)
                wf_sbx_close_stream(sb, k + 1);
        }
        if (itimer >= 0 && pf[itimer].revents)
            wf_sbx_on_timer(sb);
        if (ipid >= 0 && pf[ipid].revents && wf_sbx_reap(sb, res) == 1) {
            done = true;
            close_fd(&sb->in_fd);
        }
    }
    return 0;
}

void wf_sbx_destroy(wf_sbx_t *sb)
{
    if (sb == NULL)
        return;
    if (sb->pidfd >= 0 && !sb->reaped) {
        /* Still running: SIGKILL to init ends the namespace; reap it. */
        syscall(SYS_pidfd_send_signal, sb->pidfd, SIGKILL, NULL, 0);
        siginfo_t si;
        while (waitid((idtype_t)P_PIDFD, (id_t)sb->pidfd, &si, WEXITED) != 0 && errno == EINTR) {
        }
        sb->reaped = true;
    }
    sbx_cg_run_close(&sb->cg);
    sbx_cg_run_destroy(&sb->cg);
    close_fd(&sb->pidfd);
    close_fd(&sb->out_fd);
    close_fd(&sb->err_fd);
    close_fd(&sb->in_fd);
    close_fd(&sb->timer_fd);
    close_fd(&sb->report_fd);
    close_fd(&sb->disk_fd); /* the last reference: the tmpfs and its files go */
    if (sb->rundir != NULL)
        sbx_remove_tree(sb->rundir);
    for (size_t i = 0; i < sb->n_strs; i++)
        free(sb->strs[i]);
    free(sb->strs);
    free(sb->ops);
    if (sb->stdin_buf != NULL)
        explicit_bzero(sb->stdin_buf, sb->stdin_len);
    free(sb->stdin_buf);
    free(sb->out_rel);
    free(sb->out_dest);
    free(sb);
}

int wf_sbx_exit_status(const wf_sbx_result_t *res)
{
    if (res->signal > 0)
        return 128 + res->signal;
    if (res->exit_code >= 0)
        return res->exit_code;
    return 127;
}
