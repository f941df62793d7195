/* <string.h> for musl, plus sigabbrev_np() (glibc 2.32): the signal's
 * abbreviated name ("KILL"), NULL for a number that names none. */
#pragma once

#include_next <string.h>
#include <signal.h>

static inline const char *sigabbrev_np(int sig)
{
        static const char *const names[] = {
                [SIGHUP] = "HUP",     [SIGINT] = "INT",       [SIGQUIT] = "QUIT",
                [SIGILL] = "ILL",     [SIGTRAP] = "TRAP",     [SIGABRT] = "ABRT",
                [SIGBUS] = "BUS",     [SIGFPE] = "FPE",       [SIGKILL] = "KILL",
                [SIGUSR1] = "USR1",   [SIGSEGV] = "SEGV",     [SIGUSR2] = "USR2",
                [SIGPIPE] = "PIPE",   [SIGALRM] = "ALRM",     [SIGTERM] = "TERM",
                [SIGSTKFLT] = "STKFLT", [SIGCHLD] = "CHLD",   [SIGCONT] = "CONT",
                [SIGSTOP] = "STOP",   [SIGTSTP] = "TSTP",     [SIGTTIN] = "TTIN",
                [SIGTTOU] = "TTOU",   [SIGURG] = "URG",       [SIGXCPU] = "XCPU",
                [SIGXFSZ] = "XFSZ",   [SIGVTALRM] = "VTALRM", [SIGPROF] = "PROF",
                [SIGWINCH] = "WINCH", [SIGIO] = "IO",         [SIGPWR] = "PWR",
                [SIGSYS] = "SYS",
        };

        return sig > 0 && (unsigned)sig < sizeof(names) / sizeof(names[0]) ? names[sig] : NULL;
}
