/* Regression tests for attacks on "never loosen": a container with the hook
 * must keep every restriction the runtime set for it without the hook (read-
 * only mounts, nosuid/nodev/noexec, which mount sits where, who can read and
 * write what), under runc 1.1.5 and crun 1.8.1 alike.
 *
 * Each case makes the hook's job hard on purpose: the image or a volume
 * redirects a destination through symlinks, something swaps a destination
 * between the runtime's mounts and the hook, a destination goes through a
 * magic link, there are more mounts than a default fd limit, config.json is
 * one the runtime reads and a strict parser refuses, or the rootfs is the
 * host's own root.  Each runs the same container without the hook and with
 * it, and compares what the container saw and what the hook said; the
 * host's mount table must not change.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib_e2e.h"
#include "lib_loosen.h"
#include "oci/plan.h"

#define AUTO E2E_ARGV(ANNOTATION_ROOTFS, "auto")

static void must_symlink(const char *target, const char *link)
{
        cr_assert_eq(symlink(target, link), 0, "symlink `%s` -> `%s`: %s", link, target,
                     strerror(errno));
}

/* The hook acted: without an idmapped rootfs, a case that compares views
 * would pass for a hook that did nothing. */
static void expect_root_idmapped(const struct loosen_result *with)
{
        loosen_expect_ran(with);
        e2e_expect_idmapped(with->mountinfo, "/", true);
}

/* ---- 1, 2: an image symlink redirects a destination into another volume ----
 *
 * config.json mounts, in this order: a ro,nosuid volume at /ro5, a plain
 * bind at /data, a rw volume at /x.  The image has /data -> /x/sub; the
 * volume behind /x holds sub -> /ro5.  The runtime resolves /data when /x is
 * not mounted yet and binds it onto the image's /x/sub, which /x then
 * covers; at hook time /data leads through /x's volume to the /ro5 mount.
 * A hook that finds config.json mounts again by resolving their destinations
 * takes /ro5's mount for /data's. */
struct redirect {
        const char *rootfs, *ro5, *data, *x;
        struct e2e_mount mounts[3];
};

static const char *const ro_nosuid[] = { "rbind", "ro", "nosuid", NULL };
static const char *const plain[] = { "rbind", NULL };
static const char *const plain_idmap[] = { "rbind", "idmap", NULL };
static const char *const rw[] = { "rbind", "rw", NULL };

static void redirect_setup(struct redirect *s, bool idmap_data)
{
        s->rootfs = e2e_make_disk_rootfs();
        s->ro5 = e2e_make_volume("ro5-source");
        s->data = e2e_make_volume("data-source");
        s->x = e2e_make_volume("x-source");
        e2e_mkdirs(e2e_strf("%s/ro5", s->rootfs), 0755);
        /* The runtime binds /data onto the image's /x/sub: it must exist, a
         * user-namespaced runtime cannot create it in a root-owned dir. */
        e2e_mkdirs(e2e_strf("%s/x/sub", s->rootfs), 0755);
        must_symlink("/x/sub", e2e_strf("%s/data", s->rootfs));
        must_symlink("/ro5", e2e_strf("%s/sub", s->x));
        s->mounts[0] = (struct e2e_mount){ "/ro5", "bind", s->ro5, ro_nosuid };
        s->mounts[1] = (struct e2e_mount){ "/data", "bind", s->data,
                                           idmap_data ? plain_idmap : plain };
        s->mounts[2] = (struct e2e_mount){ "/x", "bind", s->x, rw };
}

static struct loosen_result *redirect_run(const struct redirect *s, enum e2e_runtime rt,
                                          enum e2e_hook hook, const char *script)
{
        return loosen_run(&(struct loosen_bundle){
                .runtime = rt, .hook = hook, .rootfs = s->rootfs,
                .mounts = s->mounts, .n_mounts = 3, .annotations = AUTO, .script = script,
        });
}

/* Case 1: the volume behind /ro5 is owned by the container's root, so only
 * "ro" stops its writes. */
static void ro_volume_stays_read_only_through_redirect(enum e2e_runtime rt)
{
        const char *before = e2e_host_mounts();
        struct redirect s;
        const char *script = "touch /ro5/w; touch /data/w";

        redirect_setup(&s, false);
        e2e_shift_tree(s.ro5, E2E_HOST_BASE);
        struct loosen_result *without = redirect_run(&s, rt, E2E_WITHOUT_HOOK, script);
        cr_assert(strstr(without->probe, "/ro5/w: Read-only file system"), "%s",
                  loosen_describe(without));
        struct loosen_result *with = redirect_run(&s, rt, E2E_WITH_HOOK, script);

        expect_root_idmapped(with);
        loosen_expect_same_outcome(without, with);
        loosen_expect_mount(with, "/ro5", E2E_RO | E2E_NOSUID, false);
        e2e_expect_absent(s.ro5, "w");
        e2e_expect_host_mounts(before);
}

E2E_TEST(never_loosen, ro_volume_stays_read_only_when_an_image_symlink_redirects_a_later_destination_runc)
{
        ro_volume_stays_read_only_through_redirect(E2E_RUNC);
}

E2E_TEST(never_loosen, ro_volume_stays_read_only_when_an_image_symlink_redirects_a_later_destination_crun)
{
        ro_volume_stays_read_only_through_redirect(E2E_CRUN);
}

/* Case 2: /data asks idmap.  The volume behind /ro5 is owned by root on the
 * host and holds a 0600 file: the container's root must not read it, nor
 * write to /ro5, nor see /ro5 idmapped. */
static void unasked_volume_stays_unmapped_through_redirect(enum e2e_runtime rt)
{
        const char *before = e2e_host_mounts();
        struct redirect s;
        const char *script = "touch /ro5/w; cat /ro5/secret; touch /data/w";

        redirect_setup(&s, true);
        e2e_write_file(e2e_strf("%s/secret", s.ro5), "root only\n");
        cr_assert_eq(chmod(e2e_strf("%s/secret", s.ro5), 0600), 0);
        struct loosen_result *without = redirect_run(&s, rt, E2E_WITHOUT_HOOK, script);
        cr_assert(strstr(without->probe, "'/ro5/secret': Permission denied"), "%s",
                  loosen_describe(without));
        struct loosen_result *with = redirect_run(&s, rt, E2E_WITH_HOOK, script);

        e2e_expect_host_mounts(before);
        /* idmap was asked: where the hook cannot find /data's mount for
         * sure, it may refuse the container, with one line. */
        if (loosen_refused_with_one_line(with, "/data"))
                return;
        expect_root_idmapped(with);
        loosen_expect_same_outcome(without, with);
        loosen_expect_mount(with, "/ro5", E2E_RO | E2E_NOSUID, false);
        /* /data's own mount sits at /x/sub, under /x. */
        loosen_expect_idmapped_only(without, with, E2E_ARGV("/", "/x/sub"));
        e2e_expect_absent(s.ro5, "w");
}

E2E_TEST(never_loosen, idmap_asked_through_a_redirecting_symlink_leaves_the_ro_volume_unmapped_and_read_only_runc)
{
        unasked_volume_stays_unmapped_through_redirect(E2E_RUNC);
}

E2E_TEST(never_loosen, idmap_asked_through_a_redirecting_symlink_leaves_the_ro_volume_unmapped_and_read_only_crun)
{
        unasked_volume_stays_unmapped_through_redirect(E2E_CRUN);
}

/* ---- 3: a destination swapped for a symlink after the runtime's mounts ----
 *
 * A hook of the test's own runs before the project's hook (config.json lists
 * it first) and, from the host's side, renames the ro volume's mount point
 * /rovol to /rovol.moved and puts a symlink /rovol -> /vol in its place.
 * The ro volume's mount goes with its directory; /rovol now leads to the rw
 * volume /vol, which asked for nothing.  The hook must find the runtime's
 * mounts as the runtime made them, not by their destinations' paths. */
static const char *const ro_idmap[] = { "rbind", "ro", "idmap", NULL };

static struct loosen_result *swapped_run(enum e2e_runtime rt, enum e2e_hook hook,
                                         const char *rovol, const char *vol, const char *script)
{
        const char *rootfs = e2e_strf("%s/rootfs-%s", e2e_disk_dir(),
                                      hook == E2E_WITH_HOOK ? "hook" : "nohook");
        const struct e2e_mount mounts[] = {
                { "/rovol", "bind", rovol, ro_idmap },
                { "/vol", "bind", vol, rw },
        };
        /* Each run gets a rootfs of its own: the swap stays on disk. */
        e2e_make_rootfs(rootfs);
        const char *swap = loosen_script(e2e_strf("swap-%s.sh", strrchr(rootfs, '/') + 1),
                                         e2e_strf("cat >/dev/null\n"
                                                  "cd %s && mv rovol rovol.moved && ln -s /vol rovol\n",
                                                  rootfs));
        return loosen_run(&(struct loosen_bundle){
                .runtime = rt, .hook = hook, .rootfs = rootfs, .mounts = mounts, .n_mounts = 2,
                .annotations = AUTO, .script = script, .pre_hooks = E2E_ARGV(swap),
        });
}

static void swapped_destination_keeps_ro_and_maps_nothing_unasked(enum e2e_runtime rt)
{
        const char *before = e2e_host_mounts();
        const char *rovol = e2e_make_volume("rovol-source"), *vol = e2e_make_volume("vol-source");
        const char *script = "touch /rovol.moved/w; touch /rovol/w; cat /vol/secret; "
                             "readlink /rovol";

        e2e_write_file(e2e_strf("%s/secret", vol), "root only\n");
        cr_assert_eq(chmod(e2e_strf("%s/secret", vol), 0600), 0);
        struct loosen_result *without = swapped_run(rt, E2E_WITHOUT_HOOK, rovol, vol, script);
        cr_assert(strstr(without->probe, "/rovol.moved/w: Read-only file system") &&
                  strstr(without->probe, "'/vol/secret': Permission denied"), "%s",
                  loosen_describe(without));
        struct loosen_result *with = swapped_run(rt, E2E_WITH_HOOK, rovol, vol, script);

        e2e_expect_host_mounts(before);
        /* idmap was asked on /rovol, whose mount moved: refusing, with one
         * line, is fine. */
        if (loosen_refused_with_one_line(with, "/rovol"))
                return;
        expect_root_idmapped(with);
        loosen_expect_same_outcome(without, with);
        struct e2e_mount_view *v = e2e_mount_view_parse(with->mountinfo);
        e2e_expect_mount_flags(v, "/rovol.moved", E2E_RO, with->mountinfo);
        loosen_expect_idmapped_only(without, with, E2E_ARGV("/", "/rovol.moved"));
        e2e_expect_absent(rovol, "w");
        e2e_expect_absent(vol, "w");
}

E2E_TEST(never_loosen, ro_volume_swapped_for_a_symlink_before_the_hook_stays_read_only_and_nothing_unasked_is_idmapped_runc)
{
        swapped_destination_keeps_ro_and_maps_nothing_unasked(E2E_RUNC);
}

E2E_TEST(never_loosen, ro_volume_swapped_for_a_symlink_before_the_hook_stays_read_only_and_nothing_unasked_is_idmapped_crun)
{
        swapped_destination_keeps_ro_and_maps_nothing_unasked(E2E_CRUN);
}

/* ---- 3b: a volume whose destination goes through an image symlink ------------
 *
 * The image has /var/run -> /run, as most do; the volume's destination is
 * /var/run/x (Kubernetes mounts /var/run/secrets/kubernetes.io/serviceaccount
 * read-only so).  The runtime resolves the symlink and mounts at /run/x, so
 * nothing is at the destination in the mount table.  The hook pairs the
 * entry with the runtime's mount by its source, the only mount of the
 * rootfs tree that shows it; under crun, which sets a volume's flags after
 * the hooks on the old tree, it then carries them onto the copy and the
 * rootfs is idmapped, where it used to be left alone. */
static const char *const ro_all[] = { "rbind", "ro", "nosuid", "nodev", "noexec", NULL };

static const char *var_run_rootfs(void)
{
        const char *rootfs = e2e_make_disk_rootfs();

        e2e_mkdirs(e2e_strf("%s/var", rootfs), 0755);
        must_symlink("/run", e2e_strf("%s/var/run", rootfs));
        /* a user-namespaced runtime cannot make them in the root-owned image */
        e2e_mkdirs(e2e_strf("%s/run/x", rootfs), 0755);
        e2e_mkdirs(e2e_strf("%s/run/y", rootfs), 0755);
        return rootfs;
}

static void ro_volume_through_var_run_is_carried(enum e2e_runtime rt)
{
        const char *before = e2e_host_mounts();
        const char *vol = e2e_make_volume("secrets-source");
        const struct e2e_mount mounts[] = { { "/var/run/x", "bind", vol, ro_all } };
        struct loosen_bundle b = {
                .runtime = rt, .rootfs = var_run_rootfs(), .mounts = mounts, .n_mounts = 1,
                .annotations = AUTO, .script = "cat /var/run/x/f; touch /var/run/x/w; stat -c %u /",
        };

        /* owned by the container's root: only "ro" stops its writes */
        e2e_shift_tree(vol, E2E_HOST_BASE);
        b.hook = E2E_WITHOUT_HOOK;
        struct loosen_result *without = loosen_run(&b);
        cr_assert(strstr(without->probe, "data\n") &&
                  strstr(without->probe, "/var/run/x/w: Read-only file system"), "%s",
                  loosen_describe(without));
        b.hook = E2E_WITH_HOOK;
        struct loosen_result *with = loosen_run(&b);

        expect_root_idmapped(with);
        cr_assert(strstr(with->probe, "/var/run/x/w: Read-only file system\n0\n"),
                  "the volume stays read-only, the rootfs is owned by 0 inside:\n%s",
                  loosen_describe(with));
        e2e_expect_same_view(without->mountinfo, with->mountinfo);
        loosen_expect_mount(with, "/run/x", E2E_RO | E2E_NOSUID | E2E_NODEV | E2E_NOEXEC, false);
        loosen_expect_idmapped_only(without, with, E2E_ARGV("/"));
        e2e_expect_absent(vol, "w");
        e2e_expect_host_mounts(before);
}

E2E_TEST(never_loosen, ro_volume_through_an_image_var_run_symlink_keeps_its_flags_and_the_rootfs_is_idmapped_runc)
{
        ro_volume_through_var_run_is_carried(E2E_RUNC);
}

E2E_TEST(never_loosen, ro_volume_through_an_image_var_run_symlink_keeps_its_flags_and_the_rootfs_is_idmapped_crun)
{
        ro_volume_through_var_run_is_carried(E2E_CRUN);
}

E2E_TEST(never_loosen, ro_volume_through_an_image_var_run_symlink_keeps_its_flags_and_the_rootfs_is_idmapped_crun_1_27)
{
        ro_volume_through_var_run_is_carried(E2E_CRUN_CURRENT);
}

/* The volume asks for an idmap: runc 1.1.5 ignores the option, so without
 * the hook the container sees the files as 65534; with it, as 0, and what
 * it writes there is 0's on disk.  crun 1.8.1 maps such a volume itself. */
static void idmap_volume_through_var_run_is_idmapped(enum e2e_runtime rt)
{
        const char *before = e2e_host_mounts();
        const char *vol = e2e_make_volume("idmap-source");
        const struct e2e_mount mounts[] = { { "/var/run/x", "bind", vol, plain_idmap } };
        struct loosen_bundle b = {
                .runtime = rt, .rootfs = var_run_rootfs(), .mounts = mounts, .n_mounts = 1,
                .annotations = AUTO, .script = "stat -c %u /var/run/x/f; touch /var/run/x/w",
        };

        b.hook = E2E_WITHOUT_HOOK;
        struct loosen_result *without = loosen_run(&b);
        loosen_expect_ran(without);
        b.hook = E2E_WITH_HOOK;
        struct loosen_result *with = loosen_run(&b);

        expect_root_idmapped(with);
        cr_assert_str_eq(with->probe, "0\n", "%s", loosen_describe(with));
        e2e_expect_same_view(without->mountinfo, with->mountinfo);
        loosen_expect_mount(with, "/run/x", 0, true);
        loosen_expect_idmapped_only(without, with, E2E_ARGV("/", "/run/x"));
        e2e_expect_owner(vol, "w", 0);
        e2e_expect_host_mounts(before);
}

E2E_TEST(never_loosen, idmap_volume_through_an_image_var_run_symlink_is_idmapped_runc)
{
        idmap_volume_through_var_run_is_idmapped(E2E_RUNC);
}

E2E_TEST(never_loosen, idmap_volume_through_an_image_var_run_symlink_is_idmapped_crun)
{
        idmap_volume_through_var_run_is_idmapped(E2E_CRUN);
}

E2E_TEST(never_loosen, idmap_volume_through_an_image_var_run_symlink_is_idmapped_crun_1_27)
{
        idmap_volume_through_var_run_is_idmapped(E2E_CRUN_CURRENT);
}

/* Two volumes bind one source through the symlink: each mount shows the
 * same, so neither pairs, as before.  Under crun the rootfs is left alone
 * (their flags could not be carried), under runc it is idmapped; an idmap
 * asked on one of them is refused in one line. */
static void one_source_twice_through_var_run_pairs_neither(enum e2e_runtime rt, bool idmap)
{
        const char *before = e2e_host_mounts();
        const char *vol = e2e_make_volume("twice-source");
        const struct e2e_mount mounts[] = {
                { "/var/run/x", "bind", vol, ro_all },
                { "/var/run/y", "bind", vol, idmap ? plain_idmap : ro_all },
        };
        struct loosen_bundle b = {
                .runtime = rt, .rootfs = var_run_rootfs(), .mounts = mounts, .n_mounts = 2,
                .annotations = AUTO, .script = "touch /run/x/w /run/y/w2",
        };

        e2e_shift_tree(vol, E2E_HOST_BASE);
        b.hook = E2E_WITHOUT_HOOK;
        struct loosen_result *without = loosen_run(&b);
        loosen_expect_ran(without);
        b.hook = E2E_WITH_HOOK;
        struct loosen_result *with = loosen_run(&b);

        e2e_expect_host_mounts(before);
        if (idmap) {
                cr_assert(loosen_refused_with_one_line(with, "/var/run/y"), "%s",
                          loosen_describe(with));
                cr_assert(strstr(with->hook_err, "no mount of its source pairs with it one to one"),
                          "%s", loosen_describe(with));
                return;
        }
        loosen_expect_same_outcome(without, with);
        e2e_expect_idmapped(with->mountinfo, "/", rt == E2E_RUNC);
        if (rt == E2E_CRUN)
                cr_assert(strstr(with->hook_err, " /var/run/x: nothing is mounted at its destination") && strstr(with->hook_err, "one to one"), "%s",
                          loosen_describe(with));
        loosen_expect_mount(with, "/run/x", E2E_RO | E2E_NOSUID | E2E_NODEV | E2E_NOEXEC, false);
        loosen_expect_mount(with, "/run/y", E2E_RO | E2E_NOSUID | E2E_NODEV | E2E_NOEXEC, false);
        e2e_expect_absent(vol, "w");
        e2e_expect_absent(vol, "w2");
}

E2E_TEST(never_loosen, one_source_bound_twice_through_an_image_symlink_pairs_neither_runc)
{
        one_source_twice_through_var_run_pairs_neither(E2E_RUNC, false);
}

E2E_TEST(never_loosen, one_source_bound_twice_through_an_image_symlink_pairs_neither_crun)
{
        one_source_twice_through_var_run_pairs_neither(E2E_CRUN, false);
}

E2E_TEST(never_loosen, idmap_on_one_source_bound_twice_through_an_image_symlink_is_refused_runc)
{
        one_source_twice_through_var_run_pairs_neither(E2E_RUNC, true);
}

/* ---- 4: a destination reached through a magic link -------------------------
 *
 * runc resolves a destination's symlinks itself, inside the rootfs: the
 * container's /proc/self is its own pid, and /proc/<pid>/root reads as "/",
 * so "/proc/self/root/vol" lands on the rootfs's /vol.  The hook must start
 * such a container as the runtime does without it. */
static struct loosen_result *magic_run(enum e2e_runtime rt, enum e2e_hook hook, const char *rootfs,
                                       const char *vol, const char *dest)
{
        const struct e2e_mount mounts[] = { { dest, "bind", vol, rw } };

        return loosen_run(&(struct loosen_bundle){
                .runtime = rt, .hook = hook, .rootfs = rootfs, .mounts = mounts, .n_mounts = 1,
                .annotations = AUTO, .script = "touch /vol/w; ls /vol",
        });
}

static void magic_link_destination_starts_as_without_hook(enum e2e_runtime rt, const char *dest)
{
        const char *before = e2e_host_mounts();
        const char *rootfs = e2e_make_disk_rootfs(), *vol = e2e_make_volume("vol-source");

        e2e_shift_tree(vol, E2E_HOST_BASE);
        struct loosen_result *without = magic_run(rt, E2E_WITHOUT_HOOK, rootfs, vol, dest);
        struct loosen_result *with = magic_run(rt, E2E_WITH_HOOK, rootfs, vol, dest);

        /* The runtime takes it: else there would be nothing to compare. */
        loosen_expect_ran(without);
        expect_root_idmapped(with);
        loosen_expect_same_outcome(without, with);
        e2e_expect_host_mounts(before);
}

E2E_TEST(never_loosen, destination_through_proc_self_root_starts_with_the_hook_as_without_it_runc)
{
        magic_link_destination_starts_as_without_hook(E2E_RUNC, "/proc/self/root/vol");
}

E2E_TEST(never_loosen, destination_through_proc_1_root_starts_with_the_hook_as_without_it_runc)
{
        magic_link_destination_starts_as_without_hook(E2E_RUNC, "/proc/1/root/vol");
}

/* No crun cases: crun 1.8.1 refuses both destinations itself ("openat2
 * `proc/self/root`: Invalid cross-device link") before any hook runs. */

/* ---- 5: more config.json mounts than a default fd limit -----------------------
 *
 * 1100 small tmpfs mounts, and the runtime (hence the hook it starts) runs
 * with a soft RLIMIT_NOFILE of 1024, a common default.  The container must
 * start with the hook as without it, every mount keeping its flags, and the
 * rootfs idmapped. */
#define MANY_MOUNTS 1100

static const char *const small_tmpfs[] = { "nosuid", "nodev", "noexec", "size=16k", NULL };

static void many_mounts_start_under_a_low_fd_limit(enum e2e_runtime rt)
{
        const char *before = e2e_host_mounts();
        const char *rootfs = e2e_make_disk_rootfs();
        struct e2e_mount *mounts = calloc(MANY_MOUNTS, sizeof(*mounts));

        cr_assert_not_null(mounts);
        for (unsigned i = 0; i < MANY_MOUNTS; i++) {
                const char *dest = e2e_strf("/m/%04u", i);

                /* A user-namespaced runtime cannot create the mount points
                 * in the root-owned image. */
                e2e_mkdirs(e2e_strf("%s%s", rootfs, dest), 0755);
                mounts[i] = (struct e2e_mount){ dest, "tmpfs", "tmpfs", small_tmpfs };
        }
        struct loosen_bundle b = {
                .runtime = rt, .rootfs = rootfs, .mounts = mounts, .n_mounts = MANY_MOUNTS,
                .annotations = AUTO, .nofile_soft = 1024,
                .script = "ls /m | wc -l; touch /m/0000/w /m/1099/w && echo written",
        };
        b.hook = E2E_WITHOUT_HOOK;
        struct loosen_result *without = loosen_run(&b);
        cr_assert_str_eq(without->probe, e2e_strf("%u\nwritten\n", MANY_MOUNTS), "%s",
                         loosen_describe(without));
        b.hook = E2E_WITH_HOOK;
        struct loosen_result *with = loosen_run(&b);
        free(mounts);

        expect_root_idmapped(with);
        loosen_expect_same_outcome(without, with);
        e2e_expect_host_mounts(before);
}

E2E_TEST(never_loosen, eleven_hundred_mounts_start_with_the_hook_under_a_soft_fd_limit_of_1024_runc)
{
        many_mounts_start_under_a_low_fd_limit(E2E_RUNC);
}

E2E_TEST(never_loosen, eleven_hundred_mounts_start_with_the_hook_under_a_soft_fd_limit_of_1024_crun)
{
        many_mounts_start_under_a_low_fd_limit(E2E_CRUN);
}

/* ---- 6: ridmap over 2000 nested bind mounts ---------------------------------
 *
 * The volume's source holds 100 chains of 20 bind mounts, each nested in the
 * one before (made in this test's private namespace, where the runtime
 * runs).  Every mount the container gets below /vol must be idmapped exactly
 * once, whatever else is there: an rbind's submounts are locked to their
 * parent in the container's user namespace, so an idmapped clone may cover
 * the runtime's mount rather than replace it.  The hook's time is logged,
 * not asserted.  crun 1.8.1 drops an rbind's submounts in a user-namespaced
 * container: there, /vol alone is there to map. */
#define NEST_CHAINS 100
#define NEST_DEPTH 20

static const char *const rw_ridmap[] = { "rbind", "rw", "ridmap", NULL };

/* The deepest mount point of chain `k`, below `top`. */
static const char *nest_path(const char *top, unsigned k)
{
        const char *p = e2e_strf("%s/c%02u", top, k);

        for (unsigned level = 1; level < NEST_DEPTH; level++)
                p = e2e_strf("%s/d", p);
        return p;
}

/* Each level binds `src` (which holds d/ and f) onto the d/ the level
 * before it brought. */
static void make_nested_binds(const char *vol, const char *src)
{
        e2e_mkdirs(e2e_strf("%s/d", src), 0755);
        for (unsigned k = 0; k < NEST_CHAINS; k++) {
                const char *p = e2e_strf("%s/c%02u", vol, k);

                e2e_mkdirs(p, 0755);
                for (unsigned level = 0; level < NEST_DEPTH; level++, p = e2e_strf("%s/d", p))
                        cr_assert_eq(mount(src, p, NULL, MS_BIND, NULL), 0, "bind `%s` on `%s`: %s",
                                     src, p, strerror(errno));
        }
}

static bool below(const char *point, const char *top)
{
        size_t n = strlen(top);

        return strncmp(point, top, n) == 0 && (point[n] == '\0' || point[n] == '/');
}

/* The view without the mounts at and below `top`. */
static struct e2e_mount_view *view_outside(const char *mountinfo, const char *top)
{
        struct e2e_mount_view *v = e2e_mount_view_parse(mountinfo);
        size_t k = 0;

        for (size_t i = 0; i < v->n; i++)
                if (!below(v->m[i].point, top))
                        v->m[k++] = v->m[i];
        v->n = k;
        return v;
}

/* Every point at or below `top` that the run without the hook has: with it,
 * exactly one mount, idmapped, with the flags the runtime's had: the tree
 * is cloned and idmapped in one call and swapped in whole, locked submounts
 * and all.  Clones of clones piled up there would be mounts the container
 * never asked for. */
static void expect_subtree_idmapped_once(const struct loosen_result *without,
                                         const struct loosen_result *with, const char *top)
{
        struct e2e_mount_view *a = e2e_mount_view_parse(without->mountinfo);
        struct e2e_mount_view *b = e2e_mount_view_parse(with->mountinfo);
        const char *diff = e2e_mount_view_diff(view_outside(without->mountinfo, top),
                                               view_outside(with->mountinfo, top));
        const struct e2e_view_mount *m[64];
        size_t points = 0, total = 0, most = 0, not_once = 0, lost = 0;
        const char *first_bad = NULL;

        cr_assert_null(diff, "the mounts outside %s differ with the hook:\n%s", top, diff);
        for (size_t i = 0; i < a->n; i++) {
                size_t n, mapped = 0;

                if (!below(a->m[i].point, top))
                        continue;
                points++;
                n = e2e_mount_view_find(b, a->m[i].point, m, 64);
                total += n;
                most = n > most ? n : most;
                for (size_t k = 0; k < n && k < 64; k++)
                        mapped += m[k]->idmapped;
                if (n == 0 || n > 64 || mapped != 1 || !m[n - 1]->idmapped) {
                        not_once++;
                        first_bad = first_bad ? first_bad : e2e_strf("%s (%zu mounts, %zu idmapped)",
                                                                    a->m[i].point, n, mapped);
                } else if (a->m[i].flags & ~m[n - 1]->flags) {
                        lost++;
                        first_bad = first_bad ? first_bad : e2e_strf("%s (flags %s -> %s)",
                                                                    a->m[i].point, a->m[i].options,
                                                                    m[n - 1]->options);
                }
        }
        cr_log_info("%zu mount points at or below %s; with the hook %zu mounts there, at most "
                    "%zu at one point", points, top, total, most);
        cr_assert(not_once == 0 && lost == 0 && most == 1,
                  "below %s, of %zu points: %zu not idmapped exactly once, %zu lost "
                  "flags; %zu mounts in all with the hook, up to %zu at one point; first: %s",
                  top, points, not_once, lost, total, most, first_bad ? first_bad : "-");
}

static void ridmap_over_nested_binds_maps_each_once(enum e2e_runtime rt)
{
        const char *before = e2e_host_mounts();
        const char *rootfs = e2e_make_disk_rootfs();
        const char *vol = e2e_make_volume("vol-source"), *src = e2e_make_volume("nest-source");
        const char *deep = nest_path("/vol", NEST_CHAINS - 1);
        const struct e2e_mount mounts[] = { { "/vol", "bind", vol, rw_ridmap } };

        make_nested_binds(vol, src);
        struct loosen_bundle b = {
                .runtime = rt, .rootfs = rootfs, .mounts = mounts, .n_mounts = 1,
                .annotations = AUTO, .timeout_s = 600,
                .script = e2e_strf("stat -c %%u /vol/f; if [ -d %s ]; then stat -c %%u %s/f; "
                                   "touch %s/new; fi", deep, deep, deep),
        };
        b.hook = E2E_WITHOUT_HOOK;
        struct loosen_result *without = loosen_run(&b);
        loosen_expect_ran(without);
        b.hook = E2E_WITH_HOOK;
        struct loosen_result *with = loosen_run(&b);

        cr_log_info("%s: the hook ran %.0f ms (exit %d) over %u nested mounts", e2e_runtime_name(rt),
                    with->hook_ms, with->hook_status, NEST_CHAINS * NEST_DEPTH);
        expect_root_idmapped(with);
        expect_subtree_idmapped_once(without, with, "/vol");
        /* Owner 0 inside, and what root writes deep down is 0's on disk. */
        cr_assert(strncmp(with->probe, "0\n", 2) == 0, "%s", loosen_describe(with));
        if (strstr(without->probe, "\n")[1] != '\0') {
                cr_assert_str_eq(with->probe, "0\n0\n", "%s", loosen_describe(with));
                e2e_expect_owner(src, "new", 0);
        }
        e2e_expect_host_mounts(before);
}

E2E_TEST(never_loosen, ridmap_over_2000_nested_bind_mounts_idmaps_each_exactly_once_runc)
{
        ridmap_over_nested_binds_maps_each_once(E2E_RUNC);
}

E2E_TEST(never_loosen, ridmap_over_2000_nested_bind_mounts_idmaps_each_exactly_once_crun)
{
        ridmap_over_nested_binds_maps_each_once(E2E_CRUN);
}

/* ---- 7: a config.json the runtime reads and a strict parser refuses --------
 *
 * The annotation asks for an idmapped rootfs explicitly.  config.json holds
 * what runc (and crun, for deep nesting) accepts but a strict JSON parser
 * may refuse: a byte that is not UTF-8 inside a string, or keys nested 100
 * deep in an extension field no one reads.  The container must start with /
 * owned by 0, or not start, with one clear line from the hook; it must never
 * start as if nothing had been asked, with / owned by 65534. */
static const char *nested_extension(unsigned depth)
{
        const char *v = "\"deep\"";

        for (unsigned i = 0; i < depth; i++)
                v = e2e_strf("{\"k\":%s}", v);
        return e2e_strf("\"org.example.extension\":%s", v);
}

static void asked_rootfs_is_mapped_or_refused(enum e2e_runtime rt, const char *const *extra_env,
                                              const char *extra_members)
{
        const char *before = e2e_host_mounts();
        struct loosen_bundle b = {
                .runtime = rt, .rootfs = e2e_make_disk_rootfs(),
                .annotations = E2E_ARGV(ANNOTATION_ROOTFS, "true"),
                .extra_env = extra_env, .extra_members = extra_members,
                .script = "stat -c %u /",
        };
        b.hook = E2E_WITHOUT_HOOK;
        struct loosen_result *without = loosen_run(&b);
        b.hook = E2E_WITH_HOOK;
        struct loosen_result *with = loosen_run(&b);

        if (without->r->status != 0)
                cr_log_info("%s itself refuses this config.json: %s", e2e_runtime_name(rt),
                            without->r->err);
        if (with->r->status == 0) {
                cr_assert(without->r->status == 0, "the runtime refuses it alone, yet with the "
                          "hook it ran:\n%s", loosen_describe(with));
                cr_assert_str_eq(with->probe, "0\n", "asked for, the rootfs must be owned by 0 "
                                 "inside:\n%s", loosen_describe(with));
                e2e_expect_idmapped(with->mountinfo, "/", true);
                e2e_expect_same_view(without->mountinfo, with->mountinfo);
        } else if (without->r->status == 0) {
                /* The runtime would run it: the hook refused, and says why. */
                loosen_refused_with_one_line(with, "config.json");
        }
        e2e_expect_host_mounts(before);
}

E2E_TEST(never_loosen, rootfs_asked_true_is_owned_by_0_or_refused_when_config_has_invalid_utf8_runc)
{
        asked_rootfs_is_mapped_or_refused(E2E_RUNC, E2E_ARGV("BAD=\xff\xfe"), NULL);
}

/* No crun case: crun 1.8.1 refuses such a config.json itself ("lexical
 * error: invalid bytes in UTF8 string"), so the hook never runs there and a
 * test of it could not fail. */

E2E_TEST(never_loosen, rootfs_asked_true_is_owned_by_0_or_refused_when_config_nests_100_deep_runc)
{
        asked_rootfs_is_mapped_or_refused(E2E_RUNC, NULL, nested_extension(100));
}

E2E_TEST(never_loosen, rootfs_asked_true_is_owned_by_0_or_refused_when_config_nests_100_deep_crun)
{
        asked_rootfs_is_mapped_or_refused(E2E_CRUN, NULL, nested_extension(100));
}

/* ---- 8: a config.json that is a FIFO ------------------------------------------
 *
 * Opening a FIFO for reading waits for a writer, which never comes: a hook
 * that opens config.json plainly hangs the runtime with it.  Driven directly
 * with a state on stdin naming the bundle; bounded by a timeout. */
#define FIFO_TIMEOUT_S 10

E2E_TEST(never_loosen, config_json_that_is_a_fifo_is_refused_at_once_with_one_line)
{
        const char *bundle = e2e_strf("%s/fifo-bundle", e2e_work_dir());
        const char *state = e2e_strf("%s/fifo-state.json", e2e_work_dir());
        struct e2e_proc p;

        e2e_mkdirs(bundle, 0755);
        cr_assert_eq(mkfifo(e2e_strf("%s/config.json", bundle), 0644), 0, "mkfifo: %s",
                     strerror(errno));
        e2e_write_file(state, e2e_strf("{\"ociVersion\":\"1.0.2\",\"id\":\"fifo-config\","
                                       "\"status\":\"creating\",\"pid\":%d,\"bundle\":\"%s\","
                                       "\"annotations\":{\"" ANNOTATION_ROOTFS "\":\"true\"}}",
                                       (int)getpid(), bundle));
        e2e_start(&p, E2E_SH(e2e_strf("exec %s createRuntime <%s", HOOK_BIN, state)));
        struct e2e_result *r = e2e_finish(&p, FIFO_TIMEOUT_S);

        cr_assert(!r->timed_out, "the hook blocked on the FIFO for %d s:\n%s", FIFO_TIMEOUT_S,
                  e2e_describe(r));
        cr_assert_neq(r->status, 0, "%s", e2e_describe(r));
        const char *nl = strchr(r->err, '\n');
        cr_assert(strstr(r->err, "config.json") && nl && nl[1] == '\0',
                  "one line naming config.json expected:\n%s", e2e_describe(r));
        cr_assert_str_eq(r->out, "", "%s", e2e_describe(r));
}

/* ---- 9: the host's own root as the rootfs ---------------------------------------
 *
 * A rootfs that is the host's / (a bind of it: same device and inode) is
 * owned by 0, so `auto` would idmap it, and the container's root would own
 * the host's files: /etc/shadow among them.  It must be refused with one
 * clear line instead.  The bind is made read-only, in this test's private
 * namespace only, on the work dir's tmpfs (never below the disk dir, whose
 * removal stays on one device: the host root's), and config.json asks for a
 * read-only root: even a hook that maps it cannot write to the host. */
static void host_root_as_rootfs_is_refused(enum e2e_runtime rt)
{
        const char *before = e2e_host_mounts();
        const char *hostroot = e2e_strf("%s/hostroot", e2e_work_dir());
        struct stat root, bound;

        e2e_mkdirs(hostroot, 0755);
        cr_assert_eq(mount("/", hostroot, NULL, MS_BIND, NULL), 0, "bind / on `%s`: %s", hostroot,
                     strerror(errno));
        cr_assert_eq(mount(NULL, hostroot, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL), 0,
                     "make `%s` read-only: %s", hostroot, strerror(errno));
        cr_assert(stat("/", &root) == 0 && stat(hostroot, &bound) == 0 &&
                  root.st_dev == bound.st_dev && root.st_ino == bound.st_ino);

        struct loosen_bundle b = {
                .runtime = rt, .rootfs = hostroot, .readonly_root = true, .annotations = AUTO,
                .script = "stat -c %u /etc/shadow; cat /etc/shadow >/dev/null && echo READ",
        };
        b.hook = E2E_WITHOUT_HOOK;
        struct loosen_result *without = loosen_run(&b);
        b.hook = E2E_WITH_HOOK;
        struct loosen_result *with = loosen_run(&b);
        umount2(hostroot, MNT_DETACH);
        e2e_expect_host_mounts(before);

        cr_assert(strncmp(without->probe, "65534\n", 6) == 0 && !strstr(without->probe, "READ"),
                  "without the hook the host's files are nobody's:\n%s", loosen_describe(without));
        cr_assert(!strstr(with->probe, "READ") && strncmp(with->probe, "0\n", 2) != 0,
                  "the container's root owns the host's /etc/shadow:\n%s", loosen_describe(with));
        cr_assert(loosen_refused_with_one_line(with, hostroot),
                  "the host's root as rootfs must be refused:\n%s", loosen_describe(with));
}

E2E_TEST(never_loosen, rootfs_that_is_the_host_root_is_refused_under_auto_runc)
{
        host_root_as_rootfs_is_refused(E2E_RUNC);
}

E2E_TEST(never_loosen, rootfs_that_is_the_host_root_is_refused_under_auto_crun)
{
        host_root_as_rootfs_is_refused(E2E_CRUN);
}

/* ---- 10: errors that say what is known --------------------------------------------
 *
 * A tmpfs the runtime mounted from inside the container's user namespace
 * belongs to that namespace, and the kernel refuses to idmap a mount of a
 * filesystem that does not belong to the initial one; tmpfs itself can be
 * idmapped.  Asked for a mapping on one (runtime-spec 1.1 uidMappings of its
 * own, which runc 1.1.5 ignores; it refuses the idmap option on a tmpfs
 * itself), the hook may refuse, but its line must name the mount and must
 * not blame the filesystem type as a certainty. */
static const char *const small_tmpfs_rw[] = { "nosuid", "nodev", "size=64k", NULL };

static void userns_tmpfs_idmap_error_says_what_is_known(enum e2e_runtime rt)
{
        const char *before = e2e_host_mounts();
        const struct e2e_mount mounts[] = {
                { "/vol", "tmpfs", "tmpfs", small_tmpfs_rw, .mapping = "0:100000:65536" },
        };
        struct loosen_bundle b = {
                .runtime = rt, .rootfs = e2e_make_disk_rootfs(), .mounts = mounts, .n_mounts = 1,
                .annotations = AUTO, .script = "touch /vol/w && stat -c %u /vol/w",
        };
        b.hook = E2E_WITHOUT_HOOK;
        struct loosen_result *without = loosen_run(&b);
        b.hook = E2E_WITH_HOOK;
        struct loosen_result *with = loosen_run(&b);

        if (without->r->status != 0)
                cr_log_info("%s refuses idmap on a tmpfs itself: %s", e2e_runtime_name(rt),
                            without->r->err);
        if (with->r->status == 0) {
                expect_root_idmapped(with);
                loosen_expect_same_outcome(without, with);
        } else if (without->r->status == 0) {
                loosen_refused_with_one_line(with, "/vol");
                cr_assert_null(strstr(with->hook_err, "filesystem tmpfs cannot be idmapped"),
                               "tmpfs can be idmapped; this one belongs to the container's user "
                               "namespace:\n%s", loosen_describe(with));
        }
        e2e_expect_host_mounts(before);
}

E2E_TEST(never_loosen, idmap_on_a_tmpfs_of_the_containers_user_namespace_does_not_blame_tmpfs_runc)
{
        userns_tmpfs_idmap_error_says_what_is_known(E2E_RUNC);
}

/* No crun case: crun 1.8.1 refuses a tmpfs with mappings of its own (and
 * one with the idmap option) itself ("open `tmpfs`: Bad file descriptor"),
 * before any hook runs, so a test of the hook there could not fail. */

/* A hook of the test's own kills the container's init before the project's
 * hook runs (the init stays a zombie: the runtime reaps it only later).
 * That is the mount work failing, exit 1, with the container named: not a
 * refused input (exit 3). */
static void dead_init_is_a_failure_naming_the_container(enum e2e_runtime rt)
{
        const char *before = e2e_host_mounts();
        const char *killer = loosen_script(
                e2e_strf("kill-init-%s.sh", e2e_runtime_name(rt)),
                "pid=$(sed -n 's/.*\"pid\": *\\([0-9][0-9]*\\).*/\\1/p')\n"
                "kill -9 \"$pid\" || exit 1\n"
                "while [ -e /proc/$pid ] && ! grep -q '^State:.*[ZX]' /proc/$pid/status; do\n"
                "        sleep 0.01\n"
                "done\n");
        struct loosen_result *with = loosen_run(&(struct loosen_bundle){
                .runtime = rt, .hook = E2E_WITH_HOOK, .rootfs = e2e_make_disk_rootfs(),
                .annotations = AUTO, .script = "echo started", .pre_hooks = E2E_ARGV(killer),
        });

        cr_assert(loosen_refused_with_one_line(with, with->id), "%s", loosen_describe(with));
        cr_assert_eq(with->hook_status, 1, "exit 1 expected:\n%s", loosen_describe(with));
        e2e_expect_host_mounts(before);
}

E2E_TEST(never_loosen, init_that_died_before_the_hook_gives_exit_1_naming_the_container_runc)
{
        dead_init_is_a_failure_naming_the_container(E2E_RUNC);
}

E2E_TEST(never_loosen, init_that_died_before_the_hook_gives_exit_1_naming_the_container_crun)
{
        dead_init_is_a_failure_naming_the_container(E2E_CRUN);
}
