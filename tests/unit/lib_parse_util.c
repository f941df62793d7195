#include "lib_parse_util.h"

#include <criterion/criterion.h>
#include <dirent.h>
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

char *parsetest_fixture_then(const char *rel, const char *tail, size_t *len)
{
        char *buf = parsetest_fixture(rel, len);
        char *doc;

        cr_assert(asprintf(&doc, "%s%s", buf, tail) > 0);
        free(buf);
        return doc;
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

/* An exact-size copy: ASan then sees any read past buf[len - 1]. */
static int parse_exact_copy(parsetest_parse_fn parse, const char *buf, size_t len, struct err *e)
{
        char *exact = malloc(len ? len : 1);
        int r;

        cr_assert_not_null(exact);
        memcpy(exact, buf, len);
        err_clear(e);
        r = parse(exact, len, e);
        free(exact);
        return r;
}

static void assert_refusal_message(const struct err *e, const char *prefix)
{
        cr_assert_eq(strncmp(e->msg, prefix, strlen(prefix)), 0, "%s", e->msg);
        parsetest_assert_one_line(e);
}

void parsetest_every_truncation_refused(const char *rel, const char *prefix,
                                        parsetest_parse_fn parse)
{
        size_t len;
        char *buf = parsetest_fixture(rel, &len);

        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
                len--;
        for (size_t cut = 0; cut < len; cut++) {
                struct err e;

                cr_assert_lt(parse_exact_copy(parse, buf, cut, &e), 0,
                             "%s cut at byte %zu was taken", rel, cut);
                assert_refusal_message(&e, prefix);
        }
        free(buf);
}

void parsetest_fuzz(const struct parsetest_fuzz *f)
{
        uint64_t seed = f->seed;
        unsigned taken = 0, refused = 0;

        for (const char *const *sample = f->samples; *sample; sample++) {
                size_t len;
                char *orig = parsetest_fixture(*sample, &len);
                size_t cap = len + 512;
                char *buf = malloc(cap);

                cr_assert_not_null(buf);
                for (unsigned i = 0; i < f->rounds; i++) {
                        size_t n = len;
                        struct err e;

                        memcpy(buf, orig, len);
                        parsetest_mutate(buf, &n, cap, &seed);
                        if (parse_exact_copy(f->parse, buf, n, &e) == 0) {
                                taken++;
                        } else {
                                assert_refusal_message(&e, f->prefix);
                                refused++;
                        }
                }
                free(buf);
                free(orig);
        }
        cr_log_info("%u mutants taken, %u refused", taken, refused);
        cr_assert_gt(taken, 100, "taken %u", taken);
        cr_assert_gt(refused, 1000, "refused %u", refused);
}

void parsetest_assert_bad_files_listed(const char *prefix, const char *const *first, size_t n,
                                       size_t stride)
{
        DIR *d = opendir(FIXTURES_DIR "/bad");
        struct dirent *de;
        size_t seen = 0;

        cr_assert_not_null(d);
        while ((de = readdir(d))) {
                bool listed = false;

                if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
                        continue;
                seen++;
                for (size_t i = 0; i < n; i++) {
                        const char *const *file = (const void *)((const char *)first + i * stride);

                        listed |= strcmp(de->d_name, *file) == 0;
                }
                cr_assert(listed, "bad/%s has no expectation in this test", de->d_name);
        }
        closedir(d);
        cr_assert_eq(seen, n);
}

void parsetest_assert_container_mapping(const struct id_mapping *m)
{
        const struct id_map *maps[] = { &m->uid, &m->gid };

        for (size_t k = 0; k < 2; k++) {
                const char *kind = k ? "gid" : "uid";

                cr_assert_eq(maps[k]->n, 1, "%s ranges", kind);
                cr_assert_eq(maps[k]->r[0].container_id, 0, "%s containerID", kind);
                cr_assert_eq(maps[k]->r[0].host_id, 100000, "%s hostID", kind);
                cr_assert_eq(maps[k]->r[0].size, 65536, "%s size", kind);
        }
}
