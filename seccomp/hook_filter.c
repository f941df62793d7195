/* The hook's own seccomp allowlist (see hook_filter.h).
 *
 * The list was found by tracing the hook (`strace -f` through a wrapper hook
 * script) over the e2e suites under runc 1.1.5 and 1.3.6, crun 1.8.1 and
 * 1.27.1, with and without podman, from its first read of uid_map in the
 * namespaces stage to its exit, on the success and the failure paths; then
 * each entry was checked against the code that makes the call.
 *
 * Why kill and not EPERM: once this filter is on, the plan has work, so the
 * container was set up to get idmapped mounts and must not start without
 * them.  A call off the list is either a change in the code that the list
 * missed (the e2e suite runs with the filter on and catches it) or a hook
 * that no longer does what its code says.  EPERM would hand control back to
 * that code, and glibc answers some errors by trying another way (another
 * system call, a fallback path), which hides the missing entry; the kill
 * stops the hook before its next mount change.  The runtime then sees its
 * hook fail and does not start the container, and the container's mount
 * namespace, where all the mount work happens, goes with it: the same
 * outcome as the hook killed by SIGKILL at any step.  tests/e2e/test_faults.c
 * proves both leave nothing behind, making a call of the real hook off this
 * list at three points of its work.
 */
#include "hook_filter.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/futex.h>
#include <linux/mount.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include "../base/cleanup.h"
#include "filter.h"

/* linux/pidfd.h of Linux 6.11; Debian 12's headers are older. */
#ifndef PIDFD_GET_USER_NAMESPACE
#define PIDFD_GET_USER_NAMESPACE _IO(0xFF, 9)
#endif

/* The one clone hook/userns.c makes (child_start): a child sharing memory
 * and fd table, born in a new user namespace, exit signal 0.  No fork, no
 * thread. */
#define USERNS_CLONE_FLAGS (CLONE_VM | CLONE_FILES | CLONE_NEWUSER | CLONE_PIDFD)


/* Left out on purpose:
 *   - rt_sigreturn: the hook installs no signal handler, so no frame is ever
 *     returned from (SIGCHLD from the traced child's stop is ignored by
 *     default, SIGKILL and SIGSYS end the hook).
 *   - restart_syscall: only asked for after a handler interrupted a sleep.
 *   - futex, but for one wake: the hook is single-threaded; glibc's locks
 *     (malloc, stdio, syslog) never wait.
 *   - mprotect, and mmap with PROT_EXEC: nothing is loaded any more; no page
 *     becomes executable.
 *   - seccomp's probes (SECCOMP_GET_ACTION_AVAIL, ...): libseccomp made them
 *     once, building this filter, and keeps their answers.
 *   - mount(2), pivot_root, chroot, unshare, execve, kill, open_by_handle_at,
 *     any socket but AF_UNIX: the plan needs none of them. */
static const struct seccomp_allowed allowlist[] = {
        /* Files: the container's uid_map, gid_map, ns/user and mountinfo
         * through its /proc dir; mount points by openat2 with RESOLVE_*;
         * /proc/self; /dev/null's clone; the maps of the child. */
        ALLOW(openat),
        ALLOW(openat2),
        ALLOW(read),
        ALLOW(write),           /* uid_map, gid_map; the error line on stderr */
        ALLOW(writev),          /* the same through musl's stdio (HOOK_LIBC=musl) */
        ALLOW(close),
        ALLOW(newfstatat),      /* fstat() and /proc/self/ns/mnt */
        ALLOW(fstat),           /* musl's fstat() */
        ALLOW(statx),           /* mount ids and types of what was opened */
        ALLOW(lseek),           /* glibc's tzfile reader, for syslog's timestamp */

        /* malloc: the heap and large blocks, never executable. */
        ALLOW(brk),
        ALLOW_IF(mmap, ARG_BITS_CLEAR(2, PROT_EXEC)),
        ALLOW(munmap),
        ALLOW(mremap),
        /* musl's malloc hands freed pages back with MADV_FREE */
        ALLOW_IF(madvise, ARG_EQ(2, MADV_FREE)),

        /* The child's filter, built on the first traced fork only (most
         * containers need none: their own namespace serves): libseccomp
         * exports it through a memfd (seccomp/filter.c), and pthread_once
         * ends with a futex wake, whether anyone waits or not. */
        ALLOW_IF(memfd_create, ARG_EQ(1, MFD_CLOEXEC)),
        ALLOW(pread64),
        ALLOW_IF(futex, ARG_EQ(1, FUTEX_WAKE_PRIVATE)),

        /* The traced fork (hook/userns.c), parent side. */
        ALLOW(getpid),
        ALLOW(rt_sigprocmask),  /* every signal blocked around the clone */
        ALLOW_IF(clone, ARG_EQ(0, USERNS_CLONE_FLAGS)),
        ALLOW(getcpu),          /* sched_getcpu() where the vDSO cannot answer */
        ALLOW(sched_setaffinity),
        ALLOW(waitid),
        ALLOW_IF(ptrace, ARG_EQ(0, PTRACE_SETOPTIONS)),
        ALLOW_IF(ioctl, ARG_EQ(1, PIDFD_GET_USER_NAMESPACE)),
        /* Probe (signal 0) that a pid still names the pidfd's process; kill
         * the child. */
        ALLOW_IF(pidfd_send_signal, ARG_EQ(1, 0)),
        ALLOW_IF(pidfd_send_signal, ARG_EQ(1, SIGKILL)),

        /* The traced fork's child inherits this filter.  What it calls
         * before its own filter is on (hook/userns_child.c), then what its
         * own filter allows, which both filters must let through. */
        ALLOW_IF(prctl, ARG_EQ(0, PR_SET_PDEATHSIG)),
        ALLOW(getppid),
        ALLOW_IF2(prlimit64, ARG_EQ(0, 0), ARG_EQ(1, RLIMIT_CORE)),
        ALLOW_IF(seccomp, ARG_EQ(0, SECCOMP_SET_MODE_FILTER)),  /* only adds limits */
        ALLOW_IF(ptrace, ARG_EQ(0, PTRACE_TRACEME)),
        ALLOW(gettid),
        ALLOW_IF(tkill, ARG_EQ(1, SIGSTOP)),

        /* The mount work (hook/mounts.c). */
        ALLOW_IF(setns, ARG_EQ(1, CLONE_NEWNS)),
        ALLOW(open_tree),
        ALLOW(mount_setattr),
        ALLOW(move_mount),
        ALLOW(fsopen),          /* "tmpfs" for masked directories, "overlay" */
        ALLOW_IF(fsconfig, ARG_EQ(1, FSCONFIG_CMD_CREATE)),
        /* An overlay rootfs made anew: its layers as fds, its options as
         * the runtime's overlay had them, and made with the container
         * root's fs ids and every capability it already had (capset can
         * only take from the permitted set, setfsuid only moves the ids
         * checked on files). */
        ALLOW_IF(fsconfig, ARG_EQ(1, FSCONFIG_SET_FD)),
        ALLOW_IF(fsconfig, ARG_EQ(1, FSCONFIG_SET_STRING)),
        ALLOW_IF(fsconfig, ARG_EQ(1, FSCONFIG_SET_FLAG)),
        ALLOW(setfsuid),
        ALLOW(setfsgid),
        ALLOW(capget),
        ALLOW(capset),
        ALLOW(fsmount),
        ALLOW_IF(umount2, ARG_EQ(1, MNT_DETACH)),
        ALLOW(fchdir),          /* into /proc/self, to umount fd/N */
        ALLOW(chdir),           /* and back to / */

        /* The error line to syslog (hook/log.c): glibc's syslog() opens an
         * AF_UNIX datagram socket to /dev/log, and reads the time zone. */
        ALLOW_IF(socket, ARG_EQ(0, AF_UNIX)),
        ALLOW(connect),
        ALLOW(sendto),
        ALLOW(clock_gettime),   /* where the vDSO cannot answer */

        ALLOW(exit_group),

#if defined(__SANITIZE_ADDRESS__)
        /* AddressSanitizer builds only (CMake SANITIZE=ON, for the tests):
         * its runtime takes down its alternate signal stack on exit.  Never
         * in the shipped hook. */
        ALLOW(sigaltstack),
#endif
};

int hook_filter_ctx(scmp_filter_ctx *out, struct err *e)
{
        return seccomp_allowlist_ctx(allowlist, ARRAY_SIZE(allowlist), out, e);
}

#ifdef OCI_IDMAP_TESTING
int hook_filter_print(FILE *f, struct err *e)
{
        return seccomp_print(hook_filter_ctx, f, e);
}
#endif
