/* agent.h - mantled, the node agent: shared types of its parts.
 * SPDX-License-Identifier: Apache-2.0
 *
 * mantled is an ordinary POSIX program built on include/mantle.h: one
 * libevent loop plus a periodic tick (main.c), a declarative configuration
 * table (config.c), SQLite state (store.c), workload specs parsed from
 * untrusted JSON (spec.c), supervised `mantle run` children (supervise.c,
 * logs.c), the HTTPS API (api.c, tls.c) and Prometheus metrics (metrics.c).
 * Design, API reference and security model: docs/agent.md.
 */
#ifndef MANTLE_AGENT_H
#define MANTLE_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <jansson.h>

#include "mantle.h"

/* Format "what: why" into err (errlen bytes, cut to fit); returns -1, so
 * `return agent_fail(err, errlen, ...)` ends a failing call (spec.c). */
int agent_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- config.c: one table drives file, environment, flags, reload ---- */

struct agent_config {
    char *listen;        /* HOST:PORT of the HTTPS API */
    char *state_dir;     /* SQLite, modules, logs, volumes */
    char *tls_cert;      /* server certificate chain (PEM) */
    char *tls_key;       /* its private key (PEM) */
    char *tls_attested;  /* TEE backend for an RA-TLS certificate; "" = none */
    char *client_ca;     /* operator CA for mutual TLS; "" = none */
    char *tokens_file;   /* bearer tokens, "NAME TOKEN" a line; "" = none */
    char *mantle_bin;    /* the `mantle` that runs workloads */
    char *cgroup_root;   /* a delegated cgroup v2 directory; "" = none */
    int64_t max_module_bytes;
    int64_t max_json_bytes;
    int64_t max_workloads;
    int64_t log_max_bytes;   /* rotate a log file beyond this */
    int64_t tick_ms;
    int64_t backoff_min_ms;  /* first restart delay, doubled per crash */
    int64_t backoff_max_ms;
    int64_t stable_ms;       /* a run this long resets the backoff */
    int64_t stop_grace_ms;   /* SIGTERM to SIGKILL */
    int64_t drain_ms;        /* SIGTERM of mantled: longest drain */
    /* the fleet (member.c, docs/fleet.md); lattice "" = standalone */
    char *lattice;           /* nats://HOST:PORT[,...] */
    char *lattice_ca, *lattice_cert, *lattice_key, *lattice_creds;
    char *lattice_domain;    /* JetStream domain of the hub; "" none */
    int64_t lattice_replicas; /* JetStream replicas of buckets we create */
    char *node_id;           /* "" = the host name */
    char *node_labels;       /* "key=value,key=value" */
    char *node_tee;          /* "" none; soft, tpm, tsm: attested facts */
    char *tee_roots;         /* trust anchors for other nodes' evidence */
    int64_t heartbeat_ms;
    int64_t dead_after_ms;   /* silent this long: replicas move away */
    int64_t lease_ms;        /* the reconciler's lease */
    int64_t reconnect_max_ms;
    int64_t invoke_timeout_ms;
    int64_t invoke_max_bytes;
    int64_t invoke_concurrency; /* one-shot runs per replica at once */
    int64_t secret_retry_ms; /* a broker's refusal holds this long */
};

/* Fill `out` from defaults, then the file named by --config (or the
 * environment's MANTLED_CONFIG), then MANTLED_* variables, then flags.
 * 0, or -1 with a message ("where: what: why") in err. */
int cfg_load(int argc, char **argv, struct agent_config *out, char *err,
             size_t errlen);
void cfg_free(struct agent_config *cfg);
/* Copy the reloadable fields of `next` into `cur` (SIGHUP); names of
 * changed fields that need a restart are appended to `note`. */
void cfg_apply_reload(struct agent_config *cur, struct agent_config *next,
                      char *note, size_t notelen);
void cfg_usage(FILE *f);
/* The table as JSON (name, value, source rules) for docs and /v1/node. */
json_t *cfg_to_json(const struct agent_config *cfg);

/* ---- spec.c: workload specs and names from untrusted input ---------- */

#define AGENT_NAME_MAX 63
#define AGENT_DIGEST_HEX 64

enum restart_policy { RESTART_ALWAYS, RESTART_ON_FAILURE, RESTART_NEVER };

struct wl_dir {
    char *host;  /* relative to <state>/volumes/<workload>/ */
    char *guest;
    bool readonly;
    bool sealed; /* --dir-sealed: encrypted at rest (docs/sealfs.md) */
};

struct wl_spec {
    char name[AGENT_NAME_MAX + 1];
    char digest[AGENT_DIGEST_HEX + 1];
    char **args;
    size_t nargs;
    char **env; /* "KEY=VALUE" */
    size_t nenv;
    struct wl_dir *dirs;
    size_t ndirs;
    char **listen; /* "ADDR:PORT" */
    size_t nlisten;
    char **secrets; /* names in <state>/secrets/, for the TEE services */
    size_t nsecrets;
    uint64_t fuel;       /* 0: none */
    uint64_t max_memory; /* bytes of each linear memory; 0: default */
    uint64_t timeout_ms; /* per run; 0: none */
    char tee[16];        /* "", soft, tpm, tsm, auto */
    char tier[8];        /* "", interp, aot, auto */
    enum restart_policy restart;
    uint64_t cpu_seconds;  /* RLIMIT_CPU per run; 0: none */
    uint64_t memory_limit; /* cgroup memory.max; 0: none */
    uint32_t cpu_percent;  /* cgroup cpu.max; 0: none */
    uint32_t nofile;       /* RLIMIT_NOFILE; 0: 256 */
    bool http_route;           /* expose listen[0] at /w/NAME/ (proxy.c) */
    uint32_t http_concurrency; /* requests in flight; 0 -> 16 */
};

/* A name is [A-Za-z0-9][A-Za-z0-9._-]{0,62} and not "." or "..": safe as
 * a file name and in a URL path without escaping. */
bool spec_name_ok(const char *s);
/* "sha256:<64 hex>" or "<64 hex>" (lower case) into out[65]. */
bool spec_digest_parse(const char *s, char out[AGENT_DIGEST_HEX + 1]);
/* Parse and check a workload spec; 0, or -1 with what and why in err
 * ("args[2]: expected a string"). The spec is the caller's to free. */
int spec_parse(const char *json, size_t len, struct wl_spec *out, char *err,
               size_t errlen);
int spec_from_json(const json_t *root, struct wl_spec *out, char *err,
                   size_t errlen);
json_t *spec_to_json(const struct wl_spec *spec);
void spec_free(struct wl_spec *spec);
/* argv for `mantle run` (NULL-terminated, strings owned by the array;
 * free with spec_argv_free). module_path is what the child opens;
 * stats_path (or NULL) where it reports what the run cost. */
char **spec_argv(const struct wl_spec *spec, const char *mantle_bin,
                 const char *volumes_dir, const char *secrets_dir,
                 const char *module_path, const char *stats_path);
void spec_argv_free(char **argv);

/* ---- store.c: SQLite in WAL mode ------------------------------------ */

struct store;

int store_open(const char *state_dir, struct store **out, char *err,
               size_t errlen);
void store_close(struct store *st);
/* SHA-256 of bytes as 64 lower-case hex digits. */
void store_digest(const uint8_t *bytes, size_t size,
                  char out[AGENT_DIGEST_HEX + 1]);
/* Module bytes: verified against the digest on every load. */
int store_module_put(struct store *st, const uint8_t *bytes, size_t size,
                     const char *name, char digest_out[AGENT_DIGEST_HEX + 1],
                     bool *out_existed, char *err, size_t errlen);
int store_module_load(struct store *st, const char *digest, uint8_t **out,
                      size_t *out_size, char *err, size_t errlen);
bool store_module_exists(struct store *st, const char *digest);
int store_module_delete(struct store *st, const char *digest);
json_t *store_module_list(struct store *st);
json_t *store_module_get(struct store *st, const char *digest);
/* Secrets: values in files (0600) under <state>/secrets/NAME. */
int store_secret_put(struct store *st, const char *name, const uint8_t *bytes,
                     size_t size, char *err, size_t errlen);
bool store_secret_exists(struct store *st, const char *name);
int store_secret_delete(struct store *st, const char *name);
json_t *store_secret_list(struct store *st);
/* Workloads: the spec JSON and the desired state survive restarts. */
int store_workload_put(struct store *st, const char *name, const json_t *spec,
                       bool running);
int store_workload_set_running(struct store *st, const char *name,
                               bool running);
int store_workload_set_restarts(struct store *st, const char *name,
                                uint64_t restarts);
int store_workload_delete(struct store *st, const char *name);
bool store_module_in_use(struct store *st, const char *digest);
/* Call fn for each stored workload, in name order. */
int store_workload_each(struct store *st,
                        void (*fn)(void *ctx, const char *name,
                                   const char *spec, bool running,
                                   uint64_t restarts),
                        void *ctx);
int64_t store_run_begin(struct store *st, const char *name, pid_t pid);
void store_run_end(struct store *st, int64_t run_id, int exit_code, int sig,
                   const char *reason);
json_t *store_runs(struct store *st, const char *name, int limit);
/* Close runs a previous life of mantled left open. */
void store_runs_orphaned(struct store *st);
void store_audit(struct store *st, const char *principal, const char *method,
                 const char *path, int status, const char *detail);
json_t *store_audit_list(struct store *st, int limit);

/* ---- logs.c: rotating stdout/stderr files ---------------------------- */

struct logfile {
    char path[512];
    int fd;
    int64_t size;
    int64_t max; /* rotate to path.1 beyond this */
};

int log_open(struct logfile *lf, const char *path, int64_t max);
void log_write(struct logfile *lf, const char *data, size_t len);
void log_close(struct logfile *lf);
/* The last `tail` bytes of path.1 + path, malloc'ed. */
char *log_tail(const char *path, int64_t tail, size_t *out_len);

/* ---- supervise.c: workload processes -------------------------------- */

enum wl_state {
    WL_STOPPED,  /* not running and not wanted */
    WL_RUNNING,
    WL_BACKOFF,  /* crashed; a restart is scheduled */
    WL_STOPPING, /* SIGTERM sent; SIGKILL at the deadline */
    WL_EXITED,   /* ended and its policy says no restart */
    WL_FAILED,   /* cannot start (module missing or corrupted, exec) */
};

struct follower; /* api.c: a client streaming a log */

struct workload {
    struct wl_spec spec;
    json_t *spec_json;
    bool want_running;
    enum wl_state state;
    pid_t pid;
    int64_t run_id;
    uint64_t started_ms, next_start_ms, stop_deadline_ms;
    uint64_t backoff_ms;
    uint64_t restarts;
    int last_exit, last_signal; /* -1: none */
    char last_error[256];
    double cpu_seconds;  /* user + system, over all runs */
    int64_t max_rss;     /* bytes, the largest run */
    uint64_t fuel_used;  /* over all runs that reported it (--stats-json) */
    bool cgroup;         /* runs in its own cgroup */
    struct event *out_ev, *err_ev;
    int out_fd, err_fd;
    struct logfile out_log, err_log;
    struct follower *followers;
    uint32_t inflight; /* proxied requests */
    struct workload *next;
};

struct agent; /* main.c */

const char *wl_state_name(enum wl_state st);
/* Start (or schedule) the workload's process; records errors in it. */
void wl_start(struct agent *ag, struct workload *w);
/* SIGTERM its process group; SIGKILL after stop_grace_ms (wl_tick). */
void wl_stop(struct agent *ag, struct workload *w, bool keep_wanted);
/* After SIGCHLD: collect exits, schedule restarts. */
void wl_reap(struct agent *ag);
/* Restarts due, stop deadlines. */
void wl_tick(struct agent *ag, uint64_t now_ms);
json_t *wl_to_json(const struct workload *w);
void wl_free(struct workload *w);
/* One-shot runs (the fleet's invocations): `in` becomes the guest's
 * stdin; done() gets its stdout (at most max_out bytes), the start of its
 * stderr and how it ended (timed_out: killed at timeout_ms). done runs on
 * the event loop from wl_reap, once. 0, or -1 with why in err. */
typedef void (*oneshot_done_fn)(struct agent *ag, void *ctx, int exit_code,
                                int sig, bool timed_out, const char *out,
                                size_t out_len, const char *err_text);
struct oneshot {
    pid_t pid;
    int out_fd, err_fd;
    uint64_t max_out, deadline_ms;
    bool killed;
    oneshot_done_fn done;
    void *ctx;
    struct oneshot *next;
};
/* secrets (from a key broker, held in memory) reach the run through
 * sealed memfds as --secret NAME=@/dev/fd/N, never through a file. */
int wl_oneshot(struct agent *ag, const struct wl_spec *spec, const void *in,
               size_t inlen, const mantle_tee_secret *secrets,
               size_t nsecrets, uint64_t timeout_ms, uint64_t max_out,
               oneshot_done_fn done, void *ctx, char *err, size_t errlen);
void oneshot_reaped(struct agent *ag, pid_t pid, int status);
/* What the host allows: "cgroup v2 at DIR" or why not. */
const char *wl_cgroup_status(const struct agent *ag);
void wl_cgroup_probe(struct agent *ag);

/* ---- the agent ------------------------------------------------------- */

struct api_stats {
    uint64_t requests[6]; /* by status class: 1xx..5xx, [0] other */
    uint64_t lat_buckets[12];
    double lat_sum;
    uint64_t lat_count;
    uint64_t auth_refused;
};

struct agent {
    struct agent_config cfg;
    int argc;
    char **argv;
    struct event_base *base;
    struct evhttp *http;
    struct evhttp_bound_socket *bound;
    char bound_addr[160]; /* HOST:PORT actually bound */
    struct ssl_ctx_st *ssl_ctx;
    struct store *store;
    mantle_engine *engine; /* validates uploaded modules */
    struct workload *workloads;
    struct oneshot *oneshots; /* one-shot runs in flight */
    struct member *member;    /* the fleet (member.c); NULL: standalone */
    char volumes_dir[512];
    char secrets_dir[512];
    char logs_dir[512];
    char runs_dir[512];    /* NAME.json: `mantle run --stats-json` */
    char cgroup_dir[512];  /* "" when cgroups are off */
    char cgroup_why[256];
    bool draining;
    uint64_t drain_deadline_ms;
    uint64_t start_ms;
    struct api_stats stats;
    /* bearer tokens: a (name, token) list */
    char **token_names, **tokens;
    size_t ntokens;
};

uint64_t agent_now_ms(void);
struct workload *agent_find(struct agent *ag, const char *name);
size_t agent_count(const struct agent *ag);
/* Keep a new workload (takes ownership) and start it when wanted. */
void agent_add(struct agent *ag, struct workload *w);
void agent_remove(struct agent *ag, struct workload *w);
/* logs: a new chunk for followers (api.c). */
void api_log_chunk(struct agent *ag, struct workload *w, int stream,
                   const char *data, size_t len);
void api_followers_close(struct workload *w);

/* tls.c */
struct ssl_ctx_st *tls_server_ctx(const struct agent_config *cfg, char *err,
                                  size_t errlen);
/* api.c */
int api_start(struct agent *ag, char *err, size_t errlen);
void api_stop_accepting(struct agent *ag);
int api_tokens_load(struct agent *ag, char *err, size_t errlen);
void api_tokens_free(struct agent *ag);
/* proxy.c: 0 when forwarded (the answer comes later), else the status to
 * refuse with and why. */
struct evhttp_request;
int proxy_forward(struct agent *ag, struct workload *w,
                  struct evhttp_request *down, const char *path, char *why,
                  size_t whylen);
/* member.c: the fleet (docs/fleet.md). start: nothing without lattice,
 * else join it (in the background: an unreachable NATS is not an error);
 * drain: leave the queue groups and withdraw this node's facts; stop:
 * end the fleet thread and the connection. */
int member_start(struct agent *ag, char *err, size_t errlen);
/* SIGHUP: republish the facts with the reloaded node_labels. */
void member_reload(struct agent *ag);
void member_drain(struct agent *ag);
void member_stop(struct agent *ag);
/* metrics.c */
char *metrics_render(const struct agent *ag, size_t *out_len);
void metrics_observe(struct api_stats *s, int status, double seconds);
json_t *node_facts(const struct agent *ag);

#endif
