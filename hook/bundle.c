/* Finding the config.json the runtime used (bundle.h). */
#include "bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/cleanup.h"
#include "../base/io.h"
#include "../oci/config.h"
#include "../oci/json.h"
#include "../oci/path.h"

/* ---- the runtime's command line ---- */

/* `arg` is option `name` ("--bundle") with its value attached by '=', or,
 * for a short option ("-b"), attached directly; *value is that value. */
static bool attached(const char *arg, const char *name, const char **value)
{
        size_t n = strlen(name);

        if (strncmp(arg, name, n) != 0 || arg[n] == '\0')
                return false;
        if (arg[n] == '=') {
                *value = arg + n + 1;
                return true;
        }
        /* crun's argp takes "-bDIR"; a long option needs the '='. */
        if (name[1] != '-' && n == 2) {
                *value = arg + n;
                return true;
        }
        return false;
}

/* Matches argv[*i] against an option given by its names (NULL-terminated):
 * takes its value, attached or the next argument, and moves *i past it. */
static bool take_option(char **argv, size_t argc, size_t *i, const char *const *names,
                        const char **out)
{
        for (const char *const *n = names; *n; n++) {
                if (strcmp(argv[*i], *n) == 0) {
                        if (*i + 1 < argc)
                                *out = argv[++*i];
                        return true;
                }
                if (attached(argv[*i], *n, out))
                        return true;
        }
        return false;
}

int bundle_parse_cmdline(const char *buf, size_t len, struct runtime_cmdline *out)
{
        static const char *const bundle_names[] = { "--bundle", "-bundle", "-b", NULL };
        static const char *const config_names[] = { "--config", "-f", NULL };
        _cleanup_free_ char **argv = NULL;
        size_t argc = 0;

        *out = (struct runtime_cmdline){ 0 };
        if (len == 0 || buf[len - 1] != '\0')
                return -EINVAL;
        argv = calloc(len, sizeof(*argv));
        if (!argv)
                return -ENOMEM;
        for (size_t o = 0; o < len; o += strlen(buf + o) + 1)
                argv[argc++] = (char *)buf + o;
        /* Neither runtime has a global option called -b or -f: the options
         * are looked for wherever they are, the subcommand's included. */
        for (size_t i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--") == 0)
                        break;
                if (argv[i][0] != '-')
                        continue;
                if (!take_option(argv, argc, &i, bundle_names, &out->bundle))
                        take_option(argv, argc, &i, config_names, &out->config);
        }
        return 0;
}

/* ---- the runtime process ---- */

struct runtime {
        struct runtime_cmdline cmd;
        char *cmdline;          /* the text cmd points into */
        char cwd[PATH_MAX];     /* its cwd now; "" when unknown */
};

/* The parent pid in /proc/<pid>/stat: "pid (comm) state ppid ...", where
 * comm may hold anything, ')' included: the last ')' ends it. */
static pid_t parent_of(pid_t pid)
{
        char path[64], buf[1024], *close;
        _cleanup_close_ int fd = -EBADF;
        ssize_t n;
        int ppid;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return -EIO;
        buf[n] = '\0';
        close = strrchr(buf, ')');
        if (!close || sscanf(close + 1, " %*c %d", &ppid) != 1)
                return -EIO;
        return ppid;
}

/* Whether `init` is what runtime `pid` started: its child, or, when the
 * runtime cloned it with CLONE_PARENT, its sibling.  crun does that for
 * `crun create` (seen with crun 1.8.1 under podman: conmon is the parent of
 * both crun and the container init when crun runs the hooks). */
static bool started_by(pid_t init, pid_t pid)
{
        pid_t parent = parent_of(init);

        return parent > 0 && (parent == pid || parent == parent_of(pid));
}

/* Reads what `pid` says of its bundle when it is the runtime that started
 * `init` (started_by).  1 when read, 0 when `pid` is not that runtime. */
static int read_runtime(pid_t pid, pid_t init, struct runtime *rt)
{
        _cleanup_close_ int pidfd = -EBADF, dir = -EBADF, fd = -EBADF;
        char path[64];
        size_t len;
        ssize_t n;

        pidfd = pidfd_open(pid, 0);
        if (pidfd < 0)
                return 0;
        snprintf(path, sizeof(path), "/proc/%d", (int)pid);
        dir = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0 || !started_by(init, pid))
                return 0;
        fd = openat(dir, "cmdline", O_RDONLY | O_CLOEXEC);
        if (fd < 0 || read_input_fd(fd, 1024 * 1024, &rt->cmdline, &len) < 0)
                return 0;
        if (bundle_parse_cmdline(rt->cmdline, len, &rt->cmd) < 0)
                return 0;
        n = readlinkat(dir, "cwd", rt->cwd, sizeof(rt->cwd) - 1);
        rt->cwd[n > 0 && rt->cwd[0] == '/' ? n : 0] = '\0';
        /* Still alive after all was read: /proc/<pid> was its, and so is
         * everything read through it. */
        if (pidfd_send_signal(pidfd, 0, NULL, 0) < 0 || !started_by(init, pid))
                return 0;
        return 1;
}

/* ---- where the runtime's config is ---- */

/* The bundle the runtime used.  A relative --bundle was its cwd's, and it
 * then changed into it (crun and runc both do): its cwd is the bundle,
 * unless crun 1.8.1's device set-up has since moved it to "/". */
static int runtime_bundle(const struct runtime *rt, char **out)
{
        if (rt->cmd.bundle && rt->cmd.bundle[0] == '/')
                *out = path_join("/", rt->cmd.bundle);
        else if (rt->cwd[0] && strcmp(rt->cwd, "/") != 0)
                *out = strdup(rt->cwd);
        else
                return -ENOENT;
        return *out ? 0 : -ENOMEM;
}

/* crun makes a --config other than "config.json" absolute against the cwd
 * it was started in, before it changes to the bundle, and reads
 * "config.json" in the bundle.  runc has no --config. */
static int runtime_config(const struct runtime *rt, const char *bundle, char **out)
{
        const char *c = rt->cmd.config;

        if (!c || strcmp(c, "config.json") == 0)
                *out = path_join(bundle, "config.json");
        else if (c[0] == '/')
                *out = path_join("/", c);
        /* Relative: without a --bundle crun stayed in its first cwd, the
         * bundle; with one, that first cwd is gone. */
        else if (!rt->cmd.bundle)
                *out = path_join(bundle, c);
        else
                return -ENOENT;
        return *out ? 0 : -ENOMEM;
}

/* root.path of the config at `config_path`, against `bundle`; NULL when it
 * cannot be read.  Read leniently: this only checks that the config is the
 * container's, the strict reading comes after. */
static char *config_rootfs(const char *config_path, const char *bundle)
{
        _cleanup_(json_doc_freep) struct json_doc *doc = NULL;
        _cleanup_free_ char *buf = NULL;
        const struct json *path;
        struct err e = { 0 };
        size_t len;

        if (oci_read_file(config_path, OCI_CONFIG_MAX, &buf, &len, &e) < 0 ||
            json_parse_flags(buf, len, "config.json",
                             JSON_ALLOW_DUPLICATES | JSON_ALLOW_COMMENTS | JSON_ANY_BYTES |
                                     JSON_ANY_DEPTH | JSON_ALLOW_TRAILING,
                             &doc, &e) < 0)
                return NULL;
        path = json_get(json_get(json_doc_root(doc), "root"), "path");
        if (!path || path->type != JSON_STRING || path->len == 0 || memchr(path->s, 0, path->len))
                return NULL;
        return path_join(path->s[0] == '/' ? "/" : bundle, path->s);
}

/* Whether the config's rootfs is the container's: both runtimes bind
 * root.path onto itself in the container's mount namespace before the
 * hooks run, so there (seen through /proc/<init>/root, the init's root in
 * its own namespace) the path is the root of a mount, of the same directory
 * the hook sees at that path. */
static bool rootfs_is_containers(const char *config_path, const char *bundle, pid_t init)
{
        _cleanup_free_ char *rootfs = config_rootfs(config_path, bundle), *inside = NULL;
        struct statx in, out;

        if (!rootfs || asprintf(&inside, "/proc/%d/root%s", (int)init, rootfs) < 0)
                return false;
        if (statx(AT_FDCWD, inside, AT_SYMLINK_NOFOLLOW, STATX_INO, &in) < 0 ||
            statx(AT_FDCWD, rootfs, AT_SYMLINK_NOFOLLOW, STATX_INO, &out) < 0)
                return false;
        return (in.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
               (in.stx_attributes & STATX_ATTR_MOUNT_ROOT) && in.stx_ino == out.stx_ino &&
               in.stx_dev_major == out.stx_dev_major && in.stx_dev_minor == out.stx_dev_minor;
}

/* Whether the config and bundle found are <state.bundle>/config.json and
 * state.bundle, which the hook would take without asking the runtime. */
static bool same_bundle(const struct oci_state *state, const char *config, const char *bundle)
{
        _cleanup_free_ char *b = path_join("/", state->bundle);
        size_t n = b ? strlen(b) : 0;

        return b && strcmp(b, bundle) == 0 && strncmp(config, b, n) == 0 &&
               strcmp(config + n, n == 1 ? "config.json" : "/config.json") == 0;
}

/* The runtime's config, when its command line names a bundle or a config
 * and that config's rootfs is the container's: 0 with both paths set, or
 * -ENOENT to go by the state. */
static int from_runtime(pid_t runtime, const struct oci_state *state, char **config_path,
                        char **bundle_dir)
{
        _cleanup_free_ char *config = NULL, *bundle = NULL;
        struct runtime rt = { 0 };
        int r = read_runtime(runtime, state->pid, &rt);

        /* Neither named: the runtime's bundle was its first cwd, which the
         * state has (or, after crun 1.8.1's device set-up, neither has). */
        if (r <= 0 || (!rt.cmd.bundle && !rt.cmd.config)) {
                free(rt.cmdline);
                return -ENOENT;
        }
        r = runtime_bundle(&rt, &bundle);
        if (r == 0)
                r = runtime_config(&rt, bundle, &config);
        free(rt.cmdline);
        if (r < 0)
                return r;
        /* The state's own bundle needs no check (and most runs end here:
         * podman passes --bundle, the same one the state has). */
        if (!same_bundle(state, config, bundle) &&
            !rootfs_is_containers(config, bundle, state->pid))
                return -ENOENT;
        *config_path = TAKE_PTR(config);
        *bundle_dir = TAKE_PTR(bundle);
        return 0;
}

int bundle_find_config_from(pid_t runtime, const struct oci_state *state, char **config_path,
                            char **bundle_dir, struct err *e)
{
        _cleanup_free_ char *config = NULL, *bundle = NULL;
        struct stat st;
        int r;

        *config_path = *bundle_dir = NULL;
        r = from_runtime(runtime, state, config_path, bundle_dir);
        if (r != -ENOENT) {
                if (r == -ENOMEM)
                        return err_set(e, ENOMEM, "out of memory");
                return r;
        }
        bundle = path_join("/", state->bundle);
        config = bundle ? path_join(bundle, "config.json") : NULL;
        if (!config)
                return err_set(e, ENOMEM, "out of memory");
        /* A bundle without a config.json is not the one the runtime read
         * (crun 1.8.1's "/"). */
        if (lstat(config, &st) < 0 && errno == ENOENT)
                return -ENOENT;
        *config_path = TAKE_PTR(config);
        *bundle_dir = TAKE_PTR(bundle);
        return 0;
}

int bundle_find_config(const struct oci_state *state, char **config_path, char **bundle_dir,
                       struct err *e)
{
        return bundle_find_config_from(getppid(), state, config_path, bundle_dir, e);
}
