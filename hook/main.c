/* oci-idmap-hook: the command line. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "check.h"
#include "log.h"
#include "run.h"

static const char usage[] =
        "Usage: oci-idmap-hook prestart|createRuntime   (as an OCI hook; state on stdin)\n"
        "       oci-idmap-hook plan --bundle DIR [--pid N | --mountinfo FILE]\n"
        "                           [--runtime runc|crun|runc-handle] [--json]\n"
        "       oci-idmap-hook check [PATH]   (can this host use the hook? PATH: a rootfs, default /)\n"
        "       oci-idmap-hook --help | --version\n"
        "\n"
        "Gives user-namespaced containers an idmapped rootfs and idmapped volumes.\n"
        "Annotation io.github.oci-idmap-hook.rootfs: auto (default), true, false.\n"
        "Log level (errors and warnings go to stderr and syslog; debug adds the plan):\n"
        "annotation io.github.oci-idmap-hook.log-level or environment\n"
        "OCI_IDMAP_HOOK_LOG_LEVEL: warning (default), debug.\n"
        "\n"
        "Exit codes: 0 done or nothing to do; 1 the mount work failed; 2 bad command\n"
        "line; 3 the state, config.json or mount table was refused.\n"
        "check: 0 the hook can work on this host; 1 it cannot.\n"
        "See oci-idmap-hook(1).\n";

static void report(const struct err *e)
{
        log_line(LOG_ERR, e->msg);
}

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        fprintf(stderr, "oci-idmap-hook: ");
        vfprintf(stderr, fmt, ap);
        fprintf(stderr, "\nTry 'oci-idmap-hook --help'.\n");
        va_end(ap);
        return EXIT_USAGE;
}

static int parse_pid(const char *s, pid_t *out)
{
        char *end;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || end == s || *end || v <= 0 || v > INT_MAX)
                return -EINVAL;
        *out = (pid_t)v;
        return 0;
}

static int cmd_plan(int argc, char **argv)
{
        static const struct option opts[] = {
                { "bundle", required_argument, NULL, 'b' },
                { "pid", required_argument, NULL, 'p' },
                { "mountinfo", required_argument, NULL, 'm' },
                { "json", no_argument, NULL, 'j' },
                { "runtime", required_argument, NULL, 'r' },
                { 0 },
        };
        const char *bundle = NULL, *mountinfo = NULL, *runtime = NULL;
        struct err e = { 0 };
        bool json = false;
        pid_t pid = 0;
        int c, code;

        opterr = 0;
        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                switch (c) {
                case 'b':
                        bundle = optarg;
                        break;
                case 'p':
                        if (parse_pid(optarg, &pid) < 0)
                                return usage_error("plan: --pid: \"%s\" is not a pid", optarg);
                        break;
                case 'm':
                        mountinfo = optarg;
                        break;
                case 'j':
                        json = true;
                        break;
                case 'r':
                        if (strcmp(optarg, "runc") != 0 && strcmp(optarg, "crun") != 0 &&
                            strcmp(optarg, "runc-handle") != 0)
                                return usage_error("plan: --runtime: \"%s\" is not runc, crun "
                                                   "or runc-handle", optarg);
                        runtime = optarg;
                        break;
                default:
                        return usage_error("plan: unknown option \"%s\"", argv[optind - 1]);
                }
        }
        if (optind < argc)
                return usage_error("plan: unexpected argument \"%s\"", argv[optind]);
        if (!bundle)
                return usage_error("plan: %s", "--bundle DIR is required");
        if (pid && mountinfo)
                return usage_error("plan: %s", "--pid and --mountinfo exclude each other");
        code = hook_plan(bundle, pid, mountinfo, runtime, json, stdout, &e);
        if (code != EXIT_OK)
                report(&e);
        return code;
}

int main(int argc, char **argv)
{
        struct err e = { 0 };
        int code;

        if (argc < 2)
                return usage_error("%s", "missing the stage or command");
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                fputs(usage, stdout);
                return EXIT_OK;
        }
        if (strcmp(argv[1], "--version") == 0) {
                printf("oci-idmap-hook %s (git %s)\n", OCI_IDMAP_HOOK_VERSION, OCI_IDMAP_HOOK_GIT);
                return EXIT_OK;
        }
        if (strcmp(argv[1], "plan") == 0)
                return cmd_plan(argc - 1, argv + 1);
        if (strcmp(argv[1], "check") == 0) {
                if (argc > 3)
                        return usage_error("check: unexpected argument \"%s\"", argv[3]);
                return check_run(argc == 3 ? argv[2] : "/", stdout);
        }
        if (argc > 2)
                return usage_error("unexpected argument \"%s\"", argv[2]);
        code = hook_run(argv[1], STDIN_FILENO, &e);
        if (code != EXIT_OK)
                report(&e);
        return code;
}
