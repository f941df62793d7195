/* The hook under podman 4.3.1 with --rootfs, as installed: podman reads the
 * project's hooks.d file (pointing at the build's binary) and runs the hook
 * at createRuntime, under runc 1.1.5 and crun 1.8.1.
 *
 * A user-namespaced container (--uidmap 0:100000:65536) on a rootfs owned by
 * uid 0 on disk must see it as its own (owner 0) and write to it as 0 on
 * disk, with every flag and mask the runtime meant for it kept.
 * test_baseline.c shows the same containers failing without the hook.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#include "lib_e2e.h"
#include "oci/plan.h"

static struct e2e_result *podman(enum e2e_runtime rt, enum e2e_hook hook,
                                 const char *const *flags, const char *rootfs,
                                 const char *const *cmd)
{
        return e2e_podman_run(&(struct e2e_podman){
                .runtime = rt, .hook = hook, .flags = flags, .rootfs = rootfs, .cmd = cmd,
        });
}

static struct e2e_result *podman_image(enum e2e_runtime rt, enum e2e_hook hook,
                                       const char *const *flags, const char *image,
                                       const char *const *cmd)
{
        return e2e_podman_run(&(struct e2e_podman){
                .runtime = rt, .hook = hook, .flags = flags, .image = image, .cmd = cmd,
        });
}

static const char *volume_flag(const char *src, const char *dst, const char *options)
{
        return e2e_strf("%s:%s:%s", src, dst, options);
}

/* ---- the rootfs --------------------------------------------------------------- */

static void rootfs_is_owned_by_0_and_root_writes_as_0(enum e2e_runtime rt, const char *rootfs)
{
        struct e2e_result *r = podman(rt, E2E_WITH_HOOK, E2E_ARGV(E2E_USERNS_FLAGS), rootfs,
                                      E2E_SH("stat -c %u / /bin/busybox /etc/passwd; "
                                             "touch /made-inside && mkdir /dir-inside && "
                                             "stat -c %u /made-inside /dir-inside"));
        e2e_expect_out(r, "0\n0\n0\n0\n0\n");
        e2e_expect_owner(rootfs, "made-inside", 0);
        e2e_expect_owner(rootfs, "dir-inside", 0);
}

E2E_TEST(hook_podman, rootfs_shows_owner_0_and_root_writes_files_owned_by_0_on_disk_runc)
{
        rootfs_is_owned_by_0_and_root_writes_as_0(E2E_RUNC, e2e_make_disk_rootfs());
}

E2E_TEST(hook_podman, rootfs_shows_owner_0_and_root_writes_files_owned_by_0_on_disk_crun)
{
        rootfs_is_owned_by_0_and_root_writes_as_0(E2E_CRUN, e2e_make_disk_rootfs());
}

static const char *tmpfs_rootfs(void)
{
        const char *rootfs = e2e_strf("%s/rootfs-on-tmpfs", e2e_work_dir());
        e2e_make_rootfs(rootfs);
        return rootfs;
}

E2E_TEST(hook_podman, rootfs_on_tmpfs_shows_owner_0_and_takes_writes_as_0_runc)
{
        rootfs_is_owned_by_0_and_root_writes_as_0(E2E_RUNC, tmpfs_rootfs());
}

E2E_TEST(hook_podman, rootfs_on_tmpfs_shows_owner_0_and_takes_writes_as_0_crun)
{
        rootfs_is_owned_by_0_and_root_writes_as_0(E2E_CRUN, tmpfs_rootfs());
}

/* Under auto, a rootfs already owned by the mapping's host ids is the
 * classic shifted rootfs: it works without help, and must be left alone. */
static void shifted_rootfs_is_left_alone(enum e2e_runtime rt)
{
        const char *rootfs = e2e_make_disk_rootfs();
        e2e_shift_tree(rootfs, E2E_HOST_BASE);

        struct e2e_result *r = podman(rt, E2E_WITH_HOOK,
                                      E2E_ARGV(E2E_USERNS_FLAGS, "--annotation",
                                               ANNOTATION_ROOTFS "=auto"),
                                      rootfs, E2E_SHOW_AND_WRITE_ROOT);
        e2e_expect_shifted_rootfs_left_alone(r, rootfs);
}

E2E_TEST(hook_podman, shifted_rootfs_is_left_alone_under_auto_runc)
{
        shifted_rootfs_is_left_alone(E2E_RUNC);
}

E2E_TEST(hook_podman, shifted_rootfs_is_left_alone_under_auto_crun)
{
        shifted_rootfs_is_left_alone(E2E_CRUN);
}

/* Two containers at once on one rootfs, with different mappings: each has an
 * idmapped clone of its own.  The first waits (up to 30 s) for the second to
 * have looked, so they overlap for sure. */
static void two_mappings_share_a_rootfs(enum e2e_runtime rt)
{
        const char *rootfs = e2e_make_disk_rootfs();
        struct e2e_proc first;

        e2e_podman_start(&first, &(struct e2e_podman){
                .runtime = rt, .hook = E2E_WITH_HOOK,
                .flags = E2E_ARGV("--uidmap", "0:100000:65536", "--gidmap", "0:100000:65536"),
                .rootfs = rootfs,
                .cmd = E2E_SH("stat -c %u /; touch /first-ready; i=0; "
                              "while [ ! -e /second-done ] && [ $i -lt 300 ]; do "
                              "sleep 0.1; i=$((i+1)); done; "
                              "test -e /second-done && echo saw-second"),
        });
        e2e_wait_for_file(e2e_strf("%s/first-ready", rootfs), &first, 60);
        struct e2e_result *second =
                podman(rt, E2E_WITH_HOOK,
                       E2E_ARGV("--uidmap", "0:200000:65536", "--gidmap", "0:200000:65536"),
                       rootfs, E2E_SH("stat -c %u /; touch /second-done"));
        struct e2e_result *r = e2e_finish(&first, E2E_TIMEOUT);

        e2e_expect_out(second, "0\n");
        e2e_expect_out(r, "0\nsaw-second\n");
        e2e_expect_owner(rootfs, "first-ready", 0);
        e2e_expect_owner(rootfs, "second-done", 0);
}

E2E_TEST(hook_podman, two_containers_with_different_mappings_share_a_rootfs_runc)
{
        two_mappings_share_a_rootfs(E2E_RUNC);
}

E2E_TEST(hook_podman, two_containers_with_different_mappings_share_a_rootfs_crun)
{
        two_mappings_share_a_rootfs(E2E_CRUN);
}

/* ---- volumes ---------------------------------------------------------------------- */

/* runc ignores :idmap (the hook does it); crun does it itself (the hook
 * must leave it: mapped twice, 0 would show as 65534). */
static void idmap_volume_is_mapped_once(enum e2e_runtime rt)
{
        const char *rootfs = e2e_make_disk_rootfs();
        const char *vol = e2e_make_volume("vol");
        struct e2e_result *r = podman(rt, E2E_WITH_HOOK,
                                      E2E_ARGV(E2E_USERNS_FLAGS,
                                               "-v", volume_flag(vol, "/vol", "idmap")),
                                      rootfs, E2E_SHOW_AND_WRITE_VOL);
        e2e_expect_volume_idmapped_once(r, vol);
}

E2E_TEST(hook_podman, idmap_volume_shows_owner_0_and_is_idmapped_once_runc)
{
        idmap_volume_is_mapped_once(E2E_RUNC);
}

E2E_TEST(hook_podman, idmap_volume_shows_owner_0_and_is_idmapped_once_crun)
{
        idmap_volume_is_mapped_once(E2E_CRUN);
}

static void nested_volumes_are_both_mapped(enum e2e_runtime rt)
{
        const char *rootfs = e2e_make_disk_rootfs();
        const char *outer = e2e_make_volume("outer"), *inner = e2e_make_volume("inner");
        e2e_mkdirs(e2e_strf("%s/sub", outer), 0755);

        struct e2e_result *r = podman(rt, E2E_WITH_HOOK,
                                      E2E_ARGV(E2E_USERNS_FLAGS,
                                               "-v", volume_flag(outer, "/vol", "idmap"),
                                               "-v", volume_flag(inner, "/vol/sub", "idmap")),
                                      rootfs,
                                      E2E_SH("stat -c %u /vol/f /vol/sub/f; "
                                             "touch /vol/new /vol/sub/new; "
                                             "cat /proc/self/mountinfo"));
        e2e_expect_ok(r);
        const char *mountinfo = e2e_expect_out_prefix(r, "0\n0\n");
        e2e_expect_idmapped(mountinfo, "/vol", true);
        e2e_expect_idmapped(mountinfo, "/vol/sub", true);
        e2e_expect_owner(outer, "new", 0);
        e2e_expect_owner(inner, "new", 0);
}

E2E_TEST(hook_podman, volume_nested_in_a_volume_is_mapped_too_runc)
{
        nested_volumes_are_both_mapped(E2E_RUNC);
}

E2E_TEST(hook_podman, volume_nested_in_a_volume_is_mapped_too_crun)
{
        nested_volumes_are_both_mapped(E2E_CRUN);
}

/* ---- nothing the runtime meant is lost --------------------------------------------- */

/* A macro: the list lives in the caller's scope. */
#define VIEW_FLAGS(vol, rovol)                                                         \
        E2E_ARGV(E2E_USERNS_FLAGS, "--read-only", "-v", volume_flag(vol, "/vol", "idmap"), \
                 "-v", volume_flag(rovol, "/rovol", "ro"))

static void view_is_kept(enum e2e_runtime rt)
{
        const char *rootfs = e2e_make_disk_rootfs();
        const char *vol = e2e_make_volume("vol"), *rovol = e2e_make_volume("rovol");
        const char *const *cmd = E2E_ARGV("cat", "/proc/self/mountinfo");

        struct e2e_result *without = podman(rt, E2E_WITHOUT_HOOK, VIEW_FLAGS(vol, rovol),
                                            rootfs, cmd);
        struct e2e_result *with = podman(rt, E2E_WITH_HOOK, VIEW_FLAGS(vol, rovol), rootfs, cmd);
        e2e_expect_same_view_with_idmapped_root(without, with);
}

E2E_TEST(hook_podman, view_with_hook_equals_view_without_it_but_for_ownership_runc)
{
        view_is_kept(E2E_RUNC);
}

E2E_TEST(hook_podman, view_with_hook_equals_view_without_it_but_for_ownership_crun)
{
        view_is_kept(E2E_CRUN);
}

/* Writable but for the ro flag: owner 0 inside, so only the flag stops it. */
static void read_only_stays_read_only(enum e2e_runtime rt)
{
        const char *rootfs = e2e_make_disk_rootfs();
        const char *rovol = e2e_make_volume("rovol");
        const char *shifted = e2e_make_volume("shifted");
        e2e_shift_tree(shifted, E2E_HOST_BASE);

        struct e2e_result *r = podman(rt, E2E_WITH_HOOK,
                                      E2E_ARGV(E2E_USERNS_FLAGS, "--read-only",
                                               "-v", volume_flag(rovol, "/rovol", "ro,idmap"),
                                               "-v", volume_flag(shifted, "/vol2", "ro")),
                                      rootfs,
                                      E2E_SH("stat -c %u / /rovol/f /vol2/f; touch /x; "
                                             "touch /rovol/x; touch /vol2/x"));
        e2e_expect_fail_with(r, "touch: /x: Read-only file system");
        cr_assert_str_eq(r->out, "0\n0\n0\n", "%s", e2e_describe(r));
        e2e_expect_err_has(r, "/rovol/x: Read-only file system");
        e2e_expect_err_has(r, "/vol2/x: Read-only file system");
        e2e_expect_absent(rootfs, "x");
        e2e_expect_absent(rovol, "x");
}

E2E_TEST(hook_podman, read_only_rootfs_and_ro_volumes_stay_read_only_runc)
{
        read_only_stays_read_only(E2E_RUNC);
}

E2E_TEST(hook_podman, read_only_rootfs_and_ro_volumes_stay_read_only_crun)
{
        read_only_stays_read_only(E2E_CRUN);
}

/* /proc/keys and /proc/timer_list masked by /dev/null (char 1:3, reads
 * empty), /proc/acpi by an empty tmpfs, /proc/sys read-only. */
static void masks_and_read_only_paths_stay(enum e2e_runtime rt)
{
        const char *rootfs = e2e_make_disk_rootfs();
        struct e2e_result *r = podman(rt, E2E_WITH_HOOK, E2E_ARGV(E2E_USERNS_FLAGS), rootfs,
                                      E2E_SH("stat -c %u /; stat -c %t:%T /proc/keys "
                                             "/proc/timer_list; cat /proc/keys /proc/timer_list "
                                             "| wc -c; ls -A /proc/acpi 2>/dev/null | wc -l; "
                                             "cat /proc/self/mountinfo; "
                                             "echo x > /proc/sys/kernel/hostname"));
        e2e_expect_fail_with(r, "/proc/sys/kernel/hostname: Read-only file system");
        const char *mountinfo = e2e_expect_out_prefix(r, "0\n1:3\n1:3\n0\n0\n");
        struct e2e_mount_view *v = e2e_mount_view_parse(mountinfo);
        e2e_expect_idmapped(mountinfo, "/", true);
        e2e_expect_mount_flags(v, "/proc/sys", E2E_RO, mountinfo);
        if (access("/proc/acpi", F_OK) == 0)
                cr_assert_str_eq(e2e_mount_view_only(v, "/proc/acpi", mountinfo)->fstype, "tmpfs",
                                 "%s", mountinfo);
}

E2E_TEST(hook_podman, masked_paths_stay_masked_and_read_only_paths_read_only_runc)
{
        masks_and_read_only_paths_stay(E2E_RUNC);
}

E2E_TEST(hook_podman, masked_paths_stay_masked_and_read_only_paths_read_only_crun)
{
        masks_and_read_only_paths_stay(E2E_CRUN);
}

/* ---- the host ---------------------------------------------------------------------- */

static void host_mounts_are_untouched(enum e2e_runtime rt)
{
        const char *before = e2e_host_mounts();
        const char *rootfs = e2e_make_disk_rootfs();
        const char *vol = e2e_make_volume("vol"), *rovol = e2e_make_volume("rovol");

        struct e2e_result *r = podman(rt, E2E_WITH_HOOK, VIEW_FLAGS(vol, rovol), rootfs,
                                      E2E_SH("stat -c %u / /vol/f"));
        e2e_expect_out(r, "0\n0\n");
        e2e_expect_host_mounts(before);
}

E2E_TEST(hook_podman, host_mount_table_is_the_same_after_a_hook_run_runc)
{
        host_mounts_are_untouched(E2E_RUNC);
}

E2E_TEST(hook_podman, host_mount_table_is_the_same_after_a_hook_run_crun)
{
        host_mounts_are_untouched(E2E_CRUN);
}

/* ---- the everyday case: images on podman's overlay storage --------------------- */

/* Installed with "when: always", the hook runs for every container.  An
 * image on podman's own overlay storage comes up shifted (podman idmaps the
 * layers and chowns the upper dir), so under auto the hook leaves it alone
 * and the container runs exactly as it would without the hook. */
static void image_with_user_namespace_runs_as_without_the_hook(enum e2e_runtime rt)
{
        const char *rootfs = e2e_make_disk_rootfs();
        const char *image = e2e_podman_import(rootfs, "busybox-e2e");
        const char *const *cmd = E2E_SH("stat -c %u /; touch /made-inside && echo wrote; "
                                        "cat /proc/self/mountinfo");
        struct e2e_result *with = podman_image(rt, E2E_WITH_HOOK, E2E_ARGV(E2E_USERNS_FLAGS),
                                               image, cmd);
        struct e2e_result *without = podman_image(rt, E2E_WITHOUT_HOOK, E2E_ARGV(E2E_USERNS_FLAGS),
                                                  image, cmd);

        e2e_expect_ok(with);
        e2e_expect_ok(without);
        const char *mi_with = e2e_expect_out_prefix(with, "0\nwrote\n");
        const char *mi_without = e2e_expect_out_prefix(without, "0\nwrote\n");
        e2e_expect_same_view(mi_without, mi_with);
        cr_assert_str_eq(e2e_mount_view_only(e2e_mount_view_parse(mi_with), "/", mi_with)->fstype,
                         "overlay", "%s", mi_with);
}

E2E_TEST(hook_podman, image_with_user_namespace_runs_as_without_the_hook_runc)
{
        image_with_user_namespace_runs_as_without_the_hook(E2E_RUNC);
}

E2E_TEST(hook_podman, image_with_user_namespace_runs_as_without_the_hook_crun)
{
        image_with_user_namespace_runs_as_without_the_hook(E2E_CRUN);
}

static void image_without_user_namespace_is_left_alone(enum e2e_runtime rt)
{
        const char *rootfs = e2e_make_disk_rootfs();
        const char *image = e2e_podman_import(rootfs, "busybox-e2e");
        struct e2e_result *r = podman_image(rt, E2E_WITH_HOOK, NULL, image,
                                            E2E_SH("stat -c %u /; touch /made-inside && echo wrote"));

        e2e_expect_out(r, "0\nwrote\n");
        cr_assert_str_eq(r->err, "", "the hook says nothing: %s", e2e_describe(r));
}

E2E_TEST(hook_podman, image_without_user_namespace_is_left_alone_runc)
{
        image_without_user_namespace_is_left_alone(E2E_RUNC);
}

E2E_TEST(hook_podman, image_without_user_namespace_is_left_alone_crun)
{
        image_without_user_namespace_is_left_alone(E2E_CRUN);
}
