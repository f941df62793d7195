/* The hook's real flow against the real kernel, without a runtime: a
 * stand-in container (tests/support/standin.h) holds a rootfs laid out as
 * runc and crun leave it when they run hooks (rootfs bind-mounted onto
 * itself, proc, sysfs, a tmpfs /dev, volumes below it, and the fds the
 * runtime's init holds there), the built hook (HOOK_BIN) runs with a state
 * on stdin and a bundle's config.json, and the test reads the result back
 * through /proc/<pid>.
 *
 * Every test runs in a private mount namespace of its own, so a failing test
 * leaves no mount on the machine; the stand-in is killed and reaped in .fini.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hook/userns.h"
#include "oci/mountinfo.h"
#include "oci/plan.h"
#include "tests/support/oci_bundle.h"
#include "tests/support/proc.h"
#include "tests/support/standin.h"

static char work[64];           /* on disk (ext4 here), removed in .fini */
static char rootfs[128];
static struct standin container = { .pid = -1 };
static int vol_userns = -1;
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
        sh("cd %s && mkdir -p bundle rootfs/proc rootfs/sys rootfs/dev rootfs/etc rootfs/vol rootfs/rovol "
           "rootfs/nest vol/sub rovol nest sub ovl/l ovl/u ovl/w && touch rootfs/etc/file vol/file vol/sub/x "
           "rovol/file sub/y ovl/l/file "
           "&& ln -s /outside rootfs/link && chown -R 0:0 .", work);
        /* The hook's debug lines carry the plan and what was done. */
        setenv("OCI_IDMAP_HOOK_DEBUG", "1", 1);
        /* In a sanitizer build (.ci/test's build-asan) the hook binary is
         * instrumented too; LeakSanitizer's exit-time scan stops the process
         * with ptrace and clone, which the hook's own seccomp filter kills.
         * Its leaks cannot be looked for past the filter: not in this run. */
        {
                const char *asan = getenv("ASAN_OPTIONS");
                char opts[512];

                snprintf(opts, sizeof(opts), "%s%sdetect_leaks=0", asan ? asan : "", asan ? ":" : "");
                setenv("ASAN_OPTIONS", opts, 1);
        }
}

/* What a test mounted below `work` in its namespace (a failed one may leave
 * some): detached, deepest first, so that rm -rf can remove the files. */
static void unmount_below_work(void)
{
        struct mountinfo mi;
        struct err e = { 0 };
        size_t n = strlen(work);

        if (mountinfo_load("/proc/self/mountinfo", &mi, &e) < 0)
                return;
        for (size_t i = mi.n; i-- > 0;)
                if (strncmp(mi.e[i].mount_point, work, n) == 0 && mi.e[i].mount_point[n] == '/')
                        umount2(mi.e[i].mount_point, MNT_DETACH);
        mountinfo_free(&mi);
}

static void teardown(void)
{
        standin_stop(&container);
        if (vol_userns >= 0)
                close(vol_userns);
        vol_userns = -1;
        if (work[0]) {
                char cmd[160];

                unmount_below_work();
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
        /* a bind where the runtime resolves a destination through a symlink
         * inside the rootfs: below the rootfs at this path */
        const char *resolved_bind;
        const char *vol_overlay;  /* /vol: an overlay with these options (lowerdir=...) */
};

static bool as_runc;

/* Starts the stand-in container: a process in a new mount namespace with
 * the rootfs mounted as the runtimes leave it at the hook, holding what
 * runc 1.1.5 (nothing) or crun (its handles on root.path) hold. */
static void start_container(const struct layout *l, const struct id_mapping *m)
{
        char vol[128], rovol[128], sub[128];
        struct standin_mount mounts[] = {
                { .target = "/proc", .source = "proc", .fstype = "proc",
                  .flags = MS_NOSUID | MS_NODEV | MS_NOEXEC },
                { .target = "/sys", .source = "sysfs", .fstype = "sysfs",
                  .flags = MS_NOSUID | MS_NODEV | MS_NOEXEC },
                { .target = "/dev", .source = "tmpfs", .fstype = "tmpfs", .flags = MS_NOSUID | MS_NOEXEC,
                  .data = "mode=755" },
                l->vol_overlay
                    ? (struct standin_mount){ .target = "/vol", .source = "overlay", .fstype = "overlay",
                                              .flags = MS_NOSUID, .data = l->vol_overlay,
                                              .below = l->submount_in_vol ? "/sub" : NULL, .below_source = sub }
                    : (struct standin_mount){ .target = "/vol", .source = vol, .flags = MS_BIND | MS_REC,
                                              .below = l->submount_in_vol ? "/sub" : NULL, .below_source = sub },
                { .target = "/rovol", .source = rovol, .flags = MS_BIND | MS_REC,
                  .read_only = l->rovol_already_ro },
                { .target = l->resolved_bind, .source = sub, .flags = MS_BIND, .create = true },
        };
        struct standin_spec spec = {
                .rootfs = rootfs,
                .same_namespace = l->same_namespace,
                .rootfs_shared = l->rootfs_shared,
                .mounts = mounts,
                .n_mounts = l->resolved_bind ? 6 : 5,
                .holds = as_runc ? STANDIN_HOLDS_NOTHING : STANDIN_HOLDS_CRUN_HANDLES,
        };
        struct err e = { 0 };

        snprintf(vol, sizeof(vol), "%s/vol", work);
        snprintf(rovol, sizeof(rovol), "%s/rovol", work);
        snprintf(sub, sizeof(sub), "%s/sub", work);
        if (l->vol_already_idmapped) {
                vol_userns = userns_fd(m, &e);
                cr_assert_geq(vol_userns, 0, "%s", e.msg);
                mounts[3].idmap_userns = vol_userns;
        }
        cr_assert_eq(standin_start(&container, &spec, &e), 0, "%s", e.msg);
}

static const char mappings[] =
        "\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}],"
        "\"gidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]";

struct run {
        struct proc_result res;
        char errmsg[1024];      /* the hook's one error line, without its prefix */
        char *plan;             /* the plan it printed (debug), one line each */
};

/* The hook's debug lines that start with `prefix` (after "oci-idmap-hook:
 * debug: "), each with `replace` in place of the prefix, one a line. */
static char *debug_lines(const char *err, const char *prefix, const char *replace)
{
        static const char tag[] = "oci-idmap-hook: debug: ";
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);

        for (const char *line = err; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
                const char *end = strchr(line, '\n'), *m = line + strlen(tag);

                if (!end)
                        end = line + strlen(line);
                if (strncmp(line, tag, strlen(tag)) != 0)
                        continue;
                /* "container <id>: " */
                if (strncmp(m, "container standin: ", 19) == 0)
                        m += 19;
                if (prefix && strncmp(m, prefix, strlen(prefix)) != 0)
                        continue;
                if (prefix)
                        fprintf(f, "%s%.*s\n", replace, (int)(end - m - strlen(prefix)), m + strlen(prefix));
                else
                        fprintf(f, "%.*s\n", (int)(end - m), m);
        }
        fclose(f);
        return text;
}

/* What the apply layer did, step by step ("done N: ..."), is exactly what
 * the plan prints ("step N: ..."): the printout is the whole plan. */
static void expect_done_as_planned(const struct run *r)
{
        char *want = debug_lines(r->res.err, "step ", "done ");
        char *done = debug_lines(r->res.err, "done ", "done ");

        /* The hook prints its plan when it has work to do; a plan with work
         * has steps, and only one. */
        cr_assert_eq(want[0] != '\0', strstr(r->plan, "rootfs: ") != NULL, "%s", r->res.err);
        cr_assert_str_eq(done, want, "done:\n%s\nplanned:\n%s", done, want);
        free(want);
        free(done);
}

static void write_text(const char *path, const char *text)
{
        FILE *f = fopen(path, "w");

        cr_assert_not_null(f, "%s: %s", path, strerror(errno));
        cr_assert_geq(fputs(text, f), 0);
        cr_assert_eq(fclose(f), 0);
}

/* Runs the built hook as the runtime runs it at createRuntime: the state
 * on stdin (runc's form or crun's), config.json in the bundle.  Returns its
 * exit code. */
static int hook(struct run *r, const char *config_extra, const char *mounts, enum activation a)
{
        static const char *const annotation[] = {
                [ACTIVATION_AUTO] = "", [ACTIVATION_TRUE] = "\"annotations\":{\"" ANNOTATION_ROOTFS "\":\"true\"},",
                [ACTIVATION_FALSE] = "\"annotations\":{\"" ANNOTATION_ROOTFS "\":\"false\"},",
        };
        const char *const argv[] = { HOOK_BIN, "createRuntime", NULL };
        char doc[8192], path[160], bundle[96], *state, *nl;
        struct proc p;
        struct err e = { 0 };

        snprintf(doc, sizeof(doc), "{\"ociVersion\":\"1.1.0\",%s\"root\":{\"path\":\"%s\"%s},"
                 "\"mounts\":[%s],\"linux\":{\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"user\"}],%s,"
                 "\"maskedPaths\":[\"/proc/keys\",\"/proc/acpi\",\"/proc/nonexistent\",\"/sys/firmware\"],"
                 "\"readonlyPaths\":[\"/proc/sys\",\"/proc/bus\"]}}",
                 annotation[a], rootfs, config_extra, mounts, mappings);
        snprintf(path, sizeof(path), "%s/bundle/config.json", work);
        write_text(path, doc);
        snprintf(bundle, sizeof(bundle), "%s/bundle", work);
        state = bundle_state_text(&(struct bundle_state){ .id = "standin", .pid = container.pid,
                                                          .bundle = bundle,
                                                          .root = as_runc ? NULL : rootfs }, &e);
        cr_assert_not_null(state, "%s", e.msg);
        cr_assert_eq(proc_start(&p, argv, state, &e), 0, "%s", e.msg);
        free(state);
        cr_assert_eq(proc_finish(&p, 30, &r->res, &e), 0, "%s", e.msg);
        cr_assert_not(r->res.timed_out, "the hook did not finish in 30 s:\n%s", r->res.err);
        r->plan = debug_lines(r->res.err, NULL, NULL);
        /* its error: the one line that is no debug line */
        for (char *line = r->res.err; line && *line; line = nl ? nl + 1 : NULL) {
                nl = strchr(line, '\n');
                if (strncmp(line, "oci-idmap-hook: debug: ", 23) == 0 ||
                    strncmp(line, "oci-idmap-hook: warning: ", 25) == 0)
                        continue;
                snprintf(r->errmsg, sizeof(r->errmsg), "%.*s", (int)(nl ? nl - line : (long)strlen(line)), line);
                break;
        }
        /* killed (by its own seccomp filter, say): that is no refusal */
        cr_assert_lt(r->res.status, 128, "%s: killed:\n%s", r->res.cmdline, r->res.err);
        if (r->res.status == 0)
                expect_done_as_planned(r);
        return r->res.status;
}

/* The plan the hook makes for the stand-in now, as `oci-idmap-hook plan`
 * prints it (the same planner, without the mount work). */
static char *planned(void)
{
        char bundle[96], pid[16];
        const char *const argv[] = { HOOK_BIN, "plan", "--bundle", bundle, "--pid", pid, "--runtime",
                                     as_runc ? "runc" : "crun", NULL };
        struct proc p;
        struct proc_result res;
        struct err e = { 0 };
        char *out;

        snprintf(bundle, sizeof(bundle), "%s/bundle", work);
        snprintf(pid, sizeof(pid), "%d", (int)container.pid);
        cr_assert_eq(proc_start(&p, argv, NULL, &e), 0, "%s", e.msg);
        cr_assert_eq(proc_finish(&p, 30, &res, &e), 0, "%s", e.msg);
        cr_assert_eq(res.status, 0, "%s: exit %d: %s", res.cmdline, res.status, res.err);
        out = res.out;
        res.out = NULL;
        proc_result_free(&res);
        return out;
}

static void release_run(struct run *r)
{
        proc_result_free(&r->res);
        free(r->plan);
}

/* The container's mount table now. */
static void container_mounts(struct mountinfo *mi)
{
        char path[64];
        struct err e = { 0 };

        snprintf(path, sizeof(path), "/proc/%d/mountinfo", container.pid);
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

        snprintf(p, sizeof(p), "/proc/%d/root%s%s", container.pid, rootfs, inside);
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
        char ovl[512];
        struct layout l = { .rovol_already_ro = true, .vol_overlay = ovl };
        struct mountinfo before, after;
        struct run r = { 0 };
        int at_vol = 0;

        snprintf(ovl, sizeof(ovl), "lowerdir=%s/ovl/l,upperdir=%s/ovl/u,workdir=%s/ovl/w", work, work, work);
        start_container(&l, NULL);
        container_mounts(&before);
        cr_assert_eq(hook(&r, "", vol_idmap, ACTIVATION_AUTO), 0, "%s", r.errmsg);
        container_mounts(&after);

        {
                char *steps = debug_lines(r.res.err, "step ", "step ");

                cr_assert(strstr(steps, "step 2: overlay-swap mount "), "after the rootfs's idmap-stack:\n%s", steps);
                cr_assert_null(strstr(strstr(steps, "overlay-swap") + 1, "overlay-"), "one overlay made anew:\n%s", steps);
                free(steps);
        }
        cr_assert_str_eq(top(&after, "/vol")->fstype, "overlay");
        cr_assert_neq(top(&after, "/vol")->mount_id, top(&before, "/vol")->mount_id, "made anew");
        cr_assert(top(&after, "/vol")->attrs & MOUNT_ATTR_NOSUID, "the runtime's nosuid kept");
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

/* The hook's own mount table, one mount a line: "mount point, fstype". */
static void own_mounts(char *buf, size_t cap)
{
        struct mountinfo mi;
        struct err e = { 0 };
        size_t len = 0;

        cr_assert_eq(mountinfo_load("/proc/self/mountinfo", &mi, &e), 0, "%s", e.msg);
        buf[0] = '\0';
        for (size_t i = 0; i < mi.n && len < cap; i++)
                len += (size_t)snprintf(buf + len, cap - len, "%s %s\n", mi.e[i].mount_point,
                                        mi.e[i].fstype);
        mountinfo_free(&mi);
}

/* Layers on a shared mount of the namespace the hook starts in (the host's
 * when a runtime runs it): the hook's clones of them are detached and
 * private, so nothing it does with them (it stacks them to dissolve them in
 * one go) propagates onto the layers' directories there. */
Test(mounts, overlay_layers_on_a_shared_mount_leave_no_mount_behind)
{
        char ovl[640], before[8192], after[8192];
        struct layout l = { .rovol_already_ro = true, .vol_overlay = ovl };
        struct run r = { 0 };

        sh("mkdir -p %s/ovl/l2 %s/ovl/l3 && mount --bind %s/ovl %s/ovl && mount --make-shared %s/ovl",
           work, work, work, work, work);
        snprintf(ovl, sizeof(ovl), "lowerdir=%s/ovl/l3:%s/ovl/l2:%s/ovl/l,upperdir=%s/ovl/u,"
                 "workdir=%s/ovl/w", work, work, work, work, work);
        start_container(&l, NULL);
        own_mounts(before, sizeof(before));
        cr_assert_eq(hook(&r, "", vol_idmap, ACTIVATION_AUTO), 0, "%s", r.errmsg);
        own_mounts(after, sizeof(after));

        cr_assert_str_eq(after, before, "the hook's own namespace changed");
        cr_assert_eq(owner_in_container("/vol/file"), 100000, "the lower layers are idmapped");
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
        {
                char *plan = planned(), *vol = strstr(plan, "\nmount /vol (bind)");

                cr_assert(vol && strstr(vol, ": keep, already idmapped by the runtime;") <
                                         strchr(vol + 1, '\n') &&
                          strstr(vol, ": keep, already idmapped by the runtime;"),
                          "the plan sees crun's idmap:\n%s", plan);
                free(plan);
        }
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
        char target[160], inside[300], mounts[1024];
        struct layout l = { .resolved_bind = inside };
        struct run r = { 0 };

        /* rootfs/link -> <rootfs>/vol, an absolute path.  Inside the rootfs
         * it names <rootfs><rootfs>/vol, where the runtime (which resolves a
         * destination in the rootfs) put the bind; from the host's root it
         * names the rootfs's own /vol, a mount of the container's too.  A
         * hook that resolved destinations from the host root would take
         * /vol for /link and idmap it; this one may not.  It finds the
         * runtime's mount by /link's source instead, the only mount of the
         * rootfs tree that shows it, and idmaps that one. */
        snprintf(target, sizeof(target), "%s/vol", rootfs);
        snprintf(inside, sizeof(inside), "%s", target);
        sh("ln -sfn '%s' '%s/link'", target, rootfs);
        start_container(&l, NULL);
        snprintf(mounts, sizeof(mounts), "{\"destination\":\"/link\",\"type\":\"bind\",\"source\":\"%s/sub\","
                 "\"options\":[\"bind\",\"idmap\"]}", work);
        cr_assert_eq(hook(&r, "", mounts, ACTIVATION_FALSE), 0, "%s", r.errmsg);
        cr_assert_eq(owner_in_container("/vol/file"), 0, "the rootfs's /vol was not idmapped");
        {
                char p[512];
                struct stat st;

                snprintf(p, sizeof(p), "/proc/%d/root%s%s/y", container.pid, rootfs, inside);
                cr_assert_eq(stat(p, &st), 0, "stat %s: %s", p, strerror(errno));
                cr_assert_eq(st.st_uid, 100000, "where the runtime mounted /link is idmapped");
        }
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
