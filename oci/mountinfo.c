#include "mountinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
/* glibc 2.36 defines MOUNT_ATTR_* here; <linux/mount.h> would redefine them. */
#include <sys/mount.h>

#include "../base/cleanup.h"
#include "json.h"
#include "mountflags.h"
#include "../base/io.h"

/* ---- one line ---- */

struct line {
        const char *where;
        unsigned lineno;
        char *p;        /* the next field */
        char *end;      /* the line's terminating NUL */
        bool done;      /* no field left */
};

/* "<where>:<line>: <message>"; a field's value goes in through quote(). */
static int line_error(const struct line *l, struct err *e, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int line_error(const struct line *l, struct err *e, const char *fmt, ...)
{
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return err_set(e, EINVAL, "%s:%u: %s", l->where, l->lineno, msg);
}

#define quote(s, q) msg_quote((s), strlen(s), true, (q), sizeof(q))

/* The next space-separated field, NUL-terminated in place.  Fields may be
 * empty: a mount made with an empty source shows as "- tmpfs  rw". */
static char *next_field(struct line *l)
{
        char *start = l->p, *sp;

        if (l->done)
                return NULL;
        sp = memchr(start, ' ', (size_t)(l->end - start));
        if (!sp) {
                l->done = true;
                return start;
        }
        *sp = '\0';
        l->p = sp + 1;
        return start;
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
        unsigned long n = 0;

        if (!*s)
                return false;
        for (; *s; s++) {
                if (*s < '0' || *s > '9')
                        return false;
                if (n > (max - (unsigned long)(*s - '0')) / 10)
                        return false;
                n = n * 10 + (unsigned long)(*s - '0');
        }
        *out = n;
        return true;
}

static bool is_octal(char c)
{
        return c >= '0' && c <= '7';
}

/* The kernel writes space, tab, newline and backslash in paths as \ooo
 * (proc(5), seq_escape); any other backslash, and an escaped NUL (which no
 * path holds), means the line is not what the kernel wrote. */
static bool escapes_valid(const char *s)
{
        for (; *s; s++) {
                if (*s != '\\')
                        continue;
                if (!(s[1] >= '0' && s[1] <= '3') || !is_octal(s[2]) || !is_octal(s[3]))
                        return false;
                if (s[1] == '0' && s[2] == '0' && s[3] == '0')
                        return false;
                s += 3;
        }
        return true;
}

static void unescape(char *s)
{
        char *w = s;

        while (*s) {
                if (*s == '\\') {
                        *w++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
                        s += 4;
                } else {
                        *w++ = *s++;
                }
        }
        *w = '\0';
}

static int take_path(struct line *l, char *field, const char *name, struct err *e)
{
        char q[MSG_QUOTE_MAX];

        if (!field)
                return line_error(l, e, "too few fields: no %s", name);
        if (!escapes_valid(field))
                return line_error(l, e, "%s: bad escape in %s", name, quote(field, q));
        unescape(field);
        return 0;
}

static int take_id(struct line *l, const char *field, const char *name, int *out, struct err *e)
{
        char q[MSG_QUOTE_MAX];
        unsigned long n;

        if (!field)
                return line_error(l, e, "too few fields: no %s", name);
        if (!parse_uint(field, INT_MAX, &n))
                return line_error(l, e, "%s: expected a number, got %s", name, quote(field, q));
        *out = (int)n;
        return 0;
}

static int take_devno(struct line *l, char *field, struct mountinfo_entry *m, struct err *e)
{
        unsigned long major, minor;
        char q[MSG_QUOTE_MAX];
        char *colon;

        if (!field)
                return line_error(l, e, "too few fields: no major:minor");
        colon = strchr(field, ':');
        if (!colon)
                return line_error(l, e, "major:minor: expected two numbers, got %s", quote(field, q));
        *colon = '\0';
        if (!parse_uint(field, UINT_MAX, &major) || !parse_uint(colon + 1, UINT_MAX, &minor)) {
                *colon = ':';
                return line_error(l, e, "major:minor: expected two numbers, got %s", quote(field, q));
        }
        m->major = (unsigned)major;
        m->minor = (unsigned)minor;
        return 0;
}

/* The per-mount flags of field (6); "idmapped" is how the kernel (5.12+)
 * marks a mount with an idmap attached. */
static void take_mount_options(struct mountinfo_entry *m)
{
        const char *p = m->mount_options;

        m->attrs = mount_flags_from_mountinfo(p);
        while (*p) {
                size_t len = strcspn(p, ",");

                if (len == 8 && memcmp(p, "idmapped", 8) == 0)
                        m->idmapped = true;
                p += len;
                if (*p == ',')
                        p++;
        }
}

/* "shared:N", "master:N" among the optional fields (7): the peer group the
 * mount propagates to and the one it receives from. */
static void take_propagation(struct mountinfo_entry *m)
{
        const char *p = m->optional_fields;

        while (*p) {
                size_t len = strcspn(p, " ");
                unsigned long n;
                char num[16];

                for (int k = 0; k < 2; k++) {
                        const char *tag = k ? "master:" : "shared:";
                        size_t tl = strlen(tag), nl = len - tl;

                        if (len <= tl || nl >= sizeof(num) || memcmp(p, tag, tl) != 0)
                                continue;
                        memcpy(num, p + tl, nl);
                        num[nl] = '\0';
                        if (parse_uint(num, INT_MAX, &n))
                                *(k ? &m->master : &m->shared) = (int)n;
                }
                p += len;
                while (*p == ' ')
                        p++;
        }
}

/* Fields (7) and (8): zero or more optional fields, then "-". */
static int take_optional_fields(struct line *l, struct mountinfo_entry *m, struct err *e)
{
        char *first = NULL, *f;

        while ((f = next_field(l)) && strcmp(f, "-") != 0)
                if (!first)
                        first = f;
        if (!f)
                return line_error(l, e, "no \" - \" separator");
        if (first) {
                /* give the optional fields their spaces back */
                for (char *p = first; p < f - 1; p++)
                        if (*p == '\0')
                                *p = ' ';
                m->optional_fields = first;
        } else {
                m->optional_fields = f + 1;     /* the empty string after "-" */
        }
        return 0;
}

static int parse_line(struct line *l, struct mountinfo_entry *m, struct err *e)
{
        char *tail[3], q[MSG_QUOTE_MAX];
        size_t n_tail = 0;
        char *f;
        int r;

        *m = (struct mountinfo_entry){ 0 };
        if (l->p == l->end)
                return line_error(l, e, "empty line");
        r = take_id(l, next_field(l), "mount id", &m->mount_id, e);
        if (r < 0)
                return r;
        r = take_id(l, next_field(l), "parent id", &m->parent_id, e);
        if (r < 0)
                return r;
        r = take_devno(l, next_field(l), m, e);
        if (r < 0)
                return r;
        m->root = next_field(l);
        r = take_path(l, m->root, "root", e);
        if (r < 0)
                return r;
        m->mount_point = next_field(l);
        r = take_path(l, m->mount_point, "mount point", e);
        if (r < 0)
                return r;
        if (m->mount_point[0] != '/')
                return line_error(l, e, "mount point: %s is not absolute", quote(m->mount_point, q));
        m->mount_options = next_field(l);
        if (!m->mount_options)
                return line_error(l, e, "too few fields: no mount options");
        take_mount_options(m);
        r = take_optional_fields(l, m, e);
        if (r < 0)
                return r;
        take_propagation(m);
        /* After the separator: type, source, super options, nothing more
         * (the kernel escapes spaces inside each). */
        while ((f = next_field(l))) {
                if (n_tail == ARRAY_SIZE(tail))
                        return line_error(l, e, "more than 3 fields after \" - \"");
                tail[n_tail++] = f;
        }
        if (n_tail < 3)
                return line_error(l, e, "fewer than 3 fields after \" - \"");
        m->fstype = tail[0];
        r = take_path(l, m->fstype, "filesystem type", e);
        if (r < 0)
                return r;
        if (m->fstype[0] == '\0')
                return line_error(l, e, "filesystem type: empty");
        m->source = tail[1];
        r = take_path(l, m->source, "source", e);
        if (r < 0)
                return r;
        m->super_options = tail[2];
        return 0;
}

/* ---- the table ---- */

static size_t count_lines(const char *buf, size_t len)
{
        size_t n = 0;

        for (const char *p = buf; (p = memchr(p, '\n', len - (size_t)(p - buf))); p++)
                n++;
        if (len > 0 && buf[len - 1] != '\n')
                n++;
        return n;
}

static int cmp_id(const void *a, const void *b)
{
        const struct mountinfo_entry *x = *(const struct mountinfo_entry *const *)a;
        const struct mountinfo_entry *y = *(const struct mountinfo_entry *const *)b;

        return (x->mount_id > y->mount_id) - (x->mount_id < y->mount_id);
}

static int cmp_parent(const void *a, const void *b)
{
        const struct mountinfo_entry *x = *(const struct mountinfo_entry *const *)a;
        const struct mountinfo_entry *y = *(const struct mountinfo_entry *const *)b;

        if (x->parent_id != y->parent_id)
                return (x->parent_id > y->parent_id) - (x->parent_id < y->parent_id);
        return strcmp(x->mount_point, y->mount_point);
}

static int build_index(struct mountinfo *mi)
{
        mi->by_id = malloc(2 * (mi->n ? mi->n : 1) * sizeof(*mi->by_id));
        if (!mi->by_id)
                return -ENOMEM;
        mi->by_parent = mi->by_id + mi->n;
        for (size_t i = 0; i < mi->n; i++)
                mi->by_id[i] = mi->by_parent[i] = &mi->e[i];
        qsort(mi->by_id, mi->n, sizeof(*mi->by_id), cmp_id);
        qsort(mi->by_parent, mi->n, sizeof(*mi->by_parent), cmp_parent);
        return 0;
}

int mountinfo_parse(const char *buf, size_t len, const char *where,
                    struct mountinfo *out, struct err *e)
{
        struct mountinfo_entry *entries;
        size_t n = count_lines(buf, len), i = 0;
        char *text, *p;

        *out = (struct mountinfo){ 0 };
        if (n > (SIZE_MAX - len - 1) / sizeof(*entries))
                return err_set(e, E2BIG, "%s: too large", where);
        /* One allocation: the entries, then a copy of the text that the
         * entries' strings point into once split and unescaped in place. */
        entries = malloc(n * sizeof(*entries) + len + 1);
        if (!entries)
                return err_set(e, ENOMEM, "%s: out of memory", where);
        text = (char *)(entries + n);
        memcpy(text, buf, len);
        text[len] = '\0';
        for (p = text; p < text + len; i++) {
                char *nl = memchr(p, '\n', (size_t)(text + len - p));
                char *end = nl ? nl : text + len;
                struct line l = { .where = where, .lineno = (unsigned)(i + 1), .p = p, .end = end };
                int r;

                if (memchr(p, '\0', (size_t)(end - p))) {
                        free(entries);
                        return line_error(&l, e, "NUL byte in the line");
                }
                *end = '\0';
                r = parse_line(&l, &entries[i], e);
                if (r < 0) {
                        free(entries);
                        return r;
                }
                p = end + 1;
        }
        out->n = i;
        out->e = entries;
        if (build_index(out) < 0) {
                mountinfo_free(out);
                return err_set(e, ENOMEM, "%s: out of memory", where);
        }
        return 0;
}

/* The one reader: opens `name` at `dirfd` (a /proc/<pid> directory, or
 * AT_FDCWD), reads it to its end and parses it; `where` names it. */
int mountinfo_read_at(int dirfd, const char *name, const char *where, struct mountinfo *out,
                      struct err *e)
{
        _cleanup_free_ char *buf = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t len;
        int r;

        *out = (struct mountinfo){ 0 };
        fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return err_sys(e, errno, "open `%s`", where);
        /* /proc/<pid>/mountinfo says size 0 and comes in page-sized reads:
         * read_input_fd reads to the end. */
        r = read_input_fd(fd, MOUNTINFO_MAX, &buf, &len);
        if (r == -EFBIG)
                return err_set(e, EFBIG, "%s: larger than %d bytes", where, MOUNTINFO_MAX);
        if (r < 0)
                return err_sys(e, -r, "read `%s`", where);
        return mountinfo_parse(buf, len, where, out, e);
}

int mountinfo_load(const char *path, struct mountinfo *out, struct err *e)
{
        return mountinfo_read_at(AT_FDCWD, path, path, out, e);
}

void mountinfo_free(struct mountinfo *mi)
{
        free(mi->e);
        free(mi->by_id);
        *mi = (struct mountinfo){ 0 };
}

const struct mountinfo_entry *mountinfo_by_id(const struct mountinfo *mi, int mount_id)
{
        struct mountinfo_entry key = { .mount_id = mount_id };
        const struct mountinfo_entry *k = &key, **found;

        if (!mi->by_id)
                return NULL;
        found = bsearch(&k, mi->by_id, mi->n, sizeof(*mi->by_id), cmp_id);
        return found ? *found : NULL;
}

/* The mount stacked right on `m` at the same mount point, or NULL. */
static const struct mountinfo_entry *mounted_on(const struct mountinfo *mi,
                                                const struct mountinfo_entry *m)
{
        return mountinfo_child_at(mi, m, m->mount_point);
}

/* Climbs a stack of mounts at one point; NULL on a cycle (a forged table). */
static const struct mountinfo_entry *stack_top(const struct mountinfo *mi,
                                               const struct mountinfo_entry *m)
{
        for (size_t steps = 0; steps <= mi->n; steps++) {
                const struct mountinfo_entry *up = mounted_on(mi, m);

                if (!up)
                        return m;
                m = up;
        }
        return NULL;
}

/* Resolves `path` the way a lookup crosses mounts: from the top of "/" down,
 * component by component, each time onto the top of the stack mounted on
 * the mount reached so far.  This tells apart two stacks at one point when
 * one was hidden by a mount made later on a directory above it. */
static const struct mountinfo_entry *walk(const struct mountinfo *mi, const char *path)
{
        const struct mountinfo_entry *cur = NULL;
        char *prefix;
        const char *p;

        for (size_t i = 0; i < mi->n && !cur; i++)
                if (strcmp(mi->e[i].mount_point, "/") == 0 &&
                    !mountinfo_by_id(mi, mi->e[i].parent_id))
                        cur = &mi->e[i];
        if (!cur || !(cur = stack_top(mi, cur)))
                return NULL;
        prefix = strdup(path);
        if (!prefix)
                return NULL;
        for (p = path + 1; *p;) {
                const char *slash = strchr(p, '/');
                size_t len = slash ? (size_t)(slash - path) : strlen(path);
                const struct mountinfo_entry *x;

                memcpy(prefix, path, len);
                prefix[len] = '\0';
                x = mountinfo_child_at(mi, cur, prefix);
                if (x) {
                        cur = stack_top(mi, x);
                        if (!cur)
                                break;
                }
                if (!slash)
                        break;
                p = slash + 1;
        }
        free(prefix);
        return cur;
}

static const struct mountinfo_entry *top_by_walk(const struct mountinfo *mi, const char *path)
{
        const struct mountinfo_entry *cur = walk(mi, path);

        return cur && strcmp(cur->mount_point, path) == 0 ? cur : NULL;
}

const struct mountinfo_entry *mountinfo_lookup(const struct mountinfo *mi, const char *path)
{
        return path[0] == '/' ? walk(mi, path) : NULL;
}

const struct mountinfo_entry *mountinfo_top(const struct mountinfo *mi, const char *mount_point)
{
        const struct mountinfo_entry *found = NULL, *walked;
        size_t n_found = 0;

        /* The file lists mounts by id, not in mount order: crun's table
         * lists the rootfs bind mount after the mounts made on it.  The top
         * is the one nothing at the same point is mounted on. */
        for (size_t i = 0; i < mi->n; i++) {
                const struct mountinfo_entry *x = &mi->e[i];

                if (strcmp(x->mount_point, mount_point) == 0 && !mounted_on(mi, x)) {
                        found = x;
                        n_found++;
                }
        }
        if (n_found <= 1)
                return found;
        walked = top_by_walk(mi, mount_point);
        return walked ? walked : found;
}

bool mountinfo_is_below(const struct mountinfo *mi, const struct mountinfo_entry *e,
                        const struct mountinfo_entry *ancestor)
{
        int id = e->parent_id;

        /* bounded: a forged table may hold a cycle */
        for (size_t steps = 0; steps < mi->n; steps++) {
                const struct mountinfo_entry *p;

                if (id == ancestor->mount_id)
                        return true;
                p = mountinfo_by_id(mi, id);
                if (!p || p->parent_id == p->mount_id)
                        return false;
                id = p->parent_id;
        }
        return false;
}

bool mountinfo_visible(const struct mountinfo *mi, const struct mountinfo_entry *e)
{
        return top_by_walk(mi, e->mount_point) == e;
}

const struct mountinfo_entry *mountinfo_child_at(const struct mountinfo *mi,
                                                 const struct mountinfo_entry *parent,
                                                 const char *mount_point)
{
        struct mountinfo_entry key = { .parent_id = parent->mount_id, .mount_point = (char *)mount_point };
        const struct mountinfo_entry *k = &key, **found;

        if (!mi->by_parent)
                return NULL;
        found = bsearch(&k, mi->by_parent, mi->n, sizeof(*mi->by_parent), cmp_parent);
        /* a forged table may say a mount is its own parent */
        if (found && *found == parent)
                return NULL;
        return found ? *found : NULL;
}

size_t mountinfo_children(const struct mountinfo *mi, const struct mountinfo_entry *parent,
                          const struct mountinfo_entry *const **first)
{
        size_t lo = 0, hi = mi->n, n = 0;

        /* the first entry whose parent id is not below parent's id */
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (mi->by_parent[mid]->parent_id < parent->mount_id)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        *first = mi->by_parent ? mi->by_parent + lo : NULL;
        while (lo + n < mi->n && mi->by_parent[lo + n]->parent_id == parent->mount_id)
                n++;
        return n;
}
