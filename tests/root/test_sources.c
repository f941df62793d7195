/* hook/sources.c: each bind mount's source as the host resolves it, on a
 * real tree of directories and symlinks in a fresh temporary directory
 * (no mount is made; the directory is removed at the end).  A source in
 * the rootfs, lexically or once its symlinks are followed, is never
 * resolved: the image's paths are not followed from the host. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hook/sources.h"
#include "oci/config.h"

static char top[64];

static const char *at(const char *rel)
{
        static char buf[8][256];
        static unsigned k;
        char *b = buf[k++ % 8];

        snprintf(b, sizeof(buf[0]), "%s/%s", top, rel);
        return b;
}

static void tree(void)
{
        strcpy(top, "/tmp/oih-sources-XXXXXX");
        cr_assert_not_null(mkdtemp(top), "mkdtemp: %s", strerror(errno));
        /* the host: /srv/vol, a link to it, the bundle and its rootfs */
        cr_assert_eq(mkdir(at("srv"), 0755), 0);
        cr_assert_eq(mkdir(at("srv/vol"), 0755), 0);
        cr_assert_eq(mkdir(at("b"), 0755), 0);
        cr_assert_eq(mkdir(at("b/rootfs"), 0755), 0);
        cr_assert_eq(mkdir(at("b/rootfs/etc"), 0755), 0);
        cr_assert_eq(mkdir(at("b/data"), 0755), 0);
        cr_assert_eq(mkdir(at("b/x"), 0755), 0);
        cr_assert_eq(symlink(at("srv/vol"), at("srv/link")), 0);
        cr_assert_eq(symlink(at("b/rootfs/etc"), at("srv/into-rootfs")), 0);
        /* the image's own link, which leads out of it from the host */
        cr_assert_eq(symlink(at("srv/vol"), at("b/rootfs/out")), 0);
}

static void untree(void)
{
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
        cr_assert_eq(system(cmd), 0);
}

TestSuite(sources, .init = tree, .fini = untree);

static void resolve(const char *mounts, char ***out, struct oci_config *c)
{
        char doc[4096];
        struct err e = { 0 };

        snprintf(doc, sizeof(doc), "{\"ociVersion\":\"1.1.0\",\"root\":{\"path\":\"rootfs\"},"
                 "\"mounts\":[%s]}", mounts);
        cr_assert_eq(oci_config_parse(doc, strlen(doc), at("b"), "config.json", c, &e), 0, "%s",
                     e.msg);
        cr_assert_eq(bind_sources_resolve(c, at("b"), out, &e), 0, "%s", e.msg);
}

/* A config.json mount entry with `source` (a printf argument). */
static const char *mount(const char *type, const char *source, const char *options)
{
        static char buf[8][512];
        static unsigned k;
        char *b = buf[k++ % 8];

        snprintf(b, sizeof(buf[0]), "{\"destination\":\"/d\",\"type\":\"%s\",\"source\":\"%s\","
                 "\"options\":[%s]}", type, source, options);
        return b;
}

Test(sources, binds_are_resolved_through_host_symlinks_and_from_the_bundle)
{
        struct oci_config c = { 0 };
        char mounts[4096], **v;

        snprintf(mounts, sizeof(mounts), "%s,%s,%s,%s,%s",
                 mount("bind", at("srv/vol"), ""),
                 mount("none", at("srv/link/../vol"), "\"rbind\""),
                 mount("none", "data", "\"bind\""),
                 mount("tmpfs", at("srv/vol"), ""),
                 mount("bind", at("srv/missing"), ""));
        resolve(mounts, &v, &c);
        cr_assert_str_eq(v[0], at("srv/vol"));
        /* ".." after a symlink is taken physically, as mount(2) takes it */
        cr_assert_str_eq(v[1], at("srv/vol"));
        cr_assert_str_eq(v[2], at("b/data"), "relative to the bundle");
        cr_assert_null(v[3], "not a bind");
        cr_assert_null(v[4], "nothing there");
        bind_sources_free(v, c.n_mounts);
        oci_config_free(&c);
}

Test(sources, a_source_in_the_rootfs_is_never_resolved)
{
        struct oci_config c = { 0 };
        char mounts[4096], **v;

        snprintf(mounts, sizeof(mounts), "%s,%s,%s,%s",
                 mount("bind", at("b/rootfs/out"), ""),
                 mount("bind", "rootfs/out", ""),
                 mount("bind", at("srv/into-rootfs"), ""),
                 mount("bind", at("b/x/../rootfs/out"), ""));
        resolve(mounts, &v, &c);
        /* the image's link leads to the host's /srv/vol: never followed */
        cr_assert_null(v[0], "%s", v[0]);
        cr_assert_null(v[1], "%s", v[1]);
        /* a host link into the rootfs */
        cr_assert_null(v[2], "%s", v[2]);
        cr_assert_null(v[3], "%s", v[3]);
        bind_sources_free(v, c.n_mounts);
        oci_config_free(&c);
}
