/* btree.c - an in-memory B-tree (order 32) of u32 keys: insert, search, range scans.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Inserts pseudo-random keys (with duplicates, which are ignored), searches
 * for present and absent keys, and scans. Self-check: an in-order walk is
 * strictly increasing, its length equals the number of distinct keys (a
 * bitmap counts them) and every leaf sits at the same depth.
 */
#include "bench.h"

#define ORDER 32 /* max children; max keys ORDER - 1 */

struct bnode {
    int n, leaf;
    uint32_t key[ORDER - 1];
    struct bnode *child[ORDER];
};

static struct bnode *node_new(int leaf)
{
    struct bnode *b = calloc(1, sizeof *b);

    if (!b)
        exit(2);
    b->leaf = leaf;
    return b;
}

/* Split the full child c = p->child[i] around its median. */
static void split_child(struct bnode *p, int i)
{
    struct bnode *c = p->child[i], *d = node_new(c->leaf);
    int mid = (ORDER - 1) / 2, j;

    d->n = c->n - mid - 1;
    for (j = 0; j < d->n; j++)
        d->key[j] = c->key[mid + 1 + j];
    if (!c->leaf)
        for (j = 0; j <= d->n; j++)
            d->child[j] = c->child[mid + 1 + j];
    for (j = p->n; j > i; j--) {
        p->child[j + 1] = p->child[j];
        p->key[j] = p->key[j - 1];
    }
    p->child[i + 1] = d;
    p->key[i] = c->key[mid];
    p->n++;
    c->n = mid;
}

static int lower_bound(const struct bnode *b, uint32_t k)
{
    int lo = 0, hi = b->n;

    while (lo < hi) {
        int m = (lo + hi) / 2;
        if (b->key[m] < k)
            lo = m + 1;
        else
            hi = m;
    }
    return lo;
}

static int search(const struct bnode *b, uint32_t k)
{
    while (b) {
        int i = lower_bound(b, k);
        if (i < b->n && b->key[i] == k)
            return 1;
        b = b->leaf ? NULL : b->child[i];
    }
    return 0;
}

/* Returns 1 if k was new. The root is split before descending. */
static int insert(struct bnode **root, uint32_t k)
{
    struct bnode *b = *root;

    if (search(b, k))
        return 0;
    if (b->n == ORDER - 1) {
        struct bnode *r = node_new(0);
        r->child[0] = b;
        split_child(r, 0);
        *root = b = r;
    }
    for (;;) {
        int i = lower_bound(b, k), j;
        if (b->leaf) {
            for (j = b->n; j > i; j--)
                b->key[j] = b->key[j - 1];
            b->key[i] = k;
            b->n++;
            return 1;
        }
        if (b->child[i]->n == ORDER - 1) {
            split_child(b, i);
            if (k > b->key[i])
                i++;
        }
        b = b->child[i];
    }
}

struct walk {
    long count;
    uint32_t last;
    int ok, leaf_depth;
    uint64_t sum;
};

static void walk(const struct bnode *b, int depth, struct walk *w)
{
    int i;

    if (b->leaf) {
        if (w->leaf_depth < 0)
            w->leaf_depth = depth;
        else if (w->leaf_depth != depth)
            w->ok = 0;
    }
    for (i = 0; i <= b->n; i++) {
        if (!b->leaf)
            walk(b->child[i], depth + 1, w);
        if (i < b->n) {
            if (w->count > 0 && b->key[i] <= w->last)
                w->ok = 0;
            w->last = b->key[i];
            w->count++;
            w->sum += b->key[i] * (uint64_t)(w->count & 0xff);
        }
    }
}

static void free_tree(struct bnode *b)
{
    int i;

    if (!b->leaf)
        for (i = 0; i <= b->n; i++)
            free_tree(b->child[i]);
    free(b);
}

int main(int argc, char **argv)
{
    long n = bench_size(argc, argv, 1000000), i, distinct = 0, found = 0;
    const uint32_t universe = 1u << 22;
    double t0 = bench_now();
    struct bnode *root = node_new(1);
    uint8_t *seen = calloc(universe, 1);
    uint64_t rng = 17, sum = BENCH_MIX_INIT;
    struct walk w = {0, 0, 1, -1, 0};
    int ok = 1;

    if (!seen)
        return 2;
    for (i = 0; i < n; i++) {
        uint32_t k = (uint32_t)(bench_rand(&rng) % universe);
        int added = insert(&root, k);
        if (added == seen[k])
            ok = 0;
        distinct += added;
        seen[k] = 1;
    }
    for (i = 0; i < n; i++) {
        uint32_t k = (uint32_t)(bench_rand(&rng) % universe);
        int f = search(root, k);
        if (f != seen[k])
            ok = 0;
        found += f;
    }
    walk(root, 0, &w);
    if (!w.ok || w.count != distinct)
        ok = 0;
    free_tree(root);
    sum = bench_mix(sum, (uint64_t)distinct);
    sum = bench_mix(sum, (uint64_t)found);
    sum = bench_mix(sum, w.sum);
    return bench_finish("btree", sum, ok, t0);
}
