/* The hook's flow: read, decide, then (only then) act, in stages that
 * hook_run runs in order and the bench times one by one. */
#include "run.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/nsfs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../base/cleanup.h"
#include "../oci/config.h"
#include "../oci/json.h"
#include "../oci/plan.h"
#include "../oci/state.h"
#include "../seccomp/hook_filter.h"
#include "bundle.h"
#include "log.h"
#include "mounts.h"
#include "privilege.h"
#include "runtime.h"
#include "sources.h"
#include "userns.h"
#include "../base/io.h"

struct hook_run {
        int pidfd;              /* the state's process */
        int procdir;            /* /proc/<state.pid>, opened while the pidfd's process lived */
        int userns_fds[ARRAY_SIZE(((struct plan *)0)->mappings)];
        struct oci_state state;
        struct oci_config config;
        char *bundle_dir;       /* the one the runtime resolves relative paths in */
        char **bind_sources;    /* plan_input.bind_sources, config.n_mounts of them */
        struct mountinfo mountinfo;
        bool have_mountinfo;
        struct plan plan;
};

static void inputs_free(struct hook_run *in)
{
        for (size_t i = 0; i < ARRAY_SIZE(in->userns_fds); i++)
                if (in->userns_fds[i] >= 0)
                        close(in->userns_fds[i]);
        if (in->pidfd >= 0)
                close(in->pidfd);
        if (in->procdir >= 0)
                close(in->procdir);
        plan_free(&in->plan);
        mountinfo_free(&in->mountinfo);
        bind_sources_free(in->bind_sources, in->config.n_mounts);
        free(in->bundle_dir);
        oci_config_free(&in->config);
        oci_state_free(&in->state);
}

static struct rootfs_owner rootfs_owner(const char *rootfs)
{
        struct rootfs_owner o = { 0 };
        struct stat st;

        if (stat(rootfs, &st) == 0) {
                o.known = true;
                o.uid = st.st_uid;
                o.gid = st.st_gid;
        }
        return o;
}

/* root.path is the host's own "/": same device and inode. */
static bool is_host_root(const char *rootfs)
{
        struct stat a, b;

        return stat(rootfs, &a) == 0 && stat("/", &b) == 0 && a.st_dev == b.st_dev &&
               a.st_ino == b.st_ino;
}

static int make_plan(struct hook_run *in, const struct annotations *state_annotations,
                     enum runtime_kind runtime, struct err *e)
{
        struct plan_input pin = {
                .config = &in->config,
                .mountinfo = in->have_mountinfo ? &in->mountinfo : NULL,
                .owner = rootfs_owner(in->config.rootfs),
                .runtime = runtime,
                .rootfs_is_host_root = is_host_root(in->config.rootfs),
        };
        int r = plan_activation(state_annotations, &in->config.annotations, &pin.activation, e);

        if (r >= 0 && pin.mountinfo)
                r = bind_sources_resolve(&in->config, in->bundle_dir, &in->bind_sources, e);
        if (r < 0)
                return r;
        pin.bind_sources = (const char *const *)in->bind_sources;
        return plan_build(&pin, &in->plan, e);
}

/* Something was asked for explicitly: the annotation, or an idmap option
 * or mappings on a mount.  The auto default alone is not a request. */
static bool explicitly_asked(const struct hook_run *in, const struct annotations *state_annotations)
{
        const struct oci_config *c = &in->config;
        const char *a = annotations_get(state_annotations, ANNOTATION_ROOTFS);

        if (!a)
                a = annotations_get(&c->annotations, ANNOTATION_ROOTFS);
        if (a && strcmp(a, "true") == 0)
                return true;
        for (size_t i = 0; i < c->n_mounts; i++) {
                const struct oci_mount *m = &c->mounts[i];

                if (m->has_idmap)
                        return true;
                for (size_t k = 0; k < m->n_options; k++) {
                        const char *o = m->options[k] + (m->options[k][0] == 'r');

                        if (strncmp(o, "idmap", 5) == 0 && (o[5] == '\0' || o[5] == '='))
                                return true;
                }
        }
        return false;
}

static int read_container_mountinfo(struct hook_run *in, int pidfd, pid_t pid, struct err *e)
{
        char path[64], where[64];
        _cleanup_close_ int dir = -EBADF;
        int r;

        snprintf(path, sizeof(path), "/proc/%d", (int)pid);
        snprintf(where, sizeof(where), "/proc/%d/mountinfo", (int)pid);
        dir = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
                return err_sys(e, errno, "state: pid %d: open `%s`", (int)pid, path);
        /* The directory was opened while the pidfd's process was alive, so
         * it is that process's, not a later one's with the same pid. */
        if (pidfd_send_signal(pidfd, 0, NULL, 0) < 0)
                return err_sys(e, errno, "state: pid %d", (int)pid);
        r = mountinfo_read_at(dir, "mountinfo", where, &in->mountinfo, e);
        if (r < 0)
                return r;
        in->have_mountinfo = true;
        in->procdir = TAKE_FD(dir);
        return 0;
}

static int read_map(int procdir, const char *name, struct id_map *out)
{
        _cleanup_close_ int fd = openat(procdir, name, O_RDONLY | O_CLOEXEC);
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r;

        if (fd < 0)
                return -errno;
        /* 340 lines of up to 33 bytes: more than one read may return */
        r = read_input_fd(fd, 16 * 1024, &buf, &len);
        return r < 0 ? r : idmap_parse_proc(buf, out);
}

/* The container's own user namespace, when its maps are exactly `m`: the
 * runtime wrote them before it set up the mounts.  An idmapped mount takes
 * the mapping of the namespace it is given, so this one serves as well as a
 * new one, and saves making it.  -ENOENT when it does not fit. */
static int container_userns(const struct hook_run *in, int pidfd, const struct id_mapping *m)
{
        struct id_mapping *seen = malloc(sizeof(*seen));
        int fd = -ENOENT;

        if (!seen)
                return -ENOMEM;
        if (in->procdir >= 0 && read_map(in->procdir, "uid_map", &seen->uid) == 0 &&
            read_map(in->procdir, "gid_map", &seen->gid) == 0 && seen->uid.n && seen->gid.n &&
            id_mapping_equal(seen, m)) {
                fd = openat(in->procdir, "ns/user", O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        fd = -ENOENT;
                /* Still the state's process: the namespace is its own. */
                else if (pidfd_send_signal(pidfd, 0, NULL, 0) < 0) {
                        close(fd);
                        fd = -ENOENT;
                }
        }
        free(seen);
        return fd;
}

/* One user namespace per distinct mapping: the container's own where it
 * carries the mapping, else a new one from the traced fork. */
static int make_namespaces(const struct hook_run *in, int pidfd, int *fds, struct err *e)
{
        const struct plan *p = &in->plan;

        for (size_t i = 0; i < p->n_mappings; i++) {
                fds[i] = container_userns(in, pidfd, p->mappings[i]);
                if (fds[i] == -ENOENT)
                        fds[i] = userns_fd(p->mappings[i], e);
                else if (fds[i] < 0)
                        err_set(e, -fds[i], "out of memory");
                if (fds[i] < 0)
                        return fds[i];
        }
        return 0;
}

/* ---- the hook's run, in stages ----------------------------------------------
 *
 * Each stage returns HOOK_NEXT to go on, or the exit code to end with.
 */

static void inputs_init(struct hook_run *in)
{
        *in = (struct hook_run){ .pidfd = -EBADF, .procdir = -EBADF };
        for (size_t i = 0; i < ARRAY_SIZE(in->userns_fds); i++)
                in->userns_fds[i] = -EBADF;
}

struct hook_run *hook_run_new(void)
{
        struct hook_run *in = malloc(sizeof(*in));

        if (in)
                inputs_init(in);
        return in;
}

void hook_run_free(struct hook_run *h)
{
        if (h) {
                inputs_free(h);
                free(h);
        }
}

int hook_stage_state(struct hook_run *in, const char *stage, int state_fd, struct err *e)
{
        if (strcmp(stage, "prestart") != 0 && strcmp(stage, "createRuntime") != 0) {
                err_set(e, EINVAL, "unknown stage \"%s\": the hook runs at prestart or createRuntime",
                        stage);
                return EXIT_USAGE;
        }
        if (oci_state_read_fd(state_fd, &in->state, e) < 0)
                return EXIT_BAD_INPUT;
        /* From here every line logged names the container (log.h). */
        log_set_container(in->state.id, annotations_get(&in->state.annotations,
                                                        LOG_LEVEL_ANNOTATION));
        return HOOK_NEXT;
}

/* Whether process `pid` runs in another user namespace than the hook's.
 * Unsure (it is gone, /proc hides it) counts as yes: then the hook fails
 * loudly rather than leave a user-namespaced container unmapped. */
static bool in_own_userns(pid_t pid)
{
        char path[64];
        struct stat mine, its;

        snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
        if (stat("/proc/self/ns/user", &mine) < 0 || stat(path, &its) < 0)
                return true;
        return mine.st_ino != its.st_ino || mine.st_dev != its.st_dev;
}

int hook_stage_config(struct hook_run *in, struct err *e)
{
        _cleanup_free_ char *config_path = NULL, *bundle_dir = NULL;
        enum oci_userns_probe probe;
        int r;

        /* The config the runtime read, which the state's bundle does not
         * always lead to (hook/bundle.h). */
        r = bundle_find_config(&in->state, &config_path, &bundle_dir, e);
        if (r == -ENOENT) {
                err_set(e, ENOENT, "container %s: cannot find the config the runtime read "
                        "(the state says bundle `%s`)", in->state.id, in->state.bundle);
                probe = OCI_PROBE_UNKNOWN;
        } else if (r < 0) {
                return EXIT_FAILED;
        } else if (oci_config_load_file(config_path, bundle_dir, &in->config, e) < 0) {
                probe = oci_config_probe_userns(config_path);
        } else {
                /* Installed for every container: most need nothing, so
                 * leave early. */
                if (!in->config.has_userns || !in->config.has_idmap)
                        return EXIT_OK;
                in->bundle_dir = TAKE_PTR(bundle_dir);
                return HOOK_NEXT;
        }
        /* A config the hook cannot read or refused: fail only a container
         * that gets a user namespace.  When its reading cannot tell, the
         * container's process can: it runs in a user namespace of its own
         * or in the hook's. */
        const char *asked = annotations_get(&in->state.annotations, ANNOTATION_ROOTFS);
        bool explicit = asked && strcmp(asked, "true") == 0;

        /* ... and one that asked for the hook by its annotation, always:
         * a request is never answered by a silent exit 0. */
        if (!explicit && (probe == OCI_PROBE_NO_USERNS ||
                          (probe == OCI_PROBE_UNKNOWN && !in_own_userns(in->state.pid))))
                return EXIT_OK;
        if (!strstr(e->msg, in->state.id))
                err_prefix(e, "container %s", in->state.id);
        return EXIT_BAD_INPUT;
}

/* A container whose process is gone, or whose table cannot be read, is
 * no input error: exit 1, with the container named. */
int hook_stage_container(struct hook_run *in, struct err *e)
{
        in->pidfd = pidfd_open(in->state.pid, 0);
        if (in->pidfd < 0)
                err_sys(e, errno, "its process %d", (int)in->state.pid);
        else if (read_container_mountinfo(in, in->pidfd, in->state.pid, e) >= 0)
                return HOOK_NEXT;
        err_prefix(e, "container %s", in->state.id);
        return EXIT_FAILED;
}

/* Errors from the planner: the input's (a mapping, an option, the
 * annotation: exit 3), or what the hook cannot do for it (exit 1). */
static int plan_exit_code(int r)
{
        return r == -EINVAL || r == -E2BIG || r == -ERANGE ? EXIT_BAD_INPUT : EXIT_FAILED;
}

int hook_stage_plan(struct hook_run *in, struct err *e)
{
        enum runtime_kind runtime = RUNTIME_UNKNOWN;
        int r;

        /* Rootless: silent when nothing was asked, one clear line when
         * something was, whatever else the plan would find. */
        if (!privileged_enough()) {
                if (!explicitly_asked(in, &in->state.annotations))
                        return EXIT_OK;
                err_set(e, EPERM, "container %s asks for idmapped mounts, which need "
                        "CAP_SYS_ADMIN in the initial user namespace (rootless engines cannot "
                        "use this hook)", in->state.id);
                return EXIT_FAILED;
        }
        r = runtime_detect(in->procdir, &in->state, &in->mountinfo, in->config.rootfs, &runtime, e);
        if (r >= 0)
                r = make_plan(in, &in->state.annotations, runtime, e);
        if (r < 0) {
                err_prefix(e, "container %s", in->state.id);
                return plan_exit_code(r);
        }
        if (in->plan.notice[0])
                log_warning("container %s: %s", in->state.id, in->plan.notice);
        return plan_has_work(&in->plan) ? HOOK_NEXT : EXIT_OK;
}

/* From here on the hook only carries the plan out: it drops every system
 * call that work does not need (seccomp/hook_filter.h). */
int hook_stage_filter(struct hook_run *in, struct err *e)
{
        if (hook_filter_install(e) < 0) {
                err_prefix(e, "container %s", in->state.id);
                return EXIT_FAILED;
        }
        return HOOK_NEXT;
}

int hook_stage_namespaces(struct hook_run *in, struct err *e)
{
        if (make_namespaces(in, in->pidfd, in->userns_fds, e) < 0) {
                err_prefix(e, "container %s", in->state.id);
                return EXIT_FAILED;
        }
        return HOOK_NEXT;
}

int hook_stage_apply(struct hook_run *in, struct err *e)
{
        _cleanup_fclose_ FILE *trace = log_debug_open();

        if (trace)
                plan_print_text(&in->plan, trace);
        if (mounts_apply(&in->plan, in->pidfd, in->userns_fds, &in->mountinfo, trace, e) < 0) {
                err_prefix(e, "container %s", in->state.id);
                return EXIT_FAILED;
        }
        return EXIT_OK;
}

int hook_run(const char *stage, int state_fd, struct err *e)
{
        struct hook_run in;
        int code;

        inputs_init(&in);
        code = hook_stage_state(&in, stage, state_fd, e);
        if (code == HOOK_NEXT)
                code = hook_stage_config(&in, e);
        if (code == HOOK_NEXT)
                code = hook_stage_container(&in, e);
        if (code == HOOK_NEXT)
                code = hook_stage_plan(&in, e);
        if (code == HOOK_NEXT)
                code = hook_stage_filter(&in, e);
        if (code == HOOK_NEXT)
                code = hook_stage_namespaces(&in, e);
        if (code == HOOK_NEXT)
                code = hook_stage_apply(&in, e);
        inputs_free(&in);
        return code;
}

static int plan_inputs(struct hook_run *in, const char *bundle, pid_t pid, const char *mountinfo,
                       const char *runtime, struct err *e)
{
        _cleanup_free_ char *abs = NULL;

        if (bundle[0] != '/') {
                abs = realpath(bundle, NULL);
                if (!abs)
                        return err_sys(e, errno, "--bundle `%s`", bundle);
                bundle = abs;
        }
        if (oci_config_load(bundle, &in->config, e) < 0)
                return -EINVAL;
        in->bundle_dir = strdup(bundle);
        if (!in->bundle_dir)
                return err_set(e, ENOMEM, "out of memory");
        if (pid > 0) {
                _cleanup_close_ int pidfd = pidfd_open(pid, 0);

                if (pidfd < 0)
                        return err_sys(e, errno, "--pid %d", (int)pid);
                if (read_container_mountinfo(in, pidfd, pid, e) < 0)
                        return -EINVAL;
        } else if (mountinfo) {
                if (mountinfo_load(mountinfo, &in->mountinfo, e) < 0)
                        return -EINVAL;
                in->have_mountinfo = true;
        }
        return make_plan(in, NULL, !runtime ? RUNTIME_UNKNOWN
                                   : strcmp(runtime, "runc") == 0 ? RUNTIME_RUNC_BY_PATH
                                   : strcmp(runtime, "crun") == 0 ? RUNTIME_CRUN_BY_HANDLE
                                   : RUNTIME_RUNC_PIVOTS_INTO_HANDLE, e);
}

int hook_plan(const char *bundle, pid_t pid, const char *mountinfo, const char *runtime, bool json,
              FILE *out, struct err *e)
{
        struct hook_run in;
        int code = EXIT_OK;

        inputs_init(&in);

        if (plan_inputs(&in, bundle, pid, mountinfo, runtime, e) < 0)
                code = EXIT_BAD_INPUT;
        else if ((json ? plan_print_json(&in.plan, out) : plan_print_text(&in.plan, out)) < 0) {
                err_sys(e, EIO, "write the plan");
                code = EXIT_FAILED;
        }
        inputs_free(&in);
        return code;
}
