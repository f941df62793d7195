/* /proc/<pid>/mountinfo as a createRuntime hook sees it under crun and
 * runc, the kernel's escapes, and malformed lines. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "lib_parse_util.h"
#include "oci/mountinfo.h"

#define CRUN_MI "podman-4.3.1/crun/mountinfo-createRuntime.txt"
#define RUNC_MI "podman-4.3.1/runc/mountinfo-createRuntime.txt"
#define ROOTFS "/srv/containers/demo/rootfs"

static void load_fixture(const char *rel, struct mountinfo *mi)
{
        size_t len;
        char *buf = parsetest_fixture(rel, &len);
        struct err e;

        err_clear(&e);
        cr_assert_eq(mountinfo_parse(buf, len, rel, mi, &e), 0, "%s", e.msg);
        free(buf);
}

static int parse(const char *text, struct mountinfo *mi, struct err *e)
{
        err_clear(e);
        return mountinfo_parse(text, strlen(text), "mi", mi, e);
}

static void expect_refused(const char *text, const char *needle)
{
        struct mountinfo mi;
        struct err e;

        parsetest_assert_refused(parse(text, &mi, &e), &e, EINVAL, needle);
        cr_assert_eq(mi.n, 0);
        cr_assert_null(mi.e);
}

static const struct mountinfo_entry *top(const struct mountinfo *mi, const char *point)
{
        const struct mountinfo_entry *m = mountinfo_top(mi, point);

        cr_assert_not_null(m, "nothing mounted at %s", point);
        return m;
}

/* Both runtimes' samples, for the tests that compare them. */
static void load_both(struct mountinfo *crun, struct mountinfo *runc)
{
        load_fixture(CRUN_MI, crun);
        load_fixture(RUNC_MI, runc);
}

static void free_both(struct mountinfo *crun, struct mountinfo *runc)
{
        mountinfo_free(crun);
        mountinfo_free(runc);
}

#define LINE1 "1 0 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"

/* ---- the real samples --------------------------------------------------- */

Test(mountinfo_sample, every_line_is_read_with_its_fields)
{
        struct mountinfo mi;
        const struct mountinfo_entry *m;

        load_fixture(CRUN_MI, &mi);
        cr_assert_eq(mi.n, 54);
        m = &mi.e[0];
        cr_assert_eq(m->mount_id, 47);
        cr_assert_eq(m->parent_id, 46);
        cr_assert_eq(m->major, 254);
        cr_assert_eq(m->minor, 0);
        cr_assert_str_eq(m->root, "/");
        cr_assert_str_eq(m->mount_point, "/");
        cr_assert_str_eq(m->mount_options, "rw,relatime");
        cr_assert_str_eq(m->optional_fields, "");
        cr_assert_str_eq(m->fstype, "ext4");
        cr_assert_str_eq(m->source, "/dev/vda");
        cr_assert_str_eq(m->super_options, "rw,discard,resv_strict,resuid=65534,resgid=65534");
        cr_assert_eq(m->attrs, 0);
        cr_assert_not(m->idmapped);

        m = &mi.e[mi.n - 1];
        cr_assert_eq(m->mount_id, 101);
        cr_assert_str_eq(m->root, "/urandom");
        cr_assert_str_eq(m->mount_point, ROOTFS "/dev/urandom");
        cr_assert_str_eq(m->super_options, "rw,size=12334460k,nr_inodes=3083615,mode=755");
        mountinfo_free(&mi);
        cr_assert_null(mi.e);

        load_fixture(RUNC_MI, &mi);
        cr_assert_eq(mi.n, 54);
        mountinfo_free(&mi);
}

Test(mountinfo_sample, the_idmap_volume_is_idmapped_under_crun_only)
{
        struct mountinfo crun, runc;

        load_both(&crun, &runc);
        cr_assert(top(&crun, ROOTFS "/vol")->idmapped);
        cr_assert_eq(top(&crun, ROOTFS "/vol")->mount_id, 72);
        cr_assert_not(top(&runc, ROOTFS "/vol")->idmapped);
        for (size_t i = 0; i < runc.n; i++)
                cr_assert_not(runc.e[i].idmapped, "runc 1.1.5 idmaps nothing: %s",
                              runc.e[i].mount_point);
        cr_assert_not(top(&crun, ROOTFS)->idmapped);
        free_both(&crun, &runc);
}

Test(mountinfo_sample, the_ro_volume_is_read_only_under_runc_only)
{
        struct mountinfo crun, runc;

        load_both(&crun, &runc);
        /* at createRuntime crun has not yet applied "ro": it does so later,
         * through its handle on the old rootfs */
        cr_assert_eq(top(&runc, ROOTFS "/rovol")->attrs, MOUNT_ATTR_RDONLY);
        cr_assert_eq(top(&crun, ROOTFS "/rovol")->attrs & MOUNT_ATTR_RDONLY, 0);
        free_both(&crun, &runc);
}

Test(mountinfo_sample, per_mount_flags_come_from_field_6_not_the_super_options)
{
        struct mountinfo crun, runc;

        load_both(&crun, &runc);
        /* neither "relatime" nor "noatime": podman asked /dev strictatime */
        cr_assert_eq(top(&crun, ROOTFS "/dev")->attrs,
                     MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC | MOUNT_ATTR_STRICTATIME);
        cr_assert_eq(top(&runc, ROOTFS "/etc/hosts")->attrs,
                     MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
        /* "ro" in the super options of /mnt/extra is the filesystem's, the
         * mount's own are ro,nosuid,nodev */
        cr_assert_eq(top(&crun, "/mnt/extra")->attrs,
                     MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
        cr_assert_eq(top(&runc, ROOTFS "/sys")->attrs,
                     MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
        free_both(&crun, &runc);
}

Test(mountinfo_sample, the_rootfs_top_is_found_whatever_the_file_order)
{
        struct mountinfo crun, runc;

        load_both(&crun, &runc);
        /* crun lists 76 after 71..75, which are mounted on it */
        cr_assert_eq(top(&crun, ROOTFS)->mount_id, 76);
        cr_assert_eq(top(&runc, ROOTFS)->mount_id, 71);
        /* /dev/shm and /dev/pts are stacked twice on the host side */
        cr_assert_eq(top(&crun, "/dev/shm")->mount_id, 65);
        cr_assert_eq(top(&crun, "/dev/pts")->mount_id, 67);
        cr_assert_eq(top(&crun, "/")->mount_id, 47);
        cr_assert_null(mountinfo_top(&crun, ROOTFS "/nothing"));
        cr_assert_null(mountinfo_top(&crun, ROOTFS "/"), "no normalising: the caller's job");
        free_both(&crun, &runc);
}

Test(mountinfo_sample, parent_chains_tell_what_lies_below_what)
{
        struct mountinfo mi;
        const struct mountinfo_entry *rootfs, *pts, *shm, *root;

        load_fixture(CRUN_MI, &mi);
        rootfs = mountinfo_by_id(&mi, 76);
        pts = mountinfo_by_id(&mi, 82);
        shm = mountinfo_by_id(&mi, 75);
        root = mountinfo_by_id(&mi, 47);
        cr_assert_not_null(rootfs);
        cr_assert_not_null(pts);
        cr_assert_str_eq(pts->mount_point, ROOTFS "/dev/pts");
        cr_assert(mountinfo_is_below(&mi, pts, rootfs));
        cr_assert(mountinfo_is_below(&mi, shm, rootfs));
        cr_assert(mountinfo_is_below(&mi, pts, root));
        cr_assert_not(mountinfo_is_below(&mi, rootfs, pts));
        cr_assert_not(mountinfo_is_below(&mi, rootfs, rootfs));
        cr_assert_not(mountinfo_is_below(&mi, root, rootfs));
        cr_assert_not(mountinfo_is_below(&mi, mountinfo_by_id(&mi, 65), rootfs));
        cr_assert_null(mountinfo_by_id(&mi, 46));
        cr_assert_null(mountinfo_by_id(&mi, 70));
        mountinfo_free(&mi);
}

/* ---- what the kernel writes besides ------------------------------------ */

Test(mountinfo_format, octal_escapes_are_undone_in_paths_and_source)
{
        struct mountinfo mi;
        const struct mountinfo_entry *m;

        load_fixture("crafted/mountinfo-escapes.txt", &mi);
        cr_assert_eq(mi.n, 3);
        m = &mi.e[1];
        cr_assert_str_eq(m->root, "/srv/my data");
        cr_assert_str_eq(m->mount_point, "/mnt/with space\ttab\nnewline\\backslash");
        cr_assert_str_eq(m->source, "/dev/disk one");
        cr_assert_str_eq(m->optional_fields, "shared:7 master:3");
        cr_assert_eq(m->attrs, MOUNT_ATTR_NOSUID | MOUNT_ATTR_STRICTATIME);
        cr_assert_eq(m->shared, 7);
        cr_assert_eq(m->master, 3);
        cr_assert_eq(mountinfo_top(&mi, "/mnt/with space\ttab\nnewline\\backslash"), m);
        cr_assert_str_eq(mi.e[0].optional_fields, "shared:1");
        mountinfo_free(&mi);
}

Test(mountinfo_format, an_empty_source_is_a_field_of_its_own)
{
        struct mountinfo mi;
        const struct mountinfo_entry *m;

        load_fixture("crafted/mountinfo-escapes.txt", &mi);
        m = &mi.e[2];
        cr_assert_str_eq(m->fstype, "tmpfs");
        cr_assert_str_eq(m->source, "");
        cr_assert_str_eq(m->super_options, "rw,size=4k");
        mountinfo_free(&mi);
}

Test(mountinfo_format, many_optional_fields_and_idmapped_are_read)
{
        struct mountinfo mi;
        struct err e;

        cr_assert_eq(parse(LINE1 "2 1 0:5 / /x ro,nosuid,nodev,noexec,idmapped shared:2 master:1 "
                           "propagate_from:1 unbindable - ext4 /dev/x rw", &mi, &e), 0, "%s", e.msg);
        cr_assert_eq(mi.n, 2);
        cr_assert_str_eq(mi.e[1].optional_fields, "shared:2 master:1 propagate_from:1 unbindable");
        cr_assert_str_eq(mi.e[1].mount_options, "ro,nosuid,nodev,noexec,idmapped");
        cr_assert(mi.e[1].idmapped);
        cr_assert_eq(mi.e[1].attrs, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                    MOUNT_ATTR_NOEXEC | MOUNT_ATTR_STRICTATIME);
        cr_assert_eq(mi.e[1].shared, 2);
        cr_assert_eq(mi.e[1].master, 1);
        cr_assert_str_eq(mi.e[1].source, "/dev/x", "no newline at the end: the line still ends");
        mountinfo_free(&mi);
}

Test(mountinfo_format, an_empty_table_is_empty)
{
        struct mountinfo mi;
        struct err e;

        cr_assert_eq(parse("", &mi, &e), 0, "%s", e.msg);
        cr_assert_eq(mi.n, 0);
        cr_assert_null(mountinfo_top(&mi, "/"));
        mountinfo_free(&mi);
}

Test(mountinfo_format, a_stack_hidden_under_a_later_mount_is_not_the_top)
{
        /* /a/b was mounted (10), then /a (11) over its parent's directory,
         * then /a/b again (12) inside the new /a: 10 is still in the table
         * and nothing sits on it, but a lookup of /a/b reaches 12. */
        struct mountinfo mi;

        load_fixture("crafted/mountinfo-hidden-stack.txt", &mi);
        cr_assert_eq(top(&mi, "/a/b")->mount_id, 12);
        cr_assert_eq(top(&mi, "/a")->mount_id, 11);
        mountinfo_free(&mi);
}

Test(mountinfo_format, a_forged_cycle_does_not_hang_the_lookups)
{
        struct mountinfo mi;
        struct err e;

        cr_assert_eq(parse(LINE1 "5 6 0:1 / /x rw - t s rw\n6 5 0:2 / /x rw - t s rw\n"
                           "7 7 0:3 / /y rw - t s rw\n8 7 0:3 / /y/z rw - t s rw\n", &mi, &e), 0, "%s", e.msg);
        cr_assert_null(mountinfo_top(&mi, "/x"));
        cr_assert_eq(top(&mi, "/y")->mount_id, 7);
        cr_assert_not(mountinfo_is_below(&mi, &mi.e[1], &mi.e[0]));
        cr_assert(mountinfo_is_below(&mi, &mi.e[1], &mi.e[2]));
        cr_assert_not(mountinfo_is_below(&mi, &mi.e[4], &mi.e[0]));
        mountinfo_free(&mi);
}

/* ---- malformed lines ---------------------------------------------------- */

Test(mountinfo_broken, malformed_lines_are_refused_with_line_and_field)
{
        static const struct {
                const char *line, *needle;
        } cases[] = {
                { "", "mi:2: empty line" },
                { "36", "mi:2: too few fields: no parent id" },
                { "36 35 98:0 /", "mi:2: too few fields: no mount point" },
                { "36 35 98:0 / /mnt", "mi:2: too few fields: no mount options" },
                { "36 35 98:0 / /mnt rw", "mi:2: no \" - \" separator" },
                { "36 35 98:0 / /mnt rw shared:1 ext4 /dev/sda rw", "mi:2: no \" - \" separator" },
                { "abc 35 98:0 / /mnt rw - ext4 /dev/sda rw", "mi:2: mount id: expected a number, got \"abc\"" },
                { "-1 35 98:0 / /mnt rw - ext4 /dev/sda rw", "mi:2: mount id: expected a number, got \"-1\"" },
                { "99999999999 35 98:0 / /mnt rw - ext4 /dev/sda rw",
                  "mi:2: mount id: expected a number, got \"99999999999\"" },
                { "36 +35 98:0 / /mnt rw - ext4 /dev/sda rw", "mi:2: parent id: expected a number, got \"+35\"" },
                { "36  98:0 / /mnt rw - ext4 /dev/sda rw", "mi:2: parent id: expected a number, got \"\"" },
                { "36 35 98 / /mnt rw - ext4 /dev/sda rw", "mi:2: major:minor: expected two numbers, got \"98\"" },
                { "36 35 98:x / /mnt rw - ext4 /dev/sda rw", "mi:2: major:minor: expected two numbers, got \"98:x\"" },
                { "36 35 :0 / /mnt rw - ext4 /dev/sda rw", "mi:2: major:minor: expected two numbers, got \":0\"" },
                { "36 35 98:0 / /mnt rw - ext4 /dev/sda", "mi:2: fewer than 3 fields after \" - \"" },
                { "36 35 98:0 / /mnt rw - ext4 /dev/sda rw extra", "mi:2: more than 3 fields after \" - \"" },
                { "36 35 98:0 / /mnt rw -  /dev/sda rw", "mi:2: filesystem type: empty" },
                { "36 35 98:0 / mnt rw - ext4 /dev/sda rw", "mi:2: mount point: \"mnt\" is not absolute" },
                { "36 35 98:0 / /mnt\\9 rw - ext4 /dev/sda rw", "mi:2: mount point: bad escape in \"/mnt\\\\9\"" },
                { "36 35 98:0 / /mnt\\04 rw - ext4 /dev/sda rw", "mi:2: mount point: bad escape in" },
                { "36 35 98:0 / /mnt\\ rw - ext4 /dev/sda rw", "mi:2: mount point: bad escape in" },
                { "36 35 98:0 / /mnt\\000x rw - ext4 /dev/sda rw", "mi:2: mount point: bad escape in" },
                { "36 35 98:0 / /mnt\\400 rw - ext4 /dev/sda rw", "mi:2: mount point: bad escape in" },
                { "36 35 98:0 /r\\x / rw - ext4 /dev/sda rw", "mi:2: root: bad escape in" },
                { "36 35 98:0 / /mnt rw - ext4 /dev/sd\\a rw", "mi:2: source: bad escape in" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char text[512];

                snprintf(text, sizeof(text), LINE1 "%s\n" LINE1, cases[i].line);
                expect_refused(text, cases[i].needle);
        }
}

Test(mountinfo_broken, a_nul_byte_is_refused)
{
        static const char text[] = LINE1 "2 1 0:5 / /x\0y rw - ext4 /dev/x rw\n";
        struct mountinfo mi;
        struct err e;

        err_clear(&e);
        parsetest_assert_refused(mountinfo_parse(text, sizeof(text) - 1, "mi", &mi, &e), &e, EINVAL,
                                 "mi:2: NUL byte in the line");
}

Test(mountinfo_broken, control_bytes_in_a_bad_field_stay_on_one_line)
{
        expect_refused(LINE1 "3\x1b[2J 1 0:5 / /x rw - t s rw\n",
                       "mi:2: mount id: expected a number, got \"3\\x1b[2J\"");
}

Test(mountinfo_broken, files_in_fixtures_bad_are_refused_naming_line_and_field)
{
        static const struct {
                const char *file;
                const char *needle;
        } cases[] = {
                { "mountinfo-no-separator.txt", "bad/mountinfo-no-separator.txt:2: no \" - \" separator" },
                { "mountinfo-bad-escape.txt", "bad/mountinfo-bad-escape.txt:3: mount point: bad escape in \"/mnt/a\\\\9b\"" },
                { "mountinfo-bad-devno.txt", "bad/mountinfo-bad-devno.txt:2: major:minor: expected two numbers, got \"0-21\"" },
                { "mountinfo-short-tail.txt", "bad/mountinfo-short-tail.txt:2: fewer than 3 fields after" },
                { "mountinfo-mount-id-not-number.txt",
                  "bad/mountinfo-mount-id-not-number.txt:2: mount id: expected a number, got \"2x\"" },
                { "mountinfo-truncated-line.txt", "bad/mountinfo-truncated-line.txt:2: too few fields: no mount options" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char rel[256];
                struct mountinfo mi;
                struct err e;
                size_t len;
                char *buf;

                snprintf(rel, sizeof(rel), "bad/%s", cases[i].file);
                buf = parsetest_fixture(rel, &len);
                err_clear(&e);
                parsetest_assert_refused(mountinfo_parse(buf, len, rel, &mi, &e), &e, EINVAL,
                                         cases[i].needle);
                free(buf);
        }
        PARSETEST_ASSERT_BAD_FILES_LISTED("mountinfo-", cases);
}

/* ---- loading files ------------------------------------------------------ */

Test(mountinfo_load, proc_self_mountinfo_is_read_to_its_end)
{
        /* /proc files report size 0 and come a page at a time */
        struct mountinfo mi;
        struct err e;
        FILE *f = fopen("/proc/self/mountinfo", "re");
        size_t lines = 0;
        int c;

        cr_assert_not_null(f);
        while ((c = fgetc(f)) != EOF)
                lines += c == '\n';
        fclose(f);
        err_clear(&e);
        cr_assert_eq(mountinfo_load("/proc/self/mountinfo", &mi, &e), 0, "%s", e.msg);
        cr_assert_eq(mi.n, lines);
        cr_assert_not_null(mountinfo_top(&mi, "/"));
        mountinfo_free(&mi);
}

Test(mountinfo_load, a_large_table_is_read_whole)
{
        size_t n = 5000, cap = n * 200, o = 0;
        char *text = malloc(cap), *dir, *path;
        struct mountinfo mi;
        struct err e;

        cr_assert_not_null(text);
        o += (size_t)snprintf(text + o, cap - o, "%s", LINE1);
        for (size_t i = 2; i <= n; i++)
                o += (size_t)snprintf(text + o, cap - o,
                                      "%zu 1 0:%zu / /srv/containers/some-long-name/rootfs/m%zu "
                                      "rw,nosuid,relatime shared:%zu - tmpfs tmpfs rw,size=%zuk\n",
                                      i, i, i, i, i);
        cr_assert_gt(o, 64 * 1024);
        path = parsetest_tmpfile("mountinfo", text, o, &dir);
        err_clear(&e);
        cr_assert_eq(mountinfo_load(path, &mi, &e), 0, "%s", e.msg);
        cr_assert_eq(mi.n, n);
        cr_assert_eq(mi.e[n - 1].mount_id, (int)n);
        cr_assert_str_eq(mi.e[n - 1].mount_point, "/srv/containers/some-long-name/rootfs/m5000");
        mountinfo_free(&mi);
        parsetest_rm_tmpfile(path, dir);
        free(text);
}

Test(mountinfo_load, a_missing_file_is_named)
{
        struct mountinfo mi;
        struct err e;

        err_clear(&e);
        parsetest_assert_refused(mountinfo_load("/proc/999999999/mountinfo", &mi, &e), &e, ENOENT,
                                 "open `/proc/999999999/mountinfo`: No such file or directory");
}

/* ---- no input crashes the parser -------------------------------------- */

/* For the fuzz driver in lib_parse_util.c: what any table taken must hold,
 * and lookups on it that must not crash. */
static int parse_and_check(const char *buf, size_t len, struct err *e)
{
        struct mountinfo mi;
        int r = mountinfo_parse(buf, len, "mi", &mi, e);

        if (r == 0) {
                for (size_t j = 0; j < mi.n; j++) {
                        const struct mountinfo_entry *t;

                        cr_assert_eq(mi.e[j].mount_point[0], '/');
                        t = mountinfo_top(&mi, mi.e[j].mount_point);
                        if (t)
                                cr_assert_str_eq(t->mount_point, mi.e[j].mount_point);
                        mountinfo_is_below(&mi, &mi.e[j], &mi.e[0]);
                }
                mountinfo_free(&mi);
        }
        return r;
}

Test(mountinfo_fuzz, mutated_samples_never_crash_and_fail_cleanly, .timeout = 120)
{
        parsetest_fuzz(&(struct parsetest_fuzz){
                .samples = (const char *const[]){ CRUN_MI, RUNC_MI, "crafted/mountinfo-escapes.txt", NULL },
                .rounds = 10000,
                .seed = 0x6d6f756e74ull,
                .prefix = "mi:",
                .parse = parse_and_check,
        });
}
