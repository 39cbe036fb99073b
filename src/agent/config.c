/* config.c - mantled's configuration: one declarative table.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Every setting is one row of `table`: its name, type, default, whether
 * SIGHUP may change it, and a line of help. The same row drives the
 * configuration file ("name = value" lines), the environment
 * (MANTLED_NAME) and the flags (--name=VALUE or --name VALUE), in that
 * order of precedence (flags win), and reload. Sizes take K, M, G
 * suffixes; durations ms, s, m (a bare number is milliseconds).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"

#define errf agent_fail

enum cfg_type { CFG_STR, CFG_SIZE, CFG_MS, CFG_INT };

struct cfg_row {
    const char *name;
    enum cfg_type type;
    size_t off;
    const char *def;
    bool reloadable;
    const char *help;
};

#define ROW(n, t, d, r, h) {#n, t, offsetof(struct agent_config, n), d, r, h}

static const struct cfg_row table[] = {
    ROW(listen, CFG_STR, "127.0.0.1:7443", false, "HOST:PORT of the HTTPS API"),
    ROW(state_dir, CFG_STR, "/var/lib/mantled", false,
        "SQLite database, modules, logs, volumes"),
    ROW(tls_cert, CFG_STR, "", true, "server certificate chain (PEM)"),
    ROW(tls_key, CFG_STR, "", true, "server private key (PEM)"),
    ROW(tls_attested, CFG_STR, "", true,
        "TEE backend (soft, tpm, tsm, auto) whose RA-TLS certificate the API "
        "serves instead of tls_cert/tls_key; its state is <state_dir>/tee"),
    ROW(client_ca, CFG_STR, "", true,
        "operator CA (PEM): clients may authenticate with a certificate "
        "it issued"),
    ROW(tokens_file, CFG_STR, "", true,
        "bearer tokens, one \"NAME TOKEN\" a line"),
    ROW(mantle_bin, CFG_STR, "", false,
        "the mantle program that runs workloads (default: next to mantled)"),
    ROW(cgroup_root, CFG_STR, "", false,
        "a delegated cgroup v2 directory for per-workload limits"),
    ROW(max_module_bytes, CFG_SIZE, "64M", false, "largest module upload"),
    ROW(max_json_bytes, CFG_SIZE, "64K", true, "largest JSON request body"),
    ROW(max_workloads, CFG_INT, "256", true, "most workloads on the node"),
    ROW(log_max_bytes, CFG_SIZE, "1M", true,
        "rotate a workload's stdout/stderr log beyond this"),
    ROW(tick_ms, CFG_MS, "100ms", false, "period of the supervision tick"),
    ROW(backoff_min_ms, CFG_MS, "200ms", true, "first restart delay"),
    ROW(backoff_max_ms, CFG_MS, "30s", true, "longest restart delay"),
    ROW(stable_ms, CFG_MS, "10s", true,
        "a run this long resets the restart delay"),
    ROW(stop_grace_ms, CFG_MS, "5s", true, "SIGTERM to SIGKILL for a stop"),
    ROW(drain_ms, CFG_MS, "10s", true,
        "on SIGTERM, longest wait for workloads to end"),
    ROW(lattice, CFG_STR, "", false,
        "NATS URLs (nats://HOST:PORT,...) of the fleet to join; \"\" = none"),
    ROW(lattice_ca, CFG_STR, "", false, "CA (PEM) of the NATS servers (TLS)"),
    ROW(lattice_cert, CFG_STR, "", false, "client certificate (PEM) for NATS"),
    ROW(lattice_key, CFG_STR, "", false, "its private key (PEM)"),
    ROW(lattice_creds, CFG_STR, "", false, "NATS credentials file (JWT, NKey)"),
    ROW(lattice_domain, CFG_STR, "", false,
        "JetStream domain of the hub's servers (needed behind a leaf node "
        "server); \"\" = none"),
    ROW(lattice_replicas, CFG_INT, "1", false,
        "JetStream replicas of the fleet's buckets when this node creates them"),
    ROW(node_id, CFG_STR, "", false, "this node's id in the fleet (default: "
                                     "the host name)"),
    ROW(node_labels, CFG_STR, "", true,
        "labels placement matches, \"tier=edge,site=lab\""),
    ROW(node_tee, CFG_STR, "", false,
        "TEE backend (soft, tpm, tsm) whose evidence proves this node's TEE "
        "kind; \"\" = none"),
    ROW(tee_roots, CFG_STR, "", false,
        "directory of trust anchors (one a file) for nodes' TEE evidence"),
    ROW(heartbeat_ms, CFG_MS, "2s", false, "facts heartbeat and sync period"),
    ROW(dead_after_ms, CFG_MS, "10s", false,
        "a node silent this long loses its replicas"),
    ROW(lease_ms, CFG_MS, "6s", false, "the reconciler's lease"),
    ROW(reconnect_max_ms, CFG_MS, "5s", false,
        "longest wait between NATS reconnect attempts"),
    ROW(invoke_timeout_ms, CFG_MS, "30s", true, "longest run of an invocation"),
    ROW(invoke_max_bytes, CFG_SIZE, "1M", true, "largest invocation answer"),
    ROW(invoke_concurrency, CFG_INT, "8", true,
        "invocations a replica runs at once (more wait in a queue)"),
    ROW(secret_retry_ms, CFG_MS, "60s", true,
        "a deployment whose secrets the broker refused here is not taken "
        "again for this long"),
};
#define NROWS (sizeof table / sizeof table[0])

static const struct cfg_row *row_find(const char *name, size_t len)
{
    for (size_t i = 0; i < NROWS; i++)
        if (strlen(table[i].name) == len &&
            strncmp(table[i].name, name, len) == 0)
            return &table[i];
    return NULL;
}

/* "64K" -> 65536; "10s" -> 10000 (ms). -1 when malformed. */
static int64_t parse_num(const char *s, enum cfg_type type)
{
    char *end;
    unsigned long long v;
    uint64_t mul = 1;

    if (!isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0)
        return -1;
    if (type == CFG_SIZE) {
        if (*end == 'K' || *end == 'k')
            mul = 1024, end++;
        else if (*end == 'M' || *end == 'm')
            mul = 1024 * 1024, end++;
        else if (*end == 'G' || *end == 'g')
            mul = 1024ull * 1024 * 1024, end++;
    } else if (type == CFG_MS) {
        if (strcmp(end, "ms") == 0)
            end += 2;
        else if (*end == 's')
            mul = 1000, end++;
        else if (*end == 'm')
            mul = 60000, end++;
    }
    if (*end != '\0' || v > (uint64_t)INT64_MAX / mul)
        return -1;
    return (int64_t)(v * mul);
}

static int row_set(struct agent_config *cfg, const struct cfg_row *r,
                   const char *value, const char *where, char *err,
                   size_t errlen)
{
    char *base = (char *)cfg;

    if (r->type == CFG_STR) {
        char **slot = (char **)(base + r->off);
        char *dup = strdup(value);

        if (dup == NULL) {
            errf(err, errlen, "%s: %s: out of memory", where, r->name);
            return -1;
        }
        free(*slot);
        *slot = dup;
        return 0;
    }
    int64_t v = parse_num(value, r->type);
    if (v < 0) {
        errf(err, errlen, "%s: %s: \"%s\" is not a %s", where, r->name, value,
             r->type == CFG_SIZE ? "size (64K, 1M)"
             : r->type == CFG_MS ? "duration (100ms, 5s, 2m)"
                                 : "non-negative integer");
        return -1;
    }
    *(int64_t *)(base + r->off) = v;
    return 0;
}

static char *trim(char *s)
{
    char *e;

    while (isspace((unsigned char)*s))
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static int load_file(struct agent_config *cfg, const char *path, char *err,
                     size_t errlen)
{
    FILE *f = fopen(path, "r");
    char line[1024], where[600];
    int lineno = 0, rc = 0;

    if (f == NULL) {
        errf(err, errlen, "%s: open: %s", path, strerror(errno));
        return -1;
    }
    while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
        char *s, *eq, *key;
        const struct cfg_row *r;

        lineno++;
        snprintf(where, sizeof where, "%s:%d", path, lineno);
        if (strchr(line, '\n') == NULL && !feof(f)) {
            errf(err, errlen, "%s: line longer than %zu bytes", where,
                 sizeof line - 2);
            rc = -1;
            break;
        }
        s = trim(line);
        if (*s == '\0' || *s == '#')
            continue;
        if ((eq = strchr(s, '=')) == NULL) {
            errf(err, errlen, "%s: expected \"name = value\"", where);
            rc = -1;
            break;
        }
        *eq = '\0';
        key = trim(s);
        if ((r = row_find(key, strlen(key))) == NULL) {
            errf(err, errlen, "%s: unknown setting \"%s\"", where, key);
            rc = -1;
            break;
        }
        rc = row_set(cfg, r, trim(eq + 1), where, err, errlen);
    }
    fclose(f);
    return rc;
}

/* The flag forms: --name=VALUE, --name VALUE; '-' and '_' both allowed. */
static int load_flags(struct agent_config *cfg, int argc, char **argv,
                      const char **out_config, char *err, size_t errlen)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val;
        char key[64];
        size_t n;
        const struct cfg_row *r;

        if (strncmp(a, "--", 2) != 0) {
            errf(err, errlen, "argument %d: \"%s\": expected --name=value", i,
                 a);
            return -1;
        }
        a += 2;
        n = strcspn(a, "=");
        if (n >= sizeof key) {
            errf(err, errlen, "--%.20s...: unknown option", a);
            return -1;
        }
        for (size_t k = 0; k < n; k++)
            key[k] = a[k] == '-' ? '_' : a[k];
        key[n] = '\0';
        if (a[n] == '=')
            val = a + n + 1;
        else if (i + 1 < argc)
            val = argv[++i];
        else {
            errf(err, errlen, "--%s: needs a value", key);
            return -1;
        }
        if (strcmp(key, "config") == 0) {
            if (out_config)
                *out_config = val;
            continue;
        }
        if ((r = row_find(key, n)) == NULL) {
            errf(err, errlen, "--%s: unknown option", key);
            return -1;
        }
        if (out_config == NULL && row_set(cfg, r, val, "flag", err, errlen))
            return -1;
    }
    return 0;
}

static int load_env(struct agent_config *cfg, char *err, size_t errlen)
{
    char var[80];

    for (size_t i = 0; i < NROWS; i++) {
        const char *v;
        size_t k;

        snprintf(var, sizeof var, "MANTLED_%s", table[i].name);
        for (k = 8; var[k]; k++)
            var[k] = (char)toupper((unsigned char)var[k]);
        if ((v = getenv(var)) != NULL &&
            row_set(cfg, &table[i], v, var, err, errlen))
            return -1;
    }
    return 0;
}

/* The `mantle` binary beside /proc/self/exe, when not configured. */
static int default_mantle_bin(struct agent_config *cfg, char *err,
                              size_t errlen)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 16);
    char *slash;

    if (n <= 0) {
        errf(err, errlen, "mantle_bin: /proc/self/exe: %s; set mantle_bin",
             strerror(errno));
        return -1;
    }
    self[n] = '\0';
    slash = strrchr(self, '/');
    strcpy(slash ? slash + 1 : self, "mantle");
    free(cfg->mantle_bin);
    if ((cfg->mantle_bin = strdup(self)) == NULL)
        return -1;
    return 0;
}

int cfg_load(int argc, char **argv, struct agent_config *out, char *err,
             size_t errlen)
{
    const char *file = getenv("MANTLED_CONFIG");

    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < NROWS; i++)
        if (row_set(out, &table[i], table[i].def, "default", err, errlen))
            goto fail;
    /* Flags twice: first only to find --config, then for real. */
    if (load_flags(out, argc, argv, &file, err, errlen))
        goto fail;
    if (file != NULL && *file && load_file(out, file, err, errlen))
        goto fail;
    if (load_env(out, err, errlen))
        goto fail;
    if (load_flags(out, argc, argv, NULL, err, errlen))
        goto fail;
    if (*out->mantle_bin == '\0' && default_mantle_bin(out, err, errlen))
        goto fail;
    if (*out->tls_attested != '\0' &&
        (*out->tls_cert != '\0' || *out->tls_key != '\0')) {
        errf(err, errlen, "tls_attested replaces tls_cert and tls_key: set "
                          "one or the other");
        goto fail;
    }
    if (*out->tls_attested == '\0' &&
        (*out->tls_cert == '\0' || *out->tls_key == '\0')) {
        errf(err, errlen, "tls_cert and tls_key (or tls_attested) are "
                          "required (the API is HTTPS only)");
        goto fail;
    }
    if (*out->client_ca == '\0' && *out->tokens_file == '\0') {
        errf(err, errlen, "no way to authenticate clients: set client_ca, "
                          "tokens_file or both");
        goto fail;
    }
    if (out->tick_ms < 10 || out->backoff_min_ms < 1 ||
        out->backoff_max_ms < out->backoff_min_ms) {
        errf(err, errlen, "tick_ms >= 10ms and 1ms <= backoff_min_ms <= "
                          "backoff_max_ms are required");
        goto fail;
    }
    if (*out->lattice != '\0' &&
        (out->heartbeat_ms < 50 || out->dead_after_ms < 2 * out->heartbeat_ms ||
         out->lease_ms < 2 * out->heartbeat_ms || out->lattice_replicas < 1 ||
         out->lattice_replicas > 5 || out->invoke_concurrency < 1)) {
        errf(err, errlen, "lattice: heartbeat_ms >= 50ms, dead_after_ms and "
                          "lease_ms >= 2 heartbeats (a node or holder must "
                          "miss two before it is given up), lattice_replicas "
                          "1 to 5 and invoke_concurrency >= 1 are required");
        goto fail;
    }
    return 0;
fail:
    cfg_free(out);
    return -1;
}

void cfg_free(struct agent_config *cfg)
{
    for (size_t i = 0; i < NROWS; i++)
        if (table[i].type == CFG_STR) {
            char **slot = (char **)((char *)cfg + table[i].off);
            free(*slot);
            *slot = NULL;
        }
}

void cfg_apply_reload(struct agent_config *cur, struct agent_config *next,
                      char *note, size_t notelen)
{
    size_t used = 0;

    note[0] = '\0';
    for (size_t i = 0; i < NROWS; i++) {
        const struct cfg_row *r = &table[i];
        char *a = (char *)cur + r->off, *b = (char *)next + r->off;
        bool same = r->type == CFG_STR
                        ? strcmp(*(char **)a, *(char **)b) == 0
                        : *(int64_t *)a == *(int64_t *)b;

        if (same)
            continue;
        if (!r->reloadable) {
            if (used < notelen)
                used += (size_t)snprintf(note + used, notelen - used, "%s%s",
                                         used ? ", " : "", r->name);
            continue;
        }
        if (r->type == CFG_STR) {
            char *t = *(char **)a;
            *(char **)a = *(char **)b;
            *(char **)b = t; /* freed with next */
        } else {
            *(int64_t *)a = *(int64_t *)b;
        }
    }
}

void cfg_usage(FILE *f)
{
    fputs("usage: mantled [--config FILE] [--NAME=VALUE]...\n\n"
          "Settings (file \"NAME = VALUE\", environment MANTLED_NAME, flag "
          "--NAME; flags win;\n* = reloaded on SIGHUP):\n",
          f);
    for (size_t i = 0; i < NROWS; i++)
        fprintf(f, "  %-18s %c %-16s %s\n", table[i].name,
                table[i].reloadable ? '*' : ' ',
                *table[i].def ? table[i].def : "\"\"", table[i].help);
}

json_t *cfg_to_json(const struct agent_config *cfg)
{
    json_t *o = json_object();

    for (size_t i = 0; i < NROWS; i++) {
        const char *p = (const char *)cfg + table[i].off;

        if (table[i].type == CFG_STR)
            json_object_set_new(o, table[i].name,
                                json_string(*(char *const *)p));
        else
            json_object_set_new(o, table[i].name,
                                json_integer(*(const int64_t *)p));
    }
    return o;
}
