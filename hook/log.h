/* One line per message, to stderr and to syslog.
 *
 * runc shows a hook's stderr only when the hook fails; crun passes it on
 * only to the file its annotation run.oci.hooks.stderr names.  So every
 * error and warning also goes to syslog (the journal, where one runs),
 * facility daemon, ident oci-idmap-hook, each line naming the container
 * once the state has been read.
 *
 * The level is "warning" (errors and warnings) unless one of these asks for
 * "debug", which adds the plan and each step done:
 *   - the annotation io.github.oci-idmap-hook.log-level, per container;
 *   - OCI_IDMAP_HOOK_LOG_LEVEL in the environment, for every container (a
 *     hooks.d file's "env" sets it); OCI_IDMAP_HOOK_DEBUG=1 is the older
 *     spelling of the same.
 * A value other than "debug" or "warning" is reported in one warning line
 * and ignored: a typo in a log setting never stops a container. */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <syslog.h>

#define LOG_LEVEL_ANNOTATION "io.github.oci-idmap-hook.log-level"
#define LOG_LEVEL_ENV "OCI_IDMAP_HOOK_LOG_LEVEL"

/* "oci-idmap-hook: [warning: ]container <id>: <msg>", control characters
 * escaped so that paths from config.json or the mount table stay on one
 * line.  "container <id>: " is added when a container is set and `msg` does
 * not already start with it. */
void log_line(int priority, const char *msg);

void log_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* From the state: the container every later line names, and its
 * log-level annotation (NULL when absent). */
void log_set_container(const char *id, const char *level_annotation);

/* Debug lines are wanted: by the environment, or by the container's
 * annotation once log_set_container has seen it. */
bool log_debug_enabled(void);

/* A stream whose every line becomes a debug line ("oci-idmap-hook: debug:
 * container <id>: <line>" on stderr, the same at LOG_DEBUG in syslog), or
 * NULL when debug is off.  fclose() flushes a last unterminated line. */
FILE *log_debug_open(void);
