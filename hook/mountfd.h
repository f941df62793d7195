/* Reaching mounts through fds: small helpers the mount work shares. */
#pragma once

#include <stdbool.h>

/* openat2(O_PATH) with `resolve` (RESOLVE_*): the fd, or -errno. */
int openat2_path(int dirfd, const char *path, unsigned long long resolve);

/* The mount id of what `fd` holds, or -errno; *is_root says whether it is
 * the root of that mount (statx STATX_ATTR_MOUNT_ROOT). */
int mount_id_of(int fd, bool *is_root);
