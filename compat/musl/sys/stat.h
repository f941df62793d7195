/* <sys/stat.h> for musl 1.2.3, which has no statx() yet (1.2.5 has): the
 * kernel's struct statx and STATX_* from <linux/stat.h>, and the call. */
#pragma once

#include_next <sys/stat.h>
/* <linux/stat.h> also defines S_IF* and S_IS* unless it sees glibc; musl's
 * own are the same values. */
#define __GLIBC__ 2
#include <linux/stat.h>
#undef __GLIBC__
#include <sys/syscall.h>
#include <unistd.h>

static inline int statx(int dfd, const char *path, int flags, unsigned int mask,
                        struct statx *buf)
{
        return (int)syscall(SYS_statx, dfd, path, flags, mask, buf);
}
