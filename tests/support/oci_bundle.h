/* A runc/crun bundle's config.json, shaped as podman 4.3.1 writes it, and the
 * state the runtime gives its hooks, for the tests and the bench alike.
 *
 * Plain C, no Criterion: a caller that is a test asserts on the return value
 * and puts e->msg in its message; the bench dies with it.  Fallible functions
 * follow base/err.h: negative errno, and a message naming the field at fault.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "base/err.h"

/* A JSON string: `"`, `\` and control characters escaped, other bytes as
 * they are (the callers write UTF-8 paths and ASCII words). */
void json_write_string(FILE *f, const char *s);

/* A JSON array of the strings in the NULL-terminated `v`; [] for NULL. */
void json_write_string_array(FILE *f, const char *const *v);

struct bundle_mount {
        const char *destination;
        const char *type;
        const char *source;
        const char *const *options;     /* NULL-terminated; NULL for none */
        /* runtime-spec 1.1 uid and gid mappings of the mount's own, the same
         * for both: "containerID:hostID:size"; NULL for none */
        const char *mapping;
};

struct bundle_config {
        const char *rootfs;                     /* root.path */
        bool readonly_root;
        const char *const *args;                /* the container's command */
        const char *hostname;
        unsigned host_base;                     /* user namespace 0:host_base:65536 */
        const struct bundle_mount *mounts;      /* after podman's standard ones */
        size_t n_mounts;
        const char *const *annotations;         /* "key", "value", ..., NULL */
        const char *hook;                       /* the hook's path, or NULL */
        const char *hook_stage;                 /* its stage; NULL: createRuntime */
        const char *cgroups_path;               /* linux.cgroupsPath */
        bool no_masks;                          /* leave out maskedPaths, readonlyPaths */
        /* Executables run at the hook's stage before the hook (and without
         * it), each with its path as its only argument; NULL-terminated. */
        const char *const *pre_hooks;
        /* More process.env entries after podman's, written byte for byte
         * (a test may put bytes in them that are not UTF-8). */
        const char *const *extra_env;
        /* Raw JSON members ("key":value,...) added at the top level of
         * config.json, for extension fields; NULL for none. */
        const char *extra_members;
};

/* Writes <path> (config.json) for a root-run container in a user namespace,
 * with what podman 4.3.1 gives every container (tests/fixtures/podman-4.3.1):
 * its capabilities and rlimits; proc, /dev, devpts, shm, mqueue, sysfs and
 * cgroup mounts; its pid, network, ipc, uts, mount and user namespaces; its
 * masked and read-only paths.  -EINVAL for a config without a rootfs or a
 * command, a mount mapping not of the form above, or an annotation without
 * a value. */
int bundle_write_config(const char *path, const struct bundle_config *c, struct err *e);

/* The state a runtime gives its hooks on stdin. */
struct bundle_state {
        const char *id;
        int pid;                        /* the container's init */
        const char *bundle;
        /* crun's form when set: "status":"created" and "root" (runc 1.x
         * writes "creating" and no "root"); hook/runtime.c tells them apart. */
        const char *root;
        const char *const *annotations; /* "key", "value", ..., NULL; NULL for none */
};

/* The state document, malloc'd; NULL with e set for an annotation without a
 * value or when out of memory. */
char *bundle_state_text(const struct bundle_state *s, struct err *e);
