/* The plan: a pure function from the parsed inputs to decisions. */
#include "plan.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "../base/cleanup.h"
#include "mountflags.h"
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
        case REASON_PIVOTS_INTO_HANDLE:
                return "the runtime pivots into a handle on the rootfs taken before the hooks";
        case REASON_CANNOT_CARRY:
                return "a flag the runtime means for a mount could not be kept on a copy";
        case REASON_OVERLAY_UNSUPPORTED:
                return "the overlay cannot be rebuilt on idmapped layers";
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

/* Decides which flags must be carried over onto a mount that the hook
 * replaces (or whose parent tree it replaces).  crun applies ro, and the
 * masks, after the hooks through handles on the old tree, so the hook must
 * set everything config.json asks for itself. */
static void carry_attrs(const struct oci_mount *m, plan_attrs *top, plan_attrs *rec)
{
        mount_flags_from_config((const char *const *)m->options, m->n_options, top, rec);
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
                *out = m->idmap;
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
        struct id_mapping *slot = malloc(sizeof(*slot));
        if (!slot)
                return err_set(e, ENOMEM, "out of memory");
        p->owned[p->n_owned++] = slot;  /* freed with the plan, whatever follows */
        int r = idmap_parse_crun_option(value, &c->idmap, slot, where, e);
        if (r < 0)
                return r;
        *out = slot;
        return 0;
}

/* ---- which mount the runtime made for each config.json entry ----------------
 *
 * Both runtimes resolve a destination inside the rootfs and mount there, in
 * config.json order; the table shows where each mount landed, with every
 * symlink already resolved.  An entry whose destination, joined lexically to
 * the rootfs, holds as many mounts as config.json has entries for that point
 * pairs with them bottom to top.  Anything else (a symlink or a magic link led
 * the runtime elsewhere, a runtime added or dropped a mount there) is left
 * unidentified, but for a bind mount found by its source (below): the hook
 * never resolves the destination again through directories that the image
 * or the container control, and never guesses. */

/* The stack of mounts at `point` below the rootfs mount, bottom first;
 * how many (at most max). */
static size_t stack_at(const struct mountinfo *mi, const struct mountinfo_entry *root,
                       const char *point, const struct mountinfo_entry **out, size_t max)
{
        size_t n = 0;

        for (size_t i = 0; i < mi->n; i++) {
                const struct mountinfo_entry *x = &mi->e[i];

                if (x != root && strcmp(x->mount_point, point) == 0 &&
                    mountinfo_is_below(mi, x, root) && n < max)
                        out[n++] = x;
        }
        /* bottom first: each upper one's parent is the one below it */
        for (size_t i = 0; i + 1 < n; i++)
                for (size_t j = i + 1; j < n; j++)
                        if (out[i]->parent_id == out[j]->mount_id) {
                                const struct mountinfo_entry *t = out[i];

                                out[i] = out[j];
                                out[j] = t;
                        }
        for (size_t i = 0; i + 1 < n; i++)
                if (out[i + 1]->parent_id != out[i]->mount_id)
                        return SIZE_MAX;        /* not one stack */
        return n;
}

/* Pairs each entry with the stack at its lexical destination. */
static void pair_at_destinations(const struct plan_input *in, struct plan *p,
                                 const struct mountinfo_entry *root, char **points)
{
        const struct mountinfo_entry *stack[8];
        size_t n_mounts = in->config->n_mounts;

        for (size_t i = 0; i < n_mounts; i++) {
                size_t n, k = 0, rank = 0;

                for (size_t j = 0; j < n_mounts; j++)
                        if (strcmp(points[j], points[i]) == 0) {
                                rank += j < i;
                                k++;
                        }
                n = root ? stack_at(in->mountinfo, root, points[i], stack, ARRAY_SIZE(stack)) : 0;
                if (n == 0)
                        p->mounts[i].ident = IDENT_NOT_THERE;
                else if (n != k)
                        p->mounts[i].ident = IDENT_AMBIGUOUS;
                else {
                        p->mounts[i].ident = IDENT_FOUND;
                        p->mounts[i].mount = stack[rank];
                        p->mounts[i].fstype = stack[rank]->fstype;
                }
        }
}

/* ---- a bind mount the runtime put elsewhere, found by its source -------------
 *
 * A symlink in the image on the way to a destination (/var/run -> /run,
 * where Kubernetes binds /var/run/secrets/kubernetes.io/serviceaccount) led
 * the runtime elsewhere, and the destination holds nothing.  A bind mount
 * is still told apart by what it shows: the host resolved its source
 * (plan_input.bind_sources: outside the rootfs, never through the image),
 * and the mount of the table that holds that path gives the device and the
 * root (mountinfo's fields 3 and 4) that every bind of it has.  The entry
 * pairs with the one mount of the rootfs tree that shows the same and that
 * no entry holds at its destination, when no other entry left unpaired
 * binds the same: one to one, or not at all.  Which mount the runtime made
 * still comes from the table alone; the destination is never looked up. */

struct shown {
        unsigned major, minor;
        char *root;             /* NULL: not known */
};

/* `path` is `top` or lies below it (both absolute and clean). */
static bool path_within(const char *path, const char *top)
{
        size_t n = strlen(top);

        if (strcmp(top, "/") == 0)
                return true;
        return strncmp(path, top, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* What a bind of entry i's source shows; out->root stays NULL when that is
 * not known.  Negative only for -ENOMEM. */
static int source_shown(const struct plan_input *in, size_t i, struct shown *out)
{
        const char *src = in->bind_sources[i];
        const struct mountinfo_entry *holder;
        _cleanup_free_ char *clean = NULL;
        const char *rest;

        if (!src || src[0] != '/' || !oci_mount_is_bind(&in->config->mounts[i]))
                return 0;
        clean = path_join("/", src);
        if (!clean)
                return -ENOMEM;
        /* in the rootfs, the image's: what it shows is the image's to change */
        if (path_within(clean, in->config->rootfs))
                return 0;
        holder = mountinfo_lookup(in->mountinfo, clean);
        if (!holder || !path_within(clean, holder->mount_point))
                return 0;
        rest = strcmp(holder->mount_point, "/") == 0 ? clean : clean + strlen(holder->mount_point);
        out->root = path_join(holder->root, rest);
        if (!out->root)
                return -ENOMEM;
        out->major = holder->major;
        out->minor = holder->minor;
        return 0;
}

static bool same_shown(const struct shown *a, const struct mountinfo_entry *m)
{
        return a->major == m->major && a->minor == m->minor && strcmp(a->root, m->root) == 0;
}

/* A mount of the rootfs tree that no entry holds, at no entry's destination. */
static bool unpaired(const struct plan_input *in, const struct plan *p,
                     const struct mountinfo_entry *root, const struct mountinfo_entry *m,
                     char **points)
{
        if (m == root || !mountinfo_is_below(in->mountinfo, m, root))
                return false;
        for (size_t j = 0; j < p->n_mounts; j++)
                if (p->mounts[j].mount == m || strcmp(points[j], m->mount_point) == 0)
                        return false;
        return true;
}

/* The one unpaired mount that shows what entry i's source is, or NULL. */
static const struct mountinfo_entry *by_source(const struct plan_input *in, const struct plan *p,
                                               const struct mountinfo_entry *root, char **points,
                                               const struct shown *shown, size_t i)
{
        const struct mountinfo *mi = in->mountinfo;
        const struct mountinfo_entry *found = NULL;
        size_t entries = 0, mounts = 0;

        for (size_t j = 0; j < p->n_mounts; j++)
                entries += shown[j].root && shown[j].major == shown[i].major &&
                           shown[j].minor == shown[i].minor &&
                           strcmp(shown[j].root, shown[i].root) == 0;
        for (size_t k = 0; entries == 1 && k < mi->n && mounts < 2; k++)
                if (same_shown(&shown[i], &mi->e[k]) && unpaired(in, p, root, &mi->e[k], points)) {
                        found = &mi->e[k];
                        mounts++;
                }
        return entries == 1 && mounts == 1 ? found : NULL;
}

static int identify_by_source(const struct plan_input *in, struct plan *p,
                              const struct mountinfo_entry *root, char **points, struct err *e)
{
        size_t n = p->n_mounts;
        struct shown *shown;
        int r = 0;

        if (!in->bind_sources || !root || !n)
                return 0;
        shown = calloc(n, sizeof(*shown));
        if (!shown)
                return err_set(e, ENOMEM, "out of memory");
        /* every entry not paired at its destination competes for a mount */
        for (size_t i = 0; r >= 0 && i < n; i++)
                if (p->mounts[i].ident != IDENT_FOUND)
                        r = source_shown(in, i, &shown[i]);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                const struct mountinfo_entry *m;

                if (p->mounts[i].ident != IDENT_NOT_THERE || !shown[i].root)
                        continue;
                m = by_source(in, p, root, points, shown, i);
                if (m) {
                        p->mounts[i].ident = IDENT_FOUND_BY_SOURCE;
                        p->mounts[i].mount = m;
                        p->mounts[i].fstype = m->fstype;
                }
        }
        for (size_t i = 0; i < n; i++)
                free(shown[i].root);
        free(shown);
        return r < 0 ? err_set(e, ENOMEM, "out of memory") : 0;
}

static int identify_mounts(const struct plan_input *in, struct plan *p,
                           const struct mountinfo_entry *root, struct err *e)
{
        const struct oci_config *c = in->config;
        char **points = calloc(c->n_mounts ? c->n_mounts : 1, sizeof(*points));
        int r = 0;

        if (!points)
                return err_set(e, ENOMEM, "out of memory");
        for (size_t i = 0; r >= 0 && i < c->n_mounts; i++) {
                points[i] = path_join_in(c->rootfs, c->mounts[i].destination);
                if (!points[i])
                        r = err_set(e, ENOMEM, "out of memory");
        }
        if (r >= 0) {
                pair_at_destinations(in, p, root, points);
                r = identify_by_source(in, p, root, points, e);
        }
        for (size_t i = 0; i < c->n_mounts; i++)
                free(points[i]);
        free(points);
        return r;
}

static const char *ident_problem(const struct plan_entry *pe)
{
        switch (pe->ident) {
        case IDENT_NOT_THERE:
                return "nothing is mounted at its destination: the runtime mounted it "
                       "elsewhere (through a symlink) or not at all, and no mount of its "
                       "source pairs with it one to one";
        case IDENT_AMBIGUOUS:
                return "the mounts at its destination do not pair one to one with "
                       "config.json's entries for it";
        default:
                return "";
        }
}

/* ---- the rootfs and each mount: idmap or not, and why ------------------------ */

static int refuse_rootfs(const struct plan_input *in, struct plan *p, enum plan_reason why,
                         const char *detail, struct err *e)
{
        if (in->activation == ACTIVATION_TRUE)
                return err_set(e, EOPNOTSUPP, "rootfs `%.200s`: asked to be idmapped (annotation "
                               ANNOTATION_ROOTFS "=true), but %.600s", p->rootfs, detail);
        p->root.reason = why;
        snprintf(p->notice, sizeof(p->notice), "rootfs `%.200s` left as it is: %.280s", p->rootfs,
                 detail);
        return 0;
}

/* An overlay rootfs: rebuilt on idmapped layers.  1 to go on, 0 when left
 * alone under auto (with a notice), or an error. */
static bool layer_path_known(const char *path)
{
        return path && path[0] == '/' && path[1] != '\0';
}

static bool layer_paths_known(const struct ovl_options *o)
{
        for (size_t i = 0; i < o->n_lower; i++)
                if (!layer_path_known(o->lower[i]))
                        return false;
        return !o->upper || (layer_path_known(o->upper) && layer_path_known(o->work));
}

/* Parses the overlay `mi` for a rebuild on layers idmapped with `m`, into
 * a new slot of p->overlays: *index, or -1 with `detail` saying why it
 * cannot be rebuilt.  Negative only for -ENOMEM. */
static int add_overlay(struct plan *p, const struct mountinfo_entry *mi, const struct id_mapping *m,
                       const char *where, char *detail, size_t len, int *index, struct err *e)
{
        struct ovl_options o = { 0 };
        struct plan_overlay *slots;
        uint32_t uid, gid;
        int r;

        *index = -1;
        r = ovl_options_parse(mi->super_options, where, &o, e);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                snprintf(detail, len, "%.600s", e->msg);
                err_clear(e);
                return 0;
        }
        /* Layers given to the kernel as fds (lowerdir+ with FSCONFIG_SET_FD:
         * the runtime wrapper's overlay, say) show as "/" or not at all in
         * the table: their paths cannot be found again, and "/" is the
         * host's root.  Such an overlay is never rebuilt. */
        if (!layer_paths_known(&o))
                snprintf(detail, len, "its layers were given to the kernel as file descriptors, "
                         "and the mount table does not say where they are");
        /* The new overlay is made with the mapping's root's host ids. */
        else if (!idmap_to_host(&m->uid, 0, &uid) || !idmap_to_host(&m->gid, 0, &gid))
                snprintf(detail, len, "the mapping gives the container's root no host id, which "
                         "the rebuilt overlay's upper layer needs");
        else if (!(slots = realloc(p->overlays, (p->n_overlays + 1) * sizeof(*slots))))
                r = err_set(e, ENOMEM, "out of memory");
        else {
                p->overlays = slots;
                slots[p->n_overlays] = (struct plan_overlay){ .options = o, .uid = uid, .gid = gid };
                *index = (int)p->n_overlays++;
                return 0;
        }
        ovl_options_free(&o);
        return r;
}

/* An overlay rootfs: rebuilt on idmapped layers.  1 to go on, 0 when left
 * alone under auto (with a notice), or an error. */
static int plan_overlay(const struct plan_input *in, struct plan *p,
                        const struct mountinfo_entry *mi, struct err *e)
{
        char where[600], detail[700];
        int r;

        snprintf(where, sizeof(where), "rootfs `%s` (overlay)", in->config->rootfs);
        r = add_overlay(p, mi, &in->config->idmap, where, detail, sizeof(detail),
                        &p->root.overlay_index, e);
        if (r < 0)
                return r;
        if (p->root.overlay_index < 0)
                return refuse_rootfs(in, p, REASON_OVERLAY_UNSUPPORTED, detail, e);
        return 1;
}

/* An overlay volume (a bind of an overlay, as Kubernetes image volumes
 * are) that asks for an idmap: rebuilt on idmapped layers like an overlay
 * rootfs.  Only a bind of the overlay's root: one of a directory inside it
 * shows less than a whole new overlay would. */
static int plan_mount_overlay(struct plan *p, const struct oci_mount *m, size_t i,
                              struct plan_entry *pe, struct err *e)
{
        char where[600], detail[700];
        int r;

        if (!pe->mount)
                return 0;       /* planned from config.json alone: no table to read */
        if (strcmp(pe->mount->root, "/") != 0)
                return err_set(e, EOPNOTSUPP, "config.json: mounts[%zu] (%s): asks for an idmap, "
                               "but it binds `%s` inside an overlay, and only a whole overlay can "
                               "be rebuilt on idmapped layers", i, m->destination, pe->mount->root);
        snprintf(where, sizeof(where), "config.json: mounts[%zu] (%s) (overlay)", i, m->destination);
        r = add_overlay(p, pe->mount, pe->mapping, where, detail, sizeof(detail),
                        &pe->overlay_index, e);
        if (r < 0)
                return r;
        if (pe->overlay_index < 0)
                return err_set(e, EOPNOTSUPP, "config.json: mounts[%zu] (%s): asks for an idmap, "
                               "but the overlay cannot be rebuilt on idmapped layers: %s", i,
                               m->destination, detail);
        return 0;
}

static int plan_rootfs(const struct plan_input *in, struct plan *p,
                       const struct mountinfo_entry *mi, struct err *e)
{
        const struct oci_config *c = in->config;
        struct plan_entry *root = &p->root;
        int r;

        root->mount = mi;
        root->ident = mi ? IDENT_FOUND : in->mountinfo ? IDENT_NOT_THERE : IDENT_NO_TABLE;
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
        /* Idmapped, the host's "/" would be the container root's own:
         * /etc/shadow, every setuid binary.  Refused even under auto. */
        if (in->rootfs_is_host_root)
                return err_set(e, EPERM, "rootfs `%s` is the host's root directory; refusing "
                               "to idmap it", c->rootfs);
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
        if (in->runtime == RUNTIME_RUNC_PIVOTS_INTO_HANDLE)
                return refuse_rootfs(in, p, REASON_PIVOTS_INTO_HANDLE,
                                     "this runc pivots into a handle on the rootfs that it took "
                                     "before the hooks, so no hook can change the container's "
                                     "root; run it through oci-idmap-runtime instead", e);
        if (mi && strcmp(mi->fstype, "overlay") == 0) {
                r = plan_overlay(in, p, mi, e);
                if (r <= 0)
                        return r;
        } else if (fs_cannot_idmap(root->fstype)) {
                return err_set(e, EOPNOTSUPP, "rootfs `%s`: filesystem %s cannot be idmapped",
                               c->rootfs, root->fstype);
        }
        if (in->mountinfo && !mi)
                return err_set(e, ENOENT, "rootfs `%s`: not a mount point in the container's "
                               "mount namespace", c->rootfs);
        /* A mount stacked on a shared one is copied to its peers, which may
         * be in another namespace.  Both runtimes make the rootfs private or
         * a slave before the hooks. */
        if (mi && mi->shared)
                return err_set(e, EBUSY, "rootfs `%s`: the mount is shared (peer group %d); "
                               "refusing to stack an idmapped mount that would propagate",
                               c->rootfs, mi->shared);
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
        int r;

        /* destination, type, flags and the identity were filled in before */
        r = mount_mapping(p, c, i, &pe->mapping, &pe->recursive, e);
        if (r < 0)
                return r;
        if (!pe->mapping) {
                pe->reason = REASON_NOT_ASKED;
                return 0;
        }
        if (in->mountinfo && pe->ident != IDENT_FOUND && pe->ident != IDENT_FOUND_BY_SOURCE)
                return err_set(e, ENOENT, "config.json: mounts[%zu] (%s) asks for an idmap, but %s; "
                               "the hook will not guess which mount it is", i, m->destination,
                               ident_problem(pe));
        if (pe->mount && pe->mount->idmapped) {
                pe->reason = REASON_ALREADY_IDMAPPED;
                pe->mapping = NULL;
                return 0;
        }
        if (pe->fstype && strcmp(pe->fstype, "overlay") == 0)
                r = plan_mount_overlay(p, m, i, pe, e);
        else if (fs_cannot_idmap(pe->fstype))
                r = err_set(e, EOPNOTSUPP, "config.json: mounts[%zu] (%s): filesystem %s "
                            "cannot be idmapped", i, m->destination, pe->fstype);
        if (r < 0)
                return r;
        if (pe->mount && pe->mount->shared)
                return err_set(e, EBUSY, "config.json: mounts[%zu] (%s): the mount is shared "
                               "(peer group %d); refusing to replace a mount that propagates",
                               i, m->destination, pe->mount->shared);
        if (pe->mount && !mountinfo_visible(in->mountinfo, pe->mount))
                return err_set(e, EBUSY, "config.json: mounts[%zu] (%s): the runtime's mount at "
                               "`%s` is hidden by a later mount; the hook cannot reach it", i,
                               m->destination, pe->mount->mount_point);
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

/* ---- the steps -------------------------------------------------------------- */

struct builder {
        struct plan *p;
        const struct mountinfo *mi;
        size_t cap;
        /* the first flag that could not be kept, for the message */
        char cannot[256];
};

static struct plan_step *add_step(struct builder *b, enum step_kind kind, struct err *e)
{
        struct plan *p = b->p;

        if (p->n_steps == b->cap) {
                size_t cap = b->cap ? b->cap * 2 : 16;
                struct plan_step *steps = realloc(p->steps, cap * sizeof(*steps));

                if (!steps) {
                        err_set(e, ENOMEM, "out of memory");
                        return NULL;
                }
                p->steps = steps;
                b->cap = cap;
        }
        p->steps[p->n_steps] = (struct plan_step){ .kind = kind, .mapping_index = -1,
                                                   .overlay_index = -1 };
        return &p->steps[p->n_steps++];
}

static bool at_or_below(const struct mountinfo *mi, const struct mountinfo_entry *m,
                        const struct mountinfo_entry *top)
{
        return m == top || mountinfo_is_below(mi, m, top);
}

/* Whether the steps copy `m`: it lies in the rootfs tree or a volume tree
 * that is replaced by an idmapped clone. */
static bool copied(const struct builder *b, const struct mountinfo_entry *m)
{
        const struct plan *p = b->p;

        if (p->root.idmap && at_or_below(b->mi, m, p->root.mount))
                return true;
        for (size_t i = 0; i < p->n_mounts; i++)
                if (p->mounts[i].idmap && at_or_below(b->mi, m, p->mounts[i].mount))
                        return true;
        return false;
}

/* The flags in `want` are all in force on a mount that has `have`. */
static bool in_force(plan_attrs have, plan_attrs want)
{
        plan_attrs atime = want & MOUNT_ATTR__ATIME;

        if (atime && (have & MOUNT_ATTR__ATIME) != atime)
                return false;
        return (have & want & ~MOUNT_ATTR__ATIME) == (want & ~MOUNT_ATTR__ATIME);
}

static int add_attrs(struct builder *b, const struct mountinfo_entry *m, plan_attrs want,
                     const char *why, struct err *e)
{
        struct plan_step *s;

        if (!want || in_force(m->attrs, want))
                return 0;
        /* A clone copies each mount's flags, but nothing reaches a copy that
         * no path leads to: flags set after the hooks would be lost there. */
        if (!mountinfo_visible(b->mi, m)) {
                if (!b->cannot[0])
                        snprintf(b->cannot, sizeof(b->cannot), "%s at `%s` is hidden by a later "
                                 "mount, and its flags could not be set on its copy", why,
                                 m->mount_point);
                return 0;
        }
        s = add_step(b, STEP_SET_ATTRS, e);
        if (!s)
                return -ENOMEM;
        s->mount = m;
        s->attrs = want;
        snprintf(s->why, sizeof(s->why), "%s", why);
        return 0;
}

/* The mount is the one the runtime made for a config.json entry other than
 * `self`: it carries that entry's own flags. */
static bool other_config_mount(const struct plan *p, const struct mountinfo_entry *m, size_t self)
{
        for (size_t i = 0; i < p->n_mounts; i++)
                if (i != self && p->mounts[i].mount == m)
                        return true;
        return false;
}

/* Every mount below `top` that is not in the tree of another config.json
 * mount gets `want`: what rro, or a cgroup mount's flags, reach. */
static int add_attrs_below(struct builder *b, const struct mountinfo_entry *top, size_t self,
                           plan_attrs want, const char *why, struct err *e)
{
        const struct mountinfo *mi = b->mi;

        for (size_t k = 0; k < mi->n; k++) {
                const struct mountinfo_entry *m = &mi->e[k], *up = m;
                bool mine = mountinfo_is_below(mi, m, top);

                for (size_t steps = 0; mine && up != top && steps < mi->n; steps++) {
                        mine = !other_config_mount(b->p, up, self);
                        up = mountinfo_by_id(mi, up->parent_id);
                        if (!up)
                                mine = false;
                }
                if (mine && add_attrs(b, m, want, why, e) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* Once a tree is copied, crun's own later remounts reach the old one only:
 * every flag config.json asks for and that is not yet in force is set on
 * the copies. */
static int add_carry(struct builder *b, const struct plan_input *in, struct err *e)
{
        struct plan *p = b->p;

        for (size_t i = 0; i < p->n_mounts; i++) {
                const struct plan_entry *pe = &p->mounts[i];
                plan_attrs want = pe->attrs | pe->attrs_recursive;
                char why[96];

                snprintf(why, sizeof(why), "mounts[%zu] %s", i, pe->destination);
                if (!pe->mount) {
                        /* Not found, so not known to be outside the copies.
                         * runc sets each mount's flags as it mounts it, and a
                         * clone copies them; crun sets some after the hooks. */
                        if (want && in->runtime != RUNTIME_RUNC_BY_PATH && !b->cannot[0])
                                snprintf(b->cannot, sizeof(b->cannot), "%s: %s", why,
                                         ident_problem(pe));
                        continue;
                }
                if (!copied(b, pe->mount))
                        continue;
                if (add_attrs(b, pe->mount, want, why, e) < 0)
                        return -ENOMEM;
                if (pe->attrs_recursive) {
                        snprintf(why, sizeof(why), "below mounts[%zu] %s", i, pe->destination);
                        if (add_attrs_below(b, pe->mount, i, pe->attrs_recursive, why, e) < 0)
                                return -ENOMEM;
                }
        }
        return 0;
}

static int add_idmap(struct builder *b, const struct plan_entry *pe, enum step_kind kind,
                     const char *why, struct err *e)
{
        struct plan_step *s = add_step(b, kind, e);

        if (!s)
                return -ENOMEM;
        s->mount = pe->mount;
        s->recursive = pe->recursive;
        s->mapping_index = pe->mapping_index;
        s->overlay_index = pe->overlay_index;
        snprintf(s->why, sizeof(s->why), "%s", why);
        return 0;
}

static int add_paths(struct builder *b, struct err *e)
{
        const struct plan *p = b->p;

        for (size_t i = 0; i < p->n_masked + p->n_readonly; i++) {
                bool mask = i < p->n_masked;
                struct plan_step *s = add_step(b, mask ? STEP_MASK : STEP_READONLY_PATH, e);

                if (!s)
                        return -ENOMEM;
                s->path = mask ? p->masked[i] : p->readonly[i - p->n_masked];
                snprintf(s->why, sizeof(s->why), "linux.%s[%zu]",
                         mask ? "maskedPaths" : "readonlyPaths", mask ? i : i - p->n_masked);
        }
        return 0;
}

/* A new overlay has no submounts: the old one's are cloned onto it by
 * their mount points, which a hidden one has none to be reached by. */
static void overlay_children_reachable(struct builder *b, const struct mountinfo_entry *root)
{

        for (size_t i = 0; i < b->mi->n && !b->cannot[0]; i++) {
                const struct mountinfo_entry *m = &b->mi->e[i];

                if (m != root && m->parent_id == root->mount_id && !mountinfo_visible(b->mi, m))
                        snprintf(b->cannot, sizeof(b->cannot), "the overlay's submount at `%s` is "
                                 "hidden by a later mount and could not be carried onto the "
                                 "rebuilt overlay", m->mount_point);
        }
}

/* The whole list, in the order it is carried out: the rootfs first (the
 * volumes' mounts are copied with it), then the volumes, then the flags on
 * the copies, then the root's own flag and the paths. */
static int build_steps(struct builder *b, const struct plan_input *in, struct err *e)
{
        struct plan *p = b->p;
        int r = 0;

        free(p->steps);
        p->steps = NULL;
        p->n_steps = b->cap = 0;
        b->cannot[0] = '\0';
        if (p->root.idmap)
                r = add_idmap(b, &p->root, p->root.overlay_index >= 0 ? STEP_OVERLAY_STACK
                                                                      : STEP_IDMAP_STACK, "rootfs", e);
        if (r >= 0 && p->root.idmap && p->root.overlay_index >= 0)
                overlay_children_reachable(b, p->root.mount);
        for (size_t i = 0; r >= 0 && i < p->n_mounts; i++) {
                const struct plan_entry *pe = &p->mounts[i];
                const struct mountinfo_entry *parent;
                char why[96];

                if (!pe->idmap)
                        continue;
                /* Detaching a mount propagates to the peers of a shared
                 * parent, which may be in another namespace: stack there. */
                parent = mountinfo_by_id(b->mi, pe->mount->parent_id);
                snprintf(why, sizeof(why), "mounts[%zu] %s", i, pe->destination);
                if (pe->overlay_index < 0) {
                        r = add_idmap(b, pe, parent && parent->shared ? STEP_IDMAP_STACK
                                                                      : STEP_IDMAP_SWAP, why, e);
                        continue;
                }
                r = add_idmap(b, pe, parent && parent->shared ? STEP_OVERLAY_STACK
                                                              : STEP_OVERLAY_SWAP, why, e);
                overlay_children_reachable(b, pe->mount);
        }
        if (r >= 0 && p->n_steps)
                r = add_carry(b, in, e);
        if (r >= 0 && p->root.idmap && p->carry_paths) {
                r = add_attrs(b, p->root.mount, p->root.attrs, "root.readonly", e);
                if (r >= 0)
                        r = add_paths(b, e);
        }
        return r;
}

/* Steps for the plan; under auto, a rootfs whose copy could not keep every
 * flag the runtime means is left alone instead, with a notice. */
static int plan_steps(const struct plan_input *in, struct plan *p, struct err *e)
{
        struct builder b = { .p = p, .mi = in->mountinfo };
        int r = build_steps(&b, in, e);

        if (r < 0 || !b.cannot[0])
                return r;
        if (p->root.idmap) {
                char detail[300];

                snprintf(detail, sizeof(detail), "%s", b.cannot);
                p->root.idmap = false;
                r = refuse_rootfs(in, p, REASON_CANNOT_CARRY, detail, e);
                if (r >= 0)
                        r = build_steps(&b, in, e);
                if (r < 0 || !b.cannot[0])
                        return r;
        }
        return err_set(e, EBUSY, "%s; refusing what was asked rather than loosen it", b.cannot);
}

int plan_build(const struct plan_input *in, struct plan *out, struct err *e)
{
        const struct oci_config *c = in->config;
        const struct mountinfo_entry *rootmi = NULL;
        struct plan p = {
                .rootfs = c->rootfs,
                .root = { .destination = "/", .config_index = SIZE_MAX, .mapping_index = -1,
                          .overlay_index = -1 },
                .masked = (const char *const *)c->masked_paths,
                .n_masked = c->n_masked,
                .readonly = (const char *const *)c->readonly_paths,
                .n_readonly = c->n_readonly,
                .runtime = in->runtime,
        };
        int r = 0;

        p.root.attrs = c->root_readonly ? MOUNT_ATTR_RDONLY : 0;
        p.carry_paths = in->runtime != RUNTIME_RUNC_BY_PATH &&
                        in->runtime != RUNTIME_RUNC_PIVOTS_INTO_HANDLE;
        p.n_mounts = c->n_mounts;
        if (c->n_mounts) {
                p.mounts = calloc(c->n_mounts, sizeof(*p.mounts));
                p.owned = calloc(c->n_mounts, sizeof(*p.owned));       /* pointers */
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
                p.mounts[i].overlay_index = -1;
                carry_attrs(&c->mounts[i], &p.mounts[i].attrs, &p.mounts[i].attrs_recursive);
        }
        if (in->mountinfo)
                rootmi = mountinfo_top(in->mountinfo, c->rootfs);

        if (!c->has_userns)
                nothing_to_do(&p, REASON_NO_USERNS);
        else if (!c->has_idmap)
                nothing_to_do(&p, REASON_NO_MAPPING);
        else {
                if (in->mountinfo)
                        r = identify_mounts(in, &p, rootmi, e);
                if (r >= 0)
                        r = plan_rootfs(in, &p, rootmi, e);
                for (size_t i = 0; r >= 0 && i < c->n_mounts; i++)
                        r = plan_mount(in, &p, i, e);
                if (r >= 0 && in->mountinfo && plan_has_work(&p))
                        r = plan_steps(in, &p, e);
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
        for (size_t i = 0; i < p->n_owned; i++)
                free(p->owned[i]);
        free(p->owned);
        free(p->steps);
        for (size_t i = 0; i < p->n_overlays; i++)
                ovl_options_free(&p->overlays[i].options);
        free(p->overlays);
        p->overlays = NULL;
        p->n_overlays = 0;
        p->mounts = NULL;
        p->owned = NULL;
        p->steps = NULL;
        p->n_mounts = p->n_owned = p->n_steps = 0;
}
