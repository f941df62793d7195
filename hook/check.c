/* `check`: the kernel, the privilege and the filesystem under PATH (check.h). */
#include "check.h"
#include "privilege.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <linux/filter.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/sched.h>

#include "../base/cleanup.h"
#include "../base/io.h"
#include "../oci/mountinfo.h"
#include "check_internal.h"
#include "userns.h"

void check_item(struct check *c, bool ok, bool required, const char *name, const char *fmt, ...)
{
        va_list ap;

        fprintf(c->out, "%s %s: ", ok ? "yes" : "no ", name);
        va_start(ap, fmt);
        vfprintf(c->out, fmt, ap);
        va_end(ap);
        fputc('\n', c->out);
        if (ok || !required)
                return;
        c->failed++;
        if (strlen(c->failed_names) + strlen(name) + 3 < sizeof(c->failed_names))
                snprintf(c->failed_names + strlen(c->failed_names),
                         sizeof(c->failed_names) - strlen(c->failed_names), "%s%s",
                         c->failed_names[0] ? ", " : "", name);
}

/* Idmapped mounts (mount_setattr, MOUNT_ATTR_IDMAP) came in Linux 5.12. */
static void check_kernel(struct check *c)
{
        struct utsname u;
        unsigned major = 0, minor = 0;

        if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &major, &minor) != 2) {
                check_item(c, false, REQUIRED, "kernel", "cannot read the kernel's release");
                return;
        }
        check_item(c, major > 5 || (major == 5 && minor >= 12), REQUIRED, "kernel",
                   "Linux %s (idmapped mounts need 5.12 or later)", u.release);
}

static void check_privilege(struct check *c)
{
        struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct data[2] = { 0 };
        int init = in_initial_userns();

        if (init < 0) {
                check_item(c, false, REQUIRED, "privilege", "stat `/proc/self/ns/user`: %s",
                           strerror(-init));
                return;
        }
        if (!init) {
                check_item(c, false, REQUIRED, "privilege", "rootless: this runs in a user "
                           "namespace below the initial one, and idmapped mounts need "
                           "CAP_SYS_ADMIN in the initial one");
                return;
        }
        if (syscall(SYS_capget, &hdr, data) < 0 ||
            !(data[CAP_SYS_ADMIN / 32].effective & (1u << (CAP_SYS_ADMIN % 32)))) {
                check_item(c, false, REQUIRED, "privilege", "no CAP_SYS_ADMIN (uid %u): the "
                           "hook must run as root, as the runtime runs it", (unsigned)getuid());
                return;
        }
        check_item(c, true, REQUIRED, "privilege", "CAP_SYS_ADMIN in the initial user "
                   "namespace (not rootless)");
}

/* A fresh tmpfs, never attached anywhere: the hook masks paths with one. */
static int check_fsopen(struct check *c)
{
        _cleanup_close_ int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
        int mnt;

        if (fs < 0 || fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0 ||
            (mnt = fsmount(fs, FSMOUNT_CLOEXEC, 0)) < 0) {
                check_item(c, false, REQUIRED, "fsopen/fsconfig/fsmount", "a detached tmpfs: %s",
                           strerror(errno));
                return -1;
        }
        check_item(c, true, REQUIRED, "fsopen/fsconfig/fsmount", "made a detached tmpfs");
        fs = fsopen("overlay", FSOPEN_CLOEXEC);
        check_item(c, fs >= 0, ADVISORY, "overlay", fs >= 0 ? "fsopen(\"overlay\") works"
                   : "fsopen(\"overlay\"): %s (only overlay root filesystems need it)",
                   strerror(errno));
        return mnt;
}

/* A clone of the mount at `/`, detached: open_tree(OPEN_TREE_CLONE) needs
 * CAP_SYS_ADMIN over the caller's mount namespace. */
static int check_open_tree(struct check *c)
{
        int fd = open_tree(AT_FDCWD, "/", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);

        check_item(c, fd >= 0, REQUIRED, "open_tree", fd >= 0 ? "cloned the mount at `/` (detached)"
                   : "OPEN_TREE_CLONE of `/`: %s", strerror(errno));
        return fd;
}

static void check_mount_setattr(struct check *c, int clone)
{
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_NOSUID };

        if (clone < 0) {
                check_item(c, false, REQUIRED, "mount_setattr", "not tried: open_tree made no "
                           "detached mount to try it on");
                return;
        }
        if (mount_setattr(clone, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
                check_item(c, false, REQUIRED, "mount_setattr", "nosuid on the detached clone "
                           "of `/`: %s", strerror(errno));
        else
                check_item(c, true, REQUIRED, "mount_setattr", "set nosuid on the detached clone "
                           "of `/`");
}

/* Attaching onto a detached mount is allowed since Linux 6.15; before that
 * the kernel says EINVAL, which still shows the call exists (the hook
 * attaches inside the container's mount namespace, never onto a detached
 * mount). */
static void check_move_mount(struct check *c, int clone, int tmpfs)
{
        if (clone < 0 || tmpfs < 0) {
                check_item(c, false, REQUIRED, "move_mount", "not tried: no detached mounts to "
                           "try it on");
                return;
        }
        if (move_mount(clone, "", tmpfs, "",
                       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) == 0)
                check_item(c, true, REQUIRED, "move_mount", "attached the clone of `/` onto "
                           "the detached tmpfs");
        else if (errno == EINVAL)
                check_item(c, true, REQUIRED, "move_mount", "present (EINVAL for a detached "
                           "target, which needs Linux 6.15; the hook does not need that)");
        else
                check_item(c, false, REQUIRED, "move_mount", "the clone of `/` onto the "
                           "detached tmpfs: %s", strerror(errno));
}

static void check_pidfd_open(struct check *c)
{
        _cleanup_close_ int fd = pidfd_open(getpid(), 0);

        check_item(c, fd >= 0, REQUIRED, "pidfd_open", fd >= 0 ? "opened a pidfd on itself"
                   : "on itself: %s", strerror(errno));
}

/* clone3 with CLONE_PIDFD: the hook uses clone(2) with CLONE_PIDFD (through
 * userns_fd, the next item), so this one only informs. */
static void check_clone3(struct check *c)
{
        int pidfd = -1;
        struct clone_args args = { .flags = CLONE_PIDFD, .pidfd = (uintptr_t)&pidfd,
                                   .exit_signal = SIGCHLD };
        long pid = syscall(SYS_clone3, &args, sizeof(args));
        siginfo_t si;

        if (pid == 0)
                _exit(0);
        if (pid < 0) {
                check_item(c, false, ADVISORY, "clone3", "with CLONE_PIDFD: %s (the hook uses "
                           "clone with CLONE_PIDFD instead)", strerror(errno));
                return;
        }
        waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED);
        close(pidfd);
        check_item(c, true, ADVISORY, "clone3", "with CLONE_PIDFD: started and reaped a child");
}

/* The user namespace the hook makes for a mapping, made the same way:
 * clone with CLONE_NEWUSER|CLONE_PIDFD, the child under a seccomp filter and
 * ptrace (or stopping itself where ptrace is forbidden). */
static int check_userns(struct check *c, const struct id_mapping *m)
{
        struct err e = { 0 };
        int fd = userns_fd(m, &e);

        check_item(c, fd >= 0, REQUIRED, "user namespace", fd >= 0 ? "made one mapped "
                   "0:100000:65536 (clone with CLONE_NEWUSER|CLONE_PIDFD, traced child)"
                   : "%s", e.msg);
        return fd;
}

/* The filesystem type of the mount holding `path`, from this process's
 * mount table (statx gives the mount id). */
static void mount_fstype(const char *path, char *out, size_t size)
{
        struct mountinfo mi = { 0 };
        struct err e = { 0 };
        struct statx stx;
        const struct mountinfo_entry *m;

        snprintf(out, size, "unknown filesystem");
        if (statx(AT_FDCWD, path, 0, STATX_MNT_ID, &stx) < 0 || !(stx.stx_mask & STATX_MNT_ID))
                return;
        if (mountinfo_load("/proc/self/mountinfo", &mi, &e) < 0)
                return;
        m = mountinfo_by_id(&mi, (int)stx.stx_mnt_id);
        if (m)
                snprintf(out, size, "%s mounted at `%s`", m->fstype, m->mount_point);
        mountinfo_free(&mi);
}

/* What the hook does to a rootfs, done to a detached clone of the mount that
 * holds PATH: the idmap lands on the clone only, which is closed unattached.
 * EINVAL has several causes, and the message names each possible one. */
static void check_idmap_path(struct check *c, const char *path, int userns)
{
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns };
        _cleanup_close_ int tree = -EBADF;
        char fs[512], item[600];

        mount_fstype(path, fs, sizeof(fs));
        snprintf(item, sizeof(item), "idmap `%s`", path);
        if (userns < 0) {
                check_item(c, false, REQUIRED, item, "not tried: no user namespace (%s)", fs);
                return;
        }
        tree = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
        if (tree < 0) {
                check_item(c, false, REQUIRED, item, "open_tree: %s (%s)", strerror(errno), fs);
                return;
        }
        if (mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) == 0)
                check_item(c, true, REQUIRED, item, "idmapped a detached clone (%s)", fs);
        else if (errno == EINVAL)
                check_item(c, false, REQUIRED, item, "the kernel refused to idmap a detached "
                           "clone (EINVAL): the filesystem cannot be idmapped on this kernel, or "
                           "it was mounted inside a user namespace and belongs to it (%s)", fs);
        else
                check_item(c, false, REQUIRED, item, "idmap a detached clone: %s (%s)",
                           strerror(errno), fs);
}

/* Yama's ptrace_scope 3 forbids PTRACE_TRACEME; the hook then lets its
 * child stop itself untraced (hook/userns.h), so this is not required.  The
 * probe: a child asks to be traced by this process, then exits. */
static void check_ptrace(struct check *c)
{
        _cleanup_free_ char *scope = NULL;
        _cleanup_close_ int fd = open("/proc/sys/kernel/yama/ptrace_scope", O_RDONLY | O_CLOEXEC);
        char yama[64] = "no Yama";
        size_t len = 0;
        int status = 0;
        pid_t pid;

        if (fd >= 0 && read_input_fd(fd, 64, &scope, &len) == 0 && len)
                snprintf(yama, sizeof(yama), "Yama ptrace_scope %c", scope[0]);
        pid = fork();
        if (pid == 0)
                _exit(ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0 ? errno : 0);
        if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)) {
                check_item(c, false, ADVISORY, "ptrace", "could not run the probe (%s)", yama);
                return;
        }
        if (WEXITSTATUS(status) == 0)
                check_item(c, true, ADVISORY, "ptrace", "a child can be traced (%s)", yama);
        else
                check_item(c, false, ADVISORY, "ptrace", "PTRACE_TRACEME: %s (%s); the hook's "
                           "child stops itself untraced instead, with one warning",
                           strerror(WEXITSTATUS(status)), yama);
}

/* The hook's child runs under a seccomp filter; a child here loads one that
 * allows everything, after no_new_privs as an unprivileged process must. */
static void check_seccomp(struct check *c)
{
        struct sock_filter allow[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
        struct sock_fprog prog = { .len = 1, .filter = allow };
        int status = 0;
        pid_t pid = fork();

        if (pid == 0) {
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                        _exit(errno);
                _exit(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0 ? errno : 0);
        }
        if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
                check_item(c, false, REQUIRED, "seccomp", "could not run the probe");
        else if (WEXITSTATUS(status))
                check_item(c, false, REQUIRED, "seccomp", "a filter: %s",
                           strerror(WEXITSTATUS(status)));
        else
                check_item(c, true, REQUIRED, "seccomp", "a child loaded a filter");
}

static void check_syscalls(struct check *c, const char *path)
{
        static const struct id_mapping m = {
                .uid = { .n = 1, .r = { { 0, 100000, 65536 } } },
                .gid = { .n = 1, .r = { { 0, 100000, 65536 } } },
        };
        _cleanup_close_ int clone = check_open_tree(c);
        _cleanup_close_ int tmpfs = check_fsopen(c);
        _cleanup_close_ int userns = -EBADF;

        check_mount_setattr(c, clone);
        check_move_mount(c, clone, tmpfs);
        check_pidfd_open(c);
        check_clone3(c);
        check_seccomp(c);
        check_ptrace(c);
        userns = check_userns(c, &m);
        check_idmap_path(c, path, userns);
}

int check_run(const char *path, FILE *out)
{
        struct check c = { .out = out };

        check_kernel(&c);
        check_privilege(&c);
        check_syscalls(&c, path);
        check_runtimes(&c);
        check_hooks_dirs(&c);
        if (c.failed)
                fprintf(out, "no  the hook cannot work here: %s said no\n", c.failed_names);
        else
                fprintf(out, "yes the hook can work here\n");
        fflush(out);
        return c.failed ? 1 : 0;
}
