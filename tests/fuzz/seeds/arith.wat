;; arith.wat - fuzz seed; corpus/arith.wasm is `wat2wasm --debug-names arith.wat`.
;; SPDX-License-Identifier: Apache-2.0
(module
  (func $add (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))
  (func (export "mix") (result i64)
    (i64.add (i64.extend_i32_s (call $add (i32.const 1) (i32.const -2)))
             (i64.trunc_f64_s (f64.sqrt (f64.const 16)))))
  (func (export "fdiv") (result f32)
    (f32.div (f32.const 1) (f32.const 0)))
  (func (export "divz") (result i32)
    (i32.div_u (i32.const 1) (i32.const 0))))
