/* strcmp for the hook on musl (HOOK_LIBC=musl).  musl's compares a byte at a
 * time, and the hook compares mount points all the way through: the plan
 * and the mount table's lookups (bsearch by parent and mount point).  This
 * one compares eight bytes at a time where neither string's eight bytes
 * cross a page (so that no load can touch an unmapped page past the end),
 * and a byte at a time for the eight bytes that hold the first difference
 * or the terminating NUL.  Measured in the hook's work run on podman's
 * sample: the plan 123 -> 108 µs, the mount work 477 -> 408 µs (medians of
 * 200). */
#include <stdint.h>
#include <string.h>

#define ONES ((uint64_t)0x0101010101010101ULL)
#define HIGHS ((uint64_t)0x8080808080808080ULL)

/* within one page from p: p's 8 bytes */
static int whole_word(const unsigned char *p)
{
        return ((uintptr_t)p & 4095) <= 4096 - 8;
}

/* The whole words it reads may lie past the terminating NUL (never past
 * its page): by design, as in every C library's strcmp, and so not for
 * AddressSanitizer to judge when the unit test builds this file with it. */
__attribute__((no_sanitize_address))
int strcmp(const char *a, const char *b)
{
        const unsigned char *l = (const unsigned char *)a, *r = (const unsigned char *)b;

        for (;;) {
                if (whole_word(l) && whole_word(r)) {
                        uint64_t x, y;

                        __builtin_memcpy(&x, l, 8);
                        __builtin_memcpy(&y, r, 8);
                        /* equal, and no zero byte in them */
                        if (x == y && !((x - ONES) & ~x & HIGHS)) {
                                l += 8;
                                r += 8;
                                continue;
                        }
                }
                for (int i = 0; i < 8; i++, l++, r++)
                        if (*l != *r || !*l)
                                return *l - *r;
        }
}
