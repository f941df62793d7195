/* User-namespace fds for idmapped mounts, made through a traced fork.
 *
 * mount_setattr(MOUNT_ATTR_IDMAP) takes the mapping as an fd on a user
 * namespace.  A namespace only gets its maps from a process living in it, so
 * one is born for the purpose: cloned straight into a new user namespace,
 * under a seccomp filter that lets it do nothing but stop under ptrace.  The
 * parent writes the maps, keeps the namespace fd, and kills and reaps the
 * child; the namespace outlives it.
 */
#pragma once

#include "../oci/err.h"
#include "../oci/idmap.h"

/* Returns an fd (O_CLOEXEC) on a new user namespace whose uid_map and gid_map
 * are exactly `m`, or a negative errno with `e` naming what failed.
 * Safe to call from several threads at once. */
int userns_fd(const struct id_mapping *m, struct err *e);
