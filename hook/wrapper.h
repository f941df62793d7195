/* oci-idmap-runtime: a runtime wrapper that gives user-namespaced
 * containers an idmapped rootfs (and idmapped volumes where the runtime does
 * not make them itself) before the real runtime ever sees the bundle.
 *
 * Why a wrapper and not only the hook: runc 1.3.6 (and later) opens the
 * rootfs O_PATH right after binding it, before the hooks, and pivots into
 * that handle, so nothing a hook mounts on the rootfs becomes the
 * container's `/`.  The wrapper instead runs before the runtime: in a mount
 * namespace of its own it covers root.path with an idmapped clone of it, then
 * execs the runtime there.  The runtime binds an already idmapped tree and
 * applies every restriction (read-only root, mount flags, masked and
 * read-only paths) itself, as it would without the wrapper.
 *
 * Every other command, and every create/run with nothing to idmap, is
 * handed to the real runtime through exec with argv and stdio untouched
 * (argv[0] becomes the real runtime's path: crun looks at its own name).
 */
#pragma once

#include <stdbool.h>

#include "../base/err.h"
#include "wrapper_args.h"

/* Names the real runtime: a path, or a name looked up in PATH. */
#define WRAP_ENV_RUNTIME "OCI_IDMAP_RUNTIME"
/* The config file, and the variable that names another one. */
#define WRAP_CONFIG_FILE "/etc/oci-idmap-runtime.conf"
#define WRAP_ENV_CONFIG "OCI_IDMAP_RUNTIME_CONFIG"

/* Finds the real runtime, first match wins:
 *   1. $OCI_IDMAP_RUNTIME;
 *   2. the name the wrapper was called as: oci-idmap-runtime-crun -> crun;
 *   3. `runtime = ...` in $OCI_IDMAP_RUNTIME_CONFIG, or else in
 *      /etc/oci-idmap-runtime.conf when it exists;
 *   4. runc.
 * A name is looked up in PATH, skipping every file that is this wrapper
 * itself (same inode as /proc/self/exe: a link named runc ahead of the real
 * one); a path naming the wrapper itself is refused.  *path is malloc'd. */
int wrap_find_runtime(const char *argv0, char **path, struct err *e);

/* Whether the runtime makes `idmap`/`ridmap` bind mounts (and mounts with
 * uidMappings of their own) idmapped itself.  Asked of the runtime, not
 * judged by its name: `RUNTIME features` (runc 1.1+, crun 1.9+) answers
 * with linux.mountExtensions.idmap.enabled (runc 1.2+ and crun say true;
 * runc 1.1 has no such key: false).  A runtime without `features` is taken
 * at its `--version`: crun has idmapped bind mounts since 1.4, older runc
 * has none. */
bool wrap_runtime_idmaps_mounts(const char *runtime);

/* For create and run: reads the bundle's config.json and, when the
 * container has a user namespace with mappings and its rootfs or a bind
 * volume needs an idmap the runtime will not make, moves this process into
 * a mount namespace of its own (unshare(CLONE_NEWNS), `/` made a recursive
 * slave: host mounts still propagate in, nothing propagates out) and covers
 * each such path there with an idmapped clone (an overlay rootfs, which
 * cannot be idmapped, with a new overlay on idmapped layers:
 * wrapper_overlay.h).  Returns 0 when the caller
 * may exec the runtime (whether or not anything was done), or a negative
 * errno with `e` naming what and where; the namespace, if made, dies with
 * the process. */
int wrap_prepare(const struct wrap_args *a, const char *runtime, struct err *e);
