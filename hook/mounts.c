/* Carrying a plan out inside the container's mount namespace.
 *
 * The kernel rules this file is shaped by:
 * - mount_setattr(MOUNT_ATTR_IDMAP) only takes a mount that has never been
 *   attached: a clone made by open_tree(OPEN_TREE_CLONE).  Of a detached tree
 *   only the top can be idmapped (submounts fail with EINVAL), so a recursive
 *   idmap is built one mount at a time, top down.
 * - The other attributes (ro, nosuid, nodev, noexec, the atime mode,
 *   nosymfollow) can be set on attached mounts, and are.
 * - The rootfs replacement is attached on top of the runtime's rootfs mount
 *   (stacked); the runtime's pivot_root later detaches the old tree with the
 *   old root.  Other replacements take the place of the mount they replace.
 *
 * The runtime behaviour it is shaped by: both runc and crun run the hook
 * after they have mounted everything under the rootfs and before pivot_root.
 * runc then applies read-only root, masked and read-only paths by path, which
 * reaches the replacement; crun applies them through a handle on the old tree
 * that it opened before the hooks, which does not.  So the hook sets on the
 * replacement every flag config.json asks for, and, under any runtime but
 * runc, the read-only root and the masked and read-only paths (plan.h says
 * why runc must be left to do those itself).
 */
#include "mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../base/cleanup.h"
#include "../oci/json.h"
#include "../base/io.h"

struct ctx {
        const struct plan *p;
        const int *userns_fds;
        int proc_self;          /* /proc/self, opened before entering the namespace */
        int root_fd;            /* the rootfs as the container will see it */
        bool root_replaced;
        /* The namespace's mount table.  Reading it costs the kernel a full
         * walk, so it is re-read only before the first lookup that follows a
         * change. */
        struct mountinfo mi;
        bool mi_owned;          /* false while it is the caller's table */
        bool stale;             /* mounts changed since it was read */
};

static void free_points(char **points)
{
        for (size_t i = 0; points && points[i]; i++)
                free(points[i]);
        free(points);
}

static void free_pointsp(char ***points)
{
        free_points(*points);
}

static int open_in_root(int root_fd, const char *path)
{
        /* RESOLVE_IN_ROOT: ".." and absolute symlinks stay inside the
         * rootfs, as the runtimes resolve destinations; a symlink in the
         * image never leads the hook to a path of the host. */
        struct open_how how = {
                .flags = O_PATH | O_CLOEXEC,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        int fd = (int)syscall(SYS_openat2, root_fd, path, &how, sizeof(how));

        return fd < 0 ? -errno : fd;
}

int mountinfo_read_at(int dirfd, const char *where, struct mountinfo *out, struct err *e)
{
        _cleanup_close_ int fd = openat(dirfd, "mountinfo", O_RDONLY | O_CLOEXEC);
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r;

        if (fd < 0)
                return err_sys(e, errno, "open `%s`", where);
        r = read_input_fd(fd, MOUNTINFO_MAX, &buf, &len);
        if (r < 0)
                return err_sys(e, -r, "read `%s`", where);
        return mountinfo_parse(buf, len, where, out, e);
}

static int refresh_mountinfo(struct ctx *c, struct err *e)
{
        struct mountinfo mi;
        int r = mountinfo_read_at(c->proc_self, "/proc/self/mountinfo", &mi, e);

        if (r < 0)
                return r;
        if (c->mi_owned)
                mountinfo_free(&c->mi);
        c->mi = mi;
        c->mi_owned = true;
        c->stale = false;
        return 0;
}

static int fresh_mountinfo(struct ctx *c, struct err *e)
{
        return c->stale ? refresh_mountinfo(c, e) : 0;
}

/* The mount table entry of the mount whose root `fd` is, or NULL when `fd`
 * is not the root of a mount (nothing is mounted there).  After a change the
 * table is read again first: the kernel reuses the ids of unmounted mounts,
 * so an old table could name another mount. */
static const struct mountinfo_entry *mount_of(struct ctx *c, int fd, const char *path,
                                              struct err *e, int *r)
{
        struct statx stx;

        *r = fresh_mountinfo(c, e);
        if (*r < 0)
                return NULL;
        if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0) {
                *r = err_sys(e, errno, "statx `%s`", path);
                return NULL;
        }
        if (!(stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) ||
            !(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
                return NULL;
        return mountinfo_by_id(&c->mi, (int)stx.stx_mnt_id);
}

/* True when `path` still leads to the root of the mount `id`. */
static bool path_is_mount(const char *path, int id)
{
        _cleanup_close_ int fd = open(path, O_PATH | O_CLOEXEC | O_NOFOLLOW);
        struct statx stx;

        return fd >= 0 && statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) == 0 &&
               (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) && (int)stx.stx_mnt_id == id;
}

static int set_attrs(int fd, const char *path, unsigned attrs, unsigned flags, struct err *e)
{
        /* The atime mode is one field: setting one clears the others. */
        struct mount_attr attr = {
                .attr_set = attrs,
                .attr_clr = attrs & MOUNT_ATTR__ATIME ? MOUNT_ATTR__ATIME : 0,
        };

        if (!attrs)
                return 0;
        if (mount_setattr(fd, "", AT_EMPTY_PATH | flags, &attr, sizeof(attr)) < 0)
                return err_sys(e, errno, "mount_setattr `%s`", path);
        return 0;
}

/* Puts an idmapped clone of the mount `m` (reached through `fd`), with its
 * submounts (not idmapped), in its place.
 *
 * The rootfs clone is stacked on top of the runtime's mount, which must stay
 * attached: crun still works on it after the hooks through a handle it
 * opened before them.  Any other mount is swapped: the runtime's one is
 * detached first, so the container's mount table shows one mount there, as
 * without the hook.  Unmounting propagates to the children of the parent's
 * peers; when the parent is shared, that could reach another namespace, and
 * the clone is stacked instead. */
static int attach_idmapped(struct ctx *c, int fd, const struct mountinfo_entry *m, const char *path,
                           bool swap, int userns_fd, struct err *e)
{
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (__u64)userns_fd };
        const struct mountinfo_entry *parent = mountinfo_by_id(&c->mi, m->parent_id);
        _cleanup_close_ int tree = -EBADF, target = -EBADF;

        tree = open_tree(fd, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
        if (tree < 0)
                return err_sys(e, errno, "open_tree `%s`", path);
        if (mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0) {
                if (errno == EINVAL)
                        return err_set(e, EINVAL, "idmap `%s`: filesystem %s cannot be idmapped "
                                       "(mount_setattr: Invalid argument)", path, m->fstype);
                return err_sys(e, errno, "mount_setattr(MOUNT_ATTR_IDMAP) `%s`", path);
        }
        /* A mount that came into a user-namespaced mount namespace along
         * with its parent (an rbind's submount) is locked to it: the kernel
         * refuses to unmount it (EINVAL) since that would reveal what it
         * covers.  It can only be covered, so the clone is stacked. */
        if (swap && parent && !strstr(parent->optional_fields, "shared:") &&
            path_is_mount(m->mount_point, m->mount_id) &&
            umount2(m->mount_point, MNT_DETACH | UMOUNT_NOFOLLOW) == 0) {
                c->stale = true;
                target = open(m->mount_point, O_PATH | O_CLOEXEC | O_NOFOLLOW);
                if (target < 0)
                        return err_sys(e, errno, "open `%s`", path);
                fd = target;
        } else if (strstr(m->optional_fields, "shared:")) {
                /* A mount stacked on a shared one is copied to its peers,
                 * which may be in another namespace. */
                return err_set(e, EINVAL, "`%s`: the mount is shared (%s); refusing to stack an "
                               "idmapped mount that would propagate", path, m->optional_fields);
        }
        c->stale = true;
        if (move_mount(tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return err_sys(e, errno, "move_mount onto `%s`", path);
        return 0;
}

/* The mount points of the mounts right below mount `id`. */
static int child_points(const struct ctx *c, int id, char ***out, size_t *n, struct err *e)
{
        char **points = calloc(c->mi.n + 1, sizeof(*points));

        *n = 0;
        if (!points)
                return err_set(e, ENOMEM, "out of memory");
        for (size_t i = 0; i < c->mi.n; i++) {
                if (c->mi.e[i].parent_id != id || c->mi.e[i].mount_id == id)
                        continue;
                points[*n] = strdup(c->mi.e[i].mount_point);
                if (!points[(*n)++]) {
                        free_points(points);
                        return err_set(e, ENOMEM, "out of memory");
                }
        }
        *out = points;
        return 0;
}

/* Idmaps the mount at `fd`; with `recursive`, then every mount below it, top
 * down, since each submount of a detached tree must be idmapped as a tree
 * of its own.  Returns 1 when it replaced the mount, 0 when the runtime had
 * idmapped it already. */
static int idmap_mount(struct ctx *c, int fd, const char *path, bool recursive, bool swap,
                       int userns_fd, struct err *e)
{
        const struct mountinfo_entry *m;
        _cleanup_close_ int top = -EBADF;
        _cleanup_(free_pointsp) char **points = NULL;
        _cleanup_free_ char *point = NULL;
        size_t n = 0;
        int r, id;

        m = mount_of(c, fd, path, e, &r);
        if (r < 0)
                return r;
        if (!m)
                return err_set(e, ENOENT, "idmap `%s`: nothing is mounted there", path);
        if (m->idmapped)
                return 0;       /* the runtime did it (crun's idmap option) */
        point = strdup(m->mount_point);
        if (!point)
                return err_set(e, ENOMEM, "out of memory");
        r = attach_idmapped(c, fd, m, path, swap, userns_fd, e);
        if (r < 0)
                return r;
        if (!recursive)
                return 1;

        top = open(point, O_PATH | O_CLOEXEC | O_NOFOLLOW);
        if (top < 0)
                return err_sys(e, errno, "open `%s`", path);
        m = mount_of(c, top, path, e, &r);
        if (!m)
                return r < 0 ? r : err_set(e, ENOENT, "idmap `%s`: the clone is gone", path);
        id = m->mount_id;
        r = child_points(c, id, &points, &n, e);
        if (r < 0)
                return r;
        /* By path, not id: ids change as clones are swapped in. */
        for (size_t i = 0; i < n; i++) {
                _cleanup_close_ int cfd = open(points[i], O_PATH | O_CLOEXEC | O_NOFOLLOW);
                const struct mountinfo_entry *child, *parent;

                if (cfd < 0 && errno == ENOENT)
                        continue;
                if (cfd < 0)
                        return err_sys(e, errno, "open `%s`", points[i]);
                child = mount_of(c, cfd, points[i], e, &r);
                if (r < 0)
                        return r;
                parent = mountinfo_by_id(&c->mi, id);
                /* A submount covered by a sibling is out of reach, in the
                 * container as here: nothing to map. */
                if (!child || child->idmapped || !parent || child == parent ||
                    !mountinfo_is_below(&c->mi, child, parent))
                        continue;
                r = idmap_mount(c, cfd, points[i], true, true, userns_fd, e);
                if (r < 0)
                        return r;
        }
        return 1;
}

static int replace_rootfs(struct ctx *c, struct err *e)
{
        const struct plan_entry *root = &c->p->root;
        const struct mountinfo_entry *m;
        int r;

        m = mount_of(c, c->root_fd, c->p->rootfs, e, &r);
        if (r < 0)
                return r;
        if (!m)
                return err_set(e, EINVAL, "rootfs `%s`: not a mount point in the container's "
                               "mount namespace", c->p->rootfs);
        /* Stacked, never swapped (crun's handles); attach_idmapped refuses
         * a shared rootfs, whose peers may be in the host's namespace.  Both
         * runtimes make it private or a slave before the hooks. */
        r = idmap_mount(c, c->root_fd, c->p->rootfs, false, false,
                        c->userns_fds[root->mapping_index], e);
        if (r <= 0)
                return r;
        close(c->root_fd);
        c->root_fd = open(c->p->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (c->root_fd < 0)
                return err_sys(e, errno, "open `%s`", c->p->rootfs);
        c->root_replaced = true;
        return 0;
}

static int replace_mount(struct ctx *c, const struct plan_entry *pe, struct err *e)
{
        _cleanup_close_ int fd = open_in_root(c->root_fd, pe->destination);

        if (fd < 0)
                return err_sys(e, -fd, "open `%s` in the rootfs", pe->destination);
        return idmap_mount(c, fd, pe->destination, pe->recursive, true,
                           c->userns_fds[pe->mapping_index], e);
}

static bool is_other_config_top(const struct ctx *c, int mount_id, const int *tops, size_t self)
{
        for (size_t i = 0; i < c->p->n_mounts; i++)
                if (i != self && tops[i] == mount_id)
                        return true;
        return false;
}

/* Sets `attrs` on every mount below `id`, except the trees of other
 * config.json mounts: those were mounted later by the runtime and carry
 * their own flags. */
static int set_attrs_below(struct ctx *c, int id, unsigned attrs, const int *tops, size_t self,
                           struct err *e)
{
        for (size_t i = 0; i < c->mi.n; i++) {
                const struct mountinfo_entry *m = &c->mi.e[i];
                int r;

                if (m->parent_id != id || m->mount_id == id ||
                    is_other_config_top(c, m->mount_id, tops, self))
                        continue;
                /* Only the mount on top of its point is reachable by path; a
                 * hidden one is out of the container's reach too. */
                if ((m->attrs & attrs) != attrs && path_is_mount(m->mount_point, m->mount_id)) {
                        _cleanup_close_ int fd = open(m->mount_point, O_PATH | O_CLOEXEC | O_NOFOLLOW);

                        if (fd < 0)
                                return err_sys(e, errno, "open `%s`", m->mount_point);
                        r = set_attrs(fd, m->mount_point, attrs, 0, e);
                        if (r < 0)
                                return r;
                }
                r = set_attrs_below(c, m->mount_id, attrs, tops, self, e);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Opens a config.json destination (or a masked or read-only path) in the
 * rootfs; -ENOENT when it is not there, with nothing recorded in `e`.  RESOLVE_IN_ROOT answers EAGAIN when a rename raced a ".." walk. */
static int open_destination(const struct ctx *c, const char *dest, struct err *e)
{
        int fd = open_in_root(c->root_fd, dest);

        if (fd == -EAGAIN)
                fd = open_in_root(c->root_fd, dest);
        if (fd < 0 && fd != -ENOENT)
                return err_sys(e, -fd, "open `%s` in the rootfs", dest);
        return fd;
}

/* Sets on every config.json mount the flags it asks for.  Once the hook has
 * replaced a tree, crun's own later remounts reach the old one only, so this
 * is done for every mount (not only the replaced ones: a replaced volume
 * brings mounts nested in it along). */
static int carry_over_mounts(struct ctx *c, struct err *e)
{
        const unsigned seen = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
        const struct plan *p = c->p;
        size_t n = p->n_mounts;
        _cleanup_free_ int *tops = calloc(n ? n : 1, sizeof(int));
        _cleanup_free_ int *fds = calloc(n ? n : 1, sizeof(int));
        _cleanup_free_ const struct mountinfo_entry **mounts = calloc(n ? n : 1, sizeof(*mounts));
        int r = 0;

        if (!tops || !fds || !mounts)
                return err_set(e, ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++)
                fds[i] = -EBADF;
        for (size_t i = 0; r >= 0 && i < n; i++) {
                tops[i] = -1;
                fds[i] = open_destination(c, p->mounts[i].destination, e);
                if (fds[i] == -ENOENT)
                        continue;       /* nothing there: nothing to carry */
                if (fds[i] < 0) {
                        r = fds[i];
                        break;
                }
                /* Only the first call can read the table again: nothing
                 * changes the mounts in between, so the entries stay valid. */
                mounts[i] = mount_of(c, fds[i], p->mounts[i].destination, e, &r);
                if (mounts[i])
                        tops[i] = mounts[i]->mount_id;
        }
        for (size_t i = 0; r >= 0 && i < n; i++) {
                const struct plan_entry *pe = &p->mounts[i];
                unsigned attrs = pe->attrs | pe->attrs_recursive;
                bool covered = false;

                /* Of two config.json mounts at one point, the later one is
                 * on top: its flags are the ones meant for what is seen. */
                for (size_t j = i + 1; j < n; j++)
                        covered |= tops[j] == tops[i];
                if (tops[i] < 0 || covered || !attrs)
                        continue;
                /* The mount table shows ro/nosuid/nodev/noexec: no call when
                 * they are all there is to set and are set already. */
                if ((attrs & ~seen) || (mounts[i]->attrs & attrs) != attrs)
                        r = set_attrs(fds[i], pe->destination, attrs, 0, e);
                if (r >= 0 && pe->attrs_recursive)
                        r = set_attrs_below(c, tops[i], pe->attrs_recursive, tops, i, e);
        }
        for (size_t i = 0; i < n; i++)
                if (fds[i] >= 0)
                        close(fds[i]);
        return r;
}

static int mask_dir(int target, const char *path, struct err *e)
{
        _cleanup_close_ int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
        _cleanup_close_ int mnt = -EBADF;

        if (fs < 0)
                return err_sys(e, errno, "fsopen tmpfs to mask `%s`", path);
        if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return err_sys(e, errno, "create tmpfs to mask `%s`", path);
        mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
                      MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
        if (mnt < 0)
                return err_sys(e, errno, "fsmount tmpfs to mask `%s`", path);
        if (move_mount(mnt, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return err_sys(e, errno, "mask `%s` with a tmpfs", path);
        return 0;
}

static int mask_file(int target, const char *path, struct err *e)
{
        _cleanup_close_ int null = open_tree(AT_FDCWD, "/dev/null", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
        int r;

        if (null < 0)
                return err_sys(e, errno, "open_tree `/dev/null` to mask `%s`", path);
        /* Not nodev: a masked file reads as /dev/null, it must stay a device. */
        r = set_attrs(null, "/dev/null", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, 0, e);
        if (r < 0)
                return r;
        if (move_mount(null, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return err_sys(e, errno, "mask `%s` with /dev/null", path);
        return 0;
}

static int mask_paths(struct ctx *c, struct err *e)
{
        for (size_t i = 0; i < c->p->n_masked; i++) {
                const char *path = c->p->masked[i];
                _cleanup_close_ int fd = open_destination(c, path, e);
                struct statx stx;
                int r;

                if (fd == -ENOENT)
                        continue;       /* as the runtimes do: nothing to mask */
                if (fd < 0)
                        return fd;
                if (statx(fd, "", AT_EMPTY_PATH, STATX_TYPE, &stx) < 0)
                        return err_sys(e, errno, "statx `%s`", path);
                r = S_ISDIR(stx.stx_mode) ? mask_dir(fd, path, e) : mask_file(fd, path, e);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int readonly_paths(struct ctx *c, struct err *e)
{
        for (size_t i = 0; i < c->p->n_readonly; i++) {
                const char *path = c->p->readonly[i];
                _cleanup_close_ int fd = open_destination(c, path, e);
                _cleanup_close_ int tree = -EBADF;
                int r;

                if (fd == -ENOENT)
                        continue;
                if (fd < 0)
                        return fd;
                tree = open_tree(fd, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
                if (tree < 0)
                        return err_sys(e, errno, "open_tree `%s`", path);
                r = set_attrs(tree, path, MOUNT_ATTR_RDONLY, AT_RECURSIVE, e);
                if (r < 0)
                        return r;
                if (move_mount(tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                        return err_sys(e, errno, "move_mount onto `%s`", path);
        }
        return 0;
}

/* The mount namespace's inode, seen through /proc/self. */
static int mntns_ino(const struct ctx *c, ino_t *ino, struct err *e)
{
        struct stat st;

        if (fstatat(c->proc_self, "ns/mnt", &st, 0) < 0)
                return err_sys(e, errno, "stat `/proc/self/ns/mnt`");
        *ino = st.st_ino;
        return 0;
}

static int apply(struct ctx *c, int pidfd, struct err *e)
{
        const struct plan *p = c->p;
        bool any_replaced = false;
        ino_t host_ns, ns;
        int r;

        c->proc_self = open("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (c->proc_self < 0)
                return err_sys(e, errno, "open `/proc/self`");
        r = mntns_ino(c, &host_ns, e);
        if (r < 0)
                return r;
        /* setns through the pidfd: the namespace of exactly the process the
         * state named, even if its pid were reused meanwhile. */
        if (setns(pidfd, CLONE_NEWNS) < 0)
                return err_sys(e, errno, "enter the container's mount namespace");
        r = mntns_ino(c, &ns, e);
        if (r < 0)
                return r;
        if (ns == host_ns)
                return err_set(e, EINVAL, "the container has no mount namespace of its own; "
                               "refusing to change the host's mounts");
        /* The runtime waits for the hook: the namespace still has the mounts
         * the caller's table shows, unless it has none. */
        if (!c->mi.n) {
                r = refresh_mountinfo(c, e);
                if (r < 0)
                        return r;
        }
        c->root_fd = open(p->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (c->root_fd < 0)
                return err_sys(e, errno, "open rootfs `%s`", p->rootfs);

        if (p->root.idmap) {
                r = replace_rootfs(c, e);
                if (r < 0)
                        return r;
        }
        any_replaced = c->root_replaced;
        for (size_t i = 0; i < p->n_mounts; i++) {
                if (!p->mounts[i].idmap)
                        continue;
                r = replace_mount(c, &p->mounts[i], e);
                if (r < 0)
                        return r;
                any_replaced |= r > 0;
        }
        if (!any_replaced)
                return 0;

        if (c->root_replaced && p->carry_paths) {
                r = set_attrs(c->root_fd, p->rootfs, p->root.attrs, 0, e);
                if (r < 0)
                        return r;
        }
        r = carry_over_mounts(c, e);
        if (r < 0)
                return r;
        if (c->root_replaced && p->carry_paths) {
                r = mask_paths(c, e);
                if (r < 0)
                        return r;
                r = readonly_paths(c, e);
        }
        return r;
}

int mounts_apply(const struct plan *p, int pidfd, const int *userns_fds,
                 const struct mountinfo *mi, struct err *e)
{
        struct ctx c = { .p = p, .userns_fds = userns_fds, .proc_self = -EBADF, .root_fd = -EBADF };
        int r;

        if (mi)
                c.mi = *mi;     /* borrowed until the first refresh */
        r = apply(&c, pidfd, e);
        if (c.proc_self >= 0)
                close(c.proc_self);
        if (c.root_fd >= 0)
                close(c.root_fd);
        if (c.mi_owned)
                mountinfo_free(&c.mi);
        return r;
}
