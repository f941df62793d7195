/* The plan: a pure function from the parsed inputs to decisions. */
#include "plan.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "../base/cleanup.h"
#include "path.h"


const char *plan_reason_str(enum plan_reason r)
{
        switch (r) {
        case REASON_NONE:
                return "none";
        case REASON_NO_USERNS:
                return "the container has no user namespace";
        case REASON_NO_MAPPING:
                return "the container joins a user namespace and config.json gives no mappings";
        case REASON_ACTIVATION_FALSE:
                return "annotation " ANNOTATION_ROOTFS " is false";
        case REASON_ROOTFS_SHIFTED:
                return "the rootfs is already owned by the container's mapping";
        case REASON_ROOTFS_OWNER_UNMAPPED:
                return "the rootfs owner is outside the container's mapping on both sides";
        case REASON_NOT_ASKED:
                return "not asked";
        case REASON_ALREADY_IDMAPPED:
                return "already idmapped by the runtime";
        case REASON_FS_CANNOT_IDMAP:
                return "the filesystem cannot be idmapped";
        }
        return "unknown";
}

int plan_activation(const struct annotations *state, const struct annotations *config,
                    enum activation *out, struct err *e)
{
        const char *where = "state: annotations";
        const char *v = state ? annotations_get(state, ANNOTATION_ROOTFS) : NULL;

        if (!v && config) {
                v = annotations_get(config, ANNOTATION_ROOTFS);
                where = "config.json: annotations";
        }
        if (!v || strcmp(v, "auto") == 0)
                *out = ACTIVATION_AUTO;
        else if (strcmp(v, "true") == 0)
                *out = ACTIVATION_TRUE;
        else if (strcmp(v, "false") == 0)
                *out = ACTIVATION_FALSE;
        else
                return err_set(e, EINVAL, "%s: " ANNOTATION_ROOTFS ": \"%s\" is not auto, true or false",
                               where, v);
        return 0;
}

/* Filesystems whose superblock type lacks FS_ALLOW_IDMAP, seen on this
 * project's kernels: mount_setattr(MOUNT_ATTR_IDMAP) fails with EINVAL on them.
 * overlay idmaps its layers, never the overlay mount itself.  Anything not
 * listed is attempted, and the kernel's answer is reported. */
static bool fs_cannot_idmap(const char *fstype)
{
        static const char *const denied[] = {
                "overlay", "proc", "sysfs", "devpts", "devtmpfs", "cgroup", "cgroup2",
                "mqueue", "nfs", "nfs4", "securityfs", "debugfs", "tracefs", "bpf",
                "fusectl", "configfs", "hugetlbfs", "pstore", "binfmt_misc", "autofs",
        };

        if (!fstype)
                return false;
        for (size_t i = 0; i < ARRAY_SIZE(denied); i++)
                if (strcmp(fstype, denied[i]) == 0)
                        return true;
        return false;
}

/* The rootfs and a destination are joined lexically into the path the mount
 * table shows (path_join_in).  A destination reached through a symlink in
 * the image is not found this way; the hook resolves it for real when it
 * applies the plan. */

/* Applies the options that change a mount's flags in order, as mount(8)
 * does: a later "rw" undoes an earlier "ro".  The r-prefixed forms (rro,
 * rnosuid, ...) are runc's and crun's recursive variants.  The atime modes
 * are one setting: each replaces the others. */
static void option_attrs(const struct oci_mount *m, plan_attrs *top, plan_attrs *rec)
{
        static const struct {
                const char *name;
                unsigned set, clear;
        } table[] = {
                { "ro", MOUNT_ATTR_RDONLY, 0 },
                { "rw", 0, MOUNT_ATTR_RDONLY },
                { "nosuid", MOUNT_ATTR_NOSUID, 0 },
                { "suid", 0, MOUNT_ATTR_NOSUID },
                { "nodev", MOUNT_ATTR_NODEV, 0 },
                { "dev", 0, MOUNT_ATTR_NODEV },
                { "noexec", MOUNT_ATTR_NOEXEC, 0 },
                { "exec", 0, MOUNT_ATTR_NOEXEC },
                { "noatime", MOUNT_ATTR_NOATIME, MOUNT_ATTR_STRICTATIME },
                { "strictatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR_NOATIME },
                { "relatime", 0, MOUNT_ATTR_NOATIME | MOUNT_ATTR_STRICTATIME },
                { "atime", 0, MOUNT_ATTR_NOATIME },
                { "nodiratime", MOUNT_ATTR_NODIRATIME, 0 },
                { "diratime", 0, MOUNT_ATTR_NODIRATIME },
                { "nosymfollow", MOUNT_ATTR_NOSYMFOLLOW, 0 },
                { "symfollow", 0, MOUNT_ATTR_NOSYMFOLLOW },
        };

        *top = *rec = 0;
        for (size_t i = 0; i < m->n_options; i++) {
                const char *o = m->options[i];
                bool recursive = false;

                for (int pass = 0; pass < 2; pass++) {
                        for (size_t k = 0; k < ARRAY_SIZE(table); k++) {
                                if (strcmp(o, table[k].name) != 0)
                                        continue;
                                *top = (*top & ~table[k].clear) | table[k].set;
                                if (recursive)
                                        *rec = (*rec & ~table[k].clear) | table[k].set;
                        }
                        /* second pass: "rro" and friends, recursive */
                        if (o[0] != 'r' || o[1] == '\0')
                                break;
                        o++;
                        recursive = true;
                }
        }
}

/* Decides which flags must be carried over onto a mount that the hook
 * replaces (or whose parent tree it replaces).  crun applies ro, and the
 * masks, after the hooks through handles on the old tree, so the hook must
 * set everything config.json asks for itself. */
static void carry_attrs(const struct oci_mount *m, plan_attrs *top, plan_attrs *rec)
{
        option_attrs(m, top, rec);
        /* crun mounts cgroup v1 controllers under a tmpfs of its own and makes
         * them read-only after the hooks; which ones it makes cannot be seen
         * from config.json, so every mount below a cgroup mount gets its
         * flags.  Stricter than the runtime is acceptable, looser never. */
        if (m->type && (strcmp(m->type, "cgroup") == 0 || strcmp(m->type, "cgroup2") == 0))
                *rec |= *top;
        /* An rbind volume asked "ro" is read-only with everything it brought
         * along; a submount left writable would be a way around "ro". */
        if ((*top & MOUNT_ATTR_RDONLY) && oci_mount_has_option(m, "rbind"))
                *rec |= MOUNT_ATTR_RDONLY;
}

static int mapping_slot(struct plan *p, const struct id_mapping *m, struct err *e)
{
        for (size_t i = 0; i < p->n_mappings; i++)
                if (p->mappings[i] == m || id_mapping_equal(p->mappings[i], m))
                        return (int)i;
        if (p->n_mappings == ARRAY_SIZE(p->mappings))
                return err_set(e, E2BIG, "config.json: more than %zu distinct idmap mappings",
                               ARRAY_SIZE(p->mappings));
        p->mappings[p->n_mappings] = m;
        return (int)p->n_mappings++;
}

static const struct mountinfo_entry *lookup(const struct plan_input *in, const char *dest,
                                            struct err *e, int *r)
{
        _cleanup_free_ char *path = NULL;

        *r = 0;
        if (!in->mountinfo)
                return NULL;
        path = path_join_in(in->config->rootfs, dest);
        if (!path) {
                *r = err_set(e, ENOMEM, "out of memory");
                return NULL;
        }
        return mountinfo_top(in->mountinfo, path);
}

/* The idmap a mount asks for: its own uidMappings/gidMappings (runtime-spec
 * 1.1), crun's "idmap=uids=...;gids=..." value, or, for a bare "idmap" or
 * "ridmap", the container's mapping.  NULL when it asks for none. */
static int mount_mapping(struct plan *p, const struct oci_config *c, size_t i,
                         const struct id_mapping **out, bool *recursive, struct err *e)
{
        const struct oci_mount *m = &c->mounts[i];
        const char *value = NULL;
        bool asked = false;
        char where[512];

        *out = NULL;
        *recursive = false;
        for (size_t k = 0; k < m->n_options; k++) {
                const char *o = m->options[k];
                bool r = o[0] == 'r';
                const char *name = r ? o + 1 : o;

                if (strncmp(name, "idmap", 5) != 0 || (name[5] != '\0' && name[5] != '='))
                        continue;
                asked = true;
                *recursive = r;
                value = name[5] == '=' ? name + 6 : NULL;
        }
        if (m->has_idmap) {
                *out = &m->idmap;
                return 0;
        }
        if (!asked)
                return 0;
        if (!value || !*value) {
                *out = &c->idmap;
                return 0;
        }
        snprintf(where, sizeof(where), "config.json: mounts[%zu] (%s): option %sidmap", i,
                 m->destination, *recursive ? "r" : "");
        struct id_mapping *slot = &p->owned[p->n_owned];
        int r = idmap_parse_crun_option(value, &c->idmap, slot, where, e);
        if (r < 0)
                return r;
        p->n_owned++;
        *out = slot;
        return 0;
}

static int plan_rootfs(const struct plan_input *in, struct plan *p, struct err *e)
{
        const struct oci_config *c = in->config;
        struct plan_entry *root = &p->root;
        const struct mountinfo_entry *mi;
        int r;

        mi = lookup(in, "/", e, &r);
        if (r < 0)
                return r;
        root->fstype = mi ? mi->fstype : NULL;
        root->type = root->fstype;

        if (in->activation == ACTIVATION_FALSE) {
                root->reason = REASON_ACTIVATION_FALSE;
                return 0;
        }
        if (mi && mi->idmapped) {
                root->reason = REASON_ALREADY_IDMAPPED;
                return 0;
        }
        if (in->activation == ACTIVATION_AUTO && in->owner.known) {
                bool owned = idmap_host_has(&c->idmap.uid, in->owner.uid) &&
                             idmap_host_has(&c->idmap.gid, in->owner.gid);
                bool reachable = idmap_container_has(&c->idmap.uid, in->owner.uid) &&
                                 idmap_container_has(&c->idmap.gid, in->owner.gid);

                if (owned) {
                        root->reason = REASON_ROOTFS_SHIFTED;
                        return 0;
                }
                if (!reachable) {
                        root->reason = REASON_ROOTFS_OWNER_UNMAPPED;
                        return 0;
                }
        }
        if (fs_cannot_idmap(root->fstype))
                return err_set(e, EINVAL, "rootfs `%s`: filesystem %s cannot be idmapped",
                               c->rootfs, root->fstype);
        root->idmap = true;
        root->mapping = &c->idmap;
        r = mapping_slot(p, root->mapping, e);
        if (r < 0)
                return r;
        root->mapping_index = r;
        return 0;
}

static int plan_mount(const struct plan_input *in, struct plan *p, size_t i, struct err *e)
{
        const struct oci_config *c = in->config;
        const struct oci_mount *m = &c->mounts[i];
        struct plan_entry *pe = &p->mounts[i];
        const struct mountinfo_entry *mi;
        int r;

        /* destination, type and flags were filled in by plan_build */
        mi = lookup(in, m->destination, e, &r);
        if (r < 0)
                return r;
        pe->fstype = mi ? mi->fstype : NULL;

        r = mount_mapping(p, c, i, &pe->mapping, &pe->recursive, e);
        if (r < 0)
                return r;
        if (!pe->mapping) {
                pe->reason = REASON_NOT_ASKED;
                return 0;
        }
        if (mi && mi->idmapped) {
                pe->reason = REASON_ALREADY_IDMAPPED;
                pe->mapping = NULL;
                return 0;
        }
        if (fs_cannot_idmap(pe->fstype))
                return err_set(e, EINVAL, "config.json: mounts[%zu] (%s): filesystem %s cannot be idmapped",
                               i, m->destination, pe->fstype);
        pe->idmap = true;
        r = mapping_slot(p, pe->mapping, e);
        if (r < 0)
                return r;
        pe->mapping_index = r;
        return 0;
}

static void nothing_to_do(struct plan *p, enum plan_reason why)
{
        p->nothing_to_do = true;
        p->why = why;
        p->root.reason = why;
        for (size_t i = 0; i < p->n_mounts; i++)
                p->mounts[i].reason = why;
}

int plan_build(const struct plan_input *in, struct plan *out, struct err *e)
{
        const struct oci_config *c = in->config;
        struct plan p = {
                .rootfs = c->rootfs,
                .root = { .destination = "/", .config_index = SIZE_MAX, .mapping_index = -1 },
                .masked = (const char *const *)c->masked_paths,
                .n_masked = c->n_masked,
                .readonly = (const char *const *)c->readonly_paths,
                .n_readonly = c->n_readonly,
        };
        int r = 0;

        p.root.attrs = c->root_readonly ? MOUNT_ATTR_RDONLY : 0;
        p.carry_paths = !in->runtime_applies_paths;
        p.n_mounts = c->n_mounts;
        if (c->n_mounts) {
                p.mounts = calloc(c->n_mounts, sizeof(*p.mounts));
                p.owned = calloc(c->n_mounts, sizeof(*p.owned));
                if (!p.mounts || !p.owned) {
                        plan_free(&p);
                        return err_set(e, ENOMEM, "out of memory");
                }
        }
        for (size_t i = 0; i < c->n_mounts; i++) {
                p.mounts[i].destination = c->mounts[i].destination;
                p.mounts[i].type = c->mounts[i].type;
                p.mounts[i].config_index = i;
                p.mounts[i].mapping_index = -1;
                carry_attrs(&c->mounts[i], &p.mounts[i].attrs, &p.mounts[i].attrs_recursive);
        }

        if (!c->has_userns)
                nothing_to_do(&p, REASON_NO_USERNS);
        else if (!c->has_idmap)
                nothing_to_do(&p, REASON_NO_MAPPING);
        else {
                r = plan_rootfs(in, &p, e);
                for (size_t i = 0; r >= 0 && i < c->n_mounts; i++)
                        r = plan_mount(in, &p, i, e);
                if (r >= 0 && !plan_has_work(&p)) {
                        p.nothing_to_do = true;
                        p.why = REASON_NOT_ASKED;
                }
        }
        if (r < 0) {
                plan_free(&p);
                return r;
        }
        *out = p;
        return 0;
}

bool plan_has_work(const struct plan *p)
{
        if (p->root.idmap)
                return true;
        for (size_t i = 0; i < p->n_mounts; i++)
                if (p->mounts[i].idmap)
                        return true;
        return false;
}

void plan_free(struct plan *p)
{
        free(p->mounts);
        free(p->owned);
        p->mounts = NULL;
        p->owned = NULL;
        p->n_mounts = p->n_owned = 0;
}
