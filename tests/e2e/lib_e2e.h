/* End-to-end test support: real podman, runc and crun, as root.
 *
 * Every test is an E2E_TEST: e2e_setup() runs first, e2e_teardown() last, and
 * the body ends by checking that nothing it started still runs.  In between,
 * everything the test starts runs in a mount namespace of the test's own, so
 * no mount it makes (nor any that podman, conmon or a runtime makes) reaches
 * the host; a tmpfs there holds all runtime state and vanishes with the test
 * process.
 *
 * Only rootfs and volume directories live on the real disk (that is the case
 * the hook is for): under /var/tmp/oci-idmap-e2e.<pid>.XXXXXX, removed by
 * e2e_teardown, and swept by the next test run if a crash left them.
 *
 * Failures are Criterion assertions with the command, its exit status and its
 * output in the message: a missing runtime fails, it never skips.
 */
#pragma once

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "tests/support/proc.h"

/* The runtimes a test can run under.  Debian's come from PATH (their
 * packages, .ci/setup-host).  The current ones are the files runc-1.3.6 and
 * crun-1.27.1 in the directory OIH_RUNTIMES_DIR names (.ci/run sets it to
 * ../shared/runtimes when that exists); a test that runs one without the
 * variable fails, saying so.  Such tests live in tests/e2e/test_current_*.c,
 * which ctest labels e2e-current. */
enum e2e_runtime {
        E2E_RUNC,               /* Debian 12's runc 1.1.5 */
        E2E_CRUN,               /* Debian 12's crun 1.8.1 */
        E2E_RUNC_CURRENT,       /* runc 1.3.6: pivots into a handle taken before the hooks */
        E2E_CRUN_CURRENT,       /* crun 1.27.1 */
};
enum e2e_hook { E2E_WITHOUT_HOOK, E2E_WITH_HOOK };

#define E2E_RUNTIMES_ENV "OIH_RUNTIMES_DIR"

/* With OIH_E2E_CRUN_IS_CURRENT=1, E2E_CRUN runs crun 1.27.1 (as
 * E2E_CRUN_CURRENT) instead of Debian's: a way to run the existing suites
 * under it by hand (their names and version checks then still speak of
 * 1.8.1). */
#define E2E_CRUN_IS_CURRENT_ENV "OIH_E2E_CRUN_IS_CURRENT"

/* "runc", "crun", "runc-1.3.6", "crun-1.27.1": for messages and state dirs. */
const char *e2e_runtime_name(enum e2e_runtime rt);

/* The command that runs `rt`: "runc" or "crun" from PATH, or a copy of the
 * current binary under that name in the test's work dir (tools that look at
 * the name, like podman, see runc or crun).  Asserts it is there. */
const char *e2e_runtime_bin(enum e2e_runtime rt);

/* The user namespace most tests give their container. */
#define E2E_HOST_BASE 100000u
#define E2E_USERNS_FLAGS "--uidmap", "0:100000:65536", "--gidmap", "0:100000:65536"

/* NULL-terminated argument lists, written in place.  A compound literal: it
 * lives until the end of the enclosing block, so never return one. */
#define E2E_ARGV(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define E2E_SH(script) E2E_ARGV("sh", "-c", (script))

/* ---- namespace, work area, cleanup ---------------------------------- */

/* unshare(CLONE_NEWNS), / made rprivate, tmpfs over /run and /dev/shm (where
 * podman and the runtimes keep state their flags do not redirect), and the
 * work dir on it.  Part of e2e_setup. */
void e2e_enter_private_ns(void);

/* Criterion .init / .fini for every e2e test.  e2e_setup makes this process
 * the subreaper of everything it starts, enters the private namespace,
 * sweeps what crashed tests left, and makes the disk dir.  e2e_teardown kills
 * whatever the test started that still runs, deletes leftover containers and
 * their cgroups, and removes the disk dir. */
void e2e_setup(void);
void e2e_teardown(void);

/* The processes this test started that are still alive ("  pid comm: cmdline"
 * lines), or NULL.  Zombies handed to us are reaped first. */
char *e2e_living_descendants(void);

/* Fails the test if a process it started (a runtime, conmon, the hook, a
 * container) is still alive after a grace period.  It must run in the test
 * body: Criterion 2.4 does not fail a test for an assertion in its .fini. */
void e2e_expect_no_strays(void);

/* Test(suite, name) with e2e_setup/e2e_teardown around it and
 * e2e_expect_no_strays at the end of its body. */
#define E2E_TEST(suite, name, ...)                                                     \
        static void e2e_body_##suite##_##name(void);                                  \
        Test(suite, name, .init = e2e_setup, .fini = e2e_teardown, ##__VA_ARGS__)      \
        {                                                                              \
                e2e_body_##suite##_##name();                                           \
                e2e_expect_no_strays();                                                \
        }                                                                              \
        static void e2e_body_##suite##_##name(void)

const char *e2e_work_dir(void);   /* tmpfs, private to this test process */
const char *e2e_disk_dir(void);   /* on the disk's filesystem (ext4 here) */

/* A string that lives until e2e_teardown. */
char *e2e_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* mkdir -p, asserting. */
void e2e_mkdirs(const char *path, mode_t mode);
/* Writes a whole file, asserting. */
void e2e_write_file(const char *path, const char *text);
/* Reads a whole file into a string that lives until e2e_teardown. */
char *e2e_read_file(const char *path);
/* stat's st_uid, asserting the path exists. */
uid_t e2e_owner(const char *path);
/* Asserts that <dir>/<name> exists and is owned by `uid` on the host. */
void e2e_expect_owner(const char *dir, const char *name, uid_t uid);
/* Asserts that <dir>/<name> does not exist: a write the container was
 * refused did not land. */
void e2e_expect_absent(const char *dir, const char *name);

/* ---- rootfs ---------------------------------------------------------- */

/* A busybox rootfs owned by 0:0 at `dir` (created): /bin/busybox with its
 * applets, the mount points podman and the runtimes need, /etc files. */
void e2e_make_rootfs(const char *dir);

/* e2e_make_rootfs at <disk dir>/rootfs; returns the path. */
const char *e2e_make_disk_rootfs(void);

/* A volume source <disk dir>/<name>, owned by 0:0, holding one file `f`. */
const char *e2e_make_volume(const char *name);

/* lchown every entry below and at `dir` to (uid + base, gid + base), keeping
 * modes: a rootfs "shifted" for a container whose mapping starts at base. */
void e2e_shift_tree(const char *dir, unsigned base);

/* ---- running commands -------------------------------------------------- */

/* A command started (e2e_start) and its result (e2e_finish): struct proc
 * and struct proc_result of tests/support/proc.h, by their e2e names. */
#define e2e_proc proc
#define e2e_result proc_result

/* Default seconds before a command is killed. */
#define E2E_TIMEOUT 120

/* posix_spawnp argv (no shell), stdin /dev/null, stdout and stderr captured.
 * Asserts the program could be started. */
void e2e_start(struct e2e_proc *p, const char *const argv[]);
/* Waits up to timeout_s, then kills the command's process group. */
struct e2e_result *e2e_finish(struct e2e_proc *p, int timeout_s);
struct e2e_result *e2e_run(const char *const argv[]);

/* "cmd: exit N\nstdout: ...\nstderr: ..." for assertion messages. */
const char *e2e_describe(const struct e2e_result *r);

/* Asserts exit status 0. */
void e2e_expect_ok(const struct e2e_result *r);
/* Asserts exit status 0 and stdout exactly `out`. */
void e2e_expect_out(const struct e2e_result *r, const char *out);
/* Asserts that stdout starts with `prefix`; returns what follows it. */
const char *e2e_expect_out_prefix(const struct e2e_result *r, const char *prefix);

/* Asserts a non-zero exit status and `needle` in stdout or stderr. */
void e2e_expect_fail_with(const struct e2e_result *r, const char *needle);
/* Asserts `needle` in stderr. */
void e2e_expect_err_has(const struct e2e_result *r, const char *needle);

/* Waits up to timeout_s for `path` to exist while `writer` (started by
 * e2e_start) runs; asserts it does, failing at once if the writer exits. */
void e2e_wait_for_file(const char *path, struct e2e_proc *writer, int timeout_s);

/* ---- podman -------------------------------------------------------------- */

struct e2e_podman {
        enum e2e_runtime runtime;
        enum e2e_hook hook;
        const char *const *flags;       /* before --rootfs; NULL for none */
        const char *rootfs;             /* --rootfs DIR, or: */
        const char *image;              /* an image from e2e_podman_import */
        const char *const *cmd;         /* the container's command */
};

/* Imports the directory `rootfs` as the image localhost/NAME into this
 * test's own podman storage (no registry is reachable); returns its name. */
const char *e2e_podman_import(const char *rootfs, const char *name);

/* podman --root/--runroot/--tmpdir in the work dir ... run --rm --network none
 * --ulimit nofile/nproc --cgroup-parent <ours> [flags] --rootfs R cmd...
 * --hooks-dir names a dir holding the project's hooks.d file pointing at
 * HOOK_BIN (E2E_WITH_HOOK) or an empty one. */
struct e2e_result *e2e_podman_run(const struct e2e_podman *c);
void e2e_podman_start(struct e2e_proc *p, const struct e2e_podman *c);

/* ---- runc / crun on a bundle, no podman -------------------------------- */

/* A mount of the test's own, as tests/support/oci_bundle.h's bundle_mount. */
struct e2e_mount {
        const char *destination;
        const char *type;
        const char *source;
        const char *const *options;     /* NULL-terminated */
        /* runtime-spec 1.1 uid and gid mappings of the mount's own, the same
         * for both: "containerID:hostID:size"; NULL for none */
        const char *mapping;
};

struct bundle_mount;
/* The mounts in tests/support's writer form (bundle_config.mounts); lives
 * until teardown. */
const struct bundle_mount *e2e_bundle_mounts(const struct e2e_mount *mounts, size_t n);

/* `BIN --root STATE run --bundle BUNDLE ID`, with OCI_IDMAP_RUNTIME naming
 * `real` (BIN: the runtime wrapper, or `real` itself), then always
 * `REAL --root STATE delete --force ID`.  Fails the test when the bundle's
 * config.json changed on disk: the wrapper shows the runtime a copy of it,
 * in its own namespace only. */
struct e2e_result *e2e_wrapper_run(const char *bin, const char *real, const char *state,
                                   const char *bundle, const char *id);

struct e2e_bundle {
        enum e2e_runtime runtime;
        enum e2e_hook hook;
        const char *rootfs;
        bool readonly_root;
        unsigned host_base;             /* 0:host_base:65536 for uids and gids */
        bool no_masks;                  /* leave out maskedPaths/readonlyPaths */
        const struct e2e_mount *mounts; /* after the standard ones */
        size_t n_mounts;
        const char *const *annotations; /* "key", "value", ..., NULL */
        const char *const *args;
        const char *hook_stage;         /* NULL: createRuntime */
        const char *hook_path;          /* with E2E_WITH_HOOK; NULL: HOOK_BIN */
};

/* Writes a bundle (config.json as podman would, bundle_write_config in
 * tests/support/oci_bundle.h: user namespace, proc, dev, devpts, shm, mqueue,
 * sysfs, cgroup, masked and read-only paths, and the createRuntime hook with
 * E2E_WITH_HOOK), runs `RT --root X run --bundle B ID` and always deletes
 * the container after.  Asserts the bundle has a rootfs and a command. */
struct e2e_result *e2e_bundle_run(const struct e2e_bundle *b);

/* e2e_bundle_run in two halves, for containers that must run at the same
 * time: the runtime is started on the bundle and not waited for; same
 * config.json, state dir and cgroup, so e2e_teardown finds what a failed
 * test leaves. */
struct e2e_container {
        struct e2e_proc proc;
        const char *runtime, *state, *id;
};
void e2e_bundle_start(struct e2e_container *c, const struct e2e_bundle *b);
/* Waits for the runtime, then deletes the container whatever happened. */
struct e2e_result *e2e_bundle_finish(struct e2e_container *c);

/* ---- what the container sees of its mounts ----------------------------- */

/* The ro/nosuid/nodev/noexec bits of the per-mount options. */
enum {
        E2E_RO = 1 << 0,
        E2E_NOSUID = 1 << 1,
        E2E_NODEV = 1 << 2,
        E2E_NOEXEC = 1 << 3,
};

struct e2e_view_mount {
        const char *point;      /* unescaped */
        const char *options;    /* per-mount options, e.g. "ro,nosuid,relatime" */
        const char *fstype;
        unsigned flags;         /* E2E_RO | ... */
        bool idmapped;
};

struct e2e_mount_view {
        size_t n;
        struct e2e_view_mount *m;
};

/* Parses /proc/self/mountinfo text printed inside a container, with the
 * project's parser (oci/mountinfo.h); lives until e2e_teardown. */
struct e2e_mount_view *e2e_mount_view_parse(const char *mountinfo);

/* The mounts at `point`, in file order; returns how many, fills up to max. */
size_t e2e_mount_view_find(const struct e2e_mount_view *v, const char *point,
                           const struct e2e_view_mount **out, size_t max);

/* The one mount at `point`, asserting there is exactly one (`mountinfo` goes
 * in the message). */
const struct e2e_view_mount *e2e_mount_view_only(const struct e2e_mount_view *v,
                                                 const char *point, const char *mountinfo);

/* Asserts the one mount at `point` in a container's mountinfo text is
 * idmapped (or, with `idmapped` false, is not). */
void e2e_expect_idmapped(const char *mountinfo, const char *point, bool idmapped);

/* Asserts the one mount at `point` has at least `flags` (E2E_RO | ...). */
void e2e_expect_mount_flags(const struct e2e_mount_view *v, const char *point, unsigned flags,
                            const char *mountinfo);

/* NULL when `with` has the same mount points as `without` (counted) and each
 * has at least the ro/nosuid/nodev/noexec that `without` has; otherwise every
 * difference, one per line. */
char *e2e_mount_view_diff(const struct e2e_mount_view *without,
                          const struct e2e_mount_view *with);

/* Asserts e2e_mount_view_diff finds no difference between two containers'
 * mountinfo texts, both texts in the message. */
void e2e_expect_same_view(const char *without, const char *with);

/* Asserts that both containers ran, each printing only its mountinfo, that
 * the one run with the hook saw what the one without it saw
 * (e2e_mount_view_diff, both mountinfo texts in the message), and that its
 * rootfs is idmapped: else a hook that does nothing would pass. */
void e2e_expect_same_view_with_idmapped_root(const struct e2e_result *without,
                                             const struct e2e_result *with);

/* ---- the host --------------------------------------------------------- */

/* /proc/1/mountinfo and the test runner's (our parent's) mountinfo: the
 * namespaces outside ours.  Compare before and after to prove nothing
 * leaked out. */
char *e2e_host_mounts(void);

/* Asserts e2e_host_mounts() is still `before`. */
void e2e_expect_host_mounts(const char *before);

/* ---- what the hook must do, under podman and on a bundle alike ---------- */

/* Shows the rootfs's owner, writes to it, prints the mount table. */
#define E2E_SHOW_AND_WRITE_ROOT E2E_SH("stat -c %u /; touch /made-inside; cat /proc/self/mountinfo")

/* After E2E_SHOW_AND_WRITE_ROOT with the hook under auto, on `rootfs` shifted
 * to E2E_HOST_BASE (e2e_shift_tree): the container ran and saw owner 0, the
 * hook left its rootfs alone (not idmapped), and the write is owned by
 * E2E_HOST_BASE on disk as it would be without the hook. */
void e2e_expect_shifted_rootfs_left_alone(const struct e2e_result *r, const char *rootfs);

/* Shows the owner of the file in the volume at /vol, writes /vol/new, prints
 * the mount table. */
#define E2E_SHOW_AND_WRITE_VOL E2E_SH("stat -c %u /vol/f; touch /vol/new; cat /proc/self/mountinfo")

/* After a command that printed the owner of /vol/f, then the mount table, and
 * wrote /vol/new (E2E_SHOW_AND_WRITE_VOL): the container ran and saw owner 0,
 * /vol is one idmapped mount (mapped once, not twice), and the write is
 * owned by 0 on disk in the volume source `vol`. */
void e2e_expect_volume_idmapped_once(const struct e2e_result *r, const char *vol);

/* ---- what the hook takes the runtime for (hook/runtime.c) --------------- */

/* Runs `true` on a bundle of `rootfs` under `rt` with RUNTIME_PROBE_BIN (the
 * detector, built for the tests only) as its createRuntime hook, and returns
 * the line it wrote, e.g. "runc-by-path\n" (runtime_kind_str). */
const char *e2e_probe_runtime_kind(enum e2e_runtime rt, const char *rootfs);
