/* The copy of config.json the wrapper shows the runtime when it rebuilt an
 * overlay volume itself (hook/wrapper_config.c): only the named mounts lose
 * their idmap requests; every other byte of meaning stays. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "hook/wrapper_config.h"

static char *strip(const char *in, const bool *which, size_t n)
{
        struct err e = { 0 };
        char *out = NULL;
        size_t len = 0;

        cr_assert_eq(wrap_config_strip_idmaps(in, strlen(in), which, n, &out, &len, &e), 0,
                     "%s", e.msg);
        cr_assert_eq(strlen(out), len);
        return out;
}

Test(wrapper_config, only_the_named_mounts_lose_idmap_ridmap_and_their_mappings)
{
        const char *in =
                "{\"ociVersion\":\"1.0.2\",\"mounts\":["
                "{\"destination\":\"/a\",\"type\":\"bind\",\"source\":\"/s\","
                "\"options\":[\"rbind\",\"idmap\",\"ro\"]},"
                "{\"destination\":\"/b\",\"type\":\"bind\",\"source\":\"/t\","
                "\"options\":[\"ridmap\",\"nosuid\",\"idmap=uids=0-1-2\"],"
                "\"uidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":2}],"
                "\"gidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":2}]},"
                "{\"destination\":\"/c\",\"options\":[\"idmap\"]}],"
                "\"annotations\":{\"idmap\":\"idmap\"}}";
        const bool which[] = { true, true, false };

        cr_assert_str_eq(strip(in, which, 3),
                         "{\"ociVersion\":\"1.0.2\",\"mounts\":["
                         "{\"destination\":\"/a\",\"type\":\"bind\",\"source\":\"/s\","
                         "\"options\":[\"rbind\",\"ro\"]},"
                         "{\"destination\":\"/b\",\"type\":\"bind\",\"source\":\"/t\","
                         "\"options\":[\"nosuid\",\"idmap=uids=0-1-2\"]},"
                         "{\"destination\":\"/c\",\"options\":[\"idmap\"]}],"
                         "\"annotations\":{\"idmap\":\"idmap\"}}");
}

/* Numbers as written (no rounding through a double), strings with escapes
 * and non-ASCII text, nesting and member order: the same document. */
Test(wrapper_config, numbers_strings_and_order_are_kept)
{
        const char *in = "{\"z\":1e400,\"a\":[0.10,-0,18446744073709551615,true,null,{}],"
                         "\"s\":\"tab\\there \\u00e9 \\\"q\\\" \\u0001\",\"mounts\":[]}";
        char *out = strip(in, NULL, 0);

        cr_assert_str_eq(out, "{\"z\":1e400,\"a\":[0.10,-0,18446744073709551615,true,null,{}],"
                              "\"s\":\"tab\\there \xc3\xa9 \\\"q\\\" \\u0001\",\"mounts\":[]}");
}

Test(wrapper_config, a_document_that_is_not_an_object_is_refused)
{
        struct err e = { 0 };
        char *out = NULL;
        size_t len;

        cr_assert_lt(wrap_config_strip_idmaps("[1]", 3, NULL, 0, &out, &len, &e), 0);
        cr_assert_str_eq(e.msg, "config.json: expected an object, got array");
        cr_assert_null(out);
}
