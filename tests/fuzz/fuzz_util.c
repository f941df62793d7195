#include "fuzz_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

unsigned long fuzz_taken, fuzz_refused;

_Noreturn void fuzz_fail(const char *what, const char *file, int line)
{
        fprintf(stderr, "%s:%d: fuzz check failed: %s\n", file, line, what);
        abort();
}

void fuzz_check_refusal(int r, const struct err *e, const char *prefix)
{
        FUZZ_CHECK(r < 0);
        FUZZ_CHECK(e->errnum == -r);
        FUZZ_CHECK(e->msg[0] != '\0');
        FUZZ_CHECK(strchr(e->msg, '\n') == NULL);
        FUZZ_CHECK(strncmp(e->msg, prefix, strlen(prefix)) == 0);
        fuzz_refused++;
}

char *fuzz_strndup(const uint8_t *data, size_t size)
{
        char *s = malloc(size + 1);

        FUZZ_CHECK(s != NULL);
        if (size)
                memcpy(s, data, size);
        s[size] = '\0';
        return s;
}

char *fuzz_memdup(const uint8_t *data, size_t size)
{
        char *s = malloc(size ? size : 1);

        FUZZ_CHECK(s != NULL);
        if (size)
                memcpy(s, data, size);
        return s;
}

void fuzz_split(const uint8_t *data, size_t size, size_t *head_len,
                const uint8_t **tail, size_t *tail_len)
{
        const uint8_t *nul = size ? memchr(data, '\0', size) : NULL;

        *head_len = nul ? (size_t)(nul - data) : size;
        *tail = nul ? nul + 1 : NULL;
        *tail_len = nul ? size - *head_len - 1 : 0;
}
