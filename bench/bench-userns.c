/* bench-userns: what a user namespace fd costs, in Go benchmark format.
 *
 *     build/bench/bench-userns [-bench REGEX] [-benchtime 1s|500ms|200x] [-count N]
 *
 * prints lines that benchstat reads:
 *
 *     BenchmarkUsernsFD_Concurrent1-2   	    7000	    140000 ns/op	       0 B/op	       0 allocs/op
 *
 * for three ways to get an fd on a user namespace with containerd's test maps
 * (uid and gid: 1000 0 100, 5000 2000 100, 10000 3000 100):
 *   UsernsFD         userns_fd(): the traced, seccomp-filtered CLONE_VM child.
 *   ClassicUsernsFD  the kernel selftests' way: a fork-like clone(CLONE_NEWUSER)
 *                    child (page tables copied) that SIGSTOPs itself; the
 *                    parent waits, writes the maps and opens ns/user by path,
 *                    kills and reaps.
 *   FloorCloneVM     the floor: a bare CLONE_VM|CLONE_NEWUSER child that exits
 *                    at once (no filter, no tracing, no stop); the parent does
 *                    the same /proc work on the zombie and reaps it.
 * ConcurrentN: one op is N threads making one fd each, all started together
 * and all finished (like containerd's benchmark: N goroutines and a
 * WaitGroup per op).  The -N suffix of a name is the CPU count (GOMAXPROCS).
 *
 * B/op and allocs/op count malloc/calloc/realloc calls made anywhere in the
 * process during the timed run (this file wraps them); they are left out in
 * a sanitizer build, whose allocator cannot be wrapped.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <regex.h>
#include <sched.h>
#include <signal.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hook/userns.h"
#include "base/cleanup.h"
#include "oci/idmap.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif

/* ---- allocation counting ------------------------------------------------ */

static atomic_uint_fast64_t alloc_calls, alloc_bytes;
static bool count_allocs;       /* the counter is seen to work */

#ifndef SANITIZED
/* Wrapping the allocator in the executable catches libc's own calls too
 * (they go through the PLT); glibc exports its implementation as
 * __libc_malloc & co. */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static void count_alloc(size_t n)
{
        atomic_fetch_add_explicit(&alloc_calls, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&alloc_bytes, n, memory_order_relaxed);
}

void *malloc(size_t n)
{
        count_alloc(n);
        return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
        count_alloc(n * size);
        return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
        count_alloc(n);
        return __libc_realloc(p, n);
}
#endif

/* ---- the three ways to a user namespace fd -------------------------------- */

#define STACK_SIZE 4096

static int fail(struct err *e, const char *what)
{
        return err_sys(e, errno, "%s", what);
}

static int write_file(const char *path, const char *text, size_t len, struct err *e)
{
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);

        if (fd < 0 || write(fd, text, len) != (ssize_t)len)
                return fail(e, path);
        return 0;
}

static int classic_child(void *arg)
{
        syscall(SYS_kill, syscall(SYS_getpid), SIGSTOP);
        for (;;)
                pause();
        return 0;
}

/* As tools/testing/selftests/mount_setattr does it, plus a wait for the
 * child's stop before the maps are written (the selftests write at once),
 * and with the stack in the caller's frame (no allocation). */
static int classic_userns_fd(const struct id_mapping *m, struct err *e)
{
        alignas(16) unsigned char stack[STACK_SIZE];
        char uid[IDMAP_TEXT_MAX], gid[IDMAP_TEXT_MAX], path[64];
        int uid_len = idmap_render(&m->uid, uid, sizeof(uid));
        int gid_len = idmap_render(&m->gid, gid, sizeof(gid));
        int status, fd = -1;
        pid_t pid;

        pid = clone(classic_child, stack + sizeof(stack), CLONE_NEWUSER | SIGCHLD, NULL);
        if (pid < 0)
                return fail(e, "clone");
        if (waitpid(pid, &status, WUNTRACED) != pid || !WIFSTOPPED(status)) {
                fail(e, "waitpid");
                goto out;
        }
        snprintf(path, sizeof(path), "/proc/%d/uid_map", pid);
        if (write_file(path, uid, uid_len, e) < 0)
                goto out;
        snprintf(path, sizeof(path), "/proc/%d/gid_map", pid);
        if (write_file(path, gid, gid_len, e) < 0)
                goto out;
        snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                fail(e, path);
out:
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return fd;
}

static int floor_child(void *arg)
{
        return 0;
}

static int floor_userns_fd(const struct id_mapping *m, struct err *e)
{
        alignas(16) unsigned char stack[STACK_SIZE];
        char uid[IDMAP_TEXT_MAX], gid[IDMAP_TEXT_MAX], path[32];
        int uid_len = idmap_render(&m->uid, uid, sizeof(uid));
        int gid_len = idmap_render(&m->gid, gid, sizeof(gid));
        int dir = -1, fd = -1, ufd = -1, gfd = -1;
        pid_t pid;

        pid = clone(floor_child, stack + sizeof(stack), CLONE_VM | CLONE_NEWUSER | SIGCHLD,
                    NULL);
        if (pid < 0)
                return fail(e, "clone");
        /* The child may be a zombie already: its /proc entries stay until
         * it is reaped below. */
        snprintf(path, sizeof(path), "/proc/%d", pid);
        dir = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0) {
                fail(e, path);
                goto out;
        }
        fd = openat(dir, "ns/user", O_RDONLY | O_CLOEXEC);
        ufd = openat(dir, "uid_map", O_WRONLY | O_CLOEXEC);
        gfd = openat(dir, "gid_map", O_WRONLY | O_CLOEXEC);
        if (fd < 0 || ufd < 0 || gfd < 0 || write(ufd, uid, uid_len) != uid_len ||
            write(gfd, gid, gid_len) != gid_len) {
                fail(e, "floor: /proc/<pid>/{ns/user,uid_map,gid_map}");
                if (fd >= 0)
                        close(fd);
                fd = -1;
        }
out:
        if (dir >= 0)
                close(dir);
        if (ufd >= 0)
                close(ufd);
        if (gfd >= 0)
                close(gfd);
        waitpid(pid, NULL, __WALL);
        return fd;
}

/* ---- running benchmarks the way `go test -bench` does --------------------- */

typedef int (*make_fn)(const struct id_mapping *m, struct err *e);

struct benchmark {
        const char *name;
        make_fn make;
        int threads;
};

static const struct benchmark benchmarks[] = {
        { "UsernsFD_Concurrent1", userns_fd, 1 },
        { "UsernsFD_Concurrent10", userns_fd, 10 },
        { "ClassicUsernsFD_Concurrent1", classic_userns_fd, 1 },
        { "ClassicUsernsFD_Concurrent10", classic_userns_fd, 10 },
        { "FloorCloneVM_Concurrent1", floor_userns_fd, 1 },
        { "FloorCloneVM_Concurrent10", floor_userns_fd, 10 },
};

static struct id_mapping containerd_maps;

static void make_one(make_fn make)
{
        struct err e = { 0 };
        int fd = make(&containerd_maps, &e);

        if (fd < 0) {
                fprintf(stderr, "bench-userns: %s\n", e.msg);
                exit(1);
        }
        close(fd);
}

/* N worker threads; each op starts them all and waits for all. */
struct pool {
        make_fn make;
        int threads;
        bool stop;
        pthread_barrier_t start, done;
        pthread_t tid[16];
};

static void *worker(void *arg)
{
        struct pool *p = arg;

        for (;;) {
                pthread_barrier_wait(&p->start);
                if (p->stop)
                        return NULL;
                make_one(p->make);
                pthread_barrier_wait(&p->done);
        }
}

static void pool_start(struct pool *p, const struct benchmark *b)
{
        *p = (struct pool){ .make = b->make, .threads = b->threads };
        pthread_barrier_init(&p->start, NULL, b->threads + 1);
        pthread_barrier_init(&p->done, NULL, b->threads + 1);
        for (int i = 0; i < b->threads; i++)
                if (pthread_create(&p->tid[i], NULL, worker, p) != 0) {
                        fprintf(stderr, "bench-userns: pthread_create failed\n");
                        exit(1);
                }
}

static void pool_stop(struct pool *p)
{
        p->stop = true;
        pthread_barrier_wait(&p->start);
        for (int i = 0; i < p->threads; i++)
                pthread_join(p->tid[i], NULL);
        pthread_barrier_destroy(&p->start);
        pthread_barrier_destroy(&p->done);
}

static int64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct result {
        int64_t n, ns, allocs, bytes;
};

static struct result run_n(const struct benchmark *b, struct pool *p, int64_t n)
{
        struct result r = { .n = n };
        int64_t t0;

        atomic_store(&alloc_calls, 0);
        atomic_store(&alloc_bytes, 0);
        t0 = now_ns();
        for (int64_t i = 0; i < n; i++) {
                if (b->threads == 1) {
                        make_one(b->make);
                } else {
                        pthread_barrier_wait(&p->start);
                        pthread_barrier_wait(&p->done);
                }
        }
        r.ns = now_ns() - t0;
        r.allocs = atomic_load(&alloc_calls);
        r.bytes = atomic_load(&alloc_bytes);
        return r;
}

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

/* testing.B.launch: grow N until one run lasts the benchtime. */
static struct result run_benchmark(const struct benchmark *b, int64_t bench_ns,
                                   int64_t bench_n)
{
        struct pool p;
        struct result r;

        if (b->threads > 1)
                pool_start(&p, b);
        r = run_n(b, &p, 1);
        if (bench_n > 0) {
                r = run_n(b, &p, bench_n);
        } else {
                while (r.ns < bench_ns && r.n < 1000000000) {
                        int64_t last = r.n, n;

                        n = bench_ns * last / max64(r.ns, 1);
                        n += n / 5;
                        n = min64(n, 100 * last);
                        n = max64(n, last + 1);
                        r = run_n(b, &p, min64(n, 1000000000));
                }
        }
        if (b->threads > 1)
                pool_stop(&p);
        return r;
}

static int cpu_count(void)
{
        cpu_set_t set;

        if (sched_getaffinity(0, sizeof(set), &set) == 0)
                return CPU_COUNT(&set);
        return (int)sysconf(_SC_NPROCESSORS_ONLN);
}

static void print_header(void)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/cpuinfo", "re");
        char line[256];

        printf("goos: linux\n");
#if defined(__x86_64__)
        printf("goarch: amd64\n");
#elif defined(__aarch64__)
        printf("goarch: arm64\n");
#endif
        printf("pkg: oci-idmap-hook/bench\n");
        while (f && fgets(line, sizeof(line), f)) {
                if (strncmp(line, "model name", 10) == 0 && strchr(line, ':')) {
                        printf("cpu:%s", strchr(line, ':') + 1);
                        break;
                }
        }
}

static void print_result(const char *name, int width, const struct result *r)
{
        printf("Benchmark%-*s\t%8" PRId64 "\t%10" PRId64 " ns/op", width, name, r->n,
               r->ns / r->n);
        if (count_allocs)
                printf("\t%8" PRId64 " B/op\t%8" PRId64 " allocs/op", r->bytes / r->n,
                       r->allocs / r->n);
        printf("\n");
        fflush(stdout);
}

/* "1s", "500ms", "2m", "150us", or "200x" (iterations). */
static int parse_benchtime(const char *s, int64_t *ns, int64_t *n)
{
        static const struct { const char *unit; int64_t ns; } units[] = {
                { "ns", 1 }, { "us", 1000 }, { "µs", 1000 }, { "ms", 1000000 },
                { "s", 1000000000 }, { "m", 60000000000 },
        };
        char *end;
        double v = strtod(s, &end);

        if (end == s || v <= 0)
                return -1;
        if (strcmp(end, "x") == 0) {
                *n = (int64_t)v;
                *ns = 0;
                return *n > 0 ? 0 : -1;
        }
        for (size_t i = 0; i < ARRAY_SIZE(units); i++)
                if (strcmp(end, units[i].unit) == 0) {
                        *ns = (int64_t)(v * units[i].ns);
                        *n = 0;
                        return 0;
                }
        return -1;
}

static void usage(FILE *f)
{
        fprintf(f, "usage: bench-userns [-bench REGEX] [-benchtime 1s|200x] [-count N]\n");
}

static void set_containerd_maps(void)
{
        static const struct id_range r[] = {
                { 1000, 0, 100 }, { 5000, 2000, 100 }, { 10000, 3000, 100 },
        };

        containerd_maps.uid.n = ARRAY_SIZE(r);
        memcpy(containerd_maps.uid.r, r, sizeof(r));
        containerd_maps.gid = containerd_maps.uid;
}

int main(int argc, char **argv)
{
        static const struct option options[] = {
                { "bench", required_argument, NULL, 'b' },
                { "benchtime", required_argument, NULL, 't' },
                { "count", required_argument, NULL, 'c' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        const char *pattern = ".";
        int64_t bench_ns = 1000000000, bench_n = 0;
        int count = 1, width = 0, opt, ncpu;
        regex_t re;

        /* getopt_long_only: Go's single-dash long flags (-benchtime 1s). */
        while ((opt = getopt_long_only(argc, argv, "", options, NULL)) != -1) {
                switch (opt) {
                case 'b':
                        pattern = optarg;
                        break;
                case 't':
                        if (parse_benchtime(optarg, &bench_ns, &bench_n) < 0) {
                                fprintf(stderr, "bench-userns: bad -benchtime %s\n", optarg);
                                return 2;
                        }
                        break;
                case 'c':
                        count = atoi(optarg);
                        if (count < 1) {
                                fprintf(stderr, "bench-userns: bad -count %s\n", optarg);
                                return 2;
                        }
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (optind != argc) {
                usage(stderr);
                return 2;
        }
        if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0) {
                fprintf(stderr, "bench-userns: bad -bench %s\n", pattern);
                return 2;
        }

        set_containerd_maps();
        ncpu = cpu_count();
        for (size_t i = 0; i < ARRAY_SIZE(benchmarks); i++) {
                char name[128];
                int w = snprintf(name, sizeof(name), "%s-%d", benchmarks[i].name, ncpu);

                width = w > width ? w : width;
        }
        /* Builds the seccomp program and faults in what a first call
         * touches, outside any timed run.  libseccomp allocates while it
         * builds: an allocation counter that saw nothing here would be
         * broken, and the 0 allocs/op below would prove nothing. */
        atomic_store(&alloc_calls, 0);
        make_one(userns_fd);
        count_allocs = atomic_load(&alloc_calls) > 0;
        if (!count_allocs)
                fprintf(stderr, "bench-userns: no allocation counted while libseccomp "
                        "built the filter: B/op and allocs/op left out\n");

        print_header();
        for (size_t i = 0; i < ARRAY_SIZE(benchmarks); i++) {
                const struct benchmark *b = &benchmarks[i];
                char name[128];

                if (regexec(&re, b->name, 0, NULL, 0) != 0)
                        continue;
                snprintf(name, sizeof(name), "%s-%d", b->name, ncpu);
                for (int c = 0; c < count; c++) {
                        struct result r = run_benchmark(b, bench_ns, bench_n);

                        print_result(name, width, &r);
                }
        }
        regfree(&re);
        printf("PASS\n");
        return 0;
}
