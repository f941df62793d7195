/* `oci-idmap-hook check [PATH]`: can this host use the hook, and if not, why.
 *
 * Every item is probed for real, never inferred from a version number: each
 * system call the hook makes is called, on detached mounts that no mount
 * namespace can see (a clone of `/`, a fresh tmpfs), so nothing on the host
 * changes.  PATH (default `/`) is tried the way the hook treats a rootfs: a
 * detached clone of the mount holding it gets an idmap from a throwaway user
 * namespace, and is then closed.
 *
 * One line per item, "yes " or "no  " first, then the item and the reason.
 * Items the hook cannot work without are required; a "no" on any other
 * (ptrace, which has a fallback; clone3, which the hook does not use; where
 * the hook is registered) says what it costs instead.  The last line sums up.
 */
#pragma once

#include <stdio.h>

/* Exit codes: 0 the hook can work here, 1 it cannot (a required item failed). */
int check_run(const char *path, FILE *out);
