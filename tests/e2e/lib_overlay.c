/* End-to-end support for overlay root filesystems: see lib_overlay.h. */
#include "lib_overlay.h"

#include "base/cleanup.h"
#include "hook/userns.h"
#include "oci/idmap.h"
#include "tests/support/oci_bundle.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* glibc 2.36 declares open_tree, move_mount and mount_setattr here. */
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

/* Zeroed memory for the test's life: each Criterion test is a process of its
 * own, which exit frees. */
static void *zalloc(size_t n, size_t size)
{
        void *p = calloc(n, size);

        cr_assert_not_null(p, "out of memory");
        return p;
}

/* ---- layers ------------------------------------------------------------- */

static void whiteout(const char *path)
{
        /* overlayfs reads a character device 0:0 in a layer as "deleted
         * below"; on the upper layer it makes one itself for each removal. */
        cr_assert_eq(mknod(path, S_IFCHR | 0, makedev(0, 0)), 0, "mknod `%s`: %s", path,
                     strerror(errno));
}

static void opaque_dir(const char *path)
{
        e2e_mkdirs(path, 0755);
        /* A lower layer's directory with this xattr hides what the layers
         * below hold at the same path (trusted.*: root-mounted overlays). */
        cr_assert_eq(setxattr(path, "trusted.overlay.opaque", "y", 1, 0), 0,
                     "setxattr `%s` trusted.overlay.opaque: %s", path, strerror(errno));
}

static void fill_layer(const struct ovl_layers *l, size_t k)
{
        const char *d = l->layer[k];

        if (k == 0) {
                e2e_make_rootfs(d);
                e2e_write_file(e2e_strf("%s/etc/doomed", d), "doomed\n");
                e2e_write_file(e2e_strf("%s/etc/removable", d), "removable\n");
                e2e_mkdirs(e2e_strf("%s/opaque", d), 0755);
                e2e_write_file(e2e_strf("%s/opaque/old", d), "old\n");
                e2e_mkdirs(e2e_strf("%s/stack", d), 0755);
                e2e_write_file(e2e_strf("%s/stack/top", d), "0\n");
                return;
        }
        e2e_mkdirs(e2e_strf("%s/stack", d), 0755);
        e2e_write_file(e2e_strf("%s/stack/%zu", d, k), e2e_strf("%zu\n", k));
        e2e_write_file(e2e_strf("%s/stack/top", d), e2e_strf("%zu\n", k));
        if (k == 1) {
                e2e_mkdirs(e2e_strf("%s/etc", d), 0755);
                whiteout(e2e_strf("%s/etc/doomed", d));
                opaque_dir(e2e_strf("%s/opaque", d));
                e2e_write_file(e2e_strf("%s/opaque/new", d), "new\n");
        }
        if (k == l->n - 1 && l->n >= 3)
                whiteout(e2e_strf("%s/stack/1", d));
}

struct ovl_layers *ovl_make_layers(const char *name, size_t n)
{
        struct ovl_layers *l = zalloc(1, sizeof(*l));
        char *lowerdir = e2e_strf("%s", "");

        cr_assert(n >= 1, "an overlay needs a lower layer");
        l->n = n;
        l->dir = e2e_strf("%s/%s", e2e_disk_dir(), name);
        l->layer = zalloc(n, sizeof(*l->layer));
        for (size_t k = 0; k < n; k++) {
                l->layer[k] = e2e_strf("%s/%zu", l->dir, k);
                e2e_mkdirs(l->layer[k], 0755);
                fill_layer(l, k);
                lowerdir = e2e_strf("%s%s%s", l->layer[k], k ? ":" : "", lowerdir);
        }
        l->lowerdir = lowerdir;
        return l;
}

/* One section per layer; within it, every entry by stat (sorted by name),
 * every regular file by content, and every xattr (trusted.overlay.* too). */
#define LISTING_SCRIPT                                                                 \
        "set -e; for d in \"$@\"; do echo \"== $d\"; cd \"$d\"; "                      \
        "find . -exec stat -c '%u:%g %a %s %F %t:%T %Z %n' {} + | LC_ALL=C sort; "     \
        "find . -type f -exec sha256sum {} + | LC_ALL=C sort; "                        \
        "getfattr -R -P -d -m - -e hex . | LC_ALL=C sort; done"

char *ovl_layers_listing(const struct ovl_layers *l)
{
        const char **argv = zalloc(l->n + 5, sizeof(*argv));
        size_t k = 0;

        argv[k++] = "sh";
        argv[k++] = "-c";
        argv[k++] = LISTING_SCRIPT;
        argv[k++] = "layers-listing";
        for (size_t i = 0; i < l->n; i++)
                argv[k++] = l->layer[i];
        argv[k] = NULL;
        struct e2e_result *r = e2e_run(argv);
        e2e_expect_ok(r);
        /* sha256sum's form, "<hex>  <path>": the contents are in it. */
        cr_assert_not_null(strstr(r->out, "  ./bin/busybox\n"),
                           "the layer listing lacks the files' checksums:\n%s", e2e_describe(r));
        return r->out;
}

void ovl_expect_layers_unchanged(const struct ovl_layers *l, const char *before)
{
        char *after = ovl_layers_listing(l);

        cr_assert_str_eq(after, before, "a lower layer changed on disk:\n--- before ---\n%s"
                         "--- after ---\n%s", before, after);
}

const char *ovl_idmapped_lowerdir(const struct ovl_layers *l, const char *name,
                                  unsigned host_base)
{
        static struct id_mapping m;
        struct err e = { 0 };
        char *lowerdir = e2e_strf("%s", "");

        m.uid.n = m.gid.n = 1;
        m.uid.r[0] = m.gid.r[0] = (struct id_range){ 0, host_base, 65536 };
        _cleanup_close_ int userns = userns_fd(&m, &e);
        cr_assert_geq(userns, 0, "%s", e.msg);

        for (size_t k = 0; k < l->n; k++) {
                const char *point = e2e_strf("%s/%s/%zu", e2e_disk_dir(), name, k);
                e2e_mkdirs(point, 0755);
                _cleanup_close_ int tree = open_tree(AT_FDCWD, l->layer[k],
                                                     OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
                cr_assert_geq(tree, 0, "open_tree `%s`: %s", l->layer[k], strerror(errno));
                struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = userns };
                cr_assert_eq(mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)), 0,
                             "idmap `%s`: %s", l->layer[k], strerror(errno));
                cr_assert_eq(move_mount(tree, "", AT_FDCWD, point, MOVE_MOUNT_F_EMPTY_PATH), 0,
                             "move_mount onto `%s`: %s", point, strerror(errno));
                lowerdir = e2e_strf("%s%s%s", point, k ? ":" : "", lowerdir);
        }
        return lowerdir;
}

/* ---- overlays ----------------------------------------------------------- */

static void mount_overlay(const struct ovl_rootfs *o)
{
        const char *data = e2e_strf("lowerdir=%s,upperdir=%s,workdir=%s", o->lowerdir,
                                    o->upper, o->work);

        cr_assert_eq(mount("overlay", o->merged, "overlay", 0, data), 0,
                     "mount overlay on `%s` (%s): %s", o->merged, data, strerror(errno));
}

struct ovl_rootfs *ovl_mount(const char *lowerdir, const char *name, uid_t owner)
{
        struct ovl_rootfs *o = zalloc(1, sizeof(*o));
        const char *dir = e2e_strf("%s/%s", e2e_disk_dir(), name);

        o->lowerdir = lowerdir;
        o->upper = e2e_strf("%s/upper", dir);
        o->work = e2e_strf("%s/work", dir);
        o->merged = e2e_strf("%s/mnt/%s", e2e_disk_dir(), name);
        e2e_mkdirs(o->upper, 0755);
        e2e_mkdirs(o->work, 0755);
        e2e_mkdirs(o->merged, 0755);
        cr_assert_eq(chown(o->upper, owner, owner), 0, "chown `%s`: %s", o->upper, strerror(errno));
        cr_assert_eq(chown(o->work, owner, owner), 0, "chown `%s`: %s", o->work, strerror(errno));
        mount_overlay(o);
        return o;
}

void ovl_remount(const struct ovl_rootfs *o)
{
        cr_assert_eq(umount2(o->merged, 0), 0, "umount `%s`: %s", o->merged, strerror(errno));
        mount_overlay(o);
}

void ovl_expect_upper_owner(const struct ovl_rootfs *o, const char *name, uid_t uid)
{
        const char *path = e2e_strf("%s/%s", o->upper, name);
        struct stat st;

        cr_assert_eq(lstat(path, &st), 0, "the write did not land in the upper dir: "
                     "stat `%s`: %s", path, strerror(errno));
        cr_assert(st.st_uid == uid && st.st_gid == uid, "`%s` is owned by %u:%u on disk, not %u:%u",
                  path, (unsigned)st.st_uid, (unsigned)st.st_gid, (unsigned)uid, (unsigned)uid);
}

void ovl_expect_upper_whiteout(const struct ovl_rootfs *o, const char *name)
{
        const char *path = e2e_strf("%s/%s", o->upper, name);
        struct stat st;

        cr_assert_eq(lstat(path, &st), 0, "no whiteout in the upper dir: stat `%s`: %s", path,
                     strerror(errno));
        cr_assert(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0),
                  "`%s` is not a whiteout (mode %o, rdev %u:%u)", path, (unsigned)st.st_mode,
                  major(st.st_rdev), minor(st.st_rdev));
}

const char *ovl_root_super_options(const char *mountinfo)
{
        return ovl_super_options_at(mountinfo, "/");
}

const char *ovl_super_options_at(const char *mountinfo, const char *at)
{
        const char *found = NULL;
        char *text = e2e_strf("%s", mountinfo), *save = NULL;

        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char point[4096], fstype[256], source[4096], super[8192];
                const char *sep = strstr(line, " - ");
                if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", point) != 1 ||
                    strcmp(point, at) != 0)
                        continue;
                if (sscanf(sep + 3, "%255s %4095s %8191s", fstype, source, super) == 3)
                        found = e2e_strf("%s %s", fstype, super);
        }
        cr_assert_not_null(found, "no mount at %s in:\n%s", at, mountinfo);
        return found;
}

static bool is_mounted(const char *point, const char *fstype_prefix)
{
        const char *mountinfo = e2e_read_file("/proc/self/mountinfo");
        const char *needle = e2e_strf(" %s ", point);

        for (const char *at = strstr(mountinfo, needle); at; at = strstr(at + 1, needle)) {
                const char *eol = strchr(at, '\n'), *sep = strstr(at, " - ");
                if (sep && (!eol || sep < eol) &&
                    strncmp(sep + 3, fstype_prefix, strlen(fstype_prefix)) == 0)
                        return true;
        }
        return false;
}

const char *ovl_start_fuse_layer(struct e2e_proc *daemon, const char *name)
{
        const char *src = e2e_strf("%s/%s-src", e2e_disk_dir(), name);
        const char *point = e2e_strf("%s/%s", e2e_disk_dir(), name);

        e2e_mkdirs(src, 0755);
        e2e_mkdirs(point, 0755);
        e2e_write_file(e2e_strf("%s/fuse-file", src), "fuse\n");
        /* -f: in the foreground, so that the test starts, sees and reaps it;
         * a lowerdir alone makes a read-only FUSE tree of it. */
        e2e_start(daemon, E2E_ARGV("fuse-overlayfs", "-f", "-o",
                                   e2e_strf("lowerdir=%s", src), point));
        for (int i = 0; i < 250 && !is_mounted(point, "fuse"); i++) {
                siginfo_t si = { 0 };
                waitid(P_PID, daemon->pid, &si, WEXITED | WNOHANG | WNOWAIT);
                if (si.si_pid == daemon->pid)
                        cr_assert_fail("fuse-overlayfs exited:\n%s",
                                       e2e_describe(e2e_finish(daemon, 1)));
                usleep(20000);
        }
        cr_assert(is_mounted(point, "fuse"), "no FUSE mount at `%s` after 5 s", point);
        return point;
}

void ovl_stop_fuse_layer(struct e2e_proc *daemon, const char *point)
{
        cr_assert_eq(umount2(point, 0), 0, "umount `%s`: %s", point, strerror(errno));
        e2e_expect_ok(e2e_finish(daemon, 10));
}


void ovl_split_at_marker(const struct e2e_result *r, const char **listing, const char **mountinfo)
{
        const char *marker = strstr(r->out, "==\n");

        cr_assert_not_null(marker, "no == line in the container's output:\n%s", e2e_describe(r));
        *listing = e2e_strf("%.*s", (int)(marker - r->out), r->out);
        *mountinfo = marker + 3;
}

const char *ovl_mount_submount(const struct ovl_rootfs *o)
{
        const char *sub = e2e_strf("%s/opaque", o->merged);

        cr_assert_eq(mount("tmpfs", sub, "tmpfs", MS_NOSUID, "mode=0755"), 0, "mount `%s`", sub);
        e2e_write_file(e2e_strf("%s/in-tmpfs", sub), "t\n");
        return sub;
}

void ovl_expect_submount_carried(const struct e2e_result *r, bool mapped)
{
        const char *files, *mi;

        e2e_expect_ok(r);
        ovl_split_at_marker(r, &files, &mi);
        cr_assert_str_eq(files, mapped ? "0\n0\nt\n" : "0\n65534\nt\n", "%s", e2e_describe(r));
        e2e_expect_idmapped(mi, "/vol/opaque", mapped);
        e2e_expect_mount_flags(e2e_mount_view_parse(mi), "/vol/opaque", E2E_NOSUID, mi);
        cr_assert_str_eq(e2e_mount_view_only(e2e_mount_view_parse(mi), "/vol", mi)->fstype,
                         "overlay");
}
