/* Reading untrusted input to its end, and quoting it for one-line messages. */
#include "io.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

char *msg_quote(const char *s, size_t len, bool quoted, char *buf, size_t size)
{
        static const char hex[] = "0123456789abcdef";
        size_t o = 0, i;

        /* Room for the longest escape, the closing quote, "..." and NUL. */
#define ROOM(k) (o + (k) + 5 < size)
        if (quoted && ROOM(1))
                buf[o++] = '"';
        for (i = 0; i < len && i < 64; i++) {
                unsigned char c = (unsigned char)s[i];

                if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
                        if (!ROOM(1))
                                break;
                        buf[o++] = (char)c;
                } else if (c == '"' || c == '\\') {
                        if (!ROOM(2))
                                break;
                        buf[o++] = '\\';
                        buf[o++] = (char)c;
                } else {
                        if (!ROOM(4))
                                break;
                        buf[o++] = '\\';
                        buf[o++] = 'x';
                        buf[o++] = hex[c >> 4];
                        buf[o++] = hex[c & 15];
                }
        }
        if (quoted && o + 1 < size)
                buf[o++] = '"';
        if (i < len && o + 3 < size) {
                memcpy(buf + o, "...", 3);
                o += 3;
        }
#undef ROOM
        if (size > 0)
                buf[o < size ? o : size - 1] = '\0';
        return buf;
}

int read_input_fd(int fd, size_t max, char **out, size_t *out_len)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, room = 0;
        struct stat st;

        /* A regular file says its size; /proc files and pipes say 0 and are
         * read in growing steps.  One byte past `max` tells "too large". */
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
                room = (size_t)st.st_size < max ? (size_t)st.st_size + 1 : max + 1;
        if (room == 0)
                room = 16 * 1024 < max + 1 ? 16 * 1024 : max + 1;
        buf = malloc(room + 1);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n;

                if (len == room) {
                        size_t bigger = room * 2 < max + 1 ? room * 2 : max + 1;
                        char *p;

                        if (bigger == room)
                                return -EFBIG;
                        p = realloc(buf, bigger + 1);
                        if (!p)
                                return -ENOMEM;
                        buf = p;
                        room = bigger;
                }
                n = read(fd, buf + len, room - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
                if (len > max)
                        return -EFBIG;
        }
        buf[len] = '\0';
        *out = TAKE_PTR(buf);
        *out_len = len;
        return 0;
}
