/* The OCI state document a runtime writes on a hook's stdin.
 *
 * runc: {"ociVersion":"1.0.2-dev","id":..,"status":"creating","pid":..,"bundle":..,"annotations":{..}}
 * crun: {"ociVersion":"1.0","id":..,"pid":..,"root":..,"bundle":..,"status":"created","annotations":{..}}
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "../base/err.h"

/* The hook refuses a state document larger than this. */
#define OCI_STATE_MAX (1024 * 1024)

struct kv {
        char *key;
        char *value;
};

struct annotations {
        size_t n;
        struct kv *items;
};

struct oci_state {
        char *oci_version;
        char *id;
        char *status;
        pid_t pid;              /* > 0 */
        char *bundle;           /* absolute */
        char *root;             /* crun only; NULL when absent */
        struct annotations annotations;
};

/* Parses one document; `where` names it in messages ("state"). Refuses
 * duplicate keys, wrong types, a missing id/pid/bundle, pid <= 0, a relative
 * bundle, and anything but white space after the document. */
int oci_state_parse(const char *buf, size_t len, const char *where,
                    struct oci_state *out, struct err *e);

/* Reads stdin-like `fd` to its end (refusing more than OCI_STATE_MAX bytes and
 * an empty input) and parses it. */
int oci_state_read_fd(int fd, struct oci_state *out, struct err *e);

void oci_state_free(struct oci_state *s);

struct json;

/* Fills `out` from `v`, an object whose values are strings (the runtime-spec's
 * "annotations"); `where` names the document.  Used for state and config.json. */
int annotations_from_json(const struct json *v, const char *where,
                          struct annotations *out, struct err *e);

/* The value for `key`, or NULL. */
const char *annotations_get(const struct annotations *a, const char *key);
void annotations_free(struct annotations *a);
