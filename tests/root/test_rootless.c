/* Rootless engines run hooks inside a user namespace of their own, without
 * CAP_SYS_ADMIN in the initial one, where idmapped mounts cannot be made.
 * The hook runs here the way it runs there: in a new user namespace (as
 * `unshare --user --map-root-user` would put it), against a real process. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/oci_bundle.h"
#include "tests/support/proc.h"
#include "tests/support/standin.h"

static char dir[64];
static struct standin target = { .pid = -1 };

static void setup(void)
{
        /* The container: a process, here no more (the hook stops before it
         * would look at its mounts). */
        struct standin_spec spec = { .rootfs = "/", .same_namespace = true };
        struct err e = { 0 };

        strcpy(dir, "/tmp/oci-idmap-hook-rootless-XXXXXX");
        cr_assert(mkdtemp(dir));
        cr_assert_eq(chmod(dir, 0755), 0);
        cr_assert_eq(standin_start(&target, &spec, &e), 0, "%s", e.msg);
}

static void teardown(void)
{
        char cmd[128];

        standin_stop(&target);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                fprintf(stderr, "could not remove %s\n", dir);
}

TestSuite(rootless, .init = setup, .fini = teardown, .timeout = 30);

static void write_config(const char *mount_options, const char *annotations)
{
        char path[128];
        FILE *f;

        snprintf(path, sizeof(path), "%s/rootfs", dir);
        cr_assert_eq(mkdir(path, 0755), 0);
        snprintf(path, sizeof(path), "%s/config.json", dir);
        f = fopen(path, "w");
        cr_assert(f);
        fprintf(f, "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},%s"
                "\"mounts\":[{\"destination\":\"/vol\",\"type\":\"bind\",\"source\":\"/tmp\",\"options\":[%s]}],"
                "\"linux\":{\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"user\"}],"
                "\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}],"
                "\"gidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]}}",
                annotations, mount_options);
        fclose(f);
}

/* Runs the hook in a new user namespace where it is "root" without
 * CAP_SYS_ADMIN over the initial namespace (`unshare --user`); returns its
 * exit code and what it printed on stderr. */
static int run_unprivileged(char *err, size_t cap)
{
        const char *const argv[] = { "unshare", "--user", HOOK_BIN, "createRuntime", NULL };
        char *state;
        struct proc p;
        struct proc_result r;
        struct err e = { 0 };
        int status;

        state = bundle_state_text(&(struct bundle_state){ .id = "rl", .pid = target.pid, .bundle = dir }, &e);
        cr_assert_not_null(state, "%s", e.msg);
        cr_assert_eq(proc_start(&p, argv, state, &e), 0, "%s", e.msg);
        free(state);
        cr_assert_eq(proc_finish(&p, 20, &r, &e), 0, "%s", e.msg);
        cr_assert_not(r.timed_out, "%s did not finish", r.cmdline);
        snprintf(err, cap, "%s", r.err);
        status = r.status;
        proc_result_free(&r);
        return status;
}

Test(rootless, container_that_asked_nothing_still_starts)
{
        char err[2048];

        /* Root-owned rootfs under auto: the hook would idmap it if it could;
         * nobody asked, so the container starts as it would without it. */
        write_config("\"rbind\"", "");
        cr_assert_eq(run_unprivileged(err, sizeof(err)), 0, "stderr: %s", err);
        cr_assert_str_eq(err, "");
}

Test(rootless, idmap_volume_gets_a_clear_message)
{
        char err[2048];

        write_config("\"rbind\",\"idmap\"", "");
        cr_assert_eq(run_unprivileged(err, sizeof(err)), 1, "stderr: %s", err);
        cr_assert(strstr(err, "CAP_SYS_ADMIN in the initial user namespace"), "%s", err);
        cr_assert(strstr(err, "rl"), "names the container: %s", err);
        cr_assert_eq(strchr(err, '\n'), err + strlen(err) - 1, "one line: %s", err);
}

Test(rootless, rootfs_annotation_true_gets_a_clear_message)
{
        char err[2048];

        write_config("\"rbind\"", "\"annotations\":{\"io.github.oci-idmap-hook.rootfs\":\"true\"},");
        cr_assert_eq(run_unprivileged(err, sizeof(err)), 1, "stderr: %s", err);
        cr_assert(strstr(err, "rootless"), "%s", err);
}
