/* oci-idmap-runtime: an overlay root.path, or an overlay volume source
 * (wrapper_overlay.h).
 *
 * An overlay mount cannot be idmapped (EINVAL), so the wrapper cannot clone
 * root.path (or a volume's source) and idmap the clone as it does a
 * directory.  It makes a new overlay instead, exactly as the hook does in
 * the container's namespace (hook/overlay_build.c): the same options, on
 * idmapped clones of the same layers, made with the container root's host
 * ids, so that what the container's root writes lands in the same upper dir
 * owned by 0 on disk.
 * The runtime then binds root.path (the source), which leads to the new
 * overlay in the wrapper's namespace, and applies every restriction itself.
 * A volume's overlay is made with the volume's mapping; under ridmap, the
 * old overlay's submounts are idmapped with it (each with everything below
 * it), as a directory's are.
 *
 * A new overlay has no submounts.  The old one's (rare on a bundle's
 * rootfs) are cloned, each with everything below it, before anything is
 * attached, and moved onto the same points of the new overlay once it
 * covers the old one: the points are found there with no symlink followed
 * and no mount crossed, since the new overlay shows the same directories.
 * A submount hidden by a later mount has no path to be cloned by: refused.
 */
#include "wrapper_overlay.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "../base/cleanup.h"
#include "../oci/mountflags.h"
#include "../oci/mountinfo.h"
#include "../oci/overlay.h"
#include "mountfd.h"
#include "overlay_build.h"

void wrap_overlay_free(struct wrap_overlay *o)
{
        for (size_t i = 0; i < o->n; i++) {
                if (o->subs[i] >= 0)
                        close(o->subs[i]);
                free(o->points[i]);
        }
        free(o->subs);
        free(o->points);
        if (o->mnt >= 0)
                close(o->mnt);
        *o = (struct wrap_overlay)WRAP_OVERLAY_INIT;
}

/* ridmap: every mount of the detached tree idmapped, in one call. */
static int idmap_tree(int tree, int userns_fd)
{
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (__u64)userns_fd };

        return mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr));
}

/* A detached recursive clone of submount `c` of the overlay `top`, reached
 * from the overlay's root `at` and checked to be that mount; idmapped with
 * everything below it when o->userns_fd is set (ridmap). */
static int clone_submount(struct wrap_overlay *o, int at, const struct mountinfo *mi,
                          const struct mountinfo_entry *top, const struct mountinfo_entry *c,
                          const char *what, struct err *e)
{
        size_t skip = strcmp(top->mount_point, "/") == 0 ? 1 : strlen(top->mount_point) + 1;
        const char *rel = c->mount_point + skip;
        _cleanup_close_ int fd = -EBADF;
        bool is_root;
        int tree;

        if (!mountinfo_visible(mi, c))
                return err_set(e, EBUSY, "%s: the overlay's submount at `%s` is hidden by a later "
                               "mount and cannot be carried onto the rebuilt overlay", what,
                               c->mount_point);
        fd = openat2_path(at, rel, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
        if (fd < 0)
                return err_sys(e, -fd, "%s: the overlay's submount at `%s`", what, c->mount_point);
        if (mount_id_of(fd, &is_root) != c->mount_id || !is_root)
                return err_set(e, ESTALE, "%s: `%s` no longer leads to the overlay's submount %d "
                               "(changed meanwhile)", what, c->mount_point, c->mount_id);
        tree = open_tree(fd, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
        if (tree < 0)
                return err_sys(e, errno, "%s: open_tree the overlay's submount at `%s`", what,
                               c->mount_point);
        o->subs[o->n] = tree;
        if (o->userns_fd >= 0 && idmap_tree(tree, o->userns_fd) < 0)
                return err_sys(e, errno, "%s: the overlay's submount at `%s` (filesystem %s), or "
                               "a mount below it, cannot be idmapped", what, c->mount_point,
                               c->fstype);
        o->points[o->n] = strdup(rel);
        o->n++;
        return o->points[o->n - 1] ? 0 : err_set(e, ENOMEM, "out of memory");
}

static int clone_submounts(struct wrap_overlay *o, int at, const struct mountinfo *mi,
                           const struct mountinfo_entry *top, const char *what, struct err *e)
{
        int r = 0;

        o->subs = calloc(mi->n ? mi->n : 1, sizeof(*o->subs));
        o->points = calloc(mi->n ? mi->n : 1, sizeof(*o->points));
        if (!o->subs || !o->points)
                return err_set(e, ENOMEM, "out of memory");
        for (size_t i = 0; r >= 0 && i < mi->n; i++)
                if (&mi->e[i] != top && mi->e[i].parent_id == top->mount_id)
                        r = clone_submount(o, at, mi, top, &mi->e[i], what, e);
        return r;
}

static int build(struct wrap_overlay *o, int at, const struct mountinfo *mi,
                 const struct mountinfo_entry *m, const char *path, const char *what,
                 const struct id_mapping *mapping, int userns_fd, struct err *e)
{
        struct ovl_options opts = { 0 };
        struct overlay_build b = {
                .options = &opts, .userns_fd = userns_fd, .table = mi, .where = path,
                /* the flags the old overlay mount has, on the new one */
                .attrs = m->attrs & MOUNT_FLAGS_ALL,
        };
        char where[600];
        uint32_t uid, gid;
        int r;

        /* The new overlay's upper layer is worked on with these ids. */
        if (!idmap_to_host(&mapping->uid, 0, &uid) || !idmap_to_host(&mapping->gid, 0, &gid))
                return err_set(e, EINVAL, "%s: `%s` is an overlay, and the container's mapping "
                               "gives its root no host id, which the rebuilt overlay's upper "
                               "layer needs", what, path);
        b.uid = uid;
        b.gid = gid;
        snprintf(where, sizeof(where), "%s: `%.400s` (overlay)", what, path);
        r = ovl_options_parse(m->super_options, where, &opts, e);
        if (r >= 0) {
                o->mnt = overlay_build(&b, e);
                r = o->mnt < 0 ? err_prefix(e, "%s", what) : 0;
        }
        ovl_options_free(&opts);
        return r < 0 ? r : clone_submounts(o, at, mi, m, what, e);
}

int wrap_overlay_make(int at, const char *path, const char *what, const struct id_mapping *mapping,
                      bool recursive, int userns_fd, struct wrap_overlay *o, struct err *e)
{
        struct mountinfo mi = { 0 };
        const struct mountinfo_entry *m;
        struct statfs fs;
        bool is_root;
        int id, r;

        if (fstatfs(at, &fs) < 0)
                return err_sys(e, errno, "%s: statfs `%s`", what, path);
        if (fs.f_type != OVERLAYFS_SUPER_MAGIC)
                return 0;
        id = mount_id_of(at, &is_root);
        if (id < 0)
                return err_sys(e, -id, "%s: statx `%s`", what, path);
        r = mountinfo_load("/proc/self/mountinfo", &mi, e);
        if (r < 0)
                return r;
        m = mountinfo_by_id(&mi, id);
        if (m && strcmp(m->fstype, "overlay") == 0 && !is_root)
                r = err_set(e, EOPNOTSUPP, "%s: asks for an idmap, but `%s` is a directory inside "
                            "an overlay (mounted on `%s`), and only a whole overlay can be rebuilt "
                            "on idmapped layers", what, path, m->mount_point);
        else if (m && strcmp(m->fstype, "overlay") == 0) {
                o->userns_fd = recursive ? userns_fd : -EBADF;
                r = build(o, at, &mi, m, path, what, mapping, userns_fd, e);
                if (r < 0)
                        wrap_overlay_free(o);
                else
                        r = 1;
        }
        mountinfo_free(&mi);
        return r;
}

int wrap_overlay_attach(const struct wrap_overlay *o, int at, const char *path, const char *what,
                        struct err *e)
{
        if (move_mount(o->mnt, "", at, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return err_sys(e, errno, "%s: move_mount the new overlay onto `%s`", what, path);
        for (size_t i = 0; i < o->n; i++) {
                _cleanup_close_ int target = overlay_beneath(o->mnt, o->points[i], "mount point", e);

                if (target < 0)
                        return err_prefix(e, "%s", what);
                if (move_mount(o->subs[i], "", target, "", MOVE_MOUNT_F_EMPTY_PATH |
                               MOVE_MOUNT_T_EMPTY_PATH) < 0)
                        return err_sys(e, errno, "%s: move_mount onto `%s` in the new overlay",
                                       what, o->points[i]);
        }
        return 0;
}
