/* oci-idmap-runtime: an overlay root.path, made anew on idmapped layers
 * (hook/overlay_build.h) and put on root.path in the wrapper's own mount
 * namespace, the old overlay's submounts carried onto it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "../base/err.h"
#include "../oci/idmap.h"

struct wrap_overlay {
        int mnt;                /* the new overlay: detached, then on root.path */
        int *subs;              /* detached clones of the old one's submounts, with */
        char **points;          /* the path of each below the overlay's root */
        size_t n;
        int userns_fd;          /* ridmap: the submounts' clones idmapped with it */
};

#define WRAP_OVERLAY_INIT { .mnt = -EBADF, .userns_fd = -EBADF }

/* In the host's namespace, changing nothing there.  When `at` (O_PATH on
 * `path`) is the root of an overlay mount: builds the new overlay with
 * `mapping` (`userns_fd`), clones the old one's submounts (each idmapped
 * with everything below it when `recursive`: ridmap), and returns 1.
 * Returns 0 when `at` is not on an overlay (a directory: the caller clones
 * and idmaps it), or a negative errno with `e` naming `what` and the layer,
 * option or submount at fault; a directory inside an overlay is refused (a
 * whole new overlay would show more than the directory). */
int wrap_overlay_make(int at, const char *path, const char *what, const struct id_mapping *mapping,
                      bool recursive, int userns_fd, struct wrap_overlay *o, struct err *e);

/* In the wrapper's own namespace: the new overlay on top of `at` (root.path
 * opened there), then each submount's clone onto its mount point in it. */
int wrap_overlay_attach(const struct wrap_overlay *o, int at, const char *path, const char *what,
                        struct err *e);

void wrap_overlay_free(struct wrap_overlay *o);
