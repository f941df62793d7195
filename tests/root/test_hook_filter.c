/* The hook's own seccomp filter (seccomp/hook_filter.h), loaded for real in
 * a forked child, as root.
 *
 * What must hold: a call off the list, or an allowed call with an argument
 * the list pins to other values, kills the process with SIGSYS; the calls
 * the hook still makes under it (the traced fork, whose child stacks its own
 * filter on this one, and the error line to stderr and syslog) work.  Each
 * probe would be harmless if it ran (bad fd, bad pointer, bad flag
 * combination), so a broken filter fails the test without hurting the
 * machine.  Every forked child is waited for; the one that mounts does it in
 * a mount namespace of its own that dies with it.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <linux/mount.h>
#include <linux/seccomp.h>

#include "base/cleanup.h"
#include "hook/log.h"
#include "hook/userns.h"
#include "hook/userns_internal.h"
#include "seccomp/filter.h"
#include "seccomp/hook_filter.h"

/* Exit codes of the forked children, besides 0. */
enum { CHILD_INSTALL_FAILED = 90, CHILD_CHECK_FAILED = 91, CHILD_SETUP_FAILED = 92 };

/* Forks; the child loads the hook's filter and runs `body`, then exits 0.
 * Returns the child's wait status. */
static int in_filtered_child(void (*body)(const void *), const void *arg)
{
        int status;
        pid_t pid = fork();

        cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
        if (pid == 0) {
                struct err e = { 0 };

                if (hook_filter_install(&e) < 0) {
                        fprintf(stderr, "hook_filter_install: %s\n", e.msg);
                        _exit(CHILD_INSTALL_FAILED);
                }
                body(arg);
                _exit(0);
        }
        cr_assert_eq(waitpid(pid, &status, 0), pid, "waitpid: %s", strerror(errno));
        return status;
}

static const char *describe(int status)
{
        static char buf[64];

        if (WIFEXITED(status))
                snprintf(buf, sizeof(buf), "exit %d", WEXITSTATUS(status));
        else if (WIFSIGNALED(status))
                snprintf(buf, sizeof(buf), "killed by SIG%s", sigabbrev_np(WTERMSIG(status)) ?: "?");
        else
                snprintf(buf, sizeof(buf), "status %#x", status);
        return buf;
}

struct probe {
        const char *what;
        long call[6];           /* nr, a0..a4 */
};

static void run_probe(const void *arg)
{
        const struct probe *p = arg;

        syscall(p->call[0], p->call[1], p->call[2], p->call[3], p->call[4], p->call[5]);
}

static const struct probe forbidden[] = {
        { "getuid()", { SYS_getuid } },
        { "mount(NULL, NULL, NULL, 0, NULL)", { SYS_mount, 0, 0, 0, 0 } },
        { "unshare(0)", { SYS_unshare, 0 } },
        { "execve(NULL, NULL, NULL)", { SYS_execve, 0, 0, 0 } },
        { "kill(0, 0)", { SYS_kill, 0, 0 } },
        { "pivot_root(NULL, NULL)", { SYS_pivot_root, 0, 0 } },
        { "mprotect(NULL, 0, 0)", { SYS_mprotect, 0, 0, 0 } },
        { "futex(NULL, FUTEX_WAIT, 0): FUTEX_WAKE_PRIVATE only", { SYS_futex, 0, 0, 0 } },
        { "rt_sigreturn()", { SYS_rt_sigreturn } },
        { "socket(AF_INET, -1, 0): AF_UNIX only", { SYS_socket, AF_INET, -1, 0 } },
        { "mmap(PROT_EXEC) with a bad fd", { SYS_mmap, 0, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, -1 } },
        { "clone(CLONE_THREAD): only the traced fork's flags", { SYS_clone, CLONE_THREAD, 0, 0, 0 } },
        { "ptrace(PTRACE_ATTACH, 0)", { SYS_ptrace, PTRACE_ATTACH, 0 } },
        { "prctl(PR_SET_DUMPABLE, 1): only PR_SET_PDEATHSIG", { SYS_prctl, PR_SET_DUMPABLE, 1 } },
        { "prlimit64(0, RLIMIT_NOFILE, NULL, NULL)", { SYS_prlimit64, 0, RLIMIT_NOFILE, 0, 0 } },
        { "seccomp(SECCOMP_GET_ACTION_AVAIL, 0, NULL)", { SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, 0 } },
        { "setns(-1, CLONE_NEWUSER): mount namespaces only", { SYS_setns, -1, CLONE_NEWUSER } },
        { "ioctl(-1, TIOCSTI, NULL)", { SYS_ioctl, -1, 0x5412, 0 } },
        { "pidfd_send_signal(-1, SIGTERM)", { SYS_pidfd_send_signal, -1, SIGTERM, 0, 0 } },
        { "tkill(-1, SIGCONT): SIGSTOP only", { SYS_tkill, -1, SIGCONT } },
        { "umount2(NULL, 0): MNT_DETACH only", { SYS_umount2, 0, 0 } },
        { "fsconfig(-1, FSCONFIG_SET_PATH): CMD_CREATE and an overlay's SET_FD, SET_STRING, "
          "SET_FLAG only", { SYS_fsconfig, -1, FSCONFIG_SET_PATH, 0, 0 } },
        { "fsconfig(-1, FSCONFIG_CMD_RECONFIGURE)", { SYS_fsconfig, -1, FSCONFIG_CMD_RECONFIGURE, 0, 0 } },
#if defined(__x86_64__)
        /* An allowed call through the x32 numbers, and through i386's. */
        { "x32 getpid()", { 0x40000000 | SYS_getpid } },
#endif
};

Test(hook_filter, kills_the_process_with_sigsys_on_any_call_off_its_list)
{
        for (size_t i = 0; i < ARRAY_SIZE(forbidden); i++) {
                int status = in_filtered_child(run_probe, &forbidden[i]);

                cr_expect(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS,
                          "%s: the process was not killed by SIGSYS (%s)", forbidden[i].what,
                          describe(status));
        }
}

#if defined(__x86_64__)
/* int 0x80 runs i386's table: getpid there is 20, an arch the filter does
 * not know at all. */
static void i386_getpid(const void *arg)
{
        long r;

        (void)arg;
        __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
}

Test(hook_filter, kills_a_call_through_another_abi)
{
        int status = in_filtered_child(i386_getpid, NULL);

        cr_expect(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS,
                  "i386 getpid(): not killed by SIGSYS (%s)", describe(status));
}
#endif

/* The control: the same harness survives allowed calls, with allowed
 * arguments, so the kills above are the filter's doing. */
static const struct probe allowed[] = {
        { "getpid()", { SYS_getpid } },
        { "close(-1)", { SYS_close, -1 } },
        { "socket(AF_UNIX, -1, 0)", { SYS_socket, AF_UNIX, -1, 0 } },
        { "pidfd_send_signal(-1, 0)", { SYS_pidfd_send_signal, -1, 0, 0, 0 } },
        { "setns(-1, CLONE_NEWNS)", { SYS_setns, -1, CLONE_NEWNS } },
        { "umount2(NULL, MNT_DETACH)", { SYS_umount2, 0, MNT_DETACH } },
        { "mmap(PROT_READ) with a bad fd", { SYS_mmap, 0, 4096, PROT_READ, MAP_SHARED, -1 } },
};

Test(hook_filter, lets_the_calls_the_hook_makes_through)
{
        for (size_t i = 0; i < ARRAY_SIZE(allowed); i++) {
                int status = in_filtered_child(run_probe, &allowed[i]);

                cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: %s",
                          allowed[i].what, describe(status));
        }
}

/* ---- the traced fork under both filters ------------------------------------ */

static void make_userns(const void *arg)
{
        struct id_mapping *m = calloc(1, sizeof(*m));
        struct err e = { 0 };
        int fd;

        (void)arg;
        if (!m)
                _exit(CHILD_SETUP_FAILED);
        m->uid = (struct id_map){ .n = 1, .r = { { 0, 100000, 65536 } } };
        m->gid = m->uid;
        fd = userns_fd(m, &e);
        if (fd < 0) {
                fprintf(stderr, "userns_fd: %s\n", e.msg);
                _exit(CHILD_CHECK_FAILED);
        }
}

Test(hook_filter, the_traced_fork_makes_a_user_namespace_under_it)
{
        int status = in_filtered_child(make_userns, NULL);

        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "userns_fd under the filter: %s",
                  describe(status));
}

/* The child of the traced fork inherits the hook's filter and adds its own;
 * the kernel runs both.  A call both allow goes through (the child stops); a
 * call the hook's filter allows and the child's does not (write) still
 * kills the child. */
static void probe_child(const void *arg)
{
        const long *call = arg;
        struct err e = { 0 };
        siginfo_t how;

        if (userns_child_probe(call, &how, &e) < 0)
                _exit(CHILD_SETUP_FAILED);
        _exit(how.si_code == CLD_KILLED || how.si_code == CLD_DUMPED ? how.si_status : 0);
}

Test(hook_filter, the_traced_forks_child_keeps_its_own_stricter_filter_under_it)
{
        static const long write_call[4] = { SYS_write, -1, 0, 0 };
        static const long gettid_call[4] = { SYS_gettid, 0, 0, 0 };
        int killed = in_filtered_child(probe_child, write_call);
        int stopped = in_filtered_child(probe_child, gettid_call);

        cr_expect(WIFEXITED(killed) && WEXITSTATUS(killed) == SIGSYS,
                  "write(-1) in the child: expected its death by SIGSYS, got %s (exit = signal)",
                  describe(killed));
        cr_expect(WIFEXITED(stopped) && WEXITSTATUS(stopped) == 0,
                  "gettid() in the child: expected it to stop, got %s (exit = signal)",
                  describe(stopped));
}

/* ---- the error line ------------------------------------------------------------ */


/* A mount namespace of the child's own with a tmpfs on /dev holding a
 * datagram socket at /dev/log: syslog() talks to the child itself. */
static int own_dev_log(void)
{
        struct sockaddr_un a = { .sun_family = AF_UNIX, .sun_path = "/dev/log" };
        int s;

        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("tmpfs", "/dev", "tmpfs", 0, "mode=0755") < 0)
                return -1;
        s = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0)
                return -1;
        return s;
}

static void log_one_line(int syslog_sock)
{
        char buf[2048];
        ssize_t n;

        log_line(LOG_ERR, "container c1: test line");
        /* read(2), not recv(2): the filter allows the former only */
        n = read(syslog_sock, buf, sizeof(buf));
        if (n <= 0)
                _exit(CHILD_CHECK_FAILED);
        if (write(STDOUT_FILENO, buf, (size_t)n) != n)
                _exit(CHILD_CHECK_FAILED);
}

Test(hook_filter, the_error_line_reaches_stderr_and_syslog_under_it)
{
        int out[2], err[2], status;
        char got_out[2048] = "", got_err[2048] = "";
        pid_t pid;

        cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
        cr_assert_eq(pipe2(err, O_CLOEXEC), 0);
        pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
                struct err e = { 0 };
                int sock;

                if (dup2(out[1], STDOUT_FILENO) < 0 || dup2(err[1], STDERR_FILENO) < 0)
                        _exit(CHILD_SETUP_FAILED);
                sock = own_dev_log();
                if (sock < 0)
                        _exit(CHILD_SETUP_FAILED);
                if (hook_filter_install(&e) < 0)
                        _exit(CHILD_INSTALL_FAILED);
                log_one_line(sock);
                _exit(0);
        }
        close(out[1]);
        close(err[1]);
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_assert_geq(read(out[0], got_out, sizeof(got_out) - 1), 0);
        cr_assert_geq(read(err[0], got_err, sizeof(got_err) - 1), 0);
        close(out[0]);
        close(err[0]);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s; stderr: %s",
                  describe(status), got_err);
        cr_expect_str_eq(got_err, "oci-idmap-hook: container c1: test line\n");
        cr_expect(strstr(got_out, "oci-idmap-hook") && strstr(got_out, "container c1: test line"),
                  "syslog got: \"%s\"", got_out);
}

/* ---- what it says it allows ------------------------------------------------- */

Test(hook_filter, prints_its_list_with_kill_as_the_default)
{
        struct err e = { 0 };
        int p[2];
        char buf[65536];
        ssize_t n;

        /* seccomp_export_pfc writes to an fd: a pipe, read back whole */
        cr_assert_eq(pipe(p), 0);
        {
                FILE *w = fdopen(p[1], "w");

                cr_assert(w);
                cr_assert_eq(hook_filter_print(w, &e), 0, "%s", e.msg);
                fclose(w);
        }
        n = read(p[0], buf, sizeof(buf) - 1);
        close(p[0]);
        cr_assert_gt(n, 0);
        buf[n] = '\0';
        cr_expect(strstr(buf, "action KILL_PROCESS;"), "no kill default in:\n%s", buf);
        cr_expect(strstr(buf, "mount_setattr"), "mount_setattr missing from:\n%s", buf);
        cr_expect(!strstr(buf, "execve") && !strstr(buf, "pivot_root"),
                  "execve or pivot_root allowed in:\n%s", buf);
}

/* The programs the hook carries were made from these lists when it was
 * built (seccomp/gen_bpf.c): made again now, they are the same. */
static void expect_program_is(const struct sock_fprog *built,
                              int (*make)(scmp_filter_ctx *, struct err *), const char *what)
{
        struct sock_fprog now = { 0 };
        struct err e = { 0 };
        scmp_filter_ctx ctx;

        cr_assert_eq(make(&ctx, &e), 0, "%s", e.msg);
        cr_assert_eq(seccomp_export_uncached(ctx, &now, &e), 0, "%s", e.msg);
        seccomp_release(ctx);
        cr_assert_eq(now.len, built->len, "%s: %u instructions built in, %u from its list",
                     what, built->len, now.len);
        cr_assert_eq(memcmp(now.filter, built->filter, now.len * sizeof(*now.filter)), 0,
                     "%s: the compiled-in program is not its list's", what);
        free(now.filter);
}

Test(hook_filter, compiled_in_programs_are_the_ones_their_lists_make)
{
        struct err e = { 0 };

        expect_program_is(hook_filter_program(), hook_filter_ctx, "the hook's filter");
        expect_program_is(userns_child_filter(&e), userns_child_filter_ctx, "the child's filter");
}
