/* The mount work against the real kernel, without a runtime: a stand-in
 * "container" process gets its own mount namespace with a rootfs laid out as
 * runc and crun leave it when they run hooks (rootfs bind-mounted onto
 * itself, proc, sysfs, a tmpfs /dev, volumes below it), then mounts_apply
 * works on it and the test reads the result back through /proc/<pid>.
 *
 * Every test runs in a private mount namespace of its own, so a failing test
 * leaves no mount on the machine; the stand-in is killed and reaped in .fini.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hook/mounts.h"
#include "hook/userns.h"
#include "oci/config.h"
#include "oci/mountinfo.h"
#include "oci/plan.h"

static char work[64];           /* on disk (ext4 here), removed in .fini */
static char rootfs[128];
static pid_t container = -1;
static int release_pipe = -1;
static char host_mountinfo_before[1 << 16];

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
        char cmd[2048];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        cr_assert_eq(system(cmd), 0, "%s", cmd);
}

static void slurp_into(const char *path, char *buf, size_t cap)
{
        int fd = open(path, O_RDONLY);
        size_t len = 0;
        ssize_t n;

        cr_assert(fd >= 0, "open %s", path);
        while (len + 1 < cap && (n = read(fd, buf + len, cap - 1 - len)) > 0)
                len += (size_t)n;
        buf[len] = '\0';
        close(fd);
}

static void setup(void)
{
        /* The test's own mount namespace: whatever it mounts dies with it. */
        cr_assert_eq(unshare(CLONE_NEWNS), 0, "unshare: %s", strerror(errno));
        cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
        slurp_into("/proc/1/mountinfo", host_mountinfo_before, sizeof(host_mountinfo_before));

        strcpy(work, "/var/tmp/oci-idmap-hook-test-XXXXXX");
        cr_assert(mkdtemp(work));
        snprintf(rootfs, sizeof(rootfs), "%s/rootfs", work);
        sh("cd %s && mkdir -p rootfs/proc rootfs/sys rootfs/dev rootfs/etc rootfs/vol rootfs/rovol "
           "rootfs/nest vol/sub rovol nest sub ovl/l ovl/u ovl/w && touch rootfs/etc/file vol/file vol/sub/x "
           "rovol/file sub/y ovl/l/file "
           "&& ln -s /outside rootfs/link && chown -R 0:0 .", work);
}

static void teardown(void)
{
        if (container > 0) {
                kill(container, SIGKILL);
                waitpid(container, NULL, 0);
                container = -1;
        }
        if (release_pipe >= 0)
                close(release_pipe);
        release_pipe = -1;
        if (work[0]) {
                char cmd[160];

                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", work);
                if (system(cmd) != 0)
                        fprintf(stderr, "could not remove %s\n", work);
        }
}

TestSuite(mounts, .init = setup, .fini = teardown, .timeout = 60);

struct layout {
        bool same_namespace;    /* a broken "container" sharing the test's namespace */
        bool rootfs_shared;     /* a rootfs mount with peers */
        bool rovol_already_ro;  /* runc makes ro binds ro before the hooks; crun after */
        bool vol_already_idmapped;
        bool submount_in_vol;
        bool vol_is_overlay;    /* /vol: an overlay of work/ovl/l, upper work/ovl/u */
};

static void must(int r, const char *what)
{
        if (r < 0) {
                fprintf(stderr, "stand-in container: %s: %s\n", what, strerror(errno));
                _exit(1);
        }
}

static void idmap_in_place(const char *path, const struct id_mapping *m)
{
        struct err e = { 0 };
        int ns = userns_fd(m, &e), tree;
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP };

        must(ns, "userns_fd");
        attr.userns_fd = (unsigned)ns;
        tree = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | AT_RECURSIVE);
        must(tree, "open_tree");
        must(mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)), "idmap");
        must(umount2(path, MNT_DETACH), "umount");
        must(move_mount(tree, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH), "move_mount");
        close(tree);
        close(ns);
}

/* Starts the stand-in container: a process in a new mount namespace with
 * the rootfs mounted as the runtimes leave it at the hook. */
static void start_container(const struct layout *l, const struct id_mapping *m)
{
        int ready[2], release[2];
        char c;

        cr_assert_eq(pipe(ready), 0);
        cr_assert_eq(pipe(release), 0);
        container = fork();
        cr_assert(container >= 0);
        if (container == 0) {
                char p[256];

                close(ready[0]);
                close(release[1]);
                if (l->same_namespace) {
                        must(write(ready[1], "r", 1), "ready");
                        (void)!read(release[0], &c, 1);
                        _exit(0);
                }
                must(unshare(CLONE_NEWNS), "unshare");
                must(mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL), "rslave");
                must(mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL), "bind rootfs");
                must(mount(NULL, rootfs, NULL, l->rootfs_shared ? MS_SHARED : MS_PRIVATE, NULL),
                     "rootfs propagation");
                snprintf(p, sizeof(p), "%s/proc", rootfs);
                must(mount("proc", p, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL), "proc");
                snprintf(p, sizeof(p), "%s/sys", rootfs);
                must(mount("sysfs", p, "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL), "sysfs");
                snprintf(p, sizeof(p), "%s/dev", rootfs);
                must(mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755"), "dev");
                snprintf(p, sizeof(p), "%s/vol", rootfs);
                {
                        char src[256];

                        snprintf(src, sizeof(src), "%s/vol", work);
                        if (l->vol_is_overlay) {
                                snprintf(src, sizeof(src), "lowerdir=%s/ovl/l,upperdir=%s/ovl/u,"
                                         "workdir=%s/ovl/w", work, work, work);
                                must(mount("overlay", p, "overlay", MS_NOSUID, src), "overlay vol");
                        } else {
                                must(mount(src, p, NULL, MS_BIND | MS_REC, NULL), "bind vol");
                        }
                        if (l->submount_in_vol) {
                                char sub[256], subsrc[256];

                                snprintf(sub, sizeof(sub), "%s/vol/sub", rootfs);
                                snprintf(subsrc, sizeof(subsrc), "%s/sub", work);
                                must(mount(subsrc, sub, NULL, MS_BIND, NULL), "bind vol/sub");
                        }
                        if (l->vol_already_idmapped)
                                idmap_in_place(p, m);
                        snprintf(src, sizeof(src), "%s/rovol", work);
                        snprintf(p, sizeof(p), "%s/rovol", rootfs);
                        must(mount(src, p, NULL, MS_BIND | MS_REC, NULL), "bind rovol");
                        if (l->rovol_already_ro)
                                must(mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL), "ro rovol");
                }
                must(write(ready[1], "r", 1), "ready");
                (void)!read(release[0], &c, 1);
                _exit(0);
        }
        close(ready[1]);
        close(release[0]);
        release_pipe = release[1];
        cr_assert_eq(read(ready[0], &c, 1), 1, "the stand-in container did not start");
        close(ready[0]);
}

static const char mappings[] =
        "\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}],"
        "\"gidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]";

struct run {
        struct oci_config config;
        struct mountinfo mi;
        struct plan plan;
        struct err e;
        char errmsg[1024];
};

/* What the apply layer did, step by step ("done N: ..."), is exactly what
 * the plan prints ("step N: ..."): the printout is the whole plan. */
static void expect_done_as_planned(const struct plan *p, int trace)
{
        char *printed = NULL, *done = NULL, *want = NULL;
        size_t plen = 0, dlen = 0, wlen = 0;
        FILE *f = open_memstream(&printed, &plen), *w = open_memstream(&want, &wlen);
        struct stat st;

        cr_assert_eq(plan_print_text(p, f), 0);
        fclose(f);
        for (char *line = strtok(printed, "\n"); line; line = strtok(NULL, "\n"))
                if (strncmp(line, "step ", 5) == 0)
                        fprintf(w, "done %s\n", line + 5);
        fclose(w);
        cr_assert_eq(fstat(trace, &st), 0);
        done = calloc(1, (size_t)st.st_size + 1);
        cr_assert_eq(pread(trace, done, (size_t)st.st_size, 0), st.st_size);
        dlen = (size_t)st.st_size;
        cr_assert_eq(p->n_steps > 0, plan_has_work(p), "a plan with work has steps, and only one");
        cr_assert_str_eq(done, want, "done:\n%s\nplanned:\n%s", done, want);
        (void)dlen;
        free(printed);
        free(done);
        free(want);
}

/* Plans as the hook does and applies the plan from a child process (setns
 * changes the caller's namespace for good). Returns the child's exit code. */
static bool as_runc;

static int hook(struct run *r, const char *config_extra, const char *mounts, enum activation a)
{
        char doc[8192], path[64];
        struct plan_input in = { 0 };
        int fds[64], err_pipe[2], status, pidfd, trace;
        pid_t pid;

        snprintf(doc, sizeof(doc), "{\"ociVersion\":\"1.1.0\",\"root\":{\"path\":\"%s\"%s},"
                 "\"mounts\":[%s],\"linux\":{\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"user\"}],%s,"
                 "\"maskedPaths\":[\"/proc/keys\",\"/proc/acpi\",\"/proc/nonexistent\",\"/sys/firmware\"],"
                 "\"readonlyPaths\":[\"/proc/sys\",\"/proc/bus\"]}}",
                 rootfs, config_extra, mounts, mappings);
        cr_assert_eq(oci_config_parse(doc, strlen(doc), "/b", "config.json", &r->config, &r->e), 0, "%s", r->e.msg);
        snprintf(path, sizeof(path), "/proc/%d/mountinfo", container);
        cr_assert_eq(mountinfo_load(path, &r->mi, &r->e), 0, "%s", r->e.msg);
        in.config = &r->config;
        in.mountinfo = &r->mi;
        in.owner = (struct rootfs_owner){ .known = true, .uid = 0, .gid = 0 };
        in.activation = a;
        in.runtime = as_runc ? RUNTIME_RUNC_BY_PATH : RUNTIME_CRUN_BY_HANDLE;
        if (plan_build(&in, &r->plan, &r->e) < 0) {
                /* refused before anything was done, as the hook refuses */
                snprintf(r->errmsg, sizeof(r->errmsg), "%s", r->e.msg);
                return 1;
        }
        trace = memfd_create("trace", MFD_CLOEXEC);
        cr_assert_geq(trace, 0);

        for (size_t i = 0; i < r->plan.n_mappings; i++) {
                fds[i] = userns_fd(r->plan.mappings[i], &r->e);
                cr_assert_geq(fds[i], 0, "%s", r->e.msg);
        }
        pidfd = pidfd_open(container, 0);
        cr_assert_geq(pidfd, 0);
        cr_assert_eq(pipe(err_pipe), 0);
        pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
                struct err e = { 0 };
                FILE *t = fdopen(dup(trace), "w");
                int rc = mounts_apply(&r->plan, pidfd, fds, &r->mi, t, &e);

                fclose(t);
                if (rc < 0)
                        (void)!write(err_pipe[1], e.msg, strlen(e.msg));
                _exit(rc < 0 ? 1 : 0);
        }
        close(err_pipe[1]);
        memset(r->errmsg, 0, sizeof(r->errmsg));
        (void)!read(err_pipe[0], r->errmsg, sizeof(r->errmsg) - 1);
        close(err_pipe[0]);
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        close(pidfd);
        for (size_t i = 0; i < r->plan.n_mappings; i++)
                close(fds[i]);
        cr_assert(WIFEXITED(status));
        if (WEXITSTATUS(status) == 0)
                expect_done_as_planned(&r->plan, trace);
        close(trace);
        return WEXITSTATUS(status);
}

static void release_run(struct run *r)
{
        plan_free(&r->plan);
        mountinfo_free(&r->mi);
        oci_config_free(&r->config);
}

/* The container's mount table now. */
static void container_mounts(struct mountinfo *mi)
{
        char path[64];
        struct err e = { 0 };

        snprintf(path, sizeof(path), "/proc/%d/mountinfo", container);
        cr_assert_eq(mountinfo_load(path, mi, &e), 0, "%s", e.msg);
}

static const struct mountinfo_entry *top(const struct mountinfo *mi, const char *inside)
{
        char p[256];

        snprintf(p, sizeof(p), "%s%s", rootfs, strcmp(inside, "/") == 0 ? "" : inside);
        return mountinfo_top(mi, p);
}

/* Owner of a path as the container's mount namespace shows it to the host. */
static uid_t owner_in_container(const char *inside)
{
        char p[512];
        struct stat st;

        snprintf(p, sizeof(p), "/proc/%d/root%s%s", container, rootfs, inside);
        cr_assert_eq(stat(p, &st), 0, "stat %s: %s", p, strerror(errno));
        return st.st_uid;
}

static void assert_host_namespace_unchanged(void)
{
        static char now[1 << 16];

        slurp_into("/proc/1/mountinfo", now, sizeof(now));
        cr_assert_str_eq(now, host_mountinfo_before, "the host's mount table changed");
}

static const char vol_idmap[] =
        "{\"destination\":\"/vol\",\"type\":\"bind\",\"source\":\"/v\",\"options\":[\"rbind\",\"idmap\"]},"
        "{\"destination\":\"/rovol\",\"type\":\"bind\",\"source\":\"/r\",\"options\":[\"rbind\",\"ro\"]},"
        "{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\",\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},"
        "{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\",\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]}";

Test(mounts, rootfs_is_replaced_by_an_idmapped_clone_keeping_every_submount)
{
        struct layout l = { .rovol_already_ro = true };
        struct mountinfo before, after;
        struct run r = { 0 };

        start_container(&l, NULL);
        container_mounts(&before);
        cr_assert_eq(owner_in_container("/etc/file"), 0);
        cr_assert_eq(hook(&r, "", vol_idmap, ACTIVATION_AUTO), 0, "%s", r.errmsg);
        container_mounts(&after);

        cr_assert(top(&after, "/")->idmapped, "the rootfs is idmapped");
        cr_assert_eq(owner_in_container("/etc/file"), 100000, "uid 0 on disk shows as 100000");
        cr_assert_eq(owner_in_container("/vol/file"), 100000, "/vol idmapped too");
        cr_assert_eq(owner_in_container("/rovol/file"), 0, "/rovol not asked: not idmapped");
        for (const char *const *d = (const char *const[]){ "/proc", "/sys", "/dev", "/vol", "/rovol", NULL }; *d; d++) {
                cr_assert(top(&after, *d), "%s still mounted", *d);
                cr_assert_str_eq(top(&after, *d)->fstype, top(&before, *d)->fstype, "%s", *d);
                cr_assert_eq(top(&after, *d)->attrs & top(&before, *d)->attrs, top(&before, *d)->attrs,
                             "%s lost flags", *d);
        }
        assert_host_namespace_unchanged();
        mountinfo_free(&before);
        mountinfo_free(&after);
        release_run(&r);
}

/* An overlay volume asking idmap: a new overlay on idmapped layers is
 * swapped in for it, with the runtime's flags, and what was done is what
 * the plan printed (hook() checks it). */
Test(mounts, overlay_volume_is_swapped_for_an_overlay_on_idmapped_layers)
{
        struct layout l = { .rovol_already_ro = true, .vol_is_overlay = true };
        struct mountinfo before, after;
        struct run r = { 0 };
        int at_vol = 0;

        start_container(&l, NULL);
        container_mounts(&before);
        cr_assert_eq(hook(&r, "", vol_idmap, ACTIVATION_AUTO), 0, "%s", r.errmsg);
        container_mounts(&after);

        cr_assert_eq(r.plan.n_overlays, 1);
        cr_assert_eq(r.plan.steps[1].kind, STEP_OVERLAY_SWAP, "after the rootfs's idmap-stack");
        cr_assert_str_eq(top(&after, "/vol")->fstype, "overlay");
        cr_assert_neq(top(&after, "/vol")->mount_id, top(&before, "/vol")->mount_id, "made anew");
        cr_assert(top(&after, "/vol")->attrs & MOUNT_ATTR_NOSUID, "the runtime's nosuid kept");
        /* the old rootfs tree stays below its idmapped copy: count in the copy */
        for (size_t i = 0; i < after.n; i++)
                at_vol += strcmp(after.e[i].mount_point, top(&after, "/vol")->mount_point) == 0 &&
                          after.e[i].parent_id == top(&after, "/")->mount_id;
        cr_assert_eq(at_vol, 1, "swapped, not stacked: one mount at /vol");
        cr_assert_eq(owner_in_container("/vol/file"), 100000, "the lower layer is idmapped");
        cr_assert_eq(owner_in_container("/rovol/file"), 0, "/rovol not asked: not idmapped");
        assert_host_namespace_unchanged();
        mountinfo_free(&before);
        mountinfo_free(&after);
        release_run(&r);
}

Test(mounts, flags_and_masks_are_carried_over_as_config_asks)
{
        struct layout l = { .rovol_already_ro = false };        /* as crun leaves it */
        struct mountinfo after;
        struct run r = { 0 };

        start_container(&l, NULL);
        cr_assert_eq(hook(&r, ",\"readonly\":true", vol_idmap, ACTIVATION_AUTO), 0, "%s", r.errmsg);
        container_mounts(&after);

        cr_assert(top(&after, "/")->attrs & MOUNT_ATTR_RDONLY, "root.readonly carried over");
        cr_assert(top(&after, "/rovol")->attrs & MOUNT_ATTR_RDONLY, "/rovol ro as config.json asks");
        cr_assert(top(&after, "/sys")->attrs & MOUNT_ATTR_RDONLY, "/sys ro as config.json asks");
        cr_assert(top(&after, "/proc/keys"), "/proc/keys masked");
        cr_assert_str_eq(top(&after, "/proc/keys")->fstype, "devtmpfs", "masked by /dev/null");
        cr_assert(top(&after, "/proc/acpi"), "/proc/acpi masked");
        cr_assert_str_eq(top(&after, "/proc/acpi")->fstype, "tmpfs", "a directory is masked by a tmpfs");
        cr_assert(top(&after, "/proc/acpi")->attrs & MOUNT_ATTR_RDONLY);
        cr_assert(top(&after, "/sys/firmware"), "/sys/firmware masked");
        cr_assert(top(&after, "/proc/sys")->attrs & MOUNT_ATTR_RDONLY, "/proc/sys read-only");
        cr_assert_null(top(&after, "/proc/nonexistent"), "a missing masked path is skipped");
        assert_host_namespace_unchanged();
        mountinfo_free(&after);
        release_run(&r);
}

Test(mounts, volume_already_idmapped_by_the_runtime_is_not_mapped_twice)
{
        struct id_mapping m = { .uid = { 1, { { 0, 100000, 65536 } } }, .gid = { 1, { { 0, 100000, 65536 } } } };
        struct layout l = { .vol_already_idmapped = true };
        struct mountinfo after;
        struct run r = { 0 };
        int at_vol = 0;

        start_container(&l, &m);
        cr_assert_eq(hook(&r, "", vol_idmap, ACTIVATION_FALSE), 0, "%s", r.errmsg);
        cr_assert_not(r.plan.mounts[0].idmap, "the plan sees crun's idmap");
        container_mounts(&after);
        for (size_t i = 0; i < after.n; i++)
                if (strstr(after.e[i].mount_point, "/rootfs/vol") && !strstr(after.e[i].mount_point, "/sub"))
                        at_vol++;
        cr_assert_eq(at_vol, 1, "one mount at /vol, as the runtime left it");
        cr_assert_eq(owner_in_container("/vol/file"), 100000);
        mountinfo_free(&after);
        release_run(&r);
}

Test(mounts, idmap_volume_alone_keeps_rootfs_and_its_submount_unmapped)
{
        struct layout l = { .submount_in_vol = true };
        struct run r = { 0 };

        start_container(&l, NULL);
        cr_assert_eq(hook(&r, "", vol_idmap, ACTIVATION_FALSE), 0, "%s", r.errmsg);
        cr_assert_eq(owner_in_container("/vol/file"), 100000);
        cr_assert_eq(owner_in_container("/vol/sub/y"), 0, "idmap is top only: the submount is kept as is");
        cr_assert_eq(owner_in_container("/etc/file"), 0, "the rootfs is left alone");
        release_run(&r);
}

Test(mounts, ridmap_maps_every_mount_of_the_volume)
{
        struct layout l = { .submount_in_vol = true };
        struct run r = { 0 };

        start_container(&l, NULL);
        cr_assert_eq(hook(&r, "", "{\"destination\":\"/vol\",\"type\":\"bind\",\"source\":\"/v\",\"options\":[\"rbind\",\"ridmap\"]}",
                          ACTIVATION_FALSE), 0, "%s", r.errmsg);
        cr_assert_eq(owner_in_container("/vol/file"), 100000);
        cr_assert_eq(owner_in_container("/vol/sub/y"), 100000, "the submount is idmapped too");
        release_run(&r);
}

Test(mounts, symlink_destination_never_leads_outside_the_rootfs)
{
        struct layout l = { 0 };
        struct run r = { 0 };

        start_container(&l, NULL);
        /* rootfs/link -> /outside: inside the rootfs that is rootfs/outside,
         * which does not exist; the host's /outside is never looked at. */
        cr_assert_neq(hook(&r, "", "{\"destination\":\"/link\",\"type\":\"bind\",\"source\":\"/v\",\"options\":[\"idmap\"]}",
                           ACTIVATION_FALSE), 0);
        cr_assert(strstr(r.errmsg, "/link"), "%s", r.errmsg);
        assert_host_namespace_unchanged();
        release_run(&r);
}

Test(mounts, under_runc_root_ro_masks_and_readonly_paths_are_left_to_it)
{
        struct layout l = { .rovol_already_ro = true };
        struct mountinfo after;
        struct run r = { 0 };

        as_runc = true;
        start_container(&l, NULL);
        cr_assert_eq(hook(&r, ",\"readonly\":true", vol_idmap, ACTIVATION_AUTO), 0, "%s", r.errmsg);
        container_mounts(&after);
        cr_assert(top(&after, "/")->idmapped);
        /* runc writes sysctls through /proc/sys after the hooks, then makes
         * these itself: the hook must leave them writable and unmasked. */
        cr_assert_not(top(&after, "/")->attrs & MOUNT_ATTR_RDONLY);
        cr_assert_null(top(&after, "/proc/sys"));
        cr_assert_null(top(&after, "/proc/keys"));
        cr_assert(top(&after, "/sys")->attrs & MOUNT_ATTR_RDONLY, "per-mount flags are still carried");
        mountinfo_free(&after);
        release_run(&r);
}

Test(mounts, config_mount_nested_in_a_replaced_volume_keeps_its_flags)
{
        struct layout l = { .submount_in_vol = true };  /* vol/sub rw, as crun leaves it */
        struct mountinfo after;
        struct run r = { 0 };

        start_container(&l, NULL);
        /* The rootfs is left alone; /vol is replaced with /vol/sub inside it,
         * which crun would make read-only later through a handle on the
         * replaced tree: the hook must do it. */
        cr_assert_eq(hook(&r, "", "{\"destination\":\"/vol\",\"type\":\"bind\",\"source\":\"/v\",\"options\":[\"rbind\",\"ridmap\"]},"
                          "{\"destination\":\"/vol/sub\",\"type\":\"bind\",\"source\":\"/s\",\"options\":[\"bind\",\"ro\",\"nosuid\"]}",
                          ACTIVATION_FALSE), 0, "%s", r.errmsg);
        container_mounts(&after);
        cr_assert(top(&after, "/vol/sub")->idmapped);
        cr_assert_eq(top(&after, "/vol/sub")->attrs & (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID),
                     MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID, "config.json asks ro,nosuid");
        mountinfo_free(&after);
        release_run(&r);
}

Test(mounts, container_sharing_the_hooks_mount_namespace_is_refused)
{
        struct layout l = { .same_namespace = true };
        struct run r = { 0 };

        start_container(&l, NULL);
        cr_assert_neq(hook(&r, "", vol_idmap, ACTIVATION_TRUE), 0);
        /* the rootfs of this stand-in is no mount of the hook's namespace:
         * the planner refuses first; the apply layer would refuse too */
        cr_assert(strstr(r.errmsg, "no mount namespace of its own") ||
                  strstr(r.errmsg, "not a mount point in the container's mount namespace"),
                  "%s", r.errmsg);
        assert_host_namespace_unchanged();
        release_run(&r);
}

Test(mounts, shared_rootfs_is_refused_since_the_clone_would_propagate)
{
        struct layout l = { .rootfs_shared = true };
        struct mountinfo after;
        struct run r = { 0 };

        start_container(&l, NULL);
        cr_assert_neq(hook(&r, "", vol_idmap, ACTIVATION_TRUE), 0);
        cr_assert(strstr(r.errmsg, "shared"), "%s", r.errmsg);
        container_mounts(&after);
        cr_assert_not(top(&after, "/")->idmapped, "nothing was attached");
        assert_host_namespace_unchanged();
        mountinfo_free(&after);
        release_run(&r);
}
