/* Debian's libyajl_s.a is built against glibc with _FORTIFY_SOURCE: its
 * objects call glibc's checked variants of memcpy, snprintf and sprintf.
 * musl has none; these do the same check (abort when the destination is
 * smaller than the write) and the plain call.  Nothing else of glibc's ABI
 * is used by those objects (nm -u: malloc, free, strtod, __errno_location,
 * __assert_fail, string functions, all with the same C ABI in musl). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *__memcpy_chk(void *dst, const void *src, size_t n, size_t dst_len);
int __snprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *fmt, ...);
int __sprintf_chk(char *s, int flag, size_t slen, const char *fmt, ...);

void *__memcpy_chk(void *dst, const void *src, size_t n, size_t dst_len)
{
        if (n > dst_len)
                abort();
        return memcpy(dst, src, n);
}

int __snprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *fmt, ...)
{
        va_list ap;
        int r;

        if (maxlen > slen)
                abort();
        va_start(ap, fmt);
        r = vsnprintf(s, maxlen, fmt, ap);
        va_end(ap);
        return r;
}

int __sprintf_chk(char *s, int flag, size_t slen, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vsnprintf(s, slen, fmt, ap);
        va_end(ap);
        if (r < 0 || (size_t)r >= slen)
                abort();
        return r;
}
