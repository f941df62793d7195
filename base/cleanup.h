/* Scope-bound ownership of fds and allocations (GCC/clang cleanup attribute).
 *
 * A variable declared `_cleanup_free_` or `_cleanup_close_` is released on
 * every return path; TAKE_FD / TAKE_PTR hand ownership on to the caller.  A
 * function uses either these or a single exit label, never both.
 */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void freep(void *p) { free(*(void **)p); }
static inline void closep(int *fd)
{
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}
static inline void closedirp(DIR **d)
{
        if (*d)
                closedir(*d);
}
static inline void fclosep(FILE **f)
{
        if (*f)
                fclose(*f);
}

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_closedir_ _cleanup_(closedirp)

#define TAKE_FD(fd) ({ int _fd_ = (fd); (fd) = -EBADF; _fd_; })
#define TAKE_PTR(p) ({ __typeof__(p) _p_ = (p); (p) = NULL; _p_; })

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
