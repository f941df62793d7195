/* One line per message, to stderr and to syslog (log.h). */
#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

enum level { LEVEL_WARNING, LEVEL_DEBUG, LEVEL_INVALID };

static char container[256];
static bool annotation_debug;

static enum level parse_level(const char *v)
{
        return strcmp(v, "debug") == 0 ? LEVEL_DEBUG
             : strcmp(v, "warning") == 0 ? LEVEL_WARNING : LEVEL_INVALID;
}

/* `text` with control characters as \xNN, never empty. */
static void escape(const char *text, char *msg, size_t size)
{
        size_t n = 0;

        for (const unsigned char *p = (const unsigned char *)text; *p && n + 5 < size; p++)
                n += (size_t)(*p < 0x20 || *p == 0x7f ? snprintf(msg + n, 5, "\\x%02x", *p)
                                                      : snprintf(msg + n, 2, "%c", *p));
        if (!n)
                n = (size_t)snprintf(msg, size, "failed");
        msg[n] = '\0';
}

static void emit(int priority, const char *text)
{
        static const char *const tag[] = { [LOG_WARNING] = "warning: ", [LOG_DEBUG] = "debug: " };
        const char *t = priority == LOG_WARNING || priority == LOG_DEBUG ? tag[priority] : "";
        char msg[4096], who[300] = "";
        size_t idlen = strlen(container);

        escape(text, msg, sizeof(msg));
        /* "container <id>: ...", unless the message already names it so */
        if (container[0] && !(strncmp(msg, "container ", 10) == 0 &&
                              strncmp(msg + 10, container, idlen) == 0 && msg[10 + idlen] == ':'))
                snprintf(who, sizeof(who), "container %s: ", container);
        fprintf(stderr, "oci-idmap-hook: %s%s%s\n", t, who, msg);
        openlog("oci-idmap-hook", LOG_PID, LOG_DAEMON);
        syslog(priority, "%s%s%s", t, who, msg);
        closelog();
}

void log_line(int priority, const char *text)
{
        emit(priority, text);
}

void log_warning(const char *fmt, ...)
{
        char msg[2048];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        emit(LOG_WARNING, msg);
}

static bool env_debug(void)
{
        const char *v = getenv(LOG_LEVEL_ENV);
        const char *old = getenv("OCI_IDMAP_HOOK_DEBUG");

        if (v && parse_level(v) == LEVEL_INVALID) {
                static bool said;

                if (!said)
                        log_warning("environment %s=\"%.64s\" is not debug or warning; ignored",
                                    LOG_LEVEL_ENV, v);
                said = true;
        }
        return (v && parse_level(v) == LEVEL_DEBUG) || (old && strcmp(old, "1") == 0);
}

void log_set_container(const char *id, const char *level_annotation)
{
        snprintf(container, sizeof(container), "%s", id ? id : "");
        annotation_debug = false;
        if (!level_annotation)
                return;
        if (parse_level(level_annotation) == LEVEL_INVALID)
                log_warning("annotation %s=\"%.64s\" is not debug or warning; ignored",
                            LOG_LEVEL_ANNOTATION, level_annotation);
        annotation_debug = parse_level(level_annotation) == LEVEL_DEBUG;
}

bool log_debug_enabled(void)
{
        return annotation_debug || env_debug();
}

/* fopencookie: the text written so far that ends in no newline yet. */
struct debug_stream {
        char line[4096];
        size_t n;
};

static void debug_flush(struct debug_stream *s)
{
        s->line[s->n] = '\0';
        emit(LOG_DEBUG, s->line);
        s->n = 0;
}

static ssize_t debug_write(void *cookie, const char *buf, size_t size)
{
        struct debug_stream *s = cookie;

        for (size_t i = 0; i < size; i++) {
                if (buf[i] == '\n')
                        debug_flush(s);
                else if (s->n + 1 < sizeof(s->line))
                        s->line[s->n++] = buf[i];
        }
        return (ssize_t)size;
}

static int debug_close(void *cookie)
{
        struct debug_stream *s = cookie;

        if (s->n)
                debug_flush(s);
        free(s);
        return 0;
}

FILE *log_debug_open(void)
{
        struct debug_stream *s;
        FILE *f;

        if (!log_debug_enabled() || !(s = calloc(1, sizeof(*s))))
                return NULL;
        f = fopencookie(s, "w", (cookie_io_functions_t){ .write = debug_write,
                                                         .close = debug_close });
        if (!f)
                free(s);
        else
                setvbuf(f, NULL, _IOLBF, 0);
        return f;
}
