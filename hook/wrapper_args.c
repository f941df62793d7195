/* oci-idmap-runtime's inputs: pure parsing (wrapper_args.h says which forms). */
#include "wrapper_args.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../base/cleanup.h"
#include "../base/io.h"

#define WRAPPER_NAME "oci-idmap-runtime"

static bool in_list(const char *name, size_t len, const char *const *list)
{
        for (; *list; list++)
                if (strlen(*list) == len && strncmp(*list, name, len) == 0)
                        return true;
        return false;
}

/* A long flag: "--name", "--name=value", or Go's "-name", "-name=value" when
 * `name` is one of `longs`.  Sets name/len and *value (NULL when the value
 * is the next argument, if the flag takes one). */
static bool long_flag(const char *arg, const char *const *longs, const char **name, size_t *len,
                      const char **value)
{
        const char *n, *eq;

        if (arg[0] != '-' || arg[1] == '\0')
                return false;
        n = arg[1] == '-' ? arg + 2 : arg + 1;
        eq = strchr(n, '=');
        *name = n;
        *len = eq ? (size_t)(eq - n) : strlen(n);
        *value = eq ? eq + 1 : NULL;
        if (arg[1] == '-')
                return true;
        /* one dash: a Go-style long flag only when it names one */
        return *len > 1 && in_list(n, *len, longs);
}

static const char *const global_valued[] = {
        "log", "log-format", "log-level", "root", "criu", "rootless", "cgroup-manager", NULL,
};

/* The index of the subcommand, or argc; records --log and --log-format. */
static int skip_global_flags(int argc, char *const argv[], struct wrap_args *out)
{
        int i;

        for (i = 1; i < argc; i++) {
                const char *a = argv[i], *name, *value;
                size_t len;

                if (strcmp(a, "--") == 0)
                        return i + 1;
                if (a[0] != '-' || a[1] == '\0')
                        return i;
                if (!long_flag(a, global_valued, &name, &len, &value))
                        continue;       /* -v, -h, -?: no value */
                if (!value && in_list(name, len, global_valued) && i + 1 < argc)
                        value = argv[++i];
                if (value && len == 3 && strncmp(name, "log", 3) == 0)
                        out->log = value;
                else if (value && len == 10 && strncmp(name, "log-format", 10) == 0)
                        out->log_format = value;
        }
        return i;
}

static const char *const create_longs[] = {
        "bundle", "config", "console-socket", "pid-file", "pidfile", "preserve-fds",
        "detach", "keep", "no-pivot", "no-new-keyring", "no-subreaper", NULL,
};
static const char *const create_valued[] = {
        "bundle", "config", "console-socket", "pid-file", "pidfile", "preserve-fds", NULL,
};

static void take(struct wrap_args *out, char which, const char *value)
{
        if (which == 'b')
                out->bundle = value;
        else if (which == 'f')
                out->config = value;
}

/* The flags of create/run, wherever they stand among the positional
 * arguments (both runtimes permute them); the last one given wins. */
static void parse_create_flags(int argc, char *const argv[], int from, struct wrap_args *out)
{
        for (int i = from; i < argc; i++) {
                const char *a = argv[i], *name, *value;
                size_t len;
                char which = 0;

                if (strcmp(a, "--") == 0)
                        return;
                if (a[0] != '-' || a[1] == '\0')
                        continue;
                if (long_flag(a, create_longs, &name, &len, &value)) {
                        if (len == 6 && strncmp(name, "bundle", 6) == 0)
                                which = 'b';
                        else if (len == 6 && strncmp(name, "config", 6) == 0)
                                which = 'f';
                        if (!value && in_list(name, len, create_valued) && i + 1 < argc)
                                value = argv[++i];
                        if (value)
                                take(out, which, value);
                        continue;
                }
                /* short: -b DIR, -bDIR, Go's -b=DIR; -f likewise; -d alone */
                if (a[1] != 'b' && a[1] != 'f')
                        continue;
                value = a[2] == '=' ? a + 3 : a[2] ? a + 2 : i + 1 < argc ? argv[++i] : NULL;
                if (value)
                        take(out, a[1], value);
        }
}

void wrap_args_parse(int argc, char *const argv[], struct wrap_args *out)
{
        int i;

        *out = (struct wrap_args){ .command = WRAP_PASS, .command_index = -1 };
        i = skip_global_flags(argc, argv, out);
        if (i >= argc)
                return;
        out->command_index = i;
        if (strcmp(argv[i], "create") == 0)
                out->command = WRAP_CREATE;
        else if (strcmp(argv[i], "run") == 0)
                out->command = WRAP_RUN;
        else
                return;
        parse_create_flags(argc, argv, i + 1, out);
}

const char *wrap_runtime_from_name(const char *argv0)
{
        const char *base = strrchr(argv0, '/');

        base = base ? base + 1 : argv0;
        if (strncmp(base, WRAPPER_NAME "-", strlen(WRAPPER_NAME) + 1) != 0)
                return NULL;
        base += strlen(WRAPPER_NAME) + 1;
        return *base ? base : NULL;
}

static const char *trim(char *s, char **end)
{
        while (*s == ' ' || *s == '\t')
                s++;
        *end = s + strlen(s);
        while (*end > s && ((*end)[-1] == ' ' || (*end)[-1] == '\t' || (*end)[-1] == '\r'))
                (*end)--;
        **end = '\0';
        return s;
}

int wrap_conf_parse(const char *text, const char *where, char **runtime, struct err *e)
{
        _cleanup_free_ char *copy = strdup(text), *found = NULL;
        char *line, *end;
        size_t lineno = 0;

        if (!copy)
                return err_set(e, ENOMEM, "%s: out of memory", where);
        *runtime = NULL;
        /* strsep, not strtok: empty lines still count for the line number */
        for (char *rest = copy; (line = strsep(&rest, "\n"));) {
                char *eq;
                const char *key, *value;

                lineno++;
                key = trim(line, &end);
                if (*key == '\0' || *key == '#')
                        continue;
                eq = strchr(key, '=');
                if (!eq)
                        return err_set(e, EINVAL, "%s:%zu: expected `runtime = PATH`", where, lineno);
                *eq = '\0';
                value = trim(eq + 1, &end);
                key = trim((char *)key, &end);
                if (strcmp(key, "runtime") != 0) {
                        char q[MSG_QUOTE_MAX];

                        return err_set(e, EINVAL, "%s:%zu: unknown key %s", where, lineno,
                                       msg_quote(key, strlen(key), true, q, sizeof(q)));
                }
                if (*value == '\0')
                        return err_set(e, EINVAL, "%s:%zu: runtime is empty", where, lineno);
                if (found)
                        return err_set(e, EINVAL, "%s:%zu: runtime given twice", where, lineno);
                found = strdup(value);
                if (!found)
                        return err_set(e, ENOMEM, "%s: out of memory", where);
        }
        *runtime = TAKE_PTR(found);
        return 0;
}
