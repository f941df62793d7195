/* What hook/userns.c (the parent) and hook/userns_child.c (the child) share.
 *
 * The child is cloned with CLONE_VM: it runs on a small stack inside the
 * parent's memory and reads and writes `struct userns_child` in place, so no
 * byte is copied and nothing is allocated.  That memory is the parent's, and
 * so is the libc state in it: the child makes raw system calls only (no
 * errno, no locks, no TLS), from a file built without stack protector or
 * sanitizers.
 */
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <linux/filter.h>

#include "../base/err.h"
#include "../oci/idmap.h"

/* The step the child was at when it gave up; its exit status. */
enum userns_child_step {
        CHILD_OK = 0,
        CHILD_PDEATHSIG,        /* prctl(PR_SET_PDEATHSIG) failed */
        CHILD_ORPHANED,         /* the parent died before PR_SET_PDEATHSIG was on */
        CHILD_RLIMIT_CORE,      /* prlimit64(RLIMIT_CORE) failed */
        CHILD_SECCOMP,          /* seccomp(SECCOMP_SET_MODE_FILTER) failed */
        CHILD_STOP,             /* tkill(self, SIGSTOP) failed */
};

struct userns_child {
        /* Set by the parent before the clone. */
        pid_t parent;                   /* the pid getppid() must return */
        const struct sock_fprog *filter;
        long probe[4];                  /* test builds: {nr, a0, a1, a2}, nr < 0: none */

        /* Set by the child before it stops or exits; read by the parent once
         * waitid() has reported that (the system calls order the accesses). */
        int traceme_errno;              /* 0: traced; else why PTRACE_TRACEME failed */
        int failed_errno;               /* with a non-zero exit status */
};

/* The child's whole life (hook/userns_child.c); `arg` is a struct
 * userns_child.  Never returns: it stops until killed, or exits with the
 * enum userns_child_step at which it failed. */
int userns_child_main(void *arg);

#ifdef OCI_IDMAP_TESTING
/* Test builds only (never in the installed binary): clones the child exactly as userns_fd() does, with its probe set
 * to make the system call `probe` ({nr, a0, a1, a2}) right after its seccomp
 * filter is on, and reports in `how` the first thing waitid() saw (the
 * child's death, or its stop when the call was allowed).  The child is always
 * killed and reaped before this returns. */
int userns_child_probe(const long probe[4], siginfo_t *how, struct err *e);
#endif
