/* The hook finds the config.json the runtime used, where the state's
 * "bundle" does not lead to it:
 *   - crun 1.8.1, with a user namespace and linux.devices, leaves a mount
 *     namespace of its own while it makes the devices, which moves its cwd
 *     to "/"; the state it hands the hooks then says "bundle":"/";
 *   - `crun run --config FILE` reads FILE, not BUNDLE/config.json.
 * The hook then reads the runtime's command line (it is the hook's parent)
 * and checks that the container init is that runtime's child.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib_e2e.h"
#include "../support/oci_bundle.h"

/* ---- podman --device under crun 1.8.1 --------------------------------------- */

/* crun passes a hook's stderr on only to the file this annotation names. */
static const char *hook_stderr(void)
{
        return e2e_strf("%s/hook.stderr", e2e_work_dir());
}

static const char *hook_said(void)
{
        return access(hook_stderr(), F_OK) == 0 ? e2e_read_file(hook_stderr()) : "";
}

E2E_TEST(config_found, podman_device_under_crun_shows_owner_0_with_the_hook)
{
        const char *rootfs = e2e_make_disk_rootfs();
        struct e2e_result *r = e2e_podman_run(&(struct e2e_podman){
                .runtime = E2E_CRUN,
                .hook = E2E_WITH_HOOK,
                .flags = E2E_ARGV(E2E_USERNS_FLAGS, "--device", "/dev/fuse", "--annotation",
                                  e2e_strf("run.oci.hooks.stderr=%s", hook_stderr())),
                .rootfs = rootfs,
                .cmd = E2E_SH("stat -c %u /; touch /made-inside; test -c /dev/fuse && echo fuse"),
        });

        cr_assert_eq(r->status, 0, "%s\nthe hook said: %s", e2e_describe(r), hook_said());
        e2e_expect_out(r, "0\nfuse\n");
        e2e_expect_owner(rootfs, "made-inside", 0);
}

/* Without the hook the same container runs, and sees its root as nobody's:
 * the case above is the hook's doing. */
E2E_TEST(config_found, podman_device_under_crun_without_the_hook_sees_65534)
{
        const char *rootfs = e2e_make_disk_rootfs();
        struct e2e_result *r = e2e_podman_run(&(struct e2e_podman){
                .runtime = E2E_CRUN,
                .hook = E2E_WITHOUT_HOOK,
                .flags = E2E_ARGV(E2E_USERNS_FLAGS, "--device", "/dev/fuse"),
                .rootfs = rootfs,
                .cmd = E2E_SH("stat -c %u /"),
        });

        e2e_expect_out(r, "65534\n");
}
