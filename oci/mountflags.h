/* The one table of per-mount flags: their option names as config.json and
 * mount(8) write them, and the mount_setattr(2) attributes they set or
 * clear.  config.json options, the mount table's per-mount options and the
 * plan printout all read it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct mount_flag {
        const char *name;
        unsigned set;           /* MOUNT_ATTR_* the option sets */
        unsigned clear;         /* ... and clears (e.g. "rw" clears RDONLY) */
};

/* The option `name` (len bytes), or NULL when it sets no flag. */
const struct mount_flag *mount_flag_find(const char *name, size_t len);

/* Applies config.json options in order, as mount(8) does: a later "rw"
 * undoes an earlier "ro"; the atime modes replace one another.  The
 * r-prefixed forms (rro, rnosuid, ...) are runc's and crun's recursive
 * variants: they go into `top` and `recursive` both. */
void mount_flags_from_config(const char *const *options, size_t n, unsigned *top,
                             unsigned *recursive);

/* The attributes field (6) of a mountinfo line shows, e.g.
 * "ro,nosuid,relatime,idmapped".  The kernel shows "relatime" for the
 * default atime mode and nothing for strictatime, so a line with neither
 * "relatime" nor "noatime" is MOUNT_ATTR_STRICTATIME. */
unsigned mount_flags_from_mountinfo(const char *per_mount_options);

/* "ro,nosuid" and so on, or "-" for none. */
void mount_flags_format(unsigned attrs, char *buf, size_t len);

/* Every attribute this table knows: the ones the hook carries over. */
#define MOUNT_FLAGS_ALL (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | \
                         MOUNT_ATTR_NOEXEC | MOUNT_ATTR__ATIME | MOUNT_ATTR_NODIRATIME | \
                         MOUNT_ATTR_NOSYMFOLLOW)
