/* ft.h - a tiny check harness for the fleet's unit tests.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef FLEET_FT_H
#define FLEET_FT_H

#include <stdio.h>
#include <string.h>

static int ft_failures, ft_checks;

#define CHECK(cond)                                                        \
    do {                                                                   \
        ft_checks++;                                                       \
        if (!(cond)) {                                                     \
            ft_failures++;                                                 \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,         \
                    __LINE__, #cond);                                      \
        }                                                                  \
    } while (0)

/* s contains sub (both printed on failure). */
#define CHECK_HAS(s, sub)                                                  \
    do {                                                                   \
        const char *s_ = (s), *sub_ = (sub);                               \
        ft_checks++;                                                       \
        if (s_ == NULL || strstr(s_, sub_) == NULL) {                      \
            ft_failures++;                                                 \
            fprintf(stderr, "%s:%d: \"%s\" does not contain \"%s\"\n",     \
                    __FILE__, __LINE__, s_ ? s_ : "(null)", sub_);         \
        }                                                                  \
    } while (0)

#define CHECK_STR(a, b)                                                    \
    do {                                                                   \
        const char *a_ = (a), *b_ = (b);                                   \
        ft_checks++;                                                       \
        if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0) {             \
            ft_failures++;                                                 \
            fprintf(stderr, "%s:%d: \"%s\" != \"%s\"\n", __FILE__,         \
                    __LINE__, a_ ? a_ : "(null)", b_ ? b_ : "(null)");     \
        }                                                                  \
    } while (0)

static inline int ft_done(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, ft_checks, ft_failures);
    return ft_failures ? 1 : 0;
}

#endif
