/* sgx.h - Intel SGX DCAP ECDSA quotes, v3.
 * SPDX-License-Identifier: Apache-2.0
 *
 * 48-byte header (QE SVN at 8, PCE SVN at 10), the 384-byte ISV enclave
 * report body at 48; the quote signature covers [0, 432). The QE report
 * sits directly in the signature data (not in certification data type 6).
 */
#ifndef MANTLE_AV_SGX_H
#define MANTLE_AV_SGX_H

#include "intel.h"

enum { SGX_SIGNED_SIZE = INTEL_HEADER_SIZE + SGX_REPORT_BODY_SIZE };

typedef struct sgx_quote {
    intel_header header;
    sgx_report_body body;
    intel_sig_data sig;
    intel_pck pck;                /* filled by sgx_verify */
    intel_eval eval;
} sgx_quote;

int sgx_quote_parse(const uint8_t *buf, size_t len, sgx_quote *out,
                    av_err *e);
int sgx_verify(const mantle_verify_input *in, sgx_quote *out_quote,
               mantle_claims *out_claims, av_err *e);

#endif
