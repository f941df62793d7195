/* The child of the traced fork: born in a new user namespace, it locks
 * itself down, becomes its parent's tracee and stops until it is killed.
 *
 * It shares the parent's memory and fd table (CLONE_VM, CLONE_FILES) and
 * runs on a stack the parent lent it, with the parent thread's TLS pointer
 * still loaded.  Any libc function could take a lock the parent holds or
 * write the parent thread's errno, so this file calls none: every system
 * call below is a raw instruction.  CMake builds it without the stack
 * protector (whose failure path is libc's) and without sanitizers (whose
 * runtime state is the parent's).
 */
#include "userns_internal.h"

#include <errno.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include <linux/prctl.h>
#include <linux/seccomp.h>

#if defined(__x86_64__)
static inline long raw_syscall4(long nr, long a0, long a1, long a2, long a3)
{
        register long r10 __asm__("r10") = a3;
        long ret;

        __asm__ volatile("syscall"
                         : "=a"(ret)
                         : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10)
                         : "rcx", "r11", "memory");
        return ret;
}
#elif defined(__aarch64__)
static inline long raw_syscall4(long nr, long a0, long a1, long a2, long a3)
{
        register long x8 __asm__("x8") = nr;
        register long x0 __asm__("x0") = a0;
        register long x1 __asm__("x1") = a1;
        register long x2 __asm__("x2") = a2;
        register long x3 __asm__("x3") = a3;

        __asm__ volatile("svc 0"
                         : "+r"(x0)
                         : "r"(x8), "r"(x1), "r"(x2), "r"(x3)
                         : "memory");
        return x0;
}
#else
#error "hook/userns_child.c: raw system calls are written for x86-64 and aarch64 only"
#endif

/* Raw calls return -errno in [-4095, -1]. */
static inline int raw_errno(long r)
{
        return r < 0 && r >= -4095 ? (int)-r : 0;
}

static __attribute__((noreturn)) void give_up(struct userns_child *c,
                                              enum userns_child_step step, long r)
{
        __atomic_store_n(&c->failed_errno, raw_errno(r), __ATOMIC_RELEASE);
        for (;;)
                raw_syscall4(__NR_exit_group, step, 0, 0, 0);
}

int userns_child_main(void *arg)
{
        struct userns_child *c = arg;
        struct rlimit64 no_core = { 0, 0 };
        long r, tid;

        /* Die with the parent thread.  The parent may already be gone (it
         * was killed between clone and here): the child then belongs to a
         * reaper and getppid() tells.  Both checks happen before the filter,
         * which allows neither call. */
        r = raw_syscall4(__NR_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0);
        if (r < 0)
                give_up(c, CHILD_PDEATHSIG, r);
        if (raw_syscall4(__NR_getppid, 0, 0, 0, 0) != c->parent)
                give_up(c, CHILD_ORPHANED, -ESRCH);

        /* A child killed by its filter dies of SIGSYS, a core-dumping
         * signal; its core would be the parent's whole address space.  The
         * limit is the child's own (rlimits are per process, not per mm). */
        r = raw_syscall4(__NR_prlimit64, 0, RLIMIT_CORE, (long)&no_core, 0);
        if (r < 0)
                give_up(c, CHILD_RLIMIT_CORE, r);

        /* No PR_SET_NO_NEW_PRIVS needed: the child holds CAP_SYS_ADMIN in
         * its new user namespace, which is what seccomp asks for instead.
         * The filter cannot be lifted, and it outlives everything below. */
        r = raw_syscall4(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, (long)c->filter, 0);
        if (r < 0)
                give_up(c, CHILD_SECCOMP, r);

#ifdef OCI_IDMAP_TESTING
        /* Test builds only (userns_child_probe): one call under the filter. */
        if (c->probe[0] >= 0)
                raw_syscall4(c->probe[0], c->probe[1], c->probe[2], c->probe[3], 0);
#endif

        /* May fail where an LSM forbids ptrace; the child then stops
         * untraced and the parent falls back (see userns.h). */
        r = raw_syscall4(__NR_ptrace, PTRACE_TRACEME, 0, 0, 0);
        __atomic_store_n(&c->traceme_errno, raw_errno(r), __ATOMIC_RELEASE);

        /* Traced, the SIGSTOP is a signal-delivery stop the parent sees in
         * waitid(); the parent never resumes a tracee.  Untraced, it is a
         * group stop that a stray SIGCONT could end: stop again. */
        tid = raw_syscall4(__NR_gettid, 0, 0, 0, 0);
        for (;;) {
                r = raw_syscall4(__NR_tkill, tid, SIGSTOP, 0, 0);
                if (r < 0)
                        give_up(c, CHILD_STOP, r);
        }
}
