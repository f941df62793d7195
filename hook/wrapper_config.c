/* oci-idmap-runtime: the config.json the runtime reads, without the idmap
 * requests the wrapper met itself (wrapper_config.h).
 *
 * An overlay volume asking for `idmap` is met by the wrapper with a new
 * overlay on idmapped layers (wrapper_overlay.c).  A runtime that maps such
 * mounts itself (runc 1.2+, crun) would then try to idmap its bind of that
 * overlay, and an overlay mount cannot be idmapped: EINVAL, the container
 * does not start.  A hook installed as well would find an overlay whose
 * layers it cannot name (given as fds) and refuse it.  So the runtime is
 * shown, in the wrapper's own namespace only, a copy of config.json without
 * those requests: the file itself is never written.
 *
 * The copy is written from the strictly parsed tree: strings and numbers
 * keep their bytes, members their order; only the mounts' `idmap`/`ridmap`
 * options and `uidMappings`/`gidMappings` members named go.  It lives in a
 * small tmpfs of its own, never attached anywhere: one file of it is bound
 * onto config.json, so it lasts as long as that bind, and the mount is gone
 * with the namespace.
 */
#include "wrapper_config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "../base/cleanup.h"
#include "../oci/json.h"

static bool idmap_request(const struct json *v)
{
        return v->type == JSON_STRING &&
               (strcmp(v->s, "idmap") == 0 || strcmp(v->s, "ridmap") == 0);
}

static bool mapping_member(const struct json *v)
{
        return strcmp(v->key, "uidMappings") == 0 || strcmp(v->key, "gidMappings") == 0;
}

/* How the walk treats a value's members or elements: as written, as one
 * of the mounts to strip, or as such a mount's options. */
enum strip { KEEP, STRIP_MOUNT, STRIP_OPTIONS };

static void gen_value(yajl_gen g, const struct json *v, enum strip how);

static void gen_members(yajl_gen g, const struct json *v, enum strip how)
{
        json_for_each(m, v) {
                if (how == STRIP_MOUNT && mapping_member(m))
                        continue;
                yajl_gen_string(g, (const unsigned char *)m->key, m->key_len);
                gen_value(g, m, how == STRIP_MOUNT && strcmp(m->key, "options") == 0
                                        ? STRIP_OPTIONS : KEEP);
        }
}

static void gen_value(yajl_gen g, const struct json *v, enum strip how)
{
        switch (v->type) {
        case JSON_NULL:
                yajl_gen_null(g);
                break;
        case JSON_BOOL:
                yajl_gen_bool(g, v->b);
                break;
        case JSON_NUMBER:
                yajl_gen_number(g, v->s, v->len);
                break;
        case JSON_STRING:
                yajl_gen_string(g, (const unsigned char *)v->s, v->len);
                break;
        case JSON_ARRAY:
                yajl_gen_array_open(g);
                json_for_each(el, v)
                        if (how != STRIP_OPTIONS || !idmap_request(el))
                                gen_value(g, el, KEEP);
                yajl_gen_array_close(g);
                break;
        case JSON_OBJECT:
                yajl_gen_map_open(g);
                gen_members(g, v, how);
                yajl_gen_map_close(g);
                break;
        }
}

/* The root object, its `mounts` named in `strip` walked as mounts to strip. */
static void gen_root(yajl_gen g, const struct json *root, const bool *strip, size_t n)
{
        yajl_gen_map_open(g);
        json_for_each(m, root) {
                size_t i = 0;

                yajl_gen_string(g, (const unsigned char *)m->key, m->key_len);
                if (strcmp(m->key, "mounts") != 0 || m->type != JSON_ARRAY) {
                        gen_value(g, m, KEEP);
                        continue;
                }
                yajl_gen_array_open(g);
                json_for_each(el, m) {
                        gen_value(g, el, i < n && strip[i] && el->type == JSON_OBJECT
                                                 ? STRIP_MOUNT : KEEP);
                        i++;
                }
                yajl_gen_array_close(g);
        }
        yajl_gen_map_close(g);
}

int wrap_config_strip_idmaps(const char *buf, size_t len, const bool *strip, size_t n,
                             char **out, size_t *out_len, struct err *e)
{
        _cleanup_(json_doc_freep) struct json_doc *doc = NULL;
        const struct json *root;
        const unsigned char *text;
        yajl_gen g;
        size_t text_len;
        int r;

        r = json_parse(buf, len, "config.json", &doc, e);
        if (r < 0)
                return r;
        root = json_doc_root(doc);
        if (root->type != JSON_OBJECT)
                return err_set(e, EINVAL, "config.json: expected an object, got %s",
                               json_type_name(root));
        g = yajl_gen_alloc(NULL);
        if (!g)
                return err_set(e, ENOMEM, "out of memory");
        gen_root(g, root, strip, n);
        if (yajl_gen_get_buf(g, &text, &text_len) != yajl_gen_status_ok)
                r = err_set(e, EINVAL, "config.json: the copy without idmap requests could not "
                            "be written");
        else if (!(*out = malloc(text_len + 1)))
                r = err_set(e, ENOMEM, "out of memory");
        else {
                memcpy(*out, text, text_len);
                (*out)[text_len] = '\0';
                *out_len = text_len;
        }
        yajl_gen_free(g);
        return r;
}

/* A small tmpfs of its own, detached: holds the one file. */
static int small_tmpfs(struct err *e)
{
        _cleanup_close_ int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
        int mnt;

        if (fs < 0)
                return err_sys(e, errno, "fsopen tmpfs");
        if (fsconfig(fs, FSCONFIG_SET_STRING, "size", "4m", 0) < 0 ||
            fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0700", 0) < 0 ||
            fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return err_sys(e, errno, "make a tmpfs for the copy of config.json");
        mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                      MOUNT_ATTR_NOEXEC);
        return mnt < 0 ? err_sys(e, errno, "fsmount the tmpfs for the copy of config.json") : mnt;
}

static int write_all(int fd, const char *text, size_t len)
{
        while (len > 0) {
                ssize_t n = write(fd, text, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 ? -errno : -EIO;
                text += n;
                len -= (size_t)n;
        }
        return 0;
}

int wrap_config_cover(const char *path, const struct stat *read_from, const char *text, size_t len,
                      struct err *e)
{
        _cleanup_close_ int tmp = -EBADF, fd = -EBADF, file = -EBADF, at = -EBADF;
        struct stat st;
        int r;

        at = open(path, O_PATH | O_CLOEXEC);
        if (at < 0)
                return err_sys(e, errno, "open `%s`", path);
        if (fstat(at, &st) < 0)
                return err_sys(e, errno, "stat `%s`", path);
        if (st.st_dev != read_from->st_dev || st.st_ino != read_from->st_ino)
                return err_set(e, ESTALE, "`%s`: no longer the file that was read (changed "
                               "meanwhile)", path);
        tmp = small_tmpfs(e);
        if (tmp < 0)
                return tmp;
        fd = openat(tmp, "config.json", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 07777);
        if (fd < 0)
                return err_sys(e, errno, "create the copy of `%s`", path);
        r = write_all(fd, text, len);
        if (r < 0)
                return err_sys(e, -r, "write the copy of `%s`", path);
        file = open_tree(tmp, "config.json", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
        if (file < 0)
                return err_sys(e, errno, "open_tree the copy of `%s`", path);
        if (move_mount(file, "", at, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return err_sys(e, errno, "move_mount the copy onto `%s`", path);
        return 0;
}
