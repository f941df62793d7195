/* The state document a runtime writes on a hook's stdin: both runtimes'
 * real output, and every way a broken or hostile one must be refused. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib_parse_util.h"
#include "oci/state.h"

#define CRUN_STATE "podman-4.3.1/crun/state-createRuntime.json"
#define RUNC_STATE "podman-4.3.1/runc/state-createRuntime.json"
#define BUNDLE "/var/lib/containers/storage/overlay-containers/abc/userdata"

static int parse(const char *doc, struct oci_state *s, struct err *e)
{
        err_clear(e);
        return oci_state_parse(doc, strlen(doc), "state", s, e);
}

/* A small valid state with `fields` spliced in after "id" (JSON lets the
 * test override a later key only by leaving it out: duplicates are refused). */
static char *doc_with(const char *fields)
{
        char *doc;

        cr_assert(asprintf(&doc, "{\"ociVersion\":\"1.0\",\"id\":\"abc\"%s%s}",
                           fields[0] ? "," : "", fields) > 0);
        return doc;
}

static void expect_refused(const char *doc, const char *needle)
{
        struct oci_state s;
        struct err e;
        int r = parse(doc, &s, &e);

        parsetest_assert_refused(r, &e, EINVAL, needle);
        cr_assert_null(s.id, "output left filled after a refusal");
}

static void expect_fields_refused(const char *fields, const char *needle)
{
        char *doc = doc_with(fields);

        expect_refused(doc, needle);
        free(doc);
}

/* `doc` parsed; asserts it was taken. */
static void parse_taken(const char *doc, struct oci_state *s)
{
        struct err e;

        cr_assert_eq(parse(doc, s, &e), 0, "%s", e.msg);
}

/* The fixture `rel`, parsed; asserts it was taken. */
static void parse_fixture(const char *rel, struct oci_state *s)
{
        char *buf = parsetest_fixture(rel, NULL);

        parse_taken(buf, s);
        free(buf);
}

/* For the drivers in lib_parse_util.c: what any state taken must hold. */
static int parse_and_check(const char *buf, size_t len, struct err *e)
{
        struct oci_state s;
        int r = oci_state_parse(buf, len, "state", &s, e);

        if (r == 0) {
                cr_assert_gt(s.pid, 0);
                cr_assert_eq(s.bundle[0], '/');
                cr_assert_not_null(s.id);
                oci_state_free(&s);
        }
        return r;
}

/* ---- the real samples --------------------------------------------------- */

Test(state_sample, crun_state_has_root_and_status_created)
{
        struct oci_state s;

        parse_fixture(CRUN_STATE, &s);
        cr_assert_str_eq(s.oci_version, "1.0");
        cr_assert_str_eq(s.id, "d50ae68208cba74f4b01d839b58559232d410a3c0bde26cd3e62d5e843389a35");
        cr_assert_str_eq(s.status, "created");
        cr_assert_eq(s.pid, 13317);
        cr_assert_str_eq(s.root, "/srv/containers/demo/rootfs");
        cr_assert_str_eq(s.bundle, "/var/lib/containers/storage/overlay-containers/"
                         "d50ae68208cba74f4b01d839b58559232d410a3c0bde26cd3e62d5e843389a35/userdata");
        cr_assert_eq(s.annotations.n, 8);
        cr_assert_str_eq(annotations_get(&s.annotations, "io.container.manager"), "libpod");
        cr_assert_str_eq(annotations_get(&s.annotations, "org.opencontainers.image.stopSignal"), "15");
        cr_assert_null(annotations_get(&s.annotations, "io.github.oci-idmap-hook.rootfs"));
        oci_state_free(&s);
        cr_assert_null(s.id);
}

Test(state_sample, runc_state_has_no_root_and_status_creating)
{
        struct oci_state s;

        parse_fixture(RUNC_STATE, &s);
        cr_assert_str_eq(s.oci_version, "1.0.2-dev");
        cr_assert_str_eq(s.status, "creating");
        cr_assert_eq(s.pid, 13268);
        cr_assert_null(s.root);
        cr_assert_str_eq(s.bundle, "/var/lib/containers/storage/overlay-containers/"
                         "6f1e5bfd3fbed9fe3dd07bd23448d461a6df9d357bf8e637534e9b16fa4c9896/userdata");
        cr_assert_eq(s.annotations.n, 8);
        cr_assert_str_eq(annotations_get(&s.annotations, "io.podman.annotations.autoremove"), "TRUE");
        oci_state_free(&s);
}

Test(state_sample, read_fd_takes_the_state_from_a_pipe)
{
        size_t len;
        char *buf = parsetest_fixture(RUNC_STATE, &len);
        struct oci_state s;
        struct err e;
        int p[2];

        cr_assert_eq(pipe(p), 0);
        cr_assert_eq(write(p[1], buf, len), (ssize_t)len);
        close(p[1]);
        cr_assert_eq(oci_state_read_fd(p[0], &s, &e), 0, "%s", e.msg);
        close(p[0]);
        cr_assert_eq(s.pid, 13268);
        oci_state_free(&s);
        free(buf);
}

Test(state_sample, unknown_keys_are_ignored_at_any_depth)
{
        char *doc = doc_with("\"x-runtime\":{\"nested\":[1,2.5e3,{\"a\":null}],\"b\":true},"
                             "\"pid\":7,\"bundle\":\"" BUNDLE "\",\"created\":\"2026\"");
        struct oci_state s;

        parse_taken(doc, &s);
        cr_assert_eq(s.pid, 7);
        cr_assert_null(s.status);       /* optional: the hook does not need it */
        cr_assert_eq(s.annotations.n, 0);
        oci_state_free(&s);
        free(doc);
}

Test(state_sample, trailing_white_space_is_accepted)
{
        struct oci_state s;

        parse_taken("{\"id\":\"a\",\"pid\":7,\"bundle\":\"/b\"}\n \t\r\n", &s);
        oci_state_free(&s);
}

Test(state_sample, largest_pid_t_is_accepted)
{
        char *doc = doc_with("\"pid\":2147483647,\"bundle\":\"/b\"");
        struct oci_state s;

        parse_taken(doc, &s);
        cr_assert_eq(s.pid, INT_MAX);
        oci_state_free(&s);
        free(doc);
}

/* ---- reading stdin ----------------------------------------------------- */

Test(state_input, empty_stdin_is_refused)
{
        int fd = parsetest_memfd("", 0);
        struct oci_state s;
        struct err e;

        parsetest_assert_refused(oci_state_read_fd(fd, &s, &e), &e, EINVAL, "state: empty input");
        close(fd);
}

Test(state_input, white_space_only_is_refused)
{
        expect_refused(" \n\t ", "state: empty document");
}

/* A valid state padded with spaces inside the object to exactly `size` bytes. */
static char *padded_state(size_t size)
{
        const char *head = "{\"id\":\"abc\",\"pid\":7,\"bundle\":\"/b\"";
        char *buf = malloc(size);

        cr_assert_not_null(buf);
        memset(buf, ' ', size);
        memcpy(buf, head, strlen(head));
        buf[size - 1] = '}';
        return buf;
}

Test(state_input, exactly_OCI_STATE_MAX_bytes_is_accepted)
{
        char *buf = padded_state(OCI_STATE_MAX);
        int fd = parsetest_memfd(buf, OCI_STATE_MAX);
        struct oci_state s;
        struct err e;

        cr_assert_eq(oci_state_read_fd(fd, &s, &e), 0, "%s", e.msg);
        cr_assert_eq(s.pid, 7);
        oci_state_free(&s);
        close(fd);
        free(buf);
}

Test(state_input, one_byte_over_OCI_STATE_MAX_is_refused)
{
        char *buf = padded_state(OCI_STATE_MAX + 1);
        int fd = parsetest_memfd(buf, OCI_STATE_MAX + 1);
        struct oci_state s;
        struct err e;

        parsetest_assert_refused(oci_state_read_fd(fd, &s, &e), &e, EFBIG,
                                 "state: larger than 1048576 bytes");
        close(fd);
        free(buf);
}

Test(state_input, oversized_stdin_from_a_pipe_is_refused_without_reading_it_all)
{
        /* The writer would block on a full pipe if the hook read to the end
         * of a stream it should have given up on: it must stop early, and
         * the writer sees EPIPE, not a hang. */
        char *buf = padded_state(OCI_STATE_MAX + 4096);
        struct oci_state s;
        struct err e;
        int p[2];
        pid_t child;

        cr_assert_eq(pipe(p), 0);
        child = fork();
        cr_assert_geq(child, 0);
        if (child == 0) {
                size_t off = 0;

                close(p[0]);
                while (off < OCI_STATE_MAX + 4096) {
                        ssize_t n = write(p[1], buf + off, OCI_STATE_MAX + 4096 - off);

                        if (n <= 0)
                                _exit(0);
                        off += (size_t)n;
                }
                _exit(0);
        }
        close(p[1]);
        parsetest_assert_refused(oci_state_read_fd(p[0], &s, &e), &e, EFBIG, "state: larger than");
        close(p[0]);
        cr_assert_eq(waitpid(child, NULL, 0), child);
        free(buf);
}

Test(state_input, read_error_names_the_input)
{
        struct oci_state s;
        struct err e;

        parsetest_assert_refused(oci_state_read_fd(-1, &s, &e), &e, EBADF, "state: read");
}

/* ---- broken documents --------------------------------------------------- */

Test(state_broken, every_truncation_of_the_sample_is_refused)
{
        parsetest_every_truncation_refused(CRUN_STATE, "state: ", parse_and_check);
}

Test(state_broken, syntax_error_is_one_line_with_the_offset)
{
        expect_refused("{\"id\":\"abc\",}", "at byte 13");
        expect_refused("{\"id\":\"abc\",}", "state: parse error: invalid object key");
        expect_refused("{\"id\" 1}", "state: parse error");
        expect_refused("{\"id\":'abc'}", "state: lexical error");
        expect_refused("{\"id\":\"abc\"", "premature EOF");
}

Test(state_broken, data_after_the_document_is_refused_with_its_offset)
{
        size_t len;
        char *doc = parsetest_fixture_then(CRUN_STATE, "  x", &len);
        char want[128];

        snprintf(want, sizeof(want), "state: unexpected data after the document at byte %zu", len + 2);
        expect_refused(doc, want);
        free(doc);
}

Test(state_broken, second_document_is_refused)
{
        expect_refused("{\"id\":\"a\",\"pid\":1,\"bundle\":\"/b\"}\n{\"id\":\"b\"}",
                       "state: unexpected data after the document at byte 33");
}

Test(state_broken, nul_byte_after_the_document_is_refused)
{
        static const char doc[] = "{\"id\":\"a\",\"pid\":1,\"bundle\":\"/b\"}\0{}";
        struct oci_state s;
        struct err e;

        err_clear(&e);
        parsetest_assert_refused(oci_state_parse(doc, sizeof(doc) - 1, "state", &s, &e), &e,
                                 EINVAL, "state: unexpected data after the document at byte 32");
}

Test(state_broken, duplicate_top_level_key_is_refused)
{
        expect_fields_refused("\"pid\":1,\"bundle\":\"/b\",\"pid\":2", "state: duplicate key \"pid\"");
}

Test(state_broken, duplicate_key_in_annotations_is_refused)
{
        expect_fields_refused("\"pid\":1,\"bundle\":\"/b\",\"annotations\":{\"a\":\"1\",\"b\":\"2\",\"a\":\"3\"}",
                              "state: annotations: duplicate key \"a\"");
}

Test(state_broken, duplicate_key_deep_in_an_ignored_value_is_refused)
{
        expect_fields_refused("\"pid\":1,\"bundle\":\"/b\",\"x\":{\"y\":[0,{\"k\":1,\"k\":2}]}",
                              "state: x.y[1]: duplicate key \"k\"");
}

static char *many_annotations(size_t n, bool dup)
{
        size_t cap = n * 32 + 128, o = 0;
        char *doc = malloc(cap);

        cr_assert_not_null(doc);
        o += (size_t)snprintf(doc + o, cap - o, "{\"id\":\"a\",\"pid\":1,\"bundle\":\"/b\",\"annotations\":{");
        for (size_t i = 0; i < n; i++)
                o += (size_t)snprintf(doc + o, cap - o, "%s\"key%zu\":\"v\"", i ? "," : "",
                                      dup && i == n - 1 ? n / 2 : i);
        snprintf(doc + o, cap - o, "}}");
        return doc;
}

Test(state_broken, duplicate_key_in_a_large_object_is_refused)
{
        char *doc = many_annotations(1000, true);

        expect_refused(doc, "state: annotations: duplicate key \"key500\"");
        free(doc);
}

Test(state_sample, large_object_of_distinct_keys_is_accepted)
{
        char *doc = many_annotations(1000, false);
        struct oci_state s;

        parse_taken(doc, &s);
        cr_assert_eq(s.annotations.n, 1000);
        cr_assert_str_eq(annotations_get(&s.annotations, "key999"), "v");
        oci_state_free(&s);
        free(doc);
}

Test(state_broken, missing_fields_are_named)
{
        expect_refused("{\"pid\":1,\"bundle\":\"/b\"}", "state: id: missing");
        expect_fields_refused("\"bundle\":\"/b\"", "state: pid: missing");
        expect_fields_refused("\"pid\":1", "state: bundle: missing");
}

Test(state_broken, invalid_pids_are_refused_by_value)
{
        static const char *const pids[] = {
                "0", "-1", "-3", "2147483648", "4294967297", "99999999999999999999999",
                "1.5", "1e3", "-0",
        };

        for (size_t i = 0; i < sizeof(pids) / sizeof(pids[0]); i++) {
                char fields[128], want[128];

                snprintf(fields, sizeof(fields), "\"pid\":%s,\"bundle\":\"/b\"", pids[i]);
                snprintf(want, sizeof(want), "state: pid: %s is not a valid pid", pids[i]);
                expect_fields_refused(fields, want);
        }
}

Test(state_broken, wrong_types_are_named_with_the_type_found)
{
        expect_fields_refused("\"pid\":\"1\",\"bundle\":\"/b\"",
                              "state: pid: expected a number, got string");
        expect_fields_refused("\"pid\":null,\"bundle\":\"/b\"",
                              "state: pid: expected a number, got null");
        expect_fields_refused("\"pid\":1,\"bundle\":7",
                              "state: bundle: expected a string, got number");
        expect_fields_refused("\"pid\":1,\"bundle\":\"/b\",\"status\":true",
                              "state: status: expected a string, got boolean");
        expect_fields_refused("\"pid\":1,\"bundle\":\"/b\",\"root\":{}",
                              "state: root: expected a string, got object");
        expect_fields_refused("\"pid\":1,\"bundle\":\"/b\",\"annotations\":[]",
                              "state: annotations: expected an object, got array");
        expect_fields_refused("\"pid\":1,\"bundle\":\"/b\",\"annotations\":{\"a\":\"x\",\"b c\":1}",
                              "state: annotations.b c: expected a string, got number");
        expect_refused("{\"ociVersion\":[],\"id\":\"a\",\"pid\":1,\"bundle\":\"/b\"}",
                       "state: ociVersion: expected a string, got array");
        expect_refused("{\"id\":5,\"pid\":1,\"bundle\":\"/b\"}",
                       "state: id: expected a string, got number");
        expect_refused("[{\"id\":\"a\",\"pid\":1,\"bundle\":\"/b\"}]",
                       "state: the document: expected an object, got array");
        expect_refused("42", "state: the document: expected an object, got number");
}

Test(state_broken, relative_or_empty_bundle_is_refused)
{
        expect_fields_refused("\"pid\":1,\"bundle\":\"var/lib/b\"",
                              "state: bundle: \"var/lib/b\" is not absolute");
        expect_fields_refused("\"pid\":1,\"bundle\":\"\"", "state: bundle: \"\" is not absolute");
}

Test(state_broken, empty_id_is_refused)
{
        expect_refused("{\"id\":\"\",\"pid\":1,\"bundle\":\"/b\"}", "state: id: empty");
}

Test(state_broken, nul_byte_inside_a_string_is_refused)
{
        expect_fields_refused("\"pid\":1,\"bundle\":\"/b\\u0000/../etc\"",
                              "state: bundle: \"/b\\x00/../etc\" holds a NUL byte");
        expect_fields_refused("\"pid\":1,\"bundle\":\"/b\",\"annotations\":{\"a\\u0000\":\"x\"}",
                              "state: annotations: key \"a\\x00\" holds a NUL byte");
}

Test(state_broken, control_bytes_in_values_do_not_break_the_message_line)
{
        expect_fields_refused("\"pid\":1,\"bundle\":\"rel\\n\\u001b[31mred\"",
                              "state: bundle: \"rel\\x0a\\x1b[31mred\" is not absolute");
}

Test(state_broken, invalid_utf8_is_refused)
{
        expect_fields_refused("\"pid\":1,\"bundle\":\"/b\xff\"", "state: lexical error");
}

Test(state_sample, nesting_100_deep_is_read_as_the_runtimes_read_it)
{
        /* Go's encoding/json takes 10000 levels, yajl any number. */
        size_t depth = 100;
        char *doc = malloc(2 * depth + 128);
        struct oci_state s;
        struct err e;
        size_t o;

        cr_assert_not_null(doc);
        o = (size_t)sprintf(doc, "{\"id\":\"a\",\"pid\":1,\"bundle\":\"/b\",\"x\":");
        memset(doc + o, '[', depth);
        o += depth;
        memset(doc + o, ']', depth);
        o += depth;
        strcpy(doc + o, "}");
        err_clear(&e);
        cr_assert_eq(oci_state_parse(doc, strlen(doc), "state", &s, &e), 0, "%s", e.msg);
        cr_assert_str_eq(s.bundle, "/b");
        oci_state_free(&s);
        free(doc);
}

Test(state_broken, deep_nesting_is_refused_without_recursion)
{
        size_t depth = 100000;
        char *doc = malloc(2 * depth + 64);
        size_t o;

        cr_assert_not_null(doc);
        o = (size_t)sprintf(doc, "{\"id\":\"a\",\"x\":");
        memset(doc + o, '[', depth);
        o += depth;
        memset(doc + o, ']', depth);
        o += depth;
        strcpy(doc + o, "}");
        expect_refused(doc, "nested deeper than 10000 levels");
        free(doc);
}

Test(state_broken, files_in_fixtures_bad_are_refused_naming_the_field)
{
        static const struct {
                const char *file;
                int errnum;
                const char *needle;
        } cases[] = {
                { "state-duplicate-pid.json", EINVAL, "state: duplicate key \"pid\"" },
                { "state-trailing-garbage.json", EINVAL,
                  "state: unexpected data after the document at byte 133" },
                { "state-two-documents.json", EINVAL,
                  "state: unexpected data after the document at byte 133" },
                { "state-relative-bundle.json", EINVAL,
                  "state: bundle: \"var/lib/bundle\" is not absolute" },
                { "state-pid-zero.json", EINVAL, "state: pid: 0 is not a valid pid" },
                { "state-pid-negative.json", EINVAL, "state: pid: -1 is not a valid pid" },
                { "state-pid-huge.json", EINVAL, "state: pid: 4294967296 is not a valid pid" },
                { "state-pid-string.json", EINVAL, "state: pid: expected a number, got string" },
                { "state-missing-bundle.json", EINVAL, "state: bundle: missing" },
                { "state-truncated.json", EINVAL, "state: parse error: premature EOF at byte 40" },
                { "state-annotations-array.json", EINVAL,
                  "state: annotations: expected an object, got array" },
                { "state-annotation-not-string.json", EINVAL,
                  "state: annotations.io.github.oci-idmap-hook.rootfs: expected a string, got boolean" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char path[4096];
                struct oci_state s;
                struct err e;
                int fd, r;

                snprintf(path, sizeof(path), "%s/bad/%s", FIXTURES_DIR, cases[i].file);
                fd = open(path, O_RDONLY | O_CLOEXEC);
                cr_assert_geq(fd, 0, "%s: %m", path);
                err_clear(&e);
                r = oci_state_read_fd(fd, &s, &e);
                close(fd);
                cr_assert_lt(r, 0, "%s was taken", cases[i].file);
                parsetest_assert_refused(r, &e, cases[i].errnum, cases[i].needle);
        }
        PARSETEST_ASSERT_BAD_FILES_LISTED("state-", cases);
}

/* ---- no input crashes the parser -------------------------------------- */

Test(state_fuzz, mutated_samples_never_crash_and_fail_cleanly, .timeout = 120)
{
        parsetest_fuzz(&(struct parsetest_fuzz){
                .samples = (const char *const[]){ CRUN_STATE, RUNC_STATE, NULL },
                .rounds = 20000,
                .seed = 0x5eed5eed5eedull,
                .prefix = "state: ",
                .parse = parse_and_check,
        });
}
