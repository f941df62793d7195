/* oci-idmap-runtime in front of runc 1.1.5, runc 1.3.6, crun 1.8.1 and
 * crun 1.27.1, on bundles and under podman.
 *
 * The wrapper is named as the runtime (the binary the test runs, or
 * podman's --runtime); OCI_IDMAP_RUNTIME names the real one.  runc 1.3.6
 * and crun 1.27.1 come from $OIH_RUNTIMES_DIR (CI sets it to
 * ../shared/runtimes, relative to the repository); a test that needs them
 * fails when it is unset.
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
#include "lib_overlay.h"
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
                /* the system's PATH, whatever a test put in front of it */
                struct e2e_result *r = e2e_run(E2E_SH(e2e_strf(
                        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin; "
                        "command -v %s", name)));
                cr_assert(r->status == 0 && r->out[0] == '/',
                          "%s is not installed (.ci/setup-host installs it): %s", name,
                          e2e_describe(r));
                r->out[strcspn(r->out, "\n")] = '\0';
                return r->out;
        }
        const char *dir = getenv("OIH_RUNTIMES_DIR");
        cr_assert(dir && *dir, "OIH_RUNTIMES_DIR is not set: it names the directory holding "
                               "runc-1.3.6 and crun-1.27.1 (CI sets it to ../shared/runtimes)");
        /* CI gives it relative to the repository (../shared/runtimes) */
        if (dir[0] != '/')
                dir = e2e_strf("%s/%s", SOURCE_DIR, dir);
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

        return e2e_wrapper_run(w->direct ? real : WRAPPER_BIN, real, state_dir(w->rt), bundle, id);
}

/* ---- the rootfs ------------------------------------------------------------- */

static void rootfs_is_owned_by_0_and_root_writes_as_0(enum rt rt)
{
        const char *before = e2e_host_mounts();
        const char *rootfs = e2e_make_disk_rootfs();
        /* the problem, shown: without the wrapper root owns nothing */
        struct e2e_result *direct = wrun(&(struct wrun){
                .rt = rt, .direct = true, .rootfs = rootfs,
                .args = E2E_SH("stat -c %u /; touch /made-inside"),
        });
        cr_assert_str_eq(direct->out, "65534\n", "%s", e2e_describe(direct));
        cr_assert_neq(direct->status, 0, "%s", e2e_describe(direct));
        e2e_expect_absent(rootfs, "made-inside");

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

/* Under auto, a rootfs already owned by the mapping's host ids is left as
 * it is: not idmapped, writes land as 100000. */
static void shifted_rootfs_is_left_alone(enum rt rt)
{
        const char *rootfs = e2e_make_disk_rootfs();
        e2e_shift_tree(rootfs, E2E_HOST_BASE);
        struct e2e_result *r = wrun(&(struct wrun){
                .rt = rt, .rootfs = rootfs, .args = E2E_SHOW_AND_WRITE_ROOT,
        });
        e2e_expect_shifted_rootfs_left_alone(r, rootfs);
}

E2E_TEST(wrapper, shifted_rootfs_is_left_alone_under_auto_runc_1_3)
{
        shifted_rootfs_is_left_alone(RUNC_1_3);
}

E2E_TEST(wrapper, shifted_rootfs_is_left_alone_under_auto_crun_1_27)
{
        shifted_rootfs_is_left_alone(CRUN_1_27);
}

/* The annotation false leaves a root-owned rootfs as it is. */
E2E_TEST(wrapper, annotation_false_leaves_the_rootfs_alone_runc_1_3)
{
        const char *rootfs = e2e_make_disk_rootfs();
        struct e2e_result *r = wrun(&(struct wrun){
                .rt = RUNC_1_3, .rootfs = rootfs,
                .annotations = E2E_ARGV("io.github.oci-idmap-hook.rootfs", "false"),
                .args = E2E_SH("stat -c %u /; grep -c idmapped /proc/self/mountinfo"),
        });
        cr_assert_str_eq(r->out, "65534\n0\n", "%s", e2e_describe(r));
}

/* ---- nothing the runtime meant is lost ---------------------------------------- */

static const char *const rw_idmap[] = { "rbind", "rw", "idmap", NULL };
static const char *const ro_strict[] = { "rbind", "ro", "nosuid", "nodev", "noexec", NULL };

static const struct bundle_mount *ro_volumes(const char *vol, const char *rovol)
{
        struct bundle_mount *m = calloc(2, sizeof(*m));
        cr_assert_not_null(m);
        m[0] = (struct bundle_mount){ "/vol", "bind", vol, rw_idmap };
        m[1] = (struct bundle_mount){ "/rovol", "bind", rovol, ro_strict };
        return m;
}

static struct e2e_result *run_read_only(enum rt rt, bool direct, const char *rootfs,
                                        const struct bundle_mount *mounts, const char *const *args)
{
        return wrun(&(struct wrun){
                .rt = rt, .direct = direct, .rootfs = rootfs, .readonly_root = true,
                .mounts = mounts, .n_mounts = 2, .args = args,
        });
}

/* The container's mount table through the wrapper has every mount point
 * and at least every ro/nosuid/nodev/noexec it has without it, and its
 * root is idmapped. */
static void view_is_kept(enum rt rt)
{
        const char *rootfs = e2e_make_disk_rootfs();
        const struct bundle_mount *m = ro_volumes(e2e_make_volume("vol"), e2e_make_volume("rovol"));
        const char *const *cmd = E2E_ARGV("cat", "/proc/self/mountinfo");

        struct e2e_result *without = run_read_only(rt, true, rootfs, m, cmd);
        struct e2e_result *with = run_read_only(rt, false, rootfs, m, cmd);
        free((void *)m);
        e2e_expect_same_view_with_idmapped_root(without, with);
}

E2E_TEST(wrapper, view_through_the_wrapper_equals_the_view_without_it_runc_1_1)
{
        view_is_kept(RUNC_1_1);
}

E2E_TEST(wrapper, view_through_the_wrapper_equals_the_view_without_it_runc_1_3)
{
        view_is_kept(RUNC_1_3);
}

E2E_TEST(wrapper, view_through_the_wrapper_equals_the_view_without_it_crun_1_8)
{
        view_is_kept(CRUN_1_8);
}

E2E_TEST(wrapper, view_through_the_wrapper_equals_the_view_without_it_crun_1_27)
{
        view_is_kept(CRUN_1_27);
}

/* Owner 0 inside everywhere, so only the ro flags and masks stop the writes. */
static void flags_and_masks_hold(enum rt rt)
{
        const char *rootfs = e2e_make_disk_rootfs();
        const char *rovol = e2e_make_volume("rovol");
        const struct bundle_mount *m = ro_volumes(e2e_make_volume("vol"), rovol);

        struct e2e_result *r = run_read_only(rt, false, rootfs, m,
                                             E2E_SH("stat -c %u / /vol/f; "
                                                    "stat -c %t:%T /proc/keys /proc/timer_list; "
                                                    "cat /proc/keys /proc/timer_list | wc -c; "
                                                    "touch /x; touch /rovol/x; "
                                                    "echo x > /proc/sys/kernel/hostname"));
        free((void *)m);
        e2e_expect_fail_with(r, "/proc/sys/kernel/hostname: Read-only file system");
        cr_assert_str_eq(r->out, "0\n0\n1:3\n1:3\n0\n", "%s", e2e_describe(r));
        e2e_expect_err_has(r, "touch: /x: Read-only file system");
        e2e_expect_err_has(r, "/rovol/x: Read-only file system");
        e2e_expect_absent(rootfs, "x");
        e2e_expect_absent(rovol, "x");
}

E2E_TEST(wrapper, read_only_root_ro_volume_masks_and_read_only_paths_hold_runc_1_1)
{
        flags_and_masks_hold(RUNC_1_1);
}

E2E_TEST(wrapper, read_only_root_ro_volume_masks_and_read_only_paths_hold_runc_1_3)
{
        flags_and_masks_hold(RUNC_1_3);
}

E2E_TEST(wrapper, read_only_root_ro_volume_masks_and_read_only_paths_hold_crun_1_8)
{
        flags_and_masks_hold(CRUN_1_8);
}

E2E_TEST(wrapper, read_only_root_ro_volume_masks_and_read_only_paths_hold_crun_1_27)
{
        flags_and_masks_hold(CRUN_1_27);
}

/* ---- volumes ----------------------------------------------------------------- */

/* An idmap volume is idmapped once: by the wrapper under runc 1.1.5, which
 * ignores the option, by the runtime itself under the others (which the
 * wrapper learns from `features`, or crun 1.8.1's --version). */
static void idmap_volume_is_mapped_once(enum rt rt)
{
        const char *before = e2e_host_mounts();
        const char *vol = e2e_make_volume("vol");
        const struct bundle_mount m = { "/vol", "bind", vol, E2E_ARGV("rbind", "rw", "idmap") };
        struct e2e_result *r = wrun(&(struct wrun){
                .rt = rt, .rootfs = e2e_make_disk_rootfs(), .mounts = &m, .n_mounts = 1,
                .args = E2E_SHOW_AND_WRITE_VOL,
        });
        e2e_expect_volume_idmapped_once(r, vol);
        e2e_expect_host_mounts(before);
}

E2E_TEST(wrapper, idmap_volume_is_idmapped_once_runc_1_1)
{
        idmap_volume_is_mapped_once(RUNC_1_1);
}

E2E_TEST(wrapper, idmap_volume_is_idmapped_once_runc_1_3)
{
        idmap_volume_is_mapped_once(RUNC_1_3);
}

E2E_TEST(wrapper, idmap_volume_is_idmapped_once_crun_1_8)
{
        idmap_volume_is_mapped_once(CRUN_1_8);
}

E2E_TEST(wrapper, idmap_volume_is_idmapped_once_crun_1_27)
{
        idmap_volume_is_mapped_once(CRUN_1_27);
}

/* ridmap under runc 1.1.5: the wrapper idmaps the volume and the mount
 * below it in one recursive call. */
E2E_TEST(wrapper, ridmap_volume_maps_its_submount_too_runc_1_1)
{
        const char *vol = e2e_make_volume("vol"), *sub = e2e_make_volume("sub-source");
        const char *point = e2e_strf("%s/sub", vol);
        e2e_mkdirs(point, 0755);
        cr_assert_eq(mount(sub, point, NULL, MS_BIND, NULL), 0, "bind `%s` on `%s`", sub, point);

        const struct bundle_mount m = { "/vol", "bind", vol, E2E_ARGV("rbind", "rw", "ridmap") };
        struct e2e_result *r = wrun(&(struct wrun){
                .rt = RUNC_1_1, .rootfs = e2e_make_disk_rootfs(), .mounts = &m, .n_mounts = 1,
                .args = E2E_SH("stat -c %u /vol/f /vol/sub/f; touch /vol/new /vol/sub/new; "
                               "cat /proc/self/mountinfo"),
        });
        e2e_expect_ok(r);
        const char *mountinfo = e2e_expect_out_prefix(r, "0\n0\n");
        e2e_expect_idmapped(mountinfo, "/vol", true);
        e2e_expect_idmapped(mountinfo, "/vol/sub", true);
        e2e_expect_owner(vol, "new", 0);
        e2e_expect_owner(sub, "new", 0);
}

/* A volume with uidMappings of its own under runc 1.1.5 (which ignores
 * them): files owned by 1000 on disk show as 0, writes land as 1000. */
E2E_TEST(wrapper, volume_with_its_own_mappings_uses_them_runc_1_1)
{
        const char *vol = e2e_make_volume("vol");
        e2e_shift_tree(vol, 1000);
        const struct bundle_mount m = { "/vol", "bind", vol, E2E_ARGV("rbind", "rw"),
                                        .mapping = "1000:100000:65536" };
        struct e2e_result *r = wrun(&(struct wrun){
                .rt = RUNC_1_1, .rootfs = e2e_make_disk_rootfs(), .mounts = &m, .n_mounts = 1,
                .args = E2E_SHOW_AND_WRITE_VOL,
        });
        e2e_expect_ok(r);
        const char *mountinfo = e2e_expect_out_prefix(r, "0\n");
        e2e_expect_idmapped(mountinfo, "/vol", true);
        cr_assert_eq(e2e_owner(e2e_strf("%s/new", vol)), 1000, "%s", mountinfo);
}

/* ---- failures: one line, non-zero exit, nothing left ----------------------------- */

/* Nothing of a container that failed through the wrapper remains: no state,
 * no mount on the host. */
static void expect_nothing_left(enum rt rt, const char *host_before)
{
        struct e2e_result *l = e2e_run(E2E_ARGV(rt_path(rt), "--root", state_dir(rt), "list", "-q"));
        cr_assert_str_eq(l->out, "", "containers left: %s", e2e_describe(l));
        e2e_expect_host_mounts(host_before);
}

/* The one line the wrapper prints: its name, then `needle` somewhere. */
static void expect_wrapper_line(const struct e2e_result *r, const char *needle)
{
        cr_assert_neq(r->status, 0, "%s", e2e_describe(r));
        cr_assert(strncmp(r->err, "oci-idmap-runtime: ", 19) == 0 && strstr(r->err, needle) &&
                          strchr(r->err, '\n') == r->err + strlen(r->err) - 1,
                  "expected one line naming \"%s\": %s", needle, e2e_describe(r));
        cr_assert_str_eq(r->out, "", "the container must not run: %s", e2e_describe(r));
}

/* An overlay root.path the wrapper makes anew: tests/e2e/test_wrapper_overlay.c. */

static struct e2e_result *wrapped(enum rt rt, const char *const *args)
{
        size_t n = 0;
        while (args[n])
                n++;
        const char **argv = calloc(n + 2, sizeof(*argv));
        cr_assert_not_null(argv);
        argv[0] = WRAPPER_BIN;
        memcpy(argv + 1, args, n * sizeof(*argv));
        cr_assert_eq(setenv("OCI_IDMAP_RUNTIME", rt_path(rt), 1), 0);
        struct e2e_result *r = e2e_run(argv);
        free(argv);
        return r;
}

E2E_TEST(wrapper, missing_config_json_is_named_in_one_line_runc_1_3)
{
        const char *before = e2e_host_mounts();
        const char *bundle = e2e_strf("%s/empty-bundle", e2e_work_dir());
        e2e_mkdirs(bundle, 0755);
        struct e2e_result *r = wrapped(RUNC_1_3, E2E_ARGV("--root", state_dir(RUNC_1_3), "run",
                                                          "--bundle", bundle, "x"));
        expect_wrapper_line(r, e2e_strf("open `%s/config.json`: No such file or directory", bundle));
        expect_nothing_left(RUNC_1_3, before);
}

/* A config.json asking for a user namespace with a mapping the kernel
 * refuses: the field is named, nothing starts. */
static void bad_mapping_is_refused(enum rt rt)
{
        const char *before = e2e_host_mounts();
        const char *id = e2e_strf("bad-%d", getpid());
        const char *bundle = write_bundle(&(struct wrun){
                .rt = rt, .rootfs = e2e_make_disk_rootfs(), .args = E2E_SH("echo started"),
        }, id);
        const char *config = e2e_strf("%s/config.json", bundle);
        char *text = e2e_read_file(config);
        char *at = strstr(text, "\"uidMappings\"");
        cr_assert_not_null(at, "%s", text);
        at = strstr(at, "\"hostID\"");
        cr_assert_not_null(at, "%s", text);
        /* hostID 100000 -> 4294967295: the last id would overflow */
        const char *bad = e2e_strf("%.*s\"hostID\": 4294967295%s", (int)(at - text), text,
                                   strchr(at, ','));
        e2e_write_file(config, bad);

        struct e2e_result *r = wrapped(rt, E2E_ARGV("--root", state_dir(rt), "create", "--bundle",
                                                    bundle, id));
        expect_wrapper_line(r, e2e_strf("%s: linux.uidMappings[0]", config));
        expect_nothing_left(rt, before);
}

E2E_TEST(wrapper, bad_mapping_is_refused_naming_the_field_runc_1_1)
{
        bad_mapping_is_refused(RUNC_1_1);
}

E2E_TEST(wrapper, bad_mapping_is_refused_naming_the_field_crun_1_27)
{
        bad_mapping_is_refused(CRUN_1_27);
}

E2E_TEST(wrapper, bad_annotation_value_is_refused_and_logged_as_json_runc_1_3)
{
        const char *before = e2e_host_mounts();
        const char *log = e2e_strf("%s/runtime.log", e2e_work_dir());
        const char *id = e2e_strf("ann-%d", getpid());
        const char *bundle = write_bundle(&(struct wrun){
                .rt = RUNC_1_3, .rootfs = e2e_make_disk_rootfs(), .args = E2E_SH("echo started"),
                .annotations = E2E_ARGV("io.github.oci-idmap-hook.rootfs", "yes"),
        }, id);
        struct e2e_result *r = wrapped(RUNC_1_3, E2E_ARGV("--root", state_dir(RUNC_1_3), "--log", log,
                                                          "--log-format", "json", "create",
                                                          "--bundle", bundle, id));
        expect_wrapper_line(r, "io.github.oci-idmap-hook.rootfs: \"yes\" is not auto, true or false");
        /* podman and containerd read the runtime's error from its log */
        const char *logged = e2e_read_file(log);
        cr_assert(strncmp(logged, "{\"level\":\"error\",\"msg\":\"oci-idmap-runtime: ", 42) == 0 &&
                          strstr(logged, "is not auto, true or false\",\"time\":\""),
                  "%s", logged);
        expect_nothing_left(RUNC_1_3, before);
}

/* A config.json that is not JSON, and so asks for no user namespace the
 * wrapper can see, is the runtime's to refuse: handed through. */
E2E_TEST(wrapper, config_json_that_is_not_json_is_left_to_the_runtime_runc_1_3)
{
        const char *bundle = e2e_strf("%s/garbage-bundle", e2e_work_dir());
        e2e_mkdirs(bundle, 0755);
        e2e_write_file(e2e_strf("%s/config.json", bundle), "{ not json");
        struct e2e_result *r = wrapped(RUNC_1_3, E2E_ARGV("--root", state_dir(RUNC_1_3), "run",
                                                          "--bundle", bundle, "x"));
        cr_assert_neq(r->status, 0, "%s", e2e_describe(r));
        cr_assert_null(strstr(r->err, "oci-idmap-runtime"), "%s", e2e_describe(r));
        cr_assert_not_null(strstr(r->err, "invalid character"), "runc's own error: %s",
                           e2e_describe(r));
}

/* ---- every command is handed through ------------------------------------------ */

/* A stand-in runtime that prints what it was given: its pid (the wrapper
 * must exec it, not fork it), argv[0], every argument, its stdin, and its
 * mount namespace (untouched: the caller's). */
static const char *recording_runtime(void)
{
        const char *path = e2e_strf("%s/record-runtime", e2e_work_dir());
        e2e_write_file(path, "#!/bin/sh\n"
                             "echo \"pid=$$\"\n"
                             "echo \"argv0=$0\"\n"
                             "for a in \"$@\"; do echo \"arg=[$a]\"; done\n"
                             "echo \"stdin=$(readlink /proc/$$/fd/0)\"\n"
                             "echo \"mntns=$(readlink /proc/$$/ns/mnt)\"\n");
        cr_assert_eq(chmod(path, 0755), 0);
        return path;
}

static void expect_handed_through(const char *const *args)
{
        const char *fake = recording_runtime();
        cr_assert_eq(setenv("OCI_IDMAP_RUNTIME", fake, 1), 0);

        size_t n = 0;
        while (args[n])
                n++;
        const char **argv = calloc(n + 2, sizeof(*argv));
        cr_assert_not_null(argv);
        argv[0] = WRAPPER_BIN;
        memcpy(argv + 1, args, n * sizeof(*argv));
        struct e2e_proc p;
        e2e_start(&p, argv);
        free(argv);
        struct e2e_result *r = e2e_finish(&p, E2E_TIMEOUT);

        char *want = e2e_strf("pid=%d\nargv0=%s\n", (int)p.pid, fake);
        for (size_t i = 0; i < n; i++)
                want = e2e_strf("%sarg=[%s]\n", want, args[i]);
        char ns[64] = "";
        cr_assert_gt(readlink("/proc/self/ns/mnt", ns, sizeof(ns) - 1), 0);
        want = e2e_strf("%sstdin=pipe:[%lu]\nmntns=%s\n", want, p.stdin_ino, ns);
        e2e_expect_out(r, want);
        cr_assert_str_eq(r->err, "", "%s", e2e_describe(r));
}

E2E_TEST(wrapper_passthrough, every_command_reaches_the_runtime_in_the_same_process_as_given)
{
        static const char *const cmds[] = { "start", "exec", "kill", "delete", "state", "ps",
                                            "events", "features", "list", "pause", "update" };

        for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
                expect_handed_through(E2E_ARGV("--root", "/run/x y", "--log", "/l",
                                               "--log-format=json", "--systemd-cgroup", cmds[i],
                                               "--flag", "", "an  argument", "c"));
        expect_handed_through(E2E_ARGV("--version"));
        expect_handed_through(E2E_ARGV("-v"));
        expect_handed_through(E2E_ARGV("--debug", "exec", "--tty", "id", "sh", "-c", "echo 'a  b'"));
}

/* create and run of a container without a user namespace: nothing to do,
 * handed through just the same. */
E2E_TEST(wrapper_passthrough, create_without_a_user_namespace_is_handed_through_as_given)
{
        const char *bundle = e2e_strf("%s/plain-bundle", e2e_work_dir());
        e2e_mkdirs(bundle, 0755);
        e2e_write_file(e2e_strf("%s/config.json", bundle),
                       "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},"
                       "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}]}}");
        expect_handed_through(E2E_ARGV("--root", "/r", "create", "--bundle", bundle, "--pid-file",
                                       "/p", "id"));
        expect_handed_through(E2E_ARGV("run", "-b", bundle, "-d", "id"));
}

/* The real runtime's answers, through the wrapper and without it. */
static struct e2e_result *cmd(enum rt rt, bool direct, const char *log, const char *const *args)
{
        size_t n = 0;
        while (args[n])
                n++;
        const char **argv = calloc(n + 8, sizeof(*argv));
        cr_assert_not_null(argv);
        size_t k = 0;
        argv[k++] = direct ? rt_path(rt) : WRAPPER_BIN;
        argv[k++] = "--root";
        argv[k++] = state_dir(rt);
        argv[k++] = "--log";
        argv[k++] = log;
        argv[k++] = "--log-format";
        argv[k++] = "json";
        memcpy(argv + k, args, n * sizeof(*argv));
        cr_assert_eq(setenv("OCI_IDMAP_RUNTIME", rt_path(rt), 1), 0);
        struct e2e_result *r = e2e_run(argv);
        free(argv);
        return r;
}

static void expect_same_answer(enum rt rt, const char *log, const char *const *args)
{
        struct e2e_result *direct = cmd(rt, true, log, args);
        struct e2e_result *wrapped_r = cmd(rt, false, log, args);
        cr_assert(direct->status == wrapped_r->status && strcmp(direct->out, wrapped_r->out) == 0,
                  "without the wrapper:\n%s\nthrough it:\n%s", e2e_describe(direct),
                  e2e_describe(wrapped_r));
}

static void wait_stopped(enum rt rt, const char *log, const char *id)
{
        for (int i = 0; i < 100; i++) {
                struct e2e_result *s = cmd(rt, false, log, E2E_ARGV("state", id));
                if (strstr(s->out, "\"stopped\""))
                        return;
                usleep(50000);
        }
        cr_assert_fail("container %s did not stop", id);
}

/* create, state, start, ps, exec, events, kill, delete through the wrapper,
 * with --root, --log and --log-format; the container created through it has
 * its idmapped rootfs. */
static void lifecycle(enum rt rt)
{
        const char *log = e2e_strf("%s/%s.log", e2e_work_dir(), rt_label(rt));
        const char *id = e2e_strf("life-%d", getpid());
        const char *bundle = write_bundle(&(struct wrun){
                .rt = rt, .rootfs = e2e_make_disk_rootfs(), .args = E2E_ARGV("sleep", "60"),
        }, id);
        bool crun = rt == CRUN_1_8 || rt == CRUN_1_27;

        expect_same_answer(rt, log, E2E_ARGV("--version"));
        expect_same_answer(rt, log, E2E_ARGV("features"));
        e2e_expect_ok(cmd(rt, false, log, E2E_ARGV("create", "--bundle", bundle, id)));
        struct e2e_result *s = cmd(rt, false, log, E2E_ARGV("state", id));
        cr_assert(s->status == 0 && strstr(s->out, "\"created\""), "%s", e2e_describe(s));
        expect_same_answer(rt, log, E2E_ARGV("state", id));
        e2e_expect_ok(cmd(rt, false, log, E2E_ARGV("start", id)));
        s = cmd(rt, false, log, E2E_ARGV("state", id));
        cr_assert(s->status == 0 && strstr(s->out, "\"running\""), "%s", e2e_describe(s));
        e2e_expect_out(cmd(rt, false, log, E2E_ARGV("exec", id, "sh", "-c", "stat -c %u /; echo 'a  b'")),
                       "0\na  b\n");
        expect_same_answer(rt, log, E2E_ARGV("ps", id));
        if (crun) {     /* crun has no events: the same refusal either way */
                expect_same_answer(rt, log, E2E_ARGV("events", "--stats", id));
        } else {
                struct e2e_result *ev = cmd(rt, false, log, E2E_ARGV("events", "--stats", id));
                cr_assert(ev->status == 0 && ev->out[0] == '{', "%s", e2e_describe(ev));
        }
        expect_same_answer(rt, log, E2E_ARGV("--systemd-cgroup", "list", "-q"));
        e2e_expect_ok(cmd(rt, false, log, E2E_ARGV("kill", id, "KILL")));
        wait_stopped(rt, log, id);
        e2e_expect_ok(cmd(rt, false, log, E2E_ARGV("delete", id)));
        struct e2e_result *gone = cmd(rt, false, log, E2E_ARGV("state", id));
        cr_assert_neq(gone->status, 0, "%s", e2e_describe(gone));
        /* --log and --log-format reached the runtime: its JSON error for the
         * deleted container is there (runc leaves the id out) */
        const char *logged = e2e_read_file(log);
        cr_assert(logged[0] == '{' && (strstr(logged, id) || strstr(logged, "does not exist")),
                  "%s", logged);
}

E2E_TEST(wrapper_passthrough, lifecycle_commands_and_global_flags_reach_runc_1_1)
{
        lifecycle(RUNC_1_1);
}

E2E_TEST(wrapper_passthrough, lifecycle_commands_and_global_flags_reach_runc_1_3)
{
        lifecycle(RUNC_1_3);
}

E2E_TEST(wrapper_passthrough, lifecycle_commands_and_global_flags_reach_crun_1_8)
{
        lifecycle(CRUN_1_8);
}

E2E_TEST(wrapper_passthrough, lifecycle_commands_and_global_flags_reach_crun_1_27)
{
        lifecycle(CRUN_1_27);
}

/* ---- which runtime is the real one ------------------------------------------------ */

static const char *first_line(const char *s)
{
        return e2e_strf("%.*s", (int)strcspn(s, "\n"), s);
}

/* `--version` through a wrapper run as `argv0` (a link to it), in `env`. */
static struct e2e_result *version_via(const char *argv0, const char *const *env)
{
        size_t n = 0;
        while (env[n])
                n++;
        const char **argv = calloc(n + 5, sizeof(*argv));
        cr_assert_not_null(argv);
        argv[0] = "env";
        argv[1] = "-i";
        memcpy(argv + 2, env, n * sizeof(*argv));
        argv[n + 2] = argv0;
        argv[n + 3] = "--version";
        struct e2e_result *r = e2e_run(argv);
        free(argv);
        return r;
}

static const char *link_to_wrapper(const char *dir, const char *name)
{
        const char *path = e2e_strf("%s/%s", dir, name);
        e2e_mkdirs(dir, 0755);
        cr_assert_eq(symlink(WRAPPER_BIN, path), 0, "symlink `%s`: %s", path, strerror(errno));
        return path;
}

E2E_TEST(wrapper_runtime, env_name_config_file_and_default_choose_the_runtime_in_that_order_runc_1_3)
{
        const char *dir = e2e_strf("%s/bin", e2e_work_dir());
        const char *plain = link_to_wrapper(dir, "oci-idmap-runtime");
        const char *named = link_to_wrapper(dir, "oci-idmap-runtime-crun");
        const char *conf = e2e_strf("%s/wrapper.conf", e2e_work_dir());
        const char *no_conf = e2e_strf("OCI_IDMAP_RUNTIME_CONFIG=%s/none.conf", e2e_work_dir());
        const char *path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        const char *runc = first_line(e2e_run(E2E_ARGV("runc", "--version"))->out);
        const char *crun = first_line(e2e_run(E2E_ARGV("crun", "--version"))->out);
        const char *runc13 = first_line(e2e_run(E2E_ARGV(rt_path(RUNC_1_3), "--version"))->out);
        e2e_write_file(conf, "# test\nruntime = crun\n");
        const char *with_conf = e2e_strf("OCI_IDMAP_RUNTIME_CONFIG=%s", conf);

        /* the default: runc from PATH */
        e2e_expect_out_prefix(version_via(plain, E2E_ARGV(path, no_conf)), runc);
        /* the config file over the default */
        e2e_expect_out_prefix(version_via(plain, E2E_ARGV(path, with_conf)), crun);
        /* the name over the config file */
        e2e_expect_out_prefix(version_via(named, E2E_ARGV(path, no_conf)), crun);
        e2e_write_file(conf, "runtime = runc\n");
        e2e_expect_out_prefix(version_via(named, E2E_ARGV(path, with_conf)), crun);
        /* the variable over everything, as a name or a path */
        e2e_expect_out_prefix(version_via(named, E2E_ARGV(path, with_conf, "OCI_IDMAP_RUNTIME=runc")),
                              runc);
        e2e_expect_out_prefix(version_via(named, E2E_ARGV(path, e2e_strf("OCI_IDMAP_RUNTIME=%s",
                                                                         rt_path(RUNC_1_3)))),
                              runc13);
}

E2E_TEST(wrapper_runtime, a_link_named_runc_ahead_in_path_is_skipped_not_recursed_into)
{
        const char *dir = e2e_strf("%s/shadow", e2e_work_dir());
        const char *as_runc = link_to_wrapper(dir, "runc");
        const char *no_conf = e2e_strf("OCI_IDMAP_RUNTIME_CONFIG=%s/none.conf", e2e_work_dir());
        const char *runc = first_line(e2e_run(E2E_ARGV("runc", "--version"))->out);

        e2e_expect_out_prefix(version_via(as_runc, E2E_ARGV(e2e_strf("PATH=%s:/usr/sbin:/usr/bin", dir),
                                                            no_conf)),
                              runc);
        /* with only the wrapper by that name in PATH: one line, no loop */
        struct e2e_result *r = version_via(as_runc, E2E_ARGV(e2e_strf("PATH=%s", dir), no_conf));
        expect_wrapper_line(r, "runtime `runc` (from the default) not found in PATH "
                               "(only this wrapper goes by that name there)");
}

E2E_TEST(wrapper_runtime, the_wrapper_named_as_its_own_runtime_is_refused)
{
        struct e2e_result *r = version_via(WRAPPER_BIN, E2E_ARGV(e2e_strf("OCI_IDMAP_RUNTIME=%s",
                                                                          WRAPPER_BIN)));
        expect_wrapper_line(r, e2e_strf("runtime `%s` (from $OCI_IDMAP_RUNTIME) is this wrapper itself",
                                        WRAPPER_BIN));
        r = version_via(WRAPPER_BIN, E2E_ARGV("OCI_IDMAP_RUNTIME=/nonexistent/runc"));
        expect_wrapper_line(r, "runtime `/nonexistent/runc` (from $OCI_IDMAP_RUNTIME): No such file");
}

E2E_TEST(wrapper_runtime, a_bad_config_file_is_named_with_its_line)
{
        const char *conf = e2e_strf("%s/bad.conf", e2e_work_dir());
        e2e_write_file(conf, "runtime = runc\nruntime_path = /x\n");
        struct e2e_result *r = version_via(WRAPPER_BIN, E2E_ARGV(e2e_strf("OCI_IDMAP_RUNTIME_CONFIG=%s",
                                                                          conf)));
        expect_wrapper_line(r, e2e_strf("%s:2: unknown key \"runtime_path\"", conf));
}

/* ---- under podman ------------------------------------------------------------------- */

/* podman hands the runtime almost no environment: conmon (which runs
 * `create`) passes on only what containers.conf's conmon_env_vars names, and
 * podman runs start, state, kill and delete itself with PATH and
 * XDG_RUNTIME_DIR alone.  OCI_IDMAP_RUNTIME cannot reach the wrapper there,
 * so it goes by its name (docs/wrapper.md): linked as
 * oci-idmap-runtime-<name>, it runs <name> from PATH.  Here PATH (podman's
 * and conmon's) starts with a directory where <name> is a shim that records
 * each call and execs the real runtime, so that the test knows which runtime
 * the wrapper ran.  Returns the wrapper's link; *record the shim's file. */
static const char *podman_setup(enum rt rt, const char **record)
{
        const char *work = e2e_work_dir();
        const char *dir = e2e_strf("%s/rt-bin", work), *conf = e2e_strf("%s/containers.conf", work);
        const char *name = rt == RUNC_1_1 || rt == RUNC_1_3 ? "runc" : "crun";
        const char *shim = e2e_strf("%s/%s", dir, name);
        const char *path = e2e_strf("PATH=%s:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                    dir);
        char *text = e2e_read_file("/usr/share/containers/containers.conf");
        char *engine = strstr(text, "\n[engine]\n");

        *record = e2e_strf("%s/shim.log", work);
        e2e_mkdirs(dir, 0755);
        e2e_write_file(shim, e2e_strf("#!/bin/sh\necho \"$*\" >> %s\nexec %s \"$@\"\n", *record,
                                      rt_path(rt)));
        cr_assert_eq(chmod(shim, 0755), 0);
        cr_assert_not_null(engine, "no [engine] table in /usr/share/containers/containers.conf");
        engine += strlen("\n[engine]\n");
        e2e_write_file(conf, e2e_strf("%.*sconmon_env_vars = [\"%s\"]\n%s", (int)(engine - text),
                                      text, path, engine));
        cr_assert_eq(setenv("CONTAINERS_CONF", conf, 1), 0);
        cr_assert_eq(putenv((char *)path), 0);
        cr_assert_eq(unsetenv("OCI_IDMAP_RUNTIME"), 0);
        cr_assert_eq(setenv("OCI_IDMAP_RUNTIME_CONFIG", e2e_strf("%s/none.conf", work), 1), 0);
        e2e_write_file(*record, "");
        const char *link = e2e_strf("%s/oci-idmap-runtime-%s", dir, name);
        if (access(link, F_OK) != 0)
                cr_assert_eq(symlink(WRAPPER_BIN, link), 0, "symlink `%s`: %s", link, strerror(errno));
        return link;
}

/* podman 4.3.1 with --runtime naming the wrapper (or the real runtime), its
 * state on the test's tmpfs, no hook (an empty hooks dir).  Through the
 * wrapper, asserts that it ran the real runtime for the container. */
static struct e2e_result *podman(enum rt rt, bool direct, const char *const *flags,
                                 const char *rootfs, const char *const *sh)
{
        const char *work = e2e_work_dir();
        const char *hooks = e2e_strf("%s/hooks.d-none", work), *record;
        const char *wrapper = podman_setup(rt, &record);
        const char *fixed[] = {
                "podman", "--root", e2e_strf("%s/podman/root", work),
                "--runroot", e2e_strf("%s/podman/runroot", work),
                "--tmpdir", e2e_strf("%s/podman/tmp", work),
                "--network-config-dir", e2e_strf("%s/podman/networks", work),
                "--cgroup-manager=cgroupfs", "--events-backend=file", "--hooks-dir", hooks,
                "--runtime", direct ? rt_path(rt) : wrapper,
                "run", "--rm", "--network", "none",
                "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
                "--cgroup-parent", e2e_strf("/oci-idmap-e2e-%d", getpid()),
                E2E_USERNS_FLAGS,
        };
        size_t nf = sizeof(fixed) / sizeof(fixed[0]), nfl = 0, nc = 0;
        while (flags && flags[nfl])
                nfl++;
        while (sh[nc])
                nc++;
        const char **argv = calloc(nf + nfl + nc + 3, sizeof(*argv));
        cr_assert_not_null(argv);
        memcpy(argv, fixed, sizeof(fixed));
        memcpy(argv + nf, flags, nfl * sizeof(*argv));
        argv[nf + nfl] = "--rootfs";    /* the first word after it is the command */
        argv[nf + nfl + 1] = rootfs;
        memcpy(argv + nf + nfl + 2, sh, nc * sizeof(*argv));

        e2e_mkdirs(hooks, 0755);
        struct e2e_result *r = e2e_run(argv);
        free(argv);
        const char *calls = e2e_read_file(record);
        if (!direct)
                cr_assert(strncmp(calls, "create ", 7) == 0 && strstr(calls, "\nstart "),
                          "the wrapper did not run %s for the container; its calls:\n%s\n%s",
                          rt_path(rt), calls, e2e_describe(r));
        return r;
}

static void podman_rootfs_is_owned_by_0(enum rt rt)
{
        const char *before = e2e_host_mounts();
        const char *rootfs = e2e_make_disk_rootfs();
        struct e2e_result *r = podman(rt, false, NULL, rootfs,
                                      E2E_SH("stat -c %u / /etc/passwd; touch /made-inside && "
                                             "stat -c %u /made-inside"));
        e2e_expect_out(r, "0\n0\n0\n");
        e2e_expect_owner(rootfs, "made-inside", 0);
        e2e_expect_host_mounts(before);
}

E2E_TEST(wrapper_podman, rootfs_shows_owner_0_and_writes_land_as_0_runc_1_1)
{
        podman_rootfs_is_owned_by_0(RUNC_1_1);
}

E2E_TEST(wrapper_podman, rootfs_shows_owner_0_and_writes_land_as_0_runc_1_3)
{
        podman_rootfs_is_owned_by_0(RUNC_1_3);
}

E2E_TEST(wrapper_podman, rootfs_shows_owner_0_and_writes_land_as_0_crun_1_8)
{
        podman_rootfs_is_owned_by_0(CRUN_1_8);
}

E2E_TEST(wrapper_podman, rootfs_shows_owner_0_and_writes_land_as_0_crun_1_27)
{
        podman_rootfs_is_owned_by_0(CRUN_1_27);
}

/* --read-only and a :ro volume: the container's mount table through the
 * wrapper has everything it has without it, its root idmapped; the writes
 * are refused. */
static void podman_view_is_kept(enum rt rt)
{
        const char *rootfs = e2e_make_disk_rootfs();
        const char *rovol = e2e_make_volume("rovol");
        const char *const *flags = E2E_ARGV("--read-only", "-v", e2e_strf("%s:/rovol:ro", rovol));
        const char *const *show = E2E_ARGV("cat", "/proc/self/mountinfo");

        struct e2e_result *without = podman(rt, true, flags, rootfs, show);
        struct e2e_result *with = podman(rt, false, flags, rootfs, show);
        e2e_expect_same_view_with_idmapped_root(without, with);

        struct e2e_result *w = podman(rt, false, flags, rootfs,
                                      E2E_SH("stat -c %u /; touch /x; touch /rovol/x; "
                                             "cat /proc/keys | wc -c"));
        cr_assert_str_eq(w->out, "0\n0\n", "%s", e2e_describe(w));
        e2e_expect_err_has(w, "touch: /x: Read-only file system");
        e2e_expect_err_has(w, "/rovol/x: Read-only file system");
        e2e_expect_absent(rootfs, "x");
        e2e_expect_absent(rovol, "x");
}

E2E_TEST(wrapper_podman, read_only_root_ro_volume_and_masks_are_kept_runc_1_1)
{
        podman_view_is_kept(RUNC_1_1);
}

E2E_TEST(wrapper_podman, read_only_root_ro_volume_and_masks_are_kept_runc_1_3)
{
        podman_view_is_kept(RUNC_1_3);
}

E2E_TEST(wrapper_podman, read_only_root_ro_volume_and_masks_are_kept_crun_1_8)
{
        podman_view_is_kept(CRUN_1_8);
}

E2E_TEST(wrapper_podman, read_only_root_ro_volume_and_masks_are_kept_crun_1_27)
{
        podman_view_is_kept(CRUN_1_27);
}

/* The set-up docs/wrapper.md recommends for podman: the wrapper linked as
 * oci-idmap-runtime-crun names its runtime, no variable needed anywhere. */
E2E_TEST(wrapper_podman, wrapper_named_oci_idmap_runtime_crun_runs_crun_without_any_variable)
{
        const char *dir = e2e_strf("%s/bin", e2e_work_dir());
        const char *named = link_to_wrapper(dir, "oci-idmap-runtime-crun");
        const char *rootfs = e2e_make_disk_rootfs();
        const char *work = e2e_work_dir();

        cr_assert_eq(unsetenv("OCI_IDMAP_RUNTIME"), 0);
        cr_assert_eq(unsetenv("CONTAINERS_CONF"), 0);
        cr_assert_eq(setenv("OCI_IDMAP_RUNTIME_CONFIG", e2e_strf("%s/none.conf", work), 1), 0);
        e2e_mkdirs(e2e_strf("%s/hooks.d-none", work), 0755);
        struct e2e_result *r = e2e_run(E2E_ARGV(
                "podman", "--root", e2e_strf("%s/podman/root", work),
                "--runroot", e2e_strf("%s/podman/runroot", work),
                "--tmpdir", e2e_strf("%s/podman/tmp", work),
                "--network-config-dir", e2e_strf("%s/podman/networks", work),
                "--cgroup-manager=cgroupfs", "--events-backend=file",
                "--hooks-dir", e2e_strf("%s/hooks.d-none", work), "--runtime", named,
                "run", "--rm", "--network", "none",
                "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
                "--cgroup-parent", e2e_strf("/oci-idmap-e2e-%d", getpid()), E2E_USERNS_FLAGS,
                "--rootfs", rootfs, "sh", "-c", "stat -c %u /; touch /made-inside"));
        e2e_expect_out(r, "0\n");
        e2e_expect_owner(rootfs, "made-inside", 0);
        /* crun kept its state under /run/crun (this test's tmpfs); runc never ran */
        cr_assert_eq(access("/run/crun", F_OK), 0, "crun did not run: %s", e2e_describe(r));
        cr_assert_neq(access("/run/runc", F_OK), 0, "runc ran: %s", e2e_describe(r));
}

/* ---- shared propagation: the wrapper's namespace would cut it off --------------- */

static const char *const rshared_opts[] = { "rbind", "rw", "rshared", NULL };

/* Under auto, a container that wants its mounts to propagate to the host
 * is handed through untouched. */
E2E_TEST(wrapper, rshared_volume_under_auto_is_handed_through_untouched_runc_1_3)
{
        const char *vol = e2e_make_volume("vol");
        const struct bundle_mount m = { "/vol", "bind", vol, rshared_opts };
        struct e2e_result *r = wrun(&(struct wrun){
                .rt = RUNC_1_3, .rootfs = e2e_make_disk_rootfs(), .mounts = &m, .n_mounts = 1,
                .args = E2E_SH("stat -c %u /; grep -c idmapped /proc/self/mountinfo"),
        });
        cr_assert_str_eq(r->out, "65534\n0\n", "%s", e2e_describe(r));
        cr_assert_null(strstr(r->err, "oci-idmap-runtime"), "%s", e2e_describe(r));
}

/* Asked for explicitly, it is refused with the reason. */
E2E_TEST(wrapper, rshared_volume_with_the_rootfs_asked_for_is_refused_runc_1_3)
{
        const char *before = e2e_host_mounts();
        const char *vol = e2e_make_volume("vol");
        const struct bundle_mount m = { "/vol", "bind", vol, rshared_opts };
        struct e2e_result *r = wrun(&(struct wrun){
                .rt = RUNC_1_3, .rootfs = e2e_make_disk_rootfs(), .mounts = &m, .n_mounts = 1,
                .annotations = E2E_ARGV("io.github.oci-idmap-hook.rootfs", "true"),
                .args = E2E_SH("echo started"),
        });
        expect_wrapper_line(r, "rootfs: cannot be idmapped by the wrapper: config.json asks for "
                               "shared mount propagation");
        expect_nothing_left(RUNC_1_3, before);
}

/* ---- rootless: no idmapped mount can be made there ------------------------------- */

/* Run inside a user namespace of its own (as a rootless engine runs it),
 * the wrapper hands a container that wants an idmap through untouched under
 * auto, and refuses one that asks for it. */
E2E_TEST(wrapper, in_a_user_namespace_auto_is_handed_through_and_true_is_refused)
{
        const char *fake = recording_runtime(), *rootfs = e2e_make_disk_rootfs();
        const char *id = e2e_strf("rl-%d", getpid());
        const char *bundle = write_bundle(&(struct wrun){
                .rt = RUNC_1_3, .rootfs = rootfs, .args = E2E_SH("true"),
        }, id);
        cr_assert_eq(setenv("OCI_IDMAP_RUNTIME", fake, 1), 0);

        struct e2e_result *r = e2e_run(E2E_ARGV("unshare", "--user", "--map-root-user", WRAPPER_BIN,
                                                "create", "--bundle", bundle, id));
        e2e_expect_ok(r);
        cr_assert_not_null(strstr(r->out, "arg=[create]"), "%s", e2e_describe(r));
        cr_assert_str_eq(r->err, "", "%s", e2e_describe(r));

        const char *id2 = e2e_strf("rl2-%d", getpid());
        const char *asked = write_bundle(&(struct wrun){
                .rt = RUNC_1_3, .rootfs = rootfs, .args = E2E_SH("true"),
                .annotations = E2E_ARGV("io.github.oci-idmap-hook.rootfs", "true"),
        }, id2);
        r = e2e_run(E2E_ARGV("unshare", "--user", "--map-root-user", WRAPPER_BIN, "create",
                             "--bundle", asked, id2));
        expect_wrapper_line(r, "rootfs: cannot be idmapped by the wrapper: it runs in a user "
                               "namespace (rootless?)");
}

/* ---- config.json the project's parser is stricter about than the runtime --------- */

/* A key given twice: Go's reader (runc) takes the last one; the project's
 * strict parser refuses it.  With nothing asked for explicitly, that is the
 * runtime's to judge: handed through untouched.  With the rootfs asked
 * for, the wrapper cannot do it and says why. */
static const char *bundle_with_repeated_key(const char *id, const char *const *annotations,
                                            const char *rootfs)
{
        const char *bundle = write_bundle(&(struct wrun){
                .rt = RUNC_1_3, .rootfs = rootfs, .args = E2E_SH("true"),
                .annotations = annotations,
        }, id);
        const char *config = e2e_strf("%s/config.json", bundle);
        char *text = e2e_read_file(config);
        char *brace = strchr(text, '{');
        cr_assert_not_null(brace, "%s", text);
        e2e_write_file(config, e2e_strf("{\"hostname\": \"first\", %s", brace + 1));
        return bundle;
}

E2E_TEST(wrapper, repeated_key_is_left_to_the_runtime_unless_something_was_asked)
{
        const char *fake = recording_runtime(), *rootfs = e2e_make_disk_rootfs();
        cr_assert_eq(setenv("OCI_IDMAP_RUNTIME", fake, 1), 0);

        const char *plain = bundle_with_repeated_key("dup1", NULL, rootfs);
        struct e2e_result *r = e2e_run(E2E_ARGV(WRAPPER_BIN, "create", "--bundle", plain, "dup1"));
        e2e_expect_ok(r);
        cr_assert_not_null(strstr(r->out, "arg=[create]"), "%s", e2e_describe(r));
        cr_assert_str_eq(r->err, "", "%s", e2e_describe(r));

        const char *asked = bundle_with_repeated_key(
                "dup2", E2E_ARGV("io.github.oci-idmap-hook.rootfs", "true"), rootfs);
        r = e2e_run(E2E_ARGV(WRAPPER_BIN, "create", "--bundle", asked, "dup2"));
        expect_wrapper_line(r, "hostname");
}

/* Under auto, a rootfs that cannot be idmapped (an overlay with a layer on
 * FUSE, which cannot be idmapped) leaves the runtime exactly where the
 * wrapper was called: the same process, the same mount namespace, the
 * arguments as given. */
E2E_TEST(wrapper_passthrough, unidmappable_overlay_rootfs_under_auto_reaches_the_runtime_in_the_callers_namespace)
{
        struct ovl_layers *l = ovl_make_layers("layers", 1);
        struct e2e_proc fuse;
        const char *fuse_layer = ovl_start_fuse_layer(&fuse, "odd-layer");
        struct ovl_rootfs *o = ovl_mount(e2e_strf("%s:%s", fuse_layer, l->lowerdir), "c", 0);
        const char *bundle = write_bundle(&(struct wrun){
                .rt = RUNC_1_3, .rootfs = o->merged, .args = E2E_SH("true"),
        }, "ovl");
        expect_handed_through(E2E_ARGV("--root", "/r", "create", "--bundle", bundle, "ovl"));
        cr_assert_eq(umount2(o->merged, 0), 0);
        ovl_stop_fuse_layer(&fuse, fuse_layer);
}

/* The runtime names packaging/containers.conf.d/50-oci-idmap-runtime.conf
 * registers, merged into this test's containers.conf (CONTAINERS_CONF makes
 * podman read that file alone, so the drop-in directory cannot be used
 * here), with the links in this test's directory for /usr/local/bin. */
static void merge_dropin(const char *link_dir)
{
        const char *conf = e2e_strf("%s/containers.conf", e2e_work_dir());
        char *text = e2e_read_file(conf);
        char *dropin = e2e_read_file(SOURCE_DIR "/packaging/containers.conf.d/50-oci-idmap-runtime.conf");
        char *json = strstr(dropin, "\nruntime_supports_json");
        char *runtimes = strstr(dropin, "\n[engine.runtimes]\n");
        cr_assert(json && runtimes, "the drop-in lost its runtime_supports_json or [engine.runtimes]");
        char *json_end = strstr(json + 1, "]\n");
        cr_assert_not_null(json_end);
        const char *json_line = e2e_strf("%.*s\n", (int)(json_end + 1 - (json + 1)), json + 1);
        const char *entries = runtimes + strlen("\n[engine.runtimes]\n");

        /* /usr/local/bin -> the test's link directory */
        char *out = e2e_strf("%s", "");
        for (const char *p = entries, *at; (at = strstr(p, "/usr/local/bin")); p = at + 14) {
                out = e2e_strf("%s%.*s%s", out, (int)(at - p), p, link_dir);
                entries = at + 14;
        }
        out = e2e_strf("%s%s", out, entries);

        char *engine = strstr(text, "\n[engine]\n"), *table = strstr(text, "\n[engine.runtimes]\n");
        cr_assert(engine && table && engine < table, "containers.conf: no [engine] before [engine.runtimes]");
        engine += strlen("\n[engine]\n");
        table += strlen("\n[engine.runtimes]\n");
        e2e_write_file(conf, e2e_strf("%.*s%s%.*s%s%s", (int)(engine - text), text, json_line,
                                      (int)(table - engine), engine, out, table));
}

/* `podman run` of `sh -c CMD` on `rootfs` with the runtime the drop-in names
 * idmap-crun, the podman state under `work`, no hooks.d, the given
 * annotation. */
static struct e2e_result *podman_idmap_crun(const char *work, const char *annotation,
                                            const char *rootfs, const char *cmd)
{
        return e2e_run(E2E_ARGV(
                "podman", "--root", e2e_strf("%s/podman/root", work),
                "--runroot", e2e_strf("%s/podman/runroot", work),
                "--tmpdir", e2e_strf("%s/podman/tmp", work),
                "--network-config-dir", e2e_strf("%s/podman/networks", work),
                "--cgroup-manager=cgroupfs", "--events-backend=file",
                "--hooks-dir", e2e_strf("%s/hooks.d-none", work), "--runtime", "idmap-crun",
                "run", "--rm", "--network", "none",
                "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
                "--cgroup-parent", e2e_strf("/oci-idmap-e2e-%d", getpid()), E2E_USERNS_FLAGS,
                "--annotation", annotation, "--rootfs", rootfs, "sh", "-c", cmd));
}

E2E_TEST(wrapper_podman, runtime_name_from_the_packaged_drop_in_runs_through_the_wrapper_crun_1_27)
{
        const char *record, *work = e2e_work_dir();
        const char *link = podman_setup(CRUN_1_27, &record);
        const char *rootfs = e2e_make_disk_rootfs();
        merge_dropin(e2e_strf("%s/rt-bin", work));
        e2e_mkdirs(e2e_strf("%s/hooks.d-none", work), 0755);
        (void)link;

        struct e2e_result *r = podman_idmap_crun(work, "io.github.oci-idmap-hook.rootfs=auto",
                                                 rootfs, "stat -c %u /; touch /made-inside");
        e2e_expect_out(r, "0\n");
        e2e_expect_owner(rootfs, "made-inside", 0);
        const char *calls = e2e_read_file(record);
        cr_assert(strstr(calls, "create --bundle") && strstr(calls, "\nstart "),
                  "crun 1.27.1 did not run through the wrapper: %s", calls);
        /* runtime_supports_json took: podman asks for the runtime's errors as JSON */
        cr_assert(strncmp(calls, "--log-format=json --log ", 24) == 0, "%s", calls);

        /* and the wrapper's own error reaches the person running podman */
        r = podman_idmap_crun(work, "io.github.oci-idmap-hook.rootfs=yes", rootfs, "echo started");
        e2e_expect_fail_with(r, "oci-idmap-runtime: config.json: annotations: "
                                "io.github.oci-idmap-hook.rootfs: \"yes\" is not auto, true or false");
        cr_assert_null(strstr(r->out, "started"), "%s", e2e_describe(r));
}
