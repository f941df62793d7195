/* /proc/<pid>/mountinfo, one struct per line (proc(5)).
 *
 *   36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
 *   (1)(2)(3)   (4)   (5)      (6)      (7)   (8) (9)   (10)         (11)
 *
 * Paths are unescaped (\040 space, \011 tab, \012 newline, \134 backslash).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "../base/err.h"

struct mountinfo_entry {
        int mount_id;
        int parent_id;
        unsigned major, minor;
        char *root;             /* (4) */
        char *mount_point;      /* (5) */
        char *mount_options;    /* (6) raw, e.g. "rw,relatime,idmapped" */
        char *optional_fields;  /* (7) space separated, "" when none */
        char *fstype;           /* (9) */
        char *source;           /* (10) */
        char *super_options;    /* (11) */
        unsigned attrs;         /* MOUNT_ATTR_* from (6), oci/mountflags.h */
        int shared;             /* peer group from "shared:N" in (7), 0 when none */
        int master;             /* ... from "master:N": receives propagation */
        bool idmapped;          /* "idmapped" in (6) */
};

/* The entries and all their strings share one allocation, owned by `e`:
 * release it with mountinfo_free only, never an entry's string. */
struct mountinfo {
        size_t n;
        struct mountinfo_entry *e;
        /* The entries sorted by mount id, then by (parent id, mount point):
         * lookups in tables of thousands of mounts cost log n, not n. */
        const struct mountinfo_entry **by_id, **by_parent;
};

/* mountinfo_load refuses a file larger than this (~400k mounts). */
#define MOUNTINFO_MAX (64 * 1024 * 1024)

/* `where` names the input in messages, e.g. "/proc/4242/mountinfo" or a file
 * name; a bad line is named as where:LINE. */
int mountinfo_parse(const char *buf, size_t len, const char *where,
                    struct mountinfo *out, struct err *e);
int mountinfo_load(const char *path, struct mountinfo *out, struct err *e);
/* The same for `name` opened at `dirfd` (a /proc/<pid> directory); `where`
 * names it in messages. */
int mountinfo_read_at(int dirfd, const char *name, const char *where, struct mountinfo *out,
                      struct err *e);
void mountinfo_free(struct mountinfo *mi);

/* The mount on top at `mount_point` (the one no other mount at the same
 * point sits on), or NULL.  The file's order is not the mount order. */
const struct mountinfo_entry *mountinfo_top(const struct mountinfo *mi, const char *mount_point);

/* The entry with this mount id, or NULL. */
const struct mountinfo_entry *mountinfo_by_id(const struct mountinfo *mi, int mount_id);

/* True when `e` lies below `ancestor` in the mount tree (parent chain). */
bool mountinfo_is_below(const struct mountinfo *mi, const struct mountinfo_entry *e,
                        const struct mountinfo_entry *ancestor);

/* True when a lookup of e's mount point from "/" ends on `e`: nothing is
 * stacked on it and no mount made later on a directory above its mount
 * point hides it.  A hidden mount can be reached by no path. */
bool mountinfo_visible(const struct mountinfo *mi, const struct mountinfo_entry *e);

/* The mount a lookup of `path` from "/" ends on: the one that holds the
 * file at `path` (absolute, clean, its symlinks already resolved), as
 * mountinfo_visible walks; NULL for a relative path or a table without a
 * root mount. */
const struct mountinfo_entry *mountinfo_lookup(const struct mountinfo *mi, const char *path);

/* The mount whose parent is `parent` and whose mount point is
 * `mount_point`, or NULL.  A parent has at most one child per point:
 * a second mount there lands on the first. */
const struct mountinfo_entry *mountinfo_child_at(const struct mountinfo *mi,
                                                 const struct mountinfo_entry *parent,
                                                 const char *mount_point);

/* The mounts whose parent is `parent`, as `*first`[0..n); a forged table's
 * mount that is its own parent is among them. */
size_t mountinfo_children(const struct mountinfo *mi, const struct mountinfo_entry *parent,
                          const struct mountinfo_entry *const **first);
