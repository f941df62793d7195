/* The seccomp allowlist of the child that the traced fork creates.
 *
 * Built once with libseccomp in the parent and exported as classic BPF, so
 * that the child (which shares the parent's memory and must not touch libc)
 * installs it with one raw seccomp(2) call.
 */
#pragma once

#include <linux/filter.h>

#include "../oci/err.h"

/* The child's program, built on first use (thread-safe); the pointer stays
 * valid for the life of the process.  NULL with `e` set on failure. */
const struct sock_fprog *userns_child_filter(struct err *e);
