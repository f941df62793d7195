/* The stand-in container: see standin.h. */
#include "standin.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "leftovers.h"

#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif

/* ---- the stand-in's side: any failure is written to `report` and ends it -- */

static int report = -1;

static void fail(const char *what, const char *path)
{
        char msg[PATH_MAX + 128];
        int n = snprintf(msg, sizeof(msg), "stand-in container: %s `%s`: %s", what, path,
                         strerror(errno));

        (void)!write(report, msg, (size_t)(n > 0 ? n : 0));
        _exit(1);
}

static void must(int r, const char *what, const char *path)
{
        if (r < 0)
                fail(what, path);
}

/* path_printf, or the stand-in ends with its message. */
#define pathf(buf, ...)                                                         \
        do {                                                                    \
                struct err pe_ = { 0 };                                         \
                if (path_printf(buf, &pe_, __VA_ARGS__) < 0) {                  \
                        (void)!write(report, pe_.msg, strlen(pe_.msg));         \
                        _exit(1);                                               \
                }                                                               \
        } while (0)

static void mkdir_p(const char *path)
{
        struct err e = { 0 };

        if (mkdir_parents(path, 0755, &e) < 0) {
                (void)!write(report, e.msg, strlen(e.msg));
                _exit(1);
        }
}

static void create(const char *path, bool file)
{
        if (!file) {
                mkdir_p(path);
                return;
        }
        int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

        must(fd, "create", path);
        close(fd);
}

/* cgroup v1, as runc and crun do it in a user namespace: a tmpfs with every
 * controller hierarchy of the host bound below it. */
static void mount_cgroups(const char *dest)
{
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;

        must(mount("cgroup", dest, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                   "mode=755,size=1024k"), "mount", dest);
        d = opendir("/sys/fs/cgroup");
        if (!d)
                return;
        while ((de = readdir(d))) {
                char src[PATH_MAX], dst[PATH_MAX];

                if (de->d_name[0] == '.' || de->d_type != DT_DIR)
                        continue;
                pathf(src, "/sys/fs/cgroup/%s", de->d_name);
                pathf(dst, "%s/%s", dest, de->d_name);
                must(mkdir(dst, 0755), "mkdir", dst);
                must(mount(src, dst, NULL, MS_BIND | MS_REC, NULL), "bind", dst);
        }
}

/* What crun does when the runtime created the mount with the mount's own
 * mapping: the tree replaced by an idmapped clone of itself. */
static void idmap_in_place(const char *path, int userns)
{
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (unsigned)userns };
        int tree = (int)syscall(SYS_open_tree, AT_FDCWD, path, OPEN_TREE_CLONE | AT_RECURSIVE);

        must(tree, "open_tree", path);
        must((int)syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)),
             "idmap", path);
        must(umount2(path, MNT_DETACH), "umount", path);
        must((int)syscall(SYS_move_mount, tree, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH),
             "move_mount", path);
        close(tree);
}

static void make_mount(const char *rootfs, const struct standin_mount *m)
{
        char dest[PATH_MAX];

        pathf(dest, "%s%s", rootfs, m->target);
        if (m->create)
                create(dest, m->file);
        if (m->cgroup_v1)
                mount_cgroups(dest);
        else
                must(mount(m->source, dest, m->fstype, m->flags, m->data), "mount", dest);
        if (m->below) {
                char below[PATH_MAX];

                pathf(below, "%s%s", dest, m->below);
                must(mount(m->below_source, below, NULL, MS_BIND, NULL), "bind", below);
        }
        if (m->idmap_userns > 0)
                idmap_in_place(dest, m->idmap_userns);
        if (m->read_only)
                must(mount(NULL, dest, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL), "ro", dest);
}

/* crun binds the host's device nodes in a user namespace (no mknod there). */
static void bind_devices(const char *rootfs)
{
        static const char *const devices[] = { "null", "zero", "full", "tty", "random", "urandom" };

        for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
                char src[64], dst[PATH_MAX];

                snprintf(src, sizeof(src), "/dev/%s", devices[i]);
                pathf(dst, "%s/dev/%s", rootfs, devices[i]);
                create(dst, true);
                must(mount(src, dst, NULL, MS_BIND, NULL), "bind", dst);
        }
}

static void hold(const struct standin_spec *s)
{
        const char *p = s->hold_path ? s->hold_path : s->rootfs;

        switch (s->holds) {
        case STANDIN_HOLDS_NOTHING:
                return;
        case STANDIN_HOLDS_TWO_DIR_HANDLES:
                must(open(p, O_PATH | O_DIRECTORY | O_CLOEXEC), "open", p);
                /* fall through */
        case STANDIN_HOLDS_RUNC_DIR_HANDLE:
                must(open(p, O_PATH | O_DIRECTORY | O_CLOEXEC), "open", p);
                return;
        case STANDIN_HOLDS_CRUN_HANDLES:
                must(dup(open(p, O_PATH | O_CLOEXEC)), "open", p);
                return;
        }
}

static void lay_out(const struct standin_spec *s)
{
        must(unshare(CLONE_NEWNS), "unshare", "CLONE_NEWNS");
        must(mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL), "rslave", "/");
        must(mount(s->rootfs, s->rootfs, NULL, MS_BIND | MS_REC, NULL), "bind", s->rootfs);
        must(mount(NULL, s->rootfs, NULL, s->rootfs_shared ? MS_SHARED : MS_PRIVATE, NULL),
             "propagation", s->rootfs);
        for (size_t i = 0; i < s->n_mounts; i++)
                make_mount(s->rootfs, &s->mounts[i]);
        if (s->bind_devices)
                bind_devices(s->rootfs);
}

static _Noreturn void standin_main(const struct standin_spec *s, int ready)
{
        report = ready;
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (!s->same_namespace)
                lay_out(s);
        hold(s);
        if (s->userns)
                must(unshare(CLONE_NEWUSER), "unshare", "CLONE_NEWUSER");
        if (write(ready, "", 1) != 1)
                _exit(1);
        close(ready);
        for (;;)
                pause();
}

/* ---- the caller's side ------------------------------------------------------ */

/* Writes one of its maps, as the runtime writes its init's. */
static int write_map(pid_t pid, const char *file, const struct id_map *m, struct err *e)
{
        char text[IDMAP_TEXT_MAX], path[64];
        int n = idmap_render(m, text, sizeof(text)), fd;

        snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
        if (n < 0)
                return err_set(e, -n, "%s: cannot render the mapping", path);
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return err_sys(e, errno, "open `%s`", path);
        if (write(fd, text, (size_t)n) != n) {
                int r = err_sys(e, errno, "write `%s`", path);

                close(fd);
                return r;
        }
        close(fd);
        return 0;
}

int standin_start(struct standin *s, const struct standin_spec *spec, struct err *e)
{
        _cleanup_close_ int rd = -EBADF;
        char msg[PATH_MAX + 128];
        int ready[2];
        ssize_t n;

        s->pid = -1;
        if (pipe2(ready, O_CLOEXEC) < 0)
                return err_sys(e, errno, "stand-in container: pipe");
        s->pid = fork();
        if (s->pid < 0) {
                close(ready[0]);
                close(ready[1]);
                return err_sys(e, errno, "stand-in container: fork");
        }
        if (s->pid == 0) {
                close(ready[0]);
                standin_main(spec, ready[1]);
        }
        close(ready[1]);
        rd = ready[0];
        n = read(rd, msg, sizeof(msg) - 1);
        if (n != 1 || msg[0] != '\0') {
                msg[n > 0 ? n : 0] = '\0';
                standin_stop(s);
                return err_set(e, EIO, "%s", n > 0 ? msg : "stand-in container: died starting");
        }
        if (spec->userns && (write_map(s->pid, "uid_map", &spec->userns->uid, e) < 0 ||
                             write_map(s->pid, "gid_map", &spec->userns->gid, e) < 0)) {
                standin_stop(s);
                return -e->errnum;
        }
        return 0;
}

void standin_stop(struct standin *s)
{
        if (s->pid <= 0)
                return;
        kill(s->pid, SIGKILL);
        while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
                ;
        s->pid = -1;
}

/* ---- from config.json --------------------------------------------------------- */

static const struct {
        const char *name;
        unsigned long flag;
} mount_flags[] = {
        { "nosuid", MS_NOSUID }, { "nodev", MS_NODEV }, { "noexec", MS_NOEXEC },
        { "strictatime", MS_STRICTATIME }, { "relatime", MS_RELATIME },
        { "noatime", MS_NOATIME },
};

/* Options crun applies after the hooks (ro, propagation) or handles itself
 * (tmpcopyup, idmap): not part of the mount(2) call it makes first. */
static bool applied_later(const char *o)
{
        static const char *const later[] = {
                "ro", "rw", "rprivate", "private", "rslave", "slave", "rshared", "shared",
                "runbindable", "unbindable", "tmpcopyup", "idmap", "ridmap", "bind", "rbind",
                "copy-symlink", "notmpcopyup",
        };

        for (size_t i = 0; i < sizeof(later) / sizeof(later[0]); i++)
                if (strcmp(o, later[i]) == 0)
                        return true;
        return strncmp(o, "idmap=", 6) == 0;
}

static int fs_options(const struct oci_mount *m, char *data, size_t cap, unsigned long *flags,
                      struct err *e)
{
        size_t len = 0;

        data[0] = '\0';
        for (size_t i = 0; i < m->n_options; i++) {
                const char *o = m->options[i];
                bool known = false;
                int n;

                for (size_t k = 0; k < sizeof(mount_flags) / sizeof(mount_flags[0]); k++)
                        if (strcmp(o, mount_flags[k].name) == 0) {
                                *flags |= mount_flags[k].flag;
                                known = true;
                        }
                if (known || applied_later(o))
                        continue;
                n = snprintf(data + len, cap - len, "%s%s", len ? "," : "", o);
                if (n < 0 || (size_t)n >= cap - len)
                        return err_set(e, ENAMETOOLONG, "mount `%s`: options too long",
                                       m->destination);
                len += (size_t)n;
        }
        return 0;
}

int standin_mount_like_crun(const struct oci_mount *m, char *data, size_t cap,
                            struct standin_mount *out, struct err *e)
{
        bool bind = (m->type && strcmp(m->type, "bind") == 0) ||
                    oci_mount_has_option(m, "bind") || oci_mount_has_option(m, "rbind");

        *out = (struct standin_mount){ .target = m->destination, .source = m->source,
                                       .create = true };
        if (bind) {
                out->flags = MS_BIND | (oci_mount_has_option(m, "rbind") ? MS_REC : 0);
                return 0;
        }
        if (m->type && strcmp(m->type, "cgroup") == 0) {
                out->cgroup_v1 = true;
                return 0;
        }
        out->fstype = m->type;
        if (fs_options(m, data, cap, &out->flags, e) < 0)
                return -e->errnum;
        out->data = data[0] ? data : NULL;
        return 0;
}
