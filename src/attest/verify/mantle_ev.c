/* mantle_ev.c - Mantle's own EAT/DICE evidence (src/tee/eat.c): not yet
 * verified here.
 * SPDX-License-Identifier: Apache-2.0
 *
 * To do: decode the RFC 9711 EAT (COSE_Sign1, profile TEE_EAT_PROFILE),
 * walk its DICE chain (claim -70005: root COSE_Key, layer certificates)
 * from a trusted root key (--root), verify the EAT with the leaf key, and
 * verify the embedded platform evidence (claim -70006) with the family
 * verifier, whose report data must be tee_eat_binding() of the EAT.
 * Until then every such evidence is refused as unsupported.
 */
#include "av.h"

int av_verify_mantle(const mantle_verify_input *in, mantle_claims *out,
                     av_err *e)
{
    (void)in;
    (void)out;
    return av_fail(e, MANTLE_VERIFY_UNSUPPORTED,
                   "mantle evidence: not verified yet (EAT/DICE verifier "
                   "missing)");
}
