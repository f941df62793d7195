/* The hook's two jobs: run as an OCI hook, and print a plan. */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "../base/err.h"

/* Exit codes, documented in the README and --help. */
enum {
        EXIT_OK = 0,            /* done, or nothing to do */
        EXIT_FAILED = 1,        /* the mount work failed; the container must not start */
        EXIT_USAGE = 2,         /* bad command line */
        EXIT_BAD_INPUT = 3,     /* state, config.json or mountinfo refused */
};

/* The hook's run, stage by stage (hook_run runs them in this order; the
 * bench times them one by one).  Each returns HOOK_NEXT to go on, or the
 * exit code to end with, `e` holding the message when it is not EXIT_OK. */
#define HOOK_NEXT (-1)
struct hook_run;
struct hook_run *hook_run_new(void);
void hook_run_free(struct hook_run *h);
int hook_stage_state(struct hook_run *h, const char *stage, int state_fd, struct err *e);
int hook_stage_config(struct hook_run *h, struct err *e);       /* EXIT_OK: nothing to do */
int hook_stage_container(struct hook_run *h, struct err *e);    /* pidfd, mount table */
int hook_stage_plan(struct hook_run *h, struct err *e);         /* EXIT_OK: nothing to do */
int hook_stage_filter(struct hook_run *h, struct err *e);       /* the hook's seccomp filter */
int hook_stage_namespaces(struct hook_run *h, struct err *e);   /* one per mapping */
int hook_stage_apply(struct hook_run *h, struct err *e);        /* the mount work */

/* Runs as the hook at `stage` (prestart or createRuntime) with the state on
 * `state_fd`.  Returns an exit code; `e` holds the message when not EXIT_OK. */
int hook_run(const char *stage, int state_fd, struct err *e);

/* Plans for the bundle, with the mount table of `pid` (> 0) or the file
 * `mountinfo` (or neither), as for a hook run by `runtime` ("runc", or
 * NULL for any other), and prints the plan to `out`. */
int hook_plan(const char *bundle, pid_t pid, const char *mountinfo, const char *runtime, bool json,
              FILE *out, struct err *e);
