/* test_evidence.c - TEE facts from node evidence: the soft backend's
 * evidence verifies, and is refused for another node, another challenge,
 * another root, after tampering, or when it is a workload's.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <stdlib.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "fleet.h"
#include "ft.h"

static const uint8_t challenge[16] = "fresh-challenge";

static struct fleet_node claimed(const char *id)
{
    struct fleet_node n;
    char err[256], json[256];

    snprintf(json, sizeof json,
             "{\"id\":\"%s\",\"arch\":\"x86_64\",\"tee\":\"snp\","
             "\"tee_verified\":true}", id);
    if (fleet_node_from_json(json, strlen(json), &n, err, sizeof err))
        exit(2);
    return n;
}

static int verify(struct fleet_node *n, const uint8_t *ev, size_t len,
                  const uint8_t *root, size_t root_len, const uint8_t *ch,
                  size_t chlen, int64_t t, char *why, size_t whylen)
{
    struct fleet_verify_opts o;

    memset(&o, 0, sizeof o);
    o.time = t;
    o.root = (mantle_blob){root, root_len, "root"};
    o.challenge = ch;
    o.challenge_len = chlen;
    return fleet_node_verify_tee(n, ev, len, &o, why, whylen);
}

static uint8_t *slurp(const char *dir, const char *name, size_t *len)
{
    char path[1024];
    uint8_t *buf = NULL;
    long n;
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    if ((f = fopen(path, "rb")) == NULL || fseek(f, 0, SEEK_END) != 0 ||
        (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0 ||
        (buf = malloc((size_t)n)) == NULL ||
        fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "test_fleet_evidence: cannot read %s\n", path);
        free(buf);
        buf = NULL;
        n = 0;
    }
    if (f)
        fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Hardware families go through the same dispatch as `mantle verify`: a
 * genuine SEV-SNP report (recorded, its report data fixed long ago)
 * verifies up to the binding, and is refused there: it is no node's. */
static void test_snp(const char *vectors)
{
    size_t rn, cn, an;
    uint8_t *rep = slurp(vectors, "snp/gsg_attestation.bin", &rn);
    uint8_t *vcek = slurp(vectors, "snp/gsg_vcek.der", &cn);
    uint8_t *chain = slurp(vectors, "snp/ask_ark_milan.pem", &an);
    mantle_blob certs[2] = {{vcek, cn, "gsg_vcek.der"},
                            {chain, an, "ask_ark_milan.pem"}};
    struct fleet_verify_opts o;
    struct fleet_node n = claimed("node-a");
    char why[1024];

    CHECK(rep && vcek && chain);
    if (rep && vcek && chain) {
        memset(&o, 0, sizeof o);
        o.format = MANTLE_TEE_SNP;
        o.time = 1748736000;  /* 2025-06-01, when the chain is valid */
        o.certs = certs;
        o.ncerts = 2;
        CHECK(fleet_node_verify_tee(&n, rep, rn, &o, why, sizeof why) ==
              MANTLE_EREFUSED);
        CHECK_HAS(why, "node-a: evidence made for another node or challenge");
        CHECK(!n.tee_verified);
        if (getenv("FLEET_TEST_VERBOSE"))
            printf("%s\n", why);
        /* A flipped signed byte fails earlier, at the signature. */
        rep[0x90] ^= 1;
        CHECK(fleet_node_verify_tee(&n, rep, rn, &o, why, sizeof why) ==
              MANTLE_EREFUSED);
        CHECK_HAS(why, "node-a: signature:");
    }
    fleet_node_free(&n);
    free(rep);
    free(vcek);
    free(chain);
}

int main(int argc, char **argv)
{
    mantle_tee *tee_a = NULL, *tee_b = NULL;
    mantle_diag diag;
    uint8_t root_a[32], root_b[32], *ev = NULL, *ev_b = NULL;
    size_t evn = 0, evn_b = 0;
    char dir[512], err[512], why[1024];
    int64_t now = (int64_t)time(NULL);
    struct fleet_node n;

    if (argc != 3) {
        fprintf(stderr, "usage: test_fleet_evidence WORKDIR TESTVECTORS\n");
        return 2;
    }
    test_snp(argv[2]);
    memset(&diag, 0, sizeof diag);
    snprintf(dir, sizeof dir, "%s/a", argv[1]);
    CHECK(mantle_tee_open("soft", dir, &tee_a, &diag) == MANTLE_OK);
    snprintf(dir, sizeof dir, "%s/b", argv[1]);
    CHECK(mantle_tee_open("soft", dir, &tee_b, &diag) == MANTLE_OK);
    if (tee_a == NULL || tee_b == NULL)
        return ft_done("fleet_evidence");
    CHECK(mantle_tee_root_key(tee_a, root_a, &diag) == MANTLE_OK);
    CHECK(mantle_tee_root_key(tee_b, root_b, &diag) == MANTLE_OK);

    /* The nonce binds id and challenge, unambiguously. */
    {
        uint8_t x[64], y[64];
        fleet_node_nonce("ab", (const uint8_t *)"c", 1, x);
        fleet_node_nonce("a", (const uint8_t *)"bc", 2, y);
        CHECK(memcmp(x, y, 64) != 0);
        fleet_node_nonce("ab", (const uint8_t *)"c", 1, y);
        CHECK(memcmp(x, y, 64) == 0);
    }

    CHECK(fleet_node_evidence(tee_a, "node-a", challenge, sizeof challenge,
                              &ev, &evn, err, sizeof err) == MANTLE_OK);
    CHECK(ev != NULL && evn > 100);
    CHECK(fleet_node_evidence(tee_b, "node-b", challenge, sizeof challenge,
                              &ev_b, &evn_b, err, sizeof err) == MANTLE_OK);
    CHECK(fleet_node_evidence(tee_a, "Node A", NULL, 0, &ev_b, &evn_b, err,
                              sizeof err) == MANTLE_EINVAL);
    CHECK_HAS(err, "\"Node A\" is not a node id");
    if (ev == NULL || ev_b == NULL)
        return ft_done("fleet_evidence");

    /* Verifies: the claim "snp" becomes what the evidence proves. */
    n = claimed("node-a");
    CHECK(verify(&n, ev, evn, root_a, 32, challenge, sizeof challenge, now,
                 why, sizeof why) == MANTLE_OK);
    CHECK_STR(n.tee, "soft");
    CHECK(n.tee_verified && n.debug);
    CHECK(fleet_digest_valid(n.evidence_digest));
    CHECK_STR(why, "node-a: verified soft evidence (debug)");
    {
        char d[FLEET_DIGEST_LEN + 1];
        CHECK(fleet_digest(ev, evn, d) == MANTLE_OK);
        CHECK_STR(n.evidence_digest, d);
    }
    fleet_node_free(&n);

    /* The root as PEM, as `mantle evidence root` writes it. */
    {
        EVP_PKEY *k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
                                                  root_a, 32);
        BIO *b = BIO_new(BIO_s_mem());
        char *pem = NULL;
        long pl;
        CHECK(k && b && PEM_write_bio_PUBKEY(b, k) == 1);
        pl = BIO_get_mem_data(b, &pem);
        n = claimed("node-a");
        CHECK(verify(&n, ev, evn, (const uint8_t *)pem, (size_t)pl, challenge,
                     sizeof challenge, now, why, sizeof why) == MANTLE_OK);
        fleet_node_free(&n);
        BIO_free(b);
        EVP_PKEY_free(k);
    }

    /* Another node presenting node-a's evidence as its own. */
    n = claimed("node-b");
    CHECK(verify(&n, ev, evn, root_a, 32, challenge, sizeof challenge, now,
                 why, sizeof why) == MANTLE_EREFUSED);
    CHECK_HAS(why, "node-b: evidence made for another node or challenge");
    CHECK(!n.tee_verified);
    CHECK_STR(n.tee, "snp");  /* untouched but unverified */
    fleet_node_free(&n);

    /* An old challenge (replay). */
    n = claimed("node-a");
    CHECK(verify(&n, ev, evn, root_a, 32, (const uint8_t *)"old", 3, now, why,
                 sizeof why) == MANTLE_EREFUSED);
    CHECK_HAS(why, "evidence made for another node or challenge");
    /* Another device's root; no root. */
    CHECK(verify(&n, ev, evn, root_b, 32, challenge, sizeof challenge, now,
                 why, sizeof why) == MANTLE_EREFUSED);
    CHECK_HAS(why, "node-a: chain: node evidence: mantle evidence: the DICE "
                   "chain's layer-0 key is not the trusted root");
    CHECK(verify(&n, ev, evn, NULL, 0, challenge, sizeof challenge, now, why,
                 sizeof why) == MANTLE_EREFUSED);
    CHECK_HAS(why, "node-a: missing input: node evidence: mantle evidence: "
                   "no trusted root");
    /* node-b's own evidence under node-a's root. */
    {
        struct fleet_node b = claimed("node-b");
        CHECK(verify(&b, ev_b, evn_b, root_a, 32, challenge, sizeof challenge,
                     now, why, sizeof why) == MANTLE_EREFUSED);
        CHECK(verify(&b, ev_b, evn_b, root_b, 32, challenge, sizeof challenge,
                     now, why, sizeof why) == MANTLE_OK);
        fleet_node_free(&b);
    }
    /* Verified at a time before it was made. */
    CHECK(verify(&n, ev, evn, root_a, 32, challenge, sizeof challenge,
                 now - 86400, why, sizeof why) == MANTLE_EREFUSED);
    CHECK_HAS(why, "node-a: expired:");
    /* Tampered: every 7th byte flipped in turn is refused, never accepted. */
    {
        size_t refused = 0, tried = 0;
        for (size_t i = 0; i < evn; i += 7, tried++) {
            ev[i] ^= 0x01;
            if (verify(&n, ev, evn, root_a, 32, challenge, sizeof challenge,
                       now, why, sizeof why) != MANTLE_OK)
                refused++;
            ev[i] ^= 0x01;
        }
        CHECK(tried > 10 && refused == tried);
        CHECK(!n.tee_verified);
        /* Truncated. */
        CHECK(verify(&n, ev, evn / 2, root_a, 32, challenge, sizeof challenge,
                     now, why, sizeof why) == MANTLE_EREFUSED);
    }
    /* Intact again: verifies, and the node now takes soft replicas when
     * debug is acceptable, and none that need snp (its old claim). */
    CHECK(verify(&n, ev, evn, root_a, 32, challenge, sizeof challenge, now,
                 why, sizeof why) == MANTLE_OK);
    {
        static const char m1[] = "name: dev\nmodule: m.wasm\n"
                                 "constraints: {tee: soft, debug_ok: true}\n";
        static const char m2[] = "name: conf\nmodule: m.wasm\n"
                                 "constraints: {tee: snp}\n";
        struct fleet_deploy d[2];
        struct fleet_assign *a = NULL;
        size_t na = 0;

        CHECK(fleet_manifest_parse(m1, sizeof m1 - 1, "m1", &d[0], err,
                                   sizeof err) == MANTLE_OK);
        CHECK(fleet_manifest_parse(m2, sizeof m2 - 1, "m2", &d[1], err,
                                   sizeof err) == MANTLE_OK);
        n.last_seen_ms = 10;
        CHECK(fleet_place(d, 2, &n, 1, NULL, 0, 10, 5, &a, &na) == MANTLE_OK);
        CHECK(na == 2);
        if (na == 2) {
            CHECK_STR(a[0].deploy, "conf");
            CHECK(a[0].node == NULL);
            CHECK_STR(a[0].why, "pending: 1 node rejected: 1 tee soft not in "
                                "[snp]");
            CHECK_STR(a[1].node, "node-a");
        }
        fleet_assign_free(a, na);
        fleet_deploy_free(&d[0]);
        fleet_deploy_free(&d[1]);
    }
    fleet_node_free(&n);

    /* A workload's evidence over the node's nonce (a guest can ask its TEE
     * for any nonce) is not node evidence. */
    {
        static const uint8_t wasm[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00,
                                       0x00, 0x00, 0x00, 0x02, 0x01, 'x'};
        mantle_engine *e = NULL;
        mantle_module *m = NULL;
        mantle_tee_launch launch;
        uint8_t nonce[64], *w = NULL;
        size_t wn = 0;

        memset(&launch, 0, sizeof launch);
        fleet_node_nonce("node-a", challenge, sizeof challenge, nonce);
        CHECK(mantle_engine_new(NULL, &e) == MANTLE_OK);
        CHECK(mantle_module_new(e, wasm, sizeof wasm, "w", &m, &diag) ==
              MANTLE_OK);
        CHECK(mantle_tee_evidence(tee_a, m, &launch, nonce, &w, &wn, &diag) ==
              MANTLE_OK);
        n = claimed("node-a");
        CHECK(verify(&n, w, wn, root_a, 32, challenge, sizeof challenge, now,
                     why, sizeof why) == MANTLE_EREFUSED);
        CHECK_HAS(why, "node-a: binding: evidence of a workload module");
        CHECK(!n.tee_verified);
        fleet_node_free(&n);
        mantle_tee_evidence_free(w);
        mantle_module_free(m);
        mantle_engine_free(e);
    }

    /* Bad arguments. */
    n = claimed("node-a");
    CHECK(verify(&n, NULL, 0, root_a, 32, NULL, 0, now, why, sizeof why) ==
          MANTLE_EINVAL);
    CHECK(verify(&n, ev, evn, root_a, 32, NULL, 5, now, why, sizeof why) ==
          MANTLE_EINVAL);
    fleet_node_free(&n);

    free(ev);
    free(ev_b);
    mantle_tee_free(tee_a);
    mantle_tee_free(tee_b);
    return ft_done("fleet_evidence");
}
