/* sgx.c - verify Intel SGX DCAP ECDSA quotes (v3) and their collateral.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <string.h>

#include "sgx.h"

int sgx_quote_parse(const uint8_t *buf, size_t len, sgx_quote *out,
                    av_err *e)
{
    sgx_quote q;
    int rc;

    memset(&q, 0, sizeof q);
    if (len < SGX_SIGNED_SIZE)
        return av_fail(e, MANTLE_VERIFY_TRUNCATED,
                       "SGX quote: %zu bytes, shorter than header and report "
                       "body (%d)",
                       len, SGX_SIGNED_SIZE);
    intel_header_parse(buf, &q.header);
    if (q.header.version != 3)
        return av_fail(e, MANTLE_VERIFY_UNSUPPORTED,
                       "SGX quote: version %u (3 supported)", q.header.version);
    if (q.header.att_key_type != INTEL_ATT_KEY_ECDSA_P256)
        return av_fail(e, MANTLE_VERIFY_UNSUPPORTED,
                       "SGX quote: attestation key type %u (2, ECDSA P-256, "
                       "supported)",
                       q.header.att_key_type);
    sgx_report_body_parse(buf + INTEL_HEADER_SIZE, &q.body);
    if ((rc = intel_sig_data_parse(buf, len, SGX_SIGNED_SIZE, false, &q.sig,
                                   e)))
        return rc;
    *out = q;
    return MANTLE_VERIFY_OK;
}

int sgx_verify(const mantle_verify_input *in, sgx_quote *out_quote,
               mantle_claims *out_claims, av_err *e)
{
    sgx_quote q;
    mantle_claims c;
    int rc;

    if ((rc = sgx_quote_parse(in->evidence.data, in->evidence.len, &q, e)))
        return rc;
    if ((rc = intel_verify(in, in->evidence.data, SGX_SIGNED_SIZE, &q.sig,
                           NULL, &q.pck, &q.eval, e)))
        return rc;
    av_claims_init(&c, MANTLE_TEE_SGX);
    c.version = q.header.version;
    intel_report_claims(&q.body, &c);
    c.tcb_status = q.eval.tcb_evaluated ? q.eval.combined : MANTLE_TCB_UNKNOWN;
    av_claims_add(&c, "fmspc", q.pck.fmspc, 6);
    if ((rc = av_check_report_data(in, &c, e)))
        return rc;
    if (out_quote)
        *out_quote = q;
    *out_claims = c;
    return MANTLE_VERIFY_OK;
}

int av_verify_sgx(const mantle_verify_input *in, mantle_claims *out,
                  av_err *e)
{
    return sgx_verify(in, NULL, out, e);
}
