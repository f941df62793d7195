/* Reaching mounts through fds (mountfd.h). */
#include "mountfd.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int openat2_path(int dirfd, const char *path, unsigned long long resolve)
{
        struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = resolve };
        int fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));

        return fd < 0 ? -errno : fd;
}

int mount_id_of(int fd, bool *is_root)
{
        struct statx stx;

        if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0)
                return -errno;
        *is_root = (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
                   (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
        return (int)stx.stx_mnt_id;
}
