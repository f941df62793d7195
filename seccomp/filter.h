/* The seccomp allowlist of the child that the traced fork creates.
 *
 * Written with libseccomp, made into classic BPF when the project is built
 * (seccomp/gen_bpf.c) and compiled into the hook, so that the child (which
 * shares the parent's memory and must not touch libc) installs it with one
 * raw seccomp(2) call.
 *
 * After the filter is on, the child may only
 *
 *     ptrace(PTRACE_TRACEME, ...)      become its parent's tracee
 *     gettid()                         learn its own id
 *     tkill(tid, SIGSTOP)              stop itself
 *     exit_group(status)               give up when a step failed
 *
 * and anything else kills it (SECCOMP_RET_KILL_PROCESS: the whole child dies
 * of SIGSYS, no errno comes back).  The list lives in seccomp/filter.c.
 */
#pragma once

#include <stdio.h>

#include <linux/filter.h>
#include <seccomp.h>

#include "../base/err.h"

/* One entry of an allowlist: the call, and 0 to 2 argument checks that
 * must all hold.  Both lists (filter.c, hook_filter.c) are written so. */
struct seccomp_allowed {
        int nr;                         /* SCMP_SYS(name) */
        const char *name;
        unsigned n_cmp;
        struct scmp_arg_cmp cmp[2];
};

#define ARG_EQ(i, v) { .arg = (i), .op = SCMP_CMP_EQ, .datum_a = (v) }
#define ARG_BITS_CLEAR(i, m) { .arg = (i), .op = SCMP_CMP_MASKED_EQ, .datum_a = (m), .datum_b = 0 }
#define ALLOW(call) { SCMP_SYS(call), #call, 0, { { 0 } } }
#define ALLOW_IF(call, c) { SCMP_SYS(call), #call, 1, { c } }
#define ALLOW_IF2(call, c1, c2) { SCMP_SYS(call), #call, 2, { c1, c2 } }

/* A libseccomp context that kills the process on any call (or ABI) off
 * `list`. */
int seccomp_allowlist_ctx(const struct seccomp_allowed *list, size_t n, scmp_filter_ctx *out,
                          struct err *e);

/* The child's program, as built with the project (seccomp/embedded.c);
 * never NULL, `e` untouched.  Valid for the life of the process. */
const struct sock_fprog *userns_child_filter(struct err *e);

/* The allowlist as a libseccomp context, for the build-time generator, the
 * printout and the test that the compiled-in program is still this one. */
int userns_child_filter_ctx(scmp_filter_ctx *out, struct err *e);

#ifdef OCI_IDMAP_TESTING
/* Test builds only.  Writes the allowlist as libseccomp's pseudo filter code (readable text) to
 * `f`; for people and tests that want to see what the child may do.  (The
 * program the child gets has one more instruction in front, a load that
 * decides nothing: see filter.c.) */
int userns_child_filter_print(FILE *f, struct err *e);

/* Either list (the `make` of its context) as pseudo filter code. */
int seccomp_print(int (*make)(scmp_filter_ctx *, struct err *), FILE *f, struct err *e);
#endif

/* Exports `ctx` as classic BPF into a buffer `prog` owns (free prog->filter),
 * with one instruction in front that keeps the kernel from building its
 * per-call action cache at install (see filter.c): for a process that makes
 * few calls after the install, that cache costs more than it saves. */
int seccomp_export_uncached(scmp_filter_ctx ctx, struct sock_fprog *prog, struct err *e);
