/* fuzz_broker.c - libFuzzer target for the key broker's request handler
 * and the client's parsers of broker replies (untrusted on both sides).
 * SPDX-License-Identifier: Apache-2.0
 *
 * The first byte picks: 0 auth body, 1 attestation body on a fresh
 * session, 2 a request path, 3 a challenge, 4 a resource reply (JWE).
 * The broker keeps its state in an in-memory SQLite database.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mantle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static mantle_broker *broker;
static mantle_kbs_client *client;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A COSE_Key root, so evidence that parses reaches the chain checks. */
    static const uint8_t root[45] = {0xa5, 0x01, 0x01, 0x03, 0x27, 0x04, 0x81,
                                     0x02, 0x20, 0x06, 0x21, 0x58, 0x20, 1};
    mantle_broker_reply r;
    mantle_diag diag;
    uint8_t rd[64], *pt = NULL;
    size_t n = 0;
    char *s;

    if (!broker &&
        (mantle_broker_open(":memory:", root, sizeof root, NULL, 0, &broker,
                            &diag) != MANTLE_OK ||
         mantle_kbs_client_new(&client, &diag) != MANTLE_OK))
        abort();
    if (size < 1)
        return 0;
    switch (data[0] % 5) {
    case 0:
        mantle_broker_handle(broker, "POST", "/kbs/v0/auth", NULL, NULL,
                             data + 1, size - 1, 1800000000, &r);
        mantle_broker_reply_free(&r);
        break;
    case 1: {
        char cookie[64];
        mantle_broker_handle(broker, "POST", "/kbs/v0/auth", NULL, NULL,
                             (const uint8_t *)mantle_kbs_auth_request(),
                             strlen(mantle_kbs_auth_request()), 1800000000,
                             &r);
        memcpy(cookie, r.cookie, sizeof cookie);
        mantle_broker_reply_free(&r);
        mantle_broker_handle(broker, "POST", "/kbs/v0/attest", cookie, NULL,
                             data + 1, size - 1, 1800000000, &r);
        mantle_broker_reply_free(&r);
        break;
    }
    case 2:
        if ((s = malloc(size)) == NULL)
            return 0;
        memcpy(s, data + 1, size - 1);
        s[size - 1] = '\0';
        mantle_broker_handle(broker, "GET", s, "kbs-session-id=00", "Bearer x",
                             NULL, 0, 1800000000, &r);
        mantle_broker_reply_free(&r);
        free(s);
        break;
    case 3:
        (void)mantle_kbs_client_challenge(client, (const char *)data + 1,
                                          size - 1, rd, &diag);
        break;
    case 4:
        if (mantle_kbs_client_open(client, (const char *)data + 1, size - 1,
                                   &pt, &n, &diag) == MANTLE_OK)
            free(pt);
        break;
    }
    return 0;
}
