/* config.json documents that runc or crun run but the hook's strict reader
 * refuses (tests/fixtures/lenient): with the hook installed they must run as
 * they run without it, and a user-namespaced one nested deeper than the
 * strict reader once took must get its idmapped rootfs.  Each premise
 * (which runtime takes which document) is checked here too, without the
 * hook, so that the claims in oci/json.h stay true for the runtimes the
 * machine has. */
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#include "lib_e2e.h"

/* `s` with every `from` replaced by `to`; lives until teardown. */
static char *replace_all(const char *s, const char *from, const char *to)
{
        size_t n = 0, flen = strlen(from), tlen = strlen(to);
        char *out, *o;

        for (const char *p = strstr(s, from); p; p = strstr(p + flen, from))
                n++;
        out = e2e_strf("%*s", (int)(strlen(s) + n * tlen + 1), "");
        o = out;
        for (const char *p; (p = strstr(s, from)); s = p + flen) {
                memcpy(o, s, (size_t)(p - s));
                o += p - s;
                memcpy(o, to, tlen);
                o += tlen;
        }
        strcpy(o, s);
        return out;
}

/* Runs the fixture lenient/<name> as config.json of a bundle on a fresh
 * disk rootfs, with or without the hook, and deletes the container. */
static struct e2e_result *run_fixture(enum e2e_runtime rt, const char *name, enum e2e_hook hook,
                                      const char **rootfs_out)
{
        static unsigned seq;
        const char *runtime = e2e_runtime_name(rt);
        const char *id = e2e_strf("lenient-%d-%u", getpid(), ++seq);
        const char *bundle = e2e_strf("%s/%s", e2e_work_dir(), id);
        const char *state = e2e_strf("%s/%s-state", e2e_work_dir(), runtime);
        const char *rootfs = e2e_strf("%s/rootfs-%u", e2e_disk_dir(), seq);
        char *doc = e2e_read_file(e2e_strf("%s/lenient/%s", FIXTURES_DIR, name));
        struct e2e_result *r;

        e2e_make_rootfs(rootfs);
        doc = replace_all(doc, "@ROOTFS@", rootfs);
        doc = replace_all(doc, "@CGROUPS@", e2e_strf("/oci-idmap-e2e-%d/%s", getpid(), id));
        /* without the hook, a program that does nothing in its place */
        doc = replace_all(doc, "@HOOK@", hook == E2E_WITH_HOOK ? HOOK_BIN : "/bin/true");
        e2e_mkdirs(bundle, 0755);
        e2e_write_file(e2e_strf("%s/config.json", bundle), doc);
        r = e2e_run(E2E_ARGV(runtime, "--root", state, "run", "--bundle", bundle, id));
        e2e_run(E2E_ARGV(runtime, "--root", state, "delete", "--force", id));
        if (rootfs_out)
                *rootfs_out = rootfs;
        return r;
}

static void runs_as_without_the_hook(enum e2e_runtime rt, const char *name, const char *out)
{
        e2e_expect_out(run_fixture(rt, name, E2E_WITHOUT_HOOK, NULL), out);
        e2e_expect_out(run_fixture(rt, name, E2E_WITH_HOOK, NULL), out);
}

/* Go's encoding/json takes bytes that are not UTF-8; yajl does not. */
E2E_TEST(lenient_config, invalid_utf8_without_userns_runs_with_the_hook_runc)
{
        runs_as_without_the_hook(E2E_RUNC, "no-userns-invalid-utf8.json", "0\n");
}

E2E_TEST(lenient_config, invalid_utf8_is_refused_by_crun_itself)
{
        struct e2e_result *r = run_fixture(E2E_CRUN, "no-userns-invalid-utf8.json",
                                           E2E_WITHOUT_HOOK, NULL);

        cr_assert_neq(r->status, 0, "%s", e2e_describe(r));
}

/* yajl_tree_parse takes comments; Go does not. */
E2E_TEST(lenient_config, comment_without_userns_runs_with_the_hook_crun)
{
        runs_as_without_the_hook(E2E_CRUN, "no-userns-comment.json", "0\n");
}

E2E_TEST(lenient_config, comment_is_refused_by_runc_itself)
{
        struct e2e_result *r = run_fixture(E2E_RUNC, "no-userns-comment.json", E2E_WITHOUT_HOOK,
                                           NULL);

        cr_assert_neq(r->status, 0, "%s", e2e_describe(r));
}

/* Both runtimes take repeated keys. */
E2E_TEST(lenient_config, repeated_keys_without_userns_run_with_the_hook_runc)
{
        runs_as_without_the_hook(E2E_RUNC, "no-userns-repeated-keys.json", "0\n");
}

E2E_TEST(lenient_config, repeated_keys_without_userns_run_with_the_hook_crun)
{
        runs_as_without_the_hook(E2E_CRUN, "no-userns-repeated-keys.json", "0\n");
}

/* Both runtimes take 100 levels of nesting, and so does the hook now: the
 * container gets its idmapped rootfs. */
static void deep_nesting_gets_an_idmapped_rootfs(enum e2e_runtime rt)
{
        e2e_expect_out(run_fixture(rt, "userns-nested-100-deep.json", E2E_WITHOUT_HOOK, NULL),
                       "65534\n");
        e2e_expect_out(run_fixture(rt, "userns-nested-100-deep.json", E2E_WITH_HOOK, NULL), "0\n");
}

E2E_TEST(lenient_config, nested_100_deep_gets_an_idmapped_rootfs_runc)
{
        deep_nesting_gets_an_idmapped_rootfs(E2E_RUNC);
}

E2E_TEST(lenient_config, nested_100_deep_gets_an_idmapped_rootfs_crun)
{
        deep_nesting_gets_an_idmapped_rootfs(E2E_CRUN);
}

/* runc decodes every repeated "linux" into one struct: the last one's
 * namespaces and (null) mappings win, and it runs the container without a
 * user namespace; crun takes the first, with one.  The probe answers
 * "cannot tell" (test_config.c); here the premise. */
E2E_TEST(lenient_config, repeated_linux_runs_without_userns_under_runc_with_one_under_crun)
{
        e2e_expect_out(run_fixture(E2E_RUNC, "runc-last-linux-has-no-userns.json",
                                   E2E_WITHOUT_HOOK, NULL), "0\n");
        e2e_expect_out(run_fixture(E2E_CRUN, "runc-last-linux-has-no-userns.json",
                                   E2E_WITHOUT_HOOK, NULL), "65534\n");
}
