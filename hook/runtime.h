/* Which runtime runs the hook, told by what its container init holds at hook
 * time and by the form of its state (oci/runtime.h says what each kind does
 * after the hooks; docs/runtimes.md has the measurements). */
#pragma once

#include "../base/err.h"
#include "../oci/mountinfo.h"
#include "../oci/runtime.h"
#include "../oci/state.h"

/* `procdir` is an O_PATH fd on /proc/<state->pid>, opened while that process
 * lived; `mi` its parsed mount table; `rootfs` the absolute root.path.
 * Sets *out (RUNTIME_UNKNOWN whenever the signals do not agree) and returns
 * 0, or a negative errno when the init's fd table cannot be read at all. */
int runtime_detect(int procdir, const struct oci_state *state, const struct mountinfo *mi,
                   const char *rootfs, enum runtime_kind *out, struct err *e);
