/* Finding the config.json the runtime used.
 *
 * The state's "bundle" is not always where the runtime read its config:
 *   - crun 1.8.1, for a container with a user namespace and linux.devices,
 *     makes the devices from a mount namespace of its own and comes back
 *     with its cwd at "/"; the state it writes for the hooks takes the
 *     bundle from getcwd() and says "bundle":"/";
 *   - `crun run --config FILE` reads FILE, not BUNDLE/config.json.
 * The hook's parent is the runtime that runs it, and its command line says
 * which bundle and config it was given.  That is taken only when the
 * container init is that runtime's child (or, cloned with CLONE_PARENT as
 * `crun create` does, its sibling), and the config's root.path is the
 * directory the runtime bound onto itself in the container's mount
 * namespace.  Nothing the container controls is read.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "../base/err.h"
#include "../oci/state.h"

/* What a runtime's command line says of its bundle and config: pointers
 * into the text given, NULL when not given.  Both runtimes take
 * "--bundle DIR", "--bundle=DIR", "-b DIR"; crun also "-bDIR", and
 * "--config FILE" ("-f FILE", "-fFILE", "--config=FILE"); runc (Go's flag
 * syntax) also "-bundle DIR", "-b=DIR".  Abbreviated long options (which
 * crun's argp takes) and clustered short ones are not recognised: the hook
 * then keeps to the state's bundle. */
struct runtime_cmdline {
        const char *bundle;
        const char *config;
};

/* Parses /proc/<pid>/cmdline text: NUL-terminated arguments, argv[0]
 * first.  -EINVAL when it is not such a text (empty, or no final NUL). */
int bundle_parse_cmdline(const char *buf, size_t len, struct runtime_cmdline *out);

/* The config the runtime read for the container of `state`, and the bundle
 * directory a relative root.path is taken against (both malloc'd).  When
 * the hook's parent is the runtime that started state.pid and its command
 * line names a bundle or a config, that decides (checked as above);
 * otherwise <state.bundle>/config.json.  -ENOENT, with
 * no message, when the runtime's config cannot be known (its cwd is "/"
 * after crun 1.8.1's device set-up and it was given no --bundle, or a
 * relative --config with a --bundle: crun took that against a cwd it has
 * since left). */
int bundle_find_config(const struct oci_state *state, char **config_path, char **bundle_dir,
                       struct err *e);

/* The same with `runtime` taken as the hook's parent. */
int bundle_find_config_from(pid_t runtime, const struct oci_state *state, char **config_path,
                            char **bundle_dir, struct err *e);
