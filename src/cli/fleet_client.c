/* fleet_client.c - `mantle deploy` and `mantle invoke`: the fleet from any
 * machine that reaches its NATS servers (docs/fleet.md).
 * SPDX-License-Identifier: Apache-2.0
 *
 * deploy FILE       parse the manifest (fleet_manifest_parse: the same
 *                   strict checks every node applies), upload the module
 *                   when the manifest names a file (object store, by its
 *                   digest), put the canonical manifest in mantle-deploy
 * deploy status|rm|ls
 * invoke NAME       NATS request to mantle.invoke.NAME: a queue group of
 *                   the deployment's replicas; payload = the guest's stdin,
 *                   answer = its stdout
 * The lattice comes from --lattice or MANTLE_LATTICE; TLS and credentials
 * from --lattice-ca/--lattice-cert/--lattice-key/--lattice-creds or the
 * matching MANTLE_LATTICE_* variables.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <libgen.h>
#include <pthread.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "fleet.h"
#include "lattice.h"

struct fconn {
    const char *url, *ca, *cert, *key, *creds, *domain;
    int replicas; /* of buckets this client creates */
    int64_t timeout_ms;
    struct lattice *lt;
};

enum { OPT_LATTICE = 1000, OPT_CA, OPT_CERT, OPT_KEY, OPT_CREDS, OPT_DOMAIN,
       OPT_REPLICAS, OPT_DATA,
       OPT_FILE, OPT_TIMEOUT, OPT_VERBOSE, OPT_REPEAT, OPT_CONCURRENCY };

#define FCONN_OPTIONS                                                        \
    {"lattice", required_argument, NULL, OPT_LATTICE},                      \
        {"lattice-ca", required_argument, NULL, OPT_CA},                    \
        {"lattice-cert", required_argument, NULL, OPT_CERT},                \
        {"lattice-key", required_argument, NULL, OPT_KEY},                  \
        {"lattice-creds", required_argument, NULL, OPT_CREDS},              \
        {"lattice-domain", required_argument, NULL, OPT_DOMAIN},            \
        {"lattice-replicas", required_argument, NULL, OPT_REPLICAS},        \
        {"timeout", required_argument, NULL, OPT_TIMEOUT}

static void fconn_init(struct fconn *c)
{
    memset(c, 0, sizeof *c);
    c->url = getenv("MANTLE_LATTICE");
    c->ca = getenv("MANTLE_LATTICE_CA");
    c->cert = getenv("MANTLE_LATTICE_CERT");
    c->key = getenv("MANTLE_LATTICE_KEY");
    c->creds = getenv("MANTLE_LATTICE_CREDS");
    c->domain = getenv("MANTLE_LATTICE_DOMAIN");
    c->replicas = getenv("MANTLE_LATTICE_REPLICAS")
                      ? atoi(getenv("MANTLE_LATTICE_REPLICAS"))
                      : 1;
    c->timeout_ms = 5000;
}

/* 1 when opt was a connection option (then it is taken), else 0. */
static int fconn_opt(struct fconn *c, int opt, const char *arg)
{
    switch (opt) {
    case OPT_LATTICE: c->url = arg; return 1;
    case OPT_CA: c->ca = arg; return 1;
    case OPT_CERT: c->cert = arg; return 1;
    case OPT_KEY: c->key = arg; return 1;
    case OPT_CREDS: c->creds = arg; return 1;
    case OPT_DOMAIN: c->domain = arg; return 1;
    case OPT_REPLICAS: c->replicas = atoi(arg); return 1;
    case OPT_TIMEOUT: {
        uint64_t ns;

        if (cli_parse_duration(arg, &ns) != 0 || ns < 1000000)
            return -1;
        c->timeout_ms = (int64_t)(ns / 1000000);
        return 1;
    }
    default: return 0;
    }
}

static int fconn_open(struct fconn *c, const char *verb, bool buckets)
{
    char err[1024];
    struct lattice_opts o;

    if (c->url == NULL || *c->url == '\0')
        return cli_usage_error(verb, "no lattice: give --lattice nats://HOST:"
                               "PORT or set MANTLE_LATTICE");
    memset(&o, 0, sizeof o);
    o.urls = c->url;
    o.ca = c->ca;
    o.cert = c->cert;
    o.key = c->key;
    o.creds = c->creds;
    o.domain = c->domain;
    if (c->replicas < 1 || c->replicas > 5)
        return cli_usage_error(verb, "--lattice-replicas: 1 to 5, please");
    o.replicas = c->replicas;
    o.name = "mantle";
    o.timeout_ms = c->timeout_ms;
    if (lattice_open(&o, &c->lt, err, sizeof err) != 0 ||
        (buckets && lattice_buckets(c->lt, err, sizeof err) != 0)) {
        fprintf(stderr, "mantle: %s: %s\n", verb, err);
        lattice_close(c->lt);
        c->lt = NULL;
        return CLI_EXIT_TRAP;
    }
    return CLI_EXIT_OK;
}

/* ---- deploy FILE ---------------------------------------------------------- */

static int deploy_put(struct fconn *c, const char *file)
{
    struct fleet_deploy d;
    char err[1024], *json = NULL, path[4096];
    cli_file text = {0}, mod = {0};
    int rc = CLI_EXIT_TRAP;
    natsStatus s;

    if ((rc = cli_read_file("deploy", file, &text)) != CLI_EXIT_OK)
        return rc;
    rc = fleet_manifest_parse((const char *)text.data, text.len, file, &d,
                              err, sizeof err);
    free(text.data);
    free(text.path);
    if (rc != MANTLE_OK) {
        fprintf(stderr, "mantle: deploy: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    if ((rc = fconn_open(c, "deploy", true)) != CLI_EXIT_OK)
        goto out;
    rc = CLI_EXIT_TRAP;
    if (d.module_path) {
        char digest[FLEET_DIGEST_LEN + 1], *dir = strdup(file);
        bool existed;

        /* A relative path is relative to the manifest. */
        if (d.module_path[0] == '/' || dir == NULL)
            snprintf(path, sizeof path, "%s", d.module_path);
        else
            snprintf(path, sizeof path, "%s/%s", dirname(dir), d.module_path);
        free(dir);
        if ((rc = cli_read_file("deploy", path, &mod)) != CLI_EXIT_OK)
            goto out;
        rc = CLI_EXIT_TRAP;
        if (fleet_digest(mod.data, mod.len, digest) != 0)
            goto out;
        if (d.digest[0] && strcmp(d.digest, digest) != 0) {
            fprintf(stderr, "mantle: deploy: %s: module.digest says %s but %s "
                            "hashes to %s\n", file, d.digest, path, digest);
            rc = CLI_EXIT_USAGE;
            goto out;
        }
        if (lattice_obj_put(c->lt, digest, mod.data, mod.len, &existed, err,
                            sizeof err) != 0) {
            fprintf(stderr, "mantle: deploy: upload %s: %s\n", path, err);
            goto out;
        }
        printf("module %s: %s (%zu bytes)\n", digest,
               existed ? "already stored" : "uploaded", mod.len);
        memcpy(d.digest, digest, sizeof d.digest);
        free(d.module_path); /* nodes know the module by its digest only */
        d.module_path = NULL;
    } else {
        uint8_t *b = NULL;
        size_t n;
        char got[FLEET_DIGEST_LEN + 1] = "";
        int r = lattice_obj_get(c->lt, d.digest, 256u << 20, &b, &n, err,
                                sizeof err);

        if (r == 0 && (fleet_digest(b, n, got) != 0 || strcmp(got, d.digest))) {
            snprintf(err, sizeof err, "the object store holds bytes hashing "
                                      "to %s under that name; nodes would "
                                      "refuse them", got);
            r = -1;
        }
        free(b);
        if (r != 0) {
            fprintf(stderr, "mantle: deploy: %s: module %s: %s\n", file,
                    d.digest, r == 1 ? "not in the fleet's object store "
                                       "(give module.path to upload it)"
                                     : err);
            goto out;
        }
    }
    if ((json = fleet_deploy_to_json(&d)) == NULL)
        goto out;
    if ((s = kvStore_PutString(NULL, c->lt->deploy, d.name, json)) != NATS_OK) {
        lattice_fail(err, sizeof err, s, "mantle-deploy");
        fprintf(stderr, "mantle: deploy: %s: %s\n", d.name, err);
        goto out;
    }
    printf("deployment %s: %u replica%s requested; see mantle deploy status "
           "%s\n", d.name, d.replicas, d.replicas == 1 ? "" : "s", d.name);
    rc = CLI_EXIT_OK;
out:
    free(json);
    free(mod.data);
    free(mod.path);
    fleet_deploy_free(&d);
    return rc;
}

/* ---- deploy status NAME ---------------------------------------------------- */

/* Which node places replicas now, from the lease itself (operators and the
 * e2e test ask; node logs can lag behind a takeover). */
static void print_lease(struct fconn *c)
{
    char *v = NULL, err[256];
    size_t len;
    json_t *j;
    struct timespec ts;

    if (lattice_kv_get(c->lt->lease, "reconciler", &v, &len, NULL, NULL, err,
                       sizeof err) != 0) {
        printf("  reconciler: none holds the lease\n");
        free(v);
        return;
    }
    clock_gettime(CLOCK_REALTIME, &ts);
    if ((j = json_loadb(v, len, 0, NULL)) != NULL &&
        json_is_string(json_object_get(j, "holder")) &&
        json_is_integer(json_object_get(j, "expires_ms"))) {
        long long left = json_integer_value(json_object_get(j, "expires_ms")) -
                         ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);

        printf("  reconciler: %s (lease %s %lld ms)\n",
               json_string_value(json_object_get(j, "holder")),
               left >= 0 ? "valid for" : "expired", left >= 0 ? left : -left);
    } else {
        printf("  reconciler: lease record unreadable\n");
    }
    json_decref(j);
    free(v);
}

/* Replicas nodes refused to start (their secrets were refused: node
 * facts' "refused", docs/fleet.md), so the user sees the broker's
 * reason and not only where the replica went instead. */
static void print_refusals(struct fconn *c, const char *name)
{
    char **keys = NULL, err[256];
    size_t nk = 0;

    if (lattice_kv_keys(c->lt->nodes, &keys, &nk, err, sizeof err) != 0)
        return;
    for (size_t k = 0; k < nk; k++) {
        char *v = NULL;
        size_t len;
        struct fleet_node n;

        if (lattice_kv_get(c->lt->nodes, keys[k], &v, &len, NULL, NULL, err,
                           sizeof err) != 0) {
            free(v);
            continue;
        }
        if (fleet_node_from_json(v, len, &n, err, sizeof err) == MANTLE_OK) {
            for (size_t i = 0; i < n.n_refused; i++)
                if (!strcmp(n.refused[i].deploy, name))
                    printf("  replica %u on %s: %s (refused there until the "
                           "node withdraws it)\n", n.refused[i].replica,
                           n.id, n.refused[i].why);
            fleet_node_free(&n);
        }
        free(v);
    }
    lattice_keys_free(keys, nk);
}

static int deploy_status(struct fconn *c, const char *name)
{
    char *man = NULL, *as = NULL, err[512];
    struct fleet_assign *a = NULL;
    size_t na = 0, alen;
    int r, rc = CLI_EXIT_TRAP;

    if ((rc = fconn_open(c, "deploy status", true)) != CLI_EXIT_OK)
        return rc;
    rc = CLI_EXIT_TRAP;
    r = lattice_kv_get(c->lt->deploy, name, &man, NULL, NULL, NULL, err,
                       sizeof err);
    if (r != 0) {
        fprintf(stderr, "mantle: deploy status: %s: %s\n", name,
                r == 1 ? "no such deployment" : err);
        goto out;
    }
    r = lattice_kv_get(c->lt->assign, name, &as, &alen, NULL, NULL, err,
                       sizeof err);
    if (r < 0) {
        fprintf(stderr, "mantle: deploy status: %s: %s\n", name, err);
        goto out;
    }
    printf("deployment %s\n", name);
    if (r == 1) {
        printf("  not placed yet: no reconciler has run since it was "
               "deployed (is any mantled node joined?)\n");
        rc = CLI_EXIT_OK;
        goto out;
    }
    if (fleet_assigns_from_json(as, alen, &a, &na, err, sizeof err) != 0) {
        fprintf(stderr, "mantle: deploy status: %s: %s\n", name, err);
        goto out;
    }
    /* why says "placed on N: ...", "kept on N: ..." or "pending: ...". */
    for (size_t i = 0; i < na; i++) {
        const char *why = a[i].why ? a[i].why : "";

        if (a[i].node == NULL && strncmp(why, "pending", 7) == 0)
            printf("  replica %u: %s\n", a[i].replica, why);
        else
            printf("  replica %u: %s: %s\n", a[i].replica,
                   a[i].node ? a[i].node : "pending", why);
    }
    if (na == 0)
        printf("  0 replicas requested\n");
    print_refusals(c, name);
    print_lease(c);
    rc = CLI_EXIT_OK;
out:
    fleet_assign_free(a, na);
    free(man);
    free(as);
    return rc;
}

static int deploy_rm(struct fconn *c, const char *name)
{
    char *man = NULL, err[512];
    int r, rc;

    if ((rc = fconn_open(c, "deploy rm", true)) != CLI_EXIT_OK)
        return rc;
    r = lattice_kv_get(c->lt->deploy, name, &man, NULL, NULL, NULL, err,
                       sizeof err);
    free(man);
    if (r != 0) {
        fprintf(stderr, "mantle: deploy rm: %s: %s\n", name,
                r == 1 ? "no such deployment" : err);
        return CLI_EXIT_TRAP;
    }
    natsStatus s = kvStore_Delete(c->lt->deploy, name);
    if (s != NATS_OK) {
        lattice_fail(err, sizeof err, s, name);
        fprintf(stderr, "mantle: deploy rm: %s\n", err);
        return CLI_EXIT_TRAP;
    }
    printf("deployment %s removed; its replicas stop at the next "
           "reconciliation\n", name);
    return CLI_EXIT_OK;
}

static int deploy_ls(struct fconn *c)
{
    char **keys = NULL, err[512];
    size_t nk = 0;
    int rc;

    if ((rc = fconn_open(c, "deploy ls", true)) != CLI_EXIT_OK)
        return rc;
    if (lattice_kv_keys(c->lt->deploy, &keys, &nk, err, sizeof err) != 0) {
        fprintf(stderr, "mantle: deploy ls: %s\n", err);
        return CLI_EXIT_TRAP;
    }
    for (size_t i = 0; i < nk; i++) {
        char *as = NULL;
        size_t alen, na = 0, placed = 0;
        struct fleet_assign *a = NULL;

        if (lattice_kv_get(c->lt->assign, keys[i], &as, &alen, NULL, NULL,
                           err, sizeof err) == 0 &&
            fleet_assigns_from_json(as, alen, &a, &na, err, sizeof err) == 0)
            for (size_t j = 0; j < na; j++)
                placed += a[j].node != NULL;
        printf("%s\t%zu/%zu placed\n", keys[i], placed, na);
        fleet_assign_free(a, na);
        free(as);
    }
    lattice_keys_free(keys, nk);
    return CLI_EXIT_OK;
}

int cli_deploy(int argc, char **argv)
{
    static const struct option opts[] = {FCONN_OPTIONS, {NULL, 0, NULL, 0}};
    struct fconn c;
    int opt, rc, r;
    const char *sub;

    fconn_init(&c);
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1)
        if ((r = fconn_opt(&c, opt, optarg)) != 1)
            return cli_usage_error("deploy", r < 0 ? "bad --timeout" :
                                   "unknown option %s", argv[optind - 1]);
    argc -= optind;
    argv += optind;
    if (argc < 1)
        return cli_usage_error("deploy", "expected FILE, status NAME, rm "
                                         "NAME or ls");
    sub = argv[0];
    if (strcmp(sub, "status") == 0 && argc == 2)
        rc = deploy_status(&c, argv[1]);
    else if (strcmp(sub, "rm") == 0 && argc == 2)
        rc = deploy_rm(&c, argv[1]);
    else if (strcmp(sub, "ls") == 0 && argc == 1)
        rc = deploy_ls(&c);
    else if (argc == 1 && strcmp(sub, "status") && strcmp(sub, "rm") &&
             strcmp(sub, "ls"))
        rc = deploy_put(&c, sub);
    else
        return cli_usage_error("deploy", "expected FILE, status NAME, rm "
                                         "NAME or ls");
    lattice_close(c.lt);
    return rc;
}

/* ---- invoke NAME ------------------------------------------------------------- */

/* --repeat N --concurrency C: a bounded load test over one connection;
 * C threads share N requests and every latency is kept for percentiles. */
struct load {
    natsConnection *nc;
    const char *subj;
    const void *body;
    int blen;
    int64_t timeout_ms;
    pthread_mutex_t mu;
    long next, n, failed;
    double *lat_ms;
};

static double mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void *load_worker(void *arg)
{
    struct load *l = arg;

    for (;;) {
        natsMsg *r = NULL;
        const char *v;
        long i;
        double t0;
        bool ok;

        pthread_mutex_lock(&l->mu);
        i = l->next < l->n ? l->next++ : -1;
        pthread_mutex_unlock(&l->mu);
        if (i < 0)
            return NULL;
        t0 = mono_ms();
        ok = natsConnection_Request(&r, l->nc, l->subj, l->body, l->blen,
                                    l->timeout_ms) == NATS_OK &&
             natsMsgHeader_Get(r, "Mantle-Error", &v) != NATS_OK;
        l->lat_ms[i] = mono_ms() - t0;
        natsMsg_Destroy(r);
        if (!ok) {
            pthread_mutex_lock(&l->mu);
            l->failed++;
            pthread_mutex_unlock(&l->mu);
        }
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static int load_run(struct load *l, long conc)
{
    pthread_t th[64];
    long started = 0;
    double t0 = mono_ms(), secs;

    if ((l->lat_ms = calloc((size_t)l->n, sizeof *l->lat_ms)) == NULL)
        return CLI_EXIT_TRAP;
    pthread_mutex_init(&l->mu, NULL);
    for (long i = 0; i < conc; i++)
        if (pthread_create(&th[i], NULL, load_worker, l) == 0)
            started++;
    for (long i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    secs = (mono_ms() - t0) / 1e3;
    qsort(l->lat_ms, (size_t)l->n, sizeof *l->lat_ms, cmp_double);
    fprintf(stderr, "%ld requests, %ld failed, concurrency %ld: %.1f req/s, "
                    "latency p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
            l->n, l->failed, conc, (double)l->n / secs,
            l->lat_ms[l->n / 2], l->lat_ms[(l->n * 99) / 100],
            l->lat_ms[l->n - 1]);
    free(l->lat_ms);
    pthread_mutex_destroy(&l->mu);
    return l->failed ? CLI_EXIT_TRAP : CLI_EXIT_OK;
}

int cli_invoke(int argc, char **argv)
{
    static const struct option opts[] = {
        FCONN_OPTIONS,
        {"data", required_argument, NULL, OPT_DATA},
        {"file", required_argument, NULL, OPT_FILE},
        {"verbose", no_argument, NULL, OPT_VERBOSE},
        {"repeat", required_argument, NULL, OPT_REPEAT},
        {"concurrency", required_argument, NULL, OPT_CONCURRENCY},
        {NULL, 0, NULL, 0}};
    long repeat = 0, conc = 1;
    struct fconn c;
    const char *data = NULL, *file = NULL, *v;
    bool verbose = false;
    cli_file in = {0};
    uint8_t *body = NULL;
    size_t blen = 0;
    char subj[160], err[512];
    natsMsg *reply = NULL;
    natsStatus s;
    int opt, rc, r;

    fconn_init(&c);
    c.timeout_ms = 30000;
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
        if (opt == OPT_DATA)
            data = optarg;
        else if (opt == OPT_FILE)
            file = optarg;
        else if (opt == OPT_VERBOSE || opt == 'v')
            verbose = true;
        else if (opt == OPT_REPEAT || opt == OPT_CONCURRENCY) {
            char *end;
            long x = strtol(optarg, &end, 10);

            if (*end || x < 1 || x > (opt == OPT_REPEAT ? 1000000 : 64))
                return cli_usage_error("invoke", "--%s: 1 to %d, please",
                                       opt == OPT_REPEAT ? "repeat"
                                                         : "concurrency",
                                       opt == OPT_REPEAT ? 1000000 : 64);
            *(opt == OPT_REPEAT ? &repeat : &conc) = x;
        }
        else if ((r = fconn_opt(&c, opt, optarg)) != 1)
            return cli_usage_error("invoke", r < 0 ? "bad --timeout" :
                                   "unknown option %s", argv[optind - 1]);
    }
    if (optind != argc - 1)
        return cli_usage_error("invoke", "expected one deployment NAME");
    if (data && file)
        return cli_usage_error("invoke", "--data and --file conflict");
    if (file) {
        if ((rc = cli_read_file("invoke", file, &in)) != CLI_EXIT_OK)
            return rc;
        free(in.path);
        body = in.data;
        blen = in.len;
    }
    snprintf(subj, sizeof subj, LATTICE_INVOKE_PREFIX "%s", argv[optind]);
    if ((rc = fconn_open(&c, "invoke", false)) != CLI_EXIT_OK) {
        free(body);
        return rc;
    }
    if (repeat > 0) {
        struct load l = {.nc = c.lt->nc, .subj = subj,
                         .body = body ? (const void *)body : data,
                         .blen = body ? (int)blen : data ? (int)strlen(data) : 0,
                         .timeout_ms = c.timeout_ms, .n = repeat};

        rc = load_run(&l, conc);
        free(body);
        lattice_close(c.lt);
        return rc;
    }
    s = natsConnection_Request(&reply, c.lt->nc, subj,
                               body ? (const void *)body : data,
                               body ? (int)blen : data ? (int)strlen(data) : 0,
                               c.timeout_ms);
    free(body);
    rc = CLI_EXIT_TRAP;
    if (s == NATS_NO_RESPONDERS) {
        fprintf(stderr, "mantle: invoke: %s: no replica is serving it (see "
                        "mantle deploy status %s)\n", argv[optind], argv[optind]);
    } else if (s == NATS_TIMEOUT) {
        fprintf(stderr, "mantle: invoke: %s: no answer within %lld ms\n",
                argv[optind], (long long)c.timeout_ms);
    } else if (s != NATS_OK) {
        lattice_fail(err, sizeof err, s, argv[optind]);
        fprintf(stderr, "mantle: invoke: %s\n", err);
    } else {
        fwrite(natsMsg_GetData(reply), 1, (size_t)natsMsg_GetDataLength(reply),
               stdout);
        if (verbose && natsMsgHeader_Get(reply, "Mantle-Node", &v) == NATS_OK)
            fprintf(stderr, "mantle: invoke: answered by node %s\n", v);
        if (natsMsgHeader_Get(reply, "Mantle-Error", &v) == NATS_OK)
            fprintf(stderr, "mantle: invoke: %s: %s\n", argv[optind], v);
        rc = CLI_EXIT_OK;
        if (natsMsgHeader_Get(reply, "Mantle-Exit", &v) == NATS_OK) {
            int code = atoi(v);

            rc = code >= 0 && code < 256 ? code : CLI_EXIT_TRAP;
        }
    }
    natsMsg_Destroy(reply);
    lattice_close(c.lt);
    return rc;
}
