/* The child's seccomp allowlist (see filter.h), written with libseccomp.
 *
 * The program is made at build time (seccomp/gen_bpf.c) and the hook carries
 * it compiled in (seccomp/embedded.c): making it with libseccomp took a
 * good part of a hook run.  libseccomp 2.5.4 has no seccomp_export_bpf_mem()
 * (it came with 2.6), only seccomp_export_bpf() into an fd: the program is
 * exported into a memfd and read back.
 */
#include "filter.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/seccomp.h>
#include <seccomp.h>

#include "../base/cleanup.h"


/* Everything the child does once its filter is on (hook/userns_child.c),
 * and nothing more.  Left out on purpose:
 *   - rt_sigreturn: the child is cloned with every signal blocked, so no
 *     handler ever runs in it and there is no frame to return from; SIGKILL
 *     and SIGSTOP, the only signals that reach it, have no handlers.
 *   - restart_syscall: the kernel only asks for it after a handler
 *     interrupted a restartable sleep (nanosleep, poll, ...); the child never
 *     sleeps in a system call, it stops on a signal.
 *   - exit: the child never returns into glibc's clone trampoline (which
 *     would call exit); it leaves with exit_group or dies of SIGKILL. */
static const struct seccomp_allowed allowlist[] = {
        /* Become the tracee of the parent, nothing else (no ATTACH/SEIZE of
         * other processes, no PEEK/POKE). */
        ALLOW_IF(ptrace, ARG_EQ(0, PTRACE_TRACEME)),
        /* The child's own id, to name itself in tkill. */
        ALLOW(gettid),
        /* Stop itself.  The signal can only be SIGSTOP, and tkill, unlike
         * kill, refuses ids <= 0: no process group can be reached.  (The
         * filter cannot know the child's id before the clone; the child's
         * code names itself.) */
        ALLOW_IF(tkill, ARG_EQ(1, SIGSTOP)),
        /* Leave when a step failed (the status says which). */
        ALLOW(exit_group),
};

int seccomp_allowlist_ctx(const struct seccomp_allowed *list, size_t n, scmp_filter_ctx *out,
                          struct err *e)
{
        /* Anything off the list kills the whole process with SIGSYS: no
         * errno comes back for code to work around. */
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
        int r;

        if (!ctx)
                return err_set(e, ENOMEM, "seccomp_init: out of memory");
        /* A call through another ABI (i386's int 0x80 on x86-64) carries
         * another arch and would be matched against the wrong numbers.  (x32
         * calls carry this arch with bit 30 set in the number: no rule
         * matches them.) */
        r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
        if (r < 0) {
                seccomp_release(ctx);
                return err_sys(e, -r, "seccomp_attr_set(ACT_BADARCH)");
        }
        for (size_t i = 0; i < n; i++) {
                r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, list[i].nr, list[i].n_cmp,
                                           list[i].n_cmp ? list[i].cmp : NULL);
                if (r < 0) {
                        seccomp_release(ctx);
                        return err_sys(e, -r, "seccomp_rule_add(%s)", list[i].name);
                }
        }
        *out = ctx;
        return 0;
}

int userns_child_filter_ctx(scmp_filter_ctx *out, struct err *e)
{
        return seccomp_allowlist_ctx(allowlist, ARRAY_SIZE(allowlist), out, e);
}

/* A load of the instruction pointer, put in front of libseccomp's program.
 *
 * When a filter is attached, the kernel builds an action cache: for every
 * system call number of every ABI (some 900 on x86-64), it runs the program
 * in an emulator, under the task's siglock with interrupts off, to learn
 * whether the call is allowed whatever its arguments.  The child makes four
 * system calls in its life, so that cache is pure cost (a good part of a
 * userns_fd() call).  The emulator gives up on the first load of a value it
 * cannot know, such as the instruction pointer; the next instruction
 * (libseccomp loads the arch first) overwrites the accumulator, so the
 * program decides exactly as before. */
static const struct sock_filter skip_action_cache =
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer));

static bool loads_accumulator(const struct sock_filter *insn)
{
        return insn->code == (BPF_LD | BPF_W | BPF_ABS);
}

/* Exports the program through a memfd into a buffer owned by `prog`, with
 * skip_action_cache in front.  (The hook's own filter, seccomp/hook_filter.c,
 * is exported the same way.) */
int seccomp_export_uncached(scmp_filter_ctx ctx, struct sock_fprog *prog, struct err *e)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ struct sock_filter *insns = NULL;
        struct stat st;
        size_t len;
        ssize_t n;
        int r;

        fd = memfd_create("seccomp-filter", MFD_CLOEXEC);
        if (fd < 0)
                return err_sys(e, errno, "memfd_create");
        r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return err_sys(e, -r, "seccomp_export_bpf");
        if (fstat(fd, &st) < 0)
                return err_sys(e, errno, "fstat memfd");
        len = st.st_size / sizeof(struct sock_filter);
        if (st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) != 0 ||
            len + 1 > BPF_MAXINSNS)
                return err_set(e, EINVAL, "seccomp_export_bpf: %lld bytes is no BPF program",
                               (long long)st.st_size);
        insns = calloc(len + 1, sizeof(*insns));
        if (!insns)
                return err_set(e, ENOMEM, "seccomp filter: out of memory");
        n = pread(fd, insns + 1, st.st_size, 0);
        if (n < 0)
                return err_sys(e, errno, "read back seccomp_export_bpf");
        if (n != st.st_size)
                return err_set(e, EIO, "read back seccomp_export_bpf: short read");
        if (!loads_accumulator(&insns[1]))
                return err_set(e, EINVAL, "seccomp_export_bpf: the program does not start "
                               "with a load (code %#x)", insns[1].code);
        insns[0] = skip_action_cache;
        prog->len = len + 1;
        prog->filter = TAKE_PTR(insns);
        return 0;
}

#ifdef OCI_IDMAP_TESTING
int seccomp_print(int (*make)(scmp_filter_ctx *, struct err *), FILE *f, struct err *e)
{
        scmp_filter_ctx ctx;
        int r = make(&ctx, e);

        if (r < 0)
                return r;
        fflush(f);
        r = seccomp_export_pfc(ctx, fileno(f));
        seccomp_release(ctx);
        return r < 0 ? err_sys(e, -r, "seccomp_export_pfc") : 0;
}

int userns_child_filter_print(FILE *f, struct err *e)
{
        return seccomp_print(userns_child_filter_ctx, f, e);
}
#endif
