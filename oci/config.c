#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        snprintf(field, sizeof(field), "mounts[%zu].", i);
        snprintf(label, sizeof(label), "mounts[%zu] (%s): ", i,
                 msg_quote(dest->s, dest->len, false, q, sizeof(q)));
        return take_mapping(v, where, field, label, &m->idmap, &m->has_idmap, e);
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

int oci_config_load(const char *bundle, struct oci_config *out, struct err *e)
{
        _cleanup_free_ char *path = NULL, *buf = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t len;
        int r;

        memset(out, 0, sizeof(*out));
        if (asprintf(&path, "%s/config.json", bundle) < 0) {
                path = NULL;
                return err_set(e, ENOMEM, "config.json: out of memory");
        }
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return err_sys(e, errno, "open `%s`", path);
        r = read_input_fd(fd, OCI_CONFIG_MAX, &buf, &len);
        if (r == -EFBIG)
                return err_set(e, EFBIG, "config.json: larger than %d bytes", OCI_CONFIG_MAX);
        if (r < 0)
                return err_sys(e, -r, "read `%s`", path);
        return oci_config_parse(buf, len, bundle, "config.json", out, e);
}

bool oci_config_probe_userns(const char *bundle)
{
        _cleanup_(json_doc_freep) struct json_doc *doc = NULL;
        _cleanup_free_ char *path = NULL, *buf = NULL;
        _cleanup_close_ int fd = -EBADF;
        const struct json *linux_, *ns, *maps;
        struct err e = { 0 };
        bool userns = false;
        size_t len;

        if (asprintf(&path, "%s/config.json", bundle) < 0)
                return true;    /* cannot tell: assume it does */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 || read_input_fd(fd, OCI_CONFIG_MAX, &buf, &len) < 0)
                return true;
        if (json_parse_flags(buf, len, "config.json", JSON_ALLOW_DUPLICATES, &doc, &e) < 0)
                return false;   /* not JSON at all: the runtime refuses it itself */
        linux_ = json_get(json_doc_root(doc), "linux");
        ns = linux_ ? json_get(linux_, "namespaces") : NULL;
        maps = linux_ ? json_get(linux_, "uidMappings") : NULL;
        if (ns && ns->type == JSON_ARRAY) {
                json_for_each(n, ns) {
                        const struct json *type = json_get(n, "type");

                        userns |= type && type->type == JSON_STRING && strcmp(type->s, "user") == 0;
                }
        }
        return userns && maps && maps->type == JSON_ARRAY && maps->len > 0;
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

const char *oci_mount_option_value(const struct oci_mount *m, const char *name)
{
        size_t len = strlen(name);
        const char *value = NULL;

        for (size_t i = 0; i < m->n_options; i++)
                if (strncmp(m->options[i], name, len) == 0 && m->options[i][len] == '=')
                        value = m->options[i] + len + 1;
        return value;
}
