/* An overlay mount's super options as its mount table line shows them:
 * ovl_options_parse, with mountinfo's octal escapes and the overlay's own
 * backslash escapes.  What it takes must be a rebuildable overlay. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "oci/overlay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_taken(const struct ovl_options *o)
{
        FUZZ_CHECK(o->n_lower > 0);
        /* an upper always comes with a work dir, and neither alone */
        FUZZ_CHECK(!o->upper == !o->work);
        for (size_t i = 0; i < o->n_lower; i++)
                FUZZ_CHECK(o->lower[i] != NULL);
        for (size_t i = 0; i < o->n_other; i++) {
                FUZZ_CHECK(o->other[i] != NULL);
                /* the layers and ro/rw never go back as plain options */
                FUZZ_CHECK(strncmp(o->other[i], "lowerdir", 8) != 0);
                FUZZ_CHECK(strncmp(o->other[i], "upperdir=", 9) != 0);
                FUZZ_CHECK(strncmp(o->other[i], "workdir=", 8) != 0);
                FUZZ_CHECK(strcmp(o->other[i], "ro") != 0 && strcmp(o->other[i], "rw") != 0);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = fuzz_strndup(data, size);
        struct ovl_options o;
        struct err e = { 0 };
        int r = ovl_options_parse(text, "rootfs `/r`", &o, &e);

        if (r == 0) {
                check_taken(&o);
                ovl_options_free(&o);
                fuzz_taken++;
        } else {
                fuzz_check_refusal(r, &e, "rootfs `/r`");
        }
        free(text);
        return 0;
}
