#include "json.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_parse.h>

#include "../base/cleanup.h"
#include "../base/io.h"

/* ---- arena: every node and string of one document, freed at once ---- */

struct chunk {
        struct chunk *prev;
        size_t used, size;
        max_align_t data[];
};

struct json_doc {
        struct chunk *chunks;
        struct json *root;
};

#define CHUNK_MIN (32 * 1024)

static void *arena_alloc(struct json_doc *d, size_t n)
{
        struct chunk *c = d->chunks;
        void *p;

        n = (n + 7) & ~(size_t)7;
        if (!c || c->size - c->used < n) {
                /* Doubling keeps the number of chunks logarithmic in the
                 * document's size; the first one holds a typical config.json. */
                size_t size = c ? c->size * 2 : CHUNK_MIN;

                if (size < n)
                        size = n;
                c = malloc(sizeof(*c) + size);
                if (!c)
                        return NULL;
                c->prev = d->chunks;
                c->used = 0;
                c->size = size;
                d->chunks = c;
        }
        p = (char *)c->data + c->used;
        c->used += n;
        return p;
}

static char *arena_strndup(struct json_doc *d, const void *s, size_t len)
{
        char *p = arena_alloc(d, len + 1);

        if (!p)
                return NULL;
        memcpy(p, s, len);
        p[len] = '\0';
        return p;
}

void json_doc_free(struct json_doc *d)
{
        if (!d)
                return;
        while (d->chunks) {
                struct chunk *prev = d->chunks->prev;

                free(d->chunks);
                d->chunks = prev;
        }
        free(d);
}

const struct json *json_doc_root(const struct json_doc *d)
{
        return d->root;
}

static const char *const type_names[] = {
        [JSON_NULL] = "null",
        [JSON_BOOL] = "boolean",
        [JSON_NUMBER] = "number",
        [JSON_STRING] = "string",
        [JSON_ARRAY] = "array",
        [JSON_OBJECT] = "object",
};

static const char *const type_wanted[] = {
        [JSON_NULL] = "null",
        [JSON_BOOL] = "a boolean",
        [JSON_NUMBER] = "a number",
        [JSON_STRING] = "a string",
        [JSON_ARRAY] = "an array",
        [JSON_OBJECT] = "an object",
};

const char *json_type_name(const struct json *v)
{
        return v->type < ARRAY_SIZE(type_names) ? type_names[v->type] : "?";
}

/* Formats the field name of a checked accessor; called on failure only. */
#define FIELD(buf, fmt)                                 \
        do {                                            \
                va_list ap_;                            \
                va_start(ap_, fmt);                     \
                vsnprintf(buf, sizeof(buf), fmt, ap_);  \
                va_end(ap_);                            \
        } while (0)

static int type_error(const struct json *v, enum json_type want, const char *field,
                      struct err *e)
{
        return err_set(e, EINVAL, "%s: expected %s, got %s", field, type_wanted[want],
                       json_type_name(v));
}

int json_expect(const struct json *v, enum json_type type, struct err *e, const char *fmt, ...)
{
        char field[512];

        if (v->type == type)
                return 0;
        FIELD(field, fmt);
        return type_error(v, type, field, e);
}

int json_strdup(const struct json *v, char **out, struct err *e, const char *fmt, ...)
{
        char field[512];
        char *s;

        if (v->type != JSON_STRING) {
                FIELD(field, fmt);
                return type_error(v, JSON_STRING, field, e);
        }
        if (memchr(v->s, '\0', v->len)) {
                char q[MSG_QUOTE_MAX];

                FIELD(field, fmt);
                return err_set(e, EINVAL, "%s: %s holds a NUL byte", field,
                               msg_quote(v->s, v->len, true, q, sizeof(q)));
        }
        s = malloc(v->len + 1);
        if (!s)
                return err_set(e, ENOMEM, "out of memory");
        memcpy(s, v->s, v->len + 1);
        *out = s;
        return 0;
}

int json_bool(const struct json *v, bool *out, struct err *e, const char *fmt, ...)
{
        char field[512];

        if (v->type != JSON_BOOL) {
                FIELD(field, fmt);
                return type_error(v, JSON_BOOL, field, e);
        }
        *out = v->b;
        return 0;
}

int json_number_ll(const struct json *v, long long *out)
{
        const char *p;
        bool negative;
        unsigned long long n = 0, limit;

        if (v->type != JSON_NUMBER || v->len == 0)
                return -EINVAL;
        p = v->s;
        negative = *p == '-';
        if (negative)
                p++;
        limit = negative ? (unsigned long long)LLONG_MAX + 1 : LLONG_MAX;
        if (*p == '\0')
                return -EINVAL;
        for (; *p; p++) {
                unsigned d;

                /* yajl has checked the grammar: anything but a digit here is
                 * a fraction or an exponent. */
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                d = (unsigned)(*p - '0');
                if (n > (limit - d) / 10)
                        return -ERANGE;
                n = n * 10 + d;
        }
        *out = negative ? (long long)(0 - n) : (long long)n;
        return 0;
}

int json_u32(const struct json *v, uint32_t *out, struct err *e, const char *fmt, ...)
{
        char field[512], q[MSG_QUOTE_MAX];
        long long n;

        if (v->type != JSON_NUMBER) {
                FIELD(field, fmt);
                return type_error(v, JSON_NUMBER, field, e);
        }
        if (json_number_ll(v, &n) < 0 || n < 0 || n > UINT32_MAX) {
                FIELD(field, fmt);
                return err_set(e, EINVAL, "%s: expected an integer from 0 to %u, got %s", field,
                               UINT32_MAX, msg_quote(v->s, v->len, false, q, sizeof(q)));
        }
        *out = (uint32_t)n;
        return 0;
}

const struct json *json_get(const struct json *obj, const char *key)
{
        size_t len;

        if (!obj || obj->type != JSON_OBJECT)
                return NULL;
        len = strlen(key);
        json_for_each(m, obj)
                if (m->key_len == len && memcmp(m->key, key, len) == 0)
                        return m;
        return NULL;
}

/* ---- the tree builder, driven by yajl's callbacks ---- */

struct frame {
        struct json *node;
        struct json *last;
};

struct builder {
        yajl_handle h;
        struct json_doc *doc;
        const char *where;
        struct err *e;
        const char *key;        /* the pending member name */
        uint32_t key_len;
        size_t n_values;
        unsigned depth;
        unsigned max_depth;
        unsigned flags;
        unsigned stack_size;
        struct frame *stack;    /* grown as the document nests */
};

static size_t builder_offset(const struct builder *b)
{
        return yajl_get_bytes_consumed(b->h);
}

/* Names the innermost open container, e.g. "mounts[2].options", for
 * messages about something found inside it; "" at the top level. */
static void builder_path(const struct builder *b, char *buf, size_t size)
{
        size_t o = 0;

        buf[0] = '\0';
        for (unsigned i = 1; i < b->depth && o < size; i++) {
                const struct json *parent = b->stack[i - 1].node;
                const struct json *node = b->stack[i].node;
                char q[MSG_QUOTE_MAX];
                int n;

                if (parent->type == JSON_OBJECT)
                        n = snprintf(buf + o, size - o, "%s%s", o ? "." : "",
                                     msg_quote(node->key, node->key_len, false, q, sizeof(q)));
                else
                        n = snprintf(buf + o, size - o, "[%u]", parent->len - 1);
                if (n < 0)
                        break;
                o += (size_t)n;
        }
}

static int builder_fail(struct builder *b, int errnum, const char *what)
{
        char path[512];

        builder_path(b, path, sizeof(path));
        err_set(b->e, errnum, "%s: %s%s%s at byte %zu", b->where, path, path[0] ? ": " : "",
                what, builder_offset(b));
        return 0;       /* tells yajl to stop */
}

static struct json *builder_add(struct builder *b, enum json_type type)
{
        struct json *node;

        if (++b->n_values > JSON_MAX_VALUES) {
                char what[64];

                snprintf(what, sizeof(what), "more than %u values", JSON_MAX_VALUES);
                builder_fail(b, E2BIG, what);
                return NULL;
        }
        node = arena_alloc(b->doc, sizeof(*node));
        if (!node) {
                builder_fail(b, ENOMEM, "out of memory");
                return NULL;
        }
        *node = (struct json){ .type = type };
        if (b->depth == 0) {
                b->doc->root = node;
        } else {
                struct frame *f = &b->stack[b->depth - 1];

                if (f->node->type == JSON_OBJECT) {
                        node->key = b->key;
                        node->key_len = b->key_len;
                        b->key = NULL;
                }
                if (f->last)
                        f->last->next = node;
                else
                        f->node->child = node;
                f->last = node;
                f->node->len++;
        }
        return node;
}

static int add_text(struct builder *b, enum json_type type, const void *s, size_t len)
{
        struct json *node = builder_add(b, type);

        if (!node)
                return 0;
        node->s = arena_strndup(b->doc, s, len);
        if (!node->s)
                return builder_fail(b, ENOMEM, "out of memory");
        node->len = (uint32_t)len;
        return 1;
}

static int on_null(void *ctx)
{
        return builder_add(ctx, JSON_NULL) != NULL;
}

static int on_boolean(void *ctx, int value)
{
        struct json *node = builder_add(ctx, JSON_BOOL);

        if (!node)
                return 0;
        node->b = value;
        return 1;
}

static int on_number(void *ctx, const char *s, size_t len)
{
        return add_text(ctx, JSON_NUMBER, s, len);
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
        return add_text(ctx, JSON_STRING, s, len);
}

static int on_map_key(void *ctx, const unsigned char *s, size_t len)
{
        struct builder *b = ctx;

        b->key = arena_strndup(b->doc, s, len);
        if (!b->key)
                return builder_fail(b, ENOMEM, "out of memory");
        b->key_len = (uint32_t)len;
        return 1;
}

static int open_container(struct builder *b, enum json_type type)
{
        struct json *node;

        if (b->depth == b->max_depth) {
                char what[64];

                snprintf(what, sizeof(what), "nested deeper than %u levels", b->max_depth);
                return builder_fail(b, EINVAL, what);
        }
        node = builder_add(b, type);
        if (!node)
                return 0;
        if (b->depth == b->stack_size) {
                /* Every level holds a value, so JSON_MAX_VALUES bounds this
                 * too. */
                unsigned size = b->stack_size ? b->stack_size * 2 : 64;
                struct frame *st = realloc(b->stack, size * sizeof(*st));

                if (!st)
                        return builder_fail(b, ENOMEM, "out of memory");
                b->stack = st;
                b->stack_size = size;
        }
        b->stack[b->depth++] = (struct frame){ .node = node };
        return 1;
}

static int on_start_map(void *ctx)
{
        return open_container(ctx, JSON_OBJECT);
}

static int on_start_array(void *ctx)
{
        return open_container(ctx, JSON_ARRAY);
}

static int key_cmp(const void *pa, const void *pb)
{
        const struct json *a = *(const struct json *const *)pa;
        const struct json *b = *(const struct json *const *)pb;

        if (a->key_len != b->key_len)
                return a->key_len < b->key_len ? -1 : 1;
        return memcmp(a->key, b->key, a->key_len);
}

/* Finds a key present twice in `obj`: pairwise for the small objects of real
 * documents, by sorting for large ones, so that no input costs quadratic time. */
static int find_duplicate(const struct json *obj, const struct json **dup)
{
        _cleanup_free_ const struct json **v = NULL;
        size_t i = 0;

        *dup = NULL;
        if (obj->len <= 16) {
                for (const struct json *a = obj->child; a; a = a->next)
                        for (const struct json *c = a->next; c; c = c->next)
                                if (key_cmp(&a, &c) == 0) {
                                        *dup = a;
                                        return 0;
                                }
                return 0;
        }
        v = malloc(obj->len * sizeof(*v));
        if (!v)
                return -ENOMEM;
        json_for_each(m, obj)
                v[i++] = m;
        qsort(v, i, sizeof(*v), key_cmp);
        for (i = 1; i < obj->len; i++)
                if (key_cmp(&v[i - 1], &v[i]) == 0) {
                        *dup = v[i];
                        return 0;
                }
        return 0;
}

static int on_end_map(void *ctx)
{
        struct builder *b = ctx;
        const struct json *dup;
        char path[512], q[MSG_QUOTE_MAX];

        if (b->flags & JSON_ALLOW_DUPLICATES)
                dup = NULL;
        else if (find_duplicate(b->stack[b->depth - 1].node, &dup) < 0)
                return builder_fail(b, ENOMEM, "out of memory");
        if (dup) {
                /* No byte offset: the object ends here, the second key may
                 * be far before. */
                builder_path(b, path, sizeof(path));
                err_set(b->e, EINVAL, "%s: %s%sduplicate key %s", b->where, path,
                        path[0] ? ": " : "", msg_quote(dup->key, dup->key_len, true, q, sizeof(q)));
                return 0;
        }
        b->depth--;
        return 1;
}

static int on_end_array(void *ctx)
{
        struct builder *b = ctx;

        b->depth--;
        return 1;
}

static const yajl_callbacks callbacks = {
        .yajl_null = on_null,
        .yajl_boolean = on_boolean,
        .yajl_number = on_number,       /* raw text: no rounding through double */
        .yajl_string = on_string,
        .yajl_start_map = on_start_map,
        .yajl_map_key = on_map_key,
        .yajl_end_map = on_end_map,
        .yajl_start_array = on_start_array,
        .yajl_end_array = on_end_array,
};

static bool is_json_space(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t skip_space(const char *buf, size_t len, size_t i)
{
        while (i < len && is_json_space(buf[i]))
                i++;
        return i;
}

static int syntax_error(struct builder *b, const char *buf, size_t len, size_t offset)
{
        unsigned char *msg = yajl_get_error(b->h, 0, (const unsigned char *)buf, len);
        size_t n;

        if (!msg)
                return err_set(b->e, EINVAL, "%s: invalid JSON at byte %zu", b->where, offset);
        /* yajl ends its message with a newline; a message here is one line. */
        n = strcspn((char *)msg, "\r\n");
        err_set(b->e, EINVAL, "%s: %.*s at byte %zu", b->where, (int)n, (char *)msg, offset);
        yajl_free_error(b->h, msg);
        return -EINVAL;
}

static int run_parser(struct builder *b, const char *buf, size_t len)
{
        yajl_status st;
        size_t end, rest;

        /* With trailing garbage allowed yajl stops after the first value and
         * says where; what follows is checked here, so that a second document
         * or anything else after the first is refused by name. */
        yajl_config(b->h, yajl_allow_trailing_garbage, 1);
        if (b->flags & JSON_ALLOW_COMMENTS)
                yajl_config(b->h, yajl_allow_comments, 1);
        if (b->flags & JSON_ANY_BYTES)
                yajl_config(b->h, yajl_dont_validate_strings, 1);
        st = yajl_parse(b->h, (const unsigned char *)buf, len);
        /* Read now: yajl_complete_parse resets the count. */
        end = yajl_get_bytes_consumed(b->h);
        if (st == yajl_status_ok)
                st = yajl_complete_parse(b->h);
        if (st == yajl_status_client_canceled)
                return -b->e->errnum;
        if (st != yajl_status_ok)
                return syntax_error(b, buf, len, end);
        if (!b->doc->root)
                return err_set(b->e, EINVAL, "%s: no JSON value", b->where);
        rest = skip_space(buf, len, end);
        if (rest < len && !(b->flags & JSON_ALLOW_TRAILING))
                return err_set(b->e, EINVAL, "%s: unexpected data after the document at byte %zu",
                               b->where, rest);
        return 0;
}

int json_parse(const char *buf, size_t len, const char *where,
               struct json_doc **out, struct err *e)
{
        return json_parse_flags(buf, len, where, 0, out, e);
}

int json_parse_flags(const char *buf, size_t len, const char *where, unsigned flags,
                     struct json_doc **out, struct err *e)
{
        struct json_doc *doc;
        struct builder *b;
        int r;

        *out = NULL;
        if (skip_space(buf, len, 0) == len)
                return err_set(e, EINVAL, "%s: empty document", where);
        /* Lengths are kept in 32 bits; the callers' limits are far below. */
        if (len > UINT32_MAX)
                return err_set(e, EFBIG, "%s: larger than %u bytes", where, UINT32_MAX);
        doc = calloc(1, sizeof(*doc));
        b = calloc(1, sizeof(*b));
        if (!doc || !b) {
                free(doc);
                free(b);
                return err_set(e, ENOMEM, "%s: out of memory", where);
        }
        *b = (struct builder){ .doc = doc, .where = where, .e = e, .flags = flags,
                               .max_depth = flags & JSON_ANY_DEPTH ? UINT_MAX : JSON_MAX_DEPTH };
        b->h = yajl_alloc(&callbacks, NULL, b);
        if (!b->h)
                r = err_set(e, ENOMEM, "%s: out of memory", where);
        else
                r = run_parser(b, buf, len);
        if (b->h)
                yajl_free(b->h);
        free(b->stack);
        free(b);
        if (r < 0) {
                json_doc_free(doc);
                return r;
        }
        *out = doc;
        return 0;
}
