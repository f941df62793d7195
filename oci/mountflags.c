/* The one table of per-mount flags (mountflags.h). */
#include "mountflags.h"

#include <stdio.h>
#include <string.h>
/* glibc 2.36 defines MOUNT_ATTR_* here; <linux/mount.h> would redefine them. */
#include <sys/mount.h>

#include "../base/cleanup.h"

static const struct mount_flag table[] = {
        { "ro", MOUNT_ATTR_RDONLY, 0 },
        { "rw", 0, MOUNT_ATTR_RDONLY },
        { "nosuid", MOUNT_ATTR_NOSUID, 0 },
        { "suid", 0, MOUNT_ATTR_NOSUID },
        { "nodev", MOUNT_ATTR_NODEV, 0 },
        { "dev", 0, MOUNT_ATTR_NODEV },
        { "noexec", MOUNT_ATTR_NOEXEC, 0 },
        { "exec", 0, MOUNT_ATTR_NOEXEC },
        /* one atime mode at a time: setting one clears the others */
        { "noatime", MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME },
        { "strictatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME },
        { "relatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME },
        { "atime", 0, MOUNT_ATTR_NOATIME },
        { "nodiratime", MOUNT_ATTR_NODIRATIME, 0 },
        { "diratime", 0, MOUNT_ATTR_NODIRATIME },
        { "nosymfollow", MOUNT_ATTR_NOSYMFOLLOW, 0 },
        { "symfollow", 0, MOUNT_ATTR_NOSYMFOLLOW },
};

const struct mount_flag *mount_flag_find(const char *name, size_t len)
{
        for (size_t i = 0; i < ARRAY_SIZE(table); i++)
                if (strlen(table[i].name) == len && memcmp(table[i].name, name, len) == 0)
                        return &table[i];
        return NULL;
}

static unsigned apply(unsigned attrs, const struct mount_flag *f)
{
        return (attrs & ~f->clear) | f->set;
}

void mount_flags_from_config(const char *const *options, size_t n, unsigned *top,
                             unsigned *recursive)
{
        *top = *recursive = 0;
        for (size_t i = 0; i < n; i++) {
                const char *o = options[i];
                const struct mount_flag *f = mount_flag_find(o, strlen(o));

                if (f) {
                        *top = apply(*top, f);
                } else if (o[0] == 'r' && (f = mount_flag_find(o + 1, strlen(o + 1)))) {
                        *top = apply(*top, f);
                        *recursive = apply(*recursive, f);
                }
        }
}

unsigned mount_flags_from_mountinfo(const char *p)
{
        unsigned attrs = 0;
        bool relatime = false;

        while (*p) {
                size_t len = strcspn(p, ",");
                const struct mount_flag *f = mount_flag_find(p, len);

                if (f)
                        attrs = apply(attrs, f);
                /* MOUNT_ATTR_RELATIME is 0: seen only by its name */
                relatime |= len == 8 && memcmp(p, "relatime", 8) == 0;
                p += len;
                if (*p == ',')
                        p++;
        }
        if (!(attrs & MOUNT_ATTR_NOATIME) && !relatime)
                attrs |= MOUNT_ATTR_STRICTATIME;
        return attrs;
}

void mount_flags_format(unsigned attrs, char *buf, size_t len)
{
        size_t used = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < ARRAY_SIZE(table) && used < len; i++)
                if (table[i].set && (attrs & table[i].set) == table[i].set)
                        used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? "," : "",
                                                 table[i].name);
        if (!used)
                snprintf(buf, len, "-");
}
