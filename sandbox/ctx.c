/* The per-process sandbox context: feature detection, the seccomp filter,
 * the pre-made user and network namespaces, the minimal /etc and the cgroup
 * parent. Everything here is done once so that each run only clones. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "platform/xmalloc.h"
#include "sandbox/sbx_int.h"

/* Host directories of the minimal root: bound read-only when a directory,
 * recreated when a symlink (merged-/usr hosts), skipped when absent. */
static const char *const hostdir_paths[SBX_N_HOSTDIRS] = {
    "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
};

/* What the minimal /etc holds besides the generated files: only public,
 * non-secret host files needed by ordinary programs (dynamic linker cache,
 * Debian alternatives, CA certificates, time zone, service names). Never
 * shadow, the host's users, or anything of the executor. */
static const char *const etc_copied[] = {
    "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "os-release",
    "protocols",   "services",   "resolv.conf",  NULL,
};

/* Directories of many small entries (hundreds of symlinks): bound read-only
 * into each run rather than copied, which would cost every `weftd sandbox`. */
const char *const sbx_etc_bound[SBX_N_ETC_BOUND] = {"alternatives", "ssl/certs"};

static const struct {
    const char *name;
    const char *text;
} etc_generated[] = {
    {"passwd", "root:x:0:0:root:/root:/usr/sbin/nologin\n"
               "task:x:1000:1000:task:/work:/bin/sh\n"
               "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"},
    {"group", "root:x:0:\ntask:x:1000:\nnogroup:x:65534:\n"},
    {"hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost\n"},
    {"nsswitch.conf", "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n"},
};

static const struct {
    unsigned bit;
    const char *key; /* for --without */
    const char *name;
} feature_names[] = {
    {WF_SBX_F_USERNS, "userns", "user namespaces"},
    {WF_SBX_F_CG_MEMORY, "memory", "memory cgroup controller"},
    {WF_SBX_F_CG_PIDS, "pids", "pids cgroup controller"},
    {WF_SBX_F_CG_CPU, "cpu", "cpu cgroup controller"},
};

int wf_sbx_features_parse(const char *list, unsigned *mask)
{
    *mask = 0;
    for (const char *s = list; *s;) {
        const char *e = strchr(s, ',');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        bool found = false;
        for (size_t i = 0; i < sizeof(feature_names) / sizeof(feature_names[0]); i++)
            if (strlen(feature_names[i].key) == n && strncmp(feature_names[i].key, s, n) == 0) {
                *mask |= feature_names[i].bit;
                found = true;
            }
        if (!found)
            return -1;
        s += n + (e ? 1 : 0);
    }
    return 0;
}

void wf_sbx_features_describe(unsigned mask, char *buf, size_t len)
{
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof(feature_names) / sizeof(feature_names[0]); i++)
        if ((mask & feature_names[i].bit) && off < len)
            off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ", " : "",
                                    feature_names[i].name);
}

void wf_sbx_ctx_opts_default(wf_sbx_ctx_opts_t *o)
{
    memset(o, 0, sizeof(*o));
    o->host_id_base = 100000;
    /* Every run its own network namespace: runs sharing one share its
     * loopback (a listener on 127.0.0.1 reachable by the next task) and its
     * abstract Unix sockets. */
    o->fresh_netns = true;
    const char *t = getenv("TMPDIR");
    o->work_base = t != NULL && t[0] == '/' ? t : "/tmp";
}

int sbx_loopback_up(void)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    strcpy(ifr.ifr_name, "lo");
    int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
    if (rc == 0) {
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        rc = ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    int e = errno;
    close(s);
    errno = e;
    return rc;
}

int sbx_path_fmt(char *dst, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(dst, len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

static int write_at(const char *dir, const char *name, const char *text, size_t len, mode_t mode)
{
    char path[PATH_MAX];
    if (sbx_path_fmt(path, sizeof(path), "%s/%s", dir, name) != 0)
        return -1;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, text, len);
    close(fd);
    return n == (ssize_t)len ? 0 : -1;
}

/* Copies a host path into the skeleton: files, symlinks (as symlinks) and
 * directories of those; anything else is skipped. */
static int copy_entry(const char *src, const char *dst, int depth)
{
    struct stat st;
    if (lstat(src, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlink(src, target, sizeof(target) - 1);
        if (n < 0)
            return -1;
        target[n] = '\0';
        return symlink(target, dst);
    }
    if (S_ISREG(st.st_mode)) {
        if (st.st_size > (16 << 20))
            return 0;
        int in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (in < 0)
            return errno == EACCES ? 0 : -1;
        int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 0644);
        int rc = out < 0 ? -1 : 0;
        char buf[65536];
        ssize_t n;
        while (rc == 0 && (n = read(in, buf, sizeof(buf))) > 0)
            if (write(out, buf, (size_t)n) != n)
                rc = -1;
        close(in);
        if (out >= 0)
            close(out);
        return rc;
    }
    if (S_ISDIR(st.st_mode) && depth < 4) {
        if (mkdir(dst, 0755) != 0 && errno != EEXIST)
            return -1;
        DIR *d = opendir(src);
        if (d == NULL)
            return -1;
        struct dirent *de;
        int rc = 0;
        while (rc == 0 && (de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            char s2[PATH_MAX], d2[PATH_MAX];
            if (sbx_path_fmt(s2, sizeof(s2), "%s/%s", src, de->d_name) != 0 ||
                sbx_path_fmt(d2, sizeof(d2), "%s/%s", dst, de->d_name) != 0)
                continue;
            rc = copy_entry(s2, d2, depth + 1);
        }
        closedir(d);
        return rc;
    }
    return 0;
}

static int make_etc(wf_sbx_ctx_t *ctx, char *err, size_t errlen)
{
    if (sbx_path_fmt(ctx->etc_dir, sizeof(ctx->etc_dir), "%s/weft-sandbox-%d-etc-XXXXXX",
                     ctx->work_base, (int)getpid()) != 0 ||
        mkdtemp(ctx->etc_dir) == NULL || chmod(ctx->etc_dir, 0755) != 0) {
        snprintf(err, errlen, "sandbox /etc in %s: %s", ctx->work_base, strerror(errno));
        ctx->etc_dir[0] = '\0';
        return -1;
    }
    /* Its own small tmpfs: bound into a run, the root of a file system shows
     * as "/" in the task's /proc/self/mountinfo, where a directory of the
     * host's disk would show its host path (work base, executor pid). Where
     * mounting is refused the directory serves as it is. */
    if (mount("tmpfs", ctx->etc_dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
              "size=16m,nr_inodes=4096,mode=0755") == 0)
        ctx->etc_mounted = true;
    for (size_t i = 0; i < sizeof(etc_generated) / sizeof(etc_generated[0]); i++)
        if (write_at(ctx->etc_dir, etc_generated[i].name, etc_generated[i].text,
                     strlen(etc_generated[i].text), 0644) != 0)
            goto fail;
    for (int i = 0; etc_copied[i]; i++) {
        char src[PATH_MAX], dst[PATH_MAX];
        if (sbx_path_fmt(src, sizeof(src), "/etc/%s", etc_copied[i]) != 0 ||
            sbx_path_fmt(dst, sizeof(dst), "%s/%s", ctx->etc_dir, etc_copied[i]) != 0)
            goto fail;
        const char *slash = strchr(etc_copied[i], '/');
        if (slash != NULL) { /* "ssl/certs": make "ssl" first */
            char parent[PATH_MAX];
            if (sbx_path_fmt(parent, sizeof(parent), "%s/%.*s", ctx->etc_dir,
                             (int)(slash - etc_copied[i]), etc_copied[i]) != 0 ||
                (mkdir(parent, 0755) != 0 && errno != EEXIST))
                goto fail;
        }
        if (copy_entry(src, dst, 0) != 0)
            goto fail;
    }
    /* Mount points for the bound directories. */
    for (int i = 0; i < SBX_N_ETC_BOUND; i++) {
        char src[PATH_MAX], dst[PATH_MAX];
        struct stat st;
        if (sbx_path_fmt(src, sizeof(src), "/etc/%s", sbx_etc_bound[i]) != 0)
            goto fail;
        if (stat(src, &st) != 0 || !S_ISDIR(st.st_mode))
            continue;
        const char *slash = strchr(sbx_etc_bound[i], '/');
        if (slash != NULL) {
            if (sbx_path_fmt(dst, sizeof(dst), "%s/%.*s", ctx->etc_dir,
                             (int)(slash - sbx_etc_bound[i]), sbx_etc_bound[i]) != 0 ||
                (mkdir(dst, 0755) != 0 && errno != EEXIST))
                goto fail;
        }
        if (sbx_path_fmt(dst, sizeof(dst), "%s/%s", ctx->etc_dir, sbx_etc_bound[i]) != 0 ||
            (mkdir(dst, 0755) != 0 && errno != EEXIST))
            goto fail;
        ctx->etc_bound[i] = true;
    }
    return 0;
fail:
    snprintf(err, errlen, "sandbox /etc in %s: %s", ctx->etc_dir, strerror(errno));
    return -1;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP || flag == FTW_D)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

/* Removes a directory tree without following symlinks or crossing mounts. */
void sbx_remove_tree(const char *path)
{
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* What a killed process left: its /etc tmpfs is unmounted (lazily: a run
 * of another process cannot be using it), then the tree removed. */
static void remove_dead(const char *path)
{
    umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW);
    sbx_remove_tree(path);
}

bool sbx_owner_dead(const char *name)
{
    /* "weft-sandbox-<pid>[-...]": made by process <pid>. */
    static const char prefix[] = "weft-sandbox-";
    if (strncmp(name, prefix, sizeof(prefix) - 1) != 0)
        return false;
    char *end;
    long pid = strtol(name + sizeof(prefix) - 1, &end, 10);
    if (end == name + sizeof(prefix) - 1 || (*end != '\0' && *end != '-') || pid <= 0)
        return false;
    return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

void sbx_sweep_dead(const char *dir, void (*fn)(const char *path))
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_type != DT_DIR || !sbx_owner_dead(de->d_name))
            continue;
        char path[PATH_MAX];
        if (sbx_path_fmt(path, sizeof(path), "%s/%s", dir, de->d_name) == 0)
            fn(path);
    }
    closedir(d);
}

static int write_proc(pid_t pid, const char *file, const char *text)
{
    char path[64];
    if (sbx_path_fmt(path, sizeof(path), "/proc/%d/%s", (int)pid, file) != 0)
        return -1;
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* A helper process makes the namespaces every run shares: an empty network
 * namespace (owned by the initial user namespace, loopback up) and an
 * unprivileged user namespace mapping 0..65535 to host_id_base.. (with
 * setgroups denied). We keep fds to both; the helper then exits. */
static void make_namespaces(wf_sbx_ctx_t *ctx)
{
    int up[2], down[2];
    if (pipe2(up, O_CLOEXEC) != 0)
        return;
    if (pipe2(down, O_CLOEXEC) != 0) {
        close(up[0]);
        close(up[1]);
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        char ok = 0;
        close(up[0]);
        close(down[1]);
        if (unshare(CLONE_NEWNET) == 0 && sbx_loopback_up() == 0)
            ok |= 1;
        if (unshare(CLONE_NEWUSER) == 0)
            ok |= 2;
        if (write(up[1], &ok, 1) != 1)
            _exit(1);
        char c;
        while (read(down[0], &c, 1) < 0 && errno == EINTR) {
        }
        _exit(0);
    }
    close(up[1]);
    close(down[0]);
    char ok = 0;
    if (pid > 0 && read(up[0], &ok, 1) == 1) {
        char path[64], map[64];
        if (ok & 1) {
            snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
            ctx->netns_fd = open(path, O_RDONLY | O_CLOEXEC);
        }
        snprintf(map, sizeof(map), "0 %u %u\n", ctx->opts.host_id_base, WF_SBX_ID_RANGE);
        if ((ok & 2) && write_proc(pid, "setgroups", "deny") == 0 &&
            write_proc(pid, "uid_map", map) == 0 && write_proc(pid, "gid_map", map) == 0) {
            snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
            ctx->userns_fd = open(path, O_RDONLY | O_CLOEXEC);
        }
    }
    close(up[0]);
    close(down[1]);
    if (pid > 0)
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
        }
}

int wf_sbx_ctx_create(const wf_sbx_ctx_opts_t *opts, wf_sbx_ctx_t **out, char *err,
                      size_t errlen)
{
    wf_sbx_ctx_t *ctx = wf_xcalloc(1, sizeof(*ctx));
    ctx->opts = *opts;
    ctx->userns_fd = ctx->netns_fd = ctx->self_pidfd = -1;
    ctx->work_base = wf_xstrdup(opts->work_base ? opts->work_base : "/tmp");
    ctx->cgroup_parent = opts->cgroup_parent ? wf_xstrdup(opts->cgroup_parent) : NULL;
    ctx->opts.work_base = ctx->work_base;
    ctx->opts.cgroup_parent = ctx->cgroup_parent;
    if (geteuid() != 0) {
        snprintf(err, errlen, "the sandbox needs root (it builds namespaces and cgroups)");
        goto fail;
    }
    if (opts->host_id_base == 0 || opts->host_id_base > UINT32_MAX - WF_SBX_ID_RANGE) {
        snprintf(err, errlen, "host_id_base must be above 0 (host root) and leave room for "
                              "65536 ids");
        goto fail;
    }
    if (sbx_filter_build(&ctx->filter, err, errlen) != 0)
        goto fail;
    ctx->self_pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
    for (int i = 0; i < SBX_N_HOSTDIRS; i++) {
        sbx_hostdir_t *h = &ctx->hostdirs[i];
        struct stat st;
        h->path = hostdir_paths[i];
        if (lstat(h->path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            h->kind = 1;
        } else if (S_ISLNK(st.st_mode)) {
            ssize_t n = readlink(h->path, h->target, sizeof(h->target) - 1);
            if (n > 0) {
                h->target[n] = '\0';
                h->kind = 2;
            }
        }
    }
    /* Per-run and /etc directories of a killed process. */
    sbx_sweep_dead(ctx->work_base, remove_dead);
    if (make_etc(ctx, err, errlen) != 0)
        goto fail;
    make_namespaces(ctx);
    if (ctx->userns_fd >= 0 && (opts->without & WF_SBX_F_USERNS)) {
        close(ctx->userns_fd);
        ctx->userns_fd = -1;
    }
    if (ctx->userns_fd < 0)
        ctx->missing |= WF_SBX_F_USERNS;
    if (ctx->netns_fd < 0 && !opts->fresh_netns) {
        snprintf(err, errlen, "cannot create an empty network namespace");
        goto fail;
    }
    if (sbx_cg_init(&ctx->cg, ctx->cgroup_parent, opts->without, &ctx->missing, err, errlen) !=
        0)
        goto fail;
    if (ctx->missing && !opts->allow_weaker) {
        char what[256];
        wf_sbx_features_describe(ctx->missing, what, sizeof(what));
        snprintf(err, errlen,
                 "missing protection: %s; refusing to run tasks with weaker isolation "
                 "(sandbox.allow_weaker: true in weft.yaml accepts it)",
                 what);
        goto fail;
    }
    *out = ctx;
    return 0;
fail:
    wf_sbx_ctx_destroy(ctx);
    return -1;
}

unsigned wf_sbx_ctx_missing(const wf_sbx_ctx_t *ctx)
{
    return ctx->missing;
}

const char *wf_sbx_ctx_cgroup_mode(const wf_sbx_ctx_t *ctx)
{
    static const char *const modes[] = {"none", "v1", "v2"};
    return modes[ctx->cg.mode];
}

void wf_sbx_ctx_destroy(wf_sbx_ctx_t *ctx)
{
    if (ctx == NULL)
        return;
    sbx_cg_dispose(&ctx->cg);
    if (ctx->etc_mounted)
        umount2(ctx->etc_dir, MNT_DETACH | UMOUNT_NOFOLLOW);
    if (ctx->etc_dir[0] != '\0')
        sbx_remove_tree(ctx->etc_dir);
    if (ctx->userns_fd >= 0)
        close(ctx->userns_fd);
    if (ctx->netns_fd >= 0)
        close(ctx->netns_fd);
    if (ctx->self_pidfd >= 0)
        close(ctx->self_pidfd);
    free(ctx->filter.filter);
    free(ctx->work_base);
    free(ctx->cgroup_parent);
    free(ctx);
}
