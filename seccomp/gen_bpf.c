/* Build-time tool: makes both seccomp programs with libseccomp and writes
 * them as C arrays (the header seccomp/embedded.c includes).
 *
 *     gen-seccomp-bpf OUT.h
 *
 * The filters are fixed: making them when the project is built, not on
 * every hook run, saves the hook the libseccomp work (0.17 ms of a run
 * measured with bench-hook (d)) and the library itself.  Built with the
 * same compiler flags as the hook, so that a sanitizer build's allowance
 * (seccomp/hook_filter.c) is in its own program only. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "../base/err.h"
#include "filter.h"
#include "hook_filter.h"

static int emit(FILE *f, const char *name, int (*make)(scmp_filter_ctx *, struct err *),
                struct err *e)
{
        struct sock_fprog prog = { 0 };
        scmp_filter_ctx ctx;
        int r = make(&ctx, e);

        if (r < 0)
                return r;
        r = seccomp_export_uncached(ctx, &prog, e);
        seccomp_release(ctx);
        if (r < 0)
                return r;
        fprintf(f, "static const struct sock_filter %s[%u] = {\n", name, prog.len);
        for (unsigned i = 0; i < prog.len; i++)
                fprintf(f, "        { 0x%04x, %u, %u, 0x%08x },\n", prog.filter[i].code,
                        prog.filter[i].jt, prog.filter[i].jf, prog.filter[i].k);
        fprintf(f, "};\n\n");
        free(prog.filter);
        return 0;
}

int main(int argc, char **argv)
{
        struct err e = { 0 };
        FILE *f;

        if (argc != 2) {
                fprintf(stderr, "usage: gen-seccomp-bpf OUT.h\n");
                return 2;
        }
        f = fopen(argv[1], "w");
        if (!f) {
                perror(argv[1]);
                return 1;
        }
        fprintf(f, "/* Made by seccomp/gen_bpf.c from seccomp/filter.c and "
                   "seccomp/hook_filter.c; do not edit. */\n\n");
        if (emit(f, "userns_child_bpf", userns_child_filter_ctx, &e) < 0 ||
            emit(f, "hook_bpf", hook_filter_ctx, &e) < 0 || fclose(f) != 0) {
                fprintf(stderr, "gen-seccomp-bpf: %s\n", e.msg[0] ? e.msg : "write failed");
                remove(argv[1]);
                return 1;
        }
        return 0;
}
