/* The parts of a bundle's config.json (runtime-spec 1.1) the hook acts on. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "../base/err.h"
#include "idmap.h"
#include "state.h"

/* The hook refuses a config.json larger than this. */
#define OCI_CONFIG_MAX (16 * 1024 * 1024)

/* ... and one with more mounts than this: each oci_mount carries a whole
 * id_mapping (8 KiB), so the count bounds the memory an input can cost. */
#define OCI_MOUNTS_MAX 4096

struct oci_mount {
        char *destination;      /* as written; the runtimes require it absolute */
        char *type;             /* NULL when absent */
        char *source;           /* NULL when absent */
        char **options;
        size_t n_options;
        bool has_idmap;         /* the mount's own uidMappings/gidMappings */
        /* ... allocated only then (a mapping is 8 KiB, and a config can
         * have thousands of mounts); NULL otherwise. */
        struct id_mapping *idmap;
};

struct oci_config {
        char *root_path;        /* root.path as written */
        char *rootfs;           /* root.path made absolute against the bundle */
        bool root_readonly;
        bool has_userns;        /* linux.namespaces has {"type":"user"} */
        bool userns_joined;     /* ... with a "path": an existing namespace */
        bool has_idmap;         /* linux.uidMappings/gidMappings present */
        struct id_mapping idmap;
        char **masked_paths;
        size_t n_masked;
        char **readonly_paths;
        size_t n_readonly;
        struct oci_mount *mounts;
        size_t n_mounts;
        struct annotations annotations;
};

/* Parses config.json text.  `bundle` (absolute) resolves a relative
 * root.path; `where` names the document in messages ("config.json").
 * Validates mappings with id_mapping_validate. */
int oci_config_parse(const char *buf, size_t len, const char *bundle, const char *where,
                     struct oci_config *out, struct err *e);

/* Reads the regular file at `path` to its end (at most `max` bytes) into a
 * NUL-terminated buffer.  Never blocks on a FIFO and never opens a device:
 * anything but a regular file is refused with a message that names the path
 * and what it is ("`/b/config.json` is a FIFO, not a regular file"). */
int oci_read_file(const char *path, size_t max, char **buf, size_t *len, struct err *e);

/* Reads the config at `config_path` (bounded by OCI_CONFIG_MAX) and parses
 * it; `bundle_dir` (absolute) resolves a relative root.path, as the runtimes
 * do (they chdir to the bundle, wherever the config came from).  Messages
 * name the document by its file name. */
int oci_config_load_file(const char *config_path, const char *bundle_dir, struct oci_config *out,
                         struct err *e);

/* oci_config_load_file of <bundle>/config.json. */
int oci_config_load(const char *bundle, struct oci_config *out, struct err *e);

void oci_config_free(struct oci_config *c);

/* For a config.json the strict reader refused: does the container get a
 * user namespace with uid mappings (the only containers the hook acts on)?
 * The hook runs for every container; one it has no business with must not
 * fail because the hook reads JSON more strictly than the runtime.  The text
 * is read as runc reads it (Go's encoding/json: repeated keys, the last one
 * counting; keys matched regardless of case; any bytes in strings; nothing
 * read after the first value) and as crun reads it (yajl_tree_parse and
 * libocispec: repeated keys, the first one counting; comments; any depth).
 * Where a runtime refuses the text, the other's answer stands; where both
 * do, no container runs and the answer is NO_USERNS.  UNKNOWN when the two
 * readings disagree, when one hangs on details not modelled (stale slice
 * elements, non-ASCII case folding, a member of the wrong type under crun),
 * or when the file cannot be read: the caller then asks the container's
 * real user namespace. */
enum oci_userns_probe {
        OCI_PROBE_NO_USERNS,
        OCI_PROBE_USERNS,
        OCI_PROBE_UNKNOWN,
};
enum oci_userns_probe oci_config_probe_userns_text(const char *buf, size_t len);
enum oci_userns_probe oci_config_probe_userns(const char *config_path);

/* True when the mount's options hold `opt` exactly. */
bool oci_mount_has_option(const struct oci_mount *m, const char *opt);

/* A bind mount, as both runtimes take one: type "bind", or the option
 * "bind" or "rbind" whatever the type. */
bool oci_mount_is_bind(const struct oci_mount *m);

/* The value after "<name>=" in the mount's options, or NULL; the last one
 * when the option is given twice (as mount(8) takes it). */
const char *oci_mount_option_value(const struct oci_mount *m, const char *name);
