/* End-to-end support for overlay root filesystems (issue 9): layers on the
 * disk, overlays the test mounts in its own mount namespace, a checksum
 * listing of the layers, and containers run side by side.
 *
 * Everything here runs inside the test's private mount namespace
 * (e2e_setup): the overlays, the idmapped layer clones and the FUSE mount die
 * with it, and e2e_teardown unmounts what is left below the disk dir before
 * removing it.
 *
 * The layers are the ones a container image gives: owned by 0:0 on disk, the
 * bottom one a busybox rootfs, the ones above adding, replacing and deleting
 * files, with whiteouts (character devices 0:0) and an opaque directory
 * (xattr trusted.overlay.opaque=y), so that a rebuilt overlay has to show
 * exactly what the runtime's overlay shows.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "lib_e2e.h"

/* ---- layers ------------------------------------------------------------- */

/* n layers at <disk dir>/<name>/0 .. n-1, 0 at the bottom, all owned 0:0:
 *  - 0: e2e_make_rootfs, plus /etc/doomed, /etc/removable, /opaque/old and
 *    /stack/top holding "0";
 *  - k >= 1: /stack/k holding "k", and /stack/top holding "k";
 *  - 1 (n >= 2) also: a whiteout for /etc/doomed, and /opaque as an opaque
 *    directory holding only "new" (so /opaque/old is hidden);
 *  - n-1 (n >= 3) also: a whiteout for /stack/1.
 * What the container must see: /stack/top is "n-1", /etc/doomed is gone
 * when n >= 2, /opaque lists "new" alone when n >= 2. */
struct ovl_layers {
        size_t n;
        const char *dir;
        const char **layer;     /* layer[k], bottom first */
        const char *lowerdir;   /* "layer[n-1]:...:layer[0]", top first */
};

struct ovl_layers *ovl_make_layers(const char *name, size_t n);

/* The owners, modes, sizes, device numbers, change times, xattrs and the
 * sha256 of every file of every layer, one line each: what must not change
 * on disk whatever a container does on its overlay. */
char *ovl_layers_listing(const struct ovl_layers *l);

/* Asserts ovl_layers_listing(l) is still `before`. */
void ovl_expect_layers_unchanged(const struct ovl_layers *l, const char *before);

/* Each layer cloned (open_tree), idmapped with 0:host_base:65536 and
 * attached at <disk dir>/<name>/<k>: the layers as podman's own storage
 * mounts them on this kernel.  Returns the lowerdir option for them. */
const char *ovl_idmapped_lowerdir(const struct ovl_layers *l, const char *name,
                                  unsigned host_base);

/* ---- overlays ----------------------------------------------------------- */

/* An overlay mounted by the test: upper and work at <disk dir>/<name>/upper
 * and .../work (created owned by owner:owner, mode 0755), the merged tree at
 * <disk dir>/mnt/<name>, the container's root.path. */
struct ovl_rootfs {
        const char *lowerdir, *upper, *work, *merged;
};

struct ovl_rootfs *ovl_mount(const char *lowerdir, const char *name, uid_t owner);

/* Unmounts the overlay and mounts it again on the same upper and work dirs,
 * as an engine does for a second start of a container. */
void ovl_remount(const struct ovl_rootfs *o);

/* Asserts <upper>/<name> exists, owned by uid:gid on disk. */
void ovl_expect_upper_owner(const struct ovl_rootfs *o, const char *name, uid_t uid);

/* Asserts <upper>/<name> is a whiteout: a character device 0:0. */
void ovl_expect_upper_whiteout(const struct ovl_rootfs *o, const char *name);

/* The super options of the mount at / in a container's mountinfo text (the
 * last one there, the one the container sees): for an overlay, its
 * lowerdir, upperdir and workdir as the kernel shows them. */
const char *ovl_root_super_options(const char *mountinfo);

/* The same for the last mount at `point` (as the container sees it). */
const char *ovl_super_options_at(const char *mountinfo, const char *point);

/* A FUSE mount (fuse-overlayfs, run in the foreground under `daemon`) at
 * <disk dir>/<name> holding the file fuse-file: a layer on a filesystem
 * that cannot be idmapped (fuse-overlayfs does not allow it: EINVAL on
 * Linux 6.18).  Returns its mount point. */
const char *ovl_start_fuse_layer(struct e2e_proc *daemon, const char *name);

/* Unmounts it; the daemon then exits and is reaped. */
void ovl_stop_fuse_layer(struct e2e_proc *daemon, const char *point);



/* The container's output split at its "==" line: what came before, and the
 * mountinfo text after it. */
void ovl_split_at_marker(const struct e2e_result *r, const char **listing, const char **mountinfo);

/* A tmpfs (nosuid, holding in-tmpfs) on <overlay>/opaque, for a volume
 * test; ovl_expect_submount_carried checks the container's output of
 * OVL_SHOW_SUBMOUNT: the tmpfs is there at /vol/opaque on the rebuilt
 * overlay at /vol, nosuid, idmapped or not. */
const char *ovl_mount_submount(const struct ovl_rootfs *o);
#define OVL_SHOW_SUBMOUNT                                                                   \
        E2E_SH("stat -c %u /vol /vol/opaque; cat /vol/opaque/in-tmpfs; "                  \
               "echo ==; cat /proc/self/mountinfo")
void ovl_expect_submount_carried(const struct e2e_result *r, bool mapped);
