/* The state document a runtime writes on the hook's stdin: oci_state_parse
 * and the annotations it fills.  The input is the document itself, parsed
 * from an exact-size copy so that AddressSanitizer sees a read past its end. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "oci/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_taken(const struct oci_state *s)
{
        FUZZ_CHECK(s->id != NULL);
        FUZZ_CHECK(s->pid > 0);
        FUZZ_CHECK(s->bundle != NULL && s->bundle[0] == '/');
        for (size_t i = 0; i < s->annotations.n; i++) {
                const struct kv *kv = &s->annotations.items[i];

                FUZZ_CHECK(kv->key != NULL && kv->value != NULL);
                /* duplicate keys are refused, so each key finds its own value */
                FUZZ_CHECK(annotations_get(&s->annotations, kv->key) == kv->value);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf = fuzz_memdup(data, size);
        struct oci_state s;
        struct err e = { 0 };
        int r;

        r = oci_state_parse(buf, size, "state", &s, &e);
        if (r == 0) {
                check_taken(&s);
                oci_state_free(&s);
                fuzz_taken++;
        } else {
                fuzz_check_refusal(r, &e, "state");
                FUZZ_CHECK(s.id == NULL);       /* nothing left behind */
        }
        free(buf);
        return 0;
}
