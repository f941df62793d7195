/* Carrying a plan out inside the container's mount namespace. */
#pragma once

#include "../base/err.h"
#include "../oci/plan.h"

/* Enters the mount namespace of the process behind `pidfd` (this thread
 * stays there: call it from a single-threaded process that is about to
 * exit) and makes the plan true there: the rootfs and the asked mounts are
 * replaced by idmapped clones made with userns_fds[entry.mapping_index], and
 * every flag and mask the runtime meant for the replaced trees is set on the
 * replacements.  `mi` is the namespace's mount table as the caller read it
 * (NULL: read it here); it is only read.  The host's mount namespace is
 * never changed. */
int mounts_apply(const struct plan *p, int pidfd, const int *userns_fds,
                 const struct mountinfo *mi, struct err *e);

/* Reads and parses `mountinfo` in the /proc/<pid> directory `dirfd`;
 * `where` names it in messages. */
int mountinfo_read_at(int dirfd, const char *where, struct mountinfo *out, struct err *e);
