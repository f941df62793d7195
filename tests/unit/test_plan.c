/* The plan: every decision and every reason, from the real podman samples
 * and from crafted configs. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "lib_parse_util.h"
#include "oci/config.h"
#include "oci/mountinfo.h"
#include "oci/plan.h"

#define ROOTFS "/srv/containers/demo/rootfs"

struct fixture {
        struct oci_config config;
        struct mountinfo mountinfo;
        struct plan plan;
        struct err e;
};

static void load_sample(struct fixture *fx, const char *runtime, bool with_mountinfo)
{
        char path[512];
        size_t len;
        char *buf;

        snprintf(path, sizeof(path), "podman-4.3.1/%s/config-createRuntime.json", runtime);
        buf = parsetest_fixture(path, &len);
        cr_assert_eq(oci_config_parse(buf, len, "/bundle", "config.json", &fx->config, &fx->e), 0,
                     "%s", fx->e.msg);
        free(buf);
        if (with_mountinfo) {
                snprintf(path, sizeof(path), "%s/podman-4.3.1/%s/mountinfo-createRuntime.txt", FIXTURES_DIR, runtime);
                cr_assert_eq(mountinfo_load(path, &fx->mountinfo, &fx->e), 0, "%s", fx->e.msg);
        }
}

static int build(struct fixture *fx, bool with_mountinfo, struct rootfs_owner owner, enum activation a)
{
        struct plan_input in = {
                .config = &fx->config,
                .mountinfo = with_mountinfo ? &fx->mountinfo : NULL,
                .owner = owner,
                .activation = a,
        };
        return plan_build(&in, &fx->plan, &fx->e);
}

/* A podman sample planned; asserts the plan was built. */
static void build_from_sample(struct fixture *fx, const char *runtime, bool with_mountinfo,
                              struct rootfs_owner owner, enum activation a)
{
        load_sample(fx, runtime, with_mountinfo);
        cr_assert_eq(build(fx, with_mountinfo, owner, a), 0, "%s", fx->e.msg);
}

static void release(struct fixture *fx)
{
        plan_free(&fx->plan);
        mountinfo_free(&fx->mountinfo);
        oci_config_free(&fx->config);
}

static void expect_contains(const char *text, const char *part)
{
        cr_assert_not_null(strstr(text, part), "\"%s\" is not in:\n%s", part, text);
}

static const struct plan_entry *entry(const struct plan *p, const char *dest)
{
        for (size_t i = 0; i < p->n_mounts; i++)
                if (strcmp(p->mounts[i].destination, dest) == 0)
                        return &p->mounts[i];
        cr_assert_fail("no plan entry for %s", dest);
        return NULL;
}

static const struct rootfs_owner owned_by_root = { .known = true, .uid = 0, .gid = 0 };
/* The classic shifted rootfs: owned by the mapping's host root. */
static const struct rootfs_owner shifted = { .known = true, .uid = 100000, .gid = 100000 };

static void assert_runtime_mounts_kept(const struct plan *p)
{
        static const char *const kept[] = { "/dev", "/sys", "/proc", "/dev/pts", "/dev/mqueue",
                                            "/run", "/tmp", "/var/tmp", "/etc/hosts",
                                            "/etc/hostname", "/dev/shm", "/sys/fs/cgroup", "/rovol" };

        for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
                const struct plan_entry *pe = entry(p, kept[i]);

                cr_assert_not(pe->idmap, "%s must be left alone", kept[i]);
                cr_assert_eq(pe->reason, REASON_NOT_ASKED, "%s: %s", kept[i], plan_reason_str(pe->reason));
        }
}

static void assert_carry_over(const struct plan *p)
{
        const unsigned all = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;

        cr_assert_eq(p->root.attrs, MOUNT_ATTR_RDONLY, "root.readonly carried over");
        cr_assert_eq(entry(p, "/rovol")->attrs & MOUNT_ATTR_RDONLY, MOUNT_ATTR_RDONLY);
        cr_assert_eq(entry(p, "/rovol")->attrs_recursive, MOUNT_ATTR_RDONLY, "rbind ro covers submounts");
        cr_assert_eq(entry(p, "/etc/hosts")->attrs, all);
        cr_assert_eq(entry(p, "/etc/hostname")->attrs, all);
        cr_assert_eq(entry(p, "/sys")->attrs, all);
        cr_assert_eq(entry(p, "/sys/fs/cgroup")->attrs, all);
        cr_assert_eq(entry(p, "/sys/fs/cgroup")->attrs_recursive, all, "cgroup controllers below");
        cr_assert_eq(entry(p, "/proc")->attrs, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
        cr_assert_eq(entry(p, "/vol")->attrs, 0, "rw volume: nothing to add");
        cr_assert_eq(p->n_masked, 11);
        cr_assert_str_eq(p->masked[2], "/proc/keys");
        cr_assert_eq(p->n_readonly, 6);
        cr_assert_str_eq(p->readonly[4], "/proc/sys");
}

Test(plan_sample, runc_idmaps_rootfs_and_vol)
{
        struct fixture fx = { 0 };

        build_from_sample(&fx, "runc", true, owned_by_root, ACTIVATION_AUTO);
        cr_assert_not(fx.plan.nothing_to_do);
        cr_assert_str_eq(fx.plan.rootfs, ROOTFS);
        cr_assert(fx.plan.root.idmap);
        cr_assert_not(fx.plan.root.recursive, "rootfs: top only");
        cr_assert_str_eq(fx.plan.root.fstype, "ext4");
        parsetest_assert_container_mapping(fx.plan.root.mapping);
        cr_assert(entry(&fx.plan, "/vol")->idmap, "runc ignores idmap: the hook does it");
        cr_assert_not(entry(&fx.plan, "/vol")->recursive);
        parsetest_assert_container_mapping(entry(&fx.plan, "/vol")->mapping);
        assert_runtime_mounts_kept(&fx.plan);
        assert_carry_over(&fx.plan);
        cr_assert_eq(fx.plan.n_mappings, 1, "rootfs and /vol share one user namespace");
        release(&fx);
}

Test(plan_sample, crun_leaves_vol_it_idmapped_itself)
{
        struct fixture fx = { 0 };

        build_from_sample(&fx, "crun", true, owned_by_root, ACTIVATION_AUTO);
        cr_assert(fx.plan.root.idmap);
        parsetest_assert_container_mapping(fx.plan.root.mapping);
        cr_assert_not(entry(&fx.plan, "/vol")->idmap);
        cr_assert_eq(entry(&fx.plan, "/vol")->reason, REASON_ALREADY_IDMAPPED);
        assert_runtime_mounts_kept(&fx.plan);
        /* crun's mount table still shows /rovol read-write at this stage;
         * config.json asks ro, and ro is what must be carried over. */
        assert_carry_over(&fx.plan);
        release(&fx);
}

Test(plan_sample, crun_config_alone_idmaps_vol)
{
        struct fixture fx = { 0 };

        build_from_sample(&fx, "crun", false, owned_by_root, ACTIVATION_AUTO);
        cr_assert(fx.plan.root.idmap);
        cr_assert_null(fx.plan.root.fstype);
        cr_assert(entry(&fx.plan, "/vol")->idmap, "without a mount table nothing says crun did it");
        release(&fx);
}

Test(plan_sample, shifted_rootfs_left_alone_under_auto)
{
        struct fixture fx = { 0 };

        build_from_sample(&fx, "runc", true, shifted, ACTIVATION_AUTO);
        cr_assert_not(fx.plan.root.idmap);
        cr_assert_eq(fx.plan.root.reason, REASON_ROOTFS_SHIFTED);
        cr_assert(entry(&fx.plan, "/vol")->idmap, "volumes are decided on their own");
        release(&fx);
}

Test(plan_sample, activation_true_idmaps_a_shifted_rootfs)
{
        struct fixture fx = { 0 };

        build_from_sample(&fx, "runc", true, shifted, ACTIVATION_TRUE);
        cr_assert(fx.plan.root.idmap);
        release(&fx);
}

Test(plan_sample, activation_false_keeps_rootfs)
{
        struct fixture fx = { 0 };

        build_from_sample(&fx, "runc", true, owned_by_root, ACTIVATION_FALSE);
        cr_assert_not(fx.plan.root.idmap);
        cr_assert_eq(fx.plan.root.reason, REASON_ACTIVATION_FALSE);
        release(&fx);
}

Test(plan_sample, owner_outside_mapping_on_both_sides_is_left_alone)
{
        struct fixture fx = { 0 };
        struct rootfs_owner far = { .known = true, .uid = 300000, .gid = 300000 };

        build_from_sample(&fx, "runc", true, far, ACTIVATION_AUTO);
        cr_assert_not(fx.plan.root.idmap);
        cr_assert_eq(fx.plan.root.reason, REASON_ROOTFS_OWNER_UNMAPPED);
        release(&fx);
}

/* --- crafted configs --------------------------------------------------- */

static const char userns_linux[] =
        "\"linux\":{\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"user\"}],"
        "\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}],"
        "\"gidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]}";

static int crafted(struct fixture *fx, const char *mounts, const char *linux_part,
                   const char *mountinfo, struct rootfs_owner owner, enum activation a)
{
        char doc[8192];
        int r;

        snprintf(doc, sizeof(doc), "{\"ociVersion\":\"1.1.0\",\"root\":{\"path\":\"rootfs\"},"
                 "\"mounts\":[%s],%s}", mounts, linux_part);
        r = oci_config_parse(doc, strlen(doc), "/b", "config.json", &fx->config, &fx->e);
        cr_assert_eq(r, 0, "%s", fx->e.msg);
        if (mountinfo) {
                r = mountinfo_parse(mountinfo, strlen(mountinfo), "mountinfo", &fx->mountinfo, &fx->e);
                cr_assert_eq(r, 0, "%s", fx->e.msg);
        }
        return build(fx, mountinfo != NULL, owner, a);
}

Test(plan_crafted, no_user_namespace_means_nothing_to_do)
{
        struct fixture fx = { 0 };

        cr_assert_eq(crafted(&fx, "{\"destination\":\"/v\",\"type\":\"bind\",\"source\":\"/s\",\"options\":[\"idmap\"]}",
                             "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}]}", NULL,
                             owned_by_root, ACTIVATION_AUTO), 0);
        cr_assert(fx.plan.nothing_to_do);
        cr_assert_eq(fx.plan.why, REASON_NO_USERNS);
        cr_assert_not(fx.plan.root.idmap);
        cr_assert_not(fx.plan.mounts[0].idmap);
        cr_assert_eq(fx.plan.mounts[0].reason, REASON_NO_USERNS);
        cr_assert_not(plan_has_work(&fx.plan));
        release(&fx);
}

Test(plan_crafted, joined_user_namespace_without_mappings_means_nothing_to_do)
{
        struct fixture fx = { 0 };

        cr_assert_eq(crafted(&fx, "", "\"linux\":{\"namespaces\":[{\"type\":\"user\",\"path\":\"/proc/1/ns/user\"}]}",
                             NULL, owned_by_root, ACTIVATION_AUTO), 0);
        cr_assert(fx.plan.nothing_to_do);
        cr_assert_eq(fx.plan.why, REASON_NO_MAPPING);
        release(&fx);
}

Test(plan_crafted, relative_root_path_resolves_against_bundle)
{
        struct fixture fx = { 0 };

        cr_assert_eq(crafted(&fx, "", userns_linux, NULL, owned_by_root, ACTIVATION_AUTO), 0);
        cr_assert_str_eq(fx.plan.rootfs, "/b/rootfs");
        cr_assert(fx.plan.root.idmap);
        release(&fx);
}

Test(plan_crafted, ridmap_is_recursive)
{
        struct fixture fx = { 0 };

        cr_assert_eq(crafted(&fx, "{\"destination\":\"/v\",\"type\":\"bind\",\"source\":\"/s\",\"options\":[\"rbind\",\"ridmap\"]}",
                             userns_linux, NULL, owned_by_root, ACTIVATION_FALSE), 0);
        cr_assert(fx.plan.mounts[0].idmap);
        cr_assert(fx.plan.mounts[0].recursive);
        cr_assert_not(fx.plan.root.idmap);
        cr_assert_eq(fx.plan.n_mappings, 1);
        release(&fx);
}

Test(plan_crafted, own_mappings_get_a_namespace_of_their_own)
{
        struct fixture fx = { 0 };

        cr_assert_eq(crafted(&fx, "{\"destination\":\"/v\",\"type\":\"bind\",\"source\":\"/s\",\"options\":[\"rbind\"],"
                             "\"uidMappings\":[{\"containerID\":0,\"hostID\":200000,\"size\":10}],"
                             "\"gidMappings\":[{\"containerID\":0,\"hostID\":200000,\"size\":10}]},"
                             "{\"destination\":\"/w\",\"type\":\"bind\",\"source\":\"/t\",\"options\":[\"idmap\"]}",
                             userns_linux, NULL, owned_by_root, ACTIVATION_AUTO), 0);
        cr_assert(fx.plan.mounts[0].idmap, "mappings of its own ask for an idmap");
        cr_assert_eq(fx.plan.mounts[0].mapping->uid.r[0].host_id, 200000);
        cr_assert(fx.plan.mounts[1].idmap);
        cr_assert_eq(fx.plan.n_mappings, 2, "container's mapping + the mount's own");
        cr_assert_eq(fx.plan.root.mapping_index, fx.plan.mounts[1].mapping_index);
        cr_assert_neq(fx.plan.root.mapping_index, fx.plan.mounts[0].mapping_index);
        release(&fx);
}

Test(plan_crafted, crun_idmap_option_value_gives_the_mapping)
{
        struct fixture fx = { 0 };

        cr_assert_eq(crafted(&fx, "{\"destination\":\"/v\",\"type\":\"bind\",\"source\":\"/s\","
                             "\"options\":[\"idmap=uids=0-300000-10;gids=0-300000-10\"]}",
                             userns_linux, NULL, owned_by_root, ACTIVATION_AUTO), 0, "%s", fx.e.msg);
        cr_assert(fx.plan.mounts[0].idmap);
        cr_assert_eq(fx.plan.mounts[0].mapping->uid.r[0].host_id, 300000);
        cr_assert_eq(fx.plan.mounts[0].mapping->gid.r[0].size, 10);
        cr_assert_eq(fx.plan.n_mappings, 2);
        release(&fx);
}

Test(plan_crafted, overlay_rootfs_that_needs_a_mapping_is_rebuilt_on_idmapped_layers)
{
        struct fixture fx = { 0 };
        const char *mi = "1 0 0:1 / /b/rootfs rw - overlay overlay "
                         "rw,lowerdir=/l2:/l1,upperdir=/u/fs,workdir=/u/work,redirect_dir=on\n";
        char line[1024];

        cr_assert_eq(crafted(&fx, "", userns_linux, mi, owned_by_root, ACTIVATION_AUTO), 0, "%s",
                     fx.e.msg);
        cr_assert(fx.plan.root.idmap);
        cr_assert_eq(fx.plan.n_steps, 1);
        cr_assert_eq(fx.plan.steps[0].kind, STEP_OVERLAY_STACK);
        cr_assert_eq(fx.plan.n_overlays, 1);
        cr_assert_eq(fx.plan.steps[0].overlay_index, 0);
        cr_assert_eq(fx.plan.overlays[0].options.n_lower, 2);
        cr_assert_str_eq(fx.plan.overlays[0].options.lower[0], "/l2", "top layer first");
        cr_assert_str_eq(fx.plan.overlays[0].options.upper, "/u/fs");
        cr_assert_eq(fx.plan.overlays[0].uid, 100000, "made as the container's root");
        plan_step_format(&fx.plan.steps[0], &fx.plan, line, sizeof(line));
        expect_contains(line, "overlay-stack mount 1 `/b/rootfs` (rootfs): 2 lower layers and an upper layer");
        release(&fx);
}

Test(plan_crafted, overlay_made_from_layer_fds_is_never_rebuilt_from_the_paths_it_shows)
{
        struct fixture fx = { 0 };
        /* what the kernel shows for layers given as fds: "/" is no layer */
        const char *mi = "1 0 0:1 / /b/rootfs rw - overlay none "
                         "rw,lowerdir+=/,lowerdir+=/,upperdir=/upper,workdir=/work,uuid=on\n";

        cr_assert_eq(crafted(&fx, "", userns_linux, mi, owned_by_root, ACTIVATION_AUTO), 0, "%s",
                     fx.e.msg);
        cr_assert_not(fx.plan.root.idmap);
        cr_assert_eq(fx.plan.root.reason, REASON_OVERLAY_UNSUPPORTED);
        expect_contains(fx.plan.notice, "given to the kernel as file descriptors");
        release(&fx);
}

Test(plan_crafted, overlay_rootfs_with_data_only_layers_is_left_alone_under_auto_and_refused_when_asked)
{
        struct fixture fx = { 0 };
        const char *mi = "1 0 0:1 / /b/rootfs rw - overlay overlay rw,lowerdir=/l1::/data\n";

        cr_assert_eq(crafted(&fx, "", userns_linux, mi, owned_by_root, ACTIVATION_AUTO), 0, "%s",
                     fx.e.msg);
        cr_assert_not(fx.plan.root.idmap);
        cr_assert_eq(fx.plan.root.reason, REASON_OVERLAY_UNSUPPORTED);
        expect_contains(fx.plan.notice, "data-only lower layers");
        release(&fx);
        memset(&fx, 0, sizeof(fx));
        cr_assert_lt(crafted(&fx, "", userns_linux, mi, owned_by_root, ACTIVATION_TRUE), 0);
        expect_contains(fx.e.msg, "/b/rootfs");
        expect_contains(fx.e.msg, "data-only lower layers");
        release(&fx);
}

Test(plan_crafted, overlay_rootfs_already_shifted_is_fine_under_auto)
{
        struct fixture fx = { 0 };
        const char *mi = "1 0 0:1 / /b/rootfs rw - overlay overlay rw,lowerdir=/l\n";

        cr_assert_eq(crafted(&fx, "", userns_linux, mi, shifted, ACTIVATION_AUTO), 0, "%s", fx.e.msg);
        cr_assert_not(fx.plan.root.idmap);
        cr_assert_eq(fx.plan.root.reason, REASON_ROOTFS_SHIFTED);
        cr_assert(fx.plan.nothing_to_do);
        release(&fx);
}

Test(plan_crafted, idmap_asked_on_proc_is_an_error)
{
        struct fixture fx = { 0 };
        const char *mi = "1 0 0:1 / /b/rootfs rw - ext4 /dev/vda rw\n"
                         "2 1 0:2 / /b/rootfs/p rw - proc proc rw\n";

        cr_assert_lt(crafted(&fx, "{\"destination\":\"/p\",\"type\":\"proc\",\"source\":\"proc\",\"options\":[\"idmap\"]}",
                             userns_linux, mi, owned_by_root, ACTIVATION_AUTO), 0);
        expect_contains(fx.e.msg, "/p");
        expect_contains(fx.e.msg, "proc");
        release(&fx);
}

Test(plan_crafted, rootfs_already_idmapped_is_left_alone)
{
        struct fixture fx = { 0 };
        const char *mi = "1 0 0:1 / /b/rootfs rw,idmapped - ext4 /dev/vda rw\n";

        cr_assert_eq(crafted(&fx, "", userns_linux, mi, owned_by_root, ACTIVATION_TRUE), 0, "%s", fx.e.msg);
        cr_assert_not(fx.plan.root.idmap);
        cr_assert_eq(fx.plan.root.reason, REASON_ALREADY_IDMAPPED);
        release(&fx);
}

Test(plan_crafted, later_rw_option_undoes_ro_and_recursive_forms_count)
{
        struct fixture fx = { 0 };

        cr_assert_eq(crafted(&fx, "{\"destination\":\"/a\",\"type\":\"bind\",\"source\":\"/s\",\"options\":[\"ro\",\"rw\",\"nosuid\"]},"
                             "{\"destination\":\"/b\",\"type\":\"bind\",\"source\":\"/s\",\"options\":[\"rro\",\"rnoexec\"]}",
                             userns_linux, NULL, owned_by_root, ACTIVATION_AUTO), 0);
        cr_assert_eq(fx.plan.mounts[0].attrs, MOUNT_ATTR_NOSUID);
        cr_assert_eq(fx.plan.mounts[1].attrs, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOEXEC);
        cr_assert_eq(fx.plan.mounts[1].attrs_recursive, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOEXEC);
        release(&fx);
}

Test(plan_crafted, nothing_asked_and_shifted_rootfs_means_nothing_to_do)
{
        struct fixture fx = { 0 };

        cr_assert_eq(crafted(&fx, "{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"}",
                             userns_linux, NULL, shifted, ACTIVATION_AUTO), 0);
        cr_assert(fx.plan.nothing_to_do);
        cr_assert_eq(fx.plan.why, REASON_NOT_ASKED);
        release(&fx);
}

Test(plan_crafted, dotdot_in_destination_stays_inside_the_rootfs)
{
        struct fixture fx = { 0 };
        const char *mi = "1 0 0:1 / /b/rootfs rw - ext4 /dev/vda rw\n"
                         "2 1 0:1 /s /b/rootfs/v rw,idmapped - ext4 /dev/vda rw\n";

        cr_assert_eq(crafted(&fx, "{\"destination\":\"/../../v/\",\"type\":\"bind\",\"source\":\"/s\",\"options\":[\"idmap\"]}",
                             userns_linux, mi, owned_by_root, ACTIVATION_AUTO), 0, "%s", fx.e.msg);
        cr_assert_eq(fx.plan.mounts[0].reason, REASON_ALREADY_IDMAPPED, "/../../v/ is /v inside the rootfs");
        release(&fx);
}

/* --- activation -------------------------------------------------------- */

Test(plan_activation, values_and_precedence)
{
        struct kv s_items[] = { { ANNOTATION_ROOTFS, "false" } };
        struct kv c_items[] = { { ANNOTATION_ROOTFS, "true" } };
        struct kv bad_items[] = { { ANNOTATION_ROOTFS, "yes" } };
        struct annotations s = { 1, s_items }, c = { 1, c_items }, bad = { 1, bad_items }, none = { 0, NULL };
        enum activation a;
        struct err e = { 0 };

        cr_assert_eq(plan_activation(&none, &none, &a, &e), 0);
        cr_assert_eq(a, ACTIVATION_AUTO, "auto is the default");
        cr_assert_eq(plan_activation(&none, &c, &a, &e), 0);
        cr_assert_eq(a, ACTIVATION_TRUE);
        cr_assert_eq(plan_activation(&s, &c, &a, &e), 0);
        cr_assert_eq(a, ACTIVATION_FALSE, "the state's annotations win");
        cr_assert_lt(plan_activation(&bad, &none, &a, &e), 0);
        expect_contains(e.msg, ANNOTATION_ROOTFS);
        expect_contains(e.msg, "\"yes\"");
}

/* --- printing ---------------------------------------------------------- */

static char *print(const struct plan *p, bool json)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        cr_assert_eq(json ? plan_print_json(p, f) : plan_print_text(p, f), 0);
        fclose(f);
        return buf;
}

Test(plan_print, text_names_each_decision_and_reason)
{
        struct fixture fx = { 0 };
        char *out;

        build_from_sample(&fx, "crun", true, owned_by_root, ACTIVATION_AUTO);
        out = print(&fx.plan, false);
        expect_contains(out, "mount / (ext4) [mount 76]: idmap uids 0:100000:65536 gids 0:100000:65536, top only; carry over ro\n");
        expect_contains(out, "mount /vol (bind) [mount 72]: keep, already idmapped by the runtime;");
        expect_contains(out, "mount /rovol (bind) [mount 71]: keep, not asked; carry over ro, below it ro\n");
        expect_contains(out, "masked paths: /proc/acpi /proc/kcore /proc/keys");
        expect_contains(out, "user namespaces: 1\n");
        free(out);
        release(&fx);
}

Test(plan_print, json_is_complete)
{
        struct fixture fx = { 0 };
        char *out;

        build_from_sample(&fx, "runc", true, owned_by_root, ACTIVATION_AUTO);
        out = print(&fx.plan, true);
        expect_contains(out, "\"nothingToDo\": false");
        expect_contains(out, "\"destination\": \"/vol\"");
        expect_contains(out, "\"action\": \"idmap\"");
        expect_contains(out, "\"hostID\": 100000");
        expect_contains(out, "\"userNamespaces\": 1");
        free(out);
        release(&fx);
}

Test(plan_sample, under_runc_root_ro_masks_and_readonly_paths_are_left_to_it)
{
        struct fixture fx = { 0 };
        struct plan_input in = { 0 };
        char *out;

        load_sample(&fx, "runc", true);
        in.config = &fx.config;
        in.mountinfo = &fx.mountinfo;
        in.owner = owned_by_root;
        in.runtime = RUNTIME_RUNC_BY_PATH;
        cr_assert_eq(plan_build(&in, &fx.plan, &fx.e), 0, "%s", fx.e.msg);
        cr_assert_not(fx.plan.carry_paths);
        cr_assert(fx.plan.root.idmap, "the idmap itself is the hook's under every runtime");
        out = print(&fx.plan, false);
        expect_contains(out, "masked paths (left to the runtime): /proc/acpi");
        expect_contains(out, "read-only paths (left to the runtime): /proc/asound");
        free(out);
        release(&fx);
}

Test(plan_sample, under_other_runtimes_the_hook_carries_the_paths)
{
        struct fixture fx = { 0 };

        build_from_sample(&fx, "crun", true, owned_by_root, ACTIVATION_AUTO);
        cr_assert(fx.plan.carry_paths);
        release(&fx);
}

Test(plan_crafted, atime_mode_and_nosymfollow_are_carried_and_the_last_atime_mode_wins)
{
        struct fixture fx = { 0 };

        cr_assert_eq(crafted(&fx, "{\"destination\":\"/a\",\"type\":\"bind\",\"source\":\"/s\",\"options\":[\"ro\",\"noatime\",\"nosymfollow\"]},"
                             "{\"destination\":\"/b\",\"type\":\"bind\",\"source\":\"/s\",\"options\":[\"noatime\",\"strictatime\",\"nodiratime\"]},"
                             "{\"destination\":\"/c\",\"type\":\"bind\",\"source\":\"/s\",\"options\":[\"strictatime\",\"relatime\"]}",
                             userns_linux, NULL, owned_by_root, ACTIVATION_AUTO), 0);
        cr_assert_eq(fx.plan.mounts[0].attrs, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOATIME | MOUNT_ATTR_NOSYMFOLLOW);
        cr_assert_eq(fx.plan.mounts[1].attrs, MOUNT_ATTR_STRICTATIME | MOUNT_ATTR_NODIRATIME);
        cr_assert_eq(fx.plan.mounts[2].attrs, 0, "relatime is the kernel's default: nothing to set");
        release(&fx);
}
