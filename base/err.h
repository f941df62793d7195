/* One error convention for the whole hook.
 *
 * Every fallible function takes a `struct err *` and returns a negative errno
 * (or 0 / a non-negative result on success).  The message names the object at
 * fault (the input, field and value; the path or mount) so that it can be
 * printed as the single line a person reads in the runtime's error output:
 *
 *     config.json: linux.uidMappings[2]: hostID 4294967295 + size 2 overflows
 *     open_tree `/srv/rootfs/vol`: Invalid argument
 */
#pragma once

#include <stddef.h>

struct err {
        int errnum;      /* positive errno value, 0 while no error is recorded */
        char msg[1024];
};

/* Records the message; returns -errnum so callers can `return err_set(...)`. */
int err_set(struct err *e, int errnum, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Like err_set, then appends ": <strerror(errnum)>". */
int err_sys(struct err *e, int errnum, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Puts "<prefix>: " in front of the recorded message; returns -e->errnum. */
int err_prefix(struct err *e, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Forgets any recorded error. */
void err_clear(struct err *e);
