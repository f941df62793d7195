/* /proc/<pid>/mountinfo: mountinfo_parse, then the queries the planner makes
 * on what it took (top of a stack, by id, below another mount).  The input
 * is the file's text, parsed from an exact-size copy.  A parsed table can
 * hold anything the text says, parent loops and stacks of one mount point
 * included: the queries must end on all of them. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "oci/mountinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_taken(const struct mountinfo *mi)
{
        const struct mountinfo_entry *first = mi->n ? &mi->e[0] : NULL;

        for (size_t i = 0; i < mi->n; i++) {
                const struct mountinfo_entry *m = &mi->e[i];
                const struct mountinfo_entry *top;

                FUZZ_CHECK(m->root && m->mount_point && m->mount_options);
                FUZZ_CHECK(m->optional_fields && m->fstype && m->source && m->super_options);
                FUZZ_CHECK(mountinfo_by_id(mi, m->mount_id) != NULL);
                top = mountinfo_top(mi, m->mount_point);
                if (top)
                        FUZZ_CHECK(top >= mi->e && top < mi->e + mi->n);
                (void)mountinfo_is_below(mi, m, first);
                (void)mountinfo_is_below(mi, first, m);
                /* a few entries are enough to reach every query's loops; a
                 * quadratic walk over a large input only slows the fuzzer */
                if (i == 64)
                        break;
        }
        (void)mountinfo_top(mi, "/");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf = fuzz_memdup(data, size);
        struct mountinfo mi = { 0 };
        struct err e = { 0 };
        int r;

        r = mountinfo_parse(buf, size, "mountinfo", &mi, &e);
        if (r == 0) {
                check_taken(&mi);
                mountinfo_free(&mi);
                fuzz_taken++;
        } else {
                fuzz_check_refusal(r, &e, "mountinfo");
        }
        free(buf);
        return 0;
}
