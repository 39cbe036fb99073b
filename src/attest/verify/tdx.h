/* tdx.h - Intel TDX DCAP quotes, v4 and v5.
 * SPDX-License-Identifier: Apache-2.0
 *
 * v4: 48-byte header, TD report body at 0x30 (0x248 bytes). v5: body type
 * (u16) and size (u32) at 0x30, body at 0x36: type 2 = TDX 1.0 (0x248),
 * type 3 = TDX 1.5 (0x288, adds TEE_TCB_SVN2 and MRSERVICETD). The quote
 * signature covers [0, end of body).
 */
#ifndef MANTLE_AV_TDX_H
#define MANTLE_AV_TDX_H

#include "intel.h"

enum {
    TDX_TEE_TYPE = 0x81,
    TDX_BODY_10 = 0x248,
    TDX_BODY_15 = 0x288,
};

typedef struct tdx_body {
    uint8_t tee_tcb_svn[16], mrseam[48], mrsignerseam[48];
    uint8_t seam_attributes[8], td_attributes[8], xfam[8];
    uint8_t mrtd[48], mrconfigid[48], mrowner[48], mrownerconfig[48];
    uint8_t rtmr[4][48];
    uint8_t report_data[64];
    uint8_t tee_tcb_svn2[16], mrservicetd[48];  /* TDX 1.5 bodies only */
} tdx_body;

typedef struct tdx_quote {
    intel_header header;
    uint16_t body_type;           /* v5; 2 for v4 quotes */
    uint32_t body_size;
    size_t signed_len;            /* 0x278 (v4) or 0x36 + body_size (v5) */
    tdx_body body;
    intel_sig_data sig;           /* pointers into the parsed bytes */
    intel_pck pck;                /* filled by tdx_verify */
    intel_eval eval;
} tdx_quote;

int tdx_quote_parse(const uint8_t *buf, size_t len, tdx_quote *out,
                    av_err *e);
int tdx_verify(const mantle_verify_input *in, tdx_quote *out_quote,
               mantle_claims *out_claims, av_err *e);

#endif
