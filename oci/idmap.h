/* The id-mapping model: validated uid/gid ranges as the kernel takes them.
 *
 * A range maps `size` ids starting at `container_id` inside a user namespace to
 * `size` ids starting at `host_id` outside it: one line "container host size"
 * of /proc/<pid>/uid_map.  An idmapped mount made with that user namespace shows
 * a file owned on disk by container id c as owned by host id h, so a container
 * that uses the same mapping sees it as c again.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"

/* The kernel takes at most 340 lines in one write to uid_map/gid_map
 * (UID_GID_MAP_MAX_EXTENTS), and the whole write must fit in a page. */
#define IDMAP_MAX_RANGES 340
#define IDMAP_TEXT_MAX 4096

struct id_range {
        uint32_t container_id;
        uint32_t host_id;
        uint32_t size;
};

struct id_map {
        size_t n;
        struct id_range r[IDMAP_MAX_RANGES];
};

struct id_mapping {
        struct id_map uid;
        struct id_map gid;
};

/* Checks one map against everything map_write() (kernel/user_namespace.c)
 * refuses from a privileged writer: at least one and at most
 * IDMAP_MAX_RANGES ranges; size > 0; on each side the last id
 * (first + size - 1) at most 4294967294, since 4294967295 is (uid_t)-1; no
 * two ranges sharing an id on either side (mappings_overlap()); and the
 * rendered text under IDMAP_TEXT_MAX bytes.  `where` names the input and
 * field for the message, e.g. "config.json: linux.uidMappings"; a failing
 * range is named as where[i].  A count n > IDMAP_MAX_RANGES is reported
 * without reading r[], so a parser may count past the array. */
int idmap_validate(const struct id_map *m, const char *where, struct err *e);

/* Checks both maps; a mapping with one map and not the other is refused,
 * naming the missing one. */
int id_mapping_validate(const struct id_mapping *m, const char *where_uid,
                        const char *where_gid, struct err *e);

/* Renders the exact text for one write to uid_map/gid_map
 * ("0 100000 65536\n" per range), NUL-terminated.  Returns the length, or
 * -E2BIG when it and its NUL do not fit in `len` bytes or the text would
 * reach IDMAP_TEXT_MAX bytes (the kernel takes one write under a page, so
 * 340 ranges of 10-digit ids never render), or -EINVAL for an empty map. */
int idmap_render(const struct id_map *m, char *buf, size_t len);

/* Renders "0:100000:65536,1000:2000:10" for messages and the plan printout.
 * Returns the length; -E2BIG when it does not fit in `len`, with `buf` then
 * holding the whole ranges that fit followed by "..." (when len >= 4). */
int idmap_format(const struct id_map *m, char *buf, size_t len);

/* True when some range maps container ids onto `host_id`. */
bool idmap_host_has(const struct id_map *m, uint32_t host_id);

/* True when some range covers `container_id` on the inside. */
bool idmap_container_has(const struct id_map *m, uint32_t container_id);

/* The host id that container id `container_id` maps to, in *host_id;
 * false when no range covers it. */
bool idmap_to_host(const struct id_map *m, uint32_t container_id, uint32_t *host_id);

/* True when both maps send every id to the same place, whatever the order
 * or split of their ranges ("0 1000 10" + "10 1010 10" equals "0 1000 20"):
 * the kernel sorts extents and looks ids up by range, so both give the same
 * user namespace. */
bool idmap_equal(const struct id_map *a, const struct id_map *b);
bool id_mapping_equal(const struct id_mapping *a, const struct id_mapping *b);

/* Parses crun's mount option value (what follows "idmap=") of the form
 *     uids=<c>-<h>-<n>[#<c>-<h>-<n>...];gids=<c>-<h>-<n>[#...]
 * c is the id on the backing file system (the inside of the mount's user
 * namespace), h the id it is shown as (the outside), n the size.  A range
 * written with a leading '@' ("@c-h-n") is relative to the container's own
 * mapping `container`: h then names a container id, translated to the host id
 * that `container` maps it to (split along `container`'s ranges when it runs
 * across them).  As crun reads each number with strtol(), white space and a
 * '+' may come before its digits and change nothing: "gids=+0-1-10" is
 * "gids=0-1-10".  A missing uids= or gids= part takes the container's map for
 * that kind; an empty value is the plain `idmap` option, the container's own
 * mapping.  The plain `idmap` option (no '=') is handled by the caller: the
 * mount takes the container's user namespace as it is.  The result is checked
 * with idmap_validate().  `where` names the mount for messages, e.g.
 * "config.json: mounts[4] (/vol): option idmap", and the message quotes the
 * offending part: `...: option idmap: "uids=0-1" needs container-host-size`.
 * `out` is written only on success and may be `container` itself.
 * The rules found in crun, with their sources, are in idmap.c. */
int idmap_parse_crun_option(const char *value, const struct id_mapping *container,
                            struct id_mapping *out, const char *where, struct err *e);

/* Parses what the kernel shows in /proc/<pid>/uid_map or gid_map: one
 * "container host size" line per range, numbers padded with blanks.  An
 * empty text (maps not written yet) gives an empty map. */
int idmap_parse_proc(const char *text, struct id_map *out);
