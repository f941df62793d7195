/* The hook under runc 1.1.5 and crun 1.8.1 run directly on a bundle, no
 * podman: config.json names the hook at createRuntime, with a user namespace
 * 0:100000:65536 and the mounts, masks and read-only paths podman would give.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "lib_e2e.h"
#include "oci/plan.h"

static struct e2e_result *bundle(enum e2e_runtime rt, enum e2e_hook hook, const char *rootfs,
                                 const struct e2e_mount *mounts, size_t n_mounts,
                                 const char *const *args)
{
        return e2e_bundle_run(&(struct e2e_bundle){
                .runtime = rt, .hook = hook, .rootfs = rootfs,
                .mounts = mounts, .n_mounts = n_mounts, .args = args,
        });
}

/* ---- the rootfs ---------------------------------------------------------------- */

static void rootfs_is_owned_by_0_and_root_writes_as_0(enum e2e_runtime rt)
{
        const char *rootfs = e2e_make_disk_rootfs();
        struct e2e_result *r = bundle(rt, E2E_WITH_HOOK, rootfs, NULL, 0,
                                      E2E_SH("stat -c %u / /bin/busybox /etc/passwd; "
                                             "touch /made-inside && "
                                             "stat -c %u /made-inside"));
        e2e_expect_out(r, "0\n0\n0\n0\n");
        e2e_expect_owner(rootfs, "made-inside", 0);
}

E2E_TEST(hook_bundle, rootfs_shows_owner_0_and_root_writes_files_owned_by_0_on_disk_runc)
{
        rootfs_is_owned_by_0_and_root_writes_as_0(E2E_RUNC);
}

E2E_TEST(hook_bundle, rootfs_shows_owner_0_and_root_writes_files_owned_by_0_on_disk_crun)
{
        rootfs_is_owned_by_0_and_root_writes_as_0(E2E_CRUN);
}

static void shifted_rootfs_is_left_alone(enum e2e_runtime rt)
{
        const char *rootfs = e2e_make_disk_rootfs();
        e2e_shift_tree(rootfs, E2E_HOST_BASE);

        struct e2e_result *r = e2e_bundle_run(&(struct e2e_bundle){
                .runtime = rt, .hook = E2E_WITH_HOOK, .rootfs = rootfs,
                .annotations = E2E_ARGV(ANNOTATION_ROOTFS, "auto"),
                .args = E2E_SHOW_AND_WRITE_ROOT,
        });
        e2e_expect_shifted_rootfs_left_alone(r, rootfs);
}

E2E_TEST(hook_bundle, shifted_rootfs_is_left_alone_under_auto_runc)
{
        shifted_rootfs_is_left_alone(E2E_RUNC);
}

E2E_TEST(hook_bundle, shifted_rootfs_is_left_alone_under_auto_crun)
{
        shifted_rootfs_is_left_alone(E2E_CRUN);
}

/* ---- volumes --------------------------------------------------------------------- */

static void idmap_volume_is_mapped_once(enum e2e_runtime rt)
{
        const char *rootfs = e2e_make_disk_rootfs();
        const char *vol = e2e_make_volume("vol");
        const struct e2e_mount mounts[] = {
                { "/vol", "bind", vol, E2E_ARGV("rbind", "rw", "idmap") },
        };
        struct e2e_result *r = bundle(rt, E2E_WITH_HOOK, rootfs, mounts, 1, E2E_SHOW_AND_WRITE_VOL);
        e2e_expect_volume_idmapped_once(r, vol);
}

E2E_TEST(hook_bundle, idmap_volume_shows_owner_0_and_is_idmapped_once_runc)
{
        idmap_volume_is_mapped_once(E2E_RUNC);
}

E2E_TEST(hook_bundle, idmap_volume_shows_owner_0_and_is_idmapped_once_crun)
{
        idmap_volume_is_mapped_once(E2E_CRUN);
}

/* ridmap: every mount of the volume's subtree is idmapped, the submount too.
 * (podman 4.3 refuses the option, hence a bundle.)  The submount exists in
 * this test's namespace, where the runtime runs; crun 1.8.1 alone drops it
 * from a user-namespaced container's rbind, so under crun there is only the
 * volume itself to map. */
static void ridmap_volume_maps_its_submount(enum e2e_runtime rt)
{
        const char *rootfs = e2e_make_disk_rootfs();
        const char *vol = e2e_make_volume("vol"), *sub = e2e_make_volume("sub-source");
        const char *point = e2e_strf("%s/sub", vol);
        e2e_mkdirs(point, 0755);
        cr_assert_eq(mount(sub, point, NULL, MS_BIND, NULL), 0, "bind `%s` on `%s`", sub, point);

        const struct e2e_mount mounts[] = {
                { "/vol", "bind", vol, E2E_ARGV("rbind", "rw", "ridmap") },
        };
        if (rt == E2E_CRUN) {   /* no submount there: the volume alone */
                struct e2e_result *r = bundle(rt, E2E_WITH_HOOK, rootfs, mounts, 1,
                                              E2E_SHOW_AND_WRITE_VOL);
                e2e_expect_volume_idmapped_once(r, vol);
                return;
        }
        struct e2e_result *r = bundle(rt, E2E_WITH_HOOK, rootfs, mounts, 1,
                                      E2E_SH("stat -c %u /vol/f /vol/sub/f; "
                                             "touch /vol/new /vol/sub/new; "
                                             "cat /proc/self/mountinfo"));
        e2e_expect_ok(r);
        const char *mountinfo = e2e_expect_out_prefix(r, "0\n0\n");
        e2e_expect_idmapped(mountinfo, "/vol", true);
        e2e_expect_owner(vol, "new", 0);
        /* The submount came with the rbind, so it is locked to /vol in the
         * container's user-namespaced mount namespace.  The whole tree is
         * cloned and idmapped in one call and swapped in for /vol: one
         * mount at /vol/sub, as without the hook, and it is idmapped. */
        const struct e2e_view_mount *at_sub[4];
        size_t n = e2e_mount_view_find(e2e_mount_view_parse(mountinfo), "/vol/sub", at_sub, 4);
        cr_assert_eq(n, 1, "%zu mounts at /vol/sub:\n%s", n, mountinfo);
        cr_assert(at_sub[0]->idmapped, "%s", mountinfo);
        e2e_expect_owner(sub, "new", 0);
}

E2E_TEST(hook_bundle, ridmap_volume_maps_its_submount_too_runc)
{
        ridmap_volume_maps_its_submount(E2E_RUNC);
}

E2E_TEST(hook_bundle, ridmap_volume_maps_its_submount_too_crun)
{
        ridmap_volume_maps_its_submount(E2E_CRUN);
}

/* ---- nothing the runtime meant is lost ------------------------------------------- */

static struct e2e_result *run_read_only(enum e2e_runtime rt, enum e2e_hook hook,
                                        const char *rootfs, const char *vol, const char *rovol,
                                        const char *const *args)
{
        const struct e2e_mount mounts[] = {
                { "/vol", "bind", vol, E2E_ARGV("rbind", "rw", "idmap") },
                { "/rovol", "bind", rovol, E2E_ARGV("rbind", "ro", "idmap") },
        };
        return e2e_bundle_run(&(struct e2e_bundle){
                .runtime = rt, .hook = hook, .rootfs = rootfs, .readonly_root = true,
                .mounts = mounts, .n_mounts = 2, .args = args,
        });
}

static void view_is_kept(enum e2e_runtime rt)
{
        const char *rootfs = e2e_make_disk_rootfs();
        const char *vol = e2e_make_volume("vol"), *rovol = e2e_make_volume("rovol");
        const char *const *cmd = E2E_ARGV("cat", "/proc/self/mountinfo");

        struct e2e_result *without = run_read_only(rt, E2E_WITHOUT_HOOK, rootfs, vol, rovol, cmd);
        struct e2e_result *with = run_read_only(rt, E2E_WITH_HOOK, rootfs, vol, rovol, cmd);
        e2e_expect_same_view_with_idmapped_root(without, with);
}

E2E_TEST(hook_bundle, view_with_hook_equals_view_without_it_but_for_ownership_runc)
{
        view_is_kept(E2E_RUNC);
}

E2E_TEST(hook_bundle, view_with_hook_equals_view_without_it_but_for_ownership_crun)
{
        view_is_kept(E2E_CRUN);
}

/* Owner 0 inside everywhere, so only the ro flags and masks stop the writes. */
static void flags_and_masks_are_kept(enum e2e_runtime rt)
{
        const char *rootfs = e2e_make_disk_rootfs();
        const char *vol = e2e_make_volume("vol"), *rovol = e2e_make_volume("rovol");

        struct e2e_result *r = run_read_only(rt, E2E_WITH_HOOK, rootfs, vol, rovol,
                                             E2E_SH("stat -c %u / /rovol/f; "
                                                    "stat -c %t:%T /proc/keys /proc/timer_list; "
                                                    "cat /proc/keys /proc/timer_list | wc -c; "
                                                    "touch /x; touch /rovol/x; "
                                                    "echo x > /proc/sys/kernel/hostname"));
        e2e_expect_fail_with(r, "/proc/sys/kernel/hostname: Read-only file system");
        cr_assert_str_eq(r->out, "0\n0\n1:3\n1:3\n0\n", "%s", e2e_describe(r));
        e2e_expect_err_has(r, "touch: /x: Read-only file system");
        e2e_expect_err_has(r, "/rovol/x: Read-only file system");
        e2e_expect_absent(rootfs, "x");
        e2e_expect_absent(rovol, "x");
}

E2E_TEST(hook_bundle, read_only_root_ro_volume_masks_and_read_only_paths_are_kept_runc)
{
        flags_and_masks_are_kept(E2E_RUNC);
}

E2E_TEST(hook_bundle, read_only_root_ro_volume_masks_and_read_only_paths_are_kept_crun)
{
        flags_and_masks_are_kept(E2E_CRUN);
}

/* ---- the host ------------------------------------------------------------------------ */

static void host_mounts_are_untouched(enum e2e_runtime rt)
{
        const char *before = e2e_host_mounts();
        const char *rootfs = e2e_make_disk_rootfs();
        const char *vol = e2e_make_volume("vol"), *rovol = e2e_make_volume("rovol");

        struct e2e_result *r = run_read_only(rt, E2E_WITH_HOOK, rootfs, vol, rovol,
                                             E2E_SH("stat -c %u / /vol/f"));
        e2e_expect_out(r, "0\n0\n");
        e2e_expect_host_mounts(before);
}

E2E_TEST(hook_bundle, host_mount_table_is_the_same_after_a_hook_run_runc)
{
        host_mounts_are_untouched(E2E_RUNC);
}

E2E_TEST(hook_bundle, host_mount_table_is_the_same_after_a_hook_run_crun)
{
        host_mounts_are_untouched(E2E_CRUN);
}

/* ---- failures ------------------------------------------------------------------ */

/* An overlay mount cannot be idmapped (only its layers can): a root-owned
 * overlay rootfs that needs a mapping is made anew on idmapped layers.  The
 * container sees "/" owned by 0, what its root writes lands in the upper
 * dir owned by 0 on disk, and the lower layer does not change. */
static void overlay_rootfs_is_rebuilt_on_idmapped_layers(enum e2e_runtime rt)
{
        const char *base = e2e_disk_dir();
        const char *lower = e2e_strf("%s/ovl-lower", base), *upper = e2e_strf("%s/ovl-upper", base);
        const char *work = e2e_strf("%s/ovl-work", base), *merged = e2e_strf("%s/ovl-merged", base);

        e2e_make_rootfs(lower);
        e2e_mkdirs(upper, 0755);
        e2e_mkdirs(work, 0755);
        e2e_mkdirs(merged, 0755);
        cr_assert_eq(mount("overlay", merged, "overlay", 0,
                           e2e_strf("lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work)), 0);

        struct e2e_result *r = e2e_bundle_run(&(struct e2e_bundle){
                .runtime = rt, .hook = E2E_WITH_HOOK, .rootfs = merged,
                .args = E2E_SH("stat -c %u /; touch /made-inside && echo wrote"),
        });
        umount2(merged, MNT_DETACH);
        e2e_expect_out(r, "0\nwrote\n");
        e2e_expect_owner(upper, "made-inside", 0);
        e2e_expect_absent(lower, "made-inside");
}

E2E_TEST(hook_bundle, overlay_rootfs_is_rebuilt_on_idmapped_layers_runc)
{
        overlay_rootfs_is_rebuilt_on_idmapped_layers(E2E_RUNC);
}

E2E_TEST(hook_bundle, overlay_rootfs_is_rebuilt_on_idmapped_layers_crun)
{
        overlay_rootfs_is_rebuilt_on_idmapped_layers(E2E_CRUN);
}

/* ---- mappings of a mount's own (runtime-spec 1.1) ------------------------------- */

/* A volume with uidMappings/gidMappings of its own gets a user namespace of
 * its own from the traced fork: files owned by 1000 on disk, mapped
 * 1000:100000:65536, show as 0 inside, and what root makes there is owned by
 * 1000 on disk. */
static void volume_with_its_own_mappings_uses_them(enum e2e_runtime rt)
{
        const char *rootfs = e2e_make_disk_rootfs();
        const char *vol = e2e_make_volume("vol");
        e2e_shift_tree(vol, 1000);

        const struct e2e_mount mounts[] = {
                { "/vol", "bind", vol, E2E_ARGV("rbind", "rw"), .mapping = "1000:100000:65536" },
        };
        struct e2e_result *r = bundle(rt, E2E_WITH_HOOK, rootfs, mounts, 1, E2E_SHOW_AND_WRITE_VOL);
        e2e_expect_ok(r);
        const char *mountinfo = e2e_expect_out_prefix(r, "0\n");
        struct e2e_mount_view *v = e2e_mount_view_parse(mountinfo);
        cr_assert(e2e_mount_view_only(v, "/vol", mountinfo)->idmapped, "%s", mountinfo);
        cr_assert_eq(e2e_owner(e2e_strf("%s/new", vol)), 1000, "%s", mountinfo);
}

E2E_TEST(hook_bundle, volume_with_its_own_mappings_uses_them_runc)
{
        volume_with_its_own_mappings_uses_them(E2E_RUNC);
}

E2E_TEST(hook_bundle, volume_with_its_own_mappings_uses_them_crun)
{
        volume_with_its_own_mappings_uses_them(E2E_CRUN);
}

/* ---- the prestart stage ---------------------------------------------------------- */

/* runc and crun run prestart hooks at the same point as createRuntime ones
 * (podman 5 turns prestart into createRuntime): the hook works at either. */
static void prestart_stage_works_as_createruntime(enum e2e_runtime rt)
{
        const char *rootfs = e2e_make_disk_rootfs();
        struct e2e_result *r = e2e_bundle_run(&(struct e2e_bundle){
                .runtime = rt, .hook = E2E_WITH_HOOK, .rootfs = rootfs, .hook_stage = "prestart",
                .args = E2E_SH("stat -c %u /; touch /made-inside && stat -c %u /made-inside"),
        });

        e2e_expect_ok(r);
        cr_assert_str_eq(r->out, "0\n0\n", "%s", e2e_describe(r));
        cr_assert_eq(e2e_owner(e2e_strf("%s/made-inside", rootfs)), 0);
}

E2E_TEST(hook_bundle, prestart_stage_works_as_createruntime_runc)
{
        prestart_stage_works_as_createruntime(E2E_RUNC);
}

E2E_TEST(hook_bundle, prestart_stage_works_as_createruntime_crun)
{
        prestart_stage_works_as_createruntime(E2E_CRUN);
}
