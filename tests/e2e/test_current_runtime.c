/* The hook under the runtimes people run today: runc 1.3.6 and crun 1.27.1,
 * from OIH_RUNTIMES_DIR (lib_e2e.h).  ctest labels this file e2e-current;
 * run without the variable, every test here fails and says so.
 *
 * runc 1.3.6 (also 1.4.3, 1.5) opens the rootfs O_PATH before the mounts and
 * the hooks, and after them pivots into that handle (fchdir + pivot_root
 * (".", ".")): a rootfs mount a hook stacks on top never becomes the
 * container's root.  The hook cannot help there; it must say so and leave
 * the container as it is, or refuse when the idmapped rootfs was asked for.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/stat.h>

#include "lib_e2e.h"
#include "oci/plan.h"

/* ---- what the hook takes them for (hook/runtime.c) ----------------------------- */

E2E_TEST(current_runtime, runc_1_3_6_is_detected_as_pivoting_into_its_rootfs_handle)
{
        const char *kind = e2e_probe_runtime_kind(E2E_RUNC_CURRENT, e2e_make_disk_rootfs());

        cr_assert_str_eq(kind, "runc-pivots-into-handle\n");
}

E2E_TEST(current_runtime, crun_1_27_1_is_detected_as_crun_by_handle)
{
        const char *kind = e2e_probe_runtime_kind(E2E_CRUN_CURRENT, e2e_make_disk_rootfs());

        cr_assert_str_eq(kind, "crun-by-handle\n");
}

/* ---- runc 1.3.6 and the hook ------------------------------------------------------ */

#define SHOW_ROOT_OWNER_AND_MOUNTS E2E_SH("stat -c %u /; cat /proc/self/mountinfo")

/* runc shows a hook's stderr only when the hook fails: this wrapper keeps
 * what the hook writes there in `log` whatever runc does with it. */
static const char *hook_logging_stderr_to(const char *log)
{
        const char *wrapper = e2e_strf("%s/hook-stderr-to-log", e2e_work_dir());

        e2e_write_file(wrapper, e2e_strf("#!/bin/sh\nexec '%s' \"$@\" 2>>'%s'\n", HOOK_BIN, log));
        cr_assert_eq(chmod(wrapper, 0755), 0);
        return wrapper;
}

static size_t count_lines(const char *s)
{
        size_t n = 0;

        for (; *s; s++)
                n += *s == '\n';
        return n;
}

/* The baseline for the two tests below: without the hook, runc 1.3.6 runs
 * the container, which sees its rootfs as 65534. */
E2E_TEST(current_runtime, runc_1_3_6_without_hook_container_sees_rootfs_as_nobody)
{
        struct e2e_result *r = e2e_bundle_run(&(struct e2e_bundle){
                .runtime = E2E_RUNC_CURRENT, .hook = E2E_WITHOUT_HOOK,
                .rootfs = e2e_make_disk_rootfs(), .args = SHOW_ROOT_OWNER_AND_MOUNTS,
        });

        e2e_expect_ok(r);
        e2e_expect_idmapped(e2e_expect_out_prefix(r, "65534\n"), "/", false);
}

/* Under auto nothing was asked for: the container starts as it would without
 * the hook, and the hook says once why it did nothing and what to use. */
E2E_TEST(current_runtime, runc_1_3_6_auto_leaves_container_unchanged_and_says_use_oci_idmap_runtime)
{
        const char *rootfs = e2e_make_disk_rootfs();
        const char *log = e2e_strf("%s/hook-stderr.log", e2e_work_dir());
        struct e2e_result *without = e2e_bundle_run(&(struct e2e_bundle){
                .runtime = E2E_RUNC_CURRENT, .hook = E2E_WITHOUT_HOOK,
                .rootfs = rootfs, .args = SHOW_ROOT_OWNER_AND_MOUNTS,
        });
        e2e_write_file(log, "");
        struct e2e_result *with = e2e_bundle_run(&(struct e2e_bundle){
                .runtime = E2E_RUNC_CURRENT, .hook = E2E_WITH_HOOK,
                .hook_path = hook_logging_stderr_to(log),
                .rootfs = rootfs, .args = SHOW_ROOT_OWNER_AND_MOUNTS,
        });
        const char *said = e2e_read_file(log);

        e2e_expect_ok(without);
        e2e_expect_ok(with);
        const char *mountinfo = e2e_expect_out_prefix(with, "65534\n");
        e2e_expect_idmapped(mountinfo, "/", false);
        e2e_expect_same_view(e2e_expect_out_prefix(without, "65534\n"), mountinfo);
        cr_assert(count_lines(said) == 1 && strncmp(said, "oci-idmap-hook: ", 16) == 0,
                  "the hook should say one line on stderr, it said:\n%s", said);
        cr_assert(strstr(said, "oci-idmap-runtime") && strstr(said, "handle"),
                  "the hook's line should say that the runtime pivots into a handle taken "
                  "before the hooks, and to use oci-idmap-runtime instead:\n%s", said);
}

/* Asked for explicitly, an idmapped rootfs the container would not get is a
 * failure: the container does not start, and the error says why. */
E2E_TEST(current_runtime, runc_1_3_6_rootfs_true_fails_to_start_saying_use_oci_idmap_runtime)
{
        const char *rootfs = e2e_make_disk_rootfs();
        struct e2e_result *r = e2e_bundle_run(&(struct e2e_bundle){
                .runtime = E2E_RUNC_CURRENT, .hook = E2E_WITH_HOOK, .rootfs = rootfs,
                .annotations = E2E_ARGV(ANNOTATION_ROOTFS, "true"),
                .args = E2E_SH("touch /made-inside"),
        });

        e2e_expect_fail_with(r, "oci-idmap-hook: ");
        e2e_expect_err_has(r, "oci-idmap-runtime");
        e2e_expect_absent(rootfs, "made-inside");
}
