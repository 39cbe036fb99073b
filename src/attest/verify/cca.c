/* cca.c - placeholder. SPDX-License-Identifier: Apache-2.0 */
#include "av.h"
int av_verify_cca(const mantle_verify_input *in, mantle_claims *out, av_err *e)
{
    (void)in; (void)out;
    return av_fail(e, MANTLE_VERIFY_UNSUPPORTED, "cca: not yet");
}
