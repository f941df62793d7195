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
        struct id_mapping idmap;
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

/* Reads <bundle>/config.json (bounded by OCI_CONFIG_MAX) and parses it. */
int oci_config_load(const char *bundle, struct oci_config *out, struct err *e);

void oci_config_free(struct oci_config *c);

/* For a config.json that oci_config_load refused: whether, read leniently
 * (repeated keys kept), it asks for a user namespace
 * with uid mappings.  The hook runs for every container; one it has no
 * business with must not fail because the hook reads JSON more strictly
 * than the runtime. */
bool oci_config_probe_userns(const char *bundle);

/* True when the mount's options hold `opt` exactly. */
bool oci_mount_has_option(const struct oci_mount *m, const char *opt);

/* The value after "<name>=" in the mount's options, or NULL; the last one
 * when the option is given twice (as mount(8) takes it). */
const char *oci_mount_option_value(const struct oci_mount *m, const char *name);
