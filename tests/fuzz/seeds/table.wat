;; table.wat - fuzz seed; corpus/table.wasm is `wat2wasm --debug-names table.wat`.
;; SPDX-License-Identifier: Apache-2.0
(module
  (type $v_i (func (result i32)))
  (table (export "tab") 4 funcref)
  (elem (i32.const 0) $one $two)
  (func $one (result i32) (i32.const 1))
  (func $two (result i32) (i32.const 2))
  (func (export "call") (param i32) (result i32)
    (call_indirect (type $v_i) (local.get 0)))
  (func (export "null") (result i32)
    (call_indirect (type $v_i) (i32.const 3)))
  (func (export "size") (result i32) (table.size 0)))
