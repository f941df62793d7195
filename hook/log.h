/* One line per message, to stderr and to syslog.
 *
 * runc shows a hook's stderr only when the hook fails; crun passes it on
 * only to the file its annotation run.oci.hooks.stderr names.  So every
 * error and warning also goes to syslog (the journal, where one runs). */
#pragma once

#include <stdbool.h>
#include <syslog.h>

/* "oci-idmap-hook: [warning: ]<msg>", control characters escaped so that
 * paths from config.json or the mount table stay on one line. */
void log_line(int priority, const char *msg);

void log_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Debug lines (the plan, each step done) go to stderr only, when the
 * environment has OCI_IDMAP_HOOK_DEBUG=1. */
bool log_debug_enabled(void);
