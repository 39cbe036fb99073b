/* exit_code.c - proc_exit codes, trap status, and proc_raise refused.
 * SPDX-License-Identifier: Apache-2.0
 *
 * usage: exit_code exit N     print "exiting N" (flushed), exit(N)
 *        exit_code proc N     __wasi_proc_exit(N) straight away, stdio
 *                             buffer unflushed ("lost" must not appear)
 *        exit_code return N   return N from main
 *        exit_code trap       unreachable: a trap, status 1
 *        exit_code raise      proc_raise(SIGTERM) must fail (WASI hosts do
 *                             not deliver signals); prints its errno, exit 0
 */
#include "wasi_test.h"

/* proc_raise is in wasi_snapshot_preview1 but gone from newer headers, and
 * with it the signal numbers (witx `signal`: KILL is 9, TERM is 15). */
#define WASI_SIGNAL_KILL 9
#define WASI_SIGNAL_TERM 15

__attribute__((import_module("wasi_snapshot_preview1"),
               import_name("proc_raise"))) extern uint16_t
wasi_proc_raise(uint8_t sig);

int main(int argc, char **argv)
{
    CHECK(argc >= 2);
    int code = argc >= 3 ? atoi(argv[2]) : 0;

    if (strcmp(argv[1], "exit") == 0) {
        printf("exiting %d\n", code);
        exit(code);
    }
    if (strcmp(argv[1], "proc") == 0) {
        printf("lost"); /* stays in the stdio buffer */
        __wasi_proc_exit((__wasi_exitcode_t)code);
    }
    if (strcmp(argv[1], "return") == 0) {
        printf("returning %d\n", code);
        return code;
    }
    if (strcmp(argv[1], "trap") == 0) {
        printf("trapping\n");
        fflush(stdout);
        __builtin_trap();
    }
    if (strcmp(argv[1], "raise") == 0) {
        uint16_t e = wasi_proc_raise(WASI_SIGNAL_TERM);
        CHECK(e != 0);
        printf("proc_raise: %s\n", wt_errname(e));
        e = wasi_proc_raise(WASI_SIGNAL_KILL);
        CHECK(e != 0);
        printf("ok\n");
        return 0;
    }
    FAIL("unknown mode %s", argv[1]);
}
