/* tee_demo.c - a guest that proves what it is and keeps data no host can read.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Run with a directory granted as /data:
 *   mantle run --tee=soft --dir state::/data tee_demo.wasm [NONCE]
 * It prints its identity, writes evidence for NONCE to /data/evidence.cbor
 * (`mantle evidence show` reads it), and seals a note into /data/sealed.bin
 * on its first run; later runs unseal and print it; each run counts itself
 * on the module's monotonic counter. Another module, this
 * module under another launch configuration, or another node's device
 * secret cannot open the note: the run then exits 3.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mantle/tee.h>

static const char *const kinds[] = {"soft", "tpm", "sev-snp", "tdx", "cca"};

static void hex(const char *label, const uint8_t *p, size_t n)
{
    printf("%-10s ", label);
    for (size_t i = 0; i < n; i++)
        printf("%02x", p[i]);
    printf("\n");
}

static int write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");

    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        perror(path);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static uint8_t ev[64 * 1024], blob[4096], note[4096];
    mantle_tee_identity id;
    const char *nonce = argc > 1 ? argv[1] : "mantle demo nonce";
    const char *msg = "launch codes: sealed by the first run of this module";
    size_t n = 0;
    uint32_t e;
    FILE *f;

    if ((e = mantle_tee_identity_get(&id)) != 0) {
        fprintf(stderr, "identity: errno %u\n", e);
        return 1;
    }
    printf("tee        %s%s\n", id.tee_kind < 5 ? kinds[id.tee_kind] : "?",
           id.flags & MANTLE_TEE_DEBUG ? " (debug: no hardware isolation)" : "");
    hex("module", id.module_digest, 32);
    hex("config", id.config_digest, 32);
    hex("key", id.attestation_key, 32);

    e = mantle_tee_evidence(nonce, strlen(nonce) > 64 ? 64 : strlen(nonce), ev,
                            sizeof ev, &n);
    if (e != 0) {
        fprintf(stderr, "evidence: errno %u\n", e);
        return 1;
    }
    if (write_file("/data/evidence.cbor", ev, n) != 0)
        return 1;
    printf("evidence   %zu bytes for nonce \"%.64s\" -> /data/evidence.cbor\n", n,
           nonce);

    if ((f = fopen("/data/sealed.bin", "rb")) != NULL) {
        size_t len = fread(blob, 1, sizeof blob, f);

        fclose(f);
        e = mantle_tee_unseal(blob, len, "demo", 4, note, sizeof note - 1, &n);
        if (e != 0) {
            printf("unseal     refused (errno %u): not sealed by this module "
                   "under this configuration on this node\n", e);
            return 3;
        }
        note[n] = '\0';
        printf("unsealed   \"%s\"\n", (char *)note);
    } else {
        e = mantle_tee_seal(msg, strlen(msg), "demo", 4, blob, sizeof blob, &n);
        if (e != 0) {
            fprintf(stderr, "seal: errno %u\n", e);
            return 1;
        }
        if (write_file("/data/sealed.bin", blob, n) != 0)
            return 1;
        printf("sealed     %zu bytes -> /data/sealed.bin (run again to unseal)\n",
               n);
    }
    e = mantle_tee_secret("greeting", 8, note, sizeof note - 1, &n);
    if (e == 0) {
        note[n] = '\0';
        printf("secret     greeting = \"%s\"\n", (char *)note);
    }
    {
        uint64_t runs = 0;

        /* this module's monotonic counter: a rollback guard for sealed
         * state (store the value inside what you seal) */
        e = mantle_tee_counter(1, &runs);
        if (e == 0)
            printf("counter    %llu (runs of this module here; only goes up)\n",
                   (unsigned long long)runs);
        else
            printf("counter    unavailable (errno %u)\n", e);
    }
    return 0;
}
