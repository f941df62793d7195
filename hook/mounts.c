/* Carrying a plan's steps out inside the container's mount namespace.
 *
 * The kernel rules this file is shaped by (checked on 6.18 in private mount
 * namespaces; tests/root/test_mounts.c keeps them checked):
 * - mount_setattr(MOUNT_ATTR_IDMAP) only takes a mount that has never been
 *   attached: a clone made by open_tree(OPEN_TREE_CLONE).  On the top of a
 *   detached recursive clone, one call idmaps the top alone, or, with
 *   AT_RECURSIVE, every mount of the tree, when each of them can be idmapped.
 * - A clone copies each mount's flags (ro, nosuid, ...), and the other
 *   attributes can be set on attached mounts, and are.
 * - A mount that came into a user-namespaced mount namespace along with its
 *   parent is locked to it: umount fails with EINVAL, since that would show
 *   what it covers.  Such a mount can only be stacked on.
 * - /proc/self/fd/N names exactly the mount and dentry an fd holds: umount2
 *   through it detaches that mount, whatever its path now leads to.
 *
 * Every mount is named by its entry in the table read at hook start (the
 * plan's steps point there).  A step that copies a tree maps each of the old
 * tree's mounts to its copy, by mount point and parent, in the table read
 * right after; later steps act on the copy.  A mount is reached by opening
 * its mount point with no symlink followed and checking the mount id of what
 * was opened, so a path changed since the table was read fails the step
 * instead of leading it elsewhere.
 */
#include "mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/cleanup.h"
#include "../base/io.h"
#include "../oci/mountflags.h"
#include "mountfd.h"
#include "overlay_build.h"

struct applier {
        const struct plan *p;
        const int *userns_fds;
        const struct mountinfo *orig;   /* the table at hook start */
        int *cur;                       /* the mount id each orig entry has now; -1: gone */
        struct mountinfo now;           /* the table since the last change */
        bool now_owned;                 /* false while it is the caller's, borrowed */
        int proc_self;                  /* /proc/self, opened before entering the namespace */
        int root;                       /* the rootfs copy, once the path steps begin */
        int mask_dir;                   /* the first tmpfs that masks a directory */
        int *overlays;                  /* the new overlays (plan.overlays), made before entering */
        FILE *trace;                    /* each step done, as the plan prints it */
};

/* The table as it is now; read again only after a change. */
static int reread(struct applier *a, struct err *e)
{
        struct mountinfo mi;
        int r = mountinfo_read_at(a->proc_self, "mountinfo", "/proc/self/mountinfo", &mi, e);

        if (r < 0)
                return r;
        if (a->now_owned)
                mountinfo_free(&a->now);
        a->now = mi;
        a->now_owned = true;
        return 0;
}

static size_t orig_index(const struct applier *a, const struct mountinfo_entry *m)
{
        return (size_t)(m - a->orig->e);
}

/* An O_PATH fd on the root of mount `id`, opened by its mount point in the
 * current table with no symlink followed, and checked to be that mount. */
static int reach_id(struct applier *a, int id, const char *what, struct err *e)
{
        const struct mountinfo_entry *m = id >= 0 ? mountinfo_by_id(&a->now, id) : NULL;
        _cleanup_close_ int fd = -EBADF;
        bool is_root;
        int got;

        if (!m)
                return err_set(e, ENOENT, "%s: the mount is gone from the container's mount "
                               "table (changed while the hook ran)", what);
        fd = openat2_path(AT_FDCWD, m->mount_point, RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
        if (fd < 0)
                return err_sys(e, -fd, "%s: open `%s`", what, m->mount_point);
        got = mount_id_of(fd, &is_root);
        if (got < 0)
                return err_sys(e, -got, "%s: statx `%s`", what, m->mount_point);
        if (got != id || !is_root)
                return err_set(e, ESTALE, "%s: `%s` no longer leads to mount %d (changed while "
                               "the hook ran)", what, m->mount_point, id);
        return TAKE_FD(fd);
}

static int reach(struct applier *a, const struct plan_step *s, struct err *e)
{
        char what[160];

        snprintf(what, sizeof(what), "%s (%s)", s->mount->mount_point, s->why);
        return reach_id(a, a->cur[orig_index(a, s->mount)], what, e);
}

/* After `top` (an orig entry) was copied and the copy's top is mount
 * `copy`: each mount of the old tree is followed to its copy, the one at
 * the same mount point under the copy of its parent. */
static void follow_copies(struct applier *a, const struct mountinfo_entry *top, int copy)
{
        const struct mountinfo_entry *c = mountinfo_by_id(&a->now, copy);
        const struct mountinfo_entry *const *children;
        size_t n = mountinfo_children(a->orig, top, &children);

        a->cur[orig_index(a, top)] = c ? copy : -1;
        for (size_t i = 0; i < n; i++) {
                const struct mountinfo_entry *cc;

                if (children[i] == top)
                        continue;
                cc = c ? mountinfo_child_at(&a->now, c, children[i]->mount_point) : NULL;
                follow_copies(a, children[i], cc ? cc->mount_id : -1);
        }
}

/* Once the copy whose top `top` holds is in place of the step's mount: the
 * table is read again and each mount of the old tree followed to its copy. */
static int follow_into(struct applier *a, const struct plan_step *s, int top, const char *point,
                       struct err *e)
{
        bool is_root;
        int copy = mount_id_of(top, &is_root), r;

        if (copy < 0)
                return err_sys(e, -copy, "statx the copy of `%s`", point);
        r = reread(a, e);
        if (r < 0)
                return r;
        follow_copies(a, s->mount, copy);
        return 0;
}

static int set_attrs(int fd, unsigned attrs, unsigned flags)
{
        /* The atime mode is one field: setting one clears the others. */
        struct mount_attr attr = {
                .attr_set = attrs,
                .attr_clr = attrs & MOUNT_ATTR__ATIME ? MOUNT_ATTR__ATIME : 0,
        };

        return mount_setattr(fd, "", AT_EMPTY_PATH | flags, &attr, sizeof(attr)) < 0 ? -errno : 0;
}

/* Whether a new, empty filesystem of type `fstype` made by the hook (in
 * the initial user namespace) takes an idmap: 1 yes, 0 no, -1 cannot tell
 * (a type that needs a device or other source to be made). */
static int fs_type_idmappable(const char *fstype, int userns_fd)
{
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (__u64)userns_fd };
        _cleanup_close_ int fs = fsopen(fstype, FSOPEN_CLOEXEC), mnt = -EBADF;

        if (fs < 0 || fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return -1;
        mnt = fsmount(fs, FSMOUNT_CLOEXEC, 0);
        if (mnt < 0)
                return -1;
        if (mount_setattr(mnt, "", AT_EMPTY_PATH, &attr, sizeof(attr)) == 0)
                return 1;
        return errno == EINVAL ? 0 : -1;
}

/* EINVAL from MOUNT_ATTR_IDMAP has more than one cause: the filesystem type
 * cannot be idmapped, or this mount's superblock belongs to another user
 * namespace than the initial one (a tmpfs the runtime mounted after it had
 * entered the container's).  Where a filesystem of the same type can be
 * made and tried, the message says which; otherwise it names both. */
static int idmap_refused(const struct plan_step *s, int userns_fd, struct err *e)
{
        const char *fs = s->mount->fstype;
        int type_ok = s->recursive ? -1 : fs_type_idmappable(fs, userns_fd);

        if (type_ok == 1)
                return err_set(e, EOPNOTSUPP, "idmap `%s` (%s, %s): the kernel refused (EINVAL): "
                               "the mount was made inside a user namespace (the container's own) "
                               "and belongs to it; %s itself can be idmapped here",
                               s->mount->mount_point, s->why, fs, fs);
        if (type_ok == 0)
                return err_set(e, EOPNOTSUPP, "idmap `%s` (%s): filesystem %s cannot be idmapped "
                               "on this kernel", s->mount->mount_point, s->why, fs);
        return err_set(e, EOPNOTSUPP, "idmap `%s` (%s, %s): the kernel refused (EINVAL): either "
                       "the filesystem cannot be idmapped on this kernel, or the mount was made "
                       "inside a user namespace (the container's own) and belongs to it%s",
                       s->mount->mount_point, s->why, fs,
                       s->recursive ? ", or so is a mount below it" : "");
}

/* Detaches the mount behind `fd` through /proc/self/fd, so that exactly
 * that mount goes, whatever its path leads to now.  -EINVAL: locked. */
static int detach(struct applier *a, int fd)
{
        char name[32];
        int r;

        snprintf(name, sizeof(name), "fd/%d", fd);
        if (fchdir(a->proc_self) < 0)
                return -errno;
        r = umount2(name, MNT_DETACH) < 0 ? -errno : 0;
        if (chdir("/") < 0 && r == 0)
                r = -errno;
        return r;
}

static bool swaps(const struct plan_step *s)
{
        return s->kind == STEP_IDMAP_SWAP || s->kind == STEP_OVERLAY_SWAP;
}

/* Puts the detached tree `tree` where the mount behind `fd` is (at `point`,
 * on mount `parent`): instead of it for a SWAP step, on top of it for a
 * STACK step or for a mount the kernel keeps locked to its parent. */
static int put_in_place(struct applier *a, const struct plan_step *s, int fd, int tree,
                        const char *point, int parent, struct err *e)
{
        _cleanup_close_ int target = -EBADF;
        int r = swaps(s) ? detach(a, fd) : -EINVAL, to = fd;
        bool is_root;

        if (r == 0) {
                /* The old mount is gone: its mount point now leads to the
                 * parent's directory, where the copy goes. */
                target = openat2_path(AT_FDCWD, point, RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
                if (target < 0)
                        return err_sys(e, -target, "open `%s` (%s)", point, s->why);
                if (mount_id_of(target, &is_root) != parent)
                        return err_set(e, ESTALE, "`%s` (%s): no longer on mount %d (changed while "
                                       "the hook ran)", point, s->why, parent);
                to = target;
        } else if (r != -EINVAL) {
                return err_sys(e, -r, "detach `%s` (%s)", point, s->why);
        }
        if (move_mount(tree, "", to, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return err_sys(e, errno, "move_mount onto `%s` (%s)", point, s->why);
        return 0;
}

/* The mount point and parent that the current copy of the step's mount
 * has now, for put_in_place. */
static char *where_now(struct applier *a, const struct plan_step *s, int *parent, struct err *e)
{
        const struct mountinfo_entry *now = mountinfo_by_id(&a->now, a->cur[orig_index(a, s->mount)]);
        char *point = now ? strdup(now->mount_point) : NULL;

        if (!point)
                err_set(e, now ? ENOMEM : ENOENT, now ? "out of memory" : "`%s` (%s): the mount is "
                        "gone (changed while the hook ran)", s->mount->mount_point, s->why);
        *parent = now ? now->parent_id : -1;
        return point;
}

static int do_idmap(struct applier *a, const struct plan_step *s, struct err *e)
{
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP,
                                   .userns_fd = (__u64)a->userns_fds[s->mapping_index] };
        _cleanup_close_ int fd = reach(a, s, e), tree = -EBADF;
        _cleanup_free_ char *point = NULL;
        int parent, r;

        if (fd < 0)
                return fd;
        point = where_now(a, s, &parent, e);
        if (!point)
                return -e->errnum;
        tree = open_tree(fd, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
        if (tree < 0)
                return err_sys(e, errno, "open_tree `%s` (%s)", point, s->why);
        if (mount_setattr(tree, "", AT_EMPTY_PATH | (s->recursive ? AT_RECURSIVE : 0), &attr,
                          sizeof(attr)) < 0)
                return errno == EINVAL ? idmap_refused(s, a->userns_fds[s->mapping_index], e)
                                       : err_sys(e, errno, "idmap `%s` (%s)", point, s->why);
        r = put_in_place(a, s, fd, tree, point, parent, e);
        return r < 0 ? r : follow_into(a, s, tree, point, e);
}

/* ---- an overlay, made anew on idmapped layers (overlay_build.c) --------------- */

/* Before entering the container's mount namespace: the new overlay, made
 * and detached, in a->overlays, with the runtime's own flags on the old
 * overlay's mount (the rootfs, or the volume's bind).  The layers' paths
 * are the host's, as the overlay was given them. */
static int prepare_overlay(struct applier *a, const struct plan_step *s, struct err *e)
{
        const struct plan_overlay *o = &a->p->overlays[s->overlay_index];
        const struct overlay_build b = {
                .options = &o->options,
                .userns_fd = a->userns_fds[s->mapping_index],
                .uid = o->uid,
                .gid = o->gid,
                .attrs = s->mount->attrs & MOUNT_FLAGS_ALL,
                .table = a->orig,
                .where = s->mount->mount_point,
        };
        int fd = overlay_build(&b, e);

        if (fd < 0)
                return fd;
        a->overlays[s->overlay_index] = fd;
        return 0;
}

/* The clones of the old overlay's submounts, held until each is moved. */
struct sub_fds {
        int *fds;
        size_t n;
};

static void sub_fds_close(struct sub_fds *l)
{
        for (size_t i = 0; i < l->n; i++)
                if (l->fds[i] >= 0)
                        close(l->fds[i]);
        free(l->fds);
}

/* A clone (with everything below it) of each mount the runtime made on the
 * old overlay, in table order; for a ridmap volume, idmapped as the step's
 * mapping says, as the whole tree of an idmapped volume is. */
static int clone_submounts(struct applier *a, const struct plan_step *s, struct sub_fds *subs,
                           struct err *e)
{
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP,
                                   .userns_fd = (__u64)a->userns_fds[s->mapping_index] };
        const struct mountinfo_entry *root = s->mount;
        int r = 0;

        subs->fds = malloc((a->orig->n ? a->orig->n : 1) * sizeof(*subs->fds));
        if (!subs->fds)
                return err_set(e, ENOMEM, "out of memory");
        for (size_t i = 0; r >= 0 && i < a->orig->n; i++) {
                const struct mountinfo_entry *c = &a->orig->e[i];
                _cleanup_close_ int cfd = -EBADF;

                if (c == root || c->parent_id != root->mount_id)
                        continue;
                cfd = reach_id(a, a->cur[orig_index(a, c)], c->mount_point, e);
                r = cfd;
                if (cfd >= 0) {
                        r = open_tree(cfd, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
                                      AT_RECURSIVE);
                        if (r < 0)
                                r = err_sys(e, errno, "open_tree `%s`", c->mount_point);
                }
                subs->fds[subs->n++] = r;
                if (r >= 0 && s->recursive &&
                    mount_setattr(r, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
                        r = err_sys(e, errno, "idmap `%s` below the overlay (%s, ridmap)",
                                    c->mount_point, s->why);
        }
        return r < 0 ? r : 0;
}

/* Each clone onto the same point of the new overlay: found there with no
 * symlink followed and no mount crossed, since a new overlay shows the same
 * directories. */
static int move_submounts(struct applier *a, const struct plan_step *s, int overlay,
                          const struct sub_fds *subs, struct err *e)
{
        const struct mountinfo_entry *root = s->mount;
        size_t skip = strcmp(root->mount_point, "/") == 0 ? 1 : strlen(root->mount_point) + 1;
        int r = 0;

        for (size_t i = 0, k = 0; r >= 0 && i < a->orig->n; i++) {
                const struct mountinfo_entry *c = &a->orig->e[i];
                _cleanup_close_ int target = -EBADF;

                if (c == root || c->parent_id != root->mount_id)
                        continue;
                target = overlay_beneath(overlay, c->mount_point + skip, "mount point", e);
                r = target;
                if (target >= 0 && move_mount(subs->fds[k], "", target, "", MOVE_MOUNT_F_EMPTY_PATH |
                                              MOVE_MOUNT_T_EMPTY_PATH) < 0)
                        r = err_sys(e, errno, "move_mount onto `%s` in the new overlay",
                                    c->mount_point);
                k++;
        }
        return r < 0 ? r : 0;
}

/* The new overlay goes on top of the old one (the rootfs) or instead of it
 * (a volume), and each mount the runtime made on the old one is cloned
 * onto the new one.  The clones are taken first: once the new overlay is
 * in place, no path leads to the old one's mounts. */
static int do_overlay(struct applier *a, const struct plan_step *s, struct err *e)
{
        int overlay = a->overlays[s->overlay_index];
        _cleanup_close_ int fd = reach(a, s, e);
        _cleanup_free_ char *point = NULL;
        struct sub_fds subs = { 0 };
        int parent, r;

        if (fd < 0)
                return fd;
        point = where_now(a, s, &parent, e);
        if (!point)
                return -e->errnum;
        r = clone_submounts(a, s, &subs, e);
        if (r >= 0)
                r = put_in_place(a, s, fd, overlay, point, parent, e);
        if (r >= 0)
                r = move_submounts(a, s, overlay, &subs, e);
        sub_fds_close(&subs);
        return r < 0 ? r : follow_into(a, s, overlay, point, e);
}

static int do_set_attrs(struct applier *a, const struct plan_step *s, struct err *e)
{
        _cleanup_close_ int fd = reach(a, s, e);
        int r;

        if (fd < 0)
                return fd;
        r = set_attrs(fd, s->attrs, 0);
        return r < 0 ? err_sys(e, -r, "mount_setattr `%s` (%s)", s->mount->mount_point, s->why) : 0;
}

/* The rootfs as the container will see it: the copy on top by now. */
static int open_root(struct applier *a, struct err *e)
{
        return reach_id(a, a->cur[orig_index(a, a->p->root.mount)], "rootfs", e);
}

/* Masked and read-only paths are found as the runtimes find them: inside
 * the rootfs, symlinks followed without leaving it.  -ENOENT: not there. */
static int open_path(struct applier *a, const struct plan_step *s, struct err *e)
{
        int fd;

        /* The path steps come last and change no mount they pass through:
         * the root is reached once for all of them. */
        if (a->root < 0)
                a->root = open_root(a, e);
        if (a->root < 0)
                return a->root;
        fd = openat2_path(a->root, s->path, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
        /* RESOLVE_IN_ROOT answers EAGAIN when a rename raced a ".." walk */
        if (fd == -EAGAIN)
                fd = openat2_path(a->root, s->path, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
        if (fd < 0 && fd != -ENOENT)
                return err_sys(e, -fd, "open `%s` in the rootfs (%s)", s->path, s->why);
        return fd;
}

/* The mount that masks a directory: an empty read-only tmpfs.  Making a
 * tmpfs costs far more than cloning a mount (about 0.25 ms against a few
 * µs, measured with strace -T here), so the first one is made and every
 * later directory gets a clone of it: all show the same empty,
 * unwritable directory. */
static int dir_mask(struct applier *a, const struct plan_step *s, struct err *e)
{
        _cleanup_close_ int fs = -EBADF;
        int mnt;

        if (a->mask_dir >= 0) {
                mnt = open_tree(a->mask_dir, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
                return mnt < 0 ? err_sys(e, errno, "clone the mount that masks `%s`", s->path) : mnt;
        }
        fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
        if (fs < 0 || fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return err_sys(e, errno, "create a tmpfs to mask `%s`", s->path);
        mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
                      MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
        return mnt < 0 ? err_sys(e, errno, "fsmount a tmpfs to mask `%s`", s->path) : mnt;
}

static int mask_with(struct applier *a, int target, const struct plan_step *s, struct err *e)
{
        struct statx stx;
        _cleanup_close_ int mnt = -EBADF;
        bool dir;

        if (statx(target, "", AT_EMPTY_PATH, STATX_TYPE, &stx) < 0)
                return err_sys(e, errno, "statx `%s`", s->path);
        dir = S_ISDIR(stx.stx_mode);
        if (dir) {
                mnt = dir_mask(a, s, e);
                if (mnt < 0)
                        return mnt;
        } else {
                /* Not nodev: a masked file reads as /dev/null, a device. */
                mnt = open_tree(AT_FDCWD, "/dev/null", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
                if (mnt < 0)
                        return err_sys(e, errno, "open_tree `/dev/null` to mask `%s`", s->path);
                if (set_attrs(mnt, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, 0) < 0)
                        return err_sys(e, errno, "mount_setattr `/dev/null` to mask `%s`", s->path);
        }
        if (move_mount(mnt, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return err_sys(e, errno, "mask `%s`", s->path);
        /* attached now: later masks clone it */
        if (dir && a->mask_dir < 0)
                a->mask_dir = TAKE_FD(mnt);
        return 0;
}

static int readonly_with(int target, const struct plan_step *s, struct err *e)
{
        _cleanup_close_ int tree = open_tree(target, "", AT_EMPTY_PATH | OPEN_TREE_CLONE |
                                             OPEN_TREE_CLOEXEC | AT_RECURSIVE);
        int r;

        if (tree < 0)
                return err_sys(e, errno, "open_tree `%s`", s->path);
        r = set_attrs(tree, MOUNT_ATTR_RDONLY, AT_RECURSIVE);
        if (r < 0)
                return err_sys(e, -r, "mount_setattr `%s`", s->path);
        if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return err_sys(e, errno, "move_mount onto `%s`", s->path);
        return 0;
}

static int do_path(struct applier *a, const struct plan_step *s, struct err *e)
{
        _cleanup_close_ int fd = open_path(a, s, e);
        int r;

        if (fd == -ENOENT)
                return 0;       /* as the runtimes do: nothing there, nothing to cover */
        if (fd < 0)
                return fd;
        r = s->kind == STEP_MASK ? mask_with(a, fd, s, e) : readonly_with(fd, s, e);
        return r;
}

static int do_step(struct applier *a, const struct plan_step *s, struct err *e)
{
        switch (s->kind) {
        case STEP_IDMAP_STACK:
        case STEP_IDMAP_SWAP:
                return do_idmap(a, s, e);
        case STEP_OVERLAY_STACK:
        case STEP_OVERLAY_SWAP:
                return do_overlay(a, s, e);
        case STEP_SET_ATTRS:
                return do_set_attrs(a, s, e);
        case STEP_MASK:
        case STEP_READONLY_PATH:
                return do_path(a, s, e);
        }
        return err_set(e, EINVAL, "unknown step %d", (int)s->kind);
}

/* The mount namespace's inode, seen through /proc/self. */
static int mntns_ino(const struct applier *a, ino_t *ino, struct err *e)
{
        struct stat st;

        if (fstatat(a->proc_self, "ns/mnt", &st, 0) < 0)
                return err_sys(e, errno, "stat `/proc/self/ns/mnt`");
        *ino = st.st_ino;
        return 0;
}

static int enter(struct applier *a, int pidfd, struct err *e)
{
        ino_t host_ns = 0, ns = 0;
        int r;

        /* openat, not open: the hook's seccomp filter allows openat only,
         * and musl's open() is SYS_open (glibc's is openat) */
        a->proc_self = openat(AT_FDCWD, "/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (a->proc_self < 0)
                return err_sys(e, errno, "open `/proc/self`");
        r = mntns_ino(a, &host_ns, e);
        if (r < 0)
                return r;
        /* setns through the pidfd: the namespace of exactly the process the
         * state named, even if its pid were reused meanwhile. */
        if (setns(pidfd, CLONE_NEWNS) < 0)
                return err_sys(e, errno, "enter the container's mount namespace");
        r = mntns_ino(a, &ns, e);
        if (r < 0)
                return r;
        if (ns == host_ns)
                return err_set(e, EINVAL, "the container has no mount namespace of its own; "
                               "refusing to change the host's mounts");
        return 0;
}

int mounts_apply(const struct plan *p, int pidfd, const int *userns_fds,
                 const struct mountinfo *mi, FILE *trace, struct err *e)
{
        struct applier a = { .p = p, .userns_fds = userns_fds, .orig = mi, .proc_self = -EBADF,
                             .root = -EBADF, .mask_dir = -EBADF,
                             .trace = trace };
        int r = 0;

        a.cur = malloc((mi->n ? mi->n : 1) * sizeof(*a.cur));
        a.overlays = malloc((p->n_overlays ? p->n_overlays : 1) * sizeof(*a.overlays));
        if (!a.cur || !a.overlays) {
                free(a.cur);
                free(a.overlays);
                return err_set(e, ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < p->n_overlays; i++)
                a.overlays[i] = -EBADF;
        for (size_t i = 0; i < mi->n; i++)
                a.cur[i] = mi->e[i].mount_id;
        /* The runtime waits for the hook: the namespace still has the mounts
         * the caller read; the first change reads it again. */
        a.now = *mi;
        for (size_t i = 0; r >= 0 && i < p->n_steps; i++)
                if (p->steps[i].overlay_index >= 0)
                        r = prepare_overlay(&a, &p->steps[i], e);
        if (r >= 0)
                r = enter(&a, pidfd, e);
        for (size_t i = 0; r >= 0 && i < p->n_steps; i++) {
                r = do_step(&a, &p->steps[i], e);
                if (r >= 0 && trace) {
                        char line[1024];

                        plan_step_format(&p->steps[i], p, line, sizeof(line));
                        fprintf(trace, "done %zu: %s\n", i + 1, line);
                }
        }
        if (a.proc_self >= 0)
                close(a.proc_self);
        if (a.root >= 0)
                close(a.root);
        if (a.mask_dir >= 0)
                close(a.mask_dir);
        for (size_t i = 0; i < p->n_overlays; i++)
                if (a.overlays[i] >= 0)
                        close(a.overlays[i]);
        free(a.overlays);
        if (a.now_owned)
                mountinfo_free(&a.now);
        free(a.cur);
        return r;
}
