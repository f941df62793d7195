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

/* The option's name, up to its first unescaped "=", unescaped: what the
 * kernel will take it for.  *value: after the "=", or NULL. */
static char *option_name(char *opt, char **value)
{
        char *s = opt, *name;

        while (*s && *s != '=')
                s += s[0] == '\\' && s[1] ? 2 : 1;
        *value = *s ? s + 1 : NULL;
        name = strndup(opt, (size_t)(s - opt));
        if (name) {
                char *u = unescaped(name);

                free(name);
                name = u;
        }
        return name;
}

static int take_option(struct ovl_options *o, char *opt, const char *where, struct err *e)
{
        char *value, **slot = NULL, q[MSG_QUOTE_MAX];
        _cleanup_free_ char *name = option_name(opt, &value);

        if (!name)
                return err_set(e, ENOMEM, "out of memory");
        if (strcmp(name, "lowerdir") == 0 && value)
                return take_lowers(o, value, where, e);
        if (strcmp(name, "lowerdir+") == 0 && value)
                return push(&o->lower, &o->n_lower, unescaped(value), e);
        if (strcmp(name, "datadir+") == 0)
                return err_set(e, EOPNOTSUPP, "%s: data-only lower layers (datadir+) are not "
                               "supported", where);
        if (strcmp(name, "upperdir") == 0 && value)
                slot = &o->upper;
        else if (strcmp(name, "workdir") == 0 && value)
                slot = &o->work;
        if (slot) {
                free(*slot);
                *slot = unescaped(value);
                return *slot ? 0 : err_set(e, ENOMEM, "out of memory");
        }
        if ((strcmp(name, "ro") == 0 || strcmp(name, "rw") == 0) && !value) {
                o->ro = name[1] == 'o';
                return 0;
        }
        /* A layer option in any other form would go back to the kernel as
         * something else than a layer: never pass it on. */
        if (strncmp(name, "lowerdir", 8) == 0 || strncmp(name, "upperdir", 8) == 0 ||
            strncmp(name, "workdir", 7) == 0 || strncmp(name, "datadir", 7) == 0 ||
            strcmp(name, "ro") == 0 || strcmp(name, "rw") == 0)
                return err_set(e, EINVAL, "%s: option %s is not understood", where,
                               msg_quote(opt, strlen(opt), true, q, sizeof(q)));
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
