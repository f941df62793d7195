/* Running commands with captured output: see proc.h. */
#include "proc.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"

extern char **environ;

/* The commands started and not yet finished: their exit is for proc_finish
 * to collect, never for proc_reap_orphans. */
static pid_t active[16];

static bool active_set(pid_t from, pid_t to)
{
        for (size_t i = 0; i < sizeof(active) / sizeof(active[0]); i++) {
                if (active[i] == from) {
                        active[i] = to;
                        return true;
                }
        }
        return false;
}

static bool is_active(pid_t pid)
{
        for (size_t i = 0; i < sizeof(active) / sizeof(active[0]); i++)
                if (active[i] == pid)
                        return true;
        return false;
}

static char *join_argv(const char *const argv[])
{
        size_t len = 1;
        char *s;

        for (size_t i = 0; argv[i]; i++)
                len += strlen(argv[i]) + 3;
        s = malloc(len);
        if (!s)
                return NULL;
        s[0] = '\0';
        for (size_t i = 0; argv[i]; i++) {
                bool plain = argv[i][0] != '\0' && !strpbrk(argv[i], " \t\n'\"$;&|<>*?()\\");

                if (i)
                        strcat(s, " ");
                strcat(s, plain ? "" : "'");
                strcat(s, argv[i]);
                strcat(s, plain ? "" : "'");
        }
        return s;
}

/* An empty pipe, or one holding `input`, its write side closed. */
static int stdin_pipe(const char *input, unsigned long *ino, struct err *e)
{
        int in[2];
        struct stat st;
        size_t len = input ? strlen(input) : 0;

        if (pipe2(in, O_CLOEXEC) < 0)
                return err_sys(e, errno, "pipe for stdin");
        if (len && write(in[1], input, len) != (ssize_t)len) {
                int r = err_sys(e, errno ? errno : EFBIG, "stdin of %zu bytes", len);

                close(in[0]);
                close(in[1]);
                return r;
        }
        close(in[1]);
        if (fstat(in[0], &st) == 0)
                *ino = (unsigned long)st.st_ino;
        return in[0];
}

/* A process group of its own, so that a timeout can kill the whole command;
 * default signal dispositions whatever the runner set. */
static void spawn_attr(posix_spawnattr_t *attr)
{
        sigset_t none, dfl;

        posix_spawnattr_init(attr);
        sigemptyset(&none);
        sigfillset(&dfl);
        sigdelset(&dfl, SIGKILL);
        sigdelset(&dfl, SIGSTOP);
        posix_spawnattr_setsigmask(attr, &none);
        posix_spawnattr_setsigdefault(attr, &dfl);
        posix_spawnattr_setpgroup(attr, 0);
        posix_spawnattr_setflags(attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                               POSIX_SPAWN_SETSIGDEF);
}

int proc_start(struct proc *p, const char *const argv[], const char *input, struct err *e)
{
        _cleanup_close_ int in = -EBADF;
        int out[2] = { -1, -1 }, errp[2] = { -1, -1 }, r;
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;

        *p = (struct proc){ .pid = -1, .out_fd = -1, .err_fd = -1 };
        p->cmdline = join_argv(argv);
        if (!p->cmdline)
                return err_set(e, ENOMEM, "`%s`: out of memory", argv[0]);
        in = stdin_pipe(input, &p->stdin_ino, e);
        if (in < 0)
                return err_prefix(e, "`%s`", p->cmdline);
        if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
                r = err_sys(e, errno, "`%s`: pipes", p->cmdline);
                goto fail;
        }
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, in, 0);
        posix_spawn_file_actions_adddup2(&fa, out[1], 1);
        posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
        spawn_attr(&attr);
        r = posix_spawnp(&p->pid, argv[0], &fa, &attr, (char *const *)argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        if (r != 0) {
                r = err_sys(e, r, "cannot run `%s`: %s (is it installed? .ci/setup-host "
                            "installs everything the tests need)", p->cmdline, argv[0]);
                goto fail;
        }
        close(out[1]);
        close(errp[1]);
        if (!active_set(0, p->pid)) {
                proc_kill_group(p->pid);
                close(out[0]);
                close(errp[0]);
                return err_set(e, EMFILE, "`%s`: more than 16 commands running at once", p->cmdline);
        }
        fcntl(out[0], F_SETFL, O_NONBLOCK);
        fcntl(errp[0], F_SETFL, O_NONBLOCK);
        p->out_fd = out[0];
        p->err_fd = errp[0];
        return 0;
fail:
        for (int i = 0; i < 2; i++) {
                if (out[i] >= 0)
                        close(out[i]);
                if (errp[i] >= 0)
                        close(errp[i]);
        }
        return r;
}

struct buf {
        char *s;
        size_t len, cap;
        bool oom;
};

/* Reads what is there now; false once the writer side is closed. */
static bool drain(int fd, struct buf *b)
{
        for (;;) {
                if (b->cap - b->len < 4096) {
                        size_t cap = b->cap ? 2 * b->cap : 8192;
                        char *s = realloc(b->s, cap);

                        if (!s) {
                                b->oom = true;
                                return false;
                        }
                        b->s = s;
                        b->cap = cap;
                }
                ssize_t n = read(fd, b->s + b->len, b->cap - b->len - 1);
                if (n > 0) {
                        b->len += (size_t)n;
                        continue;
                }
                if (n < 0 && errno == EINTR)
                        continue;
                return n < 0 && errno == EAGAIN;
        }
}

static long now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static char *finished(struct buf *b)
{
        char *s = b->s ? b->s : calloc(1, 1);

        if (s)
                s[b->len] = '\0';
        return s;
}

int proc_finish(struct proc *p, int timeout_s, struct proc_result *r, struct err *e)
{
        struct buf out = { 0 }, err = { 0 };
        bool out_open = true, err_open = true;
        long deadline = now_ms() + timeout_s * 1000L;
        int wstatus = 0;

        *r = (struct proc_result){ .cmdline = p->cmdline };
        p->cmdline = NULL;
        for (;;) {
                struct pollfd fds[2] = {
                        { .fd = out_open ? p->out_fd : -1, .events = POLLIN },
                        { .fd = err_open ? p->err_fd : -1, .events = POLLIN },
                };
                poll(fds, 2, 50);
                if (out_open)
                        out_open = drain(p->out_fd, &out);
                if (err_open)
                        err_open = drain(p->err_fd, &err);
                if (waitpid(p->pid, &wstatus, WNOHANG) == p->pid)
                        break;
                if (now_ms() > deadline) {
                        r->timed_out = true;
                        proc_kill_group(p->pid);
                        wstatus = W_EXITCODE(0, SIGKILL);
                        break;
                }
        }
        if (out_open)
                drain(p->out_fd, &out);
        if (err_open)
                drain(p->err_fd, &err);
        close(p->out_fd);
        close(p->err_fd);
        p->out_fd = p->err_fd = -1;
        active_set(p->pid, 0);
        r->out = finished(&out);
        r->err = finished(&err);
        r->status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
        if (!r->out || !r->err || out.oom || err.oom)
                return err_set(e, ENOMEM, "`%s`: out of memory keeping its output", r->cmdline);
        return 0;
}

void proc_result_free(struct proc_result *r)
{
        free(r->cmdline);
        free(r->out);
        free(r->err);
        *r = (struct proc_result){ 0 };
}

void proc_kill_group(pid_t pid)
{
        if (pid <= 0)
                return;
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
}

int proc_become_subreaper(struct err *e)
{
        if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
                return err_sys(e, errno, "prctl PR_SET_CHILD_SUBREAPER");
        return 0;
}


/* ---- the processes a test leaves -------------------------------------------- */

struct proc_entry {
        pid_t pid, ppid;
        char state;
        char comm[32];
};

static bool parse_stat(const char *name, struct proc_entry *p)
{
        char path[300], line[512];
        FILE *f;
        char *ok, *open_paren, *close_paren;
        size_t clen;

        snprintf(path, sizeof(path), "/proc/%s/stat", name);
        f = fopen(path, "re");
        if (!f)
                return false;
        ok = fgets(line, sizeof(line), f);
        fclose(f);
        open_paren = ok ? strchr(line, '(') : NULL;
        close_paren = ok ? strrchr(line, ')') : NULL;
        if (!open_paren || !close_paren)
                return false;
        p->pid = atoi(name);
        clen = (size_t)(close_paren - open_paren - 1);
        if (clen >= sizeof(p->comm))
                clen = sizeof(p->comm) - 1;
        memcpy(p->comm, open_paren + 1, clen);
        p->comm[clen] = '\0';
        return sscanf(close_paren + 1, " %c %d", &p->state, &p->ppid) == 2;
}

/* Every process now; 0 (and *out NULL) when /proc cannot be read. */
static size_t list_processes(struct proc_entry **out)
{
        DIR *d = opendir("/proc");
        struct dirent *de;
        struct proc_entry *v = NULL;
        size_t n = 0, cap = 0;

        *out = NULL;
        if (!d)
                return 0;
        while ((de = readdir(d))) {
                if (!isdigit((unsigned char)de->d_name[0]))
                        continue;
                if (n == cap) {
                        struct proc_entry *nv = realloc(v, (cap ? 2 * cap : 256) * sizeof(*v));

                        if (!nv)
                                break;
                        v = nv;
                        cap = cap ? 2 * cap : 256;
                }
                if (parse_stat(de->d_name, &v[n]))
                        n++;
        }
        closedir(d);
        *out = v;
        return n;
}

static bool descends_from(const struct proc_entry *v, size_t n, pid_t pid, pid_t ancestor)
{
        for (int depth = 0; depth < 64 && pid > 1; depth++) {
                pid_t parent = 0;

                for (size_t i = 0; i < n; i++)
                        if (v[i].pid == pid)
                                parent = v[i].ppid;
                if (parent == ancestor)
                        return true;
                pid = parent;
        }
        return false;
}

void proc_reap_orphans(void)
{
        struct proc_entry *v;
        size_t n = list_processes(&v);

        for (size_t i = 0; i < n; i++)
                if (v[i].ppid == getpid() && v[i].state == 'Z' && !is_active(v[i].pid))
                        waitpid(v[i].pid, NULL, WNOHANG);
        free(v);
}

static void print_cmdline(FILE *f, const struct proc_entry *p)
{
        char path[64], cmd[256] = "";
        int fd;

        snprintf(path, sizeof(path), "/proc/%d/cmdline", p->pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
                ssize_t r = read(fd, cmd, sizeof(cmd) - 1);

                close(fd);
                for (ssize_t j = 0; j < r - 1; j++)
                        if (cmd[j] == '\0')
                                cmd[j] = ' ';
                cmd[r > 0 ? r : 0] = '\0';
        }
        fprintf(f, "  %d %s: %s\n", p->pid, p->comm, cmd);
}

char *proc_living_descendants(bool kill_them)
{
        struct proc_entry *v;
        size_t n = list_processes(&v), len = 0;
        char *list = NULL;
        FILE *f = open_memstream(&list, &len);

        for (size_t i = 0; f && i < n; i++) {
                if (v[i].state == 'Z' || v[i].pid == getpid())
                        continue;
                if (!descends_from(v, n, v[i].pid, getpid()))
                        continue;
                print_cmdline(f, &v[i]);
                if (kill_them)
                        kill(v[i].pid, SIGKILL);
        }
        if (f)
                fclose(f);
        free(v);
        if (len == 0) {
                free(list);
                return NULL;
        }
        return list;
}

bool proc_kill_descendants(void)
{
        for (int round = 0; round < 100; round++) {
                char *left;

                proc_reap_orphans();
                left = proc_living_descendants(true);
                if (!left)
                        return true;
                free(left);
                usleep(20000);
        }
        return false;
}

int proc_children(pid_t parent, char *list, size_t len)
{
        struct proc_entry *v;
        size_t n = list_processes(&v), used = 0;
        int count = 0;

        if (len)
                list[0] = '\0';
        for (size_t i = 0; i < n; i++) {
                if (v[i].ppid != parent)
                        continue;
                count++;
                if (used + 64 < len)
                        used += (size_t)snprintf(list + used, len - used, " %d(%c)", v[i].pid,
                                                 v[i].state);
        }
        free(v);
        return count;
}

void proc_kill_children(void)
{
        siginfo_t si;

        for (int round = 0; round < 3; round++) {
                struct proc_entry *v;
                size_t n = list_processes(&v);

                for (size_t i = 0; i < n; i++)
                        if (v[i].ppid == getpid())
                                kill(v[i].pid, SIGKILL);
                free(v);
                while (waitid(P_ALL, 0, &si, WEXITED | __WALL) == 0)
                        ;
        }
}
