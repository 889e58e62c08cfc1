/* Describing a sandbox run: the spec and the limits table. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "platform/xmalloc.h"
#include "sandbox/sbx_int.h"

/* The limits: name (also the `weftd sandbox --NAME` option), bounds, default.
 * A value of 0 means "unset" where min allows it. */
static const struct {
    const char *name;
    int64_t min, max, def;
} limit_table[WF_SBX_LIMIT_COUNT] = {
    [WF_SBX_LIMIT_MEMORY] = {"memory", 0, INT64_C(1) << 40, 0},
    [WF_SBX_LIMIT_CPU] = {"cpu", 0, 86400 * 7, 0},
    [WF_SBX_LIMIT_CPU_QUOTA] = {"cpu-quota", 0, 1000 * 1024, 0},
    [WF_SBX_LIMIT_PIDS] = {"pids", 0, 1 << 22, 256},
    [WF_SBX_LIMIT_FSIZE] = {"fsize", 0, INT64_C(1) << 50, 0},
    [WF_SBX_LIMIT_NOFILE] = {"nofile", 0, 1 << 20, 1024},
    [WF_SBX_LIMIT_TMP] = {"tmp", 0, INT64_C(1) << 40, INT64_C(64) << 20},
    [WF_SBX_LIMIT_TIMEOUT] = {"timeout-ms", 0, INT64_C(86400000) * 7, 0},
    [WF_SBX_LIMIT_GRACE] = {"grace-ms", 0, 600000, 1000},
    [WF_SBX_LIMIT_DISK] = {"disk", 0, INT64_C(1) << 40, 0},
};

const char *wf_sbx_limit_name(wf_sbx_limit_t which)
{
    return (unsigned)which < WF_SBX_LIMIT_COUNT ? limit_table[which].name : NULL;
}

int wf_sbx_limit_by_name(const char *name)
{
    for (int i = 0; i < WF_SBX_LIMIT_COUNT; i++)
        if (strcmp(limit_table[i].name, name) == 0)
            return i;
    return -1;
}

/* Grows a NULL-terminated array of strings by one copy of s. */
static void strv_push(char ***v, size_t *n, const char *s)
{
    char **nv = wf_xreallocarray(*v, *n + 2, sizeof(char *));
    nv[(*n)++] = wf_xstrdup(s);
    nv[*n] = NULL;
    *v = nv;
}

static void strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static bool path_components_ok(const char *p)
{
    /* No empty, "." or ".." component: paths are joined textually and must
     * not climb out of the directory they are joined to. */
    const char *s = p;
    while (*s) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
            return false;
        if (e == NULL)
            break;
        s = e + 1;
        if (*s == '\0')
            return false; /* trailing slash */
    }
    return true;
}

bool sbx_path_clean_abs(const char *p)
{
    if (p == NULL || p[0] != '/' || strlen(p) >= PATH_MAX - 64)
        return false;
    if (p[1] == '\0')
        return true;
    return path_components_ok(p + 1);
}

bool sbx_path_clean_rel(const char *p)
{
    if (p == NULL || p[0] == '\0' || p[0] == '/' || strlen(p) >= PATH_MAX - 64)
        return false;
    return path_components_ok(p);
}

wf_sbx_spec_t *wf_sbx_spec_create(void)
{
    wf_sbx_spec_t *s = wf_xcalloc(1, sizeof(*s));
    s->argv = wf_xcalloc(1, sizeof(char *));
    s->envp = wf_xcalloc(1, sizeof(char *));
    s->cwd = wf_xstrdup("/work");
    s->hostname = wf_xstrdup("sandbox");
    s->net = WF_SBX_NET_NONE;
    for (int i = 0; i < WF_SBX_LIMIT_COUNT; i++)
        s->limits[i] = limit_table[i].def;
    return s;
}

void wf_sbx_spec_destroy(wf_sbx_spec_t *s)
{
    if (s == NULL)
        return;
    strv_free(s->argv, s->argc);
    /* The environment may carry secrets injected for the task. */
    for (size_t i = 0; i < s->envc; i++)
        explicit_bzero(s->envp[i], strlen(s->envp[i]));
    strv_free(s->envp, s->envc);
    free(s->cwd);
    free(s->hostname);
    for (size_t i = 0; i < s->n_binds; i++) {
        free(s->binds[i].src);
        free(s->binds[i].dst);
    }
    free(s->binds);
    for (size_t i = 0; i < s->n_files; i++) {
        free(s->files[i].rel);
        if (s->files[i].src_fd >= 0)
            close(s->files[i].src_fd);
        explicit_bzero(s->files[i].data, s->files[i].len);
        free(s->files[i].data);
    }
    free(s->files);
    free(s->out_rel);
    free(s->out_dest);
    free(s->work_host);
    if (s->stdin_data != NULL)
        explicit_bzero(s->stdin_data, s->stdin_len);
    free(s->stdin_data);
    free(s);
}

static int einval(void)
{
    errno = EINVAL;
    return -1;
}

int wf_sbx_spec_arg(wf_sbx_spec_t *s, const char *arg)
{
    if (arg == NULL || s->argc >= 4096)
        return einval();
    strv_push(&s->argv, &s->argc, arg);
    return 0;
}

int wf_sbx_spec_env(wf_sbx_spec_t *s, const char *kv)
{
    const char *eq = kv ? strchr(kv, '=') : NULL;
    if (eq == NULL || eq == kv || s->envc >= 4096)
        return einval();
    /* A later value for the same name replaces the earlier one. */
    size_t nlen = (size_t)(eq - kv) + 1;
    for (size_t i = 0; i < s->envc; i++)
        if (strncmp(s->envp[i], kv, nlen) == 0) {
            explicit_bzero(s->envp[i], strlen(s->envp[i]));
            free(s->envp[i]);
            s->envp[i] = wf_xstrdup(kv);
            return 0;
        }
    strv_push(&s->envp, &s->envc, kv);
    return 0;
}

int wf_sbx_spec_cwd(wf_sbx_spec_t *s, const char *path)
{
    if (!sbx_path_clean_abs(path))
        return einval();
    free(s->cwd);
    s->cwd = wf_xstrdup(path);
    return 0;
}

int wf_sbx_spec_hostname(wf_sbx_spec_t *s, const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 64)
        return einval();
    for (size_t i = 0; i < n; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
              (name[i] >= '0' && name[i] <= '9') || name[i] == '-' || name[i] == '.'))
            return einval();
    free(s->hostname);
    s->hostname = wf_xstrdup(name);
    return 0;
}

void wf_sbx_spec_net(wf_sbx_spec_t *s, wf_sbx_net_t net)
{
    s->net = net;
}

/* Inside paths the sandbox builds itself; a bind may not cover them. */
static bool dst_reserved(const char *dst)
{
    static const char *const reserved[] = {"/", "/proc", "/dev", "/tmp", "/work", "/etc", NULL};
    for (int i = 0; reserved[i]; i++) {
        size_t n = strlen(reserved[i]);
        if (strcmp(dst, reserved[i]) == 0)
            return true;
        if (n > 1 && strncmp(dst, reserved[i], n) == 0 && dst[n] == '/' &&
            (strcmp(reserved[i], "/proc") == 0 || strcmp(reserved[i], "/dev") == 0))
            return true;
    }
    return false;
}

int wf_sbx_spec_bind(wf_sbx_spec_t *s, const char *src, const char *dst, bool rw)
{
    if (dst == NULL)
        dst = src;
    if (!sbx_path_clean_abs(src) || !sbx_path_clean_abs(dst) || dst_reserved(dst) ||
        s->n_binds >= 256)
        return einval();
    s->binds = wf_xreallocarray(s->binds, s->n_binds + 1, sizeof(*s->binds));
    s->binds[s->n_binds++] = (sbx_bind_t){wf_xstrdup(src), wf_xstrdup(dst), rw};
    return 0;
}

int wf_sbx_spec_file(wf_sbx_spec_t *s, const char *rel, const void *data, size_t len,
                     mode_t mode)
{
    if (!sbx_path_clean_rel(rel) || (mode & ~07777) || s->n_files >= 1024)
        return einval();
    /* The content's size is the caller's: no room for it is this call's error. */
    char *copy = malloc(len ? len : 1);
    if (copy == NULL)
        return -1;
    s->files = wf_xreallocarray(s->files, s->n_files + 1, sizeof(*s->files));
    if (len)
        memcpy(copy, data, len);
    s->files[s->n_files++] = (sbx_file_t){wf_xstrdup(rel), copy, len, mode & 07777, -1};
    return 0;
}

int wf_sbx_spec_file_fd(wf_sbx_spec_t *s, const char *rel, int fd, mode_t mode)
{
    if (!sbx_path_clean_rel(rel) || (mode & ~07777) || s->n_files >= 1024 || fd < 0)
        return einval();
    int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (own < 0)
        return -1;
    s->files = wf_xreallocarray(s->files, s->n_files + 1, sizeof(*s->files));
    s->files[s->n_files++] = (sbx_file_t){wf_xstrdup(rel), NULL, 0, mode & 07777, own};
    return 0;
}

int wf_sbx_spec_output(wf_sbx_spec_t *s, const char *rel, const char *dest)
{
    /* One component only: the task controls everything under /work and a
     * symlinked intermediate directory would redirect the collection. */
    if (!sbx_path_clean_rel(rel) || strchr(rel, '/') != NULL || !sbx_path_clean_abs(dest))
        return einval();
    free(s->out_rel);
    free(s->out_dest);
    s->out_rel = wf_xstrdup(rel);
    s->out_dest = wf_xstrdup(dest);
    return 0;
}

int wf_sbx_spec_workdir(wf_sbx_spec_t *s, const char *host_dir)
{
    if (!sbx_path_clean_abs(host_dir) || strcmp(host_dir, "/") == 0)
        return einval();
    free(s->work_host);
    s->work_host = wf_xstrdup(host_dir);
    return 0;
}

int wf_sbx_spec_stdin(wf_sbx_spec_t *s, const void *data, size_t len)
{
    if (s->stdin_data != NULL)
        explicit_bzero(s->stdin_data, s->stdin_len);
    free(s->stdin_data);
    s->stdin_len = 0;
    /* The size is the caller's: no room for it is this call's error. */
    s->stdin_data = malloc(len ? len : 1);
    if (s->stdin_data == NULL)
        return -1;
    if (len)
        memcpy(s->stdin_data, data, len);
    s->stdin_len = len;
    return 0;
}

int wf_sbx_spec_limit(wf_sbx_spec_t *s, wf_sbx_limit_t which, int64_t value)
{
    if ((unsigned)which >= WF_SBX_LIMIT_COUNT || value < limit_table[which].min ||
        value > limit_table[which].max)
        return einval();
    s->limits[which] = value;
    return 0;
}

int64_t wf_sbx_spec_get_limit(const wf_sbx_spec_t *s, wf_sbx_limit_t which)
{
    return (unsigned)which < WF_SBX_LIMIT_COUNT ? s->limits[which] : -1;
}
