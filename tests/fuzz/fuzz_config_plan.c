/* config.json through the planner, on the public API only: oci_config_parse,
 * mountinfo_parse, plan_activation, plan_build, and both printouts; and
 * through the wrapper's copy without idmap requests (wrap_config_strip_idmaps).
 *
 * Input: one control byte, then config.json, optionally a NUL byte and the
 * container's mountinfo (a NUL byte cannot be in a config.json the parser
 * takes, so nothing is lost by splitting there).  The control byte:
 *   bits 0-1: the activation: 0 from config.json's annotations, 1 true,
 *             2 false, 3 auto;
 *   bits 2,7: what the runtime does after the hooks (bit 2 alone: it
 *             applies masked/read-only paths itself, as runc does);
 *   bit 3:    the rootfs owner is known; bits 4-5 pick it;
 *   bit 6:    plan from config.json alone, whatever follows the NUL.
 *
 * Besides memory errors, this checks what a plan must never do: loosen a flag
 * that config.json set on a mount (rule 1 of the project) or on the rootfs,
 * or hand the hook a mapping the kernel would refuse. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "fuzz_util.h"
#include "hook/wrapper_config.h"
#include "oci/config.h"
#include "oci/json.h"
#include "oci/mountinfo.h"
#include "oci/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the runtime does after the hooks (oci/runtime.h), from two bits of
 * the control byte. */
#define FUZZ_SET_RUNTIME(in, ctl) \
        ((in)->runtime = (enum runtime_kind)((((ctl) >> 2) & 1) | (((ctl) >> 6) & 2)))

/* The flag a mount must keep when, of the options that set or clear it, the
 * last one sets it; rNAME sets it on the whole subtree as well. */
static void check_flag(const struct oci_mount *m, const struct plan_entry *pe,
                       const char *set, const char *clear, unsigned attr)
{
        int top = 0, rec = 0;   /* 1: last seen sets, -1: last seen clears */

        for (size_t i = 0; i < m->n_options; i++) {
                const char *o = m->options[i];
                bool r = o[0] == 'r' && (strcmp(o + 1, set) == 0 || strcmp(o + 1, clear) == 0);
                const char *name = r ? o + 1 : o;

                if (strcmp(name, set) == 0 || strcmp(name, clear) == 0) {
                        top = strcmp(name, set) == 0 ? 1 : -1;
                        if (r)
                                rec = top;
                }
        }
        if (top == 1)
                FUZZ_CHECK(pe->attrs & attr);
        if (rec == 1)
                FUZZ_CHECK(pe->attrs_recursive & attr);
}

static void check_mapping(const struct plan *p, const struct plan_entry *pe)
{
        struct err e = { 0 };

        if (!pe->idmap) {
                FUZZ_CHECK(pe->reason != REASON_NONE);
                return;
        }
        FUZZ_CHECK(pe->mapping != NULL);
        FUZZ_CHECK(pe->mapping_index >= 0 && (size_t)pe->mapping_index < p->n_mappings);
        FUZZ_CHECK(id_mapping_equal(p->mappings[pe->mapping_index], pe->mapping));
        FUZZ_CHECK(id_mapping_validate(pe->mapping, "uid", "gid", &e) == 0);
}

/* The JSON printout is read by scripts: it must be one JSON document. */
static void check_printouts(const struct plan *p)
{
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        struct json_doc *doc = NULL;
        struct err e = { 0 };

        FUZZ_CHECK(f != NULL);
        FUZZ_CHECK(plan_print_text(p, f) >= 0);
        FUZZ_CHECK(fflush(f) == 0);
        rewind(f);
        len = 0;
        FUZZ_CHECK(plan_print_json(p, f) >= 0);
        FUZZ_CHECK(fclose(f) == 0);
        if (json_parse(text, len, "plan", &doc, &e) < 0) {
                fprintf(stderr, "%s\n", e.msg);
                FUZZ_CHECK(!"the JSON printout is JSON");
        }
        json_doc_free(doc);
        free(text);
}

static void check_plan(const struct oci_config *c, const struct plan *p)
{
        FUZZ_CHECK(p->n_mounts == c->n_mounts);
        FUZZ_CHECK(p->n_mappings <= sizeof(p->mappings) / sizeof(p->mappings[0]));
        if (c->root_readonly)
                FUZZ_CHECK(p->root.attrs & MOUNT_ATTR_RDONLY);
        check_mapping(p, &p->root);
        for (size_t i = 0; i < p->n_mounts; i++) {
                const struct oci_mount *m = &c->mounts[i];
                const struct plan_entry *pe = &p->mounts[i];

                FUZZ_CHECK(pe->config_index == i);
                FUZZ_CHECK(strcmp(pe->destination, m->destination) == 0);
                check_flag(m, pe, "ro", "rw", MOUNT_ATTR_RDONLY);
                check_flag(m, pe, "nosuid", "suid", MOUNT_ATTR_NOSUID);
                check_flag(m, pe, "nodev", "dev", MOUNT_ATTR_NODEV);
                check_flag(m, pe, "noexec", "exec", MOUNT_ATTR_NOEXEC);
                check_mapping(p, pe);
        }
        /* one to one: no mount of the table is two entries' */
        for (size_t i = 0; i < p->n_mounts; i++)
                for (size_t j = i + 1; p->mounts[i].mount && j < p->n_mounts; j++)
                        FUZZ_CHECK(p->mounts[i].mount != p->mounts[j].mount);
        FUZZ_CHECK(plan_has_work(p) == !p->nothing_to_do);
        check_printouts(p);
}

static void fuzz_plan(const struct oci_config *c, const struct mountinfo *mi, unsigned ctl)
{
        static const uid_t owners[] = { 0, 100000, 1000, 65534 };
        struct plan_input in = {
                .config = c,
                .mountinfo = mi,
                .owner = { .known = ctl & 8, .uid = owners[(ctl >> 4) & 3],
                           .gid = owners[(ctl >> 4) & 3] },
                .activation = (ctl & 3) == 1 ? ACTIVATION_TRUE :
                              (ctl & 3) == 2 ? ACTIVATION_FALSE : ACTIVATION_AUTO,
        };
        struct annotations none = { 0 };
        struct plan p;
        struct err e = { 0 };
        int r;

        const char **sources = calloc(c->n_mounts ? c->n_mounts : 1, sizeof(*sources));

        FUZZ_CHECK(sources);
        /* the sources as written, as if the host resolved each to itself:
         * relative, unclean and in-rootfs ones included */
        for (size_t i = 0; i < c->n_mounts; i++)
                sources[i] = c->mounts[i].source;
        in.bind_sources = sources;
        FUZZ_SET_RUNTIME(&in, ctl);
        if ((ctl & 3) == 0) {
                r = plan_activation(&none, &c->annotations, &in.activation, &e);
                if (r < 0) {
                        fuzz_check_refusal(r, &e, "");
                        free(sources);
                        return;
                }
        }
        r = plan_build(&in, &p, &e);
        free(sources);
        if (r < 0) {
                fuzz_check_refusal(r, &e, "");
                return;
        }
        check_plan(c, &p);
        plan_free(&p);
        fuzz_taken++;
}

/* A config.json refused is read again leniently, repeated keys kept, as
 * oci_config_probe_userns does to tell whether the hook may ignore it. */
static void fuzz_lenient(const char *buf, size_t len)
{
        struct json_doc *doc = NULL;
        struct err e = { 0 };
        const struct json *linux_;
        int r = json_parse_flags(buf, len, "config.json", JSON_ALLOW_DUPLICATES, &doc, &e);

        if (r < 0) {
                fuzz_check_refusal(r, &e, "config.json");
                return;
        }
        linux_ = json_get(json_doc_root(doc), "linux");
        if (linux_ && json_get(linux_, "namespaces"))
                json_for_each(n, json_get(linux_, "namespaces"))
                        (void)json_get(n, "type");
        json_doc_free(doc);
}

/* How many of the mount's options are `idmap` or `ridmap`. */
static size_t idmap_requests(const struct oci_mount *m)
{
        size_t n = 0;

        for (size_t i = 0; i < m->n_options; i++)
                n += strcmp(m->options[i], "idmap") == 0 || strcmp(m->options[i], "ridmap") == 0;
        return n;
}

/* The wrapper's copy of a config.json the parser took, the even-numbered
 * mounts stripped: the parser takes it too, and it says the same but for
 * those mounts' idmap/ridmap options and mappings. */
static void check_wrapper_copy(const char *config, size_t len, const struct oci_config *c)
{
        bool *strip = calloc(c->n_mounts + 1, sizeof(*strip));
        struct oci_config copy;
        struct err e = { 0 };
        char *text = NULL;
        size_t text_len;

        FUZZ_CHECK(strip != NULL);
        for (size_t i = 0; i < c->n_mounts; i += 2)
                strip[i] = true;
        FUZZ_CHECK(wrap_config_strip_idmaps(config, len, strip, c->n_mounts, &text, &text_len,
                                            &e) == 0);
        FUZZ_CHECK(oci_config_parse(text, text_len, "/bundle", "copy", &copy, &e) == 0);
        FUZZ_CHECK(copy.n_mounts == c->n_mounts && strcmp(copy.rootfs, c->rootfs) == 0);
        FUZZ_CHECK(id_mapping_equal(&copy.idmap, &c->idmap));
        for (size_t i = 0; i < c->n_mounts; i++) {
                const struct oci_mount *a = &c->mounts[i], *b = &copy.mounts[i];

                FUZZ_CHECK(strcmp(a->destination, b->destination) == 0);
                if (!strip[i]) {
                        FUZZ_CHECK(a->n_options == b->n_options && a->has_idmap == b->has_idmap);
                        continue;
                }
                FUZZ_CHECK(idmap_requests(b) == 0 && !b->has_idmap);
                FUZZ_CHECK(b->n_options == a->n_options - idmap_requests(a));
        }
        oci_config_free(&copy);
        free(text);
        free(strip);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct oci_config c;
        struct mountinfo mi = { 0 };
        struct err e = { 0 };
        const uint8_t *tail;
        char *config, *mtab = NULL;
        size_t config_len, mtab_len;
        unsigned ctl;
        int r;

        if (size < 1)
                return 0;
        ctl = data[0];
        fuzz_split(data + 1, size - 1, &config_len, &tail, &mtab_len);
        config = fuzz_memdup(data + 1, config_len);
        if (tail)
                mtab = fuzz_memdup(tail, mtab_len);
        r = oci_config_parse(config, config_len, "/bundle", "config.json", &c, &e);
        if (r < 0) {
                fuzz_check_refusal(r, &e, "config.json");
                fuzz_lenient(config, config_len);
                goto out;
        }
        if (mtab && !(ctl & 64)) {
                r = mountinfo_parse(mtab, mtab_len, "mountinfo", &mi, &e);
                if (r < 0) {
                        fuzz_check_refusal(r, &e, "mountinfo");
                        oci_config_free(&c);
                        goto out;
                }
        }
        fuzz_plan(&c, mtab && !(ctl & 64) ? &mi : NULL, ctl);
        check_wrapper_copy(config, config_len, &c);
        mountinfo_free(&mi);
        oci_config_free(&c);
out:
        free(config);
        free(mtab);
        return 0;
}
