/* userns_fd() against the real kernel, as root.
 *
 * What must hold: the fd is a user namespace whose maps, read from inside by
 * a process that joined it, are exactly the ones asked for; no call leaves an
 * fd, a zombie or a process behind, whether it succeeds, fails, runs in ten
 * threads at once or has its caller killed in the middle; the child dies of
 * SIGSYS on anything outside its allowlist; where ptrace is forbidden the
 * call still works and says so once.
 *
 * Nothing here mounts.  Tests that fork clean up their processes themselves,
 * and the one that makes this process a child subreaper kills whatever it
 * finds left before it fails.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/nsfs.h>

#include "hook/userns.h"
#include "hook/userns_internal.h"
#include "base/cleanup.h"
#include "oci/idmap.h"
#include "seccomp/filter.h"
#include "tests/support/proc.h"

/* ---- building mappings ------------------------------------------------- */

static void set_map(struct id_map *m, const struct id_range *r, size_t n)
{
        m->n = n;
        memcpy(m->r, r, n * sizeof(*r));
}

static struct id_mapping *new_mapping(const struct id_range *uid, size_t n_uid,
                                      const struct id_range *gid, size_t n_gid)
{
        struct id_mapping *m = calloc(1, sizeof(*m));

        cr_assert(m);
        set_map(&m->uid, uid, n_uid);
        set_map(&m->gid, gid, n_gid);
        return m;
}

/* containerd's own test maps, uid and gid alike. */
static const struct id_range containerd[] = {
        { 1000, 0, 100 }, { 5000, 2000, 100 }, { 10000, 3000, 100 },
};

static struct id_mapping *containerd_mapping(void)
{
        return new_mapping(containerd, ARRAY_SIZE(containerd), containerd,
                           ARRAY_SIZE(containerd));
}

/* ---- what a process inside the namespace sees ---------------------------- */

static int copy_file(const char *path, int to)
{
        char buf[8192];
        ssize_t n;
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return -1;
        while ((n = read(fd, buf, sizeof(buf))) > 0)
                if (write(to, buf, n) != n)
                        return -1;
        close(fd);
        return n < 0 ? -1 : 0;
}

static int parse_map(char *text, struct id_map *m)
{
        char *save = NULL;

        m->n = 0;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                struct id_range r;

                if (sscanf(line, "%u %u %u", &r.container_id, &r.host_id, &r.size) != 3 ||
                    m->n >= IDMAP_MAX_RANGES)
                        return -1;
                m->r[m->n++] = r;
        }
        return 0;
}

/* A forked child joins the namespace (setns needs a single-threaded caller,
 * which a forked child is) and sends back /proc/self/uid_map, a line "-",
 * and /proc/self/gid_map: the maps as the kernel holds them.  No assertion
 * here: threads and forked processes call it too. */
static int read_maps_inside(int ns, struct id_map *uid, struct id_map *gid, char *why,
                            size_t why_len)
{
        _cleanup_free_ char *text = malloc(4 * IDMAP_TEXT_MAX * 4);
        size_t len = 0, cap = 4 * IDMAP_TEXT_MAX * 4;
        ssize_t n;
        int p[2], status;
        char *split;
        pid_t pid;

        if (!text || pipe2(p, O_CLOEXEC) < 0)
                return snprintf(why, why_len, "pipe: %s", strerror(errno)), -1;
        pid = fork();
        if (pid < 0)
                return snprintf(why, why_len, "fork: %s", strerror(errno)), -1;
        if (pid == 0) {
                close(p[0]);
                if (setns(ns, CLONE_NEWUSER) < 0)
                        _exit(10);
                if (copy_file("/proc/self/uid_map", p[1]) < 0 || write(p[1], "-\n", 2) != 2 ||
                    copy_file("/proc/self/gid_map", p[1]) < 0)
                        _exit(11);
                _exit(0);
        }
        close(p[1]);
        while (len + 1 < cap && (n = read(p[0], text + len, cap - 1 - len)) > 0)
                len += (size_t)n;
        text[len] = '\0';
        close(p[0]);
        if (waitpid(pid, &status, 0) != pid)
                return snprintf(why, why_len, "waitpid: %s", strerror(errno)), -1;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return snprintf(why, why_len, "the reader in the namespace failed (status %#x)",
                                status), -1;
        split = strstr(text, "-\n");
        if (!split)
                return snprintf(why, why_len, "no separator in `%s`", text), -1;
        *split = '\0';
        if (parse_map(text, uid) < 0 || parse_map(split + 2, gid) < 0)
                return snprintf(why, why_len, "bad map text"), -1;
        return 0;
}

static int by_container_id(const void *a, const void *b)
{
        const struct id_range *x = a, *y = b;

        return (x->container_id > y->container_id) - (x->container_id < y->container_id);
}

/* The kernel keeps more than five ranges sorted, so compare as sets. */
static bool same_ranges(const struct id_map *want, const struct id_map *got)
{
        struct id_map *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
        bool same = false;

        if (!a || !b)
                goto out;
        *a = *want;
        *b = *got;
        qsort(a->r, a->n, sizeof(a->r[0]), by_container_id);
        qsort(b->r, b->n, sizeof(b->r[0]), by_container_id);
        same = a->n == b->n && memcmp(a->r, b->r, a->n * sizeof(a->r[0])) == 0;
out:
        free(a);
        free(b);
        return same;
}

/* Whether the maps inside the namespace are `want`; `why` says how not. */
static bool maps_inside_are(int ns, const struct id_mapping *want, char *why, size_t why_len)
{
        _cleanup_free_ struct id_mapping *got = calloc(1, sizeof(*got));
        char w[512], g[512];

        if (!got)
                return snprintf(why, why_len, "out of memory"), false;
        if (read_maps_inside(ns, &got->uid, &got->gid, why, why_len) < 0)
                return false;
        if (!same_ranges(&want->uid, &got->uid)) {
                idmap_format(&want->uid, w, sizeof(w));
                idmap_format(&got->uid, g, sizeof(g));
                return snprintf(why, why_len, "uid_map: want %s, got %s", w, g), false;
        }
        if (!same_ranges(&want->gid, &got->gid)) {
                idmap_format(&want->gid, w, sizeof(w));
                idmap_format(&got->gid, g, sizeof(g));
                return snprintf(why, why_len, "gid_map: want %s, got %s", w, g), false;
        }
        return true;
}

static void assert_maps_inside(int ns, const struct id_mapping *want)
{
        char why[1200];

        cr_assert(maps_inside_are(ns, want, why, sizeof(why)), "%s", why);
}

static int must_userns_fd(const struct id_mapping *m)
{
        struct err e = { 0 };
        int fd = userns_fd(m, &e);

        cr_assert(fd >= 0, "userns_fd: %s", e.msg);
        return fd;
}

/* ---- what a call may not leave behind -------------------------------------- */

static int count_open_fds(void)
{
        DIR *d = opendir("/proc/self/fd");
        struct dirent *de;
        int n = 0;

        cr_assert(d);
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        n++;
        closedir(d);
        return n - 1;   /* the directory's own fd */
}

/* Children of any thread of this process, as the kernel lists them. */
static size_t task_children_text(char *buf, size_t len)
{
        DIR *d = opendir("/proc/self/task");
        struct dirent *de;
        size_t used = 0;

        cr_assert(d);
        buf[0] = '\0';
        while ((de = readdir(d))) {
                char path[300];
                int fd;
                ssize_t r;

                if (de->d_name[0] == '.')
                        continue;
                snprintf(path, sizeof(path), "/proc/self/task/%s/children", de->d_name);
                fd = open(path, O_RDONLY | O_CLOEXEC);
                cr_assert(fd >= 0, "open %s", path);
                r = read(fd, buf + used, len - 1 - used);
                close(fd);
                if (r > 0)
                        used += (size_t)r;
                buf[used] = '\0';
        }
        closedir(d);
        return used;
}

static void assert_no_children(const char *when)
{
        char list[1024], tasks[1024];

        cr_assert_eq(proc_children(getpid(), list, sizeof(list)), 0,
                     "%s: processes left whose parent is this one:%s", when, list);
        cr_assert_eq(task_children_text(tasks, sizeof(tasks)), 0,
                     "%s: /proc/self/task/*/children lists `%s`", when, tasks);
}

/* ---- the namespace and its maps ------------------------------------------- */

Test(userns, fd_is_a_user_namespace_below_ours)
{
        _cleanup_free_ struct id_mapping *m = containerd_mapping();
        struct stat parent_st, own_st;
        int fd = must_userns_fd(m), parent;

        cr_assert_eq(ioctl(fd, NS_GET_NSTYPE), CLONE_NEWUSER);
        cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC, "the fd is not O_CLOEXEC");
        parent = ioctl(fd, NS_GET_PARENT);
        cr_assert(parent >= 0, "NS_GET_PARENT: %s", strerror(errno));
        cr_assert_eq(fstat(parent, &parent_st), 0);
        cr_assert_eq(stat("/proc/self/ns/user", &own_st), 0);
        cr_assert(parent_st.st_dev == own_st.st_dev && parent_st.st_ino == own_st.st_ino,
                  "the new namespace is not a child of the caller's");
        close(parent);
        close(fd);
}

Test(userns, single_range_maps_read_back_exactly)
{
        static const struct id_range r[] = { { 0, 100000, 65536 } };
        _cleanup_free_ struct id_mapping *m = new_mapping(r, 1, r, 1);
        int fd = must_userns_fd(m);

        assert_maps_inside(fd, m);
        close(fd);
}

Test(userns, containerd_multi_range_maps_read_back_exactly)
{
        _cleanup_free_ struct id_mapping *m = containerd_mapping();
        int fd = must_userns_fd(m);

        assert_maps_inside(fd, m);
        close(fd);
}

Test(userns, different_uid_and_gid_maps_each_land_in_their_file)
{
        static const struct id_range uid[] = { { 0, 100000, 65536 } };
        static const struct id_range gid[] = { { 0, 200000, 1000 }, { 1000, 300000, 5 } };
        _cleanup_free_ struct id_mapping *m = new_mapping(uid, 1, gid, 2);
        int fd = must_userns_fd(m);

        assert_maps_inside(fd, m);
        close(fd);
}

Test(userns, three_hundred_forty_ranges_read_back_exactly)
{
        _cleanup_free_ struct id_mapping *m = calloc(1, sizeof(*m));
        int fd;

        cr_assert(m);
        for (uint32_t i = 0; i < IDMAP_MAX_RANGES; i++) {
                m->uid.r[i] = (struct id_range){ 2 * i, 10000 + 2 * i, 1 };
                m->gid.r[i] = (struct id_range){ 2 * i + 1, 20000 + 2 * i, 1 };
        }
        m->uid.n = m->gid.n = IDMAP_MAX_RANGES;
        fd = must_userns_fd(m);
        assert_maps_inside(fd, m);
        close(fd);
}

/* ---- nothing left behind ----------------------------------------------------- */

Test(userns, thousand_calls_leave_no_fd_zombie_or_process, .timeout = 300)
{
        _cleanup_free_ struct id_mapping *m = containerd_mapping();
        int before = count_open_fds();

        for (int i = 0; i < 1000; i++)
                close(must_userns_fd(m));
        cr_assert_eq(count_open_fds(), before, "open fds: %d before, %d after",
                     before, count_open_fds());
        assert_no_children("after 1000 calls");
}

/* What a call that the kernel refused left: its return, its message, and
 * whether it left an fd or a process. */
struct refusal {
        int r;
        int leaked_fds;
        int children;
        char msg[sizeof(((struct err *)0)->msg)];
};

static void refuse_here(const struct id_mapping *m, struct refusal *out)
{
        struct err e = { 0 };
        int before = count_open_fds();

        out->r = userns_fd(m, &e);
        if (out->r >= 0)
                close(out->r);
        out->leaked_fds = count_open_fds() - before;
        out->children = proc_children(getpid(), NULL, 0);
        memcpy(out->msg, e.msg, sizeof(out->msg));
}

/* Runs the call in a forked process that joined `ns` first, and brings back
 * what it saw through shared memory. */
static void refuse_inside(int ns, const struct id_mapping *m, struct refusal *out)
{
        struct refusal *shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
                                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        int status;
        pid_t pid;

        cr_assert(shared != MAP_FAILED);
        pid = fork();
        cr_assert(pid >= 0);
        if (pid == 0) {
                if (setns(ns, CLONE_NEWUSER) < 0)
                        _exit(10);
                refuse_here(m, shared);
                _exit(0);
        }
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
        *out = *shared;
        munmap(shared, sizeof(*shared));
}

static void assert_refusal(const struct refusal *got, int errnum, const char *file,
                           const char *shown)
{
        cr_log_info("%s", got->msg);
        cr_assert_eq(got->r, -errnum, "userns_fd returned %d (%s)", got->r, got->msg);
        cr_assert(strstr(got->msg, file), "message names no %s: %s", file, got->msg);
        cr_assert(strstr(got->msg, shown), "message does not show the mapping %s: %s",
                  shown, got->msg);
        cr_assert(strstr(got->msg, strerror(errnum)), "message: %s", got->msg);
        cr_assert_eq(got->leaked_fds, 0);
        cr_assert_eq(got->children, 0);
}

/* A hook that runs in a user namespace mapping host ids 0-65535 only (as a
 * rootless engine's would) cannot give 100000-165535 away: map_write() finds
 * no such ids in the writer's namespace and says EPERM.  The mapping itself is
 * valid, and id_mapping_validate() cannot know. */
static void assert_refused_in_small_namespace(const struct id_mapping *m, const char *file,
                                              const char *shown)
{
        static const struct id_range low[] = { { 0, 0, 65536 } };
        _cleanup_free_ struct id_mapping *small = new_mapping(low, 1, low, 1);
        struct err e = { 0 };
        struct refusal got;
        int ns;

        cr_assert_eq(id_mapping_validate(m, "uid", "gid", &e), 0, "%s", e.msg);
        ns = must_userns_fd(small);
        refuse_inside(ns, m, &got);
        close(ns);
        assert_refusal(&got, EPERM, file, shown);
}

Test(userns, uid_map_the_kernel_refuses_is_named_with_its_mapping)
{
        static const struct id_range far[] = { { 0, 1000, 10 }, { 10, 100000, 65536 } };
        _cleanup_free_ struct id_mapping *m = new_mapping(far, 2, containerd, 3);

        assert_refused_in_small_namespace(m, "uid_map", "0:1000:10,10:100000:65536");
}

Test(userns, gid_map_the_kernel_refuses_is_named_with_its_mapping)
{
        static const struct id_range far[] = { { 0, 200000, 1 } };
        _cleanup_free_ struct id_mapping *m = new_mapping(containerd, 3, far, 1);

        assert_refused_in_small_namespace(m, "gid_map", "0:200000:1");
}

/* Input that skipped validation reaches the kernel as it is, and the
 * refusal still names the file and the mapping: (uid_t)-1 is no id, and
 * map_write() refuses a range whose end wraps past 2^32 with EINVAL. */
Test(userns, unvalidated_map_the_kernel_refuses_is_named_with_its_mapping)
{
        static const struct id_range bad[] = { { 4294967295u, 0, 1 } };
        _cleanup_free_ struct id_mapping *m = new_mapping(containerd, 3, bad, 1);
        struct refusal got;

        refuse_here(m, &got);
        assert_refusal(&got, EINVAL, "gid_map", "4294967295:0:1");
}

Test(userns, empty_map_is_refused_before_any_child_exists)
{
        _cleanup_free_ struct id_mapping *m = new_mapping(containerd, 3, containerd, 0);
        struct err e = { 0 };

        cr_assert_eq(userns_fd(m, &e), -EINVAL);
        cr_assert_str_eq(e.msg, "gid_map: the map is empty");
}

/* ---- a caller killed at any moment ------------------------------------------- */

static pid_t spawn_creator(const struct id_mapping *m)
{
        int ready[2];
        pid_t pid;
        char c;

        cr_assert_eq(pipe2(ready, O_CLOEXEC), 0);
        pid = fork();
        cr_assert(pid >= 0);
        if (pid == 0) {
                struct err e;

                close(ready[0]);
                if (write(ready[1], "r", 1) != 1)
                        _exit(1);
                for (;;) {
                        int fd = userns_fd(m, &e);

                        if (fd >= 0)
                                close(fd);
                }
        }
        close(ready[1]);
        cr_assert_eq(read(ready[0], &c, 1), 1, "the creator did not start");
        close(ready[0]);
        return pid;
}

static void sleep_us(long us)
{
        struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000 };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* Reaps every child that dies on its own within `ms`; returns how many, or
 * -1 when some child is still there. */
static int reap_children_within(int ms)
{
        int reaped = 0;

        for (int waited = 0;; ) {
                siginfo_t si = { 0 };

                if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | __WALL) < 0)
                        return errno == ECHILD ? reaped : -1;
                if (si.si_pid != 0) {
                        reaped++;
                        continue;
                }
                if (waited >= ms)
                        return -1;
                sleep_us(1000);
                waited++;
        }
}

Test(userns, creator_killed_at_random_moments_leaves_no_child, .timeout = 600)
{
        _cleanup_free_ struct id_mapping *m = containerd_mapping();
        unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
        int orphans = 0;

        /* Whatever the killed creator leaves is re-parented to this process
         * instead of init, where it can be seen, waited for and killed. */
        cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
        close(must_userns_fd(m));       /* the filter is built before the forks */
        srand(seed);
        cr_log_info("seed %u", seed);

        for (int i = 0; i < 200; i++) {
                pid_t creator = spawn_creator(m);
                char list[1024];
                int status, n;

                sleep_us(rand() % 800);
                cr_assert_eq(kill(creator, SIGKILL), 0);
                cr_assert_eq(waitpid(creator, &status, 0), creator);
                /* Its child, if any, is now ours: it must die by itself
                 * (pdeath signal, EXITKILL, or its getppid() check). */
                n = reap_children_within(2000);
                if (n < 0) {
                        proc_children(getpid(), list, sizeof(list));
                        proc_kill_children();
                        cr_assert_fail("round %d (seed %u): a child of the killed creator "
                                       "stayed alive:%s", i, seed, list);
                }
                orphans += n;
        }
        cr_log_info("%d of 200 creators were killed with a child alive", orphans);
        /* Otherwise the loop never hit the moment it is about. */
        cr_assert_gt(orphans, 0, "no creator was ever killed during a call (seed %u)", seed);
        assert_no_children("after 200 killed creators");
}

/* ---- ten threads at once -------------------------------------------------- */

struct worker {
        pthread_t thread;
        int index;
        struct id_mapping mapping;      /* a different host range per thread */
        int failures;
        int checked;
        char first_error[1200];
};

static void *create_hundred(void *arg)
{
        struct worker *w = arg;

        for (int i = 0; i < 100; i++) {
                struct err e = { 0 };
                int fd = userns_fd(&w->mapping, &e);
                char why[1100];

                if (fd < 0 || ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWUSER) {
                        if (!w->failures++)
                                snprintf(w->first_error, sizeof(w->first_error),
                                         "call %d: %s", i, fd < 0 ? e.msg : "not a user ns");
                } else if (i % 25 == 0) {
                        /* Each thread has its own mapping: a call that got
                         * another caller's child would show it here. */
                        if (maps_inside_are(fd, &w->mapping, why, sizeof(why)))
                                w->checked++;
                        else if (!w->failures++)
                                snprintf(w->first_error, sizeof(w->first_error),
                                         "call %d: %s", i, why);
                }
                if (fd >= 0)
                        close(fd);
        }
        return NULL;
}

Test(userns, ten_threads_of_hundred_calls_all_succeed_and_leave_nothing, .timeout = 600)
{
        struct worker *w = calloc(10, sizeof(*w));
        int before = count_open_fds();

        cr_assert(w);
        for (int t = 0; t < 10; t++) {
                struct id_range uid = { 0, 100000 + 10000 * t, 5000 };
                struct id_range gid = { 0, 300000 + 10000 * t, 7000 };

                w[t].index = t;
                set_map(&w[t].mapping.uid, &uid, 1);
                set_map(&w[t].mapping.gid, &gid, 1);
                cr_assert_eq(pthread_create(&w[t].thread, NULL, create_hundred, &w[t]), 0);
        }
        for (int t = 0; t < 10; t++)
                cr_assert_eq(pthread_join(w[t].thread, NULL), 0);
        for (int t = 0; t < 10; t++) {
                cr_assert_eq(w[t].failures, 0, "thread %d: %d failures, first: %s", t,
                             w[t].failures, w[t].first_error);
                cr_assert_eq(w[t].checked, 4);
        }
        cr_assert_eq(count_open_fds(), before);
        assert_no_children("after 10 x 100 concurrent calls");
        free(w);
}

/* ---- the child's seccomp filter --------------------------------------------- */

struct probe {
        const char *what;
        long call[4];
};

static siginfo_t run_probe(const struct probe *p)
{
        struct err e = { 0 };
        siginfo_t how;

        cr_assert_eq(userns_child_probe(p->call, &how, &e), 0, "%s: %s", p->what, e.msg);
        return how;
}

/* Each would be harmless if it ran (bad pid, signal 0, NULL path...), so a
 * broken filter fails the test without hurting the machine. */
static const struct probe forbidden[] = {
        { "getuid()", { SYS_getuid } },
        { "write(2, NULL, 0)", { SYS_write, 2, 0, 0 } },
        { "openat(AT_FDCWD, NULL, 0)", { SYS_openat, AT_FDCWD, 0, 0 } },
        { "kill(1, 0)", { SYS_kill, 1, 0 } },
        { "tkill(0, SIGCONT): only SIGSTOP may be sent", { SYS_tkill, 0, SIGCONT } },
        { "ptrace(PTRACE_ATTACH, 0): only PTRACE_TRACEME", { SYS_ptrace, PTRACE_ATTACH, 0 } },
        { "prctl(PR_SET_PDEATHSIG, 0)", { SYS_prctl, PR_SET_PDEATHSIG, 0 } },
        { "exit(0): the child leaves with exit_group only", { SYS_exit, 0 } },
        { "rt_sigreturn()", { SYS_rt_sigreturn } },
        { "restart_syscall()", { SYS_restart_syscall } },
#if defined(__x86_64__)
        /* The same allowed call through the x32 ABI numbers. */
        { "x32 gettid()", { 0x40000000 | SYS_gettid } },
#endif
};

Test(userns, child_dies_of_sigsys_on_any_call_off_its_allowlist)
{
        for (size_t i = 0; i < ARRAY_SIZE(forbidden); i++) {
                siginfo_t how = run_probe(&forbidden[i]);

                cr_expect((how.si_code == CLD_KILLED || how.si_code == CLD_DUMPED) &&
                                  how.si_status == SIGSYS,
                          "%s: the child was not killed by SIGSYS (si_code %d, status %d)",
                          forbidden[i].what, how.si_code, how.si_status);
        }
        assert_no_children("after the probes");
}

/* The control: allowed calls leave the child alive, and it stops as usual. */
static const struct probe allowed[] = {
        { "gettid()", { SYS_gettid } },
        { "tkill(0, SIGSTOP)", { SYS_tkill, 0, SIGSTOP } },
};

Test(userns, child_survives_allowed_calls_and_stops_traced)
{
        for (size_t i = 0; i < ARRAY_SIZE(allowed); i++) {
                siginfo_t how = run_probe(&allowed[i]);

                cr_expect(how.si_code == CLD_TRAPPED && how.si_status == SIGSTOP,
                          "%s: si_code %d, status %d instead of a ptrace stop on SIGSTOP",
                          allowed[i].what, how.si_code, how.si_status);
        }
        assert_no_children("after the probes");
}

Test(userns, filter_printout_lists_exactly_the_allowed_calls)
{
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        int fd = memfd_create("pfc", MFD_CLOEXEC);
        FILE *pfc;
        struct err e = { 0 };
        char line[256];
        int syscalls = 0;

        cr_assert(f && fd >= 0);
        pfc = fdopen(fd, "w+");
        cr_assert(pfc);
        cr_assert_eq(userns_child_filter_print(pfc, &e), 0, "%s", e.msg);
        rewind(pfc);
        while (fgets(line, sizeof(line), pfc)) {
                if (strstr(line, "# filter for syscall")) {
                        syscalls++;
                        fputs(line, f);
                }
        }
        fclose(pfc);
        fclose(f);
        cr_assert_eq(syscalls, 4, "%s", text);
        cr_assert(strstr(text, "\"ptrace\"") && strstr(text, "\"gettid\"") &&
                  strstr(text, "\"tkill\"") && strstr(text, "\"exit_group\""), "%s", text);
        free(text);
}

/* ---- where ptrace is forbidden -------------------------------------------------- */

/* In a forked process whose own seccomp filter makes PTRACE_TRACEME fail
 * with EPERM (as Yama's ptrace_scope 3 would; the userns child inherits the
 * filter), two calls must both work and stderr must get one line. */
static int fallback_process(int err_fd)
{
        static const struct id_range r[] = { { 0, 100000, 65536 } };
        const struct scmp_arg_cmp traceme = { .arg = 0, .op = SCMP_CMP_EQ,
                                              .datum_a = PTRACE_TRACEME };
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        struct id_mapping *m = new_mapping(r, 1, r, 1);
        struct err e = { 0 };

        if (!ctx || dup2(err_fd, STDERR_FILENO) < 0)
                return 20;
        if (seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ptrace), 1,
                                   &traceme) < 0 ||
            seccomp_load(ctx) < 0)
                return 21;
        for (int i = 0; i < 2; i++) {
                int fd = userns_fd(m, &e);
                char why[1200];

                if (fd < 0)
                        return 22;
                if (!maps_inside_are(fd, m, why, sizeof(why)))
                        return 23;
                close(fd);
        }
        if (proc_children(getpid(), NULL, 0) != 0)
                return 24;
        return 0;
}

Test(userns, ptrace_forbidden_falls_back_and_warns_once)
{
        int err_fd = memfd_create("stderr", MFD_CLOEXEC);
        char text[2048] = "";
        int status, lines = 0;
        ssize_t n;
        pid_t pid;

        cr_assert(err_fd >= 0);
        pid = fork();
        cr_assert(pid >= 0);
        if (pid == 0)
                _exit(fallback_process(err_fd));
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "the process with ptrace forbidden failed (status %#x)", status);
        n = pread(err_fd, text, sizeof(text) - 1, 0);
        cr_assert(n > 0, "nothing on stderr");
        text[n] = '\0';
        for (char *p = text; *p; p++)
                lines += *p == '\n';
        cr_assert_eq(lines, 1, "stderr:\n%s", text);
        cr_assert(strstr(text, "ptrace is forbidden") && strstr(text, "Operation not permitted"),
                  "stderr: %s", text);
        close(err_fd);
}

/* ---- the caller's signal set-up ---------------------------------------------------- */

static atomic_int sigchld_seen;

static void count_sigchld(int sig)
{
        sigchld_seen++;
}

Test(userns, caller_sigchld_ignored_or_handled_changes_nothing)
{
        _cleanup_free_ struct id_mapping *m = containerd_mapping();
        struct sigaction ignore = { .sa_handler = SIG_IGN };
        struct sigaction handle = { .sa_handler = count_sigchld };
        int fd;

        /* SIG_IGN makes the kernel reap SIGCHLD children by itself (the
         * maps are read back once it is off again: the reader is one). */
        cr_assert_eq(sigaction(SIGCHLD, &ignore, NULL), 0);
        fd = must_userns_fd(m);
        signal(SIGCHLD, SIG_DFL);
        assert_maps_inside(fd, m);
        close(fd);
        /* A handler without SA_RESTART interrupts waitid with EINTR. */
        cr_assert_eq(sigaction(SIGCHLD, &handle, NULL), 0);
        for (int i = 0; i < 20; i++)
                close(must_userns_fd(m));
        cr_log_info("%d SIGCHLD for 20 calls", sigchld_seen);
        signal(SIGCHLD, SIG_DFL);
        assert_no_children("with SIGCHLD ignored, then handled");
}

Test(userns, caller_signal_mask_is_left_as_it_was)
{
        _cleanup_free_ struct id_mapping *m = containerd_mapping();
        sigset_t mask, after;

        sigemptyset(&mask);
        sigaddset(&mask, SIGUSR1);
        sigaddset(&mask, SIGTERM);
        cr_assert_eq(sigprocmask(SIG_SETMASK, &mask, NULL), 0);
        close(must_userns_fd(m));
        cr_assert_eq(sigprocmask(SIG_SETMASK, NULL, &after), 0);
        for (int sig = 1; sig < NSIG; sig++)
                cr_assert_eq(sigismember(&after, sig), sigismember(&mask, sig), "signal %d", sig);
}
