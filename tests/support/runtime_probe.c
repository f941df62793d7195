/* runtime-probe: a createRuntime hook for the e2e tests, never installed.
 * It runs the shipped detector (hook/runtime.c) on the container it is
 * called for, as the hook would, and writes the kind's name, one line, to
 * the file that the annotation RUNTIME_PROBE_OUT names.  crun shows a hook's
 * stdout and stderr to nobody, hence the file.  On failure the file gets
 * "error: <message>" and the hook exits 1. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/pidfd.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "hook/mounts.h"
#include "hook/runtime.h"
#include "oci/config.h"
#include "oci/state.h"
#include "runtime_probe.h"

static int detect(const struct oci_state *s, enum runtime_kind *kind, struct err *e)
{
        _cleanup_close_ int pidfd = pidfd_open(s->pid, 0);
        _cleanup_close_ int procdir = -EBADF;
        struct oci_config config = { 0 };
        struct mountinfo mi = { 0 };
        char path[64];
        int r;

        if (pidfd < 0)
                return err_sys(e, errno, "pidfd_open %d", (int)s->pid);
        snprintf(path, sizeof(path), "/proc/%d", (int)s->pid);
        procdir = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (procdir < 0)
                return err_sys(e, errno, "open `%s`", path);
        if (pidfd_send_signal(pidfd, 0, NULL, 0) < 0)
                return err_sys(e, errno, "pid %d is gone", (int)s->pid);
        r = oci_config_load(s->bundle, &config, e);
        if (r == 0)
                r = mountinfo_read_at(procdir, "mountinfo", "mountinfo", &mi, e);
        if (r == 0)
                r = runtime_detect(procdir, s, &mi, config.rootfs, kind, e);
        mountinfo_free(&mi);
        oci_config_free(&config);
        return r;
}

int main(void)
{
        struct oci_state s = { 0 };
        struct err e = { 0 };
        enum runtime_kind kind = RUNTIME_UNKNOWN;
        const char *out;
        FILE *f;
        int r;

        if (oci_state_read_fd(STDIN_FILENO, &s, &e) < 0) {
                fprintf(stderr, "runtime-probe: %s\n", e.msg);
                return 1;
        }
        out = annotations_get(&s.annotations, RUNTIME_PROBE_OUT);
        if (!out) {
                fprintf(stderr, "runtime-probe: no annotation %s\n", RUNTIME_PROBE_OUT);
                return 1;
        }
        r = detect(&s, &kind, &e);
        f = fopen(out, "we");
        if (!f) {
                fprintf(stderr, "runtime-probe: open `%s`: %m\n", out);
                return 1;
        }
        if (r < 0)
                fprintf(f, "error: %s\n", e.msg);
        else
                fprintf(f, "%s\n", runtime_kind_str(kind));
        if (fclose(f) != 0)
                r = -EIO;
        oci_state_free(&s);
        return r < 0 ? 1 : 0;
}
