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

/* Under podman the hook's stderr reaches nobody when it succeeds; what the
 * container gets must still be what it gets without the hook. */
E2E_TEST(current_runtime, runc_1_3_6_podman_auto_container_runs_as_without_the_hook)
{
        const char *rootfs = e2e_make_disk_rootfs();
        struct e2e_podman c = {
                .runtime = E2E_RUNC_CURRENT, .hook = E2E_WITHOUT_HOOK,
                .flags = E2E_ARGV(E2E_USERNS_FLAGS), .rootfs = rootfs,
                .cmd = SHOW_ROOT_OWNER_AND_MOUNTS,
        };
        struct e2e_result *without = e2e_podman_run(&c);
        c.hook = E2E_WITH_HOOK;
        struct e2e_result *with = e2e_podman_run(&c);

        e2e_expect_ok(without);
        e2e_expect_ok(with);
        const char *mountinfo = e2e_expect_out_prefix(with, "65534\n");
        e2e_expect_idmapped(mountinfo, "/", false);
        e2e_expect_same_view(e2e_expect_out_prefix(without, "65534\n"), mountinfo);
}

/* ---- crun 1.27.1 and the hook ---------------------------------------------------- */

/* Like crun 1.8.1 it takes handles before the hooks and applies root
 * read-only, masks and read-only paths through them after: the hook must
 * carry every one of them over to the idmapped rootfs. */
static struct e2e_result *crun_read_only(enum e2e_hook hook, const char *rootfs, const char *vol,
                                         const char *rovol, const char *const *args)
{
        const struct e2e_mount mounts[] = {
                { "/vol", "bind", vol, E2E_ARGV("rbind", "rw", "idmap") },
                { "/rovol", "bind", rovol, E2E_ARGV("rbind", "ro", "idmap") },
        };
        return e2e_bundle_run(&(struct e2e_bundle){
                .runtime = E2E_CRUN_CURRENT, .hook = hook, .rootfs = rootfs,
                .readonly_root = true, .mounts = mounts, .n_mounts = 2, .args = args,
        });
}

E2E_TEST(current_runtime, crun_1_27_1_bundle_view_with_hook_equals_view_without_it_but_for_ownership)
{
        const char *rootfs = e2e_make_disk_rootfs();
        const char *vol = e2e_make_volume("vol"), *rovol = e2e_make_volume("rovol");
        const char *const *cmd = E2E_ARGV("cat", "/proc/self/mountinfo");

        struct e2e_result *without = crun_read_only(E2E_WITHOUT_HOOK, rootfs, vol, rovol, cmd);
        struct e2e_result *with = crun_read_only(E2E_WITH_HOOK, rootfs, vol, rovol, cmd);
        e2e_expect_same_view_with_idmapped_root(without, with);
}

E2E_TEST(current_runtime, crun_1_27_1_bundle_read_only_root_ro_volume_and_masks_are_kept)
{
        const char *rootfs = e2e_make_disk_rootfs();
        const char *vol = e2e_make_volume("vol"), *rovol = e2e_make_volume("rovol");
        struct e2e_result *r = crun_read_only(E2E_WITH_HOOK, rootfs, vol, rovol,
                                              E2E_SH("stat -c %u / /rovol/f; "
                                                     "stat -c %t:%T /proc/keys; "
                                                     "touch /x; touch /rovol/x; "
                                                     "echo x > /proc/sys/kernel/hostname"));

        e2e_expect_fail_with(r, "/proc/sys/kernel/hostname: Read-only file system");
        cr_assert_str_eq(r->out, "0\n0\n1:3\n", "%s", e2e_describe(r));
        e2e_expect_err_has(r, "touch: /x: Read-only file system");
        e2e_expect_err_has(r, "/rovol/x: Read-only file system");
        e2e_expect_absent(rootfs, "x");
        e2e_expect_absent(rovol, "x");
}

E2E_TEST(current_runtime, crun_1_27_1_podman_view_with_hook_equals_view_without_it_but_for_ownership)
{
        const char *rootfs = e2e_make_disk_rootfs();
        const char *vol = e2e_make_volume("vol");
        struct e2e_podman c = {
                .runtime = E2E_CRUN_CURRENT, .hook = E2E_WITHOUT_HOOK,
                .flags = E2E_ARGV(E2E_USERNS_FLAGS, "--read-only", "-v",
                                  e2e_strf("%s:/vol:ro", vol)),
                .rootfs = rootfs, .cmd = E2E_ARGV("cat", "/proc/self/mountinfo"),
        };
        struct e2e_result *without = e2e_podman_run(&c);
        c.hook = E2E_WITH_HOOK;
        struct e2e_result *with = e2e_podman_run(&c);

        e2e_expect_same_view_with_idmapped_root(without, with);
}

/* ---- the binaries ------------------------------------------------------------------ */

static void expect_version(enum e2e_runtime rt, const char *version)
{
        struct e2e_result *r = e2e_run(E2E_ARGV(e2e_runtime_bin(rt), "--version"));

        e2e_expect_ok(r);
        cr_assert(strstr(r->out, version), "%s is not %s:\n%s", e2e_runtime_name(rt), version,
                  e2e_describe(r));
}

E2E_TEST(current_runtime, binaries_are_runc_1_3_6_and_crun_1_27_1)
{
        expect_version(E2E_RUNC_CURRENT, "runc version 1.3.6\n");
        expect_version(E2E_CRUN_CURRENT, "crun version 1.27.1");
}
