/* Lexical paths: "." and ".." resolved on the text alone.  The hook never
 * resolves paths of a rootfs the container may control by looking at the
 * filesystem from the host; where it must, it uses openat2(RESOLVE_IN_ROOT). */
#pragma once

/* `path` after `base`, as one absolute path: repeated slashes folded, "."
 * dropped, ".." taken lexically (never above "/"), as Go's
 * filepath.Join/Clean make a root.path against the bundle.  malloc'd; NULL
 * when out of memory. */
char *path_join(const char *base, const char *path);

/* The same, but ".." never climbs above `root`: a destination inside the
 * rootfs, as the runtimes treat it. */
char *path_join_in(const char *root, const char *path);
