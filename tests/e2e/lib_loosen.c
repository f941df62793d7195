/* Support for the "never loosen" regression tests: see lib_loosen.h. */
#include "lib_loosen.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "tests/support/oci_bundle.h"

#define MOUNTINFO_MARK "@@ mountinfo @@\n"

static unsigned seq;

const char *loosen_script(const char *name, const char *body)
{
        const char *path = e2e_strf("%s/%s", e2e_work_dir(), name);

        e2e_write_file(path, e2e_strf("#!/bin/sh\n%s", body));
        cr_assert_eq(chmod(path, 0755), 0, "chmod `%s`: %s", path, strerror(errno));
        return path;
}

/* The project's hook behind a wrapper that records its exit code, wall time
 * and stderr in <rec>.status and <rec>.err.  The runtime gives the wrapper
 * the state on stdin and argv [hook, stage]; the kernel hands the script
 * the stage as $1.  With `nofile_soft`, the wrapper sets that soft
 * RLIMIT_NOFILE for the hook itself: runc 1.1.5 (Go 1.19) raises its own
 * soft limit to the hard one, and its hooks inherit that. */
static const char *hook_wrapper(const char *rec, unsigned nofile_soft)
{
        return loosen_script(e2e_strf("%s.hook", strrchr(rec, '/') + 1),
                             e2e_strf("%s"
                                      "start=$(date +%%s%%N)\n"
                                      "%s \"$@\" 2>%s.err\n"
                                      "rc=$?\n"
                                      "end=$(date +%%s%%N)\n"
                                      "echo \"$rc $((end - start))\" >%s.status\n"
                                      "cat %s.err >&2\n"
                                      "exit $rc\n",
                                      nofile_soft ? e2e_strf("ulimit -S -n %u\n", nofile_soft) : "",
                                      HOOK_BIN, rec, rec, rec));
}

static void write_config(const char *path, const struct loosen_bundle *b, const char *id,
                         const char *hook)
{
        const struct bundle_mount *mounts = e2e_bundle_mounts(b->mounts, b->n_mounts);
        const struct bundle_config c = {
                .rootfs = b->rootfs,
                .readonly_root = b->readonly_root,
                .args = E2E_ARGV("sh", "-c",
                                 e2e_strf("{ %s\n} 2>&1; printf '%%s' '" MOUNTINFO_MARK "'; "
                                          "cat /proc/self/mountinfo", b->script)),
                .hostname = "e2e",
                .host_base = E2E_HOST_BASE,
                .mounts = mounts,
                .n_mounts = b->n_mounts,
                .annotations = b->annotations,
                .hook = hook,
                /* lib_e2e.c's teardown removes the cgroups named for this
                 * test process, "oci-idmap-e2e-<pid>", in every hierarchy. */
                .cgroups_path = e2e_strf("/oci-idmap-e2e-%d/%s", getpid(), id),
                .pre_hooks = b->pre_hooks,
                .extra_env = b->extra_env,
                .extra_members = b->extra_members,
        };
        struct err e = { 0 };

        cr_assert_eq(bundle_write_config(path, &c, &e), 0, "%s", e.msg);
}

static void read_hook_record(struct loosen_result *res, const char *rec)
{
        const char *status = e2e_strf("%s.status", rec);
        long long ns = 0;

        if (access(status, F_OK) < 0)
                return;
        res->hook_ran = true;
        cr_assert_eq(sscanf(e2e_read_file(status), "%d %lld", &res->hook_status, &ns), 2,
                     "bad hook record `%s`", status);
        res->hook_ms = ns / 1e6;
        res->hook_err = e2e_read_file(e2e_strf("%s.err", rec));
}

struct loosen_result *loosen_run(const struct loosen_bundle *b)
{
        struct loosen_result *res = calloc(1, sizeof(*res));
        const char *rt = e2e_runtime_name(b->runtime), *bin = e2e_runtime_bin(b->runtime);
        /* The state dir lib_e2e.c's teardown lists and clears. */
        const char *state = e2e_strf("%s/%s-state", e2e_work_dir(), rt);
        const char *id, *bundle, *rec, *hook = NULL;
        struct e2e_proc p;

        cr_assert_not_null(res, "out of memory");
        id = e2e_strf("loosen-%d-%u-%s-%s", getpid(), ++seq, rt,
                      b->hook == E2E_WITH_HOOK ? "hook" : "nohook");
        bundle = e2e_strf("%s/bundles/%s", e2e_work_dir(), id);
        rec = e2e_strf("%s/%s", e2e_work_dir(), id);
        e2e_mkdirs(bundle, 0755);
        if (b->hook == E2E_WITH_HOOK)
                hook = hook_wrapper(rec, b->nofile_soft);
        write_config(e2e_strf("%s/config.json", bundle), b, id, hook);

        const char *nofile = e2e_strf("--nofile=%u:", b->nofile_soft);
        if (b->nofile_soft)
                e2e_start(&p, E2E_ARGV("prlimit", nofile, bin, "--root", state, "run", "--bundle",
                                       bundle, id));
        else
                e2e_start(&p, E2E_ARGV(bin, "--root", state, "run", "--bundle", bundle, id));
        res->r = e2e_finish(&p, b->timeout_s ? b->timeout_s : E2E_TIMEOUT);
        e2e_run(E2E_ARGV(bin, "--root", state, "delete", "--force", id));

        res->id = id;
        res->hook_err = "";
        read_hook_record(res, rec);
        const char *mark = strstr(res->r->out, MOUNTINFO_MARK);
        res->probe = mark ? e2e_strf("%.*s", (int)(mark - res->r->out), res->r->out) : res->r->out;
        res->mountinfo = mark ? mark + strlen(MOUNTINFO_MARK) : "";
        return res;
}

const char *loosen_describe(const struct loosen_result *res)
{
        if (!res->hook_ran)
                return e2e_strf("%s\n(the project's hook did not run)", e2e_describe(res->r));
        return e2e_strf("%s\nthe project's hook: exit %d after %.0f ms, stderr: %s",
                        e2e_describe(res->r), res->hook_status, res->hook_ms, res->hook_err);
}

void loosen_expect_ran(const struct loosen_result *res)
{
        cr_assert(res->r->status == 0 && !res->r->timed_out && res->mountinfo[0],
                  "the container did not run to the end:\n%s", loosen_describe(res));
}

void loosen_expect_same_outcome(const struct loosen_result *without,
                                const struct loosen_result *with)
{
        loosen_expect_ran(without);
        loosen_expect_ran(with);
        cr_assert_str_eq(with->probe, without->probe,
                         "the container's probes differ with the hook:\n--- without ---\n%s"
                         "--- with ---\n%s\n%s", without->probe, with->probe,
                         loosen_describe(with));
        e2e_expect_same_view(without->mountinfo, with->mountinfo);
}

bool loosen_refused_with_one_line(const struct loosen_result *res, const char *what)
{
        const char *nl = strchr(res->hook_err, '\n');

        if (res->r->status == 0 && !res->r->timed_out)
                return false;
        cr_assert(res->hook_ran && res->hook_status != 0,
                  "the container did not start, and not by the hook's refusal:\n%s",
                  loosen_describe(res));
        cr_assert(strstr(res->hook_err, what) && nl && nl[1] == '\0',
                  "the hook's refusal must be one line naming %s:\n%s", what, loosen_describe(res));
        return true;
}

static bool listed(const char *const *v, const char *s)
{
        for (size_t i = 0; v && v[i]; i++)
                if (strcmp(v[i], s) == 0)
                        return true;
        return false;
}

void loosen_expect_idmapped_only(const struct loosen_result *without,
                                 const struct loosen_result *with, const char *const *asked)
{
        struct e2e_mount_view *a = e2e_mount_view_parse(without->mountinfo);
        struct e2e_mount_view *b = e2e_mount_view_parse(with->mountinfo);

        for (size_t i = 0; i < b->n; i++) {
                const struct e2e_view_mount *m = &b->m[i], *same[16];
                size_t n = e2e_mount_view_find(a, m->point, same, 16);
                bool before = false;

                if (!m->idmapped || listed(asked, m->point))
                        continue;
                for (size_t k = 0; k < n && k < 16; k++)
                        before |= same[k]->idmapped;
                cr_assert(before, "%s is idmapped with the hook, though nothing asked for it:\n"
                          "--- without the hook ---\n%s--- with it ---\n%s", m->point,
                          without->mountinfo, with->mountinfo);
        }
}

void loosen_expect_mount(const struct loosen_result *res, const char *point, unsigned flags,
                         bool idmapped)
{
        struct e2e_mount_view *v = e2e_mount_view_parse(res->mountinfo);
        const struct e2e_view_mount *m = e2e_mount_view_only(v, point, res->mountinfo);

        e2e_expect_mount_flags(v, point, flags, res->mountinfo);
        cr_assert_eq(m->idmapped, idmapped, "%s should %sbe idmapped:\n%s", point,
                     idmapped ? "" : "not ", res->mountinfo);
}
