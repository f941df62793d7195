/* End-to-end test support: see lib_e2e.h. */
#include "lib_e2e.h"

#include "base/cleanup.h"
#include "oci/mountinfo.h"
#include "tests/support/oci_bundle.h"
#include "tests/support/leftovers.h"
#include "tests/support/proc.h"
#include "tests/support/rootfs.h"
#include "tests/support/runtime_probe.h"

#include <criterion/criterion.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* glibc 2.36 defines MOUNT_ATTR_* here. */
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Leftovers name their owner: <prefix>.<pid>.XXXXXX on disk and <prefix>-<pid>
 * in every cgroup hierarchy, so the next run can tell a dead test's from a
 * live one's and sweep them. */
#define DISK_PARENT "/var/tmp"
#define NAME_PREFIX "oci-idmap-e2e"
#define WORK_DIR "/run/" NAME_PREFIX
#define CGROUP_ROOT "/sys/fs/cgroup"

/* How long processes a test started get to exit on their own after the test
 * is done with them: conmon runs `podman container cleanup` after the
 * container exits, which can outlive `podman run` by a moment. */
#define STRAY_GRACE_MS 10000

static char disk_dir[PATH_MAX];
static char cgroup_name[64];
static unsigned container_seq;

/* ---- strings that live until teardown --------------------------------- */

static void **arena;
static size_t arena_n, arena_cap;

static void *keep(void *p)
{
        cr_assert_not_null(p, "out of memory");
        if (arena_n == arena_cap) {
                arena_cap = arena_cap ? 2 * arena_cap : 64;
                arena = realloc(arena, arena_cap * sizeof(*arena));
                cr_assert_not_null(arena, "out of memory");
        }
        arena[arena_n++] = p;
        return p;
}

static void arena_free(void)
{
        for (size_t i = 0; i < arena_n; i++)
                free(arena[i]);
        free(arena);
        arena = NULL;
        arena_n = arena_cap = 0;
}

char *e2e_strf(const char *fmt, ...)
{
        va_list ap;
        char *s = NULL;

        va_start(ap, fmt);
        int r = vasprintf(&s, fmt, ap);
        va_end(ap);
        cr_assert_geq(r, 0, "out of memory");
        return keep(s);
}

const char *e2e_work_dir(void)
{
        return WORK_DIR;
}

const char *e2e_disk_dir(void)
{
        cr_assert(disk_dir[0], "e2e_setup() has not run");
        return disk_dir;
}

/* ---- files --------------------------------------------------------------- */

void e2e_mkdirs(const char *path, mode_t mode)
{
        struct err e = { 0 };

        cr_assert_eq(mkdir_parents(path, mode, &e), 0, "%s", e.msg);
}

void e2e_write_file(const char *path, const char *text)
{
        FILE *f = fopen(path, "we");

        cr_assert_not_null(f, "open `%s`: %s", path, strerror(errno));
        size_t len = strlen(text);
        size_t w = fwrite(text, 1, len, f);
        int r = fclose(f);
        cr_assert(w == len && r == 0, "write `%s`: %s", path, strerror(errno));
}

char *e2e_read_file(const char *path)
{
        FILE *f = fopen(path, "re");

        cr_assert_not_null(f, "open `%s`: %s", path, strerror(errno));
        char *buf = NULL;
        size_t len = 0, cap = 0;
        for (;;) {
                if (cap - len < 4096) {
                        cap = cap ? 2 * cap : 8192;
                        buf = realloc(buf, cap);
                        cr_assert_not_null(buf, "out of memory");
                }
                size_t n = fread(buf + len, 1, cap - len - 1, f);
                len += n;
                if (n == 0)
                        break;
        }
        bool failed = ferror(f);
        fclose(f);
        buf[len] = '\0';
        keep(buf);
        cr_assert(!failed, "read `%s` failed", path);
        return buf;
}

uid_t e2e_owner(const char *path)
{
        struct stat st;

        cr_assert_eq(lstat(path, &st), 0, "stat `%s`: %s", path, strerror(errno));
        return st.st_uid;
}

void e2e_expect_owner(const char *dir, const char *name, uid_t uid)
{
        uid_t owner = e2e_owner(e2e_strf("%s/%s", dir, name));

        cr_assert_eq(owner, uid, "`%s/%s` is owned by %u on disk, not %u", dir, name,
                     (unsigned)owner, (unsigned)uid);
}

void e2e_expect_absent(const char *dir, const char *name)
{
        const char *path = e2e_strf("%s/%s", dir, name);

        cr_assert_neq(access(path, F_OK), 0, "`%s` exists: a refused write landed", path);
}

static void copy_file(const char *from, const char *to, mode_t mode)
{
        struct err e = { 0 };

        cr_assert_eq(copy_new_file(from, to, mode, &e), 0, "%s", e.msg);
}

/* ---- runtimes ------------------------------------------------------------- */

static const struct {
        const char *name;       /* e2e_runtime_name */
        const char *command;    /* the name tools know it by */
        const char *file;       /* in OIH_RUNTIMES_DIR; NULL: Debian's, from PATH */
} runtimes[] = {
        [E2E_RUNC] = { "runc", "runc", NULL },
        [E2E_CRUN] = { "crun", "crun", NULL },
        [E2E_RUNC_CURRENT] = { "runc-1.3.6", "runc", "runc-1.3.6" },
        [E2E_CRUN_CURRENT] = { "crun-1.27.1", "crun", "crun-1.27.1" },
};

const char *e2e_runtime_name(enum e2e_runtime rt)
{
        cr_assert_lt((size_t)rt, ARRAY_SIZE(runtimes), "no runtime %d", (int)rt);
        return runtimes[rt].name;
}

/* The current runtimes are copied under the names runc and crun, one
 * directory each, into the work dir (on tmpfs, gone with the test). */
static const char *current_runtime_bin(enum e2e_runtime rt)
{
        const char *dir = getenv(E2E_RUNTIMES_ENV);
        const char *bin = e2e_strf("%s/runtimes/%s/%s", WORK_DIR, runtimes[rt].name,
                                   runtimes[rt].command);

        if (access(bin, X_OK) == 0)
                return bin;
        cr_assert(dir && dir[0], "%s is not set: this test runs %s, which it takes from that "
                  "directory (%s there); .ci/run sets it to ../shared/runtimes",
                  E2E_RUNTIMES_ENV, runtimes[rt].name, runtimes[rt].file);
        const char *src = e2e_strf("%s/%s", dir, runtimes[rt].file);
        cr_assert_eq(access(src, X_OK), 0, "%s=%s: `%s` is not there or not executable: %s",
                     E2E_RUNTIMES_ENV, dir, src, strerror(errno));
        e2e_mkdirs(e2e_strf("%s/runtimes/%s", WORK_DIR, runtimes[rt].name), 0755);
        copy_file(src, bin, 0755);
        return bin;
}

const char *e2e_runtime_bin(enum e2e_runtime rt)
{
        const char *crun_is_current = getenv(E2E_CRUN_IS_CURRENT_ENV);

        if (rt == E2E_CRUN && crun_is_current && strcmp(crun_is_current, "1") == 0)
                rt = E2E_CRUN_CURRENT;
        cr_assert_lt((size_t)rt, ARRAY_SIZE(runtimes), "no runtime %d", (int)rt);
        if (runtimes[rt].file)
                return current_runtime_bin(rt);
        return runtimes[rt].command;
}

/* ---- rm -rf ----------------------------------------------------------------- */

static void remove_tree(const char *dir)
{
        leftover_remove_tree(dir);
}

/* ---- rootfs --------------------------------------------------------------- */

void e2e_make_rootfs(const char *dir)
{
        struct err e = { 0 };

        cr_assert_eq(rootfs_make_busybox(dir, &e), 0, "%s", e.msg);
}

const char *e2e_make_disk_rootfs(void)
{
        const char *rootfs = e2e_strf("%s/rootfs", e2e_disk_dir());
        e2e_make_rootfs(rootfs);
        return rootfs;
}

const char *e2e_make_volume(const char *name)
{
        const char *dir = e2e_strf("%s/%s", e2e_disk_dir(), name);
        e2e_mkdirs(dir, 0755);
        e2e_write_file(e2e_strf("%s/f", dir), "data\n");
        return dir;
}

static unsigned shift_base;

static int shift_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        if (lchown(path, st->st_uid + shift_base, st->st_gid + shift_base) < 0) {
                fprintf(stderr, "e2e: lchown `%s`: %s\n", path, strerror(errno));
                return -1;
        }
        /* chown clears set-id bits on regular files; put the mode back. */
        if (S_ISREG(st->st_mode) && chmod(path, st->st_mode & 07777) < 0)
                return -1;
        return 0;
}

void e2e_shift_tree(const char *dir, unsigned base)
{
        shift_base = base;
        cr_assert_eq(nftw(dir, shift_entry, 32, FTW_PHYS | FTW_MOUNT), 0,
                     "shifting `%s` by %u failed", dir, base);
}

/* ---- processes ------------------------------------------------------------ */

void e2e_start(struct e2e_proc *p, const char *const argv[])
{
        struct err e = { 0 };

        cr_assert_eq(proc_start(p, argv, NULL, &e), 0, "%s", e.msg);
        keep(p->cmdline);
}

static long now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

struct e2e_result *e2e_finish(struct e2e_proc *p, int timeout_s)
{
        struct e2e_result *r = keep(calloc(1, sizeof(*r)));
        struct err e = { 0 };

        /* the cmdline is in the arena already: proc_finish takes it */
        p->cmdline = strdup(p->cmdline);
        cr_assert_eq(proc_finish(p, timeout_s, r, &e), 0, "%s", e.msg);
        keep(r->cmdline);
        keep(r->out);
        keep(r->err);
        return r;
}

struct e2e_result *e2e_run(const char *const argv[])
{
        struct e2e_proc p;

        e2e_start(&p, argv);
        return e2e_finish(&p, E2E_TIMEOUT);
}

static const char *clip(const char *s)
{
        size_t len = strlen(s);
        return len > 6000 ? e2e_strf("[...]%s", s + len - 6000) : s;
}

const char *e2e_describe(const struct e2e_result *r)
{
        return e2e_strf("%s\n  => %s %d\n--- stdout ---\n%s--- stderr ---\n%s--------------",
                        r->cmdline, r->timed_out ? "TIMED OUT, killed, status" : "exit",
                        r->status, clip(r->out), clip(r->err));
}

void e2e_expect_ok(const struct e2e_result *r)
{
        cr_assert(r->status == 0 && !r->timed_out, "command failed:\n%s", e2e_describe(r));
}

void e2e_expect_out(const struct e2e_result *r, const char *out)
{
        e2e_expect_ok(r);
        cr_assert_str_eq(r->out, out, "%s", e2e_describe(r));
}

const char *e2e_expect_out_prefix(const struct e2e_result *r, const char *prefix)
{
        size_t len = strlen(prefix);
        cr_assert(strncmp(r->out, prefix, len) == 0, "stdout should start with \"%s\":\n%s",
                  prefix, e2e_describe(r));
        return r->out + len;
}

void e2e_expect_fail_with(const struct e2e_result *r, const char *needle)
{
        cr_assert(r->status != 0 && !r->timed_out,
                  "command should have failed with \"%s\":\n%s", needle, e2e_describe(r));
        cr_assert(strstr(r->out, needle) || strstr(r->err, needle),
                  "command failed, but without \"%s\":\n%s", needle, e2e_describe(r));
}

void e2e_expect_err_has(const struct e2e_result *r, const char *needle)
{
        cr_assert(strstr(r->err, needle), "stderr lacks \"%s\":\n%s", needle, e2e_describe(r));
}

void e2e_wait_for_file(const char *path, struct e2e_proc *writer, int timeout_s)
{
        long deadline = now_ms() + timeout_s * 1000L;

        while (access(path, F_OK) < 0) {
                siginfo_t si = { 0 };
                /* WNOWAIT: e2e_finish still reaps it and collects its output. */
                waitid(P_PID, writer->pid, &si, WEXITED | WNOHANG | WNOWAIT);
                if (si.si_pid == writer->pid) {
                        struct e2e_result *r = e2e_finish(writer, 1);
                        cr_assert_fail("`%s` did not appear; its writer exited:\n%s", path,
                                       e2e_describe(r));
                }
                cr_assert_lt(now_ms(), deadline, "`%s` did not appear within %d s", path,
                             timeout_s);
                usleep(20000);
        }
}

/* ---- the processes a test leaves -------------------------------------------- */

char *e2e_living_descendants(void)
{
        char *left;

        proc_reap_orphans();
        left = proc_living_descendants(false);
        return left ? keep(left) : NULL;
}

/* The host's /dev/null as the test found it, held by an fd taken before
 * the private namespace binds a node of its own over it. */
static struct stat dev_null_at_setup;
static int host_dev_null = -1;

static void expect_dev_null_unchanged(void)
{
        struct stat now;

        cr_assert_eq(fstat(host_dev_null, &now), 0);
        cr_assert(now.st_uid == dev_null_at_setup.st_uid && now.st_gid == dev_null_at_setup.st_gid &&
                  now.st_mode == dev_null_at_setup.st_mode,
                  "the host's /dev/null changed: %u:%u %o, was %u:%u %o", now.st_uid, now.st_gid,
                  now.st_mode, dev_null_at_setup.st_uid, dev_null_at_setup.st_gid,
                  dev_null_at_setup.st_mode);
}

void e2e_expect_no_strays(void)
{
        long deadline = now_ms() + STRAY_GRACE_MS;
        char *left;

        expect_dev_null_unchanged();
        for (;;) {
                left = e2e_living_descendants();
                if (!left || now_ms() > deadline)
                        break;
                usleep(50000);
        }
        if (!left)
                return;
        /* The test fails; teardown still kills them. */
        cr_assert_fail("processes left running %d s after the test:\n%s",
                       STRAY_GRACE_MS / 1000, left);
}

static void kill_descendants(void)
{
        if (!proc_kill_descendants())
                fprintf(stderr, "e2e: could not kill every process the test started\n");
}

/* ---- namespace, work area, cleanup --------------------------------------- */

static void must_mount(const char *src, const char *target, const char *fstype,
                       unsigned long flags, const char *data)
{
        if (mount(src, target, fstype, flags, data) < 0)
                cr_assert_fail("mount %s on `%s`: %s", fstype ? fstype : "(flags)", target,
                               strerror(errno));
}

/* A /dev/null of this namespace's own (tests/support/leftovers.h says why). */
static void private_dev_null_or_fail(void)
{
        struct err e = { 0 };

        cr_assert_eq(private_dev_null("/run/oci-idmap-e2e-dev", &e), 0, "%s", e.msg);
}

void e2e_enter_private_ns(void)
{
        cr_assert_eq(unshare(CLONE_NEWNS), 0, "unshare(CLONE_NEWNS): %s", strerror(errno));
        /* Without this, mounts made here would propagate back to the host's
         * shared mounts. */
        must_mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
        /* Beyond what --root/--runroot/--tmpdir redirect, podman, conmon and
         * the runtimes write /run/runc, /run/crun, /run/containers and
         * /dev/shm/libpod_lock: here those land on tmpfs that dies with us. */
        must_mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=755");
        must_mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
        e2e_mkdirs(WORK_DIR, 0755);
        private_dev_null_or_fail();
}

static bool pid_alive(pid_t pid)
{
        return kill(pid, 0) == 0 || errno != ESRCH;
}

/* "<prefix><sep><pid>..." -> pid, or 0 when `name` is not one of ours. */
static pid_t owner_of(const char *name, char sep)
{
        size_t plen = strlen(NAME_PREFIX);
        if (strncmp(name, NAME_PREFIX, plen) != 0 || name[plen] != sep)
                return 0;
        char *end;
        long pid = strtol(name + plen + 1, &end, 10);
        if (end == name + plen + 1 || (*end != '\0' && *end != '.') || pid <= 0)
                return 0;
        return (pid_t)pid;
}

/* Removes each cgroup named for a test in every hierarchy: the one of
 * `only` (when > 0), or those whose test is gone (when 0). */
static void remove_test_cgroups(pid_t only)
{
        DIR *root = opendir(CGROUP_ROOT);
        struct dirent *h, *de;

        if (!root)
                return;
        while ((h = readdir(root))) {
                char hier[sizeof(CGROUP_ROOT) + sizeof(h->d_name) + 1];
                if (h->d_name[0] == '.')
                        continue;
                snprintf(hier, sizeof(hier), "%s/%s", CGROUP_ROOT, h->d_name);
                DIR *d = opendir(hier);
                if (!d)
                        continue;
                while ((de = readdir(d))) {
                        char path[sizeof(hier) + sizeof(de->d_name) + 1];
                        pid_t owner = owner_of(de->d_name, '-');
                        if (!owner || (only ? owner != only : pid_alive(owner)))
                                continue;
                        snprintf(path, sizeof(path), "%s/%s", hier, de->d_name);
                        leftover_remove_cgroup(path);
                }
                closedir(d);
        }
        closedir(root);
}

/* What a test that crashed (or was killed by a timeout) left behind: its
 * containers, conmon and cgroups, and its disk dir.  No assertions here: it
 * also runs in the Criterion runner, after all tests. */
static void sweep_dead_tests_leftovers(void)
{
        DIR *d = opendir(DISK_PARENT);
        struct dirent *de;

        remove_test_cgroups(0);
        if (!d)
                return;
        while ((de = readdir(d))) {
                char path[sizeof(DISK_PARENT) + sizeof(de->d_name) + 1];
                pid_t owner = owner_of(de->d_name, '.');
                if (!owner || pid_alive(owner))
                        continue;
                snprintf(path, sizeof(path), "%s/%s", DISK_PARENT, de->d_name);
                remove_tree(path);
        }
        closedir(d);
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
        sweep_dead_tests_leftovers();
}

void e2e_setup(void)
{
        struct err e = { 0 };

        cr_assert_eq(geteuid(), 0, "the e2e tests run real containers and need root");
        /* Orphans (conmon, container inits whose runtime exited) come to us,
         * not to pid 1: we can see, reap and kill everything we started. */
        cr_assert_eq(proc_become_subreaper(&e), 0, "%s", e.msg);
        if (host_dev_null < 0)
                host_dev_null = open("/dev/null", O_PATH | O_CLOEXEC);
        cr_assert_eq(fstat(host_dev_null, &dev_null_at_setup), 0);
        e2e_enter_private_ns();
        sweep_dead_tests_leftovers();

        snprintf(disk_dir, sizeof(disk_dir), "%s/%s.%d.XXXXXX", DISK_PARENT, NAME_PREFIX,
                 getpid());
        cr_assert_not_null(mkdtemp(disk_dir), "mkdtemp `%s`: %s", disk_dir, strerror(errno));
        /* The container's root (uid 100000 on the host) must reach its rootfs. */
        cr_assert_eq(chmod(disk_dir, 0755), 0);
        snprintf(cgroup_name, sizeof(cgroup_name), "%s-%d", NAME_PREFIX, getpid());
}

/* Only a runtime that ran has a state dir, so e2e_runtime_bin finds it. */
static void delete_runtime_containers(enum e2e_runtime rt)
{
        const char *state = e2e_strf("%s/%s-state", WORK_DIR, e2e_runtime_name(rt));
        if (access(state, F_OK) < 0)
                return;
        const char *bin = e2e_runtime_bin(rt);
        struct e2e_result *r = e2e_run(E2E_ARGV(bin, "--root", state, "list", "-q"));
        char *save = NULL;
        for (char *id = strtok_r(r->out, "\n", &save); id; id = strtok_r(NULL, "\n", &save))
                e2e_run(E2E_ARGV(bin, "--root", state, "delete", "--force", id));
}

/* Mounts the test made below the disk dir (in our namespace only) would
 * stop remove_tree at their edge. */
static void unmount_below(const char *dir)
{
        FILE *f = fopen("/proc/self/mountinfo", "re");
        char line[4096], point[PATH_MAX];
        size_t dlen = strlen(dir);
        bool again = false;

        if (!f)
                return;
        while (fgets(line, sizeof(line), f)) {
                if (sscanf(line, "%*d %*d %*s %*s %4095s", point) != 1)
                        continue;
                if (strncmp(point, dir, dlen) == 0 && point[dlen] == '/')
                        again |= umount2(point, MNT_DETACH) == 0;
        }
        fclose(f);
        if (again)
                unmount_below(dir);
}

void e2e_teardown(void)
{
        kill_descendants();
        if (disk_dir[0]) {
                for (size_t i = 0; i < ARRAY_SIZE(runtimes); i++)
                        delete_runtime_containers((enum e2e_runtime)i);
                kill_descendants();
                remove_test_cgroups(getpid());
                unmount_below(disk_dir);
                remove_tree(disk_dir);
                disk_dir[0] = '\0';
        }
        arena_free();
}

/* ---- podman ------------------------------------------------------------------ */

/* A hooks.d dir holding the project's own hooks file (as installed, with
 * HOOK_BIN for its path), or an empty one. */
static const char *hooks_dir(enum e2e_hook hook)
{
        const char *dir = e2e_strf("%s/hooks.d-%s", WORK_DIR,
                                   hook == E2E_WITH_HOOK ? "with-hook" : "empty");
        if (access(dir, F_OK) == 0)
                return dir;
        e2e_mkdirs(dir, 0755);
        if (hook == E2E_WITHOUT_HOOK)
                return dir;

        const char *tmpl = e2e_read_file(SOURCE_DIR "/packaging/oci-idmap-hook.json.in");
        const char *at = strstr(tmpl, "@hook_path@");
        cr_assert_not_null(at, "packaging/oci-idmap-hook.json.in has no @hook_path@");
        const char *json = e2e_strf("%.*s%s%s", (int)(at - tmpl), tmpl, HOOK_BIN,
                                    at + strlen("@hook_path@"));
        e2e_write_file(e2e_strf("%s/oci-idmap-hook.json", dir), json);
        return dir;
}

/* podman's global flags: all its state on this test's tmpfs. */
#define PODMAN_GLOBALS(hook, runtime)                                                  \
        "podman",                                                                      \
        "--root", WORK_DIR "/podman/root",                                             \
        "--runroot", WORK_DIR "/podman/runroot",                                       \
        "--tmpdir", WORK_DIR "/podman/tmp",                                            \
        /* its default, /etc/containers/networks, would get a lock file */             \
        "--network-config-dir", WORK_DIR "/podman/networks",                           \
        "--cgroup-manager=cgroupfs",                                                   \
        "--events-backend=file",                                                       \
        "--hooks-dir", hooks_dir(hook),                                                \
        "--runtime", e2e_runtime_bin(runtime)

static const char **podman_argv(const struct e2e_podman *c)
{
        const char *const fixed[] = {
                PODMAN_GLOBALS(c->hook, c->runtime),
                "run", "--rm", "--network", "none",
                "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
                "--cgroup-parent", e2e_strf("/%s", cgroup_name),
        };
        size_t n_fixed = ARRAY_SIZE(fixed);
        size_t n_flags = 0, n_cmd = 0;

        cr_assert(!c->rootfs != !c->image, "podman run needs a rootfs or an image");
        cr_assert(c->cmd && c->cmd[0], "podman run needs a command");
        while (c->flags && c->flags[n_flags])
                n_flags++;
        while (c->cmd[n_cmd])
                n_cmd++;

        const char **argv = keep(calloc(n_fixed + n_flags + 2 + n_cmd + 1, sizeof(*argv)));
        size_t k = 0;
        for (size_t i = 0; i < n_fixed; i++)
                argv[k++] = fixed[i];
        for (size_t i = 0; i < n_flags; i++)
                argv[k++] = c->flags[i];
        /* The first word after the rootfs dir (or the image) is the command. */
        if (c->rootfs) {
                argv[k++] = "--rootfs";
                argv[k++] = c->rootfs;
        } else {
                argv[k++] = c->image;
        }
        for (size_t i = 0; i < n_cmd; i++)
                argv[k++] = c->cmd[i];
        argv[k] = NULL;
        return argv;
}

const char *e2e_podman_import(const char *rootfs, const char *name)
{
        const char *tar = e2e_strf("%s/%s.tar", WORK_DIR, name);
        const char *image = e2e_strf("localhost/%s", name);

        e2e_expect_ok(e2e_run(E2E_ARGV("tar", "-C", rootfs, "-cf", tar, ".")));
        e2e_expect_ok(e2e_run(E2E_ARGV(PODMAN_GLOBALS(E2E_WITHOUT_HOOK, E2E_RUNC),
                                       "import", tar, image)));
        return image;
}

void e2e_podman_start(struct e2e_proc *p, const struct e2e_podman *c)
{
        e2e_start(p, podman_argv(c));
}

struct e2e_result *e2e_podman_run(const struct e2e_podman *c)
{
        return e2e_run(podman_argv(c));
}

/* ---- bundles ------------------------------------------------------------------ */

const struct bundle_mount *e2e_bundle_mounts(const struct e2e_mount *mounts, size_t n)
{
        struct bundle_mount *m = keep(calloc(n + 1, sizeof(*m)));

        for (size_t i = 0; i < n; i++)
                m[i] = (struct bundle_mount){
                        .destination = mounts[i].destination,
                        .type = mounts[i].type,
                        .source = mounts[i].source,
                        .options = mounts[i].options,
                        .mapping = mounts[i].mapping,
                };
        return m;
}

struct e2e_result *e2e_wrapper_run(const char *bin, const char *real, const char *state,
                                   const char *bundle, const char *id)
{
        const char *config = e2e_strf("%s/config.json", bundle);
        const char *written = e2e_read_file(config);

        cr_assert_eq(setenv("OCI_IDMAP_RUNTIME", real, 1), 0);
        struct e2e_result *r = e2e_run(E2E_ARGV(bin, "--root", state, "run", "--bundle", bundle, id));
        e2e_run(E2E_ARGV(real, "--root", state, "delete", "--force", id));
        cr_assert_str_eq(e2e_read_file(config), written, "config.json changed on disk");
        return r;
}

static void write_config(const char *path, const struct e2e_bundle *b, const char *id)
{
        const struct bundle_config c = {
                .rootfs = b->rootfs,
                .readonly_root = b->readonly_root,
                .args = b->args,
                .hostname = "e2e",
                .host_base = b->host_base ? b->host_base : E2E_HOST_BASE,
                .mounts = e2e_bundle_mounts(b->mounts, b->n_mounts),
                .n_mounts = b->n_mounts,
                .annotations = b->annotations,
                .hook = b->hook != E2E_WITH_HOOK ? NULL : b->hook_path ? b->hook_path : HOOK_BIN,
                .hook_stage = b->hook_stage,
                .cgroups_path = e2e_strf("/%s/%s", cgroup_name, id),
                .no_masks = b->no_masks,
        };
        struct err e = { 0 };

        cr_assert_eq(bundle_write_config(path, &c, &e), 0, "%s", e.msg);
}

void e2e_bundle_start(struct e2e_container *c, const struct e2e_bundle *b)
{
        const char *bundle;

        c->runtime = e2e_runtime_bin(b->runtime);
        c->id = e2e_strf("e2e-%d-%u", getpid(), ++container_seq);
        c->state = e2e_strf("%s/%s-state", WORK_DIR, e2e_runtime_name(b->runtime));
        bundle = e2e_strf("%s/bundles/%s", WORK_DIR, c->id);
        e2e_mkdirs(bundle, 0755);
        write_config(e2e_strf("%s/config.json", bundle), b, c->id);
        e2e_start(&c->proc, E2E_ARGV(c->runtime, "--root", c->state, "run", "--bundle", bundle,
                                     c->id));
}

struct e2e_result *e2e_bundle_finish(struct e2e_container *c)
{
        struct e2e_result *r = e2e_finish(&c->proc, E2E_TIMEOUT);

        /* Whatever happened, the container must go (its cgroups with it). */
        e2e_run(E2E_ARGV(c->runtime, "--root", c->state, "delete", "--force", c->id));
        return r;
}

struct e2e_result *e2e_bundle_run(const struct e2e_bundle *b)
{
        struct e2e_container c;

        e2e_bundle_start(&c, b);
        return e2e_bundle_finish(&c);
}

/* ---- mount views ---------------------------------------------------------------- */

/* The per-mount flags the view compares are the kernel's MOUNT_ATTR_ bits,
 * which oci/mountinfo.c reads from field (6). */
_Static_assert(E2E_RO == MOUNT_ATTR_RDONLY && E2E_NOSUID == MOUNT_ATTR_NOSUID &&
               E2E_NODEV == MOUNT_ATTR_NODEV && E2E_NOEXEC == MOUNT_ATTR_NOEXEC,
               "E2E_* flags are MOUNT_ATTR_* bits");

struct e2e_mount_view *e2e_mount_view_parse(const char *mountinfo)
{
        struct e2e_mount_view *v = keep(calloc(1, sizeof(*v)));
        struct mountinfo mi = { 0 };
        struct err e = { 0 };

        int r = mountinfo_parse(mountinfo, strlen(mountinfo), "the container's mountinfo", &mi, &e);
        cr_assert_eq(r, 0, "%s:\n%s", e.msg, mountinfo);
        v->n = mi.n;
        v->m = keep(calloc(mi.n + 1, sizeof(*v->m)));
        for (size_t i = 0; i < mi.n; i++) {
                const struct mountinfo_entry *src = &mi.e[i];
                v->m[i] = (struct e2e_view_mount){
                        .point = e2e_strf("%s", src->mount_point),
                        .options = e2e_strf("%s", src->mount_options),
                        .fstype = e2e_strf("%s", src->fstype),
                        .flags = src->attrs & (E2E_RO | E2E_NOSUID | E2E_NODEV | E2E_NOEXEC),
                        .idmapped = src->idmapped,
                };
        }
        mountinfo_free(&mi);
        return v;
}

size_t e2e_mount_view_find(const struct e2e_mount_view *v, const char *point,
                           const struct e2e_view_mount **out, size_t max)
{
        size_t n = 0;

        for (size_t i = 0; i < v->n; i++) {
                if (strcmp(v->m[i].point, point) != 0)
                        continue;
                if (n < max)
                        out[n] = &v->m[i];
                n++;
        }
        return n;
}

const struct e2e_view_mount *e2e_mount_view_only(const struct e2e_mount_view *v,
                                                 const char *point, const char *mountinfo)
{
        const struct e2e_view_mount *m[4];
        size_t n = e2e_mount_view_find(v, point, m, 4);

        cr_assert_eq(n, 1, "%zu mounts at %s, expected one:\n%s", n, point, mountinfo);
        return m[0];
}

void e2e_expect_idmapped(const char *mountinfo, const char *point, bool idmapped)
{
        const struct e2e_view_mount *m =
                e2e_mount_view_only(e2e_mount_view_parse(mountinfo), point, mountinfo);

        cr_assert_eq(m->idmapped, idmapped, "%s should %sbe idmapped:\n%s", point,
                     idmapped ? "" : "not ", mountinfo);
}

static const char *flags_str(unsigned flags)
{
        return e2e_strf("%s%s%s%s", flags & E2E_RO ? "ro " : "", flags & E2E_NOSUID ? "nosuid " : "",
                        flags & E2E_NODEV ? "nodev " : "", flags & E2E_NOEXEC ? "noexec " : "");
}

void e2e_expect_mount_flags(const struct e2e_mount_view *v, const char *point, unsigned flags,
                            const char *mountinfo)
{
        unsigned missing = flags & ~e2e_mount_view_only(v, point, mountinfo)->flags;

        cr_assert_eq(missing, 0, "%s lacks %s:\n%s", point, flags_str(missing), mountinfo);
}

char *e2e_mount_view_diff(const struct e2e_mount_view *without,
                          const struct e2e_mount_view *with)
{
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        const struct e2e_view_mount *a[16], *b[16];

        for (size_t i = 0; i < without->n; i++) {
                const char *point = without->m[i].point;
                size_t na = e2e_mount_view_find(without, point, a, 16);
                if (a[0] != &without->m[i])
                        continue;       /* this point was handled at its first mount */
                size_t nb = e2e_mount_view_find(with, point, b, 16);
                if (na != nb)
                        fprintf(f, "%s: %zu mount(s) without the hook, %zu with it\n", point,
                                na, nb);
                for (size_t k = 0; k < na && k < nb && k < 16; k++) {
                        unsigned lost = a[k]->flags & ~b[k]->flags;
                        if (lost)
                                fprintf(f, "%s: lost %s(without the hook: %s; with it: %s)\n",
                                        point, flags_str(lost), a[k]->options, b[k]->options);
                }
        }
        for (size_t i = 0; i < with->n; i++)
                if (e2e_mount_view_find(without, with->m[i].point, a, 16) == 0)
                        fprintf(f, "%s: only with the hook (%s)\n", with->m[i].point,
                                with->m[i].options);
        fclose(f);
        if (len == 0) {
                free(text);
                return NULL;
        }
        return keep(text);
}

void e2e_expect_same_view(const char *without, const char *with)
{
        char *diff = e2e_mount_view_diff(e2e_mount_view_parse(without), e2e_mount_view_parse(with));

        cr_assert_null(diff, "the container's mounts differ with the hook:\n%s\n"
                       "--- without the hook ---\n%s--- with it ---\n%s", diff, without, with);
}

void e2e_expect_same_view_with_idmapped_root(const struct e2e_result *without,
                                             const struct e2e_result *with)
{
        e2e_expect_ok(without);
        e2e_expect_ok(with);
        cr_assert(e2e_mount_view_only(e2e_mount_view_parse(with->out), "/", with->out)->idmapped,
                  "the hook did not idmap the rootfs:\n%s", with->out);
        e2e_expect_same_view(without->out, with->out);
}

/* ---- the host ------------------------------------------------------------------ */

static bool same_mount_ns(pid_t a, pid_t b)
{
        struct stat sa, sb;
        char pa[64], pb[64];

        snprintf(pa, sizeof(pa), "/proc/%d/ns/mnt", a);
        snprintf(pb, sizeof(pb), "/proc/%d/ns/mnt", b);
        return stat(pa, &sa) == 0 && stat(pb, &sb) == 0 && sa.st_ino == sb.st_ino &&
               sa.st_dev == sb.st_dev;
}

char *e2e_host_mounts(void)
{
        pid_t runner = getppid();
        const char *init = e2e_read_file("/proc/1/mountinfo");

        if (same_mount_ns(1, runner))
                return e2e_strf("%s", init);
        return e2e_strf("%s--- the test runner's namespace ---\n%s", init,
                        e2e_read_file(e2e_strf("/proc/%d/mountinfo", runner)));
}

void e2e_expect_host_mounts(const char *before)
{
        cr_assert_str_eq(e2e_host_mounts(), before, "the host's mount table changed");
}

/* ---- what the hook must do, under podman and on a bundle alike ---------- */

void e2e_expect_shifted_rootfs_left_alone(const struct e2e_result *r, const char *rootfs)
{
        e2e_expect_ok(r);
        e2e_expect_idmapped(e2e_expect_out_prefix(r, "0\n"), "/", false);
        e2e_expect_owner(rootfs, "made-inside", E2E_HOST_BASE);
}

void e2e_expect_volume_idmapped_once(const struct e2e_result *r, const char *vol)
{
        e2e_expect_ok(r);
        e2e_expect_idmapped(e2e_expect_out_prefix(r, "0\n"), "/vol", true);
        e2e_expect_owner(vol, "new", 0);
}

/* ---- what the hook takes the runtime for ----------------------------------- */

const char *e2e_probe_runtime_kind(enum e2e_runtime rt, const char *rootfs)
{
        static unsigned probes;
        const char *out = e2e_strf("%s/runtime-kind.%u", WORK_DIR, ++probes);
        struct e2e_result *r = e2e_bundle_run(&(struct e2e_bundle){
                .runtime = rt, .hook = E2E_WITH_HOOK, .hook_path = RUNTIME_PROBE_BIN,
                .rootfs = rootfs,
                .annotations = E2E_ARGV(RUNTIME_PROBE_OUT, out),
                .args = E2E_ARGV("true"),
        });

        e2e_expect_ok(r);
        return e2e_read_file(out);
}
