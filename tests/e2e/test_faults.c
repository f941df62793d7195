/* Faults while the hook runs, under runc 1.1.5 and crun 1.8.1 on a bundle.
 *
 * For each fault, what must hold: the container does not start (its command
 * never ran: no file it would write exists), or it starts exactly as it does
 * with the hook working (rootfs and volume idmapped, its writes owned as
 * mapped); the host's mount table is what it was; no process the test
 * started is left, alive or zombie; and no process anywhere lives in a user
 * namespace with this test's mappings, which no other test uses.
 *
 * The container has a user namespace 0:B:65536 and a volume /vol with a
 * mapping of its own, 1000:B:65536, so the hook takes both of its ways to a
 * namespace: the container's own for the rootfs, the traced fork for /vol
 * (under runc; crun 1.8.1 idmaps such a volume itself).  The faults come
 * from tests/support/hook_fault.c (HOOK_FAULT_BIN: SIGKILL at a step, or a
 * call turned off the hook's seccomp allowlist), from strace, and from
 * prlimit, named as the bundle's hook through a small script.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib_e2e.h"

/* Host ids no other test maps: 0:B:65536 for the container, 1000:B:65536
 * for /vol (same host range, another mapping). */
static unsigned base(void)
{
        return 1000000u + (unsigned)(getpid() % 4096) * 65536u;
}

struct fault_env {
        enum e2e_runtime rt;
        const char *rootfs;
        const char *vol;
        const char *hosts_before;
};

static struct fault_env setup(enum e2e_runtime rt)
{
        struct fault_env f = { .rt = rt, .rootfs = e2e_make_disk_rootfs(),
                               .vol = e2e_make_volume("vol"), .hosts_before = e2e_host_mounts() };

        e2e_shift_tree(f.vol, 1000);
        return f;
}

/* A hook script: `body`, then the real hook's path and arguments, then
 * `tail` (a redirection, or ""). */
static const char *hook_script_to(const char *body, const char *tail)
{
        static unsigned seq;
        const char *path = e2e_strf("%s/fault-hook-%u.sh", e2e_work_dir(), ++seq);

        e2e_write_file(path, e2e_strf("#!/bin/sh\nexec %s %s \"$@\" %s\n", body, HOOK_BIN, tail));
        cr_assert_eq(chmod(path, 0755), 0, "chmod `%s`: %s", path, strerror(errno));
        return path;
}

static const char *hook_script(const char *body)
{
        return hook_script_to(body, "");
}

static struct e2e_result *start(const struct fault_env *f, const char *hook_path)
{
        const struct e2e_mount mounts[] = {
                { "/vol", "bind", f->vol, E2E_ARGV("rbind", "rw"),
                  .mapping = e2e_strf("1000:%u:65536", base()) },
        };

        return e2e_bundle_run(&(struct e2e_bundle){
                .runtime = f->rt, .hook = E2E_WITH_HOOK, .hook_path = hook_path,
                .rootfs = f->rootfs, .host_base = base(), .mounts = mounts, .n_mounts = 1,
                .args = E2E_SH("stat -c %u / /vol/f; touch /ran /vol/ran"),
        });
}

/* The pids of processes in a user namespace that maps onto base(). */
static char *userns_with_our_ids(void)
{
        char *found = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&found, &len);
        DIR *proc = opendir("/proc");
        struct dirent *d;

        cr_assert(out && proc);
        while ((d = readdir(proc))) {
                char path[300], line[256];
                FILE *f;

                if (d->d_name[0] < '0' || d->d_name[0] > '9')
                        continue;
                snprintf(path, sizeof(path), "/proc/%s/uid_map", d->d_name);
                f = fopen(path, "r");
                if (!f)
                        continue;
                while (fgets(line, sizeof(line), f)) {
                        unsigned inside, host, n;

                        if (sscanf(line, "%u %u %u", &inside, &host, &n) == 3 && host == base())
                                fprintf(out, "  pid %s: %s", d->d_name, line);
                }
                fclose(f);
        }
        closedir(proc);
        fclose(out);
        if (len)
                return found;
        free(found);
        return NULL;
}

/* Nothing left behind: mounts, processes, user namespaces. */
static void expect_nothing_left(const struct fault_env *f, const char *what)
{
        char *left;

        e2e_expect_host_mounts(f->hosts_before);
        e2e_expect_no_strays();
        left = userns_with_our_ids();
        cr_assert_null(left, "%s: processes still in a user namespace mapping host id %u:\n%s",
                       what, base(), left);
}

/* The container either ran with the hook's work done, or never ran. */
static void expect_started_whole_or_not_at_all(const struct fault_env *f,
                                               const struct e2e_result *r, const char *what)
{
        const char *ran = e2e_strf("%s/ran", f->rootfs);
        const char *vol_ran = e2e_strf("%s/ran", f->vol);

        if (r->status == 0) {
                cr_assert_str_eq(r->out, "0\n0\n", "%s: the container started without the "
                                 "hook's work: %s", what, e2e_describe(r));
                cr_assert_eq(e2e_owner(ran), 0, "%s", what);
                cr_assert_eq(e2e_owner(vol_ran), 1000, "%s", what);
                cr_assert_eq(unlink(ran), 0);
                cr_assert_eq(unlink(vol_ran), 0);
        } else {
                e2e_expect_absent(f->rootfs, "ran");
                e2e_expect_absent(f->vol, "ran");
        }
        expect_nothing_left(f, what);
}

/* ---- SIGKILL at each step ------------------------------------------------------ */

struct shot {
        const char *where;      /* hook_fault.c's class */
        int hook_status;
};

/* One start with hook-fault as the hook (`when` as it takes it: after:USEC
 * or CALL:N); returns where the hook was. */
static struct shot shoot(const struct fault_env *f, const char *target, const char *when)
{
        const char *report = e2e_strf("%s/fault-report", e2e_work_dir());
        const char *what = e2e_strf("%s: fault \"%s\" at %s", e2e_runtime_name(f->rt),
                                    target, when);
        struct e2e_result *r;
        struct shot s = { 0 };
        char where[32] = "";

        unlink(report);
        r = start(f, hook_script(e2e_strf("%s %s %s %s", HOOK_FAULT_BIN, target, when, report)));
        cr_assert_eq(access(report, F_OK), 0, "%s: no report from hook-fault: %s", what,
                     e2e_describe(r));
        const char *text = e2e_read_file(report);
        cr_assert_eq(sscanf(text, "%31s %d", where, &s.hook_status), 2,
                     "%s: hook-fault reported \"%s\": %s", what, text, e2e_describe(r));
        what = e2e_strf("%s (the hook was: %s, its status %d)", what, where, s.hook_status);
        s.where = e2e_strf("%s", where);
        cr_log_info("%s", what);
        /* Killed, whichever of the two: the container must not start. */
        if (strcmp(s.where, "exited") != 0)
                cr_assert_neq(r->status, 0, "%s: the container started: %s", what,
                              e2e_describe(r));
        if (strcmp(target, "hook") == 0 && strcmp(s.where, "exited") != 0)
                cr_assert_eq(s.hook_status, 128 + SIGKILL, "%s", what);
        if (strcmp(target, "offlist") == 0)
                cr_assert_eq(s.hook_status, 128 + SIGSYS, "%s: the hook's filter did not kill it",
                             what);
        expect_started_whole_or_not_at_all(f, r, what);
        return s;
}

/* The hook stopped at the entry of a system call (nothing of it done yet)
 * and killed there.  Where it must be found: before any namespace fd, when
 * the container's own namespace fd is held (the traced fork about to make
 * the volume's), with every fd made (setns about to enter the container's
 * mount namespace), and all along the mount work, up to its exit. */
static const struct step {
        const char *when;
        const char *where;
        bool may_not_happen;    /* the runtime's path may not make this call */
} steps[] = {
        { "pidfd_open:1", "before" },
        /* crun 1.8.1 idmaps /vol itself: the hook then makes no namespace */
        { "clone:1", "userns", true },
        { "setns:1", "userns" },
        { "open_tree:1", "mntns" },
        { "move_mount:1", "mntns" },
        { "mount_setattr:2", "mntns" },
        { "mount_setattr:6", "mntns", true },
        { "fsmount:1", "mntns", true },
        { "move_mount:4", "mntns", true },
        { "exit_group:1", "mntns" },
};

static void hook_killed_at_each_step(enum e2e_runtime rt)
{
        struct fault_env f = setup(rt);

        for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
                struct shot s = shoot(&f, "hook", steps[i].when);

                if (!(steps[i].may_not_happen && strcmp(s.where, "exited") == 0))
                        cr_expect_str_eq(s.where, steps[i].where, "%s: killed at %s, the hook "
                                         "was %s, not %s", e2e_runtime_name(rt), steps[i].when,
                                         s.where, steps[i].where);
        }
        /* And a sweep of delays from the exec on, which lands anywhere. */
        for (long us = 0; us <= 1000; us += 100)
                shoot(&f, "hook", e2e_strf("after:%ld", us));
}

E2E_TEST(faults, hook_killed_at_each_step_leaves_nothing_runc)
{
        hook_killed_at_each_step(E2E_RUNC);
}

E2E_TEST(faults, hook_killed_at_each_step_leaves_nothing_crun)
{
        hook_killed_at_each_step(E2E_CRUN);
}

/* ---- a call off the hook's seccomp allowlist ----------------------------------- */

/* Where the hook is about to enter the container's mount namespace, to
 * attach its idmapped rootfs copy, and halfway through the mount work, its
 * call is made getuid(2): its own filter kills it (SIGSYS), and that death
 * is as clean as a SIGKILL's. */
static void off_list_call(enum e2e_runtime rt)
{
        struct fault_env f = setup(rt);
        static const char *const when[] = { "setns:1", "move_mount:1", "mount_setattr:2" };

        for (size_t i = 0; i < sizeof(when) / sizeof(when[0]); i++)
                shoot(&f, "offlist", when[i]);
}

E2E_TEST(faults, a_call_off_the_hooks_allowlist_kills_it_and_leaves_nothing_runc)
{
        off_list_call(E2E_RUNC);
}

E2E_TEST(faults, a_call_off_the_hooks_allowlist_kills_it_and_leaves_nothing_crun)
{
        off_list_call(E2E_CRUN);
}

/* ---- the container's init killed while the hook runs ---------------------------- */

/* The hook then fails (its pidfd names a dead process) or finishes work in
 * a mount namespace that dies with its last user; the runtime finds its
 * init gone either way. */
static void init_killed_while_the_hook_runs(enum e2e_runtime rt)
{
        struct fault_env f = setup(rt);
        for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
                struct shot s = shoot(&f, "init", steps[i].when);

                if (!steps[i].may_not_happen)
                        cr_expect_str_neq(s.where, "exited", "%s: the hook never reached %s",
                                          e2e_runtime_name(rt), steps[i].when);
        }
        shoot(&f, "init", "after:300");
}

E2E_TEST(faults, container_init_killed_while_the_hook_runs_runc)
{
        init_killed_while_the_hook_runs(E2E_RUNC);
}

E2E_TEST(faults, container_init_killed_while_the_hook_runs_crun)
{
        init_killed_while_the_hook_runs(E2E_CRUN);
}

/* ---- ptrace unavailable --------------------------------------------------------- */

/* Under strace -f, the traced fork's child is strace's tracee before it
 * can call PTRACE_TRACEME: the hook falls back to an untraced child that
 * stops itself, says so in one warning line, and does the whole job. */
static void hook_already_traced(enum e2e_runtime rt)
{
        struct fault_env f = setup(rt);
        struct e2e_result *r = start(&f, hook_script("strace -f -qq -o /dev/null"));

        e2e_expect_ok(r);
        expect_started_whole_or_not_at_all(&f, r, "the hook under strace -f");
}

E2E_TEST(faults, hook_already_traced_still_does_the_whole_job_runc)
{
        hook_already_traced(E2E_RUNC);
}

E2E_TEST(faults, hook_already_traced_still_does_the_whole_job_crun)
{
        hook_already_traced(E2E_CRUN);
}

/* ---- lowest rlimits ----------------------------------------------------------------- */

/* From RLIMIT_NOFILE 3 (stdin, stdout, stderr) up: each limit too low fails
 * the start with the hook's one line and leaves nothing; the first that
 * works does the whole job, and so does the next. */
static void lowest_nofile(enum e2e_runtime rt)
{
        struct fault_env f = setup(rt);
        unsigned works = 0;

        for (unsigned n = 3; n <= 32 && !works; n++) {
                const char *what = e2e_strf("%s: RLIMIT_NOFILE %u", e2e_runtime_name(rt), n);
                const char *log = e2e_strf("%s/hook-stderr-%u", e2e_work_dir(), n);
                struct e2e_result *r = start(&f, hook_script_to(
                        e2e_strf("prlimit --nofile=%u:%u", n, n), e2e_strf("2>%s", log)));
                const char *line = e2e_read_file(log);

                if (r->status == 0)
                        works = n;
                else    /* crun keeps a hook's stderr to itself: the script saved it */
                        cr_expect(strncmp(line, "oci-idmap-hook: ", 16) == 0 &&
                                          strchr(line, '\n') == line + strlen(line) - 1,
                                  "%s: the hook did not fail with one line: \"%s\"; %s", what,
                                  line, e2e_describe(r));
                expect_started_whole_or_not_at_all(&f, r, what);
        }
        cr_assert(works, "%s: no RLIMIT_NOFILE up to 32 lets the hook work",
                  e2e_runtime_name(rt));
        cr_log_info("%s: lowest workable RLIMIT_NOFILE for the hook: %u", e2e_runtime_name(rt),
                    works);
        {
                struct e2e_result *r = start(&f, hook_script(e2e_strf("prlimit --nofile=%u:%u",
                                                                       works + 1, works + 1)));
                e2e_expect_ok(r);
                expect_started_whole_or_not_at_all(&f, r, "RLIMIT_NOFILE lowest + 1");
        }
}

E2E_TEST(faults, lowest_workable_rlimit_nofile_and_below_it_fails_cleanly_runc)
{
        lowest_nofile(E2E_RUNC);
}

E2E_TEST(faults, lowest_workable_rlimit_nofile_and_below_it_fails_cleanly_crun)
{
        lowest_nofile(E2E_CRUN);
}

/* RLIMIT_NPROC 0: the kernel does not hold the hook (root in the initial
 * user namespace, CAP_SYS_ADMIN) to it, nor its traced fork's child, whose
 * credentials are still root's: the lowest value works. */
static void nproc_zero(enum e2e_runtime rt)
{
        struct fault_env f = setup(rt);
        struct e2e_result *r = start(&f, hook_script("prlimit --nproc=0:0"));

        e2e_expect_ok(r);
        expect_started_whole_or_not_at_all(&f, r, "RLIMIT_NPROC 0");
}

E2E_TEST(faults, rlimit_nproc_zero_still_does_the_whole_job_runc)
{
        nproc_zero(E2E_RUNC);
}

E2E_TEST(faults, rlimit_nproc_zero_still_does_the_whole_job_crun)
{
        nproc_zero(E2E_CRUN);
}

/* ---- /proc with hidepid=2,subset=pid -------------------------------------------- */

/* In this test's own mount namespace (e2e_setup made it), a new proc
 * instance over /proc that shows only pid directories, each only to whom
 * may ptrace it.  Whatever the runtime makes of it without the hook, it
 * must make of it with the hook. */
static void hidepid_proc(enum e2e_runtime rt)
{
        struct fault_env f = setup(rt);
        struct e2e_result *without, *with;

        cr_assert_eq(mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                           "hidepid=2,subset=pid"), 0, "mount proc: %s", strerror(errno));
        without = e2e_bundle_run(&(struct e2e_bundle){
                .runtime = rt, .hook = E2E_WITHOUT_HOOK, .rootfs = f.rootfs,
                .host_base = base(), .args = E2E_SH("stat -c %u /"),
        });
        with = start(&f, HOOK_BIN);
        cr_log_info("%s with /proc hidepid=2,subset=pid: without the hook exit %d, with it "
                    "exit %d", e2e_runtime_name(rt), without->status, with->status);
        if (without->status == 0)
                e2e_expect_ok(with);
        else
                cr_expect_neq(with->status, 0, "%s", e2e_describe(with));
        expect_started_whole_or_not_at_all(&f, with, "/proc hidepid=2,subset=pid");
        cr_assert_eq(umount2("/proc", MNT_DETACH), 0);
}

E2E_TEST(faults, proc_with_hidepid_and_subset_pid_changes_nothing_runc)
{
        hidepid_proc(E2E_RUNC);
}

E2E_TEST(faults, proc_with_hidepid_and_subset_pid_changes_nothing_crun)
{
        hidepid_proc(E2E_CRUN);
}
