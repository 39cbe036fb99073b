/* snp.h - AMD SEV-SNP attestation reports: layout, VCEK/VLEK extensions.
 * SPDX-License-Identifier: Apache-2.0
 *
 * SEV-SNP ABI specification (AMD 56860), ATTESTATION_REPORT: 0x4A0 bytes,
 * little-endian; ECDSA P-384 / SHA-384 over bytes [0, 0x2A0); R and S are
 * 72-byte little-endian fields at 0x2A0 and 0x2E8.
 */
#ifndef MANTLE_AV_SNP_H
#define MANTLE_AV_SNP_H

#include "av.h"

enum {
    SNP_REPORT_SIZE = 0x4A0,
    SNP_SIGNED_SIZE = 0x2A0,
    SNP_POLICY_DEBUG = 1u << 19,
    SNP_SIGNER_VCEK = 0,
    SNP_SIGNER_VLEK = 1,
};

/* TCB_VERSION decoded. Milan/Genoa: byte 0 boot loader, 1 TEE, 6 SNP,
 * 7 microcode. Turin: 0 FMC, 1 boot loader, 2 TEE, 3 SNP, 7 microcode. */
typedef struct snp_tcb {
    uint8_t fmc, bootloader, tee, snp, microcode;
} snp_tcb;

typedef struct snp_report {
    uint32_t version, guest_svn;
    uint64_t policy;
    uint8_t family_id[16], image_id[16];
    uint32_t vmpl, signature_algo;
    uint64_t current_tcb, platform_info;
    uint32_t signer_info;          /* bit 0 AUTHOR_KEY_EN, 1 MASK_CHIP_KEY,
                                      4:2 SIGNING_KEY */
    uint8_t report_data[64], measurement[48], host_data[32];
    uint8_t id_key_digest[48], author_key_digest[48];
    uint8_t report_id[32], report_id_ma[32];
    uint64_t reported_tcb;
    uint8_t cpuid_fam_id, cpuid_mod_id, cpuid_step;  /* version >= 3 */
    uint8_t chip_id[64];
    uint64_t committed_tcb;
    uint8_t current_build, current_minor, current_major;
    uint8_t committed_build, committed_minor, committed_major;
    uint64_t launch_tcb;
    uint8_t sig_r[48], sig_s[48];  /* big-endian, converted */
} snp_report;

/* What a VCEK or VLEK certificate says (AMD extensions 1.3.6.1.4.1.3704). */
typedef struct snp_cert_info {
    bool vlek;                  /* CN "SEV-VLEK" */
    bool turin;                 /* has fmcSPL: Turin TCB layout */
    char product[32];
    snp_tcb spl;                /* blSPL, teeSPL, snpSPL, ucodeSPL, fmcSPL */
    size_t hwid_len;            /* 0 for a VLEK */
    uint8_t hwid[64];
} snp_cert_info;

/* Parse a report: exactly SNP_REPORT_SIZE bytes (TRUNCATED if fewer,
 * MALFORMED if more), version 2..5, signature algorithm 1. */
int snp_report_parse(const uint8_t *buf, size_t len, snp_report *out,
                     av_err *e);
void snp_tcb_decode(uint64_t raw, bool turin, snp_tcb *out);
/* Read the AMD extensions of a VCEK/VLEK (hwID raw or in an OCTET STRING). */
int snp_cert_parse(X509 *x, snp_cert_info *out, av_err *e);
/* REPORTED_TCB must equal the certificate's SPLs, CHIP_ID its hwID. */
int snp_check_binding(const snp_report *r, const snp_cert_info *ci,
                      av_err *e);
/* The whole verification; *out_report and *out_claims only on success. */
int snp_verify(const mantle_verify_input *in, snp_report *out_report,
               mantle_claims *out_claims, av_err *e);

#endif
