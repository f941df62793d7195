/* The problem, measured without the hook, and the test set-up itself.
 *
 * These pass today: they pin down what podman 4.3.1, runc 1.1.5 and crun
 * 1.8.1 do here without the hook (the failures the hook exists to fix), and
 * prove that the e2e machinery sees what the hook tests will rely on: the
 * masks and read-only flags are there to be lost, the mount-view comparison
 * and the stray-process check can fail, and nothing leaks to the host.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib_e2e.h"

/* ---- the tools --------------------------------------------------------------- */

static void expect_version(const char *tool, const char *version)
{
        struct e2e_result *r = e2e_run(E2E_ARGV(tool, "--version"));
        e2e_expect_ok(r);
        cr_assert(strstr(r->out, version), "%s is not %s: the tests pin down its behaviour:\n%s",
                  tool, version, e2e_describe(r));
}

E2E_TEST(baseline, tools_are_the_versions_whose_behaviour_the_tests_pin_down)
{
        expect_version("runc", "1.1.5");
        expect_version("crun", "1.8.1");
        expect_version("podman", "4.3.1");
        cr_assert_eq(access("/bin/busybox", X_OK), 0, "/bin/busybox (busybox-static) is missing");
        cr_assert_eq(access(HOOK_BIN, X_OK), 0, "the hook was not built: %s", HOOK_BIN);
}

/* ---- without the hook, a user-namespaced container cannot use its rootfs ---- */

/* What a container sees of a rootfs owned by 0 on disk under a user
 * namespace: ids that do not map show as 65534, so root cannot write. */
#define ID_AND_ROOTFS_OWNER_THEN_WRITE E2E_SH("id -u; stat -c %u / /bin/busybox; touch /x")

static void expect_rootfs_seen_as_nobody(const struct e2e_result *r, const char *rootfs)
{
        e2e_expect_fail_with(r, "Permission denied");
        cr_assert_str_eq(r->out, "0\n65534\n65534\n", "%s", e2e_describe(r));
        e2e_expect_absent(rootfs, "x");
}

static void rootfs_is_nobody_via_podman(enum e2e_runtime rt)
{
        const char *rootfs = e2e_make_disk_rootfs();
        struct e2e_result *r = e2e_podman_run(&(struct e2e_podman){
                .runtime = rt, .hook = E2E_WITHOUT_HOOK,
                .flags = E2E_ARGV(E2E_USERNS_FLAGS),
                .rootfs = rootfs,
                .cmd = ID_AND_ROOTFS_OWNER_THEN_WRITE,
        });
        expect_rootfs_seen_as_nobody(r, rootfs);
}

E2E_TEST(baseline, podman_userns_container_sees_rootfs_as_nobody_and_cannot_write_runc)
{
        rootfs_is_nobody_via_podman(E2E_RUNC);
}

E2E_TEST(baseline, podman_userns_container_sees_rootfs_as_nobody_and_cannot_write_crun)
{
        rootfs_is_nobody_via_podman(E2E_CRUN);
}

static void rootfs_is_nobody_on_a_bundle(enum e2e_runtime rt)
{
        const char *rootfs = e2e_make_disk_rootfs();
        struct e2e_result *r = e2e_bundle_run(&(struct e2e_bundle){
                .runtime = rt, .hook = E2E_WITHOUT_HOOK,
                .rootfs = rootfs,
                .args = ID_AND_ROOTFS_OWNER_THEN_WRITE,
        });
        expect_rootfs_seen_as_nobody(r, rootfs);
}

E2E_TEST(baseline, bundle_userns_container_sees_rootfs_as_nobody_and_cannot_write_runc)
{
        rootfs_is_nobody_on_a_bundle(E2E_RUNC);
}

E2E_TEST(baseline, bundle_userns_container_sees_rootfs_as_nobody_and_cannot_write_crun)
{
        rootfs_is_nobody_on_a_bundle(E2E_CRUN);
}

/* ---- the idmap volume option: crun honours it, runc ignores it ---------------- */

static struct e2e_result *run_with_idmap_volume(enum e2e_runtime rt, const char **vol)
{
        const char *rootfs = e2e_make_disk_rootfs();
        *vol = e2e_make_volume("vol");
        return e2e_podman_run(&(struct e2e_podman){
                .runtime = rt, .hook = E2E_WITHOUT_HOOK,
                .flags = E2E_ARGV(E2E_USERNS_FLAGS, "-v", e2e_strf("%s:/vol:idmap", *vol)),
                .rootfs = rootfs,
                .cmd = E2E_SH("stat -c %u /vol/f; cat /proc/self/mountinfo; touch /vol/new"),
        });
}

E2E_TEST(baseline, crun_idmaps_an_idmap_volume_itself)
{
        const char *vol;
        struct e2e_result *r = run_with_idmap_volume(E2E_CRUN, &vol);

        e2e_expect_volume_idmapped_once(r, vol);
}

E2E_TEST(baseline, runc_ignores_the_idmap_volume_option)
{
        const char *vol;
        struct e2e_result *r = run_with_idmap_volume(E2E_RUNC, &vol);

        e2e_expect_fail_with(r, "Permission denied");
        e2e_expect_idmapped(e2e_expect_out_prefix(r, "65534\n"), "/vol", false);
        e2e_expect_absent(vol, "new");
}

/* ---- what the hook must keep: the view without it ------------------------------ */

/* The flags and masks a podman --read-only container with an :ro volume
 * gets, which a hook that replaces mounts could lose (HOST.md, "The trap"). */
static void expect_flags_and_masks(const char *mountinfo)
{
        struct e2e_mount_view *v = e2e_mount_view_parse(mountinfo);
        static const char *const masked_by_null[] = { "/proc/keys", "/proc/timer_list" };

        e2e_expect_mount_flags(v, "/", E2E_RO, mountinfo);
        e2e_expect_mount_flags(v, "/rovol", E2E_RO, mountinfo);
        e2e_expect_mount_flags(v, "/proc/sys", E2E_RO, mountinfo);
        e2e_expect_mount_flags(v, "/sys", E2E_RO | E2E_NOSUID | E2E_NODEV | E2E_NOEXEC, mountinfo);
        e2e_expect_mount_flags(v, "/sys/fs/cgroup/cpu", E2E_RO, mountinfo);
        e2e_expect_mount_flags(v, "/etc/hosts", E2E_RO | E2E_NOSUID | E2E_NODEV | E2E_NOEXEC,
                               mountinfo);
        for (size_t i = 0; i < 2; i++)
                e2e_mount_view_only(v, masked_by_null[i], mountinfo);
        if (access("/proc/acpi", F_OK) == 0)
                cr_assert_str_eq(e2e_mount_view_only(v, "/proc/acpi", mountinfo)->fstype, "tmpfs");
}

static void podman_view_has_flags_and_masks(enum e2e_runtime rt)
{
        const char *rootfs = e2e_make_disk_rootfs();
        const char *vol = e2e_make_volume("vol"), *rovol = e2e_make_volume("rovol");
        struct e2e_result *r = e2e_podman_run(&(struct e2e_podman){
                .runtime = rt, .hook = E2E_WITHOUT_HOOK,
                .flags = E2E_ARGV(E2E_USERNS_FLAGS, "--read-only",
                                  "-v", e2e_strf("%s:/vol:idmap", vol),
                                  "-v", e2e_strf("%s:/rovol:ro", rovol)),
                .rootfs = rootfs,
                .cmd = E2E_ARGV("cat", "/proc/self/mountinfo"),
        });
        e2e_expect_ok(r);
        expect_flags_and_masks(r->out);
}

E2E_TEST(baseline, podman_view_without_hook_has_the_flags_and_masks_to_keep_runc)
{
        podman_view_has_flags_and_masks(E2E_RUNC);
}

E2E_TEST(baseline, podman_view_without_hook_has_the_flags_and_masks_to_keep_crun)
{
        podman_view_has_flags_and_masks(E2E_CRUN);
}

/* /proc/timer_list is a root-only file; masked, it is /dev/null. */
static void masks_hide_timer_list(enum e2e_runtime rt)
{
        const char *rootfs = e2e_make_disk_rootfs();
        const char *script = "stat -c %F /proc/timer_list; cat /proc/timer_list | wc -c";
        struct e2e_result *masked = e2e_bundle_run(&(struct e2e_bundle){
                .runtime = rt, .rootfs = rootfs, .args = E2E_SH(script),
        });
        struct e2e_result *unmasked = e2e_bundle_run(&(struct e2e_bundle){
                .runtime = rt, .rootfs = rootfs, .no_masks = true, .args = E2E_SH(script),
        });

        e2e_expect_out(masked, "character special file\n0\n");
        e2e_expect_ok(unmasked);
        cr_assert(strncmp(unmasked->out, "regular", 7) == 0,
                  "unmasked, /proc/timer_list should be the kernel's file:\n%s",
                  e2e_describe(unmasked));
}

E2E_TEST(baseline, timer_list_is_dev_null_when_masked_and_not_otherwise_runc)
{
        masks_hide_timer_list(E2E_RUNC);
}

E2E_TEST(baseline, timer_list_is_dev_null_when_masked_and_not_otherwise_crun)
{
        masks_hide_timer_list(E2E_CRUN);
}

static void bundle_view_has_flags_and_masks(enum e2e_runtime rt)
{
        const char *rootfs = e2e_make_disk_rootfs();
        const char *rovol = e2e_make_volume("rovol");
        struct e2e_mount mounts[] = {
                { "/rovol", "bind", rovol, E2E_ARGV("rbind", "ro") },
        };
        struct e2e_result *r = e2e_bundle_run(&(struct e2e_bundle){
                .runtime = rt, .rootfs = rootfs, .readonly_root = true,
                .mounts = mounts, .n_mounts = 1,
                .args = E2E_SH("cat /proc/self/mountinfo; touch /x; touch /rovol/x; "
                               "echo x > /proc/sys/kernel/hostname"),
        });
        e2e_expect_fail_with(r, "/proc/sys/kernel/hostname: Read-only file system");
        e2e_expect_err_has(r, "touch: /x: Read-only file system");
        e2e_expect_err_has(r, "/rovol/x: Read-only file system");

        const char *mountinfo = r->out;
        struct e2e_mount_view *v = e2e_mount_view_parse(mountinfo);
        e2e_expect_mount_flags(v, "/", E2E_RO, mountinfo);
        e2e_expect_mount_flags(v, "/rovol", E2E_RO, mountinfo);
        e2e_expect_mount_flags(v, "/proc/sys", E2E_RO, mountinfo);
        e2e_mount_view_only(v, "/proc/keys", mountinfo);
}

E2E_TEST(baseline, bundle_view_without_hook_has_the_flags_and_masks_to_keep_runc)
{
        bundle_view_has_flags_and_masks(E2E_RUNC);
}

E2E_TEST(baseline, bundle_view_without_hook_has_the_flags_and_masks_to_keep_crun)
{
        bundle_view_has_flags_and_masks(E2E_CRUN);
}

/* ---- the checks themselves can fail ------------------------------------------- */

/* A container's view, trimmed: two mounts at /dev/shm, like podman's. */
static const char view_text[] =
        "101 100 254:0 / / ro,relatime - ext4 /dev/vda rw\n"
        "102 101 0:45 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n"
        "103 102 0:6 /null /proc/keys rw,nosuid,noexec,relatime master:2 - devtmpfs udev rw\n"
        "104 101 0:43 / /sys ro,nosuid,nodev,noexec,relatime - sysfs sysfs rw\n"
        "105 101 0:40 / /dev/shm rw,nosuid,nodev,noexec,relatime - tmpfs shm rw\n"
        "106 105 0:41 / /dev/shm ro,nosuid,nodev,noexec,relatime - tmpfs shm rw\n"
        "107 101 254:0 /srv/my\\040vol /my\\040vol rw,relatime - ext4 /dev/vda rw\n";

E2E_TEST(baseline, mount_view_diff_reports_lost_flags_and_missing_mounts)
{
        struct e2e_mount_view *a = e2e_mount_view_parse(view_text);
        struct e2e_mount_view *b = e2e_mount_view_parse(view_text);
        const struct e2e_view_mount *shm[4];

        cr_assert_eq(a->n, 7);
        cr_assert_eq(e2e_mount_view_find(a, "/dev/shm", shm, 4), 2);
        cr_assert_eq(shm[1]->flags, E2E_RO | E2E_NOSUID | E2E_NODEV | E2E_NOEXEC);
        cr_assert_str_eq(a->m[2].fstype, "devtmpfs");
        cr_assert_null(e2e_mount_view_diff(a, b));

        /* More flags and an idmap with the hook are fine. */
        b->m[0].flags |= E2E_NOSUID;
        b->m[0].idmapped = true;
        cr_assert_null(e2e_mount_view_diff(a, b));

        b->m[3].flags &= ~E2E_RO;                       /* /sys loses ro */
        b->m[5].flags &= ~E2E_NOEXEC;                   /* the upper /dev/shm loses noexec */
        b->m[2].point = "/proc/keys-not";               /* the mask is gone */
        char *diff = e2e_mount_view_diff(a, b);
        cr_assert_not_null(diff);
        cr_assert(strstr(diff, "/sys: lost ro "), "%s", diff);
        cr_assert(strstr(diff, "/dev/shm: lost noexec "), "%s", diff);
        cr_assert(strstr(diff, "/proc/keys: 1 mount(s) without the hook, 0 with it"), "%s", diff);
        cr_assert(strstr(diff, "/proc/keys-not: only with the hook"), "%s", diff);
}

E2E_TEST(baseline, a_process_left_behind_is_seen_as_a_stray)
{
        cr_assert_null(e2e_living_descendants());

        /* The shell exits at once; its orphan comes to us as subreaper. */
        e2e_expect_ok(e2e_run(E2E_SH("sleep 60 </dev/null >/dev/null 2>&1 & exit 0")));
        char *left = e2e_living_descendants();
        cr_assert_not_null(left, "the orphaned sleep was not found");
        cr_assert(strstr(left, "sleep 60"), "%s", left);

        cr_assert_eq(kill(atoi(left), SIGKILL), 0);
}

static void podman_and_bundle_leave_the_host_mounts_alone(enum e2e_runtime rt)
{
        const char *before = e2e_host_mounts();
        const char *rootfs = e2e_make_disk_rootfs();
        const char *vol = e2e_make_volume("vol");

        e2e_expect_ok(e2e_podman_run(&(struct e2e_podman){
                .runtime = rt,
                .flags = E2E_ARGV(E2E_USERNS_FLAGS, "--read-only",
                                  "-v", e2e_strf("%s:/vol:idmap", vol)),
                .rootfs = rootfs,
                .cmd = E2E_ARGV("true"),
        }));
        struct e2e_mount mounts[] = { { "/vol", "bind", vol, E2E_ARGV("rbind", "idmap") } };
        e2e_expect_ok(e2e_bundle_run(&(struct e2e_bundle){
                .runtime = rt, .rootfs = rootfs, .mounts = mounts, .n_mounts = 1,
                .args = E2E_ARGV("true"),
        }));
        e2e_expect_host_mounts(before);
}

E2E_TEST(baseline, podman_and_bundle_runs_leave_the_host_mount_table_alone_runc)
{
        podman_and_bundle_leave_the_host_mounts_alone(E2E_RUNC);
}

E2E_TEST(baseline, podman_and_bundle_runs_leave_the_host_mount_table_alone_crun)
{
        podman_and_bundle_leave_the_host_mounts_alone(E2E_CRUN);
}
