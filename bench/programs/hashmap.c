/* hashmap.c - an open-addressing (linear probing, backward-shift delete) hash map of u64 -> u64.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Rounds of inserts, lookups (hits and misses) and deletes over a key set
 * that churns. Self-check: the map's count and its sum of values match a
 * bitmap-based shadow model kept alongside.
 */
#include "bench.h"

struct map {
    uint64_t *keys; /* 0 = empty */
    uint64_t *vals;
    uint32_t mask;
    uint32_t count;
};

static uint32_t hash(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return (uint32_t)k;
}

static void map_put(struct map *m, uint64_t k, uint64_t v)
{
    uint32_t i = hash(k) & m->mask;

    while (m->keys[i] && m->keys[i] != k)
        i = (i + 1) & m->mask;
    if (!m->keys[i])
        m->count++;
    m->keys[i] = k;
    m->vals[i] = v;
}

static int map_get(const struct map *m, uint64_t k, uint64_t *out)
{
    uint32_t i = hash(k) & m->mask;

    while (m->keys[i]) {
        if (m->keys[i] == k) {
            *out = m->vals[i];
            return 1;
        }
        i = (i + 1) & m->mask;
    }
    return 0;
}

static int map_del(struct map *m, uint64_t k)
{
    uint32_t i = hash(k) & m->mask, j;

    while (m->keys[i] && m->keys[i] != k)
        i = (i + 1) & m->mask;
    if (!m->keys[i])
        return 0;
    /* backward shift: move later entries of the cluster into the hole */
    for (j = (i + 1) & m->mask; m->keys[j]; j = (j + 1) & m->mask) {
        uint32_t home = hash(m->keys[j]) & m->mask;
        if (((j - home) & m->mask) >= ((j - i) & m->mask)) {
            m->keys[i] = m->keys[j];
            m->vals[i] = m->vals[j];
            i = j;
        }
    }
    m->keys[i] = 0;
    m->count--;
    return 1;
}

int main(int argc, char **argv)
{
    long rounds = bench_size(argc, argv, 70), r, i;
    const uint32_t universe = 1u << 20, cap = 1u << 21;
    double t0 = bench_now();
    struct map m = {calloc(cap, 8), calloc(cap, 8), cap - 1, 0};
    uint8_t *present = calloc(universe, 1);
    uint64_t rng = 5, sum = BENCH_MIX_INIT, hits = 0, v, live = 0, vsum = 0, got = 0;
    int ok = 1;

    if (!m.keys || !m.vals || !present)
        return 2;
    for (r = 0; r < rounds; r++) {
        for (i = 0; i < 200000; i++) {
            uint32_t k = (uint32_t)(bench_rand(&rng) % universe);
            uint64_t key = (uint64_t)k * 0x100000001ULL + 1;
            switch (i & 3) {
            case 0:
            case 1:
                map_put(&m, key, key ^ 0xabcdef);
                if (!present[k])
                    live++;
                present[k] = 1;
                break;
            case 2:
                if (map_get(&m, key, &v) != present[k])
                    ok = 0;
                hits += present[k];
                break;
            default:
                if (map_del(&m, key) != present[k])
                    ok = 0;
                if (present[k])
                    live--;
                present[k] = 0;
                break;
            }
        }
        sum = bench_mix(sum, m.count);
    }
    for (i = 0; i < (long)universe; i++)
        if (present[i])
            vsum += ((uint64_t)i * 0x100000001ULL + 1) ^ 0xabcdef;
    for (i = 0; i <= (long)m.mask; i++)
        if (m.keys[i])
            got += m.vals[i];
    if (m.count != live || got != vsum)
        ok = 0;
    sum = bench_mix(sum, hits);
    sum = bench_mix(sum, got);
    return bench_finish("hashmap", sum, ok, t0);
}
