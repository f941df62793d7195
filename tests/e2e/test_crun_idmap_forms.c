/* crun's idmap=uids=...;gids=... volume option in the forms crun takes
 * beyond the plain one: '@' (the middle value is a container id, relative to
 * the container's own mapping) and a '+' before a number (strtol()'s sign,
 * which changes nothing).  crun 1.8.1 applies the option itself; runc 1.1.5
 * ignores it without a word, so there the hook must apply it, and both must
 * end in the same view.
 *
 * The volume holds a file owned 0:0 on disk.  Under
 * "uids=@0-5-10;gids=+0-100007-10", with the container mapped
 * 0:100000:65536, on-disk uid 0 shows as host uid 100005 (container 5) and
 * gid 0 as host gid 100007 (container 7): the file shows as 5:7 inside.
 */
#include <criterion/criterion.h>

#include "lib_e2e.h"

#define FORMS "idmap=uids=@0-5-10;gids=+0-100007-10"

static struct e2e_result *stat_volume(enum e2e_runtime rt, enum e2e_hook hook)
{
        const char *vol = e2e_make_volume("vol");
        const struct e2e_mount mounts[] = {
                { "/vol", "bind", vol, E2E_ARGV("rbind", "rw", FORMS) },
        };

        return e2e_bundle_run(&(struct e2e_bundle){
                .runtime = rt, .hook = hook, .rootfs = e2e_make_disk_rootfs(),
                .mounts = mounts, .n_mounts = 1,
                .args = E2E_SH("stat -c %u:%g /vol/f; cat /proc/self/mountinfo"),
        });
}

static void volume_shows_5_7_idmapped_once(enum e2e_runtime rt)
{
        struct e2e_result *r = stat_volume(rt, E2E_WITH_HOOK);
        const char *mountinfo;

        e2e_expect_ok(r);
        mountinfo = e2e_expect_out_prefix(r, "5:7\n");
        e2e_expect_idmapped(mountinfo, "/vol", true);
}

E2E_TEST(crun_idmap_forms, relative_and_plus_forms_are_applied_by_the_hook_runc)
{
        volume_shows_5_7_idmapped_once(E2E_RUNC);
}

E2E_TEST(crun_idmap_forms, relative_and_plus_forms_are_left_to_crun_and_seen_alike_crun)
{
        volume_shows_5_7_idmapped_once(E2E_CRUN);
}

/* What the runc case would be without the hook: the option is ignored. */
E2E_TEST(crun_idmap_forms, runc_alone_ignores_the_option)
{
        struct e2e_result *r = stat_volume(E2E_RUNC, E2E_WITHOUT_HOOK);

        e2e_expect_ok(r);
        e2e_expect_out_prefix(r, "65534:65534\n");
}
