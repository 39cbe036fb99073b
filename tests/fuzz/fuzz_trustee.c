/* fuzz_trustee.c - libFuzzer target for Trustee's evidence encodings
 * (src/attest/trustee.c) and the broker's handling of Trustee clients.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The first byte picks: 0 snp, 1 tdx, 2 sgx evidence JSON, decoded,
 * re-encoded (which must decode to the same bytes) and verified; 3 an
 * attestation body for a session opened as "snp", "tdx" or "sgx" (the
 * second byte). The broker keeps its state in an in-memory database.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attest/kbs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static mantle_broker *broker;

static void roundtrip(mantle_tee_kind kind, const uint8_t *p, size_t n)
{
    json_t *ev = json_loadb((const char *)p, n, 0, NULL), *again;
    kbs_trustee_evidence t, u;
    mantle_verify_input in;
    mantle_claims c;
    mantle_verify_reason why;
    mantle_diag diag;
    uint8_t rd[64] = {0};
    av_err e;

    if (!ev)
        return;
    if (kbs_trustee_decode(kind, ev, &t, &e) == MANTLE_VERIFY_OK) {
        /* What decodes must encode to what decodes to the same bytes. */
        again = kbs_trustee_encode(kind, t.bytes, t.len);
        if (!again || kbs_trustee_decode(kind, again, &u, &e) != 0 ||
            u.len != t.len || memcmp(u.bytes, t.bytes, t.len) != 0)
            abort();
        kbs_trustee_evidence_free(&u);
        json_decref(again);
        kbs_trustee_evidence_free(&t);
        memset(&in, 0, sizeof in);
        in.time = 1748736000;
        (void)kbs_trustee_verify(kind, ev, &in, rd, &c, &why, &diag);
    }
    json_decref(ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const mantle_tee_kind kinds[3] = {MANTLE_TEE_SNP, MANTLE_TEE_TDX,
                                             MANTLE_TEE_SGX};
    static const char *const auth[3] = {
        "{\"version\":\"0.4.0\",\"tee\":\"snp\",\"extra-params\":{}}",
        "{\"version\":\"0.4.0\",\"tee\":\"tdx\",\"extra-params\":{}}",
        "{\"version\":\"0.4.0\",\"tee\":\"sgx\",\"extra-params\":{}}",
    };
    mantle_broker_reply r;
    mantle_diag diag;
    char cookie[64];
    const char *a;

    if (!broker &&
        mantle_broker_open(":memory:", NULL, 0, NULL, 0, &broker, &diag) !=
            MANTLE_OK)
        abort();
    if (size < 2)
        return 0;
    if (data[0] % 4 < 3) {
        roundtrip(kinds[data[0] % 4], data + 1, size - 1);
        return 0;
    }
    a = auth[data[1] % 3];
    mantle_broker_handle(broker, "POST", "/kbs/v0/auth", NULL, NULL,
                         (const uint8_t *)a, strlen(a), 1800000000, &r);
    memcpy(cookie, r.cookie, sizeof cookie);
    mantle_broker_reply_free(&r);
    mantle_broker_handle(broker, "POST", "/kbs/v0/attest", cookie, NULL,
                         data + 2, size - 2, 1800000000, &r);
    mantle_broker_reply_free(&r);
    return 0;
}
