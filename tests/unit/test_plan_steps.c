/* The plan's steps: which mount each config.json entry is, swap or stack,
 * hidden, shared, which flags are carried and where, and what is refused
 * rather than loosened.  All from crafted mount tables: no root needed. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "oci/config.h"
#include "oci/mountinfo.h"
#include "oci/plan.h"

struct fx {
        struct oci_config config;
        struct mountinfo mi;
        struct plan plan;
        struct err e;
        int r;
};

#define USERNS "\"linux\":{\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"user\"}]," \
               "\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]," \
               "\"gidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]" \
               ",\"maskedPaths\":[\"/proc/kcore\"],\"readonlyPaths\":[\"/proc/sys\"]}"

/* The host's "/" and the rootfs bind at /b/rootfs, as both runtimes leave
 * them; tests add the mounts below. */
#define TABLE_TOP "1 0 0:1 / / rw - ext4 /dev/vda rw\n" \
                  "10 1 0:1 /b/rootfs /b/rootfs rw,relatime - ext4 /dev/vda rw\n"

static const struct rootfs_owner root_owned = { .known = true, .uid = 0, .gid = 0 };

/* Plans `mounts` (config.json's mounts array, inside the brackets) with the
 * table TABLE_TOP + `table` and, when not NULL, the bind sources as the
 * host resolved them (one per mount); fx.r holds plan_build's result. */
static void plan_src(struct fx *fx, const char *mounts, const char *annotations, const char *table,
                     enum runtime_kind runtime, enum activation a, const char *const *sources)
{
        char doc[8192], mi[8192];
        struct plan_input in = { .owner = root_owned, .activation = a, .runtime = runtime,
                                 .bind_sources = sources };

        snprintf(doc, sizeof(doc), "{\"ociVersion\":\"1.1.0\",\"root\":{\"path\":\"rootfs\"},"
                 "\"mounts\":[%s],%s%s%s}", mounts, USERNS, annotations ? "," : "",
                 annotations ? annotations : "");
        cr_assert_eq(oci_config_parse(doc, strlen(doc), "/b", "config.json", &fx->config, &fx->e),
                     0, "%s", fx->e.msg);
        snprintf(mi, sizeof(mi), "%s%s", TABLE_TOP, table);
        cr_assert_eq(mountinfo_parse(mi, strlen(mi), "mountinfo", &fx->mi, &fx->e), 0, "%s",
                     fx->e.msg);
        in.config = &fx->config;
        in.mountinfo = &fx->mi;
        fx->r = plan_build(&in, &fx->plan, &fx->e);
}

static void plan(struct fx *fx, const char *mounts, const char *annotations, const char *table,
                 enum runtime_kind runtime, enum activation a)
{
        plan_src(fx, mounts, annotations, table, runtime, a, NULL);
}

static void release(struct fx *fx)
{
        if (fx->r == 0)
                plan_free(&fx->plan);
        mountinfo_free(&fx->mi);
        oci_config_free(&fx->config);
}

/* The steps as the printout shows them, one per line. */
static char *steps(const struct plan *p)
{
        char *out = NULL, line[1024];
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);

        for (size_t i = 0; i < p->n_steps; i++) {
                plan_step_format(&p->steps[i], p, line, sizeof(line));
                fprintf(f, "%s\n", line);
        }
        fclose(f);
        return out;
}

static void expect_steps(const struct fx *fx, const char *want)
{
        char *got;

        cr_assert_eq(fx->r, 0, "%s", fx->e.msg);
        got = steps(&fx->plan);
        cr_assert_str_eq(got, want, "steps:\n%s\nwanted:\n%s", got, want);
        free(got);
}

#define BIND(dest, opts) "{\"destination\":\"" dest "\",\"type\":\"bind\",\"source\":\"/s\"," \
                         "\"options\":[" opts "]}"
#define RT "/b/rootfs"
#define IDMAP_ROOT "idmap-stack mount 10 `" RT "` (rootfs): uids 0:100000:65536 gids 0:100000:65536, top only\n"

Test(identity, a_later_volume_and_an_image_symlink_never_redirect_the_flags_of_another_mount)
{
        struct fx fx = { 0 };

        /* /data -> /x/sub in the image: the runtime mounted /data at x/sub,
         * then /x over x.  Re-resolved at hook time, /data would lead
         * through the volume's sub -> /ro5 onto /ro5's mount. */
        plan(&fx, BIND("/ro5", "\"rbind\",\"ro\",\"nosuid\"") "," BIND("/data", "\"rbind\"") ","
                  BIND("/x", "\"rbind\""),
             NULL,
             "20 10 0:2 /ro5 " RT "/ro5 rw,relatime - ext4 /dev/vdb rw\n"
             "21 10 0:2 /data " RT "/x/sub rw,relatime - ext4 /dev/vdb rw\n"
             "22 10 0:2 /x " RT "/x rw,relatime - ext4 /dev/vdb rw\n",
             RUNTIME_CRUN_BY_HANDLE, ACTIVATION_AUTO);
        cr_assert_eq(fx.plan.mounts[0].mount->mount_id, 20);
        cr_assert_eq(fx.plan.mounts[1].ident, IDENT_NOT_THERE);
        cr_assert_null(fx.plan.mounts[1].mount, "never guessed");
        cr_assert_eq(fx.plan.mounts[2].mount->mount_id, 22);
        expect_steps(&fx, IDMAP_ROOT
                     "set-attrs mount 20 `" RT "/ro5` (mounts[0] /ro5): ro,nosuid\n"
                     "mask `/proc/kcore` (linux.maskedPaths[0])\n"
                     "readonly-path `/proc/sys` (linux.readonlyPaths[0])\n");
        release(&fx);
}

Test(identity, an_idmap_asked_on_a_mount_the_runtime_put_elsewhere_is_refused_not_guessed)
{
        struct fx fx = { 0 };

        plan(&fx, BIND("/ro5", "\"rbind\",\"ro\",\"nosuid\"") "," BIND("/data", "\"rbind\",\"idmap\"") ","
                  BIND("/x", "\"rbind\""),
             NULL,
             "20 10 0:2 /ro5 " RT "/ro5 ro,nosuid,relatime - ext4 /dev/vdb rw\n"
             "21 10 0:2 /data " RT "/x/sub rw,relatime - ext4 /dev/vdb rw\n"
             "22 10 0:2 /x " RT "/x rw,relatime - ext4 /dev/vdb rw\n",
             RUNTIME_RUNC_BY_PATH, ACTIVATION_FALSE);
        cr_assert_eq(fx.r, -ENOENT);
        cr_assert(strstr(fx.e.msg, "mounts[1] (/data) asks for an idmap") &&
                  strstr(fx.e.msg, "will not guess"), "%s", fx.e.msg);
        release(&fx);
}

Test(identity, two_mounts_at_one_point_pair_bottom_to_top_in_config_order)
{
        struct fx fx = { 0 };

        plan(&fx, BIND("/p", "\"rbind\"") "," BIND("/p", "\"rbind\",\"idmap\""), NULL,
             "30 10 0:2 /one " RT "/p rw,relatime - ext4 /dev/vdb rw\n"
             "31 30 0:2 /two " RT "/p rw,relatime - ext4 /dev/vdb rw\n",
             RUNTIME_RUNC_BY_PATH, ACTIVATION_FALSE);
        cr_assert_eq(fx.r, 0, "%s", fx.e.msg);
        cr_assert_eq(fx.plan.mounts[0].mount->mount_id, 30);
        cr_assert_eq(fx.plan.mounts[1].mount->mount_id, 31, "the later one is on top");
        expect_steps(&fx, "idmap-swap mount 31 `" RT "/p` (mounts[1] /p): uids 0:100000:65536 "
                          "gids 0:100000:65536, top only\n");
        release(&fx);
}

Test(identity, more_mounts_at_a_point_than_entries_is_ambiguous)
{
        struct fx fx = { 0 };

        plan(&fx, BIND("/p", "\"rbind\",\"idmap\""), NULL,
             "30 10 0:2 /one " RT "/p rw,relatime - ext4 /dev/vdb rw\n"
             "31 30 0:2 /two " RT "/p rw,relatime - ext4 /dev/vdb rw\n",
             RUNTIME_RUNC_BY_PATH, ACTIVATION_FALSE);
        cr_assert_eq(fx.r, -ENOENT);
        cr_assert(strstr(fx.e.msg, "do not pair one to one"), "%s", fx.e.msg);
        release(&fx);
}

Test(identity, a_dotdot_destination_pairs_with_the_mount_inside_the_rootfs)
{
        struct fx fx = { 0 };

        plan(&fx, BIND("/../../v", "\"rbind\",\"idmap\""), NULL,
             "30 10 0:2 /v " RT "/v rw,relatime - ext4 /dev/vdb rw\n",
             RUNTIME_RUNC_BY_PATH, ACTIVATION_FALSE);
        cr_assert_eq(fx.r, 0, "%s", fx.e.msg);
        cr_assert_eq(fx.plan.mounts[0].mount->mount_id, 30);
        release(&fx);
}

/* ---- a bind the runtime put elsewhere, found by its source ----------------
 *
 * The image has /var/run -> /run: the runtime bound /var/run/x at /run/x.
 * The host's volumes are on their own filesystem (0:5) at /srv; the
 * sources below are as the hook resolved them on the host. */
#define SRV "2 1 0:5 / /srv rw,relatime - ext4 /dev/vdc rw\n"
#define VOL_RO "\"rbind\",\"ro\",\"nosuid\",\"nodev\",\"noexec\""

Test(by_source, a_ro_bind_through_an_image_symlink_is_paired_and_its_flags_carried_under_crun)
{
        struct fx fx = { 0 }, lexical = { 0 };
        const char *table = SRV "30 10 0:5 /secret " RT "/run/x rw,relatime - ext4 /dev/vdc rw\n";

        plan_src(&fx, BIND("/var/run/x", VOL_RO), NULL, table, RUNTIME_CRUN_BY_HANDLE,
                 ACTIVATION_AUTO, (const char *[]){ "/srv/secret" });
        cr_assert_eq(fx.r, 0, "%s", fx.e.msg);
        cr_assert_eq(fx.plan.mounts[0].ident, IDENT_FOUND_BY_SOURCE);
        cr_assert_eq(fx.plan.mounts[0].mount->mount_id, 30);
        cr_assert(fx.plan.root.idmap, "%s", fx.plan.notice);
        expect_steps(&fx, IDMAP_ROOT
                     "set-attrs mount 30 `" RT "/run/x` (mounts[0] /var/run/x): "
                     "ro,nosuid,nodev,noexec\n"
                     "mask `/proc/kcore` (linux.maskedPaths[0])\n"
                     "readonly-path `/proc/sys` (linux.readonlyPaths[0])\n");
        /* without the sources, as before: left alone, flags not carried */
        plan(&lexical, BIND("/var/run/x", VOL_RO), NULL, table, RUNTIME_CRUN_BY_HANDLE,
             ACTIVATION_AUTO);
        cr_assert_eq(lexical.plan.mounts[0].ident, IDENT_NOT_THERE);
        cr_assert_eq(lexical.plan.root.reason, REASON_CANNOT_CARRY);
        release(&fx);
        release(&lexical);
}

Test(by_source, the_printouts_say_the_mount_was_found_by_its_source)
{
        struct fx fx = { 0 };
        char *text = NULL, *json = NULL;
        size_t len;
        FILE *f;

        plan_src(&fx, BIND("/var/run/x", VOL_RO), NULL,
                 SRV "30 10 0:5 /secret " RT "/run/x rw,relatime - ext4 /dev/vdc rw\n",
                 RUNTIME_CRUN_BY_HANDLE, ACTIVATION_AUTO, (const char *[]){ "/srv/secret" });
        cr_assert_eq(fx.r, 0, "%s", fx.e.msg);
        f = open_memstream(&text, &len);
        plan_print_text(&fx.plan, f);
        fclose(f);
        f = open_memstream(&json, &len);
        plan_print_json(&fx.plan, f);
        fclose(f);
        cr_assert(strstr(text, "mount /var/run/x (bind) [mount 30 at `" RT "/run/x`, found by its "
                         "source]: keep, not asked;"), "%s", text);
        cr_assert(strstr(json, "\"identified\": \"by its source\",\n            \"mountID\": 30,\n"
                         "            \"mountPoint\": \"" RT "/run/x\""), "%s", json);
        free(text);
        free(json);
        release(&fx);
}

Test(by_source, an_idmap_asked_through_an_image_symlink_is_carried_out_on_the_runtimes_mount)
{
        struct fx fx = { 0 };

        plan_src(&fx, BIND("/var/run/x", "\"rbind\",\"idmap\""), NULL,
                 SRV "30 10 0:5 /secret " RT "/run/x rw,relatime - ext4 /dev/vdc rw\n",
                 RUNTIME_RUNC_BY_PATH, ACTIVATION_FALSE, (const char *[]){ "/srv/secret" });
        expect_steps(&fx, "idmap-swap mount 30 `" RT "/run/x` (mounts[0] /var/run/x): uids "
                          "0:100000:65536 gids 0:100000:65536, top only\n");
        release(&fx);
}

Test(by_source, a_source_in_the_rootfs_is_never_paired_by)
{
        struct fx fx = { 0 };

        /* the image's /srv/secret, bound at /var/run/x -> /run/x */
        plan_src(&fx, BIND("/var/run/x", "\"rbind\",\"idmap\""), NULL,
                 "30 10 0:1 /b/rootfs/srv/secret " RT "/run/x rw,relatime - ext4 /dev/vda rw\n",
                 RUNTIME_RUNC_BY_PATH, ACTIVATION_FALSE,
                 (const char *[]){ "/b/rootfs/../rootfs/srv/secret" });
        cr_assert_eq(fx.r, -ENOENT);
        cr_assert(strstr(fx.e.msg, "will not guess"), "%s", fx.e.msg);
        release(&fx);
}

Test(by_source, an_entry_ambiguous_at_its_destination_binding_the_same_source_keeps_it_unpaired)
{
        struct fx fx = { 0 };

        /* two mounts at /p for one entry: which is /p's is not known, and the
         * one at /run/x might be either entry's as far as the sources tell */
        plan_src(&fx, BIND("/p", "\"rbind\"") "," BIND("/var/run/x", "\"rbind\",\"idmap\""), NULL,
                 SRV "29 10 0:5 /secret " RT "/p rw,relatime - ext4 /dev/vdc rw\n"
                     "30 29 0:2 /other " RT "/p rw,relatime - ext4 /dev/vdb rw\n"
                     "31 10 0:5 /secret " RT "/run/x rw,relatime - ext4 /dev/vdc rw\n",
                 RUNTIME_RUNC_BY_PATH, ACTIVATION_FALSE,
                 (const char *[]){ "/srv/secret", "/srv/secret" });
        cr_assert_eq(fx.r, -ENOENT, "%s", fx.e.msg);
        cr_assert(strstr(fx.e.msg, "mounts[1] (/var/run/x) asks for an idmap"), "%s", fx.e.msg);
        release(&fx);
}

Test(by_source, two_mounts_showing_the_source_pair_with_neither)
{
        struct fx fx = { 0 };

        plan_src(&fx, BIND("/var/run/x", "\"rbind\",\"idmap\""), NULL,
                 SRV "30 10 0:5 /secret " RT "/run/x rw,relatime - ext4 /dev/vdc rw\n"
                     "31 10 0:5 /secret " RT "/run/y rw,relatime - ext4 /dev/vdc rw\n",
                 RUNTIME_RUNC_BY_PATH, ACTIVATION_FALSE, (const char *[]){ "/srv/secret" });
        cr_assert_eq(fx.r, -ENOENT);
        cr_assert(strstr(fx.e.msg, "no mount of its source pairs with it one to one"), "%s",
                  fx.e.msg);
        release(&fx);
}

Test(by_source, two_entries_binding_one_source_through_symlinks_pair_with_neither)
{
        struct fx fx = { 0 };

        plan_src(&fx, BIND("/var/run/x", VOL_RO) "," BIND("/var/run/y", VOL_RO), NULL,
                 SRV "30 10 0:5 /secret " RT "/run/x rw,relatime - ext4 /dev/vdc rw\n"
                     "31 10 0:5 /secret " RT "/run/y rw,relatime - ext4 /dev/vdc rw\n",
                 RUNTIME_CRUN_BY_HANDLE, ACTIVATION_AUTO,
                 (const char *[]){ "/srv/secret", "/srv/secret" });
        cr_assert_eq(fx.r, 0, "%s", fx.e.msg);
        cr_assert_eq(fx.plan.mounts[0].ident, IDENT_NOT_THERE);
        cr_assert_eq(fx.plan.mounts[1].ident, IDENT_NOT_THERE);
        cr_assert_eq(fx.plan.root.reason, REASON_CANNOT_CARRY, "as before: left alone");
        release(&fx);
}

Test(by_source, a_mount_paired_at_its_destination_is_never_taken_again)
{
        struct fx one = { 0 }, two = { 0 };
        const char *mounts = BIND("/x", VOL_RO) "," BIND("/var/run/x", "\"rbind\",\"idmap\"");
        const char *const sources[] = { "/srv/secret", "/srv/secret" };

        /* /x's mount is the only one showing /srv/secret: /var/run/x's is not there */
        plan_src(&one, mounts, NULL,
                 SRV "30 10 0:5 /secret " RT "/x rw,relatime - ext4 /dev/vdc rw\n",
                 RUNTIME_RUNC_BY_PATH, ACTIVATION_FALSE, sources);
        cr_assert_eq(one.r, -ENOENT, "%s", one.e.msg);
        cr_assert(strstr(one.e.msg, "mounts[1] (/var/run/x) asks for an idmap"), "%s", one.e.msg);
        /* with a second one, the entry paired at /x leaves it to /var/run/x */
        plan_src(&two, mounts, NULL,
                 SRV "30 10 0:5 /secret " RT "/x rw,relatime - ext4 /dev/vdc rw\n"
                     "31 10 0:5 /secret " RT "/run/x rw,relatime - ext4 /dev/vdc rw\n",
                 RUNTIME_RUNC_BY_PATH, ACTIVATION_FALSE, sources);
        cr_assert_eq(two.plan.mounts[0].ident, IDENT_FOUND);
        cr_assert_eq(two.plan.mounts[0].mount->mount_id, 30);
        cr_assert_eq(two.plan.mounts[1].ident, IDENT_FOUND_BY_SOURCE);
        expect_steps(&two, "idmap-swap mount 31 `" RT "/run/x` (mounts[1] /var/run/x): uids "
                           "0:100000:65536 gids 0:100000:65536, top only\n");
        release(&one);
        release(&two);
}

Test(by_source, a_mount_at_another_entrys_destination_or_a_non_bind_is_never_taken)
{
        struct fx dest = { 0 }, tmpfs = { 0 };

        /* /run/x is another entry's destination: the mount there is its */
        plan_src(&dest, BIND("/run/x", "\"rbind\"") "," BIND("/var/run/x", "\"rbind\",\"idmap\""),
                 NULL,
                 SRV "30 10 0:5 /secret " RT "/run/x rw,relatime - ext4 /dev/vdc rw\n"
                     "31 30 0:5 /secret " RT "/run/x rw,relatime - ext4 /dev/vdc rw\n",
                 RUNTIME_RUNC_BY_PATH, ACTIVATION_FALSE,
                 (const char *[]){ "/srv/other", "/srv/secret" });
        cr_assert_eq(dest.r, -ENOENT, "%s", dest.e.msg);
        /* a tmpfs has no source to be told by */
        plan_src(&tmpfs, "{\"destination\":\"/var/run/x\",\"type\":\"tmpfs\",\"source\":\"/srv/secret\","
                         "\"options\":[\"idmap\"]}", NULL,
                 SRV "30 10 0:5 /secret " RT "/run/x rw,relatime - ext4 /dev/vdc rw\n",
                 RUNTIME_RUNC_BY_PATH, ACTIVATION_FALSE, (const char *[]){ "/srv/secret" });
        cr_assert_eq(tmpfs.r, -ENOENT, "%s", tmpfs.e.msg);
        release(&dest);
        release(&tmpfs);
}

Test(by_source, a_source_below_a_host_mount_shows_that_mounts_root_joined_with_the_rest)
{
        struct fx fx = { 0 };

        /* /srv is itself a bind of /vols on 0:5; /srv/a/b is /vols/a/b there.
         * The rootfs's own /srv/a/b shows 0:1, never taken. */
        plan_src(&fx, BIND("/var/run/x", "\"rbind\",\"idmap\""), NULL,
                 "2 1 0:5 /vols /srv rw,relatime - ext4 /dev/vdc rw\n"
                 "29 10 0:1 /b/rootfs/srv/a/b " RT "/run/y rw,relatime - ext4 /dev/vda rw\n"
                 "30 10 0:5 /vols/a/b " RT "/run/x rw,relatime - ext4 /dev/vdc rw\n",
                 RUNTIME_RUNC_BY_PATH, ACTIVATION_FALSE, (const char *[]){ "/srv/a/b" });
        cr_assert_eq(fx.r, 0, "%s", fx.e.msg);
        cr_assert_eq(fx.plan.mounts[0].mount->mount_id, 30);
        release(&fx);
}

Test(carry, a_hidden_mount_whose_flags_crun_sets_later_keeps_the_rootfs_alone_under_auto)
{
        struct fx fx = { 0 };

        /* /p (ro) lies under /p again: its copy could be reached by no path */
        plan(&fx, BIND("/p", "\"rbind\",\"ro\"") "," BIND("/p", "\"rbind\""), NULL,
             "30 10 0:2 /one " RT "/p rw,relatime - ext4 /dev/vdb rw\n"
             "31 30 0:2 /two " RT "/p rw,relatime - ext4 /dev/vdb rw\n",
             RUNTIME_CRUN_BY_HANDLE, ACTIVATION_AUTO);
        cr_assert_eq(fx.r, 0, "%s", fx.e.msg);
        cr_assert_not(fx.plan.root.idmap);
        cr_assert_eq(fx.plan.root.reason, REASON_CANNOT_CARRY);
        cr_assert(strstr(fx.plan.notice, "mounts[0] /p at `" RT "/p` is hidden by a later mount"),
                  "%s", fx.plan.notice);
        cr_assert(fx.plan.nothing_to_do);
        cr_assert_eq(fx.plan.n_steps, 0);
        release(&fx);
}

Test(carry, a_hidden_mount_whose_flags_would_be_lost_fails_when_the_rootfs_idmap_was_asked)
{
        struct fx fx = { 0 };

        plan(&fx, BIND("/p", "\"rbind\",\"ro\"") "," BIND("/p", "\"rbind\""),
             "\"annotations\":{\"io.github.oci-idmap-hook.rootfs\":\"true\"}",
             "30 10 0:2 /one " RT "/p rw,relatime - ext4 /dev/vdb rw\n"
             "31 30 0:2 /two " RT "/p rw,relatime - ext4 /dev/vdb rw\n",
             RUNTIME_CRUN_BY_HANDLE, ACTIVATION_TRUE);
        cr_assert_eq(fx.r, -EOPNOTSUPP);
        cr_assert(strstr(fx.e.msg, "annotation io.github.oci-idmap-hook.rootfs=true") &&
                  strstr(fx.e.msg, "hidden by a later mount"), "%s", fx.e.msg);
        release(&fx);
}

Test(carry, under_runc_the_flags_it_set_before_the_hooks_are_copied_and_nothing_is_added)
{
        struct fx fx = { 0 };

        plan(&fx, BIND("/p", "\"rbind\",\"ro\"") "," BIND("/p", "\"rbind\""), NULL,
             "30 10 0:2 /one " RT "/p ro,relatime - ext4 /dev/vdb rw\n"
             "31 30 0:2 /two " RT "/p rw,relatime - ext4 /dev/vdb rw\n",
             RUNTIME_RUNC_BY_PATH, ACTIVATION_AUTO);
        cr_assert(fx.plan.root.idmap, "%s", fx.plan.notice);
        expect_steps(&fx, IDMAP_ROOT);
        release(&fx);
}

Test(carry, a_mount_not_found_with_flags_keeps_the_rootfs_alone_under_crun_only)
{
        struct fx crun = { 0 }, runc = { 0 };
        const char *mounts = BIND("/link/ro", "\"rbind\",\"ro\"");
        const char *table = "30 10 0:2 /v " RT "/elsewhere/ro rw,relatime - ext4 /dev/vdb rw\n";

        plan(&crun, mounts, NULL, table, RUNTIME_CRUN_BY_HANDLE, ACTIVATION_AUTO);
        cr_assert_eq(crun.r, 0, "%s", crun.e.msg);
        cr_assert_eq(crun.plan.root.reason, REASON_CANNOT_CARRY);
        cr_assert(strstr(crun.plan.notice, "mounts[0] /link/ro: nothing is mounted at its destination"),
                  "%s", crun.plan.notice);
        plan(&runc, mounts, NULL, table, RUNTIME_RUNC_BY_PATH, ACTIVATION_AUTO);
        cr_assert(runc.plan.root.idmap, "runc set ro as it mounted; the copy has it");
        release(&crun);
        release(&runc);
}

Test(carry, flags_already_in_force_get_no_step_and_missing_ones_do)
{
        struct fx fx = { 0 };

        plan(&fx, BIND("/a", "\"rbind\",\"ro\",\"nosuid\"") "," BIND("/b", "\"rbind\",\"ro\",\"noatime\""),
             NULL,
             "30 10 0:2 /a " RT "/a ro,nosuid,relatime - ext4 /dev/vdb rw\n"
             "31 10 0:2 /b " RT "/b ro,relatime - ext4 /dev/vdb rw\n",
             RUNTIME_CRUN_BY_HANDLE, ACTIVATION_AUTO);
        expect_steps(&fx, IDMAP_ROOT
                     "set-attrs mount 31 `" RT "/b` (mounts[1] /b): ro,noatime\n"
                     "mask `/proc/kcore` (linux.maskedPaths[0])\n"
                     "readonly-path `/proc/sys` (linux.readonlyPaths[0])\n");
        release(&fx);
}

Test(carry, rro_and_cgroup_flags_reach_every_mount_below_but_not_another_entrys_tree)
{
        struct fx fx = { 0 };

        plan(&fx, "{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\","
                  "\"options\":[\"ro\",\"nosuid\"]}," BIND("/sys/fs/cgroup/mine", "\"rbind\""),
             NULL,
             "40 10 0:3 / " RT "/sys/fs/cgroup rw,nosuid,relatime - tmpfs cgroup rw\n"
             "41 40 0:4 / " RT "/sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
             "42 40 0:2 /m " RT "/sys/fs/cgroup/mine rw,relatime - ext4 /dev/vdb rw\n"
             "43 42 0:5 / " RT "/sys/fs/cgroup/mine/sub rw,relatime - tmpfs t rw\n",
             RUNTIME_CRUN_BY_HANDLE, ACTIVATION_AUTO);
        expect_steps(&fx, IDMAP_ROOT
                     "set-attrs mount 40 `" RT "/sys/fs/cgroup` (mounts[0] /sys/fs/cgroup): ro,nosuid\n"
                     "set-attrs mount 41 `" RT "/sys/fs/cgroup/cpu` (below mounts[0] /sys/fs/cgroup): ro,nosuid\n"
                     "mask `/proc/kcore` (linux.maskedPaths[0])\n"
                     "readonly-path `/proc/sys` (linux.readonlyPaths[0])\n");
        release(&fx);
}

Test(carry, nothing_is_carried_when_nothing_is_copied)
{
        struct fx fx = { 0 };

        plan(&fx, BIND("/a", "\"rbind\",\"ro\"") "," BIND("/v", "\"rbind\",\"idmap\""), NULL,
             "30 10 0:2 /a " RT "/a rw,relatime - ext4 /dev/vdb rw\n"
             "31 10 0:2 /v " RT "/v rw,relatime - ext4 /dev/vdb rw\n",
             RUNTIME_CRUN_BY_HANDLE, ACTIVATION_FALSE);
        /* /a is not in /v's tree: crun's own remount reaches it */
        expect_steps(&fx, "idmap-swap mount 31 `" RT "/v` (mounts[1] /v): uids 0:100000:65536 "
                          "gids 0:100000:65536, top only\n");
        release(&fx);
}

Test(swap_or_stack, a_volume_under_a_shared_parent_is_stacked_and_a_shared_volume_refused)
{
        struct fx stacked = { 0 }, shared = { 0 };

        plan(&stacked, BIND("/v", "\"rbind\",\"idmap\""), NULL,
             "30 10 0:2 /p " RT "/p rw,relatime shared:5 - ext4 /dev/vdb rw\n"
             "31 30 0:2 /v " RT "/p/v rw,relatime - ext4 /dev/vdb rw\n",
             RUNTIME_RUNC_BY_PATH, ACTIVATION_FALSE);
        cr_assert_eq(stacked.r, -ENOENT, "/v is not at " RT "/v: %s", stacked.e.msg);
        release(&stacked);
        memset(&stacked, 0, sizeof(stacked));
        plan(&stacked, BIND("/p", "\"rbind\"") "," BIND("/p/v", "\"rbind\",\"idmap\""), NULL,
             "30 10 0:2 /p " RT "/p rw,relatime shared:5 - ext4 /dev/vdb rw\n"
             "31 30 0:2 /v " RT "/p/v rw,relatime - ext4 /dev/vdb rw\n",
             RUNTIME_RUNC_BY_PATH, ACTIVATION_FALSE);
        expect_steps(&stacked, "idmap-stack mount 31 `" RT "/p/v` (mounts[1] /p/v): uids 0:100000:65536 "
                               "gids 0:100000:65536, top only\n");
        plan(&shared, BIND("/v", "\"rbind\",\"idmap\""), NULL,
             "31 10 0:2 /v " RT "/v rw,relatime shared:6 - ext4 /dev/vdb rw\n",
             RUNTIME_RUNC_BY_PATH, ACTIVATION_FALSE);
        cr_assert_eq(shared.r, -EBUSY);
        cr_assert(strstr(shared.e.msg, "shared (peer group 6)"), "%s", shared.e.msg);
        release(&stacked);
        release(&shared);
}

Test(swap_or_stack, a_shared_rootfs_is_refused)
{
        struct fx fx = { 0 };

        plan(&fx, "", NULL, "11 10 0:2 / " RT " rw,relatime shared:3 - ext4 /dev/vdb rw\n",
             RUNTIME_CRUN_BY_HANDLE, ACTIVATION_AUTO);
        cr_assert_eq(fx.r, -EBUSY);
        cr_assert(strstr(fx.e.msg, "the mount is shared (peer group 3)"), "%s", fx.e.msg);
        release(&fx);
}

Test(swap_or_stack, a_volume_hidden_by_a_later_mount_is_refused)
{
        struct fx fx = { 0 };

        plan(&fx, BIND("/x/sub", "\"rbind\",\"idmap\"") "," BIND("/x", "\"rbind\""), NULL,
             "30 10 0:2 /s " RT "/x/sub rw,relatime - ext4 /dev/vdb rw\n"
             "31 10 0:2 /x " RT "/x rw,relatime - ext4 /dev/vdb rw\n",
             RUNTIME_RUNC_BY_PATH, ACTIVATION_FALSE);
        cr_assert_eq(fx.r, -EBUSY);
        cr_assert(strstr(fx.e.msg, "hidden by a later mount"), "%s", fx.e.msg);
        release(&fx);
}

Test(ridmap, a_whole_tree_is_one_recursive_step_however_deep)
{
        struct fx fx = { 0 };
        char table[8192];
        size_t n = 0;

        n += (size_t)snprintf(table + n, sizeof(table) - n,
                              "30 10 0:2 /v " RT "/v rw,relatime - ext4 /dev/vdb rw\n");
        for (int i = 1; i <= 50; i++)
                n += (size_t)snprintf(table + n, sizeof(table) - n,
                                      "%d %d 0:2 /v " RT "/v%.*s rw,relatime - ext4 /dev/vdb rw\n",
                                      30 + i, 29 + i, 2 * i, "/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d");
        plan(&fx, BIND("/v", "\"rbind\",\"ridmap\""), NULL, table, RUNTIME_RUNC_BY_PATH,
             ACTIVATION_FALSE);
        expect_steps(&fx, "idmap-swap mount 30 `" RT "/v` (mounts[0] /v): uids 0:100000:65536 "
                          "gids 0:100000:65536, recursive\n");
        release(&fx);
}

Test(runtime, runc_that_pivots_into_its_own_handle_leaves_the_rootfs_alone_with_a_notice)
{
        struct fx fx = { 0 };

        plan(&fx, "", NULL, "", RUNTIME_RUNC_PIVOTS_INTO_HANDLE, ACTIVATION_AUTO);
        cr_assert_eq(fx.r, 0, "%s", fx.e.msg);
        cr_assert_not(fx.plan.root.idmap);
        cr_assert_eq(fx.plan.root.reason, REASON_PIVOTS_INTO_HANDLE);
        cr_assert(strstr(fx.plan.notice, "oci-idmap-runtime"), "%s", fx.plan.notice);
        cr_assert(fx.plan.nothing_to_do);
        release(&fx);
}

Test(runtime, runc_that_pivots_into_its_own_handle_fails_when_the_rootfs_idmap_was_asked)
{
        struct fx fx = { 0 };

        plan(&fx, "", "\"annotations\":{\"io.github.oci-idmap-hook.rootfs\":\"true\"}", "",
             RUNTIME_RUNC_PIVOTS_INTO_HANDLE, ACTIVATION_TRUE);
        cr_assert_eq(fx.r, -EOPNOTSUPP);
        cr_assert(strstr(fx.e.msg, "pivots into a handle") && strstr(fx.e.msg, "oci-idmap-runtime"),
                  "%s", fx.e.msg);
        release(&fx);
}

Test(runtime, under_runc_root_ro_masks_and_read_only_paths_are_left_to_it)
{
        struct fx fx = { 0 };

        plan(&fx, "", NULL, "", RUNTIME_RUNC_BY_PATH, ACTIVATION_AUTO);
        cr_assert_not(fx.plan.carry_paths);
        expect_steps(&fx, IDMAP_ROOT);
        release(&fx);
}

Test(rootfs, the_hosts_root_directory_is_never_idmapped_even_under_auto)
{
        struct fx fx = { 0 };
        char doc[4096];
        struct plan_input in = { .owner = root_owned, .activation = ACTIVATION_AUTO,
                                 .rootfs_is_host_root = true };

        snprintf(doc, sizeof(doc), "{\"ociVersion\":\"1.1.0\",\"root\":{\"path\":\"/\"},%s}", USERNS);
        cr_assert_eq(oci_config_parse(doc, strlen(doc), "/b", "config.json", &fx.config, &fx.e), 0);
        in.config = &fx.config;
        cr_assert_eq(plan_build(&in, &fx.plan, &fx.e), -EPERM);
        cr_assert(strstr(fx.e.msg, "is the host's root directory"), "%s", fx.e.msg);
        oci_config_free(&fx.config);
}

/* ---- overlay volumes: a bind of an overlay (a Kubernetes image volume) ------- */

#define OVL_SUPER "rw,lowerdir=/l2:/l1,upperdir=/u/fs,workdir=/u/work"
#define OVL_STEP(kind, id, dest, i, rec)                                                      \
        kind " mount " id " `" RT dest "` (mounts[" i "] " dest "): 2 lower layers and an "   \
        "upper layer, made anew on idmapped clones (uids 0:100000:65536 gids "                \
        "0:100000:65536) as uid 100000 gid 100000" rec "\n"

Test(overlay_volume, asked_idmap_is_rebuilt_on_idmapped_layers_in_place_of_the_runtimes_mount)
{
        struct fx fx = { 0 };

        plan(&fx, BIND("/img", "\"rbind\",\"ro\",\"nosuid\",\"idmap\"") "," BIND("/plain", "\"rbind\""),
             NULL,
             "20 10 0:40 / " RT "/img ro,nosuid,relatime - overlay overlay " OVL_SUPER "\n"
             "21 10 0:41 / " RT "/plain rw,relatime - overlay overlay rw,lowerdir=/p\n",
             RUNTIME_RUNC_BY_PATH, ACTIVATION_FALSE);
        expect_steps(&fx, OVL_STEP("overlay-swap", "20", "/img", "0", ""));
        cr_assert_eq(fx.plan.n_overlays, 1, "the volume without idmap is left as it is");
        cr_assert_eq(fx.plan.steps[0].overlay_index, 0);
        cr_assert_str_eq(fx.plan.overlays[0].options.lower[1], "/l1");
        cr_assert_str_eq(fx.plan.overlays[0].options.work, "/u/work");
        cr_assert_eq(fx.plan.mounts[1].reason, REASON_NOT_ASKED);
        release(&fx);
}

Test(overlay_volume, rootfs_and_volume_each_get_their_own_overlay_and_own_mapping)
{
        struct fx fx = { 0 };
        const char *vol = "{\"destination\":\"/img\",\"type\":\"bind\",\"source\":\"/s\","
                          "\"options\":[\"rbind\"],"
                          "\"uidMappings\":[{\"containerID\":0,\"hostID\":300000,\"size\":10}],"
                          "\"gidMappings\":[{\"containerID\":0,\"hostID\":300000,\"size\":10}]}";

        /* the rootfs is an overlay too: TABLE_TOP's bind is stacked on */
        plan(&fx, vol, NULL,
             "11 10 0:39 / " RT " rw - overlay overlay rw,lowerdir=/r1,upperdir=/ru,workdir=/rw\n"
             "20 11 0:40 / " RT "/img rw,relatime - overlay overlay " OVL_SUPER "\n",
             RUNTIME_RUNC_BY_PATH, ACTIVATION_TRUE);
        cr_assert_eq(fx.r, 0, "%s", fx.e.msg);
        cr_assert_eq(fx.plan.n_overlays, 2);
        cr_assert_eq(fx.plan.n_steps, 2);
        cr_assert_eq(fx.plan.steps[0].kind, STEP_OVERLAY_STACK);
        cr_assert_eq(fx.plan.steps[0].overlay_index, 0);
        cr_assert_str_eq(fx.plan.overlays[0].options.lower[0], "/r1");
        cr_assert_eq(fx.plan.steps[1].kind, STEP_OVERLAY_SWAP);
        cr_assert_eq(fx.plan.steps[1].overlay_index, 1);
        cr_assert_eq(fx.plan.overlays[1].uid, 300000, "the volume's own mapping's root");
        cr_assert_eq(fx.plan.steps[1].mapping_index, 1);
        release(&fx);
}

Test(overlay_volume, under_a_shared_parent_it_is_stacked_and_ridmap_idmaps_its_submounts)
{
        struct fx fx = { 0 };

        plan(&fx, BIND("/img", "\"rbind\",\"ridmap\""), NULL,
             "15 10 0:3 / " RT "/mnt rw shared:4 - tmpfs tmpfs rw\n"
             "20 15 0:40 / " RT "/mnt/img rw,relatime - overlay overlay " OVL_SUPER "\n",
             RUNTIME_RUNC_BY_PATH, ACTIVATION_FALSE);
        /* the destination /img is not /mnt/img: paired by place only */
        cr_assert_eq(fx.r, -ENOENT, "%s", fx.e.msg);
        release(&fx);

        fx = (struct fx){ 0 };
        plan(&fx, BIND("/mnt/img", "\"rbind\",\"ridmap\""), NULL,
             "15 10 0:3 / " RT "/mnt rw shared:4 - tmpfs tmpfs rw\n"
             "20 15 0:40 / " RT "/mnt/img rw,relatime - overlay overlay " OVL_SUPER "\n"
             "21 20 0:5 / " RT "/mnt/img/sub rw,relatime - ext4 /dev/vdc rw\n",
             RUNTIME_RUNC_BY_PATH, ACTIVATION_FALSE);
        expect_steps(&fx, OVL_STEP("overlay-stack", "20", "/mnt/img", "0",
                                   ", submounts idmapped too"));
        release(&fx);
}

Test(overlay_volume, a_bind_of_a_directory_inside_an_overlay_is_refused_in_one_line)
{
        struct fx fx = { 0 };

        plan(&fx, BIND("/img", "\"rbind\",\"idmap\""), NULL,
             "20 10 0:40 /etc " RT "/img rw,relatime - overlay overlay " OVL_SUPER "\n",
             RUNTIME_CRUN_BY_HANDLE, ACTIVATION_FALSE);
        cr_assert_eq(fx.r, -EOPNOTSUPP);
        cr_assert_str_eq(fx.e.msg, "config.json: mounts[0] (/img): asks for an idmap, but it binds "
                         "`/etc` inside an overlay, and only a whole overlay can be rebuilt on "
                         "idmapped layers");
        release(&fx);
}

Test(overlay_volume, layers_given_as_fds_or_data_only_layers_are_refused_when_asked)
{
        static const char *const supers[] = { "rw,lowerdir=/,upperdir=/,workdir=/",
                                              "rw,lowerdir=/l1::/data" };

        for (size_t i = 0; i < 2; i++) {
                struct fx fx = { 0 };
                char table[512];

                snprintf(table, sizeof(table), "20 10 0:40 / " RT "/img rw - overlay overlay %s\n",
                         supers[i]);
                plan(&fx, BIND("/img", "\"rbind\",\"idmap\""), NULL, table, RUNTIME_CRUN_BY_HANDLE,
                     ACTIVATION_FALSE);
                cr_assert_eq(fx.r, -EOPNOTSUPP, "%s", supers[i]);
                cr_assert(strstr(fx.e.msg, "config.json: mounts[0] (/img): asks for an idmap, but "
                                 "the overlay cannot be rebuilt on idmapped layers: ") &&
                          !strchr(fx.e.msg, '\n'), "%s", fx.e.msg);
                cr_assert(strstr(fx.e.msg, i == 0 ? "file descriptors" : "data-only"), "%s",
                          fx.e.msg);
                release(&fx);
        }
}

Test(overlay_volume, not_asked_it_is_left_as_the_runtime_made_it)
{
        struct fx fx = { 0 };

        plan(&fx, BIND("/img", "\"rbind\",\"ro\""), NULL,
             "20 10 0:40 / " RT "/img ro,relatime - overlay overlay " OVL_SUPER "\n",
             RUNTIME_CRUN_BY_HANDLE, ACTIVATION_FALSE);
        cr_assert_eq(fx.r, 0, "%s", fx.e.msg);
        cr_assert(fx.plan.nothing_to_do);
        cr_assert_eq(fx.plan.n_overlays, 0);
        cr_assert_eq(fx.plan.n_steps, 0);
        release(&fx);
}

Test(overlay_volume, plan_json_names_each_overlay_it_makes_anew)
{
        struct fx fx = { 0 };
        char *out = NULL;
        size_t len = 0;
        FILE *f;

        plan(&fx, BIND("/img", "\"rbind\",\"idmap\""), NULL,
             "20 10 0:40 / " RT "/img rw,relatime - overlay overlay " OVL_SUPER ",index=off\n",
             RUNTIME_RUNC_BY_PATH, ACTIVATION_FALSE);
        cr_assert_eq(fx.r, 0, "%s", fx.e.msg);
        f = open_memstream(&out, &len);
        cr_assert_eq(plan_print_json(&fx.plan, f), 0);
        fclose(f);
        /* beautified: compared without its white space (none in these values) */
        for (char *r = out, *w = out;; r++) {
                if (*r != ' ' && *r != '\n')
                        *w++ = *r;
                if (!*r)
                        break;
        }
        cr_assert(strstr(out, "\"kind\":\"overlay-swap\"") &&
                  strstr(out, "\"overlay\":{\"lowerdirs\":[\"/l2\",\"/l1\"],\"upperdir\":\"/u/fs\","
                              "\"workdir\":\"/u/work\",\"options\":[\"index=off\"],"
                              "\"uid\":100000,\"gid\":100000}"), "%s", out);
        free(out);
        release(&fx);
}
