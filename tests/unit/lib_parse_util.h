/* Helpers shared by the parser tests (test_state.c, test_config.c,
 * test_mountinfo.c).  Prefixed `parsetest_`: every unit test links every
 * tests/unit/lib_*.c. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oci/err.h"

/* The contents of FIXTURES_DIR/<rel>, NUL-terminated; fails the test when
 * it cannot be read. */
char *parsetest_fixture(const char *rel, size_t *len);

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
