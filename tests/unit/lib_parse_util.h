/* Helpers shared by the tests that read the fixtures (test_state.c,
 * test_config.c, test_mountinfo.c, test_plan.c).  Prefixed `parsetest_`:
 * every unit test links every tests/unit/lib_*.c. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "oci/idmap.h"

/* The contents of FIXTURES_DIR/<rel>, NUL-terminated; fails the test when
 * it cannot be read. */
char *parsetest_fixture(const char *rel, size_t *len);

/* The fixture `rel` with `tail` appended, NUL-terminated; the fixture's own
 * length in *len. */
char *parsetest_fixture_then(const char *rel, const char *tail, size_t *len);

/* A copy of `s` with the first `old` replaced by `new`; fails the test when
 * `old` is not in `s` (so that a fixture change cannot silently turn a
 * broken-input test into a test of the intact sample). */
char *parsetest_replace(const char *s, const char *old, const char *new);

/* A memfd holding buf[0..len), offset 0. */
int parsetest_memfd(const void *buf, size_t len);

/* A file under a fresh directory in /tmp holding buf[0..len); returns its
 * path (to free), the directory in *dir (to free). */
char *parsetest_tmpfile(const char *name, const void *buf, size_t len, char **dir);
void parsetest_rm_tmpfile(char *path, char *dir);

/* Asserts a refusal: r == -errnum, e->errnum == errnum, the message holds
 * `needle` and is one line. */
void parsetest_assert_refused(int r, const struct err *e, int errnum, const char *needle);

/* Asserts a message is what a person can read as one line of the runtime's
 * error output. */
void parsetest_assert_one_line(const struct err *e);

/* Deterministic mutation for the fuzz loops: applies one to four random
 * edits (bit flips, JSON/mountinfo punctuation, deletions, duplications,
 * truncation, hostile tokens) to buf[0..*len) within `cap` bytes. */
void parsetest_mutate(char *buf, size_t *len, size_t cap, uint64_t *seed);

/* A parser as the drivers below call it: parses buf[0..len), checks what it
 * took and frees it; returns what the parser returned (0 when it took the
 * input), leaving the refusal in `e`. */
typedef int (*parsetest_parse_fn)(const char *buf, size_t len, struct err *e);

/* Asserts that `parse` refuses every proper prefix of the fixture `rel`
 * (trailing white space trimmed first), each time with a one-line message
 * that starts with `prefix`. */
void parsetest_every_truncation_refused(const char *rel, const char *prefix,
                                        parsetest_parse_fn parse);

/* The fuzz loop: `rounds` mutants (parsetest_mutate) of each fixture in the
 * NULL-terminated `samples`, each parsed from an exact-size copy so that ASan
 * sees any read past the end.  A mutant taken is checked by `parse`; one
 * refused must have a one-line message starting with `prefix`.  Both
 * outcomes must be reached often (over 100 taken, over 1000 refused), or the
 * loop tests little. */
struct parsetest_fuzz {
        const char *const *samples;
        unsigned rounds;                /* mutants per sample */
        uint64_t seed;
        const char *prefix;
        parsetest_parse_fn parse;
};
void parsetest_fuzz(const struct parsetest_fuzz *f);

/* Asserts that every file in FIXTURES_DIR/bad whose name starts with
 * `prefix` is one of the `n` names at first, (char *)first + stride, ...
 * (the `file` members of a table of cases), and that there are `n` of them:
 * a broken fixture nobody checks is a test that does not run. */
void parsetest_assert_bad_files_listed(const char *prefix, const char *const *first, size_t n,
                                       size_t stride);
#define PARSETEST_ASSERT_BAD_FILES_LISTED(prefix, cases)                               \
        parsetest_assert_bad_files_listed((prefix), &(cases)[0].file,                   \
                                          sizeof(cases) / sizeof((cases)[0]), sizeof((cases)[0]))

/* Asserts `m` is the podman samples' 0:100000:65536, for uids and gids. */
void parsetest_assert_container_mapping(const struct id_mapping *m);
