/* hook-fault: runs the hook as a runtime would and injects one fault while
 * it runs.  For tests/e2e/test_faults.c only; never installed.
 *
 *     hook-fault TARGET WHEN REPORT HOOK [ARGS...]
 *
 * The state JSON on stdin is read whole and handed to HOOK on a pipe.  At
 * the moment WHEN names, TARGET is sent SIGKILL:
 *     TARGET  hook        the hook
 *             init        the container's process (state.pid); the hook then
 *                         runs on
 *             offlist     nobody: the hook's call is made getuid(2) instead,
 *                         a call off the hook's seccomp allowlist, and the
 *                         hook let go (CALL:N only): its filter must kill it
 *     WHEN    after:USEC  USEC microseconds after the exec (a sweep of these
 *                         lands anywhere)
 *             CALL:N      at the entry of the hook's Nth system call CALL
 *                         (setns, clone, open_tree, ...): before it runs
 * For CALL:N the hook runs under ptrace (seized by hook-fault; the hook's
 * own traced fork is untouched, its child is not followed), and is
 * held in its syscall-entry stop while the fault is injected.  For after:
 * it is stopped with SIGSTOP first.  Either way where it was is read while
 * it cannot move, and one line is appended to REPORT: where (exited: it had
 * finished; mntns: inside the container's mount namespace; userns: holding
 * a user-namespace fd; before: neither), then the hook's exit status.
 * hook-fault exits with the hook's status, 128 + signal when the hook was
 * killed, as a shell would.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *report_path;

/* Into the report too: crun keeps a hook's stderr to itself. */
static __attribute__((noreturn)) void die(const char *what)
{
        int err = errno;
        FILE *f = report_path ? fopen(report_path, "a") : NULL;

        fprintf(stderr, "hook-fault: %s: %s\n", what, strerror(err));
        if (f) {
                fprintf(f, "hook-fault: %s: %s\n", what, strerror(err));
                fclose(f);
        }
        exit(125);
}

static const struct {
        const char *name;
        long nr;
} calls[] = {
        { "pidfd_open", SYS_pidfd_open }, { "clone", SYS_clone }, { "setns", SYS_setns },
        { "open_tree", SYS_open_tree }, { "move_mount", SYS_move_mount },
        { "mount_setattr", SYS_mount_setattr }, { "fsmount", SYS_fsmount },
        { "umount2", SYS_umount2 }, { "exit_group", SYS_exit_group },
};

static long call_nr(const char *name, size_t len)
{
        for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
                if (strlen(calls[i].name) == len && strncmp(calls[i].name, name, len) == 0)
                        return calls[i].nr;
        fprintf(stderr, "hook-fault: unknown system call \"%.*s\"\n", (int)len, name);
        exit(125);
}

static bool in_other_mntns(pid_t pid, const char *own)
{
        char path[64], link[64];
        ssize_t n;

        snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
        n = readlink(path, link, sizeof(link) - 1);
        if (n <= 0)
                return false;
        link[n] = '\0';
        return strcmp(link, own) != 0;
}

static bool holds_userns_fd(pid_t pid)
{
        char path[64], link[64];
        struct dirent *d;
        bool found = false;
        DIR *dir;

        snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
        dir = opendir(path);
        if (!dir)
                return false;
        while (!found && (d = readdir(dir))) {
                ssize_t n = readlinkat(dirfd(dir), d->d_name, link, sizeof(link) - 1);

                found = n > 6 && strncmp(link, "user:[", 6) == 0;
        }
        closedir(dir);
        return found;
}

/* Where the stopped hook is. */
static const char *locate(pid_t pid, const char *own)
{
        if (in_other_mntns(pid, own))
                return "mntns";
        return holds_userns_fd(pid) ? "userns" : "before";
}

/* Starts HOOK with the state on its stdin.  Traced, it is seized before it
 * execs (it waits on `go` until then): runtimes may run hooks with every
 * signal blocked (crun does), where the SIGTRAP that PTRACE_TRACEME's exec
 * stop needs would never be taken; PTRACE_INTERRUPT stops it regardless. */
static pid_t start_hook(char **argv, bool traced, const char *state)
{
        int in[2], go[2];
        pid_t pid;
        char c;

        if (pipe(in) < 0 || pipe(go) < 0)
                die("pipe");
        pid = fork();
        if (pid < 0)
                die("fork");
        if (pid == 0) {
                dup2(in[0], STDIN_FILENO);
                close(in[0]);
                close(in[1]);
                close(go[1]);
                if (read(go[0], &c, 1) < 0)
                        die("read");
                close(go[0]);
                execv(argv[0], argv);
                die(argv[0]);
        }
        close(in[0]);
        close(go[0]);
        if (traced) {
                int status;

                if (ptrace(PTRACE_SEIZE, pid, NULL,
                           (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL)) < 0 ||
                    ptrace(PTRACE_INTERRUPT, pid, NULL, NULL) < 0)
                        die("PTRACE_SEIZE");
                if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status))
                        die("the hook did not stop before its exec");
        }
        if (write(in[1], state, strlen(state)) < 0)
                die("write the state");
        close(in[1]);
        close(go[1]);
        return pid;
}

/* after:USEC.  Returns where the hook was; *status once it is reaped. */
static const char *fault_after(pid_t hook, long usec, pid_t victim, const char *own, int *status)
{
        const char *where;

        clock_nanosleep(CLOCK_MONOTONIC, 0,
                        &(struct timespec){ usec / 1000000, (usec % 1000000) * 1000 }, NULL);
        kill(hook, SIGSTOP);
        if (waitpid(hook, status, WUNTRACED) != hook)
                die("waitpid");
        if (!WIFSTOPPED(*status))
                return "exited";
        where = locate(hook, own);
        kill(victim ? victim : hook, SIGKILL);
        kill(hook, SIGCONT);
        if (waitpid(hook, status, 0) != hook)
                die("waitpid");
        return where;
}

/* In a syscall-entry stop: makes the call about to run getuid(2).  The
 * kernel runs the seccomp filters after the tracer's stop, on the call as
 * the tracer left it. */
static void swap_call_for_getuid(pid_t pid)
{
#if defined(__x86_64__)
        if (ptrace(PTRACE_POKEUSER, pid, (void *)offsetof(struct user, regs.orig_rax),
                   (void *)(long)SYS_getuid) < 0)
                die("PTRACE_POKEUSER orig_rax");
#elif defined(__aarch64__)
        int nr = SYS_getuid;
        struct iovec iov = { &nr, sizeof(nr) };

        if (ptrace(PTRACE_SETREGSET, pid, (void *)NT_ARM_SYSTEM_CALL, &iov) < 0)
                die("PTRACE_SETREGSET NT_ARM_SYSTEM_CALL");
#else
#error "hook-fault: swapping a call is written for x86-64 and aarch64 only"
#endif
}

/* The fault itself, on the hook held in a stop; reaps the hook. */
static void inject(pid_t hook, const char *target, pid_t init, int *status)
{
        if (strcmp(target, "offlist") == 0)
                swap_call_for_getuid(hook);
        else
                kill(strcmp(target, "init") == 0 ? init : hook, SIGKILL);
        if (strcmp(target, "hook") != 0)
                ptrace(PTRACE_DETACH, hook, NULL, NULL);
        if (waitpid(hook, status, 0) != hook)
                die("waitpid");
}

/* CALL:N under ptrace: resumes the hook from stop to stop until the entry
 * of its Nth CALL, or its end. */
static const char *fault_at_call(pid_t hook, long nr, long nth, const char *target, pid_t init,
                                 const char *own, int *status)
{
        const char *where = "exited";
        long seen = 0;
        int sig = 0;

        for (;;) {
                struct __ptrace_syscall_info info;

                if (ptrace(PTRACE_SYSCALL, hook, NULL, (void *)(long)sig) < 0)
                        die("PTRACE_SYSCALL");
                if (waitpid(hook, status, 0) != hook)
                        die("waitpid");
                if (!WIFSTOPPED(*status))
                        return where;
                /* Syscall stops are SIGTRAP | 0x80; an event stop (exec,
                 * PTRACE_INTERRUPT) has an event in the high bits; anything
                 * else is a signal for the hook, handed on. */
                sig = WSTOPSIG(*status) == (SIGTRAP | 0x80) || *status >> 16
                              ? 0 : WSTOPSIG(*status);
                if (sig || ptrace(PTRACE_GET_SYSCALL_INFO, hook, (void *)sizeof(info), &info) <= 0)
                        continue;
                if (info.op != PTRACE_SYSCALL_INFO_ENTRY || (long)info.entry.nr != nr ||
                    ++seen != nth)
                        continue;
                where = locate(hook, own);
                inject(hook, target, init, status);
                return where;
        }
}

int main(int argc, char **argv)
{
        static char state[1 << 16];
        size_t len = 0;
        char own[64];
        const char *where, *when, *colon, *p;
        int status = 0;
        pid_t hook, init = 0;
        ssize_t n;

        if (argc < 5) {
                fprintf(stderr, "usage: hook-fault hook|init|offlist after:USEC|CALL:N REPORT "
                        "HOOK [ARGS...]\n");
                return 125;
        }
        report_path = argv[3];
        when = argv[2];
        colon = strchr(when, ':');
        if (!colon)
                return 125;
        while (len < sizeof(state) - 1 && (n = read(STDIN_FILENO, state + len,
                                                    sizeof(state) - 1 - len)) > 0)
                len += (size_t)n;
        state[len] = '\0';
        p = strstr(state, "\"pid\":");
        init = p ? (pid_t)strtol(p + 6, NULL, 10) : 0;
        if (strcmp(argv[1], "init") == 0 && init <= 0) {
                fprintf(stderr, "hook-fault: no \"pid\" in the state\n");
                return 125;
        }
        n = readlink("/proc/self/ns/mnt", own, sizeof(own) - 1);
        if (n <= 0)
                die("readlink /proc/self/ns/mnt");
        own[n] = '\0';

        if (strncmp(when, "after:", 6) == 0) {
                if (strcmp(argv[1], "offlist") == 0)
                        return 125;
                hook = start_hook(argv + 4, false, state);
                where = fault_after(hook, strtol(colon + 1, NULL, 10),
                                    strcmp(argv[1], "init") == 0 ? init : 0, own, &status);
        } else {
                hook = start_hook(argv + 4, true, state);
                where = fault_at_call(hook, call_nr(when, (size_t)(colon - when)),
                                      strtol(colon + 1, NULL, 10), argv[1], init, own, &status);
        }
        status = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
        {
                FILE *f = fopen(argv[3], "a");

                if (!f)
                        die(argv[3]);
                fprintf(f, "%s %d\n", where, status);
                fclose(f);
        }
        return status;
}
