/* The hook's errors, warnings and (at debug level) its plan reach a real
 * syslog daemon, each line naming the container, under runc and crun.
 *
 * runc shows a hook's stderr only when the hook fails and crun drops it, so
 * syslog is where a person finds what the hook did.  Each test runs Debian's
 * rsyslogd in the test's private mount namespace (lib_e2e.h), with a
 * configuration of its own that writes every message to a file, listening
 * on a /dev/log of its own: /dev is covered, in this namespace only, by a
 * tmpfs holding bind mounts of everything the host's /dev holds, plus the
 * daemon's socket.  The host's /dev and syslog set-up are never touched. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib_e2e.h"
#include "oci/plan.h"

#define LOG_ANNOTATION "io.github.oci-idmap-hook.log-level"

/* One entry of the old /dev, bound at the same name in the new one. */
static void rebind_dev_entry(const char *old, const char *name)
{
        const char *from = e2e_strf("%s/%s", old, name), *to = e2e_strf("/dev/%s", name);
        struct stat st;

        cr_assert_eq(lstat(from, &st), 0, "lstat %s: %s", from, strerror(errno));
        if (S_ISLNK(st.st_mode)) {
                char target[4096];
                ssize_t n = readlink(from, target, sizeof(target) - 1);

                cr_assert_gt(n, 0, "readlink %s", from);
                target[n] = '\0';
                cr_assert_eq(symlink(target, to), 0, "symlink %s: %s", to, strerror(errno));
                return;
        }
        if (S_ISDIR(st.st_mode))
                cr_assert_eq(mkdir(to, st.st_mode & 07777), 0, "mkdir %s: %s", to, strerror(errno));
        else
                e2e_write_file(to, "");
        cr_assert_eq(mount(from, to, NULL, MS_BIND | MS_REC, NULL), 0, "bind %s on %s: %s", from,
                     to, strerror(errno));
}

/* /dev in this namespace: a tmpfs with the host's entries bound into it,
 * where rsyslogd can make /dev/log. */
static void dev_of_our_own(void)
{
        const char *old = e2e_strf("%s/olddev", e2e_work_dir());
        struct dirent *d;
        DIR *dir;

        e2e_mkdirs(old, 0755);
        cr_assert_eq(mount("/dev", old, NULL, MS_BIND | MS_REC, NULL), 0, "bind /dev: %s",
                     strerror(errno));
        cr_assert_eq(mount("tmpfs", "/dev", "tmpfs", MS_NOSUID, "mode=0755"), 0,
                     "tmpfs on /dev: %s", strerror(errno));
        dir = opendir(old);
        cr_assert(dir);
        while ((d = readdir(dir)))
                if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
                        rebind_dev_entry(old, d->d_name);
        closedir(dir);
        cr_assert_eq(umount2(old, MNT_DETACH), 0, "umount %s: %s", old, strerror(errno));
        cr_assert_eq(access("/dev/log", F_OK), -1, "/dev/log exists before our daemon runs");
}

static struct e2e_proc syslogd;
static const char *log_file;

static void syslog_start(void)
{
        const char *conf = e2e_strf("%s/rsyslog.conf", e2e_work_dir());
        const char *spool = e2e_strf("%s/rsyslog", e2e_work_dir());

        log_file = e2e_strf("%s/syslog.log", e2e_work_dir());
        e2e_mkdirs(spool, 0700);
        dev_of_our_own();
        e2e_write_file(conf, e2e_strf(
                "global(workDirectory=\"%s\")\n"
                "module(load=\"imuxsock\" SysSock.Name=\"/dev/log\")\n"
                "template(name=\"line\" type=\"string\" string=\"%%syslogfacility-text%%."
                "%%syslogseverity-text%% %%syslogtag%%%%msg%%\\n\")\n"
                "*.* action(type=\"omfile\" file=\"%s\" template=\"line\")\n", spool, log_file));
        e2e_start(&syslogd, E2E_ARGV("rsyslogd", "-n", "-f", conf, "-i",
                                    e2e_strf("%s/rsyslogd.pid", e2e_work_dir())));
        e2e_wait_for_file("/dev/log", &syslogd, 30);
}

static void syslog_stop(void)
{
        kill(syslogd.pid, SIGTERM);
        e2e_expect_ok(e2e_finish(&syslogd, 30));
}

/* The log, once it holds `needle` (rsyslogd writes a moment after the
 * message arrives); fails after 10 s with the log in the message. */
static const char *log_with(const char *needle)
{
        for (int i = 0; i < 200; i++) {
                const char *text = access(log_file, F_OK) == 0 ? e2e_read_file(log_file) : "";

                if (strstr(text, needle))
                        return text;
                nanosleep(&(struct timespec){ .tv_nsec = 50 * 1000 * 1000 }, NULL);
        }
        cr_assert_fail("syslog never got \"%s\"; it holds:\n%s", needle,
                       access(log_file, F_OK) == 0 ? e2e_read_file(log_file) : "(no file)");
        return NULL;
}

/* "container e2e-<pid>-": every container this test process runs. */
static const char *our_containers(void)
{
        return e2e_strf("container e2e-%d-", getpid());
}

/* `stat -c %u /` on the test's rootfs (made on the first call). */
static struct e2e_result *run(enum e2e_runtime rt, const char *const *annotations,
                              const char *hook_path)
{
        static const char *rootfs;

        if (!rootfs)
                rootfs = e2e_make_disk_rootfs();
        return e2e_bundle_run(&(struct e2e_bundle){
                .runtime = rt, .hook = E2E_WITH_HOOK, .rootfs = rootfs,
                .annotations = annotations, .hook_path = hook_path,
                .args = E2E_SH("stat -c %u /"),
        });
}

/* ---- debug by annotation: the plan, each line with the container ------- */

static void debug_annotation_logs_the_plan(enum e2e_runtime rt)
{
        syslog_start();
        e2e_expect_out(run(rt, E2E_ARGV(LOG_ANNOTATION, "debug"), NULL), "0\n");
        const char *text = log_with(": idmap uids 0:100000:65536");

        cr_assert(strstr(text, e2e_strf(": debug: %s", our_containers())), "%s", text);
        cr_assert(strstr(text, "daemon.debug oci-idmap-hook["), "%s", text);
        cr_assert(strstr(text, ": rootfs: "), "the plan's rootfs line:\n%s", text);
        for (const char *l = text; (l = strstr(l, "daemon.debug ")); l++) {
                const char *eol = strchrnul(l, '\n');
                const char *c = strstr(l, our_containers());

                cr_assert(c && c < eol, "a debug line without the container: %.*s",
                          (int)(eol - l), l);
        }
        syslog_stop();
}

E2E_TEST(syslog, debug_annotation_logs_the_plan_with_the_container_id_runc)
{
        debug_annotation_logs_the_plan(E2E_RUNC);
}

E2E_TEST(syslog, debug_annotation_logs_the_plan_with_the_container_id_crun)
{
        debug_annotation_logs_the_plan(E2E_CRUN);
}

/* ---- debug for every container, by the hook's environment --------------- */

/* The environment a hooks.d file's "env" gives the hook, given here by a
 * wrapper, since the bundle's hook entry carries none. */
static void environment_raises_the_level(enum e2e_runtime rt)
{
        const char *wrapper = e2e_strf("%s/hook-with-env", e2e_work_dir());

        e2e_write_file(wrapper, "#!/bin/sh\nOCI_IDMAP_HOOK_LOG_LEVEL=debug exec " HOOK_BIN
                       " \"$@\"\n");
        cr_assert_eq(chmod(wrapper, 0755), 0);
        syslog_start();
        e2e_expect_out(run(rt, NULL, wrapper), "0\n");
        const char *text = log_with(": idmap uids 0:100000:65536");
        cr_assert(strstr(text, "daemon.debug oci-idmap-hook["), "%s", text);
        cr_assert(strstr(text, our_containers()), "%s", text);
        syslog_stop();
}

E2E_TEST(syslog, environment_log_level_debug_logs_the_plan_runc)
{
        environment_raises_the_level(E2E_RUNC);
}

E2E_TEST(syslog, environment_log_level_debug_logs_the_plan_crun)
{
        environment_raises_the_level(E2E_CRUN);
}

/* ---- the default level: no debug lines; errors and warnings --------------- */

/* A warning and then a container that fails: the warning from the first
 * container proves the rsyslogd took the hook's lines before we look for what
 * must not be there. */
static void default_level_logs_warnings_and_errors_only(enum e2e_runtime rt)
{
        syslog_start();
        e2e_expect_out(run(rt, E2E_ARGV(LOG_ANNOTATION, "loud"), NULL), "0\n");
        const char *text = log_with("daemon.warning oci-idmap-hook[");
        cr_assert(strstr(text, e2e_strf(": warning: %s", our_containers())), "%s", text);
        cr_assert(strstr(text, "annotation " LOG_ANNOTATION "=\"loud\" is not debug or warning; "
                               "ignored"), "%s", text);

        struct e2e_result *r = run(rt, E2E_ARGV(ANNOTATION_ROOTFS, "sometimes"), NULL);
        cr_assert_neq(r->status, 0, "the hook refused the annotation: %s", e2e_describe(r));
        text = log_with("daemon.err oci-idmap-hook[");
        cr_assert(strstr(text, e2e_strf(": %s", our_containers())), "%s", text);
        cr_assert(strstr(text, ANNOTATION_ROOTFS ": \"sometimes\" is not auto, true or false"),
                  "%s", text);
        cr_assert_null(strstr(text, "daemon.debug"), "debug lines at the default level:\n%s", text);
        syslog_stop();
}

E2E_TEST(syslog, default_level_logs_warnings_and_errors_with_the_container_id_runc)
{
        default_level_logs_warnings_and_errors_only(E2E_RUNC);
}

E2E_TEST(syslog, default_level_logs_warnings_and_errors_with_the_container_id_crun)
{
        default_level_logs_warnings_and_errors_only(E2E_CRUN);
}
