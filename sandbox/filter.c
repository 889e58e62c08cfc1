/* The seccomp filter: a deny list of system calls and an allow list of socket
 * address families, built once per process with libseccomp and exported as a
 * BPF program, which every sandbox loads just before execve (loading exported
 * BPF is much cheaper than seccomp_load per task). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/netlink.h>

#include "sandbox/sbx_int.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* Syscalls refused with EPERM whatever their arguments. Each row is a way
 * out of the sandbox or into the kernel's attack surface that a task has no
 * business using. Names unknown to this libseccomp are skipped. */
static const char *const denied[] = {
    /* mounts and the root: the task must keep the file system it was given */
    "mount", "umount", "umount2", "pivot_root", "chroot", "fsopen", "fsconfig", "fsmount",
    "fspick", "move_mount", "open_tree", "mount_setattr",
    /* namespaces: no new ones, no joining others */
    "unshare", "setns",
    /* other processes' memory */
    "ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "kcmp",
    "pidfd_getfd",
    /* the kernel itself */
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot",
    "swapon", "swapoff", "bpf", "perf_event_open", "iopl", "ioperm", "acct", "quotactl",
    "quotactl_fd", "lookup_dcookie", "vhangup", "syslog", "nfsservctl", "uselib",
    /* keyrings are not namespaced */
    "keyctl", "add_key", "request_key",
    /* classic kernel exploit helpers */
    "userfaultfd", "open_by_handle_at", "name_to_handle_at", "fanotify_init",
    /* clock changes are global */
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
    /* io_uring performs reads, writes, connects and opens from kernel
     * workers: the filter would see one io_uring_enter, never the operations
     * it carries. EPERM is also what a host with io_uring disabled answers,
     * so programs that can fall back to plain system calls do. */
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    NULL,
};

/* Namespace flags refused in clone(2) (flags are its first argument on x86-64). */
static const unsigned long clone_ns_flags[] = {
    CLONE_NEWNS,  CLONE_NEWUSER, CLONE_NEWPID,    CLONE_NEWNET,
    CLONE_NEWIPC, CLONE_NEWUTS,  CLONE_NEWCGROUP, CLONE_NEWTIME,
};

static int add_rule(scmp_filter_ctx f, uint32_t action, const char *name, unsigned n,
                    const struct scmp_arg_cmp *args)
{
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR)
        return 0; /* not on this architecture */
    return seccomp_rule_add_array(f, action, nr, n, args);
}

/* Address families a task may open: local sockets and IP (confined by the
 * task's own network namespace), and netlink for its routing protocol only
 * (glibc's getaddrinfo asks the interfaces through it; it sees the task's
 * namespace). Every other family is answered EAFNOSUPPORT, as by a kernel
 * built without it: AF_VSOCK reaches the hypervisor and its other guests
 * whatever the network namespace, AF_PACKET sniffs and forges frames, and
 * the rarer ones (AF_TIPC, AF_RDS, AF_BLUETOOTH, AF_ALG, ...) are kernel
 * attack surface no task needs. The allowed values are few and low, so the
 * rules are "above the highest allowed" plus the gaps below it; a value
 * with any of the upper 32 bits set is above, so cannot slip through as
 * the int the kernel would read. socketpair gets the same rules. */
static const int families_allowed[] = {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK};

static bool family_allowed(int af)
{
    for (size_t i = 0; i < sizeof(families_allowed) / sizeof(families_allowed[0]); i++)
        if (families_allowed[i] == af)
            return true;
    return false;
}

static int add_socket_rules(scmp_filter_ctx f)
{
    static const char *const calls[] = {"socket", "socketpair"};
    int highest = 0;
    for (size_t i = 0; i < sizeof(families_allowed) / sizeof(families_allowed[0]); i++)
        if (families_allowed[i] > highest)
            highest = families_allowed[i];
    for (size_t c = 0; c < sizeof(calls) / sizeof(calls[0]); c++) {
        struct scmp_arg_cmp above = SCMP_A0(SCMP_CMP_GT, (scmp_datum_t)highest);
        if (add_rule(f, SCMP_ACT_ERRNO(EAFNOSUPPORT), calls[c], 1, &above) != 0)
            return -1;
        for (int af = 0; af < highest; af++) {
            if (family_allowed(af))
                continue;
            struct scmp_arg_cmp eq = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)af);
            if (add_rule(f, SCMP_ACT_ERRNO(EAFNOSUPPORT), calls[c], 1, &eq) != 0)
                return -1;
        }
        /* Netlink: NETLINK_ROUTE (0) only; audit, uevents, sock_diag, the
         * netfilter and crypto families are refused. */
        struct scmp_arg_cmp nl[2] = {SCMP_A0(SCMP_CMP_EQ, AF_NETLINK),
                                     SCMP_A2(SCMP_CMP_NE, NETLINK_ROUTE)};
        if (add_rule(f, SCMP_ACT_ERRNO(EPROTONOSUPPORT), calls[c], 2, nl) != 0)
            return -1;
    }
    /* Raw IP sockets forge traffic or sniff a shared (host) network. Netlink
     * sockets are SOCK_RAW too and getaddrinfo needs them. */
    struct scmp_arg_cmp raw[2] = {SCMP_A0(SCMP_CMP_NE, AF_NETLINK),
                                  SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, SOCK_RAW)};
    struct scmp_arg_cmp spkt = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, SOCK_PACKET);
    if (add_rule(f, SCMP_ACT_ERRNO(EPERM), "socket", 2, raw) != 0 ||
        add_rule(f, SCMP_ACT_ERRNO(EPERM), "socket", 1, &spkt) != 0)
        return -1;
    return 0;
}

int sbx_filter_build(struct sock_fprog *prog, char *err, size_t errlen)
{
    int rc = -1, mfd = -1;
    const char *what = "seccomp_init";
    /* Allow by default; a bad architecture (i386 via int 0x80, x32 numbers)
     * kills the process: a filter written for x86-64 numbers means nothing
     * for another ABI's numbers, so no other ABI is let through. */
    scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
    if (f == NULL)
        goto out;
    what = "attribute";
    if (seccomp_attr_set(f, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) != 0)
        goto out;
    /* Only the native ABI in the filter: seccomp_init adds it. x32 is a
     * separate libseccomp arch and stays out, so its calls hit BADARCH. */
    what = "deny list";
    for (int i = 0; denied[i]; i++)
        if (add_rule(f, SCMP_ACT_ERRNO(EPERM), denied[i], 0, NULL) != 0)
            goto out;
    /* glibc falls back from clone3 to clone only on ENOSYS; clone3's flags
     * live in memory a filter cannot read, so clone3 is refused outright. */
    what = "clone3";
    if (add_rule(f, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL) != 0)
        goto out;
    what = "clone flags";
    for (size_t i = 0; i < sizeof(clone_ns_flags) / sizeof(clone_ns_flags[0]); i++) {
        struct scmp_arg_cmp a = SCMP_A0(SCMP_CMP_MASKED_EQ, clone_ns_flags[i], clone_ns_flags[i]);
        if (add_rule(f, SCMP_ACT_ERRNO(EPERM), "clone", 1, &a) != 0)
            goto out;
    }
    what = "socket rules";
    if (add_socket_rules(f) != 0)
        goto out;
    /* TIOCSTI pushes characters into a terminal's input queue: a task handed
     * a terminal could type commands into the shell that started it. */
    what = "ioctl rules";
    {
        struct scmp_arg_cmp sti = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSTI);
        struct scmp_arg_cmp lnx = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCLINUX);
        if (add_rule(f, SCMP_ACT_ERRNO(EPERM), "ioctl", 1, &sti) != 0 ||
            add_rule(f, SCMP_ACT_ERRNO(EPERM), "ioctl", 1, &lnx) != 0)
            goto out;
    }
    /* Export to memory once; children load the raw program. */
    what = "export";
    mfd = memfd_create("wf-seccomp", MFD_CLOEXEC);
    if (mfd < 0 || seccomp_export_bpf(f, mfd) != 0)
        goto out;
    struct stat st;
    if (fstat(mfd, &st) != 0 || st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) ||
        st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS)
        goto out;
    prog->len = (unsigned short)(st.st_size / sizeof(struct sock_filter));
    prog->filter = malloc((size_t)st.st_size);
    if (prog->filter == NULL)
        goto out;
    if (pread(mfd, prog->filter, (size_t)st.st_size, 0) != st.st_size) {
        free(prog->filter);
        prog->filter = NULL;
        goto out;
    }
    rc = 0;
out:
    if (rc != 0)
        snprintf(err, errlen, "seccomp filter: %s failed", what);
    if (mfd >= 0)
        close(mfd);
    if (f != NULL)
        seccomp_release(f);
    return rc;
}
