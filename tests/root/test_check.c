/* `oci-idmap-hook check [PATH]` tells the truth: on this machine as it is,
 * where it must say yes; rootless (a user namespace of its own, as
 * `unshare -Ur` gives); on filesystems that cannot be idmapped (proc, and
 * an overlay mounted in the test's private mount namespace); and about the
 * hooks.d directories, with a podman configuration of the test's own on a
 * tmpfs over /etc/containers in a private mount namespace.  Every command
 * that mounts runs under `unshare --mount` (private propagation), so the
 * host's mount table never changes. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "tests/support/proc.h"

static char out[16384];

/* Runs `cmd` with sh (tests/support/proc: its own process group, killed
 * after 60 s), its stdout in `out`; returns its exit code. */
static int run(const char *fmt, ...)
{
        char cmd[4096];
        const char *const argv[] = { "sh", "-c", cmd, NULL };
        struct proc p;
        struct proc_result r;
        struct err e = { 0 };
        va_list ap;
        int status;

        va_start(ap, fmt);
        vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        cr_assert_eq(proc_start(&p, argv, NULL, &e), 0, "%s", e.msg);
        cr_assert_eq(proc_finish(&p, 60, &r, &e), 0, "%s", e.msg);
        snprintf(out, sizeof(out), "%s", r.out);
        cr_assert_not(r.timed_out, "%s: did not finish in 60 s; stderr: %s", cmd, r.err);
        cr_assert_lt(r.status, 128, "%s: did not exit; stderr: %s", cmd, r.err);
        status = r.status;
        proc_result_free(&r);
        return status;
}

/* The line that starts with `prefix` (e.g. "yes kernel:"), or fails. */
static const char *line(const char *prefix)
{
        for (const char *p = out; *p; p = strchr(p, '\n') + 1) {
                if (strncmp(p, prefix, strlen(prefix)) == 0)
                        return p;
                if (!strchr(p, '\n'))
                        break;
        }
        cr_assert_fail("no line starting \"%s\" in:\n%s", prefix, out);
        return NULL;
}

static void assert_no_line(const char *prefix)
{
        for (const char *p = out; *p; p = strchr(p, '\n') + 1) {
                cr_assert(strncmp(p, prefix, strlen(prefix)) != 0, "unexpected \"%s\" in:\n%s",
                          prefix, out);
                if (!strchr(p, '\n'))
                        break;
        }
}

Test(check, this_machine_can_use_the_hook_and_every_required_item_says_yes)
{
        static const char *const required[] = {
                "yes kernel: Linux ", "yes privilege: CAP_SYS_ADMIN in the initial user namespace",
                "yes open_tree:", "yes mount_setattr:", "yes move_mount:", "yes pidfd_open:",
                "yes fsopen/fsconfig/fsmount:", "yes seccomp:", "yes user namespace:",
                "yes idmap `/`: idmapped a detached clone (ext4 mounted at `/`)",
                "yes runtime runc: `/usr/sbin/runc`, 1.1.5: does not idmap volumes itself",
                "yes runtime crun: `/usr/bin/crun`, 1.8.1: idmaps `idmap` volumes itself",
                "yes runtimes: 2 found",
        };

        cr_assert_eq(run("%s check", HOOK_BIN), 0, "%s", out);
        for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
                line(required[i]);
        assert_no_line("no  the hook cannot work");
        cr_assert(strstr(out, "yes the hook can work here\n"), "%s", out);
        cr_assert(strlen(line("yes the hook")) == strlen("yes the hook can work here\n"));
}

Test(check, rootless_in_a_user_namespace_of_its_own_says_no_and_why)
{
        cr_assert_eq(run("unshare --user --map-root-user %s check", HOOK_BIN), 1, "%s", out);
        line("no  privilege: rootless: this runs in a user namespace below the initial one");
        line("no  open_tree: OPEN_TREE_CLONE of `/`: Operation not permitted");
        line("no  idmap `/`:");
        line("no  the hook cannot work here: privilege, ");
}

Test(check, an_unprivileged_user_says_no_cap_sys_admin)
{
        cr_assert_eq(run("setpriv --reuid=65534 --regid=65534 --clear-groups %s check", HOOK_BIN),
                     1, "%s", out);
        line("no  privilege: no CAP_SYS_ADMIN (uid 65534)");
        line("no  the hook cannot work here:");
}

Test(check, proc_cannot_be_idmapped)
{
        cr_assert_eq(run("unshare --mount sh -c 'd=$(mktemp -d) && mount -t proc proc \"$d\" && "
                         "%s check \"$d\"; rc=$?; umount \"$d\"; rmdir \"$d\"; exit $rc'",
                         HOOK_BIN), 1, "%s", out);
        line("no  idmap `/tmp/");
        cr_assert(strstr(line("no  idmap `/tmp/"), "(EINVAL)"), "%s", out);
        cr_assert(strstr(line("no  idmap `/tmp/"), "(proc mounted at `/tmp/"), "%s", out);
        line("yes open_tree:");
        line("no  the hook cannot work here: idmap `/tmp/");
}

Test(check, an_overlay_cannot_be_idmapped_but_a_directory_beside_it_can)
{
        cr_assert_eq(run("unshare --mount sh -c 'd=$(mktemp -d /var/tmp/oih-check.XXXXXX) && "
                         "mkdir \"$d/l\" \"$d/u\" \"$d/w\" \"$d/m\" && "
                         "mount -t overlay overlay -o lowerdir=$d/l,upperdir=$d/u,workdir=$d/w "
                         "\"$d/m\" && %s check \"$d/m\"; rc=$?; umount \"$d/m\"; rm -rf \"$d\"; "
                         "exit $rc'", HOOK_BIN), 1, "%s", out);
        cr_assert(strstr(line("no  idmap `/var/tmp/oih-check."), "(overlay mounted at `"), "%s",
                  out);
        line("no  the hook cannot work here: idmap `/var/tmp/oih-check.");

        cr_assert_eq(run("%s check /var/tmp", HOOK_BIN), 0, "%s", out);
        line("yes idmap `/var/tmp`: idmapped a detached clone");
}

Test(check, a_missing_path_says_no)
{
        cr_assert_eq(run("%s check /nonexistent-oih-check", HOOK_BIN), 1, "%s", out);
        line("no  idmap `/nonexistent-oih-check`: open_tree: No such file or directory");
}

Test(check, extra_arguments_are_a_usage_error)
{
        cr_assert_eq(run("%s check / / 2>&1", HOOK_BIN), 2, "%s", out);
        cr_assert(strstr(out, "check: unexpected argument \"/\""), "%s", out);
}

/* podman's containers.conf may move its hooks.d; the hook is registered by
 * a file there naming an executable called oci-idmap-hook. */
Test(check, hooks_dirs_from_containers_conf_and_the_file_that_registers_the_hook)
{
        cr_assert_eq(run("unshare --mount sh -c 'mkdir -p /etc/containers && "
                         "mount -t tmpfs tmpfs /etc/containers && mkdir -p /etc/containers/h1 "
                         "/etc/containers/h2 && "
                         "printf \"[engine]\\n# hooks_dir = [\\\"/nowhere\\\"]\\nhooks_dir = [\\n "
                         "\\\"/etc/containers/h1\\\",\\n \\\"/etc/containers/h2\\\",\\n]\\n\" "
                         "> /etc/containers/containers.conf && "
                         "printf \"{\\\"version\\\":\\\"1.0.0\\\",\\\"hook\\\":{\\\"path\\\":"
                         "\\\"%s\\\"},\\\"when\\\":{\\\"always\\\":true},\\\"stages\\\":"
                         "[\\\"createRuntime\\\"]}\" > /etc/containers/h2/idmap.json && "
                         "echo {} > /etc/containers/h1/other.json && %s check'",
                         HOOK_BIN, HOOK_BIN), 0, "%s", out);
        line("no  hooks.d `/etc/containers/h1` (podman): the hook is not registered here");
        line("yes hooks.d `/etc/containers/h2` (podman): idmap.json registers `" HOOK_BIN "`");
        line("yes registered: podman and CRI-O run the hook without --hooks-dir");
        assert_no_line("no  hooks.d `/nowhere`");
        assert_no_line("no  hooks.d `/etc/containers/oci/hooks.d` (podman)");
}
