/* oci-idmap-runtime: what a create/run needs, and covering it in a mount
 * namespace of the wrapper's own (wrapper.h says why).
 *
 * The kernel rules this file is shaped by (the same the hook lives by,
 * hook/mounts.c):
 * - mount_setattr(MOUNT_ATTR_IDMAP) takes only a mount that was never
 *   attached: a clone from open_tree(OPEN_TREE_CLONE).  With AT_RECURSIVE on
 *   the top of a detached recursive clone, one call idmaps every mount in it
 *   (ridmap), and fails when one of them cannot be idmapped.
 * - A detached tree is attached with move_mount; attached on top of the
 *   path it was cloned from, it covers that path for this namespace only.
 *   A tree cloned before unshare(CLONE_NEWNS) can be attached after it, in
 *   the new namespace.
 * - A bind mount of an idmapped mount is idmapped the same way: the runtime's
 *   own bind of root.path (or of a volume source) carries the idmap into the
 *   container.
 * The last two were checked on Linux 6.18 by tests/e2e/test_wrapper.c: the
 * container's `/` shows `idmapped` in its mountinfo and is owned by 0.
 */
#include "wrapper.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "../base/cleanup.h"
#include "../base/io.h"
#include "../oci/config.h"
#include "../oci/json.h"
#include "../oci/mountinfo.h"
#include "userns.h"
#include "wrapper_config.h"
#include "wrapper_overlay.h"

/* The hook's activation annotation (oci/plan.h has the hook's copy): auto,
 * true or false.  Kept here too so that the wrapper does not depend on the
 * planner. */
#define WRAP_ANNOTATION_ROOTFS "io.github.oci-idmap-hook.rootfs"

struct target {
        char *path;                     /* the host path to cover */
        char what[300];                 /* "rootfs" or "config.json: mounts[3] (/vol)" */
        const struct id_mapping *mapping;
        bool recursive;                 /* ridmap */
        bool asked;                     /* explicitly: failing is an error */
        bool own_mapping;               /* not the container's: a user namespace of its own */
        bool rootfs;                    /* root.path */
        bool overlay_only;              /* the runtime maps the volume itself, but not an overlay */
        size_t mount_index;             /* a volume: mounts[mount_index] */
        int tree;                       /* the detached idmapped clone, or -EBADF */
        struct wrap_overlay ovl;        /* or, for an overlay, the new overlay */
};

struct job {
        char *bundle;                   /* absolute */
        char *config_path;              /* config.json as read, */
        struct stat config_stat;        /* the file read, */
        char *config_text;              /* and what it held */
        size_t config_len;
        struct oci_config config;
        bool loaded;
        bool shared_propagation;        /* rootfsPropagation or a mount asks (r)shared */
        struct target *t;
        size_t n;
};

static void job_free(struct job *j)
{
        for (size_t i = 0; i < j->n; i++) {
                free(j->t[i].path);
                if (j->t[i].tree >= 0)
                        close(j->t[i].tree);
                wrap_overlay_free(&j->t[i].ovl);
        }
        free(j->t);
        free(j->bundle);
        free(j->config_path);
        free(j->config_text);
        if (j->loaded)
                oci_config_free(&j->config);
}

/* What a lenient read of config.json (repeated keys kept, as Go's reader
 * takes them) says, before the strict parse. */
struct probe {
        bool userns;    /* a user namespace with uid mappings */
        bool shared;    /* rootfsPropagation (r)shared: a slave namespace would cut it off */
        bool asked;     /* the annotation true, or a mount asking for an idmap */
};

static bool mount_asks_idmap(const struct json *m)
{
        const struct json *opts = json_get(m, "options");

        if (json_get(m, "uidMappings") || json_get(m, "gidMappings"))
                return true;
        if (opts && opts->type == JSON_ARRAY)
                json_for_each(o, opts)
                        if (o->type == JSON_STRING && (strncmp(o->s, "idmap", 5) == 0 ||
                                                       strncmp(o->s, "ridmap", 6) == 0))
                                return true;
        return false;
}

static void lenient_probe(const char *buf, size_t len, struct probe *p)
{
        _cleanup_(json_doc_freep) struct json_doc *doc = NULL;
        const struct json *root, *linux_, *ns, *maps, *prop, *ann, *mounts;
        struct err e = { 0 };

        *p = (struct probe){ 0 };
        if (json_parse_flags(buf, len, "config.json", JSON_ALLOW_DUPLICATES, &doc, &e) < 0)
                return;         /* not JSON: the runtime refuses it itself */
        root = json_doc_root(doc);
        linux_ = json_get(root, "linux");
        ns = linux_ ? json_get(linux_, "namespaces") : NULL;
        maps = linux_ ? json_get(linux_, "uidMappings") : NULL;
        prop = linux_ ? json_get(linux_, "rootfsPropagation") : NULL;
        if (ns && ns->type == JSON_ARRAY)
                json_for_each(n, ns) {
                        const struct json *type = json_get(n, "type");

                        p->userns |= type && type->type == JSON_STRING && strcmp(type->s, "user") == 0;
                }
        p->userns &= maps && maps->type == JSON_ARRAY && maps->len > 0;
        p->shared = prop && prop->type == JSON_STRING &&
                    (strcmp(prop->s, "shared") == 0 || strcmp(prop->s, "rshared") == 0);
        ann = json_get(root, "annotations");
        ann = ann ? json_get(ann, WRAP_ANNOTATION_ROOTFS) : NULL;
        p->asked = ann && ann->type == JSON_STRING && strcmp(ann->s, "auto") != 0 &&
                   strcmp(ann->s, "false") != 0;
        mounts = json_get(root, "mounts");
        if (mounts && mounts->type == JSON_ARRAY)
                json_for_each(m, mounts)
                        p->asked |= mount_asks_idmap(m);
}

/* config.json refused by the strict parser: the wrapper's business when
 * something was asked for, or when the container's own mappings are bad
 * (the runtime could not use them either).  Otherwise, say for a key given
 * twice, which Go's reader takes, it is the runtime's to judge, and the
 * container is handed through untouched. */
static bool refusal_matters(const struct probe *p, const struct err *e)
{
        return p->asked || strstr(e->msg, ": linux.uidMappings") || strstr(e->msg, ": linux.gidMappings");
}

/* Returns 1 when the container is none of the wrapper's business (no user
 * namespace with mappings: handed through whatever its config.json holds),
 * 0 with j->config loaded, or an error. */
static int job_load(const struct wrap_args *a, struct job *j, struct err *e)
{
        _cleanup_free_ char *bundle = NULL, *path = NULL, *buf = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct probe p;
        size_t len;
        int r;

        bundle = realpath(a->bundle ? a->bundle : ".", NULL);
        if (!bundle)
                return err_sys(e, errno, "bundle `%s`", a->bundle ? a->bundle : ".");
        /* crun takes --config relative to the working directory */
        if (a->config)
                path = strdup(a->config);
        else if (asprintf(&path, "%s/config.json", bundle) < 0)
                path = NULL;
        if (!path)
                return err_set(e, ENOMEM, "out of memory");
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 || fstat(fd, &j->config_stat) < 0)
                return err_sys(e, errno, "open `%s`", path);
        r = read_input_fd(fd, OCI_CONFIG_MAX, &buf, &len);
        if (r < 0)
                return r == -EFBIG ? err_set(e, EFBIG, "`%s`: larger than %d bytes", path, OCI_CONFIG_MAX)
                                   : err_sys(e, -r, "read `%s`", path);
        lenient_probe(buf, len, &p);
        if (!p.userns)
                return 1;
        j->shared_propagation = p.shared;
        r = oci_config_parse(buf, len, bundle, path, &j->config, e);
        if (r < 0)
                return refusal_matters(&p, e) ? r : 1;
        j->loaded = true;
        j->bundle = TAKE_PTR(bundle);
        j->config_path = TAKE_PTR(path);
        j->config_text = TAKE_PTR(buf);
        j->config_len = len;
        return 0;
}

enum activation { ACT_AUTO, ACT_TRUE, ACT_FALSE };

static int activation(const struct oci_config *c, enum activation *out, struct err *e)
{
        const char *v = annotations_get(&c->annotations, WRAP_ANNOTATION_ROOTFS);

        if (!v || strcmp(v, "auto") == 0)
                *out = ACT_AUTO;
        else if (strcmp(v, "true") == 0)
                *out = ACT_TRUE;
        else if (strcmp(v, "false") == 0)
                *out = ACT_FALSE;
        else
                return err_set(e, EINVAL, "config.json: annotations: " WRAP_ANNOTATION_ROOTFS
                               ": \"%.64s\" is not auto, true or false", v);
        return 0;
}

/* auto: a rootfs whose owner the mapping does not own (not shifted) but can
 * reach (uid 0 under 0:100000:65536) is idmapped; a shifted one, or one whose
 * owner is outside the mapping on both sides, is left as it is. */
static bool rootfs_wants_idmap(const struct oci_config *c)
{
        struct stat st;

        if (stat(c->rootfs, &st) < 0)
                return false;   /* the runtime names the missing rootfs itself */
        if (idmap_host_has(&c->idmap.uid, st.st_uid) && idmap_host_has(&c->idmap.gid, st.st_gid))
                return false;
        return idmap_container_has(&c->idmap.uid, st.st_uid) &&
               idmap_container_has(&c->idmap.gid, st.st_gid);
}

static struct target *add_target(struct job *j, const char *path, struct err *e)
{
        struct target *t = realloc(j->t, (j->n + 1) * sizeof(*t));

        if (!t)
                return NULL;
        j->t = t;
        t = &j->t[j->n];
        *t = (struct target){ .path = strdup(path), .tree = -EBADF, .ovl = WRAP_OVERLAY_INIT };
        if (!t->path)
                return NULL;
        j->n++;
        return t;
}

/* The mapping a bind volume asks for: its own uidMappings/gidMappings, or
 * the container's for a bare `idmap` or `ridmap`.  crun's `idmap=...` form
 * is crun's alone, and crun makes it itself: left to it. */
static const struct id_mapping *volume_mapping(const struct oci_config *c, const struct oci_mount *m,
                                               bool *recursive)
{
        bool bind = (m->type && strcmp(m->type, "bind") == 0) || oci_mount_has_option(m, "bind") ||
                    oci_mount_has_option(m, "rbind");

        *recursive = oci_mount_has_option(m, "ridmap");
        if (!bind || !m->source)
                return NULL;
        if (m->has_idmap)
                return m->idmap;
        return *recursive || oci_mount_has_option(m, "idmap") ? &c->idmap : NULL;
}

static bool asks_shared(const struct oci_config *c)
{
        for (size_t i = 0; i < c->n_mounts; i++)
                if (oci_mount_has_option(&c->mounts[i], "shared") ||
                    oci_mount_has_option(&c->mounts[i], "rshared"))
                        return true;
        return false;
}

/* A second volume from the same source: the same idmap is one cover; a
 * different one cannot be had from one path. */
static int same_source(const struct job *j, const char *path, const struct id_mapping *m,
                       bool recursive, const char *what, struct err *e)
{
        for (size_t i = 0; i < j->n; i++) {
                if (strcmp(j->t[i].path, path) != 0)
                        continue;
                if (j->t[i].recursive == recursive && id_mapping_equal(j->t[i].mapping, m))
                        return 1;
                return err_set(e, EINVAL, "%s: source `%s` is also %s, with another idmap",
                               what, path, j->t[i].what);
        }
        return 0;
}

/* Whether `path` lies on an overlay: a runtime that maps volumes itself
 * cannot map those (an overlay mount cannot be idmapped), and the wrapper
 * takes them over.  What it is exactly is judged once it is opened. */
static bool on_overlay(const char *path)
{
        struct statfs fs;

        return statfs(path, &fs) == 0 && fs.f_type == OVERLAYFS_SUPER_MAGIC;
}

static int plan_volume(struct job *j, size_t i, bool runtime_idmaps, struct err *e)
{
        const struct oci_mount *m = &j->config.mounts[i];
        _cleanup_free_ char *path = NULL;
        const struct id_mapping *mapping;
        struct target *t;
        bool recursive;
        char what[300];
        int r;

        mapping = volume_mapping(&j->config, m, &recursive);
        if (!mapping)
                return 0;
        snprintf(what, sizeof(what), "config.json: mounts[%zu] (%.200s)", i, m->destination);
        /* both runtimes take a relative source from the bundle directory */
        if (m->source[0] == '/')
                path = strdup(m->source);
        else if (asprintf(&path, "%s/%s", j->bundle, m->source) < 0)
                path = NULL;
        if (!path)
                return err_set(e, ENOMEM, "out of memory");
        if (runtime_idmaps && !on_overlay(path))
                return 0;
        r = same_source(j, path, mapping, recursive, what, e);
        if (r != 0)
                return r < 0 ? r : 0;
        t = add_target(j, path, e);
        if (!t)
                return err_set(e, ENOMEM, "out of memory");
        memcpy(t->what, what, sizeof(what));
        t->mapping = mapping;
        t->recursive = recursive;
        t->asked = true;
        t->own_mapping = mapping != &j->config.idmap;
        t->mount_index = i;
        t->overlay_only = runtime_idmaps;
        return 0;
}

/* Drops every target under auto (the container starts as without the
 * wrapper); refuses when one was asked for explicitly. */
static int cannot_help(struct job *j, const char *why, struct err *e)
{
        for (size_t i = 0; i < j->n; i++)
                if (j->t[i].asked)
                        return err_set(e, EPERM, "%s: cannot be idmapped by the wrapper: %s",
                                       j->t[i].what, why);
        for (; j->n > 0; j->n--)
                free(j->t[j->n - 1].path);     /* no tree is made before this */
        return 0;
}

/* Fills j->t: the rootfs when the activation asks for it, each bind volume
 * that asks for an idmap the runtime will not make. */
static int job_plan(struct job *j, const char *runtime, struct err *e)
{
        const struct oci_config *c = &j->config;
        enum activation act;
        bool wanted = false, runtime_idmaps = false;
        int r;

        r = activation(c, &act, e);
        if (r < 0)
                return r;
        if (act == ACT_TRUE || (act == ACT_AUTO && rootfs_wants_idmap(c))) {
                struct target *t = add_target(j, c->rootfs, e);

                if (!t)
                        return err_set(e, ENOMEM, "out of memory");
                snprintf(t->what, sizeof(t->what), "rootfs");
                t->rootfs = true;
                t->mapping = &c->idmap;
                t->asked = act == ACT_TRUE;
        }
        for (size_t i = 0; i < c->n_mounts; i++)
                wanted |= volume_mapping(c, &c->mounts[i], &(bool){ false }) != NULL;
        /* asked only when it matters: it runs the runtime once more */
        if (wanted)
                runtime_idmaps = wrap_runtime_idmaps_mounts(runtime);
        for (size_t i = 0; r >= 0 && i < c->n_mounts; i++)
                r = plan_volume(j, i, runtime_idmaps, e);
        if (r < 0 || j->n == 0)
                return r;
        if (j->shared_propagation || asks_shared(c))
                return cannot_help(j, "config.json asks for shared mount propagation, which its "
                                   "private mount namespace would cut off", e);
        return 0;
}

/* What EINVAL from mount_setattr(MOUNT_ATTR_IDMAP) means has several
 * causes; the one checkable here is the filesystem, named from the mount
 * table.  The others are left open. */
static int idmap_error(const struct target *t, int at, int errnum, struct err *e)
{
        struct mountinfo mi = { 0 };
        const struct mountinfo_entry *m = NULL;
        struct statx stx;
        struct err ignored = { 0 };

        if (errnum == EINVAL && statx(at, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) == 0 &&
            (stx.stx_mask & STATX_MNT_ID) &&
            mountinfo_load("/proc/self/mountinfo", &mi, &ignored) == 0)
                m = mountinfo_by_id(&mi, (int)stx.stx_mnt_id);
        if (m)
                err_set(e, EINVAL, "%s: `%s` cannot be idmapped (mount_setattr(MOUNT_ATTR_IDMAP): "
                        "Invalid argument; filesystem %s%s)", t->what, t->path, m->fstype,
                        t->recursive ? ", or a mount below it" : "");
        else
                err_sys(e, errnum, "%s: mount_setattr(MOUNT_ATTR_IDMAP) `%s`", t->what, t->path);
        mountinfo_free(&mi);
        return -errnum;
}

/* Phase one, in the host's namespace, changing nothing there: a detached
 * recursive clone of t->path, idmapped (its top, or every mount in it for
 * ridmap).  Stored in t->tree.  The root of an overlay mount, which cannot
 * be idmapped, gets a new overlay on idmapped layers instead
 * (wrapper_overlay.c), in t->ovl.  1 when one of them is made, 0 when the
 * target is left to the runtime (t->overlay_only, and no overlay). */
static int make_tree(struct target *t, int userns, struct err *e)
{
        _cleanup_close_ int at = -EBADF, tree = -EBADF;
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (unsigned)userns };
        int r;

        at = open(t->path, O_PATH | O_CLOEXEC);
        if (at < 0)
                return err_sys(e, errno, "%s: open `%s`", t->what, t->path);
        r = wrap_overlay_make(at, t->path, t->what, t->mapping, t->recursive, userns, &t->ovl, e);
        if (r != 0 || t->overlay_only)
                return r;
        tree = open_tree(at, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
        if (tree < 0)
                return err_sys(e, errno, "%s: open_tree `%s`", t->what, t->path);
        if (mount_setattr(tree, "", AT_EMPTY_PATH | (t->recursive ? AT_RECURSIVE : 0), &attr,
                          sizeof(attr)) < 0)
                return idmap_error(t, at, errno, e);
        t->tree = TAKE_FD(tree);
        return 1;
}

/* Phase two, in the wrapper's own namespace: the tree goes on top of the
 * path it was cloned from.  A detached tree can be attached in any mount
 * namespace the caller is privileged over; the target must be in the
 * caller's own, so the path is opened again here, once, and the tree is
 * attached onto that handle. */
static int attach_tree(const struct target *t, struct err *e)
{
        _cleanup_close_ int at = open(t->path, O_PATH | O_CLOEXEC);

        if (at < 0)
                return err_sys(e, errno, "%s: open `%s`", t->what, t->path);
        if (t->ovl.mnt >= 0)
                return wrap_overlay_attach(&t->ovl, at, t->path, t->what, e);
        if (move_mount(t->tree, "", at, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return err_sys(e, errno, "%s: move_mount onto `%s`", t->what, t->path);
        return 0;
}

/* A namespace of the wrapper's own, slave to the host's: the host's mounts
 * keep reaching it (and the container), while what is mounted here (and
 * what the runtime mounts here) never reaches the host.  It lives as long
 * as a process in it: the runtime, then the container's own copy of it. */
static int enter_private_ns(struct err *e)
{
        if (unshare(CLONE_NEWNS) < 0)
                return err_sys(e, errno, "unshare(CLONE_NEWNS)");
        if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
                return err_sys(e, errno, "make `/` a recursive slave in the wrapper's namespace");
        return 0;
}

/* Makes each target's tree.  Under auto, a rootfs that cannot be idmapped
 * is left as it is, without a word; what was asked for explicitly fails
 * the command with the reason.  Returns how many trees are ready. */
static int make_trees(struct job *j, struct err *e)
{
        _cleanup_close_ int container_userns = -EBADF;
        int r, ready = 0;

        for (size_t i = 0; i < j->n; i++) {
                struct target *t = &j->t[i];
                _cleanup_close_ int own = -EBADF;
                struct err soft = { 0 };

                if (t->own_mapping) {
                        own = userns_fd(t->mapping, e);
                        if (own < 0)
                                return err_prefix(e, "%s", t->what);
                } else if (container_userns < 0) {
                        container_userns = userns_fd(t->mapping, e);
                        if (container_userns < 0)
                                return err_prefix(e, "config.json: linux.uidMappings/gidMappings");
                }
                r = make_tree(t, t->own_mapping ? own : container_userns, t->asked ? e : &soft);
                if (r < 0 && t->asked)
                        return r;
                ready += r > 0;
        }
        return ready;
}

/* The overlay volumes the wrapper rebuilt no longer ask the runtime (or a
 * hook) for an idmap, in the config.json shown in the wrapper's namespace
 * (wrapper_config.c says why). */
static int cover_config(const struct job *j, struct err *e)
{
        _cleanup_free_ bool *strip = calloc(j->config.n_mounts + 1, sizeof(*strip));
        _cleanup_free_ char *text = NULL;
        bool any = false;
        size_t len;
        int r;

        if (!strip)
                return err_set(e, ENOMEM, "out of memory");
        for (size_t i = 0; i < j->n; i++)
                if (!j->t[i].rootfs && j->t[i].ovl.mnt >= 0)
                        any = strip[j->t[i].mount_index] = true;
        if (!any)
                return 0;
        r = wrap_config_strip_idmaps(j->config_text, j->config_len, strip, j->config.n_mounts,
                                     &text, &len, e);
        return r < 0 ? r : wrap_config_cover(j->config_path, &j->config_stat, text, len, e);
}

/* Nothing changes anywhere until every tree is made: only then does the
 * wrapper leave the host's namespace, and only when there is a tree. */
static int job_apply(struct job *j, struct err *e)
{
        int r = make_trees(j, e);

        if (r <= 0)
                return r;
        r = enter_private_ns(e);
        for (size_t i = 0; r >= 0 && i < j->n; i++)
                if (j->t[i].tree >= 0 || j->t[i].ovl.mnt >= 0)
                        r = attach_tree(&j->t[i], e);
        return r < 0 ? r : cover_config(j, e);
}

/* An idmapped mount needs CAP_SYS_ADMIN in the user namespace that owns the
 * filesystem, the initial one for every disk filesystem: a wrapper run by a
 * rootless engine, inside a user namespace of its own, cannot make one.
 * NS_GET_PARENT cannot tell: it fails with EPERM in the initial namespace
 * and in a child alike (the parent is outside the caller's).  Only the
 * initial namespace maps every id to itself in one range (runc's
 * RunningInUserNS() reads uid_map the same way). */
static bool in_initial_userns(void)
{
        _cleanup_close_ int fd = open("/proc/self/uid_map", O_RDONLY | O_CLOEXEC);
        _cleanup_free_ char *buf = NULL;
        unsigned long inside, outside, count;
        size_t len;
        int end = 0;

        if (fd < 0 || read_input_fd(fd, 16 * 1024, &buf, &len) < 0)
                return false;
        return sscanf(buf, " %lu %lu %lu %n", &inside, &outside, &count, &end) == 3 &&
               (size_t)end == len && inside == 0 && outside == 0 && count == 4294967295ul;
}

int wrap_prepare(const struct wrap_args *a, const char *runtime, struct err *e)
{
        _cleanup_(job_free) struct job j = { 0 };
        int r;

        r = job_load(a, &j, e);
        if (r != 0)
                return r < 0 ? r : 0;
        r = job_plan(&j, runtime, e);
        if (r >= 0 && j.n > 0 && !in_initial_userns())
                r = cannot_help(&j, "it runs in a user namespace (rootless?), and idmapped mounts "
                                "need CAP_SYS_ADMIN in the initial one", e);
        if (r < 0 || j.n == 0)
                return r;
        return job_apply(&j, e);
}
