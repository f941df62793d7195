#define _GNU_SOURCE
#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void vformat(struct err *e, int errnum, const char *fmt, va_list ap)
{
        e->errnum = errnum > 0 ? errnum : EINVAL;
        vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
}

int err_set(struct err *e, int errnum, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vformat(e, errnum, fmt, ap);
        va_end(ap);
        return -e->errnum;
}

int err_sys(struct err *e, int errnum, const char *fmt, ...)
{
        va_list ap;
        size_t len;

        va_start(ap, fmt);
        vformat(e, errnum, fmt, ap);
        va_end(ap);
        len = strlen(e->msg);
        snprintf(e->msg + len, sizeof(e->msg) - len, ": %s", strerror(e->errnum));
        return -e->errnum;
}

int err_prefix(struct err *e, const char *fmt, ...)
{
        char prefix[256], old[sizeof(e->msg)];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(prefix, sizeof(prefix), fmt, ap);
        va_end(ap);
        memcpy(old, e->msg, sizeof(old));
        snprintf(e->msg, sizeof(e->msg), "%s: %s", prefix, old);
        if (e->errnum <= 0)
                e->errnum = EINVAL;
        return -e->errnum;
}

void err_clear(struct err *e)
{
        e->errnum = 0;
        e->msg[0] = '\0';
}
