/* hook/bundle.c: the runtime's command line, and finding the config the
 * runtime read from real processes standing in for a runtime and its
 * container init (which has a mount namespace of its own, where the rootfs
 * is bound onto itself as the runtimes do).  The bind mount is made in that
 * namespace only; every process is killed and reaped at the end. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hook/bundle.h"
#include "tests/support/proc.h"

/* ---- the command line ---------------------------------------------------------- */

/* Parses argv given as one string with '|' between the arguments. */
static struct runtime_cmdline parse(const char *args)
{
        static char buf[1024];
        struct runtime_cmdline c;
        size_t len = strlen(args) + 1;

        cr_assert_lt(len, sizeof(buf));
        memcpy(buf, args, len);
        for (char *p = buf; *p; p++)
                if (*p == '|')
                        *p = '\0';
        cr_assert_eq(bundle_parse_cmdline(buf, len, &c), 0, "%s", args);
        return c;
}

static void expect_cmdline(const char *args, const char *bundle, const char *config)
{
        struct runtime_cmdline c = parse(args);

        if (bundle)
                cr_assert(c.bundle && strcmp(c.bundle, bundle) == 0, "%s: bundle %s", args,
                          c.bundle ? c.bundle : "(none)");
        else
                cr_assert_null(c.bundle, "%s: bundle %s", args, c.bundle);
        if (config)
                cr_assert(c.config && strcmp(c.config, config) == 0, "%s: config %s", args,
                          c.config ? c.config : "(none)");
        else
                cr_assert_null(c.config, "%s: config %s", args, c.config);
}

Test(bundle_cmdline, crun_create_as_conmon_runs_it)
{
        /* seen under podman 4.3.1 */
        expect_cmdline("/usr/bin/crun|--log-format=json|--log|/r/oci-log|create|--bundle|/b/userdata"
                       "|--pid-file|/r/pidfile|d50ae682",
                       "/b/userdata", NULL);
}

Test(bundle_cmdline, runc_create_as_podman_and_containerd_run_it)
{
        expect_cmdline("runc|--root|/run/runc|--log|/l|create|--bundle|/b|--pid-file|/p|id", "/b", NULL);
        expect_cmdline("runc|--root=/run/runc|create|--bundle=/b|id", "/b", NULL);
        expect_cmdline("runc|create|-b|/b|id", "/b", NULL);
        /* Go's flag package takes one dash for long options */
        expect_cmdline("runc|create|-bundle|/b|id", "/b", NULL);
}

Test(bundle_cmdline, crun_config_in_every_spelling)
{
        expect_cmdline("crun|run|--config|other.json|id", NULL, "other.json");
        expect_cmdline("crun|run|--config=/c/other.json|id", NULL, "/c/other.json");
        expect_cmdline("crun|run|-f|o.json|-b|/b|id", "/b", "o.json");
        expect_cmdline("crun|run|-fo.json|-b/b|id", "/b", "o.json");
        expect_cmdline("crun|--root|/s|run|--bundle|/b|--config|/c.json|id", "/b", "/c.json");
}

Test(bundle_cmdline, the_last_of_a_repeated_option_counts)
{
        expect_cmdline("crun|run|-b|/one|--bundle|/two|id", "/two", NULL);
}

Test(bundle_cmdline, values_are_taken_whatever_they_look_like)
{
        /* the argument after --bundle is its value, even one with a dash */
        expect_cmdline("crun|run|--bundle|-f|id", "-f", NULL);
}

Test(bundle_cmdline, nothing_after_a_double_dash_or_without_options)
{
        expect_cmdline("crun|run|id|--|--bundle|/b", NULL, NULL);
        expect_cmdline("crun|run|id", NULL, NULL);
        expect_cmdline("crun", NULL, NULL);
        /* an option with no value after it */
        expect_cmdline("crun|run|id|--bundle", NULL, NULL);
}

Test(bundle_cmdline, abbreviations_and_look_alikes_are_not_the_options)
{
        expect_cmdline("crun|run|--bund|/b|--conf|/c|id", NULL, NULL);
        expect_cmdline("crun|run|--bundles=/b|--configs|/c|id", NULL, NULL);
        expect_cmdline("crun|run|--bundlex|/b|-config|/c|id", NULL, NULL);
        /* crun's argp reads "-bundlex" as -b with "undlex" attached */
        expect_cmdline("crun|run|-bundlex|id", "undlex", NULL);
}

Test(bundle_cmdline, refuses_what_is_no_cmdline)
{
        struct runtime_cmdline c;

        cr_assert_eq(bundle_parse_cmdline("", 0, &c), -EINVAL);
        cr_assert_eq(bundle_parse_cmdline("crun", 4, &c), -EINVAL);
}

/* ---- a runtime and its container init, as real processes ------------------------ */

static char dir[64];
static pid_t runtime = -1, sibling = -1;

static void setup(void)
{
        strcpy(dir, "/tmp/oci-idmap-bundle-XXXXXX");
        cr_assert(mkdtemp(dir));
}

/* Kills the process group `pid` leads and reaps its leader. */
static void stop(pid_t *pid)
{
        proc_kill_group(*pid);
        *pid = -1;
}

static void teardown(void)
{
        char cmd[128];

        stop(&sibling);
        stop(&runtime);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                fprintf(stderr, "could not remove %s\n", dir);
}

TestSuite(bundle_find, .init = setup, .fini = teardown, .timeout = 30);

static char *path_in(const char *rel)
{
        char *p;

        cr_assert(asprintf(&p, "%s/%s", dir, rel) > 0);
        return p;
}

/* <dir>/<rel> as a config whose root.path is `root`. */
static char *write_config(const char *rel, const char *root)
{
        char *path = path_in(rel);
        FILE *f = fopen(path, "w");

        cr_assert_not_null(f, "%s: %m", path);
        fprintf(f, "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"%s\"}}", root);
        fclose(f);
        return path;
}

static void mkdir_in(const char *rel)
{
        char *p = path_in(rel);

        cr_assert_eq(mkdir(p, 0755), 0, "%s: %m", p);
        free(p);
}

/* Reads the pid the init wrote, waiting for it. */
static pid_t wait_for_pid(const char *file, pid_t writer)
{
        for (int i = 0; i < 500; i++) {
                FILE *f = fopen(file, "r");
                int pid = 0;

                if (f) {
                        int n = fscanf(f, "%d", &pid);

                        fclose(f);
                        if (n == 1 && pid > 0)
                                return pid;
                }
                cr_assert_eq(waitpid(writer, NULL, WNOHANG), 0, "the stand-in exited");
                nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
        }
        cr_assert_fail("no pid in %s", file);
        return -1;
}

/* The container init: a process in a mount namespace of its own, with
 * `rootfs` bound onto itself there when `bind`, as a shell command that
 * writes its pid to <dir>/init.pid and then sleeps. */
static const char *init_command(const char *rootfs, bool bind)
{
        static char s[768];
        char mount[300] = "";

        if (bind)
                snprintf(mount, sizeof(mount), "mount --bind %s %s && ", rootfs, rootfs);
        snprintf(s, sizeof(s),
                 "unshare -m --propagation private sh -c '%secho $$ > %s/init.pid.tmp && "
                 "mv %s/init.pid.tmp %s/init.pid && exec sleep 60'",
                 mount, dir, dir, dir);
        return s;
}

/* Waits until `pid` runs /bin/sh as "crun": its command line is then ours. */
static void wait_for_exec(pid_t pid)
{
        char path[64], buf[8];

        snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
        for (int i = 0; i < 500; i++) {
                FILE *f = fopen(path, "r");
                size_t n = f ? fread(buf, 1, sizeof(buf), f) : 0;

                if (f)
                        fclose(f);
                if (n >= 5 && memcmp(buf, "crun", 5) == 0)
                        return;
                nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
        }
        cr_assert_fail("%d never ran the stand-in", (int)pid);
}

/* A stand-in runtime: /bin/sh named crun, its command line holding `args`
 * ('|' between them), with the container init as its child; its cwd `cwd`. */
static void start_runtime(const char *cwd, const char *args, const char *rootfs, bool bind)
{
        char script[1024], *pidfile = path_in("init.pid");
        const char *argv[32];
        char buf[512];
        size_t n = 0;

        snprintf(script, sizeof(script), "%s & wait", rootfs ? init_command(rootfs, bind) : "sleep 60");
        argv[n++] = "crun";
        argv[n++] = "-c";
        argv[n++] = script;
        snprintf(buf, sizeof(buf), "%s", args);
        for (char *tok = strtok(buf, "|"); tok && n < 30; tok = strtok(NULL, "|"))
                argv[n++] = tok;
        argv[n] = NULL;
        runtime = fork();
        cr_assert_geq(runtime, 0);
        if (runtime == 0) {
                setpgid(0, 0);
                if (chdir(cwd) < 0)
                        _exit(126);
                execv("/bin/sh", (char *const *)argv);
                _exit(127);
        }
        /* the init is the runtime's child, in its process group */
        setpgid(runtime, runtime);
        if (rootfs)
                cr_assert_gt(wait_for_pid(pidfile, runtime), 0);
        else
                wait_for_exec(runtime);
        free(pidfile);
}

/* The same, but the init is the runtime's sibling (this test's child), as
 * `crun create` makes it with CLONE_PARENT. */
static void start_runtime_with_sibling_init(const char *args, const char *rootfs)
{
        char *pidfile = path_in("init.pid"), *command;

        cr_assert(asprintf(&command, "exec %s", init_command(rootfs, true)) > 0);
        sibling = fork();
        cr_assert_geq(sibling, 0);
        if (sibling == 0) {
                setpgid(0, 0);
                execl("/bin/sh", "sh", "-c", command, (char *)NULL);
                _exit(127);
        }
        setpgid(sibling, sibling);
        /* the init is the sibling itself: sh, unshare and sh exec in turn */
        cr_assert_eq(wait_for_pid(pidfile, sibling), sibling);
        free(command);
        free(pidfile);
        start_runtime("/", args, NULL, false);
}

static pid_t the_init(void)
{
        char *pidfile = path_in("init.pid");
        pid_t pid = wait_for_pid(pidfile, sibling > 0 ? sibling : runtime);

        free(pidfile);
        return pid;
}

static void expect_found(const char *state_bundle, const char *config, const char *bundle)
{
        struct oci_state st = { .pid = the_init(), .bundle = (char *)state_bundle };
        char *c = NULL, *b = NULL;
        struct err e = { 0 };

        cr_assert_eq(bundle_find_config_from(runtime, &st, &c, &b, &e), 0, "%s", e.msg);
        cr_assert_str_eq(c, config);
        cr_assert_str_eq(b, bundle);
        free(c);
        free(b);
}

static void expect_not_found(const char *state_bundle)
{
        struct oci_state st = { .pid = the_init(), .bundle = (char *)state_bundle };
        char *c = NULL, *b = NULL;
        struct err e = { 0 };

        cr_assert_eq(bundle_find_config_from(runtime, &st, &c, &b, &e), -ENOENT, "found %s", c);
        cr_assert_null(c);
        cr_assert_null(b);
        cr_assert_eq(e.errnum, 0, "a message for -ENOENT: %s", e.msg);
}

/* crun 1.8.1 after its device set-up: the state says "/", the runtime was
 * given --bundle. */
Test(bundle_find, the_runtimes_bundle_wins_over_a_state_that_says_slash)
{
        char *bundle = path_in("b"), *rootfs = path_in("b/rootfs"), *config;
        char args[256];

        mkdir_in("b");
        mkdir_in("b/rootfs");
        config = write_config("b/config.json", "rootfs");
        snprintf(args, sizeof(args), "create|--bundle|%s|--pid-file|/p|id", bundle);
        start_runtime("/", args, rootfs, true);
        expect_found("/", config, bundle);
}

/* crun run --config FILE, run in the bundle: FILE there, root.path against
 * the bundle. */
Test(bundle_find, a_relative_config_is_read_in_the_runtimes_cwd_without_a_bundle)
{
        char *bundle = path_in("b"), *rootfs = path_in("b/rootfs"), *config;

        mkdir_in("b");
        mkdir_in("b/rootfs");
        config = write_config("b/other.json", "rootfs");
        start_runtime(bundle, "run|--config|other.json|id", rootfs, true);
        expect_found(bundle, config, bundle);
}

Test(bundle_find, an_absolute_config_wins_over_the_bundles_config_json)
{
        char *bundle = path_in("b"), *rootfs = path_in("r"), *config, *args;

        mkdir_in("b");
        mkdir_in("r");
        write_config("b/config.json", "/nonexistent");
        config = write_config("other.json", rootfs);
        cr_assert(asprintf(&args, "run|-b|%s|-f|%s|id", bundle, config) > 0);
        start_runtime("/", args, rootfs, true);
        expect_found(bundle, config, bundle);
}

Test(bundle_find, an_init_cloned_as_the_runtimes_sibling_is_its_container)
{
        char *bundle = path_in("b"), *rootfs = path_in("b/rootfs"), *config;
        char args[256];

        mkdir_in("b");
        mkdir_in("b/rootfs");
        config = write_config("b/config.json", "rootfs");
        snprintf(args, sizeof(args), "create|--bundle|%s|id", bundle);
        start_runtime_with_sibling_init(args, rootfs);
        expect_found("/", config, bundle);
}

/* A config whose rootfs the container init does not have bound onto
 * itself is not the container's: the state's bundle is taken. */
Test(bundle_find, a_config_whose_rootfs_is_not_the_containers_is_not_taken)
{
        char *bundle = path_in("b"), *state_bundle = path_in("s"), *rootfs = path_in("b/rootfs");
        char *state_config, args[256];

        mkdir_in("b");
        mkdir_in("b/rootfs");
        mkdir_in("s");
        write_config("b/config.json", "rootfs");
        state_config = write_config("s/config.json", "rootfs");
        snprintf(args, sizeof(args), "create|--bundle|%s|id", bundle);
        start_runtime("/", args, rootfs, false);
        expect_found(state_bundle, state_config, state_bundle);
        /* ... and with a state that leads nowhere, nothing is found */
        expect_not_found("/");
}

/* A relative --config with a --bundle was taken against a cwd crun has
 * left: it cannot be known. */
Test(bundle_find, a_relative_config_with_a_bundle_cannot_be_known)
{
        char *bundle = path_in("b"), *rootfs = path_in("b/rootfs"), args[256];

        mkdir_in("b");
        mkdir_in("b/rootfs");
        write_config("b/other.json", "rootfs");
        snprintf(args, sizeof(args), "run|--bundle|%s|--config|other.json|id", bundle);
        start_runtime("/", args, rootfs, true);
        expect_not_found("/");
}

/* A process that did not start the container init says nothing of it. */
Test(bundle_find, a_parent_that_is_not_the_inits_runtime_is_not_asked)
{
        char *bundle = path_in("b"), *rootfs = path_in("b/rootfs"), args[256];
        struct oci_state st = { .bundle = (char *)"/" };
        char *c = NULL, *b = NULL;
        struct err e = { 0 };
        pid_t other;

        mkdir_in("b");
        mkdir_in("b/rootfs");
        write_config("b/config.json", "rootfs");
        snprintf(args, sizeof(args), "create|--bundle|%s|id", bundle);
        start_runtime("/", args, rootfs, true);
        st.pid = the_init();
        /* our own child, a sibling of the runtime but not of its init */
        other = fork();
        cr_assert_geq(other, 0);
        if (other == 0) {
                pause();
                _exit(0);
        }
        cr_assert_eq(bundle_find_config_from(other, &st, &c, &b, &e), -ENOENT, "found %s", c);
        kill(other, SIGKILL);
        waitpid(other, NULL, 0);
        /* the runtime itself is */
        cr_assert_eq(bundle_find_config_from(runtime, &st, &c, &b, &e), 0, "%s", e.msg);
        free(c);
        free(b);
}
