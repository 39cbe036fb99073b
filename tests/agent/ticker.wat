;; ticker.wat - a long-running workload for tests/agent: "hello" on stdout,
;; "starting" on stderr, then "tick" every 100 ms until killed.
;; SPDX-License-Identifier: Apache-2.0
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello\n")
  (data (i32.const 32) "starting\n")
  (data (i32.const 48) "tick\n")
  ;; iovec at 0: (ptr, len); nwritten at 8; subscription at 256; event at 512
  (func $write (param $fd i32) (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start")
    (call $write (i32.const 1) (i32.const 16) (i32.const 6))
    (call $write (i32.const 2) (i32.const 32) (i32.const 9))
    ;; clock subscription: tag 0 (clock), id 1 (monotonic), 100 ms relative
    (i32.store8 (i32.const 264) (i32.const 0))
    (i32.store (i32.const 272) (i32.const 1))
    (i64.store (i32.const 280) (i64.const 100000000))
    (i64.store (i32.const 288) (i64.const 1000000))
    (i32.store16 (i32.const 296) (i32.const 0))
    (loop $forever
      (drop (call $poll (i32.const 256) (i32.const 512) (i32.const 1) (i32.const 600)))
      (call $write (i32.const 1) (i32.const 48) (i32.const 5))
      (br $forever))))
