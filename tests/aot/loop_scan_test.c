/* loop_scan_test.c - the loop plans of src/aot/loop_scan.c on hand-assembled
 * loop bodies: the plan jacobi2d's kernels need is made (a lost plan would
 * only make code slower, which no behaviour test sees), and none where it
 * would be wrong or useless. tests/aot/loops.wat checks behaviour.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <stdio.h>
#include <string.h>

#include "aot.h"
#include "../check.h"


/* Locals of every body: l0 v (f64), l1 p (i32), l2 end (i32), l3 s (f64). */
static const uint8_t ltypes[] = {VT_F64, VT_I32, VT_I32, VT_F64};

/* The loop's tail: p += 8; br_if 0 (p != end); end. */
#define TAIL 0x20, 0x01, 0x41, 0x08, 0x6A, 0x22, 0x01, 0x20, 0x02, 0x47, \
             0x0D, 0x00, 0x0B

/* f64.store offset=1032 (p, v + f64.load(p) + (v = f64.load offset=16 (p))):
 * clang's stencil, the value loaded at p+16 used again at p+8. */
static const uint8_t stencil[] = {
    0x20, 0x01,                   /* local.get p (address of the store) */
    0x20, 0x00,                   /* local.get v */
    0x20, 0x01, 0x2B, 0x03, 0x00, /* f64.load (p) */
    0xA0,                         /* f64.add */
    0x20, 0x01, 0x2B, 0x03, 0x10, /* f64.load offset=16 (p) */
    0x22, 0x00,                   /* local.tee v */
    0xA0,                         /* f64.add */
    0x39, 0x03, 0x88, 0x08,       /* f64.store offset=1032 */
    TAIL};

/* drop (f64.load (p)): a dead load keeps its keeper; nothing to plan. */
static const uint8_t dropped[] = {0x20, 0x01, 0x2B, 0x03, 0x00, 0x1A, TAIL};

/* i64.store (p, i64.load (p)): gcc deletes `*p = *p`, then the load. */
static const uint8_t self[] = {0x20, 0x01, 0x20, 0x01, 0x29, 0x03, 0x00,
                               0x37, 0x03, 0x00, TAIL};

/* f64.store offset=4096 (p, s = s + f64.load (p)): a reduction besides
 * the induction variable: gcc -O2 will not vectorize, no plan. */
static const uint8_t reduction[] = {
    0x20, 0x01, 0x20, 0x03, 0x20, 0x01, 0x2B, 0x03, 0x00, 0xA0,
    0x22, 0x03, 0x39, 0x03, 0x80, 0x20, TAIL};

/* The stencil with an early exit (br_if 1 on p == 0): no plan. */
static const uint8_t early_exit[] = {
    0x20, 0x01, 0x45, 0x0D, 0x01, /* br_if 1 (i32.eqz p) */
    0x20, 0x01, 0x20, 0x00, 0x20, 0x01, 0x2B, 0x03, 0x00, 0xA0,
    0x20, 0x01, 0x2B, 0x03, 0x10, 0x22, 0x00, 0xA0, 0x39, 0x03, 0x88, 0x08,
    TAIL};

/* The stencil storing to p+16, the very bytes it carries: nothing may be
 * carried (and with $v a recurrence then, nothing is planned). */
static const uint8_t overwrites[] = {
    0x20, 0x01, 0x20, 0x00, 0x20, 0x01, 0x2B, 0x03, 0x00, 0xA0,
    0x20, 0x01, 0x2B, 0x03, 0x10, 0x22, 0x00, 0xA0,
    0x39, 0x03, 0x10, /* f64.store offset=16 */
    TAIL};

static bool scan(const uint8_t *body, size_t n, aot_loop_plan *plan)
{
    return aot_loop_scan(ltypes, 4, body, body + n, plan);
}

int main(void)
{
    aot_loop_plan plan;

    CHECK(scan(stencil, sizeof stencil, &plan), "stencil: no plan");
    CHECK(plan.nloads == 2 && plan.nokeep == 3,
          "stencil: %u loads, nokeep %#llx (want 2, 0x3)", plan.nloads,
          (unsigned long long)plan.nokeep);
    CHECK(plan.ncarry == 1, "stencil: %u carried (want 1)", plan.ncarry);
    if (plan.ncarry == 1) {
        const aot_carry *c = &plan.carry[0];
        /* Loaded at p+16 last time: p+8 now. */
        CHECK(c->local == 0 && c->op == OP_F64Load && c->k == 8 &&
                  c->nterms == 1 && c->loc[0] == 1 && c->coef[0] == 1,
              "stencil: carry l%u op %u at %u + %u terms (l%u * %u)",
              c->local, c->op, c->k, c->nterms, c->loc[0], c->coef[0]);
    }

    CHECK(!scan(dropped, sizeof dropped, &plan), "dropped: planned");
    CHECK(!scan(self, sizeof self, &plan), "*p = *p: planned");
    CHECK(!scan(reduction, sizeof reduction, &plan), "reduction: planned");
    CHECK(!scan(early_exit, sizeof early_exit, &plan), "early exit: planned");
    CHECK(!scan(overwrites, sizeof overwrites, &plan) || plan.ncarry == 0,
          "overwritten carried bytes: carried");
    /* Truncated body (no end): refused, never read past it. */
    CHECK(!scan(stencil, sizeof stencil - 1, &plan), "truncated: planned");

    return check_report("aot.loop_scan");
}
