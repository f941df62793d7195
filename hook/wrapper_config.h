/* oci-idmap-runtime: config.json as the runtime is shown it, without the
 * idmap requests the wrapper met itself (wrapper_config.c says why). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "../base/err.h"

/* A copy of config.json `buf` (strict JSON: the caller parsed it so) in
 * which each mounts[i] with strip[i] (i < n) has no `idmap` or `ridmap`
 * option and no `uidMappings`/`gidMappings`; everything else as it was.
 * *out is malloc'd and NUL-terminated. */
int wrap_config_strip_idmaps(const char *buf, size_t len, const bool *strip, size_t n,
                             char **out, size_t *out_len, struct err *e);

/* In the wrapper's own mount namespace: binds a file holding `text` onto
 * `path`, which must still be the file `read_from` describes. */
int wrap_config_cover(const char *path, const struct stat *read_from, const char *text, size_t len,
                      struct err *e);
