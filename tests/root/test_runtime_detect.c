/* hook/runtime.c against real processes and real mounts: a stand-in
 * container init holds the fds that runc 1.1.5, runc 1.3.6 or crun hold at
 * hook time (docs/runtimes.md) on a rootfs bound onto itself, and the state
 * takes runc's or crun's form.  The e2e tests see the real runtimes; these
 * pin down the mixes no runtime measured here makes, which must come out
 * RUNTIME_UNKNOWN.
 *
 * The stand-in is tests/support/standin.h's; every test runs in a private
 * mount namespace of its own; the stand-in is killed and reaped in .fini.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hook/mounts.h"
#include "hook/runtime.h"
#include "tests/support/standin.h"

static char work[64];           /* on disk, removed in .fini */
static char rootfs[128];
static char etc[160];           /* a directory below it, on the same mount */
static struct standin init = { .pid = -1 };

static void setup(void)
{
        cr_assert_eq(unshare(CLONE_NEWNS), 0, "unshare: %s", strerror(errno));
        cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
        strcpy(work, "/var/tmp/oci-idmap-detect-XXXXXX");
        cr_assert(mkdtemp(work));
        snprintf(rootfs, sizeof(rootfs), "%s/rootfs", work);
        snprintf(etc, sizeof(etc), "%s/etc", rootfs);
        cr_assert_eq(mkdir(rootfs, 0755), 0);
        cr_assert_eq(mkdir(etc, 0755), 0);
}

static void teardown(void)
{
        char cmd[128];

        standin_stop(&init);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", work);
        if (work[0] && system(cmd) != 0)
                fprintf(stderr, "could not remove %s\n", work);
}

TestSuite(runtime_detect, .init = setup, .fini = teardown);

/* What the stand-in init holds on the rootfs mount. */
enum holds {
        HOLDS_NOTHING,          /* runc 1.1.5 */
        HOLDS_RUNC_DIR_HANDLE,  /* runc 1.3.6: O_PATH|O_DIRECTORY|O_CLOEXEC on root.path */
        HOLDS_TWO_DIR_HANDLES,
        HOLDS_CRUN_HANDLES,     /* crun, read-only root: O_PATH|O_CLOEXEC and its dup */
        HOLDS_SUBDIR,           /* a directory below root.path, same mount */
};

/* Starts the stand-in, the rootfs bound onto itself in its mount namespace
 * as both runtimes do before the hooks; returns an O_PATH fd on its /proc
 * dir once it holds its fds. */
static int start_init(enum holds h)
{
        static const enum standin_holds as[] = {
                [HOLDS_NOTHING] = STANDIN_HOLDS_NOTHING,
                [HOLDS_RUNC_DIR_HANDLE] = STANDIN_HOLDS_RUNC_DIR_HANDLE,
                [HOLDS_TWO_DIR_HANDLES] = STANDIN_HOLDS_TWO_DIR_HANDLES,
                [HOLDS_CRUN_HANDLES] = STANDIN_HOLDS_CRUN_HANDLES,
                [HOLDS_SUBDIR] = STANDIN_HOLDS_RUNC_DIR_HANDLE,
        };
        struct standin_spec spec = { .rootfs = rootfs, .holds = as[h],
                                     .hold_path = h == HOLDS_SUBDIR ? etc : NULL };
        struct err e = { 0 };
        char path[64];

        cr_assert_eq(standin_start(&init, &spec, &e), 0, "%s", e.msg);
        snprintf(path, sizeof(path), "/proc/%d", (int)init.pid);
        int dir = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        cr_assert_geq(dir, 0, "open %s: %s", path, strerror(errno));
        return dir;
}

enum form { RUNC_FORM, CRUN_FORM, RUNNING_FORM };

static enum runtime_kind detect_in(enum holds h, enum form f, const char *root_path)
{
        int dir = start_init(h);
        struct oci_state s = {
                .status = f == RUNC_FORM ? "creating" : f == CRUN_FORM ? "created" : "running",
                .root = f == CRUN_FORM ? rootfs : NULL,
                .pid = init.pid,
        };
        struct mountinfo mi = { 0 };
        struct err e = { 0 };
        enum runtime_kind k;

        cr_assert_eq(mountinfo_read_at(dir, "mountinfo", "mountinfo", &mi, &e), 0, "%s", e.msg);
        cr_assert_eq(runtime_detect(dir, &s, &mi, root_path, &k, &e), 0, "%s", e.msg);
        mountinfo_free(&mi);
        close(dir);
        return k;
}

static enum runtime_kind detect(enum holds h, enum form f)
{
        return detect_in(h, f, rootfs);
}

#define expect_kind(got, want) \
        cr_assert_str_eq(runtime_kind_str(got), runtime_kind_str(want))

/* ---- what the runtimes hold and say (measured, docs/runtimes.md) ----------- */

Test(runtime_detect, no_handle_and_runc_state_is_runc_by_path)
{
        expect_kind(detect(HOLDS_NOTHING, RUNC_FORM), RUNTIME_RUNC_BY_PATH);
}

Test(runtime_detect, one_directory_handle_on_root_path_and_runc_state_is_runc_pivoting_into_it)
{
        expect_kind(detect(HOLDS_RUNC_DIR_HANDLE, RUNC_FORM), RUNTIME_RUNC_PIVOTS_INTO_HANDLE);
}

Test(runtime_detect, crun_handles_and_crun_state_is_crun_by_handle)
{
        expect_kind(detect(HOLDS_CRUN_HANDLES, CRUN_FORM), RUNTIME_CRUN_BY_HANDLE);
}

/* ---- mixes no runtime makes: unknown ---------------------------------------- */

Test(runtime_detect, runc_state_with_handles_without_o_directory_is_unknown)
{
        expect_kind(detect(HOLDS_CRUN_HANDLES, RUNC_FORM), RUNTIME_UNKNOWN);
}

Test(runtime_detect, runc_state_with_a_handle_below_root_path_is_unknown)
{
        expect_kind(detect(HOLDS_SUBDIR, RUNC_FORM), RUNTIME_UNKNOWN);
}

Test(runtime_detect, runc_state_with_two_directory_handles_is_unknown)
{
        expect_kind(detect(HOLDS_TWO_DIR_HANDLES, RUNC_FORM), RUNTIME_UNKNOWN);
}

Test(runtime_detect, crun_state_without_a_handle_is_unknown)
{
        expect_kind(detect(HOLDS_NOTHING, CRUN_FORM), RUNTIME_UNKNOWN);
}

Test(runtime_detect, a_state_of_neither_form_with_runcs_handle_is_unknown)
{
        expect_kind(detect(HOLDS_RUNC_DIR_HANDLE, RUNNING_FORM), RUNTIME_UNKNOWN);
}

Test(runtime_detect, a_state_of_neither_form_without_a_handle_is_unknown)
{
        expect_kind(detect(HOLDS_NOTHING, RUNNING_FORM), RUNTIME_UNKNOWN);
}

Test(runtime_detect, root_path_that_is_no_mount_is_unknown)
{
        expect_kind(detect_in(HOLDS_NOTHING, RUNC_FORM, etc), RUNTIME_UNKNOWN);
}

/* ---- the init is gone ------------------------------------------------------------ */

Test(runtime_detect, init_gone_is_an_error_naming_its_fd_table)
{
        int dir = start_init(HOLDS_NOTHING);
        struct oci_state s = { .status = "creating", .pid = init.pid };
        struct mountinfo mi = { 0 };
        struct err e = { 0 };
        enum runtime_kind k = RUNTIME_RUNC_BY_PATH;

        cr_assert_eq(mountinfo_read_at(dir, "mountinfo", "mountinfo", &mi, &e), 0, "%s", e.msg);
        standin_stop(&init);
        cr_assert_lt(runtime_detect(dir, &s, &mi, rootfs, &k, &e), 0);
        cr_assert(strstr(e.msg, "fdinfo"), "%s", e.msg);
        expect_kind(k, RUNTIME_UNKNOWN);
        mountinfo_free(&mi);
        close(dir);
}
