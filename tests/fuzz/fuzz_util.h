/* What the fuzz targets share: checks that abort (so that libFuzzer and the
 * corpus replay both report them as a crash) and a count of the inputs each
 * parser took and refused (so that the replay can tell a corpus that reaches
 * the code behind the parser from one that is refused at its first byte). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

extern unsigned long fuzz_taken, fuzz_refused;

_Noreturn void fuzz_fail(const char *what, const char *file, int line);
#define FUZZ_CHECK(cond) ((cond) ? (void)0 : fuzz_fail(#cond, __FILE__, __LINE__))

/* A refusal as every parser must give it: r < 0, e->errnum == -r, and a
 * non-empty one-line message that starts with `prefix` (the input's name).
 * Counts it in fuzz_refused. */
void fuzz_check_refusal(int r, const struct err *e, const char *prefix);

/* data[0..size) as a NUL-terminated string (any NUL inside stays). */
char *fuzz_strndup(const uint8_t *data, size_t size);

/* An exact-size copy of data[0..size) (one byte when size is 0), so that
 * AddressSanitizer sees a parser read past the end of its input. */
char *fuzz_memdup(const uint8_t *data, size_t size);

/* The parts of data[0..size) before and after its first NUL byte: *tail is
 * NULL when there is none. */
void fuzz_split(const uint8_t *data, size_t size, size_t *head_len,
                const uint8_t **tail, size_t *tail_len);
