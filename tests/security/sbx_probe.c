/* The sandbox probe: runs INSIDE a sandbox and tries one attack, named by
 * argv[1]. Exit 0 and "refused: ..." when the sandbox stopped it, exit 1 and
 * "ESCAPED: ..." when the attack worked, exit 2 when the probe itself could
 * not run the attempt. tests/security/sandbox.sh drives it and asserts each
 * refusal; every attack is also something that succeeds outside a sandbox
 * (the driver checks a few of those controls too).
 *
 * Built without sanitizers and linked only against libc: it must run in the
 * minimal root with nothing but /usr and /lib. */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_ether.h>

static int refused(const char *what, int err)
{
    printf("refused: %s (%s)\n", what, strerror(err));
    return 0;
}

static int escaped(const char *what)
{
    printf("ESCAPED: %s\n", what);
    return 1;
}

/* A call expected to fail: refused when it returns -1, escaped otherwise. */
static int expect_fail(const char *what, long rc)
{
    return rc < 0 ? refused(what, errno) : escaped(what);
}

static int p_read_file(int argc, char **argv)
{
    /* Reads each path given; all must be unreadable. */
    for (int i = 2; i < argc; i++) {
        int fd = open(argv[i], O_RDONLY);
        if (fd >= 0) {
            close(fd);
            return escaped(argv[i]);
        }
        printf("refused: read %s (%s)\n", argv[i], strerror(errno));
    }
    return 0;
}

static int p_write_file(int argc, char **argv)
{
    for (int i = 2; i < argc; i++) {
        int fd = open(argv[i], O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            close(fd);
            unlink(argv[i]);
            return escaped(argv[i]);
        }
        printf("refused: write %s (%s)\n", argv[i], strerror(errno));
    }
    return 0;
}

static int p_passwd(int argc, char **argv)
{
    /* The minimal /etc/passwd lists only root, task and nobody. */
    FILE *f = fopen("/etc/passwd", "r");
    if (f == NULL)
        return refused("no /etc/passwd", errno);
    char line[512];
    int bad = 0;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "root:", 5) && strncmp(line, "task:", 5) && strncmp(line, "nobody:", 7)) {
            printf("host user visible: %s", line);
            bad = 1;
        }
    fclose(f);
    return bad ? escaped("host users in /etc/passwd") : refused("only sandbox users", 0);
}

static int p_kill_pid(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    pid_t pid = (pid_t)atoi(argv[2]);
    /* The host pid number does not exist here (or is one of ours: check). */
    char path[64], comm[64] = "";
    snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
    FILE *f = fopen(path, "r");
    if (f) {
        if (fgets(comm, sizeof(comm), f) == NULL)
            comm[0] = '\0';
        fclose(f);
    }
    if (kill(pid, SIGKILL) == 0)
        return escaped(comm[0] ? comm : "signalled a pid");
    return refused("kill host pid", errno);
}

static int p_proc_pids(int argc, char **argv)
{
    DIR *d = opendir("/proc");
    if (d == NULL)
        return 2;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] >= '1' && de->d_name[0] <= '9')
            n++;
    closedir(d);
    printf("%d processes visible\n", n);
    /* init and this probe (the shell may add one). */
    return n <= 3 ? refused("only the sandbox's processes", 0) : escaped("host processes");
}

static int p_mount(int argc, char **argv)
{
    return expect_fail("mount tmpfs", mount("none", "/tmp", "tmpfs", 0, NULL));
}

static int p_umount(int argc, char **argv)
{
    return expect_fail("umount /usr", umount2("/usr", MNT_DETACH));
}

static int p_unshare(int argc, char **argv)
{
    if (unshare(CLONE_NEWUSER) == 0)
        return escaped("unshare(CLONE_NEWUSER)");
    printf("refused: unshare user (%s)\n", strerror(errno));
    return expect_fail("unshare(CLONE_NEWNS)", unshare(CLONE_NEWNS));
}

static int p_clone_ns(int argc, char **argv)
{
    /* clone with a namespace flag: the raw syscall, fork-like. */
    long rc = syscall(SYS_clone, (unsigned long)(CLONE_NEWUSER | SIGCHLD), 0UL, 0UL, 0UL, 0UL);
    if (rc == 0)
        _exit(0);
    if (rc > 0) {
        waitpid((pid_t)rc, NULL, 0);
        return escaped("clone(CLONE_NEWUSER)");
    }
    return refused("clone(CLONE_NEWUSER)", errno);
}

static int p_clone3(int argc, char **argv)
{
    /* Must be ENOSYS (glibc then falls back to clone), not EPERM. */
    uint64_t args[11];
    memset(args, 0, sizeof(args));
    args[4] = SIGCHLD; /* exit_signal */
    long rc = syscall(435 /* clone3 */, args, sizeof(args));
    if (rc == 0)
        _exit(0);
    if (rc > 0) {
        waitpid((pid_t)rc, NULL, 0);
        return escaped("clone3 ran");
    }
    if (errno != ENOSYS) {
        printf("clone3 failed with %s, not ENOSYS\n", strerror(errno));
        return 1;
    }
    /* And fork still works through glibc. */
    pid_t p = fork();
    if (p == 0)
        _exit(0);
    if (p < 0)
        return 2;
    waitpid(p, NULL, 0);
    return refused("clone3 answers ENOSYS, fork works", ENOSYS);
}

static int p_setns(int argc, char **argv)
{
    int fd = open("/proc/self/ns/net", O_RDONLY);
    if (fd < 0)
        return 2;
    return expect_fail("setns", setns(fd, CLONE_NEWNET));
}

static int p_chroot(int argc, char **argv)
{
    return expect_fail("chroot /tmp", chroot("/tmp"));
}

static int p_pivot_root(int argc, char **argv)
{
    return expect_fail("pivot_root", syscall(SYS_pivot_root, "/tmp", "/tmp"));
}

static int p_module(int argc, char **argv)
{
    if (syscall(SYS_init_module, "", 0UL, "") == 0)
        return escaped("init_module");
    printf("refused: init_module (%s)\n", strerror(errno));
    if (syscall(SYS_finit_module, 0, "", 0) == 0)
        return escaped("finit_module");
    printf("refused: finit_module (%s)\n", strerror(errno));
    return expect_fail("delete_module", syscall(SYS_delete_module, "loop", 0));
}

static int p_keyctl(int argc, char **argv)
{
    /* add_key to the session keyring: keys are not namespaced. */
    if (syscall(SYS_add_key, "user", "wf-probe", "x", 1UL, -3 /* session */) >= 0)
        return escaped("add_key");
    printf("refused: add_key (%s)\n", strerror(errno));
    return expect_fail("keyctl", syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */, -3, 0));
}

static int p_bpf(int argc, char **argv)
{
    char attr[128];
    memset(attr, 0, sizeof(attr));
    return expect_fail("bpf", syscall(SYS_bpf, 0 /* MAP_CREATE */, attr, sizeof(attr)));
}

static int p_perf(int argc, char **argv)
{
    char attr[128];
    memset(attr, 0, sizeof(attr));
    ((uint32_t *)attr)[1] = 112; /* size */
    return expect_fail("perf_event_open", syscall(SYS_perf_event_open, attr, 0, -1, -1, 0UL));
}

static int p_ptrace(int argc, char **argv)
{
    pid_t parent = getppid();
    if (ptrace(PTRACE_ATTACH, parent, NULL, NULL) == 0)
        return escaped("ptrace attach to parent");
    printf("refused: ptrace parent %d (%s)\n", (int)parent, strerror(errno));
    /* process_vm_readv on the parent */
    char buf[8];
    struct iovec l = {buf, sizeof(buf)}, r = {(void *)0x400000, sizeof(buf)};
    return expect_fail("process_vm_readv", syscall(SYS_process_vm_readv, parent, &l, 1, &r, 1, 0));
}

static int p_raw_socket(int argc, char **argv)
{
    int s = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    if (s >= 0)
        return escaped("raw socket");
    printf("refused: raw socket (%s)\n", strerror(errno));
    return expect_fail("packet socket", socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL)));
}

static int p_connect(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0)
        return 2;
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)atoi(argv[2]));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(s, (struct sockaddr *)&a, sizeof(a)) == 0) {
        char buf[64] = "";
        ssize_t n = read(s, buf, sizeof(buf) - 1);
        if (n > 0)
            buf[n] = '\0';
        printf("connected; server said: %s\n", buf);
        return escaped("reached the host's 127.0.0.1");
    }
    return refused("connect to host 127.0.0.1", errno);
}

static int p_netdev(int argc, char **argv)
{
    FILE *f = fopen("/proc/net/dev", "r");
    if (f == NULL)
        return 2;
    char line[512];
    int ifaces = 0, other = 0;
    while (fgets(line, sizeof(line), f)) {
        char *colon = strchr(line, ':');
        if (colon == NULL || strstr(line, "|") != NULL)
            continue;
        ifaces++;
        char *name = line;
        while (*name == ' ')
            name++;
        if (strncmp(name, "lo:", 3) != 0) {
            printf("interface: %.*s\n", (int)(colon - name), name);
            other = 1;
        }
    }
    fclose(f);
    return other || ifaces == 0 ? escaped("more than loopback") : refused("loopback only", 0);
}

static int p_caps(int argc, char **argv)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        return 2;
    char line[256];
    int bad = 0, seen = 0;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "Cap", 3) == 0) {
            seen++;
            char *v = strchr(line, ':');
            if (v && strtoull(v + 1, NULL, 16) != 0) {
                printf("non-zero: %s", line);
                bad = 1;
            }
        }
    fclose(f);
    if (seen < 5)
        return 2;
    return bad ? escaped("capabilities held") : refused("all capability sets empty", 0);
}

static int p_seccomp_mode(int argc, char **argv)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        return 2;
    char line[256];
    int mode = -1, nnp = -1;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "Seccomp:", 8) == 0)
            mode = atoi(line + 8);
        if (strncmp(line, "NoNewPrivs:", 11) == 0)
            nnp = atoi(line + 11);
    }
    fclose(f);
    printf("Seccomp %d, NoNewPrivs %d\n", mode, nnp);
    return mode == 2 && nnp == 1 ? refused("filter mode and no_new_privs", 0)
                                 : escaped("not filtered");
}

static int p_fds(int argc, char **argv)
{
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL)
        return 2;
    int bad = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        int fd = atoi(de->d_name);
        if (fd <= 2 || fd == dirfd(d))
            continue;
        char path[64], target[256] = "";
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        ssize_t n = readlink(path, target, sizeof(target) - 1);
        if (n > 0)
            target[n] = '\0';
        printf("inherited fd %d -> %s\n", fd, target);
        bad = 1;
    }
    closedir(d);
    return bad ? escaped("inherited fd visible") : refused("only 0-2 open", 0);
}

static int p_uid(int argc, char **argv)
{
    /* Host id of our uid, from the uid map: must not be 0. */
    FILE *f = fopen("/proc/self/uid_map", "r");
    if (f == NULL)
        return 2;
    unsigned long in, out, count;
    uid_t me = getuid();
    long host = -1;
    while (fscanf(f, "%lu %lu %lu", &in, &out, &count) == 3)
        if (me >= in && me < in + count)
            host = (long)(out + (me - in));
    fclose(f);
    printf("uid %u inside is host uid %ld\n", (unsigned)me, host);
    if (host == 0 || me == 0)
        return escaped("running as root");
    return host < 0 ? 2 : refused("unprivileged host uid", 0);
}

static int p_forkbomb(int argc, char **argv)
{
    int limit = argc > 2 ? atoi(argv[2]) : 64;
    int n = 0;
    for (; n < limit * 4; n++) {
        pid_t p = fork();
        if (p == 0) {
            pause();
            _exit(0);
        }
        if (p < 0) {
            printf("fork refused after %d children (%s)\n", n, strerror(errno));
            break;
        }
    }
    kill(0, SIGKILL); /* ourselves and the children */
    return 2;
}

static int p_membomb(int argc, char **argv)
{
    size_t mb = argc > 2 ? (size_t)atoi(argv[2]) : 512;
    size_t step = 1 << 20;
    for (size_t i = 0; i < mb; i++) {
        char *p = mmap(NULL, step, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            printf("refused: allocation failed at %zu MiB\n", i);
            return 0;
        }
        memset(p, 1, step);
    }
    return escaped("allocated all it asked for");
}

static int p_fill_tmp(int argc, char **argv)
{
    size_t mb = argc > 2 ? (size_t)atoi(argv[2]) : 1024;
    int fd = open("/tmp/fill", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return 2;
    static char buf[1 << 20];
    memset(buf, 'x', sizeof(buf));
    for (size_t i = 0; i < mb; i++) {
        ssize_t n = write(fd, buf, sizeof(buf));
        if (n < (ssize_t)sizeof(buf)) {
            printf("refused: /tmp full after %zu MiB (%s)\n", i, n < 0 ? strerror(errno) : "short");
            return 0;
        }
    }
    return escaped("wrote it all");
}

static int p_spin(int argc, char **argv)
{
    signal(SIGTERM, SIG_IGN);
    printf("spinning\n");
    fflush(stdout);
    for (volatile unsigned long i = 0;; i++) {
    }
    return 1;
}

static int p_tiocsti(int argc, char **argv)
{
    /* Without the filter this fails with ENOTTY/EBADF on a pipe; the filter
     * answers EPERM before the kernel looks at the fd. */
    char c = 'x';
    if (ioctl(0, TIOCSTI, &c) == 0)
        return escaped("TIOCSTI");
    if (errno != EPERM) {
        printf("TIOCSTI failed with %s, not EPERM (filter missing)\n", strerror(errno));
        return 1;
    }
    return refused("TIOCSTI", errno);
}

static int p_abi(int argc, char **argv)
{
    /* Foreign ABIs: an x32 getpid and an i386 int 0x80 getpid must kill the
     * process (SIGSYS), not run unfiltered. Each in a child. */
    static const char *names[] = {"x32", "i386"};
    for (int k = 0; k < 2; k++) {
        pid_t p = fork();
        if (p == 0) {
            if (k == 0) {
                syscall(0x40000000 | 39 /* getpid */);
            } else {
                long ret;
                __asm__ volatile("int $0x80" : "=a"(ret) : "a"(20 /* i386 getpid */) : "memory");
            }
            _exit(0);
        }
        int st;
        if (p < 0 || waitpid(p, &st, 0) < 0)
            return 2;
        /* A kernel without i386 emulation (ia32_emulation off) faults on
         * int 0x80 before any system call runs, sandbox or not: SIGSEGV
         * there means the call never ran, which is what is asserted. */
        if (k == 1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV) {
            printf("refused: i386 system calls are not available on this kernel (SIGSEGV)\n");
            continue;
        }
        if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGSYS) {
            printf("%s syscall not killed (status %d)\n", names[k], st);
            return 1;
        }
        printf("refused: %s syscall killed by SIGSYS\n", names[k]);
    }
    return 0;
}

/* Address families outside the allow list (unix, inet, inet6, netlink
 * route): each socket() and socketpair() must fail. AF_VSOCK reaches the
 * hypervisor whatever the network namespace. A family with upper bits set
 * (the kernel reads an int) must not slip through either. */
static int p_families(int argc, char **argv)
{
    static const struct {
        const char *name;
        long family, type, proto;
    } tries[] = {
        {"AF_VSOCK stream", 40, SOCK_STREAM, 0},
        {"AF_VSOCK dgram", 40, SOCK_DGRAM, 0},
        {"AF_PACKET", 17, SOCK_DGRAM, 0},
        {"AF_ALG", 38, SOCK_SEQPACKET, 0},
        {"AF_TIPC", 30, SOCK_RDM, 0},
        {"AF_RDS", 21, SOCK_SEQPACKET, 0},
        {"AF_KEY", 15, SOCK_RAW, 2},
        {"AF_XDP", 44, SOCK_RAW, 0},
        {"AF_BLUETOOTH", 31, SOCK_RAW, 1},
        {"AF_APPLETALK", 5, SOCK_DGRAM, 0},
        {"AF_NETLINK audit", 16, SOCK_RAW, 9},
        {"AF_NETLINK uevent", 16, SOCK_DGRAM, 15},
        {"AF_NETLINK sock_diag", 16, SOCK_DGRAM, 4},
        {"AF_VSOCK with upper bits", (1L << 32) | 40, SOCK_STREAM, 0},
        {"AF_UNIX with upper bits", (1L << 32) | 1, SOCK_STREAM, 0},
    };
    int rc = 0;
    for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
        long s = syscall(SYS_socket, tries[i].family, tries[i].type, tries[i].proto);
        if (s >= 0) {
            close((int)s);
            rc |= escaped(tries[i].name);
        } else {
            printf("refused: socket %s (%s)\n", tries[i].name, strerror(errno));
        }
    }
    int sv[2];
    if (syscall(SYS_socketpair, 40L, (long)SOCK_STREAM, 0L, sv) == 0)
        rc |= escaped("socketpair AF_VSOCK");
    else
        printf("refused: socketpair AF_VSOCK (%s)\n", strerror(errno));
    /* What tasks need still works. */
    int need[] = {AF_UNIX, AF_INET, AF_INET6};
    for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
        int s = socket(need[i], SOCK_STREAM, 0);
        if (s < 0) {
            printf("socket family %d failed: %s\n", need[i], strerror(errno));
            return 2;
        }
        close(s);
    }
    int nl = socket(AF_NETLINK, SOCK_RAW, 0 /* NETLINK_ROUTE */);
    if (nl < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
        printf("netlink route or a unix socketpair failed: %s\n", strerror(errno));
        return 2;
    }
    return rc;
}

/* io_uring: its operations run in kernel workers the filter never sees. */
static int p_io_uring(int argc, char **argv)
{
    char params[120];
    memset(params, 0, sizeof(params));
    long fd = syscall(425 /* io_uring_setup */, 4L, params);
    if (fd >= 0) {
        close((int)fd);
        return escaped("io_uring_setup");
    }
    printf("refused: io_uring_setup (%s)\n", strerror(errno));
    if (syscall(426 /* io_uring_enter */, 0L, 0L, 0L, 0L, NULL, 0L) == 0)
        return escaped("io_uring_enter");
    return expect_fail("io_uring_register", syscall(427, 0L, 0L, NULL, 0L));
}

/* Host facts the task must not read: the kernel command line, and host paths
 * (argv[2..], e.g. the work base) in the mount tables. */
static int p_host_info(int argc, char **argv)
{
    int rc = 0;
    char buf[8192];
    int fd = open("/proc/cmdline", O_RDONLY);
    if (fd >= 0) {
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n > 0) {
            buf[n] = '\0';
            printf("/proc/cmdline: %s", buf);
            rc |= escaped("read the host's kernel command line");
        } else {
            printf("refused: /proc/cmdline is empty\n");
        }
    } else {
        printf("refused: /proc/cmdline unreadable (%s)\n", strerror(errno));
    }
    static const char *const tables[] = {"/proc/self/mountinfo", "/proc/self/mounts"};
    for (size_t t = 0; t < 2; t++) {
        FILE *f = fopen(tables[t], "r");
        if (f == NULL)
            continue;
        while (fgets(buf, sizeof(buf), f) != NULL)
            for (int i = 2; i < argc; i++)
                if (strstr(buf, argv[i]) != NULL) {
                    printf("%s: %s", tables[t], buf);
                    rc |= escaped("a host path in the mount table");
                }
        fclose(f);
    }
    if (rc == 0)
        printf("refused: no host path in the mount tables\n");
    return rc;
}

/* Fills /work: stops at the disk budget, never reaches the host's disk. */
static int p_fill_work(int argc, char **argv)
{
    size_t mb = argc > 2 ? (size_t)atoi(argv[2]) : 1024;
    int fd = open("/work/fill", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return 2;
    static char buf[1 << 20];
    memset(buf, 'x', sizeof(buf));
    for (size_t i = 0; i < mb; i++) {
        ssize_t n = write(fd, buf, sizeof(buf));
        if (n < (ssize_t)sizeof(buf)) {
            printf("refused: /work full after %zu MiB (%s)\n", i,
                   n < 0 ? strerror(errno) : "short");
            return 0;
        }
    }
    return escaped("wrote it all");
}

static int p_listen(int argc, char **argv)
{
    /* Host side helper (not in the sandbox): a TCP server on 127.0.0.1 that
     * greets each client; writes its port to argv[2]; lives argv[3] seconds. */
    if (argc < 4)
        return 2;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(s, 8) != 0 ||
        getsockname(s, (struct sockaddr *)&a, &len) != 0)
        return 2;
    FILE *f = fopen(argv[2], "w");
    if (f == NULL)
        return 2;
    fprintf(f, "%d\n", ntohs(a.sin_port));
    fclose(f);
    alarm((unsigned)atoi(argv[3]));
    for (;;) {
        int c = accept(s, NULL, NULL);
        if (c >= 0) {
            if (write(c, "hello from the host\n", 20) < 0) {
            }
            close(c);
        }
    }
}

static const struct {
    const char *name;
    int (*fn)(int, char **);
} probes[] = {
    {"read", p_read_file},      {"write", p_write_file},       {"passwd", p_passwd},
    {"kill", p_kill_pid},       {"pids", p_proc_pids},         {"mount", p_mount},
    {"umount", p_umount},       {"unshare", p_unshare},        {"clone-ns", p_clone_ns},
    {"clone3", p_clone3},       {"setns", p_setns},            {"chroot", p_chroot},
    {"pivot-root", p_pivot_root}, {"module", p_module},        {"keyctl", p_keyctl},
    {"bpf", p_bpf},             {"perf", p_perf},              {"ptrace", p_ptrace},
    {"raw-socket", p_raw_socket}, {"connect", p_connect},      {"netdev", p_netdev},
    {"caps", p_caps},           {"seccomp", p_seccomp_mode},   {"fds", p_fds},
    {"uid", p_uid},             {"forkbomb", p_forkbomb},      {"membomb", p_membomb},
    {"fill-tmp", p_fill_tmp},   {"spin", p_spin},              {"tiocsti", p_tiocsti},
    {"abi", p_abi},             {"listen", p_listen},          {"families", p_families},
    {"io-uring", p_io_uring},   {"host-info", p_host_info},    {"fill-work", p_fill_work},
};

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2)
        return 2;
    for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
        if (strcmp(probes[i].name, argv[1]) == 0)
            return probes[i].fn(argc, argv);
    fprintf(stderr, "unknown probe %s\n", argv[1]);
    return 2;
}
