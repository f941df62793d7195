/* Reading untrusted input to its end, and quoting it for one-line messages. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Writes `s` (len bytes) for a one-line message into buf: printable ASCII as
 * is, `"` and `\` and other bytes escaped, cut with "..." past ~64 bytes;
 * in double quotes when `quoted`.  Returns buf. */
char *msg_quote(const char *s, size_t len, bool quoted, char *buf, size_t size);
#define MSG_QUOTE_MAX 280

/* Reads `fd` to its end into a NUL-terminated buffer.  Returns -EFBIG when
 * there is more than `max` bytes; works for /proc files (which report size
 * 0) and pipes.  Shared by every input reader. */
int read_input_fd(int fd, size_t max, char **buf, size_t *len);
