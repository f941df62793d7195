/* oci-idmap-runtime's inputs, read without a system call: the runtime's
 * command line, the name the wrapper was called as, its config file.
 *
 * The wrapper stands in for runc or crun and hands every command through;
 * only `create` and `run` are looked at.  Finding them means skipping the
 * runtime's global flags the way the runtime does:
 *  - runc (urfave/cli, Go's flag package) takes `--flag value`,
 *    `--flag=value` and the one-dash long forms `-flag value`, `-flag=value`;
 *    it moves flags written after the container id in front of it.
 *  - crun (argp) takes `--flag value`, `--flag=value`, `-b DIR`, `-bDIR`,
 *    and also permutes flags after positional arguments.
 * Both stop at `--`.  Global flags that take a value, in either runtime:
 * --log, --log-format, --log-level, --root, --criu, --rootless,
 * --cgroup-manager.  Every other global flag (--debug, --systemd-cgroup,
 * --version, --help) takes none, or takes its value after `=`.  argp's
 * unambiguous abbreviations (`--ro` for `--root`) are not recognised: the
 * command is then handed through untouched.
 */
#pragma once

#include <stdbool.h>

#include "../base/err.h"

enum wrap_command {
        WRAP_PASS,      /* anything but create/run: exec the runtime as it is */
        WRAP_CREATE,
        WRAP_RUN,
};

struct wrap_args {
        enum wrap_command command;
        int command_index;      /* argv index of the subcommand; -1 when none */
        const char *bundle;     /* --bundle/-b DIR; NULL: the working directory */
        const char *config;     /* crun's --config/-f FILE; NULL: <bundle>/config.json */
        const char *log;        /* global --log value (for the error line), or NULL */
        const char *log_format; /* global --log-format value, or NULL */
};

/* Never fails: what it cannot read as create/run is WRAP_PASS, and the real
 * runtime judges the command line itself.  The strings point into argv. */
void wrap_args_parse(int argc, char *const argv[], struct wrap_args *out);

/* The runtime a wrapper name asks for: "crun" for `oci-idmap-runtime-crun`
 * (any directory), NULL for `oci-idmap-runtime` or any other name. */
const char *wrap_runtime_from_name(const char *argv0);

/* The config file (/etc/oci-idmap-runtime.conf): lines of `runtime = VALUE`,
 * blank lines and lines starting with `#`.  VALUE is a path or a name looked
 * up in PATH, the rest of the line without surrounding blanks.  Sets
 * *runtime (malloc'd) or leaves it NULL when the file names none; refuses any
 * other key, a line without `=`, an empty value and a second `runtime` line,
 * naming `where` and the line number. */
int wrap_conf_parse(const char *text, const char *where, char **runtime, struct err *e);
