/* cgroups for sandboxes: one cgroup per run under a per-process parent, on
 * either layout:
 *  - v2 (a normal Debian 12 host): one tree at /sys/fs/cgroup; controllers
 *    are enabled through cgroup.subtree_control of every ancestor;
 *  - v1 / hybrid (this CI machine): one hierarchy per controller under
 *    /sys/fs/cgroup/<controller>; cgroup2 at /sys/fs/cgroup/unified has no
 *    controllers and is ignored.
 * The parent is created below the process's own cgroup, so the sandboxes
 * stay inside whatever limits the executor itself runs under. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>

#include "sandbox/sbx_int.h"

#define CG_MOUNT "/sys/fs/cgroup"

/* Controller table: v1 hierarchy name, v2 controller name (NULL: part of
 * the core), the feature bit lost without it. */
static const struct {
    const char *v1;
    const char *v2;
    unsigned feature;
} controllers[SBX_CG_N] = {
    [SBX_CG_MEMORY] = {"memory", "memory", WF_SBX_F_CG_MEMORY},
    [SBX_CG_PIDS] = {"pids", "pids", WF_SBX_F_CG_PIDS},
    [SBX_CG_CPU] = {"cpu", "cpu", WF_SBX_F_CG_CPU},
    [SBX_CG_CPUACCT] = {"cpuacct", NULL, 0},
};

static int write_file(const char *dir, const char *file, const char *value)
{
    char path[PATH_MAX];
    if (sbx_path_fmt(path, sizeof(path), "%s/%s", dir, file) != 0)
        return -ENAMETOOLONG;
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = write(fd, value, strlen(value));
    int e = n < 0 ? errno : 0;
    close(fd);
    return n < 0 ? -e : 0;
}

static ssize_t read_file(const char *dir, const char *file, char *buf, size_t len)
{
    char path[PATH_MAX];
    if (sbx_path_fmt(path, sizeof(path), "%s/%s", dir, file) != 0)
        return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    return n;
}

static bool file_exists(const char *dir, const char *file)
{
    char path[PATH_MAX];
    return sbx_path_fmt(path, sizeof(path), "%s/%s", dir, file) == 0 && access(path, F_OK) == 0;
}

/* Reads "KEY VALUE" from a flat keyed file (memory.events, pids.events...). */
static int64_t read_key(const char *dir, const char *file, const char *key)
{
    char buf[4096];
    if (read_file(dir, file, buf, sizeof(buf)) < 0)
        return -1;
    size_t klen = strlen(key);
    for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
            return strtoll(line + klen + 1, NULL, 10);
    return -1;
}

static int64_t read_int(const char *dir, const char *file)
{
    char buf[64];
    if (read_file(dir, file, buf, sizeof(buf)) < 0)
        return -1;
    return strtoll(buf, NULL, 10);
}

/* Own cgroup path in the hierarchy holding `ctl` (v1) or the v2 tree (ctl NULL). */
static int own_cgroup(const char *ctl, char *out, size_t len)
{
    FILE *f = fopen("/proc/self/cgroup", "re");
    if (f == NULL)
        return -1;
    char line[PATH_MAX + 128];
    int rc = -1;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        char *c1 = strchr(line, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (c2 == NULL)
            continue;
        *c2 = '\0';
        const char *list = c1 + 1, *path = c2 + 1;
        bool match = false;
        if (ctl == NULL) {
            match = strcmp(line, "0") == 0 && *list == '\0';
        } else {
            size_t n = strlen(ctl);
            for (const char *p = list; *p;) {
                const char *e = strchr(p, ',');
                size_t m = e ? (size_t)(e - p) : strlen(p);
                if (m == n && strncmp(p, ctl, n) == 0)
                    match = true;
                p += m + (e ? 1 : 0);
            }
        }
        if (match) {
            rc = sbx_path_fmt(out, len, "%s", strcmp(path, "/") == 0 ? "" : path);
            break;
        }
    }
    fclose(f);
    return rc;
}

/* Removes a dead process's cgroup parent and the run cgroups below it. */
static void remove_parent(const char *parent)
{
    DIR *r = opendir(parent);
    struct dirent *re;
    while (r != NULL && (re = readdir(r)) != NULL)
        if (re->d_type == DT_DIR && strncmp(re->d_name, "run-", 4) == 0) {
            char run[PATH_MAX];
            if (sbx_path_fmt(run, sizeof(run), "%s/%s", parent, re->d_name) == 0)
                rmdir(run);
        }
    if (r != NULL)
        closedir(r);
    rmdir(parent);
}

/* Removes the cgroup parents (and their run cgroups) of dead processes found
 * next to `base`: a killed executor cannot remove its own. */
static void sweep_siblings(const char *base)
{
    char dir[PATH_MAX];
    if (sbx_path_fmt(dir, sizeof(dir), "%s", base) != 0)
        return;
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        return;
    *slash = '\0';
    sbx_sweep_dead(dir, remove_parent);
}

static bool is_fs(const char *path, long magic)
{
    struct statfs sf;
    return statfs(path, &sf) == 0 && (long)sf.f_type == magic;
}

/* v2: enables the controllers for the children of `dir`; each controller on
 * its own so that one missing does not hide the others. */
static void v2_enable(const char *dir)
{
    static const char *const names[] = {"+memory", "+pids", "+cpu"};
    for (int i = 0; i < 3; i++)
        write_file(dir, "cgroup.subtree_control", names[i]);
}

static int init_v2(sbx_cg_root_t *root, const char *parent)
{
    char own[PATH_MAX] = "", dir[PATH_MAX];
    char buf[256];
    /* Candidates for the parent: the configured one; else our own cgroup
     * (works when it is delegated and we may enable controllers in it);
     * else the root (cgroup v2 forbids enabling controllers below a cgroup
     * that itself holds processes, which our own cgroup usually does). */
    const char *cands[3];
    int nc = 0;
    if (parent != NULL) {
        cands[nc++] = parent;
    } else {
        if (own_cgroup(NULL, own, sizeof(own)) == 0 && own[0] != '\0')
            cands[nc++] = own;
        cands[nc++] = "";
    }
    for (int i = 0; i < nc; i++) {
        if (sbx_path_fmt(dir, sizeof(dir), "%s%s", CG_MOUNT, cands[i]) != 0)
            return -1;
        if (cands[i][0] != '\0')
            v2_enable(dir);
        if (read_file(dir, "cgroup.subtree_control", buf, sizeof(buf)) < 0)
            continue;
        if (strstr(buf, "memory") == NULL && strstr(buf, "pids") == NULL && i + 1 < nc)
            continue;
        if (sbx_path_fmt(root->base[0], PATH_MAX, "%s/weft-sandbox-%d", dir, (int)getpid()) != 0)
            return -1;
        sweep_siblings(root->base[0]);
        if (mkdir(root->base[0], 0755) != 0 && errno != EEXIST)
            return -1;
        v2_enable(root->base[0]);
        if (read_file(root->base[0], "cgroup.subtree_control", buf, sizeof(buf)) < 0)
            buf[0] = '\0';
        root->have[SBX_CG_MEMORY] = strstr(buf, "memory") != NULL;
        root->have[SBX_CG_PIDS] = strstr(buf, "pids") != NULL;
        root->have[SBX_CG_CPU] = strstr(buf, "cpu") != NULL;
        root->have[SBX_CG_CPUACCT] = true; /* cpu.stat is always there */
        root->swap_files = true;
        return 0;
    }
    return -1;
}

static int init_v1(sbx_cg_root_t *root, const char *parent)
{
    char own[PATH_MAX], hier[PATH_MAX], real_cpu[PATH_MAX] = "";
    for (int c = 0; c < SBX_CG_N; c++) {
        snprintf(hier, sizeof(hier), "%s/%s", CG_MOUNT, controllers[c].v1);
        if (!is_fs(hier, CGROUP_SUPER_MAGIC))
            continue;
        /* cpu and cpuacct are often one hierarchy mounted as "cpu,cpuacct":
         * one directory then serves both. */
        char real[PATH_MAX];
        if (realpath(hier, real) == NULL)
            continue;
        if (c == SBX_CG_CPU)
            snprintf(real_cpu, sizeof(real_cpu), "%s", real);
        if (c == SBX_CG_CPUACCT && strcmp(real, real_cpu) == 0) {
            root->have[c] = root->have[SBX_CG_CPU];
            continue;
        }
        if (parent != NULL) {
            if (sbx_path_fmt(own, sizeof(own), "%s", parent) != 0)
                continue;
        } else if (own_cgroup(controllers[c].v1, own, sizeof(own)) != 0) {
            continue;
        }
        /* A base that does not fit leaves the controller unusable, as a
         * failed mkdir does: it is then reported missing. */
        if (sbx_path_fmt(root->base[c], PATH_MAX, "%s%s/weft-sandbox-%d", hier, own,
                         (int)getpid()) != 0) {
            root->base[c][0] = '\0';
            continue;
        }
        sweep_siblings(root->base[c]);
        if (mkdir(root->base[c], 0755) != 0 && errno != EEXIST) {
            root->base[c][0] = '\0';
            continue;
        }
        root->have[c] = true;
    }
    root->swap_files = root->have[SBX_CG_MEMORY] &&
                       file_exists(root->base[SBX_CG_MEMORY], "memory.memsw.limit_in_bytes");
    return 0;
}

int sbx_cg_init(sbx_cg_root_t *root, const char *parent, unsigned without, unsigned *missing,
                char *err, size_t errlen)
{
    memset(root, 0, sizeof(*root));
    if (is_fs(CG_MOUNT, CGROUP2_SUPER_MAGIC)) {
        root->mode = 2;
        if (init_v2(root, parent) != 0)
            root->mode = 0;
    } else if (is_fs(CG_MOUNT, TMPFS_MAGIC)) {
        root->mode = 1;
        init_v1(root, parent);
    }
    for (int c = 0; c < SBX_CG_N; c++) {
        if (controllers[c].feature & without)
            root->have[c] = false;
        if (!root->have[c])
            *missing |= controllers[c].feature;
    }
    (void)err;
    (void)errlen;
    return 0;
}

static void rmdir_patiently(const char *path)
{
    /* Processes leave a cgroup a moment after they are reaped. */
    for (int i = 0; i < 200; i++) {
        if (rmdir(path) == 0 || errno != EBUSY)
            return;
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
}

void sbx_cg_dispose(sbx_cg_root_t *root)
{
    for (int c = 0; c < SBX_CG_N; c++)
        if (root->base[c][0] != '\0' && (root->mode == 1 || c == 0))
            rmdir_patiently(root->base[c]);
    memset(root, 0, sizeof(*root));
}

/* Which controllers a run needs: pids always (fork bombs), memory always
 * (the peak and the OOM verdict), cpu only for a quota. Each v1 controller
 * costs a mkdir and its files, so nothing is made that is not used. */
static bool run_wants(int c, const int64_t *limits)
{
    switch (c) {
    case SBX_CG_MEMORY:
    case SBX_CG_PIDS:
        return true;
    case SBX_CG_CPU:
        return limits[WF_SBX_LIMIT_CPU_QUOTA] > 0;
    default:
        return false;
    }
}

static int run_limits(int mode, int c, const char *dir, const int64_t *limits, bool swap)
{
    char v[64];
    int rc = 0;
    switch (c) {
    case SBX_CG_MEMORY:
        if (limits[WF_SBX_LIMIT_MEMORY] <= 0)
            break;
        snprintf(v, sizeof(v), "%lld", (long long)limits[WF_SBX_LIMIT_MEMORY]);
        if (mode == 2) {
            rc = write_file(dir, "memory.max", v);
            if (rc == 0 && swap) /* no swap: the memory limit is the whole budget */
                write_file(dir, "memory.swap.max", "0");
        } else {
            rc = write_file(dir, "memory.limit_in_bytes", v);
            if (rc == 0 && swap)
                rc = write_file(dir, "memory.memsw.limit_in_bytes", v);
        }
        break;
    case SBX_CG_PIDS:
        if (limits[WF_SBX_LIMIT_PIDS] <= 0)
            break;
        snprintf(v, sizeof(v), "%lld", (long long)limits[WF_SBX_LIMIT_PIDS]);
        rc = write_file(dir, "pids.max", v);
        break;
    case SBX_CG_CPU: {
        long long quota = (long long)limits[WF_SBX_LIMIT_CPU_QUOTA] * 100; /* per 100 ms */
        if (mode == 2) {
            snprintf(v, sizeof(v), "%lld 100000", quota);
            rc = write_file(dir, "cpu.max", v);
        } else {
            rc = write_file(dir, "cpu.cfs_period_us", "100000");
            snprintf(v, sizeof(v), "%lld", quota);
            if (rc == 0)
                rc = write_file(dir, "cpu.cfs_quota_us", v);
        }
        break;
    }
    default:
        break;
    }
    return rc;
}

int sbx_cg_run_create(const sbx_cg_root_t *root, sbx_cg_run_t *run, const char *name,
                      const int64_t *limits, char *err, size_t errlen)
{
    for (int c = 0; c < SBX_CG_N; c++) {
        run->path[c][0] = '\0';
        run->procs_fd[c] = -1;
    }
    if (root->mode == 0)
        return 0;
    for (int c = 0; c < SBX_CG_N; c++) {
        /* v2: one directory for every controller, made under slot 0. */
        bool wanted = root->mode == 2 ? c == 0 : root->have[c] && run_wants(c, limits);
        if (!wanted)
            continue;
        int bc = root->mode == 2 ? 0 : c;
        if (sbx_path_fmt(run->path[c], PATH_MAX, "%s/%s", root->base[bc], name) != 0 ||
            mkdir(run->path[c], 0755) != 0) {
            snprintf(err, errlen, "cgroup %s: %s", run->path[c], strerror(errno));
            run->path[c][0] = '\0';
            goto fail;
        }
        int rc = 0;
        if (root->mode == 2) {
            for (int k = 0; k < SBX_CG_N && rc == 0; k++)
                if (root->have[k] && run_wants(k, limits))
                    rc = run_limits(2, k, run->path[c], limits, root->swap_files);
        } else {
            rc = run_limits(1, c, run->path[c], limits, root->swap_files);
        }
        if (rc != 0) {
            snprintf(err, errlen, "cgroup %s: setting limits: %s", run->path[c], strerror(-rc));
            goto fail;
        }
        char procs[PATH_MAX + 16];
        if (sbx_path_fmt(procs, sizeof(procs), "%s/cgroup.procs", run->path[c]) == 0)
            run->procs_fd[c] = open(procs, O_WRONLY | O_CLOEXEC);
        if (run->procs_fd[c] < 0) {
            snprintf(err, errlen, "cgroup %s: %s", procs, strerror(errno));
            goto fail;
        }
    }
    return 0;
fail:
    sbx_cg_run_close(run);
    sbx_cg_run_destroy(run);
    return -1;
}

int sbx_cg_run_enter(const sbx_cg_run_t *run)
{
    /* "0" means the writing process itself, whatever its pid namespace. */
    for (int c = 0; c < SBX_CG_N; c++)
        if (run->procs_fd[c] >= 0 && write(run->procs_fd[c], "0", 1) != 1)
            return -errno;
    return 0;
}

void sbx_cg_run_close(sbx_cg_run_t *run)
{
    for (int c = 0; c < SBX_CG_N; c++)
        if (run->procs_fd[c] >= 0) {
            close(run->procs_fd[c]);
            run->procs_fd[c] = -1;
        }
}

void sbx_cg_run_stats(const sbx_cg_root_t *root, const sbx_cg_run_t *run, wf_sbx_result_t *res)
{
    int64_t v;
    if (root->mode == 2 && run->path[0][0] != '\0') {
        const char *d = run->path[0];
        if (root->have[SBX_CG_MEMORY]) {
            if ((v = read_int(d, "memory.peak")) > 0)
                res->peak_memory = v;
            if (read_key(d, "memory.events", "oom_kill") > 0)
                res->oom_killed = true;
            if (read_key(d, "memory.events", "max") > 0)
                res->limits_hit |= WF_SBX_HIT_MEMORY;
        }
        if (root->have[SBX_CG_PIDS] && read_key(d, "pids.events", "max") > 0)
            res->limits_hit |= WF_SBX_HIT_PIDS;
        if ((v = read_key(d, "cpu.stat", "usage_usec")) >= 0)
            res->cpu_usec = v;
        return;
    }
    if (root->mode != 1)
        return;
    const char *m = run->path[SBX_CG_MEMORY];
    if (m[0] != '\0') {
        if ((v = read_int(m, "memory.max_usage_in_bytes")) > 0)
            res->peak_memory = v;
        if (read_key(m, "memory.oom_control", "oom_kill") > 0)
            res->oom_killed = true;
        if (read_int(m, "memory.failcnt") > 0)
            res->limits_hit |= WF_SBX_HIT_MEMORY;
    }
    const char *p = run->path[SBX_CG_PIDS];
    if (p[0] != '\0' && read_key(p, "pids.events", "max") > 0)
        res->limits_hit |= WF_SBX_HIT_PIDS;
    const char *a = run->path[SBX_CG_CPUACCT];
    if (a[0] != '\0' && (v = read_int(a, "cpuacct.usage")) >= 0)
        res->cpu_usec = v / 1000;
}

void sbx_cg_run_kill(const sbx_cg_root_t *root, const sbx_cg_run_t *run)
{
    if (root->mode == 2 && run->path[0][0] != '\0') {
        if (write_file(run->path[0], "cgroup.kill", "1") == 0)
            return;
    }
    /* v1 (or an old v2 kernel): signal each member; the pid namespace
     * teardown catches anything forked meanwhile. */
    for (int c = 0; c < SBX_CG_N; c++) {
        if (run->path[c][0] == '\0')
            continue;
        char buf[8192];
        if (read_file(run->path[c], "cgroup.procs", buf, sizeof(buf)) <= 0)
            continue;
        for (char *s = buf; *s;) {
            long pid = strtol(s, &s, 10);
            if (pid > 0)
                kill((pid_t)pid, SIGKILL);
            while (*s == '\n')
                s++;
        }
        break;
    }
}

void sbx_cg_run_destroy(sbx_cg_run_t *run)
{
    for (int c = 0; c < SBX_CG_N; c++)
        if (run->path[c][0] != '\0') {
            rmdir_patiently(run->path[c]);
            run->path[c][0] = '\0';
        }
}
