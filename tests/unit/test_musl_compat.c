/* The allocator and strcmp that the installed hook links on musl
 * (compat/musl/malloc.c, compat/musl/strcmp.c), tested here under their own
 * names: the files are included with their functions renamed, so that this
 * program (glibc, Criterion) keeps glibc's.  What they must do is what the C
 * library's do: strcmp's sign for every pair, also where a string ends at
 * the last byte of a mapped page; blocks that keep their contents, do not
 * overlap, are 16-byte aligned and are reused once freed. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define malloc compat_malloc
#define free compat_free
#define calloc compat_calloc
#define realloc compat_realloc
#include "compat/musl/malloc.c"
#undef malloc
#undef free
#undef calloc
#undef realloc

#define strcmp compat_strcmp
#include "compat/musl/strcmp.c"
#undef strcmp

static int sign(int v)
{
        return (v > 0) - (v < 0);
}

static int reference(const char *a, const char *b)
{
        const unsigned char *l = (const unsigned char *)a, *r = (const unsigned char *)b;

        while (*l && *l == *r)
                l++, r++;
        return *l - *r;
}

static void expect_same_sign(const char *a, const char *b)
{
        cr_assert_eq(sign(compat_strcmp(a, b)), sign(reference(a, b)), "\"%s\" vs \"%s\"", a, b);
}

Test(musl_compat, strcmp_orders_like_bytes_compared_as_unsigned)
{
        static const char *const s[] = {
                "", "a", "ab", "abc", "/var/tmp/x", "/var/tmp/y", "/var/tmp", "/var/tmp/",
                "0123456789abcdef", "0123456789abcdeg", "0123456789abcde", "\x80", "\x7f",
                "/run/containers/storage/overlay/0123456789abcdef/merged",
                "/run/containers/storage/overlay/0123456789abcdef/merge\xff",
        };

        for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
                for (size_t j = 0; j < sizeof(s) / sizeof(s[0]); j++)
                        expect_same_sign(s[i], s[j]);
}

/* Random strings over a small alphabet (long common prefixes), at every
 * alignment of each side. */
Test(musl_compat, strcmp_agrees_with_a_byte_loop_at_every_alignment)
{
        char a[80], b[80];

        srand(1);
        for (int round = 0; round < 20000; round++) {
                size_t la = (size_t)rand() % 40, lb = (size_t)rand() % 40;
                size_t oa = (size_t)rand() % 16, ob = (size_t)rand() % 16;

                for (size_t k = 0; k < la; k++)
                        a[oa + k] = "ab/\xff"[rand() % (round % 2 ? 2 : 4)];
                for (size_t k = 0; k < lb; k++)
                        b[ob + k] = k < la && rand() % 8 ? a[oa + k] : "ab/\xff"[rand() % 4];
                a[oa + la] = b[ob + lb] = '\0';
                expect_same_sign(a + oa, b + ob);
        }
}

/* A string whose NUL is the last byte of a page followed by an unmapped
 * one: no read may cross into it (a fault would end the program). */
Test(musl_compat, strcmp_never_reads_past_a_page_a_string_ends_on)
{
        long page = sysconf(_SC_PAGESIZE);
        char *m = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                       -1, 0);

        cr_assert_neq(m, MAP_FAILED);
        cr_assert_eq(mprotect(m + page, (size_t)page, PROT_NONE), 0);
        for (size_t len = 0; len < 24; len++) {
                char *s = m + page - 1 - len;
                char other[32];

                memset(s, 'x', len);
                s[len] = '\0';
                memcpy(other, s, len + 1);
                cr_assert_eq(compat_strcmp(s, other), 0);
                cr_assert_eq(compat_strcmp(other, s), 0);
                other[len] = 'y';
                other[len + 1] = '\0';
                cr_assert_lt(compat_strcmp(s, other), 0);
                cr_assert_gt(compat_strcmp(other, s), 0);
        }
        munmap(m, (size_t)page * 2);
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
        for (size_t i = 0; i < n; i++)
                p[i] = (unsigned char)(seed * 31 + i);
}

static void expect_filled(const unsigned char *p, size_t n, unsigned seed)
{
        for (size_t i = 0; i < n; i++)
                cr_assert_eq(p[i], (unsigned char)(seed * 31 + i), "byte %zu of block %u", i, seed);
}

/* Blocks of every class and a few mapped ones, all live at once: aligned,
 * contents kept (no two overlap), freed and handed out again. */
Test(musl_compat, blocks_are_aligned_keep_their_contents_and_are_reused)
{
        enum { N = 600 };
        unsigned char *p[N];
        size_t size[N];

        for (unsigned i = 0; i < N; i++) {
                size[i] = i % 50 == 0 ? 70000 + i : (size_t)1 << (i % 16);
                size[i] += i % 3;
                p[i] = compat_malloc(size[i]);
                cr_assert_not_null(p[i]);
                cr_assert_eq((uintptr_t)p[i] % 16, 0, "block %u of %zu bytes", i, size[i]);
                fill(p[i], size[i], i);
        }
        for (unsigned i = 0; i < N; i++)
                expect_filled(p[i], size[i], i);
        unsigned char *freed = p[7];
        compat_free(p[7]);
        p[7] = compat_malloc(size[7]);
        cr_assert_eq(p[7], freed, "a freed block of the same class is reused");
        for (unsigned i = 0; i < N; i++)
                compat_free(p[i]);
        compat_free(NULL);
}

Test(musl_compat, realloc_keeps_the_contents_as_the_block_grows_and_shrinks)
{
        unsigned char *p = compat_realloc(NULL, 10);

        cr_assert_not_null(p);
        fill(p, 10, 3);
        for (size_t n = 20; n < 300000; n = n * 3 + 1) {
                unsigned char *q = compat_realloc(p, n);

                cr_assert_not_null(q);
                expect_filled(q, 10, 3);
                p = q;
        }
        p = compat_realloc(p, 5);
        expect_filled(p, 5, 3);
        compat_free(p);
}

Test(musl_compat, calloc_zeroes_and_refuses_an_overflowing_size)
{
        unsigned char *p = compat_malloc(256);

        memset(p, 0xaa, 256);
        compat_free(p);
        p = compat_calloc(16, 16);      /* the block just freed, likely */
        for (size_t i = 0; i < 256; i++)
                cr_assert_eq(p[i], 0);
        compat_free(p);
        errno = 0;
        cr_assert_null(compat_calloc(SIZE_MAX / 2, 3));
        cr_assert_eq(errno, ENOMEM);
        errno = 0;
        cr_assert_null(compat_malloc(SIZE_MAX - 8));
        cr_assert_eq(errno, ENOMEM);
}

/* A block grown past its class is moved: writing all of it must not touch
 * the block carved next to it (40 bytes: past that block's header too). */
Test(musl_compat, realloc_past_the_class_never_spills_into_the_next_block)
{
        for (size_t size = 16; size <= 4096; size *= 2) {
                unsigned char *p = compat_malloc(size), *next = compat_malloc(size);

                fill(next, size, 9);
                p = compat_realloc(p, size + 40);
                cr_assert_not_null(p);
                memset(p, 0x55, size + 40);
                expect_filled(next, size, 9);
                compat_free(p);
                compat_free(next);
        }
}
