/* snp.c - verify AMD SEV-SNP attestation reports (VCEK and VLEK).
 * SPDX-License-Identifier: Apache-2.0
 *
 * Order: parse the report; chain the VCEK/VLEK to the ARK (through the ASK
 * or ASVK) at the given time, and the ASK against ARK CRLs when given;
 * the report signature with the VCEK/VLEK key; then the binding of the
 * report's REPORTED_TCB and CHIP_ID to the certificate's extensions.
 */
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>

#include "snp.h"

/* SHA-256 of the DER of AMD's ARK-Milan, ARK-Genoa and ARK-Turin, which
 * sign both the VCEK (ASK) and VLEK (ASVK) chains (kdsintf.amd.com). */
static const uint8_t amd_ark_pins[][32] = {
    {0x69, 0xd0, 0x63, 0xb4, 0x53, 0x44, 0xd2, 0x6a, 0x2e, 0x94, 0xe1,
     0xf4, 0x21, 0x0d, 0xe4, 0x9e, 0xf5, 0x55, 0x30, 0x82, 0x87, 0xd4,
     0xc1, 0x74, 0x44, 0x5c, 0x95, 0x63, 0x9a, 0x54, 0x0b, 0xcd},
    {0x4c, 0x65, 0x98, 0xd1, 0x9c, 0x18, 0x71, 0x9c, 0x5d, 0xfd, 0x4a,
     0x7d, 0x33, 0x5f, 0x67, 0x4e, 0x5b, 0xfe, 0x1d, 0x8f, 0x80, 0x0c,
     0xea, 0x2c, 0xf2, 0x70, 0xc1, 0x0d, 0x10, 0x3d, 0xb2, 0xf1},
    {0x1f, 0x08, 0x41, 0x61, 0xa4, 0x4b, 0xb6, 0xd9, 0x37, 0x78, 0xa9,
     0x04, 0x87, 0x7d, 0x48, 0x19, 0xca, 0xfa, 0x5d, 0x05, 0xef, 0x41,
     0x93, 0xb2, 0xde, 0xd9, 0xdd, 0x9c, 0x73, 0xdd, 0x3f, 0x6a},
};

static void le_to_be(const uint8_t *le, uint8_t *be, size_t n)
{
    for (size_t i = 0; i < n; i++)
        be[i] = le[n - 1 - i];
}

int snp_report_parse(const uint8_t *b, size_t len, snp_report *out,
                     av_err *e)
{
    snp_report r;

    if (len < SNP_REPORT_SIZE)
        return av_fail(e, MANTLE_VERIFY_TRUNCATED,
                       "SNP report: %zu bytes, expected exactly %u", len,
                       SNP_REPORT_SIZE);
    if (len > SNP_REPORT_SIZE)
        return av_fail(e, MANTLE_VERIFY_MALFORMED,
                       "SNP report: %zu bytes, expected exactly %u", len,
                       SNP_REPORT_SIZE);
    memset(&r, 0, sizeof r);
    r.version = av_le32(b + 0x00);
    if (r.version < 2 || r.version > 5)
        return av_fail(e, MANTLE_VERIFY_UNSUPPORTED,
                       "SNP report: version %u (2 to 5 supported)", r.version);
    r.guest_svn = av_le32(b + 0x04);
    r.policy = av_le64(b + 0x08);
    memcpy(r.family_id, b + 0x10, 16);
    memcpy(r.image_id, b + 0x20, 16);
    r.vmpl = av_le32(b + 0x30);
    r.signature_algo = av_le32(b + 0x34);
    if (r.signature_algo != 1)
        return av_fail(e, MANTLE_VERIFY_UNSUPPORTED,
                       "SNP report: signature algorithm %u (1, ECDSA P-384 "
                       "with SHA-384, supported)",
                       r.signature_algo);
    r.current_tcb = av_le64(b + 0x38);
    r.platform_info = av_le64(b + 0x40);
    r.signer_info = av_le32(b + 0x48);
    memcpy(r.report_data, b + 0x50, 64);
    memcpy(r.measurement, b + 0x90, 48);
    memcpy(r.host_data, b + 0xC0, 32);
    memcpy(r.id_key_digest, b + 0xE0, 48);
    memcpy(r.author_key_digest, b + 0x110, 48);
    memcpy(r.report_id, b + 0x140, 32);
    memcpy(r.report_id_ma, b + 0x160, 32);
    r.reported_tcb = av_le64(b + 0x180);
    if (r.version >= 3) {
        r.cpuid_fam_id = b[0x188];
        r.cpuid_mod_id = b[0x189];
        r.cpuid_step = b[0x18A];
    }
    memcpy(r.chip_id, b + 0x1A0, 64);
    r.committed_tcb = av_le64(b + 0x1E0);
    r.current_build = b[0x1E8];
    r.current_minor = b[0x1E9];
    r.current_major = b[0x1EA];
    r.committed_build = b[0x1EC];
    r.committed_minor = b[0x1ED];
    r.committed_major = b[0x1EE];
    r.launch_tcb = av_le64(b + 0x1F0);
    /* Each component is 72 bytes LE; a P-384 scalar fits the low 48. */
    if (!av_is_zero(b + 0x2A0 + 48, 24) || !av_is_zero(b + 0x2E8 + 48, 24))
        return av_fail(e, MANTLE_VERIFY_SIGNATURE,
                       "SNP report: signature R or S exceeds 48 bytes");
    le_to_be(b + 0x2A0, r.sig_r, 48);
    le_to_be(b + 0x2E8, r.sig_s, 48);
    *out = r;
    return MANTLE_VERIFY_OK;
}

void snp_tcb_decode(uint64_t raw, bool turin, snp_tcb *out)
{
    uint8_t b[8];

    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(raw >> (8 * i));
    memset(out, 0, sizeof *out);
    if (turin) {
        out->fmc = b[0];
        out->bootloader = b[1];
        out->tee = b[2];
        out->snp = b[3];
    } else {
        out->bootloader = b[0];
        out->tee = b[1];
        out->snp = b[6];
    }
    out->microcode = b[7];
}

/* An extension whose value is a DER INTEGER in 0..255; -1 if absent. */
static int ext_small_int(X509 *x, const char *oid, av_err *e, int *out)
{
    const ASN1_OCTET_STRING *d = av_ext_data(x, oid);
    const unsigned char *p;
    ASN1_INTEGER *n;
    long v;

    *out = -1;
    if (d == NULL)
        return MANTLE_VERIFY_OK;
    p = ASN1_STRING_get0_data(d);
    n = d2i_ASN1_INTEGER(NULL, &p, ASN1_STRING_length(d));
    v = n ? ASN1_INTEGER_get(n) : -1;
    ASN1_INTEGER_free(n);
    if (v < 0 || v > 255)
        return av_fail(e, MANTLE_VERIFY_MALFORMED,
                       "VCEK extension %s is not an SPL in 0..255", oid);
    *out = (int)v;
    return MANTLE_VERIFY_OK;
}

#define AMD_OID "1.3.6.1.4.1.3704.1."

int snp_cert_parse(X509 *x, snp_cert_info *out, av_err *e)
{
    snp_cert_info ci;
    char cn[64];
    int bl, tee, snp, uc, fmc, rc;
    const ASN1_OCTET_STRING *d;

    memset(&ci, 0, sizeof ci);
    if (!av_cert_cn(x, cn, sizeof cn))
        return av_fail(e, MANTLE_VERIFY_MALFORMED, "VCEK: no common name");
    if (strcmp(cn, "SEV-VLEK") == 0)
        ci.vlek = true;
    else if (strcmp(cn, "SEV-VCEK") != 0)
        return av_fail(e, MANTLE_VERIFY_MALFORMED,
                       "certificate \"%s\" is neither a VCEK nor a VLEK", cn);
    if ((rc = ext_small_int(x, AMD_OID "3.1", e, &bl)) ||
        (rc = ext_small_int(x, AMD_OID "3.2", e, &tee)) ||
        (rc = ext_small_int(x, AMD_OID "3.3", e, &snp)) ||
        (rc = ext_small_int(x, AMD_OID "3.8", e, &uc)) ||
        (rc = ext_small_int(x, AMD_OID "3.9", e, &fmc)))
        return rc;
    if (bl < 0 || tee < 0 || snp < 0 || uc < 0)
        return av_fail(e, MANTLE_VERIFY_MALFORMED,
                       "%s: SPL extensions missing", cn);
    ci.turin = fmc >= 0;
    ci.spl.bootloader = (uint8_t)bl;
    ci.spl.tee = (uint8_t)tee;
    ci.spl.snp = (uint8_t)snp;
    ci.spl.microcode = (uint8_t)uc;
    ci.spl.fmc = (uint8_t)(fmc < 0 ? 0 : fmc);
    if ((d = av_ext_data(x, AMD_OID "2")) != NULL) {
        /* productName: an IA5String. */
        const unsigned char *p = ASN1_STRING_get0_data(d);
        ASN1_IA5STRING *s = d2i_ASN1_IA5STRING(NULL, &p, ASN1_STRING_length(d));
        if (s != NULL) {
            int n = ASN1_STRING_length(s);
            if (n > (int)sizeof ci.product - 1)
                n = (int)sizeof ci.product - 1;
            memcpy(ci.product, ASN1_STRING_get0_data(s), (size_t)n);
        }
        ASN1_IA5STRING_free(s);
    }
    if ((d = av_ext_data(x, AMD_OID "4")) != NULL) {
        /* hwID: what AMD's KDS issues is the raw id with no DER tag; some
         * tools wrap it in an OCTET STRING. Accept both. */
        const unsigned char *p = ASN1_STRING_get0_data(d);
        int n = ASN1_STRING_length(d);
        ASN1_OCTET_STRING *o = NULL;
        if (n != 64 && n != 8) {
            const unsigned char *q = p;
            o = d2i_ASN1_OCTET_STRING(NULL, &q, n);
            if (o == NULL || q != p + n) {
                ASN1_OCTET_STRING_free(o);
                return av_fail(e, MANTLE_VERIFY_MALFORMED,
                               "VCEK: hwID extension of %d bytes", n);
            }
            p = ASN1_STRING_get0_data(o);
            n = ASN1_STRING_length(o);
        }
        if (n != 64 && n != 8) {
            ASN1_OCTET_STRING_free(o);
            return av_fail(e, MANTLE_VERIFY_MALFORMED,
                           "VCEK: hwID of %d bytes", n);
        }
        memcpy(ci.hwid, p, (size_t)n);
        ci.hwid_len = (size_t)n;
        ASN1_OCTET_STRING_free(o);
    }
    ERR_clear_error();
    if (!ci.vlek && ci.hwid_len == 0)
        return av_fail(e, MANTLE_VERIFY_MALFORMED, "VCEK: no hwID extension");
    *out = ci;
    return MANTLE_VERIFY_OK;
}

int snp_check_binding(const snp_report *r, const snp_cert_info *ci,
                      av_err *e)
{
    snp_tcb t;

    snp_tcb_decode(r->reported_tcb, ci->turin, &t);
    if (t.bootloader != ci->spl.bootloader || t.tee != ci->spl.tee ||
        t.snp != ci->spl.snp || t.microcode != ci->spl.microcode ||
        t.fmc != ci->spl.fmc)
        return av_fail(e, MANTLE_VERIFY_BINDING,
                       "REPORTED_TCB (bl %u tee %u snp %u ucode %u fmc %u) is "
                       "not the %s's (bl %u tee %u snp %u ucode %u fmc %u)",
                       t.bootloader, t.tee, t.snp, t.microcode, t.fmc,
                       ci->vlek ? "VLEK" : "VCEK", ci->spl.bootloader,
                       ci->spl.tee, ci->spl.snp, ci->spl.microcode,
                       ci->spl.fmc);
    /* MASK_CHIP_KEY zeroes CHIP_ID; a VLEK has no hwID. */
    if (!ci->vlek && !(r->signer_info & 2) &&
        CRYPTO_memcmp(r->chip_id, ci->hwid, ci->hwid_len) != 0)
        return av_fail(e, MANTLE_VERIFY_BINDING,
                       "CHIP_ID is not the VCEK's hwID");
    return MANTLE_VERIFY_OK;
}

static int snp_claims(const snp_report *r, bool turin, mantle_claims *c)
{
    av_claims_init(c, MANTLE_TEE_SNP);
    c->version = r->version;
    c->measurement_len = 48;
    memcpy(c->measurement, r->measurement, 48);
    c->report_data_len = 64;
    memcpy(c->report_data, r->report_data, 64);
    c->debug = (r->policy & SNP_POLICY_DEBUG) != 0;
    c->svn = r->guest_svn;
    c->tcb_len = 8;
    for (int i = 0; i < 8; i++)
        c->tcb[i] = (uint8_t)(r->reported_tcb >> (8 * i));
    (void)turin;
    av_claims_add(c, "host_data", r->host_data, 32);
    av_claims_add(c, "id_key_digest", r->id_key_digest, 48);
    av_claims_add(c, "author_key", r->author_key_digest, 48);
    av_claims_add(c, "family_id", r->family_id, 16);
    av_claims_add(c, "image_id", r->image_id, 16);
    av_claims_add(c, "chip_id", r->chip_id, 64);
    return MANTLE_VERIFY_OK;
}

int snp_verify(const mantle_verify_input *in, snp_report *out_report,
               mantle_claims *out_claims, av_err *e)
{
    snp_report r;
    snp_cert_info ci;
    mantle_claims c;
    STACK_OF(X509) *pool = NULL, *roots = NULL, *untrusted = NULL;
    STACK_OF(X509_CRL) *crls = NULL;
    EVP_PKEY *key = NULL;
    X509 *leaf;
    uint8_t rs[96];
    int rc, ok;

    if ((rc = snp_report_parse(in->evidence.data, in->evidence.len, &r, e)))
        return rc;
    unsigned signer = (r.signer_info >> 2) & 7;
    if (signer != SNP_SIGNER_VCEK && signer != SNP_SIGNER_VLEK)
        return av_fail(e, MANTLE_VERIFY_UNSUPPORTED,
                       "SNP report: signing key %u (0 VCEK, 1 VLEK)", signer);
    for (size_t i = 0; i < in->ncerts; i++)
        if (av_certs_load(in->certs[i].data, in->certs[i].len, &pool) == 0) {
            rc = av_fail(e, MANTLE_VERIFY_MALFORMED, "%s: no certificate",
                         in->certs[i].name ? in->certs[i].name : "cert");
            goto out;
        }
    if (sk_X509_num(pool) <= 0) {  /* -1 when no --cert made a stack */
        rc = av_fail(e, MANTLE_VERIFY_MISSING,
                     "SNP report: no %s certificate given (--cert)",
                     signer == SNP_SIGNER_VLEK ? "VLEK" : "VCEK");
        goto out;
    }
    leaf = sk_X509_value(pool, 0);
    if ((rc = snp_cert_parse(leaf, &ci, e)))
        goto out;
    if (ci.vlek != (signer == SNP_SIGNER_VLEK)) {
        rc = av_fail(e, MANTLE_VERIFY_BINDING,
                     "the report is signed by a %s, the certificate is a %s",
                     signer == SNP_SIGNER_VLEK ? "VLEK" : "VCEK",
                     ci.vlek ? "VLEK" : "VCEK");
        goto out;
    }
    if ((rc = av_roots(&in->root, pool, amd_ark_pins, 3, "AMD ARK", &roots,
                       e)))
        goto out;
    if ((untrusted = sk_X509_dup(pool)) == NULL) {
        rc = av_fail(e, MANTLE_VERIFY_CHAIN, "out of memory");
        goto out;
    }
    (void)sk_X509_shift(untrusted);
    if ((rc = av_chain_verify(leaf, untrusted, roots, NULL, in->time,
                              ci.vlek ? "VLEK chain" : "VCEK chain", e)))
        goto out;
    for (size_t i = 0; i < in->ncollateral; i++)
        (void)av_crls_load(in->collateral[i].data, in->collateral[i].len,
                           &crls);
    if (sk_X509_CRL_num(crls) > 0) {
        /* The ARK's CRL lists revoked ASKs; the VCEK has none. */
        for (int i = 1; i < sk_X509_num(pool); i++) {
            X509 *x = sk_X509_value(pool, i);
            if (av_is_self_signed(x))
                continue;
            if ((rc = av_chain_verify(x, NULL, roots, crls, in->time,
                                      "ASK revocation", e)))
                goto out;
        }
    }
    if ((key = X509_get_pubkey(leaf)) == NULL ||
        EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) {
        rc = av_fail(e, MANTLE_VERIFY_UNSUPPORTED,
                     "VCEK key is not an EC key");
        goto out;
    }
    memcpy(rs, r.sig_r, 48);
    memcpy(rs + 48, r.sig_s, 48);
    ok = av_ecdsa_verify_rs(key, EVP_sha384(), in->evidence.data,
                            SNP_SIGNED_SIZE, rs, 48);
    if (ok != 1) {
        rc = av_fail(e, MANTLE_VERIFY_SIGNATURE,
                     "SNP report signature does not verify with the %s",
                     ci.vlek ? "VLEK" : "VCEK");
        goto out;
    }
    if ((rc = snp_check_binding(&r, &ci, e)))
        goto out;
    snp_claims(&r, ci.turin, &c);
    if ((rc = av_check_report_data(in, &c, e)))
        goto out;
    if (out_report)
        *out_report = r;
    *out_claims = c;
out:
    EVP_PKEY_free(key);
    sk_X509_free(untrusted);
    sk_X509_pop_free(roots, X509_free);
    sk_X509_pop_free(pool, X509_free);
    sk_X509_CRL_pop_free(crls, X509_CRL_free);
    return rc;
}

int av_verify_snp(const mantle_verify_input *in, mantle_claims *out,
                  av_err *e)
{
    return snp_verify(in, NULL, out, e);
}
