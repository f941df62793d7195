/* Carrying a plan's steps out inside the container's mount namespace. */
#pragma once

#include <stdio.h>

#include "../base/err.h"
#include "../oci/plan.h"

/* Enters the mount namespace of the process behind `pidfd` (this thread
 * stays there: call it from a single-threaded process that is about to
 * exit) and carries out the plan's steps in order, idmapping with
 * userns_fds[step.mapping_index].  `mi` is the table the plan was made from
 * (its steps point into it).  With `trace`, each step done is written there
 * as "done N: <the step as the plan prints it>".  The host's mount
 * namespace is never changed. */
int mounts_apply(const struct plan *p, int pidfd, const int *userns_fds,
                 const struct mountinfo *mi, FILE *trace, struct err *e);
