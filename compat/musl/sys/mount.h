/* <sys/mount.h> for musl: its own, plus what glibc 2.36 declares there and
 * musl does not have: the new mount API's types and constants (from the
 * kernel's <linux/mount.h>) and its calls, as plain system calls. */
#pragma once

#include_next <sys/mount.h>
#include <linux/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline int open_tree(int dfd, const char *path, unsigned int flags)
{
        return (int)syscall(SYS_open_tree, dfd, path, flags);
}

static inline int move_mount(int from_dfd, const char *from, int to_dfd, const char *to,
                             unsigned int flags)
{
        return (int)syscall(SYS_move_mount, from_dfd, from, to_dfd, to, flags);
}

static inline int mount_setattr(int dfd, const char *path, unsigned int flags,
                                struct mount_attr *attr, size_t size)
{
        return (int)syscall(SYS_mount_setattr, dfd, path, flags, attr, size);
}

static inline int fsopen(const char *fsname, unsigned int flags)
{
        return (int)syscall(SYS_fsopen, fsname, flags);
}

static inline int fsconfig(int fd, unsigned int cmd, const char *key, const void *value, int aux)
{
        return (int)syscall(SYS_fsconfig, fd, cmd, key, value, aux);
}

static inline int fsmount(int fd, unsigned int flags, unsigned int attrs)
{
        return (int)syscall(SYS_fsmount, fd, flags, attrs);
}
