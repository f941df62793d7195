/* The hook's two jobs: run as an OCI hook, and print a plan. */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "../oci/err.h"

/* Exit codes, documented in the README and --help. */
enum {
        EXIT_OK = 0,            /* done, or nothing to do */
        EXIT_FAILED = 1,        /* the mount work failed; the container must not start */
        EXIT_USAGE = 2,         /* bad command line */
        EXIT_BAD_INPUT = 3,     /* state, config.json or mountinfo refused */
};

/* Runs as the hook at `stage` (prestart or createRuntime) with the state on
 * `state_fd`.  Returns an exit code; `e` holds the message when not EXIT_OK. */
int hook_run(const char *stage, int state_fd, struct err *e);

/* Plans for the bundle, with the mount table of `pid` (> 0) or the file
 * `mountinfo` (or neither), as for a hook run by `runtime` ("runc", or
 * NULL for any other), and prints the plan to `out`. */
int hook_plan(const char *bundle, pid_t pid, const char *mountinfo, const char *runtime, bool json,
              FILE *out, struct err *e);
