/* oci-idmap-runtime: which runtime is the real one, and what it can do. */
#include "wrapper.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../base/cleanup.h"
#include "../base/io.h"
#include "../oci/json.h"

extern char **environ;

/* The runtime the config file names, or NULL; a missing file names none. */
static int runtime_from_config(char **name, const char **where, struct err *e)
{
        const char *path = getenv(WRAP_ENV_CONFIG);
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r;

        *name = NULL;
        if (!path || !*path)
                path = WRAP_CONFIG_FILE;
        *where = path;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 && errno == ENOENT)
                return 0;
        if (fd < 0)
                return err_sys(e, errno, "open `%s`", path);
        r = read_input_fd(fd, 64 * 1024, &buf, &len);
        if (r < 0)
                return err_sys(e, -r, "read `%s`", path);
        if (strlen(buf) != len)
                return err_set(e, EINVAL, "%s: holds a NUL byte", path);
        return wrap_conf_parse(buf, path, name, e);
}

/* The runtime asked for, and who asked (for messages). */
static int runtime_choice(const char *argv0, char **name, const char **source, struct err *e)
{
        const char *env = getenv(WRAP_ENV_RUNTIME), *from_name = wrap_runtime_from_name(argv0);
        int r;

        if (env && *env) {
                *source = "$" WRAP_ENV_RUNTIME;
                *name = strdup(env);
        } else if (from_name) {
                *source = "the wrapper's name";
                *name = strdup(from_name);
        } else {
                r = runtime_from_config(name, source, e);
                if (r < 0)
                        return r;
                if (!*name) {
                        *source = "the default";
                        *name = strdup("runc");
                }
        }
        return *name ? 0 : err_set(e, ENOMEM, "out of memory");
}

static bool same_file(const char *path, const struct stat *self)
{
        struct stat st;

        return stat(path, &st) == 0 && st.st_dev == self->st_dev && st.st_ino == self->st_ino;
}

static bool executable_file(const char *path)
{
        struct stat st;

        return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* PATH lookup as execvp does it (an empty entry is the working directory),
 * except that the wrapper itself is never the answer. */
static int search_path(const char *name, const char *source, const struct stat *self,
                       char **out, struct err *e)
{
        const char *path = getenv("PATH");
        _cleanup_free_ char *copy = NULL;
        bool skipped_self = false;

        copy = strdup(path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        if (!copy)
                return err_set(e, ENOMEM, "out of memory");
        for (char *rest = copy, *dir; (dir = strsep(&rest, ":"));) {
                _cleanup_free_ char *cand = NULL;

                if (asprintf(&cand, "%s/%s", *dir ? dir : ".", name) < 0)
                        return err_set(e, ENOMEM, "out of memory");
                if (!executable_file(cand))
                        continue;
                if (same_file(cand, self)) {
                        skipped_self = true;
                        continue;
                }
                *out = TAKE_PTR(cand);
                return 0;
        }
        return err_set(e, ENOENT, "runtime `%s` (from %s) not found in PATH%s", name, source,
                       skipped_self ? " (only this wrapper goes by that name there)" : "");
}

int wrap_find_runtime(const char *argv0, char **path, struct err *e)
{
        _cleanup_free_ char *name = NULL;
        const char *source;
        struct stat self;
        int r;

        r = runtime_choice(argv0, &name, &source, e);
        if (r < 0)
                return r;
        if (stat("/proc/self/exe", &self) < 0)
                return err_sys(e, errno, "stat `/proc/self/exe`");
        if (!strchr(name, '/'))
                return search_path(name, source, &self, path, e);
        errno = 0;
        if (!executable_file(name))
                return err_sys(e, errno ? errno : EACCES, "runtime `%s` (from %s)", name, source);
        if (same_file(name, &self))
                return err_set(e, ELOOP, "runtime `%s` (from %s) is this wrapper itself", name,
                               source);
        *path = TAKE_PTR(name);
        return 0;
}

/* Runs `runtime arg` with stdin and stderr on /dev/null; its stdout (up to
 * 1 MiB) in *out.  Returns its exit status, or -1 when it did not run. */
static int runtime_output(const char *runtime, const char *arg, char **out)
{
        const char *const argv[] = { runtime, arg, NULL };
        posix_spawn_file_actions_t fa;
        int pipefd[2], status, r;
        size_t len;
        pid_t pid;

        *out = NULL;
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -1;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        r = posix_spawn(&pid, runtime, &fa, NULL, (char *const *)argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        close(pipefd[1]);
        if (r != 0) {
                close(pipefd[0]);
                return -1;
        }
        r = read_input_fd(pipefd[0], 1024 * 1024, out, &len);
        close(pipefd[0]);
        /* this child only: a wait for any child could take another's status */
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -1;
        if (r < 0)
                return -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bool features_say_idmap(const char *text)
{
        _cleanup_(json_doc_freep) struct json_doc *doc = NULL;
        const struct json *v;
        struct err e = { 0 };

        if (json_parse_flags(text, strlen(text), "features", JSON_ALLOW_DUPLICATES, &doc, &e) < 0)
                return false;
        v = json_get(json_doc_root(doc), "linux");
        v = v ? json_get(v, "mountExtensions") : NULL;
        v = v ? json_get(v, "idmap") : NULL;
        v = v ? json_get(v, "enabled") : NULL;
        return v && v->type == JSON_BOOL && v->b;
}

bool wrap_runtime_idmaps_mounts(const char *runtime)
{
        _cleanup_free_ char *features = NULL, *version = NULL;

        if (runtime_output(runtime, "features", &features) == 0)
                return features_say_idmap(features);
        return runtime_output(runtime, "--version", &version) == 0 &&
               strncmp(version, "crun version ", 13) == 0;
}
