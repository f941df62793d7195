/* The fuzz targets' regression corpus (tests/fuzz/corpus/<target>/), replayed
 * through the very code libFuzzer runs (tests/fuzz/fuzz_<target>.c, built
 * here with the project's compiler), so that every crash a fuzzer once found
 * stays fixed in the ordinary test run, and under ASan/UBSan in its sanitizer
 * build.  A target's checks abort on a violation, which Criterion reports as
 * a crash of the test. */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../fuzz/fuzz_util.h"

int fuzz_one_state(const uint8_t *data, size_t size);
int fuzz_one_config_plan(const uint8_t *data, size_t size);
int fuzz_one_mountinfo(const uint8_t *data, size_t size);
int fuzz_one_idmap(const uint8_t *data, size_t size);
int fuzz_one_overlay(const uint8_t *data, size_t size);

/* The file's bytes in an allocation of exactly its size. */
static uint8_t *read_exact(const char *path, size_t *len)
{
        struct stat st;
        uint8_t *buf;
        FILE *f = fopen(path, "rb");

        cr_assert_not_null(f, "cannot open %s", path);
        cr_assert_eq(fstat(fileno(f), &st), 0, "cannot stat %s", path);
        *len = (size_t)st.st_size;
        buf = malloc(*len ? *len : 1);
        cr_assert_not_null(buf);
        cr_assert_eq(fread(buf, 1, *len, f), *len, "short read of %s", path);
        fclose(f);
        return buf;
}

/* Feeds every file of corpus/<target> to `one`.  The corpus must hold at
 * least `min_files` inputs, and some the parsers took and some they refused:
 * a corpus refused at its first byte would replay nothing behind the parser. */
static void replay(const char *target, int (*one)(const uint8_t *, size_t), unsigned min_files)
{
        char dir[4096];
        struct dirent *de;
        unsigned files = 0;
        DIR *d;

        snprintf(dir, sizeof(dir), "%s/%s", FUZZ_CORPUS_DIR, target);
        d = opendir(dir);
        cr_assert_not_null(d, "no corpus directory %s", dir);
        fuzz_taken = fuzz_refused = 0;
        while ((de = readdir(d))) {
                char path[8192];
                uint8_t *buf;
                size_t len;

                if (de->d_name[0] == '.')
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
                buf = read_exact(path, &len);
                cr_assert_eq(one(buf, len), 0, "%s", path);
                free(buf);
                files++;
        }
        closedir(d);
        cr_log_info("%s: %u inputs, %lu taken, %lu refused", target, files, fuzz_taken,
                    fuzz_refused);
        cr_assert_geq(files, min_files, "%s holds %u inputs, expected at least %u", dir, files,
                      min_files);
        cr_assert_gt(fuzz_taken, 0, "no input in %s was taken", dir);
        cr_assert_gt(fuzz_refused, 0, "no input in %s was refused", dir);
}

Test(fuzz_corpus, state_replays_without_a_crash) { replay("state", fuzz_one_state, 10); }
Test(fuzz_corpus, config_plan_replays_without_a_crash) { replay("config_plan", fuzz_one_config_plan, 10); }
Test(fuzz_corpus, mountinfo_replays_without_a_crash) { replay("mountinfo", fuzz_one_mountinfo, 10); }
Test(fuzz_corpus, idmap_replays_without_a_crash) { replay("idmap", fuzz_one_idmap, 10); }
Test(fuzz_corpus, overlay_replays_without_a_crash) { replay("overlay", fuzz_one_overlay, 10); }
