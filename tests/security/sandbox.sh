#!/usr/bin/env bash
# Security battery of the task sandbox. Each attack is run by the probe
# (tests/security/sbx_probe.c) INSIDE `weftd sandbox`, and the refusal is
# asserted. Controls run the same probe without the sandbox (or with the one
# protection relaxed) and assert that it then reports the escape, so every
# check here is one that fails when its protection is missing.
set -u
W="$WF_BUILDDIR/weftd"
PROBE_DIR="$WF_BUILDDIR/tests/security"
PROBE="$PROBE_DIR/sbx_probe"
n=0
failed=0

ok() { # status description
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $n - $2"
    else
        echo "not ok $n - $2"
        failed=1
    fi
}

if [ "$(id -u)" -ne 0 ]; then
    echo "1..0 # SKIP the sandbox needs root"
    exit 0
fi

tmp=$(mktemp -d /tmp/wf-sbx-sec-XXXXXX)
pids_to_kill=()
cleanup() {
    for p in "${pids_to_kill[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
# Every per-run directory of these sandboxes goes under $tmp/work.
mkdir -p "$tmp/work"
export TMPDIR="$tmp/work"

# sbx [weftd sandbox options] -- probe NAME ARGS: runs the probe inside.
sbx() {
    local opts=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do opts+=("$1"); shift; done
    shift
    "$W" sandbox --ro "$PROBE_DIR:/probe" "${opts[@]}" -- /probe/sbx_probe "$@"
}

# expect_refused DESCRIPTION [options --] PROBE ARGS
expect_refused() {
    local desc=$1; shift
    local out rc
    if [[ " $* " == *" -- "* ]]; then out=$(sbx "$@" 2>&1); else out=$(sbx -- "$@" 2>&1); fi
    rc=$?
    [ $rc -eq 0 ] && grep -q "refused" <<<"$out" && ! grep -q ESCAPED <<<"$out"
    ok $? "$desc"
    [ $rc -eq 0 ] || sed 's/^/# /' <<<"$out"
}

# control DESCRIPTION PROBE ARGS: the probe run on the host must report the escape.
control() {
    local desc=$1; shift
    local out
    out=$("$PROBE" "$@" 2>&1)
    [ $? -eq 1 ]
    ok $? "control (no sandbox): $desc"
}

# ---- files -----------------------------------------------------------------
echo "host secret" >"$tmp/host-secret"
chmod 0644 "$tmp/host-secret"
expect_refused "cannot read /etc/shadow" read /etc/shadow /etc/gshadow
control "/etc/shadow is readable on the host" read /etc/shadow
expect_refused "cannot read a host file outside the mounts" read "$tmp/host-secret" \
    /proc/1/root/etc/shadow /root/.bashrc /var/log/syslog
control "the host file is readable on the host" read "$tmp/host-secret"
expect_refused "/etc/passwd holds no host users" passwd
expect_refused "cannot write /usr, /etc, / or a read-only bind" \
    write /usr/bin/wf-probe /etc/wf-probe /wf-probe /probe/wf-probe /proc/wf-probe
expect_refused "cannot write a host path" write "$tmp/host-written"
[ ! -e "$tmp/host-written" ]
ok $? "nothing appeared at the host path"
control "host path writable on the host" write "$tmp/host-control"

# ---- processes -------------------------------------------------------------
sleep 30 &
victim=$!
pids_to_kill+=("$victim")
expect_refused "cannot see the host processes in /proc" pids
control "host processes visible on the host" pids
expect_refused "cannot signal a host process" kill "$victim"
kill -0 "$victim" 2>/dev/null
ok $? "the host process is still alive"

# ---- privileged operations -------------------------------------------------
expect_refused "mount refused" mount
expect_refused "umount refused" umount
expect_refused "unshare refused" unshare
control "unshare works on the host" unshare
expect_refused "clone with namespace flags refused" clone-ns
control "clone(CLONE_NEWUSER) works on the host" clone-ns
expect_refused "clone3 answers ENOSYS and fork still works" clone3
control "clone3 works on the host" clone3
expect_refused "setns refused" setns
expect_refused "chroot refused" chroot
expect_refused "pivot_root refused" pivot-root
expect_refused "module loading refused" module
expect_refused "keyctl/add_key refused" keyctl
expect_refused "bpf refused" bpf
expect_refused "perf_event_open refused" perf
expect_refused "ptrace and process_vm_readv of the parent refused" ptrace
expect_refused "raw and packet sockets refused" raw-socket
expect_refused "socket families but unix, inet, inet6 and netlink route refused (AF_VSOCK...)" families
control "other families (netlink audit, packet) open on the host" families
out=$(sbx -- families 2>&1)
grep -q "refused: socket AF_VSOCK stream (Address family not supported by protocol)" <<<"$out" &&
    grep -q "refused: socket AF_NETLINK audit (Protocol not supported)" <<<"$out"
ok $? "refused families answer EAFNOSUPPORT, other netlink protocols EPROTONOSUPPORT"
expect_refused "io_uring_setup, io_uring_enter and io_uring_register refused" io-uring
if [ "$(cat /proc/sys/kernel/io_uring_disabled 2>/dev/null || echo 0)" = 0 ]; then
    control "io_uring works on the host" io-uring
fi
expect_refused "ioctl(TIOCSTI) refused by the filter" tiocsti
control "TIOCSTI on a pipe fails otherwise (not EPERM)" tiocsti
expect_refused "x32 and i386 system calls kill the process" abi
control "foreign ABI calls are not killed on the host" abi

# ---- network ---------------------------------------------------------------
"$PROBE" listen "$tmp/port" 60 &
pids_to_kill+=("$!")
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port=$(cat "$tmp/port" 2>/dev/null || echo 1)
expect_refused "cannot connect to a TCP service on the host's 127.0.0.1" connect "$port"
out=$(sbx --net host -- connect "$port" 2>&1)
[ $? -eq 1 ] && grep -q "hello from the host" <<<"$out"
ok $? "control (--net host): the same connect reaches the host"
expect_refused "/proc/net/dev lists only loopback" netdev
out=$(sbx --fresh-netns -- netdev 2>&1)
[ $? -eq 0 ]
ok $? "a fresh per-run netns also has only loopback"

# Two runs of one context (as an executor runs two tasks of a domain): the
# second must not reach a listener of the first on 127.0.0.1 or on an
# abstract Unix socket. Each `weftd sandbox` has its own context, so this is
# the library's test (tests/unit/sandbox/test_sbx.c, "netns per run"); the
# executor-level attack is tests/security/netns.sh.

# ---- host facts ------------------------------------------------------------
expect_refused "/proc/cmdline is empty; no host path (work base $tmp) in the mount tables" \
    --disk 16M -- host-info "$tmp"
control "the host's /proc/cmdline is readable" host-info
out=$(sbx -- host-info 2>&1)
grep -q "refused: /proc/cmdline is empty" <<<"$out"
ok $? "without a disk budget /proc/cmdline is still masked"

# ---- disk budget ------------------------------------------------------------
out=$(sbx --disk 8M -- fill-work 64 2>&1)
grep -q "refused: /work full after [0-8] MiB" <<<"$out"
ok $? "filling /work stops at the 8 MiB disk budget"
out=$(sbx --disk 8M -- fill-tmp 64 2>&1)
grep -q "refused: /tmp full after [0-8] MiB" <<<"$out"
ok $? "/tmp shares the disk budget"
out=$("$W" sandbox --disk 8M -- /usr/bin/stat -f -c %T /work 2>&1)
[ "$out" = "tmpfs" ]
ok $? "with a disk budget /work is a tmpfs, not the host disk ($out)"

# ---- credentials -----------------------------------------------------------
expect_refused "every capability set is empty" caps
control "root on the host has capabilities" caps
expect_refused "seccomp in filter mode with no_new_privs" seccomp
control "the host is not filtered" seccomp
exec 7<"$tmp/host-secret"
expect_refused "no inherited fd is visible (fd 7 open in the caller)" fds
control "fd 7 is visible without the sandbox" fds
exec 7<&-
expect_refused "the task's uid maps to a non-root host uid" uid
control "the host runs as uid 0" uid

# Host view: every process of a running sandbox has a non-zero host uid.
descendants() {
    local c
    for c in $(pgrep -P "$1"); do echo "$c"; descendants "$c"; done
}
"$W" sandbox -- /bin/sh -c 'sleep 3 & sleep 3' &
runner=$!
sleep 0.7
uids=$(for c in $(descendants "$runner"); do ps -o uid= -p "$c"; done | tr -s ' \n' ' ')
count=$(wc -w <<<"$uids")
[ "$count" -ge 3 ] && ! grep -qw 0 <<<"$uids"
ok $? "host uids of the sandbox's processes are unprivileged ($uids)"
kill -TERM "$runner"
wait "$runner"
rc=$?
[ "$rc" -eq $((128 + 15)) ]
ok $? "SIGTERM to weftd sandbox ends the sandbox (exit $rc)"

# ---- resource limits -------------------------------------------------------
out=$(sbx --pids 32 -- forkbomb 32 2>&1)
refused_after=$(sed -n 's/^fork refused after \([0-9]*\) children.*/\1/p' <<<"$out")
[ -n "$refused_after" ] && [ "$refused_after" -lt 32 ] && grep -q "process limit of 32 reached" <<<"$out"
ok $? "a fork bomb is stopped by the pids limit (refused after ${refused_after:-?})"

start=$(date +%s%N)
out=$(sbx --memory 32M -- membomb 512 2>&1)
rc=$?
[ $rc -eq 137 ] && grep -q "memory limit of 33554432 bytes reached" <<<"$out"
ok $? "a memory bomb is killed at 32 MiB and reported (exit $rc)"
[ $rc -eq 137 ] || sed 's/^/# /' <<<"$out"

out=$(sbx --tmp 4M -- fill-tmp 2048 2>&1)
grep -q "refused: /tmp full after [0-4] MiB" <<<"$out"
ok $? "filling /tmp stops at its 4 MiB size"
out=$("$W" sandbox -- /usr/bin/stat -f -c %T /tmp 2>&1)
[ "$out" = "tmpfs" ]
ok $? "the task's /tmp is its own tmpfs, not the host disk ($out)"

start=$(date +%s%N)
tag="$$-$RANDOM"
out=$(sbx --timeout 1 -- spin "$tag" 2>&1)
rc=$?
elapsed=$((($(date +%s%N) - start) / 1000000))
[ $rc -eq 137 ] && grep -q "timed out after 1 s" <<<"$out" && [ "$elapsed" -lt 4000 ]
ok $? "a CPU spin ignoring SIGTERM is killed at its timeout (exit $rc, ${elapsed} ms)"
sleep 0.2
! pgrep -f "^/probe/sbx_probe spin $tag" >/dev/null
ok $? "no spinning process outlives the sandbox"

out=$(sbx --cpu 1 -- spin 2>&1)
rc=$?
[ $rc -eq $((128 + 24)) ] && grep -q "CPU limit of 1 s reached" <<<"$out"
ok $? "the CPU-seconds limit ends a spin (exit $rc)"

# ---- missing protections: refused unless the weaker mode is accepted -------
out=$("$W" sandbox --without pids -- /bin/true 2>&1)
rc=$?
[ $rc -eq 125 ] && grep -q "missing protection: pids cgroup controller; refusing" <<<"$out"
ok $? "a missing pids controller is named and the run refused (exit $rc)"
out=$("$W" sandbox --without userns -- /bin/true 2>&1)
[ $? -eq 125 ] && grep -q "missing protection: user namespaces" <<<"$out"
ok $? "missing user namespaces are named and the run refused"
printf 'sandbox:\n  allow_weaker: true\n' >"$tmp/weft.yaml"
out=$(sbx --config "$tmp/weft.yaml" --without userns,pids -- uid 2>&1)
[ $? -eq 0 ] && grep -q "weaker isolation, missing user namespaces, pids cgroup controller" <<<"$out"
ok $? "sandbox.allow_weaker accepts the weaker mode, says what is missing, task not root"
out=$(sbx --config "$tmp/weft.yaml" --without pids --pids 32 -- forkbomb 32 2>&1)
refused_after=$(sed -n 's/^fork refused after \([0-9]*\) children.*/\1/p' <<<"$out")
[ -n "$refused_after" ] && [ "$refused_after" -lt 32 ]
ok $? "without the pids controller RLIMIT_NPROC still stops a fork bomb (${refused_after:-?})"
out=$(sbx --allow-weaker --without memory --memory 64M -- membomb 512 2>&1)
grep -q "refused: allocation failed" <<<"$out"
ok $? "without the memory controller the address-space limit stops a memory bomb"

# ---- supervision and cleanup -----------------------------------------------
# If weftd (the executor) dies, its sandboxes die.
naptime="97.$$"
"$W" sandbox -- /bin/sleep "$naptime" &
runner=$!
sleep 0.5
victim=$(pgrep -f "^/bin/sleep $naptime$" | head -1)
[ -n "$victim" ]
ok $? "sandboxed sleep running (host pid ${victim:-none})"
kill -KILL "$runner"
wait "$runner" 2>/dev/null
sleep 0.3
! kill -0 "${victim:-999999}" 2>/dev/null
ok $? "the sandbox died with its parent"

# The next weftd sweeps what the killed one could not remove.
"$W" sandbox -- /bin/true
leftover=$(find "$tmp/work" -mindepth 1 -maxdepth 1 | wc -l)
[ "$leftover" -eq 0 ]
ok $? "no per-run or /etc directories left ($leftover)"
ls -d /sys/fs/cgroup/*/weft-sandbox-"$runner" /sys/fs/cgroup/*/*/*/weft-sandbox-"$runner" \
    /sys/fs/cgroup/weft-sandbox-"$runner" 2>/dev/null | grep -q . && r=1 || r=0
ok $r "no cgroup left by the killed weftd"
# Only this test's work base: executors of other tests running at the same
# time hold their own /etc mount while they live.
! grep -qF "$tmp/work/" /proc/self/mountinfo
ok $? "no sandbox mount of this test left visible on the host"

echo "1..$n"
exit $failed
