/* An overlay mount's layers and options, from its mount table line. */
#include "overlay.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../base/cleanup.h"
#include "../base/io.h"

/* mountinfo's octal escapes ("\040"), undone in place; any other
 * backslash (the overlay's own escapes) is kept. */
static void unoctal(char *s)
{
        char *w = s;

        while (*s) {
                if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
                    s[3] >= '0' && s[3] <= '7') {
                        *w++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
                        s += 4;
                } else {
                        *w++ = *s++;
                }
        }
        *w = '\0';
}

/* The next piece of `*p` up to an unescaped `sep` (NUL-terminated in
 * place), or NULL at the end. */
static char *next_piece(char **p, char sep)
{
        char *start = *p, *s = start;

        if (!start)
                return NULL;
        while (*s && *s != sep)
                s += s[0] == '\\' && s[1] ? 2 : 1;
        *p = *s ? s + 1 : NULL;
        *s = '\0';
        return start;
}

/* The overlay's own escapes undone: "\x" is x. */
static char *unescaped(const char *s)
{
        char *out = malloc(strlen(s) + 1), *w = out;

        if (!out)
                return NULL;
        for (; *s; s++)
                *w++ = s[0] == '\\' && s[1] ? *++s : *s;
        *w = '\0';
        return out;
}

static int push(char ***list, size_t *n, char *item, struct err *e)
{
        char **grown;

        if (!item)
                return err_set(e, ENOMEM, "out of memory");
        grown = realloc(*list, (*n + 1) * sizeof(**list));
        if (!grown) {
                free(item);
                return err_set(e, ENOMEM, "out of memory");
        }
        grown[(*n)++] = item;
        *list = grown;
        return 0;
}

static int take_lowers(struct ovl_options *o, char *value, const char *where, struct err *e)
{
        char *piece;

        while ((piece = next_piece(&value, ':'))) {
                /* "a::b": b is a data-only layer, which the rebuilt overlay
                 * would have to be given with datadir+ */
                if (!*piece)
                        return err_set(e, EOPNOTSUPP, "%s: data-only lower layers (\"::\") are not "
                                       "supported", where);
                if (push(&o->lower, &o->n_lower, unescaped(piece), e) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int take_option(struct ovl_options *o, char *opt, const char *where, struct err *e)
{
        char *eq = strchr(opt, '=');
        size_t name = eq ? (size_t)(eq - opt) : strlen(opt);
        char **slot = NULL;

        if (name == 8 && strncmp(opt, "lowerdir", 8) == 0 && eq)
                return take_lowers(o, eq + 1, where, e);
        if (name == 9 && strncmp(opt, "lowerdir+", 9) == 0 && eq)
                return push(&o->lower, &o->n_lower, unescaped(eq + 1), e);
        if (name == 8 && strncmp(opt, "datadir+", 8) == 0)
                return err_set(e, EOPNOTSUPP, "%s: data-only lower layers (datadir+) are not "
                               "supported", where);
        if (name == 8 && strncmp(opt, "upperdir", 8) == 0)
                slot = &o->upper;
        else if (name == 7 && strncmp(opt, "workdir", 7) == 0)
                slot = &o->work;
        if (slot) {
                free(*slot);
                *slot = eq ? unescaped(eq + 1) : NULL;
                return *slot ? 0 : err_set(e, ENOMEM, "out of memory");
        }
        if (strcmp(opt, "ro") == 0 || strcmp(opt, "rw") == 0) {
                o->ro = opt[1] == 'o';
                return 0;
        }
        return push(&o->other, &o->n_other, unescaped(opt), e);
}

int ovl_options_parse(const char *super_options, const char *where, struct ovl_options *out,
                      struct err *e)
{
        _cleanup_free_ char *copy = strdup(super_options);
        struct ovl_options o = { 0 };
        char *p = copy, *opt;
        int r = 0;

        if (!copy)
                return err_set(e, ENOMEM, "out of memory");
        unoctal(copy);
        while (r >= 0 && (opt = next_piece(&p, ',')))
                if (*opt)
                        r = take_option(&o, opt, where, e);
        if (r >= 0 && !o.n_lower)
                r = err_set(e, EINVAL, "%s: no lower layer in its options", where);
        if (r >= 0 && !o.upper != !o.work)
                r = err_set(e, EINVAL, "%s: an upper dir needs a work dir, and the reverse", where);
        if (r < 0) {
                ovl_options_free(&o);
                return r;
        }
        *out = o;
        return 0;
}

void ovl_options_free(struct ovl_options *o)
{
        for (size_t i = 0; i < o->n_lower; i++)
                free(o->lower[i]);
        for (size_t i = 0; i < o->n_other; i++)
                free(o->other[i]);
        free(o->lower);
        free(o->other);
        free(o->upper);
        free(o->work);
        *o = (struct ovl_options){ 0 };
}
