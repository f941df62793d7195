/* `check`: the runtimes installed, and the hooks.d directories podman and
 * CRI-O read (check.h).  Reads files and runs `<runtime> --version`; changes
 * nothing. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../base/cleanup.h"
#include "../base/io.h"
#include "../oci/json.h"
#include "check_internal.h"

#define HOOK_NAME "oci-idmap-hook"

/* The first line `path --version` prints, run with no shell. */
static int runtime_version(const char *path, char *out, size_t size)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        int p[2], status = 0, r;
        pid_t pid;

        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid == 0) {
                int devnull = open("/dev/null", O_RDWR);

                dup2(p[1], STDOUT_FILENO);
                if (devnull >= 0) {
                        dup2(devnull, STDIN_FILENO);
                        dup2(devnull, STDERR_FILENO);
                }
                execl(path, path, "--version", (char *)NULL);
                _exit(127);
        }
        close(p[1]);
        r = pid < 0 ? -EAGAIN : read_input_fd(p[0], 4096, &buf, &len);
        close(p[0]);
        if (pid > 0 && (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)))
                r = r < 0 ? r : -ENOEXEC;
        if (r < 0)
                return r;
        snprintf(out, size, "%.*s", (int)strcspn(buf, "\n"), buf);
        return 0;
}

/* What the hook adds under each runtime (docs/runtimes.md, measured):
 * runc 1.2+ and crun idmap `idmap` volumes themselves; runc 1.3.6, 1.4.3
 * and later pivot into a handle on the rootfs taken before the hooks, so a
 * rootfs the hook replaces is not the one the container gets. */
static const char *runtime_verdict(const char *name, unsigned major, unsigned minor, unsigned patch,
                                   bool *ok)
{
        *ok = true;
        if (strcmp(name, "crun") == 0)
                return "idmaps `idmap` volumes itself; the hook adds the idmapped rootfs and "
                       "volumes with other mappings";
        if (major == 1 && minor < 2)
                return "does not idmap volumes itself; the hook idmaps the rootfs and the "
                       "`idmap`/`ridmap` volumes";
        if (major == 1 && (minor == 2 || (minor == 3 && patch < 6) || (minor == 4 && patch < 3)))
                return "idmaps `idmap`/`ridmap` volumes itself; the hook adds the idmapped rootfs";
        *ok = false;
        return "idmaps volumes itself, and pivots into a rootfs handle taken before the hooks: "
               "the hook cannot idmap the rootfs here (use oci-idmap-runtime)";
}

static bool seen_before(char seen[][PATH_MAX], size_t n, const char *real)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(seen[i], real) == 0)
                        return true;
        return false;
}

static size_t check_runtime_named(struct check *c, const char *name, char seen[][PATH_MAX],
                                  size_t n_seen, size_t max)
{
        static const char *const dirs[] = { "/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
                                            "/usr/bin", "/sbin", "/bin" };
        char path[PATH_MAX], real[PATH_MAX], version[256], item[64];

        snprintf(item, sizeof(item), "runtime %s", name);
        for (size_t i = 0; i < ARRAY_SIZE(dirs) && n_seen < max; i++) {
                unsigned major = 0, minor = 0, patch = 0;
                const char *verdict;
                bool ok;

                snprintf(path, sizeof(path), "%s/%s", dirs[i], name);
                if (access(path, X_OK) < 0 || !realpath(path, real) ||
                    seen_before(seen, n_seen, real))
                        continue;
                strcpy(seen[n_seen++], real);
                if (runtime_version(path, version, sizeof(version)) < 0) {
                        check_item(c, false, ADVISORY, item, "`%s --version` failed", path);
                        continue;
                }
                if (sscanf(version, "%*s version %u.%u.%u", &major, &minor, &patch) < 2) {
                        check_item(c, false, ADVISORY, item, "`%s`: cannot read a version in "
                                   "\"%s\"", path, version);
                        continue;
                }
                verdict = runtime_verdict(name, major, minor, patch, &ok);
                check_item(c, ok, ADVISORY, item, "`%s`, %u.%u.%u: %s", path, major, minor, patch,
                           verdict);
        }
        return n_seen;
}

void check_runtimes(struct check *c)
{
        char seen[8][PATH_MAX];
        size_t n = 0;

        n = check_runtime_named(c, "runc", seen, n, ARRAY_SIZE(seen));
        n = check_runtime_named(c, "crun", seen, n, ARRAY_SIZE(seen));
        check_item(c, n > 0, REQUIRED, "runtimes", n ? "%zu found" : "neither runc nor crun in "
                   "/usr/local/sbin, /usr/local/bin, /usr/sbin, /usr/bin, /sbin, /bin", n);
}

/* A hooks.d directory and who reads it. */
struct hooks_dir {
        char path[PATH_MAX];
        char readers[32];       /* "podman", "CRI-O", "podman, CRI-O" */
};

struct hooks_dirs {
        size_t n;
        struct hooks_dir d[16];
};

static void hooks_dir_add(struct hooks_dirs *h, const char *path, size_t len, const char *reader)
{
        size_t i;

        for (i = 0; i < h->n; i++)
                if (strlen(h->d[i].path) == len && strncmp(h->d[i].path, path, len) == 0)
                        break;
        if (i == h->n) {
                if (h->n == ARRAY_SIZE(h->d) || len >= sizeof(h->d[i].path))
                        return;
                snprintf(h->d[h->n++].path, sizeof(h->d[i].path), "%.*s", (int)len, path);
        }
        if (strstr(h->d[i].readers, reader))
                return;
        snprintf(h->d[i].readers + strlen(h->d[i].readers),
                 sizeof(h->d[i].readers) - strlen(h->d[i].readers), "%s%s",
                 h->d[i].readers[0] ? ", " : "", reader);
}

/* The directories in a TOML `hooks_dir = ["...", ...]` (containers.conf's
 * [engine], crio.conf's [crio.runtime]); false when the file sets none.  A
 * file that sets it replaces what earlier files set, as both tools read
 * them. */
static bool hooks_dir_from_conf(const char *file, struct hooks_dirs *h, const char *reader)
{
        _cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC);
        _cleanup_free_ char *buf = NULL;
        const char *p, *end;
        size_t len = 0;

        if (fd < 0 || read_input_fd(fd, 1 << 20, &buf, &len) < 0)
                return false;
        for (p = buf; (p = strstr(p, "hooks_dir")); p++) {
                const char *line = p;

                while (line > buf && (line[-1] == ' ' || line[-1] == '\t'))
                        line--;
                if (line == buf || line[-1] == '\n')
                        break;
        }
        if (!p || !(p = strchr(p, '[')) || !(end = strchr(p, ']')))
                return false;
        h->n = 0;
        while ((p = memchr(p, '"', (size_t)(end - p)))) {
                const char *q = memchr(p + 1, '"', (size_t)(end - p - 1));

                if (!q)
                        break;
                hooks_dir_add(h, p + 1, (size_t)(q - p - 1), reader);
                p = q + 1;
        }
        return true;
}

/* podman: containers.conf (system, then admin, then its .d files);
 * default /usr/share/containers/oci/hooks.d and /etc/containers/oci/hooks.d.
 * CRI-O: crio.conf and crio.conf.d; default /usr/share/containers/oci/hooks.d. */
static void tool_hooks_dirs(const char *const *confs, const char *conf_d,
                            const char *const *defaults, const char *reader,
                            struct hooks_dirs *out)
{
        struct hooks_dirs h = { 0 };
        struct dirent **names = NULL;
        bool set = false;
        int n;

        for (; *confs; confs++)
                set |= hooks_dir_from_conf(*confs, &h, reader);
        n = scandir(conf_d, &names, NULL, alphasort);
        for (int i = 0; i < n; i++) {
                char file[PATH_MAX];
                size_t l = strlen(names[i]->d_name);

                snprintf(file, sizeof(file), "%s/%s", conf_d, names[i]->d_name);
                if (l > 5 && strcmp(names[i]->d_name + l - 5, ".conf") == 0)
                        set |= hooks_dir_from_conf(file, &h, reader);
                free(names[i]);
        }
        free(names);
        if (!set)
                for (; *defaults; defaults++)
                        hooks_dir_add(&h, *defaults, strlen(*defaults), reader);
        for (size_t i = 0; i < h.n; i++)
                hooks_dir_add(out, h.d[i].path, strlen(h.d[i].path), reader);
}

/* The hook's path when `file` is a hooks.d file (oci-hooks(5)) whose
 * hook.path names an executable called oci-idmap-hook; "" otherwise. */
static void registered_path(int dirfd, const char *file, char *out, size_t size)
{
        _cleanup_close_ int fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC);
        _cleanup_(json_doc_freep) struct json_doc *doc = NULL;
        _cleanup_free_ char *buf = NULL;
        const struct json *path;
        struct err e = { 0 };
        const char *base;
        size_t len = 0;

        out[0] = '\0';
        if (fd < 0 || read_input_fd(fd, 1 << 20, &buf, &len) < 0 ||
            json_parse_flags(buf, len, file, JSON_ALLOW_DUPLICATES, &doc, &e) < 0)
                return;
        path = json_get(json_get(json_doc_root(doc), "hook"), "path");
        if (!path || path->type != JSON_STRING)
                return;
        base = strrchr(path->s, '/');
        if (strcmp(base ? base + 1 : path->s, HOOK_NAME) == 0)
                snprintf(out, size, "%s", path->s);
}

/* true when the directory registers an executable hook. */
static bool check_hooks_dir(struct check *c, const struct hooks_dir *d)
{
        struct dirent **names = NULL;
        char item[PATH_MAX + 64], hook[PATH_MAX] = "", file[256] = "";
        _cleanup_close_ int dirfd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int n = dirfd < 0 ? -1 : scandir(d->path, &names, NULL, alphasort);

        snprintf(item, sizeof(item), "hooks.d `%s` (%s)", d->path, d->readers);
        for (int i = 0; i < n; i++) {
                size_t l = strlen(names[i]->d_name);

                if (!hook[0] && l > 5 && strcmp(names[i]->d_name + l - 5, ".json") == 0) {
                        registered_path(dirfd, names[i]->d_name, hook, sizeof(hook));
                        snprintf(file, sizeof(file), "%s", names[i]->d_name);
                }
                free(names[i]);
        }
        free(names);
        if (n < 0 && errno == ENOENT)
                check_item(c, false, ADVISORY, item, "does not exist");
        else if (n < 0)
                check_item(c, false, ADVISORY, item, "cannot be read: %s", strerror(errno));
        else if (!hook[0])
                check_item(c, false, ADVISORY, item, "the hook is not registered here");
        else if (access(hook, X_OK) < 0)
                check_item(c, false, ADVISORY, item, "%s registers `%s`: %s", file, hook,
                           strerror(errno));
        else
                check_item(c, true, ADVISORY, item, "%s registers `%s`", file, hook);
        return hook[0] && access(hook, X_OK) == 0;
}

void check_hooks_dirs(struct check *c)
{
        static const char *const podman_confs[] = { "/usr/share/containers/containers.conf",
                                                    "/etc/containers/containers.conf", NULL };
        static const char *const podman_defaults[] = { "/usr/share/containers/oci/hooks.d",
                                                       "/etc/containers/oci/hooks.d", NULL };
        static const char *const crio_confs[] = { "/etc/crio/crio.conf", NULL };
        static const char *const crio_defaults[] = { "/usr/share/containers/oci/hooks.d", NULL };
        struct hooks_dirs dirs = { 0 };
        bool registered = false;

        tool_hooks_dirs(podman_confs, "/etc/containers/containers.conf.d", podman_defaults,
                        "podman", &dirs);
        tool_hooks_dirs(crio_confs, "/etc/crio/crio.conf.d", crio_defaults, "CRI-O", &dirs);
        for (size_t i = 0; i < dirs.n; i++)
                registered |= check_hooks_dir(c, &dirs.d[i]);
        check_item(c, registered, ADVISORY, "registered", registered
                   ? "podman and CRI-O run the hook without --hooks-dir"
                   : "in no hooks.d directory podman or CRI-O reads: pass --hooks-dir, or "
                     "install the hooks.d file in one of them");
}
