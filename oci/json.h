/* Small helpers over yajl for the two JSON documents the hook reads.
 *
 * json_parse builds a read-only tree with yajl's callback parser rather than
 * yajl_tree_parse, because yajl_tree_parse keeps duplicate keys (the consumer
 * would see one of two values, and which one depends on the reader) and reads
 * a NUL-terminated string (a NUL byte would hide whatever follows it).  Here
 * a document is refused when
 *   - it is not one JSON value, or anything but white space follows it;
 *   - any object in it, at any depth, has a key twice;
 *   - it holds more than JSON_MAX_VALUES values (the tree costs ~40 bytes
 *     per value: this bounds the memory an input can make the hook use), or
 *     nests deeper than JSON_MAX_DEPTH, the limit of Go's encoding/json
 *     (runc's reader); crun's yajl tree has none.  Each level holds a value,
 *     so the depth costs no memory the value count does not already bound.
 *
 * The tree lives in one arena freed by json_doc_free.  Strings and numbers
 * keep their exact bytes (numbers as written, so that range checks see the
 * text and not a rounded double).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"

#define JSON_MAX_DEPTH 10000
#define JSON_MAX_VALUES (1u << 20)

enum json_type {
        JSON_NULL,
        JSON_BOOL,
        JSON_NUMBER,
        JSON_STRING,
        JSON_ARRAY,
        JSON_OBJECT,
};

struct json {
        struct json *next;      /* the next member or element of the parent */
        const char *key;        /* member name (NUL-terminated), NULL in an array */
        union {
                const char *s;          /* JSON_STRING, JSON_NUMBER: NUL-terminated */
                struct json *child;     /* JSON_ARRAY, JSON_OBJECT: first one */
        };
        uint32_t key_len;
        uint32_t len;           /* bytes of s; members/elements of a container */
        uint8_t type;           /* enum json_type */
        bool b;                 /* JSON_BOOL */
};

struct json_doc;

/* Parses exactly one JSON value from buf[0..len).  `where` names the input in
 * messages ("state", "config.json"): syntax errors read
 * "<where>: <yajl's message> at byte N". */
int json_parse(const char *buf, size_t len, const char *where,
               struct json_doc **out, struct err *e);

/* The same, read as leniently as a runtime reads config.json, for the
 * documents json_parse refuses but a runtime takes:
 *   JSON_ALLOW_DUPLICATES  objects keep repeated keys, in document order.
 *                          The runtimes differ on which one counts: Go's
 *                          encoding/json (runc) decodes each in turn into the
 *                          same field, so the LAST one wins (and repeated
 *                          objects merge); crun's libocispec looks keys up
 *                          with yajl_tree_get, which finds the FIRST.
 *                          json_get finds the first; the probe in config.c
 *                          also reads them the Go way.
 *   JSON_ALLOW_COMMENTS    slash-star and slash-slash comments, which
 *                          yajl_tree_parse (crun) allows; Go refuses them.
 *   JSON_ANY_BYTES         strings need not be valid UTF-8: Go takes invalid
 *                          bytes (as U+FFFD), yajl refuses them.
 *   JSON_ANY_DEPTH         no nesting limit (yajl has none); the value
 *                          count still bounds the memory.
 *   JSON_ALLOW_TRAILING    anything may follow the first value: runc reads
 *                          config.json with a json.Decoder, which stops
 *                          there; yajl_tree_parse refuses it. */
#define JSON_ALLOW_DUPLICATES 1u
#define JSON_ALLOW_COMMENTS 2u
#define JSON_ANY_BYTES 4u
#define JSON_ANY_DEPTH 8u
#define JSON_ALLOW_TRAILING 16u
int json_parse_flags(const char *buf, size_t len, const char *where, unsigned flags,
                     struct json_doc **out, struct err *e);
const struct json *json_doc_root(const struct json_doc *d);
void json_doc_free(struct json_doc *d);
static inline void json_doc_freep(struct json_doc **d) { json_doc_free(*d); }

#define json_for_each(v, container) \
        for (const struct json *v = (container)->child; v; v = v->next)

/* "null", "boolean", "number", "string", "array" or "object". */
const char *json_type_name(const struct json *v);

/* The member `key` of object `obj`; NULL when absent or when obj is not an
 * object.  In a document read with JSON_ALLOW_DUPLICATES, the first member
 * of that name. */
const struct json *json_get(const struct json *obj, const char *key);

/* The checked accessors below name the field in their message with a
 * printf-style `fmt` formatted only on failure, e.g.
 *     json_string(v, &s, e, "%s: mounts[%zu].destination", where, i)
 * fails with "config.json: mounts[2].destination: expected a string, got number". */

int json_expect(const struct json *v, enum json_type type, struct err *e, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* A copy of the string; refuses other types and strings holding a NUL byte
 * (a C string would silently end there). */
int json_strdup(const struct json *v, char **out, struct err *e, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

int json_bool(const struct json *v, bool *out, struct err *e, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* An integer 0..UINT32_MAX written without fraction or exponent. */
int json_u32(const struct json *v, uint32_t *out, struct err *e, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* The number's text as an integer: -EINVAL when it has a fraction or an
 * exponent (or is no number), -ERANGE when it does not fit. */
int json_number_ll(const struct json *v, long long *out);
