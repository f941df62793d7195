/* The busybox rootfs: see rootfs.h. */
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "leftovers.h"

static const char *const applets[] = {
        "sh", "ls", "stat", "touch", "cat", "id", "awk", "sort", "uniq", "sleep",
        "echo", "grep", "mkdir", "rm", "test", "[", "true", "false", "printf",
        "mount", "umount", "head", "tail", "wc", "cut", "tr", "sed", "ln", "chmod",
        "chown", "env", "cp", "mv", "readlink", "find", "kill", "ps", "hostname",
};

static const char *const dirs[] = {
        "bin", "etc", "proc", "sys", "dev", "run", "var/tmp", "root", "tmp",
        "vol", "vol2", "rovol",
};

static const struct {
        const char *path, *text;
} files[] = {
        { "etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n" },
        { "etc/group", "root:x:0:\nnobody:x:65534:\n" },
        { "etc/hosts", "" },
        { "etc/hostname", "" },
        { "etc/resolv.conf", "" },
        { "run/.containerenv", "" },
};

int copy_new_file(const char *from, const char *to, mode_t mode, struct err *e)
{
        _cleanup_close_ int in = open(from, O_RDONLY | O_CLOEXEC);
        _cleanup_close_ int out = -EBADF;
        char buf[65536];
        ssize_t n;

        if (in < 0)
                return err_sys(e, errno, "open `%s`", from);
        out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        if (out < 0)
                return err_sys(e, errno, "create `%s`", to);
        while ((n = read(in, buf, sizeof(buf))) > 0)
                if (write(out, buf, (size_t)n) != n)
                        return err_sys(e, errno ? errno : EIO, "write `%s`", to);
        if (n < 0)
                return err_sys(e, errno, "read `%s`", from);
        if (close(TAKE_FD(out)) < 0)
                return err_sys(e, errno, "close `%s`", to);
        return 0;
}

int rootfs_make_busybox(const char *dir, struct err *e)
{
        char p[PATH_MAX];

        if (mkdir_parents(dir, 0755, e) < 0)
                return -e->errnum;
        for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
                if (path_printf(p, e, "%s/%s", dir, dirs[i]) < 0 || mkdir_parents(p, 0755, e) < 0)
                        return -e->errnum;
        if (path_printf(p, e, "%s/tmp", dir) < 0)
                return -e->errnum;
        if (chmod(p, 01777) < 0)
                return err_sys(e, errno, "chmod `%s`", p);
        if (path_printf(p, e, "%s/bin/busybox", dir) < 0)
                return -e->errnum;
        if (copy_new_file(BUSYBOX, p, 0755, e) < 0)
                return err_prefix(e, "busybox-static (.ci/setup-host installs it)");
        for (size_t i = 0; i < sizeof(applets) / sizeof(applets[0]); i++) {
                if (path_printf(p, e, "%s/bin/%s", dir, applets[i]) < 0)
                        return -e->errnum;
                if (symlink("busybox", p) < 0)
                        return err_sys(e, errno, "symlink `%s`", p);
        }
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
                if (path_printf(p, e, "%s/%s", dir, files[i].path) < 0 ||
                    write_text_file(p, files[i].text, 0644, e) < 0)
                        return -e->errnum;
        return 0;
}
