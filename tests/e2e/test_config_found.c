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
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
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

/* ---- crun run --config FILE ---------------------------------------------------- */

/* Writes the config of a container on `rootfs`, with the hook and the
 * annotation that keeps its stderr, to `path`. */
static void write_config(const char *path, const char *rootfs, const char *id, bool hook,
                         unsigned host_base)
{
        const struct bundle_config c = {
                .rootfs = rootfs,
                .args = E2E_SH("stat -c %u /; touch /made-inside"),
                .hostname = "e2e",
                .host_base = host_base,
                .annotations = E2E_ARGV("run.oci.hooks.stderr", hook_stderr()),
                .hook = hook ? HOOK_BIN : NULL,
                .cgroups_path = e2e_strf("/oci-idmap-e2e-%d/%s", getpid(), id),
        };
        struct err e = { 0 };

        cr_assert_eq(bundle_write_config(path, &c, &e), 0, "%s", e.msg);
}

/* Runs `crun run [--bundle B] --config CONFIG ID` from `cwd`, and deletes
 * the container whatever happened. */
static struct e2e_result *crun_run_config(const char *cwd, const char *bundle, const char *config,
                                          const char *id)
{
        const char *state = e2e_strf("%s/crun-state", e2e_work_dir());
        const char *script = bundle
                ? e2e_strf("cd '%s' && exec crun --root '%s' run --bundle '%s' --config '%s' '%s'",
                           cwd, state, bundle, config, id)
                : e2e_strf("cd '%s' && exec crun --root '%s' run --config '%s' '%s'", cwd, state,
                           config, id);
        struct e2e_result *r = e2e_run(E2E_SH(script));

        e2e_run(E2E_ARGV("crun", "--root", state, "delete", "--force", id));
        return r;
}

static void expect_root_owned_by_0(const struct e2e_result *r, const char *rootfs)
{
        cr_assert_eq(r->status, 0, "%s\nthe hook said: %s", e2e_describe(r), hook_said());
        e2e_expect_out(r, "0\n");
        e2e_expect_owner(rootfs, "made-inside", 0);
}

/* In the bundle, with no config.json there at all: crun reads other.json
 * from its cwd, the bundle. */
E2E_TEST(config_found, crun_run_config_other_json_in_the_bundle_is_the_one_read)
{
        const char *rootfs = e2e_make_disk_rootfs();
        const char *bundle = e2e_strf("%s/bundle-other", e2e_work_dir());
        const char *id = e2e_strf("cfg-%d-a", getpid());

        e2e_mkdirs(bundle, 0755);
        write_config(e2e_strf("%s/other.json", bundle), rootfs, id, true, E2E_HOST_BASE);
        expect_root_owned_by_0(crun_run_config(bundle, NULL, "other.json", id), rootfs);
}

/* An absolute --config from elsewhere, with a config.json in the bundle
 * that is not the one read: it asks for no hook and maps the container to
 * other ids, so a hook that read it would leave / owned by 65534. */
E2E_TEST(config_found, crun_run_config_elsewhere_wins_over_the_bundles_config_json)
{
        const char *rootfs = e2e_make_disk_rootfs();
        const char *bundle = e2e_strf("%s/bundle-decoy", e2e_work_dir());
        const char *other = e2e_strf("%s/elsewhere/other.json", e2e_work_dir());
        const char *id = e2e_strf("cfg-%d-b", getpid());

        e2e_mkdirs(bundle, 0755);
        e2e_mkdirs(e2e_strf("%s/elsewhere", e2e_work_dir()), 0755);
        write_config(e2e_strf("%s/config.json", bundle), rootfs, id, false, 200000);
        write_config(other, rootfs, id, true, E2E_HOST_BASE);
        expect_root_owned_by_0(crun_run_config("/", bundle, other, id), rootfs);
}

/* ---- a config.json that is a FIFO ------------------------------------------------ */

/* runc reads config.json from a FIFO as it reads any file; the hook, which
 * comes after, would wait for a writer for ever.  It must refuse at once,
 * naming the path and what it is. */
E2E_TEST(config_found, config_json_as_a_fifo_is_refused_at_once_runc)
{
        const char *rootfs = e2e_make_disk_rootfs();
        const char *bundle = e2e_strf("%s/bundle-fifo", e2e_work_dir());
        const char *fifo = e2e_strf("%s/config.json", bundle);
        const char *real = e2e_strf("%s/real.json", e2e_work_dir());
        const char *id = e2e_strf("cfg-%d-fifo", getpid());
        const char *state = e2e_strf("%s/runc-state", e2e_work_dir());
        struct e2e_proc writer, runc;
        struct e2e_result *r;

        e2e_mkdirs(bundle, 0755);
        write_config(real, rootfs, id, true, E2E_HOST_BASE);
        cr_assert_eq(mkfifo(fifo, 0600), 0, "mkfifo %s: %m", fifo);
        /* one document for runc; nobody writes after that */
        e2e_start(&writer, E2E_SH(e2e_strf("cat '%s' > '%s'", real, fifo)));
        e2e_start(&runc, E2E_ARGV("runc", "--root", state, "run", "--bundle", bundle, id));
        r = e2e_finish(&runc, 60);
        e2e_finish(&writer, 10);
        e2e_run(E2E_ARGV("runc", "--root", state, "delete", "--force", id));
        cr_assert(!r->timed_out, "runc waited for the hook: %s", e2e_describe(r));
        e2e_expect_fail_with(r, e2e_strf("`%s` is a FIFO, not a regular file", fifo));
}
