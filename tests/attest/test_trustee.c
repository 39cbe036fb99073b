/* test_trustee.c - Trustee's evidence encodings (KBS protocol 0.4.0) for
 * SNP, TDX and SGX, verified with the recorded vectors, and the broker's
 * handling of Trustee clients.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Recorded evidence binds recorded report data, not a fresh nonce: the
 * verification path is checked with that report data given as the
 * expected binding (kbs_trustee_verify, what the broker calls), and the
 * broker's own path with refusals (binding, tee, evidence, shape).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "attest/kbs.h"
#include "tee/tee_tsm.h"
#include "tv.h"

/* The report data the evidence carries, from the family verifier. */
static bool recorded_rd(const mantle_verify_input *in, uint8_t rd[64])
{
    mantle_verify_input plain = *in;
    mantle_claims c;
    mantle_diag d;

    plain.report_data = NULL;
    plain.report_data_len = 0;
    if (mantle_verify(&plain, &c, NULL, &d) != MANTLE_OK) {
        fprintf(stderr, "recorded evidence: %s\n", d.message);
        return false;
    }
    memset(rd, 0, 64);
    memcpy(rd, c.report_data, c.report_data_len < 64 ? c.report_data_len : 64);
    return true;
}

static int verify(mantle_tee_kind kind, const json_t *ev,
                  const mantle_verify_input *base, const uint8_t rd[64],
                  mantle_verify_reason *why, char *msg)
{
    mantle_claims c;
    mantle_diag d;
    int rc = kbs_trustee_verify(kind, ev, base, rd, &c, why, &d);

    snprintf(msg, 512, "%s", rc == MANTLE_OK ? "" : d.message);
    if (rc == MANTLE_OK && c.tee != kind) {
        snprintf(msg, 512, "claims name tee %s", mantle_tee_name(c.tee));
        return -1;
    }
    return rc;
}

#define EXPECT_REFUSED(label, kind, ev, base, rd, reason)                     \
    do {                                                                      \
        mantle_verify_reason why_;                                            \
        char m_[512];                                                         \
        int rc_ = verify(kind, ev, base, rd, &why_, m_);                      \
        CHECK(rc_ == MANTLE_EREFUSED && why_ == (reason),                     \
              "%s: rc %d reason %s (%s)", label, rc_,                         \
              mantle_verify_reason_name(why_), m_);                           \
        if (rc_ == MANTLE_EREFUSED && why_ == (reason))                       \
            printf("ok   %-40s %s\n", label, m_);                             \
    } while (0)

static json_t *bytes_array(const uint8_t *p, size_t n)
{
    json_t *a = json_array();

    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_integer(p[i]));
    return a;
}

/* ---- SEV-SNP ------------------------------------------------------------ */

static json_t *snp_evidence(const tv_file *rep, const tv_file *vcek)
{
    json_t *ev = kbs_trustee_encode(MANTLE_TEE_SNP, rep->data, rep->len);

    if (ev && vcek)
        json_object_set_new(ev, "cert_chain",
                            json_pack("[{s:s,s:o}]", "cert_type", "VCEK",
                                      "data",
                                      bytes_array(vcek->data, vcek->len)));
    return ev;
}

/* The report as the sev crate from 5.0 on serialises it, written here from
 * the ABI's offsets (reserved bytes left out, as that crate does). */
static json_t *sev6_tcb(const uint8_t *p)
{
    return json_pack("{s:n,s:i,s:i,s:i,s:i}", "fmc", "bootloader", p[0],
                     "tee", p[1], "snp", p[6], "microcode", p[7]);
}

static json_t *sev6_report(const uint8_t *r)
{
    uint32_t version = av_le32(r);
    json_t *o = json_pack(
        "{s:i,s:i,s:I,s:o,s:o,s:i,s:i,s:o,s:I,s:i,s:o,s:o,s:o,s:o,s:o,s:o,"
        "s:o,s:o,s:o,s:o,s:{s:i,s:i,s:i},s:{s:i,s:i,s:i},s:o,"
        "s:{s:o,s:o}}",
        "version", (int)version, "guest_svn", (int)av_le32(r + 4),
        "policy", (json_int_t)av_le64(r + 8), "family_id",
        bytes_array(r + 0x10, 16), "image_id", bytes_array(r + 0x20, 16),
        "vmpl", (int)av_le32(r + 0x30), "sig_algo", (int)av_le32(r + 0x34),
        "current_tcb", sev6_tcb(r + 0x38), "plat_info",
        (json_int_t)av_le64(r + 0x40), "key_info", (int)av_le32(r + 0x48),
        "report_data", bytes_array(r + 0x50, 64), "measurement",
        bytes_array(r + 0x90, 48), "host_data", bytes_array(r + 0xc0, 32),
        "id_key_digest", bytes_array(r + 0xe0, 48), "author_key_digest",
        bytes_array(r + 0x110, 48), "report_id", bytes_array(r + 0x140, 32),
        "report_id_ma", bytes_array(r + 0x160, 32), "reported_tcb",
        sev6_tcb(r + 0x180), "chip_id", bytes_array(r + 0x1a0, 64),
        "committed_tcb", sev6_tcb(r + 0x1e0),
        "current", "build", r[0x1e8], "minor", r[0x1e9], "major", r[0x1ea],
        "committed", "build", r[0x1ec], "minor", r[0x1ed], "major", r[0x1ee],
        "launch_tcb", sev6_tcb(r + 0x1f0),
        "signature", "r", bytes_array(r + 0x2a0, 72), "s",
        bytes_array(r + 0x2e8, 72));

    /* Fields of later report versions: null before version 3 (CPUID)
     * and absent before 5 (mitigation vectors), as serde writes None. */
    json_object_set_new(o, "cpuid_fam_id",
                        version >= 3 ? json_integer(r[0x188]) : json_null());
    json_object_set_new(o, "cpuid_mod_id",
                        version >= 3 ? json_integer(r[0x189]) : json_null());
    json_object_set_new(o, "cpuid_step",
                        version >= 3 ? json_integer(r[0x18a]) : json_null());
    return o;
}

static void snp(void)
{
    tv_file rep = tv_read("gsg_attestation.bin"), vcek = tv_read("gsg_vcek.der");
    tv_file chain = tv_read("ask_ark_milan.pem");
    mantle_blob certs[2] = {tv_blob(&vcek), tv_blob(&chain)};
    mantle_verify_input base;
    kbs_trustee_evidence t;
    json_t *ev = snp_evidence(&rep, &vcek), *m, *tcb;
    uint8_t rd[64];
    av_err e;
    char msg[512];
    mantle_verify_reason why;

    memset(&base, 0, sizeof base);
    base.format = MANTLE_TEE_SNP;
    base.evidence = tv_blob(&rep);
    base.certs = certs;
    base.ncerts = 2;
    base.time = tv_time("2025-06-01T00:00:00Z");
    CHECK(ev && recorded_rd(&base, rd), "snp: recorded evidence");
    if (!ev)
        goto out;
    /* The field names and shapes of the sev crate's serde encoding. */
    tcb = json_object_get(json_object_get(ev, "attestation_report"),
                          "current_tcb");
    CHECK(json_object_size(json_object_get(ev, "attestation_report")) == 33 &&
              json_object_size(tcb) == 5 &&
              json_array_size(json_object_get(tcb, "_reserved")) == 4 &&
              json_array_size(json_object_get(json_object_get(
                  json_object_get(ev, "attestation_report"), "signature"),
                  "r")) == 72,
          "snp: the encoding's shape");
    /* Round trip: the decoded report is the recorded one, byte for byte. */
    CHECK(kbs_trustee_decode(MANTLE_TEE_SNP, ev, &t, &e) == 0 &&
              t.len == rep.len && memcmp(t.bytes, rep.data, rep.len) == 0 &&
              t.ncerts == 1 && t.certs[0].len == vcek.len,
          "snp: round trip (%s)", e.message);
    kbs_trustee_evidence_free(&t);

    /* The later sev crate's form of the same report. */
    m = json_pack("{s:o,s:O}", "attestation_report", sev6_report(rep.data),
                  "cert_chain", json_object_get(ev, "cert_chain"));
    CHECK(kbs_trustee_decode(MANTLE_TEE_SNP, m, &t, &e) == 0 &&
              t.len == rep.len && memcmp(t.bytes, rep.data, rep.len) == 0,
          "snp: sev 5+ encoding decodes to the report (%s)", e.message);
    kbs_trustee_evidence_free(&t);
    base.certs = certs + 1;
    base.ncerts = 1;
    CHECK(verify(MANTLE_TEE_SNP, m, &base, rd, &why, msg) == MANTLE_OK,
          "snp: sev 5+ encoding verified: %s", msg);
    printf("ok   %-40s verified\n", "snp: Trustee encoding (sev 5+)");
    /* Turin's TCB_VERSION: fmc first, microcode last. */
    json_object_set_new(json_object_get(m, "attestation_report"),
                        "current_tcb",
                        json_pack("{s:i,s:i,s:i,s:i,s:i}", "fmc", 1,
                                  "bootloader", 2, "tee", 3, "snp", 4,
                                  "microcode", 5));
    CHECK(kbs_trustee_decode(MANTLE_TEE_SNP, m, &t, &e) == 0 &&
              memcmp(t.bytes + 0x38, "\x01\x02\x03\x04\0\0\0\x05", 8) == 0,
          "snp: Turin TCB layout (%s)", e.message);
    kbs_trustee_evidence_free(&t);
    EXPECT_REFUSED("snp: sev 5+, Turin TCB changed", MANTLE_TEE_SNP, m, &base,
                   rd, MANTLE_VERIFY_SIGNATURE);
    json_decref(m);

    /* The VCEK from the evidence's cert_chain, ASK/ARK from the broker. */
    base.certs = certs + 1;
    base.ncerts = 1;
    CHECK(verify(MANTLE_TEE_SNP, ev, &base, rd, &why, msg) == MANTLE_OK,
          "snp: Trustee evidence with its recorded report data: %s", msg);
    printf("ok   %-40s verified\n", "snp: Trustee encoding");

    rd[5] ^= 1;
    EXPECT_REFUSED("snp: wrong binding", MANTLE_TEE_SNP, ev, &base, rd,
                   MANTLE_VERIFY_REPORT_DATA);
    rd[5] ^= 1;
    EXPECT_REFUSED("snp: as tdx (wrong tee)", MANTLE_TEE_TDX, ev, &base, rd,
                   MANTLE_VERIFY_MALFORMED);
    m = json_deep_copy(ev);
    json_array_set_new(json_object_get(json_object_get(m, "attestation_report"),
                                       "measurement"),
                       0, json_integer(0x42));
    EXPECT_REFUSED("snp: mutated measurement", MANTLE_TEE_SNP, m, &base, rd,
                   MANTLE_VERIFY_SIGNATURE);
    json_decref(m);
    m = json_deep_copy(ev);
    json_object_set_new(json_object_get(json_object_get(m, "attestation_report"),
                                        "signature"),
                        "r", bytes_array(rd, 64));
    EXPECT_REFUSED("snp: signature r of 64 bytes", MANTLE_TEE_SNP, m, &base,
                   rd, MANTLE_VERIFY_MALFORMED);
    json_decref(m);
    m = json_deep_copy(ev);
    json_array_set_new(json_object_get(json_object_get(m, "attestation_report"),
                                       "chip_id"),
                       3, json_integer(256));
    EXPECT_REFUSED("snp: byte 256", MANTLE_TEE_SNP, m, &base, rd,
                   MANTLE_VERIFY_MALFORMED);
    json_decref(m);
    m = json_deep_copy(ev);
    json_object_del(json_object_get(m, "attestation_report"), "vmpl");
    EXPECT_REFUSED("snp: field missing", MANTLE_TEE_SNP, m, &base, rd,
                   MANTLE_VERIFY_MALFORMED);
    json_object_set_new(json_object_get(m, "attestation_report"), "vmpl2",
                        json_integer(0));
    EXPECT_REFUSED("snp: unknown field", MANTLE_TEE_SNP, m, &base, rd,
                   MANTLE_VERIFY_MALFORMED);
    json_decref(m);
    m = json_deep_copy(ev);
    json_array_append(json_object_get(m, "cert_chain"),
                      json_array_get(json_object_get(m, "cert_chain"), 0));
    EXPECT_REFUSED("snp: two VCEKs", MANTLE_TEE_SNP, m, &base, rd,
                   MANTLE_VERIFY_MALFORMED);
    json_object_set_new(m, "cert_chain", json_null());
    EXPECT_REFUSED("snp: no VCEK, the broker's ASK first", MANTLE_TEE_SNP, m,
                   &base, rd, MANTLE_VERIFY_MALFORMED);
    base.ncerts = 0;
    EXPECT_REFUSED("snp: no certificate at all", MANTLE_TEE_SNP, m, &base, rd,
                   MANTLE_VERIFY_MISSING);
    /* ... which the operator may supply instead (--evidence-cert). */
    base.certs = certs;
    base.ncerts = 2;
    CHECK(verify(MANTLE_TEE_SNP, m, &base, rd, &why, msg) == MANTLE_OK,
          "snp: VCEK from the broker's certificates: %s", msg);
    json_decref(m);
out:
    json_decref(ev);
    tv_free(&rep);
    tv_free(&vcek);
    tv_free(&chain);
}

/* ---- TDX and SGX ---------------------------------------------------------- */

static void quote_family(mantle_tee_kind kind, const mantle_verify_input *in)
{
    const char *name = mantle_tee_name(kind);
    json_t *ev = kbs_trustee_encode(kind, in->evidence.data, in->evidence.len);
    json_t *m;
    uint8_t rd[64], *q;
    char label[80], msg[512], *b64;
    mantle_verify_reason why;

    CHECK(ev && recorded_rd(in, rd), "%s: recorded evidence", name);
    if (!ev)
        return;
    CHECK(json_object_size(ev) == (kind == MANTLE_TEE_TDX ? 2u : 1u) &&
              json_is_string(json_object_get(ev, "quote")),
          "%s: the encoding's shape", name);
    CHECK(verify(kind, ev, in, rd, &why, msg) == MANTLE_OK,
          "%s: Trustee evidence with its recorded report data: %s", name, msg);
    printf("ok   %-40s verified\n", kind == MANTLE_TEE_TDX
                                        ? "tdx: Trustee encoding"
                                        : "sgx: Trustee encoding");
    rd[0] ^= 0x80;
    snprintf(label, sizeof label, "%s: wrong binding", name);
    EXPECT_REFUSED(label, kind, ev, in, rd, MANTLE_VERIFY_REPORT_DATA);
    rd[0] ^= 0x80;
    snprintf(label, sizeof label, "%s: as snp (wrong tee)", name);
    EXPECT_REFUSED(label, MANTLE_TEE_SNP, ev, in, rd, MANTLE_VERIFY_MALFORMED);
    /* A signed byte of the quote's header flipped. */
    q = malloc(in->evidence.len);
    memcpy(q, in->evidence.data, in->evidence.len);
    q[4] ^= 1;
    b64 = av_b64url(q, in->evidence.len);
    m = json_deep_copy(ev);
    json_object_set_new(m, "quote", json_string(b64));
    snprintf(label, sizeof label, "%s: mutated quote", name);
    {
        mantle_verify_reason w;
        char mm[512];
        int rc = verify(kind, m, in, rd, &w, mm);
        CHECK(rc == MANTLE_EREFUSED && w != MANTLE_VERIFY_OK &&
                  w != MANTLE_VERIFY_REPORT_DATA,
              "%s: rc %d %s", label, rc, mm);
        if (rc == MANTLE_EREFUSED)
            printf("ok   %-40s %s\n", label, mm);
    }
    json_object_set_new(m, "quote", json_string("not base64!"));
    snprintf(label, sizeof label, "%s: quote not base64", name);
    EXPECT_REFUSED(label, kind, m, in, rd, MANTLE_VERIFY_MALFORMED);
    json_decref(m);
    free(b64);
    free(q);
    json_decref(ev);
}

static void tdx(void)
{
    tv_file q = tv_read("../tdx/gtg_tdx_prod_quote_SPR_E4.dat");
    tv_file root = tv_read("../tdx/trusted_root.pem");
    mantle_verify_input in;

    memset(&in, 0, sizeof in);
    in.format = MANTLE_TEE_TDX;
    in.evidence = tv_blob(&q);
    in.root = tv_blob(&root);
    in.time = tv_time("2026-06-01T00:00:00Z");
    quote_family(MANTLE_TEE_TDX, &in);
    tv_free(&q);
    tv_free(&root);
}

static void sgx(void)
{
    static const char *col[] = {
        "intel_sample_tcbInfo.json",         "intel_sample_qeIdentity.json",
        "intel_sample_qeIdentityV2QVE.json", "intel_sample_qeIdentityV2QE.json",
        "intel_sample_tcbSignChain.pem",     "intel_sample_rootCaCrl.pem",
        "intel_sample_intermediateCaCrl.pem",
    };
    tv_file q = tv_read("../sgx/intel_sample_quote.dat");
    tv_file pck = tv_read("../sgx/intel_sample_pckCert.pem");
    tv_file chain = tv_read("../sgx/intel_sample_pckSignChain.pem");
    tv_file root = tv_read("../sgx/intel_sample_trustedRootCaCert.pem");
    tv_file files[7];
    mantle_blob cols[7], certs[2] = {tv_blob(&pck), tv_blob(&chain)};
    mantle_verify_input in;
    char path[96];

    for (size_t i = 0; i < 7; i++) {
        snprintf(path, sizeof path, "../sgx/%s", col[i]);
        files[i] = tv_read(path);
        cols[i] = tv_blob(&files[i]);
    }
    memset(&in, 0, sizeof in);
    in.format = MANTLE_TEE_SGX;
    in.evidence = tv_blob(&q);
    in.certs = certs;
    in.ncerts = 2;
    in.root = tv_blob(&root);
    in.collateral = cols;
    in.ncollateral = 7;
    in.time = tv_time("2019-07-01T00:00:00Z");
    quote_family(MANTLE_TEE_SGX, &in);
    for (size_t i = 0; i < 7; i++)
        tv_free(&files[i]);
    tv_free(&q);
    tv_free(&pck);
    tv_free(&chain);
    tv_free(&root);
}

/* ---- The broker with a Trustee client --------------------------------------- */

typedef struct trustee_client {
    mantle_broker *b;
    char cookie[128];
    json_t *rt;      /* runtime-data */
    int64_t now;
} trustee_client;

static int auth(trustee_client *tc, const char *tee)
{
    mantle_broker_reply r;
    char body[160];
    json_t *ch, *jwk;
    EVP_PKEY *k;
    int status;

    snprintf(body, sizeof body, "{\"version\":\"0.4.0\",\"tee\":\"%s\","
             "\"extra-params\":{}}", tee);
    mantle_broker_handle(tc->b, "POST", "/kbs/v0/auth", NULL, NULL,
                         (const uint8_t *)body, strlen(body), tc->now, &r);
    status = r.status;
    snprintf(tc->cookie, sizeof tc->cookie, "%s", r.cookie);
    ch = r.body ? json_loads(r.body, 0, NULL) : NULL;
    json_decref(tc->rt);
    tc->rt = NULL;
    if (status == 200) {
        k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        jwk = jwe_jwk(k);
        json_object_set_new(jwk, "alg", json_string(JWE_ALG));
        tc->rt = json_pack("{s:O,s:o}", "nonce", json_object_get(ch, "nonce"),
                           "tee-pubkey", jwk);
        EVP_PKEY_free(k);
    }
    json_decref(ch);
    mantle_broker_reply_free(&r);
    return status;
}

/* POST the attestation; the reply's status, its body into detail. */
static int attest(trustee_client *tc, json_t *tee_evidence, json_t *extra,
                  char *detail, size_t cap)
{
    mantle_broker_reply r;
    json_t *req = json_pack("{s:O,s:o}", "runtime-data", tc->rt,
                            "tee-evidence", tee_evidence);
    char *body;
    int status;

    if (extra)
        json_object_update(req, extra);
    body = json_dumps(req, JSON_COMPACT);
    mantle_broker_handle(tc->b, "POST", "/kbs/v0/attest", tc->cookie, NULL,
                         (const uint8_t *)body, strlen(body), tc->now + 1, &r);
    status = r.status;
    snprintf(detail, cap, "%s", r.body ? r.body : "");
    mantle_broker_reply_free(&r);
    free(body);
    json_decref(req);
    json_decref(extra);
    return status;
}

static json_t *composite(const json_t *primary, const char *additional)
{
    return json_pack("{s:O,s:s}", "primary_evidence", primary,
                     "additional_evidence", additional);
}

#define EXPECT_REPLY(label, got, want_status, want_text, detail)              \
    do {                                                                      \
        CHECK((got) == (want_status) && strstr(detail, want_text),            \
              "%s: HTTP %d %s", label, got, detail);                          \
        if ((got) == (want_status) && strstr(detail, want_text))              \
            printf("ok   %-40s HTTP %d %s\n", label, got, want_text);         \
    } while (0)

static int count_audit(void *ctx, const char *line)
{
    if (strstr(line, " attest - refused "))
        (*(int *)ctx)++;
    return 0;
}

static void broker(const char *work)
{
    tv_file rep = tv_read("gsg_attestation.bin"), vcek = tv_read("gsg_vcek.der");
    tv_file chain = tv_read("ask_ark_milan.pem"), q =
        tv_read("../tdx/gtg_tdx_prod_quote_SPR_E4.dat");
    mantle_blob certs[1] = {tv_blob(&chain)};
    trustee_client tc = {0};
    json_t *snp_ev = snp_evidence(&rep, &vcek), *nochain;
    json_t *tdx_ev = kbs_trustee_encode(MANTLE_TEE_TDX, q.data, q.len);
    char db[600], d[2048];
    mantle_diag diag;
    int st, refused = 0;

    mkdir(work, 0700);
    snprintf(db, sizeof db, "%s/trustee.db", work);
    remove(db);
    CHECK(mantle_broker_open(db, NULL, 0, NULL, 0, &tc.b, &diag) == MANTLE_OK &&
              mantle_broker_set_evidence_inputs(tc.b, certs, 1, NULL, 0,
                                                &diag) == MANTLE_OK,
          "broker: %s", diag.message);
    if (!tc.b)
        goto out;
    tc.now = 1748736000;  /* 2025-06-01, within the Milan chain */

    st = auth(&tc, "sample");
    CHECK(st == 400, "auth sample: %d", st);
    st = auth(&tc, "az-snp-vtpm");
    CHECK(st == 400, "auth az-snp-vtpm: %d", st);
    printf("ok   %-40s HTTP 400\n", "auth: sample, az-snp-vtpm refused");

    /* A genuine report, but it binds its own report data, not this
     * session's runtime data: the binding check refuses it. */
    CHECK(auth(&tc, "snp") == 200, "auth snp");
    st = attest(&tc, composite(snp_ev, ""), NULL, d, sizeof d);
    EXPECT_REPLY("attest snp: binding of another nonce", st, 401,
                 "(report data)", d);
    CHECK(auth(&tc, "snp") == 200, "auth snp");
    st = attest(&tc, json_string("AAAA"), NULL, d, sizeof d);
    EXPECT_REPLY("attest snp: Mantle's string encoding", st, 400,
                 "primary_evidence", d);
    CHECK(auth(&tc, "tdx") == 200, "auth tdx");
    st = attest(&tc, composite(snp_ev, ""), NULL, d, sizeof d);
    EXPECT_REPLY("attest tdx: snp evidence (wrong tee)", st, 401,
                 "(malformed)", d);
    CHECK(auth(&tc, "tdx") == 200, "auth tdx");
    st = attest(&tc, composite(tdx_ev, ""), NULL, d, sizeof d);
    EXPECT_REPLY("attest tdx: binding of another nonce", st, 401,
                 "(report data)", d);
    CHECK(auth(&tc, "snp") == 200, "auth snp");
    st = attest(&tc, composite(snp_ev, "{\"nvidia\":{}}"), NULL, d, sizeof d);
    EXPECT_REPLY("attest snp: device evidence", st, 401, "additional", d);
    CHECK(auth(&tc, "snp") == 200, "auth snp");
    st = attest(&tc, composite(snp_ev, ""),
                json_pack("{s:{s:s,s:s}}", "init-data", "format", "toml",
                          "body", "x"), d, sizeof d);
    EXPECT_REPLY("attest snp: init-data", st, 400, "init-data", d);
    /* No VCEK in the evidence nor the broker's inputs: the refusal names
     * the broker's flag. */
    CHECK(mantle_broker_set_evidence_inputs(tc.b, NULL, 0, NULL, 0, &diag) ==
              MANTLE_OK, "broker without inputs");
    nochain = json_deep_copy(snp_ev);
    json_object_set_new(nochain, "cert_chain", json_null());
    CHECK(auth(&tc, "snp") == 200, "auth snp");
    st = attest(&tc, composite(nochain, ""), NULL, d, sizeof d);
    EXPECT_REPLY("attest snp: no VCEK", st, 401, "(--evidence-cert)", d);
    CHECK(!strstr(d, "(--cert)"), "no VCEK: names verify's flag: %s", d);
    json_decref(nochain);
    /* The session's nonce was spent by the refused attempt. */
    st = attest(&tc, composite(snp_ev, ""), NULL, d, sizeof d);
    EXPECT_REPLY("attest snp: nonce replayed", st, 401, "NonceReplayed", d);
    CHECK(mantle_broker_audit(tc.b, count_audit, &refused) == MANTLE_OK,
          "audit");
    CHECK(refused == 8, "audit: %d refused attestations, want 8", refused);
out:
    json_decref(tc.rt);
    mantle_broker_free(tc.b);
    json_decref(snp_ev);
    json_decref(tdx_ev);
    tv_free(&rep);
    tv_free(&vcek);
    tv_free(&chain);
    tv_free(&q);
}

/* ---- The client in Trustee mode ---------------------------------------------- */

static void client(const char *work)
{
    static const char challenge[] = "{\"nonce\":\"q+/9AAECAwQ=\","
                                    "\"extra-params\":{}}";
    mantle_kbs_client *kc = NULL, *plain = NULL;
    mantle_tee *tee = NULL;
    mantle_diag diag;
    uint8_t rd[64], rd_plain[64], want[48];
    char dir[600], *att = NULL, expect[1024], b64[80];
    json_t *a, *rt, *pk, *pe;
    bool ok;

    snprintf(dir, sizeof dir, "%s/soft", work);
    CHECK(mantle_tee_open("soft", dir, &tee, &diag) == MANTLE_OK &&
              mantle_kbs_client_new(&kc, &diag) == MANTLE_OK &&
              mantle_kbs_client_new(&plain, &diag) == MANTLE_OK,
          "client: %s", diag.message);
    if (!kc || !plain || !tee)
        goto out;
    CHECK(strstr(mantle_kbs_client_auth_request(kc), "\"tee\":\"mantle\""),
          "client: Mantle's tee by default");
    CHECK(mantle_kbs_client_trustee(kc, tee, &diag) == MANTLE_OK &&
              strstr(mantle_kbs_client_auth_request(kc),
                     "\"tee\":\"sample\""),
          "client: soft in Trustee mode is sample: %s", diag.message);
    CHECK(mantle_kbs_client_challenge(kc, challenge, strlen(challenge), rd,
                                      &diag) == MANTLE_OK &&
              mantle_kbs_client_trustee_attestation(kc, &att, &diag) ==
                  MANTLE_OK,
          "client: attestation: %s", diag.message);
    CHECK(mantle_kbs_client_challenge(plain, challenge, strlen(challenge),
                                      rd_plain, &diag) == MANTLE_OK,
          "client: Mantle's challenge");
    a = att ? json_loads(att, 0, NULL) : NULL;
    rt = json_object_get(a, "runtime-data");
    pk = json_object_get(rt, "tee-pubkey");
    pe = json_object_get(json_object_get(a, "tee-evidence"),
                         "primary_evidence");
    /* The binding, computed here from a hand-written canonical form (keys
     * in order, no spaces) rather than by the library's serialiser. */
    snprintf(expect, sizeof expect,
             "{\"additional-evidence\":\"\",\"nonce\":\"q+/9AAECAwQ=\","
             "\"tee-pubkey\":{\"alg\":\"ECDH-ES+A256KW\",\"crv\":\"P-256\","
             "\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}}",
             json_string_value(json_object_get(pk, "x")),
             json_string_value(json_object_get(pk, "y")));
    av_digest(EVP_sha384(), expect, strlen(expect), want);
    EVP_EncodeBlock((unsigned char *)b64, want, 48);
    ok = memcmp(rd, want, 48) == 0 && av_is_zero(rd + 48, 16);
    CHECK(ok, "client: report data is SHA-384 of %s, zero-padded", expect);
    CHECK(memcmp(rd, rd_plain, 64) != 0,
          "client: Trustee's binding differs from Mantle's (no "
          "additional-evidence)");
    CHECK(json_is_object(pe) && json_object_size(pe) == 2 &&
              strcmp(json_string_value(json_object_get(pe, "svn")), "1") == 0 &&
              strcmp(json_string_value(json_object_get(pe, "report_data")),
                     b64) == 0 &&
              strcmp(json_string_value(json_object_get(
                         json_object_get(a, "tee-evidence"),
                         "additional_evidence")),
                     "") == 0 &&
              strcmp(json_string_value(json_object_get(rt, "nonce")),
                     "q+/9AAECAwQ=") == 0,
          "client: sample evidence as Trustee's sample verifier reads it: %s",
          att ? att : "(none)");
    if (ok)
        printf("ok   %-40s report_data %s\n", "client: Trustee sample", b64);
    json_decref(a);
out:
    free(att);
    mantle_kbs_client_free(kc);
    mantle_kbs_client_free(plain);
    mantle_tee_free(tee);
}

/* ---- The client in Trustee mode on the tsm backend (a fake configfs) -------- */

/* The kernel's side of configfs-tsm: the report is the recorded one, the
 * inblob what the client asked to bind. */
typedef struct fake_tsm {
    const char *provider;
    const tv_file *report;
    uint64_t generation;
    uint8_t inblob[64];
} fake_tsm;

static int fk_mkdir(void *ctx, const char *entry)
{
    (void)ctx, (void)entry;
    return 0;
}

static int fk_write(void *ctx, const char *entry, const char *attr,
                    const uint8_t *data, size_t len)
{
    fake_tsm *t = ctx;

    (void)entry;
    if (strcmp(attr, "inblob") != 0 || len != 64)
        return -22;
    memcpy(t->inblob, data, 64);
    t->generation++;
    return 0;
}

static int64_t fk_read(void *ctx, const char *entry, const char *attr,
                       uint8_t *buf, size_t cap)
{
    fake_tsm *t = ctx;
    char gen[32];
    const void *src;
    size_t n;

    (void)entry;
    if (strcmp(attr, "provider") == 0) {
        src = t->provider;
        n = strlen(t->provider);
    } else if (strcmp(attr, "generation") == 0) {
        n = (size_t)snprintf(gen, sizeof gen, "%llu\n",
                             (unsigned long long)t->generation);
        src = gen;
    } else if (strcmp(attr, "outblob") == 0) {
        src = t->report->data;
        n = t->report->len;
    } else {
        return -2;  /* no auxblob */
    }
    n = n < cap ? n : cap;
    memcpy(buf, src, n);
    return (int64_t)n;
}

static void client_tsm(const char *work, const char *provider,
                       const char *file, mantle_tee_kind kind)
{
    static const char challenge[] = "{\"nonce\":\"AAECAwQFBgc=\","
                                    "\"extra-params\":{}}";
    tv_file rep = tv_read(file);
    fake_tsm t = {provider, &rep, 1, {0}};
    tee_tsm_fs fs = {&t, fk_mkdir, fk_mkdir, fk_write, fk_read};
    const char *name = mantle_tee_name(kind);
    tee_backend *b = NULL;
    mantle_tee *tee = NULL;
    mantle_kbs_client *kc = NULL;
    kbs_trustee_evidence ev;
    mantle_diag diag;
    uint8_t rd[64];
    char dir[600], want[32], *att = NULL;
    json_t *a, *tev;
    av_err e;

    snprintf(dir, sizeof dir, "%s/tsm-%s", work, name);
    snprintf(want, sizeof want, "\"tee\":\"%s\"", name);
    CHECK(tee_tsm_open_fs(&fs, dir, &b, &diag) == MANTLE_OK &&
              tee_wrap(&tee_tsm_ops, b, &tee, &diag) == MANTLE_OK &&
              mantle_kbs_client_new(&kc, &diag) == MANTLE_OK &&
              mantle_kbs_client_trustee(kc, tee, &diag) == MANTLE_OK &&
              strstr(mantle_kbs_client_auth_request(kc), want),
          "%s: client in Trustee mode: %s", name, diag.message);
    CHECK(kc && mantle_kbs_client_challenge(kc, challenge, strlen(challenge),
                                            rd, &diag) == MANTLE_OK &&
              mantle_kbs_client_trustee_attestation(kc, &att, &diag) ==
                  MANTLE_OK,
          "%s: attestation: %s", name, diag.message);
    /* The platform was asked to bind Trustee's report data ... */
    CHECK(memcmp(t.inblob, rd, 64) == 0, "%s: inblob is the binding", name);
    /* ... and its evidence is sent as Trustee's attester sends it. */
    a = att ? json_loads(att, 0, NULL) : NULL;
    tev = json_object_get(a, "tee-evidence");
    CHECK(kbs_trustee_decode(kind, json_object_get(tev, "primary_evidence"),
                             &ev, &e) == 0 &&
              ev.len == rep.len && memcmp(ev.bytes, rep.data, rep.len) == 0 &&
              ev.ncerts == 0,
          "%s: the platform's evidence as Trustee's encoding", name);
    CHECK(kind != MANTLE_TEE_SNP ||
              json_is_null(json_object_get(json_object_get(tev,
                                                           "primary_evidence"),
                                           "cert_chain")),
          "%s: cert_chain null (Trustee asks the KDS)", name);
    if (ev.bytes)
        printf("ok   %-40s %zu bytes, bound to the challenge\n",
               kind == MANTLE_TEE_SNP ? "client tsm: Trustee snp"
                                      : "client tsm: Trustee tdx",
               ev.len);
    kbs_trustee_evidence_free(&ev);
    json_decref(a);
    free(att);
    att = NULL;
    if (kind == MANTLE_TEE_SNP && kc) {
        /* The same client against this broker, given the VCEK and its
         * chain: the encodings agree, and the recorded report is refused
         * only because it cannot bind the broker's fresh challenge. */
        tv_file vcek = tv_read("gsg_vcek.der"), chain = tv_read("ask_ark_milan.pem");
        mantle_blob certs[2] = {tv_blob(&vcek), tv_blob(&chain)};
        mantle_broker *br = NULL;
        mantle_broker_reply r;
        char db[700], cookie[64] = "";
        const char *auth = mantle_kbs_client_auth_request(kc);

        snprintf(db, sizeof db, "%s/tsm.db", work);
        remove(db);
        CHECK(mantle_broker_open(db, NULL, 0, NULL, 0, &br, &diag) ==
                      MANTLE_OK &&
                  mantle_broker_set_evidence_inputs(br, certs, 2, NULL, 0,
                                                    &diag) == MANTLE_OK,
              "tsm broker: %s", diag.message);
        mantle_broker_handle(br, "POST", "/kbs/v0/auth", NULL, NULL,
                             (const uint8_t *)auth, strlen(auth), 1748736000,
                             &r);
        CHECK(r.status == 200 && r.body &&
                  mantle_kbs_client_challenge(kc, r.body, strlen(r.body), rd,
                                              &diag) == MANTLE_OK &&
                  mantle_kbs_client_trustee_attestation(kc, &att, &diag) ==
                      MANTLE_OK,
              "tsm: the broker's challenge: %s", diag.message);
        snprintf(cookie, sizeof cookie, "%s", r.cookie);
        mantle_broker_reply_free(&r);
        mantle_broker_handle(br, "POST", "/kbs/v0/attest", cookie, NULL,
                             (const uint8_t *)(att ? att : ""),
                             att ? strlen(att) : 0, 1748736001, &r);
        EXPECT_REPLY("client tsm snp -> broker", r.status, 401,
                     "evidence refused (report data)",
                     r.body ? r.body : "");
        mantle_broker_reply_free(&r);
        mantle_broker_free(br);
        free(att);
        tv_free(&vcek);
        tv_free(&chain);
    }
    mantle_kbs_client_free(kc);
    mantle_tee_free(tee);
    tv_free(&rep);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s TESTVECTORS_DIR WORK_DIR\n", argv[0]);
        return 2;
    }
    if (!tv_init(argc, argv, "snp"))
        return TV_SKIP;
    snp();
    tdx();
    sgx();
    broker(argv[2]);
    client(argv[2]);
    client_tsm(argv[2], "sev_guest\n", "gsg_attestation.bin", MANTLE_TEE_SNP);
    client_tsm(argv[2], "tdx_guest\n", "../tdx/gtg_tdx_prod_quote_SPR_E4.dat",
               MANTLE_TEE_TDX);
    return tv_done("trustee");
}
