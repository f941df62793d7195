/* Bind mount sources as the host resolves them (sources.h). */
#include "sources.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/cleanup.h"
#include "../oci/path.h"

/* `path` is `top` or lies below it (both absolute and clean). */
static bool within(const char *path, const char *top)
{
        size_t n = strlen(top);

        if (strcmp(top, "/") == 0)
                return true;
        return strncmp(path, top, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static bool in_rootfs(const char *path, const char *rootfs, const char *real_rootfs)
{
        return within(path, rootfs) || (real_rootfs && within(path, real_rootfs));
}

/* NULL when there is nothing to pair by; -ENOMEM through *r. */
static char *resolve(const struct oci_mount *m, const char *bundle_dir, const char *rootfs,
                     const char *real_rootfs, int *r)
{
        _cleanup_free_ char *lexical = NULL, *raw = NULL;
        char *real;

        if (!oci_mount_is_bind(m) || !m->source || !m->source[0] ||
            (m->source[0] != '/' && !bundle_dir))
                return NULL;
        /* The kernel takes ".." after the symlinks before it: the runtime
         * hands the source to mount(2) as written, from the bundle dir. */
        if (asprintf(&raw, "%s/%s", m->source[0] == '/' ? "" : bundle_dir, m->source) < 0)
                raw = NULL;
        lexical = path_join("/", raw ? raw : "");
        if (!raw || !lexical) {
                *r = -ENOMEM;
                return NULL;
        }
        if (in_rootfs(lexical, rootfs, real_rootfs))
                return NULL;
        real = realpath(raw, NULL);
        if (!real && errno == ENOMEM)
                *r = -ENOMEM;
        if (real && in_rootfs(real, rootfs, real_rootfs)) {
                free(real);
                real = NULL;
        }
        return real;
}

int bind_sources_resolve(const struct oci_config *c, const char *bundle_dir, char ***out,
                         struct err *e)
{
        _cleanup_free_ char *real_rootfs = realpath(c->rootfs, NULL);
        char **v = calloc(c->n_mounts ? c->n_mounts : 1, sizeof(*v));
        int r = 0;

        *out = NULL;
        if (!v)
                return err_set(e, ENOMEM, "out of memory");
        for (size_t i = 0; r >= 0 && i < c->n_mounts; i++)
                v[i] = resolve(&c->mounts[i], bundle_dir, c->rootfs, real_rootfs, &r);
        if (r < 0) {
                bind_sources_free(v, c->n_mounts);
                return err_set(e, ENOMEM, "out of memory");
        }
        *out = v;
        return 0;
}

void bind_sources_free(char **sources, size_t n)
{
        for (size_t i = 0; sources && i < n; i++)
                free(sources[i]);
        free(sources);
}
