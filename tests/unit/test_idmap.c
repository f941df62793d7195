/* The id-mapping model: the kernel's uid_map rules, the exact text written,
 * and crun's idmap=... mount option. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/cleanup.h"
#include "oci/idmap.h"

#define MAX_ID 4294967295u

static struct id_map map_of(size_t n, const struct id_range *r)
{
        struct id_map m = { .n = n };

        memcpy(m.r, r, n * sizeof(r[0]));
        return m;
}

#define MAP(...) map_of(sizeof((struct id_range[]){ __VA_ARGS__ }) / sizeof(struct id_range), \
                        (struct id_range[]){ __VA_ARGS__ })
#define R(c, h, n) { .container_id = (c), .host_id = (h), .size = (n) }

static int validate(struct id_map m, struct err *e)
{
        err_clear(e);
        return idmap_validate(&m, "config.json: linux.uidMappings", e);
}

static void expect_refused(struct id_map m, const char *msg)
{
        struct err e;

        cr_assert_eq(validate(m, &e), -EINVAL, "expected refusal: %s", msg);
        cr_assert_eq(e.errnum, EINVAL);
        cr_assert_str_eq(e.msg, msg);
}

static void expect_taken(struct id_map m)
{
        struct err e;
        int ret = validate(m, &e);

        cr_assert_eq(ret, 0, "refused: %s", e.msg);
}

/* ---- idmap_validate ----------------------------------------------------- */

Test(idmap_validate, takes_the_usual_container_mapping)
{
        expect_taken(MAP(R(0, 100000, 65536)));
}

Test(idmap_validate, takes_size_1_and_the_whole_id_space_from_0)
{
        expect_taken(MAP(R(0, 0, 1)));
        /* The initial namespace's own map: ids 0..4294967294. */
        expect_taken(MAP(R(0, 0, MAX_ID)));
}

Test(idmap_validate, takes_4294967294_as_the_highest_id_on_either_side)
{
        expect_taken(MAP(R(4294967294u, 0, 1)));
        expect_taken(MAP(R(0, 4294967294u, 1)));
        expect_taken(MAP(R(4294967294u, 4294967294u, 1)));
}

Test(idmap_validate, refuses_size_0)
{
        expect_refused(MAP(R(0, 1000, 0)),
                       "config.json: linux.uidMappings[0]: size 0, a range maps at least one id");
}

Test(idmap_validate, refuses_a_host_range_past_2_to_the_32)
{
        expect_refused(MAP(R(0, 100000, 10), R(10, 200000, 10), R(20, MAX_ID, 2)),
                       "config.json: linux.uidMappings[2]: hostID 4294967295 + size 2 overflows");
}

Test(idmap_validate, refuses_a_container_range_past_2_to_the_32)
{
        expect_refused(MAP(R(MAX_ID, 0, MAX_ID)),
                       "config.json: linux.uidMappings[0]: containerID 4294967295 + size "
                       "4294967295 overflows");
}

Test(idmap_validate, refuses_id_4294967295_itself_on_either_side)
{
        expect_refused(MAP(R(MAX_ID, 0, 1)),
                       "config.json: linux.uidMappings[0]: containerID 4294967295 + size 1 "
                       "reaches 4294967295, which is (uid_t)-1 and never a valid id");
        expect_refused(MAP(R(0, MAX_ID, 1)),
                       "config.json: linux.uidMappings[0]: hostID 4294967295 + size 1 "
                       "reaches 4294967295, which is (uid_t)-1 and never a valid id");
        expect_refused(MAP(R(4294967294u, 0, 2)),
                       "config.json: linux.uidMappings[0]: containerID 4294967294 + size 2 "
                       "reaches 4294967295, which is (uid_t)-1 and never a valid id");
}

Test(idmap_validate, refuses_size_2_to_the_32_minus_1_from_id_1)
{
        expect_refused(MAP(R(1, 0, MAX_ID)),
                       "config.json: linux.uidMappings[0]: containerID 1 + size 4294967295 "
                       "reaches 4294967295, which is (uid_t)-1 and never a valid id");
        expect_refused(MAP(R(0, 1, MAX_ID)),
                       "config.json: linux.uidMappings[0]: hostID 1 + size 4294967295 "
                       "reaches 4294967295, which is (uid_t)-1 and never a valid id");
}

Test(idmap_validate, refuses_overlap_on_the_container_side)
{
        struct id_map m = MAP(R(0, 1000, 15), R(10, 5000, 10));
        struct err e;

        err_clear(&e);
        cr_assert_eq(idmap_validate(&m, "config.json: linux.gidMappings", &e), -EINVAL);
        cr_assert_str_eq(e.msg, "config.json: linux.gidMappings[1]: containerID range 10-19 "
                                "overlaps [0] 0-14");
}

Test(idmap_validate, refuses_overlap_on_the_host_side)
{
        expect_refused(MAP(R(0, 1000, 10), R(100, 1009, 1)),
                       "config.json: linux.uidMappings[1]: hostID range 1009-1009 overlaps "
                       "[0] 1000-1009");
}

Test(idmap_validate, refuses_overlap_with_any_earlier_range)
{
        expect_refused(MAP(R(0, 1000, 10), R(100, 2000, 10), R(5, 3000, 1)),
                       "config.json: linux.uidMappings[2]: containerID range 5-5 overlaps "
                       "[0] 0-9");
        /* A range wholly inside an earlier one. */
        expect_refused(MAP(R(100, 2000, 10), R(0, 1000, 1000)),
                       "config.json: linux.uidMappings[1]: containerID range 0-999 overlaps "
                       "[0] 100-109");
}

Test(idmap_validate, takes_ranges_that_touch_without_sharing_an_id)
{
        expect_taken(MAP(R(0, 1000, 10), R(10, 1010, 10)));
        expect_taken(MAP(R(10, 1010, 10), R(0, 1000, 10)));
        expect_taken(MAP(R(0, 4294967293u, 1), R(1, 4294967294u, 1)));
}

Test(idmap_validate, refuses_an_empty_map)
{
        struct id_map m = { .n = 0 };

        expect_refused(m, "config.json: linux.uidMappings: no ranges, the kernel needs at "
                          "least one");
}

static struct id_map many_small(size_t n)
{
        struct id_map m = { .n = n };

        for (size_t i = 0; i < n && i < IDMAP_MAX_RANGES; i++)
                m.r[i] = (struct id_range){ .container_id = (uint32_t)i,
                                            .host_id = (uint32_t)(1000 + i), .size = 1 };
        return m;
}

/* 10-digit ids on both sides: "4000000000 4100000000 1\n" is 24 bytes. */
static struct id_map many_wide(size_t n)
{
        struct id_map m = { .n = n };

        for (size_t i = 0; i < n; i++)
                m.r[i] = (struct id_range){ .container_id = (uint32_t)(4000000000u + i * 1000),
                                            .host_id = (uint32_t)(4100000000u + i * 1000),
                                            .size = 1000 };
        return m;
}

Test(idmap_validate, takes_340_ranges)
{
        expect_taken(many_small(340));
}

Test(idmap_validate, refuses_341_ranges)
{
        expect_refused(many_small(341),
                       "config.json: linux.uidMappings: 341 ranges, the kernel takes at most 340");
}

Test(idmap_validate, refuses_a_map_whose_text_does_not_fit_in_one_page)
{
        /* 340 * "4000000000 4100000000 1000\n" (27 bytes) = 9180 bytes. */
        expect_refused(many_wide(340),
                       "config.json: linux.uidMappings: 340 ranges make 9180 bytes of map text, "
                       "the kernel takes one write of at most 4095");
        /* 151 * 27 = 4077 bytes still fit. */
        expect_taken(many_wide(151));
}

/* ---- id_mapping_validate ------------------------------------------------ */

static int validate_both(struct id_mapping *m, struct err *e)
{
        err_clear(e);
        return id_mapping_validate(m, "config.json: linux.uidMappings",
                                   "config.json: linux.gidMappings", e);
}

Test(id_mapping_validate, takes_both_maps)
{
        struct id_mapping m = { .uid = MAP(R(0, 100000, 65536)), .gid = MAP(R(0, 100000, 65536)) };
        struct err e;

        cr_assert_eq(validate_both(&m, &e), 0, "%s", e.msg);
}

Test(id_mapping_validate, refuses_a_gid_map_without_a_uid_map)
{
        struct id_mapping m = { .gid = MAP(R(0, 100000, 65536), R(65536, 300000, 1)) };
        struct err e;

        cr_assert_eq(validate_both(&m, &e), -EINVAL);
        cr_assert_str_eq(e.msg, "config.json: linux.uidMappings: missing, while "
                                "config.json: linux.gidMappings has 2 ranges: both are needed");
}

Test(id_mapping_validate, refuses_a_uid_map_without_a_gid_map)
{
        struct id_mapping m = { .uid = MAP(R(0, 100000, 65536)) };
        struct err e;

        cr_assert_eq(validate_both(&m, &e), -EINVAL);
        cr_assert_str_eq(e.msg, "config.json: linux.gidMappings: missing, while "
                                "config.json: linux.uidMappings has 1 range: both are needed");
}

Test(id_mapping_validate, names_the_gid_map_when_it_is_the_bad_one)
{
        struct id_mapping m = { .uid = MAP(R(0, 100000, 65536)), .gid = MAP(R(0, 100000, 0)) };
        struct err e;

        cr_assert_eq(validate_both(&m, &e), -EINVAL);
        cr_assert_str_eq(e.msg, "config.json: linux.gidMappings[0]: size 0, a range maps at "
                                "least one id");
}

/* ---- idmap_render ------------------------------------------------------- */

Test(idmap_render, writes_one_line_per_range)
{
        struct id_map m = MAP(R(0, 100000, 65536));
        char buf[IDMAP_TEXT_MAX];

        cr_assert_eq(idmap_render(&m, buf, sizeof(buf)), 15);
        cr_assert_str_eq(buf, "0 100000 65536\n");
}

Test(idmap_render, writes_every_range_in_order)
{
        struct id_map m = MAP(R(1000, 2000, 10), R(0, 100000, 1000), R(4294967294u, 0, 1));
        char buf[IDMAP_TEXT_MAX];
        const char *want = "1000 2000 10\n0 100000 1000\n4294967294 0 1\n";

        cr_assert_eq(idmap_render(&m, buf, sizeof(buf)), (int)strlen(want));
        cr_assert_str_eq(buf, want);
}

Test(idmap_render, writes_340_small_ranges_under_a_page)
{
        struct id_map m = many_small(340);
        char buf[IDMAP_TEXT_MAX], want[IDMAP_TEXT_MAX * 2];
        size_t pos = 0;
        int ret;

        for (size_t i = 0; i < 340; i++)
                pos += (size_t)snprintf(want + pos, sizeof(want) - pos, "%zu %zu 1\n", i, 1000 + i);
        cr_assert_lt(pos, (size_t)IDMAP_TEXT_MAX);
        ret = idmap_render(&m, buf, sizeof(buf));
        cr_assert_eq(ret, (int)pos);
        cr_assert_str_eq(buf, want);
}

Test(idmap_render, refuses_340_wide_ranges_whatever_the_buffer)
{
        struct id_map m = many_wide(340);
        static char buf[16384];

        cr_assert_eq(idmap_render(&m, buf, sizeof(buf)), -E2BIG);
}

Test(idmap_render, refuses_340_ranges_of_the_widest_numbers)
{
        /* "4294967294 4294967294 1\n"-sized lines, 340 of them (not a valid
         * map: it is the size alone that must be refused). */
        struct id_map m = { .n = 340 };
        static char buf[16384];

        for (size_t i = 0; i < 340; i++)
                m.r[i] = (struct id_range){ .container_id = 4294967294u - (uint32_t)i,
                                            .host_id = 4294967294u - (uint32_t)i,
                                            .size = 1000000000 };
        cr_assert_eq(idmap_render(&m, buf, sizeof(buf)), -E2BIG);
}

Test(idmap_render, needs_room_for_the_text_and_its_nul)
{
        struct id_map m = MAP(R(0, 100000, 65536));
        char buf[16];

        cr_assert_eq(idmap_render(&m, buf, 15), -E2BIG);
        cr_assert_eq(idmap_render(&m, buf, 16), 15);
        cr_assert_str_eq(buf, "0 100000 65536\n");
}

Test(idmap_render, refuses_an_empty_map)
{
        struct id_map m = { .n = 0 };
        char buf[64];

        cr_assert_eq(idmap_render(&m, buf, sizeof(buf)), -EINVAL);
}

/* ---- idmap_format ------------------------------------------------------- */

Test(idmap_format, writes_colons_and_commas)
{
        struct id_map m = MAP(R(0, 100000, 65536), R(1000, 2000, 10));
        char buf[128];

        cr_assert_eq(idmap_format(&m, buf, sizeof(buf)), 27);
        cr_assert_str_eq(buf, "0:100000:65536,1000:2000:10");
}

Test(idmap_format, writes_a_single_range)
{
        struct id_map m = MAP(R(0, 100000, 65536));
        char buf[128];

        cr_assert_eq(idmap_format(&m, buf, sizeof(buf)), 14);
        cr_assert_str_eq(buf, "0:100000:65536");
}

Test(idmap_format, cuts_at_a_whole_range_when_short_of_room)
{
        struct id_map m = MAP(R(0, 100000, 65536), R(1000, 2000, 10));
        char buf[20];

        cr_assert_eq(idmap_format(&m, buf, sizeof(buf)), -E2BIG);
        cr_assert_str_eq(buf, "0:100000:65536...");
        cr_assert_eq(idmap_format(&m, buf, 27), -E2BIG);
        cr_assert_eq(idmap_format(&m, buf, 4), -E2BIG);
        cr_assert_str_eq(buf, "...");
}

/* ---- lookups and equality ----------------------------------------------- */

Test(idmap_lookup, host_has_covers_exactly_the_host_side)
{
        struct id_map m = MAP(R(0, 100000, 65536), R(70000, 4294967290u, 5));

        cr_assert_not(idmap_host_has(&m, 99999));
        cr_assert(idmap_host_has(&m, 100000));
        cr_assert(idmap_host_has(&m, 165535));
        cr_assert_not(idmap_host_has(&m, 165536));
        cr_assert_not(idmap_host_has(&m, 0));
        cr_assert(idmap_host_has(&m, 4294967294u));
        cr_assert_not(idmap_host_has(&m, MAX_ID));
}

Test(idmap_lookup, container_has_covers_exactly_the_inside)
{
        struct id_map m = MAP(R(0, 100000, 65536), R(4294967290u, 70000, 5));

        cr_assert(idmap_container_has(&m, 0));
        cr_assert(idmap_container_has(&m, 65535));
        cr_assert_not(idmap_container_has(&m, 65536));
        cr_assert_not(idmap_container_has(&m, 100000));
        cr_assert(idmap_container_has(&m, 4294967294u));
        cr_assert_not(idmap_container_has(&m, MAX_ID));
}

Test(idmap_lookup, an_empty_map_has_nothing)
{
        struct id_map m = { .n = 0 };

        cr_assert_not(idmap_host_has(&m, 0));
        cr_assert_not(idmap_container_has(&m, 0));
}

Test(idmap_equal, same_ranges_are_equal)
{
        struct id_map a = MAP(R(0, 100000, 65536)), b = MAP(R(0, 100000, 65536));

        cr_assert(idmap_equal(&a, &b));
        cr_assert(idmap_equal(&a, &a));
}

Test(idmap_equal, order_of_ranges_does_not_matter)
{
        struct id_map a = MAP(R(0, 1000, 10), R(10, 5000, 10));
        struct id_map b = MAP(R(10, 5000, 10), R(0, 1000, 10));

        cr_assert(idmap_equal(&a, &b));
}

Test(idmap_equal, a_split_range_equals_the_whole)
{
        struct id_map a = MAP(R(0, 1000, 20));
        struct id_map b = MAP(R(10, 1010, 10), R(0, 1000, 10));

        cr_assert(idmap_equal(&a, &b));
}

static bool equal(struct id_map a, struct id_map b)
{
        return idmap_equal(&a, &b);
}

Test(idmap_equal, different_maps_differ)
{
        struct id_map a = MAP(R(0, 1000, 20));

        cr_assert_not(equal(a, MAP(R(0, 1000, 19))));
        cr_assert_not(equal(a, MAP(R(0, 1001, 20))));
        cr_assert_not(equal(a, MAP(R(1, 1000, 20))));
        /* Touching on the inside only: not one range. */
        cr_assert_not(equal(a, MAP(R(0, 1000, 10), R(10, 2000, 10))));
        cr_assert_not(equal(a, (struct id_map){ .n = 0 }));
}

Test(id_mapping_equal, needs_both_kinds_equal)
{
        struct id_mapping a = { .uid = MAP(R(0, 100000, 65536)), .gid = MAP(R(0, 100000, 65536)) };
        struct id_mapping b = a;

        cr_assert(id_mapping_equal(&a, &b));
        b.gid.r[0].host_id = 200000;
        cr_assert_not(id_mapping_equal(&a, &b));
        b = a;
        b.uid.r[0].size = 1;
        cr_assert_not(id_mapping_equal(&a, &b));
}

/* ---- idmap_parse_crun_option -------------------------------------------- */

#define WHERE "config.json: mounts[4] (/vol): option idmap"

static const struct id_mapping podman_userns = {
        .uid = { .n = 1, .r = { { 0, 100000, 65536 } } },
        .gid = { .n = 1, .r = { { 0, 100000, 65536 } } },
};

static int parse(const char *value, const struct id_mapping *ctr, struct id_mapping *out,
                 struct err *e)
{
        err_clear(e);
        return idmap_parse_crun_option(value, ctr, out, WHERE, e);
}

static void expect_parsed(const char *value, const struct id_mapping *ctr, struct id_map uid,
                          struct id_map gid)
{
        struct id_mapping out;
        struct err e;
        char got[256], want[256];

        cr_assert_eq(parse(value, ctr, &out, &e), 0, "%s: %s", value, e.msg);
        idmap_format(&out.uid, got, sizeof(got));
        idmap_format(&uid, want, sizeof(want));
        cr_assert_str_eq(got, want, "uids of %s", value);
        idmap_format(&out.gid, got, sizeof(got));
        idmap_format(&gid, want, sizeof(want));
        cr_assert_str_eq(got, want, "gids of %s", value);
}

static void expect_bad(const char *value, const struct id_mapping *ctr, const char *msg)
{
        struct id_mapping out = { .uid = MAP(R(1, 2, 3)) };
        struct err e;

        cr_assert_eq(parse(value, ctr, &out, &e), -EINVAL, "%s was taken", value);
        cr_assert_str_eq(e.msg, msg);
        /* Nothing written on failure. */
        cr_assert_eq(out.uid.n, 1);
        cr_assert_eq(out.uid.r[0].size, 3);
}

/* A value refused as a whole is quoted, then the reason follows. */
static void expect_value_refused(const char *value, const char *why)
{
        char msg[512];

        snprintf(msg, sizeof(msg), WHERE ": \"%s\"%s", value, why);
        expect_bad(value, &podman_userns, msg);
}

static void expect_values_refused(const char *const *values, size_t n, const char *why)
{
        for (size_t i = 0; i < n; i++)
                expect_value_refused(values[i], why);
}

/* A value refused for one of its numbers: the value is quoted, then the
 * number, then the reason. */
struct bad_number {
        const char *value, *number;
};

static void expect_numbers_refused(const struct bad_number *cases, size_t n, const char *why)
{
        for (size_t i = 0; i < n; i++) {
                char msg[512];

                snprintf(msg, sizeof(msg), WHERE ": \"%s\": \"%s\" %s", cases[i].value,
                         cases[i].number, why);
                expect_bad(cases[i].value, &podman_userns, msg);
        }
}

Test(crun_option, reads_uids_and_gids)
{
        expect_parsed("uids=0-1-10;gids=0-100-10", &podman_userns, MAP(R(0, 1, 10)),
                      MAP(R(0, 100, 10)));
}

Test(crun_option, reads_several_ranges_separated_by_hash)
{
        expect_parsed("uids=0-1-10#10-11-10;gids=0-100-10#1000-4294967294-1", &podman_userns,
                      MAP(R(0, 1, 10), R(10, 11, 10)),
                      MAP(R(0, 100, 10), R(1000, 4294967294u, 1)));
}

Test(crun_option, takes_gids_before_uids)
{
        expect_parsed("gids=5-6-7;uids=1-2-3", &podman_userns, MAP(R(1, 2, 3)), MAP(R(5, 6, 7)));
}

Test(crun_option, skips_empty_pieces_between_semicolons)
{
        expect_parsed(";uids=1-2-3;;gids=5-6-7;", &podman_userns, MAP(R(1, 2, 3)),
                      MAP(R(5, 6, 7)));
}

Test(crun_option, takes_the_containers_gids_when_only_uids_are_given)
{
        expect_parsed("uids=1000-100000-1", &podman_userns, MAP(R(1000, 100000, 1)),
                      MAP(R(0, 100000, 65536)));
}

Test(crun_option, takes_the_containers_uids_when_only_gids_are_given)
{
        expect_parsed("gids=1000-100000-1", &podman_userns, MAP(R(0, 100000, 65536)),
                      MAP(R(1000, 100000, 1)));
}

Test(crun_option, empty_value_is_the_containers_mapping)
{
        expect_parsed("", &podman_userns, MAP(R(0, 100000, 65536)), MAP(R(0, 100000, 65536)));
}

Test(crun_option, refuses_a_missing_kind_when_the_container_has_no_mapping)
{
        expect_bad("uids=0-1-10", NULL,
                   WHERE ": no gids= given, and the container has no gid mapping to use");
        expect_bad("gids=0-1-10", NULL,
                   WHERE ": no uids= given, and the container has no uid mapping to use");
        expect_bad("", &(struct id_mapping){ 0 },
                   WHERE ": no uids= given, and the container has no uid mapping to use");
}

/* crun.1.md's example: container 0->0 (1) and 1->2 (1000). */
static const struct id_mapping crun_doc_userns = {
        .uid = { .n = 2, .r = { { 0, 0, 1 }, { 1, 2, 1000 } } },
        .gid = { .n = 2, .r = { { 0, 0, 1 }, { 1, 2, 1000 } } },
};

Test(crun_option, relative_range_follows_crun_docs_example)
{
        /* "uids=@1-3-10 ... will be converted to the absolute value uids=1-4-10" */
        expect_parsed("uids=@1-3-10", &crun_doc_userns, MAP(R(1, 4, 10)),
                      MAP(R(0, 0, 1), R(1, 2, 1000)));
}

Test(crun_option, relative_range_translates_the_middle_value_as_a_container_id)
{
        /* On-disk uid 1000 shown as the container's root (host 100000). */
        expect_parsed("uids=@1000-0-1;gids=@1000-0-1", &podman_userns, MAP(R(1000, 100000, 1)),
                      MAP(R(1000, 100000, 1)));
}

Test(crun_option, relative_range_never_looks_up_the_first_value)
{
        /* The container maps only 0..999; on-disk 5000 is not a container id
         * at all.  crun 1.8.1 looked 5000 up and failed; crun since PR #1372
         * and podman look up the middle value. */
        struct id_mapping small = { .uid = MAP(R(0, 100000, 1000)),
                                    .gid = MAP(R(0, 100000, 1000)) };

        expect_parsed("uids=@5000-10-5", &small, MAP(R(5000, 100010, 5)), MAP(R(0, 100000, 1000)));
}

Test(crun_option, relative_gids_use_the_containers_gid_map)
{
        struct id_mapping ctr = { .uid = MAP(R(0, 100000, 65536)),
                                  .gid = MAP(R(0, 300000, 65536)) };

        expect_parsed("uids=@0-0-10;gids=@0-0-10", &ctr, MAP(R(0, 100000, 10)),
                      MAP(R(0, 300000, 10)));
}

Test(crun_option, relative_and_absolute_ranges_mix)
{
        expect_parsed("uids=0-5000-1#@1-1-9", &podman_userns,
                      MAP(R(0, 5000, 1), R(1, 100001, 9)), MAP(R(0, 100000, 65536)));
}

Test(crun_option, relative_range_across_container_ranges_is_split)
{
        struct id_mapping ctr = { .uid = MAP(R(0, 100000, 10), R(10, 200000, 10)),
                                  .gid = MAP(R(0, 100000, 20)) };

        expect_parsed("uids=@0-5-10", &ctr, MAP(R(0, 100005, 5), R(5, 200000, 5)),
                      MAP(R(0, 100000, 20)));
}

Test(crun_option, refuses_a_relative_range_onto_unmapped_container_ids)
{
        expect_bad("uids=@0-65530-10", &podman_userns,
                   WHERE ": \"uids=@0-65530-10\": container uid 65536 is not in the container's "
                         "uid mapping");
        expect_bad("gids=@0-70000-1", &podman_userns,
                   WHERE ": \"gids=@0-70000-1\": container gid 70000 is not in the container's "
                         "gid mapping");
}

Test(crun_option, refuses_a_relative_range_without_a_container_mapping)
{
        expect_bad("uids=@0-0-1;gids=0-0-1", NULL,
                   WHERE ": \"uids=@0-0-1\": '@' is relative to the container's uid mapping, "
                         "and it has none");
}

Test(crun_option, needs_all_three_numbers)
{
        static const char *const values[] = {
                "uids=0-1", "uids=0", "uids=0-1-", "uids=@", "uids=0-1-10#5-6",
        };

        expect_values_refused(values, ARRAY_SIZE(values), " needs container-host-size");
}

Test(crun_option, refuses_empty_parts_and_ranges)
{
        static const char *const values[] = { "uids=0-1-10#", "uids=#0-1-10", "uids=0-1-1##2-2-2" };

        expect_value_refused("uids=", " has no ranges");
        expect_values_refused(values, ARRAY_SIZE(values), " has an empty range");
}

Test(crun_option, refuses_non_numbers)
{
        static const struct bad_number cases[] = {
                { "uids=0-x-10", "x" },         { "uids=0x10-1-10", "0x10" },
                { "uids=++1-2-3", "++1" },      { "uids=+ 1-2-3", "+ 1" },
                { "uids=0-1-10x", "10x" },      { "uids=@@0-1-10", "@0" },
                { "uids=+@0-1-10", "+@0" },     { "uids=0-+-10", "+" },
                { "uids=0- -10", " " },
        };

        expect_numbers_refused(cases, ARRAY_SIZE(cases), "is not a number");
}

/* The uid_map and gid_map text the option makes, as it is written. */
static void expect_map_text(const char *value, const struct id_mapping *ctr, const char *uid_map,
                            const char *gid_map)
{
        struct id_mapping out;
        struct err e;
        char text[IDMAP_TEXT_MAX];

        cr_assert_eq(parse(value, ctr, &out, &e), 0, "%s: %s", value, e.msg);
        cr_assert_gt(idmap_render(&out.uid, text, sizeof(text)), 0);
        cr_assert_str_eq(text, uid_map, "uid_map of %s", value);
        cr_assert_gt(idmap_render(&out.gid, text, sizeof(text)), 0);
        cr_assert_str_eq(text, gid_map, "gid_map of %s", value);
}

/* crun reads each number with strtol() and writes it back with "%ld": a
 * '+' (or white space) before the digits is no more than a sign. */
Test(crun_option, plus_sign_is_strtols_and_changes_nothing)
{
        expect_map_text("uids=0-1-10;gids=+0-1-10", &podman_userns, "0 1 10\n", "0 1 10\n");
        expect_map_text("uids=+0-+1-+10;gids=0-1-10", &podman_userns, "0 1 10\n", "0 1 10\n");
        expect_map_text("uids= 0- 1-\t10;gids=+5-6-7#+20-30-1", &podman_userns, "0 1 10\n",
                        "5 6 7\n20 30 1\n");
        /* gids alone: the uids are the container's own */
        expect_map_text("gids=+0-1-10", &podman_userns, "0 100000 65536\n", "0 1 10\n");
}

/* '@': the middle value is a container id, made the host id the
 * container's own mapping gives it. */
Test(crun_option, relative_range_becomes_host_ids_in_the_map_text)
{
        expect_map_text("uids=@0-1-10;gids=@0-1-10", &podman_userns, "0 100001 10\n",
                        "0 100001 10\n");
        /* a sign after the '@' is strtol()'s too */
        expect_map_text("uids=@+0-+1-10;gids=+0-1-10", &podman_userns, "0 100001 10\n",
                        "0 1 10\n");
        /* crun.1.md's example: container 0->0 (1), 1->2 (1000) */
        expect_map_text("uids=@1-3-10;gids=@1-3-10", &crun_doc_userns, "1 4 10\n", "1 4 10\n");
}

Test(crun_option, refuses_negative_numbers)
{
        static const struct bad_number cases[] = {
                { "uids=0--1-10", "-1" }, { "uids=-1-0-10", "-1" }, { "uids=0-0--10", "-10" },
        };

        expect_numbers_refused(cases, ARRAY_SIZE(cases), "is negative");
}

Test(crun_option, refuses_numbers_past_32_bits)
{
        static const struct bad_number cases[] = {
                { "uids=0-4294967296-1", "4294967296" },
                { "uids=99999999999999999999999-0-1", "99999999999999999999999" },
        };

        expect_numbers_refused(cases, ARRAY_SIZE(cases), "is past 4294967295");
}

Test(crun_option, refuses_trailing_junk)
{
        expect_bad("uids=0-1-10-5", &podman_userns,
                   WHERE ": \"uids=0-1-10-5\": \"-5\" is junk after container-host-size");
}

Test(crun_option, refuses_unknown_and_repeated_keys)
{
        static const char *const unknown[] = { "foo=1-2-3", "uid=1-2-3", "UIDS=1-2-3", "uids" };

        expect_values_refused(unknown, ARRAY_SIZE(unknown), " is neither uids=... nor gids=...");
        expect_bad("uids=0-1-10;uids=20-30-1", &podman_userns,
                   WHERE ": \"uids=20-30-1\" repeats uids=");
        expect_bad("gids=0-1-10;gids=20-30-1", &podman_userns,
                   WHERE ": \"gids=20-30-1\" repeats gids=");
}

Test(crun_option, checks_ranges_as_the_kernel_does)
{
        expect_bad("uids=0-1-0", &podman_userns,
                   WHERE ": uids[0]: size 0, a range maps at least one id");
        expect_bad("gids=0-1-10#0-4294967295-1", &podman_userns,
                   WHERE ": gids[1]: hostID 4294967295 + size 1 reaches 4294967295, which is "
                         "(uid_t)-1 and never a valid id");
        expect_bad("uids=4294967295-0-2", &podman_userns,
                   WHERE ": uids[0]: containerID 4294967295 + size 2 overflows");
        expect_bad("uids=0-100-15#10-5000-10", &podman_userns,
                   WHERE ": uids[1]: containerID range 10-19 overlaps [0] 0-14");
        expect_bad("uids=0-100-15#100-110-1", &podman_userns,
                   WHERE ": uids[1]: hostID range 110-110 overlaps [0] 100-114");
}

Test(crun_option, takes_340_ranges_and_refuses_341)
{
        char value[8192];
        size_t pos = (size_t)snprintf(value, sizeof(value), "uids=");
        struct id_mapping out;
        struct err e;

        for (int i = 0; i < 341; i++)
                pos += (size_t)snprintf(value + pos, sizeof(value) - pos, "%s%d-%d-1", i ? "#" : "",
                                        i, 1000 + i);
        cr_assert_eq(parse(value, &podman_userns, &out, &e), -EINVAL);
        cr_assert_str_eq(e.msg, WHERE ": uids: 341 ranges, the kernel takes at most 340");
        *strrchr(value, '#') = '\0';
        cr_assert_eq(parse(value, &podman_userns, &out, &e), 0, "%s", e.msg);
        cr_assert_eq(out.uid.n, 340);
        cr_assert_eq(out.uid.r[339].container_id, 339);
        cr_assert_eq(out.uid.r[339].host_id, 1339);
}

Test(crun_option, quotes_control_characters_on_one_line)
{
        expect_bad("uids=0-1\n-10\"", &podman_userns,
                   WHERE ": \"uids=0-1\\x0a-10\\\"\": \"1\\x0a\" is not a number");
}

Test(crun_option, may_write_over_the_container_mapping_it_reads)
{
        struct id_mapping m = podman_userns;
        struct err e;

        cr_assert_eq(idmap_parse_crun_option("uids=@1000-0-1", &m, &m, WHERE, &e), 0, "%s", e.msg);
        cr_assert(equal(m.uid, MAP(R(1000, 100000, 1))));
        cr_assert(idmap_equal(&m.gid, &podman_userns.gid));
}

Test(idmap_proc, kernel_text_with_padding_reads_back)
{
        struct id_map m;

        cr_assert_eq(idmap_parse_proc("         0     100000      65536\n     65536    1000000         10\n", &m), 0);
        cr_assert_eq(m.n, 2);
        cr_assert_eq(m.r[0].host_id, 100000);
        cr_assert_eq(m.r[0].size, 65536);
        cr_assert_eq(m.r[1].container_id, 65536);
        cr_assert_eq(m.r[1].size, 10);
}

Test(idmap_proc, empty_text_is_an_empty_map_and_junk_is_refused)
{
        struct id_map m;

        cr_assert_eq(idmap_parse_proc("", &m), 0);
        cr_assert_eq(m.n, 0);
        cr_assert_eq(idmap_parse_proc("0 100000\n", &m), -EINVAL);
        cr_assert_eq(idmap_parse_proc("0 100000 65536 7\n", &m), -EINVAL);
        cr_assert_eq(idmap_parse_proc("0 4294967296 1\n", &m), -EINVAL);
        cr_assert_eq(idmap_parse_proc("0 x 1\n", &m), -EINVAL);
}
