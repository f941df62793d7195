/* A bundle's config.json as podman writes it: see oci_bundle.h. */
#include "oci_bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "leftovers.h"

#define OPTIONS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* What podman 4.3.1 gives a container (tests/fixtures/podman-4.3.1). */
static const char *const podman_caps[] = {
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID",
        "CAP_SYS_CHROOT", NULL,
};
static const char *const podman_masked[] = {
        "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
        "/sys/fs/selinux", "/sys/dev/block", NULL,
};
static const char *const podman_readonly[] = {
        "/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
        "/proc/sysrq-trigger", NULL,
};
#define MOUNT(dest, fstype, src, ...) \
        { .destination = (dest), .type = (fstype), .source = (src), .options = OPTIONS(__VA_ARGS__) }
static const struct bundle_mount podman_mounts[] = {
        MOUNT("/proc", "proc", "proc", "nosuid", "noexec", "nodev"),
        MOUNT("/dev", "tmpfs", "tmpfs", "nosuid", "noexec", "strictatime", "mode=755",
              "size=65536k"),
        MOUNT("/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance",
              "ptmxmode=0666", "mode=0620", "gid=5"),
        MOUNT("/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777",
              "size=65536k"),
        MOUNT("/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev"),
        MOUNT("/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro"),
        MOUNT("/sys/fs/cgroup", "cgroup", "cgroup", "rprivate", "nosuid", "noexec", "nodev",
              "relatime", "ro"),
};

void json_write_string(FILE *f, const char *s)
{
        fputc('"', f);
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;

                if (c == '"' || c == '\\')
                        fprintf(f, "\\%c", c);
                else if (c < 0x20)
                        fprintf(f, "\\u%04x", c);
                else
                        fputc(c, f);
        }
        fputc('"', f);
}

void json_write_string_array(FILE *f, const char *const *v)
{
        fputc('[', f);
        for (size_t i = 0; v && v[i]; i++) {
                if (i)
                        fputc(',', f);
                json_write_string(f, v[i]);
        }
        fputc(']', f);
}

static int put_mount(FILE *f, const struct bundle_mount *m, struct err *e)
{
        fputs("{\"destination\":", f);
        json_write_string(f, m->destination);
        fputs(",\"type\":", f);
        json_write_string(f, m->type);
        fputs(",\"source\":", f);
        json_write_string(f, m->source);
        fputs(",\"options\":", f);
        json_write_string_array(f, m->options);
        if (m->mapping) {
                unsigned c, h, n;
                int end = 0;

                if (sscanf(m->mapping, "%u:%u:%u%n", &c, &h, &n, &end) != 3 ||
                    m->mapping[end] != '\0')
                        return err_set(e, EINVAL, "mount %s: mapping \"%s\" is not "
                                       "containerID:hostID:size", m->destination, m->mapping);
                fprintf(f, ",\"uidMappings\":[{\"containerID\":%u,\"hostID\":%u,\"size\":%u}]"
                        ",\"gidMappings\":[{\"containerID\":%u,\"hostID\":%u,\"size\":%u}]",
                        c, h, n, c, h, n);
        }
        fputc('}', f);
        return 0;
}

static int put_mounts(FILE *f, const struct bundle_config *c, struct err *e)
{
        fputs("\"mounts\":[", f);
        for (size_t i = 0; i < ARRAY_SIZE(podman_mounts); i++) {
                if (i)
                        fputc(',', f);
                put_mount(f, &podman_mounts[i], e);     /* no mapping: cannot fail */
        }
        for (size_t i = 0; i < c->n_mounts; i++) {
                int r;

                fputc(',', f);
                r = put_mount(f, &c->mounts[i], e);
                if (r < 0)
                        return r;
        }
        fputc(']', f);
        return 0;
}

static int put_annotations(FILE *f, const char *const *a, struct err *e)
{
        fputs("\"annotations\":{", f);
        for (size_t i = 0; a && a[i]; i += 2) {
                if (!a[i + 1])
                        return err_set(e, EINVAL, "annotation %s has no value", a[i]);
                if (i)
                        fputc(',', f);
                json_write_string(f, a[i]);
                fputc(':', f);
                json_write_string(f, a[i + 1]);
        }
        fputc('}', f);
        return 0;
}

static void put_process(FILE *f, const char *const *args, const char *const *extra_env)
{
        fputs("\"process\":{\"terminal\":false,\"user\":{\"uid\":0,\"gid\":0},\"args\":", f);
        json_write_string_array(f, args);
        fputs(",\"env\":[\"PATH=/bin\",\"HOME=/root\"", f);
        for (size_t i = 0; extra_env && extra_env[i]; i++) {
                fputc(',', f);
                json_write_string(f, extra_env[i]);
        }
        fputs("],\"cwd\":\"/\",\"capabilities\":{\"bounding\":", f);
        json_write_string_array(f, podman_caps);
        fputs(",\"effective\":", f);
        json_write_string_array(f, podman_caps);
        fputs(",\"permitted\":", f);
        json_write_string_array(f, podman_caps);
        fputs("},\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024},"
              "{\"type\":\"RLIMIT_NPROC\",\"hard\":1024,\"soft\":1024}]}", f);
}

static void put_linux(FILE *f, const struct bundle_config *c)
{
        fprintf(f, "\"linux\":{"
                "\"uidMappings\":[{\"containerID\":0,\"hostID\":%u,\"size\":65536}],"
                "\"gidMappings\":[{\"containerID\":0,\"hostID\":%u,\"size\":65536}],"
                "\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"},"
                "{\"type\":\"uts\"},{\"type\":\"mount\"},{\"type\":\"user\"}],"
                "\"cgroupsPath\":", c->host_base, c->host_base);
        json_write_string(f, c->cgroups_path ? c->cgroups_path : "");
        if (!c->no_masks) {
                fputs(",\"maskedPaths\":", f);
                json_write_string_array(f, podman_masked);
                fputs(",\"readonlyPaths\":", f);
                json_write_string_array(f, podman_readonly);
        }
        fputc('}', f);
}

static void put_hook(FILE *f, const char *path, const char *const *args)
{
        fputs("{\"path\":", f);
        json_write_string(f, path);
        fputs(",\"args\":", f);
        json_write_string_array(f, args);
        fputc('}', f);
}

/* The pre-hooks first, then the project's hook, all at one stage: the
 * runtimes run a stage's hooks in their order in config.json. */
static void put_hooks(FILE *f, const struct bundle_config *c)
{
        const char *stage = c->hook_stage ? c->hook_stage : "createRuntime";
        bool first = true;

        fputs(",\"hooks\":{", f);
        json_write_string(f, stage);
        fputs(":[", f);
        for (size_t i = 0; c->pre_hooks && c->pre_hooks[i]; i++) {
                if (!first)
                        fputc(',', f);
                put_hook(f, c->pre_hooks[i], OPTIONS(c->pre_hooks[i]));
                first = false;
        }
        if (c->hook) {
                if (!first)
                        fputc(',', f);
                put_hook(f, c->hook, OPTIONS("oci-idmap-hook", stage));
        }
        fputs("]}", f);
}

static int put_config(FILE *f, const struct bundle_config *c, struct err *e)
{
        int r;

        fputs("{\"ociVersion\":\"1.0.2\",", f);
        put_process(f, c->args, c->extra_env);
        fputs(",\"root\":{\"path\":", f);
        json_write_string(f, c->rootfs);
        fprintf(f, ",\"readonly\":%s},\"hostname\":", c->readonly_root ? "true" : "false");
        json_write_string(f, c->hostname ? c->hostname : "container");
        fputc(',', f);
        r = put_mounts(f, c, e);
        if (r < 0)
                return r;
        fputc(',', f);
        r = put_annotations(f, c->annotations, e);
        if (r < 0)
                return r;
        if (c->hook || c->pre_hooks)
                put_hooks(f, c);
        if (c->extra_members) {
                fputc(',', f);
                fputs(c->extra_members, f);
        }
        fputc(',', f);
        put_linux(f, c);
        fputs("}\n", f);
        return 0;
}

int bundle_write_config(const char *path, const struct bundle_config *c, struct err *e)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        FILE *f;
        int r;

        if (!c->rootfs)
                return err_set(e, EINVAL, "%s: a bundle needs a rootfs", path);
        if (!c->args || !c->args[0])
                return err_set(e, EINVAL, "%s: a bundle needs a command", path);
        /* Built in memory first: a config refused half-way leaves no file. */
        f = open_memstream(&text, &len);
        if (!f)
                return err_sys(e, errno, "open_memstream");
        r = put_config(f, c, e);
        if (fclose(f) != 0 && r >= 0)
                return err_sys(e, ENOMEM, "%s: build the text", path);
        if (r < 0)
                return err_prefix(e, "%s", path);
        return write_text_file(path, text, 0644, e);
}

static int put_state(FILE *f, const struct bundle_state *s, struct err *e)
{
        fputs("{\"ociVersion\":\"1.0.2\",\"id\":", f);
        json_write_string(f, s->id);
        fprintf(f, ",\"pid\":%d,\"bundle\":", s->pid);
        json_write_string(f, s->bundle);
        if (s->root) {
                fputs(",\"root\":", f);
                json_write_string(f, s->root);
        }
        fprintf(f, ",\"status\":\"%s\"", s->root ? "created" : "creating");
        if (s->annotations) {
                fputc(',', f);
                if (put_annotations(f, s->annotations, e) < 0)
                        return -e->errnum;
        }
        fputc('}', f);
        return 0;
}

char *bundle_state_text(const struct bundle_state *s, struct err *e)
{
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        int r;

        if (!f) {
                err_sys(e, errno, "open_memstream");
                return NULL;
        }
        r = put_state(f, s, e);
        if (fclose(f) != 0 && r >= 0)
                r = err_set(e, ENOMEM, "state of %s: out of memory", s->id);
        if (r < 0) {
                free(text);
                return NULL;
        }
        return text;
}
