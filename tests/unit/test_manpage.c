/* docs/oci-idmap-hook.1 matches the binary: every long option and command
 * `--help` prints is in the man page's SYNOPSIS or OPTIONS, every option
 * those sections name is in `--help`, and the version on its .TH line (and
 * in debian/changelog, which versions the package) is the one `--version`
 * prints. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WORDS 64

struct words {
        size_t n;
        char w[MAX_WORDS][64];
};

static void add(struct words *ws, const char *w, size_t len)
{
        for (size_t i = 0; i < ws->n; i++)
                if (strlen(ws->w[i]) == len && strncmp(ws->w[i], w, len) == 0)
                        return;
        cr_assert_lt(ws->n, MAX_WORDS);
        cr_assert_lt(len, sizeof(ws->w[0]));
        snprintf(ws->w[ws->n++], sizeof(ws->w[0]), "%.*s", (int)len, w);
}

static bool has(const struct words *ws, const char *w)
{
        for (size_t i = 0; i < ws->n; i++)
                if (strcmp(ws->w[i], w) == 0)
                        return true;
        return false;
}

/* Every "--word" in `text` (roff's "\-" already turned into "-"). */
static void long_options(const char *text, struct words *ws)
{
        for (const char *p = text; (p = strstr(p, "--")); ) {
                const char *q = p + 2;

                while (islower((unsigned char)*q) || *q == '-')
                        q++;
                if (q > p + 2)
                        add(ws, p, (size_t)(q - p));
                p = q;
        }
}

static char *slurp(FILE *f)
{
        static char buf[1 << 16];
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);

        buf[n] = '\0';
        return strdup(buf);
}

static char *run_hook(const char *arg)
{
        char cmd[512];
        FILE *p;
        char *out;

        snprintf(cmd, sizeof(cmd), "'%s' %s", HOOK_BIN, arg);
        p = popen(cmd, "r");
        cr_assert(p);
        out = slurp(p);
        cr_assert_eq(pclose(p), 0, "%s failed", cmd);
        return out;
}

/* The man page with "\-" as "-" and only the sections from .SH `from` up to
 * the next .SH. */
static char *man_section(const char *from)
{
        FILE *f = fopen(SOURCE_DIR "/docs/oci-idmap-hook.1", "r");
        char *text, *out, *start, *end, mark[64];
        size_t j = 0;

        cr_assert(f, "docs/oci-idmap-hook.1 is missing");
        text = slurp(f);
        fclose(f);
        out = calloc(1, strlen(text) + 1);
        for (size_t i = 0; text[i]; i++)
                if (!(text[i] == '\\' && text[i + 1] == '-'))
                        out[j++] = text[i];
        free(text);
        snprintf(mark, sizeof(mark), "\n.SH %s\n", from);
        start = strstr(out, mark);
        cr_assert(start, "no section %s in the man page", from);
        end = strstr(start + 1, "\n.SH ");
        if (end)
                *end = '\0';
        memmove(out, start, strlen(start) + 1);
        return out;
}

Test(manpage, every_option_in_help_is_in_the_man_page_and_the_reverse)
{
        struct words help = { 0 }, man = { 0 };
        char *h = run_hook("--help");
        char *synopsis = man_section("SYNOPSIS"), *options = man_section("OPTIONS");

        long_options(h, &help);
        long_options(synopsis, &man);
        long_options(options, &man);
        cr_assert_geq(help.n, 7, "--help names too few options:\n%s", h);
        for (size_t i = 0; i < help.n; i++)
                cr_assert(has(&man, help.w[i]), "%s is in --help, not in the man page's SYNOPSIS "
                          "or OPTIONS", help.w[i]);
        for (size_t i = 0; i < man.n; i++)
                cr_assert(has(&help, man.w[i]), "%s is in the man page, not in --help", man.w[i]);
}

Test(manpage, every_command_in_help_is_in_the_man_page)
{
        static const char *const commands[] = { "prestart", "createRuntime", "plan", "check" };
        char *h = run_hook("--help"), *synopsis = man_section("SYNOPSIS");
        char *cmds = man_section("COMMANDS");

        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
                cr_assert(strstr(h, commands[i]), "%s not in --help", commands[i]);
                cr_assert(strstr(synopsis, commands[i]), "%s not in the SYNOPSIS", commands[i]);
                cr_assert(strstr(cmds, commands[i]), "%s not in COMMANDS", commands[i]);
        }
}

Test(manpage, version_agrees_with_the_binary_and_the_package)
{
        FILE *f = fopen(SOURCE_DIR "/docs/oci-idmap-hook.1", "r");
        char *man, *version = run_hook("--version"), expect[128], changelog[256];

        cr_assert(f);
        man = slurp(f);
        fclose(f);
        snprintf(expect, sizeof(expect), "oci-idmap-hook %s (git ", OCI_IDMAP_HOOK_VERSION);
        cr_assert(strncmp(version, expect, strlen(expect)) == 0, "--version: %s", version);
        snprintf(expect, sizeof(expect), "\"oci-idmap-hook %s\"", OCI_IDMAP_HOOK_VERSION);
        cr_assert(strstr(man, expect), "the man page's .TH line does not say %s", expect);

        f = fopen(SOURCE_DIR "/debian/changelog", "r");
        cr_assert(f, "debian/changelog is missing");
        cr_assert(fgets(changelog, sizeof(changelog), f));
        fclose(f);
        snprintf(expect, sizeof(expect), "oci-idmap-hook (%s)", OCI_IDMAP_HOOK_VERSION);
        cr_assert(strncmp(changelog, expect, strlen(expect)) == 0,
                  "debian/changelog's first line is not version %s: %s", OCI_IDMAP_HOOK_VERSION,
                  changelog);
}
