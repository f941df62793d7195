/* Files, directories and cgroups the tests and the benches make, and how
 * they go again, whatever state a run that died left them in.
 *
 * Plain C, no Criterion: fallible functions follow base/err.h; the removers
 * never fail, they say on stderr what they could not remove.
 */
#pragma once

#include <sys/types.h>

#include "base/err.h"

/* snprintf into a PATH_MAX buffer, refusing to cut a path short:
 * -ENAMETOOLONG naming the start of the path. */
int path_printf(char *buf, struct err *e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Writes `text` to `path` (created with `mode`, or truncated). */
int write_text_file(const char *path, const char *text, mode_t mode, struct err *e);

/* mkdir -p: `path` and every missing parent, with `mode`. */
int mkdir_parents(const char *path, mode_t mode, struct err *e);

/* rm -rf that stays on one filesystem (FTW_MOUNT): a mount left below `dir`
 * belongs to a namespace, not to the disk, and is never crossed into. */
void leftover_remove_tree(const char *dir);

/* Removes the cgroup `path` and those below it, deepest first, killing what
 * still runs in each (only a run that died leaves anything); a cgroup whose
 * last task just exited can stay busy for a moment, which is waited out. */
void leftover_remove_cgroup(const char *path);
/* The same for /sys/fs/cgroup/<hierarchy>/<name> in every hierarchy. */
void leftover_remove_cgroups(const char *name);

/* A /dev/null of the caller's mount namespace's own (a private one: call
 * after unshare(CLONE_NEWNS) and making "/" private): the same device on a
 * node in a tmpfs mounted at `dir`, bound over /dev/null.  conmon hands a
 * container that is not interactive /dev/null as its stdin, and crun 1.8.1
 * chowns its stdio to the container root's host ids: with the host's node
 * that changes the machine's /dev/null. */
int private_dev_null(const char *dir, struct err *e);
