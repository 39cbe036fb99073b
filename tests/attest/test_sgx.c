/* test_sgx.c - SGX DCAP quote v3 verifier and collateral against the
 * recorded vectors and testvectors/sgx/expected.json.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sgx.h"
#include "tv.h"

#define S(k) (snprintf(p, sizeof p, "%s/%s", name, k), tv_str(p))
#define I(k) (snprintf(p, sizeof p, "%s/%s", name, k), tv_int(p))

static void check_body(const char *name, const char *pre,
                       const sgx_report_body *b)
{
    char p[200], k[120];

#define R(field, n, key)                                                      \
    do {                                                                      \
        snprintf(k, sizeof k, "%s/%s", pre, key);                             \
        CHECK(tv_hex_eq(b->field, n, S(k)), "%s %s", name, k);                \
    } while (0)
    R(cpusvn, 16, "cpusvn");
    R(miscselect, 4, "miscselect_le_bytes");
    R(attributes, 16, "attributes");
    R(mrenclave, 32, "mrenclave");
    R(mrsigner, 32, "mrsigner");
    R(config_id, 64, "config_id");
    R(isv_family_id, 16, "isv_family_id");
    R(report_data, 64, "report_data");
#undef R
    snprintf(k, sizeof k, "%s/isvprodid", pre);
    CHECK(b->isvprodid == I(k), "%s %s", name, k);
    snprintf(k, sizeof k, "%s/isvsvn", pre);
    CHECK(b->isvsvn == I(k), "%s %s", name, k);
}

/* The sample: PCK certificate from outside the quote (type 1, PPID), the
 * fake root, and the full collateral set at 2019-07-01. */
typedef struct sample {
    tv_file quote, pck, chain, root, files[7];
    mantle_blob certs[2], col[7];
    size_t ncol;
} sample;

static void sample_open(sample *s, mantle_verify_input *in)
{
    static const char *col[] = {
        "intel_sample_tcbInfo.json",         "intel_sample_qeIdentity.json",
        "intel_sample_qeIdentityV2QVE.json", "intel_sample_qeIdentityV2QE.json",
        "intel_sample_tcbSignChain.pem",     "intel_sample_rootCaCrl.pem",
        "intel_sample_intermediateCaCrl.pem",
    };
    memset(s, 0, sizeof *s);
    s->quote = tv_read("intel_sample_quote.dat");
    s->pck = tv_read("intel_sample_pckCert.pem");
    s->chain = tv_read("intel_sample_pckSignChain.pem");
    s->root = tv_read("intel_sample_trustedRootCaCert.pem");
    for (size_t i = 0; i < 7; i++) {
        s->files[i] = tv_read(col[i]);
        s->col[i] = tv_blob(&s->files[i]);
    }
    s->certs[0] = tv_blob(&s->pck);
    s->certs[1] = tv_blob(&s->chain);
    memset(in, 0, sizeof *in);
    in->format = MANTLE_TEE_SGX;
    in->evidence = tv_blob(&s->quote);
    in->certs = s->certs;
    in->ncerts = 2;
    in->root = tv_blob(&s->root);
    in->collateral = s->col;
    in->ncollateral = 7;
    in->time = tv_time("2019-07-01T00:00:00Z");
}

static void sample_close(sample *s)
{
    tv_free(&s->quote);
    tv_free(&s->pck);
    tv_free(&s->chain);
    tv_free(&s->root);
    for (int i = 0; i < 7; i++)
        tv_free(&s->files[i]);
}

static void quote_fields(const char *name, const sgx_quote *q)
{
    char p[200];
    json_t *comps;

    CHECK(q->header.version == I("header/version") &&
              q->header.att_key_type == I("header/att_key_type") &&
              q->header.qe_svn == I("header/qe_svn") &&
              q->header.pce_svn == I("header/pce_svn"),
          "%s header", name);
    CHECK(tv_hex_eq(q->header.qe_vendor_id, 16, S("header/qe_vendor_id")) &&
              tv_hex_eq(q->header.user_data, 20, S("header/user_data")),
          "%s header ids", name);
    check_body(name, "isv_enclave_report", &q->body);
    check_body(name, "qe_report", &q->sig.qe_report);
    CHECK(q->sig.len == I("signature_data_len") &&
              q->sig.trailing == (size_t)I("bytes_after_signature_data"),
          "%s sig data len", name);
    CHECK(tv_hex_eq(q->sig.sig, 64, S("quote_signature_r_s_be")), "%s sig",
          name);
    CHECK(tv_hex_eq(q->sig.att_key, 64, S("attestation_key_x_y")), "%s ak",
          name);
    CHECK(tv_hex_eq(q->sig.qe_report_sig, 64, S("qe_report_signature_r_s_be")),
          "%s qe sig", name);
    CHECK(q->sig.qe_auth_len == I("qe_auth_data_len") &&
              tv_hex_eq(q->sig.qe_auth, q->sig.qe_auth_len, S("qe_auth_data")),
          "%s auth", name);
    CHECK(q->sig.cert_type == I("certification_data_type") &&
              q->sig.cert_len == I("certification_data_size"),
          "%s cert data", name);
    CHECK(tv_hex_eq(q->pck.fmspc, 6, S("pck/fmspc")) &&
              tv_hex_eq(q->pck.pceid, 2, S("pck/pceid")) &&
              tv_hex_eq(q->pck.ppid, 16, S("pck/ppid")) &&
              tv_hex_eq(q->pck.cpusvn, 16, S("pck/tcb/cpusvn")) &&
              q->pck.pcesvn == I("pck/tcb/pcesvn") &&
              q->pck.sgx_type == I("pck/sgx_type"),
          "%s PCK", name);
    comps = tv_get((snprintf(p, sizeof p, "%s/pck/tcb/sgxtcbcomp_svn_01_16",
                             name),
                    p));
    for (int i = 0; i < 16; i++)
        CHECK(q->pck.comp[i] ==
                  json_integer_value(json_array_get(comps, (size_t)i)),
              "%s comp %d", name, i);
}

static void positives(void)
{
    const char *name = "trustee_occlum_quote.dat";
    char p[200], msg[512];
    tv_file q = tv_read(name), root = tv_read("../tdx/trusted_root.pem");
    mantle_verify_input in;
    sgx_quote sq;
    mantle_claims c;
    mantle_verify_reason r;
    av_err e;
    sample s;
    int rc;

    memset(&in, 0, sizeof in);
    in.format = MANTLE_TEE_SGX;
    in.evidence = tv_blob(&q);
    in.root = tv_blob(&root);
    in.time = tv_time(S("verification/verify_at"));
    rc = sgx_verify(&in, &sq, &c, &e);
    CHECK(rc == 0, "%s: %s", name, e.message);
    if (rc == 0) {
        quote_fields(name, &sq);
        CHECK(c.tee == MANTLE_TEE_SGX && c.debug == true &&
                  tv_hex_eq(c.measurement, 32, S("mrenclave")) &&
                  tv_hex_eq(c.report_data, 64, S("report_data")),
              "%s claims", name);
        printf("ok   %-34s verifies (debug yes)\n", name);
    }
    in.root.data = NULL;
    CHECK(tv_verify(&in, &c, &r, msg, sizeof msg) == MANTLE_OK,
          "%s with the pinned Intel root: %s", name, msg);
    in.time = tv_time("2030-04-27T15:35:16Z");
    tv_expect_refused("sgx-occlum-pck-expired", &in, MANTLE_VERIFY_EXPIRED);

    name = "intel_sample_quote.dat";
    sample_open(&s, &in);
    rc = sgx_verify(&in, &sq, &c, &e);
    CHECK(rc == 0, "%s: %s", name, e.message);
    if (rc == 0) {
        quote_fields(name, &sq);
        CHECK(strcmp(mantle_tcb_status_name(sq.eval.platform),
                     S("tcb_evaluation/status")) == 0 &&
                  sq.eval.qe_checked &&
                  strcmp(mantle_tcb_status_name(sq.eval.qe),
                         S("qe_identity/intel_sample_qeIdentityV2QE.json/"
                           "tcb_status_for_isvsvn_6862")) == 0 &&
                  c.tcb_status == MANTLE_TCB_UP_TO_DATE,
              "%s TCB and QE identity", name);
        printf("ok   %-34s verifies with its collateral: TCB %s, QE %s\n",
               name, mantle_tcb_status_name(sq.eval.platform),
               mantle_tcb_status_name(sq.eval.qe));
    }
    /* Collateral expires with its nextUpdate (2019-07-26). */
    in.time = tv_time("2019-07-27T00:00:00Z");
    in.ncollateral = 5; /* without the CRLs, which expire first */
    tv_expect_refused("sgx-sample-collateral-stale", &in,
                      MANTLE_VERIFY_COLLATERAL_EXPIRED);
    sample_close(&s);
    tv_free(&q);
    tv_free(&root);
}

static void negative(const char *id)
{
    tv_file q = tv_read("trustee_occlum_quote.dat"), m = tv_copy(&q);
    mantle_verify_input in;

    memset(&in, 0, sizeof in);
    in.format = MANTLE_TEE_SGX;
    in.evidence = tv_blob(&m);
    in.time = tv_time("2025-06-01T00:00:00Z");
    if (strcmp(id, "sgx-flip-0x70") == 0 || strcmp(id, "sgx-flip-0x170") == 0 ||
        strcmp(id, "sgx-flip-0x60") == 0) {
        m.data[strtoul(id + 9, NULL, 16)] ^= 1;
        tv_expect_refused(id, &in, MANTLE_VERIFY_SIGNATURE);
    } else if (strcmp(id, "sgx-flip-qe-report") == 0) {
        m.data[0x2b4] ^= 1;
        tv_expect_refused(id, &in, MANTLE_VERIFY_SIGNATURE);
    } else if (strcmp(id, "sgx-truncated") == 0) {
        in.evidence.len = 431;
        tv_expect_refused(id, &in, MANTLE_VERIFY_TRUNCATED);
        in.evidence.len = 436 + av_le32(m.data + 432) - 1;
        tv_expect_refused("sgx-truncated (sig data - 1)", &in,
                          MANTLE_VERIFY_TRUNCATED);
    } else if (strcmp(id, "sgx-debug-enclave") == 0) {
        mantle_claims c;
        mantle_verify_reason r;
        CHECK(tv_verify(&in, &c, &r, NULL, 0) == MANTLE_OK && c.debug,
              "%s verifies, debug", id);
        printf("ok   %-34s verifies, debug = yes (policy: test_policy)\n", id);
    } else if (strcmp(id, "sgx-synthetic-chain-real-root") == 0 ||
               strcmp(id, "sgx-qeidentity-edit") == 0) {
        sample s;
        tv_file real = tv_read("../tdx/trusted_root.pem");
        sample_open(&s, &in);
        if (strcmp(id, "sgx-synthetic-chain-real-root") == 0) {
            in.root = tv_blob(&real);
            tv_expect_refused(id, &in, MANTLE_VERIFY_CHAIN);
            in.root.data = NULL;  /* pinned: the fake root is not Intel's */
            tv_expect_refused("sgx-synthetic-chain-pinned-root", &in,
                              MANTLE_VERIFY_MISSING);
        } else {
            tv_file *f = &s.files[3];  /* intel_sample_qeIdentityV2QE.json */
            char *hit = strstr((char *)f->data, "\"isvprodid\":1");
            CHECK(hit != NULL, "isvprodid in the QE identity");
            hit[12] = '2';
            tv_expect_refused(id, &in, MANTLE_VERIFY_COLLATERAL_SIGNATURE);
        }
        tv_free(&real);
        sample_close(&s);
    } else {
        CHECK(0, "unhandled negative case %s", id);
    }
    tv_free(&q);
    tv_free(&m);
}

int main(int argc, char **argv)
{
    json_t *c;
    size_t i;

    if (!tv_init(argc, argv, "sgx"))
        return TV_SKIP;
    positives();
    json_array_foreach(json_object_get(tv_expected(), "_negative_cases"), i, c)
        negative(json_string_value(json_object_get(c, "id")));
    return tv_done("sgx");
}
