/* run.c - `mantle run`: run a WASI command, or call one export.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Map: option parsing (sizes, durations, --dir, --env, --listen) - the
 * timeout timer - calling the export - the verb.
 *
 * Without --invoke the module's _start runs as a WASI command: ARGs are
 * its argv[1..], and the exit status is its proc_exit code (0 if _start
 * returns). With --invoke NAME, ARGs are NAME's typed parameters and its
 * results are printed. Either way every wasi_snapshot_preview1 import is
 * provided, with exactly the directories, environment and sockets granted.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../config.h" /* build knobs: WASI sockets, TEE */
#include "cli.h"

extern char **environ;

struct run_opts {
    const char *path;
    const char *invoke; /* NULL: _start */
    uint64_t fuel;
    bool has_fuel;
    const char *tier;          /* --tier: NULL, interp, aot or auto */
    uint32_t max_pages;        /* 0: default */
    uint64_t timeout_ns;       /* 0: none */
    const char *timeout_text;
    bool env_inherit;
    int nargs;
    char **args;
    /* Grants, in command-line order. */
    mantle_wasi_preopen *dirs;
    size_t ndirs;
    const char **envs;
    size_t nenvs;
    const char **listens;
    size_t nlistens;
    /* TEE services */
    const char *tee, *state_dir;
    mantle_tee_secret *secrets;
    size_t nsecrets;
    cli_kbs_secret *kbs;          /* --secret NAME=kbs:///R/T/G */
    size_t nkbs;
    const char *broker, *broker_ca;
    bool broker_trustee;          /* --broker-trustee */
    const char *listen_tls;       /* --listen-tls ADDR:PORT (RA-TLS) */
    const char *stats_json;       /* --stats-json FILE, written at exit */
};

/* Abort on out-of-memory, as programs (not the library) may. */
static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);

    if (p == NULL) {
        perror("mantle: calloc");
        abort();
    }
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (p == NULL) {
        perror("mantle: realloc");
        abort();
    }
    return p;
}

/* "-5", "-0x10", "-.5", "-inf", "-nan": an ARG, not an option. */
static bool negative_number(const char *s)
{
    return s[0] == '-' &&
           (isdigit((unsigned char)s[1]) || s[1] == '.' ||
            strncmp(s + 1, "inf", 3) == 0 || strncmp(s + 1, "nan", 3) == 0);
}

size_t cli_sealed_cache;

static const struct option longopts[] = {
    {"invoke", required_argument, NULL, 'i'},
    {"fuel", required_argument, NULL, 'F'},
    {"dir", required_argument, NULL, 'd'},
    {"dir-ro", required_argument, NULL, 'r'},
    {"dir-sealed", required_argument, NULL, 'D'},
    {"env", required_argument, NULL, 'e'},
    {"env-inherit", no_argument, NULL, 'E'},
    {"listen", required_argument, NULL, 'l'},
    {"max-memory", required_argument, NULL, 'm'},
    {"timeout", required_argument, NULL, 't'},
    {"tier", required_argument, NULL, 'T'},
    {"tee", required_argument, NULL, 'X'},
    {"state-dir", required_argument, NULL, 'S'},
    {"secret", required_argument, NULL, 'K'},
    {"broker", required_argument, NULL, 'B'},
    {"broker-ca", required_argument, NULL, 'A'},
    {"broker-trustee", no_argument, NULL, 'Q'},
    {"listen-tls", required_argument, NULL, 'L'},
    {"stats-json", required_argument, NULL, 'j'},
    {"sealed-cache", required_argument, NULL, 'C'},
    {NULL, 0, NULL, 0},
};

/* After FILE, only mantle's own options are taken as options; anything
 * else starting with '-' begins the program's ARGs. */
static bool is_our_option(const char *s)
{
    size_t n;

    if (strcmp(s, "--") == 0)
        return true;
    if (s[0] != '-')
        return false;
    if (s[1] != '-')
        return (s[1] == 'i' || s[1] == 'F');
    n = strcspn(s + 2, "=");
    for (const struct option *o = longopts; o->name; o++)
        if (strlen(o->name) == n && strncmp(o->name, s + 2, n) == 0)
            return true;
    return false;
}

static int parse_u64(const char *s, uint64_t *out, char **end)
{
    if (!isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    *out = strtoull(s, end, 0);
    return errno == 0 ? 0 : -1;
}

static int parse_fuel(const char *s, uint64_t *out)
{
    char *end;

    return parse_u64(s, out, &end) == 0 && *end == '\0' ? 0 : -1;
}

/* SIZE: bytes with an optional K, M or G suffix (powers of 1024), to
 * 64 KiB Wasm pages (at least one, at most 65536). */
int cli_parse_size_pages(const char *s, uint32_t *out_pages)
{
    uint64_t v, mul = 1;
    char *end;

    if (parse_u64(s, &v, &end) != 0)
        return -1;
    switch (toupper((unsigned char)*end)) {
    case '\0': break;
    case 'K': mul = 1ull << 10; end++; break;
    case 'M': mul = 1ull << 20; end++; break;
    case 'G': mul = 1ull << 30; end++; break;
    default: return -1;
    }
    if (*end == 'i' || *end == 'I')
        end++;
    if (*end == 'B' || *end == 'b')
        end++;
    if (*end != '\0' || v > (UINT64_C(4) << 30) / mul)
        return -1;
    v = v * mul / 65536;
    if (v < 1 || v > 65536)
        return -1;
    *out_pages = (uint32_t)v;
    return 0;
}

/* DURATION: a number with ns, us, ms, s, m or h (bare: seconds). */
int cli_parse_duration(const char *s, uint64_t *out_ns)
{
    static const struct {
        const char *unit;
        uint64_t ns;
    } units[] = {{"ns", 1},           {"us", 1000},
                 {"ms", 1000000},     {"s", 1000000000},
                 {"", 1000000000},    {"m", UINT64_C(60000000000)},
                 {"h", UINT64_C(3600000000000)}};
    uint64_t v;
    char *end;

    if (parse_u64(s, &v, &end) != 0)
        return -1;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(end, units[i].unit) == 0) {
            if (v == 0 || v > UINT64_MAX / units[i].ns)
                return -1;
            *out_ns = v * units[i].ns;
            return 0;
        }
    }
    return -1;
}

/* HOST[::GUEST] */
static void add_dir(struct run_opts *o, const char *arg, bool ro,
                    bool sealed)
{
    const char *sep = strstr(arg, "::");
    mantle_wasi_preopen *p;

    o->dirs = xrealloc(o->dirs, (o->ndirs + 1) * sizeof *o->dirs);
    p = &o->dirs[o->ndirs++];
    p->read_only = ro;
    p->sealed = sealed;
    if (sep) {
        p->host_path = strndup(arg, (size_t)(sep - arg));
        p->guest_path = sep + 2;
        if (!p->host_path)
            abort();
    } else {
        p->host_path = arg;
        p->guest_path = arg;
    }
}

static void add_str(const char ***v, size_t *n, const char *s)
{
    *v = xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = s;
}

static void free_opts(struct run_opts *o)
{
    for (size_t i = 0; i < o->ndirs; i++)
        if (o->dirs[i].host_path != o->dirs[i].guest_path)
            free((char *)o->dirs[i].host_path);
    free(o->dirs);
    free(o->envs);
    free(o->listens);
#if MANTLE_ENABLE_TEE
    for (size_t i = 0; i < o->nsecrets; i++)
        cli_secret_free(&o->secrets[i]);
    for (size_t i = 0; i < o->nkbs; i++)
        free((void *)o->kbs[i].name);
    free(o->kbs);
#endif
    free(o->secrets);
}

/* Options may come before or after FILE; ARGs follow them (or "--"). */
static int parse_opts(int argc, char **argv, struct run_opts *o)
{
    int c;

    memset(o, 0, sizeof *o);
    optind = 0; /* glibc: full reinitialisation */
    opterr = 0;
    for (;;) {
        if (o->path && optind > 0 && optind < argc &&
            (negative_number(argv[optind]) || !is_our_option(argv[optind])))
            break;
        c = getopt_long(argc, argv, "+:i:F:", longopts, NULL);
        if (c == -1) {
            if (o->path || optind >= argc)
                break;
            o->path = argv[optind++];
            continue;
        }
        switch (c) {
        case 'i':
            if (o->invoke)
                return cli_usage_error("run", "--invoke given twice");
            o->invoke = optarg;
            break;
        case 'F':
            if (o->has_fuel)
                return cli_usage_error("run", "--fuel given twice");
            if (parse_fuel(optarg, &o->fuel) != 0)
                return cli_usage_error("run", "--fuel: \"%s\" is not a count",
                                       optarg);
            o->has_fuel = true;
            break;
        case 'd':
        case 'r':
        case 'D':
            if (*optarg == '\0' || strncmp(optarg, "::", 2) == 0)
                return cli_usage_error("run", "--%s: empty host directory",
                                       c == 'd'   ? "dir"
                                       : c == 'r' ? "dir-ro"
                                                  : "dir-sealed");
#if !MANTLE_ENABLE_TEE
            if (c == 'D')
                return cli_usage_error("run", "--dir-sealed: this mantle is "
                                              "built without the TEE layer");
#endif
            add_dir(o, optarg, c == 'r', c == 'D');
            break;
        case 'e':
            if (strchr(optarg, '=') == NULL || *optarg == '=')
                return cli_usage_error("run", "--env: \"%s\" is not KEY=VALUE",
                                       optarg);
            add_str(&o->envs, &o->nenvs, optarg);
            break;
        case 'E':
            o->env_inherit = true;
            break;
        case 'l':
#if !MANTLE_ENABLE_WASI_SOCKETS
            return cli_usage_error("run", "--listen: this mantle is built "
                                          "without WASI sockets");
#endif
            if (strrchr(optarg, ':') == NULL)
                return cli_usage_error("run", "--listen: \"%s\" is not "
                                              "ADDR:PORT", optarg);
            add_str(&o->listens, &o->nlistens, optarg);
            break;
        case 'm':
            if (o->max_pages)
                return cli_usage_error("run", "--max-memory given twice");
            if (cli_parse_size_pages(optarg, &o->max_pages) != 0)
                return cli_usage_error("run", "--max-memory: \"%s\" is not a "
                                              "size from 64K to 4G", optarg);
            break;
        case 't':
            if (o->timeout_ns)
                return cli_usage_error("run", "--timeout given twice");
            if (cli_parse_duration(optarg, &o->timeout_ns) != 0)
                return cli_usage_error("run", "--timeout: \"%s\" is not a "
                                              "duration (e.g. 500ms, 10s)",
                                       optarg);
            o->timeout_text = optarg;
            break;
        case 'T':
            if (strcmp(optarg, "interp") != 0 && strcmp(optarg, "auto") != 0 &&
                strcmp(optarg, "aot") != 0)
                return cli_usage_error("run", "--tier: \"%s\" is not interp, "
                                              "aot or auto", optarg);
#if !MANTLE_ENABLE_AOT
            if (strcmp(optarg, "aot") == 0)
                return cli_usage_error("run", "--tier=aot: this mantle was "
                                              "built without the AOT tier");
#endif
            o->tier = optarg;
            break;
#if MANTLE_ENABLE_TEE
        case 'X':
            if (o->tee)
                return cli_usage_error("run", "--tee given twice");
            o->tee = optarg;
            break;
        case 'S':
            o->state_dir = optarg;
            break;
        case 'L':
#if !MANTLE_ENABLE_ATTEST
            return cli_usage_error("run", "--listen-tls: this mantle is "
                                          "built without attestation");
#endif
            if (o->listen_tls)
                return cli_usage_error("run", "--listen-tls given twice");
            o->listen_tls = optarg;
            break;
        case 'j':
            o->stats_json = optarg;
            break;
        case 'C': {
            uint32_t pages;

            if (cli_parse_size_pages(optarg, &pages) != 0 || pages < 16)
                return cli_usage_error("run", "--sealed-cache: \"%s\" is not "
                                              "a size from 1M to 4G", optarg);
            cli_sealed_cache = (size_t)pages * 65536;
            break;
        }
        case 'B': o->broker = optarg; break;
        case 'A': o->broker_ca = optarg; break;
        case 'Q': o->broker_trustee = true; break;
        case 'K': {
            const char *eq = strchr(optarg, '=');
            int r;

            if (eq && strncmp(eq + 1, "kbs:///", 7) == 0) {
                o->kbs = xrealloc(o->kbs, (o->nkbs + 1) * sizeof *o->kbs);
                o->kbs[o->nkbs].name = strndup(optarg, (size_t)(eq - optarg));
                o->kbs[o->nkbs].resource = eq + 8;
                if (!o->kbs[o->nkbs++].name)
                    abort();
                break;
            }

            o->secrets = xrealloc(o->secrets,
                                  (o->nsecrets + 1) * sizeof *o->secrets);
            memset(&o->secrets[o->nsecrets], 0, sizeof *o->secrets);
            if ((r = cli_secret_load(optarg, &o->secrets[o->nsecrets])) != 0)
                return r;
            o->nsecrets++;
            break;
        }
#else
        case 'X':
        case 'S':
        case 'K':
        case 'B':
        case 'A':
        case 'Q':
        case 'L':
            return cli_usage_error("run", "--tee, --state-dir, --secret: this "
                                          "mantle is built without the TEE "
                                          "services");
#endif
        case ':':
            return cli_usage_error("run", "%s needs an argument",
                                   argv[optind - 1]);
        default:
            return cli_usage_error("run", "unknown option %s",
                                   argv[optind - 1]);
        }
    }
    if (o->path == NULL)
        return cli_usage_error("run", "missing FILE.wasm");
    o->args = argv + optind;
    o->nargs = argc - optind;
    return CLI_EXIT_OK;
}

/* ---- Grants ---------------------------------------------------------------- */

/* A listening TCP socket on ADDR:PORT ("[::1]:8080", "0.0.0.0:80",
 * ":8080" for every address); -1 after reporting. */
static int listen_on(const char *spec)
{
    const char *colon = strrchr(spec, ':');
    char host[256];
    size_t hl = (size_t)(colon - spec);
    struct addrinfo hints, *res = NULL, *ai;
    int fd = -1, rc, one = 1, err = 0;

    if (hl >= 2 && spec[0] == '[' && spec[hl - 1] == ']') {
        spec++;
        hl -= 2;
    }
    if (hl >= sizeof host) {
        fprintf(stderr, "mantle: run: --listen %s: address too long\n", spec);
        return -1;
    }
    memcpy(host, spec, hl);
    host[hl] = '\0';
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    rc = getaddrinfo(hl ? host : NULL, colon + 1, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "mantle: run: --listen %s: %s\n", spec,
                gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                    ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 128) == 0)
            break;
        err = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        fprintf(stderr, "mantle: run: --listen %s: %s\n", spec,
                strerror(err ? err : EADDRNOTAVAIL));
    return fd;
}

/* The guest's environment: the host's with --env-inherit, then each --env
 * (a later KEY replaces an earlier one). */
static const char **build_env(const struct run_opts *o, size_t *out_n)
{
    const char **v = NULL;
    size_t n = 0;

    if (o->env_inherit)
        for (char **e = environ; e && *e; e++)
            add_str(&v, &n, *e);
    for (size_t i = 0; i < o->nenvs; i++) {
        size_t kl = strcspn(o->envs[i], "=") + 1;
        size_t j;

        for (j = 0; j < n; j++)
            if (strncmp(v[j], o->envs[i], kl) == 0)
                break;
        if (j < n)
            v[j] = o->envs[i];
        else
            add_str(&v, &n, o->envs[i]);
    }
    *out_n = n;
    return v;
}

/* ---- The timeout --------------------------------------------------------------- */

/* A thread that interrupts the instance when --timeout expires. A guest
 * blocked in a host call (a read, a sleep) cannot see the interrupt, so
 * after a grace of 250 ms the process ends with the trap's status. */
struct timer {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done;
    uint64_t ns;
    mantle_instance *inst;
    const char *path, *text;
};

static struct timespec deadline_after(uint64_t ns)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    ns += (uint64_t)ts.tv_nsec;
    ts.tv_sec += (time_t)(ns / 1000000000u);
    ts.tv_nsec = (long)(ns % 1000000000u);
    return ts;
}

static bool wait_done(struct timer *t, uint64_t ns)
{
    struct timespec ts = deadline_after(ns);
    bool done;

    pthread_mutex_lock(&t->lock);
    while (!t->done &&
           pthread_cond_timedwait(&t->cond, &t->lock, &ts) != ETIMEDOUT)
        ;
    done = t->done;
    pthread_mutex_unlock(&t->lock);
    return done;
}

static void *timer_main(void *arg)
{
    struct timer *t = arg;

    if (wait_done(t, t->ns))
        return NULL;
    mantle_instance_interrupt(t->inst);
    if (wait_done(t, 250000000u))
        return NULL;
    fprintf(stderr, "%s: trap: interrupted: --timeout %s expired while the "
                    "guest was blocked in a host call\n", t->path, t->text);
    fflush(stdout);
    _exit(CLI_EXIT_TRAP);
}

static int timer_start(struct timer *t, const struct run_opts *o,
                       mantle_instance *inst)
{
    pthread_condattr_t ca;

    memset(t, 0, sizeof *t);
    t->ns = o->timeout_ns;
    t->inst = inst;
    t->path = o->path;
    t->text = o->timeout_text;
    pthread_mutex_init(&t->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&t->cond, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&t->thread, NULL, timer_main, t) != 0) {
        fprintf(stderr, "mantle: run: --timeout: cannot start a timer\n");
        return -1;
    }
    return 0;
}

static void timer_stop(struct timer *t)
{
    pthread_mutex_lock(&t->lock);
    t->done = true;
    pthread_cond_signal(&t->cond);
    pthread_mutex_unlock(&t->lock);
    pthread_join(t->thread, NULL);
    pthread_cond_destroy(&t->cond);
    pthread_mutex_destroy(&t->lock);
}

/* ---- Calling --------------------------------------------------------------------- */

/* "an i32", "a funcref", for messages. */
static const char *kind_article(mantle_valkind kind)
{
    switch (kind) {
    case MANTLE_I32: return "an i32";
    case MANTLE_I64: return "an i64";
    case MANTLE_F32: return "an f32";
    case MANTLE_F64: return "an f64";
    case MANTLE_V128: return "a v128 (not supported as an argument)";
    case MANTLE_FUNCREF: return "a funcref (only null)";
    case MANTLE_EXTERNREF: return "an externref (only null)";
    }
    return "a value";
}

/* Call `func` (with the command-line ARGs when invoked by name) and print
 * its results when invoked by name. */
static int invoke(const struct run_opts *o, mantle_instance *inst,
                  const char *name, mantle_func *func)
{
    mantle_module *module = mantle_instance_module(inst);
    mantle_functype type;
    mantle_val *args, *results;
    mantle_diag diag;
    struct timer timer;
    int rc = CLI_EXIT_OK, st;
    int nargs = o->invoke ? o->nargs : 0;

    mantle_func_type(func, &type);
    if ((size_t)nargs != type.nparams) {
        fprintf(stderr, "%s: invoke %s: takes %zu argument%s ", o->path, name,
                type.nparams, type.nparams == 1 ? "" : "s");
        cli_functype_print(stderr, &type);
        fprintf(stderr, ", got %d\n", nargs);
        return CLI_EXIT_USAGE;
    }
    args = xcalloc(type.nparams, sizeof *args);
    results = xcalloc(type.nresults, sizeof *results);
    for (size_t i = 0; i < type.nparams; i++) {
        if (cli_value_parse(o->args[i], type.params[i], &args[i]) != 0) {
            fprintf(stderr, "%s: invoke %s: argument %zu: \"%s\" is not %s\n",
                    o->path, name, i + 1, o->args[i],
                    kind_article(type.params[i]));
            rc = CLI_EXIT_USAGE;
            goto out;
        }
    }
    if (o->timeout_ns && timer_start(&timer, o, inst) != 0) {
        rc = CLI_EXIT_TRAP;
        goto out;
    }
    cli_diag_init(&diag);
    st = mantle_func_call(func, args, type.nparams, results, type.nresults,
                          &diag);
    if (o->timeout_ns)
        timer_stop(&timer);
    if (st == MANTLE_EEXIT)
        rc = diag.exit_code;
    else if (st != MANTLE_OK)
        rc = cli_report(o->path, module, st, &diag);
    else if (o->invoke)
        for (size_t i = 0; i < type.nresults; i++)
            cli_value_print(stdout, &results[i]);
out:
    free(args);
    free(results);
    return rc;
}

/* ---- --stats-json ------------------------------------------------------------------ */

/* What the run cost, for a supervisor (mantled) that cannot see inside:
 * written to FILE.tmp and renamed, so a reader finds the whole object or
 * none. Only integers and booleans, so printf is the whole encoder. Fuel is
 * known only with --fuel and once the instance exists. */
static void write_stats(const struct run_opts *o, const mantle_instance *inst,
                        int rc)
{
    struct rusage ru;
    char tmp[4096];
    FILE *f;
    bool ok;

    if (o->stats_json == NULL)
        return;
    errno = ENAMETOOLONG;
    if (snprintf(tmp, sizeof tmp, "%s.tmp", o->stats_json) >= (int)sizeof tmp)
        goto fail;
    if ((f = fopen(tmp, "w")) == NULL)
        goto fail;
    memset(&ru, 0, sizeof ru);
    getrusage(RUSAGE_SELF, &ru);
    fprintf(f, "{\"exit_status\": %d, \"max_rss_bytes\": %lld", rc,
            (long long)ru.ru_maxrss * 1024);
    if (o->has_fuel && inst != NULL) {
        uint64_t budget = o->fuel ? o->fuel : 1, left = mantle_instance_fuel(inst);

        fprintf(f, ", \"fuel_limit\": %llu, \"fuel_used\": %llu",
                (unsigned long long)budget,
                (unsigned long long)(left < budget ? budget - left : 0));
    }
    fprintf(f, "}\n");
    ok = !ferror(f);
    if (fclose(f) != 0 || !ok || rename(tmp, o->stats_json) != 0) {
        unlink(tmp);
        goto fail;
    }
    return;
fail:
    fprintf(stderr, "mantle: run: --stats-json %s: %s\n", o->stats_json,
            strerror(errno));
}

/* ---- The verb ----------------------------------------------------------------------- */

int cli_run(int argc, char **argv)
{
    struct run_opts o;
    mantle_config cfg;
    mantle_wasi_config wcfg;
    mantle_engine *engine = NULL;
    mantle_module *module = NULL;
    mantle_linker *linker = NULL;
    mantle_instance *inst = NULL;
    mantle_wasi *wasi = NULL;
#if MANTLE_ENABLE_TEE
    mantle_tee *tee = NULL;
    char *tls_cert = NULL, *tls_key = NULL;
    int tls_fd = -1;
    uint16_t guest_port = 0;
    bool tls_started = false;
#endif
    mantle_func *func;
    mantle_diag diag;
    const char **wargv = NULL, **envv = NULL;
    int *lfds = NULL;
    size_t nenv = 0, nl = 0;
    const char *name;
    int rc, st;

    if ((rc = parse_opts(argc, argv, &o)) != CLI_EXIT_OK) {
        free_opts(&o);
        return rc;
    }
    mantle_config_init(&cfg);
    if (o.max_pages)
        cfg.max_memory_pages = o.max_pages;
    /* The fuel budget covers the start function and the call together. */
    if (o.has_fuel)
        cfg.instance_fuel = o.fuel ? o.fuel : 1;
    /* aot: compile on first use into the cache. An artifact (from
     * `mantle compile`) runs natively whatever the tier; auto keeps a
     * .wasm in the interpreter. */
    if (o.tier && strcmp(o.tier, "aot") == 0)
        cfg.tier = MANTLE_TIER_AOT;
    if ((st = mantle_engine_new(&cfg, &engine)) != MANTLE_OK) {
        fprintf(stderr, "mantle: engine: %s\n", mantle_strerror(st));
        free_opts(&o);
        return cli_exit_code(st);
    }
    if ((rc = cli_load(engine, o.path, &module)) != CLI_EXIT_OK)
        goto out;

    /* WASI: argv is FILE then the ARGs (none with --invoke). */
    mantle_wasi_config_init(&wcfg);
    wargv = xcalloc((size_t)o.nargs + 1, sizeof *wargv);
    wargv[0] = o.path;
    wcfg.argc = 1;
    if (!o.invoke)
        for (int i = 0; i < o.nargs; i++)
            wargv[wcfg.argc++] = o.args[i];
    wcfg.argv = wargv;
    envv = build_env(&o, &nenv);
    wcfg.envp = envv;
    wcfg.envc = nenv;
    wcfg.preopens = o.dirs;
    wcfg.npreopens = o.ndirs;
    lfds = xcalloc(o.nlistens, sizeof *lfds);
    for (; nl < o.nlistens; nl++) {
        if ((lfds[nl] = listen_on(o.listens[nl])) < 0) {
            rc = CLI_EXIT_IO;
            goto out;
        }
    }
#if MANTLE_ENABLE_TEE && MANTLE_ENABLE_ATTEST
    /* --listen-tls: the TLS side for the proxy, a loopback listener for
     * the guest (after any --listen sockets). */
    if (o.listen_tls) {
        struct sockaddr_in sa;
        socklen_t sl = sizeof sa;

        lfds = xrealloc(lfds, (nl + 1) * sizeof *lfds);
        if ((tls_fd = listen_on(o.listen_tls)) < 0 ||
            (lfds[nl] = listen_on("127.0.0.1:0")) < 0 ||
            getsockname(lfds[nl], (struct sockaddr *)&sa, &sl) != 0) {
            rc = CLI_EXIT_IO;
            goto out;
        }
        guest_port = ntohs(sa.sin_port);
        nl++;
    }
#endif
    wcfg.listen_fds = lfds;
    wcfg.nlisten = nl;
    cli_diag_init(&diag);
    if ((st = mantle_wasi_new(&wcfg, &wasi, &diag)) != MANTLE_OK) {
        fprintf(stderr, "mantle: run: %s\n",
                diag.message[0] ? diag.message : mantle_strerror(st));
        rc = st == MANTLE_EIO ? CLI_EXIT_IO : cli_exit_code(st);
        goto out;
    }

    if ((st = mantle_linker_new(engine, &linker)) != MANTLE_OK ||
        (st = mantle_wasi_define(wasi, linker)) != MANTLE_OK) {
        fprintf(stderr, "%s: linker: %s\n", o.path, mantle_strerror(st));
        rc = cli_exit_code(st);
        goto out;
    }
#if MANTLE_ENABLE_TEE
#if MANTLE_ENABLE_ATTEST
    if (o.broker_trustee)
        cli_kbs_use_trustee();
#endif
    if ((rc = cli_tee_define(o.path, o.tee, o.state_dir, module, o.dirs,
                             o.ndirs, envv, nenv, o.listens, o.nlistens,
                             o.secrets, o.nsecrets, o.broker, o.broker_ca,
                             o.kbs, o.nkbs, o.listen_tls, &tls_cert,
                             &tls_key, linker, wasi, &tee)) != 0)
        goto out;
#if MANTLE_ENABLE_ATTEST
    if (o.listen_tls &&
        (rc = cli_ratls_start(o.listen_tls, tls_fd, guest_port, tls_cert,
                              tls_key)) != 0)
        goto out;
    tls_fd = -1;  /* the proxy's now */
    tls_started = o.listen_tls != NULL;
#else
    (void)guest_port;
    (void)tls_started;
#endif
#endif
    cli_diag_init(&diag);
    st = mantle_instance_new(linker, module, &inst, &diag);
    if (st == MANTLE_EEXIT) {
        inst = NULL;
        rc = diag.exit_code;
        goto out;
    }
    if (st != MANTLE_OK) {
        inst = NULL;
        rc = cli_report(o.path, module, st, &diag);
        goto out;
    }

    name = o.invoke ? o.invoke : "_start";
    if (mantle_instance_func(inst, name, &func) != MANTLE_OK) {
        if (o.invoke)
            fprintf(stderr, "%s: invoke: no exported function \"%s\"\n", o.path,
                    name);
        else if (o.nargs > 0)
            fprintf(stderr, "%s: run: no _start export; ARGs need --invoke "
                            "NAME\n", o.path);
        else
            fprintf(stderr, "%s: run: no _start export; use --invoke NAME\n",
                    o.path);
        rc = CLI_EXIT_USAGE;
        goto out;
    }
    rc = invoke(&o, inst, name, func);
out:
    write_stats(&o, inst, rc);
#if MANTLE_ENABLE_TEE && MANTLE_ENABLE_ATTEST
    if (tls_started)
        cli_ratls_drain();
#endif
    mantle_instance_free(inst);
    mantle_linker_free(linker);
#if MANTLE_ENABLE_TEE
    mantle_tee_free(tee);  /* after the instance and linker that use it */
    if (tls_fd >= 0)
        close(tls_fd);
    free(tls_cert);
    if (tls_key)
        memset(tls_key, 0, strlen(tls_key));
    free(tls_key);
#endif
    mantle_wasi_free(wasi);
    mantle_module_free(module);
    mantle_engine_free(engine);
    for (size_t i = 0; i < nl; i++)
        close(lfds[i]);
    free(lfds);
    free(wargv);
    free(envv);
    free_opts(&o);
    return rc;
}
