/* place.c - placement: which node runs each replica, and why.
 * SPDX-License-Identifier: Apache-2.0
 *
 * A pure function of (deployments, node facts, current assignments, now).
 * Rules (docs/fleet.md):
 *   - a node is eligible for a replica when it is alive (heartbeat within
 *     dead_after_ms), its arch is listed (or none are), its TEE kind is
 *     listed (or none are) and - unless "none" - verified, its evidence is
 *     not debug unless debug_ok, it carries every required label, the
 *     replica's memory and CPU fit beside what is already assigned to it,
 *     and the spread key's value (the node, or a label) holds no other
 *     replica of the deployment, and the node has not refused it (its
 *     attestation for the deployment's secrets failed);
 *   - stability first: current assignments that are still eligible are kept
 *     (in deployment-name, replica order, so capacity is shared
 *     deterministically);
 *   - every other replica goes to the eligible node with the fewest
 *     replicas, ties broken by node id; deployments are served by name and
 *     replicas by index, so the input order does not matter;
 *   - a replica no node can take is pending, with the reasons the nodes
 *     were rejected, counted.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet_int.h"

#define WHY 1024
#define REASON 320  /* one rejection reason; a refusal quotes the broker */

typedef struct nstate {
    const struct fleet_node *n;
    bool alive;
    uint64_t mem_used;
    uint64_t cpu_used;
    uint32_t count;          /* replicas of every deployment */
    int spread_group;        /* per deployment: first node with the same
                                spread value, -1 without the label */
} nstate;

typedef struct slot {
    int node;                /* index into the sorted nodes, -1 pending */
    char *why;
} slot;

typedef struct ctx {
    const struct fleet_deploy **d;  /* sorted by name */
    size_t nd;
    nstate *ns;                     /* sorted by id */
    size_t nn;
    slot **slots;                   /* per deployment, replicas entries */
    uint32_t *taken;                /* per spread group, current deployment */
    int64_t now_ms, dead_after_ms;
} ctx;

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
    char buf[WHY];
    va_list ap;

    va_start(ap, f);
    vsnprintf(buf, sizeof buf, f, ap);
    va_end(ap);
    return strdup(buf);
}

static int cmp_deploy(const void *a, const void *b)
{
    return strcmp((*(const struct fleet_deploy *const *)a)->name,
                  (*(const struct fleet_deploy *const *)b)->name);
}

static int cmp_node(const void *a, const void *b)
{
    return strcmp(((const nstate *)a)->n->id, ((const nstate *)b)->n->id);
}

static int find_node(const ctx *c, const char *id)
{
    size_t lo = 0, hi = c->nn;

    while (id && lo < hi) {
        size_t mid = (lo + hi) / 2;
        int r = strcmp(id, c->ns[mid].n->id);
        if (r == 0)
            return (int)mid;
        if (r < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

static const char *label(const struct fleet_node *n, const char *key)
{
    for (size_t i = 0; i < n->n_labels; i++)
        if (!strcmp(n->labels[i].key, key))
            return n->labels[i].value;
    return NULL;
}

static bool listed(char **list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (s && !strcmp(list[i], s))
            return true;
    return false;
}

static void list_text(char **list, size_t n, char *out, size_t cap)
{
    size_t w = 0;

    out[0] = '\0';
    for (size_t i = 0; i < n && w < cap; i++)
        w += (size_t)snprintf(out + w, cap - w, "%s%s", i ? ", " : "",
                              list[i]);
}

/* Why node i cannot take a replica of deployment d now, into why (a
 * phrase shared by every node rejected for the same reason, so they can be
 * counted together), or false when it can. */
static bool rejected(const ctx *c, const struct fleet_deploy *d, size_t i,
                     char *why, size_t cap)
{
    const nstate *s = &c->ns[i];
    const struct fleet_node *n = s->n;
    const struct fleet_constraints *k = &d->c;
    const char *tee = n->tee ? n->tee : "none";
    char list[96], need[32];  /* lists of known names: short */

    if (!s->alive) {
        snprintf(why, cap, "no heartbeat for over %lld ms",
                 (long long)c->dead_after_ms);
        return true;
    }
    if (k->n_arch && !listed(k->arch, k->n_arch, n->arch)) {
        list_text(k->arch, k->n_arch, list, sizeof list);
        snprintf(why, cap, "arch %s not in [%s]", n->arch, list);
        return true;
    }
    if (k->n_tee) {
        if (!listed(k->tee, k->n_tee, tee)) {
            list_text(k->tee, k->n_tee, list, sizeof list);
            snprintf(why, cap, "tee %s not in [%s]", tee, list);
            return true;
        }
        if (strcmp(tee, "none") != 0 && !n->tee_verified) {
            snprintf(why, cap, "tee %s not verified", tee);
            return true;
        }
        if (strcmp(tee, "none") != 0 && n->debug && !k->debug_ok) {
            snprintf(why, cap, "tee %s evidence is debug (debug_ok is false)",
                     tee);
            return true;
        }
    }
    /* The node could not start it (its attestation was refused): not
     * again until the node withdraws the refusal. */
    for (size_t j = 0; j < n->n_refused; j++)
        if (!strcmp(n->refused[j].deploy, d->name) &&
            !strcmp(n->refused[j].digest, d->digest)) {
            snprintf(why, cap, "%s could not start it: %s", n->id,
                     n->refused[j].why);
            return true;
        }
    for (size_t j = 0; j < k->n_labels; j++) {
        const char *v = label(n, k->labels[j].key);
        if (v == NULL || strcmp(v, k->labels[j].value) != 0) {
            snprintf(why, cap, "label %s is not %s", k->labels[j].key,
                     k->labels[j].value);
            return true;
        }
    }
    if (k->spread_key) {
        bool by_node = !strcmp(k->spread_key, "node");
        if (!by_node && s->spread_group < 0) {
            snprintf(why, cap, "no label %s to spread over", k->spread_key);
            return true;
        }
        if (c->taken[by_node ? i : (size_t)s->spread_group]) {
            if (by_node)
                snprintf(why, cap, "spread: node holds a replica already");
            else
                snprintf(why, cap, "spread: %s=%s holds a replica already",
                         k->spread_key, label(n, k->spread_key));
            return true;
        }
    }
    if (k->mem_bytes && (k->mem_bytes > n->mem_bytes ||
                         s->mem_used > n->mem_bytes - k->mem_bytes)) {
        fleet_format_mem(k->mem_bytes, need, sizeof need);
        snprintf(why, cap, "not enough memory for %s", need);
        return true;
    }
    if (k->cpu_milli && (k->cpu_milli > n->cpu_milli ||
                         s->cpu_used > n->cpu_milli - k->cpu_milli)) {
        fleet_format_cpu(k->cpu_milli, need, sizeof need);
        snprintf(why, cap, "not enough cpu for %s", need);
        return true;
    }
    return false;
}

/* Reset the spread bookkeeping for deployment d: group nodes by the value
 * of its spread label, and count d's replicas already placed per group. */
static void spread_begin(ctx *c, size_t di)
{
    const struct fleet_deploy *d = c->d[di];
    bool by_node = d->c.spread_key && !strcmp(d->c.spread_key, "node");

    if (c->nn)
        memset(c->taken, 0, c->nn * sizeof *c->taken);
    for (size_t i = 0; i < c->nn; i++) {
        const char *v = d->c.spread_key && !by_node
                            ? label(c->ns[i].n, d->c.spread_key)
                            : NULL;
        c->ns[i].spread_group = -1;
        if (v == NULL)
            continue;
        for (size_t j = 0; j <= i; j++) {
            const char *w = label(c->ns[j].n, d->c.spread_key);
            if (w && !strcmp(v, w)) {
                c->ns[i].spread_group = (int)j;
                break;
            }
        }
    }
    for (uint32_t r = 0; d->c.spread_key && r < d->replicas; r++) {
        int i = c->slots[di][r].node;
        if (i >= 0 && (by_node || c->ns[i].spread_group >= 0))
            c->taken[by_node ? i : c->ns[i].spread_group]++;
    }
}

static void assign(ctx *c, size_t di, uint32_t r, size_t i)
{
    const struct fleet_deploy *d = c->d[di];
    nstate *s = &c->ns[i];

    c->slots[di][r].node = (int)i;
    s->mem_used += d->c.mem_bytes;
    s->cpu_used += d->c.cpu_milli;
    s->count++;
    if (d->c.spread_key)
        c->taken[strcmp(d->c.spread_key, "node") ? (size_t)s->spread_group
                                                 : i]++;
}

typedef struct reason {
    char text[REASON];
    size_t count;
} reason;

static int cmp_reason(const void *a, const void *b)
{
    const reason *x = a, *y = b;

    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->text, y->text);
}

/* Place replica r of deployment di on the least loaded eligible node, or
 * explain why it is pending. */
static int place_one(ctx *c, size_t di, uint32_t r, reason *rs)
{
    const struct fleet_deploy *d = c->d[di];
    size_t nr = 0, eligible = 0, w = 0;
    int best = -1;
    char why[WHY], text[REASON];

    for (size_t i = 0; i < c->nn; i++) {
        size_t k;

        if (!rejected(c, d, i, text, sizeof text)) {
            eligible++;
            if (best < 0 || c->ns[i].count < c->ns[best].count)
                best = (int)i;  /* ids ascend: ties keep the lower id */
            continue;
        }
        for (k = 0; k < nr; k++)
            if (!strcmp(rs[k].text, text))
                break;
        if (k == nr) {
            memcpy(rs[nr].text, text, sizeof text);
            rs[nr++].count = 0;
        }
        rs[k].count++;
    }
    if (best >= 0) {
        const nstate *s = &c->ns[best];
        assign(c, di, r, (size_t)best);
        char mu[32], mt[32], cu[32], ct[32];
        fleet_format_mem(s->mem_used, mu, sizeof mu);
        fleet_format_mem(s->n->mem_bytes, mt, sizeof mt);
        fleet_format_cpu((uint32_t)s->cpu_used, cu, sizeof cu);
        fleet_format_cpu(s->n->cpu_milli, ct, sizeof ct);
        snprintf(why, sizeof why,
                 "placed on %s: least loaded of %zu eligible node%s "
                 "(%u replica%s, mem %s of %s, cpu %s of %s)",
                 s->n->id, eligible, eligible == 1 ? "" : "s", s->count,
                 s->count == 1 ? "" : "s", mu, mt, cu, ct);
        if (nr) {
            size_t n = strlen(why);
            size_t rej = c->nn - eligible;
            snprintf(why + n, sizeof why - n, "; %zu rejected", rej);
        }
    } else if (c->nn == 0) {
        snprintf(why, sizeof why, "pending: no nodes");
    } else {
        qsort(rs, nr, sizeof *rs, cmp_reason);
        w = (size_t)snprintf(why, sizeof why, "pending: %zu node%s rejected: ",
                             c->nn, c->nn == 1 ? "" : "s");
        for (size_t k = 0; k < nr && w < sizeof why; k++)
            w += (size_t)snprintf(why + w, sizeof why - w, "%s%zu %s",
                                  k ? ", " : "", rs[k].count, rs[k].text);
    }
    return (c->slots[di][r].why = strdup(why)) ? MANTLE_OK : MANTLE_ENOMEM;
}

static int cmp_cur(const void *a, const void *b)
{
    const struct fleet_assign *x = *(const struct fleet_assign *const *)a;
    const struct fleet_assign *y = *(const struct fleet_assign *const *)b;
    int r = strcmp(x->deploy ? x->deploy : "", y->deploy ? y->deploy : "");

    if (r)
        return r;
    if (x->replica != y->replica)
        return x->replica < y->replica ? -1 : 1;
    return strcmp(x->node ? x->node : "", y->node ? y->node : "");
}

/* a->why explains a placement on a->node ("placed on ID: ..."). */
static bool placed_here(const struct fleet_assign *a)
{
    size_t n = strlen(a->node);

    return a->why && !strncmp(a->why, "placed on ", 10) &&
           !strncmp(a->why + 10, a->node, n) && a->why[10 + n] == ':';
}

/* Keep the current assignments that are still good, in a fixed order. */
static int keep(ctx *c, const struct fleet_assign *cur, size_t ncur)
{
    const struct fleet_assign **order;
    char text[REASON];
    int rc = MANTLE_OK;

    if (ncur == 0)
        return MANTLE_OK;
    if ((order = malloc(ncur * sizeof *order)) == NULL)
        return MANTLE_ENOMEM;
    for (size_t i = 0; i < ncur; i++)
        order[i] = &cur[i];
    qsort(order, ncur, sizeof *order, cmp_cur);
    for (size_t di = 0, k = 0; di < c->nd; di++) {
        const struct fleet_deploy *d = c->d[di];

        spread_begin(c, di);
        for (; k < ncur; k++) {
            const struct fleet_assign *a = order[k];
            int r, i;

            if (a->deploy == NULL || (r = strcmp(a->deploy, d->name)) < 0)
                continue;  /* a deployment that is gone */
            if (r > 0)
                break;
            if (a->replica >= d->replicas || a->node == NULL ||
                c->slots[di][a->replica].node >= 0 ||
                (i = find_node(c, a->node)) < 0 ||
                rejected(c, d, (size_t)i, text, sizeof text))
                continue;
            assign(c, di, a->replica, (size_t)i);
            /* A kept replica keeps the explanation of its placement, so
             * that placing again changes nothing (no needless writes). */
            c->slots[di][a->replica].why =
                placed_here(a) ? strdup(a->why)
                               : fmt("kept on %s: alive and still satisfies "
                                     "the constraints", a->node);
            if (c->slots[di][a->replica].why == NULL) {
                rc = MANTLE_ENOMEM;
                goto out;
            }
        }
    }
out:
    free(order);
    return rc;
}

static void ctx_free(ctx *c)
{
    for (size_t di = 0; c->slots && di < c->nd; di++) {
        for (uint32_t r = 0; c->slots[di] && r < c->d[di]->replicas; r++)
            free(c->slots[di][r].why);
        free(c->slots[di]);
    }
    free(c->slots);
    free(c->d);
    free(c->ns);
    free(c->taken);
}

int fleet_place(const struct fleet_deploy *d, size_t nd,
                const struct fleet_node *n, size_t nn,
                const struct fleet_assign *cur, size_t ncur, int64_t now_ms,
                int64_t dead_after_ms, struct fleet_assign **out,
                size_t *nout)
{
    ctx c;
    reason *rs = NULL;
    struct fleet_assign *res = NULL;
    size_t total = 0, k = 0;
    int rc = MANTLE_ENOMEM;

    if (out == NULL || nout == NULL || (nd && d == NULL) ||
        (nn && n == NULL) || (ncur && cur == NULL))
        return MANTLE_EINVAL;
    *out = NULL;
    *nout = 0;
    for (size_t i = 0; i < nd; i++)
        if (d[i].name == NULL || d[i].replicas > FLEET_MAX_REPLICAS)
            return MANTLE_EINVAL;
    for (size_t i = 0; i < nn; i++)
        if (n[i].id == NULL || n[i].arch == NULL)
            return MANTLE_EINVAL;
    memset(&c, 0, sizeof c);
    c.nd = nd;
    c.nn = nn;
    c.now_ms = now_ms;
    c.dead_after_ms = dead_after_ms;
    if ((nd && (c.d = calloc(nd, sizeof *c.d)) == NULL) ||
        (nd && (c.slots = calloc(nd, sizeof *c.slots)) == NULL) ||
        (nn && (c.ns = calloc(nn, sizeof *c.ns)) == NULL) ||
        (nn && (c.taken = calloc(nn, sizeof *c.taken)) == NULL) ||
        (nn && (rs = calloc(nn, sizeof *rs)) == NULL))
        goto out;
    for (size_t i = 0; i < nd; i++)
        c.d[i] = &d[i];
    if (nd > 1)
        qsort(c.d, nd, sizeof *c.d, cmp_deploy);
    for (size_t i = 0; i < nn; i++) {
        c.ns[i].n = &n[i];
        /* dead when silent for longer than dead_after_ms; a heartbeat from
         * the future (clock skew) counts as alive */
        c.ns[i].alive = now_ms - n[i].last_seen_ms <= dead_after_ms;
    }
    if (nn > 1)
        qsort(c.ns, nn, sizeof *c.ns, cmp_node);
    rc = MANTLE_EINVAL;
    for (size_t i = 1; i < nd; i++)
        if (!strcmp(c.d[i - 1]->name, c.d[i]->name))
            goto out;
    for (size_t i = 1; i < nn; i++)
        if (!strcmp(c.ns[i - 1].n->id, c.ns[i].n->id))
            goto out;
    rc = MANTLE_ENOMEM;
    for (size_t di = 0; di < nd; di++) {
        total += c.d[di]->replicas;
        if (c.d[di]->replicas &&
            (c.slots[di] = calloc(c.d[di]->replicas, sizeof **c.slots)) ==
                NULL)
            goto out;
        for (uint32_t r = 0; r < c.d[di]->replicas; r++)
            c.slots[di][r].node = -1;
    }
    if ((rc = keep(&c, cur, ncur)))
        goto out;
    for (size_t di = 0; di < nd; di++) {
        spread_begin(&c, di);
        for (uint32_t r = 0; r < c.d[di]->replicas; r++)
            if (c.slots[di][r].node < 0 &&
                (rc = place_one(&c, di, r, rs)))
                goto out;
    }
    rc = MANTLE_ENOMEM;
    if (total && (res = calloc(total, sizeof *res)) == NULL)
        goto out;
    for (size_t di = 0; di < nd; di++)
        for (uint32_t r = 0; r < c.d[di]->replicas; r++, k++) {
            int i = c.slots[di][r].node;
            bool ok = true;
            res[k].deploy = fl_strdup(c.d[di]->name, &ok);
            res[k].replica = r;
            res[k].node = i >= 0 ? fl_strdup(c.ns[i].n->id, &ok) : NULL;
            res[k].why = c.slots[di][r].why;
            c.slots[di][r].why = NULL;
            if (!ok) {
                fleet_assign_free(res, k + 1);
                res = NULL;
                goto out;
            }
        }
    *out = res;
    *nout = total;
    rc = MANTLE_OK;
out:
    free(rs);
    ctx_free(&c);
    return rc;
}
