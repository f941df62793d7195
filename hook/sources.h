/* The host's side of each bind mount's source: what the planner pairs a
 * bind the runtime put elsewhere than its destination by (plan_input's
 * bind_sources). */
#pragma once

#include "../base/err.h"
#include "../oci/config.h"

/* One entry per config.json mount into *out (freed with
 * bind_sources_free): a bind mount's source resolved as the runtimes take
 * it (relative to `bundle_dir`, every symlink followed), or NULL where it
 * is no bind, cannot be resolved, or lies in the rootfs, lexically or once
 * resolved: the image's paths are never followed from the host. */
int bind_sources_resolve(const struct oci_config *c, const char *bundle_dir, char ***out,
                         struct err *e);
void bind_sources_free(char **sources, size_t n);
