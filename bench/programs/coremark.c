/* coremark.c - a CoreMark-style integer mix: list processing, matrix ops, a state machine, CRC-16.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Written for Mantle, modelled on the workload mix CoreMark measures (not its
 * source). Each iteration runs the three kernels on data seeded by the
 * iteration number and folds their results into a CRC. Self-check: the
 * table CRC equals the bitwise CRC, the list is sorted after each sort and
 * the matrix product's sum equals the sum computed from row/column sums.
 */
#include "bench.h"

/* ---- CRC-16/CCITT, bitwise and table-driven ---- */
static uint16_t crc_table[256];

static uint16_t crc16_bit(uint16_t crc, uint8_t b)
{
    int i;

    crc ^= (uint16_t)(b << 8);
    for (i = 0; i < 8; i++)
        crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
    return crc;
}

static uint16_t crc16_tab(uint16_t crc, uint8_t b)
{
    return (uint16_t)((crc << 8) ^ crc_table[((crc >> 8) ^ b) & 0xff]);
}

static uint16_t crc16_u32(uint16_t crc, uint32_t v)
{
    crc = crc16_tab(crc, (uint8_t)v);
    crc = crc16_tab(crc, (uint8_t)(v >> 8));
    crc = crc16_tab(crc, (uint8_t)(v >> 16));
    return crc16_tab(crc, (uint8_t)(v >> 24));
}

/* ---- linked list: build, find, reverse, merge sort ---- */
struct node {
    struct node *next;
    int32_t key;
    int32_t val;
};

#define LIST_N 400
static struct node pool[LIST_N];

static struct node *list_build(uint32_t seed)
{
    struct node *head = NULL;
    int i;

    for (i = 0; i < LIST_N; i++) {
        seed = seed * 1103515245u + 12345u;
        pool[i].key = (int32_t)((seed >> 8) & 0xffff);
        pool[i].val = i;
        pool[i].next = head;
        head = &pool[i];
    }
    return head;
}

static struct node *list_reverse(struct node *l)
{
    struct node *prev = NULL, *next;

    while (l) {
        next = l->next;
        l->next = prev;
        prev = l;
        l = next;
    }
    return prev;
}

static struct node *list_find(struct node *l, int32_t key)
{
    while (l && l->key != key)
        l = l->next;
    return l;
}

/* Bottom-up merge sort on keys; stable. */
static struct node *list_sort(struct node *list)
{
    int insize = 1, nmerges, psize, qsize, i;
    struct node *p, *q, *e, *tail;

    if (!list)
        return NULL;
    for (;;) {
        p = list;
        list = tail = NULL;
        nmerges = 0;
        while (p) {
            nmerges++;
            q = p;
            psize = 0;
            for (i = 0; i < insize && q; i++) {
                psize++;
                q = q->next;
            }
            qsize = insize;
            while (psize > 0 || (qsize > 0 && q)) {
                if (psize == 0) {
                    e = q; q = q->next; qsize--;
                } else if (qsize == 0 || !q || p->key <= q->key) {
                    e = p; p = p->next; psize--;
                } else {
                    e = q; q = q->next; qsize--;
                }
                if (tail)
                    tail->next = e;
                else
                    list = e;
                tail = e;
            }
            p = q;
        }
        tail->next = NULL;
        if (nmerges <= 1)
            return list;
        insize *= 2;
    }
}

static int list_sorted(const struct node *l)
{
    for (; l && l->next; l = l->next)
        if (l->key > l->next->key)
            return 0;
    return 1;
}

/* ---- matrix: add constant, multiply by constant, by vector, by matrix ---- */
#define MAT_N 24
static int16_t ma[MAT_N][MAT_N], mb[MAT_N][MAT_N];
static int32_t mc[MAT_N][MAT_N];

static uint16_t matrix_run(uint32_t seed, uint16_t crc, int *ok)
{
    int i, j, k;
    int64_t sum = 0, rs[MAT_N], cs[MAT_N], alt = 0;
    int32_t v[MAT_N];

    for (i = 0; i < MAT_N; i++)
        for (j = 0; j < MAT_N; j++) {
            seed = seed * 1664525u + 1013904223u;
            ma[i][j] = (int16_t)((seed >> 16) & 0xff);
            mb[i][j] = (int16_t)((seed >> 8) & 0xff) - 128;
        }
    for (i = 0; i < MAT_N; i++)
        for (j = 0; j < MAT_N; j++)
            ma[i][j] = (int16_t)(ma[i][j] + 3);
    for (i = 0; i < MAT_N; i++) {
        int32_t acc = 0;
        for (j = 0; j < MAT_N; j++)
            acc += ma[i][j] * mb[j][i];
        v[i] = acc;
        crc = crc16_u32(crc, (uint32_t)acc);
    }
    for (i = 0; i < MAT_N; i++)
        for (j = 0; j < MAT_N; j++) {
            int32_t acc = 0;
            for (k = 0; k < MAT_N; k++)
                acc += ma[i][k] * mb[k][j];
            mc[i][j] = acc;
            sum += acc;
        }
    /* sum(A*B) = sum_k (column sum k of A) * (row sum k of B) */
    for (k = 0; k < MAT_N; k++) {
        rs[k] = cs[k] = 0;
        for (i = 0; i < MAT_N; i++) {
            cs[k] += ma[i][k];
            rs[k] += mb[k][i];
        }
        alt += cs[k] * rs[k];
    }
    if (alt != sum)
        *ok = 0;
    for (i = 0; i < MAT_N; i++) {
        int32_t bits = 0;
        for (j = 0; j < MAT_N; j++)
            bits += (mc[i][j] >> 3) & 0x7f;
        crc = crc16_u32(crc, (uint32_t)(bits ^ v[i]));
    }
    return crc16_u32(crc, (uint32_t)sum);
}

/* ---- state machine: classify numeric tokens in a generated text ---- */
enum { S_START, S_INT, S_FRAC, S_EXP_SIGN, S_EXP, S_SCI, S_INVALID, S_NSTATES };

#define TEXT_N 2048
static char text[TEXT_N + 1];

static uint16_t state_run(uint32_t seed, uint16_t crc)
{
    static const char alphabet[] = "0123456789.,eE+-x 5,";
    unsigned counts[S_NSTATES] = {0};
    int i, st = S_START;

    for (i = 0; i < TEXT_N; i++) {
        seed = seed * 22695477u + 1u;
        text[i] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
    }
    text[TEXT_N] = '\0';
    for (i = 0; i <= TEXT_N; i++) {
        char c = text[i];
        if (c == ',' || c == '\0' || c == ' ') {
            counts[st]++;
            st = S_START;
            continue;
        }
        switch (st) {
        case S_START:
            if (c >= '0' && c <= '9') st = S_INT;
            else if (c == '+' || c == '-') st = S_INT;
            else if (c == '.') st = S_FRAC;
            else st = S_INVALID;
            break;
        case S_INT:
            if (c == '.') st = S_FRAC;
            else if (c == 'e' || c == 'E') st = S_EXP_SIGN;
            else if (c < '0' || c > '9') st = S_INVALID;
            break;
        case S_FRAC:
            if (c == 'e' || c == 'E') st = S_EXP_SIGN;
            else if (c < '0' || c > '9') st = S_INVALID;
            break;
        case S_EXP_SIGN:
            if (c == '+' || c == '-') st = S_EXP;
            else if (c >= '0' && c <= '9') st = S_SCI;
            else st = S_INVALID;
            break;
        case S_EXP:
            if (c >= '0' && c <= '9') st = S_SCI;
            else st = S_INVALID;
            break;
        case S_SCI:
            if (c < '0' || c > '9') st = S_INVALID;
            break;
        default:
            break;
        }
    }
    for (i = 0; i < S_NSTATES; i++)
        crc = crc16_u32(crc, counts[i]);
    return crc;
}

int main(int argc, char **argv)
{
    long iters = bench_size(argc, argv, 15000);
    double t0 = bench_now();
    uint16_t crc = 0xffff, crc_bit = 0xffff;
    uint64_t sum = BENCH_MIX_INIT;
    int ok = 1, i;
    long it;

    for (i = 0; i < 256; i++)
        crc_table[i] = crc16_bit(0, (uint8_t)i);
    for (i = 0; i < 4096; i++) {
        crc = crc16_tab(crc, (uint8_t)(i * 7));
        crc_bit = crc16_bit(crc_bit, (uint8_t)(i * 7));
    }
    if (crc != crc_bit)
        ok = 0;

    for (it = 0; it < iters; it++) {
        uint32_t seed = (uint32_t)it * 2654435761u + 1;
        struct node *l = list_build(seed), *f;
        int32_t probe;

        for (i = 0, probe = 0; i < 32; i++) {
            f = list_find(l, pool[(i * 37 + it) % LIST_N].key);
            probe += f ? f->val : -1;
        }
        crc = crc16_u32(crc, (uint32_t)probe);
        l = list_sort(l);
        if (!list_sorted(l))
            ok = 0;
        l = list_reverse(l);
        crc = crc16_u32(crc, (uint32_t)l->key);
        crc = matrix_run(seed, crc, &ok);
        crc = state_run(seed, crc);
        sum = bench_mix(sum, crc);
    }
    return bench_finish("coremark", sum, ok, t0);
}
