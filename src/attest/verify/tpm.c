/* tpm.c - verify TPM 2.0 quotes: the AK signature over TPMS_ATTEST, and
 * the PCR values against the quoted PCR digest.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The AK is the one in the evidence unless the caller gives one (--cert);
 * trusting the AK (an EK certificate, a registration) is the caller's
 * policy: this verifier proves only "this AK quoted these PCRs and nonce".
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include "tpm.h"

typedef struct rd {
    const uint8_t *p, *end;
    bool ok;
} rd;

static uint16_t u16(rd *r)
{
    if (r->end - r->p < 2) {
        r->ok = false;
        return 0;
    }
    r->p += 2;
    return av_be16(r->p - 2);
}

static uint32_t u32(rd *r)
{
    if (r->end - r->p < 4) {
        r->ok = false;
        return 0;
    }
    r->p += 4;
    return av_be32(r->p - 4);
}

static uint64_t u64(rd *r)
{
    if (r->end - r->p < 8) {
        r->ok = false;
        return 0;
    }
    r->p += 8;
    return av_be64(r->p - 8);
}

/* A TPM2B into out (cap bytes); *len its size. */
static void tpm2b(rd *r, uint8_t *out, size_t cap, uint16_t *len)
{
    uint16_t n = u16(r);

    if (!r->ok || (size_t)(r->end - r->p) < n || n > cap) {
        r->ok = false;
        return;
    }
    memcpy(out, r->p, n);
    *len = n;
    r->p += n;
}

static const EVP_MD *tpm_md(uint16_t alg)
{
    switch (alg) {
    case TPM_ALG_SHA1: return EVP_sha1();
    case TPM_ALG_SHA256: return EVP_sha256();
    case TPM_ALG_SHA384: return EVP_sha384();
    case TPM_ALG_SHA512: return EVP_sha512();
    }
    return NULL;
}

int tpm_attest_parse(const uint8_t *p, size_t len, tpm_quote *q, av_err *e)
{
    rd r = {p, p + len, true};
    uint32_t count;
    uint8_t nsel;

    q->magic = u32(&r);
    q->type = u16(&r);
    if (r.ok && q->magic != TPM_GENERATED_VALUE)
        return av_fail(e, MANTLE_VERIFY_MALFORMED,
                       "TPMS_ATTEST: magic 0x%08x is not TPM_GENERATED",
                       q->magic);
    if (r.ok && q->type != TPM_ST_ATTEST_QUOTE)
        return av_fail(e, MANTLE_VERIFY_UNSUPPORTED,
                       "TPMS_ATTEST: type 0x%04x is not a quote (0x8018)",
                       q->type);
    tpm2b(&r, q->qualified_signer, sizeof q->qualified_signer,
          &q->signer_len);
    tpm2b(&r, q->extra_data, sizeof q->extra_data, &q->extra_len);
    q->clock = u64(&r);
    q->reset_count = u32(&r);
    q->restart_count = u32(&r);
    if (r.ok && r.p < r.end)
        q->safe = *r.p++;
    else
        r.ok = false;
    q->firmware_version = u64(&r);
    count = u32(&r);
    if (r.ok && count != 1)
        return av_fail(e, MANTLE_VERIFY_UNSUPPORTED,
                       "TPMS_QUOTE_INFO: %u PCR banks (one supported)", count);
    q->pcr_hash = u16(&r);
    nsel = r.ok && r.p < r.end ? *r.p++ : (r.ok = false, 0);
    if (r.ok && (nsel > 4 || (size_t)(r.end - r.p) < nsel))
        r.ok = false;
    q->pcr_select = 0;
    for (uint8_t i = 0; r.ok && i < nsel; i++)
        q->pcr_select |= (uint32_t)*r.p++ << (8 * i);
    tpm2b(&r, q->pcr_digest, sizeof q->pcr_digest, &q->pcr_digest_len);
    if (!r.ok)
        return av_fail(e, MANTLE_VERIFY_TRUNCATED,
                       "TPMS_ATTEST: %zu bytes end inside a field", len);
    if (r.p != r.end)
        return av_fail(e, MANTLE_VERIFY_MALFORMED,
                       "TPMS_ATTEST: %zu bytes after the quote",
                       (size_t)(r.end - r.p));
    return MANTLE_VERIFY_OK;
}

int tpm_signature_parse(const uint8_t *p, size_t len, tpm_quote *q, av_err *e)
{
    rd r = {p, p + len, true};
    uint16_t rl = 0, sl = 0;
    uint8_t rbuf[256], sbuf[256];

    q->sig_alg = u16(&r);
    q->sig_hash = u16(&r);
    if (r.ok && q->sig_alg == TPM_ALG_ECDSA) {
        tpm2b(&r, rbuf, sizeof rbuf, &rl);
        tpm2b(&r, sbuf, sizeof sbuf, &sl);
        if (r.ok && (rl != sl || rl == 0))
            return av_fail(e, MANTLE_VERIFY_MALFORMED,
                           "TPMT_SIGNATURE: ECDSA r and s sizes differ");
        if (r.ok) {
            memcpy(q->sig, rbuf, rl);
            memcpy(q->sig + rl, sbuf, sl);
            q->ecdsa_half = rl;
            q->sig_len = (uint16_t)(rl + sl);
        }
    } else if (r.ok && (q->sig_alg == TPM_ALG_RSASSA ||
                        q->sig_alg == TPM_ALG_RSAPSS)) {
        tpm2b(&r, q->sig, sizeof q->sig, &q->sig_len);
    } else if (r.ok) {
        return av_fail(e, MANTLE_VERIFY_UNSUPPORTED,
                       "TPMT_SIGNATURE: algorithm 0x%04x", q->sig_alg);
    }
    if (!r.ok)
        return av_fail(e, MANTLE_VERIFY_TRUNCATED,
                       "TPMT_SIGNATURE: %zu bytes end inside a field", len);
    if (r.p != r.end)
        return av_fail(e, MANTLE_VERIFY_MALFORMED,
                       "TPMT_SIGNATURE: %zu trailing bytes",
                       (size_t)(r.end - r.p));
    return MANTLE_VERIFY_OK;
}

static bool b64_field(json_t *obj, const char *key, uint8_t **out, size_t *n)
{
    const char *s = json_string_value(json_object_get(obj, key));

    return s != NULL && av_base64(s, strlen(s), out, n);
}

static int check_sig(EVP_PKEY *ak, const tpm_quote *q, const uint8_t *msg,
                     size_t len, av_err *e)
{
    const EVP_MD *md = tpm_md(q->sig_hash);
    EVP_MD_CTX *ctx;
    EVP_PKEY_CTX *pctx = NULL;
    int ok = 0;

    if (md == NULL)
        return av_fail(e, MANTLE_VERIFY_UNSUPPORTED,
                       "TPMT_SIGNATURE: hash 0x%04x", q->sig_hash);
    if (q->sig_alg == TPM_ALG_ECDSA) {
        ok = av_ecdsa_verify_rs(ak, md, msg, len, q->sig, q->ecdsa_half);
    } else if ((ctx = EVP_MD_CTX_new()) != NULL) {
        if (EVP_DigestVerifyInit(ctx, &pctx, md, NULL, ak) == 1 &&
            (q->sig_alg != TPM_ALG_RSAPSS ||
             (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
              EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) ==
                  1)))
            ok = EVP_DigestVerify(ctx, q->sig, q->sig_len, msg, len) == 1;
        EVP_MD_CTX_free(ctx);
    }
    ERR_clear_error();
    if (ok != 1)
        return av_fail(e, MANTLE_VERIFY_SIGNATURE,
                       "TPM quote signature does not verify with the AK");
    return MANTLE_VERIFY_OK;
}

int tpm_verify(const mantle_verify_input *in, tpm_quote *out_quote,
               mantle_claims *out_claims, av_err *e)
{
    json_t *doc, *quote, *pcrs, *v;
    uint8_t *msg = NULL, *sig = NULL, *akder = NULL, *cat = NULL, h[64];
    size_t msg_len, sig_len, ak_len, i;
    tpm_quote *q = NULL;
    EVP_PKEY *ak = NULL;
    mantle_claims c;
    const EVP_MD *md;
    int rc, n;

    if ((doc = json_loadb((const char *)in->evidence.data, in->evidence.len,
                          0, NULL)) == NULL)
        return av_fail(e, MANTLE_VERIFY_MALFORMED, "TPM evidence: not JSON");
    quote = json_object_get(doc, "tpm_quote");
    pcrs = json_object_get(quote, "pcrs");
    if ((q = calloc(1, sizeof *q)) == NULL) {
        rc = av_fail(e, MANTLE_VERIFY_MALFORMED, "out of memory");
        goto out;
    }
    if (!b64_field(quote, "message", &msg, &msg_len) ||
        !b64_field(quote, "signature", &sig, &sig_len) ||
        !json_is_array(pcrs)) {
        rc = av_fail(e, MANTLE_VERIFY_MALFORMED,
                     "TPM evidence: tpm_quote.message, .signature (base64) "
                     "or .pcrs missing or invalid");
        goto out;
    }
    if ((rc = tpm_attest_parse(msg, msg_len, q, e)) ||
        (rc = tpm_signature_parse(sig, sig_len, q, e)))
        goto out;
    if (json_array_size(pcrs) > TPM_MAX_PCRS ||
        (md = tpm_md(q->pcr_hash)) == NULL) {
        rc = av_fail(e, MANTLE_VERIFY_UNSUPPORTED,
                     "TPM evidence: PCR bank 0x%04x or %zu PCRs",
                     q->pcr_hash, json_array_size(pcrs));
        goto out;
    }
    n = EVP_MD_get_size(md);
    json_array_foreach(pcrs, i, v) {
        if (!av_unhex(json_string_value(v), q->pcrs[i], (size_t)n)) {
            rc = av_fail(e, MANTLE_VERIFY_MALFORMED,
                         "TPM evidence: PCR %zu is not %d bytes of hex", i, n);
            goto out;
        }
    }
    q->npcrs = (uint32_t)json_array_size(pcrs);
    /* The AK: the caller's, or the evidence's. */
    if (in->ncerts > 0) {
        ak = av_pubkey_load(in->certs[0].data, in->certs[0].len);
    } else if (b64_field(doc, "ak_public", &akder, &ak_len)) {
        const unsigned char *p = akder;
        ak = d2i_PUBKEY(NULL, &p, (long)ak_len);
    }
    if (ak == NULL) {
        rc = av_fail(e, MANTLE_VERIFY_MISSING,
                     "TPM evidence: no usable attestation key");
        goto out;
    }
    if ((rc = check_sig(ak, q, msg, msg_len, e)))
        goto out;
    /* pcrDigest = H(selected PCR values in index order). */
    if ((cat = malloc(TPM_MAX_PCRS * 64)) == NULL) {
        rc = av_fail(e, MANTLE_VERIFY_MALFORMED, "out of memory");
        goto out;
    }
    size_t off = 0;
    for (unsigned k = 0; k < TPM_MAX_PCRS; k++) {
        if (!(q->pcr_select >> k & 1))
            continue;
        if (k >= q->npcrs) {
            rc = av_fail(e, MANTLE_VERIFY_MISSING,
                         "TPM evidence: PCR %u is quoted but not given", k);
            goto out;
        }
        memcpy(cat + off, q->pcrs[k], (size_t)n);
        off += (size_t)n;
    }
    if (!av_digest(md, cat, off, h) || q->pcr_digest_len != n ||
        CRYPTO_memcmp(h, q->pcr_digest, (size_t)n) != 0) {
        rc = av_fail(e, MANTLE_VERIFY_BINDING,
                     "TPM evidence: PCR values do not hash to the quoted "
                     "PCR digest");
        goto out;
    }
    av_claims_init(&c, MANTLE_TEE_TPM);
    c.version = 2;
    c.measurement_len = (uint32_t)n;
    memcpy(c.measurement, q->pcr_digest, (size_t)n);
    c.report_data_len = q->extra_len;
    memcpy(c.report_data, q->extra_data, q->extra_len);
    for (unsigned k = 0; k < q->npcrs && k < 8; k++) {
        char name[8] = "pcr0";
        name[3] = (char)('0' + k);
        av_claims_add(&c, name, q->pcrs[k], (size_t)n);
    }
    av_claims_add(&c, "signer", q->qualified_signer, q->signer_len);
    if ((rc = av_check_report_data(in, &c, e)))
        goto out;
    if (out_quote)
        *out_quote = *q;
    *out_claims = c;
out:
    EVP_PKEY_free(ak);
    free(cat);
    free(akder);
    free(msg);
    free(sig);
    free(q);
    json_decref(doc);
    return rc;
}

int av_verify_tpm(const mantle_verify_input *in, mantle_claims *out,
                  av_err *e)
{
    return tpm_verify(in, NULL, out, e);
}
