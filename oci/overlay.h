/* An overlay mount's layers and options, read from the super options its
 * mount table line shows (field 11 of /proc/<pid>/mountinfo).
 *
 * The kernel shows the options as they were given, each path with the
 * overlay's own escapes ("\:" and "\," inside a path, "\\" for a
 * backslash), and mountinfo escapes space, tab, newline and backslash (and
 * here the comma) in octal on top: "lowerdir=/l\040a\134:b,upperdir=/u"
 * is the layer "/l a:b" and the upper "/u".
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "../base/err.h"

struct ovl_options {
        char **lower;           /* the lower layers, top first */
        size_t n_lower;
        char *upper;            /* NULL for a read-only overlay */
        char *work;
        bool ro;                /* the superblock was made read-only */
        /* Every other option, "name" or "name=value", unescaped, in order:
         * given back to the kernel as the runtime's overlay had them. */
        char **other;
        size_t n_other;
};

/* `where` names the mount in messages.  Refuses what the hook cannot
 * rebuild: no lower layer, data-only layers ("::"), an upper without a
 * work dir. */
int ovl_options_parse(const char *super_options, const char *where, struct ovl_options *out,
                      struct err *e);
void ovl_options_free(struct ovl_options *o);
