/* test_node.c - node facts: JSON both ways, strictness, the local node's.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <stdlib.h>
#include <unistd.h>

#include "fleet.h"
#include "ft.h"

static const char full[] =
    "{\"id\":\"edge-1\",\"arch\":\"aarch64\",\"tee\":\"cca\","
    "\"tee_verified\":true,\"debug\":false,\"labels\":{\"site\":\"lyon\","
    "\"tier\":\"edge\"},\"mem_bytes\":2147483648,\"cpu_milli\":4000,"
    "\"agent_version\":\"0.1.0\",\"address\":\"10.0.0.7\","
    "\"evidence_digest\":\"sha256:0123456789abcdef0123456789abcdef"
    "0123456789abcdef0123456789abcdef\",\"last_seen_ms\":1700000000000}";

static void test_json(void)
{
    struct fleet_node n, m;
    char err[256], *a;

    CHECK(fleet_node_from_json(full, strlen(full), &n, err, sizeof err) ==
          MANTLE_OK);
    CHECK_STR(n.id, "edge-1");
    CHECK_STR(n.tee, "cca");
    CHECK(n.tee_verified && !n.debug && n.n_labels == 2);
    CHECK(n.mem_bytes == 2147483648u && n.cpu_milli == 4000);
    CHECK(n.last_seen_ms == 1700000000000);
    a = fleet_node_to_json(&n);
    CHECK_STR(a, full);
    free(a);
    fleet_node_free(&n);

    /* Minimal facts: the defaults (tee none, unverified) are written. */
    {
        const char *t = "{\"id\":\"n1\",\"arch\":\"x86_64\"}";
        memset(&m, 0, sizeof m);
        CHECK(fleet_node_from_json(t, strlen(t), &m, err, sizeof err) ==
              MANTLE_OK);
    }
    a = fleet_node_to_json(&m);
    CHECK_STR(a, "{\"id\":\"n1\",\"arch\":\"x86_64\",\"tee\":\"none\","
                 "\"tee_verified\":false,\"debug\":false,\"labels\":{},"
                 "\"mem_bytes\":0,\"cpu_milli\":0,\"last_seen_ms\":0}");
    free(a);
    fleet_node_free(&m);

    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"", "node facts: line 1"},
        {"[]", "node facts: expected an object"},
        {"{\"arch\":\"x86_64\"}", "node facts: id: missing"},
        {"{\"id\":\"n\"}", "node facts: arch: missing"},
        {"{\"id\":\"N 1\",\"arch\":\"x86_64\"}", "node facts: id: \"N 1\""},
        {"{\"id\":\"n\",\"arch\":\"mips\"}",
         "node facts: arch: unknown architecture \"mips\""},
        {"{\"id\":\"n\",\"arch\":\"x86_64\",\"tee\":\"sev-snp\"}",
         "node facts: tee: unknown TEE kind"},
        {"{\"id\":\"n\",\"arch\":\"x86_64\",\"mem_bytes\":-1}",
         "node facts: mem_bytes: -1: must be 0 to"},
        {"{\"id\":\"n\",\"arch\":\"x86_64\",\"cpu_milli\":4294967296}",
         "node facts: cpu_milli: 4294967296: must be 0 to 4294967295"},
        {"{\"id\":\"n\",\"arch\":\"x86_64\",\"debug\":1}",
         "node facts: debug: expected true or false"},
        {"{\"id\":\"n\",\"arch\":\"x86_64\",\"evidence_digest\":\"x\"}",
         "node facts: evidence_digest: not sha256:"},
        {"{\"id\":\"n\",\"arch\":\"x86_64\",\"os\":\"linux\"}",
         "node facts: os: unknown field"},
        {"{\"id\":\"n\",\"arch\":\"x86_64\",\"labels\":{\"a\":\"\\n\"}}",
         "node facts: labels.a: control character"},
        {"{\"id\":\"n\",\"arch\":\"x86_64\",\"refused\":{}}",
         "node facts: refused: expected a list, got an object"},
        {"{\"id\":\"n\",\"arch\":\"x86_64\",\"refused\":[{\"deploy\":\"v\","
         "\"digest\":\"sha256:x\",\"why\":\"w\"}]}",
         "node facts: refused[0].digest: not sha256:"},
        {"{\"id\":\"n\",\"arch\":\"x86_64\",\"refused\":[{\"deploy\":\"V\"}]}",
         "node facts: refused[0].deploy: \"V\" is not a deployment name"},
        {"{\"id\":\"n\",\"arch\":\"x86_64\",\"refused\":[{\"deploy\":\"v\","
         "\"replica\":1001}]}",
         "node facts: refused[0].replica: 1001: must be 0 to 1000"},
        {"{\"id\":\"n\",\"arch\":\"x86_64\",\"refused\":[{\"deploy\":\"v\","
         "\"digest\":\"sha256:0123456789abcdef0123456789abcdef0123456789abcdef"
         "0123456789abcdef\"}]}",
         "node facts: refused[0].why: missing"},
        {"{\"id\":\"n\",\"arch\":\"x86_64\",\"refused\":[{\"deploy\":\"v\","
         "\"node\":1}]}",
         "node facts: refused[0].node: unknown field"},
    };
    /* Refusals round-trip, sorted by deployment and replica. */
    {
#define DG "\"sha256:0123456789abcdef0123456789abcdef0123456789abcdef" \
           "0123456789abcdef\""
        const char *t =
            "{\"id\":\"n2\",\"arch\":\"x86_64\",\"refused\":["
            "{\"deploy\":\"web\",\"replica\":0,\"digest\":" DG ",\"why\":\"b\"},"
            "{\"deploy\":\"vault\",\"replica\":1,\"digest\":" DG
            ",\"why\":\"secret db-key refused by broker: x\"}]}";
        char *b;

        CHECK(fleet_node_from_json(t, strlen(t), &m, err, sizeof err) ==
              MANTLE_OK);
        CHECK(m.n_refused == 2);
        CHECK_STR(m.refused[0].deploy, "vault");
        CHECK(m.refused[0].replica == 1);
        a = fleet_node_to_json(&m);
        CHECK(a && strstr(a, "\"refused\":[{\"deploy\":\"vault\",\"replica\":1,"
                             "\"digest\":" DG ",\"why\":\"secret db-key "));
        fleet_node_free(&m);
        CHECK(fleet_node_from_json(a, strlen(a), &m, err, sizeof err) ==
              MANTLE_OK);
        b = fleet_node_to_json(&m);
        CHECK(a && b && strcmp(a, b) == 0);
        free(a);
        free(b);
        fleet_node_free(&m);
#undef DG
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        CHECK(fleet_node_from_json(bad[i].text, strlen(bad[i].text), &n, err,
                                   sizeof err) == MANTLE_EINVAL);
        CHECK_HAS(err, bad[i].msg);
    }
}

static void test_local(const char *dir)
{
    char k0[] = "tier", v0[] = "edge", k1[] = "site", v1[] = "lyon";
    struct fleet_label l[] = {{k0, v0}, {k1, v1}};
    struct fleet_node n;
    mantle_tee *tee = NULL;
    mantle_diag diag;
    char err[256], *a;

    CHECK(fleet_node_local("host-1", NULL, l, 2, &n, err, sizeof err) ==
          MANTLE_OK);
    CHECK_STR(n.arch, fleet_arch_native());
    CHECK_STR(n.tee, "none");
    CHECK(!n.tee_verified && !n.debug);
    CHECK(n.mem_bytes > (64u << 20));
    CHECK(n.cpu_milli >= 1000 && n.cpu_milli % 1000 == 0);
    CHECK(n.cpu_milli == 1000u * (uint32_t)sysconf(_SC_NPROCESSORS_ONLN));
    CHECK(n.n_labels == 2 && !strcmp(n.labels[0].key, "site"));
    CHECK_STR(n.agent_version, MANTLE_VERSION);
    a = fleet_node_to_json(&n);
    fleet_node_free(&n);
    CHECK(fleet_node_from_json(a, strlen(a), &n, err, sizeof err) ==
          MANTLE_OK);
    CHECK_STR(n.id, "host-1");
    free(a);
    fleet_node_free(&n);

    memset(&diag, 0, sizeof diag);
    CHECK(mantle_tee_open("soft", dir, &tee, &diag) == MANTLE_OK);
    CHECK(fleet_node_local("host-1", tee, NULL, 0, &n, err, sizeof err) ==
          MANTLE_OK);
    CHECK_STR(n.tee, "soft");
    CHECK(n.debug && !n.tee_verified);
    fleet_node_free(&n);
    mantle_tee_free(tee);

    CHECK(fleet_node_local("Host.1", NULL, NULL, 0, &n, err, sizeof err) ==
          MANTLE_EINVAL);
    CHECK_HAS(err, "node facts: id: \"Host.1\"");
    l[1].key = k0;
    CHECK(fleet_node_local("h", NULL, l, 2, &n, err, sizeof err) ==
          MANTLE_EINVAL);
    CHECK_HAS(err, "node facts: labels: \"tier\" given twice");
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_fleet_node WORKDIR\n");
        return 2;
    }
    test_json();
    test_local(argv[1]);
    return ft_done("fleet_node");
}
