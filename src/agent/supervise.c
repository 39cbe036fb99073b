/* supervise.c - workload processes: start, limits, output, exit, restart.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Map: cgroup v2 probe - starting a child (verified module in a memfd,
 * rlimits, cgroup, exec of `mantle run`) - output pipes to rotating logs -
 * reaping and restart with exponential backoff - stopping - JSON view.
 *
 * A workload runs as `mantle run ... /dev/fd/3 -- ARGS` in its own process
 * group: the module bytes are re-hashed against the digest on every start
 * and handed over in a sealed memfd, so what runs is exactly what was
 * verified even if the state directory changes underneath. The child waits
 * on a pipe until the parent has placed it in its cgroup, so limits hold
 * from its first instruction.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "agent.h"

const char *wl_state_name(enum wl_state st)
{
    static const char *const names[] = {"stopped",  "running", "backoff",
                                        "stopping", "exited",  "failed"};
    return names[st];
}

/* ---- cgroup v2 -------------------------------------------------------- */

/* O_CREAT only matters for tests' stand-in trees: cgroupfs files exist. */
static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ssize_t n;

    if (fd < 0)
        return -1;
    n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

void wl_cgroup_probe(struct agent *ag)
{
    char path[700], buf[256] = "";
    int fd;
    ssize_t n;

    ag->cgroup_dir[0] = '\0';
    if (ag->cfg.cgroup_root[0] == '\0') {
        snprintf(ag->cgroup_why, sizeof ag->cgroup_why,
                 "off: cgroup_root not set (rlimits only)");
        return;
    }
    snprintf(path, sizeof path, "%s/cgroup.controllers", ag->cfg.cgroup_root);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        snprintf(ag->cgroup_why, sizeof ag->cgroup_why,
                 "off: %s: %s (not a cgroup v2 directory; rlimits only)",
                 path, strerror(errno));
        return;
    }
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    if (strstr(buf, "memory") == NULL || strstr(buf, "cpu") == NULL) {
        snprintf(ag->cgroup_why, sizeof ag->cgroup_why,
                 "off: %s lacks the memory and cpu controllers "
                 "(rlimits only)", path);
        return;
    }
    snprintf(path, sizeof path, "%s/cgroup.subtree_control",
             ag->cfg.cgroup_root);
    if (write_file(path, "+memory +cpu") != 0) {
        snprintf(ag->cgroup_why, sizeof ag->cgroup_why,
                 "off: %s: %s (not delegated to mantled; rlimits only)", path,
                 strerror(errno));
        return;
    }
    snprintf(ag->cgroup_dir, sizeof ag->cgroup_dir, "%s", ag->cfg.cgroup_root);
    snprintf(ag->cgroup_why, sizeof ag->cgroup_why, "on: cgroup v2 at %s",
             ag->cgroup_dir);
}

const char *wl_cgroup_status(const struct agent *ag)
{
    return ag->cgroup_why;
}

/* Create the workload's cgroup with its limits; 0 or -1. */
static int cgroup_enter(struct agent *ag, struct workload *w, pid_t pid)
{
    char dir[700], path[760], val[64];

    snprintf(dir, sizeof dir, "%s/%s", ag->cgroup_dir, w->spec.name);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return -1;
    if (w->spec.memory_limit) {
        snprintf(path, sizeof path, "%s/memory.max", dir);
        snprintf(val, sizeof val, "%llu",
                 (unsigned long long)w->spec.memory_limit);
        if (write_file(path, val) != 0)
            return -1;
    }
    if (w->spec.cpu_percent) {
        snprintf(path, sizeof path, "%s/cpu.max", dir);
        snprintf(val, sizeof val, "%u 100000", w->spec.cpu_percent * 1000);
        if (write_file(path, val) != 0)
            return -1;
    }
    snprintf(path, sizeof path, "%s/cgroup.procs", dir);
    snprintf(val, sizeof val, "%d", (int)pid);
    return write_file(path, val);
}

static void cgroup_leave(struct agent *ag, struct workload *w)
{
    char dir[700];

    if (!w->cgroup)
        return;
    snprintf(dir, sizeof dir, "%s/%s", ag->cgroup_dir, w->spec.name);
    rmdir(dir); /* fails while processes remain: they are gone by now */
    w->cgroup = false;
}

/* ---- output ------------------------------------------------------------ */

static void on_output(evutil_socket_t fd, short what, void *arg);

struct out_ctx {
    struct agent *ag;
    struct workload *w;
    int stream; /* 1 stdout, 2 stderr */
};

static void close_stream(struct workload *w, int stream)
{
    struct event **ev = stream == 1 ? &w->out_ev : &w->err_ev;
    int *fd = stream == 1 ? &w->out_fd : &w->err_fd;

    if (*ev) {
        free(event_get_callback_arg(*ev));
        event_free(*ev);
        *ev = NULL;
    }
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static void on_output(evutil_socket_t fd, short what, void *arg)
{
    struct out_ctx *c = arg;
    char buf[16384];
    ssize_t n = read(fd, buf, sizeof buf);

    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        close_stream(c->w, c->stream);
        return;
    }
    log_write(c->stream == 1 ? &c->w->out_log : &c->w->err_log, buf,
              (size_t)n);
    api_log_chunk(c->ag, c->w, c->stream, buf, (size_t)n);
}

static void watch_stream(struct agent *ag, struct workload *w, int stream,
                         int fd)
{
    struct out_ctx *c = calloc(1, sizeof *c);
    struct event *ev;

    if (c == NULL)
        abort();
    c->ag = ag;
    c->w = w;
    c->stream = stream;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    ev = event_new(ag->base, fd, EV_READ | EV_PERSIST, on_output, c);
    if (ev == NULL)
        abort();
    event_add(ev, NULL);
    if (stream == 1)
        w->out_ev = ev, w->out_fd = fd;
    else
        w->err_ev = ev, w->err_fd = fd;
}

/* ---- start --------------------------------------------------------------- */

static void failed(struct workload *w, const char *what, const char *why)
{
    snprintf(w->last_error, sizeof w->last_error, "%s: %s", what, why);
    w->state = WL_FAILED;
    fprintf(stderr, "mantled: workload %s: %s\n", w->spec.name, w->last_error);
}

static int mkdir_under(const char *base, const char *rel)
{
    char path[1200];
    size_t n;

    n = (size_t)snprintf(path, sizeof path, "%s/%s", base, rel);
    if (n >= sizeof path)
        return -1;
    for (char *p = path + strlen(base) + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(path, 0700) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(path, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

/* In the child, before exec: never returns. Only async-signal-safe calls
 * matter after fork in a single-threaded parent, but keep it short. */
static void child(struct agent *ag, const struct wl_spec *spec, int memfd,
                  int in, int out, int err, int go, int go_w, char **argv,
                  char **envp, uint64_t max_out, const int *extra,
                  size_t nextra)
{
    struct rlimit rl;
    sigset_t none;
    char c;
    int null = in >= 0 ? in : open("/dev/null", O_RDONLY);

    setpgid(0, 0);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int s = 1; s < NSIG; s++)
        signal(s, SIG_DFL);
    if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0 ||
        dup2(memfd, 3) < 0)
        _exit(127);
    /* Wait until the parent placed us in our cgroup (or gave up): EOF
     * once its end is closed, so ours must be closed first. */
    close(go_w);
    while (read(go, &c, 1) < 0 && errno == EINTR)
        ;
    /* Extra descriptors (a one-shot run's secrets) at 4, 5, ...: the
     * sources are above them (see below), so none is overwritten. */
    for (size_t i = 0; i < nextra; i++)
        if (dup2(extra[i], 4 + (int)i) < 0)
            _exit(127);
    closefrom(4 + (int)nextra);
    rl.rlim_cur = rl.rlim_max = 0;
    setrlimit(RLIMIT_CORE, &rl);
    rl.rlim_cur = rl.rlim_max = spec->nofile ? spec->nofile : 256;
    setrlimit(RLIMIT_NOFILE, &rl);
    if (spec->cpu_seconds) {
        rl.rlim_cur = spec->cpu_seconds;
        rl.rlim_max = spec->cpu_seconds + 1; /* SIGXCPU, then SIGKILL */
        setrlimit(RLIMIT_CPU, &rl);
    }
    if (max_out) { /* a one-shot run's output file: SIGXFSZ beyond it */
        rl.rlim_cur = rl.rlim_max = max_out;
        setrlimit(RLIMIT_FSIZE, &rl);
    }
    execve(argv[0], argv, envp);
    dprintf(2, "mantled: exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
    (void)ag;
}

/* The environment of a child: envp[0..2] malloc'ed, envp[3] NULL. */
static void child_env(struct agent *ag, char *envp[4])
{
    if (asprintf(&envp[0], "MANTLE_STATE_DIR=%s/tee", ag->cfg.state_dir) < 0 ||
        asprintf(&envp[1], "XDG_CACHE_HOME=%s/cache", ag->cfg.state_dir) < 0 ||
        asprintf(&envp[2], "PATH=%s",
                 getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin") < 0)
        abort();
    envp[3] = NULL;
}

/* The verified module bytes in a sealed memfd: what the child runs is
 * what was hashed. -1 with errno. */
static int module_memfd(const uint8_t *bytes, size_t size)
{
    int memfd = memfd_create("module.wasm", MFD_CLOEXEC | MFD_ALLOW_SEALING);

    if (memfd < 0)
        return -1;
    if (write(memfd, bytes, size) != (ssize_t)size ||
        fcntl(memfd, F_ADD_SEALS,
              F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) != 0) {
        int e = errno;

        close(memfd);
        errno = e;
        return -1;
    }
    return memfd;
}

void wl_start(struct agent *ag, struct workload *w)
{
    char err[512], logpath[700], statspath[700], *envp[5];
    uint8_t *bytes = NULL;
    size_t size = 0;
    int memfd = -1, out[2] = {-1, -1}, errp[2] = {-1, -1}, go[2] = {-1, -1};
    char **argv = NULL;
    pid_t pid;

    if (ag->draining || w->pid > 0)
        return;
    w->last_error[0] = '\0';
    if (store_module_load(ag->store, w->spec.digest, &bytes, &size, err,
                          sizeof err) != 0) {
        failed(w, "module", err);
        return;
    }
    if ((memfd = module_memfd(bytes, size)) < 0) {
        failed(w, "memfd", strerror(errno));
        goto out;
    }
    for (size_t i = 0; i < w->spec.ndirs; i++) {
        char base[700];

        snprintf(base, sizeof base, "%s/%s", ag->volumes_dir, w->spec.name);
        if (mkdir(base, 0700) != 0 && errno != EEXIST) {
            failed(w, base, strerror(errno));
            goto out;
        }
        if (mkdir_under(base, w->spec.dirs[i].host) != 0) {
            failed(w, w->spec.dirs[i].host, strerror(errno));
            goto out;
        }
    }
    if (w->out_log.fd < 0) {
        snprintf(logpath, sizeof logpath, "%s/%s.stdout", ag->logs_dir,
                 w->spec.name);
        log_open(&w->out_log, logpath, ag->cfg.log_max_bytes);
        snprintf(logpath, sizeof logpath, "%s/%s.stderr", ag->logs_dir,
                 w->spec.name);
        log_open(&w->err_log, logpath, ag->cfg.log_max_bytes);
    }
    w->out_log.max = w->err_log.max = ag->cfg.log_max_bytes;
    if (pipe2(out, O_CLOEXEC) || pipe2(errp, O_CLOEXEC) ||
        pipe2(go, O_CLOEXEC)) {
        failed(w, "pipe", strerror(errno));
        goto out;
    }
    /* A report left by an earlier life must not count for this run. */
    snprintf(statspath, sizeof statspath, "%s/%s.json", ag->runs_dir,
             w->spec.name);
    unlink(statspath);
    argv = spec_argv(&w->spec, ag->cfg.mantle_bin, ag->volumes_dir,
                     ag->secrets_dir, "/dev/fd/3", statspath);
    child_env(ag, envp);
    pid = fork();
    if (pid < 0) {
        failed(w, "fork", strerror(errno));
        for (int i = 0; i < 3; i++)
            free(envp[i]);
        goto out;
    }
    if (pid == 0)
        child(ag, &w->spec, memfd, -1, out[1], errp[1], go[0], go[1], argv,
              envp, 0, NULL, 0);
    for (int i = 0; i < 3; i++)
        free(envp[i]);
    setpgid(pid, pid); /* also in the child: whichever runs first */
    w->cgroup = false;
    if (ag->cgroup_dir[0]) {
        if (cgroup_enter(ag, w, pid) == 0)
            w->cgroup = true;
        else
            snprintf(w->last_error, sizeof w->last_error,
                     "cgroup: %s (running with rlimits only)",
                     strerror(errno));
    }
    close(go[0]);
    close(go[1]); /* EOF: the child goes on */
    go[0] = go[1] = -1;
    close(out[1]);
    close(errp[1]);
    watch_stream(ag, w, 1, out[0]);
    watch_stream(ag, w, 2, errp[0]);
    out[0] = out[1] = errp[0] = errp[1] = -1;
    w->pid = pid;
    w->state = WL_RUNNING;
    w->started_ms = agent_now_ms();
    w->run_id = store_run_begin(ag->store, w->spec.name, pid);
out:
    for (int i = 0; i < 2; i++) {
        if (out[i] >= 0)
            close(out[i]);
        if (errp[i] >= 0)
            close(errp[i]);
        if (go[i] >= 0)
            close(go[i]);
    }
    if (memfd >= 0)
        close(memfd);
    spec_argv_free(argv);
    free(bytes);
}

/* ---- one-shot runs: a request in on stdin, the answer out on stdout ---- */

/* The fleet's invocations (member.c) run a replica's module once per
 * request, the way `mantle run` runs a WASI command: the request is the
 * guest's stdin, its stdout the answer. Both are memfds, so neither side
 * can block the event loop on a pipe; RLIMIT_FSIZE bounds the answer
 * (SIGXFSZ beyond it) and the tick kills a run past its deadline. The
 * rlimits of the spec apply; cgroups do not (runs are short). */

static char *memfd_text(int fd, size_t max, size_t *out_len)
{
    off_t n = lseek(fd, 0, SEEK_END);
    char *buf;

    if (n < 0)
        n = 0;
    if ((size_t)n > max)
        n = (off_t)max;
    if ((buf = malloc((size_t)n + 1)) == NULL)
        abort();
    if (n > 0 && pread(fd, buf, (size_t)n, 0) != n)
        n = 0;
    buf[n] = '\0';
    *out_len = (size_t)n;
    return buf;
}

/* A secret's value in a sealed memfd placed at or above fd 256, clear of
 * the descriptors the child moves to 4, 5, ...; -1 with errno. */
static int secret_memfd(const mantle_tee_secret *s)
{
    int fd = memfd_create("secret", MFD_CLOEXEC | MFD_ALLOW_SEALING), hi;

    if (fd < 0)
        return -1;
    if ((s->size && write(fd, s->value, s->size) != (ssize_t)s->size) ||
        fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK |
                                   F_SEAL_SEAL) != 0 ||
        (hi = fcntl(fd, F_DUPFD_CLOEXEC, 256)) < 0) {
        int e = errno;

        close(fd);
        errno = e;
        return -1;
    }
    close(fd);
    return hi;
}

/* argv[at..] gets "--secret=NAME=@/dev/fd/N" for each secret. */
static void argv_secrets(char ***argv, size_t at, const mantle_tee_secret *sv,
                         size_t n)
{
    size_t len = 0;

    while ((*argv)[len])
        len++;
    if ((*argv = realloc(*argv, (len + n + 1) * sizeof **argv)) == NULL)
        abort();
    memmove(*argv + at + n, *argv + at, (len - at + 1) * sizeof **argv);
    for (size_t i = 0; i < n; i++)
        if (asprintf(&(*argv)[at + i], "--secret=%s=@/dev/fd/%zu",
                     sv[i].name, 4 + i) < 0)
            abort();
}

int wl_oneshot(struct agent *ag, const struct wl_spec *spec, const void *in,
               size_t inlen, const mantle_tee_secret *secrets,
               size_t nsecrets, uint64_t timeout_ms, uint64_t max_out,
               oneshot_done_fn done, void *ctx, char *err, size_t errlen)
{
    int sfd[16];
    uint8_t *bytes = NULL;
    size_t size = 0;
    int memfd = -1, infd = -1, outfd = -1, errfd = -1, go[2] = {-1, -1};
    char **argv = NULL, *envp[4];
    struct oneshot *o;
    pid_t pid;
    int rc = -1;

    if (ag->draining)
        return agent_fail(err, errlen, "node is draining");
    if (nsecrets > sizeof sfd / sizeof *sfd)
        return agent_fail(err, errlen, "%zu secrets, at most %zu", nsecrets,
                          sizeof sfd / sizeof *sfd);
    for (size_t i = 0; i < nsecrets; i++)
        sfd[i] = -1;
    if (store_module_load(ag->store, spec->digest, &bytes, &size, err,
                          errlen) != 0)
        return -1;
    for (size_t i = 0; i < nsecrets; i++)
        if ((sfd[i] = secret_memfd(&secrets[i])) < 0) {
            agent_fail(err, errlen, "one-shot run: secret: %s",
                       strerror(errno));
            goto out;
        }
    if ((memfd = module_memfd(bytes, size)) < 0 ||
        (infd = memfd_create("stdin", MFD_CLOEXEC)) < 0 ||
        (outfd = memfd_create("stdout", MFD_CLOEXEC)) < 0 ||
        (errfd = memfd_create("stderr", MFD_CLOEXEC)) < 0 ||
        (inlen && write(infd, in, inlen) != (ssize_t)inlen) ||
        lseek(infd, 0, SEEK_SET) != 0 || pipe2(go, O_CLOEXEC) != 0) {
        agent_fail(err, errlen, "one-shot run: %s", strerror(errno));
        goto out;
    }
    argv = spec_argv(spec, ag->cfg.mantle_bin, ag->volumes_dir,
                     ag->secrets_dir, "/dev/fd/3", NULL);
    if (nsecrets)
        argv_secrets(&argv, 2, secrets, nsecrets); /* after "mantle run" */
    child_env(ag, envp);
    pid = fork();
    if (pid == 0)
        child(ag, spec, memfd, infd, outfd, errfd, go[0], go[1], argv, envp,
              max_out, sfd, nsecrets);
    for (int i = 0; i < 3; i++)
        free(envp[i]);
    if (pid < 0) {
        agent_fail(err, errlen, "fork: %s", strerror(errno));
        goto out;
    }
    setpgid(pid, pid);
    if ((o = calloc(1, sizeof *o)) == NULL)
        abort();
    o->pid = pid;
    o->out_fd = outfd;
    o->err_fd = errfd;
    o->max_out = max_out;
    o->deadline_ms = timeout_ms ? agent_now_ms() + timeout_ms : UINT64_MAX;
    o->done = done;
    o->ctx = ctx;
    o->next = ag->oneshots;
    ag->oneshots = o;
    outfd = errfd = -1;
    rc = 0;
out:
    for (int i = 0; i < 2; i++)
        if (go[i] >= 0)
            close(go[i]); /* EOF: the child goes on */
    if (memfd >= 0)
        close(memfd);
    if (infd >= 0)
        close(infd);
    if (outfd >= 0)
        close(outfd);
    if (errfd >= 0)
        close(errfd);
    for (size_t i = 0; i < nsecrets; i++)
        if (sfd[i] >= 0)
            close(sfd[i]);
    spec_argv_free(argv);
    free(bytes);
    return rc;
}

void oneshot_reaped(struct agent *ag, pid_t pid, int status)
{
    for (struct oneshot **pp = &ag->oneshots; *pp; pp = &(*pp)->next) {
        struct oneshot *o = *pp;
        size_t olen, elen;
        char *out, *errtxt;

        if (o->pid != pid)
            continue;
        *pp = o->next;
        out = memfd_text(o->out_fd, o->max_out, &olen);
        errtxt = memfd_text(o->err_fd, 4096, &elen);
        o->done(ag, o->ctx, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                WIFSIGNALED(status) ? WTERMSIG(status) : 0, o->killed, out,
                olen, errtxt);
        free(out);
        free(errtxt);
        close(o->out_fd);
        close(o->err_fd);
        free(o);
        return;
    }
}

/* ---- exit and restart ---------------------------------------------------- */

/* Add what the ended run reported with --stats-json (fuel used) and remove
 * the report. None when the process was killed before it could write one:
 * that run's fuel is not counted. */
static void collect_stats(struct agent *ag, struct workload *w)
{
    char path[700];
    json_error_t je;
    json_t *o, *fuel;

    snprintf(path, sizeof path, "%s/%s.json", ag->runs_dir, w->spec.name);
    o = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    unlink(path);
    if (o == NULL)
        return;
    fuel = json_object_get(o, "fuel_used");
    if (json_is_integer(fuel) && json_integer_value(fuel) > 0)
        w->fuel_used += (uint64_t)json_integer_value(fuel);
    json_decref(o);
}

static void on_exit_status(struct agent *ag, struct workload *w, int status,
                           const struct rusage *ru)
{
    uint64_t now = agent_now_ms();
    char reason[128];
    bool failure;

    w->cpu_seconds += (double)ru->ru_utime.tv_sec + ru->ru_utime.tv_usec / 1e6 +
                      (double)ru->ru_stime.tv_sec + ru->ru_stime.tv_usec / 1e6;
    if ((int64_t)ru->ru_maxrss * 1024 > w->max_rss)
        w->max_rss = (int64_t)ru->ru_maxrss * 1024;
    w->last_exit = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    w->last_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    failure = w->last_exit != 0;
    if (WIFSIGNALED(status))
        snprintf(reason, sizeof reason, "killed by signal %d%s", w->last_signal,
                 w->state == WL_STOPPING ? " (stopped)" : "");
    else
        snprintf(reason, sizeof reason, "exited with status %d", w->last_exit);
    store_run_end(ag->store, w->run_id, w->last_exit, w->last_signal, reason);
    collect_stats(ag, w);
    cgroup_leave(ag, w);
    w->pid = 0;
    if (w->state == WL_STOPPING || !w->want_running || ag->draining) {
        w->state = WL_STOPPED;
        return;
    }
    if (w->spec.restart == RESTART_NEVER ||
        (w->spec.restart == RESTART_ON_FAILURE && !failure)) {
        w->state = WL_EXITED;
        return;
    }
    /* Exponential backoff; a run that stayed up stable_ms starts over. */
    if (w->backoff_ms == 0 || now - w->started_ms >= (uint64_t)ag->cfg.stable_ms)
        w->backoff_ms = (uint64_t)ag->cfg.backoff_min_ms;
    else if (w->backoff_ms < (uint64_t)ag->cfg.backoff_max_ms)
        w->backoff_ms *= 2;
    if (w->backoff_ms > (uint64_t)ag->cfg.backoff_max_ms)
        w->backoff_ms = (uint64_t)ag->cfg.backoff_max_ms;
    w->next_start_ms = now + w->backoff_ms;
    w->state = WL_BACKOFF;
    fprintf(stderr, "mantled: workload %s: %s; restart in %llu ms\n",
            w->spec.name, reason, (unsigned long long)w->backoff_ms);
}

void wl_reap(struct agent *ag)
{
    int status;
    struct rusage ru;
    pid_t pid;

    while ((pid = wait4(-1, &status, WNOHANG, &ru)) > 0) {
        bool found = false;

        for (struct workload *w = ag->workloads; w; w = w->next)
            if (w->pid == pid) {
                on_exit_status(ag, w, status, &ru);
                found = true;
                break;
            }
        if (!found)
            oneshot_reaped(ag, pid, status);
    }
}

void wl_tick(struct agent *ag, uint64_t now)
{
    for (struct oneshot *o = ag->oneshots; o; o = o->next)
        if (now >= o->deadline_ms && !o->killed) {
            kill(-o->pid, SIGKILL);
            o->killed = true;
        }
    for (struct workload *w = ag->workloads; w; w = w->next) {
        if (w->state == WL_BACKOFF && now >= w->next_start_ms &&
            w->want_running && !ag->draining) {
            w->restarts++;
            store_workload_set_restarts(ag->store, w->spec.name, w->restarts);
            wl_start(ag, w);
        } else if (w->state == WL_STOPPING && w->pid > 0 &&
                   now >= w->stop_deadline_ms) {
            kill(-w->pid, SIGKILL);
            w->stop_deadline_ms = UINT64_MAX;
        }
    }
}

void wl_stop(struct agent *ag, struct workload *w, bool keep_wanted)
{
    if (!keep_wanted)
        w->want_running = false;
    if (w->pid > 0) {
        if (w->state != WL_STOPPING) {
            kill(-w->pid, SIGTERM);
            w->state = WL_STOPPING;
            w->stop_deadline_ms = agent_now_ms() +
                                  (uint64_t)(ag->draining ? ag->cfg.drain_ms
                                                          : ag->cfg.stop_grace_ms);
        }
    } else {
        w->state = WL_STOPPED;
    }
}

json_t *wl_to_json(const struct workload *w)
{
    json_t *o = json_object();
    uint64_t now = agent_now_ms();

    json_object_set_new(o, "name", json_string(w->spec.name));
    json_object_set_new(o, "state", json_string(wl_state_name(w->state)));
    json_object_set_new(o, "want_running", json_boolean(w->want_running));
    if (w->pid > 0) {
        json_object_set_new(o, "pid", json_integer(w->pid));
        json_object_set_new(o, "uptime_ms",
                            json_integer((json_int_t)(now - w->started_ms)));
    }
    json_object_set_new(o, "restarts", json_integer((json_int_t)w->restarts));
    if (w->state == WL_BACKOFF) {
        json_object_set_new(o, "backoff_ms",
                            json_integer((json_int_t)w->backoff_ms));
        json_object_set_new(
            o, "restart_in_ms",
            json_integer((json_int_t)(w->next_start_ms > now
                                          ? w->next_start_ms - now
                                          : 0)));
    }
    if (w->last_exit >= 0)
        json_object_set_new(o, "last_exit", json_integer(w->last_exit));
    if (w->last_signal > 0)
        json_object_set_new(o, "last_signal", json_integer(w->last_signal));
    if (w->last_error[0])
        json_object_set_new(o, "error", json_string(w->last_error));
    json_object_set_new(o, "cpu_seconds", json_real(w->cpu_seconds));
    json_object_set_new(o, "max_rss_bytes", json_integer(w->max_rss));
    json_object_set_new(o, "fuel_used", json_integer((json_int_t)w->fuel_used));
    json_object_set_new(o, "cgroup", json_boolean(w->cgroup));
    if (w->spec.http_route)
        json_object_set_new(o, "http_inflight", json_integer(w->inflight));
    json_object_set_new(o, "spec", json_incref(w->spec_json));
    return o;
}

void wl_free(struct workload *w)
{
    if (w == NULL)
        return;
    close_stream(w, 1);
    close_stream(w, 2);
    log_close(&w->out_log);
    log_close(&w->err_log);
    api_followers_close(w);
    spec_free(&w->spec);
    json_decref(w->spec_json);
    free(w);
}
