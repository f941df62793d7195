/* Which runtime behaviour (oci/runtime.h) the container's runtime shows. */
#pragma once

#include "../base/err.h"
#include "../oci/mountinfo.h"
#include "../oci/runtime.h"
#include "../oci/state.h"

/* `procdir`: an O_PATH fd on /proc/<state.pid>, opened while the container
 * init lived; `mi` its mount table; `rootfs` the absolute root.path. */
int runtime_detect(int procdir, const struct oci_state *state, const struct mountinfo *mi,
                   const char *rootfs, enum runtime_kind *out, struct err *e);
