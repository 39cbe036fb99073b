/* hostile.c - a guest that abuses the TEE services: bad pointers, huge and
 * wrapping lengths, overlapping buffers, repeated calls. Every call must
 * return an errno; the host must never crash or trap.
 * SPDX-License-Identifier: Apache-2.0
 *
 * usage: hostile            the abuse tests, then "ok"
 *        hostile unseal F   try to open the sealed file F (another module's)
 *                           and print the errno name
 *        hostile count      increment this module's counter and print the
 *                           new value, or the errno name
 * Needs --tee=soft and --secret greeting=@FILE holding "hello".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mantle/tee.h>

#define RAW(name) __attribute__((import_module("mantle"), import_name(name)))
RAW("tee_evidence") uint32_t raw_evidence(uint32_t, uint32_t, uint32_t, uint32_t,
                                          uint32_t);
RAW("tee_identity") uint32_t raw_identity(uint32_t);
RAW("tee_seal") uint32_t raw_seal(uint32_t, uint32_t, uint32_t, uint32_t,
                                  uint32_t, uint32_t, uint32_t);
RAW("tee_unseal") uint32_t raw_unseal(uint32_t, uint32_t, uint32_t, uint32_t,
                                      uint32_t, uint32_t, uint32_t);
RAW("tee_secret") uint32_t raw_secret(uint32_t, uint32_t, uint32_t, uint32_t,
                                      uint32_t);
RAW("tee_counter") uint32_t raw_counter(uint32_t, uint32_t);

enum { E_OK = 0, E_2BIG = 1, E_BADMSG = 9, E_FAULT = 21, E_INVAL = 28,
       E_NOBUFS = 42, E_NOENT = 44, E_STALE = 72 };

static int failed;

#define EXPECT(call, want)                                                    \
    do {                                                                      \
        uint32_t got_ = (call);                                               \
        if (got_ != (uint32_t)(want)) {                                       \
            fprintf(stderr, "FAIL line %d: %s: got %u, want %u\n", __LINE__,  \
                    #call, got_, (unsigned)(want));                           \
            failed = 1;                                                       \
        }                                                                     \
    } while (0)

#define P(x) ((uint32_t)(uintptr_t)(x))

static uint8_t buf[8192], out[8192], big[70000];

int main(int argc, char **argv)
{
    uint32_t end = (uint32_t)(__builtin_wasm_memory_size(0) * 65536u);
    size_t len = 0, len2 = 0;
    mantle_tee_identity id;

    if (argc == 3 && strcmp(argv[1], "unseal") == 0) {
        FILE *f = fopen(argv[2], "rb");
        size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
        uint32_t e;

        if (f)
            fclose(f);
        e = mantle_tee_unseal(buf, n, "demo", 4, out, sizeof out, &len);
        printf("%s\n", e == E_BADMSG ? "BADMSG" : e == 0 ? "OPENED" : "OTHER");
        return 0;
    }

    if (argc == 2 && strcmp(argv[1], "count") == 0) {
        uint64_t v = 0;
        uint32_t e = mantle_tee_counter(1, &v);

        if (e == 0)
            printf("counter %llu\n", (unsigned long long)v);
        else
            printf("%s\n", e == E_STALE ? "STALE" : "OTHER");
        return 0;
    }

    /* counter: bad pointers and operations; only ever up, one at a time */
    {
        uint64_t v0 = 0, v = 0;

        EXPECT(raw_counter(0, end - 4), E_FAULT);
        EXPECT(raw_counter(1, end - 7), E_FAULT);
        EXPECT(raw_counter(0, 0xfffffffcu), E_FAULT);
        EXPECT(raw_counter(2, P(&v)), E_INVAL);
        EXPECT(raw_counter(0xffffffffu, P(&v)), E_INVAL);
        EXPECT(raw_counter(1, end - 8), E_OK);   /* the last 8 bytes */
        EXPECT(raw_counter(0, P(&v0)), E_OK);
        memset(buf, 0x5a, 16);
        EXPECT(raw_counter(1, P(buf + 1)), E_OK);  /* unaligned */
        memcpy(&v, buf + 1, 8);
        EXPECT(v == v0 + 1 && buf[0] == 0x5a && buf[9] == 0x5a, 1);
        for (int i = 0; i < 30; i++) {
            uint64_t prev = v;

            EXPECT(raw_counter(1, P(&v)), E_OK);
            EXPECT(v == prev + 1, 1);
        }
        EXPECT(raw_counter(0, P(&v)), E_OK);
        EXPECT(v == v0 + 31, 1);
        v = 0x1234;
        EXPECT(raw_counter(7, P(&v)), E_INVAL);
        EXPECT(v == 0x1234, 1);  /* untouched on failure */
    }

    /* evidence: bad data, out and out_len pointers; too much data */
    EXPECT(raw_evidence(end - 10, 64, P(out), sizeof out, P(&len)), E_FAULT);
    EXPECT(raw_evidence(0xffffffc0u, 64, P(out), sizeof out, P(&len)), E_FAULT);
    EXPECT(raw_evidence(P(buf), 65, P(out), sizeof out, P(&len)), E_INVAL);
    EXPECT(raw_evidence(P(buf), 0xffffffffu, P(out), sizeof out, P(&len)), E_INVAL);
    EXPECT(raw_evidence(P(buf), 64, end - 100, 4096, P(&len)), E_FAULT);
    EXPECT(raw_evidence(P(buf), 64, P(out), 0xffffffffu, P(&len)), E_FAULT);
    EXPECT(raw_evidence(P(buf), 64, P(out), sizeof out, end - 2), E_FAULT);
    EXPECT(raw_evidence(P(buf), 64, P(out), sizeof out, 0xfffffffeu), E_FAULT);
    /* too small: NOBUFS with the size, nothing written */
    memset(out, 0xa5, 64);
    len = 0;
    EXPECT(raw_evidence(P(buf), 64, P(out), 64, P(&len)), E_NOBUFS);
    if (len <= 64 || out[0] != 0xa5) {
        fprintf(stderr, "FAIL: NOBUFS: len %zu, out touched %d\n", len,
                out[0] != 0xa5);
        failed = 1;
    }
    /* repeated calls, data and output overlapping */
    for (int i = 0; i < 20; i++) {
        memset(out, i, 64);
        EXPECT(raw_evidence(P(out), 64, P(out), sizeof out, P(&len2)), E_OK);
        if (len2 != len) {
            fprintf(stderr, "FAIL: evidence size changed: %zu vs %zu\n", len2, len);
            failed = 1;
        }
    }
    EXPECT(raw_evidence(P(buf), 0, P(out), sizeof out, P(&len)), E_OK);
    EXPECT(raw_evidence(end, 0, P(out), sizeof out, P(&len)), E_OK);

    /* identity */
    EXPECT(raw_identity(end - 100), E_FAULT);
    EXPECT(raw_identity(0xffffffffu), E_FAULT);
    EXPECT(raw_identity(P(&id)), E_OK);
    EXPECT(id.tee_kind, MANTLE_TEE_SOFT);
    EXPECT(id.flags & MANTLE_TEE_DEBUG, MANTLE_TEE_DEBUG);

    /* seal: huge and wrapping lengths, bad aad, bad out */
    EXPECT(raw_seal(P(buf), 0xffffffffu, 0, 0, P(out), sizeof out, P(&len)), E_FAULT);
    EXPECT(raw_seal(0xffffff00u, 0x200, 0, 0, P(out), sizeof out, P(&len)), E_FAULT);
    EXPECT(raw_seal(P(buf), 16, end - 1, 2, P(out), sizeof out, P(&len)), E_FAULT);
    EXPECT(raw_seal(P(buf), 16, 0, 0, end - 8, 100, P(&len)), E_FAULT);
    EXPECT(raw_seal(P(buf), 16, 0, 0, P(out), sizeof out, end), E_FAULT);
    EXPECT(raw_seal(P(big), sizeof big, 0, 0, P(out), sizeof out, P(&len)), E_NOBUFS);
    EXPECT((uint32_t)len, sizeof big + MANTLE_TEE_SEAL_OVERHEAD);
    /* in place: the blob overwrites its own plaintext */
    memcpy(buf, "in place", 8);
    EXPECT(raw_seal(P(buf), 8, P("aad"), 3, P(buf), sizeof buf, P(&len)), E_OK);
    EXPECT((uint32_t)len, 8 + MANTLE_TEE_SEAL_OVERHEAD);
    EXPECT(raw_unseal(P(buf), (uint32_t)len, P("aad"), 3, P(buf), sizeof buf,
                      P(&len2)), E_OK);
    EXPECT(memcmp(buf, "in place", 8) == 0 && len2 == 8, 1);

    /* unseal: garbage, truncated, wrong aad; output untouched */
    memset(buf, 0x33, 200);
    memset(out, 0x77, 200);
    EXPECT(raw_unseal(P(buf), 200, 0, 0, P(out), sizeof out, P(&len)), E_BADMSG);
    EXPECT(raw_unseal(P(buf), 28, 0, 0, P(out), sizeof out, P(&len)), E_BADMSG);
    EXPECT(raw_unseal(P(buf), 0, 0, 0, P(out), sizeof out, P(&len)), E_BADMSG);
    EXPECT(raw_seal(P("secret"), 6, P("A"), 1, P(buf), sizeof buf, P(&len)), E_OK);
    EXPECT(raw_unseal(P(buf), (uint32_t)len, P("B"), 1, P(out), sizeof out,
                      P(&len2)), E_BADMSG);
    EXPECT(out[0] == 0x77 && out[5] == 0x77, 1);
    EXPECT(raw_unseal(P(buf), (uint32_t)len, P("A"), 1, P(out), 3, P(&len2)),
           E_NOBUFS);
    EXPECT(raw_unseal(P(buf), (uint32_t)len, P("A"), 1, end - 3, 6, P(&len2)),
           E_FAULT);
    EXPECT(raw_unseal(0xfffffff0u, 0x100, 0, 0, P(out), sizeof out, P(&len)), E_FAULT);
    for (int i = 0; i < 1000; i++)
        EXPECT(raw_unseal(P(buf), (uint32_t)len, P("A"), 1, P(out), sizeof out,
                          P(&len2)), E_OK);

    /* secrets */
    EXPECT(raw_secret(P("nonesuch"), 8, P(out), sizeof out, P(&len)), E_NOENT);
    EXPECT(raw_secret(end - 2, 8, P(out), sizeof out, P(&len)), E_FAULT);
    EXPECT(raw_secret(P("greeting"), 0xffffffffu, P(out), sizeof out, P(&len)), E_FAULT);
    EXPECT(raw_secret(P("greeting"), 8, end - 2, 8, P(&len)), E_FAULT);
    EXPECT(raw_secret(P("greeting"), 8, P(out), 2, P(&len)), E_NOBUFS);
    EXPECT(raw_secret(P("greeting"), 8, P(out), sizeof out, P(&len)), E_OK);
    EXPECT(len == 5 && memcmp(out, "hello", 5) == 0, 1);
    EXPECT(raw_secret(P("greetin"), 7, P(out), sizeof out, P(&len)), E_NOENT);

    if (failed)
        return 1;
    printf("ok\n");
    return 0;
}
