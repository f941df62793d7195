/* What the tests and benches leave, and its removal: see leftovers.h. */
#include "leftovers.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/cleanup.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

int path_printf(char *buf, struct err *e, const char *fmt, ...)
{
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(buf, PATH_MAX, fmt, ap);
        va_end(ap);
        if (n < 0 || n >= PATH_MAX)
                return err_set(e, ENAMETOOLONG, "path too long: %.64s...", buf);
        return 0;
}

int write_text_file(const char *path, const char *text, mode_t mode, struct err *e)
{
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        size_t len = strlen(text), done = 0;

        if (fd < 0)
                return err_sys(e, errno, "open `%s`", path);
        while (done < len) {
                ssize_t n = write(fd, text + done, len - done);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return err_sys(e, errno, "write `%s`", path);
                done += (size_t)n;
        }
        if (close(TAKE_FD(fd)) < 0)
                return err_sys(e, errno, "close `%s`", path);
        return 0;
}

int mkdir_parents(const char *path, mode_t mode, struct err *e)
{
        char buf[PATH_MAX];

        if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
                return err_set(e, ENAMETOOLONG, "mkdir `%s`: path too long", path);
        for (char *p = buf + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(buf, mode) < 0 && errno != EEXIST)
                        return err_sys(e, errno, "mkdir `%s`", buf);
                *p = '/';
        }
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
                return err_sys(e, errno, "mkdir `%s`", buf);
        return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        (void)st;
        (void)ftw;
        if ((type == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT)
                fprintf(stderr, "remove `%s`: %s\n", path, strerror(errno));
        return 0;
}

void leftover_remove_tree(const char *dir)
{
        nftw(dir, remove_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static int empty_and_remove_cgroup(const char *path, const struct stat *st, int type,
                                   struct FTW *ftw)
{
        char procs[PATH_MAX];

        (void)st;
        (void)ftw;
        if (type != FTW_DP || snprintf(procs, sizeof(procs), "%s/cgroup.procs", path) >= PATH_MAX)
                return 0;
        for (int i = 0; i < 50; i++) {
                FILE *f = fopen(procs, "re");
                int pid;

                while (f && fscanf(f, "%d", &pid) == 1)
                        kill(pid, SIGKILL);
                if (f)
                        fclose(f);
                if (rmdir(path) == 0 || errno != EBUSY)
                        break;
                usleep(20000);
        }
        return 0;
}

void leftover_remove_cgroup(const char *path)
{
        nftw(path, empty_and_remove_cgroup, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

void leftover_remove_cgroups(const char *name)
{
        DIR *d = opendir(CGROUP_ROOT);
        struct dirent *h;

        while (d && (h = readdir(d))) {
                char path[PATH_MAX];

                if (h->d_name[0] == '.')
                        continue;
                if (snprintf(path, sizeof(path), "%s/%s/%s", CGROUP_ROOT, h->d_name, name) < PATH_MAX)
                        leftover_remove_cgroup(path);
        }
        if (d)
                closedir(d);
}

int private_dev_null(const char *dir, struct err *e)
{
        char node[PATH_MAX];

        if (path_printf(node, e, "%s/null", dir) < 0 || mkdir_parents(dir, 0755, e) < 0)
                return -e->errnum;
        if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=64k") < 0)
                return err_sys(e, errno, "mount tmpfs on `%s`", dir);
        if (mknod(node, S_IFCHR | 0666, makedev(1, 3)) < 0)
                return err_sys(e, errno, "mknod `%s`", node);
        if (chmod(node, 0666) < 0)
                return err_sys(e, errno, "chmod `%s`", node);
        if (mount(node, "/dev/null", NULL, MS_BIND, NULL) < 0)
                return err_sys(e, errno, "bind `%s` on /dev/null", node);
        return 0;
}
