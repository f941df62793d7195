/* The id-mapping model: what the kernel takes in uid_map/gid_map, and crun's
 * idmap=... mount option.
 *
 * The rules below are those of map_write() in kernel/user_namespace.c, the
 * function behind a write to /proc/<pid>/uid_map and gid_map.  The hook writes
 * as root in the initial user namespace, so new_idmap_permitted() lets every
 * lower id through, and map_id_range_down() into the initial namespace's map
 * ("0 0 4294967295") asks nothing more than the parse already did.  What is
 * left, and what idmap_validate() refuses ahead of the write, is:
 *
 *   - one write() at offset 0 of fewer than PAGE_SIZE bytes (`count >=
 *     PAGE_SIZE` is EINVAL), so the whole map text stays under 4096 bytes;
 *   - at most UID_GID_MAP_MAX_EXTENTS (340) lines and at least one;
 *   - neither start may be (u32)-1, and `first + count <= first` (in u32) is
 *     refused: a size of 0, and any range whose last id would be 4294967295
 *     or past it.  4294967295 is (uid_t)-1, the "no id" of chown(2), never a
 *     real id: the highest id a range can reach is 4294967294;
 *   - mappings_overlap(): no two ranges may share an id, on the inside
 *     (containerID) or on the outside (hostID).
 *
 * Checked by hand on this kernel: "0 0 4294967295" and "4294967294 0 1" are
 * taken; "4294967295 0 1", "0 4294967295 1", "1 0 4294967295" and "0 0 0" are
 * refused; 340 lines are taken and 341 refused; 4095 bytes are taken and 4096
 * refused.
 */
#include "idmap.h"

#include "../base/io.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The highest id a range may reach: one below (uid_t)-1. */
#define ID_LAST UINT64_C(4294967294)
#define ID_INVALID UINT64_C(4294967295)

/* "4294967295 4294967295 4294967295\n" */
#define RANGE_TEXT_MAX 33

/* ---- one range ---------------------------------------------------------- */

static uint64_t range_last(uint32_t first, uint32_t size)
{
        return (uint64_t)first + size - 1;
}

static int check_side(const char *where, size_t i, const char *side, uint32_t first,
                      uint32_t size, struct err *e)
{
        uint64_t last = range_last(first, size);

        if (last > ID_INVALID)
                return err_set(e, EINVAL, "%s[%zu]: %s %" PRIu32 " + size %" PRIu32 " overflows",
                               where, i, side, first, size);
        if (last == ID_INVALID)
                return err_set(e, EINVAL,
                               "%s[%zu]: %s %" PRIu32 " + size %" PRIu32
                               " reaches 4294967295, which is (uid_t)-1 and never a valid id",
                               where, i, side, first, size);
        return 0;
}

/* The per-line checks of map_write(): size not 0, no wrap, no (u32)-1. */
static int check_range(const struct id_range *r, const char *where, size_t i, struct err *e)
{
        int ret;

        if (r->size == 0)
                return err_set(e, EINVAL, "%s[%zu]: size 0, a range maps at least one id",
                               where, i);
        ret = check_side(where, i, "containerID", r->container_id, r->size, e);
        if (ret < 0)
                return ret;
        return check_side(where, i, "hostID", r->host_id, r->size, e);
}

static bool spans_overlap(uint32_t a, uint32_t b, uint32_t size_a, uint32_t size_b)
{
        return a <= range_last(b, size_b) && b <= range_last(a, size_a);
}

/* mappings_overlap() in the kernel: each new line against every earlier one,
 * on both sides. */
static int check_overlaps(const struct id_map *m, const char *where, struct err *e)
{
        for (size_t i = 1; i < m->n; i++) {
                const struct id_range *r = &m->r[i];

                for (size_t j = 0; j < i; j++) {
                        const struct id_range *p = &m->r[j];

                        if (spans_overlap(r->container_id, p->container_id, r->size, p->size))
                                return err_set(e, EINVAL,
                                               "%s[%zu]: containerID range %" PRIu32 "-%" PRIu64
                                               " overlaps [%zu] %" PRIu32 "-%" PRIu64,
                                               where, i, r->container_id,
                                               range_last(r->container_id, r->size), j,
                                               p->container_id,
                                               range_last(p->container_id, p->size));
                        if (spans_overlap(r->host_id, p->host_id, r->size, p->size))
                                return err_set(e, EINVAL,
                                               "%s[%zu]: hostID range %" PRIu32 "-%" PRIu64
                                               " overlaps [%zu] %" PRIu32 "-%" PRIu64,
                                               where, i, r->host_id,
                                               range_last(r->host_id, r->size), j, p->host_id,
                                               range_last(p->host_id, p->size));
                }
        }
        return 0;
}

static size_t decimal_width(uint32_t v)
{
        size_t w = 1;

        while (v >= 10) {
                v /= 10;
                w++;
        }
        return w;
}

/* Length of the uid_map text idmap_render() writes, without the NUL. */
static size_t map_text_len(const struct id_map *m)
{
        size_t len = 0;

        for (size_t i = 0; i < m->n; i++)
                len += decimal_width(m->r[i].container_id) + decimal_width(m->r[i].host_id) +
                       decimal_width(m->r[i].size) + 3;
        return len;
}

/* ---- whole maps --------------------------------------------------------- */

int idmap_validate(const struct id_map *m, const char *where, struct err *e)
{
        size_t text;
        int ret;

        if (m->n == 0)
                return err_set(e, EINVAL, "%s: no ranges, the kernel needs at least one", where);
        /* Checked before r[] is read: a parser may count past the array. */
        if (m->n > IDMAP_MAX_RANGES)
                return err_set(e, EINVAL, "%s: %zu ranges, the kernel takes at most %d", where,
                               m->n, IDMAP_MAX_RANGES);
        for (size_t i = 0; i < m->n; i++) {
                ret = check_range(&m->r[i], where, i, e);
                if (ret < 0)
                        return ret;
        }
        ret = check_overlaps(m, where, e);
        if (ret < 0)
                return ret;
        /* 340 lines of 10-digit ids do not fit in a page, and the kernel takes
         * the map in one write of fewer than PAGE_SIZE bytes. */
        text = map_text_len(m);
        if (text >= IDMAP_TEXT_MAX)
                return err_set(e, EINVAL,
                               "%s: %zu ranges make %zu bytes of map text, the kernel takes "
                               "one write of at most %d",
                               where, m->n, text, IDMAP_TEXT_MAX - 1);
        return 0;
}

int id_mapping_validate(const struct id_mapping *m, const char *where_uid,
                        const char *where_gid, struct err *e)
{
        int ret;

        /* A user namespace with a uid map and no gid map (or the reverse)
         * leaves every id of the other kind unmapped: files show as the
         * overflow id 65534 and cannot be created. */
        if (m->uid.n == 0 && m->gid.n > 0)
                return err_set(e, EINVAL, "%s: missing, while %s has %zu range%s: both are needed",
                               where_uid, where_gid, m->gid.n, m->gid.n == 1 ? "" : "s");
        if (m->gid.n == 0 && m->uid.n > 0)
                return err_set(e, EINVAL, "%s: missing, while %s has %zu range%s: both are needed",
                               where_gid, where_uid, m->uid.n, m->uid.n == 1 ? "" : "s");
        ret = idmap_validate(&m->uid, where_uid, e);
        if (ret < 0)
                return ret;
        return idmap_validate(&m->gid, where_gid, e);
}

int idmap_render(const struct id_map *m, char *buf, size_t len)
{
        size_t text, pos = 0;

        if (len > 0)
                buf[0] = '\0';
        if (m->n == 0)
                return -EINVAL;         /* map_write() refuses an empty map */
        if (m->n > IDMAP_MAX_RANGES)
                return -E2BIG;
        text = map_text_len(m);
        if (text >= IDMAP_TEXT_MAX || text >= len)
                return -E2BIG;
        for (size_t i = 0; i < m->n; i++)
                pos += (size_t)snprintf(buf + pos, len - pos,
                                        "%" PRIu32 " %" PRIu32 " %" PRIu32 "\n",
                                        m->r[i].container_id, m->r[i].host_id, m->r[i].size);
        return (int)pos;
}

int idmap_format(const struct id_map *m, char *buf, size_t len)
{
        size_t n = m->n < IDMAP_MAX_RANGES ? m->n : IDMAP_MAX_RANGES;
        size_t pos = 0;

        if (len == 0)
                return -E2BIG;
        buf[0] = '\0';
        for (size_t i = 0; i < n; i++) {
                char piece[RANGE_TEXT_MAX + 1];
                int w = snprintf(piece, sizeof(piece), "%s%" PRIu32 ":%" PRIu32 ":%" PRIu32,
                                 i ? "," : "", m->r[i].container_id, m->r[i].host_id,
                                 m->r[i].size);
                /* Room for this piece, and for "..." unless it is the last. */
                size_t need = (size_t)w + (i + 1 < n ? 3 : 0);

                if (pos + need >= len) {
                        if (pos + 3 < len)
                                memcpy(buf + pos, "...", 4);
                        return -E2BIG;
                }
                memcpy(buf + pos, piece, (size_t)w + 1);
                pos += (size_t)w;
        }
        if (m->n > n) {
                if (pos + 3 < len)
                        memcpy(buf + pos, "...", 4);
                return -E2BIG;
        }
        return (int)pos;
}

static bool covers(uint32_t first, uint32_t size, uint64_t id)
{
        return id >= first && id <= range_last(first, size);
}

static const struct id_range *container_range_of(const struct id_map *m, uint64_t id)
{
        for (size_t i = 0; i < m->n && i < IDMAP_MAX_RANGES; i++)
                if (covers(m->r[i].container_id, m->r[i].size, id))
                        return &m->r[i];
        return NULL;
}

bool idmap_host_has(const struct id_map *m, uint32_t host_id)
{
        for (size_t i = 0; i < m->n && i < IDMAP_MAX_RANGES; i++)
                if (covers(m->r[i].host_id, m->r[i].size, host_id))
                        return true;
        return false;
}

bool idmap_container_has(const struct id_map *m, uint32_t container_id)
{
        return container_range_of(m, container_id) != NULL;
}

bool idmap_to_host(const struct id_map *m, uint32_t container_id, uint32_t *host_id)
{
        const struct id_range *r = container_range_of(m, container_id);

        if (r)
                *host_id = r->host_id + (container_id - r->container_id);
        return r != NULL;
}

static int range_cmp(const void *a, const void *b)
{
        const struct id_range *x = a, *y = b;

        if (x->container_id != y->container_id)
                return x->container_id < y->container_id ? -1 : 1;
        if (x->host_id != y->host_id)
                return x->host_id < y->host_id ? -1 : 1;
        if (x->size != y->size)
                return x->size < y->size ? -1 : 1;
        return 0;
}

/* Sorted by containerID, with ranges that continue each other on both sides
 * merged: one form for each id-to-id function. */
static void normalise(const struct id_map *in, struct id_map *out)
{
        size_t n = in->n < IDMAP_MAX_RANGES ? in->n : IDMAP_MAX_RANGES;

        out->n = 0;
        memcpy(out->r, in->r, n * sizeof(in->r[0]));
        qsort(out->r, n, sizeof(out->r[0]), range_cmp);
        for (size_t i = 0; i < n; i++) {
                struct id_range *last = out->n ? &out->r[out->n - 1] : NULL;
                const struct id_range *r = &out->r[i];

                if (last && (uint64_t)last->container_id + last->size == r->container_id &&
                    (uint64_t)last->host_id + last->size == r->host_id &&
                    (uint64_t)last->size + r->size <= UINT32_MAX) {
                        last->size += r->size;
                        continue;
                }
                out->r[out->n++] = *r;
        }
}

/* The kernel sorts the extents (sort_idmaps()) and looks ids up by range, so
 * two maps that send every id to the same place make the same namespace,
 * whatever the order or the split of their ranges. */
bool idmap_equal(const struct id_map *a, const struct id_map *b)
{
        struct id_map na, nb;

        if (a == b)
                return true;
        normalise(a, &na);
        normalise(b, &nb);
        return na.n == nb.n && memcmp(na.r, nb.r, na.n * sizeof(na.r[0])) == 0;
}

bool id_mapping_equal(const struct id_mapping *a, const struct id_mapping *b)
{
        return idmap_equal(&a->uid, &b->uid) && idmap_equal(&a->gid, &b->gid);
}

int idmap_parse_proc(const char *text, struct id_map *out)
{
        const char *p = text;

        out->n = 0;
        for (;;) {
                uint32_t v[3];

                while (*p == ' ' || *p == '\n')
                        p++;
                if (!*p)
                        return 0;
                if (out->n == IDMAP_MAX_RANGES)
                        return -E2BIG;
                for (int k = 0; k < 3; k++) {
                        uint64_t n = 0;
                        const char *start;

                        while (*p == ' ')
                                p++;
                        start = p;
                        while (*p >= '0' && *p <= '9' && n <= UINT32_MAX)
                                n = n * 10 + (uint64_t)(*p++ - '0');
                        if (p == start || n > UINT32_MAX)
                                return -EINVAL;
                        v[k] = (uint32_t)n;
                }
                if (*p && *p != '\n')
                        return -EINVAL;
                out->r[out->n++] = (struct id_range){ v[0], v[1], v[2] };
        }
}

/* ---- crun's idmap=... mount option ---------------------------------------- */

/* The option's text goes into one-line messages, quoted by msg_quote. */
struct quoted {
        char s[MSG_QUOTE_MAX];
};

static const char *quote(struct quoted *q, const char *s, size_t n)
{
        return msg_quote(s, n, true, q->s, sizeof(q->s));
}

/* One "uids=..." or "gids=..." part of the option, for messages. */
struct part {
        const char *where;
        const char *text;
        size_t len;
        const char *kind;       /* "uid" or "gid" */
        struct err *e;
};

/* `<where>: "<part>" <what>`, or `<where>: "<part>": "<token>" <what>`. */
static int part_error(const struct part *p, const char *what, const char *tok, size_t tok_len)
{
        struct quoted qp, qt;

        quote(&qp, p->text, p->len);
        if (!tok)
                return err_set(p->e, EINVAL, "%s: %s %s", p->where, qp.s, what);
        quote(&qt, tok, tok_len);
        return err_set(p->e, EINVAL, "%s: %s: %s %s", p->where, qp.s, qt.s, what);
}

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

/* isspace() in the C locale, as strtol() skips it. */
static bool is_space(char c)
{
        return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Reads one decimal id of [*s, end) up to the next '-'. */
static int parse_field(const struct part *p, const char **s, const char *end, uint32_t *out)
{
        const char *start = *s, *stop = start, *digits;
        uint64_t v = 0;

        while (stop < end && *stop != '-')
                stop++;
        if (stop == start) {
                if (start == end)
                        return part_error(p, "needs container-host-size", NULL, 0);
                /* An empty field before a '-': "0--1-10" or "-1-0-10". */
                stop = start + 1;
                while (stop < end && *stop != '-')
                        stop++;
                return part_error(p, "is negative", start, (size_t)(stop - start));
        }
        /* What strtol() takes before the digits, as crun reads them: white
         * space, then a '+' ("gids=+0-1-10" is 0-1-10). */
        digits = start;
        while (digits < stop && is_space(*digits))
                digits++;
        if (digits < stop && *digits == '+')
                digits++;
        if (digits == stop)
                return part_error(p, "is not a number", start, (size_t)(stop - start));
        for (const char *c = digits; c < stop; c++) {
                if (!is_digit(*c))
                        return part_error(p, "is not a number", start, (size_t)(stop - start));
                if (v <= ID_INVALID)
                        v = v * 10 + (uint64_t)(*c - '0');
        }
        if (v > ID_INVALID)
                return part_error(p, "is past 4294967295", start, (size_t)(stop - start));
        *out = (uint32_t)v;
        *s = stop;
        return 0;
}

/* "[@]c-h-n", the text between two '#'. */
static int parse_triplet(const struct part *p, const char *s, const char *end,
                         struct id_range *r, bool *relative)
{
        uint32_t v[3];
        int ret;

        if (s == end)
                return part_error(p, "has an empty range", NULL, 0);
        *relative = *s == '@';
        if (*relative)
                s++;
        for (int i = 0; i < 3; i++) {
                if (i > 0) {
                        if (s == end)
                                return part_error(p, "needs container-host-size", NULL, 0);
                        s++;    /* the '-' parse_field stopped at */
                }
                ret = parse_field(p, &s, end, &v[i]);
                if (ret < 0)
                        return ret;
        }
        if (s != end)
                return part_error(p, "is junk after container-host-size", s, (size_t)(end - s));
        r->container_id = v[0];
        r->host_id = v[1];
        r->size = v[2];
        return 0;
}

/* Appends a range, counting past the array so that the caller can say how
 * many there would have been. */
static void map_append(struct id_map *m, size_t *count, uint32_t c, uint32_t h, uint32_t n)
{
        if (*count < IDMAP_MAX_RANGES)
                m->r[*count] = (struct id_range){ .container_id = c, .host_id = h, .size = n };
        (*count)++;
}

/* '@': the middle value names container ids, as the container's own map
 * `ctr` sees them; they become the host ids `ctr` maps them to. */
static int append_relative(const struct part *p, const struct id_range *r, const struct id_map *ctr,
                           struct id_map *out, size_t *count)
{
        uint64_t fs = r->container_id, want = r->host_id, left = r->size;

        if (!ctr || ctr->n == 0) {
                struct quoted qp;

                return err_set(p->e, EINVAL,
                               "%s: %s: '@' is relative to the container's %s mapping, "
                               "and it has none",
                               p->where, quote(&qp, p->text, p->len), p->kind);
        }
        while (left > 0) {
                const struct id_range *cr = container_range_of(ctr, want);
                uint64_t off, run;

                if (!cr) {
                        struct quoted qp;

                        return err_set(p->e, EINVAL,
                                       "%s: %s: container %s %" PRIu64
                                       " is not in the container's %s mapping",
                                       p->where, quote(&qp, p->text, p->len), p->kind, want,
                                       p->kind);
                }
                off = want - cr->container_id;
                run = (uint64_t)cr->size - off;
                if (run > left)
                        run = left;
                map_append(out, count, (uint32_t)fs, (uint32_t)(cr->host_id + off), (uint32_t)run);
                fs += run;
                want += run;
                left -= run;
        }
        return 0;
}

/* The ranges of one part: text after "uids=" / "gids=", split on '#'. */
static int parse_part_ranges(const struct part *p, const char *s, const char *end,
                             const struct id_map *ctr, struct id_map *out)
{
        char where[512];
        size_t count = 0, idx = 0;
        int ret;

        snprintf(where, sizeof(where), "%s: %ss", p->where, p->kind);
        if (s == end)
                return part_error(p, "has no ranges", NULL, 0);
        for (;;) {
                const char *hash = memchr(s, '#', (size_t)(end - s));
                const char *stop = hash ? hash : end;
                struct id_range r;
                bool relative = false;

                ret = parse_triplet(p, s, stop, &r, &relative);
                if (ret < 0)
                        return ret;
                /* The '@' middle value is a container id: same bounds. */
                ret = check_range(&r, where, idx, p->e);
                if (ret < 0)
                        return ret;
                if (relative)
                        ret = append_relative(p, &r, ctr, out, &count);
                else
                        map_append(out, &count, r.container_id, r.host_id, r.size);
                if (ret < 0)
                        return ret;
                idx++;
                if (!hash)
                        break;
                s = hash + 1;
        }
        out->n = count;
        return idmap_validate(out, where, p->e);
}

static const struct id_map *container_map(const struct id_mapping *c, bool uids)
{
        if (!c)
                return NULL;
        return uids ? &c->uid : &c->gid;
}

/* One piece between ';': "uids=..." or "gids=...". */
static int parse_part(const struct part *base, const char *s, const char *stop,
                      const struct id_mapping *container, struct id_mapping *res,
                      bool *have_uids, bool *have_gids)
{
        struct part p = *base;
        bool uids;
        int ret;

        p.text = s;
        p.len = (size_t)(stop - s);
        if (p.len >= 5 && memcmp(s, "uids=", 5) == 0)
                uids = true;
        else if (p.len >= 5 && memcmp(s, "gids=", 5) == 0)
                uids = false;
        else
                return part_error(&p, "is neither uids=... nor gids=...", NULL, 0);
        p.kind = uids ? "uid" : "gid";
        /* crun would write that map twice, and the kernel refuses the second. */
        if (uids ? *have_uids : *have_gids)
                return part_error(&p, uids ? "repeats uids=" : "repeats gids=", NULL, 0);
        ret = parse_part_ranges(&p, s + 5, stop, container_map(container, uids),
                                uids ? &res->uid : &res->gid);
        if (ret < 0)
                return ret;
        if (uids)
                *have_uids = true;
        else
                *have_gids = true;
        return 0;
}

/* The option's syntax and meaning, as crun implements them:
 * parse_idmapped_mount_option() and maybe_create_userns_for_idmapped_mount()
 * in crun's src/libcrun/linux.c, documented under "idmap mount options" in
 * crun.1.md.
 *
 *   - The value after "idmap=" is split on ';' (strtok_r: empty pieces are
 *     skipped); each piece starts "uids=" or "gids=" (case matters), anything
 *     else is "invalid option".  An empty value is the plain `idmap` option:
 *     the mount takes the container's own user namespace.  The caller handles
 *     plain `idmap`; "" here returns `container` for the same reason.
 *   - After "uids=", ranges are separated by '#'; a range is three decimal
 *     numbers separated by '-': the id on the backing file system (written
 *     as the inside, containerID, of the new namespace's map), the id it is
 *     shown as (written as the outside, hostID), and the size.  crun writes
 *     them verbatim as "c h n" lines to the new namespace's uid_map.
 *   - A leading '@' makes the range relative: the middle value (the hostID
 *     side) is then a container id, as the container's own linux.uidMappings
 *     (or gidMappings) sees it, and crun adds hostID - containerID of the
 *     container range holding it.  So with the container mapped 0:100000:65536,
 *     "uids=@1000-0-1" shows on-disk uid 1000 as the container's root (host
 *     100000).  The first value is never translated.  crun 1.8.1 (installed
 *     here) looked the range up by the first value instead; crun PR #1372
 *     ("fix checking of relative idmapped mount", Dec 2023) made it the middle
 *     one, as documented and as podman's parseIDMapMountOption() does.  The
 *     two agree whenever both values fall in one container range.
 *   - crun translates a whole relative range by the offset of the container
 *     range holding its first container id (the middle value), and crun.1.md
 *     leaves it to the caller to split a range that runs across container
 *     ranges ("there won't be any error reported").  Here such a range is
 *     split along the container's ranges, each piece translated through its
 *     own range; it is refused when an id of it is not mapped in the
 *     container at all.
 *   - With only uids= (or only gids=), crun writes only that map of the new
 *     namespace and leaves the other unwritten: every id of the other kind is
 *     unmapped on the mount (files show as 65534, creating one fails with
 *     EOVERFLOW).  podman's parseIDMapMountOption() instead fills the missing
 *     kind from the container's mapping; this does the same, since a mount
 *     without, say, gids is of no use to anyone.
 *
 * crun reads each number with strtol() and writes it back with "%ld", so
 * white space and a '+' before the digits vanish: "gids=+0-1-10" and
 * "gids= 0-1-10" are "gids=0-1-10", with no relative or other meaning.
 * Checked with crun 1.8.1 and 1.27.1, container mapped 0:100000:1000 and
 * 1000:200000:64536: a file owned 0:0 on disk shows as 5:7 under
 * "uids=+0-100005-10;gids=+0-100007-10", as under the same without '+'.
 * The same run shows the '@' lookup below: "uids=@0-1500-10" shows it as
 * 1500 under crun 1.27.1 and as 65534 under crun 1.8.1.  These are read
 * the same way here.  strtol() also takes a '-', and numbers past 2^32: a
 * negative id makes the kernel refuse the map, and a number past 2^32 the
 * kernel's simple_strtoul() silently cuts to 32 bits (a "4294967296 100000 1"
 * line is taken as "0 100000 1"); both are refused here.  crun is loose
 * about separators too (a '#' may start the list, and a range may follow
 * the previous one with no '#' when it starts with '@' or a sign): this
 * takes '-' and '#' only where the documented form has them.  The result is
 * checked with idmap_validate(). */
int idmap_parse_crun_option(const char *value, const struct id_mapping *container,
                            struct id_mapping *out, const char *where, struct err *e)
{
        const struct part base = { .where = where, .e = e };
        struct id_mapping res = { 0 };
        bool have_uids = false, have_gids = false;
        const char *s = value ? value : "";
        int ret;

        for (;;) {
                const char *semi = strchr(s, ';');
                const char *stop = semi ? semi : s + strlen(s);

                if (stop > s) {
                        ret = parse_part(&base, s, stop, container, &res, &have_uids, &have_gids);
                        if (ret < 0)
                                return ret;
                }
                if (!semi)
                        break;
                s = semi + 1;
        }

        if (!have_uids) {
                if (!container || container->uid.n == 0)
                        return err_set(e, EINVAL,
                                       "%s: no uids= given, and the container has no uid "
                                       "mapping to use",
                                       where);
                res.uid = container->uid;
        }
        if (!have_gids) {
                if (!container || container->gid.n == 0)
                        return err_set(e, EINVAL,
                                       "%s: no gids= given, and the container has no gid "
                                       "mapping to use",
                                       where);
                res.gid = container->gid;
        }
        *out = res;
        return 0;
}
