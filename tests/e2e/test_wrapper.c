/* oci-idmap-runtime in front of runc 1.1.5, runc 1.3.6, crun 1.8.1 and
 * crun 1.27.1, on bundles and under podman.
 *
 * The wrapper is named as the runtime (the binary the test runs, or
 * podman's --runtime); OCI_IDMAP_RUNTIME names the real one.  runc 1.3.6
 * and crun 1.27.1 come from $OIH_RUNTIMES_DIR (CI sets it to
 * ../shared/runtimes); a test that needs them fails when it is unset.
 *
 * What must hold: a user-namespaced container on a root-owned rootfs sees
 * `/` owned by 0 and its writes land as 0 on disk; its mount table has every
 * flag and mask it has without the wrapper; the host's mount table is the
 * same after; nothing keeps running; every other command reaches the real
 * runtime as it was given.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib_e2e.h"
#include "tests/support/oci_bundle.h"

enum rt { RUNC_1_1, RUNC_1_3, CRUN_1_8, CRUN_1_27 };

static const char *rt_label(enum rt rt)
{
        static const char *const labels[] = { "runc-1.1.5", "runc-1.3.6", "crun-1.8.1", "crun-1.27.1" };
        return labels[rt];
}

/* The real runtime's path.  Debian's are looked up in PATH as the wrapper
 * would; the current ones must be where $OIH_RUNTIMES_DIR says. */
static const char *rt_path(enum rt rt)
{
        if (rt == RUNC_1_1 || rt == CRUN_1_8) {
                const char *name = rt == RUNC_1_1 ? "runc" : "crun";
                struct e2e_result *r = e2e_run(E2E_SH(e2e_strf("command -v %s", name)));
                cr_assert(r->status == 0 && r->out[0] == '/',
                          "%s is not installed (.ci/setup-host installs it): %s", name,
                          e2e_describe(r));
                r->out[strcspn(r->out, "\n")] = '\0';
                return r->out;
        }
        const char *dir = getenv("OIH_RUNTIMES_DIR");
        cr_assert(dir && *dir, "OIH_RUNTIMES_DIR is not set: it names the directory holding "
                               "runc-1.3.6 and crun-1.27.1 (CI sets it to ../shared/runtimes)");
        const char *path = e2e_strf("%s/%s", dir, rt_label(rt));
        cr_assert_eq(access(path, X_OK), 0, "%s: %s (OIH_RUNTIMES_DIR=%s)", path, strerror(errno),
                     dir);
        return path;
}

/* ---- bundles run with and without the wrapper ------------------------------- */

struct wrun {
        enum rt rt;
        bool direct;                    /* the real runtime, no wrapper */
        const char *rootfs;
        bool readonly_root;
        const struct bundle_mount *mounts;
        size_t n_mounts;
        const char *const *annotations;
        const char *const *args;
};

static unsigned seq;

/* The cgroup lib_e2e's teardown removes: /<prefix>-<test pid>/... */
static const char *cgroups_path(const char *id)
{
        return e2e_strf("/oci-idmap-e2e-%d/%s", getpid(), id);
}

static const char *state_dir(enum rt rt)
{
        return e2e_strf("%s/%s-state", e2e_work_dir(), rt_label(rt));
}

static const char *write_bundle(const struct wrun *w, const char *id)
{
        const char *bundle = e2e_strf("%s/wbundles/%s", e2e_work_dir(), id);
        const struct bundle_config c = {
                .rootfs = w->rootfs,
                .readonly_root = w->readonly_root,
                .args = w->args,
                .hostname = "e2e",
                .host_base = E2E_HOST_BASE,
                .mounts = w->mounts,
                .n_mounts = w->n_mounts,
                .annotations = w->annotations,
                .cgroups_path = cgroups_path(id),
        };
        struct err e = { 0 };

        e2e_mkdirs(bundle, 0755);
        cr_assert_eq(bundle_write_config(e2e_strf("%s/config.json", bundle), &c, &e), 0, "%s", e.msg);
        return bundle;
}

/* `RT --root S run --bundle B ID` through the wrapper (or directly), then
 * always `delete --force` with the real runtime. */
static struct e2e_result *wrun(const struct wrun *w)
{
        const char *id = e2e_strf("w%d-%u", getpid(), ++seq);
        const char *bundle = write_bundle(w, id);
        const char *real = rt_path(w->rt);

        cr_assert_eq(setenv("OCI_IDMAP_RUNTIME", real, 1), 0);
        struct e2e_result *r = e2e_run(E2E_ARGV(w->direct ? real : WRAPPER_BIN, "--root",
                                                state_dir(w->rt), "run", "--bundle", bundle, id));
        e2e_run(E2E_ARGV(real, "--root", state_dir(w->rt), "delete", "--force", id));
        return r;
}

/* ---- the rootfs ------------------------------------------------------------- */

static void rootfs_is_owned_by_0_and_root_writes_as_0(enum rt rt)
{
        const char *before = e2e_host_mounts();
        const char *rootfs = e2e_make_disk_rootfs();
        struct e2e_result *r = wrun(&(struct wrun){
                .rt = rt, .rootfs = rootfs,
                .args = E2E_SH("stat -c %u / /bin/busybox /etc/passwd; "
                               "touch /made-inside && stat -c %u /made-inside; "
                               "grep -c idmapped /proc/self/mountinfo"),
        });
        e2e_expect_out(r, "0\n0\n0\n0\n1\n");
        e2e_expect_owner(rootfs, "made-inside", 0);
        e2e_expect_host_mounts(before);
}

E2E_TEST(wrapper, rootfs_shows_owner_0_and_writes_land_as_0_runc_1_1)
{
        rootfs_is_owned_by_0_and_root_writes_as_0(RUNC_1_1);
}

E2E_TEST(wrapper, rootfs_shows_owner_0_and_writes_land_as_0_runc_1_3)
{
        rootfs_is_owned_by_0_and_root_writes_as_0(RUNC_1_3);
}

E2E_TEST(wrapper, rootfs_shows_owner_0_and_writes_land_as_0_crun_1_8)
{
        rootfs_is_owned_by_0_and_root_writes_as_0(CRUN_1_8);
}

E2E_TEST(wrapper, rootfs_shows_owner_0_and_writes_land_as_0_crun_1_27)
{
        rootfs_is_owned_by_0_and_root_writes_as_0(CRUN_1_27);
}
