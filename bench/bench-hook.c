/* bench-hook: what the hook costs, beside what users do without it.
 *
 *     build/bench/bench-hook [--only abcd] [--runs N] [--starts N]
 *                            [--files N[,N...]] [--chown-reps N]
 *                            [--hook PATH] [--sample DIR] [--workdir DIR]
 *                            [--wrap "CMD ARGS"]
 *
 * (a) The hook's whole run, exec to exit, on podman 4.3.1's config.json
 *     (tests/fixtures/podman-4.3.1/crun: 14 mounts, 11 masked and 6 read-only
 *     paths, a seccomp profile) against a stand-in container laid out as crun
 *     leaves it at createRuntime; beside /bin/true run the same way with the
 *     same stdin, and the hook on the same config without a user namespace
 *     ("nothing to do": the hook is installed for every container).  Median,
 *     p90, and peak RSS from wait4().
 * (b) Container start (`runc run` and `crun run` of a busybox bundle with a
 *     user namespace, /bin/true as the process), with and without the hook
 *     at createRuntime, interleaved.
 * (c) What users do today instead: `cp -a` plus `chown -R 100000:100000` of a
 *     rootfs of N small files, and the disk the copy takes.
 * (d) Where the hook's time goes: its stages run in a fresh process against a
 *     fresh stand-in, each timed.
 *
 * Timed processes are started by a "spawner": a process forked before this
 * program allocates anything.  A child's ru_maxrss counts memory of the
 * process it was forked from (fork copies the anonymous pages' entries, and
 * exec records the old mm's high-water mark), so the spawner keeps that floor
 * small and the hook's peak is its own; the floor is printed.
 *
 * Everything runs in a private mount namespace of this program's own, and
 * each stand-in container in one of its own: nothing mounted here reaches the
 * host.  The work directory (under /var/tmp: the rootfs is on disk, as a
 * container's is) is removed at exit, and containers are deleted.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hook/mounts.h"
#include "hook/run.h"
#include "hook/userns.h"
#include "base/cleanup.h"
#include "oci/config.h"
#include "oci/idmap.h"
#include "oci/json.h"
#include "oci/mountinfo.h"
#include "oci/plan.h"
#include "oci/state.h"
#include "tests/support/oci_bundle.h"
#include "tests/support/leftovers.h"
#include "tests/support/rootfs.h"
#include "tests/support/standin.h"
#include "../base/io.h"

#define DEFAULT_SAMPLE "tests/fixtures/podman-4.3.1/crun"

#define HOST_BASE 100000u
#define CGROUP_PARENT "bench-oci-idmap-hook"

/* ---- options -------------------------------------------------------------- */

struct opts {
        bool phase[4];                  /* a, b, c, d */
        unsigned runs;
        unsigned starts;
        unsigned long files[8];
        size_t n_files;
        unsigned chown_reps;
        const char *hook;
        const char *sample;
        const char *workdir;
        const char *wrap;
};

static struct opts opt = {
        .phase = { true, true, true, true },
        .runs = 200,
        .starts = 100,
        .files = { 10000, 100000 },
        .n_files = 2,
        .chown_reps = 1,
        .workdir = "/var/tmp",
};

/* ---- what must go at exit ------------------------------------------------- */

static char work[PATH_MAX];             /* removed at exit */
static struct standin standin = { .pid = -1 };  /* the current stand-in container */
static pid_t spawner = -1;
static int spawner_req = -1, spawner_res = -1;
static pid_t main_pid;                  /* forked children never clean up */
static volatile sig_atomic_t interrupted;

struct container {
        const char *runtime;
        char root[PATH_MAX];
        char id[96];
        bool maybe_exists;
};
static struct container containers[6];
static size_t n_containers;

static void cleanup(void);

__attribute__((format(printf, 1, 2), noreturn))
static void die(const char *fmt, ...)
{
        va_list ap;

        fflush(stdout);
        fprintf(stderr, "bench-hook: ");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        exit(1);
}

static void *xmalloc(size_t n)
{
        void *p = malloc(n ? n : 1);

        if (!p)
                die("out of memory");
        return p;
}

__attribute__((format(printf, 1, 2)))
static char *strf(const char *fmt, ...)
{
        va_list ap;
        char *s;

        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                die("out of memory");
        va_end(ap);
        return s;
}

static int64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* path_printf (tests/support/leftovers.h), or die. */
#define pathf(buf, ...)                                                         \
        do {                                                                    \
                struct err pe_ = { 0 };                                         \
                if (path_printf(buf, &pe_, __VA_ARGS__) < 0)                    \
                        die("%s", pe_.msg);                                     \
        } while (0)

static void write_file(const char *path, const char *text, mode_t mode)
{
        struct err e = { 0 };

        if (write_text_file(path, text, mode, &e) < 0)
                die("%s", e.msg);
}

static char *read_file(const char *path, size_t *len)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        char *buf;
        int r;

        if (fd < 0)
                die("open `%s`: %s", path, strerror(errno));
        r = read_input_fd(fd, 64 << 20, &buf, len);
        if (r < 0)
                die("read `%s`: %s", path, strerror(-r));
        return buf;
}

static void mkdir_p(const char *path, mode_t mode)
{
        struct err e = { 0 };

        if (mkdir_parents(path, mode, &e) < 0)
                die("%s", e.msg);
}

static void remove_tree(const char *dir)
{
        leftover_remove_tree(dir);
}

/* ---- statistics ----------------------------------------------------------- */

struct series {
        const char *name;
        double *ms;                     /* wall clock */
        double *cpu_ms;                 /* user + system of the process and what it reaped */
        long *rss_kib;
        size_t n;
};

static void series_init(struct series *s, const char *name, size_t cap)
{
        s->name = name;
        s->ms = xmalloc(cap * sizeof(double));
        s->cpu_ms = xmalloc(cap * sizeof(double));
        s->rss_kib = xmalloc(cap * sizeof(long));
        s->n = 0;
}

static void series_add(struct series *s, int64_t ns, int64_t cpu_ns, long rss_kib)
{
        s->ms[s->n] = (double)ns / 1e6;
        s->cpu_ms[s->n] = (double)cpu_ns / 1e6;
        s->rss_kib[s->n] = rss_kib;
        s->n++;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return (x > y) - (x < y);
}

/* The q-quantile (0..1) by nearest rank. */
static double quantile(const double *v, size_t n, double q)
{
        _cleanup_free_ double *s = xmalloc(n * sizeof(double));
        size_t i;

        if (!n)
                return 0;
        memcpy(s, v, n * sizeof(double));
        qsort(s, n, sizeof(double), cmp_double);
        i = (size_t)(q * (double)(n - 1) + 0.5);
        return s[i < n ? i : n - 1];
}

static double median(const struct series *s) { return quantile(s->ms, s->n, 0.5); }
static double median_cpu(const struct series *s) { return quantile(s->cpu_ms, s->n, 0.5); }
static double p90(const struct series *s) { return quantile(s->ms, s->n, 0.9); }

static long max_rss(const struct series *s)
{
        long m = 0;

        for (size_t i = 0; i < s->n; i++)
                if (s->rss_kib[i] > m)
                        m = s->rss_kib[i];
        return m;
}

/* The median of per-iteration differences a[i] - b[i]: robust against drift
 * that hits both members of a pair alike. */
static double paired_median_of(const double *a, const double *b, size_t n)
{
        _cleanup_free_ double *d = xmalloc((n ? n : 1) * sizeof(double));

        for (size_t i = 0; i < n; i++)
                d[i] = a[i] - b[i];
        return quantile(d, n, 0.5);
}

static double paired_median(const struct series *a, const struct series *b)
{
        return paired_median_of(a->ms, b->ms, a->n < b->n ? a->n : b->n);
}

static double paired_median_cpu(const struct series *a, const struct series *b)
{
        return paired_median_of(a->cpu_ms, b->cpu_ms, a->n < b->n ? a->n : b->n);
}

static const char *verdict(bool met)
{
        return met ? "MET" : "MISSED";
}

/* ---- the spawner ---------------------------------------------------------- */

/* One request fits in a pipe's atomic write (PIPE_BUF, 4096). */
struct spawn_req {
        uint32_t argc;                  /* 0: report the spawner's anonymous RSS */
        char in[256];                   /* stdin: a file; "" for /dev/null */
        char out[256];                  /* stdout and stderr: a file; "" for /dev/null */
        char args[3500];                /* argv[0..argc), each NUL-terminated */
};

struct spawn_res {
        int64_t ns;                     /* fork to reaped */
        int64_t cpu_ns;                 /* the child's user + system time, its children's too */
        long maxrss_kib;
        int status;                     /* wait status, or -errno of the spawner */
};

/* What a child forked from here starts with: its anonymous memory (fork
 * leaves file-backed pages to be faulted in again). */
static long own_anon_rss_kib(void)
{
        char line[256];
        long kib = -1;
        FILE *f = fopen("/proc/self/status", "re");

        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "RssAnon: %ld kB", &kib) == 1)
                        break;
        fclose(f);
        return kib;
}

static int open_or_null(const char *path, int flags)
{
        return open(path[0] ? path : "/dev/null", flags | O_CLOEXEC, 0644);
}

/* Nothing to read: an empty pipe, never the host's /dev/null, which crun
 * 1.8.1 would chown to the container root's host ids (it chowns its
 * stdio). */
static int open_input(const char *path)
{
        int p[2];

        if (path[0])
                return open(path, O_RDONLY | O_CLOEXEC);
        if (pipe2(p, O_CLOEXEC) < 0)
                return -1;
        close(p[1]);
        return p[0];
}

static struct spawn_res spawner_serve(struct spawn_req *q)
{
        struct spawn_res r = { 0 };
        char *argv[128];
        struct rusage ru;
        int in, out, status;
        size_t off = 0;
        int64_t t0;
        pid_t pid;

        if (q->argc == 0) {
                r.maxrss_kib = own_anon_rss_kib();
                return r;
        }
        q->args[sizeof(q->args) - 1] = '\0';
        for (uint32_t i = 0; i < q->argc && i < 127; i++) {
                argv[i] = q->args + off;
                off += strlen(argv[i]) + 1;
        }
        argv[q->argc < 127 ? q->argc : 127] = NULL;
        in = open_input(q->in);
        out = open_or_null(q->out, O_WRONLY | O_CREAT | O_TRUNC);
        if (in < 0 || out < 0) {
                r.status = -errno;
                goto out;
        }
        t0 = now_ns();
        pid = fork();
        if (pid == 0) {
                if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
                        _exit(126);
                execvp(argv[0], argv);
                _exit(127);
        }
        if (pid < 0) {
                r.status = -errno;
                goto out;
        }
        if (wait4(pid, &status, 0, &ru) < 0) {
                r.status = -errno;
                goto out;
        }
        r.ns = now_ns() - t0;
        r.cpu_ns = ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
                   ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
        r.status = status;
        r.maxrss_kib = ru.ru_maxrss;
out:
        if (in >= 0)
                close(in);
        if (out >= 0)
                close(out);
        return r;
}

static void spawner_start(void)
{
        int req[2], res[2];

        if (pipe2(req, O_CLOEXEC) < 0 || pipe2(res, O_CLOEXEC) < 0)
                die("pipe: %s", strerror(errno));
        spawner = fork();
        if (spawner < 0)
                die("fork: %s", strerror(errno));
        if (spawner == 0) {
                struct spawn_req q;
                struct spawn_res r;

                close(req[1]);
                close(res[0]);
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                while (read(req[0], &q, sizeof(q)) == (ssize_t)sizeof(q)) {
                        r = spawner_serve(&q);
                        if (write(res[1], &r, sizeof(r)) != (ssize_t)sizeof(r))
                                _exit(1);
                }
                _exit(0);
        }
        close(req[0]);
        close(res[1]);
        spawner_req = req[1];
        spawner_res = res[0];
}

/* Runs argv (NULL-terminated) through the spawner; `in`/`out` as in the
 * request, NULL for /dev/null. */
static struct spawn_res spawn(const char *in, const char *out, const char *const *argv)
{
        struct spawn_req q = { 0 };
        struct spawn_res r;
        size_t off = 0;

        for (; argv[q.argc]; q.argc++) {
                size_t len = strlen(argv[q.argc]) + 1;

                if (off + len > sizeof(q.args) || q.argc == 126)
                        die("command line too long: %s ...", argv[0]);
                memcpy(q.args + off, argv[q.argc], len);
                off += len;
        }
        if (snprintf(q.in, sizeof(q.in), "%s", in ? in : "") >= (int)sizeof(q.in) ||
            snprintf(q.out, sizeof(q.out), "%s", out ? out : "") >= (int)sizeof(q.out))
                die("path too long for the spawner");
        if (interrupted)
                die("interrupted");
        if (write(spawner_req, &q, sizeof(q)) != (ssize_t)sizeof(q) ||
            read(spawner_res, &r, sizeof(r)) != (ssize_t)sizeof(r))
                die(interrupted ? "interrupted" : "the spawner is gone");
        if (r.status < 0)
                die("spawn %s: %s", argv[0], strerror(-r.status));
        return r;
}

/* The spawner's anonymous memory: the floor under every ru_maxrss. */
static long spawner_floor_kib(void)
{
        struct spawn_req q = { 0 };
        struct spawn_res r;

        if (write(spawner_req, &q, sizeof(q)) != (ssize_t)sizeof(q) ||
            read(spawner_res, &r, sizeof(r)) != (ssize_t)sizeof(r))
                die(interrupted ? "interrupted" : "the spawner is gone");
        return r.maxrss_kib;
}

static void show_log(const char *path)
{
        size_t len;
        _cleanup_free_ char *text = read_file(path, &len);

        fprintf(stderr, "--- %s\n%.*s---\n", path, (int)(len > 4000 ? 4000 : len), text);
}

static bool exited_ok(const struct spawn_res *r)
{
        return WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0;
}

static void must_succeed(const struct spawn_res *r, const char *log, const char *what)
{
        if (exited_ok(r))
                return;
        if (log)
                show_log(log);
        if (WIFEXITED(r->status))
                die("%s: exit status %d", what, WEXITSTATUS(r->status));
        die("%s: killed by signal %d", what, WTERMSIG(r->status));
}

#define ARGV(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* ---- (a) the podman sample, a rootfs and a stand-in container ------------- */

struct sample {
        struct oci_state state;         /* the sample's, for id and annotations */
        struct oci_config config;       /* the rewritten config.json */
        char *sample_rootfs;            /* root.path as podman wrote it */
        char *rootfs;
        char *bundle;                   /* config.json as podman wrote it, paths moved */
        char *bundle_idle;              /* ... without the user namespace */
        char *state_path;
        char *state_idle_path;
};

/* Replaces every `"<key>":"<from>"` by `"<key>":"<to>"`; dies when there is
 * none, so a sample of another shape is not silently left pointing at a
 * path of the host. */
static char *replace_value(char *text, const char *key, const char *from, const char *to)
{
        _cleanup_free_ char *needle = strf("\"%s\":\"%s\"", key, from);
        _cleanup_free_ char *with = strf("\"%s\":\"%s\"", key, to);
        size_t nlen = strlen(needle), wlen = strlen(with), count = 0;
        char *out, *o;

        if (strpbrk(from, "\"\\") || strpbrk(to, "\"\\"))
                die("sample: path %s needs JSON escaping; not supported", from);
        for (const char *p = text; (p = strstr(p, needle)); p += nlen)
                count++;
        if (!count)
                die("sample: %s not found in config.json", needle);
        o = out = xmalloc(strlen(text) + count * wlen + 1);
        for (const char *p = text, *hit; ; p = hit + nlen) {
                hit = strstr(p, needle);
                if (!hit) {
                        strcpy(o, p);
                        break;
                }
                memcpy(o, p, (size_t)(hit - p));
                o += hit - p;
                memcpy(o, with, wlen);
                o += wlen;
        }
        free(text);
        return out;
}

/* Cuts `"<key>":[...]` and the comma after it out of compact JSON. */
static void cut_array_member(char *text, const char *key)
{
        _cleanup_free_ char *needle = strf("\"%s\":[", key);
        char *start = strstr(text, needle), *p;
        int depth = 0;

        if (!start)
                die("sample: %s not found in config.json", needle);
        for (p = start + strlen(needle) - 1; *p; p++) {
                if (*p == '[')
                        depth++;
                else if (*p == ']' && --depth == 0)
                        break;
        }
        if (!*p)
                die("sample: %s is not closed", needle);
        p++;
        if (*p == ',')
                p++;
        memmove(start, p, strlen(p) + 1);
}

static void cut_string(char *text, const char *what)
{
        char *hit = strstr(text, what);

        if (!hit)
                die("sample: %s not found in config.json", what);
        memmove(hit, hit + strlen(what), strlen(hit + strlen(what)) + 1);
}

/* A bind source stands in for a file when its destination is one (podman's
 * /etc/hostname, /etc/hosts, /etc/resolv.conf). */
static bool is_file_destination(const char *dest)
{
        return strncmp(dest, "/etc/", 5) == 0;
}

static void make_sample_rootfs(const char *rootfs)
{
        static const char *const dirs[] = {
                "bin", "etc", "proc", "sys", "dev", "run", "tmp", "var/tmp", "root",
                "usr/bin", "usr/lib", "vol", "rovol", "home",
        };
        static const char *const files[] = {
                "etc/hostname", "etc/hosts", "etc/resolv.conf", "etc/passwd", "etc/group",
                "bin/sh", "usr/bin/env", "usr/lib/libc.so.6", "root/.profile",
        };

        mkdir_p(rootfs, 0755);
        for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
                _cleanup_free_ char *p = strf("%s/%s", rootfs, dirs[i]);

                mkdir_p(p, 0755);
        }
        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                _cleanup_free_ char *p = strf("%s/%s", rootfs, files[i]);

                write_file(p, "root:x:0:0:root:/root:/bin/sh\n", 0644);
        }
        /* Owned by 0 on disk, unmapped by 0:100000:65536 on the host side:
         * the hook's "auto" mode idmaps exactly this. */
        if (chown(rootfs, 0, 0) < 0)
                die("chown `%s`: %s", rootfs, strerror(errno));
}

/* crun's form (tests/fixtures/podman-4.3.1/crun/state-createRuntime.json). */
static void write_state(const char *path, const struct sample *s, const char *bundle, pid_t pid)
{
        size_t n = s->state.annotations.n;
        _cleanup_free_ const char **a = calloc(2 * n + 1, sizeof(*a));
        struct bundle_state st = { .id = s->state.id, .pid = pid, .bundle = bundle,
                                   .root = s->rootfs, .annotations = a };
        _cleanup_free_ char *text = NULL;
        struct err e = { 0 };

        if (!a)
                die("out of memory");
        for (size_t i = 0; i < n; i++) {
                a[2 * i] = s->state.annotations.items[i].key;
                a[2 * i + 1] = s->state.annotations.items[i].value;
        }
        text = bundle_state_text(&st, &e);
        if (!text)
                die("%s", e.msg);
        write_file(path, text, 0644);
}

static void load_config_or_die(const char *bundle, struct oci_config *c)
{
        struct err e = { 0 };

        if (oci_config_load(bundle, c, &e) < 0)
                die("%s/config.json: %s", bundle, e.msg);
}

static void sample_setup(struct sample *s)
{
        _cleanup_free_ char *state_file = strf("%s/state-createRuntime.json", opt.sample);
        _cleanup_free_ char *config_file = strf("%s/config-createRuntime.json", opt.sample);
        _cleanup_free_ char *state_text = NULL;
        struct oci_config orig = { 0 };
        struct oci_config idle = { 0 };
        struct err e = { 0 };
        size_t len;
        char *text;

        state_text = read_file(state_file, &len);
        if (oci_state_parse(state_text, len, state_file, &s->state, &e) < 0)
                die("%s", e.msg);
        text = read_file(config_file, &len);
        if (oci_config_parse(text, len, "/", config_file, &orig, &e) < 0)
                die("%s", e.msg);

        s->rootfs = strf("%s/podman/rootfs", work);
        s->bundle = strf("%s/podman/bundle", work);
        s->bundle_idle = strf("%s/podman/bundle-nouserns", work);
        s->state_path = strf("%s/podman/state.json", work);
        s->state_idle_path = strf("%s/podman/state-nouserns.json", work);
        make_sample_rootfs(s->rootfs);
        mkdir_p(s->bundle, 0755);
        mkdir_p(s->bundle_idle, 0755);

        s->sample_rootfs = strf("%s", orig.root_path);
        text = replace_value(text, "path", orig.root_path, s->rootfs);
        for (size_t i = 0; i < orig.n_mounts; i++) {
                const struct oci_mount *m = &orig.mounts[i];
                _cleanup_free_ char *src = NULL;

                if (!m->source || m->source[0] != '/')
                        continue;       /* "tmpfs", "proc", ...: not a path */
                src = strf("%s/podman/src%zu", work, i);
                if (is_file_destination(m->destination))
                        write_file(src, "bench\n", 0644);
                else
                        mkdir_p(src, 0755);
                text = replace_value(text, "source", m->source, src);
        }
        oci_config_free(&orig);
        {
                _cleanup_free_ char *p = strf("%s/config.json", s->bundle);

                write_file(p, text, 0644);
        }
        cut_string(text, ",{\"type\":\"user\"}");
        cut_array_member(text, "uidMappings");
        cut_array_member(text, "gidMappings");
        {
                _cleanup_free_ char *p = strf("%s/config.json", s->bundle_idle);

                write_file(p, text, 0644);
        }
        free(text);

        load_config_or_die(s->bundle, &s->config);
        load_config_or_die(s->bundle_idle, &idle);
        if (!s->config.has_userns || !s->config.has_idmap || idle.has_userns || idle.has_idmap)
                die("sample: the rewritten configs do not have the expected namespaces");
        oci_config_free(&idle);
}

static void sample_free(struct sample *s)
{
        oci_state_free(&s->state);
        oci_config_free(&s->config);
        free(s->sample_rootfs);
        free(s->rootfs);
        free(s->bundle);
        free(s->bundle_idle);
        free(s->state_path);
        free(s->state_idle_path);
}

/* The stand-in container (tests/support/standin.h) as crun leaves it when
 * it runs createRuntime hooks: the rootfs bind-mounted on itself and made
 * private, every config.json mount below it with its nosuid/nodev/noexec
 * but not yet its ro, the devices bound.  Like the runtime's init then, it
 * is in a user namespace with the container's mapping (entered after the
 * mounts, so the mount namespace stays the initial user namespace's: the
 * hook, root there, works the same).  It waits to be killed. */
static pid_t standin_start_sample(const struct sample *s)
{
        size_t n = s->config.n_mounts;
        _cleanup_free_ struct standin_mount *m = calloc(n ? n : 1, sizeof(*m));
        _cleanup_free_ char *data = calloc(n ? n : 1, 512);
        struct standin_spec spec = { .rootfs = s->rootfs, .mounts = m, .n_mounts = n,
                                     .bind_devices = true, .userns = &s->config.idmap };
        struct err e = { 0 };

        if (!m || !data)
                die("out of memory");
        for (size_t i = 0; i < n; i++) {
                if (standin_mount_like_crun(&s->config.mounts[i], data + 512 * i, 512, &m[i], &e) < 0)
                        die("%s", e.msg);
                m[i].file = (m[i].flags & MS_BIND) && is_file_destination(m[i].target);
        }
        if (standin_start(&standin, &spec, &e) < 0)
                die("%s", e.msg);
        return standin.pid;
}

static void load_standin_mounts(pid_t pid, struct mountinfo *mi)
{
        _cleanup_free_ char *path = strf("/proc/%d/mountinfo", (int)pid);
        struct err e = { 0 };

        if (mountinfo_load(path, mi, &e) < 0)
                die("%s", e.msg);
}

static size_t mounts_under(const struct mountinfo *mi, const char *dir)
{
        size_t n = 0, len = strlen(dir);

        for (size_t i = 0; i < mi->n; i++)
                if (strncmp(mi->e[i].mount_point, dir, len) == 0 &&
                    (mi->e[i].mount_point[len] == '/' || mi->e[i].mount_point[len] == '\0'))
                        n++;
        return n;
}

/* The bench measures the real work only if the hook did it: the rootfs and
 * the volume with the idmap option idmapped.  The sample asks for a
 * read-only root, which the hook carries over when its parent is not runc. */
static void check_idmapped(const struct sample *s, pid_t pid)
{
        static bool warned;
        _cleanup_free_ char *vol = strf("%s/vol", s->rootfs);
        struct mountinfo mi = { 0 };
        const struct mountinfo_entry *root, *v;

        load_standin_mounts(pid, &mi);
        root = mountinfo_top(&mi, s->rootfs);
        v = mountinfo_top(&mi, vol);
        if (!root || !root->idmapped || !v || !v->idmapped)
                die("the hook left the stand-in's rootfs or /vol not idmapped (%s)", s->rootfs);
        if (!(root->attrs & MOUNT_ATTR_RDONLY) && !warned) {
                fprintf(stderr, "bench-hook: warning: the hook left the stand-in's rootfs "
                        "writable; config.json asks for root.readonly\n");
                warned = true;
        }
        mountinfo_free(&mi);
}

/* ---- (a) the whole run ---------------------------------------------------- */

enum { RUN_TRUE, RUN_HOOK, RUN_IDLE, RUN_KINDS };

struct whole_run {
        struct series s[RUN_KINDS];
        struct series version;          /* exec of the hook binary alone: --version */
        long floor_kib;
        size_t standin_mounts;
        size_t sample_mounts;
};

static size_t split_words(char *s, const char **out, size_t max)
{
        size_t n = 0;

        for (char *tok = strtok(s, " \t"); tok && n < max; tok = strtok(NULL, " \t"))
                out[n++] = tok;
        return n;
}

static struct spawn_res run_kind(const struct sample *s, int kind, const char *log)
{
        static char wrap_buf[512];
        static const char *wrap_words[32];
        static size_t n_wrap = (size_t)-1;
        const char *argv[40];
        size_t n = 0;

        if (n_wrap == (size_t)-1) {
                snprintf(wrap_buf, sizeof(wrap_buf), "%s", opt.wrap ? opt.wrap : "");
                n_wrap = split_words(wrap_buf, wrap_words, ARRAY_SIZE(wrap_words));
        }
        if (kind == RUN_TRUE)
                return spawn(s->state_path, log, ARGV("/bin/true"));
        /* Only the run with work to do goes under --wrap: that is the one a
         * profile is wanted of, and a tool writing one file per run keeps
         * the last such run's. */
        for (size_t i = 0; kind == RUN_HOOK && i < n_wrap; i++)
                argv[n++] = wrap_words[i];
        argv[n++] = opt.hook;
        argv[n++] = "createRuntime";
        argv[n] = NULL;
        return spawn(kind == RUN_HOOK ? s->state_path : s->state_idle_path, log, argv);
}

static void whole_run_iteration(const struct sample *s, struct whole_run *w, unsigned i,
                                bool record)
{
        _cleanup_free_ char *log = strf("%s/podman/hook.log", work);
        pid_t pid = standin_start_sample(s);
        struct spawn_res r;

        write_state(s->state_path, s, s->bundle, pid);
        write_state(s->state_idle_path, s, s->bundle_idle, pid);
        /* Rotate the order so that none of the three always runs first
         * (cold caches) or right after the stand-in's set-up. */
        for (int k = 0; k < RUN_KINDS; k++) {
                int kind = (int)((i + (unsigned)k) % RUN_KINDS);

                r = run_kind(s, kind, log);
                must_succeed(&r, log, kind == RUN_TRUE ? "/bin/true" : opt.hook);
                if (record)
                        series_add(&w->s[kind], r.ns, r.cpu_ns, r.maxrss_kib);
        }
        r = spawn(NULL, NULL, ARGV(opt.hook, "--version"));
        must_succeed(&r, NULL, "oci-idmap-hook --version");
        if (record)
                series_add(&w->version, r.ns, r.cpu_ns, r.maxrss_kib);
        check_idmapped(s, pid);
        standin_stop(&standin);
}

static void phase_whole_run(const struct sample *s, struct whole_run *w)
{
        struct mountinfo mi = { 0 };
        pid_t pid;

        series_init(&w->s[RUN_TRUE], "/bin/true", opt.runs);
        series_init(&w->s[RUN_HOOK], "hook, rootfs and /vol to idmap", opt.runs);
        series_init(&w->s[RUN_IDLE], "hook, no user namespace", opt.runs);
        series_init(&w->version, "hook --version (exec alone)", opt.runs);

        pid = standin_start_sample(s);
        load_standin_mounts(pid, &mi);
        w->standin_mounts = mounts_under(&mi, s->rootfs);
        mountinfo_free(&mi);
        standin_stop(&standin);
        {
                _cleanup_free_ char *p = strf("%s/mountinfo-createRuntime.txt", opt.sample);
                struct err e = { 0 };
                const struct mountinfo_entry *root;

                if (mountinfo_load(p, &mi, &e) < 0)
                        die("%s", e.msg);
                root = mountinfo_top(&mi, s->sample_rootfs);
                w->sample_mounts = root ? mounts_under(&mi, root->mount_point) : 0;
                mountinfo_free(&mi);
        }

        fprintf(stderr, "(a) %u runs of each, after 3 warm-up runs ...\n", opt.runs);
        for (unsigned i = 0; i < 3; i++)
                whole_run_iteration(s, w, i, false);
        for (unsigned i = 0; i < opt.runs; i++)
                whole_run_iteration(s, w, i, true);
        w->floor_kib = spawner_floor_kib();
}

static void print_whole_run(const struct whole_run *w)
{
        const struct series *t = &w->s[RUN_TRUE];
        const struct series *rows[] = { t, &w->version, &w->s[RUN_IDLE], &w->s[RUN_HOOK] };
        double tm = median(t);

        printf("\n(a) The hook's whole run (fork+exec to reaped), %zu runs each, interleaved\n",
               t->n);
        printf("    config.json: %s (rewritten paths only)\n", opt.sample);
        printf("    stand-in container: %zu mounts under the rootfs (the sample's container "
               "had %zu)\n", w->standin_mounts, w->sample_mounts);
        if (opt.wrap)
                printf("    NOTE: the hook ran under `%s`: its times include that wrapper\n",
                       opt.wrap);
        printf("    %-31s %9s %9s %9s %7s %9s %10s\n", "", "median", "p90", "-true", "x true",
               "CPU", "peak RSS");
        for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
                const struct series *s = rows[i];
                double m = median(s);

                printf("    %-31s %6.3f ms %6.3f ms %6.3f ms %6.2fx %6.3f ms %6.2f MiB\n",
                       s->name, m, p90(s), m - tm, m / tm, median_cpu(s),
                       (double)max_rss(s) / 1024);
        }
        printf("    wall clock fork to reaped; CPU = median user+system time of the process;\n"
               "    peak RSS = largest ru_maxrss over the runs; it includes the spawner's\n"
               "    anonymous memory (%.2f MiB), which a forked child starts with\n",
               (double)w->floor_kib / 1024);
}

/* ---- (d) where the time goes ---------------------------------------------- */

enum {
        ST_STATE, ST_CONFIG, ST_MOUNTINFO, ST_PLAN, ST_FILTER, ST_USERNS, ST_APPLY, ST_COUNT
};

static const char *const stage_names[ST_COUNT] = {
        [ST_STATE] = "read + parse the state (stdin)",
        [ST_CONFIG] = "read + parse config.json (11 KB)",
        [ST_MOUNTINFO] = "pidfd + read + parse mountinfo",
        [ST_PLAN] = "stat rootfs + plan + runtime check",
        [ST_FILTER] = "the hook's seccomp filter (build + load)",
        [ST_USERNS] = "user namespace fds (the container's own)",
        [ST_APPLY] = "setns + mount work (mounts_apply)",
};

/* The hook's stages, as hook/run.c runs them, in a process of their own
 * (setns changes it for good; nothing is cached from an earlier run). */
/* hook_run's stages (hook/run.h), timed one by one in this process.
 * Without `filter`, the seccomp filter stage is skipped (timed as 0), as
 * the same-run baseline of what the filter costs the stages after it. */
static void stages_child(const struct sample *s, pid_t pid, bool filter, int out)
{
        int (*const stages[ST_COUNT - 1])(struct hook_run *, struct err *) = {
                hook_stage_config, hook_stage_container, hook_stage_plan,
                hook_stage_filter, hook_stage_namespaces, hook_stage_apply,
        };
        struct hook_run *h = hook_run_new();
        int64_t t[ST_COUNT + 1];
        struct err e = { 0 };
        int in, code, ran = 0;

        (void)pid;
        in = open(s->state_path, O_RDONLY | O_CLOEXEC);
        if (!h || in < 0) {
                fprintf(stderr, "bench-hook: (d): %s\n", in < 0 ? strerror(errno) : "out of memory");
                _exit(1);
        }
        t[0] = now_ns();
        code = hook_stage_state(h, "createRuntime", in, &e);
        t[1] = now_ns();
        for (int k = 0; k < ST_COUNT - 1; k++) {
                bool skip = !filter && k + 1 == ST_FILTER;

                if (code == HOOK_NEXT && !skip) {
                        code = stages[k](h, &e);
                        ran++;
                } else if (skip) {
                        ran++;
                }
                t[k + 2] = now_ns();
        }
        /* Every stage must have run: the stand-in always has work to do. */
        if (code != EXIT_OK || ran != ST_COUNT - 1) {
                fprintf(stderr, "bench-hook: (d): exit %d: %s\n", code, e.msg);
                _exit(1);
        }
        hook_run_free(h);
        for (int i = 0; i < ST_COUNT; i++)
                t[i] = t[i + 1] - t[i];
        if (write(out, t, sizeof(int64_t) * ST_COUNT) != (ssize_t)(sizeof(int64_t) * ST_COUNT))
                _exit(1);
        _exit(0);
}

/* st[0..ST_COUNT) with the hook's seccomp filter, st[ST_COUNT..2 ST_COUNT)
 * without it; the runs alternate, so both share the machine's noise. */
static void phase_stages(const struct sample *s, struct series *st, unsigned runs)
{
        for (int k = 0; k < 2 * ST_COUNT; k++)
                series_init(&st[k], stage_names[k % ST_COUNT], runs);
        fprintf(stderr, "(d) %u runs of the stages in-process, with and without the filter ...\n",
                runs);
        for (unsigned i = 0; i < 2 * runs + 6; i++) {
                bool filter = i % 2 == 0;
                int64_t t[ST_COUNT];
                int p[2], status;
                pid_t pid = standin_start_sample(s), child;
                ssize_t n;

                write_state(s->state_path, s, s->bundle, pid);
                if (pipe2(p, O_CLOEXEC) < 0)
                        die("pipe: %s", strerror(errno));
                child = fork();
                if (child < 0)
                        die("fork: %s", strerror(errno));
                if (child == 0)
                        stages_child(s, pid, filter, p[1]);
                close(p[1]);
                n = read(p[0], t, sizeof(t));
                close(p[0]);
                waitpid(child, &status, 0);
                if (n != (ssize_t)sizeof(t) || !WIFEXITED(status) || WEXITSTATUS(status))
                        die("(d): the stages failed");
                check_idmapped(s, pid);
                standin_stop(&standin);
                if (i < 6)
                        continue;       /* warm-up */
                for (int k = 0; k < ST_COUNT; k++)
                        series_add(&st[k + (filter ? 0 : ST_COUNT)], t[k], 0, 0);
        }
}

static double sum_medians(const struct series *st, int from, int to)
{
        double sum = 0;

        for (int k = from; k < to; k++)
                sum += median(&st[k]);
        return sum;
}

static void print_stages(const struct series *st, const struct whole_run *w, bool have_whole)
{
        const struct series *off = st + ST_COUNT;
        double with = sum_medians(st, 0, ST_COUNT), without = sum_medians(off, 0, ST_COUNT);
        double after = sum_medians(st, ST_USERNS, ST_COUNT);
        double after_off = sum_medians(off, ST_USERNS, ST_COUNT);

        printf("\n(d) Where the hook's time goes: its stages in a fresh forked process (no exec),\n"
               "    %zu runs with the hook's seccomp filter and %zu without, alternating, each\n"
               "    on a fresh stand-in\n", st[0].n, off[0].n);
        printf("    %-40s %9s %9s %11s\n", "", "median", "p90", "no filter");
        for (int k = 0; k < ST_COUNT; k++)
                printf("    %-40s %6.3f ms %6.3f ms %8.3f ms\n", st[k].name, median(&st[k]),
                       p90(&st[k]), median(&off[k]));
        printf("    %-40s %6.3f ms %9s %8.3f ms\n", "sum of the stage medians", with, "", without);
        printf("    the filter: %.3f ms to load, and the stages after it %.3f ms against %.3f ms\n"
               "    without it (%.2fx); the whole in-process run %.2fx the same run's baseline\n",
               median(&st[ST_FILTER]), after, after_off, after / after_off, with / without);
        if (have_whole) {
                printf("    %-40s %6.3f ms\n", "exec of the hook binary (--version)",
                       median(&w->version));
                printf("    %-40s %6.3f ms\n", "whole run (a), for comparison",
                       median(&w->s[RUN_HOOK]));
        }
}

/* ---- (b) container start -------------------------------------------------- */

static void make_busybox_rootfs(const char *rootfs)
{
        struct err e = { 0 };

        if (rootfs_make_busybox(rootfs, &e) < 0)
                die("%s", e.msg);
}

/* A bundle as podman would run it: root, a user namespace
 * 0:100000:65536 on a root-owned rootfs. */
static void write_start_config(const char *bundle, const char *rootfs, const char *const *args,
                               const char *hook, const char *cgroup)
{
        _cleanup_free_ char *path = strf("%s/config.json", bundle);
        const struct bundle_config c = {
                .rootfs = rootfs,
                .args = args,
                .hostname = "bench",
                .host_base = HOST_BASE,
                .hook = hook,
                .cgroups_path = cgroup,
        };
        struct err e = { 0 };

        mkdir_p(bundle, 0755);
        if (bundle_write_config(path, &c, &e) < 0)
                die("%s", e.msg);
}

/* Per runtime: no hook; /bin/true as the hook (what running any hook costs
 * the runtime); the hook. */
enum hook_kind { HOOK_NONE, HOOK_TRUE, HOOK_IDMAP, HOOK_KINDS };

static const char *const hook_kind_names[HOOK_KINDS] = {
        [HOOK_NONE] = "no hook", [HOOK_TRUE] = "/bin/true as hook", [HOOK_IDMAP] = "the hook",
};

struct variant {
        const char *runtime;
        enum hook_kind hook;
        char bundle[PATH_MAX];
        char check_bundle[PATH_MAX];
        struct container *c;
        struct series s;
};

static bool on_path(const char *name)
{
        const char *path = getenv("PATH");
        _cleanup_free_ char *copy = strdup(path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");

        for (char *d = strtok(copy, ":"); d; d = strtok(NULL, ":")) {
                _cleanup_free_ char *p = strf("%s/%s", d, name);

                if (access(p, X_OK) == 0)
                        return true;
        }
        return false;
}

static struct spawn_res container_run(struct variant *v, const char *bundle, const char *log)
{
        struct spawn_res r, d;

        v->c->maybe_exists = true;
        r = spawn(NULL, log, ARGV(v->runtime, "--root", v->c->root, "run", "--bundle", bundle,
                                  v->c->id));
        /* Whatever happened, the container must go, with its cgroups. */
        d = spawn(NULL, NULL, ARGV(v->runtime, "--root", v->c->root, "delete", "--force",
                                   v->c->id));
        if (exited_ok(&d))
                v->c->maybe_exists = false;
        return r;
}

/* Proves the hook works in this bundle before timing it: the container's
 * root sees its rootfs as its own (uid 0) only through the idmapped mount,
 * and as nobody (65534) without it. */
static void check_start(struct variant *v, const char *log)
{
        struct spawn_res r = container_run(v, v->check_bundle, log);
        bool zero = WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0;

        if (zero != (v->hook == HOOK_IDMAP)) {
                show_log(log);
                die("(b) %s with %s: the container saw its rootfs owned by %s", v->runtime,
                    hook_kind_names[v->hook], zero ? "0" : "someone else");
        }
}

static void remove_cgroups(void)
{
        leftover_remove_cgroups(CGROUP_PARENT);
}

static size_t phase_start(struct variant *v)
{
        static const char *const runtimes[] = { "runc", "crun" };
        static const char *const check_args[] = {
                "/bin/sh", "-c", "test \"$(stat -c %u /bin/busybox)\" = 0", NULL,
        };
        _cleanup_free_ char *rootfs = strf("%s/start/rootfs", work);
        _cleanup_free_ char *log = strf("%s/start/run.log", work);
        size_t n = 0;

        make_busybox_rootfs(rootfs);
        for (size_t i = 0; i < ARRAY_SIZE(runtimes); i++) {
                if (!on_path(runtimes[i])) {
                        fprintf(stderr, "(b) %s not found: skipped\n", runtimes[i]);
                        continue;
                }
                for (int hook = 0; hook < HOOK_KINDS; hook++) {
                        static const char *const paths[HOOK_KINDS] = { NULL, "/bin/true", NULL };
                        const char *path = hook == HOOK_IDMAP ? opt.hook : paths[hook];
                        struct variant *x = &v[n];
                        struct container *c = &containers[n_containers++];
                        _cleanup_free_ char *cg = strf("/%s/%s-%d", CGROUP_PARENT,
                                                       runtimes[i], hook);

                        x->runtime = runtimes[i];
                        x->hook = (enum hook_kind)hook;
                        x->c = c;
                        c->runtime = runtimes[i];
                        pathf(c->root, "%s/start/%s-state", work, runtimes[i]);
                        snprintf(c->id, sizeof(c->id), "bench-hook-%d-%s-%d", (int)getpid(),
                                 runtimes[i], hook);
                        pathf(x->bundle, "%s/start/%s-%d", work, runtimes[i], hook);
                        pathf(x->check_bundle, "%s-check", x->bundle);
                        write_start_config(x->bundle, rootfs, ARGV("/bin/true"), path, cg);
                        write_start_config(x->check_bundle, rootfs, check_args, path, cg);
                        series_init(&x->s, hook_kind_names[hook], opt.starts);
                        n++;
                }
        }
        fprintf(stderr, "(b) %u starts of each of %zu variants ...\n", opt.starts, n);
        for (size_t k = 0; k < n; k++)
                check_start(&v[k], log);
        for (unsigned i = 0; i < opt.starts + 2; i++)
                for (size_t k = 0; k < n; k++) {
                        struct variant *x = &v[(i + k) % n];
                        struct spawn_res r = container_run(x, x->bundle, log);
                        _cleanup_free_ char *what = strf("%s run (%s)", x->runtime, x->s.name);

                        must_succeed(&r, log, what);
                        if (i >= 2)             /* the first two are warm-up */
                                series_add(&x->s, r.ns, r.cpu_ns, 0);
                }
        return n;
}

static void print_start(const struct variant *v, size_t n, bool *met)
{
        printf("\n(b) Container start: `RUNTIME --root DIR run --bundle B ID` to its exit\n"
               "    (process /bin/true, user namespace 0:%u:65536, busybox rootfs owned by 0),\n"
               "    %zu runs of each, interleaved; `delete` after each is not timed\n",
               HOST_BASE, v[0].s.n);
        printf("    %-6s %-18s %9s %9s %11s %11s %10s %7s\n", "", "", "median", "p90", "cost",
               "CPU cost", "x no hook", "target");
        *met = true;
        for (size_t k = 0; k + HOOK_KINDS <= n; k += HOOK_KINDS) {
                const struct variant *none = &v[k + HOOK_NONE];

                for (int h = 0; h < HOOK_KINDS; h++) {
                        const struct variant *x = &v[k + h];
                        double cost = paired_median(&x->s, &none->s);
                        bool ok = cost <= 1.5;

                        printf("    %-6s %-18s %6.3f ms %6.3f ms ", h ? "" : x->runtime,
                               hook_kind_names[h], median(&x->s), p90(&x->s));
                        if (h == HOOK_NONE) {
                                printf("%11s %11s %9.3fx\n", "", "", 1.0);
                                continue;
                        }
                        printf("%+8.3f ms %+8.3f ms %9.3fx", cost,
                               paired_median_cpu(&x->s, &none->s),
                               median(&x->s) / median(&none->s));
                        if (h == HOOK_IDMAP) {
                                *met = *met && ok;
                                printf(" %7s", verdict(ok));
                        }
                        printf("\n");
                }
                printf("    %-6s %-18s %20s %+8.3f ms %+8.3f ms\n", "", "the hook's own", "",
                       paired_median(&v[k + HOOK_IDMAP].s, &v[k + HOOK_TRUE].s),
                       paired_median_cpu(&v[k + HOOK_IDMAP].s, &v[k + HOOK_TRUE].s));
        }
        printf("    cost = median of per-round differences with the run without a hook (each\n"
               "    round runs every variant once, in rotating order); the hook's own = the\n"
               "    same against /bin/true as the hook; CPU cost = the same on user+system\n"
               "    time of the runtime and all it reaped (less sensitive to a busy machine).\n"
               "    Target: the hook's (wall clock) cost <= 1.5 ms\n");
}

/* ---- (c) copy + chown ----------------------------------------------------- */

struct chown_result {
        unsigned long files;
        double cp_s, chown_s, sync_s;   /* medians over the rounds */
        double total_s, min_s, max_s;   /* of the rounds' totals */
        unsigned long long disk_bytes;
};

/* A rootfs-like tree: directories of 100 files of 0..2 KiB. */
static void make_tree(const char *dir, unsigned long files)
{
        static char content[2048];

        memset(content, 'x', sizeof(content));
        mkdir_p(dir, 0755);
        for (unsigned long i = 0; i < files; i++) {
                char p[PATH_MAX];
                int fd;

                if (i % 100 == 0) {
                        if (interrupted)
                                die("interrupted");
                        snprintf(p, sizeof(p), "%s/usr/lib%lu/d%lu", dir, i / 10000, i / 100);
                        mkdir_p(p, 0755);
                }
                snprintf(p, sizeof(p), "%s/usr/lib%lu/d%lu/f%lu", dir, i / 10000, i / 100, i);
                fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (fd < 0 || write(fd, content, (i * 37) % sizeof(content)) < 0)
                        die("create `%s`: %s", p, strerror(errno));
                close(fd);
        }
}

static double secs(const struct spawn_res *r)
{
        return (double)r->ns / 1e9;
}

static char *tree_path(const char *what, unsigned long files, unsigned rep)
{
        return strf("%s/chown/%s-%lu-%u", work, what, files, rep);
}

/* One round: copy, chown, sync, measure the copy. */
static void copy_and_chown(const char *src, const char *dst, double *t, unsigned long long *disk)
{
        _cleanup_free_ char *du = strf("%s/chown/du.txt", work);
        _cleanup_free_ char *text = NULL;
        struct spawn_res r;
        size_t len;

        r = spawn(NULL, NULL, ARGV("cp", "-a", src, dst));
        must_succeed(&r, NULL, "cp -a");
        t[0] = secs(&r);
        r = spawn(NULL, NULL, ARGV("chown", "-R", "100000:100000", dst));
        must_succeed(&r, NULL, "chown -R");
        t[1] = secs(&r);
        r = spawn(NULL, NULL, ARGV("sync"));
        must_succeed(&r, NULL, "sync");
        t[2] = secs(&r);
        r = spawn(NULL, du, ARGV("du", "-s", "-B1", dst));
        must_succeed(&r, NULL, "du");
        text = read_file(du, &len);
        *disk = strtoull(text, NULL, 10);
}

/* Every tree is made first and nothing is deleted until every round is
 * done: on this machine's ext4, creating files shortly after many were
 * deleted made cp -a up to 7x slower (the inode allocator checks each
 * recently freed inode: find_inode_bit -> recently_deleted in a profile). */
static void phase_chown(struct chown_result *res)
{
        size_t reps = opt.chown_reps;
        _cleanup_free_ double *t = xmalloc(reps * 4 * sizeof(double));

        for (size_t k = 0; k < opt.n_files; k++) {
                _cleanup_free_ char *src = tree_path("src", opt.files[k], 0);

                fprintf(stderr, "(c) making a tree of %lu files ...\n", opt.files[k]);
                make_tree(src, opt.files[k]);
        }
        sync();
        for (size_t k = 0; k < opt.n_files; k++) {
                _cleanup_free_ char *src = tree_path("src", opt.files[k], 0);
                struct chown_result *out = &res[k];

                out->files = opt.files[k];
                for (unsigned rep = 0; rep < reps; rep++) {
                        _cleanup_free_ char *dst = tree_path("copy", opt.files[k], rep);
                        double *round = t + 4 * rep;

                        fprintf(stderr, "(c) %lu files: cp -a + chown -R, round %u ...\n",
                                opt.files[k], rep + 1);
                        copy_and_chown(src, dst, round, &out->disk_bytes);
                        round[3] = round[0] + round[1] + round[2];
                }
                /* Columns of t: cp, chown, sync, total; rows: rounds. */
                {
                        double col[4][64];
                        size_t n = reps < 64 ? reps : 64;

                        for (size_t i = 0; i < n; i++)
                                for (int c = 0; c < 4; c++)
                                        col[c][i] = t[4 * i + (size_t)c];
                        out->cp_s = quantile(col[0], n, 0.5);
                        out->chown_s = quantile(col[1], n, 0.5);
                        out->sync_s = quantile(col[2], n, 0.5);
                        out->total_s = quantile(col[3], n, 0.5);
                        out->min_s = quantile(col[3], n, 0);
                        out->max_s = quantile(col[3], n, 1);
                }
        }
        for (size_t k = 0; k < opt.n_files; k++) {
                for (unsigned rep = 0; rep < reps; rep++) {
                        _cleanup_free_ char *dst = tree_path("copy", opt.files[k], rep);

                        remove_tree(dst);
                }
                {
                        _cleanup_free_ char *src = tree_path("src", opt.files[k], 0);

                        remove_tree(src);
                }
        }
}

static void print_chown(const struct chown_result *res, const struct whole_run *w, bool have_whole,
                        const struct variant *v, size_t nv)
{
        double hook_ms = have_whole ? median(&w->s[RUN_HOOK]) - median(&w->s[RUN_TRUE]) : 0;

        printf("\n(c) What users do today: `cp -a SRC DST && chown -R 100000:100000 DST && sync`\n"
               "    of a rootfs of N files (directories of 100 files of 0-2 KiB), on disk\n"
               "    (/var/tmp, ext4, page cache warm), median of %u round(s) and the range of\n"
               "    the rounds' totals\n", opt.chown_reps);
        printf("    %7s %8s %9s %7s %8s %15s %11s %12s\n", "files", "cp -a", "chown -R", "sync",
               "total", "(range)", "disk (du)", "x hook cost");
        for (size_t k = 0; k < opt.n_files; k++) {
                const struct chown_result *r = &res[k];

                printf("    %7lu %6.2f s %7.2f s %5.2f s %6.2f s (%5.2f-%5.2f s) %7.1f MiB",
                       r->files, r->cp_s, r->chown_s, r->sync_s, r->total_s, r->min_s, r->max_s,
                       (double)r->disk_bytes / (1 << 20));
                if (hook_ms > 0)
                        printf(" %11.0fx", r->total_s * 1e3 / hook_ms);
                printf("\n");
        }
        if (have_whole)
                printf("    the hook: O(1) in the number of files, %.3f ms over /bin/true per start\n"
                       "    (a), 0 bytes of disk; x hook cost = total / that\n", hook_ms);
        for (size_t k = 0; k + HOOK_KINDS <= nv; k += HOOK_KINDS)
                printf("    start-time cost under %s (b): %.3f ms\n", v[k].runtime,
                       paired_median(&v[k + HOOK_IDMAP].s, &v[k + HOOK_NONE].s));
}

/* ---- main ----------------------------------------------------------------- */

/* Not through the spawner, which may be in the middle of a request when
 * the bench is interrupted. */
static void delete_container(const struct container *c)
{
        pid_t pid = fork();

        if (pid == 0) {
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);

                if (null >= 0) {
                        dup2(null, 1);
                        dup2(null, 2);
                }
                execlp(c->runtime, c->runtime, "--root", c->root, "delete", "--force", c->id,
                       (char *)NULL);
                _exit(127);
        }
        if (pid > 0)
                waitpid(pid, NULL, 0);
}

static void cleanup(void)
{
        if (getpid() != main_pid)
                return;
        standin_stop(&standin);
        if (spawner > 0) {
                close(spawner_req);
                close(spawner_res);
                waitpid(spawner, NULL, 0);
                spawner = -1;
        }
        for (size_t i = 0; i < n_containers; i++)
                if (containers[i].maybe_exists)
                        delete_container(&containers[i]);
        if (n_containers)
                remove_cgroups();
        if (work[0]) {
                remove_tree(work);
                work[0] = '\0';
        }
}

/* The next request to the spawner, or the one waited for, dies; exit()
 * then runs cleanup(): the stand-in, the containers, the files. */
static void on_signal(int sig)
{
        interrupted = sig;
}

static void usage(FILE *f)
{
        fputs("Usage: bench-hook [--only abcd] [--runs N] [--starts N] [--files N[,N...]]\n"
              "                  [--chown-reps N] [--hook PATH] [--sample DIR]\n"
              "                  [--workdir DIR] [--wrap \"CMD ARGS\"]\n"
              "  a  the hook's whole run on podman's sample config, beside /bin/true (--runs, 200)\n"
              "  b  container start with runc and crun, with and without the hook (--starts, 100)\n"
              "  c  cp -a + chown -R of a rootfs of N files (--files, 10000,100000)\n"
              "  d  the hook's stages timed in-process (--runs / 4)\n"
              "--wrap runs the hook of (a) that has work to do under a tool, e.g.\n"
              "  --wrap \"strace -c -f -o /tmp/s\" or --wrap \"perf trace -s -o /tmp/t\".\n", f);
}

static unsigned long parse_count(const char *s, const char *what)
{
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || end == s || *end || v == 0 || v > 10000000)
                die("%s: \"%s\" is not a count", what, s);
        return v;
}

static void parse_options(int argc, char **argv)
{
        static const struct option opts[] = {
                { "only", required_argument, NULL, 'o' },
                { "runs", required_argument, NULL, 'r' },
                { "starts", required_argument, NULL, 's' },
                { "files", required_argument, NULL, 'f' },
                { "chown-reps", required_argument, NULL, 'c' },
                { "hook", required_argument, NULL, 'H' },
                { "sample", required_argument, NULL, 'S' },
                { "workdir", required_argument, NULL, 'w' },
                { "wrap", required_argument, NULL, 'W' },
                { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        int c;

        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case 'o':
                        memset(opt.phase, 0, sizeof(opt.phase));
                        for (const char *p = optarg; *p; p++) {
                                if (*p < 'a' || *p > 'd')
                                        die("--only: \"%c\" is not one of a, b, c, d", *p);
                                opt.phase[*p - 'a'] = true;
                        }
                        break;
                case 'r':
                        opt.runs = (unsigned)parse_count(optarg, "--runs");
                        break;
                case 's':
                        opt.starts = (unsigned)parse_count(optarg, "--starts");
                        break;
                case 'f': {
                        char buf[256];

                        snprintf(buf, sizeof(buf), "%s", optarg);
                        opt.n_files = 0;
                        for (char *t = strtok(buf, ","); t; t = strtok(NULL, ",")) {
                                if (opt.n_files == ARRAY_SIZE(opt.files))
                                        die("--files: at most %zu sizes", ARRAY_SIZE(opt.files));
                                opt.files[opt.n_files++] = parse_count(t, "--files");
                        }
                        break;
                }
                case 'c':
                        opt.chown_reps = (unsigned)parse_count(optarg, "--chown-reps");
                        if (opt.chown_reps > 64)
                                die("--chown-reps: at most 64");
                        break;
                case 'H':
                        opt.hook = optarg;
                        break;
                case 'S':
                        opt.sample = optarg;
                        break;
                case 'w':
                        opt.workdir = optarg;
                        break;
                case 'W':
                        opt.wrap = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        exit(0);
                default:
                        usage(stderr);
                        exit(2);
                }
        }
        if (optind < argc)
                die("unexpected argument \"%s\"", argv[optind]);
}

/* The project's sources, from this file's path (CMake compiles it by
 * absolute path): bench/bench-hook.c, two levels down. */
static char *default_sample(void)
{
        char *root = strf("%s", __FILE__), *slash;

        for (int i = 0; i < 2; i++) {
                slash = strrchr(root, '/');
                if (!slash)
                        die("cannot find the sources from %s: give --sample", __FILE__);
                *slash = '\0';
        }
        slash = strf("%s/%s", root, DEFAULT_SAMPLE);
        free(root);
        return slash;
}

/* The hook binary next to the bench's build directory: build/bench/bench-hook
 * and build/oci-idmap-hook. */
static char *default_hook(void)
{
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        char *slash;

        if (n <= 0)
                die("readlink /proc/self/exe: %s", strerror(errno));
        exe[n] = '\0';
        slash = strrchr(exe, '/');
        if (slash)
                *slash = '\0';
        return strf("%s/../oci-idmap-hook", exe);
}

static char *absolute(const char *path, const char *what)
{
        char *p = realpath(path, NULL);

        if (!p)
                die("%s `%s`: %s", what, path, strerror(errno));
        return p;
}

int main(int argc, char **argv)
{
        static struct whole_run whole;
        static struct series stages[2 * ST_COUNT];
        static struct variant variants[6];
        static struct chown_result chown_res[8];
        _cleanup_free_ char *hook = NULL, *sample = NULL;
        bool start_met = false;
        size_t n_variants = 0;

        parse_options(argc, argv);
        if (geteuid() != 0)
                die("must run as root (mounts, user namespaces, runtimes)");
        /* The bench's own mount namespace: whatever it or a runtime mounts
         * stays here and dies with it. */
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                die("private mount namespace: %s", strerror(errno));
        /* First, before anything is allocated: see the top of this file. */
        spawner_start();
        main_pid = getpid();
        atexit(cleanup);
        {
                /* No SA_RESTART: a read from the spawner returns EINTR. */
                struct sigaction sa = { .sa_handler = on_signal };

                sigaction(SIGINT, &sa, NULL);
                sigaction(SIGTERM, &sa, NULL);
                sigaction(SIGHUP, &sa, NULL);
        }

        if (opt.hook) {
                hook = absolute(opt.hook, "--hook");
        } else {
                _cleanup_free_ char *guess = default_hook();

                hook = absolute(guess, "the hook binary");
        }
        if (opt.sample) {
                sample = absolute(opt.sample, "--sample");
        } else {
                _cleanup_free_ char *guess = default_sample();

                sample = absolute(guess, "the sample directory");
        }
        opt.hook = hook;
        opt.sample = sample;
        pathf(work, "%s/bench-hook-XXXXXX", opt.workdir);
        if (!mkdtemp(work))
                die("mkdtemp `%s`: %s", work, strerror(errno));
        /* The container's root (uid 100000) must reach the bundle's rootfs. */
        if (chmod(work, 0755) < 0)
                die("chmod `%s`: %s", work, strerror(errno));
        printf("bench-hook: hook %s\n", opt.hook);
        fflush(stdout);

        if (opt.phase[0] || opt.phase[3]) {
                static struct sample s;

                sample_setup(&s);
                if (opt.phase[0])
                        phase_whole_run(&s, &whole);
                if (opt.phase[3])
                        phase_stages(&s, stages, opt.runs / 4 ? opt.runs / 4 : 1);
                sample_free(&s);
        }
        if (opt.phase[1])
                n_variants = phase_start(variants);
        if (opt.phase[2])
                phase_chown(chown_res);

        if (opt.phase[0])
                print_whole_run(&whole);
        if (opt.phase[3])
                print_stages(stages, &whole, opt.phase[0]);
        if (opt.phase[1] && n_variants)
                print_start(variants, n_variants, &start_met);
        if (opt.phase[2])
                print_chown(chown_res, &whole, opt.phase[0], variants, n_variants);

        if (opt.phase[0] || (opt.phase[1] && n_variants))
                printf("\nTargets\n");
        if (opt.phase[0]) {
                double m = median(&whole.s[RUN_HOOK]), t = median(&whole.s[RUN_TRUE]);
                long rss = max_rss(&whole.s[RUN_HOOK]);

                printf("    whole run median %.3f ms <= 1.5 ms: %s (%.2fx /bin/true; at the reference\n"
                       "      0.5 ms per exec that is %.3f ms: %s)\n", m, verdict(m <= 1.5), m / t,
                       m / t * 0.5, verdict(m / t * 0.5 <= 1.5));
                printf("    peak RSS %.2f MiB <= 4 MiB: %s\n", (double)rss / 1024,
                       verdict(rss <= 4096));
        }
        if (opt.phase[1] && n_variants)
                printf("    start-time cost <= 1.5 ms under every runtime: %s\n", verdict(start_met));
        return 0;
}
