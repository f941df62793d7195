/* Running commands for the tests and the bench: a process group of its own,
 * stdout and stderr captured, a timeout that kills the whole group, and the
 * helpers that leave no process behind.
 *
 * Plain C, no Criterion: fallible functions follow base/err.h (negative
 * errno, a message naming the command); a test asserts on the return value,
 * the bench dies with e->msg.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/err.h"

struct proc {
        pid_t pid;
        int out_fd, err_fd;
        char *cmdline;                  /* argv joined, quoted where needed */
        unsigned long stdin_ino;        /* the pipe given as its stdin */
};

struct proc_result {
        char *cmdline;
        int status;                     /* exit code, or 128 + the signal */
        bool timed_out;
        char *out, *err;                /* NUL-terminated */
};

/* posix_spawnp `argv` (no shell) in a process group of its own, with default
 * signal dispositions and an empty mask.  Its stdin is a pipe holding `input`
 * (NULL: nothing) and then closed, never the host's /dev/null: crun chowns
 * its stdio to the container root's host ids (runc skips /dev/null, crun
 * 1.8.1 does not), which would change the machine's /dev/null.  `input` must
 * fit in a pipe's buffer (64 KiB). */
int proc_start(struct proc *p, const char *const argv[], const char *input, struct err *e);

/* Waits up to timeout_s for the command to exit, reading its output, then
 * kills its process group.  Stops when it exits, not at EOF: a daemon it
 * leaves (conmon) may hold the pipes open.  Fills *r (free with
 * proc_result_free); -ENOMEM when its output cannot be kept. */
int proc_finish(struct proc *p, int timeout_s, struct proc_result *r, struct err *e);
void proc_result_free(struct proc_result *r);

/* SIGKILL to the process group `pid` leads, and to `pid`, then reaps it. */
void proc_kill_group(pid_t pid);

/* Becomes the subreaper of its descendants: orphans of the commands it runs
 * (a runtime's double-forked init, conmon) are reparented to this process and
 * can be found, killed and reaped (proc_reap_orphans) rather than left on the
 * machine. */
int proc_become_subreaper(struct err *e);
/* Reaps the zombie children no running proc_start command waits for:
 * orphans handed to this process as subreaper (conmon and the cleanup podman
 * it runs, container inits). */
void proc_reap_orphans(void);
/* The living (not zombie) descendants of this process, one "  PID COMM:
 * CMDLINE" line each, malloc'd; NULL when there are none.  With `kill_them`
 * each gets SIGKILL. */
char *proc_living_descendants(bool kill_them);
/* Kills and reaps every descendant, for up to two seconds; false when some
 * are still alive. */
bool proc_kill_descendants(void);

/* The processes whose parent is `parent`, zombies included (they keep
 * /proc/<pid>): how many, and in `list` (len bytes) " PID(STATE)" each. */
int proc_children(pid_t parent, char *list, size_t len);
/* SIGKILL to every child of this process, a stopped tracee too, then reaps
 * them all (__WALL: clone children that signal nothing on exit as well);
 * three rounds, for children born meanwhile. */
void proc_kill_children(void);
