/* The allocator of the hook when it is built on musl (HOOK_LIBC=musl).
 *
 * musl's own malloc (mallocng) maps a new group of pages for each size
 * class it meets and hands pages back as soon as they are free: in a
 * process that lives one millisecond, that is one mmap, one munmap and a
 * few fresh page faults per size, each stage of the hook slower than on
 * glibc (bench/README.md).  The hook is short-lived and single-threaded, so
 * this one keeps it simple: blocks of power-of-two sizes carved from 256 KiB
 * chunks, freed blocks kept on a list per size and reused, nothing given
 * back before exit; blocks above 64 KiB are mappings of their own.
 *
 * musl lets a static program replace malloc, calloc, realloc and free
 * (its aligned_alloc and memalign then fail with ENOMEM; nothing here calls
 * them).  A lock keeps it correct should a thread ever call it. */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define MIN_SHIFT 4                     /* 16 bytes: the smallest block */
#define MAX_SHIFT 16                    /* 64 KiB: the largest from a chunk */
#define CHUNK (256 * 1024)
#define HEADER 16                       /* keeps blocks 16-byte aligned */

struct header {
        size_t size;                    /* usable bytes: a class size, or the mapping's */
        size_t mapped;                  /* 1: a mapping of its own */
};

static struct header *free_list[MAX_SHIFT + 1];
static char *chunk_next, *chunk_end;
static atomic_flag lock = ATOMIC_FLAG_INIT;

static void take(void)
{
        while (atomic_flag_test_and_set_explicit(&lock, memory_order_acquire))
                ;
}

static void give(void)
{
        atomic_flag_clear_explicit(&lock, memory_order_release);
}

static unsigned class_of(size_t n)
{
        unsigned shift = MIN_SHIFT;

        while (((size_t)1 << shift) < n)
                shift++;
        return shift;
}

static void *map_block(size_t n)
{
        size_t len = (n + HEADER + 4095) & ~(size_t)4095;
        struct header *h;

        if (n > SIZE_MAX - HEADER - 4095) {
                errno = ENOMEM;
                return NULL;
        }
        h = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (h == MAP_FAILED) {
                errno = ENOMEM;
                return NULL;
        }
        h->size = len - HEADER;
        h->mapped = 1;
        return (char *)h + HEADER;
}

static void *class_block(unsigned shift)
{
        size_t need = HEADER + ((size_t)1 << shift);
        struct header *h = free_list[shift];

        if (h) {
                free_list[shift] = *(struct header **)((char *)h + HEADER);
                return (char *)h + HEADER;
        }
        if ((size_t)(chunk_end - chunk_next) < need) {
                /* the rest of the old chunk is left unused */
                char *c = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                               -1, 0);

                if (c == MAP_FAILED) {
                        errno = ENOMEM;
                        return NULL;
                }
                chunk_next = c;
                chunk_end = c + CHUNK;
        }
        h = (struct header *)chunk_next;
        chunk_next += need;
        h->size = (size_t)1 << shift;
        h->mapped = 0;
        return (char *)h + HEADER;
}

void *malloc(size_t n)
{
        void *p;

        if (n > ((size_t)1 << MAX_SHIFT))
                return map_block(n);
        take();
        p = class_block(class_of(n ? n : 1));
        give();
        return p;
}

void free(void *p)
{
        struct header *h;

        if (!p)
                return;
        h = (struct header *)((char *)p - HEADER);
        if (h->mapped) {
                munmap(h, h->size + HEADER);
                return;
        }
        take();
        *(struct header **)p = free_list[class_of(h->size)];
        free_list[class_of(h->size)] = h;
        give();
}

void *calloc(size_t m, size_t n)
{
        void *p;

        if (n && m > SIZE_MAX / n) {
                errno = ENOMEM;
                return NULL;
        }
        p = malloc(m * n);
        if (p)
                memset(p, 0, m * n);
        return p;
}

void *realloc(void *old, size_t n)
{
        struct header *h;
        void *p;

        if (!old)
                return malloc(n);
        h = (struct header *)((char *)old - HEADER);
        if (n <= h->size)
                return old;
        p = malloc(n);
        if (!p)
                return NULL;
        memcpy(p, old, h->size);
        free(old);
        return p;
}
