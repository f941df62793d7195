#include "lib_parse_util.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

char *parsetest_fixture(const char *rel, size_t *len)
{
        char path[4096];
        struct stat st;
        char *buf;
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", FIXTURES_DIR, rel);
        f = fopen(path, "re");
        cr_assert_not_null(f, "cannot open fixture %s", path);
        cr_assert_eq(fstat(fileno(f), &st), 0);
        buf = malloc((size_t)st.st_size + 1);
        cr_assert_not_null(buf);
        cr_assert_eq(fread(buf, 1, (size_t)st.st_size, f), (size_t)st.st_size);
        fclose(f);
        buf[st.st_size] = '\0';
        if (len)
                *len = (size_t)st.st_size;
        return buf;
}

char *parsetest_replace(const char *s, const char *old, const char *new)
{
        const char *at = strstr(s, old);
        size_t before, olen = strlen(old), nlen = strlen(new);
        char *out;

        cr_assert_not_null(at, "%s is not in the input", old);
        before = (size_t)(at - s);
        out = malloc(strlen(s) - olen + nlen + 1);
        cr_assert_not_null(out);
        memcpy(out, s, before);
        memcpy(out + before, new, nlen);
        strcpy(out + before + nlen, at + olen);
        return out;
}

static void write_all(int fd, const void *buf, size_t len)
{
        const char *p = buf;

        while (len > 0) {
                ssize_t n = write(fd, p, len);

                cr_assert_gt(n, 0, "write: %m");
                p += n;
                len -= (size_t)n;
        }
}

int parsetest_memfd(const void *buf, size_t len)
{
        int fd = memfd_create("parsetest", MFD_CLOEXEC);

        cr_assert_geq(fd, 0, "memfd_create: %m");
        write_all(fd, buf, len);
        cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
        return fd;
}

char *parsetest_tmpfile(const char *name, const void *buf, size_t len, char **dir)
{
        char tmpl[] = "/tmp/parsetest.XXXXXX";
        char *path;
        int fd;

        cr_assert_not_null(mkdtemp(tmpl), "mkdtemp: %m");
        *dir = strdup(tmpl);
        cr_assert(asprintf(&path, "%s/%s", tmpl, name) > 0);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        cr_assert_geq(fd, 0, "open %s: %m", path);
        write_all(fd, buf, len);
        close(fd);
        return path;
}

void parsetest_rm_tmpfile(char *path, char *dir)
{
        unlink(path);
        rmdir(dir);
        free(path);
        free(dir);
}

void parsetest_assert_one_line(const struct err *e)
{
        cr_assert_neq(e->msg[0], '\0', "no message");
        cr_assert_null(strpbrk(e->msg, "\r\n"), "message spans lines: %s", e->msg);
        for (const char *p = e->msg; *p; p++)
                cr_assert((unsigned char)*p >= 0x20 && *p != 0x7f,
                          "control byte 0x%02x in message: %s", (unsigned char)*p, e->msg);
}

void parsetest_assert_refused(int r, const struct err *e, int errnum, const char *needle)
{
        cr_assert_eq(r, -errnum, "expected -%d, got %d (%s)", errnum, r, e->msg);
        cr_assert_eq(e->errnum, errnum, "errnum %d: %s", e->errnum, e->msg);
        cr_assert_not_null(strstr(e->msg, needle), "message \"%s\" lacks \"%s\"", e->msg, needle);
        parsetest_assert_one_line(e);
}

static uint64_t next(uint64_t *s)
{
        /* xorshift64*: the same sequence on every run */
        *s ^= *s >> 12;
        *s ^= *s << 25;
        *s ^= *s >> 27;
        return *s * 2685821657736338717ull;
}

void parsetest_mutate(char *buf, size_t *len, size_t cap, uint64_t *seed)
{
        static const char punct[] = "{}[]\":,\\-+.0123456789eEtfn \t\n\r/\0\xff\xc3";
        static const char *const tokens[] = {
                "\"pid\":1,", "\"a\":{}", "{", "[", "]", "}", "\\u0000", "-1", "1e999",
                "99999999999999999999999", "null", "\"\\ud800\"", " - ", "\\040", "\\",
                "\n", "  ", "0:0", "\"mounts\":[{}],",
        };
        unsigned edits = 1 + (unsigned)(next(seed) % 4);

        for (unsigned k = 0; k < edits && *len > 0; k++) {
                size_t pos = (size_t)(next(seed) % *len);

                switch (next(seed) % 6) {
                case 0:
                        buf[pos] ^= (char)(1u << (next(seed) % 8));
                        break;
                case 1:
                        buf[pos] = punct[next(seed) % (sizeof(punct) - 1)];
                        break;
                case 2: {
                        size_t n = 1 + (size_t)(next(seed) % 16);

                        if (n > *len - pos)
                                n = *len - pos;
                        memmove(buf + pos, buf + pos + n, *len - pos - n);
                        *len -= n;
                        break;
                }
                case 3: {
                        size_t n = 1 + (size_t)(next(seed) % 32);

                        if (n > *len - pos)
                                n = *len - pos;
                        if (*len + n > cap)
                                break;
                        memmove(buf + pos + n, buf + pos, *len - pos);
                        *len += n;
                        break;
                }
                case 4:
                        *len = pos;
                        break;
                default: {
                        const char *t = tokens[next(seed) % (sizeof(tokens) / sizeof(tokens[0]))];
                        size_t n = strlen(t);

                        if (*len + n > cap)
                                break;
                        memmove(buf + pos + n, buf + pos, *len - pos);
                        memcpy(buf + pos, t, n);
                        *len += n;
                        break;
                }
                }
        }
}
