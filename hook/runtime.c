/* Telling the runtimes apart by what they do, not by their names. */
#include "runtime.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../base/cleanup.h"

const char *runtime_kind_str(enum runtime_kind k)
{
        switch (k) {
        case RUNTIME_RUNC_BY_PATH:
                return "runc (applies paths after the hooks by path)";
        case RUNTIME_CRUN_BY_HANDLE:
                return "crun (applies paths after the hooks through handles)";
        case RUNTIME_RUNC_PIVOTS_INTO_HANDLE:
                return "runc (pivots into a rootfs handle taken before the hooks)";
        case RUNTIME_UNKNOWN:
                break;
        }
        return "unknown";
}

/* Whether the init holds an fd on the rootfs mount. */
static bool holds_rootfs_handle(int procdir, int mount_id)
{
        _cleanup_close_ int fdinfo = openat(procdir, "fdinfo", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        bool handle = false;
        struct dirent *d;
        DIR *dir;

        if (fdinfo < 0)
                return false;
        dir = fdopendir(fdinfo);
        if (!dir)
                return false;
        fdinfo = -EBADF;        /* the DIR owns it now */
        while (!handle && (d = readdir(dir))) {
                _cleanup_close_ int fd = -EBADF;
                char buf[512], *at;
                ssize_t n;

                if (d->d_name[0] == '.')
                        continue;
                fd = openat(dirfd(dir), d->d_name, O_RDONLY | O_CLOEXEC);
                n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
                if (n <= 0)
                        continue;
                buf[n] = '\0';
                at = strstr(buf, "mnt_id:");
                handle = at && atoi(at + 7) == mount_id;
        }
        closedir(dir);
        return handle;
}

int runtime_detect(int procdir, const struct oci_state *state, const struct mountinfo *mi,
                   const char *rootfs, enum runtime_kind *out, struct err *e)
{
        const struct mountinfo_entry *root = mountinfo_top(mi, rootfs);
        bool runc_form = state->status && strcmp(state->status, "creating") == 0 && !state->root;
        bool crun_form = state->status && strcmp(state->status, "created") == 0 && state->root;

        *out = RUNTIME_UNKNOWN;
        if (!root || procdir < 0)
                return 0;
        if (holds_rootfs_handle(procdir, root->mount_id))
                *out = runc_form ? RUNTIME_RUNC_PIVOTS_INTO_HANDLE
                                 : crun_form ? RUNTIME_CRUN_BY_HANDLE : RUNTIME_UNKNOWN;
        else if (runc_form)
                *out = RUNTIME_RUNC_BY_PATH;
        return 0;
}
