/* The hook's own seccomp allowlist, installed once its input is read and the
 * plan is made (hook/run.c, between the plan and the namespaces stage).
 *
 * From then on the hook only carries the plan out: it makes user namespaces
 * through the traced fork (hook/userns.c), enters the container's mount
 * namespace and works on mounts by fd (hook/mounts.c), and on failure writes
 * one line to stderr and syslog.  The list in seccomp/hook_filter.c holds the
 * system calls those need, several with their arguments pinned, and nothing
 * else.  A call outside it kills the whole hook with SIGSYS
 * (SECCOMP_RET_KILL_PROCESS); hook_filter.c says why that and not EPERM.
 *
 * The traced fork's child inherits this filter and stacks its own on top
 * (seccomp/filter.h); the kernel runs both and takes the stricter answer, so
 * this list also holds the four calls the child makes before its own filter
 * is on.
 */
#pragma once

#include <stdio.h>

#include <linux/filter.h>
#include <seccomp.h>

#include "../base/err.h"

/* Makes the hook non-dumpable (a SIGSYS death writes no core of it), then
 * loads the hook's filter on the calling thread.  Irreversible; the hook is
 * single-threaded. */
int hook_filter_install(struct err *e);

/* The compiled-in program hook_filter_install loads. */
const struct sock_fprog *hook_filter_program(void);

/* The allowlist as a libseccomp context: the build-time generator makes
 * the compiled-in program from it (seccomp/gen_bpf.c). */
int hook_filter_ctx(scmp_filter_ctx *out, struct err *e);

#ifdef OCI_IDMAP_TESTING
/* Test builds only.  Writes the allowlist as libseccomp's pseudo filter code to `f`, for
 * people and tests that want to read what the hook may still do. */
int hook_filter_print(FILE *f, struct err *e);
#endif
