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

#include "err.h"

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

/* Checks one map: size > 0, no range past 2^32-1 on either side, no overlap
 * on either side, at most IDMAP_MAX_RANGES ranges.  `where` names the input
 * and field for the message, e.g. "config.json: linux.uidMappings"; a failing
 * range is named as where[i]. */
int idmap_validate(const struct id_map *m, const char *where, struct err *e);

/* Checks both maps; a mapping with one map and not the other is refused. */
int id_mapping_validate(const struct id_mapping *m, const char *where_uid,
                        const char *where_gid, struct err *e);

/* Renders the exact text for one write to uid_map/gid_map
 * ("0 100000 65536\n" per range).  Returns the length, or -E2BIG when it does
 * not fit in `len` bytes (len <= IDMAP_TEXT_MAX keeps it under a page). */
int idmap_render(const struct id_map *m, char *buf, size_t len);

/* Renders "0:100000:65536,..." for messages and the plan printout. */
int idmap_format(const struct id_map *m, char *buf, size_t len);

/* True when some range maps container ids onto `host_id`. */
bool idmap_host_has(const struct id_map *m, uint32_t host_id);

/* True when some range covers `container_id` on the inside. */
bool idmap_container_has(const struct id_map *m, uint32_t container_id);

bool idmap_equal(const struct id_map *a, const struct id_map *b);
bool id_mapping_equal(const struct id_mapping *a, const struct id_mapping *b);

/* Parses crun's mount option value (what follows "idmap=") of the form
 *     uids=<c>-<h>-<n>[#<c>-<h>-<n>...];gids=<c>-<h>-<n>[#...]
 * where a host id written with a leading '@' is relative to the container's
 * own mapping `container` (it names a container id, translated to the host id
 * that `container` maps it to).  A missing uids= or gids= part takes the
 * container's map for that kind.  `where` names the mount for messages, e.g.
 * "config.json: mounts[4] (/vol): option idmap". */
int idmap_parse_crun_option(const char *value, const struct id_mapping *container,
                            struct id_mapping *out, const char *where, struct err *e);
