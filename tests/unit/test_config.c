/* A bundle's config.json: podman's real output under both runtimes, the
 * runtime-spec 1.1 per-mount mappings, and every way a broken document
 * must be refused. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "lib_parse_util.h"
#include "oci/config.h"
#include "oci/json.h"

#define CRUN_CONFIG "podman-4.3.1/crun/config-createRuntime.json"
#define RUNC_CONFIG "podman-4.3.1/runc/config-createRuntime.json"
#define BUNDLE "/var/lib/containers/storage/overlay-containers/abc/userdata"

static int parse(const char *doc, struct oci_config *c, struct err *e)
{
        err_clear(e);
        return oci_config_parse(doc, strlen(doc), BUNDLE, "config.json", c, e);
}

static void expect_refused_as(const char *doc, int errnum, const char *needle)
{
        struct oci_config c;
        struct err e;
        int r = parse(doc, &c, &e);

        parsetest_assert_refused(r, &e, errnum, needle);
        cr_assert_null(c.root_path, "output left filled after a refusal");
        cr_assert_null(c.mounts);
}

static void expect_refused(const char *doc, const char *needle)
{
        expect_refused_as(doc, EINVAL, needle);
}

/* The crun sample with `old` replaced by `new`. */
static void expect_sample_edit_refused(const char *old, const char *new, const char *needle)
{
        char *orig = parsetest_fixture(CRUN_CONFIG, NULL);
        char *doc = parsetest_replace(orig, old, new);

        expect_refused(doc, needle);
        free(doc);
        free(orig);
}

/* A small config with the given root, mounts and linux members. */
static char *small_config(const char *root, const char *mounts, const char *linux_)
{
        char *doc;

        cr_assert(asprintf(&doc, "{\"ociVersion\":\"1.1.0\",\"root\":%s,\"mounts\":%s,\"linux\":%s}",
                           root, mounts, linux_) > 0);
        return doc;
}

#define ROOT "{\"path\":\"rootfs\"}"
#define MAP "[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]"

static void expect_small_refused(const char *root, const char *mounts, const char *linux_,
                                 const char *needle)
{
        char *doc = small_config(root, mounts, linux_);

        expect_refused(doc, needle);
        free(doc);
}

static void parse_small(const char *root, const char *mounts, const char *linux_,
                        struct oci_config *c)
{
        char *doc = small_config(root, mounts, linux_);
        struct err e;

        cr_assert_eq(parse(doc, c, &e), 0, "%s", e.msg);
        free(doc);
}

static const struct oci_mount *mount_at(const struct oci_config *c, const char *dest)
{
        for (size_t i = 0; i < c->n_mounts; i++)
                if (strcmp(c->mounts[i].destination, dest) == 0)
                        return &c->mounts[i];
        cr_assert_fail("no mount at %s", dest);
        return NULL;
}

/* The fixture `rel`, parsed; asserts it was taken. */
static void parse_fixture(const char *rel, struct oci_config *c)
{
        char *buf = parsetest_fixture(rel, NULL);
        struct err e;

        cr_assert_eq(parse(buf, c, &e), 0, "%s: %s", rel, e.msg);
        free(buf);
}

/* ---- the real samples --------------------------------------------------- */

Test(config_sample, crun_config_holds_what_the_hook_acts_on)
{
        struct oci_config c;
        const struct oci_mount *m;

        parse_fixture(CRUN_CONFIG, &c);
        cr_assert_str_eq(c.root_path, "/srv/containers/demo/rootfs");
        cr_assert_str_eq(c.rootfs, "/srv/containers/demo/rootfs");
        cr_assert(c.root_readonly);
        cr_assert(c.has_userns);
        cr_assert_not(c.userns_joined);
        cr_assert(c.has_idmap);
        parsetest_assert_container_mapping(&c.idmap);
        cr_assert_eq(c.n_masked, 11);
        cr_assert_str_eq(c.masked_paths[0], "/proc/acpi");
        cr_assert_str_eq(c.masked_paths[10], "/sys/dev/block");
        cr_assert_eq(c.n_readonly, 6);
        cr_assert_str_eq(c.readonly_paths[5], "/proc/sysrq-trigger");
        cr_assert_eq(c.annotations.n, 8);
        cr_assert_str_eq(annotations_get(&c.annotations, "io.container.manager"), "libpod");

        cr_assert_eq(c.n_mounts, 14);
        m = &c.mounts[0];
        cr_assert_str_eq(m->destination, "/dev");
        cr_assert_str_eq(m->type, "tmpfs");
        cr_assert_str_eq(m->source, "tmpfs");
        cr_assert_eq(m->n_options, 5);
        cr_assert_str_eq(m->options[4], "size=65536k");
        cr_assert_str_eq(oci_mount_option_value(m, "size"), "65536k");
        cr_assert_str_eq(oci_mount_option_value(m, "mode"), "755");

        m = &c.mounts[4];
        cr_assert_str_eq(m->destination, "/vol");
        cr_assert_str_eq(m->source, "/srv/data/vol");
        cr_assert(oci_mount_has_option(m, "idmap"));
        cr_assert(oci_mount_has_option(m, "rbind"));
        cr_assert_null(oci_mount_option_value(m, "idmap"));

        m = mount_at(&c, "/rovol");
        cr_assert(oci_mount_has_option(m, "ro"));
        cr_assert_not(oci_mount_has_option(m, "idmap"));
        cr_assert_str_eq(oci_mount_option_value(mount_at(&c, "/dev/pts"), "mode"), "0620");
        for (size_t i = 0; i < c.n_mounts; i++)
                cr_assert_not(c.mounts[i].has_idmap, "%s has mappings of its own",
                              c.mounts[i].destination);
        oci_config_free(&c);
        cr_assert_null(c.mounts);
}

Test(config_sample, runc_config_lists_the_mounts_in_its_own_order)
{
        struct oci_config c;

        parse_fixture(RUNC_CONFIG, &c);
        cr_assert_eq(c.n_mounts, 14);
        cr_assert_str_eq(c.mounts[0].destination, "/sys");
        cr_assert_str_eq(c.mounts[1].destination, "/dev");
        cr_assert(oci_mount_has_option(mount_at(&c, "/vol"), "idmap"));
        cr_assert(oci_mount_has_option(mount_at(&c, "/rovol"), "ro"));
        cr_assert(oci_mount_has_option(mount_at(&c, "/sys/fs/cgroup"), "ro"));
        cr_assert(c.root_readonly);
        parsetest_assert_container_mapping(&c.idmap);
        cr_assert_eq(c.n_masked, 11);
        cr_assert_eq(c.n_readonly, 6);
        oci_config_free(&c);
}

Test(config_sample, load_reads_config_json_from_the_bundle)
{
        char *orig = parsetest_fixture(CRUN_CONFIG, NULL);
        char *doc = parsetest_replace(orig, "\"path\":\"/srv/containers/demo/rootfs\"",
                                      "\"path\":\"rootfs\"");
        char *dir, *path = parsetest_tmpfile("config.json", doc, strlen(doc), &dir);
        char want[4096];
        struct oci_config c;
        struct err e;

        cr_assert_eq(oci_config_load(dir, &c, &e), 0, "%s", e.msg);
        snprintf(want, sizeof(want), "%s/rootfs", dir);
        cr_assert_str_eq(c.root_path, "rootfs");
        cr_assert_str_eq(c.rootfs, want);
        cr_assert_eq(c.n_mounts, 14);
        oci_config_free(&c);
        parsetest_rm_tmpfile(path, dir);
        free(doc);
        free(orig);
}

Test(config_sample, parsing_the_sample_takes_well_under_a_millisecond)
{
        char *buf = parsetest_fixture(CRUN_CONFIG, NULL);
        struct timespec t0, t1;
        double per_parse_us;
        const int rounds = 500;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (int i = 0; i < rounds; i++) {
                struct oci_config c;
                struct err e;

                cr_assert_eq(parse(buf, &c, &e), 0, "%s", e.msg);
                oci_config_free(&c);
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        per_parse_us = ((double)(t1.tv_sec - t0.tv_sec) * 1e6 +
                        (double)(t1.tv_nsec - t0.tv_nsec) / 1e3) / rounds;
        /* ~40 us optimised, a few times that under ASan: the bound catches
         * a quadratic step or a copy per value, not a slow machine. */
        cr_assert_lt(per_parse_us, 1000.0, "%.0f us per parse", per_parse_us);
        free(buf);
}

/* ---- root.path ---------------------------------------------------------- */

Test(config_root, relative_root_path_is_made_absolute_and_normalised_lexically)
{
        static const struct {
                const char *bundle, *path, *rootfs;
        } cases[] = {
                { "/b/u", "rootfs", "/b/u/rootfs" },
                { "/b/u", "./rootfs/", "/b/u/rootfs" },
                { "/b/u/", "rootfs", "/b/u/rootfs" },
                { "/b/u", "../x", "/b/x" },
                { "/b/u", "a//b/./c/..", "/b/u/a/b" },
                { "/b/u", "../../../../x", "/x" },
                { "/b/u", ".", "/b/u" },
                { "/b//u/../v", "r", "/b/v/r" },
                { "/b/u", "/srv//c/./r/../rootfs/", "/srv/c/rootfs" },
                { "/b/u", "/", "/" },
                { "/b/u", "/..", "/" },
                { "/b/u", "/a/...", "/a/..." },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *doc;
                struct oci_config c;
                struct err e;

                cr_assert(asprintf(&doc, "{\"root\":{\"path\":\"%s\"}}", cases[i].path) > 0);
                err_clear(&e);
                cr_assert_eq(oci_config_parse(doc, strlen(doc), cases[i].bundle, "config.json", &c, &e),
                             0, "%s", e.msg);
                cr_assert_str_eq(c.rootfs, cases[i].rootfs, "%s + %s", cases[i].bundle, cases[i].path);
                cr_assert_str_eq(c.root_path, cases[i].path);
                cr_assert_not(c.root_readonly);
                cr_assert_not(c.has_userns);
                cr_assert_not(c.has_idmap);
                oci_config_free(&c);
                free(doc);
        }
}

Test(config_root, relative_root_path_without_a_bundle_is_refused)
{
        const char *doc = "{\"root\":{\"path\":\"rootfs\"}}";
        struct oci_config c;
        struct err e;

        err_clear(&e);
        parsetest_assert_refused(oci_config_parse(doc, strlen(doc), NULL, "config.json", &c, &e), &e,
                                 EINVAL, "config.json: root.path: \"rootfs\" is relative");
        parsetest_assert_refused(oci_config_parse(doc, strlen(doc), "b", "config.json", &c, &e), &e,
                                 EINVAL, "the bundle \"b\" is not absolute");
}

Test(config_root, broken_root_is_refused_naming_the_field)
{
        expect_refused("{\"mounts\":[]}", "config.json: root: missing");
        expect_refused("{\"root\":\"/r\"}", "config.json: root: expected an object, got string");
        expect_refused("{\"root\":{}}", "config.json: root.path: missing");
        expect_refused("{\"root\":{\"path\":42}}", "config.json: root.path: expected a string, got number");
        expect_refused("{\"root\":{\"path\":\"\"}}", "config.json: root.path: empty");
        expect_refused("{\"root\":{\"path\":\"/r\",\"readonly\":\"yes\"}}",
                       "config.json: root.readonly: expected a boolean, got string");
        expect_refused("{\"root\":{\"path\":\"/r\\u0000x\"}}",
                       "config.json: root.path: \"/r\\x00x\" holds a NUL byte");
        expect_refused("[]", "config.json: the document: expected an object, got array");
}

/* ---- linux: mappings, namespaces, paths -------------------------------- */

Test(config_linux, mapping_numbers_must_be_unsigned_32_bit_integers)
{
        static const struct {
                const char *range, *needle;
        } cases[] = {
                { "{\"containerID\":0,\"hostID\":-1,\"size\":1}",
                  "config.json: linux.uidMappings[0].hostID: expected an integer from 0 to 4294967295, got -1" },
                { "{\"containerID\":-0.0,\"hostID\":1,\"size\":1}",
                  "config.json: linux.uidMappings[0].containerID: expected an integer from 0 to 4294967295, got -0.0" },
                { "{\"containerID\":0,\"hostID\":1,\"size\":1.5}",
                  "config.json: linux.uidMappings[0].size: expected an integer from 0 to 4294967295, got 1.5" },
                { "{\"containerID\":0,\"hostID\":1,\"size\":1e3}",
                  "config.json: linux.uidMappings[0].size: expected an integer from 0 to 4294967295, got 1e3" },
                { "{\"containerID\":4294967296,\"hostID\":1,\"size\":1}",
                  "config.json: linux.uidMappings[0].containerID: expected an integer from 0 to 4294967295, got 4294967296" },
                { "{\"containerID\":0,\"hostID\":123456789012345678901234567890,\"size\":1}",
                  "config.json: linux.uidMappings[0].hostID: expected an integer from 0 to 4294967295, got 123456789012345678901234567890" },
                { "{\"containerID\":0,\"hostID\":\"100000\",\"size\":1}",
                  "config.json: linux.uidMappings[0].hostID: expected a number, got string" },
                { "{\"containerID\":0,\"hostID\":1}",
                  "config.json: linux.uidMappings[0].size: missing" },
                { "[0,1,1]", "config.json: linux.uidMappings[0]: expected an object, got array" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char linux_[512];

                snprintf(linux_, sizeof(linux_), "{\"uidMappings\":[%s],\"gidMappings\":" MAP "}",
                         cases[i].range);
                expect_small_refused(ROOT, "[]", linux_, cases[i].needle);
        }
}

Test(config_linux, largest_32_bit_values_are_read_exactly)
{
        /* containerID 4294967295 is parsed (no rounding through a double);
         * id_mapping_validate is what refuses it, as the kernel would. */
        struct oci_config c;
        struct err e;
        char *doc = small_config(ROOT, "[]",
                                 "{\"uidMappings\":[{\"containerID\":4294967295,\"hostID\":0,\"size\":1}],"
                                 "\"gidMappings\":" MAP "}");

        cr_assert_lt(parse(doc, &c, &e), 0);
        cr_assert_not_null(strstr(e.msg, "config.json: linux.uidMappings"), "%s", e.msg);
        free(doc);
        parse_small(ROOT, "[]",
                    "{\"uidMappings\":[{\"containerID\":0,\"hostID\":4294901760,\"size\":65535}],"
                    "\"gidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":4294867295}]}", &c);
        cr_assert_eq(c.idmap.uid.r[0].host_id, 4294901760u);
        cr_assert_eq(c.idmap.gid.r[0].size, 4294867295u);
        oci_config_free(&c);
}

Test(config_linux, mappings_must_be_arrays_of_at_most_340_ranges)
{
        size_t cap = 341 * 64 + 256, o = 0;
        char *ranges = malloc(cap), *linux_;

        expect_small_refused(ROOT, "[]", "{\"uidMappings\":{},\"gidMappings\":" MAP "}",
                             "config.json: linux.uidMappings: expected an array, got object");
        cr_assert_not_null(ranges);
        o += (size_t)snprintf(ranges + o, cap - o, "[");
        for (unsigned i = 0; i < 341; i++)
                o += (size_t)snprintf(ranges + o, cap - o, "%s{\"containerID\":%u,\"hostID\":%u,\"size\":1}",
                                      i ? "," : "", i, 100000 + i);
        snprintf(ranges + o, cap - o, "]");
        cr_assert(asprintf(&linux_, "{\"uidMappings\":%s,\"gidMappings\":" MAP "}", ranges) > 0);
        expect_small_refused(ROOT, "[]", linux_,
                             "config.json: linux.uidMappings: 341 ranges, the kernel takes at most 340");
        free(linux_);
        free(ranges);
}

Test(config_linux, mappings_are_checked_by_the_idmap_model)
{
        /* one map without the other */
        expect_small_refused(ROOT, "[]", "{\"uidMappings\":" MAP "}",
                             "config.json: linux.gidMappings");
        /* overlap on the host side */
        expect_small_refused(ROOT, "[]",
                             "{\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":10},"
                             "{\"containerID\":10,\"hostID\":100005,\"size\":10}],\"gidMappings\":" MAP "}",
                             "config.json: linux.uidMappings");
        /* size 0 */
        expect_small_refused(ROOT, "[]",
                             "{\"uidMappings\":" MAP ",\"gidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":0}]}",
                             "config.json: linux.gidMappings");
}

Test(config_linux, empty_mapping_lists_mean_no_mapping)
{
        struct oci_config c;

        parse_small(ROOT, "[]", "{\"uidMappings\":[],\"gidMappings\":[]}", &c);
        cr_assert_not(c.has_idmap);
        cr_assert_eq(c.idmap.uid.n, 0);
        oci_config_free(&c);
}

Test(config_linux, user_namespace_with_a_path_is_joined)
{
        struct oci_config c;

        parse_small(ROOT, "[]", "{\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"user\",\"path\":\"/proc/42/ns/user\"}]}", &c);
        cr_assert(c.has_userns);
        cr_assert(c.userns_joined);
        cr_assert_not(c.has_idmap);
        oci_config_free(&c);

        parse_small(ROOT, "[]", "{\"namespaces\":[{\"type\":\"user\",\"path\":\"\"}],"
                    "\"uidMappings\":" MAP ",\"gidMappings\":" MAP "}", &c);
        cr_assert(c.has_userns);
        cr_assert_not(c.userns_joined, "an empty path joins nothing");
        parsetest_assert_container_mapping(&c.idmap);
        oci_config_free(&c);

        parse_small(ROOT, "[]", "{\"namespaces\":[{\"type\":\"mount\",\"path\":\"/proc/42/ns/mnt\"},"
                    "{\"type\":\"users\"},{\"type\":\"pid\"}]}", &c);
        cr_assert_not(c.has_userns);
        cr_assert_not(c.userns_joined);
        oci_config_free(&c);
}

Test(config_linux, broken_namespaces_are_refused_naming_the_entry)
{
        expect_small_refused(ROOT, "[]", "{\"namespaces\":{\"type\":\"user\"}}",
                             "config.json: linux.namespaces: expected an array, got object");
        expect_small_refused(ROOT, "[]", "{\"namespaces\":[{\"type\":\"pid\"},\"user\"]}",
                             "config.json: linux.namespaces[1]: expected an object, got string");
        expect_small_refused(ROOT, "[]", "{\"namespaces\":[{\"type\":\"pid\"},{\"path\":\"/x\"}]}",
                             "config.json: linux.namespaces[1].type: missing");
        expect_small_refused(ROOT, "[]", "{\"namespaces\":[{\"type\":7}]}",
                             "config.json: linux.namespaces[0].type: expected a string, got number");
        expect_small_refused(ROOT, "[]", "{\"namespaces\":[{\"type\":\"user\",\"path\":false}]}",
                             "config.json: linux.namespaces[0].path: expected a string, got boolean");
        expect_small_refused(ROOT, "[]", "[]", "config.json: linux: expected an object, got array");
}

Test(config_linux, masked_and_readonly_paths_must_be_strings)
{
        expect_small_refused(ROOT, "[]", "{\"maskedPaths\":[\"/a\",\"/b\",\"/c\",7]}",
                             "config.json: linux.maskedPaths[3]: expected a string, got number");
        expect_small_refused(ROOT, "[]", "{\"readonlyPaths\":\"/proc/sys\"}",
                             "config.json: linux.readonlyPaths: expected an array, got string");
}

Test(config_linux, annotations_must_map_strings_to_strings)
{
        expect_refused("{\"root\":{\"path\":\"/r\"},\"annotations\":{\"a\":\"b\",\"c\":[]}}",
                       "config.json: annotations.c: expected a string, got array");
        expect_refused("{\"root\":{\"path\":\"/r\"},\"annotations\":[]}",
                       "config.json: annotations: expected an object, got array");
}

/* ---- mounts ------------------------------------------------------------- */

Test(config_mounts, mount_with_mappings_of_its_own_is_read_runtime_spec_1_1)
{
        struct oci_config c;
        const struct oci_mount *m;

        parse_fixture("crafted/config-mount-mappings.json", &c);
        cr_assert_str_eq(c.rootfs, BUNDLE "/rootfs");
        cr_assert_eq(c.n_mounts, 2);
        cr_assert_not(c.mounts[0].has_idmap);
        m = &c.mounts[1];
        cr_assert_str_eq(m->destination, "/data");
        cr_assert(m->has_idmap);
        cr_assert_eq(m->idmap->uid.n, 2);
        cr_assert_eq(m->idmap->uid.r[1].container_id, 1000);
        cr_assert_eq(m->idmap->uid.r[1].host_id, 300000);
        cr_assert_eq(m->idmap->uid.r[1].size, 1);
        cr_assert_eq(m->idmap->gid.n, 1);
        cr_assert_eq(m->idmap->gid.r[0].host_id, 200000);
        parsetest_assert_container_mapping(&c.idmap);
        oci_config_free(&c);
}

Test(config_mounts, broken_mounts_are_refused_naming_index_and_field)
{
        expect_small_refused(ROOT, "{}", "{}", "config.json: mounts: expected an array, got object");
        expect_small_refused(ROOT, "[{\"destination\":\"/a\"},\"/b\"]", "{}",
                             "config.json: mounts[1]: expected an object, got string");
        expect_small_refused(ROOT, "[{\"destination\":\"/a\"},{\"destination\":\"/b\"},{\"type\":\"bind\"}]", "{}",
                             "config.json: mounts[2].destination: missing");
        expect_small_refused(ROOT, "[{\"destination\":\"/a\"},{\"destination\":\"/b\"},{\"destination\":\"vol\"}]", "{}",
                             "config.json: mounts[2].destination: \"vol\" is not absolute");
        expect_small_refused(ROOT, "[{\"destination\":\"\"}]", "{}",
                             "config.json: mounts[0].destination: \"\" is not absolute");
        expect_small_refused(ROOT, "[{\"destination\":[\"/a\"]}]", "{}",
                             "config.json: mounts[0].destination: expected a string, got array");
        expect_small_refused(ROOT, "[{\"destination\":\"/a\\u0000b\"}]", "{}",
                             "config.json: mounts[0].destination: \"/a\\x00b\" holds a NUL byte");
        expect_small_refused(ROOT, "[{\"destination\":\"/a\",\"type\":1}]", "{}",
                             "config.json: mounts[0].type: expected a string, got number");
        expect_small_refused(ROOT, "[{\"destination\":\"/a\",\"source\":null}]", "{}",
                             "config.json: mounts[0].source: expected a string, got null");
        expect_small_refused(ROOT, "[{\"destination\":\"/a\"},{\"destination\":\"/b\",\"options\":\"ro\"}]", "{}",
                             "config.json: mounts[1].options: expected an array, got string");
        expect_small_refused(ROOT, "[{\"destination\":\"/a\"},{\"destination\":\"/b\",\"options\":[\"ro\",true]}]", "{}",
                             "config.json: mounts[1].options[1]: expected a string, got boolean");
}

Test(config_mounts, mount_mappings_are_checked_with_the_mount_named)
{
        expect_small_refused(ROOT, "[{\"destination\":\"/a\"},{\"destination\":\"/vol\","
                             "\"uidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":-5}],\"gidMappings\":" MAP "}]",
                             "{}", "config.json: mounts[1].uidMappings[0].size: expected an integer");
        expect_small_refused(ROOT, "[{\"destination\":\"/a\"},{\"destination\":\"/vol\","
                             "\"uidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":0}],\"gidMappings\":" MAP "}]",
                             "{}", "config.json: mounts[1] (/vol): uidMappings");
        expect_small_refused(ROOT, "[{\"destination\":\"/a\"},{\"destination\":\"/vol\",\"gidMappings\":" MAP "}]",
                             "{}", "config.json: mounts[1] (/vol): uidMappings");
}

Test(config_mounts, option_lookups_are_exact)
{
        struct oci_config c;
        const struct oci_mount *m;

        parse_small(ROOT, "[{\"destination\":\"/a\",\"options\":[\"idmap=uids=0-1-2\",\"uid=1\",\"ro\",\"uid=2\"]}]",
                    "{}", &c);
        m = &c.mounts[0];
        cr_assert_not(oci_mount_has_option(m, "idmap"));
        cr_assert_not(oci_mount_has_option(m, "r"));
        cr_assert(oci_mount_has_option(m, "ro"));
        cr_assert_str_eq(oci_mount_option_value(m, "idmap"), "uids=0-1-2");
        cr_assert_str_eq(oci_mount_option_value(m, "uid"), "2", "the last one counts");
        cr_assert_null(oci_mount_option_value(m, "ui"));
        cr_assert_null(oci_mount_option_value(m, "ro"));
        oci_config_free(&c);
}

Test(config_mounts, more_than_OCI_MOUNTS_MAX_mounts_is_refused)
{
        size_t n = OCI_MOUNTS_MAX + 1, cap = n * 24 + 64, o = 0;
        char *mounts = malloc(cap);

        cr_assert_not_null(mounts);
        o += (size_t)snprintf(mounts + o, cap - o, "[");
        for (size_t i = 0; i < n; i++)
                o += (size_t)snprintf(mounts + o, cap - o, "%s{\"destination\":\"/m\"}", i ? "," : "");
        snprintf(mounts + o, cap - o, "]");
        {
                char *doc = small_config(ROOT, mounts, "{}");

                expect_refused_as(doc, E2BIG, "config.json: mounts: 4097 entries, the hook takes at most 4096");
                free(doc);
        }
        free(mounts);
}

/* ---- the document as a whole ------------------------------------------- */

Test(config_broken, duplicate_keys_are_refused_wherever_they_are)
{
        expect_sample_edit_refused("\"defaultErrnoRet\":38", "\"defaultErrnoRet\":38,\"defaultErrnoRet\":1",
                                   "config.json: linux.seccomp: duplicate key \"defaultErrnoRet\"");
        expect_sample_edit_refused("\"destination\":\"/vol\"", "\"destination\":\"/vol\",\"destination\":\"/etc\"",
                                   "config.json: mounts[4]: duplicate key \"destination\"");
        expect_sample_edit_refused("\"readonly\":true", "\"readonly\":true,\"readonly\":false",
                                   "config.json: root: duplicate key \"readonly\"");
        expect_sample_edit_refused("{\"ociVersion\":", "{\"linux\":{},\"ociVersion\":",
                                   "config.json: duplicate key \"linux\"");
}

Test(config_broken, data_after_the_document_is_refused)
{
        size_t len;
        char *doc = parsetest_fixture_then(CRUN_CONFIG, "\n{}", &len);
        char want[128];

        snprintf(want, sizeof(want), "config.json: unexpected data after the document at byte %zu", len + 1);
        expect_refused(doc, want);
        free(doc);
}

/* For the drivers in lib_parse_util.c: what any config taken must hold. */
static int parse_and_check(const char *buf, size_t len, struct err *e)
{
        struct oci_config c;
        int r = oci_config_parse(buf, len, BUNDLE, "config.json", &c, e);

        if (r == 0) {
                cr_assert_eq(c.rootfs[0], '/');
                for (size_t m = 0; m < c.n_mounts; m++)
                        cr_assert_eq(c.mounts[m].destination[0], '/');
                oci_config_free(&c);
        }
        return r;
}

Test(config_broken, every_truncation_of_the_sample_is_refused, .timeout = 120)
{
        parsetest_every_truncation_refused(CRUN_CONFIG, "config.json: ", parse_and_check);
}

Test(config_broken, a_million_values_are_refused_before_the_memory_runs_out)
{
        size_t n = JSON_MAX_VALUES, len = 2 * n + 64;
        char *doc = malloc(len);
        size_t o;

        cr_assert_not_null(doc);
        o = (size_t)sprintf(doc, "{\"root\":{\"path\":\"/r\"},\"x\":[");
        for (size_t i = 0; i < n; i++) {
                doc[o++] = '0';
                doc[o++] = ',';
        }
        strcpy(doc + o - 1, "]}");
        expect_refused_as(doc, E2BIG, "config.json: x: more than 1048576 values");
        free(doc);
}

Test(config_broken, many_distinct_keys_cost_no_quadratic_time, .timeout = 30)
{
        /* Duplicate keys are found by sorting large objects; pairwise
         * comparison of 200000 keys would take minutes. */
        size_t n = 200000, cap = n * 24 + 64, o = 0;
        char *doc = malloc(cap);
        struct oci_config c;
        struct err e;
        struct timespec t0, t1;

        cr_assert_not_null(doc);
        o += (size_t)snprintf(doc + o, cap - o, "{\"root\":{\"path\":\"/r\"},\"x\":{");
        for (size_t i = 0; i < n; i++)
                o += (size_t)snprintf(doc + o, cap - o, "%s\"k%zu\":0", i ? "," : "", i);
        snprintf(doc + o, cap - o, "}}");
        clock_gettime(CLOCK_MONOTONIC, &t0);
        cr_assert_eq(parse(doc, &c, &e), 0, "%s", e.msg);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        cr_assert_lt(t1.tv_sec - t0.tv_sec, 5);
        oci_config_free(&c);
        free(doc);
}

Test(config_broken, load_names_the_missing_file)
{
        struct oci_config c;
        struct err e;

        err_clear(&e);
        parsetest_assert_refused(oci_config_load("/nonexistent-bundle", &c, &e), &e, ENOENT,
                                 "open `/nonexistent-bundle/config.json`: No such file or directory");
}

Test(config_broken, load_refuses_more_than_OCI_CONFIG_MAX_bytes)
{
        char *dir, *path = parsetest_tmpfile("config.json", "", 0, &dir);
        struct oci_config c;
        struct err e;

        /* sparse: the size is refused before any parsing */
        cr_assert_eq(truncate(path, OCI_CONFIG_MAX + 1), 0);
        err_clear(&e);
        parsetest_assert_refused(oci_config_load(dir, &c, &e), &e, EFBIG,
                                 "/config.json` is larger than 16777216 bytes");
        parsetest_rm_tmpfile(path, dir);
}

Test(config_broken, files_in_fixtures_bad_are_refused_naming_the_field)
{
        static const struct {
                const char *file;
                const char *needle;
        } cases[] = {
                { "config-root-path-number.json", "config.json: root.path: expected a string, got number" },
                { "config-uidmapping-negative.json",
                  "config.json: linux.uidMappings[0].hostID: expected an integer from 0 to 4294967295, got -1" },
                { "config-uidmapping-too-big.json",
                  "config.json: linux.gidMappings[0].size: expected an integer from 0 to 4294967295, got 4294967296" },
                { "config-uidmapping-fraction.json",
                  "config.json: linux.uidMappings[0].hostID: expected an integer from 0 to 4294967295, got 100000.5" },
                { "config-gidmappings-missing.json", "config.json: linux.gidMappings" },
                { "config-mount-relative-destination.json",
                  "config.json: mounts[2].destination: \"vol\" is not absolute" },
                { "config-mount-options-not-strings.json",
                  "config.json: mounts[0].options[1]: expected a string, got number" },
                { "config-duplicate-key-in-mount.json", "config.json: mounts[1]: duplicate key \"destination\"" },
                { "config-mount-mapping-zero-size.json", "config.json: mounts[1] (/data): uidMappings" },
                { "config-namespace-without-type.json", "config.json: linux.namespaces[1].type: missing" },
                { "config-trailing-garbage.json", "config.json: unexpected data after the document at byte" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char rel[256], *doc;

                snprintf(rel, sizeof(rel), "bad/%s", cases[i].file);
                doc = parsetest_fixture(rel, NULL);
                expect_refused(doc, cases[i].needle);
                free(doc);
        }
        PARSETEST_ASSERT_BAD_FILES_LISTED("config-", cases);
}

/* ---- files that are not regular files ---------------------------------- */

/* A fresh bundle directory with nothing in it. */
static char *empty_bundle(void)
{
        char *dir = strdup("/tmp/oci-idmap-cfg.XXXXXX");

        cr_assert_not_null(mkdtemp(dir));
        return dir;
}

static void remove_bundle(char *dir)
{
        char *path;

        cr_assert(asprintf(&path, "%s/config.json", dir) > 0);
        unlink(path);
        rmdir(path);
        cr_assert_eq(rmdir(dir), 0, "rmdir %s: %m", dir);
        free(path);
        free(dir);
}

/* Loads dir/config.json, which must be refused at once with `what`. */
static void expect_load_refused(const char *dir, int errnum, const char *what)
{
        char needle[512];
        struct oci_config c;
        struct err e;

        snprintf(needle, sizeof(needle), "`%s/config.json` is %s, not a regular file", dir, what);
        err_clear(&e);
        parsetest_assert_refused(oci_config_load(dir, &c, &e), &e, errnum, needle);
}

/* With no writer, open(O_RDONLY) of a FIFO would wait for one for ever:
 * the timeout fails the test if the loader blocks. */
Test(config_file, a_fifo_is_refused_without_blocking, .timeout = 10)
{
        char *dir = empty_bundle(), *path;

        cr_assert(asprintf(&path, "%s/config.json", dir) > 0);
        cr_assert_eq(mkfifo(path, 0600), 0);
        expect_load_refused(dir, EINVAL, "a FIFO");
        cr_assert_eq(oci_config_probe_userns(path), OCI_PROBE_UNKNOWN);
        free(path);
        remove_bundle(dir);
}

Test(config_file, a_directory_socket_or_device_is_refused_naming_it, .timeout = 10)
{
        char *dir = empty_bundle(), *path;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int sock;

        cr_assert(asprintf(&path, "%s/config.json", dir) > 0);
        cr_assert_eq(mkdir(path, 0700), 0);
        expect_load_refused(dir, EISDIR, "a directory");
        cr_assert_eq(rmdir(path), 0);

        /* a symlink is followed, to what it names */
        cr_assert_eq(symlink("/dev/null", path), 0);
        expect_load_refused(dir, EINVAL, "a character device");
        cr_assert_eq(unlink(path), 0);

        sock = socket(AF_UNIX, SOCK_STREAM, 0);
        cr_assert_geq(sock, 0);
        cr_assert_lt(strlen(path), sizeof(sa.sun_path));
        strcpy(sa.sun_path, path);
        cr_assert_eq(bind(sock, (struct sockaddr *)&sa, sizeof(sa)), 0, "bind: %m");
        expect_load_refused(dir, EINVAL, "a socket");
        close(sock);
        free(path);
        remove_bundle(dir);
}

/* `crun run --config other.json`: the file's name is in the messages, and
 * a relative root.path is the bundle's, not the file's directory's. */
Test(config_file, load_file_resolves_root_path_against_the_bundle_given)
{
        const char *doc = "{\"root\":{\"path\":\"rootfs\"},\"linux\":{\"uidMappings\":5}}";
        const char *good = "{\"root\":{\"path\":\"../r\"}}";
        char *dir, *path = parsetest_tmpfile("other.json", good, strlen(good), &dir);
        struct oci_config c;
        struct err e;
        FILE *f;

        err_clear(&e);
        cr_assert_eq(oci_config_load_file(path, "/srv/bundle", &c, &e), 0, "%s", e.msg);
        cr_assert_str_eq(c.rootfs, "/srv/r");
        oci_config_free(&c);

        f = fopen(path, "w");
        cr_assert_not_null(f);
        fputs(doc, f);
        fclose(f);
        parsetest_assert_refused(oci_config_load_file(path, "/srv/bundle", &c, &e), &e, EINVAL,
                                 "other.json: linux.uidMappings: expected an array, got number");
        parsetest_rm_tmpfile(path, dir);
}

/* ---- the lenient probe ------------------------------------------------- */

/* A config with a user namespace and mappings around `linux_`. */
#define USERNS_LINUX "{\"namespaces\":[{\"type\":\"user\"}],\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}],\"gidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]}"
#define NO_USERNS_LINUX "{\"namespaces\":[{\"type\":\"mount\"}]}"

static void expect_probe(const char *doc, enum oci_userns_probe want, const char *why)
{
        static const char *const names[] = { "NO_USERNS", "USERNS", "UNKNOWN" };
        enum oci_userns_probe got = oci_config_probe_userns_text(doc, strlen(doc));

        cr_assert_eq(got, want, "%s: probe said %s, expected %s: %s", why, names[got], names[want],
                     doc);
}

/* The strict reader refuses each of these, and so must not be the judge. */
static void expect_strict_refuses(const char *doc)
{
        struct oci_config c;
        struct err e;

        cr_assert_lt(parse(doc, &c, &e), 0, "strict reader took %s", doc);
}

Test(config_probe, the_last_repeated_key_counts_for_runc_the_first_for_crun)
{
        static const struct {
                const char *doc;
                enum oci_userns_probe want;
                const char *why;
        } cases[] = {
                { "{\"root\":{\"path\":\"/r\"},\"linux\":" NO_USERNS_LINUX ",\"linux\":" USERNS_LINUX "}",
                  OCI_PROBE_UNKNOWN, "runc takes the last linux (userns), crun the first (none)" },
                { "{\"root\":{\"path\":\"/r\"},\"linux\":" USERNS_LINUX ",\"linux\":" NO_USERNS_LINUX "}",
                  OCI_PROBE_UNKNOWN, "runc: the merged linux keeps uidMappings, but namespaces is the last" },
                { "{\"root\":{\"path\":\"/r\"},\"linux\":" USERNS_LINUX ",\"linux\":" USERNS_LINUX "}",
                  OCI_PROBE_USERNS, "both readings agree" },
                { "{\"root\":{\"path\":\"/r\"},\"linux\":" NO_USERNS_LINUX ",\"linux\":" NO_USERNS_LINUX "}",
                  OCI_PROBE_NO_USERNS, "both readings agree" },
                { "{\"root\":{\"path\":\"/r\"},\"root\":{\"path\":\"/s\"},\"linux\":" USERNS_LINUX "}",
                  OCI_PROBE_USERNS, "a repeated key elsewhere changes nothing" },
                { "{\"linux\":{\"namespaces\":[{\"type\":\"user\"}]},\"linux\":{\"uidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":1}]}}",
                  OCI_PROBE_UNKNOWN, "runc merges both linux objects into a user namespace with mappings; crun sees no mappings" },
                { "{\"linux\":{\"namespaces\":[{\"type\":\"user\",\"type\":\"mount\"}],\"uidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":1}]}}",
                  OCI_PROBE_UNKNOWN, "runc: mount, crun: user" },
                { "{\"linux\":{\"namespaces\":[{\"type\":\"mount\",\"type\":\"user\"}],\"uidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":1}]}}",
                  OCI_PROBE_UNKNOWN, "runc: user, crun: mount" },
                { "{\"linux\":" USERNS_LINUX ",\"linux\":null}", OCI_PROBE_UNKNOWN,
                  "null resets runc's linux; crun takes the first" },
                { "{\"linux\":{\"namespaces\":[{\"type\":\"user\"}],\"namespaces\":[{\"mount\":1}],\"uidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":1}]}}",
                  OCI_PROBE_UNKNOWN, "runc's element 0 keeps a stale type" },
        };

        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                expect_strict_refuses(cases[i].doc);
                expect_probe(cases[i].doc, cases[i].want, cases[i].why);
        }
}

Test(config_probe, keys_match_as_each_runtime_matches_them)
{
        /* Go matches struct fields regardless of case: runc reads "Linux"
         * and "NAMESPACES"; crun reads exact names only. */
        expect_probe("{\"Linux\":" USERNS_LINUX ",\"x\":1,\"x\":2}", OCI_PROBE_UNKNOWN, "runc: user, crun: none");
        expect_probe("{\"linux\":" USERNS_LINUX ",\"LINUX\":" NO_USERNS_LINUX ",\"x\":1,\"x\":2}",
                     OCI_PROBE_UNKNOWN, "runc: the last, LINUX, replaces namespaces");
        /* "lınux" with a dotless i folds to LINUX in Go 1.21 and later only */
        expect_probe("{\"l\xc4\xb1nux\":" USERNS_LINUX ",\"x\":1,\"x\":2}", OCI_PROBE_UNKNOWN,
                     "folding depends on runc's Go");
        expect_probe("{\"linux\":" USERNS_LINUX ",\"linuxx\":" NO_USERNS_LINUX ",\"x\":1,\"x\":2}",
                     OCI_PROBE_USERNS, "linuxx is another key");
}

Test(config_probe, what_one_runtime_refuses_leaves_the_other_to_answer)
{
        /* Invalid UTF-8: yajl (crun) refuses it, Go (runc) takes it. */
        expect_probe("{\"linux\":" USERNS_LINUX ",\"annotations\":{\"a\":\"\xff\"}}", OCI_PROBE_USERNS,
                     "runc runs it with a user namespace");
        expect_probe("{\"linux\":" NO_USERNS_LINUX ",\"annotations\":{\"a\":\"\xff\"}}",
                     OCI_PROBE_NO_USERNS, "runc runs it without");
        /* Comments: yajl_tree_parse (crun) takes them, Go refuses. */
        expect_probe("{\"linux\":" USERNS_LINUX " /* c */, \"x\":1, \"x\":2}", OCI_PROBE_USERNS,
                     "crun runs it with a user namespace");
        expect_probe("{\"linux\":" NO_USERNS_LINUX " // c\n}", OCI_PROBE_NO_USERNS,
                     "crun runs it without");
        /* Data after the document: Go's json.Decoder stops before it. */
        expect_probe("{\"linux\":" USERNS_LINUX "} trailing", OCI_PROBE_USERNS,
                     "runc runs it with a user namespace");
        /* A type Go refuses: runc fails; crun's reading is unclear. */
        expect_probe("{\"linux\":\"no\",\"linux\":" USERNS_LINUX "}", OCI_PROBE_UNKNOWN,
                     "crun takes the first, a string");
        /* Neither takes it: no container runs, nothing to fail. */
        expect_probe("{\"linux\":", OCI_PROBE_NO_USERNS, "not JSON");
        expect_probe("[1,2]", OCI_PROBE_NO_USERNS, "not an object");
}

Test(config_probe, nesting_the_runtimes_take_is_read)
{
        size_t depth = 100;
        char *doc = malloc(4 * depth + 512), *p;

        /* 100 levels of objects under an unknown key, with a repeated key
         * for the strict reader to refuse. */
        cr_assert_not_null(doc);
        p = doc + sprintf(doc, "{\"linux\":" USERNS_LINUX ",\"x\":1,\"x\":2,\"deep\":");
        for (size_t i = 0; i < depth; i++)
                p += sprintf(p, "{\"k\":");
        p += sprintf(p, "1");
        for (size_t i = 0; i < depth; i++)
                *p++ = '}';
        strcpy(p, "}");
        expect_strict_refuses(doc);
        expect_probe(doc, OCI_PROBE_USERNS, "100 levels deep");
        free(doc);
}

/* tests/fixtures/lenient: what runc and crun were seen to do with each is
 * checked in tests/e2e/test_lenient_config.c. */
Test(config_probe, lenient_fixtures_get_the_answer_the_runtimes_give)
{
        static const struct {
                const char *file;
                bool strict_takes_it;
                enum oci_userns_probe want;
        } cases[] = {
                { "no-userns-invalid-utf8.json", false, OCI_PROBE_NO_USERNS },
                { "no-userns-comment.json", false, OCI_PROBE_NO_USERNS },
                { "no-userns-repeated-keys.json", false, OCI_PROBE_NO_USERNS },
                { "userns-nested-100-deep.json", true, OCI_PROBE_USERNS },
                { "runc-last-linux-has-no-userns.json", false, OCI_PROBE_UNKNOWN },
        };

        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                char rel[256], *doc;
                size_t len;
                struct oci_config c;
                struct err e;
                int r;

                snprintf(rel, sizeof(rel), "lenient/%s", cases[i].file);
                doc = parsetest_fixture(rel, &len);
                err_clear(&e);
                r = oci_config_parse(doc, len, BUNDLE, "config.json", &c, &e);
                cr_assert_eq(r == 0, cases[i].strict_takes_it, "%s: strict reader: %s",
                             cases[i].file, r == 0 ? "took it" : e.msg);
                if (r == 0)
                        oci_config_free(&c);
                cr_assert_eq(oci_config_probe_userns_text(doc, len), cases[i].want, "%s",
                             cases[i].file);
                free(doc);
        }
}

Test(config_probe, the_sample_with_a_repeated_key_has_a_user_namespace)
{
        char *orig = parsetest_fixture(CRUN_CONFIG, NULL);
        char *doc = parsetest_replace(orig, "\"root\":{", "\"root\":{\"readonly\":false,\"readonly\":false,");

        expect_strict_refuses(doc);
        expect_probe(doc, OCI_PROBE_USERNS, "podman's sample");
        free(doc);
        free(orig);
}

/* ---- no input crashes the parser -------------------------------------- */

Test(config_fuzz, mutated_samples_never_crash_and_fail_cleanly, .timeout = 120)
{
        parsetest_fuzz(&(struct parsetest_fuzz){
                .samples = (const char *const[]){ CRUN_CONFIG, "crafted/config-mount-mappings.json", NULL },
                .rounds = 10000,
                .seed = 0xc0ffee11ull,
                .prefix = "config.json: ",
                .parse = parse_and_check,
        });
}
