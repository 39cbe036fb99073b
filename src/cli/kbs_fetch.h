/* kbs_fetch.h - attest to a key broker and fetch secrets over HTTPS.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Shared by `mantle run --broker` (src/cli/attest.c) and mantled's fleet
 * replicas (src/agent/member.c, docs/fleet.md); it reports into a buffer
 * and never prints, so each caller words its own messages. Built on
 * include/mantle.h and libcurl (the CLI resolves libcurl lazily).
 */
#ifndef MANTLE_KBS_FETCH_H
#define MANTLE_KBS_FETCH_H

#include <stdbool.h>
#include <stddef.h>

#include "mantle.h"

struct kbs_want {
    const char *name;      /* what the guest asks tee_secret for */
    const char *resource;  /* "REPO/TYPE/TAG" */
};

struct kbs_opts {
    const char *url;       /* https://host:port (no trailing /kbs/v0) */
    const char *ca_file;   /* PEM CA of its TLS certificate, or NULL */
    const char *ca_pem;    /* the same as text, or NULL (both NULL: the
                              system's CAs) */
    bool trustee;          /* platform evidence in Trustee's encoding */
    long timeout_ms;       /* the whole exchange; 0: 30 s */
};

/* Attest `module` under `launch` with `tee` (evidence binding the broker's
 * challenge and an ephemeral key) and fetch n secrets into out[0..n)
 * (free each with kbs_secret_free). 0; -2 when the broker said no, err
 * "auth refused (HTTP 400): <its detail>", "attestation refused (HTTP
 * 401): ..." or "resource R/T/G refused (HTTP 403): ..."; -1 for a
 * transport or local error, said in err. *failed (may be NULL) is the
 * index of the secret the failure concerns, or (size_t)-1 when it came
 * before the resources were asked for (auth, attestation). Secret values
 * are never written into err. */
int kbs_fetch(const struct kbs_opts *o, mantle_tee *tee,
              const mantle_module *module, const mantle_tee_launch *launch,
              const struct kbs_want *want, size_t n, mantle_tee_secret *out,
              size_t *failed, char *err, size_t errlen);
/* Wipe and free a secret kbs_fetch filled (or any malloc'd one). */
void kbs_secret_free(mantle_tee_secret *s);

#endif
