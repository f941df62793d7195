/* The plan: what the hook will do to a container's mounts, decided from the
 * parsed inputs alone.
 *
 * plan_build is a pure function: no system call, no privilege.  The imperative
 * layer (hook/mounts.c) only carries a plan out, and `oci-idmap-hook plan`
 * prints one, which makes every decision testable without root.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "config.h"
#include "../base/err.h"
#include "idmap.h"
#include "mountinfo.h"
#include "overlay.h"
#include "runtime.h"

/* Annotation that turns the rootfs idmap on or off per container. */
#define ANNOTATION_ROOTFS "io.github.oci-idmap-hook.rootfs"

enum activation {
        ACTIVATION_AUTO,        /* idmap an unshifted rootfs, leave a shifted one */
        ACTIVATION_TRUE,        /* always idmap the rootfs */
        ACTIVATION_FALSE,       /* never idmap the rootfs */
};

/* An overlay rebuilt on idmapped layers: the old one's layers and options,
 * and the host ids of the root of the mapping its layers are idmapped
 * with, which the new overlay is made with: its upper layer is idmapped,
 * so that what the container's root writes there lands owned by 0 on disk,
 * and the overlay does its own work in the upper layer with its maker's
 * ids. */
struct plan_overlay {
        struct ovl_options options;
        uid_t uid;
        gid_t gid;
};

/* Why a mount is left alone (or REASON_NONE when it is idmapped). */
enum plan_reason {
        REASON_NONE = 0,
        REASON_NO_USERNS,           /* the container has no user namespace */
        REASON_NO_MAPPING,          /* user namespace without uid/gid mappings (joined) */
        REASON_ACTIVATION_FALSE,    /* annotation says false */
        REASON_ROOTFS_SHIFTED,      /* auto: the mapping already owns the rootfs owner */
        REASON_ROOTFS_OWNER_UNMAPPED, /* auto: the owner is outside the mapping on both sides */
        REASON_NOT_ASKED,           /* no idmap/ridmap option, no mappings of its own */
        REASON_ALREADY_IDMAPPED,    /* the runtime made it idmapped itself */
        REASON_FS_CANNOT_IDMAP,     /* the filesystem cannot be idmapped */
        REASON_PIVOTS_INTO_HANDLE,  /* the runtime's root will be its own handle (runc 1.3.6+) */
        REASON_CANNOT_CARRY,        /* auto: a flag the runtime means could not be kept */
        REASON_OVERLAY_UNSUPPORTED, /* auto: an overlay the hook cannot rebuild */
};

const char *plan_reason_str(enum plan_reason r);

/* MOUNT_ATTR_RDONLY, NOSUID, NODEV, NOEXEC, the atime mode (NOATIME or
 * STRICTATIME; neither is relatime), NODIRATIME, NOSYMFOLLOW */
typedef unsigned plan_attrs;

/* How a config.json mount was found in the container's mount table. */
enum plan_ident {
        IDENT_NO_TABLE = 0,     /* planned from config.json alone */
        IDENT_FOUND,            /* the mount the runtime made at its destination */
        IDENT_NOT_THERE,        /* nothing at the destination: the runtime mounted it
                                 * elsewhere (a symlink on the way) or not at all */
        IDENT_AMBIGUOUS,        /* the mounts at the destination do not pair one to
                                 * one with the config.json entries for it */
        IDENT_FOUND_BY_SOURCE,  /* nothing at the destination, but the one mount in
                                 * the rootfs tree that shows what its source is,
                                 * and the only entry binding it (identify_by_source) */
};

struct plan_entry {
        const char *destination;        /* "/" for the rootfs; else inside the rootfs */
        const char *type;               /* config.json type, or the filesystem type */
        const char *fstype;             /* from mountinfo; NULL without one */
        bool idmap;                     /* replace by an idmapped clone */
        bool recursive;                 /* ridmap: every mount of the subtree */
        enum plan_reason reason;        /* why not, when !idmap */
        const struct id_mapping *mapping; /* when idmap; points into the config */
        int mapping_index;              /* index into plan.mappings, -1 when none */
        plan_attrs attrs;               /* flags the runtime meant for this mount */
        plan_attrs attrs_recursive;     /* ... for every mount below it too */
        size_t config_index;            /* index into config.mounts; SIZE_MAX for the rootfs */
        int overlay_index;              /* into plan.overlays when an overlay is
                                         * rebuilt for it; -1 when none */
        enum plan_ident ident;
        /* The mount the runtime made for it, in the table read at hook
         * start (plan_input.mountinfo); NULL unless IDENT_FOUND or
         * IDENT_FOUND_BY_SOURCE. */
        const struct mountinfo_entry *mount;
};

/* What the hook does, step by step, in this order.  Mounts are named by
 * their entry in the table read at hook start; the apply layer follows each
 * into the copies that earlier steps make of it, and acts on it through an
 * fd whose mount id it has checked, never through a path looked up anew in
 * directories the image or the container control. */
enum step_kind {
        /* Clone the mount's tree (open_tree, recursive), idmap the clone's
         * top (with `recursive`, every mount of it, in one call), and put it
         * in place: on top of the mount (STACK), or instead of it (SWAP:
         * the old one is detached; one the kernel keeps locked to its parent
         * cannot be, and is stacked on). */
        STEP_IDMAP_STACK,
        STEP_IDMAP_SWAP,
        /* The mount is an overlay, which cannot be idmapped itself: a new
         * overlay is made with the same options on idmapped clones of its
         * layers (plan.overlays[step.overlay_index]), the old one's
         * submounts are cloned onto it, and it is put on top of the old one
         * (STACK: the rootfs, or a volume on a shared parent) or instead of
         * it (SWAP: a volume; a locked one is stacked on, as for IDMAP_SWAP). */
        STEP_OVERLAY_STACK,
        STEP_OVERLAY_SWAP,
        STEP_SET_ATTRS,         /* set `attrs` on the mount (its copy by now) */
        STEP_MASK,              /* cover `path` (in the rootfs) as the runtime masks it */
        STEP_READONLY_PATH,     /* bind `path` read-only onto itself, recursively */
};

struct plan_step {
        enum step_kind kind;
        const struct mountinfo_entry *mount;    /* IDMAP_*, SET_ATTRS */
        bool recursive;                         /* IDMAP_*, OVERLAY_* */
        int mapping_index;                      /* IDMAP_*, OVERLAY_* */
        int overlay_index;                      /* OVERLAY_*; else -1 */
        plan_attrs attrs;                       /* SET_ATTRS */
        const char *path;                       /* MASK, READONLY_PATH */
        /* What it is for, e.g. "mounts[12] /etc/hosts", "below mounts[13]
         * /sys/fs/cgroup", "root.readonly", "linux.maskedPaths[0]". */
        char why[96];
};

struct plan {
        bool nothing_to_do;             /* exit at once: no user namespace or nothing asked */
        enum plan_reason why;           /* when nothing_to_do */
        const char *rootfs;             /* absolute host path */
        struct plan_entry root;
        struct plan_entry *mounts;      /* one per config.json mount, in its order */
        size_t n_mounts;
        /* Whether the hook itself makes the root read-only and applies the
         * masked and read-only paths on a replaced rootfs.  crun applies them
         * after the hooks through a handle on the old tree, where they would
         * be lost; runc applies them after the hooks by path, reaching the
         * replacement, and must be left to: between the hooks and those steps
         * it writes sysctls through /proc/sys, which must still be writable. */
        bool carry_paths;
        enum runtime_kind runtime;
        const char *const *masked;      /* linux.maskedPaths */
        size_t n_masked;
        const char *const *readonly;    /* linux.readonlyPaths, to carry over */
        size_t n_readonly;
        /* The distinct mappings the idmapped mounts need: one user namespace
         * each.  The rootfs and most volumes share the container's. */
        const struct id_mapping *mappings[64];
        size_t n_mappings;
        /* Mappings parsed from crun's idmap=... options live here. */
        struct id_mapping **owned;
        size_t n_owned;
        /* The overlays the STEP_OVERLAY_* steps make anew: the rootfs's
         * (first, when it is one) and each overlay volume's. */
        struct plan_overlay *overlays;
        size_t n_overlays;
        /* The steps, when planned with a mount table. */
        struct plan_step *steps;
        size_t n_steps;
        /* Under auto, why the rootfs was left alone when the hook could not
         * keep what the runtime meant (REASON_CANNOT_CARRY,
         * REASON_PIVOTS_INTO_HANDLE): one line for the log, else "". */
        char notice[512];
};

/* What the hook knows of the rootfs directory on disk (stat of root.path). */
struct rootfs_owner {
        bool known;
        uid_t uid;
        gid_t gid;
};

struct plan_input {
        const struct oci_config *config;
        const struct mountinfo *mountinfo;      /* NULL: plan from config.json alone */
        struct rootfs_owner owner;
        enum activation activation;
        enum runtime_kind runtime;              /* what the runtime does after the hooks */
        /* root.path is the host's "/" (same device and inode): never
         * idmapped, since the container's root would own the host. */
        bool rootfs_is_host_root;
        /* One per config.json mount, or NULL for none: a bind mount's source
         * as the host resolves it (relative to the bundle, every symlink
         * followed: an absolute, clean path), NULL where the hook resolved
         * none or it lies in the rootfs, which the image controls.  Pairs a
         * bind the runtime put elsewhere than its destination. */
        const char *const *bind_sources;
};

/* Reads the activation from the annotations (state's win over config's). */
int plan_activation(const struct annotations *state, const struct annotations *config,
                    enum activation *out, struct err *e);

int plan_build(const struct plan_input *in, struct plan *out, struct err *e);
void plan_free(struct plan *p);

/* True when something in the plan is to be idmapped. */
bool plan_has_work(const struct plan *p);

/* One step as a line of text, as the printout and the debug log show it. */
void plan_step_format(const struct plan_step *s, const struct plan *p, char *buf, size_t len);

/* Human-readable and JSON printouts (`oci-idmap-hook plan [--json]`). */
int plan_print_text(const struct plan *p, FILE *f);
int plan_print_json(const struct plan *p, FILE *f);
