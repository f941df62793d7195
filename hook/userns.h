/* User-namespace fds for idmapped mounts, made through a traced fork.
 *
 * mount_setattr(MOUNT_ATTR_IDMAP) takes the mapping as an fd on a user
 * namespace.  A namespace only gets its maps from a process living in it, so
 * one is born for the purpose: cloned straight into a new user namespace,
 * under a seccomp filter that lets it do nothing but stop under ptrace.  The
 * parent writes the maps, keeps the namespace fd, and kills and reaps the
 * child; the namespace outlives it.
 *
 * How, step by step (hook/userns.c, hook/userns_child.c, seccomp/filter.c):
 *  1. The parent renders both maps and builds (once per process) the child's
 *     seccomp program, then clones the child with CLONE_NEWUSER | CLONE_VM |
 *     CLONE_FILES | CLONE_PIDFD on a 4 KiB stack inside its own frame, all
 *     signals blocked, exit signal 0, and keeps it on the caller's CPU.
 *  2. The child, with raw system calls only: PR_SET_PDEATHSIG(SIGKILL), then
 *     checks getppid() (the parent may have died before that), sets its
 *     RLIMIT_CORE to 0, installs the filter, calls PTRACE_TRACEME and stops
 *     itself with SIGSTOP.  It never runs again.
 *  3. The parent waits for the stop with waitid(P_PIDFD, ..., __WALL), sets
 *     PTRACE_O_EXITKILL, takes the namespace fd from the pidfd
 *     (PIDFD_GET_USER_NAMESPACE; /proc/<pid>/ns/user before Linux 6.11),
 *     opens /proc/<pid>/uid_map and gid_map (proved to be the child's through
 *     the pidfd), writes each map in one write, then kills the child through
 *     the pidfd and reaps it.
 * If the calling thread dies at any moment, the child dies too (pdeath
 * signal, EXITKILL); it never outlives the call.  Needs Linux 5.4
 * (CLONE_PIDFD, waitid(P_PIDFD)).
 *
 * Where ptrace is forbidden (Yama ptrace_scope 3, another LSM, a seccomp
 * filter the hook was started under, or a tracer such as strace -f that
 * already holds the child: PTRACE_TRACEME fails), the child stops
 * untraced: the parent waits for the group stop in the same waitid() and goes
 * on as above, the pdeath signal alone tying the child to it.  The first time
 * this happens in a process, one warning line goes to stderr:
 *
 *     oci-idmap-hook: warning: ptrace is forbidden here (PTRACE_TRACEME: ...);
 *     user namespaces are made by an untraced child that stops itself instead
 *
 * (one line in reality).
 *
 * What the caller must allow: the thread's signal mask is briefly set to
 * block everything around the clone and then restored; signal handlers may
 * see a SIGCHLD for the child's ptrace stop.  Nothing in the process may wait
 * for "any child" (waitpid(-1), P_ALL) while a call runs: the tracer's wait
 * for any child would also see this tracee's stop and take it.  The hook
 * itself never does.
 */
#pragma once

#include "../base/err.h"
#include "../oci/idmap.h"

/* Returns an fd (O_CLOEXEC) on a new user namespace whose uid_map and gid_map
 * are exactly `m`, or a negative errno with `e` naming what failed: the map
 * file and the mapping when the kernel refuses a map, e.g.
 *
 *     write `/proc/4242/uid_map` (0:4294967295:1): Invalid argument
 *
 * Safe to call from several threads at once; each call has its own child,
 * waited for through its own pidfd. */
int userns_fd(const struct id_mapping *m, struct err *e);
