/* <sys/pidfd.h> for musl, which has no wrappers for the pidfd calls yet:
 * the two the hook makes, as plain system calls (Linux 5.3 and 5.1). */
#pragma once

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline int pidfd_open(pid_t pid, unsigned int flags)
{
        return (int)syscall(SYS_pidfd_open, pid, flags);
}

static inline int pidfd_send_signal(int pidfd, int sig, siginfo_t *info, unsigned int flags)
{
        return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, info, flags);
}
