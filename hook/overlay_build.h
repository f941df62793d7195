/* An overlay made anew on idmapped layers: what the hook puts on an
 * overlay rootfs in the container's namespace (hook/mounts.c), and what the
 * wrapper puts on root.path in its own (hook/wrapper_overlay.c).
 * overlay_build.c says why it is made the way it is. */
#pragma once

#include <sys/types.h>

#include "../base/err.h"
#include "../oci/mountinfo.h"
#include "../oci/overlay.h"

struct overlay_build {
        const struct ovl_options *options;      /* the old overlay's, parsed */
        int userns_fd;                          /* the container's mapping */
        uid_t uid;                              /* the container root's host ids: */
        gid_t gid;                              /* the upper layer's work is done as them */
        unsigned attrs;                         /* MOUNT_ATTR_* of the new mount */
        /* The table the layers' filesystems are named from in messages
         * (the paths are the host's); NULL: "unknown". */
        const struct mountinfo *table;
        const char *where;                      /* the old overlay's mount point, for messages */
};

/* The new overlay, detached (fsmount), with the old one's options on
 * idmapped clones of its layers: the fd, or a negative errno with `e`
 * naming the layer or option at fault and the kernel's own words.  Runs
 * under the hook's seccomp filter: it makes no call that
 * seccomp/hook_filter.c does not allow.  The caller must be
 * single-threaded: the overlay is made with changed fs ids. */
int overlay_build(const struct overlay_build *b, struct err *e);

/* `path` below the directory `dirfd`, O_PATH, with no symlink followed
 * and no mount crossed; `what` names it in messages ("overlay WHAT `PATH`"). */
int overlay_beneath(int dirfd, const char *path, const char *what, struct err *e);
