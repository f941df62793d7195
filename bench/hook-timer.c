/* hook-timer OUT HOOK [ARG...]: runs HOOK as an OCI hook (stdin, stdout and
 * stderr are the runtime's) with argv[0] "oci-idmap-hook" and the ARGs, and
 * appends "<wall µs> <cpu µs> <exit status>" to OUT, one line per run; exits
 * as the hook did.
 *
 * bench/overlay-layers.sh names it as the createRuntime hook in place of the
 * hook, so that the hook is timed where a runtime really runs it.  Wall time
 * is from just before the fork to just after the reap; CPU time is the
 * hook's user + system time from wait4's rusage, in µs (a shell's `times`
 * gives ms steps).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long us(const struct timespec *t)
{
        return t->tv_sec * 1000000LL + t->tv_nsec / 1000;
}

int main(int argc, char **argv)
{
        struct timespec t0, t1;
        struct rusage ru;
        int status = 0;

        if (argc < 3) {
                fprintf(stderr, "usage: hook-timer OUT HOOK [ARG...]\n");
                return 2;
        }
        const char *out = argv[1], *hook = argv[2];
        argv[2] = "oci-idmap-hook";

        clock_gettime(CLOCK_MONOTONIC, &t0);
        pid_t pid = fork();
        if (pid < 0) {
                fprintf(stderr, "hook-timer: fork: %s\n", strerror(errno));
                return 2;
        }
        if (pid == 0) {
                execv(hook, argv + 2);
                fprintf(stderr, "hook-timer: exec `%s`: %s\n", hook, strerror(errno));
                _exit(127);
        }
        if (wait4(pid, &status, 0, &ru) != pid) {
                fprintf(stderr, "hook-timer: wait4: %s\n", strerror(errno));
                return 2;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);

        int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        long long cpu = us(&(struct timespec){ ru.ru_utime.tv_sec, ru.ru_utime.tv_usec * 1000 }) +
                        us(&(struct timespec){ ru.ru_stime.tv_sec, ru.ru_stime.tv_usec * 1000 });
        char line[96];
        int len = snprintf(line, sizeof(line), "%lld %lld %d\n", us(&t1) - us(&t0), cpu, rc);
        int fd = open(out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, line, len) != len) {
                fprintf(stderr, "hook-timer: append to `%s`: %s\n", out, strerror(errno));
                return 2;
        }
        close(fd);
        return rc;
}
