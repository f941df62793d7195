/* Printing a plan: one line per decision for people, JSON for scripts. */
#include "plan.h"

#include "mountflags.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <yajl/yajl_gen.h>

static void format_attrs(plan_attrs a, char *buf, size_t len)
{
        mount_flags_format(a, buf, len);
}

static const char *const step_names[] = {
        [STEP_IDMAP_STACK] = "idmap-stack",
        [STEP_IDMAP_SWAP] = "idmap-swap",
        [STEP_OVERLAY_STACK] = "overlay-stack",
        [STEP_OVERLAY_SWAP] = "overlay-swap",
        [STEP_SET_ATTRS] = "set-attrs",
        [STEP_MASK] = "mask",
        [STEP_READONLY_PATH] = "readonly-path",
};

void plan_step_format(const struct plan_step *s, const struct plan *p, char *buf, size_t len)
{
        char attrs[128], uids[IDMAP_TEXT_MAX], gids[IDMAP_TEXT_MAX];
        const struct id_mapping *m;
        const struct plan_overlay *o;

        switch (s->kind) {
        case STEP_IDMAP_STACK:
        case STEP_IDMAP_SWAP:
                m = p->mappings[s->mapping_index];
                idmap_format(&m->uid, uids, sizeof(uids));
                idmap_format(&m->gid, gids, sizeof(gids));
                snprintf(buf, len, "%s mount %d `%s` (%s): uids %s gids %s, %s", step_names[s->kind],
                         s->mount->mount_id, s->mount->mount_point, s->why, uids, gids,
                         s->recursive ? "recursive" : "top only");
                break;
        case STEP_OVERLAY_STACK:
        case STEP_OVERLAY_SWAP:
                m = p->mappings[s->mapping_index];
                o = &p->overlays[s->overlay_index];
                idmap_format(&m->uid, uids, sizeof(uids));
                idmap_format(&m->gid, gids, sizeof(gids));
                snprintf(buf, len, "%s mount %d `%s` (%s): %zu lower layers%s, made anew "
                         "on idmapped clones (uids %s gids %s) as uid %u gid %u%s",
                         step_names[s->kind], s->mount->mount_id, s->mount->mount_point, s->why,
                         o->options.n_lower, o->options.upper ? " and an upper layer" : "", uids,
                         gids, (unsigned)o->uid, (unsigned)o->gid,
                         s->recursive ? ", submounts idmapped too" : "");
                break;
        case STEP_SET_ATTRS:
                format_attrs(s->attrs, attrs, sizeof(attrs));
                snprintf(buf, len, "set-attrs mount %d `%s` (%s): %s", s->mount->mount_id,
                         s->mount->mount_point, s->why, attrs);
                break;
        case STEP_MASK:
        case STEP_READONLY_PATH:
                snprintf(buf, len, "%s `%s` (%s)", step_names[s->kind], s->path, s->why);
                break;
        }
}

static void print_entry(const struct plan_entry *pe, const char *label, FILE *f)
{
        char attrs[128], rec[128];

        fprintf(f, "%s %s", label, pe->destination);
        if (pe->type || pe->fstype)
                fprintf(f, " (%s)", pe->type ? pe->type : pe->fstype);
        if (pe->mount && pe->ident == IDENT_FOUND_BY_SOURCE)
                fprintf(f, " [mount %d at `%s`, found by its source]", pe->mount->mount_id,
                        pe->mount->mount_point);
        else if (pe->mount)
                fprintf(f, " [mount %d]", pe->mount->mount_id);
        else if (pe->ident == IDENT_NOT_THERE)
                fprintf(f, " [not at its destination]");
        else if (pe->ident == IDENT_AMBIGUOUS)
                fprintf(f, " [ambiguous at its destination]");
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
        if (p->notice[0])
                fprintf(f, "notice: %s\n", p->notice);
        for (size_t i = 0; i < p->n_steps; i++) {
                char line[1024];

                plan_step_format(&p->steps[i], p, line, sizeof(line));
                fprintf(f, "step %zu: %s\n", i + 1, line);
        }
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
        char names[128], *save = NULL;

        STR(g, key);
        yajl_gen_array_open(g);
        format_attrs(a, names, sizeof(names));
        for (char *t = strtok_r(names, ",", &save); a && t; t = strtok_r(NULL, ",", &save))
                STR(g, t);
        yajl_gen_array_close(g);
}

/* The overlay a step makes anew: its layers, as the kernel will be given
 * them, and the ids it is made with. */
static void gen_overlay(yajl_gen g, const struct plan_overlay *o)
{
        STR(g, "overlay");
        yajl_gen_map_open(g);
        STR(g, "lowerdirs");
        yajl_gen_array_open(g);
        for (size_t i = 0; i < o->options.n_lower; i++)
                STR(g, o->options.lower[i]);
        yajl_gen_array_close(g);
        STR(g, "upperdir");
        o->options.upper ? STR(g, o->options.upper) : yajl_gen_null(g);
        STR(g, "workdir");
        o->options.work ? STR(g, o->options.work) : yajl_gen_null(g);
        STR(g, "options");
        yajl_gen_array_open(g);
        for (size_t i = 0; i < o->options.n_other; i++)
                STR(g, o->options.other[i]);
        yajl_gen_array_close(g);
        STR(g, "uid");
        yajl_gen_integer(g, o->uid);
        STR(g, "gid");
        yajl_gen_integer(g, o->gid);
        yajl_gen_map_close(g);
}

static void gen_step(yajl_gen g, const struct plan *p, const struct plan_step *s)
{
        char line[1024];

        yajl_gen_map_open(g);
        STR(g, "kind");
        STR(g, step_names[s->kind]);
        if (s->mount) {
                STR(g, "mountID");
                yajl_gen_integer(g, s->mount->mount_id);
                STR(g, "mountPoint");
                STR(g, s->mount->mount_point);
        }
        if (s->kind == STEP_IDMAP_STACK || s->kind == STEP_IDMAP_SWAP ||
            s->kind == STEP_OVERLAY_STACK || s->kind == STEP_OVERLAY_SWAP) {
                STR(g, "recursive");
                yajl_gen_bool(g, s->recursive);
                STR(g, "userNamespace");
                yajl_gen_integer(g, s->mapping_index);
        }
        if (s->overlay_index >= 0)
                gen_overlay(g, &p->overlays[s->overlay_index]);
        if (s->kind == STEP_SET_ATTRS)
                gen_attrs(g, "attrs", s->attrs);
        if (s->path) {
                STR(g, "path");
                STR(g, s->path);
        }
        STR(g, "for");
        STR(g, s->why);
        plan_step_format(s, p, line, sizeof(line));
        STR(g, "text");
        STR(g, line);
        yajl_gen_map_close(g);
}

/* How an entry was paired with the runtime's mount (enum plan_ident). */
static const char *const ident_names[] = {
        [IDENT_NO_TABLE] = "no mount table",
        [IDENT_FOUND] = "at its destination",
        [IDENT_NOT_THERE] = "not at its destination",
        [IDENT_AMBIGUOUS] = "ambiguous at its destination",
        [IDENT_FOUND_BY_SOURCE] = "by its source",
};

static void gen_entry(yajl_gen g, const struct plan_entry *pe)
{
        yajl_gen_map_open(g);
        STR(g, "destination");
        STR(g, pe->destination);
        STR(g, "type");
        pe->type ? STR(g, pe->type) : yajl_gen_null(g);
        STR(g, "fstype");
        pe->fstype ? STR(g, pe->fstype) : yajl_gen_null(g);
        STR(g, "identified");
        STR(g, ident_names[pe->ident]);
        if (pe->mount) {
                STR(g, "mountID");
                yajl_gen_integer(g, pe->mount->mount_id);
                STR(g, "mountPoint");
                STR(g, pe->mount->mount_point);
        }
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
        STR(g, "notice");
        p->notice[0] ? STR(g, p->notice) : yajl_gen_null(g);
        STR(g, "steps");
        yajl_gen_array_open(g);
        for (size_t i = 0; i < p->n_steps; i++)
                gen_step(g, p, &p->steps[i]);
        yajl_gen_array_close(g);
        yajl_gen_map_close(g);
        yajl_gen_get_buf(g, &buf, &len);
        fwrite(buf, 1, len, f);
        yajl_gen_free(g);
        return ferror(f) ? -EIO : 0;
}
