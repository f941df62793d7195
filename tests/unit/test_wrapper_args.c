/* oci-idmap-runtime's reading of a runtime command line, of its own name and
 * of its config file: pure functions, no privilege. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "hook/wrapper_args.h"

#define ARGV(...) ((char *const[]){ __VA_ARGS__, NULL })
#define ARGC(v) ((int)(sizeof(v) / sizeof((v)[0])) - 1)

static struct wrap_args parse_v(int argc, char *const argv[])
{
        struct wrap_args a;

        wrap_args_parse(argc, argv, &a);
        return a;
}
#define PARSE(...) parse_v(ARGC(ARGV(__VA_ARGS__)), ARGV(__VA_ARGS__))

static void expect_str(const char *got, const char *want, const char *what)
{
        if (!want)
                cr_assert_null(got, "%s: expected none, got \"%s\"", what, got);
        else
                cr_assert(got && strcmp(got, want) == 0, "%s: expected \"%s\", got \"%s\"", what,
                          want, got ? got : "(none)");
}

/* ---- the subcommand, after the global flags ----------------------------- */

Test(wrapper_args, create_and_run_are_found_after_global_flags_with_values)
{
        struct wrap_args a = PARSE("runc", "--root", "/run/x", "--log", "/l", "--log-format", "json",
                                   "create", "--bundle", "/b", "id");
        cr_assert_eq(a.command, WRAP_CREATE);
        cr_assert_eq(a.command_index, 7);
        expect_str(a.bundle, "/b", "bundle");
        expect_str(a.log, "/l", "log");
        expect_str(a.log_format, "json", "log-format");

        a = PARSE("crun", "--cgroup-manager", "cgroupfs", "--log-level", "debug", "run", "id");
        cr_assert_eq(a.command, WRAP_RUN);
        cr_assert_eq(a.command_index, 5);
        expect_str(a.bundle, NULL, "bundle");
}

Test(wrapper_args, a_flag_value_that_reads_create_is_not_the_subcommand)
{
        struct wrap_args a = PARSE("runc", "--root", "create", "state", "create");

        cr_assert_eq(a.command, WRAP_PASS);
        cr_assert_eq(a.command_index, 3);
        a = PARSE("runc", "--log", "run", "--log-format", "create", "run", "-b", "/b", "x");
        cr_assert_eq(a.command, WRAP_RUN);
        cr_assert_eq(a.command_index, 5);
        expect_str(a.bundle, "/b", "bundle");
}

Test(wrapper_args, flags_without_values_are_skipped)
{
        struct wrap_args a = PARSE("runc", "--debug", "--systemd-cgroup", "create", "x");

        cr_assert_eq(a.command, WRAP_CREATE);
        cr_assert_eq(a.command_index, 3);
        a = PARSE("crun", "--debug=true", "--systemd-cgroup", "run", "x");
        cr_assert_eq(a.command, WRAP_RUN);
        cr_assert_eq(a.command_index, 3);
}

Test(wrapper_args, flag_equals_value_takes_no_next_argument)
{
        struct wrap_args a = PARSE("runc", "--root=/r", "--log=/l", "--log-format=json", "create", "x");

        cr_assert_eq(a.command, WRAP_CREATE);
        cr_assert_eq(a.command_index, 4);
        expect_str(a.log, "/l", "log");
        expect_str(a.log_format, "json", "log-format");
}

Test(wrapper_args, go_style_one_dash_long_flags_take_values)
{
        struct wrap_args a = PARSE("runc", "-root", "/r", "-log=/l", "create", "-bundle", "/b", "x");

        cr_assert_eq(a.command, WRAP_CREATE);
        cr_assert_eq(a.command_index, 4);
        expect_str(a.log, "/l", "log");
        expect_str(a.bundle, "/b", "bundle");
}

Test(wrapper_args, other_commands_are_handed_through)
{
        static const char *const cmds[] = { "start", "exec", "kill", "delete", "state", "ps",
                                            "events", "features", "list", "spec", "update" };

        for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
                struct wrap_args a = PARSE("runc", "--root", "/r", (char *)cmds[i], "--bundle", "/b");
                cr_assert_eq(a.command, WRAP_PASS, "%s", cmds[i]);
                cr_assert_eq(a.command_index, 3, "%s", cmds[i]);
                expect_str(a.bundle, NULL, cmds[i]);
        }
}

Test(wrapper_args, version_help_and_nothing_are_handed_through)
{
        cr_assert_eq(PARSE("runc", "--version").command, WRAP_PASS);
        cr_assert_eq(PARSE("runc", "--version").command_index, -1);
        cr_assert_eq(PARSE("crun", "-v").command, WRAP_PASS);
        cr_assert_eq(PARSE("runc", "--help").command_index, -1);
        cr_assert_eq(PARSE("runc").command_index, -1);
        /* a value flag at the end: no subcommand, the runtime complains */
        cr_assert_eq(PARSE("runc", "--root").command_index, -1);
}

Test(wrapper_args, double_dash_ends_the_global_flags)
{
        struct wrap_args a = PARSE("runc", "--debug", "--", "create", "x");

        cr_assert_eq(a.command, WRAP_CREATE);
        cr_assert_eq(a.command_index, 3);
}

/* ---- create/run flags ----------------------------------------------------- */

Test(wrapper_args, bundle_in_every_form)
{
        expect_str(PARSE("runc", "create", "--bundle", "/b1", "x").bundle, "/b1", "--bundle DIR");
        expect_str(PARSE("runc", "create", "--bundle=/b2", "x").bundle, "/b2", "--bundle=DIR");
        expect_str(PARSE("runc", "create", "-b", "/b3", "x").bundle, "/b3", "-b DIR");
        expect_str(PARSE("crun", "create", "-b/b4", "x").bundle, "/b4", "-bDIR");
        expect_str(PARSE("runc", "create", "-b=/b5", "x").bundle, "/b5", "-b=DIR");
        expect_str(PARSE("runc", "create", "x").bundle, NULL, "none");
}

Test(wrapper_args, bundle_after_the_container_id_counts)
{
        expect_str(PARSE("runc", "run", "x", "--bundle", "/b").bundle, "/b", "after the id");
        expect_str(PARSE("runc", "run", "-d", "x", "-b", "/b").bundle, "/b", "after -d and the id");
}

Test(wrapper_args, values_of_other_create_flags_are_not_taken_for_the_bundle)
{
        struct wrap_args a = PARSE("runc", "create", "--console-socket", "-b", "--pid-file", "--bundle",
                                   "x");
        expect_str(a.bundle, NULL, "bundle");
        a = PARSE("runc", "create", "--preserve-fds", "1", "--bundle", "/b", "x");
        expect_str(a.bundle, "/b", "bundle");
}

Test(wrapper_args, last_bundle_wins_and_double_dash_ends_the_flags)
{
        expect_str(PARSE("runc", "create", "-b", "/1", "--bundle", "/2", "x").bundle, "/2", "last");
        expect_str(PARSE("runc", "create", "-b", "/1", "--", "--bundle", "/2").bundle, "/1", "--");
}

Test(wrapper_args, crun_config_in_every_form)
{
        expect_str(PARSE("crun", "create", "--config", "c1.json", "x").config, "c1.json", "--config F");
        expect_str(PARSE("crun", "create", "--config=c2.json", "x").config, "c2.json", "--config=F");
        expect_str(PARSE("crun", "run", "-f", "c3.json", "x").config, "c3.json", "-f F");
        expect_str(PARSE("crun", "run", "-fc4.json", "x").config, "c4.json", "-fF");
        expect_str(PARSE("crun", "run", "x").config, NULL, "none");
}

Test(wrapper_args, detach_flags_do_not_take_the_container_id)
{
        struct wrap_args a = PARSE("crun", "run", "-d", "--keep", "--no-pivot", "-b", "/b", "x");

        cr_assert_eq(a.command, WRAP_RUN);
        expect_str(a.bundle, "/b", "bundle");
}

/* ---- the name the wrapper is called as ---------------------------------- */

Test(wrapper_args, name_suffix_names_the_runtime)
{
        expect_str(wrap_runtime_from_name("/usr/bin/oci-idmap-runtime-crun"), "crun", "crun");
        expect_str(wrap_runtime_from_name("oci-idmap-runtime-runc"), "runc", "runc");
        expect_str(wrap_runtime_from_name("/usr/bin/oci-idmap-runtime"), NULL, "plain");
        expect_str(wrap_runtime_from_name("oci-idmap-runtime-"), NULL, "empty suffix");
        expect_str(wrap_runtime_from_name("/opt/oci-idmap-runtime-x/runc"), NULL, "directory");
        expect_str(wrap_runtime_from_name("runc"), NULL, "runc");
}

/* ---- the config file ------------------------------------------------------- */

Test(wrapper_args, config_file_names_the_runtime)
{
        char *rt = NULL;
        struct err e = { 0 };

        cr_assert_eq(wrap_conf_parse("# the real runtime\n\n  runtime =  /usr/bin/crun \t\n",
                                     "/etc/x.conf", &rt, &e), 0, "%s", e.msg);
        expect_str(rt, "/usr/bin/crun", "runtime");
        free(rt);
        cr_assert_eq(wrap_conf_parse("runtime=runc", "c", &rt, &e), 0, "%s", e.msg);
        expect_str(rt, "runc", "no blanks");
        free(rt);
        cr_assert_eq(wrap_conf_parse("# nothing\n", "c", &rt, &e), 0);
        cr_assert_null(rt);
}

static void expect_conf_error(const char *text, const char *msg)
{
        char *rt = (char *)"untouched";
        struct err e = { 0 };

        cr_assert_lt(wrap_conf_parse(text, "/etc/oci-idmap-runtime.conf", &rt, &e), 0, "%s", text);
        cr_assert_str_eq(e.msg, msg);
        cr_assert_null(rt);
}

Test(wrapper_args, config_file_errors_name_the_file_and_line)
{
        expect_conf_error("\nruntim = runc\n", "/etc/oci-idmap-runtime.conf:2: unknown key \"runtim\"");
        expect_conf_error("runtime\n", "/etc/oci-idmap-runtime.conf:1: expected `runtime = PATH`");
        expect_conf_error("#\n\n\nruntime = \n", "/etc/oci-idmap-runtime.conf:4: runtime is empty");
        expect_conf_error("runtime = a\nruntime = b\n",
                          "/etc/oci-idmap-runtime.conf:2: runtime given twice");
}
