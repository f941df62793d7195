/* The id-mapping model: crun's idmap=... option (idmap_parse_crun_option),
 * the kernel's uid_map text (idmap_parse_proc), and what is done with a
 * parsed map (validate, render, format, compare).
 *
 * Input: one mode byte, then TEXT1, optionally a NUL byte and TEXT2.
 *   mode bit 0 clear: TEXT1 is a uid_map, TEXT2 (or TEXT1) a gid_map;
 *   mode bit 0 set:   TEXT1 is an idmap= value; TEXT2, when it reads as a
 *                     valid map, is the container's mapping (uids and gids),
 *                     else the container has podman's 0 100000 65536;
 *                     bit 1: the container has no mapping at all;
 *                     bit 2: the result is written over the container's.
 *   bits 3-7: the buffer size given to idmap_format. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "oci/idmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OPTION_WHERE "config.json: mounts[0] (/vol): option idmap"

/* What holds for every map that idmap_validate took. */
static void check_valid_map(const struct id_map *m, unsigned format_len)
{
        char text[IDMAP_TEXT_MAX], small[64];
        struct id_map again;
        int len;

        FUZZ_CHECK(m->n >= 1 && m->n <= IDMAP_MAX_RANGES);
        for (size_t i = 0; i < m->n; i++) {
                FUZZ_CHECK(idmap_container_has(m, m->r[i].container_id));
                FUZZ_CHECK(idmap_host_has(m, m->r[i].host_id));
        }
        FUZZ_CHECK(idmap_equal(m, m));

        /* validated means it fits in one write; the kernel's text reads back
         * as the same map */
        len = idmap_render(m, text, sizeof(text));
        FUZZ_CHECK(len > 0 && (size_t)len == strlen(text) && len < IDMAP_TEXT_MAX);
        FUZZ_CHECK(idmap_parse_proc(text, &again) == 0);
        FUZZ_CHECK(again.n == m->n && memcmp(again.r, m->r, m->n * sizeof(m->r[0])) == 0);

        len = idmap_format(m, small, format_len);
        if (len >= 0)
                FUZZ_CHECK((size_t)len == strlen(small) && (unsigned)len < format_len);
        else if (format_len > 0)
                FUZZ_CHECK(len == -E2BIG && strlen(small) < format_len);
}

/* The same map written another way: the first range of size 2 or more split
 * in two, the halves moved to the end.  The kernel gives both the same user
 * namespace, so idmap_equal must hold whatever order and split it sees. */
static void check_equal_resplit(const struct id_map *m)
{
        struct id_map split = *m;
        size_t i;

        for (i = 0; i < m->n && m->r[i].size < 2; i++)
                ;
        if (i == m->n || m->n == IDMAP_MAX_RANGES)
                return;
        uint32_t half = m->r[i].size / 2;
        memmove(&split.r[i], &split.r[i + 1], (m->n - i - 1) * sizeof(split.r[0]));
        split.r[m->n - 1] = (struct id_range){ m->r[i].container_id + half,
                                               m->r[i].host_id + half, m->r[i].size - half };
        split.r[m->n] = (struct id_range){ m->r[i].container_id, m->r[i].host_id, half };
        split.n = m->n + 1;
        FUZZ_CHECK(idmap_equal(m, &split));
        FUZZ_CHECK(idmap_equal(&split, m));
}

static void fuzz_proc(const char *uid_text, const char *gid_text, unsigned format_len)
{
        struct id_mapping m;
        struct err e = { 0 };
        int r;

        if (idmap_parse_proc(uid_text, &m.uid) < 0 || idmap_parse_proc(gid_text, &m.gid) < 0) {
                fuzz_refused++;
                return;
        }
        r = id_mapping_validate(&m, "proc: uid_map", "proc: gid_map", &e);
        if (r < 0) {
                fuzz_check_refusal(r, &e, "proc: ");
                return;
        }
        check_valid_map(&m.uid, format_len);
        check_valid_map(&m.gid, format_len);
        check_equal_resplit(&m.uid);
        FUZZ_CHECK(id_mapping_equal(&m, &m));
        FUZZ_CHECK(idmap_equal(&m.uid, &m.gid) == idmap_equal(&m.gid, &m.uid));
        fuzz_taken++;
}

static void fuzz_option(const char *value, const char *container_text, unsigned mode)
{
        static const struct id_range podman = { 0, 100000, 65536 };
        struct id_mapping container = { .uid = { 1, { podman } }, .gid = { 1, { podman } } };
        struct id_mapping res, *out = (mode & 4) ? &container : &res;
        struct err e = { 0 };
        struct id_map m;
        int r;

        if (container_text && idmap_parse_proc(container_text, &m) == 0 &&
            idmap_validate(&m, "container", &e) == 0)
                container.uid = container.gid = m;
        r = idmap_parse_crun_option(value, (mode & 2) ? NULL : &container, out, OPTION_WHERE, &e);
        if (r < 0) {
                fuzz_check_refusal(r, &e, OPTION_WHERE);
                return;
        }
        /* documented: the result is checked with idmap_validate() */
        FUZZ_CHECK(id_mapping_validate(out, "uids", "gids", &e) == 0);
        check_valid_map(&out->uid, 64);
        check_valid_map(&out->gid, 64);
        fuzz_taken++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const uint8_t *tail;
        char *text1, *text2 = NULL;
        size_t len1, len2;
        unsigned mode;

        if (size < 1)
                return 0;
        mode = data[0];
        fuzz_split(data + 1, size - 1, &len1, &tail, &len2);
        text1 = fuzz_strndup(data + 1, len1);
        if (tail)
                text2 = fuzz_strndup(tail, len2);
        if (mode & 1)
                fuzz_option(text1, text2, mode);
        else
                fuzz_proc(text1, text2 ? text2 : text1, mode >> 3);
        free(text1);
        free(text2);
        return 0;
}
