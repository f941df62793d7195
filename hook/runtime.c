/* Telling the runtimes apart at hook time (docs/runtimes.md has the data).
 *
 * What each runtime's container init (state.pid) holds while a createRuntime
 * or prestart hook runs, read from /proc/<pid>/fd and /proc/<pid>/fdinfo
 * (flags in octal; the rootfs is the mount root.path was bound onto itself):
 *
 *   runc 1.1.5   no fd on the rootfs mount at all: it pivots into the rootfs
 *                by path after the hooks.
 *   runc 1.3.6   one fd on the rootfs mount: O_PATH|O_DIRECTORY|O_CLOEXEC
 *                (012200000), pointing at root.path itself.  prepareRootfs
 *                opens it right after the bind and before the mounts; after
 *                the hooks it does fchdir(fd) + pivot_root(".", "."), so the
 *                container's root is the mount under any a hook stacks on it.
 *                Other O_PATH fds it holds are on the tmpfs mounts (kept for
 *                their remount) and on a detached procfs.
 *   crun 1.8.1,  an fd on root.path, O_PATH|O_CLOEXEC (012000000), no
 *   crun 1.27.1  O_DIRECTORY, opened right after the bind; with
 *                root.readonly also a dup of it (plain O_PATH, 010000000: dup
 *                drops close-on-exec) kept for the read-only remount.  It
 *                applies that remount, masks and read-only paths through
 *                these handles after the hooks.
 *
 * The state tells runc from crun: runc writes "status":"creating" and no
 * "root" key (1.1.5 and 1.3.6 alike), crun "status":"created" with "root".
 * A handle alone cannot: runc 1.3.6 holds one as crun does.  So crun is never
 * concluded from fds without crun's state, and runc 1.3.6 is named only from
 * runc's state plus its own kind of handle: a directory handle on the rootfs
 * mount that points at root.path.  Any other mix is RUNTIME_UNKNOWN. */
#include "runtime.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../base/cleanup.h"

const char *runtime_kind_str(enum runtime_kind k)
{
        switch (k) {
        case RUNTIME_RUNC_BY_PATH:
                return "runc-by-path";
        case RUNTIME_CRUN_BY_HANDLE:
                return "crun-by-handle";
        case RUNTIME_RUNC_PIVOTS_INTO_HANDLE:
                return "runc-pivots-into-handle";
        case RUNTIME_UNKNOWN:
                break;
        }
        return "unknown";
}

/* What the init holds on the rootfs mount. */
struct rootfs_handles {
        unsigned n;             /* fds on the rootfs mount */
        unsigned n_dir_at_root; /* of those: O_PATH|O_DIRECTORY on root.path itself */
};

/* The first lines of /proc/<pid>/fdinfo/<fd> are pos, flags (octal) and
 * mnt_id; one read of up to a page returns them.  -ENOENT when the fd was
 * closed since the directory was listed. */
static int fdinfo_read(int fdinfo_dir, const char *name, unsigned long *flags, int *mnt_id)
{
        _cleanup_close_ int fd = openat(fdinfo_dir, name, O_RDONLY | O_CLOEXEC);
        char buf[512], *f, *m;
        ssize_t n;

        if (fd < 0)
                return -errno;
        n = read(fd, buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        f = strstr(buf, "flags:");
        m = strstr(buf, "mnt_id:");
        if (!f || !m)
                return -EINVAL;
        *flags = strtoul(f + strlen("flags:"), NULL, 8);
        *mnt_id = (int)strtol(m + strlen("mnt_id:"), NULL, 10);
        return 0;
}

/* Whether /proc/<pid>/fd/<name> names root.path.  The link is the fd's path
 * as seen from the hook's root; before pivot_root the init's mount namespace
 * still has the host's tree above the rootfs, so it reads as root.path. */
static bool fd_names(int procdir, const char *name, const char *path)
{
        char link[PATH_MAX + 16], target[PATH_MAX];
        ssize_t n;

        snprintf(link, sizeof(link), "fd/%s", name);
        n = readlinkat(procdir, link, target, sizeof(target) - 1);
        if (n < 0)
                return false;
        target[n] = '\0';
        return strcmp(target, path) == 0;
}

static int scan_rootfs_handles(int procdir, int rootfs_mnt_id, const char *rootfs,
                               struct rootfs_handles *out, struct err *e)
{
        _cleanup_close_ int fdinfo = openat(procdir, "fdinfo", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_closedir_ DIR *dir = NULL;
        struct dirent *d;

        if (fdinfo < 0)
                return err_sys(e, errno, "open the container init's `fdinfo` directory");
        dir = fdopendir(fdinfo);
        if (!dir)
                return err_sys(e, errno, "read the container init's `fdinfo` directory");
        TAKE_FD(fdinfo);        /* the DIR owns it now */
        while ((d = readdir(dir))) {
                unsigned long flags;
                int mnt_id;

                if (d->d_name[0] == '.' || fdinfo_read(dirfd(dir), d->d_name, &flags, &mnt_id) < 0)
                        continue;
                if (mnt_id != rootfs_mnt_id)
                        continue;
                out->n++;
                if ((flags & O_PATH) && (flags & O_DIRECTORY) && fd_names(procdir, d->d_name, rootfs))
                        out->n_dir_at_root++;
        }
        return 0;
}

enum state_form { STATE_OTHER, STATE_RUNC, STATE_CRUN };

/* runc's and crun's state documents differ in form (oci/state.h). */
static enum state_form state_form(const struct oci_state *s)
{
        if (!s->status)
                return STATE_OTHER;
        if (strcmp(s->status, "creating") == 0 && !s->root)
                return STATE_RUNC;
        if (strcmp(s->status, "created") == 0 && s->root)
                return STATE_CRUN;
        return STATE_OTHER;
}

static enum runtime_kind classify(enum state_form form, const struct rootfs_handles *h)
{
        if (form == STATE_CRUN)
                return h->n ? RUNTIME_CRUN_BY_HANDLE : RUNTIME_UNKNOWN;
        if (form != STATE_RUNC)
                return RUNTIME_UNKNOWN;
        if (h->n == 0)
                return RUNTIME_RUNC_BY_PATH;
        /* runc's form with handles: only runc 1.3.6+'s own kind of handle
         * names it; another handle on the mount is something not measured. */
        return h->n_dir_at_root == 1 ? RUNTIME_RUNC_PIVOTS_INTO_HANDLE : RUNTIME_UNKNOWN;
}

int runtime_detect(int procdir, const struct oci_state *state, const struct mountinfo *mi,
                   const char *rootfs, enum runtime_kind *out, struct err *e)
{
        const struct mountinfo_entry *root = mountinfo_top(mi, rootfs);
        struct rootfs_handles h = { 0 };
        int r;

        *out = RUNTIME_UNKNOWN;
        /* Both runtimes bind root.path onto itself before the hooks; without
         * that mount there is nothing to measure the handles against. */
        if (!root)
                return 0;
        r = scan_rootfs_handles(procdir, root->mount_id, rootfs, &h, e);
        if (r < 0)
                return err_prefix(e, "pid %d", (int)state->pid);
        *out = classify(state_form(state), &h);
        return 0;
}
