/* oci-idmap-runtime: registered as the container runtime in place of runc or
 * crun (docs/wrapper.md); hands every command to the real one. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../base/cleanup.h"
#include "wrapper.h"

/* One line whatever paths config.json holds: control characters escaped. */
static void one_line(const char *in, char *out, size_t size)
{
        size_t n = 0;

        for (const unsigned char *p = (const unsigned char *)in; *p && n + 5 < size; p++)
                n += (size_t)(*p < 0x20 || *p == 0x7f ? snprintf(out + n, 5, "\\x%02x", *p)
                                                      : snprintf(out + n, 2, "%c", *p));
        out[n] = '\0';
}

/* podman (through conmon) and containerd read the runtime's error from the
 * file its --log names, in its --log-format: the line goes there too. */
static void log_to_runtime_log(const struct wrap_args *a, const char *msg)
{
        const char *path = a->log;
        _cleanup_fclose_ FILE *f = NULL;
        char stamp[64];
        struct tm tm;
        time_t now = time(NULL);

        if (!path)
                return;
        if (strncmp(path, "file:", 5) == 0)
                path += 5;
        else if (strchr(path, ':') && path[0] != '/')
                return;         /* crun's journald:ID, syslog:ID */
        f = fopen(path, "ae");
        if (!f)
                return;
        if (!a->log_format || strcmp(a->log_format, "json") != 0) {
                fprintf(f, "oci-idmap-runtime: %s\n", msg);
                return;
        }
        strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
        fputs("{\"level\":\"error\",\"msg\":\"oci-idmap-runtime: ", f);
        for (const char *p = msg; *p; p++)
                fprintf(f, *p == '"' || *p == '\\' ? "\\%c" : "%c", *p);
        fprintf(f, "\",\"time\":\"%s\"}\n", stamp);
}

static int fail(const struct wrap_args *a, const struct err *e)
{
        char msg[sizeof(e->msg) * 4];

        one_line(e->msg[0] ? e->msg : "failed", msg, sizeof(msg));
        fprintf(stderr, "oci-idmap-runtime: %s\n", msg);
        if (a)
                log_to_runtime_log(a, msg);
        return EXIT_FAILURE;
}

int main(int argc, char **argv)
{
        _cleanup_free_ char *runtime = NULL;
        struct wrap_args a;
        struct err e = { 0 };

        wrap_args_parse(argc, argv, &a);
        if (argc < 1 || wrap_find_runtime(argv[0] ? argv[0] : "", &runtime, &e) < 0)
                return fail(&a, &e);
        if (a.command != WRAP_PASS && wrap_prepare(&a, runtime, &e) < 0)
                return fail(&a, &e);
        /* argv[1..] as given; argv[0] the real runtime's path, which crun
         * reads (it behaves as krun when so named). */
        argv[0] = runtime;
        execv(runtime, argv);
        err_sys(&e, errno, "exec `%s`", runtime);
        return fail(&a, &e);
}
