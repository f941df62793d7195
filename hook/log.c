/* One line per message, to stderr and to syslog (log.h). */
#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void log_line(int priority, const char *text)
{
        char msg[4096];
        size_t n = 0;

        for (const unsigned char *p = (const unsigned char *)text; *p && n + 5 < sizeof(msg); p++)
                n += (size_t)(*p < 0x20 || *p == 0x7f ? snprintf(msg + n, 5, "\\x%02x", *p)
                                                      : snprintf(msg + n, 2, "%c", *p));
        if (!n)
                n = (size_t)snprintf(msg, sizeof(msg), "failed");
        msg[n] = '\0';

        fprintf(stderr, "oci-idmap-hook: %s%s\n", priority == LOG_WARNING ? "warning: " : "", msg);
        openlog("oci-idmap-hook", LOG_PID, LOG_DAEMON);
        syslog(priority, "%s%s", priority == LOG_WARNING ? "warning: " : "", msg);
        closelog();
}

void log_warning(const char *fmt, ...)
{
        char msg[2048];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        log_line(LOG_WARNING, msg);
}

bool log_debug_enabled(void)
{
        const char *v = getenv("OCI_IDMAP_HOOK_DEBUG");

        return v && strcmp(v, "1") == 0;
}
