/* oci-idmap-runtime on a bundle whose root.path is an overlay (issue 9,
 * item 3), in front of runc 1.1.5, runc 1.3.6, crun 1.8.1 and crun 1.27.1.
 *
 * The overlay is the test's own, mounted in its private mount namespace on
 * layers owned by 0 on disk (lib_overlay.h), with a user namespace
 * 0:100000:65536.  An overlay mount cannot be idmapped; the wrapper makes a
 * new one with the same options on idmapped clones of the same layers and
 * puts it on root.path in its own mount namespace before it execs the
 * runtime (hook/wrapper_overlay.c).
 *
 * What must hold: `/` is owned by 0 inside; what the container's root
 * writes lands in the upper dir owned by 0 on disk; no lower layer changes
 * on disk; the container sees the same files and mounts, with the same
 * restrictions, as without the wrapper (ownership aside); the old overlay's
 * submounts are there; the host's mount table is unchanged and nothing
 * keeps running.  An overlay the wrapper cannot rebuild is refused in one
 * line when asked for, and handed through untouched under auto.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib_e2e.h"
#include "lib_overlay.h"
#include "tests/support/oci_bundle.h"

struct wrun {
        enum e2e_runtime rt;
        bool direct;                    /* the real runtime, no wrapper */
        const char *rootfs;
        bool readonly_root;
        bool hook;                      /* the hook at createRuntime as well */
        const char *const *annotations;
        const char *const *args;
        const struct bundle_mount *mounts;
        size_t n_mounts;
};

static unsigned seq;

static const char *state_dir(enum e2e_runtime rt)
{
        return e2e_strf("%s/%s-state", e2e_work_dir(), e2e_runtime_name(rt));
}

/* `RT --root S run --bundle B ID` through the wrapper (OCI_IDMAP_RUNTIME
 * names the real one) or directly, then always `delete --force` with the
 * real runtime.  The cgroup is under the one e2e_teardown removes. */
static struct e2e_result *wrun(const struct wrun *w)
{
        const char *id = e2e_strf("wo%d-%u", getpid(), ++seq);
        const char *bundle = e2e_strf("%s/wbundles/%s", e2e_work_dir(), id);
        const char *real = e2e_runtime_bin(w->rt);
        const struct bundle_config c = {
                .rootfs = w->rootfs,
                .readonly_root = w->readonly_root,
                .args = w->args,
                .hostname = "e2e",
                .host_base = E2E_HOST_BASE,
                .annotations = w->annotations,
                .hook = w->hook ? HOOK_BIN : NULL,
                .cgroups_path = e2e_strf("/oci-idmap-e2e-%d/%s", getpid(), id),
                .mounts = w->mounts,
                .n_mounts = w->n_mounts,
        };
        struct err e = { 0 };

        e2e_mkdirs(bundle, 0755);
        cr_assert_eq(bundle_write_config(e2e_strf("%s/config.json", bundle), &c, &e), 0, "%s", e.msg);
        return e2e_wrapper_run(w->direct ? real : WRAPPER_BIN, real, state_dir(w->rt), bundle, id);
}

/* ---- writes, whiteouts, a second start ---------------------------------------- */

#define SHOW_LAYERS_AND_WRITE                                                          \
        E2E_SH("stat -c %u:%g / /bin/busybox /stack/top; cat /stack/top; ls /opaque; " \
               "test -e /etc/doomed && echo doomed-shown || echo doomed-hidden; "     \
               "touch /made-inside && echo changed > /stack/top && rm /etc/removable " \
               "&& mkdir /newdir && stat -c %u:%g /made-inside /stack/top /newdir")

#define SECOND_START                                                                   \
        E2E_SH("cat /stack/top; "                                                      \
               "test -e /etc/removable && echo removable-shown || echo removable-hidden; " \
               "stat -c %u:%g /made-inside; touch /second && stat -c %u:%g /second")

static void writes_land_in_upper_owned_by_0(enum e2e_runtime rt)
{
        const char *host_before = e2e_host_mounts();
        struct ovl_layers *l = ovl_make_layers("layers", 3);
        const char *listing = ovl_layers_listing(l);
        struct ovl_rootfs *o = ovl_mount(l->lowerdir, "c", 0);

        /* the problem, shown: without the wrapper root owns nothing */
        struct e2e_result *r = wrun(&(struct wrun){
                .rt = rt, .direct = true, .rootfs = o->merged,
                .args = E2E_SH("stat -c %u /; touch /made-inside"),
        });
        cr_assert_str_eq(r->out, "65534\n", "%s", e2e_describe(r));
        cr_assert_neq(r->status, 0, "%s", e2e_describe(r));
        e2e_expect_absent(o->upper, "made-inside");

        r = wrun(&(struct wrun){ .rt = rt, .rootfs = o->merged, .args = SHOW_LAYERS_AND_WRITE });
        e2e_expect_out(r, "0:0\n0:0\n0:0\n2\nnew\ndoomed-hidden\n0:0\n0:0\n0:0\n");
        cr_assert_str_eq(r->err, "", "%s", e2e_describe(r));
        ovl_expect_upper_owner(o, "made-inside", 0);
        ovl_expect_upper_owner(o, "stack/top", 0);
        ovl_expect_upper_owner(o, "newdir", 0);
        cr_assert_str_eq(e2e_read_file(e2e_strf("%s/stack/top", o->upper)), "changed\n");
        ovl_expect_upper_whiteout(o, "etc/removable");

        /* a second start on the same upper dir, on a fresh overlay mount */
        ovl_remount(o);
        r = wrun(&(struct wrun){ .rt = rt, .rootfs = o->merged, .args = SECOND_START });
        e2e_expect_out(r, "changed\nremovable-hidden\n0:0\n0:0\n");
        ovl_expect_upper_owner(o, "second", 0);

        cr_assert_eq(umount2(o->merged, 0), 0, "the wrapper left a mount on `%s`", o->merged);
        ovl_expect_layers_unchanged(l, listing);
        e2e_expect_host_mounts(host_before);
}

E2E_TEST(wrapper_overlay, root_writes_land_in_upper_owned_by_0_runc_1_1)
{
        writes_land_in_upper_owned_by_0(E2E_RUNC);
}

E2E_TEST(wrapper_overlay, root_writes_land_in_upper_owned_by_0_runc_1_3)
{
        writes_land_in_upper_owned_by_0(E2E_RUNC_CURRENT);
}

E2E_TEST(wrapper_overlay, root_writes_land_in_upper_owned_by_0_crun_1_8)
{
        writes_land_in_upper_owned_by_0(E2E_CRUN);
}

E2E_TEST(wrapper_overlay, root_writes_land_in_upper_owned_by_0_crun_1_27)
{
        writes_land_in_upper_owned_by_0(E2E_CRUN_CURRENT);
}

/* ---- the same view as without the wrapper ------------------------------------- */

/* Both ran: the first line (an owner) is 65534 without the wrapper and 0
 * through it; every other line of the listing, and the mount view, are
 * the same.  The two mountinfo texts are returned for more checks. */
static void expect_same_but_the_owner(const struct e2e_result *without,
                                      const struct e2e_result *with, const char **mi_without,
                                      const char **mi_with)
{
        const char *files_without, *files_with;

        e2e_expect_ok(without);
        e2e_expect_ok(with);
        ovl_split_at_marker(without, &files_without, mi_without);
        ovl_split_at_marker(with, &files_with, mi_with);
        cr_assert(strncmp(files_without, "65534\n", 6) == 0, "%s", e2e_describe(without));
        cr_assert(strncmp(files_with, "0\n", 2) == 0, "%s", e2e_describe(with));
        cr_assert_str_eq(strchr(files_with, '\n'), strchr(files_without, '\n'),
                         "the files differ through the wrapper:\n%s\n%s", e2e_describe(without),
                         e2e_describe(with));
        e2e_expect_same_view(*mi_without, *mi_with);
}

/* Read-only root: the files (names, whiteouts, opaque dirs) and the mounts
 * with their restrictions are the same with and without the wrapper; only
 * the owner differs, and `/` stays read-only. */
static void view_is_kept(enum e2e_runtime rt)
{
        const char *host_before = e2e_host_mounts();
        struct ovl_layers *l = ovl_make_layers("layers", 3);
        const char *listing = ovl_layers_listing(l);
        struct ovl_rootfs *o = ovl_mount(l->lowerdir, "c", 0);
        const char *const *cmd = E2E_SH("stat -c %u /; ls -a /etc /opaque /stack; cat /stack/top; "
                                        "touch /x || echo refused; echo ==; "
                                        "cat /proc/self/mountinfo");
        struct wrun w = { .rt = rt, .rootfs = o->merged, .readonly_root = true, .args = cmd };

        w.direct = true;
        struct e2e_result *without = wrun(&w);
        w.direct = false;
        struct e2e_result *with = wrun(&w);
        const char *mi_without, *mi_with;

        expect_same_but_the_owner(without, with, &mi_without, &mi_with);
        e2e_expect_mount_flags(e2e_mount_view_parse(mi_with), "/", E2E_RO, mi_with);
        e2e_expect_err_has(with, "/x: Read-only file system");
        e2e_expect_absent(o->upper, "x");
        ovl_expect_layers_unchanged(l, listing);
        e2e_expect_host_mounts(host_before);
}

E2E_TEST(wrapper_overlay, view_equals_the_view_without_it_but_for_ownership_runc_1_1)
{
        view_is_kept(E2E_RUNC);
}

E2E_TEST(wrapper_overlay, view_equals_the_view_without_it_but_for_ownership_runc_1_3)
{
        view_is_kept(E2E_RUNC_CURRENT);
}

E2E_TEST(wrapper_overlay, view_equals_the_view_without_it_but_for_ownership_crun_1_8)
{
        view_is_kept(E2E_CRUN);
}

E2E_TEST(wrapper_overlay, view_equals_the_view_without_it_but_for_ownership_crun_1_27)
{
        view_is_kept(E2E_CRUN_CURRENT);
}

/* ---- the wrapper and the hook both ------------------------------------------- */

/* Both installed: the hook finds the overlay the wrapper rebuilt (its layers
 * given as fds, which the kernel shows as `lowerdir+=/`) and must neither
 * break the container nor rebuild it from those paths.  The container sees
 * the image's files and writes land in the upper dir as 0. */
static void wrapper_and_hook(enum e2e_runtime rt)
{
        const char *host_before = e2e_host_mounts();
        struct ovl_layers *l = ovl_make_layers("layers", 2);
        const char *listing = ovl_layers_listing(l);
        struct ovl_rootfs *o = ovl_mount(l->lowerdir, "c", 0);

        struct e2e_result *r = wrun(&(struct wrun){
                .rt = rt, .rootfs = o->merged, .hook = true,
                .args = E2E_SH("stat -c %u /; cat /stack/top; "
                               "touch /made-inside && stat -c %u /made-inside"),
        });
        e2e_expect_out(r, "0\n1\n0\n");
        ovl_expect_upper_owner(o, "made-inside", 0);
        cr_assert_eq(umount2(o->merged, 0), 0);
        ovl_expect_layers_unchanged(l, listing);
        e2e_expect_host_mounts(host_before);
}

E2E_TEST(wrapper_overlay, with_the_hook_too_the_container_runs_and_writes_as_0_runc_1_1)
{
        wrapper_and_hook(E2E_RUNC);
}

E2E_TEST(wrapper_overlay, with_the_hook_too_the_container_runs_and_writes_as_0_crun_1_8)
{
        wrapper_and_hook(E2E_CRUN);
}

/* ---- the old overlay's submounts ---------------------------------------------- */

/* A tmpfs mounted on a directory of the overlay (holding a file, and a
 * tmpfs of its own below it) is there in the container, on the new
 * overlay, as it was on the old one. */
static void submounts_are_carried(enum e2e_runtime rt)
{
        const char *host_before = e2e_host_mounts();
        struct ovl_layers *l = ovl_make_layers("layers", 2);
        struct ovl_rootfs *o = ovl_mount(l->lowerdir, "c", 0);
        const char *sub = e2e_strf("%s/sub", o->merged);

        e2e_mkdirs(sub, 0755);
        cr_assert_eq(mount("tmpfs", sub, "tmpfs", 0, "mode=0755"), 0);
        e2e_write_file(e2e_strf("%s/file", sub), "on the submount\n");
        e2e_mkdirs(e2e_strf("%s/deeper", sub), 0755);
        cr_assert_eq(mount("tmpfs", e2e_strf("%s/deeper", sub), "tmpfs", 0, "mode=0755"), 0);
        e2e_write_file(e2e_strf("%s/deeper/file", sub), "deeper\n");

        struct e2e_result *r = wrun(&(struct wrun){
                .rt = rt, .rootfs = o->merged,
                .args = E2E_SH("stat -c %u /; cat /sub/file /sub/deeper/file; "
                               "touch /made-inside && stat -c %u /made-inside"),
        });
        e2e_expect_out(r, "0\non the submount\ndeeper\n0\n");
        ovl_expect_upper_owner(o, "made-inside", 0);
        cr_assert_eq(umount2(o->merged, MNT_DETACH), 0);
        e2e_expect_host_mounts(host_before);
}

E2E_TEST(wrapper_overlay, submounts_of_the_old_overlay_are_carried_onto_the_new_one_runc_1_3)
{
        submounts_are_carried(E2E_RUNC_CURRENT);
}

E2E_TEST(wrapper_overlay, submounts_of_the_old_overlay_are_carried_onto_the_new_one_crun_1_27)
{
        submounts_are_carried(E2E_CRUN_CURRENT);
}

/* A submount hidden by a later mount at the same point has no path to be
 * cloned by.  Asked for, the wrapper refuses in one line naming it; the
 * container never starts and nothing is left. */
E2E_TEST(wrapper_overlay, hidden_submount_asked_for_is_refused_in_one_line_runc_1_3)
{
        const char *host_before = e2e_host_mounts();
        struct ovl_layers *l = ovl_make_layers("layers", 1);
        struct ovl_rootfs *o = ovl_mount(l->lowerdir, "c", 0);
        const char *sub = e2e_strf("%s/sub", o->merged);

        e2e_mkdirs(sub, 0755);
        cr_assert_eq(mount("tmpfs", sub, "tmpfs", 0, NULL), 0);
        cr_assert_eq(mount("tmpfs", sub, "tmpfs", 0, NULL), 0);
        struct e2e_result *r = wrun(&(struct wrun){
                .rt = E2E_RUNC_CURRENT, .rootfs = o->merged,
                .annotations = E2E_ARGV("io.github.oci-idmap-hook.rootfs", "true"),
                .args = E2E_SH("echo started"),
        });
        cr_assert_eq(umount2(o->merged, MNT_DETACH), 0);
        cr_assert_neq(r->status, 0, "%s", e2e_describe(r));
        cr_assert_str_eq(r->out, "", "the container must not run: %s", e2e_describe(r));
        cr_assert(strncmp(r->err, "oci-idmap-runtime: rootfs: ", 27) == 0 &&
                          strstr(r->err, e2e_strf("submount at `%s` is hidden", sub)) &&
                          strchr(r->err, '\n') == r->err + strlen(r->err) - 1,
                  "expected one line naming the submount: %s", e2e_describe(r));
        e2e_expect_host_mounts(host_before);
}

/* ---- an overlay the wrapper cannot rebuild ------------------------------------ */

/* A layer on FUSE (fuse-overlayfs does not allow idmapped mounts).  Asked
 * for, the wrapper refuses in one line naming the layer and its filesystem,
 * and nothing lands in the upper dir.  Under auto the container starts as
 * it does without the wrapper: `/` shows as 65534 and nothing is said. */
static void fuse_layer(enum e2e_runtime rt)
{
        const char *host_before = e2e_host_mounts();
        struct ovl_layers *l = ovl_make_layers("layers", 1);
        const char *listing = ovl_layers_listing(l);
        struct e2e_proc fuse;
        const char *fuse_layer = ovl_start_fuse_layer(&fuse, "odd-layer");
        struct ovl_rootfs *o = ovl_mount(e2e_strf("%s:%s", fuse_layer, l->lowerdir), "c", 0);

        struct e2e_result *asked = wrun(&(struct wrun){
                .rt = rt, .rootfs = o->merged,
                .annotations = E2E_ARGV("io.github.oci-idmap-hook.rootfs", "true"),
                .args = E2E_SH("echo started; touch /made-inside"),
        });
        struct e2e_result *under_auto = wrun(&(struct wrun){
                .rt = rt, .rootfs = o->merged,
                .args = E2E_SH("stat -c %u /; grep -c idmapped /proc/self/mountinfo"),
        });
        cr_assert_eq(umount2(o->merged, 0), 0);
        ovl_stop_fuse_layer(&fuse, fuse_layer);

        cr_log_info("the refusal: %s", asked->err);
        cr_assert_neq(asked->status, 0, "%s", e2e_describe(asked));
        cr_assert_str_eq(asked->out, "", "the container must not run: %s", e2e_describe(asked));
        cr_assert(strncmp(asked->err, "oci-idmap-runtime: rootfs: ", 27) == 0 &&
                          strstr(asked->err, fuse_layer) &&
                          strstr(asked->err, "fuse.fuse-overlayfs") &&
                          strchr(asked->err, '\n') == asked->err + strlen(asked->err) - 1,
                  "expected one line naming the layer and its filesystem: %s",
                  e2e_describe(asked));
        e2e_expect_absent(o->upper, "made-inside");
        /* grep -c finds no idmapped mount: exit 1 */
        cr_assert_str_eq(under_auto->out, "65534\n0\n", "%s", e2e_describe(under_auto));
        cr_assert_null(strstr(under_auto->err, "oci-idmap-runtime"), "%s", e2e_describe(under_auto));
        ovl_expect_layers_unchanged(l, listing);
        e2e_expect_host_mounts(host_before);
}

E2E_TEST(wrapper_overlay, fuse_layer_is_refused_when_asked_and_handed_through_under_auto_runc_1_3)
{
        fuse_layer(E2E_RUNC_CURRENT);
}

E2E_TEST(wrapper_overlay, fuse_layer_is_refused_when_asked_and_handed_through_under_auto_crun_1_27)
{
        fuse_layer(E2E_CRUN_CURRENT);
}

/* ---- overlay volumes (issue 9, item 4) ------------------------------------------
 *
 * A bind volume whose source is an overlay (a Kubernetes image volume is
 * one) asking for `idmap`: an overlay mount cannot be idmapped, so runc 1.3.6
 * and crun fail on it (EINVAL) and runc 1.1.5 ignores the request.  The
 * wrapper makes a new overlay on idmapped layers at the source, in its own
 * namespace, and shows the runtime a config.json without that request
 * (hook/wrapper_config.c); config.json on disk is unchanged (wrun checks). */

static const char *volume_rootfs(void)
{
        const char *rootfs = e2e_make_disk_rootfs();

        e2e_mkdirs(e2e_strf("%s/vol", rootfs), 0755);
        return rootfs;
}

static const struct bundle_mount *one_volume(const char *source, const char *const *options)
{
        struct bundle_mount *m = calloc(1, sizeof(*m));

        cr_assert_not_null(m);
        *m = (struct bundle_mount){ "/vol", "bind", source, options };
        return m;
}

#define VOL_SHOW_AND_WRITE                                                                 \
        E2E_SH("stat -c %u:%g /vol /vol/bin/busybox /vol/stack/top; cat /vol/stack/top; " \
               "touch /vol/made-inside && echo changed > /vol/stack/top && "             \
               "rm /vol/etc/removable && stat -c %u:%g /vol/made-inside; echo ==; "      \
               "cat /proc/self/mountinfo")

static void volume_writes_land_in_upper_owned_by_0(enum e2e_runtime rt)
{
        const char *host_before = e2e_host_mounts();
        struct ovl_layers *l = ovl_make_layers("vlayers", 3);
        const char *listing = ovl_layers_listing(l);
        struct ovl_rootfs *o = ovl_mount(l->lowerdir, "v", 0);
        const struct bundle_mount *vol = one_volume(o->merged, E2E_ARGV("rbind", "idmap"));
        const char *rootfs = volume_rootfs();

        /* the problem, shown: without the wrapper the runtime fails on the
         * overlay, or (runc 1.1.5) ignores the idmap and root owns nothing */
        struct e2e_result *r = wrun(&(struct wrun){
                .rt = rt, .direct = true, .rootfs = rootfs, .mounts = vol, .n_mounts = 1,
                .args = E2E_SH("stat -c %u /vol"),
        });
        cr_log_info("without the wrapper: exit %d, %s%s", r->status, r->out, r->err);
        if (rt == E2E_RUNC)
                e2e_expect_out(r, "65534\n");
        else
                cr_assert(r->status != 0 && strcasestr(r->err, "invalid argument"), "%s",
                          e2e_describe(r));

        r = wrun(&(struct wrun){ .rt = rt, .rootfs = rootfs, .mounts = vol, .n_mounts = 1,
                                 .args = VOL_SHOW_AND_WRITE });
        const char *files, *mi;
        e2e_expect_ok(r);
        ovl_split_at_marker(r, &files, &mi);
        cr_assert_str_eq(files, "0:0\n0:0\n0:0\n2\n0:0\n", "%s", e2e_describe(r));
        cr_assert_str_eq(e2e_mount_view_only(e2e_mount_view_parse(mi), "/vol", mi)->fstype,
                         "overlay");
        ovl_expect_upper_owner(o, "made-inside", 0);
        ovl_expect_upper_owner(o, "stack/top", 0);
        cr_assert_str_eq(e2e_read_file(e2e_strf("%s/stack/top", o->upper)), "changed\n");
        ovl_expect_upper_whiteout(o, "etc/removable");
        cr_assert_eq(umount2(o->merged, 0), 0, "the wrapper left a mount on `%s`", o->merged);
        ovl_expect_layers_unchanged(l, listing);
        e2e_expect_host_mounts(host_before);
}

E2E_TEST(wrapper_overlay_volume, idmap_overlay_volume_writes_land_in_upper_owned_by_0_runc_1_1)
{
        volume_writes_land_in_upper_owned_by_0(E2E_RUNC);
}

E2E_TEST(wrapper_overlay_volume, idmap_overlay_volume_writes_land_in_upper_owned_by_0_runc_1_3)
{
        volume_writes_land_in_upper_owned_by_0(E2E_RUNC_CURRENT);
}

E2E_TEST(wrapper_overlay_volume, idmap_overlay_volume_writes_land_in_upper_owned_by_0_crun_1_8)
{
        volume_writes_land_in_upper_owned_by_0(E2E_CRUN);
}

E2E_TEST(wrapper_overlay_volume, idmap_overlay_volume_writes_land_in_upper_owned_by_0_crun_1_27)
{
        volume_writes_land_in_upper_owned_by_0(E2E_CRUN_CURRENT);
}

/* ro, nosuid, nodev asked with the idmap: the container's view through the
 * wrapper equals the view without the wrapper of the same volume without
 * the idmap (the one every runtime starts), ownership aside, every flag kept. */
static void volume_view_is_kept(enum e2e_runtime rt)
{
        const char *host_before = e2e_host_mounts();
        struct ovl_layers *l = ovl_make_layers("vlayers", 2);
        const char *listing = ovl_layers_listing(l);
        struct ovl_rootfs *o = ovl_mount(l->lowerdir, "v", 0);
        const char *const *cmd = E2E_SH("stat -c %u /vol; ls -a /vol /vol/opaque /vol/stack; "
                                        "touch /vol/x || echo refused; echo ==; "
                                        "cat /proc/self/mountinfo");
        const char *rootfs = volume_rootfs();

        struct e2e_result *without = wrun(&(struct wrun){
                .rt = rt, .direct = true, .rootfs = rootfs, .args = cmd, .n_mounts = 1,
                .mounts = one_volume(o->merged, E2E_ARGV("rbind", "ro", "nosuid", "nodev")),
        });
        struct e2e_result *with = wrun(&(struct wrun){
                .rt = rt, .rootfs = rootfs, .args = cmd, .n_mounts = 1,
                .mounts = one_volume(o->merged, E2E_ARGV("rbind", "ro", "nosuid", "nodev", "idmap")),
        });
        const char *mi_without, *mi_with;

        expect_same_but_the_owner(without, with, &mi_without, &mi_with);
        cr_assert_not_null(strstr(with->out, "refused\n"), "%s", e2e_describe(with));
        e2e_expect_mount_flags(e2e_mount_view_parse(mi_with), "/vol", E2E_RO | E2E_NOSUID | E2E_NODEV,
                               mi_with);
        cr_assert_str_neq(ovl_super_options_at(mi_with, "/vol"),
                          ovl_super_options_at(mi_without, "/vol"), "/vol was not rebuilt");
        cr_assert_eq(umount2(o->merged, 0), 0, "the wrapper left a mount on `%s`", o->merged);
        e2e_expect_absent(o->upper, "x");
        ovl_expect_layers_unchanged(l, listing);
        e2e_expect_host_mounts(host_before);
}

E2E_TEST(wrapper_overlay_volume, view_and_flags_equal_the_view_without_the_idmap_runc_1_1)
{
        volume_view_is_kept(E2E_RUNC);
}

E2E_TEST(wrapper_overlay_volume, view_and_flags_equal_the_view_without_the_idmap_runc_1_3)
{
        volume_view_is_kept(E2E_RUNC_CURRENT);
}

E2E_TEST(wrapper_overlay_volume, view_and_flags_equal_the_view_without_the_idmap_crun_1_8)
{
        volume_view_is_kept(E2E_CRUN);
}

E2E_TEST(wrapper_overlay_volume, view_and_flags_equal_the_view_without_the_idmap_crun_1_27)
{
        volume_view_is_kept(E2E_CRUN_CURRENT);
}

/* A tmpfs on a directory of the overlay, brought along by the rbind: on the
 * rebuilt overlay, idmapped with it under `ridmap`, as it is under `idmap`. */
static void volume_submount_is_carried(enum e2e_runtime rt, const char *opt, bool mapped)
{
        const char *host_before = e2e_host_mounts();
        struct ovl_layers *l = ovl_make_layers("vlayers", 2);
        struct ovl_rootfs *o = ovl_mount(l->lowerdir, "v", 0);
        const char *sub = ovl_mount_submount(o);

        struct e2e_result *r = wrun(&(struct wrun){
                .rt = rt, .rootfs = volume_rootfs(), .n_mounts = 1,
                .mounts = one_volume(o->merged, E2E_ARGV("rbind", opt)), .args = OVL_SHOW_SUBMOUNT,
        });
        ovl_expect_submount_carried(r, mapped);
        cr_assert_eq(umount2(sub, 0), 0);
        cr_assert_eq(umount2(o->merged, 0), 0);
        e2e_expect_host_mounts(host_before);
}

E2E_TEST(wrapper_overlay_volume, ridmap_submount_is_carried_and_idmapped_runc_1_3)
{
        volume_submount_is_carried(E2E_RUNC_CURRENT, "ridmap", true);
}

E2E_TEST(wrapper_overlay_volume, ridmap_submount_is_carried_and_idmapped_runc_1_1)
{
        volume_submount_is_carried(E2E_RUNC, "ridmap", true);
}

E2E_TEST(wrapper_overlay_volume, idmap_submount_is_carried_as_it_is_crun_1_27)
{
        volume_submount_is_carried(E2E_CRUN_CURRENT, "idmap", false);
}

/* A bind of a directory inside an overlay cannot be replaced by a whole new
 * overlay.  runc 1.1.5 would ignore the idmap; the wrapper, asked, refuses
 * in one line and the container does not start.  (A runtime that maps
 * volumes itself is left to refuse it with its own error, as without the
 * wrapper.) */
E2E_TEST(wrapper_overlay_volume, bind_of_a_directory_inside_an_overlay_is_refused_in_one_line_runc_1_1)
{
        const char *host_before = e2e_host_mounts();
        struct ovl_layers *l = ovl_make_layers("vlayers", 1);
        struct ovl_rootfs *o = ovl_mount(l->lowerdir, "v", 0);

        struct e2e_result *r = wrun(&(struct wrun){
                .rt = E2E_RUNC, .rootfs = volume_rootfs(), .n_mounts = 1,
                .mounts = one_volume(e2e_strf("%s/stack", o->merged), E2E_ARGV("rbind", "idmap")),
                .args = E2E_SH("echo started"),
        });
        cr_assert_neq(r->status, 0, "%s", e2e_describe(r));
        cr_assert_str_eq(r->out, "", "the container must not run: %s", e2e_describe(r));
        cr_assert(strncmp(r->err, "oci-idmap-runtime: config.json: mounts[", 39) == 0 &&
                          strstr(r->err, "(/vol): asks for an idmap, but `") &&
                          strstr(r->err, "/stack` is a directory inside an overlay") &&
                          strchr(r->err, '\n') == r->err + strlen(r->err) - 1,
                  "expected one line naming the volume: %s", e2e_describe(r));
        cr_assert_eq(umount2(o->merged, 0), 0);
        e2e_expect_host_mounts(host_before);
}

/* Both installed: the hook is shown no idmap request for the volume the
 * wrapper rebuilt (whose layers it could not name), and the container runs. */
static void volume_wrapper_and_hook(enum e2e_runtime rt)
{
        const char *host_before = e2e_host_mounts();
        struct ovl_layers *l = ovl_make_layers("vlayers", 2);
        struct ovl_rootfs *o = ovl_mount(l->lowerdir, "v", 0);

        struct e2e_result *r = wrun(&(struct wrun){
                .rt = rt, .rootfs = volume_rootfs(), .hook = true, .n_mounts = 1,
                .mounts = one_volume(o->merged, E2E_ARGV("rbind", "idmap")),
                .args = E2E_SH("stat -c %u / /vol; touch /vol/made-inside"),
        });
        e2e_expect_out(r, "0\n0\n");
        ovl_expect_upper_owner(o, "made-inside", 0);
        cr_assert_eq(umount2(o->merged, 0), 0);
        e2e_expect_host_mounts(host_before);
}

E2E_TEST(wrapper_overlay_volume, with_the_hook_too_the_container_runs_and_writes_as_0_runc_1_1)
{
        volume_wrapper_and_hook(E2E_RUNC);
}

E2E_TEST(wrapper_overlay_volume, with_the_hook_too_the_container_runs_and_writes_as_0_crun_1_8)
{
        volume_wrapper_and_hook(E2E_CRUN);
}
