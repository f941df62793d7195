/* Printing a plan: one line per decision for people, JSON for scripts. */
#include "plan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <yajl/yajl_gen.h>

static const struct {
        unsigned attr;
        const char *name;
} attr_names[] = {
        { MOUNT_ATTR_RDONLY, "ro" },
        { MOUNT_ATTR_NOSUID, "nosuid" },
        { MOUNT_ATTR_NODEV, "nodev" },
        { MOUNT_ATTR_NOEXEC, "noexec" },
        { MOUNT_ATTR_NOATIME, "noatime" },
        { MOUNT_ATTR_STRICTATIME, "strictatime" },
        { MOUNT_ATTR_NODIRATIME, "nodiratime" },
        { MOUNT_ATTR_NOSYMFOLLOW, "nosymfollow" },
};

static void format_attrs(plan_attrs a, char *buf, size_t len)
{
        size_t used = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < sizeof(attr_names) / sizeof(attr_names[0]) && used < len; i++)
                if (a & attr_names[i].attr)
                        used += (size_t)snprintf(buf + used, len - used, "%s%s",
                                                 used ? "," : "", attr_names[i].name);
        if (!used)
                snprintf(buf, len, "-");
}

static void print_entry(const struct plan_entry *pe, const char *label, FILE *f)
{
        char attrs[128], rec[128];

        fprintf(f, "%s %s", label, pe->destination);
        if (pe->type || pe->fstype)
                fprintf(f, " (%s)", pe->type ? pe->type : pe->fstype);
        if (pe->idmap) {
                char uids[IDMAP_TEXT_MAX], gids[IDMAP_TEXT_MAX];

                idmap_format(&pe->mapping->uid, uids, sizeof(uids));
                idmap_format(&pe->mapping->gid, gids, sizeof(gids));
                fprintf(f, ": idmap uids %s gids %s, %s", uids, gids,
                        pe->recursive ? "recursive" : "top only");
        } else {
                fprintf(f, ": keep, %s", plan_reason_str(pe->reason));
        }
        format_attrs(pe->attrs, attrs, sizeof(attrs));
        fprintf(f, "; carry over %s", attrs);
        if (pe->attrs_recursive) {
                format_attrs(pe->attrs_recursive, rec, sizeof(rec));
                fprintf(f, ", below it %s", rec);
        }
        fputc('\n', f);
}

static void print_list(const char *label, const char *const *items, size_t n, FILE *f)
{
        fprintf(f, "%s:", label);
        for (size_t i = 0; i < n; i++)
                fprintf(f, " %s", items[i]);
        fprintf(f, "%s\n", n ? "" : " -");
}

int plan_print_text(const struct plan *p, FILE *f)
{
        if (p->nothing_to_do)
                fprintf(f, "nothing to do: %s\n", plan_reason_str(p->why));
        fprintf(f, "rootfs: %s\n", p->rootfs);
        print_entry(&p->root, "mount", f);
        for (size_t i = 0; i < p->n_mounts; i++)
                print_entry(&p->mounts[i], "mount", f);
        print_list(p->carry_paths ? "masked paths" : "masked paths (left to the runtime)",
                   p->masked, p->n_masked, f);
        print_list(p->carry_paths ? "read-only paths" : "read-only paths (left to the runtime)",
                   p->readonly, p->n_readonly, f);
        fprintf(f, "user namespaces: %zu\n", p->n_mappings);
        return ferror(f) ? -EIO : 0;
}

/* A JSON string must be UTF-8, and a mount table's fields are bytes, not
 * text: a mount point, or a FUSE file system's subtype ("fuse.<subtype>"),
 * can hold any byte but white space.  yajl, told to validate, refuses such a
 * string and writes nothing; it is then written with each byte outside
 * printable ASCII (and the backslash) spelled as the text \xNN. */
static yajl_gen_status gen_string(yajl_gen g, const char *s)
{
        size_t len = strlen(s), n = 0;
        yajl_gen_status st = yajl_gen_string(g, (const unsigned char *)s, len);
        char *esc;

        if (st != yajl_gen_invalid_string)
                return st;
        esc = malloc(4 * len + 1);
        if (!esc)
                return yajl_gen_null(g);
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;

                n += (size_t)sprintf(esc + n, c >= 0x20 && c < 0x7f && c != '\\' ? "%c" : "\\x%02x", c);
        }
        st = yajl_gen_string(g, (const unsigned char *)esc, n);
        free(esc);
        return st;
}

#define STR(g, s) gen_string((g), (s))

static void gen_map(yajl_gen g, const char *key, const struct id_map *m)
{
        STR(g, key);
        yajl_gen_array_open(g);
        for (size_t i = 0; i < m->n; i++) {
                yajl_gen_map_open(g);
                STR(g, "containerID");
                yajl_gen_integer(g, m->r[i].container_id);
                STR(g, "hostID");
                yajl_gen_integer(g, m->r[i].host_id);
                STR(g, "size");
                yajl_gen_integer(g, m->r[i].size);
                yajl_gen_map_close(g);
        }
        yajl_gen_array_close(g);
}

static void gen_attrs(yajl_gen g, const char *key, plan_attrs a)
{
        STR(g, key);
        yajl_gen_array_open(g);
        for (size_t i = 0; i < sizeof(attr_names) / sizeof(attr_names[0]); i++)
                if (a & attr_names[i].attr)
                        STR(g, attr_names[i].name);
        yajl_gen_array_close(g);
}

static void gen_entry(yajl_gen g, const struct plan_entry *pe)
{
        yajl_gen_map_open(g);
        STR(g, "destination");
        STR(g, pe->destination);
        STR(g, "type");
        pe->type ? STR(g, pe->type) : yajl_gen_null(g);
        STR(g, "fstype");
        pe->fstype ? STR(g, pe->fstype) : yajl_gen_null(g);
        STR(g, "action");
        STR(g, pe->idmap ? "idmap" : "keep");
        STR(g, "reason");
        pe->idmap ? yajl_gen_null(g) : STR(g, plan_reason_str(pe->reason));
        if (pe->idmap) {
                STR(g, "recursive");
                yajl_gen_bool(g, pe->recursive);
                gen_map(g, "uidMappings", &pe->mapping->uid);
                gen_map(g, "gidMappings", &pe->mapping->gid);
                STR(g, "userNamespace");
                yajl_gen_integer(g, pe->mapping_index);
        }
        gen_attrs(g, "carryOver", pe->attrs);
        gen_attrs(g, "carryOverBelow", pe->attrs_recursive);
        yajl_gen_map_close(g);
}

static void gen_list(yajl_gen g, const char *key, const char *const *items, size_t n)
{
        STR(g, key);
        yajl_gen_array_open(g);
        for (size_t i = 0; i < n; i++)
                STR(g, items[i]);
        yajl_gen_array_close(g);
}

int plan_print_json(const struct plan *p, FILE *f)
{
        yajl_gen g = yajl_gen_alloc(NULL);
        const unsigned char *buf;
        size_t len;

        if (!g)
                return -ENOMEM;
        yajl_gen_config(g, yajl_gen_beautify, 1);
        yajl_gen_config(g, yajl_gen_validate_utf8, 1);
        yajl_gen_map_open(g);
        STR(g, "nothingToDo");
        yajl_gen_bool(g, p->nothing_to_do);
        STR(g, "why");
        p->nothing_to_do ? STR(g, plan_reason_str(p->why)) : yajl_gen_null(g);
        STR(g, "rootfs");
        STR(g, p->rootfs);
        STR(g, "mounts");
        yajl_gen_array_open(g);
        gen_entry(g, &p->root);
        for (size_t i = 0; i < p->n_mounts; i++)
                gen_entry(g, &p->mounts[i]);
        yajl_gen_array_close(g);
        STR(g, "carryPaths");
        yajl_gen_bool(g, p->carry_paths);
        gen_list(g, "maskedPaths", p->masked, p->n_masked);
        gen_list(g, "readonlyPaths", p->readonly, p->n_readonly);
        STR(g, "userNamespaces");
        yajl_gen_integer(g, (long long)p->n_mappings);
        yajl_gen_map_close(g);
        yajl_gen_get_buf(g, &buf, &len);
        fwrite(buf, 1, len, f);
        yajl_gen_free(g);
        return ferror(f) ? -EIO : 0;
}
