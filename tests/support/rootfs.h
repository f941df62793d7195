/* The busybox rootfs the e2e tests and the benches run containers on.
 *
 * Plain C, no Criterion: fallible functions follow base/err.h.
 */
#pragma once

#include <sys/types.h>

#include "base/err.h"

#define BUSYBOX "/bin/busybox"  /* busybox-static: .ci/setup-host installs it */

/* Copies the file `from` to `to`, which must not exist yet, with `mode`. */
int copy_new_file(const char *from, const char *to, mode_t mode, struct err *e);

/* Makes <dir> a rootfs: /bin/busybox and its applets as links, the usual
 * directories (/tmp 01777), root and nobody in /etc/passwd and /etc/group,
 * the empty files podman binds over (a user-namespaced runtime cannot
 * create them in a directory the container's root does not own), and the
 * directories the tests mount volumes on (/vol, /vol2, /rovol).  Every file
 * belongs to the caller (root: 0:0 on disk). */
int rootfs_make_busybox(const char *dir, struct err *e);
