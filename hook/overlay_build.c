/* An overlay made anew on idmapped layers (overlay_build.h).
 *
 * An overlay mount cannot be idmapped; its layers can (Linux 5.19+), and
 * since 6.13 the kernel takes layers as fds (FSCONFIG_SET_FD with
 * "lowerdir+", "upperdir", "workdir").  The lower layers become idmapped
 * read-only clones: nothing in them can change.  The upper and work dirs
 * come from one idmapped clone of their common directory (overlay wants
 * them on one mount).  Through that upper clone, host uid 0 has no id (the
 * mapping starts at the container root's host id), and the overlay does
 * its own work there (work/work, copy-up) with the credentials of whoever
 * made it: so it is made with the container root's host ids as fsuid and
 * fsgid, all capabilities kept.  What the container's root writes then
 * lands in the upper dir owned by 0 on disk, as with a directory rootfs.
 * Checked on 6.18 in a private mount namespace: without the fsuid the
 * overlay comes up read-only (work/work: EOVERFLOW).
 *
 * The layers are opened by their paths as the overlay was given them: the
 * host's.  The hook does it before it enters the container's mount
 * namespace, the wrapper before it leaves the host's.
 */
#include "overlay_build.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../base/cleanup.h"
#include "mountfd.h"

/* The filesystem of the mount `path` lies on, from the table the caller
 * read (the container's namespace is a copy of the host's): for messages
 * only. */
static const char *fstype_at(const struct mountinfo *mi, const char *path)
{
        const struct mountinfo_entry *best = NULL;
        size_t best_len = 0;

        for (size_t i = 0; mi && i < mi->n; i++) {
                const char *mp = mi->e[i].mount_point;
                size_t n = strlen(mp);

                if (strncmp(path, mp, n) == 0 && (path[n] == '/' || path[n] == '\0' || n == 1) &&
                    n >= best_len) {
                        best = &mi->e[i];
                        best_len = n;
                }
        }
        return best ? best->fstype : "unknown";
}

/* A detached clone of the directory at host `path`, idmapped.  Private:
 * open_tree() puts a clone of a shared mount in its source's peer group, and
 * what is mounted on it later (layers_close() stacks the clones) would then
 * propagate to the source's peers, onto the layer's directory in the host's
 * namespace (checked on 6.18 with a shared bind: it did).  The overlay takes
 * private clones of its layers whatever these are. */
static int idmapped_clone(const struct overlay_build *b, const char *path, bool ro,
                          const char *what, struct err *e)
{
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP | (ro ? MOUNT_ATTR_RDONLY : 0),
                                   .userns_fd = (__u64)b->userns_fd,
                                   .propagation = MS_PRIVATE };
        _cleanup_close_ int tree = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);

        if (tree < 0)
                return err_sys(e, errno, "overlay %s `%s`: open_tree", what, path);
        if (mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0) {
                if (errno == EINVAL)
                        return err_set(e, EOPNOTSUPP, "overlay %s `%s` (filesystem %s): the kernel "
                                       "refused to idmap it (EINVAL)", what, path,
                                       fstype_at(b->table, path));
                return err_sys(e, errno, "overlay %s `%s`: idmap", what, path);
        }
        return TAKE_FD(tree);
}

/* The directory both `a` and `b` lie in ("/x/u", "/x/w": "/x"). */
static char *common_dir(const char *a, const char *b)
{
        size_t n = 0;
        char *d;

        for (size_t i = 0; a[i] && a[i] == b[i]; i++)
                if (a[i] == '/')
                        n = i;
        d = strndup(a, n ? n : 1);
        return d;
}

int overlay_beneath(int dirfd, const char *path, const char *what, struct err *e)
{
        int fd = openat2_path(dirfd, path, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
                              RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV);

        return fd < 0 ? err_sys(e, -fd, "overlay %s `%s`", what, path) : fd;
}

/* The upper and work dirs, through one idmapped clone of the directory
 * they share (`*tree`); they must lie on its mount (overlay wants one). */
static int upper_and_work(const struct overlay_build *b, int *tree, int *upper, int *work,
                          struct err *e)
{
        const struct ovl_options *o = b->options;
        _cleanup_free_ char *dir = common_dir(o->upper, o->work);
        bool root;
        int id;

        if (!dir)
                return err_set(e, ENOMEM, "out of memory");
        *tree = idmapped_clone(b, dir, false, "upper and work dir", e);
        if (*tree < 0)
                return *tree;
        *upper = overlay_beneath(*tree, o->upper + strlen(dir) + (dir[1] != '\0'), "upperdir", e);
        if (*upper < 0)
                return *upper;
        *work = overlay_beneath(*tree, o->work + strlen(dir) + (dir[1] != '\0'), "workdir", e);
        if (*work < 0)
                return *work;
        id = mount_id_of(*upper, &root);
        if (id != mount_id_of(*work, &root) || id != mount_id_of(*tree, &root))
                return err_set(e, EXDEV, "overlay upperdir `%s` and workdir `%s`: not on one "
                               "mount below `%s`", o->upper, o->work, dir);
        return 0;
}

/* The kernel's own words on a failed overlay: the fs context's log. */
static void ovl_log(int fs, struct err *e)
{
        char line[256];
        ssize_t n;

        while ((n = read(fs, line, sizeof(line) - 1)) > 0) {
                size_t used = strlen(e->msg);

                line[n] = '\0';
                snprintf(e->msg + used, sizeof(e->msg) - used, " (%s)", line);
        }
}

static int ovl_set(int fs, const char *key, const char *value, int fd, struct err *e)
{
        int r = fd >= 0 ? fsconfig(fs, FSCONFIG_SET_FD, key, NULL, fd)
                : value ? fsconfig(fs, FSCONFIG_SET_STRING, key, value, 0)
                        : fsconfig(fs, FSCONFIG_SET_FLAG, key, NULL, 0);

        if (r < 0) {
                err_sys(e, errno, "overlay option %s%s%s", key, value ? "=" : "", value ? value : "");
                ovl_log(fs, e);
        }
        return r < 0 ? -e->errnum : 0;
}

static int ovl_options_set(int fs, const struct ovl_options *o, struct err *e)
{
        int r = o->ro ? ovl_set(fs, "ro", NULL, -1, e) : 0;

        for (size_t i = 0; r >= 0 && i < o->n_other; i++) {
                _cleanup_free_ char *key = strdup(o->other[i]);
                char *eq = key ? strchr(key, '=') : NULL;

                if (!key)
                        return err_set(e, ENOMEM, "out of memory");
                if (eq)
                        *eq = '\0';
                r = ovl_set(fs, key, eq ? eq + 1 : NULL, -1, e);
        }
        return r;
}

/* Made with the container root's host ids as fsuid and fsgid.  Changing
 * fsuid from 0 drops the file capabilities from the effective set
 * (capabilities(7)); they are raised again so that the overlay's own work
 * (copy-up sets owners) keeps them; going back to 0 restores the rest. */
static int as_container_root(const struct overlay_build *b, bool on)
{
        struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct data[2];

        setfsgid(on ? b->gid : 0);
        setfsuid(on ? b->uid : 0);
        if ((uid_t)setfsuid((uid_t)-1) != (on ? b->uid : 0))
                return -EPERM;
        if (!on)
                return 0;
        if (syscall(SYS_capget, &hdr, data) < 0)
                return -errno;
        data[0].effective = data[0].permitted;
        data[1].effective = data[1].permitted;
        return syscall(SYS_capset, &hdr, data) < 0 ? -errno : 0;
}

static int ovl_create(const struct overlay_build *b, int fs, struct err *e)
{
        int r = as_container_root(b, true);

        if (r < 0) {
                as_container_root(b, false);
                return err_sys(e, -r, "take the container root's ids to make the overlay");
        }
        r = fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0 ? -errno : 0;
        as_container_root(b, false);
        if (r < 0) {
                err_sys(e, -r, "make the overlay for `%s` on idmapped layers", b->where);
                ovl_log(fs, e);
        }
        return r;
}

/* The layers' detached clones (the lower layers', then the upper and work
 * dirs' common one): each must stay open until the overlay is made, since
 * closing the last fd on a detached mount dissolves it, and the overlay
 * takes its own private clones of its layers only then. */
struct layer_fds {
        int *trees;
        size_t n;
        int upper, work;        /* O_PATH, below the last tree */
};

/* Closing the last fd of a detached tree dissolves it, and the kernel then
 * waits for an expedited RCU grace period (namespace_unlock() from
 * __fput()): one per tree.  Measured on 6.18: 2 to 6 us each in a loop on
 * an idle machine, up to 70 us in the hook under runc; 0.3 to 9 ms for 128
 * layers.  Since 6.15 a detached mount may be moved onto a detached
 * tree of the caller's own (used here on 6.18): the clones are stacked onto
 * the first one (each onto the one before, the top of the stack), and
 * its one close dissolves them all with one grace period.  Only once the
 * overlay is made: it refuses a layer whose mount has a parent (EINVAL at
 * FSCONFIG_CMD_CREATE, checked on 6.18).  Where the kernel refuses a move
 * (before 6.15 no target outside the caller's namespace is allowed), the
 * rest are closed one by one, as before. */
static void layers_close(struct layer_fds *l)
{
        size_t stacked = 1;

        while (stacked < l->n && move_mount(l->trees[stacked], "", l->trees[0], "",
                                            MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) == 0)
                stacked++;
        for (size_t i = l->n; i-- > 0;)
                close(l->trees[i]);
        if (l->upper >= 0)
                close(l->upper);
        if (l->work >= 0)
                close(l->work);
        free(l->trees);
}

static int layers_config(const struct overlay_build *b, int fs, struct layer_fds *l,
                         struct err *e)
{
        const struct ovl_options *o = b->options;
        int r = 0, fd;

        l->trees = malloc((o->n_lower + 1) * sizeof(*l->trees));
        if (!l->trees)
                return err_set(e, ENOMEM, "out of memory");
        for (size_t i = 0; r >= 0 && i < o->n_lower; i++) {
                fd = idmapped_clone(b, o->lower[i], true, "lower layer", e);
                if (fd < 0)
                        return fd;
                l->trees[l->n++] = fd;
                r = ovl_set(fs, "lowerdir+", NULL, fd, e);
        }
        if (r < 0 || !o->upper)
                return r;
        fd = -EBADF;
        r = upper_and_work(b, &fd, &l->upper, &l->work, e);
        if (fd >= 0)
                l->trees[l->n++] = fd;
        if (r >= 0)
                r = ovl_set(fs, "upperdir", NULL, l->upper, e);
        return r < 0 ? r : ovl_set(fs, "workdir", NULL, l->work, e);
}

int overlay_build(const struct overlay_build *b, struct err *e)
{
        _cleanup_close_ int fs = fsopen("overlay", FSOPEN_CLOEXEC);
        struct layer_fds layers = { .upper = -EBADF, .work = -EBADF };
        int r, mnt = -EBADF;

        if (fs < 0)
                return err_sys(e, errno, "fsopen overlay");
        r = layers_config(b, fs, &layers, e);
        if (r >= 0)
                r = ovl_options_set(fs, b->options, e);
        if (r >= 0)
                r = ovl_create(b, fs, e);
        if (r >= 0) {
                mnt = fsmount(fs, FSMOUNT_CLOEXEC, b->attrs);
                if (mnt < 0)
                        r = err_sys(e, errno, "fsmount the overlay for `%s`", b->where);
        }
        layers_close(&layers);
        return r < 0 ? r : mnt;
}
