/* User-namespace fds through a traced fork: the parent's side (see userns.h;
 * the child's side is hook/userns_child.c).
 *
 * Kernel rules this file is built on:
 *  - A user namespace gets its uid_map and gid_map from writes to
 *    /proc/<pid>/{uid,gid}_map of a process inside it, so a process has to be
 *    born in it: clone(CLONE_NEWUSER).  unshare() would move the caller.
 *  - CLONE_NEWUSER is refused with CLONE_FS (a namespace change while sharing
 *    root and cwd with tasks outside it would let them escape a chroot) and
 *    with CLONE_THREAD (all threads of a process share one set of
 *    credentials).  It works with CLONE_VM and CLONE_FILES: the child lives
 *    on a small stack inside the parent's memory and uses its fd table, so
 *    the clone copies no page table and no fd table, and the exit frees
 *    neither.
 *  - Each map takes exactly one write: the kernel refuses a second one
 *    (EPERM) and a write at an offset other than 0, and the write must be
 *    under a page; idmap_render() makes that text.
 *  - The namespace lives on as long as an fd refers to it, after the child
 *    is gone: the child is killed as soon as the fd is taken and the maps
 *    are written.
 *  - A pid number is reused once its process is reaped.  The pidfd from
 *    CLONE_PIDFD stays bound to this one child: it is waited for with
 *    waitid(P_PIDFD), killed with pidfd_send_signal(), gives the namespace
 *    fd (PIDFD_GET_USER_NAMESPACE), and /proc/<pid> files opened by number
 *    are proven to be the child's by a signal 0 sent through it after the
 *    opens.
 */
#include "userns.h"
#include "userns_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../base/cleanup.h"
#include "../seccomp/filter.h"

/* The child's frames need a few hundred bytes: no signal handler ever runs
 * on this stack (the child starts with every signal blocked), and SIGSTOP and
 * SIGKILL push nothing. */
#define CHILD_STACK_SIZE 4096

/* One call's child.  Lives in the caller's stack frame: the stack it lends
 * the child and the shared struct are gone when userns_fd() returns, by
 * which time the child has been reaped. */
struct child_run {
        struct userns_child shared;
        pid_t pid;
        int pidfd;
        bool reaped;
        alignas(16) unsigned char stack[CHILD_STACK_SIZE];
};

/* Blocks every signal in the calling thread, glibc's own (SIGCANCEL,
 * SIGSETXID) included, which pthread_sigmask() would leave open.  A handler
 * run in the child would be the parent's code, on the child's tiny stack,
 * against the parent's libc state. */
static void block_all_signals(uint64_t *saved)
{
        uint64_t all = ~(uint64_t)0;

        syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, saved, sizeof(all));
}

static void restore_signals(const uint64_t *saved)
{
        syscall(SYS_rt_sigprocmask, SIG_SETMASK, saved, NULL, sizeof(*saved));
}

/* Parent and child take turns: the parent blocks while the child sets itself
 * up, the child sleeps while the parent works, then the parent blocks while
 * the child dies.  A second CPU gains nothing, and costs a cross-CPU wakeup
 * at each turn and a wait wherever that CPU is busy.  So the child is kept
 * on the caller's CPU, where it runs as soon as the caller blocks: vfork's
 * behaviour without vfork's blocking.  Best effort; the kernel moves the
 * child before it has run much, if at all. */
static void child_share_cpu(pid_t pid)
{
        int cpu = sched_getcpu();
        cpu_set_t set;

        if (cpu < 0 || cpu >= CPU_SETSIZE)
                return;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        sched_setaffinity(pid, sizeof(set), &set);
}

static int child_start(struct child_run *run, const struct sock_fprog *filter,
                       const long probe[4], struct err *e)
{
        uint64_t saved;
        int pidfd = -1, saved_errno;
        pid_t pid;

        run->shared.parent = getpid();
        run->shared.filter = filter;
        memcpy(run->shared.probe, probe, sizeof(run->shared.probe));

        /* No CLONE_FS/CLONE_THREAD (refused with CLONE_NEWUSER).  Sharing
         * the fd table is safe: the child touches no fd before its filter
         * and can call nothing that takes one after it.  Not CLONE_SIGHAND:
         * a seccomp kill resets the SIGSYS action to SIG_DFL, which would be
         * the parent's action too.  Exit signal 0: the child sends no
         * SIGCHLD, so a process that ignores SIGCHLD does not auto-reap it,
         * and wait(-1) without __WALL/__WCLONE elsewhere in the process does
         * not see it once it is untraced.  The signal mask is inherited: the
         * child starts with everything blocked. */
        block_all_signals(&saved);
        pid = clone(userns_child_main, run->stack + sizeof(run->stack),
                    CLONE_VM | CLONE_FILES | CLONE_NEWUSER | CLONE_PIDFD, &run->shared,
                    &pidfd);
        saved_errno = errno;
        restore_signals(&saved);
        if (pid < 0)
                return err_sys(e, saved_errno,
                               "clone(CLONE_NEWUSER|CLONE_VM|CLONE_FILES|CLONE_PIDFD)");
        run->pid = pid;
        run->pidfd = pidfd;
        child_share_cpu(pid);
        return 0;
}

/* waitid on this child only; never on -1, never another caller's child.
 * __WALL: the child's exit signal is not SIGCHLD. */
static int child_wait(struct child_run *run, int options, siginfo_t *si)
{
        memset(si, 0, sizeof(*si));
        while (waitid(P_PIDFD, run->pidfd, si, options | __WALL) < 0) {
                if (errno != EINTR)
                        return -errno;
        }
        if (si->si_code == CLD_EXITED || si->si_code == CLD_KILLED ||
            si->si_code == CLD_DUMPED)
                run->reaped = true;
        return 0;
}

/* Kills and reaps the child; safe to call at any point, and more than once.
 * The cleanup function of every struct child_run. */
static void child_end(struct child_run *run)
{
        siginfo_t si;

        if (run->pidfd < 0)
                return;
        if (!run->reaped) {
                /* SIGKILL ends a ptrace-stopped and a group-stopped task
                 * alike.  ESRCH: someone else reaped it; waitid then says
                 * ECHILD at once. */
                pidfd_send_signal(run->pidfd, SIGKILL, NULL, 0);
                child_wait(run, WEXITED, &si);
                run->reaped = true;
        }
        close(run->pidfd);
        run->pidfd = -EBADF;
}

static const char *step_name(int step)
{
        switch (step) {
        case CHILD_PDEATHSIG:
                return "prctl(PR_SET_PDEATHSIG)";
        case CHILD_ORPHANED:
                return "its parent died before PR_SET_PDEATHSIG was set";
        case CHILD_RLIMIT_CORE:
                return "prlimit64(RLIMIT_CORE)";
        case CHILD_SECCOMP:
                return "seccomp(SECCOMP_SET_MODE_FILTER)";
        case CHILD_STOP:
                return "tkill(SIGSTOP)";
        default:
                return "unknown step";
        }
}

/* The child ended before it stopped: say how. */
static int child_death_error(const struct child_run *run, const siginfo_t *si, struct err *e)
{
        int err;

        if (si->si_code == CLD_EXITED) {
                err = __atomic_load_n(&run->shared.failed_errno, __ATOMIC_ACQUIRE);
                return err_sys(e, err ? err : ECHILD, "user namespace child: %s",
                               step_name(si->si_status));
        }
        if (si->si_status == SIGSYS)
                return err_set(e, EPERM, "user namespace child killed by SIGSYS: it made a "
                               "system call outside its seccomp allowlist");
        return err_set(e, ECHILD, "user namespace child killed by SIG%s before it stopped",
                       sigabbrev_np(si->si_status) ?: "?");
}

static void warn_ptrace_forbidden(int err)
{
        static atomic_flag warned = ATOMIC_FLAG_INIT;

        if (!atomic_flag_test_and_set(&warned))
                fprintf(stderr, "oci-idmap-hook: warning: ptrace is forbidden here "
                        "(PTRACE_TRACEME: %s); user namespaces are made by an untraced "
                        "child that stops itself instead\n", strerror(err));
}

/* Waits until the child is stopped; when it is our tracee, makes sure it
 * dies if this thread does. */
static int child_wait_stop(struct child_run *run, struct err *e)
{
        siginfo_t si;
        int r, traceme_errno;

        r = child_wait(run, WSTOPPED | WEXITED, &si);
        if (r < 0)
                return err_sys(e, -r, "waitid(P_PIDFD) on the user namespace child");
        if (si.si_code != CLD_TRAPPED && si.si_code != CLD_STOPPED)
                return child_death_error(run, &si, e);

        traceme_errno = __atomic_load_n(&run->shared.traceme_errno, __ATOMIC_ACQUIRE);
        if (traceme_errno) {
                warn_ptrace_forbidden(traceme_errno);
                return 0;
        }
        /* PR_SET_PDEATHSIG already kills the child when this thread dies;
         * EXITKILL does it again from the tracer's side, and covers a
         * tracer that is gone before the signal could be queued. */
        if (ptrace(PTRACE_SETOPTIONS, run->pid, NULL, (void *)(long)PTRACE_O_EXITKILL) < 0)
                return err_sys(e, errno, "ptrace(PTRACE_SETOPTIONS, %d, EXITKILL)",
                               (int)run->pid);
        return 0;
}

/* linux/pidfd.h of Linux 6.11; Debian 12's headers are older. */
#ifndef PIDFD_GET_USER_NAMESPACE
#define PIDFD_GET_USER_NAMESPACE _IO(0xFF, 9)
#endif

static int open_child_file(const struct child_run *run, const char *name, int flags,
                           struct err *e)
{
        char path[64];
        int fd;

        snprintf(path, sizeof(path), "/proc/%d/%s", (int)run->pid, name);
        /* openat: what the hook's seccomp filter allows (musl's open()
         * is SYS_open) */
        fd = openat(AT_FDCWD, path, flags | O_CLOEXEC);
        if (fd < 0)
                return err_sys(e, errno, "open `%s`", path);
        return fd;
}

/* The namespace straight from the pidfd (Linux 6.11+; O_CLOEXEC), or from
 * /proc/<pid>/ns/user where that ioctl is unknown.  The ioctl wants a live
 * task, which the stopped child is. */
static int open_child_userns(const struct child_run *run, struct err *e)
{
        int fd = ioctl(run->pidfd, PIDFD_GET_USER_NAMESPACE, 0);

        if (fd >= 0)
                return fd;
        if (errno != ENOTTY && errno != EINVAL)
                return err_sys(e, errno, "ioctl(PIDFD_GET_USER_NAMESPACE) on child %d",
                               (int)run->pid);
        return open_child_file(run, "ns/user", O_RDONLY, e);
}

/* A /proc/<pid> path names whichever process has that number at the open.
 * Once the files are open, a signal 0 through the pidfd proves that the
 * number was still this child's: until it is reaped, nobody else can get
 * it. */
static int check_child_unreaped(const struct child_run *run, struct err *e)
{
        if (pidfd_send_signal(run->pidfd, 0, NULL, 0) < 0)
                return err_sys(e, errno, "pidfd_send_signal(0) to child %d", (int)run->pid);
        return 0;
}

/* One write of the whole map: the kernel takes no second one. */
static int write_map(int fd, const struct child_run *run, const char *name,
                     const struct id_map *map, const char *text, size_t len, struct err *e)
{
        char shown[256];
        ssize_t n;

        n = write(fd, text, len);
        if (n == (ssize_t)len)
                return 0;
        idmap_format(map, shown, sizeof(shown));
        if (n < 0)
                return err_sys(e, errno, "write `/proc/%d/%s` (%s)", (int)run->pid, name, shown);
        return err_set(e, EIO, "write `/proc/%d/%s` (%s): short write", (int)run->pid,
                       name, shown);
}

struct map_texts {
        char uid[IDMAP_TEXT_MAX];
        char gid[IDMAP_TEXT_MAX];
        size_t uid_len, gid_len;
};

static int render_one(const struct id_map *map, const char *name, char *buf, size_t *len,
                      struct err *e)
{
        int r = idmap_render(map, buf, IDMAP_TEXT_MAX);

        if (r == -EINVAL)
                return err_set(e, EINVAL, "%s: the map is empty", name);
        if (r < 0)
                return err_set(e, -r, "%s: %zu ranges do not fit in one write of %d bytes",
                               name, map->n, IDMAP_TEXT_MAX);
        *len = (size_t)r;
        return 0;
}

static int render_maps(const struct id_mapping *m, struct map_texts *t, struct err *e)
{
        int r = render_one(&m->uid, "uid_map", t->uid, &t->uid_len, e);

        if (r < 0)
                return r;
        return render_one(&m->gid, "gid_map", t->gid, &t->gid_len, e);
}

/* Takes the stopped child's namespace and gives it the maps.  The two map
 * files are opened by path, not through a /proc/<pid> dirfd: with the
 * namespace taken through the pidfd, the directory would be a third open to
 * save two short path walks (measured slower).  Returns the namespace fd. */
static int take_namespace(const struct child_run *run, const struct id_mapping *m,
                          const struct map_texts *t, struct err *e)
{
        _cleanup_close_ int ns = -EBADF, uid_map = -EBADF, gid_map = -EBADF;
        int r;

        ns = open_child_userns(run, e);
        if (ns < 0)
                return ns;
        uid_map = open_child_file(run, "uid_map", O_WRONLY, e);
        if (uid_map < 0)
                return uid_map;
        gid_map = open_child_file(run, "gid_map", O_WRONLY, e);
        if (gid_map < 0)
                return gid_map;
        r = check_child_unreaped(run, e);
        if (r < 0)
                return r;
        r = write_map(uid_map, run, "uid_map", &m->uid, t->uid, t->uid_len, e);
        if (r < 0)
                return r;
        r = write_map(gid_map, run, "gid_map", &m->gid, t->gid, t->gid_len, e);
        if (r < 0)
                return r;
        return TAKE_FD(ns);
}

static const long no_probe[4] = { -1, 0, 0, 0 };

int userns_fd(const struct id_mapping *m, struct err *e)
{
        _cleanup_(child_end) struct child_run run = { .pid = 0, .pidfd = -EBADF };
        const struct sock_fprog *filter;
        struct map_texts t;
        int r;

        r = render_maps(m, &t, e);
        if (r < 0)
                return r;
        filter = userns_child_filter(e);
        if (!filter)
                return -e->errnum;
        r = child_start(&run, filter, no_probe, e);
        if (r < 0)
                return r;
        r = child_wait_stop(&run, e);
        if (r < 0)
                return r;
        return take_namespace(&run, m, &t, e);
}

#ifdef OCI_IDMAP_TESTING
int userns_child_probe(const long probe[4], siginfo_t *how, struct err *e)
{
        _cleanup_(child_end) struct child_run run = { .pid = 0, .pidfd = -EBADF };
        const struct sock_fprog *filter;
        int r;

        filter = userns_child_filter(e);
        if (!filter)
                return -e->errnum;
        r = child_start(&run, filter, probe, e);
        if (r < 0)
                return r;
        r = child_wait(&run, WSTOPPED | WEXITED, how);
        if (r < 0)
                return err_sys(e, -r, "waitid(P_PIDFD) on the user namespace child");
        return 0;
}
#endif
