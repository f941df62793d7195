#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "../base/cleanup.h"
#include "json.h"
#include "path.h"
#include "../base/io.h"

/* ---- pieces of the document ---- */

static int take_string_array(const struct json *v, const char *where, const char *field,
                             char ***out, size_t *n, struct err *e)
{
        size_t i = 0;
        int r;

        r = json_expect(v, JSON_ARRAY, e, "%s: %s", where, field);
        if (r < 0)
                return r;
        if (v->len == 0)
                return 0;
        *out = calloc(v->len, sizeof(**out));
        if (!*out)
                return err_set(e, ENOMEM, "%s: %s: out of memory", where, field);
        json_for_each(s, v) {
                r = json_strdup(s, &(*out)[i], e, "%s: %s[%zu]", where, field, i);
                if (r < 0)
                        return r;       /* the caller frees the *n taken so far */
                *n = ++i;
        }
        return 0;
}

static int take_range(const struct json *v, const char *where, const char *field, size_t i,
                      struct id_range *range, struct err *e)
{
        static const char *const names[] = { "containerID", "hostID", "size" };
        uint32_t *dest[] = { &range->container_id, &range->host_id, &range->size };
        int r;

        r = json_expect(v, JSON_OBJECT, e, "%s: %s[%zu]", where, field, i);
        if (r < 0)
                return r;
        for (size_t k = 0; k < ARRAY_SIZE(names); k++) {
                const struct json *n = json_get(v, names[k]);

                if (!n)
                        return err_set(e, EINVAL, "%s: %s[%zu].%s: missing", where, field, i,
                                       names[k]);
                r = json_u32(n, dest[k], e, "%s: %s[%zu].%s", where, field, i, names[k]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int take_map(const struct json *v, const char *where, const char *field,
                    struct id_map *m, struct err *e)
{
        size_t i = 0;
        int r;

        r = json_expect(v, JSON_ARRAY, e, "%s: %s", where, field);
        if (r < 0)
                return r;
        if (v->len > IDMAP_MAX_RANGES)
                return err_set(e, EINVAL, "%s: %s: %u ranges, the kernel takes at most %d", where,
                               field, v->len, IDMAP_MAX_RANGES);
        json_for_each(range, v) {
                r = take_range(range, where, field, i, &m->r[i], e);
                if (r < 0)
                        return r;
                m->n = ++i;
        }
        return 0;
}

/* uidMappings and gidMappings of `obj` (linux, or one mount in
 * runtime-spec 1.1).  `field` prefixes their names ("linux." or
 * "mounts[4]."); `label` names them for id_mapping_validate's messages. */
static int take_mapping(const struct json *obj, const char *where, const char *field,
                        const char *label, struct id_mapping *m, bool *has, struct err *e)
{
        const struct json *uid = json_get(obj, "uidMappings");
        const struct json *gid = json_get(obj, "gidMappings");
        char name[256], where_uid[512], where_gid[512];
        int r;

        *has = false;
        if (uid) {
                snprintf(name, sizeof(name), "%suidMappings", field);
                r = take_map(uid, where, name, &m->uid, e);
                if (r < 0)
                        return r;
        }
        if (gid) {
                snprintf(name, sizeof(name), "%sgidMappings", field);
                r = take_map(gid, where, name, &m->gid, e);
                if (r < 0)
                        return r;
        }
        /* Empty lists are what an engine writes for "no mapping"; one list
         * without the other is refused by id_mapping_validate. */
        if (m->uid.n == 0 && m->gid.n == 0)
                return 0;
        *has = true;
        snprintf(where_uid, sizeof(where_uid), "%s: %suidMappings", where, label);
        snprintf(where_gid, sizeof(where_gid), "%s: %sgidMappings", where, label);
        return id_mapping_validate(m, where_uid, where_gid, e);
}

static int take_namespaces(const struct json *v, const char *where, struct oci_config *c,
                           struct err *e)
{
        size_t i = 0;
        int r;

        r = json_expect(v, JSON_ARRAY, e, "%s: linux.namespaces", where);
        if (r < 0)
                return r;
        json_for_each(ns, v) {
                const struct json *type, *path;

                r = json_expect(ns, JSON_OBJECT, e, "%s: linux.namespaces[%zu]", where, i);
                if (r < 0)
                        return r;
                type = json_get(ns, "type");
                if (!type)
                        return err_set(e, EINVAL, "%s: linux.namespaces[%zu].type: missing",
                                       where, i);
                r = json_expect(type, JSON_STRING, e, "%s: linux.namespaces[%zu].type", where, i);
                if (r < 0)
                        return r;
                path = json_get(ns, "path");
                if (path) {
                        r = json_expect(path, JSON_STRING, e, "%s: linux.namespaces[%zu].path",
                                        where, i);
                        if (r < 0)
                                return r;
                }
                if (strcmp(type->s, "user") == 0 && type->len == 4) {
                        c->has_userns = true;
                        /* A path joins an existing user namespace: its
                         * mapping is that namespace's, not linux.uidMappings. */
                        if (path && path->len > 0)
                                c->userns_joined = true;
                }
                i++;
        }
        return 0;
}

static int take_linux(const struct json *v, const char *where, struct oci_config *c,
                      struct err *e)
{
        const struct json *m;
        int r;

        r = json_expect(v, JSON_OBJECT, e, "%s: linux", where);
        if (r < 0)
                return r;
        r = take_mapping(v, where, "linux.", "linux.", &c->idmap, &c->has_idmap, e);
        if (r < 0)
                return r;
        m = json_get(v, "namespaces");
        if (m) {
                r = take_namespaces(m, where, c, e);
                if (r < 0)
                        return r;
        }
        m = json_get(v, "maskedPaths");
        if (m) {
                r = take_string_array(m, where, "linux.maskedPaths", &c->masked_paths,
                                      &c->n_masked, e);
                if (r < 0)
                        return r;
        }
        m = json_get(v, "readonlyPaths");
        if (m) {
                r = take_string_array(m, where, "linux.readonlyPaths", &c->readonly_paths,
                                      &c->n_readonly, e);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int take_optional_string(const struct json *obj, const char *key, const char *where,
                                size_t i, char **out, struct err *e)
{
        const struct json *v = json_get(obj, key);

        if (!v)
                return 0;
        return json_strdup(v, out, e, "%s: mounts[%zu].%s", where, i, key);
}

static int take_mount(const struct json *v, const char *where, size_t i, struct oci_mount *m,
                      struct err *e)
{
        const struct json *dest, *options;
        char field[64], label[MSG_QUOTE_MAX + 64], q[MSG_QUOTE_MAX];
        int r;

        r = json_expect(v, JSON_OBJECT, e, "%s: mounts[%zu]", where, i);
        if (r < 0)
                return r;
        dest = json_get(v, "destination");
        if (!dest)
                return err_set(e, EINVAL, "%s: mounts[%zu].destination: missing", where, i);
        r = json_strdup(dest, &m->destination, e, "%s: mounts[%zu].destination", where, i);
        if (r < 0)
                return r;
        /* The hook finds the mount under the rootfs by this path; a relative
         * one would mean whatever the runtime makes of it. */
        if (m->destination[0] != '/')
                return err_set(e, EINVAL, "%s: mounts[%zu].destination: %s is not absolute",
                               where, i, msg_quote(dest->s, dest->len, true, q, sizeof(q)));
        r = take_optional_string(v, "type", where, i, &m->type, e);
        if (r < 0)
                return r;
        r = take_optional_string(v, "source", where, i, &m->source, e);
        if (r < 0)
                return r;
        options = json_get(v, "options");
        if (options) {
                snprintf(field, sizeof(field), "mounts[%zu].options", i);
                r = take_string_array(options, where, field, &m->options, &m->n_options, e);
                if (r < 0)
                        return r;
        }
        if (!json_get(v, "uidMappings") && !json_get(v, "gidMappings"))
                return 0;
        m->idmap = calloc(1, sizeof(*m->idmap));
        if (!m->idmap)
                return err_set(e, ENOMEM, "%s: out of memory", where);
        snprintf(field, sizeof(field), "mounts[%zu].", i);
        snprintf(label, sizeof(label), "mounts[%zu] (%s): ", i,
                 msg_quote(dest->s, dest->len, false, q, sizeof(q)));
        r = take_mapping(v, where, field, label, m->idmap, &m->has_idmap, e);
        if (r >= 0 && !m->has_idmap) {
                free(m->idmap);
                m->idmap = NULL;
        }
        return r;
}

static int take_mounts(const struct json *v, const char *where, struct oci_config *c,
                       struct err *e)
{
        size_t i = 0;
        int r;

        r = json_expect(v, JSON_ARRAY, e, "%s: mounts", where);
        if (r < 0)
                return r;
        if (v->len > OCI_MOUNTS_MAX)
                return err_set(e, E2BIG, "%s: mounts: %u entries, the hook takes at most %d",
                               where, v->len, OCI_MOUNTS_MAX);
        if (v->len == 0)
                return 0;
        c->mounts = calloc(v->len, sizeof(*c->mounts));
        if (!c->mounts)
                return err_set(e, ENOMEM, "%s: mounts: out of memory", where);
        json_for_each(m, v) {
                c->n_mounts = i + 1;    /* so that oci_config_free sees it */
                r = take_mount(m, where, i, &c->mounts[i], e);
                if (r < 0)
                        return r;
                i++;
        }
        return 0;
}

static int take_root(const struct json *v, const char *bundle, const char *where,
                     struct oci_config *c, struct err *e)
{
        const struct json *path, *readonly;
        char q[MSG_QUOTE_MAX], qb[MSG_QUOTE_MAX];
        int r;

        r = json_expect(v, JSON_OBJECT, e, "%s: root", where);
        if (r < 0)
                return r;
        path = json_get(v, "path");
        if (!path)
                return err_set(e, EINVAL, "%s: root.path: missing", where);
        r = json_strdup(path, &c->root_path, e, "%s: root.path", where);
        if (r < 0)
                return r;
        if (c->root_path[0] == '\0')
                return err_set(e, EINVAL, "%s: root.path: empty", where);
        if (c->root_path[0] != '/' && (!bundle || bundle[0] != '/'))
                return err_set(e, EINVAL, "%s: root.path: %s is relative and the bundle %s is not absolute",
                               where, msg_quote(path->s, path->len, true, q, sizeof(q)),
                               bundle ? msg_quote(bundle, strlen(bundle), true, qb, sizeof(qb))
                                      : "(none)");
        /* Lexically, without looking at the filesystem: the hook must not
         * follow symlinks in a rootfs the container may control, and runc
         * does the same (filepath.Join/Clean). */
        c->rootfs = path_join(c->root_path[0] == '/' ? "/" : bundle, c->root_path);
        if (!c->rootfs)
                return err_set(e, ENOMEM, "%s: root.path: out of memory", where);
        readonly = json_get(v, "readonly");
        if (readonly) {
                r = json_bool(readonly, &c->root_readonly, e, "%s: root.readonly", where);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int config_from_json(const struct json *doc, const char *bundle, const char *where,
                            struct oci_config *c, struct err *e)
{
        const struct json *v;
        int r;

        r = json_expect(doc, JSON_OBJECT, e, "%s: the document", where);
        if (r < 0)
                return r;
        v = json_get(doc, "root");
        if (!v)
                return err_set(e, EINVAL, "%s: root: missing", where);
        r = take_root(v, bundle, where, c, e);
        if (r < 0)
                return r;
        v = json_get(doc, "mounts");
        if (v) {
                r = take_mounts(v, where, c, e);
                if (r < 0)
                        return r;
        }
        v = json_get(doc, "linux");
        if (v) {
                r = take_linux(v, where, c, e);
                if (r < 0)
                        return r;
        }
        v = json_get(doc, "annotations");
        if (v) {
                r = annotations_from_json(v, where, &c->annotations, e);
                if (r < 0)
                        return r;
        }
        return 0;
}

int oci_config_parse(const char *buf, size_t len, const char *bundle, const char *where,
                     struct oci_config *out, struct err *e)
{
        _cleanup_(json_doc_freep) struct json_doc *doc = NULL;
        int r;

        memset(out, 0, sizeof(*out));
        r = json_parse(buf, len, where, &doc, e);
        if (r < 0)
                return r;
        r = config_from_json(json_doc_root(doc), bundle, where, out, e);
        if (r < 0)
                oci_config_free(out);
        return r;
}

/* ---- reading a file by path ---- */

static const char *file_type_name(mode_t mode)
{
        switch (mode & S_IFMT) {
        case S_IFIFO: return "a FIFO";
        case S_IFDIR: return "a directory";
        case S_IFCHR: return "a character device";
        case S_IFBLK: return "a block device";
        case S_IFSOCK: return "a socket";
        case S_IFLNK: return "a symbolic link";
        default: return "not a regular file";
        }
}

static int require_regular(int fd, const char *path, struct stat *st, struct err *e)
{
        if (fstat(fd, st) < 0)
                return err_sys(e, errno, "stat `%s`", path);
        if (!S_ISREG(st->st_mode))
                return err_set(e, S_ISDIR(st->st_mode) ? EISDIR : EINVAL,
                               "`%s` is %s, not a regular file", path, file_type_name(st->st_mode));
        return 0;
}

/* Opening a FIFO for reading blocks until a writer comes, and opening a
 * device runs its driver's open (a tape rewinds, a watchdog arms).  So the
 * path is first opened O_PATH, which opens nothing, and only a regular file
 * is then opened for reading, through that very inode (/proc/self/fd), so
 * that a rename in between cannot slip another file in.  O_NONBLOCK and
 * O_NOCTTY make that second open harmless even if it met something else. */
int oci_read_file(const char *path, size_t max, char **buf, size_t *len, struct err *e)
{
        _cleanup_close_ int opath = -EBADF, fd = -EBADF;
        struct stat st, st2;
        char self[64];
        int r;

        opath = open(path, O_PATH | O_CLOEXEC);
        if (opath < 0)
                return err_sys(e, errno, "open `%s`", path);
        r = require_regular(opath, path, &st, e);
        if (r < 0)
                return r;
        snprintf(self, sizeof(self), "/proc/self/fd/%d", opath);
        fd = open(self, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 && errno == ENOENT)  /* no /proc: open the path itself */
                fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return err_sys(e, errno, "open `%s`", path);
        r = require_regular(fd, path, &st2, e);
        if (r < 0)
                return r;
        if (st.st_dev != st2.st_dev || st.st_ino != st2.st_ino)
                return err_set(e, EAGAIN, "`%s` was replaced while it was opened", path);
        r = read_input_fd(fd, max, buf, len);
        if (r == -EFBIG)
                return err_set(e, EFBIG, "`%s` is larger than %zu bytes", path, max);
        if (r < 0)
                return err_sys(e, -r, "read `%s`", path);
        return 0;
}

/* ---- loading ---- */

int oci_config_load_file(const char *config_path, const char *bundle_dir, struct oci_config *out,
                         struct err *e)
{
        _cleanup_free_ char *buf = NULL;
        const char *base = strrchr(config_path, '/');
        size_t len;
        int r;

        memset(out, 0, sizeof(*out));
        r = oci_read_file(config_path, OCI_CONFIG_MAX, &buf, &len, e);
        if (r < 0)
                return r;
        /* Messages name the document by its file name: "config.json" as
         * usual, or the one `crun --config` named. */
        base = base ? base + 1 : config_path;
        return oci_config_parse(buf, len, bundle_dir, base[0] ? base : config_path, out, e);
}

int oci_config_load(const char *bundle, struct oci_config *out, struct err *e)
{
        _cleanup_free_ char *path = NULL;

        memset(out, 0, sizeof(*out));
        if (asprintf(&path, "%s/config.json", bundle) < 0) {
                path = NULL;
                return err_set(e, ENOMEM, "config.json: out of memory");
        }
        return oci_config_load_file(path, bundle, out, e);
}

/* ---- the lenient probe ------------------------------------------------------
 *
 * A config.json the strict reader refused may still be one a runtime runs.
 * The probe reads it twice, as each runtime would, and asks of each reading
 * whether the container gets a user namespace with uid mappings (the only
 * containers the hook acts on).
 */

enum reading {
        READ_NO_USERNS,
        READ_USERNS,
        READ_UNCLEAR,   /* the runtime's answer hangs on what is not modelled here */
        READ_REFUSED,   /* the runtime refuses the document */
};

enum key_match { KEY_NO, KEY_YES, KEY_MAYBE };

/* Go's encoding/json matches an object key to a struct field regardless of
 * case.  ASCII letters fold as usual.  Go 1.21 and later also fold the
 * non-ASCII letters whose case mappings lead to ASCII ones (U+017F long s to
 * S, U+212A Kelvin sign to K, U+0130 and U+0131, dotted and dotless I, to I);
 * earlier versions fold only some of them.  A key that needs one of these to
 * match is KEY_MAYBE: runc's answer then depends on the Go it was built
 * with. */
static enum key_match go_key_match(const struct json *m, const char *field)
{
        static const struct { const char *utf8; char ascii; } folds[] = {
                { "\xc5\xbf", 'S' }, { "\xe2\x84\xaa", 'K' },
                { "\xc4\xb0", 'I' }, { "\xc4\xb1", 'I' },
        };
        const char *k = m->key, *end = m->key + m->key_len;
        bool special = false;

        for (; *field; field++) {
                size_t i;

                if (k == end)
                        return KEY_NO;
                /* field is all ASCII letters: equal but for bit 5 is the
                 * same letter in either case */
                if ((*k & 0xdf) == (*field & 0xdf)) {
                        k++;
                        continue;
                }
                for (i = 0; i < ARRAY_SIZE(folds); i++) {
                        size_t n = strlen(folds[i].utf8);

                        if ((*field & 0xdf) == folds[i].ascii && (size_t)(end - k) >= n &&
                            memcmp(k, folds[i].utf8, n) == 0) {
                                k += n;
                                special = true;
                                break;
                        }
                }
                if (i == ARRAY_SIZE(folds))
                        return KEY_NO;
        }
        if (k != end)
                return KEY_NO;
        return special ? KEY_MAYBE : KEY_YES;
}

/* The member Go decodes last into the struct field `field`, of all the
 * objects objs[0..n) that were decoded into one struct, in document order:
 * every matching member is decoded in turn, so the last one counts.  NULL
 * when none matches; *unclear is set when a key may or may not match. */
static const struct json *go_field(const struct json *const *objs, size_t n, const char *field,
                                   bool *unclear)
{
        const struct json *last = NULL;

        for (size_t i = 0; i < n; i++)
                json_for_each(m, objs[i]) {
                        enum key_match k = go_key_match(m, field);

                        if (k == KEY_MAYBE)
                                *unclear = true;
                        else if (k == KEY_YES)
                                last = m;
                }
        return last;
}

/* Whether one linux.namespaces entry is the user namespace, as runc gets it. */
static enum reading go_namespace(const struct json *ns, bool *is_user)
{
        bool unclear = false;
        const struct json *type;

        /* null leaves the element as it was: zero, or what an earlier
         * "namespaces" array left there. */
        if (ns->type == JSON_NULL)
                return READ_UNCLEAR;
        if (ns->type != JSON_OBJECT)
                return READ_REFUSED;
        type = go_field(&ns, 1, "type", &unclear);
        if (!type || type->type == JSON_NULL)
                return READ_UNCLEAR;
        if (type->type != JSON_STRING)
                return READ_REFUSED;
        *is_user = type->len == 4 && memcmp(type->s, "user", 4) == 0;
        return unclear ? READ_UNCLEAR : READ_NO_USERNS;
}

/* The "linux" members of the document as Go decodes them into runc's spec:
 * linux is a pointer, which null resets; each object after that decodes
 * into the one struct, so repeated "linux" objects merge.  Returns how many
 * count, or -1 when one is of a type Go refuses. */
static ssize_t go_linux_objects(const struct json *root, const struct json **objs, bool *unclear)
{
        size_t n = 0;
        bool refused = false;

        json_for_each(m, root) {
                enum key_match k = go_key_match(m, "linux");

                *unclear |= k == KEY_MAYBE;
                if (k != KEY_YES)
                        continue;
                if (m->type == JSON_NULL)
                        n = 0;
                else if (m->type == JSON_OBJECT)
                        objs[n++] = m;
                else
                        refused = true;
        }
        return refused ? -1 : (ssize_t)n;
}

/* runc: Go's encoding/json into the runtime-spec structs.  Within the merged
 * "linux", the last "namespaces" and "uidMappings" count.  A slice takes the
 * last array's length, but its elements are decoded into those already
 * there, so a repeated "namespaces" can leave stale fields: an entry without
 * a "type" of its own is unclear. */
static enum reading go_reading(const struct json *root)
{
        _cleanup_free_ const struct json **objs = NULL;
        const struct json *ns, *maps;
        bool unclear = false, user = false;
        ssize_t n;

        if (root->type != JSON_OBJECT)
                return READ_REFUSED;
        objs = calloc(root->len ? root->len : 1, sizeof(*objs));
        if (!objs)
                return READ_UNCLEAR;
        n = go_linux_objects(root, objs, &unclear);
        if (n < 0)
                return READ_REFUSED;
        ns = go_field(objs, (size_t)n, "namespaces", &unclear);
        maps = go_field(objs, (size_t)n, "uidMappings", &unclear);
        if ((ns && ns->type != JSON_ARRAY && ns->type != JSON_NULL) ||
            (maps && maps->type != JSON_ARRAY && maps->type != JSON_NULL))
                return READ_REFUSED;
        if (ns && ns->type == JSON_ARRAY)
                json_for_each(v, ns) {
                        bool is_user = false;
                        enum reading one = go_namespace(v, &is_user);

                        if (one == READ_REFUSED)
                                return one;
                        unclear |= one == READ_UNCLEAR;
                        user |= is_user;
                }
        if (unclear)
                return READ_UNCLEAR;
        return user && maps && maps->type == JSON_ARRAY && maps->len > 0 ? READ_USERNS
                                                                        : READ_NO_USERNS;
}

/* crun: libocispec looks each key up with yajl_tree_get, which takes the
 * first member of that exact name.  A member of an unexpected type is left
 * unclear (libocispec may take it for absent or refuse it). */
static enum reading crun_reading(const struct json *root)
{
        const struct json *linux_, *ns, *maps;
        bool user = false;

        if (root->type != JSON_OBJECT)
                return READ_REFUSED;
        linux_ = json_get(root, "linux");
        if (!linux_)
                return READ_NO_USERNS;
        if (linux_->type != JSON_OBJECT)
                return READ_UNCLEAR;
        ns = json_get(linux_, "namespaces");
        maps = json_get(linux_, "uidMappings");
        if ((ns && ns->type != JSON_ARRAY) || (maps && maps->type != JSON_ARRAY))
                return READ_UNCLEAR;
        if (ns)
                json_for_each(v, ns) {
                        const struct json *type = json_get(v, "type");

                        if (!type || type->type != JSON_STRING)
                                return READ_UNCLEAR;
                        user |= type->len == 4 && memcmp(type->s, "user", 4) == 0;
                }
        return user && maps && maps->len > 0 ? READ_USERNS : READ_NO_USERNS;
}

static enum reading read_as(const char *buf, size_t len, unsigned flags,
                            enum reading (*reading)(const struct json *))
{
        _cleanup_(json_doc_freep) struct json_doc *doc = NULL;
        struct err e = { 0 };
        int r = json_parse_flags(buf, len, "config.json", flags, &doc, &e);

        if (r == -ENOMEM || r == -E2BIG || r == -EFBIG)
                return READ_UNCLEAR;    /* too large to tell, which is no refusal */
        if (r < 0)
                return READ_REFUSED;
        return reading(json_doc_root(doc));
}

enum oci_userns_probe oci_config_probe_userns_text(const char *buf, size_t len)
{
        /* Go's json.Decoder: repeated keys, any bytes in strings, nesting
         * up to 10000, nothing looked at after the first value. */
        enum reading go = read_as(buf, len,
                                  JSON_ALLOW_DUPLICATES | JSON_ANY_BYTES | JSON_ALLOW_TRAILING,
                                  go_reading);
        /* yajl_tree_parse: repeated keys, comments, any depth; strings must
         * be UTF-8 and nothing may follow the value. */
        enum reading crun = read_as(buf, len,
                                    JSON_ALLOW_DUPLICATES | JSON_ALLOW_COMMENTS | JSON_ANY_DEPTH,
                                    crun_reading);

        if (go == READ_REFUSED && crun == READ_REFUSED)
                return OCI_PROBE_NO_USERNS;     /* neither runtime runs it */
        if (go == READ_REFUSED)
                go = crun;
        if (crun == READ_REFUSED)
                crun = go;
        if (go != crun || go == READ_UNCLEAR)
                return OCI_PROBE_UNKNOWN;
        return go == READ_USERNS ? OCI_PROBE_USERNS : OCI_PROBE_NO_USERNS;
}

enum oci_userns_probe oci_config_probe_userns(const char *config_path)
{
        _cleanup_free_ char *buf = NULL;
        struct err e = { 0 };
        size_t len;

        if (oci_read_file(config_path, OCI_CONFIG_MAX, &buf, &len, &e) < 0)
                return OCI_PROBE_UNKNOWN;
        return oci_config_probe_userns_text(buf, len);
}

static void free_strv(char **v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

void oci_config_free(struct oci_config *c)
{
        free(c->root_path);
        free(c->rootfs);
        free_strv(c->masked_paths, c->n_masked);
        free_strv(c->readonly_paths, c->n_readonly);
        for (size_t i = 0; i < c->n_mounts; i++) {
                struct oci_mount *m = &c->mounts[i];

                free(m->destination);
                free(m->type);
                free(m->source);
                free_strv(m->options, m->n_options);
                free(m->idmap);
        }
        free(c->mounts);
        annotations_free(&c->annotations);
        memset(c, 0, sizeof(*c));
}

bool oci_mount_has_option(const struct oci_mount *m, const char *opt)
{
        for (size_t i = 0; i < m->n_options; i++)
                if (strcmp(m->options[i], opt) == 0)
                        return true;
        return false;
}

bool oci_mount_is_bind(const struct oci_mount *m)
{
        return (m->type && strcmp(m->type, "bind") == 0) || oci_mount_has_option(m, "bind") ||
               oci_mount_has_option(m, "rbind");
}

const char *oci_mount_option_value(const struct oci_mount *m, const char *name)
{
        size_t len = strlen(name);
        const char *value = NULL;

        for (size_t i = 0; i < m->n_options; i++)
                if (strncmp(m->options[i], name, len) == 0 && m->options[i][len] == '=')
                        value = m->options[i] + len + 1;
        return value;
}
