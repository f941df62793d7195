/* An overlay's layers and options, from the super options its mount table
 * line shows: the kernel's own escapes and mountinfo's octal ones. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "oci/overlay.h"

static struct ovl_options parse_ok(const char *super)
{
        struct ovl_options o;
        struct err e = { 0 };

        cr_assert_eq(ovl_options_parse(super, "rootfs", &o, &e), 0, "%s", e.msg);
        return o;
}

Test(overlay_options, containerds_layers_come_top_first_with_upper_work_and_the_rest_kept)
{
        struct ovl_options o = parse_ok("rw,lowerdir=/s/3/fs:/s/2/fs:/s/1/fs,upperdir=/s/4/fs,"
                                        "workdir=/s/4/work,redirect_dir=on,index=off,uuid=on");

        cr_assert_eq(o.n_lower, 3);
        cr_assert_str_eq(o.lower[0], "/s/3/fs");
        cr_assert_str_eq(o.lower[2], "/s/1/fs");
        cr_assert_str_eq(o.upper, "/s/4/fs");
        cr_assert_str_eq(o.work, "/s/4/work");
        cr_assert_not(o.ro);
        cr_assert_eq(o.n_other, 3);
        cr_assert_str_eq(o.other[0], "redirect_dir=on");
        cr_assert_str_eq(o.other[2], "uuid=on");
        ovl_options_free(&o);
}

Test(overlay_options, paths_with_space_colon_comma_and_backslash_are_unescaped)
{
        /* as mountinfo shows "lowerdir=/tmp/lo a\\:b\\,c:/l2" given by mount(8) */
        struct ovl_options o = parse_ok("rw,lowerdir=/tmp/lo\\040a\\134:b\\134\\054c:/l2,"
                                        "upperdir=/u\\134\\134x,workdir=/w");

        cr_assert_eq(o.n_lower, 2);
        cr_assert_str_eq(o.lower[0], "/tmp/lo a:b,c");
        cr_assert_str_eq(o.lower[1], "/l2");
        cr_assert_str_eq(o.upper, "/u\\x");
        ovl_options_free(&o);
}

Test(overlay_options, layers_given_one_by_one_and_a_read_only_overlay)
{
        struct ovl_options o = parse_ok("ro,lowerdir+=/a,lowerdir+=/b\\134,c");

        cr_assert_eq(o.n_lower, 2);
        cr_assert_str_eq(o.lower[1], "/b,c");
        cr_assert_null(o.upper);
        cr_assert(o.ro);
        ovl_options_free(&o);
}

Test(overlay_options, an_option_name_is_read_unescaped_so_no_layer_passes_as_another_option)
{
        /* found by tests/fuzz/fuzz_overlay.c */
        struct ovl_options o = parse_ok("rw,lowerdir=/a,upperdi\\r=/x,workdir=/w");

        cr_assert_str_eq(o.upper, "/x");
        cr_assert_eq(o.n_other, 0);
        ovl_options_free(&o);
}

Test(overlay_options, what_cannot_be_rebuilt_is_refused_with_the_reason)
{
        static const struct {
                const char *super, *why;
        } bad[] = {
                { "rw,upperdir=/u,workdir=/w", "no lower layer" },
                { "rw,lowerdir=/a::/d", "data-only" },
                { "rw,lowerdir+=/a,datadir+=/d", "data-only" },
                { "rw,lowerdir=/a,upperdir=/u", "needs a work dir" },
                /* found by tests/fuzz/fuzz_overlay.c */
                { "rw,lowerdir=/a,lowerdir040\\060", "option \"lowerdir040", },
                { "rw,lowerdir=/a,upperdir", "option \"upperdir\"" },
        };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct ovl_options o;
                struct err e = { 0 };

                cr_assert_lt(ovl_options_parse(bad[i].super, "rootfs `/r`", &o, &e), 0, "%s",
                             bad[i].super);
                cr_assert(strstr(e.msg, bad[i].why) && strstr(e.msg, "rootfs `/r`"), "%s: %s",
                          bad[i].super, e.msg);
        }
}
