/* tdx.c - verify Intel TDX quotes (v4, v5) and their collateral.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Bytes after the signature data are not signed; like go-tdx-guest we
 * accept and ignore them (tdx_quote.sig.trailing counts them).
 */
#include <string.h>

#include "tdx.h"

static void body_parse(const uint8_t *p, bool v15, tdx_body *b)
{
    memset(b, 0, sizeof *b);
    memcpy(b->tee_tcb_svn, p, 16);
    memcpy(b->mrseam, p + 16, 48);
    memcpy(b->mrsignerseam, p + 64, 48);
    memcpy(b->seam_attributes, p + 112, 8);
    memcpy(b->td_attributes, p + 120, 8);
    memcpy(b->xfam, p + 128, 8);
    memcpy(b->mrtd, p + 136, 48);
    memcpy(b->mrconfigid, p + 184, 48);
    memcpy(b->mrowner, p + 232, 48);
    memcpy(b->mrownerconfig, p + 280, 48);
    for (int i = 0; i < 4; i++)
        memcpy(b->rtmr[i], p + 328 + 48 * i, 48);
    memcpy(b->report_data, p + 520, 64);
    if (v15) {
        memcpy(b->tee_tcb_svn2, p + 584, 16);
        memcpy(b->mrservicetd, p + 600, 48);
    }
}

int tdx_quote_parse(const uint8_t *buf, size_t len, tdx_quote *out,
                    av_err *e)
{
    tdx_quote q;
    size_t body_off;
    int rc;

    memset(&q, 0, sizeof q);
    if (len < INTEL_HEADER_SIZE)
        return av_fail(e, MANTLE_VERIFY_TRUNCATED,
                       "TDX quote: %zu bytes, shorter than its header", len);
    intel_header_parse(buf, &q.header);
    if (q.header.version != 4 && q.header.version != 5)
        return av_fail(e, MANTLE_VERIFY_UNSUPPORTED,
                       "TDX quote: version %u (4 and 5 supported)",
                       q.header.version);
    if (q.header.att_key_type != INTEL_ATT_KEY_ECDSA_P256)
        return av_fail(e, MANTLE_VERIFY_UNSUPPORTED,
                       "TDX quote: attestation key type %u (2, ECDSA P-256, "
                       "supported)",
                       q.header.att_key_type);
    if (q.header.version == 4) {
        q.body_type = 2;
        q.body_size = TDX_BODY_10;
        body_off = INTEL_HEADER_SIZE;
    } else {
        if (len < INTEL_HEADER_SIZE + 6)
            return av_fail(e, MANTLE_VERIFY_TRUNCATED,
                           "TDX quote v5: no body type and size");
        q.body_type = av_le16(buf + 0x30);
        q.body_size = av_le32(buf + 0x32);
        body_off = INTEL_HEADER_SIZE + 6;
        if (!(q.body_type == 2 && q.body_size == TDX_BODY_10) &&
            !(q.body_type == 3 && q.body_size == TDX_BODY_15))
            return av_fail(e, MANTLE_VERIFY_UNSUPPORTED,
                           "TDX quote v5: body type %u of %u bytes (2: 0x248, "
                           "3: 0x288 supported)",
                           q.body_type, q.body_size);
    }
    if (len < body_off + q.body_size)
        return av_fail(e, MANTLE_VERIFY_TRUNCATED,
                       "TDX quote: %zu bytes, the TD report body ends at %zu",
                       len, body_off + q.body_size);
    body_parse(buf + body_off, q.body_type == 3, &q.body);
    q.signed_len = body_off + q.body_size;
    if ((rc = intel_sig_data_parse(buf, len, q.signed_len, true, &q.sig, e)))
        return rc;
    *out = q;
    return MANTLE_VERIFY_OK;
}

int tdx_verify(const mantle_verify_input *in, tdx_quote *out_quote,
               mantle_claims *out_claims, av_err *e)
{
    static const char *const rtmr[4] = {"rtmr0", "rtmr1", "rtmr2", "rtmr3"};
    tdx_quote q;
    mantle_claims c;
    intel_tdx_tcb tcb;
    int rc;

    if ((rc = tdx_quote_parse(in->evidence.data, in->evidence.len, &q, e)))
        return rc;
    tcb.tee_tcb_svn = q.body.tee_tcb_svn;
    tcb.mrsignerseam = q.body.mrsignerseam;
    tcb.seam_attributes = q.body.seam_attributes;
    if ((rc = intel_verify(in, in->evidence.data, q.signed_len, &q.sig, &tcb,
                           &q.pck, &q.eval, e)))
        return rc;
    /* Checked once signed: a flipped byte is a signature failure. */
    if (q.header.tee_type != TDX_TEE_TYPE)
        return av_fail(e, MANTLE_VERIFY_UNSUPPORTED,
                       "TDX quote: TEE type 0x%x is not TDX (0x81)",
                       q.header.tee_type);
    av_claims_init(&c, MANTLE_TEE_TDX);
    c.version = q.header.version;
    c.measurement_len = 48;
    memcpy(c.measurement, q.body.mrtd, 48);
    c.report_data_len = 64;
    memcpy(c.report_data, q.body.report_data, 64);
    c.debug = (q.body.td_attributes[0] & 1) != 0;  /* TUD.DEBUG */
    c.tcb_len = 16;
    memcpy(c.tcb, q.body.tee_tcb_svn, 16);
    c.tcb_status = q.eval.tcb_evaluated ? q.eval.combined : MANTLE_TCB_UNKNOWN;
    for (int i = 0; i < 4; i++)
        av_claims_add(&c, rtmr[i], q.body.rtmr[i], 48);
    av_claims_add(&c, "mrseam", q.body.mrseam, 48);
    av_claims_add(&c, "mrsignerseam", q.body.mrsignerseam, 48);
    av_claims_add(&c, "mrconfigid", q.body.mrconfigid, 48);
    av_claims_add(&c, "mrowner", q.body.mrowner, 48);
    av_claims_add(&c, "mrownerconfig", q.body.mrownerconfig, 48);
    av_claims_add(&c, "td_attributes", q.body.td_attributes, 8);
    av_claims_add(&c, "xfam", q.body.xfam, 8);
    if (q.body_type == 3)
        av_claims_add(&c, "mrservicetd", q.body.mrservicetd, 48);
    av_claims_add(&c, "fmspc", q.pck.fmspc, 6);
    if ((rc = av_check_report_data(in, &c, e)))
        return rc;
    if (out_quote)
        *out_quote = q;
    *out_claims = c;
    return MANTLE_VERIFY_OK;
}

int av_verify_tdx(const mantle_verify_input *in, mantle_claims *out,
                  av_err *e)
{
    return tdx_verify(in, NULL, out, e);
}
