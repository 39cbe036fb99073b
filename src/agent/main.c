/* main.c - mantled: the event loop, the tick, signals, startup and drain.
 * SPDX-License-Identifier: Apache-2.0
 *
 * One libevent loop serves the API and workload output; a periodic tick
 * does everything time- or signal-driven: reaping children (SIGCHLD),
 * restarts due, stop deadlines, reload (SIGHUP) and drain (SIGTERM,
 * SIGINT). Signal handlers only set flags. On drain mantled stops
 * accepting connections, stops every workload (SIGTERM, then SIGKILL at
 * drain_ms) without changing what the store says should run, and exits 0;
 * the next start resumes exactly those workloads.
 *
 * Exit status: 0 after a drain, 1 on a runtime failure, 2 on a bad
 * configuration.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/http.h>
#include <openssl/ssl.h>

#include "agent.h"

static volatile sig_atomic_t got_term, got_hup, got_chld;

static void on_signal(int sig)
{
    if (sig == SIGTERM || sig == SIGINT)
        got_term = 1;
    else if (sig == SIGHUP)
        got_hup = 1;
    else if (sig == SIGCHLD)
        got_chld = 1;
}

uint64_t agent_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct workload *agent_find(struct agent *ag, const char *name)
{
    for (struct workload *w = ag->workloads; w; w = w->next)
        if (strcmp(w->spec.name, name) == 0)
            return w;
    return NULL;
}

size_t agent_count(const struct agent *ag)
{
    size_t n = 0;

    for (const struct workload *w = ag->workloads; w; w = w->next)
        n++;
    return n;
}

void agent_add(struct agent *ag, struct workload *w)
{
    struct workload **pp = &ag->workloads;

    while (*pp) /* keep name order for listings */
        pp = &(*pp)->next;
    *pp = w;
    if (w->want_running)
        wl_start(ag, w);
    else
        w->state = WL_STOPPED;
}

/* Delete: the process group is killed now; wl_reap collects it later. */
void agent_remove(struct agent *ag, struct workload *w)
{
    char path[700];

    for (struct workload **pp = &ag->workloads; *pp; pp = &(*pp)->next)
        if (*pp == w) {
            *pp = w->next;
            break;
        }
    if (w->pid > 0) {
        kill(-w->pid, SIGKILL);
        store_run_end(ag->store, w->run_id, -1, SIGKILL, "workload deleted");
    }
    snprintf(path, sizeof path, "%s", w->out_log.path);
    wl_free(w);
    for (int s = 0; s < 2 && path[0]; s++) {
        char *dot = strrchr(path, '.');

        unlink(path);
        strcat(path, ".1");
        unlink(path);
        if (dot)
            strcpy(dot, ".stderr");
    }
}

static void load_one(void *ctx, const char *name, const char *spec,
                     bool running, uint64_t restarts)
{
    struct agent *ag = ctx;
    struct workload *w = calloc(1, sizeof *w);
    char err[512];

    if (w == NULL)
        abort();
    w->out_fd = w->err_fd = w->out_log.fd = w->err_log.fd = -1;
    w->last_exit = -1;
    if (spec_parse(spec, strlen(spec), &w->spec, err, sizeof err) != 0) {
        fprintf(stderr, "mantled: stored workload %s: %s; skipped\n", name,
                err);
        free(w);
        return;
    }
    w->spec_json = spec_to_json(&w->spec);
    w->want_running = running;
    w->restarts = restarts;
    agent_add(ag, w);
}

static int mkdirs(struct agent *ag, char *err, size_t errlen)
{
    const char *sub[] = {"", "/logs", "/volumes", "/tee", "/cache",
                         "/secrets", "/runs"};

    /* Every path under it must fit the fixed buffers used for them. */
    if (strlen(ag->cfg.state_dir) > 200 || ag->cfg.state_dir[0] == '\0') {
        snprintf(err, errlen, "state_dir: 1 to 200 bytes, please");
        return -1;
    }

    for (size_t i = 0; i < sizeof sub / sizeof sub[0]; i++) {
        char path[600];

        snprintf(path, sizeof path, "%s%s", ag->cfg.state_dir, sub[i]);
        if (mkdir(path, 0700) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "%s: mkdir: %s", path, strerror(errno));
            return -1;
        }
    }
    /* Children and their argv see absolute paths whatever our cwd. */
    char *abs = realpath(ag->cfg.state_dir, NULL);
    if (abs == NULL || strlen(abs) > 200) {
        snprintf(err, errlen, "%s: realpath: %s", ag->cfg.state_dir,
                 abs ? "longer than 200 bytes" : strerror(errno));
        free(abs);
        return -1;
    }
    free(ag->cfg.state_dir);
    ag->cfg.state_dir = abs;
    snprintf(ag->logs_dir, sizeof ag->logs_dir, "%s/logs", ag->cfg.state_dir);
    snprintf(ag->volumes_dir, sizeof ag->volumes_dir, "%s/volumes",
             ag->cfg.state_dir);
    snprintf(ag->secrets_dir, sizeof ag->secrets_dir, "%s/secrets",
             ag->cfg.state_dir);
    snprintf(ag->runs_dir, sizeof ag->runs_dir, "%s/runs", ag->cfg.state_dir);
    return 0;
}

static void reload(struct agent *ag)
{
    struct agent_config next;
    char err[512], note[512];
    SSL_CTX *ctx;

    if (cfg_load(ag->argc, ag->argv, &next, err, sizeof err) != 0) {
        fprintf(stderr, "mantled: reload refused: %s\n", err);
        return;
    }
    if ((ctx = tls_server_ctx(&next, err, sizeof err)) == NULL) {
        fprintf(stderr, "mantled: reload refused: %s\n", err);
        cfg_free(&next);
        return;
    }
    cfg_apply_reload(&ag->cfg, &next, note, sizeof note);
    cfg_free(&next);
#if MANTLED_FLEET
    member_reload(ag);
#endif
    SSL_CTX_free(ag->ssl_ctx);
    ag->ssl_ctx = ctx;
    if (api_tokens_load(ag, err, sizeof err) != 0)
        fprintf(stderr, "mantled: reload: %s (the tokens loaded before stay "
                        "in force)\n", err);
    fprintf(stderr, "mantled: configuration reloaded%s%s\n",
            note[0] ? "; needs a restart to change: " : "", note);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct agent *ag = arg;
    uint64_t now = agent_now_ms();

    if (got_chld) {
        got_chld = 0;
        wl_reap(ag);
    }
    if (got_hup) {
        got_hup = 0;
        reload(ag);
    }
    if (got_term && !ag->draining) {
        fprintf(stderr, "mantled: draining\n");
        ag->draining = true;
        ag->drain_deadline_ms = now + (uint64_t)ag->cfg.drain_ms;
        api_stop_accepting(ag);
#if MANTLED_FLEET
        member_drain(ag);
#endif
        for (struct workload *w = ag->workloads; w; w = w->next) {
            api_followers_close(w);
            wl_stop(ag, w, true);
        }
    }
    wl_reap(ag); /* a SIGCHLD between the flag test and here is not lost */
    wl_tick(ag, now);
    if (ag->draining) {
        bool alive = false;

        for (struct workload *w = ag->workloads; w; w = w->next)
            alive |= w->pid > 0;
        if (!alive || now > ag->drain_deadline_ms + 1000)
            event_base_loopexit(ag->base, NULL);
    }
}

int main(int argc, char **argv)
{
    struct agent ag;
    char err[1024];
    struct sigaction sa;
    struct event *tick;
    struct timeval tv;
    int rc = 1;

    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        cfg_usage(stdout);
        return 0;
    }
    memset(&ag, 0, sizeof ag);
    ag.argc = argc;
    ag.argv = argv;
    if (cfg_load(argc, argv, &ag.cfg, err, sizeof err) != 0) {
        fprintf(stderr, "mantled: %s\n", err);
        cfg_usage(stderr);
        return 2;
    }
    ag.start_ms = agent_now_ms();
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGCHLD, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (mkdirs(&ag, err, sizeof err) != 0 ||
        store_open(ag.cfg.state_dir, &ag.store, err, sizeof err) != 0 ||
        (ag.ssl_ctx = tls_server_ctx(&ag.cfg, err, sizeof err)) == NULL ||
        api_tokens_load(&ag, err, sizeof err) != 0) {
        fprintf(stderr, "mantled: %s\n", err);
        rc = 2;
        goto out;
    }
    if (mantle_engine_new(NULL, &ag.engine) != MANTLE_OK ||
        (ag.base = event_base_new()) == NULL) {
        fprintf(stderr, "mantled: cannot create the engine or event loop\n");
        goto out;
    }
    if (access(ag.cfg.mantle_bin, X_OK) != 0) {
        fprintf(stderr, "mantled: mantle_bin: %s: %s\n", ag.cfg.mantle_bin,
                strerror(errno));
        rc = 2;
        goto out;
    }
    wl_cgroup_probe(&ag);
    fprintf(stderr, "mantled: cgroups %s\n", ag.cgroup_why);
    if (api_start(&ag, err, sizeof err) != 0) {
        fprintf(stderr, "mantled: %s\n", err);
        goto out;
    }
    store_runs_orphaned(ag.store);
    store_workload_each(ag.store, load_one, &ag);
#if MANTLED_FLEET
    if (member_start(&ag, err, sizeof err) != 0) {
        fprintf(stderr, "mantled: %s\n", err);
        rc = 2;
        goto out;
    }
#else
    if (ag.cfg.lattice[0]) {
        fprintf(stderr, "mantled: lattice: this build has no fleet support "
                        "(MANTLE_ATTEST off)\n");
        rc = 2;
        goto out;
    }
#endif
    tick = event_new(ag.base, -1, EV_PERSIST, on_tick, &ag);
    tv.tv_sec = ag.cfg.tick_ms / 1000;
    tv.tv_usec = (ag.cfg.tick_ms % 1000) * 1000;
    event_add(tick, &tv);
    fprintf(stderr, "mantled: serving https://%s (state %s, %zu workloads)\n",
            ag.bound_addr, ag.cfg.state_dir, agent_count(&ag));
    event_base_dispatch(ag.base);
    event_free(tick);
    fprintf(stderr, "mantled: drained, exiting\n");
    rc = 0;
out:
#if MANTLED_FLEET
    member_stop(&ag);
#endif
    while (ag.oneshots) {
        struct oneshot *o = ag.oneshots;

        ag.oneshots = o->next;
        kill(-o->pid, SIGKILL);
        close(o->out_fd);
        close(o->err_fd);
        free(o); /* member_stop freed the fleet's own */
    }
    while (ag.workloads) {
        struct workload *w = ag.workloads;

        ag.workloads = w->next;
        if (w->pid > 0)
            kill(-w->pid, SIGKILL);
        wl_free(w);
    }
    if (ag.http)
        evhttp_free(ag.http);
    if (ag.base)
        event_base_free(ag.base);
    api_tokens_free(&ag);
    SSL_CTX_free(ag.ssl_ctx);
    mantle_engine_free(ag.engine);
    store_close(ag.store);
    cfg_free(&ag.cfg);
    return rc;
}
