/* The command line as a runtime and a person use it: exit codes, one-line
 * errors that name what is wrong, and the plan printout.  No privilege. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

struct result {
        int status;
        char out[65536];
        char err[4096];
};

static void read_all(int fd, char *buf, size_t cap)
{
        size_t len = 0;
        ssize_t n;

        while (len + 1 < cap && (n = read(fd, buf + len, cap - 1 - len)) > 0)
                len += (size_t)n;
        buf[len] = '\0';
}

/* Runs the hook with `input` on stdin (NULL: /dev/null). */
static void run(struct result *res, const char *input, char *const argv[])
{
        char in_path[] = "/tmp/oci-idmap-hook-cli-in-XXXXXX";
        int in = mkstemp(in_path), out[2], err[2];
        posix_spawn_file_actions_t fa;
        pid_t pid;

        cr_assert(in >= 0);
        unlink(in_path);
        if (input)
                cr_assert_eq(write(in, input, strlen(input)), (ssize_t)strlen(input));
        lseek(in, 0, SEEK_SET);
        cr_assert_eq(pipe(out), 0);
        cr_assert_eq(pipe(err), 0);
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, in, 0);
        posix_spawn_file_actions_adddup2(&fa, out[1], 1);
        posix_spawn_file_actions_adddup2(&fa, err[1], 2);
        cr_assert_eq(posix_spawn(&pid, HOOK_BIN, &fa, NULL, argv, environ), 0);
        posix_spawn_file_actions_destroy(&fa);
        close(in);
        close(out[1]);
        close(err[1]);
        read_all(out[0], res->out, sizeof(res->out));
        read_all(err[0], res->err, sizeof(res->err));
        close(out[0]);
        close(err[0]);
        cr_assert_eq(waitpid(pid, &res->status, 0), pid);
        cr_assert(WIFEXITED(res->status), "the hook died: status %d", res->status);
        res->status = WEXITSTATUS(res->status);
}

static void assert_one_line_error(const struct result *res, const char *needle)
{
        const char *nl = strchr(res->err, '\n');

        cr_assert(strncmp(res->err, "oci-idmap-hook: ", 16) == 0, "stderr: %s", res->err);
        cr_assert(nl && nl[1] == '\0', "one line expected, got: %s", res->err);
        cr_assert(strstr(res->err, needle), "expected \"%s\" in: %s", needle, res->err);
}

static char bundle[64];

static void write_file(const char *dir, const char *name, const char *text)
{
        char path[256];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "w");
        cr_assert(f);
        fputs(text, f);
        fclose(f);
}

static void copy_sample(const char *runtime)
{
        char src[512], cmd[1200];

        snprintf(src, sizeof(src), "%s/podman-4.3.1/%s/config-createRuntime.json", FIXTURES_DIR, runtime);
        snprintf(cmd, sizeof(cmd), "cp '%s' '%s/config.json'", src, bundle);
        cr_assert_eq(system(cmd), 0);
}

static void make_bundle(void)
{
        strcpy(bundle, "/tmp/oci-idmap-hook-cli-XXXXXX");
        cr_assert(mkdtemp(bundle));
}

static void remove_bundle(void)
{
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", bundle);
        if (system(cmd) != 0)
                fprintf(stderr, "could not remove %s\n", bundle);
}

TestSuite(cli, .init = make_bundle, .fini = remove_bundle);

static char *state_for(const char *b, int pid)
{
        static char doc[512];

        snprintf(doc, sizeof(doc), "{\"ociVersion\":\"1.0.2\",\"id\":\"c1\",\"status\":\"creating\","
                 "\"pid\":%d,\"bundle\":\"%s\"}", pid, b);
        return doc;
}

Test(cli, version_and_help_exit_zero)
{
        struct result res;

        run(&res, NULL, (char *[]){ "oci-idmap-hook", "--version", NULL });
        cr_assert_eq(res.status, 0);
        cr_assert(strncmp(res.out, "oci-idmap-hook ", 15) == 0, "%s", res.out);
        run(&res, NULL, (char *[]){ "oci-idmap-hook", "--help", NULL });
        cr_assert_eq(res.status, 0);
        cr_assert(strstr(res.out, "Exit codes"), "%s", res.out);
}

Test(cli, missing_stage_is_a_usage_error)
{
        struct result res;

        run(&res, NULL, (char *[]){ "oci-idmap-hook", NULL });
        cr_assert_eq(res.status, 2);
}

Test(cli, unknown_stage_is_named)
{
        struct result res;

        run(&res, state_for(bundle, 1), (char *[]){ "oci-idmap-hook", "poststop", NULL });
        cr_assert_eq(res.status, 2);
        assert_one_line_error(&res, "unknown stage \"poststop\"");
}

Test(cli, empty_stdin_is_refused)
{
        struct result res;

        run(&res, "", (char *[]){ "oci-idmap-hook", "createRuntime", NULL });
        cr_assert_eq(res.status, 3);
        assert_one_line_error(&res, "state");
}

Test(cli, missing_bundle_is_named)
{
        struct result res;

        run(&res, state_for("/nonexistent/bundle", 1), (char *[]){ "oci-idmap-hook", "prestart", NULL });
        cr_assert_eq(res.status, 3);
        assert_one_line_error(&res, "/nonexistent/bundle");
}

Test(cli, container_without_user_namespace_exits_zero_silently)
{
        struct result res;

        write_file(bundle, "config.json", "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},"
                   "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}]}}");
        run(&res, state_for(bundle, 1), (char *[]){ "oci-idmap-hook", "createRuntime", NULL });
        cr_assert_eq(res.status, 0, "stderr: %s", res.err);
        cr_assert_str_eq(res.err, "");
        cr_assert_str_eq(res.out, "");
}

Test(cli, overflowing_mapping_is_named_with_field_and_value)
{
        struct result res;

        write_file(bundle, "config.json", "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},"
                   "\"linux\":{\"namespaces\":[{\"type\":\"user\"}],"
                   "\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":10},"
                   "{\"containerID\":10,\"hostID\":200000,\"size\":10},"
                   "{\"containerID\":20,\"hostID\":4294967295,\"size\":2}],"
                   "\"gidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":10}]}}");
        run(&res, state_for(bundle, 1), (char *[]){ "oci-idmap-hook", "createRuntime", NULL });
        cr_assert_eq(res.status, 3);
        assert_one_line_error(&res, "config.json: linux.uidMappings[2]");
        cr_assert(strstr(res.err, "4294967295"), "%s", res.err);
}

Test(cli, plan_prints_the_samples_decisions)
{
        struct result res;
        char mi[512];

        copy_sample("runc");
        snprintf(mi, sizeof(mi), "%s/podman-4.3.1/runc/mountinfo-createRuntime.txt", FIXTURES_DIR);
        run(&res, NULL, (char *[]){ "oci-idmap-hook", "plan", "--bundle", bundle, "--mountinfo", mi, NULL });
        cr_assert_eq(res.status, 0, "stderr: %s", res.err);
        cr_assert(strstr(res.out, "rootfs: /srv/containers/demo/rootfs\n"), "%s", res.out);
        cr_assert(strstr(res.out, "mount /vol (bind) [mount 74]: idmap uids 0:100000:65536 gids 0:100000:65536, top only"), "%s", res.out);
        cr_assert(strstr(res.out, "mount /rovol (bind) [mount 78]: keep, not asked"), "%s", res.out);
        cr_assert(strstr(res.out, "mount /proc (proc) [mount 76]: keep, not asked"), "%s", res.out);
        /* the steps: the rootfs stacked, /vol swapped, flags left to runc */
        cr_assert(strstr(res.out, "step 1: idmap-stack mount "), "%s", res.out);
        cr_assert(strstr(res.out, "step 2: idmap-swap mount 74 `/srv/containers/demo/rootfs/vol` "
                                  "(mounts[3] /vol)"), "%s", res.out);
}

Test(cli, plan_json_from_config_alone)
{
        struct result res;

        copy_sample("crun");
        run(&res, NULL, (char *[]){ "oci-idmap-hook", "plan", "--bundle", bundle, "--json", NULL });
        cr_assert_eq(res.status, 0, "stderr: %s", res.err);
        cr_assert(strstr(res.out, "\"rootfs\": \"/srv/containers/demo/rootfs\""), "%s", res.out);
}

Test(cli, plan_needs_a_bundle)
{
        struct result res;

        run(&res, NULL, (char *[]){ "oci-idmap-hook", "plan", NULL });
        cr_assert_eq(res.status, 2);
        cr_assert(strstr(res.err, "--bundle"), "%s", res.err);
}

Test(cli, plan_refuses_pid_and_mountinfo_together)
{
        struct result res;

        run(&res, NULL, (char *[]){ "oci-idmap-hook", "plan", "--bundle", bundle, "--pid", "1", "--mountinfo", "/x", NULL });
        cr_assert_eq(res.status, 2);
}

Test(cli, plan_with_a_bad_pid_is_a_usage_error)
{
        struct result res;

        run(&res, NULL, (char *[]){ "oci-idmap-hook", "plan", "--bundle", bundle, "--pid", "12x", NULL });
        cr_assert_eq(res.status, 2);
        cr_assert(strstr(res.err, "12x"), "%s", res.err);
}

Test(cli, plan_with_a_missing_mountinfo_names_it)
{
        struct result res;

        copy_sample("runc");
        run(&res, NULL, (char *[]){ "oci-idmap-hook", "plan", "--bundle", bundle, "--mountinfo", "/nonexistent/mi", NULL });
        cr_assert_eq(res.status, 3);
        assert_one_line_error(&res, "/nonexistent/mi");
}

/* Installed for every container, the hook must not fail one it has no
 * business with because it reads JSON more strictly than the runtime. */
Test(cli, config_it_refuses_without_user_namespace_is_not_its_business)
{
        struct result res;

        write_file(bundle, "config.json", "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},"
                   "\"mounts\":[{\"destination\":\"tmp\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"}],"
                   "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}],\"namespaces\":[{\"type\":\"pid\"}]}}");
        run(&res, state_for(bundle, 1), (char *[]){ "oci-idmap-hook", "createRuntime", NULL });
        cr_assert_eq(res.status, 0, "stderr: %s", res.err);
        cr_assert_str_eq(res.err, "");
}

Test(cli, config_it_refuses_with_user_namespace_is_refused)
{
        struct result res;

        write_file(bundle, "config.json", "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},"
                   "\"mounts\":[{\"destination\":\"tmp\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"}],"
                   "\"linux\":{\"namespaces\":[{\"type\":\"user\"}],"
                   "\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}],"
                   "\"gidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]}}");
        run(&res, state_for(bundle, 1), (char *[]){ "oci-idmap-hook", "createRuntime", NULL });
        cr_assert_eq(res.status, 3);
        assert_one_line_error(&res, "mounts[0].destination");
}
