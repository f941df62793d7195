/* Support for the "never loosen" regression tests (test_never_loosen.c).
 *
 * Each case runs a container on a bundle under runc or crun twice, without
 * the hook and with it, and compares what the container saw.  A run here
 * differs from e2e_bundle_run in what the cases need:
 * - hooks of the test's own run before the project's hook (and in the run
 *   without it), to change the container between the runtime's mounts and
 *   the hook;
 * - the project's hook runs through a small wrapper that records its exit
 *   code, its stderr and its wall time: crun does not pass a hook's stderr
 *   on, and a runtime's message does not always give the code;
 * - the runtime may get a lower soft RLIMIT_NOFILE, a longer timeout, extra
 *   env entries and extension members in config.json.
 *
 * The container's command is a shell script whose output (stderr folded in)
 * comes first, then its /proc/self/mountinfo after a marker line.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "lib_e2e.h"

struct loosen_bundle {
        enum e2e_runtime runtime;
        enum e2e_hook hook;
        const char *rootfs;
        bool readonly_root;
        const struct e2e_mount *mounts;         /* after podman's standard ones */
        size_t n_mounts;
        const char *const *annotations;         /* "key", "value", ..., NULL */
        const char *script;                     /* sh -c; its output is `probe` */
        const char *const *pre_hooks;           /* run before the hook, with or without it */
        const char *const *extra_env;           /* bytes as they are */
        const char *extra_members;              /* raw top-level JSON members */
        unsigned nofile_soft;                   /* the runtime's soft RLIMIT_NOFILE; 0: ours */
        int timeout_s;                          /* 0: E2E_TIMEOUT */
};

struct loosen_result {
        struct e2e_result *r;           /* the runtime's `run` */
        bool hook_ran;                  /* the project's hook ran (its wrapper wrote) */
        int hook_status;                /* its exit code */
        double hook_ms;                 /* its wall time */
        const char *hook_err;           /* its stderr */
        const char *probe;              /* the script's output, before the mountinfo */
        const char *mountinfo;          /* the container's, "" when it did not get there */
        const char *id;                 /* the container id */
};

/* Writes the bundle, runs `RT --root X run --bundle B ID` (deleting the
 * container after), and collects what the container and the hook said. */
struct loosen_result *loosen_run(const struct loosen_bundle *b);

/* The container ran its script to the end (exit 0, mountinfo printed). */
void loosen_expect_ran(const struct loosen_result *res);

/* Both runs went through, printed the same probe output, and the one with
 * the hook kept every mount point and every ro/nosuid/nodev/noexec the run
 * without it had (e2e_expect_same_view). */
void loosen_expect_same_outcome(const struct loosen_result *without,
                                const struct loosen_result *with);

/* Every mount idmapped in `with` is idmapped in `without` too, or is one of
 * the NULL-terminated `asked` mount points: the hook idmapped nothing that
 * was not asked. */
void loosen_expect_idmapped_only(const struct loosen_result *without,
                                 const struct loosen_result *with, const char *const *asked);

/* The one mount at `point` in the container's view has `flags` and is (or
 * is not) idmapped. */
void loosen_expect_mount(const struct loosen_result *res, const char *point, unsigned flags,
                         bool idmapped);

/* False when the container ran.  Otherwise asserts that the project's hook
 * refused it: exit code non-zero, stderr one line naming `what`; and
 * returns true. */
bool loosen_refused_with_one_line(const struct loosen_result *res, const char *what);

/* An executable shell script in the work dir: "#!/bin/sh\n" + body. */
const char *loosen_script(const char *name, const char *body);

/* Text for assertion messages: the runtime's run and the hook's record. */
const char *loosen_describe(const struct loosen_result *res);
