/* Overlay root filesystems (issue 9) under runc 1.1.5 and crun 1.8.1, on
 * bundles whose root.path is an overlay the test mounts in its own mount
 * namespace: layers owned by 0 on disk (lib_overlay.h), upper and work dirs
 * on the disk, a user namespace 0:100000:65536.
 *
 * What must hold with the hook (the lead's rebuild of the overlay on
 * idmapped clones of its layers, mounted with the container root's host ids):
 * the container sees its files owned by 0 and can write; the writes land in
 * the upper dir owned by 0 on disk, as the image's own files are; whiteouts
 * and opaque directories hide what they hid; no lower layer changes on disk;
 * the container's mounts and their restrictions are those it has without the
 * hook.  Overlays that need no mapping (layers already idmapped, or shifted
 * to the container's ids) are left exactly as the runtime made them.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib_e2e.h"
#include "lib_overlay.h"
#include "oci/plan.h"

/* crun does not pass a hook's stderr on; this annotation names a file that
 * gets it (runc ignores it and shows the hook's stderr itself). */
#define HOOK_STDERR_ANNOTATION "run.oci.hooks.stderr"

static const char *hook_stderr_path(void)
{
        static unsigned n;
        return e2e_strf("%s/hook-stderr.%u", e2e_work_dir(), ++n);
}

/* e2e_bundle_run with the hook's stderr, under crun too, added to the
 * result's stderr (so that it shows in every assertion message); the hook's
 * own stderr alone goes to *hook_err when that is not NULL. */
static struct e2e_result *run_bundle(const struct e2e_bundle *b, const char **hook_err)
{
        const char *err_path = hook_stderr_path();
        const char *annotations[16];
        size_t n = 0;

        for (; b->annotations && b->annotations[n]; n++) {
                cr_assert_lt(n, 12, "too many annotations");
                annotations[n] = b->annotations[n];
        }
        annotations[n++] = HOOK_STDERR_ANNOTATION;
        annotations[n++] = err_path;
        annotations[n] = NULL;

        struct e2e_bundle with_stderr = *b;
        with_stderr.annotations = annotations;
        struct e2e_result *r = e2e_bundle_run(&with_stderr);
        const char *text = access(err_path, F_OK) == 0 ? e2e_read_file(err_path) : "";
        if (b->runtime == E2E_CRUN && text[0])
                r->err = e2e_strf("%s--- the hook's stderr (crun) ---\n%s", r->err, text);
        if (hook_err)
                *hook_err = text;
        return r;
}

static struct e2e_result *run(enum e2e_runtime rt, enum e2e_hook hook, const char *rootfs,
                              const char *const *args)
{
        return run_bundle(&(struct e2e_bundle){
                .runtime = rt, .hook = hook, .rootfs = rootfs, .args = args,
        }, NULL);
}

/* Splits "listing==\nmountinfo" printed by a container. */
/* ---- writes, whiteouts, a second start ---------------------------------------- */

/* What the container sees of the layers, then its writes: a new file, a file
 * of a lower layer changed (copied up), one removed (a whiteout in the
 * upper dir), a new directory. */
#define SHOW_LAYERS_AND_WRITE                                                          \
        E2E_SH("stat -c %u:%g / /bin/busybox /stack/top; cat /stack/top; ls /opaque; " \
               "test -e /etc/doomed && echo doomed-shown || echo doomed-hidden; "     \
               "touch /made-inside && echo changed > /stack/top && rm /etc/removable " \
               "&& mkdir /newdir && stat -c %u:%g /made-inside /stack/top /newdir")

#define SECOND_START                                                                   \
        E2E_SH("cat /stack/top; "                                                      \
               "test -e /etc/removable && echo removable-shown || echo removable-hidden; " \
               "stat -c %u:%g /made-inside; touch /second && stat -c %u:%g /second")

static void writes_land_in_upper_owned_by_0(enum e2e_runtime rt, size_t n_layers)
{
        const char *host_before = e2e_host_mounts();
        struct ovl_layers *l = ovl_make_layers("layers", n_layers);
        const char *listing = ovl_layers_listing(l);
        struct ovl_rootfs *o = ovl_mount(l->lowerdir, "c", 0);

        struct e2e_result *r = run(rt, E2E_WITH_HOOK, o->merged, SHOW_LAYERS_AND_WRITE);
        e2e_expect_out(r, e2e_strf("0:0\n0:0\n0:0\n%zu\n%s\n%s\n0:0\n0:0\n0:0\n", n_layers - 1,
                                   n_layers >= 2 ? "new" : "old",
                                   n_layers >= 2 ? "doomed-hidden" : "doomed-shown"));
        ovl_expect_upper_owner(o, "made-inside", 0);
        ovl_expect_upper_owner(o, "stack/top", 0);
        ovl_expect_upper_owner(o, "newdir", 0);
        cr_assert_str_eq(e2e_read_file(e2e_strf("%s/stack/top", o->upper)), "changed\n");
        ovl_expect_upper_whiteout(o, "etc/removable");

        /* A second start on the same upper dir, on a fresh overlay mount as an
         * engine makes for it: the writes are there, and more can be made. */
        ovl_remount(o);
        r = run(rt, E2E_WITH_HOOK, o->merged, SECOND_START);
        e2e_expect_out(r, "changed\nremovable-hidden\n0:0\n0:0\n");
        ovl_expect_upper_owner(o, "second", 0);

        ovl_expect_layers_unchanged(l, listing);
        e2e_expect_host_mounts(host_before);
}

E2E_TEST(overlay, one_layer_root_writes_land_in_upper_owned_by_0_runc)
{
        writes_land_in_upper_owned_by_0(E2E_RUNC, 1);
}

E2E_TEST(overlay, one_layer_root_writes_land_in_upper_owned_by_0_crun)
{
        writes_land_in_upper_owned_by_0(E2E_CRUN, 1);
}

E2E_TEST(overlay, three_layers_whiteouts_hold_and_writes_land_in_upper_owned_by_0_runc)
{
        writes_land_in_upper_owned_by_0(E2E_RUNC, 3);
}

E2E_TEST(overlay, three_layers_whiteouts_hold_and_writes_land_in_upper_owned_by_0_crun)
{
        writes_land_in_upper_owned_by_0(E2E_CRUN, 3);
}

E2E_TEST(overlay, twenty_layers_whiteouts_hold_and_writes_land_in_upper_owned_by_0_runc)
{
        writes_land_in_upper_owned_by_0(E2E_RUNC, 20);
}

E2E_TEST(overlay, twenty_layers_whiteouts_hold_and_writes_land_in_upper_owned_by_0_crun)
{
        writes_land_in_upper_owned_by_0(E2E_CRUN, 20);
}

/* ---- the same view as without the hook -------------------------------------- */

#define SHOW_VIEW(write)                                                               \
        E2E_SH("stat -c %u /; ls -a /etc /opaque /stack; cat /stack/top; " write      \
               "echo ==; cat /proc/self/mountinfo")

/* The files (names, whiteouts, opaque dirs) and the mounts with their
 * restrictions are the same with and without the hook; only the owner
 * differs: 65534 without it, 0 with it. */
static void view_is_kept(enum e2e_runtime rt, bool readonly_root)
{
        struct ovl_layers *l = ovl_make_layers("layers", 3);
        const char *listing = ovl_layers_listing(l);
        struct ovl_rootfs *o = ovl_mount(l->lowerdir, "c", 0);
        const char *const *cmd = readonly_root ? SHOW_VIEW("touch /x || echo refused; ")
                                               : SHOW_VIEW("");
        struct e2e_bundle b = {
                .runtime = rt, .rootfs = o->merged, .readonly_root = readonly_root, .args = cmd,
        };

        b.hook = E2E_WITHOUT_HOOK;
        struct e2e_result *without = run_bundle(&b, NULL);
        b.hook = E2E_WITH_HOOK;
        struct e2e_result *with = run_bundle(&b, NULL);
        e2e_expect_ok(without);
        e2e_expect_ok(with);

        const char *files_without, *files_with, *mi_without, *mi_with;
        ovl_split_at_marker(without, &files_without, &mi_without);
        ovl_split_at_marker(with, &files_with, &mi_with);
        cr_assert(strncmp(files_without, "65534\n", 6) == 0, "%s", e2e_describe(without));
        cr_assert(strncmp(files_with, "0\n", 2) == 0, "%s", e2e_describe(with));
        cr_assert_str_eq(strchr(files_with, '\n'), strchr(files_without, '\n'),
                         "the files differ with the hook:\n%s\n%s", e2e_describe(without),
                         e2e_describe(with));
        e2e_expect_same_view(mi_without, mi_with);
        if (readonly_root) {
                e2e_expect_mount_flags(e2e_mount_view_parse(mi_with), "/", E2E_RO, mi_with);
                e2e_expect_err_has(with, "/x: Read-only file system");
                e2e_expect_absent(o->upper, "x");
        }
        ovl_expect_layers_unchanged(l, listing);
}

E2E_TEST(overlay, view_with_hook_equals_view_without_it_but_for_ownership_runc)
{
        view_is_kept(E2E_RUNC, false);
}

E2E_TEST(overlay, view_with_hook_equals_view_without_it_but_for_ownership_crun)
{
        view_is_kept(E2E_CRUN, false);
}

E2E_TEST(overlay, read_only_root_is_kept_and_view_is_the_same_runc)
{
        view_is_kept(E2E_RUNC, true);
}

E2E_TEST(overlay, read_only_root_is_kept_and_view_is_the_same_crun)
{
        view_is_kept(E2E_CRUN, true);
}

/* ---- two mappings on the same layers, at the same time --------------------------- */

/* Each container says it is up in the shared /vol (a world-writable tmpfs
 * dir, no idmap) and waits up to 60 s for the other: both print "together"
 * only if they ran at the same time. */
static const char *const *meet(const char *me, const char *other)
{
        /* Not E2E_ARGV: a compound literal dies with this function. */
        static const char *argv[2][4];
        const char **a = argv[me[0] == 'a' ? 0 : 1];

        a[0] = "sh";
        a[1] = "-c";
        a[2] = e2e_strf("stat -c %%u /; touch /made-by-%s && stat -c %%u /made-by-%s; "
                        "touch /vol/%s; i=0; "
                        "while [ ! -e /vol/%s ] && [ $i -lt 600 ]; do "
                        "sleep 0.1; i=$((i+1)); done; "
                        "test -e /vol/%s && echo together",
                        me, me, me, other, other);
        a[3] = NULL;
        return a;
}

static void two_mappings_share_layers(enum e2e_runtime rt)
{
        struct ovl_layers *l = ovl_make_layers("layers", 3);
        const char *listing = ovl_layers_listing(l);
        struct ovl_rootfs *a = ovl_mount(l->lowerdir, "a", 0);
        struct ovl_rootfs *b = ovl_mount(l->lowerdir, "b", 0);
        const char *sync = e2e_strf("%s/sync", e2e_work_dir());
        e2e_mkdirs(sync, 0755);
        cr_assert_eq(chmod(sync, 01777), 0);
        const struct e2e_mount vol[] = { { "/vol", "bind", sync, E2E_ARGV("rbind", "rw") } };

        struct e2e_container ca, cb;
        e2e_bundle_start(&ca, &(struct e2e_bundle){
                .runtime = rt, .hook = E2E_WITH_HOOK, .rootfs = a->merged,
                .host_base = 100000, .mounts = vol, .n_mounts = 1, .args = meet("a", "b"),
        });
        e2e_bundle_start(&cb, &(struct e2e_bundle){
                .runtime = rt, .hook = E2E_WITH_HOOK, .rootfs = b->merged,
                .host_base = 200000, .mounts = vol, .n_mounts = 1, .args = meet("b", "a"),
        });
        struct e2e_result *ra = e2e_bundle_finish(&ca), *rb = e2e_bundle_finish(&cb);

        e2e_expect_out(ra, "0\n0\ntogether\n");
        e2e_expect_out(rb, "0\n0\ntogether\n");
        ovl_expect_upper_owner(a, "made-by-a", 0);
        ovl_expect_upper_owner(b, "made-by-b", 0);
        e2e_expect_absent(a->upper, "made-by-b");
        e2e_expect_absent(b->upper, "made-by-a");
        ovl_expect_layers_unchanged(l, listing);
}

E2E_TEST(overlay, mappings_100000_and_200000_share_the_layers_at_the_same_time_runc)
{
        two_mappings_share_layers(E2E_RUNC);
}

E2E_TEST(overlay, mappings_100000_and_200000_share_the_layers_at_the_same_time_crun)
{
        two_mappings_share_layers(E2E_CRUN);
}

/* ---- overlays the hook leaves alone --------------------------------------------- */

#define WRITE_AND_SHOW(name) \
        E2E_SH("stat -c %u /; touch /" name "; echo ==; cat /proc/self/mountinfo")

/* The overlay needs no mapping: the container runs without the hook as it
 * does with it.  Same owner inside, the same overlay at / (its lowerdir,
 * upperdir and workdir as the test mounted them), the same mounts, and the
 * writes owned by the container's root, 100000, on disk. */
static void overlay_is_left_alone(enum e2e_runtime rt, const struct ovl_rootfs *o)
{
        struct e2e_bundle b = {
                .runtime = rt, .rootfs = o->merged,
                .annotations = E2E_ARGV(ANNOTATION_ROOTFS, "auto"),
        };

        b.hook = E2E_WITHOUT_HOOK;
        b.args = WRITE_AND_SHOW("made-without");
        struct e2e_result *without = run_bundle(&b, NULL);
        b.hook = E2E_WITH_HOOK;
        b.args = WRITE_AND_SHOW("made-with");
        struct e2e_result *with = run_bundle(&b, NULL);

        e2e_expect_ok(without);
        e2e_expect_ok(with);
        const char *mi_without = e2e_expect_out_prefix(without, "0\n==\n");
        const char *mi_with = e2e_expect_out_prefix(with, "0\n==\n");
        const char *super = ovl_root_super_options(mi_with);
        cr_assert_str_eq(super, ovl_root_super_options(mi_without),
                         "the hook replaced the overlay at /:\n%s", e2e_describe(with));
        cr_assert_not_null(strstr(super, e2e_strf("upperdir=%s,", o->upper)), "%s", super);
        e2e_expect_same_view(mi_without, mi_with);
        ovl_expect_upper_owner(o, "made-without", E2E_HOST_BASE);
        ovl_expect_upper_owner(o, "made-with", E2E_HOST_BASE);
}

/* podman's own storage on this kernel: the layers are idmapped mounts
 * (0:100000:65536) and the upper dir is owned by the container's root. */
static void idmapped_layers_are_left_alone(enum e2e_runtime rt)
{
        struct ovl_layers *l = ovl_make_layers("layers", 3);
        const char *listing = ovl_layers_listing(l);
        const char *lowerdir = ovl_idmapped_lowerdir(l, "idmapped", E2E_HOST_BASE);

        overlay_is_left_alone(rt, ovl_mount(lowerdir, "c", E2E_HOST_BASE));
        ovl_expect_layers_unchanged(l, listing);
}

E2E_TEST(overlay, overlay_on_idmapped_layers_runs_as_without_the_hook_runc)
{
        idmapped_layers_are_left_alone(E2E_RUNC);
}

E2E_TEST(overlay, overlay_on_idmapped_layers_runs_as_without_the_hook_crun)
{
        idmapped_layers_are_left_alone(E2E_CRUN);
}

/* Layers chowned to the container's ids (what containerd does without
 * idmap support): under auto, nothing to map. */
static void shifted_layers_are_left_alone(enum e2e_runtime rt)
{
        struct ovl_layers *l = ovl_make_layers("layers", 3);
        for (size_t k = 0; k < l->n; k++)
                e2e_shift_tree(l->layer[k], E2E_HOST_BASE);
        const char *listing = ovl_layers_listing(l);

        overlay_is_left_alone(rt, ovl_mount(l->lowerdir, "c", E2E_HOST_BASE));
        ovl_expect_layers_unchanged(l, listing);
}

E2E_TEST(overlay, overlay_of_shifted_layers_runs_as_without_the_hook_under_auto_runc)
{
        shifted_layers_are_left_alone(E2E_RUNC);
}

E2E_TEST(overlay, overlay_of_shifted_layers_runs_as_without_the_hook_under_auto_crun)
{
        shifted_layers_are_left_alone(E2E_CRUN);
}

/* ---- refusals --------------------------------------------------------------------- */

/* A layer on FUSE (fuse-overlayfs, which does not allow idmapped mounts):
 * the overlay cannot be rebuilt on idmapped layers, and the rootfs needs a
 * mapping (auto: owned by 0).  The hook says so in one line naming the layer
 * and its filesystem, exits non-zero, the container does not start, and
 * nothing lands in the upper dir. */
static void fuse_layer_is_refused(enum e2e_runtime rt)
{
        struct ovl_layers *l = ovl_make_layers("layers", 1);
        const char *listing = ovl_layers_listing(l);
        struct e2e_proc fuse;
        const char *fuse_layer = ovl_start_fuse_layer(&fuse, "odd-layer");
        struct ovl_rootfs *o = ovl_mount(e2e_strf("%s:%s", fuse_layer, l->lowerdir), "c", 0);

        const char *hook_err;
        struct e2e_result *r = run_bundle(&(struct e2e_bundle){
                .runtime = rt, .hook = E2E_WITH_HOOK, .rootfs = o->merged,
                .args = E2E_SH("echo started; touch /made-inside"),
        }, &hook_err);
        cr_assert_eq(umount2(o->merged, 0), 0);
        ovl_stop_fuse_layer(&fuse, fuse_layer);

        cr_assert(r->status != 0 && !r->timed_out, "the runtime must fail:\n%s", e2e_describe(r));
        cr_assert_null(strstr(r->out, "started"), "the container ran:\n%s", e2e_describe(r));
        const char *msg = rt == E2E_CRUN ? hook_err : r->err;
        cr_log_info("the refusal: %s", msg);
        cr_assert_not_null(strstr(msg, fuse_layer), "the layer is not named:\n%s",
                           e2e_describe(r));
        /* fuse-overlayfs's mounts show this type in the mount table. */
        cr_assert_not_null(strstr(msg, "fuse.fuse-overlayfs"), "the filesystem is not named:\n%s",
                           e2e_describe(r));
        if (rt == E2E_CRUN) {
                const char *nl = strchr(hook_err, '\n');
                cr_assert(nl && nl[1] == '\0', "the hook said more than one line:\n%s", hook_err);
        }
        e2e_expect_absent(o->upper, "made-inside");
        ovl_expect_layers_unchanged(l, listing);
}

E2E_TEST(overlay, layer_on_fuse_is_refused_in_one_line_naming_layer_and_filesystem_runc)
{
        fuse_layer_is_refused(E2E_RUNC);
}

E2E_TEST(overlay, layer_on_fuse_is_refused_in_one_line_naming_layer_and_filesystem_crun)
{
        fuse_layer_is_refused(E2E_CRUN);
}

/* ---- overlay volumes (issue 9, item 4) ----------------------------------------------
 *
 * A volume whose source is an overlay (a Kubernetes image volume is one): a
 * directory rootfs owned by 0 (idmapped under auto) and, at /vol, a bind of
 * an overlay of 3 root-owned layers with an upper dir owned by 0.  Asked
 * `idmap` (`ridmap` under crun, see asked()), the hook puts a new overlay
 * on idmapped layers in place of the runtime's bind; not asked, the bind is
 * left as the runtime made it. */

/* crun maps an `idmap` volume itself, before the hooks, and fails on an
 * overlay (mount_setattr: EINVAL); crun 1.8 does not know `ridmap` and
 * leaves it to the hook.  runc 1.1 ignores both. */
static const char *asked(enum e2e_runtime rt)
{
        return rt == E2E_CRUN ? "ridmap" : "idmap";
}

static const char *volume_rootfs(void)
{
        const char *rootfs = e2e_make_disk_rootfs();

        e2e_mkdirs(e2e_strf("%s/vol", rootfs), 0755);
        e2e_mkdirs(e2e_strf("%s/plain", rootfs), 0755);
        return rootfs;
}

#define VOL_SHOW_AND_WRITE                                                                     \
        E2E_SH("stat -c %u:%g /vol /vol/bin/busybox /vol/stack/top; cat /vol/stack/top; "     \
               "ls /vol/opaque; touch /vol/made-inside && echo changed > /vol/stack/top && "  \
               "rm /vol/etc/removable && mkdir /vol/newdir && "                              \
               "stat -c %u:%g /vol/made-inside /vol/newdir; echo ==; cat /proc/self/mountinfo")

static void volume_writes_land_in_upper_owned_by_0(enum e2e_runtime rt)
{
        const char *host_before = e2e_host_mounts();
        struct ovl_layers *l = ovl_make_layers("vlayers", 3);
        const char *listing = ovl_layers_listing(l);
        struct ovl_rootfs *o = ovl_mount(l->lowerdir, "v", 0);
        const struct e2e_mount vol[] = { { "/vol", "bind", o->merged, E2E_ARGV("rbind", asked(rt)) } };

        struct e2e_result *r = run_bundle(&(struct e2e_bundle){
                .runtime = rt, .hook = E2E_WITH_HOOK, .rootfs = volume_rootfs(),
                .mounts = vol, .n_mounts = 1, .args = VOL_SHOW_AND_WRITE,
        }, NULL);
        const char *files, *mi;
        ovl_split_at_marker(r, &files, &mi);
        cr_assert_str_eq(files, "0:0\n0:0\n0:0\n2\nnew\n0:0\n0:0\n", "%s", e2e_describe(r));
        /* the rebuilt overlay: still an overlay at /vol, one mount there */
        cr_assert_str_eq(e2e_mount_view_only(e2e_mount_view_parse(mi), "/vol", mi)->fstype,
                         "overlay");
        ovl_expect_upper_owner(o, "made-inside", 0);
        ovl_expect_upper_owner(o, "stack/top", 0);
        ovl_expect_upper_owner(o, "newdir", 0);
        cr_assert_str_eq(e2e_read_file(e2e_strf("%s/stack/top", o->upper)), "changed\n");
        ovl_expect_upper_whiteout(o, "etc/removable");
        ovl_expect_layers_unchanged(l, listing);
        e2e_expect_host_mounts(host_before);
}

E2E_TEST(overlay_volume, idmap_volume_of_root_owned_layers_writes_land_in_upper_owned_by_0_runc)
{
        volume_writes_land_in_upper_owned_by_0(E2E_RUNC);
}

E2E_TEST(overlay_volume, idmap_volume_of_root_owned_layers_writes_land_in_upper_owned_by_0_crun)
{
        volume_writes_land_in_upper_owned_by_0(E2E_CRUN);
}

#define VOL_VIEW                                                                              \
        E2E_SH("stat -c %u /vol /plain; ls -a /vol /vol/opaque /vol/stack /plain; "          \
               "cat /vol/stack/top; touch /vol/x || echo refused; "                          \
               "echo ==; cat /proc/self/mountinfo")

/* /vol (idmap, ro, nosuid, nodev) and /plain (no idmap) with and without the
 * hook: the same files and mounts, every flag kept, /plain the runtime's own
 * bind of its overlay, /vol a new overlay that shows its files owned by 0. */
static void volume_view_is_kept(enum e2e_runtime rt)
{
        const char *host_before = e2e_host_mounts();
        struct ovl_layers *l = ovl_make_layers("vlayers", 3);
        const char *listing = ovl_layers_listing(l);
        struct ovl_rootfs *o = ovl_mount(l->lowerdir, "v", 0);
        struct ovl_rootfs *plain = ovl_mount(l->lowerdir, "p", 0);
        const struct e2e_mount vols[] = {
                { "/vol", "bind", o->merged, E2E_ARGV("rbind", "ro", "nosuid", "nodev", asked(rt)) },
                { "/plain", "bind", plain->merged, E2E_ARGV("rbind") },
        };
        struct e2e_bundle b = {
                .runtime = rt, .rootfs = volume_rootfs(), .mounts = vols, .n_mounts = 2,
                .args = VOL_VIEW,
        };

        b.hook = E2E_WITHOUT_HOOK;
        struct e2e_result *without = run_bundle(&b, NULL);
        b.hook = E2E_WITH_HOOK;
        struct e2e_result *with = run_bundle(&b, NULL);
        e2e_expect_ok(without);
        e2e_expect_ok(with);

        const char *files_without, *files_with, *mi_without, *mi_with;
        ovl_split_at_marker(without, &files_without, &mi_without);
        ovl_split_at_marker(with, &files_with, &mi_with);
        cr_assert(strncmp(files_without, "65534\n65534\n", 12) == 0, "%s", e2e_describe(without));
        cr_assert(strncmp(files_with, "0\n65534\n", 8) == 0, "%s", e2e_describe(with));
        cr_assert_str_eq(strstr(files_with, "\n65534\n") + 7, files_without + 12,
                         "the files differ with the hook:\n%s\n%s", e2e_describe(without),
                         e2e_describe(with));
        cr_assert_not_null(strstr(files_with, "refused\n"), "%s", e2e_describe(with));
        e2e_expect_same_view(mi_without, mi_with);
        e2e_expect_mount_flags(e2e_mount_view_parse(mi_with), "/vol", E2E_RO | E2E_NOSUID | E2E_NODEV,
                               mi_with);
        e2e_expect_idmapped(mi_with, "/", true);
        /* /plain: the runtime's bind, left as it is; /vol: made anew */
        const char *plain_super = ovl_super_options_at(mi_with, "/plain");
        cr_assert_str_eq(plain_super, ovl_super_options_at(mi_without, "/plain"));
        cr_assert_not_null(strstr(plain_super, e2e_strf("upperdir=%s,", plain->upper)), "%s",
                           plain_super);
        cr_assert_str_neq(ovl_super_options_at(mi_with, "/vol"),
                          ovl_super_options_at(mi_without, "/vol"), "/vol was not rebuilt");
        e2e_expect_absent(o->upper, "x");
        ovl_expect_layers_unchanged(l, listing);
        e2e_expect_host_mounts(host_before);
}

E2E_TEST(overlay_volume, view_and_flags_kept_and_unasked_volume_left_as_the_runtime_made_it_runc)
{
        volume_view_is_kept(E2E_RUNC);
}

E2E_TEST(overlay_volume, view_and_flags_kept_and_unasked_volume_left_as_the_runtime_made_it_crun)
{
        volume_view_is_kept(E2E_CRUN);
}

/* A bind of a directory inside an overlay cannot be replaced by a whole new
 * overlay: asked `idmap`, it is refused in one line, and the container does
 * not start. */
static void bind_inside_overlay_is_refused(enum e2e_runtime rt)
{
        struct ovl_layers *l = ovl_make_layers("vlayers", 1);
        const char *listing = ovl_layers_listing(l);
        struct ovl_rootfs *o = ovl_mount(l->lowerdir, "v", 0);
        const struct e2e_mount vol[] = {
                { "/vol", "bind", e2e_strf("%s/stack", o->merged), E2E_ARGV("rbind", asked(rt)) },
        };
        const char *hook_err;

        struct e2e_result *r = run_bundle(&(struct e2e_bundle){
                .runtime = rt, .hook = E2E_WITH_HOOK, .rootfs = volume_rootfs(),
                .mounts = vol, .n_mounts = 1, .args = E2E_SH("echo started; touch /vol/made"),
        }, &hook_err);
        cr_assert(r->status != 0 && !r->timed_out, "the runtime must fail:\n%s", e2e_describe(r));
        cr_assert_null(strstr(r->out, "started"), "the container ran:\n%s", e2e_describe(r));
        const char *msg = rt == E2E_CRUN ? hook_err : r->err;
        cr_assert_not_null(strstr(msg, "mounts[") && strstr(msg, "(/vol): asks for an idmap, but "
                                                      "it binds `/stack` inside an overlay"),
                           "%s", e2e_describe(r));
        if (rt == E2E_CRUN) {
                const char *nl = strchr(hook_err, '\n');
                cr_assert(nl && nl[1] == '\0', "the hook said more than one line:\n%s", hook_err);
        }
        e2e_expect_absent(o->upper, "stack");
        ovl_expect_layers_unchanged(l, listing);
}

E2E_TEST(overlay_volume, idmap_bind_of_a_directory_inside_an_overlay_is_refused_in_one_line_runc)
{
        bind_inside_overlay_is_refused(E2E_RUNC);
}

E2E_TEST(overlay_volume, idmap_bind_of_a_directory_inside_an_overlay_is_refused_in_one_line_crun)
{
        bind_inside_overlay_is_refused(E2E_CRUN);
}

/* A mount on the overlay (a tmpfs the test puts on /opaque, which the
 * runtime's rbind brings along) is carried onto the rebuilt overlay:
 * idmapped with it under `ridmap`, as it is, under `idmap`.  runc only:
 * crun 1.8.1 brings no submount along with the bind here (with or without
 * the hook, as in test_hook_bundle's ridmap test). */
static void volume_submount_is_carried(enum e2e_runtime rt, const char *opt, bool mapped)
{
        const char *host_before = e2e_host_mounts();
        struct ovl_layers *l = ovl_make_layers("vlayers", 2);
        struct ovl_rootfs *o = ovl_mount(l->lowerdir, "v", 0);
        const char *sub = ovl_mount_submount(o);
        const struct e2e_mount vol[] = { { "/vol", "bind", o->merged, E2E_ARGV("rbind", opt) } };

        struct e2e_result *r = run_bundle(&(struct e2e_bundle){
                .runtime = rt, .hook = E2E_WITH_HOOK, .rootfs = volume_rootfs(),
                .mounts = vol, .n_mounts = 1, .args = OVL_SHOW_SUBMOUNT,
        }, NULL);
        ovl_expect_submount_carried(r, mapped);
        cr_assert_eq(umount2(sub, 0), 0);
        e2e_expect_host_mounts(host_before);
}

E2E_TEST(overlay_volume, ridmap_volume_submount_is_carried_and_idmapped_runc)
{
        volume_submount_is_carried(E2E_RUNC, "ridmap", true);
}

E2E_TEST(overlay_volume, idmap_volume_submount_is_carried_as_it_is_runc)
{
        volume_submount_is_carried(E2E_RUNC, "idmap", false);
}
