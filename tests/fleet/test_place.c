/* test_place.c - placement scenarios: constraints, capacity, spread,
 * balance, stability, node death, changed facts, pending explanations.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <stdlib.h>

#include "fleet.h"
#include "ft.h"

#define NOW 1000000
#define DEAD 30000

static struct fleet_node node(const char *json)
{
    struct fleet_node n;
    char err[256];

    if (fleet_node_from_json(json, strlen(json), &n, err, sizeof err)) {
        fprintf(stderr, "bad node in test: %s\n", err);
        exit(2);
    }
    if (n.last_seen_ms == 0)
        n.last_seen_ms = NOW;
    return n;
}

static struct fleet_deploy deploy(const char *yaml)
{
    struct fleet_deploy d;
    char err[256];

    if (fleet_manifest_parse(yaml, strlen(yaml), "test", &d, err, sizeof err)) {
        fprintf(stderr, "bad manifest in test: %s\n", err);
        exit(2);
    }
    return d;
}

typedef struct run {
    struct fleet_assign *a;
    size_t n;
} run;

static run place(const struct fleet_deploy *d, size_t nd,
                 const struct fleet_node *n, size_t nn, const run *cur)
{
    run r = {NULL, 0};
    int rc = fleet_place(d, nd, n, nn, cur ? cur->a : NULL, cur ? cur->n : 0,
                         NOW, DEAD, &r.a, &r.n);
    CHECK(rc == MANTLE_OK);
    return r;
}

static const struct fleet_assign *at(const run *r, const char *d, uint32_t i)
{
    for (size_t k = 0; k < r->n; k++)
        if (!strcmp(r->a[k].deploy, d) && r->a[k].replica == i)
            return &r->a[k];
    return NULL;
}

static const char *where(const run *r, const char *d, uint32_t i)
{
    const struct fleet_assign *a = at(r, d, i);
    return a && a->node ? a->node : "-";
}

static const char *why(const run *r, const char *d, uint32_t i)
{
    const struct fleet_assign *a = at(r, d, i);
    return a ? a->why : "(no entry)";
}

static void done(run *r)
{
    fleet_assign_free(r->a, r->n);
    r->a = NULL;
    r->n = 0;
}

static void free_all(struct fleet_deploy *d, size_t nd, struct fleet_node *n,
                     size_t nn)
{
    for (size_t i = 0; i < nd; i++)
        fleet_deploy_free(&d[i]);
    for (size_t i = 0; i < nn; i++)
        fleet_node_free(&n[i]);
}

#define MOD                                                                \
    "module: sha256:0123456789abcdef0123456789abcdef"                      \
    "0123456789abcdef0123456789abcdef\n"

static void test_constraints(void)
{
    struct fleet_node n[] = {
        node("{\"id\":\"x1\",\"arch\":\"x86_64\",\"mem_bytes\":1073741824,"
             "\"cpu_milli\":4000}"),
        node("{\"id\":\"x2\",\"arch\":\"x86_64\",\"tee\":\"snp\","
             "\"mem_bytes\":1073741824,\"cpu_milli\":4000}"),
        node("{\"id\":\"a1\",\"arch\":\"aarch64\",\"labels\":{\"tier\":"
             "\"edge\"},\"mem_bytes\":1073741824,\"cpu_milli\":4000}"),
        node("{\"id\":\"x3\",\"arch\":\"x86_64\",\"tee\":\"snp\","
             "\"tee_verified\":true,\"mem_bytes\":1073741824,"
             "\"cpu_milli\":4000}"),
        node("{\"id\":\"s1\",\"arch\":\"x86_64\",\"tee\":\"soft\","
             "\"tee_verified\":true,\"debug\":true,\"mem_bytes\":1073741824,"
             "\"cpu_milli\":4000}"),
    };
    struct fleet_deploy d[] = {
        deploy("name: arm\n" MOD "constraints: {arch: aarch64}\n"),
        deploy("name: conf\n" MOD "constraints: {tee: snp}\n"),
        deploy("name: nowhere\n" MOD
               "constraints: {arch: [x86_64, riscv64], tee: [snp, tpm], "
               "labels: {tier: edge}}\n"),
        deploy("name: dev\n" MOD "constraints: {tee: [soft], debug_ok: true}\n"),
        deploy("name: nodebug\n" MOD "constraints: {tee: [soft, tdx]}\n"),
        deploy("name: edge\n" MOD "constraints: {labels: {tier: edge}}\n"),
        deploy("name: plain\n" MOD "constraints: {tee: none}\n"),
    };
    run r = place(d, 7, n, 5, NULL);

    CHECK(r.n == 7);
    CHECK_STR(where(&r, "arm", 0), "a1");
    CHECK_HAS(why(&r, "arm", 0), "placed on a1: least loaded of 1 eligible "
                                 "node (1 replica, mem 0 of 1Gi, cpu 0 of 4)"
                                 "; 4 rejected");
    /* x2 claims snp but was not verified: only x3 qualifies. */
    CHECK_STR(where(&r, "conf", 0), "x3");
    CHECK_STR(where(&r, "nowhere", 0), "-");
    CHECK_STR(why(&r, "nowhere", 0),
              "pending: 5 nodes rejected: 1 arch aarch64 not in [riscv64, "
              "x86_64], 1 label tier is not edge, 1 tee none not in [snp, "
              "tpm], 1 tee snp not verified, 1 tee soft not in [snp, tpm]");
    CHECK_STR(where(&r, "dev", 0), "s1");
    CHECK_STR(where(&r, "nodebug", 0), "-");
    CHECK_STR(why(&r, "nodebug", 0),
              "pending: 5 nodes rejected: 2 tee none not in [soft, tdx], "
              "2 tee snp not in [soft, tdx], 1 tee soft evidence is debug "
              "(debug_ok is false)");
    CHECK_STR(where(&r, "edge", 0), "a1");
    /* tee none: nodes without a TEE only (x1 least loaded, a1 busier) */
    CHECK_STR(where(&r, "plain", 0), "x1");
    done(&r);

    /* x3 loses its verification (new evidence refused): conf moves to x2,
     * verified meanwhile; arm and the others stay where they were. */
    {
        run before = place(d, 7, n, 5, NULL);
        n[1].tee_verified = true;
        n[3].tee_verified = false;
        r = place(d, 7, n, 5, &before);
        CHECK_STR(where(&before, "conf", 0), "x3");
        CHECK_STR(where(&r, "conf", 0), "x2");
        CHECK_HAS(why(&r, "conf", 0), "placed on x2: least loaded of 1 "
                                      "eligible node");
        CHECK_STR(where(&r, "arm", 0), "a1");
        CHECK_STR(where(&r, "dev", 0), "s1");
        CHECK_STR(why(&r, "arm", 0), why(&before, "arm", 0));
        done(&r);
        /* ... and its debug flag turning on moves nodebug-style work. */
        n[1].debug = true;
        r = place(d, 7, n, 5, &before);
        CHECK_STR(where(&r, "conf", 0), "-");
        CHECK_HAS(why(&r, "conf", 0), "1 tee snp evidence is debug "
                                      "(debug_ok is false)");
        CHECK_HAS(why(&r, "conf", 0), "1 tee snp not verified");
        done(&r);
        done(&before);
    }
    free_all(d, 7, n, 5);
}

static void test_capacity_and_balance(void)
{
    struct fleet_node n[] = {
        node("{\"id\":\"b\",\"arch\":\"x86_64\",\"mem_bytes\":134217728,"
             "\"cpu_milli\":1000}"),
        node("{\"id\":\"a\",\"arch\":\"x86_64\",\"mem_bytes\":134217728,"
             "\"cpu_milli\":1000}"),
        node("{\"id\":\"c\",\"arch\":\"x86_64\",\"mem_bytes\":1073741824,"
             "\"cpu_milli\":600}"),
    };
    struct fleet_deploy d[] = {
        deploy("name: mem\n" MOD "replicas: 6\nconstraints: {mem: 64Mi}\n"),
        deploy("name: cpu\n" MOD "replicas: 2\nconstraints: {cpu: 500m}\n"),
        deploy("name: big\n" MOD "constraints: {mem: 2Gi}\n"),
    };
    run r = place(d, 3, n, 3, NULL);

    /* Deployments go by name: big (nowhere), cpu (a, b: 500m each; c has
     * 600m but the tie on load goes by id), then mem: 64Mi each, a and b
     * hold 2 each (128Mi), c takes the rest. */
    CHECK_STR(where(&r, "big", 0), "-");
    CHECK_STR(why(&r, "big", 0),
              "pending: 3 nodes rejected: 3 not enough memory for 2Gi");
    CHECK_STR(where(&r, "cpu", 0), "a");
    CHECK_STR(where(&r, "cpu", 1), "b");
    {
        int on[3] = {0, 0, 0};
        for (uint32_t i = 0; i < 6; i++) {
            const char *w = where(&r, "mem", i);
            CHECK(w[0] >= 'a' && w[0] <= 'c');
            if (w[0] >= 'a' && w[0] <= 'c')
                on[w[0] - 'a']++;
        }
        CHECK(on[0] == 2 && on[1] == 2 && on[2] == 2);
    }
    done(&r);

    /* cpu: 500m replicas: a and b (1000m) take two each, c (600m) one,
     * the sixth fits nowhere. */
    d[1].replicas = 6;
    r = place(d + 1, 1, n, 3, NULL);
    CHECK_STR(where(&r, "cpu", 2), "c");
    CHECK_STR(where(&r, "cpu", 3), "a");
    CHECK_STR(where(&r, "cpu", 4), "b");
    CHECK_STR(where(&r, "cpu", 5), "-");
    CHECK_STR(why(&r, "cpu", 5),
              "pending: 3 nodes rejected: 3 not enough cpu for 500m");
    done(&r);

    /* Balance with no needs: 7 replicas over 3 nodes, 3/2/2 by id. */
    d[0].replicas = 7;
    d[0].c.mem_bytes = 0;
    r = place(d, 1, n, 3, NULL);
    CHECK_STR(where(&r, "mem", 0), "a");
    CHECK_STR(where(&r, "mem", 1), "b");
    CHECK_STR(where(&r, "mem", 2), "c");
    CHECK_STR(where(&r, "mem", 3), "a");
    CHECK_STR(where(&r, "mem", 6), "a");
    done(&r);
    free_all(d, 3, n, 3);
}

static void test_spread(void)
{
    struct fleet_node n[] = {
        node("{\"id\":\"n1\",\"arch\":\"x86_64\",\"labels\":{\"site\":\"x\"}}"),
        node("{\"id\":\"n2\",\"arch\":\"x86_64\",\"labels\":{\"site\":\"x\"}}"),
        node("{\"id\":\"n3\",\"arch\":\"x86_64\",\"labels\":{\"site\":\"y\"}}"),
        node("{\"id\":\"n4\",\"arch\":\"x86_64\"}"),
    };
    struct fleet_deploy d[] = {
        deploy("name: per-node\n" MOD "replicas: 5\nconstraints: {spread: node}\n"),
        deploy("name: per-site\n" MOD "replicas: 3\nconstraints: {spread: site}\n"),
    };
    run r = place(d, 2, n, 4, NULL);
    const char *w0, *w1;

    /* per-node: one replica on each node, the fifth pending. */
    for (uint32_t i = 0; i < 4; i++)
        for (uint32_t j = 0; j < i; j++)
            CHECK(strcmp(where(&r, "per-node", i), where(&r, "per-node", j)));
    CHECK_STR(where(&r, "per-node", 4), "-");
    CHECK_STR(why(&r, "per-node", 4),
              "pending: 4 nodes rejected: 4 spread: node holds a replica "
              "already");
    /* per-site: one on site x, one on site y, the third pending. */
    w0 = where(&r, "per-site", 0);
    w1 = where(&r, "per-site", 1);
    CHECK((!strcmp(w0, "n3") && (!strcmp(w1, "n1") || !strcmp(w1, "n2"))) ||
          (!strcmp(w1, "n3") && (!strcmp(w0, "n1") || !strcmp(w0, "n2"))));
    CHECK_STR(where(&r, "per-site", 2), "-");
    CHECK_STR(why(&r, "per-site", 2),
              "pending: 4 nodes rejected: 2 spread: site=x holds a replica "
              "already, 1 no label site to spread over, 1 spread: site=y "
              "holds a replica already");
    done(&r);
    free_all(d, 2, n, 4);
}

static void test_stability(void)
{
    struct fleet_node n[] = {
        node("{\"id\":\"n1\",\"arch\":\"x86_64\",\"labels\":{\"tier\":\"edge\"}}"),
        node("{\"id\":\"n2\",\"arch\":\"x86_64\",\"labels\":{\"tier\":\"edge\"}}"),
        node("{\"id\":\"n3\",\"arch\":\"x86_64\",\"labels\":{\"tier\":\"edge\"}}"),
        node("{\"id\":\"n0\",\"arch\":\"x86_64\",\"labels\":{\"tier\":\"edge\"}}"),
    };
    struct fleet_deploy d[] = {
        deploy("name: web\n" MOD "replicas: 3\nconstraints: {labels: {tier: edge}}\n"),
        deploy("name: api\n" MOD "replicas: 2\n"),
    };
    struct fleet_deploy drev[2];
    struct fleet_node nrev[3];
    char *j1, *j2;

    /* First placement on n1..n3 (n0 not there yet). */
    run r1 = place(d, 2, n, 3, NULL);
    /* Same input in another order: the same placement. */
    drev[0] = d[1];
    drev[1] = d[0];
    nrev[0] = n[2];
    nrev[1] = n[0];
    nrev[2] = n[1];
    run rr = place(drev, 2, nrev, 3, NULL);
    j1 = fleet_assigns_to_json(r1.a, r1.n);
    j2 = fleet_assigns_to_json(rr.a, rr.n);
    CHECK_STR(j1, j2);
    free(j2);
    done(&rr);

    /* Re-run with the result as current state: a fixed point. */
    run r2 = place(d, 2, n, 3, &r1);
    j2 = fleet_assigns_to_json(r2.a, r2.n);
    CHECK_STR(j1, j2);
    free(j2);
    done(&r2);

    /* A new, empty node joins (n0, first by id): nothing moves. */
    r2 = place(d, 2, n, 4, &r1);
    for (uint32_t i = 0; i < 3; i++)
        CHECK_STR(where(&r2, "web", i), where(&r1, "web", i));
    for (uint32_t i = 0; i < 2; i++)
        CHECK_STR(where(&r2, "api", i), where(&r1, "api", i));
    done(&r2);

    /* The node of web[0] stops heartbeating: web[0] moves to a live node,
     * nothing else moves. */
    {
        const char *gone = where(&r1, "web", 0);
        struct fleet_node *g = NULL;
        for (size_t i = 0; i < 4; i++)
            if (!strcmp(n[i].id, gone))
                g = &n[i];
        CHECK(g != NULL);
        if (g) {
            g->last_seen_ms = NOW - DEAD - 1;
            r2 = place(d, 2, n, 4, &r1);
            CHECK(strcmp(where(&r2, "web", 0), gone) != 0);
            CHECK(strcmp(where(&r2, "web", 0), "-") != 0);
            CHECK_HAS(why(&r2, "web", 0), "placed on ");
            CHECK_STR(where(&r2, "web", 1), where(&r1, "web", 1));
            CHECK_STR(where(&r2, "web", 2), where(&r1, "web", 2));
            for (uint32_t i = 0; i < 2; i++)
                CHECK(strcmp(where(&r2, "api", i), gone) != 0);
            done(&r2);
            /* At exactly dead_after_ms of silence it is still alive. */
            g->last_seen_ms = NOW - DEAD;
            r2 = place(d, 2, n, 4, &r1);
            CHECK_STR(where(&r2, "web", 0), gone);
            done(&r2);
        }
    }

    /* Facts change: web[1]'s node loses the tier label; web[1] moves,
     * api (no constraint) stays there. */
    {
        const char *was = where(&r1, "web", 1);
        for (size_t i = 0; i < 4; i++)
            if (!strcmp(n[i].id, was)) {
                free(n[i].labels[0].value);
                n[i].labels[0].value = strdup("core");
            }
        r2 = place(d, 2, n, 4, &r1);
        CHECK(strcmp(where(&r2, "web", 1), was) != 0);
        CHECK(strcmp(where(&r2, "web", 1), "-") != 0);
        for (uint32_t i = 0; i < 2; i++)
            CHECK_STR(where(&r2, "api", i), where(&r1, "api", i));
        done(&r2);
    }

    /* Scale down to 1: replica 0 stays, the others are gone. */
    d[0].replicas = 1;
    r2 = place(d, 1, n, 4, &r1);
    CHECK(r2.n == 1);
    CHECK_STR(where(&r2, "web", 0), where(&r1, "web", 0));
    CHECK_HAS(why(&r2, "web", 0), "placed on ");  /* its explanation kept */
    done(&r2);

    /* A kept replica whose why was lost is explained as kept. */
    {
        struct fleet_assign *w = (struct fleet_assign *)at(&r1, "web", 0);
        free(w->why);
        w->why = NULL;
        r2 = place(d, 1, n, 4, &r1);
        char want[128];
        snprintf(want, sizeof want, "kept on %s: alive and still satisfies "
                 "the constraints", where(&r1, "web", 0));
        CHECK_STR(why(&r2, "web", 0), want);
    }
    done(&r2);
    free(j1);
    done(&r1);
    free_all(d, 2, n, 4);
}

static void test_args_and_json(void)
{
    struct fleet_node n[] = {
        node("{\"id\":\"n1\",\"arch\":\"x86_64\"}"),
        node("{\"id\":\"n1\",\"arch\":\"aarch64\"}"),
    };
    struct fleet_deploy d[] = {deploy("name: a\n" MOD "replicas: 2\n"),
                               deploy("name: a\n" MOD)};
    struct fleet_assign *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    char err[256], *j, *k;

    CHECK(fleet_place(d, 1, n, 2, NULL, 0, NOW, DEAD, &a, &na) ==
          MANTLE_EINVAL);  /* duplicate node id */
    CHECK(fleet_place(d, 2, n, 1, NULL, 0, NOW, DEAD, &a, &na) ==
          MANTLE_EINVAL);  /* duplicate deployment */
    CHECK(fleet_place(d, 1, n, 1, NULL, 0, NOW, DEAD, NULL, &na) ==
          MANTLE_EINVAL);
    /* No nodes, no deployments. */
    CHECK(fleet_place(d, 1, NULL, 0, NULL, 0, NOW, DEAD, &a, &na) ==
          MANTLE_OK);
    CHECK(na == 2 && a[0].node == NULL);
    CHECK_STR(a[0].why, "pending: no nodes");
    fleet_assign_free(a, na);
    CHECK(fleet_place(NULL, 0, n, 1, NULL, 0, NOW, DEAD, &a, &na) ==
          MANTLE_OK && na == 0);
    fleet_assign_free(a, na);

    /* Assignments JSON both ways; current state naming unknown
     * deployments and nodes is ignored. */
    CHECK(fleet_place(d, 1, n, 1, NULL, 0, NOW, DEAD, &a, &na) == MANTLE_OK);
    j = fleet_assigns_to_json(a, na);
    CHECK(fleet_assigns_from_json(j, strlen(j), &b, &nb, err, sizeof err) ==
          MANTLE_OK);
    k = fleet_assigns_to_json(b, nb);
    CHECK_STR(j, k);
    free(k);
    fleet_assign_free(b, nb);
    free(j);
    fleet_assign_free(a, na);
    {
        const char *t = "[{\"deploy\":\"gone\",\"replica\":0,\"node\":\"n1\","
                        "\"why\":\"x\"},{\"deploy\":\"a\",\"replica\":1,"
                        "\"node\":\"n9\",\"why\":\"placed on n9: old\"},"
                        "{\"deploy\":\"a\",\"replica\":7,\"node\":\"n1\"},"
                        "{\"deploy\":\"a\",\"replica\":0,\"node\":null}]";
        CHECK(fleet_assigns_from_json(t, strlen(t), &b, &nb, err, sizeof err) ==
              MANTLE_OK);
        CHECK(nb == 4 && b[3].node == NULL);
        CHECK(fleet_place(d, 1, n, 1, b, nb, NOW, DEAD, &a, &na) == MANTLE_OK);
        CHECK(na == 2 && !strcmp(a[0].node, "n1") && !strcmp(a[1].node, "n1"));
        fleet_assign_free(a, na);
        fleet_assign_free(b, nb);
    }
    static const struct {
        const char *t, *msg;
    } bad[] = {
        {"{}", "assignments: expected an array"},
        {"[{\"deploy\":\"a\"}]", "assignments: [0].replica: missing"},
        {"[{\"deploy\":\"a\",\"replica\":-1}]", "[0].replica: expected an integer"},
        {"[{\"deploy\":\"a\",\"replica\":0,\"node\":\"N!\"}]",
         "[0].node: \"N!\" is not a node id"},
        {"[{\"deploy\":\"a\",\"replica\":0,\"x\":1}]", "[0].x: unknown field"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        CHECK(fleet_assigns_from_json(bad[i].t, strlen(bad[i].t), &b, &nb, err,
                                      sizeof err) == MANTLE_EINVAL);
        CHECK_HAS(err, bad[i].msg);
    }
    free_all(d, 2, n, 2);
}

/* A larger fleet: placement stays fast and every assignment honours the
 * constraints it was placed under. */
static void test_scale(void)
{
    enum { NN = 200, ND = 50 };
    struct fleet_node *n = calloc(NN, sizeof *n);
    struct fleet_deploy *d = calloc(ND, sizeof *d);
    run r;

    for (int i = 0; i < NN; i++) {
        char j[256];
        snprintf(j, sizeof j,
                 "{\"id\":\"n%03d\",\"arch\":\"%s\",\"mem_bytes\":%d,"
                 "\"cpu_milli\":4000,\"labels\":{\"site\":\"s%d\"}}",
                 i, i % 3 ? "x86_64" : "aarch64", (i % 4 + 1) << 28, i % 7);
        n[i] = node(j);
    }
    for (int i = 0; i < ND; i++) {
        char y[512];
        snprintf(y, sizeof y,
                 "name: d%02d\n" MOD "replicas: %d\n"
                 "constraints: {arch: %s, mem: %dMi, cpu: %dm%s}\n",
                 i, 1 + i % 20, i % 2 ? "x86_64" : "[aarch64, x86_64]",
                 32 * (1 + i % 5), 100 * (1 + i % 3),
                 i % 5 == 0 ? ", spread: site" : "");
        d[i] = deploy(y);
    }
    r = place(d, ND, n, NN, NULL);
    {
        size_t placed = 0;
        for (size_t k = 0; k < r.n; k++) {
            if (r.a[k].node == NULL)
                continue;
            placed++;
            const struct fleet_node *nn = NULL;
            const struct fleet_deploy *dd = NULL;
            for (int i = 0; i < NN; i++)
                if (!strcmp(n[i].id, r.a[k].node))
                    nn = &n[i];
            for (int i = 0; i < ND; i++)
                if (!strcmp(d[i].name, r.a[k].deploy))
                    dd = &d[i];
            CHECK(nn && dd);
            if (nn && dd && dd->c.n_arch == 1)
                CHECK_STR(nn->arch, dd->c.arch[0]);
        }
        CHECK(placed > 0);
        /* spread over 7 sites: at most 7 of each spread deployment */
        for (int i = 0; i < ND; i += 5)
            for (uint32_t rep = 7; rep < d[i].replicas; rep++)
                CHECK_STR(where(&r, d[i].name, rep), "-");
    }
    run r2 = place(d, ND, n, NN, &r);
    char *a = fleet_assigns_to_json(r.a, r.n);
    char *b = fleet_assigns_to_json(r2.a, r2.n);
    CHECK_STR(a, b);
    free(a);
    free(b);
    done(&r2);
    done(&r);
    free_all(d, ND, n, NN);
    free(d);
    free(n);
}

/* A node that could not start a deployment (the broker refused its
 * attestation) is not eligible for it: the replica moves elsewhere or is
 * pending with the node's reason; the same deployment with another module
 * and other deployments still go there; withdrawn, the node is eligible
 * again. */
static void test_refused(void)
{
#define D64X "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define SOFT(id, extra)                                                    \
    "{\"id\":\"" id "\",\"arch\":\"x86_64\",\"tee\":\"soft\","            \
    "\"tee_verified\":true,\"debug\":true,\"mem_bytes\":1073741824,"      \
    "\"cpu_milli\":4000" extra "}"
#define REFUSED(dg)                                                        \
    ",\"refused\":[{\"deploy\":\"vault\",\"replica\":1,\"digest\":\""      \
    "sha256:" dg "\",\"why\":\"secret db-key refused by broker: "          \
    "attestation refused (HTTP 401): chain\"}]"
    struct fleet_deploy d[2] = {
        deploy("name: vault\n" MOD "replicas: 2\n"
               "constraints: {tee: soft, debug_ok: true, spread: node}\n"
               "broker: https://kbs\nsecrets: {db-key: kbs:///a/k/db}\n"),
        deploy("name: web\n" MOD "replicas: 2\n"
               "constraints: {spread: node}\n")};
    struct fleet_node n[2] = {node(SOFT("n1", "")),
                              node(SOFT("n2", REFUSED(D64X)))};
    run r = place(d, 2, n, 2, NULL);

    CHECK_STR(where(&r, "vault", 0), "n1");
    CHECK_STR(where(&r, "vault", 1), "-");
    CHECK_HAS(why(&r, "vault", 1), "pending: 2 nodes rejected: ");
    CHECK_HAS(why(&r, "vault", 1),
              "1 n2 could not start it: secret db-key refused by broker: "
              "attestation refused (HTTP 401): chain");
    CHECK_HAS(why(&r, "vault", 1), "1 spread: node holds a replica already");
    CHECK_STR(where(&r, "web", 0), "n2"); /* other deployments still go */
    /* A current assignment on the refusing node moves away. */
    {
        struct fleet_node ok2 = node(SOFT("n2", ""));
        struct fleet_node both[2] = {n[0], ok2};
        run r2 = place(d, 2, both, 2, NULL), r3;

        CHECK_STR(where(&r2, "vault", 1), "n2");
        r3 = place(d, 2, n, 2, &r2);
        CHECK_STR(where(&r3, "vault", 1), "-");
        CHECK_HAS(why(&r3, "vault", 1), "n2 could not start it");
        done(&r2);
        done(&r3);
        fleet_node_free(&ok2);
    }
    /* A refusal of another module does not count. */
    {
        struct fleet_node other = node(SOFT("n2", REFUSED(
            "1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")));
        struct fleet_node both[2] = {n[0], other};
        run r4 = place(d, 2, both, 2, NULL);

        CHECK_STR(where(&r4, "vault", 1), "n2");
        done(&r4);
        fleet_node_free(&other);
    }
    done(&r);
    free_all(d, 2, n, 2);
#undef SOFT
#undef REFUSED
#undef D64X
}

int main(void)
{
    test_constraints();
    test_capacity_and_balance();
    test_spread();
    test_stability();
    test_args_and_json();
    test_scale();
    test_refused();
    return ft_done("fleet_place");
}
