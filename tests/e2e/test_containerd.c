/* containerd (Debian 12's 1.6, with its overlayfs snapshotter) running a
 * user-namespaced container on a plain, root-owned snapshot through runc
 * 1.1.5, with the hook and without it (issue 9).
 *
 * The test starts a containerd of its own: its config, state and socket on
 * the test's tmpfs, its root (content store and snapshots) on the disk, its
 * namespace named for the test (so that runc's cgroups, /<ns>/<id>, are the
 * test's own and e2e_teardown removes what a failure leaves).  It stops it by
 * its pid at the end.  The image is a busybox rootfs built here, imported
 * with podman and handed to containerd as an OCI archive: no registry.
 *
 * containerd knows nothing of the hook or of this user namespace: ctr runs
 * the container through a script (--runc-binary) that adds both to the
 * bundle's config.json before it execs runc, as a user would wire the hook
 * into an engine that cannot be told.  The other way: the script adds only
 * the user namespace and execs oci-idmap-runtime (OCI_IDMAP_RUNTIME=runc),
 * which rebuilds the snapshot's overlay on idmapped layers in a mount
 * namespace of its own before runc runs.  Without idmap support of its own,
 * containerd would chown a copy of the snapshot (`ctr run --uidmap`); here
 * the snapshot stays as unpacked, owned by 0.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib_e2e.h"
#include "lib_overlay.h"

#define IMAGE "localhost/oci-idmap-busybox:1"

struct containerd {
        struct e2e_proc daemon;
        const char *dir;        /* config, state, socket: the test's tmpfs */
        const char *state;
        const char *sock;
        const char *ns;         /* containerd namespace, also the cgroup parent */
};

static void start_containerd(struct containerd *c)
{
        c->dir = e2e_strf("%s/containerd", e2e_work_dir());
        c->state = e2e_strf("%s/state", c->dir);
        c->sock = e2e_strf("%s/containerd.sock", c->dir);
        c->ns = e2e_strf("oci-idmap-e2e-%d", getpid());
        const char *config = e2e_strf("%s/config.toml", c->dir);

        e2e_mkdirs(c->dir, 0755);
        /* No CRI: nothing here talks to it, and it wants CNI. */
        e2e_write_file(config, e2e_strf("version = 2\n"
                                        "root = \"%s/containerd-root\"\n"
                                        "state = \"%s\"\n"
                                        "disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n"
                                        "[grpc]\n  address = \"%s\"\n",
                                        e2e_disk_dir(), c->state, c->sock));
        e2e_start(&c->daemon, E2E_ARGV("containerd", "--config", config));
        for (int i = 0; i < 500 && access(c->sock, F_OK) < 0; i++) {
                siginfo_t si = { 0 };
                waitid(P_PID, c->daemon.pid, &si, WEXITED | WNOHANG | WNOWAIT);
                if (si.si_pid == c->daemon.pid)
                        cr_assert_fail("containerd exited:\n%s",
                                       e2e_describe(e2e_finish(&c->daemon, 1)));
                usleep(20000);
        }
        cr_assert_eq(access(c->sock, F_OK), 0, "containerd made no socket `%s` in 10 s", c->sock);
}

/* SIGTERM by its pid; it exits 0 once it has shut down. */
static void stop_containerd(struct containerd *c)
{
        cr_assert_eq(kill(c->daemon.pid, SIGTERM), 0);
        struct e2e_result *r = e2e_finish(&c->daemon, 30);
        cr_assert(!r->timed_out, "containerd did not stop:\n%s", e2e_describe(r));
}

#define CTR(c, ...) E2E_ARGV("ctr", "--address", (c)->sock, "--namespace", (c)->ns, __VA_ARGS__)

/* busybox rootfs -> podman import -> OCI archive -> ctr images import, which
 * unpacks it into an overlayfs snapshot owned by 0. */
static void import_image(const struct containerd *c)
{
        const char *rootfs = e2e_strf("%s/image-rootfs", e2e_disk_dir());
        const char *tar = e2e_strf("%s/image-rootfs.tar", e2e_work_dir());
        const char *archive = e2e_strf("%s/image.oci.tar", e2e_work_dir());
        const char *pod = e2e_strf("%s/containerd-podman", e2e_work_dir());
#define PODMAN "podman", "--root", e2e_strf("%s/root", pod), "--runroot",                \
        e2e_strf("%s/runroot", pod), "--tmpdir", e2e_strf("%s/tmp", pod),                \
        "--cgroup-manager=cgroupfs", "--events-backend=file"

        e2e_make_rootfs(rootfs);
        e2e_expect_ok(e2e_run(E2E_ARGV("tar", "-C", rootfs, "-cf", tar, ".")));
        e2e_expect_ok(e2e_run(E2E_ARGV(PODMAN, "import", tar, IMAGE)));
        e2e_expect_ok(e2e_run(E2E_ARGV(PODMAN, "save", "--format", "oci-archive", "-o", archive,
                                       IMAGE)));
#undef PODMAN
        e2e_expect_ok(e2e_run(CTR(c, "images", "import", archive)));
}

/* How the container gets its idmapped rootfs, if at all. */
enum way { NEITHER, THE_HOOK, THE_WRAPPER };

/* The runc that ctr hands to containerd's shim.  At `create` it edits the
 * bundle's config.json: a user namespace 0:100000:65536 and, with the hook,
 * the project's hook at createRuntime.  containerd makes its state dirs 0700
 * and 0711 for root; the container's root (100000 on the host) must reach
 * the bundle's rootfs, so every dir from the state dir down to the bundle
 * gets o+x (all of them in the test's tmpfs).  It then execs runc, or, for
 * THE_WRAPPER, oci-idmap-runtime in front of runc (every command, not only
 * create: the wrapper hands the others through). */
static const char *write_runc_wrapper(const struct containerd *c, enum way way)
{
        static const char *const names[] = { "without-hook", "with-hook", "via-wrapper" };
        const char *path = e2e_strf("%s/runc-wrapper-%s", c->dir, names[way]);
        const char *add_hook = way == THE_HOOK
                ? e2e_strf(" | .hooks.createRuntime = [{\"path\": \"%s\", "
                           "\"args\": [\"oci-idmap-hook\", \"createRuntime\"]}]", HOOK_BIN)
                : "";
        const char *exec = way == THE_WRAPPER
                ? e2e_strf("OCI_IDMAP_RUNTIME=runc exec %s", WRAPPER_BIN) : "exec runc";

        e2e_write_file(path, e2e_strf(
                "#!/bin/sh\n"
                "set -e\n"
                "bundle= prev= create=\n"
                "for a in \"$@\"; do\n"
                "        [ \"$prev\" = --bundle ] && bundle=$a\n"
                "        [ \"$a\" = create ] && create=1\n"
                "        prev=$a\n"
                "done\n"
                "if [ -n \"$create\" ] && [ -n \"$bundle\" ]; then\n"
                "        case \"$bundle\" in %s/*) ;; *) echo \"bundle $bundle outside the "
                "test\" >&2; exit 1;; esac\n"
                "        m='[{\"containerID\": 0, \"hostID\": %u, \"size\": 65536}]'\n"
                "        jq --argjson m \"$m\" '.linux.namespaces += [{\"type\": \"user\"}]"
                " | .linux.uidMappings = $m | .linux.gidMappings = $m%s' "
                "\"$bundle/config.json\" > \"$bundle/config.json.new\"\n"
                "        mv \"$bundle/config.json.new\" \"$bundle/config.json\"\n"
                "        d=$bundle\n"
                "        while [ \"$d\" != %s ]; do chmod o+x \"$d\"; d=$(dirname \"$d\"); done\n"
                "fi\n"
                "%s \"$@\"\n",
                c->state, E2E_HOST_BASE, add_hook, c->state, exec));
        cr_assert_eq(chmod(path, 0755), 0);
        return path;
}

/* The image's layers as containerd unpacked them: before any container
 * exists, every snapshot dir there is a committed layer. */
static struct ovl_layers *image_layers(void)
{
        static const char *layers[64];
        static struct ovl_layers l;
        const char *dir = e2e_strf("%s/containerd-root/io.containerd.snapshotter.v1.overlayfs/"
                                   "snapshots", e2e_disk_dir());
        DIR *d = opendir(dir);
        struct dirent *de;

        cr_assert_not_null(d, "opendir `%s`: %s", dir, strerror(errno));
        l.n = 0;
        l.layer = layers;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                cr_assert_lt(l.n, 64);
                layers[l.n++] = e2e_strf("%s/%s/fs", dir, de->d_name);
        }
        closedir(d);
        cr_assert_gt(l.n, 0, "no snapshot in `%s`", dir);
        return &l;
}

static const char *option_value(const char *options, const char *key)
{
        const char *at = strstr(options, e2e_strf("%s=", key));

        cr_assert_not_null(at, "no %s in `%s`", key, options);
        at += strlen(key) + 1;
        return e2e_strf("%.*s", (int)strcspn(at, ", \n"), at);
}

/* The upper dir of container `id`'s snapshot, from `ctr snapshots mounts`
 * (the overlay mount containerd makes for it), after asserting that its
 * lower layers are the image's. */
static const char *snapshot_upper(const struct containerd *c, const char *id,
                                  const struct ovl_layers *image)
{
        struct e2e_result *r = e2e_run(CTR(c, "snapshots", "mounts", "/mnt", id));
        e2e_expect_ok(r);
        const char *lowerdir = option_value(r->out, "lowerdir");
        size_t n = 1;

        for (const char *p = lowerdir; *p; p++)
                n += *p == ':';
        cr_assert_eq(n, image->n, "the snapshot's lowerdir `%s` is not the image's %zu layers",
                     lowerdir, image->n);
        for (size_t k = 0; k < image->n; k++)
                cr_assert_not_null(strstr(lowerdir, image->layer[k]), "`%s` lacks `%s`",
                                   lowerdir, image->layer[k]);
        return option_value(r->out, "upperdir");
}

/* ctr run through the wrapper, without --rm: the snapshot stays for the
 * checks, and remove_container deletes it. */
static struct e2e_result *run_container(const struct containerd *c, const char *id,
                                        const char *wrapper)
{
        return e2e_run(CTR(c, "run", "--runc-binary", wrapper, IMAGE, id, "sh", "-c",
                           "stat -c %u /; touch /made-inside && stat -c %u /made-inside"));
}

static void remove_container(const struct containerd *c, const char *id)
{
        e2e_expect_ok(e2e_run(CTR(c, "containers", "rm", id)));
}

E2E_TEST(containerd, snapshot_is_owned_by_0_inside_and_writes_land_in_upper_as_0_with_the_hook)
{
        struct containerd c;

        start_containerd(&c);
        import_image(&c);
        struct ovl_layers *image = image_layers();
        const char *listing = ovl_layers_listing(image);
        struct e2e_result *r = run_container(&c, "with-hook", write_runc_wrapper(&c, THE_HOOK));
        e2e_expect_out(r, "0\n0\n");
        e2e_expect_owner(snapshot_upper(&c, "with-hook", image), "made-inside", 0);
        ovl_expect_layers_unchanged(image, listing);
        remove_container(&c, "with-hook");
        stop_containerd(&c);
}

/* What the hook is for: the same container, without it, sees its files as
 * nobody's and cannot write. */
E2E_TEST(containerd, snapshot_shows_65534_and_is_not_writable_without_the_hook)
{
        struct containerd c;

        start_containerd(&c);
        import_image(&c);
        struct ovl_layers *image = image_layers();
        const char *listing = ovl_layers_listing(image);
        struct e2e_result *r = run_container(&c, "without-hook",
                                             write_runc_wrapper(&c, NEITHER));
        cr_assert_neq(r->status, 0, "%s", e2e_describe(r));
        cr_assert_str_eq(r->out, "65534\n", "%s", e2e_describe(r));
        e2e_expect_err_has(r, "/made-inside: Permission denied");
        e2e_expect_absent(snapshot_upper(&c, "without-hook", image), "made-inside");
        ovl_expect_layers_unchanged(image, listing);
        remove_container(&c, "without-hook");
        stop_containerd(&c);
}

/* The second way: oci-idmap-runtime as containerd's runc binary (behind a
 * script that adds only the user namespace).  The container sees its
 * snapshot owned by 0, its writes land in the snapshot's upper dir owned by
 * 0, the image's layers do not change, and the host's mount table is the
 * same: the rebuilt overlay lived in the wrapper's namespace alone. */
E2E_TEST(containerd, snapshot_is_owned_by_0_inside_and_writes_land_in_upper_as_0_through_the_wrapper)
{
        struct containerd c;

        start_containerd(&c);
        import_image(&c);
        struct ovl_layers *image = image_layers();
        const char *listing = ovl_layers_listing(image);
        const char *host_before = e2e_host_mounts();
        struct e2e_result *r = run_container(&c, "via-wrapper", write_runc_wrapper(&c, THE_WRAPPER));
        e2e_expect_out(r, "0\n0\n");
        e2e_expect_owner(snapshot_upper(&c, "via-wrapper", image), "made-inside", 0);
        ovl_expect_layers_unchanged(image, listing);
        remove_container(&c, "via-wrapper");
        stop_containerd(&c);
        e2e_expect_host_mounts(host_before);
}
