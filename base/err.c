#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

__attribute__((format(printf, 3, 0)))
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
        char prefix[256];
        size_t plen, mlen;
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(prefix, sizeof(prefix) - 2, fmt, ap);
        va_end(ap);
        strcat(prefix, ": ");
        plen = strlen(prefix);
        mlen = strnlen(e->msg, sizeof(e->msg) - 1);
        if (plen + mlen >= sizeof(e->msg))
                mlen = sizeof(e->msg) - 1 - plen;
        memmove(e->msg + plen, e->msg, mlen);
        memcpy(e->msg, prefix, plen);
        e->msg[plen + mlen] = '\0';
        if (e->errnum <= 0)
                e->errnum = EINVAL;
        return -e->errnum;
}

void err_clear(struct err *e)
{
        e->errnum = 0;
        e->msg[0] = '\0';
}
