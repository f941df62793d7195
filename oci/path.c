#include "path.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Appends the components of `path` to the absolute path out[0..*o),
 * dropping "." and empty ones and taking ".." lexically, never below
 * out[0..floor). */
static void append_components(char *out, size_t *o, size_t floor, const char *path)
{
        const char *p = path;

        while (*p) {
                size_t len;

                while (*p == '/')
                        p++;
                len = strcspn(p, "/");
                if (len == 0)
                        break;
                if (len == 2 && p[0] == '.' && p[1] == '.') {
                        while (*o > floor && out[*o - 1] != '/')
                                (*o)--;
                        if (*o > floor)
                                (*o)--;
                } else if (!(len == 1 && p[0] == '.')) {
                        if (*o > 1)
                                out[(*o)++] = '/';
                        memcpy(out + *o, p, len);
                        *o += len;
                }
                p += len;
        }
}

static char *join(const char *base, const char *path, bool inside)
{
        char *out = malloc(strlen(base) + strlen(path) + 3);
        size_t o = 1;

        if (!out)
                return NULL;
        out[0] = '/';
        append_components(out, &o, 1, base);
        append_components(out, &o, inside ? o : 1, path);
        out[o] = '\0';
        return out;
}

char *path_join(const char *base, const char *path)
{
        return join(base, path, false);
}

char *path_join_in(const char *root, const char *path)
{
        return join(root, path, true);
}
