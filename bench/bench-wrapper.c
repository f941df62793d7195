/* bench-wrapper: what oci-idmap-runtime adds to a container's start, beside
 * what the hook adds and beside no idmapping at all, measured in the same
 * run under each runtime.
 *
 *     build/bench/bench-wrapper [--starts N]
 *
 * As root.  Runtimes: runc and crun from PATH, and runc-1.3.6 and
 * crun-1.27.1 from $OIH_RUNTIMES_DIR when it is set.  For each runtime, a
 * user-namespaced container (0:100000:65536) on a root-owned busybox rootfs
 * runs /bin/true, `RUNTIME --root DIR run --bundle B ID` timed to its exit:
 *   none     the runtime alone, no idmap (the container sees 65534);
 *   hook     the hook at createRuntime (under runc 1.3.6 it idmaps a mount
 *            the container never gets: its cost, not its effect);
 *   wrapper  oci-idmap-runtime in front of the runtime, no hook.
 * Starts are interleaved (none, hook, wrapper, none, ...) so that drift in
 * the machine's load hits all three alike.  Everything runs in a mount
 * namespace of the bench's own, with runtime state on a tmpfs; the rootfs
 * and the cgroups are removed at exit.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/support/leftovers.h"
#include "tests/support/oci_bundle.h"
#include "tests/support/rootfs.h"

extern char **environ;

#define MAX_RT 4
enum mode { NONE, HOOK, WRAPPER, N_MODES };
static const char *const mode_names[N_MODES] = { "none", "hook", "wrapper" };

struct runtime {
        const char *label;
        char path[PATH_MAX];
        double *ms[N_MODES];
        unsigned failed[N_MODES];
};

static char disk[PATH_MAX];
static char cgroup_name[64];

static void die(const char *what)
{
        fprintf(stderr, "bench-wrapper: %s: %s\n", what, strerror(errno));
        exit(1);
}

/* path_printf (tests/support/leftovers.h), or die. */
#define pathf(buf, ...)                                                         \
        do {                                                                    \
                struct err pe_ = { 0 };                                         \
                if (path_printf(buf, &pe_, __VA_ARGS__) < 0) {                  \
                        errno = ENAMETOOLONG;                                   \
                        die(pe_.msg);                                           \
                }                                                               \
        } while (0)

/* The cgroups the runtimes made for /<cgroup_name>/<id> in every
 * hierarchy (empty once their containers are deleted), and the rootfs. */
static void cleanup(void)
{
        leftover_remove_cgroups(cgroup_name);
        if (disk[0])
                leftover_remove_tree(disk);
}

static double now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Runs argv with stdio on /dev/null; its exit status, -1 when not started. */
static int run(const char *const argv[])
{
        posix_spawn_file_actions_t fa;
        int status;
        pid_t pid;

        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        if (posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ) != 0)
                return -1;
        posix_spawn_file_actions_destroy(&fa);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void make_rootfs(const char *dir)
{
        struct err e = { 0 };

        if (rootfs_make_busybox(dir, &e) < 0) {
                errno = e.errnum;
                die(e.msg);
        }
}

static void write_bundle(const char *bundle, const char *rootfs, enum mode m, const char *id)
{
        char config[PATH_MAX], cg[256];
        struct err e = { 0 };
        const struct bundle_config c = {
                .rootfs = rootfs,
                .args = (const char *const[]){ "/bin/true", NULL },
                .hostname = "bench",
                .host_base = 100000,
                .hook = m == HOOK ? HOOK_BIN : NULL,
                .cgroups_path = cg,
        };

        snprintf(cg, sizeof(cg), "/%s/%s", cgroup_name, id);
        pathf(config, "%s/config.json", bundle);
        if (mkdir(bundle, 0755) < 0 && errno != EEXIST)
                die(bundle);
        if (bundle_write_config(config, &c, &e) < 0) {
                fprintf(stderr, "bench-wrapper: %s\n", e.msg);
                exit(1);
        }
}

/* One start, timed to the runtime's exit; the container is deleted after. */
static void one_start(struct runtime *rt, enum mode m, unsigned i, const char *rootfs)
{
        char id[64], bundle[PATH_MAX], state[PATH_MAX];
        double t0;
        int status;

        snprintf(id, sizeof(id), "bw-%s-%s-%u", rt->label, mode_names[m], i);
        pathf(bundle, "/run/oih-bench/%s", id);
        pathf(state, "/run/oih-bench/state-%s", rt->label);
        write_bundle(bundle, rootfs, m, id);
        setenv("OCI_IDMAP_RUNTIME", rt->path, 1);
        t0 = now_ms();
        status = run((const char *const[]){ m == WRAPPER ? WRAPPER_BIN : rt->path, "--root", state,
                                            "run", "--bundle", bundle, id, NULL });
        rt->ms[m][i] = now_ms() - t0;
        if (status != 0)
                rt->failed[m]++;
        run((const char *const[]){ rt->path, "--root", state, "delete", "--force", id, NULL });
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

static void report(struct runtime *rt, unsigned n)
{
        double median[N_MODES];

        for (int m = 0; m < N_MODES; m++) {
                qsort(rt->ms[m], n, sizeof(double), cmp_double);
                median[m] = n % 2 ? rt->ms[m][n / 2] : (rt->ms[m][n / 2 - 1] + rt->ms[m][n / 2]) / 2;
        }
        printf("%-12s", rt->label);
        for (int m = 0; m < N_MODES; m++)
                printf("  %-7s %7.2f ms", mode_names[m], median[m]);
        printf("   hook %+6.2f ms, wrapper %+6.2f ms", median[HOOK] - median[NONE],
               median[WRAPPER] - median[NONE]);
        for (int m = 0; m < N_MODES; m++)
                if (rt->failed[m])
                        printf("  (%s: %u of %u starts failed)", mode_names[m], rt->failed[m], n);
        printf("\n");
}

static size_t find_runtimes(struct runtime *rts)
{
        const char *dir = getenv("OIH_RUNTIMES_DIR");
        const char *const sys[] = { "runc", "crun" };
        size_t n = 0;

        for (size_t i = 0; i < 2; i++) {
                char cmd[64];
                FILE *p;

                snprintf(cmd, sizeof(cmd), "command -v %s", sys[i]);
                p = popen(cmd, "r");
                if (p && fgets(rts[n].path, sizeof(rts[n].path), p)) {
                        rts[n].path[strcspn(rts[n].path, "\n")] = '\0';
                        rts[n].label = sys[i];
                        n++;
                }
                if (p)
                        pclose(p);
        }
        for (size_t i = 0; dir && i < 2; i++) {
                const char *name = i ? "crun-1.27.1" : "runc-1.3.6";
                snprintf(rts[n].path, sizeof(rts[n].path), "%s/%s", dir, name);
                if (access(rts[n].path, X_OK) == 0)
                        rts[n++].label = name;
        }
        return n;
}

int main(int argc, char **argv)
{
        struct runtime rts[MAX_RT] = { 0 };
        unsigned starts = 30;
        char rootfs[PATH_MAX];
        size_t n_rt;

        if (argc == 3 && strcmp(argv[1], "--starts") == 0 && atoi(argv[2]) > 0)
                starts = (unsigned)atoi(argv[2]);
        else if (argc != 1) {
                fprintf(stderr, "Usage: bench-wrapper [--starts N]\n");
                return 2;
        }
        if (geteuid() != 0)
                return fprintf(stderr, "bench-wrapper: must run as root\n"), 1;
        n_rt = find_runtimes(rts);
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=755") < 0)
                die("private mount namespace with a tmpfs on /run");
        {
                /* the runtimes' stdio below is /dev/null: this namespace's own */
                struct err e = { 0 };

                if (private_dev_null("/run/oih-bench-dev", &e) < 0) {
                        errno = e.errnum;
                        die(e.msg);
                }
        }
        mkdir("/run/oih-bench", 0755);
        snprintf(cgroup_name, sizeof(cgroup_name), "oih-bench-%d", (int)getpid());
        snprintf(disk, sizeof(disk), "/var/tmp/oih-bw.XXXXXX");
        if (!mkdtemp(disk) || chmod(disk, 0755) < 0)
                die("mkdtemp /var/tmp/oih-bw.XXXXXX");
        atexit(cleanup);
        pathf(rootfs, "%s/rootfs", disk);
        if (mkdir(rootfs, 0755) < 0)
                die(rootfs);
        make_rootfs(rootfs);

        printf("Container start (median of %u, /bin/true in a user namespace on a root-owned rootfs)\n",
               starts);
        for (size_t r = 0; r < n_rt; r++) {
                for (int m = 0; m < N_MODES; m++)
                        rts[r].ms[m] = calloc(starts, sizeof(double));
                for (unsigned i = 0; i < starts; i++)
                        for (int m = 0; m < N_MODES; m++)
                                one_start(&rts[r], (enum mode)m, i, rootfs);
                report(&rts[r], starts);
                fflush(stdout);
        }
        return 0;
}
