;; embed.wat - the guest for examples/embed.c (built with wat2wasm).
;; SPDX-License-Identifier: Apache-2.0
(module $embed
  (import "host" "log" (func $log (param i32 i32)))   ;; (ptr, len) in memory
  (memory (export "memory") 1)
  (data (i32.const 16) "hello from wasm")
  (func (export "greet") (result i32)
    (call $log (i32.const 16) (i32.const 15))
    (i32.const 15))
  (func $divide (export "divide") (param i32 i32) (result i32)
    (i32.div_s (local.get 0) (local.get 1))))
