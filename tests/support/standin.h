/* The stand-in container: a process holding a rootfs as runc or crun leave
 * it when they run the hooks, so that the real hook (HOOK_BIN, or hook_run)
 * can work on it without a runtime.  The root tests and the bench use it.
 *
 * It is a child in a mount namespace of its own (the caller's mounts are
 * rslave there), with root.path bind-mounted onto itself as both runtimes do
 * (private, or shared on request), the given mounts made below it, and the
 * fds the runtime's init holds at hook time (hook/runtime.c tells runc from
 * crun by them).  Optionally it then enters a user namespace with the
 * container's mappings, as the runtime's init has by then; its mount
 * namespace stays the initial user namespace's.  It waits to be killed.
 *
 * Plain C, no Criterion: fallible functions follow base/err.h.  The caller
 * runs in a private mount namespace of its own when it mounts anything, so
 * that nothing is left on the machine.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/err.h"
#include "oci/config.h"
#include "oci/idmap.h"

/* What the init holds on the rootfs mount (hook/runtime.c, docs/runtimes.md). */
enum standin_holds {
        STANDIN_HOLDS_NOTHING,          /* runc 1.1.5 */
        STANDIN_HOLDS_RUNC_DIR_HANDLE,  /* runc 1.3.6: O_PATH|O_DIRECTORY|O_CLOEXEC on root.path */
        STANDIN_HOLDS_TWO_DIR_HANDLES,  /* no runtime does this */
        STANDIN_HOLDS_CRUN_HANDLES,     /* crun: O_PATH|O_CLOEXEC on root.path and its dup */
};

struct standin_mount {
        const char *target;             /* below the rootfs: "/vol" */
        const char *source;             /* absolute, for a bind; the fs source otherwise */
        const char *fstype;             /* NULL for a bind */
        unsigned long flags;            /* mount(2) flags: MS_BIND, MS_REC, MS_NOSUID... */
        const char *data;
        bool create;                    /* make the target (a file when `file`) first */
        bool file;
        bool read_only;                 /* remounted ro after: runc does so before the hooks */
        bool cgroup_v1;                 /* a tmpfs with the host's hierarchies bound below */
        int idmap_userns;               /* > 0: idmapped in place with this user ns fd */
        const char *below;              /* NULL, or a bind made at target/below from
                                           below_source after the mount */
        const char *below_source;
};

struct standin_spec {
        const char *rootfs;             /* root.path, absolute */
        bool same_namespace;            /* a broken "container" sharing the caller's */
        bool rootfs_shared;             /* a rootfs mount with peers */
        const struct standin_mount *mounts;
        size_t n_mounts;
        bool bind_devices;              /* /dev/null, zero, ... bound from the host */
        enum standin_holds holds;
        const char *hold_path;          /* what the handles point at; NULL: rootfs */
        const struct id_mapping *userns; /* NULL: stays in the caller's user ns */
};

struct standin {
        pid_t pid;                      /* -1 when none */
};

/* Starts it and waits until it holds all of the above; -errno with the
 * stand-in's own message (the step and path) when it could not. */
int standin_start(struct standin *s, const struct standin_spec *spec, struct err *e);
/* Kills and reaps it; nothing when it is not running. */
void standin_stop(struct standin *s);

/* The mount crun makes for `m` before the hooks: its mount(2) flags and
 * data, leaving out what crun applies after them (ro, propagation, idmap).
 * Points into `m` and `data` (cap bytes); -ENAMETOOLONG when the data does
 * not fit. */
int standin_mount_like_crun(const struct oci_mount *m, char *data, size_t cap,
                            struct standin_mount *out, struct err *e);
