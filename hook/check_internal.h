/* Shared by hook/check.c (the kernel) and hook/check_host.c (runtimes and
 * hooks.d directories). */
#pragma once

#include <stdbool.h>
#include <stdio.h>

struct check {
        FILE *out;
        unsigned failed;        /* required items that said no */
        char failed_names[256]; /* their names, comma-separated */
};

enum { ADVISORY = 0, REQUIRED = 1 };

/* Prints "yes <name>: <reason>" or "no  <name>: <reason>" on one line,
 * counting a required "no". */
void check_item(struct check *c, bool ok, bool required, const char *name, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));

void check_runtimes(struct check *c);
void check_hooks_dirs(struct check *c);
