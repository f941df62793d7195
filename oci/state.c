#include "state.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "../base/cleanup.h"
#include "json.h"
#include "../base/io.h"

_Static_assert(sizeof(pid_t) == sizeof(int), "pid_t is an int on Linux");

int annotations_from_json(const struct json *v, const char *where,
                          struct annotations *out, struct err *e)
{
        size_t i = 0;
        int r;

        *out = (struct annotations){ 0 };
        r = json_expect(v, JSON_OBJECT, e, "%s: annotations", where);
        if (r < 0)
                return r;
        if (v->len == 0)
                return 0;
        out->items = calloc(v->len, sizeof(*out->items));
        if (!out->items)
                return err_set(e, ENOMEM, "%s: annotations: out of memory", where);
        json_for_each(m, v) {
                struct kv *kv = &out->items[i];
                char q[MSG_QUOTE_MAX];

                if (memchr(m->key, '\0', m->key_len)) {
                        r = err_set(e, EINVAL, "%s: annotations: key %s holds a NUL byte", where,
                                    msg_quote(m->key, m->key_len, true, q, sizeof(q)));
                        break;
                }
                r = json_strdup(m, &kv->value, e, "%s: annotations.%s", where,
                                msg_quote(m->key, m->key_len, false, q, sizeof(q)));
                if (r < 0)
                        break;
                kv->key = strdup(m->key);
                out->n = ++i;
                if (!kv->key) {
                        r = err_set(e, ENOMEM, "%s: annotations: out of memory", where);
                        break;
                }
        }
        if (r < 0)
                annotations_free(out);
        return r;
}

const char *annotations_get(const struct annotations *a, const char *key)
{
        for (size_t i = 0; i < a->n; i++)
                if (strcmp(a->items[i].key, key) == 0)
                        return a->items[i].value;
        return NULL;
}

void annotations_free(struct annotations *a)
{
        for (size_t i = 0; i < a->n; i++) {
                free(a->items[i].key);
                free(a->items[i].value);
        }
        free(a->items);
        *a = (struct annotations){ 0 };
}

void oci_state_free(struct oci_state *s)
{
        free(s->oci_version);
        free(s->id);
        free(s->status);
        free(s->bundle);
        free(s->root);
        annotations_free(&s->annotations);
        *s = (struct oci_state){ 0 };
}

/* A string member: `required` ones must be there; present ones must be
 * strings (null is no string: no runtime writes it). */
static int take_string(const struct json *doc, const char *key, bool required,
                       const char *where, char **out, struct err *e)
{
        const struct json *v = json_get(doc, key);

        if (!v)
                return required ? err_set(e, EINVAL, "%s: %s: missing", where, key) : 0;
        return json_strdup(v, out, e, "%s: %s", where, key);
}

/* The container's init as the runtime sees it from the host's pid
 * namespace: a positive pid_t. */
static int take_pid(const struct json *doc, const char *where, pid_t *out, struct err *e)
{
        const struct json *v = json_get(doc, "pid");
        char q[MSG_QUOTE_MAX];
        long long n;
        int r;

        if (!v)
                return err_set(e, EINVAL, "%s: pid: missing", where);
        r = json_expect(v, JSON_NUMBER, e, "%s: pid", where);
        if (r < 0)
                return r;
        if (json_number_ll(v, &n) < 0 || n <= 0 || n > INT_MAX)
                return err_set(e, EINVAL, "%s: pid: %s is not a valid pid", where,
                               msg_quote(v->s, v->len, false, q, sizeof(q)));
        *out = (pid_t)n;
        return 0;
}

static int state_from_json(const struct json *doc, const char *where,
                           struct oci_state *s, struct err *e)
{
        const struct json *annotations;
        char q[MSG_QUOTE_MAX];
        int r;

        r = json_expect(doc, JSON_OBJECT, e, "%s: the document", where);
        if (r < 0)
                return r;
        r = take_string(doc, "ociVersion", false, where, &s->oci_version, e);
        if (r < 0)
                return r;
        r = take_string(doc, "id", true, where, &s->id, e);
        if (r < 0)
                return r;
        if (s->id[0] == '\0')
                return err_set(e, EINVAL, "%s: id: empty", where);
        r = take_string(doc, "status", false, where, &s->status, e);
        if (r < 0)
                return r;
        r = take_pid(doc, where, &s->pid, e);
        if (r < 0)
                return r;
        r = take_string(doc, "bundle", true, where, &s->bundle, e);
        if (r < 0)
                return r;
        /* config.json is read from here and a relative root.path resolved
         * against it: a relative bundle would depend on the hook's cwd. */
        if (s->bundle[0] != '/')
                return err_set(e, EINVAL, "%s: bundle: %s is not absolute", where,
                               msg_quote(s->bundle, strlen(s->bundle), true, q, sizeof(q)));
        /* crun adds the rootfs it uses; runc does not. */
        r = take_string(doc, "root", false, where, &s->root, e);
        if (r < 0)
                return r;
        annotations = json_get(doc, "annotations");
        if (annotations) {
                r = annotations_from_json(annotations, where, &s->annotations, e);
                if (r < 0)
                        return r;
        }
        return 0;
}

int oci_state_parse(const char *buf, size_t len, const char *where,
                    struct oci_state *out, struct err *e)
{
        _cleanup_(json_doc_freep) struct json_doc *doc = NULL;
        int r;

        *out = (struct oci_state){ 0 };
        r = json_parse(buf, len, where, &doc, e);
        if (r < 0)
                return r;
        r = state_from_json(json_doc_root(doc), where, out, e);
        if (r < 0)
                oci_state_free(out);
        return r;
}

int oci_state_read_fd(int fd, struct oci_state *out, struct err *e)
{
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r;

        *out = (struct oci_state){ 0 };
        r = read_input_fd(fd, OCI_STATE_MAX, &buf, &len);
        if (r == -EFBIG)
                return err_set(e, EFBIG, "state: larger than %d bytes", OCI_STATE_MAX);
        if (r < 0)
                return err_sys(e, -r, "state: read");
        /* The runtime always writes the state; nothing at all means the hook
         * was run by hand or by something that is not a runtime. */
        if (len == 0)
                return err_set(e, EINVAL, "state: empty input");
        return oci_state_parse(buf, len, "state", out, e);
}
